"""A permutation test of independence, I(X; Z) = 0, with any MI estimator."""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import check_array, check_consistent_length

from sknmi._folds import held_out_rows
from sknmi._parallel import fit_many, seeded_clone
from sknmi._typing import ArrayLike, RandomStateLike
from sknmi._validation import (
    check_mi_estimator,
    check_no_dates,
    check_unconditional,
)

__all__ = ["IndependenceTestResult", "independence_test", "permutation_pvalue"]


@dataclass(frozen=True)
class IndependenceTestResult:
    """The outcome of :func:`~sknmi.independence_test`.

    Parameters
    ----------
    statistic : float
        The MI estimate on the observed pairs, in nats.
    pvalue : float
        ``(1 + #{null >= statistic}) / (1 + n_permutations)``: the share of
        permuted data sets whose estimate is at least the observed one,
        counting the observed one itself.
    null_distribution : ndarray of shape (n_permutations,)
        The estimates on the data with Z permuted.
    method : str
        ``"split"`` (critic trained once, statistic read on held-out rows) or
        ``"permutation"`` (the estimate recomputed on every permutation).
    estimator : estimator
        The fitted clone of the estimator (fitted on the training rows for
        ``"split"``, on all rows for ``"permutation"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi import GaussianMIEstimator, independence_test
    >>> x = np.arange(20.0)[:, None]
    >>> result = independence_test(x, x[:, 0] ** 3, GaussianMIEstimator(),
    ...                            n_permutations=9, random_state=0)
    >>> result.method, result.pvalue, result.null_distribution.shape
    ('permutation', 0.1, (9,))
    """

    statistic: float
    pvalue: float
    null_distribution: np.ndarray
    method: str
    estimator: BaseEstimator


