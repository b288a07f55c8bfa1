//! Recomputing stored schedules after a profile change or a correction of a person's start date:
//! a preview lists whose end date and test days change; the change is applied only when
//! confirmed, in one transaction, logged in `schedule_recomputations` and the audit trail.
//!
//! The planning step ([`plan`]) is pure and allocation-light; the write step rewrites only the
//! stays whose schedule changes, with multi-row statements (1,000 rows a statement).

use super::schedule::{self, Change, Schedule};
use super::{ScheduleRow, schedule_of};
use crate::audit::{Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::jurisdictions::Scope;
use crate::people::StoreError;
use crate::tracing::policy::Profile;
use crate::{audit_append, db_run};
use chrono::{NaiveDate, Utc};
use serde::Serialize;

/// One open stay as the planner sees it.
#[derive(Debug, Clone)]
pub struct OpenStay {
    pub id: i64,
    pub person_name: String,
    pub kind: String,
    pub profile: String,
    pub start: NaiveDate,
    pub schedule: Schedule,
    /// Measures already completed (released from): history, kept as they were.
    pub done: Vec<super::rules::Measure>,
}

/// One stay whose schedule changes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Planned {
    pub stay_id: i64,
    pub person_name: String,
    pub control_kind: String,
    pub profile_from: String,
    /// The new start date (a date correction) or the same.
    pub start_date: NaiveDate,
    #[serde(flatten)]
    pub change: Change,
    /// The new profile no longer controls this kind: control ends (see [`schedule::rebase`]).
    pub ends_control: bool,
    #[serde(skip)]
    pub schedule: Schedule,
}

/// The preview (or, once applied, the record) of a recomputation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub profile_to: String,
    pub profile_version: u32,
    pub as_of: NaiveDate,
    /// Open stays looked at.
    pub stays: usize,
    /// Those whose schedule changes.
    pub changed: Vec<Planned>,
    /// Set when applied: the `schedule_recomputations` row.
    pub recomputation_id: Option<i64>,
}

/// Plans the recomputation of `stays` under `target` from `as_of` on (pure). `start` overrides
/// every stay's start date (a correction of one person's dates).
pub fn plan(stays: &[OpenStay], target: &Profile, as_of: NaiveDate, start: Option<NaiveDate>) -> Vec<Planned> {
    let mut out = Vec::new();
    let mut buf = Schedule::default();
    for s in stays {
        let start = start.unwrap_or(s.start);
        let computed = schedule::compute_into(&target.code, &target.quarantine, &s.kind, start, &mut buf).is_ok();
        let mut new = schedule::rebase(&s.schedule, computed.then_some(&buf), as_of);
        for m in new.measures.iter_mut().filter(|m| s.done.contains(&m.measure)) {
            if let Some(old) = s.schedule.measures.iter().find(|o| o.measure == m.measure) {
                *m = *old;
            }
        }
        if let Some(change) = schedule::diff(&s.schedule, &new) {
            out.push(Planned {
                stay_id: s.id,
                person_name: s.person_name.clone(),
                control_kind: s.kind.clone(),
                profile_from: s.profile.clone(),
                start_date: start,
                change,
                ends_control: !computed,
                schedule: new,
            });
        }
    }
    out
}

