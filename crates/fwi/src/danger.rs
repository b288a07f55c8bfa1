//! Danger class profiles: an index (FWI by default) cut into ordered, named, coloured levels.
//!
//! Profiles are data: the platform stores user-defined ones as JSON or TOML
//! ([`DangerProfileSpec`] is the editable form; [`DangerProfile`] the validated one, and
//! deserializing a `DangerProfile` validates it). Three are shipped:
//!
//! * [`DangerProfile::china_fwi`] — the default for Chinese jurisdictions: the 5 levels of
//!   GB/T 36743-2018 / QX/T 77-2007 (一级 green … 五级 red; 五级 bans all fire use in forests),
//!   with FWI thresholds **chosen by this project**, see its documentation;
//! * [`DangerProfile::effis`] — the European Forest Fire Information System's 6 FWI classes;
//! * [`DangerProfile::lyt1172_points`] — the levels of LY/T 1172-1995 over its points index
//!   (the points themselves are not computed by this crate).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::station::FwiIndices;

/// Which value a profile classifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DangerIndex {
    /// Fine Fuel Moisture Code.
    Ffmc,
    /// Duff Moisture Code.
    Dmc,
    /// Drought Code.
    Dc,
    /// Initial Spread Index.
    Isi,
    /// Buildup Index.
    Bui,
    /// Fire Weather Index (the default).
    #[default]
    Fwi,
    /// Daily Severity Rating.
    Dsr,
    /// The LY/T 1172-1995 points index (computed outside this crate).
    Lyt1172Points,
}

impl DangerIndex {
    /// The value of this index in `idx`; `None` for an index the FWI System does not produce.
    pub fn value_of(self, idx: &FwiIndices) -> Option<f64> {
        match self {
            DangerIndex::Ffmc => Some(idx.ffmc),
            DangerIndex::Dmc => Some(idx.dmc),
            DangerIndex::Dc => Some(idx.dc),
            DangerIndex::Isi => Some(idx.isi),
            DangerIndex::Bui => Some(idx.bui),
            DangerIndex::Fwi => Some(idx.fwi),
            DangerIndex::Dsr => Some(idx.dsr),
            DangerIndex::Lyt1172Points => None,
        }
    }
}

/// One level of a profile. It applies from `from` (inclusive) up to the next level's `from`
/// (exclusive); the last level is open-ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DangerLevel {
    /// Level number: 1 for the first (lowest) level, then 2, 3, … in order.
    pub number: u8,
    /// Lower bound of the level, inclusive, in units of the profile's index.
    pub from: f64,
    /// Display colour, `#RRGGBB`.
    pub colour: String,
    /// Name in Chinese (zh-CN), e.g. `一级(低)`.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// What to do at this level, Chinese (editable).
    #[serde(default)]
    pub action_zh: String,
    /// What to do at this level, English (editable).
    #[serde(default)]
    pub action_en: String,
}

/// The editable, unvalidated form of a profile (what a user writes in JSON or TOML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DangerProfileSpec {
    /// Stable identifier, e.g. `"china_fwi"`.
    pub id: String,
    /// Display name, Chinese.
    pub name_zh: String,
    /// Display name, English.
    pub name_en: String,
    /// Index classified (default FWI).
    #[serde(default)]
    pub index: DangerIndex,
    /// Where the thresholds come from.
    #[serde(default)]
    pub source: String,
    /// Levels, lowest first.
    pub levels: Vec<DangerLevel>,
}

