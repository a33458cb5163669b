import math
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
from sklearn.model_selection import GridSearchCV

from sknmi import GaussianMIEstimator, KSGEstimator
from sknmi.datasets import make_gaussian, make_gaussian_covariance
from sknmi.exceptions import DegenerateDependenceWarning

# -- KSG ----------------------------------------------------------------------------


def test_ksg_close_to_analytic_mi_of_2d_gaussian():
    X, Z, mi = make_gaussian(n_samples=5000, n_features=2, mi=1.0, random_state=0)
    est = KSGEstimator(random_state=0).fit(X, Z)
    assert abs(est.mi_ - mi) < 0.05
    low, high = est.mi_ci_
    assert low < est.mi_ < high and high - low < 0.2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ksg_matches_sklearn_on_1d_pairs(seed):
    X, Z, _ = make_gaussian(
        n_samples=1000, n_features=1, mi=0.4, transform="cubic", random_state=seed
    )
    ours = KSGEstimator(n_neighbors=4, random_state=seed).fit(X, Z.ravel()).mi_
    theirs = mutual_info_regression(X, Z.ravel(), n_neighbors=4, random_state=seed)[0]
    assert ours == pytest.approx(theirs, abs=1e-10)


def test_ksg_with_labels_matches_mutual_info_classif():
    rng = np.random.default_rng(0)
    labels = rng.choice(np.array(["a", "b", "c"]), size=800)
    X = (labels == "b")[:, None] * 1.5 + rng.standard_normal((800, 1))
    est = KSGEstimator(random_state=0).fit(X, labels)
    theirs = mutual_info_classif(X, labels, random_state=0)[0]
    assert est.mi_ == pytest.approx(theirs, abs=1e-10)
    assert list(est.classes_) == ["a", "b", "c"]
    assert est.score(X, labels) == pytest.approx(est.mi_)


def test_ksg_near_zero_for_independent_data_and_not_clipped():
    rng = np.random.default_rng(0)
    X, Z = rng.standard_normal((2000, 2)), rng.standard_normal((2000, 3))
    est = KSGEstimator(random_state=0).fit(X, Z)
    assert abs(est.mi_) < 0.03
    assert est.mi_ci_[0] < 0 < est.mi_ci_[1]


def test_ksg_invariant_to_feature_scaling_and_deterministic():
    X, Z, _ = make_gaussian(n_samples=500, n_features=2, mi=1.0, random_state=3)
    a = KSGEstimator(random_state=0).fit(X, Z).mi_
    b = KSGEstimator(random_state=0).fit(X * [10.0, 0.1], Z * 1e3).mi_
    assert a == pytest.approx(b, abs=1e-8)
    assert KSGEstimator(random_state=0).fit(X, Z).score(X, Z) == a


def test_ksg_chunks_give_the_same_answer(monkeypatch):
    import sknmi.baselines as baselines

    X, Z, _ = make_gaussian(n_samples=700, n_features=3, mi=1.0, random_state=4)
    whole = KSGEstimator(random_state=0).fit(X, Z).mi_
    monkeypatch.setattr(baselines, "_CHUNK", 64)
    assert KSGEstimator(random_state=0).fit(X, Z).mi_ == pytest.approx(whole, abs=1e-12)


def test_ksg_needs_more_rows_than_neighbours():
    with pytest.raises(ValueError, match="n_neighbors=5"):
        KSGEstimator(n_neighbors=5).fit(np.arange(8.0).reshape(4, 2), np.ones((4, 1)))


# -- Gaussian -----------------------------------------------------------------------


@pytest.mark.parametrize("covariance", ["dense", "sparse"])
def test_gaussian_estimator_exact_up_to_sampling_error(covariance):
    X, Z, mi = make_gaussian_covariance(
        20_000, n_x=4, n_z=3, mi=2.0, covariance=covariance, n_pairs=2, random_state=0
    )
    est = GaussianMIEstimator().fit(X, Z)
    half = (est.mi_ci_[1] - est.mi_ci_[0]) / 2
    assert abs(est.mi_ - mi) < half  # within the 95% interval
    assert half < 0.03


