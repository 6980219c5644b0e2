//! A call ends: its instance frees what it held, the answer travels back over the network, and
//! whoever waits for it (a client's request, a parent call, a policy stack's attempt) takes it
//! or it is counted late.

use super::{Event, World};
use crate::call::{Call, CallState, Caller, Outcome};
use crate::ids::{CallId, EdgeId, ServiceId};
use crate::network::Delivery;
use crate::observer::{Message, Observer};
use crate::program::Op;
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimTime};

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// The server is done with call `id`, which answers `outcome`: frees what it held and
    /// sends the answer back.
    pub(super) fn respond(&mut self, id: CallId, outcome: Outcome, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        let (call, at) = self.observed(id, c.service, c.instance);
        self.observer.call_finished(now, call, at, outcome);
        if c.holds_worker {
            self.release_worker(c.service, c.instance, now);
        }
        if self.services[c.service].watched {
            self.watch_end(&c, outcome, now);
        }
        if c.caller == Caller::Nobody || self.network.is_instant() {
            self.calls.remove(id);
            return self.answer(c.caller, c.edge, c.service, outcome, ctx);
        }
        let from = self.endpoint(c.service, c.instance);
        let to = match c.caller {
            Caller::Request { id: r, gen } => self
                .requests
                .get(r, gen)
                .map(|r| r.client)
                .map(|client| self.client_endpoint(client)),
            Caller::Call { id: p, gen, .. } => self
                .calls
                .get(p, gen)
                .map(|p| (p.service, p.instance))
                .map(|(s, i)| self.endpoint(s, i)),
            Caller::Attempt { id, gen, .. } => self.invocations.peek(id, gen).map(|v| v.from),
            Caller::Refresh {
                service, instance, ..
            } => Some(self.endpoint(service, instance)),
            Caller::Saga { saga, .. } => {
                let r = &self.sagas.runs[saga.index() as usize];
                Some(self.endpoint(r.service, r.instance))
            }
            Caller::Nobody => unreachable!(),
        };
        let Some(to) = to else {
            // The caller is gone: the answer has nowhere to go.
            self.calls.remove(id);
            return self.unused_answer(c.edge, c.service, outcome, now);
        };
        let bytes = self.services[c.service].response_bytes;
        let delivery = self.network.send(now, from, to, bytes, false);
        self.observer.message_sent(
            now,
            Message {
                call,
                at,
                edge: c.edge,
                request: false,
                travel: match delivery {
                    Delivery::Lost => None,
                    Delivery::At(t) | Delivery::Twice(t, _) => Some(t - now),
                },
            },
        );
        match delivery {
            Delivery::Lost => {
                self.calls.remove(id);
                self.unused_answer(c.edge, c.service, outcome, now);
            }
            Delivery::At(t) | Delivery::Twice(t, _) => {
                let gen = self.calls.gen(id);
                let c = self.calls.at(id);
                c.state = CallState::Replying;
                c.outcome = outcome;
                ctx.schedule_at(t, Event::Reply { call: id, gen });
            }
        }
    }

    /// Call `c`'s instance answers `outcome`: outlier detection learns it, and if the instance
    /// had admitted the call an adaptive limit learns how it went (a success is a sample, a
    /// shed or expired request a drop, anything else is ignored).
    pub(super) fn watch_end(&mut self, c: &Call, outcome: Outcome, now: SimTime) {
        let svc = &mut self.services[c.service];
        svc.observe(now, c.instance.index(), outcome);
        if c.state != CallState::Travelling {
            let dropped = matches!(outcome, Outcome::Shed | Outcome::Expired);
            if dropped || outcome == Outcome::Completed {
                svc.finished(
                    now,
                    c.instance.index(),
                    now - c.arrived,
                    c.inflight as u32,
                    dropped,
                );
            }
        }
    }

    /// An answer that no caller takes: counted late, and wasted work if it was a success.
    pub(super) fn unused_answer(
        &mut self,
        edge: EdgeId,
        service: ServiceId,
        outcome: Outcome,
        now: SimTime,
    ) {
        tell!(self, answer_late(now, edge, service, outcome));
    }

    /// The answer `outcome` of a call along `edge` to `service` reaches `caller`.
    #[inline]
    pub(super) fn answer(
        &mut self,
        caller: Caller,
        edge: EdgeId,
        service: ServiceId,
        outcome: Outcome,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let taken = match caller {
            Caller::Request { id, gen } => {
                if self.requests.get(id, gen).is_some() {
                    self.resolve(edge, service, outcome, now);
                    self.end_request(id, outcome, ctx);
                    true
                } else {
                    false
                }
            }
            Caller::Call {
                id,
                gen,
                slot,
                token,
            } => self.child_answered(id, gen, slot, token, edge, service, outcome, now),
            Caller::Attempt { id, gen, attempt } => {
                self.attempt_answered(id, gen, attempt, outcome, ctx)
            }
            Caller::Nobody => {
                self.resolve(edge, service, outcome, now);
                true
            }
            Caller::Refresh { .. } => {
                let awaited = self.refreshed(caller, !outcome.is_error(), now);
                if awaited {
                    self.resolve(edge, service, outcome, now);
                }
                awaited
            }
            Caller::Saga { saga, token, .. } => {
                let waits = self.saga_calling(saga, token);
                if waits {
                    self.resolve(edge, service, outcome, now);
                    self.saga_answered(saga, outcome, false, ctx);
                }
                waits
            }
        };
        if !taken {
            self.unused_answer(edge, service, outcome, now);
        }
    }

    /// Records how an attempt along `edge` to `service` ended.
    #[inline]
    pub(super) fn resolve(
        &mut self,
        edge: EdgeId,
        service: ServiceId,
        outcome: Outcome,
        now: SimTime,
    ) {
        self.edge_resolved(edge, outcome, now);
        let e = &self.edges[edge];
        if !e.policies {
            // With policies the service counts each attempt instead (`attempt_resolved`).
            self.service_answered(service, outcome, now);
        }
    }

    /// A call (or an attempt) to `service` ended with `outcome` as its caller saw it: counted
    /// for the service and its autoscaler, and told to the observer.
    #[inline]
    pub(super) fn service_answered(&mut self, service: ServiceId, outcome: Outcome, now: SimTime) {
        self.services[service].count_lagging(outcome);
        tell!(self, service_answered(now, service, outcome));
    }

    /// A call along `edge` ended with `outcome` as its caller saw it: counted on the edge and
    /// told to the observer, in one place so that neither is ever left out.
    #[inline]
    pub(super) fn edge_resolved(&mut self, edge: EdgeId, outcome: Outcome, now: SimTime) {
        tell!(self, edge_resolved(now, edge, outcome));
        self.edges[edge].call_ended();
    }

    /// Child `slot` of wait `token` of call `id` ended with `outcome`; returns whether the
    /// call was still waiting for it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn child_answered(
        &mut self,
        id: CallId,
        gen: u32,
        slot: u8,
        token: u32,
        edge: EdgeId,
        service: ServiceId,
        outcome: Outcome,
        now: SimTime,
    ) -> bool {
        let bit = 1u64 << slot;
        let Some(p) = self.calls.get(id, gen) else {
            return false;
        };
        if p.wait.token != token || p.wait.outstanding & bit == 0 {
            return false;
        }
        p.wait.outstanding &= !bit;
        if !outcome.is_error() {
            p.wait.ok += 1;
        } else {
            p.wait.failed += 1;
        }
        let p = *p;
        if O::WATCHING {
            self.tell_child_answered(id, gen, slot, outcome, now);
        }
        self.resolve(edge, service, outcome, now);
        let Op::Calls { count, need, .. } = self.services[p.service].program.ops[p.pc as usize]
        else {
            unreachable!("a call waits only at a Calls step")
        };
        let over = p.wait.ok >= need || p.wait.failed > count - need || p.wait.outstanding == 0;
        if over && p.state == CallState::Waiting {
            self.calls.at(id).state = CallState::Ready;
            self.ready.push_back((id, gen));
        }
        true
    }
}
