//! Jurisdiction tree: API and pages. The tree itself (names and official codes) is public
//! reference data, readable by every logged-in user; people counts are shown only inside the
//! user's own scope.

use super::Jurisdiction;
use crate::auth::session::CurrentUser;
use crate::web::error::ApiError;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_search)).routes(routes!(api_get)).routes(routes!(api_children))
}

pub fn pages() -> Router<AppState> {
    Router::new().route("/jurisdictions", get(index_page)).route("/jurisdictions/{code}", get(node_page))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct SearchQuery {
    /// Name contains, or code starts with. Empty: the roots of the tree.
    q: Option<String>,
}

/// Search units by name or code (at most 50), or list the roots.
#[utoipa::path(get, path = "/jurisdictions", tag = "jurisdictions", params(SearchQuery),
    responses((status = 200, body = Vec<Jurisdiction>)))]
async fn api_search(
    State(st): State<AppState>,
    _user: CurrentUser,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Jurisdiction>>, ApiError> {
    Ok(Json(match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => super::search(&st.db, s).await?,
        None => super::roots(&st.db).await?,
    }))
}

/// One unit by its code (6, 9 or 12 digits) or 12-digit statistical code.
#[utoipa::path(get, path = "/jurisdictions/{code}", tag = "jurisdictions", params(("code" = String, Path)),
    responses((status = 200, body = Jurisdiction), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    _user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<Jurisdiction>, ApiError> {
    super::get(&st.db, &code).await?.map(Json).ok_or_else(|| ApiError::not_found(&format!("jurisdiction {code}")))
}

/// The direct subdivisions of a unit.
#[utoipa::path(get, path = "/jurisdictions/{code}/children", tag = "jurisdictions", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Jurisdiction>), (status = 404)))]
async fn api_children(
    State(st): State<AppState>,
    _user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<Jurisdiction>>, ApiError> {
    let j = super::get(&st.db, &code).await?.ok_or_else(|| ApiError::not_found(&format!("jurisdiction {code}")))?;
    Ok(Json(super::children(&st.db, &j.code).await?))
}

#[derive(Template)]
#[template(path = "jurisdictions/index.html")]
struct IndexPage {
    page: PageCtx,
    q: String,
    rows: Vec<Jurisdiction>,
    levels: Vec<(String, i64)>,
}

async fn index_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "jurisdictions", Some(&user), &st.cfg);
    let query = q.q.unwrap_or_default().trim().to_string();
    let rows = if query.is_empty() {
        // Start at the user's own unit.
        super::get(&st.db, &user.scope.code).await?.into_iter().collect()
    } else {
        super::search(&st.db, &query).await?
    };
    let levels = super::count_by_level(&st.db).await?;
    Ok(render(&IndexPage { page, q: query, rows, levels }))
}

#[derive(Template)]
#[template(path = "jurisdictions/node.html")]
struct NodePage {
    page: PageCtx,
    node: Jurisdiction,
    trail: Vec<Jurisdiction>,
    children: Vec<Jurisdiction>,
    in_scope: bool,
    people: i64,
}

async fn node_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "jurisdictions", Some(&user), &st.cfg);
    let Some(node) = super::get(&st.db, &code).await? else {
        let t = page.t("no_rows");
        return Ok(crate::web::home::user_message(page, axum::http::StatusCode::NOT_FOUND, "404", t));
    };
    let trail = super::ancestors(&st.db, &node).await?;
    let children = super::children(&st.db, &node.code).await?;
    let in_scope = user.scope.contains(&node);
    let people = if in_scope {
        crate::people::count(&st.db, &super::Scope { code: node.code.clone(), path: node.path.clone() }).await?
    } else {
        0
    };
    Ok(render(&NodePage { page, node, trail, children, in_scope, people }))
}
