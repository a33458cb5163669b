"""Fit time and peak memory of NeuralMIEstimator against the number of rows.

20-d Gaussian pairs at 10^4, 10^5 and 10^6 rows, a fixed number of epochs (no
early stopping), each size in a fresh subprocess so that its peak resident
memory is its own. Time should grow about linearly in the rows, and memory stay
near the size of the data (no n x n matrix over the data set; held-out scores
are computed in chunks).

    python benchmarks/scaling.py             # a few minutes on 2 cores
    python benchmarks/scaling.py --quick     # 10^4 and 10^5 rows only
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, warnings
import torch
from sknmi import NeuralMIEstimator
from sknmi.datasets import make_gaussian
warnings.simplefilter("ignore")
torch.set_num_threads(int(sys.argv[3]))
n, epochs = int(sys.argv[1]), int(sys.argv[2])
X, Z, _ = make_gaussian(n_samples=n, n_features=20, mi=4.0, random_state=0)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
est = NeuralMIEstimator(max_iter=epochs, early_stopping=False, random_state=0).fit(X, Z)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"n": n, "seconds": seconds, "base_mb": base / 1024,
                  "peak_mb": peak / 1024, "data_mb": (X.nbytes + Z.nbytes) / 2**20,
                  "mi": est.mi_}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    print(
        f"\n## Scaling: 20-d Gaussian, {args.epochs} epochs, {args.threads} thread(s)\n"
    )
    print(
        "| rows | fit seconds | seconds per 10^4 rows | data MB | "
        "peak RSS MB | RSS growth in fit MB |"
    )
    print("|---|---|---|---|---|---|")
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), str(args.epochs), str(args.threads)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        print(
            f"| {n:,} | {row['seconds']:.1f} | {1e4 * row['seconds'] / n:.2f} | "
            f"{row['data_mb']:.0f} | {row['peak_mb']:.0f} | "
            f"{row['peak_mb'] - row['base_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
