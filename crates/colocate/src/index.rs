//! The case index and the streaming probe: the engine of the co-location join.
//!
//! # Algorithm
//! The small side (case points) is replicated into every grid cell its neighbourhood can
//! reach; each point of the big side (others) then computes exactly one cell and makes one
//! hash probe. Pruning only ever discards pairs that cannot pass the final test, which is the
//! haversine formula with `<=`, so the result equals the brute force exactly.
//!
//! **Cells.** A cell is (time bucket, latitude band, longitude column):
//! - time buckets are `2^k` seconds wide (≥ `bucket_factor`·`window_s`, ≥ 64 s), counted from
//!   the earliest case time minus the window; an other point outside
//!   `[min t_case − Δt, max t_case + Δt]` is rejected by two integer comparisons;
//! - latitude bands have a height of `max(cell_factor · radius, 10 m)`; each band is split
//!   into longitude columns of about the same width measured at the band's poleward edge, so
//!   columns are wider in degrees towards the poles and a polar band has few columns; column
//!   numbers wrap around at ±180°;
//! - each cell is further divided into 64 sub-buckets in time and 8 × 8 sub-cells in space;
//!   the cell's slot carries two 64-bit masks saying which sub-buckets and which sub-cells
//!   some case point's neighbourhood touches, so most other points that land in an occupied
//!   cell are still rejected without touching the case points.
//!
//! Every grid coordinate is computed as `floor((x + offset) · k)` with the same floating-point
//! expression for case and other points (sub-cell indices by scaling `k` by 8 or 64, exact in
//! binary floating point), so a monotone argument shows the coverage is consistent.
//!
//! **Neighbourhoods.** A case point at (t, φ, λ) marks every (sub-)cell that can hold a point
//! within the distance — the spherical cap of angular radius θ = r/R, widened to
//! θ' = θ·(1 + 10⁻⁷) + 10⁻¹⁰ rad, far above the rounding error of the haversine formula —
//! within the window: the sub-buckets covering `[t − Δt, t + Δt]`, the sub-bands covering
//! `[φ − θ', φ + θ']` and, in each band, the sub-columns covering `[λ − w, λ + w]` modulo 360°,
//! where `w = asin(sin θ' / cos φ)` is the exact longitude half-extent of a cap that does not
//! contain a pole (spherical right triangle pole–centre–tangent point), widened by a relative
//! 10⁻⁷ and 10⁻⁹°. A cap reaching a pole takes every column of its bands; θ' ≥ 1.5 rad puts
//! everything in one cell per bucket.
//!
//! Only the latitude bands the case neighbourhoods reach get a column table; others outside
//! them are rejected by one comparison.
//!
//! **Probe.** Per other point: the input validation (two range checks), a time range check,
//! one multiply-and-truncate per axis, one hash probe in the bucket's own small table (so a
//! time-ordered input works in a cache-sized part of the index), two mask bits, and only then
//! the cell's case points (stored inline: time, position, cos φ, key), each tested on time,
//! latitude and finally the haversine distance. Rows go through in batches of 16: the first
//! pass computes the cells and loads their hash slots (independent loads, so cache misses
//! overlap), the second finishes the probes. No allocation except when a new link is found.
//! Defaults (cells of 8 × radius, buckets of ≥ 4 × window) were chosen on the synthetic city
//! benchmark (`benches/colocate.rs`, `FIREBREAK_COLOCATE_TUNE=1`).

use rayon::prelude::*;

use crate::acc::{Accumulator, Pair};
use crate::error::{Error, Side, check_coords};
use crate::geo::{EARTH_RADIUS_M, Pre, distance_pre};
use crate::params::Params;
use crate::points::Points;

/// Tuning knobs of the grid. They change speed and memory only, never the result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// Cell size as a multiple of the radius (default 8.0).
    pub cell_factor: f64,
    /// Smallest cell size, metres (default 10.0; the key packing needs ≥ 9.6 m).
    pub min_cell_m: f64,
    /// Time bucket width as a multiple of the window, rounded up to a power of two seconds
    /// (default 4.0).
    pub bucket_factor: f64,
    /// Smallest time bucket, seconds (default 64, also the smallest allowed).
    pub min_bucket_s: i64,
    /// Rows of others per parallel task (default 65,536).
    pub chunk_rows: usize,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning { cell_factor: 8.0, min_cell_m: 10.0, bucket_factor: 4.0, min_bucket_s: 64, chunk_rows: 1 << 16 }
    }
}

