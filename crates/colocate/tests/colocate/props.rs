//! Property tests: the engine equals the brute force exactly on random traces, including
//! the antimeridian, the poles, equal timestamps, unsorted input, tiny and huge radii, Δt = 0.

use firebreak_colocate::{Accumulator, CaseIndex, EARTH_RADIUS_M, Params, PointBuf, Tuning, brute_force, colocate};
use proptest::prelude::*;

use crate::assert_same;

/// Where the points of one generated scenario live.
#[derive(Debug, Clone, Copy)]
enum Region {
    World,
    Antimeridian,
    NorthPole,
    SouthPole,
    City,
}

fn region() -> impl Strategy<Value = Region> {
    prop_oneof![
        Just(Region::World),
        Just(Region::Antimeridian),
        Just(Region::NorthPole),
        Just(Region::SouthPole),
        Just(Region::City),
    ]
}

fn wrap_lon(lon: f64) -> f64 {
    let l = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if l < -180.0 { -180.0 } else { l.min(180.0) }
}

/// A position in the region from two unit draws `u`, `v` in [0, 1].
fn place(r: Region, u: f64, v: f64) -> (f64, f64) {
    match r {
        Region::World => (-90.0 + 180.0 * u, -180.0 + 360.0 * v),
        Region::Antimeridian => (-60.0 + 120.0 * u, wrap_lon(179.99 + 0.02 * v)),
        Region::NorthPole => ((90.0 - 0.01 * u).min(90.0), -180.0 + 360.0 * v),
        Region::SouthPole => ((-90.0 + 0.01 * u).max(-90.0), -180.0 + 360.0 * v),
        Region::City => (26.9 + 0.01 * u, 112.6 + 0.01 * v),
    }
}

/// Moves (lat, lon) by about `dn`, `de` metres north and east, clamping and wrapping.
fn nudge(lat: f64, lon: f64, dn: f64, de: f64) -> (f64, f64) {
    let m_per_deg = EARTH_RADIUS_M.to_radians();
    let nlat = (lat + dn / m_per_deg).clamp(-90.0, 90.0);
    let c = nlat.to_radians().cos().max(1e-9);
    (nlat, wrap_lon(lon + de / (m_per_deg * c)))
}

#[derive(Debug, Clone)]
struct Scenario {
    cases: PointBuf,
    others: PointBuf,
    radius_m: f64,
    window_s: i64,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let radius = prop_oneof![
        1e-4..1.0f64,
        1.0..200.0f64,
        200.0..20_000.0f64,
        20_000.0..5_000_000.0f64,
        Just(1.0e-3),
        Just(20_000_000.0), // more than half the circumference: everything
    ];
    let window = prop_oneof![Just(0i64), 0..120i64, 0..100_000i64];
    // (key, time step index, u, v, copy-from-case?, dn, de)
    let pt = (0u32..25, 0i64..40, 0.0..=1.0f64, 0.0..=1.0f64, any::<bool>(), -1.5..1.5f64, -1.5..1.5f64);
    (region(), radius, window, 1i64..400, prop::collection::vec(pt.clone(), 0..25), prop::collection::vec(pt, 0..150))
        .prop_map(|(r, radius_m, window_s, step, cs, os)| {
            let mut cases = PointBuf::new();
            let mut case_pos = Vec::new();
            for (k, ti, u, v, _, _, _) in cs {
                let (lat, lon) = place(r, u, v);
                // Case keys 0..3 overlap the others' keys: self-pairs must be skipped.
                cases.push(k % 3, ti * step, lat, lon);
                case_pos.push((lat, lon, ti * step));
            }
            let mut others = PointBuf::new();
            for (i, (k, ti, u, v, copy, dn, de)) in os.into_iter().enumerate() {
                if copy && !case_pos.is_empty() {
                    let (lat, lon, t) = case_pos[i % case_pos.len()];
                    // Offsets of about ±1.5 radius: some in, some out, some exactly equal.
                    let (lat, lon) =
                        if i % 7 == 0 { (lat, lon) } else { nudge(lat, lon, dn * radius_m, de * radius_m) };
                    let t = if i % 5 == 0 { t } else { t + (dn * window_s as f64) as i64 };
                    others.push(k, t, lat, lon);
                } else {
                    let (lat, lon) = place(r, u, v);
                    others.push(k, ti * step, lat, lon);
                }
            }
            Scenario { cases, others, radius_m, window_s }
        })
}

fn tiny_tuning() -> Tuning {
    Tuning { cell_factor: 0.5, min_cell_m: 10.0, bucket_factor: 0.5, min_bucket_s: 1, chunk_rows: 1024 }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn engine_equals_brute_force(s in scenario()) {
        let params = Params::new(s.radius_m, s.window_s).unwrap();
        let brute = brute_force(s.cases.as_points(), s.others.as_points(), &params).unwrap();
        let engine = colocate(s.cases.as_points(), s.others.as_points(), &params).unwrap();
        assert_same(&engine, &brute);

        // Other grid shapes, and the others split into two partitions, give the same result.
        for tuning in [tiny_tuning(), Tuning { cell_factor: 7.0, bucket_factor: 9.0, ..Tuning::default() }] {
            let index = CaseIndex::build_tuned(s.cases.as_points(), &params, tuning, None).unwrap();
            let mut acc = index.accumulator();
            let n = s.others.len();
            let mut first = PointBuf::new();
            let mut second = PointBuf::new();
            let o = s.others.as_points();
            for i in 0..n {
                let buf = if i < n / 2 { &mut first } else { &mut second };
                buf.push(o.keys()[i], o.times()[i], o.lats()[i], o.lons()[i]);
            }
            index.probe(&mut acc, first.as_points()).unwrap();
            let mut acc2 = Accumulator::new(params);
            index.probe(&mut acc2, second.as_points()).unwrap();
            acc.merge(acc2).unwrap();
            assert_same(&acc.finish(), &brute);
        }
    }

    #[test]
    fn min_copresence_filter_matches_brute_force(s in scenario(), min_s in 0i64..2_000) {
        let params = Params::new(s.radius_m, s.window_s).unwrap()
            .with_copresence_step(30).unwrap()
            .with_min_copresence(min_s).unwrap();
        let brute = brute_force(s.cases.as_points(), s.others.as_points(), &params).unwrap();
        let engine = colocate(s.cases.as_points(), s.others.as_points(), &params).unwrap();
        assert_same(&engine, &brute);
        for c in &engine {
            prop_assert!(!c.cases.is_empty());
            for l in &c.cases {
                prop_assert!(l.copresence_s >= min_s);
            }
        }
    }

    #[test]
    fn partition_by_time_range_equals_single_pass(s in scenario(), cut in 0i64..16_000) {
        // Others split at `cut` into [.., cut) and [cut, ..); each partition gets its own
        // range-restricted index (cases widened by the window on both sides).
        let params = Params::new(s.radius_m, s.window_s).unwrap();
        let brute = brute_force(s.cases.as_points(), s.others.as_points(), &params).unwrap();
        let o = s.others.as_points();
        let mut acc = Accumulator::new(params);
        for (from, to) in [(i64::MIN / 4, cut), (cut, i64::MAX / 4)] {
            let mut part = PointBuf::new();
            for i in 0..o.len() {
                if o.times()[i] >= from && o.times()[i] < to {
                    part.push(o.keys()[i], o.times()[i], o.lats()[i], o.lons()[i]);
                }
            }
            let index = CaseIndex::build_for_range(s.cases.as_points(), &params, from, to).unwrap();
            index.probe(&mut acc, part.as_points()).unwrap();
        }
        assert_same(&acc.finish(), &brute);
    }
}
