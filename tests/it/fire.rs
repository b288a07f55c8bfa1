//! Fire danger (issue 6): the `firebreak fire fwi` CLI on the real reference files, weather
//! import through the CLI and the API (all or nothing, errors naming the row), recomputation
//! from a changed day, profiles, and the map / table endpoints. Runs on SQLite, and on
//! PostgreSQL too when FIREBREAK_TEST_PG is set.

use firebreak::db::{DatabaseUrl, Db};
use firebreak::web::{AppState, Config};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_firebreak");
const PASSWORD: &str = "fire-test-password-1";

fn shared_fire() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/fire");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: {} is absent; the reference-file checks of the fire CLI are not run", dir.display());
        None
    }
}

/// A CSV as header names and rows.
fn table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let sep = if text.lines().next().unwrap_or("").contains(';') { ';' } else { ',' };
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().expect("header").split(sep).map(|s| s.trim().to_lowercase()).collect();
    let rows = lines.map(|l| l.split(sep).map(|s| s.trim().to_string()).collect()).collect();
    (header, rows)
}

fn col(h: &[String], name: &str) -> usize {
    h.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name} in {h:?}"))
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("{s:?} is not a number"))
}

fn run_cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().expect("running firebreak");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn cli_fwi_reproduces_cffdrs_fwi_01_within_0_005() {
    let Some(dir) = shared_fire() else { return };
    let weather = dir.join("cffdrs_fwi/test_fwi.csv");
    let (ok, out, err) = run_cli(&[
        "fire",
        "fwi",
        "--weather",
        weather.to_str().expect("path"),
        "--start",
        "85,6,15",
        "--ffmc-constant",
        "147.27723",
        "--lat-adjust",
        "true",
    ]);
    assert!(ok, "{err}");
    let (h, rows) = table(&out);
    assert_eq!(h[..9], ["long", "lat", "yr", "mon", "day", "temp", "rh", "ws", "prec"]);
    let (eh, expected) = table(&std::fs::read_to_string(dir.join("cffdrs_fwi/fwi_01.csv")).expect("fwi_01"));
    assert_eq!(rows.len(), expected.len());
    assert_eq!(rows.len(), 48);
    let mut worst = 0.0f64;
    for (i, (r, e)) in rows.iter().zip(&expected).enumerate() {
        for name in ["ffmc", "dmc", "dc", "isi", "bui", "fwi", "dsr"] {
            let (got, want) = (num(&r[col(&h, name)]), num(&e[col(&eh, name)]));
            let d = (got - want).abs();
            worst = worst.max(d);
            assert!(d <= 0.005 + 1e-9, "row {}, {name}: {got} vs cffdrs {want}", i + 2);
        }
        // The level is the china profile's class of the FWI.
        let fwi = num(&r[col(&h, "fwi")]);
        let level = firebreak_fwi::DangerProfile::china_fwi().classify(fwi).expect("level").number;
        assert_eq!(r[col(&h, "level")], level.to_string());
    }
    eprintln!("fire fwi vs cffdrs fwi_01.csv: worst |difference| {worst:.5} over 48 days × 7 indices");
}

#[test]
fn cli_fwi_reads_the_1985_table_layout_with_the_1985_constant() {
    let Some(dir) = shared_fire() else { return };
    let path = dir.join("vwp1985/vwp1985_table.csv");
    let (ok, out, err) = run_cli(&[
        "fire",
        "fwi",
        "--weather",
        path.to_str().expect("path"),
        "--ffmc-constant",
        "147.2",
        "--profile",
        "effis",
    ]);
    assert!(ok, "{err}");
    let (h, rows) = table(&out);
    assert_eq!(h[..6], ["mth", "day", "temp", "rh", "ws", "pr"], "its own weather columns only");
    let (eh, expected) = table(&std::fs::read_to_string(&path).expect("table"));
    assert_eq!(rows.len(), 49);
    for (i, (r, e)) in rows.iter().zip(&expected).enumerate() {
        for name in ["ffmc", "dmc", "dc", "isi", "bui", "fwi"] {
            let (got, want) = (num(&r[col(&h, name)]), num(&e[col(&eh, name)]));
            assert!((got - want).abs() <= 0.05 + 1e-9, "row {}, {name}: {got} vs 1985 table {want}", i + 2);
        }
    }
    // EFFIS: FWI 52.6 on May 7 is "extreme" (class 6 here).
    let may7 = rows.iter().find(|r| r[0] == "5" && r[1] == "7").expect("May 7");
    assert_eq!(may7[col(&h, "level")], "6");
    assert_eq!(may7[col(&h, "level_en")], "Extreme");
}

