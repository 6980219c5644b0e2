//! The network of a simulated system: latency, loss, duplication and bandwidth between nodes in
//! zones, and the network faults that change them for a while (partitions that drop or hold
//! messages, added latency, loss bursts, flapping links).
//!
//! Any model uses it the same way: [`Network::send`] a message from one [`Endpoint`] (a node,
//! one of its instances, its zone) to another and learn its [`Delivery`] — lost, or arriving at
//! a time (or twice) — then schedule its arrival as an event of its own. The link a message
//! takes is the most specific one defined: between the two nodes, else between their zones,
//! else the defaults. A lost message is never delivered: the sender finds out only by its own
//! timeout, as in reality. A network with no latency, loss or faults is *instant*
//! ([`Network::is_instant`]); a model may then skip it altogether.
//!
//! Faultline's `World` sends every request and answer through it; a replication model sends
//! heartbeats and votes the same way:
//!
//! ```
//! use sim_core::{RngFactory, SimDuration, SimTime};
//! use sim_net::{Delivery, Endpoint, NetEffect, Network, NetworkSpec, Place};
//!
//! // Two nodes, each in its own zone, 1 ms apart; zone 0 and zone 1 partitioned from 1 s to
//! // 3 s, holding messages until it heals (as TCP's retransmission would deliver them).
//! let spec = NetworkSpec {
//!     latency: Some(sim_core::Distribution::Deterministic { value: SimDuration::from_millis(1) }),
//!     ..NetworkSpec::default()
//! };
//! let mut net = Network::new(&spec, &|_| Place::Zone(0), 2, 2, true, RngFactory::new(1).stream("net"));
//! let (a, b) = (Endpoint { node: 0, instance: 0, zone: 0 }, Endpoint { node: 1, instance: 0, zone: 1 });
//! let at = |ms| SimTime::ZERO + SimDuration::from_millis(ms);
//! assert_eq!(net.send(at(0), a, b, 0, false), Delivery::At(at(1)));
//! net.set_fault(0, Some((NetEffect::Hold(at(3000)), &[Place::Zone(0)], &[Place::Zone(1)], false)));
//! assert_eq!(net.send(at(1000), b, a, 0, false), Delivery::At(at(3001)));
//! net.set_fault(0, None);
//! assert_eq!(net.send(at(3000), b, a, 0, false), Delivery::At(at(3001)));
//! ```

use rand::Rng;
use serde::{Deserialize, Serialize};
use sim_core::{Distribution, Sampler, SimDuration, SimRng, SimTime};

/// The network as written in a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency of every message (default: none).
    #[serde(default)]
    pub latency: Option<Distribution>,
    /// Probability that a message is lost, in [0, 1).
    #[serde(default)]
    pub loss: f64,
    /// Probability that a request is delivered twice, in [0, 1): the server does the work twice.
    #[serde(default)]
    pub duplication: f64,
    /// Links that differ from the defaults.
    #[serde(default)]
    pub links: Vec<LinkSpec>,
}

/// A link between two places, in both directions; what it leaves out is the network's default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Its two ends: zone names, or service or client names (a named service or client is more
    /// specific than its zone).
    pub between: (String, String),
    /// One-way latency.
    #[serde(default)]
    pub latency: Option<Distribution>,
    /// Loss probability.
    #[serde(default)]
    pub loss: Option<f64>,
    /// Duplication probability.
    #[serde(default)]
    pub duplication: Option<f64>,
    /// Bytes per second in each direction; a message waits for the ones ahead of it.
    #[serde(default)]
    pub bandwidth: Option<f64>,
}

/// A place named in a link or a network fault: a zone, a service or client, or one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Everything in zone `.0`.
    Zone(u16),
    /// A client or service, by node index (clients first, then services).
    Node(u32),
    /// Instance `.1` of the service with node index `.0`.
    Instance(u32, u32),
}

/// Where a message comes from or goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Node index: clients first, then services.
    pub node: u32,
    /// Instance of the service (0 for a client).
    pub instance: u32,
    /// Zone index, or [`NO_ZONE`].
    pub zone: u16,
}

/// The zone of an endpoint placed in none.
pub const NO_ZONE: u16 = u16::MAX;

impl Place {
    /// Whether endpoint `e` is in this place.
    pub fn contains(self, e: Endpoint) -> bool {
        match self {
            Place::Zone(z) => e.zone == z,
            Place::Node(n) => e.node == n,
            Place::Instance(n, i) => e.node == n && e.instance == i,
        }
    }
}

/// Whether `e` is in `side` (an empty side is everywhere).
fn within(side: &[Place], e: Endpoint) -> bool {
    side.is_empty() || side.iter().any(|p| p.contains(e))
}

