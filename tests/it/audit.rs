//! The audit trail: every read, change, export and unmasking is there, and a tampered or
//! deleted row is found by `firebreak::audit::verify`.

use crate::helpers::*;
use firebreak::audit::AuditFilter;
use reqwest::StatusCode;
use serde_json::json;

/// The triggers that refuse UPDATE / DELETE on the audit log are dropped (as an attacker with
/// database access would).
pub async fn drop_audit_triggers(store: &TestDb) {
    if store.is_pg() {
        store.exec("DROP TRIGGER audit_no_update ON audit_log").await;
    } else {
        store.exec("DROP TRIGGER audit_no_update").await;
        store.exec("DROP TRIGGER audit_no_delete").await;
    }
}

/// Some activity: a person created, read, changed, unmasked and exported.
pub async fn activity(app: &TestApp) -> i64 {
    let s = app.login("changning").await;
    let body = person("吴芳", "430482", 31, CHANGNING_VILLAGE);
    let id = s.create_person(&body).await;
    s.get_json(&format!("/api/v1/people/{id}")).await;
    let mut upd = body.clone();
    upd["address"] = json!("新址");
    upd["version"] = json!(1);
    assert_eq!(s.put(&format!("/api/v1/people/{id}"), &upd).await.status(), StatusCode::NO_CONTENT);
    let r = s.post(&format!("/api/v1/people/{id}/unmask"), &json!({"reason": "流调核实"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(s.get("/api/v1/people/export?jurisdiction=430482").await.status(), StatusCode::OK);
    id
}

#[tokio::test]
async fn every_read_change_export_and_unmasking_is_logged() {
    let app = spawn_app().await;
    let id = activity(&app).await;
    let on_person = app
        .store
        .audit(AuditFilter { entity: Some("person".into()), entity_id: Some(id.to_string()), ..Default::default() })
        .await;
    let mut actions: Vec<&str> = on_person.iter().map(|e| e.action.as_str()).collect();
    actions.reverse(); // oldest first
    // update and unmask read the record first.
    assert_eq!(actions, ["create", "read", "read", "update", "read", "unmask"]);
    for e in &on_person {
        assert_eq!(e.username, "changning");
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(e.jurisdiction_code.as_deref(), Some(CHANGNING_VILLAGE));
    }
    let update = on_person.iter().find(|e| e.action == "update").expect("update entry");
    assert!(update.detail.contains("address"), "{}", update.detail);
    let export = app.store.audit(AuditFilter { action: Some("export".into()), ..Default::default() }).await;
    assert_eq!(export.len(), 1);
    assert!(export[0].detail.contains("430482") && export[0].detail.contains("\"rows\":1"), "{}", export[0].detail);

    // Auditors read the same through the API.
    let auditor = app.login("auditor").await;
    let page = auditor.get_json(&format!("/api/v1/audit?entity=person&entity_id={id}")).await;
    assert_eq!(page["total"], 6);
    let today = chrono::Utc::now().date_naive();
    let page = auditor.get_json(&format!("/api/v1/audit?action=unmask&from={today}&to={today}")).await;
    assert_eq!(page["total"], 1);
    let yesterday = today.pred_opt().expect("a day before");
    let page = auditor.get_json(&format!("/api/v1/audit?action=unmask&to={yesterday}")).await;
    assert_eq!(page["total"], 0);
    let report = firebreak::audit::verify(app.db()).await.expect("verify");
    assert!(report.ok, "{report:?}");
}

#[tokio::test]
async fn the_database_refuses_edits_of_the_log() {
    let app = spawn_app().await;
    activity(&app).await;
    let upd = app.store.try_exec("UPDATE audit_log SET detail = '{}' WHERE seq = 1").await;
    assert!(upd.is_err(), "UPDATE must be refused");
    let del = app.store.try_exec("DELETE FROM audit_log WHERE seq = 1").await;
    assert!(del.is_err(), "DELETE must be refused");
    assert!(firebreak::audit::verify(app.db()).await.expect("verify").ok);
}

#[tokio::test]
async fn verify_names_an_edited_entry() {
    let app = spawn_app().await;
    activity(&app).await;
    let n = app.store.count("SELECT COUNT(*) FROM audit_log").await;
    assert!(n > 10);
    let report = firebreak::audit::verify(app.db()).await.expect("verify");
    assert!(report.ok && report.entries as i64 == n, "{report:?}");

    // Hide the reason of the unmasking.
    let seq = app.store.count("SELECT MAX(seq) FROM audit_log WHERE action = 'unmask'").await;
    drop_audit_triggers(&app.store).await;
    app.store.exec(&format!("UPDATE audit_log SET detail = '{{\"reason\":\"routine\"}}' WHERE seq = {seq}")).await;
    let report = firebreak::audit::verify(app.db()).await.expect("verify");
    assert!(!report.ok);
    assert_eq!(report.first_bad_seq, Some(seq), "{report:?}");
    assert!(report.problem.as_deref().is_some_and(|p| p.contains(&seq.to_string())), "{report:?}");

    // The API reports the same to an auditor.
    let auditor = app.login("auditor").await;
    let v = auditor.get_json("/api/v1/audit/verify").await;
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_bad_seq"], seq);
}

#[tokio::test]
async fn verify_finds_a_deleted_middle_entry() {
    let app = spawn_app().await;
    activity(&app).await;
    let seq = app.store.count("SELECT MAX(seq) FROM audit_log WHERE action = 'update'").await;
    let next = app.store.count(&format!("SELECT MIN(seq) FROM audit_log WHERE seq > {seq}")).await;
    drop_audit_triggers(&app.store).await;
    app.store.exec(&format!("DELETE FROM audit_log WHERE seq = {seq}")).await;
    let report = firebreak::audit::verify(app.db()).await.expect("verify");
    assert!(!report.ok);
    assert_eq!(report.first_bad_seq, Some(next), "the entry after the gap: {report:?}");
}
