"""Many MI fits at once: the one joblib entry point of the analyses.

Every analysis that fits many models (pairwise matrices, lag scans, feature
scores, permutation tests, mRMR) builds a list of independent fits and hands
it here. joblib runs them: serially for ``n_jobs=None``, in worker processes
with its default ``loky`` back-end, or on a cluster under
``joblib.parallel_config(backend="dask")`` or Ray's back-end, with no change
to this code. Each fit is its own clone with its own seed, fixed before
dispatch by the one rule of :func:`seeded_clones`, so the result does not
depend on the back-end or on the order in which the workers finish.

Warnings raised in a worker process would be lost; each task records its
warnings and the caller re-issues them, labelled with the fit they came from.

An estimator class may fit many of its clones at once, better than one
after the other: it declares so with a class method ``_fit_batch(tasks,
n_jobs)`` (:class:`~sknmi.NeuralMIEstimator` trains their critics as the
members of one stacked module, and sends its batches to joblib's workers
when there are several and ``n_jobs`` asks for more than one). With
``batch=True`` the tasks it takes go there, and joblib runs the others.
"""

import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_random_state


def seeded_clones(estimator, n, random_state=None, *, force=False):
    """``n`` unfitted clones of ``estimator``, each with the seed the rule gives it.

    The one seeding rule of every analysis that fits clones of an estimator
    (:func:`~sknmi.pairwise.pairwise_mi`, :func:`~sknmi.timeseries.lagged_mi`,
    :func:`~sknmi.timeseries.transfer_entropy`,
    :func:`~sknmi.feature_selection.mi_scores`,
    :class:`~sknmi.feature_selection.MRMRSelector`,
    :func:`~sknmi.independence_test`, :class:`~sknmi.ConditionalMIEstimator`
    and :class:`~sknmi.ExtrapolatedMIEstimator`):

    1. ``n`` seeds are drawn from ``random_state``, one per clone in the
       order of the fits, always, and before anything else the analysis draws
       (row splits, permutations): the splits and permutations are then a
       function of ``random_state`` alone, whatever the estimator's own
       ``random_state``, and the k-th clone of every analysis is offered the
       same seed.
    2. A clone whose own ``random_state`` is an int keeps it, as
       :func:`sklearn.base.clone` does: a seeded estimator fits the same way
       inside an analysis as outside it.
    3. A clone whose ``random_state`` is None or a RandomState instance takes
       its drawn seed (a RandomState would be copied into every clone, which
       would then all draw the same numbers). The draws happen here, in the
       caller's process, so serial and parallel runs fit the same models.
    4. With ``force``, every clone takes its drawn seed: for clones that are
       meant to differ from each other (the ensemble of
       :class:`~sknmi.ConditionalMIEstimator` with ``n_estimators > 1``).

    Parameters
    ----------
    estimator : estimator object
        Cloned, never modified.
    n : int
        Number of clones.
    random_state : int, RandomState instance or None, default=None
        Source of the seeds; a RandomState instance is drawn from (advanced).
    force : bool, default=False
        Give every clone its drawn seed, even one with an int ``random_state``.

    Returns
    -------
    list of estimator
        ``n`` unfitted clones.

    Examples
    --------
    >>> from sknmi import KSGEstimator
    >>> from sknmi._parallel import seeded_clones
    >>> [e.random_state for e in seeded_clones(KSGEstimator(random_state=7), 2, 0)]
    [7, 7]
    >>> [e.random_state for e in seeded_clones(KSGEstimator(), 2, 0)]
    [209652396, 398764591]
    """
    rng = check_random_state(random_state)
    seeds = [int(rng.randint(np.iinfo(np.int32).max)) for _ in range(n)]
    out = []
    for seed in seeds:
        est = clone(estimator)
        params = est.get_params(deep=False)
        if "random_state" in params and (
            force or not isinstance(params["random_state"], (int, np.integer))
        ):
            est.set_params(random_state=seed)
        out.append(est)
    return out


def seeded_clone(estimator, random_state=None, *, force=False):
    """One clone of ``estimator``, seeded by the rule of :func:`seeded_clones`.

    Examples
    --------
    >>> from sknmi import KSGEstimator
    >>> from sknmi._parallel import seeded_clone
    >>> seeded_clone(KSGEstimator(), 0).random_state
    209652396
    """
    return seeded_clones(estimator, 1, random_state, force=force)[0]


def _fit_read(estimator, X, y, read):
    """Fit ``estimator`` on (X, y); return ``read(fitted)`` and the warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = read(estimator.fit(X, y))
    return value, [(w.category, str(w.message)) for w in caught]


def _fit_batches(tasks, read, n_jobs=None):
    """``(read(fitted), warnings)`` of the tasks whose estimator class fits
    clones in batches (its batches spread over ``n_jobs`` processes); None
    for the others."""
    out = [None] * len(tasks)
    for kind in {type(est) for est, _, _ in tasks}:
        fit_batch = getattr(kind, "_fit_batch", None)
        if fit_batch is None:
            continue
        mine = [i for i, (est, _, _) in enumerate(tasks) if type(est) is kind]
        for i, done in zip(mine, fit_batch([tasks[i] for i in mine], n_jobs)):
            if done is not None:
                fitted, caught = done
                out[i] = (read(fitted), caught)
    return out


def read_mi(estimator):
    """``(mi_, lower, upper)`` of a fitted MI estimator, as floats."""
    lo, hi = estimator.mi_ci_
    return float(estimator.mi_), float(lo), float(hi)


def read_point(estimator):
    """``mi_`` of a fitted MI estimator, as a float."""
    return float(estimator.mi_)


def fit_many(
    tasks,
    *,
    n_jobs=None,
    labels=None,
    read=read_mi,
    stacklevel=2,
    batch=True,
    warn=True,
):
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
    batch : bool, default=True
        Whether the estimators that fit many clones at once (a class method
        ``_fit_batch``) do so; the tasks they leave run through joblib.
    warn : bool, default=True
        Re-issue each task's warnings here; False returns them with its value
        (for a caller that tells its own fits apart).

    Returns
    -------
    list
        ``read(fitted)`` for each task, in the order of ``tasks``; with
        ``warn=False``, ``(read(fitted), [(category, message), ...])``.
    """
    tasks = list(tasks)
    outcomes = _fit_batches(tasks, read, n_jobs) if batch else [None] * len(tasks)
    rest = [i for i, done in enumerate(outcomes) if done is None]
    fitted = Parallel(n_jobs=n_jobs)(delayed(_fit_read)(*tasks[i], read) for i in rest)
    for i, outcome in zip(rest, fitted):
        outcomes[i] = outcome
    if not warn:
        return outcomes
    values = []
    for i, (value, caught) in enumerate(outcomes):
        for category, message in caught:
            prefix = f"{labels[i]}: " if labels is not None else ""
            warnings.warn(prefix + message, category, stacklevel=stacklevel + 1)
        values.append(value)
    return values
