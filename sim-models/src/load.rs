//! Loading a scenario file: parse, apply `--set` overrides, check, and report every problem at
//! `file:line:column` with its field path.

use crate::check::Severity;
use crate::explain::explain;
use crate::ron_paths::{
    closest, line_col, offset_of, origin, splice, unclosed_bracket, unquoted_unit_near, Kind,
    Origin, RonIndex, Splice,
};
use crate::scenario::Scenario;
use ron::extensions::Extensions;
use std::fmt;
use std::path::Path;

/// A problem in a scenario, located.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError {
    /// The file (or the name given to [`load_scenario_str`]).
    pub file: String,
    /// 1-based line; 0 when the problem is in a `--set` argument.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Dotted field path, e.g. `services.db.workers` (empty for syntax errors at the top).
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// The `--set` argument the problem lies in, if it lies in one.
    pub set_arg: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.set_arg {
            Some(arg) => write!(f, "{} (--set {arg})", self.file)?,
            None => write!(f, "{}:{}:{}", self.file, self.line, self.column)?,
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read the scenario: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's reason.
        message: String,
    },
    /// A `--set` argument is malformed or names no field.
    #[error("--set {arg}: {message}")]
    Set {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        message: String,
    },
    /// The scenario has errors (all of them are listed).
    #[error("{}", list(.0))]
    Invalid(Vec<ScenarioError>),
}

fn list(errors: &[ScenarioError]) -> String {
    errors
        .iter()
        .map(|e| format!("error: {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A checked scenario and the warnings it raised.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    /// The scenario, overrides applied.
    pub scenario: Scenario,
    /// Legal but suspicious settings, located.
    pub warnings: Vec<ScenarioError>,
    /// The scenario's text with the overrides spliced in: what was parsed and checked.
    pub text: String,
}

/// Reads, overrides and checks a scenario file.
///
/// `sets` are `PATH=VALUE` overrides such as `services.db.workers=8`; a value that is not valid
/// RON is taken as a string, so `duration=100s` works without quotes.
pub fn load_scenario(path: impl AsRef<Path>, sets: &[String]) -> Result<LoadedScenario, LoadError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).expect("valid up to here");
        let (line, column) = line_col(valid, valid.len());
        LoadError::Invalid(vec![ScenarioError {
            file: file.clone(),
            line,
            column,
            path: String::new(),
            message: "the file is not UTF-8 text (a scenario is a RON text file)".into(),
            set_arg: None,
        }])
    })?;
    let mut loaded = load_scenario_str(&file, &text, sets)?;
    if loaded.scenario.name.is_empty() {
        loaded.scenario.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(loaded)
}

