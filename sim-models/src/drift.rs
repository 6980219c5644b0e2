//! Configuration drift: some instances of a service configured unlike their peers — fewer
//! workers, a smaller queue, slower work (an old build, a bad flag), a different timeout or
//! retry setting on a call — the "one bad host" failure mode that averages hide.
//!
//! A service's `drift` entries each name instances and the fields that differ there. What can
//! differ is what belongs to an instance in the model: its workers and capacity, how long its
//! work takes, and its side of each call (the call's timeout, the parameters of its caller
//! policies). The policies must be the same kinds in the same order as the service's own for
//! that call: only their parameters drift, so each layer's level still adds up across the
//! instances. The rest (steps, routing, server policies) is the service's as a whole.

use crate::policy::PolicySpec;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use std::collections::BTreeMap;

/// How some instances differ from the rest of their service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSpec {
    /// The instances that differ, by index.
    pub instances: Vec<u32>,
    /// Their workers, instead of the service's.
    #[serde(default)]
    pub workers: Option<u32>,
    /// Their capacity (requests in service and queued), instead of the service's.
    #[serde(default)]
    pub capacity: Option<u64>,
    /// Their work takes this many times as long (above 0; below 1 is faster).
    #[serde(default)]
    pub slowdown: Option<f64>,
    /// Their timeout on calls to a service, by the service called.
    #[serde(default)]
    pub timeouts: BTreeMap<String, SimDuration>,
    /// Their caller policies on calls to a service, by the service called: the same kinds in
    /// the same order as the service's, with other parameters.
    #[serde(default)]
    pub policies: BTreeMap<String, Vec<PolicySpec>>,
}

/// Instance `i`'s drift: the entry naming it, if any (the first, if several do).
pub fn of(drift: &[DriftSpec], i: u32) -> Option<&DriftSpec> {
    drift.iter().find(|d| d.instances.contains(&i))
}
