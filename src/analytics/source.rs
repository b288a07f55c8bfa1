//! The data-source boundary of the analytics: where daily incidence and transmission pairs come
//! from. The figures ([`super::curve`], [`super::rt`], [`super::growth`], [`super::serial`]) take
//! plain data ([`super::DayCount`] rows, [`firebreak_epi::OnsetPair`]s) and never query storage;
//! the HTTP handlers ask a source for that data.
//!
//! Sources:
//! - [`ReportedCounts`]: the `daily_counts` table (reported new cases per jurisdiction and day);
//! - [`LineList`]: the investigation desk's `cases` (migration 0004), counted per day on the
//!   caller's curve basis ([`CurveBasis`]: onset, sampling or report date);
//! - [`ReferencePairs`]: the `si_pairs` table (named reference data sets, e.g. Ali et al. 2020);
//! - [`InvestigationLinks`]: the desk's `transmission_links` whose infectee lies in the area.
//!
//! Each is selected by a variant of [`IncidenceKind`] / [`PairKind`] (the API's `source` /
//! `dataset` parameters); curves, R_t, growth and serial interval are computed the same way
//! whichever source answers.
//!
//! Line list rules:
//! - cases are counted where they were reported (`reporting_jurisdiction`, as the desk scopes
//!   them), inside the area's whole subtree;
//! - `confirmed` and `asymptomatic` cases are counted; `suspected` and `probable` are not cases
//!   yet and are left out (their number is given in a note);
//! - a case without the chosen date falls back: onset → sampling → report date, sampling →
//!   report date; the report basis has no fallback. How many cases fell back, and how many have
//!   no usable date at all (left out), is said in a note with every figure;
//! - the `cases` table has no imported/local flag, so every case counts as local and the split
//!   is reported as unknown (`split_known: false`).

use super::{DayCount, StoredCount, non_overlapping, rows_in};
use crate::db::Db;
use crate::db_run;
use crate::jurisdictions::Jurisdiction;
use chrono::NaiveDate;
use firebreak_epi::{CaseRecord, OnsetPair, Origin, daily_curve};

/// Daily incidence for an area (its whole subtree), in date order, at most one row per date.
pub trait IncidenceSource {
    /// Short name shown with every figure (e.g. `reported_counts`).
    fn name(&self) -> &'static str;
    /// The area's daily rows; `dropped_nested` is true when rows of lower units were left out
    /// because a higher unit reported that day (no double counting).
    fn daily(
        &self,
        db: &Db,
        area: &Jurisdiction,
    ) -> impl std::future::Future<Output = Result<AreaDaily, sqlx::Error>> + Send;
}

/// What an [`IncidenceSource`] answers.
#[derive(Debug, Clone, Default)]
pub struct AreaDaily {
    pub rows: Vec<DayCount>,
    pub dropped_nested: bool,
    /// Distinct sources of the rows (for the figure's caption).
    pub sources: Vec<String>,
    /// What the reader must know about how the rows were made (fallback dates, left-out cases).
    pub notes: Vec<String>,
}

/// Infector → infectee onset pairs, for a serial-interval figure.
pub trait PairSource {
    fn name(&self) -> String;
    fn pairs(&self, db: &Db) -> impl std::future::Future<Output = Result<Vec<OnsetPair>, sqlx::Error>> + Send;
}

/// The `daily_counts` table.
#[derive(Debug, Clone, Copy)]
pub struct ReportedCounts;

impl IncidenceSource for ReportedCounts {
    fn name(&self) -> &'static str {
        "reported_counts"
    }
    async fn daily(&self, db: &Db, area: &Jurisdiction) -> Result<AreaDaily, sqlx::Error> {
        let rows: Vec<StoredCount> = rows_in(db, area).await?;
        let (kept, dropped_nested) = non_overlapping(&rows);
        let mut sources: Vec<String> = kept.iter().map(|r| r.source.clone()).collect();
        sources.sort();
        sources.dedup();
        // Merge the kept rows of one date into one row (sum; a split is known only if every
        // merged row gives one).
        let mut out: Vec<DayCount> = Vec::new();
        for r in kept {
            match out.last_mut() {
                Some(last) if last.date == r.day.date => {
                    last.confirmed += r.day.confirmed;
                    last.asymptomatic = match (last.asymptomatic, r.day.asymptomatic) {
                        (None, None) => None,
                        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
                    };
                    let (l1, i1) = last.split();
                    let (l2, i2) = r.day.split();
                    let known = last.local.is_some() || r.day.local.is_some();
                    last.local = known.then_some(l1 + l2);
                    last.imported = known.then_some(i1 + i2);
                }
                _ => out.push(r.day.clone()),
            }
        }
        Ok(AreaDaily { rows: out, dropped_nested, sources, notes: vec![] })
    }
}

/// A named reference data set in the `si_pairs` table.
#[derive(Debug, Clone)]
pub struct ReferencePairs(pub String);

