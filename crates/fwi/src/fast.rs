//! The one-day kernel of the grid API, written for the vectoriser: no branches inside a loop
//! (both sides of every drying/wetting test are computed and one is selected), no library calls
//! (`exp` and `ln` are polynomial kernels below, within 4 and 2 ulps of `std`), divisions by an
//! exponential replaced by multiplications by the opposite exponential.
//!
//! The equations are those of [`crate::components`], cut into phases that [`crate::FwiGrid`]
//! runs as separate passes over a chunk of cells: the rain phase of the three codes (only for
//! the cells where it rained), the FFMC's weather terms, its drying or wetting, the DMC's and
//! DC's drying, ISI, BUI (eq. 27b only where it applies) and FWI with DSR. Each phase computes
//! its equations in the reference's order, so the grid agrees with [`crate::Station::step`]
//! (which uses the `std` exponential and logarithm) to rounding: a few ulps per day, which the
//! codes' day-to-day bookkeeping does not amplify (the tests bound the gap at 1e-9 relative
//! over a year and every branch of every equation; it is below 1e-12).
//!
//! Everything is `#[inline(always)]` so that it is compiled inside the grid's loops, which
//! `pulp` compiles once per instruction set (AVX-512, AVX2+FMA, baseline) and picks at run time.

/// 1.5 · 2^52: adding it rounds a double of magnitude < 2^51 to an integer, which then sits in
/// the low bits of the sum.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// ln 2 split in two (fdlibm): `LN2_HI` has 32 significant bits, so `n · LN2_HI` is exact for
/// |n| < 2^21.
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// 2·e^r ≈ Σ `EXP_POLY[j]`·r^j on |r| ≤ ln 2 / 2: the degree-10 polynomial interpolating 2·e^r
/// at the 11 Chebyshev nodes of [−1.0001·ln 2/2, 1.0001·ln 2/2], computed with 60-digit decimal
/// arithmetic and rounded to `f64` (`scripts/fwi_kernel/exp_coefficients.py`). Its relative error
/// there, with the rounded coefficients in exact arithmetic, is below 3.4e-16 (1.5 ulp); the
/// `f64` evaluation adds a few roundings (the tests bound the total against `f64::exp`). The
/// factor 2 (exact in binary) lets the scale below be 2^(n−1), a normal double up to n = 1024.
const EXP_POLY: [f64; 11] = [
    2.0,
    2.000_000_000_000_013_3,
    1.000_000_000_000_001,
    0.333_333_333_331_086_3,
    0.083_333_333_333_146_13,
    0.016_666_666_771_398_424,
    0.002_777_777_786_502_956,
    0.000_396_823_404_611_405_7,
    4.960_300_862_757_108e-5,
    5.528_039_478_338_968e-6,
    5.525_274_213_139_271e-7,
];

/// Arguments are clamped to this range first: below, the scale 2^(n−1) is 0 (so e^x is
/// returned as 0, as `f64::exp` is 0 or subnormal there); above, e^x overflows to +∞.
const EXP_MIN: f64 = -746.0;
const EXP_MAX: f64 = 710.0;

/// fdlibm `__ieee754_log` polynomial R(z) = LG1·z + … + LG7·z⁷: ln(1+f) = 2s + s·R(s²),
/// s = f/(2+f).
const LG: [f64; 7] = [
    0.666_666_666_666_673_5,
    0.399_999_999_994_094_2,
    0.285_714_287_436_623_9,
    0.222_221_984_321_497_84,
    0.181_835_721_616_180_5,
    0.153_138_376_992_093_73,
    0.147_981_986_051_165_86,
];
/// Bits of √2/2: mantissas are brought into [√2/2, √2).
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
/// 2^52 as a double: `from_bits(0x4330… | k) − 2^52` converts a small integer k exactly.
const TWO52: f64 = 4_503_599_627_370_496.0;

