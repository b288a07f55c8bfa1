//! Closed-loop transfer tasks (闭环转运): one task per person, people picked up together share a
//! `household_key`. A task goes requested → dispatched → picked_up → handed_over, one step at a
//! time and never back, or is cancelled with a reason; each step is timestamped. The time from
//! "identified" (the desk contact's `identified_at`, or the time given by hand) to "handed over
//! at the facility" is the transfer's share of the golden-24-hours figure ([`timing`]).
//!
//! Scope: a task is visible to users whose subtree holds its pick-up unit or its facility's unit.
//! A destination must be an open facility the user sees ([`super::Access::See`]) with a free room
//! for the household: free rooms minus the rooms earlier tasks under way will take
//! ([`reserved_rooms`]); a full facility is refused.
//!
//! Touches the investigation desk: a task made from a contact reads `contacts` (its person, case,
//! classification, `identified_at`) through a scoped read of the case; handing over sets the
//! contact's `controlled_at` through [`crate::tracing::set_controlled`] (once, when still empty).
//! Touches the stays slice: [`awaiting_check_in`] lists handed-over tasks of a facility that no
//! `quarantine_stays.transfer_id` points to yet (the check-in form's list).

use super::{Access, denied, mask_name, one_of, opt_text};
use crate::audit::{self, Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::domain::{DomainError, check_len, clip, mask_id_number};
use crate::jurisdictions::Scope;
use crate::people::StoreError;
use crate::{audit_append, db_run};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Statuses in order; `cancelled` may end any task not yet handed over.
pub const STATUSES: [&str; 5] = ["requested", "dispatched", "picked_up", "handed_over", "cancelled"];
/// The steps a task goes through, in order.
pub const STEPS: [&str; 4] = ["requested", "dispatched", "picked_up", "handed_over"];
/// Kinds of person under control (the policy profile's kinds).
pub const CONTROL_KINDS: [&str; 6] =
    ["close-contact", "secondary-contact", "inbound", "high-risk-area", "medium-risk-area", "low-risk-area"];

/// A transfer task as listed (name masked per role, identity number always masked).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number: String,
    pub household_key: Option<String>,
    pub contact_id: Option<i64>,
    /// The desk case the contact belongs to, if any.
    pub case_id: Option<i64>,
    pub control_kind: String,
    pub pickup_address: String,
    pub pickup_jurisdiction: String,
    pub pickup_name: String,
    pub facility_id: i64,
    pub facility_name: String,
    pub vehicle: Option<String>,
    pub escort: Option<String>,
    pub status: String,
    pub identified_at: DateTime<Utc>,
    pub requested_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub handed_over_at: Option<DateTime<Utc>>,
    pub cancelled_reason: Option<String>,
    pub notes: Option<String>,
    pub created_by: String,
    pub version: i64,
    /// A stay was checked in from this task.
    pub checked_in: bool,
}

impl Transfer {
    /// Hours from identified to handed over (or to `now` while under way), one decimal.
    pub fn hours(&self, now: DateTime<Utc>) -> f64 {
        let end = self.handed_over_at.unwrap_or(now);
        ((end - self.identified_at).num_seconds() as f64 / 360.0).round() / 10.0
    }
    /// The next step, if any.
    pub fn next(&self) -> Option<&'static str> {
        next_step(&self.status)
    }
}

/// The step after `status` (`None` after handed_over and for cancelled).
pub fn next_step(status: &str) -> Option<&'static str> {
    let i = STEPS.iter().position(|s| *s == status)?;
    STEPS.get(i + 1).copied()
}

const SELECT: &str = "SELECT t.id, t.person_id, p.name, p.id_number, t.household_key, t.contact_id, k.case_id, t.control_kind, \
    t.pickup_address, t.pickup_jurisdiction, pj.name AS pickup_name, t.facility_id, f.name AS facility_name, t.vehicle, t.escort, \
    t.status, t.identified_at, t.requested_at, t.dispatched_at, t.picked_up_at, t.handed_over_at, t.cancelled_reason, t.notes, \
    t.created_by, t.version, EXISTS (SELECT 1 FROM quarantine_stays s WHERE s.transfer_id = t.id) AS checked_in \
    FROM transfers t JOIN people p ON p.id = t.person_id JOIN jurisdictions pj ON pj.code = t.pickup_jurisdiction \
    JOIN quarantine_facilities f ON f.id = t.facility_id JOIN jurisdictions fj ON fj.code = f.jurisdiction_code \
    LEFT JOIN contacts k ON k.id = t.contact_id";

