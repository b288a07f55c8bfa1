//! Sessions, the `CurrentUser` extractor, CSRF protection and login throttling.

use super::{Role, User};
use crate::audit::Actor;
use crate::db::Db;
use crate::db_run;
use crate::jurisdictions::{self, Scope};
use crate::web::AppState;
use crate::web::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Name of the session cookie.
pub const COOKIE: &str = "fb_session";
/// Session lifetime.
pub const SESSION_HOURS: i64 = 12;

/// 256 random bits, base64url.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn token_hash(t: &str) -> String {
    hex::encode(Sha256::digest(t.as_bytes()))
}

/// Starts a session; returns `(token, csrf_token)`.
pub async fn create(db: &Db, user_id: i64, ip: Option<&str>) -> Result<(String, String), sqlx::Error> {
    let token = random_token();
    let csrf = random_token();
    let now = crate::db::now();
    let exp = now + Duration::hours(SESSION_HOURS);
    db_run!(db, p => {
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(p).await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(token_hash(&token)).bind(user_id).bind(&csrf).bind(now).bind(exp).bind(ip).execute(p).await?;
    });
    Ok((token, csrf))
}

pub async fn delete(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    db_run!(db, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)).execute(p).await.map(|_| ()))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_token: String,
    expires_at: DateTime<Utc>,
}

/// The logged-in user of a request, with their scope. Extracting it fails with 401 (API) or a
/// redirect to the login page (pages) when there is no valid session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub role: Role,
    pub scope: Scope,
    pub jurisdiction_name: String,
    pub csrf: String,
    pub token: String,
    /// Authenticated by cookie (true) or bearer token (false).
    pub by_cookie: bool,
    pub ip: Option<String>,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor { user_id: Some(self.user.id), username: self.user.username.clone(), ip: self.ip.clone() }
    }
}

/// Why there is no current user.
pub enum AuthRejection {
    Api(ApiError),
    Page(Redirect),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Api(e) => e.into_response(),
            AuthRejection::Page(r) => r.into_response(),
        }
    }
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// Client address: the socket peer (a reverse proxy's forwarded header is not trusted).
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Inside `Router::nest("/api/v1", …)` `parts.uri` has the prefix stripped: look at the
        // original URI, else API calls would get a login redirect and skip the CSRF check below.
        let uri = parts.extensions.get::<axum::extract::OriginalUri>().map_or(&parts.uri, |o| &o.0);
        let is_api = uri.path().starts_with("/api/");
        let unauth = |msg: &str| {
            if is_api {
                AuthRejection::Api(ApiError::new(StatusCode::UNAUTHORIZED, msg))
            } else {
                let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                AuthRejection::Page(Redirect::to(&format!("/login?{q}")))
            }
        };
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|s| s.trim().to_string());
        let (token, by_cookie) = match bearer {
            Some(t) => (t, false),
            None => match cookie_value(&parts.headers, COOKIE) {
                Some(t) => (t, true),
                None => {
                    return Err(unauth(
                        "log in first (POST /api/v1/auth/login), then send Authorization: Bearer TOKEN",
                    ));
                }
            },
        };
        let db = &state.db;
        let row: Option<SessionRow> = db_run!(db, p => sqlx::query_as::<_, SessionRow>("SELECT csrf_token, expires_at FROM sessions WHERE token_hash = $1")
            .bind(token_hash(&token)).fetch_optional(p).await)
            .map_err(|e| AuthRejection::Api(ApiError::internal(e)))?;
        let Some(row) = row.filter(|r| r.expires_at > Utc::now()) else {
            return Err(unauth("the session is unknown or has expired: log in again"));
        };
        let user: Option<User> = db_run!(db, p => sqlx::query_as::<_, User>(
            "SELECT u.* FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1")
            .bind(token_hash(&token)).fetch_optional(p).await)
        .map_err(|e| AuthRejection::Api(ApiError::internal(e)))?;
        let Some(user) = user.filter(|u| u.active) else {
            return Err(unauth("the account is disabled"));
        };
        let role = Role::parse(&user.role).map_err(|e| AuthRejection::Api(ApiError::internal(e)))?;
        let j = jurisdictions::get(db, &user.jurisdiction_code)
            .await
            .map_err(|e| AuthRejection::Api(ApiError::internal(e)))?
            .ok_or_else(|| AuthRejection::Api(ApiError::internal("user's jurisdiction is missing")))?;
        // Cookie-authenticated API writes must carry the CSRF token in a header; forms are
        // checked by `CsrfForm`.
        if by_cookie && is_api && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let h = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
            if h != Some(row.csrf_token.as_str()) {
                return Err(AuthRejection::Api(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "cookie-authenticated writes need the X-CSRF-Token header (or use a Bearer token)",
                )));
            }
        }
        Ok(CurrentUser {
            role,
            scope: Scope { code: j.code.clone(), path: j.path.clone() },
            jurisdiction_name: j.name,
            csrf: row.csrf_token,
            token,
            by_cookie,
            ip: client_ip(parts),
            user,
        })
    }
}

/// A form body whose `_csrf` field must equal the session's CSRF token (synchroniser token
/// pattern, OWASP). Extracts the user too.
pub struct CsrfForm<T>(pub CurrentUser, pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response())?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let sent = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str());
        if sent != Some(user.csrf.as_str()) {
            return Err((
                StatusCode::FORBIDDEN,
                "The form has expired or did not come from this site (CSRF check). Go back, reload and try again.",
            )
                .into_response());
        }
        let t: T = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, format!("form: {e}")).into_response())?;
        Ok(CsrfForm(user, t))
    }
}

/// Counts failed logins per key: a username (`u:NAME`) may fail [`FREE_FAILURES`] times in 15
/// minutes, an address (`ip:ADDR`) [`FREE_FAILURES_PER_ADDRESS`] times (a whole headquarters may
/// sit behind one address, so one person's typos must not lock everyone out). Past that, each
/// further attempt must wait 2^(n−free+1) seconds (at most 15 minutes).
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

pub const FREE_FAILURES: u32 = 5;
/// Failures allowed from one address before it is slowed down.
pub const FREE_FAILURES_PER_ADDRESS: u32 = 30;

fn free_for(key: &str) -> u32 {
    if key.starts_with("ip:") { FREE_FAILURES_PER_ADDRESS } else { FREE_FAILURES }
}

impl LoginThrottle {
    /// Seconds the caller must still wait, if any.
    pub fn wait(&self, keys: &[String]) -> Option<u64> {
        let map = self.failures.lock().ok()?;
        keys.iter()
            .filter_map(|k| map.get(k).map(|v| (free_for(k), v)))
            .filter_map(|(free, (n, last))| {
                if last.elapsed().as_secs() > 900 || *n < free {
                    return None;
                }
                let backoff = 2u64.saturating_pow(n - free + 1).min(900);
                backoff.checked_sub(last.elapsed().as_secs()).filter(|w| *w > 0)
            })
            .max()
    }
    pub fn fail(&self, keys: &[String]) {
        if let Ok(mut map) = self.failures.lock() {
            for k in keys {
                let e = map.entry(k.clone()).or_insert((0, Instant::now()));
                if e.1.elapsed().as_secs() > 900 {
                    e.0 = 0;
                }
                e.0 += 1;
                e.1 = Instant::now();
            }
            if map.len() > 100_000 {
                map.retain(|_, (_, t)| t.elapsed().as_secs() <= 900);
            }
        }
    }
    pub fn succeed(&self, keys: &[String]) {
        if let Ok(mut map) = self.failures.lock() {
            for k in keys {
                map.remove(k);
            }
        }
    }
}
