import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import ndtri

from sknmi.baselines import GaussianMIEstimator
from sknmi.datasets import (
    invariance_mi,
    make_gaussian,
    make_gaussian_covariance,
    make_invariance,
    make_sparse_gaussian,
    make_staircase,
    make_student_t,
    make_transformed_gaussian,
)
from sknmi.metrics import gaussian_mi


def test_make_gaussian_keeps_its_behaviour():
    X, Z, mi = make_gaussian(n_samples=20_000, n_features=3, mi=1.5, random_state=0)
    rho = math.sqrt(1 - math.exp(-2 * 1.5 / 3))
    corr = np.corrcoef(X.T, Z.T)[:3, 3:]
    np.testing.assert_allclose(np.diag(corr), rho, atol=0.02)
    assert mi == 1.5


@pytest.mark.parametrize("covariance", ["dense", "sparse"])
def test_gaussian_covariance_has_the_requested_mi(covariance):
    X, Z, mi = make_gaussian_covariance(
        50_000, n_x=5, n_z=3, mi=2.0, covariance=covariance, n_pairs=2, random_state=1
    )
    assert mi == pytest.approx(2.0)
    sample = gaussian_mi(np.cov(np.hstack([X, Z]).T), 5)
    assert sample == pytest.approx(mi, abs=0.03)
    cross = np.cov(np.hstack([X, Z]).T)[:5, 5:]
    nonzero = np.sum(np.abs(cross) > 0.05)
    if covariance == "sparse":
        assert nonzero == 2
    else:
        assert nonzero > 10


def test_gaussian_covariance_given_matrix_and_transform():
    cov = np.array([[2.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.5]])
    X, Z, mi = make_gaussian_covariance(
        40_000, n_x=1, covariance=cov, transform="cubic", random_state=0
    )
    assert mi == pytest.approx(gaussian_mi(cov, 1))
    assert X.shape == (40_000, 1) and Z.shape == (40_000, 2)
    np.testing.assert_allclose(np.cov(np.hstack([X, np.cbrt(Z)]).T), cov, atol=0.05)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(covariance=np.eye(2), n_x=2), "wider than n_x"),
        (dict(covariance=np.eye(3), n_x=1, n_z=1), "does not match"),
        (dict(covariance=[[1.0, 2.0], [2.0, 1.0]], n_x=1), "positive definite"),
        (dict(covariance="sparse", n_x=2, n_z=2, n_pairs=3), "n_pairs"),
    ],
)
def test_gaussian_covariance_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_gaussian_covariance(10, **kwargs)


@pytest.mark.parametrize("sigma", [0.05, 0.3, 1.0, 4.0])
def test_invariance_truth_matches_analytic_for_linear(sigma):
    expected = 0.5 * math.log1p(1 / sigma**2)
    assert invariance_mi("linear", sigma, x_distribution="normal") == pytest.approx(
        expected, abs=1e-6
    )


def test_invariance_truth_small_noise_limit_and_resolution():
    # For small sigma, I -> h(f(X)) - log(2 pi e sigma^2) / 2 with X ~ U(-1, 1):
    # h(X) = log 2 and h(sin X) = log 2 + E log cos X. Smoothing by the noise only
    # adds entropy, so the x**3 truth lies above its limit log 6 - 2 (its density
    # is singular at 0, where the noise matters most). The edges of the signal's
    # law add O(sigma) entropy, more for sin, whose density jumps higher there.
    sigma = 0.01
    gauss = 0.5 * math.log(2 * math.pi * math.e * sigma**2)
    linear = invariance_mi("linear", sigma)
    assert linear == pytest.approx(math.log(2) - gauss, abs=0.01)
    e_log_cos = quad(lambda x: math.log(math.cos(x)), 0, 1)[0]
    sin = invariance_mi("sin", sigma)
    assert sin == pytest.approx(math.log(2) + e_log_cos - gauss, abs=0.03)
    assert invariance_mi("cubic", sigma) > math.log(6) - 2 - gauss
    coarse = invariance_mi("sin", 0.2)
    fine = invariance_mi("sin", 0.2, n_nodes=20_000)
    assert coarse == pytest.approx(fine, abs=1e-5)


def test_invariance_truth_against_monte_carlo():
    # I = E[log p(y|x) - log p(y)] with p(y) from the quadrature nodes.
    X, Y, mi = make_invariance("sin", sigma=0.3, n_samples=4000, random_state=0)
    x = np.linspace(-1, 1, 4001)
    s = np.sin((x[1:] + x[:-1]) / 2)
    y = Y.ravel()
    log_cond = -0.5 * ((y - np.sin(X.ravel())) / 0.3) ** 2
    log_marg = np.log(np.exp(-0.5 * ((y[:, None] - s) / 0.3) ** 2).mean(1))
    terms = log_cond - log_marg
    assert abs(terms.mean() - mi) < 4 * terms.std() / math.sqrt(len(terms))


