//! Integration tests: one binary, one module per domain. Runs on SQLite, and on PostgreSQL when
//! FIREBREAK_TEST_PG is set (a fresh database per test).
mod analytics;
