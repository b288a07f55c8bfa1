//! Storage: one set of store code for SQLite (the embedded default) and PostgreSQL.
//!
//! Every query is written once inside [`db_run!`], which stamps it out for each backend, so each
//! copy is type-checked against its own driver (the idea of vaultwarden's `db_run!`). SQL is kept
//! to the dialect both accept (`$1` placeholders, `RETURNING`, `ON CONFLICT`). Each backend has its
//! own migrations in `migrations/{sqlite,postgres}`, embedded in the binary.

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A connection pool to one of the two supported databases.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool; the body is compiled once per backend.
#[macro_export]
macro_rules! db_run {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// A database URL whose `Debug`/`Display` never show the password.
#[derive(Clone)]
pub struct DatabaseUrl(pub String);

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // postgres://user:secret@host/db → postgres://user:***@host/db
        let s = &self.0;
        if let (Some(scheme_end), Some(at)) = (s.find("://"), s.rfind('@')) {
            let creds = &s[scheme_end + 3..at];
            if let Some(colon) = creds.find(':') {
                return write!(f, "{}{}:***{}", &s[..scheme_end + 3], &creds[..colon], &s[at..]);
            }
        }
        f.write_str(s)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl Db {
    /// Connects to `sqlite://PATH` (created if missing; WAL, foreign keys on, busy timeout 10 s)
    /// or `postgres://…`, and runs the backend's migrations.
    pub async fn connect(url: &DatabaseUrl) -> anyhow::Result<Db> {
        let db = if url.0.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(&url.0)
                .with_context(|| format!("parsing database URL {url}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await
                .with_context(|| format!("opening SQLite database {url}"))?;
            Db::Sqlite(pool)
        } else if url.0.starts_with("postgres:") || url.0.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(&url.0).with_context(|| format!("parsing database URL {url}"))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .with_context(|| format!("connecting to PostgreSQL at {url}"))?;
            Db::Postgres(pool)
        } else {
            anyhow::bail!("database URL {url}: expected sqlite://PATH or postgres://…");
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await.context("running SQLite migrations")?,
            Db::Postgres(p) => {
                sqlx::migrate!("./migrations/postgres").run(p).await.context("running PostgreSQL migrations")?
            }
        }
        Ok(())
    }

    /// `true` when the database answers a trivial query (readiness).
    pub async fn ping(&self) -> bool {
        db_run!(self, p => sqlx::query("SELECT 1").execute(p).await.is_ok())
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Reads a value from the `settings` table.
    pub async fn setting(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(db_run!(self, p => sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
            .bind(key).fetch_optional(p).await?))
    }

    /// Writes a value to the `settings` table.
    pub async fn set_setting(&self, key: &str, value: &str) -> anyhow::Result<()> {
        db_run!(self, p => sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key).bind(value).execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

/// `true` when the error is a unique-constraint violation (SQLite 2067/1555, PostgreSQL 23505).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        // sqlx's `is_unique_violation` misses SQLite's extended code 2067 in some versions:
        // check the codes as well (SQLite 2067 UNIQUE, 1555 PRIMARY KEY; PostgreSQL 23505).
        sqlx::Error::Database(d) => {
            d.is_unique_violation() || matches!(d.code().as_deref(), Some("2067") | Some("1555") | Some("23505"))
        }
        _ => false,
    }
}

/// The current time truncated to microseconds, the precision both backends store.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let n = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(n.timestamp_micros()).unwrap_or(n)
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Backend-specific bits that the shared query code needs.
pub trait Backend: sqlx::Database {
    /// Statement run before appending to the audit chain, inside the transaction: PostgreSQL
    /// takes a transaction-scoped advisory lock so that concurrent writers (even from several
    /// server processes) append one after the other; SQLite's `BEGIN IMMEDIATE` already holds the
    /// database's single write lock.
    const AUDIT_LOCK: &'static str;
}
impl Backend for sqlx::Sqlite {
    const AUDIT_LOCK: &'static str = "SELECT 1";
}
impl Backend for sqlx::Postgres {
    const AUDIT_LOCK: &'static str = "SELECT pg_advisory_xact_lock(7300)";
}

/// The audit-lock statement for a transaction's backend (used by [`audit_append!`]).
pub fn audit_lock_sql<DB: Backend>(_tx: &sqlx::Transaction<'_, DB>) -> &'static str {
    DB::AUDIT_LOCK
}

/// Opens a write transaction: `BEGIN IMMEDIATE` on SQLite (takes the write lock at once, so a
/// read-then-write never fails with a busy snapshot), a plain `BEGIN` on PostgreSQL.
pub trait BeginWrite {
    type DB: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::DB>, sqlx::Error>> + Send;
}
impl BeginWrite for SqlitePool {
    type DB = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}
impl BeginWrite for PgPool {
    type DB = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn url_redacts_password() {
        let u = DatabaseUrl("postgres://fb:s3cret@db.local:5432/firebreak".into());
        assert_eq!(format!("{u:?}"), "DatabaseUrl(postgres://fb:***@db.local:5432/firebreak)");
        assert!(!format!("{u}").contains("s3cret"));
    }
    #[test]
    fn like_escaping() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
