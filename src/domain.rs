//! Validated values shared by every module ("parse, don't validate": STYLE.md §1).
//!
//! A value of one of these types has passed its `parse`; code that holds one never checks it again.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused. Every message names the field and the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
}

impl DomainError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }
    /// The field the error is about (for RFC 9457 `errors[].field`).
    pub fn field(&self) -> &'static str {
        match self {
            DomainError::Invalid { field, .. } => field,
        }
    }
}

/// A Chinese resident identity card number (居民身份证号码), GB 11643-1999.
///
/// 18 characters: a 6-digit address code (GB/T 2260), an 8-digit birth date (YYYYMMDD), a 3-digit
/// sequence (odd for men, even for women) and a check character computed with ISO 7064 MOD 11-2
/// (`0`–`9` or `X`). A lowercase `x` is accepted and stored as `X`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ResidentId(String);

/// ISO 7064 MOD 11-2 weights for the first 17 digits (2^(17-i) mod 11), GB 11643-1999 §8.
const RID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder 0..=10.
const RID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl ResidentId {
    /// Parses and checks an 18-character resident ID number.
    ///
    /// Errors name the field `id_number` and say what is wrong: length, a non-digit, an unknown
    /// province code, an impossible birth date, or a wrong check character (with the expected one).
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        const F: &str = "id_number";
        let s = s.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(DomainError::new(
                F,
                format!("\"{}\" has {} characters; a resident ID number has 18", clip(&s), s.chars().count()),
            ));
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(DomainError::new(F, format!("\"{s}\": the first 17 characters must be digits")));
        }
        let last = bytes[17] as char;
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(DomainError::new(F, format!("\"{s}\": the last character must be a digit or X")));
        }
        let province: u32 = s[0..2].parse().unwrap_or(0);
        if !matches!(province, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83 | 91) {
            return Err(DomainError::new(F, format!("\"{s}\": {province:02} is not a province code (GB/T 2260)")));
        }
        if Self::birth_date_of(&s).is_none() {
            return Err(DomainError::new(F, format!("\"{s}\": {} is not a valid birth date", &s[6..14])));
        }
        let sum: u32 = bytes[..17].iter().zip(RID_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        let expected = RID_CHECK[(sum % 11) as usize];
        if expected != last {
            return Err(DomainError::new(
                F,
                format!("\"{s}\": check character is {last}, expected {expected} (ISO 7064 MOD 11-2)"),
            ));
        }
        Ok(ResidentId(s))
    }

    fn birth_date_of(s: &str) -> Option<NaiveDate> {
        let y: i32 = s.get(6..10)?.parse().ok()?;
        let m: u32 = s.get(10..12)?.parse().ok()?;
        let d: u32 = s.get(12..14)?.parse().ok()?;
        if y < 1880 {
            return None;
        }
        NaiveDate::from_ymd_opt(y, m, d)
    }

    /// The birth date encoded in characters 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        // Checked in `parse`.
        Self::birth_date_of(&self.0).unwrap_or_default()
    }

    /// The sex encoded by the 17th digit (odd: male, even: female).
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sex as recorded on the identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Unknown,
}

impl Sex {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "male" | "m" | "男" => Ok(Sex::Male),
            "female" | "f" | "女" => Ok(Sex::Female),
            "" | "unknown" | "u" | "未知" => Ok(Sex::Unknown),
            other => Err(DomainError::new("sex", format!("\"{other}\" is not male, female or unknown"))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Unknown => "unknown",
        }
    }
}

/// Kind of identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    /// 居民身份证 (checked with [`ResidentId::parse`]).
    ResidentId,
    /// 护照.
    Passport,
    /// 港澳居民来往内地通行证.
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证.
    TaiwanPermit,
    /// 外国人永久居留身份证.
    ForeignPermanentResident,
    Other,
    /// No identity document: a person known only by their record in an imported data set (a public
    /// line list). The number is `<source>:<id in the source>`, e.g. `ds4c:1000000001`. Never offered
    /// on the registration form; one record per source id, like any other document.
    SourceRecord,
}

impl IdType {
    pub const ALL: [IdType; 6] = [
        IdType::ResidentId,
        IdType::Passport,
        IdType::HkMacaoPermit,
        IdType::TaiwanPermit,
        IdType::ForeignPermanentResident,
        IdType::Other,
    ];
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .chain([IdType::SourceRecord])
            .find(|t| t.as_str() == s.trim())
            .or(if s.trim().is_empty() { Some(IdType::ResidentId) } else { None })
            .ok_or_else(|| DomainError::new("id_type", format!("\"{s}\" is not a known document type")))
    }
    pub fn as_str(self) -> &'static str {
        match self {
            IdType::ResidentId => "resident_id",
            IdType::Passport => "passport",
            IdType::HkMacaoPermit => "hk_macao_permit",
            IdType::TaiwanPermit => "taiwan_permit",
            IdType::ForeignPermanentResident => "foreign_permanent_resident",
            IdType::Other => "other",
            IdType::SourceRecord => "source_record",
        }
    }
}

/// A checked identity document: type and number. Resident IDs pass [`ResidentId::parse`]; other
/// documents are 5–32 letters, digits or `-`, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdDocument {
    pub id_type: IdType,
    pub number: String,
    pub resident: Option<ResidentId>,
}

