"""The ``sknmi`` command: ``sknmi demo``, ``sknmi estimate FILE --x C --z C``
(``--given C`` for conditional MI), ``sknmi test FILE --x C --z C``,
``sknmi pairwise FILE`` (the MI of every pair of columns) and
``sknmi transfer FILE --source C --target C`` (transfer entropy)."""

import argparse
import csv
import dataclasses
import math
import os
import sys
import time
import warnings
import zipfile

import numpy as np

__all__ = ["main"]


class CommandError(Exception):
    """A problem with the user's input, reported as one line and exit status 2."""


class _VersionRequested(Exception):
    """``--version`` was given: print the version to the command's output."""


class _Version(argparse.Action):
    # argparse's own "version" action prints to sys.stdout and exits; this one
    # lets main() print to its `out` and return 0 like every other command.
    def __init__(self, option_strings, dest, **kwargs):
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        raise _VersionRequested


class _ArgumentParser(argparse.ArgumentParser):
    # argparse prints its usage and exits; the command reports one line instead.
    def error(self, message):
        raise CommandError(f"{message} (see '{self.prog} --help')")


def _count(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def _nonnegative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def _add_training_options(parser):
    from sknmi.bounds import BOUNDS

    parser.add_argument(
        "--bound",
        choices=list(BOUNDS),
        default="logratio",
        help="bound the critic maximises (default: %(default)s)",
    )
    parser.add_argument(
        "--critic",
        choices=["auto", "separable", "concat"],
        default="auto",
        help="critic architecture; auto picks concat for a nearly deterministic "
        "pair of directions, separable otherwise (default: %(default)s)",
    )
    parser.add_argument(
        "--n-folds",
        type=_count(1),
        default=3,
        help="cross-fitting folds, one critic each; 1 trains a single critic "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--max-iter",
        type=_count(1),
        # The estimator's own default: a cap, since training stops by itself
        # once the held-out objective stops improving.
        default=200,
        help="maximum number of epochs; training stops earlier once the "
        "held-out objective stops improving (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=_count(0),
        default=0,
        help="random_state of the estimator (default: %(default)s)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="auto, cpu, cuda or cuda:N (default: %(default)s)",
    )
    parser.add_argument(
        "--precision",
        choices=["float32", "bfloat16"],
        default="float32",
        help="float type of the training step's matrix products; bfloat16 is "
        "faster on CPUs and GPUs with native bfloat16 (default: %(default)s)",
    )
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    talk.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more progress output: the estimator's verbose is 1 by default, "
        "1 + the number of -v given, 0 with --quiet",
    )


def _add_file_argument(parser, note=None):
    parser.add_argument(
        "file",
        help="a .csv, .tsv or .txt file (also .gz, .bz2, .xz, .zip), .parquet, "
        ".npy or .npz" + (f"; {note}" if note else ""),
    )


def _add_header_options(parser):
    header = parser.add_mutually_exclusive_group()
    header.add_argument(
        "--header",
        dest="header",
        action="store_const",
        const=True,
        default=None,
        help="CSV: the first row holds column names",
    )
    header.add_argument(
        "--no-header",
        dest="header",
        action="store_const",
        const=False,
        help="CSV: the first row is data. Without either option the first row "
        "is a header when a field in it is not a number, or when it is "
        "0,1,...,d-1 (the names pandas writes); the output says which",
    )


