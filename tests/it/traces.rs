//! Location traces and the companion search: the CLI on the real GeoLife traces (engine vs a
//! brute force written here), bad rows, idempotent re-import, the JSON/CSV contract, bad
//! queries, the simulator's determinism, and `POST /api/v1/colocate` (roles, audit).

use crate::helpers::*;
use firebreak::web::{self, AppState, Config};
use firebreak_tracestore::query::{Query, brute_force, colocate};
use firebreak_tracestore::sim::{SimOptions, SimOut, simulate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

fn geolife() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/trajectories/geolife_11users_2008/geolife_11users_oct2008.csv.gz");
    if p.exists() {
        Some(p)
    } else {
        println!("skipped: {} is absent (GeoLife, NC data, read from ../shared/data)", p.display());
        None
    }
}

fn fb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .args(args)
        .env("FIREBREAK_LOG", "warn")
        .env_remove("FIREBREAK_TRACE_STORE")
        .output()
        .expect("running firebreak")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn q(cases: &[&str], radius_m: f64, window_s: i64, from: &str, to: &str) -> Query {
    Query {
        cases: cases.iter().map(|s| s.to_string()).collect(),
        radius_m,
        window_s,
        from_us: firebreak_tracestore::time::parse_utc_us(from),
        to_us: firebreak_tracestore::time::parse_utc_us(to),
        min_copresence_s: 0,
        progress: false,
    }
}

/// Every row of the store (person, t seconds, lat, lon), read back with the Parquet reader.
fn all_points(store: &Path) -> Vec<(String, i64, f64, f64)> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, TimestampMicrosecondType};
    let mut out = Vec::new();
    for (_, dir) in firebreak_tracestore::store::day_dirs(store).expect("days") {
        for p in firebreak_tracestore::store::part_files(&dir).expect("parts") {
            let f = std::fs::File::open(&p).expect("open");
            let r = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
                .expect("parquet")
                .build()
                .expect("reader");
            for b in r {
                let b = b.expect("batch");
                let (pe, t) = (b.column(0).as_string::<i32>(), b.column(1).as_primitive::<TimestampMicrosecondType>());
                let (la, lo) = (b.column(2).as_primitive::<Float64Type>(), b.column(3).as_primitive::<Float64Type>());
                for i in 0..b.num_rows() {
                    out.push((pe.value(i).to_string(), t.value(i).div_euclid(1_000_000), la.value(i), lo.value(i)));
                }
            }
        }
    }
    out
}

/// The test's own brute force: every case point against every point (haversine, R =
/// 6,371,008.8 m): per companion, the encounters, first/last instant and closest distance.
fn naive(
    pts: &[(String, i64, f64, f64)],
    cases: &[&str],
    r: f64,
    w: i64,
    from: i64,
    to: i64,
) -> BTreeMap<String, (u64, i64, i64, f64)> {
    let hav = |a: (f64, f64), b: (f64, f64)| {
        let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
        let (dp, dl) = ((b.0 - a.0).to_radians(), (b.1 - a.1).to_radians());
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
    };
    let inr = |t: i64| t >= from && t < to;
    let cp: Vec<_> = pts.iter().filter(|p| cases.contains(&p.0.as_str()) && inr(p.1)).collect();
    let mut out: BTreeMap<String, (u64, i64, i64, f64)> = BTreeMap::new();
    for o in pts.iter().filter(|p| inr(p.1)) {
        for c in &cp {
            if c.0 == o.0 || c.1.abs_diff(o.1) > w as u64 {
                continue;
            }
            let d = hav((c.2, c.3), (o.2, o.3));
            if d <= r {
                let e = out.entry(o.0.clone()).or_insert((0, i64::MAX, i64::MIN, f64::INFINITY));
                e.0 += 1;
                e.1 = e.1.min(c.1.min(o.1));
                e.2 = e.2.max(c.1.max(o.1));
                e.3 = e.3.min(d);
            }
        }
    }
    out
}

