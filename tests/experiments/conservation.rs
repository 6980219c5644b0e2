//! Requests are conserved under any fault schedule: every request a client sends ends exactly
//! once (answered or failed) or is still in flight when the run stops, whatever crashes and
//! partitions strike, and the report's totals count exactly what happened.

use sim_core::{SimDuration, SimTime};
use sim_experiment::{ensure, Experiment, FaultGen};
use sim_models::{ClientId, EdgeId, Observer, Outcome, RequestId, ServiceId};
use std::collections::HashSet;

/// Follows each request from send to end and notes anything out of order.
#[derive(Default)]
struct Ledger {
    open: HashSet<RequestId>,
    sent: u64,
    ended: u64,
    /// The first impossible thing seen, if any.
    broken: Option<String>,
}

impl Observer for Ledger {
    fn request_sent(
        &mut self,
        now: SimTime,
        request: RequestId,
        _: ClientId,
        _: EdgeId,
        _: ServiceId,
    ) {
        self.sent += 1;
        if !self.open.insert(request) && self.broken.is_none() {
            self.broken = Some(format!("{request:?} sent twice (again at {now})"));
        }
    }

    fn request_ended(
        &mut self,
        now: SimTime,
        request: RequestId,
        _client: ClientId,
        outcome: Outcome,
        _latency: SimDuration,
    ) {
        self.ended += 1;
        if !self.open.remove(&request) && self.broken.is_none() {
            self.broken = Some(format!(
                "{request:?} ended ({outcome:?}) at {now} but was not in flight"
            ));
        }
    }
}

#[test]
fn requests_are_conserved_under_any_crash_and_partition() {
    Experiment::load("scenarios/partition.ron")
        .unwrap()
        .set("faults=[]")
        .fault(
            FaultGen::partition(&["zone-a"], &["zone-b"])
                .starting("0s", "60s")
                .lasting("1ms", "20s"),
        )
        .fault(
            FaultGen::windowed(
                r#"Partition(a: ["zone-b"], b: ["zone-a"], one_way: true, hold: true)"#,
            )
            .starting("0s", "60s")
            .lasting("1ms", "20s"),
        )
        .fault(
            FaultGen::crash("api")
                .starting("0s", "70s")
                .lasting("1ms", "10s"),
        )
        .vary("clients.users-a.timeout=\"50ms\",\"1s\"")
        .seeds(64)
        .check_observed(Ledger::default, |run| {
            let ledger = run.observer();
            if let Some(broken) = &ledger.broken {
                return Err(broken.clone());
            }
            let totals = &run.report().totals;
            let errors: u64 = totals.errors.values().sum();
            ensure!(
                totals.sent == ledger.sent,
                "report sent {} but the ledger saw {}",
                totals.sent,
                ledger.sent
            );
            ensure!(
                totals.completed + errors == ledger.ended,
                "report ended {} but the ledger saw {}",
                totals.completed + errors,
                ledger.ended
            );
            let in_flight = run.report().in_flight_at_end;
            ensure!(
                ledger.open.len() as u64 == in_flight,
                "the ledger has {} requests in flight at the end, the report {in_flight}",
                ledger.open.len()
            );
            Ok(())
        });
}
