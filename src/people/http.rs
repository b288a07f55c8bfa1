//! People registry: API and pages. Every handler goes through the scoped store functions of
//! [`crate::people`]; role checks happen here, before the store is called.

use super::{PeopleFilter, Person, PersonInput, PersonView, StoreError};
use crate::audit::{self, AuditEvent};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::domain::{IdType, mask_id_number, mask_phone};
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::i18n::Tr;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
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
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_export))
        .routes(routes!(api_get, api_update))
        .routes(routes!(api_unmask))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/people", get(list_page))
        .route("/people/new", get(new_page).post(new_submit))
        .route("/people/export.xlsx", get(export_xlsx_page))
        .route("/people/export.csv", get(export_csv_page))
        .route("/people/{id}", get(detail_page))
        .route("/people/{id}/edit", get(edit_page).post(edit_submit))
        .route("/people/{id}/unmask", post(unmask_submit))
}

fn today(st: &AppState) -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&st.cfg.display_tz).date_naive()
}

/// Refuses (and records) an action the user's role does not allow.
async fn deny(st: &AppState, user: &CurrentUser, op: &str) -> Result<(), ApiError> {
    let ev = AuditEvent::new(&user.actor(), "denied", "person")
        .detail(serde_json::json!({"op": op, "reason": "role", "role": user.role.as_str()}));
    audit::record(&st.db, ev).await?;
    Ok(())
}

/// A page of people.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PeoplePage {
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<PersonView>,
}

/// List and search people inside the user's jurisdiction (masked).
#[utoipa::path(get, path = "/people", tag = "people", params(PeopleFilter),
    responses((status = 200, body = PeoplePage), (status = 403), (status = 422)))]
async fn api_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<PeopleFilter>,
) -> Result<Json<PeoplePage>, ApiError> {
    let (rows, total) = match super::list(&st.db, &user.scope, &user.actor(), &f).await {
        Ok(r) => r,
        Err(e) => return Err(denied_filter(&st, &user, e, "list").await),
    };
    Ok(Json(PeoplePage {
        total,
        page: f.page.unwrap_or(1).max(1),
        per_page: f.per_page.unwrap_or(50).clamp(1, 200),
        items: rows.iter().map(Person::masked).collect(),
    }))
}

/// A refusal of `op` on person records: scope refusals are logged as denied (see
/// [`crate::web::error::denied_filter`]).
async fn denied_filter(st: &AppState, user: &CurrentUser, e: StoreError, op: &str) -> ApiError {
    crate::web::error::denied_filter(st, user, "person", e, op).await
}

/// Register a person. The same identity document never makes two people (409).
#[utoipa::path(post, path = "/people", tag = "people", request_body = PersonInput,
    responses((status = 201, body = serde_json::Value), (status = 403), (status = 409), (status = 422)))]
async fn api_create(
    State(st): State<AppState>,
    user: CurrentUser,
    Json(input): Json<PersonInput>,
) -> Result<Response, ApiError> {
    if !user.role.can_write_people() {
        deny(&st, &user, "create").await?;
        return Err(ApiError::forbidden("your role may not register people"));
    }
    let valid = input.validate(today(&st)).map_err(ApiError::invalid)?;
    let id = super::create(&st.db, &user.scope, &user.actor(), &valid).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/people/{id}"))], Json(serde_json::json!({"id": id})))
        .into_response())
}

/// One person (masked). Outside the user's jurisdiction: 404, and the attempt is recorded.
#[utoipa::path(get, path = "/people/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = PersonView), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(super::get(&st.db, &user.scope, &user.actor(), id).await?.masked()))
}

/// Body of a change: the full record, and the version it was read at.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PersonUpdate {
    #[serde(flatten)]
    pub person: PersonInput,
    /// The `version` read; a record changed since answers 409.
    pub version: Option<i64>,
}

