//! R_t for a whole province-sized batch: 3,000 county-level units × 365 days, sliding 7-day
//! windows (359 per unit), parametric SI (mean 4.7 d, sd 2.9 d), default prior, all seven
//! posterior quantiles. Target: < 1 s per batch on 2 cores.
//!
//! Synthetic incidence (no real 3,000-unit daily series is available offline): each unit follows
//! a wave `peak · exp(−((t − centre)/width)²)` with unit-specific peak (0–80/day), centre and
//! width, plus deterministic noise, rounded to integers; many unit-days are 0 as in real data.

use criterion::{Criterion, criterion_group, criterion_main};
use firebreak_epi::serial::SplitMix64;
use firebreak_epi::{GammaPrior, Incidence, SiSpec, Windows, estimate_r_many};
use std::hint::black_box;

fn synthetic_units(units: usize, days: usize) -> Vec<Incidence> {
    let mut rng = SplitMix64::new(42);
    let mut uniform = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (0..units)
        .map(|_| {
            let peak = 80.0 * uniform();
            let centre = 365.0 * uniform();
            let width = 10.0 + 50.0 * uniform();
            let total: Vec<f64> = (0..days)
                .map(|t| {
                    let x = (t as f64 - centre) / width;
                    let mean = peak * (-x * x).exp();
                    (mean * (0.5 + uniform())).round()
                })
                .collect();
            match Incidence::from_total(&total) {
                Ok(i) => i,
                Err(e) => panic!("synthetic series invalid: {e}"),
            }
        })
        .collect()
}

fn bench_rt(c: &mut Criterion) {
    let units = synthetic_units(3_000, 365);
    let si = SiSpec::ParametricGamma { mean: 4.7, sd: 2.9 };
    let windows = Windows::Sliding { width: 7 };
    let mut group = c.benchmark_group("rt");
    group.sample_size(10);
    group.bench_function("estimate_r_many 3000 units x 365 days, 7-day windows", |b| {
        b.iter(|| {
            let out = estimate_r_many(black_box(&units), black_box(&si), &windows, GammaPrior::default());
            black_box(out)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_rt);
criterion_main!(benches);
