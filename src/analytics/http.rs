//! Situation analytics: API (`/api/v1/analytics/…`, JSON or CSV) and the analytics page.
//! Every figure is for one jurisdiction's subtree, inside the user's scope (outside: 403, audited).

use super::source::{self, IncidenceKind, PairKind};
use super::{AnalyticsError, Series, csvin};
use crate::auth::session::CurrentUser;
use crate::domain::DomainError;
use crate::jurisdictions::Jurisdiction;
use crate::web::error::{ApiError, FieldError};
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use firebreak_epi::DateRange;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_curve))
        .routes(routes!(api_rt))
        .routes(routes!(api_growth))
        .routes(routes!(api_serial_interval))
        .routes(routes!(api_counts_list, api_counts_import))
}

pub fn pages() -> Router<AppState> {
    Router::new().route("/analytics", get(page))
}

impl From<AnalyticsError> for ApiError {
    fn from(e: AnalyticsError) -> Self {
        match e {
            AnalyticsError::NotFound(c) => ApiError::not_found(&format!("jurisdiction {c}")),
            AnalyticsError::Forbidden(m) => ApiError::forbidden(m),
            AnalyticsError::Invalid(m) => ApiError::invalid(vec![DomainError::new("query", m)]),
            AnalyticsError::BadRows(rows) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: format!(
                    "{} bad rows, nothing imported: {}",
                    rows.len(),
                    rows.iter().take(20).map(ToString::to_string).collect::<Vec<_>>().join("; ")
                ),
                errors: rows.iter().map(|r| FieldError { field: r.column.clone(), message: r.to_string() }).collect(),
                retry_after: None,
            },
            AnalyticsError::Db(e) => ApiError::internal(e),
        }
    }
}

/// Which area, period and parameters a figure is for.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct FigureQuery {
    /// Jurisdiction code (its whole subtree); default: the user's own jurisdiction.
    pub jurisdiction: Option<String>,
    /// First day (YYYY-MM-DD); default: the first stored day.
    pub from: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD); default: the last stored day.
    pub to: Option<NaiveDate>,
    /// Incidence source: `reported` (daily reported counts, default) or `line_list` (the
    /// investigation desk's confirmed and asymptomatic cases reported inside the area).
    pub source: Option<String>,
    /// Line list: the date a case is counted on: `onset` (default; falls back to sampling, then
    /// report date), `sampling` (falls back to report date) or `report`.
    pub basis: Option<String>,
    /// R_t: mean serial interval, days (default 4.7, Nishiura et al. 2020).
    pub si_mean: Option<f64>,
    /// R_t: serial-interval standard deviation, days (default 2.9).
    pub si_sd: Option<f64>,
    /// R_t: sliding-window width, days (default 7).
    pub window: Option<usize>,
    /// Growth: days at the end of the period to fit (default 14).
    pub days: Option<usize>,
    /// `json` (default) or `csv`; the curve also has `csv_weekly`.
    pub format: Option<String>,
}

/// What every figure answer says about its data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FigureMeta {
    pub jurisdiction: String,
    pub jurisdiction_name: String,
    /// The period shown (absent when the area has no data).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub source: String,
    /// Where the stored rows come from.
    pub data_sources: Vec<String>,
    pub notes: Vec<String>,
}

struct Loaded {
    area: Jurisdiction,
    rows: Vec<super::DayCount>,
    period: Option<DateRange>,
    meta: FigureMeta,
}

