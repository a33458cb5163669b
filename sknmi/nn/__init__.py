"""Torch modules and the pairing of samples, for the estimators and your own loops.

A *critic* is a module whose ``forward(x, z)`` returns one score ``T(x_i, z_i)``
per row. A *separable* critic ``T(x, z) = f(x) . g(z)`` also has
``score_matrix(x, z)``, all ``n x m`` scores from one matrix product, which
makes every other row of a minibatch a negative at almost no cost.

:func:`pair_scores` turns any critic and a batch of joint pairs into the
``(joint, marginal)`` scores that the functions of :mod:`sknmi.bounds` take.
The encoders, decoders and discriminators of the representation learners live
in the private ``sknmi.nn._encoders``. Nothing here imports scikit-learn.

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

from sknmi.nn import critics
from sknmi.nn.critics import MLP, ConcatCritic, SeparableCritic
from sknmi.nn.pairs import (
    derangement,
    held_out_scores,
    pair_scores,
    scores_all_pairs,
)
from sknmi.nn.stacked import (
    CriticEnsemble,
    CriticStack,
    StackedConcatCritic,
    StackedSeparableCritic,
    stack_critics,
)

#: Activation names, as in :class:`sklearn.neural_network.MLPRegressor` plus a
#: few, mapped to their torch modules.
ACTIVATIONS = critics.ACTIVATIONS

__all__ = [
    "ACTIVATIONS",
    "ConcatCritic",
    "CriticEnsemble",
    "CriticStack",
    "MLP",
    "SeparableCritic",
    "StackedConcatCritic",
    "StackedSeparableCritic",
    "derangement",
    "held_out_scores",
    "pair_scores",
    "scores_all_pairs",
    "stack_critics",
]
