r"""
Which estimator should I trust here?
====================================

No MI estimator is right everywhere. This page runs the three kinds that
sknmi offers on data whose mutual information is known exactly, chosen so that
each kind meets the case it is worst at:

* :class:`~sknmi.NeuralMIEstimator` with its defaults (a rank-to-normal
  transform of every column, which leaves the MI unchanged; a critic chosen
  from the data; three cross-fitted critics), and with one separable critic on
  standardised columns, the defaults before they were chosen on families like
  these;
* :class:`~sknmi.KSGEstimator`, the k-nearest-neighbour estimate;
* :class:`~sknmi.GaussianMIEstimator`, the MI of the Gaussian with the sample
  covariance.

The three families, 10,000 rows each, 3 + 3 or 2 + 2 dimensions:

**Heavy tails.** ``(X, Z)`` is a multivariate Student-t with ``nu`` degrees
of freedom: a correlated Gaussian pair divided by one shared
:math:`\sqrt{W / \nu}`, :math:`W \sim \chi^2_\nu`. The shared scale adds
dependence that no correlation shows, and for ``nu <= 2`` the variances do not
exist. With scale matrix :math:`\Sigma` the MI is the Gaussian term plus a
term of the tails,

.. math::

    I(X; Z) = \frac{1}{2}\log\frac{|\Sigma_{XX}|\,|\Sigma_{ZZ}|}{|\Sigma|}
              + h_{d_X} + h_{d_Z} - h_{d_X + d_Z},

where :math:`h_d = \log\frac{\Gamma(\nu/2)\,(\nu\pi)^{d/2}}{\Gamma((\nu+d)/2)}
+ \frac{\nu+d}{2}\left(\psi\left(\frac{\nu+d}{2}\right) -
\psi\left(\frac{\nu}{2}\right)\right)` is the entropy of the standard
d-dimensional Student-t.

**A spiral.** A Gaussian pair with 1.5 nats of MI, whose X is rotated by an
angle that grows with :math:`\|x\|^2` (``speed`` radians per unit). The map is
invertible, so the MI stays 1.5 nats at every speed, but the dependence is no
longer linear, and no per-column transform undoes it.

**High MI in few dimensions.** A 2 + 2-dimensional Gaussian pair with 2 to 8
nats of MI: nearly a function of each other.

What the run below shows (the numbers are printed further down):

* **The Gaussian estimator** is exact on Gaussian data, at any MI, and wrong
  as soon as the data are not: on the spiral it falls to zero (the map erases
  the correlation it reads), and with heavy tails it misses the tail term or,
  for ``nu = 1`` where variances do not exist, reads 6.4 nats for 1.6.
* **KSG** is the most robust of the three in a few dimensions: within 0.2
  nats on every heavy-tailed pair (ranks of distances do not care about
  tails), and the best of the general estimators at high MI in 2 + 2
  dimensions (7.0 for 8 nats). It degrades as the spiral winds tighter
  (0.98 for 1.5 nats at speed 2), and it collapses in many dimensions
  (:ref:`sphx_glr_auto_examples_plot_gaussian_mi.py`).
* **The neural estimator with standardised columns and one separable critic**
  breaks on two of these cases. On the Cauchy-like pair (``nu = 1``) it reads
  nothing (0.00 nats): its standardisation divides by a standard deviation
  that a few enormous rows set. And at high MI in few dimensions it saturates
  near 4 nats (3.7 for 8): when X nearly determines Z the log density ratio is
  a small difference of large products :math:`f(x) \cdot g(z)`.
* **The neural estimator with its defaults** fixes both in part. The rank
  transform recovers 1.45 of the 1.59 nats of the Cauchy-like pair (and the
  fit warns that its critic gives some pairs extreme scores), and changes
  little where the tails are mild. On the 2 + 2 pairs ``critic="auto"`` sees a
  nearly deterministic canonical pair and trains concatenating critics: 3.96
  for 4, 5.7 for 6 and 5.9 for 8 nats, where the fit warns that the DV bound
  of the same critics (7.6) lies above its estimate. On the spiral it holds up
  better than KSG as the spiral winds (1.17 at speed 2, KSG 0.98), though 22%
  low.

So: check Gaussianity before trusting the Gaussian estimator; in a few
dimensions KSG is a strong default; in many dimensions (20 and up) only the
neural estimator is usable (see the Gaussian page); read the neural
estimator's warnings, which name the cases above. When in doubt, run two
kinds: where they agree, trust them; where they disagree, these families tell
you whose weak spot you are in.
"""

# %%
# The three families
# ------------------
# Each helper returns X, Z and the exact MI in nats.
#
# These generators are written inline so that each family's knob (the degrees
# of freedom, the spiral's speed, the MI) is one argument. ``sknmi.datasets``
# has close relatives with the same closed-form truths, used by the
# benchmarks: :func:`~sknmi.datasets.make_student_t` (uncorrelated, dependent
# through the scale only; here the t pair is also correlated),
# :func:`~sknmi.datasets.make_transformed_gaussian` (``transform="spiral"``)
# and :func:`~sknmi.datasets.make_sparse_gaussian`.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from joblib import Parallel, delayed, parallel_config
from scipy import special

