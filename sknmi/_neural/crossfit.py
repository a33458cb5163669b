"""The cross-fitting engine: stacked fold critics trained and read on their folds.

Cross-fitting cuts the rows into K folds (:mod:`sknmi._folds`); critic ``k``
trains on the other folds and reads only fold ``k``, so every row is read by
a critic that never saw it. The K critics are one stacked module
(:mod:`sknmi.nn.stacked`) trained by the one loop of :mod:`sknmi._neural.training`:
:class:`CrossFit` is the game it plays. Each member keeps the state of its own
best epoch. The read-out gives per-row terms on the held-out rows, which
:func:`sknmi._stats.interval` turns into ``mi_`` and its 95% interval.

Nothing here knows a scikit-learn estimator: the estimator hands over tensors,
folds, a stack of critics and a row of :data:`sknmi.bounds.BOUNDS`.
"""

import contextlib
import copy
import functools

import torch

from sknmi.nn import held_out_scores, pair_scores, scores_all_pairs
from sknmi.nn.pairs import all_pair_scores

# Held-out negatives per row: all-pairs critics, one-pass critics; cap on the
# rows x negatives scored at once.
_NEGATIVES_ALL_PAIRS = 255
_NEGATIVES_PER_PASS = 16
_MAX_PAIRS = 2**22
# Per-epoch validation reads this many held-out rows of each fold (a fixed
# subsample) with at most this many negatives; the full read-out comes once,
# after training.
_VALIDATION_ROWS = 2048
_VALIDATION_NEGATIVES = 31


