"""MI feature selection: scores for :class:`~sklearn.feature_selection.SelectKBest`
and kin, and the greedy minimum-redundancy maximum-relevance selector."""

from collections.abc import Callable, Sequence
from functools import partial
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
)

from sknmi._parallel import fit_many, read_point, seeded_clone, seeded_clones
from sknmi._typing import ArrayLike, RandomStateLike, Self
from sknmi._validation import (
    check_groups,
    check_mi_estimator,
    check_no_dates,
    check_unconditional,
    validate_x_target,
)

__all__ = ["MRMRSelector", "mi_scorer", "mi_scores"]


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


def mi_scores(
    X: ArrayLike,
    y: ArrayLike,
    *,
    estimator: BaseEstimator | None = None,
    groups: Sequence[Sequence[int]] | None = None,
    conditional: bool = False,
    n_jobs: int | None = None,
    random_state: RandomStateLike = None,
) -> np.ndarray:
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
    random_state : int, RandomState instance or None, default=None
        Seeds the clones of ``estimator``, one draw per score before
        dispatch (a clone whose own ``random_state`` is an int keeps it: see
        :ref:`seeding`), so the scores do not depend on ``n_jobs``.

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
    tasks, labels, parts = [], [], check_groups(groups, n_features)
    rng = check_random_state(random_state)
    for cols in parts:
        if conditional and len(cols) < n_features:
            given = [j for j in range(n_features) if j not in cols]
            tasks.append((seeded_clone(_conditional(estimator, given), rng), X, y))
        else:
            tasks.append((seeded_clone(estimator, rng), X[:, cols], y))
        labels.append(f"mi_scores, column(s) {cols}")
    values = fit_many(tasks, n_jobs=n_jobs, labels=labels, read=read_point)
    for cols, value in zip(parts, values):
        scores[cols] = value
    return scores


def mi_scorer(
    estimator: BaseEstimator | None = None,
    *,
    groups: Sequence[Sequence[int]] | None = None,
    conditional: bool = False,
    n_jobs: int | None = None,
    random_state: RandomStateLike = None,
) -> Callable[[ArrayLike, ArrayLike], np.ndarray]:
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
    random_state : int, RandomState instance or None, default=None
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
        random_state=random_state,
    )


def _as_measurement(estimator):
    """A clone of ``estimator`` that reads its second variable as continuous.

    Redundancy is the MI between two feature columns: a column is a
    measurement even when the user told the estimator that the target holds
    class labels (``discrete_z=True``).
    """
    estimator = clone(estimator)
    if "discrete_z" in estimator.get_params(deep=False):
        estimator.set_params(discrete_z=False)
    return estimator


