//! Live charts of the run so far, from the world's time series: each service's throughput
//! beside its goodput, the clients' p50 and p99, queue lengths, busy workers, retries with the
//! end-to-end amplification, and how open each circuit breaker is — with the faults' windows
//! shaded.

use crate::session::Session;
use egui_plot::{Legend, Line, Plot, PlotPoints, Span};
use sim_core::SimTime;

/// One chart's lines: a name and its points (seconds, value).
pub type Lines = Vec<(String, Vec<[f64; 2]>)>;

/// The series of `session` up to its clock, as the six charts' lines: traffic, latency,
/// queues, busy workers, retries and amplification, breakers.
pub fn lines(session: &Session) -> [Lines; 6] {
    let world = session.world();
    let now = session.now();
    let bucket = session.scenario.time_series.bucket;
    let width = bucket.as_secs_f64().max(1e-9);
    // Buckets begun before now; the last may be partly elapsed.
    let buckets = match bucket.as_nanos() {
        0 => 0,
        b => now.0.div_ceil(b) as usize,
    };
    let x = |i: usize| i as f64 * width;
    // The elapsed part of bucket `i`, in seconds: counts per second use it.
    let elapsed = |i: usize| (now.as_secs_f64() - x(i)).clamp(1e-9, width);
    let mut traffic = Lines::new();
    let mut latency = Lines::new();
    let mut queues = Lines::new();
    let mut busy = Lines::new();
    let statistics = world.statistics();
    for ((s, calls), server) in (world.services.iter())
        .zip(&statistics.services)
        .zip(&statistics.servers)
    {
        let n = buckets.min(server.series.completed.len());
        let per_s = |series: &sim_core::CountSeries| -> Vec<[f64; 2]> {
            (0..n)
                .map(|i| [x(i), series.get(i) as f64 / elapsed(i)])
                .collect()
        };
        traffic.push((
            format!("{} throughput", s.name),
            per_s(&server.series.completed),
        ));
        traffic.push((format!("{} goodput", s.name), per_s(&calls.series.goodput)));
        let level = |series: &sim_core::LevelSeries| -> Vec<[f64; 2]> {
            (0..buckets)
                .map(|i| [x(i), series.mean_so_far(i, now)])
                .collect()
        };
        queues.push((s.name.clone(), level(&server.series.queued)));
        busy.push((s.name.clone(), level(&server.series.busy)));
    }
    for (c, figures) in world.clients.iter().zip(&world.statistics().clients) {
        let q = &figures.series.latency_quantiles;
        // The current bucket's quantiles are known only once it closes.
        let closed = (buckets.saturating_sub(1)).min(q.len());
        for (k, name) in [(0, "p50"), (2, "p99")] {
            let points = (0..closed)
                .filter_map(|i| q.get(i).map(|v| [x(i), v[k] as f64 / 1e9]))
                .collect();
            latency.push((format!("{} {name}", c.name), points));
        }
    }
    // Retries per second over every edge, and the end-to-end amplification: calls arriving
    // at services per request the clients sent.
    let mut retries = Lines::new();
    let retry_series = &world.statistics().retry_series;
    if !retry_series.is_empty() {
        let points = (0..buckets)
            .map(|i| {
                let n: u64 = retry_series.iter().map(|r| r.get(i)).sum();
                [x(i), n as f64 / elapsed(i)]
            })
            .collect();
        retries.push(("retries per second".to_string(), points));
    }
    let amplification = (0..buckets)
        .filter_map(|i| {
            let sent: u64 = (world.statistics().clients.iter())
                .map(|c| c.series.sent.get(i))
                .sum();
            let arrived: u64 = (statistics.servers.iter())
                .map(|s| s.series.arrivals.get(i))
                .sum();
            (sent > 0).then(|| [x(i), arrived as f64 / sent as f64])
        })
        .collect();
    retries.push(("calls per request".to_string(), amplification));
    let mut breakers = Lines::new();
    for (e, edge) in world.edges.iter().enumerate() {
        let breaker = world
            .policy_levels
            .get(e)
            .and_then(|levels| levels.iter().find(|l| l.layer == "circuit_breaker"));
        let Some(level) = breaker else { continue };
        let callers = crate::topology::callers(world, e) as f64;
        let to = &world.services[edge.to.index()].name;
        let points = (0..buckets)
            .map(|i| {
                [
                    x(i),
                    level.series.mean_so_far(i, now) / 1000.0 / (2.0 * callers),
                ]
            })
            .collect();
        breakers.push((format!("{} -> {to}", edge.from), points));
    }
    [traffic, latency, queues, busy, retries, breakers]
}