def test_gaussian_estimator_bias_correction_removes_bias():
    # Many small samples: the corrected mean lands on the truth, the plug-in above.
    d, n, mi = 5, 60, 1.0
    plug, corrected = [], []
    for seed in range(300):
        X, Z, _ = make_gaussian(n, d, mi, random_state=seed)
        plug.append(GaussianMIEstimator(bias_correction=False).fit(X, Z).mi_)
        corrected.append(GaussianMIEstimator().fit(X, Z).mi_)
    se = np.std(corrected) / math.sqrt(len(corrected))
    assert abs(np.mean(corrected) - mi) < 3 * se
    assert np.mean(plug) - mi > 0.1  # about d^2 / (2 n) = 0.21


def test_gaussian_estimator_interval_coverage():
    covered = 0
    for seed in range(100):
        X, Z, mi = make_gaussian(500, 2, 1.0, random_state=seed)
        low, high = GaussianMIEstimator().fit(X, Z).mi_ci_
        covered += low < mi < high
    assert covered >= 88  # nominal 95; binomial sd about 2


def test_gaussian_estimator_handles_constant_and_collinear_columns():
    X, Z, mi = make_gaussian(3000, 2, 1.0, random_state=0)
    wide = np.column_stack([X, X[:, 0] + X[:, 1], np.ones(len(X))])
    a = GaussianMIEstimator().fit(X, Z)
    b = GaussianMIEstimator().fit(wide, Z)
    assert b.mi_ == pytest.approx(a.mi_, abs=1e-3)
    assert len(b.canonical_correlations_) == 2
    assert GaussianMIEstimator().fit(np.ones((10, 1)), Z[:10]).mi_ == 0.0


def test_gaussian_estimator_infinite_for_a_linear_relation():
    X = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.warns(DegenerateDependenceWarning, match="infinite"):
        assert GaussianMIEstimator().fit(X, X @ [1.0, -2.0]).mi_ == math.inf


def test_gaussian_estimator_needs_more_rows_than_columns():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="more rows"):
        GaussianMIEstimator().fit(
            rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
        )


# -- shared behaviour -----------------------------------------------------------------


@pytest.mark.parametrize("est", [KSGEstimator(random_state=0), GaussianMIEstimator()])
def test_baselines_behave_like_estimators(est):
    X, Z, _ = make_gaussian(400, 2, 0.5, random_state=0)
    with pytest.raises(NotFittedError):
        clone(est).score(X, Z)
    X_before, Z_before = X.copy(), Z.copy()
    fitted = clone(est).fit(X, Z)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Z, Z_before)
    again = pickle.loads(pickle.dumps(fitted))
    assert again.score(X, Z) == fitted.score(X, Z)
    search = GridSearchCV(clone(est), {}, cv=2).fit(X, Z)
    assert np.isfinite(search.best_score_)


# -- scale-free arithmetic and exact dependence (issue 13) -----------------------------

BASELINES = [KSGEstimator(random_state=0), GaussianMIEstimator()]


@pytest.fixture(scope="module")
def noisy_copy():
    # Z = X[:, :1] + 0.5 noise: I(X; Z) = log(1 + 4) / 2 = 0.80 nats.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 2))
    return X, X[:, :1] + 0.5 * rng.standard_normal((500, 1))


@pytest.mark.parametrize("est", BASELINES, ids=["ksg", "gaussian"])
@pytest.mark.parametrize("scale", [1e-200, 1e-150, 1e150, 1e200])
def test_baselines_do_not_depend_on_the_units(est, scale, noisy_copy):
    X, Z = noisy_copy
    reference = clone(est).fit(X, Z).mi_
    assert 0.7 < reference < 0.9
    assert clone(est).fit(X * scale, Z * scale).mi_ == pytest.approx(
        reference, abs=1e-9
    )
    # one column at its own scale
    assert clone(est).fit(X * [scale, 1.0], Z).mi_ == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize("est", BASELINES, ids=["ksg", "gaussian"])
