"""Closed-form information measures of Gaussians (numpy only, no torch).

Re-exported by :mod:`sknmi.metrics`; :mod:`sknmi.datasets` reads them from
here so that making a data set does not import torch.
"""

import numpy as np
from numpy.typing import ArrayLike

# Log-determinant differences below this many nats are rounding noise.
_ROUNDING = 1e-12

__all__ = ["gaussian_cmi", "gaussian_kl", "gaussian_mi", "var_covariance"]


def _logdet(cov, what):
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        raise ValueError(f"{what} must be positive definite")
    return logdet


def _check_cov(cov, name):
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{name} contains NaN or inf")
    if not np.allclose(cov, cov.T):
        raise ValueError(f"{name} must be symmetric")
    return cov


def gaussian_mi(cov: ArrayLike, n_x: int) -> float:
    r"""Mutual information between the two blocks of a Gaussian vector, in nats.

    For ``(X, Z) ~ N(mu, Sigma)`` with X the first ``n_x`` coordinates,

    .. math:: I(X; Z) = \frac{1}{2} \log
              \frac{|\Sigma_{XX}|\,|\Sigma_{ZZ}|}{|\Sigma|}.

    Parameters
    ----------
    cov : array-like of shape (d, d)
        Covariance of the joint vector, positive definite.
    n_x : int
        Number of leading coordinates that form X (0 < n_x < d).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi.metrics import gaussian_mi
    >>> rho = 0.5
    >>> round(gaussian_mi([[1, rho], [rho, 1]], n_x=1), 6)  # -log(1 - rho^2) / 2
    0.143841
    """
    cov = _check_cov(cov, "cov")
    d = cov.shape[0]
    if not 0 < n_x < d:
        raise ValueError(f"n_x must satisfy 0 < n_x < {d}, got {n_x}")
    joint = _logdet(cov, "cov")
    x = _logdet(cov[:n_x, :n_x], "the X block of cov")
    z = _logdet(cov[n_x:, n_x:], "the Z block of cov")
    return float(0.5 * (x + z - joint))


def gaussian_kl(
    mean1: ArrayLike, cov1: ArrayLike, mean2: ArrayLike, cov2: ArrayLike
) -> float:
    r"""KL divergence ``KL(N(mean1, cov1) || N(mean2, cov2))`` in nats.

    .. math:: \frac{1}{2}\Big[\log\frac{|\Sigma_2|}{|\Sigma_1|} - n
              + \operatorname{tr}(\Sigma_2^{-1}\Sigma_1)
              + (\mu_2 - \mu_1)^\top \Sigma_2^{-1} (\mu_2 - \mu_1)\Big]

    Parameters
    ----------
    mean1, mean2 : array-like of shape (n,)
        Means.
    cov1, cov2 : array-like of shape (n, n)
        Covariances, positive definite.

    Returns
    -------
    float

    Examples
    --------
    >>> from sknmi.metrics import gaussian_kl
    >>> gaussian_kl([0.0], [[1.0]], [1.0], [[1.0]])
    0.5
    """
    mean1 = np.atleast_1d(np.asarray(mean1, dtype=np.float64))
    mean2 = np.atleast_1d(np.asarray(mean2, dtype=np.float64))
    cov1 = _check_cov(cov1, "cov1")
    cov2 = _check_cov(cov2, "cov2")
    n = mean1.shape[0]
    if mean2.shape != (n,) or cov1.shape != (n, n) or cov2.shape != (n, n):
        raise ValueError("mean1, cov1, mean2 and cov2 must have matching dimensions")
    diff = mean2 - mean1
    solve = np.linalg.solve(cov2, np.column_stack([cov1, diff]))
    trace = np.trace(solve[:, :n])
    quad = diff @ solve[:, n]
    return float(
        0.5 * (_logdet(cov2, "cov2") - _logdet(cov1, "cov1") - n + trace + quad)
    )