def _build_parser():
    parser = _ArgumentParser(
        prog="sknmi", description="Neural mutual-information estimation."
    )
    parser.add_argument(
        "--version", action=_Version, help="print the version of sknmi and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="estimate the MI of a Gaussian pair whose MI is known"
    )
    demo.add_argument(
        "--n-samples",
        type=_count(4),
        default=10_000,
        help="rows of the data set, at least 4 (default: %(default)s)",
    )
    demo.add_argument(
        "--n-features",
        type=_count(1),
        default=10,
        help="dimension of X and of Z (default: %(default)s)",
    )
    demo.add_argument(
        "--mi",
        type=_nonnegative_float,
        default=2.0,
        help="true MI in nats, finite and >= 0 (default: %(default)s)",
    )
    _add_training_options(demo)

    est = sub.add_parser(
        "estimate", help="estimate the MI between two groups of columns of a file"
    )
    _add_file_argument(est)
    est.add_argument(
        "--x",
        required=True,
        help="columns of X: names or 0-based indices, comma-separated, ranges as "
        "'2-5'; for .npz, an array name optionally followed by ':COLS'",
    )
    est.add_argument(
        "--z",
        required=True,
        help="columns of Z, as for --x; X and Z may not share a column (the MI "
        "of a variable with itself is infinite)",
    )
    est.add_argument(
        "--given",
        default=None,
        help="columns of W, as for --x: estimate the conditional MI I(X; Z | W)",
    )
    _add_header_options(est)
    _add_training_options(est)
    _add_test_parser(sub)
    _add_pairwise_parser(sub)
    _add_transfer_parser(sub)
    return parser


