//! The service's probers (`crate::health`): sending probes to its instances, taking their
//! answers as workers are handed on, taking unhealthy instances out of the balancer's
//! candidates, and the restarts the liveness probe orders.

use super::{OpsLevel, Service};
use crate::health::{InstanceNow, ProbeKind, Sent, Verdict};
use crate::ids::InstanceId;
use sim_core::{SimDuration, SimTime};

/// What sending a probe leads to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProbeSent {
    /// When this prober sends its next probe to the instance.
    pub(crate) next: SimTime,
    /// When to judge the probe: its answer time if known, else its deadline (`None`: judged
    /// already, or not sent).
    pub(crate) judge_at: Option<SimTime>,
    /// Whether the liveness probe now orders the instance killed.
    pub(crate) kill: bool,
}

impl Service {
    /// Each prober's first probe of each instance, at a random point of its first interval.
    pub(crate) fn first_probes(&mut self) -> Vec<(SimTime, InstanceId, ProbeKind)> {
        let Some(p) = &self.prober else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for kind in [ProbeKind::Readiness, ProbeKind::Liveness] {
            let Some((interval, ..)) = p.timing(kind) else {
                continue;
            };
            for i in 0..self.instances.len() {
                let u = sim_core::open01(&mut self.health_rng);
                let offset = SimDuration::from_nanos((interval.as_nanos() as f64 * u) as u64);
                out.push((SimTime::ZERO + offset, InstanceId::new(i), kind));
            }
        }
        out
    }

    /// Prober `kind` probes instance `i` at `now`.
    pub(crate) fn probe(&mut self, now: SimTime, i: usize, kind: ProbeKind) -> ProbeSent {
        let inst = &self.instances[i];
        let at = InstanceNow {
            up: inst.up,
            black_holed: inst.black_holes > 0,
            paused_until: inst.paused_until(now),
            idle_worker: inst.busy < inst.workers && inst.queue.is_empty(),
            queued: inst.queue.len() as u64,
        };
        let allocated_only = !inst.up && !inst.in_rotation;
        let p = self.prober.as_mut().expect("probed only with a prober");
        let (interval, ..) = p.timing(kind).expect("probed only by a configured prober");
        let jitter = match (&p.readiness, kind) {
            (Some(r), ProbeKind::Readiness) if r.interval_jitter > SimDuration::ZERO => {
                let u = sim_core::open01(&mut self.health_rng);
                SimDuration::from_nanos((r.interval_jitter.as_nanos() as f64 * u) as u64)
            }
            _ => SimDuration::ZERO,
        };
        let mut sent = ProbeSent {
            next: now + interval + jitter,
            judge_at: None,
            kill: false,
        };
        if allocated_only {
            return sent; // an autoscaled instance off or provisioning: nothing to probe yet
        }
        match p.send(i, kind, now, at) {
            Sent::Judged(v) => sent.kill = self.apply(now, i, v),
            Sent::Outstanding(pending) => {
                sent.judge_at = Some(match pending.answer_at {
                    Some(t) if t <= pending.deadline => t,
                    _ => pending.deadline,
                })
            }
            Sent::Skipped => {}
        }
        sent
    }

    /// Judges instance `i`'s outstanding probe of `kind` at `now`; returns whether the liveness
    /// probe now orders it killed.
    pub(crate) fn judge_probe(&mut self, now: SimTime, i: usize, kind: ProbeKind) -> bool {
        let p = self.prober.as_mut().expect("judged only with a prober");
        match p.judge(i, kind, now) {
            Some(v) => self.apply(now, i, v),
            None => false,
        }
    }

    /// `added` workers of instance `i` are handed on at `now`: queued probes whose turn it is
    /// are answered.
    #[inline]
    pub(super) fn handed_on(&mut self, now: SimTime, i: usize, added: u64) {
        if let Some(p) = &mut self.prober {
            let v = p.handoff(i, now, added);
            if v != Verdict::Same {
                self.apply(now, i, v);
            }
        }
    }

    /// Instance `i` went down: its outstanding probes fail.
    pub(super) fn probes_reset(&mut self, now: SimTime, i: usize) {
        if let Some(p) = &mut self.prober {
            let v = p.crashed(i);
            self.apply(now, i, v);
        }
    }

