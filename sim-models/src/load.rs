//! Loading a scenario file: parse, apply `--set` overrides, check, and report every problem at
//! `file:line:column` with its field path.

use crate::check::Severity;
use crate::explain::explain;
use crate::ron_paths::{
    closest, line_col, offset_of, origin, splice, too_deep, unclosed_bracket, unquoted_unit_near,
    Kind, Origin, RonIndex, Splice,
};
use crate::scenario::Scenario;
use ron::extensions::Extensions;
use std::fmt;
use std::path::Path;

/// The path of the innermost value written at or before byte `at` of `text`: the field a
/// bracket nested too deep lies in.
fn path_at(text: &str, at: usize) -> String {
    RonIndex::new(text)
        .nodes
        .into_iter()
        .rfind(|n| n.start <= at)
        .map(|n| n.path)
        .unwrap_or_default()
}

/// Why text nested deeper than `max_depth` is refused, and how to raise the limit.
fn too_deep_message(max_depth: usize) -> String {
    format!(
        "nested deeper than {max_depth} levels of (, [ and {{: this bracket is one too many (raise the limit with --max-nesting, up to {})",
        LoadOptions::MAX_DEPTH_CEILING
    )
}

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
    /// The file (or text) is larger than [`LoadOptions::max_bytes`]; it was not read whole.
    #[error("{file}: the file is {size}, over the limit of {limit_text} for a scenario; if it is meant to be this large, raise the limit, e.g. --max-scenario-bytes 256MiB", limit_text = bytes_text(*limit))]
    TooLarge {
        /// The file.
        file: String,
        /// Its size, or how much was read before reading stopped.
        size: InputSize,
        /// The limit, in bytes.
        limit: u64,
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

/// Limits on a scenario's text, enforced before it is parsed, so that no input file can exhaust
/// memory or the stack: a file is read through the size limit (a stream such as `/dev/zero`
/// stops there), and brackets are counted before the parser, which recurses, sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// The largest scenario (or sweep) file, in bytes.
    pub max_bytes: u64,
    /// The deepest nesting of `(`, `[` and `{` (inside one another, outside strings and
    /// comments); values above [`LoadOptions::MAX_DEPTH_CEILING`] count as that.
    pub max_depth: usize,
}

impl LoadOptions {
    /// The default size limit: 64 MiB, far above any hand-written or generated scenario.
    pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;
    /// The default nesting limit: 64 levels; the bundled scenarios use at most 9.
    pub const DEFAULT_MAX_DEPTH: usize = 64;
    /// The highest nesting limit there is: the parser and every later pass recurse once or more
    /// per level, and this many levels fit well within a worker thread's 2 MiB stack.
    pub const MAX_DEPTH_CEILING: usize = crate::ron_paths::NESTING_CEILING;

    /// The nesting limit in force: `max_depth`, at most [`LoadOptions::MAX_DEPTH_CEILING`].
    fn depth(&self) -> usize {
        self.max_depth.min(LoadOptions::MAX_DEPTH_CEILING)
    }
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_bytes: LoadOptions::DEFAULT_MAX_BYTES,
            max_depth: LoadOptions::DEFAULT_MAX_DEPTH,
        }
    }
}

/// How large an input refused for its size is: exactly, or (for a stream, whose size is not
/// known in advance) at least this many bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputSize {
    /// The file's size.
    Exactly(u64),
    /// Reading stopped here, past the limit.
    AtLeast(u64),
}

impl fmt::Display for InputSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputSize::Exactly(n) => write!(f, "{n} bytes"),
            InputSize::AtLeast(n) => write!(f, "at least {n} bytes"),
        }
    }
}

