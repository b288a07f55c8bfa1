//! The quarantine part of a policy profile (`"quarantine"` in data/policy/*.json): for each kind
//! of person under control, the measures in sequence with their days, the day the count starts
//! from, the test days of each measure and the release condition.
//!
//! Source of every value: the National Health Commission's protocol, 9th edition (28 June 2022),
//! and the "20 measures" notice (11 November 2022), as summarised in
//! ../shared/reference/covid19-protocols-2022.md. The day-counting convention is the profile's
//! `anchor_day` (see [`QuarantineRules::anchor_day`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Kinds of person under control, in the order pages list them.
pub const KINDS: [&str; 6] =
    ["close-contact", "secondary-contact", "inbound", "high-risk-area", "medium-risk-area", "low-risk-area"];

/// A measure (管控措施) a person is under for a number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// 集中隔离: in a room of a quarantine facility.
    CentralizedQuarantine,
    /// 居家隔离: at home, may not go out (health code marked).
    HomeQuarantine,
    /// 居家健康监测: at home, goes out only when necessary, reports temperature daily.
    HomeHealthMonitoring,
    /// 自我健康监测: movement not restricted, tests on the set days only (low-risk-area arrivals, "3天2检").
    SelfHealthMonitoring,
}

impl Measure {
    pub const ALL: [Measure; 4] = [
        Measure::CentralizedQuarantine,
        Measure::HomeQuarantine,
        Measure::HomeHealthMonitoring,
        Measure::SelfHealthMonitoring,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::CentralizedQuarantine => "centralized-quarantine",
            Measure::HomeQuarantine => "home-quarantine",
            Measure::HomeHealthMonitoring => "home-health-monitoring",
            Measure::SelfHealthMonitoring => "self-health-monitoring",
        }
    }
    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.as_str() == s)
    }
    /// `true` for the measure served in a facility room.
    pub fn centralized(self) -> bool {
        self == Measure::CentralizedQuarantine
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The event the count of days starts from (计算起点).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CountFrom {
    /// The day of the last exposure to the case (close contacts) or to the close contact (secondary).
    LastExposure,
    /// The day of arrival (inbound travellers: the day of entry).
    Arrival,
    /// The day the person left the risk area ("以离开高风险区之日计").
    LeftRiskArea,
}

impl CountFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            CountFrom::LastExposure => "last-exposure",
            CountFrom::Arrival => "arrival",
            CountFrom::LeftRiskArea => "left-risk-area",
        }
    }
}

/// Whether a kind of person is placed under control by the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KindStatus {
    /// Placed under the measures listed.
    Controlled,
    /// The profile no longer identifies this kind (20 measures: secondary contacts).
    NotIdentified,
    /// The category itself no longer exists (20 measures: medium-risk areas).
    Abolished,
    /// Identified but not restricted (20 measures: low-risk-area arrivals, voluntary test on arrival).
    NotControlled,
}

/// When a person may be released at the end of a measure (解除条件).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseRule {
    /// The measure's last day has been reached.
    EndDate,
    /// The last day has been reached and the sample of the measure's last test day is negative.
    LastTestNegative,
    /// The last day has been reached and every sample of the measure is negative (none pending).
    AllTestsNegative,
}

/// One measure of a sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureRule {
    pub measure: Measure,
    /// Length in days, 1..=60.
    pub days: u32,
    /// Test (sampling) days counted inside this measure, 1-based, strictly increasing, ≤ `days`.
    #[serde(default)]
    pub test_days: Vec<u32>,
}

/// The release condition of a kind, applied at the end of each measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub rule: ReleaseRule,
    pub text: String,
    pub text_en: String,
}

/// The rules for one kind of person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    pub status: KindStatus,
    /// Required when `status` is `controlled`.
    #[serde(default)]
    pub count_from: Option<CountFrom>,
    #[serde(default)]
    pub measures: Vec<MeasureRule>,
    #[serde(default)]
    pub release: Option<Release>,
    /// The rule in the protocol's words (zh) and in English.
    pub text: String,
    pub text_en: String,
}

/// The quarantine part of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarantineRules {
    /// The day number of the anchor day (the day of last exposure, arrival or leaving the risk
    /// area): `0` means the count starts the next day (day 1 = anchor + 1, a 7-day measure ends
    /// on anchor + 7); `1` means the anchor day itself is day 1 (ends on anchor + 6).
    pub anchor_day: u32,
    /// Why the profile counts this way (the protocol's words).
    pub anchor_day_note: String,
    /// Fever threshold of health checks, °C (37.3 in both profiles).
    pub fever_c: f64,
    /// Per kind (see [`KINDS`]).
    pub kinds: BTreeMap<String, KindRule>,
}

impl Default for QuarantineRules {
    fn default() -> Self {
        QuarantineRules { anchor_day: 0, anchor_day_note: String::new(), fever_c: 37.3, kinds: BTreeMap::new() }
    }
}

impl QuarantineRules {
    /// Checks the rule values; the error names the field (`quarantine.kinds.<kind>.measures[i]…`).
    pub fn validate(&self) -> Result<(), String> {
        if self.anchor_day > 1 {
            return Err(format!("quarantine.anchor_day {}: 0 or 1", self.anchor_day));
        }
        if !(35.0..=40.0).contains(&self.fever_c) {
            return Err(format!("quarantine.fever_c {}: 35.0..=40.0 °C", self.fever_c));
        }
        for (kind, r) in &self.kinds {
            let at = format!("quarantine.kinds.{kind}");
            if !KINDS.contains(&kind.as_str()) {
                return Err(format!("{at}: unknown kind; kinds: {}", KINDS.join(", ")));
            }
            if r.status != KindStatus::Controlled {
                if !r.measures.is_empty() {
                    return Err(format!("{at}.measures: must be empty when the kind is not controlled"));
                }
                continue;
            }
            if r.count_from.is_none() {
                return Err(format!("{at}.count_from: required (last-exposure, arrival, left-risk-area)"));
            }
            if r.release.is_none() {
                return Err(format!("{at}.release: required"));
            }
            if r.measures.is_empty() {
                return Err(format!("{at}.measures: at least one measure"));
            }
            for (i, m) in r.measures.iter().enumerate() {
                if !(1..=60).contains(&m.days) {
                    return Err(format!("{at}.measures[{i}].days {}: 1..=60", m.days));
                }
                let mut prev = 0;
                for &t in &m.test_days {
                    if t <= prev || t > m.days {
                        return Err(format!(
                            "{at}.measures[{i}].test_days: {t} must be increasing and within 1..={}",
                            m.days
                        ));
                    }
                    prev = t;
                }
            }
            if r.measures.windows(2).any(|w| w[0].measure == w[1].measure) {
                return Err(format!("{at}.measures: the same measure twice in a row"));
            }
        }
        Ok(())
    }

    /// The rule of `kind`, or an error naming the known kinds.
    pub fn kind(&self, kind: &str) -> Result<&KindRule, String> {
        self.kinds.get(kind).ok_or_else(|| {
            format!(
                "kind \"{kind}\" has no rule in this profile; kinds: {}",
                self.kinds.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }
}
