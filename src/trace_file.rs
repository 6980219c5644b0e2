//! `run --trace FILE.json`: the sampling rate's check and the trace file.

use crate::Failure;
use sim_models::{Observer, RunResult, TraceConfig, Tracer};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Parses `--trace-sample`: a fraction of requests in (0, 1].
pub(crate) fn rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| "not a number: give a fraction in (0, 1], e.g. 0.01".to_string())?;
    TraceConfig::sampling(rate).check().map(|()| rate)
}

/// The trace file, created before the run so that a path that cannot be written fails at once
/// rather than after a long run. It is written to a temporary file beside it and renamed once
/// complete, so a reader never sees half a file; the temporary file goes if the run fails.
pub(crate) struct TraceFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<std::fs::File>,
}

/// Creates the (temporary) trace file for `path`: a file that cannot be created is the user's
/// input (exit 2).
pub(crate) fn create(path: &Path) -> Result<TraceFile, Failure> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{}.tmp", name.unwrap_or_default()));
    let file = std::fs::File::create(&tmp).map_err(|e| {
        Failure::Input(format!(
            "error: --trace {}: cannot create the file: {e}",
            path.display()
        ))
    })?;
    Ok(TraceFile {
        path: path.to_path_buf(),
        tmp,
        file: Some(file),
    })
}

impl Drop for TraceFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes the traces `t` recorded of the run and says what it wrote (and what a cap left out)
/// on stderr. A write that fails is the machine's fault (exit 1).
pub(crate) fn write<O: Observer>(
    mut trace: TraceFile,
    result: &RunResult<O>,
    t: &Tracer,
) -> Result<(), Failure> {
    let path = trace.path.clone();
    let fail = |e: std::io::Error| {
        Failure::Internal(format!("error: cannot write {}: {e}", path.display()))
    };
    let mut out = std::io::BufWriter::new(trace.file.take().expect("written once"));
    let written = result
        .write_trace(t, &mut out)
        .and_then(|()| out.flush())
        .and_then(|()| std::fs::rename(&trace.tmp, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&trace.tmp);
        return Err(fail(e));
    }
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
