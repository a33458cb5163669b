"""The pairwise MI matrix of Gaussian columns with a known covariance.

For each seed: ``make_gaussian_factors`` (10 columns, a random 3-factor
covariance, 10,000 rows by default), then :func:`sknmi.pairwise.pairwise_mi`
of all 45 pairs with the default ``NeuralMIEstimator`` and with
``KSGEstimator``, each with ``n_jobs`` workers of one torch thread. Per
estimator and seed: the wall time of the whole matrix, how many entries are
within 0.05 nats or 10% of the closed form, how many intervals hold it (and
how many do or miss by less than 0.005 nats), the largest error, and how many
intervals hold 0 (no pair is exactly independent, but the smallest true
values are far below what 10,000 rows can resolve). With ``--dask``, the
neural matrix of the first seed is also computed on a
``dask.distributed.LocalCluster`` (one thread per worker) and compared with
the serial one.

    python benchmarks/pairwise.py                 # 3 seeds, about 4 minutes
    python benchmarks/pairwise.py --dask          # and the dask check
    python benchmarks/pairwise.py --quick         # a smoke run
"""

import argparse
import os
import time
import warnings

import numpy as np


def _one_thread():
    # Every worker (and this process) trains on one torch thread: the
    # machine's cores go to the pairs, not to tiny matrix products.
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


def run(estimator_name, X, truth, n_jobs, seed):
    from joblib import parallel_config

    from sknmi import KSGEstimator, NeuralMIEstimator
    from sknmi.pairwise import pairwise_mi

    estimator = {
        "neural (defaults)": NeuralMIEstimator(random_state=seed),
        "KSG": KSGEstimator(random_state=seed),
    }[estimator_name]
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with parallel_config(backend="loky", inner_max_num_threads=1):
            result = pairwise_mi(X, estimator, n_jobs=n_jobs)
    seconds = time.perf_counter() - start
    upper = np.triu_indices(len(truth), 1)
    t, m = truth[upper], result.mi[upper]
    lo, hi = result.ci_low[upper], result.ci_high[upper]
    err = np.abs(m - t)
    close = (err <= 0.05) | (err <= 0.1 * t)
    covered = (lo <= t) & (t <= hi)
    pairs = [
        {
            "estimator": estimator_name,
            "seed": seed,
            "i": int(i),
            "j": int(j),
            "truth": float(truth[i, j]),
            "mi": float(result.mi[i, j]),
            "ci_low": float(result.ci_low[i, j]),
            "ci_high": float(result.ci_high[i, j]),
        }
        for i, j in zip(*upper)
    ]
    return (
        result,
        pairs,
        {
            "estimator": estimator_name,
            "seed": seed,
            "pairs": len(t),
            "seconds": seconds,
            "close": int(close.sum()),
            "covered": int(covered.sum()),
            "covered_or_within_0.005": int((covered | (err < 0.005)).sum()),
            "max_error": float(err.max()),
            "rms_error": float(np.sqrt(np.mean(err**2))),
            "median_half_width": float(np.median((hi - lo) / 2)),
            "holds_0": int(((lo <= 0) & (hi >= 0)).sum()),
            "warnings": len(caught),
        },
    )


def dask_check(X, seed, serial):
    from dask.distributed import Client, LocalCluster
    from joblib import parallel_config

    from sknmi import NeuralMIEstimator
    from sknmi.pairwise import pairwise_mi

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            env={"OMP_NUM_THREADS": "1"},
        ) as cluster,
        Client(cluster),
    ):
        start = time.perf_counter()
        with parallel_config(backend="dask"):
            result = pairwise_mi(X, NeuralMIEstimator(random_state=seed))
        seconds = time.perf_counter() - start
    same = np.array_equal(result.mi, serial.mi, equal_nan=True)
    diff = np.nanmax(np.abs(result.mi - serial.mi))
    return seconds, same, diff


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--n-features", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--dask", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=os.path.join("benchmarks", "results"))
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.n_samples, args.n_features = 1, 1000, 4
    _one_thread()
    from sknmi.datasets import make_gaussian_factors

    rows, per_pair, first = [], [], None
    for seed in range(args.seeds):
        X, truth = make_gaussian_factors(
            args.n_samples, n_features=args.n_features, random_state=seed
        )
        for name in ("neural (defaults)", "KSG"):
            result, pairs, row = run(name, X, truth, args.n_jobs, seed)
            rows.append(row)
            per_pair.extend(pairs)
            if first is None and name.startswith("neural"):
                first = (X, seed, result)
            print(
                f"seed {seed} {name}: {row['seconds']:.1f} s, "
                f"{row['close']}/{row['pairs']} close, "
                f"{row['covered']}/{row['pairs']} covered",
                flush=True,
            )
    print()
    print(
        f"{args.n_features} Gaussian columns (3-factor covariance), "
        f"{args.n_samples} rows, n_jobs={args.n_jobs}, one torch thread each\n"
    )
    head = (
        "| estimator | seed | wall s | within 0.05 or 10% | interval covers | "
        "covers or error < 0.005 | max error | RMS error | median half-width | "
        "intervals holding 0 | warnings |"
    )
    print(head)
    print("|---" * 11 + "|")
    for r in rows:
        print(
            f"| {r['estimator']} | {r['seed']} | {r['seconds']:.1f} | "
            f"{r['close']}/{r['pairs']} | {r['covered']}/{r['pairs']} | "
            f"{r['covered_or_within_0.005']}/{r['pairs']} | "
            f"{r['max_error']:.3f} | {r['rms_error']:.3f} | "
            f"{r['median_half_width']:.3f} | {r['holds_0']} | {r['warnings']} |"
        )
    for name in ("neural (defaults)", "KSG"):
        mine = [r for r in rows if r["estimator"] == name]
        pairs = sum(r["pairs"] for r in mine)
        print(
            f"\n{name}: {sum(r['close'] for r in mine)}/{pairs} within 0.05 nats "
            f"or 10%, {sum(r['covered'] for r in mine)}/{pairs} intervals cover, "
            f"wall {min(r['seconds'] for r in mine):.1f}-"
            f"{max(r['seconds'] for r in mine):.1f} s"
        )
    if args.dask and first is not None:
        seconds, same, diff = dask_check(*first)
        print(
            f"\ndask LocalCluster (2 workers, 1 thread each), seed {first[1]}: "
            f"{seconds:.1f} s, equal to the serial matrix: {same} "
            f"(largest difference {diff:.2e})"
        )
    from report import write_results  # benchmarks/, beside this script

    path = os.path.join(args.out, "pairwise.csv")
    pair_path = os.path.join(args.out, "pairwise_pairs.csv")
    write_results(rows, path)
    write_results(per_pair, pair_path)
    print(f"\nwrote {path} and {pair_path}")


if __name__ == "__main__":
    main()
