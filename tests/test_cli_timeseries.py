import io
import re

import numpy as np
import pytest

from sknmi.cli import main
from sknmi.datasets import make_var1

FAST = ["--max-iter", "5", "--quiet"]

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def run(argv):
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def var_csv(tmp_path_factory):
    x, y, truth = make_var1(1500, random_state=0)
    noise = np.random.default_rng(0).standard_normal(len(x))
    path = tmp_path_factory.mktemp("cli") / "var.csv"
    np.savetxt(
        path,
        np.column_stack([x, y, noise]),
        delimiter=",",
        header="x,y,noise",
        comments="",
    )
    return path, truth


def _te(out, direction):
    match = re.search(rf"T\({direction}\) = (-?[\d.]+) nats", out)
    assert match, out
    return float(match.group(1))


def test_transfer_prints_both_directions(var_csv):
    path, truth = var_csv
    code, out = run(
        ["transfer", str(path), "--source", "x", "--target", "y", "--seed", "0"]
        + ["--max-iter", "10", "--quiet"]
    )
    assert code == 0, out
    assert "source has 1 columns, target has 1" in out
    assert "lag 1, history 1" in out and "95% interval" in out
    forward = _te(out, "source -> target")
    backward = _te(out, "target -> source")
    assert forward > backward + 0.1
    assert forward == pytest.approx(truth.transfer_entropy, rel=0.3)


def test_transfer_by_index_with_lag_history_and_gap(var_csv):
    path, _ = var_csv
    code, out = run(
        ["transfer", str(path), "--source", "0", "--target", "1"]
        + ["--lag", "2", "--history", "2", "--gap", "7", *FAST]
    )
    assert code == 0, out
    assert "lag 2, history 2, 1497 rows, gap 7" in out


def test_transfer_reads_npz_and_npy(tmp_path):
    x, y, _ = make_var1(300, random_state=1)
    npz = tmp_path / "series.npz"
    np.savez(npz, x=x[:, None], y=y[:, None])
    code, out = run(["transfer", str(npz), "--source", "x", "--target", "y", *FAST])
    assert code == 0 and "T(source -> target)" in out
    npy = tmp_path / "series.npy"
    np.save(npy, np.column_stack([x, y]))
    code, out = run(["transfer", str(npy), "--source", "0", "--target", "1", *FAST])
    assert code == 0 and "T(target -> source)" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--source", "x", "--target", "x"], "--source and --target share"),
        (["--source", "x", "--target", "nope"], "nope"),
        (["--source", "x", "--target", "y", "--lag", "0"], "must be >= 1"),
        (["--source", "x", "--target", "y", "--history", "a"], "expected an integer"),
        (["--source", "x", "--target", "y", "--history", "1600"], "too few"),
        (["--source", "x"], "--target"),
    ],
)
def test_transfer_errors_are_one_line(var_csv, capsys, args, message):
    path, _ = var_csv
    code, _ = run(["transfer", str(path), *args, *FAST])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("sknmi: error:") and err.count("\n") == 1
    assert message in err


def test_transfer_refuses_a_missing_file_and_nan(tmp_path, capsys):
    code, _ = run(
        ["transfer", str(tmp_path / "no.csv"), "--source", "0", "--target", "1"]
    )
    assert code == 2 and "no such file" in capsys.readouterr().err
    path = tmp_path / "nan.csv"
    data = np.random.default_rng(0).standard_normal((100, 2))
    data[5, 1] = np.nan
    np.savetxt(path, data, delimiter=",", header="a,b", comments="")
    code, _ = run(["transfer", str(path), "--source", "a", "--target", "b", *FAST])
    assert code == 2 and "missing value" in capsys.readouterr().err
    npy = tmp_path / "nan.npy"
    np.save(npy, data)
    code, _ = run(["transfer", str(npy), "--source", "0", "--target", "1", *FAST])
    assert code == 2 and "NaN or inf" in capsys.readouterr().err
