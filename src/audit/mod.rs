//! The audit trail: an append-only, hash-chained log of every read of a person's data, every
//! change, every export and every unmasking.
//!
//! Each entry stores `prev_hash` (the previous entry's hash, or [`GENESIS`]) and
//! `hash = HMAC-SHA-256(key, prev_hash ‖ at ‖ user_id ‖ username ‖ ip ‖ action ‖ entity ‖
//! entity_id ‖ jurisdiction ‖ detail)`, each field length-prefixed (RFC 2104 HMAC). The key lives
//! outside the database (a file, see [`set_key`]), so someone who can write the database but not
//! read the key cannot recompute a consistent chain after an edit. Without a key the hash is a
//! plain SHA-256 (tamper-evident only against edits that do not recompute the chain). Editing or deleting an entry breaks the
//! chain at that point; [`verify`] walks it and names the first bad entry. The database also
//! refuses UPDATE and DELETE on the table (triggers), and `prev_hash` is UNIQUE so a fork of the
//! chain cannot be written.

pub mod http;

use crate::db::Db;
use crate::db_run;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

static KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

/// Sets the process-wide audit key (once, at start). Returns `false` when a key was already set.
pub fn set_key(key: Vec<u8>) -> bool {
    KEY.set(key).is_ok()
}

/// Whether entries are keyed (HMAC) in this process.
pub fn keyed() -> bool {
    KEY.get().is_some()
}

/// Reads a key file (hex or raw bytes, at least 16 bytes), or creates one with 32 random bytes
/// (mode 0600) when `create` is set and it does not exist.
pub fn load_key_file(path: &std::path::Path, create: bool) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    if !path.exists() && create {
        let key = hex::encode(crate::auth::session::random_token().as_bytes());
        std::fs::write(path, &key).with_context(|| format!("writing the audit key {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    let raw = std::fs::read(path).with_context(|| format!("reading the audit key {}", path.display()))?;
    let text = String::from_utf8_lossy(&raw).trim().to_string();
    let key = hex::decode(&text).unwrap_or(raw);
    anyhow::ensure!(key.len() >= 16, "the audit key {} is shorter than 16 bytes", path.display());
    Ok(key)
}

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something: a logged-in user, or the CLI.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: Option<String>,
}

impl Actor {
    /// The command line, as the operating-system user running it.
    pub fn cli() -> Self {
        let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Actor { user_id: None, username: format!("cli:{who}"), ip: None }
    }
    pub fn system() -> Self {
        Actor { user_id: None, username: "system".into(), ip: None }
    }
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: Actor,
    /// `read`, `create`, `update`, `delete`, `export`, `unmask`, `denied`, `login`, `login_failed`,
    /// `logout`, `import`, `password_change`, …
    pub action: &'static str,
    /// `person`, `user`, `jurisdiction`, `people_list`, `session`, …
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub jurisdiction: Option<String>,
    /// Free JSON: changed fields (names only, never values of identity numbers), the reason of an
    /// unmasking, filter of an export, why access was denied.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(actor: &Actor, action: &'static str, entity: &'static str) -> Self {
        AuditEvent {
            actor: actor.clone(),
            action,
            entity,
            entity_id: None,
            jurisdiction: None,
            detail: serde_json::Value::Null,
        }
    }
    pub fn id(mut self, id: impl ToString) -> Self {
        self.entity_id = Some(id.to_string());
        self
    }
    pub fn jurisdiction(mut self, code: impl ToString) -> Self {
        self.jurisdiction = Some(code.to_string());
        self
    }
    pub fn detail(mut self, d: serde_json::Value) -> Self {
        self.detail = d;
        self
    }
}

