//! Quarantine and health monitoring (隔离管控): the rules of the policy profile per kind of person
//! ([`rules`]), the pure schedule engine ([`schedule`]), stays of people under control with their
//! stored schedule, health checks, samples, alerts and release.

pub mod cli;
pub mod demo;
pub mod i18n;
pub mod rules;
pub mod schedule;

pub mod http;
pub mod recompute;

use crate::audit::{self, Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::domain::{DomainError, mask_id_number, mask_phone};
use crate::jurisdictions::Scope;
use crate::people::StoreError;
use crate::tracing::policy::{self, Profile};
use crate::{audit_append, db_run};
use chrono::{DateTime, NaiveDate, Utc};
use rules::{Measure, ReleaseRule};
use schedule::{MeasureSpan, Schedule, TestDay};
use serde::{Deserialize, Serialize};

/// Valid body temperature of a health check, °C (outside: a typing or device error).
pub const TEMPERATURE_RANGE: std::ops::RangeInclusive<f64> = 34.0..=43.0;
/// Health checks a day for a person under centralized quarantine (morning and afternoon).
pub const CHECKS_PER_DAY: i64 = 2;
/// Symptoms a health check may name (GLOSSARY: fever, cough, …); free text is kept as typed.
pub const SYMPTOMS: [&str; 8] =
    ["fever", "cough", "sore_throat", "fatigue", "loss_of_smell", "diarrhoea", "shortness_of_breath", "other"];

fn invalid(field: &'static str, m: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![DomainError::new(field, m)])
}
fn conflict(field: &'static str, m: impl Into<String>) -> StoreError {
    StoreError::Conflict { field, message: m.into() }
}

/// Parses a YYYY-MM-DD field.
pub fn date_field(field: &'static str, s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(field, format!("\"{s}\" is not a date (YYYY-MM-DD)")))
}

/// One stay as stored, with the names pages show (identity number and phone unmasked: never
/// serialised; see [`StayView`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stay {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub control_kind: String,
    pub profile: String,
    pub profile_version: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub contact_id: Option<i64>,
    pub transfer_id: Option<i64>,
    pub facility_id: Option<i64>,
    pub facility_name: Option<String>,
    pub room_id: Option<i64>,
    pub room_number: Option<String>,
    pub home_jurisdiction: String,
    pub home_name: String,
    pub worker_user_id: Option<i64>,
    pub worker_name: Option<String>,
    pub status: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    pub override_by: Option<String>,
    pub override_reason: Option<String>,
    pub case_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

/// A stay as API answers and pages show it: identity number and phone masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StayView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    /// Masked, e.g. `430***********1234`.
    pub id_number: String,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    pub control_kind: String,
    /// Profile code and version the schedule was computed with.
    pub profile: String,
    pub profile_version: i64,
    /// The day the count starts from (day 0).
    pub start_date: NaiveDate,
    /// The last day under control (inclusive).
    pub end_date: NaiveDate,
    pub contact_id: Option<i64>,
    pub transfer_id: Option<i64>,
    pub facility_id: Option<i64>,
    pub facility_name: Option<String>,
    pub room_id: Option<i64>,
    pub room_number: Option<String>,
    pub home_jurisdiction: String,
    pub home_name: String,
    pub worker_user_id: Option<i64>,
    pub worker_name: Option<String>,
    /// `active`, `released`, `converted` (a positive result opened a case), `cancelled`.
    pub status: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    pub override_by: Option<String>,
    pub override_reason: Option<String>,
    pub case_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

impl Stay {
    pub fn masked(&self) -> StayView {
        StayView {
            id: self.id,
            person_id: self.person_id,
            person_name: self.person_name.clone(),
            id_number: mask_id_number(&self.id_number),
            phone: self.phone.as_deref().map(mask_phone),
            control_kind: self.control_kind.clone(),
            profile: self.profile.clone(),
            profile_version: self.profile_version,
            start_date: self.start_date,
            end_date: self.end_date,
            contact_id: self.contact_id,
            transfer_id: self.transfer_id,
            facility_id: self.facility_id,
            facility_name: self.facility_name.clone(),
            room_id: self.room_id,
            room_number: self.room_number.clone(),
            home_jurisdiction: self.home_jurisdiction.clone(),
            home_name: self.home_name.clone(),
            worker_user_id: self.worker_user_id,
            worker_name: self.worker_name.clone(),
            status: self.status.clone(),
            checked_in_at: self.checked_in_at,
            released_at: self.released_at,
            override_by: self.override_by.clone(),
            override_reason: self.override_reason.clone(),
            case_id: self.case_id,
            created_at: self.created_at,
            version: self.version,
        }
    }
}

/// Scoped stay query: a stay is visible when the person's home jurisdiction or the facility
/// they are in lies inside the caller's scope (`$1` = `scope.like()`).
const SELECT: &str = "SELECT s.id, s.person_id, p.name AS person_name, p.id_number, p.phone, p.address, s.control_kind, s.profile, \
    s.profile_version, s.start_date, s.end_date, s.contact_id, s.transfer_id, s.facility_id, f.name AS facility_name, s.room_id, \
    r.number AS room_number, s.home_jurisdiction, hj.name AS home_name, s.worker_user_id, u.display_name AS worker_name, s.status, \
    s.checked_in_at, s.released_at, s.override_by, s.override_reason, s.case_id, s.created_by, s.created_at, s.version \
    FROM quarantine_stays s JOIN people p ON p.id = s.person_id JOIN jurisdictions hj ON hj.code = s.home_jurisdiction \
    LEFT JOIN quarantine_facilities f ON f.id = s.facility_id LEFT JOIN jurisdictions fj ON fj.code = f.jurisdiction_code \
    LEFT JOIN quarantine_rooms r ON r.id = s.room_id LEFT JOIN users u ON u.id = s.worker_user_id \
    WHERE (hj.path LIKE $1 OR fj.path LIKE $1)";

/// One row of a stored schedule.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ScheduleRow {
    pub id: i64,
    /// `measure` or `test`.
    pub item: String,
    pub measure: String,
    pub date_from: NaiveDate,
    pub date_to: NaiveDate,
    /// Measures: number of days; tests: day number inside the measure.
    pub day: i64,
    pub done_at: Option<DateTime<Utc>>,
}

