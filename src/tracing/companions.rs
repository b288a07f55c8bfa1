//! Spatiotemporal companions (时空伴随者) of a case, on the investigation desk.
//!
//! The case's person is linked to one or more person keys of the location trace store
//! (`trace_identities`: a key names one registered person). "Find companions" runs the exact
//! companion search of [`crate::traces::search`] over the case's keys, by default over the
//! case's close-contact window from the policy profile in force (2 days before onset, or before
//! sampling for an asymptomatic case, until isolation: see [`super::policy::close_window`]),
//! and lists the candidates ranked by co-presence, then encounters, then distance. The
//! investigator confirms some: each becomes a registered person (matched through
//! `trace_identities`, or registered with `id_type = source_record`, `id_number =
//! trace:<key>`), an exposure of kind `companion` with the case's person over the days of the
//! encounters (protection `unknown`), and a row of `companion_confirmations` keeping the match
//! evidence as the engine computed it at confirmation (the evidence is never taken from the
//! browser). The case's contacts are then recomputed by the policy profile, so each confirmed
//! companion appears as a close contact with the rule that made it.
//!
//! Security: searching needs [`crate::auth::Role::can_search_traces`], confirming and linking
//! keys [`crate::auth::Role::can_investigate`]; the case is read through the scoped
//! [`super::get`] (404 outside the user's jurisdiction); a companion already registered
//! outside the user's jurisdiction is shown without name and cannot be confirmed here (403,
//! recorded). Every candidate list read and every confirmation is audited.

use super::CaseRow;
use super::policy::{self, CloseWindow};
use crate::audit::{self, Actor, AuditEvent};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::db::{BeginWrite, Db, is_unique_violation};
use crate::domain::{DomainError, mask_id_number};
use crate::jurisdictions::Scope;
use crate::people::StoreError;
use crate::traces::Companion;
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use crate::{audit_append, db_run};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Default distance, metres (the 2022 practice: within 50 m, see issue 5).
pub const DEFAULT_RADIUS_M: f64 = 50.0;
/// Default time window, seconds (5 minutes).
pub const DEFAULT_WINDOW_S: i64 = 300;
/// Longest time range of one search, days (bounds the partitions read).
pub const MAX_RANGE_DAYS: i64 = 31;
/// Most candidates listed (the total is always given).
pub const MAX_CANDIDATES: usize = 500;
/// Most companions confirmed in one request.
pub const MAX_CONFIRM: usize = 200;

fn invalid(field: &'static str, m: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![DomainError::new(field, m)])
}

// ------------------------------------------------------------------------------ trace keys

/// A trace store key linked to a person.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TraceIdentity {
    pub trace_key: String,
    pub person_id: i64,
    /// `manual`, `companion` or `demo`.
    pub origin: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// Checks a trace key: 1–100 characters, no control characters, no surrounding spaces.
pub fn check_key(key: &str) -> Result<&str, StoreError> {
    let k = key.trim();
    if k.is_empty() || k.chars().count() > 100 || k.chars().any(char::is_control) {
        return Err(invalid("trace_key", format!("\"{}\": 1 to 100 printable characters", k.escape_debug())));
    }
    Ok(k)
}

/// The source-record number of a person registered from a trace key: `trace:<key>` when the key
/// fits the source-record alphabet and length (see [`crate::domain::IdDocument::parse`]), else
/// `trace:h<first 128 bits of SHA-256 of the key, hex>`.
pub fn source_record_number(key: &str) -> String {
    use sha2::Digest;
    let plain = key.chars().count() <= 74
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '#'));
    if plain {
        format!("trace:{key}")
    } else {
        format!("trace:h{}", &hex::encode(sha2::Sha256::digest(key.as_bytes()))[..32])
    }
}

/// The trace keys of a person (no audit: keys are pseudonymous and the person read is audited by
/// the caller).
pub async fn keys_of(db: &Db, person_id: i64) -> Result<Vec<TraceIdentity>, sqlx::Error> {
    db_run!(db, pool => sqlx::query_as::<_, TraceIdentity>(
        "SELECT trace_key, person_id, origin, created_by, created_at FROM trace_identities WHERE person_id = $1 ORDER BY trace_key")
        .bind(person_id).fetch_all(pool).await)
}

/// Links `key` to person `person_id` (inside `scope`, else 404). A key already linked to
/// someone is a conflict (the answer does not say to whom). `origin`: `manual` or `demo`.
pub async fn link_key(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    person_id: i64,
    key: &str,
    origin: &'static str,
) -> Result<(), StoreError> {
    let key = check_key(key)?;
    let p = crate::people::get(db, scope, actor, person_id).await?;
    let now = crate::db::now();
    let r: Result<(), sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        sqlx::query("INSERT INTO trace_identities (trace_key, person_id, origin, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(key).bind(p.id).bind(origin).bind(&actor.username).bind(now).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "trace_identity").id(p.id).jurisdiction(&p.jurisdiction_code)
            .detail(serde_json::json!({"trace_key": key, "origin": origin}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await);
    match r {
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict {
            field: "trace_key",
            message: format!("\"{key}\" is already linked to a person"),
        }),
        r => Ok(r?),
    }
}

// ------------------------------------------------------------------------------ parameters

/// Search parameters (API body; the page's form sends the same names with minutes).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SearchParams {
    /// Distance, metres (default 50): haversine distance ≤ radius.
    pub radius_m: Option<f64>,
    /// Time window, seconds (default 300): |t1 − t2| ≤ window.
    pub window_s: Option<i64>,
    /// Start of the range: RFC 3339, or a local `YYYY-MM-DD[THH:MM]` (display time zone).
    /// Default: the first day of the case's close-contact window.
    pub from: Option<String>,
    /// End of the range (exclusive), same forms; a date means the end of that day. Default: the
    /// end of the isolation day (or of the report day when isolation is not recorded).
    pub to: Option<String>,
    /// Minimum co-presence of a companion, seconds (default 0).
    pub min_copresence_s: Option<i64>,
}

