//! Overwintering the Drought Code (Lawson & Armitage 2008; cffdrs `overwinter_drought_code`).

use serde::{Deserialize, Serialize};

use crate::error::{FwiError, check_range};

/// Fractions of the overwintering equation, with defaults from Lawson & Armitage (2008) as in
/// cffdrs: carry-over `a` = 0.75, wetting efficiency `b` = 0.75, and the floor 15 of the result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OverwinterParams {
    /// Carry-over fraction of last fall's moisture deficit, `a` in (0, 1].
    pub carry_over: f64,
    /// Fraction of winter precipitation that recharges the DC layer, `b` in [0, 1].
    pub wetting_efficiency: f64,
    /// Smallest spring DC returned (15, the standard start-up).
    pub min_dc: f64,
}

impl Default for OverwinterParams {
    fn default() -> Self {
        OverwinterParams { carry_over: 0.75, wetting_efficiency: 0.75, min_dc: 15.0 }
    }
}

/// Spring start-up Drought Code after winter (Lawson & Armitage 2008, eqs. 2–4; cffdrs
/// `overwinter_drought_code`).
///
/// `dc_fall`: last DC of the previous fire season (≥ 0); `winter_rain`: precipitation (mm water
/// equivalent, ≥ 0) between the end of that season and the start of this one.
/// Qf = 800·e^(−DCf/400) (eq. 3); Qs = a·Qf + b·3.94·rw (eq. 2); DCs = 400·ln(800/Qs) (eq. 4),
/// not below `min_dc`. With 200 mm or more of winter precipitation the result is usually the
/// floor: the layer is recharged. Errors name the field and value.
pub fn overwinter_dc(dc_fall: f64, winter_rain: f64, params: &OverwinterParams) -> Result<f64, FwiError> {
    check_range("dc_fall", dc_fall, 0.0, f64::MAX, "finite, >= 0")?;
    check_range("winter_rain", winter_rain, 0.0, f64::MAX, "finite, >= 0 mm")?;
    let a = params.carry_over;
    let b = params.wetting_efficiency;
    if !(a > 0.0 && a <= 1.0) {
        return Err(FwiError::range("carry_over", a, "0 < a <= 1"));
    }
    check_range("wetting_efficiency", b, 0.0, 1.0, "0..=1")?;
    check_range("min_dc", params.min_dc, 0.0, f64::MAX, "finite, >= 0")?;
    let qf = 800.0 * (-dc_fall / 400.0).exp();
    let qs = a * qf + b * 3.94 * winter_rain;
    let dcs = 400.0 * (800.0 / qs).ln();
    Ok(if dcs < params.min_dc { params.min_dc } else { dcs })
}
