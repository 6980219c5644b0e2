//! A run's time series as plain numbers: the same in-memory buckets `timeseries.csv` and
//! `policies.csv` are written from, as rates per second, per service, client and policy.

use sim_core::NANOS_PER_SEC;
use sim_models::policy::ShedReason;
use sim_models::{Observer, Outcome, RunResult};

/// One service's series, one value per time bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceTrack {
    /// The service.
    pub name: String,
    /// Workers over all its instances, as configured.
    pub workers: f64,
    /// Completions per second.
    pub throughput: Vec<f64>,
    /// Successful answers per second taken by callers still waiting.
    pub goodput: Vec<f64>,
    /// Failed calls per second by kind (every kind, zeros included).
    pub errors: Vec<(String, Vec<f64>)>,
    /// Mean latency of the requests completed in the bucket, seconds (NaN: none completed).
    pub latency_s: Vec<f64>,
    /// Time-average queue length.
    pub queue_length: Vec<f64>,
    /// Time-average busy workers.
    pub busy_workers: Vec<f64>,
}

/// One client's series.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientTrack {
    /// The client.
    pub name: String,
    /// Answers per second.
    pub answered: Vec<f64>,
    /// Failed requests per second, any kind.
    pub failed: Vec<f64>,
    /// Mean end-to-end latency of the answers in the bucket, seconds (NaN: none).
    pub latency_s: Vec<f64>,
    /// p50 and p99 of the end-to-end latencies of the answers in the bucket, seconds (NaN:
    /// none).
    pub latency_p50_s: Vec<f64>,
    /// See `latency_p50_s`.
    pub latency_p99_s: Vec<f64>,
}

/// The policies of one call edge (`from → to`) or one service's server policies.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyTrack {
    /// `from → to` for an edge, the service's name for server policies.
    pub component: String,
    /// How many instances the levels are summed over (the caller's, or the service's).
    pub instances: usize,
    /// Each layer's level (time average in the bucket, summed over instances).
    pub levels: Vec<(String, Vec<f64>)>,
    /// Calls refused per second by reason: `circuit_open`, …, `budget_exhausted` for an edge;
    /// `shed_REASON` for a service.
    pub refused: Vec<(String, Vec<f64>)>,
    /// Retries (hedges included) sent per second, for an edge; empty for a service.
    pub retries: Vec<f64>,
}

/// One service's cache of one origin.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheTrack {
    /// `service → origin`.
    pub component: String,
    /// Lookups served without a fetch of their own over all lookups (NaN: no lookup).
    pub hit_ratio: Vec<f64>,
    /// Calls to the origin per second.
    pub origin_rate: Vec<f64>,
}

/// A run's time series as plain numbers: what `timeseries.csv` and `policies.csv` hold.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSeries {
    /// Bucket width, seconds.
    pub bucket_s: f64,
    /// End of the run, seconds.
    pub end_s: f64,
    /// Each bucket's start, seconds.
    pub starts: Vec<f64>,
    /// Each bucket's end (the last one may be partial), seconds.
    pub ends: Vec<f64>,
    /// Per service, in report order.
    pub services: Vec<ServiceTrack>,
    /// Per client.
    pub clients: Vec<ClientTrack>,
    /// Per call edge with policies, then per service with server policies or outlier detection.
    pub policies: Vec<PolicyTrack>,
    /// Per cache, by service then origin (what `caches.csv` holds).
    pub caches: Vec<CacheTrack>,
}

