"""Critics: the MLP, the concat critic and the separable critic.

Stacks of K critics (cross-fitting) live in :mod:`sknmi.nn.stacked`.
"""

import torch
from torch import nn

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

    # One pass per pair: negatives are shuffled partners.
    all_pairs = False

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

    # f(x) . g(z) scores every pair of a batch with one product.
    all_pairs = True

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
