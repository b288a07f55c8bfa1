//! The companion search (时空伴随) over a store, one UTC day partition at a time.
//!
//! Definitions (those of [`firebreak_colocate`], on whole seconds: the store keeps
//! microseconds, the join uses `floor(t / 1 s)`): an *encounter* is a pair (case point,
//! companion point) with haversine distance ≤ `radius_m` (R = 6,371,008.8 m) and
//! `|t_case − t_other| ≤ window_s`; only points with `from ≤ t < to` take part, on both sides.
//! A case's own points never match itself; another case is reported like anyone else.
//!
//! **Memory: the case points near the current day + one partition.** Days are read in order.
//! For day `D = [D0, D1)` the others' points of `D` are probed against the case points with
//! `t ∈ [D0 − Δt, D1)`; the pairs whose case point lies in `[D1, D1 + Δt]` (the next day) are
//! found when the next day is read, by probing the last `Δt` of day `D` (kept aside) against
//! those case points. Each pair is counted exactly once, however the points fall around
//! midnight; case points older than `D1 − Δt` are dropped. Hence `window_s < 86,400`.

use crate::store::{day_dirs, part_files};
use crate::time::{DAY_US, format_utc_s};
use crate::{Error, io_err, pq_err};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use firebreak_colocate::{Accumulator, CaseIndex, Params, PointBuf, Points};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

/// A companion query.
#[derive(Debug, Clone)]
pub struct Query {
    /// The cases' person keys (as in the store).
    pub cases: Vec<String>,
    /// Distance threshold, metres (> 0).
    pub radius_m: f64,
    /// Time window, seconds (0 ≤ window < 86,400).
    pub window_s: i64,
    /// Only points at or after this instant (µs since the epoch, UTC).
    pub from_us: Option<i64>,
    /// Only points before this instant (µs since the epoch, UTC).
    pub to_us: Option<i64>,
    /// Drop (case, companion) links with less co-presence than this, seconds.
    pub min_copresence_s: i64,
    /// Show a progress bar (one tick per day) on standard error.
    pub progress: bool,
}

/// Where a companion came closest to a case: the companion's point, and the case's.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Where {
    /// The companion's latitude, degrees.
    pub lat: f64,
    /// The companion's longitude, degrees.
    pub lon: f64,
    /// The companion's time (RFC 3339, UTC).
    pub t: String,
    /// The case of that pair.
    pub case: String,
    /// The case's latitude, degrees.
    pub case_lat: f64,
    /// The case's longitude, degrees.
    pub case_lon: f64,
    /// The case's time (RFC 3339, UTC).
    pub case_t: String,
}

/// The figures of one (case, companion) link; definitions as in [`Companion`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CompanionLink {
    /// The case key.
    pub case: String,
    /// Matched point pairs.
    pub encounters: u64,
    /// First encounter (RFC 3339, UTC).
    pub first: String,
    /// Last encounter (RFC 3339, UTC).
    pub last: String,
    /// Smallest distance, metres.
    pub min_distance_m: f64,
    /// Co-presence, minutes.
    pub copresence_minutes: f64,
}

/// One spatiotemporal companion, with totals over the cases they met.
///
/// - `encounters`: matched point pairs (case point × companion point), over all cases.
/// - `first` / `last`: the earliest / latest instant either person was at a matched point.
/// - `min_distance_m` and `where`: the closest matched pair.
/// - `copresence_minutes`: measure of the union of the pairs' intervals
///   `[min(t₁,t₂), max(max(t₁,t₂), min(t₁,t₂) + 60 s))`, so a single fix counts one minute and
///   time spent with two cases at once counts once.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Companion {
    /// The companion's person key.
    pub person: String,
    /// The cases met, sorted.
    pub cases: Vec<String>,
    /// Matched point pairs.
    pub encounters: u64,
    /// First encounter (RFC 3339, UTC).
    pub first: String,
    /// Last encounter (RFC 3339, UTC).
    pub last: String,
    /// Smallest distance, metres.
    pub min_distance_m: f64,
    /// Co-presence with any case, minutes.
    pub copresence_minutes: f64,
    /// The closest matched pair.
    #[serde(rename = "where")]
    pub where_: Where,
    /// Per case.
    pub links: Vec<CompanionLink>,
}