/// What a network fault does to the messages it matches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NetEffect {
    /// Dropped.
    Partition,
    /// Held until this time, then delivered as usual: a partition that heals then, with the
    /// sender retransmitting until it does.
    Hold(SimTime),
    /// Delivered this much later.
    Delay(SimDuration),
    /// Dropped with this probability.
    Loss(f64),
    /// Dropped while the flapping link is down.
    Flap,
}

#[derive(Clone, Debug)]
struct ActiveFault {
    fault: u32,
    effect: NetEffect,
    a: Vec<Place>,
    b: Vec<Place>,
    one_way: bool,
    /// For a flapping link: whether it is down now.
    down: bool,
}

impl ActiveFault {
    fn matches(&self, from: Endpoint, to: Endpoint) -> bool {
        (within(&self.a, from) && within(&self.b, to))
            || (!self.one_way && within(&self.b, from) && within(&self.a, to))
    }
}

#[derive(Clone, Debug)]
struct Link {
    latency: Option<Sampler>,
    loss: f64,
    duplication: f64,
    bandwidth: Option<f64>,
    /// When the last message queued on this direction has been put on the wire.
    free_at: SimTime,
}

/// What becomes of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// It never arrives.
    Lost,
    /// It arrives at this time.
    At(SimTime),
    /// It arrives twice (a duplicated request).
    Twice(SimTime, SimTime),
}

/// Counts of what the network did, over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkStats {
    /// Messages sent.
    pub messages: u64,
    /// Messages lost (loss, partitions, flapping links).
    pub lost: u64,
    /// Requests delivered twice.
    pub duplicated: u64,
    /// Messages a partition held until it healed.
    pub held: u64,
}

/// The network during a run.
#[derive(Clone, Debug)]
pub struct Network {
    /// No latency, loss, duplication, bandwidth or faults: messages arrive as they are sent.
    instant: bool,
    /// Index 0 is the default link; then two per link spec (one per direction).
    links: Vec<Link>,
    /// `node_links[from * nodes + to]`: the directed link between two nodes, 0 if none.
    node_links: Vec<u32>,
    /// `zone_links[from * zones + to]`, 0 if none.
    zone_links: Vec<u32>,
    nodes: usize,
    zones: usize,
    active: Vec<ActiveFault>,
    rng: SimRng,
    /// What it did.
    pub stats: NetworkStats,
}

impl Network {
    /// Builds the network of a checked spec. `place` resolves a name of a link end; `nodes`
    /// and `zones` count them; `has_faults` says whether the scenario has network faults.
    pub fn new(
        spec: &NetworkSpec,
        place: &dyn Fn(&str) -> Place,
        nodes: usize,
        zones: usize,
        has_faults: bool,
        rng: SimRng,
    ) -> Network {
        let latency = |d: &Option<Distribution>| {
            d.as_ref()
                .filter(|d| {
                    **d != Distribution::Deterministic {
                        value: SimDuration::ZERO,
                    }
                })
                .map(|d| d.sampler().expect("checked"))
        };
        let default = Link {
            latency: latency(&spec.latency),
            loss: spec.loss,
            duplication: spec.duplication,
            bandwidth: None,
            free_at: SimTime::ZERO,
        };
        let mut links = vec![default.clone()];
        let mut node_links = vec![0; nodes * nodes];
        let mut zone_links = vec![0; zones * zones];
        for l in &spec.links {
            let (a, b) = (place(&l.between.0), place(&l.between.1));
            for (from, to) in [(a, b), (b, a)] {
                links.push(Link {
                    latency: if l.latency.is_some() {
                        latency(&l.latency)
                    } else {
                        default.latency.clone()
                    },
                    loss: l.loss.unwrap_or(spec.loss),
                    duplication: l.duplication.unwrap_or(spec.duplication),
                    bandwidth: l.bandwidth,
                    free_at: SimTime::ZERO,
                });
                let k = (links.len() - 1) as u32;
                match (from, to) {
                    (Place::Zone(f), Place::Zone(t)) => {
                        zone_links[f as usize * zones + t as usize] = k
                    }
                    (Place::Node(f), Place::Node(t)) => {
                        node_links[f as usize * nodes + t as usize] = k
                    }
                    _ => {} // the check refuses mixed ends
                }
            }
        }
        let instant = !has_faults
            && links.iter().all(|l| {
                l.latency.is_none()
                    && l.loss == 0.0
                    && l.duplication == 0.0
                    && l.bandwidth.is_none()
            });
        Network {
            instant,
            links,
            node_links,
            zone_links,
            nodes,
            zones,
            active: Vec::new(),
            rng,
            stats: NetworkStats::default(),
        }
    }

    /// Whether messages arrive as they are sent (no latency, loss, duplication, bandwidth or
    /// faults): a model may then deliver them in the same step, with no event.
    #[inline]
    pub fn is_instant(&self) -> bool {
        self.instant
    }

