//! Investigation desk: API and pages. Role checks here; scoping and auditing in the store
//! functions of [`crate::tracing`].

use super::import::{self, FileKind, ImportError, ImportOptions, Preset};
use super::{CaseDetail, CaseFilter, CaseRow, ChainGraph, ExposureInput};
use crate::audit::{self, AuditEvent};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::people::StoreError;
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::i18n::Tr;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list))
        .routes(routes!(api_get))
        .routes(routes!(api_reclassify))
        .routes(routes!(api_status))
        .routes(routes!(api_exposure))
        .routes(routes!(api_control))
        .routes(routes!(api_chains))
        .routes(routes!(api_import))
        .routes(routes!(api_profiles))
        .routes(routes!(api_golden24))
        .routes(routes!(api_save_profile))
        .merge(super::manual_http::api())
        .merge(super::clusters_http::api())
        .merge(super::companions::api())
        .merge(super::contacts::api())
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list_page))
        .route("/cases/export.csv", get(export_csv))
        .route("/cases/export.xlsx", get(export_xlsx))
        .route("/cases/import", get(import_page))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/classification", post(reclassify_submit))
        .route("/cases/{id}/status", post(status_submit))
        .route("/cases/{id}/exposures", post(exposure_submit))
        .route("/cases/{id}/contacts/{person}/control", post(control_submit))
        .route("/chains", get(chains_page))
        .route("/golden24", get(golden24_page))
        .merge(super::manual_http::pages())
        .merge(super::clusters_http::pages())
        .merge(super::companions::pages())
        .merge(super::contacts::pages())
        .merge(super::policy_page::pages())
}

fn today(st: &AppState) -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&st.cfg.display_tz).date_naive()
}

/// Refuses (and records) an action the role does not allow.
async fn deny(st: &AppState, user: &CurrentUser, op: &str) -> ApiError {
    let ev = AuditEvent::new(&user.actor(), "denied", "case")
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    if let Err(e) = audit::record(&st.db, ev).await {
        return ApiError::internal(e);
    }
    ApiError::forbidden("your role may not do this on the investigation desk")
}

/// A refusal of `op` on case records: scope refusals are logged as denied (see
/// [`crate::web::error::denied_filter`]).
async fn denied_filter(st: &AppState, user: &CurrentUser, e: StoreError, op: &str) -> ApiError {
    crate::web::error::denied_filter(st, user, "case", e, op).await
}

/// A page of the line list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<CaseRow>,
}

/// The line list inside the user's jurisdiction: filter, sort, page.
#[utoipa::path(get, path = "/cases", tag = "tracing", params(CaseFilter),
    responses((status = 200, body = CasePage), (status = 403), (status = 422)))]
async fn api_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<CaseFilter>,
) -> Result<Json<CasePage>, ApiError> {
    let (items, total) = match super::list(&st.db, &user.scope, &user.actor(), &f).await {
        Ok(r) => r,
        Err(e) => return Err(denied_filter(&st, &user, e, "list").await),
    };
    Ok(Json(CasePage {
        total,
        page: f.page.unwrap_or(1).max(1),
        per_page: f.per_page.unwrap_or(50).clamp(1, 200),
        items,
    }))
}

/// One case with its timeline: classification history, infectors and infectees (with serial
/// intervals), itinerary, exposures, contacts and the rule that classified each.
#[utoipa::path(get, path = "/cases/{id}", tag = "tracing", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<CaseDetail>, ApiError> {
    Ok(Json(super::detail(&st.db, &user.scope, &user.actor(), id).await?))
}

/// A change of classification, with the reason (kept in the history).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Reclassify {
    pub classification: String,
    pub reason: String,
}

/// Reclassify a case (the old classification stays in its history; contacts are recomputed).
#[utoipa::path(post, path = "/cases/{id}/classification", tag = "tracing", params(("id" = i64, Path)), request_body = Reclassify,
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
async fn api_reclassify(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(r): Json<Reclassify>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "reclassify").await);
    }
    super::reclassify(&st.db, &user.scope, &user.actor(), id, &r.classification, &r.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An investigation status.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusChange {
    /// open, assigned, in_progress, completed.
    pub status: String,
}

/// Set the investigation status (the time of each step is kept).
#[utoipa::path(post, path = "/cases/{id}/status", tag = "tracing", params(("id" = i64, Path)), request_body = StatusChange,
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
async fn api_status(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(s): Json<StatusChange>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "status").await);
    }
    super::set_status(&st.db, &user.scope, &user.actor(), id, &s.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record an exposure between two registered people; the contacts of the cases it touches are
/// reclassified by the policy profile.
#[utoipa::path(post, path = "/exposures", tag = "tracing", request_body = ExposureInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 404), (status = 422)))]
async fn api_exposure(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(x): Json<ExposureInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "exposure").await);
    }
    let id = super::add_exposure(&st.db, &user.scope, &user.actor(), &x, today(&st)).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": id}))).into_response())
}

