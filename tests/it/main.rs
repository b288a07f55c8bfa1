//! Integration tests: the real server over HTTP, on SQLite by default or on PostgreSQL when
//! `FIREBREAK_TEST_PG` is set (`postgres://postgres@127.0.0.1:5432/test`). One binary, several
//! modules, so the workspace links one test executable.

mod api;
mod audit;
mod cli;
mod helpers;
mod scope;
mod traces;
