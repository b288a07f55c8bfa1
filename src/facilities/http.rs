//! Facilities, transfers and supply requests: API and pages. Role checks here (the `can_*`
//! methods of [`crate::auth::Role`]); scoping and auditing in the store functions.

use super::supplies::{self, SupplyFilter, SupplyInput, SupplyRequest, SupplyUpdate};
use super::transfers::{self, Advance, TimingDay, Transfer, TransferFilter, TransferInput};
use super::{Access, Board, BulkRooms, Facility, FacilityInput, Occupancy, RoomDetail, Staff, StaffInput, Summary};
use crate::audit::{self, AuditEvent};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::domain::DomainError;
use crate::people::StoreError;
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_summary))
        .routes(routes!(api_get, api_update))
        .routes(routes!(api_board))
        .routes(routes!(api_add_rooms))
        .routes(routes!(api_import_rooms))
        .routes(routes!(api_room))
        .routes(routes!(api_room_status))
        .routes(routes!(api_staff, api_add_staff))
        .routes(routes!(api_occupancy))
        .routes(routes!(api_awaiting))
        .routes(routes!(api_transfers, api_create_transfer))
        .routes(routes!(api_timing))
        .routes(routes!(api_transfer))
        .routes(routes!(api_advance))
        .routes(routes!(api_supplies, api_create_supply))
        .routes(routes!(api_supply_status))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/facilities", get(list_page))
        .route("/facilities/new", get(new_page).post(new_submit))
        .route("/facilities/{id}", get(board_page))
        .route("/facilities/{id}/edit", get(edit_page).post(edit_submit))
        .route("/facilities/{id}/rooms", post(rooms_submit))
        .route("/facilities/{id}/rooms/import", post(rooms_import_submit))
        .route("/facilities/{id}/rooms/{room}/status", post(room_status_submit))
        .route("/facilities/{id}/staff", post(staff_submit))
        .route("/transfers", get(transfers_page))
        .route("/transfers/new", get(transfer_new_page).post(transfer_new_submit))
        .route("/transfers/{id}/advance", post(advance_submit))
        .route("/supplies", get(supplies_page).post(supply_submit))
        .route("/supplies/{id}/status", post(supply_status_submit))
}

fn today(st: &AppState) -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&st.cfg.display_tz).date_naive()
}

/// Refuses (and records) an action the user's role does not allow.
async fn deny(st: &AppState, user: &CurrentUser, entity: &'static str, op: &str, what: &str) -> ApiError {
    let ev = AuditEvent::new(&user.actor(), "denied", entity)
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    if let Err(e) = audit::record(&st.db, ev).await {
        return ApiError::internal(e);
    }
    ApiError::forbidden(format!("your role may not {what}"))
}

fn created(path: String, id: i64) -> Response {
    (StatusCode::CREATED, [(header::LOCATION, path)], Json(serde_json::json!({"id": id}))).into_response()
}

// ------------------------------------------------------------------------------ facility API

/// Facilities the user sees (their subtree and the units above), with room counts.
#[utoipa::path(get, path = "/facilities", tag = "facilities", responses((status = 200, body = Vec<Facility>)))]
async fn api_list(State(st): State<AppState>, user: CurrentUser) -> Result<Json<Vec<Facility>>, ApiError> {
    Ok(Json(super::list(&st.db, &user.scope).await?))
}

/// Register a facility in a unit of the user's subtree (administrators, commanders).
#[utoipa::path(post, path = "/facilities", tag = "facilities", request_body = FacilityInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 409), (status = 422)))]
async fn api_create(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(input): Json<FacilityInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_facilities() {
        return Err(deny(&st, &user, "quarantine_facility", "create", "register facilities").await);
    }
    let v = input.validate().map_err(ApiError::invalid)?;
    let id = super::create(&st.db, &user.scope, &user.actor(), &v).await?;
    Ok(created(format!("/api/v1/facilities/{id}"), id))
}

/// City-wide (what the user sees): facilities, rooms, occupied and free rooms, transfers under
/// way, and the occupancy history and 14-day free-room forecast over every open facility.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CityOccupancy {
    pub summary: Summary,
    pub occupancy: Occupancy,
}

#[derive(Deserialize, utoipa::IntoParams)]
struct DaysQuery {
    /// Days of history up to today (1..=366, default 14).
    days: Option<i64>,
}

/// Occupancy and capacity over every open facility the user sees (the command page's chart).
#[utoipa::path(get, path = "/facilities/summary", tag = "facilities", params(DaysQuery),
    responses((status = 200, body = CityOccupancy)))]
async fn api_summary(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DaysQuery>,
) -> Result<Json<CityOccupancy>, ApiError> {
    let summary = super::summary(&st.db, &user.scope).await?;
    let (_, occupancy) =
        super::occupancy_all(&st.db, &user.scope, today(&st), q.days.unwrap_or(14), st.cfg.display_tz).await?;
    Ok(Json(CityOccupancy { summary, occupancy }))
}