/// When a contact was placed under control (default: now).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Control {
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Record that a contact was placed under control (ends their secondary-contact window).
#[utoipa::path(post, path = "/cases/{id}/contacts/{person}/control", tag = "tracing",
    params(("id" = i64, Path), ("person" = i64, Path)), request_body = Control,
    responses((status = 204), (status = 403), (status = 404)))]
async fn api_control(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, person)): Path<(i64, i64)>,
    Json(c): Json<Control>,
) -> Result<StatusCode, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "control").await);
    }
    super::set_controlled(&st.db, &user.scope, &user.actor(), id, person, c.at.unwrap_or_else(crate::db::now)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChainQuery {
    /// Only cases reported in this jurisdiction's subtree.
    pub jurisdiction: Option<String>,
    /// One chain (its id); all chains when absent.
    pub chain: Option<i64>,
    /// At most this many case nodes (default 20,000).
    pub max_nodes: Option<usize>,
}

/// Transmission chains of the cases inside the user's jurisdiction, and the graph of one chain
/// or of all (cases and unobserved infectors as nodes, links as edges with serial intervals).
#[utoipa::path(get, path = "/chains", tag = "tracing", params(ChainQuery),
    responses((status = 200, body = ChainGraph), (status = 403), (status = 404)))]
async fn api_chains(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ChainQuery>,
) -> Result<Response, ApiError> {
    let max = q.max_nodes.unwrap_or(20_000).clamp(1, 200_000);
    let g = match super::chain_graph(&st.db, &user.scope, &user.actor(), q.jurisdiction.as_deref(), q.chain, max).await
    {
        Ok(g) => g,
        Err(e) => return Err(denied_filter(&st, &user, e, "chains").await),
    };
    Ok(Json(g).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// ds4c, ebola-sim, ali2020-pairs, tianjin.
    pub preset: String,
    /// linelist (default), links, itinerary.
    pub kind: Option<String>,
    pub dry_run: Option<bool>,
    pub skip_bad_rows: Option<bool>,
    /// File name, for messages (a name ending in `.xlsx`, or a ZIP body, is read as XLSX).
    pub file: Option<String>,
    /// Check every row and return the report with the first rows as read; nothing is written.
    pub preview: Option<bool>,
    /// A saved column mapping (its preset replaces `preset`).
    pub mapping: Option<String>,
}

/// Import a CSV or XLSX file (the request body; XLSX: the first sheet) with a preset, or with a
/// saved column mapping. The data set's root node is created under the user's jurisdiction. 422
/// lists every bad row (nothing is written) unless `skip_bad_rows`; `preview` checks every row
/// and writes nothing. Rows already imported are matched by the source's ids: unchanged rows
/// change nothing, changed rows update their case.
#[utoipa::path(post, path = "/imports", tag = "tracing", params(ImportQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = serde_json::Value), (status = 403), (status = 422)))]
async fn api_import(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return Err(deny(&st, &user, "import").await);
    }
    let bad = |f: &'static str, m: String| ApiError::invalid(vec![crate::domain::DomainError::new(f, m)]);
    let kind = match q.kind.as_deref().unwrap_or("linelist") {
        "linelist" => FileKind::Linelist,
        "links" => FileKind::Links,
        "itinerary" => FileKind::Itinerary,
        k => return Err(bad("kind", format!("\"{k}\": linelist, links or itinerary"))),
    };
    let mapping = match q.mapping.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(name) => Some(super::mappings::get(&st.db, kind, name).await?),
        None => None,
    };
    let preset_name = mapping.as_ref().map(|m| m.preset.clone()).unwrap_or_else(|| q.preset.clone());
    let preset = Preset::parse(&preset_name)
        .ok_or_else(|| bad("preset", format!("\"{preset_name}\": ds4c, ebola-sim, ali2020-pairs or tianjin")))?;
    let file = q.file.clone().unwrap_or_else(|| "upload.csv".into());
    let columns = mapping.map(|m| m.columns).unwrap_or_default();
    let batch = import::parse_mapped(preset, kind, &file, &body, today(&st), &columns)
        .map_err(|e| bad("file", format!("{e:#}")))?;
    let actor = user.actor();
    let o = ImportOptions {
        actor: &actor,
        attach_to: Some(user.scope.code.clone()),
        scope: Some(&user.scope),
        skip_bad_rows: q.skip_bad_rows.unwrap_or(false),
        dry_run: q.dry_run.unwrap_or(false),
        progress: None,
    };
    let result = if q.preview.unwrap_or(false) {
        import::preview(&st.db, batch, &o).await
    } else {
        import::write(&st.db, batch, &o).await
    };
    match result {
        Ok(r) => Ok(Json(r).into_response()),
        Err(ImportError::BadRows { file, problems }) => {
            let mut e = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{file}: {} bad rows, nothing imported", problems.len()),
            );
            e.errors = problems
                .iter()
                .take(200)
                .map(|p| crate::web::error::FieldError {
                    field: format!("line {} {}", p.line, p.column),
                    message: p.message.clone(),
                })
                .collect();
            Err(e)
        }
        Err(ImportError::Forbidden(m)) => Err(ApiError::forbidden(m)),
        Err(ImportError::Db(e)) => Err(ApiError::internal(e)),
        Err(ImportError::Other(e)) => Err(bad("file", format!("{e:#}"))),
    }
}

