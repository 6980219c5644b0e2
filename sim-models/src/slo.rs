//! Service-level objectives on a client's requests, the error budget they leave, and when the
//! SRE workbook's multi-window, multi-burn-rate alerts would have fired — scaled to the run.
//!
//! An SLO counts each request a client's user sees end as good or bad: for `Availability`,
//! good if it succeeded; for `Latency`, good if it succeeded within the threshold. The *burn
//! rate* over a window is the window's bad share divided by the budget `1 − objective`: 1 spends
//! the budget exactly over the SLO period. The workbook (chapter 5, "Alerting on SLOs") pages
//! when the burn rate is at least 14.4 over both 1 h and 5 min, and opens a ticket at 6 over
//! both 6 h and 30 min, for a 30-day period. Here the period is the run's measurement window
//! unless the SLO names one, and every window is scaled by period / 30 days, so a five-minute
//! run has the alerting of a month, compressed.
//!
//! Requests are counted in fixed slices of a 43,200th of the period (a fifth of the shortest
//! window) or of the measurement window if that is shorter, so the alert windows are exact to
//! a slice; the slices are the SLO's own, kept whether or not time series are.

use crate::call::Outcome;
use crate::ids::ClientId;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};

/// What an SLO promises.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// This percentage of requests succeed.
    Availability(f64),
    /// This percentage of requests succeed within `threshold`.
    Latency {
        /// The latency a good request stays within.
        threshold: SimDuration,
        /// The percentage.
        percent: f64,
    },
}

/// An SLO as a scenario writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    /// Its name in the report.
    pub name: String,
    /// The client whose requests it counts.
    pub client: String,
    /// What it promises.
    pub objective: Objective,
    /// The SLO period the alert windows are scaled from (default: the run's measurement
    /// window).
    #[serde(default)]
    pub period: Option<SimDuration>,
}

impl SloSpec {
    /// The share of requests that must be good, in (0, 1).
    pub fn target(&self) -> f64 {
        match self.objective {
            Objective::Availability(p) | Objective::Latency { percent: p, .. } => p / 100.0,
        }
    }
}

/// Slices per SLO period.
pub(crate) const SLICES: u64 = 43_200;
/// The workbook's alerts: name, burn-rate threshold, long and short windows for a 30-day
/// period.
const ALERTS: [(&str, f64, u64, u64); 2] =
    [("page", 14.4, 3_600, 300), ("ticket", 6.0, 21_600, 1_800)];
const THIRTY_DAYS: f64 = 30.0 * 86_400.0;

/// The slice width, ns: a 43,200th of the period or of the measurement window, whichever is
/// shorter (so a month-long period still resolves a short run), but never so fine that the
/// run holds more than a hundred periods' worth of slices.
pub(crate) fn slice_of(period: SimDuration, measured: SimDuration, duration: SimDuration) -> u64 {
    let span = period
        .as_nanos()
        .min(measured.as_nanos())
        .max(duration.as_nanos() / 100);
    (span / SLICES).max(1)
}

/// Range checks of an SLO, given the run's measurement window: `(field, message)` pairs.
pub fn check_slo(spec: &SloSpec, measured: SimDuration) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (field, p) = match spec.objective {
        Objective::Availability(p) => ("objective", p),
        Objective::Latency { threshold, percent } => {
            if threshold == SimDuration::ZERO {
                out.push((
                    "objective.threshold".into(),
                    "must be longer than zero".into(),
                ));
            }
            ("objective.percent", percent)
        }
    };
    if !(p.is_finite() && p > 0.0 && p < 100.0) {
        out.push((
            field.into(),
            format!("is a percentage of good requests in (0, 100), e.g. 99.9; got {p}"),
        ));
    }
    if spec.period == Some(SimDuration::ZERO) {
        out.push((
            "period".into(),
            format!(
                "must be longer than zero (leave it out for the measurement window, {measured})"
            ),
        ));
    }
    out
}

/// One alert's burn rate over its long window for a chart: its name, the rate at which it
/// fires, and (seconds, burn rate) points.
pub type BurnSeries = (String, f64, Vec<(f64, f64)>);

/// One SLO's counts during a run.
#[derive(Clone, Debug, PartialEq)]
pub struct SloTrack {
    /// Its spec.
    pub spec: SloSpec,
    /// The client it counts.
    pub(crate) client: ClientId,
    /// The SLO period the windows scale from.
    period: SimDuration,
    /// Slice width.
    slice: SimDuration,
    /// Good and bad requests per slice, from the start of the run.
    counts: Vec<(u32, u32)>,
}

impl SloTrack {
    /// The track of `spec` on client `client`, over a run of `duration` whose measurement
    /// window is `measured`.
    pub(crate) fn new(
        spec: SloSpec,
        client: ClientId,
        duration: SimDuration,
        measured: SimDuration,
    ) -> Self {
        let period = spec.period.unwrap_or(measured);
        let slice = SimDuration(slice_of(period, measured, duration));
        let slices = (duration.as_nanos() / slice.as_nanos() + 1) as usize;
        SloTrack {
            spec,
            client,
            period,
            slice,
            counts: vec![(0, 0); slices],
        }
    }

