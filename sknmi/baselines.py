"""Classical MI estimators to compare a neural estimate with: KSG and Gaussian."""

import math
from numbers import Integral

import numpy as np
from scipy.special import digamma
from sklearn.base import BaseEstimator
from sklearn.neighbors import KDTree
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sknmi._dependence import (
    canonical_correlations,
    centre,
    check_rows,
    is_deterministic,
    orthonormal_basis,
    peak,
    warn_degenerate,
)
from sknmi._stats import Z95 as _Z95
from sknmi._stats import interval
from sknmi._typing import ArrayLike, Self
from sknmi._validation import validate_xz

__all__ = ["GaussianMIEstimator", "KSGEstimator"]

# KSG scales a column by its standard deviation unless that exceeds this many
# times the IQR-based spread (a few extreme values then dominate the std).
_OUTLIER_RATIO = 20.0
# Scaled values are clipped here: further out a row is as isolated either way,
# and squares of the scaled values stay finite.
_HUGE = 1e150
# A canonical correlation this close to 1 is an exact linear relation up to
# rounding: KSG (1e-10) and the Gaussian estimator (1e-12, its own numerical
# floor) call the MI infinite.
_KSG_DETERMINISTIC = 1e-10
_GAUSSIAN_DETERMINISTIC = 1e-12
# Rows per neighbour query: bounds the (rows x n_neighbors) arrays held at once.
_CHUNK = 2**15


def _warn_infinite(estimator, r):
    warn_degenerate(type(estimator).__name__, r, "mi_ is inf", stacklevel=6)


def _mi_tags(tags):
    tags.target_tags.required = True
    tags.target_tags.single_output = True
    tags.target_tags.multi_output = True
    return tags


def _labels(estimator, Z):
    # validate_xz one-hot encodes class labels; the baselines want the codes.
    if getattr(estimator, "classes_", None) is None:
        return None
    return Z.argmax(1)


def _fit(estimator, X, y):
    estimator._validate_params()
    X, Z = validate_xz(estimator, X, y, reset=True, min_samples=2)
    estimator.mi_, estimator.mi_ci_, extra = estimator._estimate(
        X, Z, _labels(estimator, Z)
    )
    for name, value in extra.items():
        setattr(estimator, name, value)
    return estimator


def _score(estimator, X, y):
    check_is_fitted(estimator)
    X, Z = validate_xz(estimator, X, y, reset=False, min_samples=2)
    return estimator._estimate(X, Z, _labels(estimator, Z))[0]


_FIT_DOC = """Estimate I(X; Z) on (X, Z).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First variable.
        y : array-like of shape (n_samples,) or (n_samples, n_z_features)
            Second variable Z (named ``y`` for scikit-learn). A 1-D array of
            integers, booleans or strings is read as class labels.

        Returns
        -------
        self : object
            The fitted estimator.
        """

_SCORE_DOC = """The estimate of I(X; Z) on the given rows, in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First variable.
        y : array-like of shape (n_samples,) or (n_samples, n_z_features)
            Second variable Z.

        Returns
        -------
        score : float
            The estimate, in nats.
        """


