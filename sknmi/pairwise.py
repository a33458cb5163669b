"""The matrix of MI between every pair of variables, with intervals, in parallel."""

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import HasMethods, validate_params
from sklearn.utils.validation import check_array

from sknmi._parallel import fit_many, seeded_clones
from sknmi._typing import ArrayLike, RandomStateLike
from sknmi._validation import (
    check_groups,
    check_mi_estimator,
    check_no_dates,
    check_unconditional,
)
from sknmi.mi import NeuralMIEstimator

__all__ = ["PairwiseMIResult", "pairwise_mi"]


@dataclass(frozen=True)
class PairwiseMIResult:
    """The outcome of :func:`pairwise_mi`: estimates and intervals of every pair.

    Parameters
    ----------
    mi : ndarray of shape (n_variables, n_variables)
        ``mi[i, j]`` is the estimate of :math:`I(V_i; V_j)` in nats,
        symmetric; the diagonal (the MI of a variable with itself, infinite
        for a continuous one) is NaN.
    ci_low, ci_high : ndarray of shape (n_variables, n_variables)
        The ends of each estimate's 95% interval; NaN on the diagonal.
    labels : tuple of str
        A name for each variable: the column name (DataFrame input), the
        index, or the members of a group joined by ``"+"``.
    groups : tuple of tuple of int
        The columns of X that make each variable.

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi import GaussianMIEstimator
    >>> from sknmi.pairwise import pairwise_mi
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal(2000)
    >>> X = np.c_[a, a + rng.standard_normal(2000), rng.standard_normal(2000)]
    >>> result = pairwise_mi(X, GaussianMIEstimator())
    >>> np.round(result.mi, 2)  # I(a; a + e) = log(2) / 2 = 0.35
    array([[ nan,  0.35, -0.  ],
           [ 0.35,  nan, -0.  ],
           [-0.  , -0.  ,  nan]])
    >>> result.holds_zero()
    array([[False, False,  True],
           [False, False,  True],
           [ True,  True, False]])
    """

    mi: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    labels: tuple
    groups: tuple

    def holds_zero(self):
        """Which pairs' intervals hold 0 (no evidence of dependence).

        Returns
        -------
        ndarray of bool, shape (n_variables, n_variables)
            False on the diagonal.
        """
        with np.errstate(invalid="ignore"):
            return (self.ci_low <= 0) & (self.ci_high >= 0)

    def to_frame(self):
        """The estimates as a :class:`pandas.DataFrame` labelled both ways.

        Returns
        -------
        pandas.DataFrame of shape (n_variables, n_variables)
        """
        import pandas as pd

        labels = list(self.labels)
        return pd.DataFrame(self.mi, index=labels, columns=labels)


@validate_params(
    {
        "X": ["array-like"],
        "estimator": [HasMethods(["fit"]), None],
        "groups": [list, None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def pairwise_mi(
    X: ArrayLike,
    estimator: BaseEstimator | None = None,
    *,
    groups: Sequence[Sequence[int]] | None = None,
    random_state: RandomStateLike = None,
    n_jobs: int | None = None,
) -> PairwiseMIResult:
    """Estimate the MI between every pair of columns (or groups of columns) of X.

    Each of the ``p (p - 1) / 2`` pairs is a fit of its own clone of
    ``estimator``, with the first variable as X and the second as Z; the fits
    run through joblib, so ``n_jobs`` spreads them over the cores of this
    machine and ``joblib.parallel_config(backend="dask")`` over a dask cluster
    (see :ref:`scaling`).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The variables, one per column (or per group of columns). A DataFrame's
        column names label the result.
    estimator : estimator object, default=None
        An unfitted MI estimator that declares ``_estimates_mi = True``
        (every MI estimator of sknmi), cloned for each pair. None means
        :class:`~sknmi.NeuralMIEstimator` with its defaults;
        :class:`~sknmi.KSGEstimator` is the fast choice for single columns
        and a few thousand rows.
    groups : list of lists of int, default=None
        Columns that form one variable (e.g. the coordinates of one sensor);
        columns in no group are variables of their own.
    random_state : int, RandomState instance or None, default=None
        Seeds the clones of ``estimator``, one draw per pair before the fits
        are dispatched (a clone whose own ``random_state`` is an int keeps
        it: see :ref:`seeding`), so the result is the same for every
        ``n_jobs`` and back-end.
    n_jobs : int, default=None
        Pairs fitted at once (joblib): None means 1 unless in a
        :func:`joblib.parallel_config` context, -1 all cores. Give each
        worker one torch thread (see :ref:`scaling`).

    Returns
    -------
    result : PairwiseMIResult
        ``mi``, ``ci_low`` and ``ci_high`` (symmetric matrices with a NaN
        diagonal), ``labels`` and ``groups``; ``holds_zero()`` marks the
        pairs with no evidence of dependence, ``to_frame()`` gives a
        DataFrame.

    See Also
    --------
    sknmi.plotting.MIMatrixDisplay : draws the result as a heatmap.
    sknmi.feature_selection.mi_scores : MI of each column with a target.

    Notes
    -----
    The warnings of each fit (an estimate likely off, say) are re-issued in
    the calling process, prefixed with the pair they concern.

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi import KSGEstimator
    >>> from sknmi.pairwise import pairwise_mi
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((1000, 2))
    >>> X = np.c_[x, x[:, 0] + 0.5 * rng.standard_normal(1000)]
    >>> result = pairwise_mi(X, KSGEstimator(random_state=0))
    >>> result.mi.shape, bool(result.mi[0, 2] > 0.5), result.labels
    ((3, 3), True, ('0', '1', '2'))
    """
    check_no_dates(X, "X")
    names = getattr(X, "columns", None)
    X = check_array(X, dtype="numeric", ensure_min_samples=2)
    if estimator is None:
        estimator = NeuralMIEstimator()
    check_mi_estimator(estimator, "pairwise_mi")
    check_unconditional(estimator, "pairwise_mi")
    variables = check_groups(groups, X.shape[1])
    if len(variables) < 2:
        raise ValueError(
            f"pairwise_mi needs at least 2 variables, got {len(variables)} "
            f"(X has {X.shape[1]} column(s))"
        )
    names = [str(c) for c in names] if names is not None else None
    labels = tuple(
        "+".join(names[j] if names else str(j) for j in cols) for cols in variables
    )
    pairs = [
        (a, b) for a in range(len(variables)) for b in range(a + 1, len(variables))
    ]
    clones = seeded_clones(estimator, len(pairs), random_state)
    tasks = [
        (est, X[:, variables[a]], X[:, variables[b]])
        for est, (a, b) in zip(clones, pairs)
    ]
    values = fit_many(
        tasks,
        n_jobs=n_jobs,
        labels=[f"pairwise_mi, I({labels[a]}; {labels[b]})" for a, b in pairs],
        stacklevel=3,  # past validate_params' wrapper, to the caller
    )
    p = len(variables)
    mi, low, high = (np.full((p, p), np.nan) for _ in range(3))
    for (a, b), (value, lo, hi) in zip(pairs, values):
        for out, v in ((mi, value), (low, lo), (high, hi)):
            out[a, b] = out[b, a] = v
    return PairwiseMIResult(
        mi=mi,
        ci_low=low,
        ci_high=high,
        labels=labels,
        groups=tuple(tuple(cols) for cols in variables),
    )
