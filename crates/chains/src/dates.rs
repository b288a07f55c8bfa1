//! Calendar dates as whole days since 1970-01-01 (proleptic Gregorian calendar, no time zone: a
//! line list records a civil date, not an instant), and the date forms the tracing files really use.
//!
//! | form | example | where |
//! |---|---|---|
//! | `YYYY-MM-DD` | `2020-01-22` | DS4C `PatientInfo.csv`, ebola_sim |
//! | `YYYY/MM/DD` | `2020/01/22` | Ali et al. 2020 transmission pairs |
//! | `DD/MM/YYYY` | `22/01/2020` | Tianjin clusters |
//! | missing | empty, blanks, `unknown`, `NA`, `N/A` (any case) | all of them |
//!
//! Month and day may have one or two digits; the year always has four.

use crate::Day;

/// A text that is neither a date in one of the accepted forms nor a missing-value marker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The value (as given, untrimmed) is not a date.
    #[error("{value:?} is not a date (expected YYYY-MM-DD, YYYY/MM/DD or DD/MM/YYYY)")]
    NotADate {
        /// The offending text, exactly as it was passed in.
        value: String,
    },
}

/// Parses one date cell.
///
/// Returns `Ok(Some(day))` (days since 1970-01-01) for a valid date, `Ok(None)` for a missing value
/// (empty or blank, `unknown`, `NA`, `N/A`, case-insensitive), and [`DateError::NotADate`] naming the
/// value for anything else, including impossible dates such as `2020-02-30` or `2020/13/01`.
pub fn parse_date(value: &str) -> Result<Option<Day>, DateError> {
    let s = value.trim();
    if is_missing(s) {
        return Ok(None);
    }
    parse_present(s).map(Some).ok_or_else(|| DateError::NotADate { value: value.to_owned() })
}

/// True for the missing-value markers [`parse_date`] accepts (`s` already trimmed).
fn is_missing(s: &str) -> bool {
    s.is_empty() || s.eq_ignore_ascii_case("unknown") || s.eq_ignore_ascii_case("na") || s.eq_ignore_ascii_case("n/a")
}

fn parse_present(s: &str) -> Option<Day> {
    let sep = if s.contains('-') { '-' } else { '/' };
    let mut parts = s.split(sep);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (y, m, d) = if a.len() == 4 {
        (a, b, c)
    } else if c.len() == 4 && sep == '/' {
        (c, b, a)
    } else {
        return None;
    };
    if !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
        return None;
    }
    days_from_civil(number(y)?, number(m)?, number(d)?)
}

/// Parses a run of ASCII digits (no sign, no blanks).
fn number(s: &str) -> Option<i32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days in `month` (1–12) of `year`.
fn days_in_month(year: i32, month: i32) -> i32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of the civil date `year`-`month`-`day` (proleptic Gregorian).
///
/// Returns `None` if `month` is not in 1..=12 or `day` is not a day of that month, or if `year` is
/// outside 0..=9999. Uses the era decomposition of the Gregorian 400-year cycle (146,097 days).
pub fn days_from_civil(year: i32, month: i32, day: i32) -> Option<Day> {
    if !(0..=9999).contains(&year) || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // Count years from March so that the leap day ends the year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719,468 days from 0000-03-01 to 1970-01-01.
    Some(era * 146_097 + day_of_era - 719_468)
}

/// The civil date `(year, month 1–12, day 1–31)` of `day` (days since 1970-01-01); inverse of
/// [`days_from_civil`].
pub fn civil_from_days(day: Day) -> (i32, i32, i32) {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let m = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let y = year_of_era + era * 400 + i64::from(m <= 2);
    // Every i32 day lands within ±5.9 million years, so the narrowing cannot fail.
    (i32::try_from(y).unwrap_or(i32::MAX), i32::try_from(m).unwrap_or(1), i32::try_from(d).unwrap_or(1))
}

/// `day` (days since 1970-01-01) as `YYYY-MM-DD`.
pub fn format_day(day: Day) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let d = days_from_civil(2020, 1, 22).expect("valid");
        assert_eq!(d, 18_283);
        assert_eq!(parse_date("2020-01-22"), Ok(Some(d)));
        assert_eq!(parse_date("2020/01/22"), Ok(Some(d)));
        assert_eq!(parse_date("22/01/2020"), Ok(Some(d)));
        assert_eq!(parse_date(" 2020-1-22 "), Ok(Some(d)));
        assert_eq!(parse_date("1970-01-01"), Ok(Some(0)));
        assert_eq!(parse_date("1969-12-31"), Ok(Some(-1)));
        assert_eq!(parse_date("2020-02-29"), Ok(Some(days_from_civil(2020, 3, 1).expect("valid") - 1)));
    }

    #[test]
    fn missing_values() {
        for s in ["", " ", "unknown", "Unknown", "NA", "n/a"] {
            assert_eq!(parse_date(s), Ok(None), "{s:?}");
        }
    }

    #[test]
    fn errors_name_the_value() {
        for s in [
            "2020/13/01",
            "2020-02-30",
            "2019-02-29",
            "22-01-2020",
            "2020-01",
            "2020-01-22-1",
            "20/01/22",
            "yesterday",
            "2020-0x-01",
            "2020-+1-01",
            "2020-001-01",
        ] {
            let err = parse_date(s).expect_err(s);
            assert_eq!(err, DateError::NotADate { value: s.to_owned() });
        }
        let msg = parse_date("2020/13/01").expect_err("bad").to_string();
        assert_eq!(msg, "\"2020/13/01\" is not a date (expected YYYY-MM-DD, YYYY/MM/DD or DD/MM/YYYY)");
    }

    #[test]
    fn round_trip() {
        for day in (-700_000..2_900_000).step_by(37) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), Some(day), "{day}");
        }
        assert_eq!(format_day(18_283), "2020-01-22");
        assert_eq!(format_day(0), "1970-01-01");
    }
}
