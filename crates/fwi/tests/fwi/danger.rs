//! Danger class profiles: shipped thresholds, JSON round trip, validation of user profiles.

use firebreak_fwi::{DangerIndex, DangerProfile, FwiIndices, ProfileError};

fn level(p: &DangerProfile, v: f64) -> u8 {
    p.classify(v).map_or(0, |l| l.number)
}

#[test]
fn china_default_five_levels_over_fwi() {
    let p = DangerProfile::china_fwi();
    assert_eq!(p.index(), DangerIndex::Fwi);
    let names: Vec<&str> = p.levels().iter().map(|l| l.name_zh.as_str()).collect();
    assert_eq!(names, ["一级(低)", "二级(较低)", "三级(较高)", "四级(高)", "五级(极高)"]);
    let cases =
        [(0.0, 1), (5.19, 1), (5.2, 2), (11.19, 2), (11.2, 3), (21.3, 4), (37.99, 4), (38.0, 5), (50.0, 5), (150.0, 5)];
    for (v, want) in cases {
        assert_eq!(level(&p, v), want, "FWI {v}");
    }
    assert!(p.classify(f64::NAN).is_none());
    // Green, blue, yellow, orange, red; level 5 bans all fire use in forests.
    let top = &p.levels()[4];
    assert_eq!(top.colour, "#E60012");
    assert!(top.action_zh.contains("禁止一切用火"), "{}", top.action_zh);
    assert!(top.action_en.contains("all use of fire in forests banned"));
    let idx = FwiIndices { ffmc: 92.0, dmc: 40.0, dc: 300.0, isi: 12.0, bui: 60.0, fwi: 30.0, dsr: 11.0 };
    assert_eq!(p.classify_indices(&idx).map(|l| l.number), Some(4));
}

#[test]
fn effis_six_classes() {
    let p = DangerProfile::effis();
    let cases = [(5.19, 1), (5.2, 2), (11.2, 3), (21.29, 3), (21.3, 4), (38.0, 5), (49.99, 5), (50.0, 6)];
    for (v, want) in cases {
        assert_eq!(level(&p, v), want, "FWI {v}");
    }
    assert_eq!(p.levels()[5].name_en, "Extreme");
}

#[test]
fn lyt1172_points_levels() {
    let p = DangerProfile::lyt1172_points();
    for (v, want) in [(0.0, 1), (25.0, 1), (26.0, 2), (50.0, 2), (51.0, 3), (72.0, 3), (73.0, 4), (90.0, 4), (91.0, 5)]
    {
        assert_eq!(level(&p, v), want, "points {v}");
    }
    let idx = FwiIndices { ffmc: 0.0, dmc: 0.0, dc: 0.0, isi: 0.0, bui: 0.0, fwi: 99.0, dsr: 0.0 };
    assert!(p.classify_indices(&idx).is_none(), "points are not an FWI System index");
}

#[test]
fn profiles_round_trip_through_json() {
    for p in [DangerProfile::china_fwi(), DangerProfile::effis(), DangerProfile::lyt1172_points()] {
        let json = p.to_json();
        assert_eq!(DangerProfile::from_json(&json), Ok(p.clone()));
        let via_serde: DangerProfile = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(via_serde, p);
    }
}

const USER: &str = r##"{
  "id": "county_isi",
  "name_zh": "县级 ISI 三级",
  "name_en": "County ISI, 3 levels",
  "index": "isi",
  "levels": [
    {"number": 1, "from": 0, "colour": "#00ff00", "name_zh": "低", "name_en": "Low"},
    {"number": 2, "from": 4, "colour": "#FFFF00", "name_zh": "中", "name_en": "Medium", "action_zh": "加强巡护"},
    {"number": 3, "from": 10, "colour": "#FF0000", "name_zh": "高", "name_en": "High"}
  ]
}"##;

#[test]
fn user_profile_from_json() {
    let p = DangerProfile::from_json(USER).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.id(), "county_isi");
    assert_eq!(p.index(), DangerIndex::Isi);
    assert_eq!(p.levels()[1].action_zh, "加强巡护");
    assert_eq!(p.levels()[0].action_en, "", "actions default to empty");
    let idx = FwiIndices { ffmc: 90.0, dmc: 20.0, dc: 100.0, isi: 11.0, bui: 25.0, fwi: 2.0, dsr: 0.1 };
    assert_eq!(p.classify_indices(&idx).map(|l| l.number), Some(3), "ISI 11, not FWI 2");
}

fn edited(from: &str, to: &str) -> Result<DangerProfile, ProfileError> {
    assert!(USER.contains(from), "fixture contains {from}");
    DangerProfile::from_json(&USER.replacen(from, to, 1))
}

#[test]
fn user_profile_validation() {
    assert_eq!(
        edited(r#""from": 10"#, r#""from": 3"#),
        Err(ProfileError::Thresholds { number: 3, from: 3.0, prev_number: 2, prev_from: 4.0 })
    );
    assert!(matches!(edited(r#""from": 10"#, r#""from": 4"#), Err(ProfileError::Thresholds { .. })));
    assert_eq!(edited("#FF0000", "red"), Err(ProfileError::Colour { number: 3, colour: "red".into() }));
    assert_eq!(
        edited(r#""number": 3"#, r#""number": 4"#),
        Err(ProfileError::Numbering { position: 3, got: 4, expected: 3 })
    );
    assert!(matches!(edited(r#""name_en": "Low""#, r#""name_en": " ""#), Err(ProfileError::Empty { .. })));
    assert!(matches!(edited(r#""index": "isi""#, r#""index": "xyz""#), Err(ProfileError::Json(_))));
    assert!(matches!(edited(r#""index": "isi""#, r#""colour_scheme": 1"#), Err(ProfileError::Json(_))));
    let empty = r#"{"id": "x", "name_zh": "x", "name_en": "x", "levels": []}"#;
    assert_eq!(DangerProfile::from_json(empty), Err(ProfileError::LevelCount(0)));
    // Deserializing the validated type validates too.
    let e =
        serde_json::from_str::<DangerProfile>(&USER.replacen("#FF0000", "#FF00", 1)).expect_err("bad colour refused");
    assert!(e.to_string().contains("#FF00"), "{e}");
    // Error messages name the level and value.
    let msg =
        edited(r#""from": 10"#, r#""from": 3"#).map(|_| ()).expect_err("decreasing thresholds refused").to_string();
    assert_eq!(msg, "level 3: from = 3 must be finite and greater than level 2's 4");
}
