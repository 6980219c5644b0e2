//! `faultline tune`: search varied fields for the setting that optimises one metric under
//! constraints, judged over replications, and export the winner as library configuration.
//!
//! The search itself is [`sim_sweep::tune`]; this module turns the command line into its space
//! and its evaluation (load the scenario with the point's values spliced in, run replication
//! `i` with seed `scenario seed + i`, measure with [`sim_sweep::metrics()`]), and writes what it
//! found.

use crate::Failure;
use sim_sweep::tune::{Constraint, Objective, Parameter, TuneOptions};
use std::path::{Path, PathBuf};

/// What `faultline tune` was asked.
#[derive(clap::Args, Debug)]
pub(crate) struct TuneArgs {
    /// The scenario file (RON).
    pub file: PathBuf,
    /// A field and its candidate values: `PATH=v1,v2,…` or `PATH=lo..hi:step` (repeatable).
    #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
    pub vary: Vec<String>,
    /// What to optimise: `max METRIC` or `min METRIC`, e.g. `max goodput`, `min p99`.
    #[arg(long, value_name = "'max|min METRIC'")]
    pub objective: String,
    /// A limit the setting must keep, with its whole 95% interval: `p99 < 500ms`,
    /// `amplification < 1.5`, `error_rate <= 1%` (repeatable).
    #[arg(long = "constraint", value_name = "'METRIC OP VALUE'")]
    pub constraints: Vec<String>,
    /// Replications of each grid point and of the finalists of halving (default 20).
    #[arg(long, value_name = "N")]
    pub seeds: Option<u32>,
    /// `grid` (every point), `halving` (random candidates, successive halving over
    /// replications) or `auto` (grid up to 64 points).
    #[arg(long, value_name = "auto|grid|halving", default_value = "auto", value_parser = crate::parse_search)]
    pub search: sim_sweep::tune::Search,
    /// Random candidates drawn by halving (default 64).
    #[arg(long, value_name = "N")]
    pub candidates: Option<usize>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Override a field at every point, as for `run` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Also write tune.txt, best.ron and the exported configuration files here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

fn input(msg: impl std::fmt::Display) -> Failure {
    Failure::Input(
        msg.to_string()
            .lines()
            .map(|l| format!("error: {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// Runs the search and prints (and with `--out`, writes) the report and the exported
/// configuration of the best setting.
pub(crate) fn tune(args: TuneArgs, limits: &sim_models::LoadOptions) -> Result<(), Failure> {
    let objective: Objective = args.objective.parse().map_err(input)?;
    let constraints = args
        .constraints
        .iter()
        .map(|c| c.parse::<Constraint>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(input)?;
    if args.vary.is_empty() {
        return Err(input(
            "tune needs at least one --vary PATH=VALUES: the fields to search",
        ));
    }
    let text = sim_models::read_scenario_file(&args.file, limits).map_err(crate::load_failure)?;
    if sim_sweep::spec::is_sweep_file(&text) {
        return Err(input(format!(
            "{}: is a sweep file; tune takes the scenario file itself with --vary",
            args.file.display()
        )));
    }
    let vary = args
        .vary
        .iter()
        .map(|v| sim_sweep::Vary::parse(v).map_err(|m| input(format!("--vary {v}: {m}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let spec = sim_sweep::SweepSpec {
        scenario_file: args.file.display().to_string(),
        scenario_text: text,
        sets: args.sets.clone(),
        vary,
        seeds: 1,
        baseline: sim_sweep::Baseline::Index(0),
        load: *limits,
    };
    // Every path and every value is checked once up front, located, before any run.
    let (base, warnings) = sim_sweep::check_vary(&spec).map_err(crate::sweep_failure)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let seed0 = base.scenario.seed;
    let space: Vec<Parameter> = spec
        .vary
        .iter()
        .map(|v| Parameter::new(v.path.clone(), v.values.clone()))
        .collect();
    let mut options = TuneOptions {
        search: args.search,
        max_memory: base.scenario.memory_limit(),
        ..TuneOptions::default()
    };
    if let Some(n) = args.seeds {
        options.replications = n;
    }
    if let Some(n) = args.candidates {
        options.candidates = n;
    }
    let sets_at = |point: &[usize]| -> Vec<String> {
        let varied = spec
            .vary
            .iter()
            .zip(point)
            .flat_map(|(v, &i)| v.sets(&v.values[i]));
        spec.sets.iter().cloned().chain(varied).collect()
    };
    let load_at = |point: &[usize]| {
        sim_models::load_scenario_str_with(
            &spec.scenario_file,
            &spec.scenario_text,
            &sets_at(point),
            &spec.load,
        )
    };
    let evaluate = |point: &[usize], replication: u32| {
        let scenario = load_at(point).map_err(|e| e.to_string())?.scenario;
        let seed = seed0.wrapping_add(replication as u64);
        let result = sim_models::run_summary(&scenario, seed).map_err(|p| p.to_string())?;
        Ok(sim_sweep::metrics(&result.report))
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Failure::Internal(format!("error: cannot start worker threads: {e}")))?;
    if !args.quiet {
        let size: u128 = space.iter().map(|p| p.values.len() as u128).product();
        eprintln!(
            "tuning {} over {size} points on {} threads…",
            objective,
            pool.current_num_threads()
        );
    }
    let started = std::time::Instant::now();
    let result = pool
        .install(|| sim_sweep::tune::tune(&space, &objective, &constraints, &options, evaluate))
        .map_err(input)?;
    let mut report = result.to_string();
    let mut files: Vec<(String, String)> = Vec::new();
    if let Some(best) = &result.best {
        let loaded = load_at(&best.point).map_err(|e| input(e.to_string()))?;
        files.push(("best.ron".into(), loaded.text.clone()));
        let exports = sim_models::export::export_scenario(&loaded.scenario);
        let with_config: Vec<_> = exports
            .iter()
            .filter(|e| !e.documents.is_empty() || !e.untranslated.is_empty())
            .collect();
        if with_config.is_empty() {
            report += "\nThe best setting has no policies to export.\n";
        } else {
            report += "\nThe best setting as library configuration (paste into your service):\n\n";
        }
        for e in with_config {
            report += &e.render();
            report += "\n";
            for d in &e.documents {
                let ext = if d.library.is_json() { "json" } else { "yaml" };
                let target = d
                    .target
                    .as_deref()
                    .map_or(String::new(), |t| format!("-{t}"));
                let name = format!(
                    "{}{target}.{}.{ext}",
                    e.caller,
                    d.library.name().to_lowercase()
                );
                files.push((name, d.text.clone()));
            }
        }
    }
    print!("{report}");
    if let Some(dir) = &args.out {
        files.push(("tune.txt".into(), report.clone()));
        write_files(dir, &files)?;
        if !args.quiet {
            eprintln!(
                "wrote {} ({} files: the report, best.ron and the exported configuration)",
                dir.display(),
                files.len()
            );
        }
    }
    if !args.quiet {
        eprintln!(
            "{} evaluations in {:.2?}",
            result.evaluations,
            started.elapsed()
        );
    }
    Ok(())
}

/// Writes each `(name, text)` into `dir`, each atomically (temporary file, then rename).
fn write_files(dir: &Path, files: &[(String, String)]) -> Result<(), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| {
        input(format!(
            "--out {}: cannot create the directory: {e}",
            dir.display()
        ))
    })?;
    for (name, text) in files {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                Failure::Internal(format!("error: cannot write {}: {e}", path.display()))
            })?;
    }
    Ok(())
}