/// The visibility condition (`$n` = `scope.like()`).
fn visible(n: usize) -> String {
    format!("(pj.path LIKE ${n} OR fj.path LIKE ${n})")
}

fn masked(mut t: Transfer, full_names: bool) -> Transfer {
    t.id_number = mask_id_number(&t.id_number);
    if !full_names {
        t.name = mask_name(&t.name);
    }
    t
}

/// Input for a new task (API JSON body or web form). Give `contact_id` (a contact on the
/// investigation desk: person, kind and identified time come from it) or `person_id`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TransferInput {
    #[serde(default)]
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub person_id: Option<i64>,
    /// People picked up together share a key (and a room): e.g. the address.
    #[serde(default)]
    pub household_key: Option<String>,
    /// One of [`CONTROL_KINDS`]; from a contact: its classification.
    #[serde(default)]
    pub control_kind: Option<String>,
    /// Default: the person's registered address.
    #[serde(default)]
    pub pickup_address: Option<String>,
    /// Default: the person's jurisdiction.
    #[serde(default)]
    pub pickup_jurisdiction: Option<String>,
    pub facility_id: i64,
    #[serde(default)]
    pub vehicle: Option<String>,
    #[serde(default)]
    pub escort: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// When the person was identified as needing control (RFC 3339); from a contact: its
    /// `identified_at`; default: now.
    #[serde(default)]
    pub identified_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ContactRef {
    case_id: i64,
    person_id: i64,
    classification: String,
    identified_at: DateTime<Utc>,
    controlled_at: Option<DateTime<Utc>>,
}

async fn contact(db: &Db, id: i64) -> Result<Option<ContactRef>, sqlx::Error> {
    db_run!(db, pool => sqlx::query_as::<_, ContactRef>(
        "SELECT case_id, person_id, classification, identified_at, controlled_at FROM contacts WHERE id = $1")
        .bind(id).fetch_optional(pool).await)
}

/// The contact id of (case, person), if that person is a contact of the case.
pub async fn contact_id_of(db: &Db, case_id: i64, person_id: i64) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM contacts WHERE case_id = $1 AND person_id = $2")
        .bind(case_id).bind(person_id).fetch_optional(pool).await)
}

/// Rooms the tasks under way to a facility will take: one per household (or person without a
/// household) among tasks requested, dispatched, picked up, or handed over without a stay yet.
pub async fn reserved_rooms(db: &Db, facility_id: i64) -> Result<i64, sqlx::Error> {
    db_run!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(DISTINCT COALESCE(household_key, 'person:' || CAST(person_id AS TEXT))) FROM transfers t \
         WHERE t.facility_id = $1 AND (t.status IN ('requested','dispatched','picked_up') \
         OR (t.status = 'handed_over' AND NOT EXISTS (SELECT 1 FROM quarantine_stays s WHERE s.transfer_id = t.id)))")
        .bind(facility_id).fetch_one(pool).await)
}

/// Tasks requested, dispatched or picked up, visible in `scope`.
pub async fn under_way(db: &Db, scope: &Scope) -> Result<i64, sqlx::Error> {
    db_run!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM transfers t JOIN jurisdictions pj ON pj.code = t.pickup_jurisdiction \
         JOIN quarantine_facilities f ON f.id = t.facility_id JOIN jurisdictions fj ON fj.code = f.jurisdiction_code \
         WHERE t.status IN ('requested','dispatched','picked_up') AND (pj.path LIKE $1 OR fj.path LIKE $1)")
        .bind(scope.like()).fetch_one(pool).await)
}

