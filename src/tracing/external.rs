//! Places outside the jurisdiction tree (DS4C's Korean provinces, Tianjin, West Africa) get nodes
//! of their own under a named root per data source, so their cases are scoped like any other.
//!
//! Code scheme (documented in the README): real admin codes are digits only (GB/T 2260, 6/9/12
//! digits); external codes start with `x-` and use only `a-z`, `0-9` and `-`:
//! * the root of a source is `x-<source>` (e.g. `x-ds4c`, `x-tianjin`);
//! * a place below it is `<parent code>-<slug of its name>` (e.g. `x-ds4c-seoul-gangseo-gu`),
//!   cut to 60 characters and ended by 8 hex digits of the SHA-256 of the full code when longer.
//!
//! So an external code never collides with an admin code, never contains `/` (the path
//! separator) nor `%` / `_` (LIKE wildcards), and the same name under the same parent always
//! gives the same code: re-imports find the nodes they made.

use sha2::{Digest, Sha256};

/// Largest length of an external code.
pub const MAX_CODE: usize = 60;

/// `a-z0-9` runs of `name` joined by `-` (`"Gangseo-gu"` → `gangseo-gu`; non-ASCII names give
/// their hex digest, so a Chinese name still makes a stable ASCII code).
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    let ascii_share = name.chars().filter(char::is_ascii_alphanumeric).count();
    if out.is_empty() || ascii_share * 2 < name.trim().chars().count() {
        let h = Sha256::digest(name.trim().as_bytes());
        return hex::encode(&h[..4]);
    }
    out
}

/// The root code of a source: `x-<slug>`.
pub fn root_code(source: &str) -> String {
    bounded(format!("x-{}", slug(source)))
}

/// The code of the place `name` under `parent` (itself an external code).
pub fn child_code(parent: &str, name: &str) -> String {
    bounded(format!("{parent}-{}", slug(name)))
}

fn bounded(code: String) -> String {
    if code.len() <= MAX_CODE {
        return code;
    }
    let h = hex::encode(&Sha256::digest(code.as_bytes())[..4]);
    format!("{}-{h}", code[..MAX_CODE - 9].trim_end_matches('-'))
}

/// `true` for a code of this scheme.
pub fn is_external(code: &str) -> bool {
    code.starts_with("x-")
        && code.len() <= MAX_CODE
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn codes_are_safe_and_stable() {
        assert_eq!(root_code("ds4c"), "x-ds4c");
        assert_eq!(child_code("x-ds4c", "Seoul"), "x-ds4c-seoul");
        assert_eq!(child_code("x-ds4c-seoul", "Gangseo-gu"), "x-ds4c-seoul-gangseo-gu");
        assert_eq!(child_code("x-ali2020", "wuhan, Hubei Province"), "x-ali2020-wuhan-hubei-province");
        let zh = child_code("x-tianjin", "宝坻区");
        assert!(is_external(&zh), "{zh}");
        assert_eq!(zh, child_code("x-tianjin", "宝坻区"));
        let long = child_code("x-ds4c", &"a very long place name ".repeat(10));
        assert!(long.len() <= MAX_CODE && is_external(&long), "{long}");
        for c in [&zh, &long] {
            assert!(!c.contains(['%', '_', '/']));
        }
        assert!(!is_external("430400"));
    }
}
