//! Real tracing files (DS4C, ebola_sim, Tianjin). Each test prints a skip message and returns if
//! the shared data folder is absent; the NC-licensed files are read in place, never copied.

use std::collections::HashMap;
use std::path::PathBuf;

use firebreak_chains::dates::{days_from_civil, parse_date};
use firebreak_chains::refs::{CaseRefPattern, extract_case_refs};
use firebreak_chains::{
    Case, Certainty, ChainAnalysis, ChainInputBuilder, ChainSummary, LinkStatus, Node, Params, Problem, analyze,
};

/// `../../../shared/data/tracing/<rel>` from this crate, if it exists.
fn data_file(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/tracing").join(rel);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("SKIP: {} not found; real-data test skipped", path.display());
        None
    }
}

/// All rows of a CSV file as maps from (trimmed, BOM-stripped) header to cell.
fn read_rows(path: &PathBuf) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("open csv");
    let headers: Vec<String> =
        reader.headers().expect("headers").iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_owned()).collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("csv record");
            headers.iter().cloned().zip(r.iter().map(str::to_owned)).collect()
        })
        .collect()
}

fn cell<'a>(row: &'a HashMap<String, String>, column: &str) -> &'a str {
    row.get(column).map_or("", String::as_str)
}

fn date(row: &HashMap<String, String>, column: &str, line: usize) -> Option<i32> {
    parse_date(cell(row, column)).unwrap_or_else(|e| panic!("row {line}, column {column}: {e}"))
}

fn day(y: i32, m: i32, d: i32) -> i32 {
    days_from_civil(y, m, d).expect("valid date")
}

fn print_summary(name: &str, analysis: &ChainAnalysis, summary: &ChainSummary) {
    let json = serde_json::to_string(summary).expect("json");
    let max_gen = analysis.chains.iter().map(|c| c.max_generation).max();
    let active = analysis.chains.iter().filter(|c| c.active).count();
    eprintln!(
        "{name}: {json}\n{name}: counts {:?}, max generation {max_gen:?}, active chains {active}, problems {}",
        analysis.counts,
        analysis.problems.len()
    );
}

#[test]
fn ds4c_korea() {
    let Some(path) = data_file("ds4c_korea_2020-06/PatientInfo.csv") else {
        return;
    };
    let rows = read_rows(&path);
    let mut b = ChainInputBuilder::<String>::with_capacity(rows.len(), rows.len());
    for (line, row) in rows.iter().enumerate() {
        let case =
            Case { onset: date(row, "symptom_onset_date", line + 2), report: date(row, "confirmed_date", line + 2) };
        b.add_case(cell(row, "patient_id").trim().to_owned(), case).expect("unique patient_id");
    }
    for row in &rows {
        let infector = cell(row, "infected_by").trim();
        if !infector.is_empty() {
            b.add_link(infector, cell(row, "patient_id").trim(), Certainty::Confirmed).expect("infectee is a patient");
        }
    }
    let (input, labels) = b.build();
    // The file's last confirmation is 2020-06-01.
    let analysis = analyze(&input, &Params::new(day(2020, 6, 1))).expect("analyze");
    let summary = ChainSummary::new(&analysis, &labels, 5).expect("summary");
    print_summary("DS4C", &analysis, &summary);

    assert_eq!(summary.cases, 4_004);
    assert_eq!(summary.links_resolved, 881);
    assert_eq!(summary.links_unobserved, 18);
    assert_eq!(summary.chains, 268);
    assert_eq!(summary.largest_chain, 67);
    assert_eq!(summary.top_spreaders[0].case, "2000000205");
    assert_eq!(summary.top_spreaders[0].infectees, 51);
    assert_eq!(analysis.chains[0].size, 67);

    // Unobserved infectors are kept as nodes: `#11185` and ids of patients absent from the file.
    assert!(labels.unobserved.iter().any(|id| id == "#11185"));
    assert_eq!(labels.unobserved.len(), 9);
    // Two patients name themselves as infector (1100000028, 6100000066): reported, skipped.
    let self_links: Vec<&str> = analysis
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::SelfLink { case, .. } => Some(labels.cases[*case as usize].as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(self_links, ["1100000028", "6100000066"]);
    assert_eq!(analysis.counts.resolved, 879);
    // Seven pairs of patients name each other as infector: cycles, reported, generations still end.
    let cycles: Vec<[&str; 2]> = analysis
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::Cycle { members } if members.len() == 2 => {
                Some([labels.cases[members[0] as usize].as_str(), labels.cases[members[1] as usize].as_str()])
            }
            _ => None,
        })
        .collect();
    assert_eq!(cycles.len(), 7);
    assert_eq!(analysis.problems.len(), 9);
    assert!(cycles.contains(&["4100000006", "4100000007"]));
    assert_eq!(analysis.counts.duplicates, 0);
    let spreader = labels.cases.iter().position(|id| id == "2000000205").expect("present") as u32;
    assert_eq!(analysis.infectees(Node::Case(spreader)), 51);
}

