//! The demo network seeded on first start in development (`SEED_DEMO`).

use sea_orm::{EntityTrait, PaginatorTrait};

use super::{hospitals, Core};
use crate::domain::hospital::HospitalInput;
use crate::entities::hospital;
use crate::error::AppResult;
use crate::policy::Caller;

/// The demo hospitals: (name, code, address, contact email, country).
pub const DEMO_HOSPITALS: [(&str, &str, &str, &str, &str); 3] = [
    (
        "Kisumu County Referral Hospital",
        "KSM",
        "Off Kisumu-Kakamega Road, Kisumu",
        "ccc@kisumu-referral.example.org",
        "KE",
    ),
    (
        "Mbarara Regional Hospital",
        "MBR",
        "Mbarara-Kabale Road, Mbarara",
        "art-clinic@mbarara.example.org",
        "UG",
    ),
    (
        "Chris Hani Baragwanath Clinic",
        "CHB",
        "26 Chris Hani Road, Soweto",
        "hiv-clinic@baragwanath.example.org",
        "ZA",
    ),
];

/// Seeds the demo network when the database has no hospital yet. Returns whether it seeded.
pub async fn seed_if_empty(core: &Core) -> AppResult<bool> {
    if hospital::Entity::find().count(&core.db).await? > 0 {
        return Ok(false);
    }
    for (name, code, address, email, country) in DEMO_HOSPITALS {
        let input = HospitalInput {
            name: Some(name.into()),
            code: Some(code.into()),
            address: Some(address.into()),
            contact_email: Some(email.into()),
            country: Some(country.into()),
            active: Some(true),
        };
        hospitals::create(core, &Caller::system(), &input).await?;
    }
    Ok(true)
}
