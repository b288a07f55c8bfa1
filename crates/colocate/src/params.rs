//! Validated query parameters ("parse, don't validate": the only way to get a [`Params`] is
//! through its checking constructors).

use crate::error::Error;

/// Default co-presence step, seconds: one minute, a typical sampling step of phone location data.
pub const DEFAULT_COPRESENCE_STEP_S: i64 = 60;

/// The parameters of one co-location query.
///
/// - `radius_m` (metres, finite, > 0): two points are close when their haversine distance is
///   `<= radius_m`.
/// - `window_s` (seconds, ≥ 0): two points are simultaneous when `|t₁ − t₂| <= window_s`.
/// - `copresence_step_s` (seconds, ≥ 0, default 60): the minimum length each matched pair adds
///   to the co-presence time (see [`crate::CaseLink::copresence_s`]).
/// - `min_copresence_s` (seconds, ≥ 0, default 0): links with less co-presence are dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    radius_m: f64,
    window_s: i64,
    copresence_step_s: i64,
    min_copresence_s: i64,
}

impl Params {
    /// A query with distance `radius_m` (metres, finite, > 0) and time window `window_s`
    /// (seconds, ≥ 0); co-presence step 60 s, no minimum co-presence.
    ///
    /// ```
    /// use firebreak_colocate::{Error, Params};
    /// assert!(Params::new(50.0, 300).is_ok());
    /// assert!(matches!(Params::new(0.0, 300), Err(Error::Radius { .. })));
    /// assert!(matches!(Params::new(50.0, -1), Err(Error::Window { value: -1 })));
    /// ```
    pub fn new(radius_m: f64, window_s: i64) -> Result<Params, Error> {
        if !(radius_m.is_finite() && radius_m > 0.0) {
            return Err(Error::Radius { value: radius_m });
        }
        if window_s < 0 {
            return Err(Error::Window { value: window_s });
        }
        Ok(Params { radius_m, window_s, copresence_step_s: DEFAULT_COPRESENCE_STEP_S, min_copresence_s: 0 })
    }

    /// The same query with co-presence step `step_s` (seconds, ≥ 0).
    pub fn with_copresence_step(self, step_s: i64) -> Result<Params, Error> {
        if step_s < 0 {
            return Err(Error::CopresenceStep { value: step_s });
        }
        Ok(Params { copresence_step_s: step_s, ..self })
    }

    /// The same query keeping only links with co-presence ≥ `min_s` seconds (≥ 0).
    pub fn with_min_copresence(self, min_s: i64) -> Result<Params, Error> {
        if min_s < 0 {
            return Err(Error::MinCopresence { value: min_s });
        }
        Ok(Params { min_copresence_s: min_s, ..self })
    }

    /// Distance threshold, metres.
    pub fn radius_m(&self) -> f64 {
        self.radius_m
    }

    /// Time window, seconds.
    pub fn window_s(&self) -> i64 {
        self.window_s
    }

    /// Co-presence step, seconds.
    pub fn copresence_step_s(&self) -> i64 {
        self.copresence_step_s
    }

    /// Minimum co-presence of a reported link, seconds.
    pub fn min_copresence_s(&self) -> i64 {
        self.min_copresence_s
    }
}
