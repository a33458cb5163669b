"""The one minibatch training loop that every estimator uses.

Data live as tensors on the device; batches are index tensors (no DataLoader,
whose per-step overhead dominates small critics). Each epoch: one shuffled pass
of full batches, one validation, early stopping (:class:`EarlyStopping`: each
member's best state kept, restored at the end), and a guard that stops on NaN
or inf instead of returning them. Randomness comes only from the estimator's
own ``torch.Generator``.

The loop knows nothing of MI: it plays a *game*, an object with

- ``model``: the module holding every parameter of the game (what early
  stopping saves and restores);
- ``n_samples``: the number of training rows a batch indexes;
- ``loss(batch) -> (tensor, dict)``: the loss to minimise on the rows
  ``batch`` and scalar tensors to log (``history["train_<key>"]``);
- ``validate() -> (score, dict)``: run each epoch in ``eval()`` mode without
  gradients; higher ``score`` is better; the dict goes to ``history``;
- ``adversaries``: players with optimisers of their own (may be empty);
- ``plausible(logs) -> str or None``: a reason when the epoch's history values
  are impossible, treated as a divergence (may be None);
- ``step_scales`` (optional): ``(parameter, scale)`` pairs; each step of the
  main optimiser moves ``parameter`` by ``scale`` (a tensor that broadcasts
  against it) times Adam's step: members of a stacked module trained side by
  side at their own learning rates;
- ``members`` (optional): K lists of tensors, each member's parameters and
  buffers (views written in place). ``validate()`` then returns a score per
  member, shape (K,), and ``watch(scores)`` the one score that the patience
  and the schedule follow; each member keeps the state of its own best score.
  Without it the game is one member, its whole ``model``.

:class:`Game` builds one from functions; :class:`Settings` holds the
optimiser's and early stopping's parameters.
"""

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from sklearn.exceptions import ConvergenceWarning

from sknmi.exceptions import DivergenceError


@dataclass
class Adversary:
    """A player with its own Adam optimiser that takes a step before the main one.

    ``loss(batch)`` returns the tensor that the adversary *minimises* (a critic
    that maximises a bound returns the negated bound). Used for max-min games:
    the MI critic of an information bottleneck, a prior discriminator.
    """

    parameters: list
    loss: Callable
    learning_rate: float


@dataclass
class Game:
    """A game made of functions (see the module's docstring)."""

    model: torch.nn.Module
    n_samples: int
    loss: Callable
    validate: Callable
    adversaries: tuple = ()
    plausible: Callable | None = None


@dataclass
class Settings:
    """The optimiser's and early stopping's parameters of one training run.

    ``schedule``: "constant"; "cosine": the learning rate rises linearly
    over the first ``warmup`` share of the ``max_iter`` epochs' steps, then
    falls along a half cosine to ``final_fraction`` of itself at the last
    step; "plateau": no horizon fixed in advance: the rate rises linearly over
    the first epoch, then stays constant and is multiplied by
    ``plateau_factor`` after every ``plateau_patience`` epochs without an
    improvement of the held-out score, so that training runs as long as the
    held-out score improves and anneals when it stops (the main optimiser
    only; adversaries keep theirs).

    ``burn_in``: epochs at the start that early stopping does not judge (the
    state of the last of them is kept until a later epoch is scored); for a
    game whose loss changes over them, such as a weight warming up.
    """

    batch_size: int
    learning_rate: float
    max_iter: int
    alpha: float = 0.0
    early_stopping: bool = True
    n_iter_no_change: int = 10
    tol: float = 1e-4
    schedule: str = "constant"
    warmup: float = 0.05
    final_fraction: float = 0.05
    plateau_patience: int = 2
    plateau_factor: float = 0.25
    burn_in: int = 0
    verbose: int = 0
    name: str = "model"

    def rate(self, step, total, reductions=0):
        """The learning rate at ``step`` (from 0) of ``total`` steps, after
        ``reductions`` plateaus (``total`` is one epoch's steps for "plateau")."""
        if self.schedule == "constant":
            return self.learning_rate
        if self.schedule == "plateau":
            peak = self.learning_rate * self.plateau_factor**reductions
            return peak * min(1.0, (step + 1) / max(1, total))
        warm = max(1, int(self.warmup * total))
        if step < warm:
            return self.learning_rate * (step + 1) / warm
        progress = min(1.0, (step - warm) / max(1, total - warm))
        low = self.final_fraction
        return self.learning_rate * (
            low + (1 - low) * 0.5 * (1 + math.cos(math.pi * progress))
        )