/// Rebuilds the engine's [`Schedule`] from stored rows (rows with an unknown measure are skipped).
pub fn schedule_of(rows: &[ScheduleRow]) -> Schedule {
    let mut s = Schedule::default();
    for r in rows {
        let Some(measure) = Measure::parse(&r.measure) else { continue };
        if r.item == "measure" {
            s.measures.push(MeasureSpan { measure, from: r.date_from, to: r.date_to, days: r.day.max(0) as u32 });
        } else {
            s.tests.push(TestDay { date: r.date_to, measure, day: r.day.max(0) as u32 });
        }
    }
    s.measures.sort_by_key(|m| m.from);
    s.tests.sort();
    s
}

/// A health check as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HealthCheck {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// °C.
    pub temperature_c: f64,
    /// Comma-separated symptom codes or free text; empty: none.
    pub symptoms: String,
    pub recorded_by: String,
}

/// A sample and its result.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Sample {
    pub id: i64,
    pub schedule_id: Option<i64>,
    pub kind: String,
    pub taken_at: DateTime<Utc>,
    pub taken_by: String,
    /// `pending`, `negative`, `positive`, `invalid`.
    pub result: String,
    pub result_at: Option<DateTime<Utc>>,
    pub result_by: Option<String>,
}

/// An alert (fever, symptom, positive).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Alert {
    pub id: i64,
    pub stay_id: i64,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub detail: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// Everything a stay page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StayDetail {
    pub stay: StayView,
    pub schedule: Vec<ScheduleRow>,
    pub checks: Vec<HealthCheck>,
    pub samples: Vec<Sample>,
    pub alerts: Vec<Alert>,
}

/// The stay `id` inside the scope (unmasked; not audited: callers that show it audit).
async fn load(db: &Db, scope: &Scope, id: i64) -> Result<Stay, StoreError> {
    let row: Option<Stay> = db_run!(db, p => sqlx::query_as::<_, Stay>(sqlx::AssertSqlSafe(format!("{SELECT} AND s.id = $2")))
        .bind(scope.like()).bind(id).fetch_optional(p).await)?;
    match row {
        Some(s) => Ok(s),
        None => Err(StoreError::NotFound),
    }
}

/// The stay `id` inside the scope; outside it (or missing): not found, and an attempt on an
/// existing stay outside the scope is recorded as `denied`.
pub async fn get(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<Stay, StoreError> {
    match load(db, scope, id).await {
        Err(StoreError::NotFound) => {
            let exists: Option<i64> = db_run!(db, p => sqlx::query_scalar::<_, i64>("SELECT id FROM quarantine_stays WHERE id = $1")
                .bind(id).fetch_optional(p).await)?;
            if exists.is_some() {
                let ev = AuditEvent::new(actor, "denied", "quarantine_stay")
                    .id(id)
                    .detail(serde_json::json!({"reason": "scope"}));
                audit::record(db, ev).await?;
            }
            Err(StoreError::NotFound)
        }
        r => r,
    }
}

/// A stay with its schedule, checks, samples and alerts (the read is recorded).
pub async fn detail(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<StayDetail, StoreError> {
    let s = get(db, scope, actor, id).await?;
    let (schedule, checks, samples, alerts) = db_run!(db, p => {
        let schedule = sqlx::query_as::<_, ScheduleRow>("SELECT id, item, measure, date_from, date_to, day, done_at FROM quarantine_schedule \
             WHERE stay_id = $1 ORDER BY date_to, item, id").bind(id).fetch_all(p).await?;
        let checks = sqlx::query_as::<_, HealthCheck>("SELECT id, at, temperature_c, symptoms, recorded_by FROM health_checks WHERE stay_id = $1 ORDER BY at, id")
            .bind(id).fetch_all(p).await?;
        let samples = sqlx::query_as::<_, Sample>("SELECT id, schedule_id, kind, taken_at, taken_by, result, result_at, result_by FROM quarantine_samples \
             WHERE stay_id = $1 ORDER BY taken_at, id").bind(id).fetch_all(p).await?;
        let alerts = sqlx::query_as::<_, Alert>("SELECT id, stay_id, kind, at, detail, acknowledged_by, acknowledged_at FROM quarantine_alerts \
             WHERE stay_id = $1 ORDER BY at, id").bind(id).fetch_all(p).await?;
        (schedule, checks, samples, alerts)
    });
    let ev = AuditEvent::new(actor, "read", "quarantine_stay").id(id).jurisdiction(&s.home_jurisdiction);
    audit::record(db, ev).await?;
    Ok(StayDetail { stay: s.masked(), schedule, checks, samples, alerts })
}

/// Stay list filter.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
pub struct StayFilter {
    /// `active` (default), `released`, `converted`, `cancelled`, `all`.
    pub status: Option<String>,
    pub facility: Option<i64>,
    /// Person name contains.
    pub q: Option<String>,
    pub page: Option<u32>,
}

/// Stays inside the scope, newest first, 100 a page; the read is recorded.
pub async fn list(db: &Db, scope: &Scope, actor: &Actor, f: &StayFilter) -> Result<(Vec<Stay>, i64), StoreError> {
    let status = f.status.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "active".into());
    if !["active", "released", "converted", "cancelled", "all"].contains(&status.as_str()) {
        return Err(invalid("status", format!("\"{status}\": active, released, converted, cancelled or all")));
    }
    let q = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| format!("%{}%", crate::db::like_escape(s)));
    let page = i64::from(f.page.unwrap_or(1).max(1));
    let wh = " AND ($2 = 'all' OR s.status = $2) AND ($3 IS NULL OR s.facility_id = $3) AND ($4 IS NULL OR p.name LIKE $4 ESCAPE '\\')";
    let sql = format!("{SELECT}{wh} ORDER BY s.id DESC LIMIT 100 OFFSET $5");
    let count = format!("SELECT COUNT(*) FROM ({SELECT}{wh}) x");
    let (rows, total) = db_run!(db, p => {
        let rows = sqlx::query_as::<_, Stay>(sqlx::AssertSqlSafe(sql)).bind(scope.like()).bind(&status).bind(f.facility).bind(&q)
            .bind((page - 1) * 100).fetch_all(p).await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).bind(scope.like()).bind(&status).bind(f.facility).bind(&q)
            .bind(0i64).fetch_one(p).await.or_else(|_| Ok::<i64, sqlx::Error>(rows.len() as i64))?;
        (rows, total)
    });
    let ev = AuditEvent::new(actor, "list", "quarantine_stay")
        .detail(serde_json::json!({"status": status, "rows": rows.len()}));
    audit::record(db, ev).await?;
    Ok((rows, total))
}

