//! Demo data of the analytics: Hengyang's 2020 reported COVID-19 counts (cumulative → daily) for
//! 衡阳市 (430400), and the Ali et al. (2020) transmission pairs as the reference serial-interval
//! data set. Both files are MIT-licensed copies in `data/epi` (see its `SOURCE.md`).

use super::csvin::{self, Layout};
use crate::audit::Actor;
use crate::db::Db;
use anyhow::Context;

const HENGYANG: &str = include_str!("../../data/epi/hengyang_430400.csv");
const ALI2020: &str = include_str!("../../data/epi/ali2020_TableS1_1407TransPairs.csv");

/// Where the demo counts come from (stored in `daily_counts.source`).
pub const HENGYANG_SOURCE: &str =
    "github.com/canghailan/Wuhan-2019-nCoV (MIT), cumulative confirmed, running-maximum daily";

/// Loads both, unless already there (marked in `settings`). Needs the Hengyang admin tree.
pub async fn load(db: &Db) -> anyhow::Result<()> {
    if db.setting("demo_analytics_loaded").await?.is_some() {
        return Ok(());
    }
    let actor = Actor::system();
    let area = crate::jurisdictions::get(db, "430400").await?.context("衡阳市 (430400) is not loaded")?;
    let parsed =
        csvin::parse_daily_counts("data/epi/hengyang_430400.csv", HENGYANG, Layout::ChinaCityDaily, Some("430400"))?;
    super::import_counts(db, &actor, &area, parsed, HENGYANG_SOURCE, false, false)
        .await
        .map_err(|e| anyhow::anyhow!("demo daily counts: {e}"))?;
    let (pairs, errors) = csvin::parse_ali2020_pairs("data/epi/ali2020_TableS1_1407TransPairs.csv", ALI2020)?;
    if let Some(e) = errors.first() {
        anyhow::bail!("demo serial-interval pairs: {e}");
    }
    super::import_pairs(db, &actor, "ali2020", &pairs).await?;
    db.set_setting("demo_analytics_loaded", &crate::db::now().to_rfc3339()).await?;
    Ok(())
}