@validate_params(
    {
        "X": ["array-like"],
        "Z": ["array-like"],
        "estimator": [HasMethods(["fit", "score"]), None],
        "n_permutations": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"auto", "split", "permutation"})],
        "test_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def independence_test(
    X: ArrayLike,
    Z: ArrayLike,
    estimator: BaseEstimator | None = None,
    *,
    n_permutations: int = 199,
    method: str = "auto",
    test_fraction: float = 0.5,
    random_state: RandomStateLike = None,
    n_jobs: int | None = None,
) -> IndependenceTestResult:
    r"""Test whether X and Z are independent by permuting Z.

    The null hypothesis is I(X; Z) = 0; the statistic is an MI estimate and
    large values are evidence against it.

    Two methods:

    - ``"split"`` (an estimator with ``pointwise_mi``, such as
      :class:`~sknmi.NeuralMIEstimator`): a clone is fitted once on
      ``1 - test_fraction`` of the rows, and its ``score`` on the held-out
      rows is the statistic. The null distribution is the same ``score`` on
      the held-out rows with Z permuted, with the critic fixed: one fit in
      all, however many permutations.
    - ``"permutation"`` (any estimator): the estimate ``mi_`` on all rows is
      the statistic, and it is recomputed on every permutation of Z: B + 1
      fits. The neural estimator fits them as the members of stacked modules
      (up to 64 fits side by side, each with its own early stopping; see
      :ref:`batched-fits`), the observed fit among them, so that the
      statistic and its null are fitted alike.

    ``"auto"`` takes ``"split"`` where the estimator has ``pointwise_mi``
    and ``"permutation"`` otherwise. The split test is the cheap one; the
    permutation test reads every row with critics trained on all of them,
    the more powerful where the rows are few (see :ref:`independence-bench`).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        First variable.
    Z : array-like of shape (n_samples,) or (n_samples, n_z_features)
        Second variable (class labels allowed where the estimator takes them).
    estimator : estimator object, default=None
        An unfitted MI estimator with ``fit(X, y)`` and ``score(X, y)`` that
        declares ``_estimates_mi = True`` (every MI estimator of sknmi does);
        cloned, never modified. None means
        ``NeuralMIEstimator(hidden_layer_sizes=(64,), max_iter=50)``.
    n_permutations : int, default=199
        Number of permutations B; the smallest attainable p-value is
        ``1 / (B + 1)``.
    method : {"auto", "split", "permutation"}, default="auto"
        How the null distribution is made (see above); ``"split"`` needs an
        estimator with ``pointwise_mi``.
    test_fraction : float, default=0.5
        For the split test: the share of rows held out to read the statistic.
    random_state : int, RandomState instance or None, default=None
        Seeds the clone of ``estimator`` (first draw; an int ``random_state``
        of its own is kept, see :ref:`seeding`), then the split and the
        permutations. The permuted refits share the clone's seed.
    n_jobs : int, default=None
        For the permutation test: the fits that do not run as one batched
        fit (every fit of an estimator other than the neural one) run at
        once, through joblib (None means 1 unless in a
        :func:`joblib.parallel_config` context, -1 all cores; see
        :ref:`scaling`). Every permutation is drawn before dispatch, so the
        result is the same for every ``n_jobs``. The split test fits once and
        ignores it.

    Returns
    -------
    result : IndependenceTestResult
        ``statistic``, ``pvalue``, ``null_distribution``, ``method`` and the
        fitted ``estimator``.

    Notes
    -----
    Validity of the split test: given the trained critic, which depends on
    the training rows only, the held-out pairs are i.i.d.; under
    independence, permuting Z among them leaves their joint law unchanged, so
    the observed statistic and the B permuted ones are exchangeable and

    .. math:: p = \frac{1 + \#\{b : T_b \ge T\}}{1 + B}

    satisfies :math:`P(p \le \alpha) \le \alpha` for every :math:`\alpha`,
    whatever the critic learnt, in finite samples. The same argument holds
    for the full-data permutation test. The price of the split is power: the
    statistic sees ``test_fraction`` of the rows and the critic the rest.

    References
    ----------
    Phipson & Smyth, "Permutation P-values Should Never Be Zero", Stat. Appl.
    Genet. Mol. Biol. 9 (2010).
    Kim, Ramdas, Singh & Wasserman, "Classification accuracy as a proxy for
    two-sample testing", Ann. Statist. 49 (2021) (held-out statistics with a
    fixed learnt function).

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi import GaussianMIEstimator, independence_test
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(300)
    >>> z = x + rng.standard_normal(300)
    >>> result = independence_test(x[:, None], z, GaussianMIEstimator(),
    ...                            n_permutations=99, random_state=0)
    >>> result.pvalue
    0.01
    >>> independence_test(x[:, None], rng.standard_normal(300),
    ...                   GaussianMIEstimator(), random_state=0).pvalue > 0.05
    True
    """
    check_no_dates(X, "X")
    check_no_dates(Z, "Z")
    X = check_array(X, ensure_min_samples=4, dtype="numeric")
    Z = check_array(Z, ensure_2d=False, dtype=None, ensure_min_samples=4)
    check_consistent_length(X, Z)
    if estimator is None:
        from sknmi.mi import NeuralMIEstimator

        estimator = NeuralMIEstimator(hidden_layer_sizes=(64,), max_iter=50)
    check_mi_estimator(estimator, "independence_test")
    check_unconditional(
        estimator,
        "independence_test",
        "permutes Z against all of X, which tests I(X; Z) = 0, not conditional "
        "independence",
    )
    rng = check_random_state(random_state)
    est = seeded_clone(estimator, rng)
    n = X.shape[0]

    if method == "auto":
        method = "split" if hasattr(est, "pointwise_mi") else "permutation"
    if method == "split":
        if not hasattr(est, "pointwise_mi"):
            raise ValueError(
                f"method='split' reads a fitted estimator's pointwise_mi, which "
                f"{type(est).__name__} does not have; use method='permutation'"
            )
        train, test = held_out_rows(n, test_fraction, rng, min_train=4)
        n_test = len(test)
        est.fit(X[train], Z[train])
        Xt, Zt = X[test], Z[test]
        statistic = float(est.score(Xt, Zt))
        null = np.array(
            [
                float(est.score(Xt, Zt[rng.permutation(n_test)]))
                for _ in range(n_permutations)
            ]
        )
    else:
        # The observed fit is one task among the permuted ones, with the same
        # seed: the B + 1 fits are made alike (batched together where the
        # estimator batches), so under the null their estimates are
        # exchangeable.
        tasks = [(est, X, Z)]
        tasks += [(clone(est), X, Z[rng.permutation(n)]) for _ in range(n_permutations)]
        labels = ["independence_test, observed"]
        labels += [f"independence_test, permutation {b}" for b in range(n_permutations)]
        fitted = fit_many(tasks, n_jobs=n_jobs, labels=labels, read=_read_fitted)
        (statistic, est), null = fitted[0], np.array([v for v, _ in fitted[1:]])
    pvalue = permutation_pvalue(statistic, null)
    return IndependenceTestResult(statistic, pvalue, null, method, est)


def _read_fitted(estimator):
    """``mi_`` and the fitted estimator (a copy where joblib ran it elsewhere)."""
    return float(estimator.mi_), estimator


def permutation_pvalue(statistic: float, null: ArrayLike) -> float:
    """``(1 + #{null >= statistic}) / (1 + len(null))``, the valid p-value.

    Parameters
    ----------
    statistic : float
        The observed statistic (large values against the null).
    null : array-like of shape (B,)
        The statistic on B permuted data sets.

    Returns
    -------
    float
        In ``[1 / (B + 1), 1]``. Infinite values are compared as any
        other (an infinite statistic against a finite null gives
        ``1 / (B + 1)``); NaN raises a ValueError.

    Examples
    --------
    >>> from sknmi.independence import permutation_pvalue
    >>> permutation_pvalue(2.0, [0.1, 3.0, 2.0, -1.0])
    0.6
    >>> permutation_pvalue(float("inf"), [0.1, 3.0, 2.0, -1.0])
    0.2
    """
    null = np.asarray(null, dtype=np.float64).ravel()
    if np.isnan(statistic) or np.isnan(null).any():
        raise ValueError("the statistic and its null distribution must not be NaN")
    # An infinite statistic (an exact dependence) is compared like any other:
    # +inf beats every finite permuted value, so p = 1 / (B + 1).
    return float((1 + np.count_nonzero(null >= statistic)) / (1 + null.size))
