//! The summary the CLI prints as JSON (`firebreak chains ...`): a fixed contract.

use std::cmp::Reverse;
use std::fmt::Display;

use serde::Serialize;

use crate::analysis::{ChainAnalysis, ChainError, top_by};
use crate::input::Labels;

/// One row of [`ChainSummary::top_spreaders`]: `{"case": "<source id>", "infectees": n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpreaderSummary {
    /// The infector's source id (a line-list case, or an unobserved infector named by links).
    pub case: String,
    /// Number of distinct infectees (cases).
    pub infectees: u32,
}

/// The CLI's JSON contract:
/// `{"cases", "links_resolved", "links_unobserved", "chains", "largest_chain", "top_spreaders"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainSummary {
    /// Cases in the line list.
    pub cases: usize,
    /// Distinct links whose infector is a case of the line list: resolved links plus self-links
    /// (duplicates and links below the certainty threshold not counted).
    pub links_resolved: usize,
    /// Distinct links whose infector is not in the line list (an unobserved case).
    pub links_unobserved: usize,
    /// Chains: connected groups of two or more cases through resolved links only.
    pub chains: usize,
    /// Cases in the largest chain (0 if none).
    pub largest_chain: u32,
    /// Infectors (cases and unobserved ones) with the most infectees, most first, ties by id.
    pub top_spreaders: Vec<SpreaderSummary>,
}

impl ChainSummary {
    /// Summarises `analysis`, naming nodes by `labels` (from [`crate::ChainInputBuilder::build`]),
    /// with at most `top_n` spreaders; ties in infectees are broken by the keys' order (numeric for
    /// `i64` keys, lexicographic for strings). Errors if `labels` does not cover the analysis.
    pub fn new<K: Ord + Display>(
        analysis: &ChainAnalysis,
        labels: &Labels<K>,
        top_n: usize,
    ) -> Result<Self, ChainError> {
        if labels.cases.len() != analysis.cases.len() || labels.unobserved.len() != analysis.unobserved_infectees.len()
        {
            return Err(ChainError::LabelsMismatch {
                label_cases: labels.cases.len(),
                label_unobserved: labels.unobserved.len(),
                cases: analysis.cases.len(),
                unobserved: analysis.unobserved_infectees.len(),
            });
        }
        let named: Vec<(&K, u32)> =
            analysis.spreaders().filter_map(|s| Some((labels.get(s.infector)?, s.infectees))).collect();
        let top_spreaders = top_by(named, top_n, |&(key, n)| (Reverse(n), key))
            .into_iter()
            .map(|(key, infectees)| SpreaderSummary { case: key.to_string(), infectees })
            .collect();
        Ok(Self {
            cases: analysis.cases.len(),
            links_resolved: analysis.counts.resolved + analysis.counts.self_links,
            links_unobserved: analysis.counts.unobserved,
            chains: analysis.chains.len(),
            largest_chain: analysis.largest_chain(),
            top_spreaders,
        })
    }
}
