//! What a sweep varies, and the sweep file that writes it down.
//!
//! A `--vary` argument names a field path and its values, either listed or as a range:
//!
//! - `services.db.workers=1,2,4,8`: the values as written, each any RON value (`Constant("20ms")`,
//!   `[1, 2]`, `"10ms"`); commas inside brackets and strings do not split.
//! - `warmup=100ms..1s:100ms`: from `lo` to `hi` by `step`, `hi` included when it lands on a step.
//!   Numbers (`0.1..0.5:0.1`, `1..8:1`), durations (`ns`, `us`, `ms`, `s`, `min`, `h`; a bare number
//!   in a duration range means seconds, as in a scenario) and rates with the same suffix
//!   (`10/s..50/s:10/s`). Values are computed in exact decimal arithmetic and written as text:
//!   `0.1..0.3:0.1` gives `0.1`, `0.2`, `0.3` (never `0.30000000000000004`); a number range keeps
//!   the most decimals of its three parts, so `1..3:1` gives the integers `1`, `2`, `3`; a
//!   duration is written in the largest of `s`, `ms`, `us`, `ns` that holds it whole (`1500ms`).
//!
//! Each value then goes through the same `--set` machinery as the file
//! ([`sim_models::load_scenario_str`]), so it is checked exactly like the file.
//!
//! A sweep file (RON) writes a whole sweep down; paths in it are relative to the file:
//!
//! ```ron
//! Sweep(
//!     scenario: "../retry-amplification.ron",
//!     vary: ["clients.users.policies.0.max_attempts=1,2,3", "duration=10s..30s:10s"],
//!     seeds: 5,
//!     sets: ["warmup=2s"],            // optional
//!     baseline: "duration=10s",       // optional: a point index or PATH=VALUE,…
//! )
//! ```

use crate::error::{BaselineError, SpecError, VaryError};
use serde::Deserialize;
use sim_models::{read_scenario_file, LoadOptions};
use std::path::{Path, PathBuf};

/// Most values one `--vary` may produce.
pub const MAX_VALUES: usize = 10_000;

/// Most replications a point may have. A 95% interval narrows as 1/√n, so 100,000
/// replications already pin a mean 140 times tighter than 5 do; more is a typo, and the
/// manifest lists every seed.
pub const MAX_SEEDS: u64 = 100_000;

/// One varied field: its path and the values it takes, each as exact RON text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Vary {
    /// Dotted field path, as for `--set` (`services.db.workers`), or several joined by `+`
    /// that take each value together (`stores.a.keys+stores.b.keys`).
    pub path: String,
    /// The values in order, as spliced into the scenario text.
    pub values: Vec<String>,
}

impl Vary {
    /// Parses `PATH=v1,v2,…` or `PATH=lo..hi:step` (`PATH` may be several paths joined by
    /// `+`); the error says what is wrong (the caller says where).
    pub fn parse(arg: &str) -> Result<Vary, VaryError> {
        let (path, values) = arg.split_once('=').ok_or(VaryError::NoEquals)?;
        let paths: Vec<&str> = path.split('+').map(str::trim).collect();
        if paths.iter().any(|p| p.is_empty()) {
            return Err(VaryError::EmptyPath);
        }
        let path = paths.join("+");
        let path = path.as_str();
        let values = values.trim();
        if values.is_empty() {
            return Err(VaryError::NoValues { path: path.into() });
        }
        let values = match top_level_find(values, "..") {
            Some(at) => range(&values[..at], &values[at + 2..])?,
            None => list(values)?,
        };
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(VaryError::Repeated { value: v.clone() });
            }
        }
        Ok(Vary {
            path: path.to_string(),
            values,
        })
    }

    /// The fields it sets: one, or each of those joined by `+`.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.path.split('+')
    }

    /// `--set` arguments giving each of its fields `value`.
    pub fn sets(&self, value: &str) -> Vec<String> {
        self.paths().map(|p| format!("{p}={value}")).collect()
    }
}

/// The characters of `text` outside brackets and quotes, with their byte offsets (brackets and
/// quotes themselves excluded): what `split_top_level` and `top_level_find` scan.
fn top_level_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    text.char_indices().filter(move |&(_, c)| {
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            return false;
        }
        match c {
            '"' => quoted = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => return depth == 0,
        }
        false
    })
}

