"""The cross-fitting engine: folds, stacked fold critics, held-out terms, one interval.

Cross-fitting cuts the rows into K folds; critic ``k`` trains on the other
folds and reads only fold ``k``, so every row is read by a critic that never
saw it. The K critics are one stacked module (:mod:`sknmi.nn.stacked`)
trained by the one loop of :mod:`sknmi._training`: :class:`CrossFit` is the
game it plays. Each member keeps the state of its own best epoch. The read-out
gives per-row terms on the held-out rows, and :func:`interval` turns the
folds' terms into ``mi_`` and its 95% interval, for every estimator that
reads an MI from rows (the baselines' single "fold" included).

Nothing here knows a scikit-learn estimator: the estimator hands over tensors,
folds, a stack of critics and a row of :data:`sknmi.bounds.BOUNDS`.
"""

import contextlib
import functools
import math

import numpy as np
import torch
from scipy.stats import t as student_t
from sklearn.utils import check_random_state

from sknmi.nn import held_out_scores, pair_scores
from sknmi.nn.pairs import all_pair_scores

#: The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054
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
# Newton steps of the calibrated constant in each per-epoch validation.
_VALIDATION_SHIFT_STEPS = 8


# -- rows ------------------------------------------------------------------------


def split_rows(
    n, validation_fraction, random_state, n_seeds, *, contiguous=False, gap=0
):
    """Seeds for the modules and the batches, then a seeded train / held-out split.

    With ``contiguous`` the held-out rows are the last block of rows and the
    ``gap`` rows before it are left out of training (ordered data: a random
    split would hold out rows next to training rows); the training rows are
    still in random order, for the batches.

    Returns
    -------
    train_rows, val_rows : ndarray of int
    seeds : ndarray of ``n_seeds`` ints, drawn before the split
    """
    n_val = max(2, math.ceil(validation_fraction * n))
    n_train = n - n_val - (gap if contiguous else 0)
    if n_train < 2:
        raise ValueError(
            f"validation_fraction={validation_fraction}"
            + (f" and gap={gap}" if contiguous and gap else "")
            + f" leave {max(n_train, 0)} training rows of {n}; need at least 2"
        )
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_seeds)
    if contiguous:
        # The held-out block in random order: see fold_rows.
        return rng.permutation(n_train), rng.permutation(np.arange(n - n_val, n)), seeds
    order = rng.permutation(n)
    return order[n_val:], order[:n_val], seeds


def fold_rows(n, n_folds, random_state, n_seeds, *, contiguous=False, gap=0):
    """Seeds, then ``n_folds`` seeded cross-fitting folds of ``range(n)``.

    Parameters
    ----------
    n, n_folds : int
        Rows and folds.
    random_state : int, RandomState instance or None
        Seeds the folds, the training order and the seeds.
    n_seeds : int
        Seeds drawn before the folds.
    contiguous : bool, default=False
        Folds are consecutive blocks of rows (ordered data, such as a time
        series, where shuffled folds would read rows next to training rows).
    gap : int, default=0
        With ``contiguous``: rows on each side of a read block that its
        critic does not train on either, so that autocorrelation cannot leak
        across the boundary.

    Returns
    -------
    folds : list of (train_rows, read_rows)
        Each row is read in exactly one fold and trained on in the others
        (but the gaps); every part is in its own random order (with
        ``contiguous``, a block of rows in random order).
    seeds : ndarray of ``n_seeds`` ints, drawn before the folds
    """
    if n < 2 * n_folds:
        raise ValueError(
            f"n_folds={n_folds} needs at least {2 * n_folds} rows (2 per fold), got {n}"
        )
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_seeds)
    if contiguous:
        bounds = np.linspace(0, n, n_folds + 1).astype(int)
        folds = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            rows = np.arange(n)
            train = rows[(rows < a - gap) | (rows >= b + gap)]
            if len(train) < 2:
                raise ValueError(
                    f"gap={gap} leaves fewer than 2 training rows in a fold of "
                    f"{n} rows cut into {n_folds} blocks"
                )
            # The read block in random order: held-out negatives pair rows by
            # position (sknmi.nn.held_out_scores), and a row's neighbours in
            # time are not independent of it, so partners in time order would
            # read the dependence as part of the product of the marginals (on
            # a VAR(1) they took a sixth off the estimate).
            folds.append((rng.permutation(train), rng.permutation(rows[a:b])))
        return folds, seeds
    order = rng.permutation(n)
    fold_of = np.arange(n) % n_folds
    folds = [
        (rng.permutation(order[fold_of != k]), order[fold_of == k])
        for k in range(n_folds)
    ]
    return folds, seeds


