//! Quarantine facilities, closed-loop transfers and supply requests (src/facilities): rooms,
//! board, occupancy forecast, transfer steps and capacity, the hand-over feeding golden 24 hours;
//! bad input (duplicate rooms, a room with a stay set free, a full facility, a skipped step,
//! wrong role, another jurisdiction's facility).

use crate::helpers::*;
use firebreak::audit::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn created_id(r: reqwest::Response) -> i64 {
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    serde_json::from_str::<Value>(&body).expect("JSON")["id"].as_i64().expect("id")
}

fn facility(code: &str, jurisdiction: &str) -> Value {
    json!({"code": code, "name": format!("{code} 隔离酒店"), "jurisdiction": jurisdiction, "address": "测试路 1 号", "lat": 26.9, "lon": 112.6})
}

/// Today in Asia/Shanghai (the display time zone of the test server).
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// A checked-in stay as the stays slice writes it: the room occupied, a centralized-quarantine
/// measure ending `leaves_in` days from today.
async fn check_in(app: &TestApp, person: i64, facility: i64, room: i64, leaves_in: i64) -> i64 {
    let now = firebreak::db::now();
    let start = today() - chrono::Duration::days(2);
    let to = today() + chrono::Duration::days(leaves_in);
    firebreak::db_run!(app.db(), p => {
        let stay: i64 = sqlx::query_scalar(
            "INSERT INTO quarantine_stays (person_id, control_kind, profile, profile_version, start_date, end_date, facility_id, room_id, \
             home_jurisdiction, status, checked_in_at, created_by, created_at) \
             VALUES ($1, 'close-contact', 'covid19-20-measures', 1, $2, $3, $4, $5, '430482', 'active', $6, 'test', $6) RETURNING id")
            .bind(person).bind(start).bind(to + chrono::Duration::days(3)).bind(facility).bind(room).bind(now)
            .fetch_one(p).await.expect("stay");
        sqlx::query("INSERT INTO quarantine_schedule (stay_id, item, measure, date_from, date_to, day) VALUES ($1, 'measure', 'centralized-quarantine', $2, $3, 5)")
            .bind(stay).bind(start).bind(to).execute(p).await.expect("schedule");
        sqlx::query("UPDATE quarantine_rooms SET status = 'occupied' WHERE id = $1").bind(room).execute(p).await.expect("room");
        stay
    })
}

