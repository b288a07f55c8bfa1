//! Investigation desk (流调溯源): cases, itineraries, exposures, transmission links, contacts
//! classified by a policy profile, and transmission chains computed with `firebreak-chains`.
//!
//! Cases are scoped by their reporting jurisdiction: every query here joins `jurisdictions` and
//! keeps rows whose path starts with the caller's scope. A case's person comes from the people
//! registry (never copied); reads of case lists and case pages are recorded in the audit log.

pub mod clusters;
pub mod clusters_http;
pub mod companions;
pub mod contacts;
pub mod external;
pub mod http;
pub mod i18n;
pub mod i18n_desk;
pub mod import;
pub mod manual;
pub mod manual_http;
pub mod mappings;
pub mod policy;
pub mod policy_page;

use crate::audit::{self, Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::domain::DomainError;
use crate::jurisdictions::{self, Scope};
use crate::people::StoreError;
use crate::{audit_append, db_run};
use chrono::{DateTime, NaiveDate, Utc};
use firebreak_chains::{Case, Certainty, ChainAnalysis, ChainInputBuilder, ChainSummary, Labels, Params, analyze};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

pub const CLASSIFICATIONS: [&str; 4] = ["confirmed", "asymptomatic", "suspected", "probable"];
pub const HOW_FOUND: [&str; 7] =
    ["clinic", "lab", "mass_testing", "checkpoint", "quarantine", "contact_follow_up", "other"];
pub const EXPOSURE_KINDS: [&str; 8] =
    ["household", "workplace", "transport", "care", "meal", "gathering", "companion", "other"];
pub const PROTECTIONS: [&str; 4] = ["none", "partial", "full", "unknown"];
pub const CERTAINTIES: [&str; 3] = ["confirmed", "probable", "possible"];
pub const STATUSES: [&str; 4] = ["open", "assigned", "in_progress", "completed"];

/// One case with its person's name (the person stays in the registry).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub sex: String,
    pub source: String,
    pub source_id: String,
    pub classification: String,
    pub how_found: Option<String>,
    pub reporting_jurisdiction: String,
    pub reporting_name: String,
    pub home_jurisdiction: String,
    pub exposure_start: Option<NaiveDate>,
    pub exposure_end: Option<NaiveDate>,
    pub onset_date: Option<NaiveDate>,
    pub sampling_date: Option<NaiveDate>,
    pub report_date: Option<NaiveDate>,
    pub diagnosis_date: Option<NaiveDate>,
    pub isolation_date: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub outcome_date: Option<NaiveDate>,
    pub severity: Option<String>,
    pub cluster: Option<String>,
    pub notes: Option<String>,
    pub chain_id: Option<i64>,
    pub generation: Option<i64>,
    pub investigation_status: String,
    pub assigned_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const SELECT: &str = "SELECT c.id, c.person_id, p.name AS person_name, p.sex, c.source, c.source_id, c.classification, c.how_found, \
    c.reporting_jurisdiction, j.name AS reporting_name, c.home_jurisdiction, c.exposure_start, c.exposure_end, c.onset_date, \
    c.sampling_date, c.report_date, c.diagnosis_date, c.isolation_date, c.outcome, c.outcome_date, c.severity, c.cluster, c.notes, \
    c.chain_id, c.generation, c.investigation_status, c.assigned_at, c.started_at, c.completed_at, c.created_at, c.updated_at, c.version \
    FROM cases c JOIN people p ON p.id = c.person_id JOIN jurisdictions j ON j.code = c.reporting_jurisdiction";

/// Line-list filter (API query string and web form).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
pub struct CaseFilter {
    /// Only cases reported in this jurisdiction's subtree (inside the user's own).
    pub jurisdiction: Option<String>,
    /// `confirmed`, `asymptomatic`, `suspected`, `probable`.
    pub classification: Option<String>,
    /// Report date from (YYYY-MM-DD).
    pub from: Option<String>,
    /// Report date to (YYYY-MM-DD).
    pub to: Option<String>,
    /// Chain id (the smallest case id of the chain).
    pub chain: Option<i64>,
    /// Cluster id (聚集性疫情): only the cases linked to it.
    pub cluster: Option<i64>,
    /// Source id or person name contains.
    pub q: Option<String>,
    /// `report` (default, newest first), `onset`, `id`, `chain`.
    pub sort: Option<String>,
    pub page: Option<u32>,
    /// Rows a page, 1..=200 (default 50).
    pub per_page: Option<u32>,
}

fn invalid(field: &'static str, m: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![DomainError::new(field, m)])
}

fn date_arg(field: &'static str, s: Option<&str>) -> Result<Option<NaiveDate>, StoreError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| invalid(field, format!("\"{v}\" is not a date (YYYY-MM-DD)"))),
    }
}

