//! Quarantine facilities (集中隔离场所): hotels and sites with buildings, floors and rooms, their
//! staff, the room board, occupancy by day and a forecast of free rooms; closed-loop transfer
//! tasks ([`transfers`], 闭环转运) and supply requests of people under control ([`supplies`]).
//!
//! Scope: a facility belongs to a jurisdiction. A user *sees* the facilities of their subtree and
//! those of the units above them (a city hotel serves every county: counts, board and forecast,
//! never occupants); a user *runs* (edits, adds rooms and staff, changes a room's status, reads
//! occupants) only the facilities inside their subtree. Both checks are in the queries here.
//!
//! Tables: `quarantine_facilities`, `quarantine_rooms`, `quarantine_staff` (written here);
//! `quarantine_stays` and `quarantine_schedule` (written by the stays slice, only read here: a
//! room's occupants, and the day it frees up = the last day of the stay's centralized-quarantine
//! measure, falling back to the stay's `end_date`).

pub mod demo;
pub mod http;
pub mod i18n;
pub mod supplies;
pub mod transfers;

use crate::audit::{self, Actor, AuditEvent};
use crate::db::{BeginWrite, Db, is_unique_violation};
use crate::domain::{DomainError, Phone, check_len, check_text, clip, mask_phone};
use crate::jurisdictions::{self, Scope};
use crate::people::StoreError;
use crate::{audit_append, db_run};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Facility kinds: quarantine hotel, purpose-built or requisitioned site, other.
pub const FACILITY_KINDS: [&str; 3] = ["hotel", "site", "other"];
/// Room kinds.
pub const ROOM_KINDS: [&str; 2] = ["single", "double"];
/// Room states: occupied while a stay is checked in, cleaning after a release until staff mark
/// it free, out of service by hand.
pub const ROOM_STATUSES: [&str; 4] = ["free", "occupied", "cleaning", "out_of_service"];
/// Most rooms one bulk "add rooms" call or one CSV import may create.
pub const MAX_ROOMS_PER_CALL: usize = 5000;

/// A facility with its room counts (counts are of rooms, not beds).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Facility {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `hotel`, `site` or `other`.
    pub kind: String,
    pub address: Option<String>,
    /// WGS 84 degrees.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// The facility's front desk (not a personal number: shown unmasked).
    pub phone: Option<String>,
    /// `open` or `closed` (a closed facility takes no transfers).
    pub status: String,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
    pub rooms: i64,
    pub free: i64,
    pub occupied: i64,
    pub cleaning: i64,
    pub out_of_service: i64,
    /// Beds in rooms not out of service.
    pub beds: i64,
}

impl Facility {
    /// Rooms that can take people (every room not out of service).
    pub fn capacity(&self) -> i64 {
        self.rooms - self.out_of_service
    }
}

const SELECT: &str = "SELECT f.id, f.code, f.name, f.kind, f.address, f.lat, f.lon, f.jurisdiction_code, j.name AS jurisdiction_name, \
    f.phone, f.status, f.notes, f.created_at, f.version, \
    (SELECT COUNT(*) FROM quarantine_rooms r WHERE r.facility_id = f.id) AS rooms, \
    (SELECT COUNT(*) FROM quarantine_rooms r WHERE r.facility_id = f.id AND r.status = 'free') AS free, \
    (SELECT COUNT(*) FROM quarantine_rooms r WHERE r.facility_id = f.id AND r.status = 'occupied') AS occupied, \
    (SELECT COUNT(*) FROM quarantine_rooms r WHERE r.facility_id = f.id AND r.status = 'cleaning') AS cleaning, \
    (SELECT COUNT(*) FROM quarantine_rooms r WHERE r.facility_id = f.id AND r.status = 'out_of_service') AS out_of_service, \
    (SELECT CAST(COALESCE(SUM(r.beds), 0) AS BIGINT) FROM quarantine_rooms r WHERE r.facility_id = f.id AND r.status <> 'out_of_service') AS beds \
    FROM quarantine_facilities f JOIN jurisdictions j ON j.code = f.jurisdiction_code";

/// SQL condition: the facility's unit lies inside the scope (`$a` = `scope.like()`) or above it
/// (`$b` = `scope.path`).
fn seen_sql(a: usize, b: usize) -> String {
    format!("(j.path LIKE ${a} OR ${b} LIKE j.path || '%')")
}

/// What the caller wants to do with a facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Counts, board, forecast, choose as a transfer destination: subtree or above.
    See,
    /// Edit, rooms, staff, room status, occupants: subtree only.
    Run,
}

/// Input for creating or changing a facility (API JSON body or web form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct FacilityInput {
    /// Short unique code, letters, digits, `-` and `_`, at most 32, e.g. `HY-Q01`.
    pub code: String,
    pub name: String,
    /// `hotel` (default), `site` or `other`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// WGS 84 latitude, degrees (with `lon`, or neither).
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// Code of the jurisdiction the facility belongs to (must lie in the user's scope).
    pub jurisdiction: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// `open` (default) or `closed`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A checked [`FacilityInput`].
#[derive(Debug, Clone)]
pub struct ValidFacility {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub jurisdiction: String,
    pub phone: Option<String>,
    pub status: &'static str,
    pub notes: Option<String>,
}

fn opt_text(errs: &mut Vec<DomainError>, field: &'static str, v: Option<&str>, max: usize) -> Option<String> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    if let Err(e) = check_len(field, v, max).and_then(|_| check_text(field, v)) {
        errs.push(e);
    }
    Some(v.to_string())
}

fn one_of(errs: &mut Vec<DomainError>, field: &'static str, v: &str, allowed: &[&'static str]) -> &'static str {
    match allowed.iter().find(|a| **a == v.trim()) {
        Some(a) => a,
        None => {
            errs.push(DomainError::new(field, format!("\"{}\" is not one of {}", clip(v), allowed.join(", "))));
            allowed[0]
        }
    }
}

