import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sknmi import (
    ConditionalMIEstimator,
    GaussianMIEstimator,
    KSGConditionalEstimator,
    KSGEstimator,
    NeuralMIEstimator,
)
from sknmi._validation import resolve_given
from sknmi.datasets import make_chain, make_collider, make_gaussian_conditional

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TINY = dict(hidden_layer_sizes=(16,), embedding_dim=8, max_iter=15, random_state=0)
SMALL = dict(TINY, hidden_layer_sizes=(32,), max_iter=40, learning_rate_init=3e-3)


def stacked(maker, n, **kwargs):
    X, Z, W, cmi = maker(n, random_state=0, **kwargs)
    data = np.hstack([X, W])
    return data, Z, list(range(X.shape[1], data.shape[1])), cmi


def test_resolve_given():
    g, rest = resolve_given([2, 0], 4)
    assert list(g) == [2, 0] and list(rest) == [1, 3]
    g, rest = resolve_given(np.array([True, False, False]), 3)
    assert list(g) == [0] and list(rest) == [1, 2]
    g, rest = resolve_given(None, 3)
    assert g.size == 0 and list(rest) == [0, 1, 2]
    assert list(resolve_given(1, 3)[0]) == [1]
    for bad, message in [
        ([3], "out of range"),
        ([-1], "out of range"),
        ([0, 0], "repeats"),
        ([0, 1, 2], "leaves no column"),
        ([True, False], "one entry per column"),
        ([0.5], "column indices"),
    ]:
        with pytest.raises(ValueError, match=message):
            resolve_given(bad, 3)


def test_gaussian_difference_is_the_closed_form():
    data, Z, given, cmi = stacked(
        make_gaussian_conditional, 20_000, n_features=2, cmi=1.5
    )
    est = ConditionalMIEstimator(GaussianMIEstimator(), given=given).fit(data, Z)
    assert est.mi_ == pytest.approx(cmi, abs=0.05)
    assert est.mi_ci_[0] < cmi < est.mi_ci_[1]
    assert est.mi_ == pytest.approx(est.mi_joint_ - est.mi_given_)
    assert est.estimator_given_ is not None and list(est.given_) == given
    # Conditioning on nothing is the plain MI.
    plain = ConditionalMIEstimator(GaussianMIEstimator()).fit(data[:, :2], Z)
    assert plain.mi_ == pytest.approx(GaussianMIEstimator().fit(data[:, :2], Z).mi_)
    assert plain.estimator_given_ is None and plain.mi_given_ == 0.0


def test_column_order_of_given_does_not_matter():
    data, Z, given, _ = stacked(make_collider, 2000, n_features=2)
    a = ConditionalMIEstimator(GaussianMIEstimator(), given=given).fit(data, Z)
    perm = [2, 0, 3, 1]  # W columns now at 0 and 2
    b = ConditionalMIEstimator(GaussianMIEstimator(), given=[0, 2]).fit(
        data[:, perm], Z
    )
    assert a.mi_ == pytest.approx(b.mi_)
    mask = np.array([True, False, True, False])
    c = ConditionalMIEstimator(GaussianMIEstimator(), given=mask).fit(data[:, perm], Z)
    assert c.mi_ == pytest.approx(b.mi_)


def test_neural_collider_is_positive_and_chain_near_zero():
    data, Z, given, cmi = stacked(make_collider, 3000, noise=0.5)  # cmi ~ 0.51
    est = ConditionalMIEstimator(
        NeuralMIEstimator(**SMALL), given=given, random_state=0
    ).fit(data, Z)
    assert est.mi_ci_[0] > 0.3 and abs(est.mi_ - cmi) < 0.15
    # The interval is read on 20% of held-out rows.
    assert est.estimator_joint_.n_features_in_ == 2
    data, Z, given, _ = stacked(make_chain, 3000, mi=1.0)
    est = ConditionalMIEstimator(
        NeuralMIEstimator(**TINY), given=given, random_state=0
    ).fit(data, Z)
    # The two terms' biases need not cancel exactly (about -0.06 here).
    assert abs(est.mi_) < 0.15 < est.mi_joint_
    lo, hi = est.mi_ci_
    assert lo < hi and hi - lo < 0.3


def test_neural_score_is_the_difference_of_scores_and_deterministic():
    data, Z, given, _ = stacked(make_collider, 600)
    est = ConditionalMIEstimator(
        NeuralMIEstimator(**TINY), given=given, random_state=0
    ).fit(data, Z)
    s = est.score(data[:200], Z[:200])
    assert s == est.score(data[:200], Z[:200])
    expected = est.estimator_joint_.score(data[:200], Z[:200]) - (
        est.estimator_given_.score(data[:200, given], Z[:200])
    )
    assert s == pytest.approx(expected)
    # random_state reaches the clones whose own random_state is None.
    free = ConditionalMIEstimator(
        NeuralMIEstimator(**{**TINY, "random_state": None}),
        given=given,
        random_state=3,
    )
    assert free.fit(data, Z).mi_ == clone(free).fit(data, Z).mi_
    assert free.estimator.random_state is None


