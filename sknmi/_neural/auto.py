"""The "auto" rules of a neural MI fit, their constants, and the critics they build.

Each rule turns a parameter left at "auto" into a value from the shape of
the data (widths, batch size) or from the data themselves (the critic's
kind). The rate is not a rule but a race on held-out rows (:func:`race`):
one critic per candidate rate (:data:`RATE_CANDIDATES`),
each from the first fold's seed, trains on the first fold's rows as a member
of one stacked module, each at its own rate, for a few epochs; the
candidate whose best epoch's held-out training objective is highest wins,
and its critic goes on training with the other folds' fresh critics. Racing
one fold costs ``len(RATE_CANDIDATES) / n_folds`` of the race of every fold.
The measurements behind every constant are on the benchmarks page.
"""

import math

import numpy as np
import torch

from sknmi import _torch
from sknmi._dependence import DEPENDENCE_ROWS, canonical_correlations
from sknmi._neural.training import train
from sknmi.exceptions import DivergenceError
from sknmi.nn import ConcatCritic, SeparableCritic, scores_all_pairs, stack_critics

#: learning_rate_init="auto": the candidate rates raced side by side, and the
#: epochs of the race.
RATE_CANDIDATES = (1e-4, 3e-4, 1e-3, 3e-3, 8e-3)
RACE_EPOCHS = 3
# A canonical pair of the preprocessed data carrying more than this many nats
# (as a Gaussian pair would: -log(1 - r^2) / 2) makes "auto" choose concat.
_CONCAT_ABOVE = 1.5


def critic_type(critic, classes, X, Z):
    """The kind of critic to build: ``critic`` itself, or the choice of "auto".

    A separable critic ``f(x) . g(z)`` must build a sharp log ratio from the
    difference of large products when one direction of X almost determines
    one of Z; it then reads 15-30% low where a concat critic is within 5%
    (1-d to 3-d Gaussians at 3-5 nats). The largest canonical correlation of
    the preprocessed rows ``X``, ``Z`` (tensors) finds such a direction;
    elsewhere the separable critic, with all pairs of a batch as negatives,
    is as good or better. Class labels (``classes`` not None) take the
    separable critic.
    """
    if critic != "auto":
        return critic if isinstance(critic, str) else "custom"
    if classes is not None:
        return "separable"
    step = max(1, X.shape[0] // DEPENDENCE_ROWS)
    r = canonical_correlations(
        X[::step].double().cpu().numpy(), Z[::step].double().cpu().numpy()
    )
    top = float(r.max()) if r.size else 0.0
    strongest = -0.5 * math.log(max(1.0 - top**2, 1e-300))
    return "concat" if strongest > _CONCAT_ABOVE else "separable"


def hidden_layer_sizes(x_features, z_features):
    """Two hidden layers whose width grows with the columns: 64 up to 4 columns
    in all, 128 up to 16, then 256."""
    d = x_features + z_features
    width = 64 if d <= 4 else 128 if d <= 16 else 256
    return (width, width)


def embedding_dim(x_features, z_features):
    """The separable critic's embedding width: 32 up to 4 columns in all, then 64."""
    return 32 if x_features + z_features <= 4 else 64


def batch_size(batch_size, n_train):
    """``batch_size`` (at most ``n_train``), or for "auto" the power of two
    nearest to ``n_train / 32``, between 32 and 512."""
    if batch_size != "auto":
        return min(batch_size, n_train)
    # About 32 steps an epoch keeps early stopping's per-epoch checks fine-grained
    # on small data; 512 rows were best on the 20-d benchmark at 50,000 rows.
    size = 2 ** round(math.log2(max(n_train, 1) / 32))
    return min(int(np.clip(size, 32, 512)), n_train)


class CriticBuilder:
    """Builds the critics of one fit: the kind chosen, the widths resolved.

    Parameters
    ----------
    kind : {"separable", "concat", "custom"}
        What :func:`critic_type` chose.
    critic : str, callable or object with ``build``
        The estimator's ``critic`` parameter (a custom critic's factory).
    x_features, z_features : int
        Columns the critic sees.
    hidden : tuple of int
        Hidden widths of the built-in critics.
    embedding_dim : int
        The separable critic's embedding width.
    activation : str
        Activation of the built-in critics.
    """

    def __init__(
        self, kind, critic, x_features, z_features, hidden, embedding_dim, activation
    ):
        self.kind, self.critic = kind, critic
        self.x_features, self.z_features = x_features, z_features
        self.hidden, self.embedding_dim = hidden, embedding_dim
        self.activation = activation

    def one(self):
        """One fresh critic (from torch's current seed)."""
        if self.kind == "separable":
            return SeparableCritic(
                self.x_features,
                self.z_features,
                self.hidden,
                self.embedding_dim,
                self.activation,
            )
        if self.kind == "concat":
            return ConcatCritic(
                self.x_features, self.z_features, self.hidden, self.activation
            )
        if hasattr(self.critic, "build"):
            module = self.critic.build(self.x_features, self.z_features)
        else:
            module = self.critic(self.x_features, self.z_features)
        if not isinstance(module, torch.nn.Module):
            raise ValueError(
                f"critic must build a torch.nn.Module, got {type(module).__name__}"
            )
        return module

    def stack(self, seeds, device=None):
        """One critic per seed, each from its own seed, stacked into one module."""
        members = [_torch.build_module(self.one, seed) for seed in seeds]
        return stack_critics(members).to(device)


def check_critic(critic, x, z):
    """One look at a critic's output on a few rows, so a wrong one fails early.

    ``critic(x, z)`` must give one differentiable float score per row and,
    for a critic that scores all pairs, ``score_matrix(x, z')`` one per pair
    (``n x m``).
    """
    if not any(p.requires_grad for p in critic.parameters()):
        raise ValueError(
            f"critic {type(critic).__name__} has no trainable parameters: "
            "there is nothing to train"
        )
    n = x.shape[0]
    calls = [("critic(x, z)", lambda: critic(x, z), (n,))]
    if scores_all_pairs(critic):
        # z with one row fewer: a transposed matrix cannot pass for the right one.
        calls.append(
            (
                "critic.score_matrix(x, z)",
                lambda: critic.score_matrix(x, z[:-1]),
                (n, n - 1),
            )
        )
    for what, call, shape in calls:
        _check_output(what, call, shape, x, z)


def _check_output(what, call, shape, x, z):
    try:
        out = call()
    except Exception as exc:
        raise ValueError(
            f"{what} failed on x of shape {tuple(x.shape)} and z of shape "
            f"{tuple(z.shape)}: {exc}"
        ) from exc
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out)
        raise ValueError(f"{what} must return a tensor of shape {shape}, got {got}")
    if not out.is_floating_point():
        raise ValueError(f"{what} must return float scores, got {out.dtype}")
    if not out.requires_grad:
        raise ValueError(
            f"{what} is not differentiable with respect to the critic's "
            "parameters (no gradient reaches them)"
        )


