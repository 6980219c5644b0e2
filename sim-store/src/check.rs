//! What makes a store spec unusable, each problem at the field that causes it.

use crate::spec::{
    Election, KeyChoice, StoreSpec, MAX_KEYS, MAX_KEY_SLOTS, MAX_PROCESSES, MAX_REPLICAS,
    MAX_WORKERS,
};
use sim_core::SimDuration;

/// A problem with a store spec: the field (relative to the store, e.g. `clients.0.timeout`),
/// what is wrong, and whether it stops the run (`error`) or only deserves a look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecProblem {
    /// The field, relative to the store.
    pub path: String,
    /// What is wrong, and how to put it right.
    pub message: String,
    /// Whether the store cannot run this way.
    pub error: bool,
}

impl StoreSpec {
    /// Every problem of the spec, in the order of its fields.
    pub fn check(&self) -> Vec<SpecProblem> {
        let mut out = Vec::new();
        let mut error = |path: &str, message: String| {
            out.push(SpecProblem {
                path: path.to_string(),
                message,
                error: true,
            })
        };
        let n = self.replicas;
        if n == 0 {
            error("replicas", "a store needs at least one replica".into());
        } else if n > MAX_REPLICAS {
            error(
                "replicas",
                format!("{n} is more than the {MAX_REPLICAS} replicas a store may have"),
            );
        }
        if let Some(f) = self.first_leader {
            if f >= n {
                error(
                    "first_leader",
                    format!(
                        "the store has {n} replica(s), numbered from 0; there is no replica {f}"
                    ),
                );
            }
        }
        if let Err(e) = self.service_time.sampler() {
            error("service_time", e.to_string());
        }
        if self.workers == 0 {
            error("workers", "a replica needs at least one worker".into());
        } else if self.workers > MAX_WORKERS {
            error(
                "workers",
                format!(
                    "{} is more than the {MAX_WORKERS} workers a replica may have",
                    self.workers
                ),
            );
        }
        if let Some(q) = self.write_quorum {
            if q == 0 || q > n {
                error(
                    "write_quorum",
                    format!("must be between 1 and the {n} replica(s), got {q}"),
                );
            }
        }
        let timeouts = |error: &mut dyn FnMut(&str, String),
                        min: SimDuration,
                        max: SimDuration,
                        heartbeat: SimDuration| {
            if min == SimDuration::ZERO {
                error(
                    "election.election_timeout_min",
                    "must be longer than zero".into(),
                );
            }
            if max < min {
                error(
                    "election.election_timeout_max",
                    format!("{max} is shorter than election_timeout_min ({min})"),
                );
            }
            if heartbeat == SimDuration::ZERO {
                error("election.heartbeat", "must be longer than zero".into());
            } else if heartbeat >= min {
                error(
                    "election.heartbeat",
                    format!(
                        "{heartbeat} is not shorter than the election timeout ({min}): followers would start elections against a healthy leader"
                    ),
                );
            }
        };
        match &self.election {
            Election::Raft {
                election_timeout_min,
                election_timeout_max,
                heartbeat,
            } => timeouts(
                &mut error,
                *election_timeout_min,
                *election_timeout_max,
                *heartbeat,
            ),
            Election::Lease {
                ttl,
                margin,
                election_timeout_min,
                election_timeout_max,
                heartbeat,
            } => {
                timeouts(
                    &mut error,
                    *election_timeout_min,
                    *election_timeout_max,
                    *heartbeat,
                );
                if *margin == SimDuration::ZERO {
                    error(
                        "election.margin",
                        "a lease needs a safety margin for clock drift, e.g. \"100ms\"; with 0 any drift lets two leaders serve reads".into(),
                    );
                } else if margin >= ttl {
                    error(
                        "election.margin",
                        format!("{margin} is not shorter than the lease's ttl ({ttl}): the lease would never hold"),
                    );
                }
            }
            Election::Failover { heartbeat, missed } => {
                if *heartbeat == SimDuration::ZERO {
                    error("election.heartbeat", "must be longer than zero".into());
                }
                if *missed == 0 {
                    error(
                        "election.missed",
                        "must be at least 1 missed heartbeat".into(),
                    );
                }
                if n < 2 {
                    error(
                        "replicas",
                        "failover needs a primary and at least one backup (2 replicas or more)"
                            .into(),
                    );
                }
            }
        }
        if self.clock_drift.len() > n as usize {
            error(
                "clock_drift",
                format!("gives {} clocks for {n} replica(s)", self.clock_drift.len()),
            );
        }
        for (i, d) in self.clock_drift.iter().enumerate() {
            if !(d.is_finite() && d.abs() < 0.5) {
                error(
                    &format!("clock_drift.{i}"),
                    format!("must be a rate error between -0.5 and 0.5 (0.01 = 1% fast), got {d}"),
                );
            }
        }
        if self.keys == 0 || self.keys > MAX_KEYS {
            error(
                "keys",
                format!("must be between 1 and {MAX_KEYS}, got {}", self.keys),
            );
        }
        if self.keys as u64 * n as u64 > MAX_KEY_SLOTS {
            error(
                "keys",
                format!(
                    "{} keys on each of {n} replicas is more than the {MAX_KEY_SLOTS} values (16 bytes each) the replicas may hold in all; use fewer keys or replicas",
                    self.keys
                ),
            );
        }
        if let KeyChoice::Zipf { s } = self.key_choice {
            if !(s.is_finite() && s > 0.0) {
                error(
                    "key_choice.s",
                    format!("must be a positive number, got {s}"),
                );
            }
        }
        if self.idempotency_ttl == SimDuration::ZERO {
            error("idempotency_ttl", "must be longer than zero".into());
        }
        let mut processes = 0u64;
        for (i, c) in self.clients.iter().enumerate() {
            let at = |f: &str| format!("clients.{i}.{f}");
            processes += c.processes as u64;
            if c.processes == 0 {
                error(&at("processes"), "must be at least 1".into());
            }
            if let Err(e) = c.think_time.sampler() {
                error(&at("think_time"), e.to_string());
            }
            if c.timeout == SimDuration::ZERO {
                error(&at("timeout"), "must be longer than zero".into());
            }
            let m = c.mix;
            let weights = [m.read, m.write, m.cas, m.add];
            if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
                error(
                    &at("mix"),
                    format!("weights must be finite and not negative, got {weights:?}"),
                );
            } else if weights.iter().sum::<f64>() <= 0.0 {
                error(&at("mix"), "at least one weight must be above zero".into());
            }
            if let Some(rmw) = &c.read_modify_write {
                for (field, message) in rmw.problems() {
                    error(&at(&format!("read_modify_write.{field}")), message);
                }
                if self.initial_value.is_none() {
                    error(
                        &at("read_modify_write"),
                        "a compare-and-set needs a value to start from: give the store an initial_value, e.g. 0".into(),
                    );
                }
            }
            if c.retries > 100 {
                error(
                    &at("retries"),
                    format!("{} is more than 100 resends of one operation", c.retries),
                );
            }
        }
        if processes > MAX_PROCESSES as u64 {
            error(
                "clients",
                format!(
                    "{processes} processes in all, more than the {MAX_PROCESSES} a store may have"
                ),
            );
        }
        if let (Some(q), Election::Raft { .. } | Election::Lease { .. }) =
            (self.write_quorum, &self.election)
        {
            if q * 2 <= n {
                out.push(SpecProblem {
                    path: "write_quorum".into(),
                    message: format!(
                        "{q} of {n} is not a majority: two leaders on either side of a partition can both acknowledge writes"
                    ),
                    error: false,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{OpMix, Replication, StoreClientSpec};

    fn spec() -> StoreSpec {
        StoreSpec {
            replicas: 3,
            zones: vec![],
            service_time: sim_core::Distribution::Exponential {
                mean: SimDuration::from_millis(1),
            },
            workers: 1,
            election: Election::Raft {
                election_timeout_min: SimDuration::from_millis(150),
                election_timeout_max: SimDuration::from_millis(300),
                heartbeat: SimDuration::from_millis(50),
            },
            first_leader: None,
            replication: Replication::Quorum,
            write_quorum: None,
            reads: Default::default(),
            fencing: false,
            durability: Default::default(),
            clock_drift: vec![],
            keys: 1,
            initial_value: None,
            key_choice: KeyChoice::Uniform,
            idempotency_ttl: SimDuration::from_secs(60),
            clients: vec![StoreClientSpec {
                processes: 1,
                zone: None,
                think_time: sim_core::Distribution::Exponential {
                    mean: SimDuration::from_millis(10),
                },
                timeout: SimDuration::from_millis(100),
                mix: OpMix::default(),
                retries: 0,
                idempotency_keys: false,
                operations: None,
                start: SimDuration::ZERO,
                read_modify_write: None,
            }],
        }
    }

    fn errors(s: &StoreSpec) -> Vec<(String, String)> {
        s.check()
            .into_iter()
            .filter(|p| p.error)
            .map(|p| (p.path, p.message))
            .collect()
    }

    #[test]
    fn read_modify_writes_need_a_starting_value_and_a_sound_backoff() {
        let mut s = spec();
        s.clients[0].read_modify_write = Some(crate::read_modify_write::ReadModifyWrite {
            backoff: sim_backoff::Backoff::Exponential {
                base: SimDuration::from_millis(5),
                cap: SimDuration::from_secs(1),
                jitter: sim_backoff::Jitter::Full,
            },
            max_tries: 0,
        });
        let paths: Vec<String> = errors(&s).into_iter().map(|e| e.0).collect();
        assert_eq!(
            paths,
            [
                "clients.0.read_modify_write.max_tries",
                "clients.0.read_modify_write"
            ]
        );
        s.initial_value = Some(0);
        s.clients[0].read_modify_write.as_mut().unwrap().max_tries = 10;
        assert_eq!(s.check(), vec![]);
        s.clients[0].read_modify_write.as_mut().unwrap().backoff =
            sim_backoff::Backoff::Resilience4j {
                initial: SimDuration::ZERO,
                multiplier: 1.0,
                randomization: 0.0,
                max: None,
            };
        assert_eq!(
            errors(&s)[0].0,
            "clients.0.read_modify_write.backoff.initial"
        );
    }

    #[test]
    fn a_sound_spec_has_no_problems() {
        assert_eq!(spec().check(), vec![]);
    }

    #[test]
    fn a_store_without_replicas_or_with_a_quorum_beyond_them_is_refused_at_the_field() {
        let mut s = spec();
        s.replicas = 0;
        assert_eq!(errors(&s)[0].0, "replicas");
        let mut s = spec();
        s.write_quorum = Some(4);
        let e = errors(&s);
        assert_eq!(e[0].0, "write_quorum");
        assert!(e[0].1.contains("between 1 and the 3"), "{}", e[0].1);
    }

    #[test]
    fn a_lease_without_a_margin_is_refused_and_a_minority_quorum_is_flagged() {
        let mut s = spec();
        s.election = Election::Lease {
            ttl: SimDuration::from_secs(2),
            margin: SimDuration::ZERO,
            election_timeout_min: SimDuration::from_millis(150),
            election_timeout_max: SimDuration::from_millis(300),
            heartbeat: SimDuration::from_millis(50),
        };
        assert_eq!(errors(&s)[0].0, "election.margin");
        let mut s = spec();
        s.write_quorum = Some(1);
        let p = s.check();
        assert_eq!(p.len(), 1);
        assert!(!p[0].error && p[0].message.contains("not a majority"));
    }

    #[test]
    fn heartbeats_must_come_faster_than_elections_and_clients_need_a_mix() {
        let mut s = spec();
        s.election = Election::Raft {
            election_timeout_min: SimDuration::from_millis(100),
            election_timeout_max: SimDuration::from_millis(50),
            heartbeat: SimDuration::from_millis(100),
        };
        let paths: Vec<String> = errors(&s).into_iter().map(|e| e.0).collect();
        assert_eq!(
            paths,
            ["election.election_timeout_max", "election.heartbeat"]
        );
        let mut s = spec();
        s.clients[0].mix = OpMix {
            read: 0.0,
            write: 0.0,
            cas: 0.0,
            add: 0.0,
        };
        assert_eq!(errors(&s)[0].0, "clients.0.mix");
    }
}