/// One facility (seen: subtree or above; 404 otherwise).
#[utoipa::path(get, path = "/facilities/{id}", tag = "facilities", params(("id" = i64, Path)),
    responses((status = 200, body = Facility), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Facility>, ApiError> {
    Ok(Json(super::get(&st.db, &user.scope, &user.actor(), id, Access::See).await?))
}

/// Body of a facility change: the full record and the version read.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct FacilityUpdate {
    #[serde(flatten)]
    pub facility: FacilityInput,
    pub version: i64,
}

/// Change a facility of the user's subtree.
#[utoipa::path(put, path = "/facilities/{id}", tag = "facilities", params(("id" = i64, Path)), request_body = FacilityUpdate,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_update(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(u): Json<FacilityUpdate>,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_facilities() {
        return Err(deny(&st, &user, "quarantine_facility", "update", "change facilities").await);
    }
    let v = u.facility.validate().map_err(ApiError::invalid)?;
    super::update(&st.db, &user.scope, &user.actor(), id, u.version, &v).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The board: rooms by building and floor, status, occupants count and the day each frees up.
#[utoipa::path(get, path = "/facilities/{id}/board", tag = "facilities", params(("id" = i64, Path)),
    responses((status = 200, body = Board), (status = 404)))]
async fn api_board(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Board>, ApiError> {
    Ok(Json(super::board(&st.db, &user.scope, &user.actor(), id).await?))
}

/// Add rooms floor by floor (all or nothing; an existing room number is 409).
#[utoipa::path(post, path = "/facilities/{id}/rooms", tag = "facilities", params(("id" = i64, Path)), request_body = BulkRooms,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_add_rooms(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(b): Json<BulkRooms>,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_facilities() {
        return Err(deny(&st, &user, "quarantine_room", "create", "add rooms").await);
    }
    let rooms = b.rooms().map_err(ApiError::invalid)?;
    let n = super::add_rooms(&st.db, &user.scope, &user.actor(), id, &rooms, "bulk").await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"rooms": n}))).into_response())
}

/// Import rooms from CSV (`text/csv` body, header `building,floor,number,kind,beds`); every bad
/// cell is named by line and column, and nothing is stored unless every row is good.
#[utoipa::path(post, path = "/facilities/{id}/rooms/import", tag = "facilities", params(("id" = i64, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 409), (status = 422)))]
async fn api_import_rooms(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_facilities() {
        return Err(deny(&st, &user, "quarantine_room", "import", "add rooms").await);
    }
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::invalid(vec![DomainError::new("file", format!("not UTF-8 text: {e}"))]))?;
    let rooms = super::parse_rooms_csv(text).map_err(ApiError::invalid)?;
    let n = super::add_rooms(&st.db, &user.scope, &user.actor(), id, &rooms, "csv").await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"rooms": n}))).into_response())
}

/// A room and its occupants (names masked unless the role may see them; the read is recorded).
#[utoipa::path(get, path = "/facilities/{id}/rooms/{room}", tag = "facilities", params(("id" = i64, Path), ("room" = i64, Path)),
    responses((status = 200, body = RoomDetail), (status = 404)))]
async fn api_room(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, room)): Path<(i64, i64)>,
) -> Result<Json<RoomDetail>, ApiError> {
    Ok(Json(super::room(&st.db, &user.scope, &user.actor(), id, room, user.role.can_see_occupant_names()).await?))
}

/// A room status change.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RoomStatus {
    /// `free`, `cleaning` or `out_of_service` (`occupied` is set by check-in).
    pub status: String,
}

/// Set a room's status by hand; refused (409) while a stay is checked in.
#[utoipa::path(put, path = "/facilities/{id}/rooms/{room}/status", tag = "facilities", params(("id" = i64, Path), ("room" = i64, Path)),
    request_body = RoomStatus, responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_room_status(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, room)): Path<(i64, i64)>,
    Json(s): Json<RoomStatus>,
) -> Result<Response, ApiError> {
    if !user.role.can_set_room_status() {
        return Err(deny(&st, &user, "quarantine_room", "status", "change room status").await);
    }
    super::set_room_status(&st.db, &user.scope, &user.actor(), id, room, &s.status).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Staff of a facility of the user's subtree (phones masked).
#[utoipa::path(get, path = "/facilities/{id}/staff", tag = "facilities", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Staff>), (status = 404)))]
async fn api_staff(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Staff>>, ApiError> {
    Ok(Json(super::staff(&st.db, &user.scope, &user.actor(), id).await?))
}

/// Add a staff member.
#[utoipa::path(post, path = "/facilities/{id}/staff", tag = "facilities", params(("id" = i64, Path)), request_body = StaffInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 422)))]
async fn api_add_staff(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(s): Json<StaffInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_facilities() {
        return Err(deny(&st, &user, "quarantine_staff", "create", "add staff").await);
    }
    let sid = super::add_staff(&st.db, &user.scope, &user.actor(), id, &s).await?;
    Ok(created(format!("/api/v1/facilities/{id}/staff"), sid))
}

/// Occupied rooms by day and the free rooms forecast for the next 14 days (from the computed
/// last day of each stay's centralized quarantine).
#[utoipa::path(get, path = "/facilities/{id}/occupancy", tag = "facilities", params(("id" = i64, Path), DaysQuery),
    responses((status = 200, body = Occupancy), (status = 404)))]