const COL_BITS: u32 = 21;
const MAX_BANDS: u64 = 1 << 21;
const MAX_COLS: u64 = 1 << 21;
/// log2 of sub-cells per cell side.
const SUB: u32 = 3;
/// log2 of sub-buckets per bucket.
const TSUB: u32 = 6;
const MAX_BUCKETS: u64 = 1 << 18;
const HASH_MUL: u64 = 0x9E37_79B9_7F4A_7C15;
/// Relative safety margin on the angular radius.
const MARGIN_REL: f64 = 1e-7;
/// Absolute safety margin on the angular radius, radians (≈ 0.6 mm).
const MARGIN_ABS_RAD: f64 = 1e-10;
/// Beyond this angular radius (radians) every case point is put in one cell per bucket.
const FULL_SPHERE_RAD: f64 = 1.5;

/// A case point as stored in a cell: time (s), position (degrees), cos φ, case key.
#[derive(Debug, Clone, Copy)]
struct Entry {
    t: i64,
    lat: f64,
    lon: f64,
    cos_phi: f64,
    key: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// `band << COL_BITS | col` (the bucket is implied by the region).
    cell: u64,
    start: u32,
    /// 0 marks an empty slot (an occupied slot holds at least one entry).
    end: u32,
    /// Sub-buckets touched by some case point's window.
    tmask: u64,
    /// Sub-cells (row · 8 + column) touched by some case point's cap.
    smask: u64,
}

/// Rows of others handled per batch in the probe.
const BATCH: usize = 16;

/// One other point between the two phases of a batch.
#[derive(Debug, Clone, Copy, Default)]
struct Pending {
    slot: Slot,
    region: Region,
    h: usize,
    cell: u64,
    tbit: u32,
    sbit: u32,
    row: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct Region {
    base: usize,
    mask: usize,
}

#[derive(Debug, Clone, Copy)]
struct Band {
    /// Sub-columns per degree of longitude (8 per column).
    kc8: f64,
    /// Sub-columns around the band (8 × columns).
    n8: u32,
}

/// The case points of a query, indexed for streaming the others' points past them.
///
/// Build it once per query ([`CaseIndex::build`]) or once per partition time range
/// ([`CaseIndex::build_for_range`]). It holds the case points replicated into the cells
/// they can reach (40 bytes per entry, typically 2–4 entries per case point) plus a hash
/// slot (32 bytes) per occupied cell, and is shared read-only by the probing threads.
#[derive(Debug, Clone)]
pub struct CaseIndex {
    params: Params,
    tuning: Tuning,
    case_points: usize,
    /// Others with t outside `[t_lo, t_hi]` cannot match; `t_lo > t_hi` when there are no cases.
    t_lo: i64,
    t_hi: i64,
    /// log2 of the bucket width, seconds (≥ `TSUB`).
    shift: u32,
    /// Sub-bands per degree of latitude.
    kb8: f64,
    /// Number of sub-bands (8 × bands).
    nb8: u32,
    /// First band with columns; `bands[i]` describes band `band_lo + i`.
    band_lo: u32,
    bands: Vec<Band>,
    /// Angular radius with margin, degrees (latitude pre-test).
    delta_deg: f64,
    regions: Vec<Region>,
    slots: Vec<Slot>,
    entries: Vec<Entry>,
}

/// One case point's membership of one cell, before grouping.
#[derive(Debug, Clone, Copy)]
struct Keyed {
    bucket: u32,
    cell: u64,
    idx: u32,
    tmask: u64,
    smask: u64,
}

/// Bits `lo..=hi` set (0 ≤ lo ≤ hi ≤ 63).
#[inline]
fn bit_range(lo: u64, hi: u64) -> u64 {
    (u64::MAX >> (63 - (hi - lo))) << lo
}

#[inline]
fn region_hash(cell: u64) -> usize {
    (cell.wrapping_mul(HASH_MUL) >> 32) as usize
}

impl CaseIndex {
    /// Indexes all of `cases` (keys = case ids, t seconds UTC, lat/lon degrees) for the query
    /// `params`, with default [`Tuning`]. Errors name the first bad case row (coordinates
    /// outside the valid ranges or NaN, `t ± window_s` overflowing i64). No case points gives
    /// an index that matches nothing.
    pub fn build(cases: Points<'_>, params: &Params) -> Result<CaseIndex, Error> {
        Self::build_tuned(cases, params, Tuning::default(), None)
    }

