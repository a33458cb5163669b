"""The learning rate chosen per fit on held-out rows: a race of candidate rates.

One critic per candidate rate (:data:`sknmi._neural.auto.RATE_CANDIDATES`),
each from the first fold's seed, trains on the first fold's rows as a member
of one stacked module, each at its own rate, for a few epochs; the
candidate whose best epoch's held-out training objective is highest wins,
and its critic goes on training with the other folds' fresh critics. Racing
one fold costs ``len(RATE_CANDIDATES) / n_folds`` of the race of every fold.
"""

import torch

from sknmi._neural.auto import RACE_EPOCHS, RATE_CANDIDATES
from sknmi._neural.training import train
from sknmi.exceptions import DivergenceError


def race(engine_of, stack, settings, *, generator, device, name):
    """The winning member of ``stack`` (one candidate per rate) and the race.

    Parameters
    ----------
    engine_of : callable
        ``engine_of(stack)``: the game of the candidates on the first fold's
        rows, tolerant of candidates that blow up.
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
    winner : torch.nn.Module
        The winning candidate's critic.
    rate : float
        Its rate.
    search : dict
        ``rates``, ``validation_bound`` (each candidate's best held-out
        objective) and ``epochs``.
    """
    rates = RATE_CANDIDATES
    engine = engine_of(stack)
    top = max(rates)
    engine.step_scales = stack.step_scales([r / top for r in rates])
    # Warm-up, then each candidate's constant rate: the race's members are
    # the fits they stand for (no plateau of the others lowers their rate).
    settings.schedule, settings.learning_rate = "plateau", top
    settings.max_iter, settings.early_stopping = RACE_EPOCHS, False
    settings.plateau_patience = RACE_EPOCHS + 1
    settings.verbose, settings.name = 0, f"{name} (rate race)"
    result = train(engine, settings, generator=generator, device=device)
    scores = torch.tensor(result.member_best, dtype=torch.float64)
    if not torch.isfinite(scores).any():
        raise DivergenceError(
            f"{name}: every candidate learning rate {list(rates)} diverged; try "
            "another bound or preprocessing"
        )
    winner = int(torch.argmax(scores))
    search = {
        "rates": [float(r) for r in rates],
        "validation_bound": [float(s) for s in scores.tolist()],
        "epochs": RACE_EPOCHS,
    }
    return stack.member(winner), float(rates[winner]), search
