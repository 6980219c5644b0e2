//! Orchestrated sagas: a request at a `Saga` step runs a workflow of steps across services,
//! each a local transaction of a participant with a compensating action; when a step fails for
//! good, the compensations of the steps that may have taken effect run in reverse order.
//!
//! The orchestrator calls one participant at a time, with the step's timeout, and retries a
//! failed call after a backoff that doubles. A call that timed out may still have taken effect,
//! so a step whose action timed out is compensated too. A compensation that fails after its
//! retries leaves the saga *stuck*. The orchestrator's log is durable: if its instance crashes,
//! the waiting request fails but the saga runs on.
//!
//! Participants apply what they complete: every completed action or compensation is a side
//! effect. Without idempotency keys a resent call (a retry after a timeout whose first attempt
//! did arrive) applies twice — a duplicate side effect — and an action delayed past its
//! compensation takes effect after the saga was undone. With keys (the saga and the step), a
//! participant applies each once and refuses an action whose compensation already ran.
//!
//! Files: `spec.rs` (the scenario's fields and checks), `run.rs` (one saga's state machine and
//! the participants' effects, plain data); the world runs sagas in `world/saga.rs`.

mod run;
mod spec;

pub(crate) use run::{Next, SagaDef, SagaStep, StepEffects};
pub use run::{SagaRun, SagaState};
pub use spec::{check_saga, SagaSpec, SagaStepSpec, MAX_SAGA_RETRIES, MAX_SAGA_STEPS};

use crate::ids::ServiceId;
use serde::{Deserialize, Serialize};

/// Every saga of a run, by number, with what participants did for each step.
#[derive(Clone, Debug, Default)]
pub struct Sagas {
    pub(crate) runs: Vec<SagaRun>,
    pub(crate) effects: Vec<StepEffects>,
    /// Saga calls participants completed (each counted in exactly one step's effects).
    pub(crate) completions: u64,
}

impl Sagas {
    /// Starts saga `run` with `steps` steps; returns its number.
    pub(crate) fn start(&mut self, mut run: SagaRun, steps: usize) -> u32 {
        run.effects = self.effects.len() as u32;
        self.effects
            .extend(std::iter::repeat_n(StepEffects::default(), steps));
        self.runs.push(run);
        (self.runs.len() - 1) as u32
    }

    /// Saga `n`'s step `step`'s effects.
    pub(crate) fn effects_mut(&mut self, n: u32, step: u8) -> &mut StepEffects {
        let first = self.runs[n as usize].effects as usize;
        &mut self.effects[first + step as usize]
    }

    fn effects_of(&self, r: &SagaRun, steps: usize) -> &[StepEffects] {
        &self.effects[r.effects as usize..r.effects as usize + steps]
    }

    /// The report of saga `saga` of service `service`, over the whole run.
    pub(crate) fn report(&self, service: ServiceId, saga: u8, def: &SagaDef) -> SagaReport {
        let steps = def.steps.len();
        let mut r = SagaReport::default();
        let mut duration = 0.0;
        for run in self
            .runs
            .iter()
            .filter(|x| x.service == service && x.saga == saga)
        {
            r.started += 1;
            r.retries += run.retries as u64;
            r.compensation_retries += run.compensation_retries as u64;
            let effects = self.effects_of(run, steps);
            for e in effects {
                r.duplicate_actions += e.actions.saturating_sub(1) as u64;
                r.duplicate_compensations += e.compensations.saturating_sub(1) as u64;
                r.deduplicated += e.deduplicated as u64;
                r.refused_actions += e.refused as u64;
            }
            let want = match run.state {
                SagaState::Completed => {
                    r.completed += 1;
                    Some(1)
                }
                SagaState::Compensated => {
                    r.compensated += 1;
                    Some(0)
                }
                SagaState::Stuck => {
                    r.stuck += 1;
                    None
                }
                SagaState::Calling | SagaState::BackingOff => {
                    r.in_flight += 1;
                    continue;
                }
            };
            duration += run.ended.since(run.started).as_secs_f64();
            // A step without a compensation keeps its effect when the saga is undone.
            let wrong = effects.iter().zip(&def.steps).any(|(e, s)| match want {
                Some(0) if s.compensation.is_none() => false,
                Some(w) => e.net() != w,
                None => false,
            });
            if wrong {
                r.inconsistent += 1;
            }
        }
        let finished = r.completed + r.compensated + r.stuck;
        if finished > 0 {
            r.mean_duration_s = duration / finished as f64;
        }
        r
    }

    /// Checks that every saga is in exactly one state, that a completed saga took every step
    /// and a compensated one is undoing, and that every saga call a participant completed
    /// counts in exactly one step's effects.
    pub(crate) fn conservation(
        &self,
        steps: impl Fn(ServiceId, u8) -> usize,
    ) -> Result<(), String> {
        let mut counted = 0u64;
        for (n, run) in self.runs.iter().enumerate() {
            let k = steps(run.service, run.saga);
            let effects = self.effects_of(run, k);
            counted += effects
                .iter()
                .map(|e| (e.actions + e.compensations + e.deduplicated + e.refused) as u64)
                .sum::<u64>();
            let all = if k == 32 { u32::MAX } else { (1u32 << k) - 1 };
            match run.state {
                SagaState::Completed if run.touched != all || run.compensating => {
                    return Err(format!(
                        "saga {n} completed without taking every step (touched {:#b})",
                        run.touched
                    ));
                }
                SagaState::Compensated | SagaState::Stuck
                    if !run.compensating && run.touched != 0 =>
                {
                    return Err(format!("saga {n} ended undone without undoing"));
                }
                s if s.is_final() && run.ended == sim_core::SimTime::MAX => {
                    return Err(format!("saga {n} ended without an end time"));
                }
                _ => {}
            }
        }
        if counted != self.completions {
            return Err(format!(
                "participants completed {} saga calls but the steps' effects count {counted}",
                self.completions
            ));
        }
        Ok(())
    }
}

/// What one saga of a service did over the whole run (sagas are counted whole, so a saga is
/// never split by the warm-up).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SagaReport {
    /// Sagas begun.
    pub started: u64,
    /// Sagas whose every step took effect.
    pub completed: u64,
    /// Sagas undone after a step failed.
    pub compensated: u64,
    /// Sagas left part done: a compensation failed after its retries.
    pub stuck: u64,
    /// Sagas still running at the end.
    pub in_flight: u64,
    /// Retries of actions, and of compensations.
    pub retries: u64,
    /// See `retries`.
    pub compensation_retries: u64,
    /// Actions applied more than once (resent without an idempotency key).
    pub duplicate_actions: u64,
    /// Compensations applied more than once.
    pub duplicate_compensations: u64,
    /// Resends a participant recognised by their key and did not apply again.
    pub deduplicated: u64,
    /// Actions a participant refused because their compensation had already run (keys only).
    pub refused_actions: u64,
    /// Finished sagas whose effects do not match how they ended: a completed saga with a step
    /// applied other than once, or a compensated one with a step whose effect remains (or was
    /// undone more often than done).
    pub inconsistent: u64,
    /// Mean time from start to end of the finished sagas, seconds.
    pub mean_duration_s: f64,
}
