"""MI feature scores for :class:`~sklearn.feature_selection.SelectKBest` and kin."""

from functools import partial

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_array, check_consistent_length

from sknmi._parallel import fit_many, read_point
from sknmi._validation import check_mi_estimator, check_no_dates

__all__ = ["mi_scorer", "mi_scores"]


def _groups(groups, n_features):
    """Column groups covering every column once: the given ones, then singletons."""
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


def _conditional(estimator, given):
    from sknmi.baselines import KSGConditionalEstimator, KSGEstimator
    from sknmi.conditional import ConditionalMIEstimator

    if type(estimator) is KSGEstimator:
        return KSGConditionalEstimator(
            n_neighbors=estimator.n_neighbors,
            given=given,
            discrete_z=estimator.discrete_z,
            random_state=estimator.random_state,
        )
    return ConditionalMIEstimator(estimator, given=given)


def mi_scores(X, y, *, estimator=None, groups=None, conditional=False, n_jobs=None):
    r"""Score each feature (or group of features) by its MI with the target.

    A ``score_func`` for :class:`~sklearn.feature_selection.SelectKBest` and
    :class:`~sklearn.feature_selection.SelectPercentile`; use
    :func:`mi_scorer` to fix the keyword arguments.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Target: continuous, or class labels (1-D integers, booleans or
        strings).
    estimator : estimator object, default=None
        The MI estimator, cloned for each score: None means
        :class:`~sknmi.KSGEstimator` (see Notes), or any estimator with
        ``fit(X, y)`` and ``mi_`` that declares ``_estimates_mi = True``
        (:class:`~sknmi.NeuralMIEstimator`,
        :class:`~sknmi.GaussianMIEstimator`).
    groups : list of lists of int, default=None
        Columns scored together, as one variable; every column of a group
        gets the group's score, and columns in no group are scored alone.
    conditional : bool, default=False
        False: the score of group G is :math:`I(X_G; y)`, what it tells about
        y alone. True: :math:`I(X_G; y \mid X_{-G})`, what it adds to all
        the other features; this sees interactions (a feature useless alone
        but informative together with another) and gives redundant copies a
        score near 0. It is estimated with
        :class:`~sknmi.KSGConditionalEstimator` when ``estimator`` is a
        :class:`~sknmi.KSGEstimator`, and with
        :class:`~sknmi.ConditionalMIEstimator` otherwise.
    n_jobs : int, default=None
        Scores computed at once, through joblib: None means 1 unless in a
        :func:`joblib.parallel_config` context, -1 means all cores. Under
        ``parallel_config(backend="dask")`` the fits run on a dask cluster
        (see :ref:`scaling`).

    Returns
    -------
    scores : ndarray of shape (n_features,)
        The scores in nats (not clipped at 0: small negative values are
        estimation noise).

    Notes
    -----
    KSG is the default because it costs milliseconds per score on data of
    the size feature selection usually sees (hundreds to a few thousand rows,
    one or a few columns per score) and it needs no training: in the
    gallery example (442 rows, 12 features) the conditional KSG scores of
    all features take well under a second, against minutes for the neural
    estimator, whose critic has too few rows to train on there. The neural
    estimator pays off for large data and wide groups, where kNN estimates
    lose their accuracy.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.feature_selection import SelectKBest
    >>> from sknmi.feature_selection import mi_scores
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 4))
    >>> y = X[:, 2] + 0.5 * rng.standard_normal(500)
    >>> SelectKBest(mi_scores, k=1).fit(X, y).get_support().nonzero()[0]
    array([2])
    """
    check_no_dates(X, "X")
    X = check_array(X, dtype="numeric")
    y = check_array(y, ensure_2d=False, dtype=None)
    check_consistent_length(X, y)
    if estimator is None:
        from sknmi.baselines import KSGEstimator

        estimator = KSGEstimator()
    check_mi_estimator(estimator, "mi_scores")
    n_features = X.shape[1]
    scores = np.empty(n_features)
    tasks, labels, parts = [], [], _groups(groups, n_features)
    for cols in parts:
        if conditional and len(cols) < n_features:
            given = [j for j in range(n_features) if j not in cols]
            tasks.append((_conditional(clone(estimator), given), X, y))
        else:
            tasks.append((clone(estimator), X[:, cols], y))
        labels.append(f"mi_scores, column(s) {cols}")
    values = fit_many(tasks, n_jobs=n_jobs, labels=labels, read=read_point)
    for cols, value in zip(parts, values):
        scores[cols] = value
    return scores


def mi_scorer(estimator=None, *, groups=None, conditional=False, n_jobs=None):
    """A ``score_func(X, y)`` with the options of :func:`mi_scores` fixed.

    Parameters
    ----------
    estimator : estimator object, default=None
        As for :func:`mi_scores`.
    groups : list of lists of int, default=None
        As for :func:`mi_scores`.
    conditional : bool, default=False
        As for :func:`mi_scores`.
    n_jobs : int, default=None
        As for :func:`mi_scores`.

    Returns
    -------
    callable
        ``f(X, y) -> scores``, a ``functools.partial`` of
        :func:`mi_scores` (so a fitted selector pickles).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.feature_selection import SelectKBest
    >>> from sknmi.feature_selection import mi_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.choice([-1.0, 1.0], size=(600, 3))
    >>> y = X[:, 0] * X[:, 1] + 0.1 * rng.standard_normal(600)  # XOR of 0 and 1
    >>> select = SelectKBest(mi_scorer(conditional=True), k=2).fit(X, y)
    >>> select.get_support().nonzero()[0]
    array([0, 1])
    """
    return partial(
        mi_scores,
        estimator=estimator,
        groups=groups,
        conditional=conditional,
        n_jobs=n_jobs,
    )
