//! The hospital registry.

use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::audit::{self, Event};
use crate::db::{begin_write, is_unique_violation, locked};
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::platform::hospital::{Hospital, HospitalInput, HospitalSettings, ValidHospital};
use crate::domain::ErrorKind;
use crate::entities::hospital;
use crate::error::{AppError, AppResult};
use crate::policy::{authorize, Action, Caller};
use crate::services::Core;
use serde_json::json;

fn to_view(m: hospital::Model) -> Hospital {
    Hospital {
        id: m.id,
        name: m.name,
        code: m.code,
        address: m.address,
        contact_email: m.contact_email,
        country: m.country,
        active: m.active,
        break_glass_minutes: m.break_glass_minutes,
        timezone: m.timezone,
        rule_set: m.rule_set,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn code_taken(code: &str) -> AppError {
    ErrorKind::conflict_on(
        "hospital_code_taken",
        "code",
        format!("the code {code} is already used by another hospital"),
    )
    .into()
}

/// Sets the editable fields from validated input.
fn assign(model: &mut hospital::ActiveModel, valid: ValidHospital) {
    model.name = Set(valid.name);
    model.code = Set(valid.code);
    model.address = Set(valid.address);
    model.contact_email = Set(valid.contact_email);
    model.country = Set(valid.country);
    model.active = Set(valid.active);
}

/// Names of the fields an update changes (for the audit entry; never their values).
fn changed_fields(current: &hospital::Model, valid: &ValidHospital) -> Vec<&'static str> {
    [
        ("name", valid.name != current.name),
        ("code", valid.code != current.code),
        ("address", valid.address != current.address),
        (
            "contact_email",
            valid.contact_email != current.contact_email,
        ),
        ("country", valid.country != current.country),
        ("active", valid.active != current.active),
    ]
    .into_iter()
    .filter_map(|(field, differs)| differs.then_some(field))
    .collect()
}

/// Maps a write failure: a unique-code race becomes the same 409 as the pre-check.
fn write_error(code: &str) -> impl Fn(sea_orm::DbErr) -> AppError + '_ {
    move |e| {
        if is_unique_violation(&e) {
            code_taken(code)
        } else {
            e.into()
        }
    }
}

/// Registers a hospital.
pub async fn create(core: &Core, caller: &Caller, input: &HospitalInput) -> AppResult<Hospital> {
    let event = Event::new("hospital", AuditAction::Create);
    audit::authorize(core, caller, Action::RegisterHospital, &event).await?;
    let valid = input.validate()?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    if code_exists(&txn, &valid.code, None).await? {
        return Err(code_taken(&valid.code));
    }
    let mut model = hospital::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let code = valid.code.clone();
    assign(&mut model, valid);
    let model = model.insert(&txn).await.map_err(write_error(&code))?;
    let event = event
        .entity_id(model.id)
        .details(json!({"code": model.code}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    tracing::info!(hospital_id = %model.id, "hospital registered");
    Ok(to_view(model))
}

async fn code_exists(
    db: &impl sea_orm::ConnectionTrait,
    code: &str,
    except: Option<Uuid>,
) -> AppResult<bool> {
    let mut cond = Condition::all().add(hospital::Column::Code.eq(code));
    if let Some(id) = except {
        cond = cond.add(hospital::Column::Id.ne(id));
    }
    Ok(hospital::Entity::find().filter(cond).count(db).await? > 0)
}

/// The longest search term (a name or code prefix).
pub const SEARCH_MAX_CHARS: usize = 100;

/// Lists hospitals by name, optionally filtered by a name or code prefix.
pub async fn list(
    core: &Core,
    caller: &Caller,
    query: Option<&str>,
    page: PageRequest,
) -> AppResult<Page<Hospital>> {
    authorize(&caller.actor, Action::ListHospitals)?;
    let mut select = hospital::Entity::find();
    if let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > SEARCH_MAX_CHARS {
            return Err(ErrorKind::invalid_field(
                "q",
                format!("must be at most {SEARCH_MAX_CHARS} characters"),
            )
            .into());
        }
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("{}%", escaped.to_lowercase());
        select = select.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(hospital::Column::Name)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                )
                .add(hospital::Column::Code.starts_with(q.to_uppercase())),
        );
    }
    let total = select.clone().count(&core.db).await?;
    let rows = select
        .order_by_asc(hospital::Column::Name)
        .order_by_asc(hospital::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(&core.db)
        .await?;
    Ok(Page {
        data: rows.into_iter().map(to_view).collect(),
        pagination: Pagination::new(page, total),
    })
}

