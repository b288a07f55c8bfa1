//! Great-circle distance: the haversine formula (R. W. Sinnott, "Virtues of the Haversine",
//! Sky & Telescope 68(2):159, 1984) on a sphere of the IUGG mean Earth radius
//! R₁ = 6,371,008.8 m (H. Moritz, "Geodetic Reference System 1980", Bull. Géodésique 54, 1980).

/// Mean Earth radius R₁ of GRS 80 / IUGG, metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point prepared for the haversine formula: latitude φ and longitude λ in radians, cos φ.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pre {
    phi: f64,
    lam: f64,
    cos_phi: f64,
}

impl Pre {
    /// Prepares `lat`, `lon` (degrees).
    #[inline]
    pub(crate) fn new(lat: f64, lon: f64) -> Pre {
        let phi = lat.to_radians();
        Pre { phi, lam: lon.to_radians(), cos_phi: phi.cos() }
    }
}

impl Pre {
    /// cos φ, for storing beside the degrees.
    #[inline]
    pub(crate) fn cos_phi(&self) -> f64 {
        self.cos_phi
    }

    /// Rebuilds the prepared point of (`lat`, `lon`) degrees from a stored `cos φ`
    /// (identical, bit for bit, to `Pre::new(lat, lon)` when `cos_phi` came from it).
    #[inline]
    pub(crate) fn with_cos(lat: f64, lon: f64, cos_phi: f64) -> Pre {
        Pre { phi: lat.to_radians(), lam: lon.to_radians(), cos_phi }
    }
}

/// Haversine distance in metres between two prepared points (Sinnott 1984):
/// `h = sin²((φ₂−φ₁)/2) + cos φ₁ · cos φ₂ · sin²((λ₂−λ₁)/2)`, `d = 2 R asin(√min(h, 1))`.
///
/// The engine and the brute force both call exactly this function with the case point first,
/// so their distances are identical bit for bit.
#[inline]
pub(crate) fn distance_pre(a: &Pre, b: &Pre) -> f64 {
    let s_phi = ((b.phi - a.phi) * 0.5).sin();
    let s_lam = ((b.lam - a.lam) * 0.5).sin();
    let h = s_phi * s_phi + a.cos_phi * b.cos_phi * (s_lam * s_lam);
    2.0 * EARTH_RADIUS_M * h.min(1.0).sqrt().asin()
}

/// Great-circle distance in metres between (`lat1`, `lon1`) and (`lat2`, `lon2`), all in
/// degrees, by the haversine formula (Sinnott 1984) on a sphere of radius
/// [`EARTH_RADIUS_M`] (6,371,008.8 m). This is the distance the co-location test uses
/// (`distance <= radius_m`), with the case point as the first point.
///
/// ```
/// use firebreak_colocate::haversine_m;
/// // one degree of latitude ≈ 111.195 km on the mean sphere
/// let d = haversine_m(0.0, 0.0, 1.0, 0.0);
/// assert!((d - 111_195.08).abs() < 0.01);
/// ```
#[inline]
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    distance_pre(&Pre::new(lat1, lon1), &Pre::new(lat2, lon2))
}
