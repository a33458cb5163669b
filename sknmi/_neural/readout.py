"""The read-out of trained critics: one record of the MI and its evidence.

After training, every held-out row is scored once by the critic that never
saw it (:class:`sknmi._neural.crossfit.CrossFit`). :func:`read_out` turns
those scores, one fold at a time, into a :class:`ReadOut`: the estimate and
its 95% interval (:func:`sknmi._stats.interval`), the folds' values, the DV
and NWJ lower bounds of the same critics on the same rows, the optimistic
read-out on training rows, the calibration slope and the offset of the
pointwise MI. Where the read-out lies below one of those lower bounds
beyond both intervals, the record's estimate is that bound
(:func:`lift_to_bound`).
"""

from dataclasses import dataclass, replace

import numpy as np
import torch

from sknmi import bounds
from sknmi._folds import scrambled
from sknmi._neural.crossfit import held_out_negatives
from sknmi._stats import interval
from sknmi.nn import held_out_scores

# The optimistic read-out on training rows reads at most this many per fold.
_TRAIN_READ_ROWS = 20_000
# The calibration slope is a diagnostic: a few negatives a row pin it, at an
# eighth of the cost of all of them.
_SLOPE_NEGATIVES = 32


@dataclass(frozen=True)
class ReadOut:
    """The MI read from held-out rows, and the evidence behind it.

    ``mi``, ``ci``: the estimate and its 95% interval; ``folds``: each
    critic's read-out on its fold; ``lower_bounds``: ``{"dv": (value, ci),
    "nwj": (value, ci)}`` of the same critics on the same rows; ``train``:
    the read-out on training rows; ``slope``: the calibration slope;
    ``offset``: the constant of the pointwise MI; ``source``: what ``mi``
    is (the bound's name, or "dv" / "nwj" after :func:`lift_to_bound`), and
    ``read``: the read-out itself (differs from ``mi`` after a lift).
    """

    mi: float
    ci: tuple
    folds: np.ndarray
    lower_bounds: dict
    train: float
    slope: float
    offset: float
    source: str
    read: float


def read_out(engine, spec, clip, members=None):
    """The :class:`ReadOut` of a trained engine's critics (``spec``: the bound;
    ``members``: the fold critics of one problem, all by default).

    One fold at a time: only each fold's per-row terms are kept, so the
    memory of the read-out is that of one fold's scores.
    """
    members = range(engine.n_members) if members is None else members
    folds = [
        fold_terms(spec, clip, *engine.scores(k, engine.read_rows[k])) for k in members
    ]
    mi, ci, values = combine(spec.name, folds)
    weights = np.array([len(f["read"]) for f in folds], dtype=np.float64)
    # The evidence: DV and NWJ of the same critics on the same rows, the
    # folds' terms pooled.
    lower = {
        key: _with_interval(torch.cat([f[key] for f in folds])) for key in ("dv", "nwj")
    }
    return ReadOut(
        mi=mi,
        ci=ci,
        folds=values,
        lower_bounds=lower,
        train=_on_training_rows(engine, spec.read(clip), members),
        slope=float(np.average([f["slope"] for f in folds], weights=weights)),
        offset=float(np.mean([f["offset"] for f in folds])),
        source=spec.name,
        read=mi,
    )


def _on_training_rows(engine, read, members):
    # Training rows are in random order: the first as many as each fold reads
    # (at most _TRAIN_READ_ROWS) are a fair sample of what it saw.
    count = [min(len(engine.read_rows[k]), _TRAIN_READ_ROWS) for k in members]
    return float(
        sum(
            float(engine.weights[k])
            * float(read(*engine.scores(k, engine.train_rows[k][:n])))
            for k, n in zip(members, count)
        )
    )


def fold_terms(spec, clip, joint, marginal):
    """Per-row terms of one fold's held-out scores: the read-out, the DV and
    NWJ bounds; the offset of the pointwise MI and the calibration slope.

    The critic shifted to ``T - offset + 1`` is NWJ's optimum when
    ``T - offset`` is the log density ratio; DV does not depend on the
    shift.
    """
    offset = spec.offset(marginal, joint)
    shifted = 1.0 - offset
    return {
        "read": spec.read(clip)(joint, marginal, reduction="none").double(),
        "offset": offset,
        "slope": bounds.calibration_slope(joint, marginal[:, :_SLOPE_NEGATIVES]),
        "dv": bounds.dv(joint, marginal, reduction="none").double(),
        "nwj": bounds.nwj(
            joint + shifted, marginal + shifted, reduction="none"
        ).double(),
    }


def combine(name, folds):
    """The estimate, its interval and the per-fold values from the folds' terms
    (every held-out row has the same number of negatives, so the mean of a
    read-out's terms is the read-out itself)."""
    terms = [f["read"] for f in folds]
    return interval([t.mean() for t in terms], [t.cpu() for t in terms], name)


def _with_interval(terms):
    value, ci, _ = interval([float(terms.double().mean())], [terms.cpu()])
    return value, ci


def lift_to_bound(record):
    """``record`` with its estimate raised to a valid lower bound of the same
    critics that lies above its interval (``source`` names it); unchanged
    when none does.

    DV and NWJ are lower bounds in expectation whatever the critic, so a
    read-out beyond their intervals below them is known to be low, and the
    bound is the better estimate.
    """
    above = bound_above(record.mi, record.ci, record.lower_bounds)
    if above is None:
        return record
    name, (value, ci) = above
    return replace(record, mi=value, ci=ci, source=name)


def bound_above(mi, ci, lower_bounds):
    """The highest lower bound ``(name, (value, interval))`` lying above the
    interval ``ci`` of ``mi`` beyond both intervals, by a margin that matters
    (5%, at least 0.05 nats); None when there is none."""
    above = [
        (name, (value, bci))
        for name, (value, bci) in lower_bounds.items()
        if bci[0] > ci[1] + 0.05 * max(1.0, abs(mi))
    ]
    return max(above, key=lambda item: item[1][0]) if above else None


def scores(critic, X, Z, spec, batch_size, ordered):
    """Joint and fixed-partner negative scores of ``critic`` on rows (X, Z);
    memory O(chunk^2 + n k).

    ``ordered`` rows are in time order, where partners by position would be
    neighbours in time: they are scored in a fixed scrambled order, and the
    scores returned in the rows' order.
    """
    k = held_out_negatives(critic, spec, batch_size, len(X))
    if not ordered:
        return held_out_scores(critic, X, Z, negatives=k)
    order = torch.as_tensor(scrambled(len(X)), device=X.device)
    joint, marginal = held_out_scores(critic, X[order], Z[order], negatives=k)
    back = torch.empty_like(order)
    back[order] = torch.arange(len(order), device=order.device)
    return joint[back], marginal[back]
