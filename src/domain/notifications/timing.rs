//! When a message goes, on the hospital's clock: a visit reminder the day before at 10:00, a
//! missed-visit message the next day at 10:00, a come-back message two days before the supply
//! dispensed runs out at 10:00, a result message at once; never before 08:00 or after 20:00,
//! never in the patient's quiet hours, never in the past (a late one goes now), and a reminder
//! not once its visit has begun.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::Kind;
use crate::domain::portal::{ClockTime, Preferences};

/// The hour planned messages go out.
pub const SEND_HOUR: u32 = 10;
/// No message before this hour or from the next one on.
pub const DAY_STARTS: u32 = 8;
pub const DAY_ENDS: u32 = 20;

fn at(date: NaiveDate, hour: u32) -> NaiveDateTime {
    date.and_hms_opt(hour, 0, 0).expect("an hour of the day")
}

/// When a message of `kind` about `moment` (the visit's start, the supply's end; for a result,
/// when it was recorded) is planned.
pub fn planned(kind: Kind, moment: NaiveDateTime) -> NaiveDateTime {
    match kind {
        Kind::AppointmentReminder => at(moment.date() - Duration::days(1), SEND_HOUR),
        Kind::MissedAppointment => at(moment.date() + Duration::days(1), SEND_HOUR),
        Kind::RefillDue => at(moment.date() - Duration::days(2), SEND_HOUR),
        Kind::ResultReady => moment,
    }
}

/// `t` moved into the day (08:00 to 20:00).
fn in_daytime(t: NaiveDateTime) -> NaiveDateTime {
    if t.hour() < DAY_STARTS {
        at(t.date(), DAY_STARTS)
    } else if t.hour() >= DAY_ENDS {
        at(t.date() + Duration::days(1), DAY_STARTS)
    } else {
        t
    }
}

fn clock_of(t: NaiveDateTime) -> ClockTime {
    ClockTime::new(t.hour() as u8, t.minute() as u8).expect("a clock time")
}

/// `t` moved past the patient's quiet hours, when it falls in them.
fn past_quiet(t: NaiveDateTime, prefs: &Preferences) -> NaiveDateTime {
    let (Some(_), Some(until)) = (prefs.quiet_from, prefs.quiet_until) else {
        return t;
    };
    if !prefs.is_quiet_at(clock_of(t)) {
        return t;
    }
    let end = NaiveTime::from_hms_opt(until.hour().into(), until.minute().into(), 0)
        .expect("a clock time");
    let same_day = t.date().and_time(end);
    if same_day > t {
        same_day
    } else {
        (t.date() + Duration::days(1)).and_time(end)
    }
}

/// When a message planned for `planned` goes, seen at `now` (both on the hospital's clock).
pub fn send_at(planned: NaiveDateTime, now: NaiveDateTime, prefs: &Preferences) -> NaiveDateTime {
    let first = planned.max(now);
    let mut t = first;
    // Quiet hours and the day may push each other on; a few rounds settle any real pair.
    for _ in 0..4 {
        let next = past_quiet(in_daytime(t), prefs);
        if next == t {
            return t;
        }
        t = next;
    }
    // Quiet hours that cover the whole day: the patient's wish wins over the daytime rule.
    past_quiet(in_daytime(first), prefs)
}

/// Whether a reminder sent at `send_at` still comes before its visit (at `visit_start`); the
/// other kinds always do.
pub fn still_timely(kind: Kind, send_at: NaiveDateTime, visit_start: NaiveDateTime) -> bool {
    kind != Kind::AppointmentReminder || send_at < visit_start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::portal::ReminderChannel;

    fn t(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 5, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    fn quiet(from: &str, until: &str) -> Preferences {
        Preferences {
            reminder_channel: ReminderChannel::Sms,
            quiet_from: Some(from.parse().unwrap()),
            quiet_until: Some(until.parse().unwrap()),
            language: None,
        }
    }

    #[test]
    fn each_kind_has_its_hour_on_the_hospitals_clock() {
        // A visit at 09:30 on the 7th: reminded at 10:00 on the 6th, across the day boundary.
        assert_eq!(planned(Kind::AppointmentReminder, t(7, 9, 30)), t(6, 10, 0));
        // A visit at 00:30 still is reminded the day before.
        assert_eq!(planned(Kind::AppointmentReminder, t(7, 0, 30)), t(6, 10, 0));
        assert_eq!(planned(Kind::MissedAppointment, t(7, 23, 30)), t(8, 10, 0));
        assert_eq!(planned(Kind::RefillDue, t(10, 0, 0)), t(8, 10, 0));
        assert_eq!(planned(Kind::ResultReady, t(7, 15, 12)), t(7, 15, 12));
    }

    #[test]
    fn never_at_night_never_in_the_past() {
        let none = Preferences::default();
        let now = t(6, 14, 0);
        assert_eq!(send_at(t(6, 10, 0), now, &none), now, "late: now");
        assert_eq!(send_at(t(7, 10, 0), now, &none), t(7, 10, 0));
        // A result recorded at 21:40 goes the next morning at 08:00; one at 06:15 at 08:00.
        assert_eq!(send_at(t(6, 21, 40), t(6, 21, 40), &none), t(7, 8, 0));
        assert_eq!(send_at(t(6, 6, 15), t(6, 6, 15), &none), t(6, 8, 0));
    }

    #[test]
    fn quiet_hours_push_a_message_on() {
        // Quiet 09:00-12:00: the 10:00 reminder waits until noon.
        assert_eq!(
            send_at(t(6, 10, 0), t(5, 8, 0), &quiet("09:00", "12:00")),
            t(6, 12, 0)
        );
        // Quiet across midnight (21:00-07:00) does not move a 10:00 message.
        assert_eq!(
            send_at(t(6, 10, 0), t(5, 8, 0), &quiet("21:00", "07:00")),
            t(6, 10, 0)
        );
        // Quiet until 09:00 after a night result: the next morning at 09:00, not 08:00.
        assert_eq!(
            send_at(t(6, 22, 0), t(6, 22, 0), &quiet("21:00", "09:00")),
            t(7, 9, 0)
        );
        // Quiet 19:00-23:00 at 19:30: past 20:00 too, so the next morning at 08:00.
        assert_eq!(
            send_at(t(6, 19, 30), t(6, 19, 30), &quiet("19:00", "23:00")),
            t(7, 8, 0)
        );
        // Quiet hours over the whole day: at their end, the patient's wish first.
        assert_eq!(
            send_at(t(6, 10, 0), t(6, 10, 0), &quiet("08:00", "23:59")),
            t(6, 23, 59)
        );
    }

    #[test]
    fn a_reminder_comes_before_its_visit_or_not_at_all() {
        assert!(still_timely(
            Kind::AppointmentReminder,
            t(6, 10, 0),
            t(7, 9, 30)
        ));
        assert!(!still_timely(
            Kind::AppointmentReminder,
            t(7, 9, 30),
            t(7, 9, 30)
        ));
        assert!(still_timely(
            Kind::MissedAppointment,
            t(9, 9, 30),
            t(7, 9, 30)
        ));
    }
}
