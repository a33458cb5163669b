"""Every estimator through bad and awkward input: a clear error or a right answer.

One row per case; each estimator either raises a ``ValueError`` (or
``TypeError`` for sparse X, as scikit-learn does) whose message says what is
wrong, or returns a finite result within tolerance of the truth. Nothing the
user passed in is modified, and a failed fit leaves the estimator as it was.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sknmi import (
    DeepInfoMaxTransformer,
    DegenerateDependenceWarning,
    GaussianMIEstimator,
    InfoBottleneckTransformer,
    KSGEstimator,
    NeuralMIEstimator,
)

TINY = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
# Enough training for 400 rows to show their MI.
SMALL = dict(hidden_layer_sizes=(32,), max_iter=60, learning_rate_init=3e-3)


def _mi_estimators():
    return {
        "neural": NeuralMIEstimator(random_state=0, **SMALL),
        "neural-quantile": NeuralMIEstimator(
            preprocessing="quantile", random_state=0, **SMALL
        ),
        "ksg": KSGEstimator(random_state=0),
        "gaussian": GaussianMIEstimator(),
    }


def _all_estimators():
    return {
        **_mi_estimators(),
        "bottleneck": InfoBottleneckTransformer(n_components=2, **TINY),
        "infomax": DeepInfoMaxTransformer(n_components=2, embedding_dim=8, **TINY),
    }


def _pair(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    Z = X[:, :1] + 0.5 * rng.standard_normal((n, 1))
    return X, Z  # I(X; Z) = 0.5 log(1 + 1 / 0.25) = 0.805 nats


TRUE_MI = 0.5 * math.log(5.0)


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if isinstance(estimator, DeepInfoMaxTransformer):
            return estimator.fit(X)
        if isinstance(estimator, InfoBottleneckTransformer) and y is not None:
            y = np.asarray(y)
            if y.dtype.kind == "f":  # the bottleneck is given class labels
                y = ((y[:, 0] if y.ndim == 2 else y) > 0).astype(int)
        return estimator.fit(X, y)


def _bad_inputs():
    X, Z = _pair()
    nan_X = X.copy()
    nan_X[3, 1] = np.nan
    inf_X = X.copy()
    inf_X[0, 0] = np.inf
    nan_Z = Z.copy()
    nan_Z[5] = np.nan
    return {
        "X with NaN": (nan_X, Z, "NaN"),
        "X with inf": (inf_X, Z, "infinity"),
        "no rows": (X[:0], Z[:0], "0 sample"),
        "one row": (X[:1], Z[:1], "sample"),
        "3-D X": (X.reshape(400, 2, 1), Z, "dim"),
        "strings in X": (X.astype(str).astype(object) + "x", Z, "string|float|convert"),
        "complex X": (X + 1j, Z, "[Cc]omplex"),
    }


BAD_Y = {
    "Z with NaN": lambda Z: np.where(np.arange(len(Z))[:, None] == 5, np.nan, Z),
    "rows differ": lambda Z: Z[:-1],
    "labels mixing ints and strings": lambda Z: np.array(
        [1, "a"] * (len(Z) // 2), dtype=object
    ),
    "None among labels": lambda Z: np.array(["a", None] * (len(Z) // 2), dtype=object),
    "sparse Z": lambda Z: scipy.sparse.csr_matrix(Z),
}


@pytest.mark.parametrize("case", sorted(_bad_inputs()))
@pytest.mark.parametrize("name", sorted(_all_estimators()))
def test_bad_x_is_a_clear_error(name, case):
    estimator = _all_estimators()[name]
    X, Z, match = _bad_inputs()[case]
    with pytest.raises(ValueError, match=match):
        _fit(estimator, X, Z)
    with pytest.raises(NotFittedError):
        estimator.score(X, Z) if hasattr(estimator, "score") else estimator.transform(X)


@pytest.mark.parametrize("case", sorted(BAD_Y))
@pytest.mark.parametrize("name", sorted(set(_all_estimators()) - {"infomax"}))
def test_bad_z_is_a_clear_error(name, case):
    estimator = _all_estimators()[name]
    X, Z = _pair()
    Z = BAD_Y[case](Z)
    with pytest.raises(ValueError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, Z)


@pytest.mark.parametrize("name", sorted(_all_estimators()))
def test_sparse_x_is_refused(name):
    X, Z = _pair()
    with pytest.raises((TypeError, ValueError), match="[Ss]parse"):
        _fit(_all_estimators()[name], scipy.sparse.csr_matrix(X), Z)


@pytest.mark.parametrize("name", sorted(_mi_estimators()))
@pytest.mark.parametrize(
    "scale, offset", [(1.0, 0.0), (1e-150, 0.0), (1e150, 0.0), (1.0, 1e12)]
)
def test_the_same_mi_at_every_scale(name, scale, offset):
    X, Z = _pair()
    reference = _fit(_mi_estimators()[name], X, Z).mi_
    if name != "neural-quantile":
        # The rank transform of 320 training rows over-reads this pair (1.27
        # for 0.80, an open problem of issue 12); here only its scale matters.
        assert abs(reference - TRUE_MI) < 0.3
    fitted = _fit(_mi_estimators()[name], X * scale + offset, Z * scale + offset)
    assert math.isfinite(fitted.mi_)
    assert fitted.mi_ == pytest.approx(reference, abs=0.05)


@pytest.mark.parametrize("name", sorted(_all_estimators()))
def test_input_is_never_modified_and_constant_columns_are_fine(name):
    X, Z = _pair()
    X = np.column_stack([X, np.full(len(X), 7.0)])
    before = X.copy(), Z.copy()
    fitted = _fit(_all_estimators()[name], X, Z)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(Z, before[1])
    if hasattr(fitted, "mi_"):
        assert abs(fitted.mi_ - TRUE_MI) < 0.3
    else:
        assert np.isfinite(fitted.transform(X)).all()


@pytest.mark.parametrize("name", sorted(_mi_estimators()))
def test_a_copy_of_x_in_z_is_flagged(name):
    X, _ = _pair()
    with pytest.warns(DegenerateDependenceWarning, match="infinite"):
        fitted = _fit(_mi_estimators()[name], X, 3.0 * X[:, 0] + 1.0)
    if name in ("ksg", "gaussian"):
        assert fitted.mi_ == math.inf


@pytest.mark.parametrize("lr", [10.0, 1e3])
@pytest.mark.parametrize("bound", ["logratio", "mine", "nwj", "infonce"])
@pytest.mark.parametrize("critic", ["separable", "concat"])
def test_a_huge_learning_rate_never_returns_an_absurd_number(bound, critic, lr):
    X, Z = _pair(240)
    est = NeuralMIEstimator(
        bound=bound, critic=critic, learning_rate_init=lr, max_iter=20, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(X, Z)
        except ValueError as exc:
            assert "learning_rate_init" in str(exc)
            return
    # Whatever survived the guards is within what 240 rows can show.
    assert -1.0 < est.mi_ < math.log(240)
    assert all(math.isfinite(v) for v in est.mi_ci_)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_layer_sizes": [0]}, "hidden_layer_sizes"),
        ({"device": "gpu"}, "device"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"max_iter": 0}, "max_iter"),
        ({"learning_rate_init": -1.0}, "learning_rate_init"),
    ],
)
@pytest.mark.parametrize("name", ["neural", "bottleneck", "infomax"])
def test_bad_parameters_are_clear_errors(name, params, match):
    estimator = _all_estimators()[name].set_params(**params)
    X, Z = _pair()
    with pytest.raises(ValueError, match=match):
        _fit(estimator, X, Z)


@pytest.mark.parametrize("device", ["cuda", "cuda:3", "mps"])
def test_a_missing_device_is_a_clear_error(device):
    import torch

    available = {"cuda": torch.cuda.is_available(), "mps": False}
    if available[device.split(":")[0]]:
        pytest.skip(f"{device} is there")
    X, Z = _pair()
    with pytest.raises(ValueError, match="not available"):
        _fit(NeuralMIEstimator(device=device, **TINY), X, Z)


@pytest.mark.parametrize("name", ["neural", "bottleneck", "infomax"])
def test_a_failed_refit_leaves_the_fitted_estimator_as_it_was(name):
    estimator = _all_estimators()[name]
    X, Z = _pair()
    _fit(estimator, X, Z)
    before = dict(vars(estimator))
    nan_X = X.copy()
    nan_X[0, 0] = np.nan
    with pytest.raises(ValueError):
        _fit(estimator, nan_X, Z)
    assert vars(estimator).keys() == before.keys()
    assert all(vars(estimator)[k] is before[k] for k in before)
