//! Case references in free text, for importers whose infector is a sentence rather than a column.
//!
//! Tianjin's `Infection_source` column (Tindale et al. 2020) reads like `case TJ5 (family)`,
//! `family of TJ14  TJ25`, `closing contact of TJ93,TJ107`, `TJ50's family`, `TJ75; TJ87`,
//! `duaghtor of TJ100， whife of TJ103` (a full-width comma) or `sister of case 109`.
//! [`extract_case_refs`] turns such a text into normalised ids (`TJ5`, `TJ14`, ...).

/// What a case reference looks like in one data source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRefPattern {
    /// Id prefix, ASCII letters, matched case-insensitively and emitted upper-case (e.g. `"TJ"`).
    pub prefix: String,
    /// Also read a bare number right after the word `case` or `cases` (`sister of case 109`) as a
    /// reference to `<prefix><number>`.
    pub bare_after_case_word: bool,
}

impl CaseRefPattern {
    /// A pattern for ids `<prefix><digits>`, also accepting bare numbers after `case`/`cases`.
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_ascii_uppercase(), bare_after_case_word: true }
    }

    /// The same pattern with [`CaseRefPattern::bare_after_case_word`] set to `yes`.
    pub fn with_bare_after_case_word(mut self, yes: bool) -> Self {
        self.bare_after_case_word = yes;
        self
    }
}

/// Extracts the case ids that `text` mentions, normalised to `<PREFIX><number>` (upper-case prefix, no
/// leading zeros), each once, in order of first mention.
///
/// A reference is the prefix (any case) at the start of a word, optional blanks, then digits that end
/// the word: `TJ12`, `TJ 12`, `tj12`, `TJ012` and `TJ12's` all give `TJ12`; `TJ12a`, `XTJ12` and `JN25`
/// (another prefix) give nothing. With [`CaseRefPattern::bare_after_case_word`], `case 109` and
/// `cases 119` give `TJ109`, `TJ119`. Non-ASCII characters separate words.
pub fn extract_case_refs(text: &str, pattern: &CaseRefPattern) -> Vec<String> {
    let t = text.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut push = |digits: &[u8]| {
        let trimmed = match digits.iter().position(|&b| b != b'0') {
            Some(first) => &digits[first..],
            None => &digits[digits.len() - 1..],
        };
        let mut id = pattern.prefix.to_ascii_uppercase();
        id.extend(trimmed.iter().map(|&b| char::from(b)));
        if !out.contains(&id) {
            out.push(id);
        }
    };
    let mut i = 0;
    while i < t.len() {
        let word_start = i == 0 || !t[i - 1].is_ascii_alphanumeric();
        let found = if word_start && t[i].is_ascii_alphabetic() { reference_at(t, i, pattern) } else { None };
        match found {
            Some((digits, end)) => {
                push(digits);
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// The reference starting at word start `i`, if any: its digits and the index just past them.
fn reference_at<'t>(t: &'t [u8], i: usize, pattern: &CaseRefPattern) -> Option<(&'t [u8], usize)> {
    let prefix = pattern.prefix.as_bytes();
    if !prefix.is_empty()
        && starts_with_ignore_case(&t[i..], prefix)
        && let Some(found) = digits_ending_word(t, i + prefix.len())
    {
        return Some(found);
    }
    if pattern.bare_after_case_word {
        for word in [&b"cases"[..], &b"case"[..]] {
            let after = i + word.len();
            if starts_with_ignore_case(&t[i..], word)
                && count_blanks(t, after) > 0
                && let Some(found) = digits_ending_word(t, after)
            {
                return Some(found);
            }
        }
    }
    None
}

fn starts_with_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Number of spaces and tabs at `t[from..]`.
fn count_blanks(t: &[u8], from: usize) -> usize {
    t[from.min(t.len())..].iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

/// After optional blanks at `from`, a non-empty digit run not followed by a letter or digit:
/// returns the digits and the index just past them.
fn digits_ending_word(t: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let start = from + count_blanks(t, from);
    let len = t.get(start..)?.iter().take_while(|b| b.is_ascii_digit()).count();
    let end = start + len;
    let ends_word = t.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
    (len > 0 && ends_word).then(|| (&t[start..end], end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(text: &str) -> Vec<String> {
        extract_case_refs(text, &CaseRefPattern::new("TJ"))
    }

    #[test]
    fn real_forms() {
        assert_eq!(refs("case TJ5 (family)"), ["TJ5"]);
        assert_eq!(refs("Wuhan, affect by TJ3"), ["TJ3"]);
        assert_eq!(refs("family of TJ14  TJ25"), ["TJ14", "TJ25"]);
        assert_eq!(refs("closing contact of TJ93,TJ107 living in Baodi"), ["TJ93", "TJ107"]);
        assert_eq!(refs("TJ50's family"), ["TJ50"]);
        assert_eq!(refs("son of TJ75; TJ87"), ["TJ75", "TJ87"]);
        assert_eq!(refs("duaghtor of TJ100， whife of TJ103"), ["TJ100", "TJ103"]);
        assert_eq!(refs("close contacts of cases TJ64 / TJ99"), ["TJ64", "TJ99"]);
        assert_eq!(refs("Wuhan, TJ14 and JN25"), ["TJ14"]);
        assert_eq!(refs("sister of case 109"), ["TJ109"]);
        assert_eq!(refs("husband of case 119"), ["TJ119"]);
        assert_eq!(refs("Wuhan; train import"), Vec::<String>::new());
        assert_eq!(refs(""), Vec::<String>::new());
    }

    #[test]
    fn normalisation_and_boundaries() {
        assert_eq!(refs("tj12 and TJ 12 and Tj012"), ["TJ12"]);
        assert_eq!(refs("TJ12a XTJ13 TJ TJ, 2TJ14"), Vec::<String>::new());
        assert_eq!(refs("TJ0"), ["TJ0"]);
        assert_eq!(refs("TJ7"), ["TJ7"]);
        assert_eq!(refs("showcase 12, case12, cases  3"), ["TJ3"]);
        let strict = CaseRefPattern::new("tj").with_bare_after_case_word(false);
        assert_eq!(extract_case_refs("case 109 and tj 4", &strict), ["TJ4"]);
    }
}