/// The constants of [`Kernel::exp`] and [`Kernel::ln`], as values the compiler cannot see.
///
/// Why: with AVX2 (no broadcast operands), the compiler materialises every literal constant of
/// a vectorised loop with a broadcast load at each use, once the loop has more constants than
/// registers, and this kernel's loops have dozens: they were 28 % of the instructions executed.
/// Constants it does not know are broadcast once before the loop, and the ones that do not fit
/// in registers are spilled and read as memory operands of the arithmetic, which costs no
/// instruction. [`Kernel::new`] passes them through [`std::hint::black_box`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kernel {
    exp_poly: [f64; 11],
    exp_min: f64,
    exp_max: f64,
    log2_e: f64,
    /// SHIFT + 1022.
    exp_shift: f64,
    shift: f64,
    ln2_hi: f64,
    ln2_lo: f64,
    lg: [f64; 7],
    one: f64,
    two: f64,
    /// TWO52 + 1023.
    ln_bias: f64,
    abs_mask: u64,
    /// 0x3ff0… − SQRT_HALF_BITS.
    ln_offset: u64,
    ln_exp_or: u64,
    mantissa_mask: u64,
    sqrt_half_bits: u64,
}

/// The values of [`Kernel`]'s fields.
const KERNEL: Kernel = Kernel {
    exp_poly: EXP_POLY,
    exp_min: EXP_MIN,
    exp_max: EXP_MAX,
    log2_e: std::f64::consts::LOG2_E,
    exp_shift: SHIFT + 1022.0,
    shift: SHIFT,
    ln2_hi: LN2_HI,
    ln2_lo: LN2_LO,
    lg: LG,
    one: 1.0,
    two: 2.0,
    ln_bias: TWO52 + 1023.0,
    abs_mask: !(1 << 63),
    ln_offset: 0x3ff0_0000_0000_0000 - SQRT_HALF_BITS,
    ln_exp_or: 0x4330_0000_0000_0000,
    mantissa_mask: 0x000f_ffff_ffff_ffff,
    sqrt_half_bits: SQRT_HALF_BITS,
};

impl Kernel {
    /// The constants, hidden from the optimiser (see the type's documentation).
    #[inline(always)]
    pub(crate) fn new() -> Self {
        std::hint::black_box(KERNEL)
    }

    /// e^x. Relative error below 4·2^-52 (≈ 9e-16; checked against `f64::exp` in the tests)
    /// where e^x ≥ 2^-1021 (x ≥ −707.7); 0 where x < −708.4 (`f64::exp` gives a subnormal there:
    /// an absolute difference under 2^-1021 ≈ 4.5e-308); +∞ above 709.79, and for +∞; 0 for −∞.
    /// NaN gives NaN.
    ///
    /// Cost, for the vectoriser: 20 vector operations (2 clamps, 4 of range reduction, 11 of
    /// polynomial, 3 of scale and the final product), no select and no integer arithmetic but
    /// one shift.
    #[inline(always)]
    pub(crate) fn exp(&self, x: f64) -> f64 {
        // `maxpd`/`minpd`, in the operand order that lets NaN through.
        let xc = if x < self.exp_min { self.exp_min } else { x };
        let xc = if xc > self.exp_max { self.exp_max } else { xc };
        // x = n·ln 2 + r, n integer, |r| ≤ ln 2 / 2. `t` holds SHIFT + 1022 + n, exactly (an
        // integer in [2^52, 2^53), where doubles are the integers).
        let t = xc.mul_add(self.log2_e, self.exp_shift);
        let n_f = t - self.exp_shift;
        let r = (-n_f).mul_add(self.ln2_hi, xc);
        let r = (-n_f).mul_add(self.ln2_lo, r);
        // Even and odd halves in r²: a dependency chain of 7 operations instead of Horner's 10.
        let c = &self.exp_poly;
        let r2 = r * r;
        let even = c[10].mul_add(r2, c[8]).mul_add(r2, c[6]).mul_add(r2, c[4]).mul_add(r2, c[2]).mul_add(r2, c[0]);
        let odd = c[9].mul_add(r2, c[7]).mul_add(r2, c[5]).mul_add(r2, c[3]).mul_add(r2, c[1]);
        let p = odd.mul_add(r, even);
        // 2^(n−1): biased exponent n − 1 + 1023 = n + 1022, floored at 0 (scale 0, result 0).
        // The integer sits in the low 12 bits of `t`; shifting left by 52 drops all above them.
        let biased = if t > self.shift { t } else { self.shift };
        let s = f64::from_bits(biased.to_bits() << 52);
        p * s
    }

