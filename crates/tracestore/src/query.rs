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

use crate::persons::{FxMap, read_names};
use crate::store::{day_dirs, part_files};
use crate::time::{DAY_US, format_utc_s};
use crate::{Error, io_err, pq_err};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMicrosecondType, UInt32Type};
use arrow_array::{Array, RecordBatch};
use arrow_buffer::ScalarBuffer;
use firebreak_colocate::{Accumulator, CaseIndex, Params, PointBuf, Points, Side};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use serde::Serialize;
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
}

/// Person names for a query: the store's dictionary ([`crate::persons`]), plus ids given in
/// memory to case keys the dictionary lacks and to the keys of part files without a `pid`
/// column (stores written before the dictionary existed), which are interned as they are read.
pub(crate) struct Names {
    names: Vec<Box<str>>,
    /// Key → id, built on the first part file without `pid` (not needed otherwise).
    map: Option<FxMap<Box<str>, u32>>,
}

impl Names {
    pub(crate) fn load(root: &Path) -> Result<Names, Error> {
        Ok(Names { names: read_names(root)?, map: None })
    }

    /// The ids of the distinct (trimmed) case keys, in order of first mention, and their keys.
    fn cases(&mut self, keys: &[String]) -> Result<Vec<u32>, Error> {
        let mut wanted: FxMap<&str, usize> = FxMap::default();
        let mut order: Vec<&str> = Vec::new();
        for k in keys {
            let k = k.trim();
            if !wanted.contains_key(k) {
                wanted.insert(k, order.len());
                order.push(k);
            }
        }
        let mut ids: Vec<Option<u32>> = vec![None; order.len()];
        for (pid, n) in self.names.iter().enumerate() {
            if let Some(&i) = wanted.get(&**n) {
                ids[i] = Some(pid as u32);
            }
        }
        let mut out = Vec::with_capacity(order.len());
        for (i, id) in ids.into_iter().enumerate() {
            out.push(match id {
                Some(id) => id,
                None => self.intern(order[i])?,
            });
        }
        Ok(out)
    }

    /// The id of `key`, given a new in-memory id when the dictionary lacks it.
    fn intern(&mut self, key: &str) -> Result<u32, Error> {
        let names = &self.names;
        let map = self.map.get_or_insert_with(|| {
            let mut m = FxMap::default();
            m.reserve(names.len());
            for (i, n) in names.iter().enumerate() {
                m.entry(n.clone()).or_insert(i as u32);
            }
            m
        });
        if let Some(&i) = map.get(key) {
            return Ok(i);
        }
        let i = u32::try_from(self.names.len()).map_err(|_| Error::Query("more than 4 billion people".into()))?;
        map.insert(key.into(), i);
        self.names.push(key.into());
        Ok(i)
    }

    pub(crate) fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", |s| s)
    }
}

/// A set of person ids as a bitmap (cases: one bit per id of the dictionary).
struct IdSet(Vec<u64>);

impl IdSet {
    fn new(ids: &[u32]) -> IdSet {
        let n = ids.iter().map(|&i| i as usize / 64 + 1).max().unwrap_or(0);
        let mut v = vec![0u64; n];
        for &i in ids {
            v[i as usize / 64] |= 1 << (i % 64);
        }
        IdSet(v)
    }

