//! Situation analytics (形势研判): epidemic curves, R_t, serial interval, growth rate and
//! doubling time for any jurisdiction (its subtree) and period, inside the user's scope.
//!
//! The numbers come from the pure kernel `firebreak-epi`; this module reads its inputs from the
//! platform's storage through the data-source boundary of [`source`]:
//!
//! - daily reported counts per jurisdiction (`daily_counts`, migration 0003), imported from CSV
//!   ([`csvin`]);
//! - the investigation desk's case line list (`cases`, migration 0004), counted by onset,
//!   sampling or report date ([`source::LineList`]);
//! - infector → infectee onset pairs: reference data sets (`si_pairs`, Ali et al. 2020) or the
//!   desk's transmission links ([`source::InvestigationLinks`]).
//!
//! Aggregation over a subtree never double-counts: on each date a stored row covers its whole
//! subtree, so the rows of units below a unit that has its own row that day are left out (a
//! city's reported total wins over the sum of its counties' rows). Daily counts are aggregate,
//! not personal, data: reads are not written to the audit log; imports and refusals are.

pub mod cli;
pub mod csvin;
pub mod demo;
pub mod http;
pub mod source;

use crate::audit::{Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::jurisdictions::import::RowError;
use crate::jurisdictions::{self, Jurisdiction};
use crate::{audit_append, db_run};
use chrono::{Days, NaiveDate};
use firebreak_epi::{
    DailyCurve, DateRange, GammaPrior, Incidence, OriginCounts, SerialIntervalOptions, SiSpec, Windows, estimate_r,
    growth_rate, serial_interval,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Default serial interval for COVID-19 (parametric, EpiEstim's offset gamma with these moments):
/// mean 4.7 days, sd 2.9 days — Nishiura, Linton & Akhmetzhanov, "Serial interval of novel
/// coronavirus (COVID-19) infections", Int. J. Infect. Dis. 93:284–286 (2020),
/// doi:10.1016/j.ijid.2020.02.060 (lognormal fit to the 18 most certain infector–infectee pairs).
pub const DEFAULT_SI_MEAN: f64 = 4.7;
/// See [`DEFAULT_SI_MEAN`].
pub const DEFAULT_SI_SD: f64 = 2.9;
/// Where the default serial interval comes from (shown with every R_t answer).
pub const DEFAULT_SI_SOURCE: &str =
    "Nishiura, Linton & Akhmetzhanov, Int. J. Infect. Dis. 93:284-286 (2020), doi:10.1016/j.ijid.2020.02.060";
/// EpiEstim's `cv_posterior` threshold: windows whose posterior coefficient of variation exceeds it
/// have too few cases for a usable estimate (shown greyed as "insufficient data").
pub const CV_THRESHOLD: f64 = 0.3;

/// One day of reported counts for one jurisdiction (new cases, not cumulative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DayCount {
    pub date: NaiveDate,
    /// New confirmed cases (确诊).
    pub confirmed: i64,
    /// New asymptomatic infections (无症状感染者); `None` = not reported.
    pub asymptomatic: Option<i64>,
    /// Of the day's new infections (confirmed + asymptomatic), how many were local; `None` when
    /// the source does not split local and imported (then all count as local).
    pub local: Option<i64>,
    /// … and how many imported (境外/外地输入).
    pub imported: Option<i64>,
}

impl DayCount {
    /// New infections of the day: confirmed + asymptomatic.
    pub fn cases(&self) -> i64 {
        self.confirmed + self.asymptomatic.unwrap_or(0)
    }
    /// (local, imported); all local when the split is unknown.
    pub fn split(&self) -> (i64, i64) {
        match (self.local, self.imported) {
            (Some(l), Some(i)) => (l, i),
            _ => (self.cases(), 0),
        }
    }
}

/// A stored row with its jurisdiction.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StoredCount {
    pub jurisdiction: String,
    pub jurisdiction_name: String,
    #[serde(skip)]
    pub path: String,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub day: DayCount,
    pub source: String,
}

/// Why an analytics call was refused.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("jurisdiction {0} not found")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{} bad rows", .0.len())]
    BadRows(Vec<RowError>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Resolves the jurisdiction a request is about: the user's own scope root when none is named.
/// Unknown codes are [`AnalyticsError::NotFound`]; a unit outside the scope is
/// [`AnalyticsError::Forbidden`] and the attempt is written to the audit log as `denied`.
pub async fn resolve_area(
    db: &Db,
    scope: &jurisdictions::Scope,
    actor: &Actor,
    code: Option<&str>,
) -> Result<Jurisdiction, AnalyticsError> {
    let code = code.map(str::trim).filter(|c| !c.is_empty()).unwrap_or(&scope.code);
    let j = jurisdictions::get(db, code).await?.ok_or_else(|| AnalyticsError::NotFound(code.to_string()))?;
    if !scope.contains(&j) {
        let m = format!("jurisdiction {} ({}) is outside your jurisdiction", j.code, j.name);
        let ev = AuditEvent::new(actor, "denied", "analytics")
            .jurisdiction(&j.code)
            .detail(serde_json::json!({"reason": m}));
        crate::audit::record(db, ev).await?;
        return Err(AnalyticsError::Forbidden(m));
    }
    Ok(j)
}

/// Every stored row inside the subtree of `area`, by date then path.
pub async fn rows_in(db: &Db, area: &Jurisdiction) -> Result<Vec<StoredCount>, sqlx::Error> {
    let like = format!("{}%", crate::db::like_escape(&area.path));
    db_run!(db, p => sqlx::query_as::<_, StoredCount>(
        "SELECT d.jurisdiction_code AS jurisdiction, j.name AS jurisdiction_name, j.path, d.date, \
                d.new_confirmed AS confirmed, d.new_asymptomatic AS asymptomatic, d.new_local AS local, \
                d.new_imported AS imported, d.source \
         FROM daily_counts d JOIN jurisdictions j ON j.code = d.jurisdiction_code \
         WHERE j.path LIKE $1 ESCAPE '\\' ORDER BY d.date, j.path")
        .bind(like).fetch_all(p).await)
}

/// Per date, the rows that are not covered by a row of an ancestor unit on the same date
/// (see the module docs). Returns the kept rows and whether any row was left out.
pub fn non_overlapping(rows: &[StoredCount]) -> (Vec<&StoredCount>, bool) {
    let mut out = Vec::with_capacity(rows.len());
    let mut dropped = false;
    let mut i = 0;
    while i < rows.len() {
        let date = rows[i].day.date;
        let mut j = i;
        while j < rows.len() && rows[j].day.date == date {
            j += 1;
        }
        let paths: HashSet<&str> = rows[i..j].iter().map(|r| r.path.as_str()).collect();
        for r in &rows[i..j] {
            // Proper ancestors' paths are the prefixes of this path ending at a '/'.
            let covered = r.path[..r.path.len().saturating_sub(1)]
                .match_indices('/')
                .any(|(k, _)| k > 0 && paths.contains(&r.path[..=k]));
            if covered {
                dropped = true;
            } else {
                out.push(r);
            }
        }
        i = j;
    }
    (out, dropped)
}

/// Daily local and imported counts over a range of days (0 on days without a row).
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub first: NaiveDate,
    pub local: Vec<u64>,
    pub imported: Vec<u64>,
    /// Some row in the range gave a local/imported split.
    pub split_known: bool,
}

impl Series {
    /// Sums rows into a series over `range` (rows outside are ignored).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a DayCount>, range: DateRange) -> Series {
        let n = range.days();
        let mut s = Series { first: range.first(), local: vec![0; n], imported: vec![0; n], split_known: false };
        for r in rows {
            if !range.contains(r.date) {
                continue;
            }
            let i = usize::try_from((r.date - range.first()).num_days()).unwrap_or(0);
            let (l, m) = r.split();
            s.local[i] += u64::try_from(l).unwrap_or(0);
            s.imported[i] += u64::try_from(m).unwrap_or(0);
            s.split_known |= r.local.is_some();
        }
        s
    }
    pub fn len(&self) -> usize {
        self.local.len()
    }
    pub fn is_empty(&self) -> bool {
        self.local.is_empty()
    }
    pub fn date(&self, i: usize) -> NaiveDate {
        self.first + Days::new(i as u64)
    }
    pub fn total(&self) -> Vec<u64> {
        self.local.iter().zip(&self.imported).map(|(a, b)| a + b).collect()
    }
}

