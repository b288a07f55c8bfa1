//! The chain computation: link classification, chains (connected components), generations,
//! spreaders and data problems. Linear in cases + links apart from small per-case sorts; no
//! recursion (iterative union-find and an iterative Tarjan over CSR adjacency).

use std::cmp::Reverse;

use serde::Serialize;

use crate::input::{Certainty, ChainInput, Node};
use crate::{CaseIdx, ChainId, Day};

/// Knobs of [`analyze`]. Time is a parameter: the kernel has no clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Params {
    /// "Today", in days since 1970-01-01.
    pub as_of: Day,
    /// A chain is active if one of its cases has an onset or report date in
    /// `as_of - active_days ..= as_of` (days, ≥ 0).
    pub active_days: i32,
    /// Links weaker than this are set aside ([`LinkStatus::Excluded`]) and count nowhere else.
    pub min_certainty: Certainty,
    /// How many largest spreaders to list per chain ([`Chain::top_spreaders`]).
    pub chain_spreaders: usize,
}

impl Params {
    /// Defaults as of `as_of` (days since 1970-01-01): `active_days` 14 (one maximum incubation
    /// period of SARS-CoV-2), every certainty, 3 spreaders per chain.
    pub fn new(as_of: Day) -> Self {
        Self { as_of, active_days: 14, min_certainty: Certainty::Possible, chain_spreaders: 3 }
    }
}

/// Input that the kernel cannot analyse (as opposed to data problems, which it reports).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// A link's infectee index is not a case.
    #[error("link {link}: infectee case index {index} is out of range (the input has {cases} cases)")]
    InfecteeOutOfRange {
        /// Index of the link in the input.
        link: usize,
        /// The bad case index.
        index: CaseIdx,
        /// Number of cases in the input.
        cases: usize,
    },
    /// A link's infector is neither a case nor an unobserved node of the input.
    #[error(
        "link {link}: infector {infector:?} is out of range (the input has {cases} cases and {unobserved} unobserved nodes)"
    )]
    InfectorOutOfRange {
        /// Index of the link in the input.
        link: usize,
        /// The bad node.
        infector: Node,
        /// Number of cases in the input.
        cases: usize,
        /// Number of unobserved nodes in the input.
        unobserved: u32,
    },
    /// `active_days` must not be negative.
    #[error("active_days is {0}; it must be 0 days or more")]
    NegativeActiveDays(i32),
    /// More cases or links than 32-bit indices can address.
    #[error("{what}: {n} is more than the kernel's limit of {max}", max = u32::MAX - 1)]
    TooLarge {
        /// `"cases"` or `"links"`.
        what: &'static str,
        /// How many there were.
        n: usize,
    },
    /// Labels given to [`crate::ChainSummary::new`] do not match the analysis.
    #[error(
        "labels for {label_cases} cases and {label_unobserved} unobserved nodes do not match an analysis of {cases} cases and {unobserved} unobserved nodes"
    )]
    LabelsMismatch {
        /// Case labels given.
        label_cases: usize,
        /// Unobserved labels given.
        label_unobserved: usize,
        /// Cases analysed.
        cases: usize,
        /// Unobserved nodes analysed.
        unobserved: usize,
    },
}

/// What became of one input link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LinkStatus {
    /// Both ends are cases: an edge of the transmission graph.
    Resolved,
    /// The infector is an unobserved node: kept and counted, but joins no chain.
    Unobserved,
    /// Infector and infectee are the same case: reported and skipped.
    SelfLink,
    /// Same infector and infectee as link `kept` (the strongest certainty, then the first): skipped.
    Duplicate {
        /// Index of the link kept in its place.
        kept: u32,
    },
    /// Weaker than [`Params::min_certainty`]: set aside.
    Excluded,
}

/// Result for one input link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LinkReport {
    /// What became of the link.
    pub status: LinkStatus,
    /// Onset of infectee − onset of infector, in days (may be negative: pre-symptomatic
    /// transmission), for resolved links whose two onsets are known.
    pub serial_interval: Option<i32>,
}

