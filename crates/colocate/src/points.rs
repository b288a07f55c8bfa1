//! Point batches: struct-of-arrays, so an Arrow/Parquet record batch maps onto them without a copy.

use crate::error::{Error, Side};

/// A borrowed batch of points, one row per GPS fix, as four equally long columns:
/// `key` (interned person or case id, u32), `t` (seconds since the Unix epoch, UTC, i64),
/// `lat` and `lon` (WGS 84 degrees, f64; lat in [-90, 90], lon in [-180, 180]).
///
/// Rows need not be sorted in any way. Coordinates are checked where the batch is used
/// (index build, probe, brute force), not here, so that checking fuses with the single pass
/// over the data.
#[derive(Debug, Clone, Copy)]
pub struct Points<'a> {
    key: &'a [u32],
    t: &'a [i64],
    lat: &'a [f64],
    lon: &'a [f64],
}

impl<'a> Points<'a> {
    /// Wraps four columns of the same length `n` (`key`, `t` seconds, `lat` and `lon` degrees).
    /// `side` only names the input in the error when the lengths differ.
    pub fn new(side: Side, key: &'a [u32], t: &'a [i64], lat: &'a [f64], lon: &'a [f64]) -> Result<Points<'a>, Error> {
        let expected = key.len();
        for (field, len) in [("t", t.len()), ("lat", lat.len()), ("lon", lon.len())] {
            if len != expected {
                return Err(Error::Length { side, field, len, expected });
            }
        }
        Ok(Points { key, t, lat, lon })
    }

    /// An empty batch.
    pub fn empty() -> Points<'static> {
        Points { key: &[], t: &[], lat: &[], lon: &[] }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.key.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.key.is_empty()
    }

    /// The `key` column (interned ids).
    pub fn keys(&self) -> &'a [u32] {
        self.key
    }

    /// The `t` column, seconds since the Unix epoch (UTC).
    pub fn times(&self) -> &'a [i64] {
        self.t
    }

    /// The `lat` column, degrees.
    pub fn lats(&self) -> &'a [f64] {
        self.lat
    }

    /// The `lon` column, degrees.
    pub fn lons(&self) -> &'a [f64] {
        self.lon
    }

    /// Rows `start..end` (panics like slice indexing when out of bounds).
    pub(crate) fn slice(&self, start: usize, end: usize) -> Points<'a> {
        Points {
            key: &self.key[start..end],
            t: &self.t[start..end],
            lat: &self.lat[start..end],
            lon: &self.lon[start..end],
        }
    }
}

/// An owned batch of points with the same columns as [`Points`]: `key` (u32), `t` (seconds,
/// UTC), `lat`, `lon` (degrees). Convenient for tests and for callers that decode rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointBuf {
    key: Vec<u32>,
    t: Vec<i64>,
    lat: Vec<f64>,
    lon: Vec<f64>,
}

impl PointBuf {
    /// An empty buffer.
    pub fn new() -> PointBuf {
        PointBuf::default()
    }

    /// An empty buffer with room for `n` rows.
    pub fn with_capacity(n: usize) -> PointBuf {
        PointBuf {
            key: Vec::with_capacity(n),
            t: Vec::with_capacity(n),
            lat: Vec::with_capacity(n),
            lon: Vec::with_capacity(n),
        }
    }

    /// Appends one row: `key`, `t` seconds (UTC), `lat`, `lon` degrees (checked later, on use).
    pub fn push(&mut self, key: u32, t: i64, lat: f64, lon: f64) {
        self.key.push(key);
        self.t.push(t);
        self.lat.push(lat);
        self.lon.push(lon);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.key.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.key.is_empty()
    }

    /// Borrows the rows as a [`Points`] batch.
    pub fn as_points(&self) -> Points<'_> {
        Points { key: &self.key, t: &self.t, lat: &self.lat, lon: &self.lon }
    }
}
