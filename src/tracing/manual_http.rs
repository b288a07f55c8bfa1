//! Manual entry: API and pages (new case with a person picked from the registry or registered
//! on the spot; the entry page of a case: itinerary, exposures, infector links). Role checks
//! here; scope, validation and audit in [`super::manual`].

use super::manual::{self, NewCaseInput, NewExposure, NewLink, NewPlace, NewVisit, PlaceRow};
use super::{CaseDetail, CaseFilter, CaseRow};
use crate::audit::{self, AuditEvent};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::people::{PeopleFilter, PersonInput, PersonView, StoreError};
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_create_case))
        .routes(routes!(api_add_link))
        .routes(routes!(api_add_visit))
        .routes(routes!(api_add_exposure))
        .routes(routes!(api_places, api_add_place))
        .routes(routes!(api_mappings, api_save_mapping))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/cases/new", get(new_case_page).post(new_case_submit))
        .route("/cases/new/person", post(new_person_submit))
        .route("/cases/{id}/entry", get(entry_page))
        .route("/cases/{id}/itinerary", post(visit_submit))
        .route("/cases/{id}/entry-exposures", post(exposure_submit))
        .route("/cases/{id}/links", post(link_submit))
}

/// Refuses (and records) a write the role does not allow.
async fn deny(st: &AppState, user: &CurrentUser, op: &str) -> ApiError {
    let ev = AuditEvent::new(&user.actor(), "denied", "case")
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    if let Err(e) = audit::record(&st.db, ev).await {
        return ApiError::internal(e);
    }
    ApiError::forbidden("your role may not do this on the investigation desk")
}

fn created(body: serde_json::Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Enter a case by hand for a registered person (source `manual`, id `M<case id>`). The person
/// must be in your jurisdiction and not already a case (409 names that case).
#[utoipa::path(post, path = "/cases", tag = "tracing", request_body = NewCaseInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_create_case(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(c): Json<NewCaseInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "create").await);
    }
    let c = c.parse().map_err(ApiError::invalid)?;
    let id = manual::create_case(&st.db, &user.scope, &user.actor(), &c).await?;
    Ok(created(serde_json::json!({"id": id, "source_id": format!("M{id}")})))
}

/// Add an infector → infectee link to case `id` (the infectee): the infector is a case
/// (`infector_case_id`) or an unobserved infector named by `infector_label`. Cycles are refused.
#[utoipa::path(post, path = "/cases/{id}/links", tag = "tracing", params(("id" = i64, Path)), request_body = NewLink,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_add_link(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(mut l): Json<NewLink>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "link").await);
    }
    l.infectee_case_id = id;
    let lid = manual::add_link(&st.db, &user.scope, &user.actor(), &l).await?;
    Ok(created(serde_json::json!({"id": lid})))
}

/// Add a visit to case `id`'s itinerary: an existing place (`place_id`) or a new one (`place`);
/// day-only visits leave the times empty.
#[utoipa::path(post, path = "/cases/{id}/itinerary", tag = "tracing", params(("id" = i64, Path)), request_body = NewVisit,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_add_visit(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(v): Json<NewVisit>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "itinerary").await);
    }
    let vid = manual::add_visit(&st.db, &user.scope, &user.actor(), id, &v, st.cfg.display_tz).await?;
    Ok(created(serde_json::json!({"id": vid})))
}

/// Record an exposure around case `id`: its person (or `person_id`) with another person, at a
/// place, or both. The contacts of the cases involved are reclassified by the policy profile.
#[utoipa::path(post, path = "/cases/{id}/exposures", tag = "tracing", params(("id" = i64, Path)), request_body = NewExposure,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 422)))]
async fn api_add_exposure(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(x): Json<NewExposure>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "exposure").await);
    }
    let xid = manual::add_exposure(&st.db, &user.scope, &user.actor(), id, &x).await?;
    Ok(created(serde_json::json!({"id": xid})))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PlaceQuery {
    /// Name or address contains.
    pub q: Option<String>,
    /// At most this many (default 20, at most 100).
    pub limit: Option<i64>,
}

