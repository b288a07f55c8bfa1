//! What the kernel reads: cases in a dense index, links infector → infectee, and a builder that
//! interns the platform's own case keys (string source ids, `i64` row ids) into that index.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;

use serde::Serialize;

use crate::{CaseIdx, Day, UnobservedIdx};

/// How sure the investigators are that a link is real. Ordered weakest first, so
/// `certainty >= Certainty::Probable` keeps probable and confirmed links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// Mentioned or plausible (e.g. a relative named in a free-text source).
    #[default]
    Possible,
    /// Likely, by exposure and timing.
    Probable,
    /// Established by the investigation (or by sequencing).
    Confirmed,
}

/// One node of the transmission graph: a case of the line list, or an infector named by a link but
/// absent from the line list (an unobserved case, e.g. DS4C `#11185`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    /// Index into [`ChainInput::cases`].
    Case(CaseIdx),
    /// Index into the unobserved nodes, `0..ChainInput::unobserved`.
    Unobserved(UnobservedIdx),
}

/// The dates of one case that the kernel uses. Both in days since 1970-01-01 (see [`crate::dates`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Symptom onset, if known: serial intervals and chain date spans use it.
    pub onset: Option<Day>,
    /// Report (confirmation) date, if known: with `onset`, decides whether a chain is still active.
    pub report: Option<Day>,
}

/// One transmission link as recorded: `infector` infected `infectee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Who infected: a case or an unobserved node.
    pub infector: Node,
    /// Who was infected: always a case of the line list.
    pub infectee: CaseIdx,
    /// How sure the link is.
    pub certainty: Certainty,
}

/// The kernel's whole input: plain vectors, cheap to build from rows the platform already holds.
///
/// Shape: `cases.len()` cases indexed `0..cases.len()`, `unobserved` unobserved nodes indexed
/// `0..unobserved`, and `links` in any order (duplicates, self-links and cycles allowed: they are
/// reported, not rejected). Indices out of range are an error of [`crate::analyze`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainInput {
    /// Cases of the line list, by dense index.
    pub cases: Vec<Case>,
    /// Number of unobserved nodes (infectors named by links but absent from the line list).
    pub unobserved: u32,
    /// Links, in input order; per-link results in [`crate::ChainAnalysis::links`] follow this order.
    pub links: Vec<Link>,
}

/// The platform's keys for every node of a built [`ChainInput`]: `cases[i]` is the key of case `i`,
/// `unobserved[u]` the key of unobserved node `u`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels<K> {
    /// Key of each case, by [`CaseIdx`].
    pub cases: Vec<K>,
    /// Key of each unobserved node, by [`UnobservedIdx`].
    pub unobserved: Vec<K>,
}

impl<K> Labels<K> {
    /// The key of `node`, or `None` if the node is out of range.
    pub fn get(&self, node: Node) -> Option<&K> {
        match node {
            Node::Case(i) => self.cases.get(i as usize),
            Node::Unobserved(u) => self.unobserved.get(u as usize),
        }
    }
}

/// A mistake in the use of [`ChainInputBuilder`]: it names the key so an importer can point at the row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The same key was added as a case twice.
    #[error("case {id} is listed twice")]
    DuplicateCase {
        /// The key, as displayed.
        id: String,
    },
    /// A link's infectee is not a case (cases must be added before their links).
    #[error("link {infector} -> {infectee}: infectee {infectee} is not a case of the line list")]
    UnknownInfectee {
        /// The infector key, as displayed.
        infector: String,
        /// The infectee key, as displayed.
        infectee: String,
    },
    /// More than `u32::MAX - 1` distinct keys (cases and unobserved nodes together).
    #[error("more than {max} cases and unobserved infectors", max = u32::MAX - 1)]
    TooManyNodes,
}

/// Sentinel in `slot_case` for a key seen only as an infector so far.
const NOT_A_CASE: u32 = u32::MAX;

/// Builds a [`ChainInput`] from the platform's own keys (`String` source ids, `i64` row ids, ...).
///
/// Add every case first ([`add_case`](Self::add_case)), then the links
/// ([`add_link`](Self::add_link)): an infectee must already be a case, an infector need not be. An
/// infector that is still not a case at [`build`](Self::build) becomes an unobserved node; the link
/// is kept. Cases get indices in order of addition; unobserved nodes in order of first mention.
/// Each key is stored once (interned).
#[derive(Debug, Clone)]
pub struct ChainInputBuilder<K> {
    slots: HashMap<K, u32>,
    /// Per slot: its case index, or [`NOT_A_CASE`].
    slot_case: Vec<u32>,
    cases: Vec<Case>,
    /// Links with the infector as a slot, resolved at `build`.
    links: Vec<(u32, CaseIdx, Certainty)>,
}

impl<K> Default for ChainInputBuilder<K> {
    fn default() -> Self {
        Self { slots: HashMap::new(), slot_case: Vec::new(), cases: Vec::new(), links: Vec::new() }
    }
}

impl<K: Eq + Hash + Display> ChainInputBuilder<K> {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder with room for `cases` cases and `links` links.
    pub fn with_capacity(cases: usize, links: usize) -> Self {
        Self {
            slots: HashMap::with_capacity(cases + links / 4),
            slot_case: Vec::with_capacity(cases),
            cases: Vec::with_capacity(cases),
            links: Vec::with_capacity(links),
        }
    }

    /// Number of cases added so far.
    pub fn case_count(&self) -> usize {
        self.cases.len()
    }

