//! The `firebreak` command: serve the platform, run the demo, manage users, import data, verify
//! the audit trail.
#![forbid(unsafe_code)]

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use firebreak::analytics;
use firebreak::audit::{self, Actor};
use firebreak::auth::{self, NewUser};
use firebreak::db::{DatabaseUrl, Db};
use firebreak::jurisdictions::import;
use firebreak::tracing::import::{self as tracing_import, FileKind, Preset};
use firebreak::web::{self, AppState, Config};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "firebreak",
    version,
    about = "Command platform for a city's emergency headquarters (应急指挥平台)",
    long_about = "firebreak runs a city's emergency headquarters: outbreaks, forest fires, duty and dispatch.\n\nQuick start:\n  firebreak demo                 # real Hengyang admin tree, demo users, http://127.0.0.1:8080"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the demo on the embedded SQLite database, loading the bundled data on first start.
    ///
    /// Example: firebreak demo --port 8080 --data-dir ./firebreak-data
    Demo {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Folder of the demo database (DIR/firebreak.db) and its generated password.
        #[arg(long, default_value = "./firebreak-data")]
        data_dir: PathBuf,
    },
    /// Serve the platform on a database of your own (no default password: create the first
    /// administrator with `firebreak user add`).
    ///
    /// Example: firebreak serve --database-url postgres://firebreak@127.0.0.1/firebreak --bind 0.0.0.0:8080
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Mark session cookies Secure (default: on unless bound to a loopback address; put TLS in front).
        #[arg(long)]
        secure_cookies: Option<bool>,
        /// Location trace store folder for POST /api/v1/colocate.
        #[arg(long, env = "FIREBREAK_TRACE_STORE")]
        trace_store: Option<PathBuf>,
    },
    /// Apply the database migrations and exit.
    ///
    /// Example: firebreak migrate --database-url sqlite://./prod/firebreak.db
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Import reference data.
    #[command(subcommand)]
    Import(ImportCmd),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Epidemiological analytics from files (no database): R_t, serial interval.
    #[command(subcommand)]
    Epi(EpiCmd),
    /// Forest fire danger: the Fire Weather Index System on a weather file, stations, weather imports.
    #[command(subcommand)]
    Fire(FireCmd),
    /// Transmission chains computed from the stored cases and links.
    #[command(subcommand)]
    Chains(ChainsCmd),
    /// Location traces: import into a trace store.
    #[command(subcommand)]
    Traces(firebreak::traces::cli::TracesCmd),
    /// Find the spatiotemporal companions (时空伴随者) of cases in a trace store: everyone whose
    /// trace came within --radius metres and --window of a case's. JSON (an array, one object per
    /// companion) or CSV on standard output.
    ///
    /// Example: firebreak colocate --store ./traces --case 003 --radius 50 --window 5m --from 2008-10-23 --to 2008-10-30
    Colocate(firebreak::traces::cli::ColocateArgs),
    /// Simulators for benchmarks and drills.
    #[command(subcommand)]
    Sim(firebreak::traces::cli::SimCmd),
    /// Policy profiles: the quarantine schedule a profile sets (no database).
    #[command(subcommand)]
    Policy(firebreak::quarantine::cli::PolicyCmd),
}

#[derive(Subcommand)]
enum ChainsCmd {
    /// Print the chain summary of every stored case (or one source's): cases, links to a case,
    /// links to an unobserved infector, chains of two or more cases, the largest, top spreaders.
    ///
    /// Example: firebreak chains summary --data-dir ./firebreak-data --format json
    Summary {
        #[command(flatten)]
        db: DbArgs,
        /// json or text.
        #[arg(long, default_value = "json")]
        format: String,
        /// Only the cases of one imported source (ds4c, ebolasim, ali2020, tianjin, manual).
        #[arg(long)]
        source: Option<String>,
        /// How many top spreaders to list.
        #[arg(long, default_value_t = 5)]
        top: usize,
    },
}