/// Why a profile was refused. Each variant names the level (by position, 1-based) and value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ProfileError {
    /// The JSON could not be read as a profile.
    #[error("profile JSON: {0}")]
    Json(String),
    /// `id`, a name or a level name is empty.
    #[error("{field} is empty")]
    Empty {
        /// Which field, e.g. `"levels[2].name_zh"`.
        field: String,
    },
    /// No levels, or more than 20.
    #[error("a profile needs 1 to 20 levels, got {0}")]
    LevelCount(usize),
    /// Levels are not numbered 1, 2, 3, … in order.
    #[error("level at position {position} has number {got}, expected {expected}")]
    Numbering {
        /// 1-based position in the list.
        position: usize,
        /// Number found.
        got: u8,
        /// Number expected.
        expected: usize,
    },
    /// A threshold is not finite, or not strictly above the previous level's.
    #[error("level {number}: from = {from} must be finite and greater than level {prev_number}'s {prev_from}")]
    Thresholds {
        /// Level number.
        number: u8,
        /// Its threshold.
        from: f64,
        /// Previous level's number.
        prev_number: u8,
        /// Previous level's threshold.
        prev_from: f64,
    },
    /// The first threshold is not finite.
    #[error("level 1: from = {0} must be finite")]
    FirstThreshold(f64),
    /// A colour is not `#RRGGBB`.
    #[error("level {number}: colour {colour:?} is not #RRGGBB")]
    Colour {
        /// Level number.
        number: u8,
        /// The colour given.
        colour: String,
    },
}

/// A validated danger class profile. Build one with [`DangerProfile::from_spec`],
/// [`DangerProfile::from_json`], by deserializing, or take a shipped one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DangerProfileSpec", into = "DangerProfileSpec")]
pub struct DangerProfile {
    spec: DangerProfileSpec,
}

impl TryFrom<DangerProfileSpec> for DangerProfile {
    type Error = ProfileError;
    fn try_from(spec: DangerProfileSpec) -> Result<Self, ProfileError> {
        DangerProfile::from_spec(spec)
    }
}

impl From<DangerProfile> for DangerProfileSpec {
    fn from(p: DangerProfile) -> Self {
        p.spec
    }
}

fn is_hex_colour(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7 && b[0] == b'#' && b[1..].iter().all(u8::is_ascii_hexdigit)
}

fn non_empty(field: impl Into<String>, v: &str) -> Result<(), ProfileError> {
    if v.trim().is_empty() { Err(ProfileError::Empty { field: field.into() }) } else { Ok(()) }
}

impl DangerProfile {
    /// Validates a spec: 1–20 levels numbered 1, 2, … in order; thresholds finite and strictly
    /// increasing; colours `#RRGGBB`; id and names not empty.
    pub fn from_spec(spec: DangerProfileSpec) -> Result<Self, ProfileError> {
        non_empty("id", &spec.id)?;
        non_empty("name_zh", &spec.name_zh)?;
        non_empty("name_en", &spec.name_en)?;
        let n = spec.levels.len();
        if n == 0 || n > 20 {
            return Err(ProfileError::LevelCount(n));
        }
        for (i, l) in spec.levels.iter().enumerate() {
            if usize::from(l.number) != i + 1 {
                return Err(ProfileError::Numbering { position: i + 1, got: l.number, expected: i + 1 });
            }
            if !is_hex_colour(&l.colour) {
                return Err(ProfileError::Colour { number: l.number, colour: l.colour.clone() });
            }
            non_empty(format!("levels[{}].name_zh", i + 1), &l.name_zh)?;
            non_empty(format!("levels[{}].name_en", i + 1), &l.name_en)?;
            if i == 0 {
                if !l.from.is_finite() {
                    return Err(ProfileError::FirstThreshold(l.from));
                }
            } else {
                let prev = &spec.levels[i - 1];
                if !(l.from.is_finite() && l.from > prev.from) {
                    return Err(ProfileError::Thresholds {
                        number: l.number,
                        from: l.from,
                        prev_number: prev.number,
                        prev_from: prev.from,
                    });
                }
            }
        }
        Ok(DangerProfile { spec })
    }

    /// Parses and validates a profile from JSON (the same shape as [`DangerProfileSpec`]).
    pub fn from_json(json: &str) -> Result<Self, ProfileError> {
        let spec: DangerProfileSpec = serde_json::from_str(json).map_err(|e| ProfileError::Json(e.to_string()))?;
        DangerProfile::from_spec(spec)
    }

