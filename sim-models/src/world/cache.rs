//! A call at a `Cache` step: it draws a key and looks it up in its instance's cache; a hit
//! goes on at once, a miss fetches from the origin (the `Calls` op after the lookup) and fills
//! the cache where that wait ends, a coalesced request waits for another's fetch and shares
//! its answer, and a stale hit starts a background fetch whose answer fills the cache.

use super::{Event, World};
use crate::cache::{Lookup, NIL};
use crate::call::{CallState, Caller, Outgoing};
use crate::ids::CallId;
use crate::observer::Observer;
use crate::program::Op;
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimTime};

/// What a call at a cache step remembers, kept beside the calls (indexed like their slots) so
/// that a call without a cache pays nothing for it.
#[derive(Clone, Copy, Debug)]
pub(super) struct CacheLink {
    /// The key it asked for.
    key: u32,
    /// When it looked the key up (its fetch started then).
    started: SimTime,
    /// The next request waiting for the same fetch (call index and generation).
    next: (u32, u32),
}

/// Ops from a cache lookup to the op after its fill: lookup, fetch, fill.
const PAST_FILL: u16 = 3;

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Call `id` at the lookup of cache `cache`: returns whether it goes on now (a hit, or a
    /// miss that fetches next) rather than waiting for another request's fetch.
    pub(super) fn cache_lookup(&mut self, id: CallId, cache: u8, ctx: &mut Context<Event>) -> bool {
        let now = ctx.now();
        let c = *self.calls.at(id);
        let (s, i) = (c.service.index(), c.instance.index());
        let timeout = self.fetch_timeout(s, i, c.pc + 1);
        let k = &mut self.services[s].caches[cache as usize];
        let key = k.draw_key();
        let lookup = k.lookup(now, i, key, timeout);
        let slot = id.index() as usize;
        if self.cache_links.len() <= slot {
            let blank = CacheLink {
                key: 0,
                started: SimTime::ZERO,
                next: (NIL, 0),
            };
            self.cache_links.resize(slot + 1, blank);
        }
        self.cache_links[slot].key = key;
        self.cache_links[slot].started = now;
        match lookup {
            Lookup::Hit | Lookup::Stale { refresh: None } => {
                self.calls.at(id).pc += PAST_FILL;
                true
            }
            Lookup::Stale {
                refresh: Some(token),
            } => {
                self.refresh(id, cache, key, token, timeout, ctx);
                self.calls.at(id).pc += PAST_FILL;
                true
            }
            Lookup::Fetch => {
                self.calls.at(id).pc += 1;
                true
            }
            Lookup::Wait => {
                let gen = self.calls.gen(id);
                let k = &mut self.services[s].caches[cache as usize];
                self.cache_links[slot].next = k.wait(i, key, (id.index(), gen));
                self.wait_for_other(id, now);
                false
            }
        }
    }

    /// Call `id`'s fetch for cache `cache` is over (`ok`: it succeeded): the value is stored,
    /// and the requests that waited for it share the answer.
    pub(super) fn cache_fetched(&mut self, id: CallId, cache: u8, ok: bool, now: SimTime) {
        let c = *self.calls.at(id);
        let link = self.cache_links[id.index() as usize];
        let k = &mut self.services[c.service].caches[cache as usize];
        let first = k.fetched(now, c.instance.index(), link.key, link.started, ok);
        self.wake_waiters(first, ok);
    }

    /// Call `id` finished waiting for another request's fetch: it goes on past the fill if
    /// that fetch succeeded (or the step is optional), and fails `dependency` otherwise.
    pub(super) fn cache_wait_over(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let c = self.waited_for_other(id, ctx.now());
        let s = c.service.index();
        let optional = matches!(
            self.services[s].program.ops.get(c.pc as usize + 1),
            Some(Op::Calls { optional: true, .. })
        );
        if c.wait.ok > 0 || optional {
            self.calls.at(id).pc += PAST_FILL;
            self.run(id, ctx);
        } else {
            self.respond(id, crate::call::Outcome::Dependency, ctx);
        }
    }

    /// The timeout of the fetch at op `fetch` (a `Calls` op) of service `s`, at instance `i`
    /// (whose configuration may have drifted).
    fn fetch_timeout(&self, s: usize, i: usize, fetch: u16) -> Option<sim_core::SimDuration> {
        let svc = &self.services[s];
        let Some(Op::Calls { first, .. }) = svc.program.ops.get(fetch as usize).copied() else {
            unreachable!("a cache lookup is followed by its fetch")
        };
        svc.call_timeout(i, first as usize)
    }

    /// Call `id` found `key` stale in cache `cache`: background fetch number `token` of it
    /// starts, whose answer only refreshes the cache.
    fn refresh(
        &mut self,
        id: CallId,
        cache: u8,
        key: u32,
        token: u16,
        timeout: Option<sim_core::SimDuration>,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        let c = *self.calls.at(id);
        let svc = &self.services[c.service];
        let Some(Op::Calls { first, .. }) = svc.program.ops.get(c.pc as usize + 1).copied() else {
            unreachable!("a cache lookup is followed by its fetch")
        };
        let target = svc.program.calls[first as usize];
        let out = Outgoing {
            caller: Caller::Refresh {
                service: c.service,
                instance: c.instance,
                key,
                cache,
                token,
            },
            from: self.endpoint(c.service, c.instance),
            service: target.service,
            edge: target.edge,
            deadline: timeout.map_or(SimTime::MAX, |t| now + t),
            origin: c.origin,
        };
        self.call(out, ctx);
    }

    /// The background fetch `caller` (a [`Caller::Refresh`]) answered, `ok` or not; returns
    /// whether the cache still awaited it.
    pub(super) fn refreshed(&mut self, caller: Caller, ok: bool, now: SimTime) -> bool {
        let Caller::Refresh {
            service,
            instance,
            key,
            cache,
            token,
        } = caller
        else {
            unreachable!("only a background fetch is refreshed")
        };
        let k = &mut self.services[service].caches[cache as usize];
        k.refreshed(now, instance.index(), key, token, ok)
    }

    /// The requests on the waiting list from `first` share a fetch's answer (`ok` or not):
    /// they go on, in the order they came, once the current event is over.
    fn wake_waiters(&mut self, mut next: (u32, u32), ok: bool) {
        let from = self.ready.len();
        while next.0 != NIL {
            let (index, gen) = next;
            next = self.cache_links[index as usize].next;
            let id = CallId::new(index);
            let Some(c) = self.calls.get(id, gen) else {
                continue; // it ended meanwhile (its instance crashed)
            };
            if c.state != CallState::Waiting {
                continue;
            }
            if ok {
                c.wait.ok = 1;
            } else {
                c.wait.failed = 1;
            }
            c.state = CallState::Ready;
            self.ready.push_back((id, gen));
        }
        // The list runs newest first.
        self.ready.make_contiguous()[from..].reverse();
    }
}
