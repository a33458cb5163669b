"""Critics and encoders as torch modules, and the pairing of joint and negative samples.

A *critic* is a module whose ``forward(x, z)`` returns one score ``T(x_i, z_i)``
per row. A *separable* critic ``T(x, z) = f(x) . g(z)`` also has
``score_matrix(x, z)``, all ``n x m`` scores from one matrix product, which
makes every other row of a minibatch a negative at almost no cost.

:func:`pair_scores` turns any critic and a batch of joint pairs into the
``(joint, marginal)`` scores that the functions of :mod:`sknmi.bounds` take.
Nothing here imports scikit-learn.

Examples
--------
>>> import torch
>>> from sknmi.nn import SeparableCritic, pair_scores
>>> from sknmi.bounds import dv
>>> critic = SeparableCritic(3, 2, hidden_layer_sizes=(16,), embedding_dim=8)
>>> x, z = torch.randn(32, 3), torch.randn(32, 2)
>>> joint, marginal = pair_scores(critic, x, z, negatives="all")
>>> joint.shape, marginal.shape
(torch.Size([32]), torch.Size([32, 32]))
>>> value = dv(joint, marginal)
"""

import torch
from torch import nn

from sknmi.bounds import derangement, split_scores

__all__ = ["ACTIVATIONS", "ConcatCritic", "MLP", "SeparableCritic", "pair_scores"]

#: Activation names, as in :class:`sklearn.neural_network.MLPRegressor` plus a few.
ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
}


class MLP(nn.Sequential):
    """A multi-layer perceptron: linear layers with an activation between them.

    Parameters
    ----------
    in_features : int
        Input width.
    hidden_layer_sizes : sequence of int
        Widths of the hidden layers (may be empty: a linear map).
    out_features : int
        Output width.
    activation : str, default="relu"
        A key of :data:`ACTIVATIONS`.

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import MLP
    >>> MLP(4, (8, 8), 2)(torch.zeros(5, 4)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self, in_features, hidden_layer_sizes, out_features, activation="relu"
    ):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}"
            )
        layers = []
        width = in_features
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            width = size
        layers.append(nn.Linear(width, out_features))
        super().__init__(*layers)


class ConcatCritic(nn.Module):
    """Critic ``T(x, z) = MLP([x, z])``, the joint critic of MINE.

    The most flexible critic, but each (x, z) pair costs a forward pass, so
    negatives are formed from shuffled partners (:func:`pair_scores` with
    ``negatives="derangement"``) rather than from all pairs.

    Parameters
    ----------
    x_features, z_features : int
        Widths of x and z.
    hidden_layer_sizes : sequence of int, default=(256, 256)
        Hidden widths of the MLP.
    activation : str, default="relu"
        A key of :data:`ACTIVATIONS`.

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import ConcatCritic
    >>> ConcatCritic(3, 2, (16,))(torch.zeros(4, 3), torch.zeros(4, 2)).shape
    torch.Size([4])
    """

    def __init__(
        self, x_features, z_features, hidden_layer_sizes=(256, 256), activation="relu"
    ):
        super().__init__()
        self.net = MLP(x_features + z_features, hidden_layer_sizes, 1, activation)

    def forward(self, x, z):
        return self.net(torch.cat([x, z], dim=-1)).squeeze(-1)


class SeparableCritic(nn.Module):
    """Critic ``T(x, z) = <f(x), g(z)>``, the inner product of two MLP embeddings.

    ``score_matrix`` gives all pairs of a batch from one matrix product, the
    cheap source of ``n - 1`` negatives per positive used by InfoNCE and by
    contrastive learning (Poole et al., 2019).

    Parameters
    ----------
    x_features, z_features : int
        Widths of x and z.
    hidden_layer_sizes : sequence of int, default=(256, 256)
        Hidden widths of each embedding MLP.
    embedding_dim : int, default=32
        Width of f(x) and g(z).
    activation : str, default="relu"
        A key of :data:`ACTIVATIONS`.

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import SeparableCritic
    >>> critic = SeparableCritic(3, 2, (16,), embedding_dim=4)
    >>> critic.score_matrix(torch.zeros(5, 3), torch.zeros(7, 2)).shape
    torch.Size([5, 7])
    """

    def __init__(
        self,
        x_features,
        z_features,
        hidden_layer_sizes=(256, 256),
        embedding_dim=32,
        activation="relu",
    ):
        super().__init__()
        self.f = MLP(x_features, hidden_layer_sizes, embedding_dim, activation)
        self.g = MLP(z_features, hidden_layer_sizes, embedding_dim, activation)

    def forward(self, x, z):
        return (self.f(x) * self.g(z)).sum(-1)

    def score_matrix(self, x, z):
        """All scores ``T(x_i, z_j)`` as an ``(n, m)`` matrix.

        Parameters
        ----------
        x : torch.Tensor of shape (n, x_features)
            Rows of x.
        z : torch.Tensor of shape (m, z_features)
            Rows of z.

        Returns
        -------
        torch.Tensor of shape (n, m)
            ``f(x) @ g(z).T``.
        """
        return self.f(x) @ self.g(z).T


def _all_pairs(critic, x, z):
    if hasattr(critic, "score_matrix"):
        return critic.score_matrix(x, z)
    n, m = x.shape[0], z.shape[0]
    return critic(x.repeat_interleave(m, dim=0), z.repeat(n, 1)).reshape(n, m)


def pair_scores(critic, x, z, negatives="all", generator=None):
    """Scores of a critic on the joint pairs of a batch and on negative pairs.

    Parameters
    ----------
    critic : torch.nn.Module
        ``critic(x, z)`` returns one score per row; a ``score_matrix(x, z)``
        method, where present, is used for all pairs.
    x, z : torch.Tensor of shape (n, d_x) and (n, d_z)
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
    n = x.shape[0]
    if negatives == "all":
        return split_scores(_all_pairs(critic, x, z))
    if negatives == "derangement":
        joint = critic(x, z)
        perm = derangement(n, generator=generator, device=z.device)
        return joint, critic(x, z[perm]).unsqueeze(1)
    k = int(negatives)
    if not 1 <= k < n:
        raise ValueError(f"need 1 <= negatives < n = {n}, got {k}")
    if hasattr(critic, "score_matrix"):
        rows = torch.arange(n, device=x.device)
        partners = (rows[:, None] + rows[1 : k + 1]) % n
        scores = critic.score_matrix(x, z)
        return scores.diagonal(), scores.gather(1, partners)
    joint = critic(x, z)
    return joint, torch.stack([critic(x, z.roll(-s, 0)) for s in range(1, k + 1)], 1)
