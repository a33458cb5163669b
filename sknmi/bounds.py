"""Variational bounds on mutual information, as pure functions of critic scores.

Every function takes the scores of a critic ``T(x, z)``:

``joint``
    1-D tensor of shape ``(n,)``: ``T(x_i, z_i)`` on pairs drawn from the joint
    distribution p(x, z).
``marginal``
    tensor of scores on pairs drawn from the product of the marginals
    p(x) p(z). Any shape works for the bounds that average over all negative
    pairs (DV, NWJ, JSD, SMILE); :func:`infonce` needs the 2-D form
    ``(n, k)`` where row ``i`` holds the negatives contrasted with positive
    ``i``. Entries equal to ``-inf`` are *masked*: they are left out of every
    sum and of every count, so the all-pairs score matrix of a separable
    critic is passed with ``-inf`` on its diagonal (see :func:`split_scores`)
    and a positive pair is never counted among the negatives.

All values are in nats. Log-mean-exp is computed as ``logsumexp - log(count)``,
never as ``log(mean(exp(.)))``, which overflows. This module imports nothing
from scikit-learn: use it in your own training loops.

Examples
--------
>>> import torch
>>> from sknmi.bounds import dv, infonce, split_scores
>>> scores = torch.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]])
>>> joint, marginal = split_scores(scores)
>>> round(float(dv(joint, marginal)), 4)
2.0
>>> round(float(infonce(joint, marginal)), 4)
0.8591
"""

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F

# A sampler, not a bound; importable from here as before.
from sknmi.nn.pairs import derangement

__all__ = [
    "BOUNDS",
    "Bound",
    "calibrated_log_ratio",
    "calibration_slope",
    "derangement",
    "dv",
    "infonce",
    "jsd",
    "jsd_of_matrix",
    "log_mean_exp",
    "log_ratio",
    "MovingAverageDV",
    "nwj",
    "resolve_bound",
    "smile",
    "split_scores",
]


def _unmasked(t):
    return t != -math.inf


def _check_reduction(reduction):
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def _reduce(terms, reduction):
    _check_reduction(reduction)
    return terms.mean() if reduction == "mean" else terms


def _rows(joint, marginal):
    """``marginal`` as one row of negatives per positive, for per-row terms
    (leading axes, where ``joint`` has them, are critics)."""
    if marginal.ndim == joint.ndim:
        marginal = marginal[..., None]
    if marginal.ndim != joint.ndim + 1 or marginal.shape[:-1] != joint.shape:
        raise ValueError(
            "per-row terms (reduction='none') need marginal of shape (n, k), one "
            f"row per positive; got {tuple(marginal.shape)} for {joint.shape[0]}"
        )
    return marginal


def _dv_terms(joint, marginal):
    # The influence terms of DV = mean(a) - log mean(b): their mean is the
    # bound and their variance its delta-method variance (rows with the same
    # number of negatives).
    marginal = _rows(joint, marginal)
    total = log_mean_exp(marginal)
    ratio = torch.exp(log_mean_exp(marginal, dim=1) - total)
    return joint - ratio + 1.0 - total


