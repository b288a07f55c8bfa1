//! Discrete serial-interval distributions for R_t: a given vector (EpiEstim `si_distr`) or the
//! discretised offset-by-one gamma of EpiEstim's `discr_si` (Cori et al. 2013, web appendix 11).

use serde::{Deserialize, Serialize};

use crate::error::EpiError;
use crate::special::{gamma_cdf, gamma_pq};

/// A discrete serial-interval distribution: `w[k]` = probability that the serial interval is
/// `k` days, `k = 0, 1, …`. Checked as EpiEstim's `check_si_distr` does for the non-parametric
/// method: `w[0] == 0`, all `w[k] >= 0` and finite, `|Σ w − 1| ≤ 0.01`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiDistr {
    w: Vec<f64>,
}

impl SiDistr {
    /// Checks and wraps a distribution (EpiEstim `check_si_distr`, mode "error").
    ///
    /// # Errors
    /// [`EpiError::InvalidSiDistr`] naming the index and value when `w` is empty, `w[0] != 0`, a
    /// value is negative or not finite, or the sum is not within 0.01 of 1.
    pub fn new(w: Vec<f64>) -> Result<Self, EpiError> {
        Self::check(&w, true)?;
        Ok(Self { w })
    }

    fn check(w: &[f64], sum_to_one: bool) -> Result<(), EpiError> {
        let Some(&first) = w.first() else {
            return Err(EpiError::InvalidSiDistr { index: 0, value: f64::NAN, reason: "the distribution is empty" });
        };
        if first != 0.0 {
            return Err(EpiError::InvalidSiDistr {
                index: 0,
                value: first,
                reason: "must be 0 (a serial interval of 0 days has no weight in EpiEstim)",
            });
        }
        for (index, &value) in w.iter().enumerate() {
            if !value.is_finite() || value < 0.0 {
                return Err(EpiError::InvalidSiDistr { index, value, reason: "must be finite and >= 0" });
            }
        }
        let sum: f64 = w.iter().sum();
        if sum_to_one && (sum - 1.0).abs() > 0.01 {
            return Err(EpiError::InvalidSiDistr {
                index: w.len() - 1,
                value: sum,
                reason: "the values sum to this; they must sum to 1 (within 0.01)",
            });
        }
        Ok(())
    }

    /// EpiEstim `discr_si(0:(len-1), mean, sd)`: the serial interval is 1 + Gamma(mean − 1, sd)
    /// (days), discretised with a uniform primary time within the day, so that
    /// `w_k = G(k) − 2 G(k−1) + G(k−2)` with `G(x) = ∫₀ˣ F(t) dt = x F(x) − a b F₊(x)`,
    /// `F` the CDF of Gamma(shape `a = ((mean−1)/sd)²`, scale `b = sd²/(mean−1)`) and `F₊` that of
    /// Gamma(a + 1, b). Beyond the mean the same expression is evaluated from upper tails
    /// (no cancellation), so far-tail weights are accurate instead of ~1e-14 rounding noise.
    /// Negative rounding residues are set to 0 as EpiEstim does. The result is
    /// not renormalised (EpiEstim does not either): it sums to 1 minus the tail beyond `len − 1`,
    /// and its mean (over the whole continuous SI) is exactly `mean`.
    ///
    /// # Errors
    /// [`EpiError::InvalidParameter`] when `mean <= 1` day (EpiEstim: "mu must be >1"), `sd <= 0`
    /// (EpiEstim's `estimate_R` needs `std_si > 0`) or either is not finite, or `len == 0`.
    pub fn discretised_gamma(mean: f64, sd: f64, len: usize) -> Result<Self, EpiError> {
        Ok(Self { w: discr_si(mean, sd, len)? })
    }

    /// The probabilities `w[0..]`, one per day of serial interval.
    pub fn weights(&self) -> &[f64] {
        &self.w
    }

    /// Mean of the distribution in days, `Σ k w_k` (EpiEstim's `final_mean_si`).
    pub fn mean(&self) -> f64 {
        self.w.iter().enumerate().map(|(k, w)| k as f64 * w).sum::<f64>()
    }

    /// Standard deviation in days, `sqrt(Σ k² w_k − mean²)` (EpiEstim's `Finalstd_si`).
    pub fn sd(&self) -> f64 {
        let m = self.mean();
        let m2: f64 = self.w.iter().enumerate().map(|(k, w)| (k * k) as f64 * w).sum();
        (m2 - m * m).max(0.0).sqrt()
    }
}

