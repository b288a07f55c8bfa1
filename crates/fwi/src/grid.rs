//! Many cells at once: struct-of-arrays state, one day step over all cells.

use crate::components::{DC_TABLES, DMC_TABLES, dc_band, dmc_band};
use crate::error::FwiError;
use crate::fast;
use crate::inputs::{Month, Weather, check_latitude};
use crate::station::FwiParams;

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
/// Computes the equations of [`crate::Station::step`] for each cell with a vectorised,
/// branch-free kernel and its own `exp`/`ln` (within 4 and 2 ulps of `std`), in passes over
/// chunks of cells (the rain phase only where it rained): a cell of the grid and a station at the
/// same latitude agree to rounding (tested within 1e-9 relative over a year of every branch; the
/// largest gap in that test is 7e-13). The grid's results are the same bits on every CPU (AVX-512,
/// AVX2 or baseline, picked at run time) and with or without the `parallel` feature.
#[derive(Debug, Clone)]
pub struct FwiGrid {
    params: FwiParams,
    dmc_band: Vec<u8>,
    dc_band: Vec<u8>,
    ffmc: Vec<f64>,
    /// The FFMC's moisture content (%), eq. 1 of `ffmc` (kept so that no cell-day divides for it).
    moisture: Vec<f64>,
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
        let m0 = fast::ffmc_moisture(s.ffmc(), params.ffmc_constant);
        Ok(FwiGrid {
            params,
            dmc_band: dmc_b,
            dc_band: dc_b,
            ffmc: vec![s.ffmc(); n],
            moisture: vec![m0; n],
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
        // The best instruction set of this CPU (AVX-512, AVX2+FMA or baseline).
        self.step_on(pulp::Arch::new(), month, weather, out)
    }

    /// [`FwiGrid::step`] with the instruction set chosen by the caller (the tests run them all).
    fn step_on(
        &mut self,
        arch: pulp::Arch,
        month: Month,
        weather: &GridWeather<'_>,
        out: &mut GridIndices,
    ) -> Result<(), FwiError> {
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
        validate(weather, arch)?;
        for v in [&mut out.isi, &mut out.bui, &mut out.fwi, &mut out.dsr] {
            v.resize(n, 0.0);
        }
        let m = month.index();
        let le: [f64; 5] = std::array::from_fn(|b| DMC_TABLES[b][m]);
        let lf: [f64; 3] = std::array::from_fn(|b| DC_TABLES[b][m]);
        let k = self.params.ffmc_constant;

        let chunks = split(self, weather, out);
        let m = fast::ffmc_moisture_line(k);
        // The scratch space is taken here, outside the code `dispatch` compiles for each
        // instruction set (a closure called through the thread-local would not be).
        let run = |chunk: Chunk<'_>| {
            SCRATCH.with_borrow_mut(|scratch| arch.dispatch(Run { chunk, scratch, le: &le, lf: &lf, k, m }))
        };
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

/// Checks every cell with a cheap vectorised pass (in parallel, chunk by chunk), then names the
/// first bad cell.
fn validate(w: &GridWeather<'_>, arch: pulp::Arch) -> Result<(), FwiError> {
    let n = w.temp.len();
    let chunk_ok = |c: usize| {
        let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(n));
        let (t, h, ws, r) = (&w.temp[lo..hi], &w.rh[lo..hi], &w.wind[lo..hi], &w.rain[lo..hi]);
        // No early exit, so that the loop vectorises: a fold of `&` over the chunk.
        arch.dispatch(|| {
            t.iter().zip(h).zip(ws).zip(r).fold(true, |ok, (((&t, &h), &ws), &r)| {
                ok & (-90.0..60.0).contains(&t)
                    & (0.0..=100.0).contains(&h)
                    & (0.0..=f64::MAX).contains(&ws)
                    & (0.0..=f64::MAX).contains(&r)
            })
        })
    };
    #[cfg(feature = "parallel")]
    let all_ok = {
        use rayon::prelude::*;
        (0..n.div_ceil(CHUNK)).into_par_iter().all(chunk_ok)
    };
    #[cfg(not(feature = "parallel"))]
    let all_ok = (0..n.div_ceil(CHUNK)).all(chunk_ok);
    if all_ok {
        return Ok(());
    }
    for cell in 0..n {
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
    moisture: &'a mut [f64],
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

/// One chunk's loop, compiled for each instruction set `pulp` dispatches to.
struct Run<'a, 'b> {
    chunk: Chunk<'a>,
    scratch: &'b mut Scratch,
    le: &'b [f64; 5],
    lf: &'b [f64; 3],
    k: f64,
    /// [`fast::ffmc_moisture_line`] of `k`.
    m: (f64, f64, f64),
}

impl pulp::WithSimd for Run<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.run();
    }
}

/// Scratch space of one chunk's step, kept per thread (no allocation per chunk and day).
#[derive(Default)]
struct Scratch {
    idx: Vec<u32>,
    vals: Vec<f64>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Number of `f64` scratch arrays of chunk length.
const SCRATCH_ARRAYS: usize = 5;

impl Run<'_, '_> {
    #[inline(always)]
    fn run(self) {
        let Run { chunk: c, scratch, le, lf, k, m } = self;
        let kern = fast::Kernel::new();
        let n = c.ffmc.len();
        if scratch.idx.len() < n {
            scratch.idx.resize(n, 0);
            scratch.vals.resize(SCRATCH_ARRAYS * n, 0.0);
        }
        let idx = &mut scratch.idx[..n];
        let (s0, rest) = scratch.vals.split_at_mut(n);
        let (s1, rest) = rest.split_at_mut(n);
        let (s2, rest) = rest.split_at_mut(n);
        let (s3, rest) = rest.split_at_mut(n);
        let s4 = &mut rest[..n];
        let (dmc_band, dc_band) = (&c.dmc_band[..n], &c.dc_band[..n]);
        let (ffmc, moisture, dmc, dc) = (&mut c.ffmc[..n], &mut c.moisture[..n], &mut c.dmc[..n], &mut c.dc[..n]);
        let (temp, rh, wind, rain) = (&c.temp[..n], &c.rh[..n], &c.wind[..n], &c.rain[..n]);
        let (isi, bui, fwi, dsr) = (&mut c.isi[..n], &mut c.bui[..n], &mut c.fwi[..n], &mut c.dsr[..n]);
        // Passes over the chunk (its 17 arrays of at most 32 KB stay in the L2 cache, mostly;
        // 2,048-cell chunks measured no faster), each a loop the compiler vectorises, short
        // enough that few values are live (fewer spills) and that the processor overlaps the
        // dependency chains of many cells.
        // 1: the rain phase of the three codes, only for the cells where it rained (> 0.5 mm):
        // their values gathered into short arrays, computed, scattered back.
        let wet = indices_where(n, idx, |i| rain[i] > 0.5);
        let (w_rain, w_moisture, w_dmc, w_dc) =
            (&mut s0[..wet.len()], &mut s1[..wet.len()], &mut s2[..wet.len()], &mut s3[..wet.len()]);
        for (j, &i) in wet.iter().enumerate() {
            let i = i as usize;
            (w_rain[j], w_moisture[j], w_dmc[j], w_dc[j]) = (rain[i], moisture[i], dmc[i], dc[i]);
        }
        rain_phase(&kern, w_rain, w_moisture, w_dmc, w_dc, &mut s4[..wet.len()]);
        for (j, &i) in wet.iter().enumerate() {
            let i = i as usize;
            (moisture[i], dmc[i], dc[i]) = (w_moisture[j], w_dmc[j], w_dc[j]);
        }
        // 2: the drying phase of the FFMC, every cell: the terms of the weather alone, then the
        // moisture.
        let (ed, ew, te, ln_dry, ln_wet) = (&mut s0[..n], &mut s1[..n], &mut s2[..n], &mut s3[..n], &mut s4[..n]);
        ffmc_weather(&kern, temp, rh, ed, ew, te, ln_dry, ln_wet);
        ffmc_dry(&kern, [ed, ew, te, ln_dry, ln_wet], rh, wind, k, m, moisture, ffmc);
        // 3: the drying phase of the DMC and DC; day-length terms by band, one value where the
        // whole chunk is in one band (the usual case), else selected per cell (no gather).
        let one_band = |b: &[u8]| b.iter().fold(true, |same, &x| same & (x == b[0]));
        if one_band(dmc_band) && one_band(dc_band) {
            let (le_0, lf_0) = (le[usize::from(dmc_band[0])], lf[usize::from(dc_band[0])]);
            for i in 0..n {
                dmc[i] = kern.dmc_dry(dmc[i], temp[i], fast::effective_rh(rh[i]), le_0);
                dc[i] = kern.dc_dry(dc[i], temp[i], lf_0);
            }
        } else {
            for i in 0..n {
                let b = dmc_band[i];
                let le_i = if b == 0 {
                    le[0]
                } else if b == 1 {
                    le[1]
                } else if b == 2 {
                    le[2]
                } else if b == 3 {
                    le[3]
                } else {
                    le[4]
                };
                let b = dc_band[i];
                let lf_i = if b == 0 {
                    lf[0]
                } else if b == 1 {
                    lf[1]
                } else {
                    lf[2]
                };
                dmc[i] = kern.dmc_dry(dmc[i], temp[i], fast::effective_rh(rh[i]), le_i);
                dc[i] = kern.dc_dry(dc[i], temp[i], lf_i);
            }
        }
        // 4: the behaviour indices from today's codes, one loop each. The BUI's eq. 27b only
        // where it applies (DMC above about 0.4·DC), gathered like the rain phase.
        isi_pass(&kern, moisture, wind, isi);
        bui_pass(&kern, dmc, dc, bui);
        let low = indices_where(n, idx, |i| bui[i] < dmc[i]);
        let (l_dmc, l_u, l_tmp) = (&mut s0[..low.len()], &mut s1[..low.len()], &mut s2[..low.len()]);
        for (j, &i) in low.iter().enumerate() {
            (l_dmc[j], l_u[j]) = (dmc[i as usize], bui[i as usize]);
        }
        bui_low_pass(&kern, l_dmc, l_u, l_tmp);
        for (j, &i) in low.iter().enumerate() {
            bui[i as usize] = l_u[j];
        }
        fwi_pass(&kern, isi, bui, fwi, dsr, &mut s0[..n]);
    }
}

// The passes, as functions of distinct slices: once inlined, the compiler still knows that
// the slices do not overlap (Rust's `&mut` guarantee, kept as alias metadata), which it needs
// to vectorise a loop that writes several arrays.

/// Each loop's dependency chain holds at most one exponential or logarithm (a logarithm whose
/// result another loop needs is stored in `tmp`), so that the processor overlaps many cells.
#[inline(always)]
fn rain_phase(
    kern: &fast::Kernel,
    rain: &[f64],
    moisture: &mut [f64],
    dmc: &mut [f64],
    dc: &mut [f64],
    tmp: &mut [f64],
) {
    let n = rain.len();
    let (moisture, dmc, dc, tmp) = (&mut moisture[..n], &mut dmc[..n], &mut dc[..n], &mut tmp[..n]);
    for j in 0..n {
        moisture[j] = kern.ffmc_rain(moisture[j], rain[j]);
    }
    for j in 0..n {
        tmp[j] = kern.dmc_rain_moisture(dmc[j], rain[j]);
    }
    for t in tmp.iter_mut() {
        *t = kern.ln(*t);
    }
    for j in 0..n {
        dmc[j] = kern.dmc_rain(dmc[j], rain[j], tmp[j]);
    }
    for j in 0..n {
        tmp[j] = kern.dc_rain_ratio(dc[j], rain[j]);
    }
    for t in tmp.iter_mut() {
        *t = kern.ln(*t);
    }
    for j in 0..n {
        dc[j] = kern.dc_rain(dc[j], rain[j], tmp[j]);
    }
}

/// The five outputs as separate arguments (references inside an array carry no alias
/// guarantee, and the loop would not vectorise).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn ffmc_weather(
    kern: &fast::Kernel,
    temp: &[f64],
    rh: &[f64],
    ed: &mut [f64],
    ew: &mut [f64],
    te: &mut [f64],
    ln_dry: &mut [f64],
    ln_wet: &mut [f64],
) {
    let n = temp.len();
    let rh = &rh[..n];
    let (ed, ew, te, ln_dry, ln_wet) = (&mut ed[..n], &mut ew[..n], &mut te[..n], &mut ln_dry[..n], &mut ln_wet[..n]);
    // Two loops: the logarithms (ln rh kept in `ed` for the moment), then eqs. 4, 5.
    for i in 0..n {
        (ed[i], ln_wet[i], te[i]) = kern.ffmc_weather_logs(temp[i], fast::effective_rh(rh[i]));
    }
    for i in 0..n {
        let ln_rh = ed[i];
        (ed[i], ew[i]) = kern.ffmc_equilibrium(temp[i], fast::effective_rh(rh[i]), ln_rh);
        ln_dry[i] = ln_rh - fast::LN_100;
    }
}

/// Two loops, each with a short dependency chain: the rate (stored in `te`), then the rest.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn ffmc_dry(
    kern: &fast::Kernel,
    weather: [&mut [f64]; 5],
    rh: &[f64],
    wind: &[f64],
    k: f64,
    m: (f64, f64, f64),
    moisture: &mut [f64],
    ffmc: &mut [f64],
) {
    let n = ffmc.len();
    let [ed, ew, te, ln_dry, ln_wet] = weather;
    let (ed, ew, ln_dry, ln_wet) = (&ed[..n], &ew[..n], &ln_dry[..n], &ln_wet[..n]);
    let (rh, wind, moisture, rate) = (&rh[..n], &wind[..n], &mut moisture[..n], &mut te[..n]);
    for i in 0..n {
        let w = fast::FfmcWeather { ed: ed[i], temp_effect: rate[i], ln_h_drying: ln_dry[i], ln_h_wetting: ln_wet[i] };
        rate[i] = kern.ffmc_rate(moisture[i], &w, fast::effective_rh(rh[i]), wind[i]);
    }
    for i in 0..n {
        (ffmc[i], moisture[i]) = kern.ffmc_dry(moisture[i], ed[i], ew[i], rate[i], k, m);
    }
}