impl IdDocument {
    pub fn parse(id_type: IdType, number: &str) -> Result<Self, DomainError> {
        match id_type {
            IdType::ResidentId => {
                let rid = ResidentId::parse(number)?;
                Ok(IdDocument { id_type, number: rid.as_str().to_string(), resident: Some(rid) })
            }
            IdType::SourceRecord => {
                let n = number.trim();
                let ok = n.split_once(':').is_some_and(|(src, id)| !src.is_empty() && !id.is_empty())
                    && n.chars().count() <= 80
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '#'));
                if !ok {
                    return Err(DomainError::new(
                        "id_number",
                        format!("\"{n}\" is not a source record key (SOURCE:ID, letters, digits, '-', '.', '#')"),
                    ));
                }
                Ok(IdDocument { id_type, number: n.to_string(), resident: None })
            }
            _ => {
                let n = number.trim().to_ascii_uppercase();
                let len = n.chars().count();
                if !(5..=32).contains(&len) || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(DomainError::new(
                        "id_number",
                        format!("\"{}\" must be 5 to 32 letters, digits or '-'", clip(&n)),
                    ));
                }
                Ok(IdDocument { id_type, number: n, resident: None })
            }
        }
    }
}

/// A phone number: 5–20 characters of digits, with an optional leading `+`, spaces and `-`
/// removed. Chinese mobiles are 11 digits starting with 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = t.strip_prefix('+').unwrap_or(&t);
        if !(5..=20).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::new("phone", format!("\"{}\" is not a phone number (5 to 20 digits)", clip(s))));
        }
        Ok(Phone(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Masks an identity number for display: the first 3 and last 4 characters stay
/// (`430***********1234`); numbers shorter than 10 keep their first and last 2.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let (head, tail) = if n >= 10 {
        (3, 4)
    } else if n >= 5 {
        (1, 2)
    } else {
        (0, 0)
    };
    chars.iter().enumerate().map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' }).collect()
}

/// Masks a phone number for display: an 11-digit mobile becomes `138****5678`; other numbers keep
/// their first 3 and last 2 characters.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let (head, tail) = if n == 11 {
        (3, 4)
    } else if n >= 7 {
        (3, 2)
    } else {
        (0, 2.min(n))
    };
    chars.iter().enumerate().map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' }).collect()
}

/// An administrative division code: 6 digits (GB/T 2260: province, city, county), 9 digits
/// (township / street, the first 9 of the statistical code) or 12 digits (village / community,
/// the National Bureau of Statistics' 统计用区划代码). A 4-digit city code (`4304`, as some data
/// sets write it) is widened to 6 (`430400`); a 2-digit province code to 6 (`430000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AdminCode(String);

impl AdminCode {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::new("code", format!("\"{s}\" is not an admin division code (digits only)")));
        }
        match s.len() {
            2 => Ok(AdminCode(format!("{s}0000"))),
            4 => Ok(AdminCode(format!("{s}00"))),
            6 | 9 | 12 => Ok(AdminCode(s.to_string())),
            n => Err(DomainError::new(
                "code",
                format!("\"{s}\" has {n} digits; expected 6 (GB/T 2260), 9 (township) or 12 (village)"),
            )),
        }
    }
    /// The 12-digit statistical form, padded with zeros (`430482203` → `430482203000`).
    pub fn statistical(&self) -> String {
        format!("{:0<12}", self.0)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// At most 40 characters of `s`, for echoing a bad value in an error message.
pub fn clip(s: &str) -> String {
    if s.chars().count() <= 40 { s.to_string() } else { format!("{}…", s.chars().take(40).collect::<String>()) }
}

/// Refuses control characters (NUL, newlines in a name…) and the invisible formatting
/// characters that can make text display differently from what is stored (bidirectional
/// overrides U+202A–U+202E and U+2066–U+2069, marks U+200E/U+200F, zero-width U+200B–U+200D,
/// U+2060, U+FEFF).
pub fn check_text(field: &'static str, value: &str) -> Result<(), DomainError> {
    match value.chars().find(|c| {
        c.is_control()
            || matches!(*c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    }) {
        Some(c) => {
            Err(DomainError::new(field, format!("contains the invisible or control character U+{:04X}", c as u32)))
        }
        None => Ok(()),
    }
}

/// Checks a free-text field's length in characters (not bytes).
pub fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), DomainError> {
    let n = value.chars().count();
    if n > max {
        return Err(DomainError::new(field, format!("is {n} characters long; at most {max} allowed")));
    }
    Ok(())
}

/// Age in whole years on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid ID from 17 digits by appending the right check character.
    pub fn with_check(first17: &str) -> String {
        let sum: u32 = first17.bytes().zip(RID_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        format!("{first17}{}", RID_CHECK[(sum % 11) as usize])
    }

    #[test]
    fn resident_id_check_digit() {
        // GB 11643-1999's own example: 11010519491231002X.
        let id = ResidentId::parse("11010519491231002x").expect("standard's example is valid");
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).expect("date"));
        assert_eq!(id.sex(), Sex::Female);
        let err = ResidentId::parse("110105194912310021").expect_err("wrong check digit");
        assert!(err.to_string().contains("expected X"), "{err}");
        let made = with_check("43048219900101123");
        let id = ResidentId::parse(&made).expect("constructed id");
        assert_eq!(id.sex(), Sex::Male);
    }

    #[test]
    fn resident_id_rejects_bad_shapes() {
        for bad in ["", "4304821990010112", "43048219900230123X", "A30482199001011234", "99048219900101123X"] {
            assert!(ResidentId::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id_number("430482199001011234"), "430***********1234");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_id_number("E1234567"), "E*****67");
    }

    #[test]
    fn admin_codes() {
        assert_eq!(AdminCode::parse("4304").expect("4 digits").as_str(), "430400");
        assert_eq!(AdminCode::parse("430482203").expect("9").statistical(), "430482203000");
        assert!(AdminCode::parse("43048").is_err());
        assert!(AdminCode::parse("43x482").is_err());
    }

    #[test]
    fn phone() {
        assert_eq!(Phone::parse("138-1234 5678").expect("phone").as_str(), "13812345678");
        assert!(Phone::parse("call me").is_err());
    }
}
