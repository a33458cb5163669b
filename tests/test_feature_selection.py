import pickle

import numpy as np
import pytest
from sklearn.feature_selection import SelectKBest, SelectPercentile

from sknmi import GaussianMIEstimator, KSGEstimator, NeuralMIEstimator
from sknmi.feature_selection import _conditional, mi_scorer, mi_scores

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def xor():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (800, 4))
    y = np.sign(X[:, 0] * X[:, 1]) + 0.5 * X[:, 3] + 0.1 * rng.standard_normal(800)
    return X, y


def test_univariate_scores_match_ksg_per_column(xor):
    X, y = xor
    scores = mi_scores(X, y, estimator=KSGEstimator(random_state=0))
    assert scores.shape == (4,)
    for j in range(4):
        expected = KSGEstimator(random_state=0).fit(X[:, [j]], y).mi_
        assert scores[j] == pytest.approx(expected)
    assert np.argmax(scores) == 3  # the XOR pair is invisible alone
    assert max(scores[0], scores[1]) < 0.1


def test_conditional_and_group_scores_see_the_interaction(xor):
    X, y = xor
    cond = mi_scores(X, y, conditional=True)
    assert min(cond[0], cond[1]) > 0.3 and abs(cond[2]) < 0.1
    grouped = mi_scores(X, y, groups=[[0, 1]])
    assert grouped[0] == grouped[1] > 0.5
    assert abs(grouped[2]) < 0.1
    # A group with every column has nothing to condition on: its plain MI.
    everything = mi_scores(
        X,
        y,
        estimator=KSGEstimator(random_state=0),
        groups=[[0, 1, 2, 3]],
        conditional=True,
    )
    assert np.all(everything == everything[0])
    assert everything[0] == pytest.approx(KSGEstimator(random_state=0).fit(X, y).mi_)


def test_selectors_pickle_and_select(xor):
    X, y = xor
    select = SelectKBest(mi_scorer(conditional=True), k=2).fit(X, y)
    assert select.get_support().nonzero()[0].tolist() == [0, 1]
    again = pickle.loads(pickle.dumps(select))
    np.testing.assert_array_equal(again.transform(X[:5]), X[:5, :2])
    pct = SelectPercentile(mi_scorer(groups=[[0, 1]]), percentile=75).fit(X, y)
    assert pct.get_support().nonzero()[0].tolist() == [0, 1, 3]


def test_other_estimators_and_labels(xor):
    X, y = xor
    gauss = mi_scores(X, y, estimator=GaussianMIEstimator(), conditional=True)
    assert np.argmax(gauss) == 3  # a linear model misses the XOR
    labels = np.where(X[:, 0] * X[:, 1] > 0, "same", "differ")
    neural = mi_scores(
        X[:400],
        labels[:400],
        groups=[[0, 1]],
        estimator=NeuralMIEstimator(
            hidden_layer_sizes=(16,),
            max_iter=30,
            learning_rate_init=3e-3,
            random_state=0,
        ),
    )
    assert neural[0] > 0.2 and neural[0] > neural[2]


@pytest.mark.parametrize(
    "groups, message",
    [
        ([[0, 5]], "out of range"),
        ([[0, 0]], "repeats"),
        ([[0, 1], [1, 2]], "more than one group"),
        ([[]], "non-empty"),
    ],
)
def test_bad_groups(xor, groups, message):
    X, y = xor
    with pytest.raises(ValueError, match=message):
        mi_scores(X, y, groups=groups)


def test_bad_input(xor):
    X, y = xor
    with pytest.raises(ValueError, match="inconsistent"):
        mi_scores(X, y[:-1])


def test_conditional_ksg_keeps_discrete_z():
    # A user's KSGEstimator(discrete_z=...) keeps its reading of y when
    # mi_scores builds the conditional estimator from it.
    for discrete_z in (True, False):
        est = _conditional(KSGEstimator(discrete_z=discrete_z, random_state=3), [1])
        assert est.discrete_z is discrete_z and est.random_state == 3
