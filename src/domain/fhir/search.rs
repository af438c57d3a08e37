//! The FHIR resources records are read and searched as, and the parameters of their searches
//! (`GET /fhir/r4/{type}?patient=...`) and of a Consent search.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

use super::{LOINC, LOINC_CD4, LOINC_VIRAL_LOAD};
use crate::domain::clinical::record::RecordType;
use crate::domain::page::PageRequest;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// LOINC of the vital signs panel the vital-sign records are written as.
pub const LOINC_VITALS: &str = "85353-1";

/// A FHIR resource type some records are written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordResource {
    Observation,
    MedicationRequest,
    Condition,
    AllergyIntolerance,
}

impl RecordResource {
    pub const ALL: [RecordResource; 4] = [
        RecordResource::Observation,
        RecordResource::MedicationRequest,
        RecordResource::Condition,
        RecordResource::AllergyIntolerance,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RecordResource::Observation => "Observation",
            RecordResource::MedicationRequest => "MedicationRequest",
            RecordResource::Condition => "Condition",
            RecordResource::AllergyIntolerance => "AllergyIntolerance",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The record types written as this resource.
    pub fn types(self) -> &'static [RecordType] {
        match self {
            RecordResource::Observation => &[
                RecordType::ViralLoad,
                RecordType::Cd4,
                RecordType::VitalSigns,
                RecordType::LabResult,
                RecordType::AdherenceNote,
            ],
            RecordResource::MedicationRequest => {
                &[RecordType::ArtRegimen, RecordType::Prescription]
            }
            RecordResource::Condition => &[RecordType::Diagnosis],
            RecordResource::AllergyIntolerance => &[RecordType::Allergy],
        }
    }

    /// The resource a record type is written as (dispensing is a MedicationDispense, read
    /// only in the patient's whole record).
    pub fn of(t: RecordType) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.types().contains(&t))
    }

    /// The name of the search parameter on the record's clinical time.
    pub fn date_param(self) -> Option<&'static str> {
        match self {
            RecordResource::Observation | RecordResource::AllergyIntolerance => Some("date"),
            RecordResource::MedicationRequest => Some("authoredon"),
            RecordResource::Condition => Some("recorded-date"),
        }
    }
}

/// A search of records as one resource type: `patient` (required), the date parameter,
/// `code` (Observation), `_count`, `_page`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordSearch {
    pub resource: RecordResource,
    pub patient: Uuid,
    /// The record types asked for (all the resource's when no code is given).
    pub types: Vec<RecordType>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub page: PageRequest,
}

/// A date parameter's bound: `ge2026-01-01` and `gt`, `le`, `lt`, `eq` (a day or an instant).
fn date_bound(
    e: &mut Errors,
    name: &str,
    raw: &str,
    from: &mut Option<DateTime<Utc>>,
    to: &mut Option<DateTime<Utc>>,
) {
    let (prefix, value) = match raw.get(..2) {
        Some(p @ ("ge" | "gt" | "le" | "lt" | "eq")) => (p, &raw[2..]),
        _ => ("eq", raw),
    };
    // A day covers [day 00:00, next day 00:00); an instant is itself.
    let (start, end) = if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let start = day.and_time(NaiveTime::MIN).and_utc();
        (start, start + chrono::Duration::days(1))
    } else if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        let at = at.with_timezone(&Utc);
        (at, at + chrono::Duration::microseconds(1))
    } else {
        e.add(
            name,
            "must be a day (2026-07-12) or an instant, with an optional prefix ge, gt, le, lt or eq",
        );
        return;
    };
    match prefix {
        "ge" => *from = Some(start),
        "gt" => *from = Some(end),
        "le" => *to = Some(end),
        "lt" => *to = Some(start),
        _ => {
            *from = Some(start);
            *to = Some(end);
        }
    }
}

/// `patient` as a search gives it: an id, or `Patient/{id}`.
fn patient_param(e: &mut Errors, value: &str) -> Option<Uuid> {
    let id = value.strip_prefix("Patient/").unwrap_or(value);
    let parsed = Uuid::parse_str(id).ok();
    if parsed.is_none() {
        e.add("patient", "must be a patient id (or Patient/{id})");
    }
    parsed
}

/// `_count` and `_page` as a page, their problems named as the search names them.
fn paging(e: &mut Errors, page: Option<&str>, count: Option<&str>) -> PageRequest {
    match PageRequest::parse(page, count) {
        Ok(p) => p,
        Err(err) => {
            for (field, messages) in err.fields() {
                let name = if field == "page" { "_page" } else { "_count" };
                for m in messages {
                    e.add(name, m);
                }
            }
            PageRequest::default()
        }
    }
}

