//! Investigation desk on the real tracing files (../shared/data/tracing; NC files are read in
//! place, never copied): imports with presets, idempotent re-imports, all-or-nothing refusals,
//! chain figures, the CLI contract, scoping and contact classification. SQLite always;
//! PostgreSQL too when FIREBREAK_TEST_PG is set.

use firebreak::audit::Actor;
use firebreak::db::{DatabaseUrl, Db};
use firebreak::tracing::import::{self, FileKind, ImportOptions, ImportReport, Preset};
use std::path::PathBuf;

fn data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tracing").join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("SKIP: {} not found; real-data test skipped", p.display());
        None
    }
}

/// Fresh databases: SQLite in a tempdir, and PostgreSQL when FIREBREAK_TEST_PG is set.
async fn databases() -> Vec<(Db, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = DatabaseUrl(format!("sqlite://{}", dir.path().join("fb.db").display()));
    let mut out = vec![(Db::connect(&url).await.expect("sqlite"), Some(dir))];
    if let Ok(pg) = std::env::var("FIREBREAK_TEST_PG") {
        // The server's own database may hold other branches' migrations: connect without migrating.
        let admin = sqlx::PgPool::connect(&pg).await.expect("postgres");
        let name = format!("fb_{}", &firebreak::auth::session::random_token()[..12].to_ascii_lowercase());
        let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.expect("create db");
        let base = pg.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(pg);
        out.push((Db::connect(&DatabaseUrl(format!("{base}/{name}"))).await.expect("postgres db"), None));
    } else {
        eprintln!("FIREBREAK_TEST_PG not set: PostgreSQL run skipped");
    }
    out
}

async fn run(
    db: &Db,
    preset: Preset,
    kind: FileKind,
    path: &PathBuf,
    skip: bool,
) -> Result<ImportReport, import::ImportError> {
    let bytes = std::fs::read(path).expect("read");
    let name = path.file_name().expect("name").to_string_lossy().to_string();
    let today = chrono::Utc::now().date_naive();
    let batch = import::parse(preset, kind, &name, &bytes, today).expect("parse");
    let actor = Actor::system();
    let o = ImportOptions {
        actor: &actor,
        attach_to: None,
        scope: None,
        skip_bad_rows: skip,
        dry_run: false,
        progress: None,
    };
    import::write(db, batch, &o).await
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    firebreak::db_run!(db, p => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(p).await)
        .expect("count")
}

