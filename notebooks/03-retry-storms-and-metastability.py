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
# # Retry storms and metastable failures
#
# Two ways retries hurt a system that is only partly failing.
#
# 1. **Amplification with depth.** Three layers (users → edge → api → db) each make up to 3
#    attempts. When db fails a fraction *f* of requests, an api call fails only if all its db
#    attempts fail (*f*³), an edge call only if all its api attempts fail, and so on. db's load
#    per user request is the product of the layers' amplifications:
#    $(1 + q_0 + q_0^2)(1 + q_1 + q_1^2)(1 + q_2 + q_2^2)$ with $q_0 = f$, $q_{k+1} = q_k^3$ —
#    27× when everything fails.
# 2. **Metastability.** A short trigger tips a healthy system into a state it cannot leave once
#    the trigger is gone: the retries of timed-out requests keep it overloaded.

# %%
import matplotlib.pyplot as plt
import numpy as np

import faultline
from faultline import Ron


def layers_product(f, layers=3, attempts=3):
    q, product = f, 1.0
    for _ in range(layers):
        product *= sum(q**k for k in range(attempts))
        q = q**attempts
    return product


# %% [markdown]
# ## Amplification against the failure fraction, with and without retry budgets

# %%
vary = {"faults.0.fraction": Ron("0.0..1.0:0.1")}
plain = faultline.sweep("scenarios/retry-amplification.ron", vary=vary, seeds=3, set={"duration": "20s"})
budget = faultline.sweep("scenarios/retry-amplification-budget.ron", vary=vary, seeds=3, set={"duration": "20s"})

f = plain.results["faults.0.fraction"]
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(np.linspace(0, 1, 101), [layers_product(x) for x in np.linspace(0, 1, 101)], "k--", label="product of the layers")
ax.plot(f, plain.metric("amplification")["mean"], "o", label="simulated, no budget")
ax.plot(f, budget.metric("amplification")["mean"], "s", label="simulated, retry budgets")
ax.set_yscale("log")
ax.set_xlabel("db failure fraction")
ax.set_ylabel("db attempts per user request")
ax.legend()
plt.show()

# %% [markdown]
# Without budgets the simulation follows the product of the layers up to 27×. With the budgets
# of `retry-amplification-budget.ron` (gRPC throttling at the users, the AWS SDK's quota at the
# edge, the SRE book's 10% ratio at the api) load never exceeds ~1.7×, but up to 40% failure
# it is exactly the unbudgeted load: the AWS quota refunds a retry that succeeds, so under
# moderate failure it never runs dry, and the SRE ratio only bites at the deepest layer. Under
# heavy failure the budgets hold db near 1.2×.

# %%
table = plain.metric("amplification")[["faults.0.fraction", "mean"]].rename(columns={"mean": "no budget"})
table["budgets"] = budget.metric("amplification")["mean"]
table["product of layers"] = [layers_product(x) for x in table["faults.0.fraction"]]
table.round(3)

# %% [markdown]
# ## A metastable failure and its boundary
# `scenarios/metastable-retry-storm.ron`: db serves 1,000 requests/s; users send 500/s with
# 100 ms per attempt and 3 attempts. A 10-second slowdown (×3) at 30 s makes answers slower than
# the timeout; every timed-out attempt is retried while db still serves the abandoned one.

# %%
storm = faultline.run("scenarios/metastable-retry-storm.ron", seed=1)
db = storm.timeseries[(storm.timeseries.component == "db") & (storm.timeseries.kind == "service")]
fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
top.plot(db.time_s, db.completed, label="completed by db")
top.plot(db.time_s, db.goodput, label="goodput (answers someone waited for)")
top.axvspan(30, 40, color="grey", alpha=0.2, label="slowdown")
top.legend()
top.set_ylabel("per second")
bottom.plot(db.time_s, db.queue_length)
bottom.set_ylabel("db queue")
bottom.set_xlabel("time (s)")
plt.show()

# %% [markdown]
# After 40 s db has its whole capacity back and the users send no more than before, yet
# goodput stays at zero: db is busy with attempts whose callers have given up. Where is the
# boundary? Measure only after the trigger (`warmup` = 60 s) and vary the load:

# %%
rates = Ron("200..900:100")
after = faultline.sweep(
    "scenarios/metastable-retry-storm.ron", vary={"clients.users.rate": rates}, seeds=3, set={"warmup": "60s"}
)
healthy = faultline.sweep(
    "scenarios/metastable-retry-storm.ron",
    vary={"clients.users.rate": rates},
    seeds=3,
    set={"warmup": "60s", "faults": Ron("[]")},
)
rate = after.results["clients.users.rate"]
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(rate, healthy.metric("success_rate")["mean"], "o-", label="no trigger")
ax.plot(rate, after.metric("success_rate")["mean"], "s-", label="after a 10 s slowdown")
ax.axvline(1000 / 3, color="k", linestyle="--", label="capacity / attempts")
ax.set_xlabel("users' rate (requests/s; db serves 1,000/s)")
ax.set_ylabel("success rate after 60 s")
ax.legend()
plt.show()

# %% [markdown]
# Three attempts make the sustaining load 3λ. Above a third of capacity (3λ > 1,000/s) the
# retries alone keep the queue growing: the same load has two stable states, and the trigger
# decides which one the system is in. Just below it (300/s) the system does recover, but
# slowly: the backlog drains at only 1,000 − 3·300 = 100 requests/s, so much of the measured
# minute is still lost; at 200/s it drains at 400/s and the minute is clean. A retry budget, a
# shorter queue or dropping expired work are the cures to try next (`set=` in the cells above).