/// How a person is placed under control: from a contact of the investigation desk (`case_id`
/// given: kind and start are the contact's classification and last exposure) or by hand.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ControlInput {
    pub person_id: i64,
    /// The case the person is a contact of (investigation desk).
    #[serde(default)]
    pub case_id: Option<i64>,
    /// close-contact, secondary-contact, inbound, high-risk-area, medium-risk-area, low-risk-area
    /// (from a contact: taken from its classification when omitted).
    #[serde(default)]
    pub control_kind: Option<String>,
    /// The day the count starts from (YYYY-MM-DD; from a contact: its last exposure when omitted).
    #[serde(default)]
    pub start_date: Option<String>,
    /// Profile code; default: the profile in force on the start date.
    #[serde(default)]
    pub profile: Option<String>,
}

/// The profile `code`, or the one in force on `date`.
pub async fn profile_for(db: &Db, code: Option<&str>, date: NaiveDate) -> Result<Profile, StoreError> {
    let ps = policy::profiles(db).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => ps.iter().find(|p| p.code == c).cloned().ok_or_else(|| {
            invalid(
                "profile",
                format!("\"{c}\": one of {}", ps.iter().map(|p| p.code.as_str()).collect::<Vec<_>>().join(", ")),
            )
        }),
        None => {
            policy::in_force(&ps, Some(date)).cloned().ok_or_else(|| invalid("profile", "no profile is configured"))
        }
    }
}

/// Writes the schedule rows of a stay (inside the caller's transaction).
macro_rules! insert_schedule {
    ($tx:ident, $stay:expr, $s:expr) => {{
        let s: &Schedule = $s;
        for m in &s.measures {
            sqlx::query("INSERT INTO quarantine_schedule (stay_id, item, measure, date_from, date_to, day) VALUES ($1, 'measure', $2, $3, $4, $5)")
                .bind($stay).bind(m.measure.as_str()).bind(m.from).bind(m.to).bind(i64::from(m.days)).execute(&mut *$tx).await?;
        }
        for t in &s.tests {
            sqlx::query("INSERT INTO quarantine_schedule (stay_id, item, measure, date_from, date_to, day) VALUES ($1, 'test', $2, $3, $3, $4)")
                .bind($stay).bind(t.measure.as_str()).bind(t.date).bind(i64::from(t.day)).execute(&mut *$tx).await?;
        }
    }};
}

/// The village/community worker in charge of home measures in `home`: a field worker of that
/// jurisdiction, else of its nearest ancestor (the user with the smallest id there).
pub async fn worker_for(db: &Db, home: &str) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT u.id FROM users u JOIN jurisdictions uj ON uj.code = u.jurisdiction_code JOIN jurisdictions h ON h.code = $1 \
         WHERE u.role = 'field_worker' AND u.active = TRUE AND h.path LIKE uj.path || '%' ORDER BY length(uj.path) DESC, u.id LIMIT 1")
        .bind(home).fetch_optional(p).await)
}

