//! Small hand-made graphs: cycles, self-links, duplicates, several infectors, generations,
//! activity, errors, and a chain a million cases deep.

use firebreak_chains::{
    Case, CaseIdx, Certainty, ChainError, ChainInput, Link, LinkStatus, Node, Params, Problem, analyze,
};

const C: Certainty = Certainty::Confirmed;

fn link(from: CaseIdx, to: CaseIdx) -> Link {
    Link { infector: Node::Case(from), infectee: to, certainty: C }
}

fn unobserved(from: u32, to: CaseIdx) -> Link {
    Link { infector: Node::Unobserved(from), infectee: to, certainty: C }
}

fn input(n: usize, links: Vec<Link>) -> ChainInput {
    let unobserved = links
        .iter()
        .filter_map(|l| match l.infector {
            Node::Unobserved(u) => Some(u + 1),
            Node::Case(_) => None,
        })
        .max()
        .unwrap_or(0);
    ChainInput { cases: vec![Case::default(); n], unobserved, links }
}

fn params() -> Params {
    Params::new(100)
}

#[test]
fn generations_and_index_cases() {
    // 0 -> 1 -> 2 -> 3, 0 -> 4, and 5 -> 3 (a second infector), 6 alone, 7 -> 8.
    let inp = input(9, vec![link(0, 1), link(1, 2), link(2, 3), link(0, 4), link(5, 3), link(7, 8)]);
    let a = analyze(&inp, &params()).expect("analyze");
    assert_eq!(a.chains.len(), 2);
    let big = &a.chains[0];
    assert_eq!((big.id, big.size, big.links), (0, 6, 5));
    assert_eq!(big.index_cases, [0, 5]);
    assert_eq!(big.max_generation, 3);
    assert_eq!(a.chain_members(0), [0, 1, 2, 3, 4, 5]);
    assert_eq!(a.chain_members(1), [7, 8]);
    assert_eq!(a.chain_members(9), [] as [u32; 0]);
    let gens: Vec<Option<u32>> = a.cases.iter().map(|c| c.generation).collect();
    assert_eq!(gens, [Some(0), Some(1), Some(2), Some(3), Some(1), Some(0), None, Some(0), Some(1)]);
    assert_eq!(a.cases[6].chain, None);
    assert_eq!(a.cases[8].chain, Some(1));
    assert_eq!(a.cases[3].infectors, 2);
    assert_eq!(a.problems, [Problem::SeveralInfectors { case: 3, infectors: 2 }]);
    assert_eq!(a.largest_chain(), 6);
}

#[test]
fn longest_path_generation_with_shortcut() {
    // 0 -> 1 -> 2 and the shortcut 0 -> 2: generation of 2 is the longest path, 2.
    let a = analyze(&input(3, vec![link(0, 1), link(1, 2), link(0, 2)]), &params()).expect("analyze");
    assert_eq!(a.cases[2].generation, Some(2));
    assert_eq!(a.chains[0].links, 3);
}

#[test]
fn cycles_are_reported_and_terminate() {
    // 0 -> 1 -> 2 -> 0 is a cycle, fed by 3 and feeding 4; 5 <-> 6 a pure cycle.
    let inp = input(7, vec![link(0, 1), link(1, 2), link(2, 0), link(3, 0), link(2, 4), link(5, 6), link(6, 5)]);
    let a = analyze(&inp, &params()).expect("analyze");
    let cycles: Vec<&Problem> = a.problems.iter().filter(|p| matches!(p, Problem::Cycle { .. })).collect();
    assert_eq!(cycles, [&Problem::Cycle { members: vec![0, 1, 2] }, &Problem::Cycle { members: vec![5, 6] }]);
    assert_eq!(a.cases[3].generation, Some(0));
    for v in 0..3 {
        assert_eq!(a.cases[v].generation, Some(1), "cycle member {v}");
    }
    assert_eq!(a.cases[4].generation, Some(2));
    assert_eq!(a.chains[0].index_cases, [3]);
    assert!(a.chains[0].has_cycle);
    // A chain made only of a cycle has no index case.
    assert!(a.chains[1].index_cases.is_empty());
    assert_eq!(a.cases[5].generation, Some(0));
    assert!(a.chains[1].has_cycle);
}

