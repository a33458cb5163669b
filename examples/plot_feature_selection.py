r"""
Feature selection that sees interactions: conditional MI scores
===============================================================

:func:`~sklearn.feature_selection.mutual_info_regression` scores each feature
by the MI it shares with the target *on its own*. A feature that matters only
together with another — the textbook case is an XOR — scores about zero and is
dropped. :func:`sknmi.feature_selection.mi_scorer` can score a feature by what
it adds to all the others, the conditional MI

.. math:: I(X_j; y \mid X_{-j}),

or score a group of features as one variable, :math:`I(X_G; y)`. Both see the
interaction.

The data: scikit-learn's diabetes data (442 patients, 10 features, a measure
of disease progression) with two extra columns ``a`` and ``b``, uniform on
[-1, 1], and a target that adds ``1.5 sign(a b)`` to the standardised
progression: the sign of the product, an XOR of the signs. Alone, ``a`` and
``b`` are independent of that term.
"""

# %%
# Data
# ----
# ``SKNMI_QUICK`` (set by the test suite) shrinks the model check to a smoke
# test.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.feature_selection import SelectKBest, mutual_info_regression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sknmi.feature_selection import mi_scorer

QUICK = bool(os.environ.get("SKNMI_QUICK"))
K = 4

data = load_diabetes()
rng = np.random.default_rng(0)
n = len(data.target)
a, b = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
progression = (data.target - data.target.mean()) / data.target.std()
y = progression + 1.5 * np.sign(a * b)
X = np.column_stack([data.data, a, b])
names = [*data.feature_names, "a", "b"]

# %%
# Three scores
# ------------
# * ``mutual_info_regression``: scikit-learn's univariate KSG scores;
# * ``mi_scorer(conditional=True)``: the conditional MI of each feature given
#   the other eleven (Frenzel–Pompe kNN, :class:`~sknmi.KSGConditionalEstimator`);
# * ``mi_scorer(groups=[[10, 11]])``: univariate scores, except that ``a`` and
#   ``b`` are scored together as one variable.
#
# All three are kNN estimates: a few milliseconds to a fraction of a second
# here, with no training.
scorers = {
    "univariate (scikit-learn)": lambda X, y: mutual_info_regression(
        X, y, random_state=0
    ),
    "conditional (sknmi)": mi_scorer(conditional=True),
    "group {a, b} (sknmi)": mi_scorer(groups=[[10, 11]]),
}
scores = {}
for label, scorer in scorers.items():
    start = time.perf_counter()
    scores[label] = scorer(X, y)
    print(
        f"{label:27s} {time.perf_counter() - start:5.2f} s; top {K}:",
        [names[j] for j in np.argsort(scores[label])[::-1][:K]],
    )

# %%
# The univariate scores rank ``s5`` and ``bmi`` first and leave ``a`` and
# ``b`` near the bottom. The conditional scores put ``a`` and ``b`` on top:
# given the other one, each decides the sign of the XOR term. They also pull
# the diabetes features towards 0 — partly because ``s1``, ``s2``, ``s3`` and
# ``s4`` are largely redundant with each other, partly because a kNN estimate
# conditioned on eleven columns of 442 rows is biased towards 0. Scoring the
# pair as a group keeps the univariate ranking and lifts ``a`` and ``b``.
fig, ax = plt.subplots(figsize=(9, 4))
width = 0.27
x = np.arange(len(names))
for i, (label, s) in enumerate(scores.items()):
    ax.bar(x + (i - 1) * width, s, width, label=label)
ax.set_xticks(x, names)
ax.axhline(0, color="black", lw=0.8)
ax.set_ylabel("score [nats]")
ax.set_title("MI scores of the diabetes features and the XOR pair (a, b)")
ax.legend()
fig.tight_layout()

# %%
# Does it matter for a model?
# ---------------------------
# Keep the top four features by each score and fit a random forest on them;
# five-fold cross-validated R². The selection runs inside the pipeline, on the
# training folds only.
model = RandomForestRegressor(
    n_estimators=20 if QUICK else 200, min_samples_leaf=3, random_state=0
)
for label, scorer in scorers.items():
    pipe = make_pipeline(SelectKBest(scorer, k=K), model)
    r2 = cross_val_score(pipe, X, y, cv=2 if QUICK else 5)
    print(f"{label:27s} R^2 = {r2.mean():.2f} +- {r2.std():.2f}")
r2 = cross_val_score(model, X, y, cv=2 if QUICK else 5)
print(f"{'all 12 features':27s} R^2 = {r2.mean():.2f} +- {r2.std():.2f}")

# %%
# The univariate selection misses the pair and with it most of the
# predictable variance (R² about 0.03 in the full run, against 0.65 for the
# conditional scores, 0.62 for the group scores and 0.48 for the forest on
# all twelve features); either sknmi score keeps it. The group score needs to
# be told which features might interact; the conditional score finds them by
# itself, at the price of a noisier ranking of the rest.
plt.show()
