//! The one-day kernel of the grid API, written for the vectoriser: no branches (both sides of
//! every rain/drying/wetting test are computed and one is selected), no library calls (`exp` and
//! `ln` are polynomial kernels below, within a few ulps of `std`), divisions by an exponential
//! replaced by multiplications by the opposite exponential.
//!
//! It computes the same equations as [`crate::components`] in the same order, so it agrees with
//! [`crate::Station::step`] (which uses the `std` exponential and logarithm) to rounding: a few
//! ulps per day, which the codes' day-to-day bookkeeping does not amplify (the tests bound the
//! gap at 1e-9 relative over long runs and every branch of every equation).
//!
//! Everything is `#[inline(always)]` so that it is compiled inside the grid loop, which `pulp`
//! compiles once per instruction set (AVX-512, AVX2+FMA, baseline) and picks at run time.

/// 1.5 · 2^52: adding it rounds a double of magnitude < 2^51 to an integer, which then sits in
/// the low bits of the sum.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// ln 2 split in two (fdlibm): `LN2_HI` has 32 significant bits, so `n · LN2_HI` is exact for
/// |n| < 2^21.
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// 2·e^r on |r| ≤ ln 2 / 2 + ε: Taylor coefficients 2/k! for k = 0..=12 (truncation error
/// r^13/13! < 2e-16 relative). The factor 2 (exact in binary) lets the scale below be 2^(n−1),
/// which stays a normal double up to n = 1024.
const EXP_POLY: [f64; 13] = [
    2.0,
    2.0,
    1.0,
    2.0 / 6.0,
    2.0 / 24.0,
    2.0 / 120.0,
    2.0 / 720.0,
    2.0 / 5_040.0,
    2.0 / 40_320.0,
    2.0 / 362_880.0,
    2.0 / 3_628_800.0,
    2.0 / 39_916_800.0,
    2.0 / 479_001_600.0,
];

/// Below this e^x is within 2^-1020 of 0 and is returned as 0 (`f64::exp` returns the
/// subnormal); keeps n ≥ −1021 where the scale is built.
const EXP_FLUSH: f64 = -707.0;

/// e^x: overflow gives +∞, NaN stays NaN, results below e^−707 ≈ 9e-308 are flushed to 0
/// (an absolute difference under 1e-307 from `f64::exp`). Relative error below 4·2^-52
/// (≈ 9e-16) elsewhere (checked against `f64::exp` in the tests).
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    // Beyond 710, e^x is +∞ in f64: clamping keeps n ≤ 1024 (NaN passes through).
    let xc = if x > 710.0 { 710.0 } else { x };
    // x = n·ln 2 + r, n integer, |r| ≤ ln 2 / 2.
    let t = xc.mul_add(std::f64::consts::LOG2_E, SHIFT);
    let n_f = t - SHIFT;
    let r = (-n_f).mul_add(LN2_HI, xc);
    let r = (-n_f).mul_add(LN2_LO, r);
    // Estrin's scheme: a dependency chain of 4 fused multiply-adds instead of Horner's 12, so
    // that the many exponentials of a cell overlap in the pipeline.
    let c = &EXP_POLY;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q0 = c[1].mul_add(r, c[0]);
    let q1 = c[3].mul_add(r, c[2]);
    let q2 = c[5].mul_add(r, c[4]);
    let q3 = c[7].mul_add(r, c[6]);
    let q4 = c[9].mul_add(r, c[8]);
    let q5 = c[11].mul_add(r, c[10]);
    let s0 = q1.mul_add(r2, q0);
    let s1 = q3.mul_add(r2, q2);
    let s2 = q5.mul_add(r2, q4);
    let t0 = s1.mul_add(r4, s0);
    let t1 = c[12].mul_add(r4, s2);
    let p = t1.mul_add(r8, t0);
    // 2^(n−1) from the integer n sitting in the low bits of t: biased exponent n − 1 + 1023.
    let s = f64::from_bits(t.to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(1022) << 52);
    if x < EXP_FLUSH { 0.0 } else { p * s }
}