    /// The same track with nothing counted yet.
    pub(crate) fn cleared(&self) -> SloTrack {
        SloTrack {
            counts: vec![(0, 0); self.counts.len()],
            ..self.clone()
        }
    }

    /// A request of its client ended at `now` with `outcome`, `latency` after it was sent.
    #[inline]
    pub(crate) fn record(&mut self, now: SimTime, outcome: Outcome, latency: SimDuration) {
        let good = outcome == Outcome::Completed
            && match self.spec.objective {
                Objective::Availability(_) => true,
                Objective::Latency { threshold, .. } => latency <= threshold,
            };
        let i = ((now.0 / self.slice.as_nanos()) as usize).min(self.counts.len() - 1);
        let c = &mut self.counts[i];
        if good {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }

    /// Its report over `[from, end)`, with `faults` (label, start) to time the detection of.
    pub(crate) fn report(
        &self,
        from: SimTime,
        end: SimTime,
        faults: &[(String, SimTime)],
    ) -> SloReport {
        let w = self.slice.as_nanos();
        let (first, last) = (
            (from.0 / w) as usize,
            ((end.0 / w) as usize).min(self.counts.len()),
        );
        let prefix = self.prefix(first, last);
        let (good, bad) = *prefix.last().expect("not empty");
        let budget = 1.0 - self.spec.target();
        let total = good + bad;
        let period = self.period.as_secs_f64();
        let at = |k: usize| (first + k) as f64 * self.slice.as_secs_f64();
        let mut alerts = Vec::new();
        for (name, threshold, long, short) in ALERTS {
            let (long, short) = (self.window(long), self.window(short));
            let mut open: Option<usize> = None;
            for k in 1..prefix.len() {
                let firing = burn(&prefix, k, long, budget) >= threshold
                    && burn(&prefix, k, short, budget) >= threshold;
                match (firing, open) {
                    (true, None) => open = Some(k),
                    (false, Some(s)) => {
                        alerts.push(AlertReport {
                            kind: name.into(),
                            start_s: at(s),
                            end_s: Some(at(k)),
                        });
                        open = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = open {
                alerts.push(AlertReport {
                    kind: name.into(),
                    start_s: at(s),
                    end_s: None,
                });
            }
        }
        alerts.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        let detection = faults
            .iter()
            .map(|(label, start)| {
                let s = start.as_secs_f64();
                // An alert already firing when the fault began did not detect it.
                let after = |kind: &str| {
                    alerts
                        .iter()
                        .filter(|a| a.kind == kind && a.start_s >= s)
                        .map(|a| a.start_s - s)
                        .reduce(f64::min)
                };
                DetectionReport {
                    fault: label.clone(),
                    page_after_s: after("page"),
                    ticket_after_s: after("ticket"),
                }
            })
            .collect();
        SloReport {
            client: self.spec.client.clone(),
            target: self.spec.target(),
            good,
            bad,
            sli: if total == 0 {
                1.0
            } else {
                good as f64 / total as f64
            },
            budget_consumed: if total == 0 {
                0.0
            } else {
                bad as f64 / (total as f64 * budget)
            },
            period_s: period,
            alerts,
            detection,
        }
    }

    /// Its burn rate over each alert's long window at the end of every `bucket`, for a chart.
    pub fn burn_series(&self, bucket: SimDuration, end: SimTime) -> Vec<BurnSeries> {
        let budget = 1.0 - self.spec.target();
        let last = ((end.0 / self.slice.as_nanos()) as usize).min(self.counts.len());
        let prefix = self.prefix(0, last);
        let per_bucket = (bucket.as_nanos() / self.slice.as_nanos()).max(1) as usize;
        ALERTS
            .iter()
            .map(|&(name, threshold, long, _)| {
                let window = self.window(long);
                let points = (per_bucket..=last)
                    .step_by(per_bucket)
                    .map(|k| {
                        let rate = burn(&prefix, k, window, budget);
                        (k as f64 * self.slice.as_secs_f64(), rate)
                    })
                    .collect();
                (name.to_string(), threshold, points)
            })
            .collect()
    }

    /// Good and bad requests before each slice of `first..last`, from `first`: entry `k`
    /// sums slices `first .. first + k`.
    fn prefix(&self, first: usize, last: usize) -> Vec<(u64, u64)> {
        let mut prefix = Vec::with_capacity(last.saturating_sub(first) + 1);
        prefix.push((0u64, 0u64));
        for c in &self.counts[first..last.max(first)] {
            let (g, b) = *prefix.last().expect("not empty");
            prefix.push((g + c.0 as u64, b + c.1 as u64));
        }
        prefix
    }

    /// A window the workbook gives for a 30-day period, `secs` long, in slices of this SLO's
    /// period.
    fn window(&self, secs: u64) -> usize {
        let scaled = secs as f64 * self.period.as_secs_f64() / THIRTY_DAYS;
        ((scaled / self.slice.as_secs_f64()).round() as usize).max(1)
    }
}

/// The burn rate over the `slices` slices before prefix entry `k`: their bad share over the
/// `budget` (0 with no request).
fn burn(prefix: &[(u64, u64)], k: usize, slices: usize, budget: f64) -> f64 {
    let j = k.saturating_sub(slices);
    let g = prefix[k].0 - prefix[j].0;
    let b = prefix[k].1 - prefix[j].1;
    if g + b == 0 {
        0.0
    } else {
        b as f64 / (g + b) as f64 / budget
    }
}

/// One SLO over the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloReport {
    /// The client it counts.
    pub client: String,
    /// The share of requests that must be good.
    pub target: f64,
    /// Requests that were good, and bad.
    pub good: u64,
    /// See `good`.
    pub bad: u64,
    /// The share that was good (1 with none).
    pub sli: f64,
    /// The error budget spent: bad requests over those the objective allows (above 1: the
    /// SLO was missed).
    pub budget_consumed: f64,
    /// The SLO period the alert windows were scaled from, seconds.
    pub period_s: f64,
    /// When each alert fired and stopped (`end_s` absent: still firing at the end), in start
    /// order.
    pub alerts: Vec<AlertReport>,
    /// For each fault, how long after its start each kind of alert first fired (absent: it
    /// did not).
    pub detection: Vec<DetectionReport>,
}

/// One spell of an alert firing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertReport {
    /// `page` (14.4× over 1 h and 5 min, scaled) or `ticket` (6× over 6 h and 30 min).
    pub kind: String,
    /// When it started firing, seconds.
    pub start_s: f64,
    /// When it stopped, seconds.
    pub end_s: Option<f64>,
}

/// How long an alert took to notice a fault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionReport {
    /// The fault, as the charts label it.
    pub fault: String,
    /// Seconds from its start to the first page firing then.
    pub page_after_s: Option<f64>,
    /// Seconds from its start to the first ticket firing then.
    pub ticket_after_s: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(period_s: u64) -> SloTrack {
        let spec = SloSpec {
            name: "a".into(),
            client: "u".into(),
            objective: Objective::Availability(99.9),
            period: None,
        };
        let d = SimDuration::from_secs(period_s);
        SloTrack::new(spec, ClientId::new(0), d, d)
    }

    #[test]
    fn a_total_outage_pages_after_the_workbooks_detection_time_scaled() {
        // A real 30-day period: 10 requests a slice (a minute), all failing from day 10.
        let mut t = track(30 * 86_400);
        let slice = t.slice;
        for k in 0..(SLICES as usize) {
            let now = SimTime(k as u64 * slice.as_nanos());
            let outcome = if k >= 14_400 {
                Outcome::Timeout
            } else {
                Outcome::Completed
            };
            for _ in 0..10 {
                t.record(now, outcome, SimDuration::ZERO);
            }
        }
        let start = SimTime(14_400 * slice.as_nanos());
        let r = t.report(
            SimTime::ZERO,
            SimTime(30 * 86_400 * 1_000_000_000),
            &[("outage".into(), start)],
        );
        // The workbook: a 100% outage reaches 14.4 × 0.1% over 1 h after 0.0144 h = 51.8 s,
        // within one 60 s slice.
        let page = r.detection[0].page_after_s.expect("paged");
        assert!((page - 60.0).abs() < 1e-6, "{page}");
        // The ticket needs 6 × 0.1% of 6 h: 129.6 s, the third slice.
        let ticket = r.detection[0].ticket_after_s.expect("ticketed");
        assert!((ticket - 180.0).abs() < 1e-6, "{ticket}");
        assert!(r.budget_consumed > 100.0);
    }

    #[test]
    fn errors_well_within_the_budget_never_alert() {
        let mut t = track(300);
        let slice = t.slice;
        for k in 0..(SLICES as usize) {
            let now = SimTime(k as u64 * slice.as_nanos());
            for _ in 0..10 {
                t.record(now, Outcome::Completed, SimDuration::ZERO);
            }
            // One failure per 2,000 requests: half the 0.1% budget.
            if k % 200 == 199 {
                t.record(now, Outcome::Timeout, SimDuration::ZERO);
            }
        }
        let r = t.report(SimTime::ZERO, SimTime(300_000_000_000), &[]);
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
        assert!(
            (r.budget_consumed - 0.5).abs() < 0.01,
            "{}",
            r.budget_consumed
        );
    }

    #[test]
    fn latency_counts_slow_successes_as_bad() {
        let spec = SloSpec {
            name: "l".into(),
            client: "u".into(),
            objective: Objective::Latency {
                threshold: SimDuration::from_millis(300),
                percent: 99.0,
            },
            period: None,
        };
        let d = SimDuration::from_secs(10);
        let mut t = SloTrack::new(spec, ClientId::new(0), d, d);
        t.record(
            SimTime::ZERO,
            Outcome::Completed,
            SimDuration::from_millis(300),
        );
        t.record(
            SimTime::ZERO,
            Outcome::Completed,
            SimDuration::from_millis(301),
        );
        t.record(SimTime::ZERO, Outcome::Timeout, SimDuration::from_millis(1));
        let r = t.report(SimTime::ZERO, SimTime(10_000_000_000), &[]);
        assert_eq!((r.good, r.bad), (1, 2));
    }
}
