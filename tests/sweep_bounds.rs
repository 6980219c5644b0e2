//! Sweeps and searches are bounded by construction: replication counts have a ceiling, a plan
//! holds no point until it runs, and a sweep whose results would not fit in memory is refused
//! before it writes anything.

mod common;
use common::faultline;
use sim_sweep::{Baseline, Plan, RunOptions, SweepSpec, Vary};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

const MM1: &str = "scenarios/queueing/mm1.ron";
const TUNING: &str = "scenarios/tuning/breaker-backoff.ron";

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let n = NOW.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(n, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sweep-bounds-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn refused(args: &[&str]) -> String {
    let o = faultline(args);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn spec(vary: &[&str], seeds: u64, sets: &[&str]) -> SweepSpec {
    SweepSpec {
        scenario_file: MM1.into(),
        scenario_text: std::fs::read_to_string(MM1).unwrap(),
        sets: sets.iter().map(|s| s.to_string()).collect(),
        vary: vary.iter().map(|v| Vary::parse(v).unwrap()).collect(),
        seeds,
        baseline: Baseline::Index(0),
        load: sim_models::LoadOptions::default(),
    }
}

#[test]
fn replication_counts_past_the_ceiling_are_refused_before_anything_is_allocated() {
    for seeds in ["1000000000", "18446744073709551615", "100001"] {
        let out = scratch(&format!("seeds-{seeds}"));
        let err = refused(&[
            "sweep",
            MM1,
            "--vary",
            "services.server.workers=1,2",
            "--seeds",
            seeds,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(err.contains(&format!("--seeds {seeds}")), "{err}");
        assert!(err.contains("at most 100000"), "{err}");
        assert!(!out.exists(), "a refused sweep created {}", out.display());
    }
}

#[test]
fn a_million_point_grid_is_planned_without_making_its_points() {
    let before = NOW.load(Relaxed);
    PEAK.store(before, Relaxed);
    let plan = Plan::new(spec(
        &[
            "services.server.workers=1..1000:1",
            "clients.arrivals.rate=0.001..1:0.001",
        ],
        5,
        &[],
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let peak = PEAK.load(Relaxed) - before;
    assert_eq!(plan.points, 1_000_000);
    assert!(!plan.checked_ahead);
    // Planning every point up front took ~8 KiB each (8 GiB); now it is the values alone.
    assert!(peak < 64 << 20, "planning took {peak} bytes");
    let last = plan.point(999_999).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        last.point.describe(),
        "services.server.workers=1000, clients.arrivals.rate=1.000"
    );
    assert_eq!(last.scenario.services["server"].workers, 1000);
}

#[test]
fn a_sweep_whose_results_would_not_fit_is_refused_naming_vary_and_seeds() {
    let out = scratch("million");
    let err = refused(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=1..1000:1",
        "--vary",
        "clients.arrivals.rate=0.001..1:0.001",
        "--seeds",
        "5",
        "--set",
        "limits.max_memory=4GiB",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("more than 4.0 GiB"), "{err}");
    assert!(
        err.contains("for --vary × --seeds (1000000 points × 5 replications"),
        "{err}"
    );
    assert!(!out.exists(), "a refused sweep created {}", out.display());
}

#[test]
fn the_same_sweep_within_its_memory_limit_runs() {
    let out = scratch("fits");
    let o = faultline(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=1,2",
        "--seeds",
        "2",
        "--set",
        "duration=200s",
        "--set",
        "warmup=10s",
        "--set",
        "limits.max_memory=256MiB",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("results.csv").exists());
    let err = refused(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=1,2",
        "--seeds",
        "2",
        "--set",
        "duration=200s",
        "--set",
        "warmup=10s",
        "--set",
        "limits.max_memory=64KiB",
        "--out",
        scratch("tight").to_str().unwrap(),
    ]);
    assert!(err.contains("more than 64.0 KiB"), "{err}");
}

#[test]
fn a_bad_combination_beyond_the_checked_grid_stops_the_sweep_at_its_point() {
    // 2 × 5,001 points: too many to load each up front, so each combination is checked as it
    // runs. Every value is valid alone; point 1 (duration 1s, warm-up 1s) is not.
    let plan = Plan::new(spec(
        &["duration=1s,100s", "warmup=0s..5000s:1s"],
        1,
        &["warmup=0s"],
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.points, 10_002);
    assert!(!plan.checked_ahead);
    let out = scratch("combination");
    let options = RunOptions {
        out: out.clone(),
        jobs: Some(1),
        resume: false,
        shard: None,
        progress: false,
    };
    let err = sim_sweep::run_sweep(&plan, &options)
        .unwrap_err()
        .to_string();
    assert!(err.contains("point 1 (duration=1s, warmup=1s)"), "{err}");
    assert!(err.contains("must be shorter than the duration"), "{err}");
    // What finished before stays for --resume once the grid is fixed.
    assert!(sim_sweep::output::point_path(&out, 0).exists());
}

#[test]
fn a_small_grid_with_a_bad_combination_is_refused_before_it_runs() {
    let err = Plan::new(spec(
        &["duration=1s,100s", "warmup=0s,2s"],
        1,
        &["warmup=0s"],
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("point 1 (duration=1s, warmup=2s)"), "{err}");
}

#[test]
fn tuning_counts_past_their_ceilings_are_refused() {
    let vary = "services.api.steps.1.policies.1.0.wait_in_open=1s,5s";
    let err = refused(&[
        "tune",
        TUNING,
        "--vary",
        vary,
        "--objective",
        "max goodput",
        "--seeds",
        "4000000000",
        "--quiet",
    ]);
    assert!(err.contains("at most 100000"), "{err}");
    let err = refused(&[
        "tune",
        TUNING,
        "--vary",
        vary,
        "--objective",
        "max goodput",
        "--search",
        "halving",
        "--candidates",
        "1000000000000",
        "--quiet",
    ]);
    assert!(err.contains("at most 1000000"), "{err}");
}

#[test]
fn a_search_whose_bookkeeping_would_not_fit_is_refused() {
    let err = refused(&[
        "tune",
        TUNING,
        "--vary",
        "services.api.steps.1.policies.1.0.wait_in_open=1s..1000s:1s",
        "--vary",
        "services.api.steps.1.policies.0.backoff.max=200ms..1199ms:1ms",
        "--objective",
        "max goodput",
        "--search",
        "grid",
        "--seeds",
        "100000",
        "--set",
        "limits.max_memory=1GiB",
        "--quiet",
    ]);
    assert!(
        err.contains("1000000 points × 100000 replications would need"),
        "{err}"
    );
    assert!(err.contains("more than 1.0 GiB"), "{err}");
}
