//! The shape of the code: no import cycles between the modules of any crate (shared
//! vocabulary lives in leaf modules), and no source file over 800 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A file's module path within its crate: `policy/retry` for `src/policy/retry.rs`, `policy`
/// for `src/policy/mod.rs` or `src/policy.rs`, `` for the crate root.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("/")
}

/// The code of a file without its tests and comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The path segments after each `crate::` or run of `super::` in `code`, as module paths
/// relative to the crate root.
fn references(module: &str, code: &str, is_dir_module: bool) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let ident = |i: usize| -> (String, usize) {
        let mut j = i;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
            j += 1;
        }
        (code[i..j].to_string(), j)
    };
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if starts_word && bytes[i..].starts_with(b"crate::") {
            let mut path = Vec::new();
            let mut j = i + "crate::".len();
            loop {
                let (name, end) = ident(j);
                if name.is_empty() {
                    break;
                }
                path.push(name);
                if bytes[end..].starts_with(b"::") {
                    j = end + 2;
                } else {
                    break;
                }
            }
            out.push(path);
            i = j.max(i + 1);
        } else if starts_word && bytes[i..].starts_with(b"super::") {
            // `super` from a file module is its parent; from a `mod.rs`, the grandparent.
            let mut base: Vec<String> = module
                .split('/')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if is_dir_module {
                base.push(String::new());
            }
            let mut j = i;
            while bytes[j..].starts_with(b"super::") {
                base.pop();
                j += "super::".len();
            }
            base.retain(|s| !s.is_empty());
            loop {
                let (name, end) = ident(j);
                if name.is_empty() {
                    break;
                }
                base.push(name);
                if bytes[end..].starts_with(b"::") {
                    j = end + 2;
                } else {
                    break;
                }
            }
            out.push(base);
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        if let Some(ws) = s.edges.get(v) {
            for w in ws {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if s.on.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.found.push(comp);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

/// The module graph of the crate whose sources are in `src`: an edge from each module to each
/// other module (the longest existing prefix of a referenced path) it names.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = sources(src);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let module = module_of(src, f);
        let is_dir = f.file_name().is_some_and(|n| n == "mod.rs");
        let text = std::fs::read_to_string(f).expect("read");
        for path in references(&module, &code(&text), is_dir) {
            let target = (1..=path.len())
                .rev()
                .map(|k| path[..k].join("/"))
                .find(|p| modules.contains(p));
            if let Some(t) = target {
                // A module naming its own children or parent (re-exports) is not a dependency.
                if !t.is_empty() && t != module && !t.starts_with(&format!("{module}/")) {
                    edges.entry(module.clone()).or_default().insert(t);
                }
            }
        }
    }
    edges
}

/// Every crate's sources.
const CRATES: [&str; 11] = [
    "sim-core/src",
    "sim-net/src",
    "sim-history/src",
    "sim-backoff/src",
    "sim-store/src",
    "sim-models/src",
    "sim-sweep/src",
    "sim-plot/src",
    "sim-experiment/src",
    "sim-gui/src",
    "src",
];

#[test]
fn every_workspace_member_is_checked() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members = manifest
        .lines()
        .find(|l| l.starts_with("members"))
        .expect("a members line");
    let listed: Vec<&str> = members.split('"').skip(1).step_by(2).collect();
    assert!(listed.len() >= 6, "{members}");
    for member in listed {
        assert!(
            CRATES.contains(&format!("{member}/src").as_str()),
            "{member} is a workspace member but not in CRATES"
        );
    }
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for krate in CRATES {
        let graph = module_graph(&root.join(krate));
        if krate == "sim-models/src" {
            assert!(
                graph.len() > 20,
                "{krate}: {} modules with dependencies",
                graph.len()
            );
        }
        for c in cycles(&graph) {
            found.push(format!("{krate}: {}", c.join(" <-> ")));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    g.entry("c".into()).or_default().insert("d".into());
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
    let refs = references(
        "policy/retry",
        "use super::call::Outcome; crate::world::World",
        false,
    );
    assert_eq!(
        refs,
        vec![vec!["policy", "call", "Outcome"], vec!["world", "World"]]
    );
}

/// The most lines a source file may have: past this a file holds more than one concept, and a
/// newcomer can no longer find a concept by its file name.
const MAX_LINES: usize = 800;

#[test]
fn no_source_file_is_over_800_lines() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in CRATES.into_iter().chain(["tests", "benches"]) {
        files.extend(sources(&root.join(dir)));
    }
    assert!(files.len() > 100, "{} source files found", files.len());
    let mut long = Vec::new();
    for f in &files {
        let lines = std::fs::read_to_string(f).expect("read").lines().count();
        if lines > MAX_LINES {
            let rel = f.strip_prefix(&root).expect("under the workspace");
            long.push(format!("{}: {lines} lines", rel.display()));
        }
    }
    assert!(
        long.is_empty(),
        "source files over {MAX_LINES} lines (split them by concept):\n{}",
        long.join("\n")
    );
}