/// Splits `text` at commas outside brackets and quotes.
pub(crate) fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in top_level_chars(text).filter(|&(_, c)| c == ',') {
        parts.push(&text[start..i]);
        start = i + 1;
    }
    parts.push(&text[start..]);
    parts
}

/// Where `needle` first occurs in `text` outside brackets and quotes.
fn top_level_find(text: &str, needle: &str) -> Option<usize> {
    top_level_chars(text)
        .map(|(i, _)| i)
        .find(|&i| text[i..].starts_with(needle))
}

/// The values of a `v1,v2,…` list, trimmed; an empty value is an error.
fn list(text: &str) -> Result<Vec<String>, VaryError> {
    let parts = split_top_level(text);
    let mut values = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let v = p.trim();
        if v.is_empty() {
            return Err(VaryError::EmptyValue {
                list: text.into(),
                position: i + 1,
            });
        }
        values.push(v.to_string());
    }
    Ok(values)
}

/// A decimal number held exactly: `digits / 10^scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Decimal {
    digits: i128,
    scale: u32,
}

impl Decimal {
    /// `[-+]digits[.digits]`, nothing else (no exponent).
    fn parse(s: &str) -> Option<Decimal> {
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || int.len() + frac.len() > 30
        {
            return None;
        }
        let digits: i128 = format!("{int}{frac}").parse().ok()?;
        Some(Decimal {
            digits: if negative { -digits } else { digits },
            scale: frac.len() as u32,
        })
    }

    /// The digits at a larger `scale`.
    fn at(self, scale: u32) -> i128 {
        self.digits * 10i128.pow(scale - self.scale)
    }
}

/// Writes `digits / 10^scale` with exactly `scale` decimals.
fn decimal_text(digits: i128, scale: u32) -> String {
    let sign = if digits < 0 { "-" } else { "" };
    let abs = digits.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let p = 10u128.pow(scale);
    format!(
        "{sign}{}.{:0width$}",
        abs / p,
        abs % p,
        width = scale as usize
    )
}

/// The number and its unit: `100ms` → (`100`, `ms`), `10/s` → (`10`, `/s`).
fn number_and_unit(s: &str) -> (&str, &str) {
    let at = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(s.len(), |(i, _)| i);
    (s[..at].trim(), s[at..].trim())
}

/// Nanoseconds per duration unit; a bare number is seconds, as in a scenario.
fn unit_nanos(unit: &str) -> Option<i128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "" | "s" | "sec" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" | "hr" => 3_600_000_000_000,
        _ => return None,
    })
}

/// A duration in the largest of `s`, `ms`, `us`, `ns` that holds it whole.
fn duration_text(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    for (unit, per) in [
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ] {
        if ns % per == 0 {
            return format!("{}{unit}", ns / per);
        }
    }
    unreachable!("every whole number of nanoseconds is a whole number of ns")
}

/// `lo..hi:step`, given the text before and after `..`.
fn range(lo: &str, rest: &str) -> Result<Vec<String>, VaryError> {
    let whole = format!("{lo}..{rest}");
    let Some((hi, step)) = rest.split_once(':') else {
        return Err(VaryError::NoStep { range: whole });
    };
    let parts = [lo.trim(), hi.trim(), step.trim()];
    let names = ["lo", "hi", "step"];
    for (p, name) in parts.iter().zip(names) {
        if p.is_empty() {
            return Err(VaryError::MissingPart {
                range: whole,
                part: name,
            });
        }
    }
    let split = parts.map(number_and_unit);
    // Numbers (with one shared rate suffix such as `/s`), or durations in nanoseconds.
    let suffix = split[0].1;
    let plain = split
        .iter()
        .all(|(_, u)| u.is_empty() || u.starts_with('/'));
    let mut parsed = Vec::new();
    for ((n, u), name) in split.iter().zip(names) {
        let d = Decimal::parse(n).ok_or_else(|| VaryError::NotANumber {
            range: whole.clone(),
            part: name,
        })?;
        if plain {
            if *u != suffix {
                return Err(VaryError::MixedUnits { range: whole });
            }
            parsed.push(d);
            continue;
        }
        let per = unit_nanos(u).ok_or_else(|| VaryError::UnknownUnit {
            range: whole.clone(),
            part: name,
            unit: u.to_string(),
        })?;
        let p = 10i128.pow(d.scale);
        let ns = d
            .digits
            .checked_mul(per)
            .filter(|x| x % p == 0)
            .ok_or_else(|| VaryError::NotWholeNanoseconds {
                range: whole.clone(),
                part: name,
            })?
            / p;
        if ns < 0 {
            return Err(VaryError::NegativeDuration {
                range: whole,
                part: name,
            });
        }
        parsed.push(Decimal {
            digits: ns,
            scale: 0,
        });
    }
    let scale = parsed.iter().map(|d| d.scale).max().unwrap_or(0);
    let write = |digits: i128| {
        if plain {
            format!("{}{suffix}", decimal_text(digits, scale))
        } else {
            duration_text(digits)
        }
    };
    let [lo, hi, step] = [parsed[0], parsed[1], parsed[2]].map(|d| d.at(scale));
    if step <= 0 {
        return Err(VaryError::StepNotPositive { range: whole });
    }
    if lo > hi {
        return Err(VaryError::EmptyRange { range: whole });
    }
    let count = (hi - lo) / step + 1;
    if count > MAX_VALUES as i128 {
        return Err(VaryError::TooManyValues {
            range: whole,
            count,
            limit: MAX_VALUES,
        });
    }
    Ok((0..count).map(|k| write(lo + k * step)).collect())
}

