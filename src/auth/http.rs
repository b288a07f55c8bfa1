//! Login, logout, password change and user administration: API and pages.

use super::session::{self, COOKIE, CsrfForm, CurrentUser, client_ip};
use super::{NewUser, Role, User, UserView};
use crate::audit::{self, Actor, AuditEvent};
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_login))
        .routes(routes!(api_logout))
        .routes(routes!(api_me))
        .routes(routes!(api_users_list, api_users_create))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout_submit))
        .route("/account/password", get(password_page).post(password_submit))
        .route("/users", get(users_page).post(users_create))
        .route("/users/{id}/active", post(users_active))
}

/// The request's address, for the audit log and throttling.
pub struct ClientIp(pub Option<String>);
impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

enum LoginFail {
    Wrong,
    Throttled(u64),
    Internal(anyhow::Error),
}

async fn do_login(
    st: &AppState,
    username: &str,
    password: &str,
    ip: Option<String>,
) -> Result<(User, String, String), LoginFail> {
    let username = username.trim();
    let keys = vec![format!("u:{username}"), format!("ip:{}", ip.clone().unwrap_or_default())];
    if let Some(wait) = st.throttle.wait(&keys) {
        let actor = Actor { user_id: None, username: "(throttled)".into(), ip: ip.clone() };
        let ev =
            AuditEvent::new(&actor, "login_throttled", "session").detail(serde_json::json!({"retry_after_s": wait}));
        audit::record(&st.db, ev).await.map_err(|e| LoginFail::Internal(e.into()))?;
        return Err(LoginFail::Throttled(wait));
    }
    let user = super::by_username(&st.db, username).await.map_err(|e| LoginFail::Internal(e.into()))?;
    let ok = match &user {
        Some(u) if u.active => super::verify_password(password.to_string(), u.password_hash.clone()).await,
        _ => {
            super::dummy_verify(password.to_string()).await;
            false
        }
    };
    // A failed login by an unknown name is recorded without the typed text: people type their
    // password into the username field.
    let logged_name = if user.is_some() { username.chars().take(60).collect() } else { "(unknown user)".to_string() };
    let actor = Actor { user_id: user.as_ref().map(|u| u.id), username: logged_name, ip: ip.clone() };
    match (ok, user) {
        (true, Some(u)) => {
            st.throttle.succeed(&keys);
            let (token, csrf) =
                session::create(&st.db, u.id, ip.as_deref()).await.map_err(|e| LoginFail::Internal(e.into()))?;
            audit::record(&st.db, AuditEvent::new(&actor, "login", "session"))
                .await
                .map_err(|e| LoginFail::Internal(e.into()))?;
            Ok((u, token, csrf))
        }
        _ => {
            st.throttle.fail(&keys);
            audit::record(&st.db, AuditEvent::new(&actor, "login_failed", "session"))
                .await
                .map_err(|e| LoginFail::Internal(e.into()))?;
            Err(LoginFail::Wrong)
        }
    }
}

fn session_cookie(st: &AppState, token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        session::SESSION_HOURS * 3600,
        if st.cfg.secure_cookies { "; Secure" } else { "" }
    )
}

fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Login credentials.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A session token for `Authorization: Bearer`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// Send as `X-CSRF-Token` on writes when authenticating with the cookie instead of the token.
    pub csrf_token: String,
    pub username: String,
    pub role: String,
    pub jurisdiction: String,
    pub expires_in_s: i64,
}

/// Log in. Answers 401 on a wrong username or password; after 5 failures in 15 minutes for the
/// same username or address, 429 with `Retry-After` (doubling each time, at most 15 minutes).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::web::error::Problem), (status = 429, body = crate::web::error::Problem)))]
async fn api_login(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    match do_login(&st, &req.username, &req.password, ip).await {
        Ok((u, token, csrf)) => Ok((
            [(header::SET_COOKIE, session_cookie(&st, &token))],
            Json(LoginResponse {
                token,
                csrf_token: csrf,
                username: u.username,
                role: u.role,
                jurisdiction: u.jurisdiction_code,
                expires_in_s: session::SESSION_HOURS * 3600,
            }),
        )
            .into_response()),
        Err(LoginFail::Wrong) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong username or password")),
        Err(LoginFail::Throttled(s)) => {
            let mut e =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, format!("too many failed logins; try again in {s} s"));
            e.retry_after = Some(s);
            Err(e)
        }
        Err(LoginFail::Internal(e)) => Err(e.into()),
    }
}

/// End the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
async fn api_logout(State(st): State<AppState>, user: CurrentUser) -> Result<Response, ApiError> {
    session::delete(&st.db, &user.token).await?;
    audit::record(&st.db, AuditEvent::new(&user.actor(), "logout", "session")).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_cookie())]).into_response())
}

/// The logged-in user.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub jurisdiction: String,
    pub jurisdiction_name: String,
    pub can_unmask: bool,
    pub can_export: bool,
}

/// Who am I.
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401)))]
async fn api_me(user: CurrentUser) -> Json<Me> {
    Json(Me {
        id: user.user.id,
        username: user.user.username.clone(),
        display_name: user.user.display_name.clone(),
        role: user.role.as_str().into(),
        jurisdiction: user.scope.code.clone(),
        jurisdiction_name: user.jurisdiction_name.clone(),
        can_unmask: user.role.can_unmask(),
        can_export: user.role.can_export(),
    })
}

/// Users inside the administrator's jurisdiction.
#[utoipa::path(get, path = "/users", tag = "users", responses((status = 200, body = Vec<UserView>), (status = 403)))]
async fn api_users_list(State(st): State<AppState>, user: CurrentUser) -> Result<Json<Vec<UserView>>, ApiError> {
    if !user.role.can_manage_users() {
        return Err(ApiError::forbidden("only administrators manage users"));
    }
    Ok(Json(super::list(&st.db, Some(&user.scope)).await?))
}

