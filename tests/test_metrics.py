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
        return -0.5 * (np.einsum("ni,ij,nj->n", d, np.linalg.inv(c), d)
                       + np.linalg.slogdet(2 * np.pi * c)[1])

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
