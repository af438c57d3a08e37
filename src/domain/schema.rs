//! The API document's schemas for request fields whose rules a plain Rust type cannot state:
//! the lengths, patterns, formats and choices the validators apply, written from the same
//! constants, so that a request the document calls valid passes validation and one it calls
//! invalid does not. Server only (the document is served by the server).
//!
//! Text is trimmed before it is checked (Rust's `char::is_whitespace`) and may not contain
//! control characters inside; the patterns below spell that out.

use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::{Object, RefOr, Schema};

use super::identity::auth::{OtpRequest, OtpVerifyRequest};

use super::clinical::patient::SEXES;
use super::identity::role::Role;
use super::platform::hospital::COUNTRIES;

/// What `str::trim` removes (the Unicode `White_Space` characters).
const SPACE: &str = r"[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// A visible character: neither white space nor a control character.
const VISIBLE: &str = r"[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// Any character but a control character.
const PLAIN: &str = r"[^\x00-\x1F\x7F-\x9F]";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// A string of an optional field: `null` means absent too.
fn optional_string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

/// Text of `min` to `max` characters once trimmed (lengths stated in the pattern, since
/// `maxLength` would count the white space the server trims away).
fn text(min: usize, max: usize) -> Object {
    let body = match min {
        0 | 1 => format!("{VISIBLE}(?:{PLAIN}{{0,{}}}{VISIBLE})?", max - 2),
        n => format!("{VISIBLE}{PLAIN}{{{},{}}}{VISIBLE}", n - 2, max - 2),
    };
    string()
        .pattern(Some(format!("^{SPACE}*{body}{SPACE}*$")))
        .description(Some(format!(
            "{min}-{max} characters once trimmed, no control characters."
        )))
        .build()
}

/// Optional text: blank or `null` means absent; otherwise at most `max` characters.
fn optional_text(max: usize) -> Object {
    optional_string()
        .pattern(Some(format!(
            "^{SPACE}*(?:{VISIBLE}(?:{PLAIN}{{0,{}}}{VISIBLE})?)?{SPACE}*$",
            max - 2
        )))
        .description(Some(format!(
            "At most {max} characters once trimmed, no control characters; blank for none."
        )))
        .build()
}

/// A person's first or last name: 1-100 characters.
pub fn name() -> Object {
    text(1, 100)
}

/// A display name of a staff account: 1-200 characters.
pub fn display_name() -> Object {
    text(1, 200)
}

/// A hospital's name: 2-200 characters.
pub fn hospital_name() -> Object {
    text(2, 200)
}

/// A postal address (optional): up to 500 characters.
pub fn address() -> Object {
    optional_text(500)
}

/// An emergency contact's name (optional): up to 200 characters.
pub fn contact_name() -> Object {
    optional_text(200)
}

/// What an attached document is (optional): up to 200 characters.
pub fn document_description() -> Object {
    optional_text(200)
}

/// Why a clinician opens a record in an emergency: a sentence of four words or more, 20-1000
/// characters (written here without surrounding white space; the server also trims it).
pub fn break_glass_reason() -> Object {
    string()
        .min_length(Some(20))
        .max_length(Some(1000))
        .pattern(Some(format!("^{VISIBLE}+(?: {VISIBLE}+){{3,}}$")))
        .description(Some(
            "At least a sentence: 20-1000 characters, four words or more.",
        ))
        .build()
}

/// A reviewer's note (optional): up to 1000 characters.
pub fn review_note() -> Object {
    optional_text(1000)
}

/// Why something is removed: 10-500 characters.
pub fn justification() -> Object {
    text(10, 500)
}

/// An email address (required where used).
pub fn email() -> Object {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .description(Some("At most 254 characters once trimmed."))
        .build()
}

/// An optional email address: blank means absent.
pub fn optional_email() -> Schema {
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(email())
            .item(blank())
            .description(Some("An email address, or blank for none."))
            .build(),
    )
}

/// Nothing but white space: the value of an optional field left empty.
fn blank() -> Object {
    optional_string()
        .pattern(Some(format!("^{SPACE}*$")))
        .build()
}

/// The separators a phone number may contain between its digits.
const PHONE_SEPARATORS: &str = r"[ +().-]";