#[tokio::test]
async fn ds4c_figures_and_idempotent_reimport() {
    let (Some(info), Some(route)) =
        (data("ds4c_korea_2020-06/PatientInfo.csv"), data("ds4c_korea_2020-06/PatientRoute.csv"))
    else {
        return;
    };
    for (db, _dir) in databases().await {
        let r = run(&db, Preset::Ds4c, FileKind::Linelist, &info, false).await.expect("import");
        assert_eq!((r.cases_new, r.links_new, r.links_unobserved), (4_004, 899, 18), "{}", db.backend());
        // Two self-links and seven mutual pairs are reported, not fatal.
        assert_eq!(r.warnings.iter().filter(|w| w.message.contains("cycle")).count(), 7);
        assert_eq!(r.warnings.iter().filter(|w| w.message.contains("names itself")).count(), 2);
        let s =
            firebreak::tracing::load_chains(&db, None, None, None).await.expect("chains").summary(5).expect("summary");
        assert_eq!(s.cases, 4_004);
        assert_eq!((s.links_resolved, s.links_unobserved), (881, 18));
        assert_eq!((s.chains, s.largest_chain), (268, 67));
        assert_eq!((s.top_spreaders[0].case.as_str(), s.top_spreaders[0].infectees), ("2000000205", 51));
        // Korean places live under the data set's own root, never in the admin tree.
        let root = firebreak::jurisdictions::get(&db, "x-ds4c").await.expect("get").expect("root");
        assert_eq!(root.path, "/x-ds4c/");
        assert!(firebreak::jurisdictions::get(&db, "x-ds4c-seoul-gangseo-gu").await.expect("get").is_some());
        // Public line-list people have no document: one source_record person per patient.
        assert_eq!(count(&db, "people").await, 4_004);

        let before = (
            count(&db, "cases").await,
            count(&db, "transmission_links").await,
            count(&db, "people").await,
            count(&db, "jurisdictions").await,
        );
        let again = run(&db, Preset::Ds4c, FileKind::Linelist, &info, false).await.expect("re-import");
        assert_eq!((again.cases_new, again.cases_existing, again.links_new, again.places_new), (0, 4_004, 0, 0));
        let after = (
            count(&db, "cases").await,
            count(&db, "transmission_links").await,
            count(&db, "people").await,
            count(&db, "jurisdictions").await,
        );
        assert_eq!(before, after);
        assert_eq!(firebreak::tracing::refresh_chains(&db).await.expect("refresh"), 0, "nothing to recompute");
        assert_eq!(again.cases_updated, 0, "unchanged rows update nothing");
        // DS4C's infection_case labels became clusters of the source, once.
        let labels =
            count(&db, "(SELECT DISTINCT cluster FROM cases WHERE source = 'ds4c' AND cluster IS NOT NULL) t").await;
        assert!(labels > 10, "{labels} labels");
        assert_eq!(count(&db, "clusters WHERE jurisdiction_code = 'x-ds4c'").await, labels);
        assert_eq!(
            count(&db, "cluster_cases").await,
            count(&db, "cases WHERE source = 'ds4c' AND cluster IS NOT NULL").await
        );

        let v = run(&db, Preset::Ds4c, FileKind::Itinerary, &route, false).await.expect("itinerary");
        assert!(v.visits_new > 7_000, "{v:?}");
        let v2 = run(&db, Preset::Ds4c, FileKind::Itinerary, &route, false).await.expect("itinerary again");
        assert_eq!(v2.visits_new, 0);
        // The biggest chain's members carry its id and generations 0..
        let (n, gmax): (i64, Option<i64>) = firebreak::db_run!(&db, p => sqlx::query_as::<_, (i64, Option<i64>)>(
            "SELECT COUNT(*), MAX(generation) FROM cases WHERE chain_id = (SELECT chain_id FROM cases WHERE source_id = '2000000205')")
            .fetch_one(p).await).expect("chain");
        assert_eq!(n, 67);
        assert!(gmax.is_some_and(|g| g >= 1));
    }
}

