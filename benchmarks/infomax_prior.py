"""Deep InfoMax prior matching on digits: global / local / local + prior.

Each configuration trains a :class:`sknmi.DeepInfoMaxTransformer` with a
convolutional encoder on the 1797 images of ``load_digits`` (labels never
seen), 8 components, for each seed, and judges the code of every image by

``ndm``
    the neural dependency measure (nats; lower: more independent components),
    :func:`sknmi.metrics.neural_dependency_measure` with its defaults;
``probe``
    the accuracy of a linear probe (standardised logistic regression),
    5-fold stratified cross-validation over the codes;
``mi``
    the MI between the image and its code, :class:`sknmi.NeuralMIEstimator`
    at its defaults (nats; a lower bound read on held-out rows);
``ks_prior``
    the mean over components of the Kolmogorov–Smirnov distance between the
    component's values and the prior (N(0, 1) unless stated): how far the
    marginals are from what prior matching aims at;
``seconds``
    the wall time of the encoder's ``fit``.

    python benchmarks/infomax_prior.py     # 9 configs x 3 seeds: ~9 min, 1 core
    python benchmarks/infomax_prior.py --seeds 5 --configs local local+prior

It writes ``benchmarks/results/infomax_prior.csv`` (one row per fit) and
``infomax_prior.md`` (mean and standard deviation over the seeds).
"""

import argparse
import csv
import pathlib
import statistics
import time
import warnings

import numpy as np
import torch
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknmi import DeepInfoMaxTransformer, NeuralMIEstimator
from sknmi.metrics import neural_dependency_measure

RESULTS = pathlib.Path(__file__).parent / "results"

COMMON = dict(
    n_components=8,
    image_shape=(1, 8, 8),
    hidden_layer_sizes=(64,),
    embedding_dim=32,
    early_stopping=False,
    device="cpu",
)

# name -> (parameters, prior of the KS column)
CONFIGS = {
    "global": (dict(global_weight=1.0, local_weight=0.0), "gaussian"),
    "local": (dict(local_weight=1.0), "gaussian"),
    "local+prior": (dict(local_weight=1.0, prior_weight=0.1), "gaussian"),
    "local+prior, uniform": (
        dict(local_weight=1.0, prior_weight=0.1, prior="uniform"),
        "uniform",
    ),
    "local, uniform": (dict(local_weight=1.0, prior="uniform"), "uniform"),
    # The paper's weights and prior (alpha 0.5, beta 1, gamma 0.1, uniform).
    "paper": (
        dict(global_weight=0.5, local_weight=1.0, prior_weight=0.1, prior="uniform"),
        "uniform",
    ),
    "paper, no prior": (
        dict(global_weight=0.5, local_weight=1.0, prior="uniform"),
        "uniform",
    ),
    # The paper's weights on an unbounded code with the Gaussian prior.
    "paper, gaussian": (
        dict(global_weight=0.5, local_weight=1.0, prior_weight=0.1),
        "gaussian",
    ),
    "paper, gaussian, no prior": (
        dict(global_weight=0.5, local_weight=1.0),
        "gaussian",
    ),
}

MEASURES = ("ndm", "probe", "mi", "ks_prior", "seconds")


def judge(Z, X, y, prior, seed):
    """The measures of one code (see the module's docstring)."""
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    reference = "norm" if prior == "gaussian" else "uniform"
    with warnings.catch_warnings():
        # Its check that mi_ is below the same critic's DV bound: noted, not news.
        warnings.simplefilter("ignore", UserWarning)
        mi = NeuralMIEstimator(random_state=seed).fit(X, Z).mi_
    return {
        "ndm": neural_dependency_measure(Z, random_state=seed),
        "probe": float(cross_val_score(probe, Z, y, cv=folds).mean()),
        "mi": float(mi),
        "ks_prior": float(np.mean([stats.kstest(z, reference).statistic for z in Z.T])),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=30)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--out", default=str(RESULTS / "infomax_prior"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    X, y = load_digits(return_X_y=True)
    rows = []
    for name in args.configs:
        params, prior = CONFIGS[name]
        for seed in range(args.seeds):
            dim = DeepInfoMaxTransformer(
                **COMMON, **params, max_iter=args.max_iter, random_state=seed
            )
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                Z = dim.fit_transform(X)
                seconds = time.perf_counter() - start
                row = {"config": name, "seed": seed, "prior": prior}
                row.update(judge(Z, X, y, prior, seed), seconds=seconds)
            rows.append(row)
            print(
                ", ".join(
                    f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in row.items()
                ),
                flush=True,
            )

    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    table = summary(rows)
    out.with_suffix(".md").write_text(table)
    print(table)


def summary(rows):
    """Markdown table: mean ± standard deviation over the seeds of each measure."""
    lines = [
        "| config | seeds | " + " | ".join(MEASURES) + " |",
        "|---|---|" + "---|" * len(MEASURES),
    ]
    for name in dict.fromkeys(r["config"] for r in rows):
        mine = [r for r in rows if r["config"] == name]
        cells = []
        for m in MEASURES:
            values = [r[m] for r in mine]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            digits = 1 if m == "seconds" else 3 if m in ("probe", "ks_prior") else 2
            cells.append(f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f}")
        lines.append(f"| {name} | {len(mine)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
