//! The HorizontalPodAutoscaler's arithmetic, as the Kubernetes controller computes it
//! (`replica_calculator.go`, `horizontal.go`): the raw recommendation from the metric, then
//! stabilisation over the recent recommendations, then the behaviour's rate limits, then the
//! replica bounds. Plain data; the service feeds it what it measured.

use super::spec::{AutoscalingSpec, ScaleMetric, ScalingRules};
use sim_core::{SimDuration, SimTime};
use std::collections::VecDeque;

/// What the autoscaler sees at a sync.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    /// Instances serving (the pods with metrics).
    pub serving: u32,
    /// Instances being provisioned (pods not ready yet).
    pub provisioning: u32,
    /// The metric summed over the serving instances (percent busy each, or requests each).
    pub metric_sum: f64,
}

/// The autoscaler's memory: its recent recommendations and scale events.
#[derive(Clone, Debug, Default)]
pub struct Hpa {
    recommendations: VecDeque<(SimTime, u32)>,
    ups: VecDeque<(SimTime, u32)>,
    downs: VecDeque<(SimTime, u32)>,
}

/// The target of a metric.
fn target(metric: ScaleMetric) -> f64 {
    match metric {
        ScaleMetric::Utilization(t) | ScaleMetric::InFlight(t) => t,
    }
}

/// The replicas the metric asks for, before stabilisation and rate limits: ⌈ready × ratio⌉,
/// unchanged within the tolerance; when scaling up with instances not ready (provisioning, or
/// down), those count as idle, and if that takes the ratio back within tolerance (or reverses
/// it) nothing changes; a recommendation against the ratio's direction keeps `current`.
/// `None` without metrics from any ready instance: the controller does not act.
pub fn recommend(spec: &AutoscalingSpec, current: u32, o: Observation) -> Option<u32> {
    if o.serving == 0 {
        return None;
    }
    let t = target(spec.metric);
    let ratio = o.metric_sum / o.serving as f64 / t;
    let desired = if o.provisioning == 0 || ratio <= 1.0 {
        if (ratio - 1.0).abs() <= spec.tolerance {
            return Some(current);
        }
        (ratio * o.serving as f64).ceil() as u32
    } else {
        let all = (o.serving + o.provisioning) as f64;
        let ratio = o.metric_sum / all / t;
        if (ratio - 1.0).abs() <= spec.tolerance || ratio < 1.0 {
            return Some(current);
        }
        (ratio * all).ceil() as u32
    };
    let against = (ratio > 1.0 && desired < current) || (ratio < 1.0 && desired > current);
    Some(if against { current } else { desired })
}

impl Hpa {
    /// An autoscaler that starts with `initial` replicas at time zero: as the controller does,
    /// it counts that as a recommendation, so nothing scales down within the first window.
    pub fn new(initial: u32) -> Self {
        Hpa {
            recommendations: VecDeque::from([(SimTime::ZERO, initial)]),
            ..Hpa::default()
        }
    }

    /// The replicas to have from `now`, given `current` and the raw recommendation `raw`, with
    /// `min` the lowest allowed now (`min_replicas` or a floor in force).
    pub fn decide(
        &mut self,
        spec: &AutoscalingSpec,
        now: SimTime,
        current: u32,
        raw: u32,
        min: u32,
    ) -> u32 {
        // Stabilisation: a scale-down takes the highest recommendation of its window, a
        // scale-up the lowest of its.
        let longest = spec
            .scale_up
            .stabilization
            .max(spec.scale_down.stabilization);
        self.recommendations
            .retain(|&(t, _)| now.0.saturating_sub(t.0) <= longest.as_nanos());
        self.recommendations.push_back((now, raw));
        // As the controller: recommendations strictly after `now − window`, and this one.
        let within = |t: SimTime, w: SimDuration| now.0 - t.0 < w.as_nanos();
        let up = self
            .recommendations
            .iter()
            .filter(|&&(t, _)| within(t, spec.scale_up.stabilization))
            .map(|&(_, r)| r)
            .fold(raw, u32::min);
        let down = self
            .recommendations
            .iter()
            .filter(|&&(t, _)| within(t, spec.scale_down.stabilization))
            .map(|&(_, r)| r)
            .fold(raw, u32::max);
        let mut desired = current.max(up).min(down);
        // Rate limits, against the replicas at the start of each rule's period.
        if desired > current {
            let start = period_start(&spec.scale_up, now, current, &self.ups, &self.downs);
            let limit = up_limit(&spec.scale_up, start).max(current);
            desired = desired.min(limit).min(spec.max_replicas);
        } else if desired < current {
            let start = period_start(&spec.scale_down, now, current, &self.ups, &self.downs);
            let limit = down_limit(&spec.scale_down, start).min(current);
            desired = desired.max(limit).max(min);
        }
        desired = desired.clamp(min.min(spec.max_replicas), spec.max_replicas);
        let keep = spec.scale_up.period.max(spec.scale_down.period);
        for events in [&mut self.ups, &mut self.downs] {
            events.retain(|&(t, _)| now.0.saturating_sub(t.0) <= keep.as_nanos());
        }
        if desired > current {
            self.ups.push_back((now, desired - current));
        } else if desired < current {
            self.downs.push_back((now, current - desired));
        }
        desired
    }
}

/// Replicas changed by `events` within the last `period`.
fn changed(events: &VecDeque<(SimTime, u32)>, now: SimTime, period: SimDuration) -> u32 {
    events
        .iter()
        .filter(|&&(t, _)| now.0 - t.0 < period.as_nanos())
        .map(|&(_, n)| n)
        .sum()
}

