"""Peak memory of one default NeuralMIEstimator fit, 5 + 5 float32 columns.

One fit per interpreter: the peak resident set (``ru_maxrss``) never falls, so
a second fit in the same process would read the first one's peak. ``--no-fit``
gives the interpreter's own (imports and the data) for the same rows::

    OMP_NUM_THREADS=1 python benchmarks/fit_memory.py 400000 --max-iter 1
    OMP_NUM_THREADS=1 python benchmarks/fit_memory.py 400000 --no-fit

The epochs hardly move the peak (the read-out after training sets it), so
``--max-iter 1`` keeps a million rows to a few minutes on one core.
``--csv FILE`` appends the run's row (rows, fit, input and peak MB).
"""

import argparse
import csv
import os
import resource
import time


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--max-iter", type=int, default=3)
    parser.add_argument("--no-fit", action="store_true")
    parser.add_argument("--csv", help="append the run's row to this CSV")
    args = parser.parse_args()

    import numpy as np
    import torch

    import sknmi
    from sknmi.datasets import make_gaussian

    torch.set_num_threads(1)
    X, Z, _ = make_gaussian(n_samples=args.rows, n_features=5, mi=1.0, random_state=0)
    X, Z = X.astype(np.float32), Z.astype(np.float32)
    before, start, mi = _peak_mb(), time.time(), None
    if not args.no_fit:
        est = sknmi.NeuralMIEstimator(random_state=0, max_iter=args.max_iter)
        mi = est.fit(X, Z).mi_
    row = {
        "rows": args.rows,
        "max_iter": args.max_iter,
        "fit": not args.no_fit,
        "input_MB": round((X.nbytes + Z.nbytes) / 1e6, 1),
        "peak_before_fit_MB": round(before, 1),
        "peak_MB": round(_peak_mb(), 1),
        "seconds": round(time.time() - start, 1),
        "mi": "" if mi is None else round(float(mi), 4),
    }
    print(" ".join(f"{key}={value}" for key, value in row.items()))
    if args.csv:
        fresh = not os.path.exists(args.csv)
        with open(args.csv, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if fresh:
                writer.writeheader()
            writer.writerow(row)


if __name__ == "__main__":
    main()
