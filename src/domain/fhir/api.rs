//! The FHIR R4 API's own documents: the CapabilityStatement, searchset Bundles with paging
//! links, OperationOutcome errors, references rewritten from Bundle URNs to REST addresses, and
//! the parameters of an Observation search.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{full_url, FHIR_VERSION, LOINC, LOINC_CD4, LOINC_VIRAL_LOAD};
use crate::domain::clinical::record::RecordType;
use crate::domain::page::PageRequest;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// LOINC of the vital signs panel the vital-sign records are written as.
const LOINC_VITALS: &str = "85353-1";

/// What the API serves, for `GET /fhir/r4/metadata`.
pub fn capability_statement(base: &str, software_version: &str, now: DateTime<Utc>) -> Value {
    let search = |name: &str, kind: &str| json!({ "name": name, "type": kind });
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": super::resources::instant(now),
        "kind": "instance",
        "software": { "name": "HospitalLink", "version": software_version },
        "implementation": { "description": "HospitalLink FHIR R4 API", "url": base },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": "Every read passes the patient's consent and is audited; answers are labelled confidentiality V.",
            "security": {
                "service": [{ "text": "OAuth2 bearer tokens (client credentials for integration clients)" }]
            },
            "resource": [
                { "type": "Patient", "interaction": [{ "code": "read" }] },
                {
                    "type": "Observation",
                    "interaction": [{ "code": "search-type" }],
                    "searchParam": [
                        search("patient", "reference"),
                        search("code", "token"),
                        search("date", "date"),
                        search("_count", "number")
                    ]
                }
            ]
        }]
    })
}

/// An error as an OperationOutcome (its HTTP status is the error's).
pub fn operation_outcome(error: &ErrorKind) -> Value {
    let code = match error.status() {
        400 => "invalid",
        401 => "login",
        403 => "forbidden",
        404 => "not-found",
        409 => "conflict",
        413 => "too-costly",
        415 => "not-supported",
        429 => "throttled",
        _ => "exception",
    };
    let mut issues: Vec<Value> = error
        .fields()
        .iter()
        .flat_map(|(field, messages)| {
            messages.iter().map(move |m| {
                json!({ "severity": "error", "code": code, "diagnostics": format!("{field}: {m}"), "expression": [field] })
            })
        })
        .collect();
    if issues.is_empty() {
        issues.push(json!({ "severity": "error", "code": code, "diagnostics": error.message() }));
    }
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}

/// Rewrites the Bundle URNs of `resource`'s references to REST addresses
/// (`urn:uuid:{id}` to `Patient/{id}`, `Organization/{id}`, ...), for the objects named in
/// `addresses` (id, resource type).
pub fn rest_references(resource: &mut Value, addresses: &[(Uuid, &str)]) {
    match resource {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "reference" {
                    if let Some(text) = value.as_str() {
                        if let Some((id, kind)) =
                            addresses.iter().find(|(id, _)| full_url(*id) == text)
                        {
                            *value = json!(format!("{kind}/{id}"));
                        }
                    }
                } else {
                    rest_references(value, addresses);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rest_references(v, addresses)),
        _ => {}
    }
}

/// A searchset Bundle: `entries` (already rewritten for REST), the total, and the paging links
/// built on `self_url` (the search's address without `_page`).
pub fn searchset(
    base: &str,
    self_url: &str,
    total: u64,
    page: PageRequest,
    entries: Vec<Value>,
) -> Value {
    let link = |relation: &str, n: u64| {
        let sep = if self_url.contains('?') { '&' } else { '?' };
        json!({ "relation": relation, "url": format!("{self_url}{sep}_page={n}") })
    };
    let mut links = vec![link("self", page.page)];
    if page.offset() + page.per_page < total {
        links.push(link("next", page.page + 1));
    }
    if page.page > 1 {
        links.push(link("previous", page.page - 1));
    }
    let entry: Vec<Value> = entries
        .into_iter()
        .map(|resource| {
            let url = format!(
                "{base}/{}/{}",
                resource["resourceType"].as_str().unwrap_or_default(),
                resource["id"].as_str().unwrap_or_default()
            );
            json!({ "fullUrl": url, "resource": resource, "search": { "mode": "match" } })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entry
    })
}

/// `GET /fhir/r4/Observation?patient=...&code=...&date=...&_count=...&_page=...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservationSearch {
    pub patient: Uuid,
    /// The record types asked for (all observation types when no code is given).
    pub types: Vec<RecordType>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub page: PageRequest,
}

/// The record types written as Observations.
pub const OBSERVATION_TYPES: [RecordType; 5] = [
    RecordType::ViralLoad,
    RecordType::Cd4,
    RecordType::VitalSigns,
    RecordType::LabResult,
    RecordType::AdherenceNote,
];

