//! Each fault: what it names (a service, an instance, the places of each side), its window, and
//! its figures.

use super::problem::Checker;
use crate::fault::FaultSpec;
use crate::scenario::Scenario;

impl Scenario {
    pub(super) fn check_fault(&self, c: &mut Checker, path: &str, fault: &FaultSpec) {
        let service = fault.service().unwrap_or("");
        if fault.service().is_some() {
            self.check_target(c, &format!("{path}.service"), service);
        }
        if let (Some(i), Some(s)) = (fault.instance(), self.services.get(service)) {
            if i >= s.instances {
                c.error(
                    format!("{path}.instance"),
                    format!("service {service:?} has {} instance(s), numbered from 0; there is no instance {i}", s.instances),
                );
            }
        }
        if let Some((a, b)) = fault.sides() {
            for (side, names) in [("a", a), ("b", b)] {
                for (k, name) in names.iter().enumerate() {
                    self.check_place(c, &format!("{path}.{side}.{k}"), name);
                }
                if names.is_empty() && matches!(fault, FaultSpec::Partition { .. }) {
                    c.error(
                        format!("{path}.{side}"),
                        "a partition needs places on both sides (zones, services, clients or \"service#i\")",
                    );
                }
            }
        }
        let (start, end) = fault.window();
        let start_field = if matches!(fault, FaultSpec::Crash { .. }) {
            "at"
        } else {
            "start"
        };
        if start >= self.duration {
            c.warn(
                format!("{path}.{start_field}"),
                format!(
                    "{start} is after the run ends ({}): this fault never happens",
                    self.duration
                ),
            );
        }
        if end == Some(start) {
            match fault {
                FaultSpec::Crash { .. } => c.warn(
                    format!("{path}.restart_after"),
                    "is zero: the instance restarts at once, but the work it held is still lost",
                ),
                _ => c.warn(
                    format!("{path}.duration"),
                    "is zero: this fault has no effect",
                ),
            }
        }
        if let (FaultSpec::CapacityLoss { workers, .. }, Some(s)) =
            (fault, self.services.get(service))
        {
            if *workers > s.workers {
                c.error(
                    format!("{path}.workers"),
                    format!("{workers} is more than the {} workers the service has: a capacity loss can only take workers away", s.workers),
                );
            }
        }
        match fault {
            FaultSpec::Slowdown { factor, .. } if !(factor.is_finite() && *factor > 0.0) => {
                c.error(
                    format!("{path}.factor"),
                    format!("must be a positive number (above 1 slows down), got {factor}"),
                );
            }
            FaultSpec::ErrorInjection { fraction, .. }
            | FaultSpec::CorruptResponses { fraction, .. }
                if !(0.0..=1.0).contains(fraction) =>
            {
                c.error(
                    format!("{path}.fraction"),
                    format!("must be between 0 and 1, got {fraction}"),
                );
            }
            FaultSpec::PacketLoss { loss, .. } if !(0.0..=1.0).contains(loss) => {
                c.error(
                    format!("{path}.loss"),
                    format!("must be between 0 and 1, got {loss}"),
                );
            }
            FaultSpec::FlappingLink {
                fail_rate,
                repair_rate,
                ..
            } => {
                for (field, rate) in [("fail_rate", fail_rate), ("repair_rate", repair_rate)] {
                    if rate.per_second() <= 0.0 {
                        c.error(
                            format!("{path}.{field}"),
                            "must be above zero, e.g. \"6/min\"",
                        );
                    }
                }
            }
            _ => {}
        }
    }
}
