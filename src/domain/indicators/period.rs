//! The reporting period: two dates, both included, the start not after the end, at most a
//! year and a day long, not in the future.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// The longest period a report covers (a leap year plus a day of slack).
pub const MAX_PERIOD_DAYS: i64 = 367;

/// The earliest year a period may start in.
pub const FIRST_YEAR: i32 = 1900;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

fn date(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.add(field, "is required (YYYY-MM-DD)");
            None
        }
        Some(raw) => match raw.parse::<NaiveDate>() {
            // Signed and five-digit years parse too; no database stores them alike.
            Ok(d) if !(FIRST_YEAR..=9999).contains(&d.year()) => {
                errors.add(
                    field,
                    format!("must be a date from {FIRST_YEAR} on (YYYY-MM-DD)"),
                );
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.add(field, "must be a date (YYYY-MM-DD)");
                None
            }
        },
    }
}

impl Period {
    /// Reads `period_start` and `period_end`; `today` bounds the end.
    pub fn parse(
        start: Option<&str>,
        end: Option<&str>,
        today: NaiveDate,
    ) -> Result<Period, ErrorKind> {
        let mut errors = Errors::new();
        let s = date(&mut errors, "period_start", start);
        let e = date(&mut errors, "period_end", end);
        if let (Some(s), Some(e)) = (s, e) {
            if s > e {
                errors.add("period_end", "must not be before period_start");
            } else if (e - s).num_days() >= MAX_PERIOD_DAYS {
                errors.add(
                    "period_end",
                    format!("the period may be at most {MAX_PERIOD_DAYS} days long"),
                );
            }
            if e > today {
                errors.add("period_end", "must not be in the future");
            }
        }
        errors.finish(|| Period {
            start: s.unwrap_or(today),
            end: e.unwrap_or(today),
        })
    }

    /// As `parse`, with the last whole quarter when neither date is given.
    pub fn parse_or_last_quarter(
        start: Option<&str>,
        end: Option<&str>,
        today: NaiveDate,
    ) -> Result<Period, ErrorKind> {
        let blank = |v: Option<&str>| v.is_none_or(|v| v.trim().is_empty());
        if blank(start) && blank(end) {
            return Ok(Period::last_quarter(today));
        }
        Period::parse(start, end, today)
    }

    /// The quarter that ended last before `today` (the default the dashboard opens with).
    pub fn last_quarter(today: NaiveDate) -> Period {
        use chrono::Datelike;
        let q = (today.month0() / 3) as i32;
        let (year, q) = if q == 0 {
            (today.year() - 1, 3)
        } else {
            (today.year(), q - 1)
        };
        let start = NaiveDate::from_ymd_opt(year, (q * 3 + 1) as u32, 1).unwrap_or(today);
        let end = start
            .checked_add_months(chrono::Months::new(3))
            .and_then(|d| d.pred_opt())
            .unwrap_or(today);
        Period { start, end }
    }

    /// Whether the period is exactly one calendar quarter (1 January to 31 March, 1 April to
    /// 30 June, 1 July to 30 September, 1 October to 31 December).
    pub fn is_whole_quarter(&self) -> bool {
        let quarter_end = self
            .start
            .checked_add_months(chrono::Months::new(3))
            .and_then(|d| d.pred_opt());
        self.start.day() == 1
            && self.start.month0().is_multiple_of(3)
            && quarter_end == Some(self.end)
    }

    /// The period as the network view reads it: one whole calendar quarter. Two periods it
    /// reports are then the same or apart, so no number hidden as small can be had by
    /// subtracting one report from another of a period a few days longer.
    pub fn whole_quarter(self) -> Result<Period, ErrorKind> {
        if self.is_whole_quarter() {
            Ok(self)
        } else {
            Err(ErrorKind::invalid_field(
                "period_start",
                "the network view reads one whole calendar quarter, such as 2026-01-01 to 2026-03-31",
            ))
        }
    }

    /// `1 July 2025 to 30 September 2025`.
    pub fn describe(&self) -> String {
        format!(
            "{} to {}",
            crate::domain::cds::long_date(self.start),
            crate::domain::cds::long_date(self.end)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_is_checked_field_by_field() {
        let today = d("2026-12-01");
        let p = Period::parse(Some("2026-07-01"), Some("2026-09-30"), today).unwrap();
        assert_eq!((p.start, p.end), (d("2026-07-01"), d("2026-09-30")));
        let e = Period::parse(None, Some("x"), today).unwrap_err();
        assert_eq!(e.field("period_start").len(), 1, "{e:?}");
        assert_eq!(e.field("period_end").len(), 1, "{e:?}");
        let e = Period::parse(Some("2026-09-30"), Some("2026-07-01"), today).unwrap_err();
        assert_eq!(e.field("period_end").len(), 1);
        let e = Period::parse(Some("2024-01-01"), Some("2026-01-01"), today).unwrap_err();
        assert!(e.field("period_end")[0].contains("at most"));
        let e = Period::parse(Some("2026-11-01"), Some("2026-12-31"), today).unwrap_err();
        assert!(e.field("period_end")[0].contains("future"));
        // Years a database cannot hold are refused, naming the field.
        let e = Period::parse(Some("-5000-06-01"), Some("-5000-12-31"), today).unwrap_err();
        assert!(e.field("period_start")[0].contains("from 1900"), "{e:?}");
        assert!(e.field("period_end")[0].contains("from 1900"), "{e:?}");
        let e = Period::parse(Some("1899-12-31"), Some("2026-07-01"), today).unwrap_err();
        assert_eq!(e.field("period_start").len(), 1, "{e:?}");
        // A whole leap year is allowed.
        assert!(Period::parse(Some("2024-01-01"), Some("2024-12-31"), today).is_ok());
    }

    #[test]
    fn the_network_view_reads_whole_quarters_only() {
        let today = d("2026-12-01");
        for (start, end) in [
            ("2025-01-01", "2025-03-31"),
            ("2024-04-01", "2024-06-30"),
            ("2026-07-01", "2026-09-30"),
            ("2025-10-01", "2025-12-31"),
        ] {
            let p = Period::parse(Some(start), Some(end), today).unwrap();
            assert_eq!(p.whole_quarter(), Ok(p), "{start} to {end}");
        }
        for (start, end) in [
            ("2025-01-01", "2025-03-30"),
            ("2025-01-02", "2025-03-31"),
            ("2025-02-01", "2025-04-30"),
            ("2025-01-01", "2025-06-30"),
            ("2025-01-01", "2025-12-31"),
            ("2025-07-01", "2025-07-31"),
        ] {
            let p = Period::parse(Some(start), Some(end), today).unwrap();
            let e = p.whole_quarter().unwrap_err();
            assert!(
                e.field("period_start")[0].contains("quarter"),
                "{start} to {end}"
            );
        }
        assert!(Period::last_quarter(today).is_whole_quarter());
    }

    #[test]
    fn the_default_is_the_last_whole_quarter() {
        assert_eq!(
            Period::last_quarter(d("2026-12-01")),
            Period {
                start: d("2026-07-01"),
                end: d("2026-09-30")
            }
        );
        assert_eq!(
            Period::last_quarter(d("2026-02-10")),
            Period {
                start: d("2025-10-01"),
                end: d("2025-12-31")
            }
        );
    }
}