def scrambled(n):
    """A fixed order of ``n`` rows that puts few neighbours next to each other.

    Held-out negatives pair each row with the next rows by position; on rows
    in time order those are its neighbours in time, not independent of it.
    Scoring the rows in this order (always the same for the same ``n``, so
    that a score stays a deterministic function of its input) pairs each row
    with rows from anywhere in the series.
    """
    return np.random.RandomState(0).permutation(n)


# -- the one interval --------------------------------------------------------------


def interval(values, terms, name="read-out"):
    """An estimate from K folds' per-row terms: the value, its 95% interval, the folds.

    The estimate is the size-weighted mean of the folds' values. Its variance
    adds two parts. The sampling error of the held-out rows comes from the
    per-row terms (the delta method: they are the first-order expansion of
    the read-out), on thousands of rows, so it is known well. The training
    noise of the critics (each trained on other rows from another seed) shows
    only in how far the folds' values spread beyond what their rows' sampling
    error explains: that excess, over K, is the second part. It rests on
    K - 1 degrees of freedom, so the quantile is Student's at the
    Welch-Satterthwaite degrees of freedom of the sum: K - 1 when the
    critics' noise dominates, the normal quantile when the sampling error
    does. With one fold it is the delta method.

    Parameters
    ----------
    values : sequence of float
        Each fold's read-out.
    terms : sequence of tensors or arrays
        Each fold's per-row terms (their mean is close to the fold's value).
    name : str
        What is read, for the error message.

    Returns
    -------
    mi : float
    (low, high) : tuple of float
    values : ndarray of shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi._crossfit import interval
    >>> rng = np.random.default_rng(0)
    >>> terms = [1.0 + rng.standard_normal(10_000) for _ in range(3)]
    >>> mi, (low, high), _ = interval([t.mean() for t in terms], terms)
    >>> round(mi, 2), round(high - low, 3)  # 2 x 1.96 / sqrt(30,000) = 0.023
    (1.0, 0.023)
    """
    values = np.asarray([float(v) for v in values])
    if not np.all(np.isfinite(values)):
        bad = values[~np.isfinite(values)][0]
        raise ValueError(
            f"the {name} read-out is not finite ({bad}); the critic "
            "diverged: try a smaller learning_rate_init or another bound"
        )
    terms = [torch.as_tensor(t).double().reshape(-1) for t in terms]
    sizes = np.array([len(t) for t in terms])
    n, k = int(sizes.sum()), len(values)
    mi = float(values @ sizes / n)
    squares = np.array([float(((t - t.mean()) ** 2).sum()) for t in terms])
    sampling = float(squares.sum()) / max(n - k, 1) / n
    half = Z95 * math.sqrt(sampling)
    if k > 1:
        per_fold = squares / np.maximum(sizes - 1, 1) / sizes
        spread = float(np.var(values, ddof=1))
        # The folds' spread beyond what their own rows' sampling explains.
        noise = max(0.0, spread - float(np.mean(per_fold)))
        half = half_width(sampling, noise, spread, k)
    return mi, (mi - half, mi + half), values


def long_run_variance(terms):
    r"""The variance of the mean of autocorrelated ``terms``, times their number.

    For independent terms it is their variance. Terms read from a time series
    are correlated with their neighbours, and the variance of their mean is
    then :math:`\gamma_0 + 2 \sum_k \gamma_k`; the Newey-West estimate
    weights the autocovariances :math:`\gamma_k` by the Bartlett kernel
    ``1 - k / (L + 1)`` up to ``L = floor(4 (n / 100)^(2/9))``, which keeps
    it positive.

    Parameters
    ----------
    terms : array-like of shape (n,)
        Per-row terms in time order.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi._crossfit import long_run_variance
    >>> rng = np.random.default_rng(0)
    >>> e = rng.standard_normal(100_000)
    >>> round(long_run_variance(e), 1)  # independent: the variance
    1.0
    >>> # 2 + 2 x 1 at lag 1 is 4; the Bartlett weight there (L = 18) is 18/19
    >>> round(long_run_variance(e[1:] + e[:-1]), 1)
    3.9
    """
    u = np.asarray(terms, dtype=np.float64)
    u = u - u.mean()
    n = len(u)
    lags = min(n - 1, int(4 * (n / 100) ** (2 / 9)))
    value = float(u @ u) / n
    for k in range(1, lags + 1):
        value += 2 * (1 - k / (lags + 1)) * float(u[k:] @ u[:-k]) / n
    return max(value, 0.0)


