//! `POST /api/v1/colocate`: the ranked companion list of one or more cases, for the
//! investigation desk (its case page calls this and lets the investigator confirm contacts).

use crate::audit::{self, AuditEvent};
use crate::auth::session::CurrentUser;
use crate::domain::DomainError;
use crate::web::AppState;
use crate::web::error::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_colocate))
}

pub fn pages() -> Router<AppState> {
    Router::new()
}

/// A companion search.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ColocateRequest {
    /// The cases' person keys in the trace store.
    pub cases: Vec<String>,
    /// Distance, metres (> 0): haversine distance ≤ radius_m.
    pub radius_m: f64,
    /// Time window, seconds (0 ≤ window_s < 86,400): |t1 − t2| ≤ window_s.
    pub window_s: i64,
    /// Only points at or after this time (RFC 3339, or a date).
    pub from: Option<String>,
    /// Only points before this time.
    pub to: Option<String>,
    /// Minimum co-presence of a (case, companion) link, seconds (default 0).
    pub min_copresence_s: Option<i64>,
    /// Return at most this many companions (default 1,000; the total is always given).
    pub limit: Option<usize>,
}

/// The ranked companions (co-presence, then encounters, then distance).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ColocateResponse {
    /// Companions, best first. Each: `person`, `cases`, `encounters` (matched point pairs),
    /// `first`, `last` (RFC 3339 UTC), `min_distance_m`, `copresence_minutes`, `where` (the
    /// closest pair: companion `lat`, `lon`, `t`, and the `case` with its `case_lat`,
    /// `case_lon`, `case_t`), `links` (the same figures per case).
    #[schema(value_type = Vec<Object>)]
    pub companions: Vec<crate::traces::Companion>,
    /// Companions found (before `limit`).
    pub total: usize,
    /// Cases without any trace point in the range.
    pub cases_without_points: Vec<String>,
    pub days_read: usize,
    pub points_read: u64,
    pub case_points: u64,
    pub elapsed_ms: u64,
}

/// Find the spatiotemporal companions (时空伴随者) of cases in the location trace store.
/// Investigators and administrators only; every search is audited (cases, parameters, count).
#[utoipa::path(post, path = "/colocate", tag = "traces", request_body = ColocateRequest,
    responses((status = 200, body = ColocateResponse), (status = 403), (status = 422), (status = 503)))]
async fn api_colocate(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(req): Json<ColocateRequest>,
) -> Result<Json<ColocateResponse>, ApiError> {
    if !user.role.can_search_traces() {
        let ev = AuditEvent::new(&user.actor(), "denied", "trace_search")
            .jurisdiction(&user.scope.code)
            .detail(serde_json::json!({"op": "colocate", "reason": "role", "role": user.role.as_str()}));
        audit::record(&st.db, ev).await?;
        return Err(ApiError::forbidden("your role may not search location traces"));
    }
    let Some(store) = st.cfg.trace_store.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no trace store configured: start the server with --trace-store DIR (or FIREBREAK_TRACE_STORE)",
        ));
    };
    let bound = |field: &'static str, v: &Option<String>| -> Result<Option<i64>, ApiError> {
        v.as_deref()
            .map(|s| super::parse_bound(field, s).map_err(|m| ApiError::invalid(vec![DomainError::new(field, m)])))
            .transpose()
    };
    let q = crate::traces::Query {
        cases: req.cases.clone(),
        radius_m: req.radius_m,
        window_s: req.window_s,
        from_us: bound("from", &req.from)?,
        to_us: bound("to", &req.to)?,
        min_copresence_s: req.min_copresence_s.unwrap_or(0),
        progress: false,
    };
    if let Err(e) = q.params() {
        let msg = e.to_string();
        let field = match msg.split(':').next().unwrap_or("") {
            "cases" => "cases",
            "radius" => "radius_m",
            "window" => "window_s",
            "min-duration" => "min_copresence_s",
            _ => "from",
        };
        return Err(ApiError::invalid(vec![DomainError::new(field, msg)]));
    }
    let t0 = std::time::Instant::now();
    let r = match super::search(store, q).await? {
        Ok(r) => r,
        Err(m) => return Err(ApiError::invalid(vec![DomainError::new("cases", m)])),
    };
    let elapsed_ms = t0.elapsed().as_millis() as u64;
    let total = r.companions.len();
    let ev = AuditEvent::new(&user.actor(), "colocate", "trace_search").jurisdiction(&user.scope.code).detail(
        serde_json::json!({
            "cases": req.cases, "radius_m": req.radius_m, "window_s": req.window_s,
            "from": req.from, "to": req.to, "min_copresence_s": req.min_copresence_s,
            "companions": total, "points_read": r.points_read,
        }),
    );
    audit::record(&st.db, ev).await?;
    let mut companions = r.companions;
    companions.truncate(req.limit.unwrap_or(1000));
    Ok(Json(ColocateResponse {
        companions,
        total,
        cases_without_points: r.cases_without_points,
        days_read: r.days_read,
        points_read: r.points_read,
        case_points: r.case_points,
        elapsed_ms,
    }))
}
