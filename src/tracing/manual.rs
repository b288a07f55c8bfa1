//! Manual entry on the investigation desk (手工录入): cases typed in by an investigator, their
//! itinerary (places shared between cases), exposures (person–person, person-at-place) and
//! infector → infectee links.
//!
//! Every function takes the caller's [`Scope`]: the case, the people, the places and the
//! jurisdictions it touches must lie inside it (a case or person outside is
//! [`StoreError::NotFound`], recorded as `denied`; a jurisdiction outside is
//! [`StoreError::Forbidden`]). Every write is one transaction with its audit entry, and is followed
//! by the recomputation of the contacts it may change ([`super::policy::recompute_case`]) and,
//! for links, of the chains ([`super::refresh_chains`]).
//!
//! Other slices call [`create_case`] and [`add_link`] directly: the quarantine desk (issue 4)
//! turns a person under quarantine who tests positive into a case (`how_found = "quarantine"`)
//! and links it to the case that exposed them.

use super::{CERTAINTIES, CLASSIFICATIONS, EXPOSURE_KINDS, HOW_FOUND, PROTECTIONS, policy};
use crate::audit::{self, Actor, AuditEvent};
use crate::db::{BeginWrite, Db, is_unique_violation};
use crate::domain::{DomainError, check_len, check_text};
use crate::jurisdictions::{self, Scope};
use crate::people::StoreError;
use crate::{audit_append, db_run};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// `cases.source` of cases typed in here; their `source_id` is `M<case id>`.
pub const MANUAL_SOURCE: &str = "manual";

/// Kinds of place (活动轨迹场所类型).
pub const PLACE_KINDS: [&str; 10] =
    ["home", "workplace", "shop", "restaurant", "transport", "hospital", "school", "gathering", "worship", "other"];

/// The day "today" in China (UTC+8): dates after it are refused as in the future.
pub fn today_cn() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn invalid(field: &'static str, m: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![DomainError::new(field, m)])
}

/// Parses an optional `YYYY-MM-DD` form/API value, collecting a problem naming `field`.
fn opt_date(errs: &mut Vec<DomainError>, field: &'static str, v: Option<&str>) -> Option<NaiveDate> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(DomainError::new(field, format!("\"{v}\" is not a date (YYYY-MM-DD)")));
            None
        }
    }
}

fn opt_text(errs: &mut Vec<DomainError>, field: &'static str, v: Option<&str>, max: usize) -> Option<String> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    if let Err(e) = check_len(field, v, max).and_then(|_| check_text(field, v)) {
        errs.push(e);
        return None;
    }
    Some(v.to_string())
}

fn one_of(errs: &mut Vec<DomainError>, field: &'static str, v: &str, allowed: &[&str]) {
    if !allowed.contains(&v) {
        errs.push(DomainError::new(field, format!("\"{v}\": one of {}", allowed.join(", "))));
    }
}

/// Records a refusal to place something in a jurisdiction outside the scope, and passes it on.
async fn denied(db: &Db, actor: &Actor, entity: &'static str, code: &str, e: StoreError) -> StoreError {
    if let StoreError::Forbidden(m) = &e {
        let ev = AuditEvent::new(actor, "denied", entity)
            .jurisdiction(code)
            .detail(serde_json::json!({"op": "create", "reason": m}));
        if let Err(err) = audit::record(db, ev).await {
            return StoreError::Db(err);
        }
    }
    e
}

// ------------------------------------------------------------------------------------- cases

