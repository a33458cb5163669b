import io
import re

import numpy as np
import pytest

from sknmi.cli import main
from sknmi.datasets import make_collider

FAST = ["--max-iter", "5", "--quiet"]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(argv):
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def collider_csv(tmp_path_factory):
    X, Z, W, cmi = make_collider(600, noise=0.5, random_state=0)
    path = tmp_path_factory.mktemp("cli") / "collider.csv"
    np.savetxt(
        path, np.column_stack([X, Z, W]), delimiter=",", header="x,z,w", comments=""
    )
    return path, cmi


def test_estimate_given_prints_the_conditional_mi(collider_csv):
    path, _ = collider_csv
    code, out = run(
        ["estimate", str(path), "--x", "x", "--z", "z", "--given", "w", *FAST]
    )
    assert code == 0
    assert "W has 1" in out and "I(X; Z | W) =" in out and "I(Z; W)" in out
    by_index = run(
        ["estimate", str(path), "--x", "0", "--z", "1", "--given", "2", *FAST]
    )[1]
    value = re.search(r"I\(X; Z \| W\) = (\S+)", out).group(1)
    assert value == re.search(r"I\(X; Z \| W\) = (\S+)", by_index).group(1)


def test_test_subcommand(collider_csv, tmp_path):
    path, _ = collider_csv
    rng = np.random.default_rng(0)
    x = rng.standard_normal(300)
    dependent = tmp_path / "dep.npy"
    np.save(dependent, np.column_stack([x, x + 0.3 * rng.standard_normal(300)]))
    on_dependent = ["test", str(dependent), "--x", "0", "--z", "1"]
    code, out = run([*on_dependent, "--n-permutations", "19", *FAST])
    assert code == 0
    assert "p-value = 0.05 (19 permutations, split" in out
    argv = [*on_dependent, "--n-permutations", "4", "--method", "permutation"]
    code, out = run([*argv, *FAST])
    assert code == 0
    assert "p-value = 0.2 (4 permutations, permutation" in out
    code, out = run([*on_dependent, "--estimator", "gaussian", "--n-permutations", "9"])
    assert code == 0 and "p-value = 0.1 (9 permutations, permutation" in out
    # X and Z of a collider are independent.
    code, out = run(
        [
            "test",
            str(path),
            "--x",
            "x",
            "--z",
            "z",
            "--estimator",
            "ksg",
            "--n-permutations",
            "19",
        ]
    )
    p = float(re.search(r"p-value = (\S+)", out).group(1))
    assert code == 0 and p > 0.05


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["estimate", "{path}", "--x", "x", "--z", "z", "--given", "nope"],
            "unknown column 'nope'",
        ),
        (
            ["test", "{path}", "--x", "x", "--z", "z", "--n-permutations", "0"],
            "--n-permutations",
        ),
        (
            ["test", "{path}", "--x", "x", "--z", "z", "--test-fraction", "0.999"],
            "test_fraction",
        ),
        (["test", "{missing}", "--x", "x", "--z", "z"], "no such file"),
        (
            ["test", "{path}", "--x", "x", "--z", "z", "--estimator", "ksg"]
            + ["--method", "split"],
            "pointwise_mi",
        ),
    ],
)
def test_errors(collider_csv, tmp_path, capsys, argv, message):
    path, _ = collider_csv
    argv = [a.format(path=path, missing=tmp_path / "none.csv") for a in argv]
    code, _ = run([*argv, *FAST])
    assert code == 2
    assert message in capsys.readouterr().err
