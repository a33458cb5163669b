"""The bmi side of the Beyond Normal benchmark: samples, and bmi's own estimators.

Runs in the environment of ``benchmark-mi`` (``make bench-bmi`` builds it in
``.venv-bmi``), never in the project's: bmi pins an old JAX.

``sample``
    Writes every task of ``bmi.benchmark.BENCHMARK_TASKS`` at the given sizes and
    seeds to ``DIR/<task>__n<rows>__s<seed>.npz`` with arrays ``x``, ``y`` (each
    column standardised to mean 0 and standard deviation 1, the paper's protocol)
    and the scalars ``truth`` (nats), ``task``, ``name``; plus ``DIR/tasks.json``.
``run``
    Reads the samples of one size and seed back and runs bmi's MINE and InfoNCE
    at their defaults (``verbose=False``) on each, appending one CSV row per fit
    (task, rows, seed, estimator, estimate, truth, seconds) as it goes, so that
    a run cut short keeps what it measured. Rows already in the CSV are skipped.

Czyż, Grabowski, Vogt, Beerenwinkel and Marx, "Beyond Normal: On the Evaluation
of Mutual Information Estimators", NeurIPS 2023.

Keep JAX on one thread when timing::

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
        .venv-bmi/bin/python benchmarks/bmi_tasks.py run --out ...
"""

import argparse
import csv
import datetime
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_DIR = HERE / "results" / "beyond_normal_samples"
DEFAULT_CSV = HERE / "results" / "beyond_normal_bmi.csv"
FIELDS = ["task", "rows", "seed", "estimator", "estimate", "truth", "seconds"]


def _standardise(a):
    a = np.asarray(a, dtype=np.float64)
    sd = a.std(axis=0)
    sd[sd == 0] = 1.0
    return (a - a.mean(axis=0)) / sd


def sample_path(directory, task_id, rows, seed):
    """Path of the sample of one task, size and seed."""
    return Path(directory) / f"{task_id}__n{rows}__s{seed}.npz"


def cmd_sample(args):
    import bmi

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    tasks = {}
    for task_id, task in bmi.benchmark.BENCHMARK_TASKS.items():
        tasks[task_id] = {
            "name": task.name,
            "dim_x": task.dim_x,
            "dim_y": task.dim_y,
            "truth": float(task.mutual_information),
        }
        for rows in args.rows:
            for seed in args.seeds:
                path = sample_path(out, task_id, rows, seed)
                if path.exists():
                    continue
                x, y = task.sample(rows, seed=seed)
                np.savez(
                    path,
                    x=_standardise(x),
                    y=_standardise(y),
                    truth=float(task.mutual_information),
                    task=task_id,
                    name=task.name,
                )
    meta = {
        "bmi_version": _bmi_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "command": "python " + " ".join(sys.argv),
        "rows": args.rows,
        "seeds": args.seeds,
        "tasks": tasks,
    }
    (out / "tasks.json").write_text(json.dumps(meta, indent=1))
    print(f"{len(tasks)} tasks written to {out}")


def _bmi_version():
    from importlib.metadata import version

    return version("benchmark-mi")


def _done(path):
    if not Path(path).exists():
        return set()
    with open(path, newline="") as f:
        return {
            (r["task"], int(r["rows"]), int(r["seed"]), r["estimator"])
            for r in csv.DictReader(f)
        }


def cmd_run(args):
    import bmi

    estimators = {
        "bmi MINE": lambda: bmi.estimators.MINEEstimator(verbose=False),
        "bmi InfoNCE": lambda: bmi.estimators.InfoNCEEstimator(verbose=False),
    }
    done = _done(args.out)
    new = not Path(args.out).exists()
    tasks = list(bmi.benchmark.BENCHMARK_TASKS)
    if args.tasks:
        tasks = [t for t in tasks if t in args.tasks]
    sidecar = Path(args.out).with_suffix(".json")
    sidecar.write_text(
        json.dumps(
            {
                "command": "python " + " ".join(sys.argv),
                "version": f"benchmark-mi {_bmi_version()}",
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"
                ),
                "threads": os.environ.get("XLA_FLAGS", ""),
            },
            indent=1,
        )
    )
    with open(args.out, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        for task_id in tasks:
            data = np.load(sample_path(args.dir, task_id, args.rows, args.seed))
            for name, make in estimators.items():
                if (task_id, args.rows, args.seed, name) in done:
                    continue
                start = time.perf_counter()
                estimate = float(make().estimate(data["x"], data["y"]))
                seconds = time.perf_counter() - start
                writer.writerow(
                    {
                        "task": task_id,
                        "rows": args.rows,
                        "seed": args.seed,
                        "estimator": name,
                        "estimate": f"{estimate:.6g}",
                        "truth": f"{float(data['truth']):.6g}",
                        "seconds": f"{seconds:.3f}",
                    }
                )
                f.flush()
                print(f"{task_id} {name}: {estimate:.3f} ({seconds:.1f} s)", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sample", help="write the tasks' samples to .npz")
    p.add_argument("--dir", default=str(DEFAULT_DIR))
    p.add_argument("--rows", type=int, nargs="+", default=[1000, 5000, 10000])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.set_defaults(func=cmd_sample)
    r = sub.add_parser("run", help="bmi's MINE and InfoNCE on the samples")
    r.add_argument("--dir", default=str(DEFAULT_DIR))
    r.add_argument("--out", default=str(DEFAULT_CSV))
    r.add_argument("--rows", type=int, default=10000)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--tasks", nargs="*", help="task ids (default: all 40)")
    r.set_defaults(func=cmd_run)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