/// A case typed in by an investigator (or created by another slice). The person comes from the
/// people registry (register them first with [`crate::people::create`]); a person has at most
/// one case.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    /// `people.id`; must be inside the caller's scope.
    pub person_id: i64,
    /// `confirmed`, `asymptomatic`, `suspected` or `probable`.
    pub classification: String,
    /// `clinic`, `lab`, `mass_testing`, `checkpoint`, `quarantine`, `contact_follow_up`, `other`.
    pub how_found: Option<String>,
    /// Jurisdiction code that reports the case (default: the person's home jurisdiction). It
    /// decides who sees the case, so it must lie inside the caller's scope.
    pub reporting_jurisdiction: Option<String>,
    /// Home jurisdiction (default: the person's).
    pub home_jurisdiction: Option<String>,
    pub exposure_start: Option<NaiveDate>,
    pub exposure_end: Option<NaiveDate>,
    pub onset_date: Option<NaiveDate>,
    pub sampling_date: Option<NaiveDate>,
    /// Default: today (China time).
    pub report_date: Option<NaiveDate>,
    pub diagnosis_date: Option<NaiveDate>,
    pub isolation_date: Option<NaiveDate>,
    /// `recovered`, `died`, `in_care`, `unknown`.
    pub outcome: Option<String>,
    pub outcome_date: Option<NaiveDate>,
    pub severity: Option<String>,
    pub notes: Option<String>,
    /// Reason written in the classification history (default "手工录入 entered by hand").
    pub reason: Option<String>,
}

/// [`NewCase`] as the API and the web form send it (dates as `YYYY-MM-DD` text).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewCaseInput {
    pub person_id: i64,
    pub classification: String,
    #[serde(default)]
    pub how_found: Option<String>,
    #[serde(default)]
    pub reporting_jurisdiction: Option<String>,
    #[serde(default)]
    pub home_jurisdiction: Option<String>,
    #[serde(default)]
    pub exposure_start: Option<String>,
    #[serde(default)]
    pub exposure_end: Option<String>,
    #[serde(default)]
    pub onset_date: Option<String>,
    #[serde(default)]
    pub sampling_date: Option<String>,
    #[serde(default)]
    pub report_date: Option<String>,
    #[serde(default)]
    pub diagnosis_date: Option<String>,
    #[serde(default)]
    pub isolation_date: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub outcome_date: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

impl NewCaseInput {
    /// Parses the dates; every problem names its field.
    pub fn parse(&self) -> Result<NewCase, Vec<DomainError>> {
        let mut e = vec![];
        let nz = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let c = NewCase {
            person_id: self.person_id,
            classification: self.classification.trim().to_string(),
            how_found: nz(&self.how_found),
            reporting_jurisdiction: nz(&self.reporting_jurisdiction),
            home_jurisdiction: nz(&self.home_jurisdiction),
            exposure_start: opt_date(&mut e, "exposure_start", self.exposure_start.as_deref()),
            exposure_end: opt_date(&mut e, "exposure_end", self.exposure_end.as_deref()),
            onset_date: opt_date(&mut e, "onset_date", self.onset_date.as_deref()),
            sampling_date: opt_date(&mut e, "sampling_date", self.sampling_date.as_deref()),
            report_date: opt_date(&mut e, "report_date", self.report_date.as_deref()),
            diagnosis_date: opt_date(&mut e, "diagnosis_date", self.diagnosis_date.as_deref()),
            isolation_date: opt_date(&mut e, "isolation_date", self.isolation_date.as_deref()),
            outcome: nz(&self.outcome),
            outcome_date: opt_date(&mut e, "outcome_date", self.outcome_date.as_deref()),
            severity: nz(&self.severity),
            notes: nz(&self.notes),
            reason: nz(&self.reason),
        };
        if e.is_empty() { Ok(c) } else { Err(e) }
    }
}

