//! Reading the analytics inputs from CSV: daily reported counts (a plain daily layout, or the
//! cumulative `china_city_daily` layout) and serial-interval pairs (Ali et al. 2020, Table S1).
//!
//! Every problem names the file, the line (the header is line 1) and the column. Missing columns
//! are hard errors; bad cells are collected per row, so that the caller can refuse the whole file
//! or skip the bad rows (`--skip-bad-rows`).

use super::DayCount;
use crate::jurisdictions::import::RowError;
use chrono::NaiveDate;
use firebreak_epi::{DecreasePolicy, OnsetPair, daily_from_cumulative, serial::ali2020};
use std::collections::{BTreeMap, HashMap};

/// The two layouts of a daily-counts file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One row per day of *new* cases: `date` (or `dates`), `confirmed` (or `I`), optional
    /// `asymptomatic`, optional `local` / `imported` (the split of confirmed + asymptomatic).
    /// The incidence files of EpiEstim (`dates,I`) are in this layout.
    Daily,
    /// The `china_city_daily` layout (github.com/canghailan/Wuhan-2019-nCoV): `date`, `cityCode`,
    /// `confirmed` = *cumulative* confirmed cases. Turned into daily counts by the running-maximum
    /// policy (see [`firebreak_epi::DecreasePolicy::RunningMax`]).
    ChinaCityDaily,
}

impl std::str::FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "daily" => Ok(Layout::Daily),
            "china_city_daily" | "china-city-daily" | "cumulative" => Ok(Layout::ChinaCityDaily),
            other => Err(format!("\"{other}\": expected daily or china_city_daily")),
        }
    }
}

/// Daily counts read from a file.
#[derive(Debug, Default, Clone)]
pub struct ParsedCounts {
    /// Good rows, in date order.
    pub rows: Vec<DayCount>,
    /// Bad rows (each names line and column).
    pub errors: Vec<RowError>,
    /// Things done that the user should know (downward corrections of a cumulative series).
    pub notes: Vec<String>,
}

struct Table {
    headers: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn read_table(file: &str, text: &str) -> anyhow::Result<Table> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| anyhow::anyhow!("{file}, line 1: cannot read the header: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            anyhow::anyhow!("{file}, line {line}: not valid CSV: {e}")
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push((line, rec));
    }
    Ok(Table { headers, rows })
}

impl Table {
    fn col(&self, names: &[&str]) -> Option<(usize, String)> {
        names.iter().find_map(|n| self.headers.iter().position(|h| h == n).map(|i| (i, (*n).to_string())))
    }
    fn need(&self, file: &str, names: &[&str]) -> anyhow::Result<(usize, String)> {
        self.col(names).ok_or_else(|| {
            anyhow::anyhow!(
                "{file}, line 1: no column {} (the header has: {})",
                names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(" or "),
                self.headers.join(",")
            )
        })
    }
}

fn cell(rec: &csv::StringRecord, i: usize) -> &str {
    rec.get(i).unwrap_or("").trim()
}

fn err(file: &str, line: u64, column: &str, message: impl Into<String>) -> RowError {
    RowError { file: file.to_string(), line, column: column.to_string(), message: message.into() }
}

/// A date `YYYY-MM-DD` or `YYYY/MM/DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d")).ok()
}

/// A count: a whole number ≥ 0 (`3` or `3.0`).
fn parse_count(s: &str) -> Result<i64, String> {
    if s.is_empty() {
        return Err("is empty (a whole number >= 0 is needed)".into());
    }
    if let Ok(v) = s.parse::<i64>() {
        return if v >= 0 { Ok(v) } else { Err(format!("\"{s}\" is negative")) };
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 => Ok(v as i64),
        Ok(_) => Err(format!("\"{s}\" is not a whole number >= 0")),
        Err(_) => Err(format!("\"{s}\" is not a number")),
    }
}

/// Reads daily counts. `city_code` selects the rows of one city in the `china_city_daily` layout
/// (required when the file holds more than one).
///
/// # Errors
/// A missing column, unreadable CSV, or (china_city_daily) several cities without `city_code`.
pub fn parse_daily_counts(
    file: &str,
    text: &str,
    layout: Layout,
    city_code: Option<&str>,
) -> anyhow::Result<ParsedCounts> {
    let t = read_table(file, text)?;
    match layout {
        Layout::Daily => parse_daily(file, &t),
        Layout::ChinaCityDaily => parse_cumulative(file, &t, city_code),
    }
}