    /// Indexes only the case points that can match others with `from_s <= t < to_s`
    /// (seconds, UTC): those with `from_s − window_s <= t <= to_s + window_s`. Use it to process
    /// a store partitioned by time (e.g. one UTC day `[D, D + 86,400)`) with memory bounded by
    /// the case points near that partition: a case point before midnight still matches others
    /// just after it, because the case side is widened by the window, not the others. All
    /// case rows are still validated.
    pub fn build_for_range(cases: Points<'_>, params: &Params, from_s: i64, to_s: i64) -> Result<CaseIndex, Error> {
        Self::build_tuned(cases, params, Tuning::default(), Some((from_s, to_s)))
    }

    /// [`CaseIndex::build`] (or, with `range = Some((from_s, to_s))`,
    /// [`CaseIndex::build_for_range`]) with explicit [`Tuning`].
    pub fn build_tuned(
        cases: Points<'_>,
        params: &Params,
        tuning: Tuning,
        range: Option<(i64, i64)>,
    ) -> Result<CaseIndex, Error> {
        let w = params.window_s();
        // Validate every case row first (lowest bad row wins, as in the brute force).
        for i in 0..cases.len() {
            check_case_row(cases, i, w)?;
        }
        let keep = |t: i64| match range {
            None => true,
            Some((from, to)) => t >= from.saturating_sub(w) && t <= to.saturating_add(w),
        };
        let mut pts: Vec<Entry> = Vec::new();
        for i in 0..cases.len() {
            let t = cases.times()[i];
            if keep(t) {
                let (lat, lon) = (cases.lats()[i], cases.lons()[i]);
                pts.push(Entry { t, lat, lon, cos_phi: Pre::new(lat, lon).cos_phi(), key: cases.keys()[i] });
            }
        }

        let theta = params.radius_m() / EARTH_RADIUS_M;
        let theta_m = theta * (1.0 + MARGIN_REL) + MARGIN_ABS_RAD;
        let full_sphere = theta_m >= FULL_SPHERE_RAD;
        let delta_deg = theta_m.to_degrees();

        // Time buckets: checked above, `t ± w` does not overflow.
        let (t_lo, t_hi) = match (pts.iter().map(|e| e.t).min(), pts.iter().map(|e| e.t).max()) {
            (Some(a), Some(b)) => (a - w, b + w),
            _ => (0, -1),
        };
        let span = if pts.is_empty() { 0 } else { t_hi.wrapping_sub(t_lo) as u64 };
        let target = (tuning.bucket_factor * w as f64).max(tuning.min_bucket_s as f64).clamp(64.0, 2f64.powi(62));
        let mut shift = (target as u64).next_power_of_two().trailing_zeros().max(TSUB);
        while shift < 63 && (span >> shift) >= MAX_BUCKETS {
            shift += 1;
        }
        let nbuckets = if pts.is_empty() { 0 } else { (span >> shift) as usize + 1 };

        // Latitude bands; only those the case neighbourhoods reach get columns (others outside
        // them are rejected by one comparison).
        let nb = if full_sphere {
            1u32
        } else {
            let cell_m = (tuning.cell_factor * params.radius_m()).max(tuning.min_cell_m.max(10.0));
            let cell_deg = (cell_m / EARTH_RADIUS_M).to_degrees();
            ((180.0 / cell_deg).ceil() as u64).clamp(1, MAX_BANDS - 1) as u32
        };
        let kb8 = f64::from(nb) / 180.0 * 8.0;
        let nb8 = nb << SUB;
        let sub_band = |lat: f64| (((lat + 90.0) * kb8).floor().max(0.0) as u32).min(nb8 - 1);
        let band_lo = pts.iter().map(|e| sub_band(e.lat - delta_deg) >> SUB).min().unwrap_or(0);
        let band_hi = pts.iter().map(|e| sub_band(e.lat + delta_deg) >> SUB).max().unwrap_or(0);
        let hb = 180.0 / f64::from(nb);
        let bands: Vec<Band> = (band_lo..=band_hi)
            .map(|b| {
                // Columns about one band height wide at the band's poleward edge.
                let lo = -90.0 + f64::from(b) * hb;
                let pole_edge = lo.abs().max((lo + hb).abs()).min(90.0);
                let width = 360.0 * pole_edge.to_radians().cos() / hb;
                let ncols = if full_sphere { 1 } else { (width.floor() as u64).clamp(1, MAX_COLS - 1) as u32 };
                Band { kc8: f64::from(ncols) / 360.0 * 8.0, n8: ncols << SUB }
            })
            .collect();

        // Replicate each case point into the cells its neighbourhood reaches.
        let mut keyed: Vec<Keyed> = Vec::with_capacity(pts.len() * 4);
        let mut cols: Vec<(u32, u64)> = Vec::new();
        let sin_theta = theta_m.sin();
        for (idx, e) in pts.iter().enumerate() {
            let idx = idx as u32;
            let f0 = ((e.t - w).wrapping_sub(t_lo) as u64) >> (shift - TSUB);
            let f1 = ((e.t + w).wrapping_sub(t_lo) as u64) >> (shift - TSUB);
            let lat_lo = e.lat - delta_deg;
            let lat_hi = e.lat + delta_deg;
            let fb0 = sub_band(lat_lo);
            let fb1 = sub_band(lat_hi);
            let s = sin_theta / e.lat.to_radians().cos();
            let all_cols = full_sphere || lat_hi >= 90.0 || lat_lo <= -90.0 || s >= 1.0 || s.is_nan();
            let half_w = if all_cols { 0.0 } else { s.asin().to_degrees() * (1.0 + MARGIN_REL) + 1e-9 };
            for band in (fb0 >> SUB)..=(fb1 >> SUB) {
                let rows = bit_range(
                    u64::from(fb0.max(band << SUB) - (band << SUB)),
                    u64::from(fb1.min((band << SUB) + 7) - (band << SUB)),
                );
                let bd = bands[(band - band_lo) as usize];
                let n8 = i64::from(bd.n8);
                let fc0 = ((e.lon - half_w + 180.0) * bd.kc8).floor() as i64;
                let fc1 = ((e.lon + half_w + 180.0) * bd.kc8).floor() as i64;
                cols.clear();
                if all_cols || fc1 - fc0 + 1 >= n8 {
                    cols.extend((0..bd.n8 >> SUB).map(|c| (c, 0xFFu64)));
                } else {
                    let ncols = n8 >> SUB;
                    for c in fc0.div_euclid(8)..=fc1.div_euclid(8) {
                        let lo = fc0.max(c * 8) - c * 8;
                        let hi = fc1.min(c * 8 + 7) - c * 8;
                        let bits = bit_range(lo as u64, hi as u64);
                        let col = c.rem_euclid(ncols) as u32;
                        match cols.iter_mut().find(|(k, _)| *k == col) {
                            Some((_, b)) => *b |= bits,
                            None => cols.push((col, bits)),
                        }
                    }
                }
                for bucket in (f0 >> TSUB)..=(f1 >> TSUB) {
                    let tmask = bit_range(
                        f0.max(bucket << TSUB) - (bucket << TSUB),
                        f1.min((bucket << TSUB) + 63) - (bucket << TSUB),
                    );
                    for &(col, colbits) in &cols {
                        let mut smask = 0u64;
                        for r in 0..8 {
                            if rows >> r & 1 == 1 {
                                smask |= colbits << (8 * r);
                            }
                        }
                        keyed.push(Keyed {
                            bucket: bucket as u32,
                            cell: (u64::from(band) << COL_BITS) | u64::from(col),
                            idx,
                            tmask,
                            smask,
                        });
                    }
                }
            }
        }
        if keyed.len() >= u32::MAX as usize {
            return Err(Error::IndexTooLarge { entries: keyed.len() });
        }
        keyed.par_sort_unstable_by_key(|k| (k.bucket, k.cell, k.idx));

        // Per bucket, a power-of-two open-addressing region sized for ~70 % load; slot 0 is an
        // always-empty slot shared by the empty buckets.
        let mut regions = vec![Region::default(); nbuckets];
        let mut total = 1usize;
        let mut i = 0;
        while i < keyed.len() {
            let b = keyed[i].bucket;
            let mut cells = 0usize;
            let mut last = None;
            while i < keyed.len() && keyed[i].bucket == b {
                if last != Some(keyed[i].cell) {
                    cells += 1;
                    last = Some(keyed[i].cell);
                }
                i += 1;
            }
            let size = (cells + cells / 2 + 1).next_power_of_two();
            regions[b as usize] = Region { base: total, mask: size - 1 };
            total += size;
        }
        let mut slots = vec![Slot::default(); total];
        let mut entries = Vec::with_capacity(keyed.len());
        let mut i = 0;
        while i < keyed.len() {
            let (b, cell) = (keyed[i].bucket, keyed[i].cell);
            let start = entries.len() as u32;
            let (mut tmask, mut smask) = (0u64, 0u64);
            while i < keyed.len() && keyed[i].bucket == b && keyed[i].cell == cell {
                entries.push(pts[keyed[i].idx as usize]);
                tmask |= keyed[i].tmask;
                smask |= keyed[i].smask;
                i += 1;
            }
            let r = regions[b as usize];
            let mut h = region_hash(cell);
            while slots[r.base + (h & r.mask)].end != 0 {
                h += 1;
            }
            slots[r.base + (h & r.mask)] = Slot { cell, start, end: entries.len() as u32, tmask, smask };
        }

        Ok(CaseIndex {
            params: *params,
            tuning,
            case_points: pts.len(),
            t_lo,
            t_hi,
            shift,
            kb8,
            nb8,
            band_lo,
            bands,
            delta_deg,
            regions,
            slots,
            entries,
        })
    }

