"""The "Beyond Normal" benchmark: sknmi's defaults, KSG and Gaussian on its 40 tasks.

Czyż, Grabowski, Vogt, Beerenwinkel and Marx, "Beyond Normal: On the Evaluation
of Mutual Information Estimators", NeurIPS 2023 (the package ``benchmark-mi``,
imported as ``bmi``). The tasks run from 1 + 1 to 50 + 50 dimensions: Gaussian,
Student-t, uniform with additive noise, bimodal, and Gaussians seen through the
normal CDF, half-cube, asinh, wiggly, swiss-roll and spiral maps, each with its
mutual information known.

bmi pins an old JAX, so the samples come from its own environment
(``benchmarks/bmi_tasks.py sample``, which also runs bmi's MINE and InfoNCE);
this script reads them back (one ``.npz`` per task, size and seed, each column
already standardised) and scores them in the project's environment:
``NeuralMIEstimator()``, ``KSGEstimator()`` and ``GaussianMIEstimator()`` at
their defaults (``random_state`` = the sample's seed), one torch thread per fit.
One CSV row per fit, appended as fits finish; rows already in the CSV are
skipped, so a run can be resumed. A JSON sidecar records the command, the
package versions and the date.

    make bench-bmi                                       # everything, hours
    python benchmarks/beyond_normal.py --rows 10000      # our side, one size
    python benchmarks/beyond_normal.py --summary         # the summary tables

The summary, per estimator and size: mean absolute error (nats), the number of
tasks within 0.1 nats and within 10% of the truth (averaged over seeds), and
the seconds to fit all the tasks once (the sum over fits divided by the seeds).
"""

import argparse
import csv
import datetime
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import sknmi
from sknmi import GaussianMIEstimator, KSGEstimator, NeuralMIEstimator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# The summary and the families are the report's, so the page and this script agree.
from report import bn_family as family  # noqa: E402
from report import bn_summary as summarise  # noqa: E402

SAMPLES = HERE / "results" / "beyond_normal_samples"
CSV = HERE / "results" / "beyond_normal.csv"
BMI_CSV = HERE / "results" / "beyond_normal_bmi.csv"
FIELDS = [
    "task",
    "family",
    "dims",
    "rows",
    "seed",
    "estimator",
    "estimate",
    "truth",
    "ci_low",
    "ci_high",
    "seconds",
    "warnings",
]
ESTIMATORS = {
    "sknmi": lambda seed: NeuralMIEstimator(random_state=seed),
    "KSG": lambda seed: KSGEstimator(random_state=seed),
    "Gaussian": lambda seed: GaussianMIEstimator(),
}


def parse_name(path):
    """``(task, rows, seed)`` from a sample's file name ``TASK__nROWS__sSEED.npz``."""
    task, rows, seed = Path(path).stem.rsplit("__", 2)
    return task, int(rows[1:]), int(seed[1:])


def samples(directory, rows=None, seeds=None, tasks=None):
    """The sample files in ``directory``, by size, then seed, then task id."""
    found = []
    for path in Path(directory).glob("*__n*__s*.npz"):
        task, n, seed = parse_name(path)
        if rows and n not in rows or seeds and seed not in seeds:
            continue
        if tasks and task not in tasks:
            continue
        found.append(((-n, seed, task), path))
    return [path for _, path in sorted(found)]


def score(path, name, threads=1):
    """Fit one estimator on one sample file; the CSV row of the fit."""
    task, rows, seed = parse_name(path)
    data = np.load(path)
    X, Z, truth = data["x"], data["y"], float(data["truth"])
    est = ESTIMATORS[name](seed)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            est.fit(X, Z)
            seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(before)
    lo, hi = (float(v) for v in est.mi_ci_)
    kinds = sorted({type(w.message).__name__ for w in caught})
    return dict(
        task=task,
        family=family(task),
        dims=f"{X.shape[1]}+{Z.shape[1] if Z.ndim > 1 else 1}",
        rows=rows,
        seed=seed,
        estimator=name,
        estimate=f"{float(est.mi_):.6g}",
        truth=f"{truth:.6g}",
        ci_low=f"{lo:.6g}",
        ci_high=f"{hi:.6g}",
        seconds=f"{seconds:.3f}",
        warnings=";".join(kinds),
    )


