//! The reader: walks the (already valid) RON text and records the byte span of every value by
//! path, following exactly ron's whitespace and comments; and the same walk as a scan of
//! brackets outside strings and comments.

/// What kind of value a path holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `Name(field: v, …)` or `(field: v, …)`: new fields can be inserted after `(`.
    Struct { body: usize },
    /// `{ key: v, … }`: new keys can be inserted after `{`.
    Map { body: usize },
    /// `[v, …]`: a new item can be appended at `append` (after the last item, or after `[`).
    List { append: usize, items: usize },
    /// A tuple or a scalar.
    Other,
}

/// One value in the document.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) path: String,
    /// Where the field's name (or, for items, the value) starts: what an error points at.
    pub(crate) key: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: Kind,
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    /// Nesting depth: the reader gives up past [`MAX_DEPTH`] instead of overflowing the stack.
    depth: usize,
}

/// The highest nesting limit a loaded scenario may have: the parser and every later pass recurse
/// once or more per level, and this many levels fit well within a worker thread's 2 MiB stack.
/// It lives here, in the leaf that reads raw text, so the loader can name it without a cycle.
pub(crate) const NESTING_CEILING: usize = 256;

/// Deepest nesting the reader follows: a little above the highest nesting limit a loaded
/// scenario may have (each bracket is at most one level of values, plus the top).
const MAX_DEPTH: usize = NESTING_CEILING + 4;