fn parse_daily(file: &str, t: &Table) -> anyhow::Result<ParsedCounts> {
    let (di, dname) = t.need(file, &["date", "dates"])?;
    let conf = t.col(&["confirmed", "I", "new_confirmed"]);
    let asym = t.col(&["asymptomatic", "new_asymptomatic"]);
    let local = t.col(&["local", "new_local"]);
    let imported = t.col(&["imported", "new_imported"]);
    if conf.is_none() && (local.is_none() || imported.is_none()) {
        t.need(file, &["confirmed", "I"])?;
    }
    let mut out = ParsedCounts::default();
    let mut seen: HashMap<NaiveDate, u64> = HashMap::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let mut bad = Vec::new();
        let date = match parse_date(cell(rec, di)) {
            Some(d) => Some(d),
            None => {
                bad.push(err(file, line, &dname, format!("\"{}\" is not a date (YYYY-MM-DD)", cell(rec, di))));
                None
            }
        };
        let mut num = |c: &Option<(usize, String)>, optional: bool| -> Option<Option<i64>> {
            let (i, name) = c.as_ref()?;
            let s = cell(rec, *i);
            if optional && s.is_empty() {
                return Some(None);
            }
            match parse_count(s) {
                Ok(v) => Some(Some(v)),
                Err(m) => {
                    bad.push(err(file, line, name, m));
                    Some(None)
                }
            }
        };
        let c = num(&conf, false).flatten();
        let a = num(&asym, true).flatten();
        let l = num(&local, true).flatten();
        let i = num(&imported, true).flatten();
        if !bad.is_empty() {
            out.errors.extend(bad);
            continue;
        }
        let Some(date) = date else { continue };
        let split_col = local.as_ref().or(imported.as_ref()).map_or("local", |(_, n)| n.as_str());
        // Resolve confirmed and the local/imported split.
        let (confirmed, l, i) = match (c, l, i) {
            (Some(c), l, i) => {
                let total = c + a.unwrap_or(0);
                match (l, i) {
                    (Some(l), Some(i)) if l + i != total => {
                        out.errors.push(err(
                            file,
                            line,
                            split_col,
                            format!("local {l} + imported {i} != confirmed {c} + asymptomatic {}", a.unwrap_or(0)),
                        ));
                        continue;
                    }
                    (Some(l), Some(i)) => (c, Some(l), Some(i)),
                    (Some(l), None) if l <= total => (c, Some(l), Some(total - l)),
                    (None, Some(i)) if i <= total => (c, Some(total - i), Some(i)),
                    (None, None) => (c, None, None),
                    _ => {
                        out.errors.push(err(file, line, split_col, format!("exceeds the day's {total} new cases")));
                        continue;
                    }
                }
            }
            (None, Some(l), Some(i)) => {
                let c = l + i - a.unwrap_or(0);
                if c < 0 {
                    out.errors.push(err(file, line, split_col, "local + imported is below asymptomatic"));
                    continue;
                }
                (c, Some(l), Some(i))
            }
            _ => {
                out.errors.push(err(file, line, split_col, "needs confirmed, or both local and imported"));
                continue;
            }
        };
        if let Some(prev) = seen.insert(date, line) {
            out.errors.push(err(file, line, &dname, format!("{date} appears twice (also on line {prev})")));
            continue;
        }
        out.rows.push(DayCount { date, confirmed, asymptomatic: a, local: l, imported: i });
    }
    out.rows.sort_by_key(|r| r.date);
    Ok(out)
}

fn parse_cumulative(file: &str, t: &Table, city_code: Option<&str>) -> anyhow::Result<ParsedCounts> {
    let (di, dname) = t.need(file, &["date"])?;
    let (ci, cname) = t.need(file, &["cityCode"])?;
    let (ki, kname) = t.need(file, &["confirmed"])?;
    let wanted: String = match city_code {
        Some(c) => c.to_string(),
        None => {
            let codes: std::collections::BTreeSet<&str> =
                t.rows.iter().map(|(_, r)| cell(r, ci)).filter(|c| !c.is_empty()).collect();
            match codes.len() {
                1 => codes.iter().next().map(|c| (*c).to_string()).unwrap_or_default(),
                0 => anyhow::bail!("{file}: no row has a cityCode"),
                n => anyhow::bail!("{file}: {n} cities in the file; say which with the city code (cityCode)"),
            }
        }
    };
    let mut out = ParsedCounts::default();
    let mut cum: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    for (line, rec) in &t.rows {
        if cell(rec, ci) != wanted {
            continue;
        }
        let line = *line;
        let Some(date) = parse_date(cell(rec, di)) else {
            out.errors.push(err(file, line, &dname, format!("\"{}\" is not a date (YYYY-MM-DD)", cell(rec, di))));
            continue;
        };
        let v = match parse_count(cell(rec, ki)) {
            Ok(v) => v as u64,
            Err(m) => {
                out.errors.push(err(file, line, &kname, m));
                continue;
            }
        };
        if let Some((_, prev)) = cum.insert(date, (v, line)) {
            out.errors.push(err(file, line, &dname, format!("{date} appears twice (also on line {prev})")));
        }
    }
    if cum.is_empty() && out.errors.is_empty() {
        anyhow::bail!("{file}: no row with {cname} = {wanted}");
    }
    let dates: Vec<NaiveDate> = cum.keys().copied().collect();
    let values: Vec<u64> = cum.values().map(|(v, _)| *v).collect();
    let lines: Vec<u64> = cum.values().map(|(_, l)| *l).collect();
    let d =
        daily_from_cumulative(&values, 0, DecreasePolicy::RunningMax).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    for (i, prev, cur) in &d.decreases {
        out.notes.push(format!(
            "{file}, line {}, column {kname}: cumulative fell from {prev} to {cur} on {} (a correction): counted as 0 new \
             cases; later rises count only above the previous peak {}",
            lines[*i],
            dates[*i],
            values[..*i].iter().max().copied().unwrap_or(0)
        ));
    }
    for w in dates.windows(2) {
        let gap = (w[1] - w[0]).num_days();
        if gap > 1 {
            out.notes.push(format!(
                "{file}: no report between {} and {} ({} days): the rise is counted on {}",
                w[0],
                w[1],
                gap - 1,
                w[1]
            ));
        }
    }
    out.rows = dates
        .iter()
        .zip(&d.daily)
        .map(|(&date, &n)| DayCount {
            date,
            confirmed: i64::try_from(n).unwrap_or(i64::MAX),
            asymptomatic: None,
            local: None,
            imported: None,
        })
        .collect();
    Ok(out)
}