impl FacilityInput {
    /// Checks every field and returns all problems at once, each naming its field.
    pub fn validate(&self) -> Result<ValidFacility, Vec<DomainError>> {
        let mut errs = Vec::new();
        let code = self.code.trim().to_string();
        if code.is_empty()
            || code.len() > 32
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errs.push(DomainError::new("code", format!("\"{}\": 1 to 32 letters, digits, - or _", clip(&code))));
        }
        let name = self.name.trim().to_string();
        if name.is_empty() {
            errs.push(DomainError::new("name", "is required"));
        } else if let Err(e) = check_len("name", &name, 100).and_then(|_| check_text("name", &name)) {
            errs.push(e);
        }
        let kind = one_of(
            &mut errs,
            "kind",
            self.kind.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or("hotel"),
            &FACILITY_KINDS,
        );
        let status = one_of(
            &mut errs,
            "status",
            self.status.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or("open"),
            &["open", "closed"],
        );
        let address = opt_text(&mut errs, "address", self.address.as_deref(), 200);
        let notes = opt_text(&mut errs, "notes", self.notes.as_deref(), 1000);
        match (self.lat, self.lon) {
            (Some(la), Some(lo)) => {
                if !(-90.0..=90.0).contains(&la) {
                    errs.push(DomainError::new("lat", format!("{la} is not a latitude (-90 to 90)")));
                }
                if !(-180.0..=180.0).contains(&lo) {
                    errs.push(DomainError::new("lon", format!("{lo} is not a longitude (-180 to 180)")));
                }
            }
            (None, None) => {}
            _ => errs.push(DomainError::new("lat", "give both lat and lon, or neither")),
        }
        let phone = match self.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(p) => Phone::parse(p).map_err(|e| errs.push(e)).ok().map(|p| p.as_str().to_string()),
        };
        let jurisdiction = self.jurisdiction.trim().to_string();
        if jurisdiction.is_empty() {
            errs.push(DomainError::new("jurisdiction", "is required"));
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(ValidFacility {
            code,
            name,
            kind,
            address,
            lat: self.lat,
            lon: self.lon,
            jurisdiction,
            phone,
            status,
            notes,
        })
    }
}

async fn denied(
    db: &Db,
    actor: &Actor,
    entity: &'static str,
    op: &str,
    id: Option<i64>,
    j: Option<&str>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let mut ev = AuditEvent::new(actor, "denied", entity).detail(serde_json::json!({"op": op, "reason": reason}));
    if let Some(id) = id {
        ev = ev.id(id);
    }
    if let Some(j) = j {
        ev = ev.jurisdiction(j);
    }
    audit::record(db, ev).await
}

/// The unit `code` inside `scope`, or the refusal (recorded as `denied` on `entity`).
pub(crate) async fn unit_in_scope(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    entity: &'static str,
    op: &str,
    code: &str,
) -> Result<String, StoreError> {
    match jurisdictions::in_scope(db, scope, code).await {
        Ok(j) => Ok(j.code),
        Err(StoreError::Forbidden(m)) => {
            denied(db, actor, entity, op, None, Some(code), &m).await?;
            Err(StoreError::Forbidden(m))
        }
        Err(e) => Err(e),
    }
}

fn code_taken(code: &str) -> StoreError {
    StoreError::Conflict { field: "code", message: format!("a facility with code {code} already exists") }
}

/// Registers a facility in a unit inside `scope`.
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, f: &ValidFacility) -> Result<i64, StoreError> {
    let jcode = unit_in_scope(db, scope, actor, "quarantine_facility", "create", &f.jurisdiction).await?;
    let now = crate::db::now();
    let res: Result<i64, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO quarantine_facilities (code, name, kind, address, lat, lon, jurisdiction_code, phone, status, notes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
            .bind(&f.code).bind(&f.name).bind(f.kind).bind(f.address.as_deref()).bind(f.lat).bind(f.lon).bind(&jcode)
            .bind(f.phone.as_deref()).bind(f.status).bind(f.notes.as_deref()).bind(now)
            .fetch_one(&mut *tx).await?;
        audit_append!(tx, &AuditEvent::new(actor, "create", "quarantine_facility").id(id).jurisdiction(&jcode)
            .detail(serde_json::json!({"code": f.code})));
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await);
    res.map_err(|e| if is_unique_violation(&e) { code_taken(&f.code) } else { StoreError::Db(e) })
}

/// Reads one facility the caller may `access`. Outside: [`StoreError::NotFound`] (nothing is
/// revealed) and a `denied` entry when it exists.
pub async fn get(db: &Db, scope: &Scope, actor: &Actor, id: i64, access: Access) -> Result<Facility, StoreError> {
    let cond = match access {
        Access::See => seen_sql(2, 3),
        Access::Run => "(j.path LIKE $2 AND $3 <> '')".to_string(),
    };
    let sql = format!("{SELECT} WHERE f.id = $1 AND {cond}");
    let found: Option<Facility> = db_run!(db, pool => sqlx::query_as::<_, Facility>(sqlx::AssertSqlSafe(sql))
        .bind(id).bind(scope.like()).bind(&scope.path).fetch_optional(pool).await)?;
    match found {
        Some(f) => Ok(f),
        None => {
            let j: Option<String> = db_run!(db, pool => sqlx::query_scalar::<_, String>(
                "SELECT jurisdiction_code FROM quarantine_facilities WHERE id = $1").bind(id).fetch_optional(pool).await)?;
            if let Some(j) = j {
                let op = if access == Access::Run { "run" } else { "read" };
                denied(db, actor, "quarantine_facility", op, Some(id), Some(&j), "outside the user's jurisdiction")
                    .await?;
            }
            Err(StoreError::NotFound)
        }
    }
}

