//! The integration test binary: one module per domain.
mod tracing;
