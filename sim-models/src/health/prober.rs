//! The probers' state for one service: each instance's outstanding probes, its runs of
//! consecutive results against the thresholds, whether it is ready, and its CrashLoopBackOff.
//! Plain data driven by the service (`service/health.rs`); nothing here schedules events.

use super::spec::{HealthCheckSpec, LivenessSpec, ProbeMode, RestartBackoffSpec};
use sim_core::{SimDuration, SimTime};

/// Which prober a probe belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// The load balancer's health check (readiness).
    Readiness = 0,
    /// The liveness probe that restarts instances.
    Liveness = 1,
}

/// Consecutive results of one prober at one instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Streak {
    /// Successes in a row (0 after a failure).
    pub successes: u32,
    /// Failures in a row (0 after a success).
    pub failures: u32,
}

impl Streak {
    /// Counts one result.
    pub fn record(&mut self, ok: bool) {
        if ok {
            self.successes += 1;
            self.failures = 0;
        } else {
            self.failures += 1;
            self.successes = 0;
        }
    }
}

/// Kubernetes' CrashLoopBackOff for one instance: the first restart is immediate, each next
/// one in the same loop waits `initial`, then twice that, up to `max`; an instance that ran
/// `reset_after` before failing starts a new loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashLoop {
    /// Restarts in the current loop.
    pub restarts: u32,
}

impl CrashLoop {
    /// The wait before restarting an instance that failed after running for `ran`.
    pub fn next_wait(&mut self, ran: SimDuration, spec: &RestartBackoffSpec) -> SimDuration {
        if ran >= spec.reset_after {
            self.restarts = 0;
        }
        self.restarts += 1;
        if self.restarts == 1 {
            return SimDuration::ZERO;
        }
        let doublings = (self.restarts - 2).min(62);
        let wait = spec.initial.as_nanos().saturating_mul(1u64 << doublings);
        SimDuration::from_nanos(wait.min(spec.max.as_nanos()))
    }
}

/// A probe sent and not yet judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// When it fails if not answered.
    pub deadline: SimTime,
    /// When it is answered, if that is known already (a paused instance answers when it
    /// thaws).
    pub answer_at: Option<SimTime>,
    /// The worker hand-off that answers it (a queued probe), `u64::MAX` if none will.
    pub turn: u64,
}

/// What the instance is doing when a probe reaches it.
#[derive(Clone, Copy, Debug)]
pub struct InstanceNow {
    /// It is running.
    pub up: bool,
    /// It swallows requests without answering.
    pub black_holed: bool,
    /// It is frozen until then.
    pub paused_until: Option<SimTime>,
    /// It has an idle worker and nothing queued.
    pub idle_worker: bool,
    /// Calls queued ahead of a new arrival.
    pub queued: u64,
}

/// How a probe went as soon as it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Answered at once (a success), or refused because the instance is down (a failure):
    /// counted, with what it changes.
    Judged(Verdict),
    /// Outstanding: judged at its deadline, or earlier at `answer_at` if that is set.
    Outstanding(Pending),
    /// Not sent: the previous probe of this kind is still outstanding, or the prober is idle
    /// (an instance restarting has no process to probe; liveness waits out its initial delay).
    Skipped,
}

/// A change a result makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing changes.
    Same,
    /// The health check marks the instance unhealthy.
    Unhealthy,
    /// The health check marks it healthy again.
    Healthy,
    /// The liveness probe has failed enough: kill and restart it.
    Kill,
}

/// One instance's probers.
#[derive(Clone, Debug, Default)]
pub struct InstanceHealth {
    /// Whether the health check counts it healthy.
    pub healthy: bool,
    /// Whether it is down for a restart the liveness probe ordered.
    pub restarting: bool,
    /// When it last started serving.
    pub serving_since: SimTime,
    /// Each prober's run of results.
    pub streaks: [Streak; 2],
    /// Each prober's outstanding probe.
    pub pending: [Option<Pending>; 2],
    /// Its CrashLoopBackOff.
    pub crash_loop: CrashLoop,
    /// Workers handed on so far (freed, or added back): queued probes count their turn in
    /// these.
    pub handoffs: u64,
}

/// Probe results and restarts counted since the warm-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HealthStats {
    /// Probes answered in time, by kind.
    pub ok: [u64; 2],
    /// Probes failed (refused, or not answered in time), by kind.
    pub failed: [u64; 2],
    /// Restarts the liveness probe ordered.
    pub restarts: u64,
    /// Requests the balancer sent to an instance marked unhealthy (panic mode).
    pub sent_to_unhealthy: u64,
}