/// Every facility the caller sees, with room counts, by jurisdiction then code.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<Facility>, StoreError> {
    let sql = format!("{SELECT} WHERE {} ORDER BY j.path, f.code", seen_sql(1, 2));
    Ok(db_run!(db, pool => sqlx::query_as::<_, Facility>(sqlx::AssertSqlSafe(sql))
        .bind(scope.like()).bind(&scope.path).fetch_all(pool).await)?)
}

/// Changes a facility the caller runs; `version` is the one read (optimistic locking).
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    f: &ValidFacility,
) -> Result<(), StoreError> {
    let old = get(db, scope, actor, id, Access::Run).await?;
    let jcode = unit_in_scope(db, scope, actor, "quarantine_facility", "update", &f.jurisdiction).await?;
    let res: Result<u64, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let n = sqlx::query(
            "UPDATE quarantine_facilities SET code = $1, name = $2, kind = $3, address = $4, lat = $5, lon = $6, jurisdiction_code = $7, \
             phone = $8, status = $9, notes = $10, version = version + 1 WHERE id = $11 AND version = $12")
            .bind(&f.code).bind(&f.name).bind(f.kind).bind(f.address.as_deref()).bind(f.lat).bind(f.lon).bind(&jcode)
            .bind(f.phone.as_deref()).bind(f.status).bind(f.notes.as_deref()).bind(id).bind(version)
            .execute(&mut *tx).await?.rows_affected();
        audit_append!(tx, &AuditEvent::new(actor, "update", "quarantine_facility").id(id).jurisdiction(&jcode)
            .detail(serde_json::json!({"from_jurisdiction": old.jurisdiction_code, "status": f.status})));
        if n == 1 { tx.commit().await?; } else { tx.rollback().await?; }
        Ok::<_, sqlx::Error>(n)
    }.await);
    match res {
        Ok(1) => Ok(()),
        Ok(_) => Err(StoreError::Conflict {
            field: "version",
            message: "this facility was changed by someone else meanwhile; reload it".into(),
        }),
        Err(e) if is_unique_violation(&e) => Err(code_taken(&f.code)),
        Err(e) => Err(StoreError::Db(e)),
    }
}

// ------------------------------------------------------------------------------------ rooms

/// One room to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRoom {
    pub building: String,
    pub floor: i64,
    pub number: String,
    pub kind: &'static str,
    /// 1..=4.
    pub beds: i64,
}

/// The bulk "add rooms" form: every floor from `floor_from` to `floor_to` of `building` gets
/// `rooms_per_floor` rooms numbered floor × 100 + n (`301`, `302`, …; floor × 1000 + n when a
/// floor has 100 rooms or more).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct BulkRooms {
    /// Building name, e.g. `A栋`; may be empty for a single building.
    #[serde(default)]
    pub building: String,
    pub floor_from: i64,
    pub floor_to: i64,
    pub rooms_per_floor: i64,
    /// `single` (default) or `double`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Beds a room, 1..=4; default 1 for single rooms, 2 for double rooms.
    #[serde(default)]
    pub beds: Option<i64>,
}

fn check_building(errs: &mut Vec<DomainError>, b: &str) -> String {
    let b = b.trim().to_string();
    if let Err(e) = check_len("building", &b, 40).and_then(|_| check_text("building", &b)) {
        errs.push(e);
    }
    b
}

