import io
import subprocess
import sys
import warnings

import numpy as np
import pytest

from sknmi.cli import _build_parser, _estimator, load_columns, main
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
    assert "Cross-fitted over 3 folds (fold read-outs" in out
    code, single = run(
        ["demo", "--n-samples", "600", "--n-features", "2", "--n-folds", "1", *FAST]
    )
    assert code == 0 and "Cross-fitted over 1 folds" not in single
    assert "one critic: the interval holds the sampling error only" in single


def test_version_is_the_packages(capsys):
    from packaging.version import Version

    import sknmi

    code, out = run(["--version"])
    assert code == 0 and out == f"sknmi {sknmi.__version__}\n"
    assert capsys.readouterr().out == ""  # printed to `out`, like every result
    # A valid PEP 440 version; a development release until one is cut.
    assert str(Version(sknmi.__version__)) == sknmi.__version__


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
        # a short line is a missing value, as pandas reads it (issue 22)
        ("a,b\n1,2\n3\n", "a", "b", "column 'b' has 1 missing value"),
        ("a,b\n1,2\n3,NA\n", "a", "b", "column 'b' has 1 missing value"),
        ("a,b\n1,2\n3,4,5\n", "a", "b", "not a readable CSV file"),
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


# -- reading files as written (issue 13) -----------------------------------------------


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    return np.column_stack([X, X[:, :1] + 0.5 * rng.standard_normal((40, 1))])


def _write_csv(path, data, header=None, bom=False, savetxt_header=False):
    text = "\n".join(",".join(repr(float(v)) for v in row) for row in data) + "\n"
    if savetxt_header:
        text = f"# {header}\n" + text
    elif header is not None:
        text = header + "\n" + text
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "header, bom, option, rows, names, note",
    [
        (None, False, None, 40, None, "header: no (the first row is numbers"),
        (None, True, None, 40, None, "header: no"),
        ("a,b,c", False, None, 40, ["a", "b", "c"], "header: yes"),
        ("a,b,c", True, None, 40, ["a", "b", "c"], "header: yes"),
        ("0,1,2", False, None, 40, ["0", "1", "2"], "names pandas writes"),
        ("0,1,2", True, None, 40, ["0", "1", "2"], "names pandas writes"),
        ("0,1,2", False, False, 41, None, "header: no (--no-header)"),
        (None, False, True, 39, None, "header: yes (--header)"),
        ("1,2,3", False, None, 41, None, "header: no"),  # not 0..d-1: data
        ('"x, 1",b,c', False, None, 40, ["x, 1", "b", "c"], "header: yes"),
    ],
)
def test_csv_header_rule(tmp_path, small, header, bom, option, rows, names, note):
    path = _write_csv(tmp_path / "d.csv", small, header=header, bom=bom)
    notes = []
    x_spec = "a,b" if names == ["a", "b", "c"] else "0,1"  # BOM-free names
    X, Z = load_columns(path, x_spec, "2", header=option, notes=notes)
    assert X.shape == (rows, 2) and Z.shape == (rows, 1)
    assert note in notes[0] and f"{rows} rows, 3 columns" in notes[0]
    if rows == 40:  # nothing dropped, nothing added
        np.testing.assert_array_equal(np.column_stack([X, Z]), small)


def test_csv_savetxt_comment_header(tmp_path, small):
    path = _write_csv(tmp_path / "d.csv", small, header="a,b,c", savetxt_header=True)
    X, Z = load_columns(path, "a,b", "c")
    np.testing.assert_array_equal(np.column_stack([X, Z]), small)
    # with --no-header the commented line is a comment
    X, _ = load_columns(path, "0,1", "2", header=False)
    assert len(X) == 40


def test_estimate_says_how_it_read_the_file(tmp_path, small, capsys):
    path = tmp_path / "p.csv"
    path.write_text("0,1,2\n" + "\n".join(",".join(map(str, r)) for r in small))
    code, out = run(
        ["estimate", str(path), "--x", "0,1", "--z", "2", "--max-iter", "1", "-q"]
    )
    assert code == 0
    assert "header: yes (the first row is 0,...,2, the names pandas writes" in out
    assert "40 rows, 3 columns; X has 2 columns, Z has 1" in out


# -- one error line, exit status 2 -----------------------------------------------------


def _files(tmp, small):
    (tmp / "dir.csv").mkdir()
    (tmp / "latin1.csv").write_bytes("\xe9,b\n1,2\n".encode("latin-1"))
    (tmp / "empty.csv").write_text("")
    (tmp / "semicolon.csv").write_text("a;b\n1;2\n3;4\n")
    (tmp / "comments.csv").write_text("# a,b\n# nothing\n")
    (tmp / "only_header.csv").write_text("a,b,c\n")
    (tmp / "dup.csv").write_text("a,a,b\n1,2,3\n4,5,6\n")
    (tmp / "d.csv").write_text(
        "a,b,c\n" + "\n".join(",".join(map(str, r)) for r in small)
    )
    np.save(tmp / "empty.npy", np.zeros((0, 3)))
    np.save(tmp / "obj.npy", np.array([{"a": 1}] * 5, dtype=object))
    (tmp / "bad.npy").write_bytes(b"not an array")
    (tmp / "bad.npz").write_bytes(b"not an archive")
    (tmp / "broken.npz").write_bytes(b"PK\x03\x04 but no archive")
    np.savez(tmp / "empty.npz")
    np.savez(tmp / "obj.npz", X=np.array([{"a": 1}] * 5, dtype=object), Z=small)
    np.savez(tmp / "d.npz", X=small[:, :2], Z=small[:, 2], E=np.zeros((0, 2)))
    np.save(tmp / "d.npy", small)


