//! Users, roles, passwords and sessions.
//!
//! Passwords are hashed with Argon2id (RFC 9106; the `argon2` crate's default parameters
//! m = 19 MiB, t = 2, p = 1) on a blocking thread. A session is a random 256-bit token: the
//! browser holds it in an HttpOnly, SameSite=Strict cookie, API clients send it as
//! `Authorization: Bearer`; the database stores only its SHA-256.

pub mod http;
pub mod session;

use crate::audit::{Actor, AuditEvent};
use crate::db::{BeginWrite, Db, is_unique_violation};
use crate::domain::{DomainError, check_len};
use crate::jurisdictions::{self, Scope};
use crate::{audit_append, db_run};
use anyhow::Context;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Roles from DESIGN.md. What each may do is in the `can_*` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理员: users, roles, jurisdictions, everything in the subtree.
    Admin,
    /// 指挥长: dashboards, reads, exports.
    Commander,
    /// 流调员: people, cases, contacts; may unmask with a reason.
    Investigator,
    /// 一线工作人员 (checkpoint, village, quarantine): registers and edits people.
    FieldWorker,
    /// 值班员: reads.
    DutyOfficer,
    /// 审计员: read-only, and the audit log.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Admin, Role::Commander, Role::Investigator, Role::FieldWorker, Role::DutyOfficer, Role::Auditor];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Commander => "commander",
            Role::Investigator => "investigator",
            Role::FieldWorker => "field_worker",
            Role::DutyOfficer => "duty_officer",
            Role::Auditor => "auditor",
        }
    }
    pub fn parse(s: &str) -> Result<Role, DomainError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim()).ok_or_else(|| {
            DomainError::new(
                "role",
                format!("\"{s}\" is not a role; roles: {}", Role::ALL.map(Role::as_str).join(", ")),
            )
        })
    }
    pub fn can_read_people(self) -> bool {
        true
    }
    pub fn can_write_people(self) -> bool {
        matches!(self, Role::Admin | Role::Investigator | Role::FieldWorker)
    }
    /// May see full identity and phone numbers (with a reason, audited).
    pub fn can_unmask(self) -> bool {
        matches!(self, Role::Admin | Role::Investigator)
    }
    /// Cases, exposures, imports of line lists, reclassification (investigation desk).
    pub fn can_investigate(self) -> bool {
        matches!(self, Role::Admin | Role::Investigator)
    }
    pub fn can_export(self) -> bool {
        matches!(self, Role::Admin | Role::Commander | Role::Investigator)
    }
    /// Search the location trace store for companions of cases (时空伴随).
    pub fn can_search_traces(self) -> bool {
        matches!(self, Role::Admin | Role::Investigator)
    }
    pub fn can_manage_users(self) -> bool {
        matches!(self, Role::Admin)
    }
    pub fn can_read_audit(self) -> bool {
        matches!(self, Role::Admin | Role::Auditor)
    }
    /// May read the situation analytics (aggregate counts, R_t, serial interval) of their subtree.
    pub fn can_read_analytics(self) -> bool {
        true
    }
    /// May import daily reported counts (epidemiologists, the duty desk that receives reports).
    pub fn can_import_counts(self) -> bool {
        matches!(self, Role::Admin | Role::Investigator | Role::DutyOfficer)
    }
    /// May add weather stations, import observations and assign stations to units (fire data).
    pub fn can_write_fire(self) -> bool {
        matches!(self, Role::Admin | Role::Commander | Role::DutyOfficer)
    }
    /// May add danger profiles and choose the active one.
    pub fn can_manage_fire_profiles(self) -> bool {
        matches!(self, Role::Admin)
    }
    /// May register and edit quarantine facilities, add rooms and staff (the headquarters).
    pub fn can_manage_facilities(self) -> bool {
        matches!(self, Role::Admin | Role::Commander)
    }
    /// May change a room's status by hand (cleaning → free, out of service): facility staff.
    pub fn can_set_room_status(self) -> bool {
        matches!(self, Role::Admin | Role::Commander | Role::FieldWorker)
    }
    /// Sees the names of people in rooms and on transfer tasks (others see `王**`).
    pub fn can_see_occupant_names(self) -> bool {
        matches!(self, Role::Admin | Role::Commander | Role::Investigator | Role::FieldWorker)
    }
    /// May create transfer tasks and move them along (transfer team, investigators).
    pub fn can_run_transfers(self) -> bool {
        matches!(self, Role::Admin | Role::Commander | Role::Investigator | Role::FieldWorker)
    }
    /// May record, assign and fulfil supply requests of people under control.
    pub fn can_handle_supplies(self) -> bool {
        matches!(self, Role::Admin | Role::Commander | Role::FieldWorker | Role::DutyOfficer)
    }
    /// May place people under control, check them in, record health checks, samples and results
    /// and release them on schedule (quarantine staff, village workers, investigators).
    pub fn can_manage_stays(self) -> bool {
        matches!(self, Role::Admin | Role::Investigator | Role::FieldWorker)
    }
    /// May release someone before the end of a measure or without the negative result the
    /// release condition asks for, with a reason (persons in charge: 指挥长, administrator).
    pub fn can_override_release(self) -> bool {
        matches!(self, Role::Admin | Role::Commander)
    }
    /// May recompute every open schedule after a profile change (after a preview).
    pub fn can_recompute_schedules(self) -> bool {
        matches!(self, Role::Admin)
    }
}

/// A stored user (the hash never leaves this module's callers' hands through `Serialize`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub jurisdiction_code: String,
    pub password_hash: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user as listed for administrators and the API.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// Minimum password length (characters).
pub const MIN_PASSWORD: usize = 10;