/// Loads the open (active) stays inside the scope with their stored schedules (`only`: one stay).
pub async fn open_stays(db: &Db, scope: &Scope, only: Option<i64>) -> Result<Vec<OpenStay>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Head {
        id: i64,
        person_name: String,
        control_kind: String,
        profile: String,
        start_date: NaiveDate,
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        stay_id: i64,
        #[sqlx(flatten)]
        row: ScheduleRow,
    }
    const SCOPED: &str = "FROM quarantine_stays s JOIN people p ON p.id = s.person_id JOIN jurisdictions hj ON hj.code = s.home_jurisdiction \
        LEFT JOIN quarantine_facilities f ON f.id = s.facility_id LEFT JOIN jurisdictions fj ON fj.code = f.jurisdiction_code \
        WHERE s.status = 'active' AND (hj.path LIKE $1 OR fj.path LIKE $1) AND ($2 IS NULL OR s.id = $2)";
    let (heads, rows) = db_run!(db, p => {
        let heads = sqlx::query_as::<_, Head>(sqlx::AssertSqlSafe(format!(
            "SELECT s.id, p.name AS person_name, s.control_kind, s.profile, s.start_date {SCOPED} ORDER BY s.id")))
            .bind(scope.like()).bind(only).fetch_all(p).await?;
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT q.stay_id, q.id, q.item, q.measure, q.date_from, q.date_to, q.day, q.done_at FROM quarantine_schedule q \
             WHERE q.stay_id IN (SELECT s.id {SCOPED}) ORDER BY q.stay_id, q.id")))
            .bind(scope.like()).bind(only).fetch_all(p).await?;
        (heads, rows)
    });
    let mut out = Vec::with_capacity(heads.len());
    let mut i = 0;
    let mut group: Vec<ScheduleRow> = Vec::new();
    for h in heads {
        group.clear();
        while i < rows.len() && rows[i].stay_id < h.id {
            i += 1;
        }
        while i < rows.len() && rows[i].stay_id == h.id {
            group.push(rows[i].row.clone());
            i += 1;
        }
        out.push(OpenStay {
            id: h.id,
            person_name: h.person_name,
            kind: h.control_kind,
            profile: h.profile,
            start: h.start_date,
            schedule: schedule_of(&group),
            done: group
                .iter()
                .filter(|r| r.item == "measure" && r.done_at.is_some())
                .filter_map(|r| super::rules::Measure::parse(&r.measure))
                .collect(),
        });
    }
    Ok(out)
}

/// Previews (and with `confirm`, applies) the recomputation of every open stay in the scope
/// under `target` from `as_of`, or of one stay (`only`) with a corrected `start` date.
#[allow(clippy::too_many_arguments)]
pub async fn recompute(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    target: &Profile,
    as_of: NaiveDate,
    only: Option<i64>,
    start: Option<NaiveDate>,
    reason: &str,
    confirm: bool,
) -> Result<Preview, StoreError> {
    let stays = open_stays(db, scope, only).await?;
    if only.is_some() && stays.is_empty() {
        return Err(StoreError::NotFound);
    }
    let changed = plan(&stays, target, as_of, start);
    let mut preview = Preview {
        profile_to: target.code.clone(),
        profile_version: target.version,
        as_of,
        stays: stays.len(),
        changed,
        recomputation_id: None,
    };
    if !confirm {
        return Ok(preview);
    }
    let reason = reason.trim();
    if reason.chars().count() < 4 {
        return Err(StoreError::Invalid(vec![crate::domain::DomainError::new(
            "reason",
            "give a reason of at least 4 characters",
        )]));
    }
    preview.recomputation_id = Some(apply(db, actor, target, &stays, &preview, reason).await?);
    Ok(preview)
}

