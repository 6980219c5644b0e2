//! Faults starting and ending: crashes end every call their instance holds, capacity changes
//! start or retire workers, service faults change what new work costs or how it ends, network
//! faults change what the network does to messages.

use super::{Event, World};
use crate::call::CallState;
use crate::fault::{Fault, FaultKind};
use crate::ids::{CallId, FaultId, InstanceId, ServiceId};
use crate::observer::{InstanceRef, Observer};
use crate::outcome::Outcome;
use crate::program::Op;
use crate::statistics::StatisticsSlot;
use sim_core::{Context, SimDuration, SimTime};

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Applies fault number `index` starting (`on`) or ending.
    pub(super) fn fault(&mut self, index: FaultId, on: bool, ctx: &mut Context<Event>) {
        let now = ctx.now();
        self.observer.fault_changed(now, index, on);
        let f = self.faults[index].clone();
        let Some(service) = f.service else {
            return self.network_fault(index, &f, on, ctx);
        };
        let n = self.services[service].instances.len();
        match f.kind {
            FaultKind::Crash => {
                for i in (0..n).filter(|&i| f.hits(i)) {
                    if !on {
                        self.services[service].restart(now, i);
                        self.came_up(service, InstanceId::new(i), now);
                    } else {
                        self.crash(service, InstanceId::new(i), ctx);
                    }
                }
            }
            FaultKind::CapacityLoss(workers) => {
                for i in (0..n).filter(|&i| f.hits(i)) {
                    for next in
                        self.services[service].capacity_loss(now, i, workers, on, lend!(self))
                    {
                        self.calls.at(next).holds_worker = true;
                        self.ready.push_back((next, self.calls.gen(next)));
                    }
                    self.answer_shed(service);
                }
            }
            FaultKind::Slowdown(factor) => self.services[service].slowdown(factor, on),
            FaultKind::ErrorInjection(fraction, mode) => {
                self.services[service].inject_errors(fraction, mode, on)
            }
            FaultKind::BlackHole => {
                for i in (0..n).filter(|&i| f.hits(i)) {
                    self.services[service].black_hole(i, on);
                }
            }
            FaultKind::Corrupt(fraction) => self.services[service].corrupt(fraction, on),
            FaultKind::Pause => {} // instances already schedule their work around it
            FaultKind::Network(..) | FaultKind::Flapping(..) | FaultKind::Elsewhere => {
                unreachable!("no service")
            }
        }
    }

    /// A hold on `instance` ended (a crash fault, a restart, a provisioning): if that brought it
    /// up, the observer hears of it.
    pub(super) fn came_up(&mut self, service: ServiceId, instance: InstanceId, now: SimTime) {
        if self.services[service].instances[instance].up {
            let at = InstanceRef { service, instance };
            self.observer.instance_changed(now, at, true);
        }
    }

    /// Instance `i` of `service` crashes: every call it holds ends as `crashed` (the
    /// connection resets), and the calls those were waiting on are abandoned.
    pub(super) fn crash(&mut self, service: ServiceId, i: InstanceId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        if !self.services[service].instances[i].up {
            self.services[service].crash(now, i.index(), lend!(self));
            return;
        }
        // A crash is rare: a scan of the calls in flight costs nothing on the common path.
        let held: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.service == service
                    && c.instance == i
                    && matches!(
                        c.state,
                        CallState::Queued
                            | CallState::Working
                            | CallState::Waiting
                            | CallState::Ready
                    )
            })
            .map(|(id, _)| id)
            .collect();
        self.services[service].crash(now, i.index(), lend!(self));
        let at = InstanceRef {
            service,
            instance: i,
        };
        self.observer.instance_changed(now, at, false);
        for id in held {
            let c = self.calls.at(id);
            c.holds_worker = false;
            if matches!(c.state, CallState::Waiting | CallState::Ready) {
                let pc = c.pc as usize;
                if let Op::Calls { first, .. } = self.services[service].program.ops[pc] {
                    self.abandon_children(id, first, now);
                }
            }
            self.respond(id, Outcome::Crashed, ctx);
        }
    }

    /// A network fault starts or ends.
    pub(super) fn network_fault(
        &mut self,
        index: FaultId,
        f: &Fault,
        on: bool,
        ctx: &mut Context<Event>,
    ) {
        let (a, b) = (&f.sides.0[..], &f.sides.1[..]);
        // The network numbers faults as the world does.
        let net = index.index() as u32;
        match (f.kind, on) {
            (FaultKind::Elsewhere, _) => {} // a store's fault: its own model applies it
            (_, false) => self.network.set_fault(net, None),
            (FaultKind::Network(effect, one_way), true) => {
                self.network.set_fault(net, Some((effect, a, b, one_way)))
            }
            (FaultKind::Flapping(fail, _), true) => {
                use crate::network::NetEffect;
                self.network
                    .set_fault(net, Some((NetEffect::Flap, a, b, false)));
                let next = self.network.first_flap(fail);
                ctx.schedule_in(
                    SimDuration::from_secs_f64(next),
                    Event::Flap { fault: index },
                );
            }
            _ => unreachable!("a service fault"),
        }
    }
}