fn phone_body() -> String {
    format!(r"\+{PHONE_SEPARATORS}*(?:[0-9]{PHONE_SEPARATORS}*){{8,15}}")
}

/// A phone number in international form: `+`, then 8-15 digits with spaces, dots, hyphens
/// or brackets between them.
pub fn phone() -> Object {
    string()
        .pattern(Some(format!("^{SPACE}*{}{SPACE}*$", phone_body())))
        .description(Some(
            "International format starting with +, e.g. +254 700 100 001.",
        ))
        .build()
}

/// An optional phone number: blank means absent.
pub fn optional_phone() -> Object {
    optional_string()
        .pattern(Some(format!("^{SPACE}*(?:{})?{SPACE}*$", phone_body())))
        .description(Some(
            "International format starting with +, e.g. +254 700 100 001; blank for none.",
        ))
        .build()
}

/// A 6-digit one-time code; white space anywhere is ignored.
pub fn six_digit_code() -> Object {
    string()
        .pattern(Some(format!("^{SPACE}*(?:[0-9]{SPACE}*){{6}}$")))
        .build()
}

/// A secret the server issued (a token or a code): any text with a visible character.
pub fn secret() -> Object {
    string().pattern(Some(VISIBLE_ANYWHERE)).build()
}

/// Text that is not blank (an unanchored pattern: one visible character somewhere).
const VISIBLE_ANYWHERE: &str =
    r"[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// A password typed to sign in: not empty.
pub fn password() -> Object {
    string()
        .min_length(Some(1))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .build()
}

/// A new password: 12-128 characters (the most common passwords are refused).
pub fn new_password() -> Object {
    string()
        .min_length(Some(12))
        .max_length(Some(128))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .build()
}

/// A date of birth: `YYYY-MM-DD`, from 1900 to today.
pub fn date_of_birth() -> Object {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .description(Some("YYYY-MM-DD, from 1900-01-01 to today."))
        .build()
}

/// A clinical time: RFC 3339 or `YYYY-MM-DD`, not in the future.
pub fn clinical_time() -> Schema {
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
            .description(Some("RFC 3339 or YYYY-MM-DD, not in the future."))
            .build(),
    )
}

/// A moment: RFC 3339 or `YYYY-MM-DD`; `null`, blank or absent for none.
pub fn moment() -> Schema {
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(string().pattern(Some(format!("^{SPACE}*$"))))
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
            .build(),
    )
}

/// The reason for a visit (optional): up to 200 characters.
pub fn visit_reason() -> Object {
    optional_text(crate::domain::scheduling::appointment::REASON_MAX)
}

/// Notes on a booking (optional): up to 2000 characters.
pub fn visit_notes() -> Object {
    optional_text(crate::domain::scheduling::appointment::NOTES_MAX)
}

/// A new appointment's status: `scheduled`, or nothing.
pub fn new_appointment_status() -> Object {
    optional_string()
        .enum_values(Some([
            serde_json::Value::from("scheduled"),
            serde_json::Value::Null,
        ]))
        .build()
}

/// The status an update sets (cancelling is `DELETE`), or `null` to keep it.
pub fn appointment_status_change() -> Object {
    optional_string()
        .enum_values(Some(
            ["scheduled", "checked_in", "completed", "no_show"]
                .into_iter()
                .map(serde_json::Value::from)
                .chain([serde_json::Value::Null]),
        ))
        .build()
}

/// A visit type, or `null` for the default (or to keep it).
pub fn visit_type() -> Object {
    use crate::domain::scheduling::appointment::VisitType;
    optional_string()
        .enum_values(Some(
            VisitType::ALL
                .iter()
                .map(|v| serde_json::Value::from(v.as_str()))
                .chain([serde_json::Value::Null]),
        ))
        .build()
}

/// An appointment's time: an RFC 3339 date and time (UTC when it carries no offset).
pub fn appointment_time() -> Object {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some(
            "ISO-8601 date and time, UTC when it carries no offset; from 2000 to 2100.",
        ))
        .build()
}

/// An appointment's new time, or `null` to keep it.
pub fn optional_appointment_time() -> Object {
    optional_string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .build()
}