class MRMRSelector(SelectorMixin, BaseEstimator):
    r"""Greedy minimum-redundancy maximum-relevance (mRMR) feature selection.

    Chooses ``n_features_to_select`` features one at a time. The first is
    the most relevant, the one with the largest :math:`I(X_j; y)`; each
    next one maximises its relevance minus its mean redundancy with the
    features ``S`` already chosen,

    .. math:: I(X_j; y) - \frac{1}{|S|} \sum_{s \in S} I(X_j; X_s),

    the MID criterion of Peng, Long & Ding (2005), or, with
    ``conditional=True``, what it adds to them, :math:`I(X_j; y \mid X_S)`.
    Unlike ranking by relevance alone
    (:class:`~sklearn.feature_selection.SelectKBest` with
    :func:`~sklearn.feature_selection.mutual_info_classif`), it does not
    spend its budget on near copies of a feature it already has.

    Parameters
    ----------
    estimator : estimator object, default=None
        The MI estimator, cloned for every estimate and never modified: None
        means :class:`~sknmi.KSGEstimator` (milliseconds per estimate, no
        training), or any estimator with ``fit(X, y)`` and ``mi_`` that
        declares ``_estimates_mi = True`` (:class:`~sknmi.NeuralMIEstimator`,
        :class:`~sknmi.GaussianMIEstimator`). Its ``given`` must be None.
        It reads ``y`` by its own rule (class labels or a measurement, see
        :doc:`/user_guide/input_data`); redundancies are always between
        continuous columns (``discrete_z=False`` in their clones).
    n_features_to_select : "auto", int or float, default="auto"
        How many features to choose: an int, a fraction of the features in
        (0, 1] (rounded down, at least one), or "auto" for half of them
        (rounded down, at least one).
    conditional : bool, default=False
        False: relevance minus mean redundancy (MID). True: the conditional
        MI :math:`I(X_j; y \mid X_S)`, estimated with
        :class:`~sknmi.KSGConditionalEstimator` when ``estimator`` is a
        :class:`~sknmi.KSGEstimator` and with
        :class:`~sknmi.ConditionalMIEstimator` otherwise (as in
        :func:`~sknmi.feature_selection.mi_scores`). It also credits a
        feature informative only together with chosen ones, but each
        estimate conditions on all the chosen features, which costs accuracy
        and time as ``S`` grows.
    n_jobs : int, default=None
        Estimates run at once through joblib: the relevances in one batch,
        then each step's redundancies (or conditional MIs) in one batch.
        None means 1 unless in a :func:`joblib.parallel_config` context, -1
        all cores; ``parallel_config(backend="dask")`` runs them on a dask
        cluster (see :ref:`scaling`). The selection does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the clones of ``estimator``, one draw per fit in fit order
        before dispatch (a clone whose own ``random_state`` is an int keeps
        it: see :ref:`seeding`). Pass an int for a reproducible selection.

    Attributes
    ----------
    n_features_to_select_ : int
        The number of features chosen.
    support_ : ndarray of shape (n_features,), dtype=bool
        The mask of the chosen features.
    selected_features_ : ndarray of shape (n_selected,), dtype=int
        The indices of the chosen features, in the order they were chosen.
    scores_ : ndarray of shape (n_selected,)
        The criterion of each chosen feature at the step it was chosen, in
        nats, in the order of ``selected_features_``: its relevance for the
        first; then relevance minus mean redundancy, or the conditional MI.
    relevance_ : ndarray of shape (n_features,)
        :math:`I(X_j; y)` of every feature, in nats.
    redundancy_ : ndarray of shape (n_features, n_features) or None
        :math:`I(X_i; X_j)` (symmetric) for each pair that the selection
        needed, each estimated once; NaN elsewhere. None when
        ``conditional=True``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during fit, when X has string column
        names.

    See Also
    --------
    sknmi.feature_selection.mi_scores : One score per feature, for
        :class:`~sklearn.feature_selection.SelectKBest`.
    sklearn.feature_selection.SequentialFeatureSelector : Greedy selection
        by a model's cross-validated score (slower, model-specific).

    Notes
    -----
    With :math:`p` features and :math:`k` chosen, MID costs :math:`p`
    relevance estimates and :math:`p - i` redundancies at step :math:`i`
    (each pair is estimated once, against the feature chosen last), about
    :math:`p k` estimates in all; the conditional variant the same number,
    each conditioned on up to :math:`k - 1` columns. Estimates are not
    clipped at 0 (a small negative value is noise). Ties go to the more
    relevant feature, then to the lower index; an undefined criterion (an
    infinite relevance minus an infinite redundancy: a feature that copies
    one already chosen) counts as :math:`-\infty`.

    References
    ----------
    H. Peng, F. Long and C. Ding, "Feature selection based on mutual
    information: criteria of max-dependency, max-relevance, and
    min-redundancy", IEEE TPAMI 27(8), 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi.feature_selection import MRMRSelector
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.standard_normal((2, 500))
    >>> copy_of_a = a + 0.01 * rng.standard_normal(500)
    >>> X = np.column_stack([a, copy_of_a, b])
    >>> y = a + 0.6 * b + 0.3 * rng.standard_normal(500)
    >>> select = MRMRSelector(n_features_to_select=2, random_state=0).fit(X, y)
    >>> select.selected_features_  # a, then b rather than a's copy
    array([0, 2])
    >>> select.transform(X).shape
    (500, 2)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "n_features_to_select": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "conditional": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_features_to_select="auto",
        conditional=False,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_features_to_select = n_features_to_select
        self.conditional = conditional
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        # transform returns columns of its input: float32 stays float32
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Choose the features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target: continuous, or class labels (a 1-D array of integers,
            booleans or strings, as read by the MI estimator).

        Returns
        -------
        self : MRMRSelector
            The fitted selector.
        """
        self._validate_params()
        if self.estimator is None:
            from sknmi.baselines import KSGEstimator

            estimator = KSGEstimator()
        else:
            estimator = self.estimator
        check_mi_estimator(estimator, "MRMRSelector")
        check_unconditional(estimator, "MRMRSelector")
        X, y = validate_x_target(self, X, y)
        n_features = X.shape[1]
        k = self._n_to_select(n_features)
        # Seeds drawn here, in fit order, before dispatch (the one rule of
        # sknmi._parallel.seeded_clones): the selection is the same whatever
        # n_jobs and back-end run the fits.
        rng = check_random_state(self.random_state)
        relevance = np.array(
            fit_many(
                [
                    (est, X[:, [j]], y)
                    for j, est in enumerate(seeded_clones(estimator, n_features, rng))
                ],
                n_jobs=self.n_jobs,
                labels=[
                    f"MRMRSelector, relevance of column {j}" for j in range(n_features)
                ],
                read=read_point,
            )
        )
        redundancy = (
            None if self.conditional else np.full((n_features, n_features), np.nan)
        )
        chosen = [self._best(relevance, list(range(n_features)), relevance)]
        scores = [relevance[chosen[0]]]
        while len(chosen) < k:
            rest = [j for j in range(n_features) if j not in chosen]
            values = self._step(estimator, X, y, chosen, rest, rng, redundancy)
            if redundancy is not None:
                with np.errstate(invalid="ignore"):
                    values = relevance[rest] - redundancy[np.ix_(rest, chosen)].mean(1)
            best = self._best(values, rest, relevance)
            chosen.append(rest[best])
            scores.append(values[best])
        self.n_features_to_select_ = k
        self.selected_features_ = np.array(chosen, dtype=int)
        self.scores_ = np.array(scores, dtype=float)
        self.support_ = np.zeros(n_features, dtype=bool)
        self.support_[chosen] = True
        self.relevance_ = relevance
        self.redundancy_ = redundancy
        return self

    def _step(self, estimator, X, y, chosen, rest, rng, redundancy):
        """The estimates one greedy step needs for the candidates ``rest``.

        Conditional: :math:`I(X_j; y \\mid X_S)` for each candidate. Otherwise
        the redundancies with the feature chosen last (the only new pairs),
        written into ``redundancy``; the criterion is then the caller's.
        """
        if self.conditional:
            given = list(range(1, len(chosen) + 1))
            clones = seeded_clones(_conditional(estimator, given), len(rest), rng)
            tasks = [(c, X[:, [j, *chosen]], y) for c, j in zip(clones, rest)]
            labels = [f"MRMRSelector, I(column {j}; y | {chosen})" for j in rest]
        else:
            last = chosen[-1]
            clones = seeded_clones(_as_measurement(estimator), len(rest), rng)
            tasks = [(c, X[:, [j]], X[:, [last]]) for c, j in zip(clones, rest)]
            labels = [
                f"MRMRSelector, redundancy of columns {j} and {last}" for j in rest
            ]
        values = np.array(
            fit_many(tasks, n_jobs=self.n_jobs, labels=labels, read=read_point)
        )
        if redundancy is not None:
            redundancy[rest, last] = redundancy[last, rest] = values
        return values

    def _n_to_select(self, n_features):
        n = self.n_features_to_select
        if isinstance(n, str):  # "auto"
            return max(1, n_features // 2)
        if isinstance(n, Integral):
            if n > n_features:
                raise ValueError(
                    f"n_features_to_select={n} is more than the features of X "
                    f"(n_features={n_features})"
                )
            return int(n)
        return max(1, int(n * n_features))

    @staticmethod
    def _best(values, rest, relevance):
        """Position in ``rest`` of the best criterion ``values`` (see Notes)."""
        values = np.where(np.isnan(values), -np.inf, values)
        rel = np.where(np.isnan(relevance[rest]), -np.inf, relevance[rest])
        # max keeps the first of equal keys: the lowest index among full ties
        return max(range(len(rest)), key=lambda i: (values[i], rel[i]))

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_
