"""A fixed set of small fits, recorded exactly: what a restructuring must not change.

Every bound with both built-in critics, the rate race, one critic and
ordered folds, the conditional estimator, the baselines, the analyses that
clone estimators (pairwise, feature scores, lag scans, transfer entropy,
the permutation test) and both transformers. Each fit's estimates,
intervals, per-fold values, history and warnings are written as JSON
(floats in full precision); ``--compare A B`` lists every value that
differs, with the largest relative difference.

Run on one torch thread so that the order of the sums is the same::

    python benchmarks/fixed_set.py --out before.json      # on the old code
    python benchmarks/fixed_set.py --out after.json       # on the new code
    python benchmarks/fixed_set.py --compare before.json after.json
"""

import argparse
import json
import math
import warnings

import numpy as np
import torch

ROWS = 600
SMALL = {"hidden_layer_sizes": (16,), "max_iter": 6, "random_state": 0}


def _float(v):
    return None if v is None else float(v)


def _mi_record(est):
    out = {
        "mi_": _float(est.mi_),
        "mi_ci_": [float(v) for v in est.mi_ci_],
    }
    for name in (
        "mi_folds_",
        "mi_train_",
        "calibration_slope_",
        "learning_rate_init_",
        "n_iter_",
        "best_iter_",
        "critic_type_",
        "mi_source_",
        "batch_size_",
    ):
        if hasattr(est, name):
            v = getattr(est, name)
            out[name] = (
                [float(x) for x in v]
                if isinstance(v, np.ndarray)
                else v
                if isinstance(v, str)
                else _float(v)
            )
    if hasattr(est, "mi_lower_bounds_"):
        out["mi_lower_bounds_"] = {
            k: [float(v), [float(c) for c in ci]]
            for k, (v, ci) in est.mi_lower_bounds_.items()
        }
    if hasattr(est, "history_"):
        out["history_"] = {
            k: [float(x) for x in v] for k, v in est.history_.items() if k != "seconds"
        }
    if getattr(est, "learning_rate_search_", None):
        out["learning_rate_search_"] = est.learning_rate_search_
    return out


