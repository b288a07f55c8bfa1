//! Situation analytics: the `firebreak epi` CLI on the published references, the import of daily
//! counts (CLI and API), the analytics API, scope and bad rows. SQLite by default; PostgreSQL when
//! FIREBREAK_TEST_PG is set.

use firebreak::audit::Actor;
use firebreak::auth::{self, NewUser};
use firebreak::db::{DatabaseUrl, Db};
use firebreak::web::{AppState, Config};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const PASSWORD: &str = "analytics-test-password-1";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data/<rel>`, or `None` (with a message) when the shared data folder is absent.
fn shared(rel: &str) -> Option<PathBuf> {
    let p = repo().join("..").join("shared").join("data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is absent (the shared data folder ../shared/data is not here)", p.display());
        None
    }
}

fn firebreak(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("running the firebreak binary");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records().map(|x| x.expect("csv row").iter().map(str::to_string).collect()).collect()
}

#[test]
fn cli_rt_flu2009_reproduces_epiestim() {
    let Some(dir) = shared("epi/epiestim_flu2009") else { return };
    let (ok, out, err) = firebreak(&[
        "epi",
        "rt",
        "--incidence",
        dir.join("Flu2009__incidence.csv").to_str().expect("utf-8 path"),
        "--si-distr",
        dir.join("Flu2009__si_distr.csv").to_str().expect("utf-8 path"),
        "--window",
        "7",
    ]);
    assert!(ok, "{err}");
    assert!(out.starts_with("t_start,t_end,mean,sd,q025,q05,q25,median,q75,q95,q975\n"), "{out}");
    let got = csv_rows(&out);
    let expected = csv_rows(&std::fs::read_to_string(dir.join("expected_R_example1.csv")).expect("expected file"));
    assert_eq!(got.len(), 25);
    assert_eq!(expected.len(), 25);
    let mut worst = 0.0f64;
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g[0], e[0], "t_start");
        assert_eq!(g[1], e[1], "t_end");
        // expected: t_start,t_end,date_start,date_end,Mean,Std,q025,q05,q25,Median,q75,q95,q975
        for k in 0..9 {
            let a: f64 = g[2 + k].parse().expect("number");
            let b: f64 = e[4 + k].parse().expect("number");
            worst = worst.max((a - b).abs());
            assert!((a - b).abs() < 1e-6, "t_start {} column {k}: {a} vs EpiEstim {b}", g[0]);
        }
    }
    eprintln!("Flu2009: max |firebreak - EpiEstim| = {worst:e}");
}

#[test]
fn cli_serial_interval_ali2020_periods() {
    // The MIT-licensed copy in data/epi (the same file as ../shared/data/tracing/china_pairs_ali2020).
    let pairs = repo().join("data/epi/ali2020_TableS1_1407TransPairs.csv");
    let p = pairs.to_str().expect("utf-8 path");
    let run = |period: &str| {
        let (ok, out, err) =
            firebreak(&["epi", "serial-interval", "--pairs", p, "--preset", "ali2020", "--period", period]);
        assert!(ok, "{err}");
        assert!(out.starts_with("n,mean,sd,ci_low,ci_high\n"));
        let row = &csv_rows(&out)[0];
        let n: usize = row[0].parse().expect("n");
        let v: Vec<f64> = row[1..].iter().map(|x| x.parse().expect("number")).collect();
        (n, v)
    };
    // Published (Ali et al. 2020): 7.8 d for Jan 9–22, 2.6 d for Jan 30–Feb 13.
    let (n1, a) = run("2020-01-09..2020-01-22");
    assert_eq!(n1, 162);
    assert!((a[0] - 7.81).abs() < 0.005, "{a:?}");
    assert!(a[2] < a[0] && a[0] < a[3]);
    let (n2, b) = run("2020-01-30..2020-02-13");
    assert_eq!(n2, 176);
    assert!((b[0] - 2.57).abs() < 0.005, "{b:?}");
    assert!(b[2] < b[0] && b[0] < b[3]);
    // A bad date names the line and the column.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "infector_id,infectee_id,infector_onsetDate,infectee_onsetDate\na,b,2020/01/10,2020/01/15\nc,d,2020/13/40,2020/01/20\n")
        .expect("write");
    let (ok, _, err) =
        firebreak(&["epi", "serial-interval", "--pairs", bad.to_str().expect("utf-8"), "--preset", "ali2020"]);
    assert!(!ok);
    assert!(err.contains("line 3, column infector_onsetDate"), "{err}");
}

#[test]
fn cli_rt_bad_rows_name_row_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("inc.csv");
    std::fs::write(&f, "dates,I\n2020-01-01,1\n2020-01-02,2\n2020-01-03,-4\n").expect("write");
    let (ok, _, err) =
        firebreak(&["epi", "rt", "--incidence", f.to_str().expect("utf-8"), "--si-mean", "4.7", "--si-sd", "2.9"]);
    assert!(!ok);
    assert!(err.contains("line 4, column I"), "{err}");
    std::fs::write(&f, "dates,I\n2020-01-01,1\n2020-01-03,2\n").expect("write");
    let (ok, _, err) =
        firebreak(&["epi", "rt", "--incidence", f.to_str().expect("utf-8"), "--si-mean", "4.7", "--si-sd", "2.9"]);
    assert!(!ok);
    assert!(err.contains("consecutive"), "{err}");
    // Hengyang, cumulative layout: EpiEstim-identical numbers (epyestim side by side: 2.3159 for days 2–8).
    let hy = repo().join("data/epi/hengyang_430400.csv");
    let (ok, out, err) = firebreak(&[
        "epi",
        "rt",
        "--incidence",
        hy.to_str().expect("utf-8"),
        "--cumulative",
        "--si-mean",
        "4.7",
        "--si-sd",
        "2.9",
    ]);
    assert!(ok, "{err}");
    let first = &csv_rows(&out)[0];
    assert_eq!(&first[..2], &["2".to_string(), "8".to_string()]);
    let mean: f64 = first[2].parse().expect("number");
    assert!((mean - 2.3159013401).abs() < 1e-9, "{mean}");
}

// ------------------------------------------------------------------ on a database

struct Env {
    db: Db,
    url: String,
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn database(dir: &Path) -> (Db, String) {
    match std::env::var("FIREBREAK_TEST_PG") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!(
                "fb_{}",
                &firebreak::auth::session::random_token()[..12].to_lowercase().replace(['-', '_'], "x")
            );
            let pool = sqlx::PgPool::connect(&admin).await.expect("connecting to FIREBREAK_TEST_PG");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .expect("create database");
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(a, _)| a).to_string();
            let url = format!("{base}/{name}");
            (Db::connect(&DatabaseUrl(url.clone())).await.expect("connect"), url)
        }
        _ => {
            let url = format!("sqlite://{}", dir.join("fb.db").display());
            (Db::connect(&DatabaseUrl(url.clone())).await.expect("connect"), url)
        }
    }
}

async fn setup() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, url) = database(dir.path()).await;
    firebreak::demo::load_jurisdictions(&db).await.expect("Hengyang tree");
    for (u, role, j) in [
        ("admin", "admin", "430400"),
        ("hengshan", "investigator", "430423"),
        ("changning", "investigator", "430482"),
        ("gaozhu", "field_worker", "430482203216"),
    ] {
        let nu = NewUser {
            username: u.into(),
            display_name: u.into(),
            role: role.into(),
            jurisdiction: j.into(),
            password: PASSWORD.into(),
        };
        auth::create(&db, None, &Actor::system(), &nu).await.map_err(|e| format!("{e:?}")).expect("user");
    }
    let state = AppState {
        db: db.clone(),
        cfg: Arc::new(Config { secure_cookies: false, ..Config::default() }),
        throttle: Arc::default(),
    };
    let app = firebreak::web::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    Env { db, url, base: format!("http://{addr}"), http: reqwest::Client::new(), _dir: dir }
}

impl Env {
    async fn token(&self, user: &str) -> String {
        let r: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        r["token"].as_str().expect("token").to_string()
    }
    async fn get(&self, token: &str, path: &str) -> (u16, String) {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("GET");
        (r.status().as_u16(), r.text().await.expect("body"))
    }
    async fn json(&self, token: &str, path: &str) -> Value {
        let (s, body) = self.get(token, path).await;
        assert_eq!(s, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("json")
    }
    async fn post_csv(&self, token: &str, path: &str, body: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(body.to_string())
            .send()
            .await
            .expect("POST");
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_import_api_scope_and_bad_rows() {
    let env = setup().await;
    eprintln!("analytics test on {}", env.db.backend());

    // 1. Import Hengyang's cumulative counts with the CLI: 320 days, 48 confirmed.
    let hy = repo().join("data/epi/hengyang_430400.csv");
    let (ok, out, err) = firebreak(&[
        "import",
        "daily-counts",
        hy.to_str().expect("utf-8"),
        "--layout",
        "china_city_daily",
        "--jurisdiction",
        "430400",
        "--source",
        "canghailan/Wuhan-2019-nCoV",
        "--database-url",
        &env.url,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("imported 320 days") && out.contains("48 new confirmed"), "{out}");
    let admin = env.token("admin").await;
    let c = env.json(&admin, "/api/v1/analytics/curve?jurisdiction=430400").await;
    assert_eq!(c["curve"]["total"], 48);
    assert_eq!(c["from"], "2020-01-24");
    assert_eq!(c["to"], "2020-12-08");
    let weekly_total: u64 =
        c["curve"]["weekly"].as_array().expect("weekly").iter().map(|w| w["total"].as_u64().unwrap_or(0)).sum();
    assert_eq!(weekly_total, 48);
    // Re-importing the same file replaces, never doubles.
    let (ok, out, _) = firebreak(&[
        "import",
        "daily-counts",
        hy.to_str().expect("utf-8"),
        "--layout",
        "china_city_daily",
        "--jurisdiction",
        "430400",
        "--database-url",
        &env.url,
    ]);
    assert!(ok && out.contains("320 days replaced"), "{out}");
    assert_eq!(env.json(&admin, "/api/v1/analytics/curve").await["curve"]["total"], 48);

    // 2. R_t: the first window as EpiEstim (epyestim side by side: 2.3159 for 2020-01-25..31).
    let rt = env.json(&admin, "/api/v1/analytics/rt?jurisdiction=430400").await;
    let w = rt["rt"]["windows"].as_array().expect("windows");
    assert_eq!(w[0]["t_start"], "2020-01-25");
    assert!((w[0]["mean"].as_f64().expect("mean") - 2.3159013401).abs() < 1e-9);
    assert_eq!(w[0]["insufficient"], false);
    assert_eq!(w.last().expect("last")["insufficient"], true, "no cases since March: posterior back to the prior");
    assert_eq!(rt["rt"]["si_mean"], 4.7);
    assert!(rt["rt"]["si_source"].as_str().expect("source").contains("Nishiura"));
    // A period reports the windows ending in it, computed on the whole series.
    let rt2 = env.json(&admin, "/api/v1/analytics/rt?from=2020-01-31&to=2020-02-10&si_mean=5.2&si_sd=2.8").await;
    let w2 = rt2["rt"]["windows"].as_array().expect("windows");
    assert_eq!(w2.len(), 11);
    assert_eq!(w2[0]["t_end"], "2020-01-31");
    let (s, csv) = env.get(&admin, "/api/v1/analytics/rt?format=csv").await;
    assert_eq!(s, 200);
    assert!(csv.trim_start_matches('\u{feff}').starts_with("t_start,t_end,local_cases,mean,sd,q025"), "{csv}");
    // Growth over the first two weeks; the default (last 14 days, no case) says why there is no fit.
    let g = env.json(&admin, "/api/v1/analytics/growth?to=2020-02-03&days=10").await;
    assert!(g["growth"]["r"].as_f64().is_some(), "{g}");
    let g = env.json(&admin, "/api/v1/analytics/growth").await;
    assert!(g["growth"]["r"].is_null() && g["growth"]["note"].is_string(), "{g}");
    let (s, csv) = env.get(&admin, "/api/v1/analytics/curve?format=csv_weekly").await;
    assert_eq!(s, 200);
    assert!(csv.contains("2020-W05"), "{csv}");

    // 3. Serial interval from the stored reference pairs (Ali et al. 2020).
    let text = std::fs::read_to_string(repo().join("data/epi/ali2020_TableS1_1407TransPairs.csv")).expect("pairs");
    let (pairs, errors) = firebreak::analytics::csvin::parse_ali2020_pairs("ali2020", &text).expect("columns");
    assert!(errors.is_empty());
    assert_eq!(pairs.len(), 1407);
    firebreak::analytics::import_pairs(&env.db, &Actor::system(), "ali2020", &pairs).await.expect("store pairs");
    let si = env.json(&admin, "/api/v1/analytics/serial-interval?from=2020-01-30&to=2020-02-13").await;
    assert_eq!(si["n"], 176);
    assert!((si["mean"].as_f64().expect("mean") - 2.57).abs() < 0.005);
    let hist: u64 = si["histogram"].as_array().expect("histogram").iter().map(|h| h[1].as_u64().unwrap_or(0)).sum();
    assert_eq!(hist, 176);
    let (s, csv) =
        env.get(&admin, "/api/v1/analytics/serial-interval?from=2020-01-09&to=2020-01-22&format=csv_summary").await;
    assert_eq!(s, 200);
    assert!(csv.contains("\n162,7.80864"), "{csv}");

    // 4. Scope: 常宁市's investigator imports 常宁市's counts through the API; 衡山县's cannot read them.
    let changning = env.token("changning").await;
    let daily = "date,confirmed,asymptomatic,imported\n2022-10-01,2,1,1\n2022-10-02,4,0,0\n2022-10-03,3,2,0\n";
    let (s, r) = env
        .post_csv(&changning, "/api/v1/analytics/daily-counts?jurisdiction=430482&layout=daily&source=test", daily)
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["rows"], 3);
    let c = env.json(&changning, "/api/v1/analytics/curve").await;
    assert_eq!(c["jurisdiction"], "430482");
    assert_eq!(c["curve"]["total"], 12);
    assert_eq!(c["curve"]["daily"][0]["imported"], 1);
    assert_eq!(c["curve"]["split_known"], true);
    let hengshan = env.token("hengshan").await;
    for path in [
        "/api/v1/analytics/curve?jurisdiction=430482",
        "/api/v1/analytics/rt?jurisdiction=430482",
        "/api/v1/analytics/growth?jurisdiction=430482",
        "/api/v1/analytics/daily-counts?jurisdiction=430482",
        "/api/v1/analytics/curve?jurisdiction=430400",
    ] {
        let (s, body) = env.get(&hengshan, path).await;
        assert_eq!(s, 403, "{path}: {body}");
        assert!(!body.contains("2022-10-01"));
    }
    let (s, _) = env.post_csv(&hengshan, "/api/v1/analytics/daily-counts?jurisdiction=430482&source=x", daily).await;
    assert_eq!(s, 403);
    // Their own county has no counts: an empty answer, not someone else's.
    let own = env.json(&hengshan, "/api/v1/analytics/curve").await;
    assert_eq!(own["jurisdiction"], "430423");
    assert!(own["curve"].is_null());
    let denied: i64 = firebreak::db_run!(&env.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'denied' AND entity = 'analytics' AND username = 'hengshan'")
        .fetch_one(p).await.expect("audit"));
    assert!(denied >= 4, "{denied}");
    // The city's subtree: its own 2020 rows and 常宁市's 2022 rows (no date in common, so both count).
    assert_eq!(env.json(&admin, "/api/v1/analytics/curve").await["curve"]["total"], 60);
    // A field worker may read but not import.
    let gaozhu = env.token("gaozhu").await;
    let (s, _) =
        env.post_csv(&gaozhu, "/api/v1/analytics/daily-counts?jurisdiction=430482203216&source=x", daily).await;
    assert_eq!(s, 403);

    // 5. Bad rows: named by line and column, nothing stored; --skip-bad-rows imports the rest.
    let bad = "date,confirmed,imported\n2022-10-04,5,1\n2022-10-05,three,0\n2022-10-06,2,9\n";
    let (s, r) = env.post_csv(&changning, "/api/v1/analytics/daily-counts?jurisdiction=430482&source=test", bad).await;
    assert_eq!(s, 422, "{r}");
    let detail = r["detail"].as_str().expect("detail");
    assert!(detail.contains("line 3, column confirmed"), "{detail}");
    assert!(detail.contains("line 4, column imported"), "{detail}");
    let rows = env.json(&changning, "/api/v1/analytics/daily-counts").await;
    assert_eq!(rows.as_array().expect("rows").len(), 3, "nothing of the bad file was stored");
    let (s, r) = env
        .post_csv(&changning, "/api/v1/analytics/daily-counts?jurisdiction=430482&source=test&skip_bad_rows=true", bad)
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["rows"], 1);
    assert_eq!(r["skipped"].as_array().expect("skipped").len(), 2);
    // Nested rows on the same date: the higher unit's total wins, no double counting.
    let (s, _) = env
        .post_csv(
            &changning,
            "/api/v1/analytics/daily-counts?jurisdiction=430482203&source=township",
            "date,confirmed\n2022-10-01,2\n",
        )
        .await;
    assert_eq!(s, 200);
    let c = env.json(&changning, "/api/v1/analytics/curve?from=2022-10-01&to=2022-10-01").await;
    assert_eq!(c["curve"]["total"], 3);
    assert!(c["notes"][0].as_str().expect("note").contains("no double counting"));
    // The township alone.
    let c = env.json(&changning, "/api/v1/analytics/curve?jurisdiction=430482203").await;
    assert_eq!(c["curve"]["total"], 2);

    // 6. OpenAPI lists the endpoints; the page renders for a user.
    let spec = env.json(&admin, "/api/v1/openapi.json").await;
    for p in [
        "/analytics/curve",
        "/analytics/rt",
        "/analytics/growth",
        "/analytics/serial-interval",
        "/analytics/daily-counts",
    ] {
        assert!(spec["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
    let (s, html) = env.get(&admin, "/analytics").await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"an-rt\"") && html.contains("/assets/analytics.js"));
    let (s, _) = env.get(&hengshan, "/analytics?jurisdiction=430482").await;
    assert_eq!(s, 403);
}

/// Loads the Tianjin cluster the way `firebreak::demo` does (under `x-tianjin`, attached to 衡阳市).
async fn load_tianjin(db: &Db) {
    use firebreak::tracing::import::{self, FileKind, ImportOptions, Preset};
    let bytes = std::fs::read(repo().join("data/tracing/tianjin_clusters_2020/Tianjin135cases_revised.csv"))
        .expect("Tianjin line list");
    let today = chrono::Utc::now().date_naive();
    let batch = import::parse(Preset::Tianjin, FileKind::Linelist, "Tianjin135cases_revised.csv", &bytes, today)
        .expect("parse");
    let actor = Actor::system();
    let o = ImportOptions {
        actor: &actor,
        attach_to: Some("430400".into()),
        scope: None,
        skip_bad_rows: false,
        dry_run: false,
        progress: None,
    };
    import::write(db, batch, &o).await.expect("import Tianjin");
}

/// Counts cases inside `like` (counted classifications only) whose `COALESCE(dates)` is known.
async fn cases_with(db: &Db, like: &str, dates: &str) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM cases c JOIN jurisdictions j ON j.code = c.reporting_jurisdiction \
         WHERE j.path LIKE $1 AND c.classification IN ('confirmed', 'asymptomatic') AND COALESCE({dates}, NULL) IS NOT NULL"
    );
    firebreak::db_run!(db, p => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(like).fetch_one(p).await)
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_from_the_investigation_desk() {
    let env = setup().await;
    eprintln!("line-list analytics test on {}", env.db.backend());
    load_tianjin(&env.db).await;
    let tj = firebreak::jurisdictions::get(&env.db, "x-tianjin").await.expect("db").expect("x-tianjin");
    let like = format!("{}%", tj.path);
    let admin = env.token("admin").await;

    // 1. The line-list curve: its total is the number of cases with the chosen date (or its
    //    documented fallback); the report basis has none.
    let with_report = cases_with(&env.db, &like, "c.report_date").await;
    let with_onset = cases_with(&env.db, &like, "c.onset_date").await;
    assert!(with_report > 100 && with_onset > 100, "{with_report} {with_onset}");
    let c = env.json(&admin, "/api/v1/analytics/curve?jurisdiction=x-tianjin&source=line_list&basis=report").await;
    assert_eq!(c["source"], "line_list:report");
    assert_eq!(c["curve"]["total"].as_i64(), Some(with_report), "{c}");
    assert_eq!(c["curve"]["split_known"], false);
    assert!(c["data_sources"].as_array().expect("sources").iter().any(|s| s == "tianjin"), "{c}");
    // Day by day as the database counts them.
    let per_day: Vec<(chrono::NaiveDate, i64)> = firebreak::db_run!(&env.db, p => sqlx::query_as(
        "SELECT c.report_date, COUNT(*) FROM cases c JOIN jurisdictions j ON j.code = c.reporting_jurisdiction \
         WHERE j.path LIKE $1 AND c.report_date IS NOT NULL AND c.classification IN ('confirmed', 'asymptomatic') \
         GROUP BY c.report_date ORDER BY c.report_date")
        .bind(&like).fetch_all(p).await.expect("per day"));
    for (d, n) in &per_day {
        let day = c["curve"]["daily"]
            .as_array()
            .expect("daily")
            .iter()
            .find(|r| r["date"] == d.to_string())
            .unwrap_or_else(|| panic!("{d} missing"));
        assert_eq!(day["total"].as_i64(), Some(*n), "{d}");
    }
    // Onset basis: cases with an onset, plus those falling back to sampling/report (said in a note).
    let c = env.json(&admin, "/api/v1/analytics/curve?jurisdiction=x-tianjin&source=line_list&basis=onset").await;
    let dated = cases_with(&env.db, &like, "c.onset_date, c.sampling_date, c.report_date").await;
    assert_eq!(c["curve"]["total"].as_i64(), Some(dated), "{c}");
    let fell_back = dated - with_onset;
    assert!(fell_back > 0, "the Tianjin list has cases without an onset date");
    let note = format!("{fell_back} cases have no onset date and are counted on their sampling or report date");
    assert!(c["notes"].as_array().expect("notes").iter().any(|n| n == note.as_str()), "{c}");
    // The first onset is before the first report (onsets lead reports).
    let c_rep = env.json(&admin, "/api/v1/analytics/curve?jurisdiction=x-tianjin&source=line_list&basis=report").await;
    assert!(c["from"].as_str() < c_rep["from"].as_str(), "{} vs {}", c["from"], c_rep["from"]);
    // R_t and growth run on the same rows; the city's subtree holds the cluster too.
    let rt = env.json(&admin, "/api/v1/analytics/rt?jurisdiction=x-tianjin&source=line_list").await;
    assert!(!rt["rt"]["windows"].as_array().expect("windows").is_empty(), "{rt}");
    let city = env.json(&admin, "/api/v1/analytics/curve?source=line_list&basis=report").await;
    assert_eq!(city["curve"]["total"].as_i64(), Some(with_report));
    let (s, body) = env.get(&admin, "/api/v1/analytics/curve?source=line_list&basis=symptom").await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("basis"), "{body}");
    let (s, _) = env.get(&admin, "/api/v1/analytics/curve?source=rumours").await;
    assert_eq!(s, 422);

    // 2. Serial interval from the desk's links equals what the chains kernel computes from the
    //    same links (resolved links with both onsets known).
    let si = env.json(&admin, "/api/v1/analytics/serial-interval?dataset=investigation&jurisdiction=x-tianjin").await;
    let chains = firebreak::tracing::load_chains(&env.db, Some(&like), None, None).await.expect("chains");
    let sis: Vec<i64> = chains.analysis.serial_intervals().map(i64::from).collect();
    let n = sis.len();
    assert!(n >= 10, "{n}");
    let mean = sis.iter().sum::<i64>() as f64 / n as f64;
    let sd = (sis.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    assert_eq!(si["n"].as_u64(), Some(n as u64), "{si}");
    assert!((si["mean"].as_f64().expect("mean") - mean).abs() < 1e-9, "{si} vs {mean}");
    assert!((si["sd"].as_f64().expect("sd") - sd).abs() < 1e-9, "{si} vs {sd}");
    let mut hist = std::collections::BTreeMap::<i64, u64>::new();
    for v in &sis {
        *hist.entry(*v).or_default() += 1;
    }
    for h in si["histogram"].as_array().expect("histogram") {
        let (d, k) = (h[0].as_i64().expect("days"), h[1].as_u64().expect("pairs"));
        assert_eq!(hist.get(&d).copied().unwrap_or(0), k, "interval {d}");
    }
    assert_eq!(si["dataset"], "investigation");
    assert!(si["source"].as_str().expect("source").contains("x-tianjin"), "{si}");
    // Unobserved infectors and unknown onsets are the `unknown` pairs.
    let links: i64 = firebreak::db_run!(&env.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM transmission_links l JOIN cases e ON e.id = l.infectee_case_id \
         JOIN jurisdictions j ON j.code = e.reporting_jurisdiction WHERE j.path LIKE $1")
        .bind(&like).fetch_one(p).await.expect("links"));
    assert_eq!(si["n"].as_i64().expect("n") + si["unknown"].as_i64().expect("unknown"), links);
    let (s, csv) = env
        .get(
            &admin,
            "/api/v1/analytics/serial-interval?dataset=investigation&jurisdiction=x-tianjin&format=csv_summary",
        )
        .await;
    assert_eq!(s, 200);
    assert!(csv.contains(&format!("\n{n},")), "{csv}");

    // 3. Scope: a county investigator sees none of it (403, audited) and their own county is empty.
    let hengshan = env.token("hengshan").await;
    let before: i64 = firebreak::db_run!(&env.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'denied' AND entity = 'analytics' AND username = 'hengshan'")
        .fetch_one(p).await.expect("audit"));
    for path in [
        "/api/v1/analytics/curve?jurisdiction=x-tianjin&source=line_list",
        "/api/v1/analytics/rt?jurisdiction=x-tianjin&source=line_list",
        "/api/v1/analytics/curve?jurisdiction=430400&source=line_list",
        "/api/v1/analytics/serial-interval?dataset=investigation&jurisdiction=x-tianjin",
    ] {
        let (s, body) = env.get(&hengshan, path).await;
        assert_eq!(s, 403, "{path}: {body}");
        assert!(!body.contains("2020-01"), "{body}");
    }
    let after: i64 = firebreak::db_run!(&env.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'denied' AND entity = 'analytics' AND username = 'hengshan'")
        .fetch_one(p).await.expect("audit"));
    assert_eq!(after - before, 4);
    let own = env.json(&hengshan, "/api/v1/analytics/curve?source=line_list").await;
    assert_eq!(own["jurisdiction"], "430423");
    assert!(own["curve"].is_null(), "{own}");
    let own = env.json(&hengshan, "/api/v1/analytics/serial-interval?dataset=investigation").await;
    assert_eq!(own["n"], 0);
    assert!(own["histogram"].as_array().expect("histogram").is_empty());

    // 4. The page: the line list by default where there are cases, reported counts elsewhere.
    let (s, html) = env.get(&admin, "/analytics").await;
    assert_eq!(s, 200);
    assert!(html.contains("<option value=\"line_list\" selected>"), "line list not the default");
    assert!(html.contains("source=line_list") && html.contains("dataset=investigation"));
    let (s, html) = env.get(&hengshan, "/analytics").await;
    assert_eq!(s, 200);
    assert!(html.contains("<option value=\"reported\" selected>"), "reported counts not the default");
    let (s, html) = env.get(&admin, "/analytics?source=reported&basis=report").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<option value=\"reported\" selected>") && html.contains("<option value=\"report\" selected>")
    );
}