def _parse_columns(spec, names, n_columns, what):
    """Column indices from a spec such as 'a,b', '0,3' or '2-5'."""
    indices = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            raise CommandError(f"{what}: empty column name in {spec!r}")
        if names is not None and item in names:
            if names.count(item) > 1:
                raise CommandError(
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
                    raise CommandError(f"{what}: empty range {item!r}")
                # check before building: '0-1000000000000' must not fill memory
                _check_index(hi, n_columns, what)
                indices.extend(range(lo, hi + 1))
            else:
                indices.append(_check_index(int(item), n_columns, what))
        except ValueError:
            known = f"; columns are {names}" if names else ""
            raise CommandError(f"{what}: unknown column {item!r}{known}") from None
    return indices


def _check_index(i, n_columns, what):
    if not 0 <= i < n_columns:
        raise CommandError(
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
        raise CommandError(
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
            raise CommandError(f"{path}: a .zip must hold one file, it holds {members}")
        return io.TextIOWrapper(
            archive.open(members[0]), encoding="utf-8-sig", newline=""
        )
    if kind == "zstd":
        raise CommandError(f"{path}: .zst is not read here; decompress it first")
    return open(path, encoding="utf-8-sig", newline="")


def _head(path):
    """The first characters of the file, as text."""
    try:
        with _open_text(path) as f:
            return f.read(_SNIFF_CHARS)
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CommandError(f"{path}: cannot read: {exc}") from None


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
        raise CommandError(f"{path}: the file is empty")
    names = None
    first = rows[0]
    if first[0].lstrip().startswith("#") and header is not False:
        # np.savetxt's "# a,b,c": names behind a comment sign
        names = [v.strip() for v in [first[0].lstrip()[1:], *first[1:]]]
    data_rows = [row for row in rows if not row[0].lstrip().startswith("#")]
    if names is not None:
        return sep, names, "header: yes (a commented first line)", False, len(names)
    if not data_rows:
        raise CommandError(f"{path}: no data, only comments")
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
            raise CommandError(
                f"{path}: the first line has {width} fields but the data have "
                f"{frame.shape[1]} columns"
            )
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise CommandError(f"{path}: a header but no data rows") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise CommandError(
            f"{path}: not a readable CSV file: {' '.join(str(exc).split())}"
        ) from None
    if len(frame) == 0:
        raise CommandError(f"{path}: a header but no data rows")
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
                raise CommandError(
                    f"{path}: non-numeric value {column.iloc[row]!r} in column "
                    f"{label}, data row {row + 1}"
                )
            column = values
        out[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = int(np.isnan(out[:, j]).sum())
        if missing:
            row = int(np.flatnonzero(np.isnan(out[:, j]))[0])
            raise CommandError(
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
        raise CommandError(f"{path}: reading Parquet needs pyarrow: {exc}") from None
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: not a readable Parquet file: {exc}") from None
    names = [str(c) for c in frame.columns]
    frame.columns = range(len(names))
    width = len(names)
    wanted = list(range(width)) if columns is None else columns(names, width)
    return frame, names, f"{len(frame)} rows, {width} columns", wanted


def _as_2d_numeric(array, what):
    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise CommandError(f"{what}: the data are not numeric (dtype {array.dtype})")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise CommandError(f"{what}: expected a 1-D or 2-D array, got {array.ndim}-D")
    if array.size == 0:
        raise CommandError(f"{what}: the array is empty (shape {array.shape})")
    return array.astype(np.float64)


def _magic(path, prefix, kind):
    with open(path, "rb") as f:
        if not f.read(len(prefix)) == prefix:
            raise CommandError(f"{path}: not a {kind} file (it does not start as one)")


def _load_npy(path):
    _magic(path, b"\x93NUMPY", ".npy")
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:  # object arrays: never unpickled
        if "pickle" in str(exc):
            raise CommandError(
                f"{path}: the array holds Python objects, which sknmi does not "
                "unpickle; save a numeric array"
            ) from None
        raise CommandError(f"{path}: not a readable .npy file: {exc}") from None
    except (OSError, EOFError) as exc:
        raise CommandError(f"{path}: not a readable .npy file: {exc}") from None
    return _as_2d_numeric(data, path)


def _load_npz(path, specs):
    _magic(path, b"PK", ".npz")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CommandError(f"{path}: not a readable .npz file: {exc}") from None
    with archive:
        if not archive.files:
            raise CommandError(f"{path}: the archive holds no arrays")

        def pick(spec, what):
            if spec is None:
                if len(archive.files) > 1:
                    raise CommandError(
                        f"{what}: {path} holds {len(archive.files)} arrays "
                        f"({archive.files}); name one"
                    )
                spec = archive.files[0]
            key, _, cols = spec.partition(":")
            if key not in archive.files:
                raise CommandError(
                    f"{what}: no array {key!r} in {path} (it has {archive.files})"
                )
            try:
                array = archive[key]
            except ValueError as exc:  # object arrays: never unpickled
                if "pickle" in str(exc):
                    raise CommandError(
                        f"{path}[{key}]: the array holds Python objects, which "
                        "sknmi does not unpickle; save numeric arrays"
                    ) from None
                raise CommandError(f"{path}[{key}]: cannot read: {exc}") from None
            except (OSError, EOFError, zipfile.BadZipFile) as exc:
                raise CommandError(f"{path}[{key}]: cannot read: {exc}") from None
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
        raise CommandError(shown)
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
    """Raise a CommandError when two of the groups ``{flag: columns}`` meet."""
    flags = list(groups)
    for i, a in enumerate(flags):
        for b in flags[i + 1 :]:
            other = set(groups[b])
            shared = [c for c in dict.fromkeys(groups[a]) if c in other]
            if shared:
                shown = ", ".join(repr(names[c]) if names else str(c) for c in shared)
                raise CommandError(
                    f"{a} and {b} share the column(s) {shown}: "
                    f"{_DISJOINT[(a, b)]}; select disjoint columns"
                )


def load_columns(
    path,
    x_spec,
    z_spec,
    header=None,
    notes=None,
    given_spec=None,
    flags=("--x", "--z"),
):
    """Read X and Z (and W for ``given_spec``) from a file as float arrays.

    CSV and other text files (``.csv``, ``.tsv``, ``.txt``, ``.dat``, also
    compressed as ``.gz``, ``.bz2``, ``.xz`` or ``.zip``) are read by
    :func:`pandas.read_csv` with the separator sniffed from the file's head;
    ``.parquet`` by :func:`pandas.read_parquet`; ``.npy`` and ``.npz`` by
    numpy. ``header`` (True, False or None for the rule in ``sknmi estimate
    --help``) applies to text files. When ``notes`` is a list, a line saying
    how the file was read (the header decision, rows and columns) is appended
    to it. ``flags`` names X's and Z's options in the error messages.

    Returns
    -------
    X, Z : ndarray
        Or ``X, Z, W`` when ``given_spec`` is given.
    """
    specs = {flags[0]: x_spec, flags[1]: z_spec}
    if given_spec is not None:
        specs["--given"] = given_spec
    arrays, _ = load_groups(path, specs, header=header, notes=notes)
    return tuple(arrays)


def load_groups(path, specs, header=None, notes=None):
    """Read groups of columns, ``{flag: spec}``, as float arrays and their names.

    The file rules are those of :func:`load_columns`; the groups must not
    share a column. A spec of None is every column of the file (for ``.npz``,
    every column of its only array).

    Returns
    -------
    arrays : list of ndarray
        One per spec, in their order.
    labels : list of list of str
        The column names of each array (indices as text when the file has no
        names; ``"key:index"`` for ``.npz``).
    """
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CommandError(f"{path}: a directory, not a file")
    name = path.lower()
    for ext in _COMPRESSED:
        if name.endswith(ext):
            name = name[: -len(ext)]
    suffix = os.path.splitext(name)[1]
    picked = {}

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
            raise CommandError(
                f"{path}: unsupported file type {suffix!r} (use .csv, .tsv, .txt, "
                ".parquet, .npy or .npz; text files may be compressed)"
            )
    except PermissionError:
        raise CommandError(f"{path}: permission denied") from None
    if notes is not None:
        notes.append(note)
    return arrays, named(names)


def _estimator(args, critic=None):
    from sknmi import NeuralMIEstimator

    return NeuralMIEstimator(
        bound=args.bound,
        critic=args.critic if critic is None else critic,
        n_folds=args.n_folds,
        max_iter=args.max_iter,
        random_state=args.seed,
        device=args.device,
        precision=args.precision,
        verbose=0 if args.quiet else 1 + args.verbose,
    )


def _fit(args, X, Z):
    try:
        return _estimator(args).fit(X, Z)
    except ValueError as exc:  # bad parameters or data, said by the estimator
        raise CommandError(" ".join(str(exc).split())) from None


def _report(est, seconds, out):
    lo, hi = est.mi_ci_
    bits = 1.0 / math.log(2.0)
    print(
        f"I(X; Z) = {est.mi_:.3f} nats ({est.mi_ * bits:.3f} bits), 95% interval "
        f"[{lo:.3f}, {hi:.3f}] nats; bound={est.bound}, {est.n_iter_} epochs, "
        f"{seconds:.1f} s",
        file=out,
    )


def _demo(args, out):
    from sknmi.datasets import make_gaussian

    try:
        X, Z, truth = make_gaussian(
            n_samples=args.n_samples,
            n_features=args.n_features,
            mi=args.mi,
            random_state=args.seed,
        )
    except ValueError as exc:
        raise CommandError(" ".join(str(exc).split())) from None
    print(
        f"Gaussian pair: {args.n_samples} rows, X and Z {args.n_features}-dimensional, "
        f"true I(X; Z) = {truth:.3f} nats",
        file=out,
    )
    start = time.perf_counter()
    est = _fit(args, X, Z)
    _report(est, time.perf_counter() - start, out)
    lo, hi = est.mi_ci_
    print(
        f"truth {truth:.3f} nats; error {est.mi_ - truth:+.3f} nats "
        f"({'inside' if lo <= truth <= hi else 'outside'} the interval)",
        file=out,
    )
    if est.n_folds == 1:
        held = "one critic: the interval holds the sampling error only"
    else:
        folds = ", ".join(f"{v:.3f}" for v in est.mi_folds_)
        held = (
            f"Cross-fitted over {est.n_folds} folds (fold read-outs {folds}): the "
            "interval holds the sampling error and the training noise"
        )
    print(
        f"{held}, not the bias of a critic that could not learn all of the "
        "dependence from the rows it had.",
        file=out,
    )


def _estimate(args, out):
    if args.given is not None:
        return _estimate_given(args, out)
    notes = []
    X, Z = load_columns(args.file, args.x, args.z, header=args.header, notes=notes)
    if not (np.isfinite(X).all() and np.isfinite(Z).all()):
        raise CommandError(f"{args.file}: the selected columns contain NaN or inf")
    print(
        f"{args.file}: {notes[0]}; X has {X.shape[1]} columns, Z has {Z.shape[1]}",
        file=out,
    )
    start = time.perf_counter()
    est = _fit(args, X, Z)
    _report(est, time.perf_counter() - start, out)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    # One line, no source line: a command-line user has no use for the code.
    print(f"sknmi: warning: {' '.join(str(message).split())}", file=sys.stderr)


def _add_estimator_option(parser, what):
    parser.add_argument(
        "--estimator",
        choices=["neural", "ksg", "gaussian"],
        default="neural",
        help=f"MI estimator {what} (default: %(default)s)",
    )


def _chosen_estimator(args):
    """The estimator that ``--estimator`` names, with ``--seed``."""
    from sknmi import GaussianMIEstimator, KSGEstimator

    if args.estimator == "ksg":
        return KSGEstimator(random_state=args.seed)
    if args.estimator == "gaussian":
        return GaussianMIEstimator()
    return _estimator(args)


def _add_test_parser(sub):
    test = sub.add_parser(
        "test", help="test whether two groups of columns of a file are independent"
    )
    _add_file_argument(test)
    test.add_argument("--x", required=True, help="columns of X, as for estimate")
    test.add_argument("--z", required=True, help="columns of Z, as for --x")
    _add_header_options(test)
    _add_estimator_option(test, "of the statistic")
    test.add_argument(
        "--n-permutations",
        type=int,
        default=199,
        help="permutations of Z (default: %(default)s)",
    )
    test.add_argument(
        "--test-fraction",
        type=float,
        default=0.5,
        help="neural: share of rows the statistic is read on (default: %(default)s)",
    )
    _add_training_options(test)


def _finite(args, *arrays):
    if not all(np.isfinite(a).all() for a in arrays):
        raise CommandError(f"{args.file}: the selected columns contain NaN or inf")


def _estimate_given(args, out):
    """``sknmi estimate --given``: I(X; Z | W) with ConditionalMIEstimator."""
    from sknmi import ConditionalMIEstimator

    notes = []
    X, Z, W = load_columns(
        args.file,
        args.x,
        args.z,
        header=args.header,
        notes=notes,
        given_spec=args.given,
    )
    _finite(args, X, Z, W)
    print(
        f"{args.file}: {notes[0]}; X has {X.shape[1]} columns, Z has "
        f"{Z.shape[1]}, W has {W.shape[1]}",
        file=out,
    )
    given = list(range(X.shape[1], X.shape[1] + W.shape[1]))
    # Both terms of the difference need the same kind of critic: "auto" could
    # choose differently for each; concat is ConditionalMIEstimator's default.
    critic = "concat" if args.critic == "auto" else args.critic
    est = ConditionalMIEstimator(
        _estimator(args, critic), given=given, random_state=args.seed
    )
    start = time.perf_counter()
    try:
        est.fit(np.hstack([X, W]), Z)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    lo, hi = est.mi_ci_
    bits = 1.0 / math.log(2.0)
    print(
        f"I(X; Z | W) = {est.mi_:.3f} nats ({est.mi_ * bits:.3f} bits), 95% interval "
        f"[{lo:.3f}, {hi:.3f}] nats = I(Z; X, W) {est.mi_joint_:.3f} - I(Z; W) "
        f"{est.mi_given_:.3f}; bound={args.bound}, "
        f"{time.perf_counter() - start:.1f} s",
        file=out,
    )


def _test(args, out):
    """``sknmi test``: the permutation test of independence."""
    from sknmi import independence_test

    if args.n_permutations < 1:
        raise CommandError("--n-permutations must be at least 1")
    notes = []
    X, Z = load_columns(args.file, args.x, args.z, header=args.header, notes=notes)
    _finite(args, X, Z)
    print(f"{args.file}: {notes[0]}", file=out)
    estimator = _chosen_estimator(args)
    start = time.perf_counter()
    try:
        result = independence_test(
            X,
            Z,
            estimator,
            n_permutations=args.n_permutations,
            test_fraction=args.test_fraction,
            random_state=args.seed,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(
        f"independence test of X ({X.shape[1]} columns) and Z ({Z.shape[1]}), "
        f"{len(X)} rows: {args.estimator} MI = {result.statistic:.4f} nats, "
        f"p-value = {result.pvalue:.4g} ({args.n_permutations} permutations, "
        f"{result.method}; {time.perf_counter() - start:.1f} s)",
        file=out,
    )


def _add_pairwise_parser(sub):
    pairwise = sub.add_parser(
        "pairwise", help="estimate the MI between every pair of columns of a file"
    )
    _add_file_argument(pairwise)
    pairwise.add_argument(
        "--columns",
        default=None,
        help="the columns, as --x of estimate (default: every column)",
    )
    _add_header_options(pairwise)
    _add_estimator_option(pairwise, "of each pair")
    pairwise.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="pairs fitted at once, -1 for every core (default: 1)",
    )
    pairwise.add_argument(
        "--out", default=None, help="write the matrix of estimates to this CSV file"
    )
    pairwise.add_argument(
        "--plot", default=None, help="draw the matrix to this image file (.png, .pdf)"
    )
    _add_training_options(pairwise)


def _pairwise(args, out):
    """``sknmi pairwise``: the MI matrix of the selected columns."""
    from sknmi.pairwise import pairwise_mi

    if args.n_jobs == 0:
        raise CommandError("--n-jobs must not be 0")
    notes = []
    (data,), (names,) = load_groups(
        args.file, {"--columns": args.columns}, header=args.header, notes=notes
    )
    _finite(args, data)
    if len(set(names)) != len(names):
        raise CommandError("--columns: a column is selected twice")
    print(f"{args.file}: {notes[0]}; {data.shape[1]} columns", file=out)
    estimator = _chosen_estimator(args)
    if args.estimator == "neural":
        estimator.set_params(verbose=0)  # one progress bar per pair is noise
    start = time.perf_counter()
    try:
        result = pairwise_mi(
            data, estimator, random_state=args.seed, n_jobs=args.n_jobs
        )
    except ValueError as exc:
        raise CommandError(" ".join(str(exc).split())) from None
    result = dataclasses.replace(result, labels=tuple(names))
    p = len(names)
    print(
        f"{p * (p - 1) // 2} pair{'s' if p > 2 else ''}, {args.estimator} estimator, "
        f"{time.perf_counter() - start:.1f} s; by decreasing MI, in nats:",
        file=out,
    )
    upper = sorted(
        ((a, b) for a in range(p) for b in range(a + 1, p)),
        key=lambda ab: -result.mi[ab],
    )
    zero = result.holds_zero()
    for a, b in upper:
        note = "  (interval holds 0)" if zero[a, b] else ""
        print(
            f"  I({names[a]}; {names[b]}) = {result.mi[a, b]:.3f} "
            f"[{result.ci_low[a, b]:.3f}, {result.ci_high[a, b]:.3f}]{note}",
            file=out,
        )
    if args.out is not None:
        try:
            with open(args.out, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["", *names])
                for name, row in zip(names, result.mi):
                    writer.writerow([name, *(f"{v:.6g}" for v in row)])
        except OSError as exc:
            raise CommandError(f"--out {args.out}: {exc.strerror or exc}") from None
        print(f"wrote {args.out}", file=out)
    if args.plot is not None:
        _plot_matrix(result, args.plot)
        print(f"wrote {args.plot}", file=out)


def _plot_matrix(result, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        from sknmi.plotting import MIMatrixDisplay
    except ImportError:
        raise CommandError(
            "--plot needs matplotlib: pip install 'sknmi[plot]'"
        ) from None
    p = len(result.labels)
    display = MIMatrixDisplay.from_matrix(result)
    display.figure_.set_size_inches(2 + 0.6 * p, 1.5 + 0.5 * p)
    display.figure_.tight_layout()
    try:
        display.figure_.savefig(path)
    except (OSError, ValueError) as exc:
        raise CommandError(f"--plot {path}: {exc}") from None
    finally:
        import matplotlib.pyplot as plt

        plt.close(display.figure_)


def _add_transfer_parser(sub):
    transfer = sub.add_parser(
        "transfer",
        help="transfer entropy between two time series (columns of a file, rows "
        "in time order), in both directions",
    )
    _add_file_argument(transfer, "one row per time step, in order")
    transfer.add_argument(
        "--source", required=True, help="columns of the source series, as for --x"
    )
    transfer.add_argument(
        "--target", required=True, help="columns of the target series, as for --x"
    )
    transfer.add_argument(
        "--lag",
        type=_count(1),
        default=1,
        help="steps from the source's latest value used to the target's present "
        "(default: %(default)s)",
    )
    transfer.add_argument(
        "--history",
        type=_count(1),
        default=1,
        help="past values of the source, and of the target conditioned on "
        "(default: %(default)s)",
    )
    transfer.add_argument(
        "--gap",
        type=_count(0),
        default=None,
        help="steps left out of training on each side of a read block (default: "
        "lag + history - 1 plus the series' correlation length)",
    )
    _add_header_options(transfer)
    _add_training_options(transfer)


def _transfer(args, out):
    """``sknmi transfer``: transfer entropy in both directions."""
    from sknmi.timeseries import _default_gap, transfer_entropy

    notes = []
    source, target = load_columns(
        args.file,
        args.source,
        args.target,
        header=args.header,
        notes=notes,
        flags=("--source", "--target"),
    )
    _finite(args, source, target)
    print(
        f"{args.file}: {notes[0]}; source has {source.shape[1]} columns, target "
        f"has {target.shape[1]}",
        file=out,
    )
    reach = args.lag + args.history - 1
    gap = args.gap
    if gap is None and len(source) > reach:
        gap = _default_gap(reach, len(source) - reach, source, target)
    # Both terms of each difference need the same kind of critic (as for
    # estimate --given); rows in time order: contiguous folds with a gap.
    critic = "concat" if args.critic == "auto" else args.critic
    estimator = _estimator(args, critic).set_params(shuffle=False, gap=gap or 0)
    start = time.perf_counter()
    try:
        result = transfer_entropy(
            source,
            target,
            lag=args.lag,
            history=args.history,
            estimator=estimator,
            random_state=args.seed,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    bits = 1.0 / math.log(2.0)
    print(
        f"transfer entropy, lag {args.lag}, history {args.history}, "
        f"{result.n_rows} rows, gap {gap}; bound={args.bound}, "
        f"{time.perf_counter() - start:.1f} s",
        file=out,
    )
    for i, name in enumerate(result.directions):
        te = result.te[i]
        print(
            f"T({name}) = {te:.4f} nats ({te * bits:.4f} bits), 95% interval "
            f"[{result.ci_low[i]:.4f}, {result.ci_high[i]:.4f}] nats = "
            f"{result.mi_joint[i]:.4f} - {result.mi_given[i]:.4f}",
            file=out,
        )


def main(argv=None, out=None):
    """Run the ``sknmi`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.
    out : file-like, default=None
        Where results go; None is ``sys.stdout``. Training progress (without
        ``--quiet``) is printed to ``sys.stdout``; errors and warnings go to
        ``sys.stderr`` as one line each, ``sknmi: error: ...`` and
        ``sknmi: warning: ...`` (the warnings machinery is restored on return).

    Returns
    -------
    int
        The exit status: 0 on success, 2 for a problem with the arguments or
        the input (a missing or unreadable file, unknown or shared columns,
        non-numeric data, a value out of range), after one error line.

    Examples
    --------
    >>> from sknmi.cli import main
    >>> main(["demo", "--n-samples", "500", "--n-features", "1", "--max-iter", "2",
    ...       "--quiet"])  # doctest: +ELLIPSIS
    Gaussian pair: 500 rows, ...
    0
    """
    out = sys.stdout if out is None else out
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            try:
                args = _build_parser().parse_args(argv)
            except _VersionRequested:
                from sknmi import __version__

                print(f"sknmi {__version__}", file=out)
                return 0
            if args.command == "demo":
                _demo(args, out)
            elif args.command == "test":
                _test(args, out)
            elif args.command == "pairwise":
                _pairwise(args, out)
            elif args.command == "transfer":
                _transfer(args, out)
            else:
                _estimate(args, out)
        except CommandError as exc:
            print(f"sknmi: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
    return 0
