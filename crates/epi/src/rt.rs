//! The instantaneous reproduction number R_t by the method of Cori, Ferguson, Fraser & Cauchemez,
//! "A new framework and software to estimate time-varying reproduction numbers during epidemics",
//! Am. J. Epidemiol. 178(9):1505–1512 (2013), exactly as the R package EpiEstim (2.x/3.x,
//! `estimate_R`, methods `non_parametric_si` and `parametric_si`) computes it:
//!
//! - days are numbered 1..=T; the incidence of day t is split into local and imported cases;
//!   all cases on day 1 count as imported (EpiEstim `process_I`);
//! - overall infectivity Λ_t = Σ_{k=1}^{t−1} w_k (local + imported)_{t−k} (EpiEstim
//!   `overall_infectivity`): imported cases infect, but are never counted as infectees;
//! - over a window [t_start, t_end] and with a Gamma(shape a, scale b) prior on R, the posterior
//!   is Gamma(shape a + Σ local_t, scale 1/(1/b + Σ Λ_t)) (Cori et al. 2013, web appendix 1);
//! - a window whose `t_end` is not after the mean of the SI distribution has no estimate
//!   (EpiEstim returns NA there; here `posterior` is `None`).
//!
//! Window sums use prefix sums, so each series costs O(T · len(si)) for Λ plus O(T + windows).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::error::EpiError;
use crate::si::SiDistr;
use crate::special::gamma_quantile_std;

/// Daily incidence split into local and imported cases, days 1..=T (index 0 is day 1).
///
/// Counts are `f64` so that imputed or rescaled series are accepted, as in EpiEstim; they must be
/// finite and non-negative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incidence {
    local: Vec<f64>,
    imported: Vec<f64>,
}

fn check_counts(field: &'static str, values: &[f64]) -> Result<(), EpiError> {
    for (index, &value) in values.iter().enumerate() {
        if !value.is_finite() || value < 0.0 {
            return Err(EpiError::InvalidCount { field, index, value });
        }
    }
    Ok(())
}

impl Incidence {
    /// From total incidence only (EpiEstim column `I`): day 1's cases are imported, all later
    /// cases local (EpiEstim `process_I`).
    ///
    /// # Errors
    /// [`EpiError::InvalidCount`] (field `I`) for a negative or non-finite count;
    /// [`EpiError::TooShort`] for fewer than 2 days.
    pub fn from_total(total: &[f64]) -> Result<Self, EpiError> {
        check_counts("I", total)?;
        if total.len() < 2 {
            return Err(EpiError::TooShort { field: "I", len: total.len(), min: 2 });
        }
        let mut local = total.to_vec();
        let mut imported = vec![0.0; total.len()];
        imported[0] = local[0];
        local[0] = 0.0;
        Ok(Self { local, imported })
    }

    /// From separate local and imported series of equal length. Local cases on day 1 are moved to
    /// imported, as EpiEstim does (with a warning) because nothing earlier can have caused them.
    ///
    /// # Errors
    /// [`EpiError::InvalidCount`] naming `local` or `imported`; [`EpiError::LengthMismatch`];
    /// [`EpiError::TooShort`] for fewer than 2 days.
    pub fn from_local_imported(local: &[f64], imported: &[f64]) -> Result<Self, EpiError> {
        check_counts("local", local)?;
        check_counts("imported", imported)?;
        if local.len() != imported.len() {
            return Err(EpiError::LengthMismatch {
                left: "local",
                left_len: local.len(),
                right: "imported",
                right_len: imported.len(),
            });
        }
        if local.len() < 2 {
            return Err(EpiError::TooShort { field: "local", len: local.len(), min: 2 });
        }
        let mut local = local.to_vec();
        let mut imported = imported.to_vec();
        imported[0] += local[0];
        local[0] = 0.0;
        Ok(Self { local, imported })
    }

    /// Number of days T.
    pub fn len(&self) -> usize {
        self.local.len()
    }

    /// Always false (an `Incidence` has at least 2 days); present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.local.is_empty()
    }

    /// Local cases per day (day 1 is always 0).
    pub fn local(&self) -> &[f64] {
        &self.local
    }

    /// Imported cases per day.
    pub fn imported(&self) -> &[f64] {
        &self.imported
    }
}

/// The serial-interval input of [`estimate_r`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SiSpec {
    /// EpiEstim method `non_parametric_si`: a given discrete distribution (`si_distr`).
    Distribution(SiDistr),
    /// EpiEstim method `parametric_si`: `discr_si(0:(T−1), mean, sd)` for a series of T days
    /// (offset gamma, mean > 1 day, sd > 0 days).
    ParametricGamma {
        /// Mean serial interval, days (> 1).
        mean: f64,
        /// Standard deviation, days (> 0).
        sd: f64,
    },
}

