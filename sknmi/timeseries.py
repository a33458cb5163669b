"""Time series: MI at a range of lags, and transfer entropy in both directions.

Both analyses turn the series into rows of lagged values and hand the fits to
the package's one joblib entry point, so they run in parallel under ``n_jobs``
(or on a dask or Ray cluster through joblib; see :ref:`scaling`). Rows built
from a time series are ordered and autocorrelated: a critic read on rows whose
neighbours it trained on sees near copies of its training data, and an
interval computed as if the rows were independent is too narrow. The default
estimators therefore cross-fit on contiguous blocks of rows with a gap between
training and read blocks (``NeuralMIEstimator(shuffle=False, gap=...)``).
"""

import math
import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_array

from sknmi._parallel import fit_many, read_mi, seeded_clones
from sknmi._typing import ArrayLike, RandomStateLike
from sknmi._validation import (
    check_mi_estimator,
    check_no_dates,
    check_unconditional,
)

__all__ = [
    "LaggedMIResult",
    "TransferEntropyResult",
    "lagged_mi",
    "transfer_entropy",
]

# Fewest rows (time steps left after the lags) that an analysis accepts.
_MIN_ROWS = 20
# The correlation length is the first lag at which every column's
# autocorrelation is below this in absolute value.
_ACF_THRESHOLD = 0.1
# The default gap is at most this share of the rows (a near unit-root series
# would otherwise leave nothing to train on).
_MAX_GAP_SHARE = 0.05


# -- results -----------------------------------------------------------------------


@dataclass(frozen=True)
class LaggedMIResult:
    """What :func:`lagged_mi` returns: the MI and its interval at each lag.

    Parameters
    ----------
    lags : ndarray of int
        The lags, as given.
    mi : ndarray of float
        :math:`I(y_t; x_{t-\\mathrm{lag}})` at each lag, in nats.
    ci_low, ci_high : ndarray of float
        The 95% interval at each lag (the estimator's ``mi_ci_``).
    n_rows : int
        Rows (time steps) each estimate was read from: the same steps
        ``t = max(lags), ..., n - 1`` at every lag.

    Examples
    --------
    >>> from sknmi import GaussianMIEstimator
    >>> from sknmi.datasets import make_var1
    >>> from sknmi.timeseries import lagged_mi
    >>> x, y, _ = make_var1(2000, random_state=0)
    >>> result = lagged_mi(x, y, [0, 1, 2], estimator=GaussianMIEstimator())
    >>> result.peak_lag, result.n_rows
    (1, 1998)
    """

    lags: np.ndarray
    mi: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_rows: int

    @property
    def peak_lag(self):
        """The lag of the largest estimate."""
        return int(self.lags[int(np.argmax(self.mi))])


@dataclass(frozen=True)
class TransferEntropyResult:
    """What :func:`transfer_entropy` returns: both directions with intervals.

    Entry 0 of each array is source -> target, entry 1 target -> source.

    Parameters
    ----------
    lag, history : int
        As given.
    directions : tuple of str
        ``("source -> target", "target -> source")``.
    te : ndarray of shape (2,)
        The transfer entropies, in nats (not clipped at 0).
    ci_low, ci_high : ndarray of shape (2,)
        Their 95% intervals.
    difference_ratio : ndarray of shape (2,)
        The larger of the two MI terms over the estimate (see
        :class:`~sknmi.ConditionalMIEstimator`'s ``difference_ratio_``):
        above 10, a few percent of bias in a term is as large as the estimate.
    mi_joint, mi_given : ndarray of shape (2,)
        The two terms, :math:`I(\\text{target}_t; \\text{both pasts})` and
        :math:`I(\\text{target}_t; \\text{own past})`.
    n_rows : int
        Time steps that gave a row.

    Examples
    --------
    >>> from sknmi import GaussianMIEstimator
    >>> from sknmi.datasets import make_var1
    >>> from sknmi.timeseries import transfer_entropy
    >>> x, y, _ = make_var1(2000, random_state=0)
    >>> result = transfer_entropy(x, y, estimator=GaussianMIEstimator())
    >>> result.directions
    ('source -> target', 'target -> source')
    >>> bool(result.te[0] > 0.1 > result.te[1])
    True
    """

    lag: int
    history: int
    directions: tuple
    te: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    difference_ratio: np.ndarray
    mi_joint: np.ndarray
    mi_given: np.ndarray
    n_rows: int

    @property
    def source_to_target(self):
        """``(te, (low, high))`` of source -> target."""
        return float(self.te[0]), (float(self.ci_low[0]), float(self.ci_high[0]))

    @property
    def target_to_source(self):
        """``(te, (low, high))`` of target -> source."""
        return float(self.te[1]), (float(self.ci_low[1]), float(self.ci_high[1]))


