//! 属地责任: a user scoped to 衡山县 (430423) can neither read nor change a person registered in
//! 常宁市 (430482), through the API or the pages; each refusal is written to the audit log.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    app: TestApp,
    /// Investigator of 衡山县.
    hengshan: Session,
    /// Investigator of 常宁市.
    changning: Session,
    /// A person registered in 常宁市.
    theirs: i64,
    theirs_body: Value,
    /// A person registered in 衡山县.
    ours: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    let changning = app.login("changning").await;
    let hengshan = app.login("hengshan").await;
    let theirs_body = person("常宁人甲", "430482", 21, CHANGNING_VILLAGE);
    let theirs = changning.create_person(&theirs_body).await;
    let ours = hengshan.create_person(&person("衡山人乙", "430423", 22, HENGSHAN_VILLAGE)).await;
    World { app, hengshan, changning, theirs, theirs_body, ours }
}

impl World {
    /// Denials of `hengshan` so far.
    async fn denied(&self) -> i64 {
        self.app.store.audit_count("hengshan", "denied").await
    }
    /// The 常宁市 person is as it was created.
    async fn theirs_unchanged(&self) {
        let p = self.changning.get_json(&format!("/api/v1/people/{}", self.theirs)).await;
        assert_eq!(p["name"], "常宁人甲");
        assert_eq!(p["version"], 1);
        assert_eq!(p["jurisdiction"], CHANGNING_VILLAGE);
    }
}

