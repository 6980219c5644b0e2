//! The call graph as a whole: a synchronous call cycle (each request would wait on itself), and
//! routes that give a request no way out.

use super::problem::Checker;
use crate::scenario::Scenario;

impl Scenario {
    /// A synchronous call cycle (a calls b calls a) deadlocks thread-per-request services and
    /// never ends: refuse it, naming the cycle.
    pub(super) fn check_call_cycles(&self, c: &mut Checker) {
        let names: Vec<&String> = self.services.keys().collect();
        let calls: Vec<Vec<(usize, String)>> = self
            .services
            .iter()
            .map(|(name, s)| {
                let mut out = Vec::new();
                crate::program::targets(&s.steps, &format!("services.{name}.steps"), &mut out);
                out.into_iter()
                    .filter(|(_, _, sync)| *sync)
                    .filter_map(|(path, to, _)| {
                        names
                            .iter()
                            .position(|n| n.as_str() == to)
                            .map(|j| (j, path))
                    })
                    .collect()
            })
            .collect();
        // Depth-first search; colour 1 = on the stack, 2 = done.
        let mut colour = vec![0u8; names.len()];
        let mut reported = false;
        fn visit(
            i: usize,
            calls: &[Vec<(usize, String)>],
            colour: &mut [u8],
            stack: &mut Vec<(usize, String)>,
        ) -> Option<(Vec<usize>, String)> {
            colour[i] = 1;
            for (j, path) in &calls[i] {
                stack.push((*j, path.clone()));
                if colour[*j] == 1 {
                    let start = stack.iter().position(|(k, _)| k == j).unwrap_or(0);
                    let mut cycle = vec![*j];
                    cycle.extend(stack[start + 1..].iter().map(|(k, _)| *k));
                    return Some((cycle, path.clone()));
                }
                if colour[*j] == 0 {
                    if let Some(found) = visit(*j, calls, colour, stack) {
                        return Some(found);
                    }
                }
                stack.pop();
            }
            colour[i] = 2;
            None
        }
        for i in 0..names.len() {
            if colour[i] == 0 && !reported {
                let mut stack = vec![(i, String::new())];
                if let Some((cycle, path)) = visit(i, &calls, &mut colour, &mut stack) {
                    // `cycle` already ends where it starts (api, db, api): print it as is.
                    let names_in: Vec<&str> = cycle.iter().map(|&k| names[k].as_str()).collect();
                    c.error(
                        path,
                        format!(
                            "synchronous call cycle {}: each request would wait on itself; break it with Publish or remove a call",
                            names_in.join(" -> ")
                        ),
                    );
                    reported = true;
                }
            }
        }
    }

    /// A request routed into a set of services with no way out would circulate forever.
    pub(super) fn check_requests_can_leave(&self, c: &mut Checker) {
        let names: Vec<&String> = self.services.keys().collect();
        let idx = |n: &str| names.iter().position(|x| x.as_str() == n);
        // can_exit[i]: from service i, some path of positive probability leaves the system.
        let mut can_exit: Vec<bool> = self
            .services
            .values()
            .map(|s| s.routes.iter().map(|r| r.probability).sum::<f64>() < 1.0 - 1e-12)
            .collect();
        loop {
            let mut changed = false;
            for (i, s) in self.services.values().enumerate() {
                if !can_exit[i]
                    && s.routes
                        .iter()
                        .any(|r| r.probability > 0.0 && idx(&r.to).is_some_and(|j| can_exit[j]))
                {
                    can_exit[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (i, name) in names.iter().enumerate() {
            if !can_exit[i] {
                c.error(
                    format!("services.{name}.routes"),
                    "requests that reach this service can never leave: every route leads back into a cycle with probability 1; give some route a probability below 1",
                );
            }
        }
    }
}
