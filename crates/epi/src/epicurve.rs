//! Epidemic curves: daily and ISO-weekly case counts per group, imported and local kept apart,
//! empty days filled with 0; and daily counts from a cumulative series.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

use crate::error::EpiError;

/// Where a case was infected: locally, or imported from outside the jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Origin {
    /// Infected inside the jurisdiction (local transmission).
    Local,
    /// Infected elsewhere (imported).
    Imported,
}

/// One case for an epidemic curve: its date (onset or report, the caller's choice), a grouping
/// key (e.g. `(jurisdiction code, classification)`) and its origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRecord<K> {
    /// The day the case is counted on.
    pub date: NaiveDate,
    /// Grouping key; any ordered type (a code, a tuple of code and classification, …).
    pub key: K,
    /// Local or imported.
    pub origin: Origin,
}

/// An inclusive range of days `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateRange {
    first: NaiveDate,
    last: NaiveDate,
}

impl DateRange {
    /// A range of days, both ends included.
    ///
    /// # Errors
    /// [`EpiError::InvalidDateRange`] when `first > last`.
    pub fn new(first: NaiveDate, last: NaiveDate) -> Result<Self, EpiError> {
        if first > last {
            return Err(EpiError::InvalidDateRange { first, last });
        }
        Ok(Self { first, last })
    }

    /// First day.
    pub fn first(&self) -> NaiveDate {
        self.first
    }

    /// Last day (included).
    pub fn last(&self) -> NaiveDate {
        self.last
    }

    /// Whether `d` lies in the range.
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.first <= d && d <= self.last
    }

    /// Number of days (≥ 1).
    pub fn days(&self) -> usize {
        usize::try_from((self.last - self.first).num_days()).unwrap_or(0) + 1
    }
}

impl FromStr for DateRange {
    type Err = EpiError;

    /// Parses `YYYY-MM-DD..YYYY-MM-DD` (the CLI's `--period FROM..TO`).
    fn from_str(s: &str) -> Result<Self, EpiError> {
        let err =
            || EpiError::Parse { field: "period", value: s.to_string(), expected: "a range YYYY-MM-DD..YYYY-MM-DD" };
        let (a, b) = s.split_once("..").ok_or_else(err)?;
        let a = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").map_err(|_| err())?;
        let b = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| err())?;
        DateRange::new(a, b)
    }
}

/// Counts per day (or week) for one group, local and imported apart.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OriginCounts {
    /// Local cases per bin.
    pub local: Vec<u64>,
    /// Imported cases per bin.
    pub imported: Vec<u64>,
}

impl OriginCounts {
    fn zeros(n: usize) -> Self {
        Self { local: vec![0; n], imported: vec![0; n] }
    }

    /// Local + imported per bin.
    pub fn total(&self) -> Vec<u64> {
        self.local.iter().zip(&self.imported).map(|(a, b)| a + b).collect()
    }
}

/// A daily epidemic curve: for each key, one count per day of `range` (0 on days without cases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCurve<K: Ord> {
    /// The days covered (index 0 of every series is `range.first()`).
    pub range: DateRange,
    /// Per key, counts per day. Keys with no case in the range are absent.
    pub series: BTreeMap<K, OriginCounts>,
    /// Records dropped because their date was outside an explicitly given range.
    pub outside_range: usize,
}

/// One ISO-8601 week (Monday to Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IsoWeek {
    /// ISO week-numbering year (can differ from the calendar year near 1 January).
    pub year: i32,
    /// ISO week number, 1..=53.
    pub week: u32,
    /// The Monday that starts the week.
    pub monday: NaiveDate,
}

impl IsoWeek {
    /// The ISO week containing `d`.
    pub fn of(d: NaiveDate) -> Self {
        let w = d.iso_week();
        let back = u64::from(d.weekday().num_days_from_monday());
        Self { year: w.year(), week: w.week(), monday: d - Days::new(back) }
    }
}

/// A weekly epidemic curve (ISO weeks, Monday start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyCurve<K: Ord> {
    /// The weeks touched by the daily range, in order.
    pub weeks: Vec<IsoWeek>,
    /// Days of the daily range inside each week (7 except possibly the first and last week:
    /// a partial week's lower count is not a fall in incidence).
    pub days_covered: Vec<u8>,
    /// Per key, counts per week.
    pub series: BTreeMap<K, OriginCounts>,
}