/// The probers of one service.
#[derive(Clone, Debug)]
pub struct Prober {
    /// The health check at the balancer, if any.
    pub readiness: Option<HealthCheckSpec>,
    /// The liveness probe, if any.
    pub liveness: Option<LivenessSpec>,
    /// Per instance.
    pub instances: Vec<InstanceHealth>,
    /// Since the warm-up.
    pub stats: HealthStats,
}

impl Prober {
    /// Probers for `n` instances, all healthy and serving from time zero.
    pub fn new(
        readiness: Option<HealthCheckSpec>,
        liveness: Option<LivenessSpec>,
        n: usize,
    ) -> Self {
        Prober {
            readiness,
            liveness,
            instances: vec![
                InstanceHealth {
                    healthy: true,
                    ..InstanceHealth::default()
                };
                n
            ],
            stats: HealthStats::default(),
        }
    }

    /// The interval, timeout and mode of a prober.
    pub fn timing(&self, kind: ProbeKind) -> Option<(SimDuration, SimDuration, ProbeMode)> {
        match kind {
            ProbeKind::Readiness => self
                .readiness
                .as_ref()
                .map(|h| (h.interval, h.timeout, h.probe)),
            ProbeKind::Liveness => self
                .liveness
                .as_ref()
                .map(|l| (l.period, l.timeout, l.probe)),
        }
    }

    /// Instance `i`'s prober `kind` sends a probe at `now` to an instance in state `at`.
    pub fn send(&mut self, i: usize, kind: ProbeKind, now: SimTime, at: InstanceNow) -> Sent {
        let Some((_, timeout, mode)) = self.timing(kind) else {
            return Sent::Skipped;
        };
        let h = &self.instances[i];
        if h.pending[kind as usize].is_some() {
            return Sent::Skipped;
        }
        if kind == ProbeKind::Liveness {
            // Liveness probes a running process: none while it restarts, none before its
            // initial delay; a crash fault (the machine gone) is not the kubelet's to restart.
            let delay = self
                .liveness
                .as_ref()
                .map_or(SimDuration::ZERO, |l| l.initial_delay);
            if h.restarting || !at.up || now < h.serving_since + delay {
                return Sent::Skipped;
            }
        }
        if !at.up {
            return Sent::Judged(self.result(i, kind, false));
        }
        let deadline = now + timeout;
        let mut pending = Pending {
            deadline,
            answer_at: None,
            turn: u64::MAX,
        };
        if at.black_holed {
            // Accepted and never answered.
        } else if mode == ProbeMode::Priority || at.idle_worker {
            match at.paused_until {
                None => return Sent::Judged(self.result(i, kind, true)),
                Some(thaw) => pending.answer_at = Some(thaw),
            }
        } else {
            pending.turn = self.instances[i].handoffs + at.queued + 1;
        }
        self.instances[i].pending[kind as usize] = Some(pending);
        Sent::Outstanding(pending)
    }

    /// A worker of instance `i` is handed on at `now`: the queued probes whose turn it is are
    /// answered. Returns the health check's verdict (liveness successes change nothing).
    #[inline]
    pub fn handoff(&mut self, i: usize, now: SimTime, added: u64) -> Verdict {
        let h = &mut self.instances[i];
        h.handoffs += added;
        let mut verdict = Verdict::Same;
        for kind in [ProbeKind::Readiness, ProbeKind::Liveness] {
            let k = kind as usize;
            let h = &mut self.instances[i];
            if h.pending[k].is_some_and(|p| p.turn <= h.handoffs && now <= p.deadline) {
                h.pending[k] = None;
                let v = self.result(i, kind, true);
                if kind == ProbeKind::Readiness {
                    verdict = v;
                }
            }
        }
        verdict
    }

    /// Judges instance `i`'s outstanding probe of `kind` at `now`: answered if its answer time
    /// has come, failed if its deadline has passed; `None` if it is still out (or gone).
    pub fn judge(&mut self, i: usize, kind: ProbeKind, now: SimTime) -> Option<Verdict> {
        let p = self.instances[i].pending[kind as usize]?;
        let ok = if p.answer_at.is_some_and(|t| t <= now && t <= p.deadline) {
            true
        } else if p.deadline <= now {
            false
        } else {
            return None;
        };
        self.instances[i].pending[kind as usize] = None;
        Some(self.result(i, kind, ok))
    }

