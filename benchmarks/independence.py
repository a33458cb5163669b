"""Size and power of ``independence_test``: neural (split and permutation), KSG,
distance covariance.

Each run draws a fresh data set of ``--n-samples`` rows and tests it at level
``--alpha`` with ``--n-permutations`` permutations:

- ``neural``: :func:`sknmi.independence_test` with a small
  :class:`~sknmi.NeuralMIEstimator` (one fit on half the rows, the statistic
  and its permutations read on the other half with the critic fixed);
- ``neural-perm``: the same small estimator with ``method="permutation"``:
  the estimate on all rows, recomputed on every permutation of Z (B + 1 fits
  trained as the members of stacked modules);
- ``ksg``: the same function with :class:`~sknmi.KSGEstimator` (the estimate
  recomputed on every permutation of all rows);
- ``dcov``: a distance-covariance permutation test (Székely, Rizzo & Bakirov
  2007), written here with numpy.

The first family is independent (the rejection rate is the size, which
should be about ``alpha``); the others are dependent (the rate is the power).

    python benchmarks/independence.py --quick   # 50 size runs, 20 power runs
    python benchmarks/independence.py           # 200 size runs, 50 power runs
    python benchmarks/independence.py --tests neural-perm --families size \
        --csv benchmarks/results/independence.csv

``--families size`` runs the independent family only, ``power`` the others;
``--csv`` appends one row per family and test.
"""

import argparse
import csv
import math
import os
import time
import warnings

import numpy as np
import torch

from sknmi import KSGEstimator, NeuralMIEstimator, independence_test
from sknmi.independence import permutation_pvalue

NEURAL = dict(
    hidden_layer_sizes=(32,),
    embedding_dim=8,
    batch_size=64,
    learning_rate_init=3e-3,
    max_iter=30,
    n_iter_no_change=5,
)


def families():
    """``draw(n, rng) -> x, z`` by name; the first is independent."""

    def independent(n, rng):
        return rng.standard_normal(n), rng.standard_normal(n)

    def linear(n, rng):  # correlation 0.1
        x = rng.standard_normal(n)
        return x, 0.1 * x + math.sqrt(1 - 0.1**2) * rng.standard_normal(n)

    def sine(n, rng):
        x = rng.uniform(-math.pi, math.pi, n)
        return x, np.sin(2 * x) + 2.5 * rng.standard_normal(n)

    def square(n, rng):
        x = rng.standard_normal(n)
        return x, x**2 + 4.0 * rng.standard_normal(n)

    def heavy_tailed(n, rng):  # Cauchy X, Cauchy noise
        x = rng.standard_cauchy(n)
        return x, x + 10.0 * rng.standard_cauchy(n)

    return {
        "independent": independent,
        "linear 0.1": linear,
        "sin(2x) + 2.5e": sine,
        "x^2 + 4e": square,
        "Cauchy pair": heavy_tailed,
    }


def _centred_distances(a):
    d = np.abs(a[:, None] - a[None, :])
    return d - d.mean(0) - d.mean(1)[:, None] + d.mean()


def dcov_test(x, z, n_permutations, rng):
    """Permutation p-value of the (V-statistic) distance covariance."""
    a, b = _centred_distances(x), _centred_distances(z)
    statistic = float((a * b).mean())
    null = []
    for _ in range(n_permutations):
        p = rng.permutation(len(z))
        null.append(float((a * b[np.ix_(p, p)]).mean()))
    return permutation_pvalue(statistic, null)


def tests(n_permutations):
    def neural(x, z, seed):
        return independence_test(
            x[:, None],
            z,
            NeuralMIEstimator(**NEURAL),
            n_permutations=n_permutations,
            random_state=seed,
        ).pvalue

    def neural_perm(x, z, seed):
        return independence_test(
            x[:, None],
            z,
            NeuralMIEstimator(**NEURAL),
            n_permutations=n_permutations,
            method="permutation",
            random_state=seed,
        ).pvalue

    def ksg(x, z, seed):
        return independence_test(
            x[:, None],
            z,
            KSGEstimator(),
            n_permutations=n_permutations,
            random_state=seed,
        ).pvalue

    def dcov(x, z, seed):
        return dcov_test(x, z, n_permutations, np.random.default_rng(seed))

    return {"neural": neural, "neural-perm": neural_perm, "ksg": ksg, "dcov": dcov}


