//! A/B: a second copy of the lesson with one change (a policy on, a parameter moved), on the
//! same seed, kept at the same simulated clock as the run being watched — "the same storm,
//! with and without a retry budget" — and the difference between the two.
//!
//! Variant B is its own [`Session`]: the lesson with A's moved knobs and added overrides, plus
//! the change, and A's added faults. It follows A's clock each frame (running forward, or
//! going back through its own checkpoints), so both always show the same moment. Faults the
//! fault buttons add while comparing go to both.

use crate::charts::{self, Lines};
use crate::session::Session;

/// Variant B and the change that makes it.
pub struct Compare {
    /// The overrides (`PATH=VALUE`) B adds to A's.
    pub change: Vec<String>,
    /// The change in a few words, for B's heading.
    pub label: String,
    /// Variant B.
    pub b: Session,
}

impl Compare {
    /// Starts B as `a` with `change`, re-simulated on a background thread to `a`'s clock.
    pub fn start(a: &Session, change: Vec<String>, label: &str) -> Result<Compare, String> {
        let mut b = Session::open(a.lesson.clone(), Some(a.seed))?;
        b.added = a.added.clone();
        b.speed = a.speed;
        let mut sets = a.sets.clone();
        sets.extend(change.iter().cloned());
        b.rerun_to(sets, a.now());
        Ok(Compare {
            change,
            label: label.to_string(),
            b,
        })
    }

    /// Brings B to A's clock, once its re-simulation is in; returns whether B is at it.
    pub fn follow(&mut self, a: &Session) -> Result<bool, String> {
        self.b.poll()?;
        if self.b.rerunning() {
            return Ok(false);
        }
        if self.b.now() != a.now() {
            self.b.seek(a.now())?;
        }
        Ok(self.b.now() == a.now())
    }
}

/// B − A for every line of the throughput and latency charts, bucket by bucket, over the
/// buckets both have.
pub fn difference(a: &Session, b: &Session) -> Lines {
    let [traffic_a, latency_a, ..] = charts::lines(a);
    let [traffic_b, latency_b, ..] = charts::lines(b);
    let mut out = Lines::new();
    for (la, lb) in traffic_a
        .iter()
        .zip(&traffic_b)
        .chain(latency_a.iter().zip(&latency_b))
    {
        debug_assert_eq!(la.0, lb.0, "the same scenario has the same lines");
        let points =
            la.1.iter()
                .zip(&lb.1)
                .map(|(pa, pb)| [pa[0], pb[1] - pa[1]])
                .collect();
        out.push((format!("{} B-A", la.0), points));
    }
    out
}

/// Draws A and B's topologies side by side over the difference charts: goodput and client
/// latency, B − A.
pub fn show(ui: &mut egui::Ui, a: &Session, compare: &Compare) {
    let height = ui.available_height();
    ui.columns(2, |cols| {
        for (col, (side, title, session)) in cols.iter_mut().zip([
            ("A", "A: as watched".to_string(), a),
            ("B", format!("B: with {}", compare.label), &compare.b),
        ]) {
            col.label(title);
            // Each view scrolls sideways within its half rather than spill into the other.
            col.push_id(side, |ui| {
                egui::ScrollArea::horizontal()
                    .max_height(height * 0.45)
                    .show(ui, |ui| crate::topology::show(ui, session))
            });
        }
    });
    ui.separator();
    let lines = difference(a, &compare.b);
    let (goodput, latency): (Lines, Lines) = lines
        .into_iter()
        .filter(|(name, _)| name.contains("goodput") || name.contains("p99"))
        .partition(|(name, _)| name.contains("goodput"));
    let end = a.end().as_secs_f64();
    let plot_height = (ui.available_height() - 30.0).max(80.0);
    ui.columns(2, |cols| {
        for (col, (id, title, lines)) in cols.iter_mut().zip([
            ("goodput difference", "Goodput, B - A (per second)", goodput),
            ("latency difference", "Client p99, B - A (s)", latency),
        ]) {
            col.label(title);
            egui_plot::Plot::new(id)
                .height(plot_height)
                .legend(egui_plot::Legend::default())
                .include_x(0.0)
                .include_x(end)
                .include_y(0.0)
                .allow_scroll(false)
                .show(col, |plot| {
                    for (name, points) in lines {
                        let line = egui_plot::Line::new(name, egui_plot::PlotPoints::from(points));
                        plot.line(line);
                    }
                });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::bundled;
    use sim_core::SimDuration;
    use std::path::Path;

    fn cascade() -> Session {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let lesson = bundled(&root).into_iter().find(|l| l.name == "cascade");
        Session::open(lesson.unwrap(), Some(7)).unwrap()
    }

    fn report(s: &Session) -> String {
        serde_json::to_string(&s.report()).unwrap()
    }

    #[test]
    fn an_unchanged_variant_follows_the_clock_and_stays_identical() {
        let mut a = cascade();
        a.step_by(SimDuration::from_secs(20));
        let mut c = Compare::start(&a, Vec::new(), "nothing").unwrap();
        c.b.wait().unwrap();
        assert!(c.follow(&a).unwrap());
        assert_eq!(report(&a), report(&c.b));
        a.step_by(SimDuration::from_secs(50));
        assert!(c.follow(&a).unwrap());
        a.crash("api", 0, Some(SimDuration::from_secs(5))).unwrap();
        c.b.crash("api", 0, Some(SimDuration::from_secs(5)))
            .unwrap();
        a.step_by(SimDuration::from_secs(10));
        assert!(c.follow(&a).unwrap());
        assert_eq!(a.now(), c.b.now());
        assert_eq!(report(&a), report(&c.b));
        let diff = difference(&a, &c.b);
        assert!(!diff.is_empty());
        assert!(diff.iter().all(|(_, p)| p.iter().all(|v| v[1] == 0.0)));
        // Back along the timeline: B goes back too.
        a.seek(sim_core::SimTime(30_000_000_000)).unwrap();
        assert!(c.follow(&a).unwrap());
        assert_eq!(report(&a), report(&c.b));
    }

    #[test]
    fn a_variant_with_a_breaker_matches_the_storm_until_the_fault_then_answers_faster() {
        let mut a = cascade();
        a.step_by(SimDuration::from_secs(80));
        let site = crate::policies::call_sites(&a.scenario)
            .into_iter()
            .find(|s| s.label == "api -> db")
            .unwrap();
        let mut c =
            Compare::start(&a, vec![site.add(crate::policies::BREAKER)], "a breaker").unwrap();
        c.b.wait().unwrap();
        assert!(c.follow(&a).unwrap());
        let diff = difference(&a, &c.b);
        let p99 = diff
            .iter()
            .find(|(name, _)| name == "users p99 B-A")
            .unwrap();
        // The database slows at 60 s. Until then a closed breaker changes nothing; after
        // it, B's users get their answers (or errors) sooner.
        assert!(diff
            .iter()
            .all(|(_, points)| points.iter().filter(|p| p[0] < 60.0).all(|p| p[1] == 0.0)));
        let after: Vec<f64> = p99
            .1
            .iter()
            .filter(|p| p[0] >= 62.0)
            .map(|p| p[1])
            .collect();
        assert!(
            !after.is_empty() && after.iter().all(|d| *d < 0.0),
            "{p99:?}"
        );
    }
}
