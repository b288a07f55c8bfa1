//! Manual entry on the investigation desk: cases typed in for registered people (never a second
//! case for a person), itinerary with shared places, exposures (person–person and at a place),
//! infector links (cycles refused, unobserved infectors kept), scope, roles and audit; the same
//! through the web forms. SQLite, and PostgreSQL when FIREBREAK_TEST_PG is set.

use crate::helpers::{CHANGNING_VILLAGE, HENGSHAN_VILLAGE, assert_problem, person, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn day(offset: i64) -> String {
    (firebreak::tracing::manual::today_cn() - chrono::Duration::days(offset)).to_string()
}

async fn created(r: reqwest::Response) -> i64 {
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let v: Value = serde_json::from_str(&text).expect("JSON");
    v["id"].as_i64().expect("id")
}

fn contact(d: &Value, person: i64) -> Option<&Value> {
    d["contacts"].as_array().expect("contacts").iter().find(|k| k["person_id"] == person)
}

#[tokio::test]
async fn manual_cases_itinerary_exposures_links() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let p1 = admin.create_person(&person("王一", "430482", 901, CHANGNING_VILLAGE)).await;
    let p2 = admin.create_person(&person("李二", "430482", 902, CHANGNING_VILLAGE)).await;
    let p3 = admin.create_person(&person("张三", "430482", 903, CHANGNING_VILLAGE)).await;
    let p4 = admin.create_person(&person("赵四", "430423", 904, HENGSHAN_VILLAGE)).await;

    // A case for a registered person: source manual, id M<id>, one history entry.
    let c1 = created(
        admin
            .post(
                "/api/v1/cases",
                &json!({"person_id": p1, "classification": "confirmed", "how_found": "clinic",
                        "onset_date": day(6), "sampling_date": day(4), "diagnosis_date": day(3), "notes": "发热就诊"}),
            )
            .await,
    )
    .await;
    let d = admin.get_json(&format!("/api/v1/cases/{c1}")).await;
    assert_eq!(d["case"]["source"], "manual");
    assert_eq!(d["case"]["source_id"], format!("M{c1}"));
    assert_eq!(d["case"]["reporting_jurisdiction"], CHANGNING_VILLAGE, "defaults to the person's jurisdiction");
    assert_eq!(d["case"]["report_date"], day(0), "report date defaults to today");
    assert_eq!(d["history"].as_array().expect("history").len(), 1);

    // Never a second case for the same person; bad dates name their field.
    let r = admin.post("/api/v1/cases", &json!({"person_id": p1, "classification": "suspected"})).await;
    let v = assert_problem(r, StatusCode::CONFLICT, "person_id").await;
    assert!(v["detail"].as_str().unwrap_or("").contains(&format!("M{c1}")), "{v}");
    let r = admin
        .post("/api/v1/cases", &json!({"person_id": p2, "classification": "confirmed", "onset_date": day(-3)}))
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "onset_date").await;
    let r = admin
        .post(
            "/api/v1/cases",
            &json!({"person_id": p2, "classification": "confirmed", "onset_date": day(2), "outcome": "recovered", "outcome_date": day(5)}),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "onset_date").await;
    let r = admin.post("/api/v1/cases", &json!({"person_id": p2, "classification": "sick"})).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "classification").await;
    let r = admin
        .post("/api/v1/cases", &json!({"person_id": p2, "classification": "confirmed", "onset_date": "2026/01/02"}))
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "onset_date").await;
    assert_eq!(app.store.count("SELECT COUNT(*) FROM cases").await, 1, "nothing half-written");

    // Scope: a Changning investigator cannot see a Hengshan person, nor report into Hengshan.
    let changning = app.login("changning").await;
    let r = changning.post("/api/v1/cases", &json!({"person_id": p4, "classification": "confirmed"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = changning
        .post(
            "/api/v1/cases",
            &json!({"person_id": p2, "classification": "confirmed", "reporting_jurisdiction": HENGSHAN_VILLAGE}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A field worker may register people but not enter cases.
    let gaozhu = app.login("gaozhu").await;
    let r = gaozhu.post("/api/v1/cases", &json!({"person_id": p2, "classification": "confirmed"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        app.store
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'denied' AND entity IN ('case', 'person')")
            .await
            >= 3
    );

    // Itinerary: a new place with coordinates and times, then the same place by id for a second case.
    let v1 = created(
        changning
            .post(
                &format!("/api/v1/cases/{c1}/itinerary"),
                &json!({"place": {"name": "常宁市人民医院", "kind": "hospital", "address": "常宁市民主路", "lat": 26.41, "lon": 112.39,
                                  "jurisdiction": "430482"},
                        "date": day(5), "start_time": "09:30", "end_time": "11:00"}),
            )
            .await,
    )
    .await;
    assert!(v1 > 0);
    let places = changning.get_json("/api/v1/places?q=人民医院").await;
    assert_eq!(places.as_array().expect("places").len(), 1);
    let place = places[0]["id"].as_i64().expect("place id");
    assert_eq!(places[0]["cases"], 1);
    // The same visit twice is a conflict; a day-only visit is fine; bad coordinates name the field.
    let r = changning
        .post(
            &format!("/api/v1/cases/{c1}/itinerary"),
            &json!({"place_id": place, "date": day(5), "start_time": "09:30"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    created(
        changning.post(&format!("/api/v1/cases/{c1}/itinerary"), &json!({"place_id": place, "date": day(4)})).await,
    )
    .await;
    let r = changning
        .post(
            &format!("/api/v1/cases/{c1}/itinerary"),
            &json!({"place": {"name": "x", "kind": "shop", "lat": 126.0, "lon": 112.0, "jurisdiction": "430482"}, "date": day(4)}),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "lat").await;
    let r = changning
        .post(
            &format!("/api/v1/cases/{c1}/itinerary"),
            &json!({"place_id": place, "date": day(4), "start_time": "12:00", "end_time": "11:00"}),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "end_time").await;
    // A place outside the scope is refused (403) and recorded.
    let r = changning
        .post(
            &format!("/api/v1/cases/{c1}/itinerary"),
            &json!({"place": {"name": "衡山某店", "kind": "shop", "jurisdiction": "430423"}, "date": day(4)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Exposures: household contact within the window → close contact by the profile's rule;
    // the contact's own contact → secondary; a person-at-place exposure is stored.
    created(
        changning
            .post(
                &format!("/api/v1/cases/{c1}/exposures"),
                &json!({"other_person_id": p2, "kind": "household", "start_date": day(7), "end_date": day(5), "protection": "none"}),
            )
            .await,
    )
    .await;
    let d = changning.get_json(&format!("/api/v1/cases/{c1}")).await;
    let k = contact(&d, p2).expect("p2 is a contact");
    assert_eq!(
        (k["classification"].as_str(), k["rule_id"].as_str()),
        (Some("close"), Some("covid19-9th/close-contact"))
    );
    created(
        admin
            .post(
                "/api/v1/exposures",
                &json!({"person_a": p2, "person_b": p3, "kind": "meal", "start_date": day(4), "protection": "none"}),
            )
            .await,
    )
    .await;
    created(
        changning
            .post(
                &format!("/api/v1/cases/{c1}/exposures"),
                &json!({"place_id": place, "kind": "gathering", "start_date": day(5), "protection": "partial"}),
            )
            .await,
    )
    .await;
    let d = changning.get_json(&format!("/api/v1/cases/{c1}")).await;
    assert_eq!(contact(&d, p3).expect("p3")["classification"], "secondary");
    assert_eq!(
        app.store.count("SELECT COUNT(*) FROM exposures WHERE person_b IS NULL AND place_id IS NOT NULL").await,
        1
    );
    let r =
        changning.post(&format!("/api/v1/cases/{c1}/exposures"), &json!({"kind": "meal", "start_date": day(3)})).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "other_person_id").await;

    // The contact tests positive (how the quarantine desk calls it): a case linked to its infector.
    let c2 = created(
        changning
            .post(
                "/api/v1/cases",
                &json!({"person_id": p3, "classification": "asymptomatic", "how_found": "quarantine", "sampling_date": day(1)}),
            )
            .await,
    )
    .await;
    let c3 = created(
        changning
            .post("/api/v1/cases", &json!({"person_id": p2, "classification": "confirmed", "onset_date": day(2)}))
            .await,
    )
    .await;
    created(
        changning
            .post(
                &format!("/api/v1/cases/{c3}/links"),
                &json!({"infector_case_id": c1, "certainty": "confirmed", "route": "household"}),
            )
            .await,
    )
    .await;
    created(
        changning
            .post(&format!("/api/v1/cases/{c2}/links"), &json!({"infector_case_id": c3, "certainty": "probable"}))
            .await,
    )
    .await;
    // A cycle, a self link, a duplicate are refused; an infector who is not a case is kept.
    let r = changning
        .post(&format!("/api/v1/cases/{c1}/links"), &json!({"infector_case_id": c2, "certainty": "possible"}))
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "infector_case_id").await;
    let r = changning
        .post(&format!("/api/v1/cases/{c1}/links"), &json!({"infector_case_id": c1, "certainty": "possible"}))
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "infector_case_id").await;
    let r = changning
        .post(&format!("/api/v1/cases/{c3}/links"), &json!({"infector_case_id": c1, "certainty": "possible"}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    created(
        changning
            .post(
                &format!("/api/v1/cases/{c1}/links"),
                &json!({"infector_label": "外省输入病例 A", "certainty": "possible"}),
            )
            .await,
    )
    .await;
    let chains = changning.get_json("/api/v1/chains").await;
    assert_eq!(chains["summary"]["chains"], 1);
    assert_eq!(chains["summary"]["links_resolved"], 2);
    assert_eq!(chains["summary"]["links_unobserved"], 1);
    assert_eq!(chains["chains"][0]["size"], 3);
    assert_eq!(chains["chains"][0]["generations"], 3);
    let d = changning.get_json(&format!("/api/v1/cases/{c3}")).await;
    assert_eq!(d["case"]["generation"], 1);
    assert_eq!(d["infectors"][0]["infector_case_id"], c1);
    // Serial interval: onset of c3 (day 2 ago) − onset of c1 (day 6 ago) = 4 days.
    let si = d["infectors"][0]["infectee_onset"].as_str().zip(d["infectors"][0]["infector_onset"].as_str());
    assert_eq!(si, Some((day(2).as_str(), day(6).as_str())));

    // Reclassification keeps the history.
    let r = changning
        .post(
            &format!("/api/v1/cases/{c2}/classification"),
            &json!({"classification": "confirmed", "reason": "出现症状"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let d = changning.get_json(&format!("/api/v1/cases/{c2}")).await;
    let h: Vec<&str> =
        d["history"].as_array().expect("history").iter().filter_map(|h| h["classification"].as_str()).collect();
    assert_eq!(h, ["asymptomatic", "confirmed"]);

    // Every write is in the audit log.
    for (entity, n) in [("case", 2), ("transmission_link", 3), ("itinerary", 2), ("place", 1), ("exposure", 2)] {
        let got = app
            .store
            .count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE username = 'changning' AND action = 'create' AND entity = '{entity}'"
            ))
            .await;
        assert_eq!(got, n, "audited creates of {entity}");
    }
}

#[tokio::test]
async fn manual_entry_through_the_forms() {
    let app = spawn_app().await;
    let s = app.login("changning").await;
    let known = s.create_person(&person("陈五", "430482", 911, CHANGNING_VILLAGE)).await;
    // Search by name finds the registered person; choosing shows the case form.
    let html = s.page("/cases/new?q=陈五").await.text().await.expect("page");
    assert!(html.contains(&format!("/cases/new?person={known}")), "search result with a choose link");
    // Registering an already registered document refuses, and searches that number instead.
    let id = firebreak::demo::synthetic_id("430482", 911);
    let r = s
        .form(
            "/cases/new/person",
            &[
                ("name", "陈五"),
                ("sex", ""),
                ("id_type", "resident_id"),
                ("id_number", &id),
                ("jurisdiction", CHANGNING_VILLAGE),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("page");
    assert!(html.contains("already registered") && html.contains(&format!("/cases/new?person={known}")), "{html}");
    // A new person, registered on the spot, then the case.
    let new_id = firebreak::demo::synthetic_id("430482", 912);
    let r = s
        .form(
            "/cases/new/person",
            &[
                ("name", "周六"),
                ("sex", ""),
                ("id_type", "resident_id"),
                ("id_number", &new_id),
                ("jurisdiction", CHANGNING_VILLAGE),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().expect("location").to_string();
    let pid: i64 = loc.rsplit('=').next().and_then(|s| s.parse().ok()).expect("person id");
    assert_eq!(app.store.count(&format!("SELECT COUNT(*) FROM people WHERE id = {pid} AND name = '周六'")).await, 1);
    let html = s.page(&loc).await.text().await.expect("page");
    assert!(html.contains("name=\"person_id\""), "case form for the chosen person");
    // A bad date re-renders the form with the message; nothing stored.
    let pid_s = pid.to_string();
    let bad = day(-2);
    let r = s
        .form("/cases/new", &[("person_id", &pid_s), ("classification", "confirmed"), ("onset_date", &bad)], true)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("page").contains("in the future"));
    // Without the CSRF token: refused.
    let r = s.form("/cases/new", &[("person_id", &pid_s), ("classification", "confirmed")], false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let onset = day(3);
    let r = s
        .form(
            "/cases/new",
            &[
                ("person_id", &pid_s),
                ("classification", "confirmed"),
                ("how_found", "mass_testing"),
                ("onset_date", &onset),
                ("report_date", ""),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().expect("location").to_string();
    let case: i64 = loc.trim_start_matches("/cases/").trim_end_matches("/entry").parse().expect("case id");
    // The entry page: a new place visit, an exposure with the searched person, an unobserved infector.
    let html = s.page(&format!("/cases/{case}/entry?person_q=陈五")).await.text().await.expect("page");
    assert!(html.contains(&format!("value=\"{known}\"")), "person search result on the entry page");
    let d2 = day(2);
    let r = s
        .form(
            &format!("/cases/{case}/itinerary"),
            &[
                ("place_id", "new"),
                ("np_name", "宜水超市"),
                ("np_kind", "shop"),
                ("np_jurisdiction", "430482"),
                ("date", &d2),
                ("start_time", "18:00"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let known_s = known.to_string();
    let r = s
        .form(
            &format!("/cases/{case}/entry-exposures"),
            &[
                ("other_person_id", &known_s),
                ("place_id", ""),
                ("kind", "meal"),
                ("start_date", &d2),
                ("protection", "none"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = s
        .form(
            &format!("/cases/{case}/links"),
            &[("infector_case_id", ""), ("infector_label", "外地病例"), ("certainty", "possible"), ("route", "")],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // An error on the entry page names the problem and writes nothing.
    let r = s
        .form(
            &format!("/cases/{case}/itinerary"),
            &[("place_id", "new"), ("np_name", ""), ("np_kind", "shop"), ("date", &d2)],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("page").contains("place_name"));
    let d = s.get_json(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(d["itinerary"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["itinerary"][0]["place_name"], "宜水超市");
    assert_eq!(contact(&d, known).expect("contact")["classification"], "close");
    assert_eq!(d["infectors"][0]["infector_source_id"], "外地病例");
    let html = s.page(&format!("/cases/{case}")).await.text().await.expect("page");
    assert!(html.contains(&format!("/cases/{case}/entry")), "the case page links to the entry page");
}

#[tokio::test]
async fn clusters_with_cases_scope_and_filter() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let changning = app.login("changning").await;
    let hengshan = app.login("hengshan").await;
    let mut cases = vec![];
    for (n, village) in [(921, CHANGNING_VILLAGE), (922, CHANGNING_VILLAGE), (923, HENGSHAN_VILLAGE)] {
        let county = if village == CHANGNING_VILLAGE { "430482" } else { "430423" };
        let p = admin.create_person(&person(&format!("聚集{n}"), county, n, village)).await;
        let body = json!({"person_id": p, "classification": "confirmed", "onset_date": day(n as i64 - 915)});
        cases.push(created(admin.post("/api/v1/cases", &body).await).await);
    }
    // A cluster in Changning; the same name twice in one jurisdiction is a conflict; outside: 403.
    let k = created(
        changning
            .post(
                "/api/v1/clusters",
                &json!({"name": "宜水镇婚宴", "kind": "gathering", "jurisdiction": "430482", "identified_on": day(1)}),
            )
            .await,
    )
    .await;
    let r = changning
        .post("/api/v1/clusters", &json!({"name": "宜水镇婚宴", "kind": "gathering", "jurisdiction": "430482"}))
        .await;
    assert_problem(r, StatusCode::CONFLICT, "name").await;
    let r = changning.post("/api/v1/clusters", &json!({"name": "x", "kind": "party", "jurisdiction": "430482"})).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "kind").await;
    let r = changning
        .post("/api/v1/clusters", &json!({"name": "衡山某厂", "kind": "workplace", "jurisdiction": "430423"}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Cases join it (twice changes nothing); a case outside the scope cannot.
    for c in &cases[..2] {
        let v = changning.post(&format!("/api/v1/clusters/{k}/cases"), &json!({"case_id": c})).await;
        assert_eq!(v.status(), StatusCode::OK);
    }
    let v: Value = changning
        .post(&format!("/api/v1/clusters/{k}/cases"), &json!({"case_id": cases[0]}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["added"], false);
    let r = changning.post(&format!("/api/v1/clusters/{k}/cases"), &json!({"case_id": cases[2]})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Hengshan does not see the Changning cluster at all.
    assert_eq!(hengshan.get(&format!("/api/v1/clusters/{k}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(hengshan.get_json("/api/v1/clusters").await.as_array().map(Vec::len), Some(0));
    let d = changning.get_json(&format!("/api/v1/clusters/{k}")).await;
    assert_eq!(d["cluster"]["cases"], 2);
    assert_eq!(d["cluster"]["first_onset"], day(7), "the earliest onset of its cases");
    assert_eq!(d["cases"].as_array().map(Vec::len), Some(2));
    // The line list filters by cluster; the case page shows its clusters.
    let page = admin.get_json(&format!("/api/v1/cases?cluster={k}")).await;
    assert_eq!(page["total"], 2);
    let html = admin.page(&format!("/cases/{}", cases[0])).await.text().await.expect("page");
    assert!(html.contains(&format!("/clusters/{k}")) && html.contains("宜水镇婚宴"));
    let html = admin.page(&format!("/cases?cluster={k}")).await.text().await.expect("page");
    assert!(html.contains(&format!("/cases/{}", cases[1])) && !html.contains(&format!("/cases/{}\"", cases[2])));
    // Remove, close; the forms do the same with the session cookie.
    assert_eq!(
        changning
            .client
            .delete(changning.url(&format!("/api/v1/clusters/{k}/cases/{}", cases[1])))
            .bearer_auth(&changning.token)
            .send()
            .await
            .expect("delete")
            .status(),
        StatusCode::NO_CONTENT
    );
    let r = changning.post(&format!("/api/v1/clusters/{k}/status"), &json!({"status": "closed"})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let c1 = cases[1].to_string();
    let k_s = k.to_string();
    let r = admin.form(&format!("/cases/{c1}/clusters"), &[("cluster_id", &k_s)], true).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .form(
            "/clusters",
            &[("name", "常宁某超市"), ("kind", "shop"), ("jurisdiction", "430482"), ("identified_on", "")],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list = admin.get_json("/api/v1/clusters").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let d = admin.get_json(&format!("/api/v1/clusters/{k}")).await;
    assert_eq!((d["cluster"]["cases"].as_i64(), d["cluster"]["status"].as_str()), (Some(2), Some("closed")));
    // Field workers may read but not change clusters; every change is audited.
    let gaozhu = app.login("gaozhu").await;
    let r = gaozhu.post(&format!("/api/v1/clusters/{k}/cases"), &json!({"case_id": cases[0]})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.count("SELECT COUNT(*) FROM audit_log WHERE entity = 'cluster' AND action = 'create'").await,
        2
    );
    assert!(
        app.store.count("SELECT COUNT(*) FROM audit_log WHERE entity = 'cluster' AND action = 'update'").await >= 4
    );
    assert!(
        app.store.count("SELECT COUNT(*) FROM audit_log WHERE entity = 'cluster' AND action = 'denied'").await >= 2
    );
}

/// A Tianjin-style line list with the user's own column names, as an XLSX workbook (dates as
/// real date cells and as text). `rows`: (id, sex, onset, symptoms, confirmed, source).
/// One line-list row: (id, sex, onset (y, m, d), symptoms, confirmed, infection source).
type Row<'a> = (&'a str, &'a str, (u16, u8, u8), &'a str, &'a str, &'a str);

fn workbook(rows: &[Row]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in ["编号", "性别", "发病日期", "症状", "确诊日期", "感染来源", "备注"].iter().enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    for (r, (id, sex, (y, m, d), sym, conf, src)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, *id).expect("id");
        ws.write_string(r, 1, *sex).expect("sex");
        let onset = ExcelDateTime::from_ymd(*y, *m, *d).expect("date");
        ws.write_datetime_with_format(r, 2, &onset, &date).expect("onset");
        ws.write_string(r, 3, *sym).expect("symptoms");
        ws.write_string(r, 4, *conf).expect("confirmed");
        ws.write_string(r, 5, *src).expect("source");
        ws.write_number(r, 6, 42.0).expect("number");
    }
    wb.save_to_buffer().expect("xlsx")
}

async fn upload(s: &crate::helpers::Session, query: &str, body: Vec<u8>) -> reqwest::Response {
    s.client
        .post(s.url(&format!("/api/v1/imports?{query}")))
        .bearer_auth(&s.token)
        .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(body)
        .send()
        .await
        .expect("import")
}

#[tokio::test]
async fn xlsx_import_with_a_saved_mapping_preview_and_update() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    // A mapping onto the tianjin preset's columns; columns the file lacks map to "".
    let mapping = json!({"name": "本市流调表", "kind": "linelist", "preset": "tianjin", "columns": {
        "case_id": "编号", "gender": "性别", "symptom_onset": "发病日期", "symptom_type": "症状", "confirm_date": "确诊日期",
        "Infection_source": "感染来源", "start_source": "", "end_source": "", "severity": "", "death": ""}});
    let r = admin.put("/api/v1/import-mappings", &mapping).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{:?}", r.text().await);
    let r = admin
        .put(
            "/api/v1/import-mappings",
            &json!({"name": "x", "kind": "linelist", "preset": "tianjin", "columns": {"nope": "a"}}),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "columns").await;
    let saved = admin.get_json("/api/v1/import-mappings?kind=linelist").await;
    assert_eq!(saved[0]["name"], "本市流调表");

    let q = "preset=tianjin&kind=linelist&file=cases.xlsx&mapping=本市流调表";
    // Row 3 has a confirmation date in the future: the preview lists it (line and column) and
    // writes nothing; the import refuses the whole file.
    let bad = workbook(&[
        ("TJ1", "男", (2020, 1, 14), "fever", "2020/01/21", ""),
        ("TJ2", "女", (2020, 1, 18), "cough", "2099-01-01", "TJ1's wife"),
        ("TJ3", "M", (2020, 1, 20), "none", "23/01/2020", "contact of TJ1"),
    ]);
    let r = upload(&admin, &format!("{q}&preview=true"), bad.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["rows"], 3);
    assert_eq!(p["skipped"].as_array().map(Vec::len), Some(1), "{p}");
    assert_eq!((p["skipped"][0]["line"].as_i64(), p["skipped"][0]["column"].as_str()), (Some(3), Some("confirm_date")));
    assert_eq!(p["sample_cases"][0]["source_id"], "TJ1");
    assert_eq!(p["sample_cases"][0]["onset"], "2020-01-14", "an Excel date cell reads as a date");
    assert_eq!(p["sample_cases"][1]["classification"], "asymptomatic", "symptom_type none");
    assert_eq!(app.store.count("SELECT COUNT(*) FROM cases").await, 0, "a preview writes nothing");
    let r = upload(&admin, q, bad).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "line 3 confirm_date").await;
    assert_eq!(app.store.count("SELECT COUNT(*) FROM cases").await, 0);

    let good = workbook(&[
        ("TJ1", "男", (2020, 1, 14), "fever", "2020/01/21", ""),
        ("TJ2", "女", (2020, 1, 18), "cough", "2020-01-24", "TJ1's wife"),
        ("TJ3", "M", (2020, 1, 20), "none", "23/01/2020", "contact of TJ1"),
    ]);
    let r: Value = upload(&admin, q, good.clone()).await.json().await.expect("json");
    assert_eq!((r["cases_new"].as_i64(), r["links_new"].as_i64()), (Some(3), Some(2)), "{r}");
    // The same file again: nothing changes.
    let r: Value = upload(&admin, q, good).await.json().await.expect("json");
    assert_eq!(
        (r["cases_new"].as_i64(), r["cases_updated"].as_i64(), r["cases_existing"].as_i64()),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(app.store.count("SELECT COUNT(*) FROM case_classifications").await, 3);
    // TJ3 developed symptoms (now confirmed) and TJ2's onset was corrected: two cases updated,
    // TJ3's classification history keeps both; the dry run says so first.
    let changed = workbook(&[
        ("TJ1", "男", (2020, 1, 14), "fever", "2020/01/21", ""),
        ("TJ2", "女", (2020, 1, 17), "cough", "2020-01-24", "TJ1's wife"),
        ("TJ3", "M", (2020, 1, 20), "fever", "23/01/2020", "contact of TJ1"),
    ]);
    let r: Value = upload(&admin, &format!("{q}&dry_run=true"), changed.clone()).await.json().await.expect("json");
    assert_eq!((r["cases_updated"].as_i64(), r["cases_existing"].as_i64()), (Some(2), Some(1)));
    let r: Value = upload(&admin, q, changed).await.json().await.expect("json");
    assert_eq!(
        (r["cases_new"].as_i64(), r["cases_updated"].as_i64(), r["cases_existing"].as_i64()),
        (Some(0), Some(2), Some(1))
    );
    let tj3 = app.store.count("SELECT id FROM cases WHERE source = 'tianjin' AND source_id = 'TJ3'").await;
    let d = admin.get_json(&format!("/api/v1/cases/{tj3}")).await;
    assert_eq!(d["case"]["classification"], "confirmed");
    let h: Vec<&str> =
        d["history"].as_array().expect("history").iter().filter_map(|h| h["classification"].as_str()).collect();
    assert_eq!(h, ["asymptomatic", "confirmed"]);
    assert_eq!(
        app.store.count("SELECT COUNT(*) FROM cases WHERE source = 'tianjin' AND source_id = 'TJ2' AND onset_date = '2020-01-17'").await,
        1
    );
    // A mapping naming a column the file does not have: a clear refusal.
    let r = admin
        .put(
            "/api/v1/import-mappings",
            &json!({"name": "旧表", "kind": "linelist", "preset": "tianjin", "columns": {"case_id": "病例号"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = upload(&admin, "preset=tianjin&kind=linelist&file=cases.xlsx&mapping=旧表", workbook(&[])).await;
    let v = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "file").await;
    assert!(v["detail"].as_str().unwrap_or("").contains("病例号"), "{v}");
}
