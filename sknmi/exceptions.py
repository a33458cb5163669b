"""Warnings and errors that sknmi raises, to catch or filter by class.

Examples
--------
>>> import warnings
>>> from sknmi.exceptions import UnboundedMIWarning
>>> warnings.simplefilter("error", UnboundedMIWarning)  # make it an error
>>> warnings.resetwarnings()
"""

__all__ = ["DivergenceError", "UnboundedMIWarning"]


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


class UnboundedMIWarning(UserWarning):
    """The data make the mutual information unbounded.

    Issued when a column of Z is (up to rounding) a linear function of the
    columns of X, e.g. a duplicated column: for continuous variables the MI is
    then infinite, and any finite estimate only measures the estimator.

    Examples
    --------
    >>> from sknmi.exceptions import UnboundedMIWarning
    >>> issubclass(UnboundedMIWarning, UserWarning)
    True
    """