/// Change a person.
#[utoipa::path(put, path = "/people/{id}", tag = "people", params(("id" = i64, Path)), request_body = PersonUpdate,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn api_update(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(u): Json<PersonUpdate>,
) -> Result<Response, ApiError> {
    if !user.role.can_write_people() {
        deny(&st, &user, "update").await?;
        return Err(ApiError::forbidden("your role may not change people"));
    }
    if u.version.is_none() {
        return Err(ApiError::invalid(vec![crate::domain::DomainError::new(
            "version",
            "is required: send the version you read, so a concurrent change is not overwritten",
        )]));
    }
    let valid = u.person.validate(today(&st)).map_err(ApiError::invalid)?;
    super::update(&st.db, &user.scope, &user.actor(), id, u.version, &valid).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Why the full numbers are needed.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct UnmaskRequest {
    pub reason: String,
}

/// Full identity and phone numbers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Unmasked {
    pub id: i64,
    pub id_type: String,
    pub id_number: String,
    pub phone: Option<String>,
}

/// Show a person's full identity and phone numbers: administrators and investigators only, with
/// a reason; recorded in the audit log.
#[utoipa::path(post, path = "/people/{id}/unmask", tag = "people", params(("id" = i64, Path)), request_body = UnmaskRequest,
    responses((status = 200, body = Unmasked), (status = 403), (status = 404), (status = 422)))]
async fn api_unmask(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(r): Json<UnmaskRequest>,
) -> Result<Json<Unmasked>, ApiError> {
    if !user.role.can_unmask() {
        deny(&st, &user, "unmask").await?;
        return Err(ApiError::forbidden("your role may not see full identity numbers"));
    }
    let p = super::unmask(&st.db, &user.scope, &user.actor(), id, &r.reason).await?;
    Ok(Json(Unmasked { id: p.id, id_type: p.id_type, id_number: p.id_number, phone: p.phone }))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ExportQuery {
    #[serde(flatten)]
    #[param(inline)]
    filter: PeopleFilter,
    /// `csv` (default) or `xlsx`.
    format: Option<String>,
}

/// Export people inside the user's jurisdiction (masked; at most 100,000 rows; recorded).
#[utoipa::path(get, path = "/people/export", tag = "people", params(ExportQuery),
    responses((status = 200, description = "CSV (UTF-8 with BOM) or XLSX file"), (status = 403)))]
async fn api_export(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let fmt = q.format.as_deref().unwrap_or("csv");
    export(&st, &headers, &user, &q.filter, fmt).await
}

async fn export(
    st: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    f: &PeopleFilter,
    fmt: &str,
) -> Result<Response, ApiError> {
    if !user.role.can_export() {
        deny(st, user, "export").await?;
        return Err(ApiError::forbidden("your role may not export"));
    }
    if fmt != "csv" && fmt != "xlsx" {
        return Err(ApiError::invalid(vec![crate::domain::DomainError::new(
            "format",
            format!("\"{fmt}\": csv or xlsx"),
        )]));
    }
    let rows = match super::export(&st.db, &user.scope, &user.actor(), f, fmt).await {
        Ok(r) => r,
        Err(e) => return Err(denied_filter(st, user, e, "export").await),
    };
    let tr = Tr(crate::web::i18n::Lang::from_headers(headers));
    let head: Vec<&str> =
        ["person_name", "sex", "birth_date", "id_type", "id_number", "phone", "address", "code", "home_jurisdiction"]
            .iter()
            .map(|k| tr.t(k))
            .collect();
    let cells = |p: &Person| -> Vec<String> {
        vec![
            p.name.clone(),
            tr.t(&format!("sex_{}", p.sex)).to_string(),
            p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            tr.t(&format!("idt_{}", p.id_type)).to_string(),
            mask_id_number(&p.id_number),
            p.phone.as_deref().map(mask_phone).unwrap_or_default(),
            p.address.clone().unwrap_or_default(),
            p.jurisdiction_code.clone(),
            p.jurisdiction_name.clone(),
        ]
    };
    let stamp = chrono::Utc::now().with_timezone(&st.cfg.display_tz).format("%Y%m%d-%H%M");
    if fmt == "csv" {
        let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record(&head).map_err(ApiError::internal)?;
        for p in &rows {
            w.write_record(cells(p).iter().map(|c| csv_safe(c).into_owned())).map_err(ApiError::internal)?;
        }
        let bytes = w.into_inner().map_err(ApiError::internal)?;
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"people-{stamp}.csv\"")),
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
    for (r, p) in rows.iter().enumerate() {
        for (c, v) in cells(p).iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).map_err(ApiError::internal)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(ApiError::internal)?;
    ws.autofit();
    let bytes = wb.save_to_buffer().map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"people-{stamp}.xlsx\"")),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------- pages

