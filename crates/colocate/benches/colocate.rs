//! Co-location join benchmark on synthetic, deterministic city traces.
//!
//! 100,000 people × 100 fixes over one day (10 M points) moving between 20,000 places in a
//! ~30 km box around 26.9° N, 112.6° E (Hengyang); cases (10 or 1,000, 500 fixes each) follow
//! other people's places so their traces overlap. Query: d = 50 m, Δt = 5 min.
//!
//! - `engine/*`: index build + probe of all 10 M points (end to end in memory), and the probe
//!   alone, with person-major (trace-ordered) rows and with shuffled rows;
//! - `subset/*`: engine vs brute force on 10 cases × the first 100,000 points (the brute force
//!   is O(n·m)).
//!
//! `FIREBREAK_COLOCATE_BENCH_100M=1` also times one build + probe over 100 M points
//! (1,000,000 people) with 1,000 cases, outside criterion (needs ~3 GB of memory).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use firebreak_colocate::{CaseIndex, Params, PointBuf, Tuning, brute_force, colocate};

const DAY0: i64 = 1_664_582_400; // 2022-10-01T00:00:00Z
const LAT0: f64 = 26.9;
const LON0: f64 = 112.6;
const HALF_LAT: f64 = 0.135; // ±15 km
const HALF_LON: f64 = 0.151; // ±15 km at 26.9° N
const PLACES: usize = 20_000;
const FIXES: usize = 100;
const CASE_FIXES: usize = 500;

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct City {
    places: Vec<(f64, f64)>,
    /// Place of person p at fix k: `sched[p * FIXES + k]`.
    sched: Vec<u32>,
    others: PointBuf,
}

/// ±`m` metres of jitter, in degrees of latitude and longitude.
fn jitter(rng: &mut Rng, m: f64) -> (f64, f64) {
    let dlat = (rng.unit() * 2.0 - 1.0) * m / 111_195.0;
    let dlon = (rng.unit() * 2.0 - 1.0) * m / (111_195.0 * LAT0.to_radians().cos());
    (dlat, dlon)
}

fn city(people: usize, seed: u64) -> City {
    let mut rng = Rng(seed);
    let places: Vec<(f64, f64)> = (0..PLACES)
        .map(|_| (LAT0 + (rng.unit() * 2.0 - 1.0) * HALF_LAT, LON0 + (rng.unit() * 2.0 - 1.0) * HALF_LON))
        .collect();
    let step = 86_400 / FIXES as i64;
    let mut sched = Vec::with_capacity(people * FIXES);
    let mut others = PointBuf::with_capacity(people * FIXES);
    for p in 0..people {
        let mut place = rng.below(PLACES);
        for k in 0..FIXES {
            if rng.unit() < 0.15 {
                place = rng.below(PLACES);
            }
            sched.push(place as u32);
            let (dlat, dlon) = jitter(&mut rng, 20.0);
            let t = DAY0 + k as i64 * step + rng.below(step as usize) as i64;
            let (lat, lon) = places[place];
            others.push(p as u32, t, lat + dlat, lon + dlon);
        }
    }
    City { places, sched, others }
}

/// `n` cases (keys from 10,000,000 up), each with 500 fixes following a host person's places,
/// switching host every ~2 h.
fn cases(c: &City, n: usize, seed: u64) -> PointBuf {
    let mut rng = Rng(seed);
    let people = c.sched.len() / FIXES;
    let mut out = PointBuf::with_capacity(n * CASE_FIXES);
    let step = 86_400 / CASE_FIXES as i64;
    for i in 0..n {
        let mut host = rng.below(people);
        for k in 0..CASE_FIXES {
            if k % 40 == 0 {
                host = rng.below(people);
            }
            let t = DAY0 + k as i64 * step + rng.below(step as usize) as i64;
            let fix = (((t - DAY0) * FIXES as i64) / 86_400) as usize;
            let (lat, lon) = c.places[c.sched[host * FIXES + fix.min(FIXES - 1)] as usize];
            let (dlat, dlon) = jitter(&mut rng, 20.0);
            out.push(10_000_000 + i as u32, t, lat + dlat, lon + dlon);
        }
    }
    out
}

