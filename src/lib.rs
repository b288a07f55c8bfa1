//! firebreak: the command platform of a city's emergency headquarters.
//!
//! The library holds everything the `firebreak` binary and the integration tests use: storage
//! ([`db`]), validated values ([`domain`]), and one vertical slice per domain (types, store
//! queries, HTTP handlers and pages side by side): [`jurisdictions`], [`people`], [`auth`],
//! [`audit`], [`tracing`]; [`web`] assembles the server.
#![forbid(unsafe_code)]

pub mod analytics;
pub mod audit;
pub mod auth;
pub mod db;
pub mod demo;
pub mod domain;
pub mod facilities;
pub mod fire;
pub mod jurisdictions;
pub mod people;
pub mod quarantine;
pub mod traces;
pub mod tracing;
pub mod web;
