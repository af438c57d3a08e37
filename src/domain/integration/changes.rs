//! The changes feed (`GET /sync/changes`): what changed since a cursor, oldest first, as far
//! as the caller's hospital may see it now.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::clinical::patient::Patient;
use crate::domain::clinical::record::ClinicalRecord;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// Changes a page carries when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 100;
/// The most a page carries.
pub const MAX_LIMIT: u64 = 1000;

/// The cursor after change `seq`. Opaque to callers: they send back what they were given.
pub fn cursor(seq: i64) -> String {
    format!("c{seq:x}")
}

/// The change number a cursor stands after; `None` for anything this server did not give.
pub fn parse_cursor(raw: &str) -> Option<i64> {
    let hex = raw.strip_prefix('c')?;
    if hex.is_empty() || hex.len() > 15 {
        return None;
    }
    i64::from_str_radix(hex, 16).ok().filter(|n| *n >= 0)
}

/// The query of `GET /sync/changes`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// The `next_cursor` of the previous page; from the beginning when omitted.
    #[cfg_attr(
        feature = "server",
        param(max_length = 16, pattern = "^c[0-9a-f]{1,15}$")
    )]
    pub since: Option<String>,
    /// Changes per page, 1-1000 (100 when omitted).
    #[cfg_attr(feature = "server", param(value_type = Option<u64>, minimum = 1, maximum = 1000))]
    pub limit: Option<String>,
}

impl ChangesQuery {
    /// The change number to read after, and the page size.
    pub fn parse(&self) -> Result<(i64, u64), ErrorKind> {
        let mut e = Errors::new();
        let since = match self.since.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(raw) => parse_cursor(raw).unwrap_or_else(|| {
                e.add(
                    "since",
                    "is not a cursor this server gave; send back a next_cursor",
                );
                0
            }),
        };
        let limit = match self.limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    e.add(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    );
                    DEFAULT_LIMIT
                }
            },
        };
        e.finish(|| (since, limit))
    }
}

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeEntity {
    /// A patient's profile (registered, edited, linked, removed).
    Patient,
    /// A clinical record (added, corrected, edited, deleted).
    Record,
}

impl ChangeEntity {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeEntity::Patient => "patient",
            ChangeEntity::Record => "record",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "patient" => Some(ChangeEntity::Patient),
            "record" => Some(ChangeEntity::Record),
            _ => None,
        }
    }
}

/// One change, with the thing as it is now. `deleted`: a tombstone (the record was deleted, or
/// the patient removed from the caller's hospital); nothing else is told of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Change {
    pub entity: ChangeEntity,
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The hospital that holds the record, or that changed the profile.
    pub hospital_id: Uuid,
    pub changed_at: DateTime<Utc>,
    pub deleted: bool,
    /// The caller's own id for it, when its hospital uploaded it by one.
    pub external_id: Option<String>,
    pub record: Option<ClinicalRecord>,
    pub patient: Option<Patient>,
}

/// A page of the feed. Read on with `since=next_cursor` while `has_more`; later, poll with the
/// last `next_cursor` for what comes next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    pub next_cursor: String,
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_nothing_else_does() {
        for seq in [0, 1, 255, i64::MAX >> 4] {
            assert_eq!(parse_cursor(&cursor(seq)), Some(seq));
        }
        for bad in ["", "c", "12", "cxyz", "c-1", "c1000000000000000"] {
            assert_eq!(parse_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_bad_cursor_or_limit_is_named() {
        let q = ChangesQuery {
            since: Some("yesterday".into()),
            limit: Some("5000".into()),
        };
        let ErrorKind::Invalid { fields, .. } = q.parse().unwrap_err() else {
            panic!("a validation error");
        };
        assert!(fields.contains_key("since") && fields.contains_key("limit"));
        let q = ChangesQuery {
            since: Some(cursor(42)),
            limit: None,
        };
        assert_eq!(q.parse().unwrap(), (42, DEFAULT_LIMIT));
    }
}
