//! The faults in force at a service: crashes, capacity losses, slowdowns, error injections,
//! corrupted responses and black holes, switched on and off by the world's fault events.

use super::Service;
use crate::fault::FailureMode;
use crate::ids::CallId;
use crate::observer::Observer;
use sim_core::SimTime;

impl Service {
    /// Draws whether an error injection in force fails the next arrival, and how.
    #[inline]
    pub(super) fn injected_failure(&mut self) -> Option<FailureMode> {
        if self.injections.is_empty() {
            return None;
        }
        // Several injections in force act independently: each gets its own draw.
        for k in 0..self.injections.len() {
            let (fraction, mode) = self.injections[k];
            if sim_core::open01(&mut self.errors_rng) < fraction {
                return Some(mode);
            }
        }
        None
    }

    /// Draws whether a successful answer leaves corrupted.
    #[inline]
    pub(crate) fn corrupted(&mut self) -> bool {
        if self.corruptions.is_empty() {
            return false;
        }
        for k in 0..self.corruptions.len() {
            if sim_core::open01(&mut self.errors_rng) < self.corruptions[k] {
                return true;
            }
        }
        false
    }

    /// A crash fault hits instance `i` at `now`. If it was up, it goes down, dropping its
    /// queue and freeing its workers (the caller ends the calls it held). Several crashes may
    /// overlap; the instance stays down until the last one restarts it. Returns whether it
    /// went down now.
    pub(crate) fn crash(&mut self, now: SimTime, i: usize, w: &mut impl Observer) -> bool {
        let inst = &mut self.instances[i];
        inst.crashes_in_force += 1;
        if inst.crashes_in_force > 1 {
            return false; // already down: nothing left to lose
        }
        inst.up = false;
        for cache in &mut self.caches {
            cache.clear(i);
        }
        if let Some(s) = self.sharing.get_mut(i) {
            s.clear(now);
        }
        let inst = &mut self.instances[i];
        let queued = inst.queue.clear() as i64;
        let busy = inst.busy as i64;
        let parked = inst.parked as i64;
        self.count_eligible();
        self.probes_reset(now, i);
        self.set_queued(now, -queued, w);
        self.set_busy(now, i, -busy, w);
        self.park(now, i, -parked, w);
        true
    }

    /// A crash on instance `i` ends at `now` (a crash fault, or a restart the liveness probe
    /// ordered); the instance comes back up, empty, when no other crash holds it down.
    pub(crate) fn restart(&mut self, now: SimTime, i: usize) {
        let inst = &mut self.instances[i];
        inst.crashes_in_force = inst.crashes_in_force.saturating_sub(1);
        if inst.crashes_in_force == 0 && !inst.up {
            inst.up = true;
            self.serving_again(now, i);
            self.count_eligible();
        }
    }

    /// A capacity loss to `workers` starts (`on`) or ends at instance `i`; the fewest workers of
    /// the losses in force apply. Returns the queued calls that newly free workers take at once.
    pub(crate) fn capacity_loss(
        &mut self,
        now: SimTime,
        i: usize,
        workers: u32,
        on: bool,
        w: &mut impl Observer,
    ) -> Vec<CallId> {
        let inst = &mut self.instances[i];
        if on {
            inst.capacity_losses.push(workers);
        } else if let Some(k) = inst.capacity_losses.iter().position(|&w| w == workers) {
            inst.capacity_losses.swap_remove(k);
        }
        let before = inst.workers;
        inst.workers = inst.allowed_workers();
        let added = inst.workers.saturating_sub(before.max(inst.busy)) as u64;
        if added > 0 && self.prober.is_some() {
            self.handed_on(now, i, added);
        }
        let mut started = Vec::new();
        while self.instances[i].busy < self.instances[i].workers {
            let Some(next) = self.take_next(now, i, w) else {
                break;
            };
            self.set_busy(now, i, 1, w);
            started.push(next);
        }
        started
    }

    /// A slowdown by `factor` starts (`on`) or ends.
    pub(crate) fn slowdown(&mut self, factor: f64, on: bool) {
        toggle(&mut self.slowdowns, factor, on);
    }

    /// An error injection starts (`on`) or ends.
    pub(crate) fn inject_errors(&mut self, fraction: f64, mode: FailureMode, on: bool) {
        toggle(&mut self.injections, (fraction, mode), on);
    }

    /// A corrupted-responses fault starts (`on`) or ends.
    pub(crate) fn corrupt(&mut self, fraction: f64, on: bool) {
        toggle(&mut self.corruptions, fraction, on);
    }

    /// A black hole starts (`on`) or ends at instance `i`.
    pub(crate) fn black_hole(&mut self, i: usize, on: bool) {
        let inst = &mut self.instances[i];
        if on {
            inst.black_holes += 1;
        } else {
            inst.black_holes = inst.black_holes.saturating_sub(1);
        }
    }
}

/// Adds `x` to the faults in force (`on`) or removes one equal to it.
fn toggle<T: PartialEq>(in_force: &mut Vec<T>, x: T, on: bool) {
    if on {
        in_force.push(x);
    } else if let Some(k) = in_force.iter().position(|y| *y == x) {
        in_force.remove(k);
    }
}
