//! Daily noon weather from CSV, in the column layouts real files use.
//!
//! The separator is read from the header line (`;`, tab or `,`). Column names are matched case
//! insensitively, with the aliases of the files in `../shared/data/fire`:
//!
//! | meaning | accepted names | unit |
//! |---|---|---|
//! | station code | `station`, `station_code` | (import: else `--station`) |
//! | longitude, latitude | `long`/`lon`/`longitude`, `lat`/`latitude` | decimal degrees |
//! | date | `date` (`YYYY-MM-DD`), or `yr`/`year` + `mon`/`mth`/`month` + `day` | |
//! | temperature | `temp` | °C at noon |
//! | relative humidity | `rh` | % at noon |
//! | wind | `ws`, `wind` | km/h at 10 m, noon |
//! | rain | `prec`, `pr`, `rain` | mm over 24 h |
//!
//! So cffdrs' `test_fwi.csv` (`long;lat;yr;mon;day;temp;rh;ws;prec`), the Van Wagner & Pickett
//! 1985 table (`mth,day,temp,rh,ws,pr,…`: no year, other columns ignored) and firebreak's own
//! `date,temp,rh,wind,rain` all read. Every bad cell is reported with its line and column.

use chrono::NaiveDate;
use firebreak_fwi::{FwiError, Month, Weather};
use std::fmt;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Station,
    Long,
    Lat,
    Date,
    Year,
    Month,
    Day,
    Temp,
    Rh,
    Wind,
    Rain,
}

const ALIASES: &[(Col, &[&str])] = &[
    (Col::Station, &["station", "station_code"]),
    (Col::Long, &["long", "lon", "longitude"]),
    (Col::Lat, &["lat", "latitude"]),
    (Col::Date, &["date"]),
    (Col::Year, &["yr", "year"]),
    (Col::Month, &["mon", "mth", "month"]),
    (Col::Day, &["day"]),
    (Col::Temp, &["temp"]),
    (Col::Rh, &["rh"]),
    (Col::Wind, &["ws", "wind"]),
    (Col::Rain, &["prec", "pr", "rain"]),
];

/// A bad cell (or a bad file): the line (1-based, the header is line 1) and the column name.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
        }
    }
}

/// One data row, checked.
#[derive(Debug, Clone)]
pub struct WeatherRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The cells of the recognised columns, as written, in [`WeatherTable::columns`] order.
    pub cells: Vec<String>,
    pub station: Option<String>,
    pub long: Option<f64>,
    pub lat: Option<f64>,
    pub date: Option<NaiveDate>,
    pub month: Month,
    pub weather: Weather,
}

/// A parsed file: the recognised columns (header name and meaning) and the rows.
#[derive(Debug, Clone)]
pub struct WeatherTable {
    pub columns: Vec<(String, Col)>,
    pub rows: Vec<WeatherRow>,
}

impl WeatherTable {
    pub fn has(&self, c: Col) -> bool {
        self.columns.iter().any(|(_, k)| *k == c)
    }
}

