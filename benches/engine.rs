//! Speed and memory of the engine, measured (never asserted in tests: these machines are shared).
//!
//! `cargo bench --bench engine` prints, in one run:
//! 1. M/M/1 at λ = 0.9, μ = 1 with 10M customers through the real engine (scenario → report,
//!    statistics on, as `faultline run --json` runs it; and again with time series, as `--out`
//!    does) and through a minimal hand-written loop (BinaryHeap, integer time, ChaCha8),
//!    the floor, twice: drawing exponentials by `ln`, and by the engine's own ziggurat, so the
//!    ratio is against the faster floor. Target: the engine keeps ≥ 50% of it; in lean mode
//!    (no `Statistics`, `simulation_lean`), ≥ 70%.
//! 2. Bytes per request in flight with 1M requests queued (counting allocator). Target ≤ 256.
//! 3. The future-event set: std's BinaryHeap against the `priority-queue` crate on a hold model,
//!    the measured reason the engine does not use the card's default crate.
//! 4. Re-run: a 60-second, 1,000 requests/s three-tier scenario from its text to its report (what
//!    the GUI does on every slider move). Target ≤ 100 ms.
//! 5. Caller-side policies on both edges of users → api → db, against none: a typical stack
//!    (Timeout, Retry with a budget, CircuitBreaker, Bulkhead; target ≤ +30% per request) and
//!    all nine kinds of layer (target ≤ +60%).
//!
//! 6. The future-event set's shape: std's binary heap against 4- and 8-ary heaps (`dary_heap`)
//!    on 32-byte entries, at 200 and 10,000 pending events.
//!
//! `FAULTLINE_BENCH_ONLY=engine|rerun|policies|heap` runs one part (1–3, 4, 5 or 6). Set
//! `FAULTLINE_BENCH_CUSTOMERS` to change the 10M. Timings are best-of-five, alternating
//! engine and floor, because these machines are shared and noisy.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes, to measure memory per request.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn exp_ns(rng: &mut ChaCha8Rng, mean_ns: f64) -> u64 {
    let u: f64 = rng.random();
    (-(1.0 - u).ln() * mean_ns) as u64
}

/// Exponential draws for the floor: by inversion with the platform's `ln` (what a hand-written loop
/// usually does), or with the engine's own ziggurat (the fastest draw we know: the fair floor).
#[derive(Clone, Copy)]
enum Draw {
    Inversion,
    Ziggurat,
}

/// The floor: the least work any M/M/1 simulation must do.
fn floor_mm1(customers: u64, draw: Draw) -> u64 {
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
    enum Kind {
        Arrival,
        Departure,
    }
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    let (ia, sv) = (1e9 / 0.9, 1e9);
    let exp_ns = |rng: &mut ChaCha8Rng, mean: f64| match draw {
        Draw::Inversion => exp_ns(rng, mean),
        Draw::Ziggurat => (sim_core::standard_exponential(rng) * mean) as u64,
    };
    heap.push(Reverse((exp_ns(&mut rng, ia), seq, Kind::Arrival)));
    let (mut queue, mut busy, mut served, mut arrived) = (0u64, false, 0u64, 0u64);
    while let Some(Reverse((t, _, kind))) = heap.pop() {
        seq += 1;
        match kind {
            Kind::Arrival => {
                arrived += 1;
                if arrived < customers {
                    heap.push(Reverse((t + exp_ns(&mut rng, ia), seq, Kind::Arrival)));
                }
                if busy {
                    queue += 1;
                } else {
                    busy = true;
                    heap.push(Reverse((t + exp_ns(&mut rng, sv), seq, Kind::Departure)));
                }
            }
            Kind::Departure => {
                served += 1;
                if queue > 0 {
                    queue -= 1;
                    heap.push(Reverse((t + exp_ns(&mut rng, sv), seq, Kind::Departure)));
                } else {
                    busy = false;
                }
            }
        }
    }
    served
}

