"""What a fit's evidence says against its estimate: named flags, then sentences.

:func:`diagnose` reads a :class:`~sknmi._neural.readout.ReadOut` into a dict
of named flags and the values behind them (the estimator's
``diagnostics_``); :func:`render` turns the raised flags into the warnings'
sentences, in one place. Each flag is a fact about the fit, measured for
what it predicts on the families of ``benchmarks/families.py`` (how often it
fires on fits within 5% of the truth and on fits off by more than 10%; see
the benchmarks page). :func:`plausible` is the guard of the training loop:
a per-epoch read-out that no data could give.
"""

import math

from sknmi._neural.readout import bound_above

# Critics reading this share more on their training rows than held out
# (relative to the estimate, at least _SMALL_MI nats) fit noise; held-out
# scores whose logistic recalibration scales them up by more than
# _TIMID_SLOPE were trained too little. Those it scales down below _SURE_SLOPE
# either fit the noise of their rows (and read more on them) or grew too sure
# everywhere, reading at least as much held out: the JSD barely resists scores
# that grow where the joint density dominates, and Adam at a high rate takes
# that drift (the estimate is then high).
# Chosen on the families at 1,000 to 50,000 rows (their false-alarm and hit
# rates are on the benchmarks page).
_OVERFIT_GAP = 0.20
_TIMID_SLOPE = 1.15
_SURE_SLOPE = 0.82
_SMALL_MI = 0.1
# A DV bound below this (nats) means extreme critic scores:
# any sane critic's DV is near or above 0.
_EXTREME_BOUND = -1.0
# A held-out read-out above log(n) + this, in nats, is a blow-up, not a measurement.
_CEILING_SLACK = 2.0
# Held-out rows (per fold) below which no read-out is implausible.
_PLAUSIBLE_FROM = 30

#: The flags of ``diagnostics_``, in the order their warnings are given.
FLAGS = (
    "lifted_to_bound",
    "overfit",
    "too_timid",
    "too_sure",
    "below_lower_bound",
    "extreme_scores",
    "near_ceiling",
)


def diagnose(record, spec, n_read):
    """The named flags and values of a fit's evidence.

    Parameters
    ----------
    record : ReadOut
        The read-out (after :func:`~sknmi._neural.readout.lift_to_bound`).
    spec : Bound
        The estimator's bound (:func:`sknmi.bounds.resolve_bound`).
    n_read : int
        Held-out rows of the smallest fold.

    Returns
    -------
    dict
        The flags of :data:`FLAGS` (bool), and the values they rest on:
        ``read_out`` (the read-out before any lift), ``lower_bound`` (the
        name of a DV or NWJ bound above the estimate's interval, or None),
        ``train_gap`` (the relative excess of the read-out on training
        rows), ``calibration_slope``, ``dv_bound`` and ``ceiling``
        (``log`` of ``n_read``).

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi._neural.diagnostics import diagnose
    >>> from sknmi._neural.readout import ReadOut
    >>> from sknmi.bounds import BOUNDS
    >>> record = ReadOut(2.0, (1.9, 2.1), np.array([2.0]),
    ...                  {"dv": (1.8, (1.7, 1.9))}, 2.6, 1.0, 0.0, "logratio", 2.0)
    >>> flags = diagnose(record, BOUNDS["logratio"], 2000)
    >>> flags["overfit"], round(flags["train_gap"], 2), flags["too_sure"]
    (True, 0.3, False)
    """
    mi, slope = record.mi, record.slope
    gap = (record.train - mi) / max(abs(mi), _SMALL_MI)
    above = bound_above(mi, record.ci, record.lower_bounds)
    dv = record.lower_bounds["dv"][0]
    ceiling = math.log(n_read)
    return {
        "lifted_to_bound": record.source != spec.name,
        # Critics that fit noise are too sure as well, but only on the rows
        # they never saw: they read less there (the overfit flag), not more.
        "overfit": gap > _OVERFIT_GAP,
        "too_timid": spec.classifier and slope > _TIMID_SLOPE,
        "too_sure": spec.classifier
        and slope < _SURE_SLOPE
        and mi > _SMALL_MI
        and record.train <= mi,
        "below_lower_bound": above is not None,
        # A log-ratio read-out has no log n ceiling, and no exponential moment
        # for a few extreme pairs to own.
        "extreme_scores": spec.lower and dv < _EXTREME_BOUND,
        "near_ceiling": spec.lower and mi > ceiling - 1.0,
        "read_out": record.read,
        "lower_bound": None if above is None else above[0],
        "train_gap": gap,
        "calibration_slope": slope,
        "dv_bound": dv,
        "ceiling": ceiling,
    }


