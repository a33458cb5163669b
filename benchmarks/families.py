"""Estimates against known MI on the benchmark families of issue 12.

Each family is a data generator of :mod:`sknmi.datasets` whose true MI is
known, at a few levels:

- ``staircase``: 20-d componentwise Gaussians at 2, 4, 6, 8, 10 nats, 50,000
  rows (the data of ``benchmarks/gaussian.py``);
- ``student_t``: multivariate t with identity dispersion (uncorrelated, dependent
  through the shared scale), dof 1 in 2 + 2 dims and dof 2 in 5 + 5, 10,000 rows;
- ``sparse``: 3 + 3 dims, two correlated pairs sharing 5 nats, 10,000 rows;
- ``gaussian``: the MI spread over every column, as correlated measurements
  have it: 5 + 5 dims at 2 nats and 8 + 8 at 3 nats, 10,000 rows;
- ``cubic``, ``half_cube``, ``asinh``, ``normal_cdf``, ``spiral``: a 1-nat
  Gaussian pair (5 + 5 dims; ``--dims 5 25`` adds 25 + 25) seen through an
  invertible map of X and of Z, 10,000 rows.

The families kept aside for checking (``benchmarks/new_families.py``:
``mixture``, ``periodic``, ``ring``, ``high_mi``, ``heavy_t``, ``wide``,
``classes``, 10,000 rows) come with ``--families new``: nothing was tuned on
them. ``--families`` also takes ``transforms`` (the five maps) and ``all``
(the families above, without the new ones). Every
configuration is fitted on the same data sets (seeds 0, 1, ...); the estimator
seed is the data seed. Per family, level and configuration the table gives the
mean estimate, its signed error (nats and % of the truth), the sd over seeds,
how many 95% intervals ``mi_ci_`` contain the truth, the half-width over the
root-mean-square error (about 2 for a calibrated interval whose spread is
known; more when it is read from a few folds), how many fits lie entirely
above the truth (the interval's lower end above it: a lower bound that
over-shoots), how many fits warned, and the seconds per fit. A second table
gives each warning's false alarms (fires on fits within 5% of the truth) and
hits (fires on fits off by more than 10%). Writes a CSV (row per fit, appended
as fits finish, with its warnings, ``calibration_slope_`` and ``mi_train_``),
its sidecar (command, versions, date) and the markdown tables.

    python benchmarks/families.py --quick                       # a few minutes
    python benchmarks/families.py --families student_t,sparse,transforms
    python benchmarks/families.py --configs defaults ksg gaussian --jobs 2
    python benchmarks/families.py --configs "wide:hidden_layer_sizes=(512,512)"

A configuration is a name below or ``NAME:param=value,param=value`` with
``NeuralMIEstimator`` parameters (values read as Python literals).
"""

import argparse
import ast
import csv
import os
import sys
import time
import warnings
from pathlib import Path

import torch
from joblib import Parallel, delayed