/// One transmission pair read from a file (Ali et al. 2020 Table S1 columns).
#[derive(Debug, Clone, PartialEq)]
pub struct PairRow {
    pub line: u64,
    pub infector_id: String,
    pub infectee_id: String,
    pub onsets: OnsetPair,
    pub household: Option<bool>,
}

/// Reads infector → infectee pairs in the layout of Ali et al. (2020) Table S1
/// (`infector_id`, `infectee_id`, `infector_onsetDate`, `infectee_onsetDate`, optional
/// `isHousehold`; dates `yyyy/mm/dd` or `unknown`).
///
/// # Errors
/// A missing column or unreadable CSV. Bad cells are returned as row errors.
pub fn parse_ali2020_pairs(file: &str, text: &str) -> anyhow::Result<(Vec<PairRow>, Vec<RowError>)> {
    let t = read_table(file, text)?;
    let (a, _) = t.need(file, &["infector_id"])?;
    let (b, _) = t.need(file, &["infectee_id"])?;
    let (ao, aname) = t.need(file, &[ali2020::INFECTOR_ONSET])?;
    let (bo, bname) = t.need(file, &[ali2020::INFECTEE_ONSET])?;
    let hh = t.col(&["isHousehold"]);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (line, rec) in &t.rows {
        let x = ali2020::parse_date(cell(rec, ao));
        let y = ali2020::parse_date(cell(rec, bo));
        match (x, y) {
            (Ok(infector_onset), Ok(infectee_onset)) => rows.push(PairRow {
                line: *line,
                infector_id: cell(rec, a).to_string(),
                infectee_id: cell(rec, b).to_string(),
                onsets: OnsetPair { infector_onset, infectee_onset },
                household: hh.as_ref().and_then(|(i, _)| match cell(rec, *i) {
                    "yes" | "Yes" | "1" | "TRUE" | "true" => Some(true),
                    "no" | "No" | "0" | "FALSE" | "false" => Some(false),
                    _ => None,
                }),
            }),
            (x, y) => {
                if let Err(e) = x {
                    errors.push(err(file, *line, &aname, e.to_string()));
                }
                if let Err(e) = y {
                    errors.push(err(file, *line, &bname, e.to_string()));
                }
            }
        }
    }
    Ok((rows, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_layout_split_and_errors() {
        let text = "date,confirmed,asymptomatic,imported\n2022-10-01,3,1,1\n2022-10-02,x,0,0\n2022-10-03,2,,3\n2022-10-01,1,0,0\n";
        let p = parse_daily_counts("f.csv", text, Layout::Daily, None).expect("columns ok");
        assert_eq!(p.rows.len(), 1);
        assert_eq!((p.rows[0].local, p.rows[0].imported), (Some(3), Some(1)));
        assert_eq!(p.errors.len(), 3);
        assert_eq!((p.errors[0].line, p.errors[0].column.as_str()), (3, "confirmed"));
        assert_eq!((p.errors[1].line, p.errors[1].column.as_str()), (4, "imported"));
        assert_eq!((p.errors[2].line, p.errors[2].column.as_str()), (5, "date"));
        assert!(parse_daily_counts("f.csv", "day,I\n", Layout::Daily, None).is_err());
    }

    #[test]
    fn epiestim_incidence_is_daily_layout() {
        let p =
            parse_daily_counts("i.csv", "dates,I\n2009-04-27,1.0\n2009-04-28,2\n", Layout::Daily, None).expect("ok");
        assert_eq!(p.rows.iter().map(|r| r.confirmed).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn cumulative_with_correction_and_gap() {
        let text =
            "date,cityCode,confirmed\n2020-01-01,1,3\n2020-01-02,1,5\n2020-01-03,1,4\n2020-01-05,1,7\n2020-01-01,2,9\n";
        let p = parse_daily_counts("c.csv", text, Layout::ChinaCityDaily, Some("1")).expect("ok");
        assert_eq!(p.rows.iter().map(|r| r.confirmed).collect::<Vec<_>>(), vec![3, 2, 0, 2]);
        assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
        assert!(p.notes[0].contains("line 4"));
        assert!(parse_daily_counts("c.csv", text, Layout::ChinaCityDaily, None).is_err());
    }
}