/// The policy profiles (shipped, or as edited by an administrator).
#[utoipa::path(get, path = "/policy/profiles", tag = "tracing", responses((status = 200, body = Vec<super::policy::Profile>)))]
async fn api_profiles(
    State(st): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<super::policy::Profile>>, ApiError> {
    Ok(Json(super::policy::profiles(&st.db).await?))
}

/// Replace a profile with an edited version (administrators; the version must grow). Every
/// case's contacts are reclassified.
#[utoipa::path(put, path = "/policy/profiles/{code}", tag = "tracing", params(("code" = String, Path)), request_body = super::policy::Profile,
    responses((status = 200, body = serde_json::Value), (status = 403), (status = 422)))]
async fn api_save_profile(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Json(p): Json<super::policy::Profile>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !user.role.can_manage_users() {
        return Err(deny(&st, &user, "policy").await);
    }
    if p.code != code {
        return Err(ApiError::invalid(vec![crate::domain::DomainError::new(
            "code",
            "the body's code differs from the path",
        )]));
    }
    let n = super::policy::save_profile(&st.db, &user.actor(), &p)
        .await
        .map_err(|m| ApiError::invalid(vec![crate::domain::DomainError::new("profile", m)]))?;
    Ok(Json(serde_json::json!({"cases_recomputed": n})))
}

// ---------------------------------------------------------------- pages

use crate::web::home::store_page_error as page_error;

#[derive(Template)]
#[template(path = "tracing/cases.html")]
struct ListPage {
    page: PageCtx,
    f: CaseFilter,
    rows: Vec<CaseRow>,
    total: i64,
    pageno: u32,
    pages: i64,
    qs_prev: String,
    qs_next: String,
    qs_export: String,
    has_next: bool,
    can_investigate: bool,
    clusters: Vec<super::clusters::ClusterRow>,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, x: &str) -> bool {
        v.as_deref() == Some(x)
    }
    fn sel_cluster(&self, id: &i64) -> bool {
        self.f.cluster == Some(*id)
    }
}

fn qs(f: &CaseFilter, page: Option<u32>) -> String {
    let mut g = f.clone();
    g.page = page;
    g.per_page = None;
    serde_urlencoded::to_string(&g).unwrap_or_default()
}

