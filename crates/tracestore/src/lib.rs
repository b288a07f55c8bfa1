//! # firebreak-tracestore: location traces on disk, and the companion search over them
//!
//! The store is a folder of Apache Parquet files partitioned by UTC day, Hive-style, so that
//! DuckDB, Spark or DataFusion read it as it is (`read_parquet('DIR/day=*/*.parquet',
//! hive_partitioning = true)`):
//!
//! ```text
//! DIR/day=2008-10-23/part-0.parquet
//! DIR/day=2008-10-23/part-1.parquet     (a later import that had rows on that day)
//! DIR/day=2008-10-24/part-0.parquet
//! DIR/_persons/part-0.parquet           (the person dictionary: pid <-> person, see [`persons`])
//! DIR/_imports.jsonl                    (one line per imported file: SHA-256, rows; re-imports are skipped)
//! ```
//!
//! Columns ([`schema`]): `person` (utf8), `t` (timestamp, microseconds, UTC), `lat`, `lon`
//! (f64, WGS 84 degrees), `accuracy_m` (f64, nullable), `source` (utf8), `pid` (uint32, the
//! person's id in the store's dictionary). Every part file holds rows of one UTC day
//! `[D, D + 24 h)`, sorted by `(t, pid, lat, lon)`, in row groups of at most 1,048,576 rows
//! with `t` statistics, Snappy-compressed, plain-encoded. The query reads `pid`, `t`, `lat`,
//! `lon` only.
//!
//! - [`ingest`]: streaming import from CSV, CSV.gz or Parquet with bounded memory, bad rows
//!   reported (not fatal), duplicates dropped, venue check-ins as a second kind of trace.
//! - [`persons`]: the store's person dictionary (key text ↔ `pid`), appended by each import.
//! - [`query`]: the exact companion search (时空伴随) over the store, one day partition at a
//!   time, with the [`firebreak_colocate`] kernel.
//! - [`sim`]: a deterministic city-scale mobility generator writing the same layout (or CSV.gz).
//! - [`time`]: the timestamp parser and formatter used by all of them.
#![forbid(unsafe_code)]

pub mod ingest;
pub mod persons;
pub mod query;
pub mod sim;
pub mod store;
pub mod time;

pub use ingest::{BadRow, ColumnNames, IngestOptions, IngestReport, TraceKind, ingest_file};
pub use query::{Companion, CompanionLink, Query, QueryReport, Where, colocate};
pub use store::{StoreWriter, day_dirs, schema};

/// Errors of the store: I/O, Parquet, and input that cannot be read at all (a bad row is not
/// an error: it is counted and reported, see [`IngestReport`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A Parquet file could not be read or written.
    #[error("{path}: parquet: {source}")]
    Parquet {
        /// The file.
        path: String,
        /// The cause.
        source: parquet::errors::ParquetError,
    },
    /// Building an Arrow batch failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The input's header or schema does not name a required column.
    #[error("{file}: {msg}")]
    Columns {
        /// The input file.
        file: String,
        /// What is missing, and which names were looked for.
        msg: String,
    },
    /// The query is not valid (names the parameter).
    #[error("{0}")]
    Query(String),
    /// The join kernel refused its input.
    #[error(transparent)]
    Kernel(#[from] firebreak_colocate::Error),
}

/// Wraps an I/O error with its path.
pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.display().to_string(), source }
}

/// Wraps a Parquet error with its path.
pub(crate) fn pq_err(path: &std::path::Path) -> impl FnOnce(parquet::errors::ParquetError) -> Error + '_ {
    move |source| Error::Parquet { path: path.display().to_string(), source }
}
