//! Timestamps: microseconds since the Unix epoch (UTC), parsed without allocation.

/// Microseconds in a day.
pub const DAY_US: i64 = 86_400_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Parses `YYYY-MM-DD[T| ]HH:MM[:SS[.ffffff]][Z|±HH[:MM]]` or a bare date `YYYY-MM-DD`
/// (midnight) to microseconds since the epoch, UTC. A time without an offset is taken as UTC.
/// Returns `None` for anything else (including impossible dates such as 2022-02-30).
pub fn parse_utc_us(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let mo = digits(&b[5..7])? as u32;
    let d = digits(&b[8..10])? as u32;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let mut us = days_from_civil(y, mo, d) * DAY_US;
    if b.len() == 10 {
        return Some(us);
    }
    if !(b[10] == b'T' || b[10] == b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let mut i = 16;
    let mut sec = 0i64;
    let mut frac_us = 0i64;
    if i < b.len() && b[i] == b':' {
        sec = digits(b.get(i + 1..i + 3)?)?;
        i += 3;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j == start {
                return None;
            }
            // Microseconds: the first six digits (later ones truncated).
            let mut f = 0i64;
            for k in 0..6 {
                f = f * 10 + b.get(start + k).filter(|c| c.is_ascii_digit()).map_or(0, |c| i64::from(c - b'0'));
            }
            frac_us = f;
            i = j;
        }
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    us += ((h * 60 + mi) * 60 + sec) * 1_000_000 + frac_us;
    let rest = &b[i..];
    let offset_s = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), r @ ..] => {
            let (oh, om) = match r {
                [a, b2] => (digits(&[*a, *b2])?, 0),
                [a, b2, b':', c, d2] | [a, b2, c, d2] if r.len() == 5 || r.len() == 4 => {
                    (digits(&[*a, *b2])?, digits(&[*c, *d2])?)
                }
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = (oh * 60 + om) * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    Some(us - offset_s * 1_000_000)
}

/// `YYYY-MM-DD` of a day number.
pub fn day_string(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses a `day=YYYY-MM-DD` folder name to its day number.
pub fn parse_day_dir(name: &str) -> Option<i64> {
    let date = name.strip_prefix("day=")?;
    if date.len() != 10 {
        return None;
    }
    parse_utc_us(date).map(|us| us.div_euclid(DAY_US))
}

/// RFC 3339 UTC with whole seconds: `2008-10-23T02:53:04Z`.
pub fn format_utc_s(t_s: i64) -> String {
    let day = t_s.div_euclid(86_400);
    let sod = t_s.rem_euclid(86_400);
    format!("{}T{:02}:{:02}:{:02}Z", day_string(day), sod / 3600, sod / 60 % 60, sod % 60)
}

/// Parses a duration: a number of seconds, or a number followed by `s`, `m`, `min`, `h` or `d`
/// (`90`, `30s`, `5m`, `1.5h`, `2d`). Returns whole seconds (rounded down); `None` when
/// unreadable or negative.
pub fn parse_duration_s(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num.trim().parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return None,
    };
    let x = v * mult;
    if !(0.0..=1e15).contains(&x) {
        return None;
    }
    Some(x.floor() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let base = parse_utc_us("2008-10-23T02:53:04Z");
        assert_eq!(base, Some(1_224_730_384_000_000));
        assert_eq!(parse_utc_us("2008-10-23 02:53:04"), base);
        assert_eq!(parse_utc_us("2008-10-23T10:53:04+08:00"), base);
        assert_eq!(parse_utc_us("2008-10-23T10:53:04+0800"), base);
        assert_eq!(parse_utc_us("2008-10-23T02:53:04.5Z"), base.map(|b| b + 500_000));
        assert_eq!(parse_utc_us("2008-10-23"), Some(1_224_720_000_000_000));
        for bad in ["", "2008-13-01", "2022-02-30", "2008-10-23T25:00:00", "yesterday", "2008-10-23T02:53:04Q"] {
            assert_eq!(parse_utc_us(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_round_trip() {
        for d in [-800_000, -1, 0, 1, 14_175, 19_000, 2_000_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(day_string(14_175), "2008-10-23");
        assert_eq!(parse_day_dir("day=2008-10-23"), Some(14_175));
        assert_eq!(format_utc_s(1_224_730_384), "2008-10-23T02:53:04Z");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_s("5m"), Some(300));
        assert_eq!(parse_duration_s("90"), Some(90));
        assert_eq!(parse_duration_s("1.5h"), Some(5400));
        assert_eq!(parse_duration_s("-5m"), None);
        assert_eq!(parse_duration_s("5 parsecs"), None);
    }
}
