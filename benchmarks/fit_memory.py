"""Peak memory of one default NeuralMIEstimator fit, 5 + 5 float32 columns.

One fit per interpreter: the peak resident set (``ru_maxrss``) never falls, so
a second fit in the same process would read the first one's peak. ``--no-fit``
gives the interpreter's own (imports and the data) for the same rows::

    OMP_NUM_THREADS=1 python benchmarks/fit_memory.py 400000 --max-iter 1
    OMP_NUM_THREADS=1 python benchmarks/fit_memory.py 400000 --no-fit

The epochs hardly move the peak (the read-out after training sets it), so
``--max-iter 1`` keeps a million rows to a few minutes on one core.
"""

import argparse
import resource
import time


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--max-iter", type=int, default=3)
    parser.add_argument("--no-fit", action="store_true")
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
    print(
        f"rows={args.rows} max_iter={args.max_iter} fit={not args.no_fit} "
        f"input_MB={(X.nbytes + Z.nbytes) / 1e6:.1f} "
        f"peak_before_fit_MB={before:.1f} peak_MB={_peak_mb():.1f} "
        f"seconds={time.time() - start:.1f} mi={mi}"
    )


if __name__ == "__main__":
    main()
