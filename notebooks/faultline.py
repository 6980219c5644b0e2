"""Faultline from Python: run scenarios, sweeps and the tuner, and read their outputs into pandas.

This module drives the ``faultline`` command-line binary and reads what it writes (``--json``,
``timeseries.csv``, ``policies.csv``, a sweep's ``results.csv`` and ``paired.csv``, the tuner's
files). The functions take the same arguments a future native binding (pyo3) would, so notebooks
written against them keep working when the binary is replaced by a library call.

Values in ``set`` and ``vary`` are Python values turned into RON: numbers as they are, ``True``
and ``False`` as ``true`` and ``false``, strings quoted (``"200ms"``). Wrap RON text that must not
be quoted in :class:`Ron`: ``Ron('Constant("20ms")')``, or a range ``Ron("0.1..0.9:0.1")``.

The binary is ``$FAULTLINE_BIN`` if set, else ``target/release/faultline`` in this repository,
built with ``cargo build --release`` the first time it is missing.
"""

from __future__ import annotations

import json
import numbers
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Union

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
"""The repository: scenario paths that are not found from the working directory are tried here."""


class Ron(str):
    """RON text passed as it is (not quoted): an enum value, a list, a range for ``vary``."""


Value = Union[int, float, bool, str, Ron]


class FaultlineError(RuntimeError):
    """The binary refused its input or failed; the message is what it printed."""


def ron(value: Value) -> str:
    """``value`` as RON text: numbers as they are, booleans in lower case, strings quoted."""
    if isinstance(value, Ron):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):  # int, numpy integers
        return str(int(value))
    if isinstance(value, numbers.Real):  # float, numpy floats
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"cannot write {value!r} as RON; wrap RON text in Ron(...)")


def binary() -> Path:
    """The ``faultline`` binary, built first if this repository has none yet."""
    env = os.environ.get("FAULTLINE_BIN")
    if env:
        return Path(env)
    path = ROOT / "target" / "release" / "faultline"
    if not path.exists():
        subprocess.run(["cargo", "build", "--release", "--bin", "faultline"], cwd=ROOT, check=True)
    return path


def scenario_path(scenario: Union[str, Path]) -> Path:
    """``scenario`` as given if it exists, else relative to the repository."""
    path = Path(scenario)
    if path.exists() or path.is_absolute():
        return path
    return ROOT / path


