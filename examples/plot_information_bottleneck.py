"""
======================================================
The information bottleneck on handwritten digits
======================================================

:class:`~sknmi.InfoBottleneckTransformer` learns a stochastic code Z of the
pixels X of a digit that keeps what predicts its label y and forgets the rest.
It minimises

.. math:: \\text{cross-entropy}(y \\mid z) + \\beta \\, I(X; Z),

both terms in nats per image. A small ``beta`` gives a code as predictive as a
plain neural network; a large one squeezes the code until it carries almost
nothing about the image, and so almost nothing about the label.

We sweep ``beta`` from 10⁻⁶ to 1 with both ways of measuring I(X; Z) — the
KL bound of Deep VIB (``"variational"``) and a MINE critic trained against the
encoder (``"mine"``) — then tune ``beta`` and the architecture with
:class:`~sklearn.model_selection.GridSearchCV`, and finally use a 2-D code as
the features of a logistic regression in a
:class:`~sklearn.pipeline.Pipeline`.
"""

# %%
# Data and a reference
# --------------------
# 1797 images of 8x8 pixels, ten classes. The reference is an
# :class:`~sklearn.neural_network.MLPClassifier` with the encoder's hidden layer.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from joblib import Parallel, delayed, parallel_config
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from sknmi import InfoBottleneckTransformer
from sknmi.bottleneck import information_scoring
from sknmi.plotting import InformationPlaneDisplay

QUICK = bool(os.environ.get("SKNMI_QUICK"))
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
common = dict(
    n_components=8,
    hidden_layer_sizes=(64,),
    max_iter=15 if QUICK else 80,
    batch_size=64,
    learning_rate_init=1e-3,
    random_state=0,
)
mlp = MLPClassifier(
    hidden_layer_sizes=(64,), max_iter=30 if QUICK else 300, random_state=0
)
reference = mlp.fit(X_train, y_train).score(X_test, y_test)
print(f"MLPClassifier(64,) test accuracy: {reference:.3f}")

# %%
# A sweep over beta
# -----------------
# ``score`` is the held-out accuracy of the decoder, never the objective, so it
# compares across ``beta``. ``information_plane`` gives the held-out I(X; Z)
# term and the lower bound H(Y) − cross-entropy on I(Z; Y).
#
# The fits of the sweep are independent, so they run in parallel worker
# processes: joblib's loky backend with one torch thread per worker (small
# networks train fastest on one thread, and more would oversubscribe the cores).
betas = [1e-6, 1e-3, 1.0] if QUICK else np.logspace(-6, 0, 7)
N_JOBS = 1 if QUICK else 2


def fit_bottleneck(beta, estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ib = InfoBottleneckTransformer(beta=beta, mi_estimator=estimator, **common)
        return ib.fit(X_train, y_train)


MI_ESTIMATORS = ("variational", "mine")
with parallel_config(backend="loky", inner_max_num_threads=1):
    fitted = Parallel(n_jobs=N_JOBS)(
        delayed(fit_bottleneck)(beta, estimator)
        for estimator in MI_ESTIMATORS
        for beta in betas
    )
sweeps = {}
for i, estimator in enumerate(MI_ESTIMATORS):
    fits = fitted[i * len(betas) : (i + 1) * len(betas)]
    sweeps[estimator] = fits
    for beta, ib in zip(betas, fits):
        ixz, izy = ib.information_plane(X_test, y_test)
        print(
            f"{estimator:>11}  beta={beta:.0e}  accuracy={ib.score(X_test, y_test):.3f}"
            f"  I(X;Z)={ixz:8.2f}  I(Z;Y)>={izy:.2f}"
        )

fig, ax = plt.subplots()
for estimator, fits in sweeps.items():
    ax.semilogx(betas, [ib.score(X_test, y_test) for ib in fits], "o-", label=estimator)
ax.axhline(reference, ls="--", color="0.4", label="MLPClassifier")
ax.axhline(0.1, ls=":", color="0.6", label="chance")
ax.set_xlabel("beta")
ax.set_ylabel("held-out accuracy")
ax.legend()

# %%
# The KL bound falls steadily with ``beta``, and with it the accuracy once the
# code holds fewer nats than the label needs (H(Y) = log 10 ≈ 2.3 nats). The
# MINE estimate is a lower bound read from a critic that the encoder plays
# against; where the critic falls behind, it can even turn negative, so read it
# as the pressure the encoder felt rather than as the information it kept.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, (estimator, fits) in zip(axes, sweeps.items()):
    InformationPlaneDisplay.from_estimators(fits, X_test, y_test, ax=ax)
    ax.set_title(f'mi_estimator="{estimator}"')
axes[0].set_xscale("log")  # the KL bound spans three decades
fig.tight_layout()

# %%
# One fit, epoch by epoch
# -----------------------
# The held-out trajectory of a moderate ``beta``: the code first gathers
# information about the label, then sheds what it does not need.
InformationPlaneDisplay.from_estimator(sweeps["variational"][len(betas) // 2 + 1])

# %%
# Tuning beta and the architecture
# --------------------------------
# The estimator is its own scorer, so a search needs nothing special;
# :func:`~sknmi.bottleneck.information_scoring` also records the information
# plane of every candidate. ``n_jobs`` spreads the candidates over worker
# processes, again with one torch thread each.
with parallel_config(backend="loky", inner_max_num_threads=1):
    search = GridSearchCV(
        InfoBottleneckTransformer(**common),
        {
            "beta": [1e-4, 1.0] if QUICK else [1e-4, 1e-2, 1.0],
            "hidden_layer_sizes": [(32,), (64,)],
        },
        cv=2 if QUICK else 3,
        scoring=information_scoring(),
        refit="score",
        n_jobs=N_JOBS,
    ).fit(X_train, y_train)
print("best:", search.best_params_, f"test accuracy {search.score(X_test, y_test):.3f}")
display = InformationPlaneDisplay.from_estimators(search)
display.ax_.set_title("GridSearchCV candidates (cross-validated)")

# %%
# A 2-D code for a linear classifier
# ----------------------------------
# With two components the code can be looked at. Each digit occupies its own
# region, so a logistic regression on the code does nearly as well as on all 64
# pixels.
pipe = Pipeline(
    [
        (
            "ib",
            InfoBottleneckTransformer(**{**common, "n_components": 2, "beta": 1e-3}),
        ),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
).fit(X_train, y_train)
print(
    f"Pipeline(IB(2), LogisticRegression) test accuracy: "
    f"{pipe.score(X_test, y_test):.3f}"
)

codes = pipe["ib"].transform(X_test)
fig, ax = plt.subplots()
points = ax.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=10)
ax.legend(
    *points.legend_elements(),
    title="digit",
    fontsize="small",
    loc="center left",
    bbox_to_anchor=(1, 0.5),
)
ax.set_xlabel("z1")
ax.set_ylabel("z2")
ax.set_title("Held-out codes of a 2-D bottleneck")
fig.tight_layout()
plt.show()