def test_make_invariance_draws_the_model():
    X, Y, mi = make_invariance("cubic", sigma=0.5, n_samples=20_000, random_state=0)
    assert X.shape == Y.shape == (20_000, 1)
    assert X.min() >= -1 and X.max() <= 1
    residual = Y - X**3
    assert residual.std() == pytest.approx(0.5, rel=0.02)
    assert mi == pytest.approx(invariance_mi("cubic", 0.5))


def test_same_signal_makes_the_truth_independent_of_f():
    truths = []
    for f in ("linear", "cubic", "sin"):
        X, Y, mi = make_invariance(f, 0.2, 5000, same_signal=True, random_state=0)
        truths.append(mi)
        signal = {"linear": X, "cubic": X**3, "sin": np.sin(X)}[f]
        assert signal.min() >= -1 and signal.max() <= 1
        assert abs(signal.mean()) < 0.05
        assert signal.var() == pytest.approx(1 / 3, rel=0.05)
    assert truths[0] == truths[1] == truths[2] == invariance_mi("linear", 0.2)
    differ = [invariance_mi(f, 0.2) for f in ("linear", "cubic", "sin")]
    assert max(differ) - min(differ) > 0.2


def test_make_invariance_callable_and_errors():
    X, Y, mi = make_invariance(np.tanh, 0.3, 100, random_state=0)
    assert mi == pytest.approx(invariance_mi(np.tanh, 0.3))
    with pytest.raises(ValueError, match="same_signal"):
        make_invariance(np.tanh, 0.3, 10, same_signal=True)
    with pytest.raises(ValueError, match="same shape"):
        make_invariance(lambda x: x[:-1], 0.3, 10)
    with pytest.raises(ValueError):
        make_invariance("linear", 0.0, 10)


def test_staircase():
    steps = make_staircase(
        levels=(2, 6), n_samples=30_000, n_features=4, random_state=0
    )
    assert [mi for _, _, mi in steps] == [2.0, 6.0]
    for X, Z, mi in steps:
        assert X.shape == Z.shape == (30_000, 4)
        sample_mi = gaussian_mi(np.cov(np.hstack([X, Z]).T), 4)
        assert sample_mi == pytest.approx(mi, rel=0.02)
    again = make_staircase(
        levels=(2, 6), n_samples=30_000, n_features=4, random_state=0
    )
    np.testing.assert_array_equal(steps[1][0], again[1][0])
    with pytest.raises(ValueError, match="levels"):
        make_staircase(levels=(-1,))


def test_student_t_mi_matches_the_quoted_value_and_limits():
    # Issue 12 quotes a truth of 0.43 for dof 1 in 2 + 2 dimensions.
    assert make_student_t(2, 2, 2, dof=1, random_state=0)[2] == pytest.approx(
        0.4319456, abs=1e-6
    )
    mis = [make_student_t(2, 3, 2, dof=dof, random_state=0)[2] for dof in (1, 5, 1e3)]
    assert mis[0] > mis[1] > mis[2] > 0
    assert mis[2] < 1e-5  # the Gaussian limit: uncorrelated means independent


@pytest.mark.parametrize("dof, n_x, n_z", [(1, 2, 2), (3, 1, 2)])
def test_student_t_mi_against_monte_carlo_of_log_densities(dof, n_x, n_z):
    # I = E[log p(x, z) - log p(x) - log p(z)] with scipy's densities, on the
    # generator's own sample (checks the sampler and the closed form).
    from scipy.stats import multivariate_t

    X, Z, mi = make_student_t(20_000, n_x, n_z, dof=dof, random_state=0)
    joint = multivariate_t(np.zeros(n_x + n_z), np.eye(n_x + n_z), df=dof)
    px = multivariate_t(np.zeros(n_x), np.eye(n_x), df=dof)
    pz = multivariate_t(np.zeros(n_z), np.eye(n_z), df=dof)
    terms = joint.logpdf(np.hstack([X, Z])) - px.logpdf(X) - pz.logpdf(Z)
    assert abs(terms.mean() - mi) < 4 * terms.std() / math.sqrt(len(terms))


def test_student_t_draws_uncorrelated_heavy_tails():
    X, Z, _ = make_student_t(50_000, 2, 3, dof=5, random_state=0)
    assert X.shape == (50_000, 2) and Z.shape == (50_000, 3)
    cross = np.corrcoef(X.T, Z.T)[:2, 2:]
    assert np.abs(cross).max() < 0.02
    np.testing.assert_allclose(X.var(0), 5 / 3, rtol=0.05)  # dof / (dof - 2)
    # Dependent through the shared scale: the norms are correlated.
    assert np.corrcoef(np.linalg.norm(X, axis=1), np.linalg.norm(Z, axis=1))[0, 1] > 0.3
    again = make_student_t(50_000, 2, 3, dof=5, random_state=0)
    np.testing.assert_array_equal(X, again[0])


