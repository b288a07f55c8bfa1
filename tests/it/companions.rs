//! "Find companions" on the investigation desk: trace keys linked to people, the ranked
//! candidate list of a case (equal to the engine's answer, over the case's close-contact window
//! by default), confirmation into people + `companion` exposures + close contacts with the
//! evidence kept, idempotence, roles, jurisdiction scope and audit.

use crate::helpers::*;
use firebreak_tracestore::query::{Query, colocate};
use firebreak_tracestore::sim::{SimOptions, SimOut, simulate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;

const TIANJIN: &[u8] = include_bytes!("../../data/tracing/tianjin_clusters_2020/Tianjin135cases_revised.csv");

/// 300 simulated people in Baodi, 2020-01-24 … 25 (UTC), a fix every 15 minutes.
async fn sim_store(dir: &std::path::Path) -> PathBuf {
    let store = dir.join("traces");
    let st = store.clone();
    tokio::task::spawn_blocking(move || {
        let o = SimOptions {
            people: 300,
            days: 2,
            interval_s: 900,
            seed: 5,
            start_day: 18_285,
            bbox: firebreak::demo::BAODI_BBOX,
            ..Default::default()
        };
        simulate(&o, SimOut::Store(&st))
    })
    .await
    .expect("task")
    .expect("sim");
    store
}

async fn import_tianjin(s: &Session) {
    let r = s
        .client
        .post(s.url("/api/v1/imports?preset=tianjin&file=Tianjin135cases_revised.csv"))
        .bearer_auth(&s.token)
        .header("content-type", "text/csv")
        .body(TIANJIN)
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
}

async fn case_id(s: &Session, sid: &str) -> (i64, i64) {
    let v = s.get_json(&format!("/api/v1/cases?q={sid}&sort=id")).await;
    let c = v["items"].as_array().expect("items").iter().find(|c| c["source_id"] == sid).expect("case").clone();
    (c["id"].as_i64().expect("id"), c["person_id"].as_i64().expect("person"))
}

/// serde_json's default float parser may be one unit in the last place off: compare to 1e-9.
fn close(v: &Value, x: f64) -> bool {
    v.as_f64().is_some_and(|y| (y - x).abs() <= 1e-9 * x.abs().max(1.0))
}

fn keys(v: &Value) -> Vec<String> {
    v["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| c["trace_key"].as_str().expect("key").into())
        .collect()
}

#[tokio::test]
async fn find_confirm_companions_scope_roles_and_audit() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = sim_store(dir.path()).await;
    let app = spawn_app_with_traces(TestDb::seeded().await, Some(store.clone())).await;
    // The county investigator imports the Tianjin line list: its root sits under 衡山县.
    let inv = app.login("hengshan").await;
    import_tianjin(&inv).await;
    let (cid, case_person) = case_id(&inv, "TJ34").await; // onset 2020-01-25, confirmed 01-27
    let search = format!("/api/v1/cases/{cid}/companions/search");

    // No key yet: 422 naming trace_key.
    assert_problem(inv.post(&search, &json!({})).await, StatusCode::UNPROCESSABLE_ENTITY, "trace_key").await;
    let link = |p: i64| format!("/api/v1/people/{p}/trace-keys");
    assert_eq!(inv.post(&link(case_person), &json!({"trace_key": "p0000000"})).await.status(), StatusCode::CREATED);
    // A key names one person: again, or for someone else, is a conflict.
    assert_problem(
        inv.post(&link(case_person), &json!({"trace_key": "p0000000"})).await,
        StatusCode::CONFLICT,
        "trace_key",
    )
    .await;
    assert_problem(
        inv.post(&link(case_person), &json!({"trace_key": " "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "trace_key",
    )
    .await;
    let keys_v = inv.get_json(&link(case_person)).await;
    assert_eq!(keys_v[0]["trace_key"], "p0000000");

    // Default range: the close-contact window of covid19-9th (onset − 2 d = 01-23, local) until
    // the end of the report day (isolation not recorded), Asia/Shanghai.
    let r = inv.post(&search, &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["params"]["from"], "2020-01-22T16:00:00Z");
    assert_eq!(v["params"]["to"], "2020-01-27T16:00:00Z");
    assert_eq!(v["params"]["radius_m"], 50.0);
    assert_eq!(v["params"]["window_s"], 300);
    assert_eq!(v["case_keys"], json!(["p0000000"]));
    // The list is the engine's answer, in its order, with its figures.
    let q = Query {
        cases: vec!["p0000000".into()],
        radius_m: 50.0,
        window_s: 300,
        from_us: firebreak_tracestore::time::parse_utc_us("2020-01-22T16:00:00Z"),
        to_us: firebreak_tracestore::time::parse_utc_us("2020-01-27T16:00:00Z"),
        min_copresence_s: 0,
        progress: false,
    };
    let lib = colocate(&store, &q).expect("engine");
    assert!(lib.companions.len() >= 5, "the simulated key meets people: {}", lib.companions.len());
    assert_eq!(v["total"], lib.companions.len());
    assert_eq!(keys(&v), lib.companions.iter().map(|c| c.person.clone()).collect::<Vec<_>>());
    for (c, l) in v["candidates"].as_array().expect("c").iter().zip(&lib.companions) {
        assert_eq!(c["encounters"], l.encounters);
        assert!(close(&c["min_distance_m"], l.min_distance_m));
        assert_eq!(c["first"], l.first.as_str());
        assert_eq!(c["person"], Value::Null);
        assert_eq!(c["confirmed"], false);
    }
    let listed = app
        .store
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'list' AND entity = 'companion_candidate' AND username = 'hengshan'")
        .await;
    assert_eq!(listed, 1, "the candidate list read is audited");
    // A narrower search: parameters are used (range given as local dates).
    let v2: Value = inv
        .post(&search, &json!({"radius_m": 10, "window_s": 60, "from": "2020-01-24", "to": "2020-01-24"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v2["params"]["from"], "2020-01-23T16:00:00Z");
    assert_eq!(v2["params"]["to"], "2020-01-24T16:00:00Z");
    assert!(v2["total"].as_u64().expect("n") <= lib.companions.len() as u64);
    for (b, field) in [
        (json!({"radius_m": 0}), "radius_m"),
        (json!({"window_s": 90000}), "window_s"),
        (json!({"from": "someday"}), "from"),
        (json!({"from": "2020-01-26", "to": "2020-01-25"}), "to"),
        (json!({"from": "2020-01-01", "to": "2020-03-01"}), "to"),
    ] {
        assert_problem(inv.post(&search, &b).await, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }

    // Candidate 2 is a person registered in the county: shown by name with the number masked.
    // Candidate 3 is registered in 常宁市, outside the county: no name, cannot be confirmed.
    let (k1, k2, k3) = (keys(&v)[0].clone(), keys(&v)[1].clone(), keys(&v)[2].clone());
    let known = inv.create_person(&person("伴随甲", "430423", 77, HENGSHAN_VILLAGE)).await;
    assert_eq!(inv.post(&link(known), &json!({"trace_key": k2})).await.status(), StatusCode::CREATED);
    let admin = app.login("admin").await;
    let far = admin.create_person(&person("伴随乙", "430482", 78, CHANGNING_VILLAGE)).await;
    assert_eq!(admin.post(&link(far), &json!({"trace_key": k3})).await.status(), StatusCode::CREATED);
    let v: Value = inv.post(&search, &json!({})).await.json().await.expect("json");
    let cands = v["candidates"].as_array().expect("c");
    assert_eq!(cands[1]["person"]["id"], known);
    assert_eq!(cands[1]["person"]["name"], "伴随甲");
    let shown = cands[1]["person"]["id_number"].as_str().expect("masked");
    assert!(shown.contains("****") && !v.to_string().contains(&firebreak::demo::synthetic_id("430423", 77)), "{shown}");
    assert_eq!(cands[2]["person"], Value::Null);
    assert_eq!(cands[2]["outside_scope"], true);
    let confirm = format!("/api/v1/cases/{cid}/companions");
    let r = inv.post(&confirm, &json!({"keys": [k3]})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let denied = app
        .store
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'denied' AND entity = 'companion' AND username = 'hengshan'",
        )
        .await;
    assert_eq!(denied, 1);
    // A key that is not a companion under these parameters: 422 naming keys; nothing written.
    assert_problem(
        inv.post(&confirm, &json!({"keys": [k1, "nobody"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "keys",
    )
    .await;
    assert_eq!(app.store.count("SELECT COUNT(*) FROM exposures").await, 0);

    // Confirm two: k1 (unknown: registered) and k2 (the registered person).
    let r = inv.post(&confirm, &json!({"keys": [k1, k2]})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.expect("json");
    assert_eq!(c["confirmed"].as_array().expect("c").len(), 2);
    assert_eq!(c["confirmed"][0]["new_person"], true);
    assert_eq!(c["confirmed"][1]["new_person"], false);
    assert_eq!(c["confirmed"][1]["person_id"], known);
    let new_person = c["confirmed"][0]["person_id"].as_i64().expect("id");
    let doc = app
        .store
        .count(&format!(
            "SELECT COUNT(*) FROM people WHERE id = {new_person} AND id_type = 'source_record' AND id_number = 'trace:{k1}'"
        ))
        .await;
    assert_eq!(doc, 1, "registered as source_record trace:<key>");
    // Both are close contacts of the case now, by the profile's rule, from companion exposures.
    let d = inv.get_json(&format!("/api/v1/cases/{cid}")).await;
    for p in [new_person, known] {
        let k = d["contacts"].as_array().expect("contacts").iter().find(|k| k["person_id"] == p).expect("contact");
        assert_eq!(k["classification"], "close");
        assert_eq!(k["rule_id"], "covid19-9th/close-contact");
        let x = d["exposures"].as_array().expect("x").iter().find(|x| x["other_person_id"] == p).expect("exposure");
        assert_eq!(x["kind"], "companion");
        assert_eq!(x["protection"], "unknown");
    }
    // The evidence is the engine's, with the parameters and who confirmed.
    let ev = inv.get_json(&confirm).await;
    let ev = ev.as_array().expect("evidence");
    assert_eq!(ev.len(), 2);
    let e1 = ev.iter().find(|e| e["trace_key"] == k1.as_str()).expect("k1");
    let l1 = lib.companions.iter().find(|c| c.person == k1).expect("lib k1");
    assert_eq!(e1["encounters"], l1.encounters);
    assert!(close(&e1["min_distance_m"], l1.min_distance_m));
    assert!(close(&e1["copresence_minutes"], l1.copresence_minutes));
    assert!(close(&e1["where_lat"], l1.where_.lat));
    assert_eq!(e1["radius_m"], 50.0);
    assert_eq!(e1["window_s"], 300);
    assert_eq!(e1["confirmed_by"], "hengshan");
    assert_eq!(e1["classification"], "close");
    assert_eq!(e1["case_keys"], "[\"p0000000\"]");
    let created = app
        .store
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND entity = 'companion' AND username = 'hengshan'",
        )
        .await;
    assert_eq!(created, 2, "every confirmation is audited");

    // Confirming again adds nothing.
    let c: Value = inv.post(&confirm, &json!({"keys": [k1, k2]})).await.json().await.expect("json");
    assert_eq!(c["confirmed"], json!([]));
    assert_eq!(c["already"], json!([k1, k2]));
    assert_eq!(app.store.count("SELECT COUNT(*) FROM exposures").await, 2);
    assert_eq!(app.store.count("SELECT COUNT(*) FROM companion_confirmations").await, 2);
    assert_eq!(app.store.count(&format!("SELECT COUNT(*) FROM contacts WHERE case_id = {cid}")).await, 2);
    let v: Value = inv.post(&search, &json!({})).await.json().await.expect("json");
    assert_eq!(v["candidates"][0]["confirmed"], true);
    assert_eq!(v["candidates"][0]["person"]["id"], new_person);

    // The page: the list, the confirm form (CSRF), the redirect to the contacts.
    let html = inv.page(&format!("/cases/{cid}/companions?run=1")).await.text().await.expect("html");
    assert!(html.contains("candidate-table") && html.contains(&k1) && html.contains("confirm-form"));
    let r = inv
        .form(
            &format!("/cases/{cid}/companions/confirm"),
            &[
                ("radius_m", "50"),
                ("window_min", "5"),
                ("from", "2020-01-23T00:00"),
                ("to", "2020-01-28T00:00"),
                ("key", &keys(&v)[3]),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert_eq!(app.store.count(&format!("SELECT COUNT(*) FROM contacts WHERE case_id = {cid}")).await, 3);
    let r = inv.form(&format!("/cases/{cid}/companions/confirm"), &[("key", &keys(&v)[4])], false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");

    // Roles: others may not search or confirm (403, recorded); another county does not see the case.
    for who in ["commander", "gaozhu", "auditor", "duty"] {
        let s = app.login(who).await;
        assert_eq!(s.post(&search, &json!({})).await.status(), StatusCode::FORBIDDEN, "{who}");
        assert_eq!(s.post(&confirm, &json!({"keys": [k1]})).await.status(), StatusCode::FORBIDDEN, "{who}");
        assert_eq!(app.store.audit_count(who, "denied").await, 2, "{who}");
    }
    let other = app.login("changning").await;
    assert_eq!(other.post(&search, &json!({})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(other.post(&confirm, &json!({"keys": [k1]})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(other.get(&confirm).await.status(), StatusCode::NOT_FOUND);

    // Without a trace store: 503.
    let bare = spawn_app().await;
    let s = bare.login("hengshan").await;
    import_tianjin(&s).await;
    let (cid2, _) = case_id(&s, "TJ34").await;
    let r = s.post(&format!("/api/v1/cases/{cid2}/companions/search"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

/// The contact list (scope, masking, filters, audited CSV export) and the policy profile editor
/// (administrators only, errors shown, a saved edit reclassifies the contacts).
#[tokio::test]
async fn contact_list_and_policy_editor() {
    let app = spawn_app().await;
    let inv = app.login("hengshan").await;
    import_tianjin(&inv).await;
    let (cid, case_person) = case_id(&inv, "TJ1").await; // onset 2020-01-14: close window from 01-12
    let a = inv.create_person(&person("密接甲", "430423", 91, HENGSHAN_VILLAGE)).await;
    let b = inv.create_person(&person("接触乙", "430423", 92, HENGSHAN_VILLAGE)).await;
    for (p, day) in [(a, "2020-01-12"), (b, "2020-01-05")] {
        let x = json!({"person_a": case_person, "person_b": p, "kind": "household", "start_date": day, "protection": "none"});
        assert_eq!(inv.post("/api/v1/exposures", &x).await.status(), StatusCode::CREATED);
    }
    let v = inv.get_json("/api/v1/contacts").await;
    assert_eq!(v["total"], 2);
    let row = v["items"].as_array().expect("items").iter().find(|k| k["person_id"] == a).expect("a").clone();
    assert_eq!(row["classification"], "close");
    assert_eq!(row["case_id"], cid);
    assert_eq!(row["case_source_id"], "TJ1");
    assert_eq!(row["rule_id"], "covid19-9th/close-contact");
    assert_eq!(row["controlled_at"], Value::Null);
    let full = firebreak::demo::synthetic_id("430423", 91);
    assert!(row["id_number"].as_str().expect("id").contains("****"));
    assert!(!v.to_string().contains(&full), "identity numbers are masked");
    assert_eq!(inv.get_json("/api/v1/contacts?classification=close").await["total"], 1);
    assert_eq!(inv.get_json("/api/v1/contacts?control=controlled").await["total"], 0);
    assert_eq!(inv.get_json("/api/v1/contacts?q=%E5%AF%86%E6%8E%A5").await["total"], 1); // 密接
    assert_eq!(inv.get_json("/api/v1/contacts?from=2020-01-10").await["total"], 1);
    assert_problem(inv.get("/api/v1/contacts?control=maybe").await, StatusCode::UNPROCESSABLE_ENTITY, "control").await;
    let r = inv.post(&format!("/api/v1/cases/{cid}/contacts/{a}/control"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(inv.get_json("/api/v1/contacts?control=controlled").await["total"], 1);
    let listed = app
        .store
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'list' AND entity = 'contact' AND username = 'hengshan'")
        .await;
    assert_eq!(listed, 6, "every page read is audited");
    // Another county sees none, and may not filter on this one (403, recorded).
    let other = app.login("changning").await;
    assert_eq!(other.get_json("/api/v1/contacts").await["total"], 0);
    assert_eq!(other.get("/api/v1/contacts?jurisdiction=430423").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.audit_count("changning", "denied").await, 1);
    // The page and the CSV export (masked, audited); a field worker may not export.
    let html = inv.page("/contacts?classification=close").await.text().await.expect("html");
    assert!(html.contains("contact-table") && html.contains("密接甲") && !html.contains("接触乙"));
    let r = inv.page("/contacts/export.csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.expect("csv");
    assert!(csv.starts_with('\u{feff}') && csv.contains("密接甲") && csv.contains("covid19-9th/close-contact"));
    assert!(!csv.contains(&full));
    let exported = app
        .store
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND entity = 'contact' AND username = 'hengshan'",
        )
        .await;
    assert_eq!(exported, 1);
    assert_eq!(app.login("gaozhu").await.page("/contacts/export.csv").await.status(), StatusCode::FORBIDDEN);

    // The chain view's form sends empty bounds when none are set; a date is kept for the page.
    assert_eq!(inv.page("/chains?jurisdiction=&chain=&from=&to=").await.status(), StatusCode::OK);
    let html = inv.page("/chains?from=2020-01-20&to=bad").await.text().await.expect("html");
    assert!(html.contains("value=\"2020-01-20\"") && !html.contains("value=\"bad\""));

    // The policy editor: administrators only.
    assert_eq!(inv.page("/policy").await.status(), StatusCode::FORBIDDEN);
    let admin = app.login("admin").await;
    let html = admin.page("/policy").await.text().await.expect("html");
    assert!(html.contains("profile-covid19-9th") && html.contains("days_before_onset"));
    let profiles = admin.get_json("/api/v1/policy/profiles").await;
    let mut p = profiles.as_array().expect("p").iter().find(|p| p["code"] == "covid19-9th").expect("9th").clone();
    // Bad JSON, a version that does not grow, a bad value: 422 with the reason; nothing saved.
    let save = |json: String| {
        let admin = &admin;
        async move { admin.form("/policy/covid19-9th", &[("json", &json)], true).await }
    };
    let r = save("{\"code\": \"covid19-9th\",".into()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("html").contains("line 1 column"));
    let r = save(p.to_string()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("html").contains("version must grow"));
    p["version"] = json!(2);
    p["contacts"]["close"]["days_before_onset"] = json!(99);
    let r = save(p.to_string()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("html").contains("days_before_onset 99"));
    // A window starting on the onset day: the exposure of 01-12 is no longer a close contact.
    p["contacts"]["close"]["days_before_onset"] = json!(0);
    let r = save(p.to_string()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("html").contains("covid19-9th v2"));
    let v = inv.get_json("/api/v1/contacts").await;
    let row = v["items"].as_array().expect("items").iter().find(|k| k["person_id"] == a).expect("a").clone();
    assert_eq!(row["classification"], "other");
    assert_eq!(row["rule_id"], "covid19-9th/outside-window");
    assert_eq!(app.store.audit_count("admin", "update").await, 1);
}
