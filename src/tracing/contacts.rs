//! The contact list (密接一览): every contact of the cases inside the user's jurisdiction, with
//! the classification the policy profile gave (and its rule), the first and last exposure, and
//! whether and when the contact was placed under control. Filter, page, CSV export.
//!
//! Scope: a contact belongs to a case; it is listed when the case's reporting jurisdiction is
//! inside the user's scope (as the case itself is). Identity and phone numbers are masked. Every
//! page read is recorded (`list`, `contact`) and every export (`export`, `contact`).

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::session::CurrentUser;
use crate::db::Db;
use crate::db_run;
use crate::domain::{DomainError, mask_id_number, mask_phone};
use crate::jurisdictions::Scope;
use crate::people::StoreError;
use crate::web::error::ApiError;
use crate::web::home::user_message;
use crate::web::i18n::Tr;
use crate::web::{AppState, PageCtx, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Contact list filter (API query string and web form).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
pub struct ContactFilter {
    /// Only contacts of cases reported in this jurisdiction's subtree (inside the user's own).
    pub jurisdiction: Option<String>,
    /// `close`, `secondary`, `other`.
    pub classification: Option<String>,
    /// `controlled` (placed under control) or `open` (not yet).
    pub control: Option<String>,
    /// Last exposure on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Last exposure on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// Contact's name, or the case's source id, contains.
    pub q: Option<String>,
    pub page: Option<u32>,
    /// Rows a page, 1..=200 (default 50).
    pub per_page: Option<u32>,
}

/// One contact of one case, masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactListRow {
    pub case_id: i64,
    pub case_source_id: String,
    pub case_jurisdiction: String,
    pub case_jurisdiction_name: String,
    pub person_id: i64,
    pub name: String,
    /// Masked, e.g. `430***********1234`.
    pub id_number: String,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    /// For a secondary contact: the close contact through whom they were exposed.
    pub via_person_id: Option<i64>,
    pub classification: String,
    pub rule_id: String,
    pub rule_text: String,
    pub profile: String,
    pub first_exposure: Option<NaiveDate>,
    pub last_exposure: Option<NaiveDate>,
    pub identified_at: DateTime<Utc>,
    /// When the contact was placed under control (`None`: not yet).
    pub controlled_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct Raw {
    case_id: i64,
    case_source_id: String,
    case_jurisdiction: String,
    case_jurisdiction_name: String,
    person_id: i64,
    name: String,
    id_number: String,
    phone: Option<String>,
    via_person_id: Option<i64>,
    classification: String,
    rule_id: String,
    rule_text: String,
    profile: String,
    first_exposure: Option<NaiveDate>,
    last_exposure: Option<NaiveDate>,
    identified_at: DateTime<Utc>,
    controlled_at: Option<DateTime<Utc>>,
}

impl Raw {
    fn masked(self) -> ContactListRow {
        ContactListRow {
            case_id: self.case_id,
            case_source_id: self.case_source_id,
            case_jurisdiction: self.case_jurisdiction,
            case_jurisdiction_name: self.case_jurisdiction_name,
            person_id: self.person_id,
            name: self.name,
            id_number: mask_id_number(&self.id_number),
            phone: self.phone.as_deref().map(mask_phone),
            via_person_id: self.via_person_id,
            classification: self.classification,
            rule_id: self.rule_id,
            rule_text: self.rule_text,
            profile: self.profile,
            first_exposure: self.first_exposure,
            last_exposure: self.last_exposure,
            identified_at: self.identified_at,
            controlled_at: self.controlled_at,
        }
    }
}

fn invalid(field: &'static str, m: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![DomainError::new(field, m)])
}

const CLASSES: [&str; 3] = ["close", "secondary", "other"];

async fn query(
    db: &Db,
    scope: &Scope,
    f: &ContactFilter,
    limit: Option<(i64, i64)>,
) -> Result<(Vec<ContactListRow>, i64), StoreError> {
    let like = super::filter_like(db, scope, f.jurisdiction.as_deref()).await?;
    let mut wh = String::from(" WHERE j.path LIKE $1");
    let mut texts: Vec<String> = vec![like];
    if let Some(c) = f.classification.as_deref().filter(|s| !s.is_empty()) {
        if !CLASSES.contains(&c) {
            return Err(invalid("classification", format!("\"{c}\": close, secondary or other")));
        }
        texts.push(c.into());
        wh.push_str(&format!(" AND k.classification = ${}", texts.len()));
    }
    match f.control.as_deref().unwrap_or("") {
        "" => {}
        "controlled" => wh.push_str(" AND k.controlled_at IS NOT NULL"),
        "open" => wh.push_str(" AND k.controlled_at IS NULL"),
        s => return Err(invalid("control", format!("\"{s}\": controlled or open"))),
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        crate::domain::check_len("q", q, 50).map_err(|e| StoreError::Invalid(vec![e]))?;
        texts.push(format!("%{}%", crate::db::like_escape(q)));
        let n = texts.len();
        wh.push_str(&format!(" AND (p.name LIKE ${n} ESCAPE '\\' OR c.source_id LIKE ${n} ESCAPE '\\')"));
    }
    let mut dates: Vec<NaiveDate> = Vec::new();
    for (field, v, op) in [("from", f.from.as_deref(), ">="), ("to", f.to.as_deref(), "<=")] {
        if let Some(s) = v.map(str::trim).filter(|s| !s.is_empty()) {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| invalid(field, format!("\"{s}\" is not a date (YYYY-MM-DD)")))?;
            dates.push(d);
            wh.push_str(&format!(" AND k.last_exposure {op} ${}", texts.len() + dates.len()));
        }
    }
    let from = " FROM contacts k JOIN cases c ON c.id = k.case_id JOIN jurisdictions j ON j.code = c.reporting_jurisdiction \
                JOIN people p ON p.id = k.person_id";
    let lim = match limit {
        Some((per, page)) => format!(" LIMIT {per} OFFSET {}", (page - 1) * per),
        None => " LIMIT 100000".into(),
    };
    let sql = format!(
        "SELECT k.case_id, c.source_id AS case_source_id, c.reporting_jurisdiction AS case_jurisdiction, j.name AS case_jurisdiction_name, \
         k.person_id, p.name, p.id_number, p.phone, k.via_person_id, k.classification, k.rule_id, k.rule_text, k.profile, \
         k.first_exposure, k.last_exposure, k.identified_at, k.controlled_at{from}{wh} \
         ORDER BY k.last_exposure DESC, k.case_id, k.person_id{lim}"
    );
    let count = format!("SELECT COUNT(*){from}{wh}");
    let (rows, total) = db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, Raw>(sqlx::AssertSqlSafe(sql));
        let mut c = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count));
        for t in &texts { q = q.bind(t.clone()); c = c.bind(t.clone()); }
        for d in &dates { q = q.bind(*d); c = c.bind(*d); }
        (q.fetch_all(pool).await?, c.fetch_one(pool).await?)
    });
    Ok((rows.into_iter().map(Raw::masked).collect(), total))
}