/// The `LIKE` pattern of the jurisdiction filter, checked against the scope (403 outside).
pub async fn filter_like(db: &Db, scope: &Scope, code: Option<&str>) -> Result<String, StoreError> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(scope.like()),
        Some(code) => match jurisdictions::get(db, code).await? {
            None => Err(invalid("jurisdiction", format!("\"{code}\" is not a known jurisdiction code"))),
            Some(j) if !scope.contains(&j) => {
                Err(StoreError::Forbidden(format!("jurisdiction {code} ({}) is outside your jurisdiction", j.name)))
            }
            Some(j) => Ok(format!("{}%", j.path)),
        },
    }
}

async fn query(
    db: &Db,
    scope: &Scope,
    f: &CaseFilter,
    limit: Option<(i64, i64)>,
) -> Result<(Vec<CaseRow>, i64), StoreError> {
    let like = filter_like(db, scope, f.jurisdiction.as_deref()).await?;
    // The filter is written on `cases` alone (jurisdiction by an IN over the subtree's codes),
    // so the count and the page's ids come from the (reporting_jurisdiction, report_date) index;
    // only the 50 rows of the page are joined to people and jurisdictions.
    let mut wh = String::from(" WHERE c.reporting_jurisdiction IN (SELECT code FROM jurisdictions WHERE path LIKE $1)");
    let mut texts: Vec<String> = vec![like];
    let mut dates: Vec<NaiveDate> = vec![];
    let mut n = 1;
    if let Some(c) = f.classification.as_deref().filter(|s| !s.is_empty()) {
        if !CLASSIFICATIONS.contains(&c) {
            return Err(invalid("classification", format!("\"{c}\": one of {}", CLASSIFICATIONS.join(", "))));
        }
        texts.push(c.to_string());
        n += 1;
        wh.push_str(&format!(" AND c.classification = ${n}"));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        crate::domain::check_len("q", q, 50).map_err(|e| StoreError::Invalid(vec![e]))?;
        texts.push(format!("%{}%", crate::db::like_escape(q)));
        n += 1;
        wh.push_str(&format!(
            " AND (c.source_id LIKE ${n} ESCAPE '\\' OR c.person_id IN (SELECT id FROM people WHERE name LIKE ${n} ESCAPE '\\'))"
        ));
    }
    for (field, v, op) in [("from", f.from.as_deref(), ">="), ("to", f.to.as_deref(), "<=")] {
        if let Some(d) = date_arg(field, v)? {
            dates.push(d);
            wh.push_str(&format!(" AND c.report_date {op} ${}", n + dates.len()));
        }
    }
    let n_dates = dates.len();
    let chain_clause = f.chain.map(|_| format!(" AND c.chain_id = ${}", n + n_dates + 1)).unwrap_or_default();
    wh.push_str(&chain_clause);
    let n_chain = usize::from(f.chain.is_some());
    if f.cluster.is_some() {
        wh.push_str(&format!(
            " AND c.id IN (SELECT case_id FROM cluster_cases WHERE cluster_id = ${})",
            n + n_dates + n_chain + 1
        ));
    }
    let order = match f.sort.as_deref().unwrap_or("report") {
        "onset" => "c.onset_date DESC, c.id DESC",
        "id" => "c.id",
        "chain" => "c.chain_id, c.generation, c.id",
        "report" | "" => "c.report_date DESC, c.id DESC",
        s => return Err(invalid("sort", format!("\"{s}\": report, onset, id or chain"))),
    };
    let lim = match limit {
        Some((per, page)) => format!(" LIMIT {per} OFFSET {}", (page - 1) * per),
        None => " LIMIT 100000".into(),
    };
    let sql = format!("{SELECT} WHERE c.id IN (SELECT c.id FROM cases c{wh} ORDER BY {order}{lim}) ORDER BY {order}");
    let sql_count = format!("SELECT COUNT(*) FROM cases c{wh}");
    let out = db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(sql));
        let mut c = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql_count));
        for t in &texts { q = q.bind(t.clone()); c = c.bind(t.clone()); }
        for d in &dates { q = q.bind(*d); c = c.bind(*d); }
        if let Some(ch) = f.chain { q = q.bind(ch); c = c.bind(ch); }
        if let Some(k) = f.cluster { q = q.bind(k); c = c.bind(k); }
        (q.fetch_all(pool).await?, c.fetch_one(pool).await?)
    });
    Ok(out)
}

/// One page of the line list inside `scope`; the read is recorded.
pub async fn list(db: &Db, scope: &Scope, actor: &Actor, f: &CaseFilter) -> Result<(Vec<CaseRow>, i64), StoreError> {
    let per = i64::from(f.per_page.unwrap_or(50).clamp(1, 200));
    let page = i64::from(f.page.unwrap_or(1).max(1));
    let (rows, total) = query(db, scope, f, Some((per, page))).await?;
    let ev = AuditEvent::new(actor, "list", "case")
        .jurisdiction(f.jurisdiction.clone().unwrap_or_else(|| scope.code.clone()))
        .detail(serde_json::json!({"filter": f, "rows": rows.len(), "total": total}));
    audit::record(db, ev).await?;
    Ok((rows, total))
}