impl SiSpec {
    /// The discrete distribution used for a series of `days` days.
    ///
    /// # Errors
    /// From [`crate::si::discr_si`] for invalid parametric values.
    pub fn distribution_for(&self, days: usize) -> Result<SiDistr, EpiError> {
        match self {
            SiSpec::Distribution(d) => Ok(d.clone()),
            SiSpec::ParametricGamma { mean, sd } => SiDistr::discretised_gamma(*mean, *sd, days),
        }
    }
}

/// Time windows over which R is assumed constant (1-based days, both ends included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Windows {
    /// EpiEstim's default: `t_start = 2..=T−width+1`, `t_end = t_start + width − 1`
    /// (weekly windows for `width = 7`).
    Sliding {
        /// Window length in days (≥ 1).
        width: usize,
    },
    /// Explicit `t_start`/`t_end` vectors, as EpiEstim's `config$t_start`/`config$t_end`.
    Explicit {
        /// First day of each window (≥ 2).
        t_start: Vec<usize>,
        /// Last day of each window (≤ T).
        t_end: Vec<usize>,
    },
}

impl Default for Windows {
    fn default() -> Self {
        Windows::Sliding { width: 7 }
    }
}

impl Windows {
    /// The concrete (t_start, t_end) pairs for a series of `days` days, checked as EpiEstim's
    /// `check_times`: `2 ≤ t_start ≤ t_end ≤ T`.
    ///
    /// # Errors
    /// [`EpiError::InvalidParameter`] for `width == 0`; [`EpiError::TooShort`] when the series
    /// has fewer than `width + 1` days; [`EpiError::LengthMismatch`]; [`EpiError::InvalidWindow`].
    pub fn resolve(&self, days: usize) -> Result<Vec<(usize, usize)>, EpiError> {
        match self {
            Windows::Sliding { width } => {
                if *width == 0 {
                    return Err(EpiError::InvalidParameter { name: "window", value: 0.0, expected: ">= 1 day" });
                }
                if days < width + 1 {
                    return Err(EpiError::TooShort {
                        field: "incidence (days, for the sliding window)",
                        len: days,
                        min: width + 1,
                    });
                }
                Ok((2..=days + 1 - width).map(|s| (s, s + width - 1)).collect())
            }
            Windows::Explicit { t_start, t_end } => {
                if t_start.len() != t_end.len() {
                    return Err(EpiError::LengthMismatch {
                        left: "t_start",
                        left_len: t_start.len(),
                        right: "t_end",
                        right_len: t_end.len(),
                    });
                }
                t_start
                    .iter()
                    .zip(t_end)
                    .enumerate()
                    .map(|(index, (&s, &e))| {
                        if s < 2 || s > e || e > days {
                            Err(EpiError::InvalidWindow { index, t_start: s, t_end: e, days })
                        } else {
                            Ok((s, e))
                        }
                    })
                    .collect()
            }
        }
    }
}

/// Gamma prior on R, given by its mean and standard deviation (EpiEstim `mean_prior`,
/// `std_prior`; default 5 and 5, i.e. shape 1, scale 5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaPrior {
    /// Prior mean of R (> 0).
    pub mean: f64,
    /// Prior standard deviation of R (> 0).
    pub sd: f64,
}

impl Default for GammaPrior {
    fn default() -> Self {
        Self { mean: 5.0, sd: 5.0 }
    }
}

impl GammaPrior {
    /// Shape a = (mean/sd)² and scale b = sd²/mean.
    ///
    /// # Errors
    /// [`EpiError::InvalidParameter`] when mean or sd is not finite and > 0.
    pub fn shape_scale(&self) -> Result<(f64, f64), EpiError> {
        if !self.mean.is_finite() || self.mean <= 0.0 {
            return Err(EpiError::InvalidParameter {
                name: "prior_mean",
                value: self.mean,
                expected: "finite and > 0",
            });
        }
        if !self.sd.is_finite() || self.sd <= 0.0 {
            return Err(EpiError::InvalidParameter { name: "prior_sd", value: self.sd, expected: "finite and > 0" });
        }
        Ok(((self.mean / self.sd).powi(2), self.sd * self.sd / self.mean))
    }
}

/// Probabilities of the reported posterior quantiles (EpiEstim's columns).
pub const QUANTILE_LEVELS: [f64; 7] = [0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975];