/// One page of the contact list inside `scope`; the read is recorded.
pub async fn list(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    f: &ContactFilter,
) -> Result<(Vec<ContactListRow>, i64), StoreError> {
    let per = i64::from(f.per_page.unwrap_or(50).clamp(1, 200));
    let page = i64::from(f.page.unwrap_or(1).max(1));
    let (rows, total) = query(db, scope, f, Some((per, page))).await?;
    let ev = AuditEvent::new(actor, "list", "contact")
        .jurisdiction(f.jurisdiction.clone().unwrap_or_else(|| scope.code.clone()))
        .detail(serde_json::json!({"filter": f, "rows": rows.len(), "total": total}));
    audit::record(db, ev).await?;
    Ok((rows, total))
}

/// Every contact matching `f` (at most 100,000), masked; recorded as `export`.
pub async fn export(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    f: &ContactFilter,
) -> Result<Vec<ContactListRow>, StoreError> {
    let (rows, total) = query(db, scope, f, None).await?;
    let ev = AuditEvent::new(actor, "export", "contact")
        .jurisdiction(f.jurisdiction.clone().unwrap_or_else(|| scope.code.clone()))
        .detail(serde_json::json!({"filter": f, "rows": rows.len(), "total": total, "format": "csv", "masked": true}));
    audit::record(db, ev).await?;
    Ok(rows)
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_list))
}

pub fn pages() -> Router<AppState> {
    Router::new().route("/contacts", get(list_page)).route("/contacts/export.csv", get(export_csv))
}

/// A page of the contact list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactPage {
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<ContactListRow>,
}

async fn refused(st: &AppState, user: &CurrentUser, e: StoreError, op: &str) -> ApiError {
    crate::web::error::denied_filter(st, user, "contact", e, op).await
}