/// Places inside your jurisdiction (shared by every case that went there), most visited first.
#[utoipa::path(get, path = "/places", tag = "tracing", params(PlaceQuery),
    responses((status = 200, body = Vec<PlaceRow>), (status = 422)))]
async fn api_places(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PlaceQuery>,
) -> Result<Json<Vec<PlaceRow>>, ApiError> {
    let rows = manual::search_places(&st.db, &user.scope, q.q.as_deref().unwrap_or(""), q.limit.unwrap_or(20)).await?;
    Ok(Json(rows))
}

/// Create a place inside your jurisdiction.
#[utoipa::path(post, path = "/places", tag = "tracing", request_body = NewPlace,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 422)))]
async fn api_add_place(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(p): Json<NewPlace>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "place").await);
    }
    let id = manual::add_place(&st.db, &user.scope, &user.actor(), &p).await?;
    Ok(created(serde_json::json!({"id": id})))
}

// ---------------------------------------------------------------------------------- pages

fn messages(e: &StoreError) -> Vec<String> {
    match e {
        StoreError::Invalid(errs) => errs.iter().map(ToString::to_string).collect(),
        StoreError::NotFound => vec!["not found (or outside your jurisdiction)".into()],
        other => vec![other.to_string()],
    }
}

async fn forbidden_page(st: &AppState, headers: &HeaderMap, user: &CurrentUser, op: &str) -> Response {
    let _ = deny(st, user, op).await;
    let page = PageCtx::new(headers, "tracing", Some(user), &st.cfg);
    let t = page.t("not_allowed");
    user_message(page, StatusCode::FORBIDDEN, "403", t)
}

/// A person found by the search, with the case they already are (if any).
pub struct Candidate {
    pub p: PersonView,
    pub case: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "tracing/new_case.html")]
struct NewCasePage {
    page: PageCtx,
    q: String,
    searched: bool,
    found: Vec<Candidate>,
    person: Option<Candidate>,
    v: NewCaseInput,
    np: PersonForm,
    errors: Vec<String>,
    classifications: Vec<&'static str>,
    how_found: Vec<&'static str>,
    id_types: Vec<&'static str>,
}

impl NewCasePage {
    fn o(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
struct NewCaseQuery {
    q: Option<String>,
    person: Option<i64>,
}

async fn candidates(st: &AppState, user: &CurrentUser, q: &str) -> Result<Vec<Candidate>, StoreError> {
    let f = PeopleFilter { q: Some(q.to_string()), per_page: Some(20), ..Default::default() };
    let (rows, _) = crate::people::list(&st.db, &user.scope, &user.actor(), &f).await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let cases = manual::cases_of_people(&st.db, &ids).await?;
    Ok(rows.iter().map(|p| Candidate { p: p.masked(), case: cases.get(&p.id).cloned() }).collect())
}

async fn chosen(st: &AppState, user: &CurrentUser, id: i64) -> Result<Candidate, StoreError> {
    let p = crate::people::get(&st.db, &user.scope, &user.actor(), id).await?;
    let cases = manual::cases_of_people(&st.db, &[id]).await?;
    Ok(Candidate { p: p.masked(), case: cases.get(&id).cloned() })
}

#[allow(clippy::too_many_arguments)]
async fn render_new_case(
    st: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    q: Option<String>,
    person: Option<i64>,
    v: NewCaseInput,
    np: PersonForm,
    errors: Vec<String>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(headers, "tracing", Some(user), &st.cfg);
    let q = q.map(|s| s.trim().to_string()).unwrap_or_default();
    let found = if q.is_empty() {
        vec![]
    } else {
        match candidates(st, user, &q).await {
            Ok(f) => f,
            Err(StoreError::Db(e)) => return Err(ApiError::internal(e)),
            Err(e) => return Ok(user_message(page, StatusCode::UNPROCESSABLE_ENTITY, "422", &messages(&e).join("; "))),
        }
    };
    let person = match person {
        None => None,
        Some(id) => match chosen(st, user, id).await {
            Ok(c) => Some(c),
            Err(StoreError::Db(e)) => return Err(ApiError::internal(e)),
            Err(_) => {
                let t = page.t("no_rows");
                return Ok(user_message(page, StatusCode::NOT_FOUND, "404", t));
            }
        },
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut r = render(&NewCasePage {
        page,
        searched: !q.is_empty(),
        q,
        found,
        person,
        v,
        np,
        errors,
        classifications: super::CLASSIFICATIONS.to_vec(),
        how_found: super::HOW_FOUND.to_vec(),
        id_types: crate::domain::IdType::ALL.iter().map(|t| t.as_str()).collect(),
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn new_case_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<NewCaseQuery>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "create").await);
    }
    let v = NewCaseInput {
        person_id: q.person.unwrap_or_default(),
        classification: "confirmed".into(),
        report_date: Some(manual::today_cn().to_string()),
        ..Default::default()
    };
    let np = PersonForm { jurisdiction: user.scope.code.clone(), ..Default::default() };
    render_new_case(&st, &headers, &user, q.q, q.person, v, np, vec![]).await
}

async fn new_case_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, v): CsrfForm<NewCaseInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "create").await);
    }
    let r = match v.parse() {
        Err(errs) => Err(StoreError::Invalid(errs)),
        Ok(c) => manual::create_case(&st.db, &user.scope, &user.actor(), &c).await,
    };
    match r {
        Ok(id) => Ok(Redirect::to(&format!("/cases/{id}/entry")).into_response()),
        Err(StoreError::Db(e)) => Err(ApiError::internal(e)),
        Err(e) => {
            let person = Some(v.person_id);
            render_new_case(&st, &headers, &user, None, person, v, PersonForm::default(), messages(&e)).await
        }
    }
}

