//! The indicators against a hand-computed fixture: 61 patients of one hospital, each an edge
//! case (no viral load, exactly 1,000 copies, several results, ART under 3 months, a result
//! older than 12 months, transfers, deaths, returns, missed visits, stops, deleted and
//! superseded records, age-band boundaries), with the indicators each must count in written
//! out by hand. The same test runs on SQLite and on PostgreSQL (`TEST_DATABASE_URL`), so the
//! numbers are equal on both. The period is the third quarter of 2025.

use crate::common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::{call, hospital, member, TestApp};
use hospitallink::domain::identity::role::Role;
use hospitallink::entities::{appointment, clinical_record, tracing_outcome};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

const PERIOD: &str = "period_start=2025-07-01&period_end=2025-09-30";

/// What happened to a patient, dated.
#[derive(Clone, Copy, Debug)]
enum Ev {
    /// ART regimen with its action.
    Start(&'static str),
    Switch(&'static str),
    Stop(&'static str),
    /// A dispensing and the days it supplies.
    Disp(&'static str, i64),
    /// A dispensing later deleted.
    DeletedDisp(&'static str, i64),
    /// A viral load: copies and comparator.
    Vl(&'static str, f64, &'static str),
    /// A viral load with a qualitative result only.
    VlQ(&'static str, &'static str),
    /// A viral load that a correction superseded (the correction is a separate `Vl`).
    SupersededVl(&'static str, f64),
    /// A clinical note (a contact).
    Note(&'static str),
    /// A booked visit and its status.
    Visit(&'static str, &'static str),
    /// A tracing outcome.
    Trace(&'static str, &'static str),
    /// ART started at the other hospital.
    StartElsewhere(&'static str),
    /// A tracing outcome recorded by the other hospital.
    TraceElsewhere(&'static str, &'static str),
}

use Ev::*;

/// One case: name, date of birth, sex, events, the indicators that count them (E in care,
/// C TX_CURR, N TX_NEW, D TX_PVLS denominator, S TX_PVLS numerator, M TX_ML, R TX_RTT) and
/// TX_ML's outcome.
struct Case {
    name: &'static str,
    birth: &'static str,
    sex: &'static str,
    events: &'static [Ev],
    counted: &'static str,
    ml: Option<&'static str>,
}

const fn case(
    name: &'static str,
    events: &'static [Ev],
    counted: &'static str,
    ml: Option<&'static str>,
) -> Case {
    Case {
        name,
        birth: "1990-03-15",
        sex: "female",
        events,
        counted,
        ml,
    }
}

/// On ART since 2020, refills covering the whole period.
macro_rules! active {
    ($($e:expr),* $(,)?) => {
        &[Start("2020-01-15"), Disp("2025-06-01", 90), Disp("2025-09-01", 90), $($e),*]
    };
}

const CASES: &[Case] = &[
    // Viral loads.
    case("no viral load", active!(), "EC", None),
    case(
        "below the limit",
        active!(Vl("2025-03-10", 40.0, "<")),
        "ECDS",
        None,
    ),
    case(
        "exactly 1000",
        active!(Vl("2025-05-05", 1000.0, "=")),
        "ECD",
        None,
    ),
    case("999", active!(Vl("2025-05-05", 999.0, "=")), "ECDS", None),
    case("1001", active!(Vl("2025-05-05", 1001.0, "=")), "ECD", None),
    case(
        "older than 12 months",
        active!(Vl("2024-09-30", 20.0, "=")),
        "EC",
        None,
    ),
    case(
        "first day of the window",
        active!(Vl("2024-10-01", 20.0, "=")),
        "ECDS",
        None,
    ),
    case(
        "unsuppressed then suppressed",
        active!(Vl("2025-02-01", 5000.0, "="), Vl("2025-08-01", 50.0, "=")),
        "ECDS",
        None,
    ),
    case(
        "suppressed then unsuppressed",
        active!(Vl("2025-02-01", 50.0, "="), Vl("2025-08-01", 5000.0, "=")),
        "ECD",
        None,
    ),
    case(
        "a pending sample after a result",
        active!(Vl("2025-08-01", 50.0, "="), VlQ("2025-09-15", "pending")),
        "ECDS",
        None,
    ),
    case(
        "only a rejected sample",
        active!(VlQ("2025-09-15", "rejected")),
        "EC",
        None,
    ),
    case(
        "a result after the period",
        active!(Vl("2025-10-05", 30.0, "=")),
        "EC",
        None,
    ),
    case(
        "not detected",
        active!(VlQ("2025-04-01", "not_detected")),
        "ECDS",
        None,
    ),
    case("LDL", active!(VlQ("2025-04-01", "ldl")), "ECDS", None),
    case(
        "detected, no number",
        active!(VlQ("2025-04-01", "detected")),
        "ECD",
        None,
    ),
    case(
        "below a limit of 1000",
        active!(Vl("2025-04-01", 1000.0, "<")),
        "ECDS",
        None,
    ),
    case(
        "a superseded result",
        active!(
            SupersededVl("2025-05-01", 5000.0),
            Vl("2025-05-01", 20.0, "=")
        ),
        "ECDS",
        None,
    ),
    // Starting ART.
    case(
        "new, result under 3 months on ART",
        &[
            Start("2025-07-10"),
            Disp("2025-07-10", 90),
            Vl("2025-09-20", 20.0, "="),
        ],
        "ENC",
        None,
    ),
    case(
        "new on the first day",
        &[Start("2025-07-01"), Disp("2025-07-01", 90)],
        "ENC",
        None,
    ),
    case(
        "new on the last day",
        &[Start("2025-09-30"), Disp("2025-09-30", 30)],
        "ENC",
        None,
    ),
    case(
        "started the day before, late but under 28 days",
        &[Start("2025-06-30"), Disp("2025-06-30", 90)],
        "EC",
        None,
    ),
    case("starts after the period", &[Start("2025-10-01")], "E", None),
    case(
        "transferred in (first regimen a switch)",
        &[Switch("2025-08-01"), Disp("2025-08-01", 90)],
        "EC",
        None,
    ),
    case(
        "result exactly 3 months after start",
        &[
            Start("2025-03-01"),
            Vl("2025-06-01", 20.0, "="),
            Disp("2025-06-01", 90),
            Disp("2025-08-25", 90),
        ],
        "ECDS",
        None,
    ),
    case(
        "result a day short of 3 months",
        &[
            Start("2025-03-02"),
            Vl("2025-06-01", 20.0, "="),
            Disp("2025-06-01", 90),
            Disp("2025-08-25", 90),
        ],
        "EC",
        None,
    ),
    case("registered, no treatment", &[], "E", None),
    // Interruptions.
    case(
        "refill lapsed, 6 months or more on ART",
        &[Start("2020-01-15"), Disp("2025-06-01", 30)],
        "EM",
        Some("iit_6_months_plus"),
    ),
    case(
        "refill lapsed, under 3 months on ART",
        &[Start("2025-05-20"), Disp("2025-05-20", 30)],
        "EM",
        Some("iit_under_3_months"),
    ),
    case(
        "refill lapsed, 3 to 5 months on ART",
        &[
            Start("2025-02-10"),
            Disp("2025-02-10", 30),
            Disp("2025-05-15", 30),
        ],
        "EM",
        Some("iit_3_to_5_months"),
    ),
    case(
        "missed visit",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 180),
            Visit("2025-08-01", "no_show"),
        ],
        "EM",
        Some("iit_6_months_plus"),
    ),
    case(
        "missed visit, seen since",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 180),
            Visit("2025-08-01", "no_show"),
            Note("2025-08-20"),
        ],
        "EC",
        None,
    ),
    case(
        "missed visit under 28 days before the end",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 180),
            Visit("2025-09-10", "no_show"),
        ],
        "EC",
        None,
    ),
    case(
        "missed visit, attended the next",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 180),
            Visit("2025-08-01", "no_show"),
            Visit("2025-08-15", "completed"),
        ],
        "EC",
        None,
    ),
    case(
        "booked visit passed without a check-in",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 180),
            Visit("2025-08-01", "scheduled"),
        ],
        "EM",
        Some("iit_6_months_plus"),
    ),
    case(
        "cancelled visit",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 180),
            Visit("2025-08-01", "cancelled"),
        ],
        "EC",
        None,
    ),
    case(
        "a note after a lapsed refill",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 30),
            Note("2025-09-15"),
        ],
        "EC",
        None,
    ),
    case(
        "a deleted refill does not count",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 90),
            DeletedDisp("2025-09-01", 90),
        ],
        "EM",
        Some("iit_6_months_plus"),
    ),
    case(
        "interrupted, not located",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 30),
            Trace("2025-08-20", "not_located"),
        ],
        "EM",
        Some("iit_6_months_plus"),
    ),
    case(
        "interrupted, returning to clinic (not back yet)",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 30),
            Trace("2025-08-20", "returning_to_clinic"),
        ],
        "EM",
        Some("iit_6_months_plus"),
    ),
    // Outcomes.
    case(
        "died in the period",
        active!(Trace("2025-09-15", "died")),
        "M",
        Some("died"),
    ),
    case(
        "died before the period",
        &[
            Start("2020-01-15"),
            Disp("2025-03-01", 90),
            Trace("2025-05-01", "died"),
        ],
        "",
        None,
    ),
    case(
        "died after the period",
        active!(Trace("2025-10-05", "died")),
        "EC",
        None,
    ),
    case(
        "transferred out",
        active!(Trace("2025-09-20", "transferred_out")),
        "M",
        Some("transferred_out"),
    ),
    case(
        "self-transferred",
        active!(Trace("2025-09-20", "self_transferred")),
        "M",
        Some("transferred_out"),
    ),
    case(
        "transferred out and came back",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 90),
            Trace("2025-07-10", "transferred_out"),
            Disp("2025-09-01", 90),
        ],
        "EC",
        None,
    ),
    case(
        "refused to return",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 30),
            Trace("2025-08-15", "refused_to_return"),
        ],
        "EM",
        Some("refused_stopped"),
    ),
    case(
        "ART stopped",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 90),
            Stop("2025-08-10"),
        ],
        "EM",
        Some("refused_stopped"),
    ),
    case(
        "ART stopped and resumed",
        &[
            Start("2020-01-15"),
            Disp("2025-06-01", 90),
            Stop("2025-07-10"),
            Switch("2025-08-10"),
            Disp("2025-08-10", 90),
        ],
        "EC",
        None,
    ),
    // Returns.
    case(
        "returned to treatment",
        &[
            Start("2020-01-15"),
            Disp("2025-01-10", 30),
            Disp("2025-08-10", 90),
        ],
        "ECR",
        None,
    ),
    case(
        "interrupted throughout",
        &[Start("2020-01-15"), Disp("2025-01-10", 30)],
        "E",
        None,
    ),
    case(
        "returned, with a result",
        &[
            Start("2020-01-15"),
            Disp("2025-01-10", 30),
            Disp("2025-08-10", 90),
            Vl("2025-08-10", 30.0, "="),
        ],
        "ECRDS",
        None,
    ),
    case(
        "returned and interrupted again",
        &[
            Start("2020-01-15"),
            Disp("2025-01-10", 30),
            Disp("2025-07-05", 20),
        ],
        "E",
        None,
    ),
    case(
        "new and interrupted",
        &[Start("2025-07-02"), Disp("2025-07-02", 14)],
        "ENM",
        Some("iit_under_3_months"),
    ),
    case(
        "new and died",
        &[
            Start("2025-07-05"),
            Disp("2025-07-05", 30),
            Trace("2025-08-01", "died"),
        ],
        "NM",
        Some("died"),
    ),
    // Other hospitals.
    case(
        "treated at the other hospital only",
        &[StartElsewhere("2020-01-15")],
        "E",
        None,
    ),
    case(
        "died according to the other hospital",
        active!(TraceElsewhere("2025-08-01", "died")),
        "EC",
        None,
    ),
    // Age bands and sex.
    Case {
        name: "infant",
        birth: "2025-01-15",
        sex: "male",
        events: &[
            Start("2025-02-01"),
            Disp("2025-06-01", 90),
            Disp("2025-09-01", 90),
        ],
        counted: "EC",
        ml: None,
    },
    Case {
        name: "fifteen on the last day",
        birth: "2010-09-30",
        sex: "male",
        events: active!(),
        counted: "EC",
        ml: None,
    },
    Case {
        name: "fifteen the day after",
        birth: "2010-10-01",
        sex: "female",
        events: active!(),
        counted: "EC",
        ml: None,
    },
    Case {
        name: "sex other",
        birth: "1960-01-01",
        sex: "other",
        events: active!(Vl("2025-06-01", 20.0, "=")),
        counted: "ECDS",
        ml: None,
    },
    Case {
        name: "sex not said",
        birth: "1985-06-15",
        sex: "prefer_not_to_say",
        events: active!(),
        counted: "EC",
        ml: None,
    },
];

