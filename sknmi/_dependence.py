"""Linear dependence between X and Z: canonical correlations, scale-free.

One place for the check that a combination of Z's columns is an exact
(affine) function of X's columns, for which the mutual information of
continuous variables is infinite: the baselines return ``inf`` and the neural
estimator warns. Numpy only.
"""

import warnings

import numpy as np

from sknmi.exceptions import DegenerateDependenceWarning

_EPS = np.finfo(np.float64).eps
#: A canonical correlation this close to 1 is an exact linear relation up to
#: rounding.
DETERMINISTIC = 1e-10
#: Rows (at most, about) on which the checks of dependence run: an exact
#: linear relation shows on any subset, and a strided one keeps the check's
#: memory small next to the data.
DEPENDENCE_ROWS = 50_000


def centre(A, mean=False):
    """A float64 copy of A, each column centred; constant columns set to 0.

    The median centres (the mean too, after it, when ``mean``): no sum of raw
    values, so no overflow. A column is constant when its values span at most
    about four units in the last place of its largest magnitude -- a relative
    test, so spreads of 1e-13 around 0, or of 1 around 1e12, are data.
    """
    A = np.array(A, dtype=np.float64)  # a copy: the input is never modified
    lo, hi = A.min(0), A.max(0)
    constant = hi / 2 - lo / 2 <= 2 * _EPS * np.maximum(-lo, hi)
    A -= np.median(A, 0)
    if mean:
        A -= A.mean(0)
    A[:, constant] = 0.0
    return A


def peak(C):
    """The largest magnitude of each column, 1 for an all-zero column."""
    top = np.abs(C).max(0)
    return np.where(top > 0, top, 1.0)


def orthonormal_basis(A):
    """Orthonormal basis of the centred columns of A, dropping null directions.

    Each centred column is divided by its largest magnitude first: the span is
    the same, nothing overflows, and the rank tolerance is relative to each
    column rather than to the widest one.
    """
    A = centre(A, mean=True)
    A /= peak(A)
    u, s, _ = np.linalg.svd(A, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return u[:, :0]
    tol = s[0] * max(A.shape) * _EPS
    return u[:, s > tol]


def check_rows(who, n, dx, dz):
    """Raise a ValueError unless n rows exceed the ranks ``dx + dz`` of X and Z.

    The centred rows span ``n - 1`` dimensions: when the ranks of X and Z
    together exceed that, the column spaces of X and Z meet whatever the data,
    a canonical correlation is 1 for independent variables too, and no
    estimate of the MI from those rows means anything.
    """
    if n <= dx + dz:
        raise ValueError(
            f"{who} needs more rows than the ranks of X and Z together "
            f"({dx} + {dz}), got {n}: with that many columns any X and Z are "
            f"linearly related in the sample; add rows or reduce the columns "
            f"(e.g. with PCA) first"
        )


def canonical_correlations(X, Z, who=None):
    """Sample canonical correlations of X and Z, in decreasing order.

    With ``who`` (the caller's name), refuse data with too few rows for the
    ranks of X and Z (see :func:`check_rows`), where a canonical correlation
    of 1 would be no evidence of dependence.
    """
    ux, uz = orthonormal_basis(X), orthonormal_basis(Z)
    if ux.shape[1] == 0 or uz.shape[1] == 0:
        return np.zeros(0)
    if who is not None:
        check_rows(who, X.shape[0], ux.shape[1], uz.shape[1])
    return np.clip(np.linalg.svd(ux.T @ uz, compute_uv=False), 0.0, 1.0)


def is_deterministic(r, tol=DETERMINISTIC):
    """Whether canonical correlations ``r`` hold an exact linear relation."""
    return bool(r.size) and bool(r.max() >= 1.0 - tol)


def warn_degenerate(who, r, consequence, stacklevel):
    """Warn that X and Z are linearly dependent, so that their MI is infinite."""
    warnings.warn(
        f"{who}: X and Z are linearly dependent (largest canonical correlation "
        f"{float(r.max()):.12f}), e.g. a column of Z copies a column of X: the MI "
        f"of continuous variables is then infinite; {consequence}",
        DegenerateDependenceWarning,
        stacklevel=stacklevel + 1,
    )


def warn_if_exactly_dependent(who, X, Z, classes, consequence, stacklevel):
    """Warn (see :func:`warn_degenerate`) when continuous X and Z are exactly
    linearly dependent, on at most about :data:`DEPENDENCE_ROWS` rows.

    With more columns than rows a canonical correlation of 1 is no evidence
    (any X and Z meet in the sample); class labels (``classes`` not None)
    have no linear relation to speak of.
    """
    step = slice(None, None, max(1, X.shape[0] // DEPENDENCE_ROWS))
    wide = X[step].shape[0] <= X.shape[1] + Z.shape[1]
    if classes is not None or wide:
        return
    r = canonical_correlations(X[step], Z[step])
    if is_deterministic(r):
        warn_degenerate(who, r, consequence, stacklevel=stacklevel + 1)