/// Every case matching `f` (at most 100,000) for an export; recorded as `export`.
pub async fn export(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    f: &CaseFilter,
    format: &str,
) -> Result<Vec<CaseRow>, StoreError> {
    let (rows, total) = query(db, scope, f, None).await?;
    let ev = AuditEvent::new(actor, "export", "case")
        .jurisdiction(f.jurisdiction.clone().unwrap_or_else(|| scope.code.clone()))
        .detail(serde_json::json!({"filter": f, "rows": rows.len(), "total": total, "format": format, "masked": true}));
    audit::record(db, ev).await?;
    Ok(rows)
}

/// One case inside `scope` (404 outside, recorded as `denied`); the read is recorded.
pub async fn get(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<CaseRow, StoreError> {
    let sql = format!("{SELECT} WHERE c.id = $1 AND j.path LIKE $2");
    let found: Option<CaseRow> = db_run!(db, pool => sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(sql))
        .bind(id).bind(scope.like()).fetch_optional(pool).await)?;
    match found {
        Some(c) => {
            audit::record(db, AuditEvent::new(actor, "read", "case").id(id).jurisdiction(&c.reporting_jurisdiction))
                .await?;
            Ok(c)
        }
        None => {
            let j: Option<String> = db_run!(db, pool => sqlx::query_scalar::<_, String>("SELECT reporting_jurisdiction FROM cases WHERE id = $1")
                .bind(id).fetch_optional(pool).await)?;
            if let Some(j) = j {
                let ev = AuditEvent::new(actor, "denied", "case")
                    .id(id)
                    .jurisdiction(j)
                    .detail(serde_json::json!({"op": "read", "reason": "outside the user's jurisdiction"}));
                audit::record(db, ev).await?;
            }
            Err(StoreError::NotFound)
        }
    }
}

/// A (re)classification of a case, kept as history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ClassificationEntry {
    pub classification: String,
    pub at: DateTime<Utc>,
    pub username: String,
    pub reason: String,
}

/// A link into or out of a case.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LinkRow {
    pub infector_source_id: String,
    pub infector_case_id: Option<i64>,
    pub infectee_case_id: i64,
    pub infectee_source_id: String,
    pub certainty: String,
    pub route: Option<String>,
    pub infector_onset: Option<NaiveDate>,
    pub infectee_onset: Option<NaiveDate>,
}

impl LinkRow {
    /// Onset of infectee − onset of infector, days.
    pub fn serial_interval(&self) -> Option<i64> {
        Some((self.infectee_onset? - self.infector_onset?).num_days())
    }
}

/// An itinerary entry with its place.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct VisitRow {
    pub start_date: NaiveDate,
    pub kind: String,
    pub place_id: i64,
    pub place_name: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub jurisdiction_code: String,
    /// Other cases that visited the same place.
    pub other_cases: i64,
}

/// An exposure of the case's person.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ExposureRow {
    pub id: i64,
    pub other_person_id: Option<i64>,
    pub other_name: Option<String>,
    pub kind: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub protection: String,
    pub note: Option<String>,
}

/// A contact of the case as the policy profile classified it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ContactRow {
    pub person_id: i64,
    pub name: String,
    pub via_person_id: Option<i64>,
    pub classification: String,
    pub rule_id: String,
    pub rule_text: String,
    pub profile: String,
    pub first_exposure: Option<NaiveDate>,
    pub last_exposure: Option<NaiveDate>,
    pub identified_at: DateTime<Utc>,
    pub controlled_at: Option<DateTime<Utc>>,
}

/// Everything the case page shows around a case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    pub case: CaseRow,
    pub history: Vec<ClassificationEntry>,
    pub infectors: Vec<LinkRow>,
    pub infectees: Vec<LinkRow>,
    pub itinerary: Vec<VisitRow>,
    pub exposures: Vec<ExposureRow>,
    pub contacts: Vec<ContactRow>,
}

const LINK_SELECT: &str = "SELECT l.infector_source_id, l.infector_case_id, l.infectee_case_id, e.source_id AS infectee_source_id, \
    l.certainty, l.route, i.onset_date AS infector_onset, e.onset_date AS infectee_onset \
    FROM transmission_links l JOIN cases e ON e.id = l.infectee_case_id LEFT JOIN cases i ON i.id = l.infector_case_id";