use crate::web::home::store_page_error;

#[derive(Template)]
#[template(path = "people/list.html")]
struct ListPage {
    page: PageCtx,
    f: PeopleFilter,
    jname: String,
    rows: Vec<PersonView>,
    total: i64,
    pageno: u32,
    pages: i64,
    qs_prev: String,
    qs_next: String,
    qs_export: String,
    has_next: bool,
}

fn qs(f: &PeopleFilter, page: Option<u32>) -> String {
    let mut g = f.clone();
    g.page = page;
    g.per_page = None;
    serde_urlencoded::to_string(&g).unwrap_or_default()
}

async fn list_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(f): Query<PeopleFilter>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "people", Some(&user), &st.cfg);
    let (rows, total) = match super::list(&st.db, &user.scope, &user.actor(), &f).await {
        Ok(r) => r,
        Err(e) => return store_page_error(page, denied_filter(&st, &user, e, "list").await.into_store()),
    };
    let jname = match f.jurisdiction.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => crate::jurisdictions::get(&st.db, c).await?.map(|j| j.name).unwrap_or_default(),
        None => user.jurisdiction_name.clone(),
    };
    let pageno = f.page.unwrap_or(1).max(1);
    let per = i64::from(f.per_page.unwrap_or(50).clamp(1, 200));
    let pages = ((total + per - 1) / per).max(1);
    Ok(render(&ListPage {
        qs_prev: qs(&f, Some(pageno.saturating_sub(1).max(1))),
        qs_next: qs(&f, Some(pageno + 1)),
        qs_export: qs(&f, None),
        has_next: i64::from(pageno) < pages,
        page,
        jname,
        rows: rows.iter().map(Person::masked).collect(),
        total,
        pageno,
        pages,
        f,
    }))
}

trait IntoStore {
    fn into_store(self) -> StoreError;
}
impl IntoStore for ApiError {
    fn into_store(self) -> StoreError {
        match self.status {
            StatusCode::FORBIDDEN => StoreError::Forbidden(self.detail),
            StatusCode::NOT_FOUND => StoreError::NotFound,
            _ => StoreError::Invalid(vec![crate::domain::DomainError::new("filter", self.detail)]),
        }
    }
}

#[derive(Template)]
#[template(path = "people/form.html")]
struct FormPage {
    page: PageCtx,
    action: String,
    title: &'static str,
    v: FormValues,
    version: i64,
    errors: Vec<String>,
    id_types: Vec<&'static str>,
}

#[derive(Default, Deserialize)]
struct FormValues {
    #[serde(default)]
    name: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    id_type: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    version: Option<i64>,
}

impl FormValues {
    fn input(&self) -> PersonInput {
        PersonInput {
            name: self.name.clone(),
            sex: self.sex.clone(),
            birth_date: Some(self.birth_date.clone()),
            id_type: Some(self.id_type.clone()),
            id_number: self.id_number.clone(),
            phone: Some(self.phone.clone()),
            address: Some(self.address.clone()),
            jurisdiction: self.jurisdiction.clone(),
        }
    }
}

fn id_types() -> Vec<&'static str> {
    IdType::ALL.map(IdType::as_str).to_vec()
}

