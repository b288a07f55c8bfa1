//! Demo data: three quarantine hotels of Hengyang (one of the city, one of 衡山县, one of 常宁市)
//! with 406 rooms, a few rooms in cleaning or out of service, staff, transfer tasks at every
//! step, and supply requests. Synthetic: the names and addresses are made up.
//! The stays slice puts its demo people into free rooms of these facilities afterwards.

use super::supplies::{self, SupplyInput};
use super::transfers::{self, Advance, TransferInput};
use super::{BulkRooms, FacilityInput, StaffInput};
use crate::audit::Actor;
use crate::db::Db;
use crate::db_run;
use anyhow::Context;

/// (code, name, jurisdiction, address, lat, lon, [(building, floor_from, floor_to, rooms a floor, kind)]).
type Hotel = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    &'static [(&'static str, i64, i64, i64, &'static str)],
);

const HOTELS: &[Hotel] = &[
    (
        "HY-Q01",
        "衡阳市雁城宾馆集中隔离点",
        "430400",
        "衡阳市蒸湘区雁城路 18 号",
        26.8968,
        112.5720,
        &[("A栋", 2, 9, 20, "single"), ("B栋", 2, 6, 12, "double")],
    ),
    (
        "HY-Q02",
        "衡山县南岳路隔离酒店",
        "430423",
        "衡山县开云镇南岳路 66 号",
        27.2302,
        112.8697,
        &[("", 2, 7, 16, "single")],
    ),
    (
        "HY-Q03",
        "常宁市宜阳隔离酒店",
        "430482",
        "常宁市宜阳街道泉峰路 9 号",
        26.4211,
        112.3996,
        &[("", 1, 5, 18, "single")],
    ),
];

/// Loads the demo facilities once (skipped when any facility exists).
pub async fn load(db: &Db) -> anyhow::Result<()> {
    let n: i64 = db_run!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM quarantine_facilities").fetch_one(p).await)?;
    if n > 0 {
        return Ok(());
    }
    let actor = Actor::system();
    let root = crate::jurisdictions::scope_of(db, "430400").await?.context("Hengyang root missing")?;
    let mut ids = Vec::new();
    for (code, name, j, addr, lat, lon, blocks) in HOTELS {
        let v = FacilityInput {
            code: (*code).into(),
            name: (*name).into(),
            kind: Some("hotel".into()),
            address: Some((*addr).into()),
            lat: Some(*lat),
            lon: Some(*lon),
            jurisdiction: (*j).into(),
            phone: Some(format!("0734-{}", 8_800_000 + ids.len() * 111)),
            status: None,
            notes: None,
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("demo facility {code}: {e:?}"))?;
        let id =
            super::create(db, &root, &actor, &v).await.map_err(|e| anyhow::anyhow!("demo facility {code}: {e}"))?;
        let mut rooms = Vec::new();
        for (b, f0, f1, per, kind) in *blocks {
            let bulk = BulkRooms {
                building: (*b).into(),
                floor_from: *f0,
                floor_to: *f1,
                rooms_per_floor: *per,
                kind: Some((*kind).into()),
                beds: None,
            };
            rooms.extend(bulk.rooms().map_err(|e| anyhow::anyhow!("demo rooms {code}: {e:?}"))?);
        }
        super::add_rooms(db, &root, &actor, id, &rooms, "demo")
            .await
            .map_err(|e| anyhow::anyhow!("demo rooms {code}: {e}"))?;
        for (name, duty, phone) in [
            ("刘建国", "manager", "13807340011"),
            ("陈静", "medical", "13907340022"),
            ("周磊", "security", "13707340033"),
        ] {
            let s =
                StaffInput { name: name.into(), duty: Some(duty.into()), phone: Some(phone.into()), username: None };
            super::add_staff(db, &root, &actor, id, &s).await.map_err(|e| anyhow::anyhow!("demo staff: {e}"))?;
        }
        ids.push(id);
    }
    // A few rooms being cleaned and two out of service in each hotel (every 23rd / 97th room).
    for &id in &ids {
        let rooms: Vec<i64> = db_run!(db, p => sqlx::query_scalar("SELECT id FROM quarantine_rooms WHERE facility_id = $1 ORDER BY id").bind(id).fetch_all(p).await)?;
        for (i, r) in rooms.iter().enumerate() {
            let to = if i % 97 == 50 {
                "out_of_service"
            } else if i % 23 == 7 {
                "cleaning"
            } else {
                continue;
            };
            super::set_room_status(db, &root, &actor, id, *r, to)
                .await
                .map_err(|e| anyhow::anyhow!("demo room status: {e}"))?;
        }
    }
    load_transfers(db, &root, &actor, &ids).await
}

/// Ten transfer tasks of demo people of 常宁市, at every step, and three supply requests.
async fn load_transfers(db: &Db, root: &crate::jurisdictions::Scope, actor: &Actor, ids: &[i64]) -> anyhow::Result<()> {
    let people: Vec<i64> = db_run!(db, p => sqlx::query_scalar(
        "SELECT id FROM people WHERE jurisdiction_code LIKE '430482%' AND id_type = 'resident_id' ORDER BY id LIMIT 13").fetch_all(p).await)?;
    let now = crate::db::now();
    // (hours since identified, steps to take after "requested", household)
    let plan: [(i64, usize, Option<&str>); 10] = [
        (2, 0, None),
        (3, 0, Some("常宁宜阳 泉峰路 12 号")),
        (3, 0, Some("常宁宜阳 泉峰路 12 号")),
        (5, 1, None),
        (6, 1, None),
        (8, 2, None),
        (20, 3, None),
        (14, 3, None),
        (30, 3, None),
        (4, 0, None),
    ];
    let dest = [ids[2], ids[2], ids[2], ids[2], ids[0], ids[2], ids[2], ids[0], ids[2], ids[0]];
    for (i, (&pid, (h, steps, hh))) in people.iter().zip(plan).enumerate() {
        let t = TransferInput {
            person_id: Some(pid),
            household_key: hh.map(str::to_string),
            facility_id: dest[i],
            vehicle: if steps > 0 { Some(format!("湘D·Z{:04}", 3100 + i)) } else { None },
            escort: if steps > 0 { Some(["王警官", "李医生", "赵队长"][i % 3].into()) } else { None },
            identified_at: Some(now - chrono::Duration::hours(h)),
            ..Default::default()
        };
        let id = transfers::create(db, root, actor, &t).await.map_err(|e| anyhow::anyhow!("demo transfer {i}: {e}"))?;
        for s in transfers::STEPS.iter().skip(1).take(steps) {
            let a = Advance { status: (*s).into(), ..Default::default() };
            transfers::advance(db, root, actor, id, &a).await.map_err(|e| anyhow::anyhow!("demo transfer {i}: {e}"))?;
        }
    }
    for (i, (&pid, (kind, detail))) in people
        .iter()
        .skip(10)
        .zip([
            ("necessities", "大米 10 斤、食用油、卫生纸"),
            ("medicine", "降压药（硝苯地平缓释片）一个月用量"),
            ("medical_visit", "孕 32 周，需按期产检"),
        ])
        .enumerate()
    {
        let s = SupplyInput { person_id: pid, kind: kind.into(), detail: detail.into(), jurisdiction: None };
        supplies::create(db, root, actor, &s).await.map_err(|e| anyhow::anyhow!("demo supply {i}: {e}"))?;
    }
    Ok(())
}