class KSGEstimator(BaseEstimator):
    r"""Kraskov–Stögbauer–Grassberger k-nearest-neighbour estimate of I(X; Z).

    Algorithm 1 of Kraskov et al. (2004) with the max-norm, for multivariate X
    and Z. Each column is centred and scaled to unit spread first (the
    max-norm is not invariant to per-feature scaling) and a tie-breaking noise
    of 1e-10 of that spread, drawn from ``random_state``, is added, as
    :func:`sklearn.feature_selection.mutual_info_regression` does; on a 1-d
    pair the two give the same number (except that scikit-learn clips negative
    estimates to 0 and this class does not, and for outlier-dominated columns,
    below). The estimate does not depend on the units or the offset of a
    column (see Notes).

    When Z is a 1-D vector of class labels the mixed continuous/discrete
    estimator of Ross (2014) is used instead, as in
    :func:`sklearn.feature_selection.mutual_info_classif`.

    Parameters
    ----------
    n_neighbors : int, default=3
        The k of the k-th neighbour in the joint space. Larger k lowers the
        variance and raises the bias (towards 0 for strong dependence).
    discrete_z : "auto", bool, default="auto"
        Whether a 1-D Z holds class labels. "auto": integers, booleans and
        text are classes unless more than half of the rows have a value of
        their own (a measurement stored as integers, or row ids): numbers,
        and text that parses as numbers, are then read as continuous with a
        warning; other text is refused. True: class
        labels whatever the dtype; False: continuous. See the user guide's
        page on input data.
    random_state : int, RandomState instance or None, default=None
        Seeds the tie-breaking noise; pass an int for reproducible results.

    Attributes
    ----------
    mi_ : float
        The estimate on the training data, in nats. Not clipped at 0.
    mi_ci_ : tuple of float
        Approximate 95% interval ``mi_ +- 1.96 s / sqrt(n)`` where ``s`` is the
        standard deviation of the per-row terms of the estimator (see Notes).
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
    GaussianMIEstimator : closed form under a Gaussian model.
    sknmi.NeuralMIEstimator : the neural estimate.

    Notes
    -----
    With :math:`\varepsilon_i` the max-norm distance of row i to its k-th
    neighbour in the joint space (X, Z), :math:`n_x(i)` and :math:`n_z(i)` the
    numbers of other rows strictly within :math:`\varepsilon_i` in X alone and
    in Z alone,

    .. math:: \hat I = \psi(k) + \psi(n)
              - \frac{1}{n}\sum_i \big[\psi(n_x(i) + 1) + \psi(n_z(i) + 1)\big].

    For labels (Ross 2014), :math:`\varepsilon_i` is the distance in X to the
    k-th neighbour of the same class (k lowered to the class size minus one),
    :math:`m_i` the number of rows of any class within it, :math:`N_i` the
    class size, and
    :math:`\hat I = \psi(n) + \langle\psi(k_i)\rangle - \langle\psi(N_i)\rangle
    - \langle\psi(m_i)\rangle`; rows whose class occurs once are left out.

    **Scaling.** All arithmetic is in float64 and relative to each column:
    a column is centred on its median, then divided by its standard
    deviation (computed without overflow), unless that exceeds 20 times the
    interquartile range / 1.349 -- a few extreme values then dominate it, and
    the column is divided by the IQR-based spread instead, so that one huge
    outlier does not squeeze the other rows together. Scaled values are
    clipped at :math:`\pm 10^{150}`. A column is constant only when its values
    span a few units in the last place of its largest magnitude, so a column of
    spread 1e-13, or of 1e12 plus a unit-scale signal, is used as data. The
    same data at scale 1e-150 or 1e150, or shifted by 1e12, give the same
    estimate up to rounding.

    **Exact dependence.** When X and Z are linearly related up to rounding
    (largest canonical correlation within 1e-10 of 1; e.g. a column of Z
    copies one of X), the MI of continuous variables is infinite and a k-NN
    count cannot see it (it would report about
    :math:`\psi(n) - \psi(k)` with a zero-width interval), so ``mi_`` is
    ``inf`` and a :class:`~sknmi.DegenerateDependenceWarning` is raised, as
    in :class:`GaussianMIEstimator`. Non-linear deterministic relations are not
    detected. Class-label Z is exempt (its MI is finite).

    Neighbour searches use :class:`sklearn.neighbors.KDTree` (O(n log n) in
    low dimensions; trees degrade towards brute force as the dimension grows)
    and run in chunks of rows, so memory is O(n + chunk k).

    The interval treats the per-row terms as independent. They are not (rows
    share neighbours), so it is an approximation: over 40 Gaussian samples of
    1,000 rows (d = 1, 2, 5) the observed standard deviation of the estimate
    was 1.15 to 1.3 times the one the interval assumes. It covers the sampling
    noise,
    not KSG's bias, which is negative and grows with the MI and the dimension
    (KSG underestimates strong dependence; see Gao et al. 2015).

    References
    ----------
    Kraskov, Stögbauer & Grassberger, "Estimating mutual information",
    Phys. Rev. E 69, 066138 (2004).
    Ross, "Mutual Information between Discrete and Continuous Data Sets",
    PLoS ONE 9(2) (2014).
    Gao, Ver Steeg & Galstyan, "Efficient Estimation of Mutual Information for
    Strongly Dependent Variables", AISTATS 2015.

    Examples
    --------
    >>> from sknmi.baselines import KSGEstimator
    >>> from sknmi.datasets import make_gaussian
    >>> X, Z, mi = make_gaussian(n_samples=2000, n_features=2, mi=1.0, random_state=0)
    >>> est = KSGEstimator(random_state=0).fit(X, Z)
    >>> abs(est.mi_ - mi) < 0.1
    True
    """

    _parameter_constraints = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "discrete_z": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
    }
    _estimates_mi = True

    def __init__(self, n_neighbors=3, discrete_z="auto", random_state=None):
        self.n_neighbors = n_neighbors
        self.discrete_z = discrete_z
        self.random_state = random_state

    def __sklearn_tags__(self):
        return _mi_tags(super().__sklearn_tags__())

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        return _fit(self, X, y)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        return _score(self, X, y)

    fit.__doc__ = _FIT_DOC
    score.__doc__ = _SCORE_DOC

    def _estimate(self, X, Z, labels):
        n = X.shape[0]
        rng = check_random_state(self.random_state)
        X = _unit_scale(X)
        if labels is not None:
            return (*_ross(_jitter(X, rng), labels, self.n_neighbors), {})
        if n <= self.n_neighbors:
            raise ValueError(
                f"n_neighbors={self.n_neighbors} needs more than {self.n_neighbors} "
                f"rows, got {n}"
            )
        Z = _unit_scale(Z)
        r = canonical_correlations(X, Z, who=type(self).__name__)
        if is_deterministic(r, _KSG_DETERMINISTIC):
            _warn_infinite(self, r)
            return math.inf, (math.inf, math.inf), {}
        X, Z = _jitter(X, rng), _jitter(Z, rng)
        joint = np.hstack([X, Z])
        radius = _kth_distance(joint, self.n_neighbors)
        nx = _count_within(X, radius)
        nz = _count_within(Z, radius)
        terms = digamma(nx) + digamma(nz)  # counts include the row itself: n_x + 1
        mi = digamma(n) + digamma(self.n_neighbors) - terms.mean()
        return (*_with_interval(float(mi), terms), {})