/// ln `fm` first (kept in `isi` for the moment), then the ISI.
#[inline(always)]
fn isi_pass(kern: &fast::Kernel, moisture: &[f64], wind: &[f64], isi: &mut [f64]) {
    let n = isi.len();
    let (moisture, wind) = (&moisture[..n], &wind[..n]);
    for i in 0..n {
        isi[i] = kern.ln(moisture[i]);
    }
    for i in 0..n {
        isi[i] = kern.isi(moisture[i], isi[i], wind[i]);
    }
}

#[inline(always)]
fn bui_pass(kern: &fast::Kernel, dmc: &[f64], dc: &[f64], bui: &mut [f64]) {
    let n = bui.len();
    let (dmc, dc) = (&dmc[..n], &dc[..n]);
    for i in 0..n {
        bui[i] = kern.bui_high(dmc[i], dc[i]);
    }
}

#[inline(always)]
fn bui_low_pass(kern: &fast::Kernel, dmc: &[f64], bui: &mut [f64], tmp: &mut [f64]) {
    let n = bui.len();
    let (dmc, tmp) = (&dmc[..n], &mut tmp[..n]);
    for i in 0..n {
        tmp[i] = kern.ln(0.0114 * dmc[i]);
    }
    for i in 0..n {
        bui[i] = kern.bui_low(dmc[i], tmp[i], bui[i]);
    }
}