def log_mean_exp(t: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    r"""Log of the mean of ``exp(t)``, computed stably, ignoring ``-inf`` entries.

    .. math:: \log \frac{1}{m} \sum_{j} e^{t_j} = \operatorname{logsumexp}(t) - \log m

    where ``m`` counts the entries that are not ``-inf`` (masked entries add
    ``exp(-inf) = 0`` to the sum and are not counted).

    Parameters
    ----------
    t : torch.Tensor
        Values.
    dim : int, default=None
        Dimension to reduce; ``None`` reduces over all entries.

    Returns
    -------
    torch.Tensor
        The log-mean-exp, a scalar when ``dim`` is None.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import log_mean_exp
    >>> round(float(log_mean_exp(torch.tensor([0.0, 0.0, -float("inf")]))), 4)
    0.0
    """
    if dim is None:
        t = t.reshape(-1)
        dim = 0
    count = _unmasked(t).sum(dim).to(t.dtype)
    return torch.logsumexp(t, dim) - torch.log(count)


def split_scores(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split an all-pairs score matrix into positive and negative scores.

    Parameters
    ----------
    scores : torch.Tensor of shape (n, n)
        ``scores[i, j] = T(x_i, z_j)``; the diagonal holds the positive pairs.

    Returns
    -------
    joint : torch.Tensor of shape (n,)
        The diagonal.
    marginal : torch.Tensor of shape (n, n)
        ``scores`` with ``-inf`` on the diagonal, so that no bound counts a
        positive pair among the negatives.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import split_scores
    >>> joint, marginal = split_scores(torch.arange(4.0).reshape(2, 2))
    >>> joint
    tensor([0., 3.])
    >>> marginal
    tensor([[-inf, 1.], [2., -inf]])
    """
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(
            f"scores must be a square matrix, got shape {tuple(scores.shape)}"
        )
    marginal = scores.clone()
    marginal.diagonal().fill_(-math.inf)
    return scores.diagonal(), marginal


def dv(
    joint: torch.Tensor, marginal: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    r"""Donsker–Varadhan lower bound on mutual information (nats).

    .. math:: I_{DV} = \mathbb{E}_{p(x,z)}[T] - \log \mathbb{E}_{p(x)p(z)}[e^{T}]

    A lower bound on I(X; Z) for every critic; tight at
    ``T = log p(x, z) / (p(x) p(z)) + c``. The plug-in estimate of the second
    term is biased upwards on small samples, and its variance grows like
    ``e^{I} / n`` (Belghazi et al., 2018; Poole et al., 2019).

    Parameters
    ----------
    joint : torch.Tensor of shape (n,)
        Scores on joint pairs.
    marginal : torch.Tensor
        Scores on product-of-marginal pairs; ``-inf`` entries are masked.
    reduction : {"mean", "none"}, default="mean"
        "none" returns the per-row terms ``a_i - b_i / mean(b) + 1 - log mean(b)``
        with ``a_i`` the joint score and ``b_i`` the mean of ``e^T`` over row
        ``i``'s negatives (``marginal`` of shape ``(n, k)``): their mean is the
        bound and their variance its first-order (delta-method) variance.

    Returns
    -------
    torch.Tensor
        Scalar, or shape ``(n,)`` with ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import dv
    >>> float(dv(torch.tensor([1.0, 1.0]), torch.tensor([0.0, 0.0])))
    1.0
    """
    if reduction == "none":
        return _dv_terms(joint, marginal)
    _check_reduction(reduction)
    return joint.mean() - log_mean_exp(marginal)


def nwj(
    joint: torch.Tensor, marginal: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    r"""Nguyen–Wainwright–Jordan (NWJ, "MINE-f", f-divergence) lower bound (nats).

    .. math:: I_{NWJ} = \mathbb{E}_{p(x,z)}[T] - e^{-1}\,\mathbb{E}_{p(x)p(z)}[e^{T}]

    A lower bound on I(X; Z) for every critic, tight at
    ``T = 1 + log p(x, z) / (p(x) p(z))``. Unbiased in its minibatch estimate
    but its variance grows like ``e^{I}`` (Nguyen et al., 2010; Poole et al.,
    2019).

    Parameters
    ----------
    joint : torch.Tensor of shape (n,)
        Scores on joint pairs.
    marginal : torch.Tensor
        Scores on product-of-marginal pairs; ``-inf`` entries are masked.
    reduction : {"mean", "none"}, default="mean"
        "none" returns the per-row terms ``T_ii - e^{-1} mean_j e^{T_ij}``
        (``marginal`` of shape ``(n, k)``), whose mean is the bound.

    Returns
    -------
    torch.Tensor
        Scalar, or shape ``(n,)`` with ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import nwj
    >>> float(nwj(torch.tensor([1.0, 1.0]), torch.tensor([1.0, 1.0])))
    0.0
    """
    if reduction == "none":
        return joint - torch.exp(log_mean_exp(_rows(joint, marginal), dim=1) - 1.0)
    _check_reduction(reduction)
    return joint.mean() - torch.exp(log_mean_exp(marginal) - 1.0)


def jsd(
    joint: torch.Tensor, marginal: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    r"""Jensen–Shannon objective of f-GAN and Deep InfoMax (nats, **not** MI).

    .. math:: J = \mathbb{E}_{p(x,z)}[-\operatorname{sp}(-T)]
                 - \mathbb{E}_{p(x)p(z)}[\operatorname{sp}(T)]

    with ``sp`` the softplus. Its supremum is ``2 JS(p(x,z) || p(x)p(z)) - log 4``,
    which is not the mutual information: it is the negated logistic loss of a
    classifier of joint against product pairs (balanced classes), whose optimal
    logit is ``T = log p(x, z) / (p(x) p(z))``. Read the MI of a critic trained
    on it with :func:`dv` or :func:`log_ratio`.

    Parameters
    ----------
    joint : torch.Tensor of shape (n,)
        Scores on joint pairs.
    marginal : torch.Tensor
        Scores on product-of-marginal pairs; ``-inf`` entries are masked.
    reduction : {"mean", "none"}, default="mean"
        "none" returns the per-row terms ``-sp(-T_ii) - mean_j sp(T_ij)``
        (``marginal`` of shape ``(n, k)``), whose mean is the objective.

    Returns
    -------
    torch.Tensor
        Scalar, at most 0, or shape ``(n,)`` with ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import jsd
    >>> round(float(jsd(torch.zeros(2), torch.zeros(2))), 4)  # -log 4
    -1.3863
    """
    # softplus(-inf) = 0: masked entries add nothing to the sum, only the count
    # must leave them out.
    if reduction == "none":
        marginal = _rows(joint, marginal)
        count = _unmasked(marginal).sum(1).to(marginal.dtype)
        return -F.softplus(-joint) - F.softplus(marginal).sum(1) / count
    _check_reduction(reduction)
    count = _unmasked(marginal).sum().to(marginal.dtype)
    return -F.softplus(-joint).mean() - F.softplus(marginal).sum() / count


def jsd_of_matrix(scores: torch.Tensor) -> torch.Tensor:
    r""":func:`jsd` of an all-pairs score matrix, without masking it.

    ``scores[..., i, j] = T(x_i, z_j)``: the diagonal holds the positives and
    every other entry is a negative, as :func:`split_scores` would split
    them. The negatives' softplus is summed over the whole matrix and the
    diagonal's taken away, which spares the masked copy and its count: the
    same value as ``jsd(*split_scores(scores))``, for leading batch dimensions
    too (one value per matrix).

    Parameters
    ----------
    scores : torch.Tensor of shape (..., n, n)
        All-pairs scores, ``n >= 2``.

    Returns
    -------
    torch.Tensor of shape ``scores.shape[:-2]``

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import jsd, jsd_of_matrix, split_scores
    >>> s = torch.randn(5, 5)
    >>> torch.allclose(jsd_of_matrix(s), jsd(*split_scores(s)))
    True
    """
    n = scores.shape[-1]
    diagonal = scores.diagonal(dim1=-2, dim2=-1)
    negatives = F.softplus(scores).sum((-2, -1)) - F.softplus(diagonal).sum(-1)
    return -F.softplus(-diagonal).mean(-1) - negatives / (n * (n - 1))


def infonce(
    joint: torch.Tensor, marginal: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    r"""InfoNCE (contrastive predictive coding) lower bound (nats).

    .. math:: I_{NCE} = \frac{1}{n}\sum_i \left[T_{ii} - \log \frac{1}{k_i + 1}
              \Big(e^{T_{ii}} + \sum_{j} e^{T_{ij}}\Big)\right]

    where row ``i`` contrasts positive ``T_ii`` with its ``k_i`` negatives
    ``T_ij`` (unmasked entries of ``marginal[i]``). A lower bound on I(X; Z)
    with low variance, but never above ``log(k + 1)``, the log of the number of
    candidates (van den Oord et al., 2018; Poole et al., 2019).

    Parameters
    ----------
    joint : torch.Tensor of shape (n,)
        Scores on joint pairs.
    marginal : torch.Tensor of shape (n, k)
        Row ``i`` holds the negatives of positive ``i``; ``-inf`` entries are
        masked (the all-pairs matrix of :func:`split_scores` fits as it is).
    reduction : {"mean", "none"}, default="mean"
        "none" returns the ``n`` terms of the sum.

    Returns
    -------
    torch.Tensor
        Scalar, or shape ``(n,)`` with ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import infonce
    >>> x = infonce(torch.full((4,), 50.0), torch.zeros(4, 3))
    >>> round(float(x), 4)  # log(4): the ceiling with 4 candidates
    1.3863
    """
    if marginal.ndim != 2 or marginal.shape[0] != joint.shape[0]:
        raise ValueError(
            "infonce needs marginal of shape (n, k) with one row per positive, got "
            f"{tuple(marginal.shape)} for {joint.shape[0]} positives"
        )
    candidates = torch.cat([joint[:, None], marginal], dim=1)
    count = _unmasked(candidates).sum(1).to(joint.dtype)
    terms = joint - torch.logsumexp(candidates, dim=1) + torch.log(count)
    return _reduce(terms, reduction)


def smile(
    joint: torch.Tensor,
    marginal: torch.Tensor,
    clip: float = 5.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""SMILE: Donsker–Varadhan with a clipped partition term (nats).

    .. math:: I_{SMILE} = \mathbb{E}_{p(x,z)}[T]
              - \log \mathbb{E}_{p(x)p(z)}[e^{\operatorname{clip}(T, -\tau, \tau)}]

    Clipping bounds the variance of the partition term by ``e^{2\tau}``
    at the price of a bias; ``clip=inf`` recovers :func:`dv` (Song & Ermon,
    ICLR 2020).

    Parameters
    ----------
    joint : torch.Tensor of shape (n,)
        Scores on joint pairs.
    marginal : torch.Tensor
        Scores on product-of-marginal pairs; ``-inf`` entries are masked.
    clip : float, default=5.0
        The clipping threshold tau > 0.
    reduction : {"mean", "none"}, default="mean"
        "none" returns the per-row terms of :func:`dv` on the clipped
        negatives.

    Returns
    -------
    torch.Tensor
        Scalar, or shape ``(n,)`` with ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import smile
    >>> float(smile(torch.tensor([9.0]), torch.tensor([9.0]), clip=5.0))
    4.0
    """
    clipped = torch.where(_unmasked(marginal), marginal.clamp(-clip, clip), marginal)
    return dv(joint, clipped, reduction=reduction)


def log_ratio(
    joint: torch.Tensor, marginal: torch.Tensor | None = None, reduction: str = "mean"
) -> torch.Tensor:
    r"""Mean log density ratio of a discriminative critic (nats, an estimate).

    .. math:: \hat I = \mathbb{E}_{p(x,z)}[T]

    If ``T`` is the logit of a classifier of joint against product pairs
    trained with balanced classes (for instance by maximising :func:`jsd`), its
    optimum is ``T = log p(x, z) / (p(x) p(z))`` and the mean over joint pairs
    is the mutual information. Not a bound: it may land on either side of the
    truth, but it has no ``log n`` ceiling and no ``e^I`` variance (the
    discriminative estimators DEMI and GAN-DIME).

    Parameters
    ----------
    joint : torch.Tensor of shape (n,)
        Scores on joint pairs.
    marginal : torch.Tensor, default=None
        Unused; accepted so that every read-out takes the same arguments.
    reduction : {"mean", "none"}, default="mean"
        "none" returns ``joint`` itself.

    Returns
    -------
    torch.Tensor
        Scalar, or shape ``(n,)`` with ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import log_ratio
    >>> float(log_ratio(torch.tensor([1.0, 3.0])))
    2.0
    """
    return _reduce(joint, reduction)


# Rows x negatives of a read-out's scores put through the calibration at once:
# float64 copies of every negative and their products would be several times
# the float32 scores, the largest allocation of a read-out.
_BLOCK_ENTRIES = 2**16


def _block_rows(k):
    # A multiple of 64 rows: every block starts on the same vector lane as in
    # the whole matrix, so the vectorised sigmoid rounds each entry the same.
    return max(64, _BLOCK_ENTRIES // max(k, 1) // 64 * 64)


def _shift_slope(joint, marginal, count, c):
    """Row terms ``g_i(c)`` of the JSD's derivative in the shift and its slope.

    Leading axes are critics, each with its own shift: ``joint`` of shape
    ``(..., n)``, ``marginal`` ``(..., n, k)``, ``c`` ``(...)``.
    """
    shift = c.to(marginal.dtype)[..., None, None]
    positive = torch.sigmoid(-joint - c[..., None])
    # Each row's sums need only its own negatives: a block of rows at a time,
    # the sigmoids never take a copy of the whole matrix.
    n, k = marginal.shape[-2:]
    sums = torch.empty(
        2, *marginal.shape[:-1], dtype=marginal.dtype, device=marginal.device
    )
    step = _block_rows(k * max(1, marginal[..., 0, 0].numel()))
    for start in range(0, n, step):
        rows = slice(start, start + step)
        negative = torch.sigmoid(marginal[..., rows, :] + shift)
        sums[0, ..., rows] = negative.sum(-1)
        sums[1, ..., rows] = torch.einsum("...ij,...ij->...i", negative, negative)
    first = sums[0].double() / count
    second = sums[1].double() / count
    # H = mean sigmoid' over positives and negatives; sigmoid' = s - s^2.
    slope = (positive * (1 - positive)).mean(-1) + (first - second).mean(-1)
    return positive - first, slope


def _calibration(joint, marginal, max_steps=64, check_every=8):
    """The shift ``c`` that maximises the JSD of ``T + c``, and its influence terms.

    ``c`` is the root of ``g(c) = mean_i sigmoid(-T_ii - c) - mean_i mean_j
    sigmoid(T_ij + c)`` (each row's negatives averaged first), which falls
    from 1 to -1 as ``c`` grows: Newton steps, at most a few nats each and
    kept inside the bracket the signs of ``g`` have shown. The steps are
    tensor operations; the host looks at convergence only every
    ``check_every`` steps (a device stays busy). Returns ``c`` (float64, of
    shape ``joint.shape[:-1]``) and the per-row ``g_i(c) / H``, the
    first-order effect of row ``i`` on ``c`` (``H = -g'(c)``).

    Leading axes of ``joint`` (``(..., n)``) and ``marginal`` (``(..., n,
    k)``) are critics, each solved for its own ``c`` (of shape ``(...)``) in
    the same tensor operations; they all take as many steps as the slowest.
    """
    joint = joint.detach().double()
    # Masked entries stay -inf: their sigmoid is 0, so they drop out of every sum.
    marginal = _rows(joint, marginal.detach())
    count = _unmasked(marginal).sum(-1).double().clamp(min=1)
    c = torch.zeros(joint.shape[:-1], dtype=torch.float64, device=joint.device)
    low, high = c - math.inf, c + math.inf
    for step_number in range(1, max_steps + 1):
        rows, slope = _shift_slope(joint, marginal, count, c)
        g = rows.mean(-1)
        up = g > 0
        low, high = torch.where(up, c, low), torch.where(up, high, c)
        step = torch.where(slope > 0, g / slope, torch.copysign(c.new_tensor(4.0), g))
        moved = c + step.clamp(-4.0, 4.0)
        # Newton left the bracket: bisect (a converged step stays where it is).
        outside = ((moved <= low) | (moved >= high)) & (step != 0)
        bounded = torch.isfinite(low) & torch.isfinite(high)
        c = torch.where(outside & bounded, 0.5 * (low + high), moved)
        if step_number % check_every == 0:
            done = (step.abs() < 1e-8) | (high - low < 1e-8) | ~torch.isfinite(g)
            if bool(done.all()):
                break
    rows, slope = _shift_slope(joint, marginal, count, c)
    # NaN scores: no shift can help.
    finite = torch.isfinite(rows.mean(-1))
    c = torch.where(finite, c, math.nan)
    influence = torch.where(slope[..., None] > 0, rows / slope[..., None], 0.0)
    influence = torch.where(finite[..., None], influence, math.nan)
    return c, influence


def calibration_slope(
    joint: torch.Tensor, marginal: torch.Tensor, max_steps: int = 32
) -> float:
    r"""The slope ``a`` of the logistic recalibration ``a T + b`` of held-out scores.

    ``(a, b)`` maximise the Jensen–Shannon objective :func:`jsd` of
    ``a T + b`` (each row's negatives averaged first), by Newton steps. The
    optimal critic is its own recalibration: ``a = 1``. A critic that stopped
    before it learnt the dependence scores too timidly, and held-out rows ask
    for ``a > 1``; one that fits noise is too sure of itself, ``a < 1``. A
    diagnostic: the read-out itself stays :func:`calibrated_log_ratio`, since
    ``a T + b`` shrinks the noise of ``T`` and the signal alike and reads low.

    Parameters
    ----------
    joint : torch.Tensor of shape (n,)
        Held-out scores on joint pairs.
    marginal : torch.Tensor of shape (n, k)
        Held-out scores on negative pairs; ``-inf`` entries are masked.
    max_steps : int, default=32
        Newton steps at most.

    Returns
    -------
    float
        The slope; NaN when the scores are not finite, inf when they part
        the joint pairs from the negatives completely.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import calibration_slope
    >>> g = torch.Generator().manual_seed(0)
    >>> x, z = torch.randn(2000, generator=g), torch.randn(2000, 8, generator=g)
    >>> def log_ratio(x, z, r=0.8):  # a Gaussian pair's, correlation r
    ...     q = 1 - r * r
    ...     return -0.5 * torch.log(torch.tensor(q)) - (
    ...         r * r * (x * x + z * z) - 2 * r * x * z) / (2 * q)
    >>> y = 0.8 * x + 0.6 * torch.randn(2000, generator=g)
    >>> joint, marginal = log_ratio(x, y), log_ratio(x[:, None], z)
    >>> round(calibration_slope(joint, marginal), 1)
    1.0
    >>> round(calibration_slope(0.5 * joint, 0.5 * marginal), 1)  # too timid
    2.0
    """
    joint = joint.detach().double()
    marginal = _rows(joint, marginal.detach())
    mask = _unmasked(marginal)
    count = mask.sum(1).double().clamp(min=1)
    if not (torch.isfinite(joint).all() and (torch.isfinite(marginal) | ~mask).all()):
        return math.nan
    a, b = 1.0, 0.0
    for _ in range(max_steps):
        p = torch.sigmoid(-(a * joint + b))
        wp = p * (1 - p)
        q, qt, wq, wqt, wqt2 = _slope_row_sums(marginal, mask, a, b)
        grad = torch.stack(
            [
                (p * joint).mean() - (qt / count).mean(),
                p.mean() - (q / count).mean(),
            ]
        )
        h_ab = (wp * joint).mean() + (wqt / count).mean()
        hessian = torch.stack(
            [
                torch.stack([(wp * joint**2).mean() + (wqt2 / count).mean(), h_ab]),
                torch.stack([h_ab, wp.mean() + (wq / count).mean()]),
            ]
        )
        try:
            step = torch.linalg.solve(hessian, grad)
        except RuntimeError:  # separable scores: no finite optimum
            return math.inf
        # At most a doubling of the slope per step: Newton from far away
        # can overshoot on nearly separable scores.
        step = step * min(1.0, max(0.5, abs(a)) / max(float(step.abs().max()), 1e-300))
        a, b = a + float(step[0]), b + float(step[1])
        if float(step.abs().max()) < 1e-8:
            break
    return a


def _slope_row_sums(marginal, mask, a, b):
    """Per-row sums of ``q``, ``q t``, ``w``, ``w t``, ``w t^2`` over a row's
    unmasked negatives ``t`` (``q = sigmoid(a t + b)``, ``w = q (1 - q)``), in
    float64, computed a block of rows at a time: each row's sums are those of
    the whole matrix, so the means over rows are too."""
    n, k = marginal.shape
    out = torch.empty(5, n, dtype=torch.float64, device=marginal.device)
    step = _block_rows(k)
    for start in range(0, n, step):
        rows = slice(start, start + step)
        keep = mask[rows]
        t = torch.where(keep, marginal[rows].double(), 0.0)
        q = torch.where(keep, torch.sigmoid(a * t + b), 0.0)
        w = q * (1 - q)
        out[0, rows], out[1, rows] = q.sum(1), (q * t).sum(1)
        out[2, rows], out[3, rows] = w.sum(1), (w * t).sum(1)
        out[4, rows] = (w * t**2).sum(1)
    return out


def calibrated_log_ratio(
    joint: torch.Tensor,
    marginal: torch.Tensor,
    reduction: str = "mean",
    max_steps: int = 64,
) -> torch.Tensor:
    r"""Mean log density ratio of a classifier critic, its constant refitted (nats).

    .. math:: \hat I = \mathbb{E}_{p(x,z)}[T] + c, \qquad
              c = \arg\max_c \, J(T + c)

    with ``J`` the Jensen–Shannon objective :func:`jsd` on the same scores. A
    classifier's logit ``T`` is the log density ratio up to how well its
    constant is pinned, and :func:`jsd` pins it loosely: a shift moves ``J``
    to second order but the mean of ``T`` one for one, so from one epoch to
    the next the plain :func:`log_ratio` of a trained critic swings by tenths
    of a nat while ``J`` hardly moves. Refitting that one constant on the
    held-out scores (a one-parameter logistic recalibration) leaves the
    read-out to the shape of ``T``. Not a bound; ``c = 0`` for the optimal
    critic.

    Parameters
    ----------
    joint : torch.Tensor of shape (n,) or (K, n)
        Scores on joint pairs; a leading axis holds K critics, each
        calibrated on its own (their values of shape ``(K,)``, in one set of
        tensor operations).
    marginal : torch.Tensor of shape (n,), (n, k) or (K, n, k)
        Scores on product-of-marginal pairs; ``-inf`` entries are masked.
    reduction : {"mean", "none"}, default="mean"
        "none" returns the influence terms ``T_ii + c + g_i / H`` (``g_i``
        row ``i``'s share of the derivative of ``J`` in ``c``, ``H`` its
        curvature; ``marginal`` of shape ``(n, k)``): their mean is the
        read-out and their variance its delta-method variance, the
        uncertainty of ``c`` included.
    max_steps : int, default=64
        Newton steps at most for ``c`` (about five reach float64 precision
        from a trained critic; a quick per-epoch reading may take fewer).

    Returns
    -------
    torch.Tensor
        Scalar, or shape ``(n,)`` with ``reduction="none"``. The shift is
        fitted without gradient: only ``joint`` carries one.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import calibrated_log_ratio, log_ratio
    >>> joint, marginal = torch.tensor([1.5, 2.5]), torch.full((2, 3), -0.5)
    >>> round(float(calibrated_log_ratio(joint, marginal)), 4)
    1.284
    >>> round(float(calibrated_log_ratio(joint + 3, marginal + 3)), 4)  # undone
    1.284
    >>> float(log_ratio(joint + 3))  # the plain read-out takes the shift
    5.0
    """
    _check_reduction(reduction)
    shift, influence = _calibration(joint, marginal, max_steps=max_steps)
    if reduction == "none":
        return joint + (shift[..., None] + influence).to(joint.dtype)
    return joint.mean(-1) + shift.to(joint.dtype)


def _local_infonce(joint, marginal):
    """:func:`infonce` of Deep InfoMax's local objective without its big matrix.

    ``joint`` has shape (n * P,) (image-major), ``marginal`` shape (n, n, P)
    with ``-inf`` where ``j == i``. Positive ``(i, p)`` is contrasted with the
    ``(n - 1) P`` scores of code ``i`` against every position of every other
    image; they are the same for all ``p``, so their log-sum-exp is taken once
    per image instead of building the ``(nP, nP)`` matrix that
    :func:`infonce` would need (equal values; see the tests).
    """
    n, _, positions = marginal.shape
    negatives = torch.logsumexp(marginal.reshape(n, -1), dim=1)
    negatives = negatives.repeat_interleave(positions)
    count = (n - 1) * positions + 1
    return (joint - torch.logaddexp(joint, negatives) + math.log(count)).mean()


class MovingAverageDV(torch.nn.Module):
    r"""Donsker–Varadhan bound with MINE's bias-corrected gradient.

    The gradient of ``log E_Q[e^T]`` on a minibatch is
    ``grad E_Q[e^T] / E_Q[e^T]``; its denominator estimated on the same
    minibatch biases the gradient. MINE (Belghazi et al., 2018, §3.2) replaces
    the denominator by an exponential moving average ``m`` over minibatches:

    .. math:: m_t = \text{decay}\cdot m_{t-1} + (1 - \text{decay})
              \cdot \overline{e^{T}}_{t}, \qquad m_1 = \overline{e^{T}}_1

    so ``decay`` is the weight of the **old average** (0.99 keeps about the last
    100 minibatches), and the average starts from the first minibatch rather
    than from zero. The average is kept in log space.

    The returned value is always the plain DV value of the minibatch; only its
    gradient is corrected, and only in training mode with gradients enabled
    (in ``eval()`` mode or under ``torch.no_grad()`` the module is :func:`dv`
    and leaves the average untouched).

    Parameters
    ----------
    decay : float, default=0.99
        Weight of the previous average, in [0, 1). ``0`` gives plain DV
        gradients.

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import MovingAverageDV
    >>> mine = MovingAverageDV(decay=0.9)
    >>> joint = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> value = mine(joint, torch.tensor([0.0, 0.0]))
    >>> float(value.detach())
    1.5
    >>> value.backward()
    """

    def __init__(self, decay=0.99):
        super().__init__()
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.register_buffer("log_average", torch.tensor(float("nan")))

    def reset(self):
        """Forget the moving average; the next minibatch starts it afresh."""
        self.log_average.fill_(float("nan"))

    def forward(self, joint, marginal):
        lme = log_mean_exp(marginal)
        value = joint.mean() - lme
        if not (self.training and torch.is_grad_enabled()):
            return value
        with torch.no_grad():
            current = lme.detach().to(self.log_average.dtype)
            if torch.isnan(self.log_average):
                self.log_average.copy_(current)
            else:
                self.log_average.copy_(
                    torch.logaddexp(
                        math.log(self.decay) + self.log_average
                        if self.decay > 0
                        else torch.tensor(-math.inf),
                        math.log1p(-self.decay) + current,
                    )
                )
        # exp(lme - log m) has gradient (mean e^T / m) * grad lme = grad mean e^T / m.
        surrogate = joint.mean() - torch.exp(lme - self.log_average.to(lme.dtype))
        return value.detach() + (surrogate - surrogate.detach())


# -- the registry: one row per ``bound`` name --------------------------------------


@dataclass(frozen=True)
class Bound:
    """How an estimator trains and reads one bound: a row of :data:`BOUNDS`.

    Every entry is a callable or a capability; nothing outside this table
    asks which bound it holds. A function that takes a ``clip`` keyword
    (SMILE's) is given the estimator's threshold.

    Parameters
    ----------
    function : callable
        The bound itself, ``(joint, marginal, reduction="mean")`` (what
        :class:`~sknmi.regularizers.MIRegularizer` maximises and reports).
    objective : callable or torch.nn.Module class
        What a :class:`~sknmi.NeuralMIEstimator` critic maximises: a function
        of the scores, or a module class built with ``decay`` (MINE's
        :class:`MovingAverageDV`).
    readout : callable
        The function that reads ``mi_`` on held-out scores.
    offset_of : callable
        ``offset_of(joint, marginal) -> float``: the constant that turns a
        critic score into a pointwise log ratio (see :meth:`Bound.offset`).
    lower : bool, default=True
        Whether the read-out is a lower bound on I(X; Z) in expectation.
    all_pairs : bool, default=False
        Whether the objective needs every other row of a batch as a negative
        (InfoNCE: its ceiling is the log of the number of candidates), also
        when read held out.
    additive : bool, default=True
        Whether the objective is a mean of the same per-pair terms, so that
        equal batches of several critics can be pooled into one call: the
        pooled value is the mean of the critics' values. False for the
        Donsker–Varadhan family (a log of a mean) and MINE (a module with a
        moving average per critic).
    classifier : bool, default=False
        Whether the objective trains the critic as a classifier of joint
        against product pairs (the JSD / logistic loss), whose held-out
        calibration then says whether training stopped early or drifted.
    matrix_objective : callable or None, default=None
        The objective as a function of a whole all-pairs score matrix
        (:func:`jsd_of_matrix`), a faster path to the same values.
    quick_readout : callable or None, default=None
        A cheaper read-out for progress during training (None: ``readout``).
    stacked_quick_readout : bool, default=False
        Whether ``quick_readout`` also reads many critics in one call: scores
        with a leading axis of critics (``joint`` of shape ``(K, n)``,
        ``marginal`` of shape ``(K, n, k)``) give the K values. The
        estimator then reads all the critics it trains (every fold of every
        fit of a batch) at once each epoch, not one by one.
    local_function : callable or None, default=None
        The bound in the shapes of Deep InfoMax's local objective, where
        ``function`` does not take them as they are (None: ``function``).
    name : str, default="custom"
        What the messages and ``mi_source_`` call it (a row of
        :data:`BOUNDS` is called by its key).

    Examples
    --------
    >>> import torch
    >>> from sknmi.bounds import BOUNDS
    >>> row = BOUNDS["smile"]
    >>> row.objective.__name__, row.readout.__name__, row.classifier
    ('jsd', 'smile', True)
    >>> joint, marginal = torch.full((4,), 2.0), torch.zeros(4, 3)
    >>> float(row.read(clip=5.0)(joint, marginal))
    2.0
    >>> row.read()(joint, marginal, reduction="none").shape
    torch.Size([4])
    """

    function: Callable
    objective: Callable
    readout: Callable
    offset_of: Callable
    lower: bool = True
    all_pairs: bool = False
    additive: bool = True
    classifier: bool = False
    matrix_objective: Callable | None = None
    quick_readout: Callable | None = None
    stacked_quick_readout: bool = False
    local_function: Callable | None = None
    name: str = "custom"

    def read(self, clip=5.0, quick=False):
        """The read-out as a function ``(joint, marginal, reduction="mean")``.

        Parameters
        ----------
        clip : float, default=5.0
            SMILE's threshold.
        quick : bool, default=False
            A cheaper reading for progress during training (the calibrated
            constant with a few Newton steps).

        Returns
        -------
        callable
        """
        if quick and self.quick_readout is not None:
            return self.quick_readout
        return _configured(self.readout, clip)

    def train(self, clip=5.0, ema_decay=0.99):
        """The training objective: a function of the scores, or a module.

        Parameters
        ----------
        clip : float, default=5.0
            SMILE's threshold.
        ema_decay : float, default=0.99
            MINE's moving-average weight of the old average.

        Returns
        -------
        callable or MovingAverageDV
        """
        if isinstance(self.objective, type):
            return self.objective(decay=ema_decay)
        return _configured(self.objective, clip)

    def bound(self, clip=5.0):
        """The bound itself as a function of the scores.

        Parameters
        ----------
        clip : float, default=5.0
            SMILE's threshold.

        Returns
        -------
        callable
        """
        return _configured(self.function, clip)

    def local(self, clip=5.0):
        """The bound of Deep InfoMax's local objective: ``(joint, marginal)``
        with joint ``(n * P,)`` and marginal ``(n, n, P)`` (-inf where
        ``j == i``). The bounds that average over all negatives take these
        shapes as they are; InfoNCE needs its rows, grouped per image.

        Parameters
        ----------
        clip : float, default=5.0
            SMILE's threshold.

        Returns
        -------
        callable
        """
        if self.local_function is not None:
            return self.local_function
        return self.bound(clip)

    def train_matrix(self):
        """The objective of an all-pairs score matrix ``(..., n, n)``, or None.

        Returns
        -------
        callable or None
        """
        return self.matrix_objective

    def offset(self, marginal, joint=None):
        """The constant that turns a critic score into a pointwise log ratio.

        Zero for the plain log-ratio read-out, minus the refitted shift for
        the calibrated one (which needs ``joint``), 1 for NWJ (its optimal
        critic is ``1 + log ratio``), and the log partition ``log E[e^T]`` on
        the negatives ``marginal`` for the Donsker–Varadhan family.

        Parameters
        ----------
        marginal : torch.Tensor
            Held-out scores of negative pairs.
        joint : torch.Tensor, default=None
            Held-out scores of the joint pairs (the calibrated read-out's
            shift needs them).

        Returns
        -------
        float
        """
        return self.offset_of(joint, marginal)


def _configured(function, clip):
    if "clip" in inspect.signature(function).parameters:
        return partial(function, clip=clip)
    return function


def _log_partition(joint, marginal):
    return float(log_mean_exp(marginal))


def _nwj_offset(joint, marginal):
    return 1.0


def _calibrated_offset(joint, marginal):
    if joint is None:
        raise ValueError("the calibrated log ratio's offset needs joint")
    return -float(_calibration(joint, marginal)[0])


#: Every ``bound`` name of the estimators, the command line and the
#: regulariser. SMILE's critic is trained on the Jensen–Shannon objective, as
#: Song & Ermon do: the clipped DV itself is unbounded above in the joint
#: scores and diverges. A JSD value is not MI, so "jsd" is read with DV.
BOUNDS = {
    "mine": Bound(dv, MovingAverageDV, dv, _log_partition, additive=False, name="mine"),
    "dv": Bound(dv, dv, dv, _log_partition, additive=False, name="dv"),
    "nwj": Bound(nwj, nwj, nwj, _nwj_offset, name="nwj"),
    "jsd": Bound(
        jsd,
        jsd,
        dv,
        _log_partition,
        classifier=True,
        matrix_objective=jsd_of_matrix,
        name="jsd",
    ),
    "infonce": Bound(
        infonce,
        infonce,
        infonce,
        _log_partition,
        all_pairs=True,
        local_function=_local_infonce,
        name="infonce",
    ),
    "smile": Bound(
        smile,
        jsd,
        smile,
        _log_partition,
        classifier=True,
        matrix_objective=jsd_of_matrix,
        name="smile",
    ),
    "logratio": Bound(
        log_ratio,
        jsd,
        calibrated_log_ratio,
        _calibrated_offset,
        lower=False,
        classifier=True,
        matrix_objective=jsd_of_matrix,
        quick_readout=partial(calibrated_log_ratio, max_steps=8),
        stacked_quick_readout=True,
        name="logratio",
    ),
}


def resolve_bound(bound: "str | Bound") -> Bound:
    """The :class:`Bound` of ``bound``: a row of :data:`BOUNDS` by its name,
    or a :class:`Bound` of your own as it is.

    Parameters
    ----------
    bound : str or Bound
        A key of :data:`BOUNDS`, or a row of your own.

    Returns
    -------
    Bound

    Examples
    --------
    >>> from sknmi.bounds import resolve_bound
    >>> resolve_bound("nwj").name
    'nwj'
    """
    return bound if isinstance(bound, Bound) else BOUNDS[bound]
