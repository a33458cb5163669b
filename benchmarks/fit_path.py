"""The path of one ``NeuralMIEstimator.fit`` through the package's files.

A profile hook sees every call from one function of ``sknmi`` into another
during a small default fit (the rate race included). It prints the files the
fit enters, the distinct calls from one file into another (a "switch",
counted once however often it repeats), and the calls that go back up into
the file of the estimator (``sknmi/mi.py``) from the files below it: in a
layout whose data flow one way there are none. Leaf files (numpy-only
statistics and folds, input checks, torch plumbing, the modules of
``sknmi.nn``) are listed apart from the files that hold the fit's steps.

    python benchmarks/fit_path.py
"""

import os
import sys
from collections import Counter

import sknmi
from sknmi import NeuralMIEstimator
from sknmi.datasets import make_gaussian

ROOT = os.path.dirname(sknmi.__file__)
LEAVES = (
    "_stats.py",
    "_folds.py",
    "_validation.py",
    "_torch.py",
    "_dependence.py",
    "_typing.py",
    "exceptions.py",
    "bounds.py",
    "nn/",
)


def _name(path):
    return (
        os.path.relpath(path, os.path.dirname(ROOT)) if path.startswith(ROOT) else None
    )


def trace_fit(X, Z):
    edges = Counter()
    files = []

    def hook(frame, event, arg):
        if event != "call":
            return
        callee = _name(frame.f_code.co_filename)
        if callee is None:
            return
        if callee not in files:
            files.append(callee)
        back = frame.f_back
        # The nearest caller inside the package (through numpy, torch or
        # scikit-learn frames between them).
        while back is not None and _name(back.f_code.co_filename) is None:
            back = back.f_back
        if back is None:
            return
        caller = _name(back.f_code.co_filename)
        if caller != callee:
            edges[(caller, callee)] += 1

    est = NeuralMIEstimator(hidden_layer_sizes=(16,), max_iter=4, random_state=0)
    sys.setprofile(hook)
    try:
        est.fit(X, Z)
    finally:
        sys.setprofile(None)
    return files, edges


def main():
    X, Z, _ = make_gaussian(n_samples=800, n_features=2, mi=0.5, random_state=0)
    files, edges = trace_fit(X, Z)

    def is_leaf(f):
        return any(f.endswith(leaf) or f"/{leaf}" in f for leaf in LEAVES)

    steps = [f for f in files if not is_leaf(f)]
    leaves = [f for f in files if is_leaf(f)]
    up = {e: n for e, n in edges.items() if e[1] == "sknmi/mi.py"}
    print(
        f"files entered: {len(files)} ({len(steps)} that hold the fit's steps, "
        f"{len(leaves)} leaves)"
    )
    print("  steps: " + ", ".join(steps))
    print("  leaves: " + ", ".join(leaves))
    between = [e for e in edges if not is_leaf(e[1])]
    print(
        f"switches between files: {len(edges)} ({len(between)} into the steps' "
        "files, the rest into leaves)"
    )
    for (a, b), n in sorted(edges.items()):
        if not is_leaf(b):
            print(f"  {a} -> {b} ({n} calls)")
    print(f"calls back up into sknmi/mi.py: {len(up)} distinct")
    for (a, b), n in sorted(up.items()):
        print(f"  {a} -> {b} ({n} calls)")


if __name__ == "__main__":
    main()