# -- validation --------------------------------------------------------------------


def _check_series(series, name):
    """A finite float series as an (n, d) array; a ValueError saying what is wrong."""
    check_no_dates(series, name)
    array = check_array(
        series,
        ensure_2d=False,
        dtype="numeric",
        ensure_min_samples=1,
        input_name=name,
    )
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    return np.asarray(array, dtype=np.float64)


def _check_pair(a, b, names):
    a, b = _check_series(a, names[0]), _check_series(b, names[1])
    if len(a) != len(b):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same number of time steps, "
            f"got {len(a)} and {len(b)}"
        )
    return a, b


def _check_step(value, name, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _check_lags(lags):
    array = np.atleast_1d(np.asarray(lags))
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"lags must be a non-empty 1-D sequence of integers, got {lags!r}"
        )
    if array.dtype.kind not in "iu":
        raise ValueError(f"lags must be integers, got {lags!r}")
    if np.any(array < 0):
        raise ValueError(f"lags must be non-negative, got {array.tolist()}")
    return array.astype(int)


def _check_rows(n_steps, reach, what):
    rows = n_steps - reach
    if rows < _MIN_ROWS:
        raise ValueError(
            f"{n_steps} time steps are too few for {what}: {rows} row(s) are left "
            f"once the first {reach} steps give the past; need at least {_MIN_ROWS}"
        )
    return rows


def _check_estimator(estimator, who):
    check_mi_estimator(estimator, who)
    check_unconditional(estimator, who)
    if estimator.get_params(deep=False).get("shuffle") is True:
        warnings.warn(
            f"{who}: the estimator shuffles the rows before cross-fitting "
            "(shuffle=True): on a time series its critics are read on rows "
            "whose neighbours they trained on, and its interval assumes "
            "independent rows; pass shuffle=False and a gap",
            UserWarning,
            stacklevel=3,
        )


# -- the default estimator ---------------------------------------------------------


def _correlation_length(*series):
    """The first lag at which every column's autocorrelation is below 0.1.

    Parameters
    ----------
    *series : ndarray of shape (n_steps, n_columns)
        Validated series.

    Returns
    -------
    int
        At least 1, at most ``n_steps - 1``.
    """
    columns = np.hstack(series)
    n = columns.shape[0]
    centred = columns - columns.mean(0)
    # The autocovariances of all lags at once, by FFT (zero padding to 2 n
    # makes the circular correlation a linear one).
    spectrum = np.fft.rfft(centred, n=2 * n, axis=0)
    acov = np.fft.irfft(spectrum * spectrum.conj(), n=2 * n, axis=0)[:n]
    variance = acov[0]
    live = variance > 0
    if not live.any():
        return 1
    acf = np.abs(acov[:, live] / variance[live])
    below = np.all(acf < _ACF_THRESHOLD, axis=1)
    below[0] = False
    first = np.flatnonzero(below)
    return int(first[0]) if first.size else n - 1


def _default_gap(reach, n_rows, *series):
    """Rows between a read block and training: the row's reach in time plus
    the series' correlation length, at most a twentieth of the rows."""
    gap = reach + _correlation_length(*series)
    return int(min(gap, max(1, math.floor(_MAX_GAP_SHARE * n_rows))))


def _ordered_estimator(gap, **params):
    from sknmi.mi import NeuralMIEstimator

    return NeuralMIEstimator(shuffle=False, gap=gap, **params)


# -- lagged MI -----------------------------------------------------------------------