async fn api_occupancy(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<DaysQuery>,
) -> Result<Json<Occupancy>, ApiError> {
    Ok(Json(
        super::occupancy(&st.db, &user.scope, &user.actor(), id, today(&st), q.days.unwrap_or(14), st.cfg.display_tz)
            .await?,
    ))
}

/// Handed-over transfers of the facility not yet checked in (for the check-in form).
#[utoipa::path(get, path = "/facilities/{id}/awaiting-check-in", tag = "facilities", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Transfer>), (status = 404)))]
async fn api_awaiting(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Transfer>>, ApiError> {
    Ok(Json(
        transfers::awaiting_check_in(&st.db, &user.scope, &user.actor(), id, user.role.can_see_occupant_names())
            .await?,
    ))
}

// ------------------------------------------------------------------------------ transfer API

/// The transfer board's tasks (names masked per role).
#[utoipa::path(get, path = "/transfers", tag = "facilities", params(TransferFilter),
    responses((status = 200, body = Vec<Transfer>), (status = 422)))]
async fn api_transfers(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<TransferFilter>,
) -> Result<Json<Vec<Transfer>>, ApiError> {
    Ok(Json(transfers::list(&st.db, &user.scope, &user.actor(), &f, user.role.can_see_occupant_names()).await?))
}

/// Create a transfer task from a desk contact (`contact_id`) or a person (`person_id`). A full
/// or closed facility is refused (409 `facility_id`), so is a person already under way (409).
#[utoipa::path(post, path = "/transfers", tag = "facilities", request_body = TransferInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_create_transfer(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(t): Json<TransferInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_run_transfers() {
        return Err(deny(&st, &user, "transfer", "create", "arrange transfers").await);
    }
    let id = transfers::create(&st.db, &user.scope, &user.actor(), &t).await?;
    Ok(created(format!("/api/v1/transfers/{id}"), id))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct TimingQuery {
    /// First day (YYYY-MM-DD), default 13 days before `to`.
    from: Option<chrono::NaiveDate>,
    /// Last day, default today.
    to: Option<chrono::NaiveDate>,
}

/// Per day of hand-over: tasks handed over, median and longest hours from identified to handed
/// over, and how many within 24 h (feeds the golden-24-hours figure).
#[utoipa::path(get, path = "/transfers/timing", tag = "facilities", params(TimingQuery),
    responses((status = 200, body = Vec<TimingDay>)))]
async fn api_timing(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<TimingQuery>,
) -> Result<Json<Vec<TimingDay>>, ApiError> {
    let to = q.to.unwrap_or_else(|| today(&st));
    let from = q.from.unwrap_or(to - chrono::Duration::days(13));
    Ok(Json(transfers::timing(&st.db, &user.scope, from, to, st.cfg.display_tz).await?))
}

/// One transfer task.
#[utoipa::path(get, path = "/transfers/{id}", tag = "facilities", params(("id" = i64, Path)),
    responses((status = 200, body = Transfer), (status = 404)))]
async fn api_transfer(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Transfer>, ApiError> {
    Ok(Json(transfers::get(&st.db, &user.scope, &user.actor(), id, user.role.can_see_occupant_names()).await?))
}

/// Move a task one step (requested → dispatched → picked_up → handed_over) or cancel it with a
/// reason. Skipping or going back is 422. Handing over sets the desk contact's `controlled_at`.
#[utoipa::path(post, path = "/transfers/{id}/advance", tag = "facilities", params(("id" = i64, Path)), request_body = Advance,
    responses((status = 200, body = Transfer), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_advance(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(a): Json<Advance>,
) -> Result<Json<Transfer>, ApiError> {
    if !user.role.can_run_transfers() {
        return Err(deny(&st, &user, "transfer", "advance", "move transfer tasks").await);
    }
    let mut t = transfers::advance(&st.db, &user.scope, &user.actor(), id, &a).await?;
    if !user.role.can_see_occupant_names() {
        t.name = super::mask_name(&t.name);
    }
    Ok(Json(t))
}

// -------------------------------------------------------------------------------- supply API

/// Supply requests inside the user's jurisdiction (default: open and in progress).
#[utoipa::path(get, path = "/supplies", tag = "facilities", params(SupplyFilter),
    responses((status = 200, body = Vec<SupplyRequest>), (status = 422)))]
async fn api_supplies(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<SupplyFilter>,
) -> Result<Json<Vec<SupplyRequest>>, ApiError> {
    let full = user.role.can_see_occupant_names();
    Ok(Json(
        supplies::list(&st.db, &user.scope, &user.actor(), &f)
            .await?
            .into_iter()
            .map(|mut r| {
                if !full {
                    r.name = super::mask_name(&r.name);
                }
                r
            })
            .collect(),
    ))
}

