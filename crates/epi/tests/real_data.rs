//! Tests on real public data, read from the shared data folder (`../shared/data` beside the
//! repository; GPL/MIT files are read there, never copied into the repository). When the folder
//! is absent each test prints a skip message and returns.
//!
//! One test binary for all real-data tests (linking dominates on 2 cores).

use chrono::NaiveDate;
use firebreak_epi::serial::ali2020;
use firebreak_epi::{
    CaseRecord, DecreasePolicy, GammaPrior, Incidence, OnsetPair, Origin, PeriodBasis, SerialIntervalOptions, SiDistr,
    SiSpec, Windows, daily_curve, daily_from_cumulative, estimate_r, growth_rate, serial_interval,
};
use std::path::PathBuf;

type TestResult = Result<(), Box<dyn std::error::Error>>;
type Table = (Vec<String>, Vec<Vec<String>>);

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// The file, or `None` after printing why the test is skipped.
fn data_file(rel: &str) -> Option<PathBuf> {
    let p = data_dir().join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("SKIP: {} not found (the shared data folder ../shared/data is absent); test not run", p.display());
        None
    }
}

fn read_csv(path: &PathBuf) -> Result<Table, Box<dyn std::error::Error>> {
    let mut rdr = csv::Reader::from_path(path)?;
    let headers = rdr.headers()?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        rows.push(rec?.iter().map(str::to_string).collect());
    }
    Ok((headers, rows))
}

fn col(headers: &[String], name: &str) -> Result<usize, String> {
    headers.iter().position(|h| h == name).ok_or_else(|| format!("column {name:?} missing (have {headers:?})"))
}

/// EpiEstim's own expected R_t for Flu2009 (non-parametric SI, windows 2..26 → 8..32, prior
/// Gamma(mean 5, sd 5)): every column of every row within 1e-6.
#[test]
fn flu2009_matches_epiestim_expected_r() -> TestResult {
    let (Some(inc_p), Some(si_p), Some(exp_p)) = (
        data_file("epi/epiestim_flu2009/Flu2009__incidence.csv"),
        data_file("epi/epiestim_flu2009/Flu2009__si_distr.csv"),
        data_file("epi/epiestim_flu2009/expected_R_example1.csv"),
    ) else {
        return Ok(());
    };
    let (h, rows) = read_csv(&inc_p)?;
    let ci = col(&h, "I")?;
    let incid: Vec<f64> = rows.iter().map(|r| r[ci].parse::<f64>()).collect::<Result<_, _>>()?;
    let (h, rows) = read_csv(&si_p)?;
    let cv = col(&h, "value")?;
    let si: Vec<f64> = rows.iter().map(|r| r[cv].parse::<f64>()).collect::<Result<_, _>>()?;
    assert_eq!(incid.len(), 32);
    assert_eq!(si.len(), 12);

    let est = estimate_r(
        &Incidence::from_total(&incid)?,
        &SiSpec::Distribution(SiDistr::new(si)?),
        &Windows::Explicit { t_start: (2..=26).collect(), t_end: (8..=32).collect() },
        GammaPrior { mean: 5.0, sd: 5.0 },
    )?;

    let (h, rows) = read_csv(&exp_p)?;
    assert_eq!(rows.len(), 25);
    let names = [
        "Mean(R)",
        "Std(R)",
        "Quantile.0.025(R)",
        "Quantile.0.05(R)",
        "Quantile.0.25(R)",
        "Median(R)",
        "Quantile.0.75(R)",
        "Quantile.0.95(R)",
        "Quantile.0.975(R)",
    ];
    let idx: Vec<usize> = names.iter().map(|n| col(&h, n)).collect::<Result<_, _>>()?;
    let (ts, te) = (col(&h, "t_start")?, col(&h, "t_end")?);
    let mut max_err = 0.0f64;
    for (row, w) in rows.iter().zip(&est.windows) {
        assert_eq!(row[ts].parse::<usize>()?, w.t_start);
        assert_eq!(row[te].parse::<usize>()?, w.t_end);
        let p = w.posterior.ok_or("window unexpectedly undefined")?;
        let ours = [p.mean, p.sd, p.q025, p.q05, p.q25, p.median, p.q75, p.q95, p.q975];
        for ((name, &i), v) in names.iter().zip(&idx).zip(ours) {
            let expected: f64 = row[i].parse()?;
            let err = (v - expected).abs();
            max_err = max_err.max(err);
            assert!(err < 1e-6, "window {}-{} {name}: ours {v} vs EpiEstim {expected}", w.t_start, w.t_end);
        }
    }
    println!("Flu2009: max |ours − EpiEstim| over 25 windows × 9 columns = {max_err:.3e}");
    Ok(())
}

