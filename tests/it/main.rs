//! Integration tests: one test binary, one module per domain. SQLite in a tempdir by default;
//! with FIREBREAK_TEST_PG=postgres://… each test also gets a fresh PostgreSQL database.

mod fire;