/// Record a supply request of a person inside the user's jurisdiction.
#[utoipa::path(post, path = "/supplies", tag = "facilities", request_body = SupplyInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 422)))]
async fn api_create_supply(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(s): Json<SupplyInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_handle_supplies() {
        return Err(deny(&st, &user, "supply_request", "create", "record supply requests").await);
    }
    let id = supplies::create(&st.db, &user.scope, &user.actor(), &s).await?;
    Ok(created(format!("/api/v1/supplies/{id}"), id))
}

/// Assign (`in_progress`), fulfil or cancel a supply request.
#[utoipa::path(post, path = "/supplies/{id}/status", tag = "facilities", params(("id" = i64, Path)), request_body = SupplyUpdate,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_supply_status(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(u): Json<SupplyUpdate>,
) -> Result<Response, ApiError> {
    if !user.role.can_handle_supplies() {
        return Err(deny(&st, &user, "supply_request", "update", "handle supply requests").await);
    }
    supplies::update(&st.db, &user.scope, &user.actor(), id, &u).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ------------------------------------------------------------------------------------- pages

use crate::web::home::store_page_error as page_error;

async fn not_allowed(
    st: &AppState,
    user: &CurrentUser,
    page: PageCtx,
    entity: &'static str,
    op: &str,
) -> Result<Response, ApiError> {
    let _ = deny(st, user, entity, op, op).await;
    let t = page.t("not_allowed");
    Ok(user_message(page, StatusCode::FORBIDDEN, "403", t))
}

/// Percentage `n / of` for display (`—` when `of` is 0).
fn pct(n: i64, of: i64) -> String {
    if of == 0 { "—".into() } else { format!("{:.0}%", 100.0 * n as f64 / of as f64) }
}

#[derive(Template)]
#[template(path = "facilities/list.html")]
struct ListPage {
    page: PageCtx,
    rows: Vec<Facility>,
    summary: Summary,
    can_manage: bool,
}

impl ListPage {
    fn pct(&self, n: impl std::borrow::Borrow<i64>, of: impl std::borrow::Borrow<i64>) -> String {
        pct(*n.borrow(), *of.borrow())
    }
}

async fn list_page(State(st): State<AppState>, headers: HeaderMap, user: CurrentUser) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    let rows = super::list(&st.db, &user.scope).await?;
    let summary = super::summary(&st.db, &user.scope).await?;
    Ok(render(&ListPage { page, rows, summary, can_manage: user.role.can_manage_facilities() }))
}

#[derive(Default, Deserialize)]
struct FacilityForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    version: i64,
}

impl FacilityForm {
    fn input(&self) -> Result<FacilityInput, Vec<DomainError>> {
        let num = |field: &'static str, s: &str| -> Result<Option<f64>, DomainError> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<f64>()
                .map(Some)
                .map_err(|_| DomainError::new(field, format!("\"{}\" is not a number", crate::domain::clip(s))))
        };
        let (lat, lon) = (num("lat", &self.lat), num("lon", &self.lon));
        let mut errs = Vec::new();
        let lat = lat.map_err(|e| errs.push(e)).ok().flatten();
        let lon = lon.map_err(|e| errs.push(e)).ok().flatten();
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(FacilityInput {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: Some(self.kind.clone()),
            address: Some(self.address.clone()),
            lat,
            lon,
            jurisdiction: self.jurisdiction.clone(),
            phone: Some(self.phone.clone()),
            status: Some(self.status.clone()),
            notes: Some(self.notes.clone()),
        })
    }
}

#[derive(Template)]
#[template(path = "facilities/form.html")]
struct FormPage {
    page: PageCtx,
    action: String,
    v: FacilityForm,
    errors: Vec<String>,
    kinds: Vec<&'static str>,
}

async fn new_page(State(st): State<AppState>, headers: HeaderMap, user: CurrentUser) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    if !user.role.can_manage_facilities() {
        return not_allowed(&st, &user, page, "quarantine_facility", "create").await;
    }
    let v = FacilityForm {
        jurisdiction: user.scope.code.clone(),
        kind: "hotel".into(),
        status: "open".into(),
        ..Default::default()
    };
    Ok(render(&FormPage {
        page,
        action: "/facilities/new".into(),
        v,
        errors: vec![],
        kinds: super::FACILITY_KINDS.to_vec(),
    }))
}

fn errs_text(e: StoreError) -> Result<Vec<String>, ApiError> {
    match e {
        StoreError::Db(e) => Err(ApiError::internal(e)),
        StoreError::Invalid(errs) => Ok(errs.iter().map(ToString::to_string).collect()),
        other => Ok(vec![other.to_string()]),
    }
}

async fn new_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, v): CsrfForm<FacilityForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    if !user.role.can_manage_facilities() {
        return not_allowed(&st, &user, page, "quarantine_facility", "create").await;
    }
    let errors = match v.input().and_then(|i| i.validate()) {
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
        Ok(valid) => match super::create(&st.db, &user.scope, &user.actor(), &valid).await {
            Ok(id) => return Ok(Redirect::to(&format!("/facilities/{id}")).into_response()),
            Err(e) => errs_text(e)?,
        },
    };
    let mut r =
        render(&FormPage { page, action: "/facilities/new".into(), v, errors, kinds: super::FACILITY_KINDS.to_vec() });
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