/// M/M/1 at λ = 0.9, μ = 1 for about `customers` customers, after a warm-up.
fn mm1(customers: u64) -> sim_models::Scenario {
    let duration = (customers as f64 / 0.9).ceil() as u64;
    let text = format!(
        r#"(
            duration: "{duration}s", warmup: "1000s", time_series: (bucket: "1000s"),
            clients: {{ "arrivals": Open(rate: 0.9, target: "server") }},
            services: {{ "server": (workers: 1, service_time: Exponential(mean: "1s")) }},
        )"#
    );
    sim_models::load_scenario_str("bench.ron", &text, &[])
        .unwrap()
        .scenario
}

/// M/M/1 through the engine from scenario text to report: as `faultline run --json` runs it
/// (no time series) or, with `series`, as `--out` does.
fn engine_mm1(customers: u64, series: bool) -> u64 {
    let scenario = mm1(customers);
    let r = if series {
        sim_models::run(&scenario, 1)
    } else {
        sim_models::run_summary(&scenario, 1)
    }
    .unwrap();
    let w = r.report.services["server"].wait.mean;
    assert!(
        (w - 9.0).abs() < 0.5,
        "the benchmark must simulate the right thing: Wq = {w}"
    );
    r.world.statistics().servers[0].stats.completed
        + r.world.statistics().clients[0]
            .stats
            .count(sim_models::Outcome::Rejected)
}

/// [`engine_mm1`] in lean mode: the same simulation with no `Statistics` and no observer, run
/// to its end without a report. With nothing measured, the check is that it served what it
/// was sent.
fn engine_mm1_lean(customers: u64) -> u64 {
    let totals = run_lean(&mm1(customers));
    let served = totals.ended(sim_models::Outcome::Completed);
    assert!(
        served + 1_000 >= totals.sent && totals.sent as f64 > 0.99 * customers as f64,
        "the benchmark must simulate the right thing: {served} of {} served",
        totals.sent
    );
    served
}

/// Three tiers with a fan-out: users → frontend → api → all of db, cache and search, every call
/// with a timeout, at 10k requests/s for `seconds` of simulated time; `network` adds a latency
/// to every message. Returns the requests the users sent.
fn three_tier(seconds: u64, network: bool) -> u64 {
    three_tier_at(seconds, 10_000, network, false, false)
}

/// [`three_tier`] at `rate` requests/s, keeping time series if `series` (as the GUI does), or
/// in lean mode.
fn three_tier_at(seconds: u64, rate: u64, network: bool, series: bool, lean: bool) -> u64 {
    let net = if network {
        r#"network: (latency: LogNormal(mean: "300us", sd: "100us")),"#
    } else {
        ""
    };
    let text = format!(
        r#"(
            duration: "{seconds}s", time_series: (bucket: "60s"), {net}
            clients: {{ "users": Open(rate: {rate}, target: "frontend", timeout: "2s") }},
            services: {{
                "frontend": (instances: 4, workers: 64, load_balancer: PowerOfTwoChoices, steps: [
                    Work(Exponential(mean: "1ms")), Call(to: "api", timeout: "1s")]),
                "api": (instances: 4, workers: 64, load_balancer: LeastOutstanding, steps: [
                    Work(Exponential(mean: "2ms")),
                    FanOut(calls: [(to: "db", timeout: "500ms"), (to: "cache", timeout: "100ms"),
                                   (to: "search", timeout: "500ms")], wait: All)]),
                "db": (instances: 2, workers: 64, service_time: LogNormal(mean: "5ms", sd: "3ms")),
                "cache": (instances: 2, workers: 32, service_time: Exponential(mean: "500us")),
                "search": (instances: 2, workers: 64, service_time: Gamma(shape: 2.0, mean: "8ms")),
            }},
        )"#
    );
    if lean {
        run_healthy_lean(&text)
    } else {
        run_healthy(&text, series)
    }
}

/// Which caller-side policies the policy benchmark puts on both edges.
#[derive(Clone, Copy)]
enum Stack {
    /// None.
    None,
    /// What a service usually has: a timeout, retries with a budget, a breaker and a bulkhead.
    Typical,
    /// All nine kinds of layer.
    All,
}

