//! Line-list and link imports with presets for the real files (../shared/data/tracing):
//!
//! | preset | file | gives |
//! |---|---|---|
//! | `ds4c` | DS4C `PatientInfo.csv` | cases, and links from `infected_by` |
//! | `ds4c` (itinerary) | DS4C `PatientRoute.csv` | places and itinerary entries |
//! | `ebola-sim` | `ebola_sim__linelist.csv` | cases |
//! | `ebola-sim` (links) | `ebola_sim__contacts.csv` | links `infector` → `case_id` |
//! | `ali2020-pairs` | Ali et al. 2020 `TableS1_1407TransPairs.csv` | two cases a row (created or matched) and the link |
//! | `tianjin` | `Tianjin135cases_revised.csv` | cases, links from the free-text `Infection_source` |
//!
//! Reading ([`parse`]) checks every row and collects problems naming line and column; writing
//! ([`write`]) is one transaction: all rows or none, unless `skip_bad_rows` (then the bad rows are
//! listed and left out). Records are matched by the source's own ids: importing the same file
//! again changes nothing. People of a public line list have no identity document: each is a
//! `source_record` person `<source>:<id>`. An infector id that is not a case is kept as an
//! unobserved infector; cycles and self-links are reported as warnings.

use super::external;
use crate::audit::{Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::{audit_append, db_run};
use chrono::NaiveDate;
use firebreak_chains::refs::{CaseRefPattern, extract_case_refs};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A column mapping for one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Preset {
    Ds4c,
    EbolaSim,
    Ali2020Pairs,
    Tianjin,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Ds4c, Preset::EbolaSim, Preset::Ali2020Pairs, Preset::Tianjin];
    pub fn parse(s: &str) -> Option<Preset> {
        Self::ALL.into_iter().find(|p| p.name() == s.trim())
    }
    /// The CLI / form name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Ds4c => "ds4c",
            Preset::EbolaSim => "ebola-sim",
            Preset::Ali2020Pairs => "ali2020-pairs",
            Preset::Tianjin => "tianjin",
        }
    }
    /// The source code stored with every record (`cases.source`).
    pub fn source(self) -> &'static str {
        match self {
            Preset::Ds4c => "ds4c",
            Preset::EbolaSim => "ebolasim",
            Preset::Ali2020Pairs => "ali2020",
            Preset::Tianjin => "tianjin",
        }
    }
    /// Name of the source's root node.
    pub fn source_name(self) -> &'static str {
        match self {
            Preset::Ds4c => "DS4C 韩国病例 Korea 2020-06",
            Preset::EbolaSim => "ebola_sim 模拟埃博拉疫情 (outbreaks)",
            Preset::Ali2020Pairs => "Ali 2020 传播对 China transmission pairs",
            Preset::Tianjin => "天津 2020 聚集性疫情 Tianjin clusters",
        }
    }
    pub fn licence(self) -> &'static str {
        match self {
            Preset::Ds4c => "CC BY-NC-SA 4.0",
            Preset::EbolaSim => "GPL-2.0-or-later / MIT (outbreaks)",
            Preset::Ali2020Pairs | Preset::Tianjin => "MIT",
        }
    }
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FileKind {
    Linelist,
    Links,
    Itinerary,
}

/// One problem of one row.
#[derive(Debug, Clone, Serialize)]
pub struct RowProblem {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub column: String,
    pub message: String,
    /// Errors refuse the file (or the row with `skip_bad_rows`); warnings are reported only.
    pub error: bool,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.error { "error" } else { "warning" };
        if self.column.is_empty() {
            write!(f, "line {}: {kind}: {}", self.line, self.message)
        } else {
            write!(f, "line {}, column {}: {kind}: {}", self.line, self.column, self.message)
        }
    }
}

/// A case as read from a file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParsedCase {
    pub line: usize,
    pub source_id: String,
    pub name: String,
    pub sex: &'static str,
    pub classification: &'static str,
    pub how_found: Option<&'static str>,
    /// Place names from the widest to the narrowest (e.g. `["Seoul", "Gangseo-gu"]`).
    pub place: Vec<String>,
    pub exposure_start: Option<NaiveDate>,
    pub exposure_end: Option<NaiveDate>,
    pub onset: Option<NaiveDate>,
    pub sampling: Option<NaiveDate>,
    pub report: Option<NaiveDate>,
    pub diagnosis: Option<NaiveDate>,
    pub isolation: Option<NaiveDate>,
    pub outcome: Option<&'static str>,
    pub outcome_date: Option<NaiveDate>,
    pub severity: Option<String>,
    pub cluster: Option<String>,
    pub notes: Option<String>,
}

/// An infector → infectee link as read from a file (source ids).
#[derive(Debug, Clone, Serialize)]
pub struct ParsedLink {
    pub line: usize,
    pub infector: String,
    pub infectee: String,
    pub certainty: &'static str,
    pub route: Option<String>,
}