#[test]
fn cli_fwi_names_line_and_column_of_a_bad_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bad.csv");
    std::fs::write(&p, "long;lat;yr;mon;day;temp;rh;ws;prec\n-100;40;1985;4;13;17;42;25;0\n-100;40;1985;4;14;20;121;25;2.4\n-100;40;1985;4;15;8.5;40;abc;0\n")
        .expect("write");
    let (ok, out, err) = run_cli(&["fire", "fwi", "--weather", p.to_str().expect("path")]);
    assert!(!ok);
    assert!(out.is_empty(), "nothing printed: {out}");
    assert!(err.contains("line 3, column rh: rh = 121 is out of range"), "{err}");
    assert!(err.contains("line 4, column ws: \"abc\" is not a number"), "{err}");
    let (ok, _, err) = run_cli(&["fire", "fwi", "--weather", p.to_str().expect("path"), "--start", "85,6"]);
    assert!(!ok && err.contains("--start"), "{err}");
}

// ---------------------------------------------------------------- server

struct Server {
    url: String,
    db: Db,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

async fn fresh_db(dir: &std::path::Path, pg: bool) -> Db {
    if pg {
        let base = std::env::var("FIREBREAK_TEST_PG").expect("FIREBREAK_TEST_PG");
        let admin = Db::connect(&DatabaseUrl(base.clone())).await.expect("connect to FIREBREAK_TEST_PG");
        let name = format!("fb_{}", &firebreak::auth::session::random_token()[..16].to_lowercase());
        let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if let Db::Postgres(p) = &admin {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(p)
                .await
                .expect("create database");
        }
        let url = match base.rfind('/') {
            Some(i) => format!("{}/{name}", &base[..i]),
            None => panic!("FIREBREAK_TEST_PG has no database part"),
        };
        Db::connect(&DatabaseUrl(url)).await.expect("connect to the fresh database")
    } else {
        Db::connect(&DatabaseUrl(format!("sqlite://{}", dir.join("fb.db").display()))).await.expect("sqlite")
    }
}

/// The demo data (Hengyang tree, demo users, demo stations and their season) on a fresh database.
async fn start(pg: bool) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_db(dir.path(), pg).await;
    firebreak::demo::load(&db, PASSWORD).await.expect("demo data");
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
    Server { url: format!("http://{addr}"), db, _dir: dir, http: reqwest::Client::new() }
}