/// The period asked for, clipped to what is known: defaults are the first and last stored date.
pub fn period(
    rows: &[&StoredCount],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Option<DateRange>, AnalyticsError> {
    let first = from.or_else(|| rows.first().map(|r| r.day.date));
    let last = to.or_else(|| rows.last().map(|r| r.day.date));
    match (first, last) {
        (Some(a), Some(b)) => DateRange::new(a, b).map(Some).map_err(|e| AnalyticsError::Invalid(e.to_string())),
        _ => Ok(None),
    }
}

// ------------------------------------------------------------------ figures

/// One day of the epidemic curve.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurveDay {
    pub date: NaiveDate,
    pub local: u64,
    pub imported: u64,
    pub total: u64,
}

/// One ISO week of the epidemic curve.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurveWeek {
    /// ISO week, e.g. `2020-W05`.
    pub week: String,
    /// The Monday that starts it.
    pub monday: NaiveDate,
    /// Days of the period inside this week (< 7 at the ends: a partial week is not a fall).
    pub days_covered: u8,
    pub local: u64,
    pub imported: u64,
    pub total: u64,
}

/// Epidemic curve: daily and weekly, local and imported apart.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Curve {
    pub daily: Vec<CurveDay>,
    pub weekly: Vec<CurveWeek>,
    pub total: u64,
    /// Whether the source split local and imported cases (otherwise all count as local).
    pub split_known: bool,
}

