//! Synthetic patients with realistic HIV histories, for the demo network and for benchmark
//! data sets (`hospitallink seed-demo --patients N`). Deterministic for a given seed.
//!
//! Each patient starts ART on a first-line regimen (EFV-based before mid-2019, DTG-based
//! after; EFV patients move to DTG in 2019-2020), has a baseline CD4 that recovers, viral loads
//! at 6 and 12 months then yearly, and vital signs at each visit. Profiles: most are suppressed;
//! some have low-level viraemia, some are unsuppressed with enhanced adherence counselling
//! notes, some interrupted treatment (no visits for a year or more; half recorded a stop).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::db::begin_write;
use crate::domain::clinical::patient::ValidPatient;
use crate::domain::clinical::record::{
    AdherenceNote, ArtRegimen, Cd4, Payload, ViralLoad, VitalSigns,
};
use crate::entities::clinical_record;
use crate::error::AppResult;
use crate::services::clinical::patients;
use crate::services::clinical::records::{self, NewRecord};
use crate::services::integration::changes::{self, Logged};
use crate::services::Core;

/// Name pools per country code.
fn names(
    country: &str,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    match country {
        "UG" => (
            &[
                "Aisha", "Grace", "Harriet", "Joan", "Prossy", "Sarah", "Winnie", "Esther",
                "Brenda", "Florence",
            ],
            &[
                "Brian", "Ivan", "Moses", "Ronald", "Joseph", "Denis", "Samuel", "Robert", "Isaac",
                "Patrick",
            ],
            &[
                "Nakato",
                "Okello",
                "Mugisha",
                "Namutebi",
                "Tumusiime",
                "Kato",
                "Nansubuga",
                "Byaruhanga",
                "Atim",
                "Ssempa",
            ],
        ),
        "ZA" => (
            &[
                "Lindiwe",
                "Thandeka",
                "Nomvula",
                "Zanele",
                "Palesa",
                "Busisiwe",
                "Naledi",
                "Lerato",
                "Ayanda",
                "Nokuthula",
            ],
            &[
                "Sipho", "Thabo", "Themba", "Bongani", "Mandla", "Lwazi", "Kagiso", "Tshepo",
                "Sibusiso", "Musa",
            ],
            &[
                "Dlamini", "Nkosi", "Ndlovu", "Khumalo", "Mokoena", "Mahlangu", "Zulu", "Mthembu",
                "Molefe", "Sithole",
            ],
        ),
        _ => (
            &[
                "Amina", "Akinyi", "Wanjiru", "Achieng", "Njeri", "Atieno", "Mercy", "Faith",
                "Zawadi", "Nafula",
            ],
            &[
                "Otieno", "Kamau", "Ochieng", "Mwangi", "Kiprop", "Baraka", "Juma", "Onyango",
                "Wekesa", "Kibet",
            ],
            &[
                "Odhiambo", "Mwangi", "Wambui", "Owino", "Kariuki", "Chebet", "Njoroge", "Auma",
                "Mutua", "Omondi",
            ],
        ),
    }
}

/// A hospital the generator writes into.
#[derive(Clone, Debug)]
pub struct Site {
    pub hospital_id: Uuid,
    pub code: String,
    pub country: String,
    /// Author of clinical records (a clinician of the hospital).
    pub clinician: Uuid,
    /// Author of lab results (a lab technician, or the clinician).
    pub lab: Uuid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    Suppressed,
    LowLevel,
    Unsuppressed,
    Interrupted,
}

fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).unwrap_or_default())
}

fn regimen(regimen: &str, line: &str, action: &str, drugs: &[&str]) -> Payload {
    Payload::ArtRegimen(ArtRegimen {
        regimen: regimen.into(),
        drugs: drugs.iter().map(|d| d.to_string()).collect(),
        line: Some(line.into()),
        action: action.into(),
        reason_code: None,
    })
}

const TDF: &str = "J05AF07";
const XTC: &str = "J05AF05";
const EFV: &str = "J05AG03";
const DTG: &str = "J05AJ04";

