//! Investigation-desk benchmark on synthetic DS4C-format line lists (17 provinces × 10 cities):
//! import of N rows with validation (one transaction), and the line-list page (50 rows, filtered
//! by one province, newest report first, with the total) on SQLite: p50 / p95 over 100 requests.
//!
//! Run: cargo run --release --example bench_tracing -- 100000 [1000000]
//! (first number: the rows of the import benchmark; second, optional: the cases for the
//! line-list benchmark, imported in chunks of 100,000.)

use firebreak::audit::Actor;
use firebreak::db::{DatabaseUrl, Db};
use firebreak::tracing::import::{self, FileKind, ImportOptions, Preset};
use std::time::Instant;

const PROVINCES: [&str; 17] = [
    "Seoul",
    "Busan",
    "Daegu",
    "Incheon",
    "Gwangju",
    "Daejeon",
    "Ulsan",
    "Sejong",
    "Gyeonggi-do",
    "Gangwon-do",
    "Chungcheongbuk-do",
    "Chungcheongnam-do",
    "Jeollabuk-do",
    "Jeollanam-do",
    "Gyeongsangbuk-do",
    "Gyeongsangnam-do",
    "Jeju-do",
];

fn csv(from: u64, n: u64) -> String {
    let mut s = String::from(
        "patient_id,global_num,sex,birth_year,age,country,province,city,disease,infection_case,infection_order,infected_by,contact_number,symptom_onset_date,confirmed_date,released_date,deceased_date,state\n",
    );
    for i in from..from + n {
        let p = PROVINCES[(i % 17) as usize];
        let city = format!("city-{}", (i / 17) % 10);
        let day = 1 + (i % 28);
        let month = 1 + (i / 28) % 5;
        // Every third case names an earlier one as its infector (some before this chunk: unobserved
        // within the chunk, resolved by the store).
        let inf = if i % 3 == 1 && i > 10 { format!("{}", 1_000_000_000 + i - 7) } else { String::new() };
        s.push_str(&format!(
            "{},{i},{},1980,40s,Korea,{p},{city},,contact with patient,,{inf},3,2020-{month:02}-{day:02},2020-{month:02}-{:02},,,isolated\n",
            1_000_000_000 + i,
            if i % 2 == 0 { "male" } else { "female" },
            (day + 1).min(28)
        ));
    }
    s
}

async fn import(db: &Db, from: u64, n: u64) -> anyhow::Result<f64> {
    let text = csv(from, n);
    let t = Instant::now();
    let today = chrono::Utc::now().date_naive();
    let batch = import::parse(Preset::Ds4c, FileKind::Linelist, "synthetic.csv", text.as_bytes(), today)?;
    let actor = Actor::system();
    let o = ImportOptions {
        actor: &actor,
        attach_to: None,
        scope: None,
        skip_bad_rows: false,
        dry_run: false,
        progress: None,
    };
    let r = import::write(db, batch, &o).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(r.cases_new as u64 == n, "imported {} of {n}", r.cases_new);
    Ok(t.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(100_000);
    let big = args.get(1).copied();
    let dir = tempfile::tempdir()?;
    let db = Db::connect(&DatabaseUrl(format!("sqlite://{}", dir.path().join("bench.db").display()))).await?;
    let secs = import(&db, 0, n).await?;
    println!("import of {n} rows (parse, validate, write, chains): {secs:.1} s");
    let again = Instant::now();
    let text = csv(0, n);
    let batch = import::parse(
        Preset::Ds4c,
        FileKind::Linelist,
        "synthetic.csv",
        text.as_bytes(),
        chrono::Utc::now().date_naive(),
    )?;
    let actor = Actor::system();
    let o = ImportOptions {
        actor: &actor,
        attach_to: None,
        scope: None,
        skip_bad_rows: false,
        dry_run: false,
        progress: None,
    };
    import::write(&db, batch, &o).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("re-import of the same {n} rows (nothing written): {:.1} s", again.elapsed().as_secs_f64());
    if let Some(total) = big {
        let mut done = n;
        while done < total {
            let chunk = (total - done).min(100_000);
            import(&db, done, chunk).await?;
            done += chunk;
        }
        println!("line list: {done} cases stored");
    }
    let scope = firebreak::jurisdictions::scope_of(&db, "x-ds4c").await?.ok_or_else(|| anyhow::anyhow!("no root"))?;
    let mut times = Vec::new();
    for i in 0..100u32 {
        let f = firebreak::tracing::CaseFilter {
            jurisdiction: Some(format!("x-ds4c-{}", PROVINCES[(i % 17) as usize].to_ascii_lowercase())),
            page: Some(1 + i % 5),
            ..Default::default()
        };
        let t = Instant::now();
        let (rows, total) = firebreak::tracing::list(&db, &scope, &actor, &f).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(rows.len() == 50 && total > 0, "page {i}: {} rows of {total}", rows.len());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "line-list page (50 rows, one province, newest first, with total), {} cases: p50 {:.1} ms, p95 {:.1} ms",
        big.unwrap_or(n).max(n),
        times[49],
        times[94]
    );
    Ok(())
}
