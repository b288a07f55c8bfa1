//! Validated inputs: a value of these types has passed its checks once (parse, don't validate).

use serde::{Deserialize, Serialize};

use crate::error::{FwiError, check_range};

/// Calendar month, 1..=12 (selects the day-length factors of the DMC and DC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Month(u8);

impl Month {
    /// `month` in 1..=12, else [`FwiError::Month`].
    pub fn new(month: i64) -> Result<Self, FwiError> {
        match u8::try_from(month) {
            Ok(m @ 1..=12) => Ok(Month(m)),
            _ => Err(FwiError::Month(month)),
        }
    }

    /// The month number, 1..=12.
    pub fn get(self) -> u8 {
        self.0
    }

    /// 0-based index into the monthly tables.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0 - 1)
    }
}

impl TryFrom<i64> for Month {
    type Error = FwiError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Month::new(value)
    }
}

impl From<Month> for u8 {
    fn from(m: Month) -> u8 {
        m.0
    }
}

/// One day's noon weather observation, validated.
///
/// | field | unit | accepted |
/// |---|---|---|
/// | `temp` | °C, screen-level air temperature at local noon | −90 ≤ t < 60 |
/// | `rh` | %, relative humidity at local noon | 0 ≤ rh ≤ 100 |
/// | `wind` | km/h, 10 m open wind speed at local noon | finite, ≥ 0 |
/// | `rain` | mm, rain over the 24 h ending at noon | finite, ≥ 0 |
///
/// NaN (missing) is refused everywhere. These are the checks of cffdrs' `fwi()` (negative rain,
/// wind or RH stop it) made stricter: cffdrs silently clamps RH ≥ 100 to 99.9999 and lets NaN
/// through as NA; here RH above 100 and NaN are errors. RH = 100 is accepted and, as in cffdrs,
/// computed as 99.9999 (the FFMC and DMC equations degenerate at exactly 100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weather {
    temp: f64,
    rh: f64,
    wind: f64,
    rain: f64,
}

impl Weather {
    /// Validates one observation; the error names the first field refused and its value.
    pub fn new(temp: f64, rh: f64, wind: f64, rain: f64) -> Result<Self, FwiError> {
        if !(-90.0..60.0).contains(&temp) {
            return Err(FwiError::range("temp", temp, "-90 <= temp < 60 °C"));
        }
        check_range("rh", rh, 0.0, 100.0, "0..=100 %")?;
        check_range("wind", wind, 0.0, f64::MAX, "finite, >= 0 km/h")?;
        check_range("rain", rain, 0.0, f64::MAX, "finite, >= 0 mm")?;
        Ok(Weather { temp, rh, wind, rain })
    }

    /// Noon temperature, °C.
    pub fn temp(&self) -> f64 {
        self.temp
    }
    /// Noon relative humidity, %.
    pub fn rh(&self) -> f64 {
        self.rh
    }
    /// Noon 10 m wind speed, km/h.
    pub fn wind(&self) -> f64 {
        self.wind
    }
    /// 24 h rain, mm.
    pub fn rain(&self) -> f64 {
        self.rain
    }
}

/// The RH the equations see: cffdrs' `fwi()` replaces RH ≥ 100 by 99.9999.
#[inline]
pub(crate) fn effective_rh(rh: f64) -> f64 {
    if rh >= 100.0 { 99.9999 } else { rh }
}

/// Latitude in decimal degrees (north positive), −90..=90.
pub(crate) fn check_latitude(lat: f64) -> Result<f64, FwiError> {
    check_range("latitude", lat, -90.0, 90.0, "-90..=90 decimal degrees")
}