#[derive(Args, Clone)]
struct TracingImportArgs {
    /// The CSV file.
    file: PathBuf,
    /// Column mapping: ds4c, ebola-sim, ali2020-pairs or tianjin.
    #[arg(long)]
    preset: String,
    #[command(flatten)]
    db: DbArgs,
    /// Jurisdiction code under which the data set's own root node (x-<source>) is created;
    /// default: a root of its own.
    #[arg(long)]
    attach_to: Option<String>,
    /// Import the good rows and list the bad ones instead of refusing the whole file.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Check everything, write nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Subcommand)]
enum EpiCmd {
    /// R_t by Cori et al. (2013), exactly as EpiEstim's estimate_R, printed as CSV
    /// (t_start,t_end,mean,sd,q025,q05,q25,median,q75,q95,q975; days 1-based as EpiEstim).
    ///
    /// The incidence file has a date column (`date` or `dates`, consecutive days) and a count column
    /// `I` (or `confirmed`), or `local` and `imported`; with --cumulative it is in the china_city_daily
    /// layout (date, cityCode, cumulative confirmed; downward corrections count 0, see the README).
    ///
    /// Example: firebreak epi rt --incidence Flu2009__incidence.csv --si-distr Flu2009__si_distr.csv
    Rt {
        /// Incidence CSV (`-` reads standard input).
        #[arg(long)]
        incidence: PathBuf,
        /// Discrete serial-interval distribution: one value per line from day 0 (column `value`).
        #[arg(long, conflicts_with_all = ["si_mean", "si_sd"])]
        si_distr: Option<PathBuf>,
        /// Mean serial interval, days (parametric: EpiEstim's discretised offset gamma).
        #[arg(long, requires = "si_sd")]
        si_mean: Option<f64>,
        /// Standard deviation of the serial interval, days.
        #[arg(long, requires = "si_mean")]
        si_sd: Option<f64>,
        /// Sliding-window width, days.
        #[arg(long, default_value_t = 7)]
        window: usize,
        /// Mean of the gamma prior on R.
        #[arg(long, default_value_t = 5.0)]
        prior_mean: f64,
        /// Standard deviation of the gamma prior on R.
        #[arg(long, default_value_t = 5.0)]
        prior_sd: f64,
        /// The file holds cumulative confirmed counts in the china_city_daily layout.
        #[arg(long)]
        cumulative: bool,
        /// With --cumulative: the cityCode of the rows to use (needed when the file holds several cities).
        #[arg(long)]
        city_code: Option<String>,
    },
    /// Serial interval from infector -> infectee onset pairs, printed as CSV n,mean,sd,ci_low,ci_high
    /// (95 % bootstrap interval of the mean, 10,000 replicates, fixed seed).
    ///
    /// Example: firebreak epi serial-interval --pairs TableS1_1407TransPairs.csv --preset ali2020 --period 2020-01-09..2020-01-22
    SerialInterval {
        /// Pairs CSV (`-` reads standard input).
        #[arg(long)]
        pairs: PathBuf,
        /// Column layout: ali2020 (Ali et al., Science 2020, Table S1).
        #[arg(long, value_parser = ["ali2020"])]
        preset: String,
        /// Keep pairs whose infector's onset lies in FROM..TO (YYYY-MM-DD..YYYY-MM-DD, both included).
        #[arg(long)]
        period: Option<firebreak_epi::DateRange>,
        /// Apply the period to the infectee's onset instead.
        #[arg(long)]
        by_infectee: bool,
        /// Bootstrap replicates (0: no interval).
        #[arg(long, default_value_t = 10_000)]
        replicates: usize,
        #[arg(long, default_value_t = 20_200_101)]
        seed: u64,
    },
}

#[derive(Args, Clone)]
struct DbArgs {
    /// sqlite://PATH or postgres://USER@HOST/DB (also from FIREBREAK_DATABASE_URL).
    #[arg(long, env = "FIREBREAK_DATABASE_URL")]
    database_url: Option<String>,
    /// Use the SQLite database DIR/firebreak.db (when no --database-url is given).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Key of the audit hash chain (HMAC), kept outside the database (also from
    /// FIREBREAK_AUDIT_KEY_FILE; default with --data-dir: DIR/audit.key when it exists).
    #[arg(long, env = "FIREBREAK_AUDIT_KEY_FILE")]
    audit_key_file: Option<PathBuf>,
}

impl DbArgs {
    /// Loads the audit key (if any), then connects and migrates.
    async fn connect(&self) -> anyhow::Result<Db> {
        let key_path = self
            .audit_key_file
            .clone()
            .or_else(|| self.data_dir.as_ref().map(|d| d.join("audit.key")).filter(|p| p.exists()));
        if let Some(path) = key_path {
            audit::set_key(audit::load_key_file(&path, false)?);
        }
        Db::connect(&self.url()?).await
    }