impl BulkRooms {
    /// The rooms the form describes, or every problem with it.
    pub fn rooms(&self) -> Result<Vec<NewRoom>, Vec<DomainError>> {
        let mut errs = Vec::new();
        let building = check_building(&mut errs, &self.building);
        let kind = one_of(
            &mut errs,
            "kind",
            self.kind.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or("single"),
            &ROOM_KINDS,
        );
        let beds = self.beds.unwrap_or(if kind == "double" { 2 } else { 1 });
        if !(1..=4).contains(&beds) {
            errs.push(DomainError::new("beds", format!("{beds}: a room has 1 to 4 beds")));
        }
        if !(-5..=200).contains(&self.floor_from) {
            errs.push(DomainError::new("floor_from", format!("{}: floors -5 to 200", self.floor_from)));
        }
        if !(-5..=200).contains(&self.floor_to) || self.floor_to < self.floor_from {
            errs.push(DomainError::new(
                "floor_to",
                format!("{}: from floor_from ({}) to 200", self.floor_to, self.floor_from),
            ));
        }
        if !(1..=500).contains(&self.rooms_per_floor) {
            errs.push(DomainError::new("rooms_per_floor", format!("{}: 1 to 500", self.rooms_per_floor)));
        }
        if errs.is_empty() {
            let total = (self.floor_to - self.floor_from + 1) * self.rooms_per_floor;
            if total as usize > MAX_ROOMS_PER_CALL {
                errs.push(DomainError::new(
                    "rooms_per_floor",
                    format!("{total} rooms: at most {MAX_ROOMS_PER_CALL} in one go"),
                ));
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        let width = if self.rooms_per_floor >= 100 { 3 } else { 2 };
        let mut out = Vec::new();
        for floor in self.floor_from..=self.floor_to {
            for n in 1..=self.rooms_per_floor {
                let number = if floor < 0 { format!("B{}{n:0width$}", -floor) } else { format!("{floor}{n:0width$}") };
                out.push(NewRoom { building: building.clone(), floor, number, kind, beds });
            }
        }
        Ok(out)
    }
}

/// Reads rooms from CSV text with the header `building,floor,number,kind,beds` (`kind` and
/// `beds` may be left empty: single, 1 bed; double, 2 beds). Every bad cell is reported as
/// `line N, column C: …`; nothing is returned unless every row is good.
pub fn parse_rooms_csv(text: &str) -> Result<Vec<NewRoom>, Vec<DomainError>> {
    let mut errs = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let head: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![DomainError::new("file", format!("line 1: {e}"))]),
    };
    let col = |name: &str| head.iter().position(|h| h == name);
    let (Some(cb), Some(cf), Some(cn)) = (col("building"), col("floor"), col("number")) else {
        return Err(vec![DomainError::new(
            "file",
            "line 1: the header must name the columns building, floor, number (and optionally kind, beds)",
        )]);
    };
    let (ck, cbeds) = (col("kind"), col("beds"));
    let mut out: Vec<NewRoom> = Vec::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errs.push(DomainError::new("file", format!("{e}")));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let cell = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").to_string();
        let mut row_errs = Vec::new();
        let building = check_building(&mut row_errs, &cell(Some(cb)));
        let floor = match cell(Some(cf)).parse::<i64>() {
            Ok(f) if (-5..=200).contains(&f) => f,
            _ => {
                row_errs.push(DomainError::new(
                    "floor",
                    format!("\"{}\" is not a floor (-5 to 200)", clip(&cell(Some(cf)))),
                ));
                0
            }
        };
        let number = cell(Some(cn));
        if number.is_empty() || number.chars().count() > 16 || check_text("number", &number).is_err() {
            row_errs.push(DomainError::new(
                "number",
                format!("\"{}\": a room number of 1 to 16 characters", clip(&number)),
            ));
        }
        let k = cell(ck);
        let kind = one_of(&mut row_errs, "kind", if k.is_empty() { "single" } else { &k }, &ROOM_KINDS);
        let b = cell(cbeds);
        let beds = if b.is_empty() {
            if kind == "double" { 2 } else { 1 }
        } else {
            match b.parse::<i64>() {
                Ok(n) if (1..=4).contains(&n) => n,
                _ => {
                    row_errs.push(DomainError::new("beds", format!("\"{}\": 1 to 4", clip(&b))));
                    1
                }
            }
        };
        if let Some(first) = seen.insert((building.clone(), number.clone()), line) {
            row_errs.push(DomainError::new(
                "number",
                format!("room {number} of building \"{building}\" is also on line {first}"),
            ));
        }
        if row_errs.is_empty() {
            out.push(NewRoom { building, floor, number, kind, beds });
        } else {
            let pos = |f: &str| head.iter().position(|h| h == f).map(|i| i + 1).unwrap_or(0);
            for e in row_errs {
                let f = e.field();
                let msg = e.to_string();
                errs.push(DomainError::new(
                    f,
                    format!("line {line}, column {} ({f}): {}", pos(f), msg.trim_start_matches(&format!("{f}: "))),
                ));
            }
        }
        if out.len() + errs.len() > MAX_ROOMS_PER_CALL {
            errs.push(DomainError::new("file", format!("more than {MAX_ROOMS_PER_CALL} rooms in one file")));
            break;
        }
    }
    if out.is_empty() && errs.is_empty() {
        errs.push(DomainError::new("file", "no rooms in the file"));
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

/// Adds rooms to a facility the caller runs, all or nothing: a room number already used in the
/// same building is a [`StoreError::Conflict`] naming the first such rooms, and nothing is written.
pub async fn add_rooms(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    facility_id: i64,
    rooms: &[NewRoom],
    how: &str,
) -> Result<usize, StoreError> {
    let f = get(db, scope, actor, facility_id, Access::Run).await?;
    let existing: Vec<(String, String)> = db_run!(db, pool => sqlx::query_as::<_, (String, String)>(
        "SELECT building, number FROM quarantine_rooms WHERE facility_id = $1").bind(facility_id).fetch_all(pool).await)?;
    let existing: std::collections::HashSet<(String, String)> = existing.into_iter().collect();
    let dup: Vec<String> = rooms
        .iter()
        .filter(|r| existing.contains(&(r.building.clone(), r.number.clone())))
        .take(10)
        .map(|r| if r.building.is_empty() { r.number.clone() } else { format!("{} {}", r.building, r.number) })
        .collect();
    if !dup.is_empty() {
        return Err(StoreError::Conflict {
            field: "number",
            message: format!("these rooms already exist: {}", dup.join(", ")),
        });
    }
    let now = crate::db::now();
    let buildings: Vec<&str> = {
        let mut b: Vec<&str> = rooms.iter().map(|r| r.building.as_str()).collect();
        b.dedup();
        b
    };
    let res: Result<(), sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        for r in rooms {
            sqlx::query("INSERT INTO quarantine_rooms (facility_id, building, floor, number, kind, beds, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'free', $7)")
                .bind(facility_id).bind(&r.building).bind(r.floor).bind(&r.number).bind(r.kind).bind(r.beds).bind(now)
                .execute(&mut *tx).await?;
        }
        audit_append!(tx, &AuditEvent::new(actor, "create", "quarantine_room").id(facility_id).jurisdiction(&f.jurisdiction_code)
            .detail(serde_json::json!({"rooms": rooms.len(), "buildings": buildings, "how": how})));
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await);
    match res {
        Ok(()) => Ok(rooms.len()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict {
            field: "number",
            message: "a room with this number was added meanwhile; reload".into(),
        }),
        Err(e) => Err(StoreError::Db(e)),
    }
}

/// One room on the board (no personal data).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Room {
    pub id: i64,
    pub building: String,
    pub floor: i64,
    pub number: String,
    pub kind: String,
    pub beds: i64,
    pub status: String,
    pub updated_at: DateTime<Utc>,
    /// Active stays in the room.
    #[sqlx(default)]
    pub occupants: i64,
    /// The day the room frees up: the latest last day of centralized quarantine of its active stays.
    #[sqlx(default)]
    pub frees_on: Option<NaiveDate>,
}