#[tokio::test]
async fn facilities_rooms_board_scope_and_forecast() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let hengshan = app.login("hengshan").await;
    let changning = app.login("changning").await;
    let duty = app.login("duty").await;

    // Bad input names its fields; a duplicate code is 409; a role that may not is 403 (recorded).
    let r = admin
        .post("/api/v1/facilities", &json!({"code": "bad code!", "name": "", "jurisdiction": "430423", "lat": 27.0}))
        .await;
    let v = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "code").await;
    let fields: Vec<&str> =
        v["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"name") && fields.contains(&"lat"), "{v}");
    let f1 = created_id(admin.post("/api/v1/facilities", &facility("HS-01", "430423")).await).await;
    assert_problem(admin.post("/api/v1/facilities", &facility("HS-01", "430423")).await, StatusCode::CONFLICT, "code")
        .await;
    let r = hengshan.post("/api/v1/facilities", &facility("HS-02", "430423")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.store.audit_count("hengshan", "denied").await >= 1);
    let f_city = created_id(admin.post("/api/v1/facilities", &facility("CITY-01", "430400")).await).await;

    // Rooms: floors 2..3 × 5, then a duplicate is refused whole; CSV rows named by line and column.
    let bulk = json!({"building": "A栋", "floor_from": 2, "floor_to": 3, "rooms_per_floor": 5});
    let r = admin.post(&format!("/api/v1/facilities/{f1}/rooms"), &bulk).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v = assert_problem(
        admin.post(&format!("/api/v1/facilities/{f1}/rooms"), &bulk).await,
        StatusCode::CONFLICT,
        "number",
    )
    .await;
    assert!(v["detail"].as_str().unwrap_or("").contains("A栋 201"), "{v}");
    assert_problem(
        admin
            .post(
                &format!("/api/v1/facilities/{f1}/rooms"),
                &json!({"floor_from": 5, "floor_to": 3, "rooms_per_floor": 2}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "floor_to",
    )
    .await;
    let csv_post = |body: &'static str| {
        admin
            .client
            .post(admin.url(&format!("/api/v1/facilities/{f1}/rooms/import")))
            .bearer_auth(&admin.token)
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let r = csv_post("building,floor,number,kind,beds\nB栋,1,101,double,\nB栋,x,102,single,1\n").await.expect("import");
    let v = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "floor").await;
    assert!(v["detail"].as_str().unwrap_or("").contains("line 3, column 2"), "{v}");
    let r = csv_post("building,floor,number,kind,beds\nB栋,1,101,double,\nB栋,1,102,,\n").await.expect("import");
    assert_eq!(r.status(), StatusCode::CREATED);
    let rooms_n: i64 =
        app.store.count(&format!("SELECT COUNT(*) FROM quarantine_rooms WHERE facility_id = {f1}")).await;
    assert_eq!(rooms_n, 12, "nothing of the refused imports was stored");

    // The board: buildings, floors top first, counts; beds: 10 singles + a double + a single.
    let b = admin.get_json(&format!("/api/v1/facilities/{f1}/board")).await;
    assert_eq!(b["counts"]["total"], 12);
    assert_eq!(b["counts"]["free"], 12);
    assert_eq!(b["counts"]["beds"], 13);
    assert_eq!(b["buildings"][0]["building"], "A栋");
    assert_eq!(b["buildings"][0]["floors"][0]["floor"], 3);
    let room = |b: &Value, n: &str| -> i64 {
        b["buildings"]
            .as_array()
            .expect("buildings")
            .iter()
            .flat_map(|bu| bu["floors"].as_array().expect("floors").iter())
            .flat_map(|f| f["rooms"].as_array().expect("rooms").iter())
            .find(|r| r["number"] == n)
            .expect("room")["id"]
            .as_i64()
            .expect("id")
    };
    let r201 = room(&b, "201");
    let r202 = room(&b, "202");

    // Scope: 常宁 does not see the 衡山 facility (404, recorded) but sees the city's (above it),
    // without its occupants; 衡山 sees both.
    assert_eq!(changning.get(&format!("/api/v1/facilities/{f1}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(changning.get(&format!("/api/v1/facilities/{f1}/board")).await.status(), StatusCode::NOT_FOUND);
    let denied = app
        .store
        .audit(AuditFilter { username: Some("changning".into()), action: Some("denied".into()), ..Default::default() })
        .await;
    assert!(denied.iter().any(|e| e.entity == "quarantine_facility"), "the refused read is recorded");
    let list = changning.get_json("/api/v1/facilities").await;
    let codes: Vec<&str> = list.as_array().expect("list").iter().filter_map(|f| f["code"].as_str()).collect();
    assert_eq!(codes, ["CITY-01"]);
    let list = hengshan.get_json("/api/v1/facilities").await;
    assert_eq!(list.as_array().expect("list").len(), 2);
    admin
        .post(
            &format!("/api/v1/facilities/{f_city}/rooms"),
            &json!({"floor_from": 1, "floor_to": 1, "rooms_per_floor": 1}),
        )
        .await;
    assert_eq!(changning.get(&format!("/api/v1/facilities/{f_city}/board")).await.status(), StatusCode::OK);
    let cb = admin.get_json(&format!("/api/v1/facilities/{f_city}/board")).await;
    let city_room = room(&cb, "101");
    assert_eq!(
        changning.get(&format!("/api/v1/facilities/{f_city}/rooms/{city_room}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // Room status by hand: cleaning → free; occupied only by check-in; a field worker of another
    // county cannot touch the room; a room with an active stay cannot be set free (double booking).
    let set = |s: &Session, room: i64, status: &str| {
        let body = json!({"status": status});
        let url = s.url(&format!("/api/v1/facilities/{f1}/rooms/{room}/status"));
        s.client.put(url).bearer_auth(&s.token).json(&body).send()
    };
    assert_eq!(set(&admin, r202, "cleaning").await.expect("put").status(), StatusCode::NO_CONTENT);
    assert_problem(set(&admin, r202, "occupied").await.expect("put"), StatusCode::UNPROCESSABLE_ENTITY, "status").await;
    let gaozhu = app.login("gaozhu").await;
    assert_eq!(set(&gaozhu, r202, "free").await.expect("put").status(), StatusCode::NOT_FOUND);
    assert_eq!(
        set(&hengshan, r202, "free").await.expect("put").status(),
        StatusCode::FORBIDDEN,
        "investigators do not run rooms"
    );
    let p = admin.create_person(&person("王小明", "430423", 11, HENGSHAN_VILLAGE)).await;
    let stay = check_in(&app, p, f1, r201, 3).await;
    let v = assert_problem(set(&admin, r201, "free").await.expect("put"), StatusCode::CONFLICT, "status").await;
    assert!(v["detail"].as_str().unwrap_or("").contains("201"), "{v}");
    assert_problem(set(&admin, r201, "out_of_service").await.expect("put"), StatusCode::CONFLICT, "status").await;

    // Click a room: occupant, release day; the duty officer sees a masked name; reads recorded.
    let d = admin.get_json(&format!("/api/v1/facilities/{f1}/rooms/{r201}")).await;
    assert_eq!(d["occupants"][0]["stay_id"], stay);
    assert_eq!(d["occupants"][0]["name"], "王小明");
    assert!(d["occupants"][0]["id_number"].as_str().unwrap_or("").contains('*'));
    let leaves = (today() + chrono::Duration::days(3)).to_string();
    assert_eq!(d["occupants"][0]["leaves_on"], leaves.as_str());
    let d = duty.get_json(&format!("/api/v1/facilities/{f1}/rooms/{r201}")).await;
    assert_eq!(d["occupants"][0]["name"], "王**");
    let reads = app
        .store
        .audit(AuditFilter { username: Some("duty".into()), action: Some("read".into()), ..Default::default() })
        .await;
    assert!(reads.iter().any(|e| e.entity == "quarantine_room"));

    // Occupancy today and the forecast: 11 rooms not out of service free or cleaning now, the
    // occupied room frees up in 3 days.
    let o = admin.get_json(&format!("/api/v1/facilities/{f1}/occupancy?days=7")).await;
    assert_eq!(o["history"].as_array().expect("history").len(), 7);
    assert_eq!(o["history"][6]["occupied"], 1);
    assert_eq!(o["history"][0]["occupied"], 0);
    let fc = o["forecast"].as_array().expect("forecast");
    assert_eq!(fc.len(), 14);
    assert_eq!(fc[0]["free"], 10, "10 free now (one cleaning, one occupied)");
    assert_eq!(fc[1]["free"], 11, "the cleaned room from tomorrow");
    assert_eq!(fc[3]["releasing"], 1);
    assert_eq!(fc[3]["free"], 12);

    // Staff: phones masked.
    let r = admin
        .post(
            &format!("/api/v1/facilities/{f1}/staff"),
            &json!({"name": "陈静", "duty": "medical", "phone": "13907340022"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let s = admin.get_json(&format!("/api/v1/facilities/{f1}/staff")).await;
    assert_eq!(s[0]["phone"], "139****0022");
    assert_problem(
        admin.post(&format!("/api/v1/facilities/{f1}/staff"), &json!({"name": "x", "duty": "chef"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "duty",
    )
    .await;

    // Edit with the version read; a stale version is 409.
    let mut body = facility("HS-01", "430423");
    body["name"] = json!("衡山县隔离酒店（改）");
    body["version"] = json!(1);
    assert_eq!(admin.put(&format!("/api/v1/facilities/{f1}"), &body).await.status(), StatusCode::NO_CONTENT);
    assert_problem(admin.put(&format!("/api/v1/facilities/{f1}"), &body).await, StatusCode::CONFLICT, "version").await;

    // Pages: list, board (with the add-rooms form for an administrator), forms.
    for path in [
        "/facilities".to_string(),
        format!("/facilities/{f1}"),
        "/facilities/new".into(),
        format!("/facilities/{f1}/edit"),
    ] {
        let r = admin.page(&path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    let html = admin.page(&format!("/facilities/{f1}")).await.text().await.expect("html");
    assert!(html.contains("id=\"add-rooms\"") && html.contains("data-room=\"") && html.contains("st-occupied"));
    let r = admin
        .form(
            &format!("/facilities/{f1}/rooms"),
            &[
                ("building", "C栋"),
                ("floor_from", "1"),
                ("floor_to", "1"),
                ("rooms_per_floor", "3"),
                ("kind", "double"),
                ("beds", ""),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .count(&format!(
                "SELECT COUNT(*) FROM quarantine_rooms WHERE facility_id = {f1} AND building = 'C栋' AND beds = 2"
            ))
            .await,
        3
    );
    let r = admin.form(&format!("/facilities/{f1}/rooms/{r201}/status"), &[("status", "free")], true).await;
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(loc.contains("err="), "refused on the page too: {loc}");
    assert_eq!(changning.page(&format!("/facilities/{f1}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn transfers_steps_capacity_and_golden24() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let changning = app.login("changning").await;
    let hengshan = app.login("hengshan").await;
    let auditor = app.login("auditor").await;
    let fid = created_id(admin.post("/api/v1/facilities", &facility("CN-01", "430482")).await).await;
    let r = admin
        .post(
            &format!("/api/v1/facilities/{fid}/rooms"),
            &json!({"floor_from": 1, "floor_to": 1, "rooms_per_floor": 2}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let p: Vec<i64> = {
        let mut v = vec![];
        for (i, name) in ["赵一", "钱二", "孙三", "李四"].iter().enumerate() {
            v.push(admin.create_person(&person(name, "430482", 20 + i as u64, CHANGNING_VILLAGE)).await);
        }
        v
    };
    // A case of the desk (reported 5 hours ago) and its close contact p[0], identified 4 hours ago.
    let now = firebreak::db::now();
    // A case of the desk (entered 5 hours ago, onset yesterday) and a household exposure that
    // makes p[0] its close contact; the contact is set as identified 4 hours ago.
    let case_id: i64 = firebreak::db_run!(app.db(), pool => sqlx::query_scalar(
        "INSERT INTO cases (person_id, source, source_id, classification, reporting_jurisdiction, home_jurisdiction, onset_date, report_date, created_at, updated_at) \
         VALUES ($1, 'manual', 'T-1', 'confirmed', '430482', '430482', $2, $3, $4, $4) RETURNING id")
        .bind(p[3]).bind(today() - chrono::Duration::days(1)).bind(today()).bind(now - chrono::Duration::hours(5))
        .fetch_one(pool).await.expect("case"));
    let r = admin
        .post(
            "/api/v1/exposures",
            &json!({"person_a": p[3], "person_b": p[0], "kind": "household", "start_date": (today() - chrono::Duration::days(1)).to_string(), "protection": "none"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let contact_id: i64 = firebreak::db_run!(app.db(), pool => {
        sqlx::query("UPDATE contacts SET identified_at = $1 WHERE case_id = $2").bind(now - chrono::Duration::hours(4)).bind(case_id)
            .execute(pool).await.expect("identified");
        sqlx::query_scalar("SELECT id FROM contacts WHERE case_id = $1 AND person_id = $2 AND classification = 'close'")
            .bind(case_id).bind(p[0]).fetch_one(pool).await.expect("the close contact")
    });

    let html = admin.page(&format!("/cases/{case_id}")).await.text().await.expect("html");
    assert!(
        html.contains(&format!("/transfers/new?case_id={case_id}&amp;person_id={}", p[0]))
            || html.contains(&format!("/transfers/new?case_id={case_id}&person_id={}", p[0])),
        "the desk's contact row links to a transfer"
    );
    // From the desk: the contact's person, kind and identified time.
    let t1 =
        created_id(changning.post("/api/v1/transfers", &json!({"contact_id": contact_id, "facility_id": fid})).await)
            .await;
    let t = changning.get_json(&format!("/api/v1/transfers/{t1}")).await;
    assert_eq!(t["person_id"], p[0]);
    assert_eq!(t["control_kind"], "close-contact");
    assert_eq!(t["case_id"], case_id);
    assert_eq!(t["status"], "requested");
    assert!(t["pickup_address"].as_str().unwrap_or("").contains("20号"), "{t}");
    assert_problem(
        changning.post("/api/v1/transfers", &json!({"person_id": p[0], "facility_id": fid})).await,
        StatusCode::CONFLICT,
        "person_id",
    )
    .await;
    // Two rooms: the second task takes the last one; a third person is refused (full) unless
    // they join the second one's household.
    created_id(
        changning
            .post("/api/v1/transfers", &json!({"person_id": p[1], "facility_id": fid, "household_key": "H1"}))
            .await,
    )
    .await;
    let v = assert_problem(
        changning.post("/api/v1/transfers", &json!({"person_id": p[2], "facility_id": fid})).await,
        StatusCode::CONFLICT,
        "facility_id",
    )
    .await;
    assert!(v["detail"].as_str().unwrap_or("").contains("full"), "{v}");
    let t3 = created_id(
        changning
            .post("/api/v1/transfers", &json!({"person_id": p[2], "facility_id": fid, "household_key": "H1"}))
            .await,
    )
    .await;
    // Bad input, wrong role, another county.
    assert_problem(
        changning.post("/api/v1/transfers", &json!({"facility_id": fid})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "person_id",
    )
    .await;
    assert_problem(
        changning
            .post("/api/v1/transfers", &json!({"person_id": p[3], "facility_id": fid, "control_kind": "tourist"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "control_kind",
    )
    .await;
    assert_problem(
        changning
            .post(
                "/api/v1/transfers",
                &json!({"person_id": p[3], "facility_id": fid, "pickup_jurisdiction": "nowhere"}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pickup_jurisdiction",
    )
    .await;
    assert_eq!(
        changning
            .post("/api/v1/transfers", &json!({"person_id": p[3], "facility_id": fid, "pickup_jurisdiction": "430423"}))
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "a pick-up unit outside the user's county"
    );
    assert_eq!(
        auditor.post("/api/v1/transfers", &json!({"person_id": p[3], "facility_id": fid})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(hengshan.get(&format!("/api/v1/transfers/{t1}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        hengshan.post("/api/v1/transfers", &json!({"person_id": p[3], "facility_id": fid})).await.status(),
        StatusCode::NOT_FOUND
    );
    let masked = auditor.get_json(&format!("/api/v1/transfers/{t1}")).await;
    assert_eq!(masked["name"], "赵*");
    assert!(masked["id_number"].as_str().unwrap_or("").contains('*'));

    // Steps: no skipping, dispatch needs vehicle and escort, never back.
    let step = |s: &str| json!({"status": s});
    let adv = format!("/api/v1/transfers/{t1}/advance");
    let v = assert_problem(changning.post(&adv, &step("picked_up")).await, StatusCode::UNPROCESSABLE_ENTITY, "status")
        .await;
    assert!(v["detail"].as_str().unwrap_or("").contains("skipped"), "{v}");
    assert_problem(changning.post(&adv, &step("dispatched")).await, StatusCode::UNPROCESSABLE_ENTITY, "vehicle").await;
    let r = changning.post(&adv, &json!({"status": "dispatched", "vehicle": "湘D·Z3101", "escort": "王警官"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = assert_problem(changning.post(&adv, &step("requested")).await, StatusCode::UNPROCESSABLE_ENTITY, "status")
        .await;
    assert!(v["detail"].as_str().unwrap_or("").contains("back"), "{v}");
    assert_eq!(auditor.post(&adv, &step("picked_up")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(changning.post(&adv, &step("picked_up")).await.status(), StatusCode::OK);
    let r = changning.post(&adv, &step("handed_over")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.expect("json");
    for k in ["dispatched_at", "picked_up_at", "handed_over_at"] {
        assert!(t[k].is_string(), "{k} stamped: {t}");
    }
    assert_problem(
        changning.post(&adv, &json!({"status": "cancelled", "reason": "重复"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "status",
    )
    .await;

    // The hand-over placed the contact under control (golden 24 hours).
    let controlled: i64 = app
        .store
        .count(&format!("SELECT COUNT(*) FROM contacts WHERE id = {contact_id} AND controlled_at IS NOT NULL"))
        .await;
    assert_eq!(controlled, 1);
    let g = admin.get_json(&format!("/api/v1/golden24?from={}&to={}", today(), today())).await;
    let total: i64 = g.as_array().expect("rows").iter().map(|r| r["controlled_24h"].as_i64().unwrap_or(0)).sum();
    assert_eq!(total, 1, "{g}");
    let timing = admin.get_json("/api/v1/transfers/timing").await;
    assert_eq!(timing[0]["handed_over"], 1);
    let h = timing[0]["median_hours"].as_f64().expect("hours");
    assert!((3.9..=4.2).contains(&h), "identified 4 h ago: {h}");
    assert_eq!(timing[0]["within_24h"], 1);
    // The check-in form's list: handed over, no stay yet.
    let waiting = changning.get_json(&format!("/api/v1/facilities/{fid}/awaiting-check-in")).await;
    assert_eq!(waiting.as_array().expect("list").len(), 1);
    assert_eq!(waiting[0]["id"], t1);

    // Cancelling needs a reason; a cancelled task frees its household's room.
    let adv3 = format!("/api/v1/transfers/{t3}/advance");
    assert_problem(changning.post(&adv3, &step("cancelled")).await, StatusCode::UNPROCESSABLE_ENTITY, "reason").await;
    assert_eq!(
        changning.post(&adv3, &json!({"status": "cancelled", "reason": "已居家隔离"})).await.status(),
        StatusCode::OK
    );
    let board = changning.get_json(&format!("/api/v1/transfers?facility_id={fid}")).await;
    assert_eq!(board.as_array().expect("list").len(), 3);

    // Pages: the board with a big button per task, the new-task form from the desk's contact.
    let html = changning.page("/transfers").await.text().await.expect("html");
    assert!(html.contains("transfer-board") && html.contains("data-transfer=\""));
    let r = changning.page(&format!("/transfers/new?case_id={case_id}&person_id={}", p[0])).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("html").contains(&format!("value=\"{contact_id}\"")));
    let t2 = created_id(
        admin.post("/api/v1/transfers", &json!({"person_id": p[3], "facility_id": fid, "household_key": "H1"})).await,
    )
    .await;
    let r = changning.form(&format!("/transfers/{t2}/advance"), &[("status", "handed_over")], true).await;
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(loc.contains("err="), "skipping refused on the page: {loc}");
    let r = changning
        .form(
            &format!("/transfers/{t2}/advance"),
            &[("status", "dispatched"), ("vehicle", "湘D·1"), ("escort", "李医生")],
            true,
        )
        .await;
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(loc.contains("msg="), "{loc}");
}

#[tokio::test]
async fn supply_requests_scope_roles_and_steps() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let gaozhu = app.login("gaozhu").await;
    let hengshan = app.login("hengshan").await;
    let duty = app.login("duty").await;
    let here = admin.create_person(&person("何伟", "430482", 31, CHANGNING_VILLAGE)).await;
    let there = admin.create_person(&person("罗娟", "430423", 32, HENGSHAN_VILLAGE)).await;
    let id = created_id(
        gaozhu
            .post("/api/v1/supplies", &json!({"person_id": here, "kind": "medicine", "detail": "降压药一个月"}))
            .await,
    )
    .await;
    assert_eq!(
        gaozhu.post("/api/v1/supplies", &json!({"person_id": there, "kind": "medicine", "detail": "x"})).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_problem(
        gaozhu.post("/api/v1/supplies", &json!({"person_id": here, "kind": "pizza", "detail": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "kind",
    )
    .await;
    assert_eq!(
        hengshan
            .post("/api/v1/supplies", &json!({"person_id": there, "kind": "medicine", "detail": "x"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let list = gaozhu.get_json("/api/v1/supplies").await;
    assert_eq!(list.as_array().expect("list").len(), 1);
    assert_eq!(
        hengshan.get_json("/api/v1/supplies").await.as_array().expect("list").len(),
        0,
        "another county's requests are not listed"
    );
    let st = format!("/api/v1/supplies/{id}/status");
    assert_problem(duty.post(&st, &json!({"status": "cancelled"})).await, StatusCode::UNPROCESSABLE_ENTITY, "note")
        .await;
    assert_eq!(duty.post(&st, &json!({"status": "in_progress"})).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        gaozhu.post(&st, &json!({"status": "fulfilled", "note": "已送达"})).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        gaozhu.post(&st, &json!({"status": "in_progress"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "status",
    )
    .await;
    let done = gaozhu.get_json("/api/v1/supplies?status=fulfilled").await;
    assert_eq!(done[0]["handled_by"], "duty");
    assert!(done[0]["fulfilled_at"].is_string());
    assert!(app.store.audit_count("gaozhu", "list").await >= 2);
    let html = gaozhu.page("/supplies?status=fulfilled").await.text().await.expect("html");
    assert!(html.contains("降压药一个月"));
    let r = gaozhu
        .form("/supplies", &[("person_id", &here.to_string()), ("kind", "necessities"), ("detail", "大米")], true)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