/// Parameters with the defaults filled in, as searched.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resolved {
    pub radius_m: f64,
    pub window_s: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub min_copresence_s: i64,
    /// How the range was chosen when it was not given (names the rule and the dates).
    pub range_note: String,
}

fn local_midnight(d: NaiveDate, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0).and_then(|t| tz.from_local_datetime(&t).earliest()).map(|t| t.with_timezone(&Utc))
}

/// Parses a bound: RFC 3339, or a local date / date-time in `tz`. A date alone is the start of
/// that day, or its end when `end_of_day`.
pub fn parse_time(
    field: &'static str,
    s: &str,
    tz: chrono_tz::Tz,
    end_of_day: bool,
) -> Result<DateTime<Utc>, StoreError> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = || invalid(field, format!("\"{s}\" is not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339)"));
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let d = if end_of_day { d.succ_opt().ok_or_else(bad)? } else { d };
        return local_midnight(d, tz).ok_or_else(bad);
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return tz.from_local_datetime(&t).earliest().map(|t| t.with_timezone(&Utc)).ok_or_else(bad);
        }
    }
    Err(bad())
}

/// Fills in the defaults: radius 50 m, window 5 min, and the case's close-contact window.
pub fn resolve(
    case: &CaseRow,
    w: Option<&CloseWindow>,
    p: &SearchParams,
    tz: chrono_tz::Tz,
) -> Result<Resolved, StoreError> {
    let mut errs = Vec::new();
    let radius_m = p.radius_m.unwrap_or(DEFAULT_RADIUS_M);
    if !(radius_m.is_finite() && radius_m > 0.0 && radius_m <= 10_000.0) {
        errs.push(DomainError::new("radius_m", format!("{radius_m}: a distance in metres, 0 < d ≤ 10,000")));
    }
    let window_s = p.window_s.unwrap_or(DEFAULT_WINDOW_S);
    if !(0..=86_399).contains(&window_s) {
        errs.push(DomainError::new("window_s", format!("{window_s}: seconds, 0 ≤ Δt < 86,400")));
    }
    let min_copresence_s = p.min_copresence_s.unwrap_or(0);
    if !(0..=86_400 * MAX_RANGE_DAYS).contains(&min_copresence_s) {
        errs.push(DomainError::new("min_copresence_s", format!("{min_copresence_s}: seconds ≥ 0")));
    }
    let mut note = Vec::new();
    let given = |field: &'static str, v: &Option<String>, end: bool, errs: &mut Vec<DomainError>| match v
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_time(field, s, tz, end))
    {
        Some(Ok(t)) => Some(t),
        Some(Err(StoreError::Invalid(e))) => {
            errs.extend(e);
            None
        }
        _ => None,
    };
    // The defaults (the close-contact window), also to say so when a given bound equals one.
    let dfrom = w.and_then(|w| w.from).and_then(|d| {
        Some((local_midnight(d, tz)?, format!("from {d}: {}", w.map(|w| w.profile.as_str()).unwrap_or(""))))
    });
    let dto = match (w.and_then(|w| w.until), case.isolation_date, case.report_date) {
        (Some(d), _, _) | (None, Some(d), _) => Some((d, "isolation")),
        (None, None, Some(d)) => Some((d, "report date (isolation not recorded)")),
        _ => None,
    }
    .and_then(|(d, why)| Some((local_midnight(d.succ_opt()?, tz)?, format!("until the end of {d}: {why}"))));
    let mut bound = |field: &'static str, v: &Option<String>, end: bool, dflt: Option<(DateTime<Utc>, String)>| {
        let typed = v.as_deref().is_some_and(|s| !s.trim().is_empty());
        let t = match given(field, v, end, &mut errs) {
            Some(t) => Some(t),
            None if typed => None,
            None => match &dflt {
                Some((t, _)) => Some(*t),
                None => {
                    let what = if end { "isolation or report" } else { "onset, sampling or report" };
                    errs.push(DomainError::new(field, format!("the case has no {what} date: give this bound")));
                    None
                }
            },
        };
        match (t, dflt) {
            (Some(t), Some((d, why))) if t == d => note.push(why),
            (Some(_), _) => note.push(format!("{field} given")),
            _ => {}
        }
        t
    };
    let from = bound("from", &p.from, false, dfrom);
    let to = bound("to", &p.to, true, dto);
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            errs.push(DomainError::new("to", format!("{t} is not after the start {f}")));
        } else if (t - f).num_seconds() > MAX_RANGE_DAYS * 86_400 {
            errs.push(DomainError::new("to", format!("the range is longer than {MAX_RANGE_DAYS} days")));
        }
    }
    match (errs.is_empty(), from, to) {
        (true, Some(from), Some(to)) => {
            Ok(Resolved { radius_m, window_s, from, to, min_copresence_s, range_note: note.join("; ") })
        }
        _ => Err(StoreError::Invalid(errs)),
    }
}

// ------------------------------------------------------------------------------ search

