//! The service's autoscaler (`crate::autoscaling`): measuring its instances at each sync,
//! starting and draining instances as the controller decides, and the levels `replicas` and
//! `desired` over time.

use super::{OpsLevel, Service};
use crate::autoscaling::{recommend, Observation, Replica, ScaleMetric};
use crate::ids::InstanceId;
use sim_core::{SimDuration, SimTime};

/// What a sync decided.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scaling {
    /// Instances that start provisioning: (instance, epoch, when they serve).
    pub(crate) start: Vec<(InstanceId, u32, SimTime)>,
    /// Instances that leave the balancer now: (instance, when they stop).
    pub(crate) drain: Vec<(InstanceId, SimTime)>,
}

impl Service {
    /// When the first sync is due, with an autoscaler.
    pub(crate) fn first_sync(&self) -> Option<SimTime> {
        self.autoscaler
            .as_ref()
            .map(|a| SimTime::ZERO + a.spec.sync_period)
    }

    /// The sync period, with an autoscaler.
    pub(crate) fn sync_period(&self) -> Option<SimDuration> {
        self.autoscaler.as_ref().map(|a| a.spec.sync_period)
    }

    /// The autoscaler's sync at `now`: measures, decides, and says which instances to start
    /// and drain.
    pub(crate) fn autoscale(&mut self, now: SimTime) -> Scaling {
        let Some(a) = self.autoscaler.as_mut() else {
            return Scaling::default();
        };
        let mut o = Observation {
            serving: 0,
            provisioning: 0,
            metric_sum: 0.0,
        };
        for (i, inst) in self.instances.iter().enumerate() {
            // Busy since the last sync, or since the warm-up if that came later.
            let (used, from) = a.busy[i].area(now);
            a.busy[i].reset(now);
            match a.replicas[i] {
                // Not ready: provisioning, or down (a crash, a liveness restart).
                Replica::Provisioning { .. } => o.provisioning += 1,
                Replica::Serving if !inst.up => o.provisioning += 1,
                Replica::Serving => {
                    o.serving += 1;
                    o.metric_sum += match a.spec.metric {
                        ScaleMetric::Utilization(_) => {
                            let span = now.0.saturating_sub(from.0).max(1) as f64;
                            100.0 * used as f64 / span / inst.base_workers as f64
                        }
                        ScaleMetric::InFlight(_) => inst.in_system() as f64,
                    };
                }
                _ => {}
            }
        }
        let current = a.current();
        let min = a.min_at(now);
        let desired = match recommend(&a.spec, current, o) {
            Some(raw) => a.hpa.decide(&a.spec, now, current, raw, min),
            // No metrics: the controller computes nothing, but still holds the bounds.
            None => current.max(min).min(a.spec.max_replicas),
        };
        let mut out = Scaling::default();
        if desired > current {
            a.stats.scale_ups += 1;
            let mut wanted = desired - current;
            for (i, r) in a.replicas.iter_mut().enumerate() {
                if wanted == 0 {
                    break;
                }
                if *r == Replica::Off {
                    a.epochs += 1;
                    *r = Replica::Provisioning { epoch: a.epochs };
                    out.start
                        .push((InstanceId::new(i), a.epochs, now + a.spec.provisioning));
                    a.stats.provisioned += 1;
                    wanted -= 1;
                }
            }
        } else if desired < current {
            a.stats.scale_downs += 1;
            let mut surplus = current - desired;
            // As a ReplicaSet chooses: instances not serving yet first, then those down or
            // unhealthy, then the newest serving.
            for r in a.replicas.iter_mut().rev() {
                if surplus > 0 && matches!(r, Replica::Provisioning { .. }) {
                    *r = Replica::Off;
                    surplus -= 1;
                }
            }
            for ready in [false, true] {
                for (i, r) in a.replicas.iter_mut().enumerate().rev() {
                    let inst = &self.instances[i];
                    if surplus > 0 && *r == Replica::Serving && (inst.up && inst.healthy) == ready {
                        *r = Replica::Draining;
                        out.drain
                            .push((InstanceId::new(i), now + a.spec.termination_grace));
                        surplus -= 1;
                    }
                }
            }
        }
        for &(i, _) in &out.drain {
            self.instances[i].in_rotation = false;
        }
        if !out.drain.is_empty() {
            self.count_eligible();
            self.count_serving(now);
        }
        self.set_ops_level(now, OpsLevel::Desired, desired as f64);
        self.track_lag(now);
        out
    }

