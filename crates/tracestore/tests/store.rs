//! The store end to end: ingest (bad rows, duplicates, idempotence, bounded buffers, Parquet
//! input, check-ins), the day-partitioned query against a brute force, and the simulator.

use firebreak_tracestore::ingest::{IngestOptions, TraceKind, ingest_file};
use firebreak_tracestore::query::{Query, brute_force, colocate};
use firebreak_tracestore::sim::{SimOptions, SimOut, simulate};
use firebreak_tracestore::store::{day_dirs, part_files};
use std::io::Write;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).and_then(|mut f| f.write_all(text.as_bytes())).expect("write fixture");
    p
}

fn q(cases: &[&str], radius_m: f64, window_s: i64) -> Query {
    Query {
        cases: cases.iter().map(|s| s.to_string()).collect(),
        radius_m,
        window_s,
        from_us: None,
        to_us: None,
        min_copresence_s: 0,
        progress: false,
    }
}

fn read_all(store: &Path) -> Vec<(String, i64, f64, f64)> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, TimestampMicrosecondType};
    let mut out = Vec::new();
    for (_, dir) in day_dirs(store).expect("days") {
        for p in part_files(&dir).expect("parts") {
            let f = std::fs::File::open(&p).expect("open");
            let r = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
                .expect("parquet")
                .build()
                .expect("reader");
            let mut file_rows = Vec::new();
            for b in r {
                let b = b.expect("batch");
                let person = b.column(0).as_string::<i32>();
                let t = b.column(1).as_primitive::<TimestampMicrosecondType>();
                let lat = b.column(2).as_primitive::<Float64Type>();
                let lon = b.column(3).as_primitive::<Float64Type>();
                for i in 0..b.num_rows() {
                    file_rows.push((person.value(i).to_string(), t.value(i), lat.value(i), lon.value(i)));
                }
            }
            assert!(file_rows.windows(2).all(|w| w[0].1 <= w[1].1), "{} not sorted by time", p.display());
            out.extend(file_rows);
        }
    }
    out
}

#[test]
fn bad_rows_are_reported_and_the_rest_imported() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = "user_id,datetime_utc,lat,lon\n\
        003,2008-10-23T02:00:00Z,39.9,116.3\n\
        003,yesterday,39.9,116.3\n\
        004,2008-10-23T02:00:10Z,91.5,116.3\n\
        004,2008-10-23T02:00:20Z,39.9,-181\n\
        003,2008-10-23T02:00:00Z,39.9,116.3\n\
        005,2008-10-23T02:00:30Z,abc,116.3\n\
        005,2008-10-22T23:59:59Z,39.9,116.3\n\
        ,2008-10-23T02:00:00Z,39.9,116.3\n";
    let f = write(dir.path(), "in.csv", csv);
    let store = dir.path().join("store");
    let r = ingest_file(&f, &store, &IngestOptions::default()).expect("ingest");
    assert_eq!(r.rows_read, 8);
    assert_eq!(r.bad_rows, 5);
    assert_eq!(r.duplicates, 1);
    assert_eq!(r.rows_written, 2);
    let lines: Vec<u64> = r.samples.iter().map(|b| b.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 9]);
    assert!(r.samples[0].reason.starts_with("t:"), "{:?}", r.samples[0]);
    assert!(r.samples[1].reason.contains("lat: 91.5"), "{:?}", r.samples[1]);
    assert!(r.samples[2].reason.contains("lon: -181"), "{:?}", r.samples[2]);
    assert!(r.samples[3].reason.contains("duplicate of line 2"), "{:?}", r.samples[3]);
    let days: Vec<&str> = r.days.iter().map(|d| d.0.as_str()).collect();
    assert_eq!(days, vec!["2008-10-22", "2008-10-23"]);
    assert_eq!(read_all(&store)[0].0, "005");
    // The same content again, under another name: skipped, nothing added.
    let g = write(dir.path(), "again.csv", csv);
    let r2 = ingest_file(&g, &store, &IngestOptions::default()).expect("ingest again");
    assert!(r2.already_imported);
    assert_eq!(read_all(&store).len(), 2);
}

#[test]
fn small_buffers_give_the_same_sorted_deduplicated_store() {
    // Rows out of order, duplicates far apart: with a tiny buffer the writer makes several runs
    // per day and merges them; the result must equal the one-buffer import.
    let dir = tempfile::tempdir().expect("tmp");
    let mut csv = String::from("person,t,lat,lon,accuracy_m,source\n");
    for i in 0..6000u64 {
        let k = (i * 7919) % 3000; // every row twice, in a scrambled order
        let s = k % 86_400;
        csv.push_str(&format!(
            "p{},2022-10-0{}T{:02}:{:02}:{:02}Z,26.9{},112.6,10,gps\n",
            k % 50,
            1 + k % 3,
            s / 3600 % 24,
            s / 60 % 60,
            s % 60,
            k % 10
        ));
    }
    let f = write(dir.path(), "scrambled.csv", &csv);
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let ra = ingest_file(&f, &a, &IngestOptions { max_buffered_rows: 1024, ..Default::default() }).expect("a");
    let rb = ingest_file(&f, &b, &IngestOptions { max_buffered_rows: 1 << 20, ..Default::default() }).expect("b");
    assert_eq!(ra.rows_written, 3000);
    assert_eq!(ra.duplicates, 3000);
    assert_eq!(rb.rows_written, 3000);
    assert_eq!(read_all(&a), read_all(&b));
}

