# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tuning a circuit breaker and a backoff, and carrying the setting to production
#
# An SRE's question: *users → api → db at 200 requests/s; from 20 s to 50 s db is slow and
# fails 90% of its requests. Which circuit-breaker wait and which backoff cap keep p99 under
# 500 ms and db's load under 1.5× the users' requests, with the most goodput?* (`amplification`
# is the busiest edge's attempts per user request: here api → db.) The api calls db with a
# Resilience4j Retry (3 attempts, exponential backoff with jitter) around a count-based
# CircuitBreaker (`scenarios/tuning/breaker-backoff.ron`).
#
# Every number below is a mean over replications with a 95% interval: two settings whose
# intervals overlap are not told apart by this many runs.

# %%
import matplotlib.pyplot as plt

import faultline
from faultline import Ron

SCENARIO = "scenarios/tuning/breaker-backoff.ron"
BREAKER = "services.api.steps.1.policies.1.0"
RETRY = "services.api.steps.1.policies.0"

# %% [markdown]
# ## A sweep: how long the breaker waits open
# Five replications per point; replication *i* uses the same seed at every point (common random
# numbers), so the paired differences are tighter than the means.

# %%
sweep = faultline.sweep(
    SCENARIO,
    vary={f"{BREAKER}.wait_in_open": ["500ms", "1s", "2s", "5s", "10s", "20s"]},
    seeds=5,
)
goodput = sweep.metric("goodput")
goodput

# %%
waits = [0.5, 1, 2, 5, 10, 20]
fig, ax = plt.subplots(figsize=(6, 3))
ax.errorbar(
    waits,
    goodput["mean"],
    yerr=[goodput["mean"] - goodput["ci_low"], goodput["ci_high"] - goodput["mean"]],
    fmt="o-",
    capsize=3,
)
ax.set_xscale("log")
ax.set_xlabel("wait in open (s)")
ax.set_ylabel("goodput (answers/s), 95% CI")
plt.show()

# %% [markdown]
# Waiting 20 s open costs a fifth of the goodput: the breaker is still open long after db has
# recovered. Among shorter waits the means differ by a few answers per second, and not in
# order: 2 s does worse than 1 s and than 5 s (`faultline.run(SCENARIO, set=...).policies`
# shows the breaker's state over time, for a closer look). Paired against the first point
# (the same seeds at every point) the differences are measured several times more tightly
# than the means:

# %%
sweep.paired[[f"{BREAKER}.wait_in_open", "goodput.diff_mean", "goodput.diff_ci_low", "goodput.diff_ci_high"]]

# %% [markdown]
# ## The tuner: search, judge by intervals, export
# The tuner tries every combination (or random candidates with successive halving), keeps the
# settings whose *whole* interval meets each constraint, and picks the best by the objective.

# %%
tuned = faultline.tune(
    SCENARIO,
    vary={
        f"{BREAKER}.failure_rate_threshold": Ron("50..90:40"),
        f"{BREAKER}.wait_in_open": ["1s", "5s"],
        f"{RETRY}.backoff.max": ["200ms", "800ms"],
    },
    objective="max goodput",
    constraints=["p99 < 500ms", "amplification < 1.5"],
    seeds=4,
)
print(tuned.report.split("\n\n")[0])

# %% [markdown]
# The best setting as Resilience4j configuration, ready for the api's `application.yml`:

# %%
print(tuned.exports["api.resilience4j.yaml"])

# %% [markdown]
# ## The same question for gRPC and Envoy
# A stack written with gRPC's backoff exports a gRPC service config; Envoy's backoff exports an
# Envoy route's retry policy. Here the api's retry uses gRPC's formula, then Envoy's, and the
# tuner picks the cap.

# %%
grpc = faultline.tune(
    SCENARIO,
    set={f"{RETRY}.backoff": Ron('Grpc(initial: "100ms", max: "1s", multiplier: 2.0)')},
    vary={f"{RETRY}.backoff.max": ["200ms", "1s"]},
    objective="max goodput",
    constraints=["amplification < 1.5"],
    seeds=3,
)
print(*(text for name, text in grpc.exports.items() if name.endswith(".json")), sep="\n")

# %%
envoy = faultline.tune(
    SCENARIO,
    set={f"{RETRY}.backoff": Ron('Envoy(base: "25ms", max: "250ms")')},
    vary={f"{RETRY}.backoff.max": ["100ms", "250ms"]},
    objective="max goodput",
    constraints=["amplification < 1.5"],
    seeds=3,
)
print(*(text for name, text in envoy.exports.items() if "envoy" in name), sep="\n")