async fn load(st: &AppState, user: &CurrentUser, q: &FigureQuery) -> Result<Loaded, ApiError> {
    if !user.role.can_read_analytics() {
        return Err(ApiError::forbidden("your role may not read the analytics"));
    }
    let kind = IncidenceKind::parse(q.source.as_deref(), q.basis.as_deref())
        .map_err(|(field, m)| ApiError::invalid(vec![DomainError::new(field, m)]))?;
    let area = super::resolve_area(&st.db, &user.scope, &user.actor(), q.jurisdiction.as_deref()).await?;
    let daily = source::incidence(&st.db, kind, &area).await?;
    let first = daily.rows.first().map(|r| r.date);
    let last = daily.rows.last().map(|r| r.date);
    let period = match (q.from.or(first), q.to.or(last)) {
        (Some(a), Some(b)) => {
            Some(DateRange::new(a, b).map_err(|e| ApiError::invalid(vec![DomainError::new("from", e.to_string())]))?)
        }
        _ => None,
    };
    let mut notes = daily.notes;
    if daily.dropped_nested {
        notes.push(
            "rows of lower units were left out on dates where a higher unit reported its own total (no double counting)"
                .to_string(),
        );
    }
    if daily.rows.is_empty() {
        let what = match kind {
            IncidenceKind::Reported => "no daily counts are stored",
            IncidenceKind::LineList(_) => "no confirmed or asymptomatic case with a date is reported",
        };
        notes.push(format!("{what} for {} ({}) or any unit inside it", area.name, area.code));
    }
    let meta = FigureMeta {
        jurisdiction: area.code.clone(),
        jurisdiction_name: area.name.clone(),
        from: period.map(|p| p.first()),
        to: period.map(|p| p.last()),
        source: kind.label(),
        data_sources: daily.sources,
        notes,
    };
    Ok(Loaded { area, rows: daily.rows, period, meta })
}

fn csv_response(name: &str, area: &Jurisdiction, rows: Vec<Vec<String>>) -> Result<Response, ApiError> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    for r in rows {
        w.write_record(r).map_err(ApiError::internal)?;
    }
    let bytes = w.into_inner().map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}-{}.csv\"", area.code)),
        ],
        bytes,
    )
        .into_response())
}

fn f(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "NA".into() }
}
fn of(v: Option<f64>) -> String {
    v.map_or_else(|| "NA".into(), f)
}

fn check_format(q: &FigureQuery, allowed: &[&str]) -> Result<String, ApiError> {
    let fmt = q.format.clone().unwrap_or_else(|| "json".into());
    if fmt == "json" || allowed.contains(&fmt.as_str()) {
        Ok(fmt)
    } else {
        Err(ApiError::invalid(vec![DomainError::new("format", format!("\"{fmt}\": json or {}", allowed.join(" or ")))]))
    }
}

/// The epidemic curve.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CurveAnswer {
    #[serde(flatten)]
    pub meta: FigureMeta,
    pub curve: Option<super::Curve>,
}

/// Epidemic curve (daily and ISO-weekly, local and imported apart) of a jurisdiction's subtree.
#[utoipa::path(get, path = "/analytics/curve", tag = "analytics", params(FigureQuery),
    responses((status = 200, body = CurveAnswer, description = "JSON, or CSV with format=csv (daily) / csv_weekly"),
        (status = 403), (status = 404), (status = 422)))]
async fn api_curve(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<FigureQuery>,
) -> Result<Response, ApiError> {
    let fmt = check_format(&q, &["csv", "csv_weekly"])?;
    let l = load(&st, &user, &q).await?;
    let curve = match l.period {
        Some(p) => Some(super::curve(&Series::from_rows(l.rows.iter(), p))?),
        None => None,
    };
    match fmt.as_str() {
        "csv" => {
            let mut rows = vec![vec!["date".into(), "local".into(), "imported".into(), "total".into()]];
            for d in curve.iter().flat_map(|c| &c.daily) {
                rows.push(vec![d.date.to_string(), d.local.to_string(), d.imported.to_string(), d.total.to_string()]);
            }
            csv_response("epicurve-daily", &l.area, rows)
        }
        "csv_weekly" => {
            let mut rows =
                vec![["week", "monday", "days_covered", "local", "imported", "total"].map(String::from).to_vec()];
            for w in curve.iter().flat_map(|c| &c.weekly) {
                rows.push(vec![
                    w.week.clone(),
                    w.monday.to_string(),
                    w.days_covered.to_string(),
                    w.local.to_string(),
                    w.imported.to_string(),
                    w.total.to_string(),
                ]);
            }
            csv_response("epicurve-weekly", &l.area, rows)
        }
        _ => Ok(Json(CurveAnswer { meta: l.meta, curve }).into_response()),
    }
}

/// R_t.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RtAnswer {
    #[serde(flatten)]
    pub meta: FigureMeta,
    pub rt: Option<super::RtResult>,
}