/// The answer of [`colocate`].
#[derive(Debug, Clone, Serialize)]
pub struct QueryReport {
    /// The companions, ranked: co-presence (desc), encounters (desc), distance, person.
    pub companions: Vec<Companion>,
    /// Day partitions read.
    pub days_read: usize,
    /// Points read in the range.
    pub points_read: u64,
    /// Case points found in the range.
    pub case_points: u64,
    /// Cases without any point in the range.
    pub cases_without_points: Vec<String>,
}

/// FxHash-style hasher for person keys.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        // Fold the high bits down: the multiply leaves the low bits depending only on the low
        // bytes, and hashbrown indexes buckets by the low bits (keys like "p0000123" differ in
        // their last bytes).
        let z = (self.0 ^ (self.0 >> 32)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z ^ (z >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
}

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Person keys ↔ dense u32 ids (cases first).
#[derive(Default)]
pub(crate) struct Interner {
    map: HashMap<Box<str>, u32, BuildHasherDefault<Fx>>,
    names: Vec<Box<str>>,
}

impl Interner {
    pub(crate) fn id(&mut self, s: &str) -> Result<u32, Error> {
        if let Some(&i) = self.map.get(s) {
            return Ok(i);
        }
        let i = u32::try_from(self.names.len()).map_err(|_| Error::Query("more than 4 billion people".into()))?;
        self.map.insert(s.into(), i);
        self.names.push(s.into());
        Ok(i)
    }

    pub(crate) fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", |s| s)
    }
}

impl Query {
    /// Checks the parameters; errors name the parameter.
    pub fn params(&self) -> Result<Params, Error> {
        if self.cases.is_empty() {
            return Err(Error::Query("cases: give at least one case key".into()));
        }
        if let Some(c) = self.cases.iter().find(|c| c.trim().is_empty()) {
            return Err(Error::Query(format!("cases: empty case key {c:?}")));
        }
        if !(self.radius_m.is_finite() && self.radius_m > 0.0) {
            return Err(Error::Query(format!("radius: must be a distance in metres > 0, got {}", self.radius_m)));
        }
        if !(0..86_400).contains(&self.window_s) {
            return Err(Error::Query(format!(
                "window: must be at least 0 s and shorter than one day (86,400 s), got {} s",
                self.window_s
            )));
        }
        if self.min_copresence_s < 0 {
            return Err(Error::Query(format!("min-duration: must be ≥ 0, got {} s", self.min_copresence_s)));
        }
        if let (Some(f), Some(t)) = (self.from_us, self.to_us)
            && f >= t
        {
            return Err(Error::Query("from/to: from must be before to".into()));
        }
        Ok(Params::new(self.radius_m, self.window_s)?.with_min_copresence(self.min_copresence_s)?)
    }

    fn in_range(&self, t_us: i64) -> bool {
        self.from_us.is_none_or(|f| t_us >= f) && self.to_us.is_none_or(|t| t_us < t)
    }
}

/// Reads one day partition (all its part files): the points in the query range (and in the
/// day), keys interned. Returns the points and how many were read.
pub(crate) fn read_day(
    dir: &Path,
    day: i64,
    q_range: &(dyn Fn(i64) -> bool + Sync),
    interner: &mut Interner,
) -> Result<PointBuf, Error> {
    use rayon::prelude::*;
    let (d0, d1) = (day * DAY_US, (day + 1) * DAY_US);
    // (file, row group) units, decoded in parallel; keys are interned afterwards, in order.
    let mut units = Vec::new();
    for path in part_files(dir)? {
        let f = std::fs::File::open(&path).map_err(io_err(&path))?;
        let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq_err(&path))?;
        for rg in 0..b.metadata().num_row_groups() {
            units.push((path.clone(), rg));
        }
    }
    let decoded: Vec<Result<Vec<RecordBatch>, Error>> = units
        .par_iter()
        .map(|(path, rg)| {
            let f = std::fs::File::open(path).map_err(io_err(path))?;
            let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq_err(path))?;
            let names: Vec<String> = b.schema().fields().iter().map(|f| f.name().clone()).collect();
            let mut idx = Vec::new();
            for w in ["person", "t", "lat", "lon"] {
                idx.push(names.iter().position(|n| n == w).ok_or_else(|| Error::Columns {
                    file: path.display().to_string(),
                    msg: format!("no column {w}"),
                })?);
            }
            let mask = ProjectionMask::roots(b.parquet_schema(), idx);
            let reader = b
                .with_projection(mask)
                .with_row_groups(vec![*rg])
                .with_batch_size(1 << 20)
                .build()
                .map_err(pq_err(path))?;
            reader.map(|r| r.map_err(Error::from)).collect()
        })
        .collect();
    let mut out = PointBuf::new();
    for (batches, (path, _)) in decoded.into_iter().zip(&units) {
        for batch in batches? {
            let bad = || Error::Columns { file: path.display().to_string(), msg: "unexpected column types".into() };
            let person = batch.column_by_name("person").and_then(|c| c.as_string_opt::<i32>()).ok_or_else(bad)?;
            let t = batch
                .column_by_name("t")
                .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
                .ok_or_else(bad)?;
            let lat = batch.column_by_name("lat").and_then(|c| c.as_primitive_opt::<Float64Type>()).ok_or_else(bad)?;
            let lon = batch.column_by_name("lon").and_then(|c| c.as_primitive_opt::<Float64Type>()).ok_or_else(bad)?;
            let (tv, la, lo) = (t.values(), lat.values(), lon.values());
            let mut last: Option<(&str, u32)> = None;
            for i in 0..batch.num_rows() {
                let tu = tv[i];
                if tu < d0 || tu >= d1 || !q_range(tu) || person.is_null(i) {
                    continue;
                }
                let p = person.value(i);
                let id = match last {
                    Some((lp, lid)) if lp == p => lid,
                    _ => interner.id(p)?,
                };
                last = Some((p, id));
                out.push(id, tu.div_euclid(1_000_000), la[i], lo[i]);
            }
        }
    }
    Ok(out)
}