    /// Adds a case with key `id` and its dates; returns its dense index.
    /// Errors with [`BuildError::DuplicateCase`] if `id` is already a case.
    pub fn add_case(&mut self, id: K, case: Case) -> Result<CaseIdx, BuildError> {
        let idx = u32::try_from(self.cases.len()).map_err(|_| BuildError::TooManyNodes)?;
        let next_slot = u32::try_from(self.slot_case.len()).map_err(|_| BuildError::TooManyNodes)?;
        if next_slot == NOT_A_CASE {
            return Err(BuildError::TooManyNodes);
        }
        match self.slots.get(&id) {
            Some(&slot) => {
                let entry = &mut self.slot_case[slot as usize];
                if *entry != NOT_A_CASE {
                    return Err(BuildError::DuplicateCase { id: id.to_string() });
                }
                *entry = idx;
            }
            None => {
                self.slots.insert(id, next_slot);
                self.slot_case.push(idx);
            }
        }
        self.cases.push(case);
        Ok(idx)
    }

    /// The dense index of case `id`, if it has been added as a case.
    pub fn case_index<Q>(&self, id: &Q) -> Option<CaseIdx>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = *self.slots.get(id)?;
        let case = self.slot_case[slot as usize];
        (case != NOT_A_CASE).then_some(case)
    }

    /// Records that `infector` infected `infectee` with `certainty`.
    ///
    /// `infectee` must already be a case ([`BuildError::UnknownInfectee`] otherwise); `infector` may be
    /// any key, a case added before or after, or a person never added (then an unobserved node).
    pub fn add_link<Q>(&mut self, infector: &Q, infectee: &Q, certainty: Certainty) -> Result<(), BuildError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + Display + ToOwned<Owned = K> + ?Sized,
    {
        let Some(infectee_idx) = self.case_index(infectee) else {
            return Err(BuildError::UnknownInfectee { infector: infector.to_string(), infectee: infectee.to_string() });
        };
        let slot = match self.slots.get(infector) {
            Some(&slot) => slot,
            None => {
                let slot = u32::try_from(self.slot_case.len()).map_err(|_| BuildError::TooManyNodes)?;
                if slot == NOT_A_CASE {
                    return Err(BuildError::TooManyNodes);
                }
                self.slots.insert(infector.to_owned(), slot);
                self.slot_case.push(NOT_A_CASE);
                slot
            }
        };
        self.links.push((slot, infectee_idx, certainty));
        Ok(())
    }

    /// Resolves infectors (case or unobserved) and returns the input with the keys of every node.
    pub fn build(self) -> (ChainInput, Labels<K>) {
        // Unobserved nodes are numbered in slot order, i.e. order of first mention.
        let mut slot_node: Vec<Node> = Vec::with_capacity(self.slot_case.len());
        let mut unobserved: u32 = 0;
        for &case in &self.slot_case {
            if case == NOT_A_CASE {
                slot_node.push(Node::Unobserved(unobserved));
                unobserved += 1;
            } else {
                slot_node.push(Node::Case(case));
            }
        }
        let links = self
            .links
            .iter()
            .map(|&(slot, infectee, certainty)| Link { infector: slot_node[slot as usize], infectee, certainty })
            .collect();
        let mut keyed: Vec<(Node, K)> =
            self.slots.into_iter().map(|(key, slot)| (slot_node[slot as usize], key)).collect();
        keyed.sort_unstable_by_key(|&(node, _)| node);
        let mut labels =
            Labels { cases: Vec::with_capacity(self.cases.len()), unobserved: Vec::with_capacity(unobserved as usize) };
        for (node, key) in keyed {
            match node {
                Node::Case(_) => labels.cases.push(key),
                Node::Unobserved(_) => labels.unobserved.push(key),
            }
        }
        let input = ChainInput { cases: self.cases, unobserved, links };
        (input, labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_resolves_late_infectors() -> Result<(), BuildError> {
        let mut b = ChainInputBuilder::<String>::new();
        b.add_case("a".into(), Case::default())?;
        b.add_case("b".into(), Case::default())?;
        b.add_link("c", "b", Certainty::Confirmed)?; // c added as a case later
        b.add_link("x", "a", Certainty::Possible)?; // never a case
        b.add_link("x", "b", Certainty::Possible)?;
        b.add_case("c".into(), Case::default())?;
        assert_eq!(b.case_index("c"), Some(2));
        assert_eq!(b.case_index("x"), None);
        let (input, labels) = b.build();
        assert_eq!(input.unobserved, 1);
        assert_eq!(input.links[0].infector, Node::Case(2));
        assert_eq!(input.links[1].infector, Node::Unobserved(0));
        assert_eq!(input.links[2].infector, Node::Unobserved(0));
        assert_eq!(labels.cases, ["a", "b", "c"]);
        assert_eq!(labels.unobserved, ["x"]);
        assert_eq!(labels.get(Node::Unobserved(0)).map(String::as_str), Some("x"));
        Ok(())
    }

    #[test]
    fn errors_name_the_keys() {
        let mut b = ChainInputBuilder::<i64>::new();
        assert_eq!(b.add_case(7, Case::default()), Ok(0));
        assert_eq!(b.add_case(7, Case::default()), Err(BuildError::DuplicateCase { id: "7".into() }));
        let err = b.add_link(&7, &8, Certainty::Possible).expect_err("8 is no case");
        assert_eq!(err.to_string(), "link 7 -> 8: infectee 8 is not a case of the line list");
    }
}