/// An id (UUID), or `null`.
pub fn optional_id() -> Object {
    optional_string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .build()
}

/// A five-character CPT code: four digits and a digit or letter.
pub fn cpt_code() -> Object {
    string()
        .pattern(Some(format!(r"^{SPACE}*[0-9]{{4}}[0-9A-Za-z]{SPACE}*$")))
        .build()
}

/// An amount in the currency's main unit: up to 8 digits and 2 decimals, not negative.
pub fn fee_amount() -> Object {
    string()
        .pattern(Some(format!(
            r"^{SPACE}*[0-9]{{1,8}}(?:\.[0-9]{{1,2}})?{SPACE}*$"
        )))
        .build()
}

/// An ISO 4217 currency code (three letters).
pub fn currency() -> Object {
    string()
        .pattern(Some(format!(r"^{SPACE}*[A-Za-z]{{3}}{SPACE}*$")))
        .build()
}

/// What a fee line is called: 2-120 characters.
pub fn fee_description() -> Object {
    text(2, 120)
}

/// A time zone of the tz database (`Africa/Nairobi`), or `null` to keep it.
pub fn timezone() -> Object {
    optional_string()
        .pattern(Some(format!(
            r"^{SPACE}*[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){{0,2}}{SPACE}*$"
        )))
        .description(Some("A tz database name such as Africa/Nairobi."))
        .build()
}

/// A list's optional query value: blank (or left out) for none, else `schema`. Query values
/// have no `null`; the server trims them.
fn blank_or(schema: Object) -> Schema {
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(string().pattern(Some(format!("^{SPACE}*$"))))
            .item(schema)
            .build(),
    )
}

/// A list filter's bound: a date and time or a date; blank for none.
pub fn bound_param() -> Schema {
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(string().pattern(Some(format!("^{SPACE}*$"))))
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
            .build(),
    )
}

/// An id to filter by; blank for none.
pub fn id_param() -> Schema {
    blank_or(
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .build(),
    )
}

fn choice_param(choices: &[&str]) -> Object {
    let escaped: Vec<String> = choices
        .iter()
        .map(|c| {
            c.chars()
                .map(|ch| match ch {
                    '+' | '*' | '?' | '.' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$'
                    | '\\' => format!("\\{ch}"),
                    _ => ch.to_string(),
                })
                .collect()
        })
        .collect();
    string()
        .pattern(Some(format!(
            "^{SPACE}*(?:{})?{SPACE}*$",
            escaped.join("|")
        )))
        .build()
}

/// A day (`YYYY-MM-DD`); blank for none.
pub fn date_param() -> Schema {
    blank_or(
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .build(),
    )
}

/// A MER age band to narrow a list to (`<1`, `1-4`, ... `65+`, `unknown`); blank for all.
pub fn age_band_param() -> Object {
    use crate::domain::indicators::report::AgeBand;
    choice_param(&AgeBand::ALL.map(AgeBand::as_str))
}

/// `female`, `male` or `unknown`; blank for all.
pub fn sex_group_param() -> Object {
    use crate::domain::indicators::report::SexGroup;
    choice_param(&SexGroup::ALL.map(SexGroup::as_str))
}

/// One of TX_ML's outcomes; blank for all.
pub fn ml_outcome_param() -> Object {
    use crate::domain::indicators::cohort::MlOutcome;
    choice_param(&MlOutcome::ALL.map(MlOutcome::as_str))
}

/// An appointment status to filter by; blank for all.
pub fn appointment_status_param() -> Object {
    choice_param(&[
        "scheduled",
        "checked_in",
        "completed",
        "cancelled",
        "no_show",
    ])
}

/// An invoice status to filter by; blank for all.
pub fn invoice_status_param() -> Object {
    choice_param(&["paid", "unpaid"])
}

/// A message status to filter by; blank for all.
pub fn message_status_param() -> Object {
    choice_param(&crate::domain::platform::outbox::STATUSES)
}

/// `paid` or `unpaid`.
pub fn invoice_status() -> Object {
    string().enum_values(Some(["paid", "unpaid"])).build()
}

/// A reminder channel: `sms`, `email` or `none`; `null` keeps the stored one.
pub fn reminder_channel() -> Object {
    optional_string()
        .pattern(Some(format!(r"^{SPACE}*(?:sms|email|none){SPACE}*$")))
        .build()
}

