//! A small sweep by hand, drawn with `sim_plot::sweep_report`: an M/M/c queue over arrival rate
//! and worker count, five seeds a point, 95% Student-t intervals.
//!
//! ```sh
//! cargo run --release -p sim-plot --example sweep_report -- results/sweep-demo
//! ```
//!
//! Until the `faultline sweep` command exists, this shows what its report will look like; the
//! table it builds is the plain data any sweep hands to `sweep_report`.

use sim_core::student_t_interval;
use sim_models::{load_scenario_str, run};
use sim_plot::{sweep_report, Estimate, SweepInfo, SweepRow, SweepTable};
use std::collections::BTreeMap;
use std::path::PathBuf;

const SCENARIO: &str = r#"Scenario(
    name: "mmc",
    duration: "2000s",
    warmup: "100s",
    clients: { "arrivals": Open(rate: 1, target: "server") },
    services: { "server": (workers: 1, service_time: Exponential(mean: "1s")) },
)"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "results/sweep-demo".into()),
    );
    let seeds = 1..=5u64;
    let mut table = SweepTable {
        params: vec!["load ρ".into(), "services.server.workers".into()],
        rows: Vec::new(),
    };
    for workers in [1, 2, 3] {
        for rate in ["0.5", "0.7", "0.8", "0.9"] {
            let sets = vec![
                format!(
                    "clients.arrivals.rate={}",
                    rate.parse::<f64>()? * workers as f64
                ),
                format!("services.server.workers={workers}"),
            ];
            let scenario = load_scenario_str("mmc.ron", SCENARIO, &sets)?.scenario;
            let mut wait = Vec::new();
            let mut p99 = Vec::new();
            for seed in seeds.clone() {
                let report = run(&scenario, seed)?.report;
                wait.push(report.services["server"].wait.mean);
                p99.push(report.services["server"].latency.p99);
            }
            let estimate = |samples: &[f64]| {
                let i = student_t_interval(samples, 0.95);
                Estimate::from((i.mean, i.mean - i.half_width, i.mean + i.half_width))
            };
            let mut metrics = BTreeMap::new();
            metrics.insert("mean wait (s)".to_string(), estimate(&wait));
            metrics.insert("p99 latency (s)".to_string(), estimate(&p99));
            table.rows.push(SweepRow {
                values: vec![rate.to_string(), workers.to_string()],
                metrics,
            });
        }
    }
    let info = SweepInfo {
        scenario: "M/M/c, service time 1 s".into(),
        seeds: format!("{}–{}", seeds.start(), seeds.end()),
        interval: "95% Student-t".into(),
        notes: vec!["Load ρ = λ / c: the arrival rate is ρ times the worker count c.".into()],
        ..SweepInfo::default()
    };
    let written = sweep_report(&dir, &table, &info)?;
    println!(
        "wrote {} files; open {}",
        written.len(),
        dir.join("report.html").display()
    );
    Ok(())
}
