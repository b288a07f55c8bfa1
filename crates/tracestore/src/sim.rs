//! A deterministic city-scale mobility generator, for benchmarks and drills.
//!
//! Everything is a pure function of `(seed, person, day, time)` (SplitMix64 hashes), so the
//! output is the same for the same seed on any machine, and memory does not grow with the
//! number of points: the generator walks time forward and keeps only one small record per
//! person for the current day (their ping offset), so the rows come out sorted by time and go
//! straight into the store (or into a CSV.gz file).
//!
//! The model, in local time (UTC+8 by default):
//! - households of three share a home (uniform in the bounding box);
//! - 80 % of people work; about 40 people share each workplace;
//! - on 60 % of days a person visits one of `N/300` shops for 20–60 minutes (after work, or
//!   around midday for those who do not work);
//! - travel is a straight line at 8 m/s between places; everyone leaves home between 07:00 and
//!   09:00 and work between 17:00 and 19:00;
//! - each fix is jittered by up to ±20 m, carries an accuracy of 5–30 m, and pings come every
//!   `interval` at a per-person, per-day offset.
//!
//! So co-workers, household members and shoppers really meet, at realistic rates.

use crate::store::{Row, StoreWriter};
use crate::time::format_utc_s;
use crate::{Error, io_err};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Generator settings.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// People (≥ 1).
    pub people: u64,
    /// Days (≥ 1).
    pub days: u32,
    /// Seconds between two fixes of one person (≥ 60).
    pub interval_s: i64,
    /// Random seed.
    pub seed: u64,
    /// First UTC day (days since 1970-01-01; default 2022-10-01 = 19,266).
    pub start_day: i64,
    /// Bounding box: south, north latitude; west, east longitude (degrees).
    pub bbox: (f64, f64, f64, f64),
    /// Local time offset from UTC, seconds (default +8 h).
    pub utc_offset_s: i64,
    /// Rows kept in memory by the store writer.
    pub max_buffered_rows: usize,
    /// Show a progress bar on standard error.
    pub progress: bool,
}

/// Hengyang's urban area (石鼓, 雁峰, 珠晖, 蒸湘 districts), checked against the county
/// boundaries in `jurisdictions/hengyang_430400/counties.geojson`.
pub const HENGYANG_URBAN_BBOX: (f64, f64, f64, f64) = (26.85, 26.95, 112.55, 112.68);

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            people: 1000,
            days: 1,
            interval_s: 900,
            seed: 1,
            start_day: 19_266,
            bbox: HENGYANG_URBAN_BBOX,
            utc_offset_s: 8 * 3600,
            max_buffered_rows: 1_000_000,
            progress: false,
        }
    }
}

/// Where the generator writes.
#[derive(Debug, Clone, Copy)]
pub enum SimOut<'a> {
    /// Into a store folder (Parquet, day partitions).
    Store(&'a Path),
    /// Into one gzip-compressed CSV file (`person,t,lat,lon,accuracy_m,source`).
    CsvGz(&'a Path),
}

/// What was generated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SimReport {
    /// Rows written.
    pub rows: u64,
    /// Days written (store only).
    pub days: Vec<(String, u64)>,
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn h(seed: u64, tag: u64, a: u64, b: u64) -> u64 {
    mix(mix(mix(seed ^ tag.wrapping_mul(0xD6E8_FEB8_6659_FD93)) ^ a) ^ b)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

type Pos = (f64, f64);

struct Model<'a> {
    o: &'a SimOptions,
    n_work: u64,
    n_shop: u64,
}

impl Model<'_> {
    fn place(&self, tag: u64, i: u64) -> Pos {
        let (s, n, w, e) = self.o.bbox;
        let a = h(self.o.seed, tag, i, 0);
        (s + (n - s) * unit(a), w + (e - w) * unit(mix(a)))
    }

    fn home(&self, p: u64) -> Pos {
        self.place(1, p / 3)
    }

    fn work(&self, p: u64) -> Option<Pos> {
        if unit(h(self.o.seed, 2, p, 1)) < 0.2 {
            return None;
        }
        Some(self.place(3, h(self.o.seed, 2, p, 2) % self.n_work))
    }

    fn shop(&self, p: u64, day: i64) -> Option<Pos> {
        let r = h(self.o.seed, 4, p, day as u64);
        if unit(r) >= 0.6 {
            return None;
        }
        Some(self.place(5, mix(r) % self.n_shop))
    }

    /// Seconds to travel between two places at 8 m/s (at least 5 minutes).
    fn travel(a: Pos, b: Pos) -> i64 {
        let d = firebreak_colocate::haversine_m(a.0, a.1, b.0, b.1);
        ((d / 8.0) as i64).max(300)
    }

    /// Position at local second-of-day `s` of local day `day`: stays and straight-line trips.
    fn position(&self, p: u64, day: i64, s: i64) -> Pos {
        let home = self.home(p);
        let r = h(self.o.seed, 7, p, day as u64);
        let mut legs: Vec<(i64, Pos)> = Vec::with_capacity(8); // (time of arrival, place) in order
        legs.push((0, home));
        let shop = self.shop(p, day);
        match self.work(p) {
            Some(work) => {
                let leave = 7 * 3600 + (unit(r) * 7200.0) as i64;
                let at_work = leave + Self::travel(home, work);
                legs.push((leave, home));
                legs.push((at_work, work));
                let off = 17 * 3600 + (unit(mix(r)) * 7200.0) as i64;
                legs.push((off, work));
                let mut last = (off, work);
                if let Some(sh) = shop {
                    let arrive = off + Self::travel(work, sh);
                    let stay = 1200 + (unit(mix(r ^ 1)) * 2400.0) as i64;
                    legs.push((arrive, sh));
                    legs.push((arrive + stay, sh));
                    last = (arrive + stay, sh);
                }
                legs.push((last.0 + Self::travel(last.1, home), home));
            }
            None => {
                if let Some(sh) = shop {
                    let leave = 10 * 3600 + (unit(r) * 6.0 * 3600.0) as i64;
                    let arrive = leave + Self::travel(home, sh);
                    let stay = 1200 + (unit(mix(r ^ 1)) * 2400.0) as i64;
                    legs.push((leave, home));
                    legs.push((arrive, sh));
                    legs.push((arrive + stay, sh));
                    legs.push((arrive + stay + Self::travel(sh, home), home));
                }
            }
        }
        // Between two consecutive legs the person moves linearly from one place to the next.
        for w in legs.windows(2) {
            let ((t0, a), (t1, b)) = (w[0], w[1]);
            if s < t1 {
                if t1 <= t0 || s <= t0 {
                    return a;
                }
                let f = (s - t0) as f64 / (t1 - t0) as f64;
                return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
            }
        }
        legs.last().map_or(home, |l| l.1)
    }
}