/// A local clock time `HH:MM`; blank removes the quiet hours, `null` keeps them.
pub fn clock_time() -> Object {
    optional_string()
        .pattern(Some(format!(
            r"^{SPACE}*(?:(?:[01][0-9]|2[0-3]):[0-5][0-9])?{SPACE}*$"
        )))
        .build()
}

/// Why a prescriber goes ahead despite a severe interaction: blank or `null` for none, else
/// at most 1000 characters.
pub fn override_reason() -> Object {
    optional_text(crate::domain::clinical::record::OVERRIDE_REASON_MAX)
}

/// A decision-support rule set (`who`, `kenya`); `null` keeps the current one.
pub fn rule_set() -> Object {
    optional_string()
        .pattern(Some(format!(
            r"^{SPACE}*(?:{}){SPACE}*$",
            crate::domain::cds::RuleSet::IDS.join("|")
        )))
        .description(Some(
            "The decision-support rule set: who (default) or kenya.",
        ))
        .build()
}

/// A worklist name; blank or `null` for `iit`.
pub fn worklist_name() -> Object {
    optional_string()
        .pattern(Some(format!(
            r"^{SPACE}*(?:vl_due|unsuppressed|iit|ahd)?{SPACE}*$"
        )))
        .build()
}

/// A tracing outcome (the WHO HIV DAK follow-up codes).
pub fn tracing_outcome() -> Object {
    let names: Vec<&str> = crate::domain::cds::retention::TracingOutcome::ALL
        .iter()
        .map(|o| o.as_str())
        .collect();
    string()
        .pattern(Some(format!(r"^{SPACE}*(?:{}){SPACE}*$", names.join("|"))))
        .build()
}

/// A day a tracing outcome was learnt: `YYYY-MM-DD`, from 1980 to today; blank or `null` for
/// today.
pub fn tracing_date() -> Schema {
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(string().pattern(Some(format!("^{SPACE}*$"))))
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
            .description(Some("YYYY-MM-DD, from 1980 to today; blank for today."))
            .build(),
    )
}

/// How a patient was reached: `phone`, `sms`, `home_visit`; blank or `null` for unknown.
pub fn contact_method() -> Object {
    optional_string()
        .pattern(Some(format!(
            r"^{SPACE}*(?:phone|sms|home_visit)?{SPACE}*$"
        )))
        .build()
}

/// A tracing note: at most 1000 characters; blank or `null` for none.
pub fn tracing_note() -> Object {
    optional_text(crate::domain::cds::worklist::TRACING_NOTE_MAX)
}

/// A portal language, `en`, `sw`, `fr` or `pt`; blank for the browser's, `null` keeps it.
pub fn language() -> Object {
    optional_string()
        .pattern(Some(format!(r"^{SPACE}*(?:en|sw|fr|pt)?{SPACE}*$")))
        .build()
}

/// `male`, `female`, `other` or `prefer_not_to_say`.
pub fn sex() -> Object {
    string().enum_values(Some(SEXES)).build()
}

/// A national identifier: 4-32 letters or digits once other characters are dropped.
pub fn national_id() -> Object {
    string()
        .pattern(Some(r"^[^A-Za-z0-9]*(?:[A-Za-z0-9][^A-Za-z0-9]*){4,32}$"))
        .build()
}

/// An optional national identifier: blank means absent.
pub fn optional_national_id() -> Object {
    optional_string()
        .pattern(Some(format!(
            r"^(?:{SPACE}*|[^A-Za-z0-9]*(?:[A-Za-z0-9][^A-Za-z0-9]*){{4,32}})$"
        )))
        .build()
}

/// A medical record number (optional): 1-40 letters, digits, hyphens or slashes.
pub fn mrn() -> Object {
    optional_string()
        .pattern(Some(format!(
            r"^{SPACE}*(?:[A-Za-z0-9/-]{{1,40}})?{SPACE}*$"
        )))
        .description(Some(
            "1-40 letters, digits, hyphens or slashes; generated when blank.",
        ))
        .build()
}

