//! Checks against published references, read in place from ../shared/data/fire (GPL-2 and
//! Apache-2.0 files: read from there, never copied into this repository).
//!
//! * cffdrs_fwi/fwi_01.csv — cffdrs' expected FFMC…DSR for cffdrs_fwi/test_fwi.csv, start-up
//!   85/6/15, FFMC constant 147.27723; values rounded to max(4 significant digits, 2 decimals),
//!   so every index must agree within 0.005.
//! * cffdrs_fwi/{FineFuelMoistureCode,…,FireWeatherIndex}.csv — cffdrs' component grids; the
//!   expected value is the last column, NA where cffdrs' result is NA (invalid input).
//! * vwp1985/vwp1985_table.csv — the Van Wagner & Pickett (1985) table, one decimal, on its own
//!   weather columns, with the 1985 constant 147.2: within 0.05.

use std::path::PathBuf;

use firebreak_fwi::components::{bui, dc, dmc, dsr, ffmc, fwi, isi};
use firebreak_fwi::{
    Day, FFMC_CONSTANT_1985, FFMC_CONSTANT_CFFDRS, FwiError, FwiGrid, FwiParams, GridIndices, GridWeather, Month,
    Station, Weather,
};

/// Tolerance slack for binary floating point at a rounding boundary.
const EPS: f64 = 1e-9;

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/fire");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: reference data folder {} is absent; FWI reference tests not run", dir.display());
        None
    }
}