/// Places a person under control: computes the schedule from the profile and stores the stay
/// (one active stay per person). From a contact, the contact is also marked as controlled in the
/// investigation desk ([`crate::tracing::set_controlled`]).
pub async fn put_under_control(db: &Db, scope: &Scope, actor: &Actor, x: &ControlInput) -> Result<i64, StoreError> {
    let person = crate::people::get(db, scope, actor, x.person_id).await?;
    #[derive(sqlx::FromRow)]
    struct ContactInfo {
        id: i64,
        classification: String,
        last_exposure: Option<NaiveDate>,
    }
    let contact = match x.case_id {
        None => None,
        Some(case_id) => {
            crate::tracing::get(db, scope, actor, case_id).await?;
            let c: Option<ContactInfo> = db_run!(db, p => sqlx::query_as::<_, ContactInfo>(
                "SELECT id, classification, last_exposure FROM contacts WHERE case_id = $1 AND person_id = $2")
                .bind(case_id).bind(x.person_id).fetch_optional(p).await)?;
            match c {
                Some(c) if c.classification != "other" => Some((case_id, c)),
                Some(_) => {
                    return Err(invalid(
                        "case_id",
                        format!("person {} is not a close or secondary contact of case {case_id}", x.person_id),
                    ));
                }
                None => {
                    return Err(invalid(
                        "case_id",
                        format!("person {} is not a contact of case {case_id}", x.person_id),
                    ));
                }
            }
        }
    };
    let kind = match (x.control_kind.as_deref().map(str::trim).filter(|k| !k.is_empty()), &contact) {
        (Some(k), _) => k.to_string(),
        (None, Some((_, c))) => {
            if c.classification == "close" {
                "close-contact".into()
            } else {
                "secondary-contact".into()
            }
        }
        (None, None) => {
            return Err(invalid("control_kind", format!("is required: one of {}", rules::KINDS.join(", "))));
        }
    };
    if !rules::KINDS.contains(&kind.as_str()) {
        return Err(invalid("control_kind", format!("\"{kind}\": one of {}", rules::KINDS.join(", "))));
    }
    let start = match (x.start_date.as_deref().map(str::trim).filter(|s| !s.is_empty()), &contact) {
        (Some(s), _) => date_field("start_date", s)?,
        (None, Some((_, c))) => c
            .last_exposure
            .ok_or_else(|| invalid("start_date", "the contact has no last exposure date: give the start date"))?,
        (None, None) => {
            return Err(invalid(
                "start_date",
                "is required (YYYY-MM-DD): the day of last exposure, arrival or leaving the risk area",
            ));
        }
    };
    let profile = profile_for(db, x.profile.as_deref(), start).await?;
    let sched = schedule::compute(&profile.code, &profile.quarantine, &kind, start)
        .map_err(|e| invalid("control_kind", e.to_string()))?;
    let end = sched.end_date().ok_or_else(|| invalid("control_kind", "the profile sets no measure"))?;
    let home = person.jurisdiction_code.clone();
    let home_measure_first = sched.measures.first().is_some_and(|m| !m.measure.centralized());
    let worker = if home_measure_first { worker_for(db, &home).await? } else { None };
    let now = crate::db::now();
    let contact_id = contact.as_ref().map(|(_, c)| c.id);
    let id = db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        let open: Option<i64> = sqlx::query_scalar("SELECT id FROM quarantine_stays WHERE person_id = $1 AND status = 'active'")
            .bind(x.person_id).fetch_optional(&mut *tx).await?;
        if let Some(open) = open {
            tx.rollback().await?;
            return Ok(Err(open));
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO quarantine_stays (person_id, control_kind, profile, profile_version, start_date, end_date, \
             contact_id, home_jurisdiction, worker_user_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
            .bind(x.person_id).bind(&kind).bind(&profile.code).bind(i64::from(profile.version)).bind(start).bind(end).bind(contact_id)
            .bind(&home).bind(worker).bind(&actor.username).bind(now).fetch_one(&mut *tx).await?;
        insert_schedule!(tx, id, &sched);
        let ev = AuditEvent::new(actor, "create", "quarantine_stay").id(id).jurisdiction(&home)
            .detail(serde_json::json!({"person_id": x.person_id, "kind": kind, "profile": profile.code, "start": start, "end": end, "contact_id": contact_id}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Ok(id))
    }.await)?;
    let id =
        id.map_err(|open| conflict("person_id", format!("{} is already under control (stay #{open})", person.name)))?;
    if let Some((case_id, _)) = contact {
        crate::tracing::set_controlled(db, scope, actor, case_id, x.person_id, now).await?;
    }
    Ok(id)
}

/// Check-in to a room: from a handed-over transfer or a walk-in.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CheckInInput {
    pub room_id: i64,
    /// The transfer that brought the person (must be handed over, for this person, to this facility).
    #[serde(default)]
    pub transfer_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RoomInfo {
    facility_id: i64,
    number: String,
    beds: i64,
    status: String,
    facility_status: String,
    facility_path: String,
}

/// Checks a person under control into a room (centralized quarantine). Refused: a stay not
/// active or already in a room, the person checked in under another stay, a room out of
/// service, being cleaned or with every bed taken, a facility closed or outside the scope, a
/// transfer that is not this person's or not handed over at this facility. Sets the room
/// `occupied` in the same transaction.
pub async fn check_in(db: &Db, scope: &Scope, actor: &Actor, stay_id: i64, x: &CheckInInput) -> Result<(), StoreError> {
    let s = get(db, scope, actor, stay_id).await?;
    if s.status != "active" {
        return Err(conflict("status", format!("stay #{stay_id} is {}: no check-in", s.status)));
    }
    if let Some(r) = &s.room_number {
        return Err(conflict("room_id", format!("{} is already checked in (room {r})", s.person_name)));
    }
    let now = crate::db::now();
    let like = scope.like();
    db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        // Lock the room row first (PostgreSQL: row lock; SQLite: BEGIN IMMEDIATE holds the write lock).
        let touched = sqlx::query("UPDATE quarantine_rooms SET updated_at = updated_at WHERE id = $1").bind(x.room_id).execute(&mut *tx).await?.rows_affected();
        if touched == 0 {
            tx.rollback().await?;
            return Ok(Err(invalid("room_id", format!("no room #{}", x.room_id))));
        }
        let room: RoomInfo = sqlx::query_as("SELECT r.facility_id, r.number, r.beds, r.status, f.status AS facility_status, j.path AS facility_path \
             FROM quarantine_rooms r JOIN quarantine_facilities f ON f.id = r.facility_id JOIN jurisdictions j ON j.code = f.jurisdiction_code WHERE r.id = $1")
            .bind(x.room_id).fetch_one(&mut *tx).await?;
        let refuse = |e: StoreError| Ok::<_, sqlx::Error>(Err(e));
        if !room.facility_path.starts_with(&like[..like.len() - 1]) {
            tx.rollback().await?;
            return refuse(StoreError::Forbidden(format!("room {} is in a facility outside your jurisdiction", room.number)));
        }
        if room.facility_status != "open" {
            tx.rollback().await?;
            return refuse(conflict("room_id", format!("the facility of room {} is closed", room.number)));
        }
        if room.status == "out_of_service" || room.status == "cleaning" {
            tx.rollback().await?;
            return refuse(conflict("room_id", format!("room {} is {}", room.number, room.status.replace('_', " "))));
        }
        let elsewhere: Option<(i64, String)> = sqlx::query_as("SELECT s.id, r.number FROM quarantine_stays s JOIN quarantine_rooms r ON r.id = s.room_id \
             WHERE s.person_id = $1 AND s.status = 'active' AND s.room_id IS NOT NULL").bind(s.person_id).fetch_optional(&mut *tx).await?;
        if let Some((other, number)) = elsewhere {
            tx.rollback().await?;
            return refuse(conflict("person_id", format!("{} is already checked in to room {number} (stay #{other})", s.person_name)));
        }
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quarantine_stays WHERE room_id = $1 AND status = 'active'")
            .bind(x.room_id).fetch_one(&mut *tx).await?;
        if taken >= room.beds {
            tx.rollback().await?;
            return refuse(conflict("room_id", format!("room {} is full ({taken} of {} beds taken)", room.number, room.beds)));
        }
        if let Some(t) = x.transfer_id {
            let tr: Option<(i64, i64, String)> = sqlx::query_as("SELECT person_id, facility_id, status FROM transfers WHERE id = $1")
                .bind(t).fetch_optional(&mut *tx).await?;
            let bad = match tr {
                None => Some(format!("no transfer #{t}")),
                Some((pid, _, _)) if pid != s.person_id => Some(format!("transfer #{t} is not {}'s", s.person_name)),
                Some((_, fid, _)) if fid != room.facility_id => Some(format!("transfer #{t} goes to another facility")),
                Some((_, _, st)) if st != "handed_over" => Some(format!("transfer #{t} is {st}, not handed over")),
                _ => None,
            };
            if let Some(m) = bad {
                tx.rollback().await?;
                return refuse(invalid("transfer_id", m));
            }
        }
        sqlx::query("UPDATE quarantine_stays SET facility_id = $1, room_id = $2, transfer_id = COALESCE($3, transfer_id), checked_in_at = $4, \
             worker_user_id = NULL, version = version + 1 WHERE id = $5")
            .bind(room.facility_id).bind(x.room_id).bind(x.transfer_id).bind(now).bind(stay_id).execute(&mut *tx).await?;
        sqlx::query("UPDATE quarantine_rooms SET status = 'occupied', updated_at = $1 WHERE id = $2").bind(now).bind(x.room_id).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "check_in", "quarantine_stay").id(stay_id).jurisdiction(&s.home_jurisdiction)
            .detail(serde_json::json!({"room_id": x.room_id, "facility_id": room.facility_id, "transfer_id": x.transfer_id}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Ok(()))
    }.await)?
}

/// A health check as entered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CheckInput {
    /// °C, 34.0..=43.0.
    pub temperature_c: f64,
    /// Symptom codes (see [`SYMPTOMS`]) or free text, comma-separated; empty: none.
    #[serde(default)]
    pub symptoms: String,
    /// When measured (RFC 3339); default now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// Records a health check; a temperature at or above the profile's fever threshold raises a
