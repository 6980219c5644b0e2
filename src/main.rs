//! `faultline`: run, check and verify scenarios, sweep their parameters, from the command line.
//!
//! Exit codes: 0 success, 2 invalid input (the message says where and why), 1 internal error.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod library;
mod output;
mod progress;
mod shown;
mod sweep_report;
mod trace_file;
mod tune;

/// Deterministic discrete-event simulator of distributed systems.
#[derive(Parser, Debug)]
#[command(name = "faultline", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The largest scenario or sweep file read, in bytes; suffixes KiB, MiB and GiB are
    /// understood [default: 64MiB].
    #[arg(long, global = true, value_name = "BYTES", value_parser = byte_count)]
    max_scenario_bytes: Option<u64>,
    /// The deepest nesting of (, [ and { in a scenario [default: 64; at most 256].
    #[arg(long, global = true, value_name = "LEVELS",
          value_parser = clap::value_parser!(u64).range(1..=sim_models::LoadOptions::MAX_DEPTH_CEILING as u64))]
    max_nesting: Option<u64>,
}

impl Cli {
    /// The limits on the input files, from the global flags.
    fn load_options(&self) -> sim_models::LoadOptions {
        let default = sim_models::LoadOptions::default();
        sim_models::LoadOptions {
            max_bytes: self.max_scenario_bytes.unwrap_or(default.max_bytes),
            max_depth: self.max_nesting.map_or(default.max_depth, |n| n as usize),
        }
    }
}