/// An active stay in a room, as the board and the forecast use it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ActiveStay {
    room_id: i64,
    end_date: NaiveDate,
    central_to: Option<NaiveDate>,
}

impl ActiveStay {
    /// The day the person leaves the room: the last day of the centralized-quarantine measure
    /// (quarantine_schedule), or the stay's end date when it has no such measure row.
    fn leaves_on(&self) -> NaiveDate {
        self.central_to.unwrap_or(self.end_date)
    }
}

async fn active_stays(db: &Db, facility_id: i64) -> Result<Vec<ActiveStay>, sqlx::Error> {
    db_run!(db, pool => sqlx::query_as::<_, ActiveStay>(
        "SELECT s.room_id, s.end_date, (SELECT MAX(q.date_to) FROM quarantine_schedule q WHERE q.stay_id = s.id AND q.item = 'measure' \
         AND q.measure = 'centralized-quarantine') AS central_to \
         FROM quarantine_stays s WHERE s.facility_id = $1 AND s.status = 'active' AND s.room_id IS NOT NULL")
        .bind(facility_id).fetch_all(pool).await)
}

/// Counts of rooms by status.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RoomCounts {
    pub total: i64,
    pub free: i64,
    pub occupied: i64,
    pub cleaning: i64,
    pub out_of_service: i64,
    /// Rooms not out of service.
    pub capacity: i64,
    /// Beds in rooms not out of service.
    pub beds: i64,
    /// People checked in (active stays with a room).
    pub people: i64,
}

/// The rooms of one floor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Floor {
    pub floor: i64,
    pub rooms: Vec<Room>,
}

/// The floors of one building, top floor first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Building {
    pub building: String,
    pub counts: RoomCounts,
    pub floors: Vec<Floor>,
}

/// The facility board: rooms by building and floor with their status and the day each frees up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub facility: Facility,
    pub counts: RoomCounts,
    pub buildings: Vec<Building>,
}

fn count(c: &mut RoomCounts, r: &Room) {
    c.total += 1;
    match r.status.as_str() {
        "free" => c.free += 1,
        "occupied" => c.occupied += 1,
        "cleaning" => c.cleaning += 1,
        _ => c.out_of_service += 1,
    }
    if r.status != "out_of_service" {
        c.capacity += 1;
        c.beds += r.beds;
    }
    c.people += r.occupants;
}

/// Room number order: by length then text, so `1001` comes after `902`.
fn number_key(n: &str) -> (usize, &str) {
    (n.len(), n)
}

/// The board of a facility the caller sees (counts and rooms; no personal data, not audited).
pub async fn board(db: &Db, scope: &Scope, actor: &Actor, facility_id: i64) -> Result<Board, StoreError> {
    let facility = get(db, scope, actor, facility_id, Access::See).await?;
    let mut rooms: Vec<Room> = db_run!(db, pool => sqlx::query_as::<_, Room>(
        "SELECT id, building, floor, number, kind, beds, status, updated_at FROM quarantine_rooms WHERE facility_id = $1")
        .bind(facility_id).fetch_all(pool).await)?;
    let stays = active_stays(db, facility_id).await?;
    let mut by_room: HashMap<i64, (i64, NaiveDate)> = HashMap::new();
    for s in &stays {
        let e = by_room.entry(s.room_id).or_insert((0, s.leaves_on()));
        e.0 += 1;
        e.1 = e.1.max(s.leaves_on());
    }
    for r in &mut rooms {
        if let Some((n, d)) = by_room.get(&r.id) {
            r.occupants = *n;
            r.frees_on = Some(*d);
        }
    }
    rooms.sort_by(|a, b| {
        (a.building.as_str(), std::cmp::Reverse(a.floor), number_key(&a.number)).cmp(&(
            b.building.as_str(),
            std::cmp::Reverse(b.floor),
            number_key(&b.number),
        ))
    });
    let mut counts = RoomCounts::default();
    let mut buildings: Vec<Building> = Vec::new();
    for r in rooms {
        count(&mut counts, &r);
        if buildings.last().is_none_or(|b| b.building != r.building) {
            buildings.push(Building { building: r.building.clone(), counts: RoomCounts::default(), floors: vec![] });
        }
        let Some(b) = buildings.last_mut() else { continue };
        count(&mut b.counts, &r);
        if b.floors.last().is_none_or(|f| f.floor != r.floor) {
            b.floors.push(Floor { floor: r.floor, rooms: vec![] });
        }
        if let Some(f) = b.floors.last_mut() {
            f.rooms.push(r);
        }
    }
    Ok(Board { facility, counts, buildings })
}

/// A person in a room, as the board shows them when a room is clicked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Occupant {
    pub stay_id: i64,
    pub person_id: i64,
    /// Full name for roles that may see occupants' names, else masked (`王**`).
    pub name: String,
    /// Always masked (`430***********1234`).
    pub id_number: String,
    pub control_kind: String,
    pub start_date: NaiveDate,
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Last day of centralized quarantine (the day the room frees up).
    pub leaves_on: NaiveDate,
    /// Last day under control (after home measures, if any).
    pub end_date: NaiveDate,
}

/// A room and who is in it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomDetail {
    pub facility_id: i64,
    pub room: Room,
    pub occupants: Vec<Occupant>,
}

