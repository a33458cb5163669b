"""Training steps per second: NeuralMIEstimator.fit against a plain PyTorch loop.

Both train the same separable critic with the same bound, batch size, Adam and
data already in tensors, in one process, alternated, several repeats. Two
figures for the estimator: its training loop (the epochs, each with its
held-out validation, from ``history_["seconds"]``) and its whole ``fit``
(also validation, splitting, standardising and the final read-outs); the plain
loop only trains. A second table shows how the torch thread count affects small
critics.

    python benchmarks/overhead.py            # about two minutes on 2 cores
    python benchmarks/overhead.py --quick    # a smoke run
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import torch

from sknmi import NeuralMIEstimator
from sknmi.bounds import jsd, split_scores
from sknmi.datasets import make_gaussian
from sknmi.nn import SeparableCritic


def plain_loop(X, Z, hidden, embedding_dim, batch_size, epochs, lr, seed):
    """What one writes by hand: tensors, randperm, slices, Adam, the JSD loss."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        critic = SeparableCritic(X.shape[1], Z.shape[1], hidden, embedding_dim)
    opt = torch.optim.Adam(critic.parameters(), lr=lr)
    Xt, Zt = torch.tensor(X, dtype=torch.float32), torch.tensor(Z, dtype=torch.float32)
    n = len(Xt)
    steps = 0
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n - batch_size + 1, batch_size):
            idx = order[i : i + batch_size]
            loss = -jsd(*split_scores(critic.score_matrix(Xt[idx], Zt[idx])))
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
    return steps / (time.perf_counter() - start)


def estimator_loop(X, Z, hidden, embedding_dim, batch_size, epochs, lr, seed):
    est = NeuralMIEstimator(
        hidden_layer_sizes=hidden,
        embedding_dim=embedding_dim,
        batch_size=batch_size,
        learning_rate_init=lr,
        max_iter=epochs,
        early_stopping=False,
        random_state=seed,
    )
    start = time.perf_counter()
    est.fit(X, Z)
    seconds = time.perf_counter() - start
    n_train = len(X) - int(np.ceil(est.validation_fraction * len(X)))
    steps = est.n_iter_ * (n_train // batch_size)
    return steps / sum(est.history_["seconds"]), steps / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    n, epochs, repeats = (10_000, 2, 2) if args.quick else (20_000, 10, args.repeats)
    X, Z, _ = make_gaussian(n_samples=n, n_features=20, mi=4.0, random_state=0)
    # The plain loop trains on the rows the estimator trains on: 80% of them.
    n_train = n - int(np.ceil(0.2 * n))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(args.threads)
        print(
            f"\n## Steps per second ({n} rows, 20-d, {epochs} epochs, "
            f"{args.threads} thread(s), median of {repeats})\n"
        )
        print(
            "| critic | batch | plain loop | estimator's loop | ratio | whole fit "
            "| ratio |"
        )
        print("|---|---|---|---|---|---|---|")
        for hidden, batch in [((256, 256), 256), ((64,), 128)]:
            plain, ours = [], []
            for r in range(repeats):
                plain.append(
                    plain_loop(
                        X[:n_train], Z[:n_train], hidden, 32, batch, epochs, 1e-3, r
                    )
                )
                ours.append(estimator_loop(X, Z, hidden, 32, batch, epochs, 1e-3, r))
            p = statistics.median(plain)
            loop = statistics.median(o[0] for o in ours)
            fit = statistics.median(o[1] for o in ours)
            print(
                f"| separable {hidden} | {batch} | {p:.0f} | {loop:.0f} "
                f"| {loop / p:.2f} | {fit:.0f} | {fit / p:.2f} |"
            )

        print(f"\n## Torch threads, plain loop, small critics ({n_train} rows)\n")
        print("| critic | batch | threads | steps/s |")
        print("|---|---|---|---|")
        for hidden, batch in [((64,), 128), ((256, 256), 256)]:
            for threads in (1, 2):
                torch.set_num_threads(threads)
                rate = statistics.median(
                    plain_loop(
                        X[:n_train], Z[:n_train], hidden, 32, batch, epochs, 1e-3, r
                    )
                    for r in range(repeats)
                )
                print(f"| separable {hidden} | {batch} | {threads} | {rate:.0f} |")
    finally:
        torch.set_num_threads(before)


if __name__ == "__main__":
    main()