/// The case and its timeline (read recorded once, by [`get`]).
pub async fn detail(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<CaseDetail, StoreError> {
    let case = get(db, scope, actor, id).await?;
    let pid = case.person_id;
    let out = db_run!(db, pool => {
        let history = sqlx::query_as::<_, ClassificationEntry>("SELECT classification, at, username, reason FROM case_classifications WHERE case_id = $1 ORDER BY at, id")
            .bind(id).fetch_all(pool).await?;
        let infectors = sqlx::query_as::<_, LinkRow>(sqlx::AssertSqlSafe(format!("{LINK_SELECT} WHERE l.infectee_case_id = $1 ORDER BY l.id")))
            .bind(id).fetch_all(pool).await?;
        let infectees = sqlx::query_as::<_, LinkRow>(sqlx::AssertSqlSafe(format!("{LINK_SELECT} WHERE l.infector_case_id = $1 ORDER BY e.onset_date, l.id")))
            .bind(id).fetch_all(pool).await?;
        let itinerary = sqlx::query_as::<_, VisitRow>(
            "SELECT v.start_date, v.kind, v.place_id, pl.name AS place_name, pl.lat, pl.lon, pl.jurisdiction_code, \
             (SELECT COUNT(DISTINCT v2.case_id) FROM itinerary v2 WHERE v2.place_id = v.place_id AND v2.case_id <> v.case_id) AS other_cases \
             FROM itinerary v JOIN places pl ON pl.id = v.place_id WHERE v.case_id = $1 ORDER BY v.start_date, v.id")
            .bind(id).fetch_all(pool).await?;
        let exposures = sqlx::query_as::<_, ExposureRow>(
            "SELECT x.id, CASE WHEN x.person_a = $1 THEN x.person_b ELSE x.person_a END AS other_person_id, o.name AS other_name, \
             x.kind, x.start_date, x.end_date, x.protection, x.note FROM exposures x \
             LEFT JOIN people o ON o.id = CASE WHEN x.person_a = $1 THEN x.person_b ELSE x.person_a END \
             WHERE x.person_a = $1 OR x.person_b = $1 ORDER BY x.start_date, x.id")
            .bind(pid).fetch_all(pool).await?;
        let contacts = sqlx::query_as::<_, ContactRow>(
            "SELECT k.person_id, p.name, k.via_person_id, k.classification, k.rule_id, k.rule_text, k.profile, k.first_exposure, \
             k.last_exposure, k.identified_at, k.controlled_at FROM contacts k JOIN people p ON p.id = k.person_id \
             WHERE k.case_id = $1 ORDER BY k.classification, k.first_exposure, p.name")
            .bind(id).fetch_all(pool).await?;
        CaseDetail { case, history, infectors, infectees, itinerary, exposures, contacts }
    });
    Ok(out)
}

/// Changes a case's classification, keeping the old one in the history.
pub async fn reclassify(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    classification: &str,
    reason: &str,
) -> Result<(), StoreError> {
    if !CLASSIFICATIONS.contains(&classification) {
        return Err(invalid("classification", format!("\"{classification}\": one of {}", CLASSIFICATIONS.join(", "))));
    }
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(invalid("reason", "say why the classification changes"));
    }
    crate::domain::check_len("reason", reason, 500).map_err(|e| StoreError::Invalid(vec![e]))?;
    let c = get(db, scope, actor, id).await?;
    if c.classification == classification {
        return Ok(());
    }
    let now = crate::db::now();
    db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        sqlx::query("UPDATE cases SET classification = $1, updated_at = $2, version = version + 1 WHERE id = $3")
            .bind(classification).bind(now).bind(id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO case_classifications (case_id, classification, at, username, reason) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(classification).bind(now).bind(&actor.username).bind(reason).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "update", "case").id(id).jurisdiction(&c.reporting_jurisdiction)
            .detail(serde_json::json!({"fields": ["classification"], "from": c.classification, "to": classification}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await)?;
    policy::recompute_case(db, id).await?;
    Ok(())
}

/// Sets the investigation status, stamping the time of each step.
pub async fn set_status(db: &Db, scope: &Scope, actor: &Actor, id: i64, status: &str) -> Result<(), StoreError> {
    if !STATUSES.contains(&status) {
        return Err(invalid("status", format!("\"{status}\": one of {}", STATUSES.join(", "))));
    }
    let c = get(db, scope, actor, id).await?;
    let now = crate::db::now();
    let col = match status {
        "assigned" => "assigned_at",
        "in_progress" => "started_at",
        "completed" => "completed_at",
        _ => "updated_at",
    };
    let sql = format!(
        "UPDATE cases SET investigation_status = $1, {col} = COALESCE({col}, $2), investigator_id = COALESCE(investigator_id, $3), \
         updated_at = $2, version = version + 1 WHERE id = $4"
    );
    db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(status).bind(now).bind(actor.user_id).bind(id).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "update", "case").id(id).jurisdiction(&c.reporting_jurisdiction)
            .detail(serde_json::json!({"fields": ["investigation_status"], "to": status}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await)?;
    Ok(())
}

/// A contact event between two registered people (API body and form).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ExposureInput {
    pub person_a: i64,
    pub person_b: i64,
    /// household, workplace, transport, care, meal, gathering, companion, other.
    pub kind: String,
    /// YYYY-MM-DD.
    pub start_date: String,
    /// YYYY-MM-DD (default: the start date).
    #[serde(default)]
    pub end_date: Option<String>,
    /// none, partial, full, unknown.
    #[serde(default)]
    pub protection: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records an exposure between two people inside the scope and reclassifies the contacts of the
/// cases it touches. Returns the exposure id.
pub async fn add_exposure(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    x: &ExposureInput,
    today: NaiveDate,
) -> Result<i64, StoreError> {
    let mut errs = vec![];
    if !EXPOSURE_KINDS.contains(&x.kind.as_str()) {
        errs.push(DomainError::new("kind", format!("\"{}\": one of {}", x.kind, EXPOSURE_KINDS.join(", "))));
    }
    let protection = x.protection.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "unknown".into());
    if !PROTECTIONS.contains(&protection.as_str()) {
        errs.push(DomainError::new("protection", format!("\"{protection}\": one of {}", PROTECTIONS.join(", "))));
    }
    if x.person_a == x.person_b {
        errs.push(DomainError::new("person_b", "an exposure needs two different people"));
    }
    let mut date = |field: &'static str, v: Option<&str>| match date_arg(field, v) {
        Ok(d) => d,
        Err(StoreError::Invalid(v)) => {
            errs.extend(v);
            None
        }
        Err(_) => None,
    };
    let start = date("start_date", Some(&x.start_date));
    let end = date("end_date", x.end_date.as_deref()).or(start);
    match (start, end) {
        (None, _) => errs.push(DomainError::new("start_date", "is required (YYYY-MM-DD)")),
        (Some(s), Some(e)) if e < s => errs.push(DomainError::new("end_date", format!("{e} is before the start {s}"))),
        (_, Some(e)) if e > today => errs.push(DomainError::new("end_date", format!("{e} is in the future"))),
        _ => {}
    }
    if let Some(n) = &x.note {
        crate::domain::check_len("note", n, 500).map_err(|e| StoreError::Invalid(vec![e]))?;
    }
    let (Some(start), Some(end)) = (start, end) else { return Err(StoreError::Invalid(errs)) };
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let a = crate::people::get(db, scope, actor, x.person_a).await?;
    let b = crate::people::get(db, scope, actor, x.person_b).await?;
    let now = crate::db::now();
    let id = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO exposures (person_a, person_b, kind, start_date, end_date, protection, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(a.id).bind(b.id).bind(&x.kind).bind(start).bind(end).bind(&protection).bind(x.note.as_deref()).bind(&actor.username).bind(now)
            .fetch_one(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "exposure").id(id).jurisdiction(&a.jurisdiction_code)
            .detail(serde_json::json!({"person_a": a.id, "person_b": b.id, "kind": x.kind}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await)?;
    policy::recompute_for_person(db, a.id).await?;
    policy::recompute_for_person(db, b.id).await?;
    Ok(id)
}

/// Records when a contact of a case was placed under control and reclassifies (the secondary
/// window ends there).
pub async fn set_controlled(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    case_id: i64,
    person_id: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let c = get(db, scope, actor, case_id).await?;
    let n = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let n = sqlx::query("UPDATE contacts SET controlled_at = $1 WHERE case_id = $2 AND person_id = $3")
            .bind(at).bind(case_id).bind(person_id).execute(&mut *tx).await?.rows_affected();
        let ev = AuditEvent::new(actor, "update", "contact").id(format!("{case_id}/{person_id}")).jurisdiction(&c.reporting_jurisdiction)
            .detail(serde_json::json!({"fields": ["controlled_at"]}));
        audit_append!(tx, &ev);
        if n == 1 { tx.commit().await?; } else { tx.rollback().await?; }
        Ok::<_, sqlx::Error>(n)
    }.await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    policy::recompute_case(db, case_id).await?;
    Ok(())
}