/// Masks a name for roles that may not see occupants: the first character and one `*` for each
/// of the others (`王小明` → `王**`).
pub fn mask_name(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => std::iter::once(f).chain(c.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[derive(sqlx::FromRow)]
struct OccRow {
    stay_id: i64,
    person_id: i64,
    name: String,
    id_number: String,
    control_kind: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    checked_in_at: Option<DateTime<Utc>>,
    central_to: Option<NaiveDate>,
}

/// One room of a facility the caller runs, with its occupants (names masked unless
/// `full_names`); the read is recorded when the room has occupants.
pub async fn room(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    facility_id: i64,
    room_id: i64,
    full_names: bool,
) -> Result<RoomDetail, StoreError> {
    let f = get(db, scope, actor, facility_id, Access::Run).await?;
    let room: Option<Room> = db_run!(db, pool => sqlx::query_as::<_, Room>(
        "SELECT id, building, floor, number, kind, beds, status, updated_at FROM quarantine_rooms WHERE facility_id = $1 AND id = $2")
        .bind(facility_id).bind(room_id).fetch_optional(pool).await)?;
    let mut room = room.ok_or(StoreError::NotFound)?;
    let rows: Vec<OccRow> = db_run!(db, pool => sqlx::query_as::<_, OccRow>(
        "SELECT s.id AS stay_id, s.person_id, p.name, p.id_number, s.control_kind, s.start_date, s.end_date, s.checked_in_at, \
         (SELECT MAX(q.date_to) FROM quarantine_schedule q WHERE q.stay_id = s.id AND q.item = 'measure' AND q.measure = 'centralized-quarantine') AS central_to \
         FROM quarantine_stays s JOIN people p ON p.id = s.person_id WHERE s.room_id = $1 AND s.status = 'active' ORDER BY s.id")
        .bind(room_id).fetch_all(pool).await)?;
    let occupants: Vec<Occupant> = rows
        .into_iter()
        .map(|r| Occupant {
            stay_id: r.stay_id,
            person_id: r.person_id,
            name: if full_names { r.name } else { mask_name(&r.name) },
            id_number: crate::domain::mask_id_number(&r.id_number),
            control_kind: r.control_kind,
            start_date: r.start_date,
            checked_in_at: r.checked_in_at,
            leaves_on: r.central_to.unwrap_or(r.end_date),
            end_date: r.end_date,
        })
        .collect();
    room.occupants = occupants.len() as i64;
    room.frees_on = occupants.iter().map(|o| o.leaves_on).max();
    if !occupants.is_empty() {
        let ids: Vec<i64> = occupants.iter().map(|o| o.person_id).collect();
        audit::record(
            db,
            AuditEvent::new(actor, "read", "quarantine_room")
                .id(room_id)
                .jurisdiction(&f.jurisdiction_code)
                .detail(serde_json::json!({"facility": facility_id, "people": ids, "masked_names": !full_names})),
        )
        .await?;
    }
    Ok(RoomDetail { facility_id, room, occupants })
}

/// Sets a room's status by hand (staff): `free` (after cleaning or repair), `cleaning` or
/// `out_of_service`. `occupied` is set only by check-in. A room with an active stay cannot be
/// set to anything else: the stay must be released first ([`StoreError::Conflict`]).
pub async fn set_room_status(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    facility_id: i64,
    room_id: i64,
    to: &str,
) -> Result<(), StoreError> {
    let to = match to.trim() {
        "free" => "free",
        "cleaning" => "cleaning",
        "out_of_service" => "out_of_service",
        "occupied" => {
            return Err(StoreError::Invalid(vec![DomainError::new(
                "status",
                "occupied is set by checking a person in, not by hand",
            )]));
        }
        other => {
            return Err(StoreError::Invalid(vec![DomainError::new(
                "status",
                format!("\"{}\" is not one of free, cleaning, out_of_service", clip(other)),
            )]));
        }
    };
    let f = get(db, scope, actor, facility_id, Access::Run).await?;
    let now = crate::db::now();
    // 0: done; 1: no such room; 2: active stays; 3: changed meanwhile.
    let (outcome, number, from, active): (u8, String, String, i64) = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let r: Option<(String, String)> = sqlx::query_as("SELECT number, status FROM quarantine_rooms WHERE id = $1 AND facility_id = $2")
            .bind(room_id).bind(facility_id).fetch_optional(&mut *tx).await?;
        let Some((number, from)) = r else { return Ok::<_, sqlx::Error>((1, String::new(), String::new(), 0)) };
        let active: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quarantine_stays WHERE room_id = $1 AND status = 'active'")
            .bind(room_id).fetch_one(&mut *tx).await?;
        if active > 0 {
            tx.rollback().await?;
            return Ok((2, number, from, active));
        }
        if from == to {
            tx.rollback().await?;
            return Ok((0, number, from, 0));
        }
        let n = sqlx::query("UPDATE quarantine_rooms SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(to).bind(now).bind(room_id).bind(&from).execute(&mut *tx).await?.rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok((3, number, from, 0));
        }
        audit_append!(tx, &AuditEvent::new(actor, "update", "quarantine_room").id(room_id).jurisdiction(&f.jurisdiction_code)
            .detail(serde_json::json!({"facility": facility_id, "number": number, "from": from, "to": to})));
        tx.commit().await?;
        Ok((0, number, from, 0))
    }.await)?;
    match outcome {
        0 => Ok(()),
        1 => Err(StoreError::NotFound),
        2 => Err(StoreError::Conflict {
            field: "status",
            message: format!("room {number} is {from} with {active} active stay(s): release or move the people first"),
        }),
        _ => Err(StoreError::Conflict { field: "status", message: format!("room {number} changed meanwhile; reload") }),
    }
}

// ------------------------------------------------------------------------------------ staff

/// A staff member of a facility (phone masked).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Staff {
    pub id: i64,
    pub name: String,
    /// e.g. `manager`, `medical`, `security`, `cleaning`, `staff`.
    pub duty: String,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    pub username: Option<String>,
}

/// Input for adding a staff member.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct StaffInput {
    pub name: String,
    #[serde(default)]
    pub duty: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// A platform account of the staff member, if any.
    #[serde(default)]
    pub username: Option<String>,
}

