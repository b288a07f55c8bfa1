//! Mergeable accumulators of matched pairs and the finished per-companion results.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::Error;
use crate::params::Params;

/// A multiplicative hasher for the packed (case, person) u64 link key.
#[derive(Default, Clone, Copy)]
pub(crate) struct MulHasher(u64);

impl Hasher for MulHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Packed `(case << 32) | person` → position in `Accumulator::links`.
type LinkMap = HashMap<u64, u32, BuildHasherDefault<MulHasher>>;

/// The closest matched pair of a link: its haversine distance (metres) and both points
/// (times in seconds UTC, coordinates in degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Closest {
    /// Haversine distance between the two points, metres (as computed by [`crate::haversine_m`]
    /// with the case point first).
    pub distance_m: f64,
    /// Time of the case point, seconds since the Unix epoch (UTC).
    pub case_t: i64,
    /// Latitude of the case point, degrees.
    pub case_lat: f64,
    /// Longitude of the case point, degrees.
    pub case_lon: f64,
    /// Time of the other person's point, seconds since the Unix epoch (UTC).
    pub other_t: i64,
    /// Latitude of the other person's point, degrees.
    pub other_lat: f64,
    /// Longitude of the other person's point, degrees.
    pub other_lon: f64,
}

impl Closest {
    /// Total order: distance first, then the times and coordinates, so that ties are broken the
    /// same way whatever the order the pairs were seen in (chunking, partitions, brute force).
    fn cmp_total(&self, o: &Closest) -> Ordering {
        self.distance_m
            .total_cmp(&o.distance_m)
            .then(self.case_t.cmp(&o.case_t))
            .then(self.other_t.cmp(&o.other_t))
            .then(self.case_lat.total_cmp(&o.case_lat))
            .then(self.case_lon.total_cmp(&o.case_lon))
            .then(self.other_lat.total_cmp(&o.other_lat))
            .then(self.other_lon.total_cmp(&o.other_lon))
    }
}

/// A set of half-open time intervals `[lo, hi)` (seconds) whose union is kept exactly, in
/// memory bounded by the number of separate episodes plus a small buffer. The most recent
/// interval is kept inline, so a link with one episode allocates nothing.
#[derive(Debug, Clone)]
struct Spans {
    cur: (i64, i64),
    rest: Vec<(i64, i64)>,
    normalized_len: usize,
}

/// Sorts and coalesces overlapping or touching intervals in place.
fn coalesce(v: &mut Vec<(i64, i64)>) {
    v.sort_unstable();
    let mut out = 0usize;
    for i in 0..v.len() {
        let (lo, hi) = v[i];
        if out > 0 && lo <= v[out - 1].1 {
            v[out - 1].1 = v[out - 1].1.max(hi);
        } else {
            v[out] = (lo, hi);
            out += 1;
        }
    }
    v.truncate(out);
}

/// Measure of the union of `v`, seconds (saturating); `v` is coalesced on the way.
fn union_measure(v: &mut Vec<(i64, i64)>) -> i64 {
    coalesce(v);
    v.iter().fold(0i64, |s, &(lo, hi)| s.saturating_add(hi.saturating_sub(lo)))
}

impl Spans {
    fn new(lo: i64, hi: i64) -> Spans {
        Spans { cur: (lo, hi), rest: Vec::new(), normalized_len: 0 }
    }

    #[inline]
    fn add(&mut self, lo: i64, hi: i64) {
        // Overlapping or touching the most recent interval (the usual case along a trace).
        if lo <= self.cur.1 && hi >= self.cur.0 {
            self.cur = (self.cur.0.min(lo), self.cur.1.max(hi));
            return;
        }
        self.rest.push(self.cur);
        self.cur = (lo, hi);
        if self.rest.len() > 2 * self.normalized_len + 32 {
            coalesce(&mut self.rest);
            self.normalized_len = self.rest.len();
        }
    }

    fn extend(&mut self, other: &Spans) {
        self.rest.extend_from_slice(&other.rest);
        self.rest.push(other.cur);
        coalesce(&mut self.rest);
        self.normalized_len = self.rest.len();
    }

    /// Appends all intervals to `out`.
    fn collect_into(&self, out: &mut Vec<(i64, i64)>) {
        out.extend_from_slice(&self.rest);
        out.push(self.cur);
    }
}

/// Running figures of one (case, person) link.
#[derive(Debug, Clone)]
struct LinkAcc {
    encounters: u64,
    first_t: i64,
    last_t: i64,
    closest: Closest,
    spans: Spans,
}

impl LinkAcc {
    fn merge(&mut self, o: LinkAcc) {
        self.encounters += o.encounters;
        self.first_t = self.first_t.min(o.first_t);
        self.last_t = self.last_t.max(o.last_t);
        if o.closest.cmp_total(&self.closest) == Ordering::Less {
            self.closest = o.closest;
        }
        self.spans.extend(&o.spans);
    }
}

