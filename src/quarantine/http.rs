//! Quarantine: API (`/api/v1/quarantine/…`) and pages (`/quarantine/…`). Handlers check the role
//! (`Role::can_manage_stays`, `can_override_release`, `can_recompute_schedules`) and call the
//! scoped store functions of [`crate::quarantine`].

use super::recompute::{self, Preview};
use super::{
    CheckInInput, CheckInput, ControlInput, ReleaseInput, ReleaseOutcome, ResultOutcome, SampleInput, StayDetail,
    StayFilter, StayView, WorkItem,
};
use crate::audit::{self, AuditEvent};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::people::StoreError;
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_get))
        .routes(routes!(api_check_in))
        .routes(routes!(api_check))
        .routes(routes!(api_sample))
        .routes(routes!(api_result))
        .routes(routes!(api_release))
        .routes(routes!(api_start_date))
        .routes(routes!(api_worklist))
        .routes(routes!(api_home_list))
        .routes(routes!(api_recompute))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/quarantine", get(index_page))
        .route("/quarantine/stays", post(create_submit))
        .route("/quarantine/stays/{id}", get(stay_page))
        .route("/quarantine/stays/{id}/check-in", post(check_in_submit))
        .route("/quarantine/stays/{id}/checks", post(check_submit))
        .route("/quarantine/stays/{id}/samples", post(sample_submit))
        .route("/quarantine/samples/{id}/result", post(result_submit))
        .route("/quarantine/stays/{id}/release", post(release_submit))
        .route("/quarantine/stays/{id}/start-date", post(start_date_submit))
        .route("/quarantine/stays/{id}/certificate", get(certificate_page))
        .route("/quarantine/facilities/{id}/worklist", get(worklist_page))
        .route("/quarantine/home", get(home_page))
        .route("/quarantine/recompute", get(recompute_page).post(recompute_submit))
}

fn today(st: &AppState) -> NaiveDate {
    chrono::Utc::now().with_timezone(&st.cfg.display_tz).date_naive()
}

/// Refuses (and records) an action the user's role does not allow.
async fn deny(st: &AppState, user: &CurrentUser, op: &str) -> Result<ApiError, ApiError> {
    let ev = AuditEvent::new(&user.actor(), "denied", "quarantine_stay")
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    audit::record(&st.db, ev).await?;
    Ok(ApiError::forbidden(format!("your role may not {op}")))
}

async fn need(st: &AppState, user: &CurrentUser, allowed: bool, op: &str) -> Result<(), ApiError> {
    if allowed { Ok(()) } else { Err(deny(st, user, op).await?) }
}

/// A page of stays.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaysPage {
    pub total: i64,
    pub items: Vec<StayView>,
}

/// People under control inside the user's jurisdiction (masked; 100 a page).
#[utoipa::path(get, path = "/quarantine/stays", tag = "quarantine", params(StayFilter),
    responses((status = 200, body = StaysPage), (status = 422)))]
async fn api_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<StayFilter>,
) -> Result<Json<StaysPage>, ApiError> {
    let (rows, total) = super::list(&st.db, &user.scope, &user.actor(), &f).await?;
    Ok(Json(StaysPage { total, items: rows.iter().map(super::Stay::masked).collect() }))
}

/// Place a person under control (from a contact of a case, or by hand): the schedule is
/// computed from the policy profile. 409 when the person is already under control.
#[utoipa::path(post, path = "/quarantine/stays", tag = "quarantine", request_body = ControlInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 409), (status = 422)))]
async fn api_create(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(x): Json<ControlInput>,
) -> Result<Response, ApiError> {
    need(&st, &user, user.role.can_manage_stays(), "place people under control").await?;
    let id = super::put_under_control(&st.db, &user.scope, &user.actor(), &x).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/quarantine/stays/{id}"))],
        Json(serde_json::json!({"id": id})),
    )
        .into_response())
}

