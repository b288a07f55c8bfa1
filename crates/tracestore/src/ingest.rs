//! Streaming import of trace files (CSV, CSV.gz, Parquet) into a store.
//!
//! Memory is bounded by [`IngestOptions::max_buffered_rows`] whatever the file size: rows are
//! parsed one at a time, checked, and handed to a [`StoreWriter`]. A bad row is never fatal: it
//! is counted and the first [`IngestOptions::report_first`] are listed with their line and
//! reason. Reasons: a missing field, an unreadable or impossible time, a latitude outside
//! [-90, 90] or a longitude outside [-180, 180] (or not a number), a negative accuracy, an empty
//! person key, and a duplicate (same person, t, lat and lon as an earlier row of the file).
//!
//! **Idempotence.** Each file's SHA-256 is kept in `DIR/_imports.jsonl`; importing the same
//! content again (under any name) is skipped and says so. Rows go to temporary files first and
//! are moved into the day folders only when the whole file went through.
//!
//! **Venue check-ins** ([`TraceKind::Checkin`]: person, venue id, time, the venue's lat/lon)
//! are stored as points at the venue's coordinates with `source = "venue:<id>"`,
//! `accuracy_m` empty. The companion search treats them like any other point, so two people
//! who scanned the same venue within Δt match (distance 0 ≤ d), and a check-in also matches a
//! GPS fix within d of the venue.

use crate::store::{Row, StoreWriter};
use crate::time::parse_utc_us;
use crate::{Error, io_err, pq_err};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceKind {
    /// Location fixes (GPS, cell, Wi-Fi): person, time, lat, lon, optional accuracy and source.
    #[default]
    Gps,
    /// Venue check-ins (QR code scans): person, venue id, time, the venue's lat/lon.
    Checkin,
}

/// Column names to read; `None` means "recognise the usual names" (see [`ColumnNames::resolve`]).
#[derive(Debug, Clone, Default)]
pub struct ColumnNames {
    /// Person key (default: person, user_id, user, uid, person_id).
    pub person: Option<String>,
    /// Time (default: t, time, timestamp, datetime_utc, datetime, ts).
    pub time: Option<String>,
    /// Latitude (default: lat, latitude, venue_lat).
    pub lat: Option<String>,
    /// Longitude (default: lon, lng, longitude, venue_lon).
    pub lon: Option<String>,
    /// Accuracy, metres (default: accuracy_m, accuracy; optional).
    pub accuracy: Option<String>,
    /// Source (default: source; optional).
    pub source: Option<String>,
    /// Venue id, check-ins only (default: venue, venue_id, place_id).
    pub venue: Option<String>,
}

/// Positions of the columns in the input.
#[derive(Debug, Clone, Copy)]
struct Cols {
    person: usize,
    time: usize,
    lat: usize,
    lon: usize,
    accuracy: Option<usize>,
    source: Option<usize>,
    venue: Option<usize>,
}

impl ColumnNames {
    fn find(header: &[String], given: &Option<String>, defaults: &[&str]) -> Option<usize> {
        match given {
            Some(name) => header.iter().position(|h| h == name),
            None => defaults.iter().find_map(|d| header.iter().position(|h| h.eq_ignore_ascii_case(d))),
        }
    }

    /// Finds the columns in `header`; errors naming the missing column and the names tried.
    fn resolve(&self, header: &[String], kind: TraceKind, file: &str) -> Result<Cols, Error> {
        let need = |given: &Option<String>, defaults: &[&str], what: &str| {
            Self::find(header, given, defaults).ok_or_else(|| Error::Columns {
                file: file.to_string(),
                msg: format!(
                    "no {what} column: looked for {} in header [{}] (name it with --{what}-col)",
                    given.as_ref().map_or_else(|| defaults.join(", "), |g| g.clone()),
                    header.join(", ")
                ),
            })
        };
        let cols = Cols {
            person: need(&self.person, &["person", "user_id", "user", "uid", "person_id"], "person")?,
            time: need(&self.time, &["t", "time", "timestamp", "datetime_utc", "datetime", "ts"], "time")?,
            lat: need(&self.lat, &["lat", "latitude", "venue_lat"], "lat")?,
            lon: need(&self.lon, &["lon", "lng", "longitude", "venue_lon"], "lon")?,
            accuracy: Self::find(header, &self.accuracy, &["accuracy_m", "accuracy"]),
            source: Self::find(header, &self.source, &["source"]),
            venue: match kind {
                TraceKind::Checkin => Some(need(&self.venue, &["venue", "venue_id", "place_id"], "venue")?),
                TraceKind::Gps => None,
            },
        };
        Ok(cols)
    }
}

