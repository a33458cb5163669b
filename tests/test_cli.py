import io
import subprocess
import sys

import numpy as np
import pytest

from sknmi.cli import main
from sknmi.datasets import make_gaussian

FAST = ["--max-iter", "5", "--quiet"]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(argv):
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def pair():
    X, Z, _ = make_gaussian(n_samples=600, n_features=2, mi=1.0, random_state=0)
    return X, Z


def test_demo_prints_estimate_interval_and_truth():
    code, out = run(["demo", "--n-samples", "600", "--n-features", "2", *FAST])
    assert code == 0
    assert "true I(X; Z) = 2.000 nats" in out
    assert "95% interval" in out and "truth 2.000 nats" in out


def test_estimate_csv_by_name_and_index(pair, tmp_path):
    X, Z = pair
    path = tmp_path / "data.csv"
    data = np.column_stack([X, Z])
    np.savetxt(path, data, delimiter=",", header="a,b,c,d", comments="")
    code, out = run(["estimate", str(path), "--x", "a,b", "--z", "c,d", *FAST])
    assert code == 0 and "nats" in out and "bits" in out
    by_index = run(["estimate", str(path), "--x", "0-1", "--z", "2,3", *FAST])[1]
    assert out.splitlines()[1].split(";")[0] == by_index.splitlines()[1].split(";")[0]


def test_estimate_npy_and_npz(pair, tmp_path):
    X, Z = pair
    np.save(tmp_path / "d.npy", np.column_stack([X, Z]))
    assert (
        run(["estimate", str(tmp_path / "d.npy"), "--x", "0,1", "--z", "2-3", *FAST])[0]
        == 0
    )
    np.savez(tmp_path / "d.npz", X=X, Z=Z)
    code, out = run(
        ["estimate", str(tmp_path / "d.npz"), "--x", "X", "--z", "Z:1", *FAST]
    )
    assert code == 0 and "Z has 1" in out


@pytest.mark.parametrize(
    "content, x, z, message",
    [
        (None, "a", "b", "no such file"),
        ("a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n", "a", "nope", "unknown column 'nope'"),
        ("a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n", "a", "5", "out of range"),
        ("a,b\n1,2\n3,x\n5,6\n", "a", "b", "non-numeric value 'x'"),
        ("a,b\n1,2\n3\n", "a", "b", "row 2 has 1 fields"),
    ],
)
def test_estimate_errors(tmp_path, capsys, content, x, z, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    code, _ = run(["estimate", str(path), "--x", x, "--z", z, *FAST])
    assert code == 2
    assert message in capsys.readouterr().err


def test_npz_missing_array(pair, tmp_path):
    np.savez(tmp_path / "d.npz", X=pair[0])
    code, _ = run(["estimate", str(tmp_path / "d.npz"), "--x", "X", "--z", "Y", *FAST])
    assert code == 2


def test_module_entry_point(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sknmi",
            "estimate",
            str(tmp_path / "none.csv"),
            "--x",
            "0",
            "--z",
            "1",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "no such file" in result.stderr