/// A stay with its schedule, health checks, samples and alerts (masked; the read is recorded).
#[utoipa::path(get, path = "/quarantine/stays/{id}", tag = "quarantine", params(("id" = i64, Path)),
    responses((status = 200, body = StayDetail), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<StayDetail>, ApiError> {
    Ok(Json(super::detail(&st.db, &user.scope, &user.actor(), id).await?))
}

/// Check a person into a room (from a handed-over transfer, or a walk-in). 409: room full, out
/// of service or being cleaned; person already checked in elsewhere.
#[utoipa::path(post, path = "/quarantine/stays/{id}/check-in", tag = "quarantine", params(("id" = i64, Path)), request_body = CheckInInput,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_check_in(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(x): Json<CheckInInput>,
) -> Result<StatusCode, ApiError> {
    need(&st, &user, user.role.can_manage_stays(), "check people in").await?;
    super::check_in(&st.db, &user.scope, &user.actor(), id, &x).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a health check (temperature 34–43 °C, symptoms). Raises fever (≥ 37.3 °C) and symptom alerts.
#[utoipa::path(post, path = "/quarantine/stays/{id}/checks", tag = "quarantine", params(("id" = i64, Path)), request_body = CheckInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_check(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(x): Json<CheckInput>,
) -> Result<Response, ApiError> {
    need(&st, &user, user.role.can_manage_stays(), "record health checks").await?;
    let cid = super::add_check(&st.db, &user.scope, &user.actor(), id, &x).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": cid}))).into_response())
}

/// Record a sample taken (it fulfils the schedule's test of that day).
#[utoipa::path(post, path = "/quarantine/stays/{id}/samples", tag = "quarantine", params(("id" = i64, Path)), request_body = SampleInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_sample(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(x): Json<SampleInput>,
) -> Result<Response, ApiError> {
    need(&st, &user, user.role.can_manage_stays(), "record samples").await?;
    let sid = super::add_sample(&st.db, &user.scope, &user.actor(), id, &x, st.cfg.display_tz).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": sid}))).into_response())
}

/// A sample's result.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResultInput {
    /// `negative`, `positive` or `invalid`.
    pub result: String,
}

/// Record a sample's result. Positive: an alert, a case opened in the investigation desk
/// (linked to the case the person was a contact of), the stay converted.
#[utoipa::path(post, path = "/quarantine/samples/{id}/result", tag = "quarantine", params(("id" = i64, Path)), request_body = ResultInput,
    responses((status = 200, body = ResultOutcome), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_result(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(x): Json<ResultInput>,
) -> Result<Json<ResultOutcome>, ApiError> {
    need(&st, &user, user.role.can_manage_stays(), "record results").await?;
    Ok(Json(super::set_result(&st.db, &user.scope, &user.actor(), id, x.result.trim(), st.cfg.display_tz).await?))
}

/// Release from the current measure (refused before its end or without the negative result the
/// profile asks for, unless a person in charge overrides with a reason).
#[utoipa::path(post, path = "/quarantine/stays/{id}/release", tag = "quarantine", params(("id" = i64, Path)), request_body = ReleaseInput,
    responses((status = 200, body = ReleaseOutcome), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_release(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(x): Json<ReleaseInput>,
) -> Result<Json<ReleaseOutcome>, ApiError> {
    need(&st, &user, user.role.can_manage_stays() || user.role.can_override_release(), "release people").await?;
    let r =
        super::release(&st.db, &user.scope, &user.actor(), id, &x, user.role.can_override_release(), today(&st)).await;
    if let Err(StoreError::Forbidden(_)) = &r {
        return Err(deny(&st, &user, "override a release").await?);
    }
    Ok(Json(r?))
}

/// A correction of a person's start date (preview unless `confirm`).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StartDateInput {
    /// YYYY-MM-DD.
    pub start_date: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub confirm: bool,
}

/// Correct the day a person's count starts from: answers the preview of the change; with
/// `confirm: true` applies it (logged).
#[utoipa::path(post, path = "/quarantine/stays/{id}/start-date", tag = "quarantine", params(("id" = i64, Path)), request_body = StartDateInput,
    responses((status = 200, body = Preview), (status = 403), (status = 404), (status = 422)))]
async fn api_start_date(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(x): Json<StartDateInput>,
) -> Result<Json<Preview>, ApiError> {
    need(&st, &user, user.role.can_manage_stays(), "change a person's dates").await?;
    Ok(Json(start_date(&st, &user, id, &x).await?))
}