@dataclass
class TrainingResult:
    """What a run of :func:`train` did: its history, the epochs run, the epoch
    whose watched score was best, how it ended, and each member's best score."""

    history: dict = field(default_factory=dict)
    n_iter: int = 0
    best_epoch: int = 0
    diverged: bool = False
    interrupted: bool = False
    member_best: list = field(default_factory=list)
    group_best: list = field(default_factory=list)
    group_problems: list = field(default_factory=list)


# A held-out score that moves this many times its first value's scale (plus one)
# has blown up: no real objective jumps by orders of magnitude between epochs.
_JUMP = 1e3


class EarlyStopping:
    """The one early stopping: each member's best state, and the patience of all.

    A game of K members (``game.members``: each member's state tensors,
    written in place) keeps every member's state at its own best held-out
    score, since members peak at different epochs; a game without members is
    one member, its whole model. The patience, the plateaus of the schedule
    and ``best_epoch`` follow the score the loop watches: one, or one per
    group of members (``game.groups``: the members of each of several
    problems trained side by side), each with a patience of its own; the
    loop goes on while any group improves. The kept states live in buffers
    of their own: no ``deepcopy`` each time a score improves.

    Parameters
    ----------
    members : list of list of torch.Tensor
        Each member's parameters and buffers.
    settings : Settings
        ``tol``, ``burn_in``.
    n_groups : int, default=1
        Watched scores per epoch.
    """

    def __init__(self, members, settings, n_groups=1):
        self._live = [list(m) for m in members]
        self._kept = [[t.detach().clone() for t in m] for m in self._live]
        # Where each member's state is read while it trains (its position in
        # the game, which drops the members of groups that stopped), and the
        # groups still in the game, in its order.
        self._source = dict(enumerate(self._live))
        self.active = list(range(n_groups))
        self.member_best = [-math.inf] * len(self._live)
        self.best_scores = [-math.inf] * n_groups
        self.best_epochs = [0] * n_groups
        self.waits = [0] * n_groups
        # A group that diverged: the reason, epoch and best epoch; it no
        # longer counts towards the patience.
        self.failed = [None] * n_groups
        self.tol, self.burn_in = settings.tol, settings.burn_in

    @property
    def best_epoch(self):
        """The epoch of the best watched score (the latest over groups)."""
        return max(self.best_epochs)

    @property
    def no_improvement(self):
        """Epochs since a watched score last improved: that of the group that
        improved last, among those that did not diverge."""
        waits = [w for w, f in zip(self.waits, self.failed) if f is None]
        return min(waits) if waits else math.inf

    def update(self, epoch, scores, member_scores):
        """Count the epoch: ``scores`` the watched ones (one per group),
        ``member_scores`` each member's (non-finite values never count as
        best)."""
        if epoch <= self.burn_in:
            # The objective is still changing (a loss weight warming up): keep
            # the latest state, and let the first epoch after it set the bar.
            n = len(self.best_scores)
            self.best_scores, self.waits = [-math.inf] * n, [0] * n
            self.best_epochs = [epoch] * n
            self.member_best = [-math.inf] * len(self._live)
            for k in range(len(self._live)):
                self._save(k)
            return
        for g, score in zip(self.active, scores):
            if score > self.best_scores[g] + self.tol:
                self.waits[g] = 0
            else:
                self.waits[g] += 1
            if score > self.best_scores[g]:
                self.best_scores[g], self.best_epochs[g] = score, epoch
        for k, value in zip(self._source, member_scores):
            if math.isfinite(value) and value > self.member_best[k]:
                self.member_best[k] = value
                self._save(k)

    def _save(self, k):
        with torch.no_grad():
            for kept, live in zip(self._kept[k], self._source[k]):
                kept.copy_(live)

    def stopped(self, patience):
        """The groups in the game whose patience ran out or that diverged."""
        return [
            g
            for g in self.active
            if self.failed[g] is not None or self.waits[g] >= patience
        ]

    def relink(self, active, live, sources):
        """After the game dropped members: the groups left, the views that the
        restore writes to (every member) and those of the members left."""
        self.active, self._live = active, [list(m) for m in live]
        self._source = {k: list(m) for k, m in sources.items()}

    def restore(self):
        """Give every member the state of its own best epoch."""
        with torch.no_grad():
            for kept_member, live_member in zip(self._kept, self._live):
                for kept, live in zip(kept_member, live_member):
                    live.copy_(kept)