/// Result for one case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CaseReport {
    /// The chain holding the case, if it is linked to another case by a resolved link.
    pub chain: Option<ChainId>,
    /// Generation in its chain: 0 for a case with no infector in the chain, else 1 + the largest
    /// generation among its infectors (the longest infector path; members of a cycle share one
    /// generation). `None` outside chains.
    pub generation: Option<u32>,
    /// Cases this case infected (distinct resolved links, self-links excluded).
    pub infectees: u32,
    /// Distinct infectors of this case, cases and unobserved nodes (self excluded).
    pub infectors: u32,
}

/// An infector and how many cases it infected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spreader {
    /// The infector, a case or an unobserved node.
    pub infector: Node,
    /// Number of distinct infectees (cases).
    pub infectees: u32,
}

/// A transmission chain: a connected group of two or more cases through resolved links, ignoring
/// direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chain {
    /// Chain id: chains are numbered largest first, ties by smallest case index.
    pub id: ChainId,
    /// Number of cases.
    pub size: u32,
    /// Number of resolved links inside the chain (≥ `size - 1`).
    pub links: u32,
    /// Cases with no resolved infector (ascending). Empty only if every case sits on or after a cycle.
    pub index_cases: Vec<CaseIdx>,
    /// Largest [`CaseReport::generation`] in the chain (1 for a pair).
    pub max_generation: u32,
    /// Earliest symptom onset among the cases, days since 1970-01-01.
    pub first_onset: Option<Day>,
    /// Latest symptom onset among the cases, days since 1970-01-01.
    pub last_onset: Option<Day>,
    /// Latest onset or report date among the cases, days since 1970-01-01.
    pub last_activity: Option<Day>,
    /// A case has an onset or report date within [`Params::active_days`] of [`Params::as_of`].
    pub active: bool,
    /// Some infector links inside the chain form a cycle (see [`Problem::Cycle`]).
    pub has_cycle: bool,
    /// Up to [`Params::chain_spreaders`] cases with the most infectees (at least one), most first,
    /// ties by case index.
    pub top_spreaders: Vec<Spreader>,
}

/// Something wrong in the data, found and worked around, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// Link `link` names `case` as its own infector; skipped.
    SelfLink {
        /// Index of the link in the input.
        link: u32,
        /// The case.
        case: CaseIdx,
    },
    /// Link `link` repeats link `kept` (same infector, same infectee); skipped.
    DuplicateLink {
        /// Index of the skipped link.
        link: u32,
        /// Index of the link kept.
        kept: u32,
    },
    /// `case` has `infectors` (≥ 2) distinct infectors. Allowed: all links are kept.
    SeveralInfectors {
        /// The infectee.
        case: CaseIdx,
        /// Number of distinct infectors, cases and unobserved nodes.
        infectors: u32,
    },
    /// These cases (ascending, ≥ 2) infect each other in a cycle (a strongly connected component of
    /// the resolved infector links). They share one generation.
    Cycle {
        /// The cases of the cycle.
        members: Vec<CaseIdx>,
    },
}

/// Counts of input links by outcome. `resolved + unobserved + self_links + duplicates + excluded`
/// is the number of input links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkCounts {
    /// [`LinkStatus::Resolved`] links.
    pub resolved: usize,
    /// [`LinkStatus::Unobserved`] links.
    pub unobserved: usize,
    /// [`LinkStatus::SelfLink`] links.
    pub self_links: usize,
    /// [`LinkStatus::Duplicate`] links.
    pub duplicates: usize,
    /// [`LinkStatus::Excluded`] links.
    pub excluded: usize,
}

