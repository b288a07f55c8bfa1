//! Integration tests: the real server over HTTP, on SQLite by default or on PostgreSQL when
//! `FIREBREAK_TEST_PG` is set (`postgres://postgres@127.0.0.1:5432/test`). One binary, one module
//! per domain, so the workspace links one test executable.

mod analytics;
mod api;
mod audit;
mod cli;
mod companions;
mod facilities;
mod fire;
mod helpers;
mod quarantine;
mod scope;
mod traces;
mod tracing;
mod tracing_manual;
