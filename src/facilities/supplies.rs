//! Supply requests of people under control (生活物资、药品、就医、困难帮扶): daily necessities,
//! medicine, medical visits, hardship relief. A request belongs to the jurisdiction of the person
//! (or the one given, inside the scope); it goes open → in_progress (assigned: who) → fulfilled
//! (when), or cancelled. Every list and change is recorded in the audit trail.

use super::{denied, one_of, opt_text};
use crate::audit::{self, Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::domain::{DomainError, check_len, check_text, clip};
use crate::jurisdictions::Scope;
use crate::people::StoreError;
use crate::{audit_append, db_run};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Kinds of request.
pub const KINDS: [&str; 5] = ["necessities", "medicine", "medical_visit", "hardship", "other"];
/// Statuses.
pub const STATUSES: [&str; 4] = ["open", "in_progress", "fulfilled", "cancelled"];

/// A stored request (the person's name masked per role by the caller's choice).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SupplyRequest {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub stay_id: Option<i64>,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// One of [`KINDS`].
    pub kind: String,
    pub detail: String,
    /// One of [`STATUSES`].
    pub status: String,
    pub requested_at: DateTime<Utc>,
    /// Who handles it (assigned).
    pub handled_by: Option<String>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_by: String,
    pub version: i64,
}

const SELECT: &str = "SELECT r.id, r.person_id, p.name, r.stay_id, r.jurisdiction_code, j.name AS jurisdiction_name, r.kind, r.detail, \
    r.status, r.requested_at, r.handled_by, r.fulfilled_at, r.note, r.created_by, r.version \
    FROM supply_requests r JOIN people p ON p.id = r.person_id JOIN jurisdictions j ON j.code = r.jurisdiction_code";

/// Input for a new request.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SupplyInput {
    pub person_id: i64,
    /// One of [`KINDS`].
    pub kind: String,
    /// What is needed (1..=500 characters).
    pub detail: String,
    /// Default: the person's jurisdiction.
    #[serde(default)]
    pub jurisdiction: Option<String>,
}

/// Records a request for a person inside `scope`; it is linked to the person's active stay, if any.
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, s: &SupplyInput) -> Result<i64, StoreError> {
    let mut errs = Vec::new();
    let kind = one_of(&mut errs, "kind", &s.kind, &KINDS);
    let detail = s.detail.trim().to_string();
    if detail.is_empty() {
        errs.push(DomainError::new("detail", "say what is needed"));
    } else if let Err(e) = check_len("detail", &detail, 500).and_then(|_| check_text("detail", &detail)) {
        errs.push(e);
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let person = crate::people::get(db, scope, actor, s.person_id).await?;
    let jcode = match s.jurisdiction.as_deref().map(str::trim).filter(|j| !j.is_empty()) {
        Some(j) => super::unit_in_scope(db, scope, actor, "supply_request", "create", j).await?,
        None => person.jurisdiction_code.clone(),
    };
    let now = crate::db::now();
    let id = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let stay: Option<i64> = sqlx::query_scalar("SELECT id FROM quarantine_stays WHERE person_id = $1 AND status = 'active' ORDER BY id DESC LIMIT 1")
            .bind(person.id).fetch_optional(&mut *tx).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO supply_requests (person_id, stay_id, jurisdiction_code, kind, detail, status, requested_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id")
            .bind(person.id).bind(stay).bind(&jcode).bind(kind).bind(&detail).bind(now).bind(&actor.username)
            .fetch_one(&mut *tx).await?;
        audit_append!(tx, &AuditEvent::new(actor, "create", "supply_request").id(id).jurisdiction(&jcode)
            .detail(serde_json::json!({"person": person.id, "kind": kind})));
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await)?;
    Ok(id)
}

/// List filter.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
pub struct SupplyFilter {
    /// One of [`STATUSES`]; default: open and in progress.
    pub status: Option<String>,
    pub kind: Option<String>,
}

/// Requests inside `scope` (at most 1,000, oldest first); the list read is recorded.
pub async fn list(db: &Db, scope: &Scope, actor: &Actor, f: &SupplyFilter) -> Result<Vec<SupplyRequest>, StoreError> {
    let mut errs = Vec::new();
    let status =
        f.status.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| one_of(&mut errs, "status", s, &STATUSES));
    let kind = f.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| one_of(&mut errs, "kind", s, &KINDS));
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let mut sql = format!("{SELECT} WHERE j.path LIKE $1");
    sql.push_str(if status.is_some() {
        " AND r.status = $2"
    } else {
        " AND r.status IN ('open','in_progress') AND $2 = $2"
    });
    sql.push_str(if kind.is_some() { " AND r.kind = $3" } else { " AND $3 = $3" });
    sql.push_str(" ORDER BY r.requested_at, r.id LIMIT 1000");
    let rows: Vec<SupplyRequest> = db_run!(db, pool => sqlx::query_as::<_, SupplyRequest>(sqlx::AssertSqlSafe(sql))
        .bind(scope.like()).bind(status.unwrap_or("")).bind(kind.unwrap_or("")).fetch_all(pool).await)?;
    audit::record(
        db,
        AuditEvent::new(actor, "list", "supply_request")
            .jurisdiction(&scope.code)
            .detail(serde_json::json!({"filter": f, "rows": rows.len()})),
    )
    .await?;
    Ok(rows)
}

