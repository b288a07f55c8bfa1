//! The JSON API as a client sees it: health, login, jurisdictions, people, masking, validation,
//! roles, optimistic locking, CSRF and concurrency.

use crate::helpers::*;
use firebreak::audit::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let app = spawn_app().await;
    let r = client().get(app.url("/healthz")).send().await.expect("GET /healthz");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("JSON");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], if app.store.is_pg() { "postgres" } else { "sqlite" });
}

#[tokio::test]
async fn login_gives_a_token_and_a_cookie_and_bearer_works() {
    let app = spawn_app().await;
    let c = client();
    let r = app.login_raw(&c, "hengshan", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("Set-Cookie").to_string();
    assert!(cookie.starts_with("fb_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "secure_cookies is off in tests: {cookie}");
    let v: Value = r.json().await.expect("JSON");
    let token = v["token"].as_str().expect("token").to_string();
    assert!(token.len() >= 40);
    assert_eq!(v["role"], "investigator");
    assert_eq!(v["jurisdiction"], "430423");

    // The bearer token authenticates API calls (from a client without the cookie).
    let me: Value = client()
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET me")
        .json()
        .await
        .expect("JSON");
    assert_eq!(me["username"], "hengshan");
    assert_eq!(me["jurisdiction_name"], "衡山县");
    // The cookie does too.
    assert_eq!(c.get(app.url("/api/v1/auth/me")).send().await.expect("GET me").status(), StatusCode::OK);
    // No credentials, or a made-up token: 401.
    assert_eq!(client().get(app.url("/api/v1/auth/me")).send().await.expect("GET").status(), StatusCode::UNAUTHORIZED);
    let r = client().get(app.url("/api/v1/auth/me")).bearer_auth("not-a-token").send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.store.audit_count("hengshan", "login").await, 1);

    // Logging out ends the session.
    let r = client().post(app.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.expect("logout");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = client().get(app.url("/api/v1/auth/me")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_passwords_are_401_then_throttled_with_retry_after() {
    let app = spawn_app().await;
    let c = client();
    for i in 0..5 {
        let r = app.login_raw(&c, "changning", "wrong-password-123").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "failure {}", i + 1);
        assert!(r.headers().get("set-cookie").is_none());
    }
    let r = app.login_raw(&c, "changning", "wrong-password-123").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry >= 1, "Retry-After {retry}");
    // While throttled, even the right password waits.
    let r = app.login_raw(&c, "changning", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.store.audit_count("changning", "login_failed").await, 5);
    // An unknown user is 401 as well, not a different answer.
    let r = app.login_raw(&c, "nobody-here", PASSWORD).await;
    assert!(r.status() == StatusCode::UNAUTHORIZED || r.status() == StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn jurisdictions_by_code_and_children() {
    let app = spawn_app().await;
    let s = app.login("duty").await;
    let j = s.get_json("/api/v1/jurisdictions/430482").await;
    assert_eq!(j["code"], "430482");
    assert_eq!(j["name"], "常宁市");
    assert_eq!(j["level"], "county");
    assert_eq!(j["parent_code"], "430400");

    let village = s.get_json(&format!("/api/v1/jurisdictions/{CHANGNING_VILLAGE}")).await;
    assert_eq!(village["name"], "高竹村委会");
    assert_eq!(village["level"], "village");
    assert_eq!(village["parent_code"], "430482203");

    // Children: the townships of 常宁市 in the real data.
    let streets = std::fs::read_to_string(data_dir().join("streets.csv")).expect("streets.csv");
    let mut expected: Vec<String> = streets
        .lines()
        .filter(|l| l.split(',').nth(2) == Some("430482"))
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    let kids = s.get_json("/api/v1/jurisdictions/430482/children").await;
    let kids = kids.as_array().expect("array");
    let codes: Vec<&str> = kids.iter().filter_map(|k| k["code"].as_str()).collect();
    assert_eq!(codes, expected);
    for k in kids {
        assert_eq!(k["level"], "township");
        assert_eq!(k["parent_code"], "430482");
        assert!(k["name"].as_str().is_some_and(|n| !n.is_empty()));
    }
    // The city's county-level units: the 12 counties and districts and 2 development zones.
    let areas = std::fs::read_to_string(data_dir().join("areas.csv")).expect("areas.csv").lines().count() - 1;
    assert_eq!(areas, 14);
    assert_eq!(s.get_json("/api/v1/jurisdictions/430400/children").await.as_array().map(Vec::len), Some(areas));

    assert_eq!(s.get("/api/v1/jurisdictions/430499").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.get("/api/v1/jurisdictions/430499/children").await.status(), StatusCode::NOT_FOUND);
    let r = client().get(app.url("/api/v1/jurisdictions/430482")).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn create_get_and_list_people_masked() {
    let app = spawn_app().await;
    let s = app.login("changning").await;
    let body = person("谭湘云", "430482", 1, CHANGNING_VILLAGE);
    let full_id = body["id_number"].as_str().expect("id").to_string();
    let r = s.post("/api/v1/people", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.expect("JSON")["id"].as_i64().expect("id");

    let p = s.get_json(&format!("/api/v1/people/{id}")).await;
    assert_eq!(p["name"], "谭湘云");
    assert_eq!(p["jurisdiction"], CHANGNING_VILLAGE);
    assert_eq!(p["jurisdiction_name"], "高竹村委会");
    assert_eq!(p["birth_date"], birth_of(&full_id));
    assert_eq!(p["sex"], sex_of(&full_id));
    assert_eq!(p["version"], 1);
    let masked_id = format!("430{}{}", "*".repeat(11), &full_id[14..]);
    assert_eq!(p["id_number"], masked_id);
    assert_eq!(p["phone"], "138****0001");
    let text = p.to_string();
    assert!(!text.contains(&full_id) && !text.contains("13810000001"), "{text}");

    // A second person elsewhere in 常宁市, then list / search / paging.
    s.create_person(&person("彭建华", "430482", 2, "430482203")).await;
    let list = s.get_json("/api/v1/people?jurisdiction=430482").await;
    assert_eq!(list["total"], 2);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for it in items {
        assert!(it["id_number"].as_str().is_some_and(|s| s.contains("***********")), "{it}");
        assert!(it["phone"].as_str().is_some_and(|s| s.contains("****")), "{it}");
    }
    let found = s.get_json("/api/v1/people?jurisdiction=430482&q=湘云").await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], id);
    let only_village = s.get_json(&format!("/api/v1/people?jurisdiction={CHANGNING_VILLAGE}")).await;
    assert_eq!(only_village["total"], 1);
    let by_id = s.get_json(&format!("/api/v1/people?q={full_id}")).await;
    assert_eq!(by_id["total"], 1);
    let page2 = s.get_json("/api/v1/people?jurisdiction=430482&page=2&per_page=1").await;
    assert_eq!(page2["total"], 2);
    assert_eq!(page2["page"], 2);
    assert_eq!(page2["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page2["items"][0]["id"], id, "newest first, so the first person is on page 2");
    let page3 = s.get_json("/api/v1/people?jurisdiction=430482&page=3&per_page=1").await;
    assert_eq!(page3["items"].as_array().map(Vec::len), Some(0));
    let r = s.get("/api/v1/people?jurisdiction=430482999999").await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "jurisdiction").await;

    // Reads are audited.
    let reads = app
        .store
        .audit(AuditFilter {
            action: Some("read".into()),
            entity: Some("person".into()),
            entity_id: Some(id.to_string()),
            ..Default::default()
        })
        .await;
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].username, "changning");
    assert_eq!(app.store.audit_count("changning", "list").await, 6);
}

#[tokio::test]
async fn unmask_shows_full_numbers_to_allowed_roles_with_a_reason_and_is_audited() {
    let app = spawn_app().await;
    let inv = app.login("changning").await;
    let body = person("邓春梅", "430482", 3, CHANGNING_VILLAGE);
    let full_id = body["id_number"].as_str().expect("id").to_string();
    let id = inv.create_person(&body).await;

    // A reason is required.
    let r = inv.post(&format!("/api/v1/people/{id}/unmask"), &json!({"reason": "x"})).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "reason").await;

    let r = inv.post(&format!("/api/v1/people/{id}/unmask"), &json!({"reason": "流调：密接核实"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("JSON");
    assert_eq!(v["id_number"], full_id.as_str());
    assert_eq!(v["phone"], "13810000003");
    let unmasks = app.store.audit(AuditFilter { action: Some("unmask".into()), ..Default::default() }).await;
    assert_eq!(unmasks.len(), 1);
    assert_eq!(unmasks[0].username, "changning");
    assert_eq!(unmasks[0].entity_id.as_deref(), Some(id.to_string().as_str()));
    assert!(unmasks[0].detail.contains("流调：密接核实"), "{}", unmasks[0].detail);
    assert!(!unmasks[0].detail.contains(&full_id), "the audit log never holds the number");

    // An administrator may too.
    let admin = app.login("admin").await;
    let r = admin.post(&format!("/api/v1/people/{id}/unmask"), &json!({"reason": "数据核查"})).await;
    assert_eq!(r.status(), StatusCode::OK);

    // A field worker (even in the same village) may not: 403, recorded.
    let fw = app.login("gaozhu").await;
    assert_eq!(fw.get(&format!("/api/v1/people/{id}")).await.status(), StatusCode::OK);
    let r = fw.post(&format!("/api/v1/people/{id}/unmask"), &json!({"reason": "想看看号码"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap_or_default().contains(&full_id));
    assert_eq!(app.store.audit_count("gaozhu", "denied").await, 1);
    // …nor through the page.
    let r = fw.form(&format!("/people/{id}/unmask"), &[("reason", "想看看号码")], true).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap_or_default().contains(&full_id));
    assert_eq!(app.store.audit_count("gaozhu", "denied").await, 2);
    assert_eq!(app.store.audit_count("gaozhu", "unmask").await, 0);
    // The detail page is masked; the unmask form shows the full numbers to the investigator.
    let html = inv.page(&format!("/people/{id}")).await.text().await.expect("page");
    assert!(html.contains("邓春梅") && !html.contains(&full_id));
    let r = inv.form(&format!("/people/{id}/unmask"), &[("reason", "流调：再次核实")], true).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert!(r.text().await.expect("page").contains(&full_id));
    assert_eq!(app.store.audit_count("changning", "unmask").await, 2);
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let s = app.login("changning").await;
    let good = person("唐国平", "430482", 4, CHANGNING_VILLAGE);
    let id = s.create_person(&good).await;
    let before = s.get_json(&format!("/api/v1/people/{id}")).await;
    let count = || app.store.count("SELECT COUNT(*) FROM people");
    assert_eq!(count().await, 1);

    // Wrong ISO 7064 MOD 11-2 check character.
    let mut b = person("罗海燕", "430482", 5, CHANGNING_VILLAGE);
    let id5 = b["id_number"].as_str().expect("id").to_string();
    b["id_number"] = json!(bad_check(&id5));
    let v = assert_problem(s.post("/api/v1/people", &b).await, StatusCode::UNPROCESSABLE_ENTITY, "id_number").await;
    assert!(v["detail"].as_str().is_some_and(|d| d.contains("check character")), "{v}");

    // Too short, and letters.
    b["id_number"] = json!("43048219800101");
    assert_problem(s.post("/api/v1/people", &b).await, StatusCode::UNPROCESSABLE_ENTITY, "id_number").await;

    // Duplicate identity number: 409, the stored person untouched.
    let mut dup = person("另一个人", "430482", 4, "430482203");
    dup["phone"] = json!("13900000000");
    let v = assert_problem(s.post("/api/v1/people", &dup).await, StatusCode::CONFLICT, "id_number").await;
    assert!(!v.to_string().contains(good["id_number"].as_str().unwrap_or("?")), "no full number in errors");

    // Unknown jurisdiction code.
    let mut b = person("罗海燕", "430482", 5, "430482999999");
    assert_problem(s.post("/api/v1/people", &b).await, StatusCode::UNPROCESSABLE_ENTITY, "jurisdiction").await;

    // Over-long fields.
    b["jurisdiction"] = json!(CHANGNING_VILLAGE);
    b["name"] = json!("长".repeat(51));
    let v = assert_problem(s.post("/api/v1/people", &b).await, StatusCode::UNPROCESSABLE_ENTITY, "name").await;
    assert!(v["detail"].as_str().is_some_and(|d| d.contains("51")), "{v}");
    b["name"] = json!("罗海燕");
    b["address"] = json!("路".repeat(201));
    assert_problem(s.post("/api/v1/people", &b).await, StatusCode::UNPROCESSABLE_ENTITY, "address").await;

    // Several problems at once: each is named.
    let r = s
        .post(
            "/api/v1/people",
            &json!({"name": "", "id_number": bad_check(&id5), "phone": "abc", "jurisdiction": CHANGNING_VILLAGE}),
        )
        .await;
    let v = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "name").await;
    let fields: Vec<&str> =
        v["errors"].as_array().map_or(vec![], |a| a.iter().filter_map(|e| e["field"].as_str()).collect());
    assert!(fields.contains(&"id_number") && fields.contains(&"phone"), "{fields:?}");

    // Birth date / sex that contradict the number.
    let mut b = person("罗海燕", "430482", 5, CHANGNING_VILLAGE);
    b["birth_date"] = json!("2001-01-01");
    assert_problem(s.post("/api/v1/people", &b).await, StatusCode::UNPROCESSABLE_ENTITY, "birth_date").await;

    assert_eq!(count().await, 1, "nothing was stored by the bad requests");

    // Bad changes to the stored person leave it as it was.
    let mut upd = good.clone();
    upd["version"] = json!(1);
    upd["name"] = json!("长".repeat(51));
    let r = s.put(&format!("/api/v1/people/{id}"), &upd).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "name").await;
    let other = s.create_person(&person("罗海燕", "430482", 5, CHANGNING_VILLAGE)).await;
    let mut upd = good.clone();
    upd["version"] = json!(1);
    upd["id_number"] = json!(id5);
    upd["birth_date"] = json!(birth_of(&id5));
    upd["sex"] = json!(sex_of(&id5));
    let r = s.put(&format!("/api/v1/people/{id}"), &upd).await;
    assert_problem(r, StatusCode::CONFLICT, "id_number").await;
    let mut upd = good.clone();
    upd["version"] = json!(1);
    upd["jurisdiction"] = json!("430482999999");
    let r = s.put(&format!("/api/v1/people/{id}"), &upd).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "jurisdiction").await;

    let after = s.get_json(&format!("/api/v1/people/{id}")).await;
    for k in ["name", "id_number", "phone", "jurisdiction", "version", "updated_at"] {
        assert_eq!(after[k], before[k], "{k} changed");
    }
    assert_eq!(s.get_json(&format!("/api/v1/people/{other}")).await["version"], 1);
    assert_eq!(app.store.audit_count("changning", "update").await, 0);
}

#[tokio::test]
async fn optimistic_locking_refuses_a_stale_version() {
    let app = spawn_app().await;
    let s = app.login("changning").await;
    let body = person("胡晓东", "430482", 6, CHANGNING_VILLAGE);
    let id = s.create_person(&body).await;
    let v1 = s.get_json(&format!("/api/v1/people/{id}")).await;
    assert_eq!(v1["version"], 1);

    let mut first = body.clone();
    first["address"] = json!("新地址 1 号");
    first["version"] = json!(1);
    assert_eq!(s.put(&format!("/api/v1/people/{id}"), &first).await.status(), StatusCode::NO_CONTENT);

    // A second writer who also read version 1.
    let mut second = body.clone();
    second["address"] = json!("另一个地址");
    second["version"] = json!(1);
    let v =
        assert_problem(s.put(&format!("/api/v1/people/{id}"), &second).await, StatusCode::CONFLICT, "version").await;
    assert!(v["detail"].as_str().is_some_and(|d| d.contains("version")));

    let now = s.get_json(&format!("/api/v1/people/{id}")).await;
    assert_eq!(now["version"], 2);
    assert_eq!(now["address"], "新地址 1 号");
    let updates = app.store.audit(AuditFilter { action: Some("update".into()), ..Default::default() }).await;
    assert_eq!(updates.len(), 1);
    assert!(updates[0].detail.contains("address"), "{}", updates[0].detail);

    // With the current version it goes through.
    second["version"] = json!(2);
    assert_eq!(s.put(&format!("/api/v1/people/{id}"), &second).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get_json(&format!("/api/v1/people/{id}")).await["version"], 3);
}

#[tokio::test]
async fn roles_decide_who_may_do_what() {
    let app = spawn_app().await;
    let inv = app.login("changning").await;
    let id = inv.create_person(&person("高志强", "430482", 7, CHANGNING_VILLAGE)).await;

    // Auditor: reads people and the audit log, creates nobody.
    let auditor = app.login("auditor").await;
    let r = auditor.post("/api/v1/people", &person("朱秀英", "430482", 8, CHANGNING_VILLAGE)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.audit_count("auditor", "denied").await, 1);
    assert_eq!(app.store.count("SELECT COUNT(*) FROM people").await, 1);
    let log = auditor.get_json("/api/v1/audit?action=create&entity=person").await;
    assert_eq!(log["total"], 1);
    assert_eq!(log["items"][0]["entity_id"], id.to_string());
    let verify = auditor.get_json("/api/v1/audit/verify").await;
    assert_eq!(verify["ok"], true);
    // An auditor cannot change people either.
    let mut upd = person("高志强", "430482", 7, CHANGNING_VILLAGE);
    upd["version"] = json!(1);
    assert_eq!(auditor.put(&format!("/api/v1/people/{id}"), &upd).await.status(), StatusCode::FORBIDDEN);

    // Others may not read the audit log.
    for u in ["changning", "commander", "gaozhu", "duty"] {
        let s = app.login(u).await;
        assert_eq!(s.get("/api/v1/audit").await.status(), StatusCode::FORBIDDEN, "{u}");
    }

    // Commander: exports (masked), may not unmask or register.
    let cmd = app.login("commander").await;
    let r = cmd.get("/api/v1/people/export?jurisdiction=430482").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with("text/csv")));
    let csv = r.text().await.expect("CSV");
    assert!(csv.contains("高志强"), "{csv}");
    assert!(csv.contains("138****0007"), "{csv}");
    assert!(!csv.contains("13810000007"));
    let r = cmd.get("/api/v1/people/export?format=xlsx").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.expect("xlsx").starts_with(b"PK"));
    assert_eq!(app.store.audit_count("commander", "export").await, 2);
    let r = cmd.post(&format!("/api/v1/people/{id}/unmask"), &json!({"reason": "指挥调度"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Field worker and duty officer may not export.
    for u in ["gaozhu", "duty", "auditor"] {
        let s = app.login(u).await;
        assert_eq!(s.get("/api/v1/people/export").await.status(), StatusCode::FORBIDDEN, "{u}");
        assert!(app.store.audit_count(u, "denied").await >= 1, "{u}");
    }

    // Only an administrator manages users.
    let new_user = json!({"username": "li.si", "role": "field_worker", "jurisdiction": HENGSHAN_VILLAGE,
                          "password": "another-long-password"});
    for u in ["commander", "changning", "auditor"] {
        let s = app.login(u).await;
        assert_eq!(s.post("/api/v1/users", &new_user).await.status(), StatusCode::FORBIDDEN, "{u}");
        assert_eq!(s.get("/api/v1/users").await.status(), StatusCode::FORBIDDEN, "{u}");
    }
    let admin = app.login("admin").await;
    let r = admin.post("/api/v1/users", &new_user).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_problem(admin.post("/api/v1/users", &new_user).await, StatusCode::CONFLICT, "username").await;
    let mut weak = new_user.clone();
    weak["username"] = json!("wang.wu");
    weak["password"] = json!("short");
    assert_problem(admin.post("/api/v1/users", &weak).await, StatusCode::UNPROCESSABLE_ENTITY, "password").await;
    let users = admin.get_json("/api/v1/users").await;
    assert!(users.as_array().is_some_and(|a| a.iter().any(|u| u["username"] == "li.si")));
    // The new user can log in and sees 衡山县 only.
    let li = app.login_raw(&client(), "li.si", "another-long-password").await;
    assert_eq!(li.status(), StatusCode::OK);
}

#[tokio::test]
async fn cookie_writes_need_csrf_and_cross_origin_posts_are_refused() {
    let app = spawn_app().await;
    let s = app.login("changning").await;
    let body = person("徐桂英", "430482", 9, CHANGNING_VILLAGE);

    // Cookie-authenticated API write without X-CSRF-Token: 403, nothing stored.
    let r = s.client.post(s.url("/api/v1/people")).json(&body).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r =
        s.client.post(s.url("/api/v1/people")).header("X-CSRF-Token", "wrong").json(&body).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.count("SELECT COUNT(*) FROM people").await, 0);
    let r =
        s.client.post(s.url("/api/v1/people")).header("X-CSRF-Token", &s.csrf).json(&body).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);

    // UI form without / with _csrf.
    let fields = [
        ("name", "孙敏"),
        ("sex", ""),
        ("birth_date", ""),
        ("id_type", "resident_id"),
        ("id_number", &firebreak::demo::synthetic_id("430482", 10)),
        ("phone", "13712345678"),
        ("address", "1号"),
        ("jurisdiction", CHANGNING_VILLAGE),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, &**v)).collect();
    assert_eq!(s.form("/people/new", &fields, false).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.count("SELECT COUNT(*) FROM people").await, 1);
    let new_page = s.page("/people/new").await.text().await.expect("page");
    assert!(new_page.contains(&s.csrf), "the form carries the session's CSRF token");
    let r = s.form("/people/new", &fields, true).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).expect("Location").to_string();
    assert!(loc.starts_with("/people/"), "{loc}");
    assert_eq!(s.page(&loc).await.status(), StatusCode::OK);
    assert_eq!(app.store.count("SELECT COUNT(*) FROM people").await, 2);

    // A cross-origin POST is refused even with a valid bearer token.
    let r = s
        .client
        .post(s.url("/api/v1/people"))
        .bearer_auth(&s.token)
        .header("Origin", "http://evil.example")
        .json(&person("马勇", "430482", 11, CHANGNING_VILLAGE))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = s
        .client
        .post(s.url("/people/new"))
        .header("Origin", "http://evil.example")
        .form(&[("_csrf", s.csrf.as_str()), ("name", "马勇")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.count("SELECT COUNT(*) FROM people").await, 2);
    // Same origin is fine.
    let r = s
        .client
        .post(s.url("/api/v1/people"))
        .bearer_auth(&s.token)
        .header("Origin", &app.base)
        .json(&person("马勇", "430482", 11, CHANGNING_VILLAGE))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_creates_and_reads_keep_the_audit_chain_intact() {
    let app = spawn_app().await;
    let s = std::sync::Arc::new(app.login("admin").await);
    let villages = [CHANGNING_VILLAGE, HENGSHAN_VILLAGE, "430482203", "430423100", "430405007006"];
    let mut tasks = Vec::new();
    for n in 0..20u64 {
        let s = s.clone();
        let j = villages[n as usize % villages.len()].to_string();
        tasks.push(tokio::spawn(async move {
            let body = person(&format!("并发{n}"), &j[..6], 100 + n, &j);
            let id = s.create_person(&body).await;
            let p = s.get_json(&format!("/api/v1/people/{id}")).await;
            assert_eq!(p["name"], format!("并发{n}"));
            let l = s.get_json(&format!("/api/v1/people?q=并发{n}")).await;
            assert!(l["total"].as_i64().is_some_and(|t| t >= 1));
            id
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("task"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    assert_eq!(app.store.count("SELECT COUNT(*) FROM people").await, 20);
    assert_eq!(app.store.audit_count("admin", "create").await, 20);
    assert_eq!(app.store.audit_count("admin", "read").await, 20);
    let report = firebreak::audit::verify(app.db()).await.expect("verify");
    assert!(report.ok, "{report:?}");
    let seqs = app.store.count("SELECT COUNT(*) FROM audit_log").await;
    assert_eq!(report.entries as i64, seqs);
}
