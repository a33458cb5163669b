"""The one 95% interval of an estimate read from per-row terms; numpy only.

:func:`interval` turns K folds' per-row terms into an estimate, its 95%
interval and the folds' values, for every estimator that reads an MI from
rows (the baselines' single "fold" included); :func:`half_width` is its
Welch-Satterthwaite half-width and :func:`long_run_variance` the variance of
a mean of autocorrelated terms (time series).
"""

import math

import numpy as np
from scipy.stats import t as student_t

#: The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054


def interval(values, terms, name="read-out"):
    """An estimate from K folds' per-row terms: the value, its 95% interval, the folds.

    The estimate is the size-weighted mean of the folds' values. Its variance
    adds two parts. The sampling error of the held-out rows comes from the
    per-row terms (the delta method: they are the first-order expansion of
    the read-out), on thousands of rows, so it is known well. The training
    noise of the critics (each trained on other rows from another seed) shows
    only in how far the folds' values spread beyond what their rows' sampling
    error explains: that excess, over K, is the second part. It rests on
    K - 1 degrees of freedom, so the quantile is Student's at the
    Welch-Satterthwaite degrees of freedom of the sum: K - 1 when the
    critics' noise dominates, the normal quantile when the sampling error
    does. With one fold it is the delta method.

    Parameters
    ----------
    values : sequence of float
        Each fold's read-out.
    terms : sequence of tensors or arrays
        Each fold's per-row terms (their mean is close to the fold's value).
    name : str
        What is read, for the error message.

    Returns
    -------
    mi : float
    (low, high) : tuple of float
    values : ndarray of shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi._stats import interval
    >>> rng = np.random.default_rng(0)
    >>> terms = [1.0 + rng.standard_normal(10_000) for _ in range(3)]
    >>> mi, (low, high), _ = interval([t.mean() for t in terms], terms)
    >>> round(mi, 2), round(high - low, 3)  # 2 x 1.96 / sqrt(30,000) = 0.023
    (1.0, 0.023)
    """
    values = np.asarray([float(v) for v in values])
    if not np.all(np.isfinite(values)):
        bad = values[~np.isfinite(values)][0]
        raise ValueError(
            f"the {name} read-out is not finite ({bad}); the critic "
            "diverged: try a smaller learning_rate_init or another bound"
        )
    terms = [np.asarray(t, dtype=np.float64).reshape(-1) for t in terms]
    sizes = np.array([len(t) for t in terms])
    n, k = int(sizes.sum()), len(values)
    mi = float(values @ sizes / n)
    squares = np.array([float(((t - t.mean()) ** 2).sum()) for t in terms])
    sampling = float(squares.sum()) / max(n - k, 1) / n
    half = Z95 * math.sqrt(sampling)
    if k > 1:
        per_fold = squares / np.maximum(sizes - 1, 1) / sizes
        spread = float(np.var(values, ddof=1))
        # The folds' spread beyond what their own rows' sampling explains.
        noise = max(0.0, spread - float(np.mean(per_fold)))
        half = half_width(sampling, noise, spread, k)
    return mi, (mi - half, mi + half), values


def long_run_variance(terms):
    r"""The variance of the mean of autocorrelated ``terms``, times their number.

    For independent terms it is their variance. Terms read from a time series
    are correlated with their neighbours, and the variance of their mean is
    then :math:`\gamma_0 + 2 \sum_k \gamma_k`; the Newey-West estimate
    weights the autocovariances :math:`\gamma_k` by the Bartlett kernel
    ``1 - k / (L + 1)`` up to ``L = floor(4 (n / 100)^(2/9))``, which keeps
    it positive.

    Parameters
    ----------
    terms : array-like of shape (n,)
        Per-row terms in time order.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi._stats import long_run_variance
    >>> rng = np.random.default_rng(0)
    >>> e = rng.standard_normal(100_000)
    >>> round(long_run_variance(e), 1)  # independent: the variance
    1.0
    >>> # 2 + 2 x 1 at lag 1 is 4; the Bartlett weight there (L = 18) is 18/19
    >>> round(long_run_variance(e[1:] + e[:-1]), 1)
    3.9
    """
    u = np.asarray(terms, dtype=np.float64)
    u = u - u.mean()
    n = len(u)
    lags = min(n - 1, int(4 * (n / 100) ** (2 / 9)))
    value = float(u @ u) / n
    for k in range(1, lags + 1):
        value += 2 * (1 - k / (lags + 1)) * float(u[k:] @ u[:-k]) / n
    return max(value, 0.0)


def half_width(sampling, noise, spread, k):
    """The 95% half-width of a mean of ``k`` critics' read-outs.

    Parameters
    ----------
    sampling : float
        The variance of the mean from the rows' sampling (well known: it
        rests on thousands of rows).
    noise : float
        One critic's training-noise variance, read from ``spread``.
    spread : float
        The critics' sample variance, on ``k - 1`` degrees of freedom.
    k : int
        Critics.

    Returns
    -------
    float
        Student's quantile at the Welch-Satterthwaite degrees of freedom of
        ``sampling + noise / k`` (only the spread is uncertain) times its
        square root: ``k - 1`` degrees of freedom when the noise dominates,
        the normal quantile when the sampling does.
    """
    total = sampling + noise / k
    if k == 1:
        return Z95 * math.sqrt(total)
    df = math.inf if spread <= 0 else (k - 1) * (total * k / spread) ** 2
    return float(student_t.ppf(0.975, max(df, k - 1))) * math.sqrt(total)