#[derive(Deserialize)]
struct NewQuery {
    jurisdiction: Option<String>,
}

async fn new_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(q): Query<NewQuery>,
) -> Response {
    let page = PageCtx::new(&headers, "people", Some(&user), &st.cfg);
    if !user.role.can_write_people() {
        let t = page.t("not_allowed");
        return user_message(page, StatusCode::FORBIDDEN, "403", t);
    }
    let v = FormValues {
        jurisdiction: q.jurisdiction.unwrap_or_default(),
        id_type: "resident_id".into(),
        ..Default::default()
    };
    render(&FormPage {
        page,
        action: "/people/new".into(),
        title: "new_person",
        v,
        version: 0,
        errors: vec![],
        id_types: id_types(),
    })
}

async fn new_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    CsrfForm(user, v): CsrfForm<FormValues>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "people", Some(&user), &st.cfg);
    if !user.role.can_write_people() {
        deny(&st, &user, "create").await?;
        let t = page.t("not_allowed");
        return Ok(user_message(page, StatusCode::FORBIDDEN, "403", t));
    }
    let result: Result<(), Vec<String>> = match v.input().validate(today(&st)) {
        Err(errs) => Err(errs.iter().map(ToString::to_string).collect::<Vec<_>>()),
        Ok(valid) => match super::create(&st.db, &user.scope, &user.actor(), &valid).await {
            Ok(id) => return Ok(Redirect::to(&format!("/people/{id}")).into_response()),
            Err(StoreError::Db(e)) => return Err(ApiError::internal(e)),
            Err(e) => Err(vec![match e {
                StoreError::Invalid(errs) => errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                other => other.to_string(),
            }]),
        },
    };
    let errors = result.err().unwrap_or_default();
    let mut r = render(&FormPage {
        page,
        action: "/people/new".into(),
        title: "new_person",
        v,
        version: 0,
        errors,
        id_types: id_types(),
    });
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Template)]
#[template(path = "people/detail.html")]
struct DetailPage {
    page: PageCtx,
    p: PersonView,
    full_id: Option<String>,
    full_phone: Option<String>,
    trail: Vec<crate::jurisdictions::Jurisdiction>,
}

async fn detail_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "people", Some(&user), &st.cfg);
    match super::get(&st.db, &user.scope, &user.actor(), id).await {
        Ok(p) => detail_render(&st, page, &p, None).await,
        Err(e) => store_page_error(page, e),
    }
}

async fn detail_render(
    st: &AppState,
    page: PageCtx,
    p: &Person,
    full: Option<(String, Option<String>)>,
) -> Result<Response, ApiError> {
    let trail = match crate::jurisdictions::get(&st.db, &p.jurisdiction_code).await? {
        Some(j) => crate::jurisdictions::ancestors(&st.db, &j).await?,
        None => vec![],
    };
    let (full_id, full_phone) = match full {
        Some((i, ph)) => (Some(i), ph),
        None => (None, None),
    };
    Ok(render(&DetailPage { page, p: p.masked(), full_id, full_phone, trail }))
}

#[derive(Deserialize)]
struct UnmaskForm {
    reason: String,
}

async fn unmask_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, f): CsrfForm<UnmaskForm>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "people", Some(&user), &st.cfg);
    if !user.role.can_unmask() {
        deny(&st, &user, "unmask").await?;
        let t = page.t("not_allowed");
        return Ok(user_message(page, StatusCode::FORBIDDEN, "403", t));
    }
    match super::unmask(&st.db, &user.scope, &user.actor(), id, &f.reason).await {
        Ok(p) => {
            let full = (p.id_number.clone(), p.phone.clone());
            let mut r = detail_render(&st, page, &p, Some(full)).await?;
            r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            Ok(r)
        }
        Err(e) => store_page_error(page, e),
    }
}

