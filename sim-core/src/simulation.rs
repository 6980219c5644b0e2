//! The event loop.
//!
//! A [`Model`] owns all state and reacts to its own events; the [`Simulation`] owns the clock and the
//! [`EventQueue`] and runs one loop: take the earliest event, advance the clock, hand the event to
//! the model. The engine is generic over the model, so the call is static and the event is a plain
//! enum moved by value: no boxing and no dynamic dispatch per event.

use crate::digest::EventDigest;
use crate::event_queue::{EventId, EventQueue};
use crate::time::{SimDuration, SimTime};
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// A simulated system: its state and how it reacts to each of its events.
///
/// ```
/// use sim_core::{Context, Model, RunLimits, SimDuration, SimTime, Simulation, StopReason};
///
/// /// Ticks once a second and counts.
/// struct Clock { ticks: u32 }
/// #[derive(Clone, Copy, Debug, Hash)]
/// struct Tick;
///
/// impl Model for Clock {
///     type Event = Tick;
///     fn init(&mut self, ctx: &mut Context<Tick>) {
///         ctx.schedule_in(SimDuration::from_secs(1), Tick);
///     }
///     fn handle(&mut self, _: Tick, ctx: &mut Context<Tick>) {
///         self.ticks += 1;
///         ctx.schedule_in(SimDuration::from_secs(1), Tick);
///     }
/// }
///
/// let limits = RunLimits { end_time: SimTime(10_500_000_000), ..RunLimits::default() };
/// let mut sim = Simulation::new(Clock { ticks: 0 }, limits);
/// assert_eq!(sim.run(), StopReason::EndTime);
/// assert_eq!(sim.model().ticks, 10);
/// ```
pub trait Model {
    /// The model's events: a small `Copy` enum, hashed for the determinism check.
    type Event: Copy + Hash + fmt::Debug;

    /// Schedules the first events. Called once, at time zero, before the first event.
    fn init(&mut self, ctx: &mut Context<Self::Event>);

    /// Reacts to one event.
    fn handle(&mut self, event: Self::Event, ctx: &mut Context<Self::Event>);
}

/// What a model may do while it handles an event: read the clock, schedule, cancel, stop the run.
pub struct Context<'a, E> {
    now: SimTime,
    queue: &'a mut EventQueue<E>,
    stop: &'a mut Option<StopReason>,
}

