//! The vocabulary of the checks: a [`Problem`] at a field path, its [`Severity`], and the
//! `Checker` every section reports to.

use std::fmt;

/// How serious a [`Problem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The scenario cannot run.
    Error,
    /// Legal but probably not what was meant.
    Warning,
}

/// One thing wrong with a scenario, at a field path such as `services.db.workers`.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Dotted path of the field.
    pub path: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The errors that keep a scenario from running, as returned by [`crate::run`] and
/// [`crate::World::new`] for a scenario built or changed in code. Files get located errors from
/// [`crate::load_scenario`] before this point.
#[derive(Clone, Debug, PartialEq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|p| format!("error: {p}")).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for Problems {}
pub(super) struct Checker {
    pub(super) problems: Vec<Problem>,
}

impl Checker {
    pub(super) fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            severity: Severity::Error,
            path: path.into(),
            message: message.into(),
        });
    }
    pub(super) fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            severity: Severity::Warning,
            path: path.into(),
            message: message.into(),
        });
    }
}