/// Loops with one exponential or logarithm in each dependency chain: ln BUI (in `dsr` for the
/// moment), `B` (in `fwi`), ln `B` (in `dsr`), ln(0.434·ln `B`) (in `tmp`), ln FWI (in `dsr`),
/// then FWI and DSR.
#[inline(always)]
fn fwi_pass(kern: &fast::Kernel, isi: &[f64], bui: &[f64], fwi: &mut [f64], dsr: &mut [f64], tmp: &mut [f64]) {
    let n = fwi.len();
    let (isi, bui, dsr, tmp) = (&isi[..n], &bui[..n], &mut dsr[..n], &mut tmp[..n]);
    for i in 0..n {
        dsr[i] = kern.ln(bui[i]);
    }
    for i in 0..n {
        fwi[i] = kern.fwi_b(isi[i], bui[i], dsr[i]);
    }
    for i in 0..n {
        dsr[i] = kern.ln_inf(fwi[i]);
    }
    for i in 0..n {
        tmp[i] = kern.ln_inf(0.434 * dsr[i]);
    }
    for i in 0..n {
        dsr[i] = kern.fwi_ln(fwi[i], dsr[i], tmp[i]);
    }
    for i in 0..n {
        (fwi[i], dsr[i]) = kern.fwi_dsr(fwi[i], dsr[i]);
    }
}

