//! Policy profiles (防控方案 as data) and the classification of contacts they drive.
//!
//! A profile is JSON (data/policy/*.json, embedded; an administrator's edited copy is stored in
//! `settings` under `policy_profile:<code>` and wins). Contacts are never typed by hand: they are
//! computed here from the exposures of the case's person, the case's dates and the profile, and
//! each keeps the id and text of the rule that made it. [`recompute_case`] rewrites one case's
//! contacts (keeping the time each contact was placed under control); it runs whenever an
//! exposure, a case's dates or classification, a control time or the profile changes.

use crate::db::{BeginWrite, Db};
use crate::db_run;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const EMBEDDED: [&str; 2] =
    [include_str!("../../data/policy/covid19-9th.json"), include_str!("../../data/policy/covid19-20-measures.json")];

/// The profile used when none is in force on a case's date.
pub const DEFAULT_PROFILE: &str = "covid19-9th";

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Profile {
    pub code: String,
    pub version: u32,
    pub name: String,
    pub name_en: String,
    #[serde(default)]
    pub source: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub contacts: ContactRules,
    /// Quarantine measures, count start and test days per kind of person (see
    /// [`crate::quarantine::rules`]).
    #[serde(default)]
    pub quarantine: crate::quarantine::rules::QuarantineRules,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactRules {
    pub close: CloseRule,
    pub secondary: SecondaryRule,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CloseRule {
    pub id: String,
    pub days_before_onset: i64,
    /// `sampling`: for an asymptomatic case, the window starts before the sampling date.
    pub asymptomatic_anchor: String,
    /// `isolation`: the window ends on the case's isolation date.
    pub until: String,
    pub unprotected: Vec<String>,
    pub kinds: Vec<String>,
    pub text: String,
    pub text_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SecondaryRule {
    pub id: String,
    pub enabled: bool,
    pub unprotected: Vec<String>,
    pub kinds: Vec<String>,
    pub text: String,
    pub text_en: String,
}

impl Profile {
    /// Checks the rule values against the vocabularies.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.contacts.close;
        if !(0..=30).contains(&c.days_before_onset) {
            return Err(format!("contacts.close.days_before_onset {}: 0..=30", c.days_before_onset));
        }
        for k in c.kinds.iter().chain(&self.contacts.secondary.kinds) {
            if !super::EXPOSURE_KINDS.contains(&k.as_str()) {
                return Err(format!("exposure kind \"{k}\": one of {}", super::EXPOSURE_KINDS.join(", ")));
            }
        }
        for p in c.unprotected.iter().chain(&self.contacts.secondary.unprotected) {
            if !super::PROTECTIONS.contains(&p.as_str()) {
                return Err(format!("protection \"{p}\": one of {}", super::PROTECTIONS.join(", ")));
            }
        }
        if self.effective_to.is_some_and(|t| t < self.effective_from) {
            return Err("effective_to is before effective_from".into());
        }
        self.quarantine.validate()
    }
    pub fn in_force(&self, d: NaiveDate) -> bool {
        d >= self.effective_from && self.effective_to.is_none_or(|t| d <= t)
    }
}

/// The shipped profiles (embedded copies of data/policy/*.json).
pub fn shipped() -> Vec<Profile> {
    EMBEDDED.iter().filter_map(|s| serde_json::from_str::<Profile>(s).ok()).collect()
}

/// Every profile: shipped ones, replaced by an administrator's stored copy where there is one.
pub async fn profiles(db: &Db) -> anyhow::Result<Vec<Profile>> {
    let mut out = Vec::new();
    for p in shipped() {
        let stored = db.setting(&format!("policy_profile:{}", p.code)).await?;
        match stored.and_then(|s| serde_json::from_str::<Profile>(&s).ok()) {
            Some(edited) => out.push(edited),
            None => out.push(p),
        }
    }
    Ok(out)
}

/// The profile in force on `date`, or the default one.
pub fn in_force(profiles: &[Profile], date: Option<NaiveDate>) -> Option<&Profile> {
    date.and_then(|d| profiles.iter().find(|p| p.in_force(d)))
        .or_else(|| profiles.iter().find(|p| p.code == DEFAULT_PROFILE))
        .or(profiles.first())
}

/// Stores an administrator's edited profile (it must be a shipped code, with a higher version)
/// and recomputes every case's contacts.
pub async fn save_profile(db: &Db, actor: &crate::audit::Actor, p: &Profile) -> Result<usize, String> {
    p.validate()?;
    let current = profiles(db).await.map_err(|e| e.to_string())?;
    let Some(old) = current.iter().find(|x| x.code == p.code) else {
        return Err(format!("no profile {}", p.code));
    };
    if p.version <= old.version {
        return Err(format!("version must grow: the stored version is {}", old.version));
    }
    let json = serde_json::to_string(p).map_err(|e| e.to_string())?;
    db.set_setting(&format!("policy_profile:{}", p.code), &json).await.map_err(|e| e.to_string())?;
    let ev = crate::audit::AuditEvent::new(actor, "update", "policy_profile")
        .id(&p.code)
        .detail(serde_json::json!({"version": p.version, "from_version": old.version}));
    crate::audit::record(db, ev).await.map_err(|e| e.to_string())?;
    recompute_all(db).await.map_err(|e| e.to_string())
}

#[derive(sqlx::FromRow)]
struct CaseDates {
    person_id: i64,
    classification: String,
    onset_date: Option<NaiveDate>,
    sampling_date: Option<NaiveDate>,
    report_date: Option<NaiveDate>,
    isolation_date: Option<NaiveDate>,
}

#[derive(sqlx::FromRow, Clone)]
struct Exp {
    person_a: i64,
    person_b: Option<i64>,
    kind: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    protection: String,
}

/// One computed contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub person_id: i64,
    pub via: Option<i64>,
    pub classification: &'static str,
    pub rule_id: String,
    pub rule_text: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

fn overlaps(e: &Exp, from: NaiveDate, to: Option<NaiveDate>) -> bool {
    e.end_date >= from && to.is_none_or(|t| e.start_date <= t)
}

fn other(e: &Exp, me: i64) -> Option<i64> {
    if e.person_a == me { e.person_b } else { Some(e.person_a) }
}

/// The window of a case in which an exposure makes a close contact, and the rule text with the
/// dates filled in.
fn window(p: &Profile, c: &CaseDates) -> (Option<NaiveDate>, Option<NaiveDate>, String) {
    let r = &p.contacts.close;
    let (anchor, what) = if c.classification == "asymptomatic" && r.asymptomatic_anchor == "sampling" {
        (c.sampling_date.or(c.report_date), "sampling")
    } else {
        match c.onset_date {
            Some(d) => (Some(d), "onset"),
            None => (c.sampling_date.or(c.report_date), "sampling/report (no onset)"),
        }
    };
    let from = anchor.map(|a| a - chrono::Duration::days(r.days_before_onset));
    let until = c.isolation_date;
    let text = format!(
        "{} [{} v{}: {} {} − {} d = {} … isolation {}]",
        r.text_en,
        p.code,
        p.version,
        what,
        anchor.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
        r.days_before_onset,
        from.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
        until.map(|d| d.to_string()).unwrap_or_else(|| "not yet".into()),
    );
    (from, until, text)
}

/// Classifies the contacts of one case (pure: exposures and control times given).
fn classify(p: &Profile, c: &CaseDates, exposures: &[Exp], controlled: &HashMap<i64, NaiveDate>) -> Vec<Classified> {
    let me = c.person_id;
    let (from, until, close_text) = window(p, c);
    let close_rule = &p.contacts.close;
    let mut out: HashMap<i64, Classified> = HashMap::new();
    for e in exposures.iter().filter(|e| e.person_a == me || e.person_b == Some(me)) {
        let Some(q) = other(e, me).filter(|&q| q != me) else { continue };
        let unprotected = close_rule.unprotected.contains(&e.protection) && close_rule.kinds.contains(&e.kind);
        let in_window = from.is_some_and(|f| overlaps(e, f, until));
        let (cls, rule_id, text): (&'static str, String, String) = if unprotected && in_window {
            ("close", close_rule.id.clone(), close_text.clone())
        } else if !unprotected {
            (
                "other",
                format!("{}/protected", p.code),
                format!("exposure with protection \"{}\": not a close contact [{}]", e.protection, p.code),
            )
        } else {
            (
                "other",
                format!("{}/outside-window", p.code),
                format!("exposure {} … {} outside the window: {close_text}", e.start_date, e.end_date),
            )
        };
        let entry = out.entry(q).or_insert(Classified {
            person_id: q,
            via: None,
            classification: cls,
            rule_id: rule_id.clone(),
            rule_text: text.clone(),
            first: e.start_date,
            last: e.end_date,
        });
        if cls == "close" && entry.classification != "close" {
            *entry = Classified {
                person_id: q,
                via: None,
                classification: cls,
                rule_id,
                rule_text: text,
                first: e.start_date,
                last: e.end_date,
            };
        } else if cls == entry.classification {
            entry.first = entry.first.min(e.start_date);
            entry.last = entry.last.max(e.end_date);
        }
    }
    let sec = &p.contacts.secondary;
    if sec.enabled {
        let close: Vec<Classified> = out.values().filter(|k| k.classification == "close").cloned().collect();
        for k in close {
            let until = controlled.get(&k.person_id).copied();
            for e in exposures.iter().filter(|e| e.person_a == k.person_id || e.person_b == Some(k.person_id)) {
                let Some(r) = other(e, k.person_id).filter(|&r| r != me && r != k.person_id) else { continue };
                if !(sec.unprotected.contains(&e.protection)
                    && sec.kinds.contains(&e.kind)
                    && overlaps(e, k.first, until))
                {
                    continue;
                }
                if out.get(&r).is_some_and(|x| x.classification != "other") {
                    continue;
                }
                let text = format!(
                    "{} [{} v{}: via close contact #{}, first exposed {} … placed under control {}]",
                    sec.text_en,
                    p.code,
                    p.version,
                    k.person_id,
                    k.first,
                    until.map(|d| d.to_string()).unwrap_or_else(|| "not yet".into())
                );
                out.insert(
                    r,
                    Classified {
                        person_id: r,
                        via: Some(k.person_id),
                        classification: "secondary",
                        rule_id: sec.id.clone(),
                        rule_text: text,
                        first: e.start_date,
                        last: e.end_date,
                    },
                );
            }
        }
    }
    let mut v: Vec<Classified> = out.into_values().collect();
    v.sort_by_key(|k| k.person_id);
    v
}

/// Recomputes the contacts of case `case_id` with the profile in force on its report date.
pub async fn recompute_case(db: &Db, case_id: i64) -> Result<usize, sqlx::Error> {
    let profiles = profiles(db).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let c: Option<CaseDates> = db_run!(db, pool => sqlx::query_as::<_, CaseDates>(
        "SELECT person_id, classification, onset_date, sampling_date, report_date, isolation_date FROM cases WHERE id = $1")
        .bind(case_id).fetch_optional(pool).await)?;
    let Some(c) = c else { return Ok(0) };
    let Some(p) = in_force(&profiles, c.report_date.or(c.onset_date)) else { return Ok(0) };
    let me = c.person_id;
    let now = crate::db::now();
    db_run!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        // Exposures of the case's person and of everyone they met (for secondary contacts).
        let exposures: Vec<Exp> = sqlx::query_as::<_, Exp>(
            "SELECT person_a, person_b, kind, start_date, end_date, protection FROM exposures WHERE person_b IS NOT NULL AND \
             (person_a = $1 OR person_b = $1 OR person_a IN (SELECT person_b FROM exposures WHERE person_a = $1 AND person_b IS NOT NULL) \
              OR person_a IN (SELECT person_a FROM exposures WHERE person_b = $1) \
              OR person_b IN (SELECT person_b FROM exposures WHERE person_a = $1 AND person_b IS NOT NULL) \
              OR person_b IN (SELECT person_a FROM exposures WHERE person_b = $1))")
            .bind(me).fetch_all(&mut *tx).await?;
        let controlled: HashMap<i64, NaiveDate> = sqlx::query_as::<_, (i64, chrono::DateTime<Utc>)>(
            "SELECT person_id, controlled_at FROM contacts WHERE case_id = $1 AND controlled_at IS NOT NULL")
            .bind(case_id).fetch_all(&mut *tx).await?.into_iter().map(|(p, t)| (p, t.date_naive())).collect();
        let result = classify(p, &c, &exposures, &controlled);
        let keep: Vec<i64> = result.iter().map(|k| k.person_id).collect();
        let existing: Vec<i64> = sqlx::query_scalar("SELECT person_id FROM contacts WHERE case_id = $1").bind(case_id).fetch_all(&mut *tx).await?;
        for gone in existing.iter().filter(|p| !keep.contains(p)) {
            sqlx::query("DELETE FROM contacts WHERE case_id = $1 AND person_id = $2").bind(case_id).bind(gone).execute(&mut *tx).await?;
        }
        for k in &result {
            sqlx::query("INSERT INTO contacts (case_id, person_id, via_person_id, classification, rule_id, rule_text, profile, first_exposure, \
                 last_exposure, identified_at, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                 ON CONFLICT (case_id, person_id) DO UPDATE SET via_person_id = excluded.via_person_id, classification = excluded.classification, \
                 rule_id = excluded.rule_id, rule_text = excluded.rule_text, profile = excluded.profile, first_exposure = excluded.first_exposure, \
                 last_exposure = excluded.last_exposure, computed_at = excluded.computed_at")
                .bind(case_id).bind(k.person_id).bind(k.via).bind(k.classification).bind(&k.rule_id).bind(&k.rule_text)
                .bind(format!("{} v{}", p.code, p.version)).bind(k.first).bind(k.last).bind(now).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(result.len())
    }.await)
}

/// Recomputes the contacts of every case whose person, or one of whose contacts, is `person`.
pub async fn recompute_for_person(db: &Db, person: i64) -> Result<(), sqlx::Error> {
    let cases: Vec<i64> = db_run!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM cases WHERE person_id = $1 UNION SELECT case_id FROM contacts WHERE person_id = $1 \
         UNION SELECT c.id FROM cases c JOIN exposures x ON (x.person_a = c.person_id AND x.person_b = $1) OR (x.person_b = c.person_id AND x.person_a = $1)")
        .bind(person).fetch_all(pool).await)?;
    for c in cases {
        recompute_case(db, c).await?;
    }
    Ok(())
}

