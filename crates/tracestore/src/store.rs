//! The on-disk layout and its writer: rows go into per-day buffers; a buffer that grows past
//! the memory budget is sorted and written out as a row group of a temporary *run*; at the end
//! each day's runs are merged (k-way, one small batch per run in memory) into one sorted part
//! file, moved into `DIR/day=YYYY-MM-DD/` only when everything succeeded.

use crate::ingest::BadRow;
use crate::persons::Persons;
use crate::time::{DAY_US, day_string, parse_day_dir};
use crate::{Error, io_err, pq_err};
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per row group of a part file.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// The Arrow schema of every part file: `person` utf8, `t` timestamp(µs, "UTC"), `lat`, `lon`
/// f64, `accuracy_m` f64 (nullable), `source` utf8, `pid` uint32 (the person's id in the
/// store's dictionary, [`crate::persons`]).
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("person", DataType::Utf8, false),
        Field::new("t", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        Field::new("lat", DataType::Float64, false),
        Field::new("lon", DataType::Float64, false),
        Field::new("accuracy_m", DataType::Float64, true),
        Field::new("source", DataType::Utf8, false),
        Field::new("pid", DataType::UInt32, false),
    ]))
}

/// One trace row on its way into the store. `line` is where it came from (for reports).
#[derive(Debug, Clone)]
pub struct Row {
    /// The person's id ([`StoreWriter::pid`]).
    pub pid: u32,
    /// Time, microseconds since the Unix epoch (UTC).
    pub t_us: i64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Reported accuracy, metres.
    pub accuracy_m: Option<f64>,
    /// Where the row came from (`gps`, `venue:<id>`, …).
    pub source: Arc<str>,
    /// Line (CSV) or row (Parquet) in the input, 1-based.
    pub line: u64,
}

/// The sort order of a part file, which is also the identity of a row for duplicate
/// detection (equal `t`, `pid` — hence person —, `lat`, `lon`).
#[inline]
fn cmp_key(a: (u32, i64, f64, f64), b: (u32, i64, f64, f64)) -> Ordering {
    a.1.cmp(&b.1).then(a.0.cmp(&b.0)).then(a.2.total_cmp(&b.2)).then(a.3.total_cmp(&b.3))
}

#[inline]
fn row_key(r: &Row) -> (u32, i64, f64, f64) {
    (r.pid, r.t_us, r.lat, r.lon)
}

/// Writer settings: plain encoding (no dictionary) except for `source`; the columns the
/// companion search reads (`pid`, `t`, `lat`, `lon`) uncompressed, so that they decode at memory
/// speed (Snappy gains little on coordinates and costs most of the read), the others Snappy;
/// statistics per page for `t` (pruning by time).
fn props() -> WriterProperties {
    use parquet::file::properties::EnabledStatistics;
    use parquet::schema::types::ColumnPath;
    let mut b = WriterProperties::builder().set_compression(Compression::SNAPPY);
    for c in ["pid", "t", "lat", "lon"] {
        b = b.set_column_compression(ColumnPath::from(c), Compression::UNCOMPRESSED);
    }
    b.set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_dictionary_enabled(false)
        .set_column_dictionary_enabled(ColumnPath::from("source"), true)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_column_statistics_enabled(ColumnPath::from("t"), EnabledStatistics::Page)
        .build()
}

fn batch_of(rows: &[Row], persons: &Persons) -> Result<RecordBatch, Error> {
    let person: StringArray = rows.iter().map(|r| Some(persons.name(r.pid))).collect();
    let t = TimestampMicrosecondArray::from(rows.iter().map(|r| r.t_us).collect::<Vec<_>>()).with_timezone("UTC");
    let lat = Float64Array::from(rows.iter().map(|r| r.lat).collect::<Vec<_>>());
    let lon = Float64Array::from(rows.iter().map(|r| r.lon).collect::<Vec<_>>());
    let acc: Float64Array = rows.iter().map(|r| r.accuracy_m).collect();
    let source: StringArray = rows.iter().map(|r| Some(&*r.source)).collect();
    let pid = UInt32Array::from(rows.iter().map(|r| r.pid).collect::<Vec<_>>());
    let cols: Vec<ArrayRef> = vec![
        Arc::new(person),
        Arc::new(t),
        Arc::new(lat),
        Arc::new(lon),
        Arc::new(acc),
        Arc::new(source),
        Arc::new(pid),
    ];
    Ok(RecordBatch::try_new(schema(), cols)?)
}

/// A sorted run of one day: a temporary Parquet file, row groups in key order.
struct Run {
    path: PathBuf,
    writer: ArrowWriter<File>,
    /// The last row written (its key), to continue the run or catch a duplicate across flushes.
    last: Row,
}