#[test]
fn self_links_and_duplicates() {
    let mut links = vec![link(0, 0), link(0, 1), link(0, 1), link(0, 1), link(2, 2)];
    links[1].certainty = Certainty::Possible;
    links[3].certainty = Certainty::Probable;
    let a = analyze(&input(3, links), &params()).expect("analyze");
    // The strongest duplicate (link 2, confirmed) is kept.
    assert_eq!(a.links[2].status, LinkStatus::Resolved);
    assert_eq!(a.links[1].status, LinkStatus::Duplicate { kept: 2 });
    assert_eq!(a.links[3].status, LinkStatus::Duplicate { kept: 2 });
    assert_eq!(a.links[0].status, LinkStatus::SelfLink);
    assert_eq!(a.links[4].status, LinkStatus::SelfLink);
    assert_eq!((a.counts.resolved, a.counts.self_links, a.counts.duplicates), (1, 2, 2));
    assert!(a.problems.contains(&Problem::SelfLink { link: 0, case: 0 }));
    assert!(a.problems.contains(&Problem::SelfLink { link: 4, case: 2 }));
    assert!(a.problems.contains(&Problem::DuplicateLink { link: 1, kept: 2 }));
    assert_eq!(a.cases[0].infectees, 1);
    assert_eq!(a.cases[0].infectors, 0);
    // Case 2 links only to itself: no chain.
    assert_eq!(a.chains.len(), 1);
    assert_eq!(a.cases[2].chain, None);
}

#[test]
fn unobserved_infectors_are_kept() {
    // Unobserved 0 infected cases 0 and 1; unobserved 1 infected 2, which infected 3.
    let inp = input(4, vec![unobserved(0, 0), unobserved(0, 1), unobserved(1, 2), link(2, 3), unobserved(0, 1)]);
    let a = analyze(&inp, &params()).expect("analyze");
    assert_eq!(a.counts.unobserved, 3);
    assert_eq!(a.counts.duplicates, 1);
    assert_eq!(a.unobserved_infectees, [2, 1]);
    // Unobserved infectors do not join cases into chains.
    assert_eq!(a.chains.len(), 1);
    assert_eq!(a.chain_members(0), [2, 3]);
    assert_eq!(a.chains[0].index_cases, [2]);
    assert_eq!(
        a.top_spreaders(2),
        [
            firebreak_chains::Spreader { infector: Node::Unobserved(0), infectees: 2 },
            firebreak_chains::Spreader { infector: Node::Case(2), infectees: 1 },
        ]
    );
    assert_eq!(a.top_spreaders(0), []);
}

#[test]
fn serial_intervals_and_activity() {
    let mut inp = input(4, vec![link(0, 1), link(1, 2), unobserved(0, 3)]);
    inp.cases[0].onset = Some(10);
    inp.cases[1].onset = Some(14);
    inp.cases[2].onset = Some(12);
    inp.cases[2].report = Some(20);
    let p = Params { active_days: 5, ..Params::new(25) };
    let a = analyze(&inp, &p).expect("analyze");
    assert_eq!(a.links[0].serial_interval, Some(4));
    assert_eq!(a.links[1].serial_interval, Some(-2));
    assert_eq!(a.links[2].serial_interval, None);
    let c = &a.chains[0];
    assert_eq!((c.first_onset, c.last_onset, c.last_activity), (Some(10), Some(14), Some(20)));
    assert!(c.active, "report on day 20 is within 5 days of day 25");
    let later = analyze(&inp, &Params { as_of: 26, ..p }).expect("analyze");
    assert!(!later.chains[0].active);
    let earlier = analyze(&inp, &Params { as_of: 19, ..p }).expect("analyze");
    assert!(earlier.chains[0].active, "onset on day 14 is within 5 days of day 19");
    let before = analyze(&inp, &Params { as_of: 9, ..p }).expect("analyze");
    assert!(!before.chains[0].active, "dates after as_of do not count");
}

