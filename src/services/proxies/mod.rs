//! Proxies: family members and guardians who act for a patient in the portal (see
//! `domain::proxies` for the rules).
//!
//! - `relationships`: the portal side: whom I act for and who acts for me; add, accept, end;
//!   choose whose record a sign-in acts on.
//! - `guardians`: staff add a guardian for a minor, with the signed consent form.
//!
//! Who a proxy is, is settled on every request (`identity::access`): the relationship must be
//! accepted and not ended, so ending it closes the proxy's access at their very next request.

pub mod guardians;
pub mod relationships;

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::domain::identity::auth::OtpDestination;
use crate::domain::proxies::{
    address_hint, invitation_message, NewProxy, Proxy, ProxyAccess, ProxyParty, ProxyStatus,
    Relationship,
};
use crate::domain::ErrorKind;
use crate::entities::{hospital, patient, proxy, proxy_relationship as row};
use crate::error::{AppError, AppResult};
use crate::policy::{Actor, ProxyFor};
use crate::services::clinical::patients::destination_index;
use crate::services::platform::outbox::{self, Channel, Message};
use crate::services::Core;

const PROXIES: &str = "proxies";
const RELATIONSHIPS: &str = "proxy_relationships";

/// The proxies who sign in at the patient's own addresses (one for the email, one for the
/// phone): how a patient who is also a proxy (a mother, guardian of her daughter) acts for
/// others.
pub(crate) async fn proxies_of_patient(
    db: &impl ConnectionTrait,
    p: &patient::Model,
) -> AppResult<Vec<Uuid>> {
    let indexes: Vec<&String> = [p.email_index.as_ref(), p.phone_index.as_ref()]
        .into_iter()
        .flatten()
        .collect();
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(proxy::Entity::find()
        .filter(proxy::Column::DestinationIndex.is_in(indexes))
        .filter(proxy::Column::LockedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

/// The actor of one of `proxy_ids` acting for `patient_id`, when an accepted relationship that
/// has not ended says they may (and the patient's record still exists).
pub(crate) async fn acting(
    db: &impl ConnectionTrait,
    proxy_ids: &[Uuid],
    patient_id: Uuid,
) -> AppResult<Option<Actor>> {
    let Some(found) = live(db, proxy_ids, patient_id).await? else {
        return Ok(None);
    };
    let Some(access) = ProxyAccess::parse(&found.access) else {
        return Ok(None);
    };
    let exists = patient::Entity::find_by_id(patient_id)
        .filter(patient::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .is_some();
    Ok(exists.then_some(Actor::Proxy {
        id: found.proxy_id,
        acting_for: Some(ProxyFor {
            patient: patient_id,
            access,
        }),
    }))
}

/// The accepted, unended relationship of one of `proxy_ids` with a patient.
async fn live(
    db: &impl ConnectionTrait,
    proxy_ids: &[Uuid],
    patient_id: Uuid,
) -> AppResult<Option<row::Model>> {
    if proxy_ids.is_empty() {
        return Ok(None);
    }
    Ok(row::Entity::find()
        .filter(row::Column::ProxyId.is_in(proxy_ids.iter().copied()))
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::AcceptedAt.is_not_null())
        .filter(row::Column::EndedAt.is_null())
        .one(db)
        .await?)
}

/// The proxy who signs in at `destination`, created on first use. One statement (`INSERT ...
/// ON CONFLICT DO NOTHING`, then the read), so two patients adding the same person at once
/// find the same proxy.
async fn proxy_at(
    core: &Core,
    db: &impl ConnectionTrait,
    destination: &OtpDestination,
) -> AppResult<proxy::Model> {
    let index = destination_index(core, destination);
    let id = Uuid::now_v7();
    let sealed = core.keyring.seal(
        PROXIES,
        "destination",
        id,
        &format!("{}:{}", destination.kind(), destination.value()),
    );
    proxy::Entity::insert(proxy::ActiveModel {
        id: Set(id),
        destination: Set(sealed),
        destination_index: Set(index.clone()),
        otp_failures: Set(0),
        locked_at: Set(None),
        credentials_version: Set(1),
        created_at: Set(core.clock.now()),
    })
    .on_conflict(
        OnConflict::column(proxy::Column::DestinationIndex)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    proxy::Entity::find()
        .filter(proxy::Column::DestinationIndex.eq(index))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the proxy just written is missing"))
}

/// A proxy's address, opened.
fn destination_of(core: &Core, p: &proxy::Model) -> AppResult<OtpDestination> {
    let clear = core
        .keyring
        .open(PROXIES, "destination", p.id, &p.destination)
        .map_err(|e| AppError::internal(format!("proxies.destination of {}: {e}", p.id)))?;
    match clear.split_once(':') {
        Some(("email", v)) => Ok(OtpDestination::Email(v.to_string())),
        Some(("phone", v)) => Ok(OtpDestination::Phone(v.to_string())),
        _ => Err(AppError::internal(format!(
            "proxies.destination of {}",
            p.id
        ))),
    }
}

/// Writes a new relationship (the caller checked the rules and holds the patient's row lock).
#[allow(clippy::too_many_arguments)]
async fn insert(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    proxy: &proxy::Model,
    new: &NewProxy,
    added_by: (ProxyParty, Option<Uuid>),
    guardian: Option<(Uuid, Uuid)>,
    accepted: bool,
) -> AppResult<row::Model> {
    let now = core.clock.now();
    let id = Uuid::now_v7();
    let model = row::Model {
        id,
        patient_id,
        proxy_id: proxy.id,
        name: core.keyring.seal(RELATIONSHIPS, "name", id, &new.name),
        relationship: new.relationship.as_str().into(),
        access: new.access.as_str().into(),
        added_by_kind: added_by.0.as_str().into(),
        added_by: added_by.1,
        hospital_id: guardian.map(|g| g.0),
        consent_form_id: guardian.map(|g| g.1),
        created_at: now,
        accepted_at: accepted.then_some(now),
        ended_at: None,
        ended_by: None,
    };
    row::Entity::insert(row::ActiveModel::from(model.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(model)
}

/// Refuses a proxy the patient cannot have: their own address, one already acting or asked,
/// or more than `MAX_PROXIES`. Runs under the patient's row lock.
async fn check_room(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    new: &NewProxy,
) -> AppResult<()> {
    use crate::domain::proxies::MAX_PROXIES;
    let field = match new.destination {
        OtpDestination::Email(_) => "email",
        OtpDestination::Phone(_) => "phone",
    };
    let index = destination_index(core, &new.destination);
    let own = patient::Entity::find_by_id(patient_id)
        .one(db)
        .await?
        .is_some_and(|p| {
            p.email_index.as_ref() == Some(&index) || p.phone_index.as_ref() == Some(&index)
        });
    if own {
        return Err(ErrorKind::invalid_field(field, "is the patient's own address").into());
    }
    let open = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::EndedAt.is_null())
        .all(db)
        .await?;
    let existing = proxy::Entity::find()
        .filter(proxy::Column::DestinationIndex.eq(&index))
        .one(db)
        .await?;
    if let Some(same) = existing.and_then(|p| open.iter().find(|r| r.proxy_id == p.id)) {
        return Err(ErrorKind::Conflict {
            code: "proxy_exists".into(),
            message: "This person already acts for the patient, or was asked to.".into(),
            fields: [(
                field.to_string(),
                vec!["already acts for the patient".to_string()],
            )]
            .into_iter()
            .collect(),
            existing_id: Some(same.id),
        }
        .into());
    }
    if open.len() >= MAX_PROXIES {
        return Err(ErrorKind::Conflict {
            code: "too_many_proxies".into(),
            message: format!(
                "A patient may have at most {MAX_PROXIES} people acting for them; end one first."
            ),
            fields: Default::default(),
            existing_id: None,
        }
        .into());
    }
    Ok(())
}

/// Tells someone they were asked to help, without naming anyone or anything.
async fn invite(
    core: &Core,
    txn: &impl ConnectionTrait,
    destination: &OtpDestination,
) -> AppResult<()> {
    let (channel, subject) = match destination {
        OtpDestination::Email(_) => (Channel::Email, Some("You were asked to help".to_string())),
        OtpDestination::Phone(_) => (Channel::Sms, None),
    };
    let url = format!("{}/portal/login", core.config.app_url.trim_end_matches('/'));
    outbox::enqueue(
        core,
        txn,
        Message {
            channel,
            purpose: "proxy_invitation",
            to: destination.value().to_string(),
            subject,
            body: invitation_message(&url),
        },
    )
    .await?;
    Ok(())
}

/// The proxies of a patient, newest first (ended ones kept), for a caller the policy has let
/// see them.
pub(crate) async fn of_patient(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
) -> AppResult<Vec<Proxy>> {
    let rows = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .order_by_desc(row::Column::CreatedAt)
        .limit(LIST_LIMIT)
        .all(db)
        .await?;
    views(core, db, &rows).await
}

/// How many relationships a list shows (ended ones included).
pub(super) const LIST_LIMIT: u64 = 50;

/// One relationship as the patient's side sees it.
async fn to_view(core: &Core, db: &impl ConnectionTrait, m: &row::Model) -> AppResult<Proxy> {
    views(core, db, std::slice::from_ref(m))
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("a relationship without its view"))
}

/// Relationships as the patient's side sees them: their proxies and hospitals read in one
/// query each.
async fn views(
    core: &Core,
    db: &impl ConnectionTrait,
    rows: &[row::Model],
) -> AppResult<Vec<Proxy>> {
    let people: HashMap<Uuid, proxy::Model> = proxy::Entity::find()
        .filter(proxy::Column::Id.is_in(rows.iter().map(|r| r.proxy_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let hospitals: HashMap<Uuid, String> = hospital::Entity::find()
        .filter(hospital::Column::Id.is_in(rows.iter().filter_map(|r| r.hospital_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let name = core
            .keyring
            .open(RELATIONSHIPS, "name", m.id, &m.name)
            .map_err(|e| {
                AppError::internal(format!("proxy_relationships.name of {}: {e}", m.id))
            })?;
        let person = people
            .get(&m.proxy_id)
            .ok_or_else(|| AppError::internal("a relationship without its proxy"))?;
        out.push(Proxy {
            id: m.id,
            name,
            relationship: Relationship::parse(&m.relationship).unwrap_or(Relationship::Other),
            access: ProxyAccess::parse(&m.access).unwrap_or(ProxyAccess::View),
            status: ProxyStatus::of(m.accepted_at, m.ended_at),
            address: address_hint(&destination_of(core, person)?),
            added_by: ProxyParty::parse(&m.added_by_kind).unwrap_or(ProxyParty::Patient),
            hospital_name: m.hospital_id.and_then(|h| hospitals.get(&h).cloned()),
            consent_form_id: m.consent_form_id,
            created_at: m.created_at,
            accepted_at: m.accepted_at,
            ended_at: m.ended_at,
            ended_by: m.ended_by.as_deref().and_then(ProxyParty::parse),
        });
    }
    Ok(out)
}