    /// The query parameters the index was built for.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Number of case points indexed.
    pub fn case_points(&self) -> usize {
        self.case_points
    }

    /// Number of (cell, case point) entries: case points × replication.
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Approximate heap size of the index, bytes.
    pub fn heap_bytes(&self) -> usize {
        self.entries.len() * std::mem::size_of::<Entry>()
            + self.slots.len() * std::mem::size_of::<Slot>()
            + self.regions.len() * std::mem::size_of::<Region>()
            + self.bands.len() * std::mem::size_of::<Band>()
    }

    /// A new empty accumulator for this index's query.
    pub fn accumulator(&self) -> Accumulator {
        Accumulator::new(self.params)
    }

    /// Streams one batch of others' points (keys = person ids, t seconds UTC, lat/lon degrees;
    /// any order, though time-ordered rows keep the working set of the index small) past the
    /// case points and adds every matched pair to `acc`. Uses the rayon thread pool
    /// (deterministic: the result does not depend on the number of threads).
    ///
    /// Every row is validated; on an error (the lowest bad row of this batch) `acc` is left as
    /// it was. A pair whose two keys are equal (a case's own points among the others) is
    /// skipped. Call it once per partition: each other point must be passed exactly once.
    pub fn probe(&self, acc: &mut Accumulator, others: Points<'_>) -> Result<(), Error> {
        if acc.params() != &self.params {
            return Err(Error::ParamsMismatch { left: *acc.params(), right: self.params });
        }
        let n = others.len();
        let chunk = self.tuning.chunk_rows.max(1024);
        let local = if n <= chunk || rayon::current_num_threads() <= 1 {
            let mut a = self.accumulator();
            self.probe_chunk(others, 0, &mut a)?;
            a
        } else {
            (0..n.div_ceil(chunk))
                .into_par_iter()
                // Each worker folds its run of chunks, in row order, into one accumulator and
                // stops at its first bad row; the reduction keeps the lowest bad row.
                .fold(
                    || Ok(self.accumulator()),
                    |a: Result<Accumulator, Error>, ci| {
                        let mut a = a?;
                        let start = ci * chunk;
                        let end = (start + chunk).min(n);
                        self.probe_chunk(others.slice(start, end), start, &mut a)?;
                        Ok(a)
                    },
                )
                .reduce(
                    || Ok(self.accumulator()),
                    |a, b| match (a, b) {
                        (Ok(mut a), Ok(b)) => {
                            a.merge_same(b);
                            Ok(a)
                        }
                        (Err(x), Err(y)) => Err(if y.row() < x.row() { y } else { x }),
                        (Err(x), Ok(_)) | (Ok(_), Err(x)) => Err(x),
                    },
                )?
        };
        acc.merge_same(local);
        Ok(())
    }

