//! What a run reports: the summary (JSON, tables) and the time series (CSV).
//!
//! All times are in seconds. The summary is a pure function of the scenario and the seed: no
//! wall-clock figure ever goes into it, so identical inputs give byte-identical JSON.

use crate::ids::ServiceId;
use crate::outcome::Outcome;
use crate::policy::{PolicyLevel, ShedReason};
use crate::service::OpsLevel;
use crate::world::World;
use serde::{Deserialize, Serialize};
use sim_core::{Histogram, SimTime, StopReason, NANOS_PER_SEC};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The summary of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// The seed the run used.
    pub seed: u64,
    /// Simulated time at the end of the run.
    pub sim_time_s: f64,
    /// Length of the warm-up excluded from the statistics.
    pub warmup_s: f64,
    /// Length of the measurement window (end − warm-up).
    pub measured_s: f64,
    /// Events processed.
    pub events: u64,
    /// Why the run ended.
    pub stop: StopSummary,
    /// Requests still in flight at the end (neither answered nor rejected).
    pub in_flight_at_end: u64,
    /// Every request's fate over the whole run, warm-up included: `sent` equals `completed` plus
    /// the errors plus `in_flight_at_end` (conservation).
    pub totals: TotalsReport,
    /// Per client, by name.
    pub clients: BTreeMap<String, ClientReport>,
    /// Per service, by name.
    pub services: BTreeMap<String, ServiceReport>,
    /// Per call edge (caller → callee), clients' edges first.
    pub edges: Vec<EdgeReport>,
    /// The edge that carries the most attempts per request the users sent (see
    /// [`EdgeReport::per_user_request`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplification: Option<crate::amplification::AmplificationReport>,
    /// What the network did over the whole run.
    pub network: NetworkReport,
    /// Per SLO, by name: the error budget spent and when the burn-rate alerts fired.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub slos: BTreeMap<String, crate::slo::SloReport>,
    /// Per store, by name: what its clients saw and what its replicas did.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stores: BTreeMap<String, sim_store::StoreReport>,
}

/// One caller → callee edge over the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeReport {
    /// The caller: a client or a service.
    pub from: String,
    /// The service called.
    pub to: String,
    /// Original requests.
    pub requests: u64,
    /// Attempts sent (retries and hedges included).
    pub attempts: u64,
    /// Attempts per original request.
    pub amplification: f64,
    /// Attempts per request sent by the clients whose requests can reach this edge: its
    /// end-to-end amplification (absent if they sent none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_user_request: Option<f64>,
    /// Calls answered successfully while the caller waited (with policies: in the end, after
    /// any retries).
    pub completed: u64,
    /// Failed calls by kind, as the caller saw them.
    pub errors: BTreeMap<String, u64>,
    /// Attempts the caller stopped waiting for (a fan-out had enough, a sibling failed, the
    /// caller crashed).
    pub abandoned: u64,
    /// Answers that came after the caller stopped waiting.
    pub late: u64,
    /// Calls a fallback answered (counted apart from `completed` and from `errors`).
    pub fallbacks: u64,
    /// Retries sent.
    pub retries: u64,
    /// Attempts the caller's own policies refused, by reason (`circuit_open`,
    /// `bulkhead_full`, `rate_limited`, `throttled`), and retries a budget refused
    /// (`budget_exhausted`).
    pub rejections: BTreeMap<String, u64>,
    /// Each policy layer's level (breaker state 0/1/2, budget tokens, calls in a bulkhead,
    /// permissions left), summed over the caller's instances: time-weighted mean over the
    /// measurement window, and at the end.
    pub policies: Vec<PolicyLevelReport>,
}

/// One policy layer's level on one edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyLevelReport {
    /// The layer.
    pub layer: String,
    /// Time-weighted mean over the measurement window.
    pub mean: f64,
    /// At the end of the run.
    pub end: f64,
}

