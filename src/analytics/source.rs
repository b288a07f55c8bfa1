//! The data-source boundary of the analytics: where daily incidence and transmission pairs come
//! from. The figures ([`super::curve`], [`super::rt`], [`super::growth`], [`super::serial`]) take
//! plain data ([`super::DayCount`] rows, [`firebreak_epi::OnsetPair`]s) and never query storage;
//! the HTTP handlers ask a source for that data.
//!
//! Sources today:
//! - [`ReportedCounts`]: the `daily_counts` table (reported new cases per jurisdiction and day);
//! - [`ReferencePairs`]: the `si_pairs` table (named reference data sets, e.g. Ali et al. 2020).
//!
//! **Where the investigation desk plugs in** (its `cases` and links tables land later; nothing
//! here reads them yet):
//! 1. a `LineList` source implementing [`IncidenceSource`]: select the cases inside the area's
//!    subtree (`JOIN jurisdictions j … WHERE j.path LIKE $1`) with their onset, sampling or report
//!    date (the caller's choice of curve basis), classification and imported/local flag; build
//!    `firebreak_epi::CaseRecord`s, count them with `firebreak_epi::daily_curve`, and return one
//!    [`super::DayCount`] per day (confirmed / asymptomatic from the classification, local /
//!    imported from the flag);
//! 2. a `InvestigationLinks` source implementing [`PairSource`]: infector → infectee links whose
//!    infectee lies inside the area, with both onset dates (unknown onsets as `None`);
//! 3. add a variant to [`IncidenceKind`] / [`PairKind`] and a match arm in [`incidence`] /
//!    [`pairs`]; the API's `source` / `dataset` parameters then select it. Nothing else changes:
//!    curves, R_t, growth and serial interval are computed the same way.

use super::{DayCount, StoredCount, non_overlapping, rows_in};
use crate::db::Db;
use crate::db_run;
use crate::jurisdictions::Jurisdiction;
use chrono::NaiveDate;
use firebreak_epi::OnsetPair;

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
        Ok(AreaDaily { rows: out, dropped_nested, sources })
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

/// The incidence sources the API can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidenceKind {
    /// Reported daily counts (`daily_counts`).
    Reported,
}

impl IncidenceKind {
    pub fn parse(s: Option<&str>) -> Result<Self, String> {
        match s.unwrap_or("reported") {
            "reported" | "reported_counts" => Ok(IncidenceKind::Reported),
            other => Err(format!(
                "\"{other}\": the only incidence source so far is \"reported\" (the case line list arrives with the investigation desk)"
            )),
        }
    }
}

/// Daily incidence of an area from the chosen source.
pub async fn incidence(db: &Db, kind: IncidenceKind, area: &Jurisdiction) -> Result<AreaDaily, sqlx::Error> {
    match kind {
        IncidenceKind::Reported => ReportedCounts.daily(db, area).await,
    }
}

/// The pair sources the API can be asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairKind {
    /// A reference data set stored in `si_pairs`.
    Reference(String),
}

/// Pairs from the chosen source.
pub async fn pairs(db: &Db, kind: &PairKind) -> Result<Vec<OnsetPair>, sqlx::Error> {
    match kind {
        PairKind::Reference(name) => ReferencePairs(name.clone()).pairs(db).await,
    }
}
