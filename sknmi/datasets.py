"""Data sets whose mutual information is known.

Every ``make_*`` refuses, with a ValueError naming the parameter, what float64
cannot sample faithfully or whose truth it cannot compute: more than 20 nats
per pair of columns when sampled directly (9 when drawn through a covariance
matrix), Student t ``dof`` outside [0.05, 1000], collider ``noise`` outside
[1e-4, 1e4], and an :func:`invariance_mi` quadrature of more than 5,000,000
nodes.
"""

import math
from collections.abc import Callable, Sequence
from numbers import Integral, Real

import numpy as np
from scipy.signal import lfilter
from scipy.special import digamma, gammaln, ndtr
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from sknmi._closed_form import gaussian_cmi, gaussian_mi, var_covariance
from sknmi._typing import RandomStateLike

__all__ = [
    "invariance_mi",
    "make_gaussian",
    "make_gaussian_covariance",
    "make_gaussian_factors",
    "make_invariance",
    "make_sparse_gaussian",
    "make_staircase",
    "make_student_t",
    "make_transformed_gaussian",
    "make_gaussian_conditional",
    "make_chain",
    "make_collider",
    "make_var1",
]

_TRANSFORMS = {
    "cubic": lambda z: z**3,
}

# Nats per pair of columns beyond which float64 cannot hold the law. Sampled
# directly (Z = rho X + exp(-m) eps), the noise stays 2^22 units in the last
# place above rounding up to 20 nats (beyond, Z rounds to a copy of X).
# Through a covariance matrix (Cholesky factor, log-determinants),
# 1 - rho^2 = exp(-2 m) must stay far above the rounding of its entries:
# 9 nats (1.5e-8).
_MAX_PAIR_MI = 20.0
_MAX_COV_PAIR_MI = 9.0
# Student t degrees of freedom that float64 can sample (below, chi^2 draws
# underflow to 0 and rows become inf) and whose MI it can compute (above, the
# entropies cancel: at dof=1e4 the MI of 2 + 2 columns is 2e-8 and comes out
# 0.1% wrong, at 1e6 negative).
_MIN_DOF = 0.05
_MAX_DOF = 1000.0
# Collider noise: below, the covariance is singular to rounding; above, the
# conditional MI (about d / (2 sigma^2)) is lost in the cancellation.
_MIN_NOISE = 1e-4
_MAX_NOISE = 1e4


def _check_pair_mi(name, value, pairs, limit=_MAX_PAIR_MI):
    """Refuse an MI of ``value`` nats over ``pairs`` pairs beyond ``limit`` a pair."""
    if not value / pairs <= limit:
        raise ValueError(
            f"{name}={value} over {pairs} pair(s) of columns is "
            f"{value / pairs:.3g} nats a pair, beyond the {limit:g} nats a pair "
            f"that float64 can sample faithfully (the noise would vanish below "
            f"rounding); lower {name} or spread it over more columns"
        )