/// Daily and ISO-weekly curve of a series (kernel: `DailyCurve::weekly`).
pub fn curve(s: &Series) -> Result<Curve, AnalyticsError> {
    let range = DateRange::new(s.first, s.date(s.len().saturating_sub(1)))
        .map_err(|e| AnalyticsError::Invalid(e.to_string()))?;
    let daily: Vec<CurveDay> = (0..s.len())
        .map(|i| CurveDay {
            date: s.date(i),
            local: s.local[i],
            imported: s.imported[i],
            total: s.local[i] + s.imported[i],
        })
        .collect();
    let mut series = BTreeMap::new();
    series.insert((), OriginCounts { local: s.local.clone(), imported: s.imported.clone() });
    let wk = DailyCurve { range, series, outside_range: 0 }.weekly();
    let counts = wk.series.get(&()).cloned().unwrap_or_default();
    let weekly = wk
        .weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let (l, m) = (counts.local.get(i).copied().unwrap_or(0), counts.imported.get(i).copied().unwrap_or(0));
            CurveWeek {
                week: format!("{}-W{:02}", w.year, w.week),
                monday: w.monday,
                days_covered: wk.days_covered[i],
                local: l,
                imported: m,
                total: l + m,
            }
        })
        .collect();
    Ok(Curve { total: daily.iter().map(|d| d.total).sum(), daily, weekly, split_known: s.split_known })
}

/// R_t of one window, with EpiEstim's columns and dates.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RtRow {
    pub t_start: NaiveDate,
    pub t_end: NaiveDate,
    /// Local cases in the window (the infectees counted).
    pub local_cases: f64,
    pub mean: f64,
    pub sd: f64,
    pub q025: f64,
    pub q05: f64,
    pub q25: f64,
    pub median: f64,
    pub q75: f64,
    pub q95: f64,
    pub q975: f64,
    /// Posterior coefficient of variation (sd/mean).
    pub cv: f64,
    /// `cv > 0.3` (EpiEstim's threshold): too few cases, show greyed as "insufficient data".
    pub insufficient: bool,
}

/// R_t over sliding windows, with its parameters.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RtResult {
    pub si_mean: f64,
    pub si_sd: f64,
    pub si_source: String,
    pub window: usize,
    pub prior_mean: f64,
    pub prior_sd: f64,
    pub cv_threshold: f64,
    /// Windows whose last day lies in the period (EpiEstim leaves out windows ending before the
    /// mean serial interval).
    pub windows: Vec<RtRow>,
}

/// R_t (Cori et al. 2013, as EpiEstim) on `s` (which should start at the first stored day, so
/// that the infectors of the period's first cases are seen), reporting the windows that end in
/// `report`.
pub fn rt(s: &Series, report: DateRange, si_mean: f64, si_sd: f64, window: usize) -> Result<RtResult, AnalyticsError> {
    let bad = |e: firebreak_epi::EpiError| AnalyticsError::Invalid(e.to_string());
    let local: Vec<f64> = s.local.iter().map(|&v| v as f64).collect();
    let imported: Vec<f64> = s.imported.iter().map(|&v| v as f64).collect();
    let inc = Incidence::from_local_imported(&local, &imported).map_err(bad)?;
    let prior = GammaPrior::default();
    let est = estimate_r(
        &inc,
        &SiSpec::ParametricGamma { mean: si_mean, sd: si_sd },
        &Windows::Sliding { width: window },
        prior,
    )
    .map_err(bad)?;
    let windows = est
        .windows
        .iter()
        .filter_map(|w| {
            let p = w.posterior?;
            let (a, b) = (s.date(w.t_start - 1), s.date(w.t_end - 1));
            report.contains(b).then(|| RtRow {
                t_start: a,
                t_end: b,
                local_cases: w.local_cases,
                mean: p.mean,
                sd: p.sd,
                q025: p.q025,
                q05: p.q05,
                q25: p.q25,
                median: p.median,
                q75: p.q75,
                q95: p.q95,
                q975: p.q975,
                cv: p.cv(),
                insufficient: p.cv() > CV_THRESHOLD,
            })
        })
        .collect();
    Ok(RtResult {
        si_mean,
        si_sd,
        si_source: if (si_mean, si_sd) == (DEFAULT_SI_MEAN, DEFAULT_SI_SD) {
            DEFAULT_SI_SOURCE.to_string()
        } else {
            "chosen by the user".to_string()
        },
        window,
        prior_mean: prior.mean,
        prior_sd: prior.sd,
        cv_threshold: CV_THRESHOLD,
        windows,
    })
}