def lagged_mi(
    x: ArrayLike,
    y: ArrayLike,
    lags: int | ArrayLike,
    *,
    estimator: BaseEstimator | None = None,
    n_jobs: int | None = None,
    random_state: RandomStateLike = None,
) -> LaggedMIResult:
    r"""Mutual information between ``y`` now and ``x`` ``lag`` steps before.

    At each lag :math:`\ell` the estimate of :math:`I(y_t; x_{t-\ell})` over
    the same time steps :math:`t = \max(\text{lags}), \dots, n - 1`, so that
    the estimates at different lags read the same ``y`` values and compare.

    Parameters
    ----------
    x : array-like of shape (n_steps,) or (n_steps, n_x)
        The earlier series (several columns: a multivariate series).
    y : array-like of shape (n_steps,) or (n_steps, n_y)
        The later series, on the same time steps.
    lags : int or array-like of int
        Non-negative lags (0: the same step).
    estimator : estimator object, default=None
        An MI estimator, cloned for each lag; None means
        ``NeuralMIEstimator(shuffle=False, gap=g)``, cross-fitted on
        contiguous blocks with ``g`` steps left out on each side of a read
        block: the largest lag plus the first lag at which every column's
        autocorrelation is below 0.1 (at most a twentieth of the rows). An
        estimator with ``shuffle=True`` draws a warning.
    n_jobs : int, default=None
        Lags fitted at once, through joblib (None: 1 unless in a
        :func:`joblib.parallel_config` context; -1: all cores).
    random_state : int, RandomState instance or None, default=None
        Seeds the clones of ``estimator``, one draw per lag before dispatch (a
        clone whose own ``random_state`` is an int keeps it: see
        :ref:`seeding`): the result does not depend on ``n_jobs``.

    Returns
    -------
    result : LaggedMIResult
        ``lags``, ``mi``, ``ci_low``, ``ci_high`` (nats) and ``n_rows``.

    See Also
    --------
    transfer_entropy : what x's past adds to y's own past.
    sknmi.plotting.LaggedMIDisplay : MI against lag, with the intervals.

    Examples
    --------
    >>> from sknmi import GaussianMIEstimator
    >>> from sknmi.datasets import make_var1
    >>> from sknmi.timeseries import lagged_mi
    >>> x, y, truth = make_var1(5000, random_state=0)
    >>> result = lagged_mi(x, y, [0, 1, 2, 3], estimator=GaussianMIEstimator())
    >>> result.peak_lag, bool(abs(result.mi[1] - truth.lagged_mi[1]) < 0.05)
    (1, True)
    """
    x, y = _check_pair(x, y, ("x", "y"))
    lags = _check_lags(lags)
    reach = int(lags.max())
    n = len(x)
    n_rows = _check_rows(n, reach, f"lags up to {reach}")
    if estimator is None:
        estimator = _ordered_estimator(_default_gap(reach, n_rows, x, y))
    else:
        _check_estimator(estimator, "lagged_mi")
    target = y[reach:]
    target = target[:, 0] if target.shape[1] == 1 else target
    clones = seeded_clones(estimator, len(lags), random_state)
    tasks = [(est, x[reach - lag : n - lag], target) for est, lag in zip(clones, lags)]
    values = np.array(
        fit_many(
            tasks,
            n_jobs=n_jobs,
            labels=[f"lagged_mi, lag {lag}" for lag in lags],
            read=read_mi,
        ),
        dtype=np.float64,
    ).reshape(len(lags), 3)
    return LaggedMIResult(
        lags=lags,
        mi=values[:, 0],
        ci_low=values[:, 1],
        ci_high=values[:, 2],
        n_rows=n_rows,
    )


# -- transfer entropy --------------------------------------------------------------


def _past(series, start, stop, steps):
    """Columns ``series[t - k]`` for ``k`` in ``steps``, rows ``t = start..stop-1``."""
    return np.hstack([series[start - k : stop - k] for k in steps])


def _te_rows(source, target, lag, history, start):
    """(X, Z, given) of the conditional MI of source -> target.

    X holds the source's past (lags ``lag .. lag + history - 1``) and then the
    target's own past (lags ``1 .. history``), which ``given`` names; Z is the
    target now.
    """
    n = len(target)
    source_past = _past(source, start, n, range(lag, lag + history))
    own_past = _past(target, start, n, range(1, history + 1))
    X = np.hstack([source_past, own_past])
    Z = target[start:]
    Z = Z[:, 0] if Z.shape[1] == 1 else Z
    given = np.arange(source_past.shape[1], X.shape[1])
    return X, Z, given


def _read_conditional(estimator):
    """The estimate, its interval, the difference ratio and the two terms."""
    lo, hi = estimator.mi_ci_
    return (
        float(estimator.mi_),
        float(lo),
        float(hi),
        float(estimator.difference_ratio_),
        float(estimator.mi_joint_),
        float(estimator.mi_given_),
    )


