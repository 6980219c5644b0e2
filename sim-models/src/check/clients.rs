//! A client's fields: its policies, timeout and zone, and its rate and schedule (open loop) or
//! users and think time (closed loop).

use super::policies::check_policies;
use super::problem::Checker;
use crate::rate::Rate;
use crate::scenario::{ClientSpec, RateChange, Scenario};
use sim_core::SimDuration;

impl Scenario {
    pub(super) fn check_client(&self, c: &mut Checker, name: &str, client: &ClientSpec) {
        let path = format!("clients.{name}");
        check_policies(c, &format!("{path}.policies"), client.policies());
        if client.timeout() == Some(SimDuration::ZERO) {
            c.error(
                format!("{path}.timeout"),
                "must be longer than zero (leave it out to wait forever)",
            );
        }
        if let Some(z) = client.zone() {
            if !self
                .services
                .values()
                .any(|s| s.zones.iter().any(|x| x == z))
            {
                c.warn(
                    format!("{path}.zone"),
                    format!(
                        "no service has an instance in zone {z:?}; zones: {}",
                        self.service_zones().join(", ")
                    ),
                );
            }
        }
        match client {
            ClientSpec::Open {
                rate,
                schedule,
                target,
                ..
            } => {
                self.check_target(c, &format!("{path}.target"), target);
                check_rate(c, &format!("{path}.rate"), *rate);
                let mut last_end = SimDuration::ZERO;
                for (i, change) in schedule.iter().enumerate() {
                    let cp = format!("{path}.schedule.{i}");
                    let (start, end) = match change {
                        RateChange::Step { at, rate } => {
                            check_rate(c, &format!("{cp}.rate"), *rate);
                            (*at, *at)
                        }
                        RateChange::Spike {
                            start,
                            duration,
                            rate,
                        } => {
                            check_rate(c, &format!("{cp}.rate"), *rate);
                            (*start, *start + *duration)
                        }
                        RateChange::Ramp { start, end, to } => {
                            check_rate(c, &format!("{cp}.to"), *to);
                            if end < start {
                                c.error(
                                    format!("{cp}.end"),
                                    format!("must not be before start ({start}), got {end}"),
                                );
                            }
                            (*start, *end)
                        }
                    };
                    if start < last_end {
                        c.error(
                            cp.clone(),
                            format!("starts at {start}, before the previous change ends ({last_end}): list changes in time order without overlap"),
                        );
                    }
                    if start >= self.duration {
                        c.warn(
                            cp,
                            format!(
                                "starts at {start}, after the run ends ({}): it has no effect",
                                self.duration
                            ),
                        );
                    }
                    last_end = last_end.max(end);
                }
            }
            ClientSpec::Closed {
                users,
                think_time,
                target,
                ..
            } => {
                self.check_target(c, &format!("{path}.target"), target);
                if *users == 0 {
                    c.error(format!("{path}.users"), "must be at least 1");
                }
                if *users as u64 > self.limits.max_in_flight {
                    c.error(
                        format!("{path}.users"),
                        format!(
                            "{users} users can have {users} requests in flight, more than limits.max_in_flight ({}); raise the limit if you mean it",
                            self.limits.max_in_flight
                        ),
                    );
                }
                if let Err(e) = think_time.sampler() {
                    c.error(format!("{path}.think_time.{}", e.field), e.message);
                }
            }
        }
    }
}

/// The fastest rate a client may have: one request per nanosecond, the clock's resolution.
pub const MAX_RATE_PER_SECOND: f64 = 1e9;

fn check_rate(c: &mut Checker, path: &str, rate: Rate) {
    if rate.per_second() > MAX_RATE_PER_SECOND {
        c.error(
            path,
            format!(
                "{rate} is faster than one request per nanosecond, the simulator's time resolution (at most {MAX_RATE_PER_SECOND}/s)"
            ),
        );
    }
}
