//! `firebreak policy …`: policy profiles from the command line, without a database.

use super::schedule;
use crate::tracing::policy;
use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum PolicyCmd {
    /// Print the quarantine schedule a profile sets for a kind of person whose count starts on
    /// --start (the day of last exposure, arrival or leaving the risk area; that day is day 0,
    /// see data/policy/README.md). Touches no database.
    ///
    /// Example: firebreak policy schedule --profile covid19-9th --kind close-contact --start 2022-10-06 --format json
    Schedule(ScheduleArgs),
}

#[derive(Args)]
pub struct ScheduleArgs {
    /// covid19-9th or covid19-20-measures.
    #[arg(long)]
    pub profile: String,
    /// close-contact, secondary-contact, inbound, high-risk-area, medium-risk-area or low-risk-area.
    #[arg(long)]
    pub kind: String,
    /// The day the count starts from (YYYY-MM-DD).
    #[arg(long)]
    pub start: String,
    /// json (the contract: {"measures": […], "tests": […]}) or text.
    #[arg(long, default_value = "json")]
    pub format: String,
}

/// Runs a `policy` subcommand, printing to standard output.
pub fn run(cmd: PolicyCmd) -> anyhow::Result<()> {
    match cmd {
        PolicyCmd::Schedule(a) => {
            let out = schedule_text(&a)?;
            println!("{out}");
            Ok(())
        }
    }
}

/// The text `policy schedule` prints.
pub fn schedule_text(a: &ScheduleArgs) -> anyhow::Result<String> {
    let profiles = policy::shipped();
    let p = profiles.iter().find(|p| p.code == a.profile).with_context(|| {
        format!(
            "--profile {}: not a shipped profile; profiles: {}",
            a.profile,
            profiles.iter().map(|p| p.code.as_str()).collect::<Vec<_>>().join(", ")
        )
    })?;
    let start = NaiveDate::parse_from_str(a.start.trim(), "%Y-%m-%d")
        .with_context(|| format!("--start \"{}\" is not a date (YYYY-MM-DD)", a.start))?;
    let s =
        schedule::compute(&p.code, &p.quarantine, a.kind.trim(), start).map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    match a.format.as_str() {
        "json" => Ok(serde_json::to_string(&s)?),
        "text" => {
            let mut out = String::new();
            for m in &s.measures {
                out.push_str(&format!("{} {} … {} ({} days)\n", m.measure, m.from, m.to, m.days));
            }
            for t in &s.tests {
                out.push_str(&format!("test {} {} day {}\n", t.date, t.measure, t.day));
            }
            Ok(out.trim_end().to_string())
        }
        f => anyhow::bail!("--format {f}: json or text"),
    }
}