/// R_t by Cori et al. (2013) as EpiEstim: sliding windows, parametric serial interval (offset gamma),
/// prior Gamma(mean 5, sd 5), imported cases infect but are not infectees. Computed from the first
/// stored day; the windows ending inside the period are returned.
#[utoipa::path(get, path = "/analytics/rt", tag = "analytics", params(FigureQuery),
    responses((status = 200, body = RtAnswer, description = "JSON, or CSV with format=csv"),
        (status = 403), (status = 404), (status = 422)))]
async fn api_rt(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<FigureQuery>,
) -> Result<Response, ApiError> {
    let fmt = check_format(&q, &["csv"])?;
    let mut l = load(&st, &user, &q).await?;
    let si_mean = q.si_mean.unwrap_or(super::DEFAULT_SI_MEAN);
    let si_sd = q.si_sd.unwrap_or(super::DEFAULT_SI_SD);
    let window = q.window.unwrap_or(7);
    if !(1..=60).contains(&window) {
        return Err(ApiError::invalid(vec![DomainError::new("window", format!("{window}: 1 to 60 days"))]));
    }
    let rt = match (l.period, l.rows.first()) {
        (Some(p), Some(first)) => {
            let start = first.date.min(p.first());
            let full = DateRange::new(start, p.last())
                .map_err(|e| ApiError::invalid(vec![DomainError::new("to", e.to_string())]))?;
            let s = Series::from_rows(l.rows.iter(), full);
            match super::rt(&s, p, si_mean, si_sd, window) {
                Ok(r) => Some(r),
                Err(AnalyticsError::Invalid(m)) if m.contains("at least") => {
                    l.meta.notes.push(format!("R_t: {m}"));
                    None
                }
                Err(e) => return Err(e.into()),
            }
        }
        _ => None,
    };
    if fmt == "csv" {
        let mut rows = vec![
            [
                "t_start",
                "t_end",
                "local_cases",
                "mean",
                "sd",
                "q025",
                "q05",
                "q25",
                "median",
                "q75",
                "q95",
                "q975",
                "cv",
                "insufficient",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for w in rt.iter().flat_map(|r| &r.windows) {
            rows.push(vec![
                w.t_start.to_string(),
                w.t_end.to_string(),
                f(w.local_cases),
                f(w.mean),
                f(w.sd),
                f(w.q025),
                f(w.q05),
                f(w.q25),
                f(w.median),
                f(w.q75),
                f(w.q95),
                f(w.q975),
                f(w.cv),
                w.insufficient.to_string(),
            ]);
        }
        return csv_response("rt", &l.area, rows);
    }
    Ok(Json(RtAnswer { meta: l.meta, rt }).into_response())
}

/// Growth rate and doubling time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GrowthAnswer {
    #[serde(flatten)]
    pub meta: FigureMeta,
    pub growth: Option<super::Growth>,
}

/// Growth rate and doubling time (Poisson log-linear fit, 95 % Wald interval) over the last `days`
/// days of the period (default 14).
#[utoipa::path(get, path = "/analytics/growth", tag = "analytics", params(FigureQuery),
    responses((status = 200, body = GrowthAnswer, description = "JSON, or CSV with format=csv"),
        (status = 403), (status = 404), (status = 422)))]
