//! Location traces and the spatiotemporal companion search (时空伴随): the glue between the
//! [`firebreak_tracestore`] crate (Parquet store, ingest, query, simulator), the CLI
//! ([`cli`]) and the API ([`http`]). Traces are not in the database: they live in a store
//! folder (`firebreak serve --trace-store DIR`, or `FIREBREAK_TRACE_STORE`).

pub mod cli;
pub mod http;

use firebreak_tracestore::time::parse_utc_us;
pub use firebreak_tracestore::{Companion, Query, QueryReport};

/// Parses a time bound of a query: `2022-10-06`, `2022-10-06 14:00`, RFC 3339 with an offset.
/// A time without an offset is UTC. Errors name the parameter.
pub fn parse_bound(name: &str, s: &str) -> Result<i64, String> {
    parse_utc_us(s).ok_or_else(|| format!("{name}: {s:?} is not a time (e.g. 2008-10-23 or 2008-10-23T10:00:00+08:00)"))
}

/// Parses a duration parameter (`300`, `5m`, `1h`). Errors name the parameter.
pub fn parse_duration(name: &str, s: &str) -> Result<i64, String> {
    firebreak_tracestore::time::parse_duration_s(s)
        .ok_or_else(|| format!("{name}: {s:?} is not a duration ≥ 0 (e.g. 300, 30s, 5m, 1h)"))
}

/// Runs a companion query on a blocking thread (Parquet reading and the join are CPU work).
pub async fn search(store: std::path::PathBuf, q: Query) -> anyhow::Result<Result<QueryReport, String>> {
    let r = tokio::task::spawn_blocking(move || firebreak_tracestore::colocate(&store, &q)).await?;
    Ok(match r {
        Ok(r) => Ok(r),
        // Bad parameters are the caller's; the rest (unreadable store) is ours.
        Err(firebreak_tracestore::Error::Query(m)) => Err(m),
        Err(firebreak_tracestore::Error::Kernel(e)) => Err(e.to_string()),
        Err(e) => return Err(e.into()),
    })
}