/// Creates a task. Refused: a person with a task under way or an active stay (409 `person_id`),
/// a closed or full facility (409 `facility_id`), a facility or person outside the scope.
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, t: &TransferInput) -> Result<i64, StoreError> {
    let mut errs = Vec::new();
    let now = crate::db::now();
    // Who, and why.
    let (person_id, contact_id, kind_default, identified_default) = match (t.contact_id, t.person_id) {
        (Some(cid), pid) => {
            let Some(c) = contact(db, cid).await? else {
                return Err(StoreError::Invalid(vec![DomainError::new(
                    "contact_id",
                    format!("{cid} is not a contact"),
                )]));
            };
            // The contact's case must lie in the scope (read recorded, refusal recorded).
            crate::tracing::get(db, scope, actor, c.case_id).await?;
            if pid.is_some_and(|p| p != c.person_id) {
                errs.push(DomainError::new(
                    "person_id",
                    format!("contact {cid} is person {}, not {}", c.person_id, pid.unwrap_or(0)),
                ));
            }
            let kind = if c.classification == "secondary" { "secondary-contact" } else { "close-contact" };
            (c.person_id, Some(cid), kind, c.identified_at)
        }
        (None, Some(pid)) => (pid, None, "close-contact", now),
        (None, None) => {
            return Err(StoreError::Invalid(vec![DomainError::new("person_id", "give a contact_id or a person_id")]));
        }
    };
    let person = if contact_id.is_some() {
        // The person of a contact of a case in scope: read without the people scope (a contact
        // may live outside the investigator's unit), recorded.
        let p: Option<(String, Option<String>, String)> = db_run!(db, pool => sqlx::query_as(
            "SELECT p.jurisdiction_code, p.address, j.name FROM people p JOIN jurisdictions j ON j.code = p.jurisdiction_code WHERE p.id = $1")
            .bind(person_id).fetch_optional(pool).await)?;
        let p = p.ok_or(StoreError::NotFound)?;
        audit::record(
            db,
            AuditEvent::new(actor, "read", "person")
                .id(person_id)
                .jurisdiction(&p.0)
                .detail(serde_json::json!({"via": "contact", "contact": contact_id})),
        )
        .await?;
        p
    } else {
        let p = crate::people::get(db, scope, actor, person_id).await?;
        (p.jurisdiction_code, p.address, p.jurisdiction_name)
    };
    let control_kind = one_of(
        &mut errs,
        "control_kind",
        t.control_kind.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or(kind_default),
        &CONTROL_KINDS,
    );
    let household_key = opt_text(&mut errs, "household_key", t.household_key.as_deref(), 100);
    let vehicle = opt_text(&mut errs, "vehicle", t.vehicle.as_deref(), 50);
    let escort = opt_text(&mut errs, "escort", t.escort.as_deref(), 100);
    let notes = opt_text(&mut errs, "notes", t.notes.as_deref(), 500);
    let pickup_address = match opt_text(&mut errs, "pickup_address", t.pickup_address.as_deref(), 200) {
        Some(a) => a,
        None => match &person.1 {
            Some(a) if !a.trim().is_empty() => format!("{} {}", person.2, a.trim()),
            _ => {
                errs.push(DomainError::new("pickup_address", "is required (the person has no registered address)"));
                String::new()
            }
        },
    };
    let identified_at = t.identified_at.unwrap_or(identified_default);
    if identified_at > now + chrono::Duration::minutes(5) {
        errs.push(DomainError::new(
            "identified_at",
            format!("{} is in the future", identified_at.format("%Y-%m-%d %H:%M")),
        ));
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    // A pick-up unit other than the person's own must lie in the user's scope (it decides who
    // sees the task).
    let pickup = match t.pickup_jurisdiction.as_deref().map(str::trim).filter(|s| !s.is_empty() && *s != person.0) {
        Some(code) => match super::unit_in_scope(db, scope, actor, "transfer", "create", code).await {
            Ok(c) => c,
            Err(StoreError::Invalid(_)) => {
                return Err(StoreError::Invalid(vec![DomainError::new(
                    "pickup_jurisdiction",
                    format!("\"{}\" is not a known jurisdiction code", clip(code)),
                )]));
            }
            Err(e) => return Err(e),
        },
        None => person.0.clone(),
    };
    let f = super::get(db, scope, actor, t.facility_id, Access::See).await?;
    if f.status != "open" {
        return Err(StoreError::Conflict { field: "facility_id", message: format!("{} is closed", f.name) });
    }
    // 0 ok, 1 person busy (task), 2 person in a stay, 3 full.
    let (outcome, id, free, reserved): (u8, i64, i64, i64) = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        // Serialises task creation per facility on PostgreSQL (a row lock); SQLite's write lock
        // already does.
        sqlx::query("UPDATE quarantine_facilities SET version = version WHERE id = $1").bind(f.id).execute(&mut *tx).await?;
        let busy: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transfers WHERE person_id = $1 AND status IN ('requested','dispatched','picked_up')")
            .bind(person_id).fetch_one(&mut *tx).await?;
        if busy > 0 {
            tx.rollback().await?;
            return Ok::<_, sqlx::Error>((1, 0, 0, 0));
        }
        let staying: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quarantine_stays WHERE person_id = $1 AND status = 'active' AND facility_id IS NOT NULL")
            .bind(person_id).fetch_one(&mut *tx).await?;
        if staying > 0 {
            tx.rollback().await?;
            return Ok((2, 0, 0, 0));
        }
        let free: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quarantine_rooms WHERE facility_id = $1 AND status = 'free'")
            .bind(f.id).fetch_one(&mut *tx).await?;
        let reserved: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT COALESCE(household_key, 'person:' || CAST(person_id AS TEXT))) FROM transfers t \
             WHERE t.facility_id = $1 AND (t.status IN ('requested','dispatched','picked_up') \
             OR (t.status = 'handed_over' AND NOT EXISTS (SELECT 1 FROM quarantine_stays s WHERE s.transfer_id = t.id)))")
            .bind(f.id).fetch_one(&mut *tx).await?;
        let joins_household: i64 = match &household_key {
            Some(h) => sqlx::query_scalar("SELECT COUNT(*) FROM transfers WHERE facility_id = $1 AND household_key = $2 AND status IN ('requested','dispatched','picked_up')")
                .bind(f.id).bind(h).fetch_one(&mut *tx).await?,
            None => 0,
        };
        if joins_household == 0 && free - reserved <= 0 {
            tx.rollback().await?;
            return Ok((3, 0, free, reserved));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO transfers (person_id, household_key, contact_id, control_kind, pickup_address, pickup_jurisdiction, facility_id, \
             vehicle, escort, status, identified_at, requested_at, notes, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested', $10, $11, $12, $13) RETURNING id")
            .bind(person_id).bind(household_key.as_deref()).bind(contact_id).bind(control_kind).bind(&pickup_address).bind(&pickup)
            .bind(f.id).bind(vehicle.as_deref()).bind(escort.as_deref()).bind(identified_at).bind(now).bind(notes.as_deref()).bind(&actor.username)
            .fetch_one(&mut *tx).await?;
        audit_append!(tx, &AuditEvent::new(actor, "create", "transfer").id(id).jurisdiction(&pickup)
            .detail(serde_json::json!({"person": person_id, "contact": contact_id, "facility": f.id})));
        tx.commit().await?;
        Ok((0, id, free, reserved))
    }.await)?;
    match outcome {
        0 => Ok(id),
        1 => Err(StoreError::Conflict {
            field: "person_id",
            message: format!("person {person_id} already has a transfer under way"),
        }),
        2 => Err(StoreError::Conflict {
            field: "person_id",
            message: format!("person {person_id} is already checked in at a facility"),
        }),
        _ => Err(StoreError::Conflict {
            field: "facility_id",
            message: format!(
                "{} is full: {free} free room(s), {reserved} already taken by transfers under way; choose another facility",
                f.name
            ),
        }),
    }
}