/// The "register a new person" form of the new-case page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub id_type: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub jurisdiction: String,
}

async fn new_person_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, f): CsrfForm<PersonForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() || !user.role.can_write_people() {
        return Ok(forbidden_page(&st, &headers, &user, "create_person").await);
    }
    let nz = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    let input = PersonInput {
        name: f.name.clone(),
        sex: f.sex.clone(),
        birth_date: nz(&f.birth_date),
        id_type: nz(&f.id_type),
        id_number: f.id_number.clone(),
        phone: nz(&f.phone),
        address: nz(&f.address),
        jurisdiction: f.jurisdiction.clone(),
    };
    let today = manual::today_cn();
    let r = match input.validate(today) {
        Err(errs) => Err(StoreError::Invalid(errs)),
        Ok(valid) => crate::people::create(&st.db, &user.scope, &user.actor(), &valid).await,
    };
    match r {
        Ok(id) => Ok(Redirect::to(&format!("/cases/new?person={id}")).into_response()),
        Err(StoreError::Db(e)) => Err(ApiError::internal(e)),
        Err(e) => {
            // Already registered: search by the number so the investigator picks that record.
            let q = matches!(e, StoreError::Conflict { .. }).then(|| f.id_number.clone());
            let v = NewCaseInput { classification: "confirmed".into(), ..Default::default() };
            render_new_case(&st, &headers, &user, q, None, v, f, messages(&e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "tracing/case_entry.html")]
struct EntryPage {
    page: PageCtx,
    d: CaseDetail,
    q: EntryQuery,
    people: Vec<PersonView>,
    places: Vec<PlaceRow>,
    cases: Vec<CaseRow>,
    errors: Vec<String>,
    place_kinds: Vec<&'static str>,
    exposure_kinds: Vec<&'static str>,
    protections: Vec<&'static str>,
    certainties: Vec<&'static str>,
}

impl EntryPage {
    fn s(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
    /// A place kind's label; imported files carry their own kinds (DS4C: `etc`, `store`…), shown as they are.
    fn pk(&self, k: &str) -> String {
        if manual::PLACE_KINDS.contains(&k) { self.page.lbl("pk", k).to_string() } else { k.to_string() }
    }
}

/// Searches on the entry page (each keeps the others).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EntryQuery {
    pub person_q: Option<String>,
    pub place_q: Option<String>,
    pub case_q: Option<String>,
}

async fn render_entry(
    st: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    id: i64,
    q: EntryQuery,
    errors: Vec<String>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(headers, "tracing", Some(user), &st.cfg);
    let fail = |page: PageCtx, e: StoreError| -> Result<Response, ApiError> {
        match e {
            StoreError::Db(e) => Err(ApiError::internal(e)),
            StoreError::NotFound => {
                let t = page.t("no_rows");
                Ok(user_message(page, StatusCode::NOT_FOUND, "404", t))
            }
            e => Ok(user_message(page, StatusCode::UNPROCESSABLE_ENTITY, "422", &messages(&e).join("; "))),
        }
    };
    let d = match super::detail(&st.db, &user.scope, &user.actor(), id).await {
        Ok(d) => d,
        Err(e) => return fail(page, e),
    };
    let nz = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let people = match nz(&q.person_q) {
        None => vec![],
        Some(s) => {
            let f = PeopleFilter { q: Some(s), per_page: Some(20), ..Default::default() };
            match crate::people::list(&st.db, &user.scope, &user.actor(), &f).await {
                Ok((rows, _)) => rows.iter().filter(|p| p.id != d.case.person_id).map(|p| p.masked()).collect(),
                Err(e) => return fail(page, e),
            }
        }
    };
    let places = match manual::search_places(&st.db, &user.scope, nz(&q.place_q).as_deref().unwrap_or(""), 20).await {
        Ok(p) => p,
        Err(e) => return fail(page, e),
    };
    let cases = match nz(&q.case_q) {
        None => vec![],
        Some(s) => {
            let f = CaseFilter { q: Some(s), per_page: Some(20), sort: Some("id".into()), ..Default::default() };
            match super::list(&st.db, &user.scope, &user.actor(), &f).await {
                Ok((rows, _)) => rows.into_iter().filter(|c| c.id != id).collect(),
                Err(e) => return fail(page, e),
            }
        }
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut r = render(&EntryPage {
        page,
        d,
        q,
        people,
        places,
        cases,
        errors,
        place_kinds: manual::PLACE_KINDS.to_vec(),
        exposure_kinds: super::EXPOSURE_KINDS.to_vec(),
        protections: super::PROTECTIONS.to_vec(),
        certainties: super::CERTAINTIES.to_vec(),
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn entry_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<EntryQuery>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "entry").await);
    }
    render_entry(&st, &headers, &user, id, q, vec![]).await
}

async fn after_write(
    st: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    id: i64,
    anchor: &str,
    r: Result<i64, StoreError>,
) -> Result<Response, ApiError> {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}/entry#{anchor}")).into_response()),
        Err(StoreError::Db(e)) => Err(ApiError::internal(e)),
        Err(StoreError::NotFound) => {
            let page = PageCtx::new(headers, "tracing", Some(user), &st.cfg);
            let t = page.t("no_rows");
            Ok(user_message(page, StatusCode::NOT_FOUND, "404", t))
        }
        Err(e) => render_entry(st, headers, user, id, EntryQuery::default(), messages(&e)).await,
    }
}