def transfer_entropy(
    source: ArrayLike,
    target: ArrayLike,
    *,
    lag: int = 1,
    history: int = 1,
    estimator: BaseEstimator | None = None,
    n_jobs: int | None = None,
    random_state: RandomStateLike = None,
) -> TransferEntropyResult:
    r"""Transfer entropy between two series, in both directions.

    .. math:: T_{S \to T} = I(T_t;\, S_{t-\ell-h+1}, \dots, S_{t-\ell}
              \mid T_{t-1}, \dots, T_{t-h})

    with lag :math:`\ell` and history :math:`h`: what the source's past tells
    about the target now beyond the target's own past (Schreiber 2000). It is
    estimated by :class:`~sknmi.ConditionalMIEstimator` as the difference
    :math:`I(T_t; [S_{\text{past}}, T_{\text{past}}]) - I(T_t; T_{\text{past}})`,
    and the same for :math:`T_{T \to S}` with the roles swapped, over the same
    time steps.

    Parameters
    ----------
    source, target : array-like of shape (n_steps,) or (n_steps, n_columns)
        The two series, on the same time steps.
    lag : int, default=1
        Steps from the source's most recent value used to the target's
        present (at least 1).
    history : int, default=1
        Past values of the source, and of the target conditioned on (at
        least 1).
    estimator : estimator object, default=None
        The MI estimator that :class:`~sknmi.ConditionalMIEstimator` clones
        for its two terms; None means
        ``NeuralMIEstimator(critic="concat", shuffle=False, gap=g)``, with
        ``g`` the reach of a row (``lag + history - 1``) plus the first lag
        at which every column's autocorrelation is below 0.1 (at most a
        twentieth of the rows). The conditional estimator then holds out the
        last fifth of the rows (its ``test_fraction``), ``g`` rows before it
        left out, and reads both terms there. An estimator with
        ``shuffle=True`` draws a warning.
    n_jobs : int, default=None
        The two directions fitted at once, through joblib.
    random_state : int, RandomState instance or None, default=None
        Seeds each direction's clone of ``estimator`` before dispatch (one
        draw per direction; an int ``random_state`` of the estimator's own is
        kept: see :ref:`seeding`): the result does not depend on ``n_jobs``.

    Returns
    -------
    result : TransferEntropyResult
        Both directions: ``te``, ``ci_low``, ``ci_high``, ``difference_ratio``
        and the two terms; ``source_to_target`` and ``target_to_source`` give
        ``(te, (low, high))``.

    Warns
    -----
    UserWarning
        When a direction's estimate excludes 0 but is less than a tenth of
        its larger term (``difference_ratio`` above 10): a bias of a few
        percent in a term, which the interval does not hold, is then as large
        as the estimate.

    See Also
    --------
    lagged_mi : the plain MI at a range of lags.
    sknmi.datasets.make_var1 : two series with known transfer entropies.

    References
    ----------
    Schreiber, "Measuring Information Transfer", Phys. Rev. Lett. 85, 2000.

    Examples
    --------
    >>> from sknmi import GaussianMIEstimator
    >>> from sknmi.datasets import make_var1
    >>> from sknmi.timeseries import transfer_entropy
    >>> x, y, truth = make_var1(5000, random_state=0)
    >>> result = transfer_entropy(x, y, estimator=GaussianMIEstimator())
    >>> te, (low, high) = result.source_to_target
    >>> bool(low < truth.transfer_entropy < high), bool(result.te[1] < 0.01)
    (True, True)
    """
    from sknmi.conditional import ConditionalMIEstimator

    source, target = _check_pair(source, target, ("source", "target"))
    lag = _check_step(lag, "lag", 1)
    history = _check_step(history, "history", 1)
    start = lag + history - 1
    n_rows = _check_rows(len(source), start, f"lag={lag} and history={history}")
    if estimator is None:
        gap = _default_gap(start, n_rows, source, target)
        estimator = _ordered_estimator(gap, critic="concat")
    else:
        _check_estimator(estimator, "transfer_entropy")
    directions = ("source -> target", "target -> source")
    pairs = [(source, target), (target, source)]
    tasks = []
    for est, (a, b) in zip(seeded_clones(estimator, 2, random_state), pairs):
        X, Z, given = _te_rows(a, b, lag, history, start)
        # Each direction's conditional estimator draws its own seeds from the
        # one fixed here, so serial and parallel runs fit the same models.
        conditional = ConditionalMIEstimator(
            est, given=given, random_state=est.get_params().get("random_state")
        )
        tasks.append((conditional, X, Z))
    values = np.array(
        fit_many(
            tasks,
            n_jobs=n_jobs,
            labels=[f"transfer_entropy, {d}" for d in directions],
            read=_read_conditional,
        ),
        dtype=np.float64,
    )
    return TransferEntropyResult(
        lag=lag,
        history=history,
        directions=directions,
        te=values[:, 0],
        ci_low=values[:, 1],
        ci_high=values[:, 2],
        difference_ratio=values[:, 3],
        mi_joint=values[:, 4],
        mi_given=values[:, 5],
        n_rows=n_rows,
    )
