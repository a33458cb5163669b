"""Critics that grow too sure: the default's scores against the true log ratio.

On Gaussian pairs whose MI is spread over every column (5 + 5 at 2 nats, 8 + 8
at 3 nats; :func:`sknmi.datasets.make_gaussian`) the log ratio
``log p(x, z) / (p(x) p(z))`` is known in closed form, so the critic's
``pointwise_mi`` can be compared with it row by row on fresh rows of the same
distribution. Per fit the table gives the estimate's error, the slope of the
critic's score on the true log ratio over joint pairs (1 for a calibrated
critic, above 1 when its scores grew too far apart), how far the score
exceeds the log ratio on the tenth of joint pairs where the ratio is largest,
``calibration_slope_`` (the logistic recalibration the fit itself reads off
its held-out rows), the training-row excess ``mi_train_ / mi_ - 1``, and
whether the fit raised its "too sure" warning. Each configuration is fitted
on the same data sets (seeds 0, 1, ...; the estimator's seed is the data's).

    python benchmarks/too_sure.py                  # about 2 minutes on 2 cores
    python benchmarks/too_sure.py --seeds 5 --jobs 2
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed

from sknmi import NeuralMIEstimator
from sknmi.datasets import make_gaussian

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import markdown_table, too_sure_summary, write_results  # noqa: E402

#: (columns of X and of Z, nats) of each data set.
DATA = [(5, 2.0), (8, 3.0)]
#: Name and parameters of each configuration.
CONFIGS = {
    "defaults": {},
    "rate / 8": "eighth",  # an eighth of the rate the default fit used
    "concat": {"critic": "concat"},
}


def log_ratio(X, Z, mi):
    """The true ``log p(x, z) / (p(x) p(z))`` of make_gaussian's pairs."""
    d = X.shape[1]
    r2 = 1.0 - np.exp(-2.0 * mi / d)
    r = np.sqrt(r2)
    quad = (r2 * (X**2 + Z**2) - 2.0 * r * X * Z) / (2.0 * (1.0 - r2))
    return (-0.5 * np.log(1.0 - r2) - quad).sum(axis=1)


def fit_one(d, mi, name, seed, n_samples):
    torch.set_num_threads(1)
    X, Z, truth = make_gaussian(n_samples, d, mi, random_state=seed)
    params = CONFIGS[name]
    if params == "eighth":  # the lowest rate the warning suggests a refit at
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first = NeuralMIEstimator(random_state=seed).fit(X, Z)
        params = {"learning_rate_init": first.learning_rate_init_ / 8}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = NeuralMIEstimator(random_state=seed, **params).fit(X, Z)
    # Fresh rows of the same distribution: no row any critic trained on.
    Xn, Zn, _ = make_gaussian(20_000, d, mi, random_state=10_000 + seed)
    score, truth_ratio = est.pointwise_mi(Xn, Zn), log_ratio(Xn, Zn, mi)
    top = truth_ratio >= np.quantile(truth_ratio, 0.9)
    return {
        "data": f"{d}+{d}, {mi:g} nats",
        "config": name,
        "seed": seed,
        "true_mi": truth,
        "estimate": float(est.mi_),
        "error_pct": 100 * (est.mi_ - truth) / truth,
        "score_slope": float(np.polyfit(truth_ratio, score, 1)[0]),
        "top_tenth_excess": float(np.mean(score[top] - truth_ratio[top])),
        "calibration_slope": float(est.calibration_slope_),
        "train_excess_pct": 100 * (est.mi_train_ / est.mi_ - 1),
        "too_sure": any("too sure" in str(w.message) for w in caught),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/too_sure.csv")
    args = parser.parse_args(argv)
    rows = Parallel(n_jobs=args.jobs)(
        delayed(fit_one)(d, mi, name, seed, args.n_samples)
        for d, mi in DATA
        for name in CONFIGS
        for seed in range(args.seeds)
    )
    table = markdown_table(*too_sure_summary(rows))
    print(table)
    write_results(rows, args.out, table)


if __name__ == "__main__":
    main()