#[tokio::test]
async fn ebola_sim_links_keep_unobserved_infectors() {
    let (Some(ll), Some(ct)) = (data("ebola_sim/ebola_sim__linelist.csv"), data("ebola_sim/ebola_sim__contacts.csv"))
    else {
        return;
    };
    for (db, _dir) in databases().await {
        // Links before the line list: every infectee is unknown → the whole file is refused.
        match run(&db, Preset::EbolaSim, FileKind::Links, &ct, false).await {
            Err(import::ImportError::BadRows { problems, .. }) => {
                assert_eq!(problems.len(), 3_800);
                assert_eq!(problems[0].line, 2);
                assert!(problems[0].message.contains("53371b"), "{}", problems[0]);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(count(&db, "transmission_links").await, 0);
        let r = run(&db, Preset::EbolaSim, FileKind::Linelist, &ll, false).await.expect("line list");
        assert_eq!(r.cases_new, 5_888);
        // 200 simulated rows have an outcome before the onset: kept, each named as a warning.
        assert_eq!(r.warnings.iter().filter(|w| w.message.contains("after the outcome")).count(), 200);
        let l = run(&db, Preset::EbolaSim, FileKind::Links, &ct, false).await.expect("links");
        assert_eq!((l.links_new, l.links_unobserved), (3_800, 1_639));
        let s =
            firebreak::tracing::load_chains(&db, None, None, None).await.expect("chains").summary(5).expect("summary");
        assert_eq!((s.cases, s.links_resolved, s.links_unobserved), (5_888, 2_161, 1_639));
        assert_eq!((s.chains, s.largest_chain), (996, 12));
        let again = run(&db, Preset::EbolaSim, FileKind::Links, &ct, false).await.expect("again");
        assert_eq!((again.links_new, again.links_existing), (0, 3_800));
    }
}

#[tokio::test]
async fn tianjin_and_ali_pairs() {
    let (Some(tj), Some(ali)) = (
        data("tianjin_clusters_2020/Tianjin135cases_revised.csv"),
        data("china_pairs_ali2020/TableS1_1407TransPairs.csv"),
    ) else {
        return;
    };
    for (db, _dir) in databases().await {
        let r = run(&db, Preset::Tianjin, FileKind::Linelist, &tj, false).await.expect("tianjin");
        assert_eq!((r.cases_new, r.links_new), (135, 94));
        let r = run(&db, Preset::Ali2020Pairs, FileKind::Linelist, &ali, false).await.expect("ali");
        // Each pair row creates or matches two cases.
        assert_eq!((r.rows, r.links_new), (1_407, 1_407));
        assert_eq!(r.cases_new, 2_050);
        let s = firebreak::tracing::load_chains(&db, None, Some("tianjin"), None)
            .await
            .expect("chains")
            .summary(3)
            .expect("summary");
        assert_eq!((s.cases, s.links_resolved, s.chains, s.largest_chain), (135, 94, 24, 10));
        assert_eq!(s.top_spreaders[0].case, "TJ93");
        let all =
            firebreak::tracing::load_chains(&db, None, None, None).await.expect("chains").summary(3).expect("summary");
        assert_eq!(all.cases, 135 + 2_050);
    }
}

#[tokio::test]
async fn bad_rows_all_or_nothing_or_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::connect(&DatabaseUrl(format!("sqlite://{}", dir.path().join("fb.db").display()))).await.expect("db");
    let csv = "case_id,gender ,age,symptom_onset,symptom_type,confirm_date,Infection_source,start_source,end_source,severity,death\n\
        TJ1,F,59,14/01/2020,NA,21/01/2020,Wuhan,05/01/2020,14/01/2020,severe,\n\
        TJ2,M,57,31/02/2020,NA,21/01/2020,TJ1,,18/01/2020,severe,\n\
        TJ3,M,50,18/01/2020,NA,21/01/2099,case TJ1,,,normal,\n\
        TJ1,F,33,18/01/2020,NA,22/01/2020,,,,normal,\n\
        TJ4,F,40,19/01/2020,NA,23/01/2020,family of TJ77,,,normal,\n";
    let today = chrono::Utc::now().date_naive();
    let actor = Actor::system();
    let parse = || import::parse(Preset::Tianjin, FileKind::Linelist, "t.csv", csv.as_bytes(), today).expect("parse");
    let o = ImportOptions {
        actor: &actor,
        attach_to: None,
        scope: None,
        skip_bad_rows: false,
        dry_run: false,
        progress: None,
    };
    let err = import::write(&db, parse(), &o).await.expect_err("refused");
    let msg = err.to_string();
    assert!(msg.contains("line 3, column symptom_onset") && msg.contains("31/02/2020"), "{msg}");
    assert!(msg.contains("line 4, column confirm_date") && msg.contains("in the future"), "{msg}");
    assert!(msg.contains("line 5, column case_id") && msg.contains("already listed on line 2"), "{msg}");
    assert_eq!(count(&db, "cases").await, 0, "nothing half-written");
    let o = ImportOptions { skip_bad_rows: true, ..o };
    let r = import::write(&db, parse(), &o).await.expect("skip");
    assert_eq!(r.cases_new, 2, "TJ1 and TJ4");
    assert_eq!(r.skipped.iter().map(|p| p.line).collect::<Vec<_>>(), [3, 4, 5]);
    // TJ77 is not a case: the link is kept with an unobserved infector.
    assert_eq!(r.links_unobserved, 1);
    let s = firebreak::tracing::load_chains(&db, None, None, None).await.expect("chains").summary(3).expect("summary");
    assert_eq!((s.cases, s.links_resolved, s.links_unobserved), (2, 0, 1));
}

#[tokio::test]
async fn cli_chains_summary_contract() {
    let Some(tj) = data("tianjin_clusters_2020/Tianjin135cases_revised.csv") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_firebreak");
    let out = std::process::Command::new(bin)
        .args(["import", "linelist"])
        .arg(&tj)
        .args(["--preset", "tianjin", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run import");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dry = std::process::Command::new(bin)
        .args(["import", "linelist"])
        .arg(&tj)
        .args(["--preset", "tianjin", "--dry-run", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run dry");
    assert!(String::from_utf8_lossy(&dry.stdout).contains("dry run: would import"));
    let out = std::process::Command::new(bin)
        .args(["chains", "summary", "--format", "json", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run summary");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["cases"], 135);
    assert_eq!(v["links_resolved"], 94);
    assert_eq!(v["links_unobserved"], 0);
    assert_eq!(v["chains"], 24);
    assert_eq!(v["largest_chain"], 10);
    assert_eq!(v["top_spreaders"][0], serde_json::json!({"case": "TJ93", "infectees": 6}));
}

/// Starts the server on `db` with the demo data (Hengyang tree, demo accounts, Tianjin cluster).
async fn serve_demo(db: Db) -> String {
    firebreak::demo::load(&db, "demo-password-1").await.expect("demo");
    let state = firebreak::web::AppState {
        db,
        cfg: std::sync::Arc::new(firebreak::web::Config { secure_cookies: false, ..Default::default() }),
        throttle: std::sync::Arc::default(),
    };
    let app = firebreak::web::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await;
    });
    format!("http://{addr}")
}

async fn token(c: &reqwest::Client, base: &str, user: &str) -> String {
    let r: serde_json::Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": "demo-password-1"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    r["token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn desk_api_scope_and_contact_classification() {
    for (db, _dir) in databases().await {
        let base = serve_demo(db.clone()).await;
        let c = reqwest::Client::new();
        let admin = token(&c, &base, "admin").await;
        let hengshan = token(&c, &base, "hengshan").await;
        // The demo's Tianjin cluster sits under x-tianjin, attached to 衡阳市: the city sees it.
        let page: serde_json::Value = c
            .get(format!("{base}/api/v1/cases?per_page=5&sort=id"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        assert_eq!(page["total"], 135);
        let case_id = page["items"][0]["id"].as_i64().expect("id");
        assert_eq!(page["items"][0]["source_id"], "TJ1");
        // A county investigator does not: 404 (recorded as denied), and a filter outside is 403.
        let r = c.get(format!("{base}/api/v1/cases/{case_id}")).bearer_auth(&hengshan).send().await.expect("get");
        assert_eq!(r.status(), 404);
        let r = c
            .get(format!("{base}/api/v1/cases?jurisdiction=x-tianjin"))
            .bearer_auth(&hengshan)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 403);
        let denied: i64 = firebreak::db_run!(&db, p => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'denied' AND entity = 'case'").fetch_one(p).await)
        .expect("audit");
        assert!(denied >= 2);
        let chains: serde_json::Value = c
            .get(format!("{base}/api/v1/chains"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("chains")
            .json()
            .await
            .expect("json");
        assert_eq!(chains["summary"]["chains"], 24);
        assert_eq!(chains["chains"][0]["size"], 10);

        // Contacts are classified by the profile. TJ1: onset 2020-01-14, no isolation date, so the
        // window runs from 2020-01-12 on. People from the registry (the demo's synthetic ones).
        let people: serde_json::Value = c
            .get(format!("{base}/api/v1/people?per_page=3"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("people")
            .json()
            .await
            .expect("json");
        let pid = |i: usize| people["items"][i]["id"].as_i64().expect("person id");
        let detail: serde_json::Value = c
            .get(format!("{base}/api/v1/cases/{case_id}"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("case")
            .json()
            .await
            .expect("json");
        let case_person = detail["case"]["person_id"].as_i64().expect("person");
        let expose = |a: i64, b: i64, kind: &str, day: &str, prot: &str| serde_json::json!({"person_a": a, "person_b": b, "kind": kind, "start_date": day, "protection": prot});
        for body in [
            expose(case_person, pid(0), "household", "2020-01-13", "none"),
            expose(case_person, pid(1), "meal", "2020-01-10", "none"),
            expose(pid(0), pid(2), "meal", "2020-01-15", "none"),
        ] {
            let r = c
                .post(format!("{base}/api/v1/exposures"))
                .bearer_auth(&admin)
                .json(&body)
                .send()
                .await
                .expect("exposure");
            assert_eq!(r.status(), 201, "{:?}", r.text().await);
        }
        let detail: serde_json::Value = c
            .get(format!("{base}/api/v1/cases/{case_id}"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("case")
            .json()
            .await
            .expect("json");
        let cls = |d: &serde_json::Value, p: i64| -> (String, String) {
            let k = d["contacts"].as_array().expect("contacts").iter().find(|k| k["person_id"] == p).expect("contact");
            (k["classification"].as_str().unwrap_or("").into(), k["rule_id"].as_str().unwrap_or("").into())
        };
        assert_eq!(cls(&detail, pid(0)), ("close".into(), "covid19-9th/close-contact".into()));
        assert_eq!(cls(&detail, pid(1)), ("other".into(), "covid19-9th/outside-window".into()));
        assert_eq!(cls(&detail, pid(2)), ("secondary".into(), "covid19-9th/secondary-contact".into()));
        // The close contact was placed under control on a day before that meal? Control now (after
        // the meal): still secondary. Reclassifying the case keeps the history.
        let r = c
            .post(format!("{base}/api/v1/cases/{case_id}/contacts/{}/control", pid(0)))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"at": "2020-01-14T08:00:00Z"}))
            .send()
            .await
            .expect("control");
        assert_eq!(r.status(), 204);
        let detail: serde_json::Value = c
            .get(format!("{base}/api/v1/cases/{case_id}"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("case")
            .json()
            .await
            .expect("json");
        assert!(
            detail["contacts"].as_array().expect("contacts").iter().all(|k| k["person_id"] != pid(2)),
            "under control before the meal: no secondary contact"
        );
        let r = c
            .post(format!("{base}/api/v1/cases/{case_id}/classification"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"classification": "asymptomatic", "reason": "no symptoms on review"}))
            .send()
            .await
            .expect("reclassify");
        assert_eq!(r.status(), 204);
        let detail: serde_json::Value = c
            .get(format!("{base}/api/v1/cases/{case_id}"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("case")
            .json()
            .await
            .expect("json");
        assert_eq!(detail["history"].as_array().expect("history").len(), 2);
        // Asymptomatic: the window now starts 2 days before sampling (here the report date,
        // 2020-01-21), so the 01-13 household exposure no longer makes a close contact.
        assert_eq!(cls(&detail, pid(0)), ("other".into(), "covid19-9th/outside-window".into()));
        // A county investigator may not record exposures for people outside their county.
        let r = c
            .post(format!("{base}/api/v1/exposures"))
            .bearer_auth(&hengshan)
            .json(&expose(case_person, pid(0), "meal", "2020-01-13", "none"))
            .send()
            .await
            .expect("exposure");
        assert_eq!(r.status(), 404);
    }
}