/// A hospital's network code: 2-20 letters, digits or hyphens.
pub fn hospital_code() -> Object {
    string()
        .pattern(Some(format!(r"^{SPACE}*[A-Za-z0-9-]{{2,20}}{SPACE}*$")))
        .build()
}

/// An ISO 3166-1 alpha-2 country code.
pub fn country() -> Object {
    string().enum_values(Some(COUNTRIES.split(' '))).build()
}

/// A staff role's name.
pub fn role() -> Object {
    string()
        .enum_values(Some(Role::ALL.iter().map(|r| r.as_str())))
        .build()
}

/// A staff role's name, or `null` to leave it unchanged.
pub fn optional_role() -> Object {
    optional_string()
        .enum_values(Some(
            Role::ALL
                .iter()
                .map(|r| serde_json::Value::from(r.as_str()))
                .chain([serde_json::Value::Null]),
        ))
        .build()
}

/// `{"email"}` or `{"phone"}`, never both, plus the `code` when verifying.
fn otp_destination(with_code: bool) -> RefOr<Schema> {
    let branch = |field: &str, schema: Object| {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(field, schema)
            .required(field)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        if with_code {
            object = object.property("code", six_digit_code()).required("code");
        }
        object.build()
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(branch("email", email()))
            .item(branch("phone", phone()))
            .description(Some(
                "The email or the phone number the patient's hospital has on file (one of them).",
            ))
            .build(),
    )
    .into()
}

impl utoipa::PartialSchema for OtpRequest {
    fn schema() -> RefOr<Schema> {
        otp_destination(false)
    }
}

impl utoipa::ToSchema for OtpRequest {}

impl utoipa::PartialSchema for OtpVerifyRequest {
    fn schema() -> RefOr<Schema> {
        otp_destination(true)
    }
}

