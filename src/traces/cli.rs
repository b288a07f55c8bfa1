//! `firebreak traces import`, `firebreak colocate` and `firebreak sim traces`.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use firebreak_tracestore::ingest::{ColumnNames, IngestOptions, TraceKind, ingest_file};
use firebreak_tracestore::sim::{HENGYANG_URBAN_BBOX, SimOptions, SimOut, simulate};
use firebreak_tracestore::{Companion, Query};
use std::io::Write;
use std::path::PathBuf;

/// `firebreak traces …`
#[derive(Subcommand)]
pub enum TracesCmd {
    /// Import location traces (CSV, CSV.gz or Parquet) into a trace store: Parquet files
    /// partitioned by UTC day (DIR/day=YYYY-MM-DD/part-N.parquet), each sorted by time.
    /// Streams with bounded memory; bad rows (unreadable time, |lat| > 90, |lon| > 180,
    /// duplicates) are counted and the first ones listed, the rest imported. Re-importing the
    /// same file is skipped. Columns are recognised by name (GeoLife's user_id, datetime_utc,
    /// lat, lon; person, t, lat, lon, accuracy_m, source) or named with the flags.
    ///
    /// Example: firebreak traces import ../shared/data/trajectories/geolife_11users_2008/geolife_11users_oct2008.csv.gz --store ./traces
    Import(ImportArgs),
}

/// What a file holds.
#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// Location fixes.
    Gps,
    /// Venue check-ins (person, venue id, time, the venue's lat/lon): stored as points at the
    /// venue with source `venue:<id>`.
    Checkin,
}

