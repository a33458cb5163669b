"""Does the held-out training objective pick the rate that reads closest to the truth?

Issue 34 asks this before the rate is chosen on held-out rows. For each task
and seed, a fit at each candidate rate (``learning_rate_init`` fixed, the
plateau schedule, up to ``--max-iter`` epochs) records its estimate, the best
held-out training objective of its history (``validation_bound``, what a race
compares), its DV lower bound, its calibration slope and its epochs; then a
default fit (``rate`` "auto": the 3-epoch race) records the rate it chose.
The summary says, per task, which rate the converged objective prefers, which
the race chose, which reads closest to the truth, and their errors.

    python benchmarks/rate_study.py --families gaussian,sparse,student_t
    python benchmarks/rate_study.py --families new --seeds 1
    python benchmarks/rate_study.py --summary benchmarks/results/rate_study.csv

Writes one CSV row per fit (appended as fits finish) and a sidecar.
"""

import argparse
import csv
import os
import sys
import time
import warnings
from pathlib import Path

import torch

from sknmi import NeuralMIEstimator
from sknmi._neural.auto import RATE_CANDIDATES as RATES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from families import GENERATORS, parse_families, tasks  # noqa: E402
from report import markdown_table, write_sidecar  # noqa: E402
from report import rate_study_summary as summary  # noqa: E402


def fit_one(task, seed, rate, max_iter):
    """One fit at ``rate``, or at the defaults (the rate race) for "auto"."""
    family, level, generator, kwargs, rows = task
    X, Z, truth = GENERATORS[generator](
        n_samples=min(rows, 10_000), random_state=seed, **kwargs
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = {} if rate == "auto" else {"learning_rate_init": rate}
        est = NeuralMIEstimator(max_iter=max_iter, random_state=seed, **params)
        est.fit(X, Z)
    return dict(
        family=family,
        level=level,
        seed=seed,
        rate=rate,
        chosen=est.learning_rate_init_,
        true_mi=truth,
        estimate=est.mi_,
        best_validation_bound=max(est.history_["validation_bound"]),
        dv=est.mi_lower_bounds_["dv"][0],
        slope=est.calibration_slope_,
        epochs=est.n_iter_,
        seconds=time.perf_counter() - start,
    )


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="gaussian,sparse,student_t")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--max-iter", type=int, default=150)
    parser.add_argument("--csv", default="benchmarks/results/rate_study.csv")
    parser.add_argument(
        "--rates",
        default="all",
        choices=["all", "auto"],
        help="'auto': only the default fits (the race), appended to --csv",
    )
    parser.add_argument("--summary", default=None, help="only summarise a CSV")
    args = parser.parse_args(argv)
    if args.summary:
        print(markdown_table(*summary(read(args.summary))))
        return
    torch.set_num_threads(1)
    os.makedirs(os.path.dirname(args.csv) or ".", exist_ok=True)
    rows = []
    rates = [*RATES, "auto"] if args.rates == "all" else ["auto"]
    append = args.rates == "auto" and os.path.exists(args.csv)
    with open(args.csv, "a" if append else "w", newline="") as f:
        writer = None
        for task in tasks(parse_families(args.families), staircase_levels=(2, 6, 10)):
            for seed in range(args.seeds):
                for rate in rates:
                    r = fit_one(task, seed, rate, args.max_iter)
                    rows.append(r)
                    print(
                        f"{r['family']:10s} {r['level']:14s} seed {seed} rate "
                        f"{r['chosen']:.0e}: {r['estimate']:.3f} "
                        f"(truth {r['true_mi']:.3f})",
                        flush=True,
                    )
                    if writer is None:
                        writer = csv.DictWriter(f, fieldnames=list(r))
                        if not append:
                            writer.writeheader()
                    writer.writerow(r)
                    f.flush()
    write_sidecar(args.csv)
    print(markdown_table(*summary(read(args.csv))))


if __name__ == "__main__":
    main()