/// What the network did over the whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkReport {
    /// Messages sent (requests and answers) through a non-ideal network.
    pub messages: u64,
    /// Messages lost.
    pub lost: u64,
    /// Requests delivered twice.
    pub duplicated: u64,
    /// Messages a partition held until it healed (`Partition(hold: true)`); left out of the
    /// JSON when none were.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub held: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Requests by fate over the whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TotalsReport {
    /// Requests sent by all clients.
    pub sent: u64,
    /// Requests answered.
    pub completed: u64,
    /// Requests failed, by kind.
    pub errors: BTreeMap<String, u64>,
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopSummary {
    /// `end_time`, `no_more_events`, `max_events`, `max_in_flight`, `wall_clock` or `no_progress`.
    pub reason: String,
    /// Whether the run reached its planned end.
    pub complete: bool,
    /// The reason in words.
    pub message: String,
}

/// Latency percentiles, in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// Exact mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Exact maximum.
    pub max: f64,
}

/// Queueing delay before service, in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitReport {
    /// Exact mean.
    pub mean: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// One service's figures over the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    /// Workers per instance.
    pub workers: u32,
    /// Requests that reached an instance, refused ones included.
    pub arrivals: u64,
    /// Requests its instances finished successfully, whether or not anyone still waited.
    pub completed: u64,
    /// Successful answers received by callers still waiting.
    pub succeeded: u64,
    /// Requests refused because the chosen instance was full (also in `errors`).
    pub rejected: u64,
    /// Calls to it that failed, by kind, as their callers saw them: `rejected`, `unavailable`,
    /// `crashed`, `injected`, `timeout`, `expired`, `corrupted`, `dependency`.
    pub errors: BTreeMap<String, u64>,
    /// Completions per second (work done, useful or not).
    pub throughput: f64,
    /// Successful answers per second received by callers still waiting: useful work.
    pub goodput: f64,
    /// Successful answers nobody used (the caller had given up, or the answer was lost).
    pub wasted: u64,
    /// Requests swallowed by a black hole.
    pub black_holed: u64,
    /// Requests dropped unserved because their deadline had passed.
    pub dropped_expired: u64,
    /// Mean fraction of workers busy.
    pub utilization: f64,
    /// Time-average number of requests waiting (Lq).
    pub mean_queue_length: f64,
    /// Time-average number of requests present, waiting or in service (L).
    pub mean_in_system: f64,
    /// Longest queue seen.
    pub max_queue_length: u64,
    /// Arrival to completion.
    pub latency: LatencyReport,
    /// Arrival to start of service.
    pub wait: WaitReport,
    /// Each instance's share, in instance order.
    pub instances: Vec<InstanceReport>,
    /// Requests its server policies shed, by reason.
    pub shed: BTreeMap<String, u64>,
    /// Each server policy's level (summed over instances), if any reports one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_policies: Vec<PolicyLevelReport>,
    /// Outlier detection's ejections by reason (with `overflow`: ejections the maximum
    /// ejection percentage refused) and the instances ejected over time, if it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<OutlierReport>,
    /// What its health check and liveness probe did, if it has either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthReport>,
    /// What its autoscaler did, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingReport>,
    /// Its caches, by origin, if its steps read any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub caches: BTreeMap<String, crate::cache::CacheReport>,
    /// The sagas it orchestrates, by name, over the whole run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sagas: BTreeMap<String, crate::saga::SagaReport>,
}

/// What a service's autoscaler did over the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutoscalingReport {
    /// Syncs that added instances, and that removed some.
    pub scale_ups: u64,
    /// Syncs that removed instances.
    pub scale_downs: u64,
    /// Instances that started provisioning.
    pub provisioned: u64,
    /// Instances stopped after draining.
    pub terminated: u64,
    /// Instances serving: time-weighted mean and at the end.
    pub replicas: PolicyLevelReport,
    /// The replicas the autoscaler wanted: time-weighted mean and at the end.
    pub desired: PolicyLevelReport,
    /// Seconds during which instances it asked for were still provisioning (its lag).
    pub under_provisioned_s: f64,
    /// Calls to the service that ended during those seconds, as callers saw them, and the
    /// share of them that failed: what the lag cost the service's objective.
    pub calls_under_provisioned: u64,
    /// See `calls_under_provisioned`.
    pub failed_under_provisioned: u64,
}

