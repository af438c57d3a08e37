//! Patients: registration, hospital links with one MRN per hospital, the profile, soft
//! deletion, and search over encrypted data.
//!
//! Every PII column is sealed for its row; lookups use keyed blind indexes: email, phone,
//! national identifier (`identifier_hash`) and every prefix of every name word
//! (`patient_name_tokens`). A hospital sees a patient only through a live link.

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

use crate::db::{begin_write, is_unique_violation, locked, WriteTransaction};
use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::patient::{
    name_prefixes, name_words, normalise_identifier, parse_mrn, DeleteRequest, LinkRequest,
    Patient, PatientInput, PatientListItem, ValidPatient,
};
use crate::domain::identity::auth::{normalise_phone, OtpDestination};
use crate::domain::identity::role::Permission;
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;
use crate::entities::{hospital, patient, patient_hospital_link as link, patient_name_token};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Actor, Caller, PatientAccess};
use crate::services::integration::changes::{self, Logged};
use crate::services::integration::sync::{self, ExternalRef};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::platform::outbox::{self, Channel, Message};
use crate::services::sharing::{break_glass, grants};
use crate::services::Core;

const TABLE: &str = "patients";
const LINKS: &str = "patient_hospital_links";

/// The blind index of an OTP destination.
pub fn destination_index(core: &Core, destination: &OtpDestination) -> String {
    core.keyring
        .blind_index(destination.kind(), destination.value())
}

fn open(core: &Core, column: &str, id: Uuid, value: &str) -> AppResult<String> {
    core.keyring
        .open(TABLE, column, id, value)
        .map_err(|e| AppError::internal(format!("{TABLE}.{column} of {id}: {e}")))
}

fn open_opt(core: &Core, column: &str, id: Uuid, value: Option<&str>) -> AppResult<Option<String>> {
    value.map(|v| open(core, column, id, v)).transpose()
}

/// The sealed columns and blind indexes of `valid`, set on `model`.
fn assign(core: &Core, model: &mut patient::ActiveModel, id: Uuid, valid: &ValidPatient) {
    let k = &core.keyring;
    let seal = |column: &str, value: &str| k.seal(TABLE, column, id, value);
    let seal_opt = |column: &str, value: Option<&String>| value.map(|v| seal(column, v));
    let email = valid.email.as_ref().map(|e| e.trim().to_lowercase());
    let phone = valid.phone.as_deref().and_then(normalise_phone);
    let national = valid
        .national_id
        .as_deref()
        .map(normalise_identifier)
        .filter(|n| !n.is_empty());
    model.first_name = Set(seal("first_name", &valid.first_name));
    model.last_name = Set(seal("last_name", &valid.last_name));
    model.date_of_birth = Set(seal("date_of_birth", &valid.date_of_birth.to_string()));
    model.sex = Set(valid.sex.clone());
    model.birth_month = Set(Some(crate::domain::indicators::birth_month(
        valid.date_of_birth,
    )));
    model.email = Set(seal_opt("email", email.as_ref()));
    model.email_index = Set(email.as_deref().map(|e| k.blind_index("email", e)));
    model.phone = Set(seal_opt("phone", phone.as_ref()));
    model.phone_index = Set(phone.as_deref().map(|p| k.blind_index("phone", p)));
    model.address = Set(seal_opt("address", valid.address.as_ref()));
    model.emergency_contact_name = Set(seal_opt(
        "emergency_contact_name",
        valid.emergency_contact_name.as_ref(),
    ));
    model.emergency_contact_phone = Set(seal_opt(
        "emergency_contact_phone",
        valid.emergency_contact_phone.as_ref(),
    ));
    model.national_id = Set(seal_opt("national_id", national.as_ref()));
    model.identifier_hash = Set(national.as_deref().map(|n| k.blind_index("national_id", n)));
}

