//! firebreak-fwi: the Canadian Forest Fire Weather Index (FWI) System as pure functions.
//!
//! Inputs are daily noon weather (temperature °C, relative humidity %, 10 m wind km/h, 24 h
//! rain mm); outputs are the three moisture codes (FFMC, DMC, DC), carried day to day, and the
//! behaviour indices (ISI, BUI, FWI) with the Daily Severity Rating (DSR). Sources: Van Wagner
//! (1987) Forestry Technical Report 35 (equation numbers), Van Wagner & Pickett (1985) Forestry
//! Technical Report 33 (the FORTRAN program), and the cffdrs R package, which the crate follows
//! exactly (day-length bands, constraints, FFMC constant 147.27723 by default).
//!
//! No I/O, no clock, no async: time enters as the month of each day and the order of a series.
//!
//! * [`components`]: the seven equations, raw `f64` kernels (unchecked, cffdrs-faithful).
//! * [`Weather`], [`Day`], [`Month`], [`FwiState`]: validated inputs and day-to-day state.
//! * [`Station`]: one point, a series of days → a series of [`FwiIndices`].
//! * [`FwiGrid`]: many cells, struct-of-arrays, one day step over all cells (rayon-parallel with
//!   the default `parallel` feature).
//! * [`overwinter_dc`], [`fire_season`]: start-up DC after winter, fire season detection.
//! * [`DangerProfile`]: danger classes (China 5 levels over FWI, EFFIS, LY/T 1172, user JSON).
//!
//! ```
//! use firebreak_fwi::{Day, FwiParams, Station};
//! let station = Station::new(40.0, FwiParams::default())?;
//! let days = [Day::new(4, 17.0, 42.0, 25.0, 0.0)?, Day::new(4, 20.0, 21.0, 25.0, 2.4)?];
//! let out = station.run(&days);
//! assert!((out[0].fwi - 10.04).abs() < 0.005); // cffdrs fwi_01.csv, 1985-04-13
//! # Ok::<(), firebreak_fwi::FwiError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod components;
mod danger;
mod error;
mod fast;
mod grid;
mod inputs;
mod overwinter;
mod season;
mod station;

pub use components::{FFMC_CONSTANT_1985, FFMC_CONSTANT_CFFDRS};
pub use danger::{DangerIndex, DangerLevel, DangerProfile, DangerProfileSpec, ProfileError};
pub use error::FwiError;
pub use grid::{FwiGrid, GridIndices, GridWeather};
pub use inputs::{Month, Weather};
pub use overwinter::{OverwinterParams, overwinter_dc};
pub use season::{SeasonChange, SeasonEdge, SeasonParams, fire_season, season_mask};
pub use station::{Day, FwiIndices, FwiParams, FwiState, RawDay, Station};
