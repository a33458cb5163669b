"""
MINE against mode collapse: a GAN on a grid of 25 Gaussians
============================================================

A GAN whose generator drops modes of the data is said to *collapse*. MINE
(Belghazi et al., 2018, §5.1) proposes a remedy: feed the generator a code
``c`` next to its noise ``ε`` and let it maximise the mutual information
``I(G([ε, c]); c)`` between its samples and the code. A generator that sends
many codes to the same few points has little information about its code in
its samples, so the term pushes distinct codes towards distinct places; the
discriminator then pulls those places onto modes of the data, including modes
that nobody had visited yet.

This example is a plain PyTorch training loop, which is what the torch-level
API in :mod:`sknmi.regularizers` is for:

- :class:`~sknmi.regularizers.MIRegularizer` holds a MINE critic
  (a :class:`~sknmi.nn.ConcatCritic` trained with the bias-corrected gradient
  of :class:`~sknmi.bounds.MovingAverageDV`) and its optimiser.
  ``critic_step`` is the critic's move of the max–min game (it maximises the
  bound on detached samples); ``regularizer(x, c)`` is the estimate that the
  generator maximises.
- :func:`~sknmi.regularizers.adaptive_clip_grad_` adds the generator's MI
  gradient rescaled to ``min(‖g_gan‖, ‖g_mi‖) g_mi / ‖g_mi‖``, so that the MI
  term steers the generator but never outweighs the adversarial loss.

The data are 25 isotropic Gaussians with standard deviation σ = 0.05 centred
on the grid {−4, −2, 0, 2, 4}². Both GANs share the architecture, optimiser,
number of steps, seeds, initial weights and minibatches; the only difference
is the MI term.
"""

# %%
# Set-up
# ------
# Every random draw comes from a ``torch.Generator`` of its own, and weights
# are initialised inside ``torch.random.fork_rng``: the example leaves torch's
# global random state as it found it. The networks see coordinates divided by
# 4 (the grid then spans [−1, 1]), the usual standardisation of inputs;
# samples and scores are in the data's own units.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from joblib import Parallel, delayed, parallel_config
from torch import nn

from sknmi.nn import MLP, ConcatCritic
from sknmi.regularizers import MIRegularizer, adaptive_clip_grad_

QUICK = bool(os.environ.get("SKNMI_QUICK"))

SIGMA = 0.05
CENTRES = torch.tensor(
    [[x, y] for x in (-4.0, -2.0, 0.0, 2.0, 4.0) for y in (-4.0, -2.0, 0.0, 2.0, 4.0)]
)
SCALE = 4.0
NOISE_DIM, CODE_DIM = 8, 2
HIDDEN = (128, 128)
BATCH_SIZE = 256
LEARNING_RATE = 2e-3
D_STEPS = 2  # discriminator steps per generator step
BETA = 0.3  # weight of the MI term before adaptive clipping
N_STEPS = 150 if QUICK else 3000
SEEDS = [0] if QUICK else [0, 1, 2]
N_EVAL = 2500


def sample_data(n, rng):
    modes = torch.randint(len(CENTRES), (n,), generator=rng)
    return CENTRES[modes] + SIGMA * torch.randn(n, 2, generator=rng)


def build(seed):
    # The critic is built for both GANs so that G and D start from the same
    # weights whether or not the MI term is used.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator = MLP(NOISE_DIM + CODE_DIM, HIDDEN, 2)
        discriminator = MLP(2, HIDDEN, 1)
        critic = ConcatCritic(2, CODE_DIM, HIDDEN)
    return generator, discriminator, critic


# %%
# The training loop
# -----------------
# Each step: the discriminator, then the MINE critic (on detached samples),
# then the generator, whose gradient is the GAN gradient plus the clipped MI
# gradient. With ``mine=False`` the MI part is skipped and nothing else
# changes.


def train_gan(seed, mine):
    rng = torch.Generator().manual_seed(seed)
    g, d, critic = build(seed)
    g_opt = torch.optim.Adam(g.parameters(), lr=LEARNING_RATE, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=LEARNING_RATE, betas=(0.5, 0.999))
    regularizer = MIRegularizer(
        critic,
        bound="mine",
        learning_rate=LEARNING_RATE,
        generator=torch.Generator().manual_seed(seed + 1),
    )
    bce = nn.functional.binary_cross_entropy_with_logits
    real_label, fake_label = torch.ones(BATCH_SIZE), torch.zeros(BATCH_SIZE)
    mi_curve = []
    for _ in range(N_STEPS):
        for _ in range(D_STEPS):
            real = sample_data(BATCH_SIZE, rng) / SCALE
            inputs = torch.randn(BATCH_SIZE, NOISE_DIM + CODE_DIM, generator=rng)
            fake = g(inputs)
            d_opt.zero_grad(set_to_none=True)
            d_loss = bce(d(real).squeeze(1), real_label) + bce(
                d(fake.detach()).squeeze(1), fake_label
            )
            d_loss.backward()
            d_opt.step()

        code = inputs[:, NOISE_DIM:]
        if mine:
            mi_curve.append(float(regularizer.critic_step(fake, code)))
        g_opt.zero_grad(set_to_none=True)
        g_loss = bce(d(fake).squeeze(1), real_label)  # non-saturating loss
        g_loss.backward(retain_graph=mine)
        if mine:
            adaptive_clip_grad_(g.parameters(), -BETA * regularizer(fake, code))
        g_opt.step()
    return g, np.array(mi_curve)


# %%
# Measuring collapse
# ------------------
# A sample is of *high quality* when it lies within 3σ of its nearest mode. A
# mode is *covered* when it receives at least ``MIN_HITS`` high-quality samples
# out of 2500 (a perfect generator gives each mode 100 on average).