    /// Makes the network go through its fault checks from now on: call it before adding a
    /// fault to a network built without any (`has_faults: false`).
    pub fn expect_faults(&mut self) {
        self.instant = false;
    }

    fn link(&self, from: Endpoint, to: Endpoint) -> usize {
        let n = self.node_links[from.node as usize * self.nodes + to.node as usize];
        if n != 0 {
            return n as usize;
        }
        if from.zone != NO_ZONE && to.zone != NO_ZONE {
            return self.zone_links[from.zone as usize * self.zones + to.zone as usize] as usize;
        }
        0
    }

    /// Sends a message of `bytes` from `from` to `to` at `now`; `request` says whether it is a
    /// request (only requests are duplicated: a duplicate answer is simply ignored by its caller).
    pub fn send(
        &mut self,
        now: SimTime,
        from: Endpoint,
        to: Endpoint,
        bytes: u64,
        request: bool,
    ) -> Delivery {
        self.stats.messages += 1;
        let mut extra = SimDuration::ZERO;
        let mut lost = false;
        let mut held = SimTime::ZERO;
        for f in &self.active {
            if !f.matches(from, to) {
                continue;
            }
            match f.effect {
                NetEffect::Partition => lost = true,
                NetEffect::Hold(until) => held = held.max(until),
                NetEffect::Flap => lost |= f.down,
                NetEffect::Delay(d) => extra = extra + d,
                NetEffect::Loss(p) => lost |= sim_core::open01(&mut self.rng) < p,
            }
        }
        let k = self.link(from, to);
        let link = &mut self.links[k];
        if lost || (link.loss > 0.0 && sim_core::open01(&mut self.rng) < link.loss) {
            self.stats.lost += 1;
            return Delivery::Lost;
        }
        let mut depart = now;
        if held > now {
            self.stats.held += 1;
            depart = held;
        }
        if let Some(bw) = link.bandwidth {
            let wire = SimDuration::from_secs_f64(bytes as f64 / bw);
            depart = depart.max(link.free_at) + wire;
            link.free_at = depart;
        }
        let travel = |rng: &mut SimRng| {
            depart
                + extra
                + link
                    .latency
                    .as_ref()
                    .map_or(SimDuration::ZERO, |s| s.sample(rng))
        };
        let at = travel(&mut self.rng);
        if request && link.duplication > 0.0 && self.rng.random::<f64>() < link.duplication {
            self.stats.duplicated += 1;
            let again = travel(&mut self.rng);
            return Delivery::Twice(at, again);
        }
        Delivery::At(at)
    }

    /// Whether the faults in force now stop every message from `from` to `to`: a partition
    /// that drops or holds them, or a flapping link that is down. Loss short of certain and
    /// added delay let some through, so they do not cut. Takes no random draw.
    pub fn cut(&self, from: Endpoint, to: Endpoint) -> bool {
        self.active.iter().any(|f| {
            f.matches(from, to)
                && match f.effect {
                    NetEffect::Partition | NetEffect::Hold(_) => true,
                    NetEffect::Flap => f.down,
                    NetEffect::Delay(_) | NetEffect::Loss(_) => false,
                }
        })
    }

    /// Network fault `fault` starts (`Some`) or ends (`None`).
    pub fn set_fault(&mut self, fault: u32, on: Option<(NetEffect, &[Place], &[Place], bool)>) {
        match on {
            Some((effect, a, b, one_way)) => self.active.push(ActiveFault {
                fault,
                effect,
                a: a.to_vec(),
                b: b.to_vec(),
                one_way,
                down: false,
            }),
            None => self.active.retain(|f| f.fault != fault),
        }
    }

    /// A flapping link of fault `fault` changes state; returns the time until its next change
    /// (drawn from `fail_rate` while up, `repair_rate` while down), or `None` if it is not active.
    pub fn flap(&mut self, fault: u32, fail_rate: f64, repair_rate: f64) -> Option<f64> {
        let f = self.active.iter_mut().find(|f| f.fault == fault)?;
        f.down = !f.down;
        let rate = if f.down { repair_rate } else { fail_rate };
        Some(-sim_core::open01(&mut self.rng).ln() / rate)
    }

