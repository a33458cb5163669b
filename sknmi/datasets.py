"""Data sets whose mutual information is known."""

import math
from numbers import Integral, Real

from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = ["make_gaussian"]

_TRANSFORMS = {
    "cubic": lambda z: z**3,
}


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
def make_gaussian(n_samples=1000, n_features=1, mi=1.0, transform=None, random_state=None):
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
        The mutual information in nats.
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
    rng = check_random_state(random_state)
    rho = math.sqrt(-math.expm1(-2.0 * mi / n_features))
    X = rng.standard_normal((n_samples, n_features))
    Z = rho * X + math.sqrt(1.0 - rho**2) * rng.standard_normal((n_samples, n_features))
    if transform is not None:
        Z = _TRANSFORMS[transform](Z) if isinstance(transform, str) else transform(Z)
    return X, Z, float(mi)
