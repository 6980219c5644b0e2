//! Every bad input gets exit code 2 and a message that says where (file:line:column and field path)
//! and why — never a panic, a hang or a silent default.

mod common;
use std::process::Command;

struct Case {
    name: &'static str,
    text: &'static str,
    /// Text the message must contain: location and field path, and the reason.
    expect: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "brooker_bucket_too_small_to_retry",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\", policies: [\n    Retry(max_attempts: 3),\n    RetryBudget(Brooker(capacity: 1.0)),\n  ]) },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["brooker_bucket_too_small_to_retry.ron:5:", "clients.a.policies.1.capacity", "more than one whole token", "got 1"],
    },
    Case {
        name: "store_quorum_larger_than_replicas",
        text: "(\n  duration: \"10s\",\n  clients: {},\n  services: {},\n  stores: { \"kv\": (\n    replicas: 3,\n    election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    write_quorum: 4,\n    keys: 1,\n    clients: [(processes: 1, timeout: \"100ms\")],\n  ) },\n)",
        expect: &["store_quorum_larger_than_replicas.ron:8:", "stores.kv.write_quorum", "between 1 and the 3 replica(s), got 4"],
    },
    Case {
        name: "store_without_replicas",
        text: "(\n  duration: \"10s\",\n  clients: {},\n  services: {},\n  stores: { \"kv\": (\n    replicas: 0,\n    election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    keys: 1,\n    clients: [(processes: 1, timeout: \"100ms\")],\n  ) },\n)",
        expect: &["store_without_replicas.ron:6:", "stores.kv.replicas", "at least one replica"],
    },
    Case {
        name: "store_lease_margin_zero",
        text: "(\n  duration: \"10s\",\n  clients: {},\n  services: {},\n  stores: { \"kv\": (\n    replicas: 3,\n    election: Lease(ttl: \"2s\", margin: \"0s\", election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    keys: 1,\n    clients: [(processes: 1, timeout: \"100ms\")],\n  ) },\n)",
        expect: &["store_lease_margin_zero.ron:7:", "stores.kv.election.margin", "safety margin"],
    },
    Case {
        name: "store_unknown_in_a_fault",
        text: "(\n  duration: \"10s\",\n  clients: {},\n  services: {},\n  stores: { \"kv\": (\n    replicas: 3,\n    election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    keys: 1,\n    clients: [(processes: 1, timeout: \"100ms\")],\n  ) },\n  faults: [Crash(service: \"kvv\", at: \"1s\")],\n)",
        expect: &["store_unknown_in_a_fault.ron:11:", "faults.0.service", "unknown service or store \"kvv\"; did you mean \"kv\"?"],
    },
    Case {
        name: "store_replica_beyond_its_count",
        text: "(\n  duration: \"10s\",\n  clients: {},\n  services: {},\n  stores: { \"kv\": (\n    replicas: 3,\n    election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    keys: 1,\n    clients: [(processes: 1, timeout: \"100ms\")],\n  ) },\n  faults: [Partition(a: [\"kv#0\"], b: [\"kv#5\"], start: \"1s\", duration: \"1s\")],\n)",
        expect: &["store_replica_beyond_its_count.ron:11:", "faults.0.b.0", "store \"kv\" has 3 replica(s), numbered from 0; there is no replica 5"],
    },
    Case {
        name: "store_called_by_a_service",
        text: "(\n  duration: \"10s\",\n  clients: { \"u\": Open(rate: 10.0, target: \"api\") },\n  services: { \"api\": (workers: 2, steps: [Call(to: \"kv\")]) },\n  stores: { \"kv\": (\n    replicas: 3,\n    election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    keys: 1,\n    clients: [(processes: 1, timeout: \"100ms\")],\n  ) },\n)",
        expect: &["store_called_by_a_service.ron:4:", "services.api.steps.0.to", "\"kv\" is a store: a service reads or writes it with a step `Store(store: \"kv\", op: Read)`"],
    },
    Case {
        name: "store_step_naming_an_unknown_store",
        text: "(\n  duration: \"10s\",\n  clients: { \"u\": Open(rate: 10.0, target: \"api\") },\n  services: { \"api\": (workers: 2, steps: [\n    Store(store: \"kvv\", op: Write, retries: 1000),\n  ]) },\n  stores: { \"kv\": (\n    replicas: 3,\n    election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    keys: 1,\n    clients: [(processes: 1, timeout: \"100ms\")],\n  ) },\n)",
        expect: &["store_step_naming_an_unknown_store.ron:5:", "services.api.steps.0.store", "unknown store \"kvv\"; did you mean \"kv\"?", "services.api.steps.0.retries", "at most 100 resends, got 1000"],
    },
    Case {
        name: "store_nobody_uses",
        text: "(\n  duration: \"10s\",\n  clients: {},\n  services: {},\n  stores: { \"kv\": (\n    replicas: 3,\n    election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    keys: 1,\n    clients: [],\n  ) },\n)",
        expect: &["store_nobody_uses.ron:9:", "stores.kv.clients", "or a service step that reads or writes it"],
    },
    Case {
        name: "store_slowed_like_a_service",
        text: "(\n  duration: \"10s\",\n  clients: {},\n  services: {},\n  stores: { \"kv\": (\n    replicas: 3,\n    election: Raft(election_timeout_min: \"150ms\", election_timeout_max: \"300ms\", heartbeat: \"50ms\"),\n    keys: 1,\n    clients: [(processes: 1, timeout: \"100ms\")],\n  ) },\n  faults: [Slowdown(service: \"kv\", start: \"1s\", duration: \"1s\", factor: 2.0)],\n)",
        expect: &["store_slowed_like_a_service.ron:11:", "faults.0.service", "is a store"],
    },
    Case {
        name: "hedge_and_retry",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\", policies: [\n    Retry(max_attempts: 3),\n    Hedge(Grpc(max_attempts: 2)),\n  ]) },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["hedge_and_retry.ron:5:", "clients.a.policies.1", "either retries or hedging, never both"],
    },
    Case {
        name: "hedge_attempts_beyond_grpc_clamp",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\", policies: [Hedge(Grpc(max_attempts: 9))]) },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["hedge_attempts_beyond_grpc_clamp.ron:3:", "clients.a.policies.0.max_attempts", "clamps it to 5: use 2 to 5, got 9"],
    },
    Case {
        name: "aimd_backoff_ratio_out_of_range",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\", policies: [ConcurrencyLimit(Aimd(backoff_ratio: 1.2))]) },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["aimd_backoff_ratio_out_of_range.ron:3:", "clients.a.policies.0.backoff_ratio", "[0.5, 1)", "1.2"],
    },
    Case {
        name: "codel_target_not_below_interval",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\"),\n    server_policies: [CoDel(target: \"200ms\", interval: \"100ms\")]) },\n)",
        expect: &["codel_target_not_below_interval.ron:5:", "services.s.server_policies.0.target", "must be shorter than interval"],
    },
    Case {
        name: "tenant_rate_negative",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\"),\n    server_policies: [TenantRateLimit(rate: -5)]) },\n)",
        expect: &["tenant_rate_negative.ron:5:", "services.s.server_policies.0.rate", "positive number of requests per second, got -5"],
    },
    Case {
        name: "outlier_ejection_percent_out_of_range",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (instances: 3, workers: 1, service_time: Exponential(mean: \"1s\"),\n    outlier_detection: (max_ejection_percent: 150)) },\n)",
        expect: &["outlier_ejection_percent_out_of_range.ron:5:", "services.s.outlier_detection.max_ejection_percent", "[0, 100]", "150"],
    },
    Case {
        name: "unknown_call_target",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"api\") },\n  services: {\n    \"api\": (workers: 1, steps: [Call(to: \"dbb\")]),\n    \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")),\n  },\n)",
        expect: &["unknown_call_target.ron:5:", "services.api.steps.0.to", "unknown service \"dbb\"", "did you mean \"db\""],
    },
    Case {
        name: "call_cycle",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"x\") },\n  services: {\n    \"x\": (workers: 1, steps: [Call(to: \"y\")]),\n    \"y\": (workers: 1, steps: [FanOut(calls: [(to: \"z\"), (to: \"x\")])]),\n    \"z\": (workers: 1, service_time: Exponential(mean: \"1s\")),\n  },\n)",
        expect: &["call_cycle.ron:6:", "services.y.steps.0.calls.1.to", "synchronous call cycle x -> y -> x:"],
    },
    Case {
        name: "call_cycle_names_each_service_once",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"api\") },\n  services: {\n    \"api\": (workers: 1, steps: [Call(to: \"db\")]),\n    \"db\": (workers: 1, steps: [Call(to: \"api\")]),\n  },\n)",
        expect: &["call_cycle_names_each_service_once.ron:6:", "services.db.steps.0.to", "synchronous call cycle api -> db -> api: "],
    },
    Case {
        name: "call_to_itself_is_a_cycle_of_one",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"api\") },\n  services: { \"api\": (workers: 1, steps: [Call(to: \"api\")]) },\n)",
        expect: &["call_to_itself_is_a_cycle_of_one.ron:4:", "services.api.steps.0.to", "synchronous call cycle api -> api: "],
    },
    Case {
        name: "partition_unknown_zone",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, zones: [\"east\", \"west\"], service_time: Exponential(mean: \"1s\")) },\n  faults: [Partition(a: [\"east\"], b: [\"wset\"], start: \"1s\", duration: \"1s\")],\n)",
        expect: &["partition_unknown_zone.ron:5:", "faults.0.b.0", "unknown place \"wset\"", "did you mean \"west\""],
    },
    Case {
        name: "partition_unknown_instance",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (instances: 2, workers: 1, service_time: Exponential(mean: \"1s\")) },\n  faults: [Partition(a: [\"s#2\"], b: [\"a\"], start: \"1s\", duration: \"1s\")],\n)",
        expect: &["partition_unknown_instance.ron:5:", "faults.0.a.0", "2 instance(s)", "no instance 2"],
    },
    Case {
        name: "fan_out_quorum_too_big",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: {\n    \"s\": (workers: 1, steps: [FanOut(calls: [(to: \"t\")], wait: Quorum(2))]),\n    \"t\": (workers: 1, service_time: Exponential(mean: \"1s\")),\n  },\n)",
        expect: &["fan_out_quorum_too_big.ron:5:", "services.s.steps.0.wait", "1 <= k <= the 1 calls"],
    },
    Case {
        name: "no_service_time_nor_steps",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1) },\n)",
        expect: &["no_service_time_nor_steps.ron:4:", "services.s.service_time", "is needed when the service has no steps"],
    },
    Case {
        name: "network_loss_out_of_range",
        text: "(\n  duration: \"100s\",\n  network: (loss: 1.5),\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["network_loss_out_of_range.ron:3:", "network.loss", "below 1, got 1.5"],
    },
    Case {
        name: "health_check_zero_healthy_threshold",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (instances: 2, workers: 1, service_time: Exponential(mean: \"1s\"),\n    health_check: (healthy_threshold: 0)) },\n)",
        expect: &["health_check_zero_healthy_threshold.ron:5:", "services.s.health_check.healthy_threshold", "at least 1"],
    },
    Case {
        name: "liveness_backoff_max_below_initial",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\"),\n    liveness: (restart_backoff: (initial: \"60s\", max: \"30s\"))) },\n)",
        expect: &["liveness_backoff_max_below_initial.ron:5:", "services.s.liveness.restart_backoff.max", "at least initial"],
    },
    Case {
        name: "autoscaling_min_above_max",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (instances: 2, workers: 1, service_time: Exponential(mean: \"1s\"),\n    autoscaling: (min_replicas: 5, max_replicas: 3, metric: Utilization(60))) },\n)",
        expect: &["autoscaling_min_above_max.ron:5:", "services.s.autoscaling.max_replicas", "at least min_replicas (5)"],
    },
    Case {
        name: "cache_zero_ttl_with_coalescing",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, steps: [\n    Cache(of: \"db\", keys: 100, ttl: \"0s\", coalesce: true)]),\n    \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["cache_zero_ttl_with_coalescing.ron:5:", "services.s.steps.0.ttl", "longer than zero", "coalesce"],
    },
    Case {
        name: "cache_keys_beyond_the_bound",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, steps: [\n    Cache(of: \"db\", keys: 4000000000)]),\n    \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["cache_keys_beyond_the_bound.ron:5:", "services.s.steps.0.keys", "1 to 1000000 keys"],
    },
    Case {
        name: "caches_of_one_origin_that_disagree",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, steps: [\n    Cache(of: \"db\", keys: 100),\n    Cache(of: \"db\", keys: 50)]),\n    \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["caches_of_one_origin_that_disagree.ron:6:", "services.s.steps.1", "services.s.steps.0 describes differently"],
    },
    Case {
        name: "saga_unknown_participant",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, steps: [\n    Saga(name: \"x\", steps: [(action: \"db\", compensation: \"dbb\")])]),\n    \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["saga_unknown_participant.ron:5:", "services.s.steps.0.steps.0.compensation", "\"db\""],
    },
    Case {
        name: "saga_retries_beyond_the_bound",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, steps: [\n    Saga(name: \"x\", steps: [(action: \"db\", retries: 1000000)])]),\n    \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["saga_retries_beyond_the_bound.ron:5:", "services.s.steps.0.steps.0.retries", "at most 100"],
    },
    Case {
        name: "saga_participant_with_policies_elsewhere",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, steps: [\n    Saga(name: \"x\", steps: [(action: \"db\")]),\n    Call(to: \"db\", policies: [Retry(max_attempts: 3)])]),\n    \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["saga_participant_with_policies_elsewhere.ron:6:", "services.s.steps.1.policies", "own retries"],
    },
    Case {
        name: "slo_of_an_unknown_client",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n  slos: [(name: \"x\", client: \"b\", objective: Availability(100.0))],\n)",
        expect: &["slo_of_an_unknown_client.ron:5:", "slos.0.client", "not a client"],
    },
    Case {
        name: "truncated",
        text: "Scenario(\n    duration: \"100s\",\n    clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n    services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")",
        expect: &["truncated.ron:4:", "ends too early", "`(` opened at line 4, column 22"],
    },
    Case {
        name: "wrong_type",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: \"two\", service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["wrong_type.ron:4:30", "services.s.workers", "expected a whole number, found the text \"two\""],
    },
    Case {
        name: "negative_rate",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: -3, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["negative_rate.ron:3:", "clients.a.rate", "negative"],
    },
    Case {
        name: "zero_workers",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: {\n    \"s\": (workers: 0, service_time: Exponential(mean: \"1s\")),\n  },\n)",
        expect: &["zero_workers.ron:5:11", "services.s.workers", "at least 1"],
    },
    Case {
        name: "unknown_field",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (wrkers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["unknown_field.ron:4:", "services.s.wrkers", "`workers`"],
    },
    Case {
        name: "unknown_service",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"db\") },\n  services: { \"dbx\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["unknown_service.ron:3:", "clients.a.target", "unknown service \"db\"", "did you mean \"dbx\""],
    },
    Case {
        name: "unknown_route_target",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\"), routes: [(to: \"t\")]) },\n)",
        expect: &["unknown_route_target.ron:4:", "services.s.routes.0.to", "unknown service"],
    },
    Case {
        name: "bad_duration",
        text: "(\n  duration: \"100 parsecs\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["bad_duration.ron:2:", "duration", "unknown unit"],
    },
    Case {
        name: "capacity_below_workers",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 4, capacity: 2, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["capacity_below_workers.ron:4:", "services.s.capacity", "at least workers"],
    },
    Case {
        name: "routes_over_one",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: {\n    \"s\": (workers: 1, service_time: Exponential(mean: \"1s\"), routes: [(to: \"t\", probability: 0.7), (to: \"t\", probability: 0.7)]),\n    \"t\": (workers: 1, service_time: Exponential(mean: \"1s\")),\n  },\n)",
        expect: &["routes_over_one.ron:5:", "services.s.routes", "more than 1"],
    },
    Case {
        name: "routing_cycle_without_exit",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: {\n    \"s\": (workers: 1, service_time: Exponential(mean: \"1s\"), routes: [(to: \"t\")]),\n    \"t\": (workers: 1, service_time: Exponential(mean: \"1s\"), routes: [(to: \"s\")]),\n  },\n)",
        expect: &["routing_cycle_without_exit.ron:5:", "services.s.routes", "never leave"],
    },
    Case {
        name: "bad_distribution",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Uniform(min: \"2s\", max: \"1s\")) },\n)",
        expect: &["bad_distribution.ron:4:", "services.s.service_time.max", "at least min"],
    },
    Case {
        name: "warmup_too_long",
        text: "(\n  duration: \"100s\",\n  warmup: \"200s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["warmup_too_long.ron:3:", "warmup", "shorter than the duration"],
    },
    Case {
        name: "too_many_buckets",
        text: "(\n  duration: \"100000000s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["too_many_buckets.ron:1:", "time_series.bucket", "at least"],
    },
    Case {
        name: "unquoted_units",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Deterministic(value: 30ms)) },\n)",
        expect: &["unquoted_units.ron:4:", "services.s.service_time", "write \"30ms\""],
    },
    Case {
        name: "overlapping_schedule",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1, target: \"s\", schedule: [Spike(start: \"10s\", duration: \"20s\", rate: 5), Step(at: \"15s\", rate: 2)]) },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["overlapping_schedule.ron:3:", "clients.a.schedule.1", "time order"],
    },
    Case {
        name: "duplicate_names",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1, target: \"s\") },\n  services: {\n    \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")),\n    \"s\": (workers: 3, service_time: Exponential(mean: \"1s\")),\n  },\n)",
        expect: &["duplicate_names.ron:6:", "services", "\"s\" is given twice"],
    },
    Case {
        name: "rate_faster_than_the_clock",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1e300, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Deterministic(value: \"0s\")) },\n)",
        expect: &["rate_faster_than_the_clock.ron:3:", "clients.a.rate", "one request per nanosecond"],
    },
    Case {
        name: "more_users_than_may_be_in_flight",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Closed(users: 4000000000, think_time: Exponential(mean: \"1s\"), target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["more_users_than_may_be_in_flight.ron:3:", "clients.a.users", "limits.max_in_flight"],
    },
    Case {
        name: "fault_on_unknown_service",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1, target: \"db\") },\n  services: { \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n  faults: [Slowdown(service: \"dbb\", start: \"10s\", duration: \"5s\", factor: 3.0)],\n)",
        expect: &["fault_on_unknown_service.ron:5:", "faults.0.service", "did you mean \"db\""],
    },
    Case {
        name: "fault_on_missing_instance",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1, target: \"db\") },\n  services: { \"db\": (instances: 2, workers: 1, service_time: Exponential(mean: \"1s\")) },\n  faults: [Crash(service: \"db\", instance: 2, at: \"10s\")],\n)",
        expect: &["fault_on_missing_instance.ron:5:", "faults.0.instance", "no instance 2"],
    },
    Case {
        name: "fault_with_bad_parameters",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1, target: \"db\") },\n  services: { \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n  faults: [ErrorInjection(service: \"db\", start: \"1s\", duration: \"5s\", fraction: 1.5)],\n)",
        expect: &["fault_with_bad_parameters.ron:5:", "faults.0.fraction", "between 0 and 1"],
    },
    Case {
        name: "empty",
        text: "",
        expect: &["empty.ron:1:1"],
    },
    Case {
        name: "bare_duration_beyond_584_years",
        text: "(\n  duration: 1e300,\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["bare_duration_beyond_584_years.ron:2:13", "duration", "invalid duration 1e300: too large", "from 0 to 18446744073.709551615s"],
    },
    Case {
        name: "duration_text_beyond_584_years",
        text: "(\n  duration: \"999999999h\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["duration_text_beyond_584_years.ron:2:", "duration", "too large", "from 0 to 18446744073.709551615s"],
    },
    Case {
        name: "bare_rate_beyond_a_float",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1e400, target: \"s\") },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["bare_rate_beyond_a_float.ron:3:", "clients.a.rate", "too large", "0 or more"],
    },
    Case {
        name: "fractional_workers",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 2.5, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["fractional_workers.ron:4:30: services.s.workers: expected a whole number, found 2.5"],
    },
    Case {
        name: "fractional_max_attempts_as_last_field",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\", policies: [Retry(max_attempts: 2.0)]) },\n  services: { \"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["fractional_max_attempts_as_last_field.ron:3:", "clients.a.policies.0.max_attempts", "expected a whole number, found 2.0"],
    },
    Case {
        name: "workers_in_exponent_notation",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1e3, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["workers_in_exponent_notation.ron:4:30", "services.s.workers", "expected a whole number, found 1e3"],
    },
    Case {
        name: "negative_workers",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: -1, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["negative_workers.ron:4:30", "services.s.workers", "expected a whole number from 0 to 4294967295, found -1"],
    },
    Case {
        name: "capacity_beyond_u64",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: 1, capacity: 99999999999999999999, service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["capacity_beyond_u64.ron:4:", "services.s.capacity", "from 0 to 18446744073709551615, found 99999999999999999999"],
    },
    Case {
        name: "workers_as_text",
        text: "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n  services: { \"s\": (workers: \"2\", service_time: Exponential(mean: \"1s\")) },\n)",
        expect: &["workers_as_text.ron:4:30", "services.s.workers", "expected a whole number, found the text \"2\""],
    },
    Case {
        name: "garbage",
        text: "\u{1}\u{2}not ron at all {{{",
        expect: &["garbage.ron:1:"],
    },
];

fn check(path: &std::path::Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("check")
        .arg(path)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn each_malformed_scenario_exits_2_with_a_located_message() {
    let dir = std::env::temp_dir().join(format!("faultline-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for case in CASES {
        let path = dir.join(format!("{}.ron", case.name));
        std::fs::write(&path, case.text).unwrap();
        for command in ["check", "run"] {
            let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
                .arg(command)
                .arg(&path)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.code() != Some(2)
                || stderr.contains("panicked")
                || stderr.contains("internal error")
            {
                failures.push(format!(
                    "{} ({command}): exit {:?}\n{stderr}",
                    case.name,
                    out.status.code()
                ));
                continue;
            }
            for want in case.expect {
                if !stderr.contains(want) {
                    failures.push(format!(
                        "{} ({command}): message lacks {want:?}:\n{stderr}",
                        case.name
                    ));
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_set_arguments_exit_2_and_say_which_set() {
    let mm1 = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/queueing/mm1.ron");
    let cases: &[(&str, &[&str])] = &[
        (
            "services.servr.workers=2",
            &[
                "--set services.servr.workers=2",
                "did you mean `services.server.workers`",
            ],
        ),
        (
            "services.server.workers=0",
            &[
                "(--set services.server.workers=0)",
                "services.server.workers",
                "at least 1",
            ],
        ),
        (
            "services.server.workers=many",
            &[
                "(--set services.server.workers=many)",
                "expected a whole number, found `many`",
            ],
        ),
        (
            "services.server.workers=2.5",
            &[
                "(--set services.server.workers=2.5)",
                "services.server.workers: expected a whole number, found 2.5",
            ],
        ),
        (
            "duration=NaNs",
            &["(--set duration=NaNs)", "not a duration", "\"250ms\""],
        ),
        (
            "duration=1e300",
            &["(--set duration=1e300)", "too large", "about 584 years"],
        ),
        ("duration", &["--set duration", "PATH=VALUE"]),
        (
            "clients.arrivals.rate=-1",
            &["(--set clients.arrivals.rate=-1)", "negative"],
        ),
        // The check fails on a field of the file, but the cause is the override: say so.
        (
            "duration=1h",
            &["mm1.ron:10:5", "warmup", "(with --set duration=1h)"],
        ),
        // A --set inside a list item is blamed for a problem reported on the whole item.
        (
            "clients.arrivals.schedule=[Step(at: \"9s\", rate: 1), Step(at: \"5s\", rate: 2)]",
            &[
                "(--set clients.arrivals.schedule=",
                "clients.arrivals.schedule.1",
                "time order",
            ],
        ),
    ];
    for (set, wants) in cases {
        let (code, stderr) = check(&mm1, &["--set", set]);
        assert_eq!(code, Some(2), "--set {set}: {stderr}");
        for want in *wants {
            assert!(
                stderr.contains(want),
                "--set {set}: message lacks {want:?}:\n{stderr}"
            );
        }
    }
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let (code, stderr) = check(std::path::Path::new("no/such/scenario.ron"), &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no/such/scenario.ron"), "{stderr}");
}

#[test]
fn every_bundled_scenario_checks_clean() {
    for path in common::bundled_scenarios() {
        let (code, stderr) = check(&path, &[]);
        assert_eq!(code, Some(0), "{}: {stderr}", path.display());
        assert!(!stderr.contains("warning"), "{}: {stderr}", path.display());
    }
}

#[test]
fn an_out_directory_that_cannot_be_created_exits_2() {
    let mm1 = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/queueing/mm1.ron");
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("run")
        .arg(&mm1)
        .args([
            "--set",
            "duration=100s",
            "--set",
            "warmup=0s",
            "--out",
            "/proc/faultline/cannot/exist",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error: --out /proc/faultline/cannot/exist")
    );
}

#[test]
fn a_non_utf8_file_exits_2_naming_where_the_text_breaks() {
    let dir = std::env::temp_dir().join(format!("faultline-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.ron");
    std::fs::write(&path, b"(\n  duration: \"10s\", \xff\xfe)").unwrap();
    let (code, stderr) = check(&path, &[]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("latin1.ron:2:20") && stderr.contains("not UTF-8"),
        "{stderr}"
    );
}

#[test]
fn deep_nesting_with_a_set_exits_2_instead_of_overflowing_the_stack() {
    let dir = std::env::temp_dir().join(format!("faultline-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("deep.ron");
    std::fs::write(&path, format!("({}", "[".repeat(200_000))).unwrap();
    let (without, _) = check(&path, &[]);
    let (with, stderr) = check(&path, &["--set", "duration=1s"]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!((without, with), (Some(2), Some(2)), "{stderr}");
}

#[test]
fn set_reaches_fields_whose_parents_the_file_leaves_out() {
    let mm1 = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/queueing/mm1.ron");
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("run")
        .arg(&mm1)
        .args([
            "--json",
            "--set",
            "limits.max_events=1000",
            "--set",
            "time_series.bucket=1000s",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["stop"]["reason"], "max_events");
    assert_eq!(j["events"], 1000);
}

#[test]
fn a_fault_scheduled_after_the_run_is_a_located_warning_not_an_error() {
    let dir = std::env::temp_dir().join(format!("faultline-late-fault-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("late.ron");
    std::fs::write(
        &path,
        "(\n  duration: \"100s\",\n  clients: { \"a\": Open(rate: 1, target: \"db\") },\n  services: { \"db\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n  faults: [Crash(service: \"db\", at: \"200s\")],\n)",
    )
    .unwrap();
    let (code, stderr) = check(&path, &[]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: ")
            && stderr.contains("late.ron:5:")
            && stderr.contains("faults.0.at")
            && stderr.contains("never happens"),
        "{stderr}"
    );
}

#[test]
fn set_finds_fields_after_any_whitespace_the_parser_accepts() {
    let dir = std::env::temp_dir().join(format!("faultline-ws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vt.ron");
    // A vertical tab and a form feed before fields, and U+2028 inside a map: ron skips them all.
    std::fs::write(
        &path,
        "(\n  duration: \"100s\",\n\x0b  clients: { \"a\": Open(rate: 1.0, target: \"s\") },\n\x0c  services: {\u{2028}\"s\": (workers: 1, service_time: Exponential(mean: \"1s\")) },\n)",
    )
    .unwrap();
    let plain = check(&path, &[]);
    let set = check(
        &path,
        &["--set", "clients.a.rate=2", "--set", "services.s.workers=3"],
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(plain.0, Some(0), "{}", plain.1);
    assert_eq!(set.0, Some(0), "{}", set.1);
}

fn faultline(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn an_endless_stream_is_refused_quickly_at_the_size_limit() {
    let started = std::time::Instant::now();
    let (code, stderr) = check(std::path::Path::new("/dev/zero"), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("/dev/zero: the file is at least 67108865 bytes, over the limit of 64 MiB")
            && stderr.contains("--max-scenario-bytes"),
        "{stderr}"
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_with_its_size_and_the_limit_can_be_raised() {
    let mm1 = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/queueing/mm1.ron");
    let size = std::fs::metadata(&mm1).unwrap().len();
    let mm1 = mm1.to_str().unwrap();
    let (code, stderr) = faultline(&["check", mm1, "--max-scenario-bytes", "100"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "mm1.ron: the file is {size} bytes, over the limit of 100 bytes"
        )),
        "{stderr}"
    );
    // Sweeps and searches read the file within the same limit.
    for command in [
        &[
            "sweep",
            mm1,
            "--vary",
            "services.server.workers=1,2",
            "--seeds",
            "1",
        ][..],
        &[
            "tune",
            mm1,
            "--vary",
            "services.server.workers=1,2",
            "--objective",
            "min p99",
        ],
    ] {
        let (code, stderr) = faultline(&[command, &["--max-scenario-bytes", "100"]].concat());
        assert_eq!(code, Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains("over the limit of 100 bytes"),
            "{command:?}: {stderr}"
        );
    }
    let (code, stderr) = faultline(&["--max-scenario-bytes", "1MiB", "check", mm1]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = faultline(&["check", mm1, "--max-scenario-bytes", "lots"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_at_the_bracket_and_the_limit_can_be_raised() {
    let dir = std::env::temp_dir().join(format!("faultline-nesting-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("deep.ron");
    // 4 levels around the service time, 2 per mixture: 84 in all.
    let mut d = "Exponential(mean: \"1s\")".to_string();
    for _ in 0..40 {
        d = format!("Mixture(weights: [1.0], components: [{d}])");
    }
    std::fs::write(
        &path,
        format!("(\n  duration: \"10s\",\n  clients: {{ \"u\": Open(rate: 1.0, target: \"db\") }},\n  services: {{ \"db\": (workers: 1, service_time: {d}) }},\n)"),
    )
    .unwrap();
    let deep = path.to_str().unwrap();
    // The 65th bracket: the `[` of the 31st mixture's weights, after the 47 columns before the
    // first mixture and 30 mixtures' `Mixture(weights: [1.0], components: [` (37 each).
    let column = 47 + 30 * 37 + "Mixture(weights: ".len() + 1;
    let (code, stderr) = faultline(&["check", deep]);
    let sweep = faultline(&[
        "sweep",
        deep,
        "--vary",
        "services.db.workers=1,2",
        "--seeds",
        "1",
    ]);
    let raised = faultline(&["check", deep, "--max-nesting", "100"]);
    let too_high = faultline(&["check", deep, "--max-nesting", "100000"]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "deep.ron:4:{column}: services.db.service_time.components.0"
        )) && stderr.contains("nested deeper than 64 levels")
            && stderr.contains("--max-nesting"),
        "{stderr}"
    );
    assert_eq!(sweep.0, Some(2), "{}", sweep.1);
    assert!(
        sweep.1.contains("nested deeper than 64 levels"),
        "{}",
        sweep.1
    );
    assert_eq!(raised.0, Some(0), "{}", raised.1);
    assert_eq!(too_high.0, Some(2), "{}", too_high.1);
}