/// One patient's history: (clinical time, payload, lab?) oldest first.
fn history(
    rng: &mut StdRng,
    today: NaiveDate,
    profile: Profile,
) -> Vec<(DateTime<Utc>, Payload, bool)> {
    let mut out = Vec::new();
    let span = (today - NaiveDate::from_ymd_opt(2012, 1, 1).unwrap_or_default()).num_days() - 120;
    let start = today - Duration::days(rng.gen_range(120..span.max(121)));
    let dtg_from = NaiveDate::from_ymd_opt(2019, 7, 1).unwrap_or_default();
    let efv_first = start < dtg_from;
    out.push((
        at(start, 9),
        if efv_first {
            regimen("TDF+3TC+EFV", "first", "start", &[TDF, XTC, EFV])
        } else {
            regimen("TDF+3TC+DTG", "first", "start", &[TDF, XTC, DTG])
        },
        false,
    ));
    let mut cd4 = rng.gen_range(60..550) as f64;
    out.push((
        at(start, 10),
        Payload::Cd4(Cd4 {
            cells_per_ul: Some(cd4 as i64),
            percent: Some((cd4 / 40.0).clamp(4.0, 40.0).round()),
        }),
        true,
    ));
    let end = match profile {
        Profile::Interrupted => today - Duration::days(rng.gen_range(380..1100)),
        _ => today - Duration::days(rng.gen_range(0..60)),
    };
    let mut weight: f64 = rng.gen_range(48.0..82.0);
    let mut visit = start + Duration::days(182);
    let mut switched = !efv_first;
    let mut n = 0;
    while visit <= end {
        n += 1;
        if !switched && visit >= dtg_from + Duration::days(rng.gen_range(0..400)) {
            out.push((
                at(visit, 9),
                regimen("TDF+3TC+DTG", "first", "substitute", &[TDF, XTC, DTG]),
                false,
            ));
            switched = true;
        }
        weight = (weight + rng.gen_range(-1.5..2.5)).clamp(40.0, 110.0);
        let systolic = rng.gen_range(105..145);
        out.push((
            at(visit, 8),
            Payload::VitalSigns(VitalSigns {
                weight_kg: Some((weight * 10.0).round() / 10.0),
                height_cm: None,
                bp_systolic: Some(systolic),
                bp_diastolic: Some(systolic - rng.gen_range(30..50)),
                temperature_c: Some((rng.gen_range(36.2..37.4_f64) * 10.0).round() / 10.0),
                pulse: Some(rng.gen_range(60..96)),
            }),
            false,
        ));
        let recent = (end - visit).num_days() < 400;
        let vl = match profile {
            Profile::Unsuppressed if recent => {
                let copies = rng.gen_range(1_500.0..250_000.0_f64).round();
                out.push((
                    at(visit, 11),
                    Payload::AdherenceNote(AdherenceNote {
                        text: "Enhanced adherence counselling: reports missed doses; agreed on phone alarm and treatment buddy.".into(),
                        adherence_percent: Some(rng.gen_range(55..85) as f64),
                        method: Some("self_report".into()),
                    }),
                    false,
                ));
                ViralLoad {
                    copies_per_ml: Some(copies),
                    comparator: "=".into(),
                    qualitative: Some("detected".into()),
                    lower_limit: Some(40.0),
                    sample_collected_at: Some(at(visit, 8)),
                }
            }
            Profile::LowLevel if recent => ViralLoad {
                copies_per_ml: Some(rng.gen_range(60.0..950.0_f64).round()),
                comparator: "=".into(),
                qualitative: Some("detected".into()),
                lower_limit: Some(40.0),
                sample_collected_at: Some(at(visit, 8)),
            },
            _ if n == 1 && rng.gen_bool(0.3) => ViralLoad {
                copies_per_ml: Some(rng.gen_range(100.0..5_000.0_f64).round()),
                comparator: "=".into(),
                qualitative: Some("detected".into()),
                lower_limit: Some(40.0),
                sample_collected_at: Some(at(visit, 8)),
            },
            _ => match rng.gen_range(0..10) {
                0..=5 => ViralLoad {
                    copies_per_ml: Some(40.0),
                    comparator: "<".into(),
                    qualitative: Some("ldl".into()),
                    lower_limit: Some(40.0),
                    sample_collected_at: Some(at(visit, 8)),
                },
                6..=8 => ViralLoad {
                    copies_per_ml: None,
                    comparator: "=".into(),
                    qualitative: Some("not_detected".into()),
                    lower_limit: Some(20.0),
                    sample_collected_at: Some(at(visit, 8)),
                },
                _ => ViralLoad {
                    copies_per_ml: Some(rng.gen_range(20.0..50.0_f64).round()),
                    comparator: "=".into(),
                    qualitative: Some("detected".into()),
                    lower_limit: Some(20.0),
                    sample_collected_at: Some(at(visit, 8)),
                },
            },
        };
        out.push((at(visit, 14), Payload::ViralLoad(vl), true));
        if n <= 3 {
            cd4 = (cd4 + rng.gen_range(30.0..140.0)).min(1100.0);
            out.push((
                at(visit, 14),
                Payload::Cd4(Cd4 {
                    cells_per_ul: Some(cd4 as i64),
                    percent: Some((cd4 / 40.0).clamp(4.0, 40.0).round()),
                }),
                true,
            ));
        }
        visit += Duration::days(if n == 1 { 183 } else { rng.gen_range(330..400) });
    }
    if profile == Profile::Interrupted && rng.gen_bool(0.5) {
        let (regimen_name, drugs): (&str, &[&str]) = if switched {
            ("TDF+3TC+DTG", &[TDF, XTC, DTG])
        } else {
            ("TDF+3TC+EFV", &[TDF, XTC, EFV])
        };
        out.push((
            at(end, 12),
            regimen(regimen_name, "first", "stop", drugs),
            false,
        ));
    }
    out
}