/// fdlibm `__ieee754_log` polynomial: ln(1+f) = f − f²/2 + s·(f²/2 + R(s²)), s = f/(2+f).
const LG1: f64 = 0.666_666_666_666_673_5;
const LG2: f64 = 0.399_999_999_994_094_2;
const LG3: f64 = 0.285_714_287_436_623_9;
const LG4: f64 = 0.222_221_984_321_497_84;
const LG5: f64 = 0.181_835_721_616_180_5;
const LG6: f64 = 0.153_138_376_992_093_73;
const LG7: f64 = 0.147_981_986_051_165_86;
/// Bits of √2/2: mantissas are brought into [√2/2, √2).
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
/// 2^52 as a double: `from_bits(0x4330… | k) − 2^52` converts a small integer k exactly.
const TWO52: f64 = 4_503_599_627_370_496.0;

/// ln x for every `f64`: ln 0 = −∞, ln ∞ = ∞, negative or NaN → NaN, subnormals exact.
/// Error below 1 ulp (fdlibm's algorithm; checked against `f64::ln` in the tests).
#[inline(always)]
pub(crate) fn ln(x: f64) -> f64 {
    // Subnormals: scale by 2^54 first.
    let sub = x < f64::MIN_POSITIVE;
    let xs = if sub { x * 18_014_398_509_481_984.0 } else { x };
    let k_adj = if sub { -54.0 } else { 0.0 };
    // x = 2^k · m, m in [√2/2, √2).
    let ix = xs.to_bits().wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS);
    let k = f64::from_bits((ix >> 52) | 0x4330_0000_0000_0000) - (TWO52 + 1023.0) + k_adj;
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff).wrapping_add(SQRT_HALF_BITS));
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * w.mul_add(w.mul_add(LG6, LG4), LG2);
    let t2 = z * w.mul_add(w.mul_add(w.mul_add(LG7, LG5), LG3), LG1);
    let r = t2 + t1;
    let y = k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
    let special = if x == 0.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY {
        f64::INFINITY
    } else {
        f64::NAN
    };
    if x > 0.0 && x < f64::INFINITY { y } else { special }
}

/// `if c { a } else { b }`, both already computed.
#[inline(always)]
fn sel(c: bool, a: f64, b: f64) -> f64 {
    if c { a } else { b }
}

const LN_10: f64 = std::f64::consts::LN_10;
const LN_100: f64 = 4.605_170_185_988_092;

/// cffdrs' `fwi()`: RH 100 is computed as 99.9999 (as [`crate::inputs`]' `effective_rh`).
#[inline(always)]
pub(crate) fn effective_rh(rh: f64) -> f64 {
    sel(rh >= 100.0, 99.9999, rh)
}

/// [`crate::components::ffmc`], branch-free; `rh` already through [`effective_rh`].
#[inline(always)]
pub(crate) fn ffmc(ffmc0: f64, temp: f64, rh: f64, wind: f64, rain: f64, k: f64) -> f64 {
    // Eq. 1.
    let wmo = k * (101.0 - ffmc0) / (59.5 + ffmc0);
    // Eqs. 2, 3a, 3b (computed with a harmless rf where it does not rain).
    let raining = rain > 0.5;
    let rf = sel(raining, rain - 0.5, 1.0);
    let wetting = 42.5 * rf * exp(-100.0 / (251.0 - wmo)) * (1.0 - exp(-6.93 / rf));
    let wetting = sel(wmo > 150.0, wetting + 0.0015 * (wmo - 150.0) * (wmo - 150.0) * rf.sqrt(), wetting);
    let wmo = sel(raining, wmo + wetting, wmo);
    let wmo = sel(wmo > 250.0, 250.0, wmo);
    // Eqs. 4, 5.
    let ln_rh = ln(rh);
    let humid = 0.18 * (21.1 - temp) * (1.0 - exp(-0.115 * rh));
    let near_sat = exp((rh - 100.0) * 0.1);
    let ed = 0.942 * exp(0.679 * ln_rh) + 11.0 * near_sat + humid;
    let ew = 0.618 * exp(0.753 * ln_rh) + 10.0 * near_sat + humid;
    let temp_effect = 0.581 * exp(0.0365 * temp);
    // Eqs. 6a/6b (drying, h = rh/100) or 7a/7b (wetting, h = 1 − rh/100): one rate, one branch.
    let drying = wmo > ed;
    let wetting = !drying && wmo < ed && wmo < ew;
    let h = sel(drying, rh * 0.01, (100.0 - rh) * 0.01);
    let ln_h = sel(drying, ln_rh - LN_100, ln((100.0 - rh) * 0.01));
    let h17 = exp(1.7 * ln_h);
    let h2 = h * h;
    let h4 = h2 * h2;
    let h8 = h4 * h4;
    let k01 = 0.424 * (1.0 - h17) + 0.0694 * wind.sqrt() * (1.0 - h8);
    // Eqs. 8, 9: 10^(−k·temp_effect).
    let decay = exp(-(k01 * temp_effect) * LN_10);
    let wm = sel(drying, ed + (wmo - ed) * decay, sel(wetting, ew - (ew - wmo) * decay, wmo));
    // Eq. 10, bounded to 0..=101.
    let f = 59.5 * (250.0 - wm) / (k + wm);
    let f = sel(f < 0.0, 0.0, f);
    // (The reference's NaN for a negative RH cannot happen here: the weather is validated.)
    sel(f > 101.0, 101.0, f)
}

