//! What an error message can add from the raw text: where a truncated file lost its way, where
//! nesting goes too deep, a number with an unquoted unit, and the name that was probably meant.

use super::reader::brackets;

/// The offset of the innermost bracket still open at the end of `text`, if any: where a
/// truncated file lost its way. Strings and comments are skipped.
pub(crate) fn unclosed_bracket(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    for (at, b) in brackets(text) {
        match b {
            b'(' | b'[' | b'{' => open.push(at),
            _ => {
                open.pop();
            }
        }
    }
    open.last().copied()
}

/// The offset of the first bracket nested deeper than `max` levels, if any.
pub(crate) fn too_deep(text: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, b) in brackets(text) {
        if matches!(b, b'(' | b'[' | b'{') {
            depth += 1;
            if depth > max {
                return Some(at);
            }
        } else {
            depth = depth.saturating_sub(1);
        }
    }
    None
}

/// A number with a unit written without quotes (`30ms`, `10/s`) at or next to `offset`: the most
/// common mistake in a hand-written scenario, which RON reports only as "expected comma".
pub(crate) fn unquoted_unit_near(text: &str, offset: usize) -> Option<&str> {
    let b = text.as_bytes();
    let part = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'/';
    let mut start = offset.min(b.len());
    while start > 0 && part(b[start - 1]) {
        start -= 1;
    }
    let mut end = offset.min(b.len());
    while end < b.len() && part(b[end]) {
        end += 1;
    }
    let token = &text[start..end];
    let quoted = start > 0 && b[start - 1] == b'"';
    let starts_with_digit = token.bytes().next().is_some_and(|c| c.is_ascii_digit());
    // A number in exponent notation (`1e400`) has a letter but no unit.
    let has_unit = token.bytes().any(|c| c.is_ascii_alphabetic()) && token.parse::<f64>().is_err();
    (!quoted && starts_with_digit && has_unit).then_some(token)
}

/// Levenshtein distance, for "did you mean" suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidates closest to `wanted`, best first (at most three, and only plausible ones).
pub(crate) fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| (edit_distance(wanted, c), c))
        .filter(|(d, c)| *d <= (wanted.len().max(c.len()) / 2).max(2))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}
