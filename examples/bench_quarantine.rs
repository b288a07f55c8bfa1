//! Quarantine benchmark (SQLite, the embedded default; PostgreSQL with a second argument):
//! 50,000 people under control in 500 facilities (one of them with 2,000 rooms), then
//! - the pure planner on every schedule after a profile change (covid19-9th → 20 measures);
//! - the full recomputation through the store: load every open stay and its stored schedule,
//!   plan, and apply (rewrite the changed schedules, end dates and the log) in one transaction;
//! - the worklist page of the 2,000-room facility over HTTP (render included): p50 / p95 of 100.
//!
//! Medians of 5 runs (planner) and 3 runs (store), alternating the target profile so that every
//! run changes every schedule. Prints the load average before and after.
//!
//! Run: cargo run --release --example bench_quarantine [-- postgres://postgres@127.0.0.1:5432/test]

use chrono::{Duration, NaiveDate, Utc};
use firebreak::audit::Actor;
use firebreak::auth::{self, NewUser};
use firebreak::db::{BeginWrite, DatabaseUrl, Db};
use firebreak::quarantine::{recompute, schedule};
use firebreak::tracing::policy;
use std::time::Instant;

const PEOPLE: usize = 50_000;
const FACILITIES: usize = 500;
const BIG_ROOMS: usize = 2_000;
const ROOMS_EACH: usize = 96;

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn fill(db: &Db, today: NaiveDate) -> anyhow::Result<i64> {
    let profiles = policy::shipped();
    let ninth = profiles.iter().find(|p| p.code == "covid19-9th").ok_or_else(|| anyhow::anyhow!("profile"))?;
    let now = firebreak::db::now();
    let villages: Vec<String> = firebreak::db_run!(db, p => sqlx::query_scalar::<_, String>(
        "SELECT code FROM jurisdictions WHERE level = 'village' ORDER BY code LIMIT 400").fetch_all(p).await)?;
    let counties: Vec<String> = firebreak::db_run!(db, p => sqlx::query_scalar::<_, String>(
        "SELECT code FROM jurisdictions WHERE level = 'county' ORDER BY code").fetch_all(p).await)?;
    firebreak::db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        for chunk in (0..PEOPLE).collect::<Vec<_>>().chunks(1000) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO people (name, sex, id_type, id_number, jurisdiction_code, created_at, updated_at) ");
            q.push_values(chunk, |mut b, i| {
                b.push_bind(format!("管控人员{i}")).push_bind("unknown").push_bind("source_record").push_bind(format!("bench:{i}"))
                    .push_bind(villages[i % villages.len()].clone()).push_bind(now).push_bind(now);
            });
            q.build().execute(&mut *tx).await?;
        }
        for f in 0..FACILITIES {
            sqlx::query("INSERT INTO quarantine_facilities (code, name, jurisdiction_code, created_at) VALUES ($1, $2, $3, $4)")
                .bind(format!("B{f:03}")).bind(format!("隔离点{f:03}")).bind(&counties[f % counties.len()]).bind(now).execute(&mut *tx).await?;
        }
        let fids: Vec<i64> = sqlx::query_scalar("SELECT id FROM quarantine_facilities ORDER BY id").fetch_all(&mut *tx).await?;
        let mut rooms: Vec<(i64, i64, String)> = Vec::new();
        for (k, f) in fids.iter().enumerate() {
            let n = if k == 0 { BIG_ROOMS } else { ROOMS_EACH };
            for r in 0..n {
                rooms.push((*f, (r / 50 + 1) as i64, format!("{}{:02}", r / 50 + 1, r % 50)));
            }
        }
        for chunk in rooms.chunks(1000) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO quarantine_rooms (facility_id, floor, number, status, updated_at) ");
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.0).push_bind(r.1).push_bind(r.2.clone()).push_bind("occupied").push_bind(now);
            });
            q.build().execute(&mut *tx).await?;
        }
        let room_ids: Vec<(i64, i64)> = sqlx::query_as("SELECT id, facility_id FROM quarantine_rooms ORDER BY id").fetch_all(&mut *tx).await?;
        let person_ids: Vec<(i64, String)> = sqlx::query_as("SELECT id, jurisdiction_code FROM people WHERE id_type = 'source_record' ORDER BY id").fetch_all(&mut *tx).await?;
        // Every person a close contact last exposed 0..6 days ago, in a room (the first 2,000 in the big facility).
        for (c, chunk) in person_ids.chunks(1000).enumerate() {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO quarantine_stays (person_id, control_kind, profile, profile_version, start_date, end_date, \
                facility_id, room_id, home_jurisdiction, checked_in_at, created_by, created_at) ");
            q.push_values(chunk.iter().enumerate(), |mut b, (j, (pid, home))| {
                let i = c * 1000 + j;
                let start = today - Duration::days((i % 7) as i64);
                let (room, fac) = room_ids[i % room_ids.len()];
                b.push_bind(*pid).push_bind("close-contact").push_bind("covid19-9th").push_bind(1i64).push_bind(start)
                    .push_bind(start + Duration::days(10)).push_bind(fac).push_bind(room).push_bind(home.clone()).push_bind(now)
                    .push_bind("bench").push_bind(now);
            });
            q.build().execute(&mut *tx).await?;
        }
        let stays: Vec<(i64, NaiveDate)> = sqlx::query_as("SELECT id, start_date FROM quarantine_stays ORDER BY id").fetch_all(&mut *tx).await?;
        let mut rows: Vec<(i64, &'static str, &'static str, NaiveDate, NaiveDate, i64)> = Vec::new();
        for (id, start) in &stays {
            let s = schedule::compute(&ninth.code, &ninth.quarantine, "close-contact", *start).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            for m in &s.measures {
                rows.push((*id, "measure", m.measure.as_str(), m.from, m.to, i64::from(m.days)));
            }
            for t in &s.tests {
                rows.push((*id, "test", t.measure.as_str(), t.date, t.date, i64::from(t.day)));
            }
        }
        for chunk in rows.chunks(1000) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO quarantine_schedule (stay_id, item, measure, date_from, date_to, day) ");
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.0).push_bind(r.1).push_bind(r.2).push_bind(r.3).push_bind(r.4).push_bind(r.5);
            });
            q.build().execute(&mut *tx).await?;
        }
        // Health checks of the big facility today: one each for half of them.
        let big: Vec<i64> = sqlx::query_scalar("SELECT id FROM quarantine_stays WHERE facility_id = $1 ORDER BY id").bind(fids[0]).fetch_all(&mut *tx).await?;
        for chunk in big.chunks(1000) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO health_checks (stay_id, at, temperature_c, recorded_by) ");
            q.push_values(chunk.iter().step_by(2), |mut b, id| {
                b.push_bind(*id).push_bind(now).push_bind(36.6).push_bind("bench");
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(fids[0])
    }.await).map_err(Into::into)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = std::env::args().nth(1).unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = Db::connect(&DatabaseUrl(url.clone())).await?;
    println!("backend {} · load average {}", db.backend(), loadavg());
    firebreak::demo::load_jurisdictions(&db).await?;
    let nu = NewUser {
        username: "bench".into(),
        display_name: String::new(),
        role: "admin".into(),
        jurisdiction: "430400".into(),
        password: "bench-password-1".into(),
    };
    auth::create(&db, None, &Actor::system(), &nu).await?;
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let t = Instant::now();
    let big = fill(&db, today).await?;
    println!("filled {PEOPLE} stays, {FACILITIES} facilities in {:.1} s", t.elapsed().as_secs_f64());
    let scope = firebreak::jurisdictions::scope_of(&db, "430400").await?.ok_or_else(|| anyhow::anyhow!("scope"))?;
    let actor = Actor::system();
    let profiles = policy::shipped();
    let target = |k: usize| if k.is_multiple_of(2) { &profiles[1] } else { &profiles[0] };

    // The pure planner.
    let stays = recompute::open_stays(&db, &scope, None).await?;
    let mut v = Vec::new();
    let mut n = 0;
    for _ in 0..5 {
        let t = Instant::now();
        n = recompute::plan(&stays, target(0), today, None).len();
        v.push(t.elapsed().as_secs_f64());
    }
    println!("plan (pure): {} stays, {n} changed: median {:.1} ms · load {}", stays.len(), median(v) * 1e3, loadavg());

    // Through the store: preview (load + plan), then apply.
    let (mut pv, mut ap) = (Vec::new(), Vec::new());
    for k in 0..3 {
        let t = Instant::now();
        let p = recompute::recompute(&db, &scope, &actor, target(k), today, None, None, "", false).await?;
        pv.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let a = recompute::recompute(&db, &scope, &actor, target(k), today, None, None, "bench profile change", true)
            .await?;
        ap.push(t.elapsed().as_secs_f64());
        println!(
            "  run {k}: → {} {} changed of {}; preview {:.2} s, apply {:.2} s",
            a.profile_to,
            p.changed.len(),
            a.stays,
            pv[k],
            ap[k]
        );
    }
    println!(
        "recompute preview: median {:.2} s · preview + apply: median {:.2} s · load {}",
        median(pv.clone()),
        median(pv.iter().zip(&ap).map(|(a, b)| a + b).collect()),
        loadavg()
    );

    // The worklist page of the 2,000-room facility over HTTP.
    let state = firebreak::web::AppState {
        db: db.clone(),
        cfg: std::sync::Arc::new(firebreak::web::Config { secure_cookies: false, ..Default::default() }),
        throttle: std::sync::Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = firebreak::web::app(state);
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    let c = reqwest::Client::builder().cookie_store(true).build()?;
    let r = c
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bench", "password": "bench-password-1"}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "login {}", r.status());
    let mut v = Vec::new();
    let mut rows = 0;
    for _ in 0..100 {
        let t = Instant::now();
        let body = c.get(format!("http://{addr}/quarantine/facilities/{big}/worklist")).send().await?.text().await?;
        v.push(t.elapsed().as_secs_f64());
        rows = body.matches("/quarantine/stays/").count();
    }
    v.sort_by(f64::total_cmp);
    println!("worklist page, {rows} people: p50 {:.1} ms, p95 {:.1} ms · load {}", v[50] * 1e3, v[95] * 1e3, loadavg());
    Ok(())
}
