"""The one minibatch training loop that every estimator uses.

Data live as tensors on the device; batches are index tensors (no DataLoader,
whose per-step overhead dominates small critics). Each epoch: one shuffled pass
of full batches, one validation, early stopping on the validation score with the
best state restored, and a guard that stops on NaN or inf instead of returning
them. Randomness comes only from the estimator's own ``torch.Generator``.

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
  side at their own learning rates.

:class:`Game` builds one from functions; :class:`Settings` holds the
optimiser's and early stopping's parameters.
"""

import math
import time
import warnings
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
    loss: callable
    learning_rate: float


@dataclass
class Game:
    """A game made of functions (see the module's docstring)."""

    model: torch.nn.Module
    n_samples: int
    loss: callable
    validate: callable
    adversaries: tuple = ()
    plausible: callable = None


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
    history: dict = field(default_factory=dict)
    n_iter: int = 0
    best_epoch: int = 0
    diverged: bool = False
    interrupted: bool = False


# A held-out score that moves this many times its first value's scale (plus one)
# has blown up: no real objective jumps by orders of magnitude between epochs.
_JUMP = 1e3


class Snapshot:
    """A copy of a module's parameters and buffers, kept in buffers of its own.

    ``save()`` copies the module's state in, ``restore()`` copies it back: no
    ``deepcopy`` of state dicts each time the held-out score improves.
    """

    def __init__(self, module):
        self._live = [t for t in module.state_dict(keep_vars=True).values()]
        self._kept = [t.detach().clone() for t in self._live]

    def save(self):
        with torch.no_grad():
            for kept, live in zip(self._kept, self._live):
                kept.copy_(live)

    def restore(self):
        with torch.no_grad():
            for kept, live in zip(self._kept, self._live):
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
    model, n_samples, name = game.model, game.n_samples, settings.name
    adversaries = tuple(getattr(game, "adversaries", ()) or ())
    plausible = getattr(game, "plausible", None)
    adversary_ids = {id(p) for a in adversaries for p in a.parameters}
    main_params = [p for p in model.parameters() if id(p) not in adversary_ids]
    optimizer = make_adam(main_params, settings.learning_rate, settings.alpha)
    scaled = _ScaledSteps(getattr(game, "step_scales", None))
    adversary_optimizers = [
        make_adam(a.parameters, a.learning_rate, settings.alpha) for a in adversaries
    ]
    batch_size = min(settings.batch_size, n_samples)
    n_batches = n_samples // batch_size
    # The plateau schedule warms up over the first epoch; the cosine spans all.
    total_steps = n_batches * (
        1 if settings.schedule == "plateau" else settings.max_iter
    )
    step, reductions = 0, 0
    history = {"epoch": [], "seconds": []}
    result = TrainingResult(history=history)
    best_score = -math.inf
    best_state = Snapshot(model)
    first_scale = None
    no_improvement = 0
    progress = _Progress(name, settings.max_iter, settings.verbose)

    for epoch in range(1, settings.max_iter + 1):
        start = time.perf_counter()
        try:
            model.train()
            order = torch.randperm(n_samples, generator=generator)
            order = order[: n_batches * batch_size].view(n_batches, batch_size)
            sums, total = {}, 0.0
            for batch in order.to(device):
                for adversary, opt in zip(adversaries, adversary_optimizers):
                    opt.zero_grad(set_to_none=True)
                    adversary.loss(batch).backward()
                    opt.step()
                if settings.schedule != "constant":
                    for group in optimizer.param_groups:
                        group["lr"] = settings.rate(step, total_steps, reductions)
                step += 1
                optimizer.zero_grad(set_to_none=True)
                value, logs = game.loss(batch)
                value.backward()
                scaled.before()
                optimizer.step()
                scaled.after()
                total = total + value.detach()
                for key, v in logs.items():
                    v = v.detach()
                    sums[key] = sums[key] + v if key in sums else v
            model.eval()
            with torch.no_grad():
                score, val_logs = game.validate()
        except KeyboardInterrupt:
            if epoch == 1:
                progress.close()
                raise
            best_state.restore()
            result.interrupted = True
            warnings.warn(
                f"{name}: interrupted at epoch {epoch}; kept the state of epoch "
                f"{result.best_epoch}.",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        # One transfer to the host for everything the epoch logged.
        keys = list(sums) + list(val_logs)
        values = [sums[k] for k in sums] + [val_logs[k] for k in val_logs]
        host = (
            torch.stack(
                [
                    torch.as_tensor(v, dtype=torch.float64, device=device).reshape(())
                    for v in [score, total, *values]
                ]
            )
            .cpu()
            .tolist()
        )
        score, total = host[0], host[1]
        logged = dict(zip(keys, host[2:]))
        train_logs = {f"train_{k}": logged[k] / n_batches for k in sums}
        result.n_iter = epoch
        history["epoch"].append(epoch)
        history["seconds"].append(time.perf_counter() - start)
        for key, v in {**train_logs, **{k: logged[k] for k in val_logs}}.items():
            history.setdefault(key, []).append(float(v))

        if first_scale is None and math.isfinite(score):
            first_scale = 1.0 + abs(score)
        problem = None
        if not (math.isfinite(score) and math.isfinite(total)):
            problem = "produced NaN or inf"
        elif abs(score) > _JUMP * first_scale:
            problem = f"blew up (held-out score {score:.4g})"
        elif plausible is not None:
            problem = plausible({k: v[-1] for k, v in history.items()})
        if problem is not None:
            progress.close()
            if result.best_epoch == 0:
                raise DivergenceError(
                    f"{name}: training {problem} at epoch {epoch}, before any "
                    "state worth keeping; try a smaller learning_rate_init or "
                    "another bound"
                )
            best_state.restore()
            result.diverged = True
            warnings.warn(
                f"{name}: training {problem} at epoch {epoch}; stopped and "
                f"restored the state of epoch {result.best_epoch} "
                "(try a smaller learning_rate_init or another bound).",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        if epoch <= settings.burn_in:
            # The objective is still changing (a loss weight warming up): keep
            # the latest state, and let the first epoch after it set the bar.
            best_score, no_improvement = -math.inf, 0
            result.best_epoch = epoch
            best_state.save()
        else:
            if score > best_score + settings.tol:
                no_improvement = 0
            else:
                no_improvement += 1
            if score > best_score:
                best_score = score
                result.best_epoch = epoch
                best_state.save()
            if (
                settings.schedule == "plateau"
                and no_improvement
                and no_improvement % settings.plateau_patience == 0
            ):
                reductions += 1
        progress.update(epoch, history)
        if settings.early_stopping and no_improvement >= settings.n_iter_no_change:
            break
    else:
        # The cosine schedule anneals into its last epoch by design; the others
        # stop on their own when the held-out score does.
        if settings.early_stopping and settings.schedule != "cosine":
            warnings.warn(
                f"{name}: max_iter={settings.max_iter} epochs reached while the "
                "held-out score was still improving (it last improved at epoch "
                f"{result.best_epoch}); raise max_iter to let training finish.",
                ConvergenceWarning,
                stacklevel=3,
            )
    progress.close()
    if settings.early_stopping and not result.diverged:
        best_state.restore()
    model.eval()
    return result


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
