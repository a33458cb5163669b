"""Pairs of samples for a critic: the joint pairs of a batch and their negatives.

:func:`pair_scores` turns any critic and a batch of joint pairs into the
``(joint, marginal)`` scores that the functions of :mod:`sknmi.bounds` take;
:func:`held_out_scores` does the same deterministically, chunk by chunk, for
read-outs on held-out data; :func:`derangement` draws shuffled partners that
are never the row itself.
"""

import math

import torch


def derangement(
    n: int,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """A random permutation of ``range(n)`` without fixed points.

    Pairing row ``i`` with row ``derangement(n)[i]`` gives ``n`` negative pairs
    none of which is a positive pair. A plain permutation maps some ``i`` to
    itself (on average one row per batch), which leaks positives into the
    negatives and caps an estimator near ``log(n)``.

    The permutation is a single random cycle: rows are shuffled, then each is
    sent to the next one in the shuffled order.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    generator : torch.Generator, default=None
        A CPU generator, the source of randomness.
    device : torch.device, default=None
        Device of the returned tensor.

    Returns
    -------
    torch.Tensor of shape (n,), dtype int64

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import derangement
    >>> p = derangement(5, torch.Generator().manual_seed(0))
    >>> bool((p != torch.arange(5)).all())
    True
    """
    if n < 2:
        raise ValueError(f"a derangement needs at least 2 elements, got {n}")
    order = torch.randperm(n, generator=generator)
    result = torch.empty_like(order)
    result[order] = order.roll(-1)
    return result if device is None else result.to(device)


def _scores(critic, x, z):
    # 3-D inputs are per-member rows of a stack of critics (sknmi.nn.stacked).
    return critic.members_forward(x, z) if x.ndim == 3 else critic(x, z)


def _matrix(critic, x, z):
    if x.ndim == 3:
        return critic.members_score_matrix(x, z)
    return critic.score_matrix(x, z)


def scores_all_pairs(critic: torch.nn.Module) -> bool:
    """Whether ``critic`` scores every pair of a batch in one call.

    The one place this capability is read. A critic declares it with a
    boolean ``all_pairs`` attribute (every built-in critic and stack of
    critics does); a module of your own without one declares it by having a
    ``score_matrix(x, z)`` method.

    Parameters
    ----------
    critic : torch.nn.Module
        A critic, or a stack of critics.

    Returns
    -------
    bool

    Examples
    --------
    >>> from sknmi.nn import ConcatCritic, SeparableCritic, scores_all_pairs
    >>> separable, concat = SeparableCritic(2, 2, (8,)), ConcatCritic(2, 2, (8,))
    >>> scores_all_pairs(separable), scores_all_pairs(concat)
    (True, False)
    """
    declared = getattr(critic, "all_pairs", None)
    if declared is not None:
        return bool(declared)
    return callable(getattr(critic, "score_matrix", None))


def all_pair_scores(critic, x, z):
    """Every score ``T(x_i, z_j)``: ``(n, m)``, or ``(K, n, m)`` for a stack."""
    if scores_all_pairs(critic):
        return _matrix(critic, x, z)
    n, m = x.shape[-2], z.shape[-2]
    xs = x.repeat_interleave(m, dim=-2)
    zs = z.repeat(*([1] * (z.ndim - 2)), n, 1)
    return _scores(critic, xs, zs).reshape(*x.shape[:-2], n, m)


def mask_diagonal(scores):
    """``(joint, marginal)`` of all-pairs scores ``(..., n, n)``: the diagonal,
    and the scores with ``-inf`` on it (no positive counted as a negative)."""
    n = scores.shape[-1]
    eye = torch.eye(n, dtype=torch.bool, device=scores.device)
    return scores.diagonal(dim1=-2, dim2=-1), scores.masked_fill(eye, -math.inf)


def pair_scores(critic, x, z, negatives="all", generator=None):
    """Scores of a critic on the joint pairs of a batch and on negative pairs.

    Parameters
    ----------
    critic : torch.nn.Module
        ``critic(x, z)`` returns one score per row; a ``score_matrix(x, z)``
        method, where present, is used for all pairs. A stack of critics
        (:func:`sknmi.nn.stack_critics`) takes 3-D inputs, one batch per
        member, and every output gains that leading axis.
    x, z : torch.Tensor of shape (n, d_x) and (n, d_z), or (K, n, d) for a stack
        Row ``i`` of each is a sample of the joint distribution.
    negatives : {"all", "derangement"} or int, default="all"
        How rows are paired into samples of p(x) p(z):

        - ``"all"``: every ``(x_i, z_j)`` with ``i != j``; ``marginal`` is the
          ``(n, n)`` matrix with ``-inf`` on its diagonal. ``n^2`` forward
          passes for a critic without ``score_matrix``.
        - ``"derangement"``: ``(x_i, z_pi(i))`` with a random permutation ``pi``
          without fixed points; ``marginal`` has shape ``(n, 1)``.
        - ``k`` (int): the deterministic partners ``z_{(i + s) mod n}`` for
          ``s = 1..k`` (``k < n``), for reproducible evaluation on held-out
          data without an ``n x n`` matrix; ``marginal`` has shape ``(n, k)``.
    generator : torch.Generator, default=None
        CPU generator for the derangement.

    Returns
    -------
    joint : torch.Tensor of shape (n,)
    marginal : torch.Tensor of shape (n, n), (n, 1) or (n, k)

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import ConcatCritic, pair_scores
    >>> critic = ConcatCritic(2, 2, (8,))
    >>> joint, marginal = pair_scores(critic, torch.randn(6, 2), torch.randn(6, 2), 3)
    >>> marginal.shape
    torch.Size([6, 3])
    """
    n = x.shape[-2]
    if negatives == "all":
        return mask_diagonal(all_pair_scores(critic, x, z))
    if negatives == "derangement":
        joint = _scores(critic, x, z)
        perm = derangement(n, generator=generator, device=z.device)
        return joint, _scores(critic, x, z[..., perm, :]).unsqueeze(-1)
    k = int(negatives)
    if not 1 <= k < n:
        raise ValueError(f"need 1 <= negatives < n = {n}, got {k}")
    if scores_all_pairs(critic):
        rows = torch.arange(n, device=x.device)
        partners = (rows[:, None] + rows[1 : k + 1]) % n
        scores = _matrix(critic, x, z)
        partners = partners.expand(*scores.shape[:-2], n, k)
        return scores.diagonal(dim1=-2, dim2=-1), scores.gather(-1, partners)
    joint = _scores(critic, x, z)
    return joint, torch.stack(
        [_scores(critic, x, z.roll(-s, -2)) for s in range(1, k + 1)], -1
    )


def held_out_scores(critic, x, z, negatives, chunk=None):
    """:func:`pair_scores` with fixed partners, chunk by chunk, without gradients.

    Rows are cut into consecutive chunks (a short tail joins the chunk before
    it) and each row is scored against the next ``k`` rows of its chunk,
    cyclically, so the result is a deterministic function of the input, and
    memory is ``O(chunk^2)`` for a critic with ``score_matrix`` and
    ``O(chunk k)`` otherwise.

    Parameters
    ----------
    critic : torch.nn.Module
        As for :func:`pair_scores`.
    x, z : torch.Tensor of shape (n, d_x) and (n, d_z)
        Joint pairs, ``n >= 2``.
    negatives : int
        Negatives per row ``k``; at most ``n - 1`` are used.
    chunk : int, default=None
        Rows per chunk, at least ``k + 1``. By default ``k + 1`` for a critic
        with ``score_matrix`` (whose cost is ``chunk^2`` whatever ``k``) and at
        least 1024 otherwise (one forward pass per negative: larger chunks are
        free).

    Returns
    -------
    joint : torch.Tensor of shape (n,)
    marginal : torch.Tensor of shape (n, k)

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import SeparableCritic, held_out_scores
    >>> critic = SeparableCritic(2, 2, (8,), embedding_dim=4)
    >>> joint, marginal = held_out_scores(critic, torch.randn(100, 2),
    ...                                   torch.randn(100, 2), negatives=9)
    >>> tuple(marginal.shape)
    (100, 9)
    """
    n = x.shape[-2]
    k = max(1, min(int(negatives), n - 1))
    if chunk is None:
        chunk = k + 1 if scores_all_pairs(critic) else max(k + 1, 1024)
    chunk = max(int(chunk), k + 1)
    starts = list(range(0, n, chunk))
    if len(starts) > 1 and n - starts[-1] < k + 1:
        starts.pop()
    ends = starts[1:] + [n]
    joint, marginal = [], []
    with torch.no_grad():
        for a, b in zip(starts, ends):
            j, m = pair_scores(critic, x[..., a:b, :], z[..., a:b, :], negatives=k)
            joint.append(j)
            marginal.append(m)
    return torch.cat(joint, -1), torch.cat(marginal, -2)
