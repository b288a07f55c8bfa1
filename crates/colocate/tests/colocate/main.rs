//! Integration tests of firebreak-colocate, in one test binary (linking dominates on 2 cores).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod api;
mod geolife;
mod props;

use firebreak_colocate::Companion;

/// Asserts two results are identical, distances bit for bit.
pub fn assert_same(engine: &[Companion], brute: &[Companion]) {
    assert_eq!(engine.len(), brute.len(), "number of companions");
    for (e, b) in engine.iter().zip(brute) {
        assert_eq!(e, b);
        assert_eq!(e.min_distance_m.to_bits(), b.min_distance_m.to_bits());
        for (x, y) in e.cases.iter().zip(&b.cases) {
            assert_eq!(x.min_distance_m.to_bits(), y.min_distance_m.to_bits());
        }
    }
}