#[test]
fn certainty_threshold_and_chain_spreaders() {
    let mut links = vec![link(0, 1), link(0, 2), link(0, 3), link(1, 4), link(1, 5), link(2, 6)];
    links[5].certainty = Certainty::Possible;
    let p = Params { min_certainty: Certainty::Probable, chain_spreaders: 2, ..params() };
    let a = analyze(&input(7, links), &p).expect("analyze");
    assert_eq!(a.links[5].status, LinkStatus::Excluded);
    assert_eq!(a.counts.excluded, 1);
    assert_eq!(a.chains[0].size, 6);
    let top: Vec<(Node, u32)> = a.chains[0].top_spreaders.iter().map(|s| (s.infector, s.infectees)).collect();
    assert_eq!(top, [(Node::Case(0), 3), (Node::Case(1), 2)]);
}

#[test]
fn chain_ids_largest_first_ties_by_smallest_case() {
    let a = analyze(&input(7, vec![link(5, 6), link(3, 4), link(0, 2), link(2, 1)]), &params()).expect("analyze");
    let firsts: Vec<u32> = a.chains.iter().map(|c| a.chain_members(c.id)[0]).collect();
    assert_eq!(firsts, [0, 3, 5]);
}

#[test]
fn malformed_input_is_an_error() {
    let bad = input(2, vec![link(0, 2)]);
    assert_eq!(analyze(&bad, &params()), Err(ChainError::InfecteeOutOfRange { link: 0, index: 2, cases: 2 }));
    let bad = input(2, vec![link(3, 1)]);
    assert!(matches!(analyze(&bad, &params()), Err(ChainError::InfectorOutOfRange { link: 0, .. })));
    let mut bad = input(2, vec![unobserved(0, 1)]);
    bad.unobserved = 0;
    assert!(analyze(&bad, &params()).is_err());
    let p = Params { active_days: -1, ..params() };
    let err = analyze(&input(1, vec![]), &p).expect_err("negative window");
    assert_eq!(err.to_string(), "active_days is -1; it must be 0 days or more");
    let empty = analyze(&input(0, vec![]), &params()).expect("empty is fine");
    assert_eq!(empty.largest_chain(), 0);
}

#[test]
fn million_deep_chain_does_not_overflow() {
    const N: u32 = 1_000_000;
    let links: Vec<Link> = (1..N).map(|v| link(v - 1, v)).collect();
    // Close it into a cycle through an extra case, too: the cycle search is iterative as well.
    let a = analyze(&input(N as usize, links.clone()), &params()).expect("analyze");
    assert_eq!(a.chains.len(), 1);
    assert_eq!(a.chains[0].size, N);
    assert_eq!(a.chains[0].max_generation, N - 1);
    assert_eq!(a.cases[(N - 1) as usize].generation, Some(N - 1));
    let mut cyclic = links;
    cyclic.push(link(N - 1, 0));
    let a = analyze(&input(N as usize, cyclic), &params()).expect("analyze");
    assert_eq!(a.chains[0].max_generation, 0);
    match a.problems.as_slice() {
        [Problem::Cycle { members }] => assert_eq!(members.len(), N as usize),
        other => panic!("expected one cycle, got {} problems", other.len()),
    }
}

#[test]
fn summary_json_contract() {
    use firebreak_chains::{ChainInputBuilder, ChainSummary};
    let mut b = ChainInputBuilder::<i64>::new();
    for id in [30, 10, 20, 40] {
        b.add_case(id, Case::default()).expect("case");
    }
    b.add_link(&20, &30, C).expect("link");
    b.add_link(&10, &40, C).expect("link");
    b.add_link(&99, &10, C).expect("link");
    let (inp, labels) = b.build();
    let a = analyze(&inp, &params()).expect("analyze");
    let s = ChainSummary::new(&a, &labels, 10).expect("summary");
    let json = serde_json::to_string(&s).expect("json");
    // Ties (one infectee each) broken by id: numeric for i64 keys.
    assert_eq!(
        json,
        r#"{"cases":4,"links_resolved":2,"links_unobserved":1,"chains":2,"largest_chain":2,"top_spreaders":[{"case":"10","infectees":1},{"case":"20","infectees":1},{"case":"99","infectees":1}]}"#
    );
    let wrong = firebreak_chains::Labels::<i64>::default();
    assert!(ChainSummary::new(&a, &wrong, 3).is_err());
}
