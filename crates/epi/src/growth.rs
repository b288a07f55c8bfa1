//! Exponential growth rate and doubling time from daily counts over a window, by Poisson
//! log-linear regression: `counts_t ~ Poisson(exp(α + r·t))`, `t` in days.
//!
//! Why Poisson and not OLS on `log(counts + c)`: zero days need no arbitrary offset, small counts
//! are weighted by their real precision, and an exact exponential is recovered exactly. The fit
//! is maximum likelihood by Newton–Raphson (= IRLS for the canonical log link) with step halving.
//! The 95 % interval of r is the Wald interval `r ± z₀.₉₇₅ · se(r)` with `se` from the inverse
//! Fisher information; it assumes Poisson variance. Counts are often overdispersed:
//! [`GrowthFit::dispersion`] (Pearson χ²/(n − 2)) shows by how much; a quasi-Poisson interval is
//! the Wald interval widened by √dispersion.

use serde::{Deserialize, Serialize};

use crate::error::EpiError;
use crate::special::normal_quantile;

/// Result of [`growth_rate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GrowthFit {
    /// Growth rate r, per day (negative = decline).
    pub r: f64,
    /// Standard error of r (Poisson), per day.
    pub se: f64,
    /// Lower end of the 95 % Wald interval of r, per day.
    pub r_ci_low: f64,
    /// Upper end of the 95 % Wald interval of r, per day.
    pub r_ci_high: f64,
    /// Doubling time ln 2 / r, days; negative values are halving times (r < 0);
    /// ±∞ when r = 0.
    pub doubling_time: f64,
    /// 95 % interval of the doubling time, `(ln 2/r_ci_high, ln 2/r_ci_low)`, days; `None` when
    /// the interval of r contains 0 (the doubling time is then unbounded).
    pub doubling_time_ci: Option<(f64, f64)>,
    /// Fitted count on the first day of the window, exp(α).
    pub fitted_first: f64,
    /// Pearson χ² / (n − 2): ≈ 1 for Poisson data, > 1 if overdispersed (NaN for n = 2).
    pub dispersion: f64,
    /// Number of days in the window.
    pub days: usize,
}

