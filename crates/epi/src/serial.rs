//! Empirical serial interval from infector → infectee symptom-onset pairs: n, mean, sd and a
//! seeded bootstrap 95 % interval of the mean, optionally restricted to pairs whose infector
//! (or infectee) onset lies in a period — the stratification of Ali et al., "Serial interval of
//! SARS-CoV-2 was shortened over time by nonpharmaceutical interventions", Science 369:1106 (2020).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::epicurve::DateRange;
use crate::error::EpiError;

/// Symptom-onset dates of one transmission pair; `None` = unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnsetPair {
    /// Infector's onset.
    pub infector_onset: Option<NaiveDate>,
    /// Infectee's onset.
    pub infectee_onset: Option<NaiveDate>,
}

impl OnsetPair {
    /// Serial interval in days (infectee onset − infector onset; may be negative, i.e.
    /// pre-symptomatic transmission), or `None` if an onset is unknown.
    pub fn interval_days(&self) -> Option<i64> {
        Some((self.infectee_onset? - self.infector_onset?).num_days())
    }
}

/// Whose onset date decides whether a pair falls in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PeriodBasis {
    /// The infector's onset (Ali et al. 2020 stratify by the infector's onset).
    #[default]
    InfectorOnset,
    /// The infectee's onset.
    InfecteeOnset,
}

/// Options of [`serial_interval`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SerialIntervalOptions {
    /// Keep only pairs whose onset (per `basis`) is in this range (both ends included).
    pub period: Option<DateRange>,
    /// Which onset the period applies to.
    pub basis: PeriodBasis,
    /// Bootstrap replicates for the interval of the mean (0 = no interval: `ci_*` are NaN).
    pub replicates: usize,
    /// Seed of the bootstrap (same seed, same pairs → same interval, on every platform).
    pub seed: u64,
}

impl Default for SerialIntervalOptions {
    fn default() -> Self {
        Self { period: None, basis: PeriodBasis::InfectorOnset, replicates: 10_000, seed: 20_200_101 }
    }
}

/// Empirical serial-interval summary (days).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SerialIntervalSummary {
    /// Pairs used (both onsets known, in the period).
    pub n: usize,
    /// Pairs in scope but with an unknown onset (excluded).
    pub unknown: usize,
    /// Mean serial interval, days.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator), days.
    pub sd: f64,
    /// 2.5 % percentile of the bootstrap means (R `quantile` type 7), days.
    pub ci_low: f64,
    /// 97.5 % percentile of the bootstrap means, days.
    pub ci_high: f64,
    /// Shortest interval, days.
    pub min: i64,
    /// Longest interval, days.
    pub max: i64,
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fixed, portable generator, so that a seed
/// gives the same bootstrap on every platform and crate version.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform integer in `0..n` (`n > 0`), without modulo bias (Lemire 2019).
    pub fn below(&mut self, n: u64) -> u64 {
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }
}