async fn list_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(f): Query<CaseFilter>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let (rows, total) = match super::list(&st.db, &user.scope, &user.actor(), &f).await {
        Ok(r) => r,
        Err(e) => {
            if let StoreError::Forbidden(_) = &e {
                let _ = denied_filter(&st, &user, StoreError::Forbidden(String::new()), "list").await;
            }
            return page_error(page, e);
        }
    };
    let pageno = f.page.unwrap_or(1).max(1);
    let per = i64::from(f.per_page.unwrap_or(50).clamp(1, 200));
    let pages = ((total + per - 1) / per).max(1);
    let clusters = match super::clusters::list(&st.db, &user.scope, None).await {
        Ok(k) => k,
        Err(e) => return page_error(page, e),
    };
    Ok(render(&ListPage {
        clusters,
        qs_prev: qs(&f, Some(pageno.saturating_sub(1).max(1))),
        qs_next: qs(&f, Some(pageno + 1)),
        qs_export: qs(&f, None),
        has_next: i64::from(pageno) < pages,
        can_investigate: user.role.can_investigate(),
        page,
        rows,
        total,
        pageno,
        pages,
        f,
    }))
}

async fn export(
    st: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    f: &CaseFilter,
    fmt: &str,
) -> Result<Response, ApiError> {
    if !user.role.can_export() {
        return Err(deny(st, user, "export").await);
    }
    let rows = match super::export(&st.db, &user.scope, &user.actor(), f, fmt).await {
        Ok(r) => r,
        Err(e) => return Err(denied_filter(st, user, e, "export").await),
    };
    let tr = Tr(crate::web::i18n::Lang::from_headers(headers));
    let head: Vec<&str> = [
        "source",
        "source_id",
        "person_name",
        "sex",
        "classification",
        "how_found",
        "reporting_jurisdiction",
        "onset_date",
        "report_date",
        "isolation_date",
        "outcome",
        "cluster",
        "chain",
        "generation",
        "investigation_status",
    ]
    .iter()
    .map(|k| tr.t(k))
    .collect();
    let opt = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let cells = |c: &CaseRow| -> Vec<String> {
        vec![
            c.source.clone(),
            c.source_id.clone(),
            c.person_name.clone(),
            tr.t(&format!("sex_{}", c.sex)).to_string(),
            tr.t(&format!("cls_{}", c.classification)).to_string(),
            c.how_found.as_deref().map(|h| tr.t(&format!("hf_{h}")).to_string()).unwrap_or_default(),
            c.reporting_name.clone(),
            opt(c.onset_date),
            opt(c.report_date),
            opt(c.isolation_date),
            c.outcome.as_deref().map(|o| tr.t(&format!("oc_{o}")).to_string()).unwrap_or_default(),
            c.cluster.clone().unwrap_or_default(),
            c.chain_id.map(|x| x.to_string()).unwrap_or_default(),
            c.generation.map(|x| x.to_string()).unwrap_or_default(),
            tr.t(&format!("st_{}", c.investigation_status)).to_string(),
        ]
    };
    let stamp = chrono::Utc::now().with_timezone(&st.cfg.display_tz).format("%Y%m%d-%H%M");
    if fmt == "csv" {
        let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record(&head).map_err(ApiError::internal)?;
        for c in &rows {
            w.write_record(cells(c)).map_err(ApiError::internal)?;
        }
        let bytes = w.into_inner().map_err(ApiError::internal)?;
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"cases-{stamp}.csv\"")),
            ],
            bytes,
        )
            .into_response());
    }
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold().set_background_color("DDE6F0");
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(ApiError::internal)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in cells(row).iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).map_err(ApiError::internal)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(ApiError::internal)?;
    let bytes = wb.save_to_buffer().map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"cases-{stamp}.xlsx\"")),
        ],
        bytes,
    )
        .into_response())
}

async fn export_csv(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(f): Query<CaseFilter>,
) -> Result<Response, ApiError> {
    export(&st, &headers, &user, &f, "csv").await
}

async fn export_xlsx(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(f): Query<CaseFilter>,
) -> Result<Response, ApiError> {
    export(&st, &headers, &user, &f, "xlsx").await
}

#[derive(Template)]
#[template(path = "tracing/case.html")]
struct CasePageT {
    page: PageCtx,
    d: CaseDetail,
    can_investigate: bool,
    classifications: Vec<&'static str>,
    statuses: Vec<&'static str>,
    kinds: Vec<&'static str>,
    protections: Vec<&'static str>,
    clusters: Vec<super::clusters::ClusterRow>,
    all_clusters: Vec<super::clusters::ClusterRow>,
}

impl CasePageT {
    fn date(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
    }
    fn when(&self, t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.as_ref().map(|t| self.page.dt(t)).unwrap_or_else(|| "—".into())
    }
}