// ------------------------------------------------------------------------------------ chains

/// A node key for the chain kernel: (source, id in the source). Links resolve inside one source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub source: String,
    pub id: String,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

#[derive(sqlx::FromRow)]
struct ChainCase {
    id: i64,
    source: String,
    source_id: String,
    onset_date: Option<NaiveDate>,
    report_date: Option<NaiveDate>,
    chain_id: Option<i64>,
    generation: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ChainLink {
    source: String,
    infector_source_id: String,
    infectee_source: String,
    infectee_source_id: String,
    certainty: String,
}

/// Cases and links loaded for the kernel, with the case ids by dense index.
pub struct Loaded {
    pub input: firebreak_chains::ChainInput,
    pub analysis: ChainAnalysis,
    pub labels: Labels<Key>,
    pub case_ids: Vec<i64>,
    pub onsets: Vec<Option<NaiveDate>>,
    stored: Vec<(Option<i64>, Option<i64>)>,
}

fn day(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// Loads cases (inside `like`, or all) and their links and runs the chain kernel. `as_of` is the
/// last report date in the data when `None` (so an old outbreak's activity is judged at its time).
pub async fn load_chains(
    db: &Db,
    like: Option<&str>,
    source: Option<&str>,
    as_of: Option<NaiveDate>,
) -> anyhow::Result<Loaded> {
    let like = like.unwrap_or("%").to_string();
    let src = source.unwrap_or("%").to_string();
    let (cases, links) = db_run!(db, pool => {
        let cases = sqlx::query_as::<_, ChainCase>(
            "SELECT c.id, c.source, c.source_id, c.onset_date, c.report_date, c.chain_id, c.generation FROM cases c \
             JOIN jurisdictions j ON j.code = c.reporting_jurisdiction WHERE j.path LIKE $1 AND c.source LIKE $2 ORDER BY c.id")
            .bind(&like).bind(&src).fetch_all(pool).await?;
        let links = sqlx::query_as::<_, ChainLink>(
            "SELECT l.source, l.infector_source_id, e.source AS infectee_source, e.source_id AS infectee_source_id, l.certainty FROM transmission_links l \
             JOIN cases e ON e.id = l.infectee_case_id JOIN jurisdictions j ON j.code = e.reporting_jurisdiction \
             WHERE j.path LIKE $1 AND e.source LIKE $2 ORDER BY l.id")
            .bind(&like).bind(&src).fetch_all(pool).await?;
        (cases, links)
    });
    let mut b = ChainInputBuilder::<Key>::with_capacity(cases.len(), links.len());
    let mut last = None;
    for c in &cases {
        last = last.max(c.report_date).max(c.onset_date);
        b.add_case(
            Key { source: c.source.clone(), id: c.source_id.clone() },
            Case { onset: c.onset_date.map(day), report: c.report_date.map(day) },
        )?;
    }
    for l in &links {
        let certainty = match l.certainty.as_str() {
            "confirmed" => Certainty::Confirmed,
            "probable" => Certainty::Probable,
            _ => Certainty::Possible,
        };
        let infector = Key { source: l.source.clone(), id: l.infector_source_id.clone() };
        // The infectee is a case of its own source; the infector is named in the link's source
        // (a hand-typed link from a case of another source carries that case's source).
        let infectee = Key { source: l.infectee_source.clone(), id: l.infectee_source_id.clone() };
        b.add_link(&infector, &infectee, certainty)?;
    }
    let (input, labels) = b.build();
    let as_of = as_of.or(last).unwrap_or_else(|| Utc::now().date_naive());
    let analysis = analyze(&input, &Params::new(day(as_of)))?;
    Ok(Loaded {
        input,
        analysis,
        labels,
        case_ids: cases.iter().map(|c| c.id).collect(),
        onsets: cases.iter().map(|c| c.onset_date).collect(),
        stored: cases.iter().map(|c| (c.chain_id, c.generation)).collect(),
    })
}

impl Loaded {
    /// Chain id (smallest case id of the chain) for each kernel chain index.
    pub fn chain_ids(&self) -> Vec<i64> {
        (0..self.analysis.chains.len() as u32)
            .map(|ch| {
                self.analysis.chain_members(ch).iter().map(|&m| self.case_ids[m as usize]).min().unwrap_or_default()
            })
            .collect()
    }
    pub fn summary(&self, top: usize) -> anyhow::Result<ChainSummary> {
        Ok(ChainSummary::new(&self.analysis, &self.labels, top)?)
    }
}

/// Recomputes `cases.chain_id` and `cases.generation` from the links, writing only the rows that
/// change (so a re-import that adds nothing writes nothing). Returns the number of rows changed.
pub async fn refresh_chains(db: &Db) -> anyhow::Result<usize> {
    let l = load_chains(db, None, None, None).await?;
    let ids = l.chain_ids();
    let mut changes: Vec<(i64, Option<i64>, Option<i64>)> = Vec::new();
    for (i, rep) in l.analysis.cases.iter().enumerate() {
        let chain = rep.chain.map(|c| ids[c as usize]);
        let generation = rep.chain.and(rep.generation.map(i64::from));
        if l.stored[i] != (chain, generation) {
            changes.push((l.case_ids[i], chain, generation));
        }
    }
    if changes.is_empty() {
        return Ok(0);
    }
    db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        for (id, chain, generation) in &changes {
            sqlx::query("UPDATE cases SET chain_id = $1, generation = $2 WHERE id = $3")
                .bind(chain).bind(generation).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await)?;
    Ok(changes.len())
}

/// A chain as listed in the chain view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChainInfo {
    pub id: i64,
    pub size: u32,
    pub links: u32,
    pub generations: u32,
    pub index_cases: Vec<String>,
    pub first_onset: Option<String>,
    pub last_onset: Option<String>,
    pub active: bool,
    pub has_cycle: bool,
    pub top_spreaders: Vec<(String, u32)>,
}

/// A node of the chain graph.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GraphNode {
    /// `c<case id>` or `u<n>` for an unobserved infector.
    pub id: String,
    pub label: String,
    pub case_id: Option<i64>,
    pub generation: Option<u32>,
    pub onset: Option<String>,
    pub infectees: u32,
}

