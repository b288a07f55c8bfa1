//! Clusters (聚集性疫情): named events or places with the cases linked to them.
//!
//! A cluster belongs to a jurisdiction and is scoped like cases: it is seen, changed and given
//! cases only inside the caller's scope, and only cases inside the scope can be assigned to it.
//! Writes are audited in the same transaction; reading a cluster's case list is recorded (it
//! names people). Imports that name a cluster per row (DS4C `infection_case`) keep the text in
//! `cases.cluster`; [`from_import_labels`] turns those labels into clusters of the source.

use crate::audit::{self, Actor, AuditEvent};
use crate::db::{BeginWrite, Db, is_unique_violation};
use crate::domain::{DomainError, check_len, check_text};
use crate::jurisdictions::{self, Scope};
use crate::people::StoreError;
use crate::{audit_append, db_run};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Kinds of cluster (聚集性疫情类型).
pub const CLUSTER_KINDS: [&str; 12] = [
    "household",
    "workplace",
    "school",
    "care_home",
    "hospital",
    "restaurant",
    "shop",
    "gathering",
    "transport",
    "worship",
    "community",
    "other",
];

/// A cluster with its case count and date span.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ClusterRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub place_id: Option<i64>,
    pub place_name: Option<String>,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub identified_on: Option<NaiveDate>,
    /// `active` or `closed`.
    pub status: String,
    pub notes: Option<String>,
    pub source: String,
    pub created_at: DateTime<Utc>,
    /// Cases linked to the cluster.
    pub cases: i64,
    /// Earliest symptom onset among them.
    pub first_onset: Option<NaiveDate>,
    /// Latest report date among them.
    pub last_report: Option<NaiveDate>,
}

const SELECT: &str = "SELECT k.id, k.name, k.kind, k.place_id, pl.name AS place_name, k.jurisdiction_code, j.name AS jurisdiction_name, \
    k.identified_on, k.status, k.notes, k.source, k.created_at, \
    (SELECT COUNT(*) FROM cluster_cases cc WHERE cc.cluster_id = k.id) AS cases, \
    (SELECT MIN(c.onset_date) FROM cluster_cases cc JOIN cases c ON c.id = cc.case_id WHERE cc.cluster_id = k.id) AS first_onset, \
    (SELECT MAX(c.report_date) FROM cluster_cases cc JOIN cases c ON c.id = cc.case_id WHERE cc.cluster_id = k.id) AS last_report \
    FROM clusters k JOIN jurisdictions j ON j.code = k.jurisdiction_code LEFT JOIN places pl ON pl.id = k.place_id";

/// A new cluster (API body and form).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewCluster {
    /// Unique inside its jurisdiction, e.g. "某超市聚集性疫情".
    pub name: String,
    /// household, workplace, school, care_home, hospital, restaurant, shop, gathering,
    /// transport, worship, community, other.
    pub kind: String,
    /// Jurisdiction code (inside the caller's scope).
    pub jurisdiction: String,
    /// A place of the itinerary registry, when the cluster has one.
    #[serde(default)]
    pub place_id: Option<i64>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub identified_on: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Clusters inside `scope` (the jurisdiction filter inside it), newest first.
pub async fn list(db: &Db, scope: &Scope, jurisdiction: Option<&str>) -> Result<Vec<ClusterRow>, StoreError> {
    let like = super::filter_like(db, scope, jurisdiction).await?;
    let sql = format!("{SELECT} WHERE j.path LIKE $1 ORDER BY k.status, k.created_at DESC, k.id DESC LIMIT 1000");
    Ok(db_run!(db, p => sqlx::query_as::<_, ClusterRow>(sqlx::AssertSqlSafe(sql)).bind(like).fetch_all(p).await)?)
}