/// A byte count in the largest binary unit that holds it whole, for messages: `64 MiB`.
fn bytes_text(n: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if n >= 1 << shift && n.trailing_zeros() >= shift {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// Reads a scenario (or sweep) file as text, refusing it — before reading it whole — if it is
/// larger than `options.max_bytes`, and locating the first byte that is not UTF-8.
pub fn read_scenario_file(path: &Path, options: &LoadOptions) -> Result<String, LoadError> {
    use std::io::Read;
    let file = path.display().to_string();
    let io = |e: std::io::Error| LoadError::Io {
        file: file.clone(),
        message: e.to_string(),
    };
    let too_large = |size| LoadError::TooLarge {
        file: file.clone(),
        size,
        limit: options.max_bytes,
    };
    let handle = std::fs::File::open(path).map_err(io)?;
    // A regular file says its size; a device or a pipe says 0 and is read up to the limit.
    let known = handle.metadata().map_err(io)?.len();
    if known > options.max_bytes {
        return Err(too_large(InputSize::Exactly(known)));
    }
    let mut bytes = Vec::new();
    handle
        .take(options.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > options.max_bytes {
        return Err(too_large(InputSize::AtLeast(bytes.len() as u64)));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        let (line, column) = line_col(valid, valid.len());
        LoadError::Invalid(vec![ScenarioError {
            file: file.clone(),
            line,
            column,
            path: String::new(),
            message: "the file is not UTF-8 text (a scenario is a RON text file)".into(),
            set_arg: None,
        }])
    })
}

/// Reads, overrides and checks a scenario file, within the default [`LoadOptions`].
///
/// `sets` are `PATH=VALUE` overrides such as `services.db.workers=8`; a value that is not valid
/// RON is taken as a string, so `duration=100s` works without quotes.
pub fn load_scenario(path: impl AsRef<Path>, sets: &[String]) -> Result<LoadedScenario, LoadError> {
    load_scenario_with(path, sets, &LoadOptions::default())
}

/// [`load_scenario`] within the given limits on the file's size and nesting.
pub fn load_scenario_with(
    path: impl AsRef<Path>,
    sets: &[String],
    options: &LoadOptions,
) -> Result<LoadedScenario, LoadError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = read_scenario_file(path, options)?;
    let mut loaded = load_scenario_str_with(&file, &text, sets, options)?;
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
    load_scenario_str_with(file, original, sets, &LoadOptions::default())
}

/// [`load_scenario_str`] within the given limits: text longer than `options.max_bytes` or
/// nested deeper than `options.max_depth` (in the file or once the overrides are spliced in) is
/// refused before it is parsed.
pub fn load_scenario_str_with(
    file: &str,
    original: &str,
    sets: &[String],
    options: &LoadOptions,
) -> Result<LoadedScenario, LoadError> {
    if original.len() as u64 > options.max_bytes {
        return Err(LoadError::TooLarge {
            file: file.to_string(),
            size: InputSize::Exactly(original.len() as u64),
            limit: options.max_bytes,
        });
    }
    let max_depth = options.depth();
    // Before the overrides, whose splicing reads the file's structure.
    if let Some(at) = too_deep(original, max_depth) {
        let (line, column) = line_col(original, at);
        return Err(LoadError::Invalid(vec![ScenarioError {
            file: file.to_string(),
            line,
            column,
            path: path_at(original, at),
            message: too_deep_message(max_depth),
            set_arg: None,
        }]));
    }
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

    if let Some(at) = too_deep(&text, max_depth) {
        return Err(LoadError::Invalid(vec![locate(
            at,
            path_at(&text, at),
            too_deep_message(max_depth),
        )]));
    }
    let scenario = parse(&text).map_err(|f| {
        let start = offset_of(&text, f.start.0, f.start.1);
        let reparse = |variant: &str| {
            parse(variant)
                .err()
                .map(|g| (*g.code, offset_of(variant, g.start.0, g.start.1)))
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

/// The override (`--set` argument) that appends `item` (RON text) to the list at `path`, which
/// holds `existing` items: the whole list when it is empty or absent (a scenario may leave
/// `faults` out), else one past its last item.
///
/// ```
/// assert_eq!(sim_models::append_set("faults", 0, "X"), "faults=[X]");
/// assert_eq!(sim_models::append_set("faults", 2, "X"), "faults.2=X");
/// ```
pub fn append_set(path: &str, existing: usize, item: &str) -> String {
    match existing {
        0 => format!("{path}=[{item}]"),
        n => format!("{path}.{n}={item}"),
    }
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
    let options = ron_options();
    let mut de = ron::Deserializer::from_str_with_options(text, &options).ok()?;
    match serde_path_to_error::deserialize::<_, Scenario>(&mut de) {
        Err(e) => match e.into_inner() {
            ron::Error::NoSuchStructField { expected, .. } => Some(expected),
            _ => None,
        },
        Ok(_) => None,
    }
}

/// How the scenario format reads RON. ron counts a level of recursion for each value and
/// each struct, field or item inside another, so a few per bracket: its own limit is set well
/// above the nesting limit (which is enforced first, with a located message), never below.
fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES)
        .with_recursion_limit(RON_RECURSION_LIMIT)
}

/// ron's recursion limit: four levels per bracket at the highest nesting limit.
const RON_RECURSION_LIMIT: usize = 4 * LoadOptions::MAX_DEPTH_CEILING;

/// Deserialises; on failure returns the error's span as `(start, end)` 1-based line/column pairs,
/// the field path and the message.
fn parse(text: &str) -> Result<Scenario, ParseFailure> {
    let options = ron_options();
    let located = |e: ron::error::SpannedError, path: String| ParseFailure {
        start: (e.span.start.line, e.span.start.col),
        end: (e.span.end.line, e.span.end.col),
        path,
        code: Box::new(e.code),
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
    code: Box<ron::Error>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"Scenario(
    duration: "100s",
    clients: { "users": Open(rate: 1.0, target: "db") },
    services: { "db": (workers: 2, service_time: Exponential(mean: "1s")) },
)"#;

    /// A valid scenario whose service time nests `levels` mixtures: 2 brackets a level, 4 more
    /// around them.
    fn nested(levels: usize) -> String {
        let mut d = "Exponential(mean: \"1s\")".to_string();
        for _ in 0..levels {
            d = format!("Mixture(weights: [1.0], components: [{d}])");
        }
        format!("Scenario(\n  duration: \"10s\",\n  clients: {{ \"u\": Open(rate: 1.0, target: \"db\") }},\n  services: {{ \"db\": (workers: 1, service_time: {d}) }},\n)")
    }

    fn invalid(e: LoadError) -> ScenarioError {
        match e {
            LoadError::Invalid(mut v) => v.remove(0),
            other => panic!("expected a located error, got {other}"),
        }
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_at_the_bracket() {
        let limit = LoadOptions::default().max_depth;
        // Depth 4 + 2 × 30 = 64: just within; one level more is over.
        assert!(load_scenario_str("ok.ron", &nested(30), &[]).is_ok());
        let text = nested(31);
        let e = invalid(load_scenario_str("deep.ron", &text, &[]).unwrap_err());
        let at = offset_of(&text, e.line, e.column);
        assert_eq!(
            too_deep(&text, limit),
            Some(at),
            "{e} points at the 65th bracket"
        );
        assert!(e.message.contains("deeper than 64 levels") && e.message.contains("--max-nesting"));
        assert!(
            e.path
                .starts_with("services.db.service_time.components.0.components.0"),
            "{}",
            e.path
        );
        assert_eq!(e.to_string().split(':').next(), Some("deep.ron"));
        // Raised, the same text loads.
        let raised = LoadOptions {
            max_depth: 100,
            ..LoadOptions::default()
        };
        assert!(load_scenario_str_with("deep.ron", &text, &[], &raised).is_ok());
    }

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments_only() {
        let text = "( a: \"(((\", /* [[[ /* {{ */ */ b: r#\"(((\"#, // (((\n c: '(' , d: [()] )";
        assert_eq!(too_deep(text, 3), None);
        assert_eq!(too_deep(text, 2), text.find("()"));
    }

    #[test]
    fn a_set_that_nests_too_deep_is_blamed() {
        // The value starts 3 levels down (`Scenario(`, `services: {`, `"db": (`).
        let set = format!(
            "services.db.service_time={}1{}",
            "[".repeat(62),
            "]".repeat(62)
        );
        let e = invalid(load_scenario_str("x.ron", TEXT, std::slice::from_ref(&set)).unwrap_err());
        assert_eq!(e.set_arg.as_deref(), Some(set.as_str()));
        assert!(e.message.contains("deeper than 64 levels"), "{e}");
    }

    #[test]
    fn text_larger_than_the_limit_is_refused_with_its_size() {
        let small = LoadOptions {
            max_bytes: 100,
            ..LoadOptions::default()
        };
        let e = load_scenario_str_with("big.ron", TEXT, &[], &small).unwrap_err();
        assert!(
            matches!(e, LoadError::TooLarge { size: InputSize::Exactly(n), limit: 100, .. } if n == TEXT.len() as u64),
            "{e}"
        );
        let shown = e.to_string();
        assert!(
            shown.starts_with("big.ron: ")
                && shown.contains(&format!("{} bytes", TEXT.len()))
                && shown.contains("limit of 100 bytes")
                && shown.contains("--max-scenario-bytes"),
            "{shown}"
        );
    }

    #[test]
    fn a_file_larger_than_the_limit_is_refused_before_it_is_read() {
        let path = std::env::temp_dir().join(format!("faultline-big-{}.ron", std::process::id()));
        std::fs::write(&path, TEXT).unwrap();
        let small = LoadOptions {
            max_bytes: 10,
            ..LoadOptions::default()
        };
        let e = read_scenario_file(&path, &small).unwrap_err();
        std::fs::remove_file(&path).ok();
        assert!(
            matches!(e, LoadError::TooLarge { size: InputSize::Exactly(n), .. } if n == TEXT.len() as u64),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_stream_is_read_only_up_to_the_limit() {
        let limit = LoadOptions {
            max_bytes: 1 << 16,
            ..LoadOptions::default()
        };
        let e = read_scenario_file(Path::new("/dev/zero"), &limit).unwrap_err();
        assert!(
            matches!(e, LoadError::TooLarge { size: InputSize::AtLeast(n), .. } if n == (1 << 16) + 1),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("at least 65537 bytes, over the limit of 64 KiB"),
            "{e}"
        );
    }

    #[test]
    fn byte_counts_are_shown_in_the_largest_whole_unit() {
        assert_eq!(bytes_text(64 << 20), "64 MiB");
        assert_eq!(bytes_text(3 << 30), "3 GiB");
        assert_eq!(bytes_text(1536), "1536 bytes");
        assert_eq!(bytes_text(2048), "2 KiB");
        assert_eq!(bytes_text(1000), "1000 bytes");
    }

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
