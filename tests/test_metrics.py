import numpy as np
import pytest

from sknmi.metrics import gaussian_kl, gaussian_mi


def test_gaussian_mi_matches_componentwise_formula():
    rho, d = 0.8, 3
    cov = np.block([[np.eye(d), rho * np.eye(d)], [rho * np.eye(d), np.eye(d)]])
    assert gaussian_mi(cov, n_x=d) == pytest.approx(-d / 2 * np.log(1 - rho**2))


def test_gaussian_mi_is_invariant_to_scaling_and_zero_when_independent():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    cov = A @ A.T + 4 * np.eye(4)
    scale = np.diag([1.0, 10.0, 0.1, 3.0])
    assert gaussian_mi(scale @ cov @ scale, 2) == pytest.approx(gaussian_mi(cov, 2))
    block = cov.copy()
    block[:2, 2:] = block[2:, :2] = 0.0
    assert gaussian_mi(block, 2) == pytest.approx(0.0, abs=1e-12)


def test_gaussian_mi_is_the_kl_of_joint_to_product():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((5, 5))
    cov = A @ A.T + np.eye(5)
    product = cov.copy()
    product[:2, 2:] = product[2:, :2] = 0.0
    mean = rng.standard_normal(5)
    assert gaussian_kl(mean, cov, mean, product) == pytest.approx(gaussian_mi(cov, 2))


def test_gaussian_kl_against_monte_carlo():
    rng = np.random.default_rng(2)
    m1, m2 = np.array([0.0, 1.0]), np.array([0.5, -0.5])
    c1 = np.array([[1.0, 0.3], [0.3, 0.5]])
    c2 = np.array([[2.0, -0.2], [-0.2, 1.0]])
    x = rng.multivariate_normal(m1, c1, size=400_000)

    def logpdf(x, m, c):
        d = x - m
        return -0.5 * (
            np.einsum("ni,ij,nj->n", d, np.linalg.inv(c), d)
            + np.linalg.slogdet(2 * np.pi * c)[1]
        )

    mc = np.mean(logpdf(x, m1, c1) - logpdf(x, m2, c2))
    assert gaussian_kl(m1, c1, m2, c2) == pytest.approx(mc, abs=0.01)
    assert gaussian_kl(m1, c1, m1, c1) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gaussian_mi([[1.0, 2.0], [2.0, 1.0]], 1), "positive definite"),
        (lambda: gaussian_mi(np.eye(3), 0), "n_x"),
        (lambda: gaussian_mi([[1.0, 0.5], [0.2, 1.0]], 1), "symmetric"),
        (lambda: gaussian_mi([[np.nan, 0.0], [0.0, 1.0]], 1), "NaN"),
        (lambda: gaussian_kl([0.0], [[1.0]], [0.0, 0.0], np.eye(2)), "matching"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- evaluation of representations -----------------------------------------------------

from sknmi.metrics import (  # noqa: E402
    neural_dependency_measure,
    probe_accuracy,
    reconstruction_error,
)


def test_ndm_separates_dependent_from_independent_columns():
    rng = np.random.default_rng(0)
    independent = rng.standard_normal((1500, 3))
    latent = rng.standard_normal((1500, 1))
    dependent = latent + 0.2 * rng.standard_normal((1500, 3))
    ndm_ind = neural_dependency_measure(independent, max_iter=20, random_state=0)
    ndm_dep = neural_dependency_measure(dependent, max_iter=20, random_state=0)
    assert abs(ndm_ind) < 0.1
    # Total correlation of this Gaussian: sum of marginal entropies - joint entropy.
    cov = np.ones((3, 3)) + 0.04 * np.eye(3)
    truth = 0.5 * (3 * np.log(1.04) - np.linalg.slogdet(cov)[1])
    # A lower bound read by a small, briefly trained discriminator: well above 0.
    assert 0.3 * truth < ndm_dep < 1.2 * truth


def test_ndm_single_column_and_bad_input():
    assert neural_dependency_measure(np.arange(10.0)[:, None]) == 0.0
    with pytest.raises(ValueError, match="validation_fraction"):
        neural_dependency_measure(np.ones((10, 2)), validation_fraction=1.5)


def test_probe_and_reconstruction_on_perfect_and_useless_codes():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 5))
    y = (X[:, 0] > 0).astype(int)
    noise = rng.standard_normal((400, 2))
    assert probe_accuracy(X[:300], y[:300], X[300:], y[300:]) > 0.95
    assert probe_accuracy(noise[:300], y[:300], noise[300:], y[300:]) < 0.7
    assert (
        probe_accuracy(X[:300], y[:300], X[300:], y[300:], probe="mlp", random_state=0)
        > 0.85
    )
    exact = reconstruction_error(X[:300], X[:300], X[300:], X[300:], decoder="linear")
    useless = reconstruction_error(
        noise[:300], X[:300], noise[300:], X[300:], decoder="linear"
    )
    assert exact < 1e-3
    assert 0.9 < useless < 1.2
    with pytest.raises(ValueError, match="probe"):
        probe_accuracy(X, y, X, y, probe="svm")
    with pytest.raises(ValueError, match="decoder"):
        reconstruction_error(X, X, X, X, decoder="pca")
