//! Integration clients of a hospital: its admins create one with scopes (never more than they
//! hold), see its secret once, rotate and disable it; the client trades its id and secret for
//! a short-lived access token that acts for the hospital within those scopes (RFC 6749 section
//! 4.4). Every action of a client is audited as the client (`actor_type = client`).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::crypto::constant_time_eq;
use crate::db::{begin_write, changed_one, locked};
use crate::domain::identity::role::{Permission, Permissions};
use crate::domain::integration::{
    requested_scopes, scope_text, scopes_from_text, ApiClient, ApiClientSecret, ClientInput,
    ClientToken, ClientUpdate, TokenRequest, MAX_CLIENTS,
};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::entities::{api_client as row, hospital};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Actor, Caller, RequestMeta};
use crate::services::identity::tokens::{self, Stage, Subject, SubjectKind};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

fn to_view(m: &row::Model) -> ApiClient {
    ApiClient {
        id: m.id,
        hospital_id: m.hospital_id,
        name: m.name.clone(),
        scopes: m.scopes.split_whitespace().map(str::to_string).collect(),
        created_at: m.created_at,
        rotated_at: m.rotated_at,
        disabled_at: m.disabled_at,
        last_used_at: m.last_used_at,
    }
}

/// A new secret: 32 random bytes; only its SHA-256 is kept.
fn new_secret() -> (String, String) {
    let secret = format!("hlcs_{}", tokens::random_token());
    let hash = tokens::token_hash(&secret);
    (secret, hash)
}

