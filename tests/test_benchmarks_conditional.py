"""The conditional-MI and independence benchmarks import and run on tiny data."""

import pathlib
import runpy

import numpy as np
import pytest

BENCH = pathlib.Path(__file__).parents[1] / "benchmarks"

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def load(name):
    return runpy.run_path(str(BENCH / f"{name}.py"), run_name="benchmark")


def test_conditional_benchmark_pieces(capsys):
    bench = load("conditional")
    assert callable(bench["main"])
    families = bench["families"](1)
    assert set(families) >= {"gaussian-1", "chain-cubic", "collider"}
    with pytest.raises(SystemExit):
        bench["estimators"](["nope"])
    table = {k: families[k] for k in ["gaussian-1", "collider"]}
    rows = bench["run"](
        table, bench["estimators"](["gaussian", "ksg"]), 1, 300, verbose=False
    )
    assert len(rows) == 4
    bench["summarise"](rows)
    assert "| gaussian-1 | gaussian | 1.000 |" in capsys.readouterr().out


def test_independence_benchmark_pieces(capsys):
    bench = load("independence")
    assert callable(bench["main"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal(100)
    assert bench["dcov_test"](x, x**2, 19, rng) == pytest.approx(0.05)
    families = bench["families"]()
    assert list(families)[0] == "independent"
    tests = {"dcov": bench["tests"](9)["dcov"]}
    results = bench["run"](families, tests, 2, 1, 60, 0.05)
    assert results["independent", "dcov"][1] == 2
    bench["summarise"](results, families, tests, 0.05)
    assert "| independent (size) |" in capsys.readouterr().out
