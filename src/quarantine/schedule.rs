//! The schedule engine (pure: no I/O): from a profile's quarantine rules, a kind of person and
//! the day the count starts from, the measures in sequence (first day, last day, number of days)
//! and the test days (date, measure, day number inside the measure).
//!
//! Day counting: day `n` of the whole sequence falls on `start + (n − anchor_day)` days, where
//! `anchor_day` is the profile's parameter (0 in both shipped profiles: the day of last exposure,
//! arrival or leaving the risk area is day 0, day 1 is the next day; see data/policy/README.md).
//! Measure `i` covers the days after those of measures `0..i`; a test day `t` of a measure is the
//! measure's own `t`-th day.

use super::rules::{KindStatus, Measure, QuarantineRules};
use chrono::{Days, NaiveDate};
use serde::Serialize;

/// One measure of a computed schedule: first and last day (both included) and the number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MeasureSpan {
    pub measure: Measure,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: u32,
}

/// One test (sampling) day: its date, the measure it falls in and its day number inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct TestDay {
    pub date: NaiveDate,
    pub measure: Measure,
    pub day: u32,
}

/// A computed schedule; serialises exactly as `firebreak policy schedule --format json` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    pub measures: Vec<MeasureSpan>,
    pub tests: Vec<TestDay>,
}

impl Schedule {
    /// The last day under control (inclusive); `None` for an empty schedule.
    pub fn end_date(&self) -> Option<NaiveDate> {
        self.measures.last().map(|m| m.to)
    }
    /// The measure in force on `date`.
    pub fn measure_on(&self, date: NaiveDate) -> Option<&MeasureSpan> {
        self.measures.iter().find(|m| m.from <= date && date <= m.to)
    }
    /// The test dates, in order.
    pub fn test_dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.tests.iter().map(|t| t.date)
    }
}

/// Why no schedule can be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("profile {profile} has no rule for kind \"{kind}\"; kinds: {known}")]
    UnknownKind { profile: String, kind: String, known: String },
    #[error("profile {profile} identifies no {kind}: {text}")]
    NotIdentified { profile: String, kind: String, text: String },
    #[error("profile {profile} has no {kind} category: {text}")]
    Abolished { profile: String, kind: String, text: String },
    #[error("profile {profile} places no {kind} arrival under control: {text}")]
    NotControlled { profile: String, kind: String, text: String },
    #[error("start date {0} is out of range")]
    DateRange(NaiveDate),
}

fn add(d: NaiveDate, n: u64) -> Option<NaiveDate> {
    d.checked_add_days(Days::new(n))
}

/// Computes the schedule of a person of `kind` whose count starts on `start` under the profile
/// `profile` (its code names it in errors).
///
/// Example (covid19-9th, close contact last exposed 2022-10-06, anchor day 0): centralized
/// quarantine 2022-10-07 … 2022-10-13 (7 days), tests 10-07, 10-08, 10-09, 10-11, 10-13; home
/// health monitoring 2022-10-14 … 2022-10-16 (3 days), test 10-16.
pub fn compute(
    profile: &str,
    rules: &QuarantineRules,
    kind: &str,
    start: NaiveDate,
) -> Result<Schedule, ScheduleError> {
    let mut out = Schedule::default();
    compute_into(profile, rules, kind, start, &mut out)?;
    Ok(out)
}

