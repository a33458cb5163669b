"""Mutual information does not depend on the scale or offset of the data."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sknmi import DeepInfoMaxTransformer, InfoBottleneckTransformer, NeuralMIEstimator
from sknmi._neural.preprocess import Standardiser

TINY = dict(hidden_layer_sizes=(16,), max_iter=4, random_state=0)


def _pair(n=400):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 2))
    Z = X[:, :1] + 0.5 * rng.standard_normal((n, 1))
    return X, Z


@pytest.mark.parametrize(
    "scale, offset", [(1e-150, 0), (1e150, 0), (1e-13, 0), (1, 1e12)]
)
def test_standardiser_is_scale_free(scale, offset):
    X, _ = _pair()
    reference = Standardiser().fit(X).transform(X, dtype=np.float64)
    scaled = Standardiser().fit(X * scale + offset)
    assert not scaled.constant_.any()
    atol = 1e-3 if offset else 1e-10
    np.testing.assert_allclose(
        scaled.transform(X * scale + offset, dtype=np.float64), reference, atol=atol
    )


def test_standardiser_centres_a_constant_column_without_scaling_it():
    A = np.column_stack([np.full(50, 3e200), np.arange(50.0)])
    scaler = Standardiser().fit(A)
    assert scaler.constant_.tolist() == [True, False]
    out = scaler.transform(A, dtype=np.float64)
    assert np.all(out[:, 0] == 0) and np.isfinite(out).all()


def test_standardiser_per_channel():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((30, 2, 4)) * [[1.0], [10.0]] + [[0.0], [5.0]]
    scaler = Standardiser(channels=2).fit(images.reshape(30, -1))
    out = scaler.transform(images.reshape(30, -1), dtype=np.float64).reshape(30, 2, 4)
    np.testing.assert_allclose(out.mean((0, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std((0, 2)), 1, atol=1e-12)


def _fit_quietly(estimator, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args)


SCALES = [(1e-150, 0.0), (1e150, 0.0), (1e-13, 0.0), (1.0, 1e12)]


@pytest.mark.parametrize("preprocessing", ["standard", "quantile"])
def test_neural_mi_is_the_same_at_every_scale(preprocessing):
    X, Z = _pair()
    # Eight epochs: enough for the tiny critic to read a clear dependence
    # (about 0.3 of the 0.8 nats), so that equal readings mean something.
    est = NeuralMIEstimator(preprocessing=preprocessing, **dict(TINY, max_iter=8))
    reference = _fit_quietly(est, X, Z).mi_
    assert reference > 0.2
    for scale, offset in SCALES:
        fitted = _fit_quietly(est, X * scale + offset, Z * scale + offset)
        assert fitted.mi_ == pytest.approx(reference, abs=0.05), (scale, offset)
        assert fitted.score(X * scale + offset, Z * scale + offset) == pytest.approx(
            est.fit(X, Z).score(X, Z), abs=0.05
        )


def test_representation_learners_are_the_same_at_every_scale():
    X, Z = _pair()
    labels = (Z[:, 0] > 0).astype(int)
    ib = InfoBottleneckTransformer(n_components=2, **TINY)
    dim = DeepInfoMaxTransformer(n_components=2, embedding_dim=8, **TINY)
    ib_codes = _fit_quietly(ib, X, labels).transform(X)
    dim_codes = _fit_quietly(dim, X).transform(X)
    for scale, offset in SCALES:
        Xs = X * scale + offset
        atol = 1e-2 if offset else 1e-5
        np.testing.assert_allclose(
            _fit_quietly(ib, Xs, labels).transform(Xs), ib_codes, atol=atol
        )
        np.testing.assert_allclose(
            _fit_quietly(dim, Xs).transform(Xs), dim_codes, atol=atol
        )