/// EpiEstim `discr_si(k = 0..len-1, mu = mean, sigma = sd)`; see [`SiDistr::discretised_gamma`].
///
/// # Errors
/// As [`SiDistr::discretised_gamma`].
pub fn discr_si(mean: f64, sd: f64, len: usize) -> Result<Vec<f64>, EpiError> {
    if !mean.is_finite() || mean <= 1.0 {
        return Err(EpiError::InvalidParameter {
            name: "si_mean",
            value: mean,
            expected: "finite and > 1 day (EpiEstim discr_si: the SI is offset by one day)",
        });
    }
    if !sd.is_finite() || sd <= 0.0 {
        return Err(EpiError::InvalidParameter { name: "si_sd", value: sd, expected: "finite and > 0 days" });
    }
    if len == 0 {
        return Err(EpiError::InvalidParameter { name: "si_len", value: 0.0, expected: ">= 1" });
    }
    let shape = ((mean - 1.0) / sd).powi(2);
    let scale = sd * sd / (mean - 1.0);
    let ab = shape * scale;
    let f = |x: f64| gamma_cdf(x, shape, scale);
    let f1 = |x: f64| gamma_cdf(x, shape + 1.0, scale);
    // Upper-tail form of the same expression: with Q = 1 − F, G(x) = (x − ab) − H(x) where
    // H(x) = x Q(x) − ab Q₊(x) (H(x) = x − ab for x ≤ 0), and the second difference of the
    // linear part vanishes, so w_k = −(H(k) − 2H(k−1) + H(k−2)). Used beyond the mean, it avoids
    // the cancellation of O(k)-sized terms that leaves ~1e-14 noise in the far tail.
    let q = |x: f64, a: f64| if x <= 0.0 { 1.0 } else { gamma_pq(a, x / scale).1 };
    let h = |x: f64| x * q(x, shape) - ab * q(x, shape + 1.0);
    Ok((0..len)
        .map(|k| {
            let k = k as f64;
            let res = if k - 2.0 > ab {
                -(h(k) - 2.0 * h(k - 1.0) + h(k - 2.0))
            } else {
                k * f(k) + (k - 2.0) * f(k - 2.0) - 2.0 * (k - 1.0) * f(k - 1.0)
                    + ab * (2.0 * f1(k - 1.0) - f1(k - 2.0) - f1(k))
            };
            res.max(0.0)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discr_si_erlang_closed_form() {
        // mean 3, sd √2 → shape 2, scale 1: F(x) = 1 − e^{−x}(1 + x), F₊(x) = 1 − e^{−x}(1 + x + x²/2).
        let w = discr_si(3.0, 2f64.sqrt(), 40).expect("valid");
        let f = |x: f64| {
            if x <= 0.0 { 0.0 } else { 1.0 - (-x).exp() * (1.0 + x) }
        };
        let f1 = |x: f64| {
            if x <= 0.0 { 0.0 } else { 1.0 - (-x).exp() * (1.0 + x + 0.5 * x * x) }
        };
        let g = |x: f64| x * f(x) - 2.0 * f1(x);
        assert_eq!(w[0], 0.0);
        for (k, &wk) in w.iter().enumerate().skip(1) {
            let kf = k as f64;
            let exact = g(kf) - 2.0 * g(kf - 1.0) + g(kf - 2.0);
            assert!((wk - exact).abs() < 5e-14, "k={k}: {wk} vs {exact}");
        }
        // Far tail, relative accuracy (upper-tail form): w_k = e^{−k}[(k+2) − 2e(k+1) + e²k].
        let far = discr_si(3.0, 2f64.sqrt(), 301).expect("valid");
        for k in [30usize, 100, 300] {
            let kf = k as f64;
            let e = std::f64::consts::E;
            let exact = (-kf).exp() * ((kf + 2.0) - 2.0 * e * (kf + 1.0) + e * e * kf);
            assert!(((far[k] - exact) / exact).abs() < 1e-10, "k={k}: {} vs {exact}", far[k]);
        }
        // Uniform primary time within the day: the discretised mean equals the continuous mean.
        let mean: f64 = w.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
        assert!((mean - 3.0).abs() < 1e-12);
    }

    #[test]
    fn discr_si_flu_example_sums_and_mean() {
        // EpiEstim's Flu example: discr_si(0:20, 2.6, 1.5). By the derivation above the discrete
        // mean equals 2.6 and the mass sums to 1 (both up to the tail beyond 20 days, ~1e-12).
        let w = discr_si(2.6, 1.5, 60).expect("valid");
        let sum: f64 = w.iter().sum();
        let mean: f64 = w.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
        assert!((sum - 1.0).abs() < 1e-12, "{sum}");
        assert!((mean - 2.6).abs() < 1e-10, "{mean}");
        assert_eq!(w[0], 0.0);
        // Independent check by quadrature: w_k = ∫₀¹ [F(k − u) − F(k − 1 − u)] du (Simpson).
        let shape = (1.6f64 / 1.5).powi(2);
        let scale = 1.5 * 1.5 / 1.6;
        for (k, &wk) in w.iter().enumerate().take(15).skip(1) {
            let n = 20_000;
            let h = 1.0 / n as f64;
            let integrand =
                |u: f64| gamma_cdf(k as f64 - u, shape, scale) - gamma_cdf(k as f64 - 1.0 - u, shape, scale);
            let mut s = integrand(0.0) + integrand(1.0);
            for i in 1..n {
                let u = i as f64 * h;
                s += if i % 2 == 1 { 4.0 } else { 2.0 } * integrand(u);
            }
            let quad = s * h / 3.0;
            assert!((wk - quad).abs() < 1e-9, "k={k}: {wk} vs {quad}");
        }
    }

    #[test]
    fn discr_si_rejects_epiestim_errors() {
        assert!(matches!(discr_si(1.0, 1.0, 5), Err(EpiError::InvalidParameter { name: "si_mean", .. })));
        assert!(matches!(discr_si(2.0, 0.0, 5), Err(EpiError::InvalidParameter { name: "si_sd", .. })));
    }

    #[test]
    fn si_distr_checks() {
        assert!(SiDistr::new(vec![0.1, 0.9]).is_err());
        assert!(SiDistr::new(vec![0.0, 0.5, 0.4]).is_err());
        assert!(SiDistr::new(vec![0.0, -0.5, 1.5]).is_err());
        let s = SiDistr::new(vec![0.0, 0.5, 0.5]).expect("valid");
        assert!((s.mean() - 1.5).abs() < 1e-15);
        assert!((s.sd() - 0.5).abs() < 1e-15);
    }
}
