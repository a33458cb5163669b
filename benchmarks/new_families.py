"""Families kept aside for checking: shapes that nothing in sknmi was tuned on.

Issue 34 asks that every constant chosen on data be chosen on half of the
families and checked on the other half, and that families of new shapes be
added before anything is tuned. These are those shapes. Each generator takes
``n_samples`` and ``random_state`` and returns ``X, Z, truth`` like the
generators of :mod:`sknmi.datasets`; where the MI has no closed form it is
computed from the known density, by quadrature (``periodic``) or by Monte
Carlo over 100,000 draws of a fixed seed (``mixture``, ``ring``, ``classes``:
a standard error of about 0.003 nats, printed by ``python
benchmarks/new_families.py``):

- ``mixture``: four Gaussian clusters in 2 + 2 dims, the cluster shared by X
  and Z (a multimodal joint law);
- ``periodic``: one column of Z a noisy sine of a direction in 2-d X, several
  periods over the data (a dependence that no monotone map straightens);
- ``ring``: X and Z two noisy views of a point on the unit circle (a
  ring-shaped joint law, no correlation at all);
- ``high_mi``: a Gaussian pair at 7 nats in 2 + 2 dims (few columns, high MI);
- ``heavy_t``: a correlated Student-t with 3 degrees of freedom in 3 + 3
  dims, 2 nats from the correlation plus the shared scale's share;
- ``wide``: the MI spread over 50 + 50 Gaussian columns, 1.6 nats;
- ``classes``: Z a label of 8 classes, X a 3-d Gaussian around the class's
  centre (a discrete-continuous mix; the labels are one-hot encoded).
"""

import math

import numpy as np
from scipy.special import logsumexp

from sknmi.datasets import _t_entropy, make_gaussian

_TRUTH_DRAWS = 100_000
_TRUTH_SEED = 12345


def _log_normal(x, mean, sigma):
    """log N(x; mean, sigma^2 I) summed over the last axis."""
    d = x.shape[-1]
    sq = ((x - mean) ** 2).sum(-1)
    return -0.5 * sq / sigma**2 - d * math.log(sigma) - 0.5 * d * math.log(2 * math.pi)


# -- mixture ---------------------------------------------------------------------

_MIX_X = np.array([[-2.0, -2.0], [2.0, -2.0], [-2.0, 2.0], [2.0, 2.0]])
_MIX_Z = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [0.0, -2.0]])
_MIX_SIGMA = 1.0


def _mixture_draw(n, rng):
    c = rng.randint(len(_MIX_X), size=n)
    X = _MIX_X[c] + _MIX_SIGMA * rng.standard_normal((n, 2))
    Z = _MIX_Z[c] + _MIX_SIGMA * rng.standard_normal((n, 2))
    return X, Z


def _mixture_pointwise(X, Z):
    lx = _log_normal(X[:, None, :], _MIX_X[None], _MIX_SIGMA)
    lz = _log_normal(Z[:, None, :], _MIX_Z[None], _MIX_SIGMA)
    log_w = -math.log(len(_MIX_X))
    joint = logsumexp(lx + lz + log_w, axis=1)
    return joint - logsumexp(lx + log_w, axis=1) - logsumexp(lz + log_w, axis=1)


# -- ring --------------------------------------------------------------------------

_RING_SIGMA = 0.15
_RING_NODES = np.linspace(0, 2 * math.pi, 720, endpoint=False)


def _ring_draw(n, rng):
    theta = rng.uniform(0, 2 * math.pi, n)
    point = np.stack([np.cos(theta), np.sin(theta)], 1)
    X = point + _RING_SIGMA * rng.standard_normal((n, 2))
    Z = point + _RING_SIGMA * rng.standard_normal((n, 2))
    return X, Z


def _ring_pointwise(X, Z):
    nodes = np.stack([np.cos(_RING_NODES), np.sin(_RING_NODES)], 1)[None]
    out = []
    for start in range(0, len(X), 5000):
        x, z = X[start : start + 5000, None, :], Z[start : start + 5000, None, :]
        lx, lz = _log_normal(x, nodes, _RING_SIGMA), _log_normal(z, nodes, _RING_SIGMA)
        # The uniform angle as a mean over equally spaced nodes.
        log_mean = -math.log(len(_RING_NODES))
        joint = logsumexp(lx + lz, axis=1) + log_mean
        out.append(
            joint
            - (logsumexp(lx, axis=1) + log_mean)
            - (logsumexp(lz, axis=1) + log_mean)
        )
    return np.concatenate(out)


# -- classes -----------------------------------------------------------------------