def render(flags, record, *, bound, critic_type, preprocessing, learning_rate):
    """The sentences of the raised flags, in the order of :data:`FLAGS`."""
    mi = record.mi
    remedy = (
        "more rows or more epochs"
        if critic_type == "concat"
        else "critic='concat' or more epochs"
    )
    rate = learning_rate
    texts = {
        "lifted_to_bound": lambda: (
            f"the {bound} read-out ({record.read:.4g} nats) lay below the "
            f"{record.source.upper()} lower bound of the same critics, beyond both "
            f"intervals, so mi_ is that bound ({mi:.4g}, mi_source_="
            f"{record.source!r}): the critics likely stopped before they learnt "
            f"all of the dependence, and the MI may be higher still; try {remedy}"
        ),
        "overfit": lambda: (
            f"the critics read {record.train:.4g} nats on the rows they trained "
            f"on and {mi:.4g} on rows they never saw "
            f"({100 * flags['train_gap']:.0f}% more): they learnt the noise of "
            "their rows beside the dependence, and mi_ is likely low; more rows, "
            "a smaller hidden_layer_sizes or fewer epochs may help"
        ),
        "too_timid": lambda: (
            f"the held-out scores are too timid: calibrated, they would be "
            f"{record.slope:.2f} times as far apart (calibration_slope_): "
            "training stopped before the critics learnt the dependence, and mi_ "
            "is likely low; raise max_iter (or learning_rate_init)"
        ),
        "too_sure": lambda: (
            f"the held-out scores are too sure: calibrated, they would be "
            f"{record.slope:.2f} times as far apart (calibration_slope_): the "
            "critics' scores grew where the joint pairs dominate, and mi_ is "
            f"likely high; refit with learning_rate_init from {rate / 2:.2g} "
            f"down to {rate / 8:.2g} (a half to an eighth of the {rate:.2g} "
            "used; a fit that warns the critics are too timid went too far)"
        ),
        "below_lower_bound": lambda: (
            f"mi_ = {mi:.4g} lies below the {flags['lower_bound'].upper()} lower "
            f"bound of the same critic "
            f"({record.lower_bounds[flags['lower_bound']][0]:.4g}, beyond both "
            f"intervals): the estimate is low; try {remedy}"
        ),
        "extreme_scores": lambda: (
            f"the critic gives some held-out pairs extreme scores (its DV bound "
            f"is {flags['dv_bound']:.3g} nats): mi_ may be unreliable; "
            + (
                "try preprocessing='quantile'"
                if preprocessing != "quantile"
                else "some pairs lie where the critic extrapolates wildly "
                "(outliers, a sharply curved dependence such as a spiral, or a "
                "bound such as infonce that leaves the critic's scale free)"
            )
        ),
        "near_ceiling": lambda: (
            f"mi_ = {mi:.4g} is near log({round(math.exp(flags['ceiling']))}) = "
            f"{flags['ceiling']:.3g}, the most that the held-out rows can show: "
            "the MI may be larger"
        ),
    }
    return [texts[name]() for name in FLAGS if flags[name]]


def plausible(logs, n, n_read):
    """Why a per-epoch held-out read-out is impossible on ``n`` rows, or None.

    No estimate from ``n`` rows can show much more than ``log n`` nats, and a
    critic that reads far below 0 has blown up: a real one starts near 0.
    Folds of ``n_read`` rows too few to tell say nothing either way.
    """
    if n_read < _PLAUSIBLE_FROM:
        return None  # a read-out of a few rows is noise either way
    value = logs["validation_mi"]
    ceiling = math.log(n) + _CEILING_SLACK
    if value > ceiling:
        return f"read {value:.4g} nats, more than {n} rows can show (~{ceiling:.3g})"
    if value < -math.log(n):
        return f"read {value:.4g} nats, far below 0"
    return None