impl PairSource for ReferencePairs {
    fn name(&self) -> String {
        self.0.clone()
    }
    async fn pairs(&self, db: &Db) -> Result<Vec<OnsetPair>, sqlx::Error> {
        let rows: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = db_run!(db, p => sqlx::query_as(
            "SELECT infector_onset, infectee_onset FROM si_pairs WHERE dataset = $1 ORDER BY line")
            .bind(&self.0).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|(a, b)| OnsetPair { infector_onset: a, infectee_onset: b }).collect())
    }
}

/// Which date of a case the line-list curve counts it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveBasis {
    /// Symptom onset (falls back to sampling, then report date).
    Onset,
    /// Sampling (specimen collection) date (falls back to the report date).
    Sampling,
    /// Report date (no fallback).
    Report,
}

impl CurveBasis {
    pub fn parse(s: Option<&str>) -> Result<Self, String> {
        match s.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("onset") {
            "onset" => Ok(CurveBasis::Onset),
            "sampling" => Ok(CurveBasis::Sampling),
            "report" => Ok(CurveBasis::Report),
            other => Err(format!("\"{other}\": onset, sampling or report")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CurveBasis::Onset => "onset",
            CurveBasis::Sampling => "sampling",
            CurveBasis::Report => "report",
        }
    }
    /// The day a case is counted on, and whether it is a fallback date.
    pub fn pick(
        self,
        onset: Option<NaiveDate>,
        sampling: Option<NaiveDate>,
        report: Option<NaiveDate>,
    ) -> Option<(NaiveDate, bool)> {
        let chain: &[Option<NaiveDate>] = match self {
            CurveBasis::Onset => &[onset, sampling, report],
            CurveBasis::Sampling => &[sampling, report],
            CurveBasis::Report => &[report],
        };
        chain.iter().enumerate().find_map(|(i, d)| d.map(|d| (d, i > 0)))
    }
}

/// Counted classification of a case (the key of the kernel's curve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Counted {
    Confirmed,
    Asymptomatic,
}

/// The investigation desk's cases inside the area (see the module docs for the rules).
#[derive(Debug, Clone, Copy)]
pub struct LineList(pub CurveBasis);

/// One group of identical (classification, dates, source) cases.
type CaseGroup = (String, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>, String, i64);

impl IncidenceSource for LineList {
    fn name(&self) -> &'static str {
        "line_list"
    }
    async fn daily(&self, db: &Db, area: &Jurisdiction) -> Result<AreaDaily, sqlx::Error> {
        let like = format!("{}%", crate::db::like_escape(&area.path));
        // Grouped in the database: one row per distinct (classification, dates, source).
        let groups: Vec<CaseGroup> = db_run!(db, p => sqlx::query_as(
            "SELECT c.classification, c.onset_date, c.sampling_date, c.report_date, c.source, COUNT(*) \
             FROM cases c JOIN jurisdictions j ON j.code = c.reporting_jurisdiction \
             WHERE j.path LIKE $1 ESCAPE '\\' \
             GROUP BY c.classification, c.onset_date, c.sampling_date, c.report_date, c.source")
            .bind(like).fetch_all(p).await)?;
        let (mut fallback, mut undated, mut not_cases) = (0i64, 0i64, 0i64);
        let mut sources: Vec<String> = Vec::new();
        let mut records: Vec<CaseRecord<Counted>> = Vec::new();
        for (class, onset, sampling, report, src, n) in groups {
            let key = match class.as_str() {
                "confirmed" => Counted::Confirmed,
                "asymptomatic" => Counted::Asymptomatic,
                _ => {
                    not_cases += n;
                    continue;
                }
            };
            let Some((date, fell_back)) = self.0.pick(onset, sampling, report) else {
                undated += n;
                continue;
            };
            if fell_back {
                fallback += n;
            }
            sources.push(src);
            // No imported/local flag on cases: every case is local.
            let rec = CaseRecord { date, key, origin: Origin::Local };
            records.extend(std::iter::repeat_n(rec, usize::try_from(n).unwrap_or(0)));
        }
        sources.sort();
        sources.dedup();
        let mut notes = Vec::new();
        if fallback > 0 {
            let to = match self.0 {
                CurveBasis::Onset => "their sampling or report date",
                _ => "their report date",
            };
            notes.push(format!("{fallback} cases have no {} date and are counted on {to}", self.0.as_str()));
        }
        if undated > 0 {
            notes.push(format!("{undated} cases without any usable date are left out"));
        }
        if not_cases > 0 {
            notes.push(format!("{not_cases} suspected or probable cases are not counted"));
        }
        if !records.is_empty() {
            notes.push("cases carry no imported/local flag: all are counted as local".into());
        }
        let rows = match daily_curve(&records, None) {
            Ok(c) => {
                let empty = firebreak_epi::OriginCounts::default();
                let conf = c.series.get(&Counted::Confirmed).unwrap_or(&empty);
                let asym = c.series.get(&Counted::Asymptomatic).unwrap_or(&empty);
                let at = |v: &Vec<u64>, i: usize| i64::try_from(v.get(i).copied().unwrap_or(0)).unwrap_or(i64::MAX);
                (0..c.range.days())
                    .filter_map(|i| {
                        let confirmed = at(&conf.local, i) + at(&conf.imported, i);
                        let asymptomatic = at(&asym.local, i) + at(&asym.imported, i);
                        (confirmed + asymptomatic > 0).then(|| DayCount {
                            date: c.range.first() + chrono::Days::new(i as u64),
                            confirmed,
                            asymptomatic: Some(asymptomatic),
                            local: None,
                            imported: None,
                        })
                    })
                    .collect()
            }
            // No records: no rows.
            Err(_) => vec![],
        };
        Ok(AreaDaily { rows, dropped_nested: false, sources, notes })
    }
}

