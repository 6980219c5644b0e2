//! Determinism holds for any scenario variant: the same variant and seed give the same report,
//! whether or not time series are kept and an observer watches.

use sim_core::SimTime;
use sim_experiment::{ensure, Experiment, FaultGen};
use sim_models::{CallRef, InstanceRef, Observer};

/// Counts calls started: an observer that is there only to be attached.
#[derive(Default)]
struct Starts(u64);

impl Observer for Starts {
    fn call_started(&mut self, _now: SimTime, _call: CallRef, _at: InstanceRef) {
        self.0 += 1;
    }
}

#[test]
fn any_variant_gives_the_same_report_with_or_without_series_and_an_observer() {
    Experiment::load("scenarios/slow-dependency-breaker.ron")
        .unwrap()
        .set("duration=\"30s\"")
        .vary("clients.users.rate=40,80,160")
        .fault(
            FaultGen::crash("recs")
                .starting("0s", "25s")
                .lasting("10ms", "5s"),
        )
        .fault(
            FaultGen::windowed("PacketLoss(loss: 0.2)")
                .starting("0s", "25s")
                .lasting("10ms", "5s"),
        )
        .seeds(16)
        .check_observed(Starts::default, |run| {
            let watched = serde_json::to_string(run.report()).map_err(|e| e.to_string())?;
            let lean = sim_models::run(run.scenario, run.case.seed).map_err(|e| e.to_string())?;
            let plain = serde_json::to_string(&lean.report).map_err(|e| e.to_string())?;
            ensure!(
                watched == plain,
                "the report changed when observed without series"
            );
            ensure!(run.observer().0 > 0, "the observer saw no call start");
            Ok(())
        });
}