def make_adam(parameters, learning_rate, alpha):
    """Adam stepping every parameter at once (fused, else foreach kernels).

    Many small parameter tensors stepped one by one cost more than the
    arithmetic: a fused step is one kernel launch for all of them.
    """
    parameters = list(parameters)
    try:
        return torch.optim.Adam(
            parameters, lr=learning_rate, weight_decay=alpha, fused=True
        )
    except (RuntimeError, ValueError):
        return torch.optim.Adam(
            parameters, lr=learning_rate, weight_decay=alpha, foreach=True
        )


def train(game, settings, *, generator, device):
    """Train ``game.model`` by Adam on minibatches of row indices.

    Parameters
    ----------
    game : Game or object with the same attributes
        What to train (see the module's docstring).
    settings : Settings
        Batch size, learning rate and schedule, epochs, early stopping,
        verbosity (1: a progress bar; 2 or more: a line per epoch).
    generator : torch.Generator
        The CPU source of the batches' order.
    device : torch.device
        Where the batch indices go.

    Returns
    -------
    TrainingResult

    Notes
    -----
    Training stops, restores the best state so far and warns when the loss or
    the held-out score is NaN or infinite, when the held-out score jumps by
    orders of magnitude, when ``game.plausible`` objects, or on
    ``KeyboardInterrupt`` (a long fit interrupted by the user keeps what it
    has learnt). When that happens in the first epoch there is no state worth
    keeping: a divergence raises :class:`DivergenceError` and an interrupt
    propagates.
    """
    steps = _Steps(game, settings, device)
    members = getattr(game, "members", None)
    groups = getattr(game, "groups", None)
    stopper = EarlyStopping(
        members if members is not None else [_state(game.model)],
        settings,
        1 if groups is None else len(groups),
    )
    result = TrainingResult(history={"epoch": [], "seconds": []})
    progress = _Progress(settings.name, settings.max_iter, settings.verbose)
    first_scales = [None] * len(stopper.best_scores)
    for epoch in range(1, settings.max_iter + 1):
        start = time.perf_counter()
        try:
            total, sums = steps.epoch(generator)
            game.model.eval()
            with torch.no_grad():
                scores, val_logs = game.validate()
        except KeyboardInterrupt:
            progress.close()
            if epoch == 1:
                raise
            return _stop(result, stopper, game, "interrupted", epoch, settings.name)
        watched = game.watch(scores) if members is not None else scores
        total, logged, (watched, member_scores) = _to_host(
            [total, *sums.values(), *val_logs.values()],
            [watched, scores if members is not None else watched],
            [*sums, *val_logs],
            device,
        )
        _record(result, epoch, start, steps.n_batches, sums, logged)
        scales = [first_scales[g] for g in stopper.active]
        for i, (g, score) in enumerate(zip(stopper.active, watched)):
            if first_scales[g] is None and math.isfinite(score):
                first_scales[g] = scales[i] = 1.0 + abs(score)
        problems = _problems(watched, total, scales, game, result.history)
        if groups is None and problems[0] is not None:
            progress.close()
            if stopper.best_epoch == 0:
                raise DivergenceError(
                    f"{settings.name}: training {problems[0]} at epoch {epoch}, "
                    "before any state worth keeping; try a smaller "
                    "learning_rate_init or another bound"
                )
            return _stop(result, stopper, game, problems[0], epoch, settings.name)
        _fail_groups(stopper, problems, epoch, settings.name)
        result.group_problems = stopper.failed
        stopper.update(epoch, watched, member_scores)
        result.best_epoch, result.member_best = stopper.best_epoch, stopper.member_best
        result.group_best = list(stopper.best_epochs)
        if groups is None:
            steps.plateau(stopper.no_improvement)
        else:
            steps.plateau_groups(stopper, game.groups)
            if settings.early_stopping:
                _drop_stopped(game, stopper, steps, settings.n_iter_no_change)
        progress.update(epoch, result.history)
        if stopper.no_improvement >= settings.n_iter_no_change:
            if settings.early_stopping:
                break
    else:
        _warn_unfinished(settings, stopper.best_epoch)
    progress.close()
    if settings.early_stopping:
        stopper.restore()
    game.model.eval()
    return result