fn shuffled(p: &PointBuf, seed: u64) -> PointBuf {
    let mut rng = Rng(seed);
    let pts = p.as_points();
    let mut order: Vec<usize> = (0..p.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut out = PointBuf::with_capacity(p.len());
    for i in order {
        out.push(pts.keys()[i], pts.times()[i], pts.lats()[i], pts.lons()[i]);
    }
    out
}

fn time_sorted(p: &PointBuf) -> PointBuf {
    let pts = p.as_points();
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by_key(|&i| pts.times()[i]);
    let mut out = PointBuf::with_capacity(p.len());
    for i in order {
        out.push(pts.keys()[i], pts.times()[i], pts.lats()[i], pts.lons()[i]);
    }
    out
}

fn tune_grid() -> Vec<(f64, f64)> {
    match std::env::var("FIREBREAK_COLOCATE_TUNE_GRID") {
        Ok(g) => g
            .split(';')
            .map(|p| {
                let mut it = p.split(',').map(|x| x.parse::<f64>().expect("number"));
                (it.next().expect("cf"), it.next().expect("bf"))
            })
            .collect(),
        Err(_) => vec![(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (8.0, 4.0), (8.0, 8.0), (16.0, 4.0)],
    }
}

/// On-CPU time of the calling thread (Linux `/proc/thread-self/schedstat`), if available.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(s.split_whitespace().next()?.parse().ok()?))
}

/// Median wall time of `runs` calls of `f`, and the median on-CPU time of this thread (the
/// whole work when `RAYON_NUM_THREADS=1`, which runs the probe on the calling thread): on a
/// shared machine the CPU time is the steadier figure.
fn median_time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut v: Vec<(Duration, Duration)> = (0..runs)
        .map(|_| {
            let (t0, c0) = (Instant::now(), thread_cpu());
            f();
            let cpu = match (c0, thread_cpu()) {
                (Some(a), Some(b)) => b - a,
                _ => Duration::ZERO,
            };
            (t0.elapsed(), cpu)
        })
        .collect();
    let mut wall: Vec<Duration> = v.iter().map(|x| x.0).collect();
    v.sort_by_key(|x| x.1);
    wall.sort();
    (wall[runs / 2], v[runs / 2].1)
}

/// `FIREBREAK_COLOCATE_TUNE=1`: median probe times of a few grid shapes, then exit.
fn tune(c: &City, params: &Params) {
    let orders = [("person", c.others.clone()), ("time", time_sorted(&c.others)), ("shuffled", shuffled(&c.others, 2))];
    for ncases in [10usize, 1_000] {
        let cs = cases(c, ncases, 3 + ncases as u64);
        for (cf, bf) in tune_grid() {
            let tuning = Tuning { cell_factor: cf, bucket_factor: bf, ..Tuning::default() };
            let t0 = Instant::now();
            let index = CaseIndex::build_tuned(cs.as_points(), params, tuning, None).expect("index");
            let build = t0.elapsed();
            let mut line = format!(
                "cases {ncases:5} cell {cf:4}×r bucket {bf:3}×Δt: entries {:9}, {:6.1} MB, build {:7.1?}",
                index.entries(),
                index.heap_bytes() as f64 / 1e6,
                build
            );
            for (name, o) in &orders {
                let m = median_time(3, || {
                    let mut acc = index.accumulator();
                    index.probe(&mut acc, o.as_points()).expect("probe");
                    black_box(acc.links());
                });
                line += &format!(", {name} {:7.1?} (cpu {:7.1?})", m.0, m.1);
            }
            eprintln!("{line}");
        }
    }
}

fn head(p: &PointBuf, n: usize) -> PointBuf {
    let pts = p.as_points();
    let mut out = PointBuf::with_capacity(n);
    for i in 0..n.min(p.len()) {
        out.push(pts.keys()[i], pts.times()[i], pts.lats()[i], pts.lons()[i]);
    }
    out
}