from sknmi import GaussianMIEstimator, KSGEstimator, NeuralMIEstimator

QUICK = bool(os.environ.get("SKNMI_QUICK"))
N_SAMPLES = 600 if QUICK else 10_000
N_JOBS = 1 if QUICK else 2


def gaussian_pair(n, d, mi, rng):
    """X, Z standard Gaussians, corr(X_j, Z_j) = rho, total MI ``mi``."""
    rho = np.sqrt(1 - np.exp(-2 * mi / d))
    X = rng.standard_normal((n, d))
    Z = rho * X + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return X, Z


def student_t_entropy(d, nu):
    """Differential entropy of the standard d-dimensional Student-t, in nats."""
    half = (nu + d) / 2
    return (
        special.gammaln(nu / 2)
        + d / 2 * np.log(nu * np.pi)
        - special.gammaln(half)
        + half * (special.digamma(half) - special.digamma(nu / 2))
    )


def student_t_pair(n, nu, rng, d=3, gaussian_mi=1.0):
    """(X, Z) multivariate Student-t with ``nu`` degrees of freedom."""
    X, Z = gaussian_pair(n, d, gaussian_mi, rng)
    scale = np.sqrt(rng.chisquare(nu, size=(n, 1)) / nu)
    tails = 2 * student_t_entropy(d, nu) - student_t_entropy(2 * d, nu)
    return X / scale, Z / scale, gaussian_mi + tails


def spiral_pair(n, speed, rng, d=2, mi=1.5):
    """A Gaussian pair whose X is rotated by ``speed * |x|^2`` radians."""
    X, Z = gaussian_pair(n, d, mi, rng)
    angle = speed * (X**2).sum(1)
    cos, sin = np.cos(angle), np.sin(angle)
    X = np.column_stack(
        [cos * X[:, 0] - sin * X[:, 1], sin * X[:, 0] + cos * X[:, 1], X[:, 2:]]
    )
    return X, Z, mi


def high_mi_pair(n, mi, rng, d=2):
    """A Gaussian pair with ``mi`` nats in 2 + 2 dimensions."""
    X, Z = gaussian_pair(n, d, mi, rng)
    return X, Z, mi


FAMILIES = {
    # name: (generator, parameter name, parameter values)
    "heavy tails (Student-t)": (
        student_t_pair,
        "degrees of freedom nu",
        (1, 4) if QUICK else (1, 2, 4, 16),
    ),
    "spiral": (
        spiral_pair,
        "spiral speed",
        (0.0, 1.0) if QUICK else (0.0, 0.5, 1.0, 2.0),
    ),
    "high MI, 2 + 2 dims": (
        high_mi_pair,
        "true MI [nats]",
        (2.0, 8.0) if QUICK else (2.0, 4.0, 6.0, 8.0),
    ),
}


def make_data(family, value, seed):
    generator = FAMILIES[family][0]
    return generator(N_SAMPLES, value, np.random.default_rng(seed))


# %%
# What the data look like
# -----------------------
# The first coordinate of X against the first of Z, at the hardest setting of
# each family. Heavy tails: a few rows far out (the axes are clipped to the
# central 98% of the rows).
fig, axes = plt.subplots(1, len(FAMILIES), figsize=(11, 3.6))
for ax, (family, (_, label, values)) in zip(axes, FAMILIES.items()):
    value = values[0] if family.startswith("heavy") else values[-1]
    X, Z, mi = make_data(family, value, seed=0)
    ax.plot(X[:2000, 0], Z[:2000, 0], ".", ms=2, alpha=0.4)
    lo, hi = np.percentile(np.r_[X[:, 0], Z[:, 0]], [1, 99])
    ax.set(
        xlim=(lo, hi),
        ylim=(lo, hi),
        xlabel="X[:, 0]",
        ylabel="Z[:, 0]",
        title=f"{family}\n{label.split(' [')[0]} = {value:g}, MI = {mi:.2f} nats",
    )
fig.tight_layout()

# %%
# Fits
# ----
# Every estimator sees the same rows. The fits are independent, so they run
# in parallel worker processes (joblib's loky backend, one torch thread each);
# the neural ones, the slowest, are handed out first.
SHORT = dict(max_iter=2) if QUICK else {}  # the smoke test only cuts the epochs
ESTIMATORS = {
    "neural (defaults)": lambda: NeuralMIEstimator(random_state=0, **SHORT),
    # One separable critic on standardised columns: the defaults before they
    # were chosen on these families.
    "neural (standard, separable)": lambda: NeuralMIEstimator(
        preprocessing="standard",
        critic="separable",
        n_folds=1,
        random_state=0,
        **SHORT,
    ),
    "KSG": lambda: KSGEstimator(random_state=0),
    "Gaussian": lambda: GaussianMIEstimator(),
}