def _state(module):
    return [t for t in module.state_dict(keep_vars=True).values()]


class _Steps:
    """The optimisers of a game and one epoch of their steps.

    The main Adam moves every parameter that no adversary owns (each member
    at its own scale, where the game asks for it), after each adversary's
    step; its rate follows ``settings``' schedule.
    """

    def __init__(self, game, settings, device):
        adversaries = tuple(getattr(game, "adversaries", ()) or ())
        owned = {id(p) for a in adversaries for p in a.parameters}
        main = [p for p in game.model.parameters() if id(p) not in owned]
        self.optimizer = make_adam(main, settings.learning_rate, settings.alpha)
        self.scaled = _ScaledSteps(getattr(game, "step_scales", None))
        self.adversaries = [
            (a, make_adam(a.parameters, a.learning_rate, settings.alpha))
            for a in adversaries
        ]
        self.game, self.settings, self.device = game, settings, device
        self.n_samples = game.n_samples
        self.batch_size = min(settings.batch_size, self.n_samples)
        self.n_batches = self.n_samples // self.batch_size
        # The plateau schedule warms up over the first epoch; the cosine spans all.
        self.total_steps = self.n_batches * (
            1 if settings.schedule == "plateau" else settings.max_iter
        )
        self.step, self.reductions = 0, 0
        # Each member's own rate, relative to the optimiser's: what the
        # plateaus of its group multiply.
        pairs = self.scaled.pairs
        self.base = (
            pairs[0][1].reshape(-1).clone() if pairs and pairs[0][1].ndim else None
        )
        self.group_reductions = {}

    def epoch(self, generator):
        """One shuffled pass of full batches: the summed loss and logs."""
        self.game.model.train()
        order = torch.randperm(self.n_samples, generator=generator)
        order = order[: self.n_batches * self.batch_size].view(
            self.n_batches, self.batch_size
        )
        sums, total = {}, 0.0
        for batch in order.to(self.device):
            for adversary, opt in self.adversaries:
                opt.zero_grad(set_to_none=True)
                adversary.loss(batch).backward()
                opt.step()
            if self.settings.schedule != "constant":
                rate = self.settings.rate(self.step, self.total_steps, self.reductions)
                for group in self.optimizer.param_groups:
                    group["lr"] = rate
            self.step += 1
            self.optimizer.zero_grad(set_to_none=True)
            value, logs = self.game.loss(batch)
            value.backward()
            self.scaled.before()
            self.optimizer.step()
            self.scaled.after()
            total = total + value.detach()
            for key, v in logs.items():
                v = v.detach()
                sums[key] = sums[key] + v if key in sums else v
        return total, sums

    def slice(self, replaced, positions):
        """Step the game's new parameters (``(old, new)`` pairs: ``new`` is
        ``old`` at the member ``positions`` of its leading axis) with the
        optimiser's state of those members."""
        new_of = {id(old): new for old, new in replaced}
        for group in self.optimizer.param_groups:
            group["params"] = [new_of.get(id(p), p) for p in group["params"]]
        for old, new in replaced:
            state = self.optimizer.state.pop(old, None)
            if state is not None:
                self.optimizer.state[new] = {
                    key: _rows(value, positions)
                    if key in ("exp_avg", "exp_avg_sq")
                    else value
                    for key, value in state.items()
                }
        self.scaled = _ScaledSteps(
            [
                (new_of.get(id(p), p), _rows(s, positions) if s.ndim else s)
                for p, s in self.scaled.pairs
            ]
        )
        if self.base is not None:
            self.base = _rows(self.base, positions)

    def plateau_groups(self, stopper, groups):
        """The plateau schedule of each group of members on its own: its
        members' steps scaled by ``plateau_factor`` after every
        ``plateau_patience`` epochs that its score did not improve."""
        if self.settings.schedule != "plateau" or self.base is None:
            return
        patience, factor = self.settings.plateau_patience, self.settings.plateau_factor
        scale = self.base.clone()
        for g, members in zip(stopper.active, groups):
            wait = stopper.waits[g]
            if wait and wait % patience == 0:
                self.group_reductions[g] = self.group_reductions.get(g, 0) + 1
            scale[members] *= factor ** self.group_reductions.get(g, 0)
        with torch.no_grad():
            for _, s in self.scaled.pairs:
                s.copy_(scale.to(s.dtype).view(s.shape))

    def plateau(self, no_improvement):
        """One more plateau of the rate after every ``plateau_patience``
        epochs without improvement."""
        patience = self.settings.plateau_patience
        if (
            self.settings.schedule == "plateau"
            and no_improvement
            and no_improvement % patience == 0
        ):
            self.reductions += 1