fn filter(p: Points<'_>, keep: impl Fn(u32, i64) -> bool) -> PointBuf {
    let mut out = PointBuf::new();
    for i in 0..p.len() {
        if keep(p.keys()[i], p.times()[i]) {
            out.push(p.keys()[i], p.times()[i], p.lats()[i], p.lons()[i]);
        }
    }
    out
}

/// Runs a companion query over the store at `root` (see the module docs).
pub fn colocate(root: &Path, q: &Query) -> Result<QueryReport, Error> {
    let params = q.params()?;
    let w = q.window_s;
    let mut interner = Interner::default();
    let mut ncases = 0u32;
    for c in &q.cases {
        let before = interner.names.len();
        interner.id(c.trim())?;
        if interner.names.len() > before {
            ncases += 1;
        }
    }
    let is_case = |k: u32| k < ncases;
    let days: Vec<(i64, std::path::PathBuf)> = day_dirs(root)?
        .into_iter()
        .filter(|(d, _)| q.from_us.is_none_or(|f| (d + 1) * DAY_US > f) && q.to_us.is_none_or(|t| d * DAY_US < t))
        .collect();
    let bar =
        if q.progress { indicatif::ProgressBar::new(days.len() as u64) } else { indicatif::ProgressBar::hidden() };
    let mut acc = Accumulator::new(params);
    let mut case_pts = PointBuf::new();
    let mut seen_case = vec![false; ncases as usize];
    let mut tail: Option<(i64, PointBuf)> = None;
    let (mut points_read, mut case_points) = (0u64, 0u64);
    let in_range = |t: i64| q.in_range(t);
    let timing = std::env::var_os("FIREBREAK_COLOCATE_TIMING").is_some();
    for (day, dir) in &days {
        let t_read = std::time::Instant::now();
        let others = read_day(dir, *day, &in_range, &mut interner)?;
        let read_s = t_read.elapsed().as_secs_f64();
        points_read += others.len() as u64;
        let op = others.as_points();
        let (d0, d1) = (day * 86_400, (day + 1) * 86_400);
        // New case points of this day.
        let mut cp = filter(case_pts.as_points(), |_, t| t >= d0 - w);
        for i in 0..op.len() {
            let k = op.keys()[i];
            if is_case(k) {
                cp.push(k, op.times()[i], op.lats()[i], op.lons()[i]);
                seen_case[k as usize] = true;
                case_points += 1;
            }
        }
        case_pts = cp;
        // Pairs (previous day's last Δt, this day's first Δt of case points).
        if let Some((pe, tp)) = tail.take() {
            let head = filter(case_pts.as_points(), |_, t| t >= pe && t <= pe + w);
            if !head.is_empty() && !tp.is_empty() {
                let idx = CaseIndex::build(head.as_points(), &params)?;
                idx.probe(&mut acc, tp.as_points())?;
            }
        }
        let sub = filter(case_pts.as_points(), |_, t| t >= d0 - w && t < d1);
        if !sub.is_empty() && !op.is_empty() {
            let idx = CaseIndex::build(sub.as_points(), &params)?;
            idx.probe(&mut acc, op)?;
        }
        tail = Some((d1, filter(op, |_, t| t >= d1 - w)));
        if timing {
            eprintln!(
                "day {}: {} points, read {:.3} s, join {:.3} s",
                crate::time::day_string(*day),
                op.len(),
                read_s,
                t_read.elapsed().as_secs_f64() - read_s
            );
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let cases_without_points: Vec<String> =
        (0..ncases).filter(|&k| !seen_case[k as usize]).map(|k| interner.name(k).to_string()).collect();
    Ok(QueryReport {
        companions: finish(acc, &interner),
        days_read: days.len(),
        points_read,
        case_points,
        cases_without_points,
    })
}

/// Converts the kernel's companions to keyed, ranked results.
pub(crate) fn finish(acc: Accumulator, interner: &Interner) -> Vec<Companion> {
    let mut out: Vec<Companion> = acc
        .finish()
        .into_iter()
        .map(|c| {
            let mut cases: Vec<String> = c.cases.iter().map(|l| interner.name(l.case).to_string()).collect();
            cases.sort();
            let mut links: Vec<CompanionLink> = c
                .cases
                .iter()
                .map(|l| CompanionLink {
                    case: interner.name(l.case).to_string(),
                    encounters: l.encounters,
                    first: format_utc_s(l.first_t),
                    last: format_utc_s(l.last_t),
                    min_distance_m: l.min_distance_m,
                    copresence_minutes: l.copresence_minutes,
                })
                .collect();
            links.sort_by(|a, b| a.case.cmp(&b.case));
            Companion {
                person: interner.name(c.person).to_string(),
                cases,
                encounters: c.encounters,
                first: format_utc_s(c.first_t),
                last: format_utc_s(c.last_t),
                min_distance_m: c.min_distance_m,
                copresence_minutes: c.copresence_minutes,
                where_: Where {
                    lat: c.closest.other_lat,
                    lon: c.closest.other_lon,
                    t: format_utc_s(c.closest.other_t),
                    case: interner.name(c.closest_case).to_string(),
                    case_lat: c.closest.case_lat,
                    case_lon: c.closest.case_lon,
                    case_t: format_utc_s(c.closest.case_t),
                },
                links,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.copresence_minutes
            .total_cmp(&a.copresence_minutes)
            .then(b.encounters.cmp(&a.encounters))
            .then(a.min_distance_m.total_cmp(&b.min_distance_m))
            .then_with(|| a.person.cmp(&b.person))
    });
    out
}

/// The reference: loads every point in the range and compares every case point with every
/// other point ([`firebreak_colocate::brute_force`]). O(n·m) time and O(n) memory: for tests
/// and the benchmark's small data only.
pub fn brute_force(root: &Path, q: &Query) -> Result<QueryReport, Error> {
    let params = q.params()?;
    let mut interner = Interner::default();
    let mut ncases = 0u32;
    for c in &q.cases {
        let before = interner.names.len();
        interner.id(c.trim())?;
        if interner.names.len() > before {
            ncases += 1;
        }
    }
    let mut all = PointBuf::new();
    let in_range = |t: i64| q.in_range(t);
    let days = day_dirs(root)?;
    for (day, dir) in &days {
        let p = read_day(dir, *day, &in_range, &mut interner)?;
        let pp = p.as_points();
        for i in 0..pp.len() {
            all.push(pp.keys()[i], pp.times()[i], pp.lats()[i], pp.lons()[i]);
        }
    }
    let cases = filter(all.as_points(), |k, _| k < ncases);
    let mut seen = vec![false; ncases as usize];
    for &k in cases.as_points().keys() {
        seen[k as usize] = true;
    }
    let mut acc = Accumulator::new(params);
    firebreak_colocate::brute_force_into(&mut acc, cases.as_points(), all.as_points())?;
    Ok(QueryReport {
        days_read: days.len(),
        points_read: all.len() as u64,
        case_points: cases.len() as u64,
        cases_without_points: (0..ncases)
            .filter(|&k| !seen[k as usize])
            .map(|k| interner.name(k).to_string())
            .collect(),
        companions: finish(acc, &interner),
    })
}