/// Builds the daily curve. With `range = None` the range runs from the earliest to the latest
/// record; with a range, records outside it are counted in `outside_range` and dropped.
///
/// # Errors
/// [`EpiError::TooFewObservations`] when `range` is `None` and there are no records.
pub fn daily_curve<K: Ord + Clone>(
    records: &[CaseRecord<K>],
    range: Option<DateRange>,
) -> Result<DailyCurve<K>, EpiError> {
    let range = match range {
        Some(r) => r,
        None => {
            let first = records.iter().map(|r| r.date).min();
            let last = records.iter().map(|r| r.date).max();
            match (first, last) {
                (Some(a), Some(b)) => DateRange::new(a, b)?,
                _ => {
                    return Err(EpiError::TooFewObservations { what: "case records", n: 0, min: 1 });
                }
            }
        }
    };
    let n = range.days();
    let mut series: BTreeMap<K, OriginCounts> = BTreeMap::new();
    let mut outside_range = 0;
    for r in records {
        if !range.contains(r.date) {
            outside_range += 1;
            continue;
        }
        let i = usize::try_from((r.date - range.first).num_days()).unwrap_or(0);
        let counts = series.entry(r.key.clone()).or_insert_with(|| OriginCounts::zeros(n));
        match r.origin {
            Origin::Local => counts.local[i] += 1,
            Origin::Imported => counts.imported[i] += 1,
        }
    }
    Ok(DailyCurve { range, series, outside_range })
}

impl<K: Ord + Clone> DailyCurve<K> {
    /// The date of day index `i` (0-based).
    pub fn date(&self, i: usize) -> NaiveDate {
        self.range.first + Days::new(i as u64)
    }

    /// Sums the daily counts into ISO weeks (Monday start).
    pub fn weekly(&self) -> WeeklyCurve<K> {
        let mut weeks: Vec<IsoWeek> = Vec::new();
        let mut days_covered: Vec<u8> = Vec::new();
        let mut week_of_day = Vec::with_capacity(self.range.days());
        for i in 0..self.range.days() {
            let w = IsoWeek::of(self.date(i));
            if weeks.last() != Some(&w) {
                weeks.push(w);
                days_covered.push(0);
            }
            let j = weeks.len() - 1;
            days_covered[j] += 1;
            week_of_day.push(j);
        }
        let series = self
            .series
            .iter()
            .map(|(k, c)| {
                let mut out = OriginCounts::zeros(weeks.len());
                for (i, &j) in week_of_day.iter().enumerate() {
                    out.local[j] += c.local[i];
                    out.imported[j] += c.imported[i];
                }
                (k.clone(), out)
            })
            .collect();
        WeeklyCurve { weeks, days_covered, series }
    }
}

/// How [`daily_from_cumulative`] treats a cumulative value below an earlier one (a downward
/// correction, e.g. cases reclassified or de-duplicated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecreasePolicy {
    /// Fail with [`EpiError::CumulativeDecrease`] naming the position.
    Reject,
    /// Count only increases above the running maximum: the drop gives 0 that day and later
    /// increases count only once they pass the previous peak. The daily counts then sum to
    /// `max(cumulative) − baseline`, never double-counting a re-reported case; the cases removed
    /// by the correction stay on the days they were first reported (they cannot be placed).
    RunningMax,
    /// Negative differences become 0 and later increases count in full, so the daily counts
    /// sum to more than the final cumulative value when a drop is followed by a rise.
    ClampToZero,
}

/// Daily counts from a cumulative series, and what was done about downward corrections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyFromCumulative {
    /// New cases per day (same length as the input).
    pub daily: Vec<u64>,
    /// Positions `(index, previous, current)` where the cumulative value fell below the value
    /// before it.
    pub decreases: Vec<(usize, u64, u64)>,
}