/// The point a sweep compares the others with, for paired differences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// The point with this index (by default point 0, where every field takes its first value).
    Index(usize),
    /// The point where these varied paths take these values (as written in the vary list).
    At(Vec<(String, String)>),
}

impl Baseline {
    /// Parses `INDEX` or `PATH=VALUE,PATH=VALUE,…`.
    pub fn parse(arg: &str) -> Result<Baseline, BaselineError> {
        let arg = arg.trim();
        if !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_digit()) {
            return arg
                .parse()
                .map(Baseline::Index)
                .map_err(|_| BaselineError::IndexTooLarge { text: arg.into() });
        }
        let mut at = Vec::new();
        for part in split_top_level(arg) {
            let (path, value) =
                part.split_once('=')
                    .ok_or_else(|| BaselineError::NotAnAssignment {
                        text: part.trim().into(),
                    })?;
            at.push((path.trim().to_string(), value.trim().to_string()));
        }
        Ok(Baseline::At(at))
    }
}

/// Everything that defines a sweep, before it is checked against the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// The scenario file as named in messages.
    pub scenario_file: String,
    /// The scenario's text as read.
    pub scenario_text: String,
    /// `--set` overrides applied to every point, before the varied values.
    pub sets: Vec<String>,
    /// The varied fields, outermost first: the last one varies fastest in point order.
    pub vary: Vec<Vary>,
    /// Replications per point.
    pub seeds: u64,
    /// The point paired differences are taken against.
    pub baseline: Baseline,
    /// The limits on the scenario's text, applied to every point's (the file was read within
    /// them).
    pub load: LoadOptions,
}

/// What the command line says about a sweep (`faultline sweep FILE …`).
#[derive(Clone, Debug, Default)]
pub struct SweepArgs {
    /// A scenario file, or a sweep file (one whose top level is `Sweep(…)`).
    pub file: PathBuf,
    /// `--vary` arguments.
    pub vary: Vec<String>,
    /// `--seeds`.
    pub seeds: Option<u64>,
    /// `--baseline`.
    pub baseline: Option<String>,
    /// `--set` arguments (after a sweep file's own `sets`).
    pub sets: Vec<String>,
    /// The limits on the sweep file's and the scenario's size and nesting.
    pub load: LoadOptions,
}

/// A sweep file, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sweep {
    scenario: String,
    vary: Vec<String>,
    seeds: u64,
    #[serde(default)]
    sets: Vec<String>,
    #[serde(default)]
    baseline: Option<String>,
}

/// Whether `text` is a sweep file: its first token (after comments) is `Sweep`.
pub fn is_sweep_file(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else if rest.starts_with("#!") {
            rest = rest.split_once(']').map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    rest.strip_prefix("Sweep")
        .is_some_and(|r| r.trim_start().starts_with('('))
}

/// Reads a sweep or scenario file within the same size limit as a scenario run on its own.
fn read(path: &Path, what: &str, limits: &LoadOptions) -> Result<String, SpecError> {
    read_scenario_file(path, limits).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        what: what.into(),
        source,
    })
}

