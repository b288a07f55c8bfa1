//! `firebreak import jurisdictions DIR`: loads an admin tree from the CSV layout of the npm
//! package `china-division` (the layout of `data/jurisdictions/hengyang_430400`):
//!
//! | file | columns used | level |
//! |---|---|---|
//! | `cities.csv` (optional) | `code` (4 or 6 digits), `name` | city |
//! | `areas.csv` | `code` (6), `name`, `cityCode` | county / district |
//! | `streets.csv` | `code` (9), `name`, `areaCode` | township / street |
//! | `villages.csv` | `code` (12), `name`, `streetCode` | village / community |
//!
//! Without `cities.csv` the city's name comes from `--city-name`. Rows are matched by code, so a
//! second import of the same files changes nothing. The import is one transaction: all rows or
//! none, unless `skip_bad_rows` is set, in which case bad rows (and rows under them) are left out
//! and listed.

use super::LEVELS;
use crate::audit::{Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::domain::{AdminCode, check_len};
use crate::{audit_append, db_run};
use anyhow::Context;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One problem with one row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RowError {
    pub file: String,
    /// 1-based line number in the file, counting the header as line 1.
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, line {}, column {}: {}", self.file, self.line, self.column, self.message)
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub new: usize,
    pub existing: usize,
    pub by_level: Vec<(String, usize)>,
    pub skipped: Vec<RowError>,
    pub dry_run: bool,
}

/// A parsed row, before its path is known.
#[derive(Debug, Clone)]
pub struct Row {
    pub code: AdminCode,
    pub name: String,
    pub level: &'static str,
    pub parent: Option<String>,
    pub file: String,
    pub line: u64,
}

/// Reads and checks the CSV files of `dir`. Returns the good rows in parent-first order and the
/// problems found (missing files and columns are hard errors).
pub fn read_dir(dir: &Path, city_name: Option<&str>) -> anyhow::Result<(Vec<Row>, Vec<RowError>)> {
    let read = |f: &str| -> anyhow::Result<String> {
        let p = dir.join(f);
        std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))
    };
    let cities = if dir.join("cities.csv").exists() { Some(read("cities.csv")?) } else { None };
    read_texts(cities.as_deref(), &read("areas.csv")?, &read("streets.csv")?, &read("villages.csv")?, city_name)
}

/// The same from the files' contents (the demo passes the copies embedded in the binary).
pub fn read_texts(
    cities: Option<&str>,
    areas: &str,
    streets: &str,
    villages: &str,
    city_name: Option<&str>,
) -> anyhow::Result<(Vec<Row>, Vec<RowError>)> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    if let Some(text) = cities {
        read_file("cities.csv", text, "city", None, &mut rows, &mut errors)?;
    } else {
        // Derive the city from areas.csv's cityCode.
        let mut rdr = csv::Reader::from_reader(areas.as_bytes());
        let headers = rdr.headers().context("reading the header of areas.csv")?.clone();
        let idx = headers.iter().position(|h| h.trim() == "cityCode").context("areas.csv: missing column cityCode")?;
        let first = rdr.records().next().transpose()?.context("areas.csv has no rows")?;
        let code = AdminCode::parse(first.get(idx).unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("areas.csv, line 2, column cityCode: {e}"))?;
        let name = city_name.with_context(|| {
            format!("there is no cities.csv: give the city's name with --city-name (its code is {code})")
        })?;
        rows.push(Row {
            code,
            name: name.to_string(),
            level: "city",
            parent: None,
            file: "--city-name".into(),
            line: 0,
        });
    }
    read_file("areas.csv", areas, "county", Some("cityCode"), &mut rows, &mut errors)?;
    read_file("streets.csv", streets, "township", Some("areaCode"), &mut rows, &mut errors)?;
    read_file("villages.csv", villages, "village", Some("streetCode"), &mut rows, &mut errors)?;
    Ok((rows, errors))
}