async fn api_growth(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<FigureQuery>,
) -> Result<Response, ApiError> {
    let fmt = check_format(&q, &["csv"])?;
    let l = load(&st, &user, &q).await?;
    let days = q.days.unwrap_or(14);
    if !(2..=366).contains(&days) {
        return Err(ApiError::invalid(vec![DomainError::new("days", format!("{days}: 2 to 366"))]));
    }
    let growth = l.period.map(|p| super::growth(&Series::from_rows(l.rows.iter(), p), days));
    if fmt == "csv" {
        let mut rows = vec![
            [
                "from",
                "to",
                "days",
                "cases",
                "r",
                "r_ci_low",
                "r_ci_high",
                "doubling_time",
                "doubling_time_ci_low",
                "doubling_time_ci_high",
                "dispersion",
                "note",
            ]
            .map(String::from)
            .to_vec(),
        ];
        if let Some(g) = &growth {
            rows.push(vec![
                g.from.to_string(),
                g.to.to_string(),
                g.days.to_string(),
                g.cases.to_string(),
                of(g.r),
                of(g.r_ci_low),
                of(g.r_ci_high),
                of(g.doubling_time),
                of(g.doubling_time_ci.map(|c| c.0)),
                of(g.doubling_time_ci.map(|c| c.1)),
                of(g.dispersion),
                g.note.clone().unwrap_or_default(),
            ]);
        }
        return csv_response("growth", &l.area, rows);
    }
    Ok(Json(GrowthAnswer { meta: l.meta, growth }).into_response())
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct SiQuery {
    /// `ali2020` (reference data set, default) or `investigation` (the investigation desk's
    /// transmission links whose infectee was reported inside `jurisdiction`).
    pub dataset: Option<String>,
    /// `investigation`: the jurisdiction (its subtree); default: the user's own.
    pub jurisdiction: Option<String>,
    /// Keep pairs whose infector's onset is on or after this day.
    pub from: Option<NaiveDate>,
    /// … and on or before this day.
    pub to: Option<NaiveDate>,
    /// `json` (default), `csv` (histogram) or `csv_summary` (n,mean,sd,ci_low,ci_high).
    pub format: Option<String>,
}

/// Serial interval (mean, sd, 95 % bootstrap interval of the mean, histogram) from stored
/// infector → infectee onset pairs, optionally for infectors with onset in a period (Ali et al. 2020).
#[utoipa::path(get, path = "/analytics/serial-interval", tag = "analytics", params(SiQuery),
    responses((status = 200, body = super::SerialInterval, description = "JSON, or CSV with format=csv / csv_summary"),
        (status = 404), (status = 422)))]
