"""Input checks shared by the estimators: only what scikit-learn does not give."""

import re
import warnings
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


#: Values of the ``discrete_z`` parameter.
DISCRETE_Z = ("auto", True, False)
# In "auto", an integer or text Z whose values occur only once on more than
# this share of its rows is not read as classes (it has about one row per value).
_SINGLETON_SHARE = 0.5


def is_label_vector(y):
    """Whether the dtype of ``y`` makes it class labels under ``discrete_z="auto"``.

    A 1-D array of integers, booleans, strings or other objects is a vector of
    class labels; anything else (floats, whatever their values, and every 2-D
    array) is continuous. The dtype decides, not the values: ``[1.0, 2.0]`` is
    continuous, ``[1, 2]`` is two classes. Cast to ``int`` or ``str``, or pass
    ``discrete_z=True``, to say that a float column holds classes.
    :func:`read_as_labels` adds the check on the values.
    """
    y = np.asarray(y)
    return y.ndim == 1 and y.dtype.kind in "iubOUS"


def _is_missing(v):
    """None, NaN, NaT and ``pd.NA`` (whose comparisons are not booleans)."""
    if v is None:
        return True
    try:
        return bool(v != v)
    except TypeError:  # pd.NA != pd.NA is pd.NA, whose truth is ambiguous
        return True


def check_no_missing_labels(y):
    """Raise a ValueError if the labels ``y`` hold None, NaN, NaT or ``pd.NA``."""
    y = np.asarray(y)
    if y.dtype.kind == "O":
        missing = any(_is_missing(v) for v in y.ravel())
    elif y.dtype.kind in "fcmM":
        missing = bool(np.isnan(y).any())
    else:
        missing = False
    if missing:
        raise ValueError(
            "y (Z) contains missing class labels (None, NaN, NaT or pd.NA); drop "
            "those rows or give them a label of their own"
        )


def check_discrete_z(discrete_z):
    """Raise a ValueError unless ``discrete_z`` is "auto", True or False."""
    if not (
        (isinstance(discrete_z, str) and discrete_z == "auto")
        or isinstance(discrete_z, (bool, np.bool_))
    ):
        raise ValueError(
            f"discrete_z must be 'auto', True or False, got {discrete_z!r}"
        )


def _singleton_share(y):
    """The share of rows of ``y`` whose value occurs only once."""
    _, counts = _unique_labels(y, return_counts=True)
    return np.count_nonzero(counts == 1) / max(len(y), 1)


def _unique_labels(y, **kwargs):
    """``np.unique(y, **kwargs)``, with a clear error for mixed label types."""
    try:
        return np.unique(y, **kwargs)
    except TypeError as exc:
        raise ValueError(
            f"y (Z) mixes class labels of different types: {exc}"
        ) from None


def read_as_labels(y, discrete_z="auto"):
    """Whether the second variable ``y`` is read as class labels: THE rule.

    - ``discrete_z=True``: ``y`` must be 1-D (or one column) and holds class
      labels, whatever its dtype (floats too).
    - ``discrete_z=False``: ``y`` is continuous; text then fails to convert.
    - ``discrete_z="auto"``: a 1-D integer, boolean, string or object ``y``
      holds class labels (:func:`is_label_vector`) unless more than half of
      its rows have a value of their own -- a measurement stored as integers,
      or row ids, not classes: numbers (and text that parses as numbers) are
      then read as continuous with a warning, and other text is refused.

    Missing labels (None, NaN, ``pd.NA``) raise a ValueError.
    """
    check_discrete_z(discrete_z)
    if discrete_z is False or discrete_z is np.False_:
        return False
    dtype = getattr(y, "dtype", None)
    if (
        dtype is not None
        and not isinstance(dtype, np.dtype)
        and getattr(dtype, "kind", "O") in "iubOSU"
    ):
        # pandas' nullable integers, booleans and strings: pd.NA stays a
        # missing label instead of becoming a float NaN
        arr = np.asarray(y, dtype=object)
    else:
        arr = np.asarray(y)
    if discrete_z is True or discrete_z is np.True_:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(
                f"discrete_z=True reads Z as one vector of class labels, got shape "
                f"{arr.shape}"
            )
        check_no_missing_labels(arr)
        return True
    if not is_label_vector(arr):
        return False
    check_no_missing_labels(arr)
    share = _singleton_share(arr)
    if share <= _SINGLETON_SHARE:
        return True
    what = f"{share:.0%} of the {len(arr)} rows of Z have a value of their own"
    try:
        arr.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{what}: that is not a set of classes (row ids or numbers stored as "
            f"text?). Pass numbers for a measurement, or discrete_z=True to read "
            f"Z as classes anyway"
        ) from None
    warnings.warn(
        f"{what}, so they are read as a continuous measurement, not as "
        f"classes; pass discrete_z=True to read them as classes, or "
        f"discrete_z=False to silence this warning",
        UserWarning,
        stacklevel=4,
    )
    return False


