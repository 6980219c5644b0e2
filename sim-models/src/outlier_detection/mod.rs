//! Envoy's outlier detection: a load balancer stops sending to a host whose results stand out,
//! for a while that grows each time it happens again.
//!
//! ```text
//!              5th consecutive 5xx or gateway failure (inline, as the result arrives)
//!              success rate or failure % outlier (at an interval sweep)
//!              ── and the enforcing draw passes and max_ejection_percent allows ──
//!   IN SERVICE ─────────────────────────────────────────────────────────────────▶ EJECTED
//!       ▲                                                                           │
//!       └───────────────────────────────────────────────────────────────────────────┘
//!         the first sweep at or after  ejected_at + min(base_ejection_time·multiplier, max)
//! ```
//!
//! The semantics are Envoy's `Upstream::Outlier::DetectorImpl` and `DetectorHostMonitorImpl`
//! (`source/common/upstream/outlier_detection_impl.cc`, with the ranges and defaults of
//! `api/envoy/config/cluster/v3/outlier_detection.proto`), as summarised in
//! `policy-semantics.md` §4, for the default `split_external_local_origin_errors: false` (local
//! connect failures and timeouts are reported as 503 and 504). What is left out: the
//! local-origin detectors of the split mode, `max_ejection_time_jitter` (Envoy's default 0),
//! un-ejection by a successful active health check, and the extension monitors.
//!
//! This module is pure: it neither schedules nor draws. The caller feeds it each result
//! ([`OutlierDetector::record`]), runs [`OutlierDetector::sweep`] every `interval` from the
//! start of the run (Envoy's interval timer), and supplies uniform draws from a seeded stream
//! for the "enforcing" percentages, so a run is reproducible.
//!
//! The parts, each with its tests: `spec.rs` (what a scenario writes, and Envoy's ranges),
//! `host.rs` (a result, and the counters kept per host), `detection.rs` (the success-rate and
//! failure-percentage statistics) and `detector.rs` (the ejection state machine, which uses the
//! other three).

mod detection;
mod detector;
mod host;
mod spec;

pub use detector::{EjectionCounts, OutlierDetector};
pub use host::HostResult;
pub use spec::{check, OutlierSpec};

/// What the tests of every part of the detector share.
#[cfg(test)]
mod testing {
    use sim_core::SimTime;

    pub(super) fn s(secs: u64) -> SimTime {
        SimTime(secs * 1_000_000_000)
    }

    /// Draws that always enforce (any enforcing above 0 passes).
    pub(super) const ALWAYS: f64 = 1e-9;
}