/// A registered person a candidate's key is linked to (identity number masked).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkedPerson {
    pub id: i64,
    pub name: String,
    /// Masked, e.g. `430***********1234`.
    pub id_number: String,
    pub jurisdiction_name: String,
}

/// One candidate companion, ranked by the engine (co-presence, encounters, distance).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub rank: usize,
    /// The companion's key (masked for roles that may not unmask).
    pub trace_key: String,
    /// The registered person behind the key, if linked and inside the user's jurisdiction.
    pub person: Option<LinkedPerson>,
    /// The key is linked to a person registered outside the user's jurisdiction.
    pub outside_scope: bool,
    /// Already confirmed as a companion of this case.
    pub confirmed: bool,
    /// The case's keys met.
    pub case_keys: Vec<String>,
    /// Matched point pairs (case point × companion point within the distance and window).
    pub encounters: u64,
    pub first: String,
    pub last: String,
    pub min_distance_m: f64,
    pub copresence_minutes: f64,
    /// The companion's point of the closest pair: latitude, longitude (degrees), time.
    pub where_lat: f64,
    pub where_lon: f64,
    pub where_at: String,
}

/// The answer of a search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub case_id: i64,
    /// The case's person's keys searched.
    pub case_keys: Vec<String>,
    pub params: Resolved,
    /// The case's close-contact window under the profile in force.
    #[schema(value_type = Object)]
    pub window: Option<CloseWindow>,
    pub candidates: Vec<Candidate>,
    /// Companions found (before the limit of 500).
    pub total: usize,
    pub cases_without_points: Vec<String>,
    pub days_read: usize,
    pub points_read: u64,
    pub elapsed_ms: u64,
}

/// Why a search could not run.
#[derive(Debug)]
pub enum SearchError {
    /// No trace store configured on this server.
    NoStore,
    Store(StoreError),
    Engine(anyhow::Error),
}

impl From<StoreError> for SearchError {
    fn from(e: StoreError) -> Self {
        SearchError::Store(e)
    }
}

impl From<sqlx::Error> for SearchError {
    fn from(e: sqlx::Error) -> Self {
        SearchError::Store(StoreError::Db(e))
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::NoStore => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no trace store configured: start the server with --trace-store DIR (or FIREBREAK_TRACE_STORE)",
            ),
            SearchError::Store(e) => e.into(),
            SearchError::Engine(e) => ApiError::internal(e),
        }
    }
}

/// The engine's companions of the case's keys under `r` (no audit).
async fn run_engine(
    store: &std::path::Path,
    keys: &[String],
    r: &Resolved,
) -> Result<crate::traces::QueryReport, SearchError> {
    let q = crate::traces::Query {
        cases: keys.to_vec(),
        radius_m: r.radius_m,
        window_s: r.window_s,
        from_us: Some(r.from.timestamp_micros()),
        to_us: Some(r.to.timestamp_micros()),
        min_copresence_s: r.min_copresence_s,
        progress: false,
    };
    if let Err(e) = q.params() {
        return Err(invalid("params", e.to_string()).into());
    }
    match crate::traces::search(store.to_path_buf(), q).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(m)) => Err(invalid("params", m).into()),
        Err(e) => Err(SearchError::Engine(e)),
    }
}

/// The case inside `scope` (read recorded), its close-contact window and its person's keys.
async fn case_and_keys(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    case_id: i64,
) -> Result<(CaseRow, Option<CloseWindow>, Vec<String>), StoreError> {
    let case = super::get(db, scope, actor, case_id).await?;
    let w = policy::close_window(db, case_id).await?;
    let keys = keys_of(db, case.person_id).await?.into_iter().map(|k| k.trace_key).collect();
    Ok((case, w, keys))
}

#[derive(sqlx::FromRow)]
struct KeyOwner {
    trace_key: String,
    person_id: i64,
    name: String,
    id_number: String,
    jurisdiction_name: String,
    path: String,
}

async fn owners(db: &Db, keys: &[String]) -> Result<HashMap<String, KeyOwner>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT t.trace_key, t.person_id, p.name, p.id_number, j.name AS jurisdiction_name, j.path FROM trace_identities t \
             JOIN people p ON p.id = t.person_id JOIN jurisdictions j ON j.code = p.jurisdiction_code WHERE t.trace_key IN ({})",
            marks.join(", ")
        );
        let rows: Vec<KeyOwner> = db_run!(db, pool => {
            let mut q = sqlx::query_as::<_, KeyOwner>(sqlx::AssertSqlSafe(sql));
            for k in chunk { q = q.bind(k); }
            q.fetch_all(pool).await?
        });
        out.extend(rows.into_iter().map(|o| (o.trace_key.clone(), o)));
    }
    Ok(out)
}

async fn confirmed_keys(db: &Db, case_id: i64) -> Result<HashSet<String>, sqlx::Error> {
    let v: Vec<String> = db_run!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT trace_key FROM companion_confirmations WHERE case_id = $1").bind(case_id).fetch_all(pool).await)?;
    Ok(v.into_iter().collect())
}