/// One task visible in `scope` (404 outside, recorded as `denied`); the read is recorded.
pub async fn get(db: &Db, scope: &Scope, actor: &Actor, id: i64, full_names: bool) -> Result<Transfer, StoreError> {
    let sql = format!("{SELECT} WHERE t.id = $1 AND {}", visible(2));
    let t: Option<Transfer> = db_run!(db, pool => sqlx::query_as::<_, Transfer>(sqlx::AssertSqlSafe(sql))
        .bind(id).bind(scope.like()).fetch_optional(pool).await)?;
    match t {
        Some(t) => {
            audit::record(db, AuditEvent::new(actor, "read", "transfer").id(id).jurisdiction(&t.pickup_jurisdiction))
                .await?;
            Ok(masked(t, full_names))
        }
        None => {
            let j: Option<String> = db_run!(db, pool => sqlx::query_scalar::<_, String>("SELECT pickup_jurisdiction FROM transfers WHERE id = $1")
                .bind(id).fetch_optional(pool).await)?;
            if let Some(j) = j {
                denied(db, actor, "transfer", "read", Some(id), Some(&j), "outside the user's jurisdiction").await?;
            }
            Err(StoreError::NotFound)
        }
    }
}

/// Board filter.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
pub struct TransferFilter {
    /// One of the statuses; default: every task under way, and those handed over or cancelled in
    /// the last `days` days.
    pub status: Option<String>,
    pub facility_id: Option<i64>,
    /// Days of finished tasks to show (1..=90, default 2).
    pub days: Option<i64>,
}

