//! The HTTP server: JSON API under `/api/v1` (with its OpenAPI document), the web pages, and the
//! static assets, all served by the one binary.

pub mod assets;
pub mod error;
pub mod home;
pub mod i18n;

use crate::auth::session::{CurrentUser, LoginThrottle};
use crate::db::Db;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use i18n::{Lang, Tr};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Server settings, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark the session cookie `Secure` (off only when serving plain HTTP on loopback).
    pub secure_cookies: bool,
    /// Time zone in which times are shown when the user's jurisdiction names none.
    pub display_tz: chrono_tz::Tz,
    /// Folder of the location trace store (`--trace-store`, `FIREBREAK_TRACE_STORE`), if any.
    pub trace_store: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config { secure_cookies: true, display_tz: chrono_tz::Asia::Shanghai, trace_store: None }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub cfg: Arc<Config>,
    pub throttle: Arc<LoginThrottle>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "firebreak API", description = "Command platform for a city's emergency headquarters. Authenticate with POST /api/v1/auth/login, then send Authorization: Bearer TOKEN. Errors are RFC 9457 problem details. Identity and phone numbers are masked; POST /api/v1/people/{id}/unmask (with a reason, audited) shows them to roles that may."),
    servers((url = "/api/v1", description = "this server")),
    tags((name = "auth"), (name = "jurisdictions"), (name = "people"), (name = "users"), (name = "audit"), (name = "analytics"), (name = "fire"), (name = "tracing"), (name = "traces"), (name = "facilities"), (name = "health"))
)]
struct ApiDoc;

/// Builds the whole application.
pub fn app(state: AppState) -> Router {
    let (api_router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::auth::http::api())
        .merge(crate::jurisdictions::http::api())
        .merge(crate::people::http::api())
        .merge(crate::audit::http::api())
        .merge(crate::analytics::http::api())
        .merge(crate::fire::http::api())
        .merge(crate::tracing::http::api())
        .merge(crate::quarantine::http::api())
        .merge(crate::traces::http::api())
        .merge(crate::facilities::http::api())
        .split_for_parts();
    let api = Arc::new(api);
    let spec = api.clone();
    Router::new()
        .nest("/api/v1", api_router)
        .route("/api/v1/openapi.json", get(move || async move { axum::Json((*spec).clone()) }))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi-swagger.json", (*api).clone()))
        .route("/healthz", get(healthz))
        .merge(crate::auth::http::pages())
        .merge(crate::jurisdictions::http::pages())
        .merge(crate::people::http::pages())
        .merge(crate::audit::http::pages())
        .merge(crate::analytics::http::pages())
        .merge(crate::fire::http::pages())
        .merge(crate::tracing::http::pages())
        .merge(crate::quarantine::http::pages())
        .merge(crate::traces::http::pages())
        .merge(crate::facilities::http::pages())
        .merge(home::pages())
        .merge(assets::routes())
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(8 << 20))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness and readiness: 200 when the database answers, 503 otherwise.
async fn healthz(State(st): State<AppState>) -> Response {
    if st.db.ping().await {
        (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok", "database": st.db.backend()}))).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "database": st.db.backend()})),
        )
            .into_response()
    }
}

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        error::ApiError::not_found(req.uri().path()).into_response()
    } else {
        let tr = Tr(Lang::from_headers(req.headers()));
        home::message_page(tr, StatusCode::NOT_FOUND, "404", tr.t("no_rows"))
    }
}

/// Security headers on every answer, and a same-origin check on every state-changing request
/// (a browser always sends `Origin` on cross-site POSTs).
async fn security_headers(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok())
    {
        let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        // An opaque origin ("null": sandboxed frames, data: URLs) is refused too.
        if origin == "null" || origin_host != host {
            if req.uri().path().starts_with("/api/") {
                return error::ApiError::forbidden(
                    "cross-origin request refused (the Origin header does not match the host)",
                )
                .into_response();
            }
            return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
        }
    }
    let is_docs = req.uri().path().starts_with("/api/docs");
    let is_api = req.uri().path().starts_with("/api/") && !is_docs;
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    // axum's own rejections (malformed JSON, a bad query string, a wrong method) answer in plain
    // text: on the API they become RFC 9457 problem details like every other error.
    if is_api && (res.status().is_client_error() || res.status().is_server_error()) {
        let plain = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|ct| ct.starts_with("text/plain"));
        if plain {
            let status = res.status();
            let body = axum::body::to_bytes(std::mem::take(res.body_mut()), 64 << 10).await.unwrap_or_default();
            let detail = String::from_utf8_lossy(&body).trim().to_string();
            let detail =
                if detail.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { detail };
            res = error::ApiError::new(status, detail).into_response();
        }
    }
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // Pages and API answers may hold personal data: never cached (exports and unmaskings too).
    if !is_asset && !is_docs {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !is_docs {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        );
    }
    res
}

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub tr: Tr,
    pub nav: &'static str,
    pub user: Option<UserCtx>,
    pub csrf: String,
    pub tz: chrono_tz::Tz,
}

/// The logged-in user, as the layout shows them.
#[derive(Debug, Clone)]
pub struct UserCtx {
    pub display_name: String,
    pub username: String,
    pub role: String,
    pub jurisdiction_name: String,
    pub jurisdiction_code: String,
    pub can_manage_users: bool,
    pub can_read_audit: bool,
    pub can_write_people: bool,
    pub can_unmask: bool,
    pub can_export: bool,
}

impl PageCtx {
    pub fn new(headers: &axum::http::HeaderMap, nav: &'static str, user: Option<&CurrentUser>, cfg: &Config) -> Self {
        let tz = cfg.display_tz;
        PageCtx {
            tr: Tr(Lang::from_headers(headers)),
            nav,
            csrf: user.map(|u| u.csrf.clone()).unwrap_or_default(),
            user: user.map(|u| UserCtx {
                display_name: u.user.display_name.clone(),
                username: u.user.username.clone(),
                role: u.role.as_str().to_string(),
                jurisdiction_name: u.jurisdiction_name.clone(),
                jurisdiction_code: u.scope.code.clone(),
                can_manage_users: u.role.can_manage_users(),
                can_read_audit: u.role.can_read_audit(),
                can_write_people: u.role.can_write_people(),
                can_unmask: u.role.can_unmask(),
                can_export: u.role.can_export(),
            }),
            tz,
        }
    }
    /// `2022-10-06 14:03` in the display time zone (24 h).
    pub fn dt(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%Y-%m-%d %H:%M").to_string()
    }
    /// `2022-10-06 14:03:07` in the display time zone.
    pub fn dts(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%Y-%m-%d %H:%M:%S").to_string()
    }
    pub fn t(&self, key: &str) -> &'static str {
        self.tr.t(key)
    }
    /// Localised label of a code value, e.g. `lbl("sex", "male")` → 男.
    pub fn lbl(&self, prefix: &str, value: &str) -> &'static str {
        self.tr.t(&format!("{prefix}_{value}"))
    }
    /// String equality for templates (which hold `&&str` in loops).
    pub fn eq(&self, a: &str, b: &str) -> bool {
        a == b
    }
    pub fn tz_name(&self) -> &'static str {
        self.tz.name()
    }
}

/// Renders an askama template into an HTML response (a render failure is logged and becomes 500).
pub fn render<T: askama::Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => error::ApiError::internal(e).into_response(),
    }
}
