//! An arrival at an instance: the balancer picks the instance; it is refused (down, full,
//! expired, an injected failure, a black hole), shed by a server policy, or admitted; an
//! admitted request takes a free worker or joins the queue, and a freed worker takes the next
//! queued call that the server policies do not drop.

use super::Service;
use crate::call::Origin;
use crate::fault::FailureMode;
use crate::ids::{CallId, InstanceId};
use crate::observer::Observer;
use crate::policy::{ServerArrival, ShedReason};
use crate::wait_queue::Waiting;
use sim_core::{SimDuration, SimTime};

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
    pub(crate) fn pick(&mut self) -> Option<InstanceId> {
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
        Some(InstanceId::new(i))
    }

    /// A request with `deadline`, from `origin`, reaches instance `i` at `now`; `w` is told.
    #[inline]
    pub(crate) fn admit(
        &mut self,
        now: SimTime,
        i: usize,
        deadline: SimTime,
        origin: Origin,
        w: &mut impl Observer,
    ) -> Admission {
        let up = self.instances[i].up;
        w.server_arrival(now, self.at(i), up);
        if !up {
            return Admission::Down;
        }
        let doomed = match self.injected_failure() {
            Some(FailureMode::Fast) => return Admission::Injected,
            Some(FailureMode::Slow) => true,
            None => false,
        };
        let inst = &self.instances[i];
        if inst.black_holes > 0 {
            w.server_black_holed(now, self.at(i));
            return Admission::BlackHoled;
        }
        if inst.in_system() >= inst.capacity && !self.make_room(now, i, origin, w) {
            return Admission::Rejected;
        }
        if self.deadlines.drop_expired && deadline <= now {
            w.server_expired(now, self.at(i));
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
                w.server_shed(now, self.at(i), reason);
                return Admission::Shed;
            }
        }
        Admission::Admitted { doomed }
    }

    /// A full instance `i` makes room for an arrival of a higher class than some queued
    /// request, which it sheds; returns whether it did.
    fn make_room(&mut self, now: SimTime, i: usize, origin: Origin, w: &mut impl Observer) -> bool {
        let Some(evicted) = self.instances[i]
            .queue
            .evict_below(origin.criticality as u8)
        else {
            return false;
        };
        self.set_queued(now, -1, w);
        self.shed_call(now, i, evicted.call, ShedReason::Criticality, w);
        true
    }

    /// Call `call` queued at instance `i` is shed for `reason`: the world answers it.
    fn shed_call(
        &mut self,
        now: SimTime,
        i: usize,
        call: CallId,
        reason: ShedReason,
        w: &mut impl Observer,
    ) {
        w.server_shed(now, self.at(i), reason);
        self.shed.push(call);
    }

    /// `call` of priority `class` at instance `i` wants a worker at `now`: takes a free one
    /// (true) or joins the queue (false).
    #[inline]
    pub(crate) fn acquire(
        &mut self,
        now: SimTime,
        i: usize,
        call: CallId,
        class: u8,
        w: &mut impl Observer,
    ) -> bool {
        let inst = &mut self.instances[i];
        if inst.busy < inst.workers {
            self.set_busy(now, i, 1, w);
            w.server_waited(now, self.at(i), SimDuration::ZERO);
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
        self.set_queued(now, 1, w);
        false
    }

    /// The next queued call a worker of instance `i` takes at `now`, after the server
    /// policies have dropped those not worth serving; `None` if none is left.
    #[inline]
    pub(super) fn take_next(
        &mut self,
        now: SimTime,
        i: usize,
        w: &mut impl Observer,
    ) -> Option<CallId> {
        if !self.has_policies {
            let next = self.instances[i].queue.pop(false)?;
            self.set_queued(now, -1, w);
            w.server_waited(now, self.at(i), now - next.since);
            return Some(next.call);
        }
        while let Some(expired) = self.instances[i].queue.pop_expired(now) {
            self.set_queued(now, -1, w);
            self.shed_call(now, i, expired.call, ShedReason::ControlledDelay, w);
        }
        loop {
            let inst = &mut self.instances[i];
            let newest = inst.policies.iter_mut().any(|l| l.newest_first(now));
            let Some(next) = inst.queue.pop(newest) else {
                for l in &mut inst.policies {
                    l.dequeue(now, None, 0);
                }
                self.update_levels(now, i);
                return None;
            };
            let left = inst.queue.len();
            let waited = now - next.since;
            let mut dropped = (next.expires <= now).then_some(ShedReason::ControlledDelay);
            for l in &mut inst.policies {
                if l.dequeue(now, Some(waited), left) && dropped.is_none() {
                    dropped = Some(l.reason());
                }
            }
            self.set_queued(now, -1, w);
            self.update_levels(now, i);
            match dropped {
                Some(reason) => self.shed_call(now, i, next.call, reason, w),
                None => {
                    w.server_waited(now, self.at(i), waited);
                    return Some(next.call);
                }
            }
        }
    }
}