    fn url(&self) -> anyhow::Result<DatabaseUrl> {
        match (&self.database_url, &self.data_dir) {
            (Some(u), _) => Ok(DatabaseUrl(u.clone())),
            (None, Some(d)) => sqlite_url(d),
            (None, None) => anyhow::bail!("say which database: --database-url URL or --data-dir DIR"),
        }
    }
}

fn sqlite_url(dir: &Path) -> anyhow::Result<DatabaseUrl> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(DatabaseUrl(format!("sqlite://{}", dir.join("firebreak.db").display())))
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user.
    ///
    /// Example: echo 'a-long-password' | firebreak user add --data-dir D --username li --role investigator --jurisdiction 430423 --password-stdin
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        /// admin, commander, investigator, field_worker, duty_officer or auditor.
        #[arg(long)]
        role: String,
        /// Code of the jurisdiction the user works in (they see only its subtree).
        #[arg(long)]
        jurisdiction: String,
        #[arg(long, default_value = "")]
        display_name: String,
        /// Read the password from the first line of standard input (else one is generated and printed).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (ends their sessions).
    ///
    /// Example: echo 'new-long-password' | firebreak user passwd --data-dir D --username li --password-stdin
    Passwd {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    ///
    /// Example: firebreak user list --data-dir ./firebreak-data
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum ImportCmd {
    /// Import an admin tree from CSV files in the layout of `china-division` (cities.csv
    /// optional, areas.csv, streets.csv, villages.csv). All rows or none, unless --skip-bad-rows.
    ///
    /// Example: firebreak import jurisdictions data/jurisdictions/hengyang_430400 --data-dir ./firebreak-data
    Jurisdictions {
        dir: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// The city's name, when the folder has no cities.csv.
        #[arg(long)]
        city_name: Option<String>,
        /// Import the good rows and list the bad ones instead of refusing the whole file.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Check everything, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import daily reported counts for a jurisdiction: `--layout daily` (date, confirmed or I,
    /// optional asymptomatic, local, imported: new cases per day) or `--layout china_city_daily`
    /// (date, cityCode, cumulative confirmed: turned into daily counts; a fall counts 0 and is
    /// reported). One transaction; a row for the same jurisdiction and date is replaced.
    ///
    /// Example: firebreak import daily-counts data/epi/hengyang_430400.csv --layout china_city_daily --jurisdiction 430400 --source canghailan/Wuhan-2019-nCoV --data-dir ./firebreak-data
    DailyCounts {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Code of the jurisdiction the counts are for.
        #[arg(long)]
        jurisdiction: String,
        /// daily or china_city_daily.
        #[arg(long, default_value = "daily")]
        layout: String,
        /// china_city_daily: cityCode of the rows to take (default: the jurisdiction code).
        #[arg(long)]
        city_code: Option<String>,
        /// Where the numbers come from (kept with every row).
        #[arg(long)]
        source: Option<String>,
        /// Import the good rows and list the bad ones instead of refusing the whole file.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Check everything, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import a line list of cases (and the infector links it holds) with a preset. Matched by the
    /// source's ids: importing the same file again changes nothing. All rows or none, unless
    /// --skip-bad-rows.
    ///
    /// Example: firebreak import linelist PatientInfo.csv --preset ds4c --data-dir ./firebreak-data
    Linelist(TracingImportArgs),
    /// Import infector → infectee links (e.g. ebola_sim's contacts file); infectees must be
    /// imported cases, infectors not in the line list are kept as unobserved.
    ///
    /// Example: firebreak import links ebola_sim__contacts.csv --preset ebola-sim --data-dir ./firebreak-data
    Links(TracingImportArgs),
    /// Import places visited by cases (DS4C PatientRoute.csv).
    ///
    /// Example: firebreak import itinerary PatientRoute.csv --preset ds4c --data-dir ./firebreak-data
    Itinerary(TracingImportArgs),
}

#[derive(Subcommand)]
enum FireCmd {
    /// Run the Canadian FWI System over a daily noon weather CSV and print CSV: the input weather
    /// columns, then FFMC, DMC, DC, ISI, BUI, FWI, DSR and the danger level under --profile.
    ///
    /// Layouts: cffdrs' `long;lat;yr;mon;day;temp;rh;ws;prec` (`;` or `,`), the Van Wagner &
    /// Pickett 1985 table `mth,day,temp,rh,ws,pr,…`, or `date,temp,rh,wind,rain` (°C, %, km/h, mm).
    /// Each station (station column, else long/lat) is carried day to day in file order. A bad
    /// cell stops the run naming its line and column.
    ///
    /// Example: firebreak fire fwi --weather test_fwi.csv --start 85,6,15 --ffmc-constant 147.27723 --profile effis
    Fwi {
        /// Weather CSV file (`-` reads standard input).
        #[arg(long)]
        weather: PathBuf,
        /// Start-up codes FFMC,DMC,DC before the first day.
        #[arg(long, default_value = "85,6,15")]
        start: String,
        /// FFMC constant: 147.27723 means the exact cffdrs value 250·59.5/101; 147.2 as in 1985.
        #[arg(long, default_value_t = 147.27723)]
        ffmc_constant: f64,
        /// Day-length adjustment by latitude band (cffdrs); false: the 46°N tables everywhere.
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        lat_adjust: bool,
        /// Danger profile: china (5 levels over FWI), effis (6 classes), or PATH.json.
        #[arg(long, default_value = "china")]
        profile: String,
        /// Latitude for a file without a lat column (default 46, the latitude of the 1985 tables).
        #[arg(long)]
        lat: Option<f64>,
    },
    /// Add a weather station (audited).
    ///
    /// Example: firebreak fire add-station --data-dir D --code HY01 --name 衡阳县站 --lat 26.97 --lon 112.37 --jurisdiction 430421
    AddStation {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        lat: f64,
        #[arg(long)]
        lon: f64,
        #[arg(long)]
        elevation: Option<f64>,
        /// Code of the jurisdiction the station stands in.
        #[arg(long)]
        jurisdiction: String,
        /// Start-up codes FFMC,DMC,DC.
        #[arg(long, default_value = "85,6,15")]
        start: String,
        #[arg(long, default_value_t = 147.27723)]
        ffmc_constant: f64,
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        lat_adjust: bool,
    },
    /// Import daily noon observations into a station and recompute its indices from the earliest
    /// changed day. All rows or none; errors name the line and column. Days must be consecutive.
    ///
    /// Example: firebreak fire import-weather data/fire/vwp1985_weather.csv --station HY01 --year 2026 --data-dir D
    ImportWeather {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Station of every row (when the file has no station column).
        #[arg(long)]
        station: Option<String>,
        /// Year of every row (when the file has month and day but no year).
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk the hash chain; exit 1 naming the first bad entry when it is broken.
    ///
    /// Example: firebreak audit verify --data-dir ./firebreak-data
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
        Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
    } else {
        Ok((firebreak::auth::session::random_token()[..16].to_string(), true))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FIREBREAK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Demo { port, data_dir } => demo(port, &data_dir).await,
        Cmd::Traces(firebreak::traces::cli::TracesCmd::Import(a)) => firebreak::traces::cli::import(a),
        Cmd::Colocate(a) => firebreak::traces::cli::colocate(a),
        Cmd::Policy(c) => firebreak::quarantine::cli::run(c),
        Cmd::Sim(firebreak::traces::cli::SimCmd::Traces(a)) => firebreak::traces::cli::sim(a),
        Cmd::Serve { db, bind, secure_cookies, trace_store } => {
            let db = db.connect().await?;
            let admins = auth::list(&db, None).await?.into_iter().filter(|u| u.role == "admin" && u.active).count();
            if admins == 0 {
                anyhow::bail!(
                    "no administrator yet: import jurisdictions (firebreak import jurisdictions DIR …) and create one with \
                     firebreak user add --role admin … --password-stdin"
                );
            }
            if !audit::keyed() {
                tracing::warn!(
                    "no audit key (--audit-key-file / FIREBREAK_AUDIT_KEY_FILE): the audit chain is unkeyed SHA-256, \
                     so someone who can write the database could rewrite it consistently"
                );
            }
            let cfg = Config {
                secure_cookies: secure_cookies.unwrap_or(!bind.ip().is_loopback()),
                trace_store,
                ..Config::default()
            };
            serve(db, bind, cfg).await
        }
        Cmd::Migrate { db } => {
            let url = db.url()?;
            Db::connect(&url).await?;
            println!("migrations applied to {url}");
            Ok(())
        }
        Cmd::User(UserCmd::Add { db, username, role, jurisdiction, display_name, password_stdin }) => {
            let db = db.connect().await?;
            let (password, generated) = read_password(password_stdin)?;
            let nu =
                NewUser { username: username.clone(), display_name, role, jurisdiction, password: password.clone() };
            let id = auth::create(&db, None, &Actor::cli(), &nu).await.map_err(user_error)?;
            println!("user {username} created (id {id})");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Cmd::User(UserCmd::Passwd { db, username, password_stdin }) => {
            let db = db.connect().await?;
            let u = auth::by_username(&db, &username).await?.with_context(|| format!("no user {username}"))?;
            let (password, generated) = read_password(password_stdin)?;
            auth::set_password(&db, &Actor::cli(), u.id, &password).await.map_err(user_error)?;
            println!("password of {username} changed; their sessions were ended");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Cmd::User(UserCmd::List { db }) => {
            let db = db.connect().await?;
            println!("{:<20} {:<14} {:<14} {:<8} name", "username", "role", "jurisdiction", "active");
            for u in auth::list(&db, None).await? {
                println!(
                    "{:<20} {:<14} {:<14} {:<8} {}",
                    u.username, u.role, u.jurisdiction_code, u.active, u.display_name
                );
            }
            Ok(())
        }
        Cmd::Import(ImportCmd::Jurisdictions { dir, db, city_name, skip_bad_rows, dry_run }) => {
            let db = db.connect().await?;
            let (rows, errors) = import::read_dir(&dir, city_name.as_deref())?;
            let r = import::import_rows(&db, &Actor::cli(), rows, errors, skip_bad_rows, dry_run).await?;
            println!(
                "{} {} rows ({} new, {} already there): {}",
                if dry_run { "dry run: would import" } else { "imported" },
                r.rows,
                r.new,
                r.existing,
                r.by_level.iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(", ")
            );
            for s in &r.skipped {
                println!("skipped: {s}");
            }
            Ok(())
        }
        Cmd::Import(ImportCmd::DailyCounts {
            file,
            db,
            jurisdiction,
            layout,
            city_code,
            source,
            skip_bad_rows,
            dry_run,
        }) => import_daily_counts(file, db, jurisdiction, layout, city_code, source, skip_bad_rows, dry_run).await,
        Cmd::Epi(EpiCmd::Rt {
            incidence,
            si_distr,
            si_mean,
            si_sd,
            window,
            prior_mean,
            prior_sd,
            cumulative,
            city_code,
        }) => {
            let args = analytics::cli::RtArgs {
                incidence,
                si_distr,
                si_mean,
                si_sd,
                window,
                prior: firebreak_epi::GammaPrior { mean: prior_mean, sd: prior_sd },
                cumulative,
                city_code,
            };
            let (out, notes) = analytics::cli::rt(&args)?;
            for n in notes {
                eprintln!("note: {n}");
            }
            print!("{out}");
            Ok(())
        }
        Cmd::Epi(EpiCmd::SerialInterval { pairs, preset: _, period, by_infectee, replicates, seed }) => {
            let basis = if by_infectee {
                firebreak_epi::PeriodBasis::InfecteeOnset
            } else {
                firebreak_epi::PeriodBasis::InfectorOnset
            };
            print!("{}", analytics::cli::serial(&analytics::cli::SiArgs { pairs, period, basis, replicates, seed })?);
            Ok(())
        }
        Cmd::Fire(cmd) => fire(cmd).await,
        Cmd::Import(ImportCmd::Linelist(a)) => import_tracing(a, FileKind::Linelist).await,
        Cmd::Import(ImportCmd::Links(a)) => import_tracing(a, FileKind::Links).await,
        Cmd::Import(ImportCmd::Itinerary(a)) => import_tracing(a, FileKind::Itinerary).await,
        Cmd::Chains(ChainsCmd::Summary { db, format, source, top }) => {
            let db = db.connect().await?;
            let loaded = firebreak::tracing::load_chains(&db, None, source.as_deref(), None).await?;
            let summary = loaded.summary(top)?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&summary)?),
                "text" => {
                    println!(
                        "cases {}\nlinks to a case {}\nlinks to an unobserved infector {}\nchains {}\nlargest chain {}",
                        summary.cases,
                        summary.links_resolved,
                        summary.links_unobserved,
                        summary.chains,
                        summary.largest_chain
                    );
                    for s in &summary.top_spreaders {
                        println!("spreader {} infected {}", s.case, s.infectees);
                    }
                }
                f => anyhow::bail!("--format {f}: json or text"),
            }
            Ok(())
        }
        Cmd::Audit(AuditCmd::Verify { db }) => {
            let db = db.connect().await?;
            let r = audit::verify(&db).await?;
            if r.ok {
                println!(
                    "audit chain intact: {} entries ({}), append-only triggers in place",
                    r.entries,
                    if r.keyed { "HMAC-keyed" } else { "unkeyed: no audit key given" }
                );
                Ok(())
            } else {
                match r.first_bad_seq {
                    Some(seq) => eprintln!("audit chain BROKEN at entry {seq}: {}", r.problem.unwrap_or_default()),
                    None => eprintln!("audit log NOT intact: {}", r.problem.unwrap_or_default()),
                }
                std::process::exit(1);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn import_daily_counts(
    file: PathBuf,
    db: DbArgs,
    jurisdiction: String,
    layout: String,
    city_code: Option<String>,
    source: Option<String>,
    skip_bad_rows: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    let layout: analytics::csvin::Layout = layout.parse().map_err(|m: String| anyhow::anyhow!("--layout {m}"))?;
    let db = db.connect().await?;
    let area = firebreak::jurisdictions::get(&db, &jurisdiction).await?.with_context(|| {
        format!("--jurisdiction {jurisdiction}: no such jurisdiction (import the admin tree first)")
    })?;
    let name = file.display().to_string();
    let text = analytics::cli::read_input(&file)?;
    let city = city_code.unwrap_or_else(|| area.code.clone());
    let parsed = analytics::csvin::parse_daily_counts(&name, &text, layout, Some(&city))?;
    let source = source.unwrap_or_else(|| name.clone());
    let r = analytics::import_counts(&db, &Actor::cli(), &area, parsed, &source, skip_bad_rows, dry_run)
        .await
        .map_err(|e| match e {
            analytics::AnalyticsError::BadRows(rows) => anyhow::anyhow!(
                "{} bad rows, nothing imported (use --skip-bad-rows to import the rest):\n  {}",
                rows.len(),
                rows.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
            ),
            other => anyhow::anyhow!("{other}"),
        })?;
    for n in &r.notes {
        println!("note: {n}");
    }
    for s in &r.skipped {
        println!("skipped: {s}");
    }
    println!(
        "{} {} days for {} ({}){}: {} new confirmed{}",
        if dry_run { "dry run: would import" } else { "imported" },
        r.rows,
        area.name,
        area.code,
        match (r.first, r.last) {
            (Some(a), Some(b)) => format!(", {a}..{b}"),
            _ => String::new(),
        },
        r.confirmed,
        if r.replaced > 0 { format!(" ({} days replaced)", r.replaced) } else { String::new() }
    );
    Ok(())
}

async fn fire(cmd: FireCmd) -> anyhow::Result<()> {
    use firebreak::fire::{self, weather};
    let read = |p: &Path| -> anyhow::Result<String> {
        if p.as_os_str() == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading standard input")?;
            Ok(s)
        } else {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
        }
    };
    let everything = firebreak::jurisdictions::Scope { code: String::new(), path: "/".into() };
    match cmd {
        FireCmd::Fwi { weather: path, start, ffmc_constant, lat_adjust, profile, lat } => {
            let params = firebreak_fwi::FwiParams {
                start: weather::start_arg(&start).map_err(anyhow::Error::msg)?,
                ffmc_constant: fire::ffmc_constant_from(ffmc_constant),
                lat_adjust,
            };
            params.validate().map_err(|e| anyhow::anyhow!("--ffmc-constant: {e}"))?;
            let profile = weather::profile_arg(&profile).map_err(anyhow::Error::msg)?;
            let text = read(&path)?;
            if lat.is_none() && weather::parse(&text, None).is_ok_and(|t| !t.has(weather::Col::Lat)) {
                eprintln!(
                    "{}: no lat column: using latitude 46°N (the 1985 tables); give --lat to change",
                    path.display()
                );
            }
            let opts = weather::FwiRun { params, profile, lat: lat.unwrap_or(46.0) };
            match weather::run_fwi(&text, &opts) {
                Ok(csv) => {
                    use std::io::Write;
                    std::io::stdout().lock().write_all(csv.as_bytes()).context("writing the output")?;
                    Ok(())
                }
                Err(errs) => {
                    for e in &errs {
                        eprintln!("{}: {e}", path.display());
                    }
                    anyhow::bail!("{}: {} bad cell(s); nothing computed", path.display(), errs.len())
                }
            }
        }
        FireCmd::AddStation { db, code, name, lat, lon, elevation, jurisdiction, start, ffmc_constant, lat_adjust } => {
            let db = db.connect().await?;
            let s = weather::start_arg(&start).map_err(anyhow::Error::msg)?;
            let input = fire::StationInput {
                code,
                name,
                lat,
                lon,
                elevation,
                jurisdiction,
                start: Some([s.ffmc(), s.dmc(), s.dc()]),
                ffmc_constant: Some(ffmc_constant),
                lat_adjust: Some(lat_adjust),
                note: None,
            };
            let code = fire::create_station(&db, &everything, &Actor::cli(), &input).await.map_err(store_error)?;
            println!("station {code} added");
            Ok(())
        }
        FireCmd::ImportWeather { file, db, station, year } => {
            let text = read(&file)?;
            let rows = fire::http::csv_rows(&text, station.as_deref(), year)
                .map_err(|errs| anyhow::anyhow!("{}: nothing imported:\n  {}", file.display(), errs.join("\n  ")))?;
            let db = db.connect().await?;
            let source =
                format!("csv:{}", file.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default());
            let reports = fire::import_observations(&db, &everything, &Actor::cli(), rows, &source)
                .await
                .map_err(|e| anyhow::anyhow!("{}: nothing imported: {}", file.display(), store_error(e)))?;
            for r in reports {
                println!(
                    "station {}: {} rows ({} new, {} changed, {} unchanged); recomputed {} days{}",
                    r.station,
                    r.rows,
                    r.new,
                    r.changed,
                    r.unchanged,
                    r.recomputed_days,
                    r.recomputed_from.map(|d| format!(" from {d}")).unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}

fn store_error(e: firebreak::people::StoreError) -> anyhow::Error {
    use firebreak::people::StoreError;
    match e {
        StoreError::Invalid(errs) => {
            anyhow::anyhow!("{}", errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn import_tracing(a: TracingImportArgs, kind: FileKind) -> anyhow::Result<()> {
    let preset = Preset::parse(&a.preset).with_context(|| {
        format!("--preset {}: one of {}", a.preset, Preset::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", "))
    })?;
    let db = Db::connect(&a.db.url()?).await?;
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let name = a.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let today = chrono::Utc::now().date_naive();
    let batch = tracing_import::parse(preset, kind, &name, &bytes, today)?;
    let total = (batch.cases.len() + batch.links.len() + batch.visits.len()) as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} records, {elapsed} (eta {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(name.clone());
    let progress = |n: u64| bar.set_position(n);
    let actor = Actor::cli();
    let opts = tracing_import::ImportOptions {
        actor: &actor,
        attach_to: a.attach_to.clone(),
        scope: None,
        skip_bad_rows: a.skip_bad_rows,
        dry_run: a.dry_run,
        progress: Some(&progress),
    };
    let r = tracing_import::write(&db, batch, &opts).await;
    bar.finish_and_clear();
    let r = r.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{} {}: {} rows; cases {} new, {} already there; links {} new ({} to an unobserved infector), {} already there; \
         itinerary {} new, {} already there; {} new places under {}",
        if a.dry_run { "dry run: would import" } else { "imported" },
        r.file,
        r.rows,
        r.cases_new,
        r.cases_existing,
        r.links_new,
        r.links_unobserved,
        r.links_existing,
        r.visits_new,
        r.visits_existing,
        r.places_new,
        r.root
    );
    for s in &r.skipped {
        println!("skipped: {s}");
    }
    for w in &r.warnings {
        println!("{w}");
    }
    Ok(())
}

fn user_error(e: auth::UserError) -> anyhow::Error {
    match e {
        auth::UserError::Invalid(errs) => {
            anyhow::anyhow!("{}", errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn demo(port: u16, data_dir: &Path) -> anyhow::Result<()> {
    let url = sqlite_url(data_dir)?;
    audit::set_key(audit::load_key_file(&data_dir.join("audit.key"), true)?);
    let db = Db::connect(&url).await?;
    let pw_file = data_dir.join("demo-password.txt");
    let password = match std::fs::read_to_string(&pw_file) {
        Ok(p) if !p.trim().is_empty() => p.trim().to_string(),
        _ => {
            let p = format!("demo-{}", &firebreak::auth::session::random_token()[..12]);
            std::fs::write(&pw_file, &p).with_context(|| format!("writing {}", pw_file.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&pw_file, std::fs::Permissions::from_mode(0o600));
            }
            p
        }
    };
    let t0 = std::time::Instant::now();
    if firebreak::demo::load(&db, &password).await? {
        println!("loaded the demo data into {url} in {:.1} s", t0.elapsed().as_secs_f64());
    } else {
        println!("reusing the data in {url}");
    }
    let traces = data_dir.join("traces");
    let t1 = std::time::Instant::now();
    firebreak::demo::load_traces(&db, &traces).await?;
    println!("demo location traces in {} ({:.1} s)", traces.display(), t1.elapsed().as_secs_f64());
    let bind = SocketAddr::from(([127, 0, 0, 1], port));
    println!("\nfirebreak demo: http://{bind}/");
    println!("  log in as admin / {password}   (city administrator, 衡阳市)");
    println!(
        "  other demo accounts, same password: commander, hengshan (衡山县), changning (常宁市), gaozhu (高竹村委会), auditor"
    );
    println!("  API docs: http://{bind}/api/docs/   Ctrl-C stops.\n");
    serve(db, bind, Config { secure_cookies: false, trace_store: Some(traces), ..Config::default() }).await
}

async fn serve(db: Db, bind: SocketAddr, cfg: Config) -> anyhow::Result<()> {
    let state = AppState { db, cfg: Arc::new(cfg), throttle: Arc::default() };
    let app = web::app(state);
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("listening on {bind}"))?;
    tracing::info!(%bind, "serving");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}
