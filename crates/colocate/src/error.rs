//! Errors of the co-location kernel: each names the field and the offending value.

use std::fmt;

/// Which input a bad point came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The case points (the small side, indexed by [`crate::CaseIndex`]).
    Case,
    /// The other people's points (the big side, streamed partition by partition).
    Other,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Case => "case",
            Side::Other => "other",
        })
    }
}

/// Everything that can be wrong with a co-location query. Rows are 0-based indices into the
/// slice that was passed (for others: into that partition's slice).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// `radius_m` was ≤ 0, NaN or infinite.
    #[error("radius_m must be a finite distance in metres > 0, got {value}")]
    Radius {
        /// The value given, metres.
        value: f64,
    },
    /// `window_s` was negative.
    #[error("window_s must be >= 0 seconds, got {value}")]
    Window {
        /// The value given, seconds.
        value: i64,
    },
    /// `copresence_step_s` was negative.
    #[error("copresence_step_s must be >= 0 seconds, got {value}")]
    CopresenceStep {
        /// The value given, seconds.
        value: i64,
    },
    /// `min_copresence_s` was negative.
    #[error("min_copresence_s must be >= 0 seconds, got {value}")]
    MinCopresence {
        /// The value given, seconds.
        value: i64,
    },
    /// The columns of a point batch have different lengths.
    #[error("{side} points: column {field} has {len} values, expected {expected} (the length of column key)")]
    Length {
        /// Which input.
        side: Side,
        /// The column name (`t`, `lat` or `lon`).
        field: &'static str,
        /// Its length.
        len: usize,
        /// The length of the `key` column.
        expected: usize,
    },
    /// A latitude was NaN or outside [-90, 90] degrees.
    #[error("{side} point at row {row}: lat = {value} is not a latitude in degrees within [-90, 90]")]
    Latitude {
        /// Which input.
        side: Side,
        /// 0-based row in the slice passed.
        row: usize,
        /// The value, degrees.
        value: f64,
    },
    /// A longitude was NaN or outside [-180, 180] degrees.
    #[error("{side} point at row {row}: lon = {value} is not a longitude in degrees within [-180, 180]")]
    Longitude {
        /// Which input.
        side: Side,
        /// 0-based row in the slice passed.
        row: usize,
        /// The value, degrees.
        value: f64,
    },
    /// A case time `t ± window_s` does not fit in i64 seconds.
    #[error("{side} point at row {row}: t = {value} s widened by window_s = {window_s} s overflows i64 seconds")]
    Time {
        /// Which input.
        side: Side,
        /// 0-based row in the slice passed.
        row: usize,
        /// The time, seconds since the Unix epoch (UTC).
        value: i64,
        /// The window, seconds.
        window_s: i64,
    },
    /// The case index would exceed 2³² − 1 (key, case point) entries.
    #[error(
        "case index too large: {entries} (key, case point) entries (limit 4,294,967,294); split the cases into several queries"
    )]
    IndexTooLarge {
        /// Entries needed.
        entries: usize,
    },
    /// Two accumulators built for different query parameters were merged.
    #[error("cannot merge accumulators of different queries: {left:?} vs {right:?}")]
    ParamsMismatch {
        /// Parameters of the accumulator merged into.
        left: crate::Params,
        /// Parameters of the accumulator merged from.
        right: crate::Params,
    },
}

impl Error {
    /// The row the error is about, if any (used to report the lowest bad row).
    pub fn row(&self) -> Option<usize> {
        match self {
            Error::Latitude { row, .. } | Error::Longitude { row, .. } | Error::Time { row, .. } => Some(*row),
            _ => None,
        }
    }
}

/// Checks one point's coordinates; shared by the engine, the index and the brute force so all
/// report the same error for the same row.
#[inline]
pub(crate) fn check_coords(side: Side, row: usize, lat: f64, lon: f64) -> Result<(), Error> {
    // Written so that NaN fails both tests.
    if !(-90.0..=90.0).contains(&lat) {
        return Err(Error::Latitude { side, row, value: lat });
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(Error::Longitude { side, row, value: lon });
    }
    Ok(())
}