/// Finds the companions of case `case_id` in the trace store and ranks them; the read of the
/// candidate list is recorded (`list`, `companion_candidate`, with the parameters and count).
#[allow(clippy::too_many_arguments)]
pub async fn search(
    db: &Db,
    store: Option<&std::path::Path>,
    scope: &Scope,
    actor: &Actor,
    may_unmask: bool,
    case_id: i64,
    p: &SearchParams,
    tz: chrono_tz::Tz,
) -> Result<SearchResult, SearchError> {
    let store = store.ok_or(SearchError::NoStore)?;
    let (case, w, keys) = case_and_keys(db, scope, actor, case_id).await?;
    if keys.is_empty() {
        return Err(invalid(
            "trace_key",
            "the case's person has no key in the trace store: link one first (POST /api/v1/people/{id}/trace-keys)",
        )
        .into());
    }
    let r = resolve(&case, w.as_ref(), p, tz)?;
    let t0 = std::time::Instant::now();
    let rep = run_engine(store, &keys, &r).await?;
    let elapsed_ms = t0.elapsed().as_millis() as u64;
    let total = rep.companions.len();
    let shown: Vec<&Companion> = rep.companions.iter().take(MAX_CANDIDATES).collect();
    let owners = owners(db, &shown.iter().map(|c| c.person.clone()).collect::<Vec<_>>()).await?;
    let done = confirmed_keys(db, case_id).await?;
    let candidates: Vec<Candidate> = shown
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let o = owners.get(&c.person);
            let inside = o.is_some_and(|o| o.path.starts_with(&scope.path));
            Candidate {
                rank: i + 1,
                trace_key: if may_unmask { c.person.clone() } else { mask_id_number(&c.person) },
                person: o.filter(|_| inside).map(|o| LinkedPerson {
                    id: o.person_id,
                    name: o.name.clone(),
                    id_number: mask_id_number(&o.id_number),
                    jurisdiction_name: o.jurisdiction_name.clone(),
                }),
                outside_scope: o.is_some() && !inside,
                confirmed: done.contains(&c.person),
                case_keys: c.cases.clone(),
                encounters: c.encounters,
                first: c.first.clone(),
                last: c.last.clone(),
                min_distance_m: c.min_distance_m,
                copresence_minutes: c.copresence_minutes,
                where_lat: c.where_.lat,
                where_lon: c.where_.lon,
                where_at: c.where_.t.clone(),
            }
        })
        .collect();
    let ev = AuditEvent::new(actor, "list", "companion_candidate")
        .id(case_id)
        .jurisdiction(&case.reporting_jurisdiction)
        .detail(serde_json::json!({
            "case_keys": keys, "radius_m": r.radius_m, "window_s": r.window_s, "from": r.from, "to": r.to,
            "min_copresence_s": r.min_copresence_s, "total": total, "listed": candidates.len(),
            "linked_persons": candidates.iter().filter_map(|c| c.person.as_ref().map(|p| p.id)).collect::<Vec<_>>(),
        }));
    audit::record(db, ev).await?;
    Ok(SearchResult {
        case_id,
        case_keys: keys,
        params: r,
        window: w,
        candidates,
        total,
        cases_without_points: rep.cases_without_points,
        days_read: rep.days_read,
        points_read: rep.points_read,
        elapsed_ms,
    })
}

// ------------------------------------------------------------------------------ confirm

/// Confirm companions of a case: the search parameters (as searched) and the keys chosen.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ConfirmRequest {
    pub radius_m: Option<f64>,
    pub window_s: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub min_copresence_s: Option<i64>,
    /// Companion keys to confirm (1–200).
    pub keys: Vec<String>,
}

impl ConfirmRequest {
    fn params(&self) -> SearchParams {
        SearchParams {
            radius_m: self.radius_m,
            window_s: self.window_s,
            from: self.from.clone(),
            to: self.to.clone(),
            min_copresence_s: self.min_copresence_s,
        }
    }
}

/// One confirmed companion.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Confirmed {
    pub trace_key: String,
    pub person_id: i64,
    pub exposure_id: i64,
    /// A person was registered for this key (it was linked to nobody).
    pub new_person: bool,
}

/// The answer of a confirmation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConfirmResult {
    pub confirmed: Vec<Confirmed>,
    /// Keys that were already confirmed for this case (nothing written for them).
    pub already: Vec<String>,
}

