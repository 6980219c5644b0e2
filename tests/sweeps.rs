//! `faultline sweep` and `faultline merge`: results that depend on nothing but the sweep — not
//! the number of threads, not sharding, not an interruption — and bad input that is refused
//! with a located message and exit code 2.

mod common;
use common::faultline;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const MM1: &str = "scenarios/queueing/mm1.ron";

/// A fresh directory for one test's outputs.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sweeps-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small sweep of M/M/1 (6 points × 3 seeds, a few milliseconds each).
fn small_sweep(out: &Path, extra: &[&str]) -> std::process::Output {
    let out = out.to_str().unwrap();
    let mut args = vec![
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=1,2,3",
        "--vary",
        "clients.arrivals.rate=0.5,0.8",
        "--seeds",
        "3",
        "--set",
        "duration=2000s",
        "--set",
        "warmup=100s",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    let o = faultline(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// The files a finished sweep leaves that must be byte-identical: the final three and every
/// point file (temporary files of a killed run are not among them).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for name in ["results.csv", "paired.csv", "summary.json"] {
        let bytes = std::fs::read(dir.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()));
        out.insert(name.to_string(), bytes);
    }
    for (name, path) in point_files(dir) {
        out.insert(format!("points/{name}"), std::fs::read(path).unwrap());
    }
    out
}

/// `points/NNNNN.json` files, by name.
fn point_files(dir: &Path) -> BTreeMap<String, PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("points")) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".json") && !name.starts_with('.')
        })
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect()
}

