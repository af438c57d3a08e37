//! What the messages say. Each kind has a default wording per language and channel; a hospital
//! may write its own. Discreet by design: a message never names the condition, the treatment, a
//! medicine, a test or a value. Whoever holds the phone may read it. [`clinical_words`] is the
//! one check: templates are refused with it, rendered messages are checked with it again before
//! they are sent, and a test renders every template with it.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use super::{Channel, Kind};
use crate::domain::portal::Language;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// The values a template may use: `{{ first_name }}`, `{{ clinic }}`, `{{ date }}`,
/// `{{ time }}`.
pub const PLACEHOLDERS: [&str; 4] = ["first_name", "clinic", "date", "time"];
/// The longest SMS body a template may give (three SMS parts).
pub const SMS_MAX: usize = 450;
pub const EMAIL_MAX: usize = 2000;
pub const SUBJECT_MAX: usize = 120;

/// A wording: the subject (email only) and the body, with placeholders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: Option<String>,
    pub body: String,
}

/// A message ready to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    pub subject: Option<String>,
    pub body: String,
}

/// What a message is filled with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Values {
    pub first_name: String,
    /// The hospital's name.
    pub clinic: String,
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
}

impl Values {
    /// Sample values, for previews and for the test of every template.
    pub fn sample() -> Self {
        Values {
            first_name: "Amina".into(),
            clinic: "Kisumu County Referral Hospital".into(),
            date: NaiveDate::from_ymd_opt(2026, 5, 7).expect("a date"),
            time: NaiveTime::from_hms_opt(9, 30, 0),
        }
    }
}

fn subject(language: Language) -> &'static str {
    match language {
        Language::En => "A message from {{ clinic }}",
        Language::Sw => "Ujumbe kutoka {{ clinic }}",
        Language::Fr => "Un message de {{ clinic }}",
        Language::Pt => "Uma mensagem de {{ clinic }}",
    }
}

fn body(kind: Kind, language: Language) -> &'static str {
    use Kind::*;
    use Language::*;
    match (kind, language) {
        (AppointmentReminder, En) => "Hello {{ first_name }}, a reminder of your appointment at {{ clinic }} on {{ date }} at {{ time }}. Please call the clinic if you need to change it.",
        (AppointmentReminder, Sw) => "Habari {{ first_name }}, tunakukumbusha miadi yako katika {{ clinic }} tarehe {{ date }}, {{ time }}. Tafadhali piga simu kliniki ukihitaji kuibadilisha.",
        (AppointmentReminder, Fr) => "Bonjour {{ first_name }}, nous vous rappelons votre rendez-vous à {{ clinic }} le {{ date }} à {{ time }}. Appelez la clinique si vous devez le changer.",
        (AppointmentReminder, Pt) => "Olá {{ first_name }}, lembramos a sua consulta em {{ clinic }} no dia {{ date }} às {{ time }}. Ligue para a clínica se precisar de a mudar.",
        (MissedAppointment, En) => "Hello {{ first_name }}, we missed you at {{ clinic }} on {{ date }}. Please contact the clinic to choose a new time.",
        (MissedAppointment, Sw) => "Habari {{ first_name }}, hatukukuona katika {{ clinic }} tarehe {{ date }}. Tafadhali wasiliana na kliniki ili kupanga siku nyingine.",
        (MissedAppointment, Fr) => "Bonjour {{ first_name }}, nous ne vous avons pas vu à {{ clinic }} le {{ date }}. Merci de contacter la clinique pour choisir un nouveau rendez-vous.",
        (MissedAppointment, Pt) => "Olá {{ first_name }}, sentimos a sua falta em {{ clinic }} no dia {{ date }}. Contacte a clínica para marcar uma nova data.",
        (RefillDue, En) => "Hello {{ first_name }}, it is time to come back to {{ clinic }} before {{ date }}. Please visit or call the clinic.",
        (RefillDue, Sw) => "Habari {{ first_name }}, ni wakati wa kurudi {{ clinic }} kabla ya tarehe {{ date }}. Tafadhali fika au piga simu kliniki.",
        (RefillDue, Fr) => "Bonjour {{ first_name }}, il est temps de revenir à {{ clinic }} avant le {{ date }}. Passez ou appelez la clinique.",
        (RefillDue, Pt) => "Olá {{ first_name }}, está na hora de voltar a {{ clinic }} antes de {{ date }}. Venha ou ligue para a clínica.",
        (ResultReady, En) => "Hello {{ first_name }}, a result is ready at {{ clinic }}. Please contact your clinic.",
        (ResultReady, Sw) => "Habari {{ first_name }}, kuna majibu tayari katika {{ clinic }}. Tafadhali wasiliana na kliniki yako.",
        (ResultReady, Fr) => "Bonjour {{ first_name }}, un résultat est prêt à {{ clinic }}. Merci de contacter votre clinique.",
        (ResultReady, Pt) => "Olá {{ first_name }}, há um resultado pronto em {{ clinic }}. Por favor contacte a sua clínica.",
    }
}