impl utoipa::ToSchema for OtpVerifyRequest {}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use regex::Regex;

    use super::*;
    use crate::domain::clinical::patient::{DeleteRequest, PatientInput};
    use crate::domain::identity::auth::parse_otp_code;
    use crate::domain::platform::hospital::HospitalInput;

    /// Strings at the edges of the rules: lengths, white space the server trims (and
    /// characters it does not count as white space), control characters, separators.
    fn samples() -> Vec<String> {
        let mut out: Vec<String> = [
            "",
            " ",
            "a",
            " a ",
            "\ta\n",
            "a\u{1c}",
            "\u{1c}a",
            "a\u{7}b",
            "a b",
            "ab",
            "\u{2003}a\u{3000}",
            "\u{85}a",
            "a\u{a0}",
            "a\u{9f}",
            "Amina Odhiambo",
            "KSM-0000001",
            "ksm/12",
            "KSM_1",
            "AB12",
            "AB1",
            "A-B-1-2",
            "12345678",
            "+254 700 100 001",
            "+1234567",
            "+12345678",
            "+123456789012345",
            "+1234567890123456",
            " +254700100001 ",
            "254700100001",
            "+254-700(100)001",
            "+254.700.100.001",
            "+254\u{2003}700100001",
            "+2+54700100001",
            "123456",
            "12 34 56",
            "\u{3000}123456\n",
            "12345",
            "1234567",
            "12345a",
            "KE",
            "ke",
            "a-b",
            "-",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [
            1, 2, 8, 9, 10, 11, 32, 33, 39, 40, 41, 99, 100, 101, 199, 200, 201, 499, 500, 501,
        ] {
            out.push("x".repeat(n));
            out.push(format!("  {}\t", "y".repeat(n)));
            out.push("7".repeat(n));
        }
        out
    }

    fn pattern(schema: &Object) -> Regex {
        Regex::new(schema.pattern.as_deref().expect("a pattern")).expect("a valid pattern")
    }

    /// For each sample, the pattern and the validator agree on the field.
    fn agree(field: &str, schema: Object, accepts: impl Fn(&str) -> bool) {
        let re = pattern(&schema);
        for sample in samples() {
            assert_eq!(
                re.is_match(&sample),
                accepts(&sample),
                "{field}: the document and the validator disagree on {sample:?}"
            );
        }
    }

    fn patient_accepts(field: &str, value: &str) -> bool {
        let mut input = PatientInput {
            first_name: Some("Amina".into()),
            last_name: Some("Odhiambo".into()),
            date_of_birth: Some("1990-04-12".into()),
            sex: Some("female".into()),
            ..Default::default()
        };
        let slot = match field {
            "first_name" => &mut input.first_name,
            "last_name" => &mut input.last_name,
            "phone" => &mut input.phone,
            "address" => &mut input.address,
            "emergency_contact_name" => &mut input.emergency_contact_name,
            "emergency_contact_phone" => &mut input.emergency_contact_phone,
            "national_id" => &mut input.national_id,
            "mrn" => &mut input.mrn,
            other => panic!("no field {other}"),
        };
        *slot = Some(value.to_string());
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        input
            .validate(today)
            .err()
            .is_none_or(|e| e.field(field).is_empty())
    }

    /// A drill-down's filters: the pattern admits exactly what `PatientFilter` reads, blank
    /// included (no filter), with the white space it trims.
    #[test]
    fn drill_down_filters_are_documented_as_validated() {
        use crate::domain::indicators::report::{AgeBand, PatientFilter, SexGroup};
        use crate::domain::indicators::{cohort::MlOutcome, Measure};
        let mut values: Vec<String> = samples();
        for v in AgeBand::ALL
            .map(AgeBand::as_str)
            .into_iter()
            .chain(SexGroup::ALL.map(SexGroup::as_str))
            .chain(MlOutcome::ALL.map(MlOutcome::as_str))
        {
            values.extend([
                v.to_string(),
                format!(" {v}\t"),
                format!("{v}x"),
                v.to_uppercase(),
            ]);
        }
        values.extend(["65".into(), "655".into(), "<".into(), "1-".into()]);
        for (field, schema) in [
            ("age_band", age_band_param()),
            ("sex", sex_group_param()),
            ("outcome", ml_outcome_param()),
        ] {
            let re = pattern(&schema);
            for v in &values {
                let (a, s, o) = match field {
                    "age_band" => (Some(v.as_str()), None, None),
                    "sex" => (None, Some(v.as_str()), None),
                    _ => (None, None, Some(v.as_str())),
                };
                let accepted = PatientFilter::parse(Measure::TxMl, a, s, o).is_ok();
                assert_eq!(re.is_match(v), accepted, "{field}: {v:?}");
            }
        }
    }

    #[test]
    fn patient_fields_are_documented_as_validated() {
        for (field, schema) in [
            ("first_name", name()),
            ("last_name", name()),
            ("phone", optional_phone()),
            ("address", address()),
            ("emergency_contact_name", contact_name()),
            ("emergency_contact_phone", optional_phone()),
            ("national_id", optional_national_id()),
            ("mrn", mrn()),
        ] {
            agree(field, schema, |v| patient_accepts(field, v));
        }
    }

    #[test]
    fn hospital_fields_are_documented_as_validated() {
        let accepts = |field: &str, value: &str| {
            let mut input = HospitalInput {
                name: Some("Kisumu County Referral".into()),
                code: Some("KSM".into()),
                contact_email: Some("hiv@ksm.example".into()),
                country: Some("KE".into()),
                ..Default::default()
            };
            match field {
                "name" => input.name = Some(value.into()),
                "code" => input.code = Some(value.into()),
                _ => input.address = Some(value.into()),
            }
            input
                .validate()
                .err()
                .is_none_or(|e| e.field(field).is_empty())
        };
        agree("name", hospital_name(), |v| accepts("name", v));
        agree("code", hospital_code(), |v| accepts("code", v));
        agree("address", address(), |v| accepts("address", v));
    }

    #[test]
    fn justifications_and_codes_are_documented_as_validated() {
        agree("justification", justification(), |v| {
            DeleteRequest {
                justification: Some(v.into()),
            }
            .validate()
            .is_ok()
        });
        agree("code", six_digit_code(), |v| {
            parse_otp_code("code", Some(v)).is_ok()
        });
    }

    #[test]
    fn decision_support_fields_are_documented_as_validated() {
        use crate::domain::cds::worklist::TracingInput;
        use crate::domain::clinical::record::RecordInput;
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let mut extra = samples();
        extra.extend(
            [
                "iit",
                " vl_due ",
                "ahd",
                "unsuppressed",
                "IIT",
                "iit,ahd",
                "died",
                " not_located",
                "returning_to_clinic",
                "phone",
                "sms",
                "home_visit",
                "home visit",
                "kenya",
                " who ",
                "WHO",
                "kenya2",
                "",
            ]
            .map(String::from),
        );
        let check = |field: &str, schema: Object, accepts: &dyn Fn(&str) -> bool| {
            let re = pattern(&schema);
            for sample in &extra {
                assert_eq!(re.is_match(sample), accepts(sample), "{field}: {sample:?}");
            }
        };
        let tracing = |field: &str, v: &str| {
            let mut input = TracingInput {
                outcome: Some("not_located".into()),
                ..Default::default()
            };
            match field {
                "worklist" => input.worklist = Some(v.into()),
                "outcome" => input.outcome = Some(v.into()),
                "contact_method" => input.contact_method = Some(v.into()),
                _ => input.note = Some(v.into()),
            }
            input
                .validate(today)
                .err()
                .is_none_or(|e| e.field(field).is_empty())
        };
        check("worklist", worklist_name(), &|v| tracing("worklist", v));
        check("outcome", tracing_outcome(), &|v| tracing("outcome", v));
        check("contact_method", contact_method(), &|v| {
            tracing("contact_method", v)
        });
        check("note", tracing_note(), &|v| tracing("note", v));
        check("override_reason", override_reason(), &|v| {
            RecordInput {
                record_type: Some("prescription".into()),
                payload: Some(
                    serde_json::json!({"drug_name": "Metformin", "dose": "500 mg",
                    "frequency": "twice daily"}),
                ),
                override_reason: Some(v.into()),
                ..Default::default()
            }
            .validate(chrono::Utc::now())
            .err()
            .is_none_or(|e| e.field("override_reason").is_empty())
        });
        check("rule_set", rule_set(), &|v| {
            crate::domain::platform::hospital::HospitalSettings {
                break_glass_minutes: Some(180),
                rule_set: Some(v.into()),
                ..Default::default()
            }
            .validate()
            .err()
            .is_none_or(|e| e.field("rule_set").is_empty())
        });
    }

    #[test]
    fn bookings_and_fees_are_documented_as_validated() {
        use crate::domain::scheduling::appointment::AppointmentUpdate;
        use crate::domain::scheduling::billing::VisitFeeInput;
        for (field, schema) in [("reason", visit_reason()), ("notes", visit_notes())] {
            agree(field, schema, |v| {
                let mut update = AppointmentUpdate {
                    status: Some("checked_in".into()),
                    ..Default::default()
                };
                match field {
                    "reason" => update.reason = Some(v.into()),
                    _ => update.notes = Some(v.into()),
                }
                update.validate().is_ok()
            });
        }
        let fee_accepts = |field: &str, value: &str| {
            let mut row = VisitFeeInput {
                visit_type: Some("refill".into()),
                cpt_code: Some("99212".into()),
                description: Some("Brief visit".into()),
                amount: Some("15".into()),
                currency: Some("KES".into()),
            };
            let slot = match field {
                "cpt_code" => &mut row.cpt_code,
                "description" => &mut row.description,
                "amount" => &mut row.amount,
                _ => &mut row.currency,
            };
            *slot = Some(value.into());
            row.validate(0).is_ok()
        };
        let mut extra = samples();
        extra.extend(
            [
                "99213",
                " 0001f ",
                "9921",
                "992130",
                "ABCDE",
                "1.5",
                "1.50",
                "1.",
                ".5",
                "1.505",
                "12345678",
                "123456789",
                "0",
                "kes",
                "KES ",
                "KE",
                "KESH",
                "ßx",
                "1,5",
            ]
            .map(String::from),
        );
        for (field, schema) in [
            ("cpt_code", cpt_code()),
            ("description", fee_description()),
            ("amount", fee_amount()),
            ("currency", currency()),
        ] {
            let re = pattern(&schema);
            for sample in &extra {
                assert_eq!(
                    re.is_match(sample),
                    fee_accepts(field, sample),
                    "{field}: the document and the validator disagree on {sample:?}"
                );
            }
        }
    }
}
