r"""Mutual information as a differentiable term in your own training loop.

Using I(X; Z) between two batches produced by a network as a loss term is a
game of two players with two optimisers. The critic ``T`` always *maximises*
a variational lower bound :math:`\hat I_T(X; Z)` of :mod:`sknmi.bounds` on
detached inputs, since the bound is tightest at the best critic; the network
then takes the bound at the current critic as a differentiable function of its
outputs, and either maximises it (a max–max game: MINE against mode collapse,
InfoGAN, Deep InfoMax) or minimises it (a max–min game: the information
bottleneck, fair or private representations):

.. math:: \max_\theta\; \pm\,\hat I_{T^*}(G_\theta(\varepsilon, c); c),
          \qquad T^* \approx \arg\max_T \hat I_T(G_\theta(\varepsilon, c); c).

A single optimiser over both players would make the critic follow the
network's sign, which is wrong whenever the network minimises.

:class:`MIRegularizer` holds the critic, its optimiser and the bound, and keeps
the two moves apart: :meth:`MIRegularizer.critic_step` is the critic's update,
:meth:`MIRegularizer.forward` the estimate that the network's loss uses.
:func:`adaptive_clip_grad_` adds the network's MI gradient scaled down to at
most the norm of its main gradient, as MINE does for GANs (Belghazi et al., 2018, §5.1).

The bounds are those of :mod:`sknmi.bounds`, the critics those of
:mod:`sknmi.nn`; nothing here imports scikit-learn.

Examples
--------
A generator that should keep its code ``c`` recoverable from its samples
(MINE's remedy for mode collapse); the GAN loss is omitted here:

>>> import torch
>>> from sknmi.nn import ConcatCritic
>>> from sknmi.regularizers import MIRegularizer, adaptive_clip_grad_
>>> generator = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(),
...                                 torch.nn.Linear(16, 2))
>>> g_opt = torch.optim.Adam(generator.parameters(), lr=1e-3)
>>> mi = MIRegularizer(ConcatCritic(2, 2, (16,)), learning_rate=1e-3)
>>> for step in range(3):
...     c, noise = torch.randn(64, 2), torch.randn(64, 2)
...     x = generator(torch.cat([noise, c], 1))
...     _ = mi.critic_step(x, c)               # the critic maximises the bound
...     g_opt.zero_grad()
...     gan_loss = x.pow(2).mean()             # stands in for the GAN loss
...     gan_loss.backward(retain_graph=True)
...     _ = adaptive_clip_grad_(generator.parameters(), -mi(x, c))
...     g_opt.step()
"""

import math
from numbers import Real

import numpy as np
import torch
from torch import nn

from sknmi import bounds
from sknmi.nn import pair_scores, scores_all_pairs

__all__ = ["BOUNDS", "MIRegularizer", "adaptive_clip", "adaptive_clip_grad_"]

#: Names of the objectives :class:`MIRegularizer` accepts. ``"mine"`` trains the
#: critic with :class:`~sknmi.bounds.MovingAverageDV` and estimates with
#: :func:`~sknmi.bounds.dv`; every other name is the function of that name in
#: :mod:`sknmi.bounds`, used for both.
BOUNDS = tuple(name for name, row in bounds.BOUNDS.items() if row.lower)