fn opt_id(field: &'static str, s: &Option<String>) -> Result<Option<i64>, StoreError> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            StoreError::Invalid(vec![crate::domain::DomainError::new(field, format!("\"{v}\" is not a record number"))])
        }),
    }
}

fn opt_f64(field: &'static str, s: &Option<String>) -> Result<Option<f64>, StoreError> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<f64>().map(Some).map_err(|_| {
            StoreError::Invalid(vec![crate::domain::DomainError::new(field, format!("\"{v}\" is not a number"))])
        }),
    }
}

#[derive(Debug, Deserialize)]
struct VisitForm {
    /// An existing place, or `new` (then the `np_*` fields describe it).
    #[serde(default)]
    place_id: Option<String>,
    #[serde(default)]
    np_name: Option<String>,
    #[serde(default)]
    np_address: Option<String>,
    #[serde(default)]
    np_kind: Option<String>,
    #[serde(default)]
    np_lat: Option<String>,
    #[serde(default)]
    np_lon: Option<String>,
    #[serde(default)]
    np_jurisdiction: Option<String>,
    date: String,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    end_date: Option<String>,
    #[serde(default)]
    end_time: Option<String>,
}

async fn visit_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<VisitForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "itinerary").await);
    }
    let r = async {
        let is_new = f.place_id.as_deref().map(str::trim) == Some("new");
        let v = NewVisit {
            place_id: if is_new { None } else { opt_id("place_id", &f.place_id)? },
            place: if is_new {
                Some(NewPlace {
                    name: f.np_name.clone().unwrap_or_default(),
                    address: f.np_address.clone(),
                    kind: f.np_kind.clone().unwrap_or_else(|| "other".into()),
                    lat: opt_f64("lat", &f.np_lat)?,
                    lon: opt_f64("lon", &f.np_lon)?,
                    jurisdiction: f.np_jurisdiction.clone().unwrap_or_default(),
                })
            } else {
                None
            },
            date: f.date.clone(),
            start_time: f.start_time.clone(),
            end_date: f.end_date.clone(),
            end_time: f.end_time.clone(),
            kind: None,
        };
        manual::add_visit(&st.db, &user.scope, &user.actor(), id, &v, st.cfg.display_tz).await
    }
    .await;
    after_write(&st, &headers, &user, id, "itinerary", r).await
}