/// Writes a planned recomputation in one transaction; returns the `schedule_recomputations` id.
async fn apply(
    db: &Db,
    actor: &Actor,
    target: &Profile,
    stays: &[OpenStay],
    p: &Preview,
    reason: &str,
) -> Result<i64, sqlx::Error> {
    const CHUNK: usize = 1000;
    let now = crate::db::now();
    let mut from: Vec<&str> = stays.iter().map(|s| s.profile.as_str()).collect();
    from.sort_unstable();
    from.dedup();
    let sample: Vec<&Planned> = p.changed.iter().take(100).collect();
    let detail = serde_json::json!({"as_of": p.as_of, "profile_version": target.version, "changes": sample});
    let version = i64::from(target.version);
    db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        for chunk in p.changed.chunks(CHUNK) {
            let mut del = sqlx::QueryBuilder::new("DELETE FROM quarantine_schedule WHERE done_at IS NULL AND stay_id IN (");
            let mut sep = del.separated(", ");
            for c in chunk {
                sep.push_bind(c.stay_id);
            }
            del.push(")");
            del.build().execute(&mut *tx).await?;
            // Done rows stay: a done test of the same date and measure, or a done measure of the same kind, is not written again.
            let mut done = sqlx::QueryBuilder::new("SELECT stay_id, item, measure, date_to FROM quarantine_schedule WHERE stay_id IN (");
            let mut sep = done.separated(", ");
            for c in chunk {
                sep.push_bind(c.stay_id);
            }
            done.push(")");
            let kept: Vec<(i64, String, String, NaiveDate)> = done.build_query_as().fetch_all(&mut *tx).await?;
            let kept: std::collections::HashSet<(i64, String, String, Option<NaiveDate>)> = kept
                .into_iter()
                .map(|(s, item, m, d)| if item == "measure" { (s, item, m, None) } else { (s, item, m, Some(d)) })
                .collect();
            let mut rows: Vec<(i64, &'static str, &'static str, NaiveDate, NaiveDate, i64)> = Vec::new();
            for c in chunk {
                for m in &c.schedule.measures {
                    if !kept.contains(&(c.stay_id, "measure".into(), m.measure.as_str().into(), None)) {
                        rows.push((c.stay_id, "measure", m.measure.as_str(), m.from, m.to, i64::from(m.days)));
                    }
                }
                for t in &c.schedule.tests {
                    if !kept.contains(&(c.stay_id, "test".into(), t.measure.as_str().into(), Some(t.date))) {
                        rows.push((c.stay_id, "test", t.measure.as_str(), t.date, t.date, i64::from(t.day)));
                    }
                }
            }
            for part in rows.chunks(CHUNK) {
                let mut ins = sqlx::QueryBuilder::new("INSERT INTO quarantine_schedule (stay_id, item, measure, date_from, date_to, day) ");
                ins.push_values(part, |mut b, r| {
                    b.push_bind(r.0).push_bind(r.1).push_bind(r.2).push_bind(r.3).push_bind(r.4).push_bind(r.5);
                });
                ins.build().execute(&mut *tx).await?;
            }
            let mut upd = sqlx::QueryBuilder::new("UPDATE quarantine_stays SET end_date = v.column2, start_date = v.column3, profile = ");
            upd.push_bind(&target.code).push(", profile_version = ").push_bind(version)
                .push(", version = quarantine_stays.version + 1, status = CASE WHEN v.column4 = 1 THEN 'released' ELSE quarantine_stays.status END, \
                       released_at = CASE WHEN v.column4 = 1 THEN ").push_bind(now).push(" ELSE quarantine_stays.released_at END FROM (");
            upd.push_values(chunk, |mut b, c| {
                let end = c.schedule.end_date().unwrap_or(c.start_date);
                b.push_bind(c.stay_id).push_bind(end).push_bind(c.start_date).push_bind(i64::from(c.ends_control));
            });
            upd.push(") AS v WHERE quarantine_stays.id = v.column1");
            upd.build().execute(&mut *tx).await?;
        }
        let ended: Vec<i64> = p.changed.iter().filter(|c| c.ends_control).map(|c| c.stay_id).collect();
        for chunk in ended.chunks(CHUNK) {
            let mut q = sqlx::QueryBuilder::new("UPDATE quarantine_rooms SET status = 'cleaning', updated_at = ");
            q.push_bind(now).push(" WHERE id IN (SELECT room_id FROM quarantine_stays WHERE room_id IS NOT NULL AND id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")) AND NOT EXISTS (SELECT 1 FROM quarantine_stays o WHERE o.room_id = quarantine_rooms.id AND o.status = 'active')");
            q.build().execute(&mut *tx).await?;
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO schedule_recomputations (at, username, reason, profile_from, profile_to, stays, changed, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(now).bind(&actor.username).bind(reason).bind(from.join(",")).bind(&target.code).bind(stays.len() as i64)
            .bind(p.changed.len() as i64).bind(detail.to_string()).fetch_one(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "recompute", "quarantine_schedule").id(id)
            .detail(serde_json::json!({"profile_to": target.code, "as_of": p.as_of, "stays": stays.len(), "changed": p.changed.len(), "reason": reason}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await)
}

/// The recomputations applied so far, newest first.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Recomputation {
    pub id: i64,
    pub at: chrono::DateTime<Utc>,
    pub username: String,
    pub reason: String,
    pub profile_from: Option<String>,
    pub profile_to: String,
    pub stays: i64,
    pub changed: i64,
}

pub async fn history(db: &Db) -> Result<Vec<Recomputation>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, Recomputation>(
        "SELECT id, at, username, reason, profile_from, profile_to, stays, changed FROM schedule_recomputations ORDER BY id DESC LIMIT 50")
        .fetch_all(p).await)
}
