"""A default fit on a GPU against the CPU, the GPU fit pickled and scored on the CPU.

One prepared run for a machine with CUDA (the docs' GPU page reports it):

1. 20 + 20 dims at 2 nats (``make_gaussian``), ``--rows`` rows (10^5 and 10^6
   by default): a default ``NeuralMIEstimator(device="cuda")`` fit, timed,
   with epochs, seconds per epoch, the estimate and its interval;
2. the same data on the CPU (all its cores): a whole default fit at the
   smaller size, and ``--cpu-epochs`` epochs at the larger one (seconds per
   epoch; a whole fit there would take many minutes);
3. the GPU-fitted estimator pickled, loaded (its critic comes back on the
   CPU) and scored on fresh rows on the CPU, against its own score on the
   GPU before pickling.

Prints a table and writes ``gpu.json`` to ``--out``.

    python benchmarks/gpu.py --out results/           # about 5 minutes on an H200
    python benchmarks/gpu.py --rows 2000 --device cpu # a smoke run anywhere
"""

import argparse
import json
import os
import pickle
import platform
import time
import warnings

import numpy as np
import torch

import sknmi
from sknmi import NeuralMIEstimator
from sknmi.datasets import make_gaussian


def timed_fit(X, Z, **params):
    est = NeuralMIEstimator(random_state=0, **params)
    if str(params.get("device", "cpu")).startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, Z)
    if str(params.get("device", "cpu")).startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return est, seconds


def summary(label, est, seconds, truth, device, n):
    epochs = est.n_iter_
    return {
        "fit": label,
        "device": device,
        "rows": n,
        "seconds": round(seconds, 2),
        "epochs": epochs,
        "s_per_epoch": round(float(np.median(est.history_["seconds"])), 3),
        "mi": round(est.mi_, 4),
        "ci": [round(v, 4) for v in est.mi_ci_],
        "truth": truth,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--cpu-epochs", type=int, default=1)
    parser.add_argument("--out", default=".")
    args = parser.parse_args()
    info = {
        "sknmi": sknmi.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "cpu_threads": torch.get_num_threads(),
        "date": time.strftime("%Y-%m-%d"),
    }
    print(info, flush=True)
    rows = []
    small, large = min(args.rows), max(args.rows)
    fresh_X, fresh_Z, _ = make_gaussian(20_000, 20, 2.0, random_state=99)
    for n in sorted(set(args.rows)):
        X, Z, truth = make_gaussian(n, 20, 2.0, random_state=0)
        est, seconds = timed_fit(X, Z, device=args.device)
        rows.append(summary("default", est, seconds, truth, args.device, n))
        print(rows[-1], flush=True)
        if n == large:
            on_device = est.score(fresh_X, fresh_Z)
            blob = pickle.dumps(est)
            loaded = pickle.loads(blob)
            critic_device = str(next(loaded.critic_.parameters()).device)
            start = time.perf_counter()
            on_cpu = loaded.score(fresh_X, fresh_Z)
            info["pickle"] = {
                "bytes": len(blob),
                "critic_device_after_load": critic_device,
                "score_on_device": round(on_device, 5),
                "score_on_cpu_after_pickle": round(on_cpu, 5),
                "cpu_score_seconds": round(time.perf_counter() - start, 3),
                "pointwise_mi_mean_on_cpu": round(
                    float(loaded.pointwise_mi(fresh_X, fresh_Z).mean()), 4
                ),
            }
            print(info["pickle"], flush=True)
        if args.device != "cpu":
            cpu_params = {"device": "cpu"}
            label = "default"
            if n == large and n != small:
                cpu_params.update(max_iter=args.cpu_epochs, early_stopping=False)
                label = f"{args.cpu_epochs} epoch(s)"
            est, seconds = timed_fit(X, Z, **cpu_params)
            rows.append(summary(label, est, seconds, truth, "cpu", n))
            print(rows[-1], flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "gpu.json"), "w") as f:
        json.dump({"info": info, "fits": rows}, f, indent=1)
    print()
    print("| rows | device | fit | seconds | epochs | s/epoch | mi_ | 95% interval |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['rows']:,} | {r['device']} | {r['fit']} | {r['seconds']} | "
            f"{r['epochs']} | {r['s_per_epoch']} | {r['mi']} | "
            f"[{r['ci'][0]}, {r['ci'][1]}] |"
        )


if __name__ == "__main__":
    main()