class GaussianMIEstimator(BaseEstimator):
    r"""I(X; Z) of the Gaussian with the sample covariance of (X, Z).

    Exact (up to sampling error) when (X, Z) is jointly Gaussian. For other
    laws it is the MI of the Gaussian with the same covariance, which is at
    most the true MI whenever the marginals are Gaussian and in general a
    reference for how much of the dependence is linear.

    Parameters
    ----------
    bias_correction : bool, default=True
        Remove the finite-sample bias of the log-determinants exactly for
        Gaussian data (see Notes); the estimate is then unbiased and may be
        slightly negative for independent variables. When False the plug-in
        value, biased upwards by about ``d_x d_z / (2 n)``, is returned.
    discrete_z : "auto", bool, default="auto"
        Whether a 1-D Z holds class labels. "auto": integers, booleans and
        text are classes unless more than half of the rows have a value of
        their own (a measurement stored as integers, or row ids): numbers,
        and text that parses as numbers, are then read as continuous with a
        warning; other text is refused. True: class
        labels whatever the dtype; False: continuous. See the user guide's
        page on input data.

    Attributes
    ----------
    mi_ : float
        The estimate in nats.
    mi_ci_ : tuple of float
        95% interval from the asymptotic variance under Gaussianity (see
        Notes).
    canonical_correlations_ : ndarray
        Sample canonical correlations of X and Z, in decreasing order.
    classes_ : ndarray or None
        The class labels of a 1-D label Z (one-hot encoded); None otherwise.
    n_z_features_ : int
        Columns of Z (after one-hot encoding of labels).
    n_features_in_ : int
        Number of columns of X.
    feature_names_in_ : ndarray of str
        Column names of X, when X has them.

    See Also
    --------
    sknmi.metrics.gaussian_mi : the same formula for a known covariance.
    KSGEstimator : a non-parametric estimate.

    Notes
    -----
    With :math:`r_i` the sample canonical correlations of X and Z,

    .. math:: \hat I = -\frac{1}{2}\sum_i \log(1 - r_i^2)
              = \frac{1}{2}\log\frac{|S_{XX}|\,|S_{ZZ}|}{|S|}.

    Columns that are constant or linear combinations of others are dropped
    (the ranks :math:`d_x, d_z` of the blocks are used); the estimate needs
    :math:`n > d_x + d_z`. For a d-dimensional Gaussian sample covariance
    :math:`S` with n rows,
    :math:`E\log|S| = \log|\Sigma| + \sum_{i=1}^{d}\psi(\frac{n-i}{2})
    + d\log\frac{2}{n-1}` (e.g. Misra, Singh & Demchuk 2005), so subtracting
    these terms from the three log-determinants makes the estimate unbiased.

    The interval uses the delta method for canonical correlations,
    :math:`\operatorname{Var}\hat I \approx \sum_i r_i^2 / n + d_x d_z / (2 n^2)`
    (the second term is the variance under independence, where
    :math:`2 n \hat I \sim \chi^2_{d_x d_z}`). It is asymptotic and assumes
    Gaussian data.

    A perfect linear relation between X and Z (a canonical correlation within
    1e-12 of 1) makes the MI infinite; then ``mi_`` is ``inf`` and a
    :class:`~sknmi.DegenerateDependenceWarning` is raised. Class labels in Z
    enter as their one-hot encoding, so the estimate is the MI of a Gaussian model with
    class-dependent means.

    The columns are centred and each scaled by its largest magnitude before
    the decomposition (in float64, without overflow), so the estimate does
    not depend on units or offsets: the same data at scale 1e-150 or 1e150,
    or shifted by 1e12, give the same estimate up to rounding, and a column
    of spread 1e-13 next to one of spread 1 is not dropped. A column is
    constant only when its values span a few units in the last place of its
    largest magnitude. One huge outlier does change the estimate, since it
    changes the sample covariance this estimator is a function of.

    References
    ----------
    Cover & Thomas, "Elements of Information Theory", 2nd ed., §8.5 and §9.4.
    Misra, Singh & Demchuk, "Estimation of the entropy of a multivariate normal
    distribution", J. Multivariate Analysis 92 (2005).

    Examples
    --------
    >>> from sknmi.baselines import GaussianMIEstimator
    >>> from sknmi.datasets import make_gaussian
    >>> X, Z, mi = make_gaussian(n_samples=5000, n_features=3, mi=2.0, random_state=0)
    >>> est = GaussianMIEstimator().fit(X, Z)
    >>> est.mi_ci_[0] < mi < est.mi_ci_[1]
    True
    """

    _parameter_constraints = {
        "bias_correction": ["boolean"],
        "discrete_z": [StrOptions({"auto"}), "boolean"],
    }
    _estimates_mi = True

    def __init__(self, bias_correction=True, discrete_z="auto"):
        self.bias_correction = bias_correction
        self.discrete_z = discrete_z

    def __sklearn_tags__(self):
        return _mi_tags(super().__sklearn_tags__())

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        return _fit(self, X, y)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        return _score(self, X, y)

    fit.__doc__ = _FIT_DOC
    score.__doc__ = _SCORE_DOC

    def _estimate(self, X, Z, labels):
        n = X.shape[0]
        ux, uz = orthonormal_basis(X), orthonormal_basis(Z)
        dx, dz = ux.shape[1], uz.shape[1]
        if dx == 0 or dz == 0:  # a constant variable shares nothing
            return 0.0, (0.0, 0.0), {"canonical_correlations_": np.zeros(0)}
        check_rows("GaussianMIEstimator", n, dx, dz)
        r = np.clip(np.linalg.svd(ux.T @ uz, compute_uv=False), 0.0, 1.0)
        extra = {"canonical_correlations_": r}
        if is_deterministic(r, _GAUSSIAN_DETERMINISTIC):
            _warn_infinite(self, r)
            return math.inf, (math.inf, math.inf), extra
        mi = -0.5 * np.sum(np.log1p(-(r**2)))
        if self.bias_correction:
            mi -= 0.5 * (
                _logdet_bias(dx, n) + _logdet_bias(dz, n) - _logdet_bias(dx + dz, n)
            )
        half = _Z95 * math.sqrt(np.sum(r**2) / n + dx * dz / (2.0 * n**2))
        return float(mi), (float(mi - half), float(mi + half)), extra