    #[inline]
    fn contains(&self, i: u32) -> bool {
        self.0.get(i as usize / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
}

/// Others' points of one row group (or a part of it), as the kernel reads them: `pid`,
/// `t` (seconds), `lat`, `lon` (degrees). The columns are the decoded Parquet buffers
/// themselves (no copy) except `t`, converted from microseconds.
pub(crate) struct Chunk {
    pid: ScalarBuffer<u32>,
    t: Vec<i64>,
    lat: ScalarBuffer<f64>,
    lon: ScalarBuffer<f64>,
}

impl Chunk {
    fn points(&self) -> Points<'_> {
        Points::new(Side::Other, &self.pid, &self.t, &self.lat, &self.lon).unwrap_or_else(|_| Points::empty())
    }

    fn len(&self) -> usize {
        self.t.len()
    }

    fn from_buf(b: PointBuf) -> Chunk {
        let p = b.as_points();
        Chunk {
            pid: p.keys().to_vec().into(),
            t: p.times().to_vec(),
            lat: p.lats().to_vec().into(),
            lon: p.lons().to_vec().into(),
        }
    }
}

/// One row group to read.
struct Unit {
    path: std::path::PathBuf,
    meta: ArrowReaderMetadata,
    rg: usize,
    /// Every row of the group is inside the range (by the `t` statistics): no filtering.
    all_in: bool,
}

/// The `t` range of row group `rg` by its statistics (µs), if written.
fn t_stats(meta: &ArrowReaderMetadata, rg: usize, t_col: usize) -> Option<(i64, i64)> {
    use parquet::file::statistics::Statistics;
    match meta.metadata().row_group(rg).column(t_col).statistics()? {
        Statistics::Int64(s) => Some((*s.min_opt()?, *s.max_opt()?)),
        _ => None,
    }
}

fn column_error(path: &Path, msg: &str) -> Error {
    Error::Columns { file: path.display().to_string(), msg: msg.into() }
}

/// Decodes one row group of a part file with a `pid` column: its points in `[lo, hi)` µs, and
/// among them the case points.
fn read_unit(u: &Unit, lo: i64, hi: i64, cases: &IdSet) -> Result<(Vec<Chunk>, PointBuf), Error> {
    let path = &u.path;
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let b = ParquetRecordBatchReaderBuilder::new_with_metadata(f, u.meta.clone());
    let fields = b.schema().fields();
    let mut idx = Vec::new();
    for w in ["pid", "t", "lat", "lon"] {
        idx.push(
            fields.iter().position(|f| f.name() == w).ok_or_else(|| column_error(path, &format!("no column {w}")))?,
        );
    }
    let mask = ProjectionMask::roots(b.parquet_schema(), idx);
    let reader =
        b.with_projection(mask).with_row_groups(vec![u.rg]).with_batch_size(1 << 20).build().map_err(pq_err(path))?;
    let mut chunks = Vec::new();
    let mut case_pts = PointBuf::new();
    for batch in reader {
        let batch = batch?;
        let bad = || column_error(path, "pid, t, lat, lon: unexpected types (uint32, timestamp µs, f64, f64)");
        let pid = batch.column_by_name("pid").and_then(|c| c.as_primitive_opt::<UInt32Type>()).ok_or_else(bad)?;
        let t =
            batch.column_by_name("t").and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>()).ok_or_else(bad)?;
        let lat = batch.column_by_name("lat").and_then(|c| c.as_primitive_opt::<Float64Type>()).ok_or_else(bad)?;
        let lon = batch.column_by_name("lon").and_then(|c| c.as_primitive_opt::<Float64Type>()).ok_or_else(bad)?;
        if pid.null_count() + t.null_count() + lat.null_count() + lon.null_count() > 0 {
            return Err(column_error(path, "pid, t, lat, lon: null values"));
        }
        let (pv, tv, la, lo_) = (pid.values(), t.values(), lat.values(), lon.values());
        let chunk = if u.all_in {
            Chunk {
                pid: pv.clone(),
                t: tv.iter().map(|&x| x.div_euclid(1_000_000)).collect(),
                lat: la.clone(),
                lon: lo_.clone(),
            }
        } else {
            let mut buf = PointBuf::new();
            for i in 0..tv.len() {
                if tv[i] >= lo && tv[i] < hi {
                    buf.push(pv[i], tv[i].div_euclid(1_000_000), la[i], lo_[i]);
                }
            }
            Chunk::from_buf(buf)
        };
        for (i, &p) in chunk.pid.iter().enumerate() {
            if cases.contains(p) {
                case_pts.push(p, chunk.t[i], chunk.lat[i], chunk.lon[i]);
            }
        }
        chunks.push(chunk);
    }
    Ok((chunks, case_pts))
}