/// Requests through users → api → db at 10k/s for `seconds`, with `stack` on both edges; a
/// healthy system, so the policies decide but rarely refuse.
fn policy_cost(seconds: u64, stack: Stack) -> u64 {
    let policies = match stack {
        Stack::All => {
            r#"policies: [
            Fallback(kind: Static),
            AdaptiveThrottle(k: 2.0),
            Timeout("1s"),
            Retry(max_attempts: 3, backoff: Grpc(initial: "10ms", max: "100ms", multiplier: 2.0)),
            RetryBudget(Grpc(max_tokens: 10, token_ratio: 0.1)),
            CircuitBreaker(Resilience4j(window: Time(10), minimum_calls: 100)),
            RateLimiter(limit_for_period: 1000000, refresh_period: "1s"),
            Bulkhead(Semaphore(max_concurrent: 10000)),
            Timeout("500ms"),
        ]"#
        }
        Stack::Typical => {
            r#"policies: [
            Timeout("1s"),
            Retry(max_attempts: 3, backoff: Grpc(initial: "10ms", max: "100ms", multiplier: 2.0)),
            RetryBudget(Grpc(max_tokens: 10, token_ratio: 0.1)),
            CircuitBreaker(Resilience4j(window: Time(10), minimum_calls: 100)),
            Bulkhead(Semaphore(max_concurrent: 10000)),
        ]"#
        }
        Stack::None => "",
    };
    let text = format!(
        r#"(
            duration: "{seconds}s", time_series: (bucket: "60s"),
            clients: {{ "users": Open(rate: 10000, target: "api", timeout: "2s", {policies}) }},
            services: {{
                "api": (instances: 4, workers: 64, steps: [
                    Work(Exponential(mean: "1ms")), Call(to: "db", timeout: "1s", {policies})]),
                "db": (instances: 2, workers: 64, service_time: Exponential(mean: "2ms")),
            }},
        )"#
    );
    run_healthy(&text, false)
}

/// Runs scenario `text` with seed 1 (keeping time series if `series`) and returns the requests its `users` sent, after checking
/// that the system stayed healthy (a benchmark of a collapsed system measures nothing).
fn run_healthy(text: &str, series: bool) -> u64 {
    let scenario = sim_models::load_scenario_str("bench.ron", text, &[])
        .unwrap()
        .scenario;
    let r = if series {
        sim_models::run(&scenario, 1)
    } else {
        sim_models::run_summary(&scenario, 1)
    }
    .unwrap();
    let users = &r.report.clients["users"];
    assert!(
        users.completed as f64 > 0.99 * users.sent as f64,
        "the benchmark must simulate a healthy system: {} of {} answered; edges {:?}",
        users.completed,
        users.sent,
        r.report.edges
    );
    users.sent
}

/// [`run_healthy`] in lean mode (no `Statistics`, no report, no time series): the requests
/// sent, checked against the run-wide totals the model keeps.
fn run_healthy_lean(text: &str) -> u64 {
    let scenario = sim_models::load_scenario_str("bench.ron", text, &[])
        .unwrap()
        .scenario;
    let totals = run_lean(&scenario);
    let answered = totals.ended(sim_models::Outcome::Completed);
    assert!(
        answered as f64 > 0.99 * totals.sent as f64,
        "the benchmark must simulate a healthy system: {answered} of {} answered",
        totals.sent
    );
    totals.sent
}

/// Runs `scenario` (seed 1) to its end in lean mode — no `Statistics`, no observer, no time
/// series, no report — and returns the run-wide totals the model keeps.
fn run_lean(scenario: &sim_models::Scenario) -> sim_models::Totals {
    let mut sim = sim_models::simulation_lean(scenario, 1, ()).unwrap();
    sim.model_mut().disable_series();
    sim.run();
    sim.model().totals.clone()
}