async fn edit_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "people", Some(&user), &st.cfg);
    if !user.role.can_write_people() {
        let t = page.t("not_allowed");
        return Ok(user_message(page, StatusCode::FORBIDDEN, "403", t));
    }
    let p = match super::get(&st.db, &user.scope, &user.actor(), id).await {
        Ok(p) => p,
        Err(e) => return store_page_error(page, e),
    };
    // The edit form holds the full identity number: editing it is a form of unmasking, so only
    // roles that may unmask see it; others keep the stored number unless they type a new one.
    let id_number = if user.role.can_unmask() { p.id_number.clone() } else { String::new() };
    let v = FormValues {
        name: p.name.clone(),
        sex: p.sex.clone(),
        birth_date: p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        id_type: p.id_type.clone(),
        id_number,
        phone: if user.role.can_unmask() { p.phone.clone().unwrap_or_default() } else { String::new() },
        address: p.address.clone().unwrap_or_default(),
        jurisdiction: p.jurisdiction_code.clone(),
        version: Some(p.version),
    };
    if user.role.can_unmask() {
        let ev = AuditEvent::new(&user.actor(), "unmask", "person")
            .id(id)
            .jurisdiction(&p.jurisdiction_code)
            .detail(serde_json::json!({"reason": "edit form", "fields": ["id_number", "phone"]}));
        audit::record(&st.db, ev).await?;
    }
    let mut r = render(&FormPage {
        page,
        action: format!("/people/{id}/edit"),
        title: "edit",
        v,
        version: p.version,
        errors: vec![],
        id_types: id_types(),
    });
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn edit_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(user, mut v): CsrfForm<FormValues>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "people", Some(&user), &st.cfg);
    if !user.role.can_write_people() {
        deny(&st, &user, "update").await?;
        let t = page.t("not_allowed");
        return Ok(user_message(page, StatusCode::FORBIDDEN, "403", t));
    }
    // Blank identity number / phone from a role that cannot see them: keep the stored values.
    if v.id_number.trim().is_empty() || v.phone.trim().is_empty() {
        match super::get(&st.db, &user.scope, &user.actor(), id).await {
            Ok(old) => {
                if v.id_number.trim().is_empty() {
                    v.id_number = old.id_number;
                }
                if v.phone.trim().is_empty() && !user.role.can_unmask() {
                    v.phone = old.phone.unwrap_or_default();
                }
            }
            Err(e) => return store_page_error(page, e),
        }
    }
    let version = v.version;
    let errors = match v.input().validate(today(&st)) {
        Err(errs) => errs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        Ok(valid) => match super::update(&st.db, &user.scope, &user.actor(), id, version, &valid).await {
            Ok(()) => return Ok(Redirect::to(&format!("/people/{id}")).into_response()),
            Err(StoreError::Db(e)) => return Err(ApiError::internal(e)),
            Err(StoreError::NotFound) => return store_page_error(page, StoreError::NotFound),
            Err(StoreError::Invalid(errs)) => errs.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
        },
    };
    let can_see = user.role.can_unmask();
    if !can_see {
        v.id_number.clear();
        v.phone.clear();
    }
    let mut r = render(&FormPage {
        page,
        action: format!("/people/{id}/edit"),
        title: "edit",
        version: version.unwrap_or(0),
        v,
        errors,
        id_types: id_types(),
    });
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

async fn export_xlsx_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(f): Query<PeopleFilter>,
) -> Result<Response, ApiError> {
    export(&st, &headers, &user, &f, "xlsx").await
}

async fn export_csv_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(f): Query<PeopleFilter>,
) -> Result<Response, ApiError> {
    export(&st, &headers, &user, &f, "csv").await
}

/// Neutralises spreadsheet formulas in a CSV cell (OWASP "CSV injection"): a cell starting with
/// `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so Excel shows it as text.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(super::csv_safe("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(super::csv_safe("+cmd|calc!A1"), "'+cmd|calc!A1");
        assert_eq!(super::csv_safe("王芳"), "王芳");
    }
}
