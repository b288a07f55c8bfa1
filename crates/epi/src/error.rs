//! The one error type of the crate. Every message names the field and the offending value.

use chrono::NaiveDate;
use thiserror::Error;

/// Errors returned by the kernels of `firebreak-epi`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EpiError {
    /// A count is negative, NaN or infinite.
    #[error("{field}[{index}] = {value}: counts must be finite and >= 0")]
    InvalidCount {
        /// Name of the input series (e.g. `local`, `imported`, `I`).
        field: &'static str,
        /// 0-based position in the series.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// Two series that must have the same length do not.
    #[error("{left} has {left_len} values but {right} has {right_len}")]
    LengthMismatch {
        /// First series.
        left: &'static str,
        /// Its length.
        left_len: usize,
        /// Second series.
        right: &'static str,
        /// Its length.
        right_len: usize,
    },
    /// A series is shorter than the method needs.
    #[error("{field} has {len} values; at least {min} are needed")]
    TooShort {
        /// Name of the input.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// A scalar parameter is out of its domain.
    #[error("{name} = {value}: must be {expected}")]
    InvalidParameter {
        /// Parameter name (e.g. `si_mean`).
        name: &'static str,
        /// The value given.
        value: f64,
        /// What was expected, in words (e.g. `> 1 day`).
        expected: &'static str,
    },
    /// An R_t time window is outside the series (EpiEstim `check_times`).
    #[error(
        "window {index}: t_start = {t_start}, t_end = {t_end}; need 2 <= t_start <= t_end <= {days} (days are 1-based, day 1 cannot be estimated)"
    )]
    InvalidWindow {
        /// 0-based window number.
        index: usize,
        /// 1-based first day of the window.
        t_start: usize,
        /// 1-based last day of the window.
        t_end: usize,
        /// Number of days in the incidence series.
        days: usize,
    },
    /// A discrete serial-interval distribution breaks EpiEstim's `check_si_distr` rules.
    #[error("si_distr[{index}] = {value}: {reason}")]
    InvalidSiDistr {
        /// 0-based position (day of the serial interval).
        index: usize,
        /// The offending value (for a bad sum: the sum).
        value: f64,
        /// The rule that was broken.
        reason: &'static str,
    },
    /// A date range whose first day is after its last.
    #[error("date range {first}..{last}: first day is after last day")]
    InvalidDateRange {
        /// First day.
        first: NaiveDate,
        /// Last day.
        last: NaiveDate,
    },
    /// A text could not be parsed (a date, a date range).
    #[error("{field}: {value:?} is not {expected}")]
    Parse {
        /// Which input.
        field: &'static str,
        /// The text found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A cumulative series decreased and the chosen policy rejects that.
    #[error("cumulative[{index}] = {current} is below the previous value {previous} (a downward correction)")]
    CumulativeDecrease {
        /// 0-based position of the drop.
        index: usize,
        /// Previous cumulative value.
        previous: u64,
        /// This value.
        current: u64,
    },
    /// Not enough usable observations (e.g. serial-interval pairs with both onsets known).
    #[error("{what}: {n} usable, at least {min} needed")]
    TooFewObservations {
        /// What was counted.
        what: &'static str,
        /// How many were usable.
        n: usize,
        /// The minimum.
        min: usize,
    },
    /// An iterative fit did not converge (e.g. a growth-rate fit on a series with all cases at one end).
    #[error("{what} did not converge: {detail}")]
    NotConverged {
        /// Which fit.
        what: &'static str,
        /// Why.
        detail: String,
    },
}