/// One stored entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub jurisdiction_code: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The chained hash of an entry's content (see the module doc).
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev: &str,
    at: DateTime<Utc>,
    user_id: Option<i64>,
    username: &str,
    ip: Option<&str>,
    action: &str,
    entity: &str,
    entity_id: Option<&str>,
    jurisdiction: Option<&str>,
    detail: &str,
) -> String {
    let mut msg: Vec<u8> = Vec::with_capacity(256 + detail.len());
    let mut field = |s: &str| {
        msg.extend_from_slice(&(s.len() as u64).to_le_bytes());
        msg.extend_from_slice(s.as_bytes());
    };
    field(prev);
    field(&at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
    field(&user_id.map(|u| u.to_string()).unwrap_or_default());
    field(username);
    field(ip.unwrap_or(""));
    field(action);
    field(entity);
    field(entity_id.unwrap_or("\u{0}"));
    field(jurisdiction.unwrap_or("\u{0}"));
    field(detail);
    match KEY.get() {
        Some(key) => {
            use hmac::Mac;
            let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
                return hex::encode(Sha256::digest(&msg));
            };
            mac.update(&msg);
            hex::encode(mac.finalize().into_bytes())
        }
        None => hex::encode(Sha256::digest(&msg)),
    }
}

/// Appends `$ev` (`&AuditEvent`) to the chain inside the open write transaction `$tx`.
/// Expands to code that uses `?` on `sqlx::Error`.
#[macro_export]
macro_rules! audit_append {
    ($tx:ident, $ev:expr) => {{
        let ev: &$crate::audit::AuditEvent = $ev;
        sqlx::query($crate::db::audit_lock_sql(&$tx)).execute(&mut *$tx).await?;
        let prev: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *$tx).await?;
        let prev = prev.unwrap_or_else(|| $crate::audit::GENESIS.to_string());
        let at = $crate::db::now();
        let detail = ev.detail.to_string();
        let hash = $crate::audit::entry_hash(
            &prev,
            at,
            ev.actor.user_id,
            &ev.actor.username,
            ev.actor.ip.as_deref(),
            ev.action,
            ev.entity,
            ev.entity_id.as_deref(),
            ev.jurisdiction.as_deref(),
            &detail,
        );
        sqlx::query(
            "INSERT INTO audit_log (at, user_id, username, ip, action, entity, entity_id, jurisdiction_code, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(at)
        .bind(ev.actor.user_id)
        .bind(&ev.actor.username)
        .bind(ev.actor.ip.as_deref())
        .bind(ev.action)
        .bind(ev.entity)
        .bind(ev.entity_id.as_deref())
        .bind(ev.jurisdiction.as_deref())
        .bind(&detail)
        .bind(&prev)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Appends one event in its own transaction (for reads, exports, denials, logins).
pub async fn record(db: &Db, ev: AuditEvent) -> Result<(), sqlx::Error> {
    use crate::db::BeginWrite;
    db_run!(db, p => {
        let mut tx = p.begin_write().await?;
        audit_append!(tx, &ev);
        tx.commit().await
    })
}

/// Filter for browsing the log.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct AuditFilter {
    /// Username (exact).
    pub username: Option<String>,
    /// Action (exact), e.g. `unmask`.
    pub action: Option<String>,
    /// Entity kind (exact), e.g. `person`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// From this date (inclusive, YYYY-MM-DD, UTC).
    pub from: Option<chrono::NaiveDate>,
    /// Up to this date (inclusive, YYYY-MM-DD, UTC).
    pub to: Option<chrono::NaiveDate>,
    /// Page number from 1; 50 entries a page, newest first.
    pub page: Option<u32>,
}

pub const PAGE_SIZE: i64 = 50;

/// Entries matching `f`, newest first, and the total count.
pub async fn list(db: &Db, f: &AuditFilter) -> Result<(Vec<AuditEntry>, i64), sqlx::Error> {
    let mut wh = String::from(" WHERE 1=1");
    let mut args: Vec<String> = Vec::new();
    let mut add = |col: &str, v: &Option<String>, wh: &mut String| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            args.push(v.clone());
            wh.push_str(&format!(" AND {col} = ${}", args.len()));
        }
    };
    add("username", &f.username, &mut wh);
    add("action", &f.action, &mut wh);
    add("entity", &f.entity, &mut wh);
    add("entity_id", &f.entity_id, &mut wh);
    let from = f.from.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc());
    let to = f.to.and_then(|d| d.succ_opt()).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc());
    let n = args.len();
    if from.is_some() {
        wh.push_str(&format!(" AND at >= ${}", n + 1));
    }
    if to.is_some() {
        wh.push_str(&format!(" AND at < ${}", n + 1 + usize::from(from.is_some())));
    }
    let page = i64::from(f.page.unwrap_or(1).max(1));
    let sql_rows =
        format!("SELECT * FROM audit_log{wh} ORDER BY seq DESC LIMIT {PAGE_SIZE} OFFSET {}", (page - 1) * PAGE_SIZE);
    let sql_count = format!("SELECT COUNT(*) FROM audit_log{wh}");
    db_run!(db, p => {
        let mut q = sqlx::query_as::<_, AuditEntry>(sqlx::AssertSqlSafe(sql_rows));
        let mut c = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql_count));
        for a in &args {
            q = q.bind(a.clone());
            c = c.bind(a.clone());
        }
        if let Some(t) = from { q = q.bind(t); c = c.bind(t); }
        if let Some(t) = to { q = q.bind(t); c = c.bind(t); }
        Ok((q.fetch_all(p).await?, c.fetch_one(p).await?))
    })
}