/// Options of an import.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Column names (default: recognised).
    pub columns: ColumnNames,
    /// GPS fixes or venue check-ins.
    pub kind: TraceKind,
    /// The `source` of rows without a source column (default `gps` or `checkin`).
    pub default_source: Option<String>,
    /// Rows held in memory at most (default 1,000,000: about 150 MB).
    pub max_buffered_rows: usize,
    /// Bad rows listed in the report (the count covers all).
    pub report_first: usize,
    /// Show a progress bar on standard error (hidden when it is not a terminal).
    pub progress: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            columns: ColumnNames::default(),
            kind: TraceKind::Gps,
            default_source: None,
            max_buffered_rows: 1_000_000,
            report_first: 20,
            progress: false,
        }
    }
}

/// One rejected row: its line (CSV, header = line 1) or row (Parquet, 1-based) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    /// Line or row number, 1-based.
    pub line: u64,
    /// What is wrong, naming the field.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// The input file.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// True when the same content had been imported before (nothing was written).
    pub already_imported: bool,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows written to the store.
    pub rows_written: u64,
    /// Rows rejected for a bad field.
    pub bad_rows: u64,
    /// Duplicate rows dropped.
    pub duplicates: u64,
    /// The first rejected or duplicate rows.
    pub samples: Vec<BadRow>,
    /// Day partitions written, with their rows.
    pub days: Vec<(String, u64)>,
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn manifest_has(store: &Path, sha: &str) -> Result<bool, Error> {
    let m = store.join("_imports.jsonl");
    match std::fs::read_to_string(&m) {
        Ok(s) => Ok(s.lines().any(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v.get("sha256").and_then(|x| x.as_str()).map(|x| x == sha))
                .unwrap_or(false)
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::Io { path: m.display().to_string(), source: e }),
    }
}