/// The replicas at the start of the rules' period: now's, less those added in it, plus those
/// removed in it.
fn period_start(
    r: &ScalingRules,
    now: SimTime,
    current: u32,
    ups: &VecDeque<(SimTime, u32)>,
    downs: &VecDeque<(SimTime, u32)>,
) -> u32 {
    current
        .saturating_sub(changed(ups, now, r.period))
        .saturating_add(changed(downs, now, r.period))
}

/// The most replicas the scale-up rules allow from `start` (the rule allowing the most wins).
fn up_limit(r: &ScalingRules, start: u32) -> u32 {
    let by_pods = r.pods.map(|p| start.saturating_add(p));
    let by_percent = r.percent.map(|p| {
        (start as f64 * (1.0 + p / 100.0))
            .ceil()
            .min(u32::MAX as f64) as u32
    });
    by_pods.into_iter().chain(by_percent).max().unwrap_or(start)
}

/// The fewest replicas the scale-down rules allow from `start` (the rule allowing the most
/// wins).
fn down_limit(r: &ScalingRules, start: u32) -> u32 {
    let by_pods = r.pods.map(|p| start.saturating_sub(p));
    let by_percent = r
        .percent
        .map(|p| (start as f64 * (1.0 - p / 100.0)).max(0.0) as u32);
    by_pods.into_iter().chain(by_percent).min().unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> AutoscalingSpec {
        ron::from_str(text).unwrap()
    }
    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }
    fn seen(serving: u32, provisioning: u32, each: f64) -> Observation {
        Observation {
            serving,
            provisioning,
            metric_sum: each * serving as f64,
        }
    }

    #[test]
    fn desired_is_the_ceiling_of_current_times_metric_over_target_outside_the_tolerance() {
        let s = spec("(max_replicas: 100, metric: Utilization(60))");
        let r = |each: f64| recommend(&s, 4, seen(4, 0, each));
        assert_eq!(r(90.0), Some(6), "4 × 90/60");
        assert_eq!(r(100.0), Some(7), "⌈6.67⌉");
        assert_eq!(r(65.0), Some(4), "ratio 1.083: within 0.1");
        assert_eq!(r(54.5), Some(4), "ratio 0.908: within 0.1");
        assert_eq!(r(30.0), Some(2), "4 × 30/60");
        assert_eq!(
            recommend(&s, 4, seen(0, 4, 0.0)),
            None,
            "no metrics: no action"
        );
    }

    #[test]
    fn instances_not_ready_count_as_idle_when_scaling_up() {
        let s = spec("(max_replicas: 100, metric: Utilization(50))");
        // Three at 100 % ask for 6, but three more are on their way: 300 / (6 × 50) = 1.
        assert_eq!(recommend(&s, 6, seen(3, 3, 100.0)), Some(6));
        // Three at 100 % with one on its way: 300 / (4 × 50) = 1.5 → 6.
        assert_eq!(recommend(&s, 4, seen(3, 1, 100.0)), Some(6));
        // Scaling down ignores them: 3 × 20/50 → 2.
        assert_eq!(recommend(&s, 5, seen(3, 2, 20.0)), Some(2));
        // Overloaded with seven of ten down: never fewer than there are.
        assert_eq!(recommend(&s, 10, seen(3, 7, 100.0)), Some(10));
    }

    #[test]
    fn scale_up_adds_at_most_four_instances_or_doubles_per_15_seconds() {
        let s = spec("(max_replicas: 100, metric: Utilization(50))");
        let mut h = Hpa::new(2);
        assert_eq!(h.decide(&s, at(15), 2, 40, 1), 6, "max(2 + 4, 2 × 2)");
        assert_eq!(
            h.decide(&s, at(20), 6, 40, 1),
            6,
            "the period's budget is spent"
        );
        assert_eq!(h.decide(&s, at(30), 6, 40, 1), 12, "a new period: 6 × 2");
        assert_eq!(h.decide(&s, at(45), 12, 40, 1), 24);
        assert_eq!(
            h.decide(&s, at(60), 24, 40, 1),
            40,
            "capped by the recommendation"
        );
        assert_eq!(h.decide(&s, at(75), 40, 400, 1), 80, "40 × 2");
        assert_eq!(h.decide(&s, at(90), 80, 400, 1), 100, "max_replicas");
    }

    #[test]
    fn scale_down_waits_out_the_300_second_stabilisation_window() {
        let s = spec("(max_replicas: 100, metric: Utilization(50))");
        let mut h = Hpa::new(10);
        // Load falls at once: every recommendation from now on is 2.
        let mut replicas = 10;
        let mut first_down = None;
        for k in 1..=30 {
            let now = at(15 * k);
            let next = h.decide(&s, now, replicas, 2, 1);
            if next < replicas && first_down.is_none() {
                first_down = Some(15 * k);
            }
            replicas = next;
        }
        // The start-up recommendation of 10 at t = 0 holds while it is within the last 300 s.
        assert_eq!(first_down, Some(300));
        assert_eq!(replicas, 2, "then straight down: 100 % per period");
    }

    #[test]
    fn a_floor_holds_replicas_up_whatever_the_metric() {
        let s = spec("(max_replicas: 20, metric: InFlight(10), scale_down: (percent: Some(100.0), stabilization: \"0s\"))");
        let mut h = Hpa::new(8);
        assert_eq!(h.decide(&s, at(15), 8, 1, 6), 6, "min 6 in force");
        assert_eq!(h.decide(&s, at(30), 6, 1, 1), 1);
    }
}
