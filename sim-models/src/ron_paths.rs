//! Where each field of a RON document is, by its dotted path.
//!
//! serde and `ron` tell us *that* a value is wrong and, for syntax errors, *where*; but checks made
//! after deserialising (an unknown service, zero workers) know only the field path, e.g.
//! `services.db.workers`. This small reader walks the (already valid) RON text and records the byte
//! span of every value by path, so such errors can be reported at `file:line:column`. The same index
//! lets `--set PATH=VALUE` splice a new value into the text, so that overrides go through exactly the
//! same parser and checks as the file itself.
//!
//! Paths: struct fields and map keys by name, list and tuple items by index (`schedule.0.rate`).
//! Enum variants add no segment: the fields of `Exponential(mean: "1s")` at `service_time` are
//! `service_time.mean`. `Some(x)` is transparent.

/// What kind of value a path holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `Name(field: v, …)` or `(field: v, …)`: new fields can be inserted after `(`.
    Struct { body: usize },
    /// `{ key: v, … }`: new keys can be inserted after `{`.
    Map { body: usize },
    /// A list, a tuple, or a scalar.
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

/// Every value of a document, by path, in document order.
#[derive(Clone, Debug, Default)]
pub(crate) struct RonIndex {
    pub(crate) nodes: Vec<Node>,
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
                self.seq(path, b']')?;
                Kind::Other
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

    fn seq(&mut self, path: &str, close: u8) -> Option<()> {
        let mut i = 0;
        loop {
            self.skip_ws();
            if self.peek()? == close {
                self.pos += 1;
                return Some(());
            }
            self.value(&join(path, &i.to_string()), None)?;
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

impl RonIndex {
    /// Indexes `text`. A malformed document gives the part read before the fault.
    pub(crate) fn new(text: &str) -> RonIndex {
        let mut r = Reader {
            s: text.as_bytes(),
            pos: 0,
            nodes: Vec::new(),
            depth: 0,
        };
        let _ = r.value("", None);
        RonIndex { nodes: r.nodes }
    }

    /// The node at exactly `path`.
    pub(crate) fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.path == path)
    }

    /// Where `path` is written — the offsets of its field name, and the start and end of its
    /// value — or, if the document leaves it out, of its nearest existing ancestor.
    pub(crate) fn locate(&self, path: &str) -> Option<(usize, usize, usize)> {
        let mut p = path;
        loop {
            if let Some(n) = self.get(p) {
                return Some((n.key, n.start, n.end));
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None => return self.get("").map(|n| (n.key, n.start, n.end)),
            }
        }
    }

    /// Every path in the document, for suggestions.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.nodes
            .iter()
            .map(|n| n.path.as_str())
            .filter(|p| !p.is_empty())
    }
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

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The byte offset of a 1-based line and column (in characters).
pub(crate) fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return off
                + l.char_indices()
                    .nth(col.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b);
        }
        off += l.len();
    }
    text.len()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
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

/// One `--set` splice: what replaced what, to map error positions back to the original file.
#[derive(Clone, Debug)]
pub(crate) struct Splice {
    pub(crate) start: usize,
    pub(crate) old_len: usize,
    pub(crate) new_len: usize,
}

/// Where an offset in the spliced text came from.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Inside the text of splice `k`.
    Set(usize),
    /// At this offset of the original text.
    Original(usize),
}

/// Maps an offset in text produced by applying `splices` in order back to its origin.
pub(crate) fn origin(splices: &[Splice], mut offset: usize) -> Origin {
    for (k, s) in splices.iter().enumerate().rev() {
        // Inclusive end: ron reports some errors (a wrong type) just after the offending token.
        if offset >= s.start && offset <= s.start + s.new_len && s.new_len > 0 {
            return Origin::Set(k);
        }
        if offset >= s.start + s.new_len {
            offset = offset - s.new_len + s.old_len;
        }
    }
    Origin::Original(offset)
}

