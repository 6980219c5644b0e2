//! Live charts of the run so far, from the world's time series: each service's throughput
//! beside its goodput, the clients' p50 and p99, queue lengths and busy workers, with the
//! faults' starts and ends marked.

use crate::session::Session;
use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};
use sim_core::SimTime;

/// One chart's lines: a name and its points (seconds, value).
pub type Lines = Vec<(String, Vec<[f64; 2]>)>;

/// The series of `session` up to its clock, as the four charts' lines.
pub fn lines(session: &Session) -> [Lines; 4] {
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
    for s in &world.services {
        let n = buckets.min(s.series.completed.len());
        let per_s = |series: &sim_core::CountSeries| -> Vec<[f64; 2]> {
            (0..n)
                .map(|i| [x(i), series.get(i) as f64 / elapsed(i)])
                .collect()
        };
        traffic.push((format!("{} throughput", s.name), per_s(&s.series.completed)));
        traffic.push((format!("{} goodput", s.name), per_s(&s.series.goodput)));
        let level = |series: &sim_core::LevelSeries| -> Vec<[f64; 2]> {
            (0..buckets)
                .map(|i| [x(i), series.mean_so_far(i, now)])
                .collect()
        };
        queues.push((s.name.clone(), level(&s.series.queued)));
        busy.push((s.name.clone(), level(&s.series.busy)));
    }
    for c in &world.clients {
        let q = &c.series.latency_quantiles;
        // The current bucket's quantiles are known only once it closes.
        let closed = (buckets.saturating_sub(1)).min(q.len());
        for (k, name) in [(0, "p50"), (2, "p99")] {
            let points = (0..closed)
                .filter_map(|i| q.get(i).map(|v| [x(i), v[k] as f64 / 1e9]))
                .collect();
            latency.push((format!("{} {name}", c.name), points));
        }
    }
    [traffic, latency, queues, busy]
}

/// Times at which the scenario's faults start or end, up to `now`, in seconds.
fn fault_marks(session: &Session, now: SimTime) -> Vec<f64> {
    let mut marks = Vec::new();
    for f in &session.scenario.faults {
        let (start, end) = crate::faults::window(f);
        for t in [Some(start), end].into_iter().flatten() {
            if t <= now.as_secs_f64() {
                marks.push(t);
            }
        }
    }
    marks
}

/// Draws the four charts, with `ghost`'s lines (the run before the last re-run) faded behind.
pub fn show(ui: &mut egui::Ui, session: &Session, ghost: Option<&[Lines; 4]>) {
    let [traffic, latency, queues, busy] = lines(session);
    let empty = Lines::new();
    let ghosts: [&Lines; 4] = match ghost {
        Some([a, b, c, d]) => [a, b, c, d],
        None => [&empty, &empty, &empty, &empty],
    };
    let marks = fault_marks(session, session.now());
    let end = session.end().as_secs_f64();
    let height = (ui.available_height() / 2.0 - 24.0).max(80.0);
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
                for &t in &marks {
                    plot.vline(VLine::new("fault", t).color(egui::Color32::from_rgb(200, 80, 80)));
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
        let latency_title = "Client latency p50 and p99 (s)";
        chart(&mut cols[1], "latency", latency_title, &latency, ghosts[1]);
        chart(&mut cols[1], "busy", "Busy workers", &busy, ghosts[3]);
    });
}
