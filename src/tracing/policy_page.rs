//! The policy profile editor (防控方案管理), for administrators: each profile's JSON as stored
//! (shipped, or an administrator's edited copy), edited in place, checked and saved through
//! [`super::policy::save_profile`] (the same path as `PUT /api/v1/policy/profiles/{code}`: the
//! version must grow, the values must pass [`super::policy::Profile::validate`], the change is
//! audited and every case's contacts are recomputed). A JSON syntax or shape error names the line
//! and column; nothing is saved unless everything passes.

use super::policy::{self, Profile};
use crate::audit::{self, AuditEvent};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

pub fn pages() -> Router<AppState> {
    Router::new().route("/policy", get(policy_page)).route("/policy/{code}", post(save_submit))
}

/// One profile as the editor shows it.
struct Entry {
    code: String,
    version: u32,
    name: String,
    effective: String,
    json: String,
    /// The message after a save attempt of this profile (`ok` tells success from failure).
    message: String,
    ok: bool,
}

#[derive(Template)]
#[template(path = "tracing/policy.html")]
struct PolicyPage {
    page: PageCtx,
    entries: Vec<Entry>,
}

async fn refuse(st: &AppState, headers: &HeaderMap, user: &CurrentUser, op: &str) -> Result<Response, ApiError> {
    let ev = AuditEvent::new(&user.actor(), "denied", "policy_profile")
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    audit::record(&st.db, ev).await?;
    let page = PageCtx::new(headers, "policy", Some(user), &st.cfg);
    let t = page.t("not_allowed");
    Ok(user_message(page, StatusCode::FORBIDDEN, "403", t))
}

async fn entries(st: &AppState, edited: Option<(&str, String, String, bool)>) -> Result<Vec<Entry>, ApiError> {
    let profiles = policy::profiles(&st.db).await.map_err(ApiError::internal)?;
    Ok(profiles
        .into_iter()
        .map(|p| {
            let mine = edited.as_ref().filter(|e| e.0 == p.code);
            Entry {
                json: match mine {
                    Some((_, text, _, false)) => text.clone(),
                    _ => serde_json::to_string_pretty(&p).unwrap_or_default(),
                },
                message: mine.map(|e| e.2.clone()).unwrap_or_default(),
                ok: mine.is_some_and(|e| e.3),
                effective: format!(
                    "{} … {}",
                    p.effective_from,
                    p.effective_to.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
                ),
                code: p.code,
                version: p.version,
                name: p.name,
            }
        })
        .collect())
}

async fn policy_page(State(st): State<AppState>, headers: HeaderMap, user: CurrentUser) -> Result<Response, ApiError> {
    if !user.role.can_manage_users() {
        return refuse(&st, &headers, &user, "read").await;
    }
    let page = PageCtx::new(&headers, "policy", Some(&user), &st.cfg);
    Ok(render(&PolicyPage { page, entries: entries(&st, None).await? }))
}

#[derive(Deserialize)]
struct SaveForm {
    json: String,
}

async fn save_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    CsrfForm(user, f): CsrfForm<SaveForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_manage_users() {
        return refuse(&st, &headers, &user, "update").await;
    }
    let page = PageCtx::new(&headers, "policy", Some(&user), &st.cfg);
    let outcome: Result<String, String> = match serde_json::from_str::<Profile>(&f.json) {
        Err(e) => Err(format!("JSON, line {} column {}: {e}", e.line(), e.column())),
        Ok(p) if p.code != code => Err(format!("code: \"{}\" differs from the profile edited ({code})", p.code)),
        Ok(p) => match policy::save_profile(&st.db, &user.actor(), &p).await {
            Ok(n) => Ok(format!("{} v{}: {} {n}", p.code, p.version, page.t("profile_saved"))),
            Err(m) => Err(m),
        },
    };
    let (status, message, ok) = match outcome {
        Ok(m) => (StatusCode::OK, m, true),
        Err(m) => (StatusCode::UNPROCESSABLE_ENTITY, m, false),
    };
    let entries = entries(&st, Some((&code, f.json, message, ok))).await?;
    let mut r = render(&PolicyPage { page, entries });
    *r.status_mut() = status;
    Ok(r)
}