/// [`compute`] into a reused buffer (cleared first): no allocation once the buffer has grown.
pub fn compute_into(
    profile: &str,
    rules: &QuarantineRules,
    kind: &str,
    start: NaiveDate,
    out: &mut Schedule,
) -> Result<(), ScheduleError> {
    out.measures.clear();
    out.tests.clear();
    let Some(r) = rules.kinds.get(kind) else {
        return Err(ScheduleError::UnknownKind {
            profile: profile.into(),
            kind: kind.into(),
            known: rules.kinds.keys().cloned().collect::<Vec<_>>().join(", "),
        });
    };
    let err = |f: fn(String, String, String) -> ScheduleError| Err(f(profile.into(), kind.into(), r.text_en.clone()));
    match r.status {
        KindStatus::Controlled => {}
        KindStatus::NotIdentified => {
            return err(|profile, kind, text| ScheduleError::NotIdentified { profile, kind, text });
        }
        KindStatus::Abolished => return err(|profile, kind, text| ScheduleError::Abolished { profile, kind, text }),
        KindStatus::NotControlled => {
            return err(|profile, kind, text| ScheduleError::NotControlled { profile, kind, text });
        }
    }
    // Day 1 of the sequence.
    let day1 = if rules.anchor_day == 0 { add(start, 1) } else { Some(start) };
    let mut first = day1.ok_or(ScheduleError::DateRange(start))?;
    for m in &r.measures {
        let to = add(first, u64::from(m.days) - 1).ok_or(ScheduleError::DateRange(start))?;
        out.measures.push(MeasureSpan { measure: m.measure, from: first, to, days: m.days });
        for &t in &m.test_days {
            // validate() keeps t within 1..=days, so the date is within from..=to.
            let date = add(first, u64::from(t) - 1).ok_or(ScheduleError::DateRange(start))?;
            out.tests.push(TestDay { date, measure: m.measure, day: t });
        }
        first = add(to, 1).ok_or(ScheduleError::DateRange(start))?;
    }
    Ok(())
}

/// A schedule recomputed on `as_of` (the day a profile change or a date correction applies):
/// the days before `as_of` are history and keep the old schedule's tests; from `as_of` on, the
/// new schedule's measures and tests apply. When the new profile no longer controls the kind
/// (`new` is `None`), control ends the day before `as_of` (or the day before the first day, for
/// someone whose schedule had not begun): the old measures are cut there.
pub fn rebase(old: &Schedule, new: Option<&Schedule>, as_of: NaiveDate) -> Schedule {
    let mut tests: Vec<TestDay> = old.tests.iter().filter(|t| t.date < as_of).copied().collect();
    let measures = match new {
        Some(n) => {
            tests.extend(n.tests.iter().filter(|t| t.date >= as_of).copied());
            n.measures.clone()
        }
        None => old
            .measures
            .iter()
            .filter(|m| m.from < as_of)
            .map(|m| {
                let to = m.to.min(as_of.pred_opt().unwrap_or(as_of));
                MeasureSpan { days: u32::try_from((to - m.from).num_days() + 1).unwrap_or(0), to, ..*m }
            })
            .collect(),
    };
    Schedule { measures, tests }
}

/// What a recomputation changes for one person (the preview row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub end_from: Option<NaiveDate>,
    pub end_to: Option<NaiveDate>,
    /// Test dates no longer scheduled.
    pub tests_removed: Vec<NaiveDate>,
    /// Test dates newly scheduled.
    pub tests_added: Vec<NaiveDate>,
    /// The sequence of measures changed (kinds or lengths).
    pub measures_changed: bool,
}