/// One matched point pair as the engine hands it to an accumulator: times in seconds (UTC),
/// coordinates in degrees, distance in metres.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair {
    pub case_key: u32,
    pub person: u32,
    pub case_t: i64,
    pub case_lat: f64,
    pub case_lon: f64,
    pub other_t: i64,
    pub other_lat: f64,
    pub other_lon: f64,
    pub distance_m: f64,
}

/// Mergeable running results of a query: one entry per (case, person) link seen so far.
///
/// Feed it with [`crate::CaseIndex::probe`] once per partition of the others' points, merge
/// accumulators built elsewhere (other threads, machines, partitions) with
/// [`Accumulator::merge`], and call [`Accumulator::finish`] once. Every figure is an exact
/// commutative, associative reduction (sum, min, max, total-order min, interval union), so
/// the result does not depend on the partitioning or the order of merging.
/// Memory: one entry per link, each holding its co-presence episodes.
#[derive(Debug, Clone)]
pub struct Accumulator {
    params: Params,
    /// Where each link is in `links`.
    map: LinkMap,
    /// The links in order of first appearance.
    links: Vec<(u64, LinkAcc)>,
    /// The most recently touched link (key, position): matched pairs come in runs of one link.
    last: (u64, usize),
}

impl Accumulator {
    /// An empty accumulator for the query `params`.
    pub fn new(params: Params) -> Accumulator {
        Accumulator { params, map: LinkMap::default(), links: Vec::new(), last: (u64::MAX, usize::MAX) }
    }

    /// The query parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Number of (case, person) links with at least one encounter so far.
    pub fn links(&self) -> usize {
        self.links.len()
    }

    /// Adds one matched pair.
    #[inline]
    pub(crate) fn record(&mut self, p: &Pair) {
        let (lo, hi_pair) = if p.case_t <= p.other_t { (p.case_t, p.other_t) } else { (p.other_t, p.case_t) };
        let hi = hi_pair.max(lo.saturating_add(self.params.copresence_step_s()));
        let closest = Closest {
            distance_m: p.distance_m,
            case_t: p.case_t,
            case_lat: p.case_lat,
            case_lon: p.case_lon,
            other_t: p.other_t,
            other_lat: p.other_lat,
            other_lon: p.other_lon,
        };
        let key = (u64::from(p.case_key) << 32) | u64::from(p.person);
        let pos = if self.last.0 == key { Some(self.last.1) } else { self.map.get(&key).map(|&i| i as usize) };
        match pos {
            Some(i) => {
                self.last = (key, i);
                let l = &mut self.links[i].1;
                l.encounters += 1;
                l.first_t = l.first_t.min(lo);
                l.last_t = l.last_t.max(hi_pair);
                if closest.cmp_total(&l.closest) == Ordering::Less {
                    l.closest = closest;
                }
                l.spans.add(lo, hi);
            }
            None => {
                let spans = Spans::new(lo, hi);
                self.push(key, LinkAcc { encounters: 1, first_t: lo, last_t: hi_pair, closest, spans });
            }
        }
    }

    fn push(&mut self, key: u64, l: LinkAcc) {
        let i = self.links.len();
        self.map.insert(key, i as u32);
        self.links.push((key, l));
        self.last = (key, i);
    }

    /// Merges `other` (same query) into `self`. Errors with [`Error::ParamsMismatch`] when the
    /// two were built for different parameters.
    pub fn merge(&mut self, other: Accumulator) -> Result<(), Error> {
        if self.params != other.params {
            return Err(Error::ParamsMismatch { left: self.params, right: other.params });
        }
        self.merge_same(other);
        Ok(())
    }

    pub(crate) fn merge_same(&mut self, mut other: Accumulator) {
        if other.links.len() > self.links.len() {
            std::mem::swap(self, &mut other);
        }
        for (k, l) in other.links {
            match self.map.get(&k) {
                Some(&i) => self.links[i as usize].1.merge(l),
                None => self.push(k, l),
            }
        }
    }

