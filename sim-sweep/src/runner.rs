//! Running a sweep: every (point, replication) pair on a rayon pool, each point's file written
//! atomically as soon as its replications are done, finished points skipped on `--resume`.
//!
//! Results never depend on the number of threads or on which run finishes first: a run is a
//! pure function of its scenario and seed, replications are stored by index, and the final files
//! are built from the point files alone.

use crate::error::{OutputError, PlanError, RunError, SweepError};
use crate::grid::Shard;
use crate::metrics::metrics;
use crate::output::{
    point_path, read_json, read_points, record_fits, to_json, write_atomic, write_results,
    Assignment, Manifest, PointRecord, Replication,
};
use crate::plan::{Plan, PlannedPoint};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::iter::{ParallelBridge, ParallelIterator};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The sweep directory.
    pub out: PathBuf,
    /// Worker threads; `None` for one per core.
    pub jobs: Option<usize>,
    /// Continue the sweep already in `out` (same manifest), computing only missing points.
    pub resume: bool,
    /// Run only this shard's points (and write no final files: `merge` does).
    pub shard: Option<Shard>,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

/// What a call to [`run_sweep`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunSummary {
    /// Points in the sweep (or shard).
    pub points: usize,
    /// Points already finished in the directory, not recomputed.
    pub skipped: usize,
    /// Points computed now.
    pub computed: usize,
    /// Simulation runs done now.
    pub runs: usize,
    /// Runs that stopped before their planned end (a limit of the scenario).
    pub stopped_early: usize,
    /// Whether `results.csv`, `paired.csv` and `summary.json` were written.
    pub results_written: bool,
    /// Things worth telling the user (point files that had to be recomputed).
    pub notes: Vec<String>,
}

/// A point being computed: its scenario, loaded by the first replication to start, and its
/// replications as they finish. Slots exist only while their point is in flight.
struct Slot {
    scenario: OnceLock<Result<PlannedPoint, PlanError>>,
    progress: Mutex<Progress>,
}

struct Progress {
    replications: Vec<Option<Replication>>,
    left: usize,
}

/// The number of workers `jobs` asks for (`None`: one per core, as rayon does).
fn workers(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs the sweep `plan` into `options.out`.
pub fn run_sweep(plan: &Plan, options: &RunOptions) -> Result<RunSummary, SweepError> {
    let dir = &options.out;
    if options.jobs == Some(0) {
        return Err(RunError::NoWorkers.into());
    }
    let owned = match options.shard {
        Some(s) => plan.points / s.count + usize::from(plan.points % s.count >= s.index),
        None => plan.points,
    };
    let memory = crate::memory::estimate(
        &plan.sizes,
        owned as u64,
        plan.seeds.len() as u64,
        workers(options.jobs) as u64,
        options.shard.is_none(),
    );
    crate::memory::check(&memory, plan.sizes.limit)?;
    std::fs::create_dir_all(dir.join("points")).map_err(|source| OutputError::CreateDirectory {
        dir: dir.clone(),
        source,
    })?;
    let manifest = plan.manifest(options.shard);
    let manifest_path = dir.join("sweep.json");
    if manifest_path.exists() {
        if !options.resume {
            return Err(RunError::AlreadyASweep { dir: dir.clone() }.into());
        }
        let old: Manifest = read_json(&manifest_path)?;
        if let Some(difference) = manifest.differs_from(&old) {
            return Err(RunError::OtherSweep {
                manifest: manifest_path,
                difference,
            }
            .into());
        }
    }
    write_atomic(&manifest_path, &to_json(&manifest))?;

    let mut summary = RunSummary::default();
    let mut todo = Vec::new();
    for i in (0..plan.points).filter(|&i| options.shard.is_none_or(|s| s.owns(i))) {
        summary.points += 1;
        let path = point_path(dir, i);
        if path.exists() {
            let why = match read_json::<PointRecord>(&path) {
                Ok(r) => record_fits(&r, &manifest, i).err().map(|m| m.to_string()),
                Err(e) => Some(e.to_string()),
            };
            match why {
                None => {
                    summary.skipped += 1;
                    continue;
                }
                Some(why) => summary.notes.push(format!("recomputing point {i}: {why}")),
            }
        }
        todo.push(i);
    }

    let seeds = &plan.seeds;
    let runs = todo.len() * seeds.len();
    let bar = if options.progress {
        ProgressBar::with_draw_target(Some(runs as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs · {elapsed_precise} · ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let slots: Mutex<BTreeMap<usize, Arc<Slot>>> = Mutex::new(BTreeMap::new());
    let stopped_early = std::sync::atomic::AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.unwrap_or(0))
        .build()
        .map_err(|source| RunError::Threads { source })?;
    // par_bridge hands the pairs out in order, so points finish roughly in index order and
    // only about one point per worker is in flight.
    let pairs = (0..todo.len()).flat_map(|k| (0..seeds.len()).map(move |r| (k, r)));
    pool.install(|| {
        pairs.par_bridge().try_for_each(|(k, r)| {
            let slot = {
                let mut slots = slots.lock().unwrap_or_else(|e| e.into_inner());
                Arc::clone(slots.entry(k).or_insert_with(|| {
                    Arc::new(Slot {
                        scenario: OnceLock::new(),
                        progress: Mutex::new(Progress {
                            replications: vec![None; seeds.len()],
                            left: seeds.len(),
                        }),
                    })
                }))
            };
            let planned = slot
                .scenario
                .get_or_init(|| plan.point(todo[k]))
                .as_ref()
                .map_err(|e| SweepError::from(e.clone()))?;
            let seed = seeds[r];
            let result = sim_models::run_summary(&planned.scenario, seed).map_err(|source| {
                RunError::Failed {
                    point: planned.point.index,
                    values: planned.point.describe(),
                    seed,
                    source,
                }
            })?;
            let report = result.report;
            if !report.stop.complete {
                stopped_early.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let replication = Replication {
                seed,
                stop: report.stop.reason.clone(),
                metrics: metrics(&report),
            };
            let done = {
                let mut progress = slot.progress.lock().unwrap_or_else(|e| e.into_inner());
                progress.replications[r] = Some(replication);
                progress.left -= 1;
                (progress.left == 0).then(|| std::mem::take(&mut progress.replications))
            };
            if let Some(replications) = done {
                slots.lock().unwrap_or_else(|e| e.into_inner()).remove(&k);
                let record = PointRecord {
                    point: planned.point.index,
                    assignments: planned
                        .point
                        .assignments
                        .iter()
                        .map(|(path, value)| Assignment {
                            path: path.clone(),
                            value: value.clone(),
                        })
                        .collect(),
                    replications: replications.into_iter().flatten().collect(),
                };
                write_atomic(&point_path(dir, record.point), &to_json(&record))?;
            }
            bar.inc(1);
            Ok::<(), SweepError>(())
        })
    })?;
    bar.finish_and_clear();
    summary.computed = todo.len();
    summary.runs = runs;
    summary.stopped_early = stopped_early.into_inner();

    if options.shard.is_none() {
        let records = read_points(dir, &manifest)?;
        write_results(dir, &manifest, &records)?;
        summary.results_written = true;
    }
    Ok(summary)
}
