//! Envoy's outlier detection at the service's load balancer: the results it learns, its
//! interval sweeps, and the instances it ejects from the balancer's candidates.

use super::Service;
use crate::call::Outcome;
use crate::outlier_detection::{EjectionCounts, HostResult};
use crate::policy::PolicyLevel;
use sim_core::SimTime;

impl Service {
    /// Recounts the load balancer's candidates after an instance went down, came up, was
    /// ejected or came back, or its health changed.
    pub(super) fn count_eligible(&mut self) {
        let (mut eligible, mut pool, mut members) = (0, 0, 0);
        for i in self.instances.iter().filter(|i| i.in_rotation) {
            members += 1;
            if i.up {
                pool += 1;
                if !i.ejected && i.healthy {
                    eligible += 1;
                }
            }
        }
        (self.eligible, self.panic_pool, self.members) = (eligible, pool, members);
    }

    /// Outlier detection learns how a request at instance `i` ended, as a proxy would see the
    /// answer: a success, a 5xx, or a gateway error (refused, unavailable, shed, expired).
    #[inline]
    pub(crate) fn observe(&mut self, now: SimTime, i: usize, outcome: Outcome) {
        let Some(d) = &mut self.outlier else {
            return;
        };
        let result = match outcome {
            Outcome::Completed | Outcome::Corrupted | Outcome::Fallback => HostResult::Success,
            Outcome::Rejected | Outcome::Unavailable | Outcome::Shed | Outcome::Expired => {
                HostResult::GatewayError
            }
            _ => HostResult::Error,
        };
        let u = sim_core::open01(&mut self.outlier_rng);
        if d.record(now, i, result, u) {
            self.instances[i].ejected = true;
            self.ejections_changed(now);
        }
    }

    /// Outlier detection's interval sweep at `now`; returns when the next one is due.
    pub(crate) fn outlier_sweep(&mut self, now: SimTime) -> Option<SimTime> {
        let d = self.outlier.as_mut()?;
        let rng = &mut self.outlier_rng;
        d.sweep(now, &mut || sim_core::open01(rng));
        let next = now + d.spec().interval;
        let mut changed = false;
        for (k, inst) in self.instances.iter_mut().enumerate() {
            let e = d.is_ejected(k);
            changed |= inst.ejected != e;
            inst.ejected = e;
        }
        if changed {
            self.ejections_changed(now);
        }
        Some(next)
    }

    /// When the first outlier sweep is due, if outlier detection is on.
    pub(crate) fn first_outlier_sweep(&self) -> Option<SimTime> {
        self.outlier
            .as_ref()
            .map(|d| SimTime::ZERO + d.spec().interval)
    }

    /// Ejections by reason so far.
    pub fn ejections(&self) -> Option<&EjectionCounts> {
        self.outlier.as_ref().map(|d| d.ejections())
    }

    /// Instances ejected, over time.
    pub fn ejected_level(&self) -> Option<&PolicyLevel> {
        self.ejected_level.as_ref()
    }

    fn ejections_changed(&mut self, now: SimTime) {
        self.count_eligible();
        let ejected = self.instances.iter().filter(|i| i.ejected).count() as f64;
        if let Some(l) = &mut self.ejected_level {
            let delta = ejected - l.level;
            l.add(now, delta);
        }
    }
}
