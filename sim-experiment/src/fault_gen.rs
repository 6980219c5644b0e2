//! Generated faults: a fault of a fixed kind whose time, length and instance each case draws,
//! so that a property can be claimed "under any partition" or "whatever instance crashes".
//!
//! Times are drawn in whole milliseconds from inclusive ranges and shrink towards their lower
//! ends: a failing case becomes the earliest, shortest fault (and the first instance) that
//! still fails.

use crate::error::ExperimentError;
use sim_core::SimDuration;
use sim_models::Scenario;
use sim_sweep::Vary;

/// The longest a generated fault may start after the beginning or last: a day, far beyond
/// any experiment, so that a typo (`"10000h"`) is an error instead of a run that never ends.
pub const MAX_FAULT_TIME: SimDuration = SimDuration(86_400_000_000_000);

/// A fault that each case of an experiment draws afresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultGen {
    what: What,
    start: (String, String),
    length: (String, String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum What {
    /// A fault with `start` and `duration` fields, written without them.
    Windowed(String),
    /// A crash of one instance of a service (or replica of a store), restarted after the
    /// drawn length.
    Crash(String),
    /// A pause of one instance of a service (or replica of a store) for the drawn length: a
    /// stop-the-world GC, a VM migration.
    Pause(String),
}

/// A generated fault resolved against a scenario: ranges in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    what: What,
    /// Inclusive range of the start, in ms.
    pub(crate) start: (u64, u64),
    /// Inclusive range of the length, in ms.
    pub(crate) length: (u64, u64),
    /// Instances to choose from (1 for a fault that names none).
    pub(crate) instances: u32,
}

/// What one case drew for one generated fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FaultDraw {
    /// When it starts, in ms from the beginning of the run.
    pub start_ms: u64,
    /// How long it lasts, in ms.
    pub length_ms: u64,
    /// Which instance it strikes (0 for a fault that names none).
    pub instance: u32,
}

impl FaultGen {
    /// A partition between zones `a` and `b` (messages across it are lost), starting between
    /// 0 and 10 s and lasting 1 to 10 s unless [`starting`](Self::starting) and
    /// [`lasting`](Self::lasting) say otherwise.
    pub fn partition(a: &[&str], b: &[&str]) -> Self {
        let zones = |z: &[&str]| {
            let quoted: Vec<String> = z.iter().map(|z| format!("{z:?}")).collect();
            quoted.join(", ")
        };
        Self::windowed(&format!("Partition(a: [{}], b: [{}])", zones(a), zones(b)))
    }

    /// A crash of one instance of `service` (each case picks which), restarted after the
    /// drawn length. A store's name crashes one of its replicas.
    pub fn crash(service: &str) -> Self {
        FaultGen {
            what: What::Crash(service.to_string()),
            ..Self::windowed("")
        }
    }

    /// A pause of one instance of `service` (each case picks which) for the drawn length:
    /// nothing it does happens meanwhile, and it resumes where it stopped, as after a long GC
    /// pause. A store's name pauses one of its replicas.
    pub fn pause(service: &str) -> Self {
        FaultGen {
            what: What::Pause(service.to_string()),
            ..Self::windowed("")
        }
    }

    /// Any fault with `start` and `duration` fields, written in the scenario's syntax without
    /// them: `Slowdown(service: "db", factor: 5.0)`, `PacketLoss(loss: 0.2)`.
    pub fn windowed(template: &str) -> Self {
        FaultGen {
            what: What::Windowed(template.trim().to_string()),
            start: ("0s".into(), "10s".into()),
            length: ("1s".into(), "10s".into()),
        }
    }

    /// Starts between `earliest` and `latest` (durations such as `"10s"`, `"500ms"`).
    pub fn starting(mut self, earliest: &str, latest: &str) -> Self {
        self.start = (earliest.into(), latest.into());
        self
    }

    /// Lasts between `shortest` and `longest`.
    pub fn lasting(mut self, shortest: &str, longest: &str) -> Self {
        self.length = (shortest.into(), longest.into());
        self
    }

