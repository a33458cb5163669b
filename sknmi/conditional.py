"""ConditionalMIEstimator: I(X; Z | W) as the difference of two MI estimates."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from sknmi._folds import held_out_rows
from sknmi._parallel import fit_many
from sknmi._stats import half_width, long_run_variance
from sknmi._typing import ArrayLike, Self
from sknmi._validation import check_mi_estimator, resolve_given, validate_xz
from sknmi._wrapping import WrapsMIEstimator

__all__ = ["ConditionalMIEstimator"]

# A difference this many times smaller than the larger of its two terms is
# flagged (NeuralMI's rule): the terms' biases, a few percent each and not in
# the interval, are then as large as the difference itself.
_RATIO_WARNING = 10.0


class ConditionalMIEstimator(WrapsMIEstimator, BaseEstimator):
    r"""Conditional mutual information I(X; Z | W) from two MI estimates.

    The conditioning set W is a group of columns of ``X`` chosen by ``given``
    (so ``fit(X, y)`` keeps scikit-learn's signature, and the estimator fits in
    a ``Pipeline`` or ``GridSearchCV``); the rest of the columns are the first
    variable and ``y`` is the second variable Z. By the chain rule

    .. math:: I(X; Z \mid W) = I(Z; [X, W]) - I(Z; W),

    and each term is estimated by a clone of ``estimator``. With
    ``given=None`` W is empty and the estimate is the plain I(X; Z).

    Parameters
    ----------
    estimator : estimator object, default=None
        The MI estimator cloned for both terms: a
        :class:`~sknmi.NeuralMIEstimator` (None means
        ``NeuralMIEstimator(critic="concat")``, see Notes),
        :class:`~sknmi.KSGEstimator` or
        :class:`~sknmi.GaussianMIEstimator`, or any estimator with
        ``fit(X, y)``, ``mi_`` and ``mi_ci_`` that declares so with the class
        attribute ``_estimates_mi = True``. Its ``discrete_z`` (if any) decides
        whether Z holds class labels. Its parameters are reachable as
        ``estimator__<name>`` (e.g. for ``GridSearchCV``).
    given : int, array-like of int or of bool, or None, default=None
        Columns of X that form the conditioning set W: indices or a boolean
        mask. None conditions on nothing.
    test_fraction : float, default=0.2
        For an estimator with ``pointwise_mi`` (the neural one): share of rows
        held out from both fits, on which the two terms are read. Ignored for
        the others, which fit and read both terms on all rows.
    n_estimators : int, default=1
        For an estimator with ``pointwise_mi``: how many pairs of clones to
        fit, each pair with its own seed (overriding the estimator's
        ``random_state`` when above 1), all on the same training rows. The
        estimate is their mean, which averages out the training noise of a
        single critic, and the interval then includes their spread (see
        Notes). Costs ``2 n_estimators`` fits. Ignored for the others.
    random_state : int, RandomState instance or None, default=None
        Seeds the clones of ``estimator``, one draw per pair before the split
        (the two clones of a pair share it; a clone whose own ``random_state``
        is an int keeps it unless ``n_estimators > 1``: see :ref:`seeding`),
        then the held-out split.

    Attributes
    ----------
    mi_ : float
        The estimate of I(X; Z | W) in nats (of I(X; Z) when ``given=None``).
        Not clipped at 0: a negative value is sampling or estimation error.
    mi_ci_ : tuple of float
        Approximate 95% interval of ``mi_`` (see Notes).
    mi_joint_ : float
        The estimate of I(Z; [X, W]) that ``mi_`` subtracts from.
    mi_given_ : float
        The estimate of I(Z; W) (0.0 when ``given=None``).
    difference_ratio_ : float
        The larger of ``|mi_joint_|`` and ``|mi_given_|`` over ``|mi_|`` (1
        with ``given=None``). Above 10, with an interval that excludes 0,
        ``fit`` warns: a few percent of bias in either term, which neither
        interval holds, is then as large as the estimate itself. With an
        interval that holds 0 the ratio is large by nature (the terms are
        equal up to noise) and no warning is given.
    mi_estimates_ : ndarray of shape (n_estimators,)
        The estimate of each pair of clones (one entry for an estimator
        without ``pointwise_mi``).
    estimators_ : list of tuple
        The fitted pairs ``(joint, given)`` of clones: ``joint`` fitted on
        ([X, W], Z), ``given`` on (W, Z) (None when ``given=None``).
    estimator_joint_ : estimator
        The first ``joint`` clone.
    estimator_given_ : estimator or None
        The first ``given`` clone; None when ``given=None``.
    given_ : ndarray of int
        Column indices of W in X.
    classes_ : ndarray or None
        The class labels of a 1-D label Z; None for continuous Z.
    n_z_features_ : int
        Columns of Z (after one-hot encoding of labels).
    n_features_in_ : int
        Number of columns of X (W included).
    feature_names_in_ : ndarray of str
        Column names of X, when X has them.

    See Also
    --------
    sknmi.KSGConditionalEstimator : the Frenzel–Pompe kNN estimate.
    sknmi.independence_test : a permutation test of I(X; Z) = 0.

    Notes
    -----
    Writing the difference as :math:`I(Z; [X, W]) - I(Z; W)` (rather than
    :math:`I(X; [Z, W]) - I(X; W)`) keeps Z as the second variable of both
    fits, so class labels in Z work as they do for the plain estimators.

    For an estimator with ``pointwise_mi`` the rows are split once (seeded by
    ``random_state``) into a training part, on which both clones are fitted
    (each makes its own validation split from it for early stopping), and a
    held-out part of ``test_fraction``. Both terms are read on the same
    held-out rows with ``score``, and the interval is
    :math:`\pm 1.96\, s / \sqrt{m}` with :math:`s` the standard deviation of
    the per-row differences of the two critics' pointwise MI over the
    :math:`m` held-out rows: the terms pair up row by row, so the noise they
    share cancels. For ``bound="logratio"`` (the default) ``score`` is the
    mean of ``pointwise_mi`` and the interval is the usual one for a mean;
    for the other bounds it leaves out the noise of the partition term.
    With ``n_estimators = K > 1`` the per-row differences are averaged over
    the K pairs first, and the variance :math:`s_K^2 / K` of the mean of the K
    pairs' estimates is added: the held-out rows are the same for all pairs,
    so their spread is training noise (seeds), which a single fit's interval
    cannot see and which, on the benchmark, is several times its sampling
    noise.

    When the base estimator has ``shuffle=False`` (ordered rows, such as a
    time series; see :class:`~sknmi.NeuralMIEstimator`) the held-out rows are
    the last ``test_fraction`` of the rows, and the base's ``gap`` rows
    before them are used by neither fit, so that no held-out row was read by
    critics that trained on its neighbours; each clone then cross-fits on
    contiguous blocks of the training rows, and the sampling variance of the
    per-row differences is their long-run (Newey-West) variance, since
    neighbouring rows of a series are correlated.

    For the other estimators both terms are fitted on all rows and the two
    half-widths of ``mi_ci_`` are combined in quadrature, which overstates
    the noise of the difference when the terms are positively correlated
    (as they are: both see the same rows).

    The default concat critic: on the benchmark (X, Z, W 5-dimensional each,
    20,000 rows, conditional MI of 1 to 3 nats) the difference of two
    separable critics (NeuralMIEstimator's default) came out 4 to 13% high on
    average, its larger term over-estimated, while with concat critics every
    estimate was within 10% of the truth (``benchmarks/conditional.py``).

    Either interval covers sampling noise only, not the bias of the two
    estimates, which need not cancel (a neural or kNN estimate of the larger
    term :math:`I(Z; [X, W])` is usually further below the truth).

    References
    ----------
    Cover & Thomas, "Elements of Information Theory", 2nd ed., §2.5 (the chain
    rule).
    Mukherjee, Asnani & Kannan, "CCMI: Classifier based Conditional Mutual
    Information Estimation", UAI 2019 (the difference of two neural
    estimates).

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi import ConditionalMIEstimator, GaussianMIEstimator
    >>> from sknmi.datasets import make_gaussian_conditional
    >>> X, Z, W, cmi = make_gaussian_conditional(5000, n_features=2, cmi=1.0,
    ...                                          random_state=0)
    >>> est = ConditionalMIEstimator(GaussianMIEstimator(), given=[2, 3])
    >>> est = est.fit(np.hstack([X, W]), Z)
    >>> est.mi_ci_[0] < cmi < est.mi_ci_[1]
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "given": ["array-like", Integral, None],
        "test_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }
    _estimates_mi = True
    _default_params = {"critic": "concat"}

    def __init__(
        self,
        estimator=None,
        given=None,
        test_fraction=0.2,
        n_estimators=1,
        random_state=None,
    ):
        self.estimator = estimator
        self.given = given
        self.test_fraction = test_fraction
        self.n_estimators = n_estimators
        self.random_state = random_state

    def _second(self, Z):
        """Z as the clones should see it: the original labels, or the columns."""
        if self.classes_ is not None:
            return self.classes_[Z.argmax(1)]
        return Z if Z.shape[1] > 1 else Z[:, 0]

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Estimate I(X; Z | W), W being the columns ``given`` of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The first variable and, in the columns ``given``, the
            conditioning set W.
        y : array-like of shape (n_samples,) or (n_samples, n_z_features)
            Second variable Z (named ``y`` for scikit-learn). A 1-D array of
            integers, booleans or strings is read as class labels.

        Returns
        -------
        self : ConditionalMIEstimator
            The fitted estimator.
        """
        tasks, conditioned, read = self._start(X, y)
        fitted = fit_many(tasks, read=_itself, stacklevel=2)
        return self._finish(fitted, conditioned, read)

    @classmethod
    def _fit_batch(cls, tasks, n_jobs=None):
        """Fit several ``(estimator, X, y)`` at once: the clones of all their
        terms go to :func:`~sknmi._parallel.fit_many` together (the neural
        estimator's train as the members of stacked modules, the terms of
        one width side by side: the two directions of a transfer entropy,
        the pairs of ``n_estimators``). Returns ``(fitted, warnings)`` per
        task, or None for one left to its own fit (a base estimator that does
        not batch; a fit that fails before training, which fails again there).
        """
        out, started = [None] * len(tasks), []
        for i, (est, X, y) in enumerate(tasks):
            if getattr(type(est._base()), "_fit_batch", None) is None:
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    started.append((i, est._start(X, y), caught))
                except Exception:
                    continue
        if not started:
            return out
        inner = [task for _, (terms, _, _), _ in started for task in terms]
        done = iter(fit_many(inner, n_jobs=n_jobs, read=_itself, warn=False))
        for i, (terms, conditioned, read), before in started:
            est, caught = tasks[i][0], [(w.category, str(w.message)) for w in before]
            fitted = []
            for _ in terms:
                term, during = next(done)
                fitted.append(term)
                caught += during
            with warnings.catch_warnings(record=True) as after:
                warnings.simplefilter("always")
                est._finish(fitted, conditioned, read)
            out[i] = (est, caught + [(w.category, str(w.message)) for w in after])
        return out

    def _start(self, X, y):
        """Everything before the terms are fitted: ``(tasks, conditioned,
        read)``, the clones to fit as ``(clone, rows, Z)`` (the joint terms'
        first, then the given terms'), whether W is conditioned on, and the
        held-out rows the finish reads them on (None: the clones' own
        estimates)."""
        self._validate_params()
        base = self._base()
        check_mi_estimator(base, "ConditionalMIEstimator")
        # Z is read as its clones will read it: by the base estimator's rule.
        X, Z = validate_xz(
            self,
            X,
            y,
            reset=True,
            min_samples=2,
            discrete_z=getattr(base, "discrete_z", "auto"),
        )
        self.given_, rest = resolve_given(self.given, X.shape[1])
        Z = self._second(Z)
        XW = np.ascontiguousarray(X[:, np.concatenate([rest, self.given_])])
        W = np.ascontiguousarray(X[:, self.given_])
        rng = check_random_state(self.random_state)
        conditioned = self.given_.size > 0
        if not hasattr(base, "pointwise_mi"):
            (joint,) = self._clones(1, rng)
            tasks = [(joint, XW, Z)] + ([(clone(joint), W, Z)] if conditioned else [])
            return tasks, conditioned, None
        # Several pairs are meant to differ: each takes its own seed even when
        # the base estimator has one; the two clones of a pair share it.
        clones = self._clones(self.n_estimators, rng, force=self.n_estimators > 1)
        ordered = getattr(base, "shuffle", True) is False
        # Ordered rows (a time series): the held-out rows are the last block,
        # the base's gap before it left out, so that no row is read by critics
        # that trained on its neighbours; both parts stay in time order.
        train, test = held_out_rows(
            XW.shape[0],
            self.test_fraction,
            rng,
            contiguous=ordered,
            gap=int(getattr(base, "gap", 0)) if ordered else 0,
            min_train=4,
        )
        tasks = [(joint, XW[train], Z[train]) for joint in clones]
        if conditioned:
            tasks += [(clone(joint), W[train], Z[train]) for joint in clones]
        return tasks, conditioned, (XW[test], W[test], Z[test], ordered)

    def _finish(self, fitted, conditioned, read):
        """The estimate and its interval from the fitted clones, in the order
        of the tasks (copies where joblib fitted them in other processes):
        the joint terms' first, then (conditioned) the given terms' in the
        same order, paired by position."""
        n = len(fitted) // 2 if conditioned else len(fitted)
        givens = fitted[n:] if conditioned else [None] * n
        pairs = list(zip(fitted[:n], givens))
        if read is None:
            joint, given = pairs[0]
            self.mi_joint_, half = float(joint.mi_), _half_width(joint)
            self.mi_given_ = 0.0
            if given is not None:
                self.mi_given_ = float(given.mi_)
                half = math.hypot(half, _half_width(given))
            self.mi_ = self.mi_joint_ - self.mi_given_
            self.mi_estimates_ = np.array([self.mi_])
            self.estimators_ = [(joint, given)]
        else:
            half = self._read_held_out(pairs, *read)
        self.mi_ci_ = (self.mi_ - half, self.mi_ + half)
        self.estimator_joint_, self.estimator_given_ = self.estimators_[0]
        self.difference_ratio_ = _difference_ratio(
            self.mi_joint_, self.mi_given_, self.mi_
        )
        if self.difference_ratio_ > _RATIO_WARNING and not (
            self.mi_ci_[0] <= 0.0 <= self.mi_ci_[1]
        ):
            warnings.warn(
                f"ConditionalMIEstimator: mi_ = {self.mi_:.4g} is a small "
                f"difference of two large terms (I(Z; [X, W]) = "
                f"{self.mi_joint_:.4g}, I(Z; W) = {self.mi_given_:.4g}; "
                f"difference_ratio_ = {self.difference_ratio_:.3g}): a bias of "
                "a few percent in either term, which the interval does not "
                "hold, moves it by as much as itself",
                UserWarning,
                stacklevel=3,
            )
        return self

    def _read_held_out(self, pairs, XW, W, Z, ordered):
        """Both terms of each fitted pair read on the held-out rows."""
        n_test = XW.shape[0]
        self.estimators_, estimates, joint_values, given_values = [], [], [], []
        differences = []  # per critic pair: its per-row terms on the test rows
        for joint, given in pairs:
            joint_terms = _member_terms(joint, XW, Z)
            given_terms = [np.zeros(n_test)] * len(joint_terms)
            if given is not None:
                given_terms = _member_terms(given, W, Z)
            if len(given_terms) != len(joint_terms):  # unpaired: one mean each
                joint_terms = [np.mean(joint_terms, axis=0)]
                given_terms = [np.mean(given_terms, axis=0)]
            pairs_terms = [a - b for a, b in zip(joint_terms, given_terms)]
            differences += pairs_terms
            joint_values.append(np.mean([t.mean() for t in joint_terms]))
            given_values.append(np.mean([t.mean() for t in given_terms]))
            estimates.append(np.mean([d.mean() for d in pairs_terms]))
            self.estimators_.append((joint, given))
        self.mi_estimates_ = np.array(estimates)
        self.mi_joint_ = float(np.mean(joint_values))
        self.mi_given_ = float(np.mean(given_values))
        self.mi_ = float(np.mean([d.mean() for d in differences]))
        return _paired_half_width(np.array(differences), ordered=ordered)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """The estimate of I(X; Z | W) on the given rows, in nats.

        The difference of the two fitted estimators' ``score`` on (X, Z)
        (for the neural estimator, the read-outs of the fitted critics),
        averaged over the ``n_estimators`` pairs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The first variable and the conditioning set, as in ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_z_features)
            Second variable Z.

        Returns
        -------
        score : float
            The estimate, in nats.
        """
        check_is_fitted(self)
        X, Z = validate_xz(self, X, y, reset=False, min_samples=2)
        rest = np.setdiff1d(np.arange(X.shape[1]), self.given_)
        Z = self._second(Z)
        XW = np.ascontiguousarray(X[:, np.concatenate([rest, self.given_])])
        W = np.ascontiguousarray(X[:, self.given_])
        values = []
        for joint, given in self.estimators_:
            value = float(joint.score(XW, Z))
            if given is not None:
                value -= float(given.score(W, Z))
            values.append(value)
        return float(np.mean(values))


def _itself(estimator):
    return estimator


def _difference_ratio(joint, given, difference):
    """The larger term over the size of their difference (inf for none)."""
    larger = max(abs(joint), abs(given))
    if difference == 0.0:
        return math.inf if larger > 0.0 else 1.0
    return larger / abs(difference)


def _member_terms(estimator, X, Z):
    """Each fitted critic's per-row read-out terms (the neural estimator's fold
    critics one by one), else the pointwise MI as one critic's terms."""
    if hasattr(estimator, "_member_terms"):
        return estimator._member_terms(X, Z)
    return [np.asarray(estimator.pointwise_mi(X, Z), dtype=np.float64)]


def _paired_half_width(differences, ordered=False):
    """Half-width of the mean of M critics' per-row differences on the same rows.

    The variance adds the rows' sampling error (of the critics' mean
    difference per row) and the critics' training noise: their values'
    spread, all of it, since on the same rows nothing else moves them. Rows
    in time order (``ordered``) are correlated with their neighbours: their
    sampling error is then the long-run variance of the per-row differences.
    """
    m, n = differences.shape
    per_row = differences.mean(0)
    sampling = (
        long_run_variance(per_row) if ordered else float(np.var(per_row, ddof=1))
    ) / n
    spread = float(np.var(differences.mean(1), ddof=1)) if m > 1 else 0.0
    return half_width(sampling, spread, spread, m)


def _half_width(estimator):
    lo, hi = estimator.mi_ci_
    return (hi - lo) / 2.0
