import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_selection import SelectKBest, SelectPercentile
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknmi import (
    GaussianMIEstimator,
    KSGConditionalEstimator,
    KSGEstimator,
    NeuralMIEstimator,
)
from sknmi.feature_selection import MRMRSelector, _conditional, mi_scorer, mi_scores

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


def _with_copy(n=500, seed=0):
    """X0 relevant, X1 a near copy of X0, X2 relevant on its own, X3 noise."""
    rng = np.random.default_rng(seed)
    a, b, noise = rng.standard_normal((3, n))
    X = np.column_stack([a, a + 0.05 * rng.standard_normal(n), b, noise])
    y = a + 0.7 * b + 0.3 * rng.standard_normal(n)
    return X, y


@pytest.fixture(scope="module")
def with_copy():
    return _with_copy()


def test_mrmr_skips_the_redundant_copy(with_copy):
    X, y = with_copy
    ksg = KSGEstimator(random_state=0)
    # Ranking by relevance alone spends k=2 on the feature and its copy.
    top2 = SelectKBest(mi_scorer(ksg), k=2).fit(X, y)
    assert top2.get_support().nonzero()[0].tolist() == [0, 1]
    select = MRMRSelector(ksg, n_features_to_select=2).fit(X, y)
    first, second = select.selected_features_
    assert first in (0, 1) and second == 2
    assert select.support_.nonzero()[0].tolist() == sorted([first, 2])
    np.testing.assert_array_equal(select.relevance_, mi_scores(X, y, estimator=ksg))
    # Only the pairs with the first choice were needed.
    red = select.redundancy_
    fitted = ~np.isnan(red)
    assert fitted[first].sum() == 3 and fitted.sum() == 6
    np.testing.assert_array_equal(red, red.T)
    other = 1 - first
    assert red[first, other] > 2.0 and abs(red[first, 2]) < 0.1
    assert select.scores_[0] == select.relevance_[first]
    assert select.scores_[1] == pytest.approx(select.relevance_[2] - red[2, first])
    np.testing.assert_array_equal(select.transform(X), X[:, sorted([first, 2])])


class _CountingGaussian(GaussianMIEstimator):
    fits = []  # the shapes of (X, y) of every fit, in this process

    def fit(self, X, y):
        type(self).fits.append((np.shape(X), np.shape(y)))
        return super().fit(X, y)


def test_mrmr_fits_each_pair_once(with_copy):
    X, y = with_copy
    _CountingGaussian.fits = []
    MRMRSelector(_CountingGaussian(), n_features_to_select=3).fit(X, y)
    n = len(X)
    # 4 relevances, then 3 and 2 redundancies against the feature chosen
    # last; recomputing every chosen pair at each step would be 4 + 3 + 4.
    assert _CountingGaussian.fits == [((n, 1), (n,))] * 4 + [((n, 1), (n, 1))] * 5


def test_mrmr_conditional_sees_what_a_feature_adds():
    # y is the small part e of X1 = z + e; X0 = z reveals it only together
    # with X1, and X2 is a noisy y. MID counts X0 as redundant with X1 and
    # picks noise instead; the conditional criterion I(X0; y | X1, X2) sees it.
    rng = np.random.default_rng(0)
    z, e = rng.standard_normal((2, 1000))
    e *= 0.5
    y = e + 0.05 * rng.standard_normal(1000)
    X = np.column_stack(
        [z, z + e, y + 0.5 * rng.standard_normal(1000), rng.standard_normal(1000)]
    )
    mid = MRMRSelector(n_features_to_select=3, random_state=0).fit(X, y)
    assert not mid.support_[:2].all()
    cond = MRMRSelector(n_features_to_select=3, conditional=True, random_state=0)
    cond.fit(X, y)
    assert cond.support_.tolist() == [True, True, True, False]
    assert cond.selected_features_[0] == 2 and cond.redundancy_ is None
    assert cond.scores_[2] > 0.4  # the last of the pair, given the other


def test_mrmr_conditional_skips_the_copy(with_copy):
    X, y = with_copy
    select = MRMRSelector(
        GaussianMIEstimator(), n_features_to_select=2, conditional=True
    ).fit(X, y)
    assert select.selected_features_[1] == 2
    assert select.scores_[1] > 0.5  # I(X2; y | X0): b explains much of the rest


def test_mrmr_class_labels_and_discrete_z(with_copy):
    X, y = with_copy
    codes = np.digitize(y, [-1.0, 0.0, 1.0])
    as_text = np.array(["low", "mid-low", "mid-high", "high"])[codes]
    by_codes = MRMRSelector(n_features_to_select=2, random_state=0).fit(X, codes)
    by_text = MRMRSelector(n_features_to_select=2, random_state=0).fit(X, as_text)
    assert by_codes.selected_features_[1] == 2
    np.testing.assert_array_equal(by_codes.relevance_, by_text.relevance_)
    # Float class codes read as classes by the user's estimator; the
    # redundancies stay between continuous columns (read as classes, each
    # value of a column would be a class of one row and the fit would fail).
    floats = MRMRSelector(
        KSGEstimator(discrete_z=True), n_features_to_select=2, random_state=0
    ).fit(X, codes.astype(float))
    np.testing.assert_array_equal(floats.relevance_, by_codes.relevance_)
    np.testing.assert_array_equal(floats.scores_, by_codes.scores_)