fn join(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_string()
    } else {
        format!("{path}.{seg}")
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The length in bytes of the whitespace character `s` starts with, or 0: exactly the characters
/// ron 0.12 skips between tokens (its `is_whitespace_char`): space, tab, line feed, carriage
/// return, vertical tab, form feed, U+0085, U+200E, U+200F, U+2028 and U+2029. Anything narrower
/// (`u8::is_ascii_whitespace` lacks the vertical tab) would make a file that parses look, to
/// `--set`, as if it lacked fields.
pub(crate) fn whitespace_len(s: &[u8]) -> usize {
    match s {
        [b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C, ..] => 1,
        [0xC2, 0x85, ..] => 2,
        [0xE2, 0x80, 0x8E | 0x8F | 0xA8 | 0xA9, ..] => 3,
        _ => 0,
    }
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// The length of the whitespace character at `pos`, or 0.
    fn ws_here(&self) -> usize {
        whitespace_len(&self.s[self.pos.min(self.s.len())..])
    }

    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(_) if self.ws_here() > 0 => self.pos += self.ws_here(),
                Some(b'/') if self.s.get(self.pos + 1) == Some(&b'/') => {
                    while let Some(b) = self.peek() {
                        self.pos += 1;
                        if b == b'\n' {
                            break;
                        }
                    }
                }
                Some(b'/') if self.s.get(self.pos + 1) == Some(&b'*') => {
                    // RON block comments nest.
                    let mut depth = 0;
                    while self.pos < self.s.len() {
                        if self.s[self.pos..].starts_with(b"/*") {
                            depth += 1;
                            self.pos += 2;
                        } else if self.s[self.pos..].starts_with(b"*/") {
                            depth -= 1;
                            self.pos += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            self.pos += 1;
                        }
                    }
                }
                Some(b'#') => {
                    // `#![enable(...)]` attribute: skip to its closing bracket.
                    while let Some(b) = self.peek() {
                        self.pos += 1;
                        if b == b']' {
                            break;
                        }
                    }
                }
                _ => return,
            }
        }
    }

    fn ident(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_ident) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("")
    }

    /// Skips a quoted string or char starting at `pos`, returning its unescaped-enough content
    /// (escapes are kept as written: keys with escapes are vanishingly rare).
    fn quoted(&mut self) -> String {
        let quote = self.s[self.pos];
        self.pos += 1;
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == b'\\' {
                self.pos += 2;
                continue;
            }
            self.pos += 1;
            if b == quote {
                return String::from_utf8_lossy(&self.s[start..self.pos - 1]).into_owned();
            }
        }
        String::from_utf8_lossy(&self.s[start..]).into_owned()
    }

    /// Whether a raw string (`r"…"`, `r#"…"#`) starts at `pos`, not a raw identifier (`r#name`)
    /// or an identifier ending in `r`.
    fn at_raw_string(&self) -> bool {
        let after = &self.s[self.pos + 1..];
        let hashes = after.iter().take_while(|&&b| b == b'#').count();
        after.get(hashes) == Some(&b'"') && (self.pos == 0 || !is_ident(self.s[self.pos - 1]))
    }

    fn raw_string(&mut self) {
        // r##"..."## : count the hashes, then find the quote followed by as many.
        self.pos += 1;
        let mut hashes = 0;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.pos += 1;
        }
        self.pos += 1; // opening quote
        while self.pos < self.s.len() {
            if self.s[self.pos] == b'"'
                && self.s[self.pos + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&b| b == b'#')
                    .count()
                    == hashes
            {
                self.pos += 1 + hashes;
                return;
            }
            self.pos += 1;
        }
    }

    /// Reads one value at `path`, whose field name (if any) starts at `key`.
    fn value(&mut self, path: &str, key: Option<usize>) -> Option<()> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let read = self.value_at_depth(path, key);
        self.depth -= 1;
        read
    }

    fn value_at_depth(&mut self, path: &str, key: Option<usize>) -> Option<()> {
        self.skip_ws();
        let start = self.pos;
        let key = key.unwrap_or(start);
        let node = self.nodes.len();
        self.nodes.push(Node {
            path: path.to_string(),
            key,
            start,
            end: start,
            kind: Kind::Other,
        });
        let kind = match self.peek()? {
            b'(' => {
                self.pos += 1;
                self.paren_body(path)?
            }
            b'[' => {
                self.pos += 1;
                let (append, items) = self.seq(path, b']')?;
                Kind::List { append, items }
            }
            b'{' => {
                self.pos += 1;
                let body = self.pos;
                self.map(path)?;
                Kind::Map { body }
            }
            b'"' | b'\'' => {
                self.quoted();
                Kind::Other
            }
            b'r' if matches!(self.s.get(self.pos + 1), Some(b'"') | Some(b'#')) => {
                self.raw_string();
                Kind::Other
            }
            b if is_ident_start(b) => {
                let name = self.ident();
                let after_name = self.pos;
                self.skip_ws();
                if self.peek() == Some(b'(') {
                    self.pos += 1;
                    if name == "Some" {
                        // Transparent: the inner value stands at the same path.
                        self.value(path, Some(key))?;
                        self.skip_ws();
                        self.expect(b')')?;
                        Kind::Other
                    } else {
                        self.paren_body(path)?
                    }
                } else {
                    self.pos = after_name;
                    Kind::Other
                }
            }
            _ => {
                // A number, possibly signed: up to the next delimiter.
                while let Some(b) = self.peek() {
                    if b == b','
                        || b == b')'
                        || b == b']'
                        || b == b'}'
                        || self.ws_here() > 0
                        || b == b'/'
                    {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    // A closing bracket of the wrong kind, or a stray delimiter: malformed. Stop
                    // here rather than read nothing again and again.
                    return None;
                }
                Kind::Other
            }
        };
        self.nodes[node].end = self.pos;
        self.nodes[node].kind = kind;
        Some(())
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// After `(`: named fields (`a: 1, b: 2`) or positional items.
    fn paren_body(&mut self, path: &str) -> Option<Kind> {
        let body = self.pos;
        self.skip_ws();
        let save = self.pos;
        let named = if self.peek().is_some_and(is_ident_start) {
            self.ident();
            self.skip_ws();
            let named = self.peek() == Some(b':');
            self.pos = save;
            named
        } else {
            self.peek() == Some(b')')
        };
        if !named {
            self.seq(path, b')')?;
            return Some(Kind::Other);
        }
        loop {
            self.skip_ws();
            if self.peek()? == b')' {
                self.pos += 1;
                return Some(Kind::Struct { body });
            }
            let key = self.pos;
            let field = self.ident();
            self.skip_ws();
            self.expect(b':')?;
            self.value(&join(path, field), Some(key))?;
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.pos += 1;
            }
        }
    }

    /// Reads items up to `close`; returns where a new item would go (after the last item, or
    /// at the start of the body) and how many there were.
    fn seq(&mut self, path: &str, close: u8) -> Option<(usize, usize)> {
        let mut i = 0;
        let mut append = self.pos;
        loop {
            self.skip_ws();
            if self.peek()? == close {
                self.pos += 1;
                return Some((append, i));
            }
            self.value(&join(path, &i.to_string()), None)?;
            append = self.pos;
            i += 1;
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.pos += 1;
            }
        }
    }

    fn map(&mut self, path: &str) -> Option<()> {
        loop {
            self.skip_ws();
            if self.peek()? == b'}' {
                self.pos += 1;
                return Some(());
            }
            let key = self.pos;
            let name = match self.peek()? {
                b'"' | b'\'' => self.quoted(),
                _ => {
                    let start = self.pos;
                    while self.peek().is_some_and(|b| b != b':') && self.ws_here() == 0 {
                        self.pos += 1;
                    }
                    String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
                }
            };
            self.skip_ws();
            self.expect(b':')?;
            self.value(&join(path, &name), Some(key))?;
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.pos += 1;
            }
        }
    }
}