from sknmi import GaussianMIEstimator, KSGEstimator, NeuralMIEstimator
from sknmi.datasets import (
    make_gaussian,
    make_sparse_gaussian,
    make_student_t,
    make_transformed_gaussian,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import new_families  # noqa: E402

# The tables are the report's, so that the page and this script agree.
from report import (  # noqa: E402
    FAMILY_COLUMNS,
    families_summary,
    markdown_table,
    warning_summary,
    write_sidecar,
)

TRANSFORMS = ["cubic", "half_cube", "asinh", "normal_cdf", "spiral"]
FAMILIES = ["staircase", "student_t", "sparse", "gaussian", *TRANSFORMS]
NEW_FAMILIES = list(new_families.GENERATORS)
BOUNDS = ["logratio", "mine", "dv", "nwj", "jsd", "infonce", "smile"]
NAMED = {
    "defaults": ("neural", {}),
    "quantile": ("neural", {"preprocessing": "quantile"}),
    "concat": ("neural", {"critic": "concat"}),
    **{b: ("neural", {"bound": b}) for b in BOUNDS},
    "ksg": ("ksg", {}),
    "gaussian": ("gaussian", {}),
}


def configs(names):
    """``{name: (kind, params)}`` from names or ``NAME:param=value,...``."""
    if names == ["all"]:
        names = list(NAMED)
    table = {}
    for name in names:
        if ":" in name:
            label, _, spec = name.partition(":")
            params = {}
            for item in _split_top_level(spec):
                key, sep, value = item.partition("=")
                if not sep:
                    raise SystemExit(f"configuration {name!r}: {item!r} is not k=v")
                try:
                    params[key.strip()] = ast.literal_eval(value.strip())
                except (ValueError, SyntaxError):
                    params[key.strip()] = value.strip()
            table[label] = ("neural", params)
        elif name in NAMED:
            table[name] = NAMED[name]
        else:
            raise SystemExit(
                f"unknown configuration {name!r}; choose from {list(NAMED)}, "
                "'all' or NAME:param=value,..."
            )
    return table


def _split_top_level(spec):
    """Split on commas outside brackets: ``a=(1,2),b=3`` -> two items."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(spec):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            items.append(spec[start:i])
            start = i + 1
    items.append(spec[start:])
    return [item for item in items if item.strip()]


def tasks(families, dims=(5,), staircase_levels=(2, 4, 6, 8, 10)):
    """``(family, level label, generator name, kwargs, default rows)`` per level."""
    out = []
    for family in families:
        if family == "staircase":
            for mi in staircase_levels:
                kw = dict(n_features=20, mi=float(mi))
                out.append((family, f"{mi:g} nats 20-d", "gaussian", kw, 50_000))
        elif family == "student_t":
            for dof, d in ((1, 2), (2, 5)):
                kw = dict(n_x_features=d, n_z_features=d, dof=dof)
                out.append((family, f"dof {dof} {d}+{d}", "student_t", kw, 10_000))
        elif family == "sparse":
            kw = dict(n_features=3, n_informative=2, mi=5.0)
            out.append((family, "5 nats 3+3", "sparse", kw, 10_000))
        elif family == "gaussian":
            for d, mi in ((5, 2.0), (8, 3.0)):
                kw = dict(n_features=d, mi=mi)
                out.append((family, f"{mi:g} nats {d}+{d}", "gaussian", kw, 10_000))
        elif family in TRANSFORMS:
            for d in dims:
                kw = dict(n_features=d, mi=1.0, transform=family)
                out.append((family, f"1 nat {d}+{d}", "transformed", kw, 10_000))
        elif family in NEW_FAMILIES:
            out.append((family, new_families.LEVELS[family], family, {}, 10_000))
        else:
            raise SystemExit(
                f"unknown family {family!r}; choose from {FAMILIES + NEW_FAMILIES}"
            )
    return out


GENERATORS = {
    "gaussian": make_gaussian,
    "student_t": make_student_t,
    "sparse": make_sparse_gaussian,
    "transformed": make_transformed_gaussian,
    **new_families.GENERATORS,
}


def build(kind, params, seed):
    if kind == "ksg":
        return KSGEstimator(random_state=seed, **params)
    if kind == "gaussian":
        return GaussianMIEstimator(**params)
    return NeuralMIEstimator(random_state=seed, **params)


def fit_one(task, config, seed, n_samples, max_iter, threads):
    """Make the data set and fit one configuration on it (runs in a worker)."""
    family, level, generator, kwargs, rows = task
    name, (kind, params) = config
    if max_iter is not None and kind == "neural":
        params = {**params, "max_iter": max_iter}
    X, Z, truth = GENERATORS[generator](
        n_samples=n_samples or rows, random_state=seed, **kwargs
    )
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if kind == "neural":
                # A fresh worker's first fit pays torch's one-off start-up
                # (seconds): pay it on a tiny fit outside the timing.
                tiny = {**params, "max_iter": 1, "early_stopping": False}
                try:
                    build(kind, tiny, seed).fit(X[:256], Z[:256])
                except Exception:  # a configuration unfit for 256 rows
                    pass
            est = build(kind, params, seed)
            caught.clear()  # the warm-up fit's warnings are not this fit's
            start = time.perf_counter()
            est.fit(X, Z)
            seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(before)
    lo, hi = (float(v) for v in est.mi_ci_)
    return dict(
        family=family,
        level=level,
        config=name,
        seed=seed,
        n_samples=len(X),
        true_mi=truth,
        estimate=float(est.mi_),
        ci_low=lo,
        ci_high=hi,
        epochs=getattr(est, "n_iter_", ""),
        rate=getattr(est, "learning_rate_init_", ""),
        slope=getattr(est, "calibration_slope_", ""),
        train=getattr(est, "mi_train_", ""),
        seconds=seconds,
        warnings=";".join(sorted({_warning_kind(str(w.message)) for w in caught})),
    )


#: The warnings a fit can raise, by a phrase of their message.
WARNINGS = {
    "overfit": "rows they never saw",
    "timid": "too timid",
    "too sure": "too sure",
    "below a bound": "lower bound of the",
    "folds disagree": "folds disagree",
    "extreme scores": "extreme scores",
    "log n ceiling": "the most that the held-out rows can show",
    "dependence": "linearly",
}


def _warning_kind(message):
    for kind, phrase in WARNINGS.items():
        if phrase in message:
            return kind
    return "convergence" if "max_iter" in message else "other"


def run(
    task_list, config_table, seeds, n_samples, max_iter, csv_path, jobs=1, threads=1
):
    jobs_list = [
        (task, config, seed)
        for task in task_list
        for config in config_table.items()
        for seed in range(seeds)
    ]
    results = Parallel(n_jobs=jobs, backend="loky", return_as="generator")(
        delayed(fit_one)(task, config, seed, n_samples, max_iter, threads)
        for task, config, seed in jobs_list
    )
    rows, writer, f = [], None, None
    try:
        for r in results:
            rows.append(r)
            print(
                f"  {r['family']:10s} {r['level']:14s} {r['config']:9s} "
                f"seed {r['seed']}: {r['estimate']:7.3f} "
                f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] truth {r['true_mi']:.3f} "
                f"{r['seconds']:6.1f} s",
                flush=True,
            )
            if csv_path:
                if writer is None:
                    os.makedirs(os.path.dirname(csv_path) or ".", exist_ok=True)
                    f = open(csv_path, "w", newline="")
                    writer = csv.DictWriter(f, fieldnames=list(r))
                    writer.writeheader()
                writer.writerow(r)
                f.flush()
    finally:
        if f is not None:
            f.close()
    return rows


def warning_rates(rows):
    """Each warning's false alarms and hits, as a markdown table (see
    :func:`report.warning_summary`)."""
    return markdown_table(*warning_summary(rows))


def summarise(rows):
    """The markdown table, one line per family, level and configuration (see
    :func:`report.families_summary`)."""
    return markdown_table(FAMILY_COLUMNS, families_summary(rows))


def read_csv(path):
    """Rows of a CSV written by :func:`run`, numbers as numbers."""
    numeric = {"true_mi", "estimate", "ci_low", "ci_high", "seconds"}
    with open(path, newline="") as f:
        return [
            {k: float(v) if k in numeric else v for k, v in r.items()}
            for r in csv.DictReader(f)
        ]


def parse_families(spec):
    names = []
    for name in spec.split(","):
        name = name.strip()
        if name == "all":
            names += FAMILIES
        elif name == "transforms":
            names += TRANSFORMS
        elif name == "new":
            names += NEW_FAMILIES
        elif name:
            names.append(name)
    return list(dict.fromkeys(names))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one seed, 5,000 rows, staircase at 2, 6 and 10 nats only",
    )
    parser.add_argument(
        "--families",
        default="all",
        help=f"comma-separated: {', '.join(FAMILIES)}, 'transforms' or 'all'",
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["defaults", "ksg", "gaussian"],
        help=f"{', '.join(NAMED)}, 'all', or NAME:param=value,...",
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--n-samples", type=int, default=None, help="rows for every family"
    )
    parser.add_argument(
        "--dims",
        nargs="+",
        type=int,
        default=[5],
        help="widths of X and Z for the transforms (e.g. 5 25)",
    )
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=1, help="parallel fits (loky)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads a fit")
    parser.add_argument("--csv", default="benchmarks/results/families.csv")
    parser.add_argument("--markdown", default="benchmarks/results/families.md")
    parser.add_argument(
        "--from-csv", default=None, help="only print the table of an earlier CSV"
    )
    args = parser.parse_args(argv)
    if args.from_csv:
        rows = read_csv(args.from_csv)
        print(summarise(rows) + "\n\n" + warning_rates(rows))
        return
    levels = (2, 4, 6, 8, 10)
    if args.quick:
        args.seeds, levels = 1, (2, 6, 10)
        args.n_samples = args.n_samples or 5_000
    task_list = tasks(parse_families(args.families), args.dims, levels)
    rows = run(
        task_list,
        configs(args.configs),
        args.seeds,
        args.n_samples,
        args.max_iter,
        args.csv,
        args.jobs,
        args.threads,
    )
    if args.csv:
        write_sidecar(args.csv)
    table = summarise(rows) + "\n\n" + warning_rates(rows)
    print("\n" + table)
    if args.markdown:
        os.makedirs(os.path.dirname(args.markdown) or ".", exist_ok=True)
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    print(
        f"\n{args.jobs} job(s), {args.threads} torch thread(s) each; "
        f"CSV: {args.csv}; table: {args.markdown}"
    )


if __name__ == "__main__":
    main()