/// (id, name, duty, phone, username) as stored.
type StaffRow = (i64, String, String, Option<String>, Option<String>);

/// Staff duties.
pub const DUTIES: [&str; 6] = ["manager", "medical", "security", "cleaning", "logistics", "staff"];

/// Adds a staff member to a facility the caller runs.
pub async fn add_staff(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    facility_id: i64,
    s: &StaffInput,
) -> Result<i64, StoreError> {
    let mut errs = Vec::new();
    let name = s.name.trim().to_string();
    if name.is_empty() {
        errs.push(DomainError::new("name", "is required"));
    } else if let Err(e) = check_len("name", &name, 50).and_then(|_| check_text("name", &name)) {
        errs.push(e);
    }
    let duty =
        one_of(&mut errs, "duty", s.duty.as_deref().filter(|d| !d.trim().is_empty()).unwrap_or("staff"), &DUTIES);
    let phone = match s.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Phone::parse(p).map_err(|e| errs.push(e)).ok(),
    };
    let user_id = match s.username.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => match crate::auth::by_username(db, u).await? {
            Some(user) => Some(user.id),
            None => {
                errs.push(DomainError::new("username", format!("\"{}\" is not a user", clip(u))));
                None
            }
        },
    };
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let f = get(db, scope, actor, facility_id, Access::Run).await?;
    let id = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO quarantine_staff (facility_id, user_id, name, duty, phone) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(facility_id).bind(user_id).bind(&name).bind(duty).bind(phone.as_ref().map(Phone::as_str))
            .fetch_one(&mut *tx).await?;
        audit_append!(tx, &AuditEvent::new(actor, "create", "quarantine_staff").id(id).jurisdiction(&f.jurisdiction_code)
            .detail(serde_json::json!({"facility": facility_id, "duty": duty})));
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await)?;
    Ok(id)
}

/// The staff of a facility the caller runs (phones masked; the read is recorded).
pub async fn staff(db: &Db, scope: &Scope, actor: &Actor, facility_id: i64) -> Result<Vec<Staff>, StoreError> {
    let f = get(db, scope, actor, facility_id, Access::Run).await?;
    let rows: Vec<StaffRow> = db_run!(db, pool => sqlx::query_as(
        "SELECT s.id, s.name, s.duty, s.phone, u.username FROM quarantine_staff s LEFT JOIN users u ON u.id = s.user_id \
         WHERE s.facility_id = $1 ORDER BY s.duty, s.id").bind(facility_id).fetch_all(pool).await)?;
    if !rows.is_empty() {
        audit::record(
            db,
            AuditEvent::new(actor, "list", "quarantine_staff")
                .id(facility_id)
                .jurisdiction(&f.jurisdiction_code)
                .detail(serde_json::json!({"rows": rows.len()})),
        )
        .await?;
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, duty, phone, username)| Staff {
            id,
            name,
            duty,
            phone: phone.as_deref().map(mask_phone),
            username,
        })
        .collect())
}

// ------------------------------------------------------------------------ occupancy, forecast

/// Occupied rooms on one day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OccupancyDay {
    pub day: NaiveDate,
    /// Rooms with at least one person checked in at some time that day.
    pub occupied: i64,
}

/// Free rooms expected on one day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForecastDay {
    pub day: NaiveDate,
    /// Rooms free that day: free now, plus rooms in cleaning (from tomorrow), plus occupied rooms
    /// whose last occupant's centralized quarantine ends on or before that day, minus the rooms
    /// transfers under way will take.
    pub free: i64,
    /// Occupied rooms freeing up that day.
    pub releasing: i64,
}

/// Occupancy history and free-room forecast of one facility (or all facilities seen).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Occupancy {
    /// Rooms not out of service now.
    pub capacity: i64,
    pub counts: RoomCounts,
    /// Rooms that transfers under way (requested, dispatched, picked up, or handed over and not
    /// yet checked in) will take: one a household.
    pub reserved: i64,
    pub history: Vec<OccupancyDay>,
    /// Today and the 13 days after.
    pub forecast: Vec<ForecastDay>,
}

/// Days of forecast (today included).
pub const FORECAST_DAYS: i64 = 14;

#[derive(sqlx::FromRow)]
struct StaySpan {
    room_id: i64,
    checked_in_at: DateTime<Utc>,
    released_at: Option<DateTime<Utc>>,
    status: String,
}