/// `fever` alert, a symptom a `symptom` alert. Refused for a stay that is not active.
pub async fn add_check(db: &Db, scope: &Scope, actor: &Actor, stay_id: i64, x: &CheckInput) -> Result<i64, StoreError> {
    if !x.temperature_c.is_finite() || !TEMPERATURE_RANGE.contains(&x.temperature_c) {
        return Err(invalid(
            "temperature_c",
            format!(
                "{} °C is not a body temperature: {}–{} °C",
                x.temperature_c,
                TEMPERATURE_RANGE.start(),
                TEMPERATURE_RANGE.end()
            ),
        ));
    }
    let symptoms = x.symptoms.trim().to_string();
    if symptoms.chars().count() > 200 {
        return Err(invalid("symptoms", "at most 200 characters"));
    }
    let s = get(db, scope, actor, stay_id).await?;
    if s.status != "active" {
        let when = s.released_at.map(|t| format!(" on {}", t.date_naive())).unwrap_or_default();
        return Err(conflict("stay", format!("{} was {}{when}: health checks are closed", s.person_name, s.status)));
    }
    let fever = profile_for(db, Some(&s.profile), s.start_date).await.map(|p| p.quarantine.fever_c).unwrap_or(37.3);
    let at = x.at.unwrap_or_else(crate::db::now);
    db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO health_checks (stay_id, at, temperature_c, symptoms, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(stay_id).bind(at).bind(x.temperature_c).bind(&symptoms).bind(&actor.username).fetch_one(&mut *tx).await?;
        if x.temperature_c >= fever {
            sqlx::query("INSERT INTO quarantine_alerts (stay_id, kind, at, detail) VALUES ($1, 'fever', $2, $3)")
                .bind(stay_id).bind(at).bind(format!("{:.1} °C ≥ {fever:.1} °C", x.temperature_c)).execute(&mut *tx).await?;
        }
        if !symptoms.is_empty() {
            sqlx::query("INSERT INTO quarantine_alerts (stay_id, kind, at, detail) VALUES ($1, 'symptom', $2, $3)")
                .bind(stay_id).bind(at).bind(&symptoms).execute(&mut *tx).await?;
        }
        let ev = AuditEvent::new(actor, "create", "health_check").id(id).jurisdiction(&s.home_jurisdiction)
            .detail(serde_json::json!({"stay_id": stay_id, "fever": x.temperature_c >= fever, "symptoms": !symptoms.is_empty()}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await)
    .map_err(StoreError::from)
}

/// A sample taken.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SampleInput {
    /// `throat_swab` (default), `nasal_swab`, `antigen`, `other`.
    #[serde(default)]
    pub kind: Option<String>,
    /// When taken (RFC 3339); default now. It is matched to the schedule's test of that day.
    #[serde(default)]
    pub taken_at: Option<DateTime<Utc>>,
}

/// Records a sample; it fulfils the schedule's test of the day it was taken (Asia/Shanghai
/// date, `tz`), if there is one.
pub async fn add_sample(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    stay_id: i64,
    x: &SampleInput,
    tz: chrono_tz::Tz,
) -> Result<i64, StoreError> {
    let kind = x.kind.clone().filter(|k| !k.trim().is_empty()).unwrap_or_else(|| "throat_swab".into());
    if !["throat_swab", "nasal_swab", "antigen", "other"].contains(&kind.as_str()) {
        return Err(invalid("kind", format!("\"{kind}\": throat_swab, nasal_swab, antigen or other")));
    }
    let s = get(db, scope, actor, stay_id).await?;
    if s.status != "active" {
        return Err(conflict("stay", format!("{} was {}: no more samples", s.person_name, s.status)));
    }
    let at = x.taken_at.unwrap_or_else(crate::db::now);
    let day = at.with_timezone(&tz).date_naive();
    db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        let sched: Option<i64> = sqlx::query_scalar("SELECT id FROM quarantine_schedule WHERE stay_id = $1 AND item = 'test' AND date_to = $2 ORDER BY id LIMIT 1")
            .bind(stay_id).bind(day).fetch_optional(&mut *tx).await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO quarantine_samples (stay_id, schedule_id, kind, taken_at, taken_by) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(stay_id).bind(sched).bind(&kind).bind(at).bind(&actor.username).fetch_one(&mut *tx).await?;
        if let Some(sid) = sched {
            sqlx::query("UPDATE quarantine_schedule SET done_at = $1 WHERE id = $2 AND done_at IS NULL").bind(at).bind(sid).execute(&mut *tx).await?;
        }
        let ev = AuditEvent::new(actor, "create", "quarantine_sample").id(id).jurisdiction(&s.home_jurisdiction)
            .detail(serde_json::json!({"stay_id": stay_id, "schedule_id": sched, "kind": kind}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await)
    .map_err(StoreError::from)
}

/// What a positive result did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultOutcome {
    pub sample_id: i64,
    pub result: String,
    /// The case opened in the investigation desk (positive results).
    pub case_id: Option<i64>,
}

/// Records the result of a sample. A positive result raises a `positive` alert, opens a case in
/// the investigation desk for the person (linked to the case they were a contact of, see
/// [`open_case_from_positive`]), ends the stay as `converted` and frees the room for cleaning —
/// all in one transaction.
pub async fn set_result(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    sample_id: i64,
    result: &str,
    tz: chrono_tz::Tz,
) -> Result<ResultOutcome, StoreError> {
    if !["negative", "positive", "invalid"].contains(&result) {
        return Err(invalid("result", format!("\"{result}\": negative, positive or invalid")));
    }
    let row: Option<(i64, String, DateTime<Utc>)> = db_run!(db, p => sqlx::query_as::<_, (i64, String, DateTime<Utc>)>(
        "SELECT stay_id, result, taken_at FROM quarantine_samples WHERE id = $1").bind(sample_id).fetch_optional(p).await)?;
    let Some((stay_id, old, taken_at)) = row else { return Err(StoreError::NotFound) };
    let s = get(db, scope, actor, stay_id).await?;
    if old != "pending" {
        return Err(conflict("result", format!("sample #{sample_id} already has the result {old}")));
    }
    let now = crate::db::now();
    let case_id = db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query("UPDATE quarantine_samples SET result = $1, result_at = $2, result_by = $3 WHERE id = $4 AND result = 'pending'")
            .bind(result).bind(now).bind(&actor.username).bind(sample_id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(Err(conflict("result", format!("sample #{sample_id} already has a result"))));
        }
        let mut case_id = None;
        if result == "positive" {
            sqlx::query("INSERT INTO quarantine_alerts (stay_id, kind, at, detail) VALUES ($1, 'positive', $2, $3)")
                .bind(stay_id).bind(now).bind(format!("sample #{sample_id} positive")).execute(&mut *tx).await?;
            if s.status == "active" {
                let symptomatic: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quarantine_alerts WHERE stay_id = $1 AND kind IN ('fever', 'symptom')")
                    .bind(stay_id).fetch_one(&mut *tx).await?;
                let exposed_to: Option<(i64, String, String)> = sqlx::query_as(
                    "SELECT c.id, c.source, c.source_id FROM contacts k JOIN cases c ON c.id = k.case_id WHERE k.id = $1")
                    .bind(s.contact_id).fetch_optional(&mut *tx).await?;
                let reporting: String = match s.facility_id {
                    Some(f) => sqlx::query_scalar("SELECT jurisdiction_code FROM quarantine_facilities WHERE id = $1").bind(f).fetch_one(&mut *tx).await?,
                    None => s.home_jurisdiction.clone(),
                };
                let q = PositiveCase {
                    stay_id,
                    person_id: s.person_id,
                    classification: if symptomatic > 0 { "confirmed" } else { "asymptomatic" },
                    reporting_jurisdiction: reporting,
                    home_jurisdiction: s.home_jurisdiction.clone(),
                    sampling_date: taken_at.with_timezone(&tz).date_naive(),
                    report_date: now.with_timezone(&tz).date_naive(),
                    isolation_date: s.checked_in_at.map(|t| t.with_timezone(&tz).date_naive()).unwrap_or(s.start_date),
                    exposed_to,
                };
                let cid = open_case_from_positive!(tx, &q, actor, now);
                sqlx::query("UPDATE quarantine_stays SET status = 'converted', case_id = $1, released_at = $2, version = version + 1 WHERE id = $3")
                    .bind(cid).bind(now).bind(stay_id).execute(&mut *tx).await?;
                free_room!(tx, s.room_id, stay_id, now);
                case_id = Some(cid);
            }
        }
        let ev = AuditEvent::new(actor, "update", "quarantine_sample").id(sample_id).jurisdiction(&s.home_jurisdiction)
            .detail(serde_json::json!({"stay_id": stay_id, "result": result, "case_id": case_id}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Ok(case_id))
    }.await)??;
    if case_id.is_some() {
        crate::tracing::refresh_chains(db).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    }
    Ok(ResultOutcome { sample_id, result: result.into(), case_id })
}

