"""The time-series benchmark imports and runs on tiny data."""

import pathlib
import runpy

import pytest

from sknmi import GaussianMIEstimator

BENCH = pathlib.Path(__file__).parents[1] / "benchmarks"


def test_timeseries_benchmark_pieces(capsys):
    bench = runpy.run_path(str(BENCH / "timeseries.py"), run_name="benchmark")
    assert callable(bench["main"])
    gaussian = {"gaussian": GaussianMIEstimator()}
    rows = bench["run_te"]([0], 2000, gaussian, verbose=False)
    rows += bench["run_lags"]([0], 2000, gaussian, lags=[0, 1], verbose=False)
    assert [r["what"] for r in rows] == ["x -> y", "y -> x", "lag 0", "lag 1"]
    forward = rows[0]
    assert forward["truth"] == pytest.approx(0.2807, abs=1e-4)
    assert forward["ci_low"] <= forward["truth"] <= forward["ci_high"]
    table = bench["summarise"](rows)
    assert "| transfer_entropy | x -> y | gaussian | 0.2807 |" in table
    assert "| lagged_mi | lag 1 | gaussian | 0.3172 |" in capsys.readouterr().out