def test_baselines_do_not_depend_on_an_offset(est, noisy_copy):
    X, Z = noisy_copy
    Xs, Zs = X + 1e12, Z - 1e12  # rounded to steps of 1.2e-4 there
    shifted = clone(est).fit(Xs, Zs).mi_
    # the same rounded values shifted back (exactly) give the same estimate
    back = clone(est).fit(Xs - 1e12, Zs + 1e12).mi_
    assert shifted == pytest.approx(back, abs=1e-9)
    assert shifted == pytest.approx(clone(est).fit(X, Z).mi_, abs=1e-3)


def test_ksg_one_huge_outlier_does_not_flatten_the_rest(noisy_copy):
    X, Z = noisy_copy
    reference = KSGEstimator(random_state=0).fit(X, Z).mi_
    for value in (1e300, -1e300, 1e30):
        X_out = X.copy()
        X_out[0, 0] = value
        assert KSGEstimator(random_state=0).fit(X_out, Z).mi_ == pytest.approx(
            reference, abs=0.02
        )


@pytest.mark.parametrize("est", BASELINES, ids=["ksg", "gaussian"])
def test_tiny_columns_are_data_and_constant_columns_are_not(est, noisy_copy):
    X, Z = noisy_copy
    reference = clone(est).fit(X, Z).mi_
    tiny = clone(est).fit(X * 1e-13, Z * 1e-13).mi_
    assert tiny == pytest.approx(reference, abs=1e-9)
    # spread 1e-13 around 1: a few hundred ulps, still data
    assert (
        clone(est).fit(np.column_stack([1.0 + X[:, 0] * 1e-13, X[:, 1]]), Z).mi_ > 0.5
    )
    # a "constant" that differs in its last bit is constant
    rng = np.random.default_rng(1)
    ulp = np.where(rng.random(len(X)) < 0.5, 0.1 + 0.2, 0.3)
    assert np.ptp(ulp) > 0
    with_ulp = clone(est).fit(np.column_stack([X, ulp]), Z).mi_
    assert with_ulp == pytest.approx(reference, abs=0.05)


@pytest.mark.parametrize("est", BASELINES, ids=["ksg", "gaussian"])
@pytest.mark.parametrize(
    "relation",
    [
        lambda X: X[:, :1],
        lambda X: 3.0 * X[:, 1] - 7.0,
        lambda X: np.column_stack([X[:, 0] + X[:, 1], np.sin(X[:, 0])]),
        lambda X: (X[:, :1] - 1e3) * 1e-150,
    ],
    ids=["copy", "affine", "sum", "copy-rescaled"],
)
def test_exact_dependence_is_infinite_with_a_warning(est, relation):
    X = np.random.default_rng(2).standard_normal((300, 2))
    with pytest.warns(DegenerateDependenceWarning, match="infinite"):
        fitted = clone(est).fit(X, relation(X))
    assert fitted.mi_ == math.inf and fitted.mi_ci_ == (math.inf, math.inf)


@pytest.mark.parametrize("est", BASELINES, ids=["ksg", "gaussian"])
def test_strong_but_noisy_dependence_is_finite_and_silent(est, recwarn):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 2))
    mi = clone(est).fit(X, X[:, :1] + 1e-3 * rng.standard_normal((300, 1))).mi_
    assert math.isfinite(mi) and mi > 2  # KSG: about 2.3, its bias at 300 rows
    assert not [w for w in recwarn if w.category is DegenerateDependenceWarning]


def test_ksg_labels_equal_to_a_column_are_finite(recwarn):
    labels = np.random.default_rng(4).integers(0, 3, 300)
    X = np.column_stack([labels, np.random.default_rng(5).standard_normal(300)])
    mi = KSGEstimator(random_state=0).fit(X, labels).mi_
    assert 0.5 < mi < math.log(3) + 0.1
    assert not [w for w in recwarn if w.category is DegenerateDependenceWarning]
