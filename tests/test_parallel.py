"""The one joblib entry point: seeds, order, warnings, and the analyses on it."""

import warnings

import numpy as np
import pytest

from sknmi import KSGEstimator, NeuralMIEstimator, independence_test
from sknmi._parallel import fit_many, read_point, seeded_clones
from sknmi.datasets import make_gaussian
from sknmi.feature_selection import mi_scores

TINY = dict(hidden_layer_sizes=(8,), max_iter=2, batch_size=64, n_folds=2)


def test_seeded_clones_keep_int_seeds_and_draw_the_others():
    kept = seeded_clones(KSGEstimator(random_state=7), 3, random_state=0)
    assert [e.random_state for e in kept] == [7, 7, 7]
    drawn = seeded_clones(KSGEstimator(), 3, random_state=0)
    seeds = [e.random_state for e in drawn]
    assert len(set(seeds)) == 3 and all(isinstance(s, int) for s in seeds)
    again = seeded_clones(KSGEstimator(), 3, random_state=0)
    assert [e.random_state for e in again] == seeds
    rs = np.random.RandomState(0)
    from_rs = seeded_clones(KSGEstimator(random_state=rs), 2, random_state=1)
    assert all(isinstance(e.random_state, int) for e in from_rs)


def _warns(estimator):
    warnings.warn("careful", RuntimeWarning, stacklevel=2)
    return float(estimator.mi_)


def test_fit_many_keeps_order_and_reissues_worker_warnings():
    X, Z, _ = make_gaussian(300, 1, 0.5, random_state=0)
    tasks = [(KSGEstimator(random_state=0), X[:n], Z[:n]) for n in (100, 200, 300)]
    with pytest.warns(RuntimeWarning, match="^second: careful$"):
        values = fit_many(
            tasks, n_jobs=2, labels=["first", "second", "third"], read=_warns
        )
    alone = [KSGEstimator(random_state=0).fit(X[:n], Z[:n]).mi_ for n in (100, 200)]
    assert values[:2] == alone


def test_mi_scores_same_for_every_n_jobs():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    y = X[:, 0] + 0.5 * rng.standard_normal(300)
    est = NeuralMIEstimator(random_state=0, **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = mi_scores(X, y, estimator=est)
        parallel = mi_scores(X, y, estimator=est, n_jobs=2)
    np.testing.assert_array_equal(serial, parallel)


def test_permutation_test_same_for_every_n_jobs():
    X, Z, _ = make_gaussian(200, 1, 0.3, random_state=0)
    serial = independence_test(X, Z, KSGEstimator(), n_permutations=9, random_state=0)
    parallel = independence_test(
        X, Z, KSGEstimator(), n_permutations=9, random_state=0, n_jobs=2
    )
    assert serial.method == "permutation"
    np.testing.assert_array_equal(serial.null_distribution, parallel.null_distribution)
    assert serial.pvalue == parallel.pvalue


def test_read_point():
    X, Z, _ = make_gaussian(100, 1, 0.5, random_state=0)
    est = KSGEstimator().fit(X, Z)
    assert read_point(est) == est.mi_