ESTIMATE_ERRORS = [
    (["dir.csv", "--x", "0", "--z", "1"], "a directory, not a file"),
    (["latin1.csv", "--x", "0", "--z", "1"], "not UTF-8 text (byte 0xe9"),
    (["empty.csv", "--x", "0", "--z", "1"], "the file is empty"),
    # sniffed (issue 22): the names are read
    (["semicolon.csv", "--x", "a", "--z", "a"], "share the column(s) 'a'"),
    (["comments.csv", "--x", "0", "--z", "1", "--no-header"], "only comments"),
    (["only_header.csv", "--x", "a", "--z", "b"], "a header but no data rows"),
    (["dup.csv", "--x", "a", "--z", "b"], "'a' occurs 2 times"),
    (["empty.npy", "--x", "0", "--z", "1"], "the array is empty (shape (0, 3))"),
    (["obj.npy", "--x", "0", "--z", "1"], "does not unpickle"),
    (["bad.npy", "--x", "0", "--z", "1"], "not a .npy file"),
    (["bad.npz", "--x", "X", "--z", "Z"], "not a .npz file"),
    (["broken.npz", "--x", "X", "--z", "Z"], "not a readable .npz file"),
    (["empty.npz", "--x", "X", "--z", "Z"], "the archive holds no arrays"),
    (["obj.npz", "--x", "X", "--z", "Z"], "does not unpickle"),
    (["d.npz", "--x", "E", "--z", "Z"], "the array is empty"),
    (["d.npy", "--x", "0-1000000000000", "--z", "2"], "index 1000000000000 out of"),
    (["d.npy", "--x", "0", "--z", "99"], "index 99 out of range"),
    (["d.csv", "--x", "a,b", "--z", "a"], "share the column(s) 'a'"),
    (["d.csv", "--x", "0-1", "--z", "b,c"], "share the column(s) 'b'"),
    (["d.npy", "--x", "0,1", "--z", "1-2"], "share the column(s) 1"),
    (["d.npz", "--x", "X", "--z", "X:1"], "share the column(s) X:1"),
    (["d.csv", "--x", "a", "--z", "b", "--header", "--no-header"], "not allowed"),
    (["d.csv", "--x", "a", "--z", "b", "-q", "-v"], "not allowed"),
    (["d.csv", "--x", "a", "--z", "b", "--max-iter", "0"], "--max-iter: must be >="),
    (["d.csv", "--x", "a", "--z", "b", "--seed", "-1"], "--seed: must be >= 0"),
]


@pytest.mark.parametrize("argv, message", ESTIMATE_ERRORS)
def test_estimate_input_errors_are_one_line(tmp_path, small, capsys, argv, message):
    _files(tmp_path, small)
    argv = ["estimate", str(tmp_path / argv[0]), *argv[1:]]
    code, out = run(argv)
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and out == ""
    assert len(err) == 1 and err[0].startswith("sknmi: error: ")
    assert message in err[0]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--n-samples", "3"], "--n-samples: must be >= 4"),
        (["demo", "--n-samples", "ten"], "expected an integer, got 'ten'"),
        (["demo", "--n-features", "0"], "--n-features: must be >= 1, got 0"),
        (["demo", "--mi", "-1"], "--mi: must be a finite number >= 0"),
        (["demo", "--mi", "nan"], "--mi: must be a finite number >= 0"),
        (["demo", "--mi", "inf"], "--mi: must be a finite number >= 0"),
        (["demo", "--max-iter", "0"], "--max-iter: must be >= 1, got 0"),
        (["demo", "--bound", "nope"], "invalid choice: 'nope'"),
        (["estimate", "x.csv"], "the following arguments are required: --x, --z"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: command"),
    ],
)
def test_argument_errors_are_one_line(capsys, argv, message):
    code, out = run(argv)
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and out == ""
    assert len(err) == 1 and err[0].startswith("sknmi: error: ")
    assert message in err[0] and "--help" in err[0]


def test_estimator_errors_are_one_line(small, tmp_path, capsys):
    np.save(tmp_path / "d.npy", small[:3])
    code, _ = run(["estimate", str(tmp_path / "d.npy"), "--x", "0", "--z", "1", *FAST])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and len(err) == 1 and "3 sample(s)" in err[0]


# -- warnings, verbosity ---------------------------------------------------------------


