//! The seven equations of the FWI System, one function per index, as in cffdrs (R package,
//! `fine_fuel_moisture_code.r` … `fire_weather_index.r`) and Van Wagner & Pickett (1985).
//!
//! Equation numbers are those of Van Wagner (1987), *Development and structure of the Canadian
//! Forest Fire Weather Index System*, Forestry Technical Report 35, which Van Wagner & Pickett
//! (1985), Forestry Technical Report 33, implements in FORTRAN.
//!
//! These are the raw kernels: plain `f64` in and out, **no validation**, so that they can be
//! checked row by row against cffdrs' component grids, including the rows where cffdrs is fed
//! out-of-range values. They reproduce cffdrs there too: a negative RH gives NaN from the FFMC
//! (cffdrs: NA), while the DMC and DC compute a number from a negative RH or rain (cffdrs does the
//! same; only its `fwi()` wrapper refuses them). Use [`crate::Weather`] and
//! [`crate::FwiState::step`] for validated input.

use crate::inputs::Month;

/// FFMC constant of current cffdrs (≥ 1.9, cffdrs_r issue #5): 250 · 59.5 / 101 = 147.27723 (to
/// 8 significant digits). cffdrs computes it as the exact ratio (`FFMC_COEFFICIENT`), and so does
/// this crate: the literal 147.27723 is 2.3e-6 larger, which moves ISI at extreme wind
/// (e.g. FFMC 86.4, 194 km/h, ISI ≈ 45963) by more than 0.005 on cffdrs' ISI grid.
pub const FFMC_CONSTANT_CFFDRS: f64 = 250.0 * 59.5 / 101.0;
/// FFMC constant of the 1985 FORTRAN program (Van Wagner & Pickett 1985) and of xclim.
pub const FFMC_CONSTANT_1985: f64 = 147.2;

const LN_10: f64 = std::f64::consts::LN_10;
/// ln(100).
const LN_100: f64 = 4.605_170_185_988_092;

/// Day lengths (hours) for the DMC, Van Wagner (1987) table; cffdrs `ell01`, 46°N, used for
/// latitude > 30°N (and everywhere when the latitude adjustment is off).
pub const DMC_DAY_LENGTH_46N: [f64; 12] = [6.5, 7.5, 9.0, 12.8, 13.9, 13.9, 12.4, 10.9, 9.4, 8.0, 7.0, 6.0];
/// cffdrs `ell02`, 20°N, for 10°N < latitude ≤ 30°N (Lawson & Armitage 2008).
pub const DMC_DAY_LENGTH_20N: [f64; 12] = [7.9, 8.4, 8.9, 9.5, 9.9, 10.2, 10.1, 9.7, 9.1, 8.6, 8.1, 7.8];
/// cffdrs `ell03`, 20°S, for 30°S < latitude ≤ 10°S.
pub const DMC_DAY_LENGTH_20S: [f64; 12] = [10.1, 9.6, 9.1, 8.5, 8.1, 7.8, 7.9, 8.3, 8.9, 9.4, 9.9, 10.2];
/// cffdrs `ell04`, 40°S, for 90°S ≤ latitude ≤ 30°S.
pub const DMC_DAY_LENGTH_40S: [f64; 12] = [11.5, 10.5, 9.2, 7.9, 6.8, 6.2, 6.5, 7.4, 8.7, 10.0, 11.2, 11.8];
/// DMC day length near the equator (10°S < latitude ≤ 10°N): 9 h all year.
pub const DMC_DAY_LENGTH_EQUATOR: f64 = 9.0;

/// Day-length factors for the DC, Van Wagner (1987) table; cffdrs `fl01`, used north of 20°N
/// (and everywhere when the latitude adjustment is off).
pub const DC_FACTOR_NORTH: [f64; 12] = [-1.6, -1.6, -1.6, 0.9, 3.8, 5.8, 6.4, 5.0, 2.4, 0.4, -1.6, -1.6];
/// cffdrs `fl02`, for latitude ≤ 20°S.
pub const DC_FACTOR_SOUTH: [f64; 12] = [6.4, 5.0, 2.4, 0.4, -1.6, -1.6, -1.6, -1.6, -1.6, 0.9, 3.8, 5.8];
/// DC factor for 20°S < latitude ≤ 20°N: 1.4 all year (xclim uses 1.39 and ±15°).
pub const DC_FACTOR_EQUATOR: f64 = 1.4;