def gaussian_cmi(cov, x, z, w):
    r"""I(X; Z | W) of a Gaussian vector with covariance ``cov``, in nats.

    .. math:: I(X; Z \mid W) = \frac{1}{2}\log
              \frac{|\Sigma_{XW}|\,|\Sigma_{ZW}|}{|\Sigma_W|\,|\Sigma_{XZW}|}

    Parameters
    ----------
    cov : array-like of shape (d, d)
        Covariance of the joint vector, positive definite on the indices used.
    x, z, w : sequence of int
        Indices of X, Z and W (W may be empty: then the plain I(X; Z)).

    Returns
    -------
    float
        0 below 1e-12 nats: rounding makes an exact 0 a few ulps either side.

    Examples
    --------
    >>> from sknmi._closed_form import gaussian_cmi
    >>> cov = [[1.0, 0.5, 0.5], [0.5, 1.0, 0.25], [0.5, 0.25, 1.0]]
    >>> round(gaussian_cmi(cov, [1], [2], [0]), 12)  # 1 -> 0 -> 2: a chain
    0.0
    """
    cov = np.asarray(cov, dtype=np.float64)

    def logdet(rows):
        rows = np.asarray(rows, dtype=int)
        if rows.size == 0:
            return 0.0
        return _logdet(cov[np.ix_(rows, rows)], "the covariance")

    x, z, w = list(x), list(z), list(w)
    value = 0.5 * (logdet(x + w) + logdet(z + w) - logdet(w) - logdet(x + z + w))
    # An exact 0 (a chain, an uncoupled direction) comes out as rounding noise.
    return float(value) if value > _ROUNDING else 0.0


def var_covariance(transition, noise_cov, n_lags):
    r"""Covariance of a stationary VAR(1) state at ``n_lags + 1`` successive times.

    For :math:`s_t = A s_{t-1} + \varepsilon_t` with
    :math:`\varepsilon_t \sim N(0, Q)` and the eigenvalues of :math:`A`
    inside the unit circle, the stationary covariance solves the Lyapunov
    equation :math:`\Sigma = A \Sigma A^\top + Q`, and
    :math:`\operatorname{Cov}(s_{t}, s_{t-k}) = A^k \Sigma`.

    Parameters
    ----------
    transition : array-like of shape (d, d)
        :math:`A`.
    noise_cov : array-like of shape (d, d)
        :math:`Q`.
    n_lags : int
        How far back the stacked vector reaches.

    Returns
    -------
    ndarray of shape ((n_lags + 1) d, (n_lags + 1) d)
        The covariance of :math:`(s_t, s_{t-1}, \dots, s_{t-n_{lags}})`:
        coordinate ``j`` of :math:`s_{t-k}` is index ``k d + j``.

    Examples
    --------
    >>> from sknmi._closed_form import var_covariance
    >>> var_covariance([[0.5]], [[1.0]], 1)  # AR(1): variance 1 / (1 - 0.25)
    array([[1.33333333, 0.66666667],
           [0.66666667, 1.33333333]])
    """
    A = np.atleast_2d(np.asarray(transition, dtype=np.float64))
    Q = _check_cov(noise_cov, "noise_cov")
    d = A.shape[0]
    if A.shape != (d, d) or Q.shape != (d, d):
        raise ValueError("transition and noise_cov must be square of the same size")
    if np.max(np.abs(np.linalg.eigvals(A))) >= 1.0:
        raise ValueError("the VAR is not stationary: an eigenvalue of A is >= 1")
    # vec(Sigma) = (I - A kron A)^-1 vec(Q): a d^2 system, small for a few series.
    sigma = np.linalg.solve(np.eye(d * d) - np.kron(A, A), Q.reshape(-1)).reshape(d, d)
    sigma = 0.5 * (sigma + sigma.T)
    powers = [np.eye(d)]
    for _ in range(n_lags):
        powers.append(A @ powers[-1])
    m = n_lags + 1
    out = np.empty((m * d, m * d))
    for i in range(m):
        for j in range(m):
            # Cov(s_{t-i}, s_{t-j}) = A^(j-i) Sigma for j >= i, its transpose else.
            block = powers[j - i] @ sigma if j >= i else (powers[i - j] @ sigma).T
            out[i * d : (i + 1) * d, j * d : (j + 1) * d] = block
    return out