const MEASURES: [(char, &str); 7] = [
    ('E', "enrolled"),
    ('C', "tx_curr"),
    ('N', "tx_new"),
    ('D', "tx_pvls_d"),
    ('S', "tx_pvls_n"),
    ('M', "tx_ml"),
    ('R', "tx_rtt"),
];

fn at(day: &str) -> DateTime<Utc> {
    day.parse::<NaiveDate>()
        .unwrap()
        .and_hms_opt(9, 30, 0)
        .unwrap()
        .and_utc()
}

struct Writer<'a> {
    app: &'a TestApp,
    by: Uuid,
}

impl Writer<'_> {
    async fn record(
        &self,
        patient: Uuid,
        hospital: Uuid,
        kind: &str,
        day: &str,
        set: impl FnOnce(&mut clinical_record::ActiveModel),
    ) -> Uuid {
        let id = Uuid::now_v7();
        let t = hospitallink::domain::clinical::record::RecordType::parse(kind).unwrap();
        let when = at(day);
        let mut m = clinical_record::ActiveModel {
            id: Set(id),
            patient_id: Set(patient),
            hospital_id: Set(hospital),
            record_type: Set(kind.into()),
            category: Set(t.category().as_str().into()),
            recorded_at: Set(when),
            payload: Set(self
                .app
                .core
                .keyring
                .seal("clinical_records", "payload", id, "{}")),
            vl_copies: Set(None),
            vl_comparator: Set(None),
            vl_qualitative: Set(None),
            vl_lower_limit: Set(None),
            cd4_cells: Set(None),
            cd4_percent: Set(None),
            art_regimen: Set(None),
            art_line: Set(None),
            art_action: Set(None),
            created_by: Set(self.by),
            created_at: Set(when),
            updated_at: Set(when),
            version: Set(1),
            supersedes: Set(None),
            superseded_by: Set(None),
            clinician_only: Set(false),
            deleted_at: Set(None),
            deleted_by: Set(None),
            delete_reason: Set(None),
            supply_until: Set(None),
            interaction_rules: Set(None),
            override_reason: Set(None),
        };
        set(&mut m);
        m.insert(&self.app.core.db).await.unwrap();
        id
    }

    async fn regimen(&self, patient: Uuid, hospital: Uuid, day: &str, action: &str) {
        self.record(patient, hospital, "art_regimen", day, |m| {
            m.art_regimen = Set(Some("TDF+3TC+DTG".into()));
            m.art_line = Set(Some("first".into()));
            m.art_action = Set(Some(action.into()));
        })
        .await;
    }

    async fn event(&self, patient: Uuid, here: Uuid, elsewhere: Uuid, e: Ev) {
        match e {
            Start(d) => self.regimen(patient, here, d, "start").await,
            Switch(d) => self.regimen(patient, here, d, "switch").await,
            Stop(d) => self.regimen(patient, here, d, "stop").await,
            StartElsewhere(d) => self.regimen(patient, elsewhere, d, "start").await,
            Disp(d, days) | DeletedDisp(d, days) => {
                let deleted = matches!(e, DeletedDisp(..));
                self.record(patient, here, "dispensing", d, |m| {
                    m.supply_until = Set(Some(at(d) + Duration::days(days)));
                    if deleted {
                        m.deleted_at = Set(Some(at(d) + Duration::days(1)));
                        m.deleted_by = Set(Some(self.by));
                        m.delete_reason = Set(Some("Entered on the wrong patient".into()));
                    }
                })
                .await;
            }
            Vl(d, copies, comparator) => {
                self.record(patient, here, "viral_load", d, |m| {
                    m.vl_copies = Set(Some(copies));
                    m.vl_comparator = Set(Some(comparator.into()));
                })
                .await;
            }
            VlQ(d, qualitative) => {
                self.record(patient, here, "viral_load", d, |m| {
                    m.vl_qualitative = Set(Some(qualitative.into()));
                })
                .await;
            }
            SupersededVl(d, copies) => {
                self.record(patient, here, "viral_load", d, |m| {
                    m.vl_copies = Set(Some(copies));
                    m.vl_comparator = Set(Some("=".into()));
                    m.superseded_by = Set(Some(Uuid::now_v7()));
                })
                .await;
            }
            Note(d) => {
                self.record(patient, here, "adherence_note", d, |_| {})
                    .await;
            }
            Visit(d, status) => {
                let start = at(d);
                appointment::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    hospital_id: Set(here),
                    patient_id: Set(patient),
                    provider_id: Set(self.by),
                    scheduled_start: Set(start),
                    scheduled_end: Set(start + Duration::minutes(30)),
                    status: Set(status.into()),
                    visit_type: Set("follow_up".into()),
                    reason: Set(None),
                    notes: Set(None),
                    cpt_id: Set(None),
                    checked_in_at: Set(None),
                    completed_at: Set(None),
                    cancelled_at: Set(None),
                    created_by: Set(self.by),
                    created_at: Set(start - Duration::days(30)),
                    updated_at: Set(start),
                    version: Set(1),
                }
                .insert(&self.app.core.db)
                .await
                .unwrap();
            }
            Trace(d, outcome) | TraceElsewhere(d, outcome) => {
                let hospital = if matches!(e, Trace(..)) {
                    here
                } else {
                    elsewhere
                };
                tracing_outcome::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    patient_id: Set(patient),
                    hospital_id: Set(hospital),
                    worklist: Set("iit".into()),
                    outcome: Set(outcome.into()),
                    outcome_date: Set(at(d)),
                    contact_method: Set(Some("phone".into())),
                    note: Set(None),
                    recorded_by: Set(self.by),
                    created_at: Set(at(d)),
                }
                .insert(&self.app.core.db)
                .await
                .unwrap();
            }
        }
    }
}

