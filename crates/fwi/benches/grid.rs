//! FWI System over a 1 km grid the size of Hunan (~211,000 cells) for 365 days.
//!
//! Weather is synthetic but plausible for humid subtropical Hunan (24.6–30.1°N): a seasonal
//! cycle, a smooth "terrain" field, day-level weather systems shared by all cells, and
//! per-cell noise from a counter-based hash, so every run sees the same numbers. Only the
//! `FwiGrid::step` calls are timed (weather generation happens between them, untimed).

use std::f64::consts::TAU;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use firebreak_fwi::{FwiGrid, FwiParams, GridIndices, GridWeather, Month};

const ROWS: usize = 460;
const COLS: usize = 459; // 460 × 459 = 211,140 cells of ~1 km²
const DAYS: usize = 365;
const MONTH_LENGTHS: [usize; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// SplitMix64 finaliser: a deterministic hash of (day, cell, stream) → uniform in [0, 1).
fn uniform(day: usize, cell: usize, stream: u64) -> f64 {
    let mut z = (day as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((cell as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(stream.wrapping_mul(0x94D0_49BB_1331_11EB));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

struct Weather {
    temp: Vec<f64>,
    rh: Vec<f64>,
    wind: Vec<f64>,
    rain: Vec<f64>,
}

struct Field {
    lat: Vec<f64>,
    terrain: Vec<f64>,
}

fn field() -> Field {
    let mut lat = Vec::with_capacity(ROWS * COLS);
    let mut terrain = Vec::with_capacity(ROWS * COLS);
    for r in 0..ROWS {
        for c in 0..COLS {
            lat.push(25.5 + r as f64 * 0.009);
            let (y, x) = (r as f64 / ROWS as f64, c as f64 / COLS as f64);
            // 0 (plains, north-east) .. 1 (mountains, west and south).
            let t = 0.5 + 0.25 * (TAU * 1.5 * x).sin() * (TAU * y).cos() + 0.25 * (1.0 - x);
            terrain.push(t.clamp(0.0, 1.0));
        }
    }
    Field { lat, terrain }
}

fn weather_for(day: usize, f: &Field, w: &mut Weather) {
    let season = (TAU * (day as f64 - 105.0) / 365.0).sin(); // −1 mid-January … +1 mid-July
    let system_wet = uniform(day, usize::MAX, 1); // day-level weather system
    let system_wind = uniform(day, usize::MAX, 2);
    let rain_chance = 0.15 + 0.45 * system_wet * (1.0 + 0.3 * (TAU * (day as f64 - 120.0) / 365.0).cos());
    for i in 0..f.lat.len() {
        let (u1, u2, u3, u4) = (uniform(day, i, 3), uniform(day, i, 4), uniform(day, i, 5), uniform(day, i, 6));
        let temp = 18.0 + 11.0 * season - 6.0 * f.terrain[i] + 8.0 * (u1 - 0.5);
        let rh = (72.0 - 8.0 * season + 25.0 * (system_wet - 0.5) + 30.0 * (u2 - 0.5)).clamp(12.0, 100.0);
        let wind = 3.0 + 20.0 * system_wind * u3 + 6.0 * f.terrain[i];
        let rain = if u4 < rain_chance { -8.0 * (1.0 - uniform(day, i, 7)).ln() } else { 0.0 };
        w.temp[i] = temp;
        w.rh[i] = rh;
        w.wind[i] = wind;
        w.rain[i] = rain;
    }
}

fn months() -> Vec<Month> {
    let mut v = Vec::with_capacity(DAYS);
    for (m, &len) in MONTH_LENGTHS.iter().enumerate() {
        for _ in 0..len {
            // 1..=12 is always a valid month.
            v.push(Month::new(m as i64 + 1).expect("month 1..=12"));
        }
    }
    v
}

/// Runs one year; returns the time spent in `FwiGrid::step` and the mean FWI of the last day.
fn year(f: &Field, months: &[Month], w: &mut Weather, out: &mut GridIndices) -> (Duration, f64) {
    let mut grid = FwiGrid::new(&f.lat, FwiParams::default()).expect("valid latitudes");
    let mut spent = Duration::ZERO;
    for (day, &month) in months.iter().enumerate() {
        weather_for(day, f, w);
        let gw = GridWeather { temp: &w.temp, rh: &w.rh, wind: &w.wind, rain: &w.rain };
        let t0 = Instant::now();
        grid.step(month, &gw, out).expect("synthetic weather is valid");
        spent += t0.elapsed();
    }
    let mean = out.fwi.iter().sum::<f64>() / out.fwi.len() as f64;
    (spent, mean)
}

fn bench(c: &mut Criterion) {
    let f = field();
    let months = months();
    let n = f.lat.len();
    let mut w = Weather { temp: vec![0.0; n], rh: vec![0.0; n], wind: vec![0.0; n], rain: vec![0.0; n] };
    let mut out = GridIndices::default();
    let mut g = c.benchmark_group("fwi_grid");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(format!("hunan_{n}_cells_365_days"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (spent, mean) = year(&f, &months, &mut w, &mut out);
                black_box(mean);
                total += spent;
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
