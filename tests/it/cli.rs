//! The `firebreak` binary itself: `audit verify`, `user add`, `import jurisdictions`.

use crate::audit::{activity, drop_audit_triggers};
use crate::helpers::*;
use reqwest::StatusCode;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `firebreak ARGS` (off the async runtime), feeding `stdin`.
async fn firebreak(args: Vec<String>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_firebreak"))
            .args(&args)
            .env_remove("FIREBREAK_DATABASE_URL")
            .env("FIREBREAK_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting firebreak");
        if let Some(input) = stdin {
            child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("writing stdin");
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("running firebreak")
    })
    .await
    .expect("CLI task")
}

fn args(parts: &[&str], db: &TestDb) -> Vec<String> {
    let mut v: Vec<String> = parts.iter().map(|s| (*s).to_string()).collect();
    v.extend(db.cli_db_args());
    v
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test]
async fn audit_verify_exits_non_zero_naming_the_bad_entry() {
    let app = spawn_app().await;
    activity(&app).await;
    let o = firebreak(args(&["audit", "verify"], &app.store), None).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("audit chain intact"), "{}", out(&o));

    let seq = app.store.count("SELECT MAX(seq) FROM audit_log WHERE action = 'export'").await;
    drop_audit_triggers(&app.store).await;
    app.store.exec(&format!("UPDATE audit_log SET detail = '{{}}' WHERE seq = {seq}")).await;
    let o = firebreak(args(&["audit", "verify"], &app.store), None).await;
    assert!(!o.status.success(), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("BROKEN at entry {seq}")), "{err}");
}

#[tokio::test]
async fn user_add_with_password_stdin_creates_a_user_who_can_log_in() {
    let store = TestDb::seeded().await;
    let o = firebreak(
        args(
            &[
                "user",
                "add",
                "--username",
                "zhao.liu",
                "--role",
                "investigator",
                "--jurisdiction",
                "430482",
                "--password-stdin",
            ],
            &store,
        ),
        Some("a-password-from-stdin\n".into()),
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("user zhao.liu created"), "{stdout}");
    assert!(!stdout.contains("a-password-from-stdin"), "the password is not echoed");
    let creates = store
        .audit_count(&format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())), "create")
        .await;
    assert_eq!(creates, 1);

    // A taken name, an unknown role and a weak password are refused, naming the problem.
    let o = firebreak(
        args(
            &[
                "user",
                "add",
                "--username",
                "zhao.liu",
                "--role",
                "investigator",
                "--jurisdiction",
                "430482",
                "--password-stdin",
            ],
            &store,
        ),
        Some("a-password-from-stdin\n".into()),
    )
    .await;
    assert!(!o.status.success());
    assert!(out(&o).contains("taken"), "{}", out(&o));
    let o = firebreak(
        args(
            &["user", "add", "--username", "qian.qi", "--role", "boss", "--jurisdiction", "430482", "--password-stdin"],
            &store,
        ),
        Some("a-password-from-stdin\n".into()),
    )
    .await;
    assert!(!o.status.success());
    assert!(out(&o).contains("role"), "{}", out(&o));
    let o = firebreak(
        args(
            &[
                "user",
                "add",
                "--username",
                "qian.qi",
                "--role",
                "admin",
                "--jurisdiction",
                "430482",
                "--password-stdin",
            ],
            &store,
        ),
        Some("short\n".into()),
    )
    .await;
    assert!(!o.status.success());
    assert!(out(&o).contains("password"), "{}", out(&o));
    assert!(firebreak::auth::by_username(&store.db, "qian.qi").await.expect("query").is_none());

    // The server on the same database lets the new user in, scoped to 常宁市.
    let app = spawn_app_on(store).await;
    let c = client();
    let r = app.login_raw(&c, "zhao.liu", "a-password-from-stdin").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.expect("JSON");
    assert_eq!(v["role"], "investigator");
    assert_eq!(v["jurisdiction"], "430482");
    let o = firebreak(args(&["user", "list"], &app.store), None).await;
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("zhao.liu"), "{}", out(&o));
}

/// Copies the real 常宁市 part of the Hengyang tree into `dir`, changed by `edit(file, text)`.
fn write_changning(dir: &Path, edit: impl Fn(&str, String) -> String) {
    let src = data_dir();
    for f in ["cities.csv", "areas.csv", "streets.csv", "villages.csv"] {
        let text = std::fs::read_to_string(src.join(f)).expect("reading the real data");
        let mut lines = text.lines();
        let header = lines.next().expect("header");
        let keep: Vec<&str> = lines.filter(|l| f == "cities.csv" || l.starts_with("430482")).collect();
        let text = format!("{header}\n{}\n", keep.join("\n"));
        std::fs::write(dir.join(f), edit(f, text)).expect("writing CSV");
    }
}

fn changning_rows() -> usize {
    let src = data_dir();
    let n = |f: &str| {
        std::fs::read_to_string(src.join(f)).expect("CSV").lines().skip(1).filter(|l| l.starts_with("430482")).count()
    };
    1 + n("areas.csv") + n("streets.csv") + n("villages.csv")
}

