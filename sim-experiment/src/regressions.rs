//! Regression files: the minimal failing cases an experiment has found, replayed before any new
//! case is drawn, so that a failure found once is checked on every later run whatever the
//! search seed.
//!
//! One case per line as JSON, with its values (not their positions, so that a case still means
//! the same after a list is extended) and its fault draws; lines starting with `#` are comments
//! (the message the case failed with). Commit the file beside the test.

use crate::case::Drawn;
use crate::error::ExperimentError;
use crate::fault_gen::{FaultDraw, Resolved};
use serde::{Deserialize, Serialize};
use sim_sweep::Vary;
use std::io::Write;
use std::path::Path;

/// The largest regression file read: far above any hand-kept list of cases.
const MAX_BYTES: u64 = 4 << 20;

/// One stored case, as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    seed: u64,
    /// Each varied field's path and value.
    values: Vec<(String, String)>,
    /// Each generated fault: start and length in ms, instance.
    faults: Vec<(u64, u64, u32)>,
}

/// A stored case and the line it is on (from 1).
pub(crate) type Regression = (usize, Drawn);

/// The cases stored in `path` (none if it does not exist), each checked against the
/// experiment's varied fields and generated faults.
pub(crate) fn read(
    path: &Path,
    vary: &[Vary],
    faults: &[Resolved],
) -> Result<Vec<Regression>, ExperimentError> {
    let bad = |line: usize, reason: String| ExperimentError::Regression {
        file: path.display().to_string(),
        line,
        reason,
    };
    let text = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(bad(0, e.to_string())),
        Ok(m) if m.len() > MAX_BYTES => {
            return Err(bad(0, format!("larger than {MAX_BYTES} bytes")))
        }
        Ok(_) => std::fs::read_to_string(path).map_err(|e| bad(0, e.to_string()))?,
    };
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let (n, line) = (i + 1, line.trim());
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let stored: Stored = serde_json::from_str(line).map_err(|e| bad(n, e.to_string()))?;
        cases.push((n, drawn(&stored, vary, faults).map_err(|r| bad(n, r))?));
    }
    Ok(cases)
}

/// The draw `stored` describes, or why it no longer fits the experiment.
fn drawn(stored: &Stored, vary: &[Vary], faults: &[Resolved]) -> Result<Drawn, String> {
    let positions = vary
        .iter()
        .map(|v| {
            let value = stored
                .values
                .iter()
                .find(|(p, _)| p == &v.path)
                .map(|(_, value)| value)
                .ok_or_else(|| format!("the case has no value for `{}`", v.path))?;
            v.values
                .iter()
                .position(|x| x == value)
                .ok_or_else(|| format!("`{}={value}` is no longer among its values", v.path))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if stored.values.len() != vary.len() {
        return Err(format!(
            "the case varies {} fields, the experiment {}",
            stored.values.len(),
            vary.len()
        ));
    }
    if stored.faults.len() != faults.len() {
        return Err(format!(
            "the case has {} generated faults, the experiment {}",
            stored.faults.len(),
            faults.len()
        ));
    }
    let draws = stored
        .faults
        .iter()
        .zip(faults)
        .enumerate()
        .map(|(k, (&(start_ms, length_ms, instance), f))| {
            let within = |x: u64, (lo, hi): (u64, u64)| (lo..=hi).contains(&x);
            if !within(start_ms, f.start) || !within(length_ms, f.length) || instance >= f.instances
            {
                return Err(format!(
                    "generated fault {k} is outside the experiment's ranges"
                ));
            }
            Ok(FaultDraw {
                start_ms,
                length_ms,
                instance,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Drawn {
        positions,
        faults: draws,
        seed: stored.seed,
    })
}

/// Appends `drawn` (which failed with `message`) to `path`, creating it and its directory.
pub(crate) fn append(
    path: &Path,
    drawn: &Drawn,
    vary: &[Vary],
    message: &str,
) -> Result<(), ExperimentError> {
    let stored = Stored {
        seed: drawn.seed,
        values: vary
            .iter()
            .zip(&drawn.positions)
            .map(|(v, &i)| (v.path.clone(), v.values[i].clone()))
            .collect(),
        faults: drawn
            .faults
            .iter()
            .map(|f| (f.start_ms, f.length_ms, f.instance))
            .collect(),
    };
    let line = serde_json::to_string(&stored).expect("plain data");
    let comment: String = message
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(file, "# {comment}\n{line}")
    };
    write().map_err(|e| ExperimentError::Regression {
        file: path.display().to_string(),
        line: 0,
        reason: format!("cannot write: {e}"),
    })
}
