//! A small YAML emitter: block maps and sequences, plain or double-quoted scalars, comments.

use super::document::{comment_lines, Library};
use super::duration::{proto_duration, spring_duration};
use sim_core::SimDuration;
use std::fmt::Write as _;

#[derive(Clone, Debug)]
pub(super) enum Node {
    Scalar(String),
    Map(Map),
    Seq(Vec<Node>),
}

#[derive(Clone, Debug)]
pub(super) enum Item {
    Pair(String, Node, Option<String>),
    Comment(String),
}

impl Node {
    pub(super) fn str(s: &str) -> Node {
        Node::Scalar(yaml_string(s))
    }
    pub(super) fn num(v: f64) -> Node {
        Node::Scalar(format!("{v}"))
    }
    pub(super) fn int(v: impl Into<u64>) -> Node {
        Node::Scalar(v.into().to_string())
    }
    pub(super) fn bool(v: bool) -> Node {
        Node::Scalar(v.to_string())
    }
    pub(super) fn dur(d: SimDuration, lib: Library) -> Node {
        match lib {
            Library::Resilience4j => Node::Scalar(spring_duration(d)),
            Library::Grpc | Library::Envoy => Node::Scalar(proto_duration(d)),
        }
    }
}

/// A block map, keys in insertion order.
#[derive(Clone, Debug, Default)]
pub(super) struct Map(pub(super) Vec<Item>);

impl Map {
    pub(super) fn put(&mut self, key: &str, value: Node) -> &mut Self {
        self.0.push(Item::Pair(key.into(), value, None));
        self
    }
    pub(super) fn put_noted(
        &mut self,
        key: &str,
        value: Node,
        comment: impl Into<String>,
    ) -> &mut Self {
        self.0
            .push(Item::Pair(key.into(), value, Some(comment.into())));
        self
    }
    pub(super) fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.0.push(Item::Comment(text.into()));
        self
    }
    /// The map under `key`, created at the end if absent.
    pub(super) fn child(&mut self, key: &str) -> &mut Map {
        let at = match self
            .0
            .iter()
            .position(|i| matches!(i, Item::Pair(k, Node::Map(_), _) if k == key))
        {
            Some(at) => at,
            None => {
                self.0
                    .push(Item::Pair(key.into(), Node::Map(Map::default()), None));
                self.0.len() - 1
            }
        };
        match &mut self.0[at] {
            Item::Pair(_, Node::Map(m), _) => m,
            _ => unreachable!("found or inserted a map"),
        }
    }
    pub(super) fn has(&self, key: &str) -> bool {
        self.0
            .iter()
            .any(|i| matches!(i, Item::Pair(k, _, _) if k == key))
    }
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub(super) fn to_yaml(&self) -> String {
        let mut out = String::new();
        emit(&self.0, 0, &mut out);
        out
    }
}

fn yaml_string(s: &str) -> String {
    let special = [
        "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n",
    ];
    let plain = !s.is_empty()
        && !s.starts_with(|c: char| !(c.is_ascii_alphanumeric() || "/._".contains(c)))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./,+".contains(c))
        && !special.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string serialises")
    }
}

fn emit(items: &[Item], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Item::Comment(t) => comment_lines(out, &pad, t),
            Item::Pair(key, value, comment) => {
                let c = comment
                    .as_ref()
                    .map(|c| format!("  # {c}"))
                    .unwrap_or_default();
                match value {
                    Node::Scalar(s) => {
                        let _ = writeln!(out, "{pad}{key}: {s}{c}");
                    }
                    Node::Map(m) if m.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}: {{}}{c}");
                    }
                    Node::Seq(v) if v.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}: []{c}");
                    }
                    Node::Map(m) => {
                        let _ = writeln!(out, "{pad}{key}:{c}");
                        emit(&m.0, indent + 2, out);
                    }
                    Node::Seq(v) => {
                        let _ = writeln!(out, "{pad}{key}:{c}");
                        emit_seq(v, indent, out);
                    }
                }
            }
        }
    }
}

fn emit_seq(nodes: &[Node], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for n in nodes {
        match n {
            Node::Scalar(s) => {
                let _ = writeln!(out, "{pad}- {s}");
            }
            Node::Map(m) => {
                let mut inner = String::new();
                emit(&m.0, indent + 2, &mut inner);
                // The first line of the item's map goes on the dash.
                let _ = write!(out, "{pad}- {}", &inner[indent + 2..]);
            }
            Node::Seq(inner) => {
                let _ = writeln!(out, "{pad}-");
                emit_seq(inner, indent + 2, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_strings_are_quoted_only_when_needed() {
        assert_eq!(yaml_string("db"), "db");
        assert_eq!(yaml_string("5xx,reset"), "5xx,reset");
        assert_eq!(yaml_string("/"), "/");
        assert_eq!(yaml_string("yes"), "\"yes\"");
        assert_eq!(yaml_string("123"), "\"123\"");
        assert_eq!(yaml_string("a: b"), "\"a: b\"");
        assert_eq!(yaml_string(""), "\"\"");
    }
}
