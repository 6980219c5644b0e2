//! The autoscaler on the clock: a sync every period, instances serving once provisioned, and
//! drained instances stopped when their grace is over (what they still hold ends `crashed`).

use super::{Event, World};
use crate::ids::{InstanceId, ServiceId};
use crate::observer::Observer;
use crate::statistics::StatisticsSlot;
use sim_core::Context;

impl<O: Observer, S: StatisticsSlot> World<O, S> {
    /// `service`'s autoscaler syncs now, and again a period later.
    pub(super) fn autoscale(&mut self, service: ServiceId, ctx: &mut Context<Event>) {
        let now = ctx.now();
        let svc = &mut self.services[service];
        let scaling = svc.autoscale(now);
        if let Some(period) = svc.sync_period() {
            ctx.schedule_at(now + period, Event::AutoscaleSync { service });
        }
        for (instance, epoch, at) in scaling.start {
            let event = Event::Provisioned {
                service,
                instance,
                epoch,
            };
            ctx.schedule_at(at, event);
        }
        for (instance, at) in scaling.drain {
            ctx.schedule_at(at, Event::Terminated { service, instance });
        }
    }

    /// An added instance's provisioning `epoch` is over: it serves, unless it was cancelled.
    pub(super) fn provisioned(
        &mut self,
        service: ServiceId,
        instance: InstanceId,
        epoch: u32,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        if self.services[service].provisioned(now, instance.index(), epoch) {
            self.came_up(service, instance, now);
        }
    }

    /// A drained instance's grace is over: it stops, ending what it still holds.
    pub(super) fn terminated(
        &mut self,
        service: ServiceId,
        instance: InstanceId,
        ctx: &mut Context<Event>,
    ) {
        let now = ctx.now();
        if self.services[service].terminated(now, instance.index()) {
            self.crash(service, instance, ctx);
        }
    }
}
