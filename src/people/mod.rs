//! People registry (人员): one record per person, keyed by identity document.
//!
//! Every function here takes the caller's [`Scope`] and only ever touches people registered in a
//! jurisdiction inside it: scoping is enforced in these queries, not in templates or handlers.
//! Every read, change, export and unmasking is appended to the audit trail in the same call.

pub mod http;

use crate::audit::{self, Actor, AuditEvent};
use crate::db::{BeginWrite, Db, is_unique_violation, like_escape};
use crate::domain::{DomainError, IdDocument, IdType, Phone, Sex, check_len, check_text, mask_id_number, mask_phone};
use crate::jurisdictions::{self, Scope};
use crate::{audit_append, db_run};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A stored person, unmasked. Never serialised as is: see [`PersonView`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub sex: String,
    pub birth_date: Option<NaiveDate>,
    pub id_type: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A person as shown on screen and in API answers: identity number and phone masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub sex: String,
    pub birth_date: Option<NaiveDate>,
    pub id_type: String,
    /// Masked, e.g. `430***********1234`.
    pub id_number: String,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    pub address: Option<String>,
    pub jurisdiction: String,
    pub jurisdiction_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Person {
    pub fn masked(&self) -> PersonView {
        PersonView {
            id: self.id,
            name: self.name.clone(),
            sex: self.sex.clone(),
            birth_date: self.birth_date,
            id_type: self.id_type.clone(),
            id_number: mask_id_number(&self.id_number),
            phone: self.phone.as_deref().map(mask_phone),
            address: self.address.clone(),
            jurisdiction: self.jurisdiction_code.clone(),
            jurisdiction_name: self.jurisdiction_name.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// Input for creating or editing a person (API JSON body or web form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PersonInput {
    pub name: String,
    /// `male`, `female` or `unknown` (男/女 accepted).
    #[serde(default)]
    pub sex: String,
    /// YYYY-MM-DD. For a resident ID it may be omitted: it is read from the number.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Document type; default `resident_id`.
    #[serde(default)]
    pub id_type: Option<String>,
    pub id_number: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// Code of the home jurisdiction (usually a village / community).
    pub jurisdiction: String,
}

/// A checked [`PersonInput`].
#[derive(Debug, Clone)]
pub struct ValidPerson {
    pub name: String,
    pub sex: Sex,
    pub birth_date: Option<NaiveDate>,
    pub doc: IdDocument,
    pub phone: Option<Phone>,
    pub address: Option<String>,
    pub jurisdiction: String,
}

impl PersonInput {
    /// Checks every field and returns all problems at once, each naming its field.
    pub fn validate(&self, today: NaiveDate) -> Result<ValidPerson, Vec<DomainError>> {
        let mut errs = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() {
            errs.push(DomainError::new("name", "is required"));
        } else if let Err(e) = check_len("name", &name, 50).and_then(|_| check_text("name", &name)) {
            errs.push(e);
        }
        let mut sex = Sex::parse(&self.sex).map_err(|e| errs.push(e)).unwrap_or(Sex::Unknown);
        let id_type = IdType::parse(self.id_type.as_deref().unwrap_or("")).map_err(|e| errs.push(e)).ok();
        let doc = id_type.and_then(|t| IdDocument::parse(t, &self.id_number).map_err(|e| errs.push(e)).ok());
        let mut birth_date = match self.birth_date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) if d > today => {
                    errs.push(DomainError::new("birth_date", format!("{s} is in the future")));
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    errs.push(DomainError::new("birth_date", format!("\"{s}\" is not a date (expected YYYY-MM-DD)")));
                    None
                }
            },
        };
        if let Some(rid) = doc.as_ref().and_then(|d| d.resident.as_ref()) {
            match birth_date {
                Some(b) if b != rid.birth_date() => errs.push(DomainError::new(
                    "birth_date",
                    format!("{b} does not match the birth date in the ID number ({})", rid.birth_date()),
                )),
                None => birth_date = Some(rid.birth_date()),
                _ => {}
            }
            match sex {
                Sex::Unknown => sex = rid.sex(),
                s if s != rid.sex() => errs.push(DomainError::new(
                    "sex",
                    format!("{} does not match the ID number, which says {}", s.as_str(), rid.sex().as_str()),
                )),
                _ => {}
            }
            if rid.birth_date() > today {
                errs.push(DomainError::new("id_number", "the birth date in the ID number is in the future"));
            }
        }
        let phone = match self.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(p) => Phone::parse(p).map_err(|e| errs.push(e)).ok(),
        };
        let address = self.address.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(a) = &address
            && let Err(e) = check_len("address", a, 200).and_then(|_| check_text("address", a))
        {
            errs.push(e);
        }
        let jurisdiction = self.jurisdiction.trim().to_string();
        if jurisdiction.is_empty() {
            errs.push(DomainError::new("jurisdiction", "is required"));
        }
        match (errs.is_empty(), doc) {
            (true, Some(doc)) => Ok(ValidPerson { name, sex, birth_date, doc, phone, address, jurisdiction }),
            _ => Err(errs),
        }
    }
}