/// The gamma posterior of R over one window, with EpiEstim's summary columns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RtPosterior {
    /// Posterior shape a + Σ local cases.
    pub shape: f64,
    /// Posterior scale 1/(1/b + Σ Λ).
    pub scale: f64,
    /// Posterior mean (`Mean(R)`).
    pub mean: f64,
    /// Posterior standard deviation (`Std(R)`).
    pub sd: f64,
    /// 2.5 % quantile.
    pub q025: f64,
    /// 5 % quantile.
    pub q05: f64,
    /// 25 % quantile.
    pub q25: f64,
    /// Median (`Median(R)`).
    pub median: f64,
    /// 75 % quantile.
    pub q75: f64,
    /// 95 % quantile.
    pub q95: f64,
    /// 97.5 % quantile.
    pub q975: f64,
}

impl RtPosterior {
    /// Posterior coefficient of variation sd/mean = 1/√shape. EpiEstim (`cv_posterior`, default
    /// 0.3) warns when a window has too few cases for CV ≤ 0.3, i.e. fewer than
    /// ⌈1/0.3² − a⌉ = 11 cases with the default prior. Late in an outbreak, windows with no local
    /// case and little infectivity drift back to the prior (mean 5): show them as
    /// "insufficient data" when `cv() > 0.3` rather than as a rise of R.
    pub fn cv(&self) -> f64 {
        1.0 / self.shape.sqrt()
    }
}

/// One window's estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RtWindow {
    /// First day of the window (1-based).
    pub t_start: usize,
    /// Last day of the window (1-based, included).
    pub t_end: usize,
    /// Σ local cases in the window.
    pub local_cases: f64,
    /// Σ Λ_t in the window.
    pub infectivity: f64,
    /// The posterior; `None` where EpiEstim gives NA: `t_end` ≤ mean of the SI distribution
    /// (too early in the series for the infectors of the window's cases to be observed).
    pub posterior: Option<RtPosterior>,
}

/// Result of [`estimate_r`] for one incidence series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtEstimate {
    /// One entry per window, in the order given.
    pub windows: Vec<RtWindow>,
    /// Mean of the discrete SI distribution used, days (EpiEstim `SI.Moments$Mean`).
    pub si_mean: f64,
    /// Its standard deviation, days (EpiEstim `SI.Moments$Std`).
    pub si_sd: f64,
}

/// Overall infectivity Λ_t for days 1..=T (index 0 = day 1, where EpiEstim has NA; 0 here):
/// Λ_t = Σ_{k=1}^{t−1} w_k · (local + imported)_{t−k}. `w[0]` is ignored (it is 0 by
/// construction of [`SiDistr`]). Trailing weights whose summed mass is below 1e-16 of the total
/// are skipped (a change below the rounding of Λ); cost O(T · effective SI length).
pub fn overall_infectivity(incidence: &Incidence, si: &SiDistr) -> Vec<f64> {
    let total: Vec<f64> = incidence.local.iter().zip(&incidence.imported).map(|(l, i)| l + i).collect();
    let w = si.weights();
    // Drop the far tail whose total mass is below 1e-16 of the distribution's: it changes Λ_t by
    // less than 1e-16 × max incidence, below the rounding of the sums themselves.
    let mass: f64 = w.iter().sum();
    let mut len = w.len();
    let mut dropped = 0.0;
    while len > 1 && dropped + w[len - 1] <= 1e-16 * mass {
        dropped += w[len - 1];
        len -= 1;
    }
    // wr[j] = w[len − 1 − j] for j < len − 1 (w[0] dropped): then Σ_{k=1}^{kmax} w[k]·x[t−k]
    // is the forward dot product of wr[len−1−kmax..len−1] with x[t−kmax..t].
    let wr: Vec<f64> = w[1..len].iter().rev().copied().collect();
    (0..total.len())
        .map(|t| {
            let kmax = t.min(len - 1);
            dot(&wr[len - 1 - kmax..], &total[t - kmax..t])
        })
        .collect()
}

/// Dot product with four independent accumulators (breaks the add-latency chain; the rounding
/// differs from a left-to-right sum by a few ulps at most).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Standard (scale 1) gamma quantiles at [`QUANTILE_LEVELS`] for a shape.
fn std_quantiles(shape: f64) -> [f64; 7] {
    QUANTILE_LEVELS.map(|p| gamma_quantile_std(p, shape))
}

/// Sets the quantile fields from scale-1 quantiles at [`QUANTILE_LEVELS`].
fn set_quantiles(p: &mut RtPosterior, q: &[f64; 7]) {
    let s = p.scale;
    p.q025 = q[0] * s;
    p.q05 = q[1] * s;
    p.q25 = q[2] * s;
    p.median = q[3] * s;
    p.q75 = q[4] * s;
    p.q95 = q[5] * s;
    p.q975 = q[6] * s;
}

