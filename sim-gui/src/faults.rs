//! Faults as the GUI shows them: when each is in force, and a line describing it.

use sim_core::SimDuration;
use sim_models::FaultSpec;

/// When `fault` starts and, if it does, ends, in seconds from the start of the run
/// ([`FaultSpec::window`] in seconds).
pub fn window(fault: &FaultSpec) -> (f64, Option<f64>) {
    let (start, end) = fault.window();
    (start.as_secs_f64(), end.map(SimDuration::as_secs_f64))
}

/// A fault in a line: its kind and target, and when it is in force.
pub fn describe(fault: &FaultSpec) -> String {
    use FaultSpec as F;
    let (start, end) = window(fault);
    let when = match end {
        Some(end) => format!("{start:.3} s to {end:.3} s"),
        None => format!("from {start:.3} s"),
    };
    let what = match fault {
        F::Crash {
            service, instance, ..
        } => format!(
            "crash {service}/{}",
            instance.map_or("every instance".into(), |i| i.to_string())
        ),
        F::Slowdown {
            service, factor, ..
        } => format!("{service} {factor}x slower"),
        F::CapacityLoss {
            service, workers, ..
        } => format!("{service} down to {workers} workers"),
        F::Pause { service, .. } => format!("{service} paused"),
        F::ErrorInjection {
            service, fraction, ..
        } => format!("{service} fails {:.0}%", fraction * 100.0),
        F::BlackHole { service, .. } => format!("{service} black hole"),
        F::CorruptResponses {
            service, fraction, ..
        } => format!("{service} corrupts {:.0}%", fraction * 100.0),
        F::Partition { a, b, .. } => format!("partition {} | {}", a.join(","), b.join(",")),
        F::NetworkDelay { extra, .. } => format!("network +{:.3} s", extra.as_secs_f64()),
        F::PacketLoss { loss, .. } => format!("packet loss {:.0}%", loss * 100.0),
        F::FlappingLink { .. } => "flapping link".to_string(),
        F::ClockJump {
            service,
            by,
            backwards,
            ..
        } => format!(
            "{service} clock {}{:.3} s",
            if *backwards { "-" } else { "+" },
            by.as_secs_f64()
        ),
    };
    format!("{what}, {when}")
}
