//! Place names in a scenario — a zone, a client, a service, a store, or one instance or replica
//! (`service#i`, `store#i`) — and
//! the network places they stand for. Shared by the checks and the world that is built.

use crate::network::Place;
use crate::scenario::Scenario;

/// A place that contains no endpoint of the network at hand: what a store or one of its
/// replicas stands for on the services' network, and what a service or client stands for on
/// a store's (each has its own network, built from the same spec).
pub(crate) const ELSEWHERE: Place = Place::Instance(u32::MAX, u32::MAX);

/// Resolves a place name of a checked scenario: a zone, a client or service, or `service#i`.
pub(crate) fn resolve_place(scenario: &Scenario, zones: &[String], name: &str) -> Option<Place> {
    if let Some(z) = zones.iter().position(|z| z == name) {
        return Some(Place::Zone(z as u16));
    }
    let clients = scenario.clients.len();
    if let Some(c) = scenario.clients.keys().position(|c| c == name) {
        return Some(Place::Node(c as u32));
    }
    if let Some(s) = scenario.services.keys().position(|s| s == name) {
        return Some(Place::Node((clients + s) as u32));
    }
    if scenario.stores.contains_key(name) {
        return Some(ELSEWHERE);
    }
    let (service, instance) = name.rsplit_once('#')?;
    if let Some(store) = scenario.stores.get(service) {
        let i: u32 = instance.parse().ok()?;
        return (i < store.replicas).then_some(ELSEWHERE);
    }
    let s = scenario.services.keys().position(|s| s == service)?;
    let i: u32 = instance.parse().ok()?;
    (i < scenario.services.values().nth(s)?.instances)
        .then_some(Place::Instance((clients + s) as u32, i))
}
