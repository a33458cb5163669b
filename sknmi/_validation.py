"""Input checks shared by the estimators: only what scikit-learn does not give."""

import re
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import validate_data

#: Constraints of the training parameters every neural estimator shares (the
#: names of MLPRegressor where the idea is the same); each estimator adds its own.
TRAINING_CONSTRAINTS = {
    "batch_size": [Interval(Integral, 2, None, closed="left")],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def check_device(device):
    """Raise a ValueError unless ``device`` is auto, cpu, mps, cuda or cuda:N."""
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}"
        )


def check_hidden_layer_sizes(sizes, name="hidden_layer_sizes"):
    """Return ``sizes`` as a tuple of positive ints, or raise a ValueError."""
    if isinstance(sizes, Integral):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of positive ints, got {sizes!r}"
        ) from None
    if not all(isinstance(s, Integral) and s > 0 for s in sizes):
        raise ValueError(f"{name} must be a sequence of positive ints, got {sizes!r}")
    return tuple(int(s) for s in sizes)


def _is_label_vector(y):
    y = np.asarray(y)
    return y.ndim == 1 and y.dtype.kind in "iubOUS"


def validate_xz(estimator, X, y, *, reset, min_samples=2):
    """Validate X and the second variable ``y`` (Z) of an MI estimator.

    A 1-D ``y`` of integers, booleans or strings is read as class labels and
    one-hot encoded (the classes are stored in ``estimator.classes_`` when
    ``reset``); any other ``y`` is continuous and returned as a 2-D float
    array. X and Z come back as new arrays or as validated views that the
    caller must not modify.

    Returns
    -------
    X : ndarray of shape (n, d_x)
    Z : ndarray of shape (n, d_z)
    """
    labels = None
    if y is not None and _is_label_vector(y):
        y = np.asarray(y)
        if reset:
            if y.dtype.kind == "O" and any(v is None or v != v for v in y):
                raise ValueError("y (Z) contains missing class labels (None or NaN)")
            estimator.classes_, labels = np.unique(y, return_inverse=True)
        elif getattr(estimator, "classes_", None) is None:
            labels = None  # fitted on continuous Z: y is numbers here too
        else:
            labels = np.searchsorted(estimator.classes_, y)
            labels = np.clip(labels, 0, len(estimator.classes_) - 1)
            unseen = estimator.classes_[labels] != y
            if unseen.any():
                raise ValueError(
                    "y (Z) has class labels not seen in fit: "
                    f"{np.unique(y[unseen])[:5]}"
                )
        if labels is not None:
            y = labels
    elif reset:
        estimator.classes_ = None
    X, y = validate_data(
        estimator,
        X,
        y,
        reset=reset,
        multi_output=True,
        y_numeric=True,
        dtype=[np.float64, np.float32],
        ensure_min_samples=min_samples,
    )
    if labels is not None:
        Z = np.zeros((len(labels), len(estimator.classes_)), dtype=X.dtype)
        Z[np.arange(len(labels)), labels] = 1.0
    else:
        Z = np.asarray(y, dtype=X.dtype)
        Z = Z.reshape(len(Z), -1)
    if reset:
        estimator.n_z_features_ = Z.shape[1]
    elif Z.shape[1] != estimator.n_z_features_:
        raise ValueError(
            f"y (Z) has {Z.shape[1]} columns, but {type(estimator).__name__} was "
            f"fitted with {estimator.n_z_features_}"
        )
    return X, Z


def validate_x(estimator, X, *, reset, min_samples=1):
    """Validate the features of a transformer; floats kept as float32 or float64."""
    return validate_data(
        estimator,
        X,
        reset=reset,
        dtype=[np.float64, np.float32],
        ensure_min_samples=min_samples,
    )


def resolve_given(given, n_features):
    """Column indices of the conditioning set W, and of the rest of X.

    ``given`` is None (no conditioning), an int, a sequence of ints or a boolean
    mask of length ``n_features``. Raises a ValueError for anything else, for
    repeated or out-of-range indices, and when nothing of X is left.
    """
    if given is None:
        return np.zeros(0, dtype=int), np.arange(n_features)
    g = np.atleast_1d(np.asarray(given))
    if g.dtype == bool:
        if g.ndim != 1 or g.size != n_features:
            raise ValueError(
                f"a boolean given must have one entry per column of X "
                f"({n_features}), got shape {g.shape}"
            )
        g = np.flatnonzero(g)
    elif g.ndim != 1 or g.size == 0 or g.dtype.kind not in "iu":
        raise ValueError(
            f"given must be None, an int, a sequence of column indices or a boolean "
            f"mask, got {given!r}"
        )
    g = g.astype(int)
    if np.any(g < 0) or np.any(g >= n_features):
        raise ValueError(
            f"given={given!r} holds a column index out of range: X has "
            f"{n_features} feature(s)"
        )
    if len(np.unique(g)) != len(g):
        raise ValueError(f"given={given!r} repeats a column")
    rest = np.setdiff1d(np.arange(n_features), g)
    if rest.size == 0:
        raise ValueError(
            f"given={given!r} leaves no column of X to measure: X has "
            f"{n_features} feature(s) and all of them are conditioned on"
        )
    return g, rest