async fn start_date(st: &AppState, user: &CurrentUser, id: i64, x: &StartDateInput) -> Result<Preview, StoreError> {
    let s = super::get(&st.db, &user.scope, &user.actor(), id).await?;
    let start = super::date_field("start_date", &x.start_date)?;
    let profile = super::profile_for(&st.db, Some(&s.profile), start).await?;
    recompute::recompute(
        &st.db,
        &user.scope,
        &user.actor(),
        &profile,
        today(st),
        Some(id),
        Some(start),
        &x.reason,
        x.confirm,
    )
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
struct DayQuery {
    /// YYYY-MM-DD; default today.
    day: Option<String>,
}

fn day_of(st: &AppState, q: &DayQuery) -> Result<NaiveDate, StoreError> {
    match q.day.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => super::date_field("day", d),
        None => Ok(today(st)),
    }
}

/// Today's worklist of a facility: health checks recorded, swabs due, releases due.
#[utoipa::path(get, path = "/quarantine/facilities/{id}/worklist", tag = "quarantine", params(("id" = i64, Path), DayQuery),
    responses((status = 200, body = Vec<WorkItem>), (status = 404)))]
async fn api_worklist(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<DayQuery>,
) -> Result<Json<Vec<WorkItem>>, ApiError> {
    let day = day_of(&st, &q)?;
    Ok(Json(super::facility_worklist(&st.db, &user.scope, &user.actor(), id, day, st.cfg.display_tz).await?))
}

/// The daily list of the signed-in village/community worker: people under home measures assigned to them.
#[utoipa::path(get, path = "/quarantine/home-list", tag = "quarantine", params(DayQuery),
    responses((status = 200, body = Vec<WorkItem>)))]
async fn api_home_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DayQuery>,
) -> Result<Json<Vec<WorkItem>>, ApiError> {
    let day = day_of(&st, &q)?;
    Ok(Json(super::worker_list(&st.db, &user.scope, &user.actor(), user.user.id, day, st.cfg.display_tz).await?))
}

/// A recomputation after a profile change.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecomputeInput {
    /// The profile every open schedule is recomputed with.
    pub profile: String,
    /// The day from which the new profile applies (YYYY-MM-DD; default today).
    #[serde(default)]
    pub as_of: Option<String>,
    #[serde(default)]
    pub reason: String,
    /// `false` (default): only the preview; `true`: apply and log.
    #[serde(default)]
    pub confirm: bool,
}

/// Recompute every open schedule inside the user's jurisdiction with a profile: the preview
/// lists whose end date and test days change; `confirm: true` applies it (logged in
/// schedule_recomputations and the audit trail).
#[utoipa::path(post, path = "/quarantine/recompute", tag = "quarantine", request_body = RecomputeInput,
    responses((status = 200, body = Preview), (status = 403), (status = 422)))]
async fn api_recompute(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(x): Json<RecomputeInput>,
) -> Result<Json<Preview>, ApiError> {
    need(&st, &user, user.role.can_recompute_schedules(), "recompute schedules").await?;
    Ok(Json(run_recompute(&st, &user, &x).await?))
}

async fn run_recompute(st: &AppState, user: &CurrentUser, x: &RecomputeInput) -> Result<Preview, StoreError> {
    let as_of = match x.as_of.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => super::date_field("as_of", d)?,
        None => today(st),
    };
    let profile = super::profile_for(&st.db, Some(&x.profile), as_of).await?;
    recompute::recompute(&st.db, &user.scope, &user.actor(), &profile, as_of, None, None, &x.reason, x.confirm).await
}

// ---------------------------------------------------------------- pages

use crate::web::home::store_page_error;

async fn page_deny(st: &AppState, user: &CurrentUser, page: PageCtx, op: &str) -> Result<Response, ApiError> {
    deny(st, user, op).await?;
    let t = page.t("not_allowed");
    Ok(user_message(page, StatusCode::FORBIDDEN, "403", t))
}

#[derive(Template)]
#[template(path = "quarantine/index.html")]
struct IndexPage {
    page: PageCtx,
    f: StayFilter,
    rows: Vec<StayView>,
    total: i64,
    facilities: Vec<super::FacilityCount>,
    kinds: Vec<&'static str>,
    can_manage: bool,
    can_recompute: bool,
    case_id: String,
    person_id: String,
}

#[derive(Deserialize, Default)]
struct IndexQuery {
    #[serde(flatten)]
    f: StayFilter,
    /// Prefill of the form: a contact of a case.
    case_id: Option<i64>,
    person_id: Option<i64>,
}

