//! One case of an experiment: a seed, a value of each varied field and a draw of each
//! generated fault; the overrides that make its scenario and the command that reproduces it.

use crate::fault_gen::{FaultDraw, Resolved};
use sim_sweep::Vary;
use std::fmt;

/// What a case drew, as indices: what proptest generates and shrinks. Each varied field is a
/// position in its list of values (simplest first), so shrinking towards 0 means "a simpler
/// value".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Drawn {
    pub(crate) positions: Vec<usize>,
    pub(crate) faults: Vec<FaultDraw>,
    pub(crate) seed: u64,
}

/// One case, readable: its seed, the value of each varied field and each generated fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The simulation seed.
    pub seed: u64,
    /// Each varied field's path and value, in the order they were varied.
    pub values: Vec<(String, String)>,
    /// Each generated fault, as scenario text.
    pub faults: Vec<String>,
    /// The overrides that make its scenario from the file: the experiment's fixed ones, the
    /// varied values, then the faults appended to the scenario's list.
    pub sets: Vec<String>,
}

impl Case {
    /// The case `drawn` describes, for an experiment with `sets`, `vary`, `faults` over a
    /// scenario that has `existing` faults after `sets`.
    pub(crate) fn new(
        drawn: &Drawn,
        sets: &[String],
        vary: &[Vary],
        faults: &[Resolved],
        existing: usize,
    ) -> Case {
        let values: Vec<(String, String)> = vary
            .iter()
            .zip(&drawn.positions)
            .map(|(v, &i)| (v.path.clone(), v.values[i].clone()))
            .collect();
        let fault_texts: Vec<String> = faults
            .iter()
            .zip(&drawn.faults)
            .map(|(f, d)| f.text(d))
            .collect();
        let mut all: Vec<String> = sets.to_vec();
        all.extend(values.iter().map(|(p, v)| format!("{p}={v}")));
        all.extend(
            fault_texts
                .iter()
                .enumerate()
                .map(|(k, t)| sim_models::append_set("faults", existing + k, t)),
        );
        Case {
            seed: drawn.seed,
            values,
            faults: fault_texts,
            sets: all,
        }
    }

    /// The command line that runs this case's scenario from `file` and prints its summary.
    pub fn command(&self, file: &str) -> String {
        let mut cmd = format!("faultline run {} --seed {}", shell_quote(file), self.seed);
        for s in &self.sets {
            cmd += &format!(" --set {}", shell_quote(s));
        }
        cmd + " --json"
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed {}", self.seed)?;
        for (path, value) in &self.values {
            write!(f, ", {path}={value}")?;
        }
        for fault in &self.faults {
            write!(f, ", fault {fault}")?;
        }
        Ok(())
    }
}

/// `text` as one POSIX shell word: bare when it is plainly safe, else in single quotes.
pub(crate) fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_the_shell_would_split_or_expand_them() {
        assert_eq!(shell_quote("scenarios/mm1.ron"), "scenarios/mm1.ron");
        assert_eq!(
            shell_quote("services.db.workers=2"),
            "services.db.workers=2"
        );
        assert_eq!(shell_quote(r#"a="1s""#), r#"'a="1s"'"#);
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn a_case_appends_its_faults_after_the_scenarios_own() {
        let vary = vec![Vary::parse("services.db.workers=1,2,4").unwrap()];
        let drawn = Drawn {
            positions: vec![2],
            faults: vec![],
            seed: 9,
        };
        let case = Case::new(&drawn, &["duration=\"5s\"".into()], &vary, &[], 1);
        assert_eq!(case.sets, ["duration=\"5s\"", "services.db.workers=4"]);
        assert_eq!(
            case.command("x.ron"),
            r#"faultline run x.ron --seed 9 --set 'duration="5s"' --set services.db.workers=4 --json"#
        );
        assert_eq!(case.to_string(), "seed 9, services.db.workers=4");
    }
}
