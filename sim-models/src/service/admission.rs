//! An arrival at an instance: the balancer picks the instance; it is refused (down, full,
//! expired, an injected failure, a black hole), shed by a server policy, or admitted; an
//! admitted request takes a free worker or joins the queue, and a freed worker takes the next
//! queued call that the server policies do not drop.

use super::Service;
use crate::call::Origin;
use crate::fault::FailureMode;
use crate::ids::CallId;
use crate::policy::{ServerArrival, ShedReason};
use crate::wait_queue::Waiting;
use sim_core::SimTime;

/// What happens to a request that reaches an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// It is accepted; `doomed` if an injected failure will fail it when it finishes.
    Admitted {
        /// Whether an injected (slow) failure fails it at the end.
        doomed: bool,
    },
    /// The instance is down: the connection is refused.
    Down,
    /// The instance is at capacity.
    Rejected,
    /// Its deadline has passed and the service drops expired work.
    Expired,
    /// An injected failure fails it at once.
    Injected,
    /// The instance swallows it and never answers.
    BlackHoled,
    /// A server policy sheds it.
    Shed,
}

impl Service {
    /// The load balancer's choice of instance for a new request, or `None` when none is up.
    #[inline]
    pub(crate) fn pick(&mut self) -> Option<u32> {
        // Envoy's panic mode balances over every instance up: with a health check, when fewer
        // than its threshold are healthy; otherwise when outlier detection has ejected them all.
        let panic = match self.panic_threshold {
            None => self.eligible == 0,
            Some(t) => (self.eligible as f64) * 100.0 < t * self.members as f64,
        };
        let count = if panic {
            self.panic_pool
        } else {
            self.eligible
        };
        let i = self.balancer.pick(&self.instances, count, panic)?;
        if panic {
            self.sent_to(i);
        }
        Some(i as u32)
    }

    /// A request with `deadline`, from `origin`, reaches instance `i` at `now`.
    #[inline]
    pub(crate) fn admit(
        &mut self,
        now: SimTime,
        i: usize,
        deadline: SimTime,
        origin: Origin,
    ) -> Admission {
        self.stats.arrivals += 1;
        self.series.arrivals.add(now, 1);
        let inst = &mut self.instances[i];
        if !inst.up {
            return Admission::Down;
        }
        inst.stats.arrivals += 1;
        let doomed = match self.injected_failure() {
            Some(FailureMode::Fast) => return Admission::Injected,
            Some(FailureMode::Slow) => true,
            None => false,
        };
        let inst = &self.instances[i];
        if inst.black_holes > 0 {
            self.stats.black_holed += 1;
            return Admission::BlackHoled;
        }
        if inst.in_system() >= inst.capacity && !self.make_room(now, i, origin) {
            return Admission::Rejected;
        }
        if self.deadlines.drop_expired && deadline <= now {
            self.stats.dropped_expired += 1;
            return Admission::Expired;
        }
        if self.has_policies {
            let inst = &mut self.instances[i];
            let arrival = ServerArrival {
                queued: inst.queue.len(),
                in_system: inst.in_system(),
                busy: inst.busy,
                workers: inst.workers,
                criticality: origin.criticality,
                tenant: origin.tenant,
            };
            let refused = inst
                .policies
                .iter_mut()
                .find_map(|l| (!l.arrive(now, &arrival, &mut self.server_rng)).then(|| l.reason()));
            if let Some(reason) = refused {
                self.count_shed(now, reason);
                return Admission::Shed;
            }
        }
        Admission::Admitted { doomed }
    }

    /// A full instance `i` makes room for an arrival of a higher class than some queued
    /// request, which it sheds; returns whether it did.
    fn make_room(&mut self, now: SimTime, i: usize, origin: Origin) -> bool {
        let Some(w) = self.instances[i]
            .queue
            .evict_below(origin.criticality as u8)
        else {
            return false;
        };
        self.set_queued(now, -1);
        self.shed_call(now, w.call, ShedReason::Criticality);
        true
    }

    /// Counts a request shed for `reason`.
    fn count_shed(&mut self, now: SimTime, reason: ShedReason) {
        self.stats.shed[reason as usize] += 1;
        self.series.shed[reason as usize].add(now, 1);
    }

    /// Queued call `call` is shed for `reason`: the world answers it.
    fn shed_call(&mut self, now: SimTime, call: CallId, reason: ShedReason) {
        self.count_shed(now, reason);
        self.shed.push(call);
    }

    /// `call` of priority `class` at instance `i` wants a worker at `now`: takes a free one
    /// (true) or joins the queue (false).
    #[inline]
    pub(crate) fn acquire(&mut self, now: SimTime, i: usize, call: CallId, class: u8) -> bool {
        let inst = &mut self.instances[i];
        if inst.busy < inst.workers {
            self.set_busy(now, i, 1);
            self.stats.wait.record(0);
            return true;
        }
        let queued = inst.queue.len();
        let expires = inst
            .policies
            .iter_mut()
            .filter_map(|l| l.enqueue(now, queued))
            .min()
            .map_or(SimTime::MAX, |t| now + t);
        inst.queue.push(Waiting {
            call,
            since: now,
            expires,
            class,
        });
        self.set_queued(now, 1);
        false
    }

    /// The next queued call a worker of instance `i` takes at `now`, after the server
    /// policies have dropped those not worth serving; `None` if none is left.
    #[inline]
    pub(super) fn take_next(&mut self, now: SimTime, i: usize) -> Option<CallId> {
        if !self.has_policies {
            let w = self.instances[i].queue.pop(false)?;
            self.set_queued(now, -1);
            self.stats.wait.record((now - w.since).as_nanos());
            return Some(w.call);
        }
        while let Some(w) = self.instances[i].queue.pop_expired(now) {
            self.set_queued(now, -1);
            self.shed_call(now, w.call, ShedReason::ControlledDelay);
        }
        loop {
            let inst = &mut self.instances[i];
            let newest = inst.policies.iter_mut().any(|l| l.newest_first(now));
            let Some(w) = inst.queue.pop(newest) else {
                for l in &mut inst.policies {
                    l.dequeue(now, None, 0);
                }
                self.update_levels(now, i);
                return None;
            };
            let left = inst.queue.len();
            let waited = now - w.since;
            let mut dropped = (w.expires <= now).then_some(ShedReason::ControlledDelay);
            for l in &mut inst.policies {
                if l.dequeue(now, Some(waited), left) && dropped.is_none() {
                    dropped = Some(l.reason());
                }
            }
            self.set_queued(now, -1);
            self.update_levels(now, i);
            match dropped {
                Some(reason) => self.shed_call(now, w.call, reason),
                None => {
                    self.stats.wait.record(waited.as_nanos());
                    return Some(w.call);
                }
            }
        }
    }
}