def race(engine, stack, settings, *, generator, device, name, n_problems=1):
    """The winning member of ``stack`` (one candidate per rate) and the race,
    for each of ``n_problems`` problems (their candidates one after another).

    Parameters
    ----------
    engine : CrossFit
        The game of the candidates (``stack``) on the first fold's rows,
        tolerant of candidates that blow up.
    stack : CriticStack
        One critic per candidate of :data:`RATE_CANDIDATES`.
    settings : Settings
        The fit's settings; the race runs at the top rate, each member's
        steps scaled to its own.
    generator : torch.Generator
        The batches' source.
    device : torch.device
        The training device.
    name : str
        The estimator's name, for messages.

    Returns
    -------
    list of (winner, rate, search)
        For each problem: the winning candidate's critic, its rate, and the
        race (``rates``, ``validation_bound``: each candidate's best held-out
        objective, ``epochs``).
    """
    rates = RATE_CANDIDATES
    top = max(rates)
    engine.step_scales = stack.step_scales([r / top for r in rates] * n_problems)
    # Warm-up, then each candidate's constant rate: the race's members are
    # the fits they stand for (no plateau of the others lowers their rate).
    settings.schedule, settings.learning_rate = "plateau", top
    settings.max_iter, settings.early_stopping = RACE_EPOCHS, False
    settings.plateau_patience = RACE_EPOCHS + 1
    settings.verbose, settings.name = 0, f"{name} (rate race)"
    result = train(engine, settings, generator=generator, device=device)
    best = torch.tensor(result.member_best, dtype=torch.float64)
    out = []
    for p, scores in enumerate(best.reshape(n_problems, len(rates))):
        if not torch.isfinite(scores).any():
            raise DivergenceError(
                f"{name}: every candidate learning rate {list(rates)} diverged; "
                "try another bound or preprocessing"
            )
        winner = int(torch.argmax(scores))
        search = {
            "rates": [float(r) for r in rates],
            "validation_bound": [float(s) for s in scores.tolist()],
            "epochs": RACE_EPOCHS,
        }
        member = stack.member(p * len(rates) + winner)
        out.append((member, float(rates[winner]), search))
    return out
