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
# # Queueing theory check: simulated waits against M/M/c formulas
#
# A teacher's demonstration. Poisson arrivals at rate λ, *c* servers with exponential service
# at rate μ each, an unbounded FIFO queue: the M/M/c queue. With $a = λ/μ$ and $ρ = a/c < 1$,
# the probability that an arrival waits is Erlang's C formula
#
# $$C(c, a) = \frac{\frac{a^c}{c!}\frac{1}{1-ρ}}{\sum_{k=0}^{c-1}\frac{a^k}{k!} + \frac{a^c}{c!}\frac{1}{1-ρ}},$$
#
# the mean wait in the queue is $W_q = C(c, a) / (cμ − λ)$, and by Little's law the mean number
# waiting is $L_q = λ W_q$. Faultline's `scenarios/queueing/mmc.ron` is that queue; we vary the
# load and compare.

# %%
import math

import matplotlib.pyplot as plt
import pandas as pd

import faultline


def erlang_c(c, a):
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc_wait(lam, mu, c):
    return erlang_c(c, lam / mu) / (c * mu - lam)


print(open(faultline.scenario_path("scenarios/queueing/mmc.ron")).read())

# %% [markdown]
# One server of 5 workers, each serving in Exponential(mean 1 s): μ = 1 per second. The file
# runs a million seconds for tight intervals; here 200,000 s per run keeps the notebook quick.

# %%
SHORTER = {"duration": "200000s"}
server = faultline.run("scenarios/queueing/mmc.ron", set=SHORTER, series=False).services.iloc[0]
C, MU = int(server["workers"]), 1.0
loads = [0.5, 0.6, 0.7, 0.8, 0.9]
sweep = faultline.sweep(
    "scenarios/queueing/mmc.ron",
    vary={"clients.arrivals.rate": [round(rho * C * MU, 3) for rho in loads]},
    seeds=5,
    set=SHORTER,
)
rate = sweep.results["clients.arrivals.rate"]
wait = sweep.metric(f"services.{server.name}.wait.mean")
table = pd.DataFrame(
    {
        "ρ": loads,
        "λ": rate,
        "simulated Wq": wait["mean"],
        "95% CI low": wait["ci_low"],
        "95% CI high": wait["ci_high"],
        "Erlang C Wq": [mmc_wait(lam, MU, C) for lam in rate],
    }
)
table.round(4)

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.errorbar(
    loads,
    table["simulated Wq"],
    yerr=[table["simulated Wq"] - table["95% CI low"], table["95% CI high"] - table["simulated Wq"]],
    fmt="o",
    capsize=3,
    label="simulated (95% CI)",
)
fine = [x / 100 for x in range(40, 93)]
ax.plot(fine, [mmc_wait(r * C * MU, MU, C) for r in fine], "k-", label="Erlang C")
ax.set_xlabel("utilization ρ")
ax.set_ylabel("mean wait in queue (s)")
ax.legend()
plt.show()

# %% [markdown]
# Each formula value should fall inside (or very near) its interval; the intervals widen as ρ
# approaches 1, where waits are long and strongly correlated and a run of fixed length holds
# fewer independent busy periods. Little's law ties the queue length to the wait: the two
# columns differ only by the difference between the nominal λ used here and the rate the
# run actually drew:

# %%
lq = sweep.metric(f"services.{server.name}.mean_queue_length")["mean"]
pd.DataFrame({"ρ": loads, "Lq simulated": lq, "λ·Wq simulated": rate * table["simulated Wq"]}).round(4)
