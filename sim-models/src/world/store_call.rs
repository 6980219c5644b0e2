//! Services reading and writing stores, on one clock. A store that some service's `Store`
//! step calls is *linked*: its own simulation (`sim_store`) lives inside the world, and the
//! world drives it with one `StoreWake` event at the store's next event time, so that both
//! models' events happen in time order. A step submits its operation to the store and waits
//! (as at a saga: an `Async` request parked, without a worker); when the store's run
//! completes it, the answer makes the call ready at the same instant.

use super::{Event, World};
use crate::call::Slab;
use crate::call::{CallState, Outcome};
use crate::fault::FaultSpec;
use crate::ids::{CallId, StoreWaitId};
use crate::observer::{CallRef, Observer, StoreOperation};
use crate::program::Op;
use crate::scenario::Scenario;
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimTime, Simulation, StopReason};
use sim_history::Completion;
use sim_store::{CallerSpec, ExternalAnswer, ExternalOp, StoreModel};

/// A store the services call, run inside the world.
#[derive(Clone)]
pub(crate) struct LinkedStore {
    /// Its name in the scenario.
    pub(crate) name: String,
    /// Its index among the scenario's stores, in name order.
    index: u32,
    /// Its run.
    pub(crate) sim: Simulation<StoreModel>,
    /// When its pending wake event is due, if one is.
    wake: Option<SimTime>,
    /// The generation of that event (older ones are stale).
    gen: u32,
}

impl std::fmt::Debug for LinkedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkedStore")
            .field("name", &self.name)
            .field("now", &self.sim.now())
            .field("events", &self.sim.events())
            .finish()
    }
}

impl LinkedStore {
    /// The wake event to schedule for store `k` (`None`: the one pending is due by its next
    /// event, or it has none before the end).
    fn next_wake(&mut self, k: usize) -> Option<(SimTime, Event)> {
        let t = self.sim.next_event_time()?;
        if t > self.sim.end_time() || self.wake.is_some_and(|w| w <= t) {
            return None;
        }
        self.gen = self.gen.wrapping_add(1);
        self.wake = Some(t);
        let store = k as u32;
        Some((
            t,
            Event::StoreWake {
                store,
                gen: self.gen,
            },
        ))
    }
}

/// `Wait::failed` of a call whose store operation nobody answered (indeterminate): it fails
/// `timeout`, where a refused one (`failed == 1`) fails `dependency`.
const UNANSWERED: u16 = 2;