def _call(args: Sequence[str]) -> str:
    done = subprocess.run([str(binary()), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise FaultlineError(done.stderr.strip() or f"faultline exited with {done.returncode}")
    return done.stdout


def _sets(set: Mapping[str, Value] | None) -> list[str]:
    return [arg for path, value in (set or {}).items() for arg in ("--set", f"{path}={ron(value)}")]


def _vary(vary: Mapping[str, Union[Ron, Iterable[Value]]]) -> list[str]:
    args = []
    for path, values in vary.items():
        text = str(values) if isinstance(values, Ron) else ",".join(ron(v) for v in values)
        args += ["--vary", f"{path}={text}"]
    return args


def _frame(parts: Mapping[str, dict], name: str) -> pd.DataFrame:
    """A section of the summary (clients, services) as one row per component, nested fields
    flattened with dots (``latency.p99``)."""
    rows = [{name: key, **value} for key, value in parts.items()]
    return pd.json_normalize(rows).set_index(name)


@dataclass
class Run:
    """One run: its summary and, unless run with ``series=False``, its time series."""

    summary: dict
    """The summary, exactly what ``faultline run --json`` prints."""
    timeseries: pd.DataFrame | None = None
    """Per bucket and component: arrivals, completions, errors by kind, latency, queue, busy."""
    policies: pd.DataFrame | None = None
    """Per bucket, each policy layer's level (breaker state, tokens, limit…)."""

    @property
    def clients(self) -> pd.DataFrame:
        """One row per client: sent, completed, errors, latency percentiles (seconds)."""
        return _frame(self.summary["clients"], "client")

    @property
    def services(self) -> pd.DataFrame:
        """One row per service: arrivals, goodput, utilization, queue, latency, errors."""
        return _frame(self.summary["services"], "service")

    @property
    def edges(self) -> pd.DataFrame:
        """One row per call edge: requests, attempts, amplification, rejections by reason."""
        return pd.json_normalize(self.summary["edges"])


def run(
    scenario: Union[str, Path],
    *,
    seed: int | None = None,
    set: Mapping[str, Value] | None = None,
    series: bool = True,
) -> Run:
    """Runs ``scenario`` (a RON file) with ``seed`` (default: the scenario's) and the overrides
    in ``set`` (``{"services.db.workers": 8}``), and returns its summary and time series."""
    args = ["run", str(scenario_path(scenario)), "--json", *_sets(set)]
    if seed is not None:
        args += ["--seed", str(seed)]
    if not series:
        return Run(json.loads(_call(args)))
    with tempfile.TemporaryDirectory(prefix="faultline-run-") as out:
        summary = json.loads(_call([*args, "--out", out, "--no-plots"]))
        return Run(
            summary,
            pd.read_csv(Path(out) / "timeseries.csv"),
            pd.read_csv(Path(out) / "policies.csv"),
        )


@dataclass
class Sweep:
    """A sweep's results: one row per point, each metric's mean and 95% interval."""

    results: pd.DataFrame
    """``results.csv``: the varied fields, then ``METRIC.mean``, ``.ci_low``, ``.ci_high``."""
    paired: pd.DataFrame
    """``paired.csv``: each metric's paired difference from the baseline point."""
    summary: dict
    """``summary.json``."""
    varied: list[str] = field(default_factory=list)
    """The varied fields, outermost first."""

    def metric(self, name: str) -> pd.DataFrame:
        """The varied fields and ``mean``, ``ci_low``, ``ci_high`` of one metric."""
        columns = {f"{name}.mean": "mean", f"{name}.ci_low": "ci_low", f"{name}.ci_high": "ci_high"}
        missing = [c for c in columns if c not in self.results]
        if missing:
            known = sorted({c.rsplit(".", 1)[0] for c in self.results.columns if "." in c})
            raise KeyError(f"no metric {name!r} in this sweep; some it has: {known[:12]}")
        return self.results[[*self.varied, *columns]].rename(columns=columns)


def sweep(
    scenario: Union[str, Path],
    *,
    vary: Mapping[str, Union[Ron, Iterable[Value]]],
    seeds: int = 5,
    set: Mapping[str, Value] | None = None,
    jobs: int | None = None,
) -> Sweep:
    """Runs ``scenario`` at every combination of the varied values (``{"services.db.workers":
    [1, 2, 4]}`` or ``{"warmup": Ron("100ms..1s:100ms")}``) with ``seeds`` replications each."""
    with tempfile.TemporaryDirectory(prefix="faultline-sweep-") as out:
        args = ["sweep", str(scenario_path(scenario)), "--seeds", str(seeds), "--out", out, "--quiet"]
        args += _vary(vary) + _sets(set)
        if jobs is not None:
            args += ["--jobs", str(jobs)]
        _call(args)
        return Sweep(
            pd.read_csv(Path(out) / "results.csv"),
            pd.read_csv(Path(out) / "paired.csv"),
            json.loads((Path(out) / "summary.json").read_text()),
            list(vary),
        )


@dataclass
class Tuned:
    """What the tuner found: its report, the best setting and its exported configuration."""

    report: str
    """``tune.txt``: the best setting and runners-up with intervals, and the export."""
    best: str
    """``best.ron``: the scenario with the best setting applied."""
    exports: dict[str, str]
    """Library configuration files by name (``api.resilience4j.yaml``, ``…grpc.json``…)."""


def tune(
    scenario: Union[str, Path],
    *,
    vary: Mapping[str, Union[Ron, Iterable[Value]]],
    objective: str,
    constraints: Sequence[str] = (),
    seeds: int = 10,
    search: str = "auto",
    set: Mapping[str, Value] | None = None,
) -> Tuned:
    """Searches the varied values for the setting that optimises ``objective`` (``"max
    goodput"``) while every constraint (``"p99 < 500ms"``) holds over its 95% interval."""
    with tempfile.TemporaryDirectory(prefix="faultline-tune-") as out:
        args = ["tune", str(scenario_path(scenario)), "--objective", objective, "--seeds", str(seeds)]
        args += ["--search", search, "--out", out, "--quiet", *_vary(vary), *_sets(set)]
        for c in constraints:
            args += ["--constraint", c]
        _call(args)
        files = {p.name: p.read_text() for p in Path(out).iterdir()}
        return Tuned(files.pop("tune.txt"), files.pop("best.ron"), files)
