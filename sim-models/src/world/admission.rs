//! A request message reaches its instance: the instance admits it (taking a worker or
//! queueing it) or refuses it, and a freed worker takes the next queued call.

use super::{Event, World};
use crate::call::CallState;
use crate::ids::{CallId, InstanceId, ServiceId};
use crate::observer::Observer;
use crate::outcome::Outcome;
use crate::service::Admission;
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimTime};

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Call `id`'s request reaches its instance.
    #[inline]
    pub(super) fn deliver(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = self.calls.at(id);
        let (s, instance, deadline, origin) = (c.service, c.instance, c.deadline, c.origin);
        let i = instance.index();
        let (call, at) = self.observed(id, s, instance);
        self.observer.message_delivered(now, call, at);
        let svc = &mut self.services[s];
        let admission = svc.admit(now, i, deadline, origin, lend!(self));
        if !svc.shed.is_empty() {
            self.answer_shed(s);
        }
        let svc = &mut self.services[s];
        let outcome = match admission {
            Admission::Admitted { doomed } => {
                let inflight = (svc.instances[i].in_system() + 1).min(u16::MAX as u64) as u16;
                let c = self.calls.at(id);
                c.arrived = now;
                c.doomed = doomed;
                c.inflight = inflight;
                if svc.holds_worker_while_waiting() {
                    // Thread per request: a worker from admission to answer.
                    if !svc.acquire(now, i, id, origin.criticality as u8, lend!(self)) {
                        c.state = CallState::Queued;
                        self.observer.call_queued(now, call, at);
                        return;
                    }
                    c.holds_worker = true;
                }
                self.observer.call_started(now, call, at);
                return self.run(id, ctx);
            }
            Admission::Down => Outcome::Unavailable,
            Admission::Rejected => Outcome::Rejected,
            Admission::Expired => Outcome::Expired,
            Admission::Injected => Outcome::Injected,
            Admission::Shed => Outcome::Shed,
            Admission::BlackHoled => return self.drop_unanswered(id, now),
        };
        self.respond(id, outcome, ctx);
    }

    /// The calls service `s`'s policies shed during this event answer `shed` once the event's
    /// own work is done.
    pub(super) fn answer_shed(&mut self, s: ServiceId) {
        for k in 0..self.services[s].shed.len() {
            let id = self.services[s].shed[k];
            let gen = self.calls.gen(id);
            self.calls.at(id).state = CallState::Shed;
            self.ready.push_back((id, gen));
        }
        self.services[s].shed.clear();
    }

    /// A queued call `id` has been given a worker.
    #[inline]
    pub(super) fn start_queued(&mut self, id: CallId, ctx: &mut Context<Event>) {
        if O::WATCHING {
            self.tell_worker_taken(id, ctx.now());
        }
        let c = *self.calls.at(id);
        let (call, at) = self.observed(id, c.service, c.instance);
        self.observer.call_started(ctx.now(), call, at);
        let svc = &self.services[c.service];
        if svc.deadlines.drop_expired && c.deadline <= ctx.now() {
            tell!(self, server_expired(ctx.now(), at));
            return self.respond(id, Outcome::Expired, ctx);
        }
        self.run(id, ctx);
    }

    /// A worker of instance `i` of `service` is freed: it takes the next queued call, if any.
    #[inline]
    pub(super) fn release_worker(&mut self, service: ServiceId, i: InstanceId, now: SimTime) {
        if let Some(next) = self.services[service].release(now, i.index(), lend!(self)) {
            self.calls.at(next).holds_worker = true;
            self.ready.push_back((next, self.calls.gen(next)));
        }
        if !self.services[service].shed.is_empty() {
            self.answer_shed(service);
        }
    }
}
