//! Jurisdictions (辖区): the tree of admin units (city → county/district → township/street →
//! village/community) with their official codes, and the scope every user works in.
//!
//! Each node stores its materialised `path` (`/430400/430482/430482203/`), so "inside the subtree
//! of X" is one indexed prefix comparison, used by every scoped query in the store layer.

pub mod http;
pub mod import;

use crate::db::Db;
use crate::db_run;
use serde::Serialize;

/// Level of an admin unit.
pub const LEVELS: [&str; 6] = ["province", "city", "county", "township", "village", "other"];

/// One admin unit.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Jurisdiction {
    /// GB/T 2260 (6 digits), township (9) or village (12) code.
    pub code: String,
    pub name: String,
    /// `province`, `city`, `county`, `township`, `village` or `other`.
    pub level: String,
    pub parent_code: Option<String>,
    /// Materialised path of codes from the root, e.g. `/430400/430482/`.
    #[serde(skip)]
    pub path: String,
    /// 12-digit statistical code (统计用区划代码).
    pub stat_code: String,
    /// IANA time zone in which this unit's times are shown.
    pub tz: String,
}

/// The subtree a user may see and change: every store query on scoped data takes one.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Root code of the subtree.
    pub code: String,
    /// Materialised path of the root; a record is inside when its jurisdiction's path starts with it.
    pub path: String,
}

impl Scope {
    /// `LIKE` pattern matching every path inside the scope.
    pub fn like(&self) -> String {
        format!("{}%", self.path)
    }
    pub fn contains(&self, j: &Jurisdiction) -> bool {
        j.path.starts_with(&self.path)
    }
}

/// Finds a unit by its code or its 12-digit statistical code.
pub async fn get(db: &Db, code: &str) -> Result<Option<Jurisdiction>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, Jurisdiction>("SELECT * FROM jurisdictions WHERE code = $1 OR stat_code = $1")
        .bind(code).fetch_optional(p).await)
}

/// Children of a unit, ordered by code.
pub async fn children(db: &Db, code: &str) -> Result<Vec<Jurisdiction>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, Jurisdiction>("SELECT * FROM jurisdictions WHERE parent_code = $1 ORDER BY code")
        .bind(code).fetch_all(p).await)
}

/// Roots of the tree (units without a parent).
pub async fn roots(db: &Db) -> Result<Vec<Jurisdiction>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, Jurisdiction>("SELECT * FROM jurisdictions WHERE parent_code IS NULL ORDER BY code")
        .fetch_all(p).await)
}

/// The unit and its ancestors, root first.
pub async fn ancestors(db: &Db, j: &Jurisdiction) -> Result<Vec<Jurisdiction>, sqlx::Error> {
    let codes: Vec<String> = j.path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let mut out = Vec::with_capacity(codes.len());
    for c in codes {
        if let Some(a) = get(db, &c).await? {
            out.push(a);
        }
    }
    Ok(out)
}

/// Units whose name contains `q` or whose code starts with `q`, shallow levels first, at most 50.
pub async fn search(db: &Db, q: &str) -> Result<Vec<Jurisdiction>, sqlx::Error> {
    let esc = crate::db::like_escape(q.trim());
    let contains = format!("%{esc}%");
    let prefix = format!("{esc}%");
    db_run!(db, p => sqlx::query_as::<_, Jurisdiction>(
        "SELECT * FROM jurisdictions WHERE name LIKE $1 ESCAPE '\\' OR code LIKE $2 ESCAPE '\\' OR stat_code LIKE $2 ESCAPE '\\' \
         ORDER BY length(path), code LIMIT 50")
        .bind(contains).bind(prefix).fetch_all(p).await)
}

/// Number of units per level.
pub async fn count_by_level(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, (String, i64)>("SELECT level, COUNT(*) FROM jurisdictions GROUP BY level ORDER BY COUNT(*)")
        .fetch_all(p).await)
}

/// The scope rooted at `code`, or `None` when the code is unknown.
pub async fn scope_of(db: &Db, code: &str) -> Result<Option<Scope>, sqlx::Error> {
    Ok(get(db, code).await?.map(|j| Scope { code: j.code, path: j.path }))
}

/// The unit `code` (code or statistical code), refused unless it lies inside `scope`: an unknown
/// code is [`StoreError::Invalid`] on the field `jurisdiction`, one outside the scope
/// [`StoreError::Forbidden`]. Every slice that places a record in a jurisdiction checks it here.
pub async fn in_scope(db: &Db, scope: &Scope, code: &str) -> Result<Jurisdiction, crate::people::StoreError> {
    use crate::people::StoreError;
    let code = code.trim();
    match get(db, code).await? {
        None => Err(StoreError::Invalid(vec![crate::domain::DomainError::new(
            "jurisdiction",
            format!("\"{code}\" is not a known jurisdiction code"),
        )])),
        Some(j) if !scope.contains(&j) => {
            Err(StoreError::Forbidden(format!("jurisdiction {code} ({}) is outside your jurisdiction", j.name)))
        }
        Some(j) => Ok(j),
    }
}