def _check_range(name, value, low, high):
    if not low <= value <= high:
        raise ValueError(
            f"{name}={value} is outside [{low:g}, {high:g}], the range in which "
            f"float64 can sample this law and compute its MI"
        )


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "transform": [StrOptions(set(_TRANSFORMS)), callable, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_gaussian(
    n_samples: int = 1000,
    n_features: int = 1,
    mi: float = 1.0,
    transform: str | None = None,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Componentwise-correlated Gaussian pair with a chosen mutual information.

    ``X ~ N(0, I_d)`` and ``Z = rho X + sqrt(1 - rho^2) eps`` with
    ``eps ~ N(0, I_d)``, so each pair of columns ``(X_j, Z_j)`` has correlation
    ``rho`` and

    .. math:: I(X; Z) = -\frac{d}{2} \log(1 - \rho^2),

    solved for ``rho`` from ``mi``. An invertible ``transform`` applied to Z
    (column by column) leaves the MI unchanged: ``"cubic"`` is ``Z -> Z^3``, the
    variant of Poole et al. (2019) and Song & Ermon (2020).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=1
        Width d of X and of Z.
    mi : float, default=1.0
        The mutual information in nats, at most 20 nats per column
        (``mi / n_features <= 20``: beyond, Z would round to a copy of X).
    transform : {"cubic"}, callable or None, default=None
        Invertible map applied to Z; a callable must be invertible for the
        returned MI to hold.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_features)
    mi : float
        The true I(X; Z) in nats.

    Examples
    --------
    >>> from sknmi.datasets import make_gaussian
    >>> X, Z, mi = make_gaussian(n_samples=5, n_features=2, mi=1.0, random_state=0)
    >>> X.shape, Z.shape, mi
    ((5, 2), (5, 2), 1.0)
    """
    _check_pair_mi("mi", mi, n_features)
    rng = check_random_state(random_state)
    rho = math.sqrt(-math.expm1(-2.0 * mi / n_features))
    noise = math.exp(-mi / n_features)  # sqrt(1 - rho^2) without cancellation
    X = rng.standard_normal((n_samples, n_features))
    Z = rho * X + noise * rng.standard_normal((n_samples, n_features))
    if transform is not None:
        Z = _TRANSFORMS[transform](Z) if isinstance(transform, str) else transform(Z)
    return X, Z, float(mi)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 2, None, closed="left")],
        "n_factors": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_gaussian_factors(
    n_samples: int = 1000,
    n_features: int = 10,
    n_factors: int = 3,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Gaussian columns with a random covariance, and the MI of every pair.

    The covariance is :math:`\Sigma = B B^\top + D`, with ``B`` a
    ``n_features`` by ``n_factors`` matrix of standard normal loadings and
    ``D`` diagonal with entries uniform in [0.3, 1.5] (the columns' own
    noise): a few shared factors make some pairs strongly dependent and others
    nearly independent. The MI of columns i and j is
    :math:`-\tfrac12 \log(1 - \rho_{ij}^2)`, with :math:`\rho` the
    correlations of :math:`\Sigma`.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=10
        Number of columns, at least 2.
    n_factors : int, default=3
        Number of shared factors.
    random_state : int, RandomState instance or None, default=None
        Seeds the covariance and the rows.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    mi : ndarray of shape (n_features, n_features)
        The true MI of each pair in nats, symmetric, NaN on the diagonal (as
        :func:`sknmi.pairwise.pairwise_mi` returns it).

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi.datasets import make_gaussian_factors
    >>> X, mi = make_gaussian_factors(100, n_features=4, random_state=0)
    >>> X.shape, mi.shape, bool(np.allclose(mi, mi.T, equal_nan=True))
    ((100, 4), (4, 4), True)
    """
    rng = check_random_state(random_state)
    loadings = rng.standard_normal((n_features, n_factors))
    cov = loadings @ loadings.T + np.diag(rng.uniform(0.3, 1.5, n_features))
    scale = np.sqrt(np.diag(cov))
    rho = cov / np.outer(scale, scale)
    np.fill_diagonal(rho, 0.0)  # a column with itself: infinite MI, NaN below
    mi = -0.5 * np.log1p(-(rho**2))
    np.fill_diagonal(mi, np.nan)
    X = rng.standard_normal((n_samples, n_features)) @ np.linalg.cholesky(cov).T
    return X, mi


def _transform_z(Z, transform):
    if transform is None:
        return Z
    return _TRANSFORMS[transform](Z) if isinstance(transform, str) else transform(Z)


def _random_invertible(d, rng):
    """A dense d x d matrix with singular values in [0.5, 2] (condition <= 4)."""
    q1, _ = np.linalg.qr(rng.standard_normal((d, d)))
    q2, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return q1 @ np.diag(np.exp(rng.uniform(math.log(0.5), math.log(2.0), d))) @ q2


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_x": [Interval(Integral, 1, None, closed="left")],
        "n_z": [Interval(Integral, 1, None, closed="left"), None],
        "mi": [Interval(Real, 0, None, closed="left")],
        "covariance": [StrOptions({"dense", "sparse"}), "array-like"],
        "n_pairs": [Interval(Integral, 1, None, closed="left"), None],
        "transform": [StrOptions(set(_TRANSFORMS)), callable, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_gaussian_covariance(
    n_samples: int = 1000,
    n_x: int = 2,
    n_z: int | None = None,
    mi: float = 1.0,
    covariance: str = "dense",
    n_pairs: int | None = None,
    transform: str | None = None,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Gaussian pair with a dense, sparse or given joint covariance.

    The joint vector ``(X, Z)`` is Gaussian with zero mean and covariance
    :math:`\Sigma`, and the returned MI is
    :func:`sknmi.metrics.gaussian_mi` of :math:`\Sigma`:

    - ``"dense"``: ``min(n_x, n_z)`` canonical pairs share ``mi`` equally, and
      X and Z are then mixed by random invertible matrices (singular values in
      [0.5, 2]), so every X column is correlated with every Z column and the
      columns within X (and within Z) are correlated too.
    - ``"sparse"``: X and Z have independent unit columns and only ``n_pairs``
      randomly chosen pairs ``(X_j, Z_k)`` are correlated, sharing ``mi``
      equally; the cross-covariance has ``n_pairs`` non-zero entries.
    - an array: the covariance itself; X is its first ``n_x`` coordinates and
      ``mi`` is ignored.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_x : int, default=2
        Width of X.
    n_z : int or None, default=None
        Width of Z; None means ``n_x`` (or the rest of an array covariance).
    mi : float, default=1.0
        The mutual information in nats for ``"dense"`` and ``"sparse"``.
    covariance : {"dense", "sparse"} or array-like of shape (d, d), default="dense"
        How the joint covariance is made (above).
    n_pairs : int or None, default=None
        For ``"sparse"``: number of dependent pairs, at most
        ``min(n_x, n_z)``; None means ``max(1, min(n_x, n_z) // 4)``.
    transform : {"cubic"}, callable or None, default=None
        Invertible map applied to Z after sampling (MI unchanged), as in
        :func:`make_gaussian`.
    random_state : int, RandomState instance or None, default=None
        Seed of the covariance and of the sample.

    Returns
    -------
    X : ndarray of shape (n_samples, n_x)
    Z : ndarray of shape (n_samples, n_z)
    mi : float
        The true I(X; Z) in nats.

    Examples
    --------
    >>> from sknmi.datasets import make_gaussian_covariance
    >>> X, Z, mi = make_gaussian_covariance(10, n_x=3, n_z=2, mi=1.5,
    ...                                     covariance="sparse", random_state=0)
    >>> X.shape, Z.shape, round(mi, 6)
    ((10, 3), (10, 2), 1.5)
    >>> X, Z, mi = make_gaussian_covariance(10, n_x=1, covariance=[[1, .6], [.6, 1]])
    >>> round(mi, 4)  # -log(1 - 0.36) / 2
    0.2231
    """
    rng = check_random_state(random_state)
    if not isinstance(covariance, str):
        cov = np.asarray(covariance, dtype=np.float64)
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] <= n_x:
            raise ValueError(
                f"covariance must be a square matrix wider than n_x={n_x}, "
                f"got shape {cov.shape}"
            )
        if n_z is not None and n_x + n_z != cov.shape[0]:
            raise ValueError(
                f"n_x + n_z = {n_x + n_z} does not match the covariance's "
                f"{cov.shape[0]} rows"
            )
        true_mi = gaussian_mi(cov, n_x)  # checks symmetry and definiteness
        W = rng.standard_normal((n_samples, cov.shape[0])) @ np.linalg.cholesky(cov).T
        return W[:, :n_x], _transform_z(W[:, n_x:], transform), true_mi

    n_z = n_x if n_z is None else n_z
    r = min(n_x, n_z)
    if covariance == "sparse":
        n_pairs = max(1, r // 4) if n_pairs is None else n_pairs
        if n_pairs > r:
            raise ValueError(f"n_pairs={n_pairs} exceeds min(n_x, n_z)={r}")
        _check_pair_mi("mi", mi, n_pairs, _MAX_COV_PAIR_MI)
        rho = math.sqrt(-math.expm1(-2.0 * mi / n_pairs))
        cross = np.zeros((n_x, n_z))
        cross[
            rng.choice(n_x, n_pairs, replace=False),
            rng.choice(n_z, n_pairs, replace=False),
        ] = rho
        mix_x, mix_z = np.eye(n_x), np.eye(n_z)
    else:
        _check_pair_mi("mi", mi, r, _MAX_COV_PAIR_MI)
        rho = math.sqrt(-math.expm1(-2.0 * mi / r))
        cross = np.zeros((n_x, n_z))
        cross[np.arange(r), np.arange(r)] = rho
        mix_x, mix_z = _random_invertible(n_x, rng), _random_invertible(n_z, rng)
    canonical = np.block([[np.eye(n_x), cross], [cross.T, np.eye(n_z)]])
    mix = np.block(
        [
            [mix_x, np.zeros((n_x, n_z))],
            [np.zeros((n_z, n_x)), mix_z],
        ]
    )
    cov = mix @ canonical @ mix.T
    cov = (cov + cov.T) / 2
    W = rng.standard_normal((n_samples, n_x + n_z)) @ np.linalg.cholesky(cov).T
    return W[:, :n_x], _transform_z(W[:, n_x:], transform), gaussian_mi(cov, n_x)


_SIGNALS: dict[str, tuple[Callable, Callable]] = {
    "linear": (lambda x: x, lambda u: u),
    "cubic": (lambda x: x**3, np.cbrt),
    "sin": (np.sin, np.arcsin),
}

# Quadrature resolution, in units of sigma; see invariance_mi.
_MIN_NODES = 2000
_NODES_PER_SIGMA = 10
_Y_STEPS_PER_SIGMA = 6
_Y_TAIL_SIGMAS = 9.0
_NORMAL_REACH = 8.5  # N(0, 1) mass beyond is 2e-17
_Y_BLOCK = 64
# Signal values further than this from y (in sigmas) add nothing to p(y):
# exp(-12^2 / 2) = 5e-32 of the peak.
_WINDOW_SIGMAS = 12.0
# Quadrature nodes at most (a few seconds); a smaller sigma is refused.
_MAX_NODES = 5_000_000


def _x_nodes(x_distribution, n):
    """Nodes and weights (summing to 1) for expectations over X."""
    if x_distribution == "uniform":
        return 2.0 * (np.arange(n) + 0.5) / n - 1.0, np.full(n, 1.0 / n)
    x = np.linspace(-_NORMAL_REACH, _NORMAL_REACH, n)
    w = np.exp(-0.5 * x**2)
    return x, w / w.sum()


def _signal(f):
    if isinstance(f, str):
        return _SIGNALS[f][0]
    return f


@validate_params(
    {
        "f": [StrOptions(set(_SIGNALS)), callable],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "x_distribution": [StrOptions({"uniform", "normal"})],
        "same_signal": ["boolean"],
        "n_nodes": [Interval(Integral, 2, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def invariance_mi(
    f: str | Callable[[np.ndarray], np.ndarray],
    sigma: float,
    x_distribution: str = "uniform",
    same_signal: bool = False,
    n_nodes: int | None = None,
) -> float:
    r"""I(X; Y) for ``Y = f(X) + sigma * eps`` by 1-d quadrature, in nats.

    Since the noise is independent of X,
    :math:`I(X; Y) = h(Y) - \frac{1}{2}\log(2\pi e\sigma^2)`, and the density
    of Y is the law of the signal ``S = f(X)`` smoothed by the noise,
    :math:`p(y) = E\,\varphi_\sigma(y - f(X))`. The expectation is a
    quadrature over ``n_nodes`` nodes in x (midpoints of [-1, 1] for the
    uniform law; a trapezoidal grid on [-8.5, 8.5] weighted by the density
    for the normal law), and :math:`h(Y)` a trapezoidal sum on a y grid with
    steps of ``sigma / 6`` reaching ``9 sigma`` beyond the range of the
    signal.

    Parameters
    ----------
    f : {"linear", "cubic", "sin"} or callable
        The signal: ``x``, ``x**3``, ``sin(x)``, or a vectorised function.
    sigma : float
        Noise scale, positive.
    x_distribution : {"uniform", "normal"}, default="uniform"
        X ~ U(-1, 1) (the MINE paper) or N(0, 1).
    same_signal : bool, default=False
        The design of :func:`make_invariance` with ``same_signal=True``,
        whose signal is U(-1, 1) for every ``f``.
    n_nodes : int or None, default=None
        Quadrature nodes in x; None picks enough that the signal moves by at
        most ``sigma / 10`` between neighbouring nodes (at least 2000).

    Returns
    -------
    float

    Notes
    -----
    Against the closed form :math:`\frac{1}{2}\log(1 + 1/\sigma^2)` of
    ``f="linear"`` with normal X, the default resolution agrees to 1e-15 nats
    for sigma from 0.01 to 10; for uniform X and the three named signals it
    moves by less than 4e-6 nats when the nodes are raised to 20000. Each y
    step meets only the signal values within 12 sigma of it, so the cost
    grows like the number of nodes, ``1 / sigma`` (``"cubic"`` with normal X,
    the steepest named case, takes about 0.4 s at sigma = 0.1 and 5 s at
    0.01 on one core); more than 5,000,000 nodes are refused.

    Examples
    --------
    >>> import math
    >>> from sknmi.datasets import invariance_mi
    >>> value = invariance_mi("linear", 0.5, x_distribution="normal")
    >>> abs(value - 0.5 * math.log(1 + 1 / 0.5**2)) < 1e-4
    True
    """
    if same_signal:
        f, x_distribution = "linear", "uniform"
    fn = _signal(f)
    if n_nodes is None:
        x, _ = _x_nodes(x_distribution, _MIN_NODES)
        # Steepness of the signal per unit of X's node spacing sets the count.
        steep = np.abs(np.diff(fn(x))).max() * _MIN_NODES
        n_nodes = max(_MIN_NODES, math.ceil(_NODES_PER_SIGMA * steep / sigma))
    if n_nodes > _MAX_NODES:
        raise ValueError(
            f"sigma={sigma} is too small for this signal: the quadrature would need "
            f"{n_nodes} nodes (at most {_MAX_NODES}, about sigma >= "
            f"{sigma * n_nodes / _MAX_NODES:.2g} here); raise sigma or pass n_nodes"
        )
    x, w = _x_nodes(x_distribution, n_nodes)
    s = np.asarray(fn(x), dtype=np.float64)
    if s.shape != (n_nodes,) or not np.all(np.isfinite(s)):
        raise ValueError("f must map a 1-D array to a finite 1-D array of that shape")
    # Sorted signal values: each block of y only meets the nodes within
    # _WINDOW_SIGMAS of it (the Gaussian beyond is below 1e-30 of its peak), so
    # the cost grows like the nodes, not like nodes times y steps.
    order = np.argsort(s, kind="stable")
    s, w = s[order], w[order]
    lo = s[0] - _Y_TAIL_SIGMAS * sigma
    hi = s[-1] + _Y_TAIL_SIGMAS * sigma
    n_y = math.ceil((hi - lo) / sigma * _Y_STEPS_PER_SIGMA) + 1
    y = np.linspace(lo, hi, n_y)
    density = np.empty(n_y)
    norm = 1.0 / (sigma * math.sqrt(2.0 * math.pi))
    reach = _WINDOW_SIGMAS * sigma
    for start in range(0, n_y, _Y_BLOCK):
        block = y[start : start + _Y_BLOCK]
        first = np.searchsorted(s, block[0] - reach, side="left")
        last = np.searchsorted(s, block[-1] + reach, side="right")
        near = s[first:last]
        density[start : start + _Y_BLOCK] = (
            norm * np.exp(-0.5 * ((block[:, None] - near) / sigma) ** 2)
        ) @ w[first:last]
    integrand = -density * np.log(np.where(density > 0, density, 1.0))
    entropy = float(np.trapezoid(integrand, y))
    return entropy - 0.5 * math.log(2.0 * math.pi * math.e * sigma**2)


@validate_params(
    {
        "f": [StrOptions(set(_SIGNALS)), callable],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "x_distribution": [StrOptions({"uniform", "normal"})],
        "same_signal": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_invariance(
    f: str | Callable[[np.ndarray], np.ndarray] = "linear",
    sigma: float = 0.1,
    n_samples: int = 1000,
    *,
    x_distribution: str = "uniform",
    same_signal: bool = False,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""``Y = f(X) + sigma * eps``: the self-equitability experiment of MINE.

    X is drawn from ``x_distribution`` (U(-1, 1) as in Belghazi et al. 2018),
    ``eps ~ N(0, 1)`` independently, and the true I(X; Y) is computed by
    :func:`invariance_mi`.

    The MI of this model depends on f only through the law of the signal
    ``f(X)``: ``I(X; Y) = I(f(X); Y)`` (self-equitability, Kinney & Atwal
    2014), so with X ~ U(-1, 1) the truth differs between f at a fixed sigma
    (``x**3`` piles its mass near 0, ``sin`` shrinks the range). With
    ``same_signal=True`` X is drawn as ``f^{-1}(U)``, ``U ~ U(-1, 1)``, so the
    signal is U(-1, 1) for every f, the true MI is the same for all f, and
    only the parametrisation of X changes: an estimator of MI should then
    give the same value for every f.

    Parameters
    ----------
    f : {"linear", "cubic", "sin"} or callable, default="linear"
        ``x``, ``x**3``, ``sin(x)``, or a vectorised function of a 1-D array.
    sigma : float, default=0.1
        Noise scale, positive.
    n_samples : int, default=1000
        Number of rows.
    x_distribution : {"uniform", "normal"}, default="uniform"
        Law of X: U(-1, 1) or N(0, 1).
    same_signal : bool, default=False
        Draw X so that f(X) ~ U(-1, 1) whatever f (needs a named f and
        ``x_distribution="uniform"``).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
    Y : ndarray of shape (n_samples, 1)
    mi : float
        The true I(X; Y) in nats (by quadrature).

    References
    ----------
    Belghazi et al., "Mutual Information Neural Estimation", ICML 2018, §5.1.
    Kinney & Atwal, "Equitability, mutual information, and the maximal
    information coefficient", PNAS 111 (2014).

    Examples
    --------
    >>> from sknmi.datasets import make_invariance
    >>> X, Y, mi = make_invariance("cubic", sigma=0.2, n_samples=5, random_state=0)
    >>> X.shape, Y.shape, round(mi, 2)
    ((5, 1), (5, 1), 0.73)
    """
    if same_signal and (not isinstance(f, str) or x_distribution != "uniform"):
        raise ValueError(
            "same_signal=True needs f in {'linear', 'cubic', 'sin'} and "
            "x_distribution='uniform'"
        )
    rng = check_random_state(random_state)
    if x_distribution == "uniform":
        x = rng.uniform(-1.0, 1.0, n_samples)
    else:
        x = rng.standard_normal(n_samples)
    if same_signal and isinstance(f, str):  # f is a name here (checked above)
        x = _SIGNALS[f][1](x)
    fx = np.asarray(_signal(f)(x), dtype=np.float64)
    if fx.shape != x.shape:
        raise ValueError("f must map a 1-D array to a 1-D array of the same shape")
    y = fx + sigma * rng.standard_normal(n_samples)
    mi = invariance_mi(f, sigma, x_distribution=x_distribution, same_signal=same_signal)
    return x[:, None], y[:, None], mi


@validate_params(
    {
        "levels": ["array-like"],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "transform": [StrOptions(set(_TRANSFORMS)), callable, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_staircase(
    levels: Sequence[float] = (2, 4, 6, 8, 10),
    n_samples: int = 1000,
    n_features: int = 20,
    transform: str | None = None,
    random_state: RandomStateLike = None,
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """One :func:`make_gaussian` data set per MI level: the benchmark's staircase.

    Poole et al. (2019) and Song & Ermon (2020) step the MI of a 20-d
    componentwise Gaussian through 2, 4, ..., 10 nats to show how each bound
    follows (or lags) the truth; each step here is an independent sample.

    Parameters
    ----------
    levels : array-like of float, default=(2, 4, 6, 8, 10)
        The MI of each step, in nats (non-negative).
    n_samples : int, default=1000
        Rows per step.
    n_features : int, default=20
        Width of X and of Z.
    transform : {"cubic"}, callable or None, default=None
        Invertible map applied to Z (``"cubic"``: the cubic variant).
    random_state : int, RandomState instance or None, default=None
        Seed of all steps.

    Returns
    -------
    steps : list of tuple (X, Z, mi)
        One ``make_gaussian`` output per level, in the order of ``levels``.

    Examples
    --------
    >>> from sknmi.datasets import make_staircase
    >>> steps = make_staircase(levels=(2, 4), n_samples=10, random_state=0)
    >>> [(X.shape, mi) for X, Z, mi in steps]
    [((10, 20), 2.0), ((10, 20), 4.0)]
    """
    levels = np.asarray(levels, dtype=np.float64).ravel()
    if levels.size == 0 or not np.all(np.isfinite(levels)) or np.any(levels < 0):
        raise ValueError(f"levels must be finite, non-negative MIs, got {levels}")
    _check_pair_mi("levels", float(levels.max()), n_features)
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=levels.size)
    return [
        make_gaussian(n_samples, n_features, float(level), transform, int(seed))
        for level, seed in zip(levels, seeds)
    ]


def _t_entropy(d, dof):
    """Differential entropy in nats of a d-dim Student t with identity dispersion."""
    half = 0.5 * (dof + d)
    return (
        gammaln(0.5 * dof)
        + 0.5 * d * math.log(dof * math.pi)
        - gammaln(half)
        + half * (digamma(half) - digamma(0.5 * dof))
    )


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_x_features": [Interval(Integral, 1, None, closed="left")],
        "n_z_features": [Interval(Integral, 1, None, closed="left")],
        "dof": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_student_t(
    n_samples: int = 1000,
    n_x_features: int = 2,
    n_z_features: int = 2,
    dof: float = 1.0,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Multivariate Student t with identity dispersion: dependent, uncorrelated.

    ``(X, Z) = G / sqrt(W / dof)`` with ``G ~ N(0, I_{d_x + d_z})`` and
    ``W ~ chi^2(dof)`` independent: every pair of columns is uncorrelated
    (where the variance exists, ``dof > 2``), yet X and Z share the random
    scale, so they are dependent. With :math:`h_d` the entropy of a d-dim t
    with identity dispersion,

    .. math::

        h_d = \log\frac{\Gamma(\nu/2)\,(\nu\pi)^{d/2}}{\Gamma((\nu+d)/2)}
              + \frac{\nu+d}{2}\Big(\psi\big(\tfrac{\nu+d}{2}\big)
              - \psi\big(\tfrac{\nu}{2}\big)\Big),

    the MI is :math:`I(X; Z) = h_{d_x} + h_{d_z} - h_{d_x + d_z}` (the marginals
    of a t are t with the same ``dof``). It falls to 0 as ``dof`` grows (the
    Gaussian limit) and does not depend on the sample's correlation, so a
    Gaussian estimate finds about none of it; heavy tails (``dof`` of 1 or 2)
    stress estimators that standardise by the sample variance.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_x_features : int, default=2
        Width of X.
    n_z_features : int, default=2
        Width of Z.
    dof : float, default=1.0
        Degrees of freedom ``nu``, positive (1 is the multivariate Cauchy).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_x_features)
    Z : ndarray of shape (n_samples, n_z_features)
    mi : float
        The true I(X; Z) in nats.

    References
    ----------
    Czyż et al., "Beyond Normal: On the Evaluation of Mutual Information
    Estimators", NeurIPS 2023 (the Student-t tasks).

    Examples
    --------
    >>> from sknmi.datasets import make_student_t
    >>> X, Z, mi = make_student_t(5, n_x_features=2, n_z_features=2, dof=1,
    ...                           random_state=0)
    >>> X.shape, Z.shape, round(mi, 4)
    ((5, 2), (5, 2), 0.4319)
    """
    _check_range("dof", dof, _MIN_DOF, _MAX_DOF)
    rng = check_random_state(random_state)
    G = rng.standard_normal((n_samples, n_x_features + n_z_features))
    scale = np.sqrt(rng.chisquare(dof, n_samples) / dof)
    W = G / scale[:, None]
    mi = (
        _t_entropy(n_x_features, dof)
        + _t_entropy(n_z_features, dof)
        - _t_entropy(n_x_features + n_z_features, dof)
    )
    return W[:, :n_x_features], W[:, n_x_features:], float(mi)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_informative": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sparse_gaussian(
    n_samples: int = 1000,
    n_features: int = 3,
    n_informative: int = 2,
    mi: float = 5.0,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Few dimensions, few dependent pairs, high MI.

    X and Z have ``n_features`` independent standard normal columns; the
    first ``n_informative`` pairs ``(X_j, Z_j)`` are correlated with
    :math:`\rho` chosen so that they share ``mi`` equally, the other columns
    are noise:

    .. math:: I(X; Z) = -\frac{k}{2}\log(1 - \rho^2), \quad k = n_{informative}.

    At 5 nats in 3 + 3 dimensions (two pairs at 2.5 nats, ``rho`` = 0.9966)
    the dependence is nearly deterministic along two directions, a regime
    where bounds with variance like ``exp(MI)`` struggle.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=3
        Width of X and of Z.
    n_informative : int, default=2
        Number of correlated pairs, at most ``n_features``.
    mi : float, default=5.0
        The mutual information in nats.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_features)
    mi : float
        The true I(X; Z) in nats.

    See Also
    --------
    make_gaussian_covariance : ``covariance="sparse"`` picks the pairs at
        random among wider X and Z.

    Examples
    --------
    >>> from sknmi.datasets import make_sparse_gaussian
    >>> X, Z, mi = make_sparse_gaussian(5, n_features=3, n_informative=2, mi=5.0,
    ...                                 random_state=0)
    >>> X.shape, Z.shape, round(mi, 6)
    ((5, 3), (5, 3), 5.0)
    """
    if n_informative > n_features:
        raise ValueError(
            f"n_informative={n_informative} exceeds n_features={n_features}"
        )
    _check_pair_mi("mi", mi, n_informative)
    rng = check_random_state(random_state)
    one_minus_rho2 = math.exp(-2.0 * mi / n_informative)
    rho = math.sqrt(-math.expm1(-2.0 * mi / n_informative))
    X = rng.standard_normal((n_samples, n_features))
    Z = rng.standard_normal((n_samples, n_features))
    Z[:, :n_informative] = (
        rho * X[:, :n_informative] + math.sqrt(one_minus_rho2) * Z[:, :n_informative]
    )
    return X, Z, float(-0.5 * n_informative * math.log(one_minus_rho2))


def _half_cube(t):
    return t * np.sqrt(np.abs(t))


def _spiral(W, speed=1.0):
    """Rotate each pair of coordinates (0, 1), (2, 3), ... of each row by the
    angle ``speed * |w|^2 / d``. Rotations keep the norm, so rotating back by
    the angle of the output inverts the map."""
    W = np.array(W, dtype=np.float64)
    angle = speed * np.einsum("ij,ij->i", W, W) / W.shape[1]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    even, odd = W[:, 0:-1:2].copy(), W[:, 1::2].copy()
    W[:, 0:-1:2] = cos * even - sin * odd
    W[:, 1::2] = sin * even + cos * odd
    return W


# Invertible maps that leave the MI of a Gaussian pair unchanged.
_MI_PRESERVING = {
    "cubic": lambda t: t**3,
    "half_cube": _half_cube,
    "asinh": np.arcsinh,
    "normal_cdf": ndtr,
    "spiral": _spiral,
}


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "transform": [StrOptions(set(_MI_PRESERVING))],
        "apply_to": [StrOptions({"x", "z", "both"})],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_transformed_gaussian(
    n_samples: int = 1000,
    n_features: int = 5,
    mi: float = 1.0,
    transform: str = "cubic",
    apply_to: str = "both",
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """A :func:`make_gaussian` pair seen through an invertible map (same MI).

    MI is invariant under invertible (smooth) maps of X and of Z, so the
    truth is that of the Gaussian, ``mi``, while the law is far from
    Gaussian. The maps, after Czyż et al. (2023):

    - ``"cubic"``: ``t -> t^3`` column by column;
    - ``"half_cube"``: ``t -> t sqrt|t|`` (heavier tails, milder than cubic);
    - ``"asinh"``: ``t -> asinh(t)`` (lighter tails);
    - ``"normal_cdf"``: ``t -> Phi(t)``, the standard normal CDF, so each
      column is uniform on (0, 1);
    - ``"spiral"``: the whole vector w is rotated by an angle growing with
      its norm, ``w -> R(|w|^2 / d) w``, with ``R(theta)`` the rotation by
      theta in each plane of coordinates (0, 1), (2, 3), ...; a diffeomorphism
      (its inverse rotates by ``-|w|^2 / d``, the norm being kept). As an
      isotropic Gaussian's law is rotation invariant, each side alone stays
      N(0, I) and only the joint law is twisted. Needs ``n_features >= 2``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=5
        Width of X and of Z.
    mi : float, default=1.0
        The mutual information in nats.
    transform : {"cubic", "half_cube", "asinh", "normal_cdf", "spiral"}, \
            default="cubic"
        The map.
    apply_to : {"x", "z", "both"}, default="both"
        Which variable the map is applied to.
    random_state : int, RandomState instance or None, default=None
        Seed; the Gaussian sample is ``make_gaussian``'s with that seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_features)
    mi : float
        The true I(X; Z) in nats.

    References
    ----------
    Czyż et al., "Beyond Normal: On the Evaluation of Mutual Information
    Estimators", NeurIPS 2023.

    Examples
    --------
    >>> from sknmi.datasets import make_transformed_gaussian
    >>> X, Z, mi = make_transformed_gaussian(5, n_features=2, mi=1.0,
    ...                                      transform="normal_cdf", random_state=0)
    >>> X.shape, Z.shape, mi, bool(((0 < X) & (X < 1)).all())
    ((5, 2), (5, 2), 1.0, True)
    """
    if transform == "spiral" and n_features < 2:
        raise ValueError("the spiral transform needs n_features >= 2")
    X, Z, mi = make_gaussian(n_samples, n_features, mi, random_state=random_state)
    fn = _MI_PRESERVING[transform]
    if apply_to in ("x", "both"):
        X = fn(X)
    if apply_to in ("z", "both"):
        Z = fn(Z)
    return X, Z, mi


# -- conditional mutual information ------------------------------------------------


def _sample_blocks(cov, n_samples, d, rng):
    data = rng.standard_normal((n_samples, cov.shape[0])) @ np.linalg.cholesky(cov).T
    return data[:, :d], data[:, d : 2 * d], data[:, 2 * d :]


def _componentwise_cov(block, d):
    """Covariance of (X, Z, W) with d independent copies of a 3 x 3 ``block``."""
    return np.kron(np.asarray(block, dtype=np.float64), np.eye(d))


def _blocks(d):
    return range(d), range(d, 2 * d), range(2 * d, 3 * d)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "cmi": [Interval(Real, 0, None, closed="left")],
        "mi_given": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_gaussian_conditional(
    n_samples: int = 1000,
    n_features: int = 1,
    cmi: float = 1.0,
    mi_given: float = 1.0,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    r"""Gaussian triple (X, Z, W) with a chosen conditional MI I(X; Z | W).

    Each of X, Z and W has ``n_features`` columns; column j of each depends
    only on column j of the others. With :math:`W_j, U_j, V_j` independent
    standard normals,

    .. math:: X_j = r W_j + \sqrt{1 - r^2}\, U_j, \qquad
              Z_j = r W_j + \sqrt{1 - r^2}\,
              (\rho U_j + \sqrt{1 - \rho^2}\, V_j),

    so X and Z share ``mi_given`` nats each with W
    (:math:`I(X; W) = -\frac{d}{2}\log(1 - r^2)`) and, given W, have partial
    correlation :math:`\rho`: :math:`I(X; Z | W) = -\frac{d}{2}\log(1-\rho^2)`.
    The returned value is computed from the covariance :math:`\Sigma` by

    .. math:: I(X; Z | W) = \frac{1}{2}\log
              \frac{|\Sigma_{XW}|\,|\Sigma_{ZW}|}{|\Sigma_W|\,|\Sigma_{XZW}|}.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=1
        Width d of X, of Z and of W.
    cmi : float, default=1.0
        I(X; Z | W) in nats.
    mi_given : float, default=1.0
        I(X; W) = I(Z; W) in nats: how much of X and Z the conditioning set
        explains.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, n_features)
        The conditioning set.
    cmi : float
        The true I(X; Z | W) in nats.

    See Also
    --------
    make_chain : X -> W -> Z, where I(X; Z | W) = 0.
    make_collider : X -> W <- Z, where I(X; Z | W) > 0 = I(X; Z).

    Examples
    --------
    >>> from sknmi.datasets import make_gaussian_conditional
    >>> X, Z, W, cmi = make_gaussian_conditional(5, n_features=2, cmi=1.5,
    ...                                          random_state=0)
    >>> X.shape, Z.shape, W.shape, round(cmi, 6)
    ((5, 2), (5, 2), (5, 2), 1.5)
    """
    d = n_features
    _check_pair_mi("cmi", cmi, d, _MAX_COV_PAIR_MI)
    _check_pair_mi("mi_given", mi_given, d, _MAX_COV_PAIR_MI)
    r = math.sqrt(-math.expm1(-2.0 * mi_given / d))
    rho = math.sqrt(-math.expm1(-2.0 * cmi / d))
    s = 1.0 - r**2
    c = r**2 + rho * s
    block = [[1.0, c, r], [c, 1.0, r], [r, r, 1.0]]
    cov = _componentwise_cov(block, d)
    rng = check_random_state(random_state)
    X, Z, W = _sample_blocks(cov, n_samples, d, rng)
    return X, Z, W, gaussian_cmi(cov, *_blocks(d))


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "transform": [StrOptions(set(_TRANSFORMS)), callable, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_chain(
    n_samples: int = 1000,
    n_features: int = 1,
    mi: float = 1.0,
    transform: str | None = None,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    r"""Markov chain X -> W -> Z: dependent X and Z, conditionally independent.

    ``X ~ N(0, I_d)``, ``W = rho X + sqrt(1 - rho^2) eps`` and
    ``Z = rho W + sqrt(1 - rho^2) eps'`` (column by column), with ``rho`` set
    so that ``I(X; W) = I(W; Z) = mi``. Then I(X; Z) > 0 but
    I(X; Z | W) = 0: W carries everything X tells about Z. An invertible
    ``transform`` of W (``"cubic"``: ``W -> W^3``) leaves the conditional
    independence unchanged and makes it a non-linear problem.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=1
        Width d of X, of Z and of W.
    mi : float, default=1.0
        I(X; W) = I(W; Z) in nats.
    transform : {"cubic"}, callable or None, default=None
        Invertible map applied to W (column by column).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, n_features)
    cmi : float
        The true I(X; Z | W), which is 0.0.

    Examples
    --------
    >>> from sknmi.datasets import make_chain
    >>> X, Z, W, cmi = make_chain(5, n_features=2, random_state=0)
    >>> X.shape, cmi
    ((5, 2), 0.0)
    """
    d = n_features
    _check_pair_mi("mi", mi, d)
    rho = math.sqrt(-math.expm1(-2.0 * mi / d))
    rng = check_random_state(random_state)
    noise = math.exp(-mi / d)  # sqrt(1 - rho^2) without cancellation
    X = rng.standard_normal((n_samples, d))
    W = rho * X + noise * rng.standard_normal((n_samples, d))
    Z = rho * W + noise * rng.standard_normal((n_samples, d))
    return X, Z, _transform_z(W, transform), 0.0


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_collider(
    n_samples: int = 1000,
    n_features: int = 1,
    noise: float = 1.0,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    r"""Collider X -> W <- Z: independent X and Z, dependent given W.

    ``X`` and ``Z`` are independent ``N(0, I_d)`` and ``W = X + Z + noise eps``
    (column by column). Then I(X; Z) = 0, but given W the two are negatively
    correlated (partial correlation :math:`-1 / (1 + \sigma^2)`), so

    .. math:: I(X; Z | W) = -\frac{d}{2}
              \log\Big(1 - \frac{1}{(1 + \sigma^2)^2}\Big),

    computed here from the covariance, as in :func:`make_gaussian_conditional`.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=1
        Width d of X, of Z and of W.
    noise : float, default=1.0
        Standard deviation sigma of the noise of W.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, n_features)
    cmi : float
        The true I(X; Z | W) in nats.

    Examples
    --------
    >>> from sknmi.datasets import make_collider
    >>> X, Z, W, cmi = make_collider(5, noise=1.0, random_state=0)
    >>> round(cmi, 4)  # -log(1 - 1/4) / 2
    0.1438
    """
    _check_range("noise", noise, _MIN_NOISE, _MAX_NOISE)
    d = n_features
    v = 2.0 + noise**2
    cov = _componentwise_cov([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, v]], d)
    rng = check_random_state(random_state)
    X, Z, W = _sample_blocks(cov, n_samples, d, rng)
    return X, Z, W, gaussian_cmi(cov, *_blocks(d))


# -- time series -------------------------------------------------------------------


@validate_params(
    {
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "coupling": [Interval(Real, None, None, closed="neither")],
        "autoregression": [Interval(Real, -1, 1, closed="neither"), "array-like"],
        "lag": [Interval(Integral, 1, None, closed="left")],
        "history": [Interval(Integral, 1, None, closed="left")],
        "max_lag": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_var1(
    n_steps: int = 1000,
    *,
    coupling: float = 0.8,
    autoregression: float = 0.5,
    lag: int = 1,
    history: int = 1,
    max_lag: int = 5,
    random_state: RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray, Bunch]:
    r"""Two coupled Gaussian series, a VAR(1) in which x drives y and not back.

    .. math:: x_t = a\, x_{t-1} + \varepsilon_t, \qquad
              y_t = b\, y_{t-1} + c\, x_{t-1} + \eta_t,

    with :math:`\varepsilon_t, \eta_t` independent standard normals, and
    the first step drawn from the stationary law (so every step has it: no
    burn-in). The true values come from the stationary covariances
    (:math:`\Sigma = A \Sigma A^\top + I`,
    :math:`\operatorname{Cov}(s_t, s_{t-k}) = A^k \Sigma`) by the Gaussian
    formulas: the lagged MI :math:`I(y_t; x_{t-k}) = -\frac{1}{2}\log(1 -
    \rho_k^2)` and the transfer entropy

    .. math:: T_{x \to y} = I(y_t;\, x_{t-\ell-h+1}, \dots, x_{t-\ell}
              \mid y_{t-1}, \dots, y_{t-h})

    at lag :math:`\ell` and history :math:`h` (the conditional MI of
    :func:`sknmi.timeseries.transfer_entropy`). :math:`T_{y \to x} = 0`
    exactly: given its own last value, :math:`x_t` is independent of the
    whole past.

    Parameters
    ----------
    n_steps : int, default=1000
        Length of the series.
    coupling : float, default=0.8
        :math:`c`, how strongly :math:`x_{t-1}` drives :math:`y_t`.
    autoregression : float or pair of float, default=0.5
        :math:`a` and :math:`b` (one value for both), each in (-1, 1) so that
        the process is stationary.
    lag, history : int, default=1
        The lag and history of the transfer entropies returned.
    max_lag : int, default=5
        The lagged MI is returned at lags ``0, ..., max_lag``.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    x, y : ndarray of shape (n_steps,)
        The series.
    truth : Bunch
        ``lags`` (``0..max_lag``), ``lagged_mi`` (:math:`I(y_t; x_{t-k})` at
        each lag, nats), ``transfer_entropy`` (:math:`T_{x \to y}`) and
        ``transfer_entropy_reverse`` (:math:`T_{y \to x}`, 0).

    Examples
    --------
    >>> from sknmi.datasets import make_var1
    >>> x, y, truth = make_var1(200, random_state=0)
    >>> x.shape, round(truth.transfer_entropy, 4), truth.transfer_entropy_reverse
    ((200,), 0.2807, 0.0)
    >>> int(truth.lags[truth.lagged_mi.argmax()])  # x acts on y one step later
    1
    """
    from sklearn.utils import Bunch

    a, b = np.broadcast_to(np.asarray(autoregression, dtype=np.float64), (2,))
    if not (abs(a) < 1 and abs(b) < 1):
        raise ValueError(
            f"autoregression must lie in (-1, 1) for a stationary process, got "
            f"{autoregression!r}"
        )
    A = np.array([[a, 0.0], [coupling, b]])
    span = max(max_lag, lag + history - 1, history)
    # Coordinate j of s_{t-k} is index 2 k + j: x is j = 0, y is j = 1.
    cov = var_covariance(A, np.eye(2), span)

    def x_at(k):
        return 2 * k

    def y_at(k):
        return 2 * k + 1

    source = [x_at(k) for k in range(lag, lag + history)]
    own = [y_at(k) for k in range(1, history + 1)]
    te = gaussian_cmi(cov, [y_at(0)], source, own)
    reverse = gaussian_cmi(
        cov,
        [x_at(0)],
        [y_at(k) for k in range(lag, lag + history)],
        [x_at(k) for k in range(1, history + 1)],
    )
    lagged = np.array(
        [gaussian_cmi(cov, [y_at(0)], [x_at(k)], []) for k in range(max_lag + 1)]
    )
    rng = check_random_state(random_state)
    noise = rng.standard_normal((n_steps, 2))
    x0, y0 = np.linalg.cholesky(cov[:2, :2]) @ noise[0]
    # Each recursion is a first-order linear filter: x on its noise, then y on
    # its noise plus the driving c x_{t-1}; zi starts each from the first step.
    x = np.concatenate([[x0], lfilter([1.0], [1.0, -a], noise[1:, 0], zi=[a * x0])[0]])
    drive = coupling * x[:-1] + noise[1:, 1]
    y = np.concatenate([[y0], lfilter([1.0], [1.0, -b], drive, zi=[b * y0])[0]])
    truth = Bunch(
        lags=np.arange(max_lag + 1),
        lagged_mi=lagged,
        transfer_entropy=te,
        transfer_entropy_reverse=reverse,
    )
    return x, y, truth
