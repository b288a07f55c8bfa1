//! The bundled demo data: the real admin tree of Hengyang (衡阳市), demo users for each role, and
//! synthetic people (no real personal data: names and ID numbers are generated, with valid check
//! characters).

use crate::audit::Actor;
use crate::auth::{self, NewUser};
use crate::db::Db;
use crate::domain::AdminCode;
use crate::jurisdictions::import;
use crate::people::{self, PersonInput};
use anyhow::Context;

const CITIES: &str = include_str!("../data/jurisdictions/hengyang_430400/cities.csv");
const AREAS: &str = include_str!("../data/jurisdictions/hengyang_430400/areas.csv");
const STREETS: &str = include_str!("../data/jurisdictions/hengyang_430400/streets.csv");
const VILLAGES: &str = include_str!("../data/jurisdictions/hengyang_430400/villages.csv");

/// Demo accounts: (username, display name, role, jurisdiction code).
pub const DEMO_USERS: &[(&str, &str, &str, &str)] = &[
    ("admin", "系统管理员", "admin", "430400"),
    ("commander", "市指挥长", "commander", "430400"),
    ("hengshan", "衡山县流调员", "investigator", "430423"),
    ("changning", "常宁市流调员", "investigator", "430482"),
    ("gaozhu", "高竹村网格员", "field_worker", "430482203216"),
    ("auditor", "审计员", "auditor", "430400"),
];

/// Loads the Hengyang tree into an empty database. Returns `false` when data was already there.
pub async fn load_jurisdictions(db: &Db) -> anyhow::Result<bool> {
    if crate::jurisdictions::get(db, "430400").await?.is_some() {
        return Ok(false);
    }
    let (rows, errors) = import::read_texts(Some(CITIES), AREAS, STREETS, VILLAGES, None)?;
    import::import_rows(db, &Actor::system(), rows, errors, false, false).await?;
    Ok(true)
}

/// Loads everything the demo shows, once per database (marked in `settings`).
/// Returns the demo password (the same for every demo account, generated per data directory).
pub async fn load(db: &Db, password: &str) -> anyhow::Result<bool> {
    if db.setting("demo_loaded").await?.is_some() {
        return Ok(false);
    }
    load_jurisdictions(db).await?;
    let actor = Actor::system();
    for (u, name, role, j) in DEMO_USERS {
        let nu = NewUser {
            username: (*u).into(),
            display_name: (*name).into(),
            role: (*role).into(),
            jurisdiction: (*j).into(),
            password: password.into(),
        };
        match auth::create(db, None, &actor, &nu).await {
            Ok(_) | Err(auth::UserError::Taken(_)) => {}
            Err(e) => return Err(anyhow::anyhow!("creating demo user {u}: {e}")),
        }
    }
    load_people(db, &actor).await?;
    crate::analytics::demo::load(db).await?;
    crate::fire::demo::load(db).await?;
    load_tracing(db, &actor).await?;
    crate::facilities::demo::load(db).await?;
    crate::quarantine::demo::load(db).await?;
    db.set_setting("demo_loaded", &crate::db::now().to_rfc3339()).await?;
    Ok(true)
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "谭", "彭", "唐", "邓",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "桂英",
    "建华", "志强", "海燕", "晓东", "春梅", "国平", "湘云", "衡生",
];

/// A valid resident ID number for a synthetic person (deterministic in `n`).
pub fn synthetic_id(county: &str, n: u64) -> String {
    let year = 1940 + (n * 7 % 80);
    let month = 1 + (n * 5 % 12);
    let day = 1 + (n * 11 % 28);
    let seq = 100 + (n * 37 % 899);
    let first17 = format!("{county}{year:04}{month:02}{day:02}{seq:03}");
    let weights = [7u64, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u64 = first17.bytes().zip(weights).map(|(b, w)| u64::from(b - b'0') * w).sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    format!("{first17}{check}")
}

async fn load_people(db: &Db, actor: &Actor) -> anyhow::Result<()> {
    let root = crate::jurisdictions::scope_of(db, "430400").await?.context("Hengyang root missing")?;
    let villages: Vec<String> = VILLAGES
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .filter(|c| AdminCode::parse(c).is_ok())
        .map(str::to_string)
        .collect();
    let today = chrono::Utc::now().date_naive();
    // 240 people: every 12th village, plus ten in 高竹村 so the browser walk finds some.
    let mut targets: Vec<String> = villages.iter().step_by(12).cloned().collect();
    targets.extend(std::iter::repeat_n("430482203216".to_string(), 10));
    for (i, v) in targets.iter().enumerate() {
        let n = i as u64 + 1;
        let id = synthetic_id(&v[..6], n);
        let name = format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i * 7) % GIVEN.len()]);
        let input = PersonInput {
            name,
            sex: String::new(),
            birth_date: None,
            id_type: None,
            id_number: id,
            phone: Some(format!("1{}{:09}", [3, 5, 7, 8, 9][i % 5], (n * 7_919_993) % 1_000_000_000)),
            address: Some(format!("{}号", 1 + (n * 13 % 200))),
            jurisdiction: v.clone(),
        };
        let valid = input.validate(today).map_err(|e| anyhow::anyhow!("demo person {i}: {e:?}"))?;
        match people::create(db, &root, actor, &valid).await {
            Ok(_) | Err(people::StoreError::Conflict { .. }) => {}
            Err(e) => return Err(anyhow::anyhow!("demo person {i}: {e}")),
        }
    }
    Ok(())
}

