//! Many cells at once: struct-of-arrays state, one day step over all cells.

use crate::components::{DC_TABLES, DMC_TABLES, dc_band, dmc_band};
use crate::error::FwiError;
use crate::inputs::{Month, Weather, check_latitude};
use crate::station::{FwiParams, step_cell};

/// Cells per work item: large enough to amortise scheduling, small enough to balance 2–64 cores.
const CHUNK: usize = 4096;

/// One day's weather for every cell, struct-of-arrays, cell `i` at index `i` of each slice.
/// Units as [`Weather`]: `temp` °C, `rh` %, `wind` km/h at 10 m, `rain` mm over 24 h.
#[derive(Debug, Clone, Copy)]
pub struct GridWeather<'a> {
    /// Noon temperature, °C.
    pub temp: &'a [f64],
    /// Noon relative humidity, %.
    pub rh: &'a [f64],
    /// Noon 10 m wind, km/h.
    pub wind: &'a [f64],
    /// 24 h rain, mm.
    pub rain: &'a [f64],
}

/// Today's spread and behaviour indices for every cell (the codes are the grid's state:
/// [`FwiGrid::ffmc`], [`FwiGrid::dmc`], [`FwiGrid::dc`]). Reuse one across days to avoid
/// allocation; [`FwiGrid::step`] resizes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridIndices {
    /// Initial Spread Index per cell.
    pub isi: Vec<f64>,
    /// Buildup Index per cell.
    pub bui: Vec<f64>,
    /// Fire Weather Index per cell.
    pub fwi: Vec<f64>,
    /// Daily Severity Rating per cell.
    pub dsr: Vec<f64>,
}

/// The FWI state of many cells (a raster flattened in any order), stepped one day at a time.
///
/// Computes exactly what [`crate::Station::step`] computes for each cell (same kernel), so a
/// cell of the grid and a station at the same latitude agree to the bit.
#[derive(Debug, Clone)]
pub struct FwiGrid {
    params: FwiParams,
    dmc_band: Vec<u8>,
    dc_band: Vec<u8>,
    ffmc: Vec<f64>,
    dmc: Vec<f64>,
    dc: Vec<f64>,
}

impl FwiGrid {
    /// One cell per latitude (decimal degrees, −90..=90), all starting from `params.start`.
    pub fn new(latitudes: &[f64], params: FwiParams) -> Result<Self, FwiError> {
        params.validate()?;
        let mut dmc_b = Vec::with_capacity(latitudes.len());
        let mut dc_b = Vec::with_capacity(latitudes.len());
        for (cell, &lat) in latitudes.iter().enumerate() {
            let lat = check_latitude(lat).map_err(|e| FwiError::Cell { cell, source: Box::new(e) })?;
            // Band indices are < 5, so they fit in a u8.
            dmc_b.push(dmc_band(lat, params.lat_adjust) as u8);
            dc_b.push(dc_band(lat, params.lat_adjust) as u8);
        }
        let n = latitudes.len();
        let s = params.start;
        Ok(FwiGrid {
            params,
            dmc_band: dmc_b,
            dc_band: dc_b,
            ffmc: vec![s.ffmc(); n],
            dmc: vec![s.dmc(); n],
            dc: vec![s.dc(); n],
        })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ffmc.len()
    }

    /// True when the grid has no cells.
    pub fn is_empty(&self) -> bool {
        self.ffmc.is_empty()
    }

    /// The parameters in use.
    pub fn params(&self) -> &FwiParams {
        &self.params
    }

    /// Current FFMC per cell (today's after a step; the start-up value before the first).
    pub fn ffmc(&self) -> &[f64] {
        &self.ffmc
    }
    /// Current DMC per cell.
    pub fn dmc(&self) -> &[f64] {
        &self.dmc
    }
    /// Current DC per cell.
    pub fn dc(&self) -> &[f64] {
        &self.dc
    }

    /// Advances every cell by one day. All weather is validated first (as [`Weather::new`]);
    /// on error nothing changes and the error names the cell, the field and the value.
    pub fn step(&mut self, month: Month, weather: &GridWeather<'_>, out: &mut GridIndices) -> Result<(), FwiError> {
        let n = self.len();
        for (field, got) in [
            ("temp", weather.temp.len()),
            ("rh", weather.rh.len()),
            ("wind", weather.wind.len()),
            ("rain", weather.rain.len()),
        ] {
            if got != n {
                return Err(FwiError::Length { field, got, expected: n });
            }
        }
        validate(weather)?;
        for v in [&mut out.isi, &mut out.bui, &mut out.fwi, &mut out.dsr] {
            v.resize(n, 0.0);
        }
        let m = month.index();
        let le: [f64; 5] = std::array::from_fn(|b| DMC_TABLES[b][m]);
        let lf: [f64; 3] = std::array::from_fn(|b| DC_TABLES[b][m]);
        let k = self.params.ffmc_constant;

        let chunks = split(self, weather, out);
        let run = |c: Chunk<'_>| c.run(&le, &lf, k);
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            chunks.into_par_iter().for_each(run);
        }
        #[cfg(not(feature = "parallel"))]
        chunks.into_iter().for_each(run);
        Ok(())
    }
}

