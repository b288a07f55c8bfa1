//! Fire season start and end from daily maximum temperature (Wotton & Flannigan 1993, the
//! "WF93" method of cffdrs `fire_season`; Lawson & Armitage 2008).

use serde::{Deserialize, Serialize};

use crate::error::FwiError;

/// Thresholds of the season rule, with cffdrs' defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeasonParams {
    /// The season starts after `days` consecutive days with maximum temperature above this (°C).
    pub start_above: f64,
    /// The season ends after `days` consecutive days with maximum temperature below this (°C).
    pub end_below: f64,
    /// Number of consecutive days (3).
    pub days: usize,
}

impl Default for SeasonParams {
    fn default() -> Self {
        SeasonParams { start_above: 12.0, end_below: 5.0, days: 3 }
    }
}

/// Whether the season starts or ends on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeasonEdge {
    /// First day of a fire season.
    Start,
    /// First day after a fire season (the season is over from this day on).
    End,
}

/// A change of season on day `day` (0-based index into the series).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeasonChange {
    /// Index of the day in the input series.
    pub day: usize,
    /// Start or end.
    pub edge: SeasonEdge,
}

/// Fire season starts and ends over a consecutive daily series of maximum temperature (°C).
///
/// Rule (cffdrs `fire_season`, method WF93): outside a season, day `k` starts one when days
/// `k−3, k−2, k−1` were all above `start_above` (12 °C); inside a season, day `k` ends it when
/// those three days were all below `end_below` (5 °C). The first decision is possible on day 3.
/// The series is assumed outside a season at its start, so several starts and ends may alternate
/// in one year; interpretation is left to the caller, as in cffdrs. cffdrs moves a start found on
/// 4 January back to 1 January for calendar-year runs; this function has no calendar and reports
/// day 3 — a caller whose series begins on 1 January may do the same.
///
/// A NaN (missing) temperature is an error naming the day: a season cannot be decided on a gap.
pub fn fire_season(tmax: &[f64], params: &SeasonParams) -> Result<Vec<SeasonChange>, FwiError> {
    if let Some((day, &v)) = tmax.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(FwiError::Day { day, source: Box::new(FwiError::range("tmax", v, "finite °C")) });
    }
    let n = params.days.max(1);
    let mut active = false;
    let mut changes = Vec::new();
    for k in n..tmax.len() {
        let window = &tmax[k - n..k];
        if !active && window.iter().all(|&t| t > params.start_above) {
            active = true;
            changes.push(SeasonChange { day: k, edge: SeasonEdge::Start });
        }
        if active && window.iter().all(|&t| t < params.end_below) {
            active = false;
            changes.push(SeasonChange { day: k, edge: SeasonEdge::End });
        }
    }
    Ok(changes)
}

/// For each day, whether it lies in a fire season (from a start day up to, not including, the
/// next end day), by [`fire_season`].
pub fn season_mask(tmax: &[f64], params: &SeasonParams) -> Result<Vec<bool>, FwiError> {
    let changes = fire_season(tmax, params)?;
    let mut mask = vec![false; tmax.len()];
    let mut from = None;
    for c in changes {
        match c.edge {
            SeasonEdge::Start => from = Some(c.day),
            SeasonEdge::End => {
                if let Some(s) = from.take() {
                    mask[s..c.day].iter_mut().for_each(|m| *m = true);
                }
            }
        }
    }
    if let Some(s) = from {
        mask[s..].iter_mut().for_each(|m| *m = true);
    }
    Ok(mask)
}
