//! A call leaves its caller: through its edge's policy stack or straight to the instance the
//! balancer picks, and the network carries the request message there (or loses or duplicates
//! it).

use super::{Event, World};
use crate::call::{Call, CallState, Outcome, Outgoing, Wait};
use crate::ids::{CallId, EdgeId, InstanceId, ServiceId};
use crate::network::{Delivery, Endpoint};
use crate::observer::{CallRef, InstanceRef, Message, Observer};
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimDuration, SimTime};

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Makes call `out`: through its edge's policies if it has any, otherwise straight to an
    /// instance.
    #[inline]
    pub(super) fn call(&mut self, out: Outgoing, ctx: &mut Context<Event>) {
        if O::WATCHING {
            self.tell_call_made(&out, ctx.now());
        }
        if self.edges[out.edge].policies {
            return self.invoke(out, ctx);
        }
        self.sent_along(out.edge, ctx.now());
        if !self.send_call(out, ctx) {
            // No instance up: the client library fails the call at once.
            self.answer(out.caller, out.edge, out.service, Outcome::Unavailable, ctx);
        }
    }

    /// Sends call `out` to the instance of its service the balancer picks; returns `false`,
    /// sending nothing, when no instance is up.
    #[inline]
    pub(super) fn send_call(&mut self, out: Outgoing, ctx: &mut Context<Event>) -> bool {
        let Outgoing {
            caller,
            from,
            service,
            edge,
            deadline,
            origin,
        } = out;
        let Some(instance) = self.services[service].pick() else {
            return false;
        };
        let (id, gen) = self.calls.insert(Call {
            caller,
            edge,
            service,
            instance,
            arrived: ctx.now(),
            deadline,
            pc: 0,
            state: CallState::Travelling,
            holds_worker: false,
            doomed: false,
            outcome: Outcome::Completed,
            wait: Wait::default(),
            origin,
            inflight: 0,
        });
        if O::WATCHING {
            self.tell_call_created(id, gen, ctx.now());
        }
        self.transmit(id, gen, from, ctx);
        true
    }

    /// Sends call `id`'s request message from `from` to its instance.
    #[inline]
    pub(super) fn transmit(
        &mut self,
        id: CallId,
        gen: u32,
        from: Endpoint,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        if self.network.is_instant() {
            if O::WATCHING {
                let c = self.calls.at(id);
                let at = InstanceRef {
                    service: c.service,
                    instance: c.instance,
                };
                let message = Message {
                    call: CallRef::of(id, gen),
                    at,
                    edge: c.edge,
                    request: true,
                    travel: Some(SimDuration::ZERO),
                };
                self.observer.message_sent(now, message);
            }
            return self.deliver(id, ctx);
        }
        let c = *self.calls.at(id);
        let message = |travel| Message {
            call: CallRef::of(id, gen),
            at: InstanceRef {
                service: c.service,
                instance: c.instance,
            },
            edge: c.edge,
            request: true,
            travel,
        };
        let to = self.endpoint(c.service, c.instance);
        let bytes = self.services[c.service].request_bytes;
        let delivery = self.network.send(now, from, to, bytes, true);
        self.observer.message_sent(
            now,
            message(match delivery {
                Delivery::Lost => None,
                Delivery::At(t) | Delivery::Twice(t, _) => Some(t - now),
            }),
        );
        match delivery {
            Delivery::Lost => self.drop_unanswered(id, now),
            Delivery::At(t) => {
                self.inbound(c.service, c.instance, 1);
                ctx.schedule_at(t, Event::Deliver { call: id, gen });
            }
            Delivery::Twice(t1, t2) => {
                self.inbound(c.service, c.instance, 2);
                ctx.schedule_at(t1, Event::Deliver { call: id, gen });
                // The duplicate is handled as a call of its own with the same caller: whichever
                // answer arrives second is late.
                let (dup, dup_gen) = self.calls.insert(c);
                self.observer.message_sent(
                    now,
                    Message {
                        call: CallRef::of(dup, dup_gen),
                        ..message(Some(t2 - now))
                    },
                );
                if O::WATCHING {
                    self.tell_message_duplicated(id, gen, dup, dup_gen, now);
                }
                ctx.schedule_at(
                    t2,
                    Event::Deliver {
                        call: dup,
                        gen: dup_gen,
                    },
                );
            }
        }
    }

    pub(super) fn inbound(&mut self, service: ServiceId, instance: InstanceId, delta: i32) {
        let inst = &mut self.services[service].instances[instance];
        inst.inbound = (inst.inbound as i32 + delta) as u32;
    }

    /// A call's one attempt leaves along `edge` (no policies: the call is its attempt).
    #[inline]
    pub(super) fn sent_along(&mut self, edge: EdgeId, now: SimTime) {
        self.edges[edge].attempt_sent();
        tell!(self, edge_requested(now, edge));
        tell!(self, edge_attempted(now, edge));
    }

    /// Call `id` vanishes without an answer (its request was lost or black-holed): its caller
    /// finds out by its timeout, if it has one.
    pub(super) fn drop_unanswered(&mut self, id: CallId, now: SimTime) {
        if O::WATCHING {
            self.tell_call_dropped(id, now);
        }
        let c = *self.calls.remove(id);
        if c.caller.detached() {
            self.edges[c.edge].attempt_resolved();
            tell!(self, publish_lost(now, c.edge));
        }
    }
}
