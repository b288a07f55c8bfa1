//! The reference: every case point against every other point.

use crate::acc::{Accumulator, Companion, Pair};
use crate::error::{Error, Side, check_coords};
use crate::geo::{Pre, distance_pre};
use crate::index::{CaseIndex, check_case_row};
use crate::params::Params;
use crate::points::Points;

/// Brute-force reference join, O(n·m): compares every case point with every other point
/// (keys, t seconds UTC, lat/lon degrees) and returns the same output as [`colocate`]:
/// pairs with `|t₁ − t₂| <= window_s` and haversine distance (Sinnott 1984, R = 6,371,008.8 m)
/// `<= radius_m`, skipping pairs whose two keys are equal. Validation and errors are the
/// same as the engine's (case rows first, then other rows, lowest bad row).
/// For tests and benchmarks only.
pub fn brute_force(cases: Points<'_>, others: Points<'_>, params: &Params) -> Result<Vec<Companion>, Error> {
    let mut acc = Accumulator::new(*params);
    brute_force_into(&mut acc, cases, others)?;
    Ok(acc.finish())
}

/// [`brute_force`] for one partition of the others, into an accumulator (same contract as
/// [`CaseIndex::probe`]).
pub fn brute_force_into(acc: &mut Accumulator, cases: Points<'_>, others: Points<'_>) -> Result<(), Error> {
    let params = *acc.params();
    for i in 0..cases.len() {
        check_case_row(cases, i, params.window_s())?;
    }
    for j in 0..others.len() {
        check_coords(Side::Other, j, others.lats()[j], others.lons()[j])?;
    }
    let window = params.window_s() as u64;
    let cpre: Vec<Pre> = (0..cases.len()).map(|i| Pre::new(cases.lats()[i], cases.lons()[i])).collect();
    for j in 0..others.len() {
        let (person, t, lat, lon) = (others.keys()[j], others.times()[j], others.lats()[j], others.lons()[j]);
        let o = Pre::new(lat, lon);
        for (i, cp) in cpre.iter().enumerate() {
            let ct = cases.times()[i];
            let ck = cases.keys()[i];
            if ck == person || ct.abs_diff(t) > window {
                continue;
            }
            let d = distance_pre(cp, &o);
            if d <= params.radius_m() {
                acc.record(&Pair {
                    case_key: ck,
                    person,
                    case_t: ct,
                    case_lat: cases.lats()[i],
                    case_lon: cases.lons()[i],
                    other_t: t,
                    other_lat: lat,
                    other_lon: lon,
                    distance_m: d,
                });
            }
        }
    }
    Ok(())
}

/// Exact co-location join of `cases` against one batch of `others` (both: keys, t seconds
/// UTC, lat/lon degrees): builds a [`CaseIndex`], probes once and finishes. For a store
/// partitioned by day, use [`CaseIndex`] and [`Accumulator`] directly (see the crate docs).
pub fn colocate(cases: Points<'_>, others: Points<'_>, params: &Params) -> Result<Vec<Companion>, Error> {
    let index = CaseIndex::build(cases, params)?;
    let mut acc = index.accumulator();
    index.probe(&mut acc, others)?;
    Ok(acc.finish())
}
