"""Seconds per default fit, and how close the training step comes to torch.mm.

For each cell (a data family at some rows and dimensions) and seed, in one
process on one torch thread: a default ``NeuralMIEstimator`` fit (seconds,
epochs, seconds per epoch, the estimate against the truth) and
``KSGEstimator`` on the same data. With ``--previous``, also the defaults of
the previous release (a 256 x 256 critic, Adam at 5e-4 without a schedule, up
to 200 epochs with patience 10) on the same engine, side by side; with
``--bfloat16``, the defaults with ``precision="bfloat16"`` (the training
step's products in bfloat16), side by side; with ``--last-release``, the
defaults of the release before the rate race (Adam's rate from the columns
and the batch, a cosine schedule over 20 epochs), side by side.

A second table times the training step itself: three stacked separable
critics of the default width on one batch (forward, backward, Adam), against
the same matrix products (forward and both backward products of every layer,
and the batch's score matrix) run by plain ``torch.mm``; both as GFLOP/s
counting the products' multiply-adds, so the ratio says how much of what the
machine's matrix kernel can do the loop achieves.

Prints markdown tables and writes ``--csv`` (``benchmarks/results/speed.csv``).

    python benchmarks/speed.py                 # about 5 minutes on 2 cores
    python benchmarks/speed.py --previous      # adds the previous defaults
    python benchmarks/speed.py --bfloat16      # adds precision="bfloat16"
    python benchmarks/speed.py --last-release  # adds the last release's defaults
    python benchmarks/speed.py --quick         # a smoke run
"""

import argparse
import csv
import os
import statistics
import time
import warnings

import numpy as np
import torch

from sknmi import KSGEstimator, NeuralMIEstimator
from sknmi._neural.auto import embedding_dim as _auto_embedding
from sknmi._neural.auto import hidden_layer_sizes as _auto_hidden
from sknmi.bounds import jsd_of_matrix
from sknmi.datasets import (
    make_gaussian,
    make_gaussian_covariance,
    make_invariance,
    make_sparse_gaussian,
)
from sknmi.nn import SeparableCritic, stack_critics
from sknmi.nn.pairs import all_pair_scores

PREVIOUS = dict(
    hidden_layer_sizes=(256, 256),
    embedding_dim=32,
    learning_rate_init=5e-4,
    learning_rate_schedule="constant",
    max_iter=200,
    n_iter_no_change=10,
)


def last_release(x_features, z_features, n):
    """The last release's defaults for these columns and rows: its rate rule
    (8e-3, falling with the cube of the columns beyond 16 and the square root
    of batches below 256 rows), a cosine schedule over 20 epochs."""
    n_train = n * 2 // 3  # three folds
    batch = min(
        int(np.clip(2 ** round(np.log2(max(n_train, 1) / 32)), 32, 512)), n_train
    )
    d = x_features + z_features
    rate = 8e-3 * min(1.0, (16 / d) ** 3) * min(1.0, batch / 256) ** 0.5
    return dict(learning_rate_init=rate, learning_rate_schedule="cosine", max_iter=20)


CELLS = {
    "1+1 Y = X + noise": lambda n, s: make_invariance("linear", 0.3, n, random_state=s),
    "1+1 Gaussian": lambda n, s: make_gaussian(n, 1, 0.41, random_state=s),
    "5+5 Gaussian 1 nat": lambda n, s: make_gaussian(n, 5, 1.0, random_state=s),
    "5+5 sparse Gaussian": lambda n, s: make_sparse_gaussian(
        n, 5, 2, mi=1.0, random_state=s
    ),
    "25+25 dense Gaussian": lambda n, s: make_gaussian_covariance(
        n, 25, 25, mi=1.29, covariance="dense", random_state=s
    ),
    "20+20 staircase 2 nats": lambda n, s: make_gaussian(n, 20, 2.0, random_state=s),
}


def fit(estimator, X, Z):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, Z)
    return time.perf_counter() - start


