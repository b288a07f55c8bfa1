//! Clusters (聚集性疫情): API and pages. Role checks here; scope and audit in
//! [`super::clusters`].

use super::CaseRow;
use super::clusters::{self, CLUSTER_KINDS, ClusterRow, NewCluster};
use crate::audit::{self, AuditEvent};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::people::StoreError;
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_get))
        .routes(routes!(api_assign))
        .routes(routes!(api_unassign))
        .routes(routes!(api_status))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/clusters", get(list_page).post(create_submit))
        .route("/clusters/{id}", get(detail_page))
        .route("/clusters/{id}/cases", post(assign_submit))
        .route("/clusters/{id}/cases/{case}/remove", post(unassign_submit))
        .route("/clusters/{id}/status", post(status_submit))
        .route("/cases/{id}/clusters", post(case_assign_submit))
}

async fn deny(st: &AppState, user: &CurrentUser, op: &str) -> ApiError {
    let ev = AuditEvent::new(&user.actor(), "denied", "cluster")
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    if let Err(e) = audit::record(&st.db, ev).await {
        return ApiError::internal(e);
    }
    ApiError::forbidden("your role may not change clusters")
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ClusterQuery {
    /// Only clusters of this jurisdiction's subtree (inside yours).
    pub jurisdiction: Option<String>,
}

/// Clusters inside your jurisdiction with their case counts and dates.
#[utoipa::path(get, path = "/clusters", tag = "tracing", params(ClusterQuery),
    responses((status = 200, body = Vec<ClusterRow>), (status = 403)))]
async fn api_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ClusterQuery>,
) -> Result<Json<Vec<ClusterRow>>, ApiError> {
    match clusters::list(&st.db, &user.scope, q.jurisdiction.as_deref()).await {
        Ok(r) => Ok(Json(r)),
        Err(e) => Err(crate::web::error::denied_filter(&st, &user, "cluster", e, "list").await),
    }
}

/// Create a cluster (a named event or place) in your jurisdiction.
#[utoipa::path(post, path = "/clusters", tag = "tracing", request_body = NewCluster,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 409), (status = 422)))]
async fn api_create(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(k): Json<NewCluster>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "create").await);
    }
    let id = clusters::create(&st.db, &user.scope, &user.actor(), &k).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": id}))).into_response())
}

/// A cluster and its cases (those inside your jurisdiction).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClusterDetail {
    pub cluster: ClusterRow,
    pub cases: Vec<CaseRow>,
}

/// One cluster with its cases (the read of the case list is recorded).
#[utoipa::path(get, path = "/clusters/{id}", tag = "tracing", params(("id" = i64, Path)),
    responses((status = 200, body = ClusterDetail), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ClusterDetail>, ApiError> {
    let (cluster, cases) = clusters::detail(&st.db, &user.scope, &user.actor(), id).await?;
    Ok(Json(ClusterDetail { cluster, cases }))
}

/// The case to link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AssignCase {
    pub case_id: i64,
}

/// Link a case to the cluster (idempotent: 200 with `added: false` when already linked).
#[utoipa::path(post, path = "/clusters/{id}/cases", tag = "tracing", params(("id" = i64, Path)), request_body = AssignCase,
    responses((status = 200, body = serde_json::Value), (status = 403), (status = 404)))]
async fn api_assign(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(a): Json<AssignCase>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "assign").await);
    }
    let added = clusters::assign(&st.db, &user.scope, &user.actor(), id, a.case_id).await?;
    Ok(Json(serde_json::json!({"added": added})))
}

/// Remove a case from the cluster.
#[utoipa::path(delete, path = "/clusters/{id}/cases/{case_id}", tag = "tracing", params(("id" = i64, Path), ("case_id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
async fn api_unassign(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, case_id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "unassign").await);
    }
    clusters::unassign(&st.db, &user.scope, &user.actor(), id, case_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A cluster status.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ClusterStatus {
    /// `active` or `closed`.
    pub status: String,
}

/// Close (or reopen) a cluster.
#[utoipa::path(post, path = "/clusters/{id}/status", tag = "tracing", params(("id" = i64, Path)), request_body = ClusterStatus,
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
async fn api_status(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(s): Json<ClusterStatus>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "status").await);
    }
    clusters::set_status(&st.db, &user.scope, &user.actor(), id, &s.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------- pages

fn messages(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(errs) => errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

fn fail(page: PageCtx, e: StoreError) -> Result<Response, ApiError> {
    match e {
        StoreError::Db(e) => Err(ApiError::internal(e)),
        StoreError::NotFound => {
            let t = page.t("no_rows");
            Ok(user_message(page, StatusCode::NOT_FOUND, "404", t))
        }
        StoreError::Forbidden(m) => Ok(user_message(page, StatusCode::FORBIDDEN, "403", &m)),
        e => Ok(user_message(page, StatusCode::UNPROCESSABLE_ENTITY, "422", &messages(&e))),
    }
}

async fn forbidden_page(st: &AppState, headers: &HeaderMap, user: &CurrentUser, op: &str) -> Response {
    let _ = deny(st, user, op).await;
    let page = PageCtx::new(headers, "tracing", Some(user), &st.cfg);
    let t = page.t("not_allowed");
    user_message(page, StatusCode::FORBIDDEN, "403", t)
}

#[derive(Template)]
#[template(path = "tracing/clusters.html")]
struct ListPage {
    page: PageCtx,
    rows: Vec<ClusterRow>,
    kinds: Vec<&'static str>,
    can_investigate: bool,
    error: String,
}

async fn list_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<ClusterQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let rows = match clusters::list(&st.db, &user.scope, q.jurisdiction.as_deref()).await {
        Ok(r) => r,
        Err(e) => return fail(page, e),
    };
    Ok(render(&ListPage {
        page,
        rows,
        kinds: CLUSTER_KINDS.to_vec(),
        can_investigate: user.role.can_investigate(),
        error: String::new(),
    }))
}

async fn create_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, k): CsrfForm<NewClusterForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "create").await);
    }
    let place_id = match k.place_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
                return fail(
                    page,
                    StoreError::Invalid(vec![crate::domain::DomainError::new("place_id", "is not a record number")]),
                );
            }
        },
    };
    let nk = NewCluster {
        name: k.name,
        kind: k.kind,
        jurisdiction: k.jurisdiction,
        place_id,
        identified_on: k.identified_on,
        notes: k.notes,
    };
    match clusters::create(&st.db, &user.scope, &user.actor(), &nk).await {
        Ok(id) => Ok(Redirect::to(&format!("/clusters/{id}")).into_response()),
        Err(StoreError::Db(e)) => Err(ApiError::internal(e)),
        Err(e) => {
            let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
            let rows = match clusters::list(&st.db, &user.scope, None).await {
                Ok(r) => r,
                Err(e) => return fail(page, e),
            };
            let mut r = render(&ListPage {
                page,
                rows,
                kinds: CLUSTER_KINDS.to_vec(),
                can_investigate: true,
                error: messages(&e),
            });
            *r.status_mut() = match e {
                StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                StoreError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Ok(r)
        }
    }
}

