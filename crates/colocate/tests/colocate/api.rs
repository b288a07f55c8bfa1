//! Errors, edge cases and the documented definitions, on hand-made traces.

use firebreak_colocate::{
    Accumulator, CaseIndex, Error, Params, PointBuf, Points, Side, brute_force, colocate, haversine_m,
};

fn params(r: f64, w: i64) -> Params {
    Params::new(r, w).unwrap()
}

#[test]
fn bad_parameters_are_errors_naming_field_and_value() {
    for r in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = Params::new(r, 60).unwrap_err();
        assert!(matches!(e, Error::Radius { .. }), "{e}");
        assert!(e.to_string().contains("radius_m"), "{e}");
    }
    let e = Params::new(10.0, -5).unwrap_err();
    assert_eq!(e, Error::Window { value: -5 });
    assert_eq!(e.to_string(), "window_s must be >= 0 seconds, got -5");
    assert!(matches!(params(1.0, 0).with_copresence_step(-1), Err(Error::CopresenceStep { value: -1 })));
    assert!(matches!(params(1.0, 0).with_min_copresence(-1), Err(Error::MinCopresence { value: -1 })));
}

#[test]
fn bad_points_are_errors_naming_side_row_field_and_value() {
    let p = params(50.0, 60);
    let mut good = PointBuf::new();
    good.push(1, 0, 26.9, 112.6);
    let cases_bad = [
        (f64::NAN, 0.0, "lat"),
        (90.5, 0.0, "lat"),
        (-91.0, 0.0, "lat"),
        (0.0, 180.01, "lon"),
        (0.0, -200.0, "lon"),
        (0.0, f64::NAN, "lon"),
    ];
    for (lat, lon, field) in cases_bad {
        let mut bad = PointBuf::new();
        bad.push(1, 0, 26.9, 112.6);
        bad.push(2, 0, lat, lon);
        // As case points.
        let e = colocate(bad.as_points(), good.as_points(), &p).unwrap_err();
        assert_eq!(e.to_string(), brute_force(bad.as_points(), good.as_points(), &p).unwrap_err().to_string());
        let msg = e.to_string();
        assert!(msg.starts_with("case point at row 1: "), "{msg}");
        assert!(msg.contains(field), "{msg}");
        // As other points (both the serial and the parallel paths).
        let e = colocate(good.as_points(), bad.as_points(), &p).unwrap_err();
        assert_eq!(e.row(), Some(1));
        assert!(e.to_string().starts_with("other point at row 1: "), "{e}");
        assert_eq!(e.to_string(), brute_force(good.as_points(), bad.as_points(), &p).unwrap_err().to_string());
    }
    // Lowest bad row of a large batch processed in parallel chunks.
    let mut big = PointBuf::new();
    for i in 0..300_000 {
        let lat = if i == 250_001 || i == 70_000 { f64::NAN } else { 26.9 };
        big.push(5, i, lat, 112.6);
    }
    let e = colocate(good.as_points(), big.as_points(), &p).unwrap_err();
    assert!(matches!(e, Error::Latitude { side: Side::Other, row: 70_000, .. }), "{e}");

    // Column lengths.
    let e = Points::new(Side::Other, &[1, 2], &[0, 0], &[0.0], &[0.0, 0.0]).unwrap_err();
    assert_eq!(e.to_string(), "other points: column lat has 1 values, expected 2 (the length of column key)");
    // Time overflow.
    let mut late = PointBuf::new();
    late.push(1, i64::MAX - 10, 0.0, 0.0);
    assert!(matches!(colocate(late.as_points(), good.as_points(), &p), Err(Error::Time { row: 0, .. })));
}

#[test]
fn no_case_points_is_an_empty_result() {
    let mut others = PointBuf::new();
    others.push(1, 0, 26.9, 112.6);
    let p = params(50.0, 300);
    assert!(colocate(Points::empty(), others.as_points(), &p).unwrap().is_empty());
    assert!(brute_force(Points::empty(), others.as_points(), &p).unwrap().is_empty());
    assert!(colocate(others.as_points(), Points::empty(), &p).unwrap().is_empty());
}

#[test]
fn haversine_reference_values() {
    // 1° of latitude on the mean sphere = R·π/180.
    let d = haversine_m(10.0, 20.0, 11.0, 20.0);
    assert!((d - 6_371_008.8f64.to_radians() * 1.0).abs() < 1e-6, "{d}");
    // Across the antimeridian: 0.002° of longitude at the equator, not 359.998°.
    let d = haversine_m(0.0, 179.999, 0.0, -179.999);
    assert!((d - 6_371_008.8f64 * 0.002f64.to_radians()).abs() < 1e-6, "{d}");
    // Across the pole: (89.9995, 0) to (89.9995, 180) is 0.001° of arc.
    let d = haversine_m(89.9995, 0.0, 89.9995, 180.0);
    assert!((d - 6_371_008.8f64 * 0.001f64.to_radians()).abs() < 1e-4, "{d}");
    // Antipodes: half the circumference.
    let d = haversine_m(0.0, 0.0, 0.0, 180.0);
    assert!((d - std::f64::consts::PI * 6_371_008.8).abs() < 1e-6, "{d}");
}