/// A place visit as read from a file.
#[derive(Debug, Clone, Serialize)]
pub struct ParsedVisit {
    pub line: usize,
    pub case_source_id: String,
    pub date: NaiveDate,
    pub place: Vec<String>,
    pub kind: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Everything read from one file.
#[derive(Debug, Clone)]
pub struct Batch {
    pub preset: Preset,
    pub kind: FileKind,
    pub file: String,
    pub rows: usize,
    pub cases: Vec<ParsedCase>,
    pub links: Vec<ParsedLink>,
    pub visits: Vec<ParsedVisit>,
    pub problems: Vec<RowProblem>,
}

impl Batch {
    pub fn errors(&self) -> impl Iterator<Item = &RowProblem> {
        self.problems.iter().filter(|p| p.error)
    }
    fn bad_lines(&self) -> HashSet<usize> {
        self.errors().map(|p| p.line).collect()
    }
}

struct Rows {
    headers: Vec<String>,
    records: Vec<(usize, csv::StringRecord)>,
}

impl Rows {
    /// Reads CSV `bytes`. `mapping` renames the file's columns to the preset's (preset column →
    /// file column; an empty file column means "not in this file": the preset column reads empty).
    fn read(bytes: &[u8], file: &str, mapping: &ColumnMapping) -> anyhow::Result<Rows> {
        let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let mut headers: Vec<String> = r
            .headers()
            .map_err(|e| anyhow::anyhow!("{file}: reading the header: {e}"))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        for (preset_col, file_col) in mapping {
            let file_col = file_col.trim();
            if file_col.is_empty() {
                headers.push(preset_col.clone());
                continue;
            }
            match headers.iter().position(|h| h == file_col) {
                Some(i) => headers[i] = preset_col.clone(),
                None => anyhow::bail!(
                    "{file}: the mapping names column \"{file_col}\" (for {preset_col}), which is not in the file (columns: {})",
                    headers.join(", ")
                ),
            }
        }
        let mut records = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
            let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
            records.push((line, rec));
        }
        Ok(Rows { headers, records })
    }
    fn col(&self, name: &str, file: &str) -> anyhow::Result<usize> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| {
            anyhow::anyhow!("{file}: column \"{name}\" is missing (columns: {})", self.headers.join(", "))
        })
    }
}

struct RowCtx<'a> {
    rec: &'a csv::StringRecord,
    line: usize,
    today: NaiveDate,
    problems: &'a mut Vec<RowProblem>,
}

impl RowCtx<'_> {
    fn cell(&self, i: usize) -> &str {
        self.rec.get(i).unwrap_or("").trim()
    }
    fn opt(&self, i: usize) -> Option<String> {
        let s = self.cell(i);
        (!s.is_empty() && !s.eq_ignore_ascii_case("na")).then(|| s.to_string())
    }
    fn problem(&mut self, column: &str, message: impl Into<String>, error: bool) {
        self.problems.push(RowProblem { line: self.line, column: column.into(), message: message.into(), error });
    }
    fn date(&mut self, i: usize, column: &str) -> Option<NaiveDate> {
        let v = self.cell(i).to_string();
        match firebreak_chains::dates::parse_date(&v) {
            Ok(None) => None,
            Ok(Some(d)) => {
                let (y, m, dd) = firebreak_chains::dates::civil_from_days(d);
                let date = NaiveDate::from_ymd_opt(y, m as u32, dd as u32);
                match date {
                    Some(date) if date > self.today => {
                        self.problem(column, format!("{v} is in the future"), true);
                        None
                    }
                    Some(date) => Some(date),
                    None => {
                        self.problem(column, format!("\"{v}\" is not a date"), true);
                        None
                    }
                }
            }
            Err(e) => {
                self.problem(column, e.to_string(), true);
                None
            }
        }
    }
}

fn sex_of(s: &str) -> &'static str {
    match s.trim().to_ascii_lowercase().as_str() {
        "m" | "male" | "男" => "male",
        "f" | "female" | "女" => "female",
        _ => "unknown",
    }
}

/// Date-order checks common to all presets: an onset after the outcome (recovery or death) or
/// after the report is impossible; it is reported as a warning naming the row (the simulated
/// ebola_sim file has 200 such rows: they are kept, flagged).
fn check_order(c: &ParsedCase, problems: &mut Vec<RowProblem>) {
    if let (Some(o), Some(e)) = (c.onset, c.outcome_date)
        && o > e
    {
        problems.push(RowProblem {
            line: c.line,
            column: "onset".into(),
            message: format!("symptom onset {o} is after the outcome date {e}"),
            error: false,
        });
    }
    if let (Some(s), Some(e)) = (c.exposure_start, c.exposure_end)
        && s > e
    {
        problems.push(RowProblem {
            line: c.line,
            column: "exposure".into(),
            message: format!("exposure window starts {s}, after its end {e}"),
            error: false,
        });
    }
}

/// Preset column → column of the user's file (see [`Rows::read`]); saved as named mappings.
pub type ColumnMapping = std::collections::BTreeMap<String, String>;

/// Reads a file (CSV, or XLSX: its first sheet) with a preset. `today` bounds dates (a date
/// after it is an error).
pub fn parse(preset: Preset, kind: FileKind, file: &str, bytes: &[u8], today: NaiveDate) -> anyhow::Result<Batch> {
    parse_mapped(preset, kind, file, bytes, today, &ColumnMapping::new())
}

/// True when `bytes` is an XLSX workbook (a ZIP archive) rather than CSV text.
pub fn is_xlsx(file: &str, bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || file.to_ascii_lowercase().ends_with(".xlsx")
}

/// The first sheet of an XLSX workbook as CSV: dates (Excel date cells) as `YYYY-MM-DD` (with
/// ` HH:MM` when they carry a time), whole numbers without a decimal point, error cells empty.
/// Line numbers in problems count from the sheet's header row as line 1 (the sheet's own row
/// numbers when it starts on row 1, as spreadsheets written by people and by Excel do).
pub fn xlsx_to_csv(file: &str, bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    use calamine::{Data, Reader};
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| anyhow::anyhow!("{file}: not a readable XLSX workbook: {e}"))?;
    let sheet =
        wb.sheet_names().first().cloned().ok_or_else(|| anyhow::anyhow!("{file}: the workbook has no sheet"))?;
    let range = wb.worksheet_range(&sheet).map_err(|e| anyhow::anyhow!("{file}, sheet {sheet}: {e}"))?;
    let cell = |d: &Data| -> String {
        match d {
            Data::Empty | Data::Error(_) => String::new(),
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::DateTime(x) => match x.as_datetime() {
                Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
                Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
                None => x.as_f64().to_string(),
            },
        }
    };
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in range.rows() {
        w.write_record(row.iter().map(cell)).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    }
    let body = w.into_inner().map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    if first_row > 0 {
        tracing::info!(file, first_row, "XLSX sheet starts below row 1: line numbers count from its header row");
    }
    Ok(body)
}

