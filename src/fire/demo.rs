//! Demo fire data: one demo weather station per county of Hengyang at the county's label point,
//! loaded with the Van Wagner & Pickett (1985) test weather re-dated to 2026 (see
//! `data/fire/SOURCE.md`: real weather, but not Hengyang's; the same series at every station).

use super::StationInput;
use crate::audit::Actor;
use crate::db::Db;
use crate::jurisdictions::Scope;
use anyhow::Context;

/// The demo weather (weather columns of the 1985 table, Apache-2.0).
pub const VWP1985_WEATHER: &str = include_str!("../../data/fire/vwp1985_weather.csv");
/// The year the demo season is dated to.
pub const DEMO_YEAR: i32 = 2026;

/// Development zones without boundaries (so without a label point), given a neighbouring
/// county's station: 松木经济开发区 lies in 石鼓区, 高新技术产业园区 in 蒸湘区.
pub const DEMO_ASSIGNMENTS: &[(&str, &str)] = &[("430473", "D430407"), ("430476", "D430408")];

/// Adds the demo stations and their season. Returns the number of observations stored.
pub async fn load(db: &Db) -> anyhow::Result<usize> {
    let all = Scope { code: String::new(), path: "/".into() };
    let actor = Actor::system();
    let mut points: Vec<(&String, &(f64, f64))> = super::county_points().iter().collect();
    points.sort_by(|a, b| a.0.cmp(b.0));
    let mut rows = Vec::new();
    for (code, &(lon, lat)) in points {
        let Some(j) = crate::jurisdictions::get(db, code).await? else { continue };
        let station = format!("D{code}");
        let input = StationInput {
            code: station.clone(),
            name: format!("{}示范站", j.name),
            lat,
            lon,
            elevation: None,
            jurisdiction: code.clone(),
            start: None,
            ffmc_constant: None,
            lat_adjust: None,
            note: "Demo station at the county's label point; weather: Van Wagner & Pickett 1985 test weather, re-dated to 2026 (not Hengyang's) / 示范站：位于县级单位标注点，气象数据为1985年加拿大FWI测试数据（改为2026年日期），并非衡阳实测"
                .to_string()
                .into(),
        };
        match super::create_station(db, &all, &actor, &input).await {
            Ok(_) | Err(crate::people::StoreError::Conflict { .. }) => {}
            Err(e) => return Err(anyhow::anyhow!("demo station {station}: {e}")),
        }
        let parsed = super::http::csv_rows(VWP1985_WEATHER, Some(&station), Some(DEMO_YEAR))
            .map_err(|e| anyhow::anyhow!("demo weather: {}", e.join("; ")))?;
        rows.extend(parsed);
    }
    let n = rows.len();
    super::import_observations(db, &all, &actor, rows, "demo:vwp1985").await.context("demo weather")?;
    for (unit, station) in DEMO_ASSIGNMENTS {
        if crate::jurisdictions::get(db, unit).await?.is_some() {
            super::assign(db, &all, &actor, unit, Some(station)).await.context("demo assignment")?;
        }
    }
    Ok(n)
}