async fn case_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let (clusters, all_clusters) = match async {
        let mine = super::clusters::of_case(&st.db, &user.scope, id).await?;
        let all = super::clusters::list(&st.db, &user.scope, None).await?;
        Ok::<_, StoreError>((mine, all))
    }
    .await
    {
        Ok(k) => k,
        Err(e) => return page_error(page, e),
    };
    match super::detail(&st.db, &user.scope, &user.actor(), id).await {
        Ok(d) => Ok(render(&CasePageT {
            all_clusters: all_clusters.into_iter().filter(|k| !clusters.iter().any(|m| m.id == k.id)).collect(),
            clusters,
            page,
            d,
            can_investigate: user.role.can_investigate(),
            classifications: super::CLASSIFICATIONS.to_vec(),
            statuses: super::STATUSES.to_vec(),
            kinds: super::EXPOSURE_KINDS.to_vec(),
            protections: super::PROTECTIONS.to_vec(),
        })),
        Err(e) => page_error(page, e),
    }
}

#[derive(Deserialize)]
struct ReclassifyForm {
    classification: String,
    reason: String,
}

async fn form_result(
    st: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    id: i64,
    r: Result<(), StoreError>,
) -> Result<Response, ApiError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => page_error(PageCtx::new(headers, "tracing", Some(user), &st.cfg), e),
    }
}

async fn forbidden_page(
    st: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    op: &str,
) -> Result<Response, ApiError> {
    let _ = deny(st, user, op).await;
    let page = PageCtx::new(headers, "tracing", Some(user), &st.cfg);
    let t = page.t("not_allowed");
    Ok(user_message(page, StatusCode::FORBIDDEN, "403", t))
}

async fn reclassify_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<ReclassifyForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return forbidden_page(&st, &headers, &user, "reclassify").await;
    }
    let r = super::reclassify(&st.db, &user.scope, &user.actor(), id, &f.classification, &f.reason).await;
    form_result(&st, &headers, &user, id, r).await
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn status_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<StatusForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return forbidden_page(&st, &headers, &user, "status").await;
    }
    let r = super::set_status(&st.db, &user.scope, &user.actor(), id, &f.status).await;
    form_result(&st, &headers, &user, id, r).await
}

#[derive(Deserialize)]
struct ExposureForm {
    person_b: i64,
    kind: String,
    start_date: String,
    #[serde(default)]
    end_date: Option<String>,
    #[serde(default)]
    protection: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn exposure_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<ExposureForm>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return forbidden_page(&st, &headers, &user, "exposure").await;
    }
    let r = async {
        let c = super::get(&st.db, &user.scope, &user.actor(), id).await?;
        let x = ExposureInput {
            person_a: c.person_id,
            person_b: f.person_b,
            kind: f.kind,
            start_date: f.start_date,
            end_date: f.end_date.filter(|s| !s.is_empty()),
            protection: f.protection,
            note: f.note.filter(|s| !s.is_empty()),
        };
        super::add_exposure(&st.db, &user.scope, &user.actor(), &x, today(&st)).await.map(|_| ())
    }
    .await;
    form_result(&st, &headers, &user, id, r).await
}

#[derive(Deserialize)]
struct Empty {}

async fn control_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((id, person)): Path<(i64, i64)>,
    CsrfForm(user, _f): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return forbidden_page(&st, &headers, &user, "control").await;
    }
    let r = super::set_controlled(&st.db, &user.scope, &user.actor(), id, person, crate::db::now()).await;
    form_result(&st, &headers, &user, id, r).await
}

#[derive(Template)]
#[template(path = "tracing/chains.html")]
struct ChainsPage {
    page: PageCtx,
    jurisdiction: String,
    chain: String,
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct ChainsPageQuery {
    jurisdiction: Option<String>,
    /// A chain id; empty ("all chains" in the form) or not a number: all chains.
    chain: Option<String>,
    /// Onset date range of the chains shown (filtered in the browser, see web/static/tracing.js);
    /// empty or not a date: no bound.
    from: Option<String>,
    to: Option<String>,
}

async fn chains_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<ChainsPageQuery>,
) -> Response {
    let page = PageCtx::new(&headers, "chains", Some(&user), &st.cfg);
    render(&ChainsPage {
        page,
        jurisdiction: q.jurisdiction.unwrap_or_default(),
        chain: q.chain.and_then(|c| c.trim().parse::<i64>().ok()).map(|c| c.to_string()).unwrap_or_default(),
        from: day_param(q.from.as_deref()),
        to: day_param(q.to.as_deref()),
    })
}

