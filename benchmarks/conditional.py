"""Conditional MI benchmark: Gaussian triples at 1-3 nats, a chain and a collider.

X, Z and W are 5-dimensional each (``--n-features``). The Gaussian family
(``make_gaussian_conditional``) has I(X; Z | W) = 1, 2 and 3 nats with
I(X; W) = I(Z; W) = 1 nat; the chain X -> W -> Z (``make_chain``, W cubed)
has I(X; Z | W) = 0 with I(X; Z) > 0; the collider X -> W <- Z
(``make_collider``) has I(X; Z | W) > 0 = I(X; Z). Each estimator sees the
same data sets, one per seed; the table gives the mean estimate, the bias, the
standard deviation over seeds, how often the 95% interval covers the truth and
the seconds per fit.

    python benchmarks/conditional.py --quick       # one seed, 5,000 rows
    python benchmarks/conditional.py --out benchmarks/results/conditional.csv
                                                   # 3 seeds, 20,000 rows
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import torch

from sknmi import (
    ConditionalMIEstimator,
    GaussianMIEstimator,
    KSGConditionalEstimator,
    NeuralMIEstimator,
)
from sknmi.datasets import make_chain, make_collider, make_gaussian_conditional


def families(n_features):
    """Data set makers by name: ``maker(n_samples, seed) -> X, Z, W, cmi``."""

    def gaussian(cmi):
        return lambda n, seed: make_gaussian_conditional(
            n, n_features, cmi=cmi, mi_given=1.0, random_state=seed
        )

    return {
        "gaussian-1": gaussian(1.0),
        "gaussian-2": gaussian(2.0),
        "gaussian-3": gaussian(3.0),
        "chain-cubic": lambda n, seed: make_chain(
            n, n_features, mi=1.0, transform="cubic", random_state=seed
        ),
        "collider": lambda n, seed: make_collider(
            n, n_features, noise=1.0, random_state=seed
        ),
    }


def estimators(names, max_iter=None):
    """Estimator factories by name: ``factory(given, seed) -> estimator``."""
    neural = {} if max_iter is None else {"max_iter": max_iter}
    table = {
        # ConditionalMIEstimator as a user gets it (concat critics, one pair)
        "default": lambda given, seed: ConditionalMIEstimator(
            None if max_iter is None else NeuralMIEstimator(critic="concat", **neural),
            given=given,
            random_state=seed,
        ),
        "neural": lambda given, seed: ConditionalMIEstimator(
            NeuralMIEstimator(**neural), given=given, random_state=seed
        ),
        "neural-x3": lambda given, seed: ConditionalMIEstimator(
            NeuralMIEstimator(**neural), given=given, n_estimators=3, random_state=seed
        ),
        "neural-concat": lambda given, seed: ConditionalMIEstimator(
            NeuralMIEstimator(critic="concat", **neural),
            given=given,
            random_state=seed,
        ),
        "neural-concat-x3": lambda given, seed: ConditionalMIEstimator(
            NeuralMIEstimator(critic="concat", **neural),
            given=given,
            n_estimators=3,
            random_state=seed,
        ),
        "ksg": lambda given, seed: KSGConditionalEstimator(
            given=given, random_state=seed
        ),
        "gaussian": lambda given, seed: ConditionalMIEstimator(
            GaussianMIEstimator(), given=given
        ),
    }
    unknown = set(names) - set(table)
    if unknown:
        raise SystemExit(
            f"unknown estimators {sorted(unknown)}; choose from {list(table)}"
        )
    return {name: table[name] for name in names}


def run(family_table, estimator_table, seeds, n_samples, verbose=True, first_seed=0):
    rows = []
    for family, make in family_table.items():
        for seed in range(first_seed, first_seed + seeds):
            X, Z, W, truth = make(n_samples, seed)
            data = np.hstack([X, W])
            given = list(range(X.shape[1], data.shape[1]))
            for name, factory in estimator_table.items():
                est = factory(given, seed)
                start = time.perf_counter()
                est.fit(data, Z)
                seconds = time.perf_counter() - start
                lo, hi = est.mi_ci_
                parts = ""
                if hasattr(est, "mi_joint_"):
                    parts = f" = {est.mi_joint_:.3f} - {est.mi_given_:.3f}"
                rows.append(
                    dict(
                        family=family,
                        truth=truth,
                        estimator=name,
                        seed=seed,
                        estimate=est.mi_,
                        ci_low=lo,
                        ci_high=hi,
                        seconds=seconds,
                    )
                )
                if verbose:
                    print(
                        f"  {family:12s} {truth:5.3f} {name:8s} seed {seed}: "
                        f"{est.mi_:6.3f}{parts} [{lo:.3f}, {hi:.3f}] "
                        f"{seconds:5.1f} s",
                        flush=True,
                    )
    return rows


def summarise(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["family"], r["estimator"], r["truth"]), []).append(r)
    print(
        "\n| data | estimator | true CMI | mean | bias | bias % | sd | coverage "
        "| s/fit |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (family, name, truth), g in groups.items():
        est = [r["estimate"] for r in g]
        mean = statistics.fmean(est)
        sd = statistics.stdev(est) if len(est) > 1 else float("nan")
        cover = sum(r["ci_low"] <= truth <= r["ci_high"] for r in g)
        secs = statistics.fmean(r["seconds"] for r in g)
        bias = mean - truth
        pct = f"{100 * bias / truth:+.1f}" if truth > 0 else "-"
        print(
            f"| {family} | {name} | {truth:.3f} | {mean:.3f} | {bias:+.3f} | {pct} "
            f"| {sd:.3f} | {cover}/{len(g)} | {secs:.1f} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 5,000 rows")
    parser.add_argument("--families", nargs="+", default=None)
    parser.add_argument(
        "--estimators", nargs="+", default=["default", "ksg", "gaussian"]
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--n-features", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument(
        "--out",
        default=None,
        help="write the rows to this CSV, with a sidecar .json (command, date)",
    )
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.n_samples = 1, 5_000
    table = families(args.n_features)
    if args.families:
        unknown = set(args.families) - set(table)
        if unknown:
            raise SystemExit(
                f"unknown families {sorted(unknown)}; choose from {list(table)}"
            )
        table = {name: table[name] for name in args.families}
    warnings.simplefilter("ignore")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = run(
            table,
            estimators(args.estimators, args.max_iter),
            args.seeds,
            args.n_samples,
            first_seed=args.first_seed,
        )
    finally:
        torch.set_num_threads(before)
    summarise(rows)
    if args.out:
        write(rows, args.out)


def write(rows, path):
    """The rows as CSV, and beside it the command, versions and date as JSON."""
    from report import write_results  # benchmarks/, beside this script

    write_results(rows, path)


if __name__ == "__main__":
    main()
