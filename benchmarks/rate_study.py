"""Does the held-out training objective pick the rate that reads closest to the truth?

Issue 34 asks this before the rate is chosen on held-out rows. For each task
and seed, a fit at each candidate rate (``learning_rate_init`` fixed, the
plateau schedule, up to ``--max-iter`` epochs) records its estimate, the best
held-out training objective of its history (``validation_bound``, what a race
compares), its DV lower bound, its calibration slope and its epochs. The
summary says, per task, which rate the objective prefers, which reads closest
to the truth, and how far apart their errors are.

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from families import GENERATORS, parse_families, tasks  # noqa: E402
from report import RATES, markdown_table, write_sidecar  # noqa: E402
from report import rate_study_summary as summary  # noqa: E402


def fit_one(task, seed, rate, max_iter):
    family, level, generator, kwargs, rows = task
    X, Z, truth = GENERATORS[generator](
        n_samples=min(rows, 10_000), random_state=seed, **kwargs
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = NeuralMIEstimator(
            learning_rate_init=rate, max_iter=max_iter, random_state=seed
        ).fit(X, Z)
    return dict(
        family=family,
        level=level,
        seed=seed,
        rate=rate,
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
    parser.add_argument("--summary", default=None, help="only summarise a CSV")
    args = parser.parse_args(argv)
    if args.summary:
        print(markdown_table(*summary(read(args.summary))))
        return
    torch.set_num_threads(1)
    os.makedirs(os.path.dirname(args.csv) or ".", exist_ok=True)
    rows = []
    with open(args.csv, "w", newline="") as f:
        writer = None
        for task in tasks(parse_families(args.families), staircase_levels=(2, 6, 10)):
            for seed in range(args.seeds):
                for rate in RATES:
                    r = fit_one(task, seed, rate, args.max_iter)
                    rows.append(r)
                    print(
                        f"{r['family']:10s} {r['level']:14s} seed {seed} rate "
                        f"{rate:.0e}: {r['estimate']:.3f} (truth {r['true_mi']:.3f})",
                        flush=True,
                    )
                    if writer is None:
                        writer = csv.DictWriter(f, fieldnames=list(r))
                        writer.writeheader()
                    writer.writerow(r)
                    f.flush()
    write_sidecar(args.csv)
    print(markdown_table(*summary([{k: str(v) for k, v in r.items()} for r in rows])))


if __name__ == "__main__":
    main()