/// A change of a request's status.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SupplyUpdate {
    /// `in_progress` (assign), `fulfilled` or `cancelled`.
    pub status: String,
    /// Who handles it; default: the user making the change.
    #[serde(default)]
    pub handled_by: Option<String>,
    /// What was done, or why it was cancelled (required to cancel).
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
}

/// Assigns, fulfils or cancels a request inside `scope`. Allowed: open → in_progress, open or
/// in_progress → fulfilled or cancelled; a finished request does not change (422 `status`).
pub async fn update(db: &Db, scope: &Scope, actor: &Actor, id: i64, u: &SupplyUpdate) -> Result<(), StoreError> {
    let sql = format!("{SELECT} WHERE r.id = $1 AND j.path LIKE $2");
    let old: Option<SupplyRequest> = db_run!(db, pool => sqlx::query_as::<_, SupplyRequest>(sqlx::AssertSqlSafe(sql))
        .bind(id).bind(scope.like()).fetch_optional(pool).await)?;
    let Some(old) = old else {
        let j: Option<String> = db_run!(db, pool => sqlx::query_scalar::<_, String>("SELECT jurisdiction_code FROM supply_requests WHERE id = $1")
            .bind(id).fetch_optional(pool).await)?;
        if let Some(j) = j {
            denied(db, actor, "supply_request", "update", Some(id), Some(&j), "outside the user's jurisdiction")
                .await?;
        }
        return Err(StoreError::NotFound);
    };
    if u.version.is_some_and(|v| v != old.version) {
        return Err(StoreError::Conflict {
            field: "version",
            message: "this request was changed meanwhile; reload".into(),
        });
    }
    let mut errs = Vec::new();
    let to = u.status.trim();
    let handled_by = opt_text(&mut errs, "handled_by", u.handled_by.as_deref(), 50)
        .or(old.handled_by.clone())
        .unwrap_or_else(|| actor.username.clone());
    let note = opt_text(&mut errs, "note", u.note.as_deref(), 500);
    let ok = matches!(
        (old.status.as_str(), to),
        ("open", "in_progress") | ("open" | "in_progress", "fulfilled" | "cancelled")
    );
    if !ok {
        errs.push(DomainError::new(
            "status",
            format!("a request that is {} cannot become \"{}\"", old.status, clip(to)),
        ));
    }
    if to == "cancelled" && note.is_none() {
        errs.push(DomainError::new("note", "say why the request is cancelled"));
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let now = crate::db::now();
    let fulfilled_at = if to == "fulfilled" { Some(now) } else { None };
    let n = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let n = sqlx::query("UPDATE supply_requests SET status = $1, handled_by = $2, note = COALESCE($3, note), fulfilled_at = $4, version = version + 1 \
             WHERE id = $5 AND version = $6")
            .bind(to).bind(&handled_by).bind(note.as_deref()).bind(fulfilled_at).bind(id).bind(old.version)
            .execute(&mut *tx).await?.rows_affected();
        audit_append!(tx, &AuditEvent::new(actor, "update", "supply_request").id(id).jurisdiction(&old.jurisdiction_code)
            .detail(serde_json::json!({"from": old.status, "to": to, "handled_by": handled_by})));
        if n == 1 { tx.commit().await?; } else { tx.rollback().await?; }
        Ok::<_, sqlx::Error>(n)
    }.await)?;
    if n != 1 {
        return Err(StoreError::Conflict {
            field: "version",
            message: "this request was changed meanwhile; reload".into(),
        });
    }
    Ok(())
}
