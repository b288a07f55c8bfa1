//! # firebreak-epi: the situation-analytics kernel
//!
//! Pure functions (no I/O, no clock, no async; randomness takes a seed) for the daily outbreak
//! picture of a command headquarters:
//!
//! - [`epicurve`]: daily and ISO-weekly epidemic curves per group, local and imported apart, empty
//!   days filled with 0; daily counts from cumulative reports with a stated policy for downward
//!   corrections.
//! - [`rt`]: the instantaneous reproduction number R_t by Cori et al. (Am. J. Epidemiol. 2013),
//!   matching the R package EpiEstim's `estimate_R` (checked to 1e-6 against EpiEstim's own
//!   Flu2009 snapshot); batch estimation for many jurisdictions in parallel.
//! - [`si`]: discrete serial-interval distributions (EpiEstim `discr_si`).
//! - [`serial`]: empirical serial interval from transmission pairs with a seeded bootstrap
//!   interval, stratified by period as in Ali et al. (Science 2020).
//! - [`growth`]: growth rate and doubling time (Poisson log-linear fit, Wald 95 % interval).
//! - [`special`]: log-gamma, incomplete gamma, gamma and normal quantiles.
//!
//! Time is in days throughout; day numbers for R_t are 1-based as in EpiEstim.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod epicurve;
pub mod error;
pub mod growth;
pub mod rt;
pub mod serial;
pub mod si;
pub mod special;

pub use epicurve::{
    CaseRecord, DailyCurve, DailyFromCumulative, DateRange, DecreasePolicy, IsoWeek, Origin, OriginCounts, WeeklyCurve,
    daily_curve, daily_from_cumulative,
};
pub use error::EpiError;
pub use growth::{GrowthFit, growth_rate};
pub use rt::{
    GammaPrior, Incidence, QUANTILE_LEVELS, RtEstimate, RtPosterior, RtWindow, SiSpec, Windows, estimate_r,
    estimate_r_many, estimate_r_parametric, overall_infectivity,
};
pub use serial::{OnsetPair, PeriodBasis, SerialIntervalOptions, SerialIntervalSummary, serial_interval};
pub use si::{SiDistr, discr_si};
