"""Tests of faultline.py, the notebooks' module: values become RON, errors say why, outputs load."""

import numpy as np
import pytest

import faultline
from faultline import FaultlineError, Ron

SHORT = {"duration": "2000s", "warmup": "100s"}


def test_python_values_become_ron_text():
    assert faultline.ron(8) == "8"
    assert faultline.ron(0.25) == "0.25"
    assert faultline.ron(True) == "true"
    assert faultline.ron("200ms") == '"200ms"'
    assert faultline.ron(Ron('Constant("20ms")')) == 'Constant("20ms")'
    assert faultline.ron(np.float64(0.5)) == "0.5"
    assert faultline.ron(np.int64(3)) == "3"
    with pytest.raises(TypeError, match="wrap RON text in Ron"):
        faultline.ron([1, 2])


def test_a_bad_override_is_an_error_with_the_binarys_message():
    with pytest.raises(FaultlineError, match="services.server.wokers"):
        faultline.run("scenarios/queueing/mm1.ron", set={"services.server.wokers": 2}, series=False)


def test_a_run_loads_its_summary_and_time_series():
    run = faultline.run("scenarios/queueing/mm1.ron", set=SHORT)
    assert run.summary["measured_s"] > 0
    assert list(run.clients.index) == list(run.summary["clients"])
    assert {"time_s", "component", "arrivals"} <= set(run.timeseries.columns)


def test_a_sweep_reads_each_metric_with_its_interval():
    sweep = faultline.sweep(
        "scenarios/queueing/mm1.ron", vary={"clients.arrivals.rate": [0.5, 0.8]}, seeds=2, set=SHORT
    )
    goodput = sweep.metric("goodput")
    assert list(goodput.columns) == ["clients.arrivals.rate", "mean", "ci_low", "ci_high"]
    assert len(goodput) == 2 and (goodput["ci_low"] <= goodput["mean"]).all()
    with pytest.raises(KeyError, match="no metric 'goodputt'"):
        sweep.metric("goodputt")
