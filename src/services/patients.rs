//! Patients' stored form: every PII column sealed for its row, with keyed blind indexes for
//! the lookups (email, phone, national identifier). Registration through the API, hospital
//! links and search build on this.

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Core;
use crate::domain::auth::{normalise_phone, OtpDestination};
use crate::entities::patient;
use crate::error::AppResult;

const TABLE: &str = "patients";

/// A patient to store (already validated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPatient {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub national_id: Option<String>,
}

/// Normalised national identifier: letters and digits, upper case.
pub fn normalise_identifier(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The blind index of an OTP destination.
pub fn destination_index(core: &Core, destination: &OtpDestination) -> String {
    core.keyring
        .blind_index(destination.kind(), destination.value())
}

/// Inserts a patient with sealed PII. The caller has authorized and audits in `txn`.
pub async fn insert(core: &Core, txn: &impl ConnectionTrait, new: &NewPatient) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let now = core.clock.now();
    let k = &core.keyring;
    let seal = |column: &str, value: &str| k.seal(TABLE, column, id, value);
    let email = new.email.as_ref().map(|e| e.trim().to_lowercase());
    let phone = new.phone.as_deref().and_then(normalise_phone);
    let national = new.national_id.as_deref().map(normalise_identifier);
    patient::ActiveModel {
        id: Set(id),
        first_name: Set(seal("first_name", &new.first_name)),
        last_name: Set(seal("last_name", &new.last_name)),
        date_of_birth: Set(seal("date_of_birth", &new.date_of_birth.to_string())),
        sex: Set(new.sex.clone()),
        email: Set(email.as_deref().map(|e| seal("email", e))),
        email_index: Set(email.as_deref().map(|e| k.blind_index("email", e))),
        phone: Set(phone.as_deref().map(|p| seal("phone", p))),
        phone_index: Set(phone.as_deref().map(|p| k.blind_index("phone", p))),
        address: Set(None),
        emergency_contact_name: Set(None),
        emergency_contact_phone: Set(None),
        national_id: Set(national.as_deref().map(|n| seal("national_id", n))),
        identifier_hash: Set(national.as_deref().map(|n| k.blind_index("national_id", n))),
        otp_failures: Set(0),
        locked_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(id)
}

/// The live patient an email or phone belongs to.
pub async fn find_by_destination(
    core: &Core,
    db: &impl ConnectionTrait,
    destination: &OtpDestination,
) -> AppResult<Option<patient::Model>> {
    let index = destination_index(core, destination);
    let column = match destination {
        OtpDestination::Email(_) => patient::Column::EmailIndex,
        OtpDestination::Phone(_) => patient::Column::PhoneIndex,
    };
    Ok(patient::Entity::find()
        .filter(column.eq(index))
        .filter(patient::Column::DeletedAt.is_null())
        .one(db)
        .await?)
}
