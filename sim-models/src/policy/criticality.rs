//! A request's criticality (SRE book): the priority class carried on every call it causes.
//! Shared vocabulary of clients, calls and server policies.

use serde::{Deserialize, Serialize};

/// A request's criticality (SRE book), lowest first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[repr(u8)]
pub enum Criticality {
    /// Partial unavailability expected.
    Sheddable = 0,
    /// Batch default.
    SheddablePlus = 1,
    /// Production default.
    #[default]
    Critical = 2,
    /// The most important traffic.
    CriticalPlus = 3,
}

impl Criticality {
    /// How many classes there are.
    pub const COUNT: usize = 4;

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Criticality::Sheddable => "sheddable",
            Criticality::SheddablePlus => "sheddable_plus",
            Criticality::Critical => "critical",
            Criticality::CriticalPlus => "critical_plus",
        }
    }
}