/// The wording a hospital that has not written its own uses.
pub fn default_template(kind: Kind, language: Language, channel: Channel) -> Template {
    Template {
        subject: (channel == Channel::Email).then(|| subject(language).to_string()),
        body: body(kind, language).to_string(),
    }
}

/// A date as the patient reads it in their language: `7 May 2026`, `7 Mei 2026`,
/// `7 mai 2026`, `7 de maio de 2026`.
pub fn long_date(language: Language, date: NaiveDate) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const SW: [&str; 12] = [
        "Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti", "Septemba",
        "Oktoba", "Novemba", "Desemba",
    ];
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const PT: [&str; 12] = [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ];
    let m = date.month0() as usize;
    let (d, y) = (date.day(), date.year());
    match language {
        Language::En => format!("{d} {} {y}", EN[m]),
        Language::Sw => format!("{d} {} {y}", SW[m]),
        Language::Fr => format!("{d} {} {y}", FR[m]),
        Language::Pt => format!("{d} de {} de {y}", PT[m]),
    }
}

fn fill(text: &str, language: Language, values: &Values) -> String {
    let time = values
        .time
        .map(|t| format!("{:02}:{:02}", t.hour(), t.minute()))
        .unwrap_or_default();
    let mut out = text.to_string();
    for (name, value) in [
        ("first_name", values.first_name.clone()),
        ("clinic", values.clinic.clone()),
        ("date", long_date(language, values.date)),
        ("time", time),
    ] {
        out = out
            .replace(&format!("{{{{ {name} }}}}"), &value)
            .replace(&format!("{{{{{name}}}}}"), &value);
    }
    out
}

/// The message a template makes with `values`.
pub fn render(template: &Template, language: Language, values: &Values) -> Rendered {
    Rendered {
        subject: template
            .subject
            .as_deref()
            .map(|s| fill(s, language, values)),
        body: fill(&template.body, language, values),
    }
}

/// Words that would tell whoever reads the message what the clinic treats: the condition in
/// each language, treatments and medicines (and their abbreviations), tests, results and their
/// units, programme names. Lower case; a one-word entry matches a whole word, a longer one a
/// phrase, a `*`-ended one a word's start.
const CLINICAL: &[&str] = &[
    "hiv",
    "aids",
    "vvu",
    "ukimwi",
    "vih",
    "sida",
    "arv",
    "arvs",
    "art",
    "haart",
    "tarv",
    "antiretroviral*",
    "antirretroviral*",
    "antirétroviral*",
    "viral*",
    "virus*",
    "virale",
    "cd4",
    "cd4+",
    "tb",
    "tuberculosis",
    "kifua kikuu",
    "prep",
    "pep",
    "pepfar",
    "ccc",
    "comprehensive care",
    "positive",
    "negative",
    "chanya",
    "hasi",
    "séropositif*",
    "seropositiv*",
    "copies",
    "cells",
    "ml",
    "mg",
    "dolutegravir",
    "tenofovir",
    "lamivudine",
    "emtricitabine",
    "efavirenz",
    "nevirapine",
    "zidovudine",
    "abacavir",
    "lopinavir",
    "ritonavir",
    "atazanavir",
    "darunavir",
    "raltegravir",
    "stavudine",
    "cotrimoxazole",
    "isoniazid",
    "dtg",
    "tdf",
    "3tc",
    "ftc",
    "efv",
    "azt",
    "nvp",
    "lpv",
    "lpv/r",
    "atv",
    "atv/r",
    "drv",
    "ral",
    "d4t",
    "inh",
    "tle",
    "tld",
];

/// The clinical words in `text` (lower case), none when it is discreet.
pub fn clinical_words(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '+' || c == '/'))
        .filter(|w| !w.is_empty())
        .collect();
    let spaced = format!(" {} ", words.join(" "));
    CLINICAL
        .iter()
        .copied()
        .filter(|entry| {
            if let Some(prefix) = entry.strip_suffix('*') {
                words.iter().any(|w| w.starts_with(prefix))
            } else if entry.contains(' ') {
                spaced.contains(&format!(" {entry} "))
            } else {
                words.contains(entry)
            }
        })
        .collect()
}