/// Sets the value at `path` in `text` to `value` (RON text), inserting the field if the document
/// leaves it out. Fails with a message (and suggestions) when no such place exists.
pub(crate) fn splice(text: &mut String, path: &str, value: &str) -> Result<Splice, String> {
    let index = RonIndex::new(text);
    if let Some(n) = index.get(path).filter(|_| !path.is_empty()) {
        let s = Splice {
            start: n.start,
            old_len: n.end - n.start,
            new_len: value.len(),
        };
        text.replace_range(n.start..n.end, value);
        return Ok(s);
    }
    // The nearest ancestor the document has: insert the missing fields under it, creating any
    // missing structs on the way (`limits.max_events=5` in a file without `limits`).
    let segments: Vec<&str> = path.split('.').collect();
    let nearest = (0..segments.len())
        .rev()
        .find_map(|k| Some((k, index.get(&segments[..k].join("."))?)));
    let insert = nearest.and_then(|(k, parent)| {
        let missing = &segments[k..];
        let nested = missing[1..]
            .iter()
            .rev()
            .fold(value.to_string(), |inner, field| {
                format!("({field}: {inner})")
            });
        match parent.kind {
            Kind::Struct { body } => Some((body, format!("{}: {nested}, ", missing[0]))),
            // Under a map only a whole new entry: a longer missing path there is more likely a
            // misspelt name, which the error below answers with suggestions.
            Kind::Map { body } if missing.len() == 1 => {
                Some((body, format!("{:?}: {nested}, ", missing[0])))
            }
            Kind::Map { .. } => None,
            Kind::Other => None,
        }
    });
    match insert {
        Some((at, new)) => {
            text.insert_str(at, &new);
            Ok(Splice {
                start: at,
                old_len: 0,
                new_len: new.len(),
            })
        }
        None => {
            let hint = closest(path, index.paths());
            let mut msg = format!("the scenario has no field `{path}`");
            if !hint.is_empty() {
                msg += &format!(
                    "; did you mean {}?",
                    hint.iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                );
            }
            Err(msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    const DOC: &str = r#"// a comment
Scenario(
    name: "x", /* block /* nested */ */
    clients: {
        "users": Open(rate: 0.9, target: "db", schedule: [Step(at: "10s", rate: 2.0)]),
    },
    services: {
        "db": (workers: 2, service_time: Exponential(mean: "1s"), capacity: Some(10)),
    },
)
"#;

    #[test]
    fn paths_cover_fields_keys_items_and_variants() {
        let idx = RonIndex::new(DOC);
        for p in [
            "name",
            "clients.users.rate",
            "clients.users.schedule.0.at",
            "services.db.workers",
            "services.db.service_time.mean",
            "services.db.capacity",
        ] {
            assert!(
                idx.get(p).is_some(),
                "missing {p}: {:?}",
                idx.paths().collect::<Vec<_>>()
            );
        }
        let n = idx.get("services.db.workers").unwrap();
        assert_eq!(&DOC[n.start..n.end], "2");
        assert_eq!(line_col(DOC, n.key), (8, 16));
    }

    #[test]
    fn missing_paths_locate_at_their_nearest_ancestor() {
        let idx = RonIndex::new(DOC);
        let db = idx.get("services.db").unwrap();
        assert_eq!(
            idx.locate("services.db.routes.0.to"),
            Some((db.key, db.start, db.end))
        );
    }

    #[test]
    fn splice_replaces_an_existing_value() {
        let mut t = DOC.to_string();
        splice(&mut t, "services.db.workers", "8").unwrap();
        assert!(t.contains("workers: 8,"));
        splice(&mut t, "services.db.capacity", "None").unwrap();
        assert!(t.contains("capacity: None"));
    }

    #[test]
    fn splice_inserts_a_missing_field_and_maps_positions_back() {
        let mut t = DOC.to_string();
        let s = splice(&mut t, "seed", "7").unwrap();
        assert!(t.contains("Scenario(seed: 7, "));
        assert_eq!(
            origin(std::slice::from_ref(&s), s.start + 2),
            Origin::Set(0)
        );
        let after = t.find("name").unwrap();
        assert_eq!(
            origin(&[s], after),
            Origin::Original(DOC.find("name").unwrap())
        );
    }

    #[test]
    fn splice_creates_missing_parent_structs() {
        let mut t = DOC.to_string();
        splice(&mut t, "limits.max_events", "5").unwrap();
        assert!(t.contains("Scenario(limits: (max_events: 5), "), "{t}");
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
    fn splice_into_a_path_that_does_not_exist_suggests_real_ones() {
        let mut t = DOC.to_string();
        let e = splice(&mut t, "services.dbb.workers", "3").unwrap_err();
        assert!(e.contains("`services.db.workers`"), "{e}");
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

    #[test]
    fn offsets_and_line_columns_round_trip() {
        for off in [0, 5, 40, DOC.len() - 1] {
            let (l, c) = line_col(DOC, off);
            assert_eq!(offset_of(DOC, l, c), off);
        }
    }
}
