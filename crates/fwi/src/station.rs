//! One station: parameters, the day-to-day state, and a series of days in, a series of indices out.

use serde::{Deserialize, Serialize};

use crate::components::{self, FFMC_CONSTANT_1985, FFMC_CONSTANT_CFFDRS, dc_day_length_factor, dmc_day_length};
use crate::error::{FwiError, check_range};
use crate::inputs::{Month, Weather, check_latitude, effective_rh};

/// Yesterday's moisture codes, carried from one day to the next (validated).
///
/// FFMC in 0..=101, DMC ≥ 0, DC ≥ 0, all finite. [`FwiState::default`] is the standard
/// start-up (FFMC 85, DMC 6, DC 15; Van Wagner & Pickett 1985, cffdrs `fwi()`), suitable after a
/// snowy winter in Canada; after a dry winter start the DC from [`crate::overwinter_dc`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawState")]
pub struct FwiState {
    ffmc: f64,
    dmc: f64,
    dc: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    ffmc: f64,
    dmc: f64,
    dc: f64,
}

impl TryFrom<RawState> for FwiState {
    type Error = FwiError;
    fn try_from(r: RawState) -> Result<Self, FwiError> {
        FwiState::new(r.ffmc, r.dmc, r.dc)
    }
}

impl Default for FwiState {
    fn default() -> Self {
        FwiState { ffmc: 85.0, dmc: 6.0, dc: 15.0 }
    }
}

impl FwiState {
    /// Start-up or carried-over codes; the error names the code refused.
    pub fn new(ffmc: f64, dmc: f64, dc: f64) -> Result<Self, FwiError> {
        check_range("ffmc", ffmc, 0.0, 101.0, "0..=101")?;
        check_range("dmc", dmc, 0.0, f64::MAX, "finite, >= 0")?;
        check_range("dc", dc, 0.0, f64::MAX, "finite, >= 0")?;
        Ok(FwiState { ffmc, dmc, dc })
    }
    /// Fine Fuel Moisture Code, 0..=101.
    pub fn ffmc(&self) -> f64 {
        self.ffmc
    }
    /// Duff Moisture Code, ≥ 0.
    pub fn dmc(&self) -> f64 {
        self.dmc
    }
    /// Drought Code, ≥ 0.
    pub fn dc(&self) -> f64 {
        self.dc
    }
}

/// Parameters of the FWI computation, with documented defaults (`FwiParams::default()`):
///
/// | field | default | meaning |
/// |---|---|---|
/// | `start` | FFMC 85, DMC 6, DC 15 | codes before the first day |
/// | `ffmc_constant` | 250·59.5/101 ≈ 147.27723 (cffdrs ≥ 1.9) | FFMC ↔ moisture constant; 147.2 reproduces the 1985 program and xclim |
/// | `lat_adjust` | true | day-length bands by latitude exactly as cffdrs (see [`dmc_day_length`], [`dc_day_length_factor`]); false: the 46°N tables everywhere |
///
/// Serialized as `{"start": {"ffmc": 85, "dmc": 6, "dc": 15}, "ffmc_constant": 147.27723,
/// "lat_adjust": true}`; missing fields take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FwiParams {
    /// Codes before the first day.
    pub start: FwiState,
    /// FFMC constant, used by the FFMC and the ISI.
    pub ffmc_constant: f64,
    /// Day-length adjustment by latitude band.
    pub lat_adjust: bool,
}

impl Default for FwiParams {
    fn default() -> Self {
        FwiParams { start: FwiState::default(), ffmc_constant: FFMC_CONSTANT_CFFDRS, lat_adjust: true }
    }
}

impl FwiParams {
    /// The 1985 program's settings (FFMC constant 147.2), as used by the published 1985 table and
    /// by xclim (whose latitude bands still differ: ±15° and 1.39).
    pub fn vwp1985() -> Self {
        FwiParams { ffmc_constant: FFMC_CONSTANT_1985, ..FwiParams::default() }
    }

    /// Checks the FFMC constant (finite, 100..=200); `start` is valid by construction.
    pub fn validate(&self) -> Result<(), FwiError> {
        check_range("ffmc_constant", self.ffmc_constant, 100.0, 200.0, "100..=200 (147.27723 cffdrs, 147.2 in 1985)")?;
        Ok(())
    }
}

/// Today's seven indices. `ffmc`, `dmc`, `dc` are also tomorrow's state ([`FwiIndices::state`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FwiIndices {
    /// Fine Fuel Moisture Code, 0..=101.
    pub ffmc: f64,
    /// Duff Moisture Code, ≥ 0.
    pub dmc: f64,
    /// Drought Code, ≥ 0.
    pub dc: f64,
    /// Initial Spread Index, ≥ 0.
    pub isi: f64,
    /// Buildup Index, ≥ 0.
    pub bui: f64,
    /// Fire Weather Index, ≥ 0.
    pub fwi: f64,
    /// Daily Severity Rating, ≥ 0.
    pub dsr: f64,
}

