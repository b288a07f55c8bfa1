//! `spawn_app()`: the real server on a random port over a fresh database (SQLite in a temp dir,
//! or a fresh PostgreSQL database when `FIREBREAK_TEST_PG` names a server), with the real
//! Hengyang admin tree and one user per role; and a client that talks to it as a user would.

use firebreak::audit::{Actor, AuditEntry, AuditFilter};
use firebreak::auth::{self, NewUser};
use firebreak::db::{DatabaseUrl, Db};
use firebreak::web::{self, AppState, Config};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Password of every test user.
pub const PASSWORD: &str = "correct-horse-battery";

/// Test users: (username, role, jurisdiction).
pub const USERS: &[(&str, &str, &str)] = &[
    ("admin", "admin", "430400"),
    ("commander", "commander", "430400"),
    ("hengshan", "investigator", "430423"),  // 衡山县
    ("changning", "investigator", "430482"), // 常宁市
    ("gaozhu", "field_worker", "430482203216"),
    ("duty", "duty_officer", "430400"),
    ("auditor", "auditor", "430400"),
];

/// 高竹村, 常宁市 (a village in 430482).
pub const CHANGNING_VILLAGE: &str = "430482203216";
/// 先农社区, 衡山县 (a community in 430423).
pub const HENGSHAN_VILLAGE: &str = "430423100003";

/// A fresh, migrated database of the backend under test.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    /// SQLite: the folder holding `firebreak.db` (what `--data-dir` takes).
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

fn pg_server() -> Option<String> {
    std::env::var("FIREBREAK_TEST_PG").ok().filter(|s| !s.trim().is_empty())
}

/// `postgres://u@h:5432/test?x=y` with its database replaced by `name`.
fn pg_url_with_db(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut r = rand::rng();
    (0..12).map(|_| char::from(b'a' + r.random_range(0..26u8))).collect()
}

impl TestDb {
    /// An empty database (migrations applied, no data).
    pub async fn empty() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match pg_server() {
            Some(server) => {
                use sqlx::Connection;
                let name = format!("fb_test_{}", random_suffix());
                let mut c = sqlx::PgConnection::connect(&server).await.expect("connecting to FIREBREAK_TEST_PG");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut c)
                    .await
                    .expect("CREATE DATABASE");
                c.close().await.ok();
                let url = pg_url_with_db(&server, &name);
                let db = Db::connect(&DatabaseUrl(url.clone())).await.expect("connecting to the test database");
                TestDb { db, url, dir, pg_name: Some(name) }
            }
            None => {
                let url = format!("sqlite://{}", dir.path().join("firebreak.db").display());
                let db = Db::connect(&DatabaseUrl(url.clone())).await.expect("opening the SQLite test database");
                TestDb { db, url, dir, pg_name: None }
            }
        }
    }

    /// A database with the Hengyang tree (2,990 units) and one user per role of [`USERS`].
    pub async fn seeded() -> TestDb {
        let t = TestDb::empty().await;
        assert!(firebreak::demo::load_jurisdictions(&t.db).await.expect("loading jurisdictions"));
        for (username, role, jurisdiction) in USERS {
            let nu = NewUser {
                username: (*username).into(),
                display_name: String::new(),
                role: (*role).into(),
                jurisdiction: (*jurisdiction).into(),
                password: PASSWORD.into(),
            };
            auth::create(&t.db, None, &Actor::system(), &nu).await.expect("creating a test user");
        }
        t
    }

    pub fn is_pg(&self) -> bool {
        self.pg_name.is_some()
    }

    /// The options the CLI needs to open this database.
    pub fn cli_db_args(&self) -> Vec<String> {
        if self.is_pg() {
            vec!["--database-url".into(), self.url.clone()]
        } else {
            vec!["--data-dir".into(), self.dir.path().display().to_string()]
        }
    }

    /// Audit entries matching `f` (newest first, first page).
    pub async fn audit(&self, f: AuditFilter) -> Vec<AuditEntry> {
        firebreak::audit::list(&self.db, &f).await.expect("listing the audit log").0
    }

    /// Number of audit entries with this username and action.
    pub async fn audit_count(&self, username: &str, action: &str) -> i64 {
        let f = AuditFilter { username: Some(username.into()), action: Some(action.into()), ..Default::default() };
        firebreak::audit::list(&self.db, &f).await.expect("listing the audit log").1
    }

    /// Runs one SQL statement directly, returning the database's answer.
    pub async fn try_exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        firebreak::db_run!(&self.db, p => sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()))
    }

    /// Runs one SQL statement directly (for tampering with the audit log).
    pub async fn exec(&self, sql: &str) {
        firebreak::db_run!(&self.db, p => sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Runs a scalar count query directly.
    pub async fn count(&self, sql: &str) -> i64 {
        firebreak::db_run!(&self.db, p => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(p).await)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for TestDb {
    /// Drops the PostgreSQL test database (best effort, on a thread of its own).
    fn drop(&mut self) {
        let (Some(name), Some(server)) = (self.pg_name.take(), pg_server()) else { return };
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&server).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&mut c)
                        .await;
                    let _ = c.close().await;
                }
            });
        })
        .join();
    }
}