def half_width(sampling, noise, spread, k):
    """The 95% half-width of a mean of ``k`` critics' read-outs.

    Parameters
    ----------
    sampling : float
        The variance of the mean from the rows' sampling (well known: it
        rests on thousands of rows).
    noise : float
        One critic's training-noise variance, read from ``spread``.
    spread : float
        The critics' sample variance, on ``k - 1`` degrees of freedom.
    k : int
        Critics.

    Returns
    -------
    float
        Student's quantile at the Welch-Satterthwaite degrees of freedom of
        ``sampling + noise / k`` (only the spread is uncertain) times its
        square root: ``k - 1`` degrees of freedom when the noise dominates,
        the normal quantile when the sampling does.
    """
    total = sampling + noise / k
    if k == 1:
        return Z95 * math.sqrt(total)
    df = math.inf if spread <= 0 else (k - 1) * (total * k / spread) ** 2
    return float(student_t.ppf(0.975, max(df, k - 1))) * math.sqrt(total)


def held_out_negatives(critic, spec, batch_size, n):
    """Negatives per held-out row: many for an all-pairs critic, a few otherwise.

    A critic with ``score_matrix`` gets ``k + 1``-row chunks for the price of
    one product; a critic that scores pair by pair pays a pass per negative.
    An all-pairs objective (InfoNCE) is read with at least as many candidates
    as it trained with.
    """
    k = (
        _NEGATIVES_ALL_PAIRS
        if hasattr(critic, "score_matrix") or hasattr(critic, "members_score_matrix")
        else _NEGATIVES_PER_PASS
    )
    if spec.all_pairs:
        k = max(k, batch_size - 1)
    return max(1, min(k, n - 1, _MAX_PAIRS // max(n, 1)))


# -- the engine ------------------------------------------------------------------


class CrossFit:
    """K stacked critics, each trained on its folds and read on the rows it never saw.

    The game of :func:`sknmi._training.train`: ``loss`` scores the same batch
    positions of every member's own training rows (one stacked forward
    pass), ``validate`` reads a fixed subsample of each member's held-out rows
    and keeps each member's best state. After training, :meth:`keep_best`
    restores those states and :meth:`read` scores every held-out row.

    Parameters
    ----------
    stack : module from :func:`sknmi.nn.stack_critics`
        The K critics.
    X, Z : torch.Tensor of shape (n, d_x), (n, d_z)
        Preprocessed rows, on the training device.
    folds : list of (train_rows, read_rows)
        One pair of index arrays per member.
    spec : sknmi.bounds.Bound
        How the critics train and read.
    objectives : list
        One training objective per member (``spec.train(...)``): a function
        of the scores or a module with state.
    quick_read : callable
        The per-epoch read-out ``(joint, marginal)`` (``spec.read(quick=True)``).
    batch_size : int
        Rows per member per step.
    generator : torch.Generator
        Source of the derangements.
    autocast : torch.dtype or None, default=None
        The float type of the training step's matrix products (``torch.autocast``
        on the rows' device); the scores are cast back to float32 before the
        objective, and validation and read-outs never use it.
    """

    adversaries = ()

    def __init__(
        self,
        stack,
        X,
        Z,
        folds,
        spec,
        objectives,
        quick_read,
        batch_size,
        generator,
        autocast=None,
        tolerant=False,
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
        self.spec, self.objectives, self.quick_read = spec, objectives, quick_read
        self.generator = generator
        self.n_members = len(folds)
        # Equal training parts (folds differ by a row at most): the same batch
        # positions index every member's rows, so a step is one stacked pass.
        self.n_samples = min(len(train) for train, _ in folds)
        self.train_rows = torch.stack(
            [torch.as_tensor(t[: self.n_samples], device=device) for t, _ in folds]
        )
        self.read_rows = [torch.as_tensor(r, device=device) for _, r in folds]
        self.smallest_read = min(len(r) for r in self.read_rows)
        self.weights = torch.tensor(
            [len(r) for r in self.read_rows], dtype=torch.float64, device=device
        )
        self.weights = self.weights / self.weights.sum()
        self.all_pairs = hasattr(stack, "members_score_matrix") or spec.all_pairs
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
        self._best = torch.full((self.n_members,), -math.inf, dtype=torch.float64)
        self._kept = [
            [t.detach().clone() for t in stack.member_tensors(k)]
            for k in range(self.n_members)
        ]
        self.plausible = None
        # A race's per-member objectives of each validation (it compares them).
        self.member_history = []

    # -- the game ----------------------------------------------------------------

    def loss(self, batch):
        rows = self.train_rows[:, batch]
        if self._matrix_objective is not None:
            # All pairs through one function of the score matrix: no masked copy.
            with self._products():
                scores = all_pair_scores(self.stack, self.X[rows], self.Z[rows])
            values = self._matrix_objective(scores.float())
            return self._total(values)
        with self._products():
            joint, marginal = pair_scores(
                self.stack,
                self.X[rows],
                self.Z[rows],
                negatives="all" if self.all_pairs else "derangement",
                generator=self.generator,
            )
        values = self._objective(joint.float(), marginal.float())
        return self._total(values)

    def _total(self, values):
        # The members share no parameter: the sum's gradient is each one's own.
        if self.tolerant:
            values = torch.where(torch.isfinite(values), values, 0.0)
            return -values.sum(), {"bound": values.median()}
        return -values.sum(), {"bound": values.mean()}

    def _objective(self, joint, marginal):
        """Each member's objective on its scores, shape (K,)."""
        k = self.n_members
        if self.spec.additive:
            # A mean of per-pair terms over equal batches: one pooled call.
            pooled = self.objectives[0](
                joint.reshape(-1), marginal.reshape(k * joint.shape[1], -1)
            )
            return pooled.expand(k)
        return torch.stack(
            [obj(joint[i], marginal[i]) for i, obj in enumerate(self.objectives)]
        )

    def validate(self):
        rows = self._val_rows
        joint, marginal = held_out_scores(
            self.stack, self.X[rows], self.Z[rows], negatives=self._val_negatives
        )
        values = torch.stack(
            [obj(joint[i], marginal[i]) for i, obj in enumerate(self.objectives)]
        ).double()
        mi = torch.stack(
            [self.quick_read(joint[i], marginal[i]) for i in range(self.n_members)]
        ).double()
        self._keep_improved(values)
        self.member_history.append(values.cpu())
        w = self.weights
        if self.tolerant:
            # The loop's guards watch one number: the median of the finite
            # members, which a candidate that blows up cannot move far.
            ok = torch.isfinite(values) & torch.isfinite(mi)
            if not ok.any():
                return values.mean(), {"validation_bound": values.mean()}
            bound, mi = values[ok].median(), mi[ok].median()
            return bound, {"validation_bound": bound, "validation_mi": mi}
        bound, mi = (w * values).sum(), (w * mi).sum()
        return bound, {"validation_bound": bound, "validation_mi": mi}

    def _keep_improved(self, values):
        if self.n_members == 1:
            return  # the loop's own snapshot keeps the best state
        values = values.cpu()
        improved = values > self._best
        self._best = torch.where(improved, values, self._best)
        with torch.no_grad():
            for k in torch.nonzero(improved).flatten().tolist():
                for kept, live in zip(self._kept[k], self.stack.member_tensors(k)):
                    kept.copy_(live)

    # -- after training ------------------------------------------------------------

    def keep_best(self):
        """Give each member the state of its own best held-out epoch.

        The loop watches the members' mean, but folds peak at different
        epochs; each member's best was kept as it came.
        """
        if self.n_members == 1 or not torch.isfinite(self._best).all():
            return
        with torch.no_grad():
            for k in range(self.n_members):
                for kept, live in zip(self._kept[k], self.stack.member_tensors(k)):
                    live.copy_(kept)

    def scores(self, k, rows, negatives=None):
        """Held-out ``(joint, marginal)`` of member ``k`` on ``rows`` (all of them)."""
        member = self.stack.member(k)
        n = len(rows)
        if negatives is None:
            negatives = held_out_negatives(member, self.spec, self.batch_size, n)
        return held_out_scores(member, self.X[rows], self.Z[rows], negatives=negatives)

    def read(self):
        """Every member's held-out scores on every row of its fold."""
        return [self.scores(k, rows) for k, rows in enumerate(self.read_rows)]
