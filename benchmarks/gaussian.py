"""The standard MI benchmark: 20-d Gaussians at 2..10 nats, plain and cubic.

The benchmark of Poole et al. (2019) and Song & Ermon (2020): X and Z are
20-dimensional with componentwise correlation set for a true MI of 2, 4, 6, 8
and 10 nats; the cubic variant maps Z to Z^3 (same MI). Each configuration is
fitted on fixed data sets of ``--n-samples`` rows (the estimator makes its own
held-out split) for several seeds. For each configuration and level the table
gives the mean estimate, the bias, the standard deviation over seeds, how often
the 95% interval covers the truth, and the seconds per fit. Writes a CSV.

    python benchmarks/gaussian.py --quick                  # a couple of minutes
    python benchmarks/gaussian.py                          # defaults, 3 seeds
    python benchmarks/gaussian.py --configs all --seeds 1  # every bound too
"""

import argparse
import csv
import os
import statistics
import time
import warnings

import torch

from sknmi import NeuralMIEstimator
from sknmi.datasets import make_gaussian

BOUNDS = ["logratio", "mine", "dv", "nwj", "jsd", "infonce", "smile"]


def configs(names):
    """Estimator parameters by configuration name: "defaults" or a bound."""
    table = {
        "defaults": {},
        **{b: {"bound": b} for b in BOUNDS},
        "quantile": {"preprocessing": "quantile"},
    }
    if names == ["all"]:
        names = list(table)
    unknown = set(names) - set(table)
    if unknown:
        raise SystemExit(
            f"unknown configurations {sorted(unknown)}; "
            f"choose from {list(table)} or 'all'"
        )
    return {name: table[name] for name in names}


def run(
    levels, variants, config_table, seeds, n_samples, max_iter, csv_path, n_features=20
):
    rows = []
    for variant in variants:
        transform = "cubic" if variant == "cubic" else None
        for mi in levels:
            data = [
                make_gaussian(
                    n_samples=n_samples,
                    n_features=n_features,
                    mi=mi,
                    transform=transform,
                    random_state=seed,
                )
                for seed in range(seeds)
            ]
            for name, params in config_table.items():
                for seed, (X, Z, truth) in enumerate(data):
                    if max_iter is not None:
                        params = {**params, "max_iter": max_iter}
                    est = NeuralMIEstimator(random_state=seed, **params)
                    start = time.perf_counter()
                    est.fit(X, Z)
                    seconds = time.perf_counter() - start
                    lo, hi = est.mi_ci_
                    rows.append(
                        dict(
                            variant=variant,
                            true_mi=truth,
                            config=name,
                            seed=seed,
                            estimate=est.mi_,
                            ci_low=lo,
                            ci_high=hi,
                            epochs=est.n_iter_,
                            seconds=seconds,
                        )
                    )
                    print(
                        f"  {variant:8s} {truth:4.1f} nats {name:9s} seed {seed}: "
                        f"{est.mi_:6.3f} [{lo:.3f}, {hi:.3f}] "
                        f"{est.n_iter_:3d} epochs {seconds:5.1f} s",
                        flush=True,
                    )
    if csv_path:
        os.makedirs(os.path.dirname(csv_path) or ".", exist_ok=True)
        with open(csv_path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return rows


def summarise(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["variant"], r["config"], r["true_mi"]), []).append(r)
    print(
        "\n| data | config | true MI | mean | bias | bias % | sd | coverage | s/fit |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (variant, config, truth), g in groups.items():
        est = [r["estimate"] for r in g]
        mean = statistics.fmean(est)
        sd = statistics.stdev(est) if len(est) > 1 else float("nan")
        cover = sum(r["ci_low"] <= truth <= r["ci_high"] for r in g)
        secs = statistics.fmean(r["seconds"] for r in g)
        bias = mean - truth
        print(
            f"| {variant} | {config} | {truth:.0f} | {mean:.3f} | {bias:+.3f} "
            f"| {100 * bias / truth:+.1f} | {sd:.3f} | {cover}/{len(g)} "
            f"| {secs:.1f} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="defaults at 2, 6 and 10 nats, one seed, 20,000 rows",
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["defaults"],
        help="'defaults', bound names, or 'all'",
    )
    parser.add_argument("--levels", nargs="+", type=float, default=[2, 4, 6, 8, 10])
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["gaussian", "cubic"],
        choices=["gaussian", "cubic"],
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=50_000)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--csv", default="benchmarks/results/gaussian.csv")
    args = parser.parse_args()
    if args.quick:
        args.levels, args.seeds, args.n_samples = [2, 6, 10], 1, 20_000
    warnings.simplefilter("ignore")
    before = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        rows = run(
            args.levels,
            args.variants,
            configs(args.configs),
            args.seeds,
            args.n_samples,
            args.max_iter,
            args.csv,
            args.n_features,
        )
    finally:
        torch.set_num_threads(before)
    summarise(rows)
    print(
        f"\n{torch.get_num_threads()} torch threads available, "
        f"{args.threads} used; CSV: {args.csv}"
    )


if __name__ == "__main__":
    main()