async fn edit_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    if !user.role.can_manage_facilities() {
        return not_allowed(&st, &user, page, "quarantine_facility", "update").await;
    }
    let f = match super::get(&st.db, &user.scope, &user.actor(), id, Access::Run).await {
        Ok(f) => f,
        Err(e) => return page_error(page, e),
    };
    let v = FacilityForm {
        code: f.code,
        name: f.name,
        kind: f.kind,
        address: f.address.unwrap_or_default(),
        lat: f.lat.map(|x| x.to_string()).unwrap_or_default(),
        lon: f.lon.map(|x| x.to_string()).unwrap_or_default(),
        jurisdiction: f.jurisdiction_code,
        phone: f.phone.unwrap_or_default(),
        status: f.status,
        notes: f.notes.unwrap_or_default(),
        version: f.version,
    };
    Ok(render(&FormPage {
        page,
        action: format!("/facilities/{id}/edit"),
        v,
        errors: vec![],
        kinds: super::FACILITY_KINDS.to_vec(),
    }))
}

async fn edit_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, v): CsrfForm<FacilityForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    if !user.role.can_manage_facilities() {
        return not_allowed(&st, &user, page, "quarantine_facility", "update").await;
    }
    let errors = match v.input().and_then(|i| i.validate()) {
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
        Ok(valid) => match super::update(&st.db, &user.scope, &user.actor(), id, v.version, &valid).await {
            Ok(()) => return Ok(Redirect::to(&format!("/facilities/{id}")).into_response()),
            Err(StoreError::NotFound) => return page_error(page, StoreError::NotFound),
            Err(e) => errs_text(e)?,
        },
    };
    let mut r = render(&FormPage {
        page,
        action: format!("/facilities/{id}/edit"),
        v,
        errors,
        kinds: super::FACILITY_KINDS.to_vec(),
    });
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Template)]
#[template(path = "facilities/board.html")]
struct BoardPage {
    page: PageCtx,
    b: Board,
    runs: bool,
    can_manage: bool,
    can_set_status: bool,
    staff: Vec<Staff>,
    duties: Vec<&'static str>,
    msg: Option<String>,
    err: Option<String>,
    today: chrono::NaiveDate,
    labels: String,
}

impl BoardPage {
    fn pct(&self, n: impl std::borrow::Borrow<i64>, of: impl std::borrow::Borrow<i64>) -> String {
        pct(*n.borrow(), *of.borrow())
    }
    /// Frees up today or tomorrow: highlighted on the board.
    fn soon(&self, d: impl std::borrow::Borrow<Option<chrono::NaiveDate>>) -> bool {
        d.borrow().is_some_and(|d| d <= self.today + chrono::Duration::days(1))
    }
}

#[derive(Deserialize, Default)]
struct Flash {
    msg: Option<String>,
    err: Option<String>,
}

async fn board_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(fl): Query<Flash>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    let b = match super::board(&st.db, &user.scope, &user.actor(), id).await {
        Ok(b) => b,
        Err(e) => return page_error(page, e),
    };
    // Runs: the facility lies in the user's subtree (the board of a city hotel seen from a county
    // shows counts only).
    let runs = crate::jurisdictions::get(&st.db, &b.facility.jurisdiction_code)
        .await?
        .is_some_and(|j| user.scope.contains(&j));
    let staff = if runs { super::staff(&st.db, &user.scope, &user.actor(), id).await? } else { vec![] };
    let keys = [
        "st_free",
        "st_occupied",
        "st_cleaning",
        "st_out_of_service",
        "occupants",
        "leaves_on",
        "end_date",
        "checked_in",
        "control_kind",
        "fac_set_to",
        "beds",
        "occupied_rooms",
        "free_forecast",
        "releasing",
        "capacity",
        "no_occupants",
        "id_number",
        "person",
        "room",
        "start_date",
    ];
    let labels: serde_json::Map<String, serde_json::Value> =
        keys.iter().map(|k| ((*k).to_string(), serde_json::Value::from(page.t(k)))).collect();
    Ok(render(&BoardPage {
        labels: serde_json::Value::Object(labels).to_string(),
        runs,
        can_manage: runs && user.role.can_manage_facilities(),
        can_set_status: runs && user.role.can_set_room_status(),
        staff,
        duties: super::DUTIES.to_vec(),
        msg: fl.msg,
        err: fl.err,
        today: today(&st),
        page,
        b,
    }))
}

/// Back to the board with a message (`msg`) or an error (`err`) in the query string.
fn back(id: i64, r: Result<String, String>) -> Response {
    let q = match r {
        Ok(m) => serde_urlencoded::to_string([("msg", m)]),
        Err(e) => serde_urlencoded::to_string([("err", e)]),
    }
    .unwrap_or_default();
    Redirect::to(&format!("/facilities/{id}?{q}")).into_response()
}