MIN_HITS = 10


def evaluate(g, seed):
    rng = torch.Generator().manual_seed(10_000 + seed)
    with torch.no_grad():
        x = g(torch.randn(N_EVAL, NOISE_DIM + CODE_DIM, generator=rng)) * SCALE
    nearest = torch.cdist(x, CENTRES).min(1)
    good = nearest.values < 3 * SIGMA
    hits = torch.bincount(nearest.indices[good], minlength=len(CENTRES))
    return x.numpy(), int((hits >= MIN_HITS).sum()), float(good.float().mean())


def train_and_evaluate(seed, name):
    g, curve = train_gan(seed, mine=name == "MINE")
    return curve, *evaluate(g, seed)


# The six trainings are independent: joblib runs them in worker processes
# (loky backend, one torch thread each, the fastest way to run small networks
# on several cores). Each is seeded, so the result does not depend on where
# it ran.
results = {"vanilla": [], "MINE": []}
samples, curves = {}, {}
start = time.perf_counter()
runs = [(seed, name) for seed in SEEDS for name in results]
with parallel_config(backend="loky", inner_max_num_threads=1):
    outputs = Parallel(n_jobs=1 if QUICK else 2)(
        delayed(train_and_evaluate)(seed, name) for seed, name in runs
    )
for (seed, name), (curve, x, modes, quality) in zip(runs, outputs):
    curves[name, seed], samples[name, seed] = curve, x
    results[name].append((modes, quality))
elapsed = time.perf_counter() - start

print(f"{len(SEEDS)} seeds x 2 GANs x {N_STEPS} steps in {elapsed:.0f} s")
print("seed   vanilla: modes  high quality   MINE: modes  high quality")
for i, seed in enumerate(SEEDS):
    (vm, vq), (mm, mq) = results["vanilla"][i], results["MINE"][i]
    print(f"{seed:4d}   {vm:14d}  {vq:12.1%}   {mm:11d}  {mq:12.1%}")
for name, rows in results.items():
    modes, quality = np.array(rows).T
    print(
        f"{name:8s} mean: {modes.mean():.1f} of 25 modes, "
        f"{quality.mean():.1%} high quality"
    )

# %%
# Samples against the modes
# -------------------------
# Each panel shows 2500 samples (blue) and the 25 modes (red). With these
# seeds the vanilla GAN settles on the inner 3 x 3 block of the grid and
# sharpens it; the MINE term keeps pushing the generator's codes apart, and
# on every seed the generator reaches modes of the outer ring that the
# vanilla GAN never visits. The price, within this budget, is sample
# quality: more samples sit on the bridges between modes, which the
# discriminator has not yet removed. In the full run printed above (3 seeds,
# 3000 steps, one torch thread per training) the vanilla GAN covered 9, 9 and
# 9 modes with 94%, 93% and 91% high-quality samples, the MINE GAN 13, 10 and
# 12 modes with 55%, 52% and 51%.

fig, axes = plt.subplots(
    2,
    len(SEEDS),
    figsize=(3.2 * len(SEEDS), 6.4),
    squeeze=False,
    sharex=True,
    sharey=True,
)
for j, seed in enumerate(SEEDS):
    for i, name in enumerate(results):
        ax = axes[i, j]
        x = samples[name, seed]
        modes, quality = results[name][j]
        ax.scatter(x[:, 0], x[:, 1], s=1, alpha=0.3, color="tab:blue")
        ax.scatter(*CENTRES.numpy().T, s=12, marker="x", color="tab:red")
        ax.set(xlim=(-5.5, 5.5), ylim=(-5.5, 5.5), aspect="equal")
        ax.set_title(
            f"{name}, seed {seed}\n{modes} modes, {quality:.0%} high quality",
            fontsize=9,
        )
fig.tight_layout()

# %%
# Modes covered and sample quality per seed
# -----------------------------------------

fig, (ax_modes, ax_quality) = plt.subplots(1, 2, figsize=(8, 3.2))
width = 0.38
positions = np.arange(len(SEEDS))
for k, name in enumerate(results):
    modes, quality = np.array(results[name]).T
    ax_modes.bar(positions + (k - 0.5) * width, modes, width, label=name)
    ax_quality.bar(positions + (k - 0.5) * width, 100 * quality, width, label=name)
ax_modes.axhline(25, color="grey", lw=0.8, ls="--")
ax_modes.set(
    xticks=positions, xticklabels=SEEDS, xlabel="seed", ylabel="modes covered (of 25)"
)
ax_quality.set(
    xticks=positions,
    xticklabels=SEEDS,
    xlabel="seed",
    ylabel="high-quality samples (%)",
    ylim=(0, 100),
)
ax_modes.legend()
fig.tight_layout()

# %%
# What the critic sees
# --------------------
# The critic's bound on each minibatch while the MINE GAN trains. It rises as
# the critic learns to read the code from the samples, then falls as the
# discriminator squeezes the samples onto modes and removes what the code
# decided inside a mode. For scale: telling which of k equally likely modes a
# code goes to is worth log k nats (log 25 = 3.2, log 9 = 2.2).

fig, ax = plt.subplots(figsize=(5, 3.2))
for seed in SEEDS:
    curve = curves["MINE", seed]
    window = max(1, len(curve) // 50)
    smooth = np.convolve(curve, np.ones(window) / window, mode="valid")
    ax.plot(smooth, label=f"seed {seed}")
ax.axhline(np.log(25), color="grey", lw=0.8, ls="--", label="log 25")
ax.set(xlabel="generator step", ylabel="MINE estimate of I(G(ε, c); c) (nats)")
ax.legend()
fig.tight_layout()
plt.show()