/// Recomputes every case that has exposures (after a profile change).
pub async fn recompute_all(db: &Db) -> Result<usize, sqlx::Error> {
    let cases: Vec<i64> = db_run!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT c.id FROM cases c JOIN exposures x ON x.person_a = c.person_id OR x.person_b = c.person_id")
        .fetch_all(pool).await)?;
    let n = cases.len();
    for c in cases {
        recompute_case(db, c).await?;
    }
    Ok(n)
}

/// The close-contact window of a case under the profile in force on its report date: an
/// exposure overlapping `[from, until]` (days, inclusive; `until` open while the case is not
/// isolated) makes a close contact (see [`classify`]). `rule` is the filled-in rule text.
#[derive(Debug, Clone, Serialize)]
pub struct CloseWindow {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    /// `code vN` of the profile.
    pub profile: String,
    pub rule_id: String,
    pub rule: String,
}

/// The close-contact window of case `case_id` (`None` when the case does not exist).
pub async fn close_window(db: &Db, case_id: i64) -> Result<Option<CloseWindow>, sqlx::Error> {
    let profiles = profiles(db).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let c: Option<CaseDates> = db_run!(db, pool => sqlx::query_as::<_, CaseDates>(
        "SELECT person_id, classification, onset_date, sampling_date, report_date, isolation_date FROM cases WHERE id = $1")
        .bind(case_id).fetch_optional(pool).await)?;
    let Some(c) = c else { return Ok(None) };
    let Some(p) = in_force(&profiles, c.report_date.or(c.onset_date)) else { return Ok(None) };
    let (from, until, rule) = window(p, &c);
    Ok(Some(CloseWindow {
        from,
        until,
        profile: format!("{} v{}", p.code, p.version),
        rule_id: p.contacts.close.id.clone(),
        rule,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }
    fn exp(a: i64, b: i64, kind: &str, from: &str, to: &str, prot: &str) -> Exp {
        Exp {
            person_a: a,
            person_b: Some(b),
            kind: kind.into(),
            start_date: d(from),
            end_date: d(to),
            protection: prot.into(),
        }
    }
    fn case(cls: &str, onset: Option<&str>, sampling: Option<&str>, isolation: Option<&str>) -> CaseDates {
        CaseDates {
            person_id: 1,
            classification: cls.into(),
            onset_date: onset.map(d),
            sampling_date: sampling.map(d),
            report_date: sampling.map(d),
            isolation_date: isolation.map(d),
        }
    }
    fn profile(code: &str) -> Profile {
        shipped().into_iter().find(|p| p.code == code).expect("shipped profile")
    }

    #[test]
    fn shipped_profiles_parse_and_validate() {
        let ps = shipped();
        assert_eq!(ps.len(), 2);
        for p in &ps {
            p.validate().expect("valid");
        }
        assert_eq!(in_force(&ps, Some(d("2022-10-06"))).map(|p| p.code.as_str()), Some("covid19-9th"));
        assert_eq!(in_force(&ps, Some(d("2022-11-20"))).map(|p| p.code.as_str()), Some("covid19-20-measures"));
        assert_eq!(in_force(&ps, Some(d("2020-01-20"))).map(|p| p.code.as_str()), Some("covid19-9th"));
    }

    #[test]
    fn close_contact_window_is_two_days_before_onset_until_isolation() {
        let p = profile("covid19-9th");
        // Onset 10-06, isolated 10-08: window 10-04 … 10-08.
        let c = case("confirmed", Some("2022-10-06"), None, Some("2022-10-08"));
        let ex = vec![
            exp(1, 2, "household", "2022-10-04", "2022-10-04", "none"), // first day of the window: close
            exp(1, 3, "meal", "2022-10-03", "2022-10-03", "none"),      // the day before: other
            exp(1, 4, "workplace", "2022-10-05", "2022-10-05", "full"), // protected: other
            exp(5, 1, "transport", "2022-10-08", "2022-10-08", "partial"), // isolation day: close
            exp(1, 6, "meal", "2022-10-09", "2022-10-09", "none"),      // after isolation: other
        ];
        let r = classify(&p, &c, &ex, &HashMap::new());
        let cls: Vec<(i64, &str)> = r.iter().map(|k| (k.person_id, k.classification)).collect();
        assert_eq!(cls, [(2, "close"), (3, "other"), (4, "other"), (5, "close"), (6, "other")]);
        assert!(r[0].rule_id == "covid19-9th/close-contact" && r[0].rule_text.contains("2022-10-04"));
        assert_eq!(r[2].rule_id, "covid19-9th/protected");
        assert_eq!(r[1].rule_id, "covid19-9th/outside-window");
    }

    #[test]
    fn asymptomatic_cases_count_from_sampling() {
        let p = profile("covid19-9th");
        let c = case("asymptomatic", None, Some("2022-10-10"), None);
        let ex = vec![
            exp(1, 2, "household", "2022-10-08", "2022-10-08", "none"),
            exp(1, 3, "meal", "2022-10-07", "2022-10-07", "none"),
        ];
        let r = classify(&p, &c, &ex, &HashMap::new());
        assert_eq!(r.iter().map(|k| k.classification).collect::<Vec<_>>(), ["close", "other"]);
        assert!(r[0].rule_text.contains("sampling 2022-10-10"));
    }

    #[test]
    fn secondary_contacts_from_first_exposure_until_control() {
        let c = case("confirmed", Some("2022-10-06"), None, Some("2022-10-08"));
        // 2 is a close contact first exposed 10-05, placed under control 10-09.
        let ex = vec![
            exp(1, 2, "household", "2022-10-05", "2022-10-07", "none"),
            exp(2, 7, "meal", "2022-10-06", "2022-10-06", "none"), // secondary
            exp(2, 8, "meal", "2022-10-10", "2022-10-10", "none"), // after control: nothing
            exp(2, 9, "transport", "2022-10-06", "2022-10-06", "none"), // not a close kind: nothing
            exp(10, 2, "workplace", "2022-10-04", "2022-10-04", "none"), // before first exposure: nothing
        ];
        let controlled = HashMap::from([(2, d("2022-10-09"))]);
        let r = classify(&profile("covid19-9th"), &c, &ex, &controlled);
        let cls: Vec<(i64, &str, Option<i64>)> = r.iter().map(|k| (k.person_id, k.classification, k.via)).collect();
        assert_eq!(cls, [(2, "close", None), (7, "secondary", Some(2))]);
        assert_eq!(r[1].rule_id, "covid19-9th/secondary-contact");
        // Not yet under control: the later meal counts too.
        let r = classify(&profile("covid19-9th"), &c, &ex, &HashMap::new());
        assert_eq!(r.iter().filter(|k| k.classification == "secondary").count(), 2);
        // The 20 measures no longer identify secondary contacts.
        let r = classify(&profile("covid19-20-measures"), &c, &ex, &controlled);
        assert_eq!(r.iter().map(|k| k.classification).collect::<Vec<_>>(), ["close"]);
    }
}