/// One cluster inside `scope` (not found outside).
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<ClusterRow, StoreError> {
    let sql = format!("{SELECT} WHERE k.id = $1 AND j.path LIKE $2");
    db_run!(db, p => sqlx::query_as::<_, ClusterRow>(sqlx::AssertSqlSafe(sql)).bind(id).bind(scope.like()).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// The cluster and its cases inside `scope` (a case reported outside the scope is not listed);
/// the read of the case list is recorded.
pub async fn detail(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
) -> Result<(ClusterRow, Vec<super::CaseRow>), StoreError> {
    let k = get(db, scope, id).await?;
    let f =
        super::CaseFilter { cluster: Some(id), per_page: Some(200), sort: Some("onset".into()), ..Default::default() };
    let (rows, _) = super::list(db, scope, actor, &f).await?;
    Ok((k, rows))
}

/// Clusters of one case (inside `scope`).
pub async fn of_case(db: &Db, scope: &Scope, case_id: i64) -> Result<Vec<ClusterRow>, StoreError> {
    let sql = format!(
        "{SELECT} WHERE j.path LIKE $1 AND k.id IN (SELECT cluster_id FROM cluster_cases WHERE case_id = $2) ORDER BY k.id"
    );
    Ok(
        db_run!(db, p => sqlx::query_as::<_, ClusterRow>(sqlx::AssertSqlSafe(sql)).bind(scope.like()).bind(case_id).fetch_all(p).await)?,
    )
}

/// Creates a cluster inside `scope`. A second cluster of the same name in the same jurisdiction
/// is a [`StoreError::Conflict`]. Returns its id.
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, k: &NewCluster) -> Result<i64, StoreError> {
    let mut e = vec![];
    let name = k.name.trim().to_string();
    if name.is_empty() {
        e.push(DomainError::new("name", "is required"));
    } else if let Err(x) = check_len("name", &name, 100).and_then(|_| check_text("name", &name)) {
        e.push(x);
    }
    if !CLUSTER_KINDS.contains(&k.kind.as_str()) {
        e.push(DomainError::new("kind", format!("\"{}\": one of {}", k.kind, CLUSTER_KINDS.join(", "))));
    }
    let identified = match k.identified_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d > super::manual::today_cn() => {
                e.push(DomainError::new("identified_on", format!("{d} is in the future")));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                e.push(DomainError::new("identified_on", format!("\"{s}\" is not a date (YYYY-MM-DD)")));
                None
            }
        },
    };
    let notes = k.notes.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(n) = &notes
        && let Err(x) = check_len("notes", n, 2000).and_then(|_| check_text("notes", n))
    {
        e.push(x);
    }
    if !e.is_empty() {
        return Err(StoreError::Invalid(e));
    }
    let j = match jurisdictions::in_scope(db, scope, &k.jurisdiction).await {
        Ok(j) => j,
        Err(StoreError::Forbidden(m)) => {
            let ev = AuditEvent::new(actor, "denied", "cluster")
                .jurisdiction(&k.jurisdiction)
                .detail(serde_json::json!({"op": "create", "reason": m}));
            audit::record(db, ev).await?;
            return Err(StoreError::Forbidden(m));
        }
        Err(e) => return Err(e),
    };
    if let Some(p) = k.place_id {
        super::manual::get_place(db, scope, p).await.map_err(|e| match e {
            StoreError::NotFound => StoreError::Invalid(vec![DomainError::new(
                "place_id",
                format!("place {p} is not a place in your jurisdiction"),
            )]),
            e => e,
        })?;
    }
    let now = crate::db::now();
    let res: Result<i64, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO clusters (name, kind, place_id, jurisdiction_code, identified_on, notes, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id")
            .bind(&name).bind(&k.kind).bind(k.place_id).bind(&j.code).bind(identified).bind(&notes).bind(&actor.username).bind(now)
            .fetch_one(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "cluster").id(id).jurisdiction(&j.code).detail(serde_json::json!({"name": name, "kind": k.kind}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await);
    match res {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict {
            field: "name",
            message: format!("{} already has a cluster named \"{name}\"", j.name),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Sets a cluster's status (`active`, `closed`).
pub async fn set_status(db: &Db, scope: &Scope, actor: &Actor, id: i64, status: &str) -> Result<(), StoreError> {
    if !["active", "closed"].contains(&status) {
        return Err(StoreError::Invalid(vec![DomainError::new("status", format!("\"{status}\": active or closed"))]));
    }
    let k = get(db, scope, id).await?;
    let now = crate::db::now();
    db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        sqlx::query("UPDATE clusters SET status = $1, updated_at = $2 WHERE id = $3").bind(status).bind(now).bind(id).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "update", "cluster").id(id).jurisdiction(&k.jurisdiction_code)
            .detail(serde_json::json!({"fields": ["status"], "from": k.status, "to": status}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await)?;
    Ok(())
}

/// Links case `case_id` to cluster `id` (both inside `scope`). Linking twice changes nothing.
/// Returns whether a link was added.
pub async fn assign(db: &Db, scope: &Scope, actor: &Actor, id: i64, case_id: i64) -> Result<bool, StoreError> {
    let k = get(db, scope, id).await?;
    let c = super::get(db, scope, actor, case_id).await?;
    let now = crate::db::now();
    Ok(db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let n = sqlx::query("INSERT INTO cluster_cases (cluster_id, case_id, added_by, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (cluster_id, case_id) DO NOTHING")
            .bind(k.id).bind(c.id).bind(&actor.username).bind(now).execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            let ev = AuditEvent::new(actor, "update", "cluster").id(k.id).jurisdiction(&k.jurisdiction_code)
                .detail(serde_json::json!({"op": "add_case", "case": c.id}));
            audit_append!(tx, &ev);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(n == 1)
    }.await)?)
}

/// Removes case `case_id` from cluster `id` (both inside `scope`). Not linked: not found.
pub async fn unassign(db: &Db, scope: &Scope, actor: &Actor, id: i64, case_id: i64) -> Result<(), StoreError> {
    let k = get(db, scope, id).await?;
    let c = super::get(db, scope, actor, case_id).await?;
    let n = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let n = sqlx::query("DELETE FROM cluster_cases WHERE cluster_id = $1 AND case_id = $2")
            .bind(k.id).bind(c.id).execute(&mut *tx).await?.rows_affected();
        let ev = AuditEvent::new(actor, "update", "cluster").id(k.id).jurisdiction(&k.jurisdiction_code)
            .detail(serde_json::json!({"op": "remove_case", "case": c.id}));
        audit_append!(tx, &ev);
        if n == 1 { tx.commit().await?; } else { tx.rollback().await?; }
        Ok::<_, sqlx::Error>(n)
    }.await)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Turns the cluster labels of a source's imported cases (`cases.cluster`, e.g. DS4C's
/// `infection_case` "Shincheonji Church") into clusters under the source's root jurisdiction and
/// links the cases; idempotent (existing clusters and links are kept). Returns (clusters created,
/// links added).
pub async fn from_import_labels(
    db: &Db,
    actor: &Actor,
    source: &str,
    root: &str,
) -> Result<(usize, usize), sqlx::Error> {
    let now = crate::db::now();
    db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let labels: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT cluster FROM cases WHERE source = $1 AND cluster IS NOT NULL AND cluster <> '' ORDER BY cluster")
            .bind(source).fetch_all(&mut *tx).await?;
        let (mut made, mut linked) = (0usize, 0usize);
        for label in &labels {
            let name: String = label.chars().take(100).collect();
            let n = sqlx::query("INSERT INTO clusters (name, kind, jurisdiction_code, source, created_by, created_at, updated_at) \
                 VALUES ($1, 'other', $2, $3, $4, $5, $5) ON CONFLICT (jurisdiction_code, name) DO NOTHING")
                .bind(&name).bind(root).bind(source).bind(&actor.username).bind(now).execute(&mut *tx).await?.rows_affected();
            made += n as usize;
            let id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE jurisdiction_code = $1 AND name = $2")
                .bind(root).bind(&name).fetch_one(&mut *tx).await?;
            let n = sqlx::query("INSERT INTO cluster_cases (cluster_id, case_id, added_by, added_at) \
                 SELECT $1, c.id, $2, $3 FROM cases c WHERE c.source = $4 AND c.cluster = $5 ON CONFLICT (cluster_id, case_id) DO NOTHING")
                .bind(id).bind(&actor.username).bind(now).bind(source).bind(label).execute(&mut *tx).await?.rows_affected();
            linked += n as usize;
        }
        if made + linked > 0 {
            let ev = AuditEvent::new(actor, "import", "cluster").jurisdiction(root)
                .detail(serde_json::json!({"source": source, "clusters_new": made, "case_links_new": linked}));
            audit_append!(tx, &ev);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>((made, linked))
    }.await)
}