fn profile(rng: &mut StdRng) -> Profile {
    match rng.gen_range(0..100) {
        0..=69 => Profile::Suppressed,
        70..=77 => Profile::LowLevel,
        78..=89 => Profile::Unsuppressed,
        _ => Profile::Interrupted,
    }
}

/// The random stream of patient `index` of a set: a patient's demographics and history depend
/// only on the set's seed and the patient's place in it, never on the day the set is generated
/// (histories end today, so their length varies) or on the patients before it.
fn patient_rng(seed: u64, index: usize) -> StdRng {
    StdRng::seed_from_u64(seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Patient `i` of a generated set (demographics only). A name in `reserved` (the named demo
/// patients) is never drawn: the next surname of the pool is taken instead, so searching a
/// named patient's name finds that patient alone.
fn person(rng: &mut StdRng, site: &Site, i: usize, reserved: &[(&str, &str)]) -> ValidPatient {
    let (women, men, surnames) = names(&site.country);
    let female = rng.gen_bool(0.6);
    let first = if female {
        women[rng.gen_range(0..women.len())]
    } else {
        men[rng.gen_range(0..men.len())]
    };
    let drawn = rng.gen_range(0..surnames.len());
    let last = (0..surnames.len())
        .map(|k| surnames[(drawn + k) % surnames.len()])
        .find(|last| !reserved.contains(&(first, *last)))
        .unwrap_or(surnames[drawn]);
    let dob = NaiveDate::from_ymd_opt(
        rng.gen_range(1960..2006),
        rng.gen_range(1..13),
        rng.gen_range(1..29),
    )
    .unwrap_or_default();
    let prefix = match site.country.as_str() {
        "UG" => "+2567",
        "ZA" => "+277",
        _ => "+2547",
    };
    ValidPatient {
        first_name: first.into(),
        last_name: last.into(),
        date_of_birth: dob,
        sex: if female { "female" } else { "male" }.into(),
        phone: Some(format!("{prefix}{:08}", 10_000_000 + i)),
        ..Default::default()
    }
}

/// Writes a synthetic history for an existing patient of `site`.
pub async fn history_for(
    core: &Core,
    txn: &impl sea_orm::ConnectionTrait,
    patient_id: Uuid,
    site: &Site,
    seed: u64,
) -> AppResult<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let today = core.clock.now().date_naive();
    let p = profile(&mut rng);
    write_history(core, txn, patient_id, site, history(&mut rng, today, p)).await
}

/// A recent adherence counselling note by the site's clinician. The demo's shared patient has
/// one whatever her generated history, so the sharing demo always holds a category that a labs
/// grant keeps at the hospital that wrote it.
pub async fn counselling_note(
    core: &Core,
    txn: &impl sea_orm::ConnectionTrait,
    patient_id: Uuid,
    site: &Site,
) -> AppResult<u64> {
    let at = core.clock.now() - Duration::days(30);
    let note = Payload::AdherenceNote(AdherenceNote {
        text: "Adherence counselling: takes her doses with the evening meal; no missed doses \
               this month."
            .into(),
        adherence_percent: Some(95.0),
        method: Some("self_report".into()),
    });
    write_history(core, txn, patient_id, site, vec![(at, note, false)]).await
}

async fn write_history(
    core: &Core,
    txn: &impl sea_orm::ConnectionTrait,
    patient_id: Uuid,
    site: &Site,
    events: Vec<(DateTime<Utc>, Payload, bool)>,
) -> AppResult<u64> {
    let rows: Vec<clinical_record::ActiveModel> = events
        .iter()
        .map(|(at, payload, lab)| {
            records::new_model(
                core,
                NewRecord {
                    patient_id,
                    hospital_id: site.hospital_id,
                    created_by: if *lab { site.lab } else { site.clinician },
                    recorded_at: *at,
                    payload,
                    supersedes: None,
                    clinician_only: false,
                },
            )
        })
        .collect();
    let n = rows.len() as u64;
    let logged: Vec<Logged> = rows
        .iter()
        .zip(&events)
        .filter_map(|(row, (_, payload, _))| match row.id {
            sea_orm::ActiveValue::Set(id) => Some(Logged::record(
                id,
                patient_id,
                site.hospital_id,
                payload.record_type(),
            )),
            _ => None,
        })
        .collect();
    clinical_record::Entity::insert_many(rows).exec(txn).await?;
    changes::log(txn, core.clock.now(), &logged).await?;
    records::refresh_state(core, txn, patient_id, site.hospital_id).await?;
    Ok(n)
}

/// What a generation wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generated {
    pub patients: u64,
    pub records: u64,
}

/// Writes `count` synthetic patients spread over `sites`, with histories up to `today`.
/// `existing` gives each hospital's MRN sequence a starting point; no patient is given a name
/// in `reserved`. Commits every 200 patients.
pub async fn generate(
    core: &Core,
    sites: &[Site],
    count: usize,
    seed: u64,
    existing: usize,
    reserved: &[(&str, &str)],
) -> AppResult<Generated> {
    let today = core.clock.now().date_naive();
    let mut done = Generated::default();
    let mut i = 0;
    while i < count {
        let txn = begin_write(&core.db).await?;
        for _ in 0..200.min(count - i) {
            let site = &sites[i % sites.len()];
            let mut rng = patient_rng(seed, i);
            let valid = person(&mut rng, site, existing + i, reserved);
            let patient_id = patients::insert(core, &txn, &valid).await?;
            // The named demo patients' MRNs (Amina's at Mbarara and Soweto) are passed over.
            let mut number = existing + i + 1;
            let mut mrn = format!("{}-{:07}", site.code, number);
            while patients::mrn_taken(&txn, site.hospital_id, &mrn).await? {
                number += sites.len();
                mrn = format!("{}-{:07}", site.code, number);
            }
            patients::insert_link(core, &txn, patient_id, site.hospital_id, Some(mrn), None)
                .await?;
            let registered = Logged::patient(patient_id, site.hospital_id);
            changes::log(&txn, core.clock.now(), &[registered]).await?;
            let p = profile(&mut rng);
            let events = history(&mut rng, today, p);
            done.records += write_history(core, &txn, patient_id, site, events).await?;
            done.patients += 1;
            i += 1;
        }
        txn.commit().await?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(country: &str) -> Site {
        Site {
            hospital_id: Uuid::nil(),
            code: "T".into(),
            country: country.into(),
            clinician: Uuid::nil(),
            lab: Uuid::nil(),
        }
    }

    fn names_of(count: usize, reserved: &[(&str, &str)]) -> Vec<(String, String)> {
        let sites = [site("KE"), site("UG"), site("ZA")];
        (0..count)
            .map(|i| {
                let p = person(&mut patient_rng(2026, i), &sites[i % 3], i, reserved);
                (p.first_name, p.last_name)
            })
            .collect()
    }

    #[test]
    fn a_patient_is_the_same_whatever_the_day_it_is_generated() {
        let sites = [site("KE"), site("UG"), site("ZA")];
        let run = |today: &str| {
            let today: NaiveDate = today.parse().unwrap();
            (0..30)
                .map(|n| {
                    let mut rng = patient_rng(2026, n);
                    let p = person(&mut rng, &sites[n % 3], n, &[]);
                    // Histories end today: on another day they draw more or fewer numbers.
                    let profile = profile(&mut rng);
                    let events = history(&mut rng, today, profile);
                    (
                        p.first_name,
                        p.last_name,
                        p.date_of_birth,
                        !events.is_empty(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run("2026-11-30"), run("2031-02-14"));
    }

    #[test]
    fn reserved_names_are_never_drawn() {
        let free = names_of(600, &[]);
        // Names the pools do produce, reserved: none of them comes out any more.
        let reserved: Vec<(&str, &str)> = free[..5]
            .iter()
            .map(|(f, l)| (f.as_str(), l.as_str()))
            .collect();
        let drawn = names_of(600, &reserved);
        for (f, l) in &drawn {
            assert!(
                !reserved.contains(&(f.as_str(), l.as_str())),
                "{f} {l} is reserved"
            );
        }
        // Only the reserved names changed.
        let changed = free.iter().zip(&drawn).filter(|(a, b)| a != b).count();
        let hits = free
            .iter()
            .filter(|(f, l)| reserved.contains(&(f.as_str(), l.as_str())))
            .count();
        assert_eq!(changed, hits);
        assert!(hits >= 5);
    }
}