    /// Instance `i` is switched off by the autoscaler: it is no longer counted unhealthy or
    /// restarting, and its probers start afresh when it is provisioned again.
    pub(super) fn probes_retired(&mut self, now: SimTime, i: usize) {
        let Some(p) = &mut self.prober else {
            return;
        };
        let h = &mut p.instances[i];
        let (was_unhealthy, was_restarting) = (!h.healthy, h.restarting);
        h.healthy = true;
        h.restarting = false;
        h.pending = [None; 2];
        h.streaks = Default::default();
        h.crash_loop = Default::default(); // a new instance starts a new back-off
        self.instances[i].healthy = true;
        if was_unhealthy {
            self.bump_ops_level(now, OpsLevel::Unhealthy, -1.0);
        }
        if was_restarting {
            self.bump_ops_level(now, OpsLevel::Restarting, -1.0);
        }
    }

    /// Applies what a probe result changes; returns whether it orders instance `i` killed.
    fn apply(&mut self, now: SimTime, i: usize, verdict: Verdict) -> bool {
        match verdict {
            Verdict::Same => false,
            Verdict::Kill => true,
            Verdict::Unhealthy | Verdict::Healthy => {
                self.instances[i].healthy = verdict == Verdict::Healthy;
                self.count_eligible();
                let delta = if verdict == Verdict::Healthy {
                    -1.0
                } else {
                    1.0
                };
                self.bump_ops_level(now, OpsLevel::Unhealthy, delta);
                false
            }
        }
    }

    /// The liveness probe kills instance `i` at `now` (the world then crashes it); returns how
    /// long until it serves again.
    pub(crate) fn killed(&mut self, now: SimTime, i: usize) -> SimDuration {
        let p = self.prober.as_mut().expect("killed only by a prober");
        let wait = p.kill(i, now);
        self.instances[i].end_pauses(now);
        self.bump_ops_level(now, OpsLevel::Restarting, 1.0);
        wait
    }

    /// Instance `i` serves again at `now`, after a restart or a crash fault: unhealthy until
    /// the health check passes it, and cold if the liveness probe says restarts are.
    pub(super) fn serving_again(&mut self, now: SimTime, i: usize) {
        let Some(p) = &mut self.prober else {
            return;
        };
        let was_healthy = p.instances[i].healthy;
        let was_restarting = p.instances[i].restarting;
        p.started(i, now);
        let healthy = p.instances[i].healthy;
        if let Some(c) = p.liveness.as_ref().and_then(|l| l.cold_start.as_ref()) {
            self.instances[i].cold_until = now + c.duration;
            self.instances[i].cold_slowdown = c.slowdown;
        }
        self.instances[i].healthy = healthy;
        if was_healthy && !healthy {
            self.bump_ops_level(now, OpsLevel::Unhealthy, 1.0);
        }
        if was_restarting {
            self.bump_ops_level(now, OpsLevel::Restarting, -1.0);
        }
    }

    /// Counts a request the balancer sent to instance `i` while it was marked unhealthy.
    #[inline]
    pub(super) fn sent_to(&mut self, i: usize) {
        if !self.instances[i].healthy {
            if let Some(p) = &mut self.prober {
                p.stats.sent_to_unhealthy += 1;
            }
        }
    }

    /// Moves the operations level `kind` by `delta`.
    pub(super) fn bump_ops_level(&mut self, now: SimTime, kind: OpsLevel, delta: f64) {
        if let Some(l) = self.ops_levels.get_mut(kind) {
            l.add(now, delta);
        }
    }

    /// Sets the operations level `kind` to `value`.
    pub(super) fn set_ops_level(&mut self, now: SimTime, kind: OpsLevel, value: f64) {
        if let Some(l) = self.ops_levels.get_mut(kind) {
            let delta = value - l.level;
            l.add(now, delta);
        }
    }

    /// Probe results and restarts since the warm-up, if the service has a prober.
    pub fn health(&self) -> Option<&crate::health::HealthStats> {
        self.prober.as_ref().map(|p| &p.stats)
    }

    /// What its operations do over time (see the field): those that are on.
    pub fn ops_levels(&self) -> &[crate::policy::PolicyLevel] {
        &self.ops_levels.levels
    }

    /// The operations level `kind`, if it is on.
    pub fn ops_level(&self, kind: OpsLevel) -> Option<&crate::policy::PolicyLevel> {
        self.ops_levels.get(kind)
    }
}
