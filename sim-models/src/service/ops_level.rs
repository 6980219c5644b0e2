//! The levels a service's operations keep over time (health checks, liveness restarts, the
//! autoscaler), named by an enum so that a level is found by index, never by its name.

/// One operations level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpsLevel {
    /// Instances the health check marks unhealthy.
    Unhealthy,
    /// Instances down for a restart the liveness probe ordered.
    Restarting,
    /// Instances serving (with an autoscaler).
    Replicas,
    /// The instances the autoscaler wants.
    Desired,
}

impl OpsLevel {
    /// Every level, in the order a service keeps them.
    pub const ALL: [OpsLevel; 4] = [
        OpsLevel::Unhealthy,
        OpsLevel::Restarting,
        OpsLevel::Replicas,
        OpsLevel::Desired,
    ];

    /// Its name in reports, CSVs and charts.
    pub fn name(self) -> &'static str {
        match self {
            OpsLevel::Unhealthy => "unhealthy",
            OpsLevel::Restarting => "restarting",
            OpsLevel::Replicas => "replicas",
            OpsLevel::Desired => "desired",
        }
    }
}

/// A service's operations levels: those that are on, and where each is.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpsLevels {
    /// The levels on, in [`OpsLevel::ALL`] order.
    pub(crate) levels: Vec<crate::policy::PolicyLevel>,
    /// Each level's position in `levels`, if it is on.
    slot: [Option<u8>; 4],
}

impl OpsLevels {
    /// The levels of `on`, in buckets of `bucket`.
    pub(crate) fn new(on: impl Fn(OpsLevel) -> bool, bucket: sim_core::SimDuration) -> Self {
        let mut out = OpsLevels::default();
        for kind in OpsLevel::ALL.into_iter().filter(|&k| on(k)) {
            out.slot[kind as usize] = Some(out.levels.len() as u8);
            out.levels
                .push(crate::policy::PolicyLevel::new(kind.name(), bucket));
        }
        out
    }

    /// Level `kind`, if it is on.
    pub(crate) fn get(&self, kind: OpsLevel) -> Option<&crate::policy::PolicyLevel> {
        self.slot[kind as usize].map(|k| &self.levels[k as usize])
    }

    /// Level `kind`, if it is on, to change.
    pub(crate) fn get_mut(&mut self, kind: OpsLevel) -> Option<&mut crate::policy::PolicyLevel> {
        self.slot[kind as usize].map(|k| &mut self.levels[k as usize])
    }
}