/// Everything [`analyze`] finds. Vectors are parallel to the input: `cases[i]` is case `i`,
/// `links[j]` is input link `j`, `unobserved_infectees[u]` is unobserved node `u`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainAnalysis {
    /// Per case.
    pub cases: Vec<CaseReport>,
    /// Per unobserved node: number of distinct case infectees.
    pub unobserved_infectees: Vec<u32>,
    /// Per input link.
    pub links: Vec<LinkReport>,
    /// Chains, indexed by [`ChainId`] (largest first).
    pub chains: Vec<Chain>,
    /// Data problems: link problems and multiple infectors by infectee, then cycles.
    pub problems: Vec<Problem>,
    /// Input links by outcome.
    pub counts: LinkCounts,
    /// `members[member_offsets[c]..member_offsets[c + 1]]` are the cases of chain `c`, ascending.
    member_offsets: Vec<u32>,
    members: Vec<CaseIdx>,
}

impl ChainAnalysis {
    /// The cases of chain `id`, ascending; empty for an unknown id.
    pub fn chain_members(&self, id: ChainId) -> &[CaseIdx] {
        let i = id as usize;
        match (self.member_offsets.get(i), self.member_offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.members[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Size of the largest chain (cases), 0 if there is none.
    pub fn largest_chain(&self) -> u32 {
        self.chains.first().map_or(0, |c| c.size)
    }

    /// Number of distinct infectees of `node` (0 if out of range).
    pub fn infectees(&self, node: Node) -> u32 {
        match node {
            Node::Case(i) => self.cases.get(i as usize).map_or(0, |c| c.infectees),
            Node::Unobserved(u) => self.unobserved_infectees.get(u as usize).copied().unwrap_or(0),
        }
    }

    /// Every infector with at least one infectee, cases and unobserved nodes, in no order.
    pub fn spreaders(&self) -> impl Iterator<Item = Spreader> + '_ {
        let cases =
            (0u32..).zip(&self.cases).map(|(i, c)| Spreader { infector: Node::Case(i), infectees: c.infectees });
        let unobserved = (0u32..)
            .zip(&self.unobserved_infectees)
            .map(|(u, &n)| Spreader { infector: Node::Unobserved(u), infectees: n });
        cases.chain(unobserved).filter(|s| s.infectees > 0)
    }

    /// The `n` infectors (cases or unobserved nodes) with the most infectees, most first; ties by
    /// node (cases before unobserved nodes, then by index). To break ties by the platform's ids,
    /// use [`crate::ChainSummary`].
    pub fn top_spreaders(&self, n: usize) -> Vec<Spreader> {
        top_by(self.spreaders().collect(), n, |s| (Reverse(s.infectees), s.infector))
    }

    /// Serial intervals (days) of all resolved links with both onsets known, in link order.
    pub fn serial_intervals(&self) -> impl Iterator<Item = i32> + '_ {
        self.links.iter().filter_map(|l| l.serial_interval)
    }
}

/// The `n` smallest items by `key`, sorted; O(len + n log n).
pub(crate) fn top_by<T, K: Ord>(mut items: Vec<T>, n: usize, key: impl Fn(&T) -> K) -> Vec<T> {
    if n == 0 {
        return Vec::new();
    }
    if items.len() > n {
        items.select_nth_unstable_by(n - 1, |a, b| key(a).cmp(&key(b)));
        items.truncate(n);
    }
    items.sort_unstable_by_key(|a| key(a));
    items
}

/// "No value" in the kernel's `u32` arrays.
const NONE: u32 = u32::MAX;

fn to_u32(what: &'static str, n: usize) -> Result<u32, ChainError> {
    u32::try_from(n).ok().filter(|&v| v != NONE).ok_or(ChainError::TooLarge { what, n })
}

fn validate(input: &ChainInput, params: &Params) -> Result<(), ChainError> {
    if params.active_days < 0 {
        return Err(ChainError::NegativeActiveDays(params.active_days));
    }
    let n = to_u32("cases", input.cases.len())?;
    to_u32("links", input.links.len())?;
    for (link, l) in input.links.iter().enumerate() {
        if l.infectee >= n {
            return Err(ChainError::InfecteeOutOfRange { link, index: l.infectee, cases: input.cases.len() });
        }
        let ok = match l.infector {
            Node::Case(i) => i < n,
            Node::Unobserved(u) => u < input.unobserved,
        };
        if !ok {
            return Err(ChainError::InfectorOutOfRange {
                link,
                infector: l.infector,
                cases: input.cases.len(),
                unobserved: input.unobserved,
            });
        }
    }
    Ok(())
}

/// Offsets of a CSR grouping of `keys` (each `< groups`): `offsets[g]..offsets[g + 1]`.
fn csr_offsets(groups: usize, keys: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut offsets = vec![0u32; groups + 1];
    for k in keys {
        offsets[k as usize + 1] += 1;
    }
    for g in 0..groups {
        offsets[g + 1] += offsets[g];
    }
    offsets
}

/// Fills a CSR array from `offsets` with `(group, value)` pairs, stable in input order.
fn csr_fill(offsets: &[u32], pairs: impl Iterator<Item = (u32, u32)>) -> Vec<u32> {
    let total = offsets.last().copied().unwrap_or(0) as usize;
    let mut cursor = offsets[..offsets.len().saturating_sub(1)].to_vec();
    let mut values = vec![0u32; total];
    for (g, v) in pairs {
        let c = &mut cursor[g as usize];
        values[*c as usize] = v;
        *c += 1;
    }
    values
}

/// Union-find root of `x`, halving the path on the way.
fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let grand = parent[parent[x as usize] as usize];
        parent[x as usize] = grand;
        x = grand;
    }
    x
}