def test_sparse_gaussian_mi_is_that_of_its_covariance():
    X, Z, mi = make_sparse_gaussian(
        50_000, n_features=3, n_informative=2, mi=5.0, random_state=0
    )
    assert X.shape == Z.shape == (50_000, 3)
    assert mi == pytest.approx(5.0)
    rho = math.sqrt(1 - math.exp(-5.0))  # two pairs at 2.5 nats each
    cov = np.eye(6)
    cov[0, 3] = cov[3, 0] = cov[1, 4] = cov[4, 1] = rho
    assert gaussian_mi(cov, 3) == pytest.approx(mi, abs=1e-9)
    sample = np.cov(np.hstack([X, Z]).T)
    np.testing.assert_allclose(sample, cov, atol=0.03)
    assert gaussian_mi(sample, 3) == pytest.approx(mi, abs=0.05)
    X1, Z1, mi1 = make_sparse_gaussian(
        1000, n_features=4, n_informative=4, mi=2.0, random_state=1
    )
    assert mi1 == pytest.approx(2.0)


def _invert(W, transform):
    if transform == "spiral":
        angle = -np.sum(W**2, axis=1) / W.shape[1]
        c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
        out = W.copy()
        out[:, 0:-1:2] = c * W[:, 0:-1:2] - s * W[:, 1::2]
        out[:, 1::2] = s * W[:, 0:-1:2] + c * W[:, 1::2]
        return out
    inverse = {
        "cubic": np.cbrt,
        "half_cube": lambda u: np.sign(u) * np.abs(u) ** (2 / 3),
        "asinh": np.sinh,
        "normal_cdf": ndtri,
    }
    return inverse[transform](W)


TRANSFORMS = ["cubic", "half_cube", "asinh", "normal_cdf", "spiral"]


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_transformed_gaussian_applies_an_invertible_map(transform):
    X, Z, mi = make_transformed_gaussian(
        4000, n_features=5, mi=1.0, transform=transform, random_state=3
    )
    assert X.shape == Z.shape == (4000, 5) and mi == 1.0
    X0, Z0, _ = make_gaussian(4000, n_features=5, mi=1.0, random_state=3)
    assert not np.allclose(X, X0) and not np.allclose(Z, Z0)
    np.testing.assert_allclose(_invert(X, transform), X0, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(_invert(Z, transform), Z0, rtol=1e-7, atol=1e-9)
    est = GaussianMIEstimator().fit(_invert(X, transform), _invert(Z, transform))
    assert est.mi_ci_[0] - 0.05 < mi < est.mi_ci_[1] + 0.05
    again = make_transformed_gaussian(
        4000, n_features=5, mi=1.0, transform=transform, random_state=3
    )
    np.testing.assert_array_equal(Z, again[1])


def test_spiral_keeps_norms_and_twists_the_joint_law():
    X, Z, mi = make_transformed_gaussian(
        20_000, n_features=4, mi=1.0, transform="spiral", random_state=0
    )
    X0, Z0, _ = make_gaussian(20_000, n_features=4, mi=1.0, random_state=0)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), np.linalg.norm(X0, axis=1))
    # Each side alone is still N(0, I) (rotation invariance) ...
    np.testing.assert_allclose(np.cov(X.T), np.eye(4), atol=0.04)
    # ... but the linear dependence between them is partly gone.
    assert GaussianMIEstimator().fit(X, Z).mi_ < 0.8 * mi
    # odd width: the last coordinate is left alone
    X3, _, _ = make_transformed_gaussian(
        50, n_features=3, transform="spiral", apply_to="x", random_state=0
    )
    X30, _, _ = make_gaussian(50, n_features=3, random_state=0)
    np.testing.assert_array_equal(X3[:, 2], X30[:, 2])


@pytest.mark.parametrize("apply_to", ["x", "z"])
def test_transform_apply_to_one_side(apply_to):
    X, Z, _ = make_transformed_gaussian(
        100, n_features=2, transform="asinh", apply_to=apply_to, random_state=0
    )
    X0, Z0, _ = make_gaussian(100, n_features=2, random_state=0)
    changed, kept = (X, Z) if apply_to == "x" else (Z, X)
    kept0 = Z0 if apply_to == "x" else X0
    np.testing.assert_array_equal(kept, kept0)
    np.testing.assert_allclose(np.sinh(changed), X0 if apply_to == "x" else Z0)


@pytest.mark.parametrize(
    "make, kwargs, match",
    [
        (make_student_t, dict(dof=0), "dof"),
        (make_student_t, dict(n_x_features=0), "n_x_features"),
        (make_sparse_gaussian, dict(n_features=2, n_informative=3), "n_informative"),
        (make_sparse_gaussian, dict(mi=-1.0), "mi"),
        (make_transformed_gaussian, dict(transform="square"), "transform"),
        (make_transformed_gaussian, dict(apply_to="y"), "apply_to"),
        (make_transformed_gaussian, dict(transform="spiral", n_features=1), "spiral"),
    ],
)
def test_new_families_bad_input(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(10, **kwargs)