/// A hospital's own wording, as its admin sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// `appointment_reminder`, `missed_appointment`, `refill_due` or `result_ready`.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Kind))]
    pub kind: Option<String>,
    /// `en`, `sw`, `fr` or `pt`.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Language))]
    pub language: Option<String>,
    /// `sms` or `email`.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Channel))]
    pub channel: Option<String>,
    /// Email only (required there), 2-120 characters.
    pub subject: Option<String>,
    /// 10-450 characters for SMS, 10-2000 for email; discreet; known placeholders only.
    #[cfg_attr(feature = "server", schema(required = true))]
    pub body: Option<String>,
}

/// A wording that meets the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidTemplate {
    pub kind: Kind,
    pub language: Language,
    pub channel: Channel,
    pub template: Template,
}

/// Names in `text` between `{{` and `}}` that are not placeholders.
fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            unknown.push("{{ without }}".to_string());
            break;
        };
        let name = after[..close].trim();
        if !PLACEHOLDERS.contains(&name) {
            unknown.push(name.to_string());
        }
        rest = &after[close + 2..];
    }
    unknown
}

fn check_text(e: &mut Errors, field: &str, text: &str) {
    let found = clinical_words(text);
    if !found.is_empty() {
        e.add(
            field,
            format!(
                "must not name what the clinic treats or a result ({}): whoever holds the phone may read it",
                found.join(", ")
            ),
        );
    }
    let unknown = unknown_placeholders(text);
    if !unknown.is_empty() {
        e.add(
            field,
            format!(
                "uses unknown placeholders ({}); use {{{{ first_name }}}}, {{{{ clinic }}}}, {{{{ date }}}}, {{{{ time }}}}",
                unknown.join(", ")
            ),
        );
    }
}

impl TemplateInput {
    pub fn validate(&self) -> Result<ValidTemplate, ErrorKind> {
        let mut e = Errors::new();
        let kind = self.kind.as_deref().and_then(Kind::parse);
        if kind.is_none() {
            e.add(
                "kind",
                "must be appointment_reminder, missed_appointment, refill_due or result_ready",
            );
        }
        let language = self.language.as_deref().and_then(Language::parse);
        if language.is_none() {
            e.add("language", "must be en, sw, fr or pt");
        }
        let channel = self.channel.as_deref().and_then(Channel::parse);
        if channel.is_none() {
            e.add("channel", "must be sms or email");
        }
        let max = match channel {
            Some(Channel::Email) => EMAIL_MAX,
            _ => SMS_MAX,
        };
        let body = e.required_text("body", self.body.as_deref(), 10, max);
        check_text(&mut e, "body", &body);
        let subject = match channel {
            Some(Channel::Email) => {
                let s = e.required_text("subject", self.subject.as_deref(), 2, SUBJECT_MAX);
                check_text(&mut e, "subject", &s);
                Some(s)
            }
            _ => None,
        };
        match (kind, language, channel) {
            (Some(kind), Some(language), Some(channel)) if e.is_empty() => Ok(ValidTemplate {
                kind,
                language,
                channel,
                template: Template { subject, body },
            }),
            _ => Err(e.into_kind()),
        }
    }
}

/// A wording as the admin's page shows it: the text, whether the hospital wrote it, and what
/// it reads like with sample values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TemplateView {
    pub kind: Kind,
    pub language: Language,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    /// Written by the hospital (otherwise the default).
    pub customised: bool,
    pub preview_subject: Option<String>,
    pub preview_body: String,
}