/// [`crate::components::dmc_with_day_length`], branch-free; `rh` through [`effective_rh`].
#[inline(always)]
pub(crate) fn dmc(p0: f64, temp: f64, rh: f64, rain: f64, le: f64) -> f64 {
    let t = sel(temp < -1.1, -1.1, temp);
    // Eqs. 16, 17.
    let rk = 1.894 * (t + 1.1) * (100.0 - rh) * le * 1e-4;
    // Eqs. 11–15 (evaluated everywhere, kept where rain > 1.5 mm).
    let rw = 0.92 * rain - 1.27;
    let wmi = 20.0 + 280.0 * exp(-0.023 * p0);
    let ln_p0 = ln(p0);
    let b = sel(p0 <= 33.0, 100.0 / (0.5 + 0.3 * p0), sel(p0 <= 65.0, 14.0 - 1.3 * ln_p0, 6.2 * ln_p0 - 17.2));
    let wmr = wmi + 1000.0 * rw / (48.77 + b * rw);
    let pr = sel(rain <= 1.5, p0, 43.43 * (5.6348 - ln(wmr - 20.0)));
    let pr = sel(pr < 0.0, 0.0, pr);
    let d = pr + rk;
    sel(d < 0.0, 0.0, d)
}

/// [`crate::components::dc_with_factor`], branch-free.
#[inline(always)]
pub(crate) fn dc(dc0: f64, temp: f64, rain: f64, lf: f64) -> f64 {
    let t = sel(temp < -2.8, -2.8, temp);
    // Eq. 22.
    let pe = (0.36 * (t + 2.8) + lf) * 0.5;
    let pe = sel(pe < 0.0, 0.0, pe);
    // Eqs. 18–21: rd / qo = rd · e^(dc0/400) / 800.
    let rd = 0.83 * rain - 1.27;
    let d = dc0 - 400.0 * ln(1.0 + 3.937 / 800.0 * rd * exp(dc0 * (1.0 / 400.0)));
    let d = sel(d < 0.0, 0.0, d);
    let dr = sel(rain <= 2.8, dc0, d);
    // Eq. 23.
    let d = dr + pe;
    sel(d < 0.0, 0.0, d)
}

/// [`crate::components::isi`] without the FBP wind function.
#[inline(always)]
pub(crate) fn isi(ffmc: f64, wind: f64, k: f64) -> f64 {
    let fm = k * (101.0 - ffmc) / (59.5 + ffmc);
    let ff = 91.9 * (1.0 + exp(5.31 * ln(fm)) * (1.0 / 4.93e7));
    0.208 * ff * exp(0.05039 * wind - 0.1386 * fm)
}

/// [`crate::components::bui`], branch-free.
#[inline(always)]
pub(crate) fn bui(dmc: f64, dc: f64) -> f64 {
    let both_zero = dmc == 0.0 && dc == 0.0;
    let u = sel(both_zero, 0.0, 0.8 * dc * dmc / (dmc + 0.4 * dc));
    let p = sel(dmc != 0.0, (dmc - u) / dmc, 0.0);
    let cc = 0.92 + exp(1.7 * ln(0.0114 * dmc));
    let u0 = dmc - cc * p;
    let u0 = sel(u0 < 0.0, 0.0, u0);
    sel(u < dmc, u0, u)
}