/// The server under test.
pub struct TestApp {
    pub base: String,
    pub store: TestDb,
}

/// Starts the real application on 127.0.0.1:0 over a fresh seeded database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::seeded().await).await
}

/// Starts the real application over `store`.
pub async fn spawn_app_on(store: TestDb) -> TestApp {
    spawn_app_with_traces(store, None).await
}

/// Starts the real application over `store`, with a location trace store folder.
pub async fn spawn_app_with_traces(store: TestDb, trace_store: Option<PathBuf>) -> TestApp {
    let state = AppState {
        db: store.db.clone(),
        cfg: Arc::new(Config { secure_cookies: false, trace_store, ..Default::default() }),
        throttle: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding a port");
    let addr = listener.local_addr().expect("local address");
    let app = web::app(state);
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serving");
    });
    TestApp { base: format!("http://{addr}"), store }
}

/// A client without redirects (tests look at each answer) and with a cookie store.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("building the HTTP client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn db(&self) -> &Db {
        &self.store.db
    }

    /// `POST /api/v1/auth/login` and the raw answer.
    pub async fn login_raw(&self, c: &reqwest::Client, username: &str, password: &str) -> Response {
        c.post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request")
    }

    /// Logs in as one of [`USERS`]: the session holds the bearer token, and the client the cookie.
    pub async fn login(&self, username: &str) -> Session {
        let client = client();
        let r = self.login_raw(&client, username, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "login as {username}");
        let body: Value = r.json().await.expect("login JSON");
        Session {
            client,
            base: self.base.clone(),
            token: body["token"].as_str().expect("token").into(),
            csrf: body["csrf_token"].as_str().expect("csrf_token").into(),
        }
    }
}

/// A logged-in user.
pub struct Session {
    /// Holds the session cookie (for pages and cookie-authenticated API calls).
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
    pub csrf: String,
}

impl Session {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    /// API `GET` with the bearer token.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(&self.token).send().await.expect("GET")
    }
    /// API `GET`, expecting 200 and JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.json().await.expect("JSON body")
    }
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).bearer_auth(&self.token).json(body).send().await.expect("POST")
    }
    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.client.put(self.url(path)).bearer_auth(&self.token).json(body).send().await.expect("PUT")
    }
    /// Page `GET` with the session cookie only.
    pub async fn page(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET page")
    }
    /// Form `POST` with the session cookie only (`_csrf` is added when `with_csrf`).
    pub async fn form(&self, path: &str, fields: &[(&str, &str)], with_csrf: bool) -> Response {
        let mut f: Vec<(&str, &str)> = fields.to_vec();
        if with_csrf {
            f.push(("_csrf", &self.csrf));
        }
        self.client.post(self.url(path)).form(&f).send().await.expect("POST form")
    }

    /// Registers a person; panics unless 201. Returns the id.
    pub async fn create_person(&self, body: &Value) -> i64 {
        let r = self.post("/api/v1/people", body).await;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::CREATED, "creating {body}: {text}");
        let v: Value = serde_json::from_str(&text).expect("JSON");
        v["id"].as_i64().expect("id")
    }
}

/// A valid person body: a synthetic (valid) resident ID from county `id_county` with serial `n`,
/// birth date and sex consistent with it, living in `jurisdiction`.
pub fn person(name: &str, id_county: &str, n: u64, jurisdiction: &str) -> Value {
    let id = firebreak::demo::synthetic_id(id_county, n);
    json!({
        "name": name,
        "sex": sex_of(&id),
        "birth_date": birth_of(&id),
        "id_number": id,
        "phone": format!("138{:08}", 10_000_000 + n),
        "address": format!("{}号", n),
        "jurisdiction": jurisdiction,
    })
}

pub fn birth_of(id: &str) -> String {
    format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14])
}

pub fn sex_of(id: &str) -> &'static str {
    if (id.as_bytes()[16] - b'0') % 2 == 1 { "male" } else { "female" }
}

/// The same number with a wrong check character.
pub fn bad_check(id: &str) -> String {
    let last = id.chars().last().expect("non-empty");
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &id[..17])
}

/// Asserts an RFC 9457 problem answer with `status` whose `errors[]` name `field`; returns the body.
pub async fn assert_problem(r: Response, status: StatusCode, field: &str) -> Value {
    assert_eq!(r.status(), status);
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(ct.starts_with("application/problem+json"), "content type {ct}");
    let v: Value = r.json().await.expect("problem JSON");
    assert_eq!(v["status"], status.as_u16());
    let fields: Vec<&str> =
        v["errors"].as_array().map_or(vec![], |a| a.iter().filter_map(|e| e["field"].as_str()).collect());
    assert!(fields.contains(&field), "errors should name {field}: {v}");
    v
}

/// Path of the repository's real data.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/jurisdictions/hengyang_430400")
}
