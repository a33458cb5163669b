"""The file reader, called directly (the command's use of it: test_cli*.py)."""

import gzip

import numpy as np
import pytest

from sknmi.io import DataFileError, load_columns, load_groups

ROWS = np.arange(15, dtype=np.int64).reshape(5, 3)


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,c\n" + "\n".join(",".join(map(str, r)) for r in ROWS))
    return path


def test_load_columns_selects_by_name_index_and_range(csv_path):
    X, Z = load_columns(str(csv_path), "c,a", "1")
    assert X.shape == (5, 2) and Z.shape == (5, 1)
    assert X.dtype == np.float64 and Z.dtype == np.float64
    # the spec's order, not the file's
    np.testing.assert_array_equal(X, ROWS[:, [2, 0]])
    np.testing.assert_array_equal(Z[:, 0], ROWS[:, 1])
    X, Z, W = load_columns(str(csv_path), "0", "1", given_spec="2-2")
    np.testing.assert_array_equal(np.column_stack([X, Z, W]), ROWS)


def test_load_columns_accepts_a_path_object_and_compressed_text(tmp_path, csv_path):
    X, _ = load_columns(csv_path, "a", "b")  # pathlib.Path
    np.testing.assert_array_equal(X[:, 0], ROWS[:, 0])
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(csv_path.read_bytes()))
    notes = []
    X, Z = load_columns(gz, "a,b", "c", notes=notes)
    np.testing.assert_array_equal(np.column_stack([X, Z]), ROWS)
    assert notes == [
        "header: yes (the first row is not all numbers), 5 rows, 3 columns"
    ]


def test_load_groups_npy_every_column_and_labels(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, ROWS.astype(np.float32))
    (data,), (labels,) = load_groups(path, {"all": None})
    assert data.shape == (5, 3) and data.dtype == np.float64
    assert labels == ["0", "1", "2"]


def test_load_groups_npz_arrays_and_columns(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, x=ROWS, z=np.ones(5))
    (x, z), labels = load_groups(path, {"x": "x:0,2", "z": "z"})
    np.testing.assert_array_equal(x, ROWS[:, [0, 2]])
    assert z.shape == (5, 1)
    assert labels == [["x:0", "x:2"], ["z:0"]]


@pytest.mark.parametrize(
    "specs, message",
    [
        ({"--x": "a", "--z": "nope"}, "--z: unknown column 'nope'"),
        ({"--x": "0-7", "--z": "b"}, "--x: column index 7 out of range"),
        ({"--x": "a,b", "--z": "b"}, "--x and --z share the column(s) 'b'"),
        # groups named by the caller: no reason to give, but a clear error
        ({"u": "a", "v": "0"}, "u and v share the column(s) 'a'; select disjoint"),
    ],
)
def test_bad_columns_raise_a_value_error(csv_path, specs, message):
    with pytest.raises(ValueError) as info:
        load_groups(str(csv_path), specs)
    assert isinstance(info.value, DataFileError)
    assert message in str(info.value)


def test_bad_files_raise_a_data_file_error(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        load_columns(str(tmp_path / "missing.csv"), "0", "1")
    bad = tmp_path / "d.csv"
    bad.write_text("a,b\n1,x\n")
    with pytest.raises(DataFileError, match=r"non-numeric value 'x' in column 'b'"):
        load_columns(str(bad), "a", "b")
    other = tmp_path / "d.json"
    other.write_text("{}")
    with pytest.raises(DataFileError, match="unsupported file type '.json'"):
        load_columns(str(other), "0", "1")
