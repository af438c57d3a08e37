//! The FHIR R4 API's own documents: the CapabilityStatement, searchset Bundles with paging
//! links, OperationOutcome errors, and references rewritten from Bundle URNs to REST addresses.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::search::RecordResource;
use super::{full_url, FHIR_VERSION};
use crate::domain::page::PageRequest;
use crate::domain::ErrorKind;

/// What the API serves, for `GET /fhir/r4/metadata`.
pub fn capability_statement(base: &str, software_version: &str, now: DateTime<Utc>) -> Value {
    let param = |name: &str, kind: &str| json!({ "name": name, "type": kind });
    let mut resources = vec![json!({
        "type": "Patient",
        "interaction": [{ "code": "read" }, { "code": "search-type" }],
        "searchParam": [
            param("name", "string"),
            param("identifier", "token"),
            param("phone", "token"),
            param("email", "token"),
            param("_count", "number")
        ],
        "operation": [{
            "name": "everything",
            "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"
        }]
    })];
    for r in RecordResource::ALL {
        let mut interactions = vec![json!({ "code": "read" }), json!({ "code": "search-type" })];
        let mut entry = json!({ "type": r.name() });
        if r == RecordResource::Observation {
            interactions.push(json!({ "code": "create" }));
            entry["conditionalCreate"] = json!(true);
        }
        entry["interaction"] = Value::Array(interactions);
        let mut params = vec![param("patient", "reference")];
        if let Some(date) = r.date_param() {
            params.push(param(date, "date"));
        }
        if r == RecordResource::Observation {
            params.push(param("code", "token"));
        }
        params.push(param("_count", "number"));
        entry["searchParam"] = Value::Array(params);
        resources.push(entry);
    }
    resources.push(json!({
        "type": "Consent",
        "interaction": [{ "code": "read" }, { "code": "search-type" }],
        "searchParam": [param("patient", "reference"), param("_count", "number")]
    }));
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
            "resource": resources
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capability_statement_names_every_resource_served() {
        let c = capability_statement("https://x/fhir/r4", "1", chrono::Utc::now());
        let types: Vec<&str> = c["rest"][0]["resource"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "Patient",
                "Observation",
                "MedicationRequest",
                "Condition",
                "AllergyIntolerance",
                "Consent"
            ]
        );
        let observation = &c["rest"][0]["resource"][1];
        assert_eq!(observation["conditionalCreate"], true);
        assert_eq!(
            c["rest"][0]["resource"][2]["searchParam"][1]["name"],
            "authoredon"
        );
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
