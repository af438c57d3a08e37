//! Billing: the per-hospital table of visit fees (a CPT code and a fee per visit type), the
//! CPT record a completed visit leaves, and invoices with their payment status (ClinicHub's
//! rules, SPEC 2.7). Amounts are whole minor units (cents) of an ISO 4217 currency.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::appointment::{parse_bound, VisitType};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// The highest fee one visit may carry, in minor units.
pub const MAX_FEE_MINOR: i64 = 9_999_999_999;

/// What a visit type is billed as at a hospital.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VisitFee {
    pub visit_type: VisitType,
    pub cpt_code: String,
    pub description: String,
    /// In minor units of `currency` (cents).
    pub amount_minor: i64,
    pub currency: String,
}

/// The fee a hospital that has not set its own bills a visit type at.
pub fn default_fee(visit_type: VisitType) -> VisitFee {
    let (code, description, amount) = match visit_type {
        VisitType::NewPatient => ("99203", "Office or outpatient visit, new patient", 3500),
        VisitType::FollowUp => (
            "99213",
            "Office or outpatient visit, established patient",
            2500,
        ),
        VisitType::Refill => (
            "99212",
            "Brief office or outpatient visit, established patient",
            1500,
        ),
        VisitType::Counselling => ("99401", "Preventive counselling, about 15 minutes", 2000),
        VisitType::LabOnly => ("36415", "Collection of venous blood by venipuncture", 500),
    };
    VisitFee {
        visit_type,
        cpt_code: code.into(),
        description: description.into(),
        amount_minor: amount,
        currency: "USD".into(),
    }
}

/// One row of the fee table as the hospital admin sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitFeeInput {
    #[cfg_attr(feature = "server", schema(required = true, value_type = VisitType))]
    pub visit_type: Option<String>,
    /// Five characters: digits, or four digits and a letter (`99213`, `0001F`).
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::cpt_code))]
    pub cpt_code: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::fee_description))]
    pub description: Option<String>,
    /// A decimal amount in the currency's main unit: `25`, `25.5`, `1500.00`.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::fee_amount))]
    pub amount: Option<String>,
    /// ISO 4217, three letters (`KES`, `USD`).
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::currency))]
    pub currency: Option<String>,
}

impl VisitFeeInput {
    /// Parses the row, naming fields as `fees[<index>].<field>`.
    pub fn validate(&self, index: usize) -> Result<VisitFee, ErrorKind> {
        let mut e = Errors::new();
        let field = |name: &str| format!("fees[{index}].{name}");
        let visit_type = match self.visit_type.as_deref().map(str::trim) {
            None | Some("") => {
                e.add(&field("visit_type"), "is required");
                None
            }
            Some(raw) => {
                let parsed = VisitType::parse(raw);
                if parsed.is_none() {
                    e.add(
                        &field("visit_type"),
                        "must be one of new_patient, follow_up, refill, counselling, lab_only",
                    );
                }
                parsed
            }
        };
        let code = self
            .cpt_code
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        if !is_cpt_code(&code) {
            e.add(
                &field("cpt_code"),
                "must be a five-character CPT code such as 99213",
            );
        }
        let description =
            e.required_text(&field("description"), self.description.as_deref(), 2, 120);
        let amount = match self.amount.as_deref().map(str::trim) {
            None | Some("") => {
                e.add(&field("amount"), "is required");
                None
            }
            Some(raw) => {
                let parsed = parse_amount(raw);
                if parsed.is_none() {
                    e.add(
                        &field("amount"),
                        "must be an amount such as 25 or 1500.00 (at most two decimals, not negative)",
                    );
                }
                parsed
            }
        };
        let currency = self
            .currency
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        if !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())) {
            e.add(
                &field("currency"),
                "must be an ISO 4217 code of three letters such as KES",
            );
        }
        match (visit_type, amount) {
            (Some(visit_type), Some(amount_minor)) if e.is_empty() => Ok(VisitFee {
                visit_type,
                cpt_code: code,
                description,
                amount_minor,
                currency,
            }),
            _ => Err(e.into_kind()),
        }
    }
}

/// The whole fee table as the hospital admin sends it: one row per visit type it bills
/// differently from the default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeeTableInput {
    /// At most one row per visit type.
    #[cfg_attr(feature = "server", schema(max_items = 5))]
    pub fees: Vec<VisitFeeInput>,
}