/// The board's tasks visible in `scope`, oldest request first; the list read is recorded.
pub async fn list(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    f: &TransferFilter,
    full_names: bool,
) -> Result<Vec<Transfer>, StoreError> {
    let mut wh = format!(" WHERE {}", visible(1));
    let since = crate::db::now() - chrono::Duration::days(f.days.unwrap_or(2).clamp(1, 90));
    wh.push_str(" AND (t.status IN ('requested','dispatched','picked_up') OR t.handed_over_at >= $2 OR (t.status = 'cancelled' AND t.requested_at >= $2))");
    let status = match f.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            let mut errs = Vec::new();
            let s = one_of(&mut errs, "status", s, &STATUSES);
            if !errs.is_empty() {
                return Err(StoreError::Invalid(errs));
            }
            wh.push_str(" AND t.status = $3");
            Some(s)
        }
        None => {
            wh.push_str(" AND $3 = $3");
            None
        }
    };
    if f.facility_id.is_some() {
        wh.push_str(" AND t.facility_id = $4");
    } else {
        wh.push_str(" AND $4 = $4");
    }
    let sql = format!("{SELECT}{wh} ORDER BY t.requested_at, t.id LIMIT 2000");
    let rows: Vec<Transfer> = db_run!(db, pool => sqlx::query_as::<_, Transfer>(sqlx::AssertSqlSafe(sql))
        .bind(scope.like()).bind(since).bind(status.unwrap_or("")).bind(f.facility_id.unwrap_or(0)).fetch_all(pool).await)?;
    audit::record(
        db,
        AuditEvent::new(actor, "list", "transfer")
            .jurisdiction(&scope.code)
            .detail(serde_json::json!({"filter": f, "rows": rows.len()})),
    )
    .await?;
    Ok(rows.into_iter().map(|t| masked(t, full_names)).collect())
}

/// Handed-over tasks of a facility that no stay has been checked in from yet, oldest first (for
/// the stays slice's check-in form). The facility must be one the caller runs; the read is recorded.
pub async fn awaiting_check_in(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    facility_id: i64,
    full_names: bool,
) -> Result<Vec<Transfer>, StoreError> {
    super::get(db, scope, actor, facility_id, Access::Run).await?;
    let sql = format!(
        "{SELECT} WHERE t.facility_id = $1 AND t.status = 'handed_over' AND NOT EXISTS (SELECT 1 FROM quarantine_stays s WHERE s.transfer_id = t.id) ORDER BY t.handed_over_at, t.id"
    );
    let rows: Vec<Transfer> = db_run!(db, pool => sqlx::query_as::<_, Transfer>(sqlx::AssertSqlSafe(sql))
        .bind(facility_id).fetch_all(pool).await)?;
    if !rows.is_empty() {
        audit::record(
            db,
            AuditEvent::new(actor, "list", "transfer")
                .id(facility_id)
                .detail(serde_json::json!({"awaiting_check_in": rows.len()})),
        )
        .await?;
    }
    Ok(rows.into_iter().map(|t| masked(t, full_names)).collect())
}