/// Analyses `input`: classifies links, finds chains, generations, spreaders and data problems.
///
/// Errors only on malformed input (indices out of range, negative `active_days`, over 2³² − 2
/// cases or links); data problems (self-links, duplicates, several infectors, cycles) are reported
/// in [`ChainAnalysis::problems`]. Time O(cases + links) apart from sorting each case's incoming
/// links when it has several; memory a few `u32` per case and link.
pub fn analyze(input: &ChainInput, params: &Params) -> Result<ChainAnalysis, ChainError> {
    validate(input, params)?;
    let n = input.cases.len();
    let links = &input.links;
    let mut problems = Vec::new();
    let mut cases = vec![CaseReport::default(); n];
    let mut statuses = vec![LinkStatus::Excluded; links.len()];

    // 1. Classify links, grouped by infectee: duplicates, self-links, several infectors.
    let kept = |l: &&crate::Link| l.certainty >= params.min_certainty;
    let in_offsets = csr_offsets(n, links.iter().filter(kept).map(|l| l.infectee));
    let mut incoming =
        csr_fill(&in_offsets, (0u32..).zip(links).filter(|(_, l)| kept(l)).map(|(i, l)| (l.infectee, i)));
    let node_code = |node: Node| -> u64 {
        match node {
            Node::Case(i) => u64::from(i),
            Node::Unobserved(u) => n as u64 + u64::from(u),
        }
    };
    let mut has_case_infector = vec![false; n];
    for v in 0..n {
        let list = &mut incoming[in_offsets[v] as usize..in_offsets[v + 1] as usize];
        if list.len() > 1 {
            list.sort_unstable_by_key(|&i| {
                let l = &links[i as usize];
                (node_code(l.infector), Reverse(l.certainty), i)
            });
        }
        let mut previous: Option<(u64, u32)> = None;
        let mut distinct = 0u32;
        for &i in list.iter() {
            let l = &links[i as usize];
            let code = node_code(l.infector);
            if let Some((prev_code, first)) = previous
                && prev_code == code
            {
                statuses[i as usize] = LinkStatus::Duplicate { kept: first };
                problems.push(Problem::DuplicateLink { link: i, kept: first });
                continue;
            }
            previous = Some((code, i));
            match l.infector {
                Node::Case(c) if c as usize == v => {
                    statuses[i as usize] = LinkStatus::SelfLink;
                    problems.push(Problem::SelfLink { link: i, case: c });
                    continue;
                }
                Node::Case(_) => {
                    has_case_infector[v] = true;
                    statuses[i as usize] = LinkStatus::Resolved;
                }
                Node::Unobserved(_) => statuses[i as usize] = LinkStatus::Unobserved,
            }
            distinct += 1;
        }
        cases[v].infectors = distinct;
        if distinct >= 2 {
            problems.push(Problem::SeveralInfectors { case: v as CaseIdx, infectors: distinct });
        }
    }
    drop(incoming);
    drop(in_offsets);
    let mut counts = LinkCounts::default();
    for s in &statuses {
        match s {
            LinkStatus::Resolved => counts.resolved += 1,
            LinkStatus::Unobserved => counts.unobserved += 1,
            LinkStatus::SelfLink => counts.self_links += 1,
            LinkStatus::Duplicate { .. } => counts.duplicates += 1,
            LinkStatus::Excluded => counts.excluded += 1,
        }
    }

    // 2. Forward adjacency (infector -> infectees) of resolved links; spreader counts.
    let resolved = || {
        links.iter().zip(&statuses).filter(|(_, s)| **s == LinkStatus::Resolved).filter_map(|(l, _)| match l.infector {
            Node::Case(c) => Some((c, l.infectee)),
            Node::Unobserved(_) => None,
        })
    };
    let out_offsets = csr_offsets(n, resolved().map(|(from, _)| from));
    let out = csr_fill(&out_offsets, resolved());
    for (v, case) in cases.iter_mut().enumerate() {
        case.infectees = out_offsets[v + 1] - out_offsets[v];
    }
    let mut unobserved_infectees = vec![0u32; input.unobserved as usize];
    for (l, s) in links.iter().zip(&statuses) {
        if let (LinkStatus::Unobserved, Node::Unobserved(u)) = (s, l.infector) {
            unobserved_infectees[u as usize] += 1;
        }
    }
    let link_reports: Vec<LinkReport> = links
        .iter()
        .zip(statuses.iter().copied())
        .map(|(l, status)| {
            let serial_interval = match (status, l.infector) {
                (LinkStatus::Resolved, Node::Case(c)) => {
                    match (input.cases[l.infectee as usize].onset, input.cases[c as usize].onset) {
                        (Some(e), Some(r)) => e.checked_sub(r),
                        _ => None,
                    }
                }
                _ => None,
            };
            LinkReport { status, serial_interval }
        })
        .collect();

    // 3. Chains: connected components of resolved links (union-find by size, path halving).
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut size = vec![1u32; n];
    for (from, to) in resolved() {
        let (a, b) = (find(&mut parent, from), find(&mut parent, to));
        if a != b {
            let (big, small) = if size[a as usize] >= size[b as usize] { (a, b) } else { (b, a) };
            parent[small as usize] = big;
            size[big as usize] += size[small as usize];
        }
    }
    // Roots of components of >= 2 cases, in order of smallest member.
    let mut roots: Vec<(u32, u32)> = Vec::new(); // (root, size)
    let mut root_chain = vec![NONE; n];
    let mut chain_of = vec![NONE; n];
    for v in 0..n as u32 {
        let r = find(&mut parent, v);
        if size[r as usize] >= 2 && root_chain[r as usize] == NONE {
            root_chain[r as usize] = 0;
            roots.push((r, size[r as usize]));
        }
    }
    // Stable sort keeps smallest-member order among equal sizes.
    roots.sort_by_key(|&(_, s)| Reverse(s));
    for (id, &(r, _)) in (0u32..).zip(&roots) {
        root_chain[r as usize] = id;
    }
    for v in 0..n as u32 {
        let r = find(&mut parent, v);
        if size[r as usize] >= 2 {
            chain_of[v as usize] = root_chain[r as usize];
        }
    }
    drop(parent);
    drop(size);
    drop(root_chain);

    // 4. Generations over strongly connected components (iterative Tarjan), sources first.
    let mut generation = vec![0u32; n];
    let mut in_cycle = vec![false; n];
    let sccs = tarjan(n, &out_offsets, &out, |v| chain_of[v as usize] != NONE);
    let mut cycles: Vec<Problem> = Vec::new();
    for k in (0..sccs.count()).rev() {
        let members = sccs.members(k);
        let g = members.iter().map(|&m| generation[m as usize]).max().unwrap_or(0);
        for &m in members {
            generation[m as usize] = g;
        }
        for &m in members {
            let m = m as usize;
            for &w in &out[out_offsets[m] as usize..out_offsets[m + 1] as usize] {
                if sccs.scc_of[w as usize] != k as u32 {
                    let slot = &mut generation[w as usize];
                    *slot = (*slot).max(g + 1);
                }
            }
        }
        if members.len() >= 2 {
            let mut members = members.to_vec();
            members.sort_unstable();
            for &m in &members {
                in_cycle[m as usize] = true;
            }
            cycles.push(Problem::Cycle { members });
        }
    }
    cycles.sort_by(|a, b| match (a, b) {
        (Problem::Cycle { members: x }, Problem::Cycle { members: y }) => x.first().cmp(&y.first()),
        _ => std::cmp::Ordering::Equal,
    });
    problems.extend(cycles);
    drop(sccs);

    // 5. Per chain: members, index cases, generations, dates, activity, spreaders.
    let member_offsets = csr_offsets(roots.len(), chain_of.iter().copied().filter(|&c| c != NONE));
    let members = csr_fill(&member_offsets, (0u32..).zip(&chain_of).filter(|(_, c)| **c != NONE).map(|(v, &c)| (c, v)));
    let window_start = i64::from(params.as_of) - i64::from(params.active_days);
    let in_window =
        |d: Option<Day>| d.is_some_and(|d| (window_start..=i64::from(params.as_of)).contains(&i64::from(d)));
    let mut chains = Vec::with_capacity(roots.len());
    for (id, &(_, chain_size)) in (0u32..).zip(&roots) {
        let cases_of = &members[member_offsets[id as usize] as usize..member_offsets[id as usize + 1] as usize];
        let mut chain = Chain {
            id,
            size: chain_size,
            links: 0,
            index_cases: Vec::new(),
            max_generation: 0,
            first_onset: None,
            last_onset: None,
            last_activity: None,
            active: false,
            has_cycle: false,
            top_spreaders: Vec::new(),
        };
        for &v in cases_of {
            let vi = v as usize;
            let case = &input.cases[vi];
            if !has_case_infector[vi] {
                chain.index_cases.push(v);
            }
            chain.links += cases[vi].infectees;
            chain.max_generation = chain.max_generation.max(generation[vi]);
            chain.has_cycle |= in_cycle[vi];
            if let Some(d) = case.onset {
                chain.first_onset = Some(chain.first_onset.map_or(d, |f| f.min(d)));
                chain.last_onset = Some(chain.last_onset.map_or(d, |l| l.max(d)));
            }
            for d in [case.onset, case.report].into_iter().flatten() {
                chain.last_activity = Some(chain.last_activity.map_or(d, |l| l.max(d)));
            }
            chain.active |= in_window(case.onset) || in_window(case.report);
            let infectees = cases[vi].infectees;
            if infectees > 0 && params.chain_spreaders > 0 {
                insert_top(&mut chain.top_spreaders, params.chain_spreaders, v, infectees);
            }
        }
        chains.push(chain);
    }
    for (v, case) in cases.iter_mut().enumerate() {
        if chain_of[v] != NONE {
            case.chain = Some(chain_of[v]);
            case.generation = Some(generation[v]);
        }
    }

    Ok(ChainAnalysis {
        cases,
        unobserved_infectees,
        links: link_reports,
        chains,
        problems,
        counts,
        member_offsets,
        members,
    })
}