impl RecordSearch {
    /// Reads the query's pairs; unknown parameters are refused by name (`_format` is allowed).
    pub fn parse(resource: RecordResource, pairs: &[(String, String)]) -> Result<Self, ErrorKind> {
        let mut e = Errors::new();
        let mut patient = None;
        let mut types = resource.types().to_vec();
        let (mut from, mut to) = (None, None);
        let (mut count, mut page) = (None, None);
        let date = resource.date_param();
        for (key, value) in pairs {
            let value = value.trim();
            match key.as_str() {
                "patient" | "subject" => patient = patient_param(&mut e, value),
                "code" if resource == RecordResource::Observation => {
                    let code = value
                        .strip_prefix(LOINC)
                        .and_then(|v| v.strip_prefix('|'))
                        .unwrap_or(value);
                    types = match code {
                        LOINC_VIRAL_LOAD => vec![RecordType::ViralLoad],
                        LOINC_CD4 => vec![RecordType::Cd4],
                        LOINC_VITALS => vec![RecordType::VitalSigns],
                        _ => {
                            e.add(
                                "code",
                                format!("searches {LOINC_VIRAL_LOAD} (viral load), {LOINC_CD4} (CD4) or {LOINC_VITALS} (vital signs)"),
                            );
                            types
                        }
                    };
                }
                k if Some(k) == date => date_bound(&mut e, k, value, &mut from, &mut to),
                "_count" => count = Some(value.to_string()),
                "_page" => page = Some(value.to_string()),
                "_format" => {}
                other => e.add(
                    other,
                    format!("is not a search parameter of {} here", resource.name()),
                ),
            }
        }
        if patient.is_none() && e.messages("patient").is_empty() {
            e.add("patient", "is required: whose records");
        }
        let page = paging(&mut e, page.as_deref(), count.as_deref());
        e.finish(|| RecordSearch {
            resource,
            patient: patient.unwrap_or_default(),
            types,
            from,
            to,
            page,
        })
    }
}

/// A Patient search among the caller's hospital's patients: one of `name` (a prefix of each
/// word), `identifier` (the hospital's MRN, `[system|]value`), `phone` or `email`; or none, for
/// all of them; `_count`, `_page`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientSearch {
    /// What the hospital's patient search takes (a name, an MRN, a phone or an email).
    pub q: Option<String>,
    pub page: PageRequest,
}

impl PatientSearch {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ErrorKind> {
        let mut e = Errors::new();
        let mut q: Vec<String> = Vec::new();
        let (mut count, mut page) = (None, None);
        for (key, value) in pairs {
            let value = value.trim();
            match key.as_str() {
                "name" | "phone" | "email" if !value.is_empty() => q.push(value.to_string()),
                "identifier" if !value.is_empty() => {
                    q.push(value.rsplit('|').next().unwrap_or(value).to_string())
                }
                "name" | "phone" | "email" | "identifier" => e.add(key, "must not be empty"),
                "_count" => count = Some(value.to_string()),
                "_page" => page = Some(value.to_string()),
                "_format" => {}
                other => e.add(other, "is not a search parameter of Patient here"),
            }
        }
        if q.len() > 1 {
            e.add(
                "name",
                "search by one of name, identifier, phone or email at a time",
            );
        }
        if q.first().is_some_and(|v| v.chars().count() > 100) {
            e.add("name", "must be at most 100 characters");
        }
        let page = paging(&mut e, page.as_deref(), count.as_deref());
        e.finish(|| PatientSearch {
            q: q.into_iter().next(),
            page,
        })
    }
}

/// A search of consents (`patient` required, `_count`, `_page`), or a `$everything` (the
/// patient in the path, `_count`, `_page`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientPaging {
    pub patient: Uuid,
    pub page: PageRequest,
}

