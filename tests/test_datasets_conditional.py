import numpy as np
import pytest

from sknmi._closed_form import gaussian_cmi as _gaussian_cmi
from sknmi.datasets import (
    make_chain,
    make_collider,
    make_gaussian_conditional,
)
from sknmi.metrics import gaussian_mi


def _sample_cmi(X, Z, W):
    d = X.shape[1]
    cov = np.cov(np.hstack([X, Z, W]).T)
    idx = np.arange(cov.shape[0])
    return _gaussian_cmi(cov, idx[:d], idx[d : d + Z.shape[1]], idx[d + Z.shape[1] :])


@pytest.mark.parametrize(
    "cmi, mi_given, d", [(1.5, 1.0, 2), (0.3, 2.0, 3), (0.0, 0.5, 1)]
)
def test_gaussian_conditional_has_the_requested_cmi(cmi, mi_given, d):
    X, Z, W, truth = make_gaussian_conditional(
        100_000, n_features=d, cmi=cmi, mi_given=mi_given, random_state=0
    )
    assert truth == pytest.approx(cmi, abs=1e-12)
    assert _sample_cmi(X, Z, W) == pytest.approx(cmi, abs=0.03)
    cov = np.cov(np.hstack([X, W]).T)
    assert gaussian_mi(cov, d) == pytest.approx(mi_given, abs=0.03)


def test_gaussian_cmi_formula_against_residual_correlation():
    # I(X; Z | W) for scalars is -log(1 - partial_corr^2) / 2.
    cov = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.6], [0.3, 0.6, 1.0]])
    partial = (0.5 - 0.3 * 0.6) / np.sqrt((1 - 0.3**2) * (1 - 0.6**2))
    expected = -0.5 * np.log(1 - partial**2)
    assert _gaussian_cmi(cov, [0], [1], [2]) == pytest.approx(expected)
    # Without W it is the plain MI.
    assert _gaussian_cmi(cov, [0], [1], []) == pytest.approx(-0.5 * np.log(0.75))


@pytest.mark.parametrize("transform", [None, "cubic"])
def test_chain_is_dependent_but_conditionally_independent(transform):
    X, Z, W, cmi = make_chain(
        50_000, n_features=2, mi=1.0, transform=transform, random_state=0
    )
    assert cmi == 0.0
    assert np.corrcoef(X[:, 0], Z[:, 0])[0, 1] > 0.5
    if transform is None:
        assert _sample_cmi(X, Z, W) == pytest.approx(0.0, abs=0.01)
    else:
        np.testing.assert_allclose(
            np.cbrt(W), make_chain(50_000, n_features=2, mi=1.0, random_state=0)[2]
        )


@pytest.mark.parametrize("noise", [0.5, 1.0, 2.0])
def test_collider_closed_form(noise):
    X, Z, W, cmi = make_collider(100_000, n_features=2, noise=noise, random_state=1)
    expected = -np.log(1 - 1 / (1 + noise**2) ** 2)  # d = 2 halves cancel
    assert cmi == pytest.approx(expected)
    assert abs(np.corrcoef(X[:, 0], Z[:, 0])[0, 1]) < 0.02
    assert _sample_cmi(X, Z, W) == pytest.approx(cmi, abs=0.03)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="cmi=40.0"):
        make_gaussian_conditional(10, n_features=1, cmi=40.0)
    with pytest.raises(ValueError):
        make_collider(10, noise=0.0)
    with pytest.raises(ValueError):
        make_chain(10, mi=-1.0)
