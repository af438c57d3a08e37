pub mod auth;
pub mod hospitals;
pub mod landing;
pub mod not_found;