# -- helpers -----------------------------------------------------------------------


def _std(C):
    """Standard deviation of centred columns, without overflow in the squares."""
    top = peak(C)
    return top * (C / top).std(0)


def _unit_scale(A):
    """Centred columns of unit spread (see the KSGEstimator Notes)."""
    C = centre(A)
    std = _std(C)
    q25, q75 = np.percentile(C, [25, 75], axis=0)
    robust = (q75 / 2 - q25 / 2) * (2 / 1.3489795003921634)  # IQR / 1.349
    spread = np.where((robust > 0) & (std > _OUTLIER_RATIO * robust), robust, std)
    C /= np.where(spread > 0, spread, 1.0)
    return np.clip(C, -_HUGE, _HUGE, out=C)


def _jitter(A, rng):
    # Kraskov et al.'s advice against ties: 1e-10 of each column's unit spread,
    # in scikit-learn's draw order (its size is 1e-10 * max(1, mean |x|), the
    # same number for centred columns of unit standard deviation).
    return A + 1e-10 * rng.standard_normal(A.shape)


def _kth_distance(A, k, metric="chebyshev"):
    """Distance of each row to its k-th nearest other row, shrunk to be exclusive."""
    tree = KDTree(A, metric=metric)
    radius = np.empty(A.shape[0])
    for start in range(0, A.shape[0], _CHUNK):
        stop = start + _CHUNK
        # k + 1: the row itself comes back first, at distance 0.
        dist, _ = tree.query(A[start:stop], k=k + 1)
        radius[start:stop] = dist[:, -1]
    # "Strictly within": a neighbour exactly at the radius is not counted.
    return np.nextafter(radius, 0)