class MIRegularizer(nn.Module):
    r"""A critic, its optimiser and a bound: a trainable MI estimate for a loss term.

    Call :meth:`critic_step` on every minibatch to let the critic maximise the
    bound on the (detached) batch, then use ``regularizer(x, z)`` (i.e.
    :meth:`forward`) in the loss of the network that produced ``x`` or ``z``:
    subtract it to maximise MI (InfoGAN, MINE against mode collapse), add it
    to minimise MI (information bottleneck). The critic is the maximising
    player in both cases; only the sign in the network's loss changes.

    Parameters
    ----------
    critic : torch.nn.Module
        ``critic(x, z)`` returns one score per row, e.g.
        :class:`~sknmi.nn.ConcatCritic` or :class:`~sknmi.nn.SeparableCritic`.
        It is trained in place.
    bound : {"mine", "dv", "nwj", "jsd", "infonce", "smile"}, default="mine"
        Objective of the critic and of the estimate (see :data:`BOUNDS`).
        ``"jsd"`` is not an MI value but a monotone surrogate (Deep InfoMax);
        ``"infonce"`` cannot exceed the log of the number of candidates.
    negatives : {"all", "derangement"} or int, default=None
        How :func:`~sknmi.nn.pair_scores` forms negative pairs. ``None``: all
        pairs of the batch for a critic with ``score_matrix`` (separable),
        one deranged partner per row otherwise.
    learning_rate : float, default=1e-4
        Learning rate of the critic's Adam optimiser.
    ema_decay : float, default=0.99
        For ``bound="mine"``: the weight of the old moving average
        (see :class:`~sknmi.bounds.MovingAverageDV`).
    clip : float, default=5.0
        For ``bound="smile"``: the clipping threshold.
    optimizer : torch.optim.Optimizer, default=None
        The critic's optimiser, if Adam with ``learning_rate`` does not suit;
        it must hold the critic's parameters.
    generator : torch.Generator, default=None
        CPU generator for the derangements; pass a seeded one for
        reproducible negatives.

    Attributes
    ----------
    critic : torch.nn.Module
        The critic.
    objective : callable
        What the critic maximises: ``objective(joint, marginal)``.
    optimizer : torch.optim.Optimizer
        The critic's optimiser.

    Notes
    -----
    With the critic's parameters :math:`\phi` and the network's
    :math:`\theta`, one step of the game is

    1. :meth:`critic_step`:
       :math:`\phi \leftarrow \phi + \eta\, \nabla_\phi \hat I_{T_\phi}(x, z)`
       on ``x.detach()``, ``z.detach()``; for ``bound="mine"`` the gradient of
       the partition term uses MINE's moving average (bias-corrected).
    2. :meth:`forward`: :math:`\hat I_{T_\phi}(x, z)` as a function of ``x``
       and ``z`` only; the critic's parameters are frozen while it is built,
       so a backward pass through it leaves their gradients untouched and the
       network's optimiser never moves the critic. For ``bound="mine"`` this is
       the plain Donsker–Varadhan value (the moving average corrects the
       critic's gradient, not the network's, and is not advanced here).

    Never fold both moves into one optimiser: the critic would then *minimise*
    the bound whenever the network does, and the estimate stops meaning
    anything. Because the bound is a lower bound only at the critic's
    optimum, the critic needs to keep up: take at least one critic step per
    network step, more when the network moves fast.

    References
    ----------
    Belghazi, M. I. et al. (2018). Mutual Information Neural Estimation.
    ICML, §3.2 (bias-corrected gradient) and §5.1 (GANs).

    Examples
    --------
    The estimate grows with the dependence between the batches:

    >>> import torch
    >>> from sknmi.nn import SeparableCritic
    >>> from sknmi.regularizers import MIRegularizer
    >>> g = torch.Generator().manual_seed(0)
    >>> critic = SeparableCritic(1, 1, (32,), embedding_dim=8)
    >>> mi = MIRegularizer(critic, bound="infonce", learning_rate=1e-2)
    >>> for _ in range(200):
    ...     x = torch.randn(128, 1, generator=g)
    ...     _ = mi.critic_step(x, x + 0.1 * torch.randn(128, 1, generator=g))
    >>> x = torch.randn(128, 1, generator=g)
    >>> with torch.no_grad():
    ...     dependent = float(mi(x, x + 0.1 * torch.randn(128, 1, generator=g)))
    ...     independent = float(mi(x, torch.randn(128, 1, generator=g)))
    >>> dependent > 1.0 > independent
    True
    """

    def __init__(
        self,
        critic,
        bound="mine",
        negatives=None,
        learning_rate=1e-4,
        ema_decay=0.99,
        clip=5.0,
        optimizer=None,
        generator=None,
    ):
        super().__init__()
        if not isinstance(critic, nn.Module):
            raise ValueError(f"critic must be a torch.nn.Module, got {critic!r}")
        if not isinstance(bound, str) or bound not in BOUNDS:
            raise ValueError(f"unknown bound {bound!r}; choose from {list(BOUNDS)}")
        _check_real("learning_rate", learning_rate, low=0.0)
        _check_real("ema_decay", ema_decay, low=0.0, high=1.0, closed_low=True)
        _check_real("clip", clip, low=0.0)
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(
                f"optimizer must be a torch.optim.Optimizer or None, got "
                f"{type(optimizer).__name__}"
            )
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ValueError(
                f"generator must be a torch.Generator or None, got "
                f"{type(generator).__name__}"
            )
        if negatives is None:
            negatives = "all" if scores_all_pairs(critic) else "derangement"
        if negatives not in ("all", "derangement") and not (
            isinstance(negatives, int)
            and not isinstance(negatives, bool)
            and negatives >= 1
        ):
            raise ValueError(
                "negatives must be 'all', 'derangement' or a positive int, got "
                f"{negatives!r}"
            )
        self.critic = critic
        self.bound = bound
        self.negatives = negatives
        self.generator = generator
        self._estimate = bounds.BOUNDS[bound].bound(clip)
        # MINE's objective is a module (its moving average moves with
        # .to(device) and is saved in state_dict); the others train on the
        # bound itself.
        objective = bounds.BOUNDS[bound].train(clip, ema_decay)
        self.objective = (
            objective if isinstance(objective, nn.Module) else self._estimate
        )
        if optimizer is None:
            optimizer = torch.optim.Adam(critic.parameters(), lr=learning_rate)
        self.optimizer = optimizer

    def _scores(self, x, z):
        return pair_scores(self.critic, x, z, self.negatives, self.generator)

    def critic_step(self, x, z):
        """One optimiser step of the critic, maximising the bound on ``(x, z)``.

        The inputs are detached: this step never sends a gradient to whatever
        produced them.

        Parameters
        ----------
        x, z : torch.Tensor of shape (n, d_x) and (n, d_z)
            Row ``i`` of each is a joint sample.

        Returns
        -------
        torch.Tensor
            The bound on this batch before the step (a detached scalar), in
            nats for every bound but ``"jsd"``.
        """
        _check_batches(x, z)
        self.critic.train()
        if isinstance(self.objective, nn.Module):
            self.objective.train()
        with torch.enable_grad():
            value = self.objective(*self._scores(x.detach(), z.detach()))
            self.optimizer.zero_grad(set_to_none=True)
            (-value).backward()
        self.optimizer.step()
        return value.detach()

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The bound on ``(x, z)`` with the current critic, differentiable in x and z.

        Parameters
        ----------
        x, z : torch.Tensor of shape (n, d_x) and (n, d_z)
            Row ``i`` of each is a joint sample.

        Returns
        -------
        torch.Tensor
            Scalar estimate of I(X; Z) (nats; a surrogate for ``"jsd"``);
            gradients reach ``x`` and ``z``, never the critic's parameters.
        """
        _check_batches(x, z)
        params = list(self.critic.parameters())
        flags = [p.requires_grad for p in params]
        try:
            for p in params:
                p.requires_grad_(False)
            return self._estimate(*self._scores(x, z))
        finally:
            for p, flag in zip(params, flags):
                p.requires_grad_(flag)


def _check_real(name, value, low, high=None, closed_low=False):
    """Raise a ValueError unless ``value`` is a finite real number in range.

    The range is ``(low, high)`` (``[low, high)`` with ``closed_low``), as
    scikit-learn's parameter checks word it; strings, booleans and arrays are
    refused.
    """
    ok = isinstance(value, Real) and not isinstance(value, (bool, np.bool_))
    ok = ok and math.isfinite(value)
    ok = ok and (value >= low if closed_low else value > low)
    ok = ok and (high is None or value < high)
    if not ok:
        left = "[" if closed_low else "("
        right = "inf)" if high is None else f"{high})"
        raise ValueError(
            f"{name} must be a float in the range {left}{low}, {right}, got {value!r}"
        )


def _check_batches(x, z):
    if not (isinstance(x, torch.Tensor) and isinstance(z, torch.Tensor)):
        raise ValueError(
            f"x and z must be torch tensors, got {type(x).__name__} and "
            f"{type(z).__name__}; convert with torch.as_tensor(a, dtype=torch.float32)"
        )
    if not (x.is_floating_point() and z.is_floating_point()):
        raise ValueError(
            f"x and z must be floating-point tensors, got {x.dtype} and {z.dtype}"
        )
    if x.ndim != 2 or z.ndim != 2 or x.shape[0] != z.shape[0]:
        raise ValueError(
            "x and z must be 2-D with the same number of rows, got shapes "
            f"{tuple(x.shape)} and {tuple(z.shape)}"
        )
    if x.shape[0] < 2:
        raise ValueError("an MI estimate needs at least 2 rows for its negatives")


def _global_norm(tensors):
    return torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(t) for t in tensors])
    )


def _adaptive_scale(mi_grads, reference_grads, eps=1e-12):
    present = [g for g in mi_grads if g is not None]
    if not present:
        return torch.zeros(())
    mi_norm = _global_norm(present)
    ref = [g for g in reference_grads if g is not None]
    ref_norm = _global_norm(ref).to(mi_norm.device) if ref else mi_norm.new_zeros(())
    return torch.minimum(ref_norm, mi_norm) / mi_norm.clamp_min(eps)


def adaptive_clip(mi_grads, reference_grads, eps=1e-12):
    r"""MINE's adaptive clipping: the MI gradient scaled to at most the main one's norm.

    .. math:: g_a = \min(\lVert g_u \rVert, \lVert g_m \rVert)\,
              \frac{g_m}{\lVert g_m \rVert}

    with :math:`g_m` the gradient of the MI term and :math:`g_u` that of the
    main (GAN) loss, norms taken over all tensors together. The MI term can
    then steer the network but never outweigh its main objective, whatever
    the scale of the MI estimate (Belghazi et al., 2018, §5.1).

    Parameters
    ----------
    mi_grads : sequence of torch.Tensor
        :math:`g_m`, one tensor per parameter (``None`` entries count as 0).
    reference_grads : sequence of torch.Tensor
        :math:`g_u`, same length (``None`` entries count as 0).
    eps : float, default=1e-12
        Guard against a zero MI gradient.

    Returns
    -------
    list of torch.Tensor or None
        :math:`g_a`, aligned with ``mi_grads`` (``None`` where it was ``None``).

    Examples
    --------
    >>> import torch
    >>> from sknmi.regularizers import adaptive_clip
    >>> adaptive_clip([torch.tensor([3.0, 4.0])], [torch.tensor([1.0, 0.0])])
    [tensor([0.6000, 0.8000])]
    """
    mi_grads = list(mi_grads)
    reference_grads = list(reference_grads)
    if len(mi_grads) != len(reference_grads):
        raise ValueError(
            f"got {len(mi_grads)} MI gradients and {len(reference_grads)} reference "
            "gradients; they must match parameter by parameter"
        )
    scale = _adaptive_scale(mi_grads, reference_grads, eps)
    return [None if g is None else g * scale.to(g.device) for g in mi_grads]


def adaptive_clip_grad_(parameters, mi_loss, retain_graph=None):
    r"""Add the adaptively clipped gradient of ``mi_loss`` to ``parameters``' ``.grad``.

    Call it after the main loss's ``backward()``, before the optimiser step:
    the ``.grad`` fields then hold :math:`g_u` and become
    :math:`g_u + \min(\lVert g_u\rVert, \lVert g_m\rVert)\, g_m / \lVert g_m\rVert`
    with :math:`g_m = \nabla \text{mi\_loss}` (see :func:`adaptive_clip`).
    The gradient of ``mi_loss`` is taken with :func:`torch.autograd.grad`, so
    no other tensor's ``.grad`` changes (the critic's included). If the main
    loss and ``mi_loss`` share a graph, call the main ``backward`` with
    ``retain_graph=True``.

    Parameters
    ----------
    parameters : iterable of torch.Tensor
        The network's parameters (e.g. ``generator.parameters()``).
    mi_loss : torch.Tensor
        Scalar the network *minimises* for MI: ``-beta * regularizer(x, c)`` to
        maximise MI, ``+beta * regularizer(x, c)`` to minimise it.
    retain_graph : bool, default=None
        Passed to :func:`torch.autograd.grad`.

    Returns
    -------
    torch.Tensor
        The factor applied to :math:`g_m`, ``min(||g_u||, ||g_m||) / ||g_m||``
        (0-d tensor), e.g. to log how much the MI term was held back.

    Examples
    --------
    >>> import torch
    >>> from sknmi.regularizers import adaptive_clip_grad_
    >>> w = torch.tensor([1.0, 1.0], requires_grad=True)
    >>> (w[0] * 1.0).backward()            # g_u = (1, 0)
    >>> scale = adaptive_clip_grad_([w], (w * torch.tensor([3.0, 4.0])).sum())
    >>> w.grad                             # (1, 0) + (3, 4) / 5
    tensor([1.6000, 0.8000])
    """
    params = [p for p in parameters if p.requires_grad]
    if not params:
        raise ValueError("no parameter requires a gradient")
    mi_grads = torch.autograd.grad(
        mi_loss, params, retain_graph=retain_graph, allow_unused=True
    )
    reference = [p.grad for p in params]
    scale = _adaptive_scale(mi_grads, reference)
    for p, g in zip(params, adaptive_clip(mi_grads, reference)):
        if g is None:
            continue
        if p.grad is None:
            p.grad = g.detach().clone()
        else:
            p.grad.add_(g.detach())
    return scale.detach()
