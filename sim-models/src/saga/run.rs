//! One saga's progress as plain data: where the orchestrator is ([`SagaRun`]) and what to do
//! when a call of it answers ([`SagaRun::answered`]), and what each participant did for each
//! step ([`StepEffects`]), with and without idempotency keys.

use crate::call::Origin;
use crate::ids::{InstanceId, ServiceId};
use sim_core::{SimDuration, SimTime};

/// A compiled saga step: where its action and compensation go, by index into the program's
/// call targets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SagaStep {
    pub(crate) action: u32,
    pub(crate) compensation: Option<u32>,
    pub(crate) retries: u32,
    pub(crate) compensation_retries: u32,
    pub(crate) backoff: SimDuration,
}

/// A compiled saga.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SagaDef {
    pub(crate) name: String,
    pub(crate) steps: Vec<SagaStep>,
    pub(crate) keys: bool,
}

/// Where the orchestrator is with a saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SagaState {
    /// A call of it is out.
    Calling,
    /// Waiting out a backoff before a retry.
    BackingOff,
    /// Every step took effect.
    Completed,
    /// A step failed and every step that may have taken effect was undone.
    Compensated,
    /// A compensation failed after its retries: the saga is left part done.
    Stuck,
}

impl SagaState {
    /// Whether the saga is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SagaState::Completed | SagaState::Compensated | SagaState::Stuck
        )
    }
}

/// What the orchestrator does next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Next {
    /// Send step `step`'s action, or its compensation.
    Send { step: u8, compensating: bool },
    /// Retry the same call after a wait.
    Retry(SimDuration),
    /// The saga is over.
    Done(SagaState),
}

/// One saga.
#[derive(Clone, Copy, Debug)]
pub struct SagaRun {
    /// The orchestrating service and which of its sagas.
    pub(crate) service: ServiceId,
    pub(crate) saga: u8,
    /// The orchestrator's instance (answers go there) and the request it runs for.
    pub(crate) instance: InstanceId,
    pub(crate) call: (u32, u32),
    pub(crate) origin: Origin,
    /// When it started and ended.
    pub(crate) started: SimTime,
    pub(crate) ended: SimTime,
    /// The step it is at, whether it is undoing, and the attempt of the current call.
    pub(crate) step: u8,
    pub(crate) compensating: bool,
    pub(crate) attempt: u32,
    /// Changes with every call and wait, so that a stale answer or event is recognised.
    pub(crate) token: u32,
    pub(crate) state: SagaState,
    /// Steps that may have taken effect (acknowledged, or timed out), bit `k` for step `k`.
    pub(crate) touched: u32,
    /// Index of its first step's effects.
    pub(crate) effects: u32,
    /// Retries of actions and of compensations.
    pub(crate) retries: u32,
    pub(crate) compensation_retries: u32,
}

impl SagaRun {
    /// A saga starting now at its first step.
    pub(crate) fn new(
        service: ServiceId,
        saga: u8,
        instance: InstanceId,
        call: (u32, u32),
        origin: Origin,
        now: SimTime,
        effects: u32,
    ) -> Self {
        SagaRun {
            service,
            saga,
            instance,
            call,
            origin,
            started: now,
            ended: SimTime::MAX,
            step: 0,
            compensating: false,
            attempt: 1,
            token: 0,
            state: SagaState::Calling,
            touched: 0,
            effects,
            retries: 0,
            compensation_retries: 0,
        }
    }

    /// The current call answered: `ok`, or failed (`unknown`: in a way that leaves open
    /// whether it took effect, such as a timeout). Returns what to do next.
    pub(crate) fn answered(&mut self, ok: bool, unknown: bool, def: &SagaDef) -> Next {
        let step = self.step as usize;
        if ok {
            self.attempt = 1;
            if self.compensating {
                return self.compensate_below(step, def);
            }
            self.touched |= 1 << step;
            if step + 1 == def.steps.len() {
                return Next::Done(SagaState::Completed);
            }
            self.step += 1;
            return Next::Send {
                step: self.step,
                compensating: false,
            };
        }
        if unknown && !self.compensating {
            self.touched |= 1 << step;
        }
        let s = def.steps[step];
        let retries = if self.compensating {
            s.compensation_retries
        } else {
            s.retries
        };
        if self.attempt <= retries {
            let wait = SimDuration(
                s.backoff
                    .as_nanos()
                    .saturating_mul(1u64 << (self.attempt - 1).min(40)),
            );
            self.attempt += 1;
            if self.compensating {
                self.compensation_retries += 1;
            } else {
                self.retries += 1;
            }
            return Next::Retry(wait);
        }
        self.attempt = 1;
        if self.compensating {
            return Next::Done(SagaState::Stuck);
        }
        self.compensating = true;
        // The failed step itself is undone too if it may have taken effect.
        self.compensate_below(step + 1, def)
    }