/// What the world keeps of its linked stores.
#[derive(Clone, Debug, Default)]
pub(crate) struct StoreLinks {
    pub(crate) stores: Vec<LinkedStore>,
    /// Each submitted operation's waiting call: (call, its generation, its wait's token); the
    /// key is the tag the store hands back.
    waits: Slab<StoreWaitId, (CallId, u32, u32)>,
    /// Answers being handed over.
    answers: Vec<ExternalAnswer>,
    /// By call slot: (the call's generation, store, key, last value seen) of its last store
    /// operation, so that its next step on that store uses the same key.
    keys: Vec<(u32, u32, u32, Option<i64>)>,
}

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Links every store a service's `Store` step calls: builds its simulation, registers one
    /// caller per step (`store/NAME/callers/SERVICE/k`), and points each step at both.
    pub(super) fn link_stores(&mut self, scenario: &Scenario, seed: u64) {
        // The world's event limit counts the world's events; the store needs its end, and the
        // wall clock (its events run inside one world event).
        let limits = sim_core::RunLimits {
            end_time: SimTime(scenario.duration.as_nanos()),
            wall_clock: scenario
                .limits
                .wall_clock
                .map(|d| std::time::Duration::from_nanos(d.as_nanos())),
            ..Default::default()
        };
        for (s, (service, _)) in scenario.services.iter().enumerate() {
            for k in 0..self.services[s].program.store_calls.len() {
                let def = &self.services[s].program.store_calls[k];
                let name = def.step.store.clone();
                let at = match self.links.stores.iter().position(|l| l.name == name) {
                    Some(at) => at,
                    None => {
                        let mut sim =
                            crate::stores::store_simulation(scenario, seed, &limits, &name);
                        if O::WATCHING {
                            sim.model_mut().watch_starts();
                        }
                        let index = scenario.stores.keys().position(|n| *n == name);
                        self.links.stores.push(LinkedStore {
                            index: index.expect("a checked store name") as u32,
                            name,
                            sim,
                            wake: None,
                            gen: 0,
                        });
                        self.links.stores.len() - 1
                    }
                };
                let step = &def.step;
                let spec = CallerSpec {
                    timeout: step.timeout,
                    retries: step.retries,
                    idempotency_keys: step.idempotency_keys,
                };
                let caller = self.links.stores[at]
                    .sim
                    .model_mut()
                    .add_caller(&format!("{service}/{k}"), spec);
                let def = &mut self.services[s].program.store_calls[k];
                def.store = at as u32;
                def.caller = caller;
            }
        }
    }

    /// Starts the linked stores (their events at time 0 happen first).
    pub(super) fn start_stores(&mut self, ctx: &mut Context<Event>) {
        for k in 0..self.links.stores.len() {
            self.links.stores[k].sim.run_until(SimTime::ZERO);
            self.arm_wake(k, ctx);
        }
    }

    /// Schedules store `k`'s wake at its next event, unless one is due by then.
    fn arm_wake(&mut self, k: usize, ctx: &mut Context<Event>) {
        let st = &mut self.links.stores[k];
        if let Some(reason) = st.sim.stop_reason() {
            // Stopped before the end (no progress, the wall clock): the calls waiting on it
            // would wait forever, so the whole run stops, saying why.
            if !matches!(reason, StopReason::EndTime | StopReason::NoMoreEvents) {
                ctx.stop(StopReason::Model {
                    limit: "store_stopped",
                    detail: format!("store {} stopped: {reason}", st.name),
                });
            }
            return;
        }
        if let Some((t, event)) = st.next_wake(k) {
            ctx.schedule_at(t, event);
        }
    }

    /// Linked store `store`'s wake `gen` is due: it runs its events up to now, and the calls
    /// whose operations ended are ready.
    pub(super) fn store_wake(&mut self, store: u32, gen: u32, ctx: &mut Context<Event>) {
        let k = store as usize;
        let st = &mut self.links.stores[k];
        if st.gen != gen {
            return;
        }
        st.wake = None;
        let mut answers = self.catch_up_store(k, ctx.now());
        for &a in &answers {
            self.store_answered(k as u32, a, ctx.now());
        }
        answers.clear();
        self.links.answers = answers;
        self.arm_wake(k, ctx);
    }

    /// Runs linked store `k` through `now`, tells the observer of the operations it began, and
    /// returns the answers of those it ended (in the world's buffer: hand it back cleared).
    fn catch_up_store(&mut self, k: usize, now: SimTime) -> Vec<ExternalAnswer> {
        self.links.stores[k].sim.run_until(now);
        if O::WATCHING {
            self.observe_store_starts(k, now);
        }
        let mut answers = std::mem::take(&mut self.links.answers);
        answers.extend(self.links.stores[k].sim.model_mut().take_answers());
        answers
    }

    /// Call `id` at `Store` step `k` of its program submits the step's operation and waits.
    pub(super) fn store_call(&mut self, id: CallId, k: u8, ctx: &mut Context<Event>) {
        let now = ctx.now();
        self.wait_for_other(id, now);
        let c = *self.calls.at(id);
        let gen = self.calls.gen(id);
        let def = &self.services[c.service].program.store_calls[k as usize];
        let (store, caller, op) = (def.store as usize, def.caller, def.step.op);
        // The request's key on this store, and what it last saw there, if it has been there.
        let (key, seen) = match self.links.keys.get(id.index() as usize) {
            Some(&(g, s, key, seen)) if g == gen && s as usize == store => (Some(key), seen),
            _ => (None, None),
        };
        let call = op.external(seen);
        let zone = self.services[c.service].instances[c.instance].zone;
        let (tag, _) = self.links.waits.insert((id, gen, c.wait.token));
        let st = &mut self.links.stores[store];
        let event = st.sim.model_mut().submit(ExternalOp {
            tag: u64::from(tag.index()),
            caller,
            zone,
            node: sim_store::FIRST_CALLER_NODE + c.service.index() as u32,
            instance: c.instance.index() as u32,
            key,
            call,
        });
        st.sim.schedule_at(now, event);
        self.arm_wake(store, ctx);
    }

    /// A submitted operation on linked store `store` ended: its call is ready, if it still
    /// waits for it, and remembers the key and what it saw there.
    fn store_answered(&mut self, store: u32, answer: ExternalAnswer, now: SimTime) {
        let (id, gen, token) = *self.links.waits.remove(StoreWaitId::new(answer.tag as u32));
        if O::WATCHING {
            self.tell_store_completed(store, &answer, id, gen, now);
        }
        let Some(c) = self.calls.get(id, gen) else {
            return; // its instance crashed: the operation ran on without it
        };
        if c.state != CallState::Waiting || c.wait.token != token {
            return;
        }
        let slot = id.index() as usize;
        if self.links.keys.len() <= slot {
            self.links.keys.resize(slot + 1, (u32::MAX, 0, 0, None));
        }
        let kept = &mut self.links.keys[slot];
        let before = if kept.0 == gen && kept.1 == store {
            kept.3
        } else {
            None
        };
        *kept = (gen, store, answer.key, answer.seen.or(before));
        let completion = answer.completion;
        match completion {
            Completion::Ok(_) => c.wait.ok = 1,
            Completion::Fail => c.wait.failed = 1,
            // Indeterminate: the store may or may not have applied it.
            Completion::Info => c.wait.failed = UNANSWERED,
        }
        c.state = CallState::Ready;
        self.ready.push_back((id, gen));
    }

    /// Tells the observer that the operation `answer` answers, run for call `id` (`gen`) on
    /// linked store `store`, completed.
    fn tell_store_completed(
        &mut self,
        store: u32,
        answer: &ExternalAnswer,
        id: CallId,
        gen: u32,
        now: SimTime,
    ) {
        let op = StoreOperation {
            store: self.links.stores[store as usize].index,
            process: answer.process,
            key: answer.key,
            call: answer.call,
        };
        let call = CallRef::of(id, gen);
        self.observer
            .store_completed(now, call, op, answer.completion);
    }

    /// The world stopped at `end` (its end, a limit, a driver): runs the linked stores through
    /// `end` as the world would have, and tells the observer of the operations they began and
    /// ended meanwhile (those due at the instant the world stopped in). The world handles
    /// nothing more, so their answers reach no call.
    pub(super) fn settle_stores(&mut self, end: SimTime) {
        for k in 0..self.links.stores.len() {
            let mut answers = self.catch_up_store(k, end);
            for a in &answers {
                let (id, gen, _) = *self.links.waits.remove(StoreWaitId::new(a.tag as u32));
                if O::WATCHING {
                    self.tell_store_completed(k as u32, a, id, gen, end);
                }
            }
            answers.clear();
            self.links.answers = answers;
        }
    }

    /// Tells the observer of the operations linked store `k` began since it last looked.
    fn observe_store_starts(&mut self, k: usize, now: SimTime) {
        let st = &mut self.links.stores[k];
        let store = st.index;
        for s in st.sim.model_mut().take_started() {
            let &mut (id, gen, _) = self.links.waits.at(StoreWaitId::new(s.tag as u32));
            let op = StoreOperation {
                store,
                process: s.process,
                key: s.key,
                call: s.call,
            };
            let call = CallRef::of(id, gen);
            self.observer.store_invoked(now, call, op);
        }
    }

    /// Call `id` finished waiting at a `Store` step: it goes on if the operation took effect
    /// (or the step is optional), and fails otherwise: `timeout` if nobody answered,
    /// `dependency` if the store refused it.
    pub(super) fn store_wait_over(&mut self, id: CallId, ctx: &mut Context<Event>) {
        let c = self.waited_for_other(id, ctx.now());
        let Op::Store(k) = self.services[c.service].program.ops[c.pc as usize] else {
            unreachable!("waiting at a store step");
        };
        let optional = self.services[c.service].program.store_calls[k as usize]
            .step
            .optional;
        if c.wait.ok > 0 || optional {
            self.calls.at(id).pc += 1;
            self.run(id, ctx);
        } else if c.wait.failed == UNANSWERED {
            self.respond(id, Outcome::Timeout, ctx);
        } else {
            self.respond(id, Outcome::Dependency, ctx);
        }
    }

    /// Adds `fault` (injected into the running scenario) to every linked store it reaches;
    /// returns whether it names one of them, and the wakes to schedule for stores whose next
    /// event is now earlier.
    pub(super) fn add_store_fault(
        &mut self,
        scenario: &Scenario,
        fault: &FaultSpec,
    ) -> (bool, Vec<(SimTime, Event)>) {
        let mut named = false;
        let mut wakes = Vec::new();
        for (k, st) in self.links.stores.iter_mut().enumerate() {
            named |= fault.service() == Some(st.name.as_str());
            let (faults, net) = crate::stores::store_fault(scenario, &st.name, fault);
            for (time, event) in st.sim.model_mut().add_faults(faults, net) {
                st.sim.schedule_at(time, event);
            }
            wakes.extend(st.next_wake(k));
        }
        (named, wakes)
    }

    /// Whether store `name` runs inside the world (a service calls it).
    pub(crate) fn links_store(&self, name: &str) -> bool {
        self.links.stores.iter().any(|l| l.name == name)
    }

    /// The linked stores, taken out at the end of the run (`end`: run through it, as the
    /// world was), with the events they processed.
    pub(crate) fn take_linked_stores(&mut self, end: SimTime) -> (Vec<(String, StoreModel)>, u64) {
        let mut events = 0;
        let stores = std::mem::take(&mut self.links.stores)
            .into_iter()
            .map(|mut l| {
                l.sim.run_until(end);
                events += l.sim.events();
                (l.name, l.sim.into_parts().0)
            })
            .collect();
        (stores, events)
    }
}