/// A step of a task.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct Advance {
    /// The next status (`dispatched`, `picked_up`, `handed_over`) or `cancelled`.
    pub status: String,
    /// The version read (optional; a task changed since answers 409).
    #[serde(default)]
    pub version: Option<i64>,
    /// Vehicle (plate) and escort: required to dispatch unless already on the task.
    #[serde(default)]
    pub vehicle: Option<String>,
    #[serde(default)]
    pub escort: Option<String>,
    /// Why a task is cancelled (required to cancel, at least 2 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Moves a task one step forward (or cancels it). Skipping a step, going back, or moving a
/// finished task is refused (422 `status`). Handing over sets the desk contact's `controlled_at`
/// to the hand-over time when it is still empty.
pub async fn advance(db: &Db, scope: &Scope, actor: &Actor, id: i64, a: &Advance) -> Result<Transfer, StoreError> {
    let t = get(db, scope, actor, id, true).await?;
    if let Some(v) = a.version
        && v != t.version
    {
        return Err(StoreError::Conflict {
            field: "version",
            message: "this task was changed by someone else meanwhile; reload".into(),
        });
    }
    let to = a.status.trim();
    let mut errs = Vec::new();
    let vehicle = opt_text(&mut errs, "vehicle", a.vehicle.as_deref(), 50).or(t.vehicle.clone());
    let escort = opt_text(&mut errs, "escort", a.escort.as_deref(), 100).or(t.escort.clone());
    let reason = opt_text(&mut errs, "reason", a.reason.as_deref(), 500);
    if t.status == "handed_over" || t.status == "cancelled" {
        errs.push(DomainError::new("status", format!("the task is {} and cannot change any more", t.status)));
    } else if to == "cancelled" {
        if reason.as_deref().is_none_or(|r| r.chars().count() < 2) {
            errs.push(DomainError::new("reason", "say why the task is cancelled"));
        }
    } else if !STEPS.contains(&to) {
        errs.push(DomainError::new("status", format!("\"{}\" is not one of {}", clip(to), STATUSES.join(", "))));
    } else if Some(to) != t.next() {
        let next = t.next().unwrap_or("-");
        let back = STEPS.iter().position(|s| *s == to) <= STEPS.iter().position(|s| *s == t.status);
        errs.push(DomainError::new(
            "status",
            if back {
                format!("a task never goes back: it is {}, the next step is {next}", t.status)
            } else {
                format!("steps cannot be skipped: the task is {}, the next step is {next}, not {to}", t.status)
            },
        ));
    } else if to == "dispatched" && (vehicle.is_none() || escort.is_none()) {
        errs.push(DomainError::new("vehicle", "give the vehicle and the escort to dispatch the task"));
    }
    if let Err(e) = check_len("status", to, 20) {
        errs.push(e);
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let now = crate::db::now();
    let col = match to {
        "dispatched" => "dispatched_at",
        "picked_up" => "picked_up_at",
        "handed_over" => "handed_over_at",
        _ => "requested_at",
    };
    let sql = if to == "cancelled" {
        "UPDATE transfers SET status = 'cancelled', cancelled_reason = $1, version = version + 1 WHERE id = $2 AND version = $3 AND $4 = $4 AND $5 = $5".to_string()
    } else {
        format!(
            "UPDATE transfers SET status = $1, {col} = $4, vehicle = $5, escort = $6, version = version + 1 WHERE id = $2 AND version = $3"
        )
    };
    let n = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let q = if to == "cancelled" {
            q.bind(reason.as_deref()).bind(id).bind(t.version).bind(0_i64).bind(0_i64)
        } else {
            q.bind(to).bind(id).bind(t.version).bind(now).bind(vehicle.as_deref()).bind(escort.as_deref())
        };
        let n = q.execute(&mut *tx).await?.rows_affected();
        audit_append!(tx, &AuditEvent::new(actor, "update", "transfer").id(id).jurisdiction(&t.pickup_jurisdiction)
            .detail(serde_json::json!({"from": t.status, "to": to, "reason": reason})));
        if n == 1 { tx.commit().await?; } else { tx.rollback().await?; }
        Ok::<_, sqlx::Error>(n)
    }.await)?;
    if n != 1 {
        return Err(StoreError::Conflict {
            field: "version",
            message: "this task was changed by someone else meanwhile; reload".into(),
        });
    }
    if to == "handed_over"
        && let Some(cid) = t.contact_id
    {
        mark_controlled(db, actor, cid, now).await?;
    }
    get(db, scope, actor, id, true).await
}

