//! Property-style experiments: claims about distributed systems, each checked over many seeds,
//! varied settings and generated faults with `sim-experiment`. A failure prints its smallest
//! case and the `faultline run` command that reproduces it.
//!
//! `FAULTLINE_CASES=500 cargo test --release --test experiments` runs more cases;
//! `FAULTLINE_SEED=N` draws other ones.

mod conservation;
mod determinism;
mod littles_law;
mod planted_bug;
mod retry_amplification;
mod split_brain;

/// Runs a failure's printed `faultline …` command with the real binary, as a user would paste
/// it, and returns its JSON report.
fn reproduce(command: &str) -> serde_json::Value {
    let words = command
        .strip_prefix("faultline ")
        .expect("a faultline command");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("\"$FAULTLINE\" {words}"))
        .env("FAULTLINE", env!("CARGO_BIN_EXE_faultline"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