/// Effective day length `Le` (h) for the DMC (Van Wagner 1987, eq. 16 table; bands of
/// Lawson & Armitage 2008 as coded in cffdrs `duff_moisture_code`).
///
/// `lat` in decimal degrees, north positive. With `lat_adjust` false, or north of 30°N, or
/// outside −90..=90, the standard 46°N table is used. Band edges exactly as cffdrs:
/// (10, 30] → 20°N table; (−10, 10] → 9; (−30, −10] → 20°S table; [−90, −30] → 40°S table.
pub fn dmc_day_length(lat: f64, month: Month, lat_adjust: bool) -> f64 {
    DMC_TABLES[dmc_band(lat, lat_adjust)][month.index()]
}

/// Day-length factor `Lf` for the DC (Van Wagner 1987, eq. 22 table; bands as coded in cffdrs
/// `drought_code`): north of 20°N standard table; (−20, 20] → 1.4; ≤ −20 → southern table.
/// With `lat_adjust` false the standard table is used everywhere.
pub fn dc_day_length_factor(lat: f64, month: Month, lat_adjust: bool) -> f64 {
    DC_TABLES[dc_band(lat, lat_adjust)][month.index()]
}

/// DMC tables by band: 46°N, 20°N, 20°S, 40°S, equator (9 all year).
pub(crate) const DMC_TABLES: [[f64; 12]; 5] =
    [DMC_DAY_LENGTH_46N, DMC_DAY_LENGTH_20N, DMC_DAY_LENGTH_20S, DMC_DAY_LENGTH_40S, [DMC_DAY_LENGTH_EQUATOR; 12]];

/// DC tables by band: north, equator (1.4 all year), south.
pub(crate) const DC_TABLES: [[f64; 12]; 3] = [DC_FACTOR_NORTH, [DC_FACTOR_EQUATOR; 12], DC_FACTOR_SOUTH];

/// Row of [`DMC_TABLES`] for a latitude (cffdrs band edges).
pub(crate) fn dmc_band(lat: f64, lat_adjust: bool) -> usize {
    if !lat_adjust {
        0
    } else if lat <= 30.0 && lat > 10.0 {
        1
    } else if lat <= -10.0 && lat > -30.0 {
        2
    } else if (-90.0..=-30.0).contains(&lat) {
        3
    } else if lat <= 10.0 && lat > -10.0 {
        4
    } else {
        0
    }
}

/// Row of [`DC_TABLES`] for a latitude (cffdrs band edges).
pub(crate) fn dc_band(lat: f64, lat_adjust: bool) -> usize {
    if !lat_adjust {
        0
    } else if lat <= -20.0 {
        2
    } else if lat <= 20.0 {
        1
    } else {
        0
    }
}

/// Fine Fuel Moisture Code for today (Van Wagner 1987, eqs. 1–10; cffdrs
/// `fine_fuel_moisture_code`).
///
/// `ffmc_yesterday` in 0..=101; `temp` °C; `rh` % (0..=100; use 99.9999 for 100 as cffdrs'
/// `fwi()` does); `wind` km/h at 10 m; `rain` mm over 24 h. `k` is the FFMC constant
/// ([`FFMC_CONSTANT_CFFDRS`] = 250·59.5/101 ≈ 147.27723 in cffdrs ≥ 1.9; [`FFMC_CONSTANT_1985`] = 147.2 in the
/// 1985 program and xclim). Returns FFMC in 0..=101. Rain up to 0.5 mm is intercepted by the
/// canopy (eq. 2); moisture after rain is capped at 250 %. A negative `rh` yields NaN (cffdrs: NA).
pub fn ffmc(ffmc_yesterday: f64, temp: f64, rh: f64, wind: f64, rain: f64, k: f64) -> f64 {
    // Eq. 1: moisture content (%) from yesterday's code.
    let mut wmo = k * (101.0 - ffmc_yesterday) / (59.5 + ffmc_yesterday);
    if rain > 0.5 {
        // Eq. 2: effective rain after canopy interception.
        let rf = rain - 0.5;
        // Eq. 3a, plus the eq. 3b term above 150 %.
        let mut wetting = 42.5 * rf * (-100.0 / (251.0 - wmo)).exp() * (1.0 - (-6.93 / rf).exp());
        if wmo > 150.0 {
            wetting += 0.0015 * (wmo - 150.0) * (wmo - 150.0) * rf.sqrt();
        }
        wmo += wetting;
    }
    if wmo > 250.0 {
        wmo = 250.0;
    }
    // Powers are computed as exp(y·ln x), sharing ln(rh): same values as `powf` to ~1e-15
    // relative, at a fraction of the cost (this is the hot loop of the grid API).
    let ln_rh = rh.ln();
    let humid = 0.18 * (21.1 - temp) * (1.0 - (-0.115 * rh).exp());
    let near_sat = ((rh - 100.0) / 10.0).exp();
    // Eq. 4: equilibrium moisture content for drying.
    let ed = 0.942 * (0.679 * ln_rh).exp() + 11.0 * near_sat + humid;
    // Eq. 5: equilibrium moisture content for wetting.
    let ew = 0.618 * (0.753 * ln_rh).exp() + 10.0 * near_sat + humid;
    if ed.is_nan() || ew.is_nan() {
        return f64::NAN;
    }
    let temp_effect = 0.581 * (0.0365 * temp).exp();
    let wm = if wmo > ed {
        // Eqs. 6a, 6b: log drying rate; eq. 8.
        let h = rh / 100.0;
        let h17 = (1.7 * (ln_rh - LN_100)).exp();
        let k0 = 0.424 * (1.0 - h17) + 0.0694 * wind.sqrt() * (1.0 - h.powi(8));
        let kd = k0 * temp_effect;
        ed + (wmo - ed) / (kd * LN_10).exp()
    } else if wmo < ed && wmo < ew {
        // Eqs. 7a, 7b: log wetting rate; eq. 9.
        let h = (100.0 - rh) / 100.0;
        let h17 = (1.7 * h.ln()).exp();
        let k1 = 0.424 * (1.0 - h17) + 0.0694 * wind.sqrt() * (1.0 - h.powi(8));
        let kw = k1 * temp_effect;
        ew - (ew - wmo) / (kw * LN_10).exp()
    } else {
        wmo
    };
    // Eq. 10, bounded to 0..=101.
    let f = 59.5 * (250.0 - wm) / (k + wm);
    if f.is_nan() { f } else { f.clamp(0.0, 101.0) }
}