/// Confirms `req.keys` as companions of case `case_id`: the search is run again with the same
/// parameters, every key must be among its companions (else 422 naming the key), and for each
/// new key a person (if unknown), an exposure of kind `companion` and the evidence are written
/// in one transaction (one audit entry per companion). Then the contacts are recomputed.
pub async fn confirm(
    db: &Db,
    store: Option<&std::path::Path>,
    scope: &Scope,
    actor: &Actor,
    case_id: i64,
    req: &ConfirmRequest,
    tz: chrono_tz::Tz,
) -> Result<ConfirmResult, SearchError> {
    let store = store.ok_or(SearchError::NoStore)?;
    let mut wanted: Vec<String> = Vec::new();
    for k in &req.keys {
        let k = check_key(k)?.to_string();
        if !wanted.contains(&k) {
            wanted.push(k);
        }
    }
    if wanted.is_empty() || wanted.len() > MAX_CONFIRM {
        return Err(invalid("keys", format!("choose 1 to {MAX_CONFIRM} companions")).into());
    }
    let (case, w, case_keys) = case_and_keys(db, scope, actor, case_id).await?;
    if case_keys.is_empty() {
        return Err(invalid("trace_key", "the case's person has no key in the trace store").into());
    }
    let r = resolve(&case, w.as_ref(), &req.params(), tz)?;
    let rep = run_engine(store, &case_keys, &r).await?;
    let found: HashMap<&str, &Companion> = rep.companions.iter().map(|c| (c.person.as_str(), c)).collect();
    let missing: Vec<DomainError> = wanted
        .iter()
        .filter(|k| !found.contains_key(k.as_str()))
        .map(|k| DomainError::new("keys", format!("\"{k}\" is not a companion of this case with these parameters")))
        .collect();
    if !missing.is_empty() {
        return Err(StoreError::Invalid(missing).into());
    }
    let owners = owners(db, &wanted).await?;
    for k in &wanted {
        if let Some(o) = owners.get(k)
            && !o.path.starts_with(&scope.path)
        {
            let ev = AuditEvent::new(actor, "denied", "companion").id(case_id).detail(serde_json::json!({
                "op": "confirm", "reason": "the companion is registered outside the user's jurisdiction", "trace_key": k}));
            audit::record(db, ev).await?;
            return Err(StoreError::Forbidden(format!(
                "\"{k}\" belongs to a person registered outside your jurisdiction ({}): ask them to confirm it",
                o.jurisdiction_name
            ))
            .into());
        }
    }
    let done = confirmed_keys(db, case_id).await?;
    let already: Vec<String> = wanted.iter().filter(|k| done.contains(*k)).cloned().collect();
    let todo: Vec<&Companion> =
        wanted.iter().filter(|k| !done.contains(*k)).filter_map(|k| found.get(k.as_str()).copied()).collect();
    let now = crate::db::now();
    let case_person = case.person_id;
    let jcode = case.reporting_jurisdiction.clone();
    let ts = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    let day = |s: &str| ts(s).with_timezone(&tz).date_naive();
    let res: Result<Vec<Confirmed>, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let mut out = Vec::new();
        for c in &todo {
            let key = c.person.as_str();
            let (person_id, new_person) = match owners.get(key) {
                Some(o) => (o.person_id, false),
                None => {
                    let number = source_record_number(key);
                    let existing: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM people WHERE id_type = 'source_record' AND id_number = $1")
                        .bind(&number).fetch_optional(&mut *tx).await?;
                    let (id, new) = match existing {
                        Some(id) => (id, false),
                        None => {
                            let id: i64 = sqlx::query_scalar(
                                "INSERT INTO people (name, sex, id_type, id_number, address, jurisdiction_code, created_at, updated_at) \
                                 VALUES ($1, 'unknown', 'source_record', $2, NULL, $3, $4, $4) RETURNING id")
                                .bind(format!("时空伴随者 {}", key.chars().take(40).collect::<String>()))
                                .bind(&number).bind(&jcode).bind(now).fetch_one(&mut *tx).await?;
                            let ev = AuditEvent::new(actor, "create", "person").id(id).jurisdiction(&jcode)
                                .detail(serde_json::json!({"from": "companion", "case": case_id, "trace_key": key}));
                            audit_append!(tx, &ev);
                            (id, true)
                        }
                    };
                    sqlx::query("INSERT INTO trace_identities (trace_key, person_id, origin, created_by, created_at) VALUES ($1, $2, 'companion', $3, $4)")
                        .bind(key).bind(id).bind(&actor.username).bind(now).execute(&mut *tx).await?;
                    (id, new)
                }
            };
            let note = format!(
                "时空伴随 spatiotemporal companion: {} encounters, {:.0} min together, closest {:.1} m (≤ {} m, ±{} s)",
                c.encounters, c.copresence_minutes, c.min_distance_m, r.radius_m, r.window_s);
            let exposure_id: i64 = sqlx::query_scalar(
                "INSERT INTO exposures (person_a, person_b, kind, start_date, end_date, protection, note, created_by, created_at) \
                 VALUES ($1, $2, 'companion', $3, $4, 'unknown', $5, $6, $7) RETURNING id")
                .bind(case_person).bind(person_id).bind(day(&c.first)).bind(day(&c.last)).bind(&note)
                .bind(&actor.username).bind(now).fetch_one(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO companion_confirmations (case_id, trace_key, person_id, exposure_id, case_keys, encounters, first_at, last_at, \
                 min_distance_m, copresence_minutes, where_lat, where_lon, where_at, case_lat, case_lon, case_at, radius_m, window_s, \
                 range_from, range_to, min_copresence_s, confirmed_by, confirmed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)")
                .bind(case_id).bind(key).bind(person_id).bind(exposure_id)
                .bind(serde_json::to_string(&c.cases).unwrap_or_default()).bind(c.encounters as i64)
                .bind(ts(&c.first)).bind(ts(&c.last)).bind(c.min_distance_m).bind(c.copresence_minutes)
                .bind(c.where_.lat).bind(c.where_.lon).bind(ts(&c.where_.t))
                .bind(c.where_.case_lat).bind(c.where_.case_lon).bind(ts(&c.where_.case_t))
                .bind(r.radius_m).bind(r.window_s).bind(r.from).bind(r.to).bind(r.min_copresence_s)
                .bind(&actor.username).bind(now).execute(&mut *tx).await?;
            let ev = AuditEvent::new(actor, "create", "companion").id(format!("{case_id}/{person_id}")).jurisdiction(&jcode)
                .detail(serde_json::json!({
                    "trace_key": key, "exposure": exposure_id, "encounters": c.encounters, "first": c.first, "last": c.last,
                    "min_distance_m": c.min_distance_m, "copresence_minutes": c.copresence_minutes,
                    "radius_m": r.radius_m, "window_s": r.window_s, "from": r.from, "to": r.to}));
            audit_append!(tx, &ev);
            out.push(Confirmed { trace_key: key.to_string(), person_id, exposure_id, new_person });
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(out)
    }.await);
    let confirmed = match res {
        Ok(v) => v,
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Conflict {
                field: "keys",
                message: "another confirmation of the same companion ran at the same time: reload and try again".into(),
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    if !confirmed.is_empty() {
        policy::recompute_for_person(db, case_person).await?;
    }
    Ok(ConfirmResult { confirmed, already })
}

/// A confirmed companion of a case with its evidence.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Confirmation {
    pub trace_key: String,
    pub person_id: i64,
    pub name: String,
    pub exposure_id: i64,
    /// JSON array of the case's keys met.
    pub case_keys: String,
    pub encounters: i64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub min_distance_m: f64,
    pub copresence_minutes: f64,
    pub where_lat: f64,
    pub where_lon: f64,
    pub where_at: DateTime<Utc>,
    pub case_lat: f64,
    pub case_lon: f64,
    pub case_at: DateTime<Utc>,
    pub radius_m: f64,
    pub window_s: i64,
    pub range_from: DateTime<Utc>,
    pub range_to: DateTime<Utc>,
    pub min_copresence_s: i64,
    pub confirmed_by: String,
    pub confirmed_at: DateTime<Utc>,
    /// The contact's classification now (`close`, `secondary`, `other`), if any.
    pub classification: Option<String>,
    pub rule_id: Option<String>,
}

/// The confirmed companions of a case (the case is read through [`super::get`], audited).
pub async fn confirmations(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    case_id: i64,
) -> Result<Vec<Confirmation>, StoreError> {
    super::get(db, scope, actor, case_id).await?;
    confirmations_of(db, case_id).await.map_err(Into::into)
}

async fn confirmations_of(db: &Db, case_id: i64) -> Result<Vec<Confirmation>, sqlx::Error> {
    db_run!(db, pool => sqlx::query_as::<_, Confirmation>(
        "SELECT f.trace_key, f.person_id, p.name, f.exposure_id, f.case_keys, f.encounters, f.first_at, f.last_at, f.min_distance_m, \
         f.copresence_minutes, f.where_lat, f.where_lon, f.where_at, f.case_lat, f.case_lon, f.case_at, f.radius_m, f.window_s, \
         f.range_from, f.range_to, f.min_copresence_s, f.confirmed_by, f.confirmed_at, k.classification, k.rule_id \
         FROM companion_confirmations f JOIN people p ON p.id = f.person_id \
         LEFT JOIN contacts k ON k.case_id = f.case_id AND k.person_id = f.person_id \
         WHERE f.case_id = $1 ORDER BY f.copresence_minutes DESC, f.id")
        .bind(case_id).fetch_all(pool).await)
}

// ------------------------------------------------------------------------------ API

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_search))
        .routes(routes!(api_confirm, api_confirmations))
        .routes(routes!(api_link_key, api_keys))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/companions", get(companions_page))
        .route("/cases/{id}/companions/confirm", post(confirm_submit))
        .route("/cases/{id}/trace-keys", post(link_submit))
}