async fn index_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<IndexQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    let (rows, total) = match super::list(&st.db, &user.scope, &user.actor(), &q.f).await {
        Ok(r) => r,
        Err(e) => return store_page_error(page, e),
    };
    let facilities = super::facilities(&st.db, &user.scope).await?;
    Ok(render(&IndexPage {
        page,
        f: q.f,
        rows: rows.iter().map(super::Stay::masked).collect(),
        total,
        facilities,
        kinds: super::rules::KINDS.to_vec(),
        can_manage: user.role.can_manage_stays(),
        can_recompute: user.role.can_recompute_schedules(),
        case_id: q.case_id.map(|c| c.to_string()).unwrap_or_default(),
        person_id: q.person_id.map(|c| c.to_string()).unwrap_or_default(),
    }))
}

#[derive(Deserialize)]
struct ControlForm {
    person_id: String,
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    control_kind: String,
    #[serde(default)]
    start_date: String,
}

fn opt_id(field: &'static str, s: &str) -> Result<Option<i64>, StoreError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| {
        StoreError::Invalid(vec![crate::domain::DomainError::new(field, format!("\"{s}\" is not a number"))])
    })
}

async fn create_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, f): CsrfForm<ControlForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    if !user.role.can_manage_stays() {
        return page_deny(&st, &user, page, "place people under control").await;
    }
    let r = async {
        let x = ControlInput {
            person_id: opt_id("person_id", &f.person_id)?.ok_or_else(|| {
                StoreError::Invalid(vec![crate::domain::DomainError::new("person_id", "is required")])
            })?,
            case_id: opt_id("case_id", &f.case_id)?,
            control_kind: Some(f.control_kind.clone()),
            start_date: Some(f.start_date.clone()),
            profile: None,
        };
        super::put_under_control(&st.db, &user.scope, &user.actor(), &x).await
    }
    .await;
    match r {
        Ok(id) => Ok(Redirect::to(&format!("/quarantine/stays/{id}")).into_response()),
        Err(e) => store_page_error(page, e),
    }
}

#[derive(Template)]
#[template(path = "quarantine/stay.html")]
struct StayPage {
    page: PageCtx,
    d: StayDetail,
    rooms: Vec<super::FreeRoom>,
    today: String,
    can_manage: bool,
    can_override: bool,
    /// The first measure not done (what a release ends).
    current: Option<super::ScheduleRow>,
    current_centralized: bool,
    has_certificate: bool,
}

async fn stay_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    let d = match super::detail(&st.db, &user.scope, &user.actor(), id).await {
        Ok(d) => d,
        Err(e) => return store_page_error(page, e),
    };
    let rooms = if d.stay.status == "active" && d.stay.room_id.is_none() {
        super::free_rooms(&st.db, &user.scope, None, 200).await?
    } else {
        Vec::new()
    };
    let current = d.schedule.iter().find(|r| r.item == "measure" && r.done_at.is_none()).cloned();
    let current_centralized = current.as_ref().is_some_and(|c| c.measure == "centralized-quarantine");
    let has_certificate = d.schedule.iter().any(|r| r.item == "measure" && r.done_at.is_some());
    Ok(render(&StayPage {
        current_centralized,
        has_certificate,
        page,
        d,
        rooms,
        today: today(&st).to_string(),
        can_manage: user.role.can_manage_stays(),
        can_override: user.role.can_override_release(),
        current,
    }))
}

async fn after(page: PageCtx, id: i64, r: Result<(), StoreError>) -> Result<Response, ApiError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/quarantine/stays/{id}")).into_response()),
        Err(e) => store_page_error(page, e),
    }
}

#[derive(Deserialize)]
struct CheckInForm {
    room_id: String,
    #[serde(default)]
    transfer_id: String,
}

async fn check_in_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<CheckInForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    if !user.role.can_manage_stays() {
        return page_deny(&st, &user, page, "check people in").await;
    }
    let r = async {
        let room_id = opt_id("room_id", &f.room_id)?
            .ok_or_else(|| StoreError::Invalid(vec![crate::domain::DomainError::new("room_id", "choose a room")]))?;
        let x = CheckInInput { room_id, transfer_id: opt_id("transfer_id", &f.transfer_id)? };
        super::check_in(&st.db, &user.scope, &user.actor(), id, &x).await
    }
    .await;
    after(page, id, r).await
}