/// Parses `text`. `year` dates rows of a file that has month and day but no year. All errors are
/// returned (at most 100), each naming its line and column; nothing is returned if any.
pub fn parse(text: &str, year: Option<i32>) -> Result<WeatherTable, Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let sep = if first.contains(';') {
        b';'
    } else if first.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .trim(csv::Trim::All)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let file_err = |m: String| vec![RowError { line: 1, column: String::new(), message: m }];
    let headers = rdr.headers().map_err(|e| file_err(format!("header: {e}")))?.clone();
    let mut columns: Vec<(usize, String, Col)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let name = h.trim().trim_matches('"').to_lowercase();
        if let Some((c, _)) = ALIASES.iter().find(|(_, names)| names.contains(&name.as_str())) {
            if let Some((_, prev, _)) = columns.iter().find(|(_, _, k)| k == c) {
                return Err(file_err(format!("columns {prev} and {} both hold the same value", h.trim())));
            }
            columns.push((i, h.trim().to_string(), *c));
        }
    }
    let find = |c: Col| columns.iter().find(|(_, _, k)| *k == c).map(|(i, n, _)| (*i, n.clone()));
    let mut missing = Vec::new();
    for (c, names) in [(Col::Temp, "temp"), (Col::Rh, "rh"), (Col::Wind, "ws or wind"), (Col::Rain, "prec, pr or rain")]
    {
        if find(c).is_none() {
            missing.push(names);
        }
    }
    if find(Col::Month).is_none() && find(Col::Date).is_none() {
        missing.push("date, or mon/mth/month");
    }
    if !missing.is_empty() {
        let have: Vec<&str> = headers.iter().collect();
        return Err(file_err(format!("no column {} in the header {have:?}", missing.join("; no column "))));
    }

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for rec in rdr.records() {
        if errors.len() >= 100 {
            break;
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError { line, column: String::new(), message: e.to_string() });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let before = errors.len();
        let cell = |errors: &mut Vec<RowError>, c: Col| -> Option<(String, String)> {
            let (i, name) = find(c)?;
            match rec.get(i) {
                Some(v) if !v.is_empty() => Some((name, v.trim_matches('"').to_string())),
                _ => {
                    errors.push(RowError { line, column: name, message: "is empty (missing value)".into() });
                    None
                }
            }
        };
        let num = |errors: &mut Vec<RowError>, c: Col| -> Option<f64> {
            let (name, v) = cell(errors, c)?;
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    errors.push(RowError { line, column: name, message: format!("{v:?} is not a number") });
                    None
                }
            }
        };
        let station = find(Col::Station).and_then(|_| cell(&mut errors, Col::Station)).map(|(_, v)| v);
        let long = find(Col::Long).and_then(|_| num(&mut errors, Col::Long));
        let lat = find(Col::Lat).and_then(|_| num(&mut errors, Col::Lat));
        let temp = num(&mut errors, Col::Temp);
        let rh = num(&mut errors, Col::Rh);
        let wind = num(&mut errors, Col::Wind);
        let rain = num(&mut errors, Col::Rain);
        let whole = |errors: &mut Vec<RowError>, c: Col, x: Option<f64>| -> Option<i64> {
            let x = x?;
            if x.fract() == 0.0 && x.abs() < 1e6 {
                Some(x as i64)
            } else {
                let name = find(c).map(|(_, n)| n).unwrap_or_default();
                errors.push(RowError { line, column: name, message: format!("{x} is not a whole number") });
                None
            }
        };
        let (mut date, mut month) = (None, None);
        if find(Col::Date).is_some() {
            if let Some((name, v)) = cell(&mut errors, Col::Date) {
                match NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
                    Ok(d) => date = Some(d),
                    Err(_) => errors.push(RowError {
                        line,
                        column: name,
                        message: format!("{v:?} is not a date (expected YYYY-MM-DD)"),
                    }),
                }
            }
        } else {
            let y = if find(Col::Year).is_some() {
                let v = num(&mut errors, Col::Year);
                whole(&mut errors, Col::Year, v)
            } else {
                year.map(i64::from)
            };
            let m = num(&mut errors, Col::Month);
            let m = whole(&mut errors, Col::Month, m);
            let d = if find(Col::Day).is_some() {
                let v = num(&mut errors, Col::Day);
                whole(&mut errors, Col::Day, v)
            } else {
                None
            };
            month = m;
            if let (Some(y), Some(m), Some(d)) = (y, m, d) {
                match (i32::try_from(y), u32::try_from(m), u32::try_from(d)) {
                    (Ok(y), Ok(m), Ok(d)) if NaiveDate::from_ymd_opt(y, m, d).is_some() => {
                        date = NaiveDate::from_ymd_opt(y, m, d)
                    }
                    _ => errors.push(RowError {
                        line,
                        column: find(Col::Day).map(|(_, n)| n).unwrap_or_default(),
                        message: format!("{y}-{m}-{d} is not a calendar date"),
                    }),
                }
            }
        }
        if let Some(d) = date {
            month = Some(chrono::Datelike::month(&d).into());
        }
        if errors.len() > before {
            continue;
        }
        let (Some(month), Some(temp), Some(rh), Some(wind), Some(rain)) = (month, temp, rh, wind, rain) else {
            continue;
        };
        let month = match Month::new(month) {
            Ok(m) => m,
            Err(e) => {
                let name = find(Col::Month).or(find(Col::Date)).map(|(_, n)| n).unwrap_or_default();
                errors.push(RowError { line, column: name, message: e.to_string() });
                continue;
            }
        };
        let weather = match Weather::new(temp, rh, wind, rain) {
            Ok(w) => w,
            Err(e) => {
                let col = match &e {
                    FwiError::OutOfRange { field, .. } => match *field {
                        "temp" => find(Col::Temp),
                        "rh" => find(Col::Rh),
                        "wind" => find(Col::Wind),
                        _ => find(Col::Rain),
                    },
                    _ => None,
                };
                errors.push(RowError { line, column: col.map(|(_, n)| n).unwrap_or_default(), message: e.to_string() });
                continue;
            }
        };
        let cells = columns.iter().map(|(i, _, _)| rec.get(*i).unwrap_or("").to_string()).collect();
        rows.push(WeatherRow { line, cells, station, long, lat, date, month, weather });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(file_err("no data rows".into()));
    }
    Ok(WeatherTable { columns: columns.into_iter().map(|(_, n, c)| (n, c)).collect(), rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cffdrs_layout() {
        let t = parse("long;lat;yr;mon;day;temp;rh;ws;prec\n-100;40;1985;4;13;17;42;25;0\n", None).expect("parses");
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].date, NaiveDate::from_ymd_opt(1985, 4, 13));
        assert_eq!(t.rows[0].lat, Some(40.0));
        assert_eq!(t.columns.len(), 9);
    }

    #[test]
    fn reads_vwp_layout_with_a_year() {
        let t = parse("mth,day,temp,rh,ws,pr,ffmc\n4,13,17.0,42.0,25.0,0.0,87.7\n", Some(2026)).expect("parses");
        assert_eq!(t.rows[0].date, NaiveDate::from_ymd_opt(2026, 4, 13));
        assert_eq!(t.columns.len(), 6, "ffmc is not an input column");
        let t = parse("mth,day,temp,rh,ws,pr\n4,13,17.0,42.0,25.0,0.0\n", None).expect("parses");
        assert_eq!(t.rows[0].date, None);
        assert_eq!(t.rows[0].month.get(), 4);
    }

    #[test]
    fn names_line_and_column() {
        let e =
            parse("date,temp,rh,wind,rain\n2026-04-01,20,40,10,0\n2026-04-02,20,140,10,0\n2026-04-03,x,40,,0\n", None)
                .expect_err("bad rows");
        let msgs: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(msgs[0].starts_with("line 3, column rh: rh = 140"), "{msgs:?}");
        assert_eq!(msgs[1], "line 4, column temp: \"x\" is not a number");
        assert_eq!(msgs[2], "line 4, column wind: is empty (missing value)");
        let e = parse("date,temp,rh\n2026-04-01,20,40\n", None).expect_err("missing columns");
        assert!(e[0].message.contains("no column ws or wind"), "{e:?}");
    }
}

