"""Many estimates in one fit: the analyses with the neural estimator's fits
batched (the members of one stacked module) against one fit after another,
and KSG, side by side in one process on one torch thread.

    python benchmarks/batched.py --csv benchmarks/results/batched.csv
    python benchmarks/batched.py --rows 4000 --cases pairwise,mi_scores,lagged_mi \
        --csv benchmarks/results/batched.csv

The rows are appended to the CSV. Cases (seconds; error against the
closed-form truth where there is one):

- ``pairwise``: the MI matrix of 10 Gaussian variables, ``--rows`` rows;
- ``mi_scores``: 50 features against one target;
- ``lagged_mi``: 20 lags of a Gaussian AR(1) series;
- ``null``: the estimate and 99 refits on permuted Z, 2,000 rows (what a
  full-data permutation test fits);
- ``independence_test``: :func:`~sknmi.independence_test` itself with
  ``method="permutation"`` and 99 permutations, 2,000 rows;
- ``transfer_entropy``: both directions of a VAR(1) pair, ``--rows`` steps
  (four fits: a joint and a given term per direction).
"""

import argparse
import csv
import os
import time
import warnings
from functools import partial
from unittest import mock

import numpy as np
import torch

from sknmi import KSGEstimator, NeuralMIEstimator, _parallel, independence_test
from sknmi.datasets import make_var1
from sknmi.feature_selection import mi_scores
from sknmi.pairwise import pairwise_mi
from sknmi.timeseries import lagged_mi, transfer_entropy


def _pairwise(estimator, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((10, 10))
    C = A @ A.T / 10 + np.eye(10)
    W = rng.multivariate_normal(np.zeros(10), C, size=ROWS[0])
    s = np.sqrt(np.diag(C))
    R = C / np.outer(s, s)
    iu = np.triu_indices(10, 1)
    truth = -0.5 * np.log(1 - R[iu] ** 2)
    result = pairwise_mi(W, estimator, random_state=seed)
    cover = (result.ci_low[iu] <= truth) & (truth <= result.ci_high[iu])
    return result.mi[iu], truth, float(cover.mean())


def _scores(estimator, seed):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(ROWS[0])
    rho = np.linspace(0.0, 0.9, 50)
    X = rho * y[:, None] + np.sqrt(1 - rho**2) * rng.standard_normal((ROWS[0], 50))
    truth = -0.5 * np.log(1 - rho**2)
    return mi_scores(X, y, estimator=estimator, random_state=seed), truth, None


def _lags(estimator, seed):
    rng = np.random.default_rng(seed)
    phi, n = 0.9, ROWS[0]
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    lags = np.arange(1, 21)
    truth = -0.5 * np.log(1 - phi ** (2 * lags))
    # The neural default of lagged_mi: ordered folds with a gap.
    if isinstance(estimator, NeuralMIEstimator):
        estimator = None
    result = lagged_mi(x, x, lags=lags, estimator=estimator, random_state=seed)
    cover = (result.ci_low <= truth) & (truth <= result.ci_high)
    return result.mi, truth, float(cover.mean())


def _null(estimator, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(2000)
    z = 0.5 * x + rng.standard_normal(2000)
    clones = _parallel.seeded_clones(estimator, 100, seed)
    tasks = [
        (est, x[:, None], z if b == 0 else z[rng.permutation(2000)])
        for b, est in enumerate(clones)
    ]
    values = np.array(_parallel.fit_many(tasks, read=_parallel.read_point))
    truth = np.r_[-0.5 * np.log(1 - 0.2), np.zeros(99)]
    return values, truth, None


def _test(estimator, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(2000)
    z = 0.5 * x + rng.standard_normal(2000)
    result = independence_test(
        x[:, None],
        z,
        estimator,
        n_permutations=99,
        method="permutation",
        random_state=seed,
    )
    values = np.r_[result.statistic, result.null_distribution]
    truth = np.r_[-0.5 * np.log(1 - 0.2), np.zeros(99)]
    return values, truth, None


def _te(estimator, seed):
    x, y, truth = make_var1(ROWS[0], random_state=seed)
    # The neural default of transfer_entropy: ordered folds with a gap.
    if isinstance(estimator, NeuralMIEstimator):
        estimator = None
    result = transfer_entropy(x, y, estimator=estimator, random_state=seed)
    exact = np.array([truth.transfer_entropy, 0.0])
    cover = (result.ci_low <= exact) & (exact <= result.ci_high)
    return result.te, exact, float(cover.mean())


# Rows of the pairwise, feature and lag cases (--rows).
ROWS = [10_000]
# The entry point itself, kept before any patch.
FIT_MANY = _parallel.fit_many
CASES = {
    "pairwise": _pairwise,
    "mi_scores": _scores,
    "lagged_mi": _lags,
    "null": _null,
    "independence_test": _test,
    "transfer_entropy": _te,
}
MODULES = (
    "sknmi.pairwise",
    "sknmi.feature_selection",
    "sknmi.timeseries",
    "sknmi.independence",
    "sknmi.conditional",
)
TWO_THOUSAND = ("null", "independence_test")


def _run(case, how, seed):
    if how == "ksg":
        estimator, batch = KSGEstimator(random_state=seed), True
    else:
        estimator, batch = NeuralMIEstimator(), how != "separate"
    fit_many = partial(FIT_MANY, batch=batch)
    patches = [mock.patch(f"{m}.fit_many", fit_many) for m in MODULES]
    patches.append(mock.patch("sknmi._parallel.fit_many", fit_many))
    for p in patches:
        p.start()
    try:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values, truth, cover = CASES[case](estimator, seed)
        seconds = time.perf_counter() - start
    finally:
        for p in patches:
            p.stop()
    err = np.asarray(values, float) - truth
    return {
        "case": case,
        "rows": 2000 if case in TWO_THOUSAND else ROWS[0],
        "how": how,
        "seed": seed,
        "seconds": round(seconds, 2),
        "rms_error": round(float(np.sqrt(np.mean(err**2))), 4),
        "coverage": "" if cover is None else round(cover, 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--hows",
        default="ksg,batched,separate",
        help="ksg, batched (where the estimator batches), separate",
    )
    parser.add_argument("--csv")
    args = parser.parse_args()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    ROWS[0] = args.rows
    rows = []
    try:
        for seed in range(args.seeds):
            for case in args.cases.split(","):
                for how in args.hows.split(","):
                    rows.append(_run(case, how, seed))
                    print(rows[-1], flush=True)
    finally:
        torch.set_num_threads(threads)
    if args.csv:
        new = not os.path.exists(args.csv)
        with open(args.csv, "a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            if new:
                writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
