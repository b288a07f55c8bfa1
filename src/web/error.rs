//! Errors as HTTP answers: RFC 9457 problem details for the API, a readable page for the UI.
//! Internal errors are logged with their cause and shown to the user without it.

use crate::domain::DomainError;
use crate::people::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One field problem inside a problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError { status, detail: detail.into(), errors: vec![], retry_after: None }
    }
    /// Logs the cause; the client sees only "internal error".
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the cause is in the server log")
    }
    pub fn not_found(what: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, detail)
    }
    pub fn invalid(errs: Vec<DomainError>) -> Self {
        let detail = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail,
            errors: errs.iter().map(|e| FieldError { field: e.field().to_string(), message: e.to_string() }).collect(),
            retry_after: None,
        }
    }
    pub fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("error").into(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self.problem()).unwrap_or_default();
        let mut r =
            (self.status, [(axum::http::header::CONTENT_TYPE, "application/problem+json")], body).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = s.to_string().parse()
        {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        r
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::internal(format!("{e:#}"))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("record"),
            StoreError::Forbidden(m) => ApiError::forbidden(m),
            StoreError::Conflict { field, message } => ApiError {
                status: StatusCode::CONFLICT,
                detail: format!("{field}: {message}"),
                errors: vec![FieldError { field: field.into(), message }],
                retry_after: None,
            },
            StoreError::Invalid(errs) => ApiError::invalid(errs),
            StoreError::Db(e) => ApiError::internal(e),
        }
    }
}

impl From<crate::auth::UserError> for ApiError {
    fn from(e: crate::auth::UserError) -> Self {
        use crate::auth::UserError;
        match e {
            UserError::Invalid(errs) => ApiError::invalid(errs),
            UserError::Forbidden(m) => ApiError::forbidden(m),
            UserError::Taken(u) => ApiError {
                status: StatusCode::CONFLICT,
                detail: format!("username: \"{u}\" is taken"),
                errors: vec![FieldError { field: "username".into(), message: format!("\"{u}\" is taken") }],
                retry_after: None,
            },
            UserError::Other(e) => ApiError::internal(format!("{e:#}")),
        }
    }
}

/// Turns a store refusal into an answer; a scope refusal ([`StoreError::Forbidden`], e.g. a
/// jurisdiction filter outside the user's subtree) is first recorded as `denied` on `entity`, before
/// the answer goes out, so the log holds it as soon as the client sees the 403.
pub async fn denied_filter(
    st: &crate::web::AppState,
    user: &crate::auth::session::CurrentUser,
    entity: &'static str,
    e: StoreError,
    op: &str,
) -> ApiError {
    if let StoreError::Forbidden(m) = &e {
        let ev = crate::audit::AuditEvent::new(&user.actor(), "denied", entity)
            .detail(serde_json::json!({"op": op, "reason": m}));
        if let Err(e) = crate::audit::record(&st.db, ev).await {
            return ApiError::internal(e);
        }
    }
    e.into()
}