/// What a service's health check and liveness probe did over the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// Health-check probes answered in time and failed.
    pub readiness_probes: ProbeCounts,
    /// Liveness probes answered in time and failed.
    pub liveness_probes: ProbeCounts,
    /// Restarts the liveness probe ordered.
    pub restarts: u64,
    /// Instance-seconds spent marked unhealthy by the health check.
    pub unhealthy_s: f64,
    /// Instance-seconds spent down for a restart.
    pub restarting_s: f64,
    /// Requests the balancer sent to instances marked unhealthy (in panic mode).
    pub sent_to_unhealthy: u64,
    /// Instances unhealthy and restarting: time-weighted mean and at the end.
    pub levels: Vec<PolicyLevelReport>,
}

/// Probes by result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCounts {
    /// Answered within the timeout.
    pub ok: u64,
    /// Refused, or not answered within the timeout.
    pub failed: u64,
}

/// What outlier detection did at a service's load balancer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutlierReport {
    /// Ejections by reason since the start of the run.
    pub ejections: BTreeMap<String, u64>,
    /// Instances ejected: time-weighted mean over the measurement window, and at the end.
    pub ejected: PolicyLevelReport,
}

/// One instance's figures over the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceReport {
    /// Requests the load balancer sent it.
    pub arrivals: u64,
    /// Requests it served to completion.
    pub completed: u64,
    /// Mean fraction of its configured workers busy.
    pub utilization: f64,
}

/// One client's end-to-end figures over the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientReport {
    /// `open` or `closed`.
    pub kind: String,
    /// Requests sent.
    pub sent: u64,
    /// Requests answered.
    pub completed: u64,
    /// Requests refused because a service was full (also in `errors`).
    pub rejected: u64,
    /// Requests that failed, by kind (see [`ServiceReport::errors`]).
    pub errors: BTreeMap<String, u64>,
    /// Answers per second.
    pub throughput: f64,
    /// Sending to answer, answered requests only.
    pub latency: LatencyReport,
}

/// The levels of the layers that report one.
fn level_reports(levels: &[PolicyLevel], end: SimTime) -> Vec<PolicyLevelReport> {
    levels
        .iter()
        .filter(|p| p.reported)
        .map(|p| PolicyLevelReport {
            layer: p.layer.clone(),
            mean: p.gauge.mean(end) / 1000.0,
            end: p.level,
        })
        .collect()
}

/// Counts of each error kind, by name.
fn by_kind(count: impl Fn(Outcome) -> u64) -> BTreeMap<String, u64> {
    Outcome::ERRORS
        .iter()
        .map(|&o| (o.name().to_string(), count(o)))
        .collect()
}

fn secs(ns: u64) -> f64 {
    ns as f64 / NANOS_PER_SEC as f64
}

impl LatencyReport {
    /// Percentiles of a histogram of nanoseconds.
    pub fn from_histogram(h: &Histogram) -> Self {
        LatencyReport {
            mean: h.mean() / NANOS_PER_SEC as f64,
            p50: secs(h.quantile(0.5)),
            p90: secs(h.quantile(0.9)),
            p99: secs(h.quantile(0.99)),
            p999: secs(h.quantile(0.999)),
            max: secs(h.max()),
        }
    }
}