def _recorded(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn()
    return value, sorted({f"{w.category.__name__}: {w.message}" for w in caught})


def _cases():
    from sknmi import (
        ConditionalMIEstimator,
        DeepInfoMaxTransformer,
        ExtrapolatedMIEstimator,
        GaussianMIEstimator,
        InfoBottleneckTransformer,
        KSGConditionalEstimator,
        KSGEstimator,
        MRMRSelector,
        NeuralMIEstimator,
        independence_test,
    )
    from sknmi.datasets import make_gaussian, make_gaussian_conditional
    from sknmi.feature_selection import mi_scores
    from sknmi.pairwise import pairwise_mi
    from sknmi.timeseries import lagged_mi, transfer_entropy

    X, Z, _ = make_gaussian(n_samples=ROWS, n_features=2, mi=0.5, random_state=1)
    cases = {}
    for bound in ("logratio", "mine", "dv", "nwj", "jsd", "infonce", "smile"):
        for critic in ("separable", "concat"):
            est = NeuralMIEstimator(
                bound=bound, critic=critic, learning_rate_init=3e-3, **SMALL
            )
            cases[f"{bound}/{critic}"] = lambda est=est: _mi_record(est.fit(X, Z))
    race = NeuralMIEstimator(**SMALL)
    cases["logratio/auto-race"] = lambda: _mi_record(race.fit(X, Z))
    one = NeuralMIEstimator(n_folds=1, learning_rate_init=3e-3, **SMALL)
    cases["one-critic"] = lambda: _mi_record(one.fit(X, Z))
    ordered = NeuralMIEstimator(shuffle=False, gap=5, learning_rate_init=3e-3, **SMALL)
    cases["ordered-gap"] = lambda: _mi_record(ordered.fit(X, Z))
    cosine = NeuralMIEstimator(
        learning_rate_schedule="cosine", learning_rate_init=3e-3, **SMALL
    )
    cases["cosine"] = lambda: _mi_record(cosine.fit(X, Z))
    labels = (Z[:, 0] > 0).astype(int)
    classes = NeuralMIEstimator(learning_rate_init=3e-3, **SMALL)
    cases["classes"] = lambda: _mi_record(classes.fit(X, labels))
    cases["score+pointwise"] = lambda: [
        float(one.fit(X, Z).score(X[:200], Z[:200])),
        [float(v) for v in one.pointwise_mi(X[:5], Z[:5])],
    ]

    Xc, Yc, Zc, _ = make_gaussian_conditional(n_samples=ROWS, random_state=2)
    cond = ConditionalMIEstimator(
        NeuralMIEstimator(learning_rate_init=3e-3, **SMALL), random_state=0
    )
    cases["conditional"] = lambda: _mi_record(cond.fit(Xc, np.column_stack([Yc, Zc])))
    cases["ksg"] = lambda: _mi_record(KSGEstimator().fit(X, Z))
    cases["gaussian"] = lambda: _mi_record(GaussianMIEstimator().fit(X, Z))
    cases["ksg-conditional"] = lambda: _mi_record(
        KSGConditionalEstimator().fit(Xc, np.column_stack([Yc, Zc]))
    )

    neural = NeuralMIEstimator(learning_rate_init=3e-3, **{**SMALL, "max_iter": 3})
    W = np.column_stack([X, Z])
    cases["pairwise"] = lambda: pairwise_mi(
        W[:300], estimator=neural, random_state=0
    ).mi.tolist()
    cases["mi_scores"] = lambda: [
        float(v) for v in mi_scores(W[:300], Z[:300, 0], estimator=neural)
    ]
    series = np.cumsum(np.random.RandomState(3).standard_normal(400)) * 0.1
    cases["lagged_mi"] = lambda: lagged_mi(
        series, series, lags=[1, 2], estimator=neural, random_state=0
    ).mi.tolist()
    cases["transfer_entropy"] = lambda: transfer_entropy(
        series, series[::-1].copy(), estimator=cond, random_state=0
    ).te.tolist()
    cases["independence-permutation"] = lambda: [
        float(v)
        for v in independence_test(
            X[:200], Z[:200], neural, n_permutations=3, random_state=0
        ).null_distribution
    ]
    extra = ExtrapolatedMIEstimator(neural, random_state=0)
    cases["extrapolated"] = lambda: _mi_record(extra.fit(X, Z))
    mrmr = MRMRSelector(neural, n_features_to_select=2, random_state=0)
    cases["mrmr"] = lambda: mrmr.fit(W[:300], Z[:300, 0]).support_.tolist()
    ib = InfoBottleneckTransformer(
        n_components=2, beta=0.1, hidden_layer_sizes=(16,), max_iter=4, random_state=0
    )
    cases["bottleneck"] = lambda: np.round(
        ib.fit(X, labels).transform(X[:5]), 12
    ).tolist()
    dim = DeepInfoMaxTransformer(
        n_components=2, hidden_layer_sizes=(16,), max_iter=4, random_state=0
    )
    cases["infomax"] = lambda: np.round(dim.fit(W).transform(W[:5]), 12).tolist()
    return cases


def record():
    results = {}
    for name, fn in _cases().items():
        try:
            value, caught = _recorded(fn)
            results[name] = {"value": value, "warnings": caught}
        except Exception as exc:  # recorded too: an error must stay an error
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(name, flush=True)
    return results


def _diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append((path + "/" + k, "missing on one side", math.inf))
            else:
                _diff(a[k], b[k], path + "/" + k, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append((path, f"length {len(a)} vs {len(b)}", math.inf))
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) and isinstance(b, float):
        if a != b and not (math.isnan(a) and math.isnan(b)):
            rel = abs(a - b) / max(abs(a), abs(b), 1e-12)
            out.append((path, f"{a!r} vs {b!r}", rel))
    elif a != b:
        out.append((path, f"{a!r} vs {b!r}", math.inf))


def compare(before, after):
    out = []
    _diff(before, after, "", out)
    cases = sorted({p.split("/")[1] for p, _, _ in out})
    print(f"{len(out)} values differ, in {len(cases)} of {len(before)} cases")
    for path, what, rel in out[:60]:
        print(f"  {path}: {what} (relative {rel:.2g})")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="write the record here (JSON)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        a, b = (json.load(open(p)) for p in args.compare)
        raise SystemExit(1 if compare(a, b) else 0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        results = record()
    finally:
        torch.set_num_threads(threads)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