async fn deny(st: &AppState, user: &CurrentUser, op: &str) -> ApiError {
    let ev = AuditEvent::new(&user.actor(), "denied", "companion")
        .jurisdiction(&user.scope.code)
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    if let Err(e) = audit::record(&st.db, ev).await {
        return ApiError::internal(e);
    }
    ApiError::forbidden("your role may not search location traces or confirm companions")
}

fn tz(st: &AppState) -> chrono_tz::Tz {
    st.cfg.display_tz
}

/// Find the spatiotemporal companions of a case: its person's trace keys searched over the
/// case's close-contact window (or the given range), ranked; linked people shown masked. The
/// read is audited.
#[utoipa::path(post, path = "/cases/{id}/companions/search", tag = "tracing", params(("id" = i64, Path)),
    request_body = SearchParams,
    responses((status = 200, body = SearchResult), (status = 403), (status = 404), (status = 422), (status = 503)))]
async fn api_search(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(p): Json<SearchParams>,
) -> Result<Json<SearchResult>, ApiError> {
    if !user.role.can_search_traces() {
        return Err(deny(&st, &user, "search").await);
    }
    let store = st.cfg.trace_store.as_deref();
    Ok(Json(search(&st.db, store, &user.scope, &user.actor(), user.role.can_unmask(), id, &p, tz(&st)).await?))
}

/// Confirm companions: each becomes a person (registered if unknown), an exposure of kind
/// `companion` and a close contact by the policy profile; the evidence is kept. Confirming a
/// companion twice adds nothing (listed in `already`).
#[utoipa::path(post, path = "/cases/{id}/companions", tag = "tracing", params(("id" = i64, Path)),
    request_body = ConfirmRequest,
    responses((status = 200, body = ConfirmResult), (status = 403), (status = 404), (status = 409), (status = 422), (status = 503)))]
async fn api_confirm(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(req): Json<ConfirmRequest>,
) -> Result<Json<ConfirmResult>, ApiError> {
    if !(user.role.can_search_traces() && user.role.can_investigate()) {
        return Err(deny(&st, &user, "confirm").await);
    }
    let store = st.cfg.trace_store.as_deref();
    Ok(Json(confirm(&st.db, store, &user.scope, &user.actor(), id, &req, tz(&st)).await?))
}

/// The confirmed companions of a case, with their evidence and current classification.
#[utoipa::path(get, path = "/cases/{id}/companions", tag = "tracing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Confirmation>), (status = 404)))]
async fn api_confirmations(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Confirmation>>, ApiError> {
    Ok(Json(confirmations(&st.db, &user.scope, &user.actor(), id).await?))
}

/// A trace store key to link to a person.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LinkKey {
    pub trace_key: String,
}