/// Growth rate and doubling time over the last days of the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Growth {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: usize,
    pub cases: u64,
    /// Growth rate per day; `None` when no fit exists (see `note`).
    pub r: Option<f64>,
    pub r_ci_low: Option<f64>,
    pub r_ci_high: Option<f64>,
    /// ln 2 / r in days (negative = halving time).
    pub doubling_time: Option<f64>,
    /// 95 % interval of the doubling time; `None` when the interval of r contains 0.
    pub doubling_time_ci: Option<(f64, f64)>,
    /// Pearson χ²/(n − 2): > 1 means overdispersed counts (the Wald interval is then too narrow).
    pub dispersion: Option<f64>,
    pub note: Option<String>,
}

/// Poisson log-linear growth fit over the last `days` days of `s` (all of it when shorter).
pub fn growth(s: &Series, days: usize) -> Growth {
    let total = s.total();
    let n = days.clamp(2, total.len().max(2)).min(total.len());
    let start = total.len() - n;
    let counts: Vec<f64> = total[start..].iter().map(|&v| v as f64).collect();
    let mut g = Growth {
        from: s.date(start),
        to: s.date(total.len().saturating_sub(1)),
        days: n,
        cases: total[start..].iter().sum(),
        r: None,
        r_ci_low: None,
        r_ci_high: None,
        doubling_time: None,
        doubling_time_ci: None,
        dispersion: None,
        note: None,
    };
    match growth_rate(&counts) {
        Ok(f) => {
            g.r = Some(f.r);
            g.r_ci_low = Some(f.r_ci_low);
            g.r_ci_high = Some(f.r_ci_high);
            g.doubling_time = f.doubling_time.is_finite().then_some(f.doubling_time);
            g.doubling_time_ci = f.doubling_time_ci;
            g.dispersion = f.dispersion.is_finite().then_some(f.dispersion);
        }
        Err(e) => g.note = Some(e.to_string()),
    }
    g
}

/// Serial interval of stored pairs: summary and histogram.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SerialInterval {
    pub dataset: String,
    pub source: String,
    /// The period of the infector's onset, when one was given.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub n: usize,
    /// Pairs in the period with an unknown onset (left out).
    pub unknown: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// 95 % bootstrap interval of the mean (10,000 replicates, fixed seed).
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// (interval in days, number of pairs), every day from the shortest to the longest.
    pub histogram: Vec<(i64, u64)>,
    pub note: Option<String>,
}

/// Summary (kernel `serial_interval`) and histogram of pairs, optionally by infector onset period.
pub fn serial(
    pairs: &[firebreak_epi::OnsetPair],
    period: Option<DateRange>,
) -> (Option<firebreak_epi::SerialIntervalSummary>, Vec<(i64, u64)>, Option<String>) {
    let opts = SerialIntervalOptions { period, ..SerialIntervalOptions::default() };
    let mut hist: BTreeMap<i64, u64> = BTreeMap::new();
    for p in pairs {
        if let Some(r) = period
            && !p.infector_onset.is_some_and(|d| r.contains(d))
        {
            continue;
        }
        if let Some(v) = p.interval_days() {
            *hist.entry(v).or_default() += 1;
        }
    }
    let histogram = match (hist.keys().next(), hist.keys().next_back()) {
        (Some(&a), Some(&b)) => (a..=b).map(|k| (k, hist.get(&k).copied().unwrap_or(0))).collect(),
        _ => vec![],
    };
    match serial_interval(pairs, &opts) {
        Ok(s) => (Some(s), histogram, None),
        Err(e) => (None, histogram, Some(e.to_string())),
    }
}

// ------------------------------------------------------------------ storage: imports