impl Server {
    async fn token(&self, user: &str) -> String {
        let r: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login json");
        r["token"].as_str().unwrap_or_else(|| panic!("no token: {r}")).to_string()
    }
    async fn get(&self, tok: &str, path: &str) -> (u16, String) {
        let r = self.http.get(format!("{}{path}", self.url)).bearer_auth(tok).send().await.expect("get");
        (r.status().as_u16(), r.text().await.expect("body"))
    }
    async fn json(&self, tok: &str, path: &str) -> Value {
        let (s, b) = self.get(tok, path).await;
        assert_eq!(s, 200, "{path}: {b}");
        serde_json::from_str(&b).expect("json")
    }
    async fn send(&self, tok: &str, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(tok)
            .json(&body)
            .send()
            .await
            .expect("send");
        let s = r.status().as_u16();
        let t = r.text().await.expect("body");
        (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
    }
    async fn csv(&self, tok: &str, path: &str, body: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(tok)
            .header("content-type", "text/csv")
            .body(body.to_string())
            .send()
            .await
            .expect("csv");
        let s = r.status().as_u16();
        (s, serde_json::from_str(&r.text().await.expect("body")).unwrap_or(Value::Null))
    }
}

async fn audit_count(db: &Db, action: &str, entity: &str) -> i64 {
    firebreak::db_run!(db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND entity = $2")
        .bind(action).bind(entity).fetch_one(p).await.expect("count"))
}

async fn backends(f: impl AsyncFn(bool)) {
    f(false).await;
    if std::env::var("FIREBREAK_TEST_PG").is_ok() {
        f(true).await;
    } else {
        eprintln!("FIREBREAK_TEST_PG not set: fire server tests ran on SQLite only");
    }
}

#[tokio::test]
async fn demo_map_table_and_station_endpoints() {
    backends(async |pg| {
        let s = start(pg).await;
        let tok = s.token("admin").await;
        // The map opens at the latest observed day (the demo season ends 2026-05-31).
        let m = s.json(&tok, "/api/v1/fire/danger").await;
        assert_eq!(m["date"], "2026-05-31");
        assert_eq!(m["profile_id"], "china_fwi");
        let units = m["units"].as_array().expect("units");
        let counties: Vec<&Value> = units.iter().filter(|u| u["unit_level"] == "county").collect();
        let townships = units.iter().filter(|u| u["unit_level"] == "township").count();
        assert_eq!(counties.len(), 14);
        assert_eq!(townships, 191);
        // Every county has a station: its own demo station (nearest, 0 km) or, for the two
        // development zones without boundaries, the demo assignment.
        for c in &counties {
            assert!(c["station"].is_string(), "{c}");
            assert!(c["level"]["colour"].as_str().is_some_and(|x| x.starts_with('#')), "{c}");
        }
        let changning = counties.iter().find(|c| c["code"] == "430482").expect("常宁市");
        assert_eq!(changning["station"], "D430482");
        assert_eq!(changning["basis"], "nearest");
        let zone = counties.iter().find(|c| c["code"] == "430473").expect("松木");
        assert_eq!(zone["basis"], "assigned");
        let dabao = units.iter().find(|u| u["code"] == "430482203").expect("大堡乡");
        assert_eq!(dabao["station"], "D430482");
        assert_eq!(dabao["basis"], "county");
        // 2026-05-07 is the 1985 season's worst day: level 5 under the China profile.
        let m = s.json(&tok, "/api/v1/fire/danger?date=2026-05-07").await;
        let c = m["units"].as_array().expect("units").iter().find(|u| u["code"] == "430421").cloned().expect("衡阳县");
        assert_eq!(c["level"]["number"], 5, "{c}");
        assert!(c["day"]["fwi"].as_f64().expect("fwi") > 38.0);
        // A day without observations: units listed, no level.
        let m = s.json(&tok, "/api/v1/fire/danger?date=2020-01-01").await;
        assert!(m["units"].as_array().expect("units").iter().all(|u| u["level"].is_null()));
        let (st, b) = s.get(&tok, "/api/v1/fire/danger?date=2026-13-01").await;
        assert_eq!(st, 422, "{b}");
        assert!(b.contains("not a date"));
        // Boundaries for the map.
        let (st, geo) = s.get(&tok, "/api/v1/fire/boundaries/counties").await;
        assert_eq!(st, 200);
        let geo: Value = serde_json::from_str(&geo).expect("geojson");
        assert_eq!(geo["features"].as_array().map(Vec::len), Some(12));
        // A station's season, and the pages.
        let ser = s.json(&tok, "/api/v1/fire/stations/D430421/observations").await;
        assert_eq!(ser["days"].as_array().map(Vec::len), Some(49));
        assert_eq!(ser["levels"].as_array().map(Vec::len), Some(5));
        let (st, html) = s.get(&tok, "/fire/table?date=2026-05-07").await;
        assert_eq!(st, 200);
        assert!(html.contains("大堡乡") && html.contains("常宁市示范站") && html.contains("林区禁止一切用火"));
        assert_eq!(html.matches("<tr class=\"county\"").count(), 14);
        assert_eq!(html.matches("<tr class=\"sub\"").count(), 191);
        let (st, html) = s.get(&tok, "/fire?date=2026-05-07").await;
        assert_eq!(st, 200);
        assert!(html.contains("id=\"fire-map\"") && html.contains("/assets/fire.js"));
        let (st, html) = s.get(&tok, "/fire/stations/D430482").await;
        assert_eq!(st, 200);
        assert!(html.contains("id=\"fire-chart\"") && html.contains("2026-05-31"));
        // OpenAPI documents the fire endpoints.
        let api = s.json(&tok, "/api/v1/openapi.json").await;
        for p in ["/fire/danger", "/fire/observations/csv", "/fire/stations/{code}/observations", "/fire/profiles"] {
            assert!(
                api["paths"].get(format!("/api/v1{p}")).is_some() || api["paths"].get(p).is_some(),
                "{p} not documented"
            );
        }
        // A county user sees their county only.
        let tok = s.token("changning").await;
        let m = s.json(&tok, "/api/v1/fire/danger?date=2026-05-07").await;
        let units = m["units"].as_array().expect("units");
        assert!(units.iter().all(|u| u["code"].as_str().is_some_and(|c| c.starts_with("430482"))));
        let (st, _) = s.get(&tok, "/api/v1/fire/stations/D430421").await;
        assert_eq!(st, 404, "another county's station is outside the scope");
    })
    .await;
}

#[tokio::test]
async fn import_recompute_and_all_or_nothing() {
    backends(async |pg| {
        let s = start(pg).await;
        let tok = s.token("admin").await;
        let (st, b) = s
            .send(&tok, reqwest::Method::POST, "/api/v1/fire/stations", json!({"code": "T1", "name": "测试站", "lat": 40.0, "lon": -100.0, "jurisdiction": "430423", "ffmc_constant": 147.27723}))
            .await;
        assert_eq!(st, 201, "{b}");
        let (st, _) = s
            .send(&tok, reqwest::Method::POST, "/api/v1/fire/stations", json!({"code": "T1", "name": "again", "lat": 40.0, "lon": -100.0, "jurisdiction": "430423"}))
            .await;
        assert_eq!(st, 409);
        // The cffdrs weather (lat 40) through the CSV endpoint: the stored indices are cffdrs'.
        let Some(dir) = shared_fire() else { return };
        let text = std::fs::read_to_string(dir.join("cffdrs_fwi/test_fwi.csv")).expect("test_fwi");
        let (st, r) = s.csv(&tok, "/api/v1/fire/observations/csv?station=T1", &text).await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(r[0]["new"], 48, "{r}");
        assert_eq!(r[0]["recomputed_days"], 48);
        let (eh, expected) = table(&std::fs::read_to_string(dir.join("cffdrs_fwi/fwi_01.csv")).expect("fwi_01"));
        let days = s.json(&tok, "/api/v1/fire/stations/T1/observations").await["days"].clone();
        let days = days.as_array().expect("days").clone();
        assert_eq!(days.len(), 48);
        for (d, e) in days.iter().zip(&expected) {
            for name in ["ffmc", "dmc", "dc", "isi", "bui", "fwi", "dsr"] {
                let (got, want) = (d[name].as_f64().expect("num"), num(&e[col(&eh, name)]));
                assert!((got - want).abs() <= 0.005 + 1e-9, "{} {name}: {got} vs {want}", d["obs_date"]);
            }
        }
        // Re-importing the same file changes nothing.
        let (st, r) = s.csv(&tok, "/api/v1/fire/observations/csv?station=T1", &text).await;
        assert_eq!(st, 200);
        assert_eq!((r[0]["unchanged"].as_i64(), r[0]["recomputed_days"].as_i64()), (Some(48), Some(0)));

        // Change one day (1985-05-10, heavy rain instead of none) through the JSON endpoint: that
        // day and every later day are recomputed, earlier days are untouched.
        let before = days.clone();
        let (st, r) = s
            .send(&tok, reqwest::Method::POST, "/api/v1/fire/observations",
                json!({"station": "T1", "observations": [{"date": "1985-05-10", "temp": 11.0, "rh": 90.0, "wind": 10.0, "rain": 25.0}]}))
            .await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(r[0]["changed"], 1);
        assert_eq!(r[0]["recomputed_from"], "1985-05-10");
        assert_eq!(r[0]["recomputed_days"], 21, "May 10 to May 30");
        let after = s.json(&tok, "/api/v1/fire/stations/T1/observations").await["days"].clone();
        let after = after.as_array().expect("days");
        let i = after.iter().position(|d| d["obs_date"] == "1985-05-10").expect("May 10");
        assert_eq!(after[..i], before[..i], "days before the change are untouched");
        assert!(after[i]["dmc"].as_f64() < before[i]["dmc"].as_f64(), "rain lowers the DMC");
        assert_ne!(after[i + 5]["dc"], before[i + 5]["dc"], "later days are carried from the changed day");
        // The recomputation is the kernel's run over the changed series.
        let mut rows: Vec<firebreak_fwi::Day> = Vec::new();
        for d in after {
            let month = d["obs_date"].as_str().expect("date")[5..7].parse::<i64>().expect("month");
            let f = |k: &str| d[k].as_f64().expect("num");
            rows.push(firebreak_fwi::Day::new(month, f("temp"), f("rh"), f("wind"), f("rain")).expect("day"));
        }
        let k = firebreak_fwi::Station::new(40.0, firebreak_fwi::FwiParams::default()).expect("station");
        let want = k.run(&rows);
        for (d, w) in after.iter().zip(&want) {
            assert!((d["fwi"].as_f64().expect("fwi") - w.fwi).abs() < 1e-9);
        }

        // Bad rows: nothing stored, every error names its line and column.
        let n_before = s.json(&tok, "/api/v1/fire/stations/T1/observations").await["days"].as_array().map(Vec::len);
        let bad = "date,temp,rh,wind,rain\n1985-05-31,20,40,10,0\n1985-06-01,20,140,10,0\n1985-06-02,x,40,10,0\n";
        let (st, r) = s.csv(&tok, "/api/v1/fire/observations/csv?station=T1", bad).await;
        assert_eq!(st, 422, "{r}");
        let detail = r["detail"].as_str().expect("detail");
        assert!(detail.contains("line 3, column rh: rh = 140"), "{detail}");
        assert!(detail.contains("line 4, column temp: \"x\" is not a number"), "{detail}");
        // A gap in the days names the row.
        let gap = "date,temp,rh,wind,rain\n1985-05-31,20,40,10,0\n1985-06-05,20,40,10,0\n";
        let (st, r) = s.csv(&tok, "/api/v1/fire/observations/csv?station=T1", gap).await;
        assert_eq!(st, 422);
        let detail = r["detail"].as_str().expect("detail");
        assert!(detail.contains("line 3") && detail.contains("1985-06-01 to 1985-06-04"), "{detail}");
        // An unknown station, and a duplicate day.
        let (st, r) = s.csv(&tok, "/api/v1/fire/observations/csv?station=NOPE", "date,temp,rh,wind,rain\n1985-05-31,20,40,10,0\n").await;
        assert_eq!(st, 422);
        assert!(r["detail"].as_str().is_some_and(|d| d.contains("line 2: no station NOPE")), "{r}");
        let dup = "date,temp,rh,wind,rain\n1985-05-31,20,40,10,0\n1985-05-31,21,40,10,0\n";
        let (st, r) = s.csv(&tok, "/api/v1/fire/observations/csv?station=T1", dup).await;
        assert_eq!(st, 422);
        assert!(r["detail"].as_str().is_some_and(|d| d.contains("line 3") && d.contains("line 2")), "{r}");
        assert_eq!(s.json(&tok, "/api/v1/fire/stations/T1/observations").await["days"].as_array().map(Vec::len), n_before);

        // Writes are audited; a duty officer may import, an investigator may not (recorded).
        assert!(audit_count(&s.db, "import", "fire_observations").await >= 12 + 3);
        let inv = s.token("hengshan").await;
        let (st, _) = s.csv(&inv, "/api/v1/fire/observations/csv?station=T1", "date,temp,rh,wind,rain\n1985-05-31,20,40,10,0\n").await;
        assert_eq!(st, 403);
        assert_eq!(audit_count(&s.db, "denied", "fire_observations").await, 1);
    })
    .await;
}

#[tokio::test]
async fn profiles_assignments_and_relevelling() {
    backends(async |pg| {
        let s = start(pg).await;
        let tok = s.token("admin").await;
        let ps = s.json(&tok, "/api/v1/fire/profiles").await;
        let ids: Vec<&str> = ps.as_array().expect("list").iter().filter_map(|p| p["id"].as_str()).collect();
        assert_eq!(ids, ["china_fwi", "effis"]);
        // A user profile is validated by the kernel.
        let mut spec = firebreak_fwi::DangerProfile::china_fwi().spec().clone();
        spec.id = "hengyang_local".into();
        spec.levels[2].from = 1.0; // below level 2's threshold
        let (st, r) = s
            .send(&tok, reqwest::Method::POST, "/api/v1/fire/profiles", serde_json::to_value(&spec).expect("json"))
            .await;
        assert_eq!(st, 422, "{r}");
        assert!(r["detail"].as_str().is_some_and(|d| d.contains("level 3")), "{r}");
        spec.levels[2].from = 8.0;
        let (st, _) = s
            .send(&tok, reqwest::Method::POST, "/api/v1/fire/profiles", serde_json::to_value(&spec).expect("json"))
            .await;
        assert_eq!(st, 201);
        let (st, _) = s
            .send(
                &tok,
                reqwest::Method::POST,
                "/api/v1/fire/profiles",
                serde_json::to_value(firebreak_fwi::DangerProfile::effis().spec()).expect("json"),
            )
            .await;
        assert_eq!(st, 409, "shipped ids are read-only");
        // Switching to EFFIS re-levels the stored days: on May 7 the demo stations (~27°N) have
        // FWI 45.9 → EFFIS "very high" (class 5 here); 1985's 52.6 was at the 46°N tables.
        let (st, r) = s.send(&tok, reqwest::Method::PUT, "/api/v1/fire/profiles/active", json!({"id": "effis"})).await;
        assert_eq!(st, 204, "{r}");
        let m = s.json(&tok, "/api/v1/fire/danger?date=2026-05-07").await;
        assert_eq!(m["profile_id"], "effis");
        let c = m["units"].as_array().expect("units").iter().find(|u| u["code"] == "430421").cloned().expect("衡阳县");
        assert_eq!(c["level"]["number"], 5, "{c}");
        assert_eq!(c["level"]["name_en"], "Very high");
        assert_eq!(c["day"]["profile_id"], "effis");
        // An assignment overrides the county's inheritance for a township.
        let (st, r) = s
            .send(&tok, reqwest::Method::PUT, "/api/v1/fire/assignments/430482203", json!({"station": "D430421"}))
            .await;
        assert_eq!(st, 204, "{r}");
        let m = s.json(&tok, "/api/v1/fire/danger?date=2026-05-07").await;
        let t =
            m["units"].as_array().expect("units").iter().find(|u| u["code"] == "430482203").cloned().expect("大堡乡");
        assert_eq!((t["station"].as_str(), t["basis"].as_str()), (Some("D430421"), Some("assigned")));
        // Villages inherit from their township.
        let m = s.json(&tok, "/api/v1/fire/danger?date=2026-05-07&villages=true").await;
        let v = m["units"]
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["code"] == "430482203216")
            .cloned()
            .expect("高竹村");
        assert_eq!((v["station"].as_str(), v["basis"].as_str()), (Some("D430421"), Some("township")));
        let (st, _) =
            s.send(&tok, reqwest::Method::PUT, "/api/v1/fire/assignments/430400", json!({"station": "D430421"})).await;
        assert_eq!(st, 422, "the city itself takes no station");
        // Only administrators manage profiles; a county user may not assign outside the county.
        let cmd = s.token("commander").await;
        let (st, _) =
            s.send(&cmd, reqwest::Method::PUT, "/api/v1/fire/profiles/active", json!({"id": "china_fwi"})).await;
        assert_eq!(st, 403);
        assert!(audit_count(&s.db, "update", "fire_active_profile").await == 1);
        assert!(audit_count(&s.db, "update", "fire_assignment").await >= 3);
    })
    .await;
}

