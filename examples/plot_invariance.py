"""
Self-equitability: Y = f(X) + sigma * noise
===========================================

The MINE paper's second experiment: ``Y = f(X) + sigma * eps`` for
``f(x) = x``, ``x**3`` and ``sin(x)``, with ``eps ~ N(0, 1)``. Because Y
depends on X only through the signal ``f(X)``, ``I(X; Y) = I(f(X); Y)``
(self-equitability, Kinney & Atwal 2014): an estimator should see how much
noise there is, not what shape the relationship has.

Two designs, each with the true MI computed by 1-d quadrature
(:func:`sknmi.datasets.invariance_mi`):

* **the paper's**: ``X ~ U(-1, 1)``. Here the truth itself depends on f at a
  fixed sigma, because the signals have different laws (``x**3`` piles up
  near 0, ``sin`` has a shorter range): at sigma = 0.1 the true MI is 1.67,
  1.25 and 1.54 nats. The claim "the same estimate for every f" can only be
  judged against these truths.
* **same signal** (``same_signal=True``): ``X = f^{-1}(U)`` with
  ``U ~ U(-1, 1)``, so ``f(X) = U`` for every f and the true MI is the same
  for all three; only the parametrisation of X changes. Here an estimator
  should give (nearly) one value per sigma: we measure the spread across f as
  ``(max - min) / mean``.

:class:`~sknmi.NeuralMIEstimator` with its defaults (``logratio`` read-out,
5,000 rows cross-fitted over three folds, 64-64 critics for a 1-D pair, 20
epochs) is compared with the truth and with
:class:`~sknmi.KSGEstimator`. The read-out has a sampling error of a few
hundredths of a nat, which is most of the spread at large sigma, where the MI
itself is small.

What the full run shows (printed below): with the same signal, the neural
estimates for the three f differ by at most 3% of their mean (at sigma =
0.2; 2% at sigma = 1, where the MI is 0.14 nats); KSG differs by at most 6%.
Both sit within 0.05 nats of the truth. In the paper's design the truth
spreads by 28% to 70% across f, and both estimators follow the truth of each
f rather than collapsing onto one value (the neural one under-reads the cube
at sigma = 1 by 0.02 nats, which puts its spread at 78% for the truth's 70%).
"""

# %%
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning

from sknmi import KSGEstimator, NeuralMIEstimator
from sknmi.datasets import invariance_mi, make_invariance

QUICK = bool(os.environ.get("SKNMI_QUICK"))
FUNCTIONS = ("linear", "cubic", "sin")
SIGMAS = (0.1, 1.0) if QUICK else (0.1, 0.2, 0.4, 1.0)
N_SAMPLES = 300 if QUICK else 5000
NEURAL = dict(max_iter=3, random_state=0) if QUICK else dict(random_state=0)

# %%
# Estimates
# ---------
# Data sets are spread over two worker processes with one torch thread each
# (two torch threads per process would oversubscribe two cores).


def estimate(same_signal, f, j, sigma):
    cpu = time.process_time()
    X, Y, mi = make_invariance(
        f, sigma, N_SAMPLES, same_signal=same_signal, random_state=j
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        neural = NeuralMIEstimator(**NEURAL).fit(X, Y)
    ksg = KSGEstimator(random_state=0).fit(X, Y)
    cpu = time.process_time() - cpu
    return same_signal, f, sigma, mi, neural.mi_, neural.mi_ci_, ksg.mi_, cpu


start = time.perf_counter()
tasks = [
    (same_signal, f, j, sigma)
    for same_signal in (False, True)
    for f in FUNCTIONS
    for j, sigma in enumerate(SIGMAS)
]
# rows: (same_signal, f, sigma, truth, neural, neural interval, KSG, CPU s)
rows = Parallel(n_jobs=1 if QUICK else 2)(delayed(estimate)(*t) for t in tasks)
print(
    f"{len(rows)} data sets in {time.perf_counter() - start:.0f} s "
    f"({sum(r[-1] for r in rows):.0f} CPU-seconds of fitting)"
)


def spread(values):
    values = np.asarray(values)
    return (values.max() - values.min()) / values.mean()


# %%
# Spread across f, for each sigma: the truth, the neural estimate and KSG.
for same_signal in (False, True):
    print("\nsame signal" if same_signal else "\nthe paper's design (X ~ U(-1, 1))")
    print(
        "  sigma   truth (lin/cub/sin)      neural (lin/cub/sin)     "
        "KSG (lin/cub/sin)     spread: truth neural KSG"
    )
    for sigma in SIGMAS:
        sel = [r for r in rows if r[0] == same_signal and r[2] == sigma]
        t, n, k = ([r[i] for r in sel] for i in (3, 4, 6))
        print(
            f"  {sigma:5.2f}  "
            + " ".join(f"{v:5.2f}" for v in t)
            + "   "
            + " ".join(f"{v:5.2f}" for v in n)
            + "   "
            + " ".join(f"{v:5.2f}" for v in k)
            + f"      {spread(t):5.0%} {spread(n):5.0%} {spread(k):5.0%}"
        )

# %%
# Figure
# ------
# Lines: the truth per f by quadrature (one line in the same-signal design);
# circles: the neural estimate with its 95% interval; crosses: KSG.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
colors = dict(zip(FUNCTIONS, ("C0", "C1", "C2")))
grid = np.geomspace(min(SIGMAS), max(SIGMAS), 4 if QUICK else 12)
for ax, same_signal in zip(axes, (False, True)):
    for f in FUNCTIONS:
        sel = [r for r in rows if r[0] == same_signal and r[1] == f]
        sig = np.array([r[2] for r in sel])
        est = np.array([r[4] for r in sel])
        ci = np.array([r[5] for r in sel])
        ax.plot(
            grid,
            [invariance_mi(f, g, same_signal=same_signal) for g in grid],
            color=colors[f],
            lw=1.5,
            label=f"truth, f = {f}",
        )
        ax.errorbar(
            sig,
            est,
            yerr=[est - ci[:, 0], ci[:, 1] - est],
            fmt="o",
            color=colors[f],
            capsize=3,
            label=f"neural, f = {f}",
        )
        ax.plot(
            sig, [r[6] for r in sel], "x", color=colors[f], ms=8, label=f"KSG, f = {f}"
        )
    ax.set_xscale("log")
    ax.set_xlabel("sigma")
    ax.set_title("same signal f(X) ~ U(-1, 1)" if same_signal else "X ~ U(-1, 1)")
axes[0].set_ylabel("I(X; Y) [nats]")
axes[1].legend(*axes[0].get_legend_handles_labels(), fontsize=7, ncol=3)
fig.tight_layout()
plt.show()