    /// Checks the ranges and the fault against `scenario`: the ranges are durations in order,
    /// within [`MAX_FAULT_TIME`], a length is at least 1 ms, and a crashed service exists.
    /// A crashed service's instances are the fewest it has in any case (its `instances` may
    /// be among the varied fields), so that every drawn instance exists in every case.
    pub(crate) fn resolve(
        &self,
        index: usize,
        scenario: &Scenario,
        vary: &[Vary],
    ) -> Result<Resolved, ExperimentError> {
        let range = |field: &'static str, (lo, hi): &(String, String), min: u64| {
            let ms = |text: &str| -> Result<u64, ExperimentError> {
                let d: SimDuration = text.parse().map_err(|e| ExperimentError::Fault {
                    index,
                    reason: format!("{field} `{text}` is not a duration: {e}"),
                })?;
                if d > MAX_FAULT_TIME {
                    return Err(ExperimentError::Fault {
                        index,
                        reason: format!("{field} `{text}` is longer than a day"),
                    });
                }
                Ok(d.as_nanos() / 1_000_000)
            };
            let (lo, hi) = (ms(lo)?, ms(hi)?);
            if lo > hi || lo < min {
                return Err(ExperimentError::Fault {
                    index,
                    reason: format!(
                        "{field} must run from at least {min} ms up to a bound no smaller (got {lo} ms to {hi} ms)"
                    ),
                });
            }
            Ok((lo, hi))
        };
        let start = range("start", &self.start, 0)?;
        let length = range("length", &self.length, 1)?;
        let instances = match &self.what {
            What::Windowed(t) if !t.ends_with(')') || !t.contains('(') => {
                return Err(ExperimentError::Fault {
                    index,
                    reason: format!(
                        "`{t}` is not a fault such as `Slowdown(service: \"db\", factor: 5.0)`"
                    ),
                })
            }
            What::Windowed(_) => 1,
            What::Crash(service) | What::Pause(service) => {
                // The fewest instances (or replicas) any case has: its count may be varied.
                let fewest = |path: String, declared: u32| {
                    let varied = vary
                        .iter()
                        .filter(|v| v.path == path)
                        .flat_map(|v| v.values.iter().filter_map(|x| x.trim().parse::<u32>().ok()));
                    varied.fold(declared, u32::min).max(1)
                };
                if let Some(s) = scenario.services.get(service) {
                    fewest(format!("services.{service}.instances"), s.instances)
                } else if let Some(store) = scenario.stores.get(service) {
                    fewest(format!("stores.{service}.replicas"), store.replicas)
                } else {
                    let names: Vec<String> = scenario
                        .services
                        .keys()
                        .chain(scenario.stores.keys())
                        .cloned()
                        .collect();
                    let verb = if matches!(self.what, What::Crash(_)) {
                        "crash"
                    } else {
                        "pause"
                    };
                    return Err(ExperimentError::Fault {
                        index,
                        reason: format!(
                            "the scenario has no service or store `{service}` to {verb} (it has {})",
                            names.join(", ")
                        ),
                    });
                }
            }
        };
        Ok(Resolved {
            what: self.what.clone(),
            start,
            length,
            instances,
        })
    }
}

