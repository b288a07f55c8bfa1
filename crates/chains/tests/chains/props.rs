//! Properties on random graphs, checked against deliberately naive reference implementations.

use firebreak_chains::{Case, Certainty, ChainInput, Link, LinkStatus, Node, Params, analyze};
use proptest::prelude::*;

/// Random input: up to 40 cases, up to 3 unobserved nodes, up to 80 links (self-links and
/// duplicates included by chance).
fn graphs() -> impl Strategy<Value = ChainInput> {
    (1usize..40, 0u32..4).prop_flat_map(|(n, unobserved)| {
        let node = (0..n as u32 + unobserved)
            .prop_map(move |k| if (k as usize) < n { Node::Case(k) } else { Node::Unobserved(k - n as u32) });
        let certainty = prop_oneof![Just(Certainty::Possible), Just(Certainty::Probable), Just(Certainty::Confirmed)];
        let link = (node, 0..n as u32, certainty).prop_map(|(infector, infectee, certainty)| Link {
            infector,
            infectee,
            certainty,
        });
        proptest::collection::vec(link, 0..80).prop_map(move |links| ChainInput {
            cases: vec![Case::default(); n],
            unobserved,
            links,
        })
    })
}

/// Component label per case by repeated relaxation over case-to-case links (no self-links):
/// O(n · links), obviously right.
fn naive_components(input: &ChainInput) -> Vec<usize> {
    let mut label: Vec<usize> = (0..input.cases.len()).collect();
    loop {
        let mut changed = false;
        for l in &input.links {
            if let Node::Case(a) = l.infector {
                let (a, b) = (a as usize, l.infectee as usize);
                let m = label[a].min(label[b]);
                if label[a] != m || label[b] != m {
                    label[a] = m;
                    label[b] = m;
                    changed = true;
                }
            }
        }
        if !changed {
            return label;
        }
    }
}

proptest! {
    #[test]
    fn components_match_naive(input in graphs()) {
        let a = analyze(&input, &Params::new(0)).expect("analyze");
        let label = naive_components(&input);
        let n = input.cases.len();
        let mut sizes = vec![0u32; n];
        for &l in &label {
            sizes[l] += 1;
        }
        let mut expected: Vec<u32> = sizes.into_iter().filter(|&s| s >= 2).collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        let got: Vec<u32> = a.chains.iter().map(|c| c.size).collect();
        prop_assert_eq!(&got, &expected);
        // Same partition: two cases share a chain iff they share a naive label.
        for u in 0..n {
            for v in 0..n {
                let same_naive = label[u] == label[v] && (u == v || a.cases[u].chain.is_some());
                let same = a.cases[u].chain.is_some() && a.cases[u].chain == a.cases[v].chain;
                prop_assert_eq!(same || u == v, same_naive || u == v);
            }
        }
        // Members are consistent with per-case chains; every link has exactly one outcome.
        for c in &a.chains {
            prop_assert_eq!(a.chain_members(c.id).len(), c.size as usize);
            for &m in a.chain_members(c.id) {
                prop_assert_eq!(a.cases[m as usize].chain, Some(c.id));
            }
        }
        let k = a.counts;
        prop_assert_eq!(k.resolved + k.unobserved + k.self_links + k.duplicates + k.excluded, input.links.len());
        let case_infectees: u32 = a.cases.iter().map(|c| c.infectees).sum();
        prop_assert_eq!(case_infectees as usize, k.resolved);
        let unobserved_infectees: u32 = a.unobserved_infectees.iter().sum();
        prop_assert_eq!(unobserved_infectees as usize, k.unobserved);
    }

    /// On acyclic inputs (infector index < infectee index), generation is the longest infector path.
    #[test]
    fn generations_match_naive_longest_path(input in graphs()) {
        let mut input = input;
        input.links.retain(|l| match l.infector {
            Node::Case(a) => a < l.infectee,
            Node::Unobserved(_) => true,
        });
        let a = analyze(&input, &Params::new(0)).expect("analyze");
        let n = input.cases.len();
        let mut longest = vec![0u32; n];
        for v in 0..n as u32 {
            for l in &input.links {
                if let Node::Case(u) = l.infector
                    && l.infectee == v
                {
                    longest[v as usize] = longest[v as usize].max(longest[u as usize] + 1);
                }
            }
        }
        for (case, &longest) in a.cases.iter().zip(&longest) {
            prop_assert_eq!(case.generation, case.chain.map(|_| longest));
        }
        prop_assert!(a.links.iter().all(|l| l.status != LinkStatus::SelfLink));
    }
}
