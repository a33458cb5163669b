"""The one minibatch training loop that every estimator uses, and its torch plumbing.

Data live as tensors on the device; batches are index tensors (no DataLoader,
whose per-step overhead dominates small critics). Each epoch: one shuffled pass
of full batches, one validation, early stopping on the validation score with the
best state restored, and a guard that stops on NaN or inf instead of returning
them. Randomness comes only from the estimator's own ``torch.Generator``.
"""

import copy
import math
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from sknmi._validation import check_device

_GLOBAL_RNG_LOCK = threading.Lock()


def resolve_device(device):
    """The ``torch.device`` for a ``device`` parameter ("auto": CUDA when present)."""
    check_device(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but CUDA is not available")
    return torch.device(device)


def make_generator(seed):
    """A CPU ``torch.Generator`` seeded with ``seed``."""
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return generator


def build_module(factory, seed):
    """Call ``factory()`` with torch's global RNG seeded, then restore that RNG.

    Layers initialise their weights from the global RNG; seeding it inside
    ``fork_rng`` makes the initial weights a function of ``random_state`` and
    leaves the caller's RNG state as it was.
    """
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return factory()


def to_tensor(array, device, dtype=torch.float32):
    """A new tensor holding a copy of ``array`` (read-only memmaps are fine)."""
    return torch.tensor(np.asarray(array), dtype=dtype, device=device)


_CHUNK_ROWS = 65536


def column_stats(array, rows):
    """Mean and standard deviation of the columns of ``array[rows]``.

    Computed chunk by chunk (Chan et al.'s pairwise update), so a data set of
    millions of rows needs no float64 copy of the selected rows.
    """
    count, mean, m2 = 0, 0.0, 0.0
    for start in range(0, len(rows), _CHUNK_ROWS):
        block = np.asarray(array[rows[start : start + _CHUNK_ROWS]], dtype=np.float64)
        n_b, mean_b = len(block), block.mean(0)
        m2_b = ((block - mean_b) ** 2).sum(0)
        delta, total = mean_b - mean, count + n_b
        mean = mean + delta * n_b / total
        m2 = m2 + m2_b + delta**2 * count * n_b / total
        count = total
    return mean, np.sqrt(m2 / count)


def standardised_tensor(array, rows, mean, scale, device):
    """``(array[rows] - mean) / scale`` as a new float32 tensor, built in chunks.

    Peak memory is the float32 result plus one chunk, not float64 copies of
    the whole selection.
    """
    out = np.empty((len(rows), array.shape[1]), dtype=np.float32)
    for start in range(0, len(rows), _CHUNK_ROWS):
        chunk = rows[start : start + _CHUNK_ROWS]
        out[start : start + len(chunk)] = (array[chunk] - mean) / scale
    return torch.from_numpy(out).to(device)


def module_device(module):
    """The device of a module's first parameter (CPU for a module without any)."""
    for p in module.parameters():
        return p.device
    return torch.device("cpu")


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


def fit_estimator(
    estimator,
    model,
    loss,
    n_samples,
    *,
    validate,
    generator,
    device,
    batch_size=None,
    adversaries=(),
):
    """:func:`train` with the shared training parameters of a scikit-learn estimator.

    Reads ``batch_size`` (unless given), ``learning_rate_init``, ``max_iter``,
    ``alpha``, ``early_stopping``, ``n_iter_no_change``, ``tol`` and ``verbose``
    from ``estimator`` and sets its ``history_``, ``n_iter_`` and
    ``best_iter_``.
    """
    result = train(
        model,
        loss,
        n_samples,
        validate=validate,
        batch_size=estimator.batch_size if batch_size is None else batch_size,
        learning_rate=estimator.learning_rate_init,
        max_iter=estimator.max_iter,
        alpha=estimator.alpha,
        early_stopping=estimator.early_stopping,
        n_iter_no_change=estimator.n_iter_no_change,
        tol=estimator.tol,
        generator=generator,
        device=device,
        verbose=estimator.verbose,
        adversaries=adversaries,
        name=type(estimator).__name__,
    )
    estimator.history_ = result.history
    estimator.n_iter_ = result.n_iter
    estimator.best_iter_ = result.best_epoch
    return result


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
    adversaries : sequence of Adversary
        Players whose parameters the main optimiser leaves alone.

    Returns
    -------
    TrainingResult
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
    no_improvement = 0
    report_every = 1 if verbose > 1 else max(1, max_iter // 20)

    for epoch in range(1, max_iter + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n_samples, generator=generator)
        order = order[: n_batches * batch_size].view(n_batches, batch_size).to(device)
        sums = {}
        for batch in order:
            for adversary, opt in zip(adversaries, adversary_optimizers):
                opt.zero_grad(set_to_none=True)
                adversary.loss(batch).backward()
                opt.step()
            optimizer.zero_grad(set_to_none=True)
            value, logs = loss(batch)
            value.backward()
            optimizer.step()
            for key, v in logs.items():
                v = v.detach()
                sums[key] = sums[key] + v if key in sums else v
        train_logs = {f"train_{k}": float(v) / n_batches for k, v in sums.items()}
        model.eval()
        with torch.no_grad():
            score, val_logs = validate()
        score = float(score)
        result.n_iter = epoch
        history["epoch"].append(epoch)
        history["seconds"].append(time.perf_counter() - start)
        for key, v in {**train_logs, **val_logs}.items():
            history.setdefault(key, []).append(float(v))

        finite = math.isfinite(score) and all(
            math.isfinite(v) for v in train_logs.values()
        )
        if not finite:
            model.load_state_dict(best_state)
            result.diverged = True
            warnings.warn(
                f"{name}: training produced NaN or inf at epoch {epoch}; stopped and "
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
        if verbose and (epoch % report_every == 0 or epoch == 1):
            shown = ", ".join(
                f"{k} = {v[-1]:.4f}"
                for k, v in history.items()
                if k not in ("epoch", "seconds")
            )
            print(f"{name} epoch {epoch}/{max_iter}: {shown}", flush=True)
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
    if early_stopping and not result.diverged:
        model.load_state_dict(best_state)
    model.eval()
    return result