#[test]
fn parquet_input_and_checkins() {
    let dir = tempfile::tempdir().expect("tmp");
    // Check-ins: two people scan the same venue 4 minutes apart; a third an hour later.
    let csv = "person,venue_id,time,lat,lon\n\
        a,shop1,2022-10-01 10:00:00+08:00,26.9,112.6\n\
        b,shop1,2022-10-01 10:04:00+08:00,26.9,112.6\n\
        c,shop1,2022-10-01 11:04:00+08:00,26.9,112.6\n";
    let f = write(dir.path(), "checkins.csv", csv);
    let store = dir.path().join("s");
    let opts = IngestOptions { kind: TraceKind::Checkin, ..Default::default() };
    let r = ingest_file(&f, &store, &opts).expect("checkins");
    assert_eq!(r.rows_written, 3);
    let res = colocate(&store, &q(&["a"], 10.0, 300)).expect("query");
    assert_eq!(res.companions.len(), 1);
    assert_eq!(res.companions[0].person, "b");
    assert_eq!(res.companions[0].min_distance_m, 0.0);
    // A store part file is itself valid input: re-import it into another store.
    let part = part_files(&day_dirs(&store).expect("days")[0].1).expect("parts")[0].clone();
    let other = dir.path().join("s2");
    let r2 = ingest_file(&part, &other, &IngestOptions::default()).expect("parquet in");
    assert_eq!(r2.rows_written, 3);
    assert_eq!(read_all(&store), read_all(&other));
}

#[test]
fn across_midnight_and_ranges_equal_the_brute_force() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("s");
    let o = SimOptions { people: 600, days: 3, interval_s: 600, seed: 7, ..Default::default() };
    simulate(&o, SimOut::Store(&store)).expect("sim");
    // Cases and a few windows, including ones around UTC midnight (local 08:00).
    for (cases, radius, window) in [
        (vec!["p0000000"], 50.0, 300),
        (vec!["p0000001", "p0000002", "p0000100"], 30.0, 900),
        (vec!["p0000003"], 200.0, 0),
    ] {
        let mut query = q(&cases, radius, window);
        let e = colocate(&store, &query).expect("engine");
        let b = brute_force(&store, &query).expect("brute");
        assert!(!e.companions.is_empty());
        assert_eq!(e.companions, b.companions, "{cases:?} {radius} {window}");
        query.from_us = Some(19_267 * 86_400_000_000 - 3_600_000_000);
        query.to_us = Some(19_268 * 86_400_000_000 + 1_800_000_000);
        let e = colocate(&store, &query).expect("engine");
        let b = brute_force(&store, &query).expect("brute");
        assert_eq!(e.companions, b.companions, "range {cases:?}");
    }
}

#[test]
fn bad_queries_are_errors_not_panics() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("s");
    simulate(&SimOptions { people: 50, ..Default::default() }, SimOut::Store(&store)).expect("sim");
    for (radius, window) in [(0.0, 300), (-5.0, 300), (f64::NAN, 300), (50.0, -1), (50.0, 86_400)] {
        let e = colocate(&store, &q(&["p0000000"], radius, window));
        assert!(e.is_err(), "{radius} {window}");
    }
    assert!(colocate(&store, &q(&[], 50.0, 300)).is_err());
    let mut query = q(&["p0000000"], 50.0, 300);
    query.from_us = Some(10);
    query.to_us = Some(5);
    assert!(colocate(&store, &query).is_err());
    // A case with no trace: an empty answer that says so.
    let r = colocate(&store, &q(&["nobody"], 50.0, 300)).expect("query");
    assert!(r.companions.is_empty());
    assert_eq!(r.cases_without_points, vec!["nobody".to_string()]);
}

#[test]
fn sim_is_deterministic_and_csv_matches_store() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = SimOptions { people: 300, days: 2, interval_s: 1800, seed: 42, ..Default::default() };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    simulate(&o, SimOut::Store(&a)).expect("a");
    simulate(&o, SimOut::Store(&b)).expect("b");
    let ra = read_all(&a);
    assert_eq!(ra.len(), 300 * 2 * 48);
    assert_eq!(ra, read_all(&b));
    for (_, _, lat, lon) in &ra {
        assert!((26.84..=26.96).contains(lat) && (112.54..=112.69).contains(lon));
    }
    let gz = dir.path().join("sim.csv.gz");
    simulate(&o, SimOut::CsvGz(&gz)).expect("csv");
    let c = dir.path().join("c");
    let r = ingest_file(&gz, &c, &IngestOptions::default()).expect("ingest");
    assert_eq!(r.bad_rows + r.duplicates, 0);
    assert_eq!(read_all(&c), ra);
    let other = SimOptions { seed: 43, ..o };
    let d = dir.path().join("d");
    simulate(&other, SimOut::Store(&d)).expect("d");
    assert_ne!(read_all(&d), ra);
}