pub fn check_password_strength(pw: &str) -> Result<(), DomainError> {
    if pw.chars().count() < MIN_PASSWORD {
        return Err(DomainError::new("password", format!("must be at least {MIN_PASSWORD} characters")));
    }
    check_len("password", pw, 200)
}

pub fn check_username(u: &str) -> Result<(), DomainError> {
    let ok =
        (3..=40).contains(&u.len()) && u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::new("username", format!("\"{u}\": 3–40 letters, digits, '_', '-' or '.'")))
    }
}

/// Argon2id hash of `pw` (PHC string), computed on a blocking thread.
pub async fn hash_password(pw: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// Checks `pw` against a stored PHC hash on a blocking thread.
pub async fn verify_password(pw: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password nobody knows, used to spend the same time on unknown usernames.
pub async fn dummy_verify(pw: String) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let h = match DUMMY.get() {
        Some(h) => h.clone(),
        None => {
            let h = hash_password(session::random_token()).await.unwrap_or_default();
            DUMMY.get_or_init(|| h).clone()
        }
    };
    let _ = verify_password(pw, h).await;
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<User>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, User>("SELECT * FROM users WHERE username = $1").bind(username).fetch_optional(p).await)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<User>, sqlx::Error> {
    db_run!(db, p => sqlx::query_as::<_, User>("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(p).await)
}

/// A new user's fields.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub role: String,
    pub jurisdiction: String,
    pub password: String,
}

/// Why a user could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("invalid input")]
    Invalid(Vec<DomainError>),
    #[error("{0}")]
    Forbidden(String),
    #[error("username: \"{0}\" is taken")]
    Taken(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for UserError {
    fn from(e: sqlx::Error) -> Self {
        UserError::Other(e.into())
    }
}

/// Creates a user inside `scope` (the creating administrator's subtree; the CLI passes the root).
pub async fn create(db: &Db, scope: Option<&Scope>, actor: &Actor, u: &NewUser) -> Result<i64, UserError> {
    let mut errs = Vec::new();
    let username = u.username.trim().to_string();
    if let Err(e) = check_username(&username) {
        errs.push(e);
    }
    let role = Role::parse(&u.role).map_err(|e| errs.push(e)).ok();
    if let Err(e) = check_password_strength(&u.password) {
        errs.push(e);
    }
    let display = if u.display_name.trim().is_empty() { username.clone() } else { u.display_name.trim().to_string() };
    if let Err(e) = check_len("display_name", &display, 50) {
        errs.push(e);
    }
    let j = jurisdictions::get(db, u.jurisdiction.trim()).await?;
    match &j {
        None => errs
            .push(DomainError::new("jurisdiction", format!("\"{}\" is not a known jurisdiction code", u.jurisdiction))),
        Some(j) => {
            if let Some(s) = scope
                && !s.contains(j)
            {
                return Err(UserError::Forbidden(format!("jurisdiction {} is outside your jurisdiction", j.code)));
            }
        }
    }
    let (Some(role), Some(j), true) = (role, j, errs.is_empty()) else {
        return Err(UserError::Invalid(errs));
    };
    let hash = hash_password(u.password.clone()).await?;
    let now = crate::db::now();
    // An async block, so that `?` inside ends the block and a unique violation reaches the
    // `map_err` below (`Taken`), instead of returning early as `UserError::Other`.
    let res: Result<i64, sqlx::Error> = db_run!(db, p => async {
        let mut tx = p.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, jurisdiction_code, password_hash, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id")
            .bind(&username).bind(&display).bind(role.as_str()).bind(&j.code).bind(&hash).bind(true).bind(now)
            .fetch_one(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "user").id(id).jurisdiction(&j.code)
            .detail(serde_json::json!({"username": username, "role": role.as_str()}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await);
    res.map_err(|e| if is_unique_violation(&e) { UserError::Taken(username.clone()) } else { e.into() })
}

/// Sets a user's password and ends all their sessions.
pub async fn set_password(db: &Db, actor: &Actor, user_id: i64, pw: &str) -> Result<(), UserError> {
    check_password_strength(pw).map_err(|e| UserError::Invalid(vec![e]))?;
    let hash = hash_password(pw.to_string()).await?;
    let now = crate::db::now();
    db_run!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3").bind(&hash).bind(now).bind(user_id)
            .execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "password_change", "user").id(user_id);
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

/// Activates or deactivates a user inside `scope`; deactivation ends their sessions.
pub async fn set_active(db: &Db, scope: &Scope, actor: &Actor, user_id: i64, active: bool) -> Result<(), UserError> {
    let u = by_id(db, user_id).await?.ok_or_else(|| UserError::Forbidden("no such user".into()))?;
    let j = jurisdictions::get(db, &u.jurisdiction_code).await?;
    if !j.as_ref().is_some_and(|j| scope.contains(j)) {
        return Err(UserError::Forbidden("user is outside your jurisdiction".into()));
    }
    db_run!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3").bind(active).bind(crate::db::now()).bind(user_id)
            .execute(&mut *tx).await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        }
        let ev = AuditEvent::new(actor, if active { "activate" } else { "deactivate" }, "user").id(user_id);
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

/// Users inside `scope` (all users when `None`), by username.
pub async fn list(db: &Db, scope: Option<&Scope>) -> Result<Vec<UserView>, sqlx::Error> {
    let like = scope.map(Scope::like).unwrap_or_else(|| "%".into());
    db_run!(db, p => sqlx::query_as::<_, UserView>(
        "SELECT u.id, u.username, u.display_name, u.role, u.jurisdiction_code, j.name AS jurisdiction_name, u.active, u.created_at \
         FROM users u JOIN jurisdictions j ON j.code = u.jurisdiction_code WHERE j.path LIKE $1 ORDER BY u.username")
        .bind(like).fetch_all(p).await)
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    db_run!(db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(p).await)
}