#[test]
fn cli_import_weather_into_a_station() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("path");
    let (ok, _, err) = run_cli(&[
        "import",
        "jurisdictions",
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/jurisdictions/hengyang_430400"),
        "--data-dir",
        d,
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = run_cli(&[
        "fire",
        "add-station",
        "--data-dir",
        d,
        "--code",
        "HY01",
        "--name",
        "衡阳县站",
        "--lat",
        "26.97",
        "--lon",
        "112.37",
        "--jurisdiction",
        "430421",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("HY01"));
    let weather = concat!(env!("CARGO_MANIFEST_DIR"), "/data/fire/vwp1985_weather.csv");
    let (ok, _, err) = run_cli(&["fire", "import-weather", weather, "--station", "HY01", "--data-dir", d]);
    assert!(!ok);
    assert!(err.contains("line 2: no date"), "{err}");
    let (ok, out, err) =
        run_cli(&["fire", "import-weather", weather, "--station", "HY01", "--year", "2026", "--data-dir", d]);
    assert!(ok, "{err}");
    assert!(
        out.contains("station HY01: 49 rows (49 new, 0 changed, 0 unchanged); recomputed 49 days from 2026-04-13"),
        "{out}"
    );
    let (ok, out, _) =
        run_cli(&["fire", "import-weather", weather, "--station", "HY01", "--year", "2026", "--data-dir", d]);
    assert!(ok && out.contains("49 unchanged); recomputed 0 days"), "{out}");
    let (ok, out, _) = run_cli(&["audit", "verify", "--data-dir", d]);
    assert!(ok, "{out}");
}