/// Checks a case's vocabularies and the order of its dates (shared by manual entry and imports
/// that update a case). `today` bounds every date.
pub fn check_case(c: &NewCase, today: NaiveDate) -> Vec<DomainError> {
    let mut e = vec![];
    one_of(&mut e, "classification", &c.classification, &CLASSIFICATIONS);
    if let Some(h) = &c.how_found {
        one_of(&mut e, "how_found", h, &HOW_FOUND);
    }
    if let Some(o) = &c.outcome {
        one_of(&mut e, "outcome", o, &["recovered", "died", "in_care", "unknown"]);
    }
    let dates = [
        ("exposure_start", c.exposure_start),
        ("exposure_end", c.exposure_end),
        ("onset_date", c.onset_date),
        ("sampling_date", c.sampling_date),
        ("report_date", c.report_date),
        ("diagnosis_date", c.diagnosis_date),
        ("isolation_date", c.isolation_date),
        ("outcome_date", c.outcome_date),
    ];
    for (f, d) in dates {
        if let Some(d) = d
            && d > today
        {
            e.push(DomainError::new(f, format!("{d} is in the future")));
        }
    }
    let before = |e: &mut Vec<DomainError>, f: &'static str, a: Option<NaiveDate>, b: Option<NaiveDate>, what: &str| {
        if let (Some(a), Some(b)) = (a, b)
            && a > b
        {
            e.push(DomainError::new(f, format!("{a} is after {what} {b}")));
        }
    };
    before(&mut e, "exposure_start", c.exposure_start, c.exposure_end, "the end of the exposure window");
    before(&mut e, "exposure_end", c.exposure_end, c.onset_date, "the symptom onset");
    before(&mut e, "onset_date", c.onset_date, c.outcome_date, "the outcome date");
    before(&mut e, "sampling_date", c.sampling_date, c.diagnosis_date, "the diagnosis");
    before(&mut e, "diagnosis_date", c.diagnosis_date, c.outcome_date, "the outcome date");
    if c.outcome_date.is_some() && c.outcome.is_none() {
        e.push(DomainError::new("outcome", "an outcome date needs an outcome"));
    }
    for (f, v, max) in [("severity", &c.severity, 50), ("notes", &c.notes, 2000), ("reason", &c.reason, 500)] {
        if let Some(v) = v
            && let Err(x) = check_len(f, v, max).and_then(|_| check_text(f, v))
        {
            e.push(x);
        }
    }
    e
}