@pytest.mark.slow  # worker processes that import torch: about 10 s
def test_mrmr_n_jobs_gives_the_same_selection():
    # Values rounded to 0.1: ties, which KSG breaks with a random jitter, so
    # that each fit's seed shows in its estimate.
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((3, 200))
    X = np.round(np.column_stack([a, a + 0.3 * c, b, c]), 1)
    y = a + 0.7 * b
    for conditional in (False, True):
        kwargs = dict(n_features_to_select=3, conditional=conditional, random_state=0)
        serial = MRMRSelector(**kwargs).fit(X, y)
        parallel = MRMRSelector(n_jobs=2, **kwargs).fit(X, y)
        for name in ("selected_features_", "scores_", "relevance_"):
            np.testing.assert_array_equal(
                getattr(serial, name), getattr(parallel, name), err_msg=name
            )
        # The seeds come from random_state: another one changes the estimates.
        other = MRMRSelector(**dict(kwargs, random_state=1)).fit(X, y)
        assert not np.array_equal(serial.scores_, other.scores_)


@pytest.mark.parametrize(
    "n_features_to_select, expected",
    [("auto", 2), (1, 1), (4, 4), (0.5, 2), (0.1, 1), (1.0, 4)],
)
def test_mrmr_n_features_to_select(with_copy, n_features_to_select, expected):
    X, y = with_copy
    select = MRMRSelector(
        GaussianMIEstimator(), n_features_to_select=n_features_to_select
    ).fit(X[:100], y[:100])
    assert select.n_features_to_select_ == expected == select.support_.sum()
    assert len(select.selected_features_) == len(set(select.selected_features_))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(n_features_to_select=0), "n_features_to_select"),
        (dict(n_features_to_select=-1), "n_features_to_select"),
        (dict(n_features_to_select=1.5), "n_features_to_select"),
        (dict(n_features_to_select=0.0), "n_features_to_select"),
        (dict(n_features_to_select="half"), "n_features_to_select"),
        (dict(n_features_to_select=5), r"n_features_to_select=5 is more .*=4\)"),
        (dict(estimator=LinearRegression()), "needs an MI estimator"),
        (dict(estimator=KSGConditionalEstimator(given=[0])), "given=None"),
        (dict(conditional="yes"), "conditional"),
    ],
)
def test_mrmr_bad_parameters(with_copy, params, message):
    X, y = with_copy
    select = MRMRSelector(**params)
    with pytest.raises(ValueError, match=message):
        select.fit(X, y)
    assert not hasattr(select, "support_")


def test_mrmr_in_a_grid_search_pickles_and_leaves_its_estimator_alone(with_copy):
    X, y = with_copy
    labels = (y > 0).astype(int)
    ksg = KSGEstimator()
    pipe = make_pipeline(
        MRMRSelector(ksg, random_state=0), StandardScaler(), LogisticRegression()
    )
    search = GridSearchCV(pipe, {"mrmrselector__n_features_to_select": [1, 2]}, cv=3)
    search.fit(X, labels)
    assert search.best_params_ == {"mrmrselector__n_features_to_select": 2}
    selector = search.best_estimator_[0]
    assert selector.support_[2] and selector.support_[:2].sum() == 1
    assert ksg.get_params() == KSGEstimator().get_params()
    assert not hasattr(ksg, "mi_")
    again = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(again.predict(X), search.predict(X))


def test_mrmr_feature_names(with_copy):
    pd = pytest.importorskip("pandas")
    X, y = with_copy
    frame = pd.DataFrame(X, columns=["a", "a_copy", "b", "noise"])
    select = MRMRSelector(n_features_to_select=2, random_state=0).fit(frame, y)
    kept = select.get_feature_names_out().tolist()
    assert kept in (["a", "b"], ["a_copy", "b"])
    assert (
        select.set_output(transform="pandas").transform(frame).columns.tolist() == kept
    )
    assert clone(select).get_params() == select.get_params()


def test_mrmr_with_the_neural_estimator_labels_its_warnings(with_copy):
    X, y = with_copy
    # Two epochs: too few to learn, which the estimator says in a warning
    # that names the fit it came from.
    est = NeuralMIEstimator(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    named = r"^MRMRSelector, (relevance of column|redundancy of columns \d and) \d: "
    with pytest.warns(UserWarning, match=named + "NeuralMIEstimator"):
        select = MRMRSelector(est, n_features_to_select=2).fit(X[:200], y[:200])
    assert select.support_.sum() == 2 and np.isfinite(select.scores_).all()
    assert not hasattr(est, "mi_")