def _to_host(values, vectors, keys, device):
    """One transfer to the host for everything the epoch logged: the loss and
    the logs (named ``keys``), scalars, then ``vectors`` (the watched scores,
    the members' scores) as lists."""
    tensors = [
        torch.as_tensor(v, dtype=torch.float64, device=device).reshape(-1)
        for v in [*values, *vectors]
    ]
    host = torch.cat(tensors).cpu().tolist()
    n, parts, start = len(values), [], len(values)
    for t in tensors[n:]:
        parts.append(host[start : start + len(t)])
        start += len(t)
    return host[0], dict(zip(keys, host[1:n])), parts


def _record(result, epoch, start, n_batches, sums, logged):
    history = result.history
    result.n_iter = epoch
    history["epoch"].append(epoch)
    history["seconds"].append(time.perf_counter() - start)
    for key, v in logged.items():
        name = f"train_{key}" if key in sums else key
        history.setdefault(name, []).append(float(v / n_batches if key in sums else v))


def _problems(scores, total, first_scales, game, history):
    """Why the epoch's numbers cannot be trusted, or None, for each watched
    score. The training loss and the plausibility of the logs are one for
    the whole game: they judge a game of one group only."""
    one = len(scores) == 1
    plausible = getattr(game, "plausible", None)
    out = []
    for score, scale in zip(scores, first_scales):
        if not (math.isfinite(score) and (math.isfinite(total) or not one)):
            out.append("produced NaN or inf")
        elif abs(score) > _JUMP * scale:
            out.append(f"blew up (held-out score {score:.4g})")
        elif one and plausible is not None:
            out.append(plausible({k: v[-1] for k, v in history.items()}))
        else:
            out.append(None)
    return out


