//! A sweep's memory, estimated before it starts: the runs in flight (one per worker) and the
//! results it gathers (every replication's metrics, read back to write the result files).
//!
//! A sweep is refused, naming `--jobs`, `--vary` and `--seeds`, when the estimate exceeds the
//! scenario's `limits.max_memory` (by default half the machine's memory) — the same limit a
//! single run is held to. The constants are measured like the engine's (`tests/memory_estimate.rs`
//! holds the estimate against a counting allocator).

use crate::error::MemoryError;
use sim_core::ByteSize;
use sim_models::{MemoryEstimate, MemoryPart, Scenario};

/// One metric of one replication held in memory: its `BTreeMap` entry (key, value and the
/// node's share), plus the key's own bytes.
const METRIC_BYTES: u64 = 96;
/// One replication beyond its metrics: its seed, stop reason and map.
const REPLICATION_BYTES: u64 = 96;
/// One metric of one point in the result files' statistics: the estimate and the paired
/// difference, and their text in `summary.json` and the CSV files while they are written.
const STATISTIC_BYTES: u64 = 720;
/// A point in flight or listed: its index, slot and assignments.
const POINT_BYTES: u64 = 256;

/// What sizes a sweep's memory, measured on its scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSizes {
    /// The most memory one run needs (the engine's estimate), over the points checked.
    pub run_bytes: u64,
    /// Metrics one run reports (a run stopped at its first event is probed, and the headline
    /// figures it cannot define are added).
    pub metrics: u64,
    /// The bytes of their names.
    pub name_bytes: u64,
    /// The memory the sweep may use: the scenario's `limits.max_memory`, or half the machine's.
    pub limit: ByteSize,
}

impl RunSizes {
    /// Probes `scenario`: its memory estimate, and the metrics of a run stopped at once (the
    /// metrics a report has depend on its components, not on how long it ran).
    pub fn probe(scenario: &Scenario) -> Result<RunSizes, MemoryError> {
        let mut short = scenario.clone();
        short.limits.max_events = Some(1);
        short.limits.wall_clock = None;
        let result = sim_models::run(&short, scenario.seed)
            .map_err(|source| MemoryError::CannotRun { source })?;
        let metrics = crate::metrics(&result.report);
        let missing = crate::metrics::HEADLINE
            .iter()
            .filter(|h| !metrics.contains_key(**h))
            .map(|h| h.len() as u64);
        let (extra, extra_bytes) = missing.fold((0, 0), |(n, b), len| (n + 1, b + len));
        Ok(RunSizes {
            run_bytes: scenario.memory_estimate().total,
            metrics: metrics.len() as u64 + extra,
            name_bytes: metrics.keys().map(|k| k.len() as u64).sum::<u64>() + extra_bytes,
            limit: scenario.memory_limit(),
        })
    }

    /// The sizes of a finished point's replications (for `merge`, which runs nothing), with
    /// the default memory limit.
    pub fn of_record(record: &crate::PointRecord) -> RunSizes {
        let first = record.replications.first();
        RunSizes {
            run_bytes: 0,
            metrics: first.map_or(0, |r| r.metrics.len() as u64),
            name_bytes: first.map_or(0, |r| r.metrics.keys().map(|k| k.len() as u64).sum()),
            limit: sim_models::memory::default_max_memory(),
        }
    }

    /// Takes a run needing `bytes` into account.
    pub fn widen(&mut self, bytes: u64) {
        self.run_bytes = self.run_bytes.max(bytes);
    }

    /// One replication's metrics in memory.
    fn replication_bytes(&self) -> u64 {
        REPLICATION_BYTES + self.metrics * METRIC_BYTES + self.name_bytes
    }
}

/// What a sweep of `points` points × `seeds` replications on `jobs` workers needs at most;
/// `results` when it also reads every point back to write the result files (not a shard).
pub fn estimate(
    sizes: &RunSizes,
    points: u64,
    seeds: u64,
    jobs: u64,
    results: bool,
) -> MemoryEstimate {
    let mut parts = vec![MemoryPart {
        path: "--jobs".into(),
        bytes: jobs.saturating_mul(sizes.run_bytes),
        what: format!("{jobs} runs at once × {} each", ByteSize(sizes.run_bytes)),
    }];
    if results {
        let per_point = seeds
            .saturating_mul(sizes.replication_bytes())
            .saturating_add(sizes.metrics.saturating_mul(STATISTIC_BYTES))
            .saturating_add(POINT_BYTES);
        parts.push(MemoryPart {
            path: "--vary × --seeds".into(),
            bytes: points.saturating_mul(per_point),
            what: format!(
                "{points} points × {seeds} replications × {} metrics, read back for the result files",
                sizes.metrics
            ),
        });
    } else {
        // A shard keeps only the points in flight, and lists the ones it owns.
        parts.push(MemoryPart {
            path: "--vary".into(),
            bytes: points.saturating_mul(POINT_BYTES / 4).saturating_add(
                jobs.saturating_mul(seeds)
                    .saturating_mul(sizes.replication_bytes()),
            ),
            what: format!("{points} points listed, {jobs} in flight × {seeds} replications"),
        });
    }
    parts.push(MemoryPart {
        path: "--seeds".into(),
        bytes: seeds.saturating_mul(8 * 4),
        what: format!("{seeds} seeds in the manifest"),
    });
    parts.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    MemoryEstimate {
        total: parts.iter().fold(0u64, |t, p| t.saturating_add(p.bytes)),
        parts,
    }
}

/// Refuses a sweep whose estimate exceeds `limit`, naming what to lower.
pub fn check(estimate: &MemoryEstimate, limit: ByteSize) -> Result<(), MemoryError> {
    if estimate.total <= limit.0 {
        return Ok(());
    }
    Err(MemoryError::Exceeded {
        estimate: estimate.clone(),
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes() -> RunSizes {
        RunSizes {
            run_bytes: 1 << 20,
            metrics: 100,
            name_bytes: 2_000,
            limit: ByteSize(1 << 30),
        }
    }

    #[test]
    fn results_grow_with_points_times_seeds() {
        let small = estimate(&sizes(), 10, 5, 2, true);
        let big = estimate(&sizes(), 1_000, 5, 2, true);
        let part = |e: &MemoryEstimate| {
            e.parts
                .iter()
                .find(|p| p.path == "--vary × --seeds")
                .unwrap()
                .bytes
        };
        assert_eq!(part(&big), 100 * part(&small));
        assert!(big.total > small.total);
    }

    #[test]
    fn a_million_points_of_a_thousand_seeds_is_refused_naming_the_flags() {
        let e = estimate(&sizes(), 1_000_000, 1_000, 2, true);
        let err = check(&e, ByteSize(8 << 30)).unwrap_err().to_string();
        assert!(err.contains("--vary × --seeds"), "{err}");
        assert!(err.contains("1000000 points × 1000 replications"), "{err}");
        assert!(err.contains("lower --jobs, --seeds"), "{err}");
    }

    #[test]
    fn workers_multiply_the_largest_run() {
        let e = estimate(&sizes(), 1, 1, 64, false);
        assert_eq!(e.parts[0].path, "--jobs");
        assert_eq!(e.parts[0].bytes, 64 << 20);
        assert!(check(&e, ByteSize(32 << 20)).is_err());
        assert!(check(&e, ByteSize(1 << 30)).is_ok());
    }

    #[test]
    fn nothing_overflows_at_the_largest_counts() {
        let e = estimate(&sizes(), u64::MAX, u64::MAX, u64::MAX, true);
        assert_eq!(e.total, u64::MAX);
    }
}
