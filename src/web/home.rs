//! The command home page, the language switch and the generic message page.

use super::{AppState, PageCtx, i18n::Tr, render};
use crate::auth::session::CurrentUser;
use crate::db_run;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn pages() -> Router<AppState> {
    Router::new().route("/", get(home)).route("/lang/{lang}", get(set_lang))
}

#[derive(Template)]
#[template(path = "web/home.html")]
struct HomePage {
    page: PageCtx,
    scope_name: String,
    today: String,
    people: i64,
    units: i64,
    users: i64,
    audit_today: i64,
    quarantine: crate::facilities::Summary,
}

async fn home(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
) -> Result<Response, super::error::ApiError> {
    let page = PageCtx::new(&headers, "home", Some(&user), &st.cfg);
    let people = crate::people::count(&st.db, &user.scope).await?;
    let quarantine = crate::facilities::summary(&st.db, &user.scope).await?;
    let like = user.scope.like();
    let today_local = chrono::Utc::now().with_timezone(&page.tz).date_naive();
    let start = today_local
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_local_timezone(page.tz).single())
        .map(|d| d.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    let (units, users, audit_today) = db_run!(&st.db, p => {
        let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jurisdictions WHERE path LIKE $1").bind(&like).fetch_one(p).await?;
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users u JOIN jurisdictions j ON j.code = u.jurisdiction_code WHERE j.path LIKE $1")
            .bind(&like).fetch_one(p).await?;
        let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE at >= $1").bind(start).fetch_one(p).await?;
        (units, users, audit)
    });
    Ok(render(&HomePage {
        scope_name: user.jurisdiction_name.clone(),
        today: today_local.format("%Y-%m-%d").to_string(),
        page,
        people,
        units,
        users,
        audit_today,
        quarantine,
    }))
}

async fn set_lang(Path(lang): Path<String>, headers: HeaderMap) -> Response {
    let v = if lang == "en" { "en" } else { "zh" };
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .unwrap_or_else(|| "/".into());
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, format!("lang={v}; Path=/; Max-Age=31536000; SameSite=Lax")), (header::LOCATION, back)],
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "web/message.html")]
struct MessagePage<'a> {
    page: PageCtx,
    title: &'a str,
    message: &'a str,
}

/// A page that says one thing (errors, refusals), with the given status.
pub fn message_page(tr: Tr, status: StatusCode, title: &str, message: &str) -> Response {
    let page = PageCtx { tr, nav: "", user: None, csrf: String::new(), tz: chrono_tz::Asia::Shanghai };
    let mut r = render(&MessagePage { page, title, message });
    *r.status_mut() = status;
    r
}

/// The same, inside the logged-in layout.
pub fn user_message(page: PageCtx, status: StatusCode, title: &str, message: &str) -> Response {
    let mut r = render(&MessagePage { page, title, message });
    *r.status_mut() = status;
    r
}

/// Turns a store error into a page (403/404/409/422) or passes internal errors on.
pub fn store_page_error(page: PageCtx, e: crate::people::StoreError) -> Result<Response, crate::web::error::ApiError> {
    match e {
        crate::people::StoreError::NotFound => {
            let t = page.t("no_rows");
            Ok(user_message(page, StatusCode::NOT_FOUND, "404", t))
        }
        crate::people::StoreError::Forbidden(m) => Ok(user_message(page, StatusCode::FORBIDDEN, "403", &m)),
        crate::people::StoreError::Invalid(errs) => {
            let m = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            Ok(user_message(page, StatusCode::UNPROCESSABLE_ENTITY, "422", &m))
        }
        crate::people::StoreError::Conflict { field, message } => {
            Ok(user_message(page, StatusCode::CONFLICT, "409", &format!("{field}: {message}")))
        }
        crate::people::StoreError::Db(e) => Err(crate::web::error::ApiError::internal(e)),
    }
}