/// The indices `i < n` where `pred(i)` holds, in increasing order, written to the front of
/// `idx` (of length ≥ n): a bit mask per 64 cells (no branch per cell), then its set bits.
#[inline(always)]
fn indices_where(n: usize, idx: &mut [u32], pred: impl Fn(usize) -> bool) -> &[u32] {
    let mut count = 0;
    for base in (0..n).step_by(64) {
        let mut mask = 0u64;
        for b in 0..64.min(n - base) {
            mask |= u64::from(pred(base + b)) << b;
        }
        while mask != 0 {
            // Cell indices are below CHUNK, far below 2^32.
            idx[count] = (base + mask.trailing_zeros() as usize) as u32;
            count += 1;
            mask &= mask - 1;
        }
    }
    &idx[..count]
}

fn split<'a>(g: &'a mut FwiGrid, w: &GridWeather<'a>, out: &'a mut GridIndices) -> Vec<Chunk<'a>> {
    let mut chunks = Vec::with_capacity(g.len().div_ceil(CHUNK));
    let mut rest = Chunk {
        dmc_band: &g.dmc_band,
        dc_band: &g.dc_band,
        ffmc: &mut g.ffmc,
        moisture: &mut g.moisture,
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
        let (m1, m2) = self.moisture.split_at_mut(at);
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
                moisture: m1,
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
                moisture: m2,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instruction set gives the same bits: the kernel uses only correctly rounded IEEE
    /// operations (+ − × ÷ √ and fused multiply-add, which is a library call without FMA).
    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let n = 4096 + 333;
        let lats: Vec<f64> = (0..n).map(|i| -90.0 + 180.0 * i as f64 / (n - 1) as f64).collect();
        #[allow(unused_mut)]
        let mut arches = vec![pulp::Arch::Scalar];
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            if let Some(v3) = pulp::x86::V3::try_new() {
                arches.push(pulp::Arch::V3(v3));
            }
            if let Some(v4) = pulp::x86::V4::try_new() {
                arches.push(pulp::Arch::V4(v4));
            }
        }
        let mut runs = Vec::new();
        for &arch in &arches {
            let mut g = FwiGrid::new(&lats, FwiParams::default()).unwrap_or_else(|e| panic!("{e}"));
            let mut out = GridIndices::default();
            let mut all = Vec::new();
            for day in 0..60usize {
                let f = |i: usize, k: usize| (((i * 7919 + day * 104_729 + k * 31) % 1000) as f64) / 1000.0;
                let temp: Vec<f64> = (0..n).map(|i| -10.0 + 45.0 * f(i, 1)).collect();
                let rh: Vec<f64> = (0..n).map(|i| if i % 37 == 0 { 100.0 } else { 100.0 * f(i, 2) }).collect();
                let wind: Vec<f64> = (0..n).map(|i| 60.0 * f(i, 3)).collect();
                let rain: Vec<f64> = (0..n).map(|i| if f(i, 4) < 0.3 { 30.0 * f(i, 5) } else { 0.0 }).collect();
                let month = Month::new((day % 12 + 1) as i64).unwrap_or_else(|e| panic!("{e}"));
                let gw = GridWeather { temp: &temp, rh: &rh, wind: &wind, rain: &rain };
                g.step_on(arch, month, &gw, &mut out).unwrap_or_else(|e| panic!("{e}"));
                for v in [g.ffmc(), g.dmc(), g.dc(), &out.isi, &out.bui, &out.fwi, &out.dsr] {
                    all.extend(v.iter().map(|x| x.to_bits()));
                }
            }
            runs.push(all);
        }
        for (arch, run) in arches.iter().zip(&runs).skip(1) {
            assert!(run == &runs[0], "{arch:?} differs from the scalar path");
        }
    }
}