/// A small CSV table: header names and rows of raw fields (`,` or `;` separated).
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: PathBuf) -> Table {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let sep = if text.lines().next().is_some_and(|l| l.contains(';')) { ';' } else { ',' };
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines
            .next()
            .unwrap_or_else(|| panic!("{} is empty", path.display()))
            .split(sep)
            .map(|s| s.trim().trim_matches('"').to_lowercase())
            .collect();
        let rows = lines.map(|l| l.split(sep).map(|s| s.trim().trim_matches('"').to_string()).collect()).collect();
        Table { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    fn num(row: &[String], i: usize) -> f64 {
        row[i].parse().unwrap_or_else(|e| panic!("field {:?} in row {row:?}: {e}", row[i]))
    }

    fn bool(row: &[String], i: usize) -> bool {
        match row[i].as_str() {
            "TRUE" => true,
            "FALSE" => false,
            other => panic!("not a boolean: {other}"),
        }
    }
}

fn month(v: f64) -> Month {
    Month::new(v as i64).unwrap_or_else(|e| panic!("{e}"))
}

/// Tracks the largest absolute error and how many rows were compared.
#[derive(Default)]
struct MaxErr {
    max: f64,
    n: usize,
    worst_row: usize,
}

impl MaxErr {
    fn add(&mut self, row: usize, got: f64, want: f64, tol: f64, what: &str) {
        let e = (got - want).abs();
        assert!(e <= tol + EPS, "{what}, row {}: got {got}, expected {want} (|error| {e} > {tol})", row + 1);
        if e > self.max {
            self.max = e;
            self.worst_row = row + 1;
        }
        self.n += 1;
    }
}

#[test]
fn cffdrs_fwi_01_every_index_within_0_005() {
    let Some(dir) = data_dir() else { return };
    let weather = Table::read(dir.join("cffdrs_fwi/test_fwi.csv"));
    let expected = Table::read(dir.join("cffdrs_fwi/fwi_01.csv"));
    assert_eq!(weather.rows.len(), 48);
    assert_eq!(expected.rows.len(), weather.rows.len());

    let (lat_c, mon_c) = (weather.col("lat"), weather.col("mon"));
    let cols = ["temp", "rh", "ws", "prec"].map(|c| weather.col(c));
    let lat = Table::num(&weather.rows[0], lat_c);
    let days: Vec<Day> = weather
        .rows
        .iter()
        .map(|r| {
            assert_eq!(Table::num(r, lat_c), lat, "one station");
            Day::new(
                Table::num(r, mon_c) as i64,
                Table::num(r, cols[0]),
                Table::num(r, cols[1]),
                Table::num(r, cols[2]),
                Table::num(r, cols[3]),
            )
            .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let station = Station::new(lat, FwiParams::default()).unwrap_or_else(|e| panic!("{e}"));
    let out = station.run(&days);

    let names = ["ffmc", "dmc", "dc", "isi", "bui", "fwi", "dsr"];
    let mut errs: Vec<MaxErr> = names.iter().map(|_| MaxErr::default()).collect();
    for (i, (o, row)) in out.iter().zip(&expected.rows).enumerate() {
        let got = [o.ffmc, o.dmc, o.dc, o.isi, o.bui, o.fwi, o.dsr];
        for (j, name) in names.iter().enumerate() {
            let want = Table::num(row, expected.col(name));
            errs[j].add(i, got[j], want, 0.005, &format!("fwi_01 {name}"));
        }
    }
    for (name, e) in names.iter().zip(&errs) {
        println!("fwi_01.csv {name}: max |error| {:.5} (row {}) over {} days", e.max, e.worst_row, e.n);
    }

    // The grid API computes the same numbers, cell for cell, to rounding.
    let lats = vec![lat; 3];
    let mut grid = FwiGrid::new(&lats, FwiParams::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut gi = GridIndices::default();
    for (d, o) in days.iter().zip(&out) {
        let w = d.weather;
        let (t, h, ws, r) = ([w.temp(); 3], [w.rh(); 3], [w.wind(); 3], [w.rain(); 3]);
        let gw = GridWeather { temp: &t, rh: &h, wind: &ws, rain: &r };
        grid.step(d.month, &gw, &mut gi).unwrap_or_else(|e| panic!("{e}"));
        for c in 0..3 {
            let got = [grid.ffmc()[c], grid.dmc()[c], grid.dc()[c], gi.isi[c], gi.bui[c], gi.fwi[c], gi.dsr[c]];
            let want = [o.ffmc, o.dmc, o.dc, o.isi, o.bui, o.fwi, o.dsr];
            for ((g, w), name) in got.iter().zip(want).zip(names) {
                // The grid's own exp/ln: equal to rounding (1e-9 relative, absolute below 1).
                assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "grid {name} {g} vs station {w}");
            }
        }
    }
}

#[test]
fn vwp1985_table_within_0_05_with_constant_147_2() {
    let Some(dir) = data_dir() else { return };
    let t = Table::read(dir.join("vwp1985/vwp1985_table.csv"));
    assert_eq!(t.rows.len(), 49, "the table has 49 days (13 April – 31 May)");
    let days: Vec<Day> = t
        .rows
        .iter()
        .map(|r| {
            Day::new(
                Table::num(r, t.col("mth")) as i64,
                Table::num(r, t.col("temp")),
                Table::num(r, t.col("rh")),
                Table::num(r, t.col("ws")),
                Table::num(r, t.col("pr")),
            )
            .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    // The 1985 program has one set of day-length tables: the 46°N standard (no latitude bands).
    let params = FwiParams { lat_adjust: false, ..FwiParams::vwp1985() };
    assert_eq!(params.ffmc_constant, FFMC_CONSTANT_1985);
    let out = Station::new(46.0, params).unwrap_or_else(|e| panic!("{e}")).run(&days);
    let names = ["ffmc", "dmc", "dc", "isi", "bui", "fwi"];
    for name in names {
        let mut e = MaxErr::default();
        for (i, (o, row)) in out.iter().zip(&t.rows).enumerate() {
            let got = match name {
                "ffmc" => o.ffmc,
                "dmc" => o.dmc,
                "dc" => o.dc,
                "isi" => o.isi,
                "bui" => o.bui,
                _ => o.fwi,
            };
            e.add(i, got, Table::num(row, t.col(name)), 0.05, &format!("vwp1985 {name}"));
        }
        println!("vwp1985_table.csv {name}: max |error| {:.4} (row {}) over {} days", e.max, e.worst_row, e.n);
    }
}

/// Reads a component grid and returns (header, rows, expected column index).
fn grid(dir: &std::path::Path, name: &str) -> (Table, usize) {
    let t = Table::read(dir.join(format!("cffdrs_fwi/{name}.csv")));
    let last = t.header.len() - 1;
    assert_eq!(t.header[last], name.to_lowercase());
    assert!(!t.rows.is_empty());
    (t, last)
}

#[test]
fn cffdrs_ffmc_grid_and_its_na_rows() {
    let Some(dir) = data_dir() else { return };
    let (t, want_c) = grid(&dir, "FineFuelMoistureCode");
    let c = ["ffmc_yda", "temp", "rh", "ws", "prec"].map(|n| t.col(n));
    let (mut e, mut na) = (MaxErr::default(), 0);
    for (i, r) in t.rows.iter().enumerate() {
        let v = c.map(|j| Table::num(r, j));
        let got = ffmc(v[0], v[1], v[2], v[3], v[4], FFMC_CONSTANT_CFFDRS);
        if r[want_c] == "NA" {
            na += 1;
            assert!(got.is_nan(), "row {}: raw kernel gives NaN as cffdrs gives NA", i + 1);
            // Validation refuses the row and names the field and value.
            let err = Weather::new(v[1], v[2], v[3], v[4]).expect_err("invalid input refused");
            assert_eq!(err, FwiError::OutOfRange { field: "rh", value: v[2], expected: "0..=100 %" });
            assert!(err.to_string().contains("rh = -10"), "{err}");
        } else {
            e.add(i, got, Table::num(r, want_c), 0.005, "FFMC grid");
        }
    }
    println!("FineFuelMoistureCode.csv: max |error| {:.5} over {} rows; {na} NA rows refused", e.max, e.n);
    assert_eq!(na, 1496);
}

#[test]
fn cffdrs_dmc_and_dc_grids() {
    let Some(dir) = data_dir() else { return };
    for name in ["DuffMoistureCode", "DroughtCode"] {
        let (t, want_c) = grid(&dir, name);
        let first = if name == "DroughtCode" { "dc_yda" } else { "dmc_yda" };
        let c = [first, "temp", "rh", "prec", "lat", "mon"].map(|n| t.col(n));
        let adj_c = t.col("lat.adjust");
        let (mut e, mut refused) = (MaxErr::default(), 0);
        for (i, r) in t.rows.iter().enumerate() {
            assert_ne!(r[want_c], "NA", "these grids have no NA rows");
            let v = c.map(|j| Table::num(r, j));
            let adj = Table::bool(r, adj_c);
            let got = if name == "DroughtCode" {
                dc(v[0], v[1], v[3], v[4], month(v[5]), adj)
            } else {
                dmc(v[0], v[1], v[2], v[3], v[4], month(v[5]), adj)
            };
            // cffdrs' component computes a number even for RH or rain of −10; the kernel does too.
            e.add(i, got, Table::num(r, want_c), 0.005, name);
            // The validated API (like cffdrs' fwi()) refuses those rows.
            if Weather::new(v[1], v[2], 0.0, v[3]).is_err() {
                refused += 1;
                assert!(v[2] < 0.0 || v[3] < 0.0);
            }
        }
        println!(
            "{name}.csv: max |error| {:.5} over {} rows ({refused} rows with RH or rain < 0: \
             matched by the raw kernel, refused by Weather::new)",
            e.max, e.n
        );
        assert!(refused > 0);
    }
}

#[test]
fn cffdrs_isi_bui_fwi_grids() {
    let Some(dir) = data_dir() else { return };
    let (t, want_c) = grid(&dir, "InitialSpreadIndex");
    let c = [t.col("ffmc"), t.col("ws")];
    let fbp = t.col("fbpmod");
    let mut e = MaxErr::default();
    for (i, r) in t.rows.iter().enumerate() {
        let got = isi(Table::num(r, c[0]), Table::num(r, c[1]), FFMC_CONSTANT_CFFDRS, Table::bool(r, fbp));
        e.add(i, got, Table::num(r, want_c), 0.005, "ISI grid");
    }
    println!("InitialSpreadIndex.csv: max |error| {:.5} over {} rows", e.max, e.n);

    let (t, want_c) = grid(&dir, "BuildupIndex");
    let mut e = MaxErr::default();
    for (i, r) in t.rows.iter().enumerate() {
        let got = bui(Table::num(r, t.col("dmc")), Table::num(r, t.col("dc")));
        e.add(i, got, Table::num(r, want_c), 0.005, "BUI grid");
    }
    println!("BuildupIndex.csv: max |error| {:.5} over {} rows", e.max, e.n);

    let (t, want_c) = grid(&dir, "FireWeatherIndex");
    let mut e = MaxErr::default();
    for (i, r) in t.rows.iter().enumerate() {
        let got = fwi(Table::num(r, t.col("isi")), Table::num(r, t.col("bui")));
        e.add(i, got, Table::num(r, want_c), 0.005, "FWI grid");
        assert!(dsr(got) >= 0.0);
    }
    println!("FireWeatherIndex.csv: max |error| {:.5} over {} rows", e.max, e.n);
}