impl<E> Context<'_, E> {
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time` (not before now: earlier times are clamped to now).
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) {
        self.queue.schedule(time.max(self.now), event);
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.schedule(self.now + delay, event);
    }

    /// Schedules `event` after `delay` and returns a handle to [`cancel`](Self::cancel) it.
    #[inline]
    pub fn schedule_cancellable_in(&mut self, delay: SimDuration, event: E) -> EventId {
        self.queue.schedule_cancellable(self.now + delay, event)
    }

    /// Cancels a pending event (O(log n) in the cancellable events pending); `false` if it
    /// already ran or was cancelled.
    #[inline]
    pub fn cancel(&mut self, id: EventId) -> bool {
        self.queue.cancel(id)
    }

    /// Stops the run after this event because the model hit one of its own limits.
    pub fn stop(&mut self, reason: StopReason) {
        if self.stop.is_none() {
            *self.stop = Some(reason);
        }
    }
}

/// When a run must stop, whatever the model does.
#[derive(Clone, Debug, PartialEq)]
pub struct RunLimits {
    /// Simulated time at which the run ends: events strictly before it run, so a run covers
    /// `[0, end_time)` and its buckets of time tile that interval exactly.
    pub end_time: SimTime,
    /// Most events to process.
    pub max_events: u64,
    /// Real time the run may take; `None` for no limit. The only input that is not
    /// deterministic, so a run stopped by it says so.
    pub wall_clock: Option<Duration>,
    /// Most events in a row at one instant before the run is declared stuck: a loop of
    /// zero-delay events (zero think time and zero service time, say) never advances the clock
    /// and would otherwise never end.
    pub max_events_at_one_instant: u64,
}

/// Default for [`RunLimits::max_events_at_one_instant`]: far more simultaneous events than any
/// real system produces, and about a second of work for the engine.
pub const DEFAULT_MAX_EVENTS_AT_ONE_INSTANT: u64 = 10_000_000;

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            end_time: SimTime::MAX,
            max_events: u64::MAX,
            wall_clock: None,
            max_events_at_one_instant: DEFAULT_MAX_EVENTS_AT_ONE_INSTANT,
        }
    }
}

/// Why a run stopped. Every variant leaves the results gathered so far intact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Reached the configured end time: the normal ending.
    EndTime,
    /// No event was left to process.
    NoMoreEvents,
    /// Processed the maximum number of events.
    MaxEvents(u64),
    /// Used up the wall-clock budget.
    WallClock(Duration),
    /// This many events in a row happened at one instant: time stopped advancing.
    NoProgress {
        /// The instant the run was stuck at.
        at: SimTime,
        /// Events processed there.
        events: u64,
    },
    /// Someone outside the run stopped it ([`Simulation::interrupt`]): Ctrl-C, a termination
    /// signal, a viewer's stop button. Not reproducible, like the wall clock.
    Interrupted,
    /// The model stopped itself, e.g. too many requests in flight.
    Model {
        /// A short machine-readable name, e.g. `max_in_flight`.
        limit: &'static str,
        /// What happened, for people.
        detail: String,
    },
}

impl StopReason {
    /// A short machine-readable name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            StopReason::EndTime => "end_time",
            StopReason::NoMoreEvents => "no_more_events",
            StopReason::MaxEvents(_) => "max_events",
            StopReason::WallClock(_) => "wall_clock",
            StopReason::NoProgress { .. } => "no_progress",
            StopReason::Interrupted => "interrupted",
            StopReason::Model { limit, .. } => limit,
        }
    }

    /// Whether the run ended as planned (at its end time or for lack of events).
    pub fn is_complete(&self) -> bool {
        matches!(self, StopReason::EndTime | StopReason::NoMoreEvents)
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::EndTime => write!(f, "reached the end time"),
            StopReason::NoMoreEvents => write!(f, "no events were left"),
            StopReason::MaxEvents(n) => write!(
                f,
                "stopped after the maximum of {n} events (raise limits.max_events)"
            ),
            StopReason::WallClock(d) => write!(
                f,
                "stopped after the wall-clock budget of {d:?} (raise limits.wall_clock)"
            ),
            StopReason::NoProgress { at, events } => write!(
                f,
                "stopped at {at}: {events} events in a row happened at the same instant, so simulated time stopped advancing (a loop of zero-delay events, e.g. zero think time and zero service time)"
            ),
            StopReason::Interrupted => write!(
                f,
                "interrupted (Ctrl-C or a termination signal); the results cover the run until then"
            ),
            StopReason::Model { detail, .. } => write!(f, "{detail}"),
        }
    }
}

/// How often (in events) the wall clock is read: reading it every event would cost more than the
/// event itself.
const WALL_CLOCK_CHECK_EVERY: u64 = 1 << 14;

/// One run of a model: the clock, the pending events and the limits.
///
/// A clone is a checkpoint: it continues exactly as the original would (same events, same
/// draws, same results), so a viewer can keep one to rewind to, or fork a "what if" from it.
#[derive(Clone)]
pub struct Simulation<M: Model> {
    model: M,
    queue: EventQueue<M::Event>,
    now: SimTime,
    limits: RunLimits,
    events: u64,
    /// Events processed at the current instant, for the no-progress guard.
    events_at_now: u64,
    stopped: Option<StopReason>,
    started: Option<Instant>,
    digest: Option<EventDigest>,
}

impl<M: Model> Simulation<M> {
    /// A run of `model` within `limits`. Nothing happens until [`step`](Self::step) or
    /// [`run`](Self::run).
    pub fn new(model: M, limits: RunLimits) -> Self {
        Simulation {
            model,
            queue: EventQueue::new(),
            now: SimTime::ZERO,
            limits,
            events: 0,
            events_at_now: 0,
            stopped: None,
            started: None,
            digest: None,
        }
    }

    /// Records a digest of every processed event, for [`crate::verify_determinism`].
    pub fn with_digest(mut self, digest: EventDigest) -> Self {
        self.digest = Some(digest);
        self
    }

    /// Processes one event. Returns `Some(reason)` once the run has stopped (and on every call
    /// after that), `None` while it goes on. The GUI steps a run with this.
    pub fn step(&mut self) -> Option<&StopReason> {
        if self.stopped.is_some() {
            return self.stopped.as_ref();
        }
        self.start();
        if self.stopped.is_some() {
            return self.stopped.as_ref();
        }
        if self.events >= self.limits.max_events {
            return self.stop_with(StopReason::MaxEvents(self.limits.max_events));
        }
        if let Some(budget) = self.limits.wall_clock {
            if self.events.is_multiple_of(WALL_CLOCK_CHECK_EVERY) {
                let started = self.started.expect("set by start()");
                if started.elapsed() >= budget {
                    return self.stop_with(StopReason::WallClock(budget));
                }
            }
        }
        let last = SimTime(self.limits.end_time.0.saturating_sub(1));
        let Some(ev) = self.queue.pop_until(last) else {
            // Either way the run lasted until its end time: statistics are over the whole run.
            if self.limits.end_time < SimTime::MAX {
                self.now = self.limits.end_time;
            }
            let reason = if self.queue.is_empty() {
                StopReason::NoMoreEvents
            } else {
                StopReason::EndTime
            };
            return self.stop_with(reason);
        };
        if ev.time == self.now {
            self.events_at_now += 1;
            if self.events_at_now >= self.limits.max_events_at_one_instant {
                self.queue.schedule(ev.time, ev.event); // put it back: the results stay consistent
                return self.stop_with(StopReason::NoProgress {
                    at: self.now,
                    events: self.events_at_now,
                });
            }
        } else {
            self.events_at_now = 0;
        }
        self.now = ev.time;
        self.events += 1;
        if let Some(d) = &mut self.digest {
            d.record(self.events - 1, ev.time, &ev.event);
        }
        let mut ctx = Context {
            now: self.now,
            queue: &mut self.queue,
            stop: &mut self.stopped,
        };
        self.model.handle(ev.event, &mut ctx);
        self.stopped.as_ref()
    }

    /// Lets the model schedule its first events, once.
    fn start(&mut self) {
        if self.started.is_none() {
            self.started = Some(Instant::now());
            let mut ctx = Context {
                now: self.now,
                queue: &mut self.queue,
                stop: &mut self.stopped,
            };
            self.model.init(&mut ctx);
        }
    }

    fn stop_with(&mut self, reason: StopReason) -> Option<&StopReason> {
        self.stopped = Some(reason);
        self.stopped.as_ref()
    }

    /// Runs until a limit or the model stops it, and says why it stopped.
    pub fn run(&mut self) -> StopReason {
        loop {
            if let Some(r) = self.step() {
                return r.clone();
            }
        }
    }

    /// Processes at most `events` more events. Returns the reason once the run has stopped,
    /// `None` while it goes on: lets a driver show progress or stop the run between slices.
    pub fn run_for(&mut self, events: u64) -> Option<&StopReason> {
        for _ in 0..events {
            if self.step().is_some() {
                break;
            }
        }
        self.stopped.as_ref()
    }

    /// Stops the run now, between two events, with [`StopReason::Interrupted`]; the state and
    /// statistics stay as they are, consistent. No effect on a run that has already stopped.
    pub fn interrupt(&mut self) {
        if self.stopped.is_none() {
            self.stopped = Some(StopReason::Interrupted);
        }
    }

    /// Schedules `event` at `time` from outside the model (a driver injecting a fault into a
    /// paused run); a time before now is taken as now. It runs after the events already due then.
    pub fn schedule_at(&mut self, time: SimTime, event: M::Event) {
        self.queue.schedule(time.max(self.now), event);
    }

    /// When the next pending event happens, if any: lets a driver interleave this run with
    /// another's in time order.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// The run's end time, as its limits set it.
    pub fn end_time(&self) -> SimTime {
        self.limits.end_time
    }

    /// Runs every event up to and including `time` (or until the run stops), then sets the clock
    /// to `time`. Lets a viewer advance a run in slices of simulated time.
    pub fn run_until(&mut self, time: SimTime) -> Option<&StopReason> {
        self.start();
        loop {
            if self.stopped.is_some() {
                return self.stopped.as_ref();
            }
            match self.queue.peek_time() {
                Some(t) if t <= time => {}
                _ => {
                    self.now = self.now.max(time.min(self.limits.end_time));
                    return None;
                }
            }
            self.step();
        }
    }

    /// [`run_until`](Self::run_until) `time`, but processing at most `events` events: returns
    /// whether it got there (the clock is then `time`). A viewer bounds each frame's work so,
    /// letting the clock fall behind at high speeds instead of the frame taking longer.
    pub fn run_until_within(&mut self, time: SimTime, events: u64) -> bool {
        self.start();
        for _ in 0..events {
            if self.stopped.is_some() {
                return true;
            }
            match self.queue.peek_time() {
                Some(t) if t <= time => {
                    self.step();
                }
                _ => break,
            }
        }
        let there =
            self.stopped.is_some() || !matches!(self.queue.peek_time(), Some(t) if t <= time);
        if there {
            self.now = self.now.max(time.min(self.limits.end_time));
        }
        there
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Why the run stopped, once it has.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stopped.as_ref()
    }

    /// Live events still pending.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// The model, to read its state.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, to change it between steps (e.g. from a GUI slider).
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The limits this run was given.
    pub fn limits(&self) -> &RunLimits {
        &self.limits
    }

    /// Ends the run and gives back the model and the event digest, if one was recorded.
    pub fn into_parts(self) -> (M, Option<EventDigest>) {
        (self.model, self.digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Pinger {
        seen: Vec<(u64, u32)>,
        stop_after: Option<u32>,
    }

    impl Model for Pinger {
        type Event = u32;
        fn init(&mut self, ctx: &mut Context<u32>) {
            ctx.schedule_in(SimDuration(10), 1);
            ctx.schedule_in(SimDuration(10), 2);
            ctx.schedule_in(SimDuration(5), 0);
        }
        fn handle(&mut self, ev: u32, ctx: &mut Context<u32>) {
            self.seen.push((ctx.now().0, ev));
            if Some(ev) == self.stop_after {
                ctx.stop(StopReason::Model {
                    limit: "test",
                    detail: "asked to stop".into(),
                });
            }
            if ev < 10 {
                ctx.schedule_in(SimDuration(100), ev + 10);
            }
        }
    }

    #[test]
    fn events_run_in_time_then_scheduling_order() {
        let mut sim = Simulation::new(Pinger::default(), RunLimits::default());
        assert_eq!(sim.run(), StopReason::NoMoreEvents);
        assert_eq!(
            sim.model().seen,
            vec![(5, 0), (10, 1), (10, 2), (105, 10), (110, 11), (110, 12)]
        );
    }

    #[test]
    fn an_interrupt_between_slices_stops_the_run_and_keeps_its_state() {
        let mut sim = Simulation::new(Pinger::default(), RunLimits::default());
        assert_eq!(sim.run_for(2), None);
        assert_eq!(sim.events(), 2);
        sim.interrupt();
        assert_eq!(sim.run_for(10), Some(&StopReason::Interrupted));
        assert_eq!(sim.run(), StopReason::Interrupted);
        assert_eq!(sim.model().seen, vec![(5, 0), (10, 1)]);
        assert_eq!(sim.now(), SimTime(10), "the clock stays at the last event");
        assert!(!StopReason::Interrupted.is_complete());
        assert_eq!(StopReason::Interrupted.name(), "interrupted");
    }

    #[test]
    fn end_time_stops_the_run_and_sets_the_clock() {
        let limits = RunLimits {
            end_time: SimTime(50),
            ..RunLimits::default()
        };
        let mut sim = Simulation::new(Pinger::default(), limits);
        assert_eq!(sim.run(), StopReason::EndTime);
        assert_eq!(sim.now(), SimTime(50));
        assert_eq!(sim.model().seen.len(), 3);
        assert_eq!(sim.pending_events(), 3, "results and pending work are kept");
    }

    #[test]
    fn max_events_stops_cleanly_with_the_results_so_far() {
        let limits = RunLimits {
            max_events: 4,
            ..RunLimits::default()
        };
        let mut sim = Simulation::new(Pinger::default(), limits);
        assert_eq!(sim.run(), StopReason::MaxEvents(4));
        assert_eq!(sim.events(), 4);
        assert_eq!(sim.model().seen.len(), 4);
    }

    #[test]
    fn a_model_can_stop_its_own_run() {
        let model = Pinger {
            stop_after: Some(2),
            ..Pinger::default()
        };
        let mut sim = Simulation::new(model, RunLimits::default());
        assert_eq!(sim.run().name(), "test");
        assert_eq!(sim.model().seen.last(), Some(&(10, 2)));
    }

    #[test]
    fn run_until_advances_in_slices() {
        let mut sim = Simulation::new(Pinger::default(), RunLimits::default());
        assert!(sim.run_until(SimTime(10)).is_none());
        assert_eq!(sim.model().seen.len(), 3);
        assert!(sim.run_until(SimTime(107)).is_none());
        assert_eq!(sim.now(), SimTime(107));
        assert_eq!(sim.model().seen.len(), 4);
    }

    #[test]
    fn run_until_within_stops_at_its_event_budget_and_never_overshoots() {
        let mut sim = Simulation::new(Pinger::default(), RunLimits::default());
        assert!(
            !sim.run_until_within(SimTime(10), 2),
            "two of the three events due"
        );
        assert_eq!(sim.model().seen.len(), 2);
        assert!(sim.now() <= SimTime(10));
        assert!(sim.run_until_within(SimTime(10), 100));
        assert_eq!((sim.model().seen.len(), sim.now()), (3, SimTime(10)));
        assert!(sim.run_until_within(SimTime(107), 100));
        assert_eq!((sim.model().seen.len(), sim.now()), (4, SimTime(107)));
    }

    struct Forever;
    impl Model for Forever {
        type Event = ();
        fn init(&mut self, ctx: &mut Context<()>) {
            ctx.schedule_in(SimDuration(0), ());
        }
        fn handle(&mut self, _: (), ctx: &mut Context<()>) {
            ctx.schedule_in(SimDuration(0), ()); // time never advances
        }
    }

    #[test]
    fn a_zero_delay_loop_is_stopped_as_no_progress() {
        let limits = RunLimits {
            max_events_at_one_instant: 1000,
            ..RunLimits::default()
        };
        let mut sim = Simulation::new(Forever, limits);
        assert_eq!(
            sim.run(),
            StopReason::NoProgress {
                at: SimTime(0),
                events: 1000
            }
        );
        assert_eq!(sim.events(), 999);
    }

    #[test]
    fn running_out_of_events_still_ends_at_the_end_time() {
        let limits = RunLimits {
            end_time: SimTime(1_000),
            ..RunLimits::default()
        };
        let mut sim = Simulation::new(Pinger::default(), limits);
        assert_eq!(sim.run(), StopReason::NoMoreEvents);
        assert_eq!(sim.now(), SimTime(1_000));
    }

    #[test]
    fn a_zero_delay_loop_is_stopped_by_the_wall_clock_budget() {
        let limits = RunLimits {
            wall_clock: Some(Duration::from_millis(20)),
            max_events_at_one_instant: u64::MAX,
            ..RunLimits::default()
        };
        let mut sim = Simulation::new(Forever, limits);
        assert_eq!(sim.run().name(), "wall_clock");
        assert!(sim.events() > 0);
    }
}