impl PatientPaging {
    /// `path_patient`: the patient the address names (`$everything`); otherwise the query's
    /// `patient` is required.
    pub fn parse(
        what: &str,
        path_patient: Option<Uuid>,
        pairs: &[(String, String)],
    ) -> Result<Self, ErrorKind> {
        let mut e = Errors::new();
        let mut patient = path_patient;
        let (mut count, mut page) = (None, None);
        for (key, value) in pairs {
            let value = value.trim();
            match key.as_str() {
                "patient" if path_patient.is_none() => patient = patient_param(&mut e, value),
                "_count" => count = Some(value.to_string()),
                "_page" => page = Some(value.to_string()),
                "_format" => {}
                other => e.add(other, format!("is not a parameter of {what} here")),
            }
        }
        if patient.is_none() && e.messages("patient").is_empty() {
            e.add("patient", "is required: whose consents");
        }
        let page = paging(&mut e, page.as_deref(), count.as_deref());
        e.finish(|| PatientPaging {
            patient: patient.unwrap_or_default(),
            page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_observation_search_reads_patient_code_dates_and_paging() {
        let id = Uuid::now_v7();
        let s = RecordSearch::parse(
            RecordResource::Observation,
            &pairs(&[
                ("patient", &format!("Patient/{id}")),
                ("code", "http://loinc.org|25836-8"),
                ("date", "ge2026-01-01"),
                ("date", "lt2026-07-01"),
                ("_count", "2"),
            ]),
        )
        .unwrap();
        assert_eq!(s.patient, id);
        assert_eq!(s.types, vec![RecordType::ViralLoad]);
        assert_eq!(s.from.unwrap().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(s.to.unwrap().to_rfc3339(), "2026-07-01T00:00:00+00:00");
        assert_eq!((s.page.page, s.page.per_page), (1, 2));
        let day = RecordSearch::parse(
            RecordResource::Observation,
            &pairs(&[("patient", &id.to_string()), ("date", "2026-07-12")]),
        )
        .unwrap();
        assert_eq!(
            day.to.unwrap() - day.from.unwrap(),
            chrono::Duration::days(1)
        );
        assert_eq!(day.types, RecordResource::Observation.types().to_vec());

        let err = RecordSearch::parse(
            RecordResource::Observation,
            &pairs(&[
                ("code", "1234-5"),
                ("date", "last week"),
                ("_count", "1000"),
                ("colour", "red"),
            ]),
        )
        .unwrap_err();
        let fields = err.fields();
        for f in ["patient", "code", "date", "_count", "colour"] {
            assert!(fields.contains_key(f), "{f}: {fields:?}");
        }
    }

    #[test]
    fn each_resource_searches_its_own_records_and_date() {
        let id = Uuid::now_v7().to_string();
        let meds = RecordSearch::parse(
            RecordResource::MedicationRequest,
            &pairs(&[("patient", &id), ("authoredon", "ge2026-01-01")]),
        )
        .unwrap();
        assert_eq!(
            meds.types,
            [RecordType::ArtRegimen, RecordType::Prescription]
        );
        assert!(meds.from.is_some());
        // Observation's parameters are not a Condition's.
        let err = RecordSearch::parse(
            RecordResource::Condition,
            &pairs(&[("patient", &id), ("code", "B20"), ("date", "2026-01-01")]),
        )
        .unwrap_err();
        assert!(err.fields().contains_key("code") && err.fields().contains_key("date"));
        for t in RecordType::ALL {
            let written = RecordResource::of(t);
            assert_eq!(written.is_none(), t == RecordType::Dispensing, "{t:?}");
        }
    }

    #[test]
    fn a_patient_search_takes_one_way_of_finding_them() {
        let s = PatientSearch::parse(&pairs(&[("identifier", "https://x|KSM-0000001")])).unwrap();
        assert_eq!(s.q.as_deref(), Some("KSM-0000001"));
        assert_eq!(PatientSearch::parse(&[]).unwrap().q, None);
        let err =
            PatientSearch::parse(&pairs(&[("name", "ami"), ("phone", "+254700")])).unwrap_err();
        assert!(err.fields().contains_key("name"));
        let err = PatientSearch::parse(&pairs(&[("birthdate", "1990")])).unwrap_err();
        assert!(err.fields().contains_key("birthdate"));
    }

    #[test]
    fn a_consent_search_needs_its_patient_and_everything_takes_the_path() {
        let id = Uuid::now_v7();
        assert!(PatientPaging::parse("Consent", None, &[]).is_err());
        let s =
            PatientPaging::parse("Consent", None, &pairs(&[("patient", &id.to_string())])).unwrap();
        assert_eq!(s.patient, id);
        let everything =
            PatientPaging::parse("$everything", Some(id), &pairs(&[("_count", "50")])).unwrap();
        assert_eq!((everything.patient, everything.page.per_page), (id, 50));
        let err =
            PatientPaging::parse("$everything", Some(id), &pairs(&[("patient", "x")])).unwrap_err();
        assert!(err.fields().contains_key("patient"));
    }
}
