"""The one minibatch training loop that every estimator uses.

Data live as tensors on the device; batches are index tensors (no DataLoader,
whose per-step overhead dominates small critics). Each epoch: one shuffled pass
of full batches, one validation, early stopping on the validation score with the
best state restored, and a guard that stops on NaN or inf instead of returning
them. Randomness comes only from the estimator's own ``torch.Generator``.
"""

import copy
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
class TrainingResult:
    history: dict = field(default_factory=dict)
    n_iter: int = 0
    best_epoch: int = 0
    diverged: bool = False
    interrupted: bool = False


# A held-out score that moves this many times its first value's scale (plus one)
# has blown up: no real objective jumps by orders of magnitude between epochs.
_JUMP = 1e3


def train(
    model,
    loss,
    n_samples,
    *,
    validate,
    batch_size,
    learning_rate,
    max_iter,
    alpha=0.0,
    early_stopping=True,
    n_iter_no_change=10,
    tol=1e-4,
    generator,
    device,
    verbose=0,
    adversaries=(),
    plausible=None,
    name="model",
):
    """Train ``model`` by Adam on minibatches of row indices.

    Parameters
    ----------
    model : torch.nn.Module
        Holds every parameter of the game; its state is what early stopping
        saves and restores.
    loss : callable
        ``loss(batch) -> (tensor, dict)``: the loss to minimise on the rows
        ``batch`` (an index tensor on ``device``) and scalar tensors to log,
        averaged over the epoch as ``history["train_<key>"]``.
    n_samples : int
        Number of training rows.
    validate : callable
        ``validate() -> (score, dict)``, run each epoch in ``eval()`` mode
        without gradients; higher ``score`` is better; the dict's values go to
        ``history`` under their own keys.
    verbose : int
        1: a progress bar over epochs with the held-out values; 2 or more: a
        line per epoch.
    adversaries : sequence of Adversary
        Players whose parameters the main optimiser leaves alone.
    plausible : callable, optional
        ``plausible(logs) -> str or None`` on the epoch's history values: a
        reason when they are impossible (an MI read-out far above what the
        rows can show), which is treated as a divergence.

    Returns
    -------
    TrainingResult

    Notes
    -----
    Training stops, restores the best state so far and warns when the loss or
    the held-out score is NaN or infinite, when the held-out score jumps by
    orders of magnitude, when ``plausible`` objects, or on ``KeyboardInterrupt``
    (a long fit interrupted by the user keeps what it has learnt). When that
    happens in the first epoch there is no state worth keeping: a divergence
    raises :class:`DivergenceError` and an interrupt propagates.
    """
    adversary_ids = {id(p) for a in adversaries for p in a.parameters}
    main_params = [p for p in model.parameters() if id(p) not in adversary_ids]
    optimizer = torch.optim.Adam(main_params, lr=learning_rate, weight_decay=alpha)
    adversary_optimizers = [
        torch.optim.Adam(a.parameters, lr=a.learning_rate, weight_decay=alpha)
        for a in adversaries
    ]
    batch_size = min(batch_size, n_samples)
    n_batches = n_samples // batch_size
    history = {"epoch": [], "seconds": []}
    result = TrainingResult(history=history)
    best_score = -math.inf
    best_state = copy.deepcopy(model.state_dict())
    first_scale = None
    no_improvement = 0
    progress = _Progress(name, max_iter, verbose)

    for epoch in range(1, max_iter + 1):
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
                optimizer.zero_grad(set_to_none=True)
                value, logs = loss(batch)
                value.backward()
                optimizer.step()
                total = total + value.detach()
                for key, v in logs.items():
                    v = v.detach()
                    sums[key] = sums[key] + v if key in sums else v
            model.eval()
            with torch.no_grad():
                score, val_logs = validate()
        except KeyboardInterrupt:
            if epoch == 1:
                progress.close()
                raise
            model.load_state_dict(best_state)
            result.interrupted = True
            warnings.warn(
                f"{name}: interrupted at epoch {epoch}; kept the state of epoch "
                f"{result.best_epoch}.",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        train_logs = {f"train_{k}": float(v) / n_batches for k, v in sums.items()}
        score = float(score)
        result.n_iter = epoch
        history["epoch"].append(epoch)
        history["seconds"].append(time.perf_counter() - start)
        for key, v in {**train_logs, **val_logs}.items():
            history.setdefault(key, []).append(float(v))

        if first_scale is None and math.isfinite(score):
            first_scale = 1.0 + abs(score)
        problem = None
        if not (math.isfinite(score) and math.isfinite(float(total))):
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
            model.load_state_dict(best_state)
            result.diverged = True
            warnings.warn(
                f"{name}: training {problem} at epoch {epoch}; stopped and "
                f"restored the state of epoch {result.best_epoch} "
                "(try a smaller learning_rate_init or another bound).",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        if score > best_score + tol:
            no_improvement = 0
        else:
            no_improvement += 1
        if score > best_score:
            best_score = score
            result.best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        progress.update(epoch, history)
        if early_stopping and no_improvement >= n_iter_no_change:
            break
    else:
        if early_stopping:
            warnings.warn(
                f"{name}: max_iter={max_iter} epochs reached while the validation "
                "score was still improving; consider a larger max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
    progress.close()
    if early_stopping and not result.diverged:
        model.load_state_dict(best_state)
    model.eval()
    return result


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
