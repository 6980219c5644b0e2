//! A client's side of a request: it is sent (within the in-flight limit, with the client's
//! timeout armed) and, when its answer or timeout comes, it ends as the client sees it.

use super::{Event, Timer, TimerFor, World};
use crate::call::{Caller, Outcome, Outgoing, Request};
use crate::client::ClientKind;
use crate::ids::{ClientId, RequestIndex};
use crate::observer::{Observer, RequestId};
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimTime, StopReason};

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// A client sends a new request, unless that would exceed the in-flight limit.
    pub(super) fn send(&mut self, client: ClientId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let load = self.requests.len().max(self.calls.len()) as u64;
        if load >= self.max_in_flight {
            ctx.stop(StopReason::Model {
                limit: "max_in_flight",
                detail: format!(
                    "stopped at {now}: {load} requests or calls in flight reached limits.max_in_flight; the system is overloaded (raise the limit if this is expected)",
                ),
            });
            return;
        }
        self.totals.sent += 1;
        let target = self.clients[client].target;
        let edge = self.client_edges[client.index()];
        let deadline = self.client_timeouts[client.index()].map_or(SimTime::MAX, |t| now + t);
        let (id, gen) = self.requests.insert(Request {
            client,
            created: now,
            edge,
        });
        let request = RequestId::of(id, gen);
        tell!(self, request_sent(now, request, client, edge, target));
        // Through policies, the invocation owns the deadline and answers by it (with the
        // stack's fallback, if any); a second timer at the same instant would race it.
        if deadline != SimTime::MAX && !self.edges[edge].policies {
            let timer = Timer {
                at: deadline,
                gen,
                what: TimerFor::Request(id),
            };
            self.set_timer(client.index() as u32, timer, ctx);
        }
        let from = self.client_endpoint(client);
        let origin = self.client_origins[client.index()];
        let out = Outgoing {
            caller: Caller::Request { id, gen },
            from,
            service: target,
            edge,
            deadline,
            origin,
        };
        self.call(out, ctx);
    }

    /// Request `id` ends with `outcome`, as its client sees it.
    pub(super) fn end_request(
        &mut self,
        id: RequestIndex,
        outcome: Outcome,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let gen = if O::WATCHING {
            self.requests.gen(id)
        } else {
            0
        };
        let r = *self.requests.remove(id);
        let request = RequestId::of(id, gen);
        let latency = now - r.created;
        tell!(
            self,
            request_ended(now, request, r.client, outcome, latency)
        );
        self.totals.ended[outcome as usize] += 1;
        if let ClientKind::Closed {
            think_time, rng, ..
        } = &mut self.clients[r.client].kind
        {
            let think = think_time.sample(rng);
            ctx.schedule_in(think, Event::UserReady { client: r.client });
        }
    }
}
