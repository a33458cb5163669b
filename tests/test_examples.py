"""Every gallery example runs, with the reduced settings it reads from SKNMI_QUICK.

Examples check ``os.environ.get("SKNMI_QUICK")`` and shrink their data and epochs
when it is set, so this smoke test stays fast; the full runs are the gallery's.
"""

import pathlib
import runpy

import matplotlib.pyplot as plt
import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, monkeypatch):
    monkeypatch.setenv("SKNMI_QUICK", "1")
    monkeypatch.chdir(path.parent)
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")