#[derive(Debug, Deserialize)]
struct NewClusterForm {
    name: String,
    kind: String,
    jurisdiction: String,
    #[serde(default)]
    place_id: Option<String>,
    #[serde(default)]
    identified_on: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

#[derive(Template)]
#[template(path = "tracing/cluster.html")]
struct DetailPage {
    page: PageCtx,
    k: ClusterRow,
    cases: Vec<CaseRow>,
    found: Vec<CaseRow>,
    case_q: String,
    can_investigate: bool,
}

#[derive(Debug, Default, Deserialize)]
struct DetailQuery {
    case_q: Option<String>,
}

async fn detail_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let (k, cases) = match clusters::detail(&st.db, &user.scope, &user.actor(), id).await {
        Ok(r) => r,
        Err(e) => return fail(page, e),
    };
    let case_q = q.case_q.map(|s| s.trim().to_string()).unwrap_or_default();
    let found = if case_q.is_empty() || !user.role.can_investigate() {
        vec![]
    } else {
        let f = super::CaseFilter {
            q: Some(case_q.clone()),
            per_page: Some(20),
            sort: Some("id".into()),
            ..Default::default()
        };
        match super::list(&st.db, &user.scope, &user.actor(), &f).await {
            Ok((rows, _)) => rows.into_iter().filter(|c| !cases.iter().any(|x| x.id == c.id)).collect(),
            Err(e) => return fail(page, e),
        }
    };
    Ok(render(&DetailPage { page, k, cases, found, case_q, can_investigate: user.role.can_investigate() }))
}

#[derive(Debug, Deserialize)]
struct AssignForm {
    case_id: String,
}

#[derive(Debug, Deserialize)]
struct CaseClusterForm {
    cluster_id: String,
}

/// The case page's "add to cluster" form.
async fn case_assign_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(case_id): Path<i64>,
    CsrfForm(user, f): CsrfForm<CaseClusterForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "assign").await);
    }
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let Ok(id) = f.cluster_id.trim().parse::<i64>() else {
        return fail(
            page,
            StoreError::Invalid(vec![crate::domain::DomainError::new("cluster_id", "choose a cluster")]),
        );
    };
    match clusters::assign(&st.db, &user.scope, &user.actor(), id, case_id).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{case_id}#clusters")).into_response()),
        Err(e) => fail(page, e),
    }
}

async fn assign_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<AssignForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "assign").await);
    }
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let Ok(case_id) = f.case_id.trim().parse::<i64>() else {
        return fail(page, StoreError::Invalid(vec![crate::domain::DomainError::new("case_id", "choose a case")]));
    };
    match clusters::assign(&st.db, &user.scope, &user.actor(), id, case_id).await {
        Ok(_) => Ok(Redirect::to(&format!("/clusters/{id}")).into_response()),
        Err(e) => fail(page, e),
    }
}

async fn unassign_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((id, case_id)): Path<(i64, i64)>,
    CsrfForm(user, _f): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "unassign").await);
    }
    match clusters::unassign(&st.db, &user.scope, &user.actor(), id, case_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/clusters/{id}")).into_response()),
        Err(e) => fail(PageCtx::new(&headers, "tracing", Some(&user), &st.cfg), e),
    }
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    status: String,
}

async fn status_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<StatusForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Ok(forbidden_page(&st, &headers, &user, "status").await);
    }
    match clusters::set_status(&st.db, &user.scope, &user.actor(), id, &f.status).await {
        Ok(()) => Ok(Redirect::to(&format!("/clusters/{id}")).into_response()),
        Err(e) => fail(PageCtx::new(&headers, "tracing", Some(&user), &st.cfg), e),
    }
}