/// Infector → infectee links of the investigation desk whose infectee was reported inside the
/// area's subtree, with both onsets (an unobserved infector, or a missing onset, is `None`).
#[derive(Debug, Clone)]
pub struct InvestigationLinks(pub Jurisdiction);

impl PairSource for InvestigationLinks {
    fn name(&self) -> String {
        "investigation".into()
    }
    async fn pairs(&self, db: &Db) -> Result<Vec<OnsetPair>, sqlx::Error> {
        let like = format!("{}%", crate::db::like_escape(&self.0.path));
        let rows: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = db_run!(db, p => sqlx::query_as(
            "SELECT i.onset_date, e.onset_date FROM transmission_links l \
             JOIN cases e ON e.id = l.infectee_case_id JOIN jurisdictions j ON j.code = e.reporting_jurisdiction \
             LEFT JOIN cases i ON i.id = l.infector_case_id \
             WHERE j.path LIKE $1 ESCAPE '\\' ORDER BY l.id")
            .bind(like).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|(a, b)| OnsetPair { infector_onset: a, infectee_onset: b }).collect())
    }
}

/// The incidence sources the API can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidenceKind {
    /// Reported daily counts (`daily_counts`).
    Reported,
    /// The investigation desk's case line list, on a curve basis.
    LineList(CurveBasis),
}

impl IncidenceKind {
    /// `source` (`reported`, default, or `line_list`) and, for the line list, `basis`.
    pub fn parse(s: Option<&str>, basis: Option<&str>) -> Result<Self, (&'static str, String)> {
        match s.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("reported") {
            "reported" | "reported_counts" => Ok(IncidenceKind::Reported),
            "line_list" | "linelist" | "cases" => {
                CurveBasis::parse(basis).map(IncidenceKind::LineList).map_err(|m| ("basis", m))
            }
            other => Err((
                "source",
                format!("\"{other}\": reported (daily reported counts) or line_list (the investigation desk's cases)"),
            )),
        }
    }
    /// Name shown with every figure: `reported` or `line_list:<basis>`.
    pub fn label(self) -> String {
        match self {
            IncidenceKind::Reported => "reported".into(),
            IncidenceKind::LineList(b) => format!("line_list:{}", b.as_str()),
        }
    }
}

/// Daily incidence of an area from the chosen source.
pub async fn incidence(db: &Db, kind: IncidenceKind, area: &Jurisdiction) -> Result<AreaDaily, sqlx::Error> {
    match kind {
        IncidenceKind::Reported => ReportedCounts.daily(db, area).await,
        IncidenceKind::LineList(b) => LineList(b).daily(db, area).await,
    }
}

/// Whether the investigation desk has any case reported inside the area (the page's default source).
pub async fn area_has_cases(db: &Db, area: &Jurisdiction) -> Result<bool, sqlx::Error> {
    let like = format!("{}%", crate::db::like_escape(&area.path));
    let n: Option<i64> = db_run!(db, p => sqlx::query_scalar(
        "SELECT c.id FROM cases c JOIN jurisdictions j ON j.code = c.reporting_jurisdiction \
         WHERE j.path LIKE $1 ESCAPE '\\' LIMIT 1")
        .bind(like).fetch_optional(p).await)?;
    Ok(n.is_some())
}

/// The pair sources the API can be asked for.
#[derive(Debug, Clone)]
pub enum PairKind {
    /// A reference data set stored in `si_pairs`.
    Reference(String),
    /// The investigation desk's transmission links whose infectee lies in the area.
    Investigation(Jurisdiction),
}

/// Pairs from the chosen source.
pub async fn pairs(db: &Db, kind: &PairKind) -> Result<Vec<OnsetPair>, sqlx::Error> {
    match kind {
        PairKind::Reference(name) => ReferencePairs(name.clone()).pairs(db).await,
        PairKind::Investigation(area) => InvestigationLinks(area.clone()).pairs(db).await,
    }
}
