"""The mRMR benchmark imports and runs on one small data set."""

import pathlib
import runpy

from sklearn.datasets import load_wine

BENCH = pathlib.Path(__file__).parents[1] / "benchmarks"


def test_mrmr_benchmark_pieces(tmp_path):
    bench = runpy.run_path(str(BENCH / "mrmr.py"), run_name="benchmark")
    assert set(bench["selectors"](2)) == {"kbest", "mrmr", "mrmr-cond"}
    assert set(bench["DATASETS"]) == {"breast_cancer", "wine", "digits"}
    tiny = {"wine": (load_wine, (2,), ("kbest", "mrmr"))}
    rows = bench["run"](["wine"], 1, verbose=False, datasets=tiny)
    assert [r["method"] for r in rows] == ["kbest", "mrmr"]
    assert all(0.5 < r["accuracy"] <= 1 and len(r["folds"].split()) == 5 for r in rows)
    table = bench["summarise"](rows)
    assert table.splitlines()[2].startswith("| wine (178 x 13) | 2 | 0.")
