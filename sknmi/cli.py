"""The ``sknmi`` command: ``sknmi demo``, ``sknmi estimate FILE --x C --z C``
(``--given C`` for conditional MI) and ``sknmi test FILE --x C --z C``."""

import argparse
import csv
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
        default=200,
        help="maximum number of epochs (default: %(default)s)",
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
    est.add_argument("file", help="a .csv, .npy or .npz file")
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


def _read_csv(path, header=None):
    """Data, column names (or None) and a note saying how the header was read.

    UTF-8 (a byte-order mark is skipped), comma-separated, parsed by
    the csv module; blank lines and lines starting with ``#`` are skipped, except
    that a first line ``# a,b,c`` (as :func:`numpy.savetxt` writes a header)
    holds the names ``a,b,c``.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            lines = [
                (reader.line_num, row)
                for row in reader
                if row and any(v.strip() for v in row)
            ]
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    except csv.Error as exc:
        raise CommandError(f"{path}: not a readable CSV file: {exc}") from None
    if not lines:
        raise CommandError(f"{path}: the file is empty")
    head = []
    first_number, first = lines[0]
    if first[0].lstrip().startswith("#") and header is not False:
        # np.savetxt's "# a,b,c": names behind a comment sign
        head = [(first_number, [first[0].lstrip()[1:], *first[1:]])]
    comment = [row[0].lstrip().startswith("#") for _, row in lines]
    lines = head + [
        line for line, skip in zip(lines[len(head) :], comment[len(head) :]) if not skip
    ]
    if not lines:
        raise CommandError(f"{path}: no data, only comments")

    has_names, note = _header_rule(lines[0][1], header)
    names = None
    if has_names:
        names = [v.strip() for v in lines[0][1]]
        lines = lines[1:]
        if not lines:
            raise CommandError(f"{path}: a header but no data rows")
    width = len(names) if names else len(lines[0][1])
    try:  # the fast path; the loop below says where the data are wrong
        data = np.array([row for _, row in lines], dtype=np.float64)
        if data.shape == (len(lines), width):
            return data, names, f"{note}, {data.shape[0]} rows, {width} columns"
    except ValueError:
        pass
    data = np.empty((len(lines), width))
    for r, (number, row) in enumerate(lines):
        if len(row) != width:
            raise CommandError(
                f"{path}: line {number} has {len(row)} fields, expected {width}"
            )
        for c, value in enumerate(row):
            try:
                data[r, c] = float(value)
            except ValueError:
                column = names[c] if names else c
                hint = next(
                    (
                        f" (the file seems to be separated by {sep!r}; sknmi reads "
                        "comma-separated values)"
                        for sep in (";", "\t", "|")
                        if sep in value
                    ),
                    "",
                )
                raise CommandError(
                    f"{path}: non-numeric value {value!r} in column {column!r}, "
                    f"line {number}{hint}"
                ) from None
    return data, names, f"{note}, {data.shape[0]} rows, {width} columns"


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


def _load_npz(path, x_spec, z_spec):
    _magic(path, b"PK", ".npz")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CommandError(f"{path}: not a readable .npz file: {exc}") from None
    with archive:
        if not archive.files:
            raise CommandError(f"{path}: the archive holds no arrays")

        def pick(spec, what):
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

        (X, x_cols), (Z, z_cols) = pick(x_spec, "--x"), pick(z_spec, "--z")
    if len(X) != len(Z):
        raise CommandError(f"--x has {len(X)} rows but --z has {len(Z)}")
    _check_disjoint(x_cols, z_cols)
    return X, Z, f"arrays of {len(X)} rows"


def _check_disjoint(x_cols, z_cols, names=None):
    shared = [c for c in dict.fromkeys(x_cols) if c in set(z_cols)]
    if shared:
        shown = ", ".join(repr(names[c]) if names else str(c) for c in shared)
        raise CommandError(
            f"--x and --z share the column(s) {shown}: the MI of a variable with "
            "itself is infinite; select disjoint columns"
        )


def load_columns(path, x_spec, z_spec, header=None, notes=None):
    """Read X and Z from a .csv, .npy or .npz file as float arrays.

    ``header`` (True, False or None for the rule in ``sknmi estimate --help``)
    applies to CSV files. When ``notes`` is a list, a line saying how the file
    was read (the header decision, rows and columns) is appended to it.
    """
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CommandError(f"{path}: a directory, not a file")
    suffix = os.path.splitext(path)[1].lower()
    try:
        if suffix == ".npz":
            X, Z, note = _load_npz(path, x_spec, z_spec)
            if notes is not None:
                notes.append(note)
            return X, Z
        if suffix == ".npy":
            data, names = _load_npy(path), None
            note = f"an array of {data.shape[0]} rows, {data.shape[1]} columns"
        elif suffix in (".csv", ".txt"):
            data, names, note = _read_csv(path, header)
        else:
            raise CommandError(
                f"{path}: unsupported file type {suffix!r} (use .csv, .npy or .npz)"
            )
    except PermissionError:
        raise CommandError(f"{path}: permission denied") from None
    x_cols = _parse_columns(x_spec, names, data.shape[1], "--x")
    z_cols = _parse_columns(z_spec, names, data.shape[1], "--z")
    _check_disjoint(x_cols, z_cols, names)
    if notes is not None:
        notes.append(note)
    return data[:, x_cols], data[:, z_cols]


def _estimator(args, critic=None):
    from sknmi import NeuralMIEstimator

    return NeuralMIEstimator(
        bound=args.bound,
        critic=args.critic if critic is None else critic,
        n_folds=args.n_folds,
        max_iter=args.max_iter,
        random_state=args.seed,
        device=args.device,
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
    from sknmi.bounds import BOUNDS
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
    if BOUNDS[est.bound].companion is not None:
        held += " (with the constant read as trained and as refitted)"
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


def _add_test_parser(sub):
    test = sub.add_parser(
        "test", help="test whether two groups of columns of a file are independent"
    )
    test.add_argument("file", help="a .csv, .npy or .npz file")
    test.add_argument("--x", required=True, help="columns of X, as for estimate")
    test.add_argument("--z", required=True, help="columns of Z, as for --x")
    _add_header_options(test)
    test.add_argument(
        "--estimator",
        choices=["neural", "ksg", "gaussian"],
        default="neural",
        help="MI estimator of the statistic (default: %(default)s)",
    )
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
    X, Z = load_columns(args.file, args.x, args.z, header=args.header, notes=notes)
    W = load_columns(args.file, args.x, args.given, header=args.header)[1]
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
    from sknmi import GaussianMIEstimator, KSGEstimator, independence_test

    if args.n_permutations < 1:
        raise CommandError("--n-permutations must be at least 1")
    notes = []
    X, Z = load_columns(args.file, args.x, args.z, header=args.header, notes=notes)
    _finite(args, X, Z)
    print(f"{args.file}: {notes[0]}", file=out)
    estimator = {
        "neural": lambda: _estimator(args),
        "ksg": lambda: KSGEstimator(random_state=args.seed),
        "gaussian": GaussianMIEstimator,
    }[args.estimator]()
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
            args = _build_parser().parse_args(argv)
            if args.command == "demo":
                _demo(args, out)
            elif args.command == "test":
                _test(args, out)
            else:
                _estimate(args, out)
        except CommandError as exc:
            print(f"sknmi: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
    return 0