    /// The hot loop over one chunk; `row0` is the chunk's first row in the caller's batch.
    fn probe_chunk(&self, pts: Points<'_>, row0: usize, acc: &mut Accumulator) -> Result<(), Error> {
        let keys = pts.keys();
        let n = keys.len();
        let (ts, lats, lons) = (&pts.times()[..n], &pts.lats()[..n], &pts.lons()[..n]);
        let window = self.params.window_s() as u64;
        let radius = self.params.radius_m();
        let tsub_shift = self.shift - TSUB;
        let mut buf = [Pending::default(); BATCH];
        let mut start = 0;
        while start < n {
            let end = (start + BATCH).min(n);
            // Phase 1: validate, compute the cell and load its first hash slot, for a whole
            // batch: the loads are independent, so their cache misses overlap.
            let mut m = 0;
            for i in start..end {
                let lat = lats[i];
                let lon = lons[i];
                if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
                    return check_coords(Side::Other, row0 + i, lat, lon);
                }
                let t = ts[i];
                if t < self.t_lo || t > self.t_hi {
                    continue;
                }
                let ft = (t.wrapping_sub(self.t_lo) as u64) >> tsub_shift;
                let region = self.regions[(ft >> TSUB) as usize];
                let fb = (((lat + 90.0) * self.kb8) as u32).min(self.nb8 - 1);
                let band = fb >> SUB;
                let Some(&bd) = self.bands.get(band.wrapping_sub(self.band_lo) as usize) else {
                    continue;
                };
                let mut fc = ((lon + 180.0) * bd.kc8) as u32;
                if fc >= bd.n8 {
                    fc -= bd.n8;
                }
                let cell = (u64::from(band) << COL_BITS) | u64::from(fc >> SUB);
                let h = region_hash(cell);
                buf[m] = Pending {
                    slot: self.slots[region.base + (h & region.mask)],
                    region,
                    h,
                    cell,
                    tbit: (ft & 63) as u32,
                    sbit: ((fb & 7) << SUB) | (fc & 7),
                    row: i,
                };
                m += 1;
            }
            // Phase 2: finish the probes and test the candidates.
            for p in &buf[..m] {
                let mut slot = p.slot;
                let mut h = p.h;
                while slot.end != 0 && slot.cell != p.cell {
                    h += 1;
                    slot = self.slots[p.region.base + (h & p.region.mask)];
                }
                if slot.end == 0 || slot.tmask >> p.tbit & 1 == 0 || slot.smask >> p.sbit & 1 == 0 {
                    continue;
                }
                let i = p.row;
                let (person, t, lat, lon) = (keys[i], ts[i], lats[i], lons[i]);
                let mut other: Option<Pre> = None;
                for e in &self.entries[slot.start as usize..slot.end as usize] {
                    if e.t.abs_diff(t) > window || e.key == person || (e.lat - lat).abs() > self.delta_deg {
                        continue;
                    }
                    let o = other.get_or_insert_with(|| Pre::new(lat, lon));
                    let d = distance_pre(&Pre::with_cos(e.lat, e.lon, e.cos_phi), o);
                    if d <= radius {
                        acc.record(&Pair {
                            case_key: e.key,
                            person,
                            case_t: e.t,
                            case_lat: e.lat,
                            case_lon: e.lon,
                            other_t: t,
                            other_lat: lat,
                            other_lon: lon,
                            distance_m: d,
                        });
                    }
                }
            }
            start = end;
        }
        Ok(())
    }
}

/// Validates case row `i`: coordinates, and `t ± window_s` within i64.
pub(crate) fn check_case_row(cases: Points<'_>, i: usize, window_s: i64) -> Result<(), Error> {
    check_coords(Side::Case, i, cases.lats()[i], cases.lons()[i])?;
    let t = cases.times()[i];
    if t.checked_sub(window_s).is_none() || t.checked_add(window_s).is_none() {
        return Err(Error::Time { side: Side::Case, row: i, value: t, window_s });
    }
    Ok(())
}
