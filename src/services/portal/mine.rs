//! The portal's home and "my records": what the patient's own record holds at every hospital.

use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
use serde_json::json;

use super::patient_of;
use crate::domain::platform::audit::AuditAction;
use crate::domain::portal::records::group;
use crate::domain::portal::{
    MyHospital, MyRecords, MySharing, MyVisits, NetworkHospital, PortalHome,
};
use crate::entities::hospital;
use crate::error::AppResult;
use crate::policy::{Action, Caller};
use crate::services::clinical::{patients, records};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::scheduling::appointments;
use crate::services::sharing::grants;
use crate::services::Core;

/// The home page: the last viral load, the current treatment, the next visit. Audited.
pub async fn home(core: &Core, caller: &Caller) -> AppResult<PortalHome> {
    let event = Event::new("patient_summary", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadOwnRecord, &event).await?;
    let patient_id = patient_of(caller)?;
    let read = AuditedRead::begin(core, caller, event.patient(patient_id)).await?;
    let result = async {
        let txn = read.txn();
        let (patient, _) = patients::own_profile(core, txn, patient_id).await?;
        let (summary, _, _) = records::own_summary(core, txn, caller, patient_id, false).await?;
        let mut home = PortalHome::from_summary(patient.first_name, &summary);
        home.visits = appointments::own_visits(core, txn, patient_id, false, 5).await?;
        home.next_appointment = home.visits.first().map(|v| v.scheduled_start);
        Ok((home, json!({})))
    }
    .await;
    read.finish(result).await
}

/// Every record, grouped by category and hospital, with the viral-load and CD4 series.
/// Audited with the number of records shown.
pub async fn records(core: &Core, caller: &Caller) -> AppResult<MyRecords> {
    let event = Event::new("clinical_record", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadOwnRecord, &event).await?;
    let patient_id = patient_of(caller)?;
    let read = AuditedRead::begin(core, caller, event.patient(patient_id)).await?;
    let result = async {
        let txn = read.txn();
        let all = records::own_records(core, txn, patient_id).await?;
        let (_, viral_loads, cd4) =
            records::own_summary(core, txn, caller, patient_id, true).await?;
        let names = records::sources(txn, caller, all.iter().map(|r| r.hospital_id)).await?;
        let total = all.len();
        let mine = MyRecords {
            groups: group(all, &names),
            viral_loads,
            cd4,
        };
        Ok((mine, json!({ "total": total })))
    }
    .await;
    read.finish(result).await
}

/// The sharing page: where the record is held, every grant with its status, and the network's
/// hospitals to share with (at most 500). Audited as a read of the grants.
pub async fn sharing(core: &Core, caller: &Caller) -> AppResult<MySharing> {
    let event = Event::new("consent_grant", AuditAction::Read);
    audit::authorize(core, caller, Action::ManageOwnSharing, &event).await?;
    let patient_id = patient_of(caller)?;
    let read = AuditedRead::begin(core, caller, event.patient(patient_id)).await?;
    let result = async {
        let txn = read.txn();
        let now = core.clock.now();
        let numbers = patients::own_links(txn, patient_id).await?;
        let grants = grants::own_grants(txn, patient_id, now).await?;
        let hospitals: Vec<NetworkHospital> = hospital::Entity::find()
            .order_by_asc(hospital::Column::Name)
            .limit(500)
            .all(txn)
            .await?
            .into_iter()
            .map(|h| NetworkHospital {
                id: h.id,
                name: h.name,
            })
            .collect();
        let name_of = |id| {
            hospitals
                .iter()
                .find(|h| h.id == id)
                .map(|h| h.name.clone())
                .unwrap_or_default()
        };
        let registered = numbers
            .into_iter()
            .map(|(hospital_id, mrn)| MyHospital {
                name: name_of(hospital_id),
                hospital_id,
                mrn,
            })
            .collect();
        let details = json!({"grant_ids": grants.iter().map(|g| g.id).collect::<Vec<_>>()});
        let page = MySharing {
            registered,
            grants,
            hospitals,
            today: now.date_naive(),
        };
        Ok((page, details))
    }
    .await;
    read.finish(result).await
}

/// The patient's visits at every hospital: those to come and those gone by. Audited.
pub async fn visits(core: &Core, caller: &Caller) -> AppResult<MyVisits> {
    let event = Event::new("appointment", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadOwnRecord, &event).await?;
    let patient_id = patient_of(caller)?;
    let read = AuditedRead::begin(core, caller, event.patient(patient_id)).await?;
    let result = async {
        let txn = read.txn();
        let upcoming = appointments::own_visits(core, txn, patient_id, false, 20).await?;
        let past = appointments::own_visits(core, txn, patient_id, true, 20).await?;
        let details = json!({"count": upcoming.len() + past.len()});
        Ok((MyVisits { upcoming, past }, details))
    }
    .await;
    read.finish(result).await
}