/// Why a store call was refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{field}: {message}")]
    Conflict { field: &'static str, message: String },
    #[error("invalid input")]
    Invalid(Vec<DomainError>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

const SELECT: &str = "SELECT p.id, p.name, p.sex, p.birth_date, p.id_type, p.id_number, p.phone, p.address, \
    p.jurisdiction_code, j.name AS jurisdiction_name, p.created_at, p.updated_at, p.version \
    FROM people p JOIN jurisdictions j ON j.code = p.jurisdiction_code";

/// Registers a person. The same identity document never makes two people: a second one is a
/// [`StoreError::Conflict`] on `id_number`.
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, p: &ValidPerson) -> Result<i64, StoreError> {
    let jcode = match jurisdictions::in_scope(db, scope, &p.jurisdiction).await.map(|j| j.code) {
        Err(StoreError::Forbidden(m)) => {
            let ev = AuditEvent::new(actor, "denied", "person")
                .jurisdiction(&p.jurisdiction)
                .detail(serde_json::json!({"op": "create", "reason": m}));
            audit::record(db, ev).await?;
            return Err(StoreError::Forbidden(m));
        }
        r => r?,
    };
    let now = crate::db::now();
    // The body is an async block so that its `?` ends the block, not this function: a unique
    // violation must reach the `map_err` below (409), not escape as `StoreError::Db` (500).
    let res: Result<i64, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO people (name, sex, birth_date, id_type, id_number, phone, address, jurisdiction_code, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id")
            .bind(&p.name).bind(p.sex.as_str()).bind(p.birth_date).bind(p.doc.id_type.as_str()).bind(&p.doc.number)
            .bind(p.phone.as_ref().map(Phone::as_str)).bind(p.address.as_deref()).bind(&jcode).bind(now)
            .fetch_one(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "person").id(id).jurisdiction(&jcode);
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await);
    if let Err(e) = &res
        && is_unique_violation(e)
    {
        // Answering "already registered" tells the caller the number exists, possibly outside
        // their jurisdiction: the probe is recorded.
        let ev = AuditEvent::new(actor, "conflict", "person")
            .jurisdiction(&jcode)
            .detail(serde_json::json!({"op": "create", "id_number": mask_id_number(&p.doc.number)}));
        audit::record(db, ev).await?;
    }
    res.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict {
                field: "id_number",
                message: format!(
                    "a person with {} {} is already registered",
                    p.doc.id_type.as_str(),
                    mask_id_number(&p.doc.number)
                ),
            }
        } else {
            StoreError::Db(e)
        }
    })
}

/// Reads one person inside `scope` and records the read. A person outside the scope is
/// [`StoreError::NotFound`] (it is not revealed) and the attempt is recorded as `denied`.
pub async fn get(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<Person, StoreError> {
    let sql = format!("{SELECT} WHERE p.id = $1 AND j.path LIKE $2");
    let found: Option<Person> = db_run!(db, pool => sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql))
        .bind(id).bind(scope.like()).fetch_optional(pool).await)?;
    match found {
        Some(p) => {
            audit::record(db, AuditEvent::new(actor, "read", "person").id(id).jurisdiction(&p.jurisdiction_code))
                .await?;
            Ok(p)
        }
        None => {
            let exists: Option<String> = db_run!(db, pool => sqlx::query_scalar::<_, String>("SELECT jurisdiction_code FROM people WHERE id = $1")
                .bind(id).fetch_optional(pool).await)?;
            if let Some(j) = exists {
                let ev = AuditEvent::new(actor, "denied", "person")
                    .id(id)
                    .jurisdiction(j)
                    .detail(serde_json::json!({"op": "read", "reason": "outside the user's jurisdiction"}));
                audit::record(db, ev).await?;
            }
            Err(StoreError::NotFound)
        }
    }
}