def held_out_negatives(critic, spec, batch_size, n):
    """Negatives per held-out row: many for an all-pairs critic, a few otherwise.

    A critic with ``score_matrix`` gets ``k + 1``-row chunks for the price of
    one product; a critic that scores pair by pair pays a pass per negative.
    An all-pairs objective (InfoNCE) is read with at least as many candidates
    as it trained with.
    """
    k = _NEGATIVES_ALL_PAIRS if scores_all_pairs(critic) else _NEGATIVES_PER_PASS
    if spec.all_pairs:
        k = max(k, batch_size - 1)
    return max(1, min(k, n - 1, _MAX_PAIRS // max(n, 1)))


# -- the engine ------------------------------------------------------------------


class CrossFit:
    """K stacked critics, each trained on its folds and read on the rows it never saw.

    The game of :func:`sknmi._neural.training.train`: ``loss`` scores the
    same batch positions of every member's own training rows (one stacked
    forward pass), ``validate`` reads a fixed subsample of each member's
    held-out rows (the loop's early stopping keeps each member's best state),
    and :meth:`scores` reads member ``k`` on any of its rows.

    Parameters
    ----------
    stack : module from :func:`sknmi.nn.stack_critics`
        The K critics.
    X, Z : torch.Tensor of shape (n, d_x), (n, d_z)
        Preprocessed rows, on the training device.
    folds : list of (train_rows, read_rows)
        One pair of index arrays per member.
    spec : sknmi.bounds.Bound
        How the critics train and read: one training objective per member
        (``spec.train``, a function of the scores or a module with state)
        and the quick per-epoch read-out (``spec.read(quick=True)``).
    batch_size : int
        Rows per member per step.
    generator : torch.Generator
        Source of the derangements.
    clip : float, default=5.0
        SMILE's threshold.
    ema_decay : float, default=0.99
        MINE's moving-average weight of the old average.
    autocast : torch.dtype or None, default=None
        The float type of the training step's matrix products (``torch.autocast``
        on the rows' device); the scores are cast back to float32 before the
        objective, and validation and read-outs never use it.
    tolerant : bool, default=False
        A race of candidate rates: a member that blows up drops out (its
        best stays -inf) instead of stopping the others, and the loop
        watches the median member.
    plausible : callable or None, default=None
        The loop's guard of a per-epoch read-out (see
        :func:`sknmi._neural.diagnostics.plausible`).
    columns : list of (x_cols, z_cols) or None, default=None
        Several problems side by side: member ``k`` sees the columns
        ``x_cols`` of ``X`` and ``z_cols`` of ``Z`` (index arrays of one
        width for all members); None: every column.
    groups : list of list of int or None, default=None
        The members of each problem: the loop then watches one score per
        problem (its folds' size-weighted mean), each with a patience of
        its own. None: one problem of all members.
    """

    adversaries = ()

    def __init__(
        self,
        stack,
        X,
        Z,
        folds,
        spec,
        batch_size,
        generator,
        *,
        clip=5.0,
        ema_decay=0.99,
        autocast=None,
        tolerant=False,
        plausible=None,
        columns=None,
        groups=None,
    ):
        device = X.device
        # A race of candidate rates: a candidate whose members blow up drops
        # out (its best stays -inf) instead of stopping the others.
        self.tolerant = tolerant
        self.stack, self.X, self.Z = stack, X, Z
        # Built once: the float32 step enters a no-op context, nothing more.
        self._products = (
            functools.partial(torch.autocast, X.device.type, dtype=autocast)
            if autocast is not None
            else contextlib.nullcontext
        )
        objectives = [spec.train(clip, ema_decay) for _ in folds]
        self.spec = spec
        self.quick_read = spec.read(clip, quick=True)
        self.generator = generator
        self.n_members = len(folds)
        self._rows(folds, groups, columns, device)
        self.all_pairs = scores_all_pairs(stack) or spec.all_pairs
        self.batch_size = batch_size
        self._matrix_objective = (
            spec.train_matrix()
            if self.all_pairs and not isinstance(objectives[0], torch.nn.Module)
            else None
        )
        modules = {"critic": stack}
        if isinstance(objectives[0], torch.nn.Module):
            modules["objective"] = torch.nn.ModuleList(objectives).to(device)
        self.model = torch.nn.ModuleDict(modules)
        # The per-epoch validation's fixed rows and negatives.
        m = min(self.smallest_read, _VALIDATION_ROWS)
        self._val_rows = torch.stack([r[:m] for r in self.read_rows])
        self._val_negatives = min(
            held_out_negatives(stack, spec, batch_size, m), _VALIDATION_NEGATIVES
        )
        if spec.all_pairs:
            self._val_negatives = held_out_negatives(stack, spec, batch_size, m)
        # Each member's parameters and buffers: the loop's early stopping keeps
        # each one's best state.
        self.members = [stack.member_tensors(k) for k in range(self.n_members)]
        self.plausible = plausible
        # What trains: at first every member; members of problems that stopped
        # leave it (drop), while the reads keep every member (stack, rows).
        self._training = _Training(
            stack, self.train_rows, self._val_rows, self._columns, self.weights
        )
        self._training.objectives, self._training.groups = objectives, groups
        if groups is not None:
            # Several problems: each member's step is scaled (its problem's
            # rate and plateaus, see sknmi._neural.training).
            self.step_scales = stack.step_scales([1.0] * self.n_members)

    def _rows(self, folds, groups, columns, device):
        # Equal training parts (folds differ by a row at most): the same batch
        # positions index every member's rows, so a step is one stacked pass.
        self.n_samples = min(len(train) for train, _ in folds)
        # int32 rows index as int64 do, at half the memory of this copy (the
        # largest index array of a fit), while every row number fits.
        index = torch.int32 if len(self.X) < 2**31 else torch.int64
        self.train_rows = torch.stack(
            [
                torch.as_tensor(t[: self.n_samples], dtype=index, device=device)
                for t, _ in folds
            ]
        )
        self.read_rows = [torch.as_tensor(r, device=device) for _, r in folds]
        self.smallest_read = min(len(r) for r in self.read_rows)
        # Each problem's folds weighted by their held-out rows, within it.
        self.weights = torch.tensor(
            [len(r) for r in self.read_rows], dtype=torch.float64, device=device
        )
        for members in groups or [range(len(folds))]:
            members = list(members)
            self.weights[members] = self.weights[members] / self.weights[members].sum()
        self._columns = None
        if columns is not None:
            self._columns = [
                torch.stack([torch.as_tensor(c[i], device=device) for c in columns])
                for i in (0, 1)
            ]

    # -- the game ----------------------------------------------------------------

    def _pair(self, rows, k=None):
        """X and Z of ``rows`` (of every training member, or of member ``k``),
        each member's own columns."""
        columns = self._columns if k is not None else self._training.columns
        if columns is None:
            return self.X[rows], self.Z[rows]
        x_cols, z_cols = (c if k is None else c[k] for c in columns)
        # Rows (K, n, 1) against columns (K, 1, d): only the cells a member sees.
        rows = rows.unsqueeze(-1)
        return (
            self.X[rows, x_cols.unsqueeze(-2)],
            self.Z[rows, z_cols.unsqueeze(-2)],
        )

    def loss(self, batch):
        rows = self._training.rows[:, batch]
        x, z = self._pair(rows)
        stack = self._training.stack
        if self._matrix_objective is not None:
            # All pairs through one function of the score matrix: no masked copy.
            with self._products():
                scores = all_pair_scores(stack, x, z)
            values = self._matrix_objective(scores.float())
            return self._total(values)
        with self._products():
            joint, marginal = pair_scores(
                stack,
                x,
                z,
                negatives="all" if self.all_pairs else "derangement",
                generator=self.generator,
            )
        values = self._objective(joint.float(), marginal.float())
        return self._total(values)

    def _total(self, values):
        # The members share no parameter: the sum's gradient is each one's own.
        if self.tolerant or self.groups is not None:
            values = torch.where(torch.isfinite(values), values, 0.0)
            return -values.sum(), {"bound": values.median()}
        return -values.sum(), {"bound": values.mean()}

    def _objective(self, joint, marginal):
        """Each member's objective on its scores, shape (K,)."""
        objectives = self._training.objectives
        k = len(objectives)
        if self.spec.additive and self.groups is not None:
            # Each member's own mean of per-pair terms, so that a member that
            # blows up is masked alone.
            terms = objectives[0](
                joint.reshape(-1),
                marginal.reshape(k * joint.shape[1], -1),
                reduction="none",
            )
            return terms.reshape(k, -1).mean(1)
        if self.spec.additive:
            # A mean of per-pair terms over equal batches: one pooled call.
            pooled = objectives[0](
                joint.reshape(-1), marginal.reshape(k * joint.shape[1], -1)
            )
            return pooled.expand(k)
        return torch.stack(
            [obj(joint[i], marginal[i]) for i, obj in enumerate(objectives)]
        )

    def validate(self):
        """Each member's held-out objective, shape (K,), and the epoch's logs."""
        training = self._training
        joint, marginal = held_out_scores(
            training.stack,
            *self._pair(training.val_rows),
            negatives=self._val_negatives,
        )
        values = torch.stack(
            [obj(joint[i], marginal[i]) for i, obj in enumerate(training.objectives)]
        ).double()
        if self.spec.stacked_quick_readout:
            mi = self.quick_read(joint, marginal).double()
        else:
            mi = torch.stack(
                [self.quick_read(joint[i], marginal[i]) for i in range(len(values))]
            ).double()
        if self.tolerant and not torch.isfinite(values).any():
            return values, {"validation_bound": values.mean()}
        if self.groups is not None:
            return values, {
                "validation_bound": self.watch(values).mean(),
                "validation_mi": self.watch(values, mi).mean(),
            }
        return values, {
            "validation_bound": self.watch(values),
            "validation_mi": self.watch(values, mi),
        }

    def watch(self, values, of=None):
        """The one score of the members' ``values`` that the loop watches: their
        size-weighted mean; in a race, the median of the finite members, which a
        candidate that blows up cannot move far. ``of``: the same summary of
        other per-member numbers, over the same members."""
        of = values if of is None else of
        if self.tolerant:
            ok = torch.isfinite(values) & torch.isfinite(of)
            return of[ok].median() if ok.any() else values.mean()
        weights, groups = self._training.weights, self._training.groups
        if groups is not None:
            return torch.stack([(weights[g] * of[g]).sum() for g in groups])
        return (weights * of).sum()

    @property
    def groups(self):
        """The members of each problem still training (None: one problem)."""
        return self._training.groups

    def drop(self, keep):
        """Keep only the problems at positions ``keep`` of :attr:`groups` in
        training (the loop's early stopping keeps the best states of the
        others). Returns the parameters replaced by their slices along the
        member axis (``(old, new)`` pairs), the positions kept, the state
        views of every member (where the reads look) and those of the
        members left, by member."""
        training = self._training
        if training.stack is self.stack:
            # From now on the reads look at a copy of every member, into which
            # the loop restores each one's best state.
            self.stack = copy.deepcopy(training.stack)
        positions = [k for i in keep for k in training.groups[i]]
        index = torch.as_tensor(positions, device=self.X.device)
        # New parameters: autograd keeps the shape of a leaf it has seen.
        sliced = []
        for module in training.stack.modules():
            for name, p in list(module._parameters.items()):
                if p is not None:
                    new = torch.nn.Parameter(p.detach()[index])
                    module._parameters[name] = new
                    sliced.append((p, new))
        training.rows, training.val_rows = (
            training.rows[index],
            training.val_rows[index],
        )
        if training.columns is not None:
            training.columns = [c[index] for c in training.columns]
        training.weights = training.weights[index]
        training.objectives = [training.objectives[k] for k in positions]
        training.ids = [training.ids[k] for k in positions]
        sizes = [len(training.groups[i]) for i in keep]
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        training.groups = [list(range(s, s + n)) for s, n in zip(starts, sizes)]
        live = [self.stack.member_tensors(k) for k in range(self.n_members)]
        sources = {
            k: training.stack.member_tensors(j) for j, k in enumerate(training.ids)
        }
        return sliced, positions, live, sources

    # -- after training ------------------------------------------------------------

    def scores(self, k, rows):
        """``(joint, marginal)`` of member ``k`` on ``rows`` (of its own row
        space), scored as held-out rows are."""
        member = self.stack.member(k)
        negatives = held_out_negatives(member, self.spec, self.batch_size, len(rows))
        x, z = self._pair(rows, k)
        return held_out_scores(member, x, z, negatives=negatives)

    def read(self):
        """Every member's held-out scores on every row of its fold."""
        return [self.scores(k, rows) for k, rows in enumerate(self.read_rows)]


class _Training:
    """The members of a :class:`CrossFit` that still train: their stacked
    critics, training and validation rows, columns, objectives, weights
    (within each problem), problems and original member numbers."""

    def __init__(self, stack, rows, val_rows, columns, weights):
        self.stack, self.rows, self.val_rows = stack, rows, val_rows
        self.columns, self.weights = columns, weights
        self.ids = list(range(len(rows)))
        self.objectives, self.groups = [], None
