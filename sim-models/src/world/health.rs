//! Probes and restarts on the clock: each prober probes each instance every interval, its
//! probe is judged when answered or at its timeout, and an instance the liveness probe kills
//! goes down as a crash does and serves again after its CrashLoopBackOff wait and start-up.

use super::{Event, World};
use crate::health::ProbeKind;
use crate::ids::{InstanceId, ServiceId};
use crate::observer::Observer;
use crate::statistics::StatisticsSlot;
use sim_core::Context;

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// Schedules every prober's first probe of every instance.
    pub(super) fn first_probes(&mut self, ctx: &mut Context<Event>) {
        for s in 0..self.services.len() {
            for (t, instance, kind) in self.services[s].first_probes() {
                let service = ServiceId::new(s);
                ctx.schedule_at(
                    t,
                    Event::Probe {
                        service,
                        instance,
                        kind,
                    },
                );
            }
        }
    }

    /// Prober `kind` of `service` probes `instance` now, and again an interval later.
    pub(super) fn probe_due(
        &mut self,
        service: ServiceId,
        instance: InstanceId,
        kind: ProbeKind,
        ctx: &mut Context<Event>,
    ) {
        let sent = self.services[service].probe(ctx.now(), instance.index(), kind);
        // Judged before the next probe when they fall together (a timeout equal to the
        // interval): events at one time run in the order they were scheduled.
        if let Some(t) = sent.judge_at {
            let event = Event::ProbeJudged {
                service,
                instance,
                kind,
            };
            ctx.schedule_at(t, event);
        }
        let event = Event::Probe {
            service,
            instance,
            kind,
        };
        ctx.schedule_at(sent.next, event);
        if sent.kill {
            self.kill(service, instance, ctx);
        }
    }

    /// `instance`'s outstanding probe of `kind` is judged now.
    pub(super) fn probe_judged(
        &mut self,
        service: ServiceId,
        instance: InstanceId,
        kind: ProbeKind,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        if self.services[service].judge_probe(now, instance.index(), kind) {
            self.kill(service, instance, ctx);
        }
    }

    /// The liveness probe kills `instance`: it crashes (its calls end `crashed`) and restarts
    /// after its wait and start-up.
    fn kill(&mut self, service: ServiceId, instance: InstanceId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let back_in = self.services[service].killed(now, instance.index());
        self.crash(service, instance, ctx);
        ctx.schedule_at(now + back_in, Event::Restarted { service, instance });
    }

    /// A killed instance has restarted: it serves again unless a crash fault still holds it
    /// down.
    pub(super) fn restarted(
        &mut self,
        service: ServiceId,
        instance: InstanceId,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        self.services[service].restart(now, instance.index());
        self.came_up(service, instance, now);
    }
}
