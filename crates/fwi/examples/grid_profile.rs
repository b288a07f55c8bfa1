//! A small grid run for profilers: `CELLS` cells × `DAYS` days of synthetic weather (the
//! benchmark's generator, simplified), all work in `FwiGrid::step`.
//!
//! ```text
//! cargo build --release -p firebreak-fwi --no-default-features --example grid_profile
//! valgrind --tool=callgrind --toggle-collect='*FwiGrid*step*' \
//!     target/release/examples/grid_profile 20000 30
//! ```
//!
//! Instructions per cell-day = the collected count / (CELLS × DAYS).

use std::time::Instant;

use firebreak_fwi::{FwiGrid, FwiParams, GridIndices, GridWeather, Month};

/// CPU time of the calling thread, ns (Linux `/proc/thread-self/schedstat`; 0 elsewhere). With
/// `--no-default-features` (no rayon) all the work is on this thread: a measure that other
/// processes loading the machine disturb far less than wall time.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// SplitMix64 finaliser → uniform in [0, 1).
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

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let cells = args.first().copied().unwrap_or(20_000);
    let days = args.get(1).copied().unwrap_or(30);
    let lat: Vec<f64> = (0..cells).map(|i| 24.6 + 5.5 * i as f64 / cells as f64).collect();
    let mut grid = FwiGrid::new(&lat, FwiParams::default()).expect("valid latitudes");
    let (mut temp, mut rh, mut wind, mut rain) =
        (vec![0.0; cells], vec![0.0; cells], vec![0.0; cells], vec![0.0; cells]);
    let mut out = GridIndices::default();
    let mut spent = 0.0;
    let mut cpu = 0u64;
    for day in 0..days {
        let season = (std::f64::consts::TAU * (day as f64 - 105.0) / 365.0).sin();
        for i in 0..cells {
            temp[i] = 18.0 + 11.0 * season + 8.0 * (uniform(day, i, 3) - 0.5);
            rh[i] = (72.0 - 8.0 * season + 30.0 * (uniform(day, i, 4) - 0.5)).clamp(12.0, 100.0);
            wind[i] = 3.0 + 20.0 * uniform(day, i, 5);
            rain[i] = if uniform(day, i, 6) < 0.3 { 10.0 * uniform(day, i, 7) } else { 0.0 };
        }
        let month = Month::new((day * 12 / 365 + 1) as i64).expect("1..=12");
        let gw = GridWeather { temp: &temp, rh: &rh, wind: &wind, rain: &rain };
        let (t0, c0) = (Instant::now(), thread_cpu_ns());
        grid.step(month, &gw, &mut out).expect("valid weather");
        spent += t0.elapsed().as_secs_f64();
        cpu += thread_cpu_ns() - c0;
    }
    let mean = out.fwi.iter().sum::<f64>() / cells as f64;
    let per = (cells * days) as f64;
    println!(
        "{cells} cells x {days} days in FwiGrid::step: {:.2} ns wall, {:.2} ns CPU of the calling thread \
         per cell-day; mean FWI {mean:.4}",
        spent * 1e9 / per,
        cpu as f64 / per
    );
}