/// Link a trace store key to a registered person (investigators; a key names one person).
#[utoipa::path(post, path = "/people/{id}/trace-keys", tag = "tracing", params(("id" = i64, Path)),
    request_body = LinkKey, responses((status = 201), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_link_key(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(b): Json<LinkKey>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "link").await);
    }
    link_key(&st.db, &user.scope, &user.actor(), id, &b.trace_key, "manual").await?;
    Ok(StatusCode::CREATED)
}

/// The trace store keys of a person (the person read is audited).
#[utoipa::path(get, path = "/people/{id}/trace-keys", tag = "tracing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TraceIdentity>), (status = 404)))]
async fn api_keys(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<TraceIdentity>>, ApiError> {
    let p = crate::people::get(&st.db, &user.scope, &user.actor(), id).await?;
    Ok(Json(keys_of(&st.db, p.id).await?))
}

// ------------------------------------------------------------------------------ pages

/// The page's query string: parameters in the units a person types (metres, minutes).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PageQuery {
    pub radius_m: Option<String>,
    pub window_min: Option<String>,
    pub min_copresence_min: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Run the search (the form was submitted).
    pub run: Option<String>,
}

fn num<T: std::str::FromStr>(field: &'static str, v: &Option<String>) -> Result<Option<T>, StoreError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse::<T>().map(Some).map_err(|_| invalid(field, format!("\"{s}\" is not a number"))),
    }
}

impl PageQuery {
    fn params(&self) -> Result<SearchParams, StoreError> {
        let minutes = |field: &'static str, v: &Option<String>| -> Result<Option<i64>, StoreError> {
            Ok(num::<f64>(field, v)?.map(|m| (m * 60.0).round() as i64))
        };
        Ok(SearchParams {
            radius_m: num::<f64>("radius_m", &self.radius_m)?,
            window_s: minutes("window_min", &self.window_min)?,
            min_copresence_s: minutes("min_copresence_min", &self.min_copresence_min)?,
            from: self.from.clone().filter(|s| !s.trim().is_empty()),
            to: self.to.clone().filter(|s| !s.trim().is_empty()),
        })
    }
}

#[derive(Template)]
#[template(path = "tracing/companions.html")]
struct CompanionsPage {
    page: PageCtx,
    case: CaseRow,
    keys: Vec<TraceIdentity>,
    window: Option<CloseWindow>,
    has_store: bool,
    can_confirm: bool,
    /// Form values (local times for the datetime inputs).
    radius_m: String,
    window_min: String,
    min_copresence_min: String,
    from: String,
    to: String,
    result: Option<SearchResult>,
    error: String,
    confirmations: Vec<Confirmation>,
}

impl CompanionsPage {
    fn local(&self, s: &str) -> String {
        DateTime::parse_from_rfc3339(s).map(|t| self.page.dt(&t.with_timezone(&Utc))).unwrap_or_else(|_| s.into())
    }
    fn min(&self, x: &f64) -> String {
        format!("{x:.0}")
    }
    fn m(&self, x: &f64) -> String {
        format!("{x:.1}")
    }
    fn deg(&self, x: &f64) -> String {
        format!("{x:.5}")
    }
    fn input_time(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.page.tz).format("%Y-%m-%dT%H:%M").to_string()
    }
    fn case_keys(&self, json: &str) -> String {
        serde_json::from_str::<Vec<String>>(json).map(|v| v.join(", ")).unwrap_or_default()
    }
}

fn page_store_error(page: PageCtx, e: StoreError) -> Result<Response, ApiError> {
    match e {
        StoreError::NotFound => {
            let t = page.t("no_rows");
            Ok(user_message(page, StatusCode::NOT_FOUND, "404", t))
        }
        StoreError::Forbidden(m) => Ok(user_message(page, StatusCode::FORBIDDEN, "403", &m)),
        StoreError::Invalid(errs) => {
            let m = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            Ok(user_message(page, StatusCode::UNPROCESSABLE_ENTITY, "422", &m))
        }
        StoreError::Conflict { field, message } => {
            Ok(user_message(page, StatusCode::CONFLICT, "409", &format!("{field}: {message}")))
        }
        StoreError::Db(e) => Err(ApiError::internal(e)),
    }
}

async fn forbidden_page(
    st: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    op: &str,
) -> Result<Response, ApiError> {
    let _ = deny(st, user, op).await;
    let page = PageCtx::new(headers, "tracing", Some(user), &st.cfg);
    let t = page.t("not_allowed");
    Ok(user_message(page, StatusCode::FORBIDDEN, "403", t))
}