impl SweepSpec {
    /// The sweep the command line describes: a scenario file with `--vary` and `--seeds`, or a
    /// sweep file (whose `seeds` and `baseline` the command line may override, and whose `sets`
    /// it may extend; its vary list it may not).
    pub fn from_args(args: &SweepArgs) -> Result<SweepSpec, SpecError> {
        let text = read(&args.file, "file", &args.load)?;
        let shown = args.file.display().to_string();
        let baseline = |arg: &str, place: String| {
            Baseline::parse(arg).map_err(|source| SpecError::Baseline { place, source })
        };
        if is_sweep_file(&text) {
            let file = parse_sweep_file(&shown, &text)?;
            if !args.vary.is_empty() {
                return Err(SpecError::VaryWithSweepFile {
                    arg: args.vary[0].clone(),
                    file: shown,
                    scenario: file.scenario,
                });
            }
            let dir = args.file.parent().unwrap_or(Path::new(""));
            let scenario = dir.join(&file.scenario);
            let mut vary = Vec::new();
            for (i, v) in file.vary.iter().enumerate() {
                vary.push(Vary::parse(v).map_err(|source| SpecError::SweepFileVary {
                    at: located(&shown, &text, v),
                    index: i,
                    text: v.clone(),
                    source: Box::new(source),
                })?);
            }
            let seeds = args.seeds.unwrap_or(file.seeds);
            let baseline = match (&args.baseline, &file.baseline) {
                (Some(b), _) => baseline(b, format!("--baseline {b}"))?,
                (None, Some(b)) => baseline(
                    b,
                    format!("{}: baseline (`{b}`)", located(&shown, &text, b)),
                )?,
                (None, None) => Baseline::Index(0),
            };
            let spec = SweepSpec {
                load: args.load,
                scenario_file: scenario.display().to_string(),
                scenario_text: read(&scenario, &format!("scenario named in {shown}"), &args.load)?,
                sets: file.sets.iter().chain(&args.sets).cloned().collect(),
                vary,
                seeds,
                baseline,
            };
            spec.check_counts()?;
            return Ok(spec);
        }
        if args.vary.is_empty() {
            return Err(SpecError::NothingToSweep { file: shown });
        }
        let mut vary = Vec::new();
        for v in &args.vary {
            vary.push(Vary::parse(v).map_err(|source| SpecError::Vary {
                arg: v.clone(),
                source: Box::new(source),
            })?);
        }
        let seeds = args.seeds.ok_or(SpecError::NoSeeds)?;
        let spec = SweepSpec {
            load: args.load,
            scenario_file: shown,
            scenario_text: text,
            sets: args.sets.clone(),
            vary,
            seeds,
            baseline: match &args.baseline {
                Some(b) => baseline(b, format!("--baseline {b}"))?,
                None => Baseline::Index(0),
            },
        };
        spec.check_counts()?;
        Ok(spec)
    }

    /// Checks the counts a sweep is sized by: the replications (1 to [`MAX_SEEDS`]), a
    /// non-empty vary list and no path varied twice.
    pub(crate) fn check_counts(&self) -> Result<(), SpecError> {
        if self.seeds == 0 {
            return Err(SpecError::ZeroSeeds);
        }
        if self.seeds > MAX_SEEDS {
            return Err(SpecError::TooManySeeds {
                seeds: self.seeds,
                limit: MAX_SEEDS,
            });
        }
        if self.vary.is_empty() {
            return Err(SpecError::EmptyVary);
        }
        for (i, v) in self.vary.iter().enumerate() {
            for path in v.paths() {
                if self.vary[..i].iter().any(|w| w.paths().any(|p| p == path))
                    || v.paths().filter(|p| *p == path).count() > 1
                {
                    return Err(SpecError::VariedTwice { path: path.into() });
                }
            }
        }
        Ok(())
    }
}

/// `file:line:column` of the first place `item` is written in `text` (just `file` if it is
/// written with escapes that hide it).
fn located(file: &str, text: &str, item: &str) -> String {
    match text.find(item) {
        Some(at) => {
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{file}:{line}:{column}")
        }
        None => file.to_string(),
    }
}