async fn register(app: &TestApp, token: &str, c: &Case, n: usize) -> Uuid {
    let r = call(
        app,
        Method::POST,
        "/api/v1/patients",
        token,
        Some(
            json!({"first_name": format!("Case{n:02}"), "last_name": "Fixture",
            "date_of_birth": c.birth, "sex": c.sex}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}: {}", c.name, r.body);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = call(app, Method::GET, path, token, None).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body
}

async fn listed(app: &TestApp, token: &str, measure: &str, extra: &str) -> BTreeSet<Uuid> {
    let body = get(
        app,
        token,
        &format!("/api/v1/indicators/{measure}/patients?{PERIOD}&per_page=100{extra}"),
    )
    .await;
    assert!(body["pagination"]["total"].as_u64().unwrap() <= 100);
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["patient_id"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn the_indicators_equal_the_hand_computed_fixture() {
    assert!(CASES.len() >= 50, "{} cases", CASES.len());
    let app = common::spawn_app().await;
    let h = hospital(&app, "IND").await;
    let elsewhere = hospital(&app, "IN2").await;
    let (admin, token) = member(&app, Role::HospitalAdmin, h, "admin").await;
    let (_, other_admin) = member(&app, Role::HospitalAdmin, elsewhere, "admin-elsewhere").await;
    let writer = Writer {
        app: &app,
        by: admin.id,
    };
    let mut ids: Vec<(Uuid, &Case)> = Vec::new();
    for (n, c) in CASES.iter().enumerate() {
        let id = register(&app, &token, c, n).await;
        for e in c.events {
            writer.event(id, h, elsewhere, *e).await;
        }
        ids.push((id, c));
    }
    // A patient of the other hospital only, on ART there: never in this hospital's numbers.
    let stranger = register(&app, &other_admin, &CASES[0], 99).await;
    for e in CASES[0].events {
        writer.event(stranger, elsewhere, h, *e).await;
    }

    // Each number lists exactly the patients written out by hand.
    let mut expected_totals: BTreeMap<&str, u64> = BTreeMap::new();
    for (letter, measure) in MEASURES {
        let expected: BTreeSet<Uuid> = ids
            .iter()
            .filter(|(_, c)| c.counted.contains(letter))
            .map(|(id, _)| *id)
            .collect();
        let got = listed(&app, &token, measure, "").await;
        let name = |id: &Uuid| {
            ids.iter()
                .find(|(i, _)| i == id)
                .map(|(_, c)| c.name)
                .unwrap_or("the other hospital's patient")
        };
        let missing: Vec<&str> = expected.difference(&got).map(name).collect();
        let extra: Vec<&str> = got.difference(&expected).map(name).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{measure}: missing {missing:?}, not expected {extra:?}"
        );
        expected_totals.insert(measure, expected.len() as u64);
    }
    // Hand-computed totals, as a reader of the table above counts them.
    assert_eq!(
        expected_totals,
        BTreeMap::from([
            ("enrolled", 56),
            ("tx_curr", 40),
            ("tx_new", 5),
            ("tx_pvls_d", 16),
            ("tx_pvls_n", 12),
            ("tx_ml", 15),
            ("tx_rtt", 2),
        ])
    );

    // The report gives the same totals, the cascade and TX_ML's outcomes.
    let report = get(&app, &token, &format!("/api/v1/indicators?{PERIOD}")).await;
    assert_eq!(report["hospital_id"], h.to_string());
    for i in report["indicators"].as_array().unwrap() {
        let m = i["measure"].as_str().unwrap();
        assert_eq!(i["value"].as_u64(), expected_totals.get(m).copied(), "{m}");
        let cells: u64 = i["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_u64().unwrap())
            .sum();
        assert_eq!(cells, i["value"].as_u64().unwrap(), "{m}: cells add up");
    }
    assert_eq!(
        report["cascade"],
        json!({"enrolled": 56, "on_art": 40, "with_viral_load": 16, "suppressed": 12,
            "on_art_percent": 71.4, "tested_percent": 40.0, "suppressed_percent": 75.0})
    );
    let ml = report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["measure"] == "tx_ml")
        .unwrap();
    let outcomes: BTreeMap<String, u64> = ml["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["outcome"].as_str().unwrap().to_string(),
                o["value"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut by_hand: BTreeMap<String, u64> = BTreeMap::new();
    for c in CASES.iter().filter(|c| c.counted.contains('M')) {
        *by_hand.entry(c.ml.unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(outcomes.get("died"), Some(&2));
    assert_eq!(outcomes.get("transferred_out"), Some(&2));
    assert_eq!(outcomes.get("refused_stopped"), Some(&2));
    assert_eq!(outcomes.get("iit_under_3_months"), Some(&2));
    assert_eq!(outcomes.get("iit_3_to_5_months"), Some(&1));
    assert_eq!(outcomes.get("iit_6_months_plus"), Some(&6));
    for (o, n) in &by_hand {
        assert_eq!(outcomes.get(o), Some(n), "{o}");
    }
    // Age bands on the period's last day, by month of birth; sex other and not said are
    // unknown.
    let curr = report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["measure"] == "tx_curr")
        .unwrap();
    let cell = |band: &str, sex: &str| {
        curr["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["age_band"] == band && c["sex"] == sex)
            .map(|c| c["value"].as_u64().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(cell("<1", "male"), 1);
    assert_eq!(cell("15-19", "male"), 1);
    assert_eq!(cell("10-14", "female"), 1);
    assert_eq!(cell("65+", "unknown"), 1);
    assert_eq!(cell("40-44", "unknown"), 1);
    assert_eq!(report["suppression"].as_array().unwrap().len(), 12);

    // A cell drills down to its patients.
    let infants = listed(&app, &token, "tx_curr", "&age_band=%3C1&sex=male").await;
    assert_eq!(infants.len(), 1);
    // The drill-down is audited with the patients shown.
    use hospitallink::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let last = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("indicator_patients"))
        .order_by_desc(audit_log::Column::Seq)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.actor_id, Some(admin.id));
    let infant = infants.iter().next().unwrap().to_string();
    assert!(last.details.contains(&infant), "{}", last.details);
    let died = listed(&app, &token, "tx_ml", "&outcome=died").await;
    assert_eq!(died.len(), 2);

    // CSV: the total, then each cell.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/indicators/tx_pvls_d/csv?{PERIOD}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("\"TX_PVLS\",\"denominator\",\"all\",\"all\",\"all\",16"));

    // Bad input names the field; another hospital's report is absent; a clinician has none.
    let r = call(
        &app,
        Method::GET,
        "/api/v1/indicators?period_start=2025-09-30&period_end=2025-07-01",
        &token,
        None,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["fields"]["period_end"].is_array(), "{}", r.body);
    // A year no database holds (PostgreSQL's timestamps stop at 4713 BC): a 400, not a 500.
    let r = call(
        &app,
        Method::GET,
        "/api/v1/indicators?period_start=-5000-06-01&period_end=-5000-12-31",
        &token,
        None,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["fields"]["period_start"].is_array(), "{}", r.body);
    let r = call(
        &app,
        Method::GET,
        &format!("/api/v1/indicators/tx_ml/patients?{PERIOD}&outcome=lost"),
        &token,
        None,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["fields"]["outcome"].is_array(), "{}", r.body);
    let r = call(
        &app,
        Method::GET,
        &format!("/api/v1/indicators?{PERIOD}&hospital_id={elsewhere}"),
        &token,
        None,
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let (_, doctor) = member(&app, Role::Clinician, h, "doc").await;
    let r = call(
        &app,
        Method::GET,
        &format!("/api/v1/indicators?{PERIOD}"),
        &doctor,
        None,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // The network view: the platform admin sees every hospital's totals, small ones hidden.
    let platform = app
        .enrolled_staff("root-indicators@example.org", Role::PlatformAdmin, None)
        .await;
    let platform_token = app.token(&platform).await;
    let network = get(
        &app,
        &platform_token,
        &format!("/api/v1/indicators/network?{PERIOD}"),
    )
    .await;
    let ours = network["hospitals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["hospital_id"] == h.to_string())
        .unwrap();
    let value = |values: &Value, m: &str| {
        values
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["measure"] == m)
            .unwrap()
            .clone()
    };
    assert_eq!(value(&ours["values"], "tx_curr")["value"], 40);
    assert_eq!(value(&ours["values"], "tx_rtt")["value"], Value::Null);
    assert_eq!(value(&ours["values"], "tx_rtt")["suppressed"], true);
    assert_eq!(value(&network["totals"], "tx_rtt")["value"], Value::Null);
    let theirs = network["hospitals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["hospital_id"] == elsewhere.to_string())
        .unwrap();
    // One patient on ART there: hidden, and so is the network's TX_CURR total.
    assert_eq!(value(&theirs["values"], "tx_curr")["value"], Value::Null);
    assert_eq!(value(&network["totals"], "tx_curr")["value"], Value::Null);
    assert_eq!(network["hospitals_left_out"], 0);
    // Whole calendar quarters only: a period a day shorter cannot be subtracted from it.
    let r = call(
        &app,
        Method::GET,
        "/api/v1/indicators/network?period_start=2025-07-01&period_end=2025-09-29",
        &platform_token,
        None,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["fields"]["period_start"][0]
        .as_str()
        .unwrap()
        .contains("whole calendar quarter"));
    let r = call(
        &app,
        Method::GET,
        &format!("/api/v1/indicators/network?{PERIOD}"),
        &token,
        None,
    )
    .await;
    assert_eq!(r.status, 403, "a hospital admin: {}", r.body);
    app.cleanup().await;
}