/// Decodes one part file without a `pid` column (written before the dictionary): keys are
/// read as text and interned.
fn read_legacy(path: &Path, lo: i64, hi: i64, names: &mut Names, cases: &IdSet) -> Result<(Chunk, PointBuf), Error> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq_err(path))?;
    let fields = b.schema().fields();
    let mut idx = Vec::new();
    for w in ["person", "t", "lat", "lon"] {
        idx.push(
            fields.iter().position(|f| f.name() == w).ok_or_else(|| column_error(path, &format!("no column {w}")))?,
        );
    }
    let mask = ProjectionMask::roots(b.parquet_schema(), idx);
    let reader = b.with_projection(mask).with_batch_size(1 << 16).build().map_err(pq_err(path))?;
    let (mut out, mut case_pts) = (PointBuf::new(), PointBuf::new());
    for batch in reader {
        let batch: RecordBatch = batch?;
        let bad = || column_error(path, "person, t, lat, lon: unexpected types (utf8, timestamp µs, f64, f64)");
        let person = batch.column_by_name("person").and_then(|c| c.as_string_opt::<i32>()).ok_or_else(bad)?;
        let t =
            batch.column_by_name("t").and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>()).ok_or_else(bad)?;
        let lat = batch.column_by_name("lat").and_then(|c| c.as_primitive_opt::<Float64Type>()).ok_or_else(bad)?;
        let lon = batch.column_by_name("lon").and_then(|c| c.as_primitive_opt::<Float64Type>()).ok_or_else(bad)?;
        let (tv, la, lo_) = (t.values(), lat.values(), lon.values());
        let mut last: Option<(&str, u32)> = None;
        for i in 0..batch.num_rows() {
            let tu = tv[i];
            if tu < lo || tu >= hi || person.is_null(i) {
                continue;
            }
            let p = person.value(i);
            let id = match last {
                Some((lp, lid)) if lp == p => lid,
                _ => names.intern(p)?,
            };
            last = Some((p, id));
            out.push(id, tu.div_euclid(1_000_000), la[i], lo_[i]);
            if cases.contains(id) {
                case_pts.push(id, tu.div_euclid(1_000_000), la[i], lo_[i]);
            }
        }
    }
    Ok((Chunk::from_buf(out), case_pts))
}

