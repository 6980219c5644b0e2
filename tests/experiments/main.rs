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
