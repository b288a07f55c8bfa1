//! Named column mappings (导入列映射): a user's file whose columns carry other names is read
//! with a preset by renaming its columns to the preset's. Saved in the database per kind of file
//! (`import_mappings`), chosen by name on the import page and the API (`mapping=`).

use super::import::{ColumnMapping, FileKind, Preset};
use crate::audit::{Actor, AuditEvent};
use crate::db::{BeginWrite, Db};
use crate::domain::{DomainError, check_len, check_text};
use crate::people::StoreError;
use crate::{audit_append, db_run};
use serde::{Deserialize, Serialize};

/// The columns a preset reads from a file of `kind` (what a mapping may rename).
pub fn preset_columns(preset: Preset, kind: FileKind) -> Vec<String> {
    let v: &[&str] = match (preset, kind) {
        (Preset::Ds4c, FileKind::Linelist) => &[
            "patient_id",
            "sex",
            "province",
            "city",
            "infection_case",
            "infected_by",
            "symptom_onset_date",
            "confirmed_date",
            "released_date",
            "deceased_date",
            "state",
        ],
        (Preset::Ds4c, FileKind::Itinerary) => {
            &["patient_id", "date", "province", "city", "type", "latitude", "longitude"]
        }
        (Preset::EbolaSim, FileKind::Linelist) => &[
            "case_id",
            "date_of_infection",
            "date_of_onset",
            "date_of_hospitalisation",
            "date_of_outcome",
            "outcome",
            "gender",
            "hospital",
        ],
        (Preset::EbolaSim, FileKind::Links) => &["infector", "case_id", "source"],
        (Preset::Tianjin, FileKind::Linelist) => &[
            "case_id",
            "gender",
            "symptom_onset",
            "symptom_type",
            "confirm_date",
            "Infection_source",
            "start_source",
            "end_source",
            "severity",
            "death",
        ],
        (Preset::Ali2020Pairs, FileKind::Linelist | FileKind::Links) => {
            let mut out = vec![];
            for role in ["infector", "infectee"] {
                for f in [
                    "id",
                    "sex",
                    "reportCity",
                    "onsetDate",
                    "isolateDate_beforeSymptom",
                    "isolateDate_afterSymptom",
                    "labConfirmDate",
                    "disclosureDate",
                ] {
                    out.push(format!("{role}_{f}"));
                }
            }
            out.push("isHousehold".into());
            out.push("infectee_relation_to_infector".into());
            return out;
        }
        _ => &[],
    };
    v.iter().map(|s| s.to_string()).collect()
}

pub fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Linelist => "linelist",
        FileKind::Links => "links",
        FileKind::Itinerary => "itinerary",
    }
}

pub fn parse_kind(s: &str) -> Option<FileKind> {
    match s.trim() {
        "linelist" | "" => Some(FileKind::Linelist),
        "links" => Some(FileKind::Links),
        "itinerary" => Some(FileKind::Itinerary),
        _ => None,
    }
}

/// A saved mapping.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mapping {
    pub name: String,
    /// linelist, links, itinerary.
    pub kind: String,
    /// The preset whose columns the file's are renamed to.
    pub preset: String,
    /// Preset column → column header in the user's file ("" when the file has no such column).
    #[schema(value_type = Object)]
    pub columns: ColumnMapping,
}

#[derive(sqlx::FromRow)]
struct Row {
    name: String,
    kind: String,
    source: String,
    columns: String,
}

impl Row {
    fn into_mapping(self) -> Mapping {
        Mapping {
            name: self.name,
            kind: self.kind,
            preset: self.source,
            columns: serde_json::from_str(&self.columns).unwrap_or_default(),
        }
    }
}

/// Saved mappings (of one kind of file, or all), by name.
pub async fn list(db: &Db, kind: Option<&str>) -> Result<Vec<Mapping>, StoreError> {
    let rows: Vec<Row> = db_run!(db, p => sqlx::query_as::<_, Row>(
        "SELECT name, kind, source, columns FROM import_mappings WHERE kind LIKE $1 ORDER BY kind, name")
        .bind(kind.unwrap_or("%")).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Row::into_mapping).collect())
}

/// The mapping `name` for files of `kind`.
pub async fn get(db: &Db, kind: FileKind, name: &str) -> Result<Mapping, StoreError> {
    let row: Option<Row> = db_run!(db, p => sqlx::query_as::<_, Row>(
        "SELECT name, kind, source, columns FROM import_mappings WHERE kind = $1 AND name = $2")
        .bind(kind_name(kind)).bind(name.trim()).fetch_optional(p).await)?;
    row.map(Row::into_mapping).ok_or_else(|| {
        StoreError::Invalid(vec![DomainError::new(
            "mapping",
            format!("no saved mapping \"{name}\" for {} files", kind_name(kind)),
        )])
    })
}

/// Saves (creates or replaces) a mapping; every key must be a column of the preset for that
/// kind of file. Audited.
pub async fn save(db: &Db, actor: &Actor, m: &Mapping) -> Result<(), StoreError> {
    let mut e = vec![];
    let name = m.name.trim().to_string();
    if name.is_empty() {
        e.push(DomainError::new("name", "is required"));
    } else if let Err(x) = check_len("name", &name, 50).and_then(|_| check_text("name", &name)) {
        e.push(x);
    }
    let kind = parse_kind(&m.kind);
    if kind.is_none() {
        e.push(DomainError::new("kind", format!("\"{}\": linelist, links or itinerary", m.kind)));
    }
    let preset = Preset::parse(&m.preset);
    if preset.is_none() {
        e.push(DomainError::new("preset", format!("\"{}\": ds4c, ebola-sim, ali2020-pairs or tianjin", m.preset)));
    }
    if let (Some(p), Some(k)) = (preset, kind) {
        let cols = preset_columns(p, k);
        if cols.is_empty() {
            e.push(DomainError::new("kind", format!("preset {} reads no {} file", p.name(), kind_name(k))));
        }
        for (from, to) in &m.columns {
            if !cols.contains(from) {
                e.push(DomainError::new(
                    "columns",
                    format!("\"{from}\" is not a column of {} (columns: {})", p.name(), cols.join(", ")),
                ));
            }
            if let Err(x) = check_len("columns", to, 100).and_then(|_| check_text("columns", to)) {
                e.push(x);
            }
        }
        if m.columns.is_empty() {
            e.push(DomainError::new("columns", "map at least one column"));
        }
    }
    let (Some(kind), Some(preset)) = (kind, preset) else { return Err(StoreError::Invalid(e)) };
    if !e.is_empty() {
        return Err(StoreError::Invalid(e));
    }
    let json = serde_json::to_string(&m.columns).unwrap_or_default();
    let now = crate::db::now();
    db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        sqlx::query("INSERT INTO import_mappings (name, kind, source, columns, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (kind, name) DO UPDATE SET source = excluded.source, columns = excluded.columns, updated_at = excluded.updated_at")
            .bind(&name).bind(kind_name(kind)).bind(preset.name()).bind(&json).bind(&actor.username).bind(now).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "update", "import_mapping").id(format!("{}/{name}", kind_name(kind)))
            .detail(serde_json::json!({"preset": preset.name(), "columns": m.columns}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }.await)?;
    Ok(())
}