fn refusal(e: StoreError) -> Result<String, ApiError> {
    match e {
        StoreError::Db(e) => Err(ApiError::internal(e)),
        StoreError::Invalid(errs) => Ok(errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
        other => Ok(other.to_string()),
    }
}

#[derive(Deserialize)]
struct RoomsForm {
    #[serde(default)]
    building: String,
    floor_from: String,
    floor_to: String,
    rooms_per_floor: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    beds: String,
}

async fn rooms_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<RoomsForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    if !user.role.can_manage_facilities() {
        return not_allowed(&st, &user, page, "quarantine_room", "create").await;
    }
    let int = |field: &'static str, s: &str| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| DomainError::new(field, format!("\"{}\" is not a whole number", crate::domain::clip(s))))
    };
    let mut errs = Vec::new();
    let mut get = |field, s: &str| int(field, s).map_err(|e| errs.push(e)).unwrap_or(0);
    let b = BulkRooms {
        building: f.building,
        floor_from: get("floor_from", &f.floor_from),
        floor_to: get("floor_to", &f.floor_to),
        rooms_per_floor: get("rooms_per_floor", &f.rooms_per_floor),
        kind: Some(f.kind),
        beds: if f.beds.trim().is_empty() { None } else { Some(get("beds", &f.beds)) },
    };
    if !errs.is_empty() {
        return Ok(back(id, Err(errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))));
    }
    let r = match b.rooms() {
        Err(errs) => Err(errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
        Ok(rooms) => match super::add_rooms(&st.db, &user.scope, &user.actor(), id, &rooms, "bulk").await {
            Ok(n) => Ok(format!("+{n} {}", page.t("rooms"))),
            Err(StoreError::NotFound) => return page_error(page, StoreError::NotFound),
            Err(e) => Err(refusal(e)?),
        },
    };
    Ok(back(id, r))
}

#[derive(Deserialize)]
struct CsvForm {
    csv: String,
}

async fn rooms_import_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<CsvForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    if !user.role.can_manage_facilities() {
        return not_allowed(&st, &user, page, "quarantine_room", "import").await;
    }
    let r = match super::parse_rooms_csv(&f.csv) {
        Err(errs) => Err(errs.iter().take(20).map(ToString::to_string).collect::<Vec<_>>().join("; ")),
        Ok(rooms) => match super::add_rooms(&st.db, &user.scope, &user.actor(), id, &rooms, "csv").await {
            Ok(n) => Ok(format!("+{n} {}", page.t("rooms"))),
            Err(StoreError::NotFound) => return page_error(page, StoreError::NotFound),
            Err(e) => Err(refusal(e)?),
        },
    };
    Ok(back(id, r))
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn room_status_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((id, room)): Path<(i64, i64)>,
    CsrfForm(user, f): CsrfForm<StatusForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    if !user.role.can_set_room_status() {
        return not_allowed(&st, &user, page, "quarantine_room", "status").await;
    }
    let r = match super::set_room_status(&st.db, &user.scope, &user.actor(), id, room, &f.status).await {
        Ok(()) => Ok(format!("{} → {}", page.t("room"), page.lbl("st", &f.status))),
        Err(StoreError::NotFound) => return page_error(page, StoreError::NotFound),
        Err(e) => Err(refusal(e)?),
    };
    Ok(back(id, r))
}

#[derive(Deserialize)]
struct StaffForm {
    name: String,
    #[serde(default)]
    duty: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    username: String,
}

async fn staff_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<StaffForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "facilities", Some(&user), &st.cfg);
    if !user.role.can_manage_facilities() {
        return not_allowed(&st, &user, page, "quarantine_staff", "create").await;
    }
    let s = StaffInput { name: f.name, duty: Some(f.duty), phone: Some(f.phone), username: Some(f.username) };
    let r = match super::add_staff(&st.db, &user.scope, &user.actor(), id, &s).await {
        Ok(_) => Ok(format!("+1 {}", page.t("staff"))),
        Err(StoreError::NotFound) => return page_error(page, StoreError::NotFound),
        Err(e) => Err(refusal(e)?),
    };
    Ok(back(id, r))
}

// ------------------------------------------------------------------------- transfer pages

#[derive(Template)]
#[template(path = "facilities/transfers.html")]
struct TransfersPage {
    page: PageCtx,
    columns: Vec<(&'static str, Vec<Transfer>)>,
    cancelled: Vec<Transfer>,
    timing: Vec<TimingDay>,
    can_run: bool,
    now: chrono::DateTime<chrono::Utc>,
    msg: Option<String>,
    err: Option<String>,
    facilities: Vec<Facility>,
    facility_id: Option<i64>,
}

impl TransfersPage {
    fn hours(&self, t: &Transfer) -> String {
        format!("{:.1}", t.hours(self.now))
    }
    fn late(&self, t: &Transfer) -> bool {
        t.hours(self.now) > 24.0
    }
    fn sel(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.facility_id == Some(*id.borrow())
    }
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    facility_id: Option<String>,
    msg: Option<String>,
    err: Option<String>,
}

async fn transfers_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<BoardQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "transfers", Some(&user), &st.cfg);
    let facility_id = q.facility_id.as_deref().and_then(|s| s.trim().parse::<i64>().ok());
    let f = TransferFilter { status: None, facility_id, days: Some(2) };
    let rows = match transfers::list(&st.db, &user.scope, &user.actor(), &f, user.role.can_see_occupant_names()).await {
        Ok(r) => r,
        Err(e) => return page_error(page, e),
    };
    let mut columns: Vec<(&'static str, Vec<Transfer>)> = transfers::STEPS.iter().map(|s| (*s, vec![])).collect();
    let mut cancelled = vec![];
    for t in rows {
        match columns.iter_mut().find(|(s, _)| *s == t.status) {
            Some((_, v)) => v.push(t),
            None => cancelled.push(t),
        }
    }
    // Finished tasks: the latest first.
    if let Some((_, v)) = columns.last_mut() {
        v.sort_by_key(|t| std::cmp::Reverse(t.handed_over_at));
    }
    let to = today(&st);
    let timing = transfers::timing(&st.db, &user.scope, to - chrono::Duration::days(6), to, st.cfg.display_tz).await?;
    let facilities = super::list(&st.db, &user.scope).await?;
    Ok(render(&TransfersPage {
        page,
        columns,
        cancelled,
        timing,
        can_run: user.role.can_run_transfers(),
        now: chrono::Utc::now(),
        msg: q.msg,
        err: q.err,
        facilities,
        facility_id,
    }))
}

