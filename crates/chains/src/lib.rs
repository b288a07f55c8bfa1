//! firebreak-chains: the pure transmission-chain kernel.
//!
//! Plain data in, plain data out: no I/O, no clock ("today" is [`Params::as_of`]).
//!
//! * Input: [`ChainInput`] — cases by dense index with optional onset and report dates (days since
//!   1970-01-01, see [`dates`]) and links infector → infectee with a [`Certainty`]. An infector
//!   absent from the line list is an unobserved [`Node`]; its links are kept.
//!   [`ChainInputBuilder`] builds the input from the platform's own keys (string source ids or
//!   `i64` row ids), interning each key once.
//! * [`analyze`] → [`ChainAnalysis`]: per link (resolved or unobserved infector, serial interval),
//!   per case (chain, generation, infectees, infectors), chains (connected groups of ≥ 2 cases
//!   through resolved links: index cases, generations, onset span, activity, largest spreaders),
//!   top spreaders, and data [`Problem`]s (cycles, several infectors, self-links, duplicates).
//! * [`ChainSummary`]: the CLI's JSON contract.
//! * [`refs::extract_case_refs`]: infector ids mentioned in free text (`"family of TJ14  TJ25"`).
//!
//! Everything is iterative (union-find, Tarjan with heap stacks): a chain a million deep is fine.
//!
//! ```
//! use firebreak_chains::{analyze, Case, Certainty, ChainInputBuilder, ChainSummary, Params};
//! let mut b = ChainInputBuilder::<String>::new();
//! for id in ["A", "B", "C"] {
//!     b.add_case(id.to_owned(), Case::default())?;
//! }
//! b.add_link("A", "B", Certainty::Confirmed)?;
//! b.add_link("B", "C", Certainty::Probable)?;
//! b.add_link("#99", "A", Certainty::Possible)?; // #99 is not in the line list
//! let (input, labels) = b.build();
//! let analysis = analyze(&input, &Params::new(18_300))?;
//! assert_eq!(analysis.chains[0].size, 3);
//! assert_eq!(analysis.cases[2].generation, Some(2));
//! let summary = ChainSummary::new(&analysis, &labels, 5)?;
//! assert_eq!((summary.links_resolved, summary.links_unobserved), (2, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod analysis;
pub mod dates;
mod input;
pub mod refs;
mod summary;

pub use analysis::{
    CaseReport, Chain, ChainAnalysis, ChainError, LinkCounts, LinkReport, LinkStatus, Params, Problem, Spreader,
    analyze,
};
pub use input::{BuildError, Case, Certainty, ChainInput, ChainInputBuilder, Labels, Link, Node};
pub use summary::{ChainSummary, SpreaderSummary};

/// A calendar day: days since 1970-01-01 (negative before). See [`dates`].
pub type Day = i32;
/// Dense index of a case in [`ChainInput::cases`].
pub type CaseIdx = u32;
/// Dense index of an unobserved node, `0..ChainInput::unobserved`.
pub type UnobservedIdx = u32;
/// Index of a chain in [`ChainAnalysis::chains`] (0 = largest).
pub type ChainId = u32;
