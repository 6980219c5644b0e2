//! # sim-models: what Faultline simulates
//!
//! Clients (open-loop sources with rate schedules, closed-loop users), services (workers in front
//! of a FIFO queue, optionally bounded) and routing between them (tandem and probabilistic, as in
//! Jackson networks), described by a [`Scenario`] — plain data, usually read from a RON file with
//! [`load_scenario`] — and simulated by [`World`], a [`sim_core::Model`].
//!
//! ```
//! use sim_models::{load_scenario_str, run};
//! let text = r#"Scenario(
//!     duration: "20000s",
//!     warmup: "1000s",
//!     clients: { "arrivals": Open(rate: "54/min", target: "server") },
//!     services: { "server": (workers: 1, service_time: Exponential(mean: "1s")) },
//! )"#;
//! let scenario = load_scenario_str("mm1.ron", text, &[]).unwrap().scenario;
//! let report = run(&scenario, 42).unwrap().report;
//! let server = &report.services["server"];
//! // M/M/1 at ρ = 0.9: utilisation 0.9.
//! assert!((server.utilization - 0.9).abs() < 0.05);
//! // Little's law holds on every run: L = λW.
//! let little = server.throughput * server.latency.mean;
//! assert!((server.mean_in_system - little).abs() / little < 0.05);
//! ```
#![warn(missing_docs, unreachable_pub)]

mod amplification;
pub mod autoscaling;
pub mod cache;
mod call;
mod check;
mod client;
pub mod contention;
pub mod drift;
mod edge;
mod explain;
pub mod export;
mod fault;
pub mod health;
mod history_recorder;
mod ids;
mod instance;
mod load;
mod load_balancer;
pub mod memory;
pub use sim_net as network;
pub mod numeric_fields;
pub mod observer;
mod outcome;
pub mod outlier_detection;
mod place;
pub mod policy;
mod program;
mod rate;
mod rate_schedule;
mod report;
mod ron_paths;
mod run;
pub mod saga;
mod scenario;
mod server_statistics;
mod service;
mod sharing;
pub mod slo;
mod statistics;
pub mod store_call;
mod stores;
pub mod trace;
mod traffic;
mod wait_queue;
mod world;

pub use call::{
    Call, CallState, Caller, Invocation, Outcome, OutcomeCounts, Phase, Request, Slab, Wait,
};
pub use check::{
    Problem, Problems, Severity, MAX_BUCKETS, MAX_RATE_PER_SECOND, WORK_WARNING_EVENTS,
};
pub use client::{Client, ClientKind, ClientSeries, ClientStats};
pub use edge::{Edge, EdgeStats};
pub use fault::{FailureMode, Fault, FaultKind, FaultSpec};
pub use history_recorder::HistoryRecorder;
pub use ids::{
    CallId, ClientId, EdgeId, FaultId, InstanceId, InvocationId, RequestIndex, ServiceId, SlabKey,
    StoreWaitId,
};
pub use instance::Instance;
pub use load::{
    append_set, closest_field_paths, field_paths, load_scenario, load_scenario_str,
    load_scenario_str_with, load_scenario_with, read_scenario_file, InputSize, LoadError,
    LoadOptions, LoadedScenario, ScenarioError,
};
pub use load_balancer::LoadBalancer;
pub use memory::{MemoryEstimate, MemoryPart};
pub use network::{
    Endpoint, LinkSpec, NetEffect, Network, NetworkSpec, NetworkStats, Place, NO_ZONE,
};
pub use numeric_fields::{numeric_fields, NumberKind, NumericField};
pub use observer::{
    CallRef, CallerRef, InstanceRef, InvocationRef, Message, Observer, RequestId, StoreOperation,
};
pub use outcome::ShedReason;
pub use program::{BranchSpec, CallSpec, Step, Wait as FanOutWait};
pub use rate::Rate;
pub use rate_schedule::ArrivalSchedule;
pub use report::{
    AutoscalingReport, ClientReport, EdgeReport, HealthReport, InstanceReport, LatencyReport,
    NetworkReport, PolicyLevelReport, ProbeCounts, Report, ServiceReport, StopSummary,
    TotalsReport, WaitReport,
};
pub use run::{
    finish, run, run_controlled, run_controlled_observed, run_limits, run_observed,
    run_observed_recording, run_summary, run_traced, run_with_policies, simulation,
    simulation_lean, simulation_observed, simulation_with_policies, verify, Control, Progress,
    Recording, RunResult, PROGRESS_SLICE,
};
pub use scenario::{
    ArrivalProcess, ClientSpec, Concurrency, DeadlineSpec, LimitsSpec, RateChange, Route, Scenario,
    ServiceSpec, TimeSeriesSpec,
};
pub use server_statistics::{InstanceStats, ServerStatistics, ServiceSeries, ServiceStats};
pub use service::{Admission, OpsLevel, Service};
pub use statistics::{
    ClientStatistics, ServiceCallSeries, ServiceCalls, Statistics, StatisticsSlot,
};
pub use trace::{Span, SpanEnd, SpanKind, TraceConfig, Tracer};
pub use world::{inject_fault, Event, PolicyLevel, Totals, World};