/// A byte count: a whole number, optionally followed by KiB, MiB or GiB (`256MiB`).
fn byte_count(arg: &str) -> Result<u64, String> {
    let arg = arg.trim();
    let digits = arg.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let shift = match arg[digits.len()..].trim() {
        "" | "B" => 0,
        "KiB" | "K" | "k" => 10,
        "MiB" | "M" => 20,
        "GiB" | "G" => 30,
        other => {
            return Err(format!(
            "unknown unit `{other}`: write bytes, or a number with KiB, MiB or GiB, e.g. 256MiB"
        ))
        }
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{arg}` is not a byte count such as 100000000 or 256MiB"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{arg}` is too large"))
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
        /// Also write summary.json, timeseries.csv, policies.csv, charts (SVG and PNG) and
        /// report.html into this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// With --out: skip the charts and report.html.
        #[arg(long, requires = "out")]
        no_plots: bool,
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
    /// List the scenario library: each file with the first sentence of its header.
    Scenarios {
        /// The library's directory.
        #[arg(default_value = "scenarios")]
        dir: PathBuf,
    },
    /// Check a scenario without running it.
    Check {
        /// The scenario file (RON).
        file: PathBuf,
        /// Override a field by its path, as for `run`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Run a scenario at every combination of some fields' values, with replications, and
    /// report means, 95% intervals and paired differences (see docs/sweeps.md).
    Sweep {
        /// A scenario file with --vary and --seeds, or a sweep file (`Sweep(scenario: …)`).
        file: PathBuf,
        /// A field and its values: `PATH=v1,v2,…` or `PATH=lo..hi:step` (repeatable; the last
        /// one varies fastest).
        #[arg(long = "vary", value_name = "PATH=VALUES")]
        vary: Vec<String>,
        /// Replications per point; replication i uses seed (scenario seed + i) at every point.
        #[arg(long, value_name = "N")]
        seeds: Option<u64>,
        /// Worker threads (default: one per core). Results do not depend on it.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// The sweep directory (default: results/sweep-STEM, STEM being the scenario file's
        /// name without its extension).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// No progress bar or summary lines.
        #[arg(long)]
        quiet: bool,
        /// Continue the sweep in --out: compute only the points not finished yet.
        #[arg(long)]
        resume: bool,
        /// Run only shard K of N (points with index % N == K-1); combine with `faultline merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// The point paired differences are taken against: an index, or PATH=VALUE,… (default 0).
        #[arg(long, value_name = "INDEX|PATH=VALUE,…")]
        baseline: Option<String>,
        /// Override a field for every point, as for `run` (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Search varied fields for the setting that optimises one metric under constraints,
    /// judged by 95% intervals over replications, and export it as library configuration
    /// (Resilience4j YAML, gRPC service config JSON, Envoy YAML).
    Tune(tune::TuneArgs),
    /// Combine the directories of a sweep's shards into the whole sweep's files.
    Merge {
        /// The shard directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged sweep.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// A failure, with the exit code it maps to.
pub(crate) enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Our fault or the machine's: exit 1.
    Internal(String),
    /// Stopped by Ctrl-C or SIGTERM after writing what it had: exit 130.
    Interrupted,
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
        Err(Failure::Interrupted) => ExitCode::from(progress::INTERRUPTED_EXIT),
    }
}

fn load(
    file: &PathBuf,
    sets: &[String],
    options: &sim_models::LoadOptions,
) -> Result<sim_models::Scenario, Failure> {
    let loaded = sim_models::load_scenario_with(file, sets, options).map_err(load_failure)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    Ok(loaded.scenario)
}

/// A scenario that could not be loaded, as the CLI reports it: every line an `error:` line.
pub(crate) fn load_failure(e: sim_models::LoadError) -> Failure {
    match e {
        // Already one "error: …" line per problem.
        sim_models::LoadError::Invalid(_) => Failure::Input(e.to_string()),
        _ => Failure::Input(format!("error: {e}")),
    }
}

/// `--search`: `auto`, `grid` or `halving`.
fn parse_search(s: &str) -> Result<sim_sweep::tune::Search, String> {
    match s {
        "auto" => Ok(sim_sweep::tune::Search::Auto),
        "grid" => Ok(sim_sweep::tune::Search::Grid),
        "halving" => Ok(sim_sweep::tune::Search::Halving),
        other => Err(format!("`{other}`: expected auto, grid or halving")),
    }
}

/// A sweep's error as the CLI reports it: every line an `error:` line; exit code 1 when the
/// machine is at fault, 2 when the input is.
pub(crate) fn sweep_failure(e: impl Into<sim_sweep::SweepError>) -> Failure {
    let e = e.into();
    let lines = e
        .to_string()
        .lines()
        .map(|l| format!("error: {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    if e.is_machine_fault() {
        Failure::Internal(lines)
    } else {
        Failure::Input(lines)
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    let limits = cli.load_options();
    match cli.command {
        Command::Sweep {
            file,
            vary,
            seeds,
            jobs,
            out,
            quiet,
            resume,
            shard,
            baseline,
            sets,
        } => {
            let shard = shard
                .map(|s| sim_sweep::Shard::parse(&s))
                .transpose()
                .map_err(|m| Failure::Input(format!("error: --shard {m}")))?;
            let args = sim_sweep::SweepArgs {
                file: file.clone(),
                vary,
                seeds,
                baseline,
                sets,
                load: limits,
            };
            let spec = sim_sweep::SweepSpec::from_args(&args).map_err(sweep_failure)?;
            let plan = sim_sweep::Plan::new(spec).map_err(sweep_failure)?;
            for w in &plan.warnings {
                eprintln!("warning: {w}");
            }
            let out = out.unwrap_or_else(|| {
                let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
                PathBuf::from("results").join(format!("sweep-{}", stem.unwrap_or_default()))
            });
            let options = sim_sweep::RunOptions {
                out: out.clone(),
                jobs,
                resume,
                shard,
                progress: !quiet,
            };
            let started = std::time::Instant::now();
            let done = sim_sweep::run_sweep(&plan, &options).map_err(sweep_failure)?;
            if done.results_written {
                let seeds = format!("{} per point (common random numbers)", plan.seeds.len());
                sweep_report::write(&out, &plan.scenario_name(), &seeds)?;
            }
            if !quiet {
                for note in &done.notes {
                    eprintln!("note: {note}");
                }
                let what = match shard {
                    Some(s) => {
                        format!("shard {s}: {} of {} points", done.points, plan.points)
                    }
                    None => format!("{} points", done.points),
                };
                eprintln!(
                    "{what} × {} seeds: computed {} points ({} runs), {} already done, in {:.2?}",
                    plan.seeds.len(),
                    done.computed,
                    done.runs,
                    done.skipped,
                    started.elapsed()
                );
                if done.stopped_early > 0 {
                    eprintln!(
                        "note: {} runs stopped before their planned end (a limit of the scenario); see `stop` in the point files",
                        done.stopped_early
                    );
                }
                if done.results_written {
                    eprintln!(
                        "wrote {}, paired.csv, summary.json, charts and report.html",
                        out.join("results.csv").display()
                    );
                } else {
                    eprintln!(
                        "wrote the shard's point files under {}; combine the shards with `faultline merge DIR… --out DIR`",
                        out.join("points").display()
                    );
                }
            }
            Ok(())
        }
        Command::Tune(args) => tune::tune(args, &limits),
        Command::Merge { dirs, out } => {
            let done = sim_sweep::merge(&dirs, &out).map_err(sweep_failure)?;
            let manifest: sim_sweep::Manifest =
                sim_sweep::output::read_json(&out.join("sweep.json")).map_err(sweep_failure)?;
            let seeds = format!("{} per point (common random numbers)", manifest.seeds.len());
            sweep_report::write(&out, &manifest.scenario_name, &seeds)?;
            eprintln!(
                "merged {} points from {} directories; wrote {}, paired.csv, summary.json, charts and report.html",
                done.points,
                done.dirs,
                out.join("results.csv").display()
            );
            Ok(())
        }
        Command::Scenarios { dir } => {
            print!("{}", library::list(&dir)?);
            Ok(())
        }
        Command::Check { file, sets } => {
            let s = load(&file, &sets, &limits)?;
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
            no_plots,
            verify_determinism,
            trace,
            trace_sample,
        } => {
            let scenario = load(&file, &sets, &limits)?;
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
            progress::catch_interrupts()?;
            let mut driver = progress::RunProgress::new();
            // The summary never reads time series: keep them only for the files that show them.
            let recording = sim_models::Recording {
                series: out.is_some(),
            };
            let shown = shown::Shown {
                json,
                out: out.as_deref(),
                plots: !no_plots,
                started,
            };
            match tracing {
                None => {
                    let result =
                        sim_models::run_controlled(&scenario, seed, &registry, recording, |p| {
                            driver.update(p)
                        });
                    driver.finish();
                    shown.show(&result.map_err(bad)?, &scenario, None)?;
                }
                Some(config) => {
                    // The tracer is the run's observer: an untraced run does without it.
                    let tracer = sim_models::Tracer::new(config, seed);
                    let result = sim_models::run_controlled_observed(
                        &scenario,
                        seed,
                        &registry,
                        tracer,
                        recording,
                        |p| driver.update(p),
                    );
                    driver.finish();
                    let result = result.map_err(bad)?;
                    let traced = trace_file.map(|f| (f, result.world.observer()));
                    shown.show(&result, &scenario, traced)?;
                }
            }
            if progress::interrupted() {
                return Err(Failure::Interrupted);
            }
            Ok(())
        }
    }
}