/// Create a user inside the administrator's jurisdiction.
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 409), (status = 422)))]
async fn api_users_create(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(req): Json<NewUser>,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_users() {
        return Err(ApiError::forbidden("only administrators manage users"));
    }
    let id = super::create(&st.db, Some(&user.scope), &user.actor(), &req).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": id}))).into_response())
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    page: PageCtx,
    next: String,
    username: String,
    error: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only local paths are accepted as a post-login destination (no open redirect).
fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".into(),
    }
}

async fn login_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let page = PageCtx::new(&headers, "", None, &st.cfg);
    render(&LoginPage { page, next: safe_next(q.next.as_deref()), username: String::new(), error: String::new() })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(f): axum::Form<LoginForm>,
) -> Response {
    let page = PageCtx::new(&headers, "", None, &st.cfg);
    let next = safe_next(f.next.as_deref());
    let fail = |page: PageCtx, status: StatusCode, error: String| {
        let mut r = render(&LoginPage { page, next: next.clone(), username: f.username.clone(), error });
        *r.status_mut() = status;
        r
    };
    match do_login(&st, &f.username, &f.password, ip).await {
        Ok((_, token, _)) => ([(header::SET_COOKIE, session_cookie(&st, &token))], Redirect::to(&next)).into_response(),
        Err(LoginFail::Wrong) => {
            let msg = page.t("login_failed").to_string();
            fail(page, StatusCode::UNAUTHORIZED, msg)
        }
        Err(LoginFail::Throttled(s)) => {
            let msg = format!("{} {s}", page.t("login_throttled"));
            fail(page, StatusCode::TOO_MANY_REQUESTS, msg)
        }
        Err(LoginFail::Internal(e)) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout_submit(State(st): State<AppState>, CsrfForm(user, _): CsrfForm<Empty>) -> Result<Response, ApiError> {
    session::delete(&st.db, &user.token).await?;
    audit::record(&st.db, AuditEvent::new(&user.actor(), "logout", "session")).await?;
    Ok(([(header::SET_COOKIE, clear_cookie())], Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    page: PageCtx,
    error: String,
}

async fn password_page(State(st): State<AppState>, headers: HeaderMap, user: CurrentUser) -> Response {
    let page = PageCtx::new(&headers, "", Some(&user), &st.cfg);
    render(&PasswordPage { page, error: String::new() })
}

#[derive(Deserialize)]
struct PasswordForm {
    old_password: String,
    new_password: String,
}

async fn password_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, f): CsrfForm<PasswordForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "", Some(&user), &st.cfg);
    if !super::verify_password(f.old_password, user.user.password_hash.clone()).await {
        let error = page.t("login_failed").to_string();
        let mut r = render(&PasswordPage { page, error });
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    match super::set_password(&st.db, &user.actor(), user.user.id, &f.new_password).await {
        Ok(()) => Ok(([(header::SET_COOKIE, clear_cookie())], Redirect::to("/login")).into_response()),
        Err(super::UserError::Invalid(errs)) => {
            let error = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            let mut r = render(&PasswordPage { page, error });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "auth/users.html")]
struct UsersPage {
    page: PageCtx,
    users: Vec<UserView>,
    roles: Vec<&'static str>,
    error: String,
    form_username: String,
    form_display: String,
    form_jurisdiction: String,
}

async fn users_page(State(st): State<AppState>, headers: HeaderMap, user: CurrentUser) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "users", Some(&user), &st.cfg);
    if !user.role.can_manage_users() {
        let t = page.t("not_allowed");
        return Ok(user_message(page, StatusCode::FORBIDDEN, "403", t));
    }
    let users = super::list(&st.db, Some(&user.scope)).await?;
    Ok(render(&UsersPage {
        page,
        users,
        roles: Role::ALL.map(Role::as_str).to_vec(),
        error: String::new(),
        form_username: String::new(),
        form_display: String::new(),
        form_jurisdiction: user.scope.code.clone(),
    }))
}

#[derive(Deserialize)]
struct UserForm {
    username: String,
    display_name: String,
    role: String,
    jurisdiction: String,
    password: String,
}

async fn users_create(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, f): CsrfForm<UserForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "users", Some(&user), &st.cfg);
    if !user.role.can_manage_users() {
        let t = page.t("not_allowed");
        return Ok(user_message(page, StatusCode::FORBIDDEN, "403", t));
    }
    let nu = NewUser {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role,
        jurisdiction: f.jurisdiction.clone(),
        password: f.password,
    };
    match super::create(&st.db, Some(&user.scope), &user.actor(), &nu).await {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(e) => {
            let error = match &e {
                super::UserError::Invalid(errs) => errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                super::UserError::Other(_) => return Err(e.into()),
                other => other.to_string(),
            };
            let users = super::list(&st.db, Some(&user.scope)).await?;
            let mut r = render(&UsersPage {
                page,
                users,
                roles: Role::ALL.map(Role::as_str).to_vec(),
                error,
                form_username: f.username,
                form_display: f.display_name,
                form_jurisdiction: f.jurisdiction,
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    active: String,
}

async fn users_active(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<ActiveForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_users() || id == user.user.id {
        let page = PageCtx::new(&headers, "users", Some(&user), &st.cfg);
        let t = page.t("not_allowed");
        return Ok(user_message(page, StatusCode::FORBIDDEN, "403", t));
    }
    super::set_active(&st.db, &user.scope, &user.actor(), id, f.active == "1").await?;
    Ok(Redirect::to("/users").into_response())
}
