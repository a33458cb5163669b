"""ExtrapolatedMIEstimator: the finite-sample bias of an MI estimate, extrapolated away.

An estimate from ``n`` rows is off by a bias that shrinks as the rows grow;
to first order it is linear in ``1 / n``. Fitting the estimator on the whole
sample, on its halves and on its quarters gives three points of that line:
its intercept at ``1 / n = 0`` is the estimate an unlimited sample would
give (the "direct method" of Strong et al. 1998, used for neural estimators
by the NeuralMI package). The points come with their own intervals, the
intercept with the interval of a weighted least-squares line, and a warning
says when the points do not lie on a line (the bias is then not the
first-order one, and the intercept is not to be trusted).
"""

import math
import warnings

import numpy as np
from scipy.stats import chi2
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods

from sknmi._folds import random_parts
from sknmi._stats import Z95
from sknmi._typing import ArrayLike, Self
from sknmi._validation import check_mi_estimator, validate_xz
from sknmi._wrapping import WrapsMIEstimator

__all__ = ["ExtrapolatedMIEstimator"]


class ExtrapolatedMIEstimator(WrapsMIEstimator, BaseEstimator):
    """An MI estimate with its finite-sample bias extrapolated away.

    ``estimator`` is fitted on all rows, and on ``k`` disjoint random parts
    of ``n / k`` rows for each ``k`` of ``splits``. The parts' mean estimate
    at each size, against ``k / n``, is fitted by a line (weighted by each
    point's variance, from the fits' own intervals); ``mi_`` is its intercept.
    Costs ``len(splits)`` fits of the whole sample's size.

    Parameters
    ----------
    estimator : estimator object, default=None
        The MI estimator to correct: anything with ``fit(X, y)``, ``mi_`` and
        ``mi_ci_`` (a :class:`~sknmi.NeuralMIEstimator` when None).
    splits : tuple of int, default=(1, 2, 4)
        The numbers of parts: at least two sizes, each part with at least 4
        rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the clones of ``estimator``, one draw per fit before the parts
        (a clone whose own ``random_state`` is an int keeps it: see
        :ref:`seeding`), then the parts.

    Attributes
    ----------
    mi_ : float
        The intercept: the estimate extrapolated to unlimited rows (nats).
    mi_ci_ : tuple of float
        Its 95% interval, from the points' variances through the line's
        weights: wider than the whole sample's, the price of removing the
        bias.
    mi_uncorrected_ : float
        ``estimator``'s estimate at the largest parts: on all rows when
        ``splits`` holds 1.
    slope_ : float
        The line's slope in ``1 / n``: the estimate's bias is ``slope_ / n``.
    points_ : ndarray of shape (len(splits), 3)
        Per size: ``k / n``, the parts' mean estimate, its standard error.
    linearity_pvalue_ : float
        The chance of points as far from the line as these if they lay on
        one (NaN with two sizes, which any line fits); below 0.05, ``fit``
        warns.
    estimators_ : list of list of estimator
        The fitted clones, per size.
    classes_ : ndarray or None
        The class labels of a 1-D label Z; None for continuous Z.
    n_z_features_ : int
        Columns of Z (after one-hot encoding of labels).
    n_features_in_ : int
        Number of columns of X.
    feature_names_in_ : ndarray of str
        Column names of X, when X has them.

    See Also
    --------
    sknmi.NeuralMIEstimator : the default estimator.

    References
    ----------
    Strong, Koberle, de Ruyter van Steveninck & Bialek, "Entropy and
    information in neural spike trains", Physical Review Letters 80, 1998.

    Examples
    --------
    >>> from sknmi import ExtrapolatedMIEstimator, GaussianMIEstimator
    >>> from sknmi.datasets import make_gaussian
    >>> X, Z, truth = make_gaussian(400, 10, mi=0.5, random_state=0)
    >>> plug_in = GaussianMIEstimator(bias_correction=False)
    >>> round(plug_in.fit(X, Z).mi_ - truth, 2)  # about 10 * 10 / (2 * 400) high
    0.19
    >>> est = ExtrapolatedMIEstimator(plug_in, random_state=0).fit(X, Z)
    >>> round(est.mi_, 2), bool(est.mi_ci_[0] < truth < est.mi_ci_[1])
    (0.56, True)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "splits": ["array-like"],
        "random_state": ["random_state"],
    }
    _estimates_mi = True

    def __init__(self, estimator=None, splits=(1, 2, 4), random_state=None):
        self.estimator = estimator
        self.splits = splits
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Fit ``estimator`` on all rows and on each split's parts; draw the line.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First variable.
        y : array-like of shape (n_samples,) or (n_samples, n_z_features)
            Second variable Z.

        Returns
        -------
        self : ExtrapolatedMIEstimator
            The fitted estimator.
        """
        self._validate_params()
        base = self._base()
        check_mi_estimator(base, "ExtrapolatedMIEstimator")
        splits = _check_splits(self.splits)
        X, _ = validate_xz(
            self,
            X,
            y,
            reset=True,
            min_samples=4,
            discrete_z=getattr(base, "discrete_z", "auto"),
        )
        n = X.shape[0]
        if n // max(splits) < 4:
            raise ValueError(
                f"splits={tuple(splits)} cut {n} rows into parts of "
                f"{n // max(splits)}; each part needs at least 4 rows"
            )
        y = np.asarray(y)
        rng = check_random_state(self.random_state)
        clones = iter(self._clones(sum(splits), rng))
        self.estimators_, points = [], []
        for k in splits:
            fitted = []
            for part in random_parts(n, k, rng):
                fitted.append(next(clones).fit(X[part], y[part]))
            self.estimators_.append(fitted)
            values = np.array([float(e.mi_) for e in fitted])
            errors = np.array([(e.mi_ci_[1] - e.mi_ci_[0]) / (2 * Z95) for e in fitted])
            points.append((k / n, values.mean(), math.sqrt((errors**2).sum()) / k))
        self.points_ = np.array(points)
        self.mi_uncorrected_ = float(self.points_[np.argmin(self.points_[:, 0]), 1])
        (self.mi_, self.slope_), se, self.linearity_pvalue_ = _line(self.points_)
        self.mi_ci_ = (self.mi_ - Z95 * se, self.mi_ + Z95 * se)
        if self.linearity_pvalue_ < 0.05:
            warnings.warn(
                f"ExtrapolatedMIEstimator: the estimates at {n} rows and at "
                f"{', '.join(str(n // k) for k in splits[1:])} do not lie on a line "
                f"in 1/n (p = {self.linearity_pvalue_:.2g}): the bias is not yet "
                "the first-order one and the extrapolation is not to be trusted; "
                "more rows, or splits that keep larger parts, may help",
                UserWarning,
                stacklevel=2,
            )
        return self


def _check_splits(splits):
    splits = np.atleast_1d(splits)
    if splits.dtype.kind not in "iu":
        raise ValueError(f"splits must hold integers, got {splits.tolist()}")
    splits = sorted(set(splits.tolist()))
    if len(splits) < 2 or splits[0] < 1:
        raise ValueError(
            f"splits needs at least two distinct positive part counts, got {splits}"
        )
    return splits


def _line(points):
    """Weighted least squares of estimate on ``k / n``: coefficients, the
    intercept's standard error and the p-value of the residuals."""
    x, m, se = points.T
    se = np.maximum(se, 1e-12)
    design = np.column_stack([np.ones_like(x), x]) / se[:, None]
    target = m / se
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    covariance = np.linalg.inv(design.T @ design)
    residual = float(((design @ coef - target) ** 2).sum())
    dof = len(x) - 2
    pvalue = float(chi2.sf(residual, dof)) if dof > 0 else math.nan
    return (float(coef[0]), float(coef[1])), math.sqrt(covariance[0, 0]), pvalue
