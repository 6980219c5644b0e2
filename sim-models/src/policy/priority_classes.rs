//! Priority classes on a server: the SRE book's criticality, propagated on every call a request
//! causes. A server under load sheds the lowest class first: each class may be refused beyond
//! its own queue length, the queue serves higher classes first, and a full instance makes room
//! for a higher-class arrival by evicting the newest queued request of the lowest class below it.

use super::server_policy::{ServerArrival, ServerPolicy};
use serde::{Deserialize, Serialize};
use sim_core::{SimRng, SimTime};

/// Priority classes as written in a scenario: for each class, the longest queue an arrival of
/// that class still joins (absent: only the instance's capacity limits it). Give lower classes
/// shorter queues so that they are shed first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriticalitySpec {
    /// Queue length beyond which `Sheddable` arrivals are shed.
    #[serde(default)]
    pub sheddable: Option<u32>,
    /// Queue length beyond which `SheddablePlus` arrivals are shed.
    #[serde(default)]
    pub sheddable_plus: Option<u32>,
    /// Queue length beyond which `Critical` arrivals are shed.
    #[serde(default)]
    pub critical: Option<u32>,
    /// Queue length beyond which `CriticalPlus` arrivals are shed.
    #[serde(default)]
    pub critical_plus: Option<u32>,
}

impl CriticalitySpec {
    /// The limits indexed by class.
    pub fn limits(&self) -> [Option<u32>; 4] {
        [
            self.sheddable,
            self.sheddable_plus,
            self.critical,
            self.critical_plus,
        ]
    }
}

/// Running priority-class admission (the ordering and eviction live in the instance's queue).
#[derive(Clone, Debug)]
pub struct PriorityClasses {
    limits: [Option<u32>; 4],
}

impl PriorityClasses {
    /// Admission with the limits of `spec`.
    pub fn new(spec: &CriticalitySpec) -> Self {
        PriorityClasses {
            limits: spec.limits(),
        }
    }
}

impl ServerPolicy for PriorityClasses {
    fn name(&self) -> &str {
        "criticality"
    }

    fn arrive(&mut self, _now: SimTime, a: &ServerArrival, _rng: &mut SimRng) -> bool {
        match self.limits[a.criticality as usize] {
            Some(max) => a.busy < a.workers || a.queued < max as usize,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Criticality;

    #[test]
    fn lower_classes_are_shed_at_their_own_shorter_queue() {
        let mut p = PriorityClasses::new(&CriticalitySpec {
            sheddable: Some(2),
            critical: Some(10),
            ..Default::default()
        });
        let mut rng = sim_core::RngFactory::new(1).stream("t");
        let a = |queued, criticality| ServerArrival {
            queued,
            in_system: queued as u64 + 4,
            busy: 4,
            workers: 4,
            criticality,
            tenant: 0,
        };
        let t = SimTime::ZERO;
        assert!(p.arrive(t, &a(1, Criticality::Sheddable), &mut rng));
        assert!(!p.arrive(t, &a(2, Criticality::Sheddable), &mut rng));
        assert!(p.arrive(t, &a(2, Criticality::Critical), &mut rng));
        assert!(!p.arrive(t, &a(10, Criticality::Critical), &mut rng));
        // No limit for CriticalPlus (nor SheddablePlus here).
        assert!(p.arrive(t, &a(1000, Criticality::CriticalPlus), &mut rng));
        assert!(Criticality::Sheddable < Criticality::CriticalPlus);
    }
}
