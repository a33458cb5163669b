"""The ``sknmi`` command: ``sknmi demo``, ``sknmi estimate FILE --x C --z C``
(``--given C`` for conditional MI) and ``sknmi test FILE --x C --z C``."""

import argparse
import csv
import math
import os
import sys
import time

import numpy as np

__all__ = ["main"]

_BOUND_CHOICES = ["logratio", "mine", "dv", "nwj", "jsd", "infonce", "smile"]


class CommandError(Exception):
    """A problem with the user's input, reported as one line and exit status 2."""


def _add_training_options(parser):
    parser.add_argument(
        "--bound",
        choices=_BOUND_CHOICES,
        default="logratio",
        help="bound the critic maximises (default: %(default)s)",
    )
    parser.add_argument(
        "--critic",
        choices=["separable", "concat"],
        default="separable",
        help="critic architecture (default: %(default)s)",
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=200,
        help="maximum number of epochs (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random_state of the estimator (default: %(default)s)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="auto, cpu, cuda or cuda:N (default: %(default)s)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="sknmi", description="Neural mutual-information estimation."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="estimate the MI of a Gaussian pair whose MI is known"
    )
    demo.add_argument(
        "--n-samples",
        type=int,
        default=10_000,
        help="rows of the data set (default: %(default)s)",
    )
    demo.add_argument(
        "--n-features",
        type=int,
        default=10,
        help="dimension of X and of Z (default: %(default)s)",
    )
    demo.add_argument(
        "--mi", type=float, default=2.0, help="true MI in nats (default: %(default)s)"
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
    est.add_argument("--z", required=True, help="columns of Z, as for --x")
    est.add_argument(
        "--given",
        default=None,
        help="columns of W, as for --x: estimate the conditional MI I(X; Z | W)",
    )
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
            indices.append(names.index(item))
            continue
        bounds = item.split("-")
        try:
            if len(bounds) == 2 and all(b.strip().isdigit() for b in bounds):
                lo, hi = int(bounds[0]), int(bounds[1])
                if hi < lo:
                    raise CommandError(f"{what}: empty range {item!r}")
                indices.extend(range(lo, hi + 1))
            else:
                indices.append(int(item))
        except ValueError:
            known = f"; columns are {names}" if names else ""
            raise CommandError(f"{what}: unknown column {item!r}{known}") from None
    for i in indices:
        if not 0 <= i < n_columns:
            raise CommandError(
                f"{what}: column index {i} out of range (the data have {n_columns} "
                "columns)"
            )
    return indices


def _read_csv(path):
    with open(path, newline="") as f:
        rows = [row for row in csv.reader(f) if row]
    if not rows:
        raise CommandError(f"{path}: the file is empty")

    def numeric(value):
        try:
            float(value)
            return True
        except ValueError:
            return False

    names = None
    if not all(numeric(v) for v in rows[0]):
        names = [v.strip() for v in rows[0]]
        rows = rows[1:]
    width = len(names) if names else len(rows[0])
    data = np.empty((len(rows), width))
    for r, row in enumerate(rows):
        if len(row) != width:
            raise CommandError(
                f"{path}: row {r + 1} has {len(row)} fields, expected {width}"
            )
        for c, value in enumerate(row):
            try:
                data[r, c] = float(value)
            except ValueError:
                column = names[c] if names else c
                raise CommandError(
                    f"{path}: non-numeric value {value!r} in column {column!r}, "
                    f"data row {r + 1}"
                ) from None
    return data, names


def _as_2d_numeric(array, what):
    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise CommandError(f"{what}: the data are not numeric (dtype {array.dtype})")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise CommandError(f"{what}: expected a 1-D or 2-D array, got {array.ndim}-D")
    return array.astype(np.float64)


def load_columns(path, x_spec, z_spec):
    """Read X and Z from a .csv, .npy or .npz file as float arrays."""
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:

            def pick(spec, what):
                key, _, cols = spec.partition(":")
                if key not in archive.files:
                    raise CommandError(
                        f"{what}: no array {key!r} in {path} (it has {archive.files})"
                    )
                data = _as_2d_numeric(archive[key], f"{path}[{key}]")
                if cols:
                    data = data[:, _parse_columns(cols, None, data.shape[1], what)]
                return data

            X, Z = pick(x_spec, "--x"), pick(z_spec, "--z")
        if len(X) != len(Z):
            raise CommandError(f"--x has {len(X)} rows but --z has {len(Z)}")
        return X, Z
    if suffix == ".npy":
        try:
            data = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise CommandError(f"{path}: cannot read: {exc}") from None
        data, names = _as_2d_numeric(data, path), None
    elif suffix in (".csv", ".txt"):
        data, names = _read_csv(path)
    else:
        raise CommandError(
            f"{path}: unsupported file type {suffix!r} (use .csv, .npy or .npz)"
        )
    x_cols = _parse_columns(x_spec, names, data.shape[1], "--x")
    z_cols = _parse_columns(z_spec, names, data.shape[1], "--z")
    return data[:, x_cols], data[:, z_cols]


def _estimator(args):
    from sknmi import NeuralMIEstimator

    return NeuralMIEstimator(
        bound=args.bound,
        critic=args.critic,
        max_iter=args.max_iter,
        random_state=args.seed,
        device=args.device,
        verbose=0 if args.quiet else 1,
    )


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

    X, Z, truth = make_gaussian(
        n_samples=args.n_samples,
        n_features=args.n_features,
        mi=args.mi,
        random_state=args.seed,
    )
    print(
        f"Gaussian pair: {args.n_samples} rows, X and Z {args.n_features}-dimensional, "
        f"true I(X; Z) = {truth:.3f} nats",
        file=out,
    )
    start = time.perf_counter()
    est = _estimator(args).fit(X, Z)
    _report(est, time.perf_counter() - start, out)
    lo, hi = est.mi_ci_
    print(
        f"truth {truth:.3f} nats; error {est.mi_ - truth:+.3f} nats "
        f"({'inside' if lo <= truth <= hi else 'outside'} the interval)",
        file=out,
    )
    print(
        "The interval is the held-out sampling error of this fit; training noise "
        "(another seed, other rows) moves the estimate by about as much again.",
        file=out,
    )


def _estimate(args, out):
    if args.given is not None:
        return _estimate_given(args, out)
    X, Z = load_columns(args.file, args.x, args.z)
    if not (np.isfinite(X).all() and np.isfinite(Z).all()):
        raise CommandError(f"{args.file}: the selected columns contain NaN or inf")
    print(
        f"{args.file}: {len(X)} rows, X has {X.shape[1]} columns, Z has {Z.shape[1]}",
        file=out,
    )
    start = time.perf_counter()
    try:
        est = _estimator(args).fit(X, Z)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    _report(est, time.perf_counter() - start, out)


def _add_test_parser(sub):
    test = sub.add_parser(
        "test", help="test whether two groups of columns of a file are independent"
    )
    test.add_argument("file", help="a .csv, .npy or .npz file")
    test.add_argument("--x", required=True, help="columns of X, as for estimate")
    test.add_argument("--z", required=True, help="columns of Z, as for --x")
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

    X, Z = load_columns(args.file, args.x, args.z)
    W = load_columns(args.file, args.x, args.given)[1]
    _finite(args, X, Z, W)
    print(
        f"{args.file}: {len(X)} rows, X has {X.shape[1]} columns, Z has "
        f"{Z.shape[1]}, W has {W.shape[1]}",
        file=out,
    )
    given = list(range(X.shape[1], X.shape[1] + W.shape[1]))
    est = ConditionalMIEstimator(_estimator(args), given=given, random_state=args.seed)
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
    X, Z = load_columns(args.file, args.x, args.z)
    _finite(args, X, Z)
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
        ``--quiet``) is printed to ``sys.stdout``, errors to ``sys.stderr``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 for a problem with the input (a
        missing file, unknown columns, non-numeric data).

    Examples
    --------
    >>> from sknmi.cli import main
    >>> main(["demo", "--n-samples", "500", "--n-features", "1", "--max-iter", "2",
    ...       "--quiet"])  # doctest: +ELLIPSIS
    Gaussian pair: 500 rows, ...
    0
    """
    out = sys.stdout if out is None else out
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            _demo(args, out)
        elif args.command == "test":
            _test(args, out)
        else:
            _estimate(args, out)
    except CommandError as exc:
        print(f"sknmi: error: {exc}", file=sys.stderr)
        return 2
    return 0
