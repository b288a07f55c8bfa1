//! Demo stays: ten synthetic people of 高竹村 (常宁市) under control on first start, with dates
//! relative to today so the worklists have something due. Close contacts and an inbound
//! traveller are checked in when a demo facility with free rooms exists (the facilities module
//! adds them); otherwise only home measures are shown (secondary contacts, medium-risk-area
//! arrivals: home quarantine with the village worker).

use super::{CheckInInput, CheckInput, ControlInput};
use crate::audit::Actor;
use crate::db::Db;
use crate::db_run;
use chrono::{Duration, Utc};

/// Loads the demo stays (idempotent per person: someone already under control is skipped).
pub async fn load(db: &Db) -> anyhow::Result<()> {
    let Some(scope) = crate::jurisdictions::scope_of(db, "430400").await? else { return Ok(()) };
    let actor = Actor::system();
    let people: Vec<i64> = db_run!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM people WHERE jurisdiction_code = '430482203216' ORDER BY id LIMIT 10").fetch_all(p).await)?;
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let rooms = super::free_rooms(db, &scope, None, 10).await?;
    let plan: [(&str, i64); 6] = [
        ("close-contact", 3),
        ("close-contact", 1),
        ("inbound", 6),
        ("secondary-contact", 2),
        ("medium-risk-area", 4),
        ("secondary-contact", 6),
    ];
    let mut room = rooms.iter();
    for (pid, (kind, days_ago)) in people.iter().zip(plan) {
        let centralized = matches!(kind, "close-contact" | "inbound");
        let target = if centralized {
            match room.next() {
                Some(r) => Some(r.room_id),
                None => continue,
            }
        } else {
            None
        };
        let x = ControlInput {
            person_id: *pid,
            control_kind: Some(kind.into()),
            start_date: Some((today - Duration::days(days_ago)).to_string()),
            ..Default::default()
        };
        let id = match super::put_under_control(db, &scope, &actor, &x).await {
            Ok(id) => id,
            Err(crate::people::StoreError::Conflict { .. }) => continue,
            Err(e) => anyhow::bail!("demo stay for person {pid}: {e}"),
        };
        if let Some(room_id) = target {
            super::check_in(db, &scope, &actor, id, &CheckInInput { room_id, transfer_id: None })
                .await
                .map_err(|e| anyhow::anyhow!("demo check-in: {e}"))?;
        }
        super::add_check(
            db,
            &scope,
            &actor,
            id,
            &CheckInput { temperature_c: 36.4 + 0.1 * days_ago as f64, symptoms: String::new(), at: None },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo health check: {e}"))?;
    }
    Ok(())
}
