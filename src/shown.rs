//! What `faultline run` shows of a finished run, whoever watched it: the summary (tables or
//! JSON), the files `--out` asks for, the trace `--trace` recorded, and the wall clock.

use crate::trace_file::{self, TraceFile};
use crate::{output, Failure};
use sim_models::{Observer, RunResult, Scenario, Tracer};
use std::path::Path;
use std::time::Instant;

/// How the run was asked to be shown.
pub(crate) struct Shown<'a> {
    /// The summary as JSON rather than tables.
    pub(crate) json: bool,
    /// The directory for the summary, time series, histories and charts.
    pub(crate) out: Option<&'a Path>,
    /// Whether to draw the charts into `out`.
    pub(crate) plots: bool,
    /// When the run started.
    pub(crate) started: Instant,
}

impl Shown<'_> {
    /// Shows `result`, and writes the trace `traced` holds into its file.
    pub(crate) fn show<O: Observer>(
        &self,
        result: &RunResult<O>,
        scenario: &Scenario,
        traced: Option<(TraceFile, &Tracer)>,
    ) -> Result<(), Failure> {
        let wall = self.started.elapsed();
        let report = &result.report;
        if self.json {
            println!("{}", output::json(report).map_err(Failure::Internal)?);
        } else {
            print!("{}", output::tables(report));
        }
        if let Some(dir) = self.out {
            output::write_dir(dir, result)?;
            eprintln!(
                "wrote {}, {} and {}",
                dir.join("summary.json").display(),
                dir.join("timeseries.csv").display(),
                dir.join("policies.csv").display()
            );
            if result.caches_csv().is_some() {
                eprintln!("wrote {}", dir.join("caches.csv").display());
            }
            for store in &result.stores {
                let sub = dir.join(format!("store-{}", store.name));
                eprintln!(
                    "wrote {} and {} ({} operations)",
                    sub.join("history.jsonl").display(),
                    sub.join("history.edn").display(),
                    store.history.len()
                );
            }
            if self.plots {
                output::write_plots(dir, result, scenario)?;
            }
        }
        if let Some((file, tracer)) = traced {
            trace_file::write(file, result, tracer)?;
        }
        eprintln!(
            "wall clock: {:.2?} for {} events ({:.2} M events/s)",
            wall,
            report.events,
            report.events as f64 / wall.as_secs_f64().max(1e-9) / 1e6
        );
        if !report.stop.complete {
            eprintln!("note: the run stopped early: {}", report.stop.message);
        }
        Ok(())
    }
}
