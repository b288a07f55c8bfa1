//! Quarantine and health monitoring (隔离管控): the rules of the policy profile per kind of person
//! ([`rules`]), the pure schedule engine ([`schedule`]), stays of people under control with their
//! stored schedule, health checks, samples, alerts and release.

pub mod cli;
pub mod rules;
pub mod schedule;