fn assert_identical(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "different files in {} and {}",
        a.display(),
        b.display()
    );
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Runs `faultline` with `args`, expecting exit code 2; returns stderr.
fn refused(args: &[&str]) -> String {
    let o = faultline(args);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn one_or_two_threads_write_byte_identical_results() {
    let dir = scratch("jobs");
    let (one, two) = (dir.join("one"), dir.join("two"));
    small_sweep(&one, &["--jobs", "1"]);
    small_sweep(&two, &["--jobs", "2"]);
    assert_identical(&one, &two);
    let results = std::fs::read_to_string(one.join("results.csv")).unwrap();
    assert_eq!(
        results.lines().count(),
        1 + 6,
        "a header and a row per point"
    );
    assert!(
        results.starts_with(
            "point,services.server.workers,clients.arrivals.rate,goodput.mean,goodput.ci_low,goodput.ci_high,"
        ),
        "{}",
        &results[..200]
    );
    // Point 1 is one worker at rate 0.8: goodput near 0.8 per second.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(one.join("summary.json")).unwrap()).unwrap();
    let goodput = &summary["points"][1]["metrics"]["goodput"];
    assert_eq!(goodput["n"], 3);
    let mean = goodput["mean"].as_f64().unwrap();
    assert!((0.7..0.9).contains(&mean), "{goodput}");
    // The baseline minus itself is exactly zero.
    assert_eq!(summary["points"][0]["paired"]["p99"]["mean"], 0.0);
}

#[test]
fn replication_i_uses_the_same_seed_at_every_point() {
    let dir = scratch("seeds");
    small_sweep(&dir, &[]);
    for (_, path) in point_files(&dir) {
        let p: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let seeds: Vec<u64> = p["replications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["seed"].as_u64().unwrap())
            .collect();
        assert_eq!(seeds, [1, 2, 3], "mm1.ron has seed 1: seeds 1 + i");
    }
}

#[test]
fn shards_merged_equal_the_whole_sweep_byte_for_byte() {
    let dir = scratch("shards");
    let (whole, s1, s2, merged) = (
        dir.join("whole"),
        dir.join("s1"),
        dir.join("s2"),
        dir.join("merged"),
    );
    small_sweep(&whole, &[]);
    small_sweep(&s1, &["--shard", "1/2"]);
    let o = small_sweep(&s2, &["--shard", "2/2"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("faultline merge"));
    // A shard writes its points only; the final files need every point.
    assert!(!s1.join("results.csv").exists());
    assert_eq!(point_files(&s1).len(), 3);
    // Merging one shard alone names the missing points.
    let stderr = refused(&[
        "merge",
        s1.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("3 of 6 points are missing (points 1, 3, 5"),
        "{stderr}"
    );
    let o = faultline(&[
        "merge",
        s1.to_str().unwrap(),
        s2.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_identical(&whole, &merged);
    // A point given twice is refused.
    let stderr = refused(&[
        "merge",
        s1.to_str().unwrap(),
        whole.to_str().unwrap(),
        "--out",
        dir.join("twice").to_str().unwrap(),
    ]);
    assert!(stderr.contains("point 0 is in both"), "{stderr}");
}

#[test]
fn merging_shards_of_different_sweeps_is_refused() {
    let dir = scratch("merge-mismatch");
    small_sweep(&dir.join("a"), &["--shard", "1/2"]);
    small_sweep(&dir.join("b"), &["--shard", "2/2", "--set", "seed=5"]);
    let stderr = refused(&[
        "merge",
        dir.join("a").to_str().unwrap(),
        dir.join("b").to_str().unwrap(),
        "--out",
        dir.join("m").to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("hold different sweeps: sets differs"),
        "{stderr}"
    );
}

/// The sweep the interruption test kills: 24 points × 2 seeds of M/M/1, long enough per run to
/// be caught half-way.
fn long_sweep_args(out: &Path) -> Vec<String> {
    let duration = if cfg!(debug_assertions) {
        "20000s"
    } else {
        "200000s"
    };
    [
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=1..4:1",
        "--vary",
        "clients.arrivals.rate=0.4..0.9:0.1",
        "--seeds",
        "2",
        "--set",
        &format!("duration={duration}"),
        "--set",
        "warmup=100s",
        "--out",
        out.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn a_killed_sweep_resumed_equals_an_uninterrupted_one_without_recomputing() {
    let dir = scratch("resume");
    let (whole, killed) = (dir.join("whole"), dir.join("killed"));
    let o = faultline(
        &long_sweep_args(&whole)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(long_sweep_args(&killed))
        .args(["--jobs", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while point_files(&killed).len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no point files after two minutes"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = point_files(&killed);
    assert!(
        done.len() < 24,
        "the sweep finished before it could be killed"
    );
    assert!(
        !killed.join("results.csv").exists(),
        "final files before all points"
    );
    // Every point file left behind is whole: it parses.
    let before: BTreeMap<String, SystemTime> = done
        .iter()
        .map(|(name, path)| {
            let bytes = std::fs::read(path).unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("{name} is not valid JSON after the kill: {e}"));
            (
                name.clone(),
                std::fs::metadata(path).unwrap().modified().unwrap(),
            )
        })
        .collect();

    // Without --resume the directory is refused; with it, only missing points are computed.
    let mut args = long_sweep_args(&killed);
    let stderr = refused(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(stderr.contains("pass --resume"), "{stderr}");
    args.push("--resume".into());
    let o = faultline(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "computed {} points ({} runs), {} already done",
            24 - before.len(),
            2 * (24 - before.len()),
            before.len()
        )),
        "{stderr}"
    );
    for (name, mtime) in &before {
        let now = std::fs::metadata(killed.join("points").join(name))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(&now, mtime, "{name} was rewritten by the resumed sweep");
    }
    assert_identical(&whole, &killed);
}

#[test]
fn resume_refuses_a_directory_holding_another_sweep() {
    let dir = scratch("resume-other");
    small_sweep(&dir, &[]);
    let out = dir.to_str().unwrap();
    let stderr = refused(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=1,2,4",
        "--vary",
        "clients.arrivals.rate=0.5,0.8",
        "--seeds",
        "3",
        "--set",
        "duration=2000s",
        "--set",
        "warmup=100s",
        "--out",
        out,
        "--resume",
    ]);
    assert!(
        stderr.contains("describes another sweep than this command: vary differs"),
        "{stderr}"
    );
}

#[test]
fn a_sweep_file_runs_the_same_sweep_as_the_command_line() {
    let dir = scratch("sweep-file");
    small_sweep(&dir.join("cli"), &[]);
    let file = dir.join("small.ron");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join(MM1);
    std::fs::write(
        &file,
        format!(
            r#"// The small sweep, written down.
Sweep(
    scenario: {:?},
    vary: ["services.server.workers=1,2,3", "clients.arrivals.rate=0.5,0.8"],
    seeds: 3,
    sets: ["duration=2000s", "warmup=100s"],
)"#,
            scenario.to_str().unwrap()
        ),
    )
    .unwrap();
    let o = faultline(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        dir.join("file").to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.stderr.is_empty(),
        "--quiet: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_identical(&dir.join("cli"), &dir.join("file"));
}

#[test]
fn a_bad_vary_path_names_the_closest_valid_paths() {
    let stderr = refused(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.wrkers=1,2",
        "--seeds",
        "2",
    ]);
    assert!(
        stderr.contains(
            "has no field `services.server.wrkers`; did you mean `services.server.workers`"
        ),
        "{stderr}"
    );
    // A field the file leaves out is still a valid path, and a close one is suggested.
    let stderr = refused(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.capacty=1,2",
        "--seeds",
        "2",
    ]);
    assert!(
        stderr.contains("did you mean `services.server.capacity`"),
        "{stderr}"
    );
}

#[test]
fn bad_ranges_are_located_errors() {
    for (vary, expect) in [
        (
            "services.server.workers=1..4",
            "the range `1..4` has no step",
        ),
        (
            "services.server.workers=1..4:0",
            "the step of `1..4:0` must be positive",
        ),
        ("services.server.workers=1..4:-1", "must be positive"),
        ("services.server.workers=4..1:1", "is empty"),
        ("warmup=1s..x:1s", "the hi of `1s..x:1s` is not a number"),
        ("warmup=1s..2s:1parsec", "unknown unit `parsec`"),
    ] {
        let stderr = refused(&["sweep", MM1, "--vary", vary, "--seeds", "2"]);
        assert!(
            stderr.contains(&format!("error: --vary {vary}: ")),
            "{stderr}"
        );
        assert!(stderr.contains(expect), "{vary}: {stderr}");
    }
}

#[test]
fn a_bad_value_is_checked_like_the_file() {
    let stderr = refused(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=2,0",
        "--seeds",
        "2",
    ]);
    assert!(
        stderr.contains(
            "(--vary services.server.workers=0): services.server.workers: must be at least 1"
        ),
        "{stderr}"
    );
}

#[test]
fn shards_outside_one_to_n_are_refused() {
    for (shard, expect) in [
        (
            "0/2",
            "shard 0 does not exist: shards of 2 are numbered 1 to 2",
        ),
        (
            "3/2",
            "shard 3 does not exist: shards of 2 are numbered 1 to 2",
        ),
        ("1/0", "the shard count must be at least 1"),
        ("half", "expected K/N"),
    ] {
        let stderr = refused(&[
            "sweep",
            MM1,
            "--vary",
            "services.server.workers=1,2",
            "--seeds",
            "2",
            "--shard",
            shard,
        ]);
        assert!(
            stderr.contains(&format!("error: --shard `{shard}`: ")),
            "{stderr}"
        );
        assert!(stderr.contains(expect), "{shard}: {stderr}");
    }
}

#[test]
fn missing_seeds_and_bad_baselines_are_refused() {
    let stderr = refused(&["sweep", MM1, "--vary", "services.server.workers=1,2"]);
    assert!(stderr.contains("--seeds N is required"), "{stderr}");
    let stderr = refused(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=1,2",
        "--seeds",
        "2",
        "--baseline",
        "7",
    ]);
    assert!(
        stderr.contains("--baseline: point 7 does not exist: the sweep has points 0 to 1"),
        "{stderr}"
    );
    let stderr = refused(&[
        "sweep",
        MM1,
        "--vary",
        "services.server.workers=1,2",
        "--seeds",
        "2",
        "--baseline",
        "warmup=1s",
    ]);
    assert!(stderr.contains("`warmup` is not varied"), "{stderr}");
}

#[test]
fn mistakes_in_a_sweep_file_are_located() {
    let dir = scratch("bad-sweep-file");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let typo = write(
        "typo.ron",
        "Sweep(\n  scenario: \"x.ron\",\n  vary: [\"a=1\"],\n  sedes: 2,\n)\n",
    );
    let stderr = refused(&["sweep", &typo]);
    assert!(
        stderr.contains("typo.ron:4:3: Unexpected field named `sedes`"),
        "{stderr}"
    );
    let range = write(
        "range.ron",
        "Sweep(\n  scenario: \"x.ron\",\n  vary: [\"a=1..3\"],\n  seeds: 2,\n)\n",
    );
    let stderr = refused(&["sweep", &range]);
    assert!(
        stderr.contains("range.ron:3:11: vary.0 (`a=1..3`): the range `1..3` has no step"),
        "{stderr}"
    );
    let missing = write(
        "missing.ron",
        "Sweep(scenario: \"no-such.ron\", vary: [\"a=1\"], seeds: 2)",
    );
    let stderr = refused(&["sweep", &missing]);
    assert!(
        stderr.contains("no-such.ron: cannot read the scenario named in"),
        "{stderr}"
    );
}