fn bench(cr: &mut Criterion) {
    let params = Params::new(50.0, 300).expect("params");
    let c = city(100_000, 1);
    if std::env::var_os("FIREBREAK_COLOCATE_TUNE").is_some() {
        tune(&c, &params);
        return;
    }
    let others = &c.others;
    let others_shuffled = shuffled(others, 2);
    let others_by_time = time_sorted(others);
    let n = others.len();

    let mut g = cr.benchmark_group("engine");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(n as u64));
    for ncases in [10usize, 1_000] {
        let cs = cases(&c, ncases, 3 + ncases as u64);
        let index = CaseIndex::build(cs.as_points(), &params).expect("index");
        let mut acc = index.accumulator();
        index.probe(&mut acc, others.as_points()).expect("probe");
        let out = acc.finish();
        eprintln!(
            "{ncases} cases: {} case points, {} index entries, {} companions, {} links, {} point pairs",
            cs.len(),
            index.entries(),
            out.len(),
            out.iter().map(|x| x.cases.len()).sum::<usize>(),
            out.iter().map(|x| x.encounters).sum::<u64>()
        );
        g.bench_function(BenchmarkId::new("end_to_end_10M", ncases), |b| {
            b.iter(|| colocate(cs.as_points(), others.as_points(), &params).expect("colocate"))
        });
        g.bench_function(BenchmarkId::new("probe_10M", ncases), |b| {
            b.iter(|| {
                let mut acc = index.accumulator();
                index.probe(&mut acc, others.as_points()).expect("probe");
                black_box(acc.links())
            })
        });
        g.bench_function(BenchmarkId::new("probe_10M_time_sorted", ncases), |b| {
            b.iter(|| {
                let mut acc = index.accumulator();
                index.probe(&mut acc, others_by_time.as_points()).expect("probe");
                black_box(acc.links())
            })
        });
        g.bench_function(BenchmarkId::new("probe_10M_shuffled", ncases), |b| {
            b.iter(|| {
                let mut acc = index.accumulator();
                index.probe(&mut acc, others_shuffled.as_points()).expect("probe");
                black_box(acc.links())
            })
        });
    }
    g.finish();

    let sub = head(others, 100_000);
    let cs = cases(&c, 10, 13);
    assert_eq!(
        colocate(cs.as_points(), sub.as_points(), &params).expect("engine"),
        brute_force(cs.as_points(), sub.as_points(), &params).expect("brute")
    );
    let mut g = cr.benchmark_group("subset");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(sub.len() as u64));
    g.bench_function("engine_10cases_100k", |b| {
        b.iter(|| colocate(cs.as_points(), sub.as_points(), &params).expect("engine"))
    });
    g.bench_function("brute_force_10cases_100k", |b| {
        b.iter(|| brute_force(cs.as_points(), sub.as_points(), &params).expect("brute"))
    });
    g.finish();

    if std::env::var_os("FIREBREAK_COLOCATE_BENCH_100M").is_some() {
        drop(others_shuffled);
        drop(others_by_time);
        let big = city(1_000_000, 7);
        let cs = cases(&big, 1_000, 8);
        for run in 0..3 {
            let t0 = Instant::now();
            let index = CaseIndex::build(cs.as_points(), &params).expect("index");
            let t1 = Instant::now();
            let mut acc = index.accumulator();
            index.probe(&mut acc, big.others.as_points()).expect("probe");
            let t2 = Instant::now();
            let out = acc.finish();
            let t3 = Instant::now();
            eprintln!(
                "100M run {run}: build {:?}, probe {:?}, finish {:?}, total {:?}, {:.0} M points/s, {} companions",
                t1 - t0,
                t2 - t1,
                t3 - t2,
                t3 - t0,
                big.others.len() as f64 / (t3 - t0).as_secs_f64() / 1e6,
                out.len()
            );
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
