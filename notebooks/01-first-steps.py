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
# # First steps: run a scenario, read its numbers, plot them
#
# Faultline runs a scenario — clients, services, a network, faults on a timeline — from a seed,
# and gives the same numbers on any machine. This notebook runs the bundled *partition*
# scenario: users in two zones call an api with instances in both zones, and from 30 s to 50 s
# the zones cannot talk.
#
# `faultline.py` (beside this notebook) runs the `faultline` binary and loads what it writes into
# pandas.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import faultline

run = faultline.run("scenarios/partition.ron", seed=1)
run.summary["stop"], run.summary["measured_s"]

# %% [markdown]
# ## The summary
# One row per client and per service: how many requests were sent and how they ended, latency
# percentiles in seconds, utilization. The same numbers `faultline run --json` prints.

# %%
run.clients[["sent", "completed", "errors.timeout", "latency.p50", "latency.p99"]]

# %%
run.services[["arrivals", "goodput", "utilization", "mean_queue_length", "wasted"]]

# %% [markdown]
# Every request ends exactly once. The totals add up: sent = completed + errors + still in
# flight.

# %%
totals = run.summary["totals"]
errors = sum(totals["errors"].values())
assert totals["sent"] == totals["completed"] + errors + run.summary["in_flight_at_end"]
totals["sent"], totals["completed"], errors, run.summary["in_flight_at_end"]

# %% [markdown]
# ## Time series
# Per one-second bucket and component. During the partition, about half of each zone's
# requests cross to the other zone and are lost: they time out after 1 s.

# %%
ts = run.timeseries
api = ts[(ts.component == "api") & (ts.kind == "service")]
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(api.time_s, api.arrivals, label="arrivals at the api")
ax.plot(api.time_s, api.errors_timeout, label="timeouts")
ax.axvspan(30, 50, color="grey", alpha=0.2, label="partition")
ax.set_xlabel("time (s)")
ax.set_ylabel("per second")
ax.legend()
plt.show()

# %% [markdown]
# ## Change a line, run again
# A partition that holds messages instead of dropping them (as TCP would retransmit): nothing
# is lost, but the callers have long timed out when the messages arrive, and the api serves a
# burst of dead requests when the partition heals.

# %%
held = faultline.run("scenarios/partition.ron", seed=1, set={"faults.0.hold": True})
columns = ["arrivals", "wasted"]
pd.DataFrame({"drop": run.services.loc["api", columns], "hold": held.services.loc["api", columns]})

# %% [markdown]
# Same scenario, same seed, same numbers: determinism is what makes a change measurable.

# %%
again = faultline.run("scenarios/partition.ron", seed=1, series=False)
assert again.summary == run.summary
"identical"