/// Compares two schedules; `None` when nothing a person or the staff would notice changed.
pub fn diff(old: &Schedule, new: &Schedule) -> Option<Change> {
    let measures_changed = old.measures != new.measures;
    let removed: Vec<NaiveDate> = old.tests.iter().filter(|t| !new.tests.contains(t)).map(|t| t.date).collect();
    let added: Vec<NaiveDate> = new.tests.iter().filter(|t| !old.tests.contains(t)).map(|t| t.date).collect();
    if !measures_changed && removed.is_empty() && added.is_empty() {
        return None;
    }
    Some(Change {
        end_from: old.end_date(),
        end_to: new.end_date(),
        tests_removed: removed,
        tests_added: added,
        measures_changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quarantine::rules::Measure::*;
    use crate::tracing::policy::{Profile, shipped};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }
    fn profile(code: &str) -> Profile {
        shipped().into_iter().find(|p| p.code == code).expect("shipped profile")
    }
    fn sched(code: &str, kind: &str, start: &str) -> Result<Schedule, ScheduleError> {
        let p = profile(code);
        compute(&p.code, &p.quarantine, kind, d(start))
    }
    fn spans(s: &Schedule) -> Vec<(Measure, String, String, u32)> {
        s.measures.iter().map(|m| (m.measure, m.from.to_string(), m.to.to_string(), m.days)).collect()
    }
    fn tests(s: &Schedule) -> Vec<(String, Measure, u32)> {
        s.tests.iter().map(|t| (t.date.to_string(), t.measure, t.day)).collect()
    }
    fn m(x: Measure, from: &str, to: &str, days: u32) -> (Measure, String, String, u32) {
        (x, from.into(), to.into(), days)
    }
    fn t(date: &str, x: Measure, day: u32) -> (String, Measure, u32) {
        (date.into(), x, day)
    }

    /// 9th edition, close contact: 7 days centralized + 3 days home health monitoring, tests on
    /// centralized days 1, 2, 3, 5, 7 and home day 3; last exposure 2022-10-06 is day 0.
    #[test]
    fn ninth_close_contact_last_exposed_on_a_given_day() {
        let s = sched("covid19-9th", "close-contact", "2022-10-06").expect("schedule");
        assert_eq!(
            spans(&s),
            [
                m(CentralizedQuarantine, "2022-10-07", "2022-10-13", 7),
                m(HomeHealthMonitoring, "2022-10-14", "2022-10-16", 3)
            ]
        );
        assert_eq!(
            tests(&s),
            [
                t("2022-10-07", CentralizedQuarantine, 1),
                t("2022-10-08", CentralizedQuarantine, 2),
                t("2022-10-09", CentralizedQuarantine, 3),
                t("2022-10-11", CentralizedQuarantine, 5),
                t("2022-10-13", CentralizedQuarantine, 7),
                t("2022-10-16", HomeHealthMonitoring, 3),
            ]
        );
        assert_eq!(s.end_date(), Some(d("2022-10-16")));
        assert_eq!(s.measure_on(d("2022-10-06")), None);
        assert_eq!(s.measure_on(d("2022-10-13")).map(|m| m.measure), Some(CentralizedQuarantine));
        assert_eq!(s.measure_on(d("2022-10-14")).map(|m| m.measure), Some(HomeHealthMonitoring));
    }

    /// 20 measures, close contact: 5 days centralized + 3 days home quarantine, tests on
    /// centralized days 1, 2, 3, 5 and home days 1, 3.
    #[test]
    fn twenty_measures_close_contact() {
        let s = sched("covid19-20-measures", "close-contact", "2022-11-15").expect("schedule");
        assert_eq!(
            spans(&s),
            [m(CentralizedQuarantine, "2022-11-16", "2022-11-20", 5), m(HomeQuarantine, "2022-11-21", "2022-11-23", 3)]
        );
        assert_eq!(
            tests(&s),
            [
                t("2022-11-16", CentralizedQuarantine, 1),
                t("2022-11-17", CentralizedQuarantine, 2),
                t("2022-11-18", CentralizedQuarantine, 3),
                t("2022-11-20", CentralizedQuarantine, 5),
                t("2022-11-21", HomeQuarantine, 1),
                t("2022-11-23", HomeQuarantine, 3),
            ]
        );
    }

    /// 9th edition, secondary contact: 7 days home quarantine, tests on days 1, 4, 7; the 20
    /// measures no longer identify secondary contacts: a clear error.
    #[test]
    fn secondary_contact() {
        let s = sched("covid19-9th", "secondary-contact", "2022-09-30").expect("schedule");
        assert_eq!(spans(&s), [m(HomeQuarantine, "2022-10-01", "2022-10-07", 7)]);
        assert_eq!(
            tests(&s),
            [
                t("2022-10-01", HomeQuarantine, 1),
                t("2022-10-04", HomeQuarantine, 4),
                t("2022-10-07", HomeQuarantine, 7)
            ]
        );
        let e = sched("covid19-20-measures", "secondary-contact", "2022-11-20").expect_err("not identified");
        assert!(matches!(e, ScheduleError::NotIdentified { .. }), "{e}");
        assert!(e.to_string().contains("no longer identified"), "{e}");
    }

    /// Inbound travellers: 9th 7 + 3 (day of entry is day 0), 20 measures 5 + 3 home quarantine,
    /// tests as close contacts.
    #[test]
    fn inbound_traveller() {
        let s = sched("covid19-9th", "inbound", "2022-07-01").expect("schedule");
        assert_eq!(
            spans(&s),
            [
                m(CentralizedQuarantine, "2022-07-02", "2022-07-08", 7),
                m(HomeHealthMonitoring, "2022-07-09", "2022-07-11", 3)
            ]
        );
        assert_eq!(
            s.test_dates().map(|x| x.to_string()).collect::<Vec<_>>(),
            ["2022-07-02", "2022-07-03", "2022-07-04", "2022-07-06", "2022-07-08", "2022-07-11"]
        );
        let s = sched("covid19-20-measures", "inbound", "2022-11-30").expect("schedule");
        assert_eq!(
            spans(&s),
            [m(CentralizedQuarantine, "2022-12-01", "2022-12-05", 5), m(HomeQuarantine, "2022-12-06", "2022-12-08", 3)]
        );
        assert_eq!(s.tests.len(), 6);
    }

    /// A traveller from a high-risk area: 9th 7 days centralized, tests 1, 2, 3, 5, 7, counted
    /// from the day they left the area; 20 measures 7 days home quarantine, tests 1, 3, 5, 7.
    #[test]
    fn traveller_from_a_high_risk_area() {
        let s = sched("covid19-9th", "high-risk-area", "2022-08-10").expect("schedule");
        assert_eq!(spans(&s), [m(CentralizedQuarantine, "2022-08-11", "2022-08-17", 7)]);
        assert_eq!(
            tests(&s),
            [
                t("2022-08-11", CentralizedQuarantine, 1),
                t("2022-08-12", CentralizedQuarantine, 2),
                t("2022-08-13", CentralizedQuarantine, 3),
                t("2022-08-15", CentralizedQuarantine, 5),
                t("2022-08-17", CentralizedQuarantine, 7),
            ]
        );
        let s = sched("covid19-20-measures", "high-risk-area", "2022-11-12").expect("schedule");
        assert_eq!(spans(&s), [m(HomeQuarantine, "2022-11-13", "2022-11-19", 7)]);
        assert_eq!(
            s.test_dates().map(|x| x.to_string()).collect::<Vec<_>>(),
            ["2022-11-13", "2022-11-15", "2022-11-17", "2022-11-19"]
        );
    }

    /// Medium-risk area: 9th 7 days home quarantine, tests 1, 4, 7; abolished by the 20 measures.
    #[test]
    fn medium_risk_area() {
        let s = sched("covid19-9th", "medium-risk-area", "2022-08-10").expect("schedule");
        assert_eq!(spans(&s), [m(HomeQuarantine, "2022-08-11", "2022-08-17", 7)]);
        assert_eq!(
            s.test_dates().map(|x| x.to_string()).collect::<Vec<_>>(),
            ["2022-08-11", "2022-08-14", "2022-08-17"]
        );
        let e = sched("covid19-20-measures", "medium-risk-area", "2022-11-12").expect_err("abolished");
        assert!(matches!(e, ScheduleError::Abolished { .. }) && e.to_string().contains("abolished"), "{e}");
    }

    /// Low-risk area: 9th "3天2检" (two tests within 3 days, 24 h apart: days 1 and 2);
    /// 20 measures: not controlled (voluntary test on arrival).
    #[test]
    fn low_risk_area() {
        let s = sched("covid19-9th", "low-risk-area", "2022-08-10").expect("schedule");
        assert_eq!(spans(&s), [m(SelfHealthMonitoring, "2022-08-11", "2022-08-13", 3)]);
        assert_eq!(s.test_dates().map(|x| x.to_string()).collect::<Vec<_>>(), ["2022-08-11", "2022-08-12"]);
        let e = sched("covid19-20-measures", "low-risk-area", "2022-11-12").expect_err("not controlled");
        assert!(matches!(e, ScheduleError::NotControlled { .. }), "{e}");
        let e = sched("covid19-9th", "astronaut", "2022-08-10").expect_err("unknown");
        assert!(e.to_string().contains("close-contact"), "{e}");
    }

    /// The day-counting parameter: with anchor_day 1 the anchor day itself is day 1.
    #[test]
    fn anchor_day_one_counts_the_anchor_day() {
        let mut p = profile("covid19-9th");
        p.quarantine.anchor_day = 1;
        let s = compute(&p.code, &p.quarantine, "close-contact", d("2022-10-06")).expect("schedule");
        assert_eq!(s.measures[0].from, d("2022-10-06"));
        assert_eq!(s.measures[0].to, d("2022-10-12"));
        assert_eq!(s.end_date(), Some(d("2022-10-15")));
    }

    /// A close contact last exposed 2022-11-08 is under the 9th edition (7 + 3, ends 11-18);
    /// the 20 measures apply from 2022-11-11: the tests already past (11-09, 11-10) stay, from
    /// 11-11 on the 5 + 3 schedule applies: ends 11-16, test 11-15 dropped, 11-14 and 11-16 added.
    #[test]
    fn profile_change_mid_quarantine() {
        let old = sched("covid19-9th", "close-contact", "2022-11-08").expect("old");
        assert_eq!(old.end_date(), Some(d("2022-11-18")));
        let new = sched("covid19-20-measures", "close-contact", "2022-11-08").expect("new");
        let r = rebase(&old, Some(&new), d("2022-11-11"));
        assert_eq!(
            spans(&r),
            [m(CentralizedQuarantine, "2022-11-09", "2022-11-13", 5), m(HomeQuarantine, "2022-11-14", "2022-11-16", 3)]
        );
        assert_eq!(
            r.test_dates().map(|x| x.to_string()).collect::<Vec<_>>(),
            ["2022-11-09", "2022-11-10", "2022-11-11", "2022-11-13", "2022-11-14", "2022-11-16"]
        );
        let c = diff(&old, &r).expect("changed");
        assert_eq!((c.end_from, c.end_to), (Some(d("2022-11-18")), Some(d("2022-11-16"))));
        assert_eq!(c.tests_removed, [d("2022-11-15"), d("2022-11-18")]);
        assert_eq!(c.tests_added, [d("2022-11-14"), d("2022-11-16")]);
        assert!(c.measures_changed);
        assert_eq!(diff(&old, &old), None);
    }

    /// A secondary contact under the 9th edition when the 20 measures apply: control ends the
    /// day before (11-10), the later tests are dropped.
    #[test]
    fn profile_change_ends_an_abolished_kind() {
        let old = sched("covid19-9th", "secondary-contact", "2022-11-07").expect("old");
        let r = rebase(&old, None, d("2022-11-11"));
        assert_eq!(spans(&r), [m(HomeQuarantine, "2022-11-08", "2022-11-10", 3)]);
        assert_eq!(r.test_dates().map(|x| x.to_string()).collect::<Vec<_>>(), ["2022-11-08"]);
        // Not begun yet: nothing left.
        let old = sched("covid19-9th", "secondary-contact", "2022-11-12").expect("old");
        assert_eq!(rebase(&old, None, d("2022-11-11")), Schedule::default());
    }

    /// A person's start date corrected (a later last exposure): everything from today shifts.
    #[test]
    fn date_change_shifts_the_schedule() {
        let old = sched("covid19-9th", "close-contact", "2022-10-06").expect("old");
        let new = sched("covid19-9th", "close-contact", "2022-10-08").expect("new");
        let r = rebase(&old, Some(&new), d("2022-10-09"));
        assert_eq!(r.end_date(), Some(d("2022-10-18")));
        // 10-07 and 10-08 were tested under the old dates; from 10-09: days 1 (10-09), 2, 3, 5, 7.
        assert_eq!(
            r.test_dates().map(|x| x.to_string()).collect::<Vec<_>>(),
            [
                "2022-10-07",
                "2022-10-08",
                "2022-10-09",
                "2022-10-10",
                "2022-10-11",
                "2022-10-13",
                "2022-10-15",
                "2022-10-18"
            ]
        );
    }

    #[test]
    fn shipped_quarantine_rules_validate_and_bad_ones_are_named() {
        for p in shipped() {
            p.quarantine.validate().expect("valid");
            assert_eq!(p.quarantine.anchor_day, 0);
        }
        let mut p = profile("covid19-9th");
        if let Some(k) = p.quarantine.kinds.get_mut("close-contact") {
            k.measures[0].test_days = vec![1, 3, 2];
        }
        let e = p.quarantine.validate().expect_err("bad test days");
        assert!(e.contains("quarantine.kinds.close-contact.measures[0].test_days"), "{e}");
        let mut p = profile("covid19-9th");
        if let Some(k) = p.quarantine.kinds.get_mut("close-contact") {
            k.measures[1].days = 0;
        }
        assert!(p.quarantine.validate().expect_err("0 days").contains("measures[1].days 0"));
    }
}
