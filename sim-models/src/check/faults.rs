//! Each fault: what it names (a service, an instance, the places of each side), its window, and
//! its figures.

use super::problem::Checker;
use crate::fault::FaultSpec;
use crate::scenario::Scenario;

impl Scenario {
    pub(super) fn check_fault(&self, c: &mut Checker, path: &str, fault: &FaultSpec) {
        let service = fault.service().unwrap_or("");
        if let (FaultSpec::Pause { .. }, Some(s)) = (fault, self.services.get(service)) {
            if matches!(
                s.contention,
                Some(crate::contention::ContentionSpec::ProcessorSharing { .. })
            ) {
                c.error(
                    format!("{path}.service"),
                    format!("{service:?} shares its processor (contention: ProcessorSharing), and pauses of a shared processor are not modelled yet; pause another service, or use a Slowdown"),
                );
            }
        }
        let store = self.stores.get(service);
        let clock = matches!(fault, FaultSpec::ClockJump { .. });
        match store {
            Some(s) => {
                if !matches!(
                    fault,
                    FaultSpec::Crash { .. } | FaultSpec::Pause { .. } | FaultSpec::ClockJump { .. }
                ) {
                    c.error(
                        format!("{path}.service"),
                        format!("{service:?} is a store: a store's replicas can crash, pause or have their clocks jump, and the network can cut or slow them; this fault is for services"),
                    );
                }
                if let Some(i) = fault.instance() {
                    if i >= s.replicas {
                        c.error(
                            format!("{path}.instance"),
                            format!("store {service:?} has {} replica(s), numbered from 0; there is no replica {i}", s.replicas),
                        );
                    }
                }
            }
            None if clock && self.services.contains_key(service) => c.error(
                format!("{path}.service"),
                format!(
                    "{service:?} is a service; only stores keep clocks (stores: {})",
                    self.stores.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ),
            None if fault.service().is_some()
                && !self.stores.is_empty()
                && !self.services.contains_key(service) =>
            {
                let known: Vec<&str> = self
                    .services
                    .keys()
                    .chain(self.stores.keys())
                    .map(String::as_str)
                    .collect();
                let mut msg = format!("unknown service or store {service:?}");
                if let Some(h) = crate::ron_paths::closest(service, known.iter().copied()).first() {
                    msg += &format!("; did you mean {h:?}?");
                }
                msg += &format!(" (services and stores: {})", known.join(", "));
                c.error(format!("{path}.service"), msg);
            }
            None if fault.service().is_some() => {
                self.check_target(c, &format!("{path}.service"), service);
            }
            None => {}
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
        let start_field = if matches!(fault, FaultSpec::Crash { .. } | FaultSpec::ClockJump { .. })
        {
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
