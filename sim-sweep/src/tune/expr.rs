//! Objectives (`max goodput`, `min p99`) and constraints (`p99 < 500ms`, `error_rate <= 1%`) as
//! written on the command line, and the names of metrics closest to a misspelt one.

use std::fmt;
use std::str::FromStr;

/// Why an objective, a constraint or a value could not be read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("invalid {what} {text:?}: {why}")]
pub struct ParseError {
    /// What was being read: `objective`, `constraint` or `value`.
    pub what: &'static str,
    /// The text as given.
    pub text: String,
    /// What is wrong with it, and what is expected.
    pub why: String,
}

impl ParseError {
    fn new(what: &'static str, text: &str, why: impl Into<String>) -> Self {
        ParseError {
            what,
            text: text.to_string(),
            why: why.into(),
        }
    }
}

/// Whether the objective is to be made large or small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `max`: larger is better.
    Maximize,
    /// `min`: smaller is better.
    Minimize,
}

/// What the tuner optimises: a metric's mean over replications, made as large or as small as
/// the constraints allow.
///
/// ```
/// use sim_sweep::tune::{Direction, Objective};
/// let o: Objective = "max goodput".parse().unwrap();
/// assert_eq!((o.direction, o.metric.as_str()), (Direction::Maximize, "goodput"));
/// assert_eq!(o.to_string(), "max goodput");
/// assert!("fastest p99".parse::<Objective>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Objective {
    /// Larger or smaller is better.
    pub direction: Direction,
    /// The metric's name (a key of the evaluation's metrics).
    pub metric: String,
}

const OBJECTIVE_FORM: &str =
    "expected `max METRIC` or `min METRIC`, e.g. `max goodput` or `min p99`";

impl FromStr for Objective {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why: String| ParseError::new("objective", s, why);
        let words: Vec<&str> = s.split_whitespace().collect();
        let (direction, metric) = match words.as_slice() {
            [] => return Err(err(format!("it is empty; {OBJECTIVE_FORM}"))),
            [d, m] => (*d, *m),
            [one] => {
                return Err(err(format!(
                    "a direction and a metric are needed, got only {one:?}; {OBJECTIVE_FORM}"
                )))
            }
            _ => {
                return Err(err(format!(
                    "one direction and one metric name (without spaces); {OBJECTIVE_FORM}"
                )))
            }
        };
        let direction = match direction.to_ascii_lowercase().as_str() {
            "max" | "maximize" | "maximise" => Direction::Maximize,
            "min" | "minimize" | "minimise" => Direction::Minimize,
            other => {
                return Err(err(format!(
                    "unknown direction {other:?}; {OBJECTIVE_FORM}"
                )))
            }
        };
        check_metric(metric).map_err(|why| err(format!("{why}; {OBJECTIVE_FORM}")))?;
        Ok(Objective {
            direction,
            metric: metric.to_string(),
        })
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = match self.direction {
            Direction::Maximize => "max",
            Direction::Minimize => "min",
        };
        write!(f, "{d} {}", self.metric)
    }
}

/// The comparison of a constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
}

impl Comparison {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
        }
    }

    /// Whether `x` compared with `limit` holds.
    pub fn holds(self, x: f64, limit: f64) -> bool {
        match self {
            Comparison::Less => x < limit,
            Comparison::LessOrEqual => x <= limit,
            Comparison::Greater => x > limit,
            Comparison::GreaterOrEqual => x >= limit,
        }
    }

    /// Whether the metric must stay below the limit (`<`, `<=`).
    pub fn is_upper_bound(self) -> bool {
        matches!(self, Comparison::Less | Comparison::LessOrEqual)
    }
}

/// A limit a metric must respect: `p99 < 500ms`, `amplification < 1.5`, `error_rate <= 1%`,
/// `goodput >= 300`. Durations are converted to seconds, percentages to fractions.
///
/// ```
/// use sim_sweep::tune::{Comparison, Constraint};
/// let c: Constraint = "p99 < 500ms".parse().unwrap();
/// assert_eq!((c.metric.as_str(), c.comparison, c.limit), ("p99", Comparison::Less, 0.5));
/// let c: Constraint = "error_rate <= 1%".parse().unwrap();
/// assert_eq!(c.limit, 0.01);
/// assert_eq!(c.to_string(), "error_rate <= 1%");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    /// The metric's name.
    pub metric: String,
    /// How it is compared.
    pub comparison: Comparison,
    /// The limit, in the metric's unit (seconds for durations, a fraction for `%`).
    pub limit: f64,
    /// The limit as written (`"500ms"`), for reports.
    pub written: String,
}

const CONSTRAINT_FORM: &str =
    "expected `METRIC OP LIMIT` with OP one of <, <=, >, >=, e.g. `p99 < 500ms` or `error_rate <= 0.01`";