fn memory_per_request(n: u64) -> (f64, u64) {
    // One worker busy for a very long time; a constant source sends n requests within one second,
    // all of which queue.
    let text = format!(
        r#"(
            duration: "1s", limits: (max_in_flight: {}),
            clients: {{ "burst": Open(rate: {n}, process: Constant, target: "stuck") }},
            services: {{ "stuck": (workers: 1, service_time: Deterministic(value: "1000000s")) }},
        )"#,
        n + 10
    );
    let scenario = sim_models::load_scenario_str("mem.ron", &text, &[])
        .unwrap()
        .scenario;
    let before = LIVE.load(Ordering::Relaxed);
    let mut sim = sim_models::simulation(&scenario, 1).unwrap();
    sim.run();
    let in_flight = sim.model().in_flight() as u64;
    let after = LIVE.load(Ordering::Relaxed);
    black_box(&sim);
    // Everything the run holds (histograms and series included) is charged to the requests.
    ((after - before) as f64 / in_flight as f64, in_flight)
}

fn hold_binary_heap(pending: usize, ops: usize) -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut heap = BinaryHeap::with_capacity(pending);
    for seq in 0..pending as u64 {
        heap.push(Reverse((exp_ns(&mut rng, 1e9), seq)));
    }
    let mut seq = pending as u64;
    let mut last = 0;
    for _ in 0..ops {
        let Reverse((t, _)) = heap.pop().unwrap();
        last = t;
        seq += 1;
        heap.push(Reverse((t + exp_ns(&mut rng, 1e9), seq)));
    }
    last
}

fn hold_priority_queue(pending: usize, ops: usize) -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut pq = priority_queue::PriorityQueue::with_capacity(pending);
    for seq in 0..pending as u64 {
        pq.push(seq, Reverse((exp_ns(&mut rng, 1e9), seq)));
    }
    let mut seq = pending as u64;
    let mut last = 0;
    for _ in 0..ops {
        let (_, Reverse((t, _))) = pq.pop().unwrap();
        last = t;
        seq += 1;
        pq.push(seq, Reverse((t + exp_ns(&mut rng, 1e9), seq)));
    }
    last
}

/// An entry the size of the engine's own (time, sequence number, a 16-byte event), reversed so
/// that a max-heap pops the earliest.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Held(Reverse<(u64, u64)>, [u64; 2]);

/// The hold model on 32-byte entries, in std's binary heap or a d-ary heap of `D` children.
fn hold_entries<H: HeldHeap>(pending: usize, ops: usize) -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut heap = H::default();
    for seq in 0..pending as u64 {
        heap.push(Held(Reverse((exp_ns(&mut rng, 1e9), seq)), [seq; 2]));
    }
    let mut seq = pending as u64;
    let mut last = 0;
    for _ in 0..ops {
        let Held(Reverse((t, _)), _) = heap.pop().unwrap();
        last = t;
        seq += 1;
        heap.push(Held(Reverse((t + exp_ns(&mut rng, 1e9), seq)), [seq; 2]));
    }
    last
}

/// What the hold model needs of a heap.
trait HeldHeap: Default {
    fn push(&mut self, e: Held);
    fn pop(&mut self) -> Option<Held>;
}

impl HeldHeap for BinaryHeap<Held> {
    fn push(&mut self, e: Held) {
        BinaryHeap::push(self, e)
    }
    fn pop(&mut self) -> Option<Held> {
        BinaryHeap::pop(self)
    }
}

impl<const D: usize> HeldHeap for dary_heap::DaryHeap<Held, D> {
    fn push(&mut self, e: Held) {
        dary_heap::DaryHeap::push(self, e)
    }
    fn pop(&mut self) -> Option<Held> {
        dary_heap::DaryHeap::pop(self)
    }
}

/// Rounds of each M/M/1 measurement; the fastest counts, as the one least disturbed by other
/// work on a shared machine.
const ROUNDS: usize = 5;

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64())
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run only for bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // FAULTLINE_BENCH_ONLY=engine|rerun|policies|heap runs one part.
    let only = std::env::var("FAULTLINE_BENCH_ONLY").ok();
    let part = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if part("engine") {
        engine_benches();
    }
    if part("rerun") {
        rerun_bench();
    }
    if part("policies") {
        policy_benches();
    }
    if part("heap") {
        heap_benches();
    }
}