    /// Undo the highest step below `below` that may have taken effect and has a
    /// compensation; if none is left, the saga is compensated.
    fn compensate_below(&mut self, below: usize, def: &SagaDef) -> Next {
        match (0..below)
            .rev()
            .find(|&k| self.touched & (1 << k) != 0 && def.steps[k].compensation.is_some())
        {
            Some(k) => {
                self.step = k as u8;
                Next::Send {
                    step: k as u8,
                    compensating: true,
                }
            }
            None => Next::Done(SagaState::Compensated),
        }
    }
}

/// What a participant remembers of a step's idempotency key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum KeyState {
    /// Never seen.
    #[default]
    Unseen,
    /// The action was applied.
    Applied,
    /// The compensation ran (whether or not the action had been applied).
    Compensated,
}

/// What the participants did for one step of one saga.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StepEffects {
    /// Times the action was applied, and the compensation.
    pub(crate) actions: u16,
    pub(crate) compensations: u16,
    /// Resends a key made a participant ignore (already done), and actions it refused
    /// because their compensation had already run.
    pub(crate) deduplicated: u16,
    pub(crate) refused: u16,
    pub(crate) key: KeyState,
}

/// What a participant did with one call of a saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    Applied,
    Deduplicated,
    Refused,
}

impl StepEffects {
    /// A participant completed a call of this step: the action, or the compensation, with or
    /// without an idempotency key.
    pub(crate) fn apply(&mut self, compensating: bool, keys: bool) -> Effect {
        let effect = match (keys, compensating, self.key) {
            (false, _, _) => Effect::Applied,
            (true, false, KeyState::Unseen) => {
                self.key = KeyState::Applied;
                Effect::Applied
            }
            (true, false, KeyState::Applied) => Effect::Deduplicated,
            (true, false, KeyState::Compensated) => Effect::Refused,
            (true, true, KeyState::Applied) => {
                self.key = KeyState::Compensated;
                Effect::Applied
            }
            // Undoing what never happened records the key, so a late action is refused.
            (true, true, KeyState::Unseen) => {
                self.key = KeyState::Compensated;
                Effect::Deduplicated
            }
            (true, true, KeyState::Compensated) => Effect::Deduplicated,
        };
        let bump = |n: &mut u16| *n = n.saturating_add(1);
        match (effect, compensating) {
            (Effect::Applied, false) => bump(&mut self.actions),
            (Effect::Applied, true) => bump(&mut self.compensations),
            (Effect::Deduplicated, _) => bump(&mut self.deduplicated),
            (Effect::Refused, _) => bump(&mut self.refused),
        }
        effect
    }