    /// Whether instances the autoscaler asked for are still provisioning, from `now`: the
    /// spells it lags, and the calls that end meanwhile, are counted.
    fn track_lag(&mut self, now: SimTime) {
        let Some(a) = self.autoscaler.as_mut() else {
            return;
        };
        let lagging = a
            .replicas
            .iter()
            .any(|r| matches!(r, Replica::Provisioning { .. }));
        if lagging == self.lagging {
            return;
        }
        self.lagging = lagging;
        if lagging {
            a.lag_since = Some(now);
        } else if let Some(since) = a.lag_since.take() {
            a.stats.under_provisioned = a.stats.under_provisioned + (now - since);
        }
    }

    /// Instance `i`'s provisioning `epoch` is over at `now`: it serves, empty and cold, unless
    /// that provisioning was cancelled (returns whether it was not).
    pub(crate) fn provisioned(&mut self, now: SimTime, i: usize, epoch: u32) -> bool {
        let Some(a) = self.autoscaler.as_mut() else {
            return false;
        };
        if a.replicas[i] != (Replica::Provisioning { epoch }) {
            return false;
        }
        a.replicas[i] = Replica::Serving;
        let cold = a.spec.cold_start.clone();
        self.instances[i].in_rotation = true;
        self.restart(now, i);
        if let Some(c) = cold {
            self.instances[i].cold_until = now + c.duration;
            self.instances[i].cold_slowdown = c.slowdown;
        }
        self.count_eligible();
        self.count_serving(now);
        true
    }

    /// Instance `i` has drained: it is stopped (the world ends what it still holds) and goes
    /// off. Returns whether it was still draining.
    pub(crate) fn terminated(&mut self, now: SimTime, i: usize) -> bool {
        let Some(a) = self.autoscaler.as_mut() else {
            return false;
        };
        if a.replicas[i] != Replica::Draining {
            return false;
        }
        a.replicas[i] = Replica::Off;
        a.stats.terminated += 1;
        self.count_serving(now);
        self.probes_retired(now, i);
        true
    }

    /// The levels `replicas` and `desired` start at the instances serving.
    pub(super) fn start_scale_levels(&mut self) {
        if let Some(a) = &self.autoscaler {
            let current = a.current() as f64;
            self.set_ops_level(SimTime::ZERO, OpsLevel::Desired, current);
            self.count_serving(SimTime::ZERO);
        }
    }

    /// The `replicas` level follows the instances serving.
    fn count_serving(&mut self, now: SimTime) {
        let Some(a) = &self.autoscaler else {
            return;
        };
        let serving = a
            .replicas
            .iter()
            .filter(|r| **r == Replica::Serving)
            .count() as f64;
        self.set_ops_level(now, OpsLevel::Replicas, serving);
        self.track_lag(now);
    }

    /// Workers over the measurement window, on average: the configured ones, or with an
    /// autoscaler those of the instances serving (the denominator of utilisation).
    pub fn mean_workers(&self, now: SimTime) -> f64 {
        match self.ops_level(OpsLevel::Replicas) {
            Some(l) => self.workers as f64 * (l.gauge.mean(now) / 1000.0),
            None => self.total_workers() as f64,
        }
    }

    /// Time since the warm-up during which instances the autoscaler asked for were
    /// provisioning, up to `now` (zero without an autoscaler).
    pub fn lag_at(&self, now: SimTime) -> SimDuration {
        self.autoscaler.as_ref().map_or(SimDuration::ZERO, |a| {
            let ongoing = a.lag_since.map_or(SimDuration::ZERO, |s| now - s);
            a.stats.under_provisioned + ongoing
        })
    }

    /// Scaling counts since the warm-up, with an autoscaler.
    pub fn scaling(&self) -> Option<&crate::autoscaling::ScaleStats> {
        self.autoscaler.as_ref().map(|a| &a.stats)
    }
}
