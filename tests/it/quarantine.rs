//! Quarantine stays (SQLite; PostgreSQL too when FIREBREAK_TEST_PG is set): placing a contact of
//! the investigation desk under control, check-in, health checks, samples, a positive result
//! opening a case, release with and without an override, the certificate, the worker's daily
//! list, refusals, scope, audit, recomputation after a profile change; the Tianjin contacts'
//! schedules against their exposure windows; the `policy schedule` CLI contract.

use crate::helpers::{CHANGNING_VILLAGE, TestDb, person, spawn_app};
use chrono::{Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}
fn day(n: i64) -> String {
    (today() + Duration::days(n)).to_string()
}

/// A facility in 常宁市 with a single room, a double room and a room out of service.
async fn facility(store: &TestDb) -> (i64, i64, i64, i64) {
    let now = "2022-10-01T00:00:00Z";
    let ts = if store.is_pg() { format!("'{now}'::timestamptz") } else { format!("'{now}'") };
    store.exec(&format!("INSERT INTO quarantine_facilities (code, name, jurisdiction_code, created_at) VALUES ('T1', '常宁测试隔离酒店', '430482', {ts})")).await;
    let f = store.count("SELECT id FROM quarantine_facilities WHERE code = 'T1'").await;
    for (n, kind, beds, status) in
        [("101", "single", 1, "free"), ("102", "double", 2, "free"), ("103", "single", 1, "out_of_service")]
    {
        store
            .exec(&format!(
                "INSERT INTO quarantine_rooms (facility_id, floor, number, kind, beds, status, updated_at) VALUES ({f}, 1, '{n}', '{kind}', {beds}, '{status}', {ts})"
            ))
            .await;
    }
    let room = |n: &str| format!("SELECT id FROM quarantine_rooms WHERE facility_id = {f} AND number = '{n}'");
    (f, store.count(&room("101")).await, store.count(&room("102")).await, store.count(&room("103")).await)
}

