//! "My records": the patient's own records, grouped by category and, inside each, by the
//! hospital that wrote them, newest first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::record::{ChartPoint, ClinicalRecord, Payload, RecordType};

/// A lab value the portal writes out in the patient's own number format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Reading {
    pub value: f64,
    /// `<` or `>` when the value is a limit.
    pub comparator: Option<String>,
    /// `copies/mL` or `cells/µL`.
    pub unit: String,
}

impl Reading {
    /// The viral load's or CD4 count's number, from a record's payload.
    pub fn of(r: &ClinicalRecord) -> Option<Reading> {
        let number = |key: &str| r.payload.get(key).and_then(serde_json::Value::as_f64);
        match r.record_type {
            RecordType::ViralLoad => Some(Reading {
                value: number("copies_per_ml")?,
                comparator: r
                    .payload
                    .get("comparator")
                    .and_then(serde_json::Value::as_str)
                    .filter(|c| matches!(*c, "<" | ">"))
                    .map(str::to_string),
                unit: "copies/mL".into(),
            }),
            RecordType::Cd4 => Some(Reading {
                value: number("cells_per_ul")?,
                comparator: None,
                unit: "cells/µL".into(),
            }),
            _ => None,
        }
    }
}

/// One record as the patient sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MyRecord {
    pub id: Uuid,
    pub record_type: RecordType,
    pub recorded_at: DateTime<Utc>,
    /// The values as the clinic wrote them, e.g. `<40 copies/mL`.
    pub summary: String,
    /// The viral load's or CD4 count's number, to be written in the reader's number format.
    pub reading: Option<Reading>,
    /// The record's fields, for the portal to write in the reader's words.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub payload: Option<Payload>,
}

/// The records of one category written by one hospital.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RecordGroup {
    pub category: DataCategory,
    pub hospital_id: Uuid,
    pub hospital_name: String,
    pub records: Vec<MyRecord>,
}

/// The patient's records, and their viral-load and CD4 series for the charts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MyRecords {
    pub groups: Vec<RecordGroup>,
    #[cfg_attr(feature = "server", schema(value_type = Vec<Object>))]
    pub viral_loads: Vec<ChartPoint>,
    #[cfg_attr(feature = "server", schema(value_type = Vec<Object>))]
    pub cd4: Vec<ChartPoint>,
}

/// Groups records by category (in the order of [`DataCategory::ALL`]) and hospital name;
/// each group newest first.
pub fn group(records: Vec<ClinicalRecord>, names: &HashMap<Uuid, String>) -> Vec<RecordGroup> {
    let mut groups: Vec<RecordGroup> = Vec::new();
    for r in records {
        let category = r.record_type.category();
        let row = MyRecord {
            id: r.id,
            record_type: r.record_type,
            recorded_at: r.recorded_at,
            reading: Reading::of(&r),
            payload: Payload::from_stored(r.record_type, r.payload.clone()),
            summary: r.summary,
        };
        match groups
            .iter_mut()
            .find(|g| g.category == category && g.hospital_id == r.hospital_id)
        {
            Some(g) => g.records.push(row),
            None => groups.push(RecordGroup {
                category,
                hospital_id: r.hospital_id,
                hospital_name: names.get(&r.hospital_id).cloned().unwrap_or_default(),
                records: vec![row],
            }),
        }
    }
    let order = |c: DataCategory| DataCategory::ALL.iter().position(|x| *x == c);
    groups.sort_by(|a, b| {
        (order(a.category), &a.hospital_name, a.hospital_id).cmp(&(
            order(b.category),
            &b.hospital_name,
            b.hospital_id,
        ))
    });
    for g in &mut groups {
        g.records
            .sort_by_key(|r| std::cmp::Reverse((r.recorded_at, r.id)));
    }
    groups
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn record(hospital: Uuid, t: RecordType, day: u32) -> ClinicalRecord {
        let at = Utc.with_ymd_and_hms(2026, 7, day, 9, 0, 0).unwrap();
        ClinicalRecord {
            id: Uuid::now_v7(),
            patient_id: Uuid::nil(),
            hospital_id: hospital,
            record_type: t,
            category: t.category(),
            recorded_at: at,
            payload: json!({}),
            summary: format!("{t:?} {day}"),
            created_by: Uuid::nil(),
            created_at: at,
            updated_at: at,
            version: 1,
            supersedes: None,
            superseded_by: None,
            editable: false,
            clinician_only: false,
            interactions: Vec::new(),
            override_reason: None,
        }
    }

    #[test]
    fn records_group_by_category_then_hospital_newest_first() {
        let (kisumu, mbarara) = (Uuid::now_v7(), Uuid::now_v7());
        let names = HashMap::from([
            (kisumu, "Kisumu".to_string()),
            (mbarara, "Mbarara".to_string()),
        ]);
        let groups = group(
            vec![
                record(mbarara, RecordType::ViralLoad, 3),
                record(kisumu, RecordType::ViralLoad, 1),
                record(kisumu, RecordType::ArtRegimen, 1),
                record(kisumu, RecordType::Cd4, 9),
            ],
            &names,
        );
        let shape: Vec<(DataCategory, &str, usize)> = groups
            .iter()
            .map(|g| (g.category, g.hospital_name.as_str(), g.records.len()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (DataCategory::Art, "Kisumu", 1),
                (DataCategory::Labs, "Kisumu", 2),
                (DataCategory::Labs, "Mbarara", 1),
            ]
        );
        assert_eq!(groups[1].records[0].summary, "Cd4 9", "newest first");
    }
}
