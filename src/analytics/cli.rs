//! The `firebreak epi …` commands: R_t and serial interval from files, without a database.
//! Output is CSV on standard output; every input problem names the file, line and column.

use super::csvin::{self, Layout};
use anyhow::Context;
use firebreak_epi::{
    DateRange, GammaPrior, Incidence, PeriodBasis, SerialIntervalOptions, SiDistr, SiSpec, Windows, estimate_r,
    serial_interval,
};
use std::fmt::Write as _;
use std::path::Path;

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading standard input")?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    }
}

/// Options of `firebreak epi rt`.
#[derive(Debug, Clone)]
pub struct RtArgs {
    pub incidence: std::path::PathBuf,
    pub si_distr: Option<std::path::PathBuf>,
    pub si_mean: Option<f64>,
    pub si_sd: Option<f64>,
    pub window: usize,
    pub prior: GammaPrior,
    /// The incidence file is in the cumulative `china_city_daily` layout.
    pub cumulative: bool,
    pub city_code: Option<String>,
}

fn first_error(errors: &[crate::jurisdictions::import::RowError]) -> anyhow::Result<()> {
    match errors.first() {
        Some(e) if errors.len() == 1 => anyhow::bail!("{e}"),
        Some(e) => anyhow::bail!("{e} (and {} more bad rows)", errors.len() - 1),
        None => Ok(()),
    }
}

/// `firebreak epi rt`: the CSV `t_start,t_end,mean,sd,q025,q05,q25,median,q75,q95,q975` (1-based
/// days as EpiEstim; `NA` where EpiEstim gives NA), plus notes for standard error.
pub fn rt(a: &RtArgs) -> anyhow::Result<(String, Vec<String>)> {
    let name = a.incidence.display().to_string();
    let text = read_input(&a.incidence)?;
    let layout = if a.cumulative { Layout::ChinaCityDaily } else { Layout::Daily };
    let parsed = csvin::parse_daily_counts(&name, &text, layout, a.city_code.as_deref())?;
    first_error(&parsed.errors)?;
    let rows = &parsed.rows;
    for w in rows.windows(2) {
        if (w[1].date - w[0].date).num_days() != 1 && !a.cumulative {
            anyhow::bail!(
                "{name}: {} does not follow {} (rows must be consecutive days; fill missing days with 0)",
                w[1].date,
                w[0].date
            );
        }
    }
    let (local, imported): (Vec<f64>, Vec<f64>) = if a.cumulative {
        // Gaps in a cumulative series: the rise is counted on the next report day; fill the
        // missing days with 0 so that the days stay consecutive.
        let range = match (rows.first(), rows.last()) {
            (Some(f), Some(l)) => DateRange::new(f.date, l.date)?,
            _ => anyhow::bail!("{name}: no rows"),
        };
        let s = super::Series::from_rows(rows.iter(), range);
        (s.local.iter().map(|&v| v as f64).collect(), s.imported.iter().map(|&v| v as f64).collect())
    } else {
        rows.iter().map(|r| r.split()).map(|(l, i)| (l as f64, i as f64)).unzip()
    };
    let incidence = Incidence::from_local_imported(&local, &imported).with_context(|| name.clone())?;
    let si = match (&a.si_distr, a.si_mean, a.si_sd) {
        (Some(path), None, None) => SiSpec::Distribution(read_si_distr(path)?),
        (None, Some(mean), Some(sd)) => SiSpec::ParametricGamma { mean, sd },
        _ => anyhow::bail!("give either --si-distr FILE or both --si-mean and --si-sd"),
    };
    let est = estimate_r(&incidence, &si, &Windows::Sliding { width: a.window }, a.prior)?;
    let mut out = String::from("t_start,t_end,mean,sd,q025,q05,q25,median,q75,q95,q975\n");
    for w in &est.windows {
        match w.posterior {
            Some(p) => writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                w.t_start, w.t_end, p.mean, p.sd, p.q025, p.q05, p.q25, p.median, p.q75, p.q95, p.q975
            )?,
            None => writeln!(out, "{},{},NA,NA,NA,NA,NA,NA,NA,NA,NA", w.t_start, w.t_end)?,
        }
    }
    Ok((out, parsed.notes))
}

/// A discrete SI distribution: one number per row starting at day 0 (column `value`, or the
/// first column).
fn read_si_distr(path: &Path) -> anyhow::Result<SiDistr> {
    let name = path.display().to_string();
    let text = read_input(path)?;
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = rdr.headers()?.iter().map(|h| h.trim().to_string()).collect();
    let col = headers.iter().position(|h| h == "value").unwrap_or(0);
    let cname = headers.get(col).cloned().unwrap_or_default();
    let mut w = Vec::new();
    for rec in rdr.records() {
        let rec = rec.with_context(|| format!("reading {name}"))?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = rec.get(col).unwrap_or("").trim();
        let v: f64 = cell
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}, line {line}, column {cname}: \"{cell}\" is not a number"))?;
        w.push(v);
    }
    SiDistr::new(w).with_context(|| format!("{name}: not a valid serial-interval distribution"))
}

/// Options of `firebreak epi serial-interval`.
#[derive(Debug, Clone)]
pub struct SiArgs {
    pub pairs: std::path::PathBuf,
    pub period: Option<DateRange>,
    pub basis: PeriodBasis,
    pub replicates: usize,
    pub seed: u64,
}

/// `firebreak epi serial-interval --preset ali2020`: the CSV `n,mean,sd,ci_low,ci_high`.
pub fn serial(a: &SiArgs) -> anyhow::Result<String> {
    let name = a.pairs.display().to_string();
    let text = read_input(&a.pairs)?;
    let (rows, errors) = csvin::parse_ali2020_pairs(&name, &text)?;
    first_error(&errors)?;
    let pairs: Vec<_> = rows.iter().map(|r| r.onsets).collect();
    let opts = SerialIntervalOptions { period: a.period, basis: a.basis, replicates: a.replicates, seed: a.seed };
    let s = serial_interval(&pairs, &opts)?;
    Ok(format!("n,mean,sd,ci_low,ci_high\n{},{},{},{},{}\n", s.n, s.mean, s.sd, s.ci_low, s.ci_high))
}
