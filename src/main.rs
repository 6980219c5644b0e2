//! `faultline`: run, check and verify scenarios from the command line.
//!
//! Exit codes: 0 success, 2 invalid input (the message says where and why), 1 internal error.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod output;
mod trace_file;

/// Deterministic discrete-event simulator of distributed systems.
#[derive(Parser, Debug)]
#[command(name = "faultline", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and print its summary.
    Run {
        /// The scenario file (RON).
        file: PathBuf,
        /// Seed for this run (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a field by its path, e.g. `--set services.db.workers=8` (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Print the summary as one JSON document on stdout instead of tables.
        #[arg(long)]
        json: bool,
        /// Also write summary.json and timeseries.csv into this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Run twice first and check that both runs process identical events.
        #[arg(long)]
        verify_determinism: bool,
        /// Write sampled request traces to this file (Chrome trace-event JSON: open it in
        /// ui.perfetto.dev or chrome://tracing).
        #[arg(long, value_name = "FILE.json")]
        trace: Option<PathBuf>,
        /// Fraction of requests --trace records, in (0, 1].
        #[arg(long, value_name = "RATE", requires = "trace", value_parser = trace_file::rate,
              default_value_t = sim_models::TraceConfig::DEFAULT_SAMPLE)]
        trace_sample: f64,
    },
    /// Check a scenario without running it.
    Check {
        /// The scenario file (RON).
        file: PathBuf,
        /// Override a field by its path, as for `run`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
}

/// A failure, with the exit code it maps to.
pub(crate) enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Our fault or the machine's: exit 1.
    Internal(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A panic is a bug; report it as an internal error (exit 1), never as a crash code.
    let outcome = std::panic::catch_unwind(|| dispatch(cli)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(Failure::Internal(format!(
            "error: internal error (please report): {what}"
        )))
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(1)
        }
    }
}

fn load(file: &PathBuf, sets: &[String]) -> Result<sim_models::Scenario, Failure> {
    let loaded = sim_models::load_scenario(file, sets).map_err(|e| match e {
        // Already one "error: …" line per problem.
        sim_models::LoadError::Invalid(_) => Failure::Input(e.to_string()),
        _ => Failure::Input(format!("error: {e}")),
    })?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    Ok(loaded.scenario)
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Check { file, sets } => {
            let s = load(&file, &sets)?;
            println!(
                "{}: ok ({} clients, {} services, {} simulated)",
                file.display(),
                s.clients.len(),
                s.services.len(),
                s.duration
            );
            Ok(())
        }
        Command::Run {
            file,
            seed,
            sets,
            json,
            out,
            verify_determinism,
            trace,
            trace_sample,
        } => {
            let scenario = load(&file, &sets)?;
            let seed = seed.unwrap_or(scenario.seed);
            let bad = |p: sim_models::Problems| Failure::Input(p.to_string());
            if verify_determinism {
                let started = std::time::Instant::now();
                match sim_models::verify(&scenario, seed).map_err(bad)? {
                    Ok(r) => eprintln!(
                        "determinism verified: two runs processed the same {} events (stream hash {:016x}) in {:.2?}",
                        r.events,
                        r.hash,
                        started.elapsed()
                    ),
                    Err(d) => return Err(Failure::Internal(format!("error: determinism check FAILED: {d}"))),
                }
            }
            let started = std::time::Instant::now();
            let trace_file = trace.as_deref().map(trace_file::create).transpose()?;
            let tracing = trace
                .as_ref()
                .map(|_| sim_models::TraceConfig::sampling(trace_sample));
            let registry = sim_models::policy::PolicyRegistry::new();
            let result =
                sim_models::run_traced(&scenario, seed, &registry, tracing).map_err(bad)?;
            let wall = started.elapsed();
            let report = &result.report;
            if json {
                println!("{}", output::json(report).map_err(Failure::Internal)?);
            } else {
                print!("{}", output::tables(report));
            }
            if let Some(dir) = out {
                output::write_dir(&dir, &result)?;
                eprintln!(
                    "wrote {} and {}",
                    dir.join("summary.json").display(),
                    dir.join("timeseries.csv").display()
                );
            }
            if let Some(file) = trace_file {
                trace_file::write(file, &result)?;
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
}