/// The scenario's faults' windows begun by `now`, in seconds, cut at `now`.
fn fault_windows(session: &Session, now: SimTime) -> Vec<(f64, f64)> {
    let now = now.as_secs_f64();
    let mut windows = Vec::new();
    for f in &session.scenario.faults {
        let (start, end) = crate::faults::window(f);
        if start <= now {
            // A crash without restart, or a window still open, is shaded up to now.
            let end = end.unwrap_or(now).min(now).max(start + 0.05);
            windows.push((start, end));
        }
    }
    windows
}

/// Draws the six charts, with `ghost`'s lines (the run before the last re-run) faded behind.
pub fn show(ui: &mut egui::Ui, session: &Session, ghost: Option<&[Lines; 6]>) {
    let [traffic, latency, queues, busy, retries, breakers] = lines(session);
    let empty = Lines::new();
    let ghosts: [&Lines; 6] = match ghost {
        Some([a, b, c, d, e, f]) => [a, b, c, d, e, f],
        None => [&empty; 6],
    };
    let windows = fault_windows(session, session.now());
    let end = session.end().as_secs_f64();
    let height = (ui.available_height() / 3.0 - 24.0).max(60.0);
    let chart = |ui: &mut egui::Ui, id: &str, title: &str, lines: &Lines, ghost: &Lines| {
        ui.label(title);
        Plot::new(id)
            .height(height)
            .legend(Legend::default())
            .include_x(0.0)
            .include_x(end)
            .include_y(0.0)
            .allow_scroll(false)
            .show(ui, |plot| {
                for &(start, stop) in &windows {
                    let shade = egui::Color32::from_rgba_unmultiplied(200, 60, 60, 40);
                    plot.span(Span::new("fault", start..=stop).fill(shade));
                }
                // Unnamed, so that the legend lists only the current run.
                for (_, points) in ghost {
                    let faded = egui::Color32::from_rgba_unmultiplied(160, 160, 160, 70);
                    plot.line(Line::new("", PlotPoints::from(points.clone())).color(faded));
                }
                for (name, points) in lines {
                    plot.line(Line::new(name.clone(), PlotPoints::from(points.clone())));
                }
            });
    };
    ui.columns(2, |cols| {
        let traffic_title = "Throughput and goodput (per second)";
        chart(&mut cols[0], "traffic", traffic_title, &traffic, ghosts[0]);
        chart(&mut cols[0], "queues", "Queue length", &queues, ghosts[2]);
        let retries_title = "Retries per second; calls per client request";
        chart(&mut cols[0], "retries", retries_title, &retries, ghosts[4]);
        let latency_title = "Client latency p50 and p99 (s)";
        chart(&mut cols[1], "latency", latency_title, &latency, ghosts[1]);
        chart(&mut cols[1], "busy", "Busy workers", &busy, ghosts[3]);
        let breakers_title = "Circuit breakers: 0 closed, 0.5 half-open, 1 open";
        chart(
            &mut cols[1],
            "breakers",
            breakers_title,
            &breakers,
            ghosts[5],
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::bundled;
    use sim_core::SimDuration;
    use std::path::Path;

    #[test]
    fn amplification_counts_every_tier_and_the_breaker_chart_shows_it_opening() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let lesson = bundled(&root).into_iter().find(|l| l.name == "cascade");
        let mut s = Session::open(lesson.unwrap(), Some(1)).unwrap();
        let site = crate::policies::call_sites(&s.scenario)
            .into_iter()
            .find(|c| c.label == "api -> db")
            .unwrap();
        s.rerun(vec![site.add(crate::policies::BREAKER)]);
        s.wait().unwrap();
        s.step_by(SimDuration::from_secs(75));
        let [.., retries, breakers] = lines(&s);
        let calls = &retries
            .iter()
            .find(|l| l.0 == "calls per request")
            .unwrap()
            .1;
        // users -> frontend -> api -> db: three calls per request while all is well.
        for p in calls.iter().filter(|p| p[0] < 59.0) {
            assert!((p[1] - 3.0).abs() < 0.1, "{p:?}");
        }
        assert_eq!(breakers.len(), 1, "one edge has a breaker");
        let (name, open) = &breakers[0];
        assert_eq!(name, "api -> db");
        assert!(open.iter().filter(|p| p[0] < 59.0).all(|p| p[1] == 0.0));
        assert!(open.iter().any(|p| p[0] >= 61.0 && p[1] > 0.5), "{open:?}");
        assert!(fault_windows(&s, s.now()) == [(60.0, 75.0)]);
    }
}