/// Shows the full identity number and phone of one person: allowed only to roles that may
/// unmask (checked by the caller), with a reason, always recorded.
pub async fn unmask(db: &Db, scope: &Scope, actor: &Actor, id: i64, reason: &str) -> Result<Person, StoreError> {
    let reason = reason.trim();
    if reason.chars().count() < 4 {
        return Err(StoreError::Invalid(vec![DomainError::new(
            "reason",
            "say why you need the full numbers (at least 4 characters)",
        )]));
    }
    check_len("reason", reason, 500).map_err(|e| StoreError::Invalid(vec![e]))?;
    let p = get(db, scope, actor, id).await?;
    let ev = AuditEvent::new(actor, "unmask", "person")
        .id(id)
        .jurisdiction(&p.jurisdiction_code)
        .detail(serde_json::json!({"reason": reason, "fields": ["id_number", "phone"]}));
    audit::record(db, ev).await?;
    Ok(p)
}

/// Changes a person. `version` must be the version the user saw (optimistic locking): a record
/// changed meanwhile is a [`StoreError::Conflict`] and nothing is written.
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    p: &ValidPerson,
) -> Result<(), StoreError> {
    let old = get(db, scope, actor, id).await?;
    if let Some(v) = version
        && v != old.version
    {
        return Err(StoreError::Conflict {
            field: "version",
            message: "this record was changed by someone else meanwhile; reload it".into(),
        });
    }
    let jcode = match jurisdictions::in_scope(db, scope, &p.jurisdiction).await.map(|j| j.code) {
        Err(StoreError::Forbidden(m)) => {
            let ev = AuditEvent::new(actor, "denied", "person")
                .id(id)
                .jurisdiction(&p.jurisdiction)
                .detail(serde_json::json!({"op": "update", "reason": m}));
            audit::record(db, ev).await?;
            return Err(StoreError::Forbidden(m));
        }
        r => r?,
    };
    let mut changed: Vec<&str> = Vec::new();
    if old.name != p.name {
        changed.push("name");
    }
    if old.sex != p.sex.as_str() {
        changed.push("sex");
    }
    if old.birth_date != p.birth_date {
        changed.push("birth_date");
    }
    if old.id_type != p.doc.id_type.as_str() || old.id_number != p.doc.number {
        changed.push("id_number");
    }
    if old.phone.as_deref() != p.phone.as_ref().map(Phone::as_str) {
        changed.push("phone");
    }
    if old.address != p.address {
        changed.push("address");
    }
    if old.jurisdiction_code != jcode {
        changed.push("jurisdiction");
    }
    let now = crate::db::now();
    let res: Result<u64, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let n = sqlx::query(
            "UPDATE people SET name = $1, sex = $2, birth_date = $3, id_type = $4, id_number = $5, phone = $6, address = $7, \
             jurisdiction_code = $8, updated_at = $9, version = version + 1 WHERE id = $10 AND version = $11")
            .bind(&p.name).bind(p.sex.as_str()).bind(p.birth_date).bind(p.doc.id_type.as_str()).bind(&p.doc.number)
            .bind(p.phone.as_ref().map(Phone::as_str)).bind(p.address.as_deref()).bind(&jcode).bind(now).bind(id).bind(old.version)
            .execute(&mut *tx).await?.rows_affected();
        let ev = AuditEvent::new(actor, "update", "person").id(id).jurisdiction(&jcode)
            .detail(serde_json::json!({"fields": changed, "from_jurisdiction": old.jurisdiction_code}));
        audit_append!(tx, &ev);
        if n == 1 { tx.commit().await?; } else { tx.rollback().await?; }
        Ok::<_, sqlx::Error>(n)
    }.await);
    match res {
        Ok(1) => Ok(()),
        Ok(_) => Err(StoreError::Conflict {
            field: "version",
            message: "this record was changed by someone else meanwhile; reload it".into(),
        }),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict {
            field: "id_number",
            message: format!("another person with {} is already registered", mask_id_number(&p.doc.number)),
        }),
        Err(e) => Err(StoreError::Db(e)),
    }
}

/// List filter (API query string and web form).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
pub struct PeopleFilter {
    /// Only people registered in this jurisdiction's subtree (must lie inside the user's own).
    pub jurisdiction: Option<String>,
    /// Name contains, or a full identity number, or phone ends with.
    pub q: Option<String>,
    /// `male`, `female`, `unknown`.
    pub sex: Option<String>,
    /// Page from 1.
    pub page: Option<u32>,
    /// Rows a page, 1..=200 (default 50).
    pub per_page: Option<u32>,
}