/// Replaces the patient's name tokens.
async fn write_name_tokens(
    core: &Core,
    txn: &impl ConnectionTrait,
    id: Uuid,
    valid: &ValidPatient,
) -> AppResult<()> {
    patient_name_token::Entity::delete_many()
        .filter(patient_name_token::Column::PatientId.eq(id))
        .exec(txn)
        .await?;
    let rows: Vec<patient_name_token::ActiveModel> =
        name_prefixes(&valid.first_name, &valid.last_name)
            .into_iter()
            .map(|p| patient_name_token::ActiveModel {
                token: Set(core.keyring.blind_index("name_prefix", &p)),
                patient_id: Set(id),
            })
            .collect();
    if !rows.is_empty() {
        patient_name_token::Entity::insert_many(rows)
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Inserts a patient (sealed PII, blind indexes, name tokens) without a hospital link. The
/// caller has authorized and audits in `txn`.
pub async fn insert(
    core: &Core,
    txn: &impl ConnectionTrait,
    valid: &ValidPatient,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let now = core.clock.now();
    let mut model = patient::ActiveModel {
        id: Set(id),
        otp_failures: Set(0),
        locked_at: Set(None),
        credentials_version: Set(0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    assign(core, &mut model, id, valid);
    model.insert(txn).await?;
    write_name_tokens(core, txn, id, valid).await?;
    Ok(id)
}

/// Links a patient to a hospital with `mrn`, or a generated `CODE-NNNNNNN` when `None`.
pub async fn insert_link(
    core: &Core,
    txn: &impl ConnectionTrait,
    patient_id: Uuid,
    hospital_id: Uuid,
    mrn: Option<String>,
    created_by: Option<Uuid>,
) -> AppResult<String> {
    let mrn = match mrn {
        Some(m) => {
            ensure_mrn_free(txn, hospital_id, &m).await?;
            m
        }
        None => generate_mrn(txn, hospital_id).await?,
    };
    link::ActiveModel {
        id: Set(Uuid::now_v7()),
        patient_id: Set(patient_id),
        hospital_id: Set(hospital_id),
        mrn: Set(mrn.clone()),
        created_by: Set(created_by),
        created_at: Set(core.clock.now()),
        removed_at: Set(None),
        removed_by: Set(None),
        removal_reason: Set(None),
    }
    .insert(txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ErrorKind::conflict_on("mrn_taken", "mrn", "this MRN is already used here").into()
        } else {
            AppError::from(e)
        }
    })?;
    // The first hospital linked is the one that registered the patient: it holds the contact
    // details it typed.
    patient::Entity::update_many()
        .col_expr(
            patient::Column::RegisteringHospitalId,
            Expr::value(hospital_id),
        )
        .filter(patient::Column::Id.eq(patient_id))
        .filter(patient::Column::RegisteringHospitalId.is_null())
        .exec(txn)
        .await?;
    Ok(mrn)
}

/// 409 `mrn_taken` when the hospital already uses `mrn`.
async fn ensure_mrn_free(db: &impl ConnectionTrait, hospital_id: Uuid, mrn: &str) -> AppResult<()> {
    if mrn_taken(db, hospital_id, mrn).await? {
        return Err(ErrorKind::conflict_on(
            "mrn_taken",
            "mrn",
            format!("MRN {mrn} is already used at this hospital"),
        )
        .into());
    }
    Ok(())
}

/// Whether the hospital already uses `mrn` (the demo generator numbers around those in use).
pub(crate) async fn mrn_taken(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    mrn: &str,
) -> AppResult<bool> {
    Ok(link::Entity::find()
        .filter(link::Column::HospitalId.eq(hospital_id))
        .filter(link::Column::Mrn.eq(mrn))
        .count(db)
        .await?
        > 0)
}

async fn generate_mrn(db: &impl ConnectionTrait, hospital_id: Uuid) -> AppResult<String> {
    let code = hospital::Entity::find_by_id(hospital_id)
        .one(db)
        .await?
        .map(|h| h.code)
        .ok_or_else(|| AppError::from(ErrorKind::not_found("hospital")))?;
    for _ in 0..20 {
        let n: u32 = rand::thread_rng().gen_range(0..10_000_000);
        let mrn = format!("{code}-{n:07}");
        if !mrn_taken(db, hospital_id, &mrn).await? {
            return Ok(mrn);
        }
    }
    Err(AppError::internal("could not find a free MRN"))
}

/// The caller's standing with a patient: whether its hospital holds a live link, and which
/// categories of the patient's data held by other hospitals the patient's consent grants open
/// to it now. What every decision on that patient's data starts from. A view made of several
/// parts (the chart) looks it up once and hands it to each part.
#[derive(Clone, Debug, Default)]
pub(crate) struct Linked {
    linked: bool,
    granted: BTreeSet<DataCategory>,
    /// Until when the caller's own break-glass opening of the patient lasts.
    break_glass_until: Option<DateTime<Utc>>,
}

impl Linked {
    pub(crate) async fn load(
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        caller: &Caller,
        patient_id: Uuid,
    ) -> AppResult<Self> {
        let link = live_link(db, patient_id, caller.actor.hospital_id()).await?;
        Self::with_link(db, now, caller, patient_id, link.is_some()).await
    }

    /// The standing of a caller whose link is already known.
    pub(crate) async fn with_link(
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        caller: &Caller,
        patient_id: Uuid,
        linked: bool,
    ) -> AppResult<Self> {
        let granted = match caller.actor.hospital_id() {
            Some(h) if linked => grants::granted_to(db, now, patient_id, h).await?,
            _ => BTreeSet::new(),
        };
        // Only while the role still breaks the glass (a changed role ends it).
        let break_glass_until = match &caller.actor {
            Actor::Staff { id, role, .. } if linked && role.has(Permission::BreakGlass) => {
                break_glass::open_until(db, now, patient_id, *id).await?
            }
            _ => None,
        };
        Ok(Self {
            linked,
            granted,
            break_glass_until,
        })
    }

    /// Until when the caller's break-glass opening of the patient lasts, while one is open.
    pub(crate) fn break_glass_until(&self) -> Option<DateTime<Utc>> {
        self.break_glass_until
    }

    pub(crate) fn is_linked(&self) -> bool {
        self.linked
    }

    /// The access facts for the patient's data of `category` held by `owner` (`None`: the
    /// caller's own hospital's part, as lists read it).
    pub(crate) fn access(
        &self,
        caller: &Caller,
        owner: Option<Uuid>,
        category: DataCategory,
    ) -> PatientAccess {
        let hospital = caller.actor.hospital_id();
        PatientAccess {
            linked: self.linked,
            own_record: owner.is_none_or(|h| Some(h) == hospital),
            consent: self.granted.contains(&category),
            break_glass: self.break_glass_until.is_some(),
        }
    }
}

/// How the caller relates to a patient and to its data of `category` held by `owner` (a
/// record's or a document's hospital; `None` for the patient's lists).
pub(crate) async fn patient_access(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    caller: &Caller,
    patient_id: Uuid,
    owner: Option<Uuid>,
    category: DataCategory,
) -> AppResult<PatientAccess> {
    Ok(Linked::load(db, now, caller, patient_id)
        .await?
        .access(caller, owner, category))
}

/// The caller's hospital's live link to a patient.
pub(crate) async fn live_link(
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    hospital_id: Option<Uuid>,
) -> AppResult<Option<link::Model>> {
    let Some(hospital_id) = hospital_id else {
        return Ok(None);
    };
    Ok(link::Entity::find()
        .filter(link::Column::PatientId.eq(patient_id))
        .filter(link::Column::HospitalId.eq(hospital_id))
        .filter(link::Column::RemovedAt.is_null())
        .one(db)
        .await?)
}

/// The patient's date of birth (opened from its sealed column); `None` if unreadable.
pub(crate) fn birth_date(core: &Core, m: &patient::Model) -> Option<chrono::NaiveDate> {
    birth_date_sealed(core, m.id, &m.date_of_birth)
}

/// The date of birth of patient `id` from its sealed column alone (for lists that read only
/// the columns they need).
pub(crate) fn birth_date_sealed(core: &Core, id: Uuid, sealed: &str) -> Option<chrono::NaiveDate> {
    open(core, "date_of_birth", id, sealed).ok()?.parse().ok()
}

fn to_view(core: &Core, m: &patient::Model, mrn: Option<String>) -> AppResult<Patient> {
    let id = m.id;
    Ok(Patient {
        id,
        mrn,
        first_name: open(core, "first_name", id, &m.first_name)?,
        last_name: open(core, "last_name", id, &m.last_name)?,
        date_of_birth: open(core, "date_of_birth", id, &m.date_of_birth)?
            .parse()
            .map_err(AppError::internal)?,
        sex: m.sex.clone(),
        email: open_opt(core, "email", id, m.email.as_deref())?,
        phone: open_opt(core, "phone", id, m.phone.as_deref())?,
        address: open_opt(core, "address", id, m.address.as_deref())?,
        emergency_contact_name: open_opt(
            core,
            "emergency_contact_name",
            id,
            m.emergency_contact_name.as_deref(),
        )?,
        emergency_contact_phone: open_opt(
            core,
            "emergency_contact_phone",
            id,
            m.emergency_contact_phone.as_deref(),
        )?,
        national_id: open_opt(core, "national_id", id, m.national_id.as_deref())?,
        contact_withheld: false,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// A registration, edit or link that matched a patient known elsewhere (or, for a link, did not
/// match): counted per staff account (429 past `IDENTITY_MATCHES_PER_HOUR`, which then answers
/// in place of the match) and recorded with the identifier that matched, never its value.
async fn record_identity_probe(
    core: &Core,
    caller: &Caller,
    event: &Event,
    matched: &str,
    patient: Option<Uuid>,
) -> AppResult<()> {
    let account = caller
        .actor
        .id()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let limited = core
        .limits
        .identity_matches_per_account
        .hit(&format!("account:{account}"), core.clock.now());
    let mut event = event.clone().details(json!({
        "identity_match": matched,
        "hospital_id": caller.actor.hospital_id(),
        "limited": limited.is_err(),
    }));
    if let Some(p) = patient {
        event = event.patient(p);
    }
    audit::record(core, caller, &event, Outcome::Denied).await?;
    limited.map_err(AppError::from)
}

/// The identifier a uniqueness conflict matched and the patient it matched, if any.
fn identity_conflict(e: &AppError) -> Option<(&'static str, Option<Uuid>)> {
    match &e.kind {
        ErrorKind::Conflict {
            code, existing_id, ..
        } if code == "patient_exists" => Some(("national_id", *existing_id)),
        ErrorKind::Conflict { code, .. } if code == "patient_email_taken" => Some(("email", None)),
        ErrorKind::Conflict { code, .. } if code == "patient_phone_taken" => Some(("phone", None)),
        _ => None,
    }
}

/// The error for a registration or edit refused by `check_unique`, once the attempt is
/// recorded when it revealed a patient known elsewhere (call it after the write transaction
/// ended: the entry is written in its own).
async fn refused_as_duplicate(
    core: &Core,
    caller: &Caller,
    event: &Event,
    e: AppError,
) -> AppError {
    let Some((matched, patient)) = identity_conflict(&e) else {
        return e;
    };
    match record_identity_probe(core, caller, event, matched, patient).await {
        Ok(()) => e,
        Err(limited) => limited,
    }
}

/// Answers a registration or an update whose identifier or email belongs to someone else.
async fn check_unique(
    core: &Core,
    db: &impl ConnectionTrait,
    valid: &ValidPatient,
    except: Option<Uuid>,
    hospital_id: Option<Uuid>,
) -> AppResult<()> {
    let k = &core.keyring;
    if let Some(national) = valid.national_id.as_deref() {
        let hash = k.blind_index("national_id", &normalise_identifier(national));
        let existing = patient::Entity::find()
            .filter(patient::Column::IdentifierHash.eq(hash))
            .one(db)
            .await?;
        if let Some(existing) = existing.filter(|p| Some(p.id) != except) {
            let here = live_link(db, existing.id, hospital_id).await?;
            let message = match &here {
                Some(l) => format!(
                    "This patient is already registered at your hospital (MRN {}).",
                    l.mrn
                ),
                None => "A patient with this national identifier is already registered in the network. Link them to your hospital instead of registering a duplicate.".to_string(),
            };
            let mut fields = crate::domain::FieldErrors::new();
            fields.insert(
                "national_id".into(),
                vec!["belongs to a patient who is already registered".into()],
            );
            return Err(ErrorKind::Conflict {
                code: "patient_exists".into(),
                message,
                fields,
                existing_id: Some(existing.id),
            }
            .into());
        }
    }
    if let Some(email) = valid.email.as_deref() {
        let index = k.blind_index("email", &email.trim().to_lowercase());
        let mut query = patient::Entity::find().filter(patient::Column::EmailIndex.eq(index));
        if let Some(id) = except {
            query = query.filter(patient::Column::Id.ne(id));
        }
        if query.count(db).await? > 0 {
            return Err(ErrorKind::conflict_on(
                "patient_email_taken",
                "email",
                "another patient already uses this email address",
            )
            .into());
        }
    }
    // A phone number signs in to one patient's portal only.
    if let Some(phone) = valid.phone.as_deref().and_then(normalise_phone) {
        let index = k.blind_index("phone", &phone);
        let mut query = patient::Entity::find()
            .filter(patient::Column::PhoneIndex.eq(index))
            .filter(patient::Column::DeletedAt.is_null());
        if let Some(id) = except {
            query = query.filter(patient::Column::Id.ne(id));
        }
        if query.count(db).await? > 0 {
            return Err(ErrorKind::conflict_on(
                "patient_phone_taken",
                "phone",
                "another patient already signs in with this phone number; if it is the same \
                 person, link them with their national identifier",
            )
            .into());
        }
    }
    Ok(())
}

fn today(core: &Core) -> chrono::NaiveDate {
    core.clock.now().date_naive()
}

/// Registers a patient at the caller's hospital.
pub async fn register(core: &Core, caller: &Caller, input: &PatientInput) -> AppResult<Patient> {
    register_as(core, caller, input, None).await
}

/// `register`, remembering the patient under the hospital's own id in the same transaction
/// (a sync upload).
pub async fn register_as(
    core: &Core,
    caller: &Caller,
    input: &PatientInput,
    external: Option<&ExternalRef>,
) -> AppResult<Patient> {
    let event = Event::new("patient", AuditAction::Create);
    audit::authorize(core, caller, Action::RegisterPatient, &event).await?;
    let hospital_id = caller
        .actor
        .hospital_id()
        .ok_or_else(|| AppError::from(ErrorKind::forbidden()))?;
    let valid = input.validate(today(core))?;
    let txn = begin_write(&core.db).await?;
    if let Err(e) = check_unique(core, &txn, &valid, None, Some(hospital_id)).await {
        txn.rollback().await?;
        return Err(refused_as_duplicate(core, caller, &event, e).await);
    }
    let id = match insert(core, &txn, &valid).await {
        Err(e) if e.is_unique_violation() => {
            // Registered by another request since the check: answer as the check would now.
            txn.rollback().await?;
            let check = check_unique(core, &core.db, &valid, None, Some(hospital_id)).await;
            return Err(refused_as_duplicate(core, caller, &event, check.err().unwrap_or(e)).await);
        }
        other => other?,
    };
    let mrn = insert_link(
        core,
        &txn,
        id,
        hospital_id,
        valid.mrn.clone(),
        caller.actor.id(),
    )
    .await?;
    let now = core.clock.now();
    if let Some(external) = external {
        sync::remember(&txn, hospital_id, now, external, id).await?;
    }
    changes::log(&txn, now, &[Logged::patient(id, hospital_id)]).await?;
    let event = event
        .entity_id(id)
        .patient(id)
        .details(json!({"hospital_id": hospital_id, "mrn_generated": valid.mrn.is_none()}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let model = patient::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("registered patient vanished"))?;
    txn.commit().await?;
    tracing::info!(patient_id = %id, "patient registered");
    to_view(core, &model, Some(mrn))
}

/// Loads the patient and the caller's link inside `txn` and authorizes `permission` on them.
/// The patient's row stays locked until `txn` ends: a concurrent change of the same patient
/// (an edit with the same `If-Match`, another hospital's removal) waits and then sees this one.
async fn authorized_patient(
    core: &Core,
    caller: &Caller,
    txn: WriteTransaction,
    id: Uuid,
    permission: Permission,
    event: &Event,
) -> AppResult<(WriteTransaction, patient::Model, Option<link::Model>)> {
    let found = locked(
        patient::Entity::find_by_id(id).filter(patient::Column::DeletedAt.is_null()),
        &txn,
    )
    .one(&txn)
    .await?;
    let link = match &found {
        Some(_) => live_link(&txn, id, caller.actor.hospital_id()).await?,
        None => None,
    };
    let linked = found.is_some() && (link.is_some() || caller.actor == Actor::System);
    let action = Action::Patient { permission, linked };
    let txn = audit::authorize_in(core, caller, txn, action, event).await?;
    let patient = found.ok_or_else(|| AppError::from(ErrorKind::not_found("patient")))?;
    Ok((txn, patient, link))
}

/// A patient's profile. The read is audited.
pub async fn get(core: &Core, caller: &Caller, id: Uuid) -> AppResult<Patient> {
    let event = Event::new("patient", AuditAction::Read)
        .entity_id(id)
        .patient(id);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = get_in(core, caller, read.txn(), id).await;
    read.finish(result.map(|(p, _)| {
        let details = if p.contact_withheld {
            json!({"contact_withheld": true})
        } else {
            json!({})
        };
        (p, details)
    }))
    .await
}

/// The names (`First Last`) of the patients of `ids`, for lists whose reader holds
/// `patients.read` and has been decided on each of them (the schedule, the invoices).
pub(crate) async fn names_of(
    core: &Core,
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, String>> {
    let mut names = HashMap::new();
    if ids.is_empty() {
        return Ok(names);
    }
    let rows: Vec<(Uuid, String, String)> = patient::Entity::find()
        .select_only()
        .column(patient::Column::Id)
        .column(patient::Column::FirstName)
        .column(patient::Column::LastName)
        .filter(patient::Column::Id.is_in(ids.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    for (id, first, last) in rows {
        let name = format!(
            "{} {}",
            open(core, "first_name", id, &first)?,
            open(core, "last_name", id, &last)?
        );
        names.insert(id, name);
    }
    Ok(names)
}

/// A patient's profile inside an audited read: absent or not linked to the caller's hospital
/// is 404.
pub(crate) async fn get_in(
    core: &Core,
    caller: &Caller,
    txn: &DatabaseTransaction,
    id: Uuid,
) -> AppResult<(Patient, Linked)> {
    let found = patient::Entity::find_by_id(id)
        .filter(patient::Column::DeletedAt.is_null())
        .one(txn)
        .await?;
    let link = match &found {
        Some(_) => live_link(txn, id, caller.actor.hospital_id()).await?,
        None => None,
    };
    let linked = found.is_some() && (link.is_some() || caller.actor == Actor::System);
    let permission = Permission::PatientsRead;
    crate::policy::authorize(&caller.actor, Action::Patient { permission, linked })?;
    let patient = found.ok_or_else(|| AppError::from(ErrorKind::not_found("patient")))?;
    let standing = Linked::with_link(txn, core.clock.now(), caller, id, link.is_some()).await?;
    let view = to_view(core, &patient, link.map(|l| l.mrn))?;
    Ok((as_seen_by(caller, &standing, &patient, view), standing))
}

/// The patient's own profile, whole, for the patient themselves, with the hospitals they are
/// linked to and the record number each gave them. The portal decides `ReadOwnRecord` first.
pub(crate) async fn own_profile(
    core: &Core,
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<(Patient, Vec<(Uuid, String)>)> {
    let patient = patient::Entity::find_by_id(id)
        .filter(patient::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("patient")))?;
    Ok((to_view(core, &patient, None)?, own_links(db, id).await?))
}

/// The hospitals the patient is linked to, oldest link first, with the record number each
/// gave them (nothing is decrypted).
pub(crate) async fn own_links(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Vec<(Uuid, String)>> {
    Ok(link::Entity::find()
        .filter(link::Column::PatientId.eq(id))
        .filter(link::Column::RemovedAt.is_null())
        .order_by_asc(link::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.hospital_id, l.mrn))
        .collect())
}

/// Whether the caller's hospital holds the patient's contact details and so may change them.
fn holds_contact(caller: &Caller, linked: &Linked, patient: &patient::Model) -> bool {
    let holder = patient.registering_hospital_id.unwrap_or(Uuid::nil());
    let access = linked.access(caller, Some(holder), DataCategory::Demographics);
    crate::policy::may_change_contact_details(&caller.actor, access)
}

/// Where a discreet notice to the patient goes: their phone by SMS (most reach a basic phone),
/// else their email; none when neither is on file.
pub(crate) async fn notice_address(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
) -> AppResult<Option<(Channel, String)>> {
    let Some(m) = patient::Entity::find_by_id(patient_id).one(db).await? else {
        return Ok(None);
    };
    if let Some(phone) = open_opt(core, "phone", m.id, m.phone.as_deref())? {
        return Ok(Some((Channel::Sms, phone)));
    }
    Ok(open_opt(core, "email", m.id, m.email.as_deref())?.map(|e| (Channel::Email, e)))
}

/// How a message reaches a patient: their first name and the addresses on their record
/// (`None` for a patient removed since).
pub(crate) struct Reach {
    pub first_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub(crate) async fn reach(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
) -> AppResult<Option<Reach>> {
    let Some(m) = patient::Entity::find_by_id(patient_id)
        .filter(patient::Column::DeletedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Reach {
        first_name: open(core, "first_name", m.id, &m.first_name)?,
        phone: open_opt(core, "phone", m.id, m.phone.as_deref())?,
        email: open_opt(core, "email", m.id, m.email.as_deref())?,
    }))
}

/// The profile as the caller may see it: without the contact details unless it sees them.
fn as_seen_by(
    caller: &Caller,
    linked: &Linked,
    patient: &patient::Model,
    view: Patient,
) -> Patient {
    if sees_contact(caller, linked, patient) {
        view
    } else {
        view.without_contact()
    }
}

/// Whether the caller sees the patient's contact details (`policy::sees_contact_details`: the
/// registering hospital holds them; others need the patient's consent).
fn sees_contact(caller: &Caller, linked: &Linked, patient: &patient::Model) -> bool {
    // No registering hospital recorded: they are no hospital's own.
    let holder = patient.registering_hospital_id.unwrap_or(Uuid::nil());
    let access = linked.access(caller, Some(holder), DataCategory::Demographics);
    crate::policy::sees_contact_details(&caller.actor, access)
}

/// Replaces a profile. With `if_match`, only if the stored version is that one (412).
pub async fn update(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    input: &PatientInput,
    if_match: Option<i64>,
) -> AppResult<Patient> {
    update_as(core, caller, id, input, if_match, None).await
}

/// `update`, remembering the body uploaded under the hospital's own id in the same
/// transaction (a sync upload).
pub async fn update_as(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    input: &PatientInput,
    if_match: Option<i64>,
    external: Option<&ExternalRef>,
) -> AppResult<Patient> {
    let event = Event::new("patient", AuditAction::Update)
        .entity_id(id)
        .patient(id);
    let txn = begin_write(&core.db).await?;
    let (txn, current, link) =
        authorized_patient(core, caller, txn, id, Permission::PatientsWrite, &event).await?;
    // The body as sent is checked first (400), then the version (412), then who may change
    // the contact details (403).
    input.validate(today(core))?;
    if let Some(expected) = if_match {
        if expected != current.version {
            return Err(ErrorKind::PreconditionFailed {
                current_version: current.version,
            }
            .into());
        }
    }
    let before = to_view(core, &current, None)?;
    let linked = Linked::with_link(
        &txn,
        core.clock.now(),
        caller,
        id,
        link.is_some() || caller.actor == Actor::System,
    )
    .await?;
    // A hospital that does not hold the contact details cannot change them: blank keeps them
    // as the registering hospital typed them; one that sees them by consent may send them back
    // unchanged; one that does not see them may not send them at all (a guess would leak).
    let input = if holds_contact(caller, &linked, &current) {
        input.clone()
    } else {
        let stored = before.to_input();
        let refused = if sees_contact(caller, &linked, &current) {
            input.contact_changes_from(&stored)
        } else {
            input.contact_fields_given()
        };
        if !refused.is_empty() {
            txn.rollback().await?;
            let event =
                event.details(json!({"refused": "contact_details_withheld", "fields": refused}));
            audit::record(core, caller, &event, Outcome::Denied).await?;
            return Err(ErrorKind::Forbidden {
                code: "contact_details_withheld".into(),
                message: format!(
                    "The contact details are kept by the hospital that registered the patient; \
                     only it changes them. Leave {} as they are.",
                    refused.join(", ")
                ),
            }
            .into());
        }
        input.keeping_contact_of(&stored)
    };
    let valid = input.validate(today(core))?;
    if let Err(e) = check_unique(core, &txn, &valid, Some(id), caller.actor.hospital_id()).await {
        txn.rollback().await?;
        return Err(refused_as_duplicate(core, caller, &event, e).await);
    }
    let after_input = PatientInput {
        mrn: None,
        ..input.clone()
    };
    let changed = changed_fields(&before.to_input(), &after_input, &valid);
    let version = current.version + 1;
    let now = core.clock.now();
    // The addresses a portal code goes to: changing one ends the patient's portal sign-ins
    // and tells the previous address.
    let sign_in_changed: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|f| matches!(*f, "email" | "phone"))
        .collect();
    let credentials_version = current.credentials_version;
    let mut model: patient::ActiveModel = current.into();
    assign(core, &mut model, id, &valid);
    model.version = Set(version);
    model.updated_at = Set(now);
    if !sign_in_changed.is_empty() {
        model.credentials_version = Set(credentials_version + 1);
    }
    let model = model.update(&txn).await?;
    if !sign_in_changed.is_empty() {
        crate::services::identity::tokens::revoke_subject(&txn, id, now).await?;
        notify_previous_addresses(core, &txn, &before, &sign_in_changed).await?;
    }
    write_name_tokens(core, &txn, id, &valid).await?;
    let mut mrn = link.as_ref().map(|l| l.mrn.clone());
    if let (Some(new_mrn), Some(l)) = (valid.mrn.clone(), link) {
        if Some(&new_mrn) != mrn.as_ref() {
            ensure_mrn_free(&txn, l.hospital_id, &new_mrn).await?;
            let mut active: link::ActiveModel = l.into();
            active.mrn = Set(new_mrn.clone());
            active.update(&txn).await?;
            mrn = Some(new_mrn);
        }
    }
    if let Some(h) = caller.actor.hospital_id().or(model.registering_hospital_id) {
        if let Some(external) = external {
            sync::remember(&txn, h, now, external, id).await?;
        }
        changes::log(&txn, now, &[Logged::patient(id, h)]).await?;
    }
    let event = event.details(json!({
        "version": version,
        "changed": changed,
        "sign_in_address_changed": sign_in_changed,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    let view = to_view(core, &model, mrn)?;
    Ok(as_seen_by(caller, &linked, &model, view))
}

/// Signs a patient out of the portal everywhere: their credentials version moves on, so every
/// session and access token stops at once, and their refresh tokens are revoked. Audited.
pub async fn sign_out_everywhere(core: &Core, caller: &Caller, id: Uuid) -> AppResult<()> {
    let event = Event::new("patient", AuditAction::Update)
        .entity_id(id)
        .patient(id);
    let txn = begin_write(&core.db).await?;
    let (txn, current, _) =
        authorized_patient(core, caller, txn, id, Permission::PatientsWrite, &event).await?;
    let now = core.clock.now();
    patient::Entity::update_many()
        .col_expr(
            patient::Column::CredentialsVersion,
            Expr::col(patient::Column::CredentialsVersion).add(1),
        )
        .filter(patient::Column::Id.eq(current.id))
        .exec(&txn)
        .await?;
    crate::services::identity::tokens::revoke_subject(&txn, id, now).await?;
    let event = event.details(json!({"portal_signed_out": true}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(())
}

/// Reopens a patient's portal sign-in after 100 consecutive wrong codes locked it: the lock
/// and the failure count go (their identity was checked at the clinic). Audited.
pub async fn unlock_portal(core: &Core, caller: &Caller, id: Uuid) -> AppResult<()> {
    let event = Event::new("patient", AuditAction::Update)
        .entity_id(id)
        .patient(id);
    let txn = begin_write(&core.db).await?;
    let (txn, current, _) =
        authorized_patient(core, caller, txn, id, Permission::PatientsWrite, &event).await?;
    patient::Entity::update_many()
        .col_expr(
            patient::Column::LockedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(patient::Column::OtpFailures, Expr::value(0))
        .filter(patient::Column::Id.eq(current.id))
        .exec(&txn)
        .await?;
    let event = event.details(json!({"portal_unlocked": true}));
    audit::append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(())
}

/// A discreet notice to each previous sign-in address of a patient whose address changed: no
/// clinic type, no condition, no new address.
async fn notify_previous_addresses(
    core: &Core,
    txn: &impl ConnectionTrait,
    before: &Patient,
    changed: &[&str],
) -> AppResult<()> {
    const BODY: &str = "The contact details you use to sign in to HospitalLink were changed. \
        If you did not ask for this, tell your clinic.";
    for field in changed {
        let (channel, to) = match *field {
            "email" => (Channel::Email, before.email.clone()),
            _ => (Channel::Sms, before.phone.clone()),
        };
        let Some(to) = to else { continue };
        outbox::enqueue(
            core,
            txn,
            Message {
                channel,
                purpose: "sign_in_address_changed",
                to,
                subject: (channel == Channel::Email)
                    .then(|| "Your sign-in details changed".to_string()),
                body: BODY.into(),
            },
        )
        .await?;
    }
    Ok(())
}

/// Names (never values) of the profile fields an update changes.
fn changed_fields(
    before: &PatientInput,
    after: &PatientInput,
    valid: &ValidPatient,
) -> Vec<&'static str> {
    let same = |a: &Option<String>, b: &Option<String>| {
        a.as_deref().map(str::trim).unwrap_or("") == b.as_deref().map(str::trim).unwrap_or("")
    };
    let mut out = Vec::new();
    for (name, a, b) in [
        ("first_name", &before.first_name, &after.first_name),
        ("last_name", &before.last_name, &after.last_name),
        ("sex", &before.sex, &after.sex),
        ("email", &before.email, &valid.email),
        ("phone", &before.phone, &valid.phone),
        ("address", &before.address, &after.address),
        (
            "emergency_contact_name",
            &before.emergency_contact_name,
            &after.emergency_contact_name,
        ),
        (
            "emergency_contact_phone",
            &before.emergency_contact_phone,
            &valid.emergency_contact_phone,
        ),
        ("national_id", &before.national_id, &valid.national_id),
    ] {
        if !same(a, b) {
            out.push(name);
        }
    }
    if before.date_of_birth.as_deref() != Some(valid.date_of_birth.to_string().as_str()) {
        out.push("date_of_birth");
    }
    if valid.mrn.is_some() {
        out.push("mrn");
    }
    out
}

/// Removes the patient from the caller's hospital (hospital admins, with a justification).
/// When no hospital is linked any more, the patient is soft-deleted too. Nothing is erased:
/// retention purges later.
pub async fn delete(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    request: &DeleteRequest,
) -> AppResult<()> {
    let event = Event::new("patient", AuditAction::Delete)
        .entity_id(id)
        .patient(id);
    let txn = begin_write(&core.db).await?;
    let (txn, current, link) =
        authorized_patient(core, caller, txn, id, Permission::PatientsDelete, &event).await?;
    let justification = request.validate()?;
    let now = core.clock.now();
    let mut link_removed = false;
    if let Some(l) = link {
        let link_id = l.id;
        let mut active: link::ActiveModel = l.into();
        active.removed_at = Set(Some(now));
        active.removed_by = Set(caller.actor.id());
        active.removal_reason = Set(Some(core.keyring.seal(
            LINKS,
            "removal_reason",
            link_id,
            &justification,
        )));
        active.update(&txn).await?;
        link_removed = true;
    }
    let others = link::Entity::find()
        .filter(link::Column::PatientId.eq(id))
        .filter(link::Column::RemovedAt.is_null())
        .count(&txn)
        .await?;
    let patient_deleted = others == 0;
    if patient_deleted {
        let version = current.version + 1;
        let mut active: patient::ActiveModel = current.into();
        active.deleted_at = Set(Some(now));
        active.version = Set(version);
        active.updated_at = Set(now);
        active.update(&txn).await?;
    }
    if let Some(h) = caller.actor.hospital_id() {
        changes::log(&txn, now, &[Logged::patient(id, h)]).await?;
    }
    let event = event.details(json!({
        "link_removed": link_removed,
        "patient_deleted": patient_deleted,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(())
}

/// Links an existing patient to the caller's hospital. The national identifier must match
/// the one on file; a mismatch answers 404 like an unknown id.
pub async fn link(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    request: &LinkRequest,
) -> AppResult<Patient> {
    link_as(core, caller, id, request, None).await
}

/// `link`, remembering the patient under the hospital's own id in the same transaction (a
/// sync upload).
pub async fn link_as(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    request: &LinkRequest,
    external: Option<&ExternalRef>,
) -> AppResult<Patient> {
    let event = Event::new("patient_link", AuditAction::Create).patient(id);
    audit::authorize(core, caller, Action::RegisterPatient, &event).await?;
    let hospital_id = caller
        .actor
        .hospital_id()
        .ok_or_else(|| AppError::from(ErrorKind::forbidden()))?;
    let mut e = Errors::new();
    let national = request
        .national_id
        .as_deref()
        .map(normalise_identifier)
        .unwrap_or_default();
    if national.is_empty() {
        e.add(
            "national_id",
            "is required: give the patient's national identifier to link them",
        );
    }
    let mrn = parse_mrn(&mut e, "mrn", request.mrn.as_deref());
    e.finish(|| ())?;
    let hash = core.keyring.blind_index("national_id", &national);
    let txn = begin_write(&core.db).await?;
    // Locked like every other change of the patient (a removal racing this link waits).
    let Some(model) = locked(
        patient::Entity::find_by_id(id).filter(patient::Column::IdentifierHash.eq(hash)),
        &txn,
    )
    .one(&txn)
    .await?
    else {
        // The identifier did not match: as telling as a match, so recorded and bounded alike.
        txn.rollback().await?;
        record_identity_probe(core, caller, &event.entity_id(id), "national_id", None).await?;
        return Err(ErrorKind::not_found("patient").into());
    };
    let existing = link::Entity::find()
        .filter(link::Column::PatientId.eq(id))
        .filter(link::Column::HospitalId.eq(hospital_id))
        .one(&txn)
        .await?;
    let now = core.clock.now();
    let mrn = match existing {
        Some(l) if l.removed_at.is_none() => {
            return Err(ErrorKind::Conflict {
                code: "already_linked".into(),
                message: format!("This patient is already linked here (MRN {}).", l.mrn),
                fields: Default::default(),
                existing_id: Some(id),
            }
            .into());
        }
        Some(l) => {
            // Re-linking a patient the hospital removed before keeps the old row and its
            // MRN unless a new one is given.
            let mrn = match mrn {
                Some(m) if m != l.mrn => {
                    ensure_mrn_free(&txn, hospital_id, &m).await?;
                    m
                }
                _ => l.mrn.clone(),
            };
            let mut active: link::ActiveModel = l.into();
            active.mrn = Set(mrn.clone());
            active.removed_at = Set(None);
            active.removed_by = Set(None);
            active.removal_reason = Set(None);
            active.update(&txn).await?;
            mrn
        }
        None => insert_link(core, &txn, id, hospital_id, mrn, caller.actor.id()).await?,
    };
    let model = if model.deleted_at.is_some() {
        let version = model.version + 1;
        let mut active: patient::ActiveModel = model.into();
        active.deleted_at = Set(None);
        active.version = Set(version);
        active.updated_at = Set(now);
        active.update(&txn).await?
    } else {
        model
    };
    if let Some(external) = external {
        sync::remember(&txn, hospital_id, now, external, id).await?;
    }
    // The profile, and what the patient's grants to this hospital already open, reach its feed.
    changes::log(&txn, now, &[Logged::patient(id, hospital_id)]).await?;
    let granted = crate::services::sharing::grants::granted_to(&txn, now, id, hospital_id).await?;
    changes::log_opened(&txn, now, id, hospital_id, &granted).await?;
    let event = event
        .entity_id(id)
        .details(json!({"hospital_id": hospital_id}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    // Only what the linking hospital may see: the identity it matched and its own MRN; the
    // contact details wait for the patient's consent unless it registered the patient.
    let mut model = model;
    model.registering_hospital_id.get_or_insert(hospital_id);
    let standing = Linked::with_link(&core.db, now, caller, id, true).await?;
    let view = to_view(core, &model, Some(mrn))?;
    Ok(as_seen_by(caller, &standing, &model, view))
}

/// How a search query was read (recorded in the audit entry instead of the query itself).
fn query_kind(q: &str) -> &'static str {
    if q.is_empty() {
        "all"
    } else if q.contains('@') {
        "email"
    } else if normalise_phone(q).is_some() {
        "phone"
    } else {
        "name_or_mrn"
    }
}

/// Patients linked to `hospital_id` (the caller's) matching `q`: a name prefix (every word of
/// `q` must start a first- or last-name word), an MRN prefix, an exact phone number
/// (international format) or an exact email. Ordered by MRN. One audit entry per search
/// lists the patients shown. A phone or an email finds only the patients whose contact
/// details the hospital holds (it registered them: `policy::sees_contact_details`), so a
/// search cannot confirm contact details it may not see.
pub async fn search(
    core: &Core,
    caller: &Caller,
    hospital_id: Uuid,
    q: Option<&str>,
    page: PageRequest,
) -> AppResult<Page<PatientListItem>> {
    let q = q.map(str::trim).unwrap_or("");
    let kind = query_kind(q);
    let event = Event::new("patient", AuditAction::Read)
        .details(json!({"search": kind, "hospital_id": hospital_id}));
    audit::authorize(core, caller, Action::ListPatients { hospital_id }, &event).await?;
    if q.chars().count() > 100 {
        return Err(ErrorKind::invalid_field("q", "must be at most 100 characters").into());
    }
    let k = &core.keyring;
    let mut select = link::Entity::find()
        .filter(link::Column::HospitalId.eq(hospital_id))
        .filter(link::Column::RemovedAt.is_null());
    match kind {
        "all" => {}
        "email" => {
            let index = k.blind_index("email", &q.to_lowercase());
            select = select.filter(
                link::Column::PatientId.in_subquery(
                    Query::select()
                        .column(patient::Column::Id)
                        .from(patient::Entity)
                        .and_where(patient::Column::EmailIndex.eq(index))
                        .and_where(patient::Column::RegisteringHospitalId.eq(hospital_id))
                        .to_owned(),
                ),
            );
        }
        "phone" => {
            let phone = normalise_phone(q).unwrap_or_default();
            let index = k.blind_index("phone", &phone);
            select = select.filter(
                link::Column::PatientId.in_subquery(
                    Query::select()
                        .column(patient::Column::Id)
                        .from(patient::Entity)
                        .and_where(patient::Column::PhoneIndex.eq(index))
                        .and_where(patient::Column::RegisteringHospitalId.eq(hospital_id))
                        .to_owned(),
                ),
            );
        }
        _ => {
            let mut by_name = Condition::all();
            let words = name_words(q);
            for word in &words {
                let token = k.blind_index("name_prefix", word);
                by_name = by_name.add(
                    link::Column::PatientId.in_subquery(
                        Query::select()
                            .column(patient_name_token::Column::PatientId)
                            .from(patient_name_token::Entity)
                            .and_where(patient_name_token::Column::Token.eq(token))
                            .to_owned(),
                    ),
                );
            }
            let mut any = Condition::any().add(link::Column::Mrn.starts_with(q.to_uppercase()));
            if !words.is_empty() {
                any = any.add(by_name);
            }
            select = select.filter(any);
        }
    }
    let txn = begin_write(&core.db).await?;
    let total = select.clone().count(&txn).await?;
    let links = select
        .order_by_asc(link::Column::Mrn)
        .offset(page.offset())
        .limit(page.per_page)
        .all(&txn)
        .await?;
    let ids: Vec<Uuid> = links.iter().map(|l| l.patient_id).collect();
    let mut patients: HashMap<Uuid, patient::Model> = patient::Entity::find()
        .filter(patient::Column::Id.is_in(ids.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let event = Event {
        details: json!({
            "search": kind,
            "hospital_id": hospital_id,
            "total": total,
            "patient_ids": ids,
        }),
        ..event
    };
    audit::append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    let mut data = Vec::with_capacity(links.len());
    for l in links {
        let Some(m) = patients.remove(&l.patient_id) else {
            continue;
        };
        data.push(PatientListItem {
            id: m.id,
            mrn: l.mrn,
            first_name: open(core, "first_name", m.id, &m.first_name)?,
            last_name: open(core, "last_name", m.id, &m.last_name)?,
            date_of_birth: open(core, "date_of_birth", m.id, &m.date_of_birth)?
                .parse()
                .map_err(AppError::internal)?,
            sex: m.sex,
        });
    }
    Ok(Page {
        data,
        pagination: Pagination::new(page, total),
    })
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
