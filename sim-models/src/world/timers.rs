//! Timeouts kept out of the future-event set: one queue per kind of timeout (a client's, a
//! call target's, a policy edge's deadlines and attempts), since timeouts of one kind fall due
//! in the order they were set and most never fire.

use super::{Event, World};
use crate::ids::{CallId, InvocationId, RequestIndex, SagaId};
use crate::observer::Observer;
use crate::statistics::StatisticsSlot;
use sim_core::{Context, Model, SimTime};
use std::collections::VecDeque;

/// Timeouts of one kind (one client's, or one call target's): they all last the same, so they
/// fall due in the order they were set, and only the earliest needs an event in the future-event
/// set. Most timeouts never fire (the answer comes first); this keeps them out of the heap,
/// whose size would otherwise be the number of timeouts pending.
#[derive(Clone, Debug, Default)]
pub(super) struct TimerQueue {
    pub(super) pending: VecDeque<Timer>,
    /// Whether an event for the earliest is scheduled.
    pub(super) armed: bool,
}

/// A timeout of what `what` names, if its generation is still `gen`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timer {
    pub(super) at: SimTime,
    pub(super) gen: u32,
    pub(super) what: TimerFor,
}

/// What a timer ends, and the index of whose wait it is. The index is in the variant, not in
/// `Timer`, so that each kind carries its own slab's key: it costs no room (the tag and `slot`
/// fill the bytes before the two `u32`s, and a `Timer` stays 24 bytes).
#[derive(Clone, Copy, Debug)]
pub(super) enum TimerFor {
    /// A client's wait for request `.0`.
    Request(RequestIndex),
    /// Call `call`'s wait for child `slot` of its wait `token`.
    Child { call: CallId, slot: u8, token: u32 },
    /// A whole call through a policy stack (invocation `.0`).
    Invocation(InvocationId),
    /// Attempt number `.1` of invocation `.0`.
    Attempt(InvocationId, u32),
    /// Saga `.0`'s call (the timer's `gen` is the call's token).
    Saga(SagaId),
}

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Sets `timer` in timer queue `queue`. A timer earlier than the latest one queued (a
    /// propagated deadline) gets an event of its own.
    #[inline]
    pub(super) fn set_timer(&mut self, queue: u32, timer: Timer, ctx: &mut Context<Event>) {
        let q = &mut self.timers[queue as usize];
        if q.pending.back().is_some_and(|last| last.at > timer.at) {
            ctx.schedule_at(timer.at, timer_event(timer));
            return;
        }
        q.pending.push_back(timer);
        if !q.armed {
            q.armed = true;
            ctx.schedule_at(timer.at, Event::Timers { queue });
        }
    }

    /// Fires every timer of queue `queue` that is due, drops the timers behind them whose wait
    /// is already over, and arms the queue for the first that may still fire. Most timeouts
    /// never fire, so skipping the dead ones here saves an event per timeout.
    pub(super) fn fire_timers(&mut self, queue: u32, ctx: &mut Context<Event>) {
        let now = ctx.now();
        self.timers[queue as usize].armed = false;
        while let Some(t) = self.timers[queue as usize].pending.front().copied() {
            if t.at > now && self.timer_live(&t) {
                self.timers[queue as usize].armed = true;
                ctx.schedule_at(t.at, Event::Timers { queue });
                break;
            }
            self.timers[queue as usize].pending.pop_front();
            if t.at <= now {
                self.handle(timer_event(t), ctx);
            }
        }
    }

    /// Whether timer `t` still guards a wait: its request or invocation is in flight, its
    /// call still waits for that child, its attempt is still out.
    #[inline]
    pub(super) fn timer_live(&self, t: &Timer) -> bool {
        match t.what {
            TimerFor::Request(id) => self.requests.peek(id, t.gen).is_some(),
            TimerFor::Child { call, slot, token } => self.call_waits_for(call, t.gen, slot, token),
            TimerFor::Invocation(id) => self.invocations.peek(id, t.gen).is_some(),
            TimerFor::Attempt(id, n) => self
                .invocations
                .peek(id, t.gen)
                .is_some_and(|v| v.attempts == n && v.phase == crate::call::Phase::InFlight),
            TimerFor::Saga(saga) => self.saga_calling(saga, t.gen),
        }
    }

    /// Whether call `id` (generation `gen`) still waits for child `slot` of its wait `token`.
    #[inline]
    pub(super) fn call_waits_for(&self, id: CallId, gen: u32, slot: u8, token: u32) -> bool {
        self.calls
            .peek(id, gen)
            .is_some_and(|c| c.wait.token == token && c.wait.outstanding & (1u64 << slot) != 0)
    }
}

/// The event a timer stands for.
pub(super) fn timer_event(t: Timer) -> Event {
    let gen = t.gen;
    match t.what {
        TimerFor::Request(request) => Event::RequestTimeout { request, gen },
        TimerFor::Child { call, slot, token } => Event::CallTimeout {
            call,
            gen,
            slot,
            token,
        },
        TimerFor::Invocation(inv) => Event::CallDeadline { inv, gen },
        TimerFor::Attempt(inv, attempt) => Event::AttemptTimeout { inv, gen, attempt },
        TimerFor::Saga(saga) => Event::SagaTimeout { saga, token: gen },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_timer_fits_in_24_bytes() {
        // One per timeout set, most of which never fire: the timer queues hold many of them.
        // The key in `TimerFor` must not grow it.
        assert_eq!(std::mem::size_of::<super::Timer>(), 24);
    }
}