def _count_within(A, radius, metric="chebyshev"):
    """Rows within ``radius[i]`` of row i, the row itself included."""
    tree = KDTree(A, metric=metric)
    counts = np.empty(A.shape[0])
    for start in range(0, A.shape[0], _CHUNK):
        stop = start + _CHUNK
        counts[start:stop] = tree.query_radius(
            A[start:stop], radius[start:stop], count_only=True
        )
    return counts


def _ross(X, labels, n_neighbors):
    """Ross (2014): MI between continuous X and a discrete label."""
    n_all = X.shape[0]
    classes, codes, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    size = sizes[codes].astype(np.float64)
    keep = size > 1
    if keep.sum() < 2:
        raise ValueError(
            f"KSGEstimator (Ross's estimator for class labels in Z) needs classes "
            f"of at least 2 rows, but {n_all - int(keep.sum())} of the {n_all} rows "
            f"are alone in their class: is Z a measurement or a row id? Pass it "
            f"as floats, or discrete_z=False"
        )
    radius = np.zeros(n_all)
    k_row = np.zeros(n_all)
    for c in np.flatnonzero(sizes > 1):
        rows = np.flatnonzero(codes == c)
        k = min(n_neighbors, len(rows) - 1)
        radius[rows] = _kth_distance(X[rows], k)
        k_row[rows] = k
    X, radius, k_row, size = X[keep], radius[keep], k_row[keep], size[keep]
    m = _count_within(X, radius)
    terms = digamma(size) + digamma(m) - digamma(k_row)
    mi = digamma(X.shape[0]) - terms.mean()
    return _with_interval(float(mi), terms)


def _with_interval(mi, terms):
    # The delta method over rows: the cross-fitting engine's interval of one fold.
    mi, ci, _ = interval([mi], [terms], "KSG")
    return mi, ci


def _logdet_bias(d, n):
    """E log|S| - log|Sigma| for the d x d sample covariance (ddof=1) of n rows."""
    i = np.arange(1, d + 1)
    return float(np.sum(digamma((n - i) / 2.0)) + d * math.log(2.0 / (n - 1)))


