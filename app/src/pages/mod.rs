pub mod doors;
pub mod hospitals;
pub mod landing;
pub mod not_found;