fn read_file(
    fname: &str,
    text: &str,
    level: &'static str,
    parent_col: Option<&str>,
    rows: &mut Vec<Row>,
    errors: &mut Vec<RowError>,
) -> anyhow::Result<()> {
    let fname = fname.to_string();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = rdr.headers().with_context(|| format!("reading the header of {fname}"))?.clone();
    let col = |name: &str| -> anyhow::Result<usize> {
        headers.iter().position(|h| h.trim() == name).with_context(|| {
            format!("{fname}: missing column {name} (columns found: {})", headers.iter().collect::<Vec<_>>().join(", "))
        })
    };
    let code_i = col("code")?;
    let name_i = col("name")?;
    let parent_i = parent_col.map(col).transpose()?;
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let err =
            |column: &str, message: String| RowError { file: fname.clone(), line, column: column.into(), message };
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(err("*", format!("unreadable row: {e}")));
                continue;
            }
        };
        let code = match AdminCode::parse(rec.get(code_i).unwrap_or_default()) {
            Ok(c) => c,
            Err(e) => {
                errors.push(err("code", e.to_string()));
                continue;
            }
        };
        let name = rec.get(name_i).unwrap_or_default().trim().to_string();
        if name.is_empty() {
            errors.push(err("name", "is empty".into()));
            continue;
        }
        if let Err(e) = check_len("name", &name, 100) {
            errors.push(err("name", e.to_string()));
            continue;
        }
        let parent = match parent_i {
            None => None,
            Some(pi) => match AdminCode::parse(rec.get(pi).unwrap_or_default()) {
                Ok(c) => Some(c.to_string()),
                Err(e) => {
                    errors.push(err(parent_col.unwrap_or_default(), e.to_string()));
                    continue;
                }
            },
        };
        rows.push(Row { code, name, level, parent, file: fname.clone(), line });
    }
    Ok(())
}

/// Imports `rows` (parent-first) into the database in one transaction.
///
/// A row whose parent is neither in the file nor in the database, or whose code appears twice,
/// is an error. With `skip_bad_rows` false, any error aborts the import with nothing written.
pub async fn import_rows(
    db: &Db,
    actor: &Actor,
    rows: Vec<Row>,
    mut errors: Vec<RowError>,
    skip_bad_rows: bool,
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    // Existing paths, to attach rows to nodes already stored.
    let existing: HashMap<String, String> =
        db_run!(db, p => sqlx::query_as::<_, (String, String)>("SELECT code, path FROM jurisdictions")
        .fetch_all(p).await)?
        .into_iter()
        .collect();
    let mut paths: HashMap<String, String> = HashMap::new();
    let mut seen = HashSet::new();
    let mut good: Vec<(Row, String)> = Vec::with_capacity(rows.len());
    for r in rows {
        let code = r.code.to_string();
        if !seen.insert(code.clone()) {
            errors.push(RowError {
                file: r.file,
                line: r.line,
                column: "code".into(),
                message: format!("{code} appears twice"),
            });
            continue;
        }
        let parent_path = match &r.parent {
            None => Some(String::from("/")),
            Some(pc) => paths.get(pc).or_else(|| existing.get(pc)).cloned(),
        };
        let Some(pp) = parent_path else {
            errors.push(RowError {
                file: r.file.clone(),
                line: r.line,
                column: "parent".into(),
                message: format!("parent {} is not in the files or the database", r.parent.clone().unwrap_or_default()),
            });
            continue;
        };
        let path = format!("{pp}{code}/");
        paths.insert(code, path.clone());
        good.push((r, path));
    }
    if !errors.is_empty() && !skip_bad_rows {
        let shown: Vec<String> = errors.iter().take(20).map(ToString::to_string).collect();
        anyhow::bail!(
            "{} bad row(s); nothing was imported (use --skip-bad-rows to import the rest):\n  {}{}",
            errors.len(),
            shown.join("\n  "),
            if errors.len() > 20 { "\n  …" } else { "" }
        );
    }
    let mut report = ImportReport { rows: good.len(), dry_run, skipped: errors, ..Default::default() };
    for l in LEVELS {
        let n = good.iter().filter(|(r, _)| r.level == l).count();
        if n > 0 {
            report.by_level.push((l.to_string(), n));
        }
    }
    report.existing = good.iter().filter(|(r, _)| existing.contains_key(r.code.as_str())).count();
    report.new = report.rows - report.existing;
    if dry_run {
        return Ok(report);
    }
    let ev = AuditEvent::new(actor, "import", "jurisdictions").detail(serde_json::json!({
        "rows": report.rows, "new": report.new, "skipped": report.skipped.len()
    }));
    db_run!(db, p => {
        let mut tx = p.begin_write().await?;
        for (r, path) in &good {
            sqlx::query(
                "INSERT INTO jurisdictions (code, name, level, parent_code, path, stat_code) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code, \
                 path = excluded.path, stat_code = excluded.stat_code",
            )
            .bind(r.code.as_str())
            .bind(&r.name)
            .bind(r.level)
            .bind(r.parent.as_deref())
            .bind(path)
            .bind(r.code.statistical())
            .execute(&mut *tx)
            .await?;
        }
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })
    .context("writing jurisdictions")?;
    Ok(report)
}