#[derive(Deserialize)]
struct CheckForm {
    temperature_c: String,
    #[serde(default)]
    symptoms: String,
}

async fn check_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<CheckForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    if !user.role.can_manage_stays() {
        return page_deny(&st, &user, page, "record health checks").await;
    }
    let r = async {
        let t: f64 = f.temperature_c.trim().replace(',', ".").parse().map_err(|_| {
            StoreError::Invalid(vec![crate::domain::DomainError::new(
                "temperature_c",
                format!("\"{}\" is not a number (°C)", f.temperature_c),
            )])
        })?;
        super::add_check(
            &st.db,
            &user.scope,
            &user.actor(),
            id,
            &CheckInput { temperature_c: t, symptoms: f.symptoms.clone(), at: None },
        )
        .await
        .map(|_| ())
    }
    .await;
    after(page, id, r).await
}

#[derive(Deserialize)]
struct SampleForm {
    #[serde(default)]
    kind: String,
}

async fn sample_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<SampleForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    if !user.role.can_manage_stays() {
        return page_deny(&st, &user, page, "record samples").await;
    }
    let r = super::add_sample(
        &st.db,
        &user.scope,
        &user.actor(),
        id,
        &SampleInput { kind: Some(f.kind), taken_at: None },
        st.cfg.display_tz,
    )
    .await
    .map(|_| ());
    after(page, id, r).await
}

#[derive(Deserialize)]
struct ResultForm {
    result: String,
    stay_id: i64,
}

async fn result_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<ResultForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    if !user.role.can_manage_stays() {
        return page_deny(&st, &user, page, "record results").await;
    }
    let r =
        super::set_result(&st.db, &user.scope, &user.actor(), id, f.result.trim(), st.cfg.display_tz).await.map(|_| ());
    after(page, f.stay_id, r).await
}

#[derive(Deserialize)]
struct ReleaseForm {
    #[serde(default)]
    override_reason: String,
}

async fn release_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<ReleaseForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    if !(user.role.can_manage_stays() || user.role.can_override_release()) {
        return page_deny(&st, &user, page, "release people").await;
    }
    let x = ReleaseInput { override_reason: Some(f.override_reason) };
    match super::release(&st.db, &user.scope, &user.actor(), id, &x, user.role.can_override_release(), today(&st)).await
    {
        Ok(_) => Ok(Redirect::to(&format!("/quarantine/stays/{id}/certificate")).into_response()),
        Err(StoreError::Forbidden(_)) => page_deny(&st, &user, page, "override a release").await,
        Err(e) => store_page_error(page, e),
    }
}

#[derive(Template)]
#[template(path = "quarantine/preview.html")]
struct PreviewPage {
    page: PageCtx,
    p: Preview,
    /// The form that applies it (action and hidden fields).
    action: String,
    fields: Vec<(&'static str, String)>,
    applied: bool,
    history: Vec<recompute::Recomputation>,
    profiles: Vec<String>,
    can_recompute: bool,
}

#[derive(Deserialize)]
struct StartDateForm {
    start_date: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

async fn start_date_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<StartDateForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    if !user.role.can_manage_stays() {
        return page_deny(&st, &user, page, "change a person's dates").await;
    }
    let x = StartDateInput { start_date: f.start_date.clone(), reason: f.reason.clone(), confirm: f.confirm == "1" };
    match start_date(&st, &user, id, &x).await {
        Ok(_) if x.confirm => Ok(Redirect::to(&format!("/quarantine/stays/{id}")).into_response()),
        Ok(p) => Ok(render(&PreviewPage {
            page,
            p,
            action: format!("/quarantine/stays/{id}/start-date"),
            fields: vec![("start_date", f.start_date)],
            applied: false,
            history: Vec::new(),
            profiles: Vec::new(),
            can_recompute: true,
        })),
        Err(e) => store_page_error(page, e),
    }
}

#[derive(Deserialize, Default)]
struct RecomputeForm {
    #[serde(default)]
    profile: String,
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

async fn recompute_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    let history = recompute::history(&st.db).await?;
    let profiles = crate::tracing::policy::profiles(&st.db)
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let as_of = today(&st);
    Ok(render(&PreviewPage {
        page,
        p: Preview {
            profile_to: String::new(),
            profile_version: 0,
            as_of,
            stays: 0,
            changed: Vec::new(),
            recomputation_id: None,
        },
        action: String::new(),
        fields: Vec::new(),
        applied: false,
        history,
        profiles,
        can_recompute: user.role.can_recompute_schedules(),
    }))
}

async fn recompute_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, f): CsrfForm<RecomputeForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    if !user.role.can_recompute_schedules() {
        return page_deny(&st, &user, page, "recompute schedules").await;
    }
    let x = RecomputeInput {
        profile: f.profile.clone(),
        as_of: Some(f.as_of.clone()),
        reason: f.reason.clone(),
        confirm: f.confirm == "1",
    };
    match run_recompute(&st, &user, &x).await {
        Ok(p) => {
            let history = recompute::history(&st.db).await?;
            let as_of = p.as_of.to_string();
            Ok(render(&PreviewPage {
                page,
                applied: p.recomputation_id.is_some(),
                p,
                action: "/quarantine/recompute".into(),
                fields: vec![("profile", f.profile), ("as_of", as_of)],
                history,
                profiles: Vec::new(),
                can_recompute: true,
            }))
        }
        Err(e) => store_page_error(page, e),
    }
}

