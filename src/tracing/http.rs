//! Investigation desk: API and pages.
use crate::web::AppState;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
pub fn pages() -> Router<AppState> {
    Router::new()
}