    /// ln x for normal positive finite `x` (x ≥ 2^-1022), error within 2 ulp (fdlibm's
    /// reduction and polynomial, in the shorter form 2s + s·R; checked against `f64::ln` in the
    /// tests).
    ///
    /// No special cases, which is what makes it cheap (22 vector operations, 11 of them
    /// multiplies or multiply-adds). Outside that domain the result is finite and meaningless in
    /// a way the kernel relies on only as follows:
    /// - 0 and subnormals give a value in [−709.1, −708.3] instead of −∞ or ln x. Every call
    ///   site either raises x to a positive power through [`Kernel::exp`] (`exp(a · ln x)`,
    ///   a ≥ 0.5), where the result is below e^−354 instead of 0 or x^a, or selects another
    ///   value where x ≤ 1;
    /// - +∞ gives 709.78 (use [`Kernel::ln_inf`] where +∞ can occur);
    /// - −0 is taken as 0; a negative x gives ln |x|, NaN a finite value: the one call site that
    ///   can see a negative argument discards the result ([`Kernel::fwi_ln`]).
    #[inline(always)]
    pub(crate) fn ln(&self, x: f64) -> f64 {
        // x = 2^k · m, m in [√2/2, √2); the sign bit cleared first.
        let ix = (x.to_bits() & self.abs_mask).wrapping_add(self.ln_offset);
        let k = f64::from_bits((ix >> 52) | self.ln_exp_or) - self.ln_bias;
        let m = f64::from_bits((ix & self.mantissa_mask).wrapping_add(self.sqrt_half_bits));
        // Exact (Sterbenz).
        let f = m - self.one;
        let s = f / (self.two + f);
        let z = s * s;
        let g = &self.lg;
        let r = z * g[6]
            .mul_add(z, g[5])
            .mul_add(z, g[4])
            .mul_add(z, g[3])
            .mul_add(z, g[2])
            .mul_add(z, g[1])
            .mul_add(z, g[0]);
        let y = s.mul_add(r, s + s);
        k.mul_add(self.ln2_hi, k.mul_add(self.ln2_lo, y))
    }

    /// [`Kernel::ln`], with ln(+∞) = +∞ and ln(NaN) = NaN: for the arguments that are +∞ when
    /// the wind is (the ISI and FWI overflow to +∞ as in the reference for winds near
    /// `f64::MAX`) or NaN when the reference's FFMC is (rains near 1e300 mm).
    #[inline(always)]
    pub(crate) fn ln_inf(&self, x: f64) -> f64 {
        sel(x < f64::INFINITY, self.ln(x), x)
    }

    /// Eqs. 2, 3a, 3b of [`crate::components::ffmc`] (the rain phase), for a cell where
    /// `rain` > 0.5 mm: the moisture content `wmo` (%, eq. 1 of yesterday's FFMC) after rain,
    /// not yet capped at 250 %.
    #[inline(always)]
    pub(crate) fn ffmc_rain(&self, wmo: f64, rain: f64) -> f64 {
        let rf = rain - 0.5;
        let wetting = 42.5 * rf * self.exp(-100.0 / (251.0 - wmo)) * (1.0 - self.exp(-6.93 / rf));
        let wetting = sel(wmo > 150.0, wetting + 0.0015 * (wmo - 150.0) * (wmo - 150.0) * rf.sqrt(), wetting);
        wmo + wetting
    }

    /// The logarithms and the temperature factor of [`crate::components::ffmc`]: what today's
    /// FFMC needs of the weather alone, with [`Kernel::ffmc_equilibrium`]. Returns ln `rh`,
    /// ln(1 − `rh`/100) (the h of eqs. 7a, 7b) and the temperature factor of eqs. 6b and 7b
    /// times ln 10 (eqs. 8 and 9 take 10^(−k·factor)). `rh` already through [`effective_rh`].
    #[inline(always)]
    pub(crate) fn ffmc_weather_logs(&self, temp: f64, rh: f64) -> (f64, f64, f64) {
        (self.ln(rh), self.ln((100.0 - rh) * 0.01), 0.581 * LN_10 * self.exp(0.0365 * temp))
    }

    /// Eqs. 4, 5 of [`crate::components::ffmc`]: the equilibrium moisture contents for drying
    /// and wetting (%), from `ln_rh` ([`Kernel::ffmc_weather_logs`]).
    #[inline(always)]
    pub(crate) fn ffmc_equilibrium(&self, temp: f64, rh: f64, ln_rh: f64) -> (f64, f64) {
        let humid = 0.18 * (21.1 - temp) * (1.0 - self.exp(-0.115 * rh));
        let near_sat = self.exp((rh - 100.0) * 0.1);
        let ed = 0.942 * self.exp(0.679 * ln_rh) + 11.0 * near_sat + humid;
        let ew = 0.618 * self.exp(0.753 * ln_rh) + 10.0 * near_sat + humid;
        (ed, ew)
    }

