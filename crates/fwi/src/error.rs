//! Errors a caller can act on: each names the field and the offending value.

use thiserror::Error;

/// An input the FWI System cannot use. Every variant names the field and the value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FwiError {
    /// A weather or state value is missing (NaN) or outside its physical range.
    #[error("{field} = {value} is out of range (expected {expected})")]
    OutOfRange {
        /// Name of the field, e.g. `"rh"`, `"rain"`, `"start.ffmc"`.
        field: &'static str,
        /// The value that was refused (NaN when missing).
        value: f64,
        /// The accepted range, in words.
        expected: &'static str,
    },
    /// A month outside 1..=12.
    #[error("month = {0} is out of range (expected 1..=12)")]
    Month(i64),
    /// A grid cell's input was refused; `source` names the field and value.
    #[error("cell {cell}: {source}")]
    Cell {
        /// Index of the cell in the struct-of-arrays input.
        cell: usize,
        /// What was wrong with it.
        #[source]
        source: Box<FwiError>,
    },
    /// A day in a station series was refused; `source` names the field and value.
    #[error("day {day}: {source}")]
    Day {
        /// Index of the day in the series (0-based).
        day: usize,
        /// What was wrong with it.
        #[source]
        source: Box<FwiError>,
    },
    /// Struct-of-arrays inputs of different lengths.
    #[error("{field} has {got} values, expected {expected} (one per cell)")]
    Length {
        /// Name of the array.
        field: &'static str,
        /// Its length.
        got: usize,
        /// The number of cells.
        expected: usize,
    },
}

impl FwiError {
    pub(crate) fn range(field: &'static str, value: f64, expected: &'static str) -> Self {
        FwiError::OutOfRange { field, value, expected }
    }
}

/// Checks `lo <= value <= hi` and that `value` is not NaN.
pub(crate) fn check_range(
    field: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    expected: &'static str,
) -> Result<f64, FwiError> {
    if value >= lo && value <= hi { Ok(value) } else { Err(FwiError::range(field, value, expected)) }
}
