//! Hedging: more than one attempt of the same call in flight at once, the first good answer
//! wins and the rest are abandoned. It trades extra load for a shorter tail.
//!
//! - **gRPC `hedgingPolicy`** (gRFC A6): the original at t = 0, then one more every
//!   `hedging_delay` while none has succeeded, up to `max_attempts` (2 to 5; gRPC clamps
//!   higher values to 5); a failure with a non-fatal code sends the next hedge at once, a fatal
//!   one ends the call; the first success cancels the rest. Hedges after the first are allowed
//!   only while the channel's retry throttling allows retries (`RetryBudget(Grpc(..))` after
//!   the hedge in the list).
//! - **Finagle `BackupRequestFilter`**: at most one backup, sent when the original has taken
//!   longer than the `1 − max_extra_load` quantile of recent latencies, and only if the backup
//!   budget (a Finagle `RetryBudget` with `percentCanRetry = max_extra_load` and no reserve)
//!   and the client's retry budget (a `RetryBudget(Finagle(..))` after the hedge) allow it.
//!   The quantile is that of the last 30 s of answers, refreshed every 3 s (Finagle keeps a
//!   windowed histogram and refreshes its cut-off on a timer); either answer wins, a failure
//!   waits for the other.

use super::hooks::Hooks;
use super::retry_budget::{BudgetSpec, RetryBudget};
use super::CallerPolicy;
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};
use std::collections::VecDeque;

/// A hedging policy as written in a scenario (in place of a `Retry`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum HedgeSpec {
    /// gRPC `hedgingPolicy`.
    Grpc {
        /// `maxAttempts`, the original included (2 to 5).
        max_attempts: u32,
        /// `hedgingDelay` (default 0: all attempts at once).
        #[serde(default)]
        hedging_delay: SimDuration,
        /// `nonFatalStatusCodes`: failures that send the next hedge at once instead of
        /// ending the call (default none).
        #[serde(default)]
        non_fatal: Vec<Outcome>,
    },
    /// Finagle `BackupRequestFilter`.
    Finagle {
        /// `maxExtraLoad`: the share of extra requests backups may add (0 to 1; e.g. 0.01).
        max_extra_load: f64,
        /// The shortest wait before a backup (default 1 ms).
        #[serde(default = "one_ms")]
        min_send_backup_after: SimDuration,
    },
}

fn one_ms() -> SimDuration {
    SimDuration::from_millis(1)
}

/// How long latencies are remembered, and how often the cut-off is recomputed (Finagle).
const WINDOW: SimDuration = SimDuration::from_secs(30);
const REFRESH: SimDuration = SimDuration::from_secs(3);

/// A running hedging layer.
#[derive(Clone, Debug)]
pub struct Hedge {
    spec: HedgeSpec,
    /// Finagle: recent answers' latencies (ns) with their times, oldest first.
    latencies: VecDeque<(SimTime, u64)>,
    /// Finagle: the current wait before a backup.
    cutoff: SimDuration,
    next_refresh: SimTime,
    /// Finagle: the backup budget.
    budget: Option<RetryBudget>,
    scratch: Vec<u64>,
}

impl Hedge {
    /// A layer with no history.
    pub fn new(spec: HedgeSpec) -> Self {
        let budget = match &spec {
            HedgeSpec::Finagle { max_extra_load, .. } => {
                Some(RetryBudget::new(BudgetSpec::Finagle {
                    ttl: WINDOW,
                    min_retries_per_sec: 0,
                    percent_can_retry: *max_extra_load,
                }))
            }
            HedgeSpec::Grpc { .. } => None,
        };
        let cutoff = match &spec {
            HedgeSpec::Finagle {
                min_send_backup_after,
                ..
            } => *min_send_backup_after,
            HedgeSpec::Grpc { hedging_delay, .. } => *hedging_delay,
        };
        Hedge {
            spec,
            latencies: VecDeque::new(),
            cutoff,
            next_refresh: SimTime::ZERO,
            budget,
            scratch: Vec::new(),
        }
    }

    /// Most attempts of one call, the original included.
    pub fn max_attempts(&self) -> u32 {
        match &self.spec {
            HedgeSpec::Grpc { max_attempts, .. } => (*max_attempts).clamp(1, 5),
            HedgeSpec::Finagle { .. } => 2,
        }
    }

