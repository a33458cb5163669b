"""Warnings and errors that sknmi raises, to catch or filter by class.

Examples
--------
>>> import warnings
>>> from sknmi.exceptions import DegenerateDependenceWarning
>>> warnings.simplefilter("error", DegenerateDependenceWarning)  # make it an error
>>> warnings.resetwarnings()
"""

__all__ = ["DegenerateDependenceWarning", "DivergenceError"]


class DivergenceError(ValueError):
    """Training blew up before any state worth keeping.

    Raised when the first epoch already gives NaN, infinity or an impossible
    value: there is no trained state to fall back on. A smaller
    ``learning_rate_init`` or another bound usually helps. A ``ValueError``,
    so code that catches bad input catches this too.

    Examples
    --------
    >>> from sknmi.exceptions import DivergenceError
    >>> issubclass(DivergenceError, ValueError)
    True
    """


class DegenerateDependenceWarning(UserWarning):
    """X and Z are related exactly (up to rounding): their MI is infinite.

    Raised by :class:`~sknmi.KSGEstimator`, :class:`~sknmi.GaussianMIEstimator`
    and :class:`~sknmi.NeuralMIEstimator` when a canonical correlation of X and
    Z is within rounding of 1, for instance when a column of Z is a copy or an
    affine function of a column of X. The baselines then report ``mi_ = inf``;
    the neural estimator still trains, but its finite number only says how far
    training got. If the variables are really
    discrete, pass Z as 1-D integer labels (MI with a label is finite).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sknmi import DegenerateDependenceWarning, KSGEstimator
    >>> X = np.random.default_rng(0).standard_normal((100, 2))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     mi = KSGEstimator(random_state=0).fit(X, 2 * X[:, 0] + 1).mi_
    >>> mi, caught[0].category is DegenerateDependenceWarning
    (inf, True)
    """