async fn status_text(r: reqwest::Response) -> (StatusCode, String) {
    let s = r.status();
    (s, r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn stay_flow_refusals_scope_and_recompute() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let (fid, r101, r102, r103) = facility(&app.store).await;
    let mut ids = Vec::new();
    for (i, name) in ["病例甲", "密接乙", "入境丙", "密接丁", "密接戊"].iter().enumerate() {
        ids.push(admin.create_person(&person(name, "430482", 700 + i as u64, CHANGNING_VILLAGE)).await);
    }
    let (x, a, b, d, e) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    // The case (investigation desk) and exposures: 乙 last exposed 10 days ago, 丁 2 days ago, 戊 2 days ago.
    let ts = if app.store.is_pg() { "now()".to_string() } else { format!("'{}'", Utc::now().to_rfc3339()) };
    app.store
        .exec(&format!(
            "INSERT INTO cases (person_id, source, source_id, classification, reporting_jurisdiction, home_jurisdiction, onset_date, report_date, \
             created_at, updated_at) VALUES ({x}, 'manual', 'T-1', 'confirmed', '430482', '430482', '{}', '{}', {ts}, {ts})",
            day(-11),
            day(-1)
        ))
        .await;
    let case_id = app.store.count("SELECT id FROM cases WHERE source_id = 'T-1'").await;
    for (p, when) in [(a, -10), (d, -2), (e, -2)] {
        let r = admin
            .post("/api/v1/exposures", &json!({"person_a": x, "person_b": p, "kind": "household", "start_date": day(when), "protection": "none"}))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }

    // 乙 under control from the contact: close contact, count from the last exposure (day 0).
    let r = admin.post("/api/v1/quarantine/stays", &json!({"person_id": a, "case_id": case_id})).await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let sa = serde_json::from_str::<Value>(&t).expect("json")["id"].as_i64().expect("id");
    let da = admin.get_json(&format!("/api/v1/quarantine/stays/{sa}")).await;
    assert_eq!(da["stay"]["control_kind"], "close-contact");
    assert_eq!(da["stay"]["profile"], "covid19-9th");
    assert_eq!(da["stay"]["start_date"], day(-10));
    assert_eq!(da["stay"]["end_date"], day(0));
    assert!(da["stay"]["id_number"].as_str().expect("id").contains('*'), "masked");
    let tests: Vec<&str> = da["schedule"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["item"] == "test")
        .filter_map(|r| r["date_to"].as_str())
        .collect();
    assert_eq!(tests, [day(-9), day(-8), day(-7), day(-5), day(-3), day(0)]);
    let controlled = app
        .store
        .count(&format!(
            "SELECT COUNT(*) FROM contacts WHERE case_id = {case_id} AND person_id = {a} AND controlled_at IS NOT NULL"
        ))
        .await;
    assert_eq!(controlled, 1, "the contact is marked as controlled");
    // Twice: refused.
    let r = admin.post("/api/v1/quarantine/stays", &json!({"person_id": a, "case_id": case_id})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // By hand: an inbound traveller who arrived yesterday; medium-risk under the 20 measures: abolished.
    let r = admin
        .post("/api/v1/quarantine/stays", &json!({"person_id": b, "control_kind": "inbound", "start_date": day(-1)}))
        .await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let sb = serde_json::from_str::<Value>(&t).expect("json")["id"].as_i64().expect("id");
    let r = admin
        .post("/api/v1/quarantine/stays", &json!({"person_id": e, "control_kind": "medium-risk-area", "start_date": day(-1), "profile": "covid19-20-measures"}))
        .await;
    let v = crate::helpers::assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "control_kind").await;
    assert!(v["detail"].as_str().unwrap_or("").contains("abolished"), "{v}");

    // Check-in: out of service refused, single room taken once, double room twice.
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sa}/check-in"), &json!({"room_id": r103})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sa}/check-in"), &json!({"room_id": r101})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.store
            .count(&format!("SELECT COUNT(*) FROM quarantine_rooms WHERE id = {r101} AND status = 'occupied'"))
            .await,
        1
    );
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sb}/check-in"), &json!({"room_id": r101})).await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(t.contains("full"), "{t}");
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sa}/check-in"), &json!({"room_id": r102})).await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::CONFLICT, "already checked in: {t}");
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sb}/check-in"), &json!({"room_id": r102})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // Health checks: 60 °C refused; 36.5 fine; 37.8 a fever alert; a symptom an alert.
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sa}/checks"), &json!({"temperature_c": 60.0})).await;
    crate::helpers::assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "temperature_c").await;
    for (t, sym) in [(36.5, ""), (37.8, ""), (36.9, "cough")] {
        let r = admin
            .post(&format!("/api/v1/quarantine/stays/{sa}/checks"), &json!({"temperature_c": t, "symptoms": sym}))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let da = admin.get_json(&format!("/api/v1/quarantine/stays/{sa}")).await;
    let alerts: Vec<&str> =
        da["alerts"].as_array().expect("alerts").iter().filter_map(|a| a["kind"].as_str()).collect();
    assert_eq!(alerts, ["fever", "symptom"]);

    // The worklist of the facility: both people, checks recorded today, the swab due today.
    let wl = admin.get_json(&format!("/api/v1/quarantine/facilities/{fid}/worklist")).await;
    let rows = wl.as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    let ra = rows.iter().find(|r| r["stay_id"] == sa).expect("乙");
    assert_eq!((ra["checks_today"].as_i64(), ra["release_due"].as_bool()), (Some(3), Some(true)));
    let page = admin.page(&format!("/quarantine/facilities/{fid}/worklist")).await.text().await.expect("page");
    assert!(page.contains("密接乙") && page.contains("入境丙"), "worklist page");

    // Release before the day-7 test is negative: refused; sample of day 7 (3 days ago), negative: released
    // from the facility, handed over to home health monitoring with the village worker.
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sa}/release"), &json!({})).await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::CONFLICT, "{t}");
    assert!(t.contains("no negative result"), "{t}");
    let taken = format!("{}T02:00:00Z", day(-3));
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sa}/samples"), &json!({"taken_at": taken})).await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let sample = serde_json::from_str::<Value>(&t).expect("json")["id"].as_i64().expect("id");
    let r = admin.post(&format!("/api/v1/quarantine/samples/{sample}/result"), &json!({"result": "negative"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sa}/release"), &json!({})).await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let out: Value = serde_json::from_str(&t).expect("json");
    assert_eq!(out["next"], "home-health-monitoring");
    let gaozhu_id = app.store.count("SELECT id FROM users WHERE username = 'gaozhu'").await;
    assert_eq!(out["worker_user_id"].as_i64(), Some(gaozhu_id));
    assert_eq!(
        app.store
            .count(&format!("SELECT COUNT(*) FROM quarantine_rooms WHERE id = {r101} AND status = 'cleaning'"))
            .await,
        1
    );
    let cert = admin.page(&format!("/quarantine/stays/{sa}/certificate")).await;
    assert_eq!(cert.status(), StatusCode::OK);
    let cert = cert.text().await.expect("page");
    assert!(cert.contains("解除隔离告知书") && cert.contains("密接乙") && cert.contains("居家健康监测"), "certificate");

    // The village worker's daily list: 乙 at home, home day 3 test due today, release due today.
    let gaozhu = app.login("gaozhu").await;
    let list = gaozhu.get_json("/api/v1/quarantine/home-list").await;
    let it = list.as_array().expect("rows").iter().find(|r| r["stay_id"] == sa).expect("乙 on the list").clone();
    assert_eq!((it["swab_due"].as_bool(), it["release_due"].as_bool()), (Some(true), Some(true)));
    // Release from home without the day-3 result: refused; the worker may not override; an administrator may, with a reason.
    let r = gaozhu.post(&format!("/api/v1/quarantine/stays/{sa}/release"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r =
        gaozhu.post(&format!("/api/v1/quarantine/stays/{sa}/release"), &json!({"override_reason": "结果延迟"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .post(
            &format!("/api/v1/quarantine/stays/{sa}/release"),
            &json!({"override_reason": "检测结果延迟，指挥部同意"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let da = admin.get_json(&format!("/api/v1/quarantine/stays/{sa}")).await;
    assert_eq!((da["stay"]["status"].as_str(), da["stay"]["override_by"].as_str()), (Some("released"), Some("admin")));
    // A health check for someone released: refused.
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sa}/checks"), &json!({"temperature_c": 36.6})).await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(t.contains("released"), "{t}");

    // 丙 released on day 1: refused; the commander overrides with a reason.
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sb}/release"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let commander = app.login("commander").await;
    let r = commander
        .post(&format!("/api/v1/quarantine/stays/{sb}/release"), &json!({"override_reason": "转定点医院观察"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // 丁: a positive result opens a case linked to the case they were exposed to.
    let r = admin.post("/api/v1/quarantine/stays", &json!({"person_id": d, "case_id": case_id})).await;
    let sd = r.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    // Room 102 is being cleaned after 丙 left: refused; room 101, marked clean by the staff, is fine.
    assert_eq!(
        app.store
            .count(&format!("SELECT COUNT(*) FROM quarantine_rooms WHERE id = {r102} AND status = 'cleaning'"))
            .await,
        1
    );
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sd}/check-in"), &json!({"room_id": r102})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.store.exec(&format!("UPDATE quarantine_rooms SET status = 'free' WHERE id = {r101}")).await;
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sd}/check-in"), &json!({"room_id": r101})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = admin.post(&format!("/api/v1/quarantine/stays/{sd}/samples"), &json!({})).await;
    let sample = r.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let r = admin.post(&format!("/api/v1/quarantine/samples/{sample}/result"), &json!({"result": "positive"})).await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let new_case = serde_json::from_str::<Value>(&t).expect("json")["case_id"].as_i64().expect("case opened");
    let link = app
        .store
        .count(&format!("SELECT COUNT(*) FROM transmission_links WHERE infectee_case_id = {new_case} AND infector_case_id = {case_id}"))
        .await;
    assert_eq!(link, 1, "linked to the case 丁 was a contact of");
    let c = admin.get_json(&format!("/api/v1/cases/{new_case}")).await;
    assert_eq!((c["case"]["person_id"].as_i64(), c["case"]["how_found"].as_str()), (Some(d), Some("quarantine")));
    let dd = admin.get_json(&format!("/api/v1/quarantine/stays/{sd}")).await;
    assert_eq!(dd["stay"]["status"], "converted");
    assert!(dd["alerts"].as_array().expect("alerts").iter().any(|a| a["kind"] == "positive"));

    // Scope: a 衡山县 investigator does not see a 常宁市 stay; the attempt is recorded.
    let hengshan = app.login("hengshan").await;
    assert_eq!(hengshan.get(&format!("/api/v1/quarantine/stays/{sd}")).await.status(), StatusCode::NOT_FOUND);
    assert!(app.store.audit_count("hengshan", "denied").await >= 1);
    assert!(app.store.audit_count("admin", "read").await >= 1, "reads of stays are audited");
    // Roles: the duty officer may not place people under control.
    let duty = app.login("duty").await;
    let r = duty
        .post("/api/v1/quarantine/stays", &json!({"person_id": e, "control_kind": "inbound", "start_date": day(0)}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Profile change: 戊 (close contact, last exposure 2 days ago, 9th: ends in 8 days) under the 20 measures.
    let r = admin.post("/api/v1/quarantine/stays", &json!({"person_id": e, "case_id": case_id})).await;
    let se = r.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let before = admin.get_json(&format!("/api/v1/quarantine/stays/{se}")).await;
    assert_eq!(before["stay"]["end_date"], day(8));
    let p = admin
        .post("/api/v1/quarantine/recompute", &json!({"profile": "covid19-20-measures"}))
        .await
        .json::<Value>()
        .await
        .expect("json");
    let row =
        p["changed"].as_array().expect("changed").iter().find(|c| c["stay_id"] == se).expect("戊 changes").clone();
    assert_eq!((row["end_from"].as_str(), row["end_to"].as_str()), (Some(day(8).as_str()), Some(day(6).as_str())));
    // Nothing applied by a preview.
    assert_eq!(admin.get_json(&format!("/api/v1/quarantine/stays/{se}")).await["stay"]["end_date"], day(8));
    let r =
        admin.post("/api/v1/quarantine/recompute", &json!({"profile": "covid19-20-measures", "confirm": true})).await;
    crate::helpers::assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "reason").await;
    let r = admin
        .post(
            "/api/v1/quarantine/recompute",
            &json!({"profile": "covid19-20-measures", "confirm": true, "reason": "二十条自11月11日起施行"}),
        )
        .await;
    let (s, t) = status_text(r).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let after = admin.get_json(&format!("/api/v1/quarantine/stays/{se}")).await;
    assert_eq!(
        (after["stay"]["end_date"].as_str(), after["stay"]["profile"].as_str()),
        (Some(day(6).as_str()), Some("covid19-20-measures"))
    );
    let measures: Vec<&str> = after["schedule"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["item"] == "measure")
        .filter_map(|r| r["measure"].as_str())
        .collect();
    assert_eq!(measures, ["centralized-quarantine", "home-quarantine"]);
    assert_eq!(
        app.store
            .count(
                "SELECT COUNT(*) FROM schedule_recomputations WHERE profile_to = 'covid19-20-measures' AND changed >= 1"
            )
            .await,
        1
    );
    assert_eq!(app.store.audit_count("admin", "recompute").await, 1);
    // A second run changes nothing.
    let p = admin
        .post("/api/v1/quarantine/recompute", &json!({"profile": "covid19-20-measures"}))
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(p["changed"].as_array().map(Vec::len), Some(0), "{p}");
    // A date correction: a later last exposure moves the end.
    let p = admin
        .post(&format!("/api/v1/quarantine/stays/{se}/start-date"), &json!({"start_date": day(-1)}))
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(p["changed"][0]["end_to"], day(7));
    let r = admin
        .post(
            &format!("/api/v1/quarantine/stays/{se}/start-date"),
            &json!({"start_date": day(-1), "confirm": true, "reason": "末次暴露日更正"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(admin.get_json(&format!("/api/v1/quarantine/stays/{se}")).await["stay"]["start_date"], day(-1));

    // Pages render.
    for path in ["/quarantine", &format!("/quarantine/stays/{se}"), "/quarantine/home", "/quarantine/recompute"] {
        let r = admin.page(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

/// The Tianjin cases (Tindale et al. 2020) that name an infector were that infector's contacts:
/// placed under control as close contacts counted from the end of their exposure window, the
/// schedule starts the day after the window, every test falls after it, and the 9th edition's
/// 7 + 3 days end 10 days after it.
#[tokio::test]
async fn tianjin_contacts_get_schedules_consistent_with_their_exposure_windows() {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/tracing/tianjin_clusters_2020/Tianjin135cases_revised.csv");
    if !p.is_file() {
        eprintln!("SKIP: {} not found; real-data test skipped", p.display());
        return;
    }
    use firebreak::tracing::import::{self, FileKind, ImportOptions, Preset};
    let store = TestDb::seeded().await;
    let db = &store.db;
    let bytes = std::fs::read(&p).expect("read");
    let batch = import::parse(Preset::Tianjin, FileKind::Linelist, "Tianjin135cases_revised.csv", &bytes, today())
        .expect("parse");
    let actor = firebreak::audit::Actor::system();
    let o = ImportOptions {
        actor: &actor,
        attach_to: None,
        scope: None,
        skip_bad_rows: false,
        dry_run: false,
        progress: None,
    };
    import::write(db, batch, &o).await.expect("import");
    let scope = firebreak::jurisdictions::scope_of(db, "x-tianjin").await.expect("db").expect("x-tianjin root");
    let rows: Vec<(i64, NaiveDate, Option<NaiveDate>)> = firebreak::db_run!(db, pool => sqlx::query_as::<_, (i64, NaiveDate, Option<NaiveDate>)>(
        "SELECT DISTINCT c.person_id, c.exposure_end, c.onset_date FROM cases c JOIN transmission_links l ON l.infectee_case_id = c.id \
         WHERE c.source = 'tianjin' AND c.exposure_end IS NOT NULL ORDER BY c.person_id").fetch_all(pool).await).expect("contacts");
    assert!(rows.len() >= 30, "Tianjin infectees with an exposure window: {}", rows.len());
    let mut onset_inside = 0;
    for (person_id, exposure_end, onset) in &rows {
        let x = firebreak::quarantine::ControlInput {
            person_id: *person_id,
            control_kind: Some("close-contact".into()),
            start_date: Some(exposure_end.to_string()),
            ..Default::default()
        };
        let id = firebreak::quarantine::put_under_control(db, &scope, &actor, &x).await.expect("under control");
        let d = firebreak::quarantine::detail(db, &scope, &actor, id).await.expect("stay");
        assert_eq!(d.stay.profile, "covid19-9th", "2020 dates: the default profile");
        assert_eq!(d.stay.start_date, *exposure_end);
        assert_eq!(d.stay.end_date, *exposure_end + Duration::days(10));
        let first = d.schedule.iter().map(|r| r.date_from).min().expect("rows");
        assert_eq!(first, *exposure_end + Duration::days(1), "day 1 is the day after the last exposure");
        assert!(d.schedule.iter().all(|r| r.date_from > *exposure_end), "nothing scheduled inside the exposure window");
        assert_eq!(d.schedule.iter().filter(|r| r.item == "test").count(), 6);
        if onset.is_some_and(|o| o > *exposure_end && o <= d.stay.end_date) {
            onset_inside += 1;
        }
    }
    // Those who fell ill within 10 days of their last exposure would have been found in
    // quarantine; the others' windows end at or after their onset (household exposure went on).
    eprintln!("Tianjin: {} contacts, {onset_inside} with onset inside the quarantine period", rows.len());
    assert_eq!((rows.len(), onset_inside), (39, 19));
}

/// `firebreak policy schedule` prints exactly the contract's JSON and touches no database.
#[test]
fn policy_schedule_cli_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .current_dir(dir.path())
        .args([
            "policy",
            "schedule",
            "--profile",
            "covid19-20-measures",
            "--kind",
            "close-contact",
            "--start",
            "2022-11-15",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v,
        json!({"measures": [
            {"measure": "centralized-quarantine", "from": "2022-11-16", "to": "2022-11-20", "days": 5},
            {"measure": "home-quarantine", "from": "2022-11-21", "to": "2022-11-23", "days": 3}],
         "tests": [
            {"date": "2022-11-16", "measure": "centralized-quarantine", "day": 1},
            {"date": "2022-11-17", "measure": "centralized-quarantine", "day": 2},
            {"date": "2022-11-18", "measure": "centralized-quarantine", "day": 3},
            {"date": "2022-11-20", "measure": "centralized-quarantine", "day": 5},
            {"date": "2022-11-21", "measure": "home-quarantine", "day": 1},
            {"date": "2022-11-23", "measure": "home-quarantine", "day": 3}]})
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "no database file created");
    let out = Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .args([
            "policy",
            "schedule",
            "--profile",
            "covid19-20-measures",
            "--kind",
            "secondary-contact",
            "--start",
            "2022-11-15",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no longer identified"));
}
