//! Every bundled scenario with seeds 1–5: `faultline run --json` is pinned byte for byte, apart
//! from the `events` count (restructuring the engine may schedule fewer events for the same
//! outcome). A change here is a change a user can see: regenerate with
//! `FAULTLINE_BLESS=1 cargo test --release --test golden_runs` only on purpose, and say why.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Bundled scenario files (sweep files are not runnable scenarios), sorted, with the name of
/// their golden files: `queueing/mm1.ron` → `queueing-mm1`.
fn bundled() -> Vec<(PathBuf, String)> {
    let base = root().join("scenarios");
    let mut files = Vec::new();
    let mut dirs = vec![base.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("scenarios") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "ron")
                && !std::fs::read_to_string(&path)
                    .expect("read")
                    .contains("Sweep(")
            {
                let rel = path.strip_prefix(&base).expect("under scenarios/");
                let name = rel.with_extension("").to_string_lossy().replace('/', "-");
                files.push((path, name));
            }
        }
    }
    files.sort();
    files
}

/// The JSON without its `events` line.
fn without_events(json: &str) -> String {
    json.lines()
        .filter(|l| !l.trim_start().starts_with("\"events\":"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_json(file: &Path, seed: u64) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .current_dir(root())
        .args(["run", "--json", "--seed", &seed.to_string()])
        .arg(file)
        .output()
        .expect("faultline runs");
    assert!(
        out.status.success(),
        "{} seed {seed}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 JSON")
}

#[test]
fn every_bundled_scenario_reports_as_pinned_for_seeds_one_to_five() {
    let golden = root().join("tests/golden/runs");
    let bless = std::env::var_os("FAULTLINE_BLESS").is_some();
    let scenarios = bundled();
    assert!(scenarios.len() >= 13, "{scenarios:?}");
    let mut differ = Vec::new();
    for (file, name) in &scenarios {
        for seed in 1..=5 {
            let got = run_json(file, seed);
            let pinned = golden.join(format!("{name}-seed{seed}.json"));
            if bless {
                std::fs::create_dir_all(&golden).expect("tests/golden/runs");
                std::fs::write(&pinned, &got).expect("write golden");
            }
            let want = std::fs::read_to_string(&pinned)
                .unwrap_or_else(|_| panic!("{} (FAULTLINE_BLESS=1 makes it)", pinned.display()));
            if without_events(&got) != without_events(&want) {
                differ.push(format!("{name} seed {seed}"));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "these runs differ from tests/golden/runs/ beyond their event counts: {}",
        differ.join(", ")
    );
}

#[test]
fn only_the_event_count_is_left_out_of_the_comparison() {
    let json = "{\n  \"scenario\": \"x\",\n  \"events\": 12,\n  \"seed\": 1\n}";
    assert_eq!(
        without_events(json),
        "{\n  \"scenario\": \"x\",\n  \"seed\": 1\n}"
    );
}
