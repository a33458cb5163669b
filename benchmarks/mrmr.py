"""mRMR against univariate MI ranking: a downstream model's cross-validated accuracy.

For each data set that ships with scikit-learn and each number of features
``k``, three selectors run inside a pipeline ``selector -> StandardScaler ->
LogisticRegression``, so the selection is refitted on the training part of
every fold:

- ``kbest``: ``SelectKBest(mutual_info_classif, k)`` (scikit-learn's KSG
  relevance ranking, ``random_state=0``);
- ``mrmr``: ``MRMRSelector(n_features_to_select=k)`` (relevance minus mean
  redundancy, KSG estimates);
- ``mrmr-cond``: ``MRMRSelector(n_features_to_select=k, conditional=True)``
  (the conditional MI given the features already chosen; not on digits,
  where it is too slow).

The accuracy is the mean over stratified 5-fold CV repeated ``--repeats``
times (the same splits for every selector), with its standard deviation over
the folds; ``fit s`` is the time of one selector fit on all rows. The table is
printed as Markdown and written, with the per-fold scores, to
``benchmarks/results/mrmr.csv`` (and ``.md``).

    python benchmarks/mrmr.py --quick     # breast cancer and wine, 1 repeat
    python benchmarks/mrmr.py             # + digits, 3 repeats
"""

import argparse
import pathlib
import time
import warnings
from functools import partial

import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.feature_selection import SelectKBest, mutual_info_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknmi.feature_selection import MRMRSelector

RESULTS = pathlib.Path(__file__).parent / "results"

ALL = ("kbest", "mrmr", "mrmr-cond")
# (loader, values of k, selectors). On digits the conditional KSG estimates,
# conditioned on up to k - 1 of 64 tied pixel columns over 1,797 rows, take
# about a minute per selector fit at k=10 (against 4 s for mrmr): left out.
DATASETS = {
    "breast_cancer": (load_breast_cancer, (2, 3, 5, 10, 15), ALL),
    "wine": (load_wine, (2, 3, 5, 8), ALL),
    "digits": (load_digits, (5, 10, 20), ("kbest", "mrmr")),
}


def selectors(k):
    """The selectors compared, by name, choosing ``k`` features."""
    return {
        "kbest": SelectKBest(partial(mutual_info_classif, random_state=0), k=k),
        "mrmr": MRMRSelector(n_features_to_select=k, random_state=0),
        "mrmr-cond": MRMRSelector(
            n_features_to_select=k, conditional=True, random_state=0
        ),
    }


def run(names, repeats, n_jobs=None, verbose=True, datasets=None):
    """One row per (data set, k, selector); ``datasets`` defaults to DATASETS."""
    datasets = DATASETS if datasets is None else datasets
    rows = []
    for name in names:
        load, ks, methods = datasets[name]
        X, y = load(return_X_y=True)
        cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=0)
        for k in ks:
            for method in methods:
                selector = selectors(k)[method]
                start = time.perf_counter()
                selector.fit(X, y)
                fit_seconds = time.perf_counter() - start
                model = make_pipeline(
                    selector, StandardScaler(), LogisticRegression(max_iter=2000)
                )
                scores = cross_val_score(model, X, y, cv=cv, n_jobs=n_jobs)
                rows.append(
                    dict(
                        dataset=name,
                        n_samples=X.shape[0],
                        n_features=X.shape[1],
                        k=k,
                        method=method,
                        accuracy=float(scores.mean()),
                        sd=float(scores.std()),
                        fit_seconds=fit_seconds,
                        folds=" ".join(f"{s:.4f}" for s in scores),
                    )
                )
                if verbose:
                    print(
                        f"  {name:13s} k={k:2d} {method:9s} "
                        f"{scores.mean():.3f} +- {scores.std():.3f} "
                        f"(fit {fit_seconds:.2f} s)",
                        flush=True,
                    )
    return rows


def summarise(rows):
    """The Markdown table: one line per (data set, k), the selectors side by side."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    lines = [
        "| data (rows x features) | k | "
        + " | ".join(f"{m} accuracy" for m in methods)
        + " | "
        + " | ".join(f"{m} fit s" for m in methods)
        + " |",
        "|---|---|" + "---|" * (2 * len(methods)),
    ]
    table = {}
    for r in rows:
        table.setdefault((r["dataset"], r["n_samples"], r["n_features"], r["k"]), {})[
            r["method"]
        ] = r
    for (name, n, p, k), by in table.items():
        acc = " | ".join(
            f"{by[m]['accuracy']:.3f} ± {by[m]['sd']:.3f}" if m in by else "-"
            for m in methods
        )
        secs = " | ".join(
            f"{by[m]['fit_seconds']:.2f}" if m in by else "-" for m in methods
        )
        lines.append(f"| {name} ({n} x {p}) | {k} | {acc} | {secs} |")
    return "\n".join(lines)


def write(rows, table, stem="mrmr"):
    from report import write_results  # benchmarks/, beside this script

    write_results(rows, RESULTS / f"{stem}.csv", table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 data sets, 1 repeat")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=None, help="CV folds at once")
    parser.add_argument("--out", default="mrmr", help="stem of the result files")
    args = parser.parse_args()
    if args.quick:
        args.datasets, args.repeats = ["breast_cancer", "wine"], 1
    unknown = set(args.datasets) - set(DATASETS)
    if unknown:
        raise SystemExit(
            f"unknown data sets {sorted(unknown)}; choose from {list(DATASETS)}"
        )
    warnings.simplefilter("ignore")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = run(args.datasets, args.repeats, n_jobs=args.n_jobs)
    finally:
        torch.set_num_threads(before)
    table = summarise(rows)
    print("\n" + table)
    write(rows, table, args.out)


if __name__ == "__main__":
    main()