#[derive(Deserialize, Default)]
struct NewTransferQuery {
    contact_id: Option<i64>,
    case_id: Option<i64>,
    person_id: Option<i64>,
}

#[derive(Default, Deserialize)]
struct TransferForm {
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    household_key: String,
    #[serde(default)]
    control_kind: String,
    #[serde(default)]
    pickup_address: String,
    #[serde(default)]
    facility_id: String,
    #[serde(default)]
    vehicle: String,
    #[serde(default)]
    escort: String,
    #[serde(default)]
    notes: String,
}

#[derive(Template)]
#[template(path = "facilities/transfer_new.html")]
struct TransferNewPage {
    page: PageCtx,
    v: TransferForm,
    facilities: Vec<(Facility, i64)>,
    kinds: Vec<&'static str>,
    errors: Vec<String>,
}

impl TransferNewPage {
    fn sel(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.v.facility_id.trim() == id.borrow().to_string()
    }
}

/// Facilities open to transfers, with their free rooms less the rooms reserved by tasks under way.
async fn destinations(st: &AppState, user: &CurrentUser) -> Result<Vec<(Facility, i64)>, ApiError> {
    let mut out = vec![];
    for f in super::list(&st.db, &user.scope).await?.into_iter().filter(|f| f.status == "open") {
        let reserved = transfers::reserved_rooms(&st.db, f.id).await?;
        let free = (f.free - reserved).max(0);
        out.push((f, free));
    }
    Ok(out)
}

async fn transfer_new_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<NewTransferQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "transfers", Some(&user), &st.cfg);
    if !user.role.can_run_transfers() {
        return not_allowed(&st, &user, page, "transfer", "create").await;
    }
    let contact_id = match (q.contact_id, q.case_id, q.person_id) {
        (Some(c), _, _) => Some(c),
        (None, Some(case), Some(p)) => transfers::contact_id_of(&st.db, case, p).await?,
        _ => None,
    };
    let v = TransferForm {
        contact_id: contact_id.map(|c| c.to_string()).unwrap_or_default(),
        person_id: if contact_id.is_none() {
            q.person_id.map(|p| p.to_string()).unwrap_or_default()
        } else {
            String::new()
        },
        ..Default::default()
    };
    let facilities = destinations(&st, &user).await?;
    Ok(render(&TransferNewPage { page, v, facilities, kinds: transfers::CONTROL_KINDS.to_vec(), errors: vec![] }))
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() { None } else { Some(s.to_string()) }
}

async fn transfer_new_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, v): CsrfForm<TransferForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "transfers", Some(&user), &st.cfg);
    if !user.role.can_run_transfers() {
        return not_allowed(&st, &user, page, "transfer", "create").await;
    }
    let mut errors = Vec::new();
    let id_of = |field: &'static str, s: &str, errors: &mut Vec<String>| -> Option<i64> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        s.parse::<i64>()
            .map_err(|_| errors.push(format!("{field}: \"{}\" is not a number", crate::domain::clip(s))))
            .ok()
    };
    let contact_id = id_of("contact_id", &v.contact_id, &mut errors);
    let person_id = id_of("person_id", &v.person_id, &mut errors);
    let facility_id = id_of("facility_id", &v.facility_id, &mut errors);
    if facility_id.is_none() && errors.is_empty() {
        errors.push(format!("facility_id: {}", page.t("choose_facility")));
    }
    if errors.is_empty() {
        let input = TransferInput {
            contact_id,
            person_id,
            household_key: opt(&v.household_key),
            control_kind: opt(&v.control_kind),
            pickup_address: opt(&v.pickup_address),
            pickup_jurisdiction: None,
            facility_id: facility_id.unwrap_or(0),
            vehicle: opt(&v.vehicle),
            escort: opt(&v.escort),
            notes: opt(&v.notes),
            identified_at: None,
        };
        match transfers::create(&st.db, &user.scope, &user.actor(), &input).await {
            Ok(id) => {
                let q = serde_urlencoded::to_string([("msg", format!("#{id} {}", page.t("tr_created")))])
                    .unwrap_or_default();
                return Ok(Redirect::to(&format!("/transfers?{q}")).into_response());
            }
            Err(e) => errors.extend(errs_text(e)?),
        }
    }
    let facilities = destinations(&st, &user).await?;
    let mut r = render(&TransferNewPage { page, v, facilities, kinds: transfers::CONTROL_KINDS.to_vec(), errors });
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Deserialize)]
struct AdvanceForm {
    status: String,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    vehicle: String,
    #[serde(default)]
    escort: String,
    #[serde(default)]
    reason: String,
}