/// Parses a sweep file, locating errors at `file:line:column`.
fn parse_sweep_file(file: &str, text: &str) -> Result<Sweep, SpecError> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str::<Sweep>(text)
        .map_err(|e| SpecError::SweepFile {
            file: file.into(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(arg: &str) -> Vec<String> {
        Vary::parse(arg).unwrap().values
    }

    #[test]
    fn lists_split_only_at_top_level_commas() {
        assert_eq!(values("a=1, 2,3"), ["1", "2", "3"]);
        assert_eq!(
            values(r#"b=Constant("20ms"),Exponential(base: "1ms", cap: "1s"),"x,y""#),
            [
                r#"Constant("20ms")"#,
                r#"Exponential(base: "1ms", cap: "1s")"#,
                r#""x,y""#
            ]
        );
    }

    #[test]
    fn linked_paths_take_each_value_together_and_may_not_overlap() {
        let v = Vary::parse("stores.a.keys + stores.b.keys=1,2").unwrap();
        assert_eq!(v.path, "stores.a.keys+stores.b.keys");
        assert_eq!(v.sets("2"), ["stores.a.keys=2", "stores.b.keys=2"]);
        assert!(matches!(Vary::parse("a+=1"), Err(VaryError::EmptyPath)));
        let spec = |vary: Vec<Vary>| SweepSpec {
            scenario_file: "s.ron".into(),
            scenario_text: String::new(),
            sets: vec![],
            vary,
            seeds: 1,
            baseline: Baseline::Index(0),
            load: Default::default(),
        };
        let err = spec(vec![v.clone(), Vary::parse("stores.b.keys=3").unwrap()])
            .check_counts()
            .unwrap_err();
        assert!(
            matches!(&err, SpecError::VariedTwice { path } if path == "stores.b.keys"),
            "{err}"
        );
        assert!(spec(vec![Vary::parse("x+x=1").unwrap()])
            .check_counts()
            .is_err());
        assert!(spec(vec![v]).check_counts().is_ok());
    }

    #[test]
    fn decimal_ranges_are_exact_text() {
        assert_eq!(values("x=0.1..0.3:0.1"), ["0.1", "0.2", "0.3"]);
        assert_eq!(values("x=1..3:1"), ["1", "2", "3"]);
        assert_eq!(values("x=0.5..2:0.5"), ["0.5", "1.0", "1.5", "2.0"]);
        assert_eq!(values("x=-1..1:1"), ["-1", "0", "1"]);
        // hi is included only when it lands on a step.
        assert_eq!(values("x=0..1:0.3"), ["0.0", "0.3", "0.6", "0.9"]);
        assert_eq!(values("x=10/s..30/s:10/s"), ["10/s", "20/s", "30/s"]);
    }

    #[test]
    fn duration_ranges_convert_units_exactly() {
        assert_eq!(
            values("d=100ms..1s:300ms"),
            ["100ms", "400ms", "700ms", "1s"]
        );
        assert_eq!(values("d=0..1.5s:0.5s"), ["0s", "500ms", "1s", "1500ms"]);
        assert_eq!(values("d=1us..3us:1us"), ["1us", "2us", "3us"]);
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        let err = |a: &str| Vary::parse(a).unwrap_err().to_string();
        assert!(err("x=1..5").contains("no step"), "{}", err("x=1..5"));
        assert!(err("x=1..5:0").contains("must be positive"));
        assert!(err("x=1..5:-1").contains("must be positive"));
        assert!(err("x=5..1:1").contains("is empty"));
        assert!(err("x=1/s..5/s:1/min").contains("mixes"));
        assert!(err("x=a..5:1").contains("not a number"));
        assert!(err("x=1ms..2ms:1parsec").contains("unknown unit"));
        assert!(err("x=0..1:0.0000001").contains("at most"));
        assert!(err("x=1,,2").contains("empty"));
        assert!(err("x=1,1").contains("twice"));
        assert!(err("x").contains("PATH=VALUES"));
        assert!(err("x=").contains("no values"));
        assert_eq!(
            Vary::parse("x=0..1:0.0000001"),
            Err(VaryError::TooManyValues {
                range: "0..1:0.0000001".into(),
                count: 10_000_001,
                limit: MAX_VALUES
            })
        );
    }

    #[test]
    fn baselines_are_an_index_or_assignments() {
        assert_eq!(Baseline::parse("3").unwrap(), Baseline::Index(3));
        assert_eq!(
            Baseline::parse("a=1, b=Constant(\"1s\")").unwrap(),
            Baseline::At(vec![
                ("a".into(), "1".into()),
                ("b".into(), "Constant(\"1s\")".into())
            ])
        );
        assert!(Baseline::parse("nonsense").is_err());
    }

    #[test]
    fn sweep_files_are_told_from_scenarios_by_their_first_token() {
        assert!(is_sweep_file("// c\n/* d */ Sweep (scenario: \"x\")"));
        assert!(!is_sweep_file("Scenario(duration: \"1s\")"));
        assert!(!is_sweep_file("(duration: \"1s\")"));
    }
}
