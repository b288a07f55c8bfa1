//! R_t from an incidence CSV, printed as CSV (a thin shell over `firebreak_epi::estimate_r`).
//!
//! ```text
//! cargo run -p firebreak-epi --example rt_csv -- --incidence FILE \
//!     (--si-distr FILE | --si-mean M --si-sd S) [--window 7] [--prior-mean 5 --prior-sd 5] \
//!     [--count-column I] [--cumulative] [--days N]
//! ```
//!
//! The incidence CSV has a header; an optional date column (`dates` or `date`) is ignored except
//! that rows must be consecutive days, and either a count column (`I` by default, see
//! `--count-column`) or two columns `local` and `imported`. With `--cumulative` the count column
//! holds cumulative counts, turned into daily counts with the running-maximum policy (downward
//! corrections give 0 and are reported on stderr). `--days N` keeps the first N days.
//! The SI file has one number per row (column `value`, or the first column), starting at day 0.
//!
//! Output: `t_start,t_end,mean,sd,q025,q05,q25,median,q75,q95,q975`, 1-based days as EpiEstim;
//! windows EpiEstim leaves NA (t_end ≤ mean SI) print `NA`.

use firebreak_epi::{
    DecreasePolicy, GammaPrior, Incidence, SiDistr, SiSpec, Windows, daily_from_cumulative, estimate_r,
};
use std::error::Error;
use std::process::ExitCode;

struct Args {
    incidence: String,
    si_distr: Option<String>,
    si_mean: Option<f64>,
    si_sd: Option<f64>,
    window: usize,
    prior: GammaPrior,
    count_column: String,
    cumulative: bool,
    days: Option<usize>,
}

const USAGE: &str = "usage: rt_csv --incidence FILE (--si-distr FILE | --si-mean M --si-sd S) [--window 7] [--prior-mean 5] [--prior-sd 5] [--count-column I] [--cumulative] [--days N]";

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        incidence: String::new(),
        si_distr: None,
        si_mean: None,
        si_sd: None,
        window: 7,
        prior: GammaPrior::default(),
        count_column: "I".into(),
        cumulative: false,
        days: None,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--incidence" => a.incidence = value()?,
            "--si-distr" => a.si_distr = Some(value()?),
            "--si-mean" => a.si_mean = Some(value()?.parse()?),
            "--si-sd" => a.si_sd = Some(value()?.parse()?),
            "--window" => a.window = value()?.parse()?,
            "--prior-mean" => a.prior.mean = value()?.parse()?,
            "--prior-sd" => a.prior.sd = value()?.parse()?,
            "--count-column" => a.count_column = value()?,
            "--cumulative" => a.cumulative = true,
            "--days" => a.days = Some(value()?.parse()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    if a.incidence.is_empty() {
        return Err(format!("--incidence is required\n{USAGE}").into());
    }
    Ok(a)
}

fn read_table(path: &str) -> Result<(Vec<String>, Vec<csv::StringRecord>), Box<dyn Error>> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("reading {path}: {e}"))?;
    let headers = rdr.headers()?.iter().map(|h| h.trim().to_string()).collect();
    let rows = rdr.records().collect::<Result<Vec<_>, _>>().map_err(|e| format!("reading {path}: {e}"))?;
    Ok((headers, rows))
}

fn column(path: &str, headers: &[String], rows: &[csv::StringRecord], name: &str) -> Result<Vec<f64>, Box<dyn Error>> {
    let i = headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| format!("{path}: no column {name:?} (columns: {headers:?})"))?;
    rows.iter()
        .enumerate()
        .map(|(n, r)| {
            let cell = r.get(i).unwrap_or("").trim();
            if cell.is_empty() || cell == "NA" {
                return Ok(0.0); // EpiEstim process_I: NA → 0
            }
            cell.parse::<f64>()
                .map_err(|_| format!("{path}, row {}, column {name}: {cell:?} is not a number", n + 2).into())
        })
        .collect()
}

fn run() -> Result<(), Box<dyn Error>> {
    let a = parse_args()?;
    let (headers, mut rows) = read_table(&a.incidence)?;
    if let Some(n) = a.days {
        rows.truncate(n);
    }
    if let Some(di) = headers.iter().position(|h| h == "dates" || h == "date") {
        let mut prev: Option<chrono::NaiveDate> = None;
        for (n, r) in rows.iter().enumerate() {
            let cell = r.get(di).unwrap_or("");
            let d = chrono::NaiveDate::parse_from_str(cell.trim(), "%Y-%m-%d").map_err(|_| {
                format!("{}, row {}, column date: {cell:?} is not a date (YYYY-MM-DD)", a.incidence, n + 2)
            })?;
            if let Some(p) = prev
                && (d - p).num_days() != 1
            {
                return Err(format!(
                    "{}, row {}: {d} does not follow {p} (rows must be consecutive days)",
                    a.incidence,
                    n + 2
                )
                .into());
            }
            prev = Some(d);
        }
    }
    let incidence = if headers.iter().any(|h| h == "local") && headers.iter().any(|h| h == "imported") {
        let local = column(&a.incidence, &headers, &rows, "local")?;
        let imported = column(&a.incidence, &headers, &rows, "imported")?;
        Incidence::from_local_imported(&local, &imported)?
    } else {
        let mut counts = column(&a.incidence, &headers, &rows, &a.count_column)?;
        if a.cumulative {
            let cum: Vec<u64> = counts
                .iter()
                .enumerate()
                .map(|(n, &v)| {
                    if v >= 0.0 && v.fract() == 0.0 {
                        Ok(v as u64)
                    } else {
                        Err(format!("{}, row {}: cumulative count {v} is not a whole number >= 0", a.incidence, n + 2))
                    }
                })
                .collect::<Result<_, _>>()?;
            let daily = daily_from_cumulative(&cum, 0, DecreasePolicy::RunningMax)?;
            for (i, prev, cur) in &daily.decreases {
                eprintln!(
                    "note: row {}: cumulative fell from {prev} to {cur} (correction); counted as 0 new cases, later rises count above the previous peak",
                    i + 2
                );
            }
            counts = daily.daily.iter().map(|&v| v as f64).collect();
        }
        Incidence::from_total(&counts)?
    };
    let si = match (&a.si_distr, a.si_mean, a.si_sd) {
        (Some(path), None, None) => {
            let (h, r) = read_table(path)?;
            let name = if h.iter().any(|c| c == "value") {
                "value".to_string()
            } else {
                h.first().cloned().ok_or("SI file has no column")?
            };
            SiSpec::Distribution(SiDistr::new(column(path, &h, &r, &name)?)?)
        }
        (None, Some(mean), Some(sd)) => SiSpec::ParametricGamma { mean, sd },
        _ => {
            return Err(format!("give either --si-distr or both --si-mean and --si-sd\n{USAGE}").into());
        }
    };
    let est = estimate_r(&incidence, &si, &Windows::Sliding { width: a.window }, a.prior)?;
    println!("t_start,t_end,mean,sd,q025,q05,q25,median,q75,q95,q975");
    for w in &est.windows {
        match w.posterior {
            Some(p) => println!(
                "{},{},{},{},{},{},{},{},{},{},{}",
                w.t_start, w.t_end, p.mean, p.sd, p.q025, p.q05, p.q25, p.median, p.q75, p.q95, p.q975
            ),
            None => println!("{},{},NA,NA,NA,NA,NA,NA,NA,NA,NA", w.t_start, w.t_end),
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