struct Counting<R> {
    inner: R,
    bar: indicatif::ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// Reads its input on a thread of its own, 4 MiB ahead (at most 4 blocks in flight), so that
/// decompression and parsing run on two cores. An error of the input is passed on in order.
struct Prefetch {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    block: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Prefetch {
    fn new<R: Read + Send + 'static>(mut inner: R) -> Prefetch {
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
        std::thread::spawn(move || {
            loop {
                let mut block = vec![0u8; 4 << 20];
                let mut filled = 0;
                let res = loop {
                    match inner.read(&mut block[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == block.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                block.truncate(filled);
                let end = filled == 0;
                let stop = match res {
                    Ok(()) => tx.send(Ok(block)).is_err() || end,
                    Err(e) => {
                        if !end {
                            let _ = tx.send(Ok(block));
                        }
                        let _ = tx.send(Err(e));
                        true
                    }
                };
                if stop {
                    break;
                }
            }
        });
        Prefetch { rx, block: Vec::new(), pos: 0, done: false }
    }
}

impl Read for Prefetch {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.block.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(b)) => {
                    if b.is_empty() {
                        self.done = true;
                    }
                    self.block = b;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.block.len() - self.pos);
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Accumulates bad rows and builds rows out of text fields.
struct Sink {
    writer: StoreWriter,
    bad: u64,
    samples: Vec<BadRow>,
    report_first: usize,
    read: u64,
    source: Arc<str>,
    kind: TraceKind,
    last_source: Option<(String, Arc<str>)>,
}

impl Sink {
    fn reject(&mut self, line: u64, reason: String) {
        self.bad += 1;
        if self.samples.len() < self.report_first {
            self.samples.push(BadRow { line, reason });
        }
    }

    fn bad(&mut self, line: u64, reason: String) -> Result<(), Error> {
        self.reject(line, reason);
        Ok(())
    }

    fn source_of(&mut self, s: &str) -> Arc<str> {
        if let Some((k, v)) = &self.last_source
            && k == s
        {
            return v.clone();
        }
        let v: Arc<str> = s.into();
        self.last_source = Some((s.to_string(), v.clone()));
        v
    }

    /// Checks one row given as text fields and queues it.
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        line: u64,
        person: Option<&str>,
        t_us: Result<i64, String>,
        lat: Option<&str>,
        lon: Option<&str>,
        acc: Option<&str>,
        source: Option<&str>,
        venue: Option<&str>,
    ) -> Result<(), Error> {
        self.read += 1;
        let person = match person.map(str::trim) {
            Some(p) if !p.is_empty() => p,
            _ => return self.bad(line, "person: empty".into()),
        };
        let t_us = match t_us {
            Ok(t) => t,
            Err(why) => return self.bad(line, why),
        };
        let lat = match lat.map(str::trim).and_then(|s| s.parse::<f64>().ok()) {
            Some(v) if (-90.0..=90.0).contains(&v) => v,
            Some(v) => return self.bad(line, format!("lat: {v} is outside [-90, 90]")),
            None => return self.bad(line, format!("lat: {:?} is not a number", lat.unwrap_or(""))),
        };
        let lon = match lon.map(str::trim).and_then(|s| s.parse::<f64>().ok()) {
            Some(v) if (-180.0..=180.0).contains(&v) => v,
            Some(v) => return self.bad(line, format!("lon: {v} is outside [-180, 180]")),
            None => return self.bad(line, format!("lon: {:?} is not a number", lon.unwrap_or(""))),
        };
        let accuracy_m = match acc.map(str::trim) {
            None | Some("") => None,
            Some(s) => match s.parse::<f64>() {
                Ok(v) if v >= 0.0 && v.is_finite() => Some(v),
                _ => return self.bad(line, format!("accuracy_m: {s:?} is not a distance ≥ 0")),
            },
        };
        let source = match (self.kind, venue.map(str::trim), source.map(str::trim)) {
            (TraceKind::Checkin, Some(v), _) if !v.is_empty() => self.source_of(&format!("venue:{v}")),
            (TraceKind::Checkin, _, _) => return self.bad(line, "venue: empty".into()),
            (TraceKind::Gps, _, Some(s)) if !s.is_empty() => self.source_of(s),
            _ => self.source.clone(),
        };
        let pid = self.writer.pid(person)?;
        self.writer.push(Row { pid, t_us, lat, lon, accuracy_m, source, line })
    }
}

fn parse_time(s: Option<&str>) -> Result<i64, String> {
    match s {
        None => Err("t: missing".into()),
        Some(s) => parse_utc_us(s).ok_or_else(|| format!("t: {:?} is not a time (YYYY-MM-DD HH:MM:SS[Z|±HH:MM])", s)),
    }
}

/// Imports one file (CSV, CSV.gz — by the gzip magic bytes — or Parquet, by the `.parquet`
/// extension or the `PAR1` magic) into the store at `store`. See the module docs.
pub fn ingest_file(path: &Path, store: &Path, opts: &IngestOptions) -> Result<IngestReport, Error> {
    let file = path.display().to_string();
    let sha = sha256_file(path)?;
    std::fs::create_dir_all(store).map_err(io_err(store))?;
    if manifest_has(store, &sha)? {
        return Ok(IngestReport {
            file,
            sha256: sha,
            already_imported: true,
            rows_read: 0,
            rows_written: 0,
            bad_rows: 0,
            duplicates: 0,
            samples: vec![],
            days: vec![],
        });
    }
    let mut magic = [0u8; 4];
    {
        let mut f = std::fs::File::open(path).map_err(io_err(path))?;
        let _ = f.read(&mut magic).map_err(io_err(path))?;
    }
    let default_source = opts.default_source.clone().unwrap_or_else(|| match opts.kind {
        TraceKind::Gps => "gps".into(),
        TraceKind::Checkin => "checkin".into(),
    });
    let mut sink = Sink {
        writer: StoreWriter::new(store, opts.max_buffered_rows, opts.report_first)?,
        bad: 0,
        samples: Vec::new(),
        report_first: opts.report_first,
        read: 0,
        source: default_source.into(),
        kind: opts.kind,
        last_source: None,
    };
    let len = std::fs::metadata(path).map_err(io_err(path))?.len();
    let bar = if opts.progress {
        let b = indicatif::ProgressBar::new(len);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
        ) {
            b.set_style(style);
        }
        b.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    if &magic == b"PAR1" || path.extension().is_some_and(|e| e == "parquet") {
        ingest_parquet(path, opts, &mut sink, &bar)?;
    } else {
        let f = std::fs::File::open(path).map_err(io_err(path))?;
        let counted = Counting { inner: f, bar: bar.clone() };
        let reader: Box<dyn Read> = if magic[..2] == [0x1f, 0x8b] {
            // Decompression on its own thread, ahead of the parser.
            Box::new(Prefetch::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, counted))))
        } else {
            Box::new(BufReader::with_capacity(1 << 20, counted))
        };
        ingest_csv(reader, path, opts, &mut sink)?;
    }
    bar.finish_and_clear();
    let rows_in = sink.writer.rows_in();
    let (days, dup_samples, duplicates) = sink.writer.finish()?;
    let mut samples = sink.samples;
    samples.extend(dup_samples);
    samples.sort_by_key(|b| b.line);
    samples.truncate(opts.report_first);
    let rows_written: u64 = days.iter().map(|d| d.1).sum();
    debug_assert_eq!(rows_written, rows_in - duplicates);
    let m = store.join("_imports.jsonl");
    let mut mf = std::fs::OpenOptions::new().create(true).append(true).open(&m).map_err(io_err(&m))?;
    let entry = serde_json::json!({"sha256": sha, "file": file, "rows": rows_written,
        "imported_at": chrono::Utc::now().to_rfc3339()});
    writeln!(mf, "{entry}").map_err(io_err(&m))?;
    Ok(IngestReport {
        file,
        sha256: sha,
        already_imported: false,
        rows_read: sink.read,
        rows_written,
        bad_rows: sink.bad,
        duplicates,
        samples,
        days,
    })
}