/// `YYYY-MM-DD` of a date parameter, or empty when absent or not a date.
fn day_param(v: Option<&str>) -> String {
    v.and_then(|s| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
        .map(|d| d.to_string())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "tracing/import.html")]
struct ImportPage {
    page: PageCtx,
    presets: Vec<&'static str>,
    mappings: Vec<super::mappings::Mapping>,
}

async fn import_page(State(st): State<AppState>, headers: HeaderMap, user: CurrentUser) -> Result<Response, ApiError> {
    if !user.role.can_investigate() {
        return forbidden_page(&st, &headers, &user, "import").await;
    }
    let page = PageCtx::new(&headers, "tracing", Some(&user), &st.cfg);
    let mappings = super::mappings::list(&st.db, None).await?;
    Ok(render(&ImportPage { page, presets: Preset::ALL.iter().map(|p| p.name()).collect(), mappings }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Golden24Query {
    /// First day (YYYY-MM-DD; default: 13 days before `to`).
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD; default: today).
    pub to: Option<String>,
}

fn g24_range(st: &AppState, q: &Golden24Query) -> Result<(chrono::NaiveDate, chrono::NaiveDate), StoreError> {
    let p = |f: &'static str, v: &Option<String>| -> Result<Option<chrono::NaiveDate>, StoreError> {
        match v.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| {
                StoreError::Invalid(vec![crate::domain::DomainError::new(f, format!("\"{s}\" is not a date"))])
            }),
        }
    };
    let to = p("to", &q.to)?.unwrap_or_else(|| today(st));
    let from = p("from", &q.from)?.unwrap_or(to - chrono::Duration::days(13));
    if from > to || (to - from).num_days() > 366 {
        return Err(StoreError::Invalid(vec![crate::domain::DomainError::new(
            "from",
            "from must be before to, at most a year apart",
        )]));
    }
    Ok((from, to))
}

/// Golden 24 hours: per reporting jurisdiction and day, how many cases had their investigation
/// completed, all contacts identified, and all contacts placed under control within 24 h.
#[utoipa::path(get, path = "/golden24", tag = "tracing", params(Golden24Query),
    responses((status = 200, body = Vec<super::Golden24>), (status = 422)))]
async fn api_golden24(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<Golden24Query>,
) -> Result<Json<Vec<super::Golden24>>, ApiError> {
    let (from, to) = g24_range(&st, &q)?;
    Ok(Json(super::golden24(&st.db, &user.scope, &user.actor(), from, to, st.cfg.display_tz).await?))
}

#[derive(Template)]
#[template(path = "tracing/golden24.html")]
struct Golden24Page {
    page: PageCtx,
    from: String,
    to: String,
    rows: Vec<super::Golden24>,
    total: super::Golden24,
    /// Transfer tasks handed over per day: identified → handed over (src/facilities).
    transfers: Vec<crate::facilities::transfers::TimingDay>,
}

impl Golden24Page {
    fn pct(&self, n: &i64, of: &i64) -> String {
        if *of == 0 { "—".into() } else { format!("{:.0}%", 100.0 * *n as f64 / *of as f64) }
    }
}

async fn golden24_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<Golden24Query>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "golden24", Some(&user), &st.cfg);
    let (from, to) = match g24_range(&st, &q) {
        Ok(r) => r,
        Err(e) => return page_error(page, e),
    };
    let rows = match super::golden24(&st.db, &user.scope, &user.actor(), from, to, st.cfg.display_tz).await {
        Ok(r) => r,
        Err(e) => return page_error(page, e),
    };
    let mut total = super::Golden24 {
        jurisdiction: user.scope.code.clone(),
        jurisdiction_name: user.jurisdiction_name.clone(),
        day: to,
        cases: 0,
        investigated_24h: 0,
        with_contacts: 0,
        identified_24h: 0,
        controlled_24h: 0,
    };
    for r in &rows {
        total.cases += r.cases;
        total.investigated_24h += r.investigated_24h;
        total.with_contacts += r.with_contacts;
        total.identified_24h += r.identified_24h;
        total.controlled_24h += r.controlled_24h;
    }
    let transfers = crate::facilities::transfers::timing(&st.db, &user.scope, from, to, st.cfg.display_tz).await?;
    Ok(render(&Golden24Page { page, from: from.to_string(), to: to.to_string(), rows, total, transfers }))
}