/// Generates the traces (see the module docs).
pub fn simulate(o: &SimOptions, out: SimOut<'_>) -> Result<SimReport, Error> {
    if o.people == 0 || o.days == 0 {
        return Err(Error::Query("sim: --people and --days must be at least 1".into()));
    }
    if o.interval_s < 60 || o.interval_s > 86_400 {
        return Err(Error::Query(format!(
            "sim: --interval must be between 1 minute and 1 day, got {} s",
            o.interval_s
        )));
    }
    let (s, n, w, e) = o.bbox;
    if !(-90.0..=90.0).contains(&s)
        || !(-90.0..=90.0).contains(&n)
        || s >= n
        || !(-180.0..=180.0).contains(&w)
        || !(-180.0..=180.0).contains(&e)
        || w >= e
    {
        return Err(Error::Query(format!("sim: bad bounding box {:?}", o.bbox)));
    }
    let m = Model { o, n_work: (o.people / 40).max(1), n_shop: (o.people / 300).max(1) };
    let width = (o.people - 1).to_string().len().max(7);
    let names: Vec<Box<str>> = (0..o.people).map(|p| format!("p{p:0width$}").into()).collect();
    let source: Arc<str> = "sim".into();
    let mut store = match out {
        SimOut::Store(dir) => Some(StoreWriter::new(dir, o.max_buffered_rows, 0)?),
        SimOut::CsvGz(_) => None,
    };
    // Ids are given in order of first appearance, as an import of the CSV output would.
    let mut pids: Vec<u32> = vec![u32::MAX; names.len()];
    let mut csv = match out {
        SimOut::CsvGz(path) => {
            let f = std::fs::File::create(path).map_err(io_err(path))?;
            let mut gz = flate2::write::GzEncoder::new(
                std::io::BufWriter::with_capacity(1 << 20, f),
                flate2::Compression::fast(),
            );
            writeln!(gz, "person,t,lat,lon,accuracy_m,source").map_err(io_err(path))?;
            Some((gz, path))
        }
        SimOut::Store(_) => None,
    };
    let steps = 86_400 / o.interval_s;
    let bar = if o.progress {
        indicatif::ProgressBar::new(u64::from(o.days) * steps as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut rows = 0u64;
    let mut line = String::with_capacity(96);
    let mut order: Vec<(i64, u64)> = Vec::with_capacity(o.people as usize);
    for d in 0..i64::from(o.days) {
        let day = o.start_day + d;
        // Each person's ping offset within the interval, fixed for the day.
        order.clear();
        order.extend((0..o.people).map(|p| ((h(o.seed, 8, p, day as u64) % o.interval_s as u64) as i64, p)));
        order.sort_unstable();
        for k in 0..steps {
            let step0 = day * 86_400 + k * o.interval_s;
            for &(off, p) in &order {
                let t = step0 + off;
                if t >= (day + 1) * 86_400 {
                    continue;
                }
                let local = t + o.utc_offset_s;
                let (lday, sod) = (local.div_euclid(86_400), local.rem_euclid(86_400));
                let (lat, lon) = m.position(p, lday, sod);
                let j = h(o.seed, 9, p, t as u64);
                let dlat = (unit(j) - 0.5) * 40.0 / 111_195.0;
                let dlon = (unit(mix(j)) - 0.5) * 40.0 / (111_195.0 * lat.to_radians().cos());
                let (lat, lon) = (round6(lat + dlat), round6(lon + dlon));
                let acc = (5 + mix(j ^ 7) % 26) as f64;
                rows += 1;
                if let Some(st) = store.as_mut() {
                    if pids[p as usize] == u32::MAX {
                        pids[p as usize] = st.pid(&names[p as usize])?;
                    }
                    st.push(Row {
                        pid: pids[p as usize],
                        t_us: t * 1_000_000,
                        lat,
                        lon,
                        accuracy_m: Some(acc),
                        source: source.clone(),
                        line: rows,
                    })?;
                }
                if let Some((gz, path)) = csv.as_mut() {
                    use std::fmt::Write as _;
                    line.clear();
                    let _ = writeln!(line, "{},{},{lat:.6},{lon:.6},{acc},sim", names[p as usize], format_utc_s(t));
                    gz.write_all(line.as_bytes()).map_err(io_err(path))?;
                }
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let days = match store {
        Some(st) => st.finish()?.0,
        None => Vec::new(),
    };
    if let Some((gz, path)) = csv {
        let mut inner = gz.finish().map_err(io_err(path))?;
        inner.flush().map_err(io_err(path))?;
    }
    Ok(SimReport { rows, days })
}