/// `POST /hospitals/{id}/api-clients`: a client for the hospital, its secret shown once.
pub async fn create(
    core: &Core,
    caller: &Caller,
    hospital_id: Uuid,
    input: &ClientInput,
) -> AppResult<ApiClientSecret> {
    let event = Event::new("api_client", AuditAction::Create);
    audit::authorize(core, caller, Action::ManageApiClients(hospital_id), &event).await?;
    let held = match caller.actor {
        // The application itself (the demo seed, scripts) gives what a client may hold.
        Actor::System => Permissions::of(&Permission::ALL),
        _ => caller.actor.permissions().unwrap_or_default(),
    };
    let (name, scopes) = input.validate(held)?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    // Creations for one hospital take turns: the count holds.
    locked(hospital::Entity::find_by_id(hospital_id), &txn)
        .one(&*txn)
        .await?;
    let existing = row::Entity::find()
        .filter(row::Column::HospitalId.eq(hospital_id))
        .count(&*txn)
        .await?;
    if existing >= MAX_CLIENTS {
        return Err(ErrorKind::Conflict {
            code: "too_many_clients".into(),
            message: format!("A hospital has at most {MAX_CLIENTS} integration clients."),
            fields: Default::default(),
            existing_id: None,
        }
        .into());
    }
    let (secret, hash) = new_secret();
    let model = row::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        name: Set(name),
        scopes: Set(scope_text(scopes)),
        secret_hash: Set(hash),
        credentials_version: Set(1),
        created_by: Set(caller.actor.id()),
        created_at: Set(now),
        rotated_at: Set(None),
        disabled_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(&*txn)
    .await?;
    let event = event
        .entity_id(model.id)
        .details(json!({"hospital_id": hospital_id, "scopes": model.scopes}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(ApiClientSecret {
        client: to_view(&model),
        client_id: model.id,
        client_secret: secret,
    })
}

/// `GET /hospitals/{id}/api-clients`: the hospital's clients, newest first, with last use.
pub async fn list(core: &Core, caller: &Caller, hospital_id: Uuid) -> AppResult<Vec<ApiClient>> {
    let event = Event::new("api_client", AuditAction::Read);
    audit::authorize(core, caller, Action::ManageApiClients(hospital_id), &event).await?;
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let rows = row::Entity::find()
            .filter(row::Column::HospitalId.eq(hospital_id))
            .order_by_desc(row::Column::CreatedAt)
            .limit(MAX_CLIENTS)
            .all(read.txn())
            .await?;
        let details = json!({"hospital_id": hospital_id, "count": rows.len()});
        Ok((rows.iter().map(to_view).collect(), details))
    }
    .await;
    read.finish(result).await
}

/// The clients of the caller's own hospital (the admin page).
pub async fn list_own(core: &Core, caller: &Caller) -> AppResult<Vec<ApiClient>> {
    // Without a hospital (signed out, a platform admin) the decision refuses.
    let hospital_id = caller.actor.hospital_id().unwrap_or_default();
    list(core, caller, hospital_id).await
}

/// One client of the hospital, its row locked (another hospital's is absent).
async fn client_of(
    txn: &sea_orm::DatabaseTransaction,
    hospital_id: Uuid,
    id: Uuid,
) -> AppResult<row::Model> {
    locked(row::Entity::find_by_id(id), txn)
        .one(txn)
        .await?
        .filter(|c| c.hospital_id == hospital_id)
        .ok_or_else(|| AppError::from(ErrorKind::not_found("api client")))
}

/// `POST /hospitals/{id}/api-clients/{cid}/rotate`: a new secret, shown once; the old one and
/// every token issued with it stop working at once.
pub async fn rotate(
    core: &Core,
    caller: &Caller,
    hospital_id: Uuid,
    id: Uuid,
) -> AppResult<ApiClientSecret> {
    let event = Event::new("api_client", AuditAction::Update).entity_id(id);
    audit::authorize(core, caller, Action::ManageApiClients(hospital_id), &event).await?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let current = client_of(&txn, hospital_id, id).await?;
    let (secret, hash) = new_secret();
    let mut active: row::ActiveModel = current.clone().into();
    active.secret_hash = Set(hash);
    active.credentials_version = Set(current.credentials_version + 1);
    active.rotated_at = Set(Some(now));
    let model = active.update(&*txn).await?;
    let event = event.details(json!({"rotated": true}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(ApiClientSecret {
        client: to_view(&model),
        client_id: model.id,
        client_secret: secret,
    })
}

/// `PUT /hospitals/{id}/api-clients/{cid}`: disable (every token stops at once) or enable.
pub async fn update(
    core: &Core,
    caller: &Caller,
    hospital_id: Uuid,
    id: Uuid,
    input: &ClientUpdate,
) -> AppResult<ApiClient> {
    let event = Event::new("api_client", AuditAction::Update).entity_id(id);
    audit::authorize(core, caller, Action::ManageApiClients(hospital_id), &event).await?;
    let Some(disabled) = input.disabled else {
        return Err(ErrorKind::invalid_field("disabled", "is required: true or false").into());
    };
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let current = client_of(&txn, hospital_id, id).await?;
    if current.disabled_at.is_some() == disabled {
        txn.rollback().await?;
        return Ok(to_view(&current));
    }
    let mut active: row::ActiveModel = current.clone().into();
    active.disabled_at = Set(disabled.then_some(now));
    active.credentials_version = Set(current.credentials_version + 1);
    let model = active.update(&*txn).await?;
    let event = event.details(json!({"disabled": disabled}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(to_view(&model))
}

fn invalid_client() -> AppError {
    ErrorKind::Unauthenticated {
        message: "The client id or secret is not valid, or the client is disabled.".into(),
    }
    .into()
}

/// `POST /auth/token` with the client-credentials grant: a short-lived access token acting for
/// the client's hospital within its scopes (or the fewer asked for). No refresh token: the
/// client asks again. Audited as the client.
pub async fn token(
    core: &Core,
    meta: &RequestMeta,
    request: &TokenRequest,
) -> AppResult<ClientToken> {
    let now = core.clock.now();
    let ip = meta.ip.as_deref().unwrap_or("unknown");
    core.limits.login_per_ip.hit(&format!("ip:{ip}"), now)?;
    if request.grant_type.as_deref().map(str::trim) != Some("client_credentials") {
        return Err(ErrorKind::Invalid {
            code: "unsupported_grant_type".into(),
            message: "Only `grant_type=client_credentials` is offered here.".into(),
            fields: [(
                "grant_type".to_string(),
                vec!["must be client_credentials".to_string()],
            )]
            .into_iter()
            .collect(),
        }
        .into());
    }
    let id = request
        .client_id
        .as_deref()
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .ok_or_else(invalid_client)?;
    let secret = request.client_secret.as_deref().unwrap_or_default().trim();
    let txn = begin_write(&core.db).await?;
    let found = row::Entity::find_by_id(id)
        .find_also_related(hospital::Entity)
        .one(&*txn)
        .await?;
    let Some((client, Some(hospital))) = found else {
        return Err(invalid_client());
    };
    let matches = constant_time_eq(
        tokens::token_hash(secret).as_bytes(),
        client.secret_hash.as_bytes(),
    );
    if !matches || client.disabled_at.is_some() || !hospital.active {
        let caller = Caller::new(Actor::Anonymous, meta.clone());
        let event = Event::new("api_client", AuditAction::LoginFailed).entity_id(client.id);
        drop(txn);
        audit::record(core, &caller, &event, Outcome::Denied).await?;
        return Err(invalid_client());
    }
    let scopes = requested_scopes(scopes_from_text(&client.scopes), request.scope.as_deref())?;
    // Last use, for the admins' list (one conditional write; a rotation meanwhile wins).
    let used = row::Entity::update_many()
        .col_expr(row::Column::LastUsedAt, Expr::value(Some(now)))
        .filter(row::Column::Id.eq(client.id))
        .filter(row::Column::CredentialsVersion.eq(client.credentials_version))
        .filter(row::Column::DisabledAt.is_null())
        .exec(&*txn)
        .await?;
    if !changed_one(&used) {
        return Err(invalid_client());
    }
    let actor = Actor::Client {
        id: client.id,
        hospital_id: client.hospital_id,
        scopes,
    };
    let caller = Caller::new(actor, meta.clone());
    let event = Event::new("api_client", AuditAction::Login)
        .entity_id(client.id)
        .details(json!({"grant": "client_credentials", "scope": scope_text(scopes)}));
    audit::append(&txn, now, &caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    let subject = Subject {
        kind: SubjectKind::Client,
        id: client.id,
        ver: client.credentials_version,
        stage: Stage::Full,
        auth_at: now,
        acting_for: None,
        scopes: Some(scopes),
    };
    let access_token = tokens::access_token(core, &subject)?;
    Ok(ClientToken {
        access_token,
        token_type: "Bearer".into(),
        expires_in: tokens::expires_in(core).num_seconds().max(0) as u64,
        scope: scope_text(scopes),
    })
}