/// Sets the desk contact's `controlled_at` (golden 24 hours) when still empty. The hand-over is a
/// fact whoever records it, so the case is reached through the scope of its reporting unit.
async fn mark_controlled(db: &Db, actor: &Actor, contact_id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
    let Some(c) = contact(db, contact_id).await? else { return Ok(()) };
    if c.controlled_at.is_some() {
        return Ok(());
    }
    let j: Option<String> = db_run!(db, pool => sqlx::query_scalar::<_, String>("SELECT reporting_jurisdiction FROM cases WHERE id = $1")
        .bind(c.case_id).fetch_optional(pool).await)?;
    let Some(scope) = (match j {
        Some(j) => crate::jurisdictions::scope_of(db, &j).await?,
        None => None,
    }) else {
        return Ok(());
    };
    crate::tracing::set_controlled(db, &scope, actor, c.case_id, c.person_id, at).await
}

/// Handed-over tasks of one day: how long from identified to handed over.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimingDay {
    /// Day of the hand-over, in the display time zone.
    pub day: NaiveDate,
    pub handed_over: i64,
    /// Median hours from identified to handed over.
    pub median_hours: f64,
    /// Longest, hours.
    pub max_hours: f64,
    /// Handed over within 24 h of being identified.
    pub within_24h: i64,
}

/// Median of a non-empty slice (sorted in place): the middle value, or the mean of the two
/// middle values.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Per day of hand-over (local days `from..=to` in `tz`), the tasks visible in `scope` handed
/// over that day and the median and longest time from identified to handed over. The golden-24
/// page shows it next to its "contacts placed under control within 24 h".
pub async fn timing(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<Vec<TimingDay>, StoreError> {
    let bound = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0).and_then(|d| d.and_local_timezone(tz).earliest()).map(|d| d.with_timezone(&Utc))
    };
    let (Some(start), Some(end)) = (bound(from), to.succ_opt().and_then(bound)) else {
        return Err(StoreError::Invalid(vec![DomainError::new("from", "not a valid day")]));
    };
    let rows: Vec<(DateTime<Utc>, DateTime<Utc>)> = db_run!(db, pool => sqlx::query_as(
        "SELECT t.identified_at, t.handed_over_at FROM transfers t JOIN jurisdictions pj ON pj.code = t.pickup_jurisdiction \
         JOIN quarantine_facilities f ON f.id = t.facility_id JOIN jurisdictions fj ON fj.code = f.jurisdiction_code \
         WHERE t.status = 'handed_over' AND t.handed_over_at >= $2 AND t.handed_over_at < $3 AND (pj.path LIKE $1 OR fj.path LIKE $1)")
        .bind(scope.like()).bind(start).bind(end).fetch_all(pool).await)?;
    let mut by_day: std::collections::BTreeMap<NaiveDate, Vec<f64>> = std::collections::BTreeMap::new();
    for (id, ho) in rows {
        by_day.entry(ho.with_timezone(&tz).date_naive()).or_default().push((ho - id).num_seconds() as f64 / 3600.0);
    }
    Ok(by_day
        .into_iter()
        .map(|(day, mut h)| {
            let within = h.iter().filter(|x| **x <= 24.0).count() as i64;
            let max = h.iter().copied().fold(0.0, f64::max);
            TimingDay {
                day,
                handed_over: h.len() as i64,
                median_hours: (median(&mut h) * 10.0).round() / 10.0,
                max_hours: (max * 10.0).round() / 10.0,
                within_24h: within,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_forward_one_at_a_time() {
        assert_eq!(next_step("requested"), Some("dispatched"));
        assert_eq!(next_step("dispatched"), Some("picked_up"));
        assert_eq!(next_step("picked_up"), Some("handed_over"));
        assert_eq!(next_step("handed_over"), None);
        assert_eq!(next_step("cancelled"), None);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }
}