impl<O: crate::observer::Observer> World<O> {
    /// The summary at `end`, after `events` events, stopped for `stop`.
    pub fn report(
        &self,
        scenario: &str,
        seed: u64,
        end: SimTime,
        events: u64,
        stop: &StopReason,
    ) -> Report {
        let measured = end.since(self.measured_from).as_secs_f64();
        let per_sec = |n: u64| {
            if measured > 0.0 {
                n as f64 / measured
            } else {
                0.0
            }
        };
        let services = self
            .services
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let server = &self.statistics().servers[index];
                let st = &server.stats;
                let calls = &self.statistics().services[index];
                let busy = st.busy.mean(end);
                let queued = st.queued.mean(end);
                let parked = st.parked.mean(end);
                let r = ServiceReport {
                    workers: s.workers,
                    arrivals: st.arrivals,
                    completed: st.completed,
                    succeeded: calls.outcome(Outcome::Completed),
                    rejected: calls.outcome(Outcome::Rejected),
                    errors: by_kind(|o| calls.outcome(o)),
                    throughput: per_sec(st.completed),
                    goodput: per_sec(calls.outcome(Outcome::Completed)),
                    wasted: calls.wasted,
                    black_holed: st.black_holed,
                    dropped_expired: st.dropped_expired,
                    utilization: busy / s.mean_workers(end),
                    mean_queue_length: queued,
                    mean_in_system: queued + busy + parked,
                    max_queue_length: st.queued.peak(),
                    latency: LatencyReport::from_histogram(&st.latency),
                    wait: WaitReport {
                        mean: st.wait.mean() / NANOS_PER_SEC as f64,
                        p99: secs(st.wait.quantile(0.99)),
                    },
                    instances: (s.instances.iter().zip(&server.instances))
                        .map(|(i, figures)| InstanceReport {
                            arrivals: figures.arrivals,
                            completed: figures.completed,
                            utilization: if s.instances.len() == 1 {
                                busy
                            } else {
                                figures.busy.mean(end)
                            } / i.base_workers as f64,
                        })
                        .collect(),
                    shed: ShedReason::ALL
                        .iter()
                        .map(|r| (r.name().to_string(), st.shed[*r as usize]))
                        .collect(),
                    server_policies: level_reports(&s.server_levels, end),
                    outlier_detection: s.ejections().zip(s.ejected_level()).map(|(e, l)| {
                        OutlierReport {
                            ejections: [
                                ("consecutive_5xx", e.consecutive_5xx),
                                ("consecutive_gateway_failure", e.consecutive_gateway_failure),
                                ("success_rate", e.success_rate),
                                ("failure_percentage", e.failure_percentage),
                                ("overflow", e.overflow),
                            ]
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                            ejected: level_reports(std::slice::from_ref(l), end).remove(0),
                        }
                    }),
                    health: s.health().map(|h| {
                        let levels = [OpsLevel::Unhealthy, OpsLevel::Restarting]
                            .into_iter()
                            .filter_map(|k| s.ops_level(k))
                            .flat_map(|l| level_reports(std::slice::from_ref(l), end))
                            .collect();
                        let seconds = |kind: OpsLevel| {
                            s.ops_level(kind)
                                .map_or(0.0, |l| l.gauge.mean(end) / 1000.0 * measured)
                        };
                        HealthReport {
                            readiness_probes: ProbeCounts {
                                ok: h.ok[0],
                                failed: h.failed[0],
                            },
                            liveness_probes: ProbeCounts {
                                ok: h.ok[1],
                                failed: h.failed[1],
                            },
                            restarts: h.restarts,
                            unhealthy_s: seconds(OpsLevel::Unhealthy),
                            restarting_s: seconds(OpsLevel::Restarting),
                            sent_to_unhealthy: h.sent_to_unhealthy,
                            levels,
                        }
                    }),
                    autoscaling: s.scaling().map(|a| {
                        let level = |kind: OpsLevel| {
                            let l = s.ops_level(kind).expect("an autoscaler keeps its levels");
                            level_reports(std::slice::from_ref(l), end).remove(0)
                        };
                        AutoscalingReport {
                            scale_ups: a.scale_ups,
                            scale_downs: a.scale_downs,
                            provisioned: a.provisioned,
                            terminated: a.terminated,
                            replicas: level(OpsLevel::Replicas),
                            desired: level(OpsLevel::Desired),
                            under_provisioned_s: s.lag_at(end).as_secs_f64(),
                            calls_under_provisioned: a.calls_under_provisioned,
                            failed_under_provisioned: a.failed_under_provisioned,
                        }
                    }),
                    caches: s
                        .caches()
                        .iter()
                        .map(|c| (c.of.clone(), c.report(measured)))
                        .collect(),
                    sagas: s
                        .program
                        .sagas
                        .iter()
                        .enumerate()
                        .map(|(k, def)| {
                            let r = self.sagas.report(ServiceId::new(index), k as u8, def);
                            (def.name.clone(), r)
                        })
                        .collect(),
                };
                (s.name.clone(), r)
            })
            .collect();
        let names: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
        let stats = self.statistics();
        let sent: Vec<u64> = stats.clients.iter().map(|c| c.stats.sent).collect();
        let attempts: Vec<u64> = stats.edges.iter().map(|e| e.attempts).collect();
        let per_user = crate::amplification::per_user_request(
            &self.edges,
            &attempts,
            &names,
            &self.client_edges,
            &sent,
        );
        let clients = (self.clients.iter().zip(&self.statistics().clients))
            .map(|(c, figures)| {
                let st = &figures.stats;
                let r = ClientReport {
                    kind: c.kind_name().to_string(),
                    sent: st.sent,
                    completed: st.completed(),
                    rejected: st.count(Outcome::Rejected),
                    errors: by_kind(|o| st.count(o)),
                    throughput: per_sec(st.completed()),
                    latency: LatencyReport::from_histogram(&st.latency),
                };
                (c.name.clone(), r)
            })
            .collect();
        Report {
            scenario: scenario.to_string(),
            seed,
            sim_time_s: end.as_secs_f64(),
            warmup_s: self.measured_from.as_secs_f64(),
            measured_s: measured,
            events,
            stop: StopSummary {
                reason: stop.name().to_string(),
                complete: stop.is_complete(),
                message: stop.to_string(),
            },
            in_flight_at_end: self.in_flight() as u64,
            totals: TotalsReport {
                sent: self.totals.sent,
                completed: self.totals.ended(Outcome::Completed),
                errors: by_kind(|o| self.totals.ended(o)),
            },
            clients,
            services,
            amplification: crate::amplification::largest(&self.edges, &names, &per_user),
            edges: self
                .edges
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let st = &self.statistics().edges[i];
                    EdgeReport {
                        per_user_request: per_user[i],
                        from: e.from.clone(),
                        to: self.services[e.to].name.clone(),
                        requests: st.requests,
                        attempts: st.attempts,
                        amplification: if st.requests > 0 {
                            st.attempts as f64 / st.requests as f64
                        } else {
                            0.0
                        },
                        completed: st.outcomes[Outcome::Completed as usize],
                        errors: by_kind(|o| st.outcomes[o as usize]),
                        abandoned: st.abandoned,
                        late: st.late,
                        fallbacks: st.outcomes[Outcome::Fallback as usize],
                        retries: st.retries,
                        rejections: Outcome::LOCAL_REJECTIONS
                            .iter()
                            .zip(st.local_rejections)
                            .map(|(o, n)| (o.name().to_string(), n))
                            .chain([("budget_exhausted".to_string(), st.budget_exhausted)])
                            .collect(),
                        policies: level_reports(&self.policy_levels[i], end),
                    }
                })
                .collect(),
            slos: {
                let faults: Vec<(String, SimTime)> = self
                    .faults
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let on = f
                            .service
                            .map(|s| format!(" ({})", self.services[s].name))
                            .unwrap_or_default();
                        (format!("faults.{i}{on}"), f.start)
                    })
                    .collect();
                self.statistics()
                    .slos
                    .iter()
                    .map(|t| {
                        let r = t.report(self.measured_from, end, &faults);
                        (t.spec.name.clone(), r)
                    })
                    .collect()
            },
            stores: BTreeMap::new(), // the stores' figures are added by `run::finish`
            network: NetworkReport {
                messages: self.network.stats.messages,
                lost: self.network.stats.lost,
                duplicated: self.network.stats.duplicated,
                held: self.network.stats.held,
            },
        }
    }

    /// The time series as CSV, one row per bucket per component, up to `end`.
    ///
    /// Columns: `time_s` (bucket start), `component`, `kind` (`service` or `client`), `arrivals`
    /// (sent, for clients), `completed`, `errors` (failed, any kind), `throughput` (completed per
    /// second), `goodput` (successful answers per second to callers still waiting),
    /// `latency_mean_s` (of requests completed in the bucket; empty if none), `queue_length` and
    /// `busy_workers` (time averages), `wasted` (successful answers nobody used), then one
    /// `errors_<kind>` column per error kind. Service-only columns are empty for clients.
    pub fn timeseries_csv(&self, end: SimTime, bucket_ns: u64) -> String {
        let mut out = String::from("time_s,component,kind,arrivals,completed,errors,throughput,goodput,latency_mean_s,queue_length,busy_workers,wasted");
        for o in Outcome::ERRORS {
            let _ = write!(out, ",errors_{}", o.name());
        }
        out.push('\n');
        let buckets = end.0.div_ceil(bucket_ns.max(1)) as usize;
        let width_s = bucket_ns as f64 / NANOS_PER_SEC as f64;
        let lat = |sum: u128, n: u64| {
            if n == 0 {
                String::new()
            } else {
                format!("{}", sum as f64 / n as f64 / NANOS_PER_SEC as f64)
            }
        };
        let client_blanks = ",".repeat(Outcome::ERRORS.len());
        for i in 0..buckets {
            let t = i as f64 * width_s;
            // The last bucket may be partial: rates use the part of it that was simulated.
            let start = (i as u64).saturating_mul(bucket_ns);
            let span = (i as u64 + 1).saturating_mul(bucket_ns).min(end.0) - start;
            let span_s = span as f64 / NANOS_PER_SEC as f64;
            let statistics = self.statistics();
            for ((s, calls), server) in (self.services.iter())
                .zip(&statistics.services)
                .zip(&statistics.servers)
            {
                let (se, cs) = (&server.series, &calls.series);
                let done = se.completed.get(i);
                let _ = write!(
                    out,
                    "{t},{},service,{},{done},{},{},{},{},{},{},{}",
                    s.name,
                    se.arrivals.get(i),
                    cs.errors.get(i),
                    done as f64 / span_s,
                    cs.goodput.get(i) as f64 / span_s,
                    lat(se.latency_sum.get(i), done),
                    se.queued.mean(i, end),
                    se.busy.mean(i, end),
                    cs.wasted.get(i),
                );
                for k in &cs.errors_by_kind {
                    let _ = write!(out, ",{}", k.get(i));
                }
                out.push('\n');
            }
            for (c, figures) in self.clients.iter().zip(&self.statistics().clients) {
                let se = &figures.series;
                let done = se.completed.get(i);
                let _ = writeln!(
                    out,
                    "{t},{},client,{},{done},{},{},{},{},,,{client_blanks}",
                    c.name,
                    se.sent.get(i),
                    se.errors.get(i),
                    done as f64 / span_s,
                    done as f64 / span_s,
                    lat(se.latency_sum.get(i), done),
                );
            }
        }
        out
    }

    /// The caches' time series as CSV, one row per bucket and cache, up to `end`:
    /// `time_s,service,cache,lookups,served,origin_calls,hit_ratio,origin_rate` — lookups,
    /// those served without a fetch of their own, calls to the origin, their ratio (empty
    /// with no lookup) and origin calls per second. `None` if no service has a cache.
    pub fn caches_csv(&self, end: SimTime, bucket_ns: u64) -> Option<String> {
        if self.services.iter().all(|s| s.caches().is_empty()) {
            return None;
        }
        let mut out = String::from(
            "time_s,service,cache,lookups,served,origin_calls,hit_ratio,origin_rate\n",
        );
        let buckets = end.0.div_ceil(bucket_ns.max(1)) as usize;
        for i in 0..buckets {
            let start = (i as u64).saturating_mul(bucket_ns);
            let span = (i as u64 + 1).saturating_mul(bucket_ns).min(end.0) - start;
            let t = start as f64 / NANOS_PER_SEC as f64;
            let span_s = span as f64 / NANOS_PER_SEC as f64;
            for s in &self.services {
                for c in s.caches() {
                    c.csv_row(&s.name, i, t, span_s, &mut out);
                }
            }
        }
        Some(out)
    }

    /// The policies' time series as CSV in long form, one row per bucket, component and
    /// series, up to `end`: `time_s,component,series,value`. For each call edge with
    /// policies (component `from->to`): each layer's level (its time average in the bucket,
    /// summed over caller instances: breaker state 0/1/2, budget tokens, calls in a bulkhead,
    /// a concurrency limit) and the calls refused per bucket, as `rejected_<reason>` (circuit
    /// open, bulkhead full, rate limited, throttled, budget exhausted). For each service with
    /// server policies: each layer's level and `shed_<reason>` per bucket.
    pub fn policies_csv(&self, end: SimTime, bucket_ns: u64) -> String {
        let mut out = String::from("time_s,component,series,value\n");
        let buckets = end.0.div_ceil(bucket_ns.max(1)) as usize;
        let width_s = bucket_ns as f64 / NANOS_PER_SEC as f64;
        let reasons: Vec<String> = Outcome::LOCAL_REJECTIONS
            .iter()
            .map(|o| o.name())
            .chain(["budget_exhausted"])
            .map(|r| format!("rejected_{r}"))
            .collect();
        for i in 0..buckets {
            let t = i as f64 * width_s;
            for (e, edge) in self.edges.iter().enumerate() {
                if !edge.policies {
                    continue;
                }
                let name = format!("{}->{}", edge.from, self.services[edge.to].name);
                for p in self.policy_levels[e].iter().filter(|p| p.reported) {
                    let v = p.series.mean(i, end) / 1000.0;
                    let _ = writeln!(out, "{t},{name},{},{v}", p.layer);
                }
                for (r, series) in reasons.iter().zip(&self.statistics().rejection_series[e]) {
                    let _ = writeln!(out, "{t},{name},{r},{}", series.get(i));
                }
                let _ = writeln!(
                    out,
                    "{t},{name},retries,{}",
                    self.statistics().retry_series[e].get(i)
                );
            }
            for (s, server) in (self.services.iter())
                .zip(&self.statistics().servers)
                .filter(|(s, _)| {
                    !s.server_levels.is_empty()
                        || s.ejected_level().is_some()
                        || !s.ops_levels().is_empty()
                })
            {
                for p in s
                    .server_levels
                    .iter()
                    .chain(s.ejected_level())
                    .chain(s.ops_levels())
                    .filter(|p| p.reported)
                {
                    let v = p.series.mean(i, end) / 1000.0;
                    let _ = writeln!(out, "{t},{},{},{v}", s.name, p.layer);
                }
                for r in ShedReason::ALL {
                    let _ = writeln!(
                        out,
                        "{t},{},shed_{},{}",
                        s.name,
                        r.name(),
                        server.series.shed[r as usize].get(i)
                    );
                }
            }
        }
        out
    }
}