/// The future-event set's shape: std's binary heap against 4- and 8-ary heaps on entries the
/// size of the engine's, at the sizes a run holds (about 170 pending in the three tiers, 10,000
/// in a large system).
fn heap_benches() {
    println!("\n== future-event set, hold model on 32-byte entries, 5M pop+push, best of {ROUNDS}");
    for pending in [200, 10_000] {
        let (mut b2, mut b4, mut b8) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
        for _ in 0..ROUNDS {
            let (_, s) = timed(|| black_box(hold_entries::<BinaryHeap<Held>>(pending, 5_000_000)));
            b2 = b2.min(s);
            let (_, s) = timed(|| {
                black_box(hold_entries::<dary_heap::DaryHeap<Held, 4>>(
                    pending, 5_000_000,
                ))
            });
            b4 = b4.min(s);
            let (_, s) = timed(|| {
                black_box(hold_entries::<dary_heap::DaryHeap<Held, 8>>(
                    pending, 5_000_000,
                ))
            });
            b8 = b8.min(s);
        }
        println!(
            "{pending:>6} pending: std binary {:>6.2} M ops/s, 4-ary {:>6.2} M ops/s, 8-ary {:>6.2} M ops/s",
            5.0 / b2,
            5.0 / b4,
            5.0 / b8
        );
    }
}

/// The GUI's budget: a 60-second, 1,000 requests/s three-tier scenario from its text to its
/// report, which the GUI re-runs on every slider move.
fn rerun_bench() {
    println!("\n== re-run: three tiers, 1,000 requests/s for 60 s simulated, scenario text → report, best of {ROUNDS}");
    let mut best = f64::INFINITY;
    let mut sent = 0;
    for _ in 0..ROUNDS {
        let (n, s) = timed(|| three_tier_at(black_box(60), 1_000, false, true, false));
        best = best.min(s);
        sent = n;
    }
    println!(
        "scenario → report:       {:>7.1} ms  ({sent} requests; target ≤ 100 ms)",
        best * 1e3
    );
}

fn policy_benches() {
    let seconds = 300;
    println!(
        "\n== caller-side policies: users → api → db at 10k requests/s for {seconds} s simulated, best of {ROUNDS}"
    );
    let mut best = [f64::INFINITY; 3];
    let mut sent = 0;
    for _ in 0..ROUNDS {
        for (k, stack) in [Stack::None, Stack::Typical, Stack::All]
            .into_iter()
            .enumerate()
        {
            let (n, s) = timed(|| policy_cost(black_box(seconds), stack));
            best[k] = best[k].min(s);
            sent = n;
        }
    }
    let [none_s, typical_s, all_s] = best;
    println!(
        "no policies:             {:>6.2} M requests/s  ({none_s:.2} s)",
        sent as f64 / none_s / 1e6
    );
    println!(
        "typical caller stack:    {:>6.2} M requests/s  ({typical_s:.2} s): {:+.0}% per request (target ≤ +30%)",
        sent as f64 / typical_s / 1e6,
        (typical_s / none_s - 1.0) * 100.0
    );
    println!(
        "every caller policy:     {:>6.2} M requests/s  ({all_s:.2} s): {:+.0}% per request (target ≤ +60%)",
        sent as f64 / all_s / 1e6,
        (all_s / none_s - 1.0) * 100.0
    );
}