/// Quantile of sorted data, linear interpolation between order statistics (R type 7).
fn quantile_type7(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Serial-interval summary of the pairs in scope (see [`SerialIntervalOptions`]).
///
/// A pair is in scope if no period is given, or if the onset named by `basis` is known and in
/// the period. Pairs in scope with either onset unknown are counted in `unknown` and dropped.
/// Negative intervals are kept (they are real: infectees with earlier onset than their infector).
///
/// # Errors
/// [`EpiError::TooFewObservations`] when fewer than 2 pairs remain (no sd).
pub fn serial_interval(
    pairs: &[OnsetPair],
    options: &SerialIntervalOptions,
) -> Result<SerialIntervalSummary, EpiError> {
    let mut values: Vec<i64> = Vec::new();
    let mut unknown = 0;
    for p in pairs {
        if let Some(period) = options.period {
            let basis = match options.basis {
                PeriodBasis::InfectorOnset => p.infector_onset,
                PeriodBasis::InfecteeOnset => p.infectee_onset,
            };
            match basis {
                Some(d) if period.contains(d) => {}
                _ => continue,
            }
        }
        match p.interval_days() {
            Some(v) => values.push(v),
            None => unknown += 1,
        }
    }
    let n = values.len();
    if n < 2 {
        return Err(EpiError::TooFewObservations { what: "serial-interval pairs with both onsets known", n, min: 2 });
    }
    let nf = n as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / nf;
    let var = values.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    let (ci_low, ci_high) = if options.replicates == 0 {
        (f64::NAN, f64::NAN)
    } else {
        let mut rng = SplitMix64::new(options.seed);
        let mut means: Vec<f64> = (0..options.replicates)
            .map(|_| {
                let s: i64 = (0..n).map(|_| values[rng.below(n as u64) as usize]).sum();
                s as f64 / nf
            })
            .collect();
        means.sort_by(f64::total_cmp);
        (quantile_type7(&means, 0.025), quantile_type7(&means, 0.975))
    };
    Ok(SerialIntervalSummary {
        n,
        unknown,
        mean,
        sd: var.sqrt(),
        ci_low,
        ci_high,
        min: values.iter().copied().min().unwrap_or(0),
        max: values.iter().copied().max().unwrap_or(0),
    })
}

/// Column names and date format of Ali et al. (2020) Table S1 (`TableS1_1407TransPairs.csv`),
/// for the CLI's `--preset ali2020`.
pub mod ali2020 {
    use chrono::NaiveDate;

    use crate::error::EpiError;

    /// Column holding the infector's onset date.
    pub const INFECTOR_ONSET: &str = "infector_onsetDate";
    /// Column holding the infectee's onset date.
    pub const INFECTEE_ONSET: &str = "infectee_onsetDate";

    /// Parses a date of the table: `yyyy/mm/dd`, or the word `unknown` (→ `None`). Empty cells
    /// are treated as unknown too.
    ///
    /// # Errors
    /// [`EpiError::Parse`] naming the text.
    pub fn parse_date(s: &str) -> Result<Option<NaiveDate>, EpiError> {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("unknown") {
            return Ok(None);
        }
        NaiveDate::parse_from_str(t, "%Y/%m/%d").map(Some).map_err(|_| EpiError::Parse {
            field: "onset date",
            value: s.to_string(),
            expected: "a date yyyy/mm/dd or \"unknown\"",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2020, m, day)
    }

    #[test]
    fn summary_and_period() {
        let pairs = vec![
            OnsetPair { infector_onset: d(1, 10), infectee_onset: d(1, 18) },
            OnsetPair { infector_onset: d(1, 12), infectee_onset: d(1, 16) },
            OnsetPair { infector_onset: d(2, 1), infectee_onset: d(1, 31) },
            OnsetPair { infector_onset: None, infectee_onset: d(1, 20) },
            OnsetPair { infector_onset: d(1, 15), infectee_onset: None },
        ];
        let all = serial_interval(&pairs, &SerialIntervalOptions::default()).expect("ok");
        assert_eq!(all.n, 3);
        assert_eq!(all.unknown, 2);
        assert!((all.mean - 11.0 / 3.0).abs() < 1e-15);
        assert_eq!((all.min, all.max), (-1, 8));
        let jan = SerialIntervalOptions {
            period: Some("2020-01-09..2020-01-22".parse().expect("ok")),
            ..SerialIntervalOptions::default()
        };
        let s = serial_interval(&pairs, &jan).expect("ok");
        assert_eq!((s.n, s.unknown), (2, 1));
        assert!((s.mean - 6.0).abs() < 1e-15);
        assert!(s.ci_low >= 4.0 && s.ci_high <= 8.0);
        // Deterministic.
        assert_eq!(s, serial_interval(&pairs, &jan).expect("ok"));
    }

    #[test]
    fn rng_below_is_in_range_and_fixed() {
        let mut r = SplitMix64::new(1);
        let first = r.next_u64();
        assert_eq!(first, SplitMix64::new(1).next_u64());
        for _ in 0..1000 {
            assert!(r.below(7) < 7);
        }
    }

    #[test]
    fn ali_dates() {
        assert_eq!(ali2020::parse_date("2020/01/09").expect("ok"), d(1, 9));
        assert_eq!(ali2020::parse_date("unknown").expect("ok"), None);
        assert!(ali2020::parse_date("2020-13-01").is_err());
    }
}
