//! The charts of a run's policies: circuit breakers' states and refusals, the calls refused by
//! other policies, retries, and one chart per other kind of policy level.

use super::{any_nonzero, stem_of, Panels, RunChart, RunCharts};
use crate::style::Rgb;
use crate::time_chart::{BandRow, Line, StateBands};
use std::collections::BTreeMap;

/// Breaker states, in band order: closed, half-open, open, and buckets that mixed them.
const BREAKER_STATES: [(&str, Rgb); 4] = [
    ("closed", Rgb(0x8C, 0xC8, 0x7F)),
    ("half-open", Rgb(0xED, 0xC9, 0x48)),
    ("open", Rgb(0xE1, 0x57, 0x59)),
    ("mixed", Rgb(0xC9, 0xB8, 0xD6)),
];

/// The breaker's state in one bucket from its level summed over `instances` caller instances
/// (each 0 closed, 1 half-open, 2 open) and averaged over the bucket. All closed or all open
/// throughout is certain; half-open only with one instance (with more, a mean of 1 may as well
/// be one open and one closed); anything else is "mixed".
fn breaker_state(level: f64, instances: usize) -> usize {
    let m = level / instances.max(1) as f64;
    if !m.is_finite() {
        3
    } else if m < 0.02 {
        0
    } else if m > 1.98 {
        2
    } else if instances <= 1 && (m - 1.0).abs() < 0.02 {
        1
    } else {
        3
    }
}

/// What a layer's level measures, for the y axis.
fn level_unit(layer: &str) -> (&'static str, &'static str) {
    match layer {
        "retry_budget" => ("Retry budget", "tokens (summed over instances)"),
        "bulkhead" => ("Bulkhead", "calls inside (summed over instances)"),
        "rate_limiter" => ("Rate limiter", "permissions left (summed)"),
        "adaptive_throttle" => ("Adaptive throttling", "rejection probability (summed)"),
        "concurrency_limit" => ("Concurrency limit", "limit (summed over instances)"),
        "hedge" => ("Hedging delay", "delay (s, summed over instances)"),
        "codel" => ("CoDel", "instances dropping"),
        "outlier_ejected" => ("Outlier detection", "instances ejected"),
        _ => ("Policy level", "level (summed over instances)"),
    }
}