/// Reads one day partition (all its part files): the points in `[max(D, from), min(D + 1, to))`
/// as chunks (one per row group, decoded in parallel; row groups outside the range by their
/// `t` statistics are skipped), and the case points among them.
fn read_day(
    dir: &Path,
    day: i64,
    q: &Query,
    names: &mut Names,
    cases: &IdSet,
) -> Result<(Vec<Chunk>, PointBuf), Error> {
    use rayon::prelude::*;
    let lo = q.from_us.map_or(day * DAY_US, |f| f.max(day * DAY_US));
    let hi = q.to_us.map_or((day + 1) * DAY_US, |t| t.min((day + 1) * DAY_US));
    let mut units = Vec::new();
    let mut legacy = Vec::new();
    for path in part_files(dir)? {
        let f = std::fs::File::open(&path).map_err(io_err(&path))?;
        let meta = ArrowReaderMetadata::load(&f, ArrowReaderOptions::new()).map_err(pq_err(&path))?;
        let fields = meta.schema().fields();
        if !fields.iter().any(|f| f.name() == "pid") {
            legacy.push(path);
            continue;
        }
        let t_col = meta
            .parquet_schema()
            .columns()
            .iter()
            .position(|c| c.name() == "t")
            .ok_or_else(|| column_error(&path, "no column t"))?;
        for rg in 0..meta.metadata().num_row_groups() {
            let stats = t_stats(&meta, rg, t_col);
            if stats.is_some_and(|(a, b)| b < lo || a >= hi) {
                continue;
            }
            let all_in = stats.is_some_and(|(a, b)| a >= lo && b < hi);
            units.push(Unit { path: path.clone(), meta: meta.clone(), rg, all_in });
        }
    }
    let decoded: Vec<Result<(Vec<Chunk>, PointBuf), Error>> =
        units.par_iter().map(|u| read_unit(u, lo, hi, cases)).collect();
    let mut chunks = Vec::new();
    let mut case_pts = PointBuf::new();
    let mut add_cases = |c: &PointBuf| {
        let p = c.as_points();
        for i in 0..p.len() {
            case_pts.push(p.keys()[i], p.times()[i], p.lats()[i], p.lons()[i]);
        }
    };
    for d in decoded {
        let (c, cp) = d?;
        chunks.extend(c);
        add_cases(&cp);
    }
    for path in legacy {
        let (c, cp) = read_legacy(&path, lo, hi, names, cases)?;
        chunks.push(c);
        add_cases(&cp);
    }
    Ok((chunks, case_pts))
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

fn append(to: &mut PointBuf, p: Points<'_>) {
    for i in 0..p.len() {
        to.push(p.keys()[i], p.times()[i], p.lats()[i], p.lons()[i]);
    }
}

/// Runs a companion query over the store at `root` (see the module docs).
pub fn colocate(root: &Path, q: &Query) -> Result<QueryReport, Error> {
    let params = q.params()?;
    let w = q.window_s;
    let mut names = Names::load(root)?;
    let case_ids = names.cases(&q.cases)?;
    let cases = IdSet::new(&case_ids);
    let days: Vec<(i64, std::path::PathBuf)> = day_dirs(root)?
        .into_iter()
        .filter(|(d, _)| q.from_us.is_none_or(|f| (d + 1) * DAY_US > f) && q.to_us.is_none_or(|t| d * DAY_US < t))
        .collect();
    let bar =
        if q.progress { indicatif::ProgressBar::new(days.len() as u64) } else { indicatif::ProgressBar::hidden() };
    let mut acc = Accumulator::new(params);
    let mut case_pts = PointBuf::new();
    let mut seen_case: FxMap<u32, ()> = FxMap::default();
    let mut tail: Option<(i64, PointBuf)> = None;
    let (mut points_read, mut case_points) = (0u64, 0u64);
    let timing = std::env::var_os("FIREBREAK_COLOCATE_TIMING").is_some();
    for (day, dir) in &days {
        let t_read = std::time::Instant::now();
        let (chunks, day_cases) = read_day(dir, *day, q, &mut names, &cases)?;
        let read_s = t_read.elapsed().as_secs_f64();
        let n: usize = chunks.iter().map(Chunk::len).sum();
        points_read += n as u64;
        let (d0, d1) = (day * 86_400, (day + 1) * 86_400);
        // The case points from Δt before this day on, and this day's.
        let mut cp = filter(case_pts.as_points(), |_, t| t >= d0 - w);
        append(&mut cp, day_cases.as_points());
        for &k in day_cases.as_points().keys() {
            seen_case.insert(k, ());
        }
        case_points += day_cases.len() as u64;
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
        if !sub.is_empty() && n > 0 {
            let idx = CaseIndex::build(sub.as_points(), &params)?;
            for c in &chunks {
                idx.probe(&mut acc, c.points())?;
            }
        }
        let mut tp = PointBuf::new();
        for c in &chunks {
            append(&mut tp, filter(c.points(), |_, t| t >= d1 - w).as_points());
        }
        tail = Some((d1, tp));
        if timing {
            eprintln!(
                "day {}: {} points, {} case points, read {:.3} s, join {:.3} s",
                crate::time::day_string(*day),
                n,
                day_cases.len(),
                read_s,
                t_read.elapsed().as_secs_f64() - read_s
            );
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let cases_without_points: Vec<String> =
        case_ids.iter().filter(|k| !seen_case.contains_key(k)).map(|&k| names.name(k).to_string()).collect();
    Ok(QueryReport {
        companions: finish(acc, &names),
        days_read: days.len(),
        points_read,
        case_points,
        cases_without_points,
    })
}

pub(crate) fn finish(acc: Accumulator, names: &Names) -> Vec<Companion> {
    let mut out: Vec<Companion> = acc
        .finish()
        .into_iter()
        .map(|c| {
            let mut cases: Vec<String> = c.cases.iter().map(|l| names.name(l.case).to_string()).collect();
            cases.sort();
            let mut links: Vec<CompanionLink> = c
                .cases
                .iter()
                .map(|l| CompanionLink {
                    case: names.name(l.case).to_string(),
                    encounters: l.encounters,
                    first: format_utc_s(l.first_t),
                    last: format_utc_s(l.last_t),
                    min_distance_m: l.min_distance_m,
                    copresence_minutes: l.copresence_minutes,
                })
                .collect();
            links.sort_by(|a, b| a.case.cmp(&b.case));
            Companion {
                person: names.name(c.person).to_string(),
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
                    case: names.name(c.closest_case).to_string(),
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
    let mut names = Names::load(root)?;
    let case_ids = names.cases(&q.cases)?;
    let is_case = IdSet::new(&case_ids);
    let mut all = PointBuf::new();
    let mut cases = PointBuf::new();
    let days = day_dirs(root)?;
    for (day, dir) in &days {
        let (chunks, cp) = read_day(dir, *day, q, &mut names, &is_case)?;
        for c in &chunks {
            append(&mut all, c.points());
        }
        append(&mut cases, cp.as_points());
    }
    let seen = IdSet::new(cases.as_points().keys());
    let mut acc = Accumulator::new(params);
    firebreak_colocate::brute_force_into(&mut acc, cases.as_points(), all.as_points())?;
    Ok(QueryReport {
        days_read: days.len(),
        points_read: all.len() as u64,
        case_points: cases.len() as u64,
        cases_without_points: case_ids
            .iter()
            .filter(|&&k| !seen.contains(k))
            .map(|&k| names.name(k).to_string())
            .collect(),
        companions: finish(acc, &names),
    })
}