class KSGConditionalEstimator(BaseEstimator):
    r"""Frenzel–Pompe k-nearest-neighbour estimate of I(X; Z | W).

    The conditional version of :class:`KSGEstimator`: the conditioning set W
    is the group of columns of ``X`` chosen by ``given`` (as for
    :class:`~sknmi.ConditionalMIEstimator`), the other columns are the first
    variable and ``y`` is Z. Columns are scaled to unit variance and jittered
    as in :class:`KSGEstimator`; distances use the max-norm.

    Parameters
    ----------
    n_neighbors : int, default=3
        The k of the k-th neighbour in the joint space (X, Z, W).
    given : int, array-like of int or of bool, or None, default=None
        Columns of X that form W: indices or a boolean mask. None conditions
        on nothing, and the estimate is then :class:`KSGEstimator`'s.
    discrete_z : "auto", bool, default="auto"
        Whether a 1-D Z holds class labels. "auto": integers, booleans and
        text are classes unless more than half of the rows have a value of
        their own (a measurement stored as integers, or row ids): numbers,
        and text that parses as numbers, are then read as continuous with a
        warning; other text is refused. True: class
        labels whatever the dtype; False: continuous. See the user guide's
        page on input data.
    random_state : int, RandomState instance or None, default=None
        Seeds the tie-breaking noise.

    Attributes
    ----------
    mi_ : float
        The estimate of I(X; Z | W) on the training data, in nats. Not
        clipped at 0.
    mi_ci_ : tuple of float
        Approximate 95% interval ``mi_ +- 1.96 s / sqrt(n)``, ``s`` the
        standard deviation of the per-row terms (as for
        :class:`KSGEstimator`, an approximation that ignores the dependence
        between rows, and blind to the estimator's bias).
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
    KSGEstimator : the unconditional estimate.
    sknmi.ConditionalMIEstimator : the neural (or any estimator's) difference
        I(Z; [X, W]) - I(Z; W).

    Notes
    -----
    With :math:`\varepsilon_i` the max-norm distance of row i to its k-th
    neighbour in the joint space (X, Z, W), and :math:`n_{xw}(i)`,
    :math:`n_{zw}(i)`, :math:`n_w(i)` the numbers of other rows strictly
    within :math:`\varepsilon_i` in the subspaces (X, W), (Z, W) and W,

    .. math:: \hat I(X; Z \mid W) = \psi(k) - \frac{1}{n}\sum_i
              \big[\psi(n_{xw}(i) + 1) + \psi(n_{zw}(i) + 1)
              - \psi(n_w(i) + 1)\big].

    With an empty W, :math:`n_w(i) = n - 1` and this is KSG's algorithm 1.
    Class labels in Z enter as their one-hot encoding (scaled like any other
    column), which makes rows of another class far in Z. Like KSG, the
    estimate is biased towards 0 for strong dependence and in high
    dimensions (of X, Z and W together).

    References
    ----------
    Frenzel & Pompe, "Partial Mutual Information for Coupling Analysis of
    Multivariate Time Series", Phys. Rev. Lett. 99, 204101 (2007).
    Vejmelka & Paluš, "Inferring the directionality of coupling with
    conditional mutual information", Phys. Rev. E 77, 026214 (2008).

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi.baselines import KSGConditionalEstimator
    >>> from sknmi.datasets import make_chain
    >>> X, Z, W, cmi = make_chain(2000, random_state=0)
    >>> est = KSGConditionalEstimator(given=[1], random_state=0)
    >>> abs(est.fit(np.hstack([X, W]), Z).mi_ - cmi) < 0.05
    True
    """

    _parameter_constraints = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "given": ["array-like", Integral, None],
        "discrete_z": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
    }
    _estimates_mi = True

    def __init__(self, n_neighbors=3, given=None, discrete_z="auto", random_state=None):
        self.n_neighbors = n_neighbors
        self.given = given
        self.discrete_z = discrete_z
        self.random_state = random_state

    def __sklearn_tags__(self):
        return _mi_tags(super().__sklearn_tags__())

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Estimate I(X; Z | W) on (X, Z), W being the columns ``given`` of X.

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
        self : KSGConditionalEstimator
            The fitted estimator.
        """
        return _fit(self, X, y)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """The estimate of I(X; Z | W) on the given rows, in nats.

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
        return _score(self, X, y)

    def _estimate(self, X, Z, labels):
        from sknmi._validation import resolve_given

        given, rest = resolve_given(self.given, X.shape[1])
        n = X.shape[0]
        if n <= self.n_neighbors:
            raise ValueError(
                f"n_neighbors={self.n_neighbors} needs more than {self.n_neighbors} "
                f"rows, got {n}"
            )
        rng = check_random_state(self.random_state)
        A = _jitter(_unit_scale(X), rng)
        W, X = A[:, given], A[:, rest]
        Z = _jitter(_unit_scale(Z), rng)
        radius = _kth_distance(np.hstack([X, Z, W]), self.n_neighbors)
        if given.size:
            nxw = _count_within(np.hstack([X, W]), radius)
            nzw = _count_within(np.hstack([Z, W]), radius)
            nw = _count_within(W, radius)
        else:
            nxw, nzw = _count_within(X, radius), _count_within(Z, radius)
            nw = np.full(n, float(n))
        # Counts include the row itself: they are n_. + 1.
        terms = digamma(nxw) + digamma(nzw) - digamma(nw)
        mi = digamma(self.n_neighbors) - terms.mean()
        return (*_with_interval(float(mi), terms), {"given_": given})