/// Duff Moisture Code for today (Van Wagner 1987, eqs. 11–17; cffdrs `duff_moisture_code`).
///
/// `dmc_yesterday` ≥ 0; `temp` °C (below −1.1 °C no drying); `rh` %; `rain` mm over 24 h
/// (≤ 1.5 mm has no effect); `lat` decimal degrees and `month` select the day length
/// ([`dmc_day_length`]). Returns DMC ≥ 0 (open-ended).
pub fn dmc(dmc_yesterday: f64, temp: f64, rh: f64, rain: f64, lat: f64, month: Month, lat_adjust: bool) -> f64 {
    dmc_with_day_length(dmc_yesterday, temp, rh, rain, dmc_day_length(lat, month, lat_adjust))
}

/// [`dmc`] with the day length `le` (h) already chosen.
#[inline]
pub fn dmc_with_day_length(dmc_yesterday: f64, temp: f64, rh: f64, rain: f64, le: f64) -> f64 {
    let t = if temp < -1.1 { -1.1 } else { temp };
    // Eqs. 16, 17: log drying rate.
    let rk = 1.894 * (t + 1.1) * (100.0 - rh) * le * 1e-4;
    let mut pr = if rain <= 1.5 {
        dmc_yesterday
    } else {
        let p0 = dmc_yesterday;
        // Eq. 11: effective rain.
        let rw = 0.92 * rain - 1.27;
        // Eq. 12 (cffdrs' exact inverse of eq. 15): moisture content before rain.
        let wmi = 20.0 + 280.0 / (0.023 * p0).exp();
        // Eqs. 13a, 13b, 13c.
        let b = if p0 <= 33.0 {
            100.0 / (0.5 + 0.3 * p0)
        } else if p0 <= 65.0 {
            14.0 - 1.3 * p0.ln()
        } else {
            6.2 * p0.ln() - 17.2
        };
        // Eq. 14: moisture content after rain.
        let wmr = wmi + 1000.0 * rw / (48.77 + b * rw);
        // Eq. 15 (cffdrs form).
        43.43 * (5.6348 - (wmr - 20.0).ln())
    };
    if pr < 0.0 {
        pr = 0.0;
    }
    let d = pr + rk;
    if d < 0.0 { 0.0 } else { d }
}

/// Drought Code for today (Van Wagner 1987, eqs. 18–23; cffdrs `drought_code`).
///
/// `dc_yesterday` ≥ 0; `temp` °C (floored at −2.8 °C); `rain` mm over 24 h (≤ 2.8 mm has no
/// effect); `lat` and `month` select the day-length factor ([`dc_day_length_factor`]). Relative
/// humidity plays no part. Returns DC ≥ 0 (open-ended).
pub fn dc(dc_yesterday: f64, temp: f64, rain: f64, lat: f64, month: Month, lat_adjust: bool) -> f64 {
    dc_with_factor(dc_yesterday, temp, rain, dc_day_length_factor(lat, month, lat_adjust))
}

