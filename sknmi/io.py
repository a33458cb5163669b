"""Reading data files into float arrays, one group of columns per variable.

The reader of the ``sknmi`` command, for use from Python as well: it reads
text files (``.csv``, ``.tsv``, ``.txt``, ``.dat``, also compressed as
``.gz``, ``.bz2``, ``.xz`` or ``.zip``) and ``.parquet`` files with pandas
(the ``cli`` extra: ``pip install "sknmi[cli]"``), and ``.npy`` and ``.npz``
files with numpy alone. Columns are chosen by a *spec*: names or 0-based
indices, comma-separated, ranges as ``"2-5"``; for ``.npz``, an array name
optionally followed by ``":COLS"``. Every problem with the file or the
columns raises a :class:`DataFileError` whose message names the file and,
where there is one, the column and row.
"""

# numpy and the standard library only, pandas imported when a text or Parquet
# file is read: reading a file needs nothing of the torch engine.
import csv
import os
import zipfile
from collections.abc import Mapping

import numpy as np

__all__ = ["DataFileError", "load_columns", "load_groups"]


class DataFileError(ValueError):
    """A data file that cannot be read as asked.

    Raised for a missing or unreadable file, an unsupported type, unknown or
    shared columns, and non-numeric or missing values. A ``ValueError``, so
    code that catches bad input catches this too; the ``sknmi`` command prints
    its message as one error line.

    Examples
    --------
    >>> from sknmi.io import DataFileError, load_columns
    >>> try:
    ...     load_columns("no-such-file.csv", "0", "1")
    ... except DataFileError as exc:
    ...     print(exc)
    no-such-file.csv: no such file
    """


def _parse_columns(spec, names, n_columns, what):
    """Column indices from a spec such as 'a,b', '0,3' or '2-5'."""
    indices = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            raise DataFileError(f"{what}: empty column name in {spec!r}")
        if names is not None and item in names:
            if names.count(item) > 1:
                raise DataFileError(
                    f"{what}: the column name {item!r} occurs {names.count(item)} "
                    "times; select it by its 0-based index"
                )
            indices.append(names.index(item))
            continue
        bounds = item.split("-")
        try:
            if len(bounds) == 2 and all(b.strip().isdigit() for b in bounds):
                lo, hi = int(bounds[0]), int(bounds[1])
                if hi < lo:
                    raise DataFileError(f"{what}: empty range {item!r}")
                # check before building: '0-1000000000000' must not fill memory
                _check_index(hi, n_columns, what)
                indices.extend(range(lo, hi + 1))
            else:
                indices.append(_check_index(int(item), n_columns, what))
        except DataFileError:  # a ValueError itself, but already worded
            raise
        except ValueError:
            known = f"; columns are {names}" if names else ""
            raise DataFileError(f"{what}: unknown column {item!r}{known}") from None
    return indices


def _check_index(i, n_columns, what):
    if not 0 <= i < n_columns:
        raise DataFileError(
            f"{what}: column index {i} out of range (the data have {n_columns} columns)"
        )
    return i


def _is_number(value):
    try:
        float(value)
    except ValueError:
        return False
    return True


def _header_rule(first, header):
    """Whether the first CSV row holds names, and why, in words."""
    if header is not None:
        return (
            header,
            f"header: {'yes' if header else 'no'} (--{'' if header else 'no-'}header)",
        )
    fields = [v.strip() for v in first]
    if not all(_is_number(v) for v in fields):
        return True, "header: yes (the first row is not all numbers)"
    if fields == [str(i) for i in range(len(fields))]:
        return True, (
            f"header: yes (the first row is 0,...,{len(fields) - 1}, the names "
            "pandas writes; --no-header reads it as data)"
        )
    return False, "header: no (the first row is numbers; --header reads it as names)"


# Compressed text files, as pandas infers them from the name.
_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip", ".zst": "zstd"}
_TEXT = (".csv", ".tsv", ".txt", ".dat")
# Characters of the file's head that the separator is sniffed from.
_SNIFF_CHARS = 65536


def _pandas():
    try:
        import pandas
    except ImportError:  # pragma: no cover - pandas is in the cli extra
        raise DataFileError(
            "reading CSV and Parquet files needs pandas: pip install 'sknmi[cli]'"
        ) from None
    return pandas