fn ali_pairs() -> Result<Option<Vec<OnsetPair>>, Box<dyn std::error::Error>> {
    let Some(p) = data_file("tracing/china_pairs_ali2020/TableS1_1407TransPairs.csv") else {
        return Ok(None);
    };
    let (h, rows) = read_csv(&p)?;
    let a = col(&h, ali2020::INFECTOR_ONSET)?;
    let b = col(&h, ali2020::INFECTEE_ONSET)?;
    let mut pairs = Vec::with_capacity(rows.len());
    for (n, r) in rows.iter().enumerate() {
        let infector_onset = ali2020::parse_date(&r[a]).map_err(|e| format!("row {}: {e}", n + 2))?;
        let infectee_onset = ali2020::parse_date(&r[b]).map_err(|e| format!("row {}: {e}", n + 2))?;
        pairs.push(OnsetPair { infector_onset, infectee_onset });
    }
    Ok(Some(pairs))
}

/// Ali et al. (Science 2020): the mean serial interval fell from 7.8 d for Jan 9–22 to 2.6 d for
/// Jan 30–Feb 13 (figures as given in the shared data README). Our empirical figures, periods by the
/// infector's onset, both onsets known, seed 20200101, 10,000 bootstrap replicates:
/// Jan 9–22: n = 162, mean 1265/162 = 7.809 d (sd 5.215), bootstrap 95 % 7.006–8.611;
/// Jan 30–Feb 13: n = 176, mean 453/176 = 2.574 d (sd 4.575), bootstrap 95 % 1.892–3.267.
///
/// The means agree with the paper to 0.03 d. Where figures can differ: the paper reports means of
/// its own fitted/resampled estimates (its CIs need not equal our percentile bootstrap), it may
/// have cleaned pairs differently (n, ambiguous directions), and the period must be defined by the
/// *infector's* onset: by the infectee's onset the same windows give 2.1 d and 6.4 d — the
/// opposite trend: selecting on the infectee's onset favours short intervals early in the
/// outbreak (few infectors had onsets long before) and long ones later. Pairs with an unknown onset (728 of 1,407) are excluded.
#[test]
fn ali2020_serial_interval_by_period() -> TestResult {
    let Some(pairs) = ali_pairs()? else {
        return Ok(());
    };
    assert_eq!(pairs.len(), 1407);
    let all = serial_interval(&pairs, &SerialIntervalOptions::default())?;
    println!(
        "Ali 2020 all pairs: n={} unknown={} mean={:.3} sd={:.3} ci={:.3}..{:.3}",
        all.n, all.unknown, all.mean, all.sd, all.ci_low, all.ci_high
    );
    let mut results = Vec::new();
    for basis in [PeriodBasis::InfectorOnset, PeriodBasis::InfecteeOnset] {
        for period in ["2020-01-09..2020-01-22", "2020-01-30..2020-02-13"] {
            let opts =
                SerialIntervalOptions { period: Some(period.parse()?), basis, ..SerialIntervalOptions::default() };
            let s = serial_interval(&pairs, &opts)?;
            println!(
                "Ali 2020 {basis:?} {period}: n={} unknown={} mean={:.3} sd={:.3} ci={:.3}..{:.3}",
                s.n, s.unknown, s.mean, s.sd, s.ci_low, s.ci_high
            );
            results.push(s);
        }
    }
    let early = results[0];
    let late = results[1];
    assert_eq!((early.n, early.unknown), (162, 69));
    assert_eq!((late.n, late.unknown), (176, 106));
    assert!((early.mean - 1265.0 / 162.0).abs() < 1e-12, "{}", early.mean);
    assert!((late.mean - 453.0 / 176.0).abs() < 1e-12, "{}", late.mean);
    assert!((early.ci_low - 7.006).abs() < 1e-3 && (early.ci_high - 8.611).abs() < 1e-3);
    assert!((late.ci_low - 1.892).abs() < 1e-3 && (late.ci_high - 3.267).abs() < 1e-3);
    // Published: 7.8 d and 2.6 d.
    assert!((early.mean - 7.8).abs() < 0.05);
    assert!((late.mean - 2.6).abs() < 0.05);
    assert!(late.ci_high < early.ci_low);
    // Infectee-based periods reverse the trend (see the doc comment).
    assert!(results[2].mean < results[3].mean);
    Ok(())
}