/// [`dc`] with the day-length factor `lf` already chosen.
#[inline]
pub fn dc_with_factor(dc_yesterday: f64, temp: f64, rain: f64, lf: f64) -> f64 {
    let t = if temp < -2.8 { -2.8 } else { temp };
    // Eq. 22: potential evapotranspiration, not negative.
    let mut pe = (0.36 * (t + 2.8) + lf) / 2.0;
    if pe < 0.0 {
        pe = 0.0;
    }
    let dr = if rain <= 2.8 {
        dc_yesterday
    } else {
        // Eq. 18: effective rain; eq. 19: moisture equivalent; eqs. 20, 21.
        let rd = 0.83 * rain - 1.27;
        let qo = 800.0 * (-dc_yesterday / 400.0).exp();
        let d = dc_yesterday - 400.0 * (1.0 + 3.937 * rd / qo).ln();
        if d < 0.0 { 0.0 } else { d }
    };
    // Eq. 23.
    let d = dr + pe;
    if d < 0.0 { 0.0 } else { d }
}

/// Initial Spread Index (Van Wagner 1987, eqs. 24–26; cffdrs `initial_spread_index`).
///
/// `ffmc` in 0..=101 (today's); `wind` km/h at 10 m; `k` the FFMC constant used for the FFMC
/// (cffdrs: the same 250·59.5/101 as its FFMC; xclim 147.2). `fbp_mod`: use the FBP System's wind function
/// above 40 km/h (FCFDG 1992, eq. 53a); the FWI System itself uses `false`. Returns ISI ≥ 0.
pub fn isi(ffmc: f64, wind: f64, k: f64, fbp_mod: bool) -> f64 {
    // Eq. 1 (with today's FFMC): fine fuel moisture content.
    let fm = k * (101.0 - ffmc) / (59.5 + ffmc);
    // Eq. 25 without its exponential: fine fuel moisture function.
    let ff = 91.9 * (1.0 + (5.31 * fm.ln()).exp() / 4.93e7);
    if fbp_mod && wind >= 40.0 {
        // FCFDG (1992) eq. 53a wind function; eq. 26.
        let fw = 12.0 * (1.0 - (-0.0818 * (wind - 28.0)).exp());
        0.208 * fw * ff * (-0.1386 * fm).exp()
    } else {
        // Eqs. 24 and 25 share one exponential: e^(0.05039·W) · e^(−0.1386·m); eq. 26.
        0.208 * ff * (0.05039 * wind - 0.1386 * fm).exp()
    }
}

/// Buildup Index (Van Wagner 1987, eqs. 27a, 27b; cffdrs `buildup_index`).
///
/// `dmc` ≥ 0 and `dc` ≥ 0 (today's). Returns BUI ≥ 0.
pub fn bui(dmc: f64, dc: f64) -> f64 {
    // Eq. 27a.
    let u = if dmc == 0.0 && dc == 0.0 { 0.0 } else { 0.8 * dc * dmc / (dmc + 0.4 * dc) };
    if u < dmc {
        // Eq. 27b.
        let p = if dmc != 0.0 { (dmc - u) / dmc } else { 0.0 };
        let cc = 0.92 + (1.7 * (0.0114 * dmc).ln()).exp();
        let u0 = dmc - cc * p;
        if u0 < 0.0 { 0.0 } else { u0 }
    } else {
        u
    }
}

/// Fire Weather Index (Van Wagner 1987, eqs. 28–30; cffdrs `fire_weather_index`).
///
/// `isi` ≥ 0, `bui` ≥ 0. Returns FWI ≥ 0 (open-ended; the `B` scale is returned as is up to 1).
pub fn fwi(isi: f64, bui: f64) -> f64 {
    fwi_dsr(isi, bui).0
}

/// Daily Severity Rating (Van Wagner 1987, eq. 31; cffdrs `fwi()`): 0.0272 · FWI^1.77.
pub fn dsr(fwi: f64) -> f64 {
    0.0272 * (1.77 * fwi.ln()).exp()
}

/// FWI and DSR together: above B = 1, ln FWI is known, which saves a logarithm.
#[inline]
pub(crate) fn fwi_dsr(isi: f64, bui: f64) -> (f64, f64) {
    // Eqs. 28a, 28b: duff moisture function; eq. 29: intermediate B.
    let fd = if bui > 80.0 {
        1000.0 / (25.0 + 108.64 / (0.023 * bui).exp())
    } else {
        0.626 * (0.809 * bui.ln()).exp() + 2.0
    };
    let b = 0.1 * isi * fd;
    // Eqs. 30a, 30b; eq. 31.
    if b <= 1.0 {
        (b, dsr(b))
    } else {
        let ln_fwi = 2.72 * (0.647 * (0.434 * b.ln()).ln()).exp();
        (ln_fwi.exp(), 0.0272 * (1.77 * ln_fwi).exp())
    }
}