#[tokio::test]
async fn api_refuses_other_jurisdictions_and_records_each_attempt() {
    let w = world().await;
    let h = &w.hengshan;
    let id = w.theirs;
    assert_eq!(w.denied().await, 0);

    // The user's own person is readable.
    assert_eq!(h.get(&format!("/api/v1/people/{}", w.ours)).await.status(), StatusCode::OK);

    // GET by id: 404 (not revealed), recorded with the person's id.
    let r = h.get(&format!("/api/v1/people/{id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap_or_default().contains("常宁人甲"));
    assert_eq!(w.denied().await, 1);
    let denied = w
        .app
        .store
        .audit(firebreak::audit::AuditFilter {
            username: Some("hengshan".into()),
            action: Some("denied".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(denied[0].entity, "person");
    assert_eq!(denied[0].entity_id.as_deref(), Some(id.to_string().as_str()));
    assert_eq!(denied[0].jurisdiction_code.as_deref(), Some(CHANGNING_VILLAGE));

    // A person who does not exist is the same 404 (and no denial: there was nothing to deny).
    assert_eq!(h.get("/api/v1/people/999999").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.denied().await, 1);

    // PUT: 404, recorded, nothing changed.
    let mut upd = w.theirs_body.clone();
    upd["name"] = json!("被改了");
    upd["version"] = json!(1);
    assert_eq!(h.put(&format!("/api/v1/people/{id}"), &upd).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.denied().await, 2);
    // …without a version the change is refused before anything is looked up (the version is
    // required, so a concurrent change is never overwritten).
    upd.as_object_mut().map(|o| o.remove("version"));
    assert_eq!(h.put(&format!("/api/v1/people/{id}"), &upd).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(w.denied().await, 2);
    // Moving one's own person into 常宁市 is refused as well.
    let mut mv = person("衡山人乙", "430423", 22, CHANGNING_VILLAGE);
    mv["version"] = json!(1);
    assert_eq!(h.put(&format!("/api/v1/people/{}", w.ours), &mv).await.status(), StatusCode::FORBIDDEN);
    // Registering someone in 常宁市: 403, recorded.
    let before = w.denied().await;
    let r = h.post("/api/v1/people", &person("越界登记", "430482", 23, CHANGNING_VILLAGE)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.denied().await, before + 1);

    // Unmasking: 404, recorded.
    let before = w.denied().await;
    let r = h.post(&format!("/api/v1/people/{id}/unmask"), &json!({"reason": "跨区核查"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.denied().await, before + 1);
    assert_eq!(w.app.store.audit_count("hengshan", "unmask").await, 0);

    // List filtered to 常宁市: 403, recorded.
    let before = w.denied().await;
    let r = h.get("/api/v1/people?jurisdiction=430482").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.denied().await, before + 1);
    let r = h.get(&format!("/api/v1/people?jurisdiction={CHANGNING_VILLAGE}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.denied().await, before + 2);

    // Search by their name or full ID number: not in the results.
    let l = h.get_json("/api/v1/people?q=常宁人甲").await;
    assert_eq!(l["total"], 0, "{l}");
    let full = w.theirs_body["id_number"].as_str().unwrap_or_default();
    assert_eq!(h.get_json(&format!("/api/v1/people?q={full}")).await["total"], 0);
    let all = h.get_json("/api/v1/people?per_page=200").await;
    let ids: Vec<i64> = all["items"].as_array().map_or(vec![], |a| a.iter().filter_map(|p| p["id"].as_i64()).collect());
    assert_eq!(ids, vec![w.ours]);

    // Export: filtered to 常宁市 is 403 (recorded); unfiltered has only 衡山县.
    let before = w.denied().await;
    let r = h.get("/api/v1/people/export?jurisdiction=430482").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.denied().await, before + 1);
    let csv = h.get("/api/v1/people/export").await.text().await.expect("CSV");
    assert!(csv.contains("衡山人乙") && !csv.contains("常宁人甲"), "{csv}");

    w.theirs_unchanged().await;
    let report = firebreak::audit::verify(w.app.db()).await.expect("verify");
    assert!(report.ok, "{report:?}");
}

#[tokio::test]
async fn pages_refuse_other_jurisdictions_and_record_each_attempt() {
    let w = world().await;
    let h = &w.hengshan;
    let id = w.theirs;

    // The pages work for the user's own person.
    let r = h.page(&format!("/people/{}", w.ours)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap_or_default().contains("衡山人乙"));

    let r = h.page(&format!("/people/{id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap_or_default().contains("常宁人甲"));
    assert_eq!(w.denied().await, 1);

    let r = h.page(&format!("/people/{id}/edit")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body = r.text().await.unwrap_or_default();
    assert!(!body.contains("常宁人甲") && !body.contains(w.theirs_body["id_number"].as_str().unwrap_or("?")));
    assert_eq!(w.denied().await, 2);

    let r = h.page("/people/export.csv?jurisdiction=430482").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.denied().await, 3);
    let r = h.page("/people/export.xlsx?jurisdiction=430482").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.denied().await, 4);

    let r = h.page("/people?jurisdiction=430482").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.denied().await, 5);
    // Searching by their name finds nothing (the search box echoes the query, so look at the rows).
    let r = h.page("/people?q=常宁人甲").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap_or_default();
    assert!(!html.contains(&format!("href=\"/people/{id}\"")), "{html}");
    let html = h.page("/people").await.text().await.unwrap_or_default();
    assert!(
        html.contains(&format!("href=\"/people/{}\"", w.ours)) && !html.contains(&format!("href=\"/people/{id}\""))
    );

    // Form posts with a valid CSRF token: edit and unmask are 404, recorded; nothing changes.
    let b = &w.theirs_body;
    let fields = [
        ("name", "被改了"),
        ("sex", b["sex"].as_str().unwrap_or_default()),
        ("birth_date", b["birth_date"].as_str().unwrap_or_default()),
        ("id_type", "resident_id"),
        ("id_number", b["id_number"].as_str().unwrap_or_default()),
        ("phone", "13800000000"),
        ("address", "x"),
        ("jurisdiction", CHANGNING_VILLAGE),
        ("version", "1"),
    ];
    let r = h.form(&format!("/people/{id}/edit"), &fields, true).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.denied().await, 6);
    let r = h.form(&format!("/people/{id}/unmask"), &[("reason", "跨区核查")], true).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.denied().await, 7);
    // Without the CSRF token the form is refused before anything else.
    let r = h.form(&format!("/people/{id}/edit"), &fields, false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    w.theirs_unchanged().await;
    // The 常宁市 investigator still sees their person on the pages.
    assert_eq!(w.changning.page(&format!("/people/{id}")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_without_a_session_redirect_to_login() {
    let app = spawn_app().await;
    let r = client().get(app.url("/people/1")).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(loc.starts_with("/login?next="), "{loc}");
}

#[tokio::test]
async fn moving_ones_own_person_out_of_scope_is_refused_and_recorded() {
    let w = world().await;
    let mut body = person("衡山人乙", "430423", 22, CHANGNING_VILLAGE);
    body["version"] = json!(1);
    let before = w.denied().await;
    let r = w.hengshan.put(&format!("/api/v1/people/{}", w.ours), &body).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.denied().await, before + 1);
    let p = w.hengshan.get_json(&format!("/api/v1/people/{}", w.ours)).await;
    assert_eq!(p["jurisdiction"], HENGSHAN_VILLAGE);
    assert_eq!(p["version"], 1);
}
