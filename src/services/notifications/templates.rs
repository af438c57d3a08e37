//! Each hospital's own wording of its messages (its admins edit them, with a preview), checked
//! for discretion before it is kept; the default wording where it has written none.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::db::begin_write;
use crate::domain::notifications::templates::{
    default_template, Template, TemplateInput, TemplateView,
};
use crate::domain::notifications::{Channel, Kind};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::portal::Language;
use crate::entities::notification_template as row;
use crate::error::AppResult;
use crate::policy::{Action, Caller};
use crate::services::platform::audit::{self, Event};
use crate::services::Core;

/// The wording `hospital_id` uses for `kind` in `language` by `channel`.
pub(crate) async fn template_for(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    kind: Kind,
    language: Language,
    channel: Channel,
) -> AppResult<Template> {
    let own = row::Entity::find_by_id((
        hospital_id,
        kind.as_str().to_string(),
        language.as_str().to_string(),
        channel.as_str().to_string(),
    ))
    .one(db)
    .await?;
    Ok(match own {
        Some(r) => Template {
            subject: r.subject,
            body: r.body,
        },
        None => default_template(kind, language, channel),
    })
}

/// Every wording of the hospital (each kind, language and channel), with its preview. For its
/// admins (`settings.manage`).
pub async fn list(core: &Core, caller: &Caller, hospital_id: Uuid) -> AppResult<Vec<TemplateView>> {
    let event = Event::new("notification_template", AuditAction::Read).entity_id(hospital_id);
    audit::authorize(
        core,
        caller,
        Action::UpdateHospitalSettings(hospital_id),
        &event,
    )
    .await?;
    let own = row::Entity::find()
        .filter(row::Column::HospitalId.eq(hospital_id))
        .all(&core.db)
        .await?;
    let mut views = Vec::new();
    for kind in Kind::ALL {
        for language in Language::ALL {
            for channel in Channel::ALL {
                let mine = own.iter().find(|r| {
                    r.kind == kind.as_str()
                        && r.language == language.as_str()
                        && r.channel == channel.as_str()
                });
                let (template, customised) = match mine {
                    Some(r) => (
                        Template {
                            subject: r.subject.clone(),
                            body: r.body.clone(),
                        },
                        true,
                    ),
                    None => (default_template(kind, language, channel), false),
                };
                views.push(TemplateView::of(
                    kind, language, channel, template, customised,
                ));
            }
        }
    }
    Ok(views)
}

/// How a wording would read, with sample values, without keeping it.
pub async fn preview(
    core: &Core,
    caller: &Caller,
    hospital_id: Uuid,
    input: &TemplateInput,
) -> AppResult<TemplateView> {
    let event = Event::new("notification_template", AuditAction::Read).entity_id(hospital_id);
    audit::authorize(
        core,
        caller,
        Action::UpdateHospitalSettings(hospital_id),
        &event,
    )
    .await?;
    let valid = input.validate()?;
    Ok(TemplateView::of(
        valid.kind,
        valid.language,
        valid.channel,
        valid.template,
        true,
    ))
}

/// Keeps the hospital's own wording of one message (discreet, known placeholders only).
/// Audited.
pub async fn set(
    core: &Core,
    caller: &Caller,
    hospital_id: Uuid,
    input: &TemplateInput,
) -> AppResult<TemplateView> {
    let event = Event::new("notification_template", AuditAction::Update).entity_id(hospital_id);
    audit::authorize(
        core,
        caller,
        Action::UpdateHospitalSettings(hospital_id),
        &event,
    )
    .await?;
    let valid = input.validate()?;
    let now = core.clock.now();
    let author = caller.actor.id().unwrap_or_default();
    let txn = begin_write(&core.db).await?;
    row::Entity::insert(row::ActiveModel {
        hospital_id: Set(hospital_id),
        kind: Set(valid.kind.as_str().into()),
        language: Set(valid.language.as_str().into()),
        channel: Set(valid.channel.as_str().into()),
        subject: Set(valid.template.subject.clone()),
        body: Set(valid.template.body.clone()),
        updated_by: Set(author),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            row::Column::HospitalId,
            row::Column::Kind,
            row::Column::Language,
            row::Column::Channel,
        ])
        .update_columns([
            row::Column::Subject,
            row::Column::Body,
            row::Column::UpdatedBy,
            row::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let event = event.details(json!({
        "kind": valid.kind.as_str(),
        "language": valid.language.as_str(),
        "channel": valid.channel.as_str(),
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(TemplateView::of(
        valid.kind,
        valid.language,
        valid.channel,
        valid.template,
        true,
    ))
}