/// A date parameter's bound: `ge2026-01-01` and `gt`, `le`, `lt`, `eq` (a day or an instant).
fn date_bound(
    e: &mut Errors,
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
            "date",
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

impl ObservationSearch {
    /// Reads the query's pairs; unknown parameters are refused by name (`_format` is allowed).
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ErrorKind> {
        let mut e = Errors::new();
        let mut patient = None;
        let mut types = OBSERVATION_TYPES.to_vec();
        let (mut from, mut to) = (None, None);
        let (mut count, mut page) = (None, None);
        for (key, value) in pairs {
            let value = value.trim();
            match key.as_str() {
                "patient" | "subject" => {
                    let id = value.strip_prefix("Patient/").unwrap_or(value);
                    match Uuid::parse_str(id) {
                        Ok(id) => patient = Some(id),
                        Err(_) => e.add("patient", "must be a patient id (or Patient/{id})"),
                    }
                }
                "code" => {
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
                "date" => date_bound(&mut e, value, &mut from, &mut to),
                "_count" => count = Some(value.to_string()),
                "_page" => page = Some(value.to_string()),
                "_format" => {}
                other => e.add(other, "is not a search parameter of Observation here"),
            }
        }
        if patient.is_none() {
            e.add("patient", "is required: whose observations");
        }
        let page = match PageRequest::parse(page.as_deref(), count.as_deref()) {
            Ok(p) => p,
            Err(err) => {
                for (field, messages) in err.fields() {
                    let name = if field == "page" { "_page" } else { "_count" };
                    for m in messages {
                        e.add(name, m);
                    }
                }
                PageRequest::parse(None, None)?
            }
        };
        e.finish(|| ObservationSearch {
            patient: patient.unwrap_or_default(),
            types,
            from,
            to,
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
        let s = ObservationSearch::parse(&pairs(&[
            ("patient", &format!("Patient/{id}")),
            ("code", "http://loinc.org|25836-8"),
            ("date", "ge2026-01-01"),
            ("date", "lt2026-07-01"),
            ("_count", "2"),
        ]))
        .unwrap();
        assert_eq!(s.patient, id);
        assert_eq!(s.types, vec![RecordType::ViralLoad]);
        assert_eq!(s.from.unwrap().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(s.to.unwrap().to_rfc3339(), "2026-07-01T00:00:00+00:00");
        assert_eq!((s.page.page, s.page.per_page), (1, 2));
        let day = ObservationSearch::parse(&pairs(&[
            ("patient", &id.to_string()),
            ("date", "2026-07-12"),
        ]))
        .unwrap();
        assert_eq!(
            day.to.unwrap() - day.from.unwrap(),
            chrono::Duration::days(1)
        );
        assert_eq!(day.types, OBSERVATION_TYPES.to_vec());

        let err = ObservationSearch::parse(&pairs(&[
            ("code", "1234-5"),
            ("date", "last week"),
            ("_count", "1000"),
            ("colour", "red"),
        ]))
        .unwrap_err();
        let fields = err.fields();
        for f in ["patient", "code", "date", "_count", "colour"] {
            assert!(fields.contains_key(f), "{f}: {fields:?}");
        }
    }

    #[test]
    fn pages_link_to_their_neighbours_and_errors_are_outcomes() {
        let page = PageRequest::parse(Some("2"), Some("1")).unwrap();
        let b = searchset(
            "https://x/fhir/r4",
            "https://x/fhir/r4/Observation?patient=p",
            3,
            page,
            vec![],
        );
        let relations: Vec<&str> = b["link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["relation"].as_str().unwrap())
            .collect();
        assert_eq!(relations, ["self", "next", "previous"]);
        assert!(b["link"][1]["url"].as_str().unwrap().ends_with("&_page=3"));
        let last = searchset(
            "b",
            "b/Observation?patient=p",
            3,
            PageRequest::parse(Some("3"), Some("1")).unwrap(),
            vec![],
        );
        assert_eq!(last["link"].as_array().unwrap().len(), 2, "no next page");

        let outcome = operation_outcome(&ErrorKind::invalid_field("date", "must be a day"));
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        assert_eq!(outcome["issue"][0]["code"], "invalid");
        assert_eq!(outcome["issue"][0]["expression"][0], "date");
        assert_eq!(
            operation_outcome(&ErrorKind::not_found("patient"))["issue"][0]["code"],
            "not-found"
        );
    }

    #[test]
    fn references_point_at_rest_addresses() {
        let (p, h) = (Uuid::now_v7(), Uuid::now_v7());
        let mut r = json!({"subject": super::super::reference(p), "performer": [super::super::reference(h)]});
        rest_references(&mut r, &[(p, "Patient"), (h, "Organization")]);
        assert_eq!(r["subject"]["reference"], format!("Patient/{p}"));
        assert_eq!(r["performer"][0]["reference"], format!("Organization/{h}"));
    }
}