/// Turns cumulative counts (one per consecutive day) into daily counts. `baseline` is the
/// cumulative value before the first day (0 when the series starts with the first case: then
/// the first day's count is the first cumulative value).
///
/// # Errors
/// [`EpiError::CumulativeDecrease`] under [`DecreasePolicy::Reject`] (also when the first value
/// is below `baseline`).
pub fn daily_from_cumulative(
    cumulative: &[u64],
    baseline: u64,
    policy: DecreasePolicy,
) -> Result<DailyFromCumulative, EpiError> {
    let mut daily = Vec::with_capacity(cumulative.len());
    let mut decreases = Vec::new();
    let mut previous = baseline;
    let mut peak = baseline;
    for (index, &current) in cumulative.iter().enumerate() {
        if current < previous {
            decreases.push((index, previous, current));
            if policy == DecreasePolicy::Reject {
                return Err(EpiError::CumulativeDecrease { index, previous, current });
            }
        }
        let new = match policy {
            DecreasePolicy::RunningMax => current.saturating_sub(peak),
            DecreasePolicy::Reject | DecreasePolicy::ClampToZero => current.saturating_sub(previous),
        };
        daily.push(new);
        peak = peak.max(current);
        previous = current;
    }
    Ok(DailyFromCumulative { daily, decreases })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn daily_fill_and_origin_apart() {
        let recs = vec![
            CaseRecord { date: d(2022, 10, 3), key: "430482", origin: Origin::Local },
            CaseRecord { date: d(2022, 10, 6), key: "430482", origin: Origin::Imported },
            CaseRecord { date: d(2022, 10, 6), key: "430482", origin: Origin::Local },
            CaseRecord { date: d(2022, 10, 4), key: "430405", origin: Origin::Local },
        ];
        let c = daily_curve(&recs, None).expect("ok");
        assert_eq!(c.range.days(), 4);
        assert_eq!(c.series["430482"].local, vec![1, 0, 0, 1]);
        assert_eq!(c.series["430482"].imported, vec![0, 0, 0, 1]);
        assert_eq!(c.series["430405"].local, vec![0, 1, 0, 0]);
        let r = DateRange::new(d(2022, 10, 4), d(2022, 10, 5)).expect("ok");
        let c2 = daily_curve(&recs, Some(r)).expect("ok");
        assert_eq!(c2.outside_range, 3);
    }

    #[test]
    fn iso_weeks_cross_year() {
        // 2020-12-31 is Thursday of ISO week 2020-W53; 2021-01-04 is Monday of 2021-W01.
        let w = IsoWeek::of(d(2021, 1, 3));
        assert_eq!((w.year, w.week, w.monday), (2020, 53, d(2020, 12, 28)));
        let recs: Vec<CaseRecord<u8>> = [d(2020, 12, 30), d(2021, 1, 3), d(2021, 1, 4)]
            .iter()
            .map(|&date| CaseRecord { date, key: 0, origin: Origin::Local })
            .collect();
        let wk = daily_curve(&recs, None).expect("ok").weekly();
        assert_eq!(wk.weeks.len(), 2);
        assert_eq!(wk.weeks[1].week, 1);
        assert_eq!(wk.weeks[1].year, 2021);
        assert_eq!(wk.days_covered, vec![5, 1]);
        assert_eq!(wk.series[&0].local, vec![2, 1]);
    }

    #[test]
    fn cumulative_with_correction() {
        let cum = [3, 5, 4, 6, 6];
        assert!(matches!(
            daily_from_cumulative(&cum, 0, DecreasePolicy::Reject),
            Err(EpiError::CumulativeDecrease { index: 2, .. })
        ));
        let rm = daily_from_cumulative(&cum, 0, DecreasePolicy::RunningMax).expect("ok");
        assert_eq!(rm.daily, vec![3, 2, 0, 1, 0]);
        assert_eq!(rm.decreases, vec![(2, 5, 4)]);
        let cz = daily_from_cumulative(&cum, 0, DecreasePolicy::ClampToZero).expect("ok");
        assert_eq!(cz.daily, vec![3, 2, 0, 2, 0]);
    }

    #[test]
    fn date_range_parse() {
        let r: DateRange = "2020-01-09..2020-01-22".parse().expect("ok");
        assert_eq!(r.days(), 14);
        assert!("2020-01-22..2020-01-09".parse::<DateRange>().is_err());
        assert!("2020-01-09".parse::<DateRange>().is_err());
    }
}