#[test]
fn geolife_import_and_companions_equal_the_brute_force() {
    let Some(src) = geolife() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store");
    let s = store.to_str().expect("utf8 path");
    let o = fb(&["traces", "import", src.to_str().expect("utf8"), "--store", s, "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    // 164,531 rows in the file; 8 exact duplicates (same user, time and position).
    assert!(
        text(&o).contains("164531 rows read, 164523 written to 25 day partitions, 0 bad, 8 duplicates"),
        "{}",
        text(&o)
    );
    // Idempotent: the same file again changes nothing.
    let o = fb(&["traces", "import", src.to_str().expect("utf8"), "--store", s, "--quiet"]);
    assert!(text(&o).contains("already imported"), "{}", text(&o));
    let pts = all_points(&store);
    assert_eq!(pts.len(), 164_523);
    assert!(pts.iter().any(|p| p.0 == "003"), "person keys kept as text");

    // Three busy days (the test's own brute force is O(n·m) in a debug build).
    let (from, to) = ("2008-10-25", "2008-10-28");
    let (f, t) = (1_224_892_800, 1_225_152_000);
    for (cases, radius, window) in [
        (vec!["003"], 50.0, 300),
        (vec!["003"], 10.0, 60),
        (vec!["005"], 100.0, 600),
        (vec!["004", "005"], 25.0, 0),
        (vec!["000", "003"], 50.0, 900),
    ] {
        let query = q(&cases, radius, window, from, to);
        let engine = colocate(&store, &query).expect("engine");
        let reference = brute_force(&store, &query).expect("brute force");
        assert_eq!(engine.companions, reference.companions, "{cases:?} {radius} m {window} s");
        let mine = naive(&pts, &cases, radius, window, f, t);
        let got: BTreeMap<String, (u64, i64, i64, f64)> = engine
            .companions
            .iter()
            .map(|c| {
                let ts = |s: &str| firebreak_tracestore::time::parse_utc_us(s).expect("time") / 1_000_000;
                (c.person.clone(), (c.encounters, ts(&c.first), ts(&c.last), c.min_distance_m))
            })
            .collect();
        assert_eq!(got.keys().collect::<Vec<_>>(), mine.keys().collect::<Vec<_>>(), "{cases:?}");
        for (k, v) in &mine {
            let g = got[k];
            assert_eq!((g.0, g.1, g.2), (v.0, v.1, v.2), "{cases:?} {k}");
            assert!((g.3 - v.3).abs() <= 1e-6, "{cases:?} {k}: {} vs {}", g.3, v.3);
        }
        if cases == ["003"] && radius == 50.0 {
            // Users 003–005 were really together (see shared/data/README.md).
            assert!(got.contains_key("004") && got.contains_key("005"), "{got:?}");
        }
    }
}

#[test]
fn bad_rows_are_listed_with_line_and_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("in.csv");
    std::fs::write(
        &f,
        "person,time,lat,lon\n\
         a,2022-10-01T00:00:00Z,26.9,112.6\n\
         a,not-a-time,26.9,112.6\n\
         b,2022-10-01T00:00:00Z,-95,112.6\n\
         b,2022-10-01T00:00:00Z,26.9,200\n\
         a,2022-10-01T00:00:00Z,26.9,112.6\n",
    )
    .expect("write");
    let store = dir.path().join("s");
    let o = fb(&["traces", "import", f.to_str().expect("utf8"), "--store", store.to_str().expect("utf8"), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("5 rows read, 1 written to 1 day partitions, 3 bad, 1 duplicates"), "{out}");
    for needle in ["line 3: t:", "line 4: lat: -95", "line 5: lon: 200", "line 6: duplicate of line 2"] {
        assert!(out.contains(needle), "{needle} in {out}");
    }
    // Missing column: a clear error naming it.
    let g = dir.path().join("nocols.csv");
    std::fs::write(&g, "who,when,y,x\n").expect("write");
    let o = fb(&["traces", "import", g.to_str().expect("utf8"), "--store", store.to_str().expect("utf8")]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no person column"), "{}", text(&o));
}

#[test]
fn colocate_cli_contract_and_bad_queries() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("s");
    let s = store.to_str().expect("utf8");
    let o = fb(&[
        "sim",
        "traces",
        "--people",
        "400",
        "--days",
        "2",
        "--interval",
        "10m",
        "--seed",
        "3",
        "--out",
        s,
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = fb(&[
        "colocate", "--store", s, "--case", "p0000000", "--case", "p0000001", "--radius", "50", "--window", "5m",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let arr = v.as_array().expect("an array");
    assert!(!arr.is_empty());
    for c in arr {
        for k in ["person", "cases", "encounters", "first", "last", "min_distance_m", "copresence_minutes", "where"] {
            assert!(c.get(k).is_some(), "{k} in {c}");
        }
        assert!(c["where"]["lat"].is_f64() && c["where"]["lon"].is_f64());
        assert!(c["encounters"].as_u64().expect("count") >= 1);
        assert!(c["min_distance_m"].as_f64().expect("m") <= 50.0);
    }
    let o =
        fb(&["colocate", "--store", s, "--case", "p0000000", "--format", "csv", "--min-duration", "10m", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = String::from_utf8_lossy(&o.stdout);
    assert!(csv.starts_with("person,cases,encounters,first,last,min_distance_m,copresence_minutes,where_lat"), "{csv}");

    for (args, needle) in [
        (vec!["--radius", "0"], "radius"),
        (vec!["--radius", "-5"], "radius"),
        (vec!["--window", "2d"], "window"),
        (vec!["--window", "soon"], "--window"),
        (vec!["--from", "2022-10-02", "--to", "2022-10-01"], "from"),
        (vec!["--from", "next tuesday"], "--from"),
    ] {
        let mut a = vec!["colocate", "--store", s, "--case", "p0000000", "--quiet"];
        a.extend(args.iter());
        let o = fb(&a);
        assert!(!o.status.success(), "{args:?}");
        assert_ne!(o.status.code(), Some(101), "panic on {args:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{args:?}: {}", text(&o));
    }
    // A case with no trace in the range: a clear error, not an empty success.
    let o = fb(&["colocate", "--store", s, "--case", "nobody", "--quiet"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no case has a trace point"), "{}", text(&o));
    // A window longer than the range is fine (the answer is exact).
    let o = fb(&[
        "colocate",
        "--store",
        s,
        "--case",
        "p0000000",
        "--window",
        "1h",
        "--from",
        "2022-10-01T02:00:00Z",
        "--to",
        "2022-10-01T02:30:00Z",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn sim_is_deterministic() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let o = fb(&[
            "sim",
            "traces",
            "--people",
            "200",
            "--days",
            "2",
            "--interval",
            "15m",
            "--seed",
            seed,
            "--out",
            out.to_str().expect("utf8"),
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("38400 points"), "{}", text(&o));
        all_points(&out)
    };
    let a = run("a", "9");
    assert_eq!(a, run("b", "9"));
    assert_ne!(a, run("c", "10"));
    assert!(a.windows(2).all(|w| w[0].1 <= w[1].1), "sorted by time");
}

async fn spawn_with_store(store: Option<PathBuf>) -> TestApp {
    let db = TestDb::seeded().await;
    let state = AppState {
        db: db.db.clone(),
        cfg: Arc::new(Config { secure_cookies: false, trace_store: store, ..Default::default() }),
        throttle: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let addr = listener.local_addr().expect("addr");
    let app = web::app(state);
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serving");
    });
    TestApp { base: format!("http://{addr}"), store: db }
}

#[tokio::test]
async fn colocate_api_roles_audit_and_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("s");
    let st = store.clone();
    tokio::task::spawn_blocking(move || {
        simulate(
            &SimOptions { people: 300, days: 1, interval_s: 600, seed: 5, ..Default::default() },
            SimOut::Store(&st),
        )
    })
    .await
    .expect("task")
    .expect("sim");
    let app = spawn_with_store(Some(store.clone())).await;
    let body = json!({"cases": ["p0000000"], "radius_m": 50, "window_s": 300, "limit": 5});
    for who in ["hengshan", "admin"] {
        let s = app.login(who).await;
        let r = s.post("/api/v1/colocate", &body).await;
        assert_eq!(r.status(), StatusCode::OK, "{who}");
        let v: Value = r.json().await.expect("json");
        let cs = v["companions"].as_array().expect("companions");
        assert!(!cs.is_empty() && cs.len() <= 5);
        assert!(v["total"].as_u64().expect("total") >= cs.len() as u64);
        assert_eq!(cs[0]["cases"], json!(["p0000000"]));
        // Ranked by co-presence.
        let mins: Vec<f64> = cs.iter().map(|c| c["copresence_minutes"].as_f64().expect("min")).collect();
        assert!(mins.windows(2).all(|w| w[0] >= w[1]), "{mins:?}");
        assert_eq!(app.store.audit_count(who, "colocate").await, 1, "{who} audited");
    }
    // The same as the CLI/library answer.
    let lib = colocate(&store, &q(&["p0000000"], 50.0, 300, "1970-01-01", "2100-01-01")).expect("lib");
    let s = app.login("hengshan").await;
    let v: Value = s
        .post("/api/v1/colocate", &json!({"cases": ["p0000000"], "radius_m": 50, "window_s": 300, "limit": 100000}))
        .await
        .json()
        .await
        .expect("json");
    let got: Vec<(String, u64)> = v["companions"]
        .as_array()
        .expect("companions")
        .iter()
        .map(|c| (c["person"].as_str().expect("person").to_string(), c["encounters"].as_u64().expect("n")))
        .collect();
    let want: Vec<(String, u64)> = lib.companions.iter().map(|c| (c.person.clone(), c.encounters)).collect();
    assert_eq!(got, want);
    // Other roles: 403 and a `denied` entry.
    for who in ["commander", "gaozhu", "duty", "auditor"] {
        let s = app.login(who).await;
        let r = s.post("/api/v1/colocate", &body).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
        assert_eq!(app.store.audit_count(who, "denied").await, 1, "{who}");
        assert_eq!(app.store.audit_count(who, "colocate").await, 0, "{who}");
    }
    // Bad parameters: 422 naming the field.
    let s = app.login("hengshan").await;
    for (b, field) in [
        (json!({"cases": ["p0000000"], "radius_m": 0, "window_s": 300}), "radius_m"),
        (json!({"cases": ["p0000000"], "radius_m": 50, "window_s": 90000}), "window_s"),
        (json!({"cases": [], "radius_m": 50, "window_s": 300}), "cases"),
        (json!({"cases": ["p0000000"], "radius_m": 50, "window_s": 300, "from": "someday"}), "from"),
    ] {
        assert_problem(s.post("/api/v1/colocate", &b).await, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }
    // No session: 401.
    let r = client().post(app.url("/api/v1/colocate")).json(&body).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // No store configured: 503.
    let bare = spawn_with_store(None).await;
    let s = bare.login("admin").await;
    assert_eq!(s.post("/api/v1/colocate", &body).await.status(), StatusCode::SERVICE_UNAVAILABLE);
}