def test_class_labels_as_z():
    rng = np.random.default_rng(0)
    w = rng.standard_normal(1000)
    x = w + 0.5 * rng.standard_normal(1000)
    labels = np.where(x > 0, "pos", "neg")  # labels depend on x beyond w
    data = np.column_stack([x, w])
    est = ConditionalMIEstimator(KSGEstimator(random_state=0), given=[1]).fit(
        data, labels
    )
    assert est.classes_.tolist() == ["neg", "pos"] and est.mi_ > 0.1
    neural = ConditionalMIEstimator(
        NeuralMIEstimator(**TINY), given=[1], random_state=0
    ).fit(data, labels)
    assert np.isfinite(neural.mi_) and np.isfinite(neural.score(data, labels))


def test_grid_search_over_nested_parameters():
    data, Z, given, _ = stacked(make_collider, 400)
    search = GridSearchCV(
        ConditionalMIEstimator(NeuralMIEstimator(**TINY), given=given, random_state=0),
        {"estimator__hidden_layer_sizes": [(4,), (8,)]},
        cv=2,
    ).fit(data, Z)
    assert search.best_params_["estimator__hidden_layer_sizes"] in [(4,), (8,)]


def test_bad_input():
    data, Z, given, _ = stacked(make_collider, 100)
    with pytest.raises(ValueError, match="leaves no column"):
        ConditionalMIEstimator(GaussianMIEstimator(), given=[0, 1]).fit(data, Z)
    with pytest.raises(ValueError, match="out of range"):
        ConditionalMIEstimator(GaussianMIEstimator(), given=[5]).fit(data, Z)
    with pytest.raises(ValueError, match="test_fraction"):
        ConditionalMIEstimator(
            NeuralMIEstimator(**TINY), given=[1], test_fraction=0.8
        ).fit(data[:8], Z[:8])
    with pytest.raises(ValueError):
        ConditionalMIEstimator(given="w").fit(data, Z)
    with pytest.raises(ValueError, match="Found input variables"):
        ConditionalMIEstimator(GaussianMIEstimator(), given=[1]).fit(data, Z[:50])


# -- Frenzel–Pompe ------------------------------------------------------------


def test_ksg_conditional_without_given_is_ksg():
    X, Z, _, _ = make_collider(500, n_features=2, random_state=0)
    a = KSGConditionalEstimator(n_neighbors=4, random_state=1).fit(X, Z)
    b = KSGEstimator(n_neighbors=4, random_state=1).fit(X, Z)
    assert a.mi_ == pytest.approx(b.mi_, abs=1e-9)
    assert a.mi_ci_ == pytest.approx(b.mi_ci_, abs=1e-9)


@pytest.mark.parametrize(
    "maker, kwargs, tol",
    [
        (make_gaussian_conditional, dict(cmi=0.5), 0.06),
        (make_collider, dict(noise=1.0), 0.04),
        (make_chain, dict(mi=1.0, transform="cubic"), 0.04),
    ],
)
def test_ksg_conditional_recovers_the_truth(maker, kwargs, tol):
    data, Z, given, cmi = stacked(maker, 3000, **kwargs)
    est = KSGConditionalEstimator(given=given, random_state=0).fit(data, Z)
    assert est.mi_ == pytest.approx(cmi, abs=tol)
    assert list(est.given_) == given
    assert est.score(data, Z) == pytest.approx(est.mi_)


def test_ksg_conditional_bad_input():
    data, Z, given, _ = stacked(make_collider, 20)
    with pytest.raises(ValueError, match="n_neighbors"):
        KSGConditionalEstimator(n_neighbors=30, given=given).fit(data, Z)
    with pytest.raises(ValueError, match="1 feature"):
        KSGConditionalEstimator(given=[0]).fit(data[:, :1], Z)


def test_ensemble_averages_pairs_and_widens_the_interval():
    data, Z, given, _ = stacked(make_collider, 600)
    one = ConditionalMIEstimator(
        NeuralMIEstimator(**TINY), given=given, random_state=0
    ).fit(data, Z)
    three = ConditionalMIEstimator(
        NeuralMIEstimator(**TINY), given=given, n_estimators=3, random_state=0
    ).fit(data, Z)
    assert len(three.estimators_) == 3 and three.mi_estimates_.shape == (3,)
    assert three.mi_ == pytest.approx(three.mi_estimates_.mean())
    # The seeds differ (the estimator's own random_state=0 is overridden).
    assert len(set(three.mi_estimates_.round(10))) == 3
    assert one.mi_estimates_.shape == (1,) and one.mi_ == one.mi_estimates_[0]
    # Held-out sampling noise plus the spread of the three pairs.
    lo, hi = three.mi_ci_
    assert (hi - lo) / 2 >= 1.96 * three.mi_estimates_.std(ddof=1) / np.sqrt(3)
    s = three.score(data[:100], Z[:100])
    expected = np.mean(
        [
            j.score(data[:100], Z[:100]) - g.score(data[:100, given], Z[:100])
            for j, g in three.estimators_
        ]
    )
    assert s == pytest.approx(expected)