/// What an import of daily counts did.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct CountsImport {
    pub jurisdiction: String,
    pub rows: usize,
    /// Rows that replaced a stored row of the same jurisdiction and date.
    pub replaced: usize,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    /// Sum of new confirmed cases imported.
    pub confirmed: i64,
    pub skipped: Vec<String>,
    pub notes: Vec<String>,
    pub dry_run: bool,
}

/// Stores parsed daily counts for `area` in one transaction (a row for the same jurisdiction and
/// date is replaced), with one audit entry. Bad rows refuse the whole import unless
/// `skip_bad_rows`; then they are listed in the report.
pub async fn import_counts(
    db: &Db,
    actor: &Actor,
    area: &Jurisdiction,
    parsed: csvin::ParsedCounts,
    source: &str,
    skip_bad_rows: bool,
    dry_run: bool,
) -> Result<CountsImport, AnalyticsError> {
    if !parsed.errors.is_empty() && !skip_bad_rows {
        return Err(AnalyticsError::BadRows(parsed.errors));
    }
    let source = source.trim();
    if source.is_empty() || source.chars().count() > 200 {
        return Err(AnalyticsError::Invalid("source: say where the numbers come from (1 to 200 characters)".into()));
    }
    let mut report = CountsImport {
        jurisdiction: area.code.clone(),
        rows: parsed.rows.len(),
        first: parsed.rows.first().map(|r| r.date),
        last: parsed.rows.last().map(|r| r.date),
        confirmed: parsed.rows.iter().map(|r| r.confirmed).sum(),
        skipped: parsed.errors.iter().map(ToString::to_string).collect(),
        notes: parsed.notes.clone(),
        dry_run,
        ..Default::default()
    };
    if dry_run {
        return Ok(report);
    }
    let now = crate::db::now();
    let replaced: usize = db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        let mut replaced = 0usize;
        for r in &parsed.rows {
            let existed: Option<i64> = sqlx::query_scalar(
                "SELECT new_confirmed FROM daily_counts WHERE jurisdiction_code = $1 AND date = $2")
                .bind(&area.code).bind(r.date).fetch_optional(&mut *tx).await?;
            replaced += usize::from(existed.is_some());
            sqlx::query(
                "INSERT INTO daily_counts (jurisdiction_code, date, new_confirmed, new_asymptomatic, new_imported, new_local, source, imported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (jurisdiction_code, date) DO UPDATE SET new_confirmed = excluded.new_confirmed, \
                 new_asymptomatic = excluded.new_asymptomatic, new_imported = excluded.new_imported, \
                 new_local = excluded.new_local, source = excluded.source, imported_at = excluded.imported_at")
                .bind(&area.code).bind(r.date).bind(r.confirmed).bind(r.asymptomatic).bind(r.imported).bind(r.local)
                .bind(source).bind(now).execute(&mut *tx).await?;
        }
        let ev = AuditEvent::new(actor, "import", "daily_counts").jurisdiction(&area.code).detail(serde_json::json!({
            "rows": parsed.rows.len(), "replaced": replaced, "skipped": parsed.errors.len(), "source": source,
            "first": report.first, "last": report.last, "confirmed": report.confirmed,
        }));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(replaced)
    }.await)?;
    report.replaced = replaced;
    Ok(report)
}

/// Stores reference serial-interval pairs under a data-set name, replacing that data set.
pub async fn import_pairs(
    db: &Db,
    actor: &Actor,
    dataset: &str,
    rows: &[csvin::PairRow],
) -> Result<usize, sqlx::Error> {
    db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        sqlx::query("DELETE FROM si_pairs WHERE dataset = $1").bind(dataset).execute(&mut *tx).await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO si_pairs (dataset, line, infector_id, infectee_id, infector_onset, infectee_onset, household) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(dataset).bind(i64::try_from(r.line).unwrap_or(i64::MAX)).bind(&r.infector_id).bind(&r.infectee_id)
                .bind(r.onsets.infector_onset).bind(r.onsets.infectee_onset).bind(r.household)
                .execute(&mut *tx).await?;
        }
        let ev = AuditEvent::new(actor, "import", "si_pairs").id(dataset).detail(serde_json::json!({"rows": rows.len()}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(rows.len())
    }.await)
}

/// Reference data sets known to the platform: (name, citation).
pub const REFERENCE_DATASETS: &[(&str, &str)] = &[(
    "ali2020",
    "Ali et al., Science 369:1106-1109 (2020), Table S1: 1,407 transmission pairs from 163 Chinese cities (MIT, github.com/PDGLin/COVID19_EffSerialInterval_NPI)",
)];