fn estimate_with(
    incidence: &Incidence,
    si: &SiDistr,
    windows: &[(usize, usize)],
    prior: (f64, f64),
    quantiles: &mut dyn FnMut(f64) -> [f64; 7],
) -> RtEstimate {
    let (a_prior, b_prior) = prior;
    let lambda = overall_infectivity(incidence, si);
    let si_mean = si.mean();
    // Prefix sums (index i = sum of days 1..=i).
    let mut cum_local = Vec::with_capacity(lambda.len() + 1);
    let mut cum_lambda = Vec::with_capacity(lambda.len() + 1);
    cum_local.push(0.0);
    cum_lambda.push(0.0);
    let (mut sl, mut sg) = (0.0f64, 0.0f64);
    for (l, g) in incidence.local.iter().zip(&lambda) {
        sl += l;
        sg += g;
        cum_local.push(sl);
        cum_lambda.push(sg);
    }
    let windows = windows
        .iter()
        .map(|&(s, e)| {
            let local_cases = cum_local[e] - cum_local[s - 1];
            let infectivity = cum_lambda[e] - cum_lambda[s - 1];
            let posterior = ((e as f64) > si_mean).then(|| {
                let shape = a_prior + local_cases;
                let scale = 1.0 / (1.0 / b_prior + infectivity);
                let mut p = RtPosterior {
                    shape,
                    scale,
                    mean: shape * scale,
                    sd: shape.sqrt() * scale,
                    q025: f64::NAN,
                    q05: f64::NAN,
                    q25: f64::NAN,
                    median: f64::NAN,
                    q75: f64::NAN,
                    q95: f64::NAN,
                    q975: f64::NAN,
                };
                set_quantiles(&mut p, &quantiles(shape));
                p
            });
            RtWindow { t_start: s, t_end: e, local_cases, infectivity, posterior }
        })
        .collect();
    RtEstimate { windows, si_mean, si_sd: si.sd() }
}

/// R_t over windows for one incidence series (EpiEstim `estimate_R`, methods
/// `non_parametric_si` / `parametric_si`). See the module docs for the formulas.
///
/// Inputs: `incidence` (days 1..=T), `si` (days of serial interval), `windows` (1-based days),
/// `prior` on R. Output: one [`RtWindow`] per window, in order.
///
/// # Errors
/// Invalid windows ([`Windows::resolve`]), prior ([`GammaPrior::shape_scale`]) or parametric SI
/// ([`crate::si::discr_si`]).
pub fn estimate_r(
    incidence: &Incidence,
    si: &SiSpec,
    windows: &Windows,
    prior: GammaPrior,
) -> Result<RtEstimate, EpiError> {
    let ab = prior.shape_scale()?;
    let win = windows.resolve(incidence.len())?;
    let distr = si.distribution_for(incidence.len())?;
    Ok(estimate_with(incidence, &distr, &win, ab, &mut std_quantiles))
}

/// [`estimate_r`] for many series (e.g. every county-level unit) in parallel (rayon).
///
/// Results are identical to calling [`estimate_r`] on each series: posterior quantiles are
/// `scale × quantile(shape, scale 1)` in both, and here the scale-1 quantiles are computed once
/// per distinct posterior shape across the whole batch (shapes repeat a lot: prior shape + an
/// integer case count). A parametric SI is discretised once per distinct series length.
///
/// # Errors
/// The prior is checked once for all series (error returned as `Err`); other errors are returned
/// per series in the vector.
pub fn estimate_r_many(
    series: &[Incidence],
    si: &SiSpec,
    windows: &Windows,
    prior: GammaPrior,
) -> Result<Vec<Result<RtEstimate, EpiError>>, EpiError> {
    let ab = prior.shape_scale()?;
    let mut distrs: HashMap<usize, Result<SiDistr, EpiError>> = HashMap::new();
    for s in series {
        distrs.entry(s.len()).or_insert_with(|| si.distribution_for(s.len()));
    }
    // Pass 1: posterior shapes and scales, quantiles left as NaN.
    let mut out: Vec<Result<RtEstimate, EpiError>> = series
        .par_iter()
        .map(|inc| {
            let win = windows.resolve(inc.len())?;
            let distr = match distrs.get(&inc.len()) {
                Some(Ok(d)) => d,
                Some(Err(e)) => return Err(e.clone()),
                None => unreachable!("every length was discretised above"),
            };
            Ok(estimate_with(inc, distr, &win, ab, &mut |_| [f64::NAN; 7]))
        })
        .collect();
    // Pass 2: scale-1 quantiles for each distinct shape.
    let mut shapes: Vec<u64> = out
        .iter()
        .flatten()
        .flat_map(|e| e.windows.iter().filter_map(|w| w.posterior))
        .map(|p| p.shape.to_bits())
        .collect();
    shapes.sort_unstable();
    shapes.dedup();
    let table: HashMap<u64, [f64; 7]> =
        shapes.par_iter().map(|&bits| (bits, std_quantiles(f64::from_bits(bits)))).collect();
    // Pass 3: fill in.
    out.par_iter_mut().flatten().for_each(|e| {
        for p in e.windows.iter_mut().filter_map(|w| w.posterior.as_mut()) {
            if let Some(q) = table.get(&p.shape.to_bits()) {
                set_quantiles(p, q);
            }
        }
    });
    Ok(out)
}