    /// Eqs. 6a–7b of [`crate::components::ffmc`], branch-free: the log drying or wetting rate
    /// times ln 10 (the exponent of eqs. 8 and 9), from the moisture content `wmo` (%) after
    /// rain and [`Kernel::ffmc_equilibrium`]; `rh` already through [`effective_rh`].
    #[inline(always)]
    pub(crate) fn ffmc_rate(&self, wmo: f64, w: &FfmcWeather, rh: f64, wind: f64) -> f64 {
        let wmo = sel(wmo > 250.0, 250.0, wmo);
        // Drying (eqs. 6a, 6b, h = rh/100) where wmo > ed, else wetting (eqs. 7a, 7b,
        // h = 1 − rh/100; [`Kernel::ffmc_dry`] uses the rate only where wmo < ed and wmo < ew).
        let drying = wmo > w.ed;
        let h = sel(drying, rh * 0.01, (100.0 - rh) * 0.01);
        let h17 = self.exp(1.7 * sel(drying, w.ln_h_drying, w.ln_h_wetting));
        let h2 = h * h;
        let h4 = h2 * h2;
        let h8 = h4 * h4;
        let k01 = 0.424 * (1.0 - h17) + 0.0694 * wind.sqrt() * (1.0 - h8);
        k01 * w.temp_effect
    }

    /// Eqs. 8–10 of [`crate::components::ffmc`], branch-free, from the moisture content `wmo`
    /// (%) after rain, `ed` and `ew` ([`Kernel::ffmc_equilibrium`]) and `rate`
    /// ([`Kernel::ffmc_rate`]).
    ///
    /// Returns today's FFMC and its moisture content `fm` (eq. 1 of today's FFMC, which is
    /// tomorrow's `wmo` and the ISI's `m`) without the division of eq. 1: eq. 1 of eq. 10 is
    /// linear in the moisture, `fm = m.0 + m.1 · wm` with `m` from [`ffmc_moisture_line`], once
    /// `wm` is bounded to the range where eq. 10 gives 0..=101.
    #[inline(always)]
    pub(crate) fn ffmc_dry(&self, wmo: f64, ed: f64, ew: f64, rate: f64, k: f64, m: (f64, f64, f64)) -> (f64, f64) {
        let wmo = sel(wmo > 250.0, 250.0, wmo);
        let drying = wmo > ed;
        let wetting = !drying && wmo < ed && wmo < ew;
        // Eqs. 8, 9: 10^(−rate).
        let decay = self.exp(-rate);
        let wm = sel(drying, ed + (wmo - ed) * decay, sel(wetting, ew - (ew - wmo) * decay, wmo));
        // Eq. 10 is 0..=101 for wm in m.2..=250; beyond, it is bounded.
        let (m0, m1, wm_lo) = m;
        let wm = sel(wm > 250.0, 250.0, wm);
        let wm = sel(wm < wm_lo, wm_lo, wm);
        let f = 59.5 * (250.0 - wm) / (k + wm);
        let f = sel(f < 0.0, 0.0, f);
        // (The reference's NaN for a negative RH cannot happen here: the weather is validated.)
        (sel(f > 101.0, 101.0, f), m1.mul_add(wm, m0))
    }

    /// Eqs. 11–14 of [`crate::components::dmc_with_day_length`] (the rain phase), for a cell
    /// where `rain` > 0.5 mm: `wmr` − 20, the duff moisture content after rain less 20 %, whose
    /// logarithm [`Kernel::dmc_rain`] takes.
    #[inline(always)]
    pub(crate) fn dmc_rain_moisture(&self, p0: f64, rain: f64) -> f64 {
        let rw = 0.92 * rain - 1.27;
        let wmi = 20.0 + 280.0 * self.exp(-0.023 * p0);
        let ln_p0 = self.ln(p0);
        let b = sel(p0 <= 33.0, 100.0 / (0.5 + 0.3 * p0), sel(p0 <= 65.0, 14.0 - 1.3 * ln_p0, 6.2 * ln_p0 - 17.2));
        let wmr = wmi + 1000.0 * rw / (48.77 + b * rw);
        wmr - 20.0
    }