async fn api_serial_interval(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SiQuery>,
) -> Result<Response, ApiError> {
    if !user.role.can_read_analytics() {
        return Err(ApiError::forbidden("your role may not read the analytics"));
    }
    let fmt = q.format.clone().unwrap_or_else(|| "json".into());
    if !["json", "csv", "csv_summary"].contains(&fmt.as_str()) {
        return Err(ApiError::invalid(vec![DomainError::new(
            "format",
            format!("\"{fmt}\": json, csv or csv_summary"),
        )]));
    }
    let dataset = q.dataset.clone().filter(|d| !d.trim().is_empty()).unwrap_or_else(|| "ali2020".into());
    let (kind, citation) = if dataset == "investigation" {
        let area = super::resolve_area(&st.db, &user.scope, &user.actor(), q.jurisdiction.as_deref()).await?;
        let citation = format!(
            "investigation desk: transmission links whose infectee was reported in {} ({}) or a unit inside it",
            area.name, area.code
        );
        (PairKind::Investigation(area), citation)
    } else {
        let citation = super::REFERENCE_DATASETS
            .iter()
            .find(|(n, _)| *n == dataset)
            .map(|(_, c)| (*c).to_string())
            .ok_or_else(|| ApiError::not_found(&format!("serial-interval data set {dataset}")))?;
        (PairKind::Reference(dataset.clone()), citation)
    };
    let period = match (q.from, q.to) {
        (None, None) => None,
        (a, b) => Some(
            DateRange::new(a.unwrap_or(NaiveDate::MIN), b.unwrap_or(NaiveDate::MAX))
                .map_err(|e| ApiError::invalid(vec![DomainError::new("from", e.to_string())]))?,
        ),
    };
    let pseudo_code = match &kind {
        PairKind::Investigation(a) => format!("investigation-{}", a.code),
        PairKind::Reference(_) => dataset.clone(),
    };
    let pairs = source::pairs(&st.db, &kind).await?;
    let (summary, histogram, note) = super::serial(&pairs, period);
    let ans = super::SerialInterval {
        dataset,
        source: citation,
        from: q.from,
        to: q.to,
        n: summary.map_or(0, |s| s.n),
        unknown: summary.map_or(0, |s| s.unknown),
        mean: summary.map(|s| s.mean),
        sd: summary.map(|s| s.sd),
        ci_low: summary.map(|s| s.ci_low),
        ci_high: summary.map(|s| s.ci_high),
        histogram,
        note: if pairs.is_empty() { Some("no pairs stored for this data set".into()) } else { note },
    };
    let pseudo = Jurisdiction {
        code: pseudo_code,
        name: String::new(),
        level: String::new(),
        parent_code: None,
        path: String::new(),
        stat_code: String::new(),
        tz: String::new(),
    };
    match fmt.as_str() {
        "csv" => {
            let mut rows = vec![vec!["interval_days".to_string(), "pairs".to_string()]];
            rows.extend(ans.histogram.iter().map(|(d, n)| vec![d.to_string(), n.to_string()]));
            csv_response("serial-interval-histogram", &pseudo, rows)
        }
        "csv_summary" => csv_response(
            "serial-interval",
            &pseudo,
            vec![
                ["n", "mean", "sd", "ci_low", "ci_high"].map(String::from).to_vec(),
                vec![ans.n.to_string(), of(ans.mean), of(ans.sd), of(ans.ci_low), of(ans.ci_high)],
            ],
        ),
        _ => Ok(Json(ans).into_response()),
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct CountsQuery {
    /// Jurisdiction code (its subtree); default: the user's own.
    pub jurisdiction: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// Stored daily counts inside a jurisdiction's subtree (every stored row, by date).
#[utoipa::path(get, path = "/analytics/daily-counts", tag = "analytics", params(CountsQuery),
    responses((status = 200, body = Vec<super::StoredCount>), (status = 403), (status = 404)))]
async fn api_counts_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CountsQuery>,
) -> Result<Response, ApiError> {
    if !user.role.can_read_analytics() {
        return Err(ApiError::forbidden("your role may not read the analytics"));
    }
    let area = super::resolve_area(&st.db, &user.scope, &user.actor(), q.jurisdiction.as_deref()).await?;
    let rows = super::rows_in(&st.db, &area).await?;
    if q.format.as_deref() == Some("csv") {
        let mut out = vec![
            ["jurisdiction", "name", "date", "confirmed", "asymptomatic", "local", "imported", "source"]
                .map(String::from)
                .to_vec(),
        ];
        let o = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        for r in &rows {
            out.push(vec![
                r.jurisdiction.clone(),
                r.jurisdiction_name.clone(),
                r.day.date.to_string(),
                r.day.confirmed.to_string(),
                o(r.day.asymptomatic),
                o(r.day.local),
                o(r.day.imported),
                r.source.clone(),
            ]);
        }
        return csv_response("daily-counts", &area, out);
    }
    Ok(Json(rows).into_response())
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// The jurisdiction the counts are for (inside your scope).
    pub jurisdiction: String,
    /// `daily` (new cases per day) or `china_city_daily` (cumulative confirmed, turned into daily).
    pub layout: Option<String>,
    /// china_city_daily: the `cityCode` of the rows to take (default: the jurisdiction code).
    pub city_code: Option<String>,
    /// Where the numbers come from (stored with every row).
    pub source: String,
    /// Import the good rows and list the bad ones instead of refusing the file.
    #[serde(default)]
    pub skip_bad_rows: bool,
    /// Check everything, write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Import daily counts from a CSV body (`text/csv`). All rows or none unless `skip_bad_rows`; a
/// row for a jurisdiction and date already stored is replaced. Bad rows answer 422 naming line and column.
#[utoipa::path(post, path = "/analytics/daily-counts", tag = "analytics", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = super::CountsImport), (status = 403), (status = 404), (status = 422)))]
async fn api_counts_import(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ImportQuery>,
    body: String,
) -> Result<Json<super::CountsImport>, ApiError> {
    if !user.role.can_import_counts() {
        let ev = crate::audit::AuditEvent::new(&user.actor(), "denied", "daily_counts")
            .detail(serde_json::json!({"op": "import", "reason": "role", "role": user.role.as_str()}));
        crate::audit::record(&st.db, ev).await?;
        return Err(ApiError::forbidden("your role may not import daily counts"));
    }
    let layout: csvin::Layout = q
        .layout
        .as_deref()
        .unwrap_or("daily")
        .parse()
        .map_err(|m: String| ApiError::invalid(vec![DomainError::new("layout", m)]))?;
    let area = super::resolve_area(&st.db, &user.scope, &user.actor(), Some(&q.jurisdiction)).await?;
    let city = q.city_code.clone().unwrap_or_else(|| area.code.clone());
    let parsed = csvin::parse_daily_counts("body", &body, layout, Some(&city))
        .map_err(|e| ApiError::invalid(vec![DomainError::new("body", format!("{e:#}"))]))?;
    let r = super::import_counts(&st.db, &user.actor(), &area, parsed, &q.source, q.skip_bad_rows, q.dry_run).await?;
    Ok(Json(r))
}

// ---------------------------------------------------------------- page

#[derive(Template)]
#[template(path = "analytics/page.html")]
struct Page {
    page: PageCtx,
    q: PageQuery,
    jname: String,
    api_query: String,
    si_query: String,
    hidden: Vec<(&'static str, String)>,
    labels: String,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct PageQuery {
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    si_mean: String,
    #[serde(default)]
    si_sd: String,
    #[serde(default)]
    window: String,
    /// `reported` or `line_list`; empty: the line list when the area has cases, else reported.
    #[serde(default)]
    source: String,
    #[serde(default)]
    basis: String,
    /// Serial interval: `investigation` or `ali2020`; empty: as the source.
    #[serde(default)]
    dataset: String,
    #[serde(default)]
    si_from: String,
    #[serde(default)]
    si_to: String,
}

fn page_labels(page: &PageCtx) -> String {
    let keys = [
        "an_local",
        "an_imported",
        "an_total",
        "an_rt_mean",
        "an_rt_band",
        "an_insufficient",
        "an_r_one",
        "an_pairs",
        "an_days",
        "an_doubling",
        "an_halving",
        "an_no_fit",
        "an_no_data",
        "an_daily",
        "an_weekly",
        "an_si_mean",
        "an_latest_rt",
        "an_cases",
        "an_growth_rate",
        "an_per_day",
        "an_unbounded",
        "an_window_end",
        "an_fit_window",
        "an_dispersion",
    ];
    let m: serde_json::Map<String, serde_json::Value> =
        keys.iter().map(|k| ((*k).to_string(), serde_json::Value::from(page.t(k)))).collect();
    serde_json::Value::Object(m).to_string()
}

async fn page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "analytics", Some(&user), &st.cfg);
    let mut q = q;
    let code = Some(q.jurisdiction.trim().to_string()).filter(|c| !c.is_empty());
    let (jname, error, status) = match super::resolve_area(&st.db, &user.scope, &user.actor(), code.as_deref()).await {
        Ok(j) => {
            // Default source: the platform's own cases when the area has any.
            if q.source.trim().is_empty() {
                let has = source::area_has_cases(&st.db, &j).await.map_err(ApiError::internal)?;
                q.source = if has { "line_list" } else { "reported" }.into();
            }
            if q.dataset.trim().is_empty() {
                q.dataset = if q.source == "line_list" { "investigation" } else { "ali2020" }.into();
            }
            (j.name, None, StatusCode::OK)
        }
        Err(AnalyticsError::Db(e)) => return Err(ApiError::internal(e)),
        Err(e @ AnalyticsError::NotFound(_)) => (String::new(), Some(e.to_string()), StatusCode::NOT_FOUND),
        Err(e) => (String::new(), Some(e.to_string()), StatusCode::FORBIDDEN),
    };
    let mut api: Vec<(&'static str, String)> = vec![];
    for (k, v) in [
        ("jurisdiction", &q.jurisdiction),
        ("from", &q.from),
        ("to", &q.to),
        ("si_mean", &q.si_mean),
        ("si_sd", &q.si_sd),
        ("window", &q.window),
        ("source", &q.source),
        ("basis", &q.basis),
    ] {
        if !v.trim().is_empty() {
            api.push((k, v.trim().to_string()));
        }
    }
    let mut si = vec![];
    if q.dataset == "investigation" && !q.jurisdiction.trim().is_empty() {
        si.push(("jurisdiction", q.jurisdiction.trim().to_string()));
    }
    for (k, v) in [("dataset", &q.dataset), ("from", &q.si_from), ("to", &q.si_to)] {
        if !v.trim().is_empty() {
            si.push((k, v.trim().to_string()));
        }
    }
    let labels = page_labels(&page);
    let mut r = render(&Page {
        api_query: serde_urlencoded::to_string(&api).unwrap_or_default(),
        si_query: serde_urlencoded::to_string(&si).unwrap_or_default(),
        hidden: api.clone(),
        labels,
        jname,
        error,
        page,
        q,
    });
    *r.status_mut() = status;
    Ok(r)
}