    /// Instance `i` went down: its outstanding probes fail (the connection resets).
    pub fn crashed(&mut self, i: usize) -> Verdict {
        let mut verdict = Verdict::Same;
        for kind in [ProbeKind::Readiness, ProbeKind::Liveness] {
            if self.instances[i].pending[kind as usize].take().is_some() {
                let v = self.result(i, kind, false);
                if kind == ProbeKind::Readiness {
                    verdict = v;
                }
            }
        }
        verdict
    }

    /// Counts a probe result of `kind` at instance `i` and says what it changes.
    pub fn result(&mut self, i: usize, kind: ProbeKind, ok: bool) -> Verdict {
        let k = kind as usize;
        if ok {
            self.stats.ok[k] += 1;
        } else {
            self.stats.failed[k] += 1;
        }
        let h = &mut self.instances[i];
        h.streaks[k].record(ok);
        let s = h.streaks[k];
        match kind {
            ProbeKind::Readiness => {
                let Some(r) = &self.readiness else {
                    return Verdict::Same;
                };
                if h.healthy && s.failures >= r.unhealthy_threshold {
                    h.healthy = false;
                    Verdict::Unhealthy
                } else if !h.healthy && s.successes >= r.healthy_threshold {
                    h.healthy = true;
                    Verdict::Healthy
                } else {
                    Verdict::Same
                }
            }
            ProbeKind::Liveness => {
                let Some(l) = &self.liveness else {
                    return Verdict::Same;
                };
                if !h.restarting && s.failures >= l.failure_threshold {
                    Verdict::Kill
                } else {
                    Verdict::Same
                }
            }
        }
    }

    /// The liveness probe kills instance `i` at `now`: returns how long until it serves again
    /// (the CrashLoopBackOff wait, then its start-up).
    pub fn kill(&mut self, i: usize, now: SimTime) -> SimDuration {
        let l = self.liveness.as_ref().expect("only liveness kills");
        let h = &mut self.instances[i];
        let ran = now - h.serving_since;
        let wait = h.crash_loop.next_wait(ran, &l.restart_backoff);
        h.restarting = true;
        h.streaks[ProbeKind::Liveness as usize] = Streak::default();
        self.stats.restarts += 1;
        wait + l.startup
    }