def test_warnings_are_one_line_each_and_restored(tmp_path, small, capsys):
    data = np.column_stack([small, 2.0 * small[:, 0] + 1.0])  # column 3 copies 0
    np.save(tmp_path / "d.npy", data)
    before = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        code, out = run(
            [
                "estimate",
                str(tmp_path / "d.npy"),
                "--x",
                "0,1",
                "--z",
                "3",
                "--max-iter",
                "1",
                "-q",
            ]
        )
    assert code == 0 and "I(X; Z) =" in out
    assert warnings.showwarning is before
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith("sknmi: warning: ") for line in err)
    assert any("linearly dependent" in line and "infinite" in line for line in err)


@pytest.mark.parametrize(
    "flags, verbose",
    [([], 1), (["-q"], 0), (["-v"], 2), (["-vv"], 3), (["--verbose"], 2)],
)
def test_verbose_passes_through(flags, verbose):
    args = _build_parser().parse_args(["demo", *flags])
    assert _estimator(args).verbose == verbose


# -- files read by pandas, --given checked (issue 22) ----------------------------------


def _text(data, sep, names="a,b,c"):
    lines = [names.replace(",", sep)] + [
        sep.join(repr(float(v)) for v in r) for r in data
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "name, sep, compress",
    [
        ("d.tsv", "\t", None),
        ("d.csv", ";", None),
        ("d.txt", " ", None),
        ("d.csv", "|", None),
        ("d.csv.gz", ",", "gzip"),
        ("d.tsv.bz2", "\t", "bz2"),
        ("d.csv.xz", ";", "xz"),
        ("d.csv.zip", ",", "zip"),
    ],
)
def test_separators_and_compression_are_read(tmp_path, small, name, sep, compress):
    import bz2
    import gzip
    import lzma
    import zipfile

    text = _text(small, sep).encode()
    path = tmp_path / name
    if compress == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("d.csv", text)
    else:
        opener = {None: open, "gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
        with opener[compress](path, "wb") as f:
            f.write(text)
    notes = []
    X, Z = load_columns(str(path), "a,b", "c", notes=notes)
    np.testing.assert_array_equal(np.column_stack([X, Z]), small)
    assert "40 rows, 3 columns" in notes[0]


def test_missing_values_are_named(tmp_path, small, capsys):
    path = tmp_path / "na.csv"
    rows = [",".join(map(repr, r)) for r in small.tolist()]
    rows[4] = "0.5,NA,1.0"
    rows[7] = "0.5,,1.0"
    path.write_text("a,b,c\n" + "\n".join(rows) + "\n")
    code, out = run(["estimate", str(path), "--x", "a,b", "--z", "c", *FAST])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and out == "" and len(err) == 1
    assert "column 'b' has 2 missing value(s)" in err[0] and "data row 5" in err[0]
    # columns that are not selected may hold anything
    X, Z = load_columns(str(path), "a", "c")
    assert X.shape == (40, 1)


def test_parquet_is_read(tmp_path, small):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "d.parquet"
    pd.DataFrame(small, columns=["a", "b", "c"]).to_parquet(path)
    X, Z = load_columns(str(path), "a,b", "c")
    np.testing.assert_array_equal(np.column_stack([X, Z]), small)


@pytest.mark.parametrize(
    "x, z, given, message",
    [
        ("a", "b", "b", "--z and --given share the column(s) 'b'"),
        ("a", "b", "a", "--x and --given share the column(s) 'a'"),
        ("a,b", "c", "b,c", "--x and --given share the column(s) 'b'"),
        ("a", "b", "0-2", "--x and --given share the column(s) 'a'"),
    ],
)
def test_given_overlapping_x_or_z_is_one_line(
    tmp_path, small, capsys, x, z, given, message
):
    path = tmp_path / "d.csv"
    path.write_text(_text(small, ","))
    code, out = run(
        ["estimate", str(path), "--x", x, "--z", z, "--given", given, *FAST]
    )
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and out == ""
    assert len(err) == 1 and err[0].startswith("sknmi: error: ")
    assert message in err[0]


def test_given_overlap_in_npz_is_refused(tmp_path, small, capsys):
    np.savez(tmp_path / "d.npz", X=small[:, :2], Z=small[:, 2])
    code, _ = run(
        ["estimate", str(tmp_path / "d.npz"), "--x", "X:0", "--z", "Z", "--given", "Z"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--z and --given share the column(s) Z:0" in err


def test_the_epochs_default_is_the_estimators():
    # The learning-rate schedule spans max_iter epochs: a command-line default
    # other than the estimator's warms up for longer than the fit lasts.
    from sknmi import NeuralMIEstimator
    from sknmi.cli import _build_parser

    args = _build_parser().parse_args(["demo"])
    assert args.max_iter == NeuralMIEstimator().max_iter
    assert _estimator(args).precision == NeuralMIEstimator().precision


def test_precision_passes_through():
    args = _build_parser().parse_args(["demo", "--precision", "bfloat16"])
    assert _estimator(args).precision == "bfloat16"