def read_csv(path):
    """The rows of a results CSV, or [] when it does not exist."""
    if not Path(path).exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run(paths, names, out, threads=1, log=print):
    """Score every sample in ``paths`` with every estimator in ``names``.

    Appends to the CSV ``out`` as fits finish and skips the (task, rows, seed,
    estimator) already in it. Returns the new rows.
    """
    done = {
        (r["task"], int(r["rows"]), int(r["seed"]), r["estimator"])
        for r in read_csv(out)
    }
    new_file = not Path(out).exists()
    # torch's one-off start-up (seconds) is not the first fit's.
    NeuralMIEstimator(max_iter=1, early_stopping=False).fit(
        np.random.default_rng(0).normal(size=(256, 2)),
        np.random.default_rng(1).normal(size=256),
    )
    rows = []
    with open(out, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new_file:
            writer.writeheader()
        for path in paths:
            task, n, seed = parse_name(path)
            for name in names:
                if (task, n, seed, name) in done:
                    continue
                row = score(path, name, threads)
                writer.writerow(row)
                f.flush()
                rows.append(row)
                log(
                    f"{task} n={n} seed={seed} {name}: {float(row['estimate']):.3f} "
                    f"(truth {float(row['truth']):.3f}, {float(row['seconds']):.1f} s)"
                )
    return rows


def markdown(summary):
    """The summary as a markdown table."""
    lines = [
        "| estimator | rows | tasks | seeds | MAE (nats) | within 0.1 nats "
        "| within 10% | seconds (all tasks once) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['estimator']} | {s['rows']} | {s['tasks']} | {s['seeds']} "
            f"| {s['mae']:.3f} | {s['within_01']:.1f} | {s['within_10']:.1f} "
            f"| {s['seconds']:.0f} |"
        )
    return "\n".join(lines)


def write_sidecar(out, argv):
    """``OUT.json``: the command, the versions and the date of this run."""
    meta = dict(
        command="python benchmarks/beyond_normal.py " + " ".join(argv),
        version=f"sknmi {sknmi.__version__}, torch {torch.__version__}",
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        threads="1 torch thread per fit",
    )
    sidecar = Path(out).with_suffix(".json")
    if sidecar.exists():  # a resumed run: keep the first date, add this one
        old = json.loads(sidecar.read_text())
        meta["date"] = old.get("date", meta["date"])
        meta["resumed"] = [*old.get("resumed", []), meta["command"]]
        meta["command"] = old.get("command", meta["command"])
    sidecar.write_text(json.dumps(meta, indent=1))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default=str(SAMPLES))
    parser.add_argument("--out", default=str(CSV))
    parser.add_argument("--rows", type=int, nargs="*", help="sizes (default: all)")
    parser.add_argument("--seeds", type=int, nargs="*", help="seeds (default: all)")
    parser.add_argument("--tasks", nargs="*", help="task ids (default: all)")
    parser.add_argument(
        "--estimators", nargs="+", default=list(ESTIMATORS), choices=list(ESTIMATORS)
    )
    parser.add_argument(
        "--summary",
        action="store_true",
        help="print the summary of OUT and of bmi's CSV, and write OUT's .md",
    )
    args = parser.parse_args(argv)
    if not args.summary:
        paths = samples(args.samples, args.rows, args.seeds, args.tasks)
        if not paths:
            raise SystemExit(
                f"no samples in {args.samples}: run benchmarks/bmi_tasks.py sample "
                "in bmi's environment first (make bench-bmi)"
            )
        write_sidecar(args.out, argv)
        torch.set_num_threads(1)
        run(paths, args.estimators, args.out)
    table = markdown(summarise(read_csv(args.out) + read_csv(BMI_CSV)))
    Path(args.out).with_suffix(".md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