    /// Eq. 15 of [`crate::components::dmc_with_day_length`]: the DMC after rain (yesterday's
    /// `p0` where `rain` ≤ 1.5 mm), ≥ 0, from the logarithm of [`Kernel::dmc_rain_moisture`].
    #[inline(always)]
    pub(crate) fn dmc_rain(&self, p0: f64, rain: f64, ln_moisture: f64) -> f64 {
        let pr = sel(rain <= 1.5, p0, 43.43 * (5.6348 - ln_moisture));
        sel(pr < 0.0, 0.0, pr)
    }

    /// Eqs. 16, 17 of [`crate::components::dmc_with_day_length`]: today's DMC from `pr`, the
    /// DMC after rain (yesterday's where it did not rain); `rh` through [`effective_rh`].
    #[inline(always)]
    pub(crate) fn dmc_dry(&self, pr: f64, temp: f64, rh: f64, le: f64) -> f64 {
        let t = sel(temp < -1.1, -1.1, temp);
        let rk = 1.894 * (t + 1.1) * (100.0 - rh) * le * 1e-4;
        let pr = sel(pr < 0.0, 0.0, pr);
        let d = pr + rk;
        sel(d < 0.0, 0.0, d)
    }

    /// Eqs. 18–20 of [`crate::components::dc_with_factor`] (the rain phase), for a cell where
    /// `rain` > 0.5 mm: 1 + 3.937·rd/qo, whose logarithm [`Kernel::dc_rain`] takes
    /// (rd / qo = rd · e^(dc0/400) / 800).
    #[inline(always)]
    pub(crate) fn dc_rain_ratio(&self, dc0: f64, rain: f64) -> f64 {
        let rd = 0.83 * rain - 1.27;
        1.0 + 3.937 / 800.0 * rd * self.exp(dc0 * (1.0 / 400.0))
    }

    /// Eq. 21 of [`crate::components::dc_with_factor`]: the DC after rain (yesterday's `dc0`
    /// where `rain` ≤ 2.8 mm), ≥ 0, from the logarithm of [`Kernel::dc_rain_ratio`].
    #[inline(always)]
    pub(crate) fn dc_rain(&self, dc0: f64, rain: f64, ln_ratio: f64) -> f64 {
        let d = dc0 - 400.0 * ln_ratio;
        let d = sel(d < 0.0, 0.0, d);
        sel(rain <= 2.8, dc0, d)
    }

    /// Eqs. 22, 23 of [`crate::components::dc_with_factor`]: today's DC from `dr`, the DC after
    /// rain (yesterday's where it did not rain).
    #[inline(always)]
    pub(crate) fn dc_dry(&self, dr: f64, temp: f64, lf: f64) -> f64 {
        let t = sel(temp < -2.8, -2.8, temp);
        let pe = (0.36 * (t + 2.8) + lf) * 0.5;
        let pe = sel(pe < 0.0, 0.0, pe);
        let d = dr + pe;
        sel(d < 0.0, 0.0, d)
    }

    /// [`crate::components::isi`] without the FBP wind function, from today's FFMC moisture
    /// content `fm` (eq. 1 of today's FFMC, as [`Kernel::ffmc_dry`] returns it) and its
    /// logarithm ([`Kernel::ln`]).
    #[inline(always)]
    pub(crate) fn isi(&self, fm: f64, ln_fm: f64, wind: f64) -> f64 {
        let ff = 91.9 * (1.0 + self.exp(5.31 * ln_fm) * (1.0 / 4.93e7));
        0.208 * ff * self.exp(0.05039 * wind - 0.1386 * fm)
    }

    /// Eq. 27a of [`crate::components::bui`]; eq. 27b ([`Kernel::bui_low`]) replaces it where
    /// the result is below `dmc`.
    #[inline(always)]
    pub(crate) fn bui_high(&self, dmc: f64, dc: f64) -> f64 {
        let both_zero = dmc == 0.0 && dc == 0.0;
        sel(both_zero, 0.0, 0.8 * dc * dmc / (dmc + 0.4 * dc))
    }

