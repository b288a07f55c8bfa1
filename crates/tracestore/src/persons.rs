//! The store's person dictionary: person key (text) ↔ `pid` (u32), one id per key for the
//! whole store, assigned in order of first appearance and never changed.
//!
//! On disk: `DIR/_persons/part-N.parquet`, columns `pid` (uint32) and `person` (utf8). Each
//! import that meets new people appends one file holding only the new ids (so the folder read
//! as one table is the whole dictionary, and files are never rewritten). Every part file of the
//! store also carries the `pid` beside the `person` text, so the companion search reads
//! fixed-width integers and maps ids back to keys only for its answer; SQL engines may use
//! either column (`JOIN read_parquet('DIR/_persons/*.parquet') USING (pid)` gives the key of
//! a `pid`).
//!
//! Imports into one store must not run at the same time (the ids would collide); the writer
//! checks at the end that nobody appended to the dictionary meanwhile and refuses otherwise.

use crate::{Error, io_err, pq_err};
use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The dictionary folder's name inside a store.
pub const PERSONS_DIR: &str = "_persons";

/// FxHash-style hasher for person keys (short ASCII strings; no HashDoS concern: the keys come
/// from the operator's own files).
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        // Fold the high bits down: the multiply leaves the low bits depending only on the low
        // bytes, and hashbrown indexes buckets by the low bits (keys like "p0000123" differ in
        // their last bytes).
        let z = (self.0 ^ (self.0 >> 32)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z ^ (z >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
}

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// The Arrow schema of a dictionary file: `pid` uint32, `person` utf8.
pub fn persons_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("pid", DataType::UInt32, false), Field::new("person", DataType::Utf8, false)]))
}

/// The dictionary files of a store, in part order.
fn dict_files(root: &Path) -> Result<Vec<PathBuf>, Error> {
    let dir = root.join(PERSONS_DIR);
    match std::fs::metadata(&dir) {
        Ok(_) => crate::store::part_files(&dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::Io { path: dir.display().to_string(), source: e }),
    }
}

/// Reads the whole dictionary: `names[pid]` is the key of `pid`. Errors when the files do not
/// hold the ids 0, 1, 2, … in order (a damaged or concurrently written dictionary).
pub fn read_names(root: &Path) -> Result<Vec<Box<str>>, Error> {
    let mut names: Vec<Box<str>> = Vec::new();
    for path in dict_files(root)? {
        let f = std::fs::File::open(&path).map_err(io_err(&path))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(f)
            .map_err(pq_err(&path))?
            .with_batch_size(1 << 16)
            .build()
            .map_err(pq_err(&path))?;
        for b in reader {
            let b = b?;
            let bad = || Error::Columns {
                file: path.display().to_string(),
                msg: "expected pid (uint32), person (utf8)".into(),
            };
            let pid = b.column_by_name("pid").and_then(|c| c.as_primitive_opt::<UInt32Type>()).ok_or_else(bad)?;
            let person = b.column_by_name("person").and_then(|c| c.as_string_opt::<i32>()).ok_or_else(bad)?;
            for i in 0..b.num_rows() {
                if pid.value(i) as usize != names.len() {
                    return Err(Error::Columns {
                        file: path.display().to_string(),
                        msg: format!(
                            "person dictionary out of order: pid {} where {} was expected",
                            pid.value(i),
                            names.len()
                        ),
                    });
                }
                names.push(person.value(i).into());
            }
        }
    }
    Ok(names)
}

/// The dictionary held by a writer: every key of the store, and the ids given during this
/// import (written by [`Persons::write_new`]).
#[derive(Default)]
pub struct Persons {
    map: FxMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    /// Ids below this were already on disk.
    stored: usize,
}

impl Persons {
    /// Loads the dictionary of the store at `root` (empty when there is none).
    pub fn load(root: &Path) -> Result<Persons, Error> {
        let names = read_names(root)?;
        let mut map = FxMap::default();
        map.reserve(names.len());
        for (i, n) in names.iter().enumerate() {
            map.insert(n.clone(), i as u32);
        }
        Ok(Persons { map, stored: names.len(), names })
    }

    /// The id of `key`, given a new one if it has none yet.
    #[inline]
    pub fn id(&mut self, key: &str) -> Result<u32, Error> {
        if let Some(&i) = self.map.get(key) {
            return Ok(i);
        }
        let i = u32::try_from(self.names.len()).map_err(|_| Error::Query("more than 4 billion people".into()))?;
        self.map.insert(key.into(), i);
        self.names.push(key.into());
        Ok(i)
    }

    /// The key of `pid` (empty if unknown).
    #[inline]
    pub fn name(&self, pid: u32) -> &str {
        self.names.get(pid as usize).map_or("", |s| s)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Writes the ids given since [`Persons::load`] into a new file under `tmp` and returns
    /// (that file, where it goes in the store), or `None` when there is nothing new. Errors
    /// when another import appended to the dictionary meanwhile.
    pub fn write_new(&self, root: &Path, tmp: &Path) -> Result<Option<(PathBuf, PathBuf)>, Error> {
        if self.names.len() == self.stored {
            return Ok(None);
        }
        let files = dict_files(root)?;
        let on_disk: u64 = files.iter().map(|p| crate::store::count_rows(p)).sum::<Result<u64, Error>>()?;
        if on_disk != self.stored as u64 {
            return Err(Error::Query(format!(
                "{}: the person dictionary changed during this import ({} ids on disk, {} expected): \
                 run imports into one store one at a time",
                root.join(PERSONS_DIR).display(),
                on_disk,
                self.stored
            )));
        }
        let path = tmp.join("persons.parquet");
        let f = std::fs::File::create(&path).map_err(io_err(&path))?;
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .build();
        let mut w = ArrowWriter::try_new(f, persons_schema(), Some(props)).map_err(pq_err(&path))?;
        for start in (self.stored..self.names.len()).step_by(1 << 16) {
            let end = (start + (1 << 16)).min(self.names.len());
            let pid = UInt32Array::from_iter_values((start..end).map(|i| i as u32));
            let person: StringArray = self.names[start..end].iter().map(|s| Some(&**s)).collect();
            let cols: Vec<ArrayRef> = vec![Arc::new(pid), Arc::new(person)];
            w.write(&RecordBatch::try_new(persons_schema(), cols)?).map_err(pq_err(&path))?;
        }
        w.close().map_err(pq_err(&path))?;
        let n = files
            .iter()
            .filter_map(|p| {
                p.file_name()?.to_str()?.strip_prefix("part-")?.strip_suffix(".parquet")?.parse::<u64>().ok()
            })
            .max()
            .map_or(0, |k| k + 1);
        Ok(Some((path, root.join(PERSONS_DIR).join(format!("part-{n}.parquet")))))
    }
}