#[derive(Template)]
#[template(path = "quarantine/certificate.html")]
struct CertificatePage {
    page: PageCtx,
    d: StayDetail,
    /// Measures done (released from), with the time.
    done: Vec<super::ScheduleRow>,
    next: Option<super::ScheduleRow>,
    issued: String,
}

async fn certificate_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    let d = match super::detail(&st.db, &user.scope, &user.actor(), id).await {
        Ok(d) => d,
        Err(e) => return store_page_error(page, e),
    };
    let done: Vec<super::ScheduleRow> =
        d.schedule.iter().filter(|r| r.item == "measure" && r.done_at.is_some()).cloned().collect();
    if done.is_empty() {
        let t = page.t("q_no_certificate");
        return Ok(user_message(page, StatusCode::CONFLICT, "409", t));
    }
    let next = d.schedule.iter().find(|r| r.item == "measure" && r.done_at.is_none()).cloned();
    let issued = done.last().and_then(|r| r.done_at).map(|t| page.dt(&t)).unwrap_or_default();
    Ok(render(&CertificatePage { page, d, done, next, issued }))
}

#[derive(Template)]
#[template(path = "quarantine/worklist.html")]
struct WorklistPage {
    page: PageCtx,
    title: String,
    day: String,
    rows: Vec<WorkItem>,
    checks_per_day: i64,
    checks_due: usize,
    swabs_due: usize,
    releases_due: usize,
}

fn worklist(page: PageCtx, title: String, day: NaiveDate, rows: Vec<WorkItem>) -> Response {
    let checks_due = rows.iter().filter(|r| r.checks_today < super::CHECKS_PER_DAY).count();
    let swabs_due = rows.iter().filter(|r| r.swab_due).count();
    let releases_due = rows.iter().filter(|r| r.release_due).count();
    render(&WorklistPage {
        page,
        title,
        day: day.to_string(),
        rows,
        checks_per_day: super::CHECKS_PER_DAY,
        checks_due,
        swabs_due,
        releases_due,
    })
}

async fn worklist_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    let r = async {
        let day = day_of(&st, &q)?;
        let rows = super::facility_worklist(&st.db, &user.scope, &user.actor(), id, day, st.cfg.display_tz).await?;
        Ok::<_, StoreError>((day, rows))
    }
    .await;
    match r {
        Ok((day, rows)) => {
            let name = super::facilities(&st.db, &user.scope)
                .await?
                .into_iter()
                .find(|f| f.id == id)
                .map(|f| f.name)
                .unwrap_or_default();
            Ok(worklist(page, name, day, rows))
        }
        Err(e) => store_page_error(page, e),
    }
}

async fn home_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "quarantine", Some(&user), &st.cfg);
    let r = async {
        let day = day_of(&st, &q)?;
        let rows = super::worker_list(&st.db, &user.scope, &user.actor(), user.user.id, day, st.cfg.display_tz).await?;
        Ok::<_, StoreError>((day, rows))
    }
    .await;
    match r {
        Ok((day, rows)) => {
            let title = format!("{} · {}", page.t("q_home_list"), user.user.display_name);
            Ok(worklist(page, title, day, rows))
        }
        Err(e) => store_page_error(page, e),
    }
}