impl TemplateView {
    pub fn of(
        kind: Kind,
        language: Language,
        channel: Channel,
        template: Template,
        customised: bool,
    ) -> Self {
        let preview = render(&template, language, &Values::sample());
        TemplateView {
            kind,
            language,
            channel,
            subject: template.subject,
            body: template.body,
            customised,
            preview_subject: preview.subject,
            preview_body: preview.body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every medicine named in the WHO HIV DAK's data dictionary (the `-vir`, `-dine`, ...
    /// names), so a template that names one is caught even if the list above missed it.
    fn dak_medicines() -> Vec<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reference/who-hiv-dak/data-dictionary/HIV.D_Care_Treatment.csv"
        );
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut names: Vec<String> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| {
                let w = w.to_lowercase();
                w.len() > 5
                    && [
                        "vir", "dine", "abine", "renz", "pine", "tegravir", "oxazole", "azid",
                    ]
                    .iter()
                    .any(|end| w.ends_with(end))
            })
            .map(|w| w.to_lowercase())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn every_template_in_every_language_is_discreet() {
        let medicines = dak_medicines();
        assert!(
            medicines.contains(&"dolutegravir".to_string()),
            "{medicines:?}"
        );
        let values = Values::sample();
        for kind in Kind::ALL {
            for language in Language::ALL {
                for channel in Channel::ALL {
                    let t = default_template(kind, language, channel);
                    let m = render(&t, language, &values);
                    let text = format!("{} {}", m.subject.clone().unwrap_or_default(), m.body);
                    assert_eq!(
                        clinical_words(&text),
                        Vec::<&str>::new(),
                        "{kind:?} {language:?}: {text}"
                    );
                    let lower = text.to_lowercase();
                    for name in &medicines {
                        assert!(!lower.contains(name.as_str()), "{name} in {text}");
                    }
                    assert!(!text.contains("{{"), "every placeholder filled: {text}");
                    assert!(
                        text.contains("Amina") && text.contains(&values.clinic),
                        "{text}"
                    );
                    assert!(m.body.chars().count() <= SMS_MAX, "{text}");
                    // Each template passes the check an admin's own wording is put to.
                    let input = TemplateInput {
                        kind: Some(kind.as_str().into()),
                        language: Some(language.as_str().into()),
                        channel: Some(channel.as_str().into()),
                        subject: t.subject.clone(),
                        body: Some(t.body.clone()),
                    };
                    assert!(
                        input.validate().is_ok(),
                        "{kind:?} {language:?} {channel:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_check_catches_the_condition_treatments_tests_and_values() {
        for text in [
            "Your HIV clinic visit",
            "Kliniki ya VVU",
            "Centre VIH de Kisumu",
            "your ARVs are ready",
            "Antiretroviral refill",
            "terapia antirretroviral",
            "Your viral load is 40 copies/mL",
            "CD4 count 350 cells",
            "Take your Dolutegravir",
            "TLD refill",
            "The CCC is open",
            "Comprehensive Care Centre",
            "result: positive",
            "carga viral",
        ] {
            assert!(!clinical_words(text).is_empty(), "{text}");
        }
        for text in [
            "Hello Amina, a reminder of your appointment",
            "Kisumu County Referral Hospital",
            "Call 0700 123 456",
            "a result is ready at the clinic",
            "archive",
            "started",
        ] {
            assert_eq!(clinical_words(text), Vec::<&str>::new(), "{text}");
        }
    }

    #[test]
    fn an_admins_wording_is_checked_before_it_is_kept() {
        let input = |body: &str| TemplateInput {
            kind: Some("appointment_reminder".into()),
            language: Some("sw".into()),
            channel: Some("sms".into()),
            subject: None,
            body: Some(body.into()),
        };
        let ok = input("Habari {{ first_name }}, miadi yako {{ date }} {{ time }}.")
            .validate()
            .unwrap();
        assert_eq!(ok.language, Language::Sw);
        let err = input("Habari {{ first_name }}, dawa za ARV ziko tayari.")
            .validate()
            .unwrap_err();
        assert!(err.field("body")[0].contains("arv"), "{err:?}");
        let err = input("Habari {{ name }}, miadi yako {{ date }}.")
            .validate()
            .unwrap_err();
        assert!(
            err.field("body")[0].contains("unknown placeholders (name)"),
            "{err:?}"
        );
        let err = TemplateInput {
            channel: Some("email".into()),
            ..input("Habari {{ first_name }}, miadi yako {{ date }}.")
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.field("subject"), vec!["is required"]);
        let err = TemplateInput::default().validate().unwrap_err();
        for f in ["kind", "language", "channel", "body"] {
            assert!(!err.field(f).is_empty(), "{f}");
        }
    }

    #[test]
    fn dates_read_in_each_language() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 7).unwrap();
        assert_eq!(long_date(Language::En, d), "7 May 2026");
        assert_eq!(long_date(Language::Sw, d), "7 Mei 2026");
        assert_eq!(long_date(Language::Fr, d), "7 mai 2026");
        assert_eq!(long_date(Language::Pt, d), "7 de maio de 2026");
        let m = render(
            &default_template(Kind::AppointmentReminder, Language::Sw, Channel::Sms),
            Language::Sw,
            &Values::sample(),
        );
        assert_eq!(
            m.body,
            "Habari Amina, tunakukumbusha miadi yako katika Kisumu County Referral Hospital tarehe 7 Mei 2026, 09:30. Tafadhali piga simu kliniki ukihitaji kuibadilisha."
        );
    }
}
