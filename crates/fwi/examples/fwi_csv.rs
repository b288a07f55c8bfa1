//! Runs the FWI System over a weather CSV and prints the indices as CSV.
//!
//! ```text
//! cargo run -p firebreak-fwi --example fwi_csv -- WEATHER.csv [--start 85,6,15]
//!     [--ffmc-constant 147.27723] [--lat-adjust true|false]
//! ```
//!
//! Input: `;` or `,` separated, a header naming (in any order, any case) `long, lat, yr, mon,
//! day, temp, rh, ws, prec` (°C, %, km/h, mm), one row per station-day in date order. Each
//! distinct (long, lat) is a station with its own state. Output: the input columns plus
//! `ffmc,dmc,dc,isi,bui,fwi,dsr`, comma separated. `-` reads standard input.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::ExitCode;

use firebreak_fwi::{Day, FwiParams, FwiState, Station};

const COLUMNS: [&str; 9] = ["long", "lat", "yr", "mon", "day", "temp", "rh", "ws", "prec"];

fn parse_args(args: &[String]) -> Result<(String, FwiParams), String> {
    let mut params = FwiParams::default();
    let mut path = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--start" => {
                let v = value("--start")?;
                let codes: Vec<f64> = v
                    .split(',')
                    .map(|s| s.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--start {v:?}: {e} (expected FFMC,DMC,DC)"))?;
                let [f, d, c] = codes[..] else {
                    return Err(format!("--start {v:?}: expected three numbers FFMC,DMC,DC"));
                };
                params.start = FwiState::new(f, d, c).map_err(|e| format!("--start: {e}"))?;
            }
            "--ffmc-constant" => {
                let v = value("--ffmc-constant")?;
                params.ffmc_constant = v.parse().map_err(|e| format!("--ffmc-constant {v:?}: {e}"))?;
            }
            "--lat-adjust" => {
                let v = value("--lat-adjust")?;
                params.lat_adjust = match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(format!("--lat-adjust {v:?}: expected true or false")),
                };
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => path = Some(other.to_string()),
        }
    }
    params.validate().map_err(|e| e.to_string())?;
    let path =
        path.ok_or("usage: fwi_csv WEATHER.csv [--start 85,6,15] [--ffmc-constant K] [--lat-adjust true|false]")?;
    Ok((path, params))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, params) = parse_args(&args)?;
    let mut text = String::new();
    if path == "-" {
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("reading standard input: {e}"))?;
    } else {
        text = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    }
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| format!("{path} is empty"))?;
    let sep = if header.contains(';') { ';' } else { ',' };
    let names: Vec<String> = header.split(sep).map(|s| s.trim().trim_matches('"').to_lowercase()).collect();
    let idx: Vec<usize> = COLUMNS
        .iter()
        .map(|c| {
            names.iter().position(|n| n == c).ok_or_else(|| format!("{path}: no column {c} in the header {names:?}"))
        })
        .collect::<Result<_, _>>()?;

    let mut states: HashMap<(u64, u64), (Station, FwiState)> = HashMap::new();
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let w = |e: std::io::Error| format!("writing output: {e}");
    writeln!(out, "{},ffmc,dmc,dc,isi,bui,fwi,dsr", COLUMNS.join(",")).map_err(w)?;
    for (line_no, line) in lines {
        let row = line_no + 1;
        let fields: Vec<&str> = line.split(sep).map(|s| s.trim().trim_matches('"')).collect();
        let mut v = [0.0f64; 9];
        for (k, &i) in idx.iter().enumerate() {
            let raw = fields.get(i).ok_or_else(|| format!("row {row}: missing column {}", COLUMNS[k]))?;
            v[k] = raw.parse().map_err(|_| format!("row {row}, column {}: {raw:?} is not a number", COLUMNS[k]))?;
        }
        let [long, lat, _yr, mon, _day, temp, rh, ws, prec] = v;
        if mon.fract() != 0.0 {
            return Err(format!("row {row}, column mon: {mon} is not a whole month"));
        }
        let day = Day::new(mon as i64, temp, rh, ws, prec).map_err(|e| format!("row {row}: {e}"))?;
        let key = (long.to_bits(), lat.to_bits());
        let entry = match states.get_mut(&key) {
            Some(e) => e,
            None => {
                let st = Station::new(lat, params).map_err(|e| format!("row {row}: {e}"))?;
                states.entry(key).or_insert((st, params.start))
            }
        };
        let r = entry.0.step(&entry.1, &day);
        entry.1 = r.state();
        let inputs: Vec<&str> = idx.iter().map(|&i| fields[i]).collect();
        writeln!(out, "{},{},{},{},{},{},{},{}", inputs.join(","), r.ffmc, r.dmc, r.dc, r.isi, r.bui, r.fwi, r.dsr)
            .map_err(w)?;
    }
    out.flush().map_err(w)?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fwi_csv: {e}");
            ExitCode::FAILURE
        }
    }
}
