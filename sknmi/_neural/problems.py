"""Prepared problems trained side by side, each read on its own.

A :class:`Problem` is a fit up to its training: rows as tensors, folds,
seeds, the critics built. :func:`fit_problems` trains the critics of one or
many problems as the members of one stacked module and reads each one: every
problem keeps its own folds, initial weights, race of rates, plateaus and
early stopping (its best state, its patience), and only the order of the
batches is drawn for all at once. One problem is the ordinary fit; many are
the fits of an analysis (a pairwise matrix, a lag scan), where one step of
many small critics costs little more than one step of a few.
"""

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from sknmi import _torch
from sknmi._neural import auto, diagnostics, readout
from sknmi._neural.crossfit import CrossFit
from sknmi._neural.training import Settings, train
from sknmi.bounds import Bound
from sknmi.nn import stack_critics


@dataclass
class Problem:
    """A fit up to its training: preprocessed rows, folds, seeds, critics."""

    X: torch.Tensor
    Z: torch.Tensor
    folds: list
    seeds: np.ndarray
    build: auto.CriticBuilder
    stack: torch.nn.Module
    device: torch.device
    autocast: torch.dtype | None


@dataclass
class Plan:
    """How the problems train and read (the estimator's parameters): the
    bound, SMILE's clip and MINE's decay, the batch size, the rate (a float
    or "auto"), the settings of the race and of the training, and a name."""

    spec: Bound
    clip: float
    ema_decay: float
    batch_size: int
    rate: float | str
    race: Settings
    training: Settings
    name: str


@dataclass
class Outcome:
    """What a problem's fit gives: its read-out and critics at their best,
    the held-out rows of its smallest fold, its rate (and race), its
    training's history, epochs and best epoch, and why its training stopped
    early (a divergence of its own: ``(reason, epoch, best epoch)``)."""

    record: readout.ReadOut
    critic: torch.nn.Module
    n_read: int
    rate: float
    search: dict | None
    history: dict
    n_iter: int
    best_iter: int
    problem: tuple | None


def fit_problems(problems, plan):
    """Train the critics of ``problems`` as one stacked module; read each.

    Returns
    -------
    list of Outcome
    """
    first, many = problems[0], len(problems) > 1
    generator = _torch.make_generator(first.seeds[-1])
    X, Z, columns = _pool(problems) if many else (first.X, first.Z, None)
    engine_of = partial(_engine, plan, X, Z, generator, first.autocast)
    stacks = [p.stack for p in problems]
    rates, searches = [plan.rate] * len(problems), [None] * len(problems)
    if plan.rate == "auto":
        stacks, rates, searches = _race(problems, plan, engine_of, columns, generator)
    K = len(first.folds)
    groups = [list(range(m * K, (m + 1) * K)) for m in range(len(problems))]
    if many:
        stack = stack_critics([s.member(j) for s in stacks for j in range(K)])
        folds = [f for p in problems for f in p.folds]
        cols = [c for c in columns for _ in range(K)]
        engine = engine_of(stack, folds, columns=cols, groups=groups)
        if len(set(rates)) > 1:
            # Each problem at its own rate: the optimiser at the highest.
            scales = [r / max(rates) for r in rates for _ in range(K)]
            engine.step_scales = stack.step_scales(scales)
    else:
        engine = engine_of(stacks[0], first.folds)
    for p in problems:
        # The engine holds the rows it needs: the folds' index arrays go.
        p.folds = None
    settings = plan.training
    settings.learning_rate = max(float(r) for r in rates)
    result = train(engine, settings, generator=generator, device=first.device)
    return [
        _outcome(engine, plan, result, groups[g], g if many else None, r, search)
        for g, (r, search) in enumerate(zip(rates, searches))
    ]


def _outcome(engine, plan, result, members, group, rate, search):
    record = readout.lift_to_bound(
        readout.read_out(engine, plan.spec, plan.clip, members)
    )
    # The engine's stack holds every member at its best (the stack that
    # trained on may have left the problems that stopped).
    if group is None:
        critic = engine.stack if engine.n_members > 1 else engine.stack.member(0)
    else:
        critic = stack_critics([engine.stack.member(k) for k in members])
    return Outcome(
        record=record,
        critic=critic,
        n_read=min(len(engine.read_rows[k]) for k in members),
        rate=float(rate),
        search=search,
        history=result.history,
        n_iter=result.n_iter,
        best_iter=result.best_epoch if group is None else result.group_best[group],
        problem=None if group is None else result.group_problems[group],
    )


def _engine(plan, X, Z, generator, autocast, stack, folds, **kw):
    """The cross-fitting game of these critics on these rows."""
    plain = not kw.get("tolerant") and kw.get("groups") is None
    plausible = (
        partial(
            diagnostics.plausible,
            n=X.shape[0],
            n_read=min(len(r) for _, r in folds),
        )
        if plain
        else None
    )
    return CrossFit(
        stack,
        X,
        Z,
        folds,
        plan.spec,
        plan.batch_size,
        generator,
        clip=plan.clip,
        ema_decay=plan.ema_decay,
        autocast=autocast,
        plausible=plausible,
        **kw,
    )


def _pool(problems):
    """The rows of several problems side by side: X and Z as the columns of
    each problem in turn (rows beyond a problem's own left at 0), and each
    problem's columns."""
    n = max(len(p.X) for p in problems)
    blocks, columns, start = {"X": [], "Z": []}, [], {"X": 0, "Z": 0}
    for p in problems:
        cols = []
        for name, A in (("X", p.X), ("Z", p.Z)):
            block = A.new_zeros((n, A.shape[1]))
            block[: len(A)] = A
            blocks[name].append(block)
            cols.append(np.arange(start[name], start[name] + A.shape[1]))
            start[name] += A.shape[1]
        columns.append(tuple(cols))
    return torch.cat(blocks["X"], 1), torch.cat(blocks["Z"], 1), columns


def _race(problems, plan, engine_of, columns, generator):
    """Each problem's stack after the race of rates (its winner, then its
    other folds' fresh critics), rate and race."""
    # The candidates all start from the first fold's seed: the race compares
    # rates, not initialisations.
    n = len(auto.RATE_CANDIDATES)
    candidates = [p.build.stack([p.seeds[0]] * n, p.device) for p in problems]
    many = len(problems) > 1
    if many:
        stack = stack_critics([c.member(j) for c in candidates for j in range(n)])
    else:
        stack = candidates[0]
    engine = engine_of(
        stack,
        [p.folds[0] for p in problems for _ in range(n)],
        columns=[c for c in columns for _ in range(n)] if many else None,
        tolerant=True,
    )
    results = auto.race(
        engine,
        stack,
        plan.race,
        generator=generator,
        device=problems[0].device,
        name=plan.name,
        n_problems=len(problems),
    )
    stacks, rates, searches = [], [], []
    for p, (winner, rate, search) in zip(problems, results):
        members = [winner] + [p.stack.member(j) for j in range(1, len(p.folds))]
        stacks.append(stack_critics(members).to(p.device))
        rates.append(rate)
        searches.append(search)
    return stacks, rates, searches