/// Checks every cell with a cheap vectorisable pass, then names the first bad cell.
fn validate(w: &GridWeather<'_>) -> Result<(), FwiError> {
    let all_ok = w.temp.iter().zip(w.rh).zip(w.wind).zip(w.rain).all(|(((&t, &h), &ws), &r)| {
        (-90.0..60.0).contains(&t)
            & (0.0..=100.0).contains(&h)
            & (0.0..=f64::MAX).contains(&ws)
            & (0.0..=f64::MAX).contains(&r)
    });
    if all_ok {
        return Ok(());
    }
    for cell in 0..w.temp.len() {
        if let Err(e) = Weather::new(w.temp[cell], w.rh[cell], w.wind[cell], w.rain[cell]) {
            return Err(FwiError::Cell { cell, source: Box::new(e) });
        }
    }
    Ok(())
}

/// A contiguous run of cells: disjoint mutable slices of the state and outputs.
struct Chunk<'a> {
    dmc_band: &'a [u8],
    dc_band: &'a [u8],
    ffmc: &'a mut [f64],
    dmc: &'a mut [f64],
    dc: &'a mut [f64],
    temp: &'a [f64],
    rh: &'a [f64],
    wind: &'a [f64],
    rain: &'a [f64],
    isi: &'a mut [f64],
    bui: &'a mut [f64],
    fwi: &'a mut [f64],
    dsr: &'a mut [f64],
}

impl Chunk<'_> {
    fn run(self, le: &[f64; 5], lf: &[f64; 3], k: f64) {
        for i in 0..self.ffmc.len() {
            let r = step_cell(
                self.ffmc[i],
                self.dmc[i],
                self.dc[i],
                self.temp[i],
                self.rh[i],
                self.wind[i],
                self.rain[i],
                le[usize::from(self.dmc_band[i])],
                lf[usize::from(self.dc_band[i])],
                k,
            );
            self.ffmc[i] = r.ffmc;
            self.dmc[i] = r.dmc;
            self.dc[i] = r.dc;
            self.isi[i] = r.isi;
            self.bui[i] = r.bui;
            self.fwi[i] = r.fwi;
            self.dsr[i] = r.dsr;
        }
    }
}

fn split<'a>(g: &'a mut FwiGrid, w: &GridWeather<'a>, out: &'a mut GridIndices) -> Vec<Chunk<'a>> {
    let mut chunks = Vec::with_capacity(g.len().div_ceil(CHUNK));
    let mut rest = Chunk {
        dmc_band: &g.dmc_band,
        dc_band: &g.dc_band,
        ffmc: &mut g.ffmc,
        dmc: &mut g.dmc,
        dc: &mut g.dc,
        temp: w.temp,
        rh: w.rh,
        wind: w.wind,
        rain: w.rain,
        isi: &mut out.isi,
        bui: &mut out.bui,
        fwi: &mut out.fwi,
        dsr: &mut out.dsr,
    };
    while rest.ffmc.len() > CHUNK {
        let (head, tail) = rest.split_at(CHUNK);
        chunks.push(head);
        rest = tail;
    }
    chunks.push(rest);
    chunks
}

impl<'a> Chunk<'a> {
    fn split_at(self, at: usize) -> (Chunk<'a>, Chunk<'a>) {
        let (b1, b2) = self.dmc_band.split_at(at);
        let (c1, c2) = self.dc_band.split_at(at);
        let (f1, f2) = self.ffmc.split_at_mut(at);
        let (d1, d2) = self.dmc.split_at_mut(at);
        let (k1, k2) = self.dc.split_at_mut(at);
        let (t1, t2) = self.temp.split_at(at);
        let (h1, h2) = self.rh.split_at(at);
        let (w1, w2) = self.wind.split_at(at);
        let (r1, r2) = self.rain.split_at(at);
        let (i1, i2) = self.isi.split_at_mut(at);
        let (u1, u2) = self.bui.split_at_mut(at);
        let (x1, x2) = self.fwi.split_at_mut(at);
        let (s1, s2) = self.dsr.split_at_mut(at);
        (
            Chunk {
                dmc_band: b1,
                dc_band: c1,
                ffmc: f1,
                dmc: d1,
                dc: k1,
                temp: t1,
                rh: h1,
                wind: w1,
                rain: r1,
                isi: i1,
                bui: u1,
                fwi: x1,
                dsr: s1,
            },
            Chunk {
                dmc_band: b2,
                dc_band: c2,
                ffmc: f2,
                dmc: d2,
                dc: k2,
                temp: t2,
                rh: h2,
                wind: w2,
                rain: r2,
                isi: i2,
                bui: u2,
                fwi: x2,
                dsr: s2,
            },
        )
    }
}