#[test]
fn definitions_first_last_copresence_and_closest() {
    // Case 1 stands still at A from t=1000 to t=1600 (one fix a minute); person 9 passes within
    // ~11 m at t=1100 and t=1130, person 8 comes 240 s after the case left.
    let mut cases = PointBuf::new();
    for k in 0..=10 {
        cases.push(1, 1000 + 60 * k, 26.9, 112.6);
    }
    let mut others = PointBuf::new();
    others.push(9, 1130, 26.9001, 112.6); // 11.1 m
    others.push(9, 1100, 26.90005, 112.6); // 5.6 m, the closest
    others.push(8, 1840, 26.9, 112.6); // 0 m, 240 s after the last case fix
    others.push(1, 1000, 26.9, 112.6); // the case itself among the others: skipped
    let p = params(20.0, 300);
    let out = colocate(cases.as_points(), others.as_points(), &p).unwrap();
    assert_same_as_brute(&cases, &others, &p);
    assert_eq!(out.iter().map(|c| c.person).collect::<Vec<_>>(), vec![8, 9]);

    let c8 = &out[0];
    // Pairs (1540,1840), (1600,1840): intervals [1540,1840), [1600,1840) → union 300 s.
    assert_eq!(c8.encounters, 2);
    assert_eq!((c8.first_t, c8.last_t), (1540, 1840));
    assert_eq!(c8.copresence_s, 300);
    assert_eq!(c8.copresence_minutes, 5.0);
    assert_eq!(c8.min_distance_m, 0.0);
    // Tie on distance 0: broken by the earlier case time.
    assert_eq!(c8.closest.case_t, 1540);

    let c9 = &out[1];
    // Case fixes 1000..=1360 are within 300 s of 1100 (7), 1000..=1420 of 1130 (8).
    assert_eq!(c9.encounters, 15);
    assert_eq!((c9.first_t, c9.last_t), (1000, 1420));
    // Union of [min, max) widened to ≥ 60 s: [1000, 1420) = 420 s.
    assert_eq!(c9.copresence_s, 420);
    assert_eq!(c9.closest.other_t, 1100);
    assert_eq!(c9.closest_case, 1);
    assert_eq!(c9.cases.len(), 1);
    assert_eq!(c9.cases[0].case, 1);

    // Minimum co-presence filter: 6 minutes keeps 9 (7 min), drops 8 (5 min).
    let p6 = p.with_min_copresence(360).unwrap();
    let out6 = colocate(cases.as_points(), others.as_points(), &p6).unwrap();
    assert_eq!(out6.iter().map(|c| c.person).collect::<Vec<_>>(), vec![9]);
    assert_same_as_brute(&cases, &others, &p6);
}

#[test]
fn window_zero_equal_timestamps_count_one_step() {
    let mut cases = PointBuf::new();
    cases.push(3, 500, -33.0, 151.0);
    cases.push(3, 560, -33.0, 151.0);
    let mut others = PointBuf::new();
    others.push(4, 500, -33.0, 151.0);
    others.push(4, 560, -33.0, 151.0);
    others.push(4, 561, -33.0, 151.0); // 1 s off: no match at Δt = 0
    let p = params(1.0, 0);
    let out = colocate(cases.as_points(), others.as_points(), &p).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].encounters, 2);
    // [500, 560) ∪ [560, 620) = 120 s with the default 60 s step.
    assert_eq!(out[0].copresence_s, 120);
    let p0 = p.with_copresence_step(0).unwrap();
    assert_eq!(colocate(cases.as_points(), others.as_points(), &p0).unwrap()[0].copresence_s, 0);
}

#[test]
fn antimeridian_and_pole_neighbours_are_found() {
    let mut cases = PointBuf::new();
    cases.push(1, 0, 10.0, 179.9999);
    cases.push(2, 0, 89.99999, 0.0);
    cases.push(3, 0, -89.9999, 45.0);
    let mut others = PointBuf::new();
    others.push(10, 0, 10.0, -179.9999); // 21.9 m across ±180°
    others.push(11, 0, 10.0, 180.0); // lon = +180 exactly
    others.push(12, 0, 89.99999, 180.0); // 2.2 m across the north pole
    others.push(13, 0, 90.0, -77.0); // the pole itself, 1.1 m
    others.push(14, 0, -89.9999, -135.0); // 22.2 m across the south pole
    others.push(15, 0, -90.0, 0.0);
    let p = params(25.0, 0);
    let out = colocate(cases.as_points(), others.as_points(), &p).unwrap();
    assert_eq!(out.iter().map(|c| c.person).collect::<Vec<_>>(), vec![10, 11, 12, 13, 14, 15]);
    assert_same_as_brute(&cases, &others, &p);
}

#[test]
fn partitions_across_midnight_and_mismatched_merge() {
    let p = params(50.0, 300);
    let mut cases = PointBuf::new();
    cases.push(1, 86_300, 26.9, 112.6);
    let mut day0 = PointBuf::new();
    day0.push(7, 86_399, 26.9, 112.6);
    let mut day1 = PointBuf::new();
    day1.push(8, 86_400, 26.9, 112.6);
    day1.push(9, 86_601, 26.9, 112.6); // 301 s: out
    let mut acc = Accumulator::new(p);
    for (from, part) in [(0, &day0), (86_400, &day1)] {
        let index = CaseIndex::build_for_range(cases.as_points(), &p, from, from + 86_400).unwrap();
        index.probe(&mut acc, part.as_points()).unwrap();
    }
    let out = acc.finish();
    assert_eq!(out.iter().map(|c| c.person).collect::<Vec<_>>(), vec![7, 8]);

    let mut a = Accumulator::new(p);
    let e = a.merge(Accumulator::new(params(51.0, 300))).unwrap_err();
    assert!(matches!(e, Error::ParamsMismatch { .. }));
}

fn assert_same_as_brute(cases: &PointBuf, others: &PointBuf, p: &Params) {
    let e = colocate(cases.as_points(), others.as_points(), p).unwrap();
    let b = brute_force(cases.as_points(), others.as_points(), p).unwrap();
    crate::assert_same(&e, &b);
}