impl Resolved {
    /// The fault `draw` describes, as scenario text.
    pub(crate) fn text(&self, draw: &FaultDraw) -> String {
        let (start, length) = (draw.start_ms, draw.length_ms);
        match &self.what {
            What::Windowed(template) => {
                let open = template.find('(').expect("checked by resolve");
                let (name, body) = template.split_at(open + 1);
                let body = body.trim_start();
                let sep = if body.starts_with(')') { "" } else { ", " };
                format!(r#"{name}start: "{start}ms", duration: "{length}ms"{sep}{body}"#)
            }
            What::Crash(service) => format!(
                r#"Crash(service: {service:?}, instance: {}, at: "{start}ms", restart_after: "{length}ms")"#,
                draw.instance
            ),
            What::Pause(service) => format!(
                r#"Pause(service: {service:?}, instance: {}, start: "{start}ms", duration: "{length}ms")"#,
                draw.instance
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let text = r#"(duration: "60s",
            clients: { "users": Open(rate: 1, target: "db") },
            services: { "db": (instances: 3, workers: 1, service_time: Exponential(mean: "1ms")) })"#;
        sim_models::load_scenario_str("t.ron", text, &[])
            .unwrap()
            .scenario
    }

    #[test]
    fn a_windowed_fault_gets_its_drawn_start_and_duration() {
        let r = FaultGen::windowed("Slowdown(service: \"db\", factor: 5.0)")
            .resolve(0, &scenario(), &[])
            .unwrap();
        let draw = FaultDraw {
            start_ms: 1500,
            length_ms: 20,
            instance: 0,
        };
        assert_eq!(
            r.text(&draw),
            r#"Slowdown(start: "1500ms", duration: "20ms", service: "db", factor: 5.0)"#
        );
        let p = FaultGen::partition(&["a"], &["b", "c"])
            .resolve(0, &scenario(), &[])
            .unwrap();
        assert_eq!(
            p.text(&draw),
            r#"Partition(start: "1500ms", duration: "20ms", a: ["a"], b: ["b", "c"])"#
        );
    }

    #[test]
    fn a_crash_picks_among_the_services_instances() {
        let r = FaultGen::crash("db")
            .lasting("1ms", "2s")
            .resolve(0, &scenario(), &[])
            .unwrap();
        assert_eq!((r.instances, r.length), (3, (1, 2000)));
        let draw = FaultDraw {
            start_ms: 5,
            length_ms: 7,
            instance: 2,
        };
        assert_eq!(
            r.text(&draw),
            r#"Crash(service: "db", instance: 2, at: "5ms", restart_after: "7ms")"#
        );
    }

    #[test]
    fn a_crash_draws_among_the_fewest_instances_any_case_has() {
        let vary = [Vary::parse("services.db.instances=4,2,5").unwrap()];
        let r = FaultGen::crash("db")
            .resolve(0, &scenario(), &vary)
            .unwrap();
        assert_eq!(r.instances, 2);
    }

    #[test]
    fn a_store_replica_can_be_crashed_or_paused_and_the_replicas_bound_the_draw() {
        let text = r#"(duration: "10s", clients: {}, services: {},
            stores: { "kv": (replicas: 5,
                election: Raft(election_timeout_min: "150ms", election_timeout_max: "300ms", heartbeat: "50ms"),
                keys: 1, clients: [(processes: 1, timeout: "100ms")]) })"#;
        let s = sim_models::load_scenario_str("t.ron", text, &[])
            .unwrap()
            .scenario;
        let vary = [Vary::parse("stores.kv.replicas=5,3").unwrap()];
        let crash = FaultGen::crash("kv").resolve(0, &s, &vary).unwrap();
        assert_eq!(crash.instances, 3, "the fewest replicas any case has");
        let pause = FaultGen::pause("kv").resolve(0, &s, &[]).unwrap();
        assert_eq!(pause.instances, 5);
        let draw = FaultDraw {
            start_ms: 1200,
            length_ms: 300,
            instance: 4,
        };
        assert_eq!(
            pause.text(&draw),
            r#"Pause(service: "kv", instance: 4, start: "1200ms", duration: "300ms")"#
        );
    }

    #[test]
    fn bad_ranges_and_unknown_services_are_errors_that_say_why() {
        let s = scenario();
        let err = |g: FaultGen| g.resolve(1, &s, &[]).unwrap_err().to_string();
        assert!(
            err(FaultGen::crash("dbx")).contains("no service or store `dbx` to crash (it has db)")
        );
        assert!(err(FaultGen::pause("dbx")).contains("`dbx` to pause"));
        assert!(err(FaultGen::crash("db").lasting("0s", "1s"))
            .contains("length must run from at least 1 ms"));
        assert!(
            err(FaultGen::crash("db").starting("5s", "1s")).contains("(got 5000 ms to 1000 ms)")
        );
        assert!(
            err(FaultGen::crash("db").starting("1s", "ten")).contains("`ten` is not a duration")
        );
        assert!(err(FaultGen::crash("db").lasting("1s", "100000h")).contains("longer than a day"));
        assert!(err(FaultGen::windowed("Slowdown")).contains("is not a fault"));
        assert!(err(FaultGen::crash("dbx")).starts_with("generated fault 1: "));
    }
}