def encode_labels(y, classes=None):
    """Integer codes of the class labels ``y``, and the sorted classes.

    With ``classes`` (those seen in fit) every label must be among them.
    Missing labels (None, NaN, ``pd.NA``) and labels of mixed types raise a
    ValueError.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    check_no_missing_labels(y)
    if y.dtype.kind == "O":
        n_strings = sum(isinstance(v, str) for v in y)
        if 0 < n_strings < len(y):
            raise ValueError(
                "y (Z) mixes strings with other class labels; use one type"
            )
    if classes is None:
        classes, codes = _unique_labels(y, return_inverse=True)
        return codes.reshape(-1), classes
    codes = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    unseen = classes[codes] != y
    if unseen.any():
        raise ValueError(
            f"y (Z) has class labels not seen in fit: {np.unique(y[unseen])[:5]}"
        )
    return codes, classes


def check_no_dates(A, name):
    """Raise a ValueError for datetime or timedelta columns, which are not numbers."""
    dtypes = getattr(A, "dtypes", None)
    if dtypes is not None and hasattr(A, "columns"):  # a DataFrame
        bad = [
            str(col)
            for col, dt in zip(A.columns, dtypes)
            if getattr(dt, "kind", "O") in "mM"
        ]
    else:
        dt = getattr(A, "dtype", None)
        if dt is None or sp.issparse(A):
            return
        bad = ["all"] if getattr(dt, "kind", "O") in "mM" else []
    if bad:
        raise ValueError(
            f"{name} has datetime or timedelta columns ({', '.join(bad[:5])}); "
            f"convert them to numbers first, e.g. seconds since a reference time"
        )


def check_dense_target(y):
    """Raise a ValueError for a sparse second argument, which no estimator takes."""
    if sp.issparse(y):
        raise ValueError("y (Z) is a sparse matrix; pass a dense array (y.toarray())")


def validate_xz(estimator, X, y, *, reset, min_samples=2, discrete_z=None):
    """Validate X and the second variable ``y`` (Z) of an MI estimator.

    Class labels (see :func:`read_as_labels`; ``discrete_z`` defaults to the
    estimator's parameter of that name, else "auto") are one-hot encoded (the
    classes are stored in ``estimator.classes_`` when ``reset``); any other
    ``y`` is continuous and returned as a 2-D float array. X and Z come back
    as new arrays or as validated views that the caller must not modify.

    Returns
    -------
    X : ndarray of shape (n, d_x)
    Z : ndarray of shape (n, d_z)
    """
    check_dense_target(y)
    check_no_dates(X, "X")
    check_no_dates(y, "y (Z)")
    if discrete_z is None:
        discrete_z = getattr(estimator, "discrete_z", "auto")
    labels, classes = None, None
    if y is not None:
        if reset:
            if read_as_labels(y, discrete_z):
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
    check_no_dates(X, "X")
    return validate_data(
        estimator,
        X,
        reset=reset,
        dtype=[np.float64, np.float32],
        ensure_min_samples=min_samples,
    )


def validate_x_target(estimator, X, y, *, min_samples=2):
    """Validate the features and the target of an analysis over columns of X.

    X comes back as a float32 or float64 array (``n_features_in_`` and
    ``feature_names_in_`` set on ``estimator``); ``y`` as an array of any
    dtype, left for the MI estimators to read as class labels or as a
    measurement under :func:`read_as_labels`. Neither is modified.
    """
    check_dense_target(y)
    check_no_dates(X, "X")
    check_no_dates(y, "y")
    return validate_data(
        estimator,
        X,
        y,
        multi_output=True,
        y_numeric=False,
        dtype=[np.float64, np.float32],
        ensure_min_samples=min_samples,
    )


def check_unconditional(
    estimator, who, reason="chooses the columns of each fit itself"
):
    """Raise a ValueError if the MI estimator ``estimator`` has ``given`` set.

    The analyses hand each fit the columns it needs; a conditioning set fixed
    in the estimator would silently change what every fit estimates.
    """
    if getattr(estimator, "given", None) is not None:
        raise ValueError(
            f"{who} {reason}: pass an estimator with given=None, got "
            f"given={estimator.given!r}"
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


def check_mi_estimator(estimator, who):
    """Raise a ValueError unless ``estimator`` declares that it estimates MI.

    The declared capability is the class attribute ``_estimates_mi = True``:
    ``fit(X, y)`` then sets ``mi_`` (nats) and ``mi_ci_``. Every MI estimator
    of sknmi declares it; an estimator of your own can too.
    """
    if not getattr(type(estimator), "_estimates_mi", False):
        raise ValueError(
            f"{who} needs an MI estimator (one whose fit sets mi_ and mi_ci_, such "
            f"as NeuralMIEstimator, KSGEstimator or GaussianMIEstimator), got "
            f"{type(estimator).__name__}; an estimator of your own declares it "
            f"with the class attribute _estimates_mi = True"
        )


def check_groups(groups, n_features):
    """Column groups covering every column once: the given ones, then singletons.

    ``groups`` is None or a list of lists of column indices; a ValueError says
    which group is empty, out of range, repeats a column or shares one.
    """
    if groups is None:
        return [[j] for j in range(n_features)]
    seen, out = set(), []
    for g in groups:
        g = np.atleast_1d(np.asarray(g))
        if g.ndim != 1 or g.size == 0 or g.dtype.kind not in "iu":
            raise ValueError(
                f"each group must be a non-empty list of column indices, "
                f"got {g.tolist()!r}"
            )
        cols = [int(j) for j in g]
        if any(j < 0 or j >= n_features for j in cols):
            raise ValueError(
                f"group {cols} holds a column index out of range: X has "
                f"{n_features} feature(s)"
            )
        if len(set(cols)) != len(cols):
            raise ValueError(f"group {cols} repeats a column")
        shared = sorted(seen.intersection(cols))
        if shared:
            raise ValueError(f"column(s) {shared} appear in more than one group")
        seen.update(cols)
        out.append(cols)
    out.extend([j] for j in range(n_features) if j not in seen)
    return out