impl FwiIndices {
    /// The codes to carry to tomorrow.
    pub fn state(&self) -> FwiState {
        FwiState { ffmc: self.ffmc, dmc: self.dmc, dc: self.dc }
    }
}

/// One day of a station series: the month (for day length) and the noon weather.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Day {
    /// Month of the observation.
    pub month: Month,
    /// Validated noon weather.
    pub weather: Weather,
}

impl Day {
    /// Validates a raw day; the error names the field and value.
    pub fn new(month: i64, temp: f64, rh: f64, wind: f64, rain: f64) -> Result<Self, FwiError> {
        Ok(Day { month: Month::new(month)?, weather: Weather::new(temp, rh, wind, rain)? })
    }
}

/// A raw, unvalidated day as read from a file or a request (`month`, `temp` °C, `rh` %,
/// `wind` km/h, `rain` mm). Feed a series of them to [`Station::run_raw`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RawDay {
    /// 1..=12.
    pub month: i64,
    /// °C at noon.
    pub temp: f64,
    /// % at noon.
    pub rh: f64,
    /// km/h at 10 m, noon.
    pub wind: f64,
    /// mm over 24 h.
    pub rain: f64,
}

/// The one-day kernel shared by the station and grid APIs. Inputs are already valid.
#[inline]
#[allow(clippy::too_many_arguments)]
pub(crate) fn step_cell(
    ffmc0: f64,
    dmc0: f64,
    dc0: f64,
    temp: f64,
    rh: f64,
    wind: f64,
    rain: f64,
    le: f64,
    lf: f64,
    k: f64,
) -> FwiIndices {
    let rh = effective_rh(rh);
    let ffmc = components::ffmc(ffmc0, temp, rh, wind, rain, k);
    let dmc = components::dmc_with_day_length(dmc0, temp, rh, rain, le);
    let dc = components::dc_with_factor(dc0, temp, rain, lf);
    let isi = components::isi(ffmc, wind, k, false);
    let bui = components::bui(dmc, dc);
    let (fwi, dsr) = components::fwi_dsr(isi, bui);
    FwiIndices { ffmc, dmc, dc, isi, bui, fwi, dsr }
}

/// A weather station (or any single point): its latitude and the parameters to use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Station {
    lat: f64,
    params: FwiParams,
}

impl Station {
    /// `lat` in decimal degrees, north positive (−90..=90); `params` validated.
    pub fn new(lat: f64, params: FwiParams) -> Result<Self, FwiError> {
        params.validate()?;
        Ok(Station { lat: check_latitude(lat)?, params })
    }

    /// Latitude, decimal degrees.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// The parameters in use.
    pub fn params(&self) -> &FwiParams {
        &self.params
    }

    /// One day: yesterday's `state` and today's `day` → today's indices (cffdrs `fwi()` with
    /// `batch = FALSE`). Carry `result.state()` to tomorrow.
    pub fn step(&self, state: &FwiState, day: &Day) -> FwiIndices {
        let p = &self.params;
        let w = &day.weather;
        step_cell(
            state.ffmc,
            state.dmc,
            state.dc,
            w.temp(),
            w.rh(),
            w.wind(),
            w.rain(),
            dmc_day_length(self.lat, day.month, p.lat_adjust),
            dc_day_length_factor(self.lat, day.month, p.lat_adjust),
            p.ffmc_constant,
        )
    }

    /// A consecutive daily series from `params.start` (cffdrs `fwi()` with `batch = TRUE`).
    /// Days must be consecutive: the codes are day-to-day bookkeeping, a gap must be filled.
    pub fn run(&self, days: &[Day]) -> Vec<FwiIndices> {
        self.run_from(self.params.start, days)
    }

    /// As [`Station::run`], starting from `start` instead of `params.start`.
    pub fn run_from(&self, start: FwiState, days: &[Day]) -> Vec<FwiIndices> {
        let mut state = start;
        days.iter()
            .map(|d| {
                let out = self.step(&state, d);
                state = out.state();
                out
            })
            .collect()
    }

    /// Validates raw days and runs them from `params.start`; the error names the day (0-based),
    /// the field and the value, and nothing is computed if any day is refused.
    pub fn run_raw(&self, days: &[RawDay]) -> Result<Vec<FwiIndices>, FwiError> {
        let days = days
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Day::new(r.month, r.temp, r.rh, r.wind, r.rain)
                    .map_err(|e| FwiError::Day { day: i, source: Box::new(e) })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.run(&days))
    }
}