/// The case a positive result opens.
pub struct PositiveCase {
    pub stay_id: i64,
    pub person_id: i64,
    pub classification: &'static str,
    pub reporting_jurisdiction: String,
    pub home_jurisdiction: String,
    pub sampling_date: NaiveDate,
    pub report_date: NaiveDate,
    pub isolation_date: NaiveDate,
    /// The case the person was a contact of: (id, source, source id).
    pub exposed_to: Option<(i64, String, String)>,
}

/// Opens a case in the investigation desk for a positive result of a person under control,
/// inside the caller's transaction: the case (source `manual`, source id `Q<stay id>`, how
/// found `quarantine`), its first classification entry and, when the person was a contact of a
/// case, the transmission link from that case (certainty `probable`, route `quarantine contact`),
/// written the way `crate::tracing::import` writes imported cases and links.
///
/// Stand-in until the investigation desk's `crate::tracing::create_case` lands (branch desk);
/// then this should call it.
macro_rules! open_case_from_positive {
    ($tx:ident, $q:expr, $actor:expr, $now:expr) => {{
        let q: &PositiveCase = $q;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (person_id, source, source_id, classification, how_found, reporting_jurisdiction, home_jurisdiction, \
             sampling_date, report_date, isolation_date, notes, created_at, updated_at) \
             VALUES ($1, 'manual', $2, $3, 'quarantine', $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id")
            .bind(q.person_id).bind(format!("Q{}", q.stay_id)).bind(q.classification).bind(&q.reporting_jurisdiction)
            .bind(&q.home_jurisdiction).bind(q.sampling_date).bind(q.report_date).bind(q.isolation_date)
            .bind(format!("positive result under quarantine (stay #{})", q.stay_id)).bind($now)
            .fetch_one(&mut *$tx).await?;
        sqlx::query("INSERT INTO case_classifications (case_id, classification, at, username, reason) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(q.classification).bind($now).bind(&$actor.username).bind(format!("positive result, quarantine stay #{}", q.stay_id))
            .execute(&mut *$tx).await?;
        if let Some((infector, _source, infector_sid)) = &q.exposed_to {
            sqlx::query("INSERT INTO transmission_links (source, infector_source_id, infector_case_id, infectee_case_id, certainty, route, created_at) \
                 VALUES ('manual', $1, $2, $3, 'probable', 'quarantine contact', $4) ON CONFLICT (source, infector_source_id, infectee_case_id) DO NOTHING")
                .bind(infector_sid).bind(infector).bind(id).bind($now).execute(&mut *$tx).await?;
        }
        let ev = AuditEvent::new($actor, "create", "case").id(id).jurisdiction(&q.reporting_jurisdiction)
            .detail(serde_json::json!({"from": "quarantine", "stay_id": q.stay_id, "infector_case_id": q.exposed_to.as_ref().map(|x| x.0)}));
        audit_append!($tx, &ev);
        id
    }};
}
use open_case_from_positive;

/// Marks a room `cleaning` when the stay leaving it was its last one (inside a transaction).
macro_rules! free_room {
    ($tx:ident, $room:expr, $stay:expr, $now:expr) => {{
        if let Some(room) = $room {
            let others: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM quarantine_stays WHERE room_id = $1 AND status = 'active' AND id <> $2",
            )
            .bind(room)
            .bind($stay)
            .fetch_one(&mut *$tx)
            .await?;
            if others == 0 {
                sqlx::query("UPDATE quarantine_rooms SET status = 'cleaning', updated_at = $1 WHERE id = $2")
                    .bind($now)
                    .bind(room)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}
use free_room;

/// A release (end of the current measure).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReleaseInput {
    /// Required to release before the measure's last day or without the negative result the
    /// release condition asks for; only a person in charge may (see `Role::can_override_release`).
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// What a release did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReleaseOutcome {
    /// The measure released from.
    pub measure: String,
    /// The next measure (home), when the sequence goes on; `None`: released from control.
    pub next: Option<String>,
    pub worker_user_id: Option<i64>,
    pub overridden: bool,
}

/// Ends the current measure of a stay on `today`: from the facility (centralized) or from home.
/// Refused before the measure's last day, or when the release condition (last test negative,
/// all tests negative) is not met, unless `may_override` and a reason is given (recorded on the
/// stay and in the audit log). When the profile's sequence goes on (e.g. 3 days of home health
/// monitoring), the person is handed over to the village/community worker of their home
/// jurisdiction; else the stay is `released`. The room is marked `cleaning`.
pub async fn release(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    stay_id: i64,
    x: &ReleaseInput,
    may_override: bool,
    today: NaiveDate,
) -> Result<ReleaseOutcome, StoreError> {
    let s = get(db, scope, actor, stay_id).await?;
    if s.status != "active" {
        return Err(conflict("status", format!("stay #{stay_id} is {}: nothing to release", s.status)));
    }
    let rows: Vec<ScheduleRow> = db_run!(db, p => sqlx::query_as::<_, ScheduleRow>(
        "SELECT id, item, measure, date_from, date_to, day, done_at FROM quarantine_schedule WHERE stay_id = $1 ORDER BY date_from, id")
        .bind(stay_id).fetch_all(p).await)?;
    let measures: Vec<&ScheduleRow> = rows.iter().filter(|r| r.item == "measure").collect();
    // The current measure: the first not done (centralized while in a room).
    let Some(cur_idx) = measures.iter().position(|m| m.done_at.is_none()) else {
        return Err(conflict("status", "every measure is done"));
    };
    let cur = measures[cur_idx];
    let next = measures.get(cur_idx + 1).copied();
    let profile = profile_for(db, Some(&s.profile), s.start_date).await?;
    let rule = profile
        .quarantine
        .kinds
        .get(&s.control_kind)
        .and_then(|k| k.release.as_ref())
        .map(|r| r.rule)
        .unwrap_or(ReleaseRule::EndDate);
    let results: Vec<(Option<i64>, String)> = db_run!(db, p => sqlx::query_as::<_, (Option<i64>, String)>(
        "SELECT schedule_id, result FROM quarantine_samples WHERE stay_id = $1 ORDER BY taken_at, id").bind(stay_id).fetch_all(p).await)?;
    let tests: Vec<&ScheduleRow> = rows
        .iter()
        .filter(|r| {
            r.item == "test" && r.measure == cur.measure && r.date_to >= cur.date_from && r.date_to <= cur.date_to
        })
        .collect();
    let mut problems = Vec::new();
    if today < cur.date_to {
        problems.push(format!("{} ends on {} (today is {today})", cur.measure, cur.date_to));
    }
    let result_of = |sid: i64| results.iter().rev().find(|(s, _)| *s == Some(sid)).map(|(_, r)| r.as_str());
    match rule {
        ReleaseRule::EndDate => {}
        ReleaseRule::LastTestNegative => {
            if let Some(last) = tests.last()
                && result_of(last.id) != Some("negative")
            {
                problems.push(format!("the test of {} (day {}) has no negative result", last.date_to, last.day));
            }
        }
        ReleaseRule::AllTestsNegative => {
            for t in &tests {
                if result_of(t.id) != Some("negative") {
                    problems.push(format!("the test of {} (day {}) has no negative result", t.date_to, t.day));
                }
            }
        }
    }
    let reason = x.override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    let overridden = !problems.is_empty();
    if overridden {
        match (&reason, may_override) {
            (None, _) => {
                return Err(conflict(
                    "release",
                    format!(
                        "{}: release refused ({}); a person in charge may override with a reason",
                        s.person_name,
                        problems.join("; ")
                    ),
                ));
            }
            (Some(_), false) => return Err(StoreError::Forbidden("your role may not override a release".into())),
            (Some(r), true) if r.chars().count() < 4 => {
                return Err(invalid("override_reason", "give a reason of at least 4 characters"));
            }
            _ => {}
        }
    }
    let next_measure = next.map(|n| n.measure.clone());
    let worker = match next {
        Some(_) => worker_for(db, &s.home_jurisdiction).await?,
        None => None,
    };
    let now = crate::db::now();
    db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        sqlx::query("UPDATE quarantine_schedule SET done_at = $1 WHERE id = $2").bind(now).bind(cur.id).execute(&mut *tx).await?;
        free_room!(tx, s.room_id, stay_id, now);
        let (ob, orr) = if overridden { (Some(actor.username.clone()), reason.clone()) } else { (s.override_by.clone(), s.override_reason.clone()) };
        if next.is_some() {
            sqlx::query("UPDATE quarantine_stays SET facility_id = NULL, room_id = NULL, worker_user_id = $1, override_by = $2, override_reason = $3, \
                 version = version + 1 WHERE id = $4").bind(worker).bind(&ob).bind(&orr).bind(stay_id).execute(&mut *tx).await?;
        } else {
            sqlx::query("UPDATE quarantine_stays SET status = 'released', released_at = $1, override_by = $2, override_reason = $3, \
                 version = version + 1 WHERE id = $4").bind(now).bind(&ob).bind(&orr).bind(stay_id).execute(&mut *tx).await?;
        }
        let ev = AuditEvent::new(actor, "release", "quarantine_stay").id(stay_id).jurisdiction(&s.home_jurisdiction)
            .detail(serde_json::json!({"measure": cur.measure, "next": next_measure, "worker_user_id": worker,
                "override": overridden.then(|| serde_json::json!({"refused": problems, "reason": reason}))}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await)?;
    Ok(ReleaseOutcome { measure: cur.measure.clone(), next: next_measure, worker_user_id: worker, overridden })
}

/// One line of a worklist (a facility's or a worker's): a person with what is due today.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WorkItem {
    pub stay_id: i64,
    pub person_name: String,
    pub room_number: Option<String>,
    pub floor: Option<i64>,
    pub measure: Option<String>,
    /// Health checks recorded today.
    pub checks_today: i64,
    /// A test is scheduled today and not yet sampled.
    pub swab_due: bool,
    /// The current measure ends today or has ended.
    pub release_due: bool,
    pub open_alerts: i64,
}

/// Today's worklist of a facility: everyone checked in, with the health checks recorded today
/// (due: [`CHECKS_PER_DAY`]), whether a swab is due today and whether the current measure ends.
/// One query, so a facility of 2,000 rooms answers in a few milliseconds. The read is recorded.
pub async fn facility_worklist(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    facility_id: i64,
    today: NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<Vec<WorkItem>, StoreError> {
    let ok: Option<String> = db_run!(db, p => sqlx::query_scalar::<_, String>(
        "SELECT f.jurisdiction_code FROM quarantine_facilities f JOIN jurisdictions j ON j.code = f.jurisdiction_code WHERE f.id = $1 AND j.path LIKE $2")
        .bind(facility_id).bind(scope.like()).fetch_optional(p).await)?;
    let Some(jcode) = ok else { return Err(StoreError::NotFound) };
    let (day_start, day_end) = day_bounds(today, tz);
    let rows = db_run!(db, p => sqlx::query_as::<_, WorkItem>(
        "SELECT s.id AS stay_id, p.name AS person_name, r.number AS room_number, r.floor, \
           (SELECT m.measure FROM quarantine_schedule m WHERE m.stay_id = s.id AND m.item = 'measure' AND m.done_at IS NULL ORDER BY m.date_from LIMIT 1) AS measure, \
           (SELECT COUNT(*) FROM health_checks h WHERE h.stay_id = s.id AND h.at >= $2 AND h.at < $3) AS checks_today, \
           EXISTS (SELECT 1 FROM quarantine_schedule t WHERE t.stay_id = s.id AND t.item = 'test' AND t.date_to = $4 AND t.done_at IS NULL) AS swab_due, \
           EXISTS (SELECT 1 FROM quarantine_schedule m WHERE m.stay_id = s.id AND m.item = 'measure' AND m.done_at IS NULL AND m.measure = 'centralized-quarantine' AND m.date_to <= $4) AS release_due, \
           (SELECT COUNT(*) FROM quarantine_alerts a WHERE a.stay_id = s.id AND a.acknowledged_at IS NULL) AS open_alerts \
         FROM quarantine_stays s JOIN people p ON p.id = s.person_id LEFT JOIN quarantine_rooms r ON r.id = s.room_id \
         WHERE s.facility_id = $1 AND s.status = 'active' ORDER BY r.floor, r.number, s.id")
        .bind(facility_id).bind(day_start).bind(day_end).bind(today).fetch_all(p).await)?;
    let ev = AuditEvent::new(actor, "list", "quarantine_worklist")
        .id(facility_id)
        .jurisdiction(&jcode)
        .detail(serde_json::json!({"rows": rows.len(), "day": today}));
    audit::record(db, ev).await?;
    Ok(rows)
}

/// Today's list of a village/community worker: people under a home measure assigned to them.
pub async fn worker_list(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    worker_user_id: i64,
    today: NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<Vec<WorkItem>, StoreError> {
    let (day_start, day_end) = day_bounds(today, tz);
    let rows = db_run!(db, p => sqlx::query_as::<_, WorkItem>(
        "SELECT s.id AS stay_id, p.name AS person_name, NULL AS room_number, NULL AS floor, \
           (SELECT m.measure FROM quarantine_schedule m WHERE m.stay_id = s.id AND m.item = 'measure' AND m.done_at IS NULL ORDER BY m.date_from LIMIT 1) AS measure, \
           (SELECT COUNT(*) FROM health_checks h WHERE h.stay_id = s.id AND h.at >= $3 AND h.at < $4) AS checks_today, \
           EXISTS (SELECT 1 FROM quarantine_schedule t WHERE t.stay_id = s.id AND t.item = 'test' AND t.date_to = $5 AND t.done_at IS NULL) AS swab_due, \
           EXISTS (SELECT 1 FROM quarantine_schedule m WHERE m.stay_id = s.id AND m.item = 'measure' AND m.done_at IS NULL AND m.date_to <= $5) AS release_due, \
           (SELECT COUNT(*) FROM quarantine_alerts a WHERE a.stay_id = s.id AND a.acknowledged_at IS NULL) AS open_alerts \
         FROM quarantine_stays s JOIN people p ON p.id = s.person_id JOIN jurisdictions hj ON hj.code = s.home_jurisdiction \
         WHERE s.worker_user_id = $1 AND s.status = 'active' AND s.room_id IS NULL AND hj.path LIKE $2 ORDER BY s.end_date, s.id")
        .bind(worker_user_id).bind(scope.like()).bind(day_start).bind(day_end).bind(today).fetch_all(p).await)?;
    let ev = AuditEvent::new(actor, "list", "quarantine_home_list")
        .id(worker_user_id)
        .detail(serde_json::json!({"rows": rows.len(), "day": today}));
    audit::record(db, ev).await?;
    Ok(rows)
}

/// The UTC bounds of a local day.
pub fn day_bounds(day: NaiveDate, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::TimeZone;
    let at = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    };
    (at(day), at(day.succ_opt().unwrap_or(day)))
}

/// A facility with free beds (for the check-in form).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FreeRoom {
    pub room_id: i64,
    pub facility_id: i64,
    pub facility_name: String,
    pub building: String,
    pub floor: i64,
    pub number: String,
    pub beds: i64,
    pub taken: i64,
}

/// Rooms with a free bed in open facilities inside the scope (at most `limit`).
pub async fn free_rooms(
    db: &Db,
    scope: &Scope,
    facility: Option<i64>,
    limit: i64,
) -> Result<Vec<FreeRoom>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, FreeRoom>(
        "SELECT r.id AS room_id, f.id AS facility_id, f.name AS facility_name, r.building, r.floor, r.number, r.beds, \
           (SELECT COUNT(*) FROM quarantine_stays s WHERE s.room_id = r.id AND s.status = 'active') AS taken \
         FROM quarantine_rooms r JOIN quarantine_facilities f ON f.id = r.facility_id JOIN jurisdictions j ON j.code = f.jurisdiction_code \
         WHERE j.path LIKE $1 AND f.status = 'open' AND r.status IN ('free', 'occupied') AND ($2 IS NULL OR f.id = $2) \
           AND (SELECT COUNT(*) FROM quarantine_stays s WHERE s.room_id = r.id AND s.status = 'active') < r.beds \
         ORDER BY f.id, r.building, r.floor, r.number LIMIT $3")
        .bind(scope.like()).bind(facility).bind(limit).fetch_all(p).await)
}

/// Facilities inside the scope with their counts (for the quarantine home page).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FacilityCount {
    pub id: i64,
    pub name: String,
    pub rooms: i64,
    pub in_stay: i64,
}

pub async fn facilities(db: &Db, scope: &Scope) -> Result<Vec<FacilityCount>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, FacilityCount>(
        "SELECT f.id, f.name, (SELECT COUNT(*) FROM quarantine_rooms r WHERE r.facility_id = f.id) AS rooms, \
           (SELECT COUNT(*) FROM quarantine_stays s WHERE s.facility_id = f.id AND s.status = 'active') AS in_stay \
         FROM quarantine_facilities f JOIN jurisdictions j ON j.code = f.jurisdiction_code WHERE j.path LIKE $1 ORDER BY f.name, f.id")
        .bind(scope.like()).fetch_all(p).await)
}
