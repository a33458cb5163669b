"""The ``sknmi`` command: ``sknmi demo``, ``sknmi estimate FILE --x C --z C``
(``--given C`` for conditional MI), ``sknmi test FILE --x C --z C``,
``sknmi pairwise FILE`` (the MI of every pair of columns) and
``sknmi transfer FILE --source C --target C`` (transfer entropy).

Argument parsing and the commands only: files are read by :mod:`sknmi.io`."""

import argparse
import csv
import dataclasses
import math
import sys
import time
import warnings

import numpy as np

from sknmi.io import DataFileError, load_columns, load_groups

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
        "--method",
        choices=["auto", "split", "permutation"],
        default="auto",
        help="split: one fit, the statistic read on held-out rows (the neural "
        "default); permutation: the estimate refitted on every permutation "
        "(default: %(default)s)",
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
            method=args.method,
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
        except (CommandError, DataFileError) as exc:
            print(f"sknmi: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
    return 0
