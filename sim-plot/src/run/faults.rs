//! The scenario's faults on a run's charts: a short label for each, and its window as a shaded
//! interval.

use crate::time_chart::Shade;
use sim_models::{FaultSpec, Scenario};

/// A short label for a fault: what and where.
pub fn fault_label(f: &FaultSpec) -> String {
    let pct = |x: f64| format!("{}%", crate::style::sig3(x * 100.0));
    let side = |s: &[String]| {
        if s.is_empty() {
            "*".to_string()
        } else {
            s.join(",")
        }
    };
    let target = |service: &str, instance: Option<u32>| match instance {
        Some(i) => format!("{service}#{i}"),
        None => service.to_string(),
    };
    match f {
        FaultSpec::Crash {
            service, instance, ..
        } => format!("crash {}", target(service, *instance)),
        FaultSpec::Slowdown {
            service, factor, ..
        } => format!("slowdown {service} ×{}", crate::style::sig3(*factor)),
        FaultSpec::CapacityLoss {
            service,
            instance,
            workers,
            ..
        } => format!("capacity {} → {workers}", target(service, *instance)),
        FaultSpec::Pause {
            service, instance, ..
        } => format!("pause {}", target(service, *instance)),
        FaultSpec::ErrorInjection {
            service, fraction, ..
        } => format!("errors {} {service}", pct(*fraction)),
        FaultSpec::BlackHole {
            service, instance, ..
        } => format!("black hole {}", target(service, *instance)),
        FaultSpec::CorruptResponses {
            service, fraction, ..
        } => format!("corrupt {} {service}", pct(*fraction)),
        FaultSpec::Partition { a, b, one_way, .. } => {
            let arrow = if *one_way { "→" } else { "|" };
            format!("partition {} {arrow} {}", side(a), side(b))
        }
        FaultSpec::NetworkDelay { a, b, extra, .. } => {
            format!("delay +{extra} {}–{}", side(a), side(b))
        }
        FaultSpec::PacketLoss { a, b, loss, .. } => {
            format!("loss {} {}–{}", pct(*loss), side(a), side(b))
        }
        FaultSpec::FlappingLink { a, b, .. } => format!("flapping {}–{}", side(a), side(b)),
        FaultSpec::ClockJump {
            service,
            instance,
            by,
            backwards,
            ..
        } => format!(
            "clock {} {}{by}",
            target(service, *instance),
            if *backwards { "−" } else { "+" }
        ),
    }
}

/// The scenario's fault windows as shaded intervals (a fault without an end lasts to `end_s`).
pub fn fault_shades(scenario: &Scenario, end_s: f64) -> Vec<Shade> {
    scenario
        .faults
        .iter()
        .map(|f| {
            let (start, stop) = f.window();
            Shade {
                start: start.as_secs_f64(),
                end: stop.map_or(end_s, |e| e.as_secs_f64()).min(end_s),
                label: fault_label(f),
            }
        })
        .filter(|s| s.end > s.start)
        .collect()
}