    /// The profile as JSON (never fails for a validated profile; returns `{}` if it somehow did).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.spec).unwrap_or_else(|_| String::from("{}"))
    }

    /// Identifier.
    pub fn id(&self) -> &str {
        &self.spec.id
    }
    /// The index classified.
    pub fn index(&self) -> DangerIndex {
        self.spec.index
    }
    /// Source of the thresholds.
    pub fn source(&self) -> &str {
        &self.spec.source
    }
    /// Levels, lowest first.
    pub fn levels(&self) -> &[DangerLevel] {
        &self.spec.levels
    }
    /// The editable form, e.g. to change action texts and validate again.
    pub fn spec(&self) -> &DangerProfileSpec {
        &self.spec
    }

    /// The level of `value`: the last level whose `from` ≤ `value`. `None` for NaN or a value
    /// below the first level's `from`.
    pub fn classify(&self, value: f64) -> Option<&DangerLevel> {
        self.spec.levels.iter().rev().find(|l| value >= l.from)
    }

    /// The level for a day's indices, using the profile's index; `None` when the profile's index
    /// is not an FWI System index (LY/T 1172 points) or the value is NaN.
    pub fn classify_indices(&self, idx: &FwiIndices) -> Option<&DangerLevel> {
        self.spec.index.value_of(idx).and_then(|v| self.classify(v))
    }

    /// Default profile for Chinese jurisdictions: the five national levels over the FWI.
    ///
    /// Levels, names and colours are those of GB/T 36743-2018 森林火险气象等级 (and QX/T 77-2007):
    /// 一级(低) green, 二级(较低) blue, 三级(较高) yellow, 四级(高) orange, 五级(极高) red; levels 1–2
    /// need no warning, level 5 bans all fire use in forests. The Chinese standards compute their
    /// own indices (LY/T 1172-1995 points; GB/T 36743 a meteorological index) and publish **no
    /// FWI thresholds**; we found no citable published mapping from FWI to these five levels.
    /// The thresholds are therefore a documented choice of this project: the EFFIS class
    /// boundaries (5.2, 11.2, 21.3, 38; see [`DangerProfile::effis`]) with EFFIS' two top classes
    /// (very high 38–50, extreme ≥ 50) merged into 五级:
    ///
    /// | level | FWI | EFFIS classes |
    /// |---|---|---|
    /// | 一级(低) | < 5.2 | very low |
    /// | 二级(较低) | 5.2 – 11.2 | low |
    /// | 三级(较高) | 11.2 – 21.3 | moderate |
    /// | 四级(高) | 21.3 – 38 | high |
    /// | 五级(极高) | ≥ 38 | very high + extreme |
    ///
    /// Why merge at the top: every boundary is a published one, and the fire ban (五级) stays
    /// reachable in humid subtropical China (e.g. Hunan), where FWI ≥ 50 is rare. Jurisdictions
    /// should recalibrate against their own fire history (e.g. percentiles of local FWI);
    /// thresholds and action texts are editable. Hex colours are our choice of the named colours.
    pub fn china_fwi() -> Self {
        let levels = [
            (
                1,
                0.0,
                "#00A650",
                "一级(低)",
                "Level 1 (low)",
                "火险低：可正常用火，注意防范。",
                "Low: normal use of fire, with care.",
            ),
            (
                2,
                5.2,
                "#1E6FD9",
                "二级(较低)",
                "Level 2 (fairly low)",
                "火险较低：野外用火须经批准并有专人看守。",
                "Fairly low: fire in the open only with permission and attended.",
            ),
            (
                3,
                11.2,
                "#FFD400",
                "三级(较高)",
                "Level 3 (fairly high)",
                "火险较高：发布黄色预警，严格控制野外用火，加强巡护瞭望。",
                "Fairly high: yellow warning; strictly limit fire in the open; more patrols and lookouts.",
            ),
            (
                4,
                21.3,
                "#FF8C00",
                "四级(高)",
                "Level 4 (high)",
                "火险高：发布橙色预警，禁止野外用火，扑火队伍进入待命状态。",
                "High: orange warning; no fire in the open; suppression teams on standby.",
            ),
            (
                5,
                38.0,
                "#E60012",
                "五级(极高)",
                "Level 5 (extreme)",
                "火险极高：发布红色预警，林区禁止一切用火，扑火队伍靠前驻防。",
                "Extreme: red warning; all use of fire in forests banned; suppression teams pre-positioned.",
            ),
        ];
        DangerProfile {
            spec: DangerProfileSpec {
                id: "china_fwi".into(),
                name_zh: "森林火险等级（FWI，五级）".into(),
                name_en: "China forest fire danger levels (FWI, 5 levels)".into(),
                index: DangerIndex::Fwi,
                source: "Levels, names, colours: GB/T 36743-2018, QX/T 77-2007. FWI thresholds: \
                         firebreak's choice, EFFIS boundaries 5.2/11.2/21.3/38 with EFFIS very high \
                         and extreme merged into level 5 (no published FWI mapping found)."
                    .into(),
                levels: levels
                    .into_iter()
                    .map(|(number, from, colour, zh, en, azh, aen)| DangerLevel {
                        number,
                        from,
                        colour: colour.into(),
                        name_zh: zh.into(),
                        name_en: en.into(),
                        action_zh: azh.into(),
                        action_en: aen.into(),
                    })
                    .collect(),
            },
        }
    }

    /// EFFIS fire danger classes over the FWI (European Forest Fire Information System; the same
    /// table is used by Copernicus/OpenWeather FWI products): very low < 5.2, low 5.2–11.2,
    /// moderate 11.2–21.3, high 21.3–38, very high 38–50, extreme ≥ 50. Numbered 1–6 here
    /// (EFFIS numbers them 0–5). Colours approximate the EFFIS map legend.
    pub fn effis() -> Self {
        let levels = [
            (1, 0.0, "#00B050", "极低", "Very low"),
            (2, 5.2, "#FFFF00", "低", "Low"),
            (3, 11.2, "#FFA500", "中", "Moderate"),
            (4, 21.3, "#FF0000", "高", "High"),
            (5, 38.0, "#8B0000", "很高", "Very high"),
            (6, 50.0, "#4B0040", "极端", "Extreme"),
        ];
        DangerProfile {
            spec: DangerProfileSpec {
                id: "effis".into(),
                name_zh: "EFFIS 火险等级（FWI，六级）".into(),
                name_en: "EFFIS fire danger classes (FWI, 6 classes)".into(),
                index: DangerIndex::Fwi,
                source: "European Forest Fire Information System (EFFIS) FWI classes.".into(),
                levels: levels
                    .into_iter()
                    .map(|(number, from, colour, zh, en)| DangerLevel {
                        number,
                        from,
                        colour: colour.into(),
                        name_zh: zh.into(),
                        name_en: en.into(),
                        action_zh: String::new(),
                        action_en: String::new(),
                    })
                    .collect(),
            },
        }
    }

    /// LY/T 1172-1995 全国森林火险天气等级 over its points index (integer points from maximum
    /// temperature, minimum RH, days without rain and wind, corrected for rain and phenology):
    /// ≤ 25 → 1, 26–50 → 2, 51–72 → 3, 73–90 → 4, ≥ 91 → 5. Names, colours and actions as
    /// [`DangerProfile::china_fwi`]. This crate does not compute the points.
    pub fn lyt1172_points() -> Self {
        let base = DangerProfile::china_fwi();
        let mut spec = base.spec;
        spec.id = "lyt1172_points".into();
        spec.name_zh = "全国森林火险天气等级（LY/T 1172-1995 指数）".into();
        spec.name_en = "China forest fire weather levels (LY/T 1172-1995 points)".into();
        spec.index = DangerIndex::Lyt1172Points;
        spec.source = "LY/T 1172-1995: <=25, 26-50, 51-72, 73-90, >=91 points.".into();
        for (l, from) in spec.levels.iter_mut().zip([0.0, 26.0, 51.0, 73.0, 91.0]) {
            l.from = from;
        }
        DangerProfile { spec }
    }
}