/// Every row's (pid, person) of a store, read back from the part files.
fn pids_and_keys(store: &Path) -> Vec<(u32, String)> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::UInt32Type;
    let mut out = Vec::new();
    for (_, dir) in day_dirs(store).expect("days") {
        for p in part_files(&dir).expect("parts") {
            let f = std::fs::File::open(&p).expect("open");
            let r = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
                .expect("parquet")
                .build()
                .expect("reader");
            for b in r {
                let b = b.expect("batch");
                let person = b.column_by_name("person").expect("person").as_string::<i32>().clone();
                let pid = b.column_by_name("pid").expect("pid").as_primitive::<UInt32Type>().clone();
                for i in 0..b.num_rows() {
                    out.push((pid.value(i), person.value(i).to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn person_ids_are_one_dictionary_appended_by_each_import() {
    use firebreak_tracestore::persons::read_names;
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("s");
    let a = write(
        dir.path(),
        "a.csv",
        "person,t,lat,lon\nann,2022-10-01T10:00:00Z,26.9,112.6\nbob,2022-10-01T10:01:00Z,26.9,112.6001\n",
    );
    let b = write(
        dir.path(),
        "b.csv",
        "person,t,lat,lon\nbob,2022-10-02T10:00:00Z,26.9,112.6\ncy,2022-10-02T10:02:00Z,26.9,112.6001\n\
         ann,2022-10-02T10:03:00Z,26.9,112.6\n",
    );
    ingest_file(&a, &store, &IngestOptions::default()).expect("a");
    assert_eq!(read_names(&store).expect("names"), vec!["ann".into(), "bob".into()] as Vec<Box<str>>);
    ingest_file(&b, &store, &IngestOptions::default()).expect("b");
    // The second import appended only the new key, in a file of its own.
    let names = read_names(&store).expect("names");
    assert_eq!(names, vec!["ann".into(), "bob".into(), "cy".into()] as Vec<Box<str>>);
    assert_eq!(part_files(&store.join("_persons")).expect("dict files").len(), 2);
    // Every row's pid names its person.
    let rows = pids_and_keys(&store);
    assert_eq!(rows.len(), 5);
    for (pid, person) in rows {
        assert_eq!(&*names[pid as usize], person.as_str());
    }
    // The query maps the ids back to keys: cy met bob (day 2) and ann (1 min later).
    let r = colocate(&store, &q(&["cy"], 20.0, 120)).expect("query");
    let mut met: Vec<&str> = r.companions.iter().map(|c| c.person.as_str()).collect();
    met.sort();
    assert_eq!(met, vec!["ann", "bob"]);
    assert_eq!(r.companions, brute_force(&store, &q(&["cy"], 20.0, 120)).expect("brute").companions);
}

#[test]
fn a_store_without_pid_columns_is_still_searched() {
    // Part files written before the person dictionary (no pid column, no _persons): the query
    // interns the text keys as it reads them. Build one by rewriting a store's parts without pid.
    use arrow_array::RecordBatch;
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("s");
    let o = SimOptions { people: 200, days: 2, interval_s: 900, seed: 3, ..Default::default() };
    simulate(&o, SimOut::Store(&store)).expect("sim");
    let query = q(&["p0000000", "p0000007", "nobody"], 50.0, 600);
    let before = colocate(&store, &query).expect("new layout");
    assert!(!before.companions.is_empty());
    for (_, d) in day_dirs(&store).expect("days") {
        for p in part_files(&d).expect("parts") {
            let f = std::fs::File::open(&p).expect("open");
            let batches: Vec<RecordBatch> = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
                .expect("parquet")
                .build()
                .expect("reader")
                .map(|b| b.expect("batch"))
                .collect();
            let keep: Vec<usize> = (0..6).collect(); // person, t, lat, lon, accuracy_m, source
            let schema = std::sync::Arc::new(batches[0].schema().project(&keep).expect("schema"));
            let out = std::fs::File::create(&p).expect("rewrite");
            let mut w = parquet::arrow::ArrowWriter::try_new(out, schema, None).expect("writer");
            for b in &batches {
                w.write(&b.project(&keep).expect("project")).expect("write");
            }
            w.close().expect("close");
        }
    }
    std::fs::remove_dir_all(store.join("_persons")).expect("drop dictionary");
    let after = colocate(&store, &query).expect("old layout");
    assert_eq!(after.companions, before.companions);
    assert_eq!(after.cases_without_points, vec!["nobody".to_string()]);
    assert_eq!(after.companions, brute_force(&store, &query).expect("brute").companions);
}
