//! The names a scenario's fields refer to: services, zones, tenants, and places (a zone, a
//! service, a client or one instance), with suggestions for a misspelt one.

use super::problem::Checker;
use crate::ron_paths::closest;
use crate::scenario::Scenario;

impl Scenario {
    pub(super) fn check_target(&self, c: &mut Checker, path: &str, target: &str) {
        if self.stores.contains_key(target) {
            c.error(
                path,
                format!(
                    "{target:?} is a store: a service reads or writes it with a step \
                     `Store(store: {target:?}, op: Read)` (or Write, Cas, Add(n)); clients \
                     cannot call a store (its own client processes are stores.{target}.clients)"
                ),
            );
            return;
        }
        if !self.services.contains_key(target) {
            let known: Vec<&str> = self.services.keys().map(String::as_str).collect();
            c.error(path, unknown("service", target, &known));
        }
    }

    /// Store `name`, named at `path` by a service's `Store` step, exists.
    pub(super) fn check_store_name(&self, c: &mut Checker, path: &str, name: &str) {
        if !self.stores.contains_key(name) {
            let known: Vec<&str> = self.stores.keys().map(String::as_str).collect();
            c.error(path, unknown("store", name, &known));
        }
    }

    /// Tenant names, sorted: each client's `tenant`, or its own name.
    pub(crate) fn tenants(&self) -> Vec<String> {
        let mut tenants: Vec<String> = self
            .clients
            .iter()
            .map(|(name, c)| c.tenant().unwrap_or(name).to_string())
            .collect();
        tenants.sort();
        tenants.dedup();
        tenants
    }

    /// Zone names, sorted, from services, clients and stores.
    pub(crate) fn zones(&self) -> Vec<String> {
        let mut zones: Vec<String> = self
            .services
            .values()
            .flat_map(|s| s.zones.iter().cloned())
            .chain(
                self.clients
                    .values()
                    .filter_map(|c| c.zone().map(String::from)),
            )
            .chain(self.stores.values().flat_map(|s| {
                s.zones
                    .iter()
                    .cloned()
                    .chain(s.clients.iter().filter_map(|c| c.zone.clone()))
            }))
            .collect();
        zones.sort();
        zones.dedup();
        zones
    }

    pub(super) fn service_zones(&self) -> Vec<String> {
        let mut zones: Vec<String> = self
            .services
            .values()
            .flat_map(|s| s.zones.iter().cloned())
            .collect();
        zones.sort();
        zones.dedup();
        if zones.is_empty() {
            zones.push("(none defined)".into());
        }
        zones
    }

    /// Every name a link or network fault may use for a place.
    fn place_names(&self) -> Vec<String> {
        let mut names = self.zones();
        names.extend(self.services.keys().cloned());
        names.extend(self.clients.keys().cloned());
        names.extend(self.stores.keys().cloned());
        for (name, s) in &self.services {
            if s.instances > 1 {
                names.extend((0..s.instances).map(|i| format!("{name}#{i}")));
            }
        }
        for (name, s) in &self.stores {
            names.extend((0..s.replicas.min(64)).map(|i| format!("{name}#{i}")));
        }
        names
    }

    pub(super) fn check_place(&self, c: &mut Checker, path: &str, name: &str) {
        let zones = self.zones();
        if crate::place::resolve_place(self, &zones, name).is_some() {
            return;
        }
        let mut msg = format!("unknown place {name:?}");
        if let Some((service, i)) = name.rsplit_once('#') {
            if let Some(s) = self.services.get(service) {
                msg = format!("service {service:?} has {} instance(s), numbered from 0; there is no instance {i}", s.instances);
                return c.error(path, msg);
            }
            if let Some(s) = self.stores.get(service) {
                msg = format!(
                    "store {service:?} has {} replica(s), numbered from 0; there is no replica {i}",
                    s.replicas
                );
                return c.error(path, msg);
            }
        }
        let names = self.place_names();
        if let Some(h) = closest(name, names.iter().map(String::as_str)).first() {
            msg += &format!("; did you mean {h:?}?");
        }
        msg += " (a place is a zone, a service, a client, a store, or one instance or replica as \"service#i\")";
        c.error(path, msg);
    }
}

/// `unknown service "dbx"; did you mean "db"? (services: api, db)`.
fn unknown(what: &str, name: &str, known: &[&str]) -> String {
    let mut msg = format!("unknown {what} {name:?}");
    if let Some(h) = closest(name, known.iter().copied()).first() {
        msg += &format!("; did you mean {h:?}?");
    }
    if known.is_empty() {
        msg += &format!(" (the scenario has no {what}s)");
    } else {
        msg += &format!(" ({what}s: {})", known.join(", "));
    }
    msg
}