def step_rate(x_features, z_features, batch, members=3, repeats=30):
    """GFLOP/s of the stacked training step and of torch.mm on its products."""
    # The widths a default fit of these columns resolves to.
    widths = _auto_hidden(x_features, z_features)
    e = _auto_embedding(x_features, z_features)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        stack = stack_critics(
            [SeparableCritic(x_features, z_features, widths, e) for _ in range(members)]
        )
        x = torch.randn(members, batch, x_features)
        z = torch.randn(members, batch, z_features)
    opt = torch.optim.Adam(stack.parameters(), lr=1e-3, fused=True)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = -jsd_of_matrix(all_pair_scores(stack, x, z)).sum()
        loss.backward()
        opt.step()

    layers = []
    for d in (x_features, z_features):
        sizes = [d, *widths, e]
        layers += list(zip(sizes[:-1], sizes[1:]))
    # Forward, gradient of the input and of the weights: three products a
    # layer, and three for the batch's score matrix.
    flops = members * (
        sum(3 * 2 * batch * i * o for i, o in layers) + 3 * 2 * batch * batch * e
    )
    operands = []
    for i, o in layers:
        a, w, g = torch.randn(batch, i), torch.randn(i, o), torch.randn(batch, o)
        operands += [(a, w), (g, w.T.contiguous()), (a.T.contiguous(), g)]
    f, gz = torch.randn(batch, e), torch.randn(e, batch)
    operands += [(f, gz), (f.T.contiguous(), f), (f, gz)]

    def products():
        for _ in range(members):
            for a, b in operands:
                torch.mm(a, b)

    rates = []
    for work in (step, products):
        for _ in range(3):
            work()
        start = time.perf_counter()
        for _ in range(repeats):
            work()
        rates.append(flops * repeats / (time.perf_counter() - start) / 1e9)
    return rates[0], rates[1], widths


def _append(path, rows):
    if not path:
        return
    fresh = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        if fresh:
            writer.writeheader()
        writer.writerows(rows)


def batched_step(path=None):
    """The step of one 1+1 fit's 3 fold critics against that of many fits'
    critics in one stack (sknmi._neural.problems), each against torch.mm."""
    print("| batch | fits | members | step GFLOP/s | torch.mm GFLOP/s | ratio |")
    print("|---|---|---|---|---|---|")
    rows = []
    for batch, fits in ((64, 1), (64, 20), (128, 1), (128, 10), (256, 1), (256, 5)):
        step, mm, _ = step_rate(1, 1, batch, members=3 * fits, repeats=20)
        print(
            f"| {batch} | {fits} | {3 * fits} | {step:.1f} | {mm:.1f} | "
            f"{step / mm:.0%} |"
        )
        rows.append(
            {
                "measure": "step",
                "batch": batch,
                "fits": fits,
                "step_gflops": round(step, 2),
                "mm_gflops": round(mm, 2),
                "ratio": round(step / mm, 3),
            }
        )
    _append(path, rows)


def _step_seconds(stacks_inputs, repeats):
    """Seconds of one training step of each (stack, x, z), one after another."""
    steps = []
    for stack, x, z in stacks_inputs:
        opt = torch.optim.Adam(stack.parameters(), lr=1e-3, fused=True)

        def step(stack=stack, x=x, z=z, opt=opt):
            opt.zero_grad(set_to_none=True)
            loss = -jsd_of_matrix(all_pair_scores(stack, x, z)).sum()
            loss.backward()
            opt.step()

        steps.append(step)
    for _ in range(3):
        for step in steps:
            step()
    start = time.perf_counter()
    for _ in range(repeats):
        for step in steps:
            step()
    return (time.perf_counter() - start) / repeats