/// Shortcut for the common case: total incidence, parametric SI, sliding windows of `width`
/// days, default prior. Equivalent to EpiEstim
/// `estimate_R(I, "parametric_si", make_config(mean_si = si_mean, std_si = si_sd))` for width 7.
///
/// # Errors
/// As [`Incidence::from_total`] and [`estimate_r`].
pub fn estimate_r_parametric(total: &[f64], si_mean: f64, si_sd: f64, width: usize) -> Result<RtEstimate, EpiError> {
    let inc = Incidence::from_total(total)?;
    estimate_r(
        &inc,
        &SiSpec::ParametricGamma { mean: si_mean, sd: si_sd },
        &Windows::Sliding { width },
        GammaPrior::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_cases_infect_but_are_not_infectees() {
        // Everything imported: no local cases, so the posterior shape stays at the prior's.
        let si = SiDistr::new(vec![0.0, 0.5, 0.5]).expect("valid");
        let inc = Incidence::from_local_imported(&[0.0; 10], &[3.0; 10]).expect("valid");
        let est = estimate_r(&inc, &SiSpec::Distribution(si.clone()), &Windows::default(), GammaPrior::default())
            .expect("ok");
        for w in &est.windows {
            let p = w.posterior.expect("defined");
            assert_eq!(p.shape, 1.0);
            assert!(w.infectivity > 0.0);
        }
        // Λ_t with w = (0, ½, ½): ½ I_{t−1} + ½ I_{t−2}.
        let lam = overall_infectivity(&inc, &si);
        assert_eq!(lam[0], 0.0);
        assert_eq!(lam[1], 1.5);
        assert_eq!(lam[2], 3.0);
    }

    #[test]
    fn day_one_is_imported_and_windows_start_on_day_two() {
        let inc = Incidence::from_total(&[5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]).expect("ok");
        assert_eq!(inc.local()[0], 0.0);
        assert_eq!(inc.imported()[0], 5.0);
        let w = Windows::default().resolve(9).expect("ok");
        assert_eq!(w, vec![(2, 8), (3, 9)]);
        assert!(Windows::default().resolve(7).is_err());
        let bad = Windows::Explicit { t_start: vec![1], t_end: vec![5] };
        assert!(matches!(bad.resolve(9), Err(EpiError::InvalidWindow { t_start: 1, .. })));
    }

    #[test]
    fn window_ending_before_mean_si_is_undefined() {
        let si = SiDistr::new(vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0]).expect("valid"); // mean 5
        let inc = Incidence::from_total(&[1.0; 12]).expect("ok");
        let est = estimate_r(&inc, &SiSpec::Distribution(si), &Windows::Sliding { width: 3 }, GammaPrior::default())
            .expect("ok");
        // Window (2,4): t_end 4 ≤ 5 → NA; (3,5): 5 ≤ 5 → NA; (4,6) defined.
        assert!(est.windows[0].posterior.is_none());
        assert!(est.windows[1].posterior.is_none());
        assert!(est.windows[2].posterior.is_some());
    }

    #[test]
    fn many_equals_one_by_one() {
        let series: Vec<Incidence> = (0..5)
            .map(|u| {
                let v: Vec<f64> = (0..60).map(|t| f64::from((t * (u + 3)) % 11)).collect();
                Incidence::from_total(&v).expect("ok")
            })
            .collect();
        let si = SiSpec::ParametricGamma { mean: 4.7, sd: 2.9 };
        let many = estimate_r_many(&series, &si, &Windows::default(), GammaPrior::default()).expect("prior ok");
        for (s, m) in series.iter().zip(many) {
            let one = estimate_r(s, &si, &Windows::default(), GammaPrior::default()).expect("ok");
            assert_eq!(one, m.expect("ok"));
        }
    }
}
