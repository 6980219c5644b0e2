//! ron's parse errors said plainly, with what was found where a whole number was expected.
//!
//! ron reads an integer field digit by digit, so `workers: 2.5` fails only at the `.` with
//! "Expected comma", `1e3` with "Invalid digit 'e'", `-1` with "Integer is out of bounds". Looking
//! at the number around the error turns each of these into "expected a whole number, found 2.5",
//! and for an out-of-range one, the range (found by asking the parser which bounds fit).

use crate::ron_paths::{whitespace_len, RonIndex};

/// A plain message for a parse failure at byte `at` of `text`, and the path of the field it
/// lies in when that is deeper than the one ron gave (ron blames the struct, not the field, when
/// it fails after the field's value: `services.db` for `workers: 2.5`).
pub(crate) struct Explained {
    pub(crate) message: String,
    pub(crate) path: Option<String>,
    /// Where the value the message is about starts: a better place to point at than ron's
    /// offset, which may lie inside it (at the `.` of `2.5`) or in the whitespace before it.
    pub(crate) at: Option<usize>,
}

/// How a parse of some text fails, if it does: ron's error and the byte offset of its start.
pub(crate) type Reparse<'a> = dyn Fn(&str) -> Option<(ron::Error, usize)> + 'a;

/// Explains `code`, which a parse of `text` failed with at byte `at`. `reparse` parses a variant
/// of the text, to find which bounds an integer field accepts.
pub(crate) fn explain(code: &ron::Error, text: &str, at: usize, reparse: &Reparse) -> Explained {
    // ron's span may start in the whitespace before the value.
    let mut at = at.min(text.len());
    while whitespace_len(&text.as_bytes()[at..]) > 0 {
        at += whitespace_len(&text.as_bytes()[at..]);
    }
    let number = number_around(text, at);
    let plain = |message: String| Explained {
        message,
        path: None,
        at: None,
    };
    let about_number = |message: String| Explained {
        message,
        path: None,
        at: Some(number.map_or(at, |(s, _)| s)),
    };
    // ron stopped inside a number it had begun to read as an integer, where a fraction or an
    // exponent follows (`2.5`, `2.`, `2.5e3`): it then expects what follows a value.
    let fraction = number.filter(|&(s, e)| s < at && at < e && is_fraction(&text[s..e]));
    match (code, fraction) {
        (ron::Error::Eof, _) => plain("the file ends too early".into()),
        (ron::Error::TrailingCharacters, _) => {
            plain("unexpected text after the end of the scenario".into())
        }
        (ron::Error::ExpectedInteger | ron::Error::InvalidIntegerDigit { .. }, _) => about_number(
            format!("expected a whole number, found {}", found(text, at)),
        ),
        (ron::Error::ExpectedFloat, _) => {
            about_number(format!("expected a number, found {}", found(text, at)))
        }
        (
            ron::Error::ExpectedComma
            | ron::Error::ExpectedStructLikeEnd
            | ron::Error::ExpectedArrayEnd
            | ron::Error::ExpectedMapEnd
            | ron::Error::ExpectedOptionEnd,
            Some((s, e)),
        ) => Explained {
            message: format!("expected a whole number, found {}", &text[s..e]),
            // ron blames the struct: the value was read, only the text after it is wrong.
            path: field_at(text, s),
            at: Some(s),
        },
        (ron::Error::IntegerOutOfBounds, _) => match number {
            Some((s, e)) => about_number(out_of_bounds(text, s, e, reparse)),
            None => plain(code.to_string()),
        },
        (other, _) => plain(other.to_string()),
    }
}

/// Whether `token` is a number with a fraction or an exponent, not a whole number.
fn is_fraction(token: &str) -> bool {
    token.parse::<f64>().is_ok() && token.contains(['.', 'e', 'E'])
}

/// The span of the number-like token (digits, letters, `.`, `_`, signs) around byte `at`.
fn number_around(text: &str, at: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let part = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'+' | b'-');
    let at = at.min(b.len());
    let mut start = at;
    while start > 0 && part(b[start - 1]) {
        start -= 1;
    }
    let mut end = at;
    while end < b.len() && part(b[end]) {
        end += 1;
    }
    let token = &text[start..end];
    let numeric = token
        .trim_start_matches(['+', '-'])
        .starts_with(|c: char| c.is_ascii_digit() || c == '.');
    (numeric && start < end).then_some((start, end))
}

/// What stands at byte `at`, for "found …": the token, a quoted string, or the character.
fn found(text: &str, at: usize) -> String {
    let rest = &text[at.min(text.len())..];
    if let Some((s, e)) = number_around(text, at) {
        return text[s..e].to_string();
    }
    if let Some(body) = rest.strip_prefix('"') {
        let inside: String = body.chars().take_while(|&c| c != '"').take(40).collect();
        return format!("the text \"{inside}\"");
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    match (word.is_empty(), rest.chars().next()) {
        (false, _) => format!("`{word}`"),
        (true, Some(c)) => format!("`{c}`"),
        (true, None) => "the end of the file".into(),
    }
}

/// The path of the value that starts at byte `start`, if the index finds one.
fn field_at(text: &str, start: usize) -> Option<String> {
    RonIndex::new(text)
        .nodes
        .into_iter()
        .rfind(|n| n.start == start)
        .map(|n| n.path)
        .filter(|p| !p.is_empty())
}

/// "expected a whole number from 0 to N, found X", with the bounds of the field's type found by
/// putting candidate values in place of `text[s..e]` and asking the parser which it accepts.
fn out_of_bounds(text: &str, s: usize, e: usize, reparse: &Reparse) -> String {
    let fits = |candidate: &str| {
        let probe = format!("{}{candidate}{}", &text[..s], &text[e..]);
        !matches!(reparse(&probe), Some((ron::Error::IntegerOutOfBounds, at)) if at >= s && at <= s + candidate.len())
    };
    let token = &text[s..e];
    let max = [
        u64::MAX,
        i64::MAX as u64,
        u32::MAX as u64,
        i32::MAX as u64,
        u16::MAX as u64,
        u8::MAX as u64,
    ]
    .into_iter()
    .find(|m| fits(&m.to_string()));
    match (max, fits("-1")) {
        (Some(max), false) => format!("expected a whole number from 0 to {max}, found {token}"),
        (Some(max), true) => {
            format!("the whole number {token} is out of range for this field (at most {max})")
        }
        (None, _) => format!("the whole number {token} is out of range for this field"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_around_an_offset_is_found_whole() {
        let t = "(workers: 2.5, x: -1e3)";
        assert_eq!(number_around(t, 11).map(|(s, e)| &t[s..e]), Some("2.5"));
        assert_eq!(number_around(t, 19).map(|(s, e)| &t[s..e]), Some("-1e3"));
        assert_eq!(number_around(t, 3), None, "a word is not a number");
        assert!(is_fraction("2.5") && is_fraction("2.") && is_fraction("1e3"));
        assert!(!is_fraction("25") && !is_fraction("30ms"));
    }

    #[test]
    fn found_names_a_string_a_word_or_the_end() {
        assert_eq!(found("x: \"2\")", 3), "the text \"2\"");
        assert_eq!(found("x: Some(2))", 3), "`Some`");
        assert_eq!(found("x: ", 3), "the end of the file");
    }
}
