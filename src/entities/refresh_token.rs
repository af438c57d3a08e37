use sea_orm::entity::prelude::*;

/// One refresh token of a family (one sign-in). Used tokens stay so reuse is detected.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub family_id: Uuid,
    /// `staff`, `patient` or `proxy`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    /// SHA-256 hex of the token.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// `full` or `mfa_enrollment`.
    pub stage: String,
    pub expires_at: ChronoDateTimeUtc,
    pub used_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    /// When the sign-in this token continues began (`None` for tokens issued before it was
    /// kept: their `created_at`).
    pub signed_in_at: Option<ChronoDateTimeUtc>,
    /// The patient a proxy (or a patient who is also one) acts for with this sign-in.
    pub acting_for: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