def _drop_stopped(game, stopper, steps, patience):
    """Members of groups that stopped leave the game (their best states are
    kept): a step then costs only what the groups still learning need."""
    stopped = set(stopper.stopped(patience))
    drop = getattr(game, "drop", None)
    if not stopped or drop is None or len(stopped) == len(stopper.active):
        return
    keep = [i for i, g in enumerate(stopper.active) if g not in stopped]
    sliced, positions, live, sources = drop(keep)
    steps.slice(sliced, positions)
    stopper.relink([stopper.active[i] for i in keep], live, sources)


def _fail_groups(stopper, problems, epoch, name):
    """Of several groups, those whose numbers cannot be trusted stop: each
    keeps its best state (restored with the others at the end) and no longer
    holds the loop; one that diverged before any state worth keeping raises."""
    for g, problem in zip(stopper.active, problems):
        if problem is None or stopper.failed[g] is not None:
            continue
        if stopper.best_epochs[g] == 0:
            raise DivergenceError(
                f"{name}: training of problem {g} {problem} at epoch {epoch}, "
                "before any state worth keeping; try a smaller "
                "learning_rate_init or another bound"
            )
        stopper.failed[g] = (problem, epoch, stopper.best_epochs[g])


def _stop(result, stopper, game, problem, epoch, name):
    """Restore each member's best state after a divergence or an interrupt."""
    stopper.restore()
    game.model.eval()
    if problem == "interrupted":
        result.interrupted = True
        message = f"{name}: interrupted at epoch {epoch}; kept the state of epoch "
        warnings.warn(message + f"{stopper.best_epoch}.", RuntimeWarning, stacklevel=4)
        return result
    result.diverged = True
    warnings.warn(
        f"{name}: training {problem} at epoch {epoch}; stopped and "
        f"restored the state of epoch {stopper.best_epoch} "
        "(try a smaller learning_rate_init or another bound).",
        RuntimeWarning,
        stacklevel=4,
    )
    return result


def _warn_unfinished(settings, best_epoch):
    # The cosine schedule anneals into its last epoch by design; the others
    # stop on their own when the held-out score does.
    if settings.early_stopping and settings.schedule != "cosine":
        warnings.warn(
            f"{settings.name}: max_iter={settings.max_iter} epochs reached while "
            "the held-out score was still improving (it last improved at epoch "
            f"{best_epoch}); raise max_iter to let training finish.",
            ConvergenceWarning,
            stacklevel=4,
        )


def _rows(tensor, positions):
    return tensor[torch.as_tensor(positions, device=tensor.device)]


class _ScaledSteps:
    """Adam's step times a per-element scale: its update is ``-lr m / (sqrt(v) +
    eps)``, so scaling the update of a member's weights is that member trained
    at ``scale x lr`` (weight decay included, as Adam adds it to the
    gradient)."""

    def __init__(self, pairs):
        self.pairs = list(pairs or ())
        self.kept = [p.detach().clone() for p, _ in self.pairs]

    def before(self):
        with torch.no_grad():
            for kept, (p, _) in zip(self.kept, self.pairs):
                kept.copy_(p)

    def after(self):
        with torch.no_grad():
            for kept, (p, scale) in zip(self.kept, self.pairs):
                p.sub_(kept).mul_(scale).add_(kept)


class _Progress:
    """A tqdm bar over epochs (``verbose=1``) or a line per epoch (``verbose>1``)."""

    def __init__(self, name, max_iter, verbose):
        self.name, self.max_iter, self.verbose = name, max_iter, verbose
        self.bar = None
        if verbose == 1:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=max_iter, desc=name, unit="epoch", leave=True)

    def update(self, epoch, history):
        if not self.verbose:
            return
        latest = {
            k: v[-1]
            for k, v in history.items()
            if k not in ("epoch", "seconds") and not k.startswith("train_")
        }
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in latest.items()})
            self.bar.update(epoch - self.bar.n)
            return
        shown = ", ".join(
            f"{k} = {v[-1]:.4f}"
            for k, v in history.items()
            if k not in ("epoch", "seconds")
        )
        print(f"{self.name} epoch {epoch}/{self.max_iter}: {shown}", flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
