"""Many MI fits at once: the one joblib entry point of the analyses.

Every analysis that fits many models (pairwise matrices, lag scans, feature
scores, permutation tests, mRMR) builds a list of independent fits and hands
it here. joblib runs them: serially for ``n_jobs=None``, in worker processes
with its default ``loky`` back-end, or on a cluster under
``joblib.parallel_config(backend="dask")`` or Ray's back-end, with no change
to this code. Each fit is its own clone with its own seed, fixed before
dispatch, so the result does not depend on the back-end or on the order in
which the workers finish.

Warnings raised in a worker process would be lost; each task records its
warnings and the caller re-issues them, labelled with the fit they came from.
"""

import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_random_state


def seeded_clones(estimator, n, random_state=None):
    """``n`` unfitted clones of ``estimator``, each with a seed of its own.

    A clone whose ``random_state`` parameter is an int keeps it (the fits are
    then reproducible whatever ``random_state`` is); one whose
    ``random_state`` is None or a RandomState gets a seed drawn from
    ``random_state`` here, in the caller's process, so serial and parallel
    runs fit the same models.
    """
    rng = check_random_state(random_state)
    out = []
    for _ in range(n):
        est = clone(estimator)
        params = est.get_params(deep=False)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if "random_state" in params and not isinstance(
            params["random_state"], (int, np.integer)
        ):
            est.set_params(random_state=seed)
        out.append(est)
    return out


def _fit_read(estimator, X, y, read):
    """Fit ``estimator`` on (X, y); return ``read(fitted)`` and the warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = read(estimator.fit(X, y))
    return value, [(w.category, str(w.message)) for w in caught]


def read_mi(estimator):
    """``(mi_, lower, upper)`` of a fitted MI estimator, as floats."""
    lo, hi = estimator.mi_ci_
    return float(estimator.mi_), float(lo), float(hi)


def read_point(estimator):
    """``mi_`` of a fitted MI estimator, as a float."""
    return float(estimator.mi_)


def fit_many(tasks, *, n_jobs=None, labels=None, read=read_mi, stacklevel=2):
    """Fit each ``(estimator, X, y)`` of ``tasks`` and read it, through joblib.

    Parameters
    ----------
    tasks : iterable of (estimator, X, y)
        Unfitted estimators (fitted in place when ``n_jobs`` runs them in this
        process, copies otherwise) and their data.
    n_jobs : int or None
        joblib's ``n_jobs``: None means 1 unless inside a
        ``joblib.parallel_config`` that says otherwise, -1 all cores.
    labels : list of str, optional
        A name for each task, prefixed to the warnings it raised.
    read : callable, default=read_mi
        ``read(fitted_estimator)``, run in the worker, so that only its
        (small) result travels back.
    stacklevel : int
        Of the re-issued warnings, as seen from the caller of this function.

    Returns
    -------
    list
        ``read(fitted)`` for each task, in the order of ``tasks``.
    """
    tasks = list(tasks)
    outcomes = Parallel(n_jobs=n_jobs)(
        delayed(_fit_read)(est, X, y, read) for est, X, y in tasks
    )
    values = []
    for i, (value, caught) in enumerate(outcomes):
        for category, message in caught:
            prefix = f"{labels[i]}: " if labels is not None else ""
            warnings.warn(prefix + message, category, stacklevel=stacklevel + 1)
        values.append(value)
    return values