    /// Eq. 27b of [`crate::components::bui`], for `u` = [`Kernel::bui_high`] < `dmc` (so
    /// `dmc` > 0), with `ln_dmc` = ln(0.0114·`dmc`).
    #[inline(always)]
    pub(crate) fn bui_low(&self, dmc: f64, ln_dmc: f64, u: f64) -> f64 {
        let p = (dmc - u) / dmc;
        let cc = 0.92 + self.exp(1.7 * ln_dmc);
        let u0 = dmc - cc * p;
        sel(u0 < 0.0, 0.0, u0)
    }

    /// Eqs. 28a, 28b, 29 of [`crate::components::fwi_dsr`]: the intermediate FWI `B` from
    /// ISI, BUI and ln BUI, with one exponential (of the argument the branch needs).
    #[inline(always)]
    pub(crate) fn fwi_b(&self, isi: f64, bui: f64, ln_bui: f64) -> f64 {
        let above = bui > 80.0;
        let e = self.exp(sel(above, -0.023 * bui, 0.809 * ln_bui));
        let fd = sel(above, 1000.0 / (25.0 + 108.64 * e), 0.626 * e + 2.0);
        0.1 * isi * fd
    }

    /// Eqs. 30a, 30b of [`crate::components::fwi_dsr`]: ln FWI from `b` ([`Kernel::fwi_b`]),
    /// `ln_b` = [`Kernel::ln_inf`] of `b` and `ln_ln_b` = [`Kernel::ln_inf`] of 0.434·`ln_b`
    /// (where b ≤ 1 that is the logarithm of a number ≤ 0: a meaningless value, discarded).
    #[inline(always)]
    pub(crate) fn fwi_ln(&self, b: f64, ln_b: f64, ln_ln_b: f64) -> f64 {
        sel(b > 1.0, 2.72 * self.exp(0.647 * ln_ln_b), ln_b)
    }

    /// FWI (eqs. 30a, 30b) and DSR (eq. 31) from `b` and `ln_fwi` ([`Kernel::fwi_ln`]).
    #[inline(always)]
    pub(crate) fn fwi_dsr(&self, b: f64, ln_fwi: f64) -> (f64, f64) {
        (sel(b > 1.0, self.exp(ln_fwi), b), 0.0272 * self.exp(1.77 * ln_fwi))
    }
}

/// `if c { a } else { b }`, both already computed.
#[inline(always)]
fn sel(c: bool, a: f64, b: f64) -> f64 {
    if c { a } else { b }
}

const LN_10: f64 = std::f64::consts::LN_10;
pub(crate) const LN_100: f64 = 4.605_170_185_988_092;

/// What today's FFMC needs of the weather alone ([`Kernel::ffmc_weather_logs`],
/// [`Kernel::ffmc_equilibrium`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FfmcWeather {
    /// Eq. 4, equilibrium moisture content for drying (%).
    pub(crate) ed: f64,
    /// The temperature factor of eqs. 6b and 7b, times ln 10 (eqs. 8 and 9).
    pub(crate) temp_effect: f64,
    /// ln(rh/100), the h of eqs. 6a, 6b.
    pub(crate) ln_h_drying: f64,
    /// ln(1 − rh/100), the h of eqs. 7a, 7b.
    pub(crate) ln_h_wetting: f64,
}

/// cffdrs' `fwi()`: RH 100 is computed as 99.9999 (as [`crate::inputs`]' `effective_rh`).
#[inline(always)]
pub(crate) fn effective_rh(rh: f64) -> f64 {
    sel(rh >= 100.0, 99.9999, rh)
}

/// Eq. 1 of [`crate::components::ffmc`], the FFMC's moisture content (%) for an FFMC `code`:
/// `k · (101 − code) / (59.5 + code)`.
pub(crate) fn ffmc_moisture(code: f64, k: f64) -> f64 {
    k * (101.0 - code) / (59.5 + code)
}