def fit_one(name, family, value, seed):
    X, Z, mi = make_data(family, value, seed)
    start = time.perf_counter()
    est = ESTIMATORS[name]().fit(X, Z)
    return mi, est.mi_, est.mi_ci_, time.perf_counter() - start


tasks = [
    (name, family, value, seed)
    for name in ESTIMATORS
    for family, (_, _, values) in FAMILIES.items()
    for seed, value in enumerate(values)
]
start = time.perf_counter()
with parallel_config(backend="loky", inner_max_num_threads=1):
    fitted = Parallel(n_jobs=N_JOBS)(delayed(fit_one)(*task) for task in tasks)
print(f"{len(tasks)} fits in {time.perf_counter() - start:.0f} s on {N_JOBS} worker(s)")
results = {task[:3]: out for task, out in zip(tasks, fitted)}
seconds = {
    name: sum(out[-1] for task, out in zip(tasks, fitted) if task[0] == name)
    for name in ESTIMATORS
}
print(
    f"seconds of fitting per estimator, {len(tasks) // len(ESTIMATORS)} data sets:",
    ", ".join(f"{name} {s:.0f}" for name, s in seconds.items()),
)

# %%
# The numbers: the truth, then each estimate, in nats.
for family, (_, label, values) in FAMILIES.items():
    print(f"\n{family}")
    print(
        f"  {label.split(' [')[0]:>22} {'truth':>6} "
        + " ".join(f"{name:>18}" for name in ESTIMATORS)
    )
    for value in values:
        truth = results[(next(iter(ESTIMATORS)), family, value)][0]
        print(
            f"  {value:22g} {truth:6.2f} "
            + " ".join(
                f"{results[(name, family, value)][1]:18.2f}" for name in ESTIMATORS
            )
        )

# %%
# Estimates against the truth
# ---------------------------
# The black line is the truth, the error bars each estimator's 95% interval
# (``mi_ci_``: the sampling noise of the reading, and for the cross-fitted
# neural defaults the training noise too). Where a marker sits off
# the line and its interval does not reach it, the estimator is biased on
# that family, and the interval does not warn you: that is what a second,
# different estimator is for.
style = {
    "neural (defaults)": dict(fmt="o", color="C0"),
    "neural (standard, separable)": dict(fmt="D", color="C3", mfc="none"),
    "KSG": dict(fmt="s", color="C1"),
    "Gaussian": dict(fmt="^", color="C2"),
}
fig, axes = plt.subplots(1, len(FAMILIES), figsize=(12, 4.2))
for ax, (family, (_, label, values)) in zip(axes, FAMILIES.items()):
    position = np.arange(len(values))
    truth = [results[(next(iter(ESTIMATORS)), family, v)][0] for v in values]
    ax.plot(position, truth, "-", color="black", lw=1.5, label="true MI")
    for offset, name in zip(np.linspace(-0.18, 0.18, len(ESTIMATORS)), ESTIMATORS):
        mi = np.array([results[(name, family, v)][1] for v in values])
        low, high = np.array([results[(name, family, v)][2] for v in values]).T
        ax.errorbar(
            position + offset,
            mi,
            yerr=[mi - low, high - mi],
            capsize=2,
            ms=5,
            label=name,
            **style[name],
        )
    ax.set_xticks(position, [f"{v:g}" for v in values])
    ax.set(title=family, xlabel=label, ylabel="I(X; Z) [nats]")
    # Keep the scale of the truth; say where an estimate is off the chart.
    top = 1.6 * max(truth)
    ax.set_ylim(min(-0.2, ax.get_ylim()[0]), min(top, ax.get_ylim()[1]))
    for offset, name in zip(np.linspace(-0.18, 0.18, len(ESTIMATORS)), ESTIMATORS):
        for x, v in zip(position, values):
            mi = results[(name, family, v)][1]
            if mi > top:
                ax.annotate(
                    f"{name}: {mi:.1f} ↑",
                    (x + offset, top),
                    xytext=(0, -14),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8,
                    color=style[name]["color"],
                )
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
# Reading the figure
# ------------------
# * **Gaussian data, any dimension**: :class:`~sknmi.GaussianMIEstimator` is
#   exact and instant; use it as the reference it is, never as an estimate for
#   data you have not shown to be Gaussian.
# * **Heavy tails**: standardising by the sample variance lets a few extreme
#   rows set the scale. The rank transform of the defaults removes most of
#   the problem (ranks have no tails) and leaves the MI unchanged; KSG is
#   robust too.
# * **Nonlinear dependence (the spiral)**: the neural critic and KSG both see
#   through an invertible map, KSG less well as it winds tighter; the
#   Gaussian estimator does not see it at all.
# * **High MI in few dimensions**: KSG and the neural defaults (with
#   concatenating critics) come within 5% up to 6 nats and fall short at 8
#   (KSG 7.0, the neural read-out 5.9, its DV bound 7.6), where a separable
#   critic had stopped near 4. In many dimensions the
#   roles swap: KSG collapses and the neural read-out tracks the truth
#   (:ref:`sphx_glr_auto_examples_plot_gaussian_mi.py`).
#
# sphinx_gallery_thumbnail_number = 2