const TIANJIN: &[u8] = include_bytes!("../data/tracing/tianjin_clusters_2020/Tianjin135cases_revised.csv");

/// The Tianjin 2020 clusters (MIT, Tindale et al. 2020): 135 real cases and 94 links, so the
/// investigation desk and the chain view have data on first start. Placed under the external root
/// `x-tianjin`, attached to 衡阳市 so the city's accounts see it.
async fn load_tracing(db: &Db, actor: &Actor) -> anyhow::Result<()> {
    use crate::tracing::import::{self, FileKind, ImportOptions, Preset};
    let today = chrono::Utc::now().date_naive();
    let batch = import::parse(Preset::Tianjin, FileKind::Linelist, "Tianjin135cases_revised.csv", TIANJIN, today)?;
    let o = ImportOptions {
        actor,
        attach_to: Some("430400".into()),
        scope: None,
        skip_bad_rows: false,
        dry_run: false,
        progress: None,
    };
    import::write(db, batch, &o).await.map_err(|e| anyhow::anyhow!("demo Tianjin cases: {e}"))?;
    Ok(())
}

/// Bounding box of the demo's traces: the urban area of 宝坻区 (Baodi, Tianjin), where the
/// 2020 department store cluster of the Tianjin data happened (approximate, degrees: south,
/// north latitude; west, east longitude).
pub const BAODI_BBOX: (f64, f64, f64, f64) = (39.70, 39.75, 117.27, 117.34);

/// Tianjin cases whose people get a key of the demo trace store (shoppers of the department store
/// cluster, onset 2020-01-24 … 27): their close-contact windows overlap the simulated days.
pub const DEMO_TRACE_CASES: [&str; 3] = ["TJ34", "TJ51", "TJ58"];

/// The demo's location traces, so "find companions" works on first start: 600 simulated people
/// in Baodi, 2020-01-24 … 26 (UTC days), a fix every 15 minutes (172,800 points, written to
/// `dir` by the generator of `firebreak-tracestore` when `dir` holds no day yet), and the people
/// of [`DEMO_TRACE_CASES`] linked to simulated keys who really meet others (each key's
/// companions over the case's default search range are counted; the first key with at least
/// three is taken). Linking runs once per database.
pub async fn load_traces(db: &Db, dir: &std::path::Path) -> anyhow::Result<()> {
    use firebreak_tracestore::sim::{SimOptions, SimOut, simulate};
    let has_days = dir.exists() && !firebreak_tracestore::store::day_dirs(dir)?.is_empty();
    if !has_days {
        let d = dir.to_path_buf();
        let o = SimOptions {
            people: 600,
            days: 3,
            interval_s: 900,
            seed: 2020,
            start_day: 18_285,
            bbox: BAODI_BBOX,
            ..Default::default()
        };
        tokio::task::spawn_blocking(move || simulate(&o, SimOut::Store(&d))).await??;
    }
    if db.setting("demo_traces_linked").await?.is_some() {
        return Ok(());
    }
    let actor = Actor::system();
    let root = crate::jurisdictions::scope_of(db, "430400").await?.context("Hengyang root missing")?;
    let mut next = 0u64;
    for sid in DEMO_TRACE_CASES {
        let id: Option<i64> = crate::db_run!(db, p => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM cases WHERE source = 'tianjin' AND source_id = $1").bind(sid).fetch_optional(p).await)?;
        let Some(id) = id else { continue };
        let case = crate::tracing::get(db, &root, &actor, id).await?;
        let w = crate::tracing::policy::close_window(db, id).await?;
        let r = crate::tracing::companions::resolve(&case, w.as_ref(), &Default::default(), chrono_tz::Asia::Shanghai)
            .map_err(|e| anyhow::anyhow!("demo case {sid}: {e:?}"))?;
        // Keys are tried in order; each case takes a key no other demo case has.
        while next < 40 {
            let key = format!("p{next:07}");
            next += 1;
            let q = crate::traces::Query {
                cases: vec![key.clone()],
                radius_m: r.radius_m,
                window_s: r.window_s,
                from_us: Some(r.from.timestamp_micros()),
                to_us: Some(r.to.timestamp_micros()),
                min_copresence_s: 0,
                progress: false,
            };
            let found = crate::traces::search(dir.to_path_buf(), q).await?.map_err(|m| anyhow::anyhow!("{m}"))?;
            if found.companions.len() >= 3 {
                crate::tracing::companions::link_key(db, &root, &actor, case.person_id, &key, "demo")
                    .await
                    .map_err(|e| anyhow::anyhow!("demo trace key {key} for {sid}: {e}"))?;
                break;
            }
        }
    }
    db.set_setting("demo_traces_linked", &crate::db::now().to_rfc3339()).await?;
    Ok(())
}
