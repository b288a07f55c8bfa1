//! # firebreak-colocate: the exact spatiotemporal co-location (时空伴随) join
//!
//! Pure kernel, no I/O. Given the points of one or more cases and a batch of other people's
//! points — each point a key (interned u32 id), a time `t` (i64 seconds since the Unix epoch,
//! UTC) and a position (`lat`, `lon`, f64 WGS 84 degrees) — a distance `radius_m` (metres,
//! positive) and a window `window_s` (seconds, ≥ 0), an **encounter** is a pair (case point, other
//! point) with
//!
//! - haversine distance ≤ `radius_m` (R. W. Sinnott, "Virtues of the Haversine", Sky &
//!   Telescope 68(2):159, 1984; mean Earth radius 6,371,008.8 m, IUGG/GRS 80), computed by
//!   [`haversine_m`] with the case point first, and
//! - `|t_case − t_other| ≤ window_s`,
//!
//! excluding pairs whose two keys are equal (a case's own points among the others). The
//! result is per companion ([`Companion`]) and per (case, companion) link ([`CaseLink`]); see
//! [`CaseLink`] for the definitions of `first_t`, `last_t` and `copresence_s`.
//!
//! The engine ([`CaseIndex`]) prunes with a space–time grid but the final test is always the
//! haversine formula with `<=`, so its output equals [`brute_force`] exactly (same
//! companions, counts, times, and distances bit for bit). See the [`index`] module for the
//! algorithm and why the pruning is conservative at the poles and across ±180°.
//!
//! ## Processing a store partition by partition
//! Memory stays bounded by the case points plus one partition plus the links found:
//!
//! ```
//! use firebreak_colocate::{CaseIndex, Params, PointBuf};
//! # fn main() -> Result<(), firebreak_colocate::Error> {
//! let params = Params::new(50.0, 300)?.with_min_copresence(0)?;
//! let mut cases = PointBuf::new();
//! cases.push(1, 86_390, 26.9, 112.6); // 10 s before midnight, day 1
//! let index = CaseIndex::build(cases.as_points(), &params)?;
//! let mut acc = index.accumulator();
//! // One batch per day partition [D, D + 86,400): every other point in exactly one batch.
//! let mut day0 = PointBuf::new();
//! day0.push(7, 86_000, 26.9, 112.6); // too early (390 s before)
//! let mut day1 = PointBuf::new();
//! day1.push(8, 86_400 + 100, 26.9, 112.6001); // 110 s after, 10 m away: matches across midnight
//! for part in [&day0, &day1] {
//!     index.probe(&mut acc, part.as_points())?;
//! }
//! let companions = acc.finish();
//! assert_eq!(companions.len(), 1);
//! assert_eq!(companions[0].person, 8);
//! # Ok(()) }
//! ```
//!
//! Because the index holds all case points, each pair is found exactly once — in the
//! partition of its other point — however the case points fall relative to the partition
//! boundaries. To hold fewer case points at a time (weeks of case traces), build one index
//! per partition with [`CaseIndex::build_for_range`]`(cases, &params, D, D + 86_400)`, which
//! keeps the case points in `[D − window_s, D + 86,400 + window_s]`: the adjacent window
//! is on the case side, so the others' partitions are never read twice. Accumulators from
//! different partitions, threads or machines combine with [`Accumulator::merge`]; call
//! [`Accumulator::finish`] once at the end.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod acc;
mod brute;
mod error;
mod geo;
pub mod index;
mod params;
mod points;

pub use acc::{Accumulator, CaseLink, Closest, Companion};
pub use brute::{brute_force, brute_force_into, colocate};
pub use error::{Error, Side};
pub use geo::{EARTH_RADIUS_M, haversine_m};
pub use index::{CaseIndex, Tuning};
pub use params::{DEFAULT_COPRESENCE_STEP_S, Params};
pub use points::{PointBuf, Points};
