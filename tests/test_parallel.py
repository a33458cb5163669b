"""The one joblib entry point: seeds, order, warnings, and the analyses on it."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sknmi import KSGEstimator, NeuralMIEstimator, independence_test
from sknmi._parallel import fit_many, read_point, seeded_clone, seeded_clones
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
    # A RandomState would be copied into every clone: each takes its draw.
    rs = np.random.RandomState(0)
    from_rs = seeded_clones(KSGEstimator(random_state=rs), 3, random_state=0)
    assert [e.random_state for e in from_rs] == seeds
    # force: clones that must differ take their draws even over an int.
    forced = seeded_clones(KSGEstimator(random_state=7), 3, random_state=0, force=True)
    assert [e.random_state for e in forced] == seeds
    assert seeded_clone(KSGEstimator(), random_state=0).random_state == seeds[0]


def test_seeded_clones_draw_first_whatever_the_estimator_seed():
    # The seeds are drawn even when kept aside, so what the caller draws next
    # (splits, permutations) depends on random_state alone.
    after = []
    for est in (KSGEstimator(), KSGEstimator(random_state=7)):
        rng = np.random.RandomState(0)
        seeded_clones(est, 2, rng)
        after.append(rng.randint(1000, size=5).tolist())
    assert after[0] == after[1]


class _Recorder(BaseEstimator):
    """An MI "estimator" whose estimate is the seed it was fitted with."""

    _estimates_mi = True

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        self.mi_ = float(self.random_state)
        self.mi_ci_ = (self.mi_, self.mi_)
        return self

    def score(self, X, y):
        return self.mi_


def test_same_random_state_same_clone_seeds_from_every_entry_point():
    from sknmi import (
        ConditionalMIEstimator,
        ExtrapolatedMIEstimator,
        MRMRSelector,
    )
    from sknmi.pairwise import pairwise_mi
    from sknmi.timeseries import lagged_mi

    seeds = [e.random_state for e in seeded_clones(_Recorder(), 7, random_state=0)]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = X[:, 0] + rng.standard_normal(200)

    pairs = pairwise_mi(X, _Recorder(), random_state=0).mi
    assert [pairs[0, 1], pairs[0, 2], pairs[1, 2]] == seeds[:3]
    lagged = lagged_mi(
        X[:, 0], X[:, 1], [1, 2, 3], estimator=_Recorder(), random_state=0
    )
    assert lagged.mi.tolist() == seeds[:3]
    scores = mi_scores(X, y, estimator=_Recorder(), random_state=0)
    assert scores.tolist() == seeds[:3]
    mrmr = MRMRSelector(_Recorder(), n_features_to_select=1, random_state=0)
    assert mrmr.fit(X, y).relevance_.tolist() == seeds[:3]
    test = independence_test(X, y, _Recorder(), n_permutations=3, random_state=0)
    assert test.statistic == seeds[0]
    cmi = ConditionalMIEstimator(_Recorder(), given=[2], random_state=0).fit(X, y)
    assert cmi.mi_joint_ == cmi.mi_given_ == seeds[0]
    extra = ExtrapolatedMIEstimator(_Recorder(), splits=(1, 2, 4), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seeds as estimates lie on no line
        extra.fit(X, y)
    fits = [e.random_state for part in extra.estimators_ for e in part]
    assert fits == seeds


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


@pytest.mark.parametrize("analysis", ["pairwise", "lagged", "test", "mrmr"])
def test_analyses_refuse_an_estimator_with_a_conditioning_set(analysis):
    from sknmi import KSGConditionalEstimator, MRMRSelector
    from sknmi.pairwise import pairwise_mi
    from sknmi.timeseries import lagged_mi

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    est = KSGConditionalEstimator(given=[1])
    run = {
        "pairwise": lambda: pairwise_mi(X, est),
        "lagged": lambda: lagged_mi(X[:, 0], X[:, 1], [1], estimator=est),
        "test": lambda: independence_test(X, X[:, 0], est),
        "mrmr": lambda: MRMRSelector(est, n_features_to_select=1).fit(X, X[:, 0]),
    }[analysis]
    with pytest.raises(ValueError, match="given=None"):
        run()