/// [`load_scenario`] for text already in memory; `file` names it in messages.
pub fn load_scenario_str(
    file: &str,
    original: &str,
    sets: &[String],
) -> Result<LoadedScenario, LoadError> {
    let mut text = original.to_string();
    let mut splices: Vec<Splice> = Vec::new();
    let mut regions: Vec<(usize, usize)> = Vec::new();
    for arg in sets {
        let (path, value) = arg.split_once('=').ok_or_else(|| LoadError::Set {
            arg: arg.clone(),
            message: "expected PATH=VALUE, e.g. services.db.workers=8".into(),
        })?;
        let value = value.trim();
        let value = if ron::from_str::<ron::Value>(value).is_ok() {
            value.to_string()
        } else {
            format!("{value:?}")
        };
        let s = splice(&mut text, path.trim(), &value).map_err(|message| LoadError::Set {
            arg: arg.clone(),
            message,
        })?;
        // Keep every earlier splice's region in the coordinates of the current text.
        for earlier in &mut regions {
            let (a, _) = *earlier;
            if a >= s.start + s.old_len {
                *earlier = (a + s.new_len - s.old_len, earlier.1 + s.new_len - s.old_len);
            }
        }
        regions.push((s.start, s.start + s.new_len));
        splices.push(s);
    }
    // Which --set (if any) wrote text inside the span `start..end` of the final text.
    let set_within = |start: usize, end: usize| {
        regions
            .iter()
            .rposition(|&(a, b)| a < end.max(start + 1) && b > start)
    };
    let locate = |offset: usize, path: String, message: String| match origin(&splices, offset) {
        Origin::Set(k) => ScenarioError {
            file: file.to_string(),
            line: 0,
            column: 0,
            path,
            message,
            set_arg: Some(sets[k].clone()),
        },
        Origin::Original(off) => {
            let (line, column) = line_col(original, off);
            // A problem in the file may still be caused by an override (a warm-up longer than a
            // duration set on the command line): say which overrides were applied.
            let message = if sets.is_empty() {
                message
            } else {
                format!("{message} (with --set {})", sets.join(", --set "))
            };
            ScenarioError {
                file: file.to_string(),
                line,
                column,
                path,
                message,
                set_arg: None,
            }
        }
    };

    let scenario = parse(&text).map_err(|f| {
        let start = offset_of(&text, f.start.0, f.start.1);
        let reparse = |variant: &str| {
            parse(variant)
                .err()
                .map(|g| (g.code, offset_of(variant, g.start.0, g.start.1)))
        };
        let explained = explain(&f.code, &text, start, &reparse);
        let mut message = explained.message;
        if let Some(token) = unquoted_unit_near(&text, start) {
            message = format!("{message}: durations and rates with a unit are strings, write \"{token}\"");
        }
        if let Some(open) = unclosed_bracket(&text) {
            let (l, c) = line_col(&text, open);
            let bracket = &text[open..open + 1];
            message = format!("the file ends too early: `{bracket}` opened at line {l}, column {c} is never closed ({message})");
        }
        // ron's span may start in the whitespace before a bad --set value: blame the --set if
        // either end of the span lies in one.
        let end = offset_of(&text, f.end.0, f.end.1);
        let at = match (origin(&splices, start), origin(&splices, end)) {
            (Origin::Original(_), Origin::Set(_)) => end,
            _ => explained.at.unwrap_or(start),
        };
        LoadError::Invalid(vec![locate(at, explained.path.unwrap_or(f.path), message)])
    })?;

    let index = RonIndex::new(&text);
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for p in scenario.check() {
        // Point at the field's name, unless a --set wrote inside it: then blame that --set.
        let (key, start, end) = index.locate(&p.path).unwrap_or((0, 0, 0));
        let e = match set_within(start, end) {
            Some(k) => ScenarioError {
                file: file.to_string(),
                line: 0,
                column: 0,
                path: p.path,
                message: p.message,
                set_arg: Some(sets[k].clone()),
            },
            None => locate(key, p.path, p.message),
        };
        match p.severity {
            Severity::Error => errors.push(e),
            Severity::Warning => warnings.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(LoadError::Invalid(errors));
    }
    Ok(LoadedScenario {
        scenario,
        warnings,
        text,
    })
}

/// Every field path `--set` (or a sweep's `--vary`) could name in the scenario `text`, sorted:
/// the paths the text writes, and for each struct it writes, the fields of that struct it leaves
/// out (asked of the scenario format itself, by probing the struct with a field it lacks).
/// Fields under a struct the text leaves out entirely are not listed.
pub fn field_paths(text: &str) -> Vec<String> {
    const PROBE: &str = "__faultline_probe__";
    let index = RonIndex::new(text);
    let mut paths: std::collections::BTreeSet<String> = index.paths().map(String::from).collect();
    for node in &index.nodes {
        let Kind::Struct { body } = node.kind else {
            continue;
        };
        let mut probe = text.to_string();
        probe.insert_str(body, &format!("{PROBE}: 0, "));
        if let Some(fields) = expected_fields(&probe) {
            for f in fields {
                paths.insert(if node.path.is_empty() {
                    f.to_string()
                } else {
                    format!("{}.{f}", node.path)
                });
            }
        }
    }
    paths.into_iter().collect()
}

/// The field paths of the scenario `text` closest to `wanted` by edit distance, best first (at
/// most three): "did you mean" suggestions for a path that names no field.
pub fn closest_field_paths(text: &str, wanted: &str) -> Vec<String> {
    let paths = field_paths(text);
    closest(wanted, paths.iter().map(String::as_str))
        .into_iter()
        .map(String::from)
        .collect()
}

/// The fields the deserializer expected where it met an unknown one, if that is why `text`
/// fails to parse.
fn expected_fields(text: &str) -> Option<&'static [&'static str]> {
    let options = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
    let mut de = ron::Deserializer::from_str_with_options(text, &options).ok()?;
    match serde_path_to_error::deserialize::<_, Scenario>(&mut de) {
        Err(e) => match e.into_inner() {
            ron::Error::NoSuchStructField { expected, .. } => Some(expected),
            _ => None,
        },
        Ok(_) => None,
    }
}

/// Deserialises; on failure returns the error's span as `(start, end)` 1-based line/column pairs,
/// the field path and the message.
fn parse(text: &str) -> Result<Scenario, ParseFailure> {
    let options = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
    let located = |e: ron::error::SpannedError, path: String| ParseFailure {
        start: (e.span.start.line, e.span.start.col),
        end: (e.span.end.line, e.span.end.col),
        path,
        code: e.code,
    };
    let mut de = ron::Deserializer::from_str_with_options(text, &options)
        .map_err(|e| located(e, String::new()))?;
    let scenario: Scenario = match serde_path_to_error::deserialize(&mut de) {
        Ok(s) => s,
        Err(e) => {
            let path = field_path(e.path());
            let spanned = de.span_error(e.into_inner());
            return Err(located(spanned, path));
        }
    };
    de.end()
        .map_err(|e| located(de.span_error(e), String::new()))?;
    Ok(scenario)
}

/// The path in our own notation: enum variants add no segment (`clients.a.rate`, not
/// `clients.a.Open.rate`), so parse errors and check errors name fields the same way and `--set`
/// accepts what they print.
fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let segments: Vec<String> = path
        .iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect();
    segments.join(".")
}

struct ParseFailure {
    start: (usize, usize),
    end: (usize, usize),
    path: String,
    /// ron's error, explained by [`explain`] for the message.
    code: ron::Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"Scenario(
    duration: "100s",
    clients: { "users": Open(rate: 1.0, target: "db") },
    services: { "db": (workers: 2, service_time: Exponential(mean: "1s")) },
)"#;

    #[test]
    fn field_paths_list_written_and_absent_fields() {
        let paths = field_paths(TEXT);
        for p in [
            "duration",
            "services.db.workers",
            "services.db.service_time.mean",
            "clients.users.rate",
            // Left out by the text, known to the format:
            "seed",
            "warmup",
            "services.db.capacity",
            "clients.users.timeout",
        ] {
            assert!(paths.iter().any(|q| q == p), "{p} missing from {paths:?}");
        }
        assert!(!paths.iter().any(|q| q.contains("__faultline_probe__")));
    }

    #[test]
    fn closest_field_paths_suggest_absent_fields_too() {
        assert_eq!(
            closest_field_paths(TEXT, "services.db.wrkers")[0],
            "services.db.workers"
        );
        assert_eq!(
            closest_field_paths(TEXT, "services.db.capacty")[0],
            "services.db.capacity"
        );
    }
}
