//! Browsing and verifying the audit log (administrators and auditors).

use super::{AuditEntry, AuditFilter, VerifyReport};
use crate::auth::session::CurrentUser;
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_list)).routes(routes!(api_verify))
}

pub fn pages() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

/// A page of audit entries.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub total: i64,
    pub items: Vec<AuditEntry>,
}

/// Audit entries, newest first, 50 a page.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditFilter), responses((status = 200, body = AuditPage), (status = 403)))]
async fn api_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<AuditFilter>,
) -> Result<Json<AuditPage>, ApiError> {
    if !user.role.can_read_audit() {
        return Err(ApiError::forbidden("only administrators and auditors read the audit log"));
    }
    let (items, total) = super::list(&st.db, &f).await?;
    Ok(Json(AuditPage { total, items }))
}

/// Walks the hash chain and reports the first bad entry.
#[utoipa::path(get, path = "/audit/verify", tag = "audit", responses((status = 200, body = VerifyReport), (status = 403)))]
async fn api_verify(State(st): State<AppState>, user: CurrentUser) -> Result<Json<VerifyReport>, ApiError> {
    if !user.role.can_read_audit() {
        return Err(ApiError::forbidden("only administrators and auditors read the audit log"));
    }
    Ok(Json(super::verify(&st.db).await?))
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct ListPage {
    page: PageCtx,
    f: AuditFilter,
    rows: Vec<AuditEntry>,
    total: i64,
    pageno: u32,
    pages: i64,
    verify: Option<VerifyReport>,
    qs_prev: String,
    qs_next: String,
    has_next: bool,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    #[serde(flatten)]
    f: AuditFilter,
    verify: Option<String>,
}

async fn audit_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "audit", Some(&user), &st.cfg);
    if !user.role.can_read_audit() {
        let t = page.t("not_allowed");
        return Ok(user_message(page, StatusCode::FORBIDDEN, "403", t));
    }
    let f = q.f;
    let (rows, total) = super::list(&st.db, &f).await?;
    let verify = if q.verify.is_some() { Some(super::verify(&st.db).await?) } else { None };
    let pageno = f.page.unwrap_or(1).max(1);
    let pages = ((total + super::PAGE_SIZE - 1) / super::PAGE_SIZE).max(1);
    let qs = |p: u32| {
        let mut pairs: Vec<(&str, String)> = vec![("page", p.to_string())];
        for (k, v) in
            [("username", &f.username), ("action", &f.action), ("entity", &f.entity), ("entity_id", &f.entity_id)]
        {
            if let Some(v) = v {
                pairs.push((k, v.clone()));
            }
        }
        if let Some(d) = f.from {
            pairs.push(("from", d.to_string()));
        }
        if let Some(d) = f.to {
            pairs.push(("to", d.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    };
    Ok(render(&ListPage {
        qs_prev: qs(pageno.saturating_sub(1).max(1)),
        qs_next: qs(pageno + 1),
        has_next: i64::from(pageno) < pages,
        page,
        rows,
        total,
        pageno,
        pages,
        verify,
        f,
    }))
}