    /// The companions, sorted by person key; within each, the links sorted by case key.
    /// Links with `copresence_s < params.min_copresence_s()` are dropped, and a person is
    /// reported only if at least one of their links remains; the companion totals are over the
    /// remaining links.
    pub fn finish(self) -> Vec<Companion> {
        let min = self.params.min_copresence_s();
        let links = self.links;
        // Sort positions by (person, case) (the key rotated) rather than moving the links.
        let mut order: Vec<(u64, u32)> =
            links.iter().enumerate().map(|(i, (k, _))| (k.rotate_right(32), i as u32)).collect();
        order.sort_unstable();
        let mut out: Vec<Companion> = Vec::new();
        let mut all = Vec::new();
        let mut one = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let person = (order[i].0 >> 32) as u32;
            let mut j = i;
            let mut cases = Vec::new();
            all.clear();
            while j < order.len() && (order[j].0 >> 32) as u32 == person {
                let (k, l) = &links[order[j].1 as usize];
                let case = (k >> 32) as u32;
                one.clear();
                l.spans.collect_into(&mut one);
                let copresence_s = union_measure(&mut one);
                if copresence_s >= min {
                    all.extend_from_slice(&one);
                    cases.push(CaseLink {
                        case,
                        encounters: l.encounters,
                        first_t: l.first_t,
                        last_t: l.last_t,
                        min_distance_m: l.closest.distance_m,
                        closest: l.closest,
                        copresence_s,
                        copresence_minutes: copresence_s as f64 / 60.0,
                    });
                }
                j += 1;
            }
            i = j;
            let Some(first) = cases.first() else { continue };
            let mut closest = first.closest;
            let mut closest_case = first.case;
            for c in &cases[1..] {
                // Strictly better only: the smallest case key wins a tie.
                if c.closest.cmp_total(&closest) == Ordering::Less {
                    closest = c.closest;
                    closest_case = c.case;
                }
            }
            let copresence_s = union_measure(&mut all);
            out.push(Companion {
                person,
                encounters: cases.iter().map(|c| c.encounters).sum(),
                first_t: cases.iter().map(|c| c.first_t).min().unwrap_or(0),
                last_t: cases.iter().map(|c| c.last_t).max().unwrap_or(0),
                min_distance_m: closest.distance_m,
                closest,
                closest_case,
                copresence_s,
                copresence_minutes: copresence_s as f64 / 60.0,
                cases,
            });
        }
        out
    }
}

/// The figures of one (case, companion) link.
///
/// Definitions (all over the matched pairs of this case's points with this person's points;
/// a matched pair has haversine distance ≤ `radius_m` and `|t₁ − t₂| ≤ window_s`):
/// - `encounters`: number of matched point pairs.
/// - `first_t`: min over matched pairs of `min(t_case, t_other)`; `last_t`: max over matched
///   pairs of `max(t_case, t_other)` (seconds, UTC): the earliest and latest instant either
///   person was at a matching point.
/// - `min_distance_m` / `closest`: the matched pair with the smallest haversine distance
///   (ties broken by case time, other time, then coordinates).
/// - `copresence_s`: measure (seconds) of the union over matched pairs of the interval
///   `[min(t₁,t₂), max(max(t₁,t₂), min(t₁,t₂) + copresence_step_s))`: the time from the earlier
///   to the later of the two fixes, widened to at least one sampling step so that a single
///   fix (or equal timestamps with `window_s = 0`) counts as one step rather than zero. Two
///   people walking together from 10:00 to 10:30 score 30 minutes whatever their sampling
///   rates; a single matched pair scores `max(|t₁ − t₂|, step)`.
/// - `copresence_minutes`: `copresence_s / 60`.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseLink {
    /// The case key.
    pub case: u32,
    /// Number of matched point pairs.
    pub encounters: u64,
    /// First encounter time, seconds since the Unix epoch (UTC).
    pub first_t: i64,
    /// Last encounter time, seconds since the Unix epoch (UTC).
    pub last_t: i64,
    /// Smallest haversine distance of a matched pair, metres.
    pub min_distance_m: f64,
    /// The closest matched pair.
    pub closest: Closest,
    /// Co-presence, seconds (see the type's documentation).
    pub copresence_s: i64,
    /// Co-presence, minutes (`copresence_s / 60`).
    pub copresence_minutes: f64,
}

/// One spatiotemporal companion (时空伴随者): a person with at least one encounter with at
/// least one case, with totals over their reported links (see [`CaseLink`] for the
/// definitions; `copresence_s` here is the measure of the union of all the links' intervals,
/// so time spent with two cases at once counts once).
#[derive(Debug, Clone, PartialEq)]
pub struct Companion {
    /// The person's key.
    pub person: u32,
    /// Matched point pairs, summed over the links.
    pub encounters: u64,
    /// First encounter time over the links, seconds since the Unix epoch (UTC).
    pub first_t: i64,
    /// Last encounter time over the links, seconds since the Unix epoch (UTC).
    pub last_t: i64,
    /// Smallest distance over the links, metres.
    pub min_distance_m: f64,
    /// The closest matched pair over the links.
    pub closest: Closest,
    /// The case of the closest pair (the smallest case key on a tie).
    pub closest_case: u32,
    /// Co-presence with any case, seconds.
    pub copresence_s: i64,
    /// Co-presence with any case, minutes.
    pub copresence_minutes: f64,
    /// The links, one per case, sorted by case key.
    pub cases: Vec<CaseLink>,
}