/// An edge of the chain graph.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GraphEdge {
    pub source: String,
    pub target: String,
    pub certainty: String,
    pub serial_interval: Option<i32>,
}

/// The chain view's data: chains (largest first) and the graph of one chain or all of them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChainGraph {
    pub summary: serde_json::Value,
    pub chains: Vec<ChainInfo>,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

/// Chains of the cases inside the scope (or the jurisdiction filter), and the graph of chain
/// `chain` (every case when `None`, up to `max_nodes` case nodes; unobserved infectors included).
pub async fn chain_graph(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    jurisdiction: Option<&str>,
    chain: Option<i64>,
    max_nodes: usize,
) -> Result<ChainGraph, StoreError> {
    let like = filter_like(db, scope, jurisdiction).await?;
    let l = load_chains(db, Some(&like), None, None)
        .await
        .map_err(|e| StoreError::Db(sqlx::Error::Protocol(format!("{e:#}"))))?;
    let ev = AuditEvent::new(actor, "list", "chain")
        .jurisdiction(jurisdiction.unwrap_or(&scope.code))
        .detail(serde_json::json!({"chain": chain, "cases": l.case_ids.len()}));
    audit::record(db, ev).await?;
    let ids = l.chain_ids();
    let a = &l.analysis;
    let fmt_day = |d: Option<i32>| d.map(firebreak_chains::dates::format_day);
    let chains: Vec<ChainInfo> = a
        .chains
        .iter()
        .map(|c| ChainInfo {
            id: ids[c.id as usize],
            size: c.size,
            links: c.links,
            generations: c.max_generation + 1,
            index_cases: c.index_cases.iter().map(|&i| l.labels.cases[i as usize].id.clone()).collect(),
            first_onset: fmt_day(c.first_onset),
            last_onset: fmt_day(c.last_onset),
            active: c.active,
            has_cycle: c.has_cycle,
            top_spreaders: c
                .top_spreaders
                .iter()
                .filter_map(|s| Some((l.labels.get(s.infector)?.id.clone(), s.infectees)))
                .collect(),
        })
        .collect();
    let wanted: Option<u32> = match chain {
        Some(ch) => Some(ids.iter().position(|&x| x == ch).map(|p| p as u32).ok_or(StoreError::NotFound)?),
        None => None,
    };
    let in_view = |i: u32| -> bool {
        let c = a.cases[i as usize].chain;
        match wanted {
            Some(w) => c == Some(w),
            // The whole outbreak: every case, linked or not, and the unobserved infectors.
            None => true,
        }
    };
    let mut nodes = Vec::new();
    let mut node_ids: HashMap<firebreak_chains::Node, String> = HashMap::new();
    for (i, rep) in a.cases.iter().enumerate() {
        if nodes.len() >= max_nodes {
            break;
        }
        if in_view(i as u32) {
            let id = format!("c{}", l.case_ids[i]);
            node_ids.insert(firebreak_chains::Node::Case(i as u32), id.clone());
            nodes.push(GraphNode {
                id,
                label: l.labels.cases[i].id.clone(),
                case_id: Some(l.case_ids[i]),
                generation: rep.generation,
                onset: l.onsets[i].map(|d| d.to_string()),
                infectees: rep.infectees,
            });
        }
    }
    let mut edges = Vec::new();
    for (link, rep) in l.input.links.iter().zip(&a.links) {
        if !matches!(rep.status, firebreak_chains::LinkStatus::Resolved | firebreak_chains::LinkStatus::Unobserved) {
            continue;
        }
        let Some(target) = node_ids.get(&firebreak_chains::Node::Case(link.infectee)).cloned() else { continue };
        let from = link.infector;
        let source = match node_ids.get(&from) {
            Some(s) => s.clone(),
            None => match from {
                firebreak_chains::Node::Unobserved(u) => {
                    let id = format!("u{u}");
                    node_ids.insert(from, id.clone());
                    nodes.push(GraphNode {
                        id: id.clone(),
                        label: l.labels.unobserved[u as usize].id.clone(),
                        case_id: None,
                        generation: None,
                        onset: None,
                        infectees: a.unobserved_infectees[u as usize],
                    });
                    id
                }
                firebreak_chains::Node::Case(_) => continue,
            },
        };
        let certainty = match link.certainty {
            Certainty::Confirmed => "confirmed",
            Certainty::Probable => "probable",
            Certainty::Possible => "possible",
        };
        edges.push(GraphEdge { source, target, certainty: certainty.into(), serial_interval: rep.serial_interval });
    }
    let summary =
        serde_json::to_value(l.summary(10).map_err(|e| StoreError::Db(sqlx::Error::Protocol(e.to_string())))?)
            .unwrap_or_default();
    Ok(ChainGraph { summary, chains, nodes, edges })
}