    /// The step's net effect: actions applied less compensations applied.
    pub(crate) fn net(&self) -> i32 {
        self.actions as i32 - self.compensations as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(steps: usize, retries: u32) -> SagaDef {
        SagaDef {
            name: "s".into(),
            steps: (0..steps as u32)
                .map(|k| SagaStep {
                    action: 2 * k,
                    compensation: Some(2 * k + 1),
                    retries,
                    compensation_retries: retries,
                    backoff: SimDuration::from_millis(100),
                })
                .collect(),
            keys: false,
        }
    }

    fn run() -> SagaRun {
        SagaRun::new(
            ServiceId::new(0),
            0,
            InstanceId::new(0),
            (0, 0),
            Origin::default(),
            SimTime::ZERO,
            0,
        )
    }

    #[test]
    fn records_fit_the_memory_estimate() {
        // `memory.rs` counts 64 B per saga and 10 B per step.
        assert!(std::mem::size_of::<SagaRun>() <= 64);
        assert!(std::mem::size_of::<StepEffects>() <= 10);
    }

    #[test]
    fn steps_run_in_order_to_completion() {
        let d = def(3, 0);
        let mut r = run();
        let send = |step| Next::Send {
            step,
            compensating: false,
        };
        assert_eq!(r.answered(true, false, &d), send(1));
        assert_eq!(r.answered(true, false, &d), send(2));
        assert_eq!(
            r.answered(true, false, &d),
            Next::Done(SagaState::Completed)
        );
        assert_eq!(r.touched, 0b111);
    }

    #[test]
    fn a_failed_step_undoes_the_steps_before_it_in_reverse() {
        let d = def(3, 0);
        let mut r = run();
        r.answered(true, false, &d);
        r.answered(true, false, &d);
        // Step 2 is refused: it did not happen, so only 1 and 0 are undone.
        let undo = |step| Next::Send {
            step,
            compensating: true,
        };
        assert_eq!(r.answered(false, false, &d), undo(1));
        assert_eq!(r.answered(true, false, &d), undo(0));
        assert_eq!(
            r.answered(true, false, &d),
            Next::Done(SagaState::Compensated)
        );
    }

    #[test]
    fn a_timed_out_step_may_have_happened_so_it_is_undone_too() {
        let d = def(2, 0);
        let mut r = run();
        r.answered(true, false, &d);
        let undo = |step| Next::Send {
            step,
            compensating: true,
        };
        assert_eq!(r.answered(false, true, &d), undo(1));
        assert_eq!(r.answered(true, false, &d), undo(0));
        assert_eq!(
            r.answered(true, false, &d),
            Next::Done(SagaState::Compensated)
        );
    }

    #[test]
    fn retries_back_off_doubling_and_a_failed_compensation_leaves_the_saga_stuck() {
        let d = def(2, 2);
        let mut r = run();
        r.answered(true, false, &d);
        assert_eq!(
            r.answered(false, false, &d),
            Next::Retry(SimDuration::from_millis(100))
        );
        assert_eq!(
            r.answered(false, false, &d),
            Next::Retry(SimDuration::from_millis(200))
        );
        assert_eq!(
            r.answered(false, false, &d),
            Next::Send {
                step: 0,
                compensating: true
            }
        );
        assert_eq!(r.retries, 2);
        r.answered(false, false, &d);
        r.answered(false, false, &d);
        assert_eq!(r.answered(false, false, &d), Next::Done(SagaState::Stuck));
        assert_eq!(r.compensation_retries, 2);
    }

    #[test]
    fn a_first_step_that_fails_cleanly_needs_no_undoing() {
        let d = def(2, 0);
        assert_eq!(
            run().answered(false, false, &d),
            Next::Done(SagaState::Compensated)
        );
    }

    #[test]
    fn without_keys_every_resend_takes_effect() {
        let mut e = StepEffects::default();
        assert_eq!(e.apply(false, false), Effect::Applied);
        assert_eq!(e.apply(false, false), Effect::Applied);
        assert_eq!(e.apply(true, false), Effect::Applied);
        assert_eq!((e.actions, e.compensations, e.net()), (2, 1, 1));
    }

    #[test]
    fn keys_apply_each_once_and_refuse_an_action_after_its_compensation() {
        let mut e = StepEffects::default();
        assert_eq!(e.apply(false, true), Effect::Applied);
        assert_eq!(e.apply(false, true), Effect::Deduplicated);
        assert_eq!(e.apply(true, true), Effect::Applied);
        assert_eq!(e.apply(true, true), Effect::Deduplicated);
        assert_eq!(e.apply(false, true), Effect::Refused);
        assert_eq!((e.actions, e.compensations, e.net()), (1, 1, 0));
        // An undo that arrives before its action: the late action is refused.
        let mut e = StepEffects::default();
        assert_eq!(e.apply(true, true), Effect::Deduplicated);
        assert_eq!(e.apply(false, true), Effect::Refused);
        assert_eq!(e.net(), 0);
    }
}
