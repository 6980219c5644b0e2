//! The network: default latency, loss and duplication, and each link's places and figures.

use super::problem::Checker;
use crate::scenario::Scenario;

impl Scenario {
    pub(super) fn check_network(&self, c: &mut Checker) {
        let n = &self.network;
        if let Some(Err(e)) = n.latency.as_ref().map(|d| d.sampler()) {
            c.error(format!("network.latency.{}", e.field), e.message);
        }
        for (field, p) in [("loss", n.loss), ("duplication", n.duplication)] {
            if !(0.0..1.0).contains(&p) {
                c.error(
                    format!("network.{field}"),
                    format!("must be at least 0 and below 1, got {p}"),
                );
            }
        }
        let zones = self.zones();
        for (i, l) in n.links.iter().enumerate() {
            let path = format!("network.links.{i}");
            self.check_place(c, &format!("{path}.between.0"), &l.between.0);
            self.check_place(c, &format!("{path}.between.1"), &l.between.1);
            use crate::network::Place;
            let a = crate::place::resolve_place(self, &zones, &l.between.0);
            let b = crate::place::resolve_place(self, &zones, &l.between.1);
            match (a, b) {
                (Some(Place::Zone(_)), Some(Place::Zone(_)))
                | (Some(Place::Node(_)), Some(Place::Node(_)))
                | (None, _)
                | (_, None) => {}
                _ => c.error(
                    format!("{path}.between"),
                    "a link joins two zones or two services/clients (not one instance, not a zone and a service)",
                ),
            }
            if let Some(Err(e)) = l.latency.as_ref().map(|d| d.sampler()) {
                c.error(format!("{path}.latency.{}", e.field), e.message);
            }
            for (field, p) in [("loss", l.loss), ("duplication", l.duplication)] {
                if let Some(p) = p {
                    if !(0.0..1.0).contains(&p) {
                        c.error(
                            format!("{path}.{field}"),
                            format!("must be at least 0 and below 1, got {p}"),
                        );
                    }
                }
            }
            if let Some(bw) = l.bandwidth {
                if !(bw.is_finite() && bw > 0.0) {
                    c.error(
                        format!("{path}.bandwidth"),
                        format!("must be a positive number of bytes per second, got {bw}"),
                    );
                }
            }
        }
    }
}