impl PeopleFilter {
    /// The filter as written to the audit log: the search text is masked like an identity number
    /// when it holds digits (people search by ID number or phone), so the log never holds them.
    pub fn for_audit(&self) -> serde_json::Value {
        let q = self
            .q
            .as_deref()
            .map(|q| if q.chars().any(|c| c.is_ascii_digit()) { mask_id_number(q) } else { q.to_string() });
        serde_json::json!({"jurisdiction": self.jurisdiction, "q": q, "sex": self.sex, "page": self.page, "per_page": self.per_page})
    }
}

/// One page of people inside `scope` matching `f`, and the total count. The list read is recorded.
pub async fn list(db: &Db, scope: &Scope, actor: &Actor, f: &PeopleFilter) -> Result<(Vec<Person>, i64), StoreError> {
    let (rows, total) = query(db, scope, f, false).await?;
    let ev = AuditEvent::new(actor, "list", "person")
        .jurisdiction(f.jurisdiction.clone().unwrap_or_else(|| scope.code.clone()))
        .detail(serde_json::json!({"filter": f.for_audit(), "rows": rows.len(), "total": total}));
    audit::record(db, ev).await?;
    Ok((rows, total))
}

/// Every person inside `scope` matching `f` (at most 100,000), for an export; recorded as `export`.
pub async fn export(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    f: &PeopleFilter,
    format: &str,
) -> Result<Vec<Person>, StoreError> {
    let (rows, total) = query(db, scope, f, true).await?;
    let ev = AuditEvent::new(actor, "export", "person")
        .jurisdiction(f.jurisdiction.clone().unwrap_or_else(|| scope.code.clone()))
        .detail(serde_json::json!({"filter": f.for_audit(), "rows": rows.len(), "total": total, "format": format, "masked": true}));
    audit::record(db, ev).await?;
    Ok(rows)
}

async fn query(db: &Db, scope: &Scope, f: &PeopleFilter, all: bool) -> Result<(Vec<Person>, i64), StoreError> {
    // The scope always applies; a narrower jurisdiction filter must lie inside it.
    let mut like = scope.like();
    if let Some(code) = f.jurisdiction.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        match jurisdictions::get(db, code).await? {
            None => {
                return Err(StoreError::Invalid(vec![DomainError::new(
                    "jurisdiction",
                    format!("\"{code}\" is not a known jurisdiction code"),
                )]));
            }
            Some(j) if !scope.contains(&j) => {
                return Err(StoreError::Forbidden(format!(
                    "jurisdiction {code} ({}) is outside your jurisdiction",
                    j.name
                )));
            }
            Some(j) => like = format!("{}%", j.path),
        }
    }
    let mut wh = String::from(" WHERE j.path LIKE $1");
    let mut binds: Vec<String> = vec![like];
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        check_len("q", q, 50).map_err(|e| StoreError::Invalid(vec![e]))?;
        binds.push(format!("%{}%", like_escape(q)));
        binds.push(q.to_ascii_uppercase());
        binds.push(format!("%{}", like_escape(q)));
        wh.push_str(" AND (p.name LIKE $2 ESCAPE '\\' OR p.id_number = $3 OR (length($3) >= 4 AND p.phone LIKE $4 ESCAPE '\\'))");
    }
    if let Some(s) = f.sex.as_deref().filter(|s| !s.is_empty()) {
        let sex = Sex::parse(s).map_err(|e| StoreError::Invalid(vec![e]))?;
        binds.push(sex.as_str().to_string());
        wh.push_str(&format!(" AND p.sex = ${}", binds.len()));
    }
    let per_page = i64::from(f.per_page.unwrap_or(50).clamp(1, 200));
    let page = i64::from(f.page.unwrap_or(1).max(1));
    let limit =
        if all { "LIMIT 100000".to_string() } else { format!("LIMIT {per_page} OFFSET {}", (page - 1) * per_page) };
    let sql = format!("{SELECT}{wh} ORDER BY p.id DESC {limit}");
    let sql_count = format!("SELECT COUNT(*) FROM people p JOIN jurisdictions j ON j.code = p.jurisdiction_code{wh}");
    let out = db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql));
        let mut c = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql_count));
        for b in &binds {
            q = q.bind(b.clone());
            c = c.bind(b.clone());
        }
        (q.fetch_all(pool).await?, c.fetch_one(pool).await?)
    });
    Ok(out)
}

/// Number of people registered inside `scope`.
pub async fn count(db: &Db, scope: &Scope) -> Result<i64, sqlx::Error> {
    db_run!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM people p JOIN jurisdictions j ON j.code = p.jurisdiction_code WHERE j.path LIKE $1")
        .bind(scope.like()).fetch_one(pool).await)
}