async fn advance_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<AdvanceForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "transfers", Some(&user), &st.cfg);
    if !user.role.can_run_transfers() {
        return not_allowed(&st, &user, page, "transfer", "advance").await;
    }
    let a = Advance {
        status: f.status.clone(),
        version: f.version,
        vehicle: opt(&f.vehicle),
        escort: opt(&f.escort),
        reason: opt(&f.reason),
    };
    let q = match transfers::advance(&st.db, &user.scope, &user.actor(), id, &a).await {
        Ok(_) => ("msg", format!("#{id} → {}", page.lbl("ts", &f.status))),
        Err(StoreError::NotFound) => return page_error(page, StoreError::NotFound),
        Err(e) => ("err", format!("#{id}: {}", refusal(e)?)),
    };
    Ok(Redirect::to(&format!("/transfers?{}", serde_urlencoded::to_string([q]).unwrap_or_default())).into_response())
}

// --------------------------------------------------------------------------- supply pages

#[derive(Template)]
#[template(path = "facilities/supplies.html")]
struct SuppliesPage {
    page: PageCtx,
    rows: Vec<SupplyRequest>,
    status: String,
    kinds: Vec<&'static str>,
    statuses: Vec<&'static str>,
    can_handle: bool,
    msg: Option<String>,
    err: Option<String>,
}

#[derive(Deserialize, Default)]
struct SuppliesQuery {
    status: Option<String>,
    msg: Option<String>,
    err: Option<String>,
}

async fn supplies_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<SuppliesQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "supplies", Some(&user), &st.cfg);
    let f = SupplyFilter { status: q.status.clone().filter(|s| !s.is_empty()), kind: None };
    let mut rows = match supplies::list(&st.db, &user.scope, &user.actor(), &f).await {
        Ok(r) => r,
        Err(e) => return page_error(page, e),
    };
    if !user.role.can_see_occupant_names() {
        for r in &mut rows {
            r.name = super::mask_name(&r.name);
        }
    }
    Ok(render(&SuppliesPage {
        page,
        rows,
        status: q.status.unwrap_or_default(),
        kinds: supplies::KINDS.to_vec(),
        statuses: supplies::STATUSES.to_vec(),
        can_handle: user.role.can_handle_supplies(),
        msg: q.msg,
        err: q.err,
    }))
}

fn supplies_back(r: Result<String, String>) -> Response {
    let q = match r {
        Ok(m) => serde_urlencoded::to_string([("msg", m)]),
        Err(e) => serde_urlencoded::to_string([("err", e)]),
    }
    .unwrap_or_default();
    Redirect::to(&format!("/supplies?{q}")).into_response()
}

#[derive(Deserialize)]
struct SupplyForm {
    person_id: String,
    kind: String,
    detail: String,
}

async fn supply_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, f): CsrfForm<SupplyForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "supplies", Some(&user), &st.cfg);
    if !user.role.can_handle_supplies() {
        return not_allowed(&st, &user, page, "supply_request", "create").await;
    }
    let Ok(person_id) = f.person_id.trim().parse::<i64>() else {
        return Ok(supplies_back(Err(format!("person_id: \"{}\" is not a number", crate::domain::clip(&f.person_id)))));
    };
    let s = SupplyInput { person_id, kind: f.kind, detail: f.detail, jurisdiction: None };
    let r = match supplies::create(&st.db, &user.scope, &user.actor(), &s).await {
        Ok(id) => Ok(format!("#{id} {}", page.t("tr_created"))),
        Err(StoreError::NotFound) => Err(format!("person_id: {person_id} {}", page.t("no_rows"))),
        Err(e) => Err(refusal(e)?),
    };
    Ok(supplies_back(r))
}

#[derive(Deserialize)]
struct SupplyStatusForm {
    status: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    version: Option<i64>,
}

async fn supply_status_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<SupplyStatusForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "supplies", Some(&user), &st.cfg);
    if !user.role.can_handle_supplies() {
        return not_allowed(&st, &user, page, "supply_request", "update").await;
    }
    let u = SupplyUpdate { status: f.status.clone(), handled_by: None, note: opt(&f.note), version: f.version };
    let r = match supplies::update(&st.db, &user.scope, &user.actor(), id, &u).await {
        Ok(()) => Ok(format!("#{id} → {}", page.lbl("sr", &f.status))),
        Err(StoreError::NotFound) => return page_error(page, StoreError::NotFound),
        Err(e) => Err(refusal(e)?),
    };
    Ok(supplies_back(r))
}