/// The contacts of the cases inside the user's jurisdiction (masked): classification with the
/// rule, first/last exposure, control status. Filter and page; the read is audited.
#[utoipa::path(get, path = "/contacts", tag = "tracing", params(ContactFilter),
    responses((status = 200, body = ContactPage), (status = 403), (status = 422)))]
async fn api_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<ContactFilter>,
) -> Result<Json<ContactPage>, ApiError> {
    let (items, total) = match list(&st.db, &user.scope, &user.actor(), &f).await {
        Ok(r) => r,
        Err(e) => return Err(refused(&st, &user, e, "list").await),
    };
    Ok(Json(ContactPage {
        total,
        page: f.page.unwrap_or(1).max(1),
        per_page: f.per_page.unwrap_or(50).clamp(1, 200),
        items,
    }))
}

#[derive(Template)]
#[template(path = "tracing/contacts.html")]
struct ListPage {
    page: PageCtx,
    f: ContactFilter,
    rows: Vec<ContactListRow>,
    total: i64,
    pageno: u32,
    pages: i64,
    qs_prev: String,
    qs_next: String,
    qs_export: String,
    has_next: bool,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, x: &str) -> bool {
        v.as_deref() == Some(x)
    }
    fn date(&self, d: &Option<NaiveDate>) -> String {
        d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
    }
}

fn qs(f: &ContactFilter, page: Option<u32>) -> String {
    let mut g = f.clone();
    g.page = page;
    g.per_page = None;
    serde_urlencoded::to_string(&g).unwrap_or_default()
}

fn page_error(page: PageCtx, e: StoreError) -> Result<Response, ApiError> {
    match e {
        StoreError::Forbidden(m) => Ok(user_message(page, StatusCode::FORBIDDEN, "403", &m)),
        StoreError::Invalid(errs) => {
            let m = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            Ok(user_message(page, StatusCode::UNPROCESSABLE_ENTITY, "422", &m))
        }
        e => Err(e.into()),
    }
}

async fn list_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(f): Query<ContactFilter>,
) -> Result<Response, ApiError> {
    let page = PageCtx::new(&headers, "contacts", Some(&user), &st.cfg);
    let (rows, total) = match list(&st.db, &user.scope, &user.actor(), &f).await {
        Ok(r) => r,
        Err(e) => {
            if let StoreError::Forbidden(m) = &e {
                let _ = refused(&st, &user, StoreError::Forbidden(m.clone()), "list").await;
            }
            return page_error(page, e);
        }
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
        rows,
        total,
        pageno,
        pages,
        f,
    }))
}

/// CSV (UTF-8 with BOM for Excel), masked, headers in the user's language; audited.
async fn export_csv(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(f): Query<ContactFilter>,
) -> Result<Response, ApiError> {
    if !user.role.can_export() {
        let ev = AuditEvent::new(&user.actor(), "denied", "contact")
            .detail(serde_json::json!({"op": "export", "reason": "role", "role": user.role.as_str()}));
        audit::record(&st.db, ev).await?;
        return Err(ApiError::forbidden("your role may not export contacts"));
    }
    let rows = match export(&st.db, &user.scope, &user.actor(), &f).await {
        Ok(r) => r,
        Err(e) => return Err(refused(&st, &user, e, "export").await),
    };
    let tr = Tr(crate::web::i18n::Lang::from_headers(&headers));
    let tz = st.cfg.display_tz;
    let head: Vec<&str> = [
        "person",
        "id_number",
        "phone",
        "case",
        "reporting_jurisdiction",
        "classification",
        "rule",
        "first_exposure",
        "last_exposure",
        "controlled_at",
    ]
    .iter()
    .map(|k| tr.t(k))
    .collect();
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record(&head).map_err(ApiError::internal)?;
    let opt = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for r in &rows {
        w.write_record([
            r.name.clone(),
            r.id_number.clone(),
            r.phone.clone().unwrap_or_default(),
            r.case_source_id.clone(),
            r.case_jurisdiction_name.clone(),
            tr.t(&format!("ct_{}", r.classification)).to_string(),
            format!("{} {}", r.rule_id, r.rule_text),
            opt(r.first_exposure),
            opt(r.last_exposure),
            r.controlled_at.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
        ])
        .map_err(ApiError::internal)?;
    }
    let bytes = w.into_inner().map_err(ApiError::internal)?;
    let stamp = Utc::now().with_timezone(&tz).format("%Y%m%d-%H%M");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"contacts-{stamp}.csv\"")),
        ],
        bytes,
    )
        .into_response())
}