/// [`crate::components::fwi_dsr`], branch-free.
#[inline(always)]
pub(crate) fn fwi_dsr(isi: f64, bui: f64) -> (f64, f64) {
    // Eqs. 28a, 28b: one exponential, of the argument the branch needs.
    let above = bui > 80.0;
    let e = exp(sel(above, -0.023 * bui, 0.809 * ln(bui)));
    let fd = sel(above, 1000.0 / (25.0 + 108.64 * e), 0.626 * e + 2.0);
    let b = 0.1 * isi * fd;
    let ln_b = ln(b);
    let high = b > 1.0;
    // Where b ≤ 1 the inner logarithm is of a negative number: NaN, discarded.
    let ln_fwi = sel(high, 2.72 * exp(0.647 * ln(0.434 * ln_b)), ln_b);
    let fwi = sel(high, exp(ln_fwi), b);
    (fwi, 0.0272 * exp(1.77 * ln_fwi))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest relative error of `f` against `reference` over `xs`, in units of 2^-52 (f64::EPSILON).
    fn max_ulps(xs: impl Iterator<Item = f64>, f: fn(f64) -> f64, reference: fn(f64) -> f64) -> (f64, f64) {
        let mut worst = (0.0, 0.0);
        for x in xs {
            let (got, want) = (f(x), reference(x));
            if want.is_nan() {
                assert!(got.is_nan(), "{x}: {got} vs NaN");
                continue;
            }
            if want.is_infinite() || want == 0.0 {
                assert_eq!(got, want, "{x}");
                continue;
            }
            if want.abs() < f64::MIN_POSITIVE {
                // Subnormal results: absolute error within one subnormal step or so.
                assert!((got - want).abs() <= 4.0 * 4.9e-324, "{x}: {got} vs {want}");
                continue;
            }
            let e = ((got - want) / want).abs() / f64::EPSILON;
            if e > worst.0 {
                worst = (e, x);
            }
        }
        worst
    }

    /// A deterministic spread of doubles: uniform steps plus SplitMix64 noise.
    fn spread(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        let mut z: u64 = 0x1234_5678_9abc_def0;
        (0..n).map(move |i| {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut y = z;
            y = (y ^ (y >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            y = (y ^ (y >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            y ^= y >> 31;
            let u = (y >> 11) as f64 / (1u64 << 53) as f64;
            if i % 2 == 0 { lo + (hi - lo) * (i as f64) / (n as f64) } else { lo + (hi - lo) * u }
        })
    }

    #[test]
    fn exp_matches_std_within_4_epsilon() {
        let (e, x) = max_ulps(spread(-706.9, 709.78, 2_000_000), exp, f64::exp);
        assert!(e < 4.0, "exp: {e} ulp at {x}");
        let (e, x) = max_ulps(spread(-1.0, 1.0, 1_000_000), exp, f64::exp);
        assert!(e < 4.0, "exp near 0: {e} ulp at {x}");
        let edges = [0.0, -0.0, 1e-300, -1e-300, 709.4, 709.5, 709.78, 709.8, 710.0, 1e10, -706.9, -745.2, -1e10];
        for x in edges.into_iter().chain([f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::MAX, f64::MIN]) {
            let (got, want) = (exp(x), x.exp());
            assert!(got == want || (got.is_nan() && want.is_nan()) || ((got - want) / want).abs() < 1e-15, "{x}");
        }
        // Below e^−707 the result is flushed to 0: an absolute error under 1e-307.
        for x in spread(-760.0, -707.0, 100_000) {
            assert!(exp(x) == 0.0 && x.exp() < 1e-307, "{x}");
        }
    }

    #[test]
    fn ln_matches_std_to_about_one_ulp() {
        let (e, x) = max_ulps(spread(0.0, 5.0, 2_000_000), ln, f64::ln);
        assert!(e < 2.0, "ln: {e} ulp at {x}");
        let (e, x) = max_ulps(spread(0.5, 2.0, 1_000_000), ln, f64::ln);
        assert!(e < 2.0, "ln near 1: {e} ulp at {x}");
        // Across the whole exponent range, including subnormals: x = 2^e · u.
        let (e, x) = max_ulps(spread(-1074.0, 1023.9, 1_000_000).map(f64::exp2), ln, f64::ln);
        assert!(e < 2.0, "ln wide: {e} ulp at {x}");
        for x in [0.0, -0.0, -1.0, 1.0, 5e-324, f64::MIN_POSITIVE, f64::MAX, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]
        {
            let (got, want) = (ln(x), x.ln());
            assert!(got == want || (got.is_nan() && want.is_nan()), "{x}: {got} vs {want}");
        }
    }
}