    /// Draws the first failure of a flapping link (it starts up): seconds until it fails.
    pub fn first_flap(&mut self, fail_rate: f64) -> f64 {
        -sim_core::open01(&mut self.rng).ln() / fail_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::RngFactory;

    fn at(node: u32, zone: u16) -> Endpoint {
        Endpoint {
            node,
            instance: 0,
            zone,
        }
    }

    fn network(spec: &NetworkSpec) -> Network {
        let place = |name: &str| match name {
            "a" => Place::Zone(0),
            "b" => Place::Zone(1),
            "x" => Place::Node(0),
            _ => Place::Node(1),
        };
        Network::new(spec, &place, 2, 2, false, RngFactory::new(1).stream("net"))
    }

    #[test]
    fn a_partition_cuts_its_sides_one_way_or_both_and_delay_or_loss_do_not() {
        let mut net = network(&NetworkSpec::default());
        let (a, b) = (at(0, 0), at(1, 1));
        assert!(!net.cut(a, b) && !net.cut(b, a));
        net.set_fault(
            0,
            Some((
                NetEffect::Partition,
                &[Place::Zone(0)],
                &[Place::Zone(1)],
                true,
            )),
        );
        assert!(net.cut(a, b), "a to b is cut");
        assert!(!net.cut(b, a), "one way only");
        assert!(!net.cut(a, at(2, 0)), "within a side nothing is cut");
        net.set_fault(0, None);
        net.set_fault(
            1,
            Some((NetEffect::Hold(SimTime::MAX), &[], &[Place::Node(1)], false)),
        );
        assert!(
            net.cut(a, b) && net.cut(b, a),
            "a held message is cut until the hold ends"
        );
        net.set_fault(1, None);
        net.set_fault(
            2,
            Some((NetEffect::Delay(SimDuration::from_secs(1)), &[], &[], false)),
        );
        net.set_fault(3, Some((NetEffect::Loss(0.9), &[], &[], false)));
        assert!(
            !net.cut(a, b),
            "delay and partial loss let messages through"
        );
        net.set_fault(
            4,
            Some((NetEffect::Flap, &[Place::Zone(0)], &[Place::Zone(1)], false)),
        );
        assert!(!net.cut(a, b), "a flapping link starts up");
        net.flap(4, 1.0, 1.0);
        assert!(net.cut(a, b) && net.cut(b, a), "and cuts while down");
    }

    #[test]
    fn an_ideal_network_is_instant() {
        assert!(network(&NetworkSpec::default()).instant);
    }

    #[test]
    fn a_named_link_overrides_the_zone_link_which_overrides_the_default() {
        let ms = |n| Distribution::Deterministic {
            value: SimDuration::from_millis(n),
        };
        let spec = NetworkSpec {
            latency: Some(ms(1)),
            links: vec![
                LinkSpec {
                    between: ("a".into(), "b".into()),
                    latency: Some(ms(10)),
                    loss: None,
                    duplication: None,
                    bandwidth: None,
                },
                LinkSpec {
                    between: ("x".into(), "y".into()),
                    latency: Some(ms(100)),
                    loss: None,
                    duplication: None,
                    bandwidth: None,
                },
            ],
            ..NetworkSpec::default()
        };
        let mut n = network(&spec);
        let t0 = SimTime::ZERO;
        let after = |ms: u64| Delivery::At(SimTime(ms * 1_000_000));
        assert_eq!(n.send(t0, at(0, 0), at(0, 0), 0, true), after(1));
        assert_eq!(n.send(t0, at(0, 0), at(0, 1), 0, true), after(10));
        assert_eq!(n.send(t0, at(1, 1), at(0, 0), 0, true), after(100));
    }

    #[test]
    fn bandwidth_queues_messages_behind_each_other() {
        let spec = NetworkSpec {
            links: vec![LinkSpec {
                between: ("a".into(), "b".into()),
                latency: None,
                loss: None,
                duplication: None,
                bandwidth: Some(1000.0), // 1000 bytes/s: 100 bytes take 100 ms
            }],
            ..NetworkSpec::default()
        };
        let mut n = network(&spec);
        let t0 = SimTime::ZERO;
        let ms = |ms: u64| Delivery::At(SimTime(ms * 1_000_000));
        assert_eq!(n.send(t0, at(0, 0), at(1, 1), 100, true), ms(100));
        assert_eq!(n.send(t0, at(0, 0), at(1, 1), 100, true), ms(200));
        // The other direction has its own wire.
        assert_eq!(n.send(t0, at(1, 1), at(0, 0), 100, true), ms(100));
    }

    #[test]
    fn a_one_way_partition_drops_only_one_direction() {
        let mut n = network(&NetworkSpec::default());
        n.set_fault(
            0,
            Some((
                NetEffect::Partition,
                &[Place::Zone(0)],
                &[Place::Zone(1)],
                true,
            )),
        );
        let t0 = SimTime::ZERO;
        assert_eq!(n.send(t0, at(0, 0), at(1, 1), 0, true), Delivery::Lost);
        assert_eq!(n.send(t0, at(1, 1), at(0, 0), 0, true), Delivery::At(t0));
        assert_eq!(n.send(t0, at(0, 0), at(1, 0), 0, true), Delivery::At(t0));
        n.set_fault(0, None);
        assert_eq!(n.send(t0, at(0, 0), at(1, 1), 0, true), Delivery::At(t0));
    }
}
