//! The memory estimate `check` refuses scenarios by is measured against what runs really
//! allocate (a counting allocator, peak bytes): it must never be below, nor far above.

use sim_models::{load_scenario_str, Scenario};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// One measurement at a time: the counters are global.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let n = NOW.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(n, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, n) };
        if !q.is_null() {
            // Old and new blocks may both be live while the data moves.
            let now = NOW.fetch_add(n, Relaxed) + n;
            PEAK.fetch_max(now, Relaxed);
            NOW.fetch_sub(l.size(), Relaxed);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn scenario(text: &str) -> Scenario {
    load_scenario_str("estimate.ron", text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// Peak bytes allocated while building and running `s`, above what was live before.
fn peak_of_run(s: &Scenario) -> u64 {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let base = NOW.load(Relaxed);
    PEAK.store(base, Relaxed);
    let result = sim_models::run(s, 1).expect("runs");
    let peak = PEAK.load(Relaxed) - base;
    drop(result);
    peak as u64
}

/// The estimate covers the run and is no more than `slack` times what it used.
fn assert_estimate_covers(what: &str, text: &str, slack: f64) {
    let s = scenario(text);
    let estimate = s.memory_estimate();
    let used = peak_of_run(&s);
    println!(
        "{what}: used {used} B, estimated {} B ({:.2}×): {}",
        estimate.total,
        estimate.total as f64 / used as f64,
        estimate.describe(4)
    );
    assert!(
        estimate.total >= used,
        "{what}: the run used {used} B, more than the estimate {} B: {}",
        estimate.total,
        estimate.describe(8)
    );
    assert!(
        estimate.total as f64 <= slack * used as f64,
        "{what}: the estimate {} B is more than {slack}× the {used} B used: {}",
        estimate.total,
        estimate.describe(8)
    );
}

#[test]
fn estimate_covers_many_instances() {
    assert_estimate_covers(
        "20,000 instances",
        r#"(duration: "1s", limits: (max_in_flight: 100),
            clients: { "u": Open(rate: 10.0, target: "s") },
            services: { "s": (instances: 20000, workers: 4, service_time: Exponential(mean: "1ms")) })"#,
        3.0,
    );
}

#[test]
fn estimate_covers_long_time_series_of_a_call_chain() {
    let mut services = String::new();
    for i in 0..6 {
        if i < 5 {
            services += &format!(
                r#""s{i}": (workers: 1, steps: [Work(Exponential(mean: "1ms")), Call(to: "s{}")]),"#,
                i + 1
            );
        } else {
            services +=
                &format!(r#""s{i}": (workers: 1, service_time: Exponential(mean: "1ms")),"#);
        }
    }
    assert_estimate_covers(
        "6 services × 100,000 buckets",
        &format!(
            r#"(duration: "1000s", time_series: (bucket: "10ms"), limits: (max_in_flight: 1000),
                clients: {{ "u": Open(rate: 20.0, target: "s0") }}, services: {{ {services} }})"#
        ),
        3.0,
    );
}

#[test]
fn estimate_covers_an_overload_up_to_the_in_flight_limit() {
    assert_estimate_covers(
        "100,000 requests in flight",
        r#"(duration: "100s", limits: (max_in_flight: 100000),
            clients: { "u": Open(rate: 10000, target: "api", timeout: "1h",
                               policies: [Retry(max_attempts: 3), CircuitBreaker(Resilience4j(window: Count(1000)))]) },
            services: {
                "api": (workers: 1000, steps: [Call(to: "db", policies: [Timeout("10s"), Retry(max_attempts: 2)])]),
                "db": (workers: 1, service_time: Exponential(mean: "1s")),
            })"#,
        3.0,
    );
}

#[test]
fn estimate_covers_policy_stacks_and_breaker_windows_on_many_callers() {
    assert_estimate_covers(
        "500 callers with breakers",
        r#"(duration: "200s", limits: (max_in_flight: 1000),
            clients: { "u": Open(rate: 2000, target: "api") },
            services: {
                "api": (instances: 500, workers: 8, steps: [Call(to: "db", policies: [
                    Retry(max_attempts: 2), CircuitBreaker(Resilience4j(window: Time(100000))),
                    Bulkhead(Semaphore()), RateLimiter(), AdaptiveThrottle()])]),
                "db": (instances: 4, workers: 8, service_time: Exponential(mean: "1ms"),
                       server_policies: [ShedQueueLength(max: 100)]),
            })"#,
        3.0,
    );
}

#[test]
fn estimate_covers_a_large_cache_on_many_instances() {
    assert_estimate_covers(
        "100,000 keys on 20 instances",
        r#"(duration: "1s", limits: (max_in_flight: 100),
            clients: { "u": Open(rate: 100.0, target: "s") },
            services: {
                "s": (instances: 20, workers: 4, concurrency: Async, steps: [
                    Cache(of: "db", keys: 100000, popularity: Zipf(0.9), ttl: "10s", warm: true),
                ]),
                "db": (workers: 4, service_time: Exponential(mean: "1ms")),
            })"#,
        3.0,
    );
}

#[test]
fn estimate_covers_the_records_of_many_sagas() {
    assert_estimate_covers(
        "20,000 sagas of 8 steps",
        r#"(duration: "10s", limits: (max_in_flight: 1000),
            clients: { "u": Open(rate: 2000.0, target: "o") },
            services: {
                "o": (workers: 1000, concurrency: Async, steps: [
                    Saga(name: "s", steps: [
                        (action: "p", compensation: "p"), (action: "p", compensation: "p"),
                        (action: "p", compensation: "p"), (action: "p", compensation: "p"),
                        (action: "p", compensation: "p"), (action: "p", compensation: "p"),
                        (action: "p", compensation: "p"), (action: "p", compensation: "p"),
                    ]),
                ]),
                "p": (workers: 100, service_time: Exponential(mean: "1ms")),
            })"#,
        3.0,
    );
}

#[test]
fn estimate_covers_a_busy_store_history_logs_and_idempotency_keys() {
    assert_estimate_covers(
        "a 3-replica Raft store, 40 processes for 20 s",
        r#"(duration: "20s", clients: {}, services: {},
            network: (latency: Deterministic(value: "200us")),
            stores: { "kv": (
                replicas: 3, zones: ["a", "b", "c"], workers: 4,
                service_time: Exponential(mean: "500us"),
                election: Raft(election_timeout_min: "150ms", election_timeout_max: "300ms", heartbeat: "50ms"),
                keys: 1000,
                clients: [
                    (processes: 20, zone: "a", timeout: "200ms", think_time: Exponential(mean: "2ms"),
                     mix: (read: 0.5, write: 0.3, add: 0.2), idempotency_keys: true, retries: 2),
                    (processes: 20, zone: "b", timeout: "200ms", think_time: Exponential(mean: "2ms")),
                ],
            ) })"#,
        3.0,
    );
}

#[test]
fn estimate_covers_one_shot_read_modify_write_clients() {
    assert_estimate_covers(
        "500 one-shot read-modify-write clients on one key",
        r#"(duration: "30s", clients: {}, services: {},
            network: (latency: Deterministic(value: "1ms")),
            stores: { "kv": (
                replicas: 3, workers: 8, initial_value: 0,
                election: Raft(election_timeout_min: "150ms", election_timeout_max: "300ms", heartbeat: "50ms"),
                keys: 1,
                clients: [(processes: 500, timeout: "1s", operations: 1,
                           read_modify_write: (backoff: Exponential(base: "10ms", cap: "1s", jitter: Full), max_tries: 30))],
            ) })"#,
        3.0,
    );
}