impl FeeTableInput {
    pub fn validate(&self) -> Result<Vec<VisitFee>, ErrorKind> {
        let mut e = Errors::new();
        let mut fees = Vec::new();
        if self.fees.len() > VisitType::ALL.len() {
            e.add("fees", "has one row per visit type at most");
        }
        let mut seen = Vec::new();
        for (i, row) in self.fees.iter().enumerate().take(VisitType::ALL.len()) {
            if let Some(v) = row.visit_type.as_deref().and_then(VisitType::parse) {
                if seen.contains(&v) {
                    e.add(&format!("fees[{i}].visit_type"), "is listed twice");
                }
                seen.push(v);
            }
            match row.validate(i) {
                Ok(fee) => fees.push(fee),
                Err(err) => {
                    for (f, ms) in err.fields() {
                        for m in ms {
                            e.add(&f, m);
                        }
                    }
                }
            }
        }
        e.finish(|| fees)
    }
}

fn is_cpt_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4].is_ascii_alphanumeric()
}

/// `25`, `25.5`, `1500.00` -> minor units; negative, more than two decimals or too large: none.
pub fn parse_amount(raw: &str) -> Option<i64> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || (raw.contains('.') && fraction.is_empty())
        || whole.len() > 8
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse::<i64>().ok()?,
    };
    let minor = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    (minor <= MAX_FEE_MINOR).then_some(minor)
}

/// An amount as people read it: `KES 1,500.00`.
pub fn format_amount(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let whole = (minor / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{currency} {sign}{grouped}.{:02}", minor % 100)
}

/// The billing line a completed visit leaves: the CPT code and the fee in force then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CptRecord {
    pub cpt_id: Uuid,
    pub appointment_id: Uuid,
    pub cpt_code: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

/// Whether an invoice has been paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Unpaid,
    Paid,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Unpaid => "unpaid",
            InvoiceStatus::Paid => "paid",
        }
    }

    /// `paid` or `unpaid`; anything else is refused naming `field`.
    pub fn parse_field(field: &str, raw: Option<&str>) -> Result<Self, ErrorKind> {
        match raw.map(str::trim) {
            Some("paid") => Ok(InvoiceStatus::Paid),
            Some("unpaid") => Ok(InvoiceStatus::Unpaid),
            None | Some("") => Err(ErrorKind::invalid_field(field, "is required")),
            Some(_) => Err(ErrorKind::invalid_field(
                field,
                "must be `paid` or `unpaid`",
            )),
        }
    }
}

/// `POST /invoices`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvoiceInput {
    #[cfg_attr(feature = "server", schema(required = true, value_type = Uuid))]
    pub appointment_id: Option<String>,
}

impl InvoiceInput {
    pub fn validate(&self) -> Result<Uuid, ErrorKind> {
        match self.appointment_id.as_deref().map(str::trim) {
            None | Some("") => Err(ErrorKind::invalid_field("appointment_id", "is required")),
            Some(raw) => Uuid::parse_str(raw)
                .map_err(|_| ErrorKind::invalid_field("appointment_id", "must be an id (UUID)")),
        }
    }
}

/// `PUT /invoices/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvoiceUpdate {
    /// `paid` (sets `paid_at`) or `unpaid` (clears it).
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::invoice_status))]
    pub status: Option<String>,
}

/// An invoice: what the billing desk sees. Nothing clinical: no reason, notes or diagnosis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Invoice {
    pub invoice_id: Uuid,
    pub appointment_id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: Option<String>,
    pub cpt_id: Uuid,
    pub cpt_code: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: InvoiceStatus,
    pub paid_at: Option<DateTime<Utc>>,
    /// When the visit took place.
    pub visit_date: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The sums of the invoices a list matches, in one currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InvoiceTotals {
    pub currency: String,
    pub count: u64,
    pub invoiced_minor: i64,
    pub paid_minor: i64,
    pub outstanding_minor: i64,
}

/// A page of invoices with the totals of every invoice the filters match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePage {
    pub invoices: Vec<Invoice>,
    pub pagination: crate::domain::page::Pagination,
    /// One line per currency.
    pub totals: Vec<InvoiceTotals>,
}

/// A completed visit the billing desk has not invoiced yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillableVisit {
    pub appointment_id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: Option<String>,
    pub cpt_code: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    pub visit_date: DateTime<Utc>,
}

/// The billing desk's page: what to invoice, and the invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingDesk {
    pub to_invoice: Vec<BillableVisit>,
    pub invoices: InvoicePage,
}