#[derive(Debug, Deserialize)]
struct ExposureForm {
    #[serde(default)]
    other_person_id: Option<String>,
    #[serde(default)]
    place_id: Option<String>,
    kind: String,
    start_date: String,
    #[serde(default)]
    end_date: Option<String>,
    #[serde(default)]
    protection: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn exposure_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<ExposureForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "exposure").await);
    }
    let r = async {
        let x = NewExposure {
            person_id: None,
            other_person_id: opt_id("other_person_id", &f.other_person_id)?,
            place_id: opt_id("place_id", &f.place_id)?,
            kind: f.kind.clone(),
            start_date: f.start_date.clone(),
            end_date: f.end_date.clone(),
            protection: f.protection.clone(),
            note: f.note.clone(),
        };
        manual::add_exposure(&st.db, &user.scope, &user.actor(), id, &x).await
    }
    .await;
    after_write(&st, &headers, &user, id, "exposures", r).await
}

#[derive(Debug, Deserialize)]
struct LinkForm {
    #[serde(default)]
    infector_case_id: Option<String>,
    #[serde(default)]
    infector_label: Option<String>,
    certainty: String,
    #[serde(default)]
    route: Option<String>,
}

async fn link_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<LinkForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "link").await);
    }
    let r = async {
        let l = NewLink {
            infectee_case_id: id,
            infector_case_id: opt_id("infector_case_id", &f.infector_case_id)?,
            infector_label: f.infector_label.clone(),
            certainty: f.certainty.clone(),
            route: f.route.clone(),
        };
        manual::add_link(&st.db, &user.scope, &user.actor(), &l).await
    }
    .await;
    after_write(&st, &headers, &user, id, "links", r).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct MappingQuery {
    /// linelist, links, itinerary (all when absent).
    pub kind: Option<String>,
}

/// Saved column mappings (named import presets for files whose columns carry other names).
#[utoipa::path(get, path = "/import-mappings", tag = "tracing", params(MappingQuery),
    responses((status = 200, body = Vec<super::mappings::Mapping>)))]
async fn api_mappings(
    State(st): State<AppState>,
    _user: CurrentUser,
    Query(q): Query<MappingQuery>,
) -> Result<Json<Vec<super::mappings::Mapping>>, ApiError> {
    Ok(Json(super::mappings::list(&st.db, q.kind.as_deref().filter(|k| !k.is_empty())).await?))
}

/// Save (create or replace) a column mapping: preset column → column of your file.
#[utoipa::path(put, path = "/import-mappings", tag = "tracing", request_body = super::mappings::Mapping,
    responses((status = 204), (status = 403), (status = 422)))]
async fn api_save_mapping(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(m): Json<super::mappings::Mapping>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "mapping").await);
    }
    super::mappings::save(&st.db, &user.actor(), &m).await?;
    Ok(StatusCode::NO_CONTENT)
}