/// Arguments of `traces import`.
#[derive(Args)]
pub struct ImportArgs {
    /// Input files (.csv, .csv.gz, .parquet).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The store folder (created if missing).
    #[arg(long)]
    pub store: PathBuf,
    #[arg(long)]
    pub person_col: Option<String>,
    #[arg(long)]
    pub time_col: Option<String>,
    #[arg(long)]
    pub lat_col: Option<String>,
    #[arg(long)]
    pub lon_col: Option<String>,
    #[arg(long)]
    pub accuracy_col: Option<String>,
    #[arg(long)]
    pub source_col: Option<String>,
    /// Venue id column (check-ins).
    #[arg(long)]
    pub venue_col: Option<String>,
    #[arg(long, value_enum, default_value = "gps")]
    pub kind: KindArg,
    /// The source of rows without a source column (default: gps, or checkin).
    #[arg(long)]
    pub source: Option<String>,
    /// Rows held in memory at most (about 150 bytes each).
    #[arg(long, default_value_t = 1_000_000)]
    pub max_buffered_rows: usize,
    /// How many bad rows to list.
    #[arg(long, default_value_t = 20)]
    pub report_first: usize,
    /// Print the import report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Output format of `colocate`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// Arguments of `colocate`.
#[derive(Args)]
pub struct ColocateArgs {
    /// The trace store folder.
    #[arg(long)]
    pub store: PathBuf,
    /// A case's person key (repeat for several cases).
    #[arg(long = "case", required = true)]
    pub cases: Vec<String>,
    /// Distance, metres (> 0): haversine distance ≤ radius.
    #[arg(long, default_value_t = 50.0, allow_negative_numbers = true)]
    pub radius: f64,
    /// Time window: |t1 − t2| ≤ window (300, 30s, 5m, 1h; less than a day).
    #[arg(long, default_value = "5m")]
    pub window: String,
    /// Only points at or after this time (2008-10-23, 2008-10-23T10:00:00+08:00; UTC without an offset).
    #[arg(long)]
    pub from: Option<String>,
    /// Only points before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// Minimum co-presence of a (case, companion) link (e.g. 10m).
    #[arg(long, default_value = "0")]
    pub min_duration: String,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// No progress bar and no summary on standard error.
    #[arg(long)]
    pub quiet: bool,
    /// Compare every case point with every point instead (O(n·m) time, the whole range in
    /// memory): the reference the benchmark checks the engine against. Small stores only.
    #[arg(long)]
    pub brute_force: bool,
}

/// `firebreak sim …`
#[derive(Subcommand)]
pub enum SimCmd {
    /// Generate plausible city movement (homes, workplaces, shops, trips; people who really
    /// meet) inside a bounding box (default: Hengyang's urban area), deterministic for a seed,
    /// streamed with bounded memory into a trace store — or into one CSV.gz file when --out
    /// ends with .csv.gz (for the ingest benchmark).
    ///
    /// Example: firebreak sim traces --people 100000 --days 4 --interval 1h --seed 1 --out ./sim-store
    Traces(SimArgs),
}

/// Arguments of `sim traces`.
#[derive(Args)]
pub struct SimArgs {
    #[arg(long, default_value_t = 1000)]
    pub people: u64,
    #[arg(long, default_value_t = 1)]
    pub days: u32,
    /// Time between two fixes of a person (e.g. 15m, 1h).
    #[arg(long, default_value = "15m")]
    pub interval: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First UTC day.
    #[arg(long, default_value = "2022-10-01")]
    pub start: String,
    /// south,north,west,east in degrees (default: Hengyang's urban area 26.85,26.95,112.55,112.68).
    #[arg(long)]
    pub bbox: Option<String>,
    /// A store folder, or a file ending in .csv.gz.
    #[arg(long)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `traces import`.
pub fn import(a: ImportArgs) -> anyhow::Result<()> {
    let opts = IngestOptions {
        columns: ColumnNames {
            person: a.person_col,
            time: a.time_col,
            lat: a.lat_col,
            lon: a.lon_col,
            accuracy: a.accuracy_col,
            source: a.source_col,
            venue: a.venue_col,
        },
        kind: match a.kind {
            KindArg::Gps => TraceKind::Gps,
            KindArg::Checkin => TraceKind::Checkin,
        },
        default_source: a.source,
        max_buffered_rows: a.max_buffered_rows,
        report_first: a.report_first,
        progress: !a.quiet,
    };
    let mut reports = Vec::new();
    for f in &a.files {
        let t0 = std::time::Instant::now();
        let r = ingest_file(f, &a.store, &opts).with_context(|| format!("importing {}", f.display()))?;
        if !a.json {
            if r.already_imported {
                println!("{}: already imported (same SHA-256), skipped", r.file);
            } else {
                println!(
                    "{}: {} rows read, {} written to {} day partitions, {} bad, {} duplicates, in {:.1} s",
                    r.file,
                    r.rows_read,
                    r.rows_written,
                    r.days.len(),
                    r.bad_rows,
                    r.duplicates,
                    t0.elapsed().as_secs_f64()
                );
                for b in &r.samples {
                    println!("  line {}: {}", b.line, b.reason);
                }
                let more = (r.bad_rows + r.duplicates).saturating_sub(r.samples.len() as u64);
                if more > 0 {
                    println!("  … and {more} more");
                }
            }
        }
        reports.push(r);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(())
}

/// Builds the query of `colocate` (errors name the flag).
pub fn query_of(a: &ColocateArgs) -> anyhow::Result<Query> {
    let window_s = super::parse_duration("--window", &a.window).map_err(anyhow::Error::msg)?;
    let min_copresence_s = super::parse_duration("--min-duration", &a.min_duration).map_err(anyhow::Error::msg)?;
    let from_us = a.from.as_deref().map(|s| super::parse_bound("--from", s)).transpose().map_err(anyhow::Error::msg)?;
    let to_us = a.to.as_deref().map(|s| super::parse_bound("--to", s)).transpose().map_err(anyhow::Error::msg)?;
    Ok(Query {
        cases: a.cases.clone(),
        radius_m: a.radius,
        window_s,
        from_us,
        to_us,
        min_copresence_s,
        progress: !a.quiet,
    })
}

/// Runs `colocate`: companions on standard output (JSON array or CSV), a summary on standard
/// error. Exits with an error when no case has a point in the range.
pub fn colocate(a: ColocateArgs) -> anyhow::Result<()> {
    let q = query_of(&a)?;
    if !a.store.is_dir() {
        anyhow::bail!("--store: {} is not a trace store folder", a.store.display());
    }
    let t0 = std::time::Instant::now();
    let r = if a.brute_force {
        firebreak_tracestore::query::brute_force(&a.store, &q)
    } else {
        firebreak_tracestore::colocate(&a.store, &q)
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    if r.cases_without_points.len() == q.cases.iter().collect::<std::collections::BTreeSet<_>>().len() {
        anyhow::bail!(
            "no case has a trace point in the store{}: {}",
            if q.from_us.is_some() || q.to_us.is_some() { " within --from/--to" } else { "" },
            r.cases_without_points.join(", ")
        );
    }
    for c in &r.cases_without_points {
        eprintln!("warning: case {c} has no trace point in the range");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match a.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &r.companions)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(&mut out, &r.companions)?,
    }
    out.flush()?;
    if !a.quiet {
        eprintln!(
            "{} companions of {} case(s) ({} case points) in {} day partitions, {} points, {:.2} s",
            r.companions.len(),
            q.cases.len(),
            r.case_points,
            r.days_read,
            r.points_read,
            secs
        );
    }
    Ok(())
}

fn write_csv(out: &mut impl Write, cs: &[Companion]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "person",
        "cases",
        "encounters",
        "first",
        "last",
        "min_distance_m",
        "copresence_minutes",
        "where_lat",
        "where_lon",
        "where_t",
        "where_case",
    ])?;
    for c in cs {
        w.write_record([
            c.person.clone(),
            c.cases.join(";"),
            c.encounters.to_string(),
            c.first.clone(),
            c.last.clone(),
            format!("{:.3}", c.min_distance_m),
            format!("{:.2}", c.copresence_minutes),
            c.where_.lat.to_string(),
            c.where_.lon.to_string(),
            c.where_.t.clone(),
            c.where_.case.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Runs `sim traces`.
pub fn sim(a: SimArgs) -> anyhow::Result<()> {
    let interval_s = super::parse_duration("--interval", &a.interval).map_err(anyhow::Error::msg)?;
    let start_day = super::parse_bound("--start", &a.start).map_err(anyhow::Error::msg)?.div_euclid(86_400_000_000);
    let bbox = match &a.bbox {
        None => HENGYANG_URBAN_BBOX,
        Some(s) => {
            let v: Vec<f64> = s
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| anyhow::anyhow!("--bbox: {s:?} is not south,north,west,east in degrees"))?;
            match v[..] {
                [s, n, w, e] => (s, n, w, e),
                _ => anyhow::bail!("--bbox: give four numbers south,north,west,east"),
            }
        }
    };
    let o = SimOptions {
        people: a.people,
        days: a.days,
        interval_s,
        seed: a.seed,
        start_day,
        bbox,
        progress: !a.quiet,
        ..SimOptions::default()
    };
    let t0 = std::time::Instant::now();
    let to_csv = a.out.to_string_lossy().ends_with(".csv.gz");
    let out = if to_csv { SimOut::CsvGz(&a.out) } else { SimOut::Store(&a.out) };
    let r = simulate(&o, out).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{} points ({} people × {} days, every {} s) written to {} in {:.1} s",
        r.rows,
        a.people,
        a.days,
        interval_s,
        a.out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