// ------------------------------------------------------------------------------ golden 24 hours

#[derive(sqlx::FromRow)]
struct G24Row {
    reporting_jurisdiction: String,
    reporting_name: String,
    created_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    contacts: i64,
    last_identified: Option<DateTime<Utc>>,
    controlled: i64,
    last_controlled: Option<DateTime<Utc>>,
}

/// Golden-24-hours figures of one jurisdiction on one day (the day the case entered the platform).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Golden24 {
    pub jurisdiction: String,
    pub jurisdiction_name: String,
    pub day: NaiveDate,
    pub cases: i64,
    /// Cases whose investigation was completed within 24 h of the report.
    pub investigated_24h: i64,
    /// Cases with at least one close or secondary contact.
    pub with_contacts: i64,
    /// … all of whose contacts were identified within 24 h of the report.
    pub identified_24h: i64,
    /// … all of whose contacts were placed under control within 24 h of the report.
    pub controlled_24h: i64,
}

/// Per reporting jurisdiction and day (in `tz`), from each case's report into the platform
/// (`created_at`) to: investigation completed, all contacts identified, all contacts placed
/// under control. Cases inside `scope` entered between `from` and `to` (local days, inclusive).
pub async fn golden24(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<Vec<Golden24>, StoreError> {
    let start =
        from.and_hms_opt(0, 0, 0).and_then(|d| d.and_local_timezone(tz).earliest()).map(|d| d.with_timezone(&Utc));
    let end = to
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_local_timezone(tz).earliest())
        .map(|d| d.with_timezone(&Utc));
    let (Some(start), Some(end)) = (start, end) else { return Err(invalid("from", "not a valid day")) };
    let rows: Vec<G24Row> = db_run!(db, pool => sqlx::query_as::<_, G24Row>(
        "SELECT c.reporting_jurisdiction, j.name AS reporting_name, c.created_at, c.completed_at, \
         (SELECT COUNT(*) FROM contacts k WHERE k.case_id = c.id AND k.classification <> 'other') AS contacts, \
         (SELECT MAX(k.identified_at) FROM contacts k WHERE k.case_id = c.id AND k.classification <> 'other') AS last_identified, \
         (SELECT COUNT(k.controlled_at) FROM contacts k WHERE k.case_id = c.id AND k.classification <> 'other') AS controlled, \
         (SELECT MAX(k.controlled_at) FROM contacts k WHERE k.case_id = c.id AND k.classification <> 'other') AS last_controlled \
         FROM cases c JOIN jurisdictions j ON j.code = c.reporting_jurisdiction \
         WHERE j.path LIKE $1 AND c.created_at >= $2 AND c.created_at < $3")
        .bind(scope.like()).bind(start).bind(end).fetch_all(pool).await)?;
    audit::record(
        db,
        AuditEvent::new(actor, "list", "golden24")
            .jurisdiction(&scope.code)
            .detail(serde_json::json!({"from": from, "to": to, "cases": rows.len()})),
    )
    .await?;
    let day = chrono::Duration::hours(24);
    let mut out: std::collections::BTreeMap<(NaiveDate, String), Golden24> = std::collections::BTreeMap::new();
    for r in rows {
        let d = r.created_at.with_timezone(&tz).date_naive();
        let g = out.entry((d, r.reporting_jurisdiction.clone())).or_insert_with(|| Golden24 {
            jurisdiction: r.reporting_jurisdiction.clone(),
            jurisdiction_name: r.reporting_name.clone(),
            day: d,
            cases: 0,
            investigated_24h: 0,
            with_contacts: 0,
            identified_24h: 0,
            controlled_24h: 0,
        });
        g.cases += 1;
        if r.completed_at.is_some_and(|t| t - r.created_at <= day) {
            g.investigated_24h += 1;
        }
        if r.contacts > 0 {
            g.with_contacts += 1;
            if r.last_identified.is_some_and(|t| t - r.created_at <= day) {
                g.identified_24h += 1;
            }
            if r.controlled == r.contacts && r.last_controlled.is_some_and(|t| t - r.created_at <= day) {
                g.controlled_24h += 1;
            }
        }
    }
    Ok(out.into_values().collect())
}
