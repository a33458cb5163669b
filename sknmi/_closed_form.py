"""Closed-form information measures of Gaussians (numpy only, no torch).

Re-exported by :mod:`sknmi.metrics`; :mod:`sknmi.datasets` reads them from
here so that making a data set does not import torch.
"""

import numpy as np

__all__ = ["gaussian_kl", "gaussian_mi"]


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


def gaussian_mi(cov, n_x):
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


def gaussian_kl(mean1, cov1, mean2, cov2):
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