#[test]
fn ebola_sim() {
    let (Some(linelist), Some(contacts)) =
        (data_file("ebola_sim/ebola_sim__linelist.csv"), data_file("ebola_sim/ebola_sim__contacts.csv"))
    else {
        return;
    };
    let cases = read_rows(&linelist);
    let links = read_rows(&contacts);
    let mut b = ChainInputBuilder::<String>::with_capacity(cases.len(), links.len());
    let mut sim_generation = Vec::new();
    for (line, row) in cases.iter().enumerate() {
        let case = Case {
            onset: date(row, "date_of_onset", line + 2),
            report: date(row, "date_of_hospitalisation", line + 2),
        };
        b.add_case(cell(row, "case_id").to_owned(), case).expect("unique case_id");
        sim_generation.push(cell(row, "generation").parse::<u32>().expect("generation"));
    }
    for row in &links {
        b.add_link(cell(row, "infector"), cell(row, "case_id"), Certainty::Confirmed).expect("infectee in line list");
    }
    let (input, labels) = b.build();
    let analysis = analyze(&input, &Params::new(day(2015, 4, 30))).expect("analyze");
    let summary = ChainSummary::new(&analysis, &labels, 5).expect("summary");
    print_summary("ebola_sim", &analysis, &summary);
    let si: Vec<i32> = analysis.serial_intervals().collect();
    let mean_si = f64::from(si.iter().sum::<i32>()) / si.len() as f64;
    eprintln!("ebola_sim: {} serial intervals, mean {mean_si:.2} d", si.len());

    assert_eq!(summary.cases, 5_888);
    assert_eq!(input.links.len(), 3_800);
    assert_eq!(summary.links_unobserved, 1_639);
    assert_eq!(summary.links_resolved, 2_161);
    assert_eq!(labels.unobserved.len(), 1_159);
    assert_eq!(summary.chains, 996);
    assert_eq!(summary.largest_chain, 12);
    assert_eq!(analysis.chains.iter().map(|c| c.size as usize).sum::<usize>(), 3_157);
    assert_eq!(summary.top_spreaders[0].case, "916d0a");
    assert_eq!(summary.top_spreaders[0].infectees, 6);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert_eq!(si.len(), 2_161);

    // Every chain is a tree; along each resolved link our generation grows by exactly 1. The
    // simulation's own `generation` column agrees on 2,159 links; on 2 it jumps by 4 (a quirk of
    // the file, left alone).
    assert!(analysis.chains.iter().all(|c| c.index_cases.len() == 1));
    let mut sim_steps: HashMap<i64, usize> = HashMap::new();
    for (l, report) in input.links.iter().zip(&analysis.links) {
        if let (LinkStatus::Resolved, Node::Case(from)) = (report.status, l.infector) {
            let (from, to) = (from as usize, l.infectee as usize);
            assert_eq!(analysis.cases[to].generation, analysis.cases[from].generation.map(|g| g + 1));
            let step = i64::from(sim_generation[to]) - i64::from(sim_generation[from]);
            *sim_steps.entry(step).or_default() += 1;
        }
    }
    assert_eq!(sim_steps, HashMap::from([(1, 2_159), (4, 2)]));
    // No chain is active 30 days after the last onset (`active_days` 14).
    let later = analyze(&input, &Params::new(day(2015, 5, 30))).expect("analyze");
    assert!(later.chains.iter().all(|c| !c.active));
}

#[test]
fn tianjin_free_text_sources() {
    let Some(path) = data_file("tianjin_clusters_2020/Tianjin135cases_revised.csv") else {
        return;
    };
    let rows = read_rows(&path);
    let mut b = ChainInputBuilder::<String>::new();
    for (line, row) in rows.iter().enumerate() {
        let case = Case { onset: date(row, "symptom_onset", line + 2), report: date(row, "confirm_date", line + 2) };
        b.add_case(cell(row, "case_id").trim().to_owned(), case).expect("unique case_id");
    }
    let pattern = CaseRefPattern::new("TJ");
    let strict = CaseRefPattern::new("TJ").with_bare_after_case_word(false);
    let mut strict_refs = 0;
    for row in &rows {
        let text = cell(row, "Infection_source");
        strict_refs += extract_case_refs(text, &strict).len();
        for infector in extract_case_refs(text, &pattern) {
            b.add_link(infector.as_str(), cell(row, "case_id").trim(), Certainty::Possible)
                .expect("infectee is a case");
        }
    }
    let (input, labels) = b.build();
    let analysis = analyze(&input, &Params::new(day(2020, 2, 22))).expect("analyze");
    let summary = ChainSummary::new(&analysis, &labels, 5).expect("summary");
    print_summary("Tianjin", &analysis, &summary);

    assert_eq!(summary.cases, 135);
    assert_eq!(input.links.len(), 94);
    assert_eq!(strict_refs, 91, "3 links come from `case 109`, `case 119`, `case 110`");
    assert_eq!(summary.links_resolved, 94);
    assert_eq!(summary.links_unobserved, 0);
    assert_eq!(summary.chains, 24);
    assert_eq!(summary.largest_chain, 10);
    assert_eq!(summary.top_spreaders[0].case, "TJ93");
    assert_eq!(summary.top_spreaders[0].infectees, 6);
    assert!(analysis.links.iter().all(|l| l.status == LinkStatus::Resolved));
    // Relatives name each other: two mutual mentions become cycles, reported, not fatal.
    let cycles: Vec<Vec<&str>> = analysis
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::Cycle { members } => Some(members.iter().map(|&m| labels.cases[m as usize].as_str()).collect()),
            _ => None,
        })
        .collect();
    assert_eq!(cycles, [vec!["TJ96", "TJ97"], vec!["TJ114", "TJ115"]]);
    // As of the last confirmation in the file (22 Feb 2020), some chains are still active.
    assert!(analysis.chains.iter().any(|c| c.active));
}