/// Every value of `text`, by path, in document order. A malformed document gives the part read
/// before the fault.
pub(super) fn nodes(text: &str) -> Vec<Node> {
    let mut r = Reader {
        s: text.as_bytes(),
        pos: 0,
        nodes: Vec::new(),
        depth: 0,
    };
    let _ = r.value("", None);
    r.nodes
}

/// Every bracket of `text` — `(`, `[`, `{`, `)`, `]`, `}` — outside strings, chars and comments,
/// with its byte offset, in order: what the nesting limit and the truncation hint count.
pub(crate) fn brackets(text: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut r = Reader {
        s: text.as_bytes(),
        pos: 0,
        nodes: Vec::new(),
        depth: 0,
    };
    std::iter::from_fn(move || loop {
        r.skip_ws();
        match r.peek()? {
            b @ (b'(' | b'[' | b'{' | b')' | b']' | b'}') => {
                r.pos += 1;
                return Some((r.pos - 1, b));
            }
            b'"' | b'\'' => {
                r.quoted();
            }
            b'r' if r.at_raw_string() => r.raw_string(),
            _ => r.pos += 1,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ron_paths::{splice, RonIndex};

    #[test]
    fn a_mismatched_bracket_ends_the_index_instead_of_looping() {
        for text in [
            "( a: [[ 1 ), b: 2 )",
            "( a: [ } ]",
            "{ \"x\": ( ] ) }",
            "[[[[ \"s\", t: (b: 1) )",
        ] {
            let index = RonIndex::new(text);
            assert!(
                index.nodes.len() < 20,
                "{text}: {} nodes",
                index.nodes.len()
            );
        }
    }
    #[test]
    fn deep_nesting_is_refused_instead_of_overflowing_the_stack() {
        let deep = format!("Scenario(x: {}", "[".repeat(200_000));
        let idx = RonIndex::new(&deep);
        assert!(idx.nodes.len() <= MAX_DEPTH + 1);
        let mut t = deep.clone();
        let _ = splice(&mut t, "x.0.0", "1"); // must return, not overflow the stack
    }
    #[test]
    fn whitespace_is_exactly_what_ron_skips() {
        // After a string only whitespace, a comma or the closing bracket may follow: ron accepts
        // the list iff it skips the character, which must be iff we do.
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let text = format!("[\"a\"{c},\"b\"]");
            let ron_skips = ron::from_str::<ron::Value>(&text).is_ok();
            let mut buf = [0; 4];
            let ours = whitespace_len(c.encode_utf8(&mut buf).as_bytes());
            assert_eq!(ron_skips, ours > 0, "U+{:04X}", c as u32);
            assert!(ours == 0 || ours == c.len_utf8(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn fields_after_any_ron_whitespace_are_found_and_spliced() {
        for ws in [
            "\x0B", "\x0C", "\u{85}", "\u{200E}", "\u{200F}", "\u{2028}", "\u{2029}",
        ] {
            let doc =
                format!("({ws}a:{ws}1,{ws}b{ws}:{ws}({ws}c: 2{ws}){ws},{ws}m: {{{ws}k{ws}: 3}})");
            let idx = RonIndex::new(&doc);
            for p in ["a", "b.c", "m.k"] {
                assert!(
                    idx.get(p).is_some(),
                    "{ws:?}: no {p} in {:?}",
                    idx.paths().collect::<Vec<_>>()
                );
            }
            let a = idx.get("a").unwrap();
            assert_eq!(&doc[a.start..a.end], "1", "{ws:?}");
            let mut t = doc.clone();
            splice(&mut t, "b.c", "9").unwrap();
            assert!(t.contains("c: 9"), "{ws:?}: {t}");
        }
    }
}