async fn companions_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    if !user.role.can_search_traces() {
        return forbidden_page(&st, &headers, &user, "search").await;
    }
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let actor = user.actor();
    let case = match super::get(&st.db, &user.scope, &actor, id).await {
        Ok(c) => c,
        Err(e) => return page_store_error(page, e),
    };
    let window = policy::close_window(&st.db, id).await.map_err(ApiError::internal)?;
    let keys = keys_of(&st.db, case.person_id).await.map_err(ApiError::internal)?;
    let store = st.cfg.trace_store.as_deref();
    let mut error = String::new();
    let mut result = None;
    let params = q.params();
    // The range the form shows: as given, else the defaults.
    let shown = match &params {
        Ok(p) => resolve(&case, window.as_ref(), p, page.tz).ok(),
        Err(_) => None,
    };
    if q.run.is_some() {
        match params {
            Err(StoreError::Invalid(errs)) => {
                error = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            }
            Err(e) => return page_store_error(page, e),
            Ok(p) => match search(&st.db, store, &user.scope, &actor, user.role.can_unmask(), id, &p, page.tz).await {
                Ok(r) => result = Some(r),
                Err(SearchError::NoStore) => error = page.t("no_trace_store").into(),
                Err(SearchError::Store(StoreError::Invalid(errs))) => {
                    error = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                }
                Err(SearchError::Store(e)) => return page_store_error(page, e),
                Err(SearchError::Engine(e)) => return Err(ApiError::internal(e)),
            },
        }
    }
    let confirmations = confirmations_of(&st.db, id).await.map_err(ApiError::internal)?;
    let fmt_t = |t: &DateTime<Utc>| t.with_timezone(&page.tz).format("%Y-%m-%dT%H:%M").to_string();
    let t = CompanionsPage {
        radius_m: q.radius_m.clone().unwrap_or_else(|| format!("{DEFAULT_RADIUS_M:.0}")),
        window_min: q.window_min.clone().unwrap_or_else(|| format!("{}", DEFAULT_WINDOW_S / 60)),
        min_copresence_min: q.min_copresence_min.clone().unwrap_or_else(|| "0".into()),
        from: q
            .from
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| shown.as_ref().map(|r| fmt_t(&r.from)))
            .unwrap_or_default(),
        to: q.to.clone().filter(|s| !s.is_empty()).or_else(|| shown.as_ref().map(|r| fmt_t(&r.to))).unwrap_or_default(),
        has_store: store.is_some(),
        can_confirm: user.role.can_investigate(),
        page,
        case,
        keys,
        window,
        result,
        error,
        confirmations,
    };
    Ok(render(&t))
}

async fn confirm_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    if !(user.role.can_search_traces() && user.role.can_investigate()) {
        return forbidden_page(&st, &headers, &user, "confirm").await;
    }
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let field = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).filter(|v| !v.trim().is_empty());
    let q = PageQuery {
        radius_m: field("radius_m"),
        window_min: field("window_min"),
        min_copresence_min: field("min_copresence_min"),
        from: field("from"),
        to: field("to"),
        run: None,
    };
    let p = match q.params() {
        Ok(p) => p,
        Err(e) => return page_store_error(page, e),
    };
    let req = ConfirmRequest {
        radius_m: p.radius_m,
        window_s: p.window_s,
        from: p.from,
        to: p.to,
        min_copresence_s: p.min_copresence_s,
        keys: f.iter().filter(|(n, _)| n == "key").map(|(_, v)| v.clone()).collect(),
    };
    match confirm(&st.db, st.cfg.trace_store.as_deref(), &user.scope, &user.actor(), id, &req, page.tz).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}#contacts")).into_response()),
        Err(SearchError::NoStore) => {
            let m = page.t("no_trace_store");
            Ok(user_message(page, StatusCode::SERVICE_UNAVAILABLE, "503", m))
        }
        Err(SearchError::Store(e)) => page_store_error(page, e),
        Err(SearchError::Engine(e)) => Err(ApiError::internal(e)),
    }
}

#[derive(Deserialize)]
struct LinkForm {
    trace_key: String,
}

async fn link_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<LinkForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return forbidden_page(&st, &headers, &user, "link").await;
    }
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let actor = user.actor();
    let r = async {
        let c = super::get(&st.db, &user.scope, &actor, id).await?;
        link_key(&st.db, &user.scope, &actor, c.person_id, &f.trace_key, "manual").await
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}/companions")).into_response()),
        Err(e) => page_store_error(page, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_local_unless_they_carry_an_offset() {
        let tz = chrono_tz::Asia::Shanghai;
        let t = |s: &str, end: bool| parse_time("from", s, tz, end).map(|t| t.to_rfc3339()).ok();
        assert_eq!(t("2020-01-24", false).as_deref(), Some("2020-01-23T16:00:00+00:00"));
        assert_eq!(t("2020-01-24", true).as_deref(), Some("2020-01-24T16:00:00+00:00"));
        assert_eq!(t("2020-01-24T08:30", false).as_deref(), Some("2020-01-24T00:30:00+00:00"));
        assert_eq!(t("2020-01-24 08:30:15", false).as_deref(), Some("2020-01-24T00:30:15+00:00"));
        assert_eq!(t("2020-01-24T08:30:00Z", true).as_deref(), Some("2020-01-24T08:30:00+00:00"));
        assert_eq!(t("24/01/2020", false), None);
    }

    #[test]
    fn keys_become_source_record_numbers() {
        assert_eq!(source_record_number("p0000042"), "trace:p0000042");
        assert_eq!(source_record_number("003"), "trace:003");
        // Outside the source-record alphabet or too long: a hash, still a valid source record.
        for k in ["手机 138", &"k".repeat(100)] {
            let n = source_record_number(k);
            assert!(n.starts_with("trace:h") && n.len() == 39, "{n}");
            assert!(crate::domain::IdDocument::parse(crate::domain::IdType::SourceRecord, &n).is_ok());
        }
        assert_ne!(source_record_number("a b"), source_record_number("a  b"));
        assert!(check_key(" a\u{7}b ").is_err() && check_key("").is_err() && check_key(&"x".repeat(101)).is_err());
        assert_eq!(check_key("  k1 ").ok(), Some("k1"));
    }
}
