//! The `firebreak` command: serve the platform, run the demo, manage users, import data, verify
//! the audit trail.
#![forbid(unsafe_code)]

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use firebreak::audit::{self, Actor};
use firebreak::auth::{self, NewUser};
use firebreak::db::{DatabaseUrl, Db};
use firebreak::jurisdictions::import;
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
}

#[derive(Args, Clone)]
struct DbArgs {
    /// sqlite://PATH or postgres://USER@HOST/DB (also from FIREBREAK_DATABASE_URL).
    #[arg(long, env = "FIREBREAK_DATABASE_URL")]
    database_url: Option<String>,
    /// Use the SQLite database DIR/firebreak.db (when no --database-url is given).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

impl DbArgs {
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
        Cmd::Sim(firebreak::traces::cli::SimCmd::Traces(a)) => firebreak::traces::cli::sim(a),
        Cmd::Serve { db, bind, secure_cookies, trace_store } => {
            let db = Db::connect(&db.url()?).await?;
            let admins = auth::list(&db, None).await?.into_iter().filter(|u| u.role == "admin" && u.active).count();
            if admins == 0 {
                anyhow::bail!(
                    "no administrator yet: import jurisdictions (firebreak import jurisdictions DIR …) and create one with \
                     firebreak user add --role admin … --password-stdin"
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
            let db = Db::connect(&db.url()?).await?;
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
            let db = Db::connect(&db.url()?).await?;
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
            let db = Db::connect(&db.url()?).await?;
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
            let db = Db::connect(&db.url()?).await?;
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
        Cmd::Audit(AuditCmd::Verify { db }) => {
            let db = Db::connect(&db.url()?).await?;
            let r = audit::verify(&db).await?;
            if r.ok {
                println!("audit chain intact: {} entries", r.entries);
                Ok(())
            } else {
                eprintln!(
                    "audit chain BROKEN at entry {}: {}",
                    r.first_bad_seq.unwrap_or_default(),
                    r.problem.unwrap_or_default()
                );
                std::process::exit(1);
            }
        }
    }
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
    let bind = SocketAddr::from(([127, 0, 0, 1], port));
    println!("\nfirebreak demo: http://{bind}/");
    println!("  log in as admin / {password}   (city administrator, 衡阳市)");
    println!(
        "  other demo accounts, same password: commander, hengshan (衡山县), changning (常宁市), gaozhu (高竹村), auditor"
    );
    println!("  API docs: http://{bind}/api/docs/   Ctrl-C stops.\n");
    serve(db, bind, Config { secure_cookies: false, ..Config::default() }).await
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
