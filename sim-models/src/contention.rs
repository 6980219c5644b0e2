//! Contention: work that takes longer the more requests an instance serves at once — lock
//! and cache-line contention, thrashing — which a fixed pool of workers alone cannot express.
//!
//! The concurrency `N` is the number of the instance's workers busy when a piece of work
//! starts, itself included; the work's length is fixed then (it does not change if `N` changes
//! while it runs). With `N` steady (a closed loop that keeps every worker busy) this is exact:
//! throughput follows the model's formula.

use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

/// How a service's work grows with its concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ContentionSpec {
    /// Brooker's model: each piece of work takes `per_request` longer per request in service,
    /// itself included (his "1 s + 10 ms × concurrency": `Linear(per_request: "10ms")` on 1 s
    /// of work).
    Linear {
        /// The time added per request in service.
        per_request: SimDuration,
    },
    /// Gunther's Universal Scalability Law: work takes `1 + σ(N−1) + κN(N−1)` times as long,
    /// so throughput at concurrency `N` is `N / (S·(1 + σ(N−1) + κN(N−1)))`, which peaks at
    /// `N* = √((1−σ)/κ)`.
    Usl {
        /// σ, contention (serialisation), in [0, 1].
        sigma: f64,
        /// κ, coherency (crosstalk), ≥ 0.
        kappa: f64,
    },
    /// Processor sharing: every request in service progresses at once, each at
    /// `min(1, cores / n)` of full speed with `n` in service (a time-sliced CPU). Its work
    /// lengths change while it runs; `workers` still bounds how many are in service.
    ProcessorSharing {
        /// The cores shared (default 1).
        #[serde(default = "one_core")]
        cores: u32,
    },
}

fn one_core() -> u32 {
    1
}

impl ContentionSpec {
    /// The length of work `work` started at concurrency `n` (itself included).
    #[inline]
    pub fn apply(&self, work: SimDuration, n: u32) -> SimDuration {
        let n = n.max(1) as f64;
        match *self {
            ContentionSpec::Linear { per_request } => SimDuration::from_nanos_f64(
                work.as_nanos() as f64 + per_request.as_nanos() as f64 * n,
            ),
            ContentionSpec::Usl { sigma, kappa } => SimDuration::from_nanos_f64(
                work.as_nanos() as f64 * (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0)),
            ),
            // Shared as it runs (`sharing.rs`), not fixed at the start.
            ContentionSpec::ProcessorSharing { .. } => work,
        }
    }

    /// The concurrency at which throughput peaks, for the USL (`None` for a model without a
    /// peak).
    pub fn peak(&self) -> Option<f64> {
        match *self {
            ContentionSpec::Usl { sigma, kappa } if kappa > 0.0 => {
                Some(((1.0 - sigma) / kappa).sqrt())
            }
            _ => None,
        }
    }
}

/// Range checks: `(field, message)` pairs relative to `contention`, empty if it is valid.
pub fn check_contention(spec: &ContentionSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match *spec {
        ContentionSpec::Linear { per_request } => {
            if per_request == SimDuration::ZERO {
                out.push((
                    "per_request".into(),
                    "must be longer than zero (leave contention out for none)".into(),
                ));
            }
        }
        ContentionSpec::ProcessorSharing { cores } => {
            if cores == 0 {
                out.push(("cores".into(), "must be at least 1".into()));
            }
        }
        ContentionSpec::Usl { sigma, kappa } => {
            if !(sigma.is_finite() && (0.0..=1.0).contains(&sigma)) {
                out.push((
                    "sigma".into(),
                    format!("the USL's contention σ is in [0, 1], got {sigma}"),
                ));
            }
            if !(kappa.is_finite() && (0.0..=1.0).contains(&kappa)) {
                out.push((
                    "kappa".into(),
                    format!("the USL's coherency κ is in [0, 1], got {kappa}"),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_adds_its_time_per_request_in_service() {
        let c = ContentionSpec::Linear {
            per_request: SimDuration::from_millis(10),
        };
        assert_eq!(
            c.apply(SimDuration::from_secs(1), 50),
            SimDuration::from_millis(1500)
        );
        assert_eq!(c.peak(), None);
    }

    #[test]
    fn usl_throughput_peaks_where_gunthers_formula_says() {
        let c = ContentionSpec::Usl {
            sigma: 0.05,
            kappa: 0.002,
        };
        let s = SimDuration::from_millis(100);
        let x = |n: u32| n as f64 / c.apply(s, n).as_secs_f64();
        let best = (1..100).max_by(|&a, &b| x(a).total_cmp(&x(b))).unwrap();
        let peak = c.peak().unwrap();
        assert!((peak - 21.79).abs() < 0.01, "{peak}");
        assert!(best == peak.floor() as u32 || best == peak.ceil() as u32);
        assert_eq!(c.apply(s, 1), s, "one request alone is not slowed");
    }

    #[test]
    fn out_of_range_parameters_are_refused() {
        let bad = ContentionSpec::Usl {
            sigma: 1.5,
            kappa: -0.1,
        };
        let fields: Vec<String> = check_contention(&bad).into_iter().map(|p| p.0).collect();
        assert_eq!(fields, ["sigma", "kappa"]);
    }
}