/// Hengyang (衡阳市, 430400), cumulative confirmed 2020-01-24..2020-12-08 → daily counts,
/// epidemic curve and R_t. Expected: 48 confirmed in total (the file's last cumulative value).
#[test]
fn hengyang_daily_curve_and_rt() -> TestResult {
    let Some(p) = data_file("epi/china_city_daily_2020/hengyang_430400.csv") else {
        return Ok(());
    };
    let (h, rows) = read_csv(&p)?;
    let (cd, cc) = (col(&h, "date")?, col(&h, "confirmed")?);
    let dates: Vec<NaiveDate> =
        rows.iter().map(|r| NaiveDate::parse_from_str(&r[cd], "%Y-%m-%d")).collect::<Result<_, _>>()?;
    let cumulative: Vec<u64> = rows.iter().map(|r| r[cc].parse::<u64>()).collect::<Result<_, _>>()?;
    // Consecutive days, no gaps.
    for w in dates.windows(2) {
        assert_eq!((w[1] - w[0]).num_days(), 1, "gap after {}", w[0]);
    }
    // The series starts at the first report (3 cases on 2020-01-24): baseline 0.
    // Policy RunningMax: a downward correction would give 0 that day and later rises count only
    // above the previous peak (total = peak cumulative); Hengyang has none, which Reject confirms.
    let strict = daily_from_cumulative(&cumulative, 0, DecreasePolicy::Reject)?;
    let daily = daily_from_cumulative(&cumulative, 0, DecreasePolicy::RunningMax)?;
    assert_eq!(strict.daily, daily.daily);
    assert!(daily.decreases.is_empty());
    assert_eq!(daily.daily.iter().sum::<u64>(), 48);

    // Epidemic curve (the file has no local/imported split: counted as local here).
    let records: Vec<CaseRecord<&str>> = dates
        .iter()
        .zip(&daily.daily)
        .flat_map(|(&date, &n)| (0..n).map(move |_| CaseRecord { date, key: "430400", origin: Origin::Local }))
        .collect();
    let curve = daily_curve(&records, None)?;
    let s = &curve.series["430400"];
    assert_eq!(s.local.iter().sum::<u64>(), 48);
    assert_eq!(curve.range.first(), NaiveDate::from_ymd_opt(2020, 1, 24).ok_or("date")?);
    assert_eq!(curve.range.last(), NaiveDate::from_ymd_opt(2020, 2, 17).ok_or("date")?);
    let weekly = curve.weekly();
    assert_eq!(weekly.series["430400"].local.iter().sum::<u64>(), 48);
    println!(
        "Hengyang daily {:?}\nHengyang weekly {:?} (days covered {:?}, first week {}-W{:02})",
        s.local, weekly.series["430400"].local, weekly.days_covered, weekly.weeks[0].year, weekly.weeks[0].week
    );

    // R_t over the first 40 days (to 2020-03-03), SI mean 4.7 d, sd 2.9 d (Nishiura et al. 2020),
    // weekly windows, default prior.
    let total: Vec<f64> = daily.daily.iter().take(40).map(|&v| v as f64).collect();
    let est = estimate_r(
        &Incidence::from_total(&total)?,
        &SiSpec::ParametricGamma { mean: 4.7, sd: 2.9 },
        &Windows::default(),
        GammaPrior::default(),
    )?;
    for w in &est.windows {
        if let Some(p) = w.posterior {
            println!(
                "Hengyang R {:>2}-{:>2}: mean {:.4} q025 {:.4} q975 {:.4} (local {}, Λ {:.3})",
                w.t_start, w.t_end, p.mean, p.q025, p.q975, w.local_cases, w.infectivity
            );
        }
    }
    assert_eq!(est.windows.len(), 33);
    // Window 2–8 (Jan 25–31): R ≈ 2.32 (95 % 1.48–3.33); window 10–16 (Feb 2–8): upper bound
    // below 1; window 14–20 (Feb 6–12): mean 0.194.
    let at = |s: usize| {
        est.windows
            .iter()
            .find(|w| w.t_start == s)
            .and_then(|w| w.posterior)
            .ok_or(format!("window starting {s} missing"))
    };
    let first = at(2)?;
    assert!((first.mean - 2.3159).abs() < 1e-4 && (first.q025 - 1.4838).abs() < 1e-4);
    assert!(at(10)?.q975 < 1.0);
    assert!((at(14)?.mean - 0.1938).abs() < 1e-4);
    // Documented EpiEstim behaviour: with no local case and little infectivity left, the
    // posterior drifts back to the prior (mean 5): window 34–40 has mean 1/(1/5 + Λ) = 2.57.
    let last = est.windows.last().ok_or("no windows")?;
    let lp = last.posterior.ok_or("last window undefined")?;
    assert_eq!(last.local_cases, 0.0);
    assert!((lp.mean - 1.0 / (0.2 + last.infectivity)).abs() < 1e-12);

    // Early growth rate over the first 7 days (Poisson log-linear).
    let g = growth_rate(&total[..7])?;
    println!(
        "Hengyang growth Jan 24–30: r = {:.4}/d (95 % {:.4}..{:.4}), doubling {:.2} d, dispersion {:.2}",
        g.r, g.r_ci_low, g.r_ci_high, g.doubling_time, g.dispersion
    );
    Ok(())
}