/// Result of walking the chain.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub entries: u64,
    /// The chain is intact and the append-only triggers are in place.
    pub ok: bool,
    /// The UPDATE/DELETE-refusing triggers exist (their absence means someone removed them).
    pub triggers_ok: bool,
    /// The chain was checked with the HMAC key.
    pub keyed: bool,
    /// The first entry whose stored hash or link does not match, with what is wrong.
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}

/// Walks the whole chain in `seq` order (streaming, constant memory) and reports the first
/// entry whose content no longer matches its hash, or whose `prev_hash` is not the previous
/// entry's hash (an entry was deleted or inserted).
pub async fn verify(db: &Db) -> anyhow::Result<VerifyReport> {
    use futures_util::TryStreamExt;
    let mut prev = GENESIS.to_string();
    let mut n: u64 = 0;
    let check = |e: &AuditEntry, prev: &str| -> Option<String> {
        if e.prev_hash != prev {
            return Some(format!(
                "entry {} links to {}…, but the entry before it hashes to {}… (an entry was removed, inserted or changed before it)",
                e.seq,
                &e.prev_hash.get(..12).unwrap_or(&e.prev_hash),
                &prev.get(..12).unwrap_or(prev)
            ));
        }
        let h = entry_hash(
            &e.prev_hash,
            e.at,
            e.user_id,
            &e.username,
            e.ip.as_deref(),
            &e.action,
            &e.entity,
            e.entity_id.as_deref(),
            e.jurisdiction_code.as_deref(),
            &e.detail,
        );
        if h != e.hash {
            return Some(format!("entry {}: its content does not match its hash (the row was edited)", e.seq));
        }
        None
    };
    let bad: Option<(i64, String)> = db_run!(db, p => {
        let mut rows = sqlx::query_as::<_, AuditEntry>("SELECT * FROM audit_log ORDER BY seq").fetch(p);
        let mut bad = None;
        while let Some(e) = rows.try_next().await? {
            n += 1;
            if let Some(problem) = check(&e, &prev) {
                bad = Some((e.seq, problem));
                break;
            }
            prev = e.hash.clone();
        }
        bad
    });
    let triggers: i64 = match db {
        Db::Sqlite(p) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ('audit_no_update', 'audit_no_delete')",
            )
            .fetch_one(p)
            .await?
        }
        Db::Postgres(p) => {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) * 2 FROM pg_trigger WHERE tgname = 'audit_no_update' AND NOT tgisinternal",
            )
            .fetch_one(p)
            .await?
        }
    };
    let triggers_ok = triggers == 2;
    let keyed = keyed();
    Ok(match bad {
        None if triggers_ok => {
            VerifyReport { entries: n, ok: true, triggers_ok, keyed, first_bad_seq: None, problem: None }
        }
        None => VerifyReport {
            entries: n,
            ok: false,
            triggers_ok,
            keyed,
            first_bad_seq: None,
            problem: Some("the triggers that keep audit_log append-only are missing: someone removed them".into()),
        },
        Some((seq, problem)) => {
            let hint =
                if keyed { "" } else { " (if the log was written with an audit key, give it: --audit-key-file)" };
            VerifyReport {
                entries: n,
                ok: false,
                triggers_ok,
                keyed,
                first_bad_seq: Some(seq),
                problem: Some(format!("{problem}{hint}")),
            }
        }
    })
}
