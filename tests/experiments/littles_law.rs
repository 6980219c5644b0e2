//! Little's law holds on every service under any fault schedule.
//!
//! For any sample path, the area under the number of requests present equals the sum of the
//! times they spend present (L·T = λT·W), with requests still present at the end counted up
//! to the end. The engine's gauges give L (the report's `mean_in_system` and
//! `mean_queue_length`); an observer that only sees calls arrive, queue, start and finish gives
//! the times. Two independent records of one run must agree, whatever crashes, pauses and
//! slowdowns do to it.

use sim_core::SimTime;
use sim_experiment::{ensure, Experiment, FaultGen};
use sim_models::{CallRef, InstanceRef, Observer, Outcome, ServiceId};
use std::collections::HashMap;

/// Per service (by index): time requests spent present and waiting, in ns.
#[derive(Default)]
struct Sojourns {
    /// Calls present: their service, when they arrived, and since when they wait, if they do.
    present: HashMap<CallRef, (ServiceId, SimTime, Option<SimTime>)>,
    in_system: Vec<u128>,
    waiting: Vec<u128>,
}

impl Sojourns {
    fn add(total: &mut Vec<u128>, service: ServiceId, ns: u64) {
        let s = service.index();
        if total.len() <= s {
            total.resize(s + 1, 0);
        }
        total[s] += u128::from(ns);
    }

    fn arrive(&mut self, now: SimTime, call: CallRef, at: InstanceRef, waits: bool) {
        let entry = self.present.entry(call).or_insert((at.service, now, None));
        if waits {
            entry.2 = Some(now);
        }
    }

    fn stop_waiting(&mut self, now: SimTime, call: CallRef) {
        if let Some((service, _, waiting @ Some(_))) = self.present.get_mut(&call) {
            let since = waiting.take().expect("matched Some");
            Self::add(&mut self.waiting, *service, (now - since).as_nanos());
        }
    }

    fn leave(&mut self, now: SimTime, call: CallRef) {
        self.stop_waiting(now, call);
        if let Some((service, arrived, _)) = self.present.remove(&call) {
            Self::add(&mut self.in_system, service, (now - arrived).as_nanos());
        }
    }

    /// Counts the calls still present up to `end`.
    fn close(&mut self, end: SimTime) {
        let calls: Vec<CallRef> = self.present.keys().copied().collect();
        for call in calls {
            self.leave(end, call);
        }
    }
}

impl Observer for Sojourns {
    fn call_queued(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {
        self.arrive(now, call, at, true);
    }

    fn call_started(&mut self, now: SimTime, call: CallRef, at: InstanceRef) {
        self.arrive(now, call, at, false);
        self.stop_waiting(now, call);
    }

    fn call_finished(&mut self, now: SimTime, call: CallRef, _at: InstanceRef, _outcome: Outcome) {
        self.leave(now, call);
    }
}

#[test]
fn littles_law_holds_on_every_service_under_any_crash_pause_and_slowdown() {
    Experiment::load("scenarios/cascade.ron")
        .unwrap()
        .set("duration=\"40s\"")
        .set("warmup=\"0s\"")
        .fault(
            FaultGen::crash("api")
                .starting("0s", "35s")
                .lasting("1ms", "5s"),
        )
        .fault(
            FaultGen::windowed(r#"Pause(service: "db")"#)
                .starting("0s", "35s")
                .lasting("1ms", "3s"),
        )
        .fault(
            FaultGen::windowed(r#"Slowdown(service: "frontend", factor: 8.0)"#)
                .starting("0s", "35s")
                .lasting("1ms", "10s"),
        )
        .seeds(32)
        .check_observed(Sojourns::default, |run| {
            let mut sojourns = Sojourns {
                present: run.observer().present.clone(),
                in_system: run.observer().in_system.clone(),
                waiting: run.observer().waiting.clone(),
            };
            sojourns.close(run.result.end);
            let report = run.report();
            let seconds = report.measured_s;
            for (i, (name, service)) in report.services.iter().enumerate() {
                let observed = |v: &Vec<u128>| v.get(i).copied().unwrap_or(0) as f64 / 1e9;
                for (what, gauge, times) in [
                    (
                        "present",
                        service.mean_in_system,
                        observed(&sojourns.in_system),
                    ),
                    (
                        "waiting",
                        service.mean_queue_length,
                        observed(&sojourns.waiting),
                    ),
                ] {
                    let area = gauge * seconds;
                    ensure!(
                        (area - times).abs() <= 1e-6 * times.max(1.0),
                        "{name}: requests {what} cover {area:.6} request-seconds by the gauge, \
                         but their times add up to {times:.6}"
                    );
                }
            }
            Ok(())
        });
}