fn engine_benches() {
    let customers: u64 = std::env::var("FAULTLINE_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);

    println!(
        "== M/M/1, λ = 0.9, μ = 1, {customers} customers (best of {ROUNDS} alternating rounds)"
    );
    let (mut ln_s, mut zig_s, mut engine_s) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let (mut ln_served, mut zig_served, mut engine_served) = (0, 0, 0);
    let (mut series_s, mut series_served) = (f64::INFINITY, 0);
    let (mut lean_s, mut lean_served) = (f64::INFINITY, 0);
    for _ in 0..ROUNDS {
        let (served, s) = timed(|| floor_mm1(black_box(customers), Draw::Inversion));
        (ln_served, ln_s) = (served, ln_s.min(s));
        let (served, s) = timed(|| floor_mm1(black_box(customers), Draw::Ziggurat));
        (zig_served, zig_s) = (served, zig_s.min(s));
        let (served, s) = timed(|| engine_mm1(black_box(customers), false));
        (engine_served, engine_s) = (served, engine_s.min(s));
        let (served, s) = timed(|| engine_mm1(black_box(customers), true));
        (series_served, series_s) = (served, series_s.min(s));
        let (served, s) = timed(|| engine_mm1_lean(black_box(customers)));
        (lean_served, lean_s) = (served, lean_s.min(s));
    }
    let ln_rate = ln_served as f64 / ln_s;
    let zig_rate = zig_served as f64 / zig_s;
    let engine_rate = engine_served as f64 / engine_s;
    println!(
        "floor, exponentials by ln(U):      {:>6.2} M customers/s  ({ln_s:.2} s)",
        ln_rate / 1e6
    );
    println!(
        "floor, exponentials by ziggurat:   {:>6.2} M customers/s  ({zig_s:.2} s)",
        zig_rate / 1e6
    );
    println!(
        "engine (scenario → report, --json): {:>5.2} M customers/s  ({engine_s:.2} s)",
        engine_rate / 1e6
    );
    let series_rate = series_served as f64 / series_s;
    println!(
        "engine, with time series (--out):  {:>6.2} M customers/s  ({series_s:.2} s)",
        series_rate / 1e6
    );
    let lean_rate = lean_served as f64 / lean_s;
    println!(
        "engine, lean (no Statistics):      {:>6.2} M customers/s  ({lean_s:.2} s)",
        lean_rate / 1e6
    );
    println!(
        "engine / fastest floor = {:.0}%   (target ≥ 50%; against the ln floor: {:.0}%; with time series {:.0}%)",
        100.0 * engine_rate / ln_rate.max(zig_rate),
        100.0 * engine_rate / ln_rate,
        100.0 * series_rate / ln_rate.max(zig_rate)
    );
    println!(
        "lean engine / fastest floor = {:.0}%   (target ≥ 70%)",
        100.0 * lean_rate / ln_rate.max(zig_rate)
    );

    let tier_seconds: u64 = std::env::var("FAULTLINE_BENCH_TIER_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3600);
    println!(
        "\n== three tiers with a fan-out of 3 (5 calls per request, all with timeouts), 10k requests/s for {tier_seconds} s simulated"
    );
    for network in [false, true] {
        let (sent, s) = timed(|| three_tier(black_box(tier_seconds), network));
        println!(
            "{:<34} {:>6.2} M requests/s  ({sent} requests in {s:.1} s; target ≥ 1 M/s)",
            if network {
                "with 300 µs network latency:"
            } else {
                "ideal network:"
            },
            sent as f64 / s / 1e6
        );
    }

    let (sent, s) = timed(|| three_tier_at(black_box(tier_seconds), 10_000, false, false, true));
    println!(
        "{:<34} {:>6.2} M requests/s  ({sent} requests in {s:.1} s)",
        "ideal network, lean:",
        sent as f64 / s / 1e6
    );

    println!("\n== memory per request in flight");
    let (bytes, n) = memory_per_request(1_000_000);
    println!("{bytes:.1} bytes per request with {n} requests queued   (target ≤ 256)");

    println!("\n== future-event set, hold model: 10,000 pending, 5M pop+push");
    let (_, heap_s) = timed(|| black_box(hold_binary_heap(10_000, 5_000_000)));
    let (_, pq_s) = timed(|| black_box(hold_priority_queue(10_000, 5_000_000)));
    println!("std BinaryHeap:          {:>7.2} M ops/s", 5.0 / heap_s);
    println!(
        "priority-queue crate:    {:>7.2} M ops/s   (BinaryHeap is {:.1}× faster)",
        5.0 / pq_s,
        pq_s / heap_s
    );
}
