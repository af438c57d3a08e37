use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Staff emails stay clear (they are work addresses); stored lower case.
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// `None` for platform admins; every other role belongs to exactly one hospital.
    pub hospital_id: Option<Uuid>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// The TOTP secret, sealed (`crypto::Keyring`); set once enrolment is confirmed.
    pub totp_secret: Option<String>,
    /// A secret shown for enrolment and not confirmed yet, sealed.
    pub totp_pending_secret: Option<String>,
    pub totp_enabled_at: Option<ChronoDateTimeUtc>,
    /// The last 30-second step accepted, so a code is never accepted twice.
    pub totp_last_step: Option<i64>,
    /// JSON array of SHA-256 hex digests of the unused recovery codes.
    pub recovery_codes: Option<String>,
    /// Raised on password change, disable and MFA change: older sessions and tokens stop working.
    pub credentials_version: i64,
    pub last_login_at: Option<ChronoDateTimeUtc>,
    /// Consecutive failed second-factor codes since the last sign-in.
    pub failed_second_factors: i32,
    /// No second-factor code is tried before this moment (growing delays after failures).
    pub second_factor_wait_until: Option<ChronoDateTimeUtc>,
    /// Locked after too many failures: only an admin unlocks it.
    pub sign_in_locked_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::hospital::Entity",
        from = "Column::HospitalId",
        to = "super::hospital::Column::Id"
    )]
    Hospital,
}

impl Related<super::hospital::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Hospital.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