/// [`parse`] with the user's column mapping (see [`ColumnMapping`]).
pub fn parse_mapped(
    preset: Preset,
    kind: FileKind,
    file: &str,
    bytes: &[u8],
    today: NaiveDate,
    mapping: &ColumnMapping,
) -> anyhow::Result<Batch> {
    let converted;
    let bytes = if is_xlsx(file, bytes) {
        converted = xlsx_to_csv(file, bytes)?;
        converted.as_slice()
    } else {
        bytes
    };
    let rows = Rows::read(bytes, file, mapping)?;
    let mut b = Batch {
        preset,
        kind,
        file: file.to_string(),
        rows: rows.records.len(),
        cases: vec![],
        links: vec![],
        visits: vec![],
        problems: vec![],
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    match (preset, kind) {
        (Preset::Ds4c, FileKind::Linelist) => {
            let [id, sex, prov, city, icase, inf, onset, conf, rel, dec, state] = [
                "patient_id",
                "sex",
                "province",
                "city",
                "infection_case",
                "infected_by",
                "symptom_onset_date",
                "confirmed_date",
                "released_date",
                "deceased_date",
                "state",
            ]
            .map(|c| rows.col(c, file));
            let (id, sex, prov, city, icase, inf, onset, conf, rel, dec, state) =
                (id?, sex?, prov?, city?, icase?, inf?, onset?, conf?, rel?, dec?, state?);
            for (line, rec) in &rows.records {
                let mut r = RowCtx { rec, line: *line, today, problems: &mut b.problems };
                let sid = r.cell(id).to_string();
                if sid.is_empty() {
                    r.problem("patient_id", "is empty", true);
                    continue;
                }
                let infection_case = r.cell(icase).to_string();
                let (state_v, rel_d, dec_d) =
                    (r.cell(state).to_string(), r.date(rel, "released_date"), r.date(dec, "deceased_date"));
                let (outcome, outcome_date) = match state_v.as_str() {
                    "released" => (Some("recovered"), rel_d),
                    "deceased" => (Some("died"), dec_d),
                    "isolated" => (Some("in_care"), None),
                    _ => (None, None),
                };
                let confirmed = r.date(conf, "confirmed_date");
                let mut place = vec![];
                if let Some(p) = r.opt(prov) {
                    place.push(p);
                    if let Some(c) = r.opt(city).filter(|c| c != "etc") {
                        place.push(c);
                    }
                }
                let c = ParsedCase {
                    line: *line,
                    name: format!("DS4C {sid}"),
                    sex: sex_of(r.cell(sex)),
                    classification: "confirmed",
                    how_found: match infection_case.as_str() {
                        "overseas inflow" => Some("checkpoint"),
                        "contact with patient" => Some("contact_follow_up"),
                        _ => None,
                    },
                    place,
                    onset: r.date(onset, "symptom_onset_date"),
                    report: confirmed,
                    diagnosis: confirmed,
                    outcome,
                    outcome_date,
                    cluster: (!matches!(
                        infection_case.as_str(),
                        "" | "etc" | "contact with patient" | "overseas inflow"
                    ))
                    .then(|| infection_case.clone()),
                    source_id: sid.clone(),
                    ..Default::default()
                };
                if let Some(infector) = r.opt(inf) {
                    b.links.push(ParsedLink {
                        line: *line,
                        infector,
                        infectee: sid.clone(),
                        certainty: "confirmed",
                        route: None,
                    });
                }
                push_case(&mut b.cases, &mut b.problems, &mut seen, c, "patient_id");
            }
        }
        (Preset::Ds4c, FileKind::Itinerary) => {
            let [id, date, prov, city, typ, lat, lon] =
                ["patient_id", "date", "province", "city", "type", "latitude", "longitude"].map(|c| rows.col(c, file));
            let (id, date, prov, city, typ, lat, lon) = (id?, date?, prov?, city?, typ?, lat?, lon?);
            for (line, rec) in &rows.records {
                let mut r = RowCtx { rec, line: *line, today, problems: &mut b.problems };
                let Some(d) = r.date(date, "date") else {
                    if r.cell(date).is_empty() {
                        r.problem("date", "is empty", true);
                    }
                    continue;
                };
                let (la, lo) = (r.cell(lat).parse::<f64>().ok(), r.cell(lon).parse::<f64>().ok());
                if la.is_some_and(|v| !(-90.0..=90.0).contains(&v))
                    || lo.is_some_and(|v| !(-180.0..=180.0).contains(&v))
                {
                    r.problem("latitude", "coordinates out of range", true);
                    continue;
                }
                let kind = r.cell(typ).to_string();
                let place = [r.opt(prov), r.opt(city)].into_iter().flatten().collect();
                b.visits.push(ParsedVisit {
                    line: *line,
                    case_source_id: r.cell(id).to_string(),
                    date: d,
                    place,
                    kind,
                    lat: la,
                    lon: lo,
                });
            }
        }
        (Preset::EbolaSim, FileKind::Linelist) => {
            let [id, inf, onset, hosp, out_d, out, gender, hospital] = [
                "case_id",
                "date_of_infection",
                "date_of_onset",
                "date_of_hospitalisation",
                "date_of_outcome",
                "outcome",
                "gender",
                "hospital",
            ]
            .map(|c| rows.col(c, file));
            let (id, inf, onset, hosp, out_d, out, gender, hospital) =
                (id?, inf?, onset?, hosp?, out_d?, out?, gender?, hospital?);
            for (line, rec) in &rows.records {
                let mut r = RowCtx { rec, line: *line, today, problems: &mut b.problems };
                let sid = r.cell(id).to_string();
                if sid.is_empty() {
                    r.problem("case_id", "is empty", true);
                    continue;
                }
                let infection = r.date(inf, "date_of_infection");
                let h = r.date(hosp, "date_of_hospitalisation");
                let c = ParsedCase {
                    line: *line,
                    name: format!("ebola_sim {sid}"),
                    sex: sex_of(r.cell(gender)),
                    classification: "confirmed",
                    how_found: Some("clinic"),
                    place: vec![],
                    exposure_start: infection,
                    exposure_end: infection,
                    onset: r.date(onset, "date_of_onset"),
                    report: h,
                    isolation: h,
                    outcome: match r.cell(out) {
                        "Death" => Some("died"),
                        "Recover" => Some("recovered"),
                        _ => None,
                    },
                    outcome_date: r.date(out_d, "date_of_outcome"),
                    notes: r.opt(hospital).map(|h| format!("hospital: {h}")),
                    source_id: sid,
                    ..Default::default()
                };
                push_case(&mut b.cases, &mut b.problems, &mut seen, c, "case_id");
            }
        }
        (Preset::EbolaSim, FileKind::Links) => {
            let [inf, id, src] = ["infector", "case_id", "source"].map(|c| rows.col(c, file));
            let (inf, id, src) = (inf?, id?, src?);
            for (line, rec) in &rows.records {
                let mut r = RowCtx { rec, line: *line, today, problems: &mut b.problems };
                let (infector, infectee) = (r.cell(inf).to_string(), r.cell(id).to_string());
                if infector.is_empty() || infectee.is_empty() {
                    r.problem(if infector.is_empty() { "infector" } else { "case_id" }, "is empty", true);
                    continue;
                }
                b.links.push(ParsedLink { line: *line, infector, infectee, certainty: "confirmed", route: r.opt(src) });
            }
        }
        (Preset::Ali2020Pairs, FileKind::Linelist | FileKind::Links) => {
            let role_cols = |role: &str| -> anyhow::Result<[usize; 8]> {
                Ok([
                    rows.col(&format!("{role}_id"), file)?,
                    rows.col(&format!("{role}_sex"), file)?,
                    rows.col(&format!("{role}_reportCity"), file)?,
                    rows.col(&format!("{role}_onsetDate"), file)?,
                    rows.col(&format!("{role}_isolateDate_beforeSymptom"), file)?,
                    rows.col(&format!("{role}_isolateDate_afterSymptom"), file)?,
                    rows.col(&format!("{role}_labConfirmDate"), file)?,
                    rows.col(&format!("{role}_disclosureDate"), file)?,
                ])
            };
            let roles = [("infector", role_cols("infector")?), ("infectee", role_cols("infectee")?)];
            let household = rows.col("isHousehold", file)?;
            let relation = rows.col("infectee_relation_to_infector", file)?;
            for (line, rec) in &rows.records {
                let mut ids = vec![];
                for (role, [id, sex, city, onset, iso_before, iso_after, lab, disc]) in roles {
                    let mut r = RowCtx { rec, line: *line, today, problems: &mut b.problems };
                    let sid = r.cell(id).to_string();
                    if sid.is_empty() {
                        r.problem(&format!("{role}_id"), "is empty", true);
                        continue;
                    }
                    let isolation = r
                        .date(iso_before, "isolateDate_beforeSymptom")
                        .or(r.date(iso_after, "isolateDate_afterSymptom"));
                    let lab_d = r.date(lab, "labConfirmDate");
                    let c = ParsedCase {
                        line: *line,
                        name: sid.clone(),
                        sex: sex_of(r.cell(sex)),
                        classification: "confirmed",
                        place: r.opt(city).into_iter().collect(),
                        onset: r.date(onset, &format!("{role}_onsetDate")),
                        isolation,
                        diagnosis: lab_d,
                        report: r.date(disc, &format!("{role}_disclosureDate")).or(lab_d),
                        source_id: sid.clone(),
                        ..Default::default()
                    };
                    ids.push(sid);
                    // A person appears in many pairs: the first row describes them, later rows match.
                    if !seen.contains_key(&c.source_id) {
                        seen.insert(c.source_id.clone(), c.line);
                        check_order(&c, &mut b.problems);
                        b.cases.push(c);
                    }
                }
                if let [infector, infectee] = ids.as_slice() {
                    let r = RowCtx { rec, line: *line, today, problems: &mut b.problems };
                    let hh = r.cell(household).eq_ignore_ascii_case("yes");
                    let rel = r.opt(relation);
                    b.links.push(ParsedLink {
                        line: *line,
                        infector: infector.clone(),
                        infectee: infectee.clone(),
                        certainty: "probable",
                        route: match (hh, rel) {
                            (true, Some(r)) => Some(format!("household ({r})")),
                            (true, None) => Some("household".into()),
                            (false, r) => r,
                        },
                    });
                }
            }
        }
        (Preset::Tianjin, FileKind::Linelist) => {
            let [id, gender, onset, stype, conf, src, start, end, sev, death] = [
                "case_id",
                "gender",
                "symptom_onset",
                "symptom_type",
                "confirm_date",
                "Infection_source",
                "start_source",
                "end_source",
                "severity",
                "death",
            ]
            .map(|c| rows.col(c, file));
            let (id, gender, onset, stype, conf, src, start, end, sev, death) =
                (id?, gender?, onset?, stype?, conf?, src?, start?, end?, sev?, death?);
            let pattern = CaseRefPattern::new("TJ");
            for (line, rec) in &rows.records {
                let mut r = RowCtx { rec, line: *line, today, problems: &mut b.problems };
                let sid = r.cell(id).to_string();
                if sid.is_empty() {
                    r.problem("case_id", "is empty", true);
                    continue;
                }
                let source_text = r.cell(src).to_string();
                let confirmed = r.date(conf, "confirm_date");
                let died = r.opt(death).is_some();
                let c = ParsedCase {
                    line: *line,
                    name: sid.clone(),
                    sex: sex_of(r.cell(gender)),
                    classification: if r.cell(stype).eq_ignore_ascii_case("none") {
                        "asymptomatic"
                    } else {
                        "confirmed"
                    },
                    place: vec![],
                    exposure_start: r.date(start, "start_source"),
                    exposure_end: r.date(end, "end_source"),
                    onset: r.date(onset, "symptom_onset"),
                    report: confirmed,
                    diagnosis: confirmed,
                    outcome: died.then_some("died"),
                    severity: r.opt(sev),
                    notes: (!source_text.is_empty()).then(|| format!("infection source: {source_text}")),
                    source_id: sid.clone(),
                    ..Default::default()
                };
                for infector in extract_case_refs(&source_text, &pattern) {
                    b.links.push(ParsedLink {
                        line: *line,
                        infector,
                        infectee: sid.clone(),
                        certainty: "probable",
                        route: Some(source_text.clone()),
                    });
                }
                push_case(&mut b.cases, &mut b.problems, &mut seen, c, "case_id");
            }
        }
        (p, k) => anyhow::bail!("preset {} has no {k:?} file", p.name()),
    }
    Ok(b)
}

fn push_case(
    cases: &mut Vec<ParsedCase>,
    problems: &mut Vec<RowProblem>,
    seen: &mut HashMap<String, usize>,
    c: ParsedCase,
    column: &str,
) {
    if let Some(first) = seen.get(&c.source_id) {
        problems.push(RowProblem {
            line: c.line,
            column: column.into(),
            message: format!("{} is already listed on line {first}", c.source_id),
            error: true,
        });
        return;
    }
    seen.insert(c.source_id.clone(), c.line);
    check_order(&c, problems);
    cases.push(c);
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub preset: String,
    pub dry_run: bool,
    pub rows: usize,
    pub cases_new: usize,
    /// Cases already there whose file row is unchanged (nothing written).
    pub cases_existing: usize,
    /// Cases already there whose file row changed: their fields were updated (a new
    /// classification is added to the case's history).
    pub cases_updated: usize,
    pub links_new: usize,
    pub links_existing: usize,
    /// New links whose infector is not a case (kept as unobserved infectors).
    pub links_unobserved: usize,
    pub visits_new: usize,
    pub visits_existing: usize,
    pub places_new: usize,
    /// Rows left out (with `skip_bad_rows`), with reasons.
    pub skipped: Vec<RowProblem>,
    /// Warnings: impossible date orders, cycles, self-links.
    pub warnings: Vec<RowProblem>,
    pub root: String,
    /// Preview only: the first rows as read (what would be written).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sample_cases: Vec<ParsedCase>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sample_links: Vec<ParsedLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sample_visits: Vec<ParsedVisit>,
}

/// A stored case of the source, as compared with a re-imported row.
#[derive(sqlx::FromRow)]
struct StoredCase {
    id: i64,
    source_id: String,
    classification: String,
    import_hash: Option<String>,
    how_found: Option<String>,
    exposure_start: Option<NaiveDate>,
    exposure_end: Option<NaiveDate>,
    onset_date: Option<NaiveDate>,
    sampling_date: Option<NaiveDate>,
    report_date: Option<NaiveDate>,
    diagnosis_date: Option<NaiveDate>,
    isolation_date: Option<NaiveDate>,
    outcome: Option<String>,
    outcome_date: Option<NaiveDate>,
    severity: Option<String>,
    cluster: Option<String>,
    notes: Option<String>,
}

/// SHA-256 (hex) of the fields an import writes for a case: equal fingerprints mean an
/// unchanged row.
fn row_hash(c: &ParsedCase) -> String {
    use sha2::Digest;
    let canon = format!(
        "{:?}",
        (
            c.classification,
            c.how_found,
            (c.exposure_start, c.exposure_end, c.onset, c.sampling, c.report, c.diagnosis, c.isolation),
            (c.outcome, c.outcome_date),
            (&c.severity, &c.cluster, &c.notes),
        )
    );
    hex::encode(sha2::Sha256::digest(canon.as_bytes()))
}

impl StoredCase {
    /// Whether the file row differs from what was written from it last time (by fingerprint;
    /// cases imported before fingerprints existed: by their fields).
    fn changed(&self, c: &ParsedCase) -> bool {
        match &self.import_hash {
            Some(h) => *h != row_hash(c),
            None => {
                (self.classification.as_str(), self.how_found.as_deref(), self.outcome.as_deref())
                    != (c.classification, c.how_found, c.outcome)
                    || (
                        self.exposure_start,
                        self.exposure_end,
                        self.onset_date,
                        self.sampling_date,
                        self.report_date,
                        self.diagnosis_date,
                        self.isolation_date,
                        self.outcome_date,
                    ) != (
                        c.exposure_start,
                        c.exposure_end,
                        c.onset,
                        c.sampling,
                        c.report,
                        c.diagnosis,
                        c.isolation,
                        c.outcome_date,
                    )
                    || (&self.severity, &self.cluster, &self.notes) != (&c.severity, &c.cluster, &c.notes)
            }
        }
    }
}

/// Refusal of a whole file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {} bad rows, nothing imported (use --skip-bad-rows to import the others):\n{}", .problems.len(), .problems.iter().take(50).map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    BadRows { file: String, problems: Vec<RowProblem> },
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Where an import puts its places and who does it.
pub struct ImportOptions<'a> {
    pub actor: &'a Actor,
    /// The jurisdiction under which the source's root node is created (`None`: a top-level root).
    /// A root that already exists is reused wherever it is, but must lie inside `scope` if given.
    pub attach_to: Option<String>,
    pub scope: Option<&'a crate::jurisdictions::Scope>,
    pub skip_bad_rows: bool,
    pub dry_run: bool,
    /// Called with the number of rows written so far (progress bar).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

/// Checks a batch against the store and writes it in one transaction (nothing on a dry run).
pub async fn write(db: &Db, b: Batch, o: &ImportOptions<'_>) -> Result<ImportReport, ImportError> {
    write_or_preview(db, b, o, false).await
}

/// The preview of an import: every row checked against the store (bad rows listed in
/// `skipped` with line, column and message, never refused as a whole), what would be new,
/// updated or unchanged, and the first 20 records as read. Writes nothing.
pub async fn preview(db: &Db, b: Batch, o: &ImportOptions<'_>) -> Result<ImportReport, ImportError> {
    let o = ImportOptions {
        actor: o.actor,
        attach_to: o.attach_to.clone(),
        scope: o.scope,
        skip_bad_rows: true,
        dry_run: true,
        progress: None,
    };
    write_or_preview(db, b, &o, true).await
}

async fn write_or_preview(
    db: &Db,
    mut b: Batch,
    o: &ImportOptions<'_>,
    preview: bool,
) -> Result<ImportReport, ImportError> {
    let source = b.preset.source();
    let mut report = ImportReport {
        file: b.file.clone(),
        preset: b.preset.name().into(),
        dry_run: o.dry_run,
        rows: b.rows,
        ..Default::default()
    };
    // Known cases of this source: id in the source → case id (and what was written).
    let stored: HashMap<String, StoredCase> = db_run!(db, p => sqlx::query_as::<_, StoredCase>(
        "SELECT id, source_id, classification, import_hash, how_found, exposure_start, exposure_end, onset_date, sampling_date, \
         report_date, diagnosis_date, isolation_date, outcome, outcome_date, severity, cluster, notes FROM cases WHERE source = $1")
        .bind(source).fetch_all(p).await?)
    .into_iter()
    .map(|c| (c.source_id.clone(), c))
    .collect();
    let existing: HashMap<String, i64> = stored.iter().map(|(k, c)| (k.clone(), c.id)).collect();
    let batch_ids: HashSet<String> = b.cases.iter().map(|c| c.source_id.clone()).collect();
    // Links: the infectee must be a case (in the file or already stored); the infector need not.
    for l in &b.links {
        if !batch_ids.contains(&l.infectee) && !existing.contains_key(&l.infectee) {
            b.problems.push(RowProblem {
                line: l.line,
                column: "infectee".into(),
                message: format!("infectee {} is not a case of {source} (import its line list first)", l.infectee),
                error: true,
            });
        }
        if l.infector == l.infectee {
            b.problems.push(RowProblem {
                line: l.line,
                column: "infector".into(),
                message: format!("{} names itself as infector (kept, left out of the chains)", l.infector),
                error: false,
            });
        }
    }
    for l in &b.visits {
        if !existing.contains_key(&l.case_source_id) {
            b.problems.push(RowProblem {
                line: l.line,
                column: "patient_id".into(),
                message: format!("{} is not a case of {source} (import its line list first)", l.case_source_id),
                error: true,
            });
        }
    }
    let bad = b.bad_lines();
    if !bad.is_empty() && !o.skip_bad_rows {
        b.problems.retain(|p| p.error);
        b.problems.sort_by_key(|p| p.line);
        return Err(ImportError::BadRows { file: b.file.clone(), problems: b.problems });
    }
    report.skipped = b.errors().cloned().collect();
    report.skipped.sort_by_key(|p| p.line);
    b.cases.retain(|c| !bad.contains(&c.line));
    b.links.retain(|l| !bad.contains(&l.line));
    b.visits.retain(|v| !bad.contains(&v.line));
    report.warnings = b.problems.iter().filter(|p| !p.error).cloned().collect();
    cycle_warnings(&b, &existing, &mut report.warnings);
    report.warnings.sort_by_key(|p| p.line);

    // The source's root and its place nodes.
    let root = external::root_code(source);
    report.root = root.clone();
    let root_j = crate::jurisdictions::get(db, &root).await?;
    let parent = match (&root_j, &o.attach_to) {
        (Some(_), _) => None,
        (None, Some(code)) => Some(
            crate::jurisdictions::get(db, code)
                .await?
                .ok_or_else(|| anyhow::anyhow!("jurisdiction {code} does not exist"))?,
        ),
        (None, None) => None,
    };
    if let Some(scope) = o.scope {
        let inside = match (&root_j, &parent) {
            (Some(r), _) => scope.contains(r),
            (None, Some(p)) => scope.contains(p),
            (None, None) => false,
        };
        if !inside {
            return Err(ImportError::Forbidden(format!(
                "the data set's root {root} lies (or would lie) outside your jurisdiction"
            )));
        }
    }
    let root_path = match (&root_j, &parent) {
        (Some(r), _) => r.path.clone(),
        (None, Some(p)) => format!("{}{root}/", p.path),
        (None, None) => format!("/{root}/"),
    };
    // Every place path in the batch → its node (code, parent, name, level, path).
    let mut nodes: Vec<(String, String, String, &'static str, String)> = Vec::new();
    let mut node_of: HashMap<Vec<String>, String> = HashMap::new();
    let places = b.cases.iter().map(|c| &c.place).chain(b.visits.iter().map(|v| &v.place));
    for place in places {
        let (mut code, mut path) = (root.clone(), root_path.clone());
        for (depth, name) in place.iter().enumerate() {
            let key = place[..=depth].to_vec();
            let child = external::child_code(&code, name);
            path = format!("{path}{child}/");
            if let std::collections::hash_map::Entry::Vacant(slot) = node_of.entry(key) {
                slot.insert(child.clone());
                let level = if depth == 0 { "province" } else { "county" };
                nodes.push((child.clone(), code.clone(), name.clone(), level, path.clone()));
            }
            code = child;
        }
    }
    let place_code = |place: &[String]| -> String {
        if place.is_empty() { root.clone() } else { node_of.get(place).cloned().unwrap_or_else(|| root.clone()) }
    };
    if preview {
        report.sample_cases = b.cases.iter().take(20).cloned().collect();
        report.sample_links = b.links.iter().take(20).cloned().collect();
        report.sample_visits = b.visits.iter().take(20).cloned().collect();
    }
    if o.dry_run {
        report.cases_new = b.cases.iter().filter(|c| !existing.contains_key(&c.source_id)).count();
        report.cases_updated =
            b.cases.iter().filter(|c| stored.get(&c.source_id).is_some_and(|s| s.changed(c))).count();
        report.cases_existing = b.cases.len() - report.cases_new - report.cases_updated;
        report.links_new = b.links.len();
        report.visits_new = b.visits.len();
        return Ok(report);
    }

    let now = crate::db::now();
    let actor = o.actor;
    let parent_code = parent.as_ref().map(|p| p.code.clone());
    let root_name = b.preset.source_name();
    let total = (b.cases.len() + b.links.len() + b.visits.len()) as u64;
    let tick = |n: u64| {
        if let Some(f) = o.progress
            && (n.is_multiple_of(500) || n == total)
        {
            f(n);
        }
    };
    let mut updated: Vec<i64> = Vec::new();
    let res: Result<ImportReport, sqlx::Error> = db_run!(db, pool => async {
        let mut r = report;
        let mut tx = pool.begin_write().await?;
        if root_j.is_none() {
            sqlx::query("INSERT INTO jurisdictions (code, name, level, parent_code, path, stat_code) VALUES ($1, $2, 'other', $3, $4, $1) ON CONFLICT (code) DO NOTHING")
                .bind(&root).bind(root_name).bind(&parent_code).bind(&root_path).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO tracing_sources (code, name, root_code, licence, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING")
            .bind(source).bind(root_name).bind(&root).bind(b.preset.licence()).bind(now).execute(&mut *tx).await?;
        for (code, parent, name, level, path) in &nodes {
            let n = sqlx::query("INSERT INTO jurisdictions (code, name, level, parent_code, path, stat_code) VALUES ($1, $2, $3, $4, $5, $1) ON CONFLICT (code) DO NOTHING")
                .bind(code).bind(name).bind(*level).bind(parent).bind(path).execute(&mut *tx).await?.rows_affected();
            r.places_new += n as usize;
        }
        // People known by a source record of this source.
        let prefix = format!("{source}:");
        let people: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT id_number, id FROM people WHERE id_type = 'source_record' AND substr(id_number, 1, length($1)) = $1")
            .bind(&prefix).fetch_all(&mut *tx).await?.into_iter().collect();
        let mut ids = existing.clone();
        let mut done: u64 = 0;
        for c in &b.cases {
            done += 1;
            tick(done);
            if let Some(s) = stored.get(&c.source_id) {
                if !s.changed(c) {
                    r.cases_existing += 1;
                    continue;
                }
                sqlx::query(
                    "UPDATE cases SET classification = $1, how_found = $2, exposure_start = $3, exposure_end = $4, onset_date = $5, \
                     sampling_date = $6, report_date = $7, diagnosis_date = $8, isolation_date = $9, outcome = $10, outcome_date = $11, \
                     severity = $12, cluster = $13, notes = $14, import_hash = $15, updated_at = $16, version = version + 1 WHERE id = $17")
                    .bind(c.classification).bind(c.how_found).bind(c.exposure_start).bind(c.exposure_end).bind(c.onset).bind(c.sampling)
                    .bind(c.report).bind(c.diagnosis).bind(c.isolation).bind(c.outcome).bind(c.outcome_date).bind(&c.severity)
                    .bind(&c.cluster).bind(&c.notes).bind(row_hash(c)).bind(now).bind(s.id)
                    .execute(&mut *tx).await?;
                if s.classification != c.classification {
                    sqlx::query("INSERT INTO case_classifications (case_id, classification, at, username, reason) VALUES ($1, $2, $3, $4, $5)")
                        .bind(s.id).bind(c.classification).bind(now).bind(&actor.username)
                        .bind(format!("import {} line {}: was {}", b.file, c.line, s.classification))
                        .execute(&mut *tx).await?;
                }
                r.cases_updated += 1;
                updated.push(s.id);
                continue;
            }
            let key = format!("{prefix}{}", c.source_id);
            let jcode = place_code(&c.place);
            let person_id = match people.get(&key) {
                Some(id) => *id,
                None => sqlx::query_scalar::<_, i64>(
                    "INSERT INTO people (name, sex, id_type, id_number, jurisdiction_code, created_at, updated_at) \
                     VALUES ($1, $2, 'source_record', $3, $4, $5, $5) RETURNING id")
                    .bind(&c.name).bind(c.sex).bind(&key).bind(&jcode).bind(now).fetch_one(&mut *tx).await?,
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO cases (person_id, source, source_id, classification, how_found, reporting_jurisdiction, home_jurisdiction, \
                 exposure_start, exposure_end, onset_date, sampling_date, report_date, diagnosis_date, isolation_date, outcome, outcome_date, \
                 severity, cluster, notes, created_at, updated_at, import_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20) RETURNING id")
                .bind(person_id).bind(source).bind(&c.source_id).bind(c.classification).bind(c.how_found).bind(&jcode)
                .bind(c.exposure_start).bind(c.exposure_end).bind(c.onset).bind(c.sampling).bind(c.report).bind(c.diagnosis)
                .bind(c.isolation).bind(c.outcome).bind(c.outcome_date).bind(&c.severity).bind(&c.cluster).bind(&c.notes).bind(now)
                .bind(row_hash(c)).fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO case_classifications (case_id, classification, at, username, reason) VALUES ($1, $2, $3, $4, $5)")
                .bind(id).bind(c.classification).bind(now).bind(&actor.username).bind(format!("import {}", b.file))
                .execute(&mut *tx).await?;
            ids.insert(c.source_id.clone(), id);
            r.cases_new += 1;
        }
        for l in &b.links {
            done += 1;
            tick(done);
            let Some(&infectee) = ids.get(&l.infectee) else { continue };
            let infector = ids.get(&l.infector).copied();
            let n = sqlx::query(
                "INSERT INTO transmission_links (source, infector_source_id, infector_case_id, infectee_case_id, certainty, route, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, infector_source_id, infectee_case_id) DO NOTHING")
                .bind(source).bind(&l.infector).bind(infector).bind(infectee).bind(l.certainty).bind(&l.route).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                r.links_new += 1;
                if infector.is_none() {
                    r.links_unobserved += 1;
                }
            } else {
                r.links_existing += 1;
            }
        }
        // Infectors named before they were imported resolve now.
        sqlx::query("UPDATE transmission_links SET infector_case_id = (SELECT c.id FROM cases c WHERE c.source = transmission_links.source \
                     AND c.source_id = transmission_links.infector_source_id) WHERE infector_case_id IS NULL AND source = $1")
            .bind(source).execute(&mut *tx).await?;
        let mut place_ids: HashMap<String, i64> = HashMap::new();
        for v in &b.visits {
            done += 1;
            tick(done);
            let Some(&case_id) = ids.get(&v.case_source_id) else { continue };
            let jcode = place_code(&v.place);
            let pkey = match (v.lat, v.lon) {
                (Some(la), Some(lo)) => format!("{}:{la:.6},{lo:.6}", v.kind),
                _ => format!("{}:{jcode}", v.kind),
            };
            let place_id = match place_ids.get(&pkey) {
                Some(id) => *id,
                None => {
                    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM places WHERE source = $1 AND source_key = $2")
                        .bind(source).bind(&pkey).fetch_optional(&mut *tx).await?;
                    let id = match found {
                        Some(id) => id,
                        None => sqlx::query_scalar::<_, i64>("INSERT INTO places (source, source_key, name, kind, lat, lon, jurisdiction_code) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                            .bind(source).bind(&pkey).bind(format!("{} · {}", v.kind, v.place.join(" "))).bind(&v.kind)
                            .bind(v.lat).bind(v.lon).bind(&jcode).fetch_one(&mut *tx).await?,
                    };
                    place_ids.insert(pkey.clone(), id);
                    id
                }
            };
            let vkey = format!("{}:{}", v.date, pkey);
            let n = sqlx::query("INSERT INTO itinerary (case_id, place_id, start_date, kind, source_key) VALUES ($1, $2, $3, $4, $5) \
                                 ON CONFLICT (case_id, source_key) DO NOTHING")
                .bind(case_id).bind(place_id).bind(v.date).bind(&v.kind).bind(&vkey).execute(&mut *tx).await?.rows_affected();
            if n == 1 { r.visits_new += 1 } else { r.visits_existing += 1 }
        }
        let ev = AuditEvent::new(actor, "import", "case").jurisdiction(&root).detail(serde_json::json!({
            "file": b.file, "preset": b.preset.name(), "rows": r.rows, "cases_new": r.cases_new, "cases_existing": r.cases_existing, "cases_updated": r.cases_updated,
            "links_new": r.links_new, "visits_new": r.visits_new, "skipped": r.skipped.len(), "warnings": r.warnings.len()}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(r)
    }.await);
    let report = res?;
    super::refresh_chains(db).await?;
    // Dates or classifications changed: the contacts of those cases are reclassified.
    for id in updated {
        super::policy::recompute_case(db, id).await?;
    }
    // Cluster labels of the rows (DS4C infection_case) become clusters of the source.
    super::clusters::from_import_labels(db, o.actor, source, &report.root).await?;
    Ok(report)
}

/// Cycles among the batch's links (and the source's stored cases) as warnings naming a line.
fn cycle_warnings(b: &Batch, existing: &HashMap<String, i64>, out: &mut Vec<RowProblem>) {
    use firebreak_chains::{Case, Certainty, ChainInputBuilder, Params, Problem, analyze};
    let mut builder = ChainInputBuilder::<String>::new();
    let mut known: HashSet<&str> = HashSet::new();
    for c in &b.cases {
        if known.insert(&c.source_id) && builder.add_case(c.source_id.clone(), Case::default()).is_err() {
            return;
        }
    }
    for id in existing.keys() {
        if known.insert(id) && builder.add_case(id.clone(), Case::default()).is_err() {
            return;
        }
    }
    let mut line_of: HashMap<(&str, &str), usize> = HashMap::new();
    for l in &b.links {
        if builder.add_link(l.infector.as_str(), l.infectee.as_str(), Certainty::Possible).is_ok() {
            line_of.insert((&l.infector, &l.infectee), l.line);
        }
    }
    let (input, labels) = builder.build();
    let Ok(a) = analyze(&input, &Params::new(0)) else { return };
    for p in &a.problems {
        if let Problem::Cycle { members } = p {
            let names: Vec<&str> = members.iter().map(|&m| labels.cases[m as usize].as_str()).collect();
            let line = names
                .iter()
                .flat_map(|x| names.iter().map(move |y| (*x, *y)))
                .filter_map(|k| line_of.get(&k).copied())
                .min()
                .unwrap_or(0);
            out.push(RowProblem {
                line,
                column: "infector".into(),
                message: format!(
                    "cycle in infector links: {} (kept; generations are cut at the cycle)",
                    names.join(" → ")
                ),
                error: false,
            });
        }
    }
}