def _open_text(path):
    """The file as UTF-8 text (a byte-order mark skipped), decompressed."""
    suffix = os.path.splitext(path)[1].lower()
    kind = _COMPRESSED.get(suffix)
    if kind == "gzip":
        import gzip

        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    if kind == "bz2":
        import bz2

        return bz2.open(path, "rt", encoding="utf-8-sig", newline="")
    if kind == "xz":
        import lzma

        return lzma.open(path, "rt", encoding="utf-8-sig", newline="")
    if kind == "zip":
        import io

        archive = zipfile.ZipFile(path)
        members = archive.namelist()
        if len(members) != 1:
            raise DataFileError(
                f"{path}: a .zip must hold one file, it holds {members}"
            )
        return io.TextIOWrapper(
            archive.open(members[0]), encoding="utf-8-sig", newline=""
        )
    if kind == "zstd":
        raise DataFileError(f"{path}: .zst is not read here; decompress it first")
    return open(path, encoding="utf-8-sig", newline="")


def _head(path):
    """The first characters of the file, as text."""
    try:
        with _open_text(path) as f:
            return f.read(_SNIFF_CHARS)
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path}: cannot read: {exc}") from None


def _sniff(text):
    """The separator of CSV ``text``: what :class:`csv.Sniffer` finds (as
    ``pandas.read_csv(sep=None, engine="python")`` does), among , ; tab | and
    space; a comma when nothing is found."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip() and ln[0] != "#"]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t| ").delimiter
    except csv.Error:
        return ","


def _scan(path, header):
    """Separator, column names (or None), the header note and whether the
    first data-looking line is a header, from the head of the file."""
    text = _head(path)
    sep = _sniff(text)
    rows = [
        row
        for row in csv.reader(text.splitlines()[:200], delimiter=sep)
        if row and any(v.strip() for v in row)
    ]
    if not rows:
        raise DataFileError(f"{path}: the file is empty")
    names = None
    first = rows[0]
    if first[0].lstrip().startswith("#") and header is not False:
        # np.savetxt's "# a,b,c": names behind a comment sign
        names = [v.strip() for v in [first[0].lstrip()[1:], *first[1:]]]
    data_rows = [row for row in rows if not row[0].lstrip().startswith("#")]
    if names is not None:
        return sep, names, "header: yes (a commented first line)", False, len(names)
    if not data_rows:
        raise DataFileError(f"{path}: no data, only comments")
    has_names, note = _header_rule(data_rows[0], header)
    names = [v.strip() for v in data_rows[0]] if has_names else None
    return sep, names, note, has_names, len(data_rows[0])


def _read_csv(path, header=None, columns=None):
    """Data, column names (or None) and a note saying how the file was read.

    ``columns`` (a callable of the names and the number of columns) returns
    the indices wanted, checked before the file is read.
    :func:`pandas.read_csv` reads
    the file (compressed files by their suffix; UTF-8, a byte-order mark
    skipped; empty fields and NA, NaN, null... are missing values) with the
    separator sniffed from its head (comma, semicolon, tab, bar or space);
    blank lines and lines starting with ``#`` are skipped, except that a first
    line ``# a,b,c`` (as :func:`numpy.savetxt` writes a header) holds the
    names ``a,b,c``.
    """
    pd = _pandas()
    sep, names, note, skip_first, width = _scan(path, header)
    try:
        wanted = list(range(width)) if columns is None else columns(names, width)
        # Every column is parsed (not only those wanted), so that a line with
        # too many fields is an error rather than silently cut.
        frame = pd.read_csv(
            path,
            sep=sep,
            header=0 if skip_first else None,
            index_col=False,
            comment="#",
            skipinitialspace=True,
            encoding="utf-8-sig",
            compression="infer",
        )
        frame.columns = range(frame.shape[1])
        if frame.shape[1] != width:
            raise DataFileError(
                f"{path}: the first line has {width} fields but the data have "
                f"{frame.shape[1]} columns"
            )
    except DataFileError:  # a ValueError itself, but already worded
        raise
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataFileError(f"{path}: a header but no data rows") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFileError(
            f"{path}: not a readable CSV file: {' '.join(str(exc).split())}"
        ) from None
    if len(frame) == 0:
        raise DataFileError(f"{path}: a header but no data rows")
    note = f"{note}, separator {sep!r}" if sep != "," else note
    return frame, names, f"{note}, {len(frame)} rows, {width} columns", wanted


def _numeric(path, frame, names, wanted):
    """The columns ``wanted`` of ``frame`` as one float64 array."""
    out = np.empty((len(frame), len(wanted)))
    for j, c in enumerate(wanted):
        column = frame[c]
        label = repr(names[c]) if names else str(c)
        if column.dtype.kind not in "biuf":
            pd = _pandas()
            values = pd.to_numeric(column, errors="coerce")
            bad = values.isna() & column.notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataFileError(
                    f"{path}: non-numeric value {column.iloc[row]!r} in column "
                    f"{label}, data row {row + 1}"
                )
            column = values
        out[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = int(np.isnan(out[:, j]).sum())
        if missing:
            row = int(np.flatnonzero(np.isnan(out[:, j]))[0])
            raise DataFileError(
                f"{path}: column {label} has {missing} missing value(s) (an empty "
                f"field, NA or a short line; the first in data row {row + 1}); "
                "drop or fill those rows first"
            )
    return out


def _read_parquet(path, columns=None):
    """A Parquet file (needs pyarrow or fastparquet): data, names, note, wanted."""
    pd = _pandas()
    try:
        frame = pd.read_parquet(path)
    except ImportError as exc:
        raise DataFileError(f"{path}: reading Parquet needs pyarrow: {exc}") from None
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: not a readable Parquet file: {exc}") from None
    names = [str(c) for c in frame.columns]
    frame.columns = range(len(names))
    width = len(names)
    wanted = list(range(width)) if columns is None else columns(names, width)
    return frame, names, f"{len(frame)} rows, {width} columns", wanted


def _as_2d_numeric(array, what):
    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise DataFileError(f"{what}: the data are not numeric (dtype {array.dtype})")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise DataFileError(f"{what}: expected a 1-D or 2-D array, got {array.ndim}-D")
    if array.size == 0:
        raise DataFileError(f"{what}: the array is empty (shape {array.shape})")
    return array.astype(np.float64)


def _magic(path, prefix, kind):
    with open(path, "rb") as f:
        if not f.read(len(prefix)) == prefix:
            raise DataFileError(f"{path}: not a {kind} file (it does not start as one)")


def _load_npy(path):
    _magic(path, b"\x93NUMPY", ".npy")
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:  # object arrays: never unpickled
        if "pickle" in str(exc):
            raise DataFileError(
                f"{path}: the array holds Python objects, which sknmi does not "
                "unpickle; save a numeric array"
            ) from None
        raise DataFileError(f"{path}: not a readable .npy file: {exc}") from None
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{path}: not a readable .npy file: {exc}") from None
    return _as_2d_numeric(data, path)


def _load_npz(path, specs):
    _magic(path, b"PK", ".npz")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path}: not a readable .npz file: {exc}") from None
    with archive:
        if not archive.files:
            raise DataFileError(f"{path}: the archive holds no arrays")

        def pick(spec, what):
            if spec is None:
                if len(archive.files) > 1:
                    raise DataFileError(
                        f"{what}: {path} holds {len(archive.files)} arrays "
                        f"({archive.files}); name one"
                    )
                spec = archive.files[0]
            key, _, cols = spec.partition(":")
            if key not in archive.files:
                raise DataFileError(
                    f"{what}: no array {key!r} in {path} (it has {archive.files})"
                )
            try:
                array = archive[key]
            except ValueError as exc:  # object arrays: never unpickled
                if "pickle" in str(exc):
                    raise DataFileError(
                        f"{path}[{key}]: the array holds Python objects, which "
                        "sknmi does not unpickle; save numeric arrays"
                    ) from None
                raise DataFileError(f"{path}[{key}]: cannot read: {exc}") from None
            except (OSError, EOFError, zipfile.BadZipFile) as exc:
                raise DataFileError(f"{path}[{key}]: cannot read: {exc}") from None
            data = _as_2d_numeric(array, f"{path}[{key}]")
            picked = range(data.shape[1])
            if cols:
                picked = _parse_columns(cols, None, data.shape[1], what)
                data = data[:, picked]
            return data, [f"{key}:{i}" for i in picked]

        picked = {flag: pick(spec, flag) for flag, spec in specs.items()}
    rows = {flag: len(data) for flag, (data, _) in picked.items()}
    if len(set(rows.values())) > 1:
        shown = " but ".join(f"{flag} has {n} rows" for flag, n in rows.items())
        raise DataFileError(shown)
    _check_disjoint({flag: labels for flag, (_, labels) in picked.items()})
    arrays = [data for data, _ in picked.values()]
    labels = [names for _, names in picked.values()]
    return arrays, labels, f"arrays of {len(arrays[0])} rows"


# Why two groups of columns must not share one, by their flags.
_DISJOINT = {
    ("--x", "--z"): "the MI of a variable with itself is infinite",
    ("--x", "--given"): "a column conditioned on tells nothing more",
    ("--z", "--given"): "a column conditioned on tells nothing more",
    ("--source", "--target"): "a series' own past is conditioned on already",
}


def _check_disjoint(groups, names=None):
    """Raise a DataFileError when two of the groups ``{name: columns}`` meet."""
    flags = list(groups)
    for i, a in enumerate(flags):
        for b in flags[i + 1 :]:
            other = set(groups[b])
            shared = [c for c in dict.fromkeys(groups[a]) if c in other]
            if shared:
                shown = ", ".join(repr(names[c]) if names else str(c) for c in shared)
                # Groups named by a caller of load_groups have no reason here.
                why = f": {_DISJOINT[(a, b)]}" if (a, b) in _DISJOINT else ""
                raise DataFileError(
                    f"{a} and {b} share the column(s) {shown}{why}; "
                    "select disjoint columns"
                )


def load_columns(
    path: str | os.PathLike[str],
    x_spec: str | None,
    z_spec: str | None,
    header: bool | None = None,
    notes: list[str] | None = None,
    given_spec: str | None = None,
    flags: tuple[str, str] = ("--x", "--z"),
) -> tuple[np.ndarray, ...]:
    """Read X and Z (and W for ``given_spec``) from a file as float arrays.

    Text files (``.csv``, ``.tsv``, ``.txt``, ``.dat``, also compressed as
    ``.gz``, ``.bz2``, ``.xz`` or ``.zip``) are read by
    :func:`pandas.read_csv` with the separator sniffed from the file's head
    (comma, semicolon, tab, bar or space); blank lines and lines starting
    with ``#`` are skipped, except that a first line ``# a,b,c`` (as
    :func:`numpy.savetxt` writes a header) holds the names ``a,b,c``.
    ``.parquet`` files are read by :func:`pandas.read_parquet`, ``.npy`` and
    ``.npz`` files by numpy (object arrays are never unpickled).

    Parameters
    ----------
    path : str or path-like
        The file; its type is told by its suffix.
    x_spec, z_spec : str or None
        The columns of X and of Z: names or 0-based indices, comma-separated,
        ranges as ``"2-5"``; for ``.npz``, an array name optionally followed
        by ``":COLS"``. None is every column (for ``.npz``, every column of
        its only array). X and Z may not share a column.
    header : bool or None, default=None
        Text files only: whether the first row holds column names. None
        decides: the first row is a header when a field in it is not a
        number, or when it is ``0,1,...,d-1`` (the names pandas writes).
    notes : list of str or None, default=None
        When a list, a line saying how the file was read (the header
        decision, rows and columns) is appended to it.
    given_spec : str or None, default=None
        The columns of W, as ``x_spec``, for a conditional estimate; it may
        share no column with X or Z.
    flags : tuple of two str, default=("--x", "--z")
        The names of X and Z in the error messages.

    Returns
    -------
    X, Z : ndarray of shape (n_rows, n_columns), float64
        Or ``X, Z, W`` when ``given_spec`` is given.

    Raises
    ------
    DataFileError
        When the file cannot be read or the columns cannot be taken from it.

    Examples
    --------
    >>> import os, tempfile
    >>> from sknmi.io import load_columns
    >>> notes = []
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "data.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("a,b,c\\n1,2,3\\n4,5,6\\n7,8,9\\n")
    ...     X, Z = load_columns(path, "a,b", "c", notes=notes)
    >>> X.shape, Z.shape, Z.dtype
    ((3, 2), (3, 1), dtype('float64'))
    >>> Z.ravel()
    array([3., 6., 9.])
    >>> notes
    ['header: yes (the first row is not all numbers), 3 rows, 3 columns']
    """
    specs = {flags[0]: x_spec, flags[1]: z_spec}
    if given_spec is not None:
        specs["--given"] = given_spec
    arrays, _ = load_groups(path, specs, header=header, notes=notes)
    return tuple(arrays)


def load_groups(
    path: str | os.PathLike[str],
    specs: Mapping[str, str | None],
    header: bool | None = None,
    notes: list[str] | None = None,
) -> tuple[list[np.ndarray], list[list[str]]]:
    """Read groups of columns, ``{name: spec}``, as float arrays and their names.

    The file rules are those of :func:`load_columns`; the groups must not
    share a column.

    Parameters
    ----------
    path : str or path-like
        The file; its type is told by its suffix.
    specs : mapping of str to str or None
        One column spec per group (as ``x_spec`` of :func:`load_columns`),
        keyed by the group's name in the error messages. A spec of None is
        every column of the file (for ``.npz``, every column of its only
        array).
    header : bool or None, default=None
        Text files only: whether the first row holds column names; None
        decides, as in :func:`load_columns`.
    notes : list of str or None, default=None
        When a list, a line saying how the file was read is appended to it.

    Returns
    -------
    arrays : list of ndarray of shape (n_rows, n_columns), float64
        One per spec, in their order.
    labels : list of list of str
        The column names of each array (indices as text when the file has no
        names; ``"key:index"`` for ``.npz``).

    Raises
    ------
    DataFileError
        When the file cannot be read or the columns cannot be taken from it.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sknmi.io import load_groups
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "data.npz")
    ...     np.savez(path, x=np.arange(6).reshape(3, 2), z=np.ones(3))
    ...     arrays, labels = load_groups(path, {"x": "x:1", "z": "z"})
    >>> [a.shape for a in arrays]
    [(3, 1), (3, 1)]
    >>> labels
    [['x:1'], ['z:0']]
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise DataFileError(f"{path}: a directory, not a file")
    name = path.lower()
    for ext in _COMPRESSED:
        if name.endswith(ext):
            name = name[: -len(ext)]
    suffix = os.path.splitext(name)[1]
    picked: dict[str, list[int]] = {}

    def columns(names, width):
        picked.update(
            {
                flag: list(range(width))
                if spec is None
                else _parse_columns(spec, names, width, flag)
                for flag, spec in specs.items()
            }
        )
        _check_disjoint(picked, names)
        return [c for cols in picked.values() for c in cols]

    def named(names):
        return [
            [names[c] if names else str(c) for c in cols] for cols in picked.values()
        ]

    try:
        if suffix == ".npz" and name == path.lower():
            arrays, labels, note = _load_npz(path, specs)
            if notes is not None:
                notes.append(note)
            return arrays, labels
        if suffix == ".npy" and name == path.lower():
            data, names = _load_npy(path), None
            note = f"an array of {data.shape[0]} rows, {data.shape[1]} columns"
            columns(names, data.shape[1])
            arrays = [data[:, cols] for cols in picked.values()]
        elif suffix in _TEXT or suffix == ".parquet":
            if suffix == ".parquet":
                frame, names, note, wanted = _read_parquet(path, columns)
            else:
                frame, names, note, wanted = _read_csv(path, header, columns)
            data = _numeric(path, frame, names, sorted(set(wanted)))
            where = {c: j for j, c in enumerate(sorted(set(wanted)))}
            arrays = [data[:, [where[c] for c in cols]] for cols in picked.values()]
        else:
            raise DataFileError(
                f"{path}: unsupported file type {suffix!r} (use .csv, .tsv, .txt, "
                ".parquet, .npy or .npz; text files may be compressed)"
            )
    except PermissionError:
        raise DataFileError(f"{path}: permission denied") from None
    if notes is not None:
        notes.append(note)
    return arrays, named(names)
