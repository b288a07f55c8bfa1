//! Chain computation over 1,000,000 cases and 1,000,000 links (synthetic, deterministic).
//!
//! The mix: five large chains (100k, 50k, 20k, 10k, 5k cases, random recursive trees with a few
//! superspreaders), many small chains of 2–20 cases, about 10 % singletons; about half of the index
//! cases and singletons have an unobserved infector (100k unobserved nodes, some shared); the
//! remaining links are second infectors inside chains (drawn per case, so large chains get their
//! share), with 1 % duplicates, 0.2 % self-links and 0.3 % back links (cycles). Case indices are shuffled so that chains are scattered in memory.
//! Target: under 1 s for `analyze`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use firebreak_chains::{Case, Certainty, ChainInput, Link, Node, Params, analyze};

const CASES: usize = 1_000_000;
const LINKS: usize = 1_000_000;
const UNOBSERVED: u32 = 100_000;

/// splitmix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

fn synthetic() -> ChainInput {
    let mut rng = Rng(0x00C0_FFEE);
    // Physical index of logical case k: a shuffle.
    let mut perm: Vec<u32> = (0..CASES as u32).collect();
    for i in (1..CASES).rev() {
        perm.swap(i, rng.below(i + 1));
    }
    let cases: Vec<Case> = (0..CASES)
        .map(|_| {
            let onset = 18_000 + rng.below(120) as i32;
            Case { onset: rng.chance(0.8).then_some(onset), report: Some(onset + 1 + rng.below(5) as i32) }
        })
        .collect();
    let mut links: Vec<Link> = Vec::with_capacity(LINKS);
    let case_link =
        |from: usize, to: usize, certainty| Link { infector: Node::Case(perm[from]), infectee: perm[to], certainty };
    // Chains as logical ranges [start, start + size).
    let mut chains: Vec<(usize, usize)> = Vec::new();
    let mut next = 0usize;
    for size in [100_000, 50_000, 20_000, 10_000, 5_000] {
        chains.push((next, size));
        next += size;
    }
    while next < CASES - CASES / 10 {
        // Sizes 2..=20, mostly small: 2 + floor of a geometric-like draw.
        let mut size = 2;
        while size < 20 && rng.chance(0.55) {
            size += 1;
        }
        let size = size.min(CASES - CASES / 10 - next).max(2);
        chains.push((next, size));
        next += size;
    }
    let singletons = next..CASES;
    // Start of the chain of each chained logical case.
    let mut chain_start: Vec<u32> = Vec::with_capacity(next);
    for &(start, size) in &chains {
        chain_start.extend((0..size).map(|_| start as u32));
    }
    for &(start, size) in &chains {
        let spreaders = size.min(10);
        for k in 1..size {
            let infector =
                if size > 100 && rng.chance(0.3) { start + rng.below(spreaders) } else { start + rng.below(k) };
            links.push(case_link(infector, start + k, Certainty::Confirmed));
        }
    }
    let unobserved_link = |rng: &mut Rng, to: usize| Link {
        infector: Node::Unobserved(rng.below(UNOBSERVED as usize) as u32),
        infectee: perm[to],
        certainty: Certainty::Probable,
    };
    for &(start, _) in &chains {
        if rng.chance(0.5) {
            links.push(unobserved_link(&mut rng, start));
        }
    }
    for v in singletons {
        if rng.chance(0.5) {
            links.push(unobserved_link(&mut rng, v));
        }
    }
    // Top up with second infectors, duplicates, self-links and back links.
    while links.len() < LINKS {
        // A case drawn uniformly among chained cases: big chains get their share of extra links.
        let to = rng.below(chain_start.len());
        let start = chain_start[to] as usize;
        let roll = rng.below(1000);
        let link = if roll < 10 && !links.is_empty() {
            links[rng.below(links.len())]
        } else if roll < 12 {
            case_link(to, to, Certainty::Possible)
        } else if roll < 15 && to > start {
            case_link(to, start + rng.below(to - start), Certainty::Possible)
        } else if to > start {
            case_link(start + rng.below(to - start), to, Certainty::Probable)
        } else {
            unobserved_link(&mut rng, to)
        };
        links.push(link);
    }
    ChainInput { cases, unobserved: UNOBSERVED, links }
}

fn bench(c: &mut Criterion) {
    let input = synthetic();
    let params = Params::new(18_100);
    let a = analyze(&input, &params).expect("analyze");
    eprintln!(
        "synthetic: {} cases, {} links ({:?}), {} unobserved; {} chains, largest {}, {} problems",
        input.cases.len(),
        input.links.len(),
        a.counts,
        input.unobserved,
        a.chains.len(),
        a.largest_chain(),
        a.problems.len()
    );
    let mut group = c.benchmark_group("chains");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("analyze_1m_cases_1m_links", |b| {
        b.iter(|| analyze(black_box(&input), black_box(&params)).expect("analyze"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