impl FromStr for Constraint {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why: String| ParseError::new("constraint", s, why);
        let t = s.trim();
        let Some(at) = operator_at(t) else {
            let why = if t.contains("!=") || t.contains('=') {
                format!("equality cannot be judged on a noisy mean; {CONSTRAINT_FORM}")
            } else {
                format!("no comparison operator; {CONSTRAINT_FORM}")
            };
            return Err(err(why));
        };
        let (left, rest) = t.split_at(at);
        let mut chars = rest.chars();
        let first = chars.next().expect("found an operator");
        let after = chars.as_str();
        let (comparison, right) = match (first, after.strip_prefix('=')) {
            ('<', Some(r)) => (Comparison::LessOrEqual, r),
            ('>', Some(r)) => (Comparison::GreaterOrEqual, r),
            ('<', None) => (Comparison::Less, after),
            ('>', None) => (Comparison::Greater, after),
            ('≤', _) => (Comparison::LessOrEqual, after),
            (_, _) => (Comparison::GreaterOrEqual, after),
        };
        let metric = left.trim();
        if metric.is_empty() {
            return Err(err(format!(
                "no metric before {:?}; {CONSTRAINT_FORM}",
                comparison.symbol()
            )));
        }
        check_metric(metric).map_err(|why| err(format!("{why}; {CONSTRAINT_FORM}")))?;
        let right = right.trim();
        if right.is_empty() {
            return Err(err(format!(
                "no limit after {:?}; {CONSTRAINT_FORM}",
                comparison.symbol()
            )));
        }
        if right.starts_with(['<', '>', '=']) {
            return Err(err(format!("one operator only; {CONSTRAINT_FORM}")));
        }
        let limit = parse_value(right).map_err(|e| err(e.why))?;
        Ok(Constraint {
            metric: metric.to_string(),
            comparison,
            limit,
            written: right.to_string(),
        })
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.metric,
            self.comparison.symbol(),
            self.written
        )
    }
}

/// Where the comparison operator of `text` starts: the first `<`, `>`, `≤` or `≥` that is not
/// the arrow of an edge's name (`edges.api->db.amplification`).
fn operator_at(text: &str) -> Option<usize> {
    let mut previous = None;
    text.char_indices().find_map(|(i, c)| {
        let arrow = c == '>' && previous == Some('-');
        previous = Some(c);
        (matches!(c, '<' | '>' | '≤' | '≥') && !arrow).then_some(i)
    })
}

fn check_metric(name: &str) -> Result<(), String> {
    if let Some(c) = name
        .replace("->", "")
        .chars()
        .find(|c| c.is_whitespace() || "<>=≤≥".contains(*c))
    {
        return Err(format!("{name:?} is not a metric name (it contains {c:?})"));
    }
    if name.parse::<f64>().is_ok() {
        return Err(format!(
            "{name:?} is a number where a metric name is expected"
        ));
    }
    Ok(())
}

/// A limit as written: a plain number (`1.5`, `1e-3`), a duration converted to seconds (units
/// `ns`, `us` or `µs`, `ms`, `s`, `m` or `min`, `h`), or a percentage converted to a fraction
/// (`1%` → 0.01).
///
/// ```
/// use sim_sweep::tune::parse_value;
/// assert_eq!(parse_value("500ms").unwrap(), 0.5);
/// assert_eq!(parse_value("2m").unwrap(), 120.0);
/// assert_eq!(parse_value("1.5").unwrap(), 1.5);
/// assert_eq!(parse_value("5%").unwrap(), 0.05);
/// assert!(parse_value("5 parsecs").is_err());
/// ```
pub fn parse_value(text: &str) -> Result<f64, ParseError> {
    let err = |why: String| ParseError::new("value", text, why);
    let t = text.trim();
    let split = t
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic() || *c == '%')
        .last()
        .map_or(t.len(), |(i, _)| i);
    let (num, unit) = t.split_at(split);
    let num = num.trim();
    if num.is_empty() {
        return Err(err("no number".into()));
    }
    let value: f64 = num
        .parse()
        .map_err(|_| err(format!("{num:?} is not a number")))?;
    if !value.is_finite() {
        return Err(err("not a finite number".into()));
    }
    let scale = match unit {
        "" => 1.0,
        "%" => 0.01,
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(err(format!(
                "unknown unit {other:?}; units: ns, us, ms, s, m, h (durations, in seconds) and % \
                 (a fraction)"
            )))
        }
    };
    Ok(value * scale)
}