    /// Instance `i` starts serving again at `now` (after a restart, or a crash fault ending):
    /// it is unhealthy until the health check passes it, and its liveness probe starts over.
    pub fn started(&mut self, i: usize, now: SimTime) {
        let has_readiness = self.readiness.is_some();
        let h = &mut self.instances[i];
        h.restarting = false;
        h.serving_since = now;
        h.streaks = [Streak::default(); 2];
        h.pending = [None; 2];
        if has_readiness {
            h.healthy = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }
    fn at(s: u64) -> SimTime {
        SimTime::ZERO + secs(s)
    }
    fn idle() -> InstanceNow {
        InstanceNow {
            up: true,
            black_holed: false,
            paused_until: None,
            idle_worker: true,
            queued: 0,
        }
    }

    #[test]
    fn crash_loop_back_off_restarts_at_once_then_waits_10_20_40_up_to_300_seconds() {
        let spec = RestartBackoffSpec::default();
        let mut c = CrashLoop::default();
        let waits: Vec<u64> = (0..8)
            .map(|_| c.next_wait(secs(30), &spec).as_nanos() / 1_000_000_000)
            .collect();
        assert_eq!(waits, [0, 10, 20, 40, 80, 160, 300, 300]);
        // Ten minutes of running well starts a new loop.
        assert_eq!(c.next_wait(secs(600), &spec), SimDuration::ZERO);
        assert_eq!(c.next_wait(secs(599), &spec), secs(10));
    }

    #[test]
    fn the_health_check_flips_on_exactly_the_thresholds() {
        let spec: HealthCheckSpec =
            ron::from_str("(unhealthy_threshold: 3, healthy_threshold: 2)").unwrap();
        let mut p = Prober::new(Some(spec), None, 1);
        let r = ProbeKind::Readiness;
        assert_eq!(p.result(0, r, false), Verdict::Same);
        assert_eq!(p.result(0, r, false), Verdict::Same);
        assert_eq!(
            p.result(0, r, true),
            Verdict::Same,
            "a success breaks the run"
        );
        assert_eq!(p.result(0, r, false), Verdict::Same);
        assert_eq!(p.result(0, r, false), Verdict::Same);
        assert_eq!(
            p.result(0, r, false),
            Verdict::Unhealthy,
            "the third in a row"
        );
        assert_eq!(p.result(0, r, false), Verdict::Same, "already unhealthy");
        assert_eq!(p.result(0, r, true), Verdict::Same);
        assert_eq!(p.result(0, r, false), Verdict::Same);
        assert_eq!(p.result(0, r, true), Verdict::Same);
        assert_eq!(
            p.result(0, r, true),
            Verdict::Healthy,
            "the second in a row"
        );
        assert_eq!(p.stats.ok[0], 4);
        assert_eq!(p.stats.failed[0], 7);
    }

    #[test]
    fn liveness_kills_on_the_threshold_and_starts_over_after_the_restart() {
        let spec: LivenessSpec = ron::from_str(r#"(failure_threshold: 2, startup: "5s")"#).unwrap();
        let mut p = Prober::new(None, Some(spec), 1);
        let l = ProbeKind::Liveness;
        assert_eq!(p.result(0, l, false), Verdict::Same);
        assert_eq!(p.result(0, l, false), Verdict::Kill);
        assert_eq!(
            p.kill(0, at(100)),
            secs(5),
            "first restart: no wait, just start-up"
        );
        assert_eq!(
            p.send(0, l, at(101), idle()),
            Sent::Skipped,
            "nothing to probe while it restarts"
        );
        p.started(0, at(105));
        assert_eq!(p.result(0, l, false), Verdict::Same);
        assert_eq!(p.result(0, l, false), Verdict::Kill);
        assert_eq!(
            p.kill(0, at(120)),
            secs(15),
            "second in the loop: 10 s, then start-up"
        );
        assert_eq!(p.stats.restarts, 2);
    }

    #[test]
    fn a_queued_probe_is_answered_when_the_calls_ahead_of_it_have_had_their_workers() {
        let spec: HealthCheckSpec = ron::from_str(r#"(timeout: "2s")"#).unwrap();
        let mut p = Prober::new(Some(spec), None, 1);
        let busy = InstanceNow {
            idle_worker: false,
            queued: 2,
            ..idle()
        };
        let r = ProbeKind::Readiness;
        assert!(matches!(p.send(0, r, at(10), busy), Sent::Outstanding(_)));
        assert_eq!(p.send(0, r, at(10), busy), Sent::Skipped, "one at a time");
        p.handoff(0, at(11), 1);
        p.handoff(0, at(11), 1);
        assert!(
            p.instances[0].pending[0].is_some(),
            "two calls were ahead of it"
        );
        p.handoff(0, at(11), 1);
        assert!(p.instances[0].pending[0].is_none());
        assert_eq!(p.stats.ok[0], 1);
        // Too late: the deadline judges it failed, and a hand-off after that is not an answer.
        assert!(matches!(p.send(0, r, at(20), busy), Sent::Outstanding(_)));
        assert_eq!(p.judge(0, r, at(22)), Some(Verdict::Same));
        assert_eq!(p.stats.failed[0], 1);
    }

    #[test]
    fn a_priority_probe_ignores_the_queue_but_not_a_pause_or_a_black_hole() {
        let spec: HealthCheckSpec = ron::from_str("(probe: Priority)").unwrap();
        let mut p = Prober::new(Some(spec), None, 1);
        let r = ProbeKind::Readiness;
        let swamped = InstanceNow {
            idle_worker: false,
            queued: 1000,
            ..idle()
        };
        assert_eq!(p.send(0, r, at(1), swamped), Sent::Judged(Verdict::Same));
        assert_eq!(p.stats.ok[0], 1);
        let paused = InstanceNow {
            paused_until: Some(at(5) + SimDuration::from_millis(500)),
            ..swamped
        };
        assert!(matches!(p.send(0, r, at(5), paused), Sent::Outstanding(_)));
        assert_eq!(
            p.judge(0, r, at(5) + SimDuration::from_millis(500)),
            Some(Verdict::Same)
        );
        assert_eq!(
            p.stats.ok[0], 2,
            "answered when it thawed, within the 1 s timeout"
        );
        let holed = InstanceNow {
            black_holed: true,
            ..swamped
        };
        assert!(matches!(p.send(0, r, at(9), holed), Sent::Outstanding(_)));
        assert_eq!(p.judge(0, r, at(10)), Some(Verdict::Same));
        assert_eq!(p.stats.failed[0], 1);
        let down = InstanceNow {
            up: false,
            ..swamped
        };
        assert_eq!(p.send(0, r, at(20), down), Sent::Judged(Verdict::Same));
        assert_eq!(p.stats.failed[0], 2, "refused: a failure at once");
    }
}