/// The invoice list's query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
pub struct InvoiceQuery {
    /// `paid` or `unpaid`.
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::invoice_status_param))]
    pub status: Option<String>,
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::id_param))]
    pub patient_id: Option<String>,
    /// Visits on or after (a date or a date and time).
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::bound_param))]
    pub from: Option<String>,
    /// Visits before (a date includes the whole day).
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::bound_param))]
    pub to: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// The invoice list's filters, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    pub status: Option<InvoiceStatus>,
    pub patient_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl InvoiceQuery {
    pub fn parse(&self) -> Result<InvoiceFilter, ErrorKind> {
        let mut e = Errors::new();
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => None,
            raw => match InvoiceStatus::parse_field("status", raw) {
                Ok(s) => Some(s),
                Err(err) => {
                    e.add("status", err.field("status").concat());
                    None
                }
            },
        };
        let patient_id = match self.patient_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => {
                let parsed = Uuid::parse_str(raw).ok();
                if parsed.is_none() {
                    e.add("patient_id", "must be an id (UUID)");
                }
                parsed
            }
        };
        let mut bound = |field: &str, raw: &Option<String>, end_of_day: bool| {
            let raw = raw.as_deref().map(str::trim).filter(|r| !r.is_empty())?;
            let parsed = parse_bound(raw, end_of_day);
            if parsed.is_none() {
                e.add(
                    field,
                    "must be a date (2026-04-15) or an ISO-8601 date and time",
                );
            }
            parsed
        };
        let from = bound("from", &self.from, false);
        let to = bound("to", &self.to, true);
        e.finish(|| InvoiceFilter {
            status,
            patient_id,
            from,
            to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_cents() {
        assert_eq!(parse_amount("25"), Some(2500));
        assert_eq!(parse_amount("25.5"), Some(2550));
        assert_eq!(parse_amount("1500.00"), Some(150_000));
        assert_eq!(parse_amount("0.07"), Some(7));
        for bad in [
            "",
            "-1",
            "1.",
            "123456789",
            "1.234",
            "1,500",
            "abc",
            ".5",
            "1e3",
            "99999999999999",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        assert_eq!(format_amount(150_000, "KES"), "KES 1,500.00");
        assert_eq!(format_amount(7, "USD"), "USD 0.07");
        assert_eq!(format_amount(123_456_789, "USD"), "USD 1,234,567.89");
        assert_eq!(format_amount(-2500, "USD"), "USD -25.00");
    }

    #[test]
    fn every_visit_type_has_a_default_cpt_code() {
        for v in VisitType::ALL {
            let fee = default_fee(v);
            assert!(is_cpt_code(&fee.cpt_code), "{v:?}");
            assert!(fee.amount_minor > 0);
        }
    }

    #[test]
    fn a_fee_row_names_its_fields() {
        let err = FeeTableInput {
            fees: vec![
                VisitFeeInput {
                    visit_type: Some("refill".into()),
                    cpt_code: Some("99212".into()),
                    description: Some("Brief visit".into()),
                    amount: Some("1500".into()),
                    currency: Some("kes".into()),
                },
                VisitFeeInput {
                    visit_type: Some("refill".into()),
                    cpt_code: Some("9921".into()),
                    description: None,
                    amount: Some("-3".into()),
                    currency: Some("shillings".into()),
                },
            ],
        }
        .validate()
        .unwrap_err();
        for field in [
            "fees[1].visit_type",
            "fees[1].cpt_code",
            "fees[1].description",
            "fees[1].amount",
            "fees[1].currency",
        ] {
            assert_eq!(err.field(field).len(), 1, "{field}: {err:?}");
        }
        assert!(err.field("fees[0].currency").is_empty(), "kes is KES");
    }

    #[test]
    fn invoice_status_is_paid_or_unpaid() {
        assert_eq!(
            InvoiceStatus::parse_field("status", Some("paid")),
            Ok(InvoiceStatus::Paid)
        );
        assert_eq!(
            InvoiceStatus::parse_field("status", Some("unpaid")),
            Ok(InvoiceStatus::Unpaid)
        );
        for bad in [Some("refunded"), Some(""), None, Some("PAID")] {
            let err = InvoiceStatus::parse_field("status", bad).unwrap_err();
            assert_eq!(err.status(), 400);
            assert_eq!(err.field("status").len(), 1);
        }
        let err = InvoiceQuery {
            status: Some("void".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(err.field("status"), vec!["must be `paid` or `unpaid`"]);
    }
}