#[derive(Default)]
struct Day {
    buf: Vec<Row>,
    runs: Vec<Run>,
}

/// Writes rows into a store folder with bounded memory (see the module docs). Nothing is
/// visible in the store until [`StoreWriter::finish`] moves the finished part files in.
pub struct StoreWriter {
    root: PathBuf,
    tmp: PathBuf,
    days: BTreeMap<i64, Day>,
    buffered: usize,
    max_buffered: usize,
    runs_opened: usize,
    /// Duplicates dropped so far, and the first few of them.
    pub duplicates: u64,
    dup_samples: Vec<BadRow>,
    report_first: usize,
    rows_in: u64,
    persons: Persons,
}

impl StoreWriter {
    /// A writer into `root` (created if missing) keeping at most `max_buffered` rows in memory
    /// (all days together; each row ~ 100 bytes plus its key) and sampling the first
    /// `report_first` duplicates.
    pub fn new(root: &Path, max_buffered: usize, report_first: usize) -> Result<StoreWriter, Error> {
        std::fs::create_dir_all(root).map_err(io_err(root))?;
        let nonce = format!(
            "_tmp-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        );
        let tmp = root.join(nonce);
        std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        Ok(StoreWriter {
            root: root.to_path_buf(),
            tmp,
            days: BTreeMap::new(),
            buffered: 0,
            max_buffered: max_buffered.max(1024),
            runs_opened: 0,
            duplicates: 0,
            dup_samples: Vec::new(),
            report_first,
            rows_in: 0,
            persons: Persons::load(root)?,
        })
    }

    /// The id of the person `key` in the store's dictionary (a new id for a new key).
    #[inline]
    pub fn pid(&mut self, key: &str) -> Result<u32, Error> {
        self.persons.id(key)
    }

    /// Adds one row (already validated).
    pub fn push(&mut self, row: Row) -> Result<(), Error> {
        let day = row.t_us.div_euclid(DAY_US);
        self.days.entry(day).or_default().buf.push(row);
        self.buffered += 1;
        self.rows_in += 1;
        if self.buffered >= self.max_buffered {
            // Flush the largest buffer: with time-ordered input that is the current day.
            let (&day, _) = self.days.iter().max_by_key(|(_, d)| d.buf.len()).ok_or(Error::Query("no day".into()))?;
            self.flush_day(day)?;
        }
        Ok(())
    }

    fn note_dup(&mut self, r: &Row, first_line: Option<u64>) {
        self.duplicates += 1;
        if self.dup_samples.len() < self.report_first {
            let reason = match first_line {
                Some(l) => format!("duplicate of line {l} (same person, t, lat, lon)"),
                None => "duplicate of an earlier row (same person, t, lat, lon)".to_string(),
            };
            self.dup_samples.push(BadRow { line: r.line, reason });
        }
    }

    fn flush_day(&mut self, day: i64) -> Result<(), Error> {
        let Some(d) = self.days.get_mut(&day) else { return Ok(()) };
        let mut buf = std::mem::take(&mut d.buf);
        if buf.is_empty() {
            return Ok(());
        }
        self.buffered -= buf.len();
        buf.sort_unstable_by(|a, b| cmp_key(row_key(a), row_key(b)).then(a.line.cmp(&b.line)));
        // Drop duplicates (keep the first line).
        let mut kept: Vec<Row> = Vec::with_capacity(buf.len());
        let mut dups: Vec<(Row, Option<u64>)> = Vec::new();
        for r in buf {
            match kept.last() {
                Some(p) if cmp_key(row_key(p), row_key(&r)) == Ordering::Equal => {
                    let l = p.line;
                    dups.push((r, Some(l)));
                }
                _ => kept.push(r),
            }
        }
        let d = self.days.get_mut(&day).ok_or(Error::Query("no day".into()))?;
        // Continue the latest run when this buffer starts at or after its last row.
        let cont = d.runs.last().map(|run| cmp_key(row_key(&run.last), row_key(&kept[0])));
        let mut first_dup = None;
        let start = match cont {
            Some(Ordering::Equal) => {
                first_dup = d.runs.last().map(|run| run.last.line);
                1
            }
            _ => 0,
        };
        if start == 1 {
            dups.push((kept[0].clone(), first_dup));
        }
        let rows = &kept[start..];
        if !rows.is_empty() {
            let need_new = !matches!(cont, Some(Ordering::Less | Ordering::Equal));
            if need_new {
                let dir = self.tmp.join(day_string(day));
                std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
                let path = dir.join(format!("run-{}.parquet", self.runs_opened));
                self.runs_opened += 1;
                let f = File::create(&path).map_err(io_err(&path))?;
                let writer = ArrowWriter::try_new(f, schema(), Some(props())).map_err(pq_err(&path))?;
                let last = rows[rows.len() - 1].clone();
                d.runs.push(Run { path, writer, last });
            }
            let run = d.runs.last_mut().ok_or(Error::Query("no run".into()))?;
            for chunk in rows.chunks(ROW_GROUP_ROWS) {
                let batch = batch_of(chunk, &self.persons)?;
                run.writer.write(&batch).map_err(pq_err(&run.path))?;
                run.writer.flush().map_err(pq_err(&run.path))?;
            }
            run.last = rows[rows.len() - 1].clone();
        }
        for (r, l) in dups {
            self.note_dup(&r, l);
        }
        Ok(())
    }

    /// Rows pushed so far (before duplicate removal).
    pub fn rows_in(&self) -> u64 {
        self.rows_in
    }

    /// Flushes, merges each day's runs into one sorted part file and moves the parts into the
    /// store. Returns the days written (with their rows), the sampled duplicates and the number
    /// of duplicates dropped.
    pub fn finish(mut self) -> Result<Finished, Error> {
        let days: Vec<i64> = self.days.keys().copied().collect();
        for &day in &days {
            self.flush_day(day)?;
        }
        let mut finals: Vec<(i64, PathBuf, u64)> = Vec::new();
        let all = std::mem::take(&mut self.days);
        for (day, d) in all {
            let mut paths = Vec::new();
            for run in d.runs {
                run.writer.close().map_err(pq_err(&run.path))?;
                paths.push(run.path);
            }
            match paths.len() {
                0 => continue,
                1 => {
                    let rows = count_rows(&paths[0])?;
                    finals.push((day, paths.swap_remove(0), rows));
                }
                _ => {
                    let out = self.tmp.join(day_string(day)).join("merged.parquet");
                    let rows = self.merge_runs(&paths, &out)?;
                    for p in &paths {
                        std::fs::remove_file(p).map_err(io_err(p))?;
                    }
                    finals.push((day, out, rows));
                }
            }
        }
        // Everything is written: the new dictionary entries first (a part must never hold an id
        // the dictionary lacks), then the parts.
        if let Some((from, to)) = self.persons.write_new(&self.root, &self.tmp)? {
            let dir = self.root.join(crate::persons::PERSONS_DIR);
            std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
            std::fs::rename(&from, &to).map_err(io_err(&to))?;
        }
        let mut written = Vec::new();
        for (day, path, rows) in finals {
            let dir = self.root.join(format!("day={}", day_string(day)));
            std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
            let n = next_part(&dir)?;
            let dest = dir.join(format!("part-{n}.parquet"));
            std::fs::rename(&path, &dest).map_err(io_err(&dest))?;
            written.push((day_string(day), rows));
        }
        std::fs::remove_dir_all(&self.tmp).map_err(io_err(&self.tmp))?;
        Ok((written, std::mem::take(&mut self.dup_samples), self.duplicates))
    }

    /// k-way merge of sorted runs into `out`, dropping duplicates; returns the rows written.
    fn merge_runs(&mut self, paths: &[PathBuf], out: &Path) -> Result<u64, Error> {
        let mut cursors = Vec::new();
        for p in paths {
            cursors.push(Cursor::open(p)?);
        }
        let f = File::create(out).map_err(io_err(out))?;
        let mut writer = ArrowWriter::try_new(f, schema(), Some(props())).map_err(pq_err(out))?;
        let mut pending: Vec<Row> = Vec::with_capacity(65_536);
        let mut last: Option<Row> = None;
        let mut written = 0u64;
        let mut in_group = 0usize;
        loop {
            let mut best: Option<usize> = None;
            for (i, c) in cursors.iter().enumerate() {
                if let Some(k) = c.key() {
                    best = match best {
                        Some(b) if cursors[b].key().is_some_and(|bk| cmp_key(bk, k) != Ordering::Greater) => Some(b),
                        _ => Some(i),
                    };
                }
            }
            let Some(b) = best else { break };
            let row = cursors[b].take()?;
            if last.as_ref().is_some_and(|l| cmp_key(row_key(l), row_key(&row)) == Ordering::Equal) {
                self.note_dup(&row, None);
                continue;
            }
            pending.push(row.clone());
            last = Some(row);
            if pending.len() == 65_536 {
                writer.write(&batch_of(&pending, &self.persons)?).map_err(pq_err(out))?;
                written += pending.len() as u64;
                in_group += pending.len();
                pending.clear();
                if in_group >= ROW_GROUP_ROWS {
                    writer.flush().map_err(pq_err(out))?;
                    in_group = 0;
                }
            }
        }
        if !pending.is_empty() {
            writer.write(&batch_of(&pending, &self.persons)?).map_err(pq_err(out))?;
            written += pending.len() as u64;
        }
        writer.close().map_err(pq_err(out))?;
        Ok(written)
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        // On an error path the temporary folder is left half-written: remove it (best effort;
        // after a successful finish it is already gone).
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

pub(crate) fn count_rows(path: &Path) -> Result<u64, Error> {
    let f = File::open(path).map_err(io_err(path))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq_err(path))?;
    Ok(b.metadata().file_metadata().num_rows().max(0) as u64)
}

fn next_part(dir: &Path) -> Result<u64, Error> {
    let mut n = 0;
    for e in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let e = e.map_err(io_err(dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(k) =
            name.strip_prefix("part-").and_then(|s| s.strip_suffix(".parquet")).and_then(|s| s.parse::<u64>().ok())
        {
            n = n.max(k + 1);
        }
    }
    Ok(n)
}

/// What [`StoreWriter::finish`] returns: the days written (`YYYY-MM-DD`, rows), the first
/// duplicates dropped, and their number.
pub type Finished = (Vec<(String, u64)>, Vec<BadRow>, u64);

/// Reads a run back one batch at a time.
struct Cursor {
    path: PathBuf,
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    batch: Option<Cols>,
    i: usize,
}

struct Cols {
    pid: UInt32Array,
    t: TimestampMicrosecondArray,
    lat: Float64Array,
    lon: Float64Array,
    acc: Float64Array,
    source: StringArray,
}

impl Cursor {
    fn open(path: &Path) -> Result<Cursor, Error> {
        let f = File::open(path).map_err(io_err(path))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(f)
            .map_err(pq_err(path))?
            .with_batch_size(8192)
            .build()
            .map_err(pq_err(path))?;
        let mut c = Cursor { path: path.to_path_buf(), reader, batch: None, i: 0 };
        c.advance()?;
        Ok(c)
    }

    fn advance(&mut self) -> Result<(), Error> {
        self.batch = None;
        self.i = 0;
        if let Some(b) = self.reader.next() {
            let b = b?;
            self.batch = Some(cols_of(&b, &self.path)?);
        }
        Ok(())
    }

    fn key(&self) -> Option<(u32, i64, f64, f64)> {
        let b = self.batch.as_ref()?;
        Some((b.pid.value(self.i), b.t.value(self.i), b.lat.value(self.i), b.lon.value(self.i)))
    }

    fn take(&mut self) -> Result<Row, Error> {
        let b = self.batch.as_ref().ok_or(Error::Query("empty run".into()))?;
        let i = self.i;
        let row = Row {
            pid: b.pid.value(i),
            t_us: b.t.value(i),
            lat: b.lat.value(i),
            lon: b.lon.value(i),
            accuracy_m: if b.acc.is_null(i) { None } else { Some(b.acc.value(i)) },
            source: b.source.value(i).into(),
            line: 0,
        };
        self.i += 1;
        if self.i >= b.pid.len() {
            self.advance()?;
        }
        Ok(row)
    }
}

fn col<T: 'static + Clone>(b: &RecordBatch, name: &str, path: &Path) -> Result<T, Error> {
    b.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<T>()).cloned().ok_or_else(|| Error::Columns {
        file: path.display().to_string(),
        msg: format!("column {name} missing or of an unexpected type"),
    })
}

fn cols_of(b: &RecordBatch, path: &Path) -> Result<Cols, Error> {
    Ok(Cols {
        pid: col(b, "pid", path)?,
        t: col(b, "t", path)?,
        lat: col(b, "lat", path)?,
        lon: col(b, "lon", path)?,
        acc: col(b, "accuracy_m", path)?,
        source: col(b, "source", path)?,
    })
}

/// The day partitions of a store, ascending: (day number, folder). Folders whose names do not
/// read `day=YYYY-MM-DD` (such as `_tmp-…` of an unfinished import) are ignored.
pub fn day_dirs(root: &Path) -> Result<Vec<(i64, PathBuf)>, Error> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).map_err(io_err(root))? {
        let e = e.map_err(io_err(root))?;
        if let Some(day) = parse_day_dir(&e.file_name().to_string_lossy()) {
            out.push((day, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The part files of one day folder, in part order.
pub fn part_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let e = e.map_err(io_err(dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(k) =
            name.strip_prefix("part-").and_then(|s| s.strip_suffix(".parquet")).and_then(|s| s.parse::<u64>().ok())
        {
            out.push((k, e.path()));
        }
    }
    out.sort();
    Ok(out.into_iter().map(|(_, p)| p).collect())
}