/// Keeps `top` as the `k` largest spreaders seen so far (most infectees first, ties by smaller case
/// index; cases arrive in ascending index order).
fn insert_top(top: &mut Vec<Spreader>, k: usize, case: CaseIdx, infectees: u32) {
    if top.len() == k && top.last().is_some_and(|s| s.infectees >= infectees) {
        return;
    }
    let at = top.partition_point(|s| s.infectees >= infectees);
    top.insert(at, Spreader { infector: Node::Case(case), infectees });
    top.truncate(k);
}

/// Strongly connected components in Tarjan's emission order (every component after all the
/// components it reaches: reverse topological order).
struct Sccs {
    /// Component of each node (`NONE` for nodes not visited).
    scc_of: Vec<u32>,
    /// Nodes grouped by component, in emission order.
    order: Vec<u32>,
    /// `order[starts[k]..starts[k + 1]]` is component `k` (one extra final entry).
    starts: Vec<u32>,
}

impl Sccs {
    fn count(&self) -> usize {
        self.starts.len() - 1
    }

    fn members(&self, k: usize) -> &[u32] {
        &self.order[self.starts[k] as usize..self.starts[k + 1] as usize]
    }
}

/// Iterative Tarjan over the CSR graph `offsets`/`targets` restricted to nodes where `include` holds
/// (edges only ever join included nodes). Heap stacks only: depth is bounded by memory, not by the
/// thread's stack.
fn tarjan(n: usize, offsets: &[u32], targets: &[u32], include: impl Fn(u32) -> bool) -> Sccs {
    let mut t = Tarjan {
        index: vec![NONE; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        call: Vec::new(),
        counter: 0,
    };
    let mut scc_of = vec![NONE; n];
    let mut order = Vec::new();
    let mut starts = vec![0u32];
    for s in 0..n as u32 {
        if t.index[s as usize] != NONE || !include(s) {
            continue;
        }
        t.visit(s, offsets);
        while let Some(top) = t.call.last_mut() {
            let v = top.0 as usize;
            if top.1 < offsets[v + 1] {
                let w = targets[top.1 as usize];
                top.1 += 1;
                if t.index[w as usize] == NONE {
                    t.visit(w, offsets);
                } else if t.on_stack[w as usize] {
                    t.low[v] = t.low[v].min(t.index[w as usize]);
                }
                continue;
            }
            t.call.pop();
            if let Some(&(p, _)) = t.call.last() {
                t.low[p as usize] = t.low[p as usize].min(t.low[v]);
            }
            if t.low[v] == t.index[v] {
                let k = starts.len() as u32 - 1;
                while let Some(w) = t.stack.pop() {
                    t.on_stack[w as usize] = false;
                    scc_of[w as usize] = k;
                    order.push(w);
                    if w as usize == v {
                        break;
                    }
                }
                starts.push(order.len() as u32);
            }
        }
    }
    Sccs { scc_of, order, starts }
}

/// Working state of [`tarjan`].
struct Tarjan {
    /// Visit order of each node (`NONE`: not visited).
    index: Vec<u32>,
    /// Smallest visit order reachable through the DFS subtree and one back edge.
    low: Vec<u32>,
    on_stack: Vec<bool>,
    /// Tarjan's node stack.
    stack: Vec<u32>,
    /// The DFS path: (node, next edge position).
    call: Vec<(u32, u32)>,
    counter: u32,
}

impl Tarjan {
    fn visit(&mut self, v: u32, offsets: &[u32]) {
        self.index[v as usize] = self.counter;
        self.low[v as usize] = self.counter;
        self.counter += 1;
        self.stack.push(v);
        self.on_stack[v as usize] = true;
        self.call.push((v, offsets[v as usize]));
    }
}
