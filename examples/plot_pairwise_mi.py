r"""
A pairwise MI matrix next to the correlation matrix
===================================================

The correlation matrix is the first look most people take at a table of
variables. It sees only straight lines: a variable and its square, or two
variables on a circle, can be strongly dependent with a correlation of zero.
:func:`sknmi.pairwise.pairwise_mi` estimates the mutual information of every
pair instead, each with its 95% interval, and
:class:`sknmi.plotting.MIMatrixDisplay` draws it, hatching the pairs whose
interval holds 0.

The data: six variables, 3,000 rows.

* ``a`` and ``b`` are correlated Gaussians (correlation 0.8);
* ``a2 = a^2 + noise`` depends on ``a`` through a parabola, with correlation
  about 0;
* ``c`` and ``s`` are the cosine and sine of one random angle, plus noise:
  a noisy circle, again with correlation about 0;
* ``noise`` is independent of everything.
"""

# %%
# Data
# ----
# ``SKNMI_QUICK`` (set by the test suite) shrinks the fits to a smoke test.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sknmi import NeuralMIEstimator
from sknmi.pairwise import pairwise_mi
from sknmi.plotting import MIMatrixDisplay

QUICK = bool(os.environ.get("SKNMI_QUICK"))
n = 500 if QUICK else 3000
rng = np.random.default_rng(0)
a = rng.standard_normal(n)
angle = rng.uniform(0, 2 * np.pi, n)
data = pd.DataFrame(
    {
        "a": a,
        "b": 0.8 * a + 0.6 * rng.standard_normal(n),
        "a2": a**2 + 0.3 * rng.standard_normal(n),
        "c": np.cos(angle) + 0.1 * rng.standard_normal(n),
        "s": np.sin(angle) + 0.1 * rng.standard_normal(n),
        "noise": rng.standard_normal(n),
    }
)

# %%
# The pairwise MI
# ---------------
# The default neural estimator, one fit per pair (15 pairs), two at a time.
# ``random_state`` fixes every pair's seed before the fits are dispatched, so
# ``n_jobs`` changes the wall time, not the numbers.
estimator = NeuralMIEstimator(max_iter=2 if QUICK else 20)
start = time.perf_counter()
result = pairwise_mi(data, estimator, random_state=0, n_jobs=2)
print(f"15 pairs in {time.perf_counter() - start:.0f} s")
print(result.to_frame().round(3))

# %%
# Drawn next to the absolute correlations of the same pairs, the MI finds the
# parabola (``a``, ``a2``) and the circle (``c``, ``s``) that the correlation
# misses. The independent pairs read 0.00 and most of their intervals hold 0
# (hatched); an interval that excludes 0 on a pair read at 0.00 is the one in
# twenty that a 95% interval allows.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
correlation = data.corr().abs().to_numpy(copy=True)
np.fill_diagonal(correlation, np.nan)
MIMatrixDisplay(correlation, labels=list(data.columns)).plot(
    ax=left, colorbar_label="|correlation|"
)
left.set_title("|correlation|")
MIMatrixDisplay.from_matrix(result, ax=right)
fig.tight_layout()
plt.show()

# %%
# Reading the matrix
# ------------------
# The values are nats. For a Gaussian pair,
# :math:`I = -\tfrac12 \log(1 - \rho^2)`: the correlation 0.8 of ``a`` and
# ``b`` is 0.51 nats. A hatched cell means only that this pair shows no
# dependence its interval can tell from 0 at these rows; about one
# independent pair in twenty will show some by chance, and an estimate of a
# few thousandths of a nat matters little either way.
truth_ab = -0.5 * np.log(1 - 0.8**2)
print(f"I(a; b): truth {truth_ab:.3f}, estimate {result.mi[0, 1]:.3f}")