    /// How long after an attempt the next one goes, at `now`.
    pub fn delay(&mut self, now: SimTime) -> SimDuration {
        if let HedgeSpec::Finagle {
            max_extra_load,
            min_send_backup_after,
        } = &self.spec
        {
            if now >= self.next_refresh {
                self.next_refresh = now + REFRESH;
                while self
                    .latencies
                    .front()
                    .is_some_and(|&(t, _)| t + WINDOW <= now)
                {
                    self.latencies.pop_front();
                }
                if !self.latencies.is_empty() {
                    self.scratch.clear();
                    self.scratch.extend(self.latencies.iter().map(|&(_, l)| l));
                    let q = (1.0 - max_extra_load).clamp(0.0, 1.0);
                    let k = ((q * self.scratch.len() as f64).ceil() as usize)
                        .clamp(1, self.scratch.len())
                        - 1;
                    let (_, &mut v, _) = self.scratch.select_nth_unstable(k);
                    self.cutoff = SimDuration::from_nanos(v).max(*min_send_backup_after);
                }
            }
        }
        self.cutoff
    }

    /// Whether a failure `outcome` of one attempt leaves the call waiting for the others
    /// (and, for gRPC, sends the next hedge at once) rather than ending it.
    pub fn non_fatal(&self, outcome: Outcome) -> bool {
        match &self.spec {
            HedgeSpec::Grpc { non_fatal, .. } => non_fatal.contains(&outcome),
            HedgeSpec::Finagle { .. } => true,
        }
    }

    /// Whether a non-fatal failure sends the next hedge at once (gRPC) or only waits (Finagle).
    pub fn hedges_on_failure(&self) -> bool {
        matches!(self.spec, HedgeSpec::Grpc { .. })
    }

    /// An attempt answered successfully `latency` after it was sent.
    pub fn observe(&mut self, now: SimTime, latency: SimDuration) {
        if self.budget.is_some() {
            self.latencies.push_back((now, latency.as_nanos()));
        }
    }
}

impl CallerPolicy for Hedge {
    fn hooks(&self) -> Hooks {
        Hooks::STARTED | Hooks::MAY_RETRY | Hooks::LEVEL
    }

    fn name(&self) -> &str {
        "hedge"
    }

    fn started(&mut self, now: SimTime) {
        if let Some(b) = &mut self.budget {
            b.started(now);
        }
    }

    fn may_retry(&mut self, now: SimTime, outcome: Outcome) -> bool {
        match &mut self.budget {
            Some(b) => b.may_retry(now, outcome),
            None => true,
        }
    }

    fn level(&mut self, _now: SimTime) -> Option<f64> {
        Some(self.cutoff.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_hedges_at_most_five_attempts_after_a_fixed_delay() {
        let mut h = Hedge::new(HedgeSpec::Grpc {
            max_attempts: 8,
            hedging_delay: SimDuration::from_millis(20),
            non_fatal: vec![Outcome::Unavailable],
        });
        assert_eq!(h.max_attempts(), 5);
        assert_eq!(h.delay(SimTime(123)), SimDuration::from_millis(20));
        assert!(h.non_fatal(Outcome::Unavailable));
        assert!(!h.non_fatal(Outcome::Injected));
        assert!(h.may_retry(SimTime::ZERO, Outcome::Unavailable));
    }

    #[test]
    fn finagle_sends_its_backup_after_the_recent_quantile_and_within_its_budget() {
        let mut h = Hedge::new(HedgeSpec::Finagle {
            max_extra_load: 0.1,
            min_send_backup_after: SimDuration::from_millis(1),
        });
        assert_eq!(h.max_attempts(), 2);
        // Latencies 1..=100 ms: the 90th percentile is 90 ms.
        for ms in 1..=100 {
            h.observe(SimTime(ms * 1_000_000), SimDuration::from_millis(ms));
        }
        let t = SimTime(1_000_000_000);
        assert_eq!(h.delay(t), SimDuration::from_millis(90));
        // 30 s later the window is empty and the cut-off stays where it was.
        assert_eq!(
            h.delay(SimTime(40_000_000_000)),
            SimDuration::from_millis(90)
        );
        // The backup budget: 10% of requests, no reserve.
        let now = SimTime(50_000_000_000);
        for _ in 0..100 {
            h.started(now);
        }
        let allowed = (0..100)
            .filter(|_| h.may_retry(now, Outcome::Timeout))
            .count();
        assert_eq!(allowed, 10);
    }
}
