"""Input checks shared by the estimators: only what scikit-learn does not give."""

import re
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

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


def is_label_vector(y):
    """Whether ``y`` holds class labels: the one rule of every estimator.

    A 1-D array of integers, booleans, strings or other objects is a vector of
    class labels; anything else (floats, whatever their values, and every 2-D
    array) is continuous. The dtype decides, not the values: ``[1.0, 2.0]`` is
    continuous, ``[1, 2]`` is two classes. Cast to ``int`` or ``str`` to say
    that a float column holds classes.
    """
    y = np.asarray(y)
    return y.ndim == 1 and y.dtype.kind in "iubOUS"


def encode_labels(y, classes=None):
    """Integer codes of the class labels ``y``, and the sorted classes.

    With ``classes`` (those seen in fit) every label must be among them.
    Missing labels (None, NaN) and labels of mixed types raise a ValueError.
    """
    y = np.asarray(y)
    if y.dtype.kind == "O":
        if any(v is None or v != v for v in y):
            raise ValueError("y (Z) contains missing class labels (None or NaN)")
        n_strings = sum(isinstance(v, str) for v in y)
        if 0 < n_strings < len(y):
            raise ValueError(
                "y (Z) mixes strings with other class labels; use one type"
            )
    if classes is None:
        try:
            classes, codes = np.unique(y, return_inverse=True)
        except TypeError as exc:
            raise ValueError(
                f"y (Z) mixes class labels of different types: {exc}"
            ) from None
        return codes.reshape(-1), classes
    codes = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    unseen = classes[codes] != y
    if unseen.any():
        raise ValueError(
            f"y (Z) has class labels not seen in fit: {np.unique(y[unseen])[:5]}"
        )
    return codes, classes


def check_dense_target(y):
    """Raise a ValueError for a sparse second argument, which no estimator takes."""
    if sp.issparse(y):
        raise ValueError("y (Z) is a sparse matrix; pass a dense array (y.toarray())")


def validate_xz(estimator, X, y, *, reset, min_samples=2):
    """Validate X and the second variable ``y`` (Z) of an MI estimator.

    Class labels (see :func:`is_label_vector`) are one-hot encoded (the
    classes are stored in ``estimator.classes_`` when ``reset``); any other
    ``y`` is continuous and returned as a 2-D float array. X and Z come back
    as new arrays or as validated views that the caller must not modify.

    Returns
    -------
    X : ndarray of shape (n, d_x)
    Z : ndarray of shape (n, d_z)
    """
    check_dense_target(y)
    labels, classes = None, None
    if y is not None and is_label_vector(y):
        if reset:
            labels, classes = encode_labels(y)
        elif getattr(estimator, "classes_", None) is not None:
            labels, classes = encode_labels(y, estimator.classes_)
        if labels is not None:
            y = labels
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
        Z = np.zeros((len(labels), len(classes)), dtype=X.dtype)
        Z[np.arange(len(labels)), labels] = 1.0
    else:
        Z = np.asarray(y, dtype=X.dtype)
        Z = Z.reshape(len(Z), -1)
    if reset:
        # Set only once the input is known good: a failed fit is not fitted.
        estimator.classes_ = classes
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
