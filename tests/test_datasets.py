import math

import numpy as np
import pytest
from scipy.integrate import quad

from sknmi.datasets import (
    invariance_mi,
    make_gaussian,
    make_gaussian_covariance,
    make_invariance,
    make_staircase,
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
    X, Z, mi = make_gaussian_covariance(50_000, n_x=5, n_z=3, mi=2.0,
                                        covariance=covariance, n_pairs=2,
                                        random_state=1)
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
    X, Z, mi = make_gaussian_covariance(40_000, n_x=1, covariance=cov,
                                        transform="cubic", random_state=0)
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
    steps = make_staircase(levels=(2, 6), n_samples=30_000, n_features=4,
                           random_state=0)
    assert [mi for _, _, mi in steps] == [2.0, 6.0]
    for X, Z, mi in steps:
        assert X.shape == Z.shape == (30_000, 4)
        sample_mi = gaussian_mi(np.cov(np.hstack([X, Z]).T), 4)
        assert sample_mi == pytest.approx(mi, rel=0.02)
    again = make_staircase(levels=(2, 6), n_samples=30_000, n_features=4,
                           random_state=0)
    np.testing.assert_array_equal(steps[1][0], again[1][0])
    with pytest.raises(ValueError, match="levels"):
        make_staircase(levels=(-1,))