_CLASS_CENTRES = 1.5 * np.array(
    [[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], dtype=float
)


def _classes_draw(n, rng):
    c = rng.randint(len(_CLASS_CENTRES), size=n)
    X = _CLASS_CENTRES[c] + rng.standard_normal((n, 3))
    return X, c


def _classes_pointwise(X, c):
    lx = _log_normal(X[:, None, :], _CLASS_CENTRES[None], 1.0)
    # log p(c | x) - log p(c): the prior is uniform.
    posterior = lx[np.arange(len(c)), c] - logsumexp(lx, axis=1)
    return posterior + math.log(len(_CLASS_CENTRES))


def _monte_carlo(draw, pointwise):
    rng = np.random.RandomState(_TRUTH_SEED)
    values = pointwise(*draw(_TRUTH_DRAWS, rng))
    return float(values.mean()), float(values.std() / math.sqrt(len(values)))


_TRUTHS = {}


def _truth(name, draw, pointwise):
    if name not in _TRUTHS:
        _TRUTHS[name] = _monte_carlo(draw, pointwise)
    return _TRUTHS[name][0]


def make_mixture(n_samples, random_state=None):
    rng = np.random.RandomState(random_state)
    X, Z = _mixture_draw(n_samples, rng)
    return X, Z, _truth("mixture", _mixture_draw, _mixture_pointwise)


def make_ring(n_samples, random_state=None):
    rng = np.random.RandomState(random_state)
    X, Z = _ring_draw(n_samples, rng)
    return X, Z, _truth("ring", _ring_draw, _ring_pointwise)


def make_classes(n_samples, random_state=None):
    rng = np.random.RandomState(random_state)
    X, c = _classes_draw(n_samples, rng)
    return X, c, _truth("classes", _classes_draw, _classes_pointwise)


# -- periodic ----------------------------------------------------------------------

_PERIOD_OMEGA = 3.0
_PERIOD_SIGMA = 0.2


def _periodic_truth(omega=_PERIOD_OMEGA, sigma=_PERIOD_SIGMA):
    """h(Z) - h(Z | u) for Z = sin(omega u) + sigma eps, u ~ N(0, 1), by quadrature."""
    u = np.linspace(-9, 9, 6001)
    weights = np.exp(-0.5 * u**2) / math.sqrt(2 * math.pi) * (u[1] - u[0])
    z = np.linspace(-1 - 8 * sigma, 1 + 8 * sigma, 4001)
    dens = np.zeros_like(z)
    for start in range(0, len(u), 500):
        uu = u[start : start + 500]
        kern = np.exp(-0.5 * ((z[None] - np.sin(omega * uu)[:, None]) / sigma) ** 2)
        dens += (weights[start : start + 500, None] * kern).sum(0)
    dens /= sigma * math.sqrt(2 * math.pi)
    dz = z[1] - z[0]
    mask = dens > 0
    h_z = -float((dens[mask] * np.log(dens[mask])).sum() * dz)
    h_noise = 0.5 * math.log(2 * math.pi * math.e * sigma**2)
    return h_z - h_noise


def make_periodic(n_samples, random_state=None):
    rng = np.random.RandomState(random_state)
    X = rng.standard_normal((n_samples, 2))
    u = X.sum(1) / math.sqrt(2)
    Z = np.sin(_PERIOD_OMEGA * u) + _PERIOD_SIGMA * rng.standard_normal(n_samples)
    if "periodic" not in _TRUTHS:
        _TRUTHS["periodic"] = (_periodic_truth(), 0.0)
    return X, Z[:, None], _TRUTHS["periodic"][0]


# -- heavy tails -------------------------------------------------------------------


def make_heavy_t(n_samples, random_state=None, n_features=3, mi=2.0, dof=3.0):
    """A Gaussian pair at ``mi`` nats divided by one shared chi scale: a
    Student t whose MI is the Gaussian's plus that of the shared scale (the
    log-determinant terms of the t's entropy are the Gaussian's)."""
    rng = np.random.RandomState(random_state)
    X, Z, gauss = make_gaussian(n_samples, n_features, mi, random_state=rng)
    scale = np.sqrt(rng.chisquare(dof, n_samples) / dof)[:, None]
    d = n_features
    shared = 2 * _t_entropy(d, dof) - _t_entropy(2 * d, dof)
    return X / scale, Z / scale, float(gauss + shared)


def make_high_mi(n_samples, random_state=None):
    return make_gaussian(n_samples, 2, 7.0, random_state=random_state)


def make_wide(n_samples, random_state=None):
    return make_gaussian(n_samples, 50, 1.6, random_state=random_state)


GENERATORS = {
    "mixture": make_mixture,
    "periodic": make_periodic,
    "ring": make_ring,
    "high_mi": make_high_mi,
    "heavy_t": make_heavy_t,
    "wide": make_wide,
    "classes": make_classes,
}

LEVELS = {
    "mixture": "4 clusters 2+2",
    "periodic": "sine 2+1",
    "ring": "circle 2+2",
    "high_mi": "7 nats 2+2",
    "heavy_t": "t3 3+3",
    "wide": "1.6 nats 50+50",
    "classes": "8 classes 3+1",
}


if __name__ == "__main__":
    for name, make in GENERATORS.items():
        X, Z, truth = make(10, random_state=0)
        se = _TRUTHS.get(name, (truth, 0.0))[1]
        print(f"{name:9s} {LEVELS[name]:16s} truth {truth:.4f} (MC s.e. {se:.4f})")
