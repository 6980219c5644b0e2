//! `run --trace FILE.json`: the sampling rate's check and the trace file.

use crate::Failure;
use sim_models::{RunResult, TraceConfig};
use std::io::Write;
use std::path::Path;

/// Parses `--trace-sample`: a fraction of requests in (0, 1].
pub(crate) fn rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| "not a number: give a fraction in (0, 1], e.g. 0.01".to_string())?;
    TraceConfig::sampling(rate).check().map(|()| rate)
}

/// Writes the run's traces to `path` through a temporary file and a rename, so a reader never
/// sees half a file, and says what it wrote (and what a cap left out) on stderr. A file that
/// cannot be created is the user's input (exit 2); a write that fails after that is the
/// machine's (exit 1).
pub(crate) fn write(path: &Path, result: &RunResult) -> Result<(), Failure> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{}.tmp", name.unwrap_or_default()));
    let file = std::fs::File::create(&tmp).map_err(|e| {
        Failure::Input(format!(
            "error: --trace {}: cannot create the file: {e}",
            path.display()
        ))
    })?;
    let fail = |e: std::io::Error| {
        Failure::Internal(format!("error: cannot write {}: {e}", path.display()))
    };
    let mut out = std::io::BufWriter::new(file);
    result.write_trace(&mut out).map_err(fail)?;
    out.flush().map_err(fail)?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(fail)?;
    let Some(t) = result.world.trace() else {
        return Ok(());
    };
    let config = t.config();
    if let Some(at) = t.capped_at {
        eprintln!(
            "warning: --trace: {} more sampled requests were not traced: the cap of {} requests or {} spans was reached at {at}; lower --trace-sample or shorten the run",
            t.over_cap, config.max_requests, config.max_spans
        );
    }
    eprintln!(
        "wrote {} request traces ({} spans, sample {}) to {}; open it in https://ui.perfetto.dev or chrome://tracing",
        t.roots.len(),
        t.spans.len(),
        config.sample,
        path.display()
    );
    Ok(())
}
