//! What the GUI costs, measured (never asserted in tests: these machines are shared).
//!
//! `cargo bench -p sim-gui` prints, in one run:
//! 1. Slider move → new curves: a 60-second, 1,000 requests/s three-tier scenario paused at
//!    60 s, a knob moved, and the re-run (the lesson re-loaded with the override, simulated
//!    from t = 0 to 60 s with the GUI's observer and checkpoints) installed. Target ≤ 100 ms.
//! 2. A frame: the whole window laid out and tessellated by egui, headless, while the cascade
//!    lesson plays at 1×, 100× and 10,000×, 60 frames each. What it leaves out is drawing the
//!    triangles on the GPU. Target: well under 16.7 ms, for 60 frames/s.
//!
//! Timings are best-of-five (the re-run) or mean and worst (frames).

use sim_gui::lesson::{bundled, Lesson};
use sim_gui::session::Session;
use sim_gui::FaultlineApp;
use std::path::{Path, PathBuf};
use std::time::Instant;

const ROUNDS: usize = 5;

fn three_tier() -> Lesson {
    let source = r#"(
        duration: "60s",
        clients: { "users": Open(rate: 1000, target: "frontend", timeout: "2s") },
        services: {
            "frontend": (instances: 4, workers: 64, load_balancer: PowerOfTwoChoices, steps: [
                Work(Exponential(mean: "1ms")), Call(to: "api", timeout: "1s")]),
            "api": (instances: 4, workers: 64, load_balancer: LeastOutstanding, steps: [
                Work(Exponential(mean: "2ms")),
                FanOut(calls: [(to: "db", timeout: "500ms"), (to: "cache", timeout: "100ms"),
                               (to: "search", timeout: "500ms")], wait: All)]),
            "db": (instances: 2, workers: 64, service_time: LogNormal(mean: "5ms", sd: "3ms")),
            "cache": (instances: 2, workers: 32, service_time: Exponential(mean: "500us")),
            "search": (instances: 2, workers: 64, service_time: Gamma(shape: 2.0, mean: "8ms")),
        },
    )"#;
    Lesson {
        name: "three-tier".into(),
        path: PathBuf::from("three-tier.ron"),
        text: String::new(),
        look_for: Vec::new(),
        source: source.into(),
    }
}

fn rerun_bench() {
    println!("== slider move → new curves: three tiers, 1,000 requests/s, paused at 60 s, best of {ROUNDS}");
    let mut s = Session::open(three_tier(), Some(1)).expect("loads");
    s.run_to_end();
    let mut best = f64::INFINITY;
    for k in 0..ROUNDS {
        let start = Instant::now();
        s.rerun(vec![format!("services.db.workers={}", 60 + k)]);
        s.wait().expect("re-runs");
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "re-run installed:        {:>7.1} ms  ({} events; target ≤ 100 ms)",
        best * 1e3,
        s.sim().events()
    );
}

fn frame_bench() {
    println!("\n== a frame, laid out and tessellated headless, cascade lesson playing, 60 frames");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let lessons = bundled(&root);
    let cascade = lessons.iter().find(|l| l.name == "cascade").cloned();
    for speed in [1.0, 100.0, 10_000.0] {
        let mut app = FaultlineApp::new(lessons.clone(), cascade.clone());
        let session = app.session.as_mut().expect("opened");
        session.step_by(sim_core::SimDuration::from_secs(55));
        session.speed = speed;
        session.playing = true;
        let ctx = egui::Context::default();
        let (mut total, mut worst) = (0.0f64, 0.0f64);
        for frame in 0..60 {
            let input = egui::RawInput {
                screen_rect: Some(egui::Rect::from_min_size(
                    egui::Pos2::ZERO,
                    egui::vec2(1400.0, 900.0),
                )),
                time: Some(frame as f64 / 60.0),
                predicted_dt: 1.0 / 60.0,
                ..Default::default()
            };
            let start = Instant::now();
            let output = ctx.run_ui(input, |ui| app.show(ui));
            let triangles = ctx.tessellate(output.shapes, output.pixels_per_point);
            std::hint::black_box(triangles);
            let t = start.elapsed().as_secs_f64();
            total += t;
            worst = worst.max(t);
        }
        let s = app.session.as_ref().expect("open");
        println!(
            "at {speed:>7}x: mean {:>6.2} ms, worst {:>6.2} ms per frame (target < 16.7 ms); clock {:.3} s",
            total / 60.0 * 1e3,
            worst * 1e3,
            s.now().as_secs_f64()
        );
    }
}

fn main() {
    rerun_bench();
    frame_bench();
}