def padding(repeats=30, path=None):
    """Fits of two input widths in one step: grouped by width (one stack per
    width, stepped in turn, as the batched fits run) against one stack with
    the narrower inputs padded by zero columns to the wider."""
    print("| batch | fits per width | widths | grouped ms/step | padded ms/step |")
    print("|---|---|---|---|---|")
    rows = []
    for batch, fits in ((64, 2), (64, 20), (128, 2), (128, 10)):
        # A transfer entropy with history 1: the joint term's X is two columns,
        # the given term's one; Z one column; the same critic widths.
        widths, e = _auto_hidden(2, 1), _auto_embedding(2, 1)
        members = 3 * fits
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)

            wide, narrow, both = (
                stack_critics([SeparableCritic(d, 1, widths, e) for _ in range(m)])
                for d, m in ((2, members), (1, members), (2, 2 * members))
            )
            x2, x1 = torch.randn(members, batch, 2), torch.randn(members, batch, 1)
            z = torch.randn(members, batch, 1)
        padded_x = torch.cat([x2, torch.cat([x1, torch.zeros_like(x1)], 2)])
        grouped = _step_seconds([(wide, x2, z), (narrow, x1, z)], repeats)
        padded = _step_seconds([(both, padded_x, torch.cat([z, z]))], repeats)
        print(
            f"| {batch} | {fits} | 2 and 1 | {1e3 * grouped:.2f} | {1e3 * padded:.2f} |"
        )
        rows.append(
            {
                "measure": "padding",
                "batch": batch,
                "fits": fits,
                "grouped_ms": round(1e3 * grouped, 3),
                "padded_ms": round(1e3 * padded, 3),
            }
        )
    _append(path, rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--previous", action="store_true")
    parser.add_argument(
        "--bfloat16",
        action="store_true",
        help="also the defaults with precision='bfloat16', side by side",
    )
    parser.add_argument(
        "--last-release",
        action="store_true",
        help="also the last release's defaults (rate rule, cosine over 20 epochs)",
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--batched-step",
        action="store_true",
        help="only the step of many fits' critics in one stack against torch.mm",
    )
    parser.add_argument(
        "--padding",
        action="store_true",
        help="only fits of two widths grouped by width against padded to one",
    )
    parser.add_argument(
        "--csv", default=os.path.join("benchmarks", "results", "speed.csv")
    )
    parser.add_argument(
        "--step-csv",
        help="append the rows of --batched-step or of --padding here (one file each)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.batched_step:
        return batched_step(args.step_csv)
    if args.padding:
        return padding(path=args.step_csv)
    grid = [
        ("1+1 Y = X + noise", 10_000),
        ("1+1 Gaussian", 10_000),
        ("5+5 Gaussian 1 nat", 10_000),
        ("5+5 sparse Gaussian", 10_000),
        ("25+25 dense Gaussian", 10_000),
        ("20+20 staircase 2 nats", 50_000),
    ]
    if args.quick:
        grid, args.seeds = [("1+1 Gaussian", 2_000), ("5+5 sparse Gaussian", 2_000)], 1
    # One warm-up fit: the first fit in a process pays torch's lazy imports.
    fit(NeuralMIEstimator(max_iter=1), *make_gaussian(500, 1, 0.5, random_state=0)[:2])
    configs = {"sknmi": {}}
    if args.previous:
        configs["previous defaults"] = PREVIOUS
    if args.bfloat16:
        configs["sknmi, bfloat16"] = {"precision": "bfloat16"}
    records = []
    for cell, n in grid:
        for seed in range(args.seeds):
            X, Z, truth = CELLS[cell](n, seed)
            if args.last_release:
                configs["last release"] = last_release(X.shape[1], Z.shape[1], n)
            for name, params in configs.items():
                est = NeuralMIEstimator(random_state=seed, **params)
                seconds = fit(est, X, Z)
                records.append(
                    dict(
                        cell=cell,
                        rows=n,
                        seed=seed,
                        estimator=name,
                        seconds=seconds,
                        epochs=est.n_iter_,
                        s_per_epoch=float(np.median(est.history_["seconds"])),
                        estimate=est.mi_,
                        truth=truth,
                    )
                )
                print(records[-1], flush=True)
            if X.shape[1] + Z.shape[1] <= 10 or n <= 10_000:
                ksg = KSGEstimator()
                seconds = fit(ksg, X, Z)
                records.append(
                    dict(
                        cell=cell,
                        rows=n,
                        seed=seed,
                        estimator="KSG",
                        seconds=seconds,
                        epochs=0,
                        s_per_epoch=0.0,
                        estimate=ksg.mi_,
                        truth=truth,
                    )
                )
    from report import write_results  # benchmarks/, beside this script

    write_results(records, args.csv)

    print(f"\nMedians over {args.seeds} seed(s), one torch thread.\n")
    print("| data | rows | estimator | s/fit | epochs | s/epoch | error % |")
    print("|---|---|---|---|---|---|---|")
    for cell, n in grid:
        for name in dict.fromkeys([*configs, "KSG"]):
            rs = [r for r in records if r["cell"] == cell and r["estimator"] == name]
            if not rs:
                continue

            def med(key, rs=rs):
                return statistics.median(r[key] for r in rs)

            error = statistics.mean(
                100 * (r["estimate"] - r["truth"]) / r["truth"] for r in rs
            )
            epochs = f"{med('epochs'):.0f}" if name != "KSG" else ""
            per = f"{med('s_per_epoch'):.3f}" if name != "KSG" else ""
            print(
                f"| {cell} | {n:,} | {name} | {med('seconds'):.2f} | {epochs} | "
                f"{per} | {error:+.1f} |"
            )

    print("\nTraining step (3 stacked critics, default width) against torch.mm:\n")
    print("| dims | batch | widths | step GFLOP/s | torch.mm GFLOP/s | ratio |")
    print("|---|---|---|---|---|---|")
    for dx, batch in ((1, 256), (5, 256), (20, 512), (25, 256)):
        step, mm, widths = step_rate(dx, dx, batch)
        print(
            f"| {dx}+{dx} | {batch} | {widths}, {_auto_embedding(dx, dx)} | "
            f"{step:.1f} | {mm:.1f} | {step / mm:.0%} |"
        )


if __name__ == "__main__":
    main()