def run(family_table, test_table, runs_size, runs_power, n_samples, alpha, seed=0):
    """Rejection counts: ``{(family, test): (rejections, runs, seconds)}``."""
    results = {}
    for i, (family, draw) in enumerate(families().items()):
        if family not in family_table:
            continue  # its index still seeds the others' data sets
        runs = runs_size if i == 0 else runs_power
        for name, test in test_table.items():
            rejections, start = 0, time.perf_counter()
            for r in range(runs):
                rng = np.random.default_rng([seed, i, r])
                x, z = draw(n_samples, rng)
                rejections += test(x, z, 1000 * i + r + 10**6 * seed) <= alpha
            seconds = (time.perf_counter() - start) / max(runs, 1)
            results[family, name] = (rejections, runs, seconds)
            print(
                f"  {family:16s} {name:6s}: {rejections}/{runs} rejected, "
                f"{seconds:.2f} s/test",
                flush=True,
            )
    return results


def summarise(results, family_table, test_table, alpha):
    names = list(test_table)
    print("\n| data | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for i, family in enumerate(families()):
        if family not in family_table:
            continue
        cells = []
        for name in names:
            k, runs, _ = results[family, name]
            rate = k / runs
            se = math.sqrt(max(rate * (1 - rate), 1e-12) / runs)
            cells.append(f"{100 * rate:.1f}% ± {100 * 1.96 * se:.1f}")
        kind = "size" if i == 0 else "power"
        print(f"| {family} ({kind}) | " + " | ".join(cells) + " |")
    secs = " | ".join(
        f"{np.mean([results[f, n][2] for f in family_table]):.2f}" for n in names
    )
    print(f"| seconds per test | {secs} |")
    print(f"\nlevel alpha = {alpha}; ± is 1.96 binomial standard errors")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs-size", type=int, default=200)
    parser.add_argument("--runs-power", type=int, default=50)
    parser.add_argument("--n-samples", type=int, default=500)
    parser.add_argument("--n-permutations", type=int, default=99)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument(
        "--tests", nargs="+", default=["neural", "neural-perm", "ksg", "dcov"]
    )
    parser.add_argument("--families", choices=["all", "size", "power"], default="all")
    parser.add_argument("--csv", help="append the rejection counts to this CSV")
    parser.add_argument(
        "--seed", type=int, default=0, help="draws other data sets (default: 0)"
    )
    args = parser.parse_args()
    if args.quick:
        args.runs_size, args.runs_power = 50, 20
    table = tests(args.n_permutations)
    unknown = set(args.tests) - set(table)
    if unknown:
        raise SystemExit(f"unknown tests {sorted(unknown)}; choose from {list(table)}")
    table = {name: table[name] for name in args.tests}
    family_table = families()
    names = list(family_table)
    if args.families != "all":
        keep = names[:1] if args.families == "size" else names[1:]
        family_table = {name: family_table[name] for name in keep}
    warnings.simplefilter("ignore")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        results = run(
            family_table,
            table,
            args.runs_size,
            args.runs_power,
            args.n_samples,
            args.alpha,
            seed=args.seed,
        )
    finally:
        torch.set_num_threads(before)
    summarise(results, family_table, table, args.alpha)
    if args.csv:
        write_csv(args.csv, results, args)


def write_csv(path, results, args):
    """Append ``family, kind, test, rows, permutations, rejections, runs,
    seconds_per_test`` per family and test."""
    fresh = not os.path.exists(path)
    names = list(families())
    with open(path, "a", newline="") as f:
        writer = csv.writer(f)
        if fresh:
            writer.writerow(
                [
                    "family",
                    "kind",
                    "test",
                    "rows",
                    "permutations",
                    "alpha",
                    "rejections",
                    "runs",
                    "seconds_per_test",
                ]
            )
        for (family, test), (k, runs, seconds) in results.items():
            kind = "size" if family == names[0] else "power"
            writer.writerow(
                [
                    family,
                    kind,
                    test,
                    args.n_samples,
                    args.n_permutations,
                    args.alpha,
                    int(k),
                    runs,
                    f"{seconds:.3f}",
                ]
            )


if __name__ == "__main__":
    main()