/// Occupancy by day for the `days` days up to `today`, and the forecast of free rooms for
/// [`FORECAST_DAYS`] days from `today`, over the given facilities (already access-checked).
async fn occupancy_of(
    db: &Db,
    ids: &[i64],
    today: NaiveDate,
    days: i64,
    tz: chrono_tz::Tz,
) -> Result<Occupancy, StoreError> {
    let mut counts = RoomCounts::default();
    let mut frees: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut spans: Vec<StaySpan> = Vec::new();
    let mut reserved = 0;
    for &id in ids {
        let rooms: Vec<Room> = db_run!(db, pool => sqlx::query_as::<_, Room>(
            "SELECT id, building, floor, number, kind, beds, status, updated_at FROM quarantine_rooms WHERE facility_id = $1")
            .bind(id).fetch_all(pool).await)?;
        let stays = active_stays(db, id).await?;
        let mut leave: HashMap<i64, NaiveDate> = HashMap::new();
        for s in &stays {
            let e = leave.entry(s.room_id).or_insert(s.leaves_on());
            *e = (*e).max(s.leaves_on());
        }
        for r in &rooms {
            count(&mut counts, r);
            if r.status == "occupied" || leave.contains_key(&r.id) {
                // An occupied room without a stay (not yet consistent) is taken as freeing never.
                if let Some(d) = leave.get(&r.id) {
                    *frees.entry(*d).or_default() += 1;
                }
            }
        }
        let s: Vec<StaySpan> = db_run!(db, pool => sqlx::query_as::<_, StaySpan>(
            "SELECT room_id, checked_in_at, released_at, status FROM quarantine_stays WHERE facility_id = $1 AND room_id IS NOT NULL AND checked_in_at IS NOT NULL")
            .bind(id).fetch_all(pool).await)?;
        spans.extend(s);
        reserved += transfers::reserved_rooms(db, id).await?;
    }
    let first = today - chrono::Duration::days(days.clamp(1, 366) - 1);
    let mut history = Vec::new();
    let mut d = first;
    while d <= today {
        let mut rooms: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for s in &spans {
            let from = s.checked_in_at.with_timezone(&tz).date_naive();
            // A stay that ended without a release time (converted, cancelled) counts on its
            // check-in day only; an active one until today.
            let to = match (s.released_at, s.status == "active") {
                (Some(t), _) => Some(t.with_timezone(&tz).date_naive()),
                (None, true) => None,
                (None, false) => Some(from),
            };
            if from <= d && to.is_none_or(|t| d <= t) {
                rooms.insert(s.room_id);
            }
        }
        history.push(OccupancyDay { day: d, occupied: rooms.len() as i64 });
        d += chrono::Duration::days(1);
    }
    let mut forecast = Vec::new();
    for i in 0..FORECAST_DAYS {
        let day = today + chrono::Duration::days(i);
        let freed: i64 = frees.range(..=day).map(|(_, n)| n).sum();
        let releasing = frees.get(&day).copied().unwrap_or(0);
        let cleaning = if i == 0 { 0 } else { counts.cleaning };
        forecast.push(ForecastDay { day, free: (counts.free + cleaning + freed - reserved).max(0), releasing });
    }
    Ok(Occupancy { capacity: counts.capacity, counts, reserved, history, forecast })
}

/// Occupancy history (`days` days to `today`) and 14-day free-room forecast of a facility the
/// caller sees.
pub async fn occupancy(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    facility_id: i64,
    today: NaiveDate,
    days: i64,
    tz: chrono_tz::Tz,
) -> Result<Occupancy, StoreError> {
    get(db, scope, actor, facility_id, Access::See).await?;
    occupancy_of(db, &[facility_id], today, days, tz).await
}

/// The same over every open facility the caller sees (the command page's city-wide figure).
pub async fn occupancy_all(
    db: &Db,
    scope: &Scope,
    today: NaiveDate,
    days: i64,
    tz: chrono_tz::Tz,
) -> Result<(Vec<Facility>, Occupancy), StoreError> {
    let fs: Vec<Facility> = list(db, scope).await?.into_iter().filter(|f| f.status == "open").collect();
    let ids: Vec<i64> = fs.iter().map(|f| f.id).collect();
    let o = occupancy_of(db, &ids, today, days, tz).await?;
    Ok((fs, o))
}

/// The command page's card: facilities seen, rooms, occupied and free rooms (one query).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub facilities: i64,
    pub capacity: i64,
    pub occupied: i64,
    pub free: i64,
    pub cleaning: i64,
    /// Transfers requested, dispatched or picked up.
    pub transfers_under_way: i64,
}

/// Facility and transfer counts for the command page, over what the caller sees.
pub async fn summary(db: &Db, scope: &Scope) -> Result<Summary, StoreError> {
    let fs = list(db, scope).await?;
    let mut s = Summary::default();
    for f in fs.iter().filter(|f| f.status == "open") {
        s.facilities += 1;
        s.capacity += f.capacity();
        s.occupied += f.occupied;
        s.free += f.free;
        s.cleaning += f.cleaning;
    }
    s.transfers_under_way = transfers::under_way(db, scope).await?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_rooms_are_numbered_by_floor() {
        let b = BulkRooms {
            building: "A栋".into(),
            floor_from: 2,
            floor_to: 3,
            rooms_per_floor: 3,
            kind: None,
            beds: None,
        };
        let r = b.rooms().expect("valid");
        let n: Vec<&str> = r.iter().map(|r| r.number.as_str()).collect();
        assert_eq!(n, ["201", "202", "203", "301", "302", "303"]);
        assert!(r.iter().all(|r| r.beds == 1 && r.kind == "single"));
        let d = BulkRooms {
            floor_from: 1,
            floor_to: 1,
            rooms_per_floor: 120,
            kind: Some("double".into()),
            ..Default::default()
        };
        let r = d.rooms().expect("valid");
        assert_eq!(r[0].number, "1001");
        assert_eq!(r[119].number, "1120");
        assert_eq!(r[0].beds, 2);
    }

    #[test]
    fn bulk_rooms_refuse_bad_floors() {
        let b = BulkRooms {
            floor_from: 5,
            floor_to: 3,
            rooms_per_floor: 0,
            kind: Some("suite".into()),
            ..Default::default()
        };
        let e = b.rooms().expect_err("invalid");
        let fields: Vec<&str> = e.iter().map(DomainError::field).collect();
        assert_eq!(fields, ["kind", "floor_to", "rooms_per_floor"]);
    }

    #[test]
    fn csv_rooms_name_line_and_column() {
        let ok = parse_rooms_csv("building,floor,number,kind,beds\nA,1,101,,\nA,1,102,double,\n").expect("valid");
        assert_eq!(ok[1], NewRoom { building: "A".into(), floor: 1, number: "102".into(), kind: "double", beds: 2 });
        let e = parse_rooms_csv("building,floor,number,kind,beds\nA,x,101,,\nA,1,101,single,9\n").expect_err("invalid");
        let msgs: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(msgs[0].contains("line 2, column 2 (floor)"), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("line 3, column 5 (beds)")), "{msgs:?}");
    }

    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name("Li"), "L*");
        assert_eq!(mask_name(""), "");
    }
}