/// Reads one hospital.
pub async fn get(core: &Core, caller: &Caller, id: Uuid) -> AppResult<Hospital> {
    authorize(&caller.actor, Action::ReadHospital)?;
    hospital::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .map(to_view)
        .ok_or_else(|| ErrorKind::not_found("hospital").into())
}

/// Replaces a hospital's fields. With `if_match`, the update happens only if the stored
/// version is that one (412 otherwise).
pub async fn update(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    input: &HospitalInput,
    if_match: Option<i64>,
) -> AppResult<Hospital> {
    let event = Event::new("hospital", AuditAction::Update).entity_id(id);
    audit::authorize(core, caller, Action::UpdateHospital(id), &event).await?;
    let valid = input.validate()?;
    let txn = begin_write(&core.db).await?;
    // Locked until the commit: an edit with the same `If-Match` waits and then gets a 412.
    let current = locked(hospital::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("hospital")))?;
    if let Some(expected) = if_match {
        if expected != current.version {
            return Err(ErrorKind::PreconditionFailed {
                current_version: current.version,
            }
            .into());
        }
    }
    if valid.code != current.code && code_exists(&txn, &valid.code, Some(id)).await? {
        return Err(code_taken(&valid.code));
    }
    let version = current.version + 1;
    let changed = changed_fields(&current, &valid);
    let code = valid.code.clone();
    let mut model: hospital::ActiveModel = current.into();
    assign(&mut model, valid);
    model.version = Set(version);
    let now = core.clock.now();
    model.updated_at = Set(now);
    let model = model.update(&txn).await.map_err(write_error(&code))?;
    let event = event.details(json!({"version": version, "changed": changed}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(to_view(model))
}

/// The caller's own hospital, for its settings page: its admins (`settings.manage`) only.
pub async fn own_settings(core: &Core, caller: &Caller) -> AppResult<Hospital> {
    let id = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    authorize(&caller.actor, Action::UpdateHospitalSettings(id))?;
    let h = hospital::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("hospital")))?;
    Ok(to_view(h))
}

/// Sets the hospital's own settings (its admins, `settings.manage`): how long a break-glass
/// opening lasts, its time zone, its decision-support rule set. Audited.
pub async fn update_settings(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    input: &HospitalSettings,
) -> AppResult<Hospital> {
    let event = Event::new("hospital_settings", AuditAction::Update).entity_id(id);
    audit::authorize(core, caller, Action::UpdateHospitalSettings(id), &event).await?;
    let valid = input.validate()?;
    let minutes = valid.break_glass_minutes;
    let txn = begin_write(&core.db).await?;
    let current = locked(hospital::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("hospital")))?;
    let version = current.version + 1;
    let before = current.break_glass_minutes;
    let zone_before = current.timezone.clone();
    let rules_before = current.rule_set.clone();
    let mut model: hospital::ActiveModel = current.into();
    model.break_glass_minutes = Set(minutes);
    if let Some(tz) = &valid.timezone {
        model.timezone = Set(tz.clone());
    }
    if let Some(r) = &valid.rule_set {
        model.rule_set = Set(r.clone());
    }
    model.version = Set(version);
    let now = core.clock.now();
    model.updated_at = Set(now);
    let model = model.update(&txn).await?;
    let event = event.details(json!({
        "break_glass_minutes": {"from": before, "to": minutes},
        "timezone": {"from": zone_before, "to": model.timezone},
        "rule_set": {"from": rules_before, "to": model.rule_set},
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(to_view(model))
}