fn ingest_csv(reader: Box<dyn Read>, path: &Path, opts: &IngestOptions, sink: &mut Sink) -> Result<(), Error> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(reader);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Columns { file: path.display().to_string(), msg: format!("cannot read the header: {e}") })?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let c = opts.columns.resolve(&header, opts.kind, &path.display().to_string())?;
    let mut rec = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // A broken record (e.g. invalid UTF-8) is a bad row; an I/O error stops the import.
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(Error::Io {
                        path: path.display().to_string(),
                        source: std::io::Error::other(e.to_string()),
                    });
                }
                line = e.position().map_or(line + 1, |p| p.line());
                sink.read += 1;
                sink.reject(line, format!("unreadable record: {e}"));
                continue;
            }
        }
        line = rec.position().map_or(line + 1, |p| p.line());
        sink.row(
            line,
            rec.get(c.person),
            parse_time(rec.get(c.time)),
            rec.get(c.lat),
            rec.get(c.lon),
            c.accuracy.and_then(|i| rec.get(i)),
            c.source.and_then(|i| rec.get(i)),
            c.venue.and_then(|i| rec.get(i)),
        )?;
    }
    Ok(())
}

/// A Parquet column read as text (person, venue, source, accuracy, coordinates), or as a time.
fn text_at(a: &dyn Array, i: usize) -> Option<String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => a.as_string_view().value(i).to_string(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).to_string(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i).to_string(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(i).to_string(),
        DataType::Float64 => format!("{:?}", a.as_primitive::<Float64Type>().value(i)),
        DataType::Float32 => format!("{:?}", f64::from(a.as_primitive::<Float32Type>().value(i))),
        _ => return None,
    })
}

fn time_at(a: &dyn Array, i: usize) -> Result<i64, String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    if a.is_null(i) {
        return Err("t: missing".into());
    }
    match a.data_type() {
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i).checked_mul(1_000_000),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i).checked_mul(1000),
                TimeUnit::Microsecond => Some(a.as_primitive::<TimestampMicrosecondType>().value(i)),
                TimeUnit::Nanosecond => Some(a.as_primitive::<TimestampNanosecondType>().value(i).div_euclid(1000)),
            };
            v.ok_or_else(|| "t: out of range".to_string())
        }
        _ => parse_time(text_at(a, i).as_deref()),
    }
}

fn ingest_parquet(
    path: &Path,
    opts: &IngestOptions,
    sink: &mut Sink,
    bar: &indicatif::ProgressBar,
) -> Result<(), Error> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq_err(path))?;
    let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let c = opts.columns.resolve(&header, opts.kind, &path.display().to_string())?;
    let total = builder.metadata().file_metadata().num_rows().max(1) as u64;
    let len = bar.length().unwrap_or(0);
    let reader = builder.with_batch_size(65_536).build().map_err(pq_err(path))?;
    let mut row = 0u64;
    for b in reader {
        let b: RecordBatch = b?;
        let (pc, tc, la, lo) = (b.column(c.person), b.column(c.time), b.column(c.lat), b.column(c.lon));
        for i in 0..b.num_rows() {
            row += 1;
            let acc = c.accuracy.and_then(|k| text_at(b.column(k).as_ref(), i));
            let src = c.source.and_then(|k| text_at(b.column(k).as_ref(), i));
            let ven = c.venue.and_then(|k| text_at(b.column(k).as_ref(), i));
            sink.row(
                row,
                text_at(pc.as_ref(), i).as_deref(),
                time_at(tc.as_ref(), i),
                text_at(la.as_ref(), i).as_deref(),
                text_at(lo.as_ref(), i).as_deref(),
                acc.as_deref(),
                src.as_deref(),
                ven.as_deref(),
            )?;
        }
        bar.set_position(len.saturating_mul(row) / total);
    }
    Ok(())
}