/// Eq. 1 applied to eq. 10 (Van Wagner 1987): with F = 59.5·(250 − wm)/(k + wm),
/// m = k·(101 − F)/(59.5 + F) = k·(101k − 14875 + 160.5·wm) / (59.5·(k + 250)), a line in wm:
/// returns its intercept and slope, and the moisture below which F exceeds 101
/// ((14875 − 101k)/160.5), for F bounded to 0..=101 by bounding wm to that value..=250.
/// For cffdrs' k = 14875/101 the line is m = wm (to rounding).
pub(crate) fn ffmc_moisture_line(k: f64) -> (f64, f64, f64) {
    let d = 59.5 * (k + 250.0);
    (k * (101.0 * k - 14_875.0) / d, 160.5 * k / d, (14_875.0 - 101.0 * k) / 160.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: Kernel = KERNEL;

    /// Largest relative error of `f` against `reference` over `xs`, in units of 2^-52 (f64::EPSILON).
    fn max_ulps(xs: impl Iterator<Item = f64>, f: impl Fn(f64) -> f64, reference: fn(f64) -> f64) -> (f64, f64) {
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
        let (e, x) = max_ulps(spread(-707.0, 709.78, 2_000_000), |x| K.exp(x), f64::exp);
        assert!(e < 4.0, "exp: {e} ulp at {x}");
        let (e, x) = max_ulps(spread(-1.0, 1.0, 1_000_000), |x| K.exp(x), f64::exp);
        assert!(e < 4.0, "exp near 0: {e} ulp at {x}");
        // The kernel's arguments: around the polynomial's interval ends (|r| = ln 2 / 2).
        let (e, x) = max_ulps(spread(-40.0, 40.0, 1_000_000), |x| K.exp(x), f64::exp);
        assert!(e < 4.0, "exp on -40..40: {e} ulp at {x}");
        println!("exp: worst {e} ulp");
        let edges = [0.0, -0.0, 1e-300, -1e-300, 709.4, 709.5, 709.78, -700.0, -707.0];
        for x in edges {
            let (got, want) = (K.exp(x), x.exp());
            assert!(((got - want) / want).abs() < 4.0 * f64::EPSILON, "{x}: {got} vs {want}");
        }
        for x in [709.8, 710.0, 1e10, f64::MAX, f64::INFINITY] {
            assert_eq!(K.exp(x), f64::INFINITY, "{x}");
        }
        for x in [-708.5, -745.2, -1e10, f64::MIN, f64::NEG_INFINITY] {
            assert_eq!(K.exp(x), 0.0, "{x}");
        }
        assert!(K.exp(f64::NAN).is_nan());
        // Where `f64::exp` is subnormal or nearly so, the result is 0 or close: an absolute
        // error under 2^-1021.
        for x in spread(-760.0, -707.0, 100_000) {
            assert!((K.exp(x) - x.exp()).abs() < 4.5e-308, "{x}: {} vs {}", K.exp(x), x.exp());
        }
    }

    #[test]
    fn ln_matches_std_within_2_ulp_on_normal_numbers() {
        let (e, x) = max_ulps(spread(f64::MIN_POSITIVE, 5.0, 2_000_000), |x| K.ln(x), f64::ln);
        assert!(e < 2.0, "ln: {e} ulp at {x}");
        let (e, x) = max_ulps(spread(0.5, 2.0, 1_000_000), |x| K.ln(x), f64::ln);
        assert!(e < 2.0, "ln near 1: {e} ulp at {x}");
        // Across the whole exponent range of normal numbers: x = 2^e · u.
        let (e, x) = max_ulps(spread(-1022.0, 1023.9, 1_000_000).map(f64::exp2), |x| K.ln(x), f64::ln);
        assert!(e < 2.0, "ln wide: {e} ulp at {x}");
        for x in [1.0, f64::MIN_POSITIVE, f64::MAX, 100.0, 99.9999, 1e-6] {
            let (got, want) = (K.ln(x), x.ln());
            assert!(got == want || ((got - want) / want).abs() < 2.0 * f64::EPSILON, "{x}: {got} vs {want}");
        }
        // Outside the domain, the documented stand-ins.
        for x in [0.0, -0.0, 5e-324, 1e-310, f64::MIN_POSITIVE * 0.999] {
            assert!((-709.1..=-708.3).contains(&K.ln(x)), "{x}: {}", K.ln(x));
            // What the kernel does with them: raise them to a power ≥ 0.5, which underflows.
            assert!(K.exp(0.5 * K.ln(x)) < 1e-150, "{x}");
        }
        assert_eq!(K.ln_inf(f64::INFINITY), f64::INFINITY);
        assert!((K.ln(f64::INFINITY) - 709.78).abs() < 0.01);
        assert_eq!(K.ln(-2.0), K.ln(2.0));
        assert!(K.ln(f64::NAN).is_finite());
        assert_eq!(K.ln_inf(2.0), K.ln(2.0));
        assert!(K.ln_inf(f64::NAN).is_nan());
    }
}