/// Adds the policy charts that have something to show to `out`, in reading order, and says
/// why each other one is left out.
pub(super) fn charts(panels: &Panels<'_>, out: &mut RunCharts) {
    let series = panels.series;
    let base = |title: &str, y: &str| panels.chart(title, y);
    let RunCharts { charts, omitted } = out;

    // Circuit breakers: state bands, and the calls they refused.
    let mut rows = Vec::new();
    let mut c = base("Circuit breakers", "calls refused, circuit open (per s)");
    for (k, t) in series.policies.iter().enumerate() {
        for (layer, levels) in &t.levels {
            if layer != "circuit_breaker" {
                continue;
            }
            let mut spans: Vec<(f64, f64, usize)> = Vec::new();
            for (i, &level) in levels.iter().enumerate() {
                let state = breaker_state(level, t.instances);
                let (a, b) = (series.starts[i], series.ends[i]);
                match spans.last_mut() {
                    Some(last) if last.2 == state && last.1 == a => last.1 = b,
                    _ => spans.push((a, b, state)),
                }
            }
            rows.push(BandRow {
                name: t.component.clone(),
                spans,
            });
        }
        if t.levels.iter().any(|(l, _)| l == "circuit_breaker") {
            if let Some((_, refused)) = t.refused.iter().find(|(r, _)| r == "circuit_open") {
                if any_nonzero(refused.iter()) {
                    c.lines.push(
                        Line::new(format!("{} refused", t.component), series.steps(refused))
                            .step()
                            .color(k),
                    );
                }
            }
        }
    }
    if !rows.is_empty() {
        c.states = Some(StateBands {
            states: BREAKER_STATES
                .iter()
                .map(|(n, c)| (n.to_string(), *c))
                .collect(),
            rows,
        });
        charts.push(RunChart {
            stem: "breakers".into(),
            caption: "Each circuit breaker's state per bucket (bands) and the calls it refused \
                      per second (line). A band shows a state the breaker held through the whole \
                      bucket on every caller instance; \"mixed\" marks buckets where it changed, \
                      or where the caller's instances were in different states (the series hold \
                      the state summed over instances, so half-open shows as such only for a \
                      caller with one instance)."
                .into(),
            chart: c,
        });
    }

    // Refusals by policies: rejections at callers, sheds at servers.
    let mut c = base("Calls refused by policies", "calls/s");
    for t in &series.policies {
        let breaker = t.levels.iter().any(|(l, _)| l == "circuit_breaker");
        for (reason, values) in &t.refused {
            // A breaker's refusals are drawn with its states above.
            if breaker && reason == "circuit_open" {
                continue;
            }
            if any_nonzero(values.iter()) {
                let n = c.lines.len();
                c.lines.push(
                    Line::new(
                        format!("{} {}", t.component, reason.replace('_', " ")),
                        series.steps(values),
                    )
                    .step()
                    .color(n),
                );
            }
        }
    }
    if !c.lines.is_empty() {
        charts.push(RunChart {
            stem: "rejections".into(),
            caption: "Calls refused per second by caller-side policies (bulkhead full, rate \
                      limited, throttled, limit exceeded, retry budget exhausted; a circuit \
                      breaker's refusals are in its own chart) and requests shed by server \
                      policies, per edge or service."
                .into(),
            chart: c,
        });
    } else if !series.policies.is_empty() {
        omitted.push("calls refused by policies: none was refused".into());
    }

    // Retries: the load a retry storm adds, per edge.
    let mut c = base("Retries", "retries/s");
    for t in series
        .policies
        .iter()
        .filter(|t| any_nonzero(t.retries.iter()))
    {
        let n = c.lines.len();
        c.lines.push(
            Line::new(t.component.clone(), series.steps(&t.retries))
                .step()
                .color(n),
        );
    }
    if !c.lines.is_empty() {
        charts.push(RunChart {
            stem: "retries".into(),
            caption: "Retries sent per second on each edge with policies (hedged attempts \
                      included): the extra load retries put on the service called."
                .into(),
            chart: c,
        });
    } else if !series.policies.is_empty() {
        omitted.push("retries: no call was retried".into());
    }

    // Every other policy level, one chart per kind of layer.
    let mut layers: BTreeMap<&str, Vec<(String, &Vec<f64>)>> = BTreeMap::new();
    for t in &series.policies {
        for (layer, levels) in &t.levels {
            if layer != "circuit_breaker" {
                layers
                    .entry(layer.as_str())
                    .or_default()
                    .push((t.component.clone(), levels));
            }
        }
    }
    let mut used = std::collections::BTreeSet::new();
    for (layer, tracks) in layers {
        if !tracks.iter().any(|(_, v)| any_nonzero(v.iter())) {
            omitted.push(format!("{layer}: its level stayed at zero"));
            continue;
        }
        let (title, unit) = level_unit(layer);
        let title = if title == "Policy level" {
            format!("Policy level: {layer}")
        } else {
            title.to_string()
        };
        let mut c = base(&title, unit);
        for (i, (component, levels)) in tracks.iter().enumerate() {
            c.lines
                .push(Line::new(component.clone(), series.points(levels)).color(i));
        }
        let mut stem = format!("policy-{}", stem_of(layer));
        while !used.insert(stem.clone()) {
            stem.push('_');
        }
        charts.push(RunChart {
            stem,
            caption: format!(
                "The {layer} layer's level, time-averaged in each bucket and summed over the \
                 caller's (or the service's) instances."
            ),
            chart: c,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_states_from_mean_levels() {
        assert_eq!(breaker_state(0.0, 1), 0);
        assert_eq!(breaker_state(1.0, 1), 1);
        assert_eq!(breaker_state(2.0, 1), 2);
        assert_eq!(breaker_state(0.5, 1), 3);
        assert_eq!(breaker_state(f64::NAN, 1), 3);
        // Two instances: both open is open; a mean of one each is ambiguous.
        assert_eq!(breaker_state(4.0, 2), 2);
        assert_eq!(breaker_state(2.0, 2), 3);
        assert_eq!(breaker_state(0.0, 2), 0);
    }
}
