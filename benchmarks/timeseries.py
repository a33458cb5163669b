"""Time-series benchmark: transfer entropy and lagged MI on a Gaussian VAR(1).

Two series, x driving y (``make_var1``: coupling 0.8, autoregression 0.5,
unit noises), whose transfer entropies and lagged MI are known in closed
form: T(x -> y) = 0.281 nats, T(y -> x) = 0. For each seed the package's
defaults run (``transfer_entropy`` and ``lagged_mi`` with ``estimator=None``:
contiguous folds with a gap), and, for reference, the same analyses with the
Gaussian (covariance) estimator. The tables give, per direction and lag, the
estimate against the truth, the relative error, whether the 95% interval
holds the truth, and the seconds per analysis. Rows go to
``benchmarks/results/timeseries.csv``.

    python benchmarks/timeseries.py --quick    # 2 seeds, 3,000 steps
    python benchmarks/timeseries.py            # 10 seeds, 10,000 steps; lagged MI
                                               # on the first 3
"""

import argparse
import pathlib
import statistics
import time
import warnings

import torch

from sknmi import GaussianMIEstimator
from sknmi.datasets import make_var1
from sknmi.timeseries import lagged_mi, transfer_entropy

RESULTS = pathlib.Path(__file__).parent / "results"
LAGS = [0, 1, 2, 3, 5]
ESTIMATORS = {"default": None, "gaussian": GaussianMIEstimator()}


def run_te(seeds, n_steps, estimators=ESTIMATORS, verbose=True):
    """Transfer entropy in both directions, one row per seed, estimator and
    direction."""
    rows = []
    for seed in seeds:
        x, y, truth = make_var1(n_steps, random_state=seed)
        truths = (truth.transfer_entropy, truth.transfer_entropy_reverse)
        for name, est in estimators.items():
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = transfer_entropy(x, y, estimator=est, random_state=seed)
            seconds = time.perf_counter() - start
            for i, direction in enumerate(("x -> y", "y -> x")):
                rows.append(
                    dict(
                        analysis="transfer_entropy",
                        what=direction,
                        estimator=name,
                        seed=seed,
                        truth=truths[i],
                        estimate=float(result.te[i]),
                        ci_low=float(result.ci_low[i]),
                        ci_high=float(result.ci_high[i]),
                        difference_ratio=float(result.difference_ratio[i]),
                        warnings=sum(
                            result.directions[i] in str(w.message) for w in caught
                        ),
                        seconds=seconds,
                    )
                )
                if verbose:
                    r = rows[-1]
                    print(
                        f"  TE {direction} {name:8s} seed {seed}: "
                        f"{r['estimate']:7.4f} [{r['ci_low']:.4f}, "
                        f"{r['ci_high']:.4f}] truth {r['truth']:.4f}, "
                        f"{seconds:5.1f} s",
                        flush=True,
                    )
    return rows


def run_lags(seeds, n_steps, estimators=ESTIMATORS, lags=LAGS, verbose=True):
    """Lagged MI I(y_t; x_{t-lag}), one row per seed, estimator and lag."""
    rows = []
    for seed in seeds:
        x, y, truth = make_var1(n_steps, max_lag=max(lags), random_state=seed)
        for name, est in estimators.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = lagged_mi(x, y, lags, estimator=est, random_state=seed)
            seconds = time.perf_counter() - start
            for i, lag in enumerate(lags):
                rows.append(
                    dict(
                        analysis="lagged_mi",
                        what=f"lag {lag}",
                        estimator=name,
                        seed=seed,
                        truth=float(truth.lagged_mi[lag]),
                        estimate=float(result.mi[i]),
                        ci_low=float(result.ci_low[i]),
                        ci_high=float(result.ci_high[i]),
                        difference_ratio=float("nan"),
                        warnings=0,
                        seconds=seconds,
                    )
                )
            if verbose:
                shown = ", ".join(f"{v:.3f}" for v in result.mi)
                print(
                    f"  lagged MI {name:8s} seed {seed}: {shown} "
                    f"(peak at lag {result.peak_lag}), {seconds:5.1f} s",
                    flush=True,
                )
    return rows


def summarise(rows, out=None):
    """A markdown table of the rows, grouped by analysis, what and estimator."""
    groups = {}
    for r in rows:
        key = (r["analysis"], r["what"], r["estimator"], round(r["truth"], 6))
        groups.setdefault(key, []).append(r)
    lines = [
        "| analysis | what | estimator | truth | mean | error % | sd | "
        "interval holds truth | s/analysis |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (analysis, what, name, truth), g in groups.items():
        est = [r["estimate"] for r in g]
        mean = statistics.fmean(est)
        sd = statistics.stdev(est) if len(est) > 1 else float("nan")
        cover = sum(r["ci_low"] <= truth <= r["ci_high"] for r in g)
        pct = f"{100 * (mean - truth) / truth:+.1f}" if truth > 0 else "-"
        secs = statistics.fmean(r["seconds"] for r in g)
        lines.append(
            f"| {analysis} | {what} | {name} | {truth:.4f} | {mean:.4f} | {pct} "
            f"| {sd:.4f} | {cover}/{len(g)} | {secs:.1f} |"
        )
    table = "\n".join(lines)
    print("\n" + table, file=out)
    return table


def write(rows, table, name):
    from report import write_results  # benchmarks/, beside this script

    write_results(rows, RESULTS / f"{name}.csv", table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 3,000 steps")
    parser.add_argument("--seeds", type=int, default=10, help="transfer entropy")
    parser.add_argument("--lag-seeds", type=int, default=3, help="lagged MI")
    parser.add_argument("--n-steps", type=int, default=10_000)
    parser.add_argument("--name", default="timeseries", help="results file name")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.lag_seeds, args.n_steps = 2, 2, 3_000
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = run_te(range(args.seeds), args.n_steps)
        rows += run_lags(range(args.lag_seeds), args.n_steps)
    finally:
        torch.set_num_threads(before)
    table = summarise(rows)
    write(rows, table, args.name)


if __name__ == "__main__":
    main()
