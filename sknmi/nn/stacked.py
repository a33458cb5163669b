"""Stacked critics: K critics of one architecture as one module.

Cross-fitting trains one critic per fold. Trained one after the other, each
small critic pays Python, autograd and optimiser overhead per layer; stacked,
their weights lie along a leading axis of size K and every layer is one
batched matrix product (:func:`torch.baddbmm`) for all of them, and one
optimiser step updates all of them at once.

Member ``k`` sees only its own inputs: ``members_forward(x, z)`` takes ``x`` of
shape ``(K, n, d_x)`` and returns ``(K, n)`` scores, row ``k`` computed by the
weights of member ``k`` alone, so the gradient of a sum of per-member losses is
each member's own gradient. ``forward(x, z)`` on ``(n, d)`` inputs is the
ensemble: the mean score of the members, what a fitted estimator keeps to
score new data.

Every stack has ``member(k)``, an ordinary critic holding a copy of member
``k``'s weights, and ``member_tensors(k)``, views of member ``k``'s parameters
and buffers (early stopping keeps each member's best state with them).
"""

import torch
from torch import nn

from sknmi.nn.critics import ACTIVATIONS, MLP, ConcatCritic, SeparableCritic
from sknmi.nn.pairs import scores_all_pairs


class StackedMLP(nn.Module):
    """K multi-layer perceptrons of one shape, weights stacked on a leading axis.

    Parameters
    ----------
    mlps : sequence of MLP
        Members with the same layer widths and activation; their weights are
        copied.

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import MLP
    >>> from sknmi.nn.stacked import StackedMLP
    >>> mlps = [MLP(3, (8,), 2) for _ in range(4)]
    >>> StackedMLP(mlps)(torch.zeros(4, 5, 3)).shape
    torch.Size([4, 5, 2])
    """

    def __init__(self, mlps):
        super().__init__()
        linears = [[m for m in mlp if isinstance(m, nn.Linear)] for mlp in mlps]
        activations = [m for m in mlps[0] if not isinstance(m, nn.Linear)]
        self.activation = activations[0] if activations else nn.Identity()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for layer in zip(*linears):
            # Linear keeps (out, in); a batched product wants (K, in, out).
            w = torch.stack([lin.weight.detach().T for lin in layer]).contiguous()
            b = torch.stack([lin.bias.detach()[None, :] for lin in layer])
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b.contiguous()))

    @property
    def n_members(self):
        return self.weights[0].shape[0]

    def forward(self, x):
        """``(K, n, in)`` (or ``(n, in)``, shared by all members) -> ``(K, n, out)``."""
        if x.ndim == 2:
            x = x.expand(self.n_members, *x.shape)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < last:
                x = self.activation(x)
        return x

    def to_mlp(self, k):
        """Member ``k`` as an :class:`~sknmi.nn.MLP` (a copy of its weights)."""
        sizes = [w.shape[2] for w in self.weights]
        activation = next(
            name
            for name, cls in ACTIVATIONS.items()
            if type(self.activation) is cls  # noqa: E721
        )
        # Its random initialisation is overwritten: keep the caller's RNG as it was.
        with torch.random.fork_rng(devices=[]):
            mlp = MLP(self.weights[0].shape[1], sizes[:-1], sizes[-1], activation)
        # In the stack's type before the copy: float64 weights must not pass
        # through float32.
        mlp = mlp.to(self.weights[0].device, self.weights[0].dtype)
        linears = [m for m in mlp if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for lin, w, b in zip(linears, self.weights, self.biases):
                lin.weight.copy_(w[k].T)
                lin.bias.copy_(b[k, 0])
        return mlp


class CriticStack(nn.Module):
    """The face every stack of K critics shares.

    ``members_forward(x, z)`` scores member ``k`` on its own rows ``x[k],
    z[k]``; ``forward(x, z)`` on ``(n, d)`` inputs is the members' mean score
    (the ensemble); ``member(k)`` is member ``k`` as an ordinary critic;
    ``member_tensors(k)`` are views of its parameters and buffers. Made by
    :func:`stack_critics`.

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import CriticStack, SeparableCritic, stack_critics
    >>> stack = stack_critics([SeparableCritic(2, 2, (8,)) for _ in range(3)])
    >>> x, z = torch.zeros(4, 2), torch.zeros(4, 2)
    >>> isinstance(stack, CriticStack), stack(x, z).shape
    (True, torch.Size([4]))
    """

    def __init__(self):
        super().__init__()

    def forward(self, x, z):
        """The members' mean score on shared rows.

        Parameters
        ----------
        x : torch.Tensor of shape (n, x_features)
            Rows of x.
        z : torch.Tensor of shape (n, z_features)
            Rows of z.

        Returns
        -------
        torch.Tensor of shape (n,)
        """
        return self.members_forward(x, z).mean(0)

    def member_tensors(self, k):
        """Views of member ``k``'s parameters and buffers (writable in place).

        Parameters
        ----------
        k : int
            The member.

        Returns
        -------
        list of torch.Tensor
        """
        return [t[k] for t in self._stacked_tensors()]

    def step_scales(self, scales):
        """``(parameter, scale)`` pairs that train member ``k`` at ``scales[k]``
        times the optimiser's rate (see ``sknmi._neural.training``).

        Parameters
        ----------
        scales : sequence of float
            One factor per member.

        Returns
        -------
        list of (torch.nn.Parameter, torch.Tensor)
        """
        pairs = []
        for p in self.parameters():
            s = torch.as_tensor(scales, dtype=p.dtype, device=p.device)
            pairs.append((p, s.view(-1, *[1] * (p.ndim - 1))))
        return pairs

    def _stacked_tensors(self):
        return list(self.parameters())


class StackedSeparableCritic(CriticStack):
    """K separable critics, ``T_k(x, z)`` the inner product of two embeddings.

    Parameters
    ----------
    members : sequence of SeparableCritic
        Critics of one architecture; their weights are copied.

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import SeparableCritic
    >>> from sknmi.nn.stacked import StackedSeparableCritic
    >>> members = [SeparableCritic(3, 2, (8,), embedding_dim=4) for _ in range(3)]
    >>> stack = StackedSeparableCritic(members)
    >>> x, z = torch.randn(3, 5, 3), torch.randn(3, 5, 2)
    >>> stack.members_score_matrix(x, z).shape
    torch.Size([3, 5, 5])
    >>> one = members[1](x[1], z[1])
    >>> torch.allclose(stack.members_forward(x, z)[1], one, atol=1e-6)
    True
    """

    all_pairs = True

    def __init__(self, members):
        super().__init__()
        self.f = StackedMLP([m.f for m in members])
        self.g = StackedMLP([m.g for m in members])

    @property
    def n_members(self):
        return self.f.n_members

    def members_forward(self, x, z):
        """Each member's scores of its own rows.

        Parameters
        ----------
        x : torch.Tensor of shape (K, n, x_features)
            Member ``k``'s rows of x in ``x[k]`` (or ``(n, x_features)``
            shared by all members).
        z : torch.Tensor of shape (K, n, z_features)
            Member ``k``'s rows of z in ``z[k]`` (or shared).

        Returns
        -------
        torch.Tensor of shape (K, n)
        """
        return (self.f(x) * self.g(z)).sum(-1)

    def members_score_matrix(self, x, z):
        """All pairs of each member's own rows.

        Parameters
        ----------
        x : torch.Tensor of shape (K, n, x_features)
            Member ``k``'s rows of x in ``x[k]``.
        z : torch.Tensor of shape (K, m, z_features)
            Member ``k``'s rows of z in ``z[k]``.

        Returns
        -------
        torch.Tensor of shape (K, n, m)
            ``f_k(x[k]) @ g_k(z[k]).T`` for each member.
        """
        return torch.bmm(self.f(x), self.g(z).transpose(1, 2))

    def score_matrix(self, x, z):
        """All pairs of shared rows, scored by the members' mean.

        Parameters
        ----------
        x : torch.Tensor of shape (n, x_features)
            Rows of x.
        z : torch.Tensor of shape (m, z_features)
            Rows of z.

        Returns
        -------
        torch.Tensor of shape (n, m)
        """
        return self.members_score_matrix(x, z).mean(0)

    def member(self, k):
        """Member ``k`` as a :class:`~sknmi.nn.SeparableCritic` (a copy of its weights).

        Parameters
        ----------
        k : int
            The member.

        Returns
        -------
        SeparableCritic
        """
        critic = SeparableCritic.__new__(SeparableCritic)
        nn.Module.__init__(critic)
        critic.f, critic.g = self.f.to_mlp(k), self.g.to_mlp(k)
        return critic


class StackedConcatCritic(CriticStack):
    """K concat critics, ``T_k(x, z)`` an MLP of the concatenated pair.

    Parameters
    ----------
    members : sequence of ConcatCritic
        Critics of one architecture; their weights are copied.

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import ConcatCritic
    >>> from sknmi.nn.stacked import StackedConcatCritic
    >>> stack = StackedConcatCritic([ConcatCritic(3, 2, (8,)) for _ in range(2)])
    >>> stack.members_forward(torch.zeros(2, 5, 3), torch.zeros(2, 5, 2)).shape
    torch.Size([2, 5])
    """

    all_pairs = False

    def __init__(self, members):
        super().__init__()
        self.net = StackedMLP([m.net for m in members])

    @property
    def n_members(self):
        return self.net.n_members

    def members_forward(self, x, z):
        """Each member's scores of its own rows.

        Parameters
        ----------
        x : torch.Tensor of shape (K, n, x_features)
            Member ``k``'s rows of x in ``x[k]`` (or ``(n, x_features)``
            shared by all members).
        z : torch.Tensor of shape (K, n, z_features)
            Member ``k``'s rows of z in ``z[k]`` (or shared).

        Returns
        -------
        torch.Tensor of shape (K, n)
        """
        if x.ndim == 2:
            x = x.expand(self.n_members, *x.shape)
        if z.ndim == 2:
            z = z.expand(self.n_members, *z.shape)
        return self.net(torch.cat([x, z], dim=-1)).squeeze(-1)

    def member(self, k):
        """Member ``k`` as a :class:`~sknmi.nn.ConcatCritic` (a copy of its weights).

        Parameters
        ----------
        k : int
            The member.

        Returns
        -------
        ConcatCritic
        """
        critic = ConcatCritic.__new__(ConcatCritic)
        nn.Module.__init__(critic)
        critic.net = self.net.to_mlp(k)
        return critic


class CriticEnsemble(CriticStack):
    """Any K critics side by side: the stack of critics that cannot be fused.

    A user's own critic module has no known layout to stack, so its members
    stay separate modules called one after the other; the interface is that
    of the stacked critics. Its ``forward`` is the mean score of the members,
    and it scores all pairs (``all_pairs``, ``score_matrix``) when every
    member does.

    Parameters
    ----------
    members : sequence of torch.nn.Module
        Critics with the same inputs.

    Examples
    --------
    >>> import torch
    >>> from sknmi.nn import CriticEnsemble, SeparableCritic
    >>> members = [SeparableCritic(3, 2, (8,), embedding_dim=4) for _ in range(3)]
    >>> ensemble = CriticEnsemble(members)
    >>> x, z = torch.zeros(5, 3), torch.zeros(5, 2)
    >>> ensemble(x, z).shape, ensemble.score_matrix(x, z).shape
    (torch.Size([5]), torch.Size([5, 5]))
    """

    def __init__(self, members):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.all_pairs = bool(len(members)) and all(
            scores_all_pairs(m) for m in members
        )

    @property
    def n_members(self):
        return len(self.members)

    def members_forward(self, x, z):
        """Each member's scores of its own rows.

        Parameters
        ----------
        x : torch.Tensor of shape (K, n, x_features)
            Member ``k``'s rows of x in ``x[k]`` (or ``(n, x_features)``
            shared by all members).
        z : torch.Tensor of shape (K, n, z_features)
            Member ``k``'s rows of z in ``z[k]`` (or shared).

        Returns
        -------
        torch.Tensor of shape (K, n)
        """
        return torch.stack(
            [m(*_member_inputs(k, x, z)) for k, m in enumerate(self.members)]
        )

    def members_score_matrix(self, x, z):
        """Each member's all-pairs scores of its own rows; for members that all
        score every pair (``all_pairs``).

        Parameters
        ----------
        x : torch.Tensor of shape (K, n, x_features)
            Member ``k``'s rows of x in ``x[k]`` (or shared by all members).
        z : torch.Tensor of shape (K, m, z_features)
            Member ``k``'s rows of z in ``z[k]`` (or shared).

        Returns
        -------
        torch.Tensor of shape (K, n, m)
        """
        self._need_all_pairs()
        return torch.stack(
            [
                m.score_matrix(*_member_inputs(k, x, z))
                for k, m in enumerate(self.members)
            ]
        )

    def score_matrix(self, x, z):
        """The members' mean all-pairs scores; for members that all score every
        pair (``all_pairs``).

        Parameters
        ----------
        x : torch.Tensor of shape (n, x_features)
            Rows of x.
        z : torch.Tensor of shape (m, z_features)
            Rows of z.

        Returns
        -------
        torch.Tensor of shape (n, m)
        """
        return self.members_score_matrix(x, z).mean(0)

    def _need_all_pairs(self):
        if not self.all_pairs:
            raise ValueError(
                "these critics do not all have score_matrix: score pairs "
                "with members_forward"
            )

    def member(self, k):
        """Member ``k`` itself (not a copy).

        Parameters
        ----------
        k : int
            The member.

        Returns
        -------
        torch.nn.Module
        """
        return self.members[k]

    def step_scales(self, scales):
        return [
            (p, torch.tensor(float(s), dtype=p.dtype, device=p.device))
            for s, m in zip(scales, self.members)
            for p in m.parameters()
        ]

    def member_tensors(self, k):
        state = self.members[k].state_dict(keep_vars=True)
        return [t.data for t in state.values() if isinstance(t, torch.Tensor)]


def _member_inputs(k, x, z):
    return (x[k] if x.ndim == 3 else x), (z[k] if z.ndim == 3 else z)


def stack_critics(members):
    """One stack of ``members``: fused when they are built-in critics of one shape.

    Parameters
    ----------
    members : sequence of torch.nn.Module
        Critics with the same inputs, e.g. one per cross-fitting fold.

    Returns
    -------
    StackedSeparableCritic, StackedConcatCritic or CriticEnsemble

    Examples
    --------
    >>> from sknmi.nn import SeparableCritic
    >>> from sknmi.nn.stacked import stack_critics
    >>> stack = stack_critics([SeparableCritic(2, 2, (8,)) for _ in range(3)])
    >>> type(stack).__name__, stack.n_members
    ('StackedSeparableCritic', 3)
    """
    kinds = {type(m) for m in members}
    if len(kinds) == 1 and _same_shapes(members):
        kind = kinds.pop()
        if kind is SeparableCritic:
            return StackedSeparableCritic(members)
        if kind is ConcatCritic:
            return StackedConcatCritic(members)
    return CriticEnsemble(members)


def _same_shapes(members):
    shapes = [tuple(p.shape for p in m.parameters()) for m in members]
    return all(s == shapes[0] for s in shapes)