/// Up to `n` names of `known` closest to `name`, closest first: names that end with it as a
/// path (`services.api.latency.p99` for `latency.p99`), then names it ends with (`p99`), then
/// the others by edit distance to the whole name or to its last component.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>, n: usize) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .map(|k| {
            let last = k.rsplit('.').next().unwrap_or(k);
            let d = if k.ends_with(&format!(".{name}")) {
                0
            } else if name.ends_with(&format!(".{k}")) {
                1
            } else {
                2 + levenshtein(name, k).min(levenshtein(name, last) + 1)
            };
            (d, k)
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(n)
        .map(|(_, k)| k.to_string())
        .collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_read_a_direction_and_a_metric() {
        let o: Objective = "  min   services.api.latency.p99 ".parse().unwrap();
        assert_eq!(o.direction, Direction::Minimize);
        assert_eq!(o.metric, "services.api.latency.p99");
        let o: Objective = "Maximise goodput".parse().unwrap();
        assert_eq!(o.direction, Direction::Maximize);
    }

    #[test]
    fn malformed_objectives_say_what_is_expected() {
        for (text, why) in [
            ("", "it is empty"),
            ("goodput", "only \"goodput\""),
            ("best goodput", "unknown direction \"best\""),
            ("max good put", "without spaces"),
            ("max 42", "is a number"),
            ("max p99<1", "not a metric name"),
        ] {
            let e = text.parse::<Objective>().unwrap_err();
            assert_eq!(e.what, "objective");
            assert!(e.why.contains(why), "{text:?}: {}", e.why);
            assert!(e.to_string().contains("max goodput"), "{e}");
        }
    }

    #[test]
    fn constraints_read_every_operator_and_unit() {
        let cases = [
            ("p99 < 500ms", "p99", Comparison::Less, 0.5),
            ("p99<=2s", "p99", Comparison::LessOrEqual, 2.0),
            (
                "amplification < 1.5",
                "amplification",
                Comparison::Less,
                1.5,
            ),
            (
                "edges.api->db.amplification < 1.5",
                "edges.api->db.amplification",
                Comparison::Less,
                1.5,
            ),
            (
                "edges.api->db.attempts>100",
                "edges.api->db.attempts",
                Comparison::Greater,
                100.0,
            ),
            (
                "error_rate <= 0.01",
                "error_rate",
                Comparison::LessOrEqual,
                0.01,
            ),
            (
                "error_rate <= 1%",
                "error_rate",
                Comparison::LessOrEqual,
                0.01,
            ),
            (
                "goodput >= 300",
                "goodput",
                Comparison::GreaterOrEqual,
                300.0,
            ),
            ("goodput > 3e2", "goodput", Comparison::Greater, 300.0),
            (
                "mean_latency ≤ 250us",
                "mean_latency",
                Comparison::LessOrEqual,
                250e-6,
            ),
            ("p999 < 1m", "p999", Comparison::Less, 60.0),
            ("p999 < 1h", "p999", Comparison::Less, 3600.0),
            ("x > -2", "x", Comparison::Greater, -2.0),
            (
                "services.api.latency.p99 < 20ns",
                "services.api.latency.p99",
                Comparison::Less,
                20e-9,
            ),
        ];
        for (text, metric, cmp, limit) in cases {
            let c: Constraint = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(c.metric, metric, "{text}");
            assert_eq!(c.comparison, cmp, "{text}");
            assert!(
                (c.limit - limit).abs() <= 1e-12 * limit.abs(),
                "{text}: {}",
                c.limit
            );
        }
    }

    #[test]
    fn malformed_constraints_say_what_is_wrong() {
        for (text, why) in [
            ("p99 500ms", "no comparison operator"),
            ("p99 = 500ms", "equality"),
            ("p99 == 500ms", "equality"),
            ("< 500ms", "no metric"),
            ("p99 <", "no limit"),
            ("p99 < < 1", "one operator only"),
            ("p99 <> 1", "one operator only"),
            ("p99 < 5 parsecs", "unknown unit \"parsecs\""),
            ("p99 < fast", "no number"),
            ("p99 < 1.2.3s", "not a number"),
            ("p 99 < 1", "not a metric name"),
            ("p99 < inf", "no number"),
        ] {
            let e = text.parse::<Constraint>().unwrap_err();
            assert!(e.why.contains(why), "{text:?}: {}", e.why);
            assert!(e.to_string().contains(text.trim()), "{e}");
        }
    }

    #[test]
    fn closest_names_prefer_path_suffixes_then_small_edits() {
        let known = [
            "goodput",
            "p50",
            "p99",
            "p999",
            "services.api.latency.p99",
            "success_rate",
        ];
        assert_eq!(closest("p98", known, 3), ["p99", "p50", "p999"]);
        assert_eq!(
            closest("latency.p99", known, 1),
            ["services.api.latency.p99"]
        );
        assert_eq!(closest("goodptu", known, 1), ["goodput"]);
    }
}