#[tokio::test]
async fn import_jurisdictions_all_or_nothing_and_skip_bad_rows() {
    let store = TestDb::empty().await;
    let units = || store.count("SELECT COUNT(*) FROM jurisdictions");
    let csv = tempfile::tempdir().expect("temp dir");

    // A file missing a column: refused naming it, nothing written.
    write_changning(csv.path(), |f, t| {
        if f == "villages.csv" { t.replacen("code,name,streetCode", "code,name,street", 1) } else { t }
    });
    let dir = csv.path().display().to_string();
    let o = firebreak(args(&["import", "jurisdictions", &dir], &store), None).await;
    assert!(!o.status.success());
    let msg = out(&o);
    assert!(msg.contains("villages.csv") && msg.contains("streetCode"), "{msg}");
    assert_eq!(units().await, 0);

    // A bad row (a letter in a village code): nothing imported without --skip-bad-rows.
    let bad_line = |t: String| -> (String, usize) {
        let lines: Vec<&str> = t.lines().collect();
        let i = lines.iter().position(|l| l.starts_with("430482203216")).expect("高竹村 is in the data");
        let mut owned: Vec<String> = lines.iter().map(|s| (*s).to_string()).collect();
        owned[i] = owned[i].replacen("430482203216", "43048220321X", 1);
        (owned.join("\n") + "\n", i + 1)
    };
    let (_, line_no) = bad_line(
        std::fs::read_to_string(data_dir().join("villages.csv"))
            .expect("villages")
            .lines()
            .enumerate()
            .filter(|(i, l)| *i == 0 || l.starts_with("430482"))
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    write_changning(csv.path(), |f, t| if f == "villages.csv" { bad_line(t).0 } else { t });
    let o = firebreak(args(&["import", "jurisdictions", &dir], &store), None).await;
    assert!(!o.status.success());
    let msg = out(&o);
    assert!(msg.contains(&format!("villages.csv, line {line_no}, column code")), "{msg}");
    assert!(msg.contains("nothing was imported"), "{msg}");
    assert_eq!(units().await, 0);

    // With --skip-bad-rows: the rest is imported and the bad row listed.
    let o = firebreak(args(&["import", "jurisdictions", &dir, "--skip-bad-rows"], &store), None).await;
    assert!(o.status.success(), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains(&format!("skipped: villages.csv, line {line_no}, column code")), "{stdout}");
    let expected = changning_rows() - 1;
    assert!(stdout.contains(&format!("imported {expected} rows")), "{stdout}");
    assert_eq!(units().await, expected as i64);
    assert!(firebreak::jurisdictions::get(&store.db, "430482203216").await.expect("query").is_none());
    let j = firebreak::jurisdictions::get(&store.db, "430482203").await.expect("query").expect("the township is there");
    assert_eq!(j.level, "township");
    assert_eq!(j.parent_code.as_deref(), Some("430482"));

    // Importing the good files again adds the missing village and changes nothing else.
    write_changning(csv.path(), |_, t| t);
    let o = firebreak(args(&["import", "jurisdictions", &dir], &store), None).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(1 new"), "{}", out(&o));
    assert_eq!(units().await, expected as i64 + 1);
    assert!(firebreak::audit::verify(&store.db).await.expect("verify").ok);
}

/// With an audit key (HMAC), someone who can write the database but not read the key cannot
/// rewrite the chain consistently: recomputing the hashes without the key is detected.
#[tokio::test]
async fn keyed_audit_chain_detects_a_consistent_rewrite_without_the_key() {
    let store = TestDb::empty().await;
    let key_dir = tempfile::tempdir().expect("temp dir");
    let key = key_dir.path().join("audit.key");
    std::fs::write(&key, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff").expect("key");
    let key_arg = key.display().to_string();
    let tree = format!("{}/data/jurisdictions/hengyang_430400", env!("CARGO_MANIFEST_DIR"));
    let o = firebreak(args(&["import", "jurisdictions", &tree, "--audit-key-file", &key_arg], &store), None).await;
    assert!(o.status.success(), "{}", out(&o));
    let add = ["user", "add", "--username", "wang", "--role", "admin", "--jurisdiction", "430400", "--password-stdin"];
    let mut a: Vec<&str> = add.to_vec();
    a.extend(["--audit-key-file", &key_arg]);
    let o = firebreak(args(&a, &store), Some("a-long-enough-password\n".into())).await;
    assert!(o.status.success(), "{}", out(&o));

    let verify = ["audit", "verify", "--audit-key-file", key_arg.as_str()];
    let o = firebreak(args(&verify, &store), None).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("HMAC-keyed"), "{}", out(&o));
    // Without the key the chain does not verify (fails closed).
    let o = firebreak(args(&["audit", "verify"], &store), None).await;
    assert!(!o.status.success(), "{}", out(&o));

    // An attacker drops the triggers, rewrites the user-creation entry and recomputes every hash
    // after it, as unkeyed SHA-256 (they do not have the key).
    drop_audit_triggers(&store).await;
    let rows = firebreak::audit::list(&store.db, &firebreak::audit::AuditFilter::default()).await.expect("list").0;
    let mut rows: Vec<_> = rows.into_iter().rev().collect();
    let target = rows.iter().position(|e| e.action == "create").expect("a create entry");
    rows[target].detail = "{}".into();
    let mut prev = rows[target].prev_hash.clone();
    for e in rows.iter_mut().skip(target) {
        e.prev_hash = prev.clone();
        e.hash = firebreak::audit::entry_hash(
            &e.prev_hash,
            e.at,
            e.user_id,
            &e.username,
            e.ip.as_deref(),
            &e.action,
            &e.entity,
            e.entity_id.as_deref(),
            e.jurisdiction_code.as_deref(),
            &e.detail,
        );
        prev = e.hash.clone();
        store
            .exec(&format!(
                "UPDATE audit_log SET detail = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                e.detail.replace('\'', "''"),
                e.prev_hash,
                e.hash,
                e.seq
            ))
            .await;
    }
    let o = firebreak(args(&verify, &store), None).await;
    assert!(!o.status.success(), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("BROKEN at entry {}", rows[target].seq)), "{err}");
}