/// Options of `firebreak fire fwi`.
#[derive(Debug, Clone)]
pub struct FwiRun {
    pub params: firebreak_fwi::FwiParams,
    pub profile: firebreak_fwi::DangerProfile,
    /// Latitude for files without a `lat` column.
    pub lat: f64,
}

/// Runs the FWI System over a weather file and returns CSV: the recognised input columns as
/// written, then `ffmc,dmc,dc,isi,bui,fwi,dsr` (at most 6 decimals), `level,level_zh,level_en` under
/// the profile. Each station (a `station` column, else each distinct `long`/`lat`, else the
/// whole file) is carried day to day from `params.start`, in file order.
pub fn run_fwi(text: &str, opts: &FwiRun) -> Result<String, Vec<RowError>> {
    use std::collections::HashMap;
    use std::fmt::Write as _;
    let t = parse(text, None)?;
    let mut out = String::new();
    let header: Vec<&str> = t.columns.iter().map(|(n, _)| n.as_str()).collect();
    let _ = writeln!(out, "{},ffmc,dmc,dc,isi,bui,fwi,dsr,level,level_zh,level_en", header.join(","));
    let mut states: HashMap<String, (firebreak_fwi::Station, firebreak_fwi::FwiState)> = HashMap::new();
    for r in &t.rows {
        let lat = r.lat.unwrap_or(opts.lat);
        let key = match (&r.station, r.long) {
            (Some(s), _) => s.clone(),
            (None, Some(lon)) => format!("{lon}/{lat}"),
            (None, None) => format!("/{lat}"),
        };
        let entry = match states.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let st = firebreak_fwi::Station::new(lat, opts.params).map_err(|e| {
                    let column =
                        t.columns.iter().find(|(_, c)| *c == Col::Lat).map(|(n, _)| n.clone()).unwrap_or_default();
                    vec![RowError { line: r.line, column, message: e.to_string() }]
                })?;
                v.insert((st, opts.params.start))
            }
        };
        let idx = entry.0.step(&entry.1, &firebreak_fwi::Day { month: r.month, weather: r.weather });
        entry.1 = idx.state();
        let level = opts.profile.classify_indices(&idx);
        let cells: Vec<String> = r.cells.iter().map(|c| csv_cell(c)).collect();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            cells.join(","),
            num6(idx.ffmc),
            num6(idx.dmc),
            num6(idx.dc),
            num6(idx.isi),
            num6(idx.bui),
            num6(idx.fwi),
            num6(idx.dsr),
            level.map(|l| l.number.to_string()).unwrap_or_default(),
            level.map(|l| csv_cell(&l.name_zh)).unwrap_or_default(),
            level.map(|l| csv_cell(&l.name_en)).unwrap_or_default(),
        );
    }
    Ok(out)
}

/// At most 6 decimals, trailing zeros dropped (`87.652` not `87.652000`).
fn num6(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// A profile named on the command line: `china` (or `china_fwi`), `effis`, or a JSON file.
pub fn profile_arg(s: &str) -> Result<firebreak_fwi::DangerProfile, String> {
    match s {
        "china" | "china_fwi" => Ok(firebreak_fwi::DangerProfile::china_fwi()),
        "effis" => Ok(firebreak_fwi::DangerProfile::effis()),
        path => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--profile {path}: {e} (expected china, effis or a profile JSON file)"))?;
            firebreak_fwi::DangerProfile::from_json(&text).map_err(|e| format!("--profile {path}: {e}"))
        }
    }
}

/// `--start FFMC,DMC,DC`.
pub fn start_arg(s: &str) -> Result<firebreak_fwi::FwiState, String> {
    let codes: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--start {s:?}: {e} (expected FFMC,DMC,DC, e.g. 85,6,15)"))?;
    let [f, d, c] = codes[..] else {
        return Err(format!("--start {s:?}: expected three numbers FFMC,DMC,DC"));
    };
    firebreak_fwi::FwiState::new(f, d, c).map_err(|e| format!("--start: {e}"))
}
