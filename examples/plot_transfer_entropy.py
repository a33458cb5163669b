r"""
Who drives whom: lagged MI and transfer entropy
===============================================

Two series, x and y, where x drives y one step later and y has no effect on
x: a Gaussian VAR(1),

.. math:: x_t = 0.5\, x_{t-1} + \varepsilon_t, \qquad
          y_t = 0.5\, y_{t-1} + 0.8\, x_{t-1} + \eta_t.

Its lagged MI and transfer entropies are known in closed form
(:func:`sknmi.datasets.make_var1`), so we can see how close the neural
estimates come. Both analyses cross-fit on contiguous blocks of time steps
with a gap between training and read blocks, as ordered data needs (see
:ref:`timeseries`).
"""

# %%
# Data
# ----
# ``SKNMI_QUICK`` (set by the test suite) shrinks the series and the training
# to a smoke test.
import os

import matplotlib.pyplot as plt

from sknmi.datasets import make_var1
from sknmi.plotting import LaggedMIDisplay
from sknmi.timeseries import transfer_entropy

QUICK = bool(os.environ.get("SKNMI_QUICK"))
n_steps = 600 if QUICK else 2000
x, y, truth = make_var1(n_steps, max_lag=5, random_state=0)
print(f"{n_steps} steps; true transfer entropy x -> y {truth.transfer_entropy:.3f}")

# %%
# MI at a range of lags
# ---------------------
# :math:`I(y_t; x_{t-\ell})` peaks at the true delay, one step, but is far from
# zero at the others: x is autocorrelated, so its value two steps back still
# tells something about y now. The lagged MI shows *when* the series share
# information, not who drives whom.
estimator = None
if QUICK:
    from sknmi import NeuralMIEstimator

    estimator = NeuralMIEstimator(shuffle=False, gap=5, max_iter=2)
display = LaggedMIDisplay.from_series(
    x,
    y,
    truth.lags,
    estimator=estimator,
    true_mi=truth.lagged_mi,
    random_state=0,
    name="neural estimate",
)
display.ax_.set_title("I(y_t; x_{t - lag})")
plt.show()

# %%
# Transfer entropy in both directions
# -----------------------------------
# The transfer entropy asks what x's past adds to y's own past,
# :math:`I(y_t; x_{t-1} \mid y_{t-1})`, and the same the other way round.
# It is a conditional MI, estimated as the difference of two MI estimates;
# ``difference_ratio`` says how many times larger the larger term is (above
# 10, a few percent of bias in a term would swamp the estimate).
if QUICK:
    estimator = NeuralMIEstimator(critic="concat", shuffle=False, gap=5, max_iter=2)
result = transfer_entropy(x, y, estimator=estimator, random_state=0)
truths = [truth.transfer_entropy, truth.transfer_entropy_reverse]
for i, direction in enumerate(["x -> y", "y -> x"]):
    print(
        f"T({direction}) = {result.te[i]:.3f} nats, 95% interval "
        f"[{result.ci_low[i]:.3f}, {result.ci_high[i]:.3f}], truth {truths[i]:.3f}, "
        f"difference ratio {result.difference_ratio[i]:.1f}"
    )

fig, ax = plt.subplots()
ax.errorbar(
    [0, 1],
    result.te,
    yerr=[result.te - result.ci_low, result.ci_high - result.te],
    fmt="o",
    capsize=6,
    label="estimate (95% interval)",
)
ax.plot([0, 1], truths, "kx", markersize=10, label="truth")
ax.axhline(0.0, color="grey", linewidth=0.8)
ax.set_xticks([0, 1], ["x -> y", "y -> x"])
ax.set_xlim(-0.5, 1.5)
ax.set_ylabel("transfer entropy [nats]")
ax.legend()
plt.show()

# %%
# x drives y and not the other way: the transfer entropy from x to y is close
# to its true value, and the interval of the reverse direction sits at 0.