impl RunSeries {
    /// The series of a finished run.
    pub fn of<O: Observer>(result: &RunResult<O>) -> RunSeries {
        let world = &result.world;
        let end = result.end;
        let width = result.bucket_ns.max(1);
        let buckets = end.0.div_ceil(width) as usize;
        let s = |ns: u64| ns as f64 / NANOS_PER_SEC as f64;
        let starts: Vec<f64> = (0..buckets).map(|i| s(i as u64 * width)).collect();
        let ends: Vec<f64> = (0..buckets)
            .map(|i| s((i as u64 + 1).saturating_mul(width).min(end.0)))
            .collect();
        let spans: Vec<f64> = starts.iter().zip(&ends).map(|(a, b)| b - a).collect();
        let rate = |count: &dyn Fn(usize) -> f64| -> Vec<f64> {
            (0..buckets)
                .map(|i| {
                    if spans[i] > 0.0 {
                        count(i) / spans[i]
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let mean_latency = |sum: &dyn Fn(usize) -> u128, n: &dyn Fn(usize) -> u64| -> Vec<f64> {
            (0..buckets)
                .map(|i| match n(i) {
                    0 => f64::NAN,
                    n => sum(i) as f64 / n as f64 / NANOS_PER_SEC as f64,
                })
                .collect()
        };
        let statistics = world.statistics();
        let services = (world.services.iter())
            .zip(&statistics.services)
            .zip(&statistics.servers)
            .map(|((sv, calls), server)| {
                let (se, cs) = (&server.series, &calls.series);
                ServiceTrack {
                    name: sv.name.clone(),
                    workers: sv.total_workers() as f64,
                    throughput: rate(&|i| se.completed.get(i) as f64),
                    goodput: rate(&|i| cs.goodput.get(i) as f64),
                    errors: Outcome::ERRORS
                        .iter()
                        .zip(&cs.errors_by_kind)
                        .map(|(o, k)| (o.name().to_string(), rate(&|i| k.get(i) as f64)))
                        .collect(),
                    latency_s: mean_latency(&|i| se.latency_sum.get(i), &|i| se.completed.get(i)),
                    queue_length: (0..buckets).map(|i| se.queued.mean(i, end)).collect(),
                    busy_workers: (0..buckets).map(|i| se.busy.mean(i, end)).collect(),
                }
            })
            .collect();
        let clients = (world.clients.iter().zip(&world.statistics().clients))
            .map(|(c, figures)| {
                let se = &figures.series;
                ClientTrack {
                    name: c.name.clone(),
                    answered: rate(&|i| se.completed.get(i) as f64),
                    failed: rate(&|i| se.errors.get(i) as f64),
                    latency_s: mean_latency(&|i| se.latency_sum.get(i), &|i| se.completed.get(i)),
                    latency_p50_s: quantile_s(&se.latency_quantiles, 0),
                    latency_p99_s: quantile_s(&se.latency_quantiles, 2),
                }
            })
            .collect();

        let mut policies = Vec::new();
        let reasons: Vec<&str> = Outcome::LOCAL_REJECTIONS
            .iter()
            .map(|o| o.name())
            .chain(["budget_exhausted"])
            .collect();
        for (e, edge) in world.edges.iter().enumerate() {
            if !edge.policies {
                continue;
            }
            let to = &world.services[edge.to].name;
            let instances = if edge.from_client {
                1
            } else {
                world
                    .services
                    .iter()
                    .find(|s| s.name == edge.from)
                    .map_or(1, |s| s.instances.len())
            };
            policies.push(PolicyTrack {
                component: format!("{} → {to}", edge.from),
                instances,
                levels: world.policy_levels[e]
                    .iter()
                    .filter(|p| p.reported)
                    .map(|p| {
                        let v = (0..buckets)
                            .map(|i| p.series.mean(i, end) / 1000.0)
                            .collect();
                        (p.layer.clone(), v)
                    })
                    .collect(),
                refused: reasons
                    .iter()
                    .zip(&world.statistics().rejection_series[e])
                    .map(|(r, series)| (r.to_string(), rate(&|i| series.get(i) as f64)))
                    .collect(),
                retries: rate(&|i| world.statistics().retry_series[e].get(i) as f64),
            });
        }
        for (sv, server) in world
            .services
            .iter()
            .zip(&statistics.servers)
            .filter(|(s, _)| {
                !s.server_levels.is_empty()
                    || s.ejected_level().is_some()
                    || !s.ops_levels().is_empty()
            })
        {
            policies.push(PolicyTrack {
                component: sv.name.clone(),
                instances: sv.instances.len(),
                levels: sv
                    .server_levels
                    .iter()
                    .chain(sv.ejected_level())
                    .chain(sv.ops_levels())
                    .filter(|p| p.reported)
                    .map(|p| {
                        let v = (0..buckets)
                            .map(|i| p.series.mean(i, end) / 1000.0)
                            .collect();
                        (p.layer.clone(), v)
                    })
                    .collect(),
                refused: ShedReason::ALL
                    .iter()
                    .map(|&r| {
                        let series = &server.series.shed[r as usize];
                        (
                            format!("shed_{}", r.name()),
                            rate(&|i| series.get(i) as f64),
                        )
                    })
                    .collect(),
                retries: Vec::new(),
            });
        }
        let caches = world
            .services
            .iter()
            .flat_map(|sv| sv.caches().iter().map(move |c| (sv, c)))
            .map(|(sv, c)| CacheTrack {
                component: format!("{} → {}", sv.name, c.of),
                hit_ratio: (0..buckets)
                    .map(|i| match c.series.lookups.get(i) {
                        0 => f64::NAN,
                        n => c.series.served.get(i) as f64 / n as f64,
                    })
                    .collect(),
                origin_rate: rate(&|i| c.series.origin.get(i) as f64),
            })
            .collect();
        RunSeries {
            bucket_s: s(width),
            end_s: s(end.0),
            starts,
            ends,
            services,
            clients,
            policies,
            caches,
        }
    }

    /// Each bucket's middle: where a line puts the bucket's value.
    pub fn mids(&self) -> Vec<f64> {
        self.starts
            .iter()
            .zip(&self.ends)
            .map(|(a, b)| (a + b) / 2.0)
            .collect()
    }

    pub(super) fn points(&self, values: &[f64]) -> Vec<(f64, f64)> {
        self.mids()
            .into_iter()
            .zip(values.iter().copied())
            .collect()
    }

    /// Staircase points: each value from its bucket's start, the last held to the end.
    pub(super) fn steps(&self, values: &[f64]) -> Vec<(f64, f64)> {
        let mut p: Vec<(f64, f64)> = self
            .starts
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect();
        if let Some(&v) = values.last() {
            p.push((self.end_s, v));
        }
        p
    }
}

/// Quantile `q` (0: p50, 1: p90, 2: p99) of each bucket of `series`, in seconds (NaN: none).
fn quantile_s(series: &sim_core::QuantileSeries, q: usize) -> Vec<f64> {
    (0..series.len())
        .map(|i| series.get(i).map_or(f64::NAN, |v| v[q] as f64 / 1e9))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::tests::{run, BREAKER};

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn the_series_are_the_numbers_of_the_csv_files() {
        let (result, _) = run(BREAKER, &[]);
        let series = RunSeries::of(&result);
        assert_eq!(series.starts.len(), 20);
        let csv = result.timeseries_csv();
        let mut rows = 0;
        for line in csv.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let bucket = (f[0].parse::<f64>().unwrap() / series.bucket_s).round() as usize;
            let num = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
            if f[2] == "service" {
                let s = series.services.iter().find(|s| s.name == f[1]).unwrap();
                assert!(close(s.throughput[bucket], num(6)), "{line}");
                assert!(close(s.goodput[bucket], num(7)), "{line}");
                assert!(close(s.latency_s[bucket], num(8)), "{line}");
                assert!(close(s.queue_length[bucket], num(9)), "{line}");
                assert!(close(s.busy_workers[bucket], num(10)), "{line}");
            } else {
                let c = series.clients.iter().find(|c| c.name == f[1]).unwrap();
                assert!(close(c.answered[bucket], num(6)), "{line}");
                assert!(close(c.latency_s[bucket], num(8)), "{line}");
            }
            rows += 1;
        }
        assert_eq!(rows, 20 * 3);
        let edge = &series.policies[0];
        assert_eq!((edge.component.as_str(), edge.instances), ("api → db", 2));
        for line in result.policies_csv().lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let bucket = f[0].parse::<usize>().unwrap();
            let v: f64 = f[3].parse().unwrap();
            if f[2] == "circuit_breaker" {
                assert!(close(edge.levels[0].1[bucket], v), "{line}");
            } else if let Some(reason) = f[2].strip_prefix("rejected_") {
                let (_, r) = edge.refused.iter().find(|(r, _)| r == reason).unwrap();
                assert!(close(r[bucket], v), "{line}"); // 1 s buckets: per bucket = per second
            }
        }
    }
}