/// Fits a log-linear Poisson model to consecutive daily `counts` (day 0 = first element).
///
/// # Errors
/// [`EpiError::InvalidCount`] for negative or non-finite counts; [`EpiError::TooFewObservations`]
/// for fewer than 2 days or no case at all; [`EpiError::NotConverged`] when the maximum
/// likelihood estimate does not exist (e.g. all cases on the last day only).
pub fn growth_rate(counts: &[f64]) -> Result<GrowthFit, EpiError> {
    for (index, &value) in counts.iter().enumerate() {
        if !value.is_finite() || value < 0.0 {
            return Err(EpiError::InvalidCount { field: "counts", index, value });
        }
    }
    let n = counts.len();
    if n < 2 {
        return Err(EpiError::TooFewObservations { what: "days in the growth window", n, min: 2 });
    }
    let total: f64 = counts.iter().sum();
    let nf = n as f64;
    if total <= 0.0 {
        return Err(EpiError::TooFewObservations { what: "cases in the growth window", n: 0, min: 1 });
    }
    // Centered time for a well-conditioned 2×2 system.
    let tbar = (nf - 1.0) / 2.0;
    let c: Vec<f64> = (0..n).map(|i| i as f64 - tbar).collect();
    let loglik = |a: f64, r: f64| -> f64 {
        counts
            .iter()
            .zip(&c)
            .map(|(&y, &t)| {
                let eta = a + r * t;
                y * eta - eta.exp()
            })
            .sum()
    };
    let mut a = (total / nf).ln();
    let mut r = 0.0f64;
    let mut ll = loglik(a, r);
    let mut converged = false;
    for _ in 0..200 {
        let (mut s0, mut s1, mut i00, mut i01, mut i11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&y, &t) in counts.iter().zip(&c) {
            let mu = (a + r * t).exp();
            s0 += y - mu;
            s1 += (y - mu) * t;
            i00 += mu;
            i01 += mu * t;
            i11 += mu * t * t;
        }
        let det = i00 * i11 - i01 * i01;
        if !(det.is_finite() && det > 0.0) {
            break;
        }
        let da = (i11 * s0 - i01 * s1) / det;
        let dr = (i00 * s1 - i01 * s0) / det;
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            let (na, nr) = (a + step * da, r + step * dr);
            let nll = loglik(na, nr);
            if nll.is_finite() && nll >= ll - 1e-12 * ll.abs().max(1.0) {
                a = na;
                r = nr;
                ll = nll;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
        if (step * dr).abs() <= 1e-13 * (1.0 + r.abs()) && (step * da).abs() <= 1e-13 * (1.0 + a.abs()) {
            converged = true;
            break;
        }
        if r.abs() > 50.0 {
            break;
        }
    }
    if !converged || !r.is_finite() || r.abs() > 50.0 {
        return Err(EpiError::NotConverged {
            what: "Poisson growth-rate fit",
            detail: format!(
                "no finite maximum-likelihood growth rate (last r = {r}); are all cases at one end of the window?"
            ),
        });
    }
    // Recompute the information at the optimum.
    let (mut i00, mut i01, mut i11, mut pearson) = (0.0, 0.0, 0.0, 0.0);
    for (&y, &t) in counts.iter().zip(&c) {
        let mu = (a + r * t).exp();
        i00 += mu;
        i01 += mu * t;
        i11 += mu * t * t;
        pearson += (y - mu).powi(2) / mu;
    }
    let det = i00 * i11 - i01 * i01;
    let se = (i00 / det).sqrt();
    let z = normal_quantile(0.975);
    let (lo, hi) = (r - z * se, r + z * se);
    let ln2 = std::f64::consts::LN_2;
    let doubling_time_ci = if lo > 0.0 || hi < 0.0 { Some((ln2 / hi, ln2 / lo)) } else { None };
    Ok(GrowthFit {
        r,
        se,
        r_ci_low: lo,
        r_ci_high: hi,
        doubling_time: ln2 / r,
        doubling_time_ci,
        fitted_first: (a - r * tbar).exp(),
        dispersion: if n > 2 { pearson / (nf - 2.0) } else { f64::NAN },
        days: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_exponential_gives_exact_doubling_time() {
        // 10·2^(t/5): r = ln2/5, doubling time exactly 5 days; the Poisson MLE reproduces an
        // exact exponential whatever the (non-integer) counts.
        let counts: Vec<f64> = (0..21).map(|t| 10.0 * 2f64.powf(t as f64 / 5.0)).collect();
        let fit = growth_rate(&counts).expect("ok");
        assert!((fit.doubling_time - 5.0).abs() < 1e-10, "{}", fit.doubling_time);
        assert!((fit.r - std::f64::consts::LN_2 / 5.0).abs() < 1e-12);
        assert!((fit.fitted_first - 10.0).abs() < 1e-9);
        assert!(fit.dispersion < 1e-18);
        let (lo, hi) = fit.doubling_time_ci.expect("r > 0 significantly");
        assert!(lo < 5.0 && 5.0 < hi);
    }

    #[test]
    fn decline_gives_halving_time_and_flat_gives_no_ci() {
        let counts: Vec<f64> = (0..15).map(|t| 200.0 * (-0.1 * t as f64).exp()).collect();
        let fit = growth_rate(&counts).expect("ok");
        assert!((fit.r + 0.1).abs() < 1e-12);
        assert!(fit.doubling_time < 0.0);
        let flat = growth_rate(&[3.0, 4.0, 3.0, 4.0]).expect("ok");
        assert!(flat.doubling_time_ci.is_none());
    }

    #[test]
    fn degenerate_windows_are_errors() {
        assert!(growth_rate(&[0.0, 0.0, 0.0]).is_err());
        assert!(growth_rate(&[0.0, 0.0, 0.0, 9.0]).is_err());
        assert!(growth_rate(&[1.0]).is_err());
        assert!(growth_rate(&[1.0, -1.0]).is_err());
    }
}
