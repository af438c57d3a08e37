use sea_orm::entity::prelude::*;

/// A patient. Every PII column holds a sealed envelope (`crypto::Keyring`); lookups go through
/// the keyed blind indexes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: String,
    pub sex: String,
    pub email: Option<String>,
    #[sea_orm(unique)]
    pub email_index: Option<String>,
    pub phone: Option<String>,
    pub phone_index: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub national_id: Option<String>,
    #[sea_orm(unique)]
    pub identifier_hash: Option<String>,
    /// Consecutive failed one-time codes across codes; 100 locks the portal sign-in.
    pub otp_failures: i32,
    pub locked_at: Option<ChronoDateTimeUtc>,
    /// Raised when staff sign the patient out everywhere or the address codes go to changes:
    /// older portal sessions and tokens stop working.
    pub credentials_version: i64,
    /// The hospital that registered the patient: it holds the contact details it typed.
    pub registering_hospital_id: Option<Uuid>,
    /// Month of birth as `yyyymm`, in plain for the indicators' age bands (the day stays
    /// sealed).
    pub birth_month: Option<i32>,
    pub version: i64,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub deleted_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