/// Creates a case for a registered person, typed in by hand (source `manual`, source id
/// `M<case id>`). Returns the case id.
///
/// - The person must be inside `scope` (else [`StoreError::NotFound`], recorded as `denied`) and
///   must not already be a case ([`StoreError::Conflict`] on `person_id`, naming that case).
/// - The reporting jurisdiction (default: the person's) must be inside `scope`
///   ([`StoreError::Forbidden`], recorded).
/// - Dates: none in the future (China time), exposure ≤ onset ≤ outcome, sampling ≤ diagnosis.
///
/// Writes the case, the first entry of its classification history and the audit entry in one
/// transaction, then recomputes the contacts of every case that involves the person.
pub async fn create_case(db: &Db, scope: &Scope, actor: &Actor, c: &NewCase) -> Result<i64, StoreError> {
    let errs = check_case(c, today_cn());
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let person = crate::people::get(db, scope, actor, c.person_id).await?;
    let reporting = c.reporting_jurisdiction.clone().unwrap_or_else(|| person.jurisdiction_code.clone());
    let home = c.home_jurisdiction.clone().unwrap_or_else(|| person.jurisdiction_code.clone());
    let rj = match jurisdictions::in_scope(db, scope, &reporting).await {
        Ok(j) => j,
        Err(e) => return Err(denied(db, actor, "case", &reporting, e).await),
    };
    let hj = match jurisdictions::get(db, &home).await? {
        Some(j) => j,
        None => return Err(invalid("home_jurisdiction", format!("\"{home}\" is not a known jurisdiction code"))),
    };
    let existing: Option<(i64, String)> = db_run!(db, p => sqlx::query_as::<_, (i64, String)>(
        "SELECT id, source_id FROM cases WHERE person_id = $1 ORDER BY id LIMIT 1")
        .bind(person.id).fetch_optional(p).await)?;
    if let Some((id, sid)) = existing {
        return Err(StoreError::Conflict {
            field: "person_id",
            message: format!("{} is already case {sid} (#{id}): reclassify that case instead", person.name),
        });
    }
    let now = crate::db::now();
    let report = c.report_date.or(Some(today_cn()));
    let reason = c.reason.clone().unwrap_or_else(|| "手工录入 entered by hand".into());
    let pending = format!("pending-{}", crate::auth::session::random_token());
    let res: Result<i64, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (person_id, source, source_id, classification, how_found, reporting_jurisdiction, home_jurisdiction, \
             exposure_start, exposure_end, onset_date, sampling_date, report_date, diagnosis_date, isolation_date, outcome, outcome_date, \
             severity, notes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id")
            .bind(person.id).bind(MANUAL_SOURCE).bind(&pending).bind(&c.classification).bind(&c.how_found).bind(&rj.code).bind(&hj.code)
            .bind(c.exposure_start).bind(c.exposure_end).bind(c.onset_date).bind(c.sampling_date).bind(report).bind(c.diagnosis_date)
            .bind(c.isolation_date).bind(&c.outcome).bind(c.outcome_date).bind(&c.severity).bind(&c.notes).bind(now)
            .fetch_one(&mut *tx).await?;
        sqlx::query("UPDATE cases SET source_id = $1 WHERE id = $2").bind(format!("M{id}")).bind(id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO case_classifications (case_id, classification, at, username, reason) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(&c.classification).bind(now).bind(&actor.username).bind(&reason).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "case").id(id).jurisdiction(&rj.code)
            .detail(serde_json::json!({"person": person.id, "classification": c.classification, "how_found": c.how_found, "source": MANUAL_SOURCE}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await);
    let id = res?;
    policy::recompute_for_person(db, person.id).await?;
    Ok(id)
}

/// The (first) case of each of these people, if any: person id → (case id, source id). Used to
/// show, when an investigator picks a person, that they already are a case.
pub async fn cases_of_people(
    db: &Db,
    people: &[i64],
) -> Result<std::collections::HashMap<i64, (i64, String)>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for &p in people {
        let r: Option<(i64, String)> = db_run!(db, pool => sqlx::query_as::<_, (i64, String)>(
            "SELECT id, source_id FROM cases WHERE person_id = $1 ORDER BY id LIMIT 1").bind(p).fetch_optional(pool).await)?;
        if let Some(r) = r {
            out.insert(p, r);
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------- links

/// An infector → infectee link typed in by hand. The infector is either a case
/// (`infector_case_id`) or, when not (yet) a case, named by `infector_label` (kept as an
/// unobserved infector, as imports keep them).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewLink {
    /// The infectee (the API takes it from the path).
    #[serde(default)]
    pub infectee_case_id: i64,
    #[serde(default)]
    pub infector_case_id: Option<i64>,
    /// Name or id of an infector who is not a case here (e.g. `TJ999`, "外省输入病例").
    #[serde(default)]
    pub infector_label: Option<String>,
    /// `confirmed`, `probable`, `possible`.
    pub certainty: String,
    /// How: household, meal, … (free text).
    #[serde(default)]
    pub route: Option<String>,
}

/// Adds a link to case `infectee_case_id` (both cases inside `scope`). Refused: a self link, a
/// link that would close a cycle (the infectee is already an ancestor of the infector), a link
/// already recorded ([`StoreError::Conflict`]). The link is keyed like an imported one, by the
/// infector's source and source id, so chains see it; they are recomputed afterwards, and so are
/// the contacts of both cases. Returns the link id.
pub async fn add_link(db: &Db, scope: &Scope, actor: &Actor, l: &NewLink) -> Result<i64, StoreError> {
    let mut e = vec![];
    one_of(&mut e, "certainty", &l.certainty, &CERTAINTIES);
    let label = opt_text(&mut e, "infector_label", l.infector_label.as_deref(), 100);
    let route = opt_text(&mut e, "route", l.route.as_deref(), 200);
    match (l.infector_case_id, &label) {
        (None, None) => e.push(DomainError::new("infector_case_id", "name the infector: a case, or a label")),
        (Some(_), Some(_)) => e.push(DomainError::new("infector_label", "give a case or a label, not both")),
        (Some(i), None) if i == l.infectee_case_id => {
            e.push(DomainError::new("infector_case_id", "a case cannot infect itself"))
        }
        _ => {}
    }
    if !e.is_empty() {
        return Err(StoreError::Invalid(e));
    }
    let infectee = super::get(db, scope, actor, l.infectee_case_id).await?;
    let (source, infector_sid, infector_id) = match l.infector_case_id {
        Some(i) => {
            let inf = super::get(db, scope, actor, i).await?;
            // Cycle: walk up from the infector; reaching the infectee would close a loop.
            let mut frontier = vec![inf.id];
            let mut seen = std::collections::HashSet::new();
            while let Some(x) = frontier.pop() {
                if x == infectee.id {
                    return Err(invalid(
                        "infector_case_id",
                        format!(
                            "{} is already (indirectly) infected by {}: the link would make a cycle",
                            inf.source_id, infectee.source_id
                        ),
                    ));
                }
                if !seen.insert(x) || seen.len() > 100_000 {
                    continue;
                }
                let up: Vec<i64> = db_run!(db, p => sqlx::query_scalar::<_, i64>(
                    "SELECT infector_case_id FROM transmission_links WHERE infectee_case_id = $1 AND infector_case_id IS NOT NULL")
                    .bind(x).fetch_all(p).await)?;
                frontier.extend(up);
            }
            (inf.source.clone(), inf.source_id.clone(), Some(inf.id))
        }
        None => (infectee.source.clone(), label.clone().unwrap_or_default(), None),
    };
    let now = crate::db::now();
    let res: Result<i64, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO transmission_links (source, infector_source_id, infector_case_id, infectee_case_id, certainty, route, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(&source).bind(&infector_sid).bind(infector_id).bind(infectee.id).bind(&l.certainty).bind(&route).bind(now)
            .fetch_one(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "transmission_link").id(id).jurisdiction(&infectee.reporting_jurisdiction)
            .detail(serde_json::json!({"infector": infector_sid, "infector_case": infector_id, "infectee_case": infectee.id, "certainty": l.certainty}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await);
    let id = match res {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Conflict {
                field: "infector_case_id",
                message: format!("{infector_sid} → {} is already recorded", infectee.source_id),
            });
        }
        Err(e) => return Err(e.into()),
    };
    super::refresh_chains(db).await.map_err(|e| StoreError::Db(sqlx::Error::Protocol(format!("{e:#}"))))?;
    policy::recompute_case(db, infectee.id).await?;
    if let Some(i) = infector_id {
        policy::recompute_case(db, i).await?;
    }
    Ok(id)
}

// ------------------------------------------------------------------------------------ places

/// A place (场所) as stored: shared by every case whose itinerary goes there.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlaceRow {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
    pub kind: String,
    /// WGS-84 degrees.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// Cases with an itinerary entry here.
    pub cases: i64,
}

/// A new place.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewPlace {
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    /// home, workplace, shop, restaurant, transport, hospital, school, gathering, worship, other.
    pub kind: String,
    /// WGS-84 latitude, degrees (−90..90); give both coordinates or neither.
    #[serde(default)]
    pub lat: Option<f64>,
    /// WGS-84 longitude, degrees (−180..180).
    #[serde(default)]
    pub lon: Option<f64>,
    /// Jurisdiction code the place lies in (inside the caller's scope).
    pub jurisdiction: String,
}

impl NewPlace {
    fn check(&self) -> (Vec<DomainError>, String, Option<String>) {
        let mut e = vec![];
        let name = self.name.trim().to_string();
        if name.is_empty() {
            e.push(DomainError::new("place_name", "is required"));
        } else if let Err(x) = check_len("place_name", &name, 100).and_then(|_| check_text("place_name", &name)) {
            e.push(x);
        }
        let address = opt_text(&mut e, "address", self.address.as_deref(), 200);
        one_of(&mut e, "place_kind", &self.kind, &PLACE_KINDS);
        match (self.lat, self.lon) {
            (Some(la), Some(lo)) => {
                if !(-90.0..=90.0).contains(&la) {
                    e.push(DomainError::new("lat", format!("{la} is not a latitude (−90..90)")));
                }
                if !(-180.0..=180.0).contains(&lo) {
                    e.push(DomainError::new("lon", format!("{lo} is not a longitude (−180..180)")));
                }
            }
            (None, None) => {}
            _ => e.push(DomainError::new("lat", "give both coordinates or neither")),
        }
        (e, name, address)
    }
}

const PLACE_SELECT: &str = "SELECT pl.id, pl.name, pl.address, pl.kind, pl.lat, pl.lon, pl.jurisdiction_code, j.name AS jurisdiction_name, \
    (SELECT COUNT(DISTINCT v.case_id) FROM itinerary v WHERE v.place_id = pl.id) AS cases \
    FROM places pl JOIN jurisdictions j ON j.code = pl.jurisdiction_code";

/// Places inside `scope` whose name or address contains `q` (all when empty), most visited
/// first, at most `limit` (1..=100).
pub async fn search_places(db: &Db, scope: &Scope, q: &str, limit: i64) -> Result<Vec<PlaceRow>, StoreError> {
    let q = q.trim();
    check_len("q", q, 50).map_err(|e| StoreError::Invalid(vec![e]))?;
    let pat = format!("%{}%", crate::db::like_escape(q));
    let sql = format!(
        "{PLACE_SELECT} WHERE j.path LIKE $1 AND (pl.name LIKE $2 ESCAPE '\\' OR pl.address LIKE $2 ESCAPE '\\') \
         ORDER BY cases DESC, pl.id DESC LIMIT {}",
        limit.clamp(1, 100)
    );
    Ok(
        db_run!(db, p => sqlx::query_as::<_, PlaceRow>(sqlx::AssertSqlSafe(sql)).bind(scope.like()).bind(&pat).fetch_all(p).await)?,
    )
}

/// One place inside `scope`.
pub async fn get_place(db: &Db, scope: &Scope, id: i64) -> Result<PlaceRow, StoreError> {
    let sql = format!("{PLACE_SELECT} WHERE pl.id = $1 AND j.path LIKE $2");
    db_run!(db, p => sqlx::query_as::<_, PlaceRow>(sqlx::AssertSqlSafe(sql)).bind(id).bind(scope.like()).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Creates a place inside `scope` (source `manual`, key `p<id>`). Returns its id.
pub async fn add_place(db: &Db, scope: &Scope, actor: &Actor, p: &NewPlace) -> Result<i64, StoreError> {
    let (errs, name, address) = p.check();
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let j = match jurisdictions::in_scope(db, scope, &p.jurisdiction).await {
        Ok(j) => j,
        Err(e) => return Err(denied(db, actor, "place", &p.jurisdiction, e).await),
    };
    let pending = format!("pending-{}", crate::auth::session::random_token());
    Ok(db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO places (source, source_key, name, address, kind, lat, lon, jurisdiction_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(MANUAL_SOURCE).bind(&pending).bind(&name).bind(&address).bind(&p.kind).bind(p.lat).bind(p.lon).bind(&j.code)
            .fetch_one(&mut *tx).await?;
        sqlx::query("UPDATE places SET source_key = $1 WHERE id = $2").bind(format!("p{id}")).bind(id).execute(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "place").id(id).jurisdiction(&j.code).detail(serde_json::json!({"name": name, "kind": p.kind}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await)?)
}

// --------------------------------------------------------------------------------- itinerary

/// An itinerary entry (活动轨迹): a visit of the case to a place. Day-only visits have no times.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewVisit {
    /// An existing place (see `GET /places`) …
    #[serde(default)]
    pub place_id: Option<i64>,
    /// … or a new one, created with the visit.
    #[serde(default)]
    pub place: Option<NewPlace>,
    /// Day of the visit, YYYY-MM-DD.
    pub date: String,
    /// Arrival, `HH:MM` (display time zone); empty for a day-only visit.
    #[serde(default)]
    pub start_time: Option<String>,
    /// Departure, `HH:MM`, on `end_date` (default: the same day).
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    /// Kind of visit (default: the place's kind).
    #[serde(default)]
    pub kind: Option<String>,
}

fn time_at(
    errs: &mut Vec<DomainError>,
    field: &'static str,
    day: NaiveDate,
    t: Option<&str>,
    tz: chrono_tz::Tz,
) -> Option<DateTime<Utc>> {
    let t = t.map(str::trim).filter(|s| !s.is_empty())?;
    match NaiveTime::parse_from_str(t, "%H:%M") {
        Ok(t) => day.and_time(t).and_local_timezone(tz).earliest().map(|d| d.with_timezone(&Utc)),
        Err(_) => {
            errs.push(DomainError::new(field, format!("\"{t}\" is not a time (HH:MM)")));
            None
        }
    }
}

/// Adds a visit to case `case_id`'s itinerary (the case and the place inside `scope`; a new place
/// is created in the same transaction). Times are read in `tz`. Refused: a date in the future, an
/// end before the start, the same visit twice ([`StoreError::Conflict`]). Returns the entry id.
pub async fn add_visit(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    case_id: i64,
    v: &NewVisit,
    tz: chrono_tz::Tz,
) -> Result<i64, StoreError> {
    let mut e = vec![];
    let day = opt_date(&mut e, "date", Some(&v.date));
    if day.is_none() && v.date.trim().is_empty() {
        e.push(DomainError::new("date", "is required (YYYY-MM-DD)"));
    }
    let end_day = opt_date(&mut e, "end_date", v.end_date.as_deref()).or(day);
    let (start_at, end_at) = match (day, end_day) {
        (Some(d), Some(ed)) => (
            time_at(&mut e, "start_time", d, v.start_time.as_deref(), tz),
            time_at(&mut e, "end_time", ed, v.end_time.as_deref(), tz),
        ),
        _ => (None, None),
    };
    if let (Some(d), Some(ed)) = (day, end_day) {
        if d > today_cn() {
            e.push(DomainError::new("date", format!("{d} is in the future")));
        }
        if ed < d {
            e.push(DomainError::new("end_date", format!("{ed} is before the start {d}")));
        }
    }
    if let (Some(s), Some(t)) = (start_at, end_at)
        && t < s
    {
        e.push(DomainError::new("end_time", "the visit ends before it starts"));
    }
    if let Some(k) = &v.kind {
        one_of(&mut e, "kind", k, &PLACE_KINDS);
    }
    let new_place = match (v.place_id, &v.place) {
        (Some(_), Some(_)) => {
            e.push(DomainError::new("place_id", "choose a place or describe a new one, not both"));
            None
        }
        (None, None) => {
            e.push(DomainError::new("place_id", "choose a place or describe a new one"));
            None
        }
        (None, Some(p)) => {
            let (pe, name, address) = p.check();
            e.extend(pe);
            Some((p, name, address))
        }
        (Some(_), None) => None,
    };
    if !e.is_empty() {
        return Err(StoreError::Invalid(e));
    }
    let Some(day) = day else { return Err(invalid("date", "is required")) };
    let case = super::get(db, scope, actor, case_id).await?;
    let existing_place = match v.place_id {
        Some(id) => Some(get_place(db, scope, id).await.map_err(|e| match e {
            StoreError::NotFound => invalid("place_id", format!("place {id} is not a place in your jurisdiction")),
            e => e,
        })?),
        None => None,
    };
    let place_j = match &new_place {
        Some((p, _, _)) => match jurisdictions::in_scope(db, scope, &p.jurisdiction).await {
            Ok(j) => Some(j),
            Err(err) => return Err(denied(db, actor, "place", &p.jurisdiction, err).await),
        },
        None => None,
    };
    let kind = v
        .kind
        .clone()
        .or_else(|| existing_place.as_ref().map(|p| p.kind.clone()))
        .or_else(|| new_place.as_ref().map(|(p, _, _)| p.kind.clone()))
        .unwrap_or_else(|| "other".into());
    let pending = format!("pending-{}", crate::auth::session::random_token());
    let res: Result<i64, sqlx::Error> = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let place_id = match (&existing_place, &new_place, &place_j) {
            (Some(p), _, _) => p.id,
            (None, Some((p, name, address)), Some(j)) => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO places (source, source_key, name, address, kind, lat, lon, jurisdiction_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                    .bind(MANUAL_SOURCE).bind(&pending).bind(name).bind(address).bind(&p.kind).bind(p.lat).bind(p.lon).bind(&j.code)
                    .fetch_one(&mut *tx).await?;
                sqlx::query("UPDATE places SET source_key = $1 WHERE id = $2").bind(format!("p{id}")).bind(id).execute(&mut *tx).await?;
                let ev = AuditEvent::new(actor, "create", "place").id(id).jurisdiction(&j.code).detail(serde_json::json!({"name": name, "kind": p.kind}));
                audit_append!(tx, &ev);
                id
            }
            _ => return Err(sqlx::Error::Protocol("no place".into())),
        };
        let key = format!("m:{place_id}:{day}:{}", start_at.map(|t| t.to_rfc3339()).unwrap_or_default());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO itinerary (case_id, place_id, start_date, start_at, end_at, kind, source_key) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(case.id).bind(place_id).bind(day).bind(start_at).bind(end_at).bind(&kind).bind(&key)
            .fetch_one(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "itinerary").id(id).jurisdiction(&case.reporting_jurisdiction)
            .detail(serde_json::json!({"case": case.id, "place": place_id, "date": day}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await);
    let id = match res {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Conflict {
                field: "place_id",
                message: "this visit is already in the itinerary".into(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    policy::recompute_case(db, case.id).await?;
    Ok(id)
}

// --------------------------------------------------------------------------------- exposures

/// An exposure typed in from a case's page: the case's person (or `person_id`) with another
/// person (`other_person_id`), or at a place (`place_id`), or both (they met there).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewExposure {
    /// Default: the case's person.
    #[serde(default)]
    pub person_id: Option<i64>,
    #[serde(default)]
    pub other_person_id: Option<i64>,
    #[serde(default)]
    pub place_id: Option<i64>,
    /// household, workplace, transport, care, meal, gathering, companion, other.
    pub kind: String,
    /// YYYY-MM-DD.
    pub start_date: String,
    /// YYYY-MM-DD (default: the start date).
    #[serde(default)]
    pub end_date: Option<String>,
    /// none, partial, full, unknown (default).
    #[serde(default)]
    pub protection: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records an exposure around case `case_id` (people and place inside `scope`) and recomputes
/// the contacts of every case involving either person. Returns the exposure id.
pub async fn add_exposure(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    case_id: i64,
    x: &NewExposure,
) -> Result<i64, StoreError> {
    let mut e = vec![];
    one_of(&mut e, "kind", &x.kind, &EXPOSURE_KINDS);
    let protection = x.protection.clone().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "unknown".into());
    one_of(&mut e, "protection", &protection, &PROTECTIONS);
    let note = opt_text(&mut e, "note", x.note.as_deref(), 500);
    let start = opt_date(&mut e, "start_date", Some(&x.start_date));
    if x.start_date.trim().is_empty() {
        e.push(DomainError::new("start_date", "is required (YYYY-MM-DD)"));
    }
    let end = opt_date(&mut e, "end_date", x.end_date.as_deref()).or(start);
    if let (Some(s), Some(t)) = (start, end) {
        if t < s {
            e.push(DomainError::new("end_date", format!("{t} is before the start {s}")));
        }
        if t > today_cn() {
            e.push(DomainError::new("end_date", format!("{t} is in the future")));
        }
    }
    if x.other_person_id.is_none() && x.place_id.is_none() {
        e.push(DomainError::new("other_person_id", "name the other person, or the place"));
    }
    if !e.is_empty() {
        return Err(StoreError::Invalid(e));
    }
    let (Some(start), Some(end)) = (start, end) else { return Err(invalid("start_date", "is required")) };
    let case = super::get(db, scope, actor, case_id).await?;
    let a = crate::people::get(db, scope, actor, x.person_id.unwrap_or(case.person_id)).await?;
    let b = match x.other_person_id {
        Some(id) if id == a.id => return Err(invalid("other_person_id", "an exposure needs two different people")),
        Some(id) => Some(crate::people::get(db, scope, actor, id).await?),
        None => None,
    };
    let place = match x.place_id {
        Some(id) => Some(get_place(db, scope, id).await.map_err(|e| match e {
            StoreError::NotFound => invalid("place_id", format!("place {id} is not a place in your jurisdiction")),
            e => e,
        })?),
        None => None,
    };
    let now = crate::db::now();
    let b_id = b.as_ref().map(|b| b.id);
    let place_id = place.as_ref().map(|p| p.id);
    let id = db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO exposures (person_a, person_b, place_id, kind, start_date, end_date, protection, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
            .bind(a.id).bind(b_id).bind(place_id).bind(&x.kind).bind(start).bind(end).bind(&protection).bind(&note).bind(&actor.username).bind(now)
            .fetch_one(&mut *tx).await?;
        let ev = AuditEvent::new(actor, "create", "exposure").id(id).jurisdiction(&case.reporting_jurisdiction)
            .detail(serde_json::json!({"case": case.id, "person_a": a.id, "person_b": b_id, "place": place_id, "kind": x.kind}));
        audit_append!(tx, &ev);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await)?;
    policy::recompute_for_person(db, a.id).await?;
    if let Some(b) = b_id {
        policy::recompute_for_person(db, b).await?;
    }
    Ok(id)
}
