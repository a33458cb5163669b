"""The tables and figures of the benchmarks page, from the CSVs of the results.

Runs no benchmark: it reads every ``benchmarks/results/*.csv`` and writes, for
each, ``OUT/<stem>.rst`` (tables and ``.. image::`` directives, ready for
``.. include::``) and its PNG figures into ``OUT``. The docs build calls
:func:`main` (``doc/conf.py``, on ``builder-inited``) with ``OUT =
doc/generated``; by hand::

    python benchmarks/report.py [--out doc/generated]

Each table and figure says what produced its CSV: the command, the package
version and the date, from the sidecar ``<stem>.json`` that the benchmark
scripts write next to the CSV (``command``, ``version``, ``date``); without
one, the date of the git commit that last changed the CSV, or "date unknown".

A CSV is drawn by the renderer registered for its stem in ``RENDERERS`` (first
matching prefix), else by :func:`render_generic`: the mean ± sd of each
numeric column per group of its text columns (``seed`` is averaged over).
"""

import argparse
import csv
import datetime
import json
import math
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DEFAULT_OUT = HERE.parent / "doc" / "generated"
# Estimators of the Beyond Normal run, in the order of the tables and legends.
BN_ORDER = ["sknmi", "KSG", "Gaussian", "bmi MINE", "bmi InfoNCE"]
BN_COLOURS = {
    "sknmi": "tab:blue",
    "KSG": "tab:orange",
    "Gaussian": "tab:green",
    "bmi MINE": "tab:red",
    "bmi InfoNCE": "tab:purple",
}


# -- provenance ---------------------------------------------------------------------
def provenance(path):
    """``{"command", "version", "date"}`` of a results CSV (see the module's doc)."""
    path = Path(path)
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    if not meta.get("date"):
        meta["date"] = _git_date(path) or "date unknown"
        if meta["date"] != "date unknown":
            meta["date"] += " (commit date of the CSV)"
    meta.setdefault("command", "command not recorded")
    meta.setdefault("version", "version not recorded")
    return meta


def write_sidecar(path):
    """Write ``<stem>.json`` beside the CSV ``path``: command, versions, date.

    For the benchmark scripts, run as ``python benchmarks/NAME.py``, which
    import this module from their own folder.
    """
    import sys

    import torch

    import sknmi

    meta = {
        "command": "python " + " ".join(sys.argv),
        "version": f"sknmi {sknmi.__version__}, torch {torch.__version__}",
        "date": datetime.date.today().isoformat(),
    }
    Path(path).with_suffix(".json").write_text(json.dumps(meta, indent=1))


def write_results(rows, path, table=None):
    """Write the rows of a benchmark as the CSV ``path``, with its sidecar.

    ``table``, the script's printed markdown summary, goes beside it as
    ``<stem>.md``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if table is not None:
        path.with_suffix(".md").write_text(table + "\n")
    write_sidecar(path)


def _git_date(path):
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%cs", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def source_line(*metas):
    """One reST paragraph naming the command, version and date of each source."""
    parts = []
    for m in metas:
        date = str(m["date"])[:10] if m["date"][:4].isdigit() else m["date"]
        note = m["date"][10:].strip() if "(" in m["date"] else ""
        parts.append(f"``{m['command']}`` ({m['version']}, {date}{' ' + note})")
    return "*Source:* " + "; ".join(p.replace(" )", ")") for p in parts) + "."


# -- reST helpers -------------------------------------------------------------------
def list_table(header, rows, title=None):
    """A reST ``list-table`` with a header row."""
    lines = [f".. list-table:: {title}" if title else ".. list-table::"]
    lines += ["   :header-rows: 1", ""]
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            lines.append(f"   {'* -' if i == 0 else '  -'} {cell}")
    return "\n".join(lines) + "\n"


def figure(name, alt, caption):
    """A reST ``figure`` of ``name`` (a PNG beside the generated .rst)."""
    return (
        f".. figure:: /generated/{name}\n   :alt: {alt}\n   :width: 100%\n\n"
        f"   {caption}\n"
    )


def _source(path):
    """The rows of a results CSV, its stem, and the line naming its source."""
    return read_csv(path), Path(path).stem, source_line(provenance(path))


def _figure_of(fig, out, stem, alt, caption):
    """Save ``fig`` as ``OUT/<stem>.png`` and return its reST figure."""
    _save(fig, out, f"{stem}.png")
    return figure(f"{stem}.png", alt, caption)


def read_csv(path):
    """The rows of a CSV as dicts, [] when it does not exist."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _num(value):
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out, name):
    fig.savefig(Path(out) / name, dpi=110, bbox_inches="tight")
    _plt().close(fig)


# -- Beyond Normal ------------------------------------------------------------------
def bn_family(task):
    """The family of a Beyond Normal task id: its outermost map, else its law."""
    for key, name in [
        ("spiral", "spiral"),
        ("swissroll", "swiss roll"),
        ("wiggly", "wiggly"),
        ("half_cube", "half-cube"),
        ("normal_cdf", "normal CDF"),
        ("asinh", "asinh"),
        ("student", "Student-t"),
        ("additive", "additive noise"),
        ("bimodal", "bimodal"),
        ("multinormal-sparse", "Gaussian (sparse)"),
        ("normal", "Gaussian (dense)"),
    ]:
        if key in task:
            return name
    return "other"


def bn_summary(rows):
    """Per (estimator, rows): tasks, seeds, MAE, within 0.1 nats, within 10%,
    seconds to fit every task once (sum over fits / fits per task)."""
    groups = defaultdict(list)
    for r in rows:
        groups[r["estimator"], int(r["rows"])].append(r)
    out = []
    for (name, n), g in groups.items():
        err = [abs(float(r["estimate"]) - float(r["truth"])) for r in g]
        per_task = len(g) / len({r["task"] for r in g})
        out.append(
            dict(
                estimator=name,
                rows=n,
                tasks=len({r["task"] for r in g}),
                seeds=len({r["seed"] for r in g}),
                mae=statistics.fmean(err),
                within_01=sum(e <= 0.1 for e in err) / per_task,
                within_10=sum(e <= 0.1 * float(r["truth"]) for e, r in zip(err, g))
                / per_task,
                seconds=sum(float(r["seconds"]) for r in g) / per_task,
            )
        )
    rank = {e: i for i, e in enumerate(BN_ORDER)}
    return sorted(out, key=lambda s: (-s["rows"], rank.get(s["estimator"], 99)))


def bn_summary_table(summary):
    """The summary as a list-table."""
    return list_table(
        [
            "estimator",
            "rows",
            "tasks",
            "seeds",
            "mean abs. error (nats)",
            "tasks within 0.1 nats",
            "tasks within 10%",
            "seconds, all tasks once",
        ],
        [
            [
                s["estimator"],
                f"{s['rows']:,}",
                s["tasks"],
                s["seeds"],
                f"{s['mae']:.3f}",
                f"{s['within_01']:.1f}",
                f"{s['within_10']:.1f}",
                _seconds(s["seconds"]),
            ]
            for s in summary
        ],
    )


def render_beyond_normal(path, out):
    """Summary, per-task table and figures of ``beyond_normal.csv`` and of bmi's."""
    ours = read_csv(path)
    bmi_path = Path(path).with_name("beyond_normal_bmi.csv")
    theirs = read_csv(bmi_path)
    rows = ours + theirs
    metas = [provenance(path)] + ([provenance(bmi_path)] if theirs else [])
    src = source_line(*metas)
    summary = bn_summary(rows)
    _write_headline(summary, out, src)
    if not rows:
        for name in ("beyond_normal.rst", "beyond_normal_tasks.rst"):
            (Path(out) / name).write_text("(not run yet: ``make bench-bmi``)\n")
        return
    parts = [".. rubric:: Summary\n", bn_summary_table(summary), src + "\n"]
    plt = _plt()
    names = [e for e in BN_ORDER if any(r["estimator"] == e for r in rows)]
    top = max(int(r["rows"]) for r in rows)
    at_top = [r for r in rows if int(r["rows"]) == top]
    tasks = sorted(
        {r["task"] for r in at_top}, key=lambda t: (bn_family(t), t), reverse=True
    )
    truth = {r["task"]: float(r["truth"]) for r in rows}

    # Estimate against truth, per task: mean over seeds, bar from min to max.
    fig, ax = plt.subplots(figsize=(8, 0.24 * len(tasks) + 1.2))
    for k, name in enumerate(names):
        labelled = False
        for i, t in enumerate(tasks):
            est = [
                float(r["estimate"])
                for r in at_top
                if r["task"] == t and r["estimator"] == name
            ]
            if not est:
                continue
            y = i + (k - (len(names) - 1) / 2) * 0.14
            ax.plot([min(est), max(est)], [y, y], color=BN_COLOURS.get(name), lw=1)
            ax.plot(
                statistics.fmean(est),
                y,
                "o",
                ms=3.5,
                color=BN_COLOURS.get(name),
                label=None if labelled else name,
            )
            labelled = True
    ax.scatter(
        [truth[t] for t in tasks],
        range(len(tasks)),
        marker="|",
        s=160,
        color="black",
        label="truth",
        zorder=3,
    )
    ax.set_yticks(range(len(tasks)), tasks, fontsize=6.5)
    ax.set_xlabel("estimate (nats)")
    ax.set_ylim(-0.7, len(tasks) - 0.3)
    ax.grid(axis="x", alpha=0.3)
    # A line between families, the family's name at the right.
    for i, t in enumerate(tasks):
        if i == 0 or bn_family(tasks[i - 1]) != bn_family(t):
            if i:
                ax.axhline(i - 0.5, color="grey", lw=0.5)
            ax.text(
                1.01,
                i - 0.3,
                bn_family(t),
                transform=ax.get_yaxis_transform(),
                fontsize=7,
                color="grey",
            )
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.08))
    ax.set_title(f"Beyond Normal, {top:,} rows: estimate per task (mean, range)")
    _save(fig, out, "beyond_normal_estimates.png")

    # Mean absolute error by family, at the largest size.
    fams = sorted({bn_family(t) for t in tasks})
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        mae = []
        for f in fams:
            e = [
                abs(float(r["estimate"]) - float(r["truth"]))
                for r in at_top
                if r["estimator"] == name and bn_family(r["task"]) == f
            ]
            mae.append(statistics.fmean(e) if e else float("nan"))
        ax.bar(
            [i + (k - (len(names) - 1) / 2) * width for i in range(len(fams))],
            mae,
            width,
            label=name,
            color=BN_COLOURS.get(name),
        )
    ax.set_xticks(range(len(fams)), fams, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("mean absolute error (nats)")
    ax.set_title(f"Absolute error by family, {top:,} rows")
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    _save(fig, out, "beyond_normal_family_error.png")

    # Seconds per fit against the number of columns, and error against rows.
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6))
    for name in names:
        g = [r for r in at_top if r["estimator"] == name]
        dims = [_dims(r["task"], ours) for r in g]
        a1.scatter(
            dims,
            [max(float(r["seconds"]), 1e-3) for r in g],
            s=9,
            alpha=0.7,
            color=BN_COLOURS.get(name),
            label=name,
        )
        pts = [(s["rows"], s["mae"]) for s in summary if s["estimator"] == name]
        pts.sort()
        a2.plot(*zip(*pts), "o-", color=BN_COLOURS.get(name), label=name)
    a1.set_xscale("log")
    a1.set_yscale("log")
    ticks = [2, 4, 6, 10, 20, 50, 100]
    a1.set_xticks(ticks, [str(t) for t in ticks])
    a1.minorticks_off()
    a1.set_xlabel("columns of X and Z together")
    a1.set_ylabel("seconds per fit")
    a1.set_title(f"Seconds per fit, {top:,} rows")
    a1.grid(alpha=0.3)
    a2.set_xscale("log")
    sizes = sorted({s["rows"] for s in summary})
    a2.set_xticks(sizes, [f"{n:,}" for n in sizes])
    a2.minorticks_off()
    a2.set_xlabel("rows")
    a2.set_ylabel("mean absolute error (nats)")
    a2.set_title(f"Error against rows, {len(tasks)} tasks")
    a2.grid(alpha=0.3)
    a2.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, out, "beyond_normal_seconds.png")

    # Coverage of the 95% interval (the estimators that give one).
    with_ci = [r for r in ours if _num(r.get("ci_low")) is not None]
    cov_names = [e for e in names if any(r["estimator"] == e for r in with_ci)]
    sizes = sorted({int(r["rows"]) for r in with_ci})
    if with_ci:
        fig, ax = plt.subplots(figsize=(6, 3))
        width = 0.8 / len(cov_names)
        for k, name in enumerate(cov_names):
            cov = []
            for n in sizes:
                g = [
                    r for r in with_ci if r["estimator"] == name and int(r["rows"]) == n
                ]
                hit = [
                    float(r["ci_low"]) <= float(r["truth"]) <= float(r["ci_high"])
                    for r in g
                ]
                cov.append(100 * statistics.fmean(hit) if hit else float("nan"))
            ax.bar(
                [i + (k - (len(cov_names) - 1) / 2) * width for i in range(len(sizes))],
                cov,
                width,
                label=name,
                color=BN_COLOURS.get(name),
            )
        ax.axhline(95, color="black", lw=0.8, ls="--")
        ax.set_xticks(range(len(sizes)), [f"{n:,} rows" for n in sizes])
        ax.set_ylabel("fits whose 95% interval holds the truth (%)")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7)
        ax.set_title("Coverage of mi_ci_")
        _save(fig, out, "beyond_normal_coverage.png")

    parts += [
        figure(
            "beyond_normal_estimates.png",
            "estimate per task and estimator against the truth",
            f"Each task at {top:,} rows: the mean estimate over the seeds (dot) and "
            "their range (line), the truth as a black tick. " + src,
        ),
        figure(
            "beyond_normal_family_error.png",
            "mean absolute error per family and estimator",
            f"Mean absolute error per family of tasks, {top:,} rows. " + src,
        ),
        figure(
            "beyond_normal_seconds.png",
            "seconds per fit and error against rows",
            "Left: seconds per fit against the number of columns (shared 2-core "
            "machine, one thread per fit: noisy). Right: mean absolute error over "
            "the tasks at each size. " + src,
        ),
    ]
    if with_ci:
        parts.append(
            figure(
                "beyond_normal_coverage.png",
                "coverage of the 95% interval",
                "Share of fits whose 95% interval ``mi_ci_`` holds the truth "
                "(dashed: 95%). bmi's estimators give no interval. " + src,
            )
        )
    # Per task, at the largest size: mean over seeds.
    header = ["task", "dims", "truth", *names]
    table_rows = []
    for t in reversed(tasks):
        cells = [f"``{t}``", _dims_label(t, ours), f"{truth[t]:.3f}"]
        for name in names:
            est = [
                float(r["estimate"])
                for r in at_top
                if r["task"] == t and r["estimator"] == name
            ]
            cells.append(f"{statistics.fmean(est):.3f}" if est else "")
        table_rows.append(cells)
    (Path(out) / "beyond_normal.rst").write_text("\n".join(parts))
    (Path(out) / "beyond_normal_tasks.rst").write_text(
        list_table(header, table_rows) + "\n" + src + "\n"
    )


def _write_headline(summary, out, src):
    """``beyond_normal_headline.rst``: the largest size only, for the landing page."""
    if not summary:
        text = "(the Beyond Normal benchmark has not been run)\n"
    else:
        top = max(s["rows"] for s in summary)
        rows = [
            [
                s["estimator"],
                f"{s['mae']:.3f}",
                f"{s['within_01']:.1f} / {s['tasks']}",
                _seconds(s["seconds"]),
                f"{s['seeds']}",
            ]
            for s in summary
            if s["rows"] == top
        ]
        header = [
            f"{top:,} rows",
            "mean abs. error (nats)",
            "tasks within 0.1 nats",
            "seconds, all tasks once",
            "seeds",
        ]
        text = list_table(header, rows) + "\n" + src + "\n"
    (Path(out) / "beyond_normal_headline.rst").write_text(text)


def _seconds(x):
    return f"{x:.1f}" if x < 10 else f"{x:,.0f}"


def _dims_label(task, ours):
    for r in ours:
        if r["task"] == task and r.get("dims"):
            return r["dims"]
    return ""


def _dims(task, ours):
    label = _dims_label(task, ours)
    try:
        return sum(int(x) for x in label.split("+"))
    except ValueError:
        return float("nan")


def headline(path=RESULTS / "beyond_normal.csv", rows=10_000):
    """The summary rows at ``rows`` (for the README and the landing page)."""
    data = read_csv(path) + read_csv(Path(path).with_name("beyond_normal_bmi.csv"))
    return [s for s in bn_summary(data) if s["rows"] == rows]


# -- families.py --------------------------------------------------------------------
FAMILY_COLUMNS = [
    "family",
    "level",
    "config",
    "true MI",
    "mean",
    "error %",
    "sd",
    "median",
    "CI width",
    "half-width / RMS error",
    "coverage",
    "above CI",
    "warned",
    "s / fit",
]


def _family_groups(rows):
    groups = defaultdict(list)
    for r in rows:
        groups[r["family"], r["level"], r["config"]].append(r)
    return groups


def families_summary(rows):
    """One row of cells per (family, level, config), as :data:`FAMILY_COLUMNS`.

    The median and the median interval width sit next to the mean and the
    coverage because one blown-up fit can own the mean, and a huge interval
    covers the truth trivially; half-width / RMS error is about 2 for a
    calibrated 95% interval.
    """
    out = []
    for (family, level, config), g in _family_groups(rows).items():
        truth = float(g[0]["true_mi"])
        est = [float(r["estimate"]) for r in g]
        low = [float(r["ci_low"]) for r in g]
        high = [float(r["ci_high"]) for r in g]
        mean = statistics.fmean(est)
        width = statistics.median(h - lo for lo, h in zip(low, high))
        rms = statistics.fmean((e - truth) ** 2 for e in est) ** 0.5
        out.append(
            [
                family,
                level,
                config,
                f"{truth:.3f}",
                f"{mean:.3f}",
                f"{100 * (mean - truth) / truth:+.1f}" if truth else "",
                f"{statistics.stdev(est):.3f}" if len(est) > 1 else "",
                f"{statistics.median(est):.3f}",
                f"{width:.3f}",
                f"{width / 2 / rms:.1f}" if rms > 0 else "inf",
                f"{sum(lo <= truth <= h for lo, h in zip(low, high))}/{len(g)}",
                f"{sum(lo > truth for lo in low)}/{len(g)}",
                f"{sum(bool(r.get('warnings')) for r in g)}/{len(g)}",
                f"{statistics.fmean(float(r['seconds']) for r in g):.1f}",
            ]
        )
    return out


def warning_summary(rows):
    """Header and rows: each warning's false alarms and hits.

    A fit within 5% of the truth is good, one off by more than 10% is bad; a
    false alarm is a warning on a good fit, a hit one on a bad fit. "any" is
    whether a fit raised at least one.
    """

    def off(r):
        truth = float(r["true_mi"])
        return abs(float(r["estimate"]) - truth) / truth

    def kinds(r):
        return set(filter(None, (r.get("warnings") or "").split(";")))

    good = [r for r in rows if off(r) <= 0.05]
    bad = [r for r in rows if off(r) > 0.10]
    seen = sorted({k for r in rows for k in kinds(r)})
    table = []
    for kind in [*seen, "any"]:
        counts = [
            sum(bool(kinds(r)) if kind == "any" else kind in kinds(r) for r in part)
            for part in (good, bad)
        ]
        shares = zip(counts, (len(good), len(bad)))
        table.append([kind] + [f"{c} ({100 * c / max(n, 1):.0f}%)" for c, n in shares])
    header = [
        "warning",
        f"fires on good fits (of {len(good)})",
        f"fires on bad fits (of {len(bad)})",
    ]
    return header, table


def markdown_table(header, rows):
    """A markdown table (what the benchmark scripts print)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def render_families(path, out):
    """Per (family, level, config): error, coverage, width, warnings; the
    warnings' false alarms and hits; one figure of every fit's error."""
    rows, stem, src = _source(path)
    summary = families_summary(rows)
    parts = [list_table(FAMILY_COLUMNS, summary)]
    if any("warnings" in r for r in rows):
        parts.append(list_table(*warning_summary(rows)))
    parts.append(src + "\n")
    if rows:
        groups = _family_groups(rows)
        labels = [
            f"{fam}, {level}" + (f" ({config})" if config != "defaults" else "")
            for fam, level, config in groups
        ]
        errs = [
            [
                100 * (float(r["estimate"]) - float(r["true_mi"])) / float(r["true_mi"])
                for r in g
            ]
            for g in groups.values()
        ]
        covs = [cells[FAMILY_COLUMNS.index("coverage")] for cells in summary]
        plt = _plt()
        fig, ax = plt.subplots(figsize=(8, 0.28 * len(labels) + 1.2))
        for i, e in enumerate(errs):
            ax.scatter(e, [i] * len(e), s=12, color="tab:blue", alpha=0.7)
            ax.text(1.01, i, covs[i], transform=ax.get_yaxis_transform(), fontsize=7)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("error of each fit (% of the truth); right: coverage")
        ax.grid(axis="x", alpha=0.3)
        parts.append(
            _figure_of(
                fig,
                out,
                stem,
                f"error of each fit, {stem}",
                "Signed error of every fit in % of the truth; on the right, the "
                "fits whose 95% interval holds the truth. " + src,
            )
        )
    (Path(out) / f"{stem}.rst").write_text("\n".join(parts))


# -- too_sure.py --------------------------------------------------------------------
def too_sure_summary(rows):
    """Header and rows: per data set and configuration, each fit's error and
    the medians of how far its critic's scores drifted from the log ratio."""
    groups = defaultdict(list)
    for r in rows:
        groups[r["data"], r["config"]].append(r)

    def med(g, key, fmt):
        return format(statistics.median(float(r[key]) for r in g), fmt)

    header = [
        "data",
        "config",
        "error % (each fit)",
        "score slope on the log ratio",
        "excess on the top tenth (nats)",
        "calibration slope",
        "training rows' read-out over held-out - 1 (%)",
        "too sure warned",
    ]
    table = [
        [
            data,
            config,
            " ".join(f"{float(r['error_pct']):+.1f}" for r in g),
            med(g, "score_slope", ".2f"),
            med(g, "top_tenth_excess", "+.2f"),
            med(g, "calibration_slope", ".2f"),
            med(g, "train_excess_pct", "+.1f"),
            f"{sum(str(r['too_sure']) == 'True' for r in g)}/{len(g)}",
        ]
        for (data, config), g in groups.items()
    ]
    return header, table


def render_too_sure(path, out):
    rows, stem, src = _source(path)
    text = list_table(*too_sure_summary(rows)) if rows else ""
    (Path(out) / f"{stem}.rst").write_text(text + "\n" + src + "\n")


# -- the analyses: pairwise MI, time series, mRMR ----------------------------------
def render_pairwise(path, out):
    """Per estimator over the seeds: accuracy and coverage; errors per pair."""
    rows, stem, src = _source(path)
    groups = defaultdict(list)
    for r in rows:
        groups[r["estimator"]].append(r)
    table = []
    for name, g in groups.items():
        pairs = sum(int(r["pairs"]) for r in g)
        seconds = [float(r["seconds"]) for r in g]
        table.append(
            [
                name,
                str(len(g)),
                f"{sum(int(r['close']) for r in g)}/{pairs}",
                f"{sum(int(r['covered']) for r in g)}/{pairs}",
                f"{sum(int(r['covered_or_within_0.005']) for r in g)}/{pairs}",
                f"{max(float(r['max_error']) for r in g):.3f}",
                f"{statistics.fmean(float(r['rms_error']) for r in g):.4f}",
                f"{statistics.median(float(r['median_half_width']) for r in g):.4f}",
                f"{min(seconds):.0f} to {max(seconds):.0f}",
            ]
        )
    parts = [
        list_table(
            [
                "estimator",
                "seeds",
                "within 0.05 nats or 10%",
                "interval holds truth",
                "holds it or misses by < 0.005",
                "largest error",
                "RMS error",
                "median half-width",
                "s / matrix (45 pairs)",
            ],
            table,
        ),
        src + "\n",
    ]
    pairs = read_csv(Path(path).with_name(f"{stem}_pairs.csv"))
    if pairs:
        plt = _plt()
        names = list(dict.fromkeys(r["estimator"] for r in pairs))
        fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.4))
        for ax, name in zip(np.atleast_1d(axes), names):
            mine = [r for r in pairs if r["estimator"] == name]
            t = np.array([float(r["truth"]) for r in mine])
            m = np.array([float(r["mi"]) for r in mine])
            lo = np.array([float(r["ci_low"]) for r in mine])
            hi = np.array([float(r["ci_high"]) for r in mine])
            hit = (lo <= t) & (t <= hi)
            for mask, colour, label in (
                (hit, "tab:blue", "interval holds the truth"),
                (~hit, "tab:red", "interval misses it"),
            ):
                ax.errorbar(
                    t[mask],
                    (m - t)[mask],
                    yerr=[(m - lo)[mask], (hi - m)[mask]],
                    fmt="o",
                    ms=3,
                    lw=0.8,
                    color=colour,
                    label=f"{label} ({mask.sum()})",
                )
            ax.axhline(0, color="black", lw=0.8)
            ax.set_title(name)
            ax.set_xlabel("true MI of the pair (nats)")
            ax.set_ylabel("estimate - truth (nats)")
            ax.legend(fontsize=7)
        fig.tight_layout()
        parts.append(
            _figure_of(
                fig,
                out,
                stem,
                "error of every pair against its true MI",
                "Every pair of every seed: the error of the estimate with its 95% "
                "interval, against the pair's true MI. " + src,
            )
        )
    (Path(out) / f"{stem}.rst").write_text("\n".join(parts))


def render_estimates(path, out, keys, names, seconds="s / fit"):
    """Per group of the ``keys`` columns: truth, mean, error, spread, coverage.

    For CSVs of one row per fit with ``truth``, ``estimate``, ``ci_low``,
    ``ci_high`` and ``seconds``; ``names`` heads the key columns.
    """
    rows, stem, src = _source(path)
    groups = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r)
    table = []
    for key, g in groups.items():
        truth = float(g[0]["truth"])
        est = [float(r["estimate"]) for r in g]
        hit = [float(r["ci_low"]) <= truth <= float(r["ci_high"]) for r in g]
        error = (
            f"{100 * (statistics.fmean(est) - truth) / truth:+.1f}%" if truth else ""
        )
        table.append(
            [
                *key,
                f"{truth:.4f}",
                f"{statistics.fmean(est):.4f}",
                error,
                f"{statistics.stdev(est):.4f}" if len(est) > 1 else "",
                f"{sum(hit)}/{len(hit)}",
                f"{statistics.fmean(float(r['seconds']) for r in g):.1f}",
            ]
        )
    header = [
        *names,
        "truth (nats)",
        "mean",
        "error",
        "sd over seeds",
        "interval holds truth",
        seconds,
    ]
    text = list_table(header, table) + "\n" + src + "\n"
    (Path(out) / f"{stem}.rst").write_text(text)


def render_timeseries(path, out):
    """Per analysis, direction or lag, and estimator."""
    render_estimates(
        path,
        out,
        ["analysis", "what", "estimator"],
        ["analysis", "direction or lag", "estimator"],
        seconds="s / analysis",
    )


def render_conditional(path, out):
    """Per data set and estimator."""
    render_estimates(path, out, ["family", "estimator"], ["data", "estimator"])


def render_mrmr(path, out):
    """Cross-validated accuracy per data set and k for each selector; a figure."""
    rows, stem, src = _source(path)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    cells = {(r["dataset"], int(r["k"]), r["method"]): r for r in rows}
    keys = list(dict.fromkeys((r["dataset"], int(r["k"])) for r in rows))
    table = []
    for dataset, k in keys:
        line = [dataset, str(k)]
        for m in methods:
            r = cells.get((dataset, k, m))
            line.append(
                f"{float(r['accuracy']):.3f} ± {float(r['sd']):.3f}" if r else "–"
            )
        for m in methods:
            r = cells.get((dataset, k, m))
            line.append(f"{float(r['fit_seconds']):.2f}" if r else "–")
        table.append(line)
    header = ["data", "k", *(f"{m} accuracy" for m in methods)]
    header += [f"{m} fit s" for m in methods]
    parts = [list_table(header, table), src + "\n"]
    if rows:
        plt = _plt()
        datasets = list(dict.fromkeys(d for d, _ in keys))
        fig, axes = plt.subplots(1, len(datasets), figsize=(4 * len(datasets), 3.2))
        for ax, dataset in zip(np.atleast_1d(axes), datasets):
            for m in methods:
                pts = [
                    (k, float(cells[d, k, m]["accuracy"]), float(cells[d, k, m]["sd"]))
                    for d, k in keys
                    if d == dataset and (d, k, m) in cells
                ]
                if pts:
                    k, acc, sd = map(np.array, zip(*pts))
                    ax.errorbar(k, acc, yerr=sd, marker="o", ms=3, capsize=2, label=m)
            ax.set_title(dataset)
            ax.set_xlabel("features kept (k)")
            ax.set_ylabel("cross-validated accuracy")
            ax.legend(fontsize=7)
        fig.tight_layout()
        parts.append(
            _figure_of(
                fig,
                out,
                stem,
                "accuracy against k for each selector",
                "Accuracy of the downstream logistic regression (mean ± sd over "
                "the folds) against the number of features kept. " + src,
            )
        )
    (Path(out) / f"{stem}.rst").write_text("\n".join(parts))


def render_speed(path, out):
    """Median seconds per fit (and per epoch), epochs and mean error per cell."""
    rows, stem, src = _source(path)
    groups = defaultdict(list)
    for r in rows:
        groups[r["cell"], r["rows"], r["estimator"]].append(r)
    table = []
    for (cell, n, estimator), g in groups.items():
        neural = estimator != "KSG"
        error = statistics.fmean(
            100 * (float(r["estimate"]) - float(r["truth"])) / float(r["truth"])
            for r in g
        )
        table.append(
            [
                cell,
                f"{int(n):,}",
                estimator,
                f"{statistics.median(float(r['seconds']) for r in g):.2f}",
                f"{statistics.median(float(r['epochs']) for r in g):.0f}"
                if neural
                else "",
                f"{statistics.median(float(r['s_per_epoch']) for r in g):.3f}"
                if neural
                else "",
                f"{error:+.1f}",
                str(len(g)),
            ]
        )
    header = ["data", "rows", "estimator", "s / fit (median)", "epochs"]
    header += ["s / epoch", "mean error %", "seeds"]
    text = list_table(header, table) + "\n" + src + "\n"
    (Path(out) / f"{stem}.rst").write_text(text)


# -- rate_study.py -----------------------------------------------------------------
def rate_study_summary(rows):
    """Per task and seed: the rate the converged objective prefers, the rate
    the race chose (the "auto" row), the closest rate, and their errors (% of
    the truth)."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r["family"], r["level"], r["seed"])].append(r)

    def err(r):
        return 100 * (float(r["estimate"]) / float(r["true_mi"]) - 1)

    rates = sorted({float(r["rate"]) for r in rows if r["rate"] != "auto"})
    table = []
    for (family, level, seed), g in groups.items():
        fixed = [r for r in g if r["rate"] != "auto"]
        race = [r for r in g if r["rate"] == "auto"]
        if not fixed:
            continue
        picked = max(fixed, key=lambda r: float(r["best_validation_bound"]))
        closest = min(fixed, key=lambda r: abs(err(r)))
        raced = (
            [f"{float(race[0]['chosen']):.0e}", f"{err(race[0]):+.1f}"]
            if race
            else ["", ""]
        )
        table.append(
            [
                family,
                level,
                str(seed),
                f"{float(picked['rate']):.0e}",
                f"{err(picked):+.1f}",
                *raced,
                f"{float(closest['rate']):.0e}",
                f"{err(closest):+.1f}",
                "  ".join(f"{err(r):+.1f}" for r in fixed),
            ]
        )
    header = [
        "family",
        "level",
        "seed",
        "converged objective picks",
        "its error %",
        "race picks",
        "its error %",
        "closest rate",
        "its error %",
        "error % at " + ", ".join(f"{r:.0e}" for r in rates),
    ]
    return header, table


def render_rate_study(path, out):
    rows, stem, src = _source(path)
    text = list_table(*rate_study_summary(rows)) if rows else "(no rows)\n"
    (Path(out) / f"{stem}.rst").write_text(text + "\n" + src + "\n")


# -- issue 34's targets -----------------------------------------------------------
#: The CSVs behind the targets of "accuracy that follows the data".
TARGET_SOURCES = [
    "beyond_normal.csv",
    "beyond_normal_previous.csv",
    "families_tuned.csv",
    "families_heldout.csv",
    "families_staircase_race.csv",
    "speed_race.csv",
    "beyond_normal_timing.csv",
]


def _off(estimate, truth):
    return abs(estimate - truth) / truth if truth else abs(estimate)


def silent_misses(rows, estimate="estimate", truth="true_mi"):
    """Fits off by more than 10% of the truth whose interval misses it and
    that raised no warning, and the fits off by more than 10%."""
    bad = [r for r in rows if _off(float(r[estimate]), float(r[truth])) > 0.10]
    silent = [
        r
        for r in bad
        if not r.get("warnings")
        and not float(r["ci_low"]) <= float(r[truth]) <= float(r["ci_high"])
    ]
    return len(silent), len(bad)


def _mean_error(rows, config):
    errs = [
        100 * _off(float(r["estimate"]), float(r["true_mi"]))
        for r in rows
        if r["config"] == config
    ]
    return statistics.fmean(errs) if errs else float("nan")


def _worst_family(rows, config, than=None):
    """The family whose mean absolute error (%) is largest, with that error; with
    ``than``, the family that lost most against config ``than``."""
    by = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by[r["family"]][r["config"]].append(
            100 * _off(float(r["estimate"]), float(r["true_mi"]))
        )
    scores = {
        fam: statistics.fmean(c[config])
        - (statistics.fmean(c[than]) if than and than in c else 0.0)
        for fam, c in by.items()
        if c.get(config)
    }
    fam = max(scores, key=scores.get)
    return fam, scores[fam]


def _timing(summary, name):
    s = summary.get((name, 10_000))
    return f"{s['seconds']:.0f} s (error {s['mae']:.3f})" if s else "not run"


def render_targets(results, out):
    """The targets table of issue 34, computed from the CSVs it names."""
    results = Path(results)
    bn = read_csv(results / "beyond_normal.csv")
    previous = [
        {**r, "estimator": "previous"}
        for r in read_csv(results / "beyond_normal_previous.csv")
    ]
    stair = read_csv(results / "families_staircase_race.csv")
    tuned = read_csv(results / "families_tuned.csv") + stair
    heldout = read_csv(results / "families_heldout.csv")
    speed = read_csv(results / "speed_race.csv")
    timing = {
        (s["estimator"], s["rows"]): s
        for s in bn_summary(read_csv(results / "beyond_normal_timing.csv"))
    }
    if not (bn and tuned and heldout):
        (Path(out) / "targets_34.rst").write_text("(the targets' CSVs are missing)\n")
        return
    summary = {(s["estimator"], s["rows"]): s for s in bn_summary(bn + previous)}

    def bn_cell(name, n, within=True):
        s = summary.get((name, n))
        if s is None:
            return "not run"
        return f"{s['mae']:.3f}" + (f" / {s['within_01']:.1f}" if within else "")

    def dense(name):
        rows = [
            r
            for r in (bn if name == "sknmi" else previous)
            if r["estimator"] == name
            and r["task"] == "multinormal-dense-50-50-0.5"
            and int(r["rows"]) == 10_000
        ]
        if not rows:
            return "not run"
        est = statistics.fmean(float(r["estimate"]) for r in rows)
        return f"{est:.2f} for {float(rows[0]['truth']):.2f} ({len(rows)} seeds)"

    def fam_cell(rows, config):
        fam, worst = _worst_family(rows, config)
        return f"{_mean_error(rows, config):.1f}% (worst: {fam}, {worst:.1f}%)"

    def bn_silent(name, source):
        rows = [
            r
            for r in source
            if r["estimator"] == name and int(r["rows"]) in (1_000, 10_000)
        ]
        return silent_misses(rows, truth="truth")

    families_new = [r for r in tuned + heldout if r["config"] == "defaults"]
    families_old = [r for r in tuned + heldout if r["config"] == "previous"]
    s_new = [bn_silent("sknmi", bn), silent_misses(families_new)]
    s_old = [bn_silent("previous", previous), silent_misses(families_old)]

    def speed_cell(cell, name):
        secs = [
            float(r["seconds"])
            for r in speed
            if r["cell"] == cell and r["estimator"] == name
        ]
        return f"{statistics.median(secs):.2f} s" if secs else "not run"

    lost_fam, lost = _worst_family(tuned, "defaults", than="previous")
    rows = [
        [
            "Beyond Normal 10k: mean abs. error (nats) / tasks within 0.1",
            "<= 0.025 / 40",
            bn_cell("previous", 10_000),
            bn_cell("sknmi", 10_000),
        ],
        [
            "Beyond Normal 5k; 1k: mean abs. error",
            "<= 0.035; <= 0.08",
            bn_cell("previous", 5_000, False)
            + "; "
            + bn_cell("previous", 1_000, False),
            bn_cell("sknmi", 5_000, False) + "; " + bn_cell("sknmi", 1_000, False),
        ],
        [
            "dense 50 + 50 Gaussian at 10k (Beyond Normal)",
            "within 0.1 nats",
            dense("previous"),
            dense("sknmi"),
        ],
        [
            "families the earlier defaults were tuned on (5 seeds; the "
            "staircase 3): mean abs. error",
            "<= 3%, no family worse by more than 1 point",
            fam_cell(tuned, "previous"),
            fam_cell(tuned, "defaults")
            + f"; most lost: {lost_fam}, {lost:+.1f} points",
        ],
        [
            "families kept aside (5 seeds): mean abs. error",
            "(checking half)",
            fam_cell(heldout, "previous"),
            fam_cell(heldout, "defaults"),
        ],
        [
            "fits off by > 10% with neither a warning nor the truth in the "
            "interval (Beyond Normal 10k + 1k; families)",
            "0",
            f"{s_old[0][0]} of {s_old[0][1]}; {s_old[1][0]} of {s_old[1][1]}",
            f"{s_new[0][0]} of {s_new[0][1]}; {s_new[1][0]} of {s_new[1][1]}",
        ],
        [
            "seconds, 10k rows, 1 + 1 (Y = X + noise) and 5 + 5 (Gaussian, 1 nat)",
            "no slower",
            speed_cell("1+1 Y = X + noise", "last release")
            + " / "
            + speed_cell("5+5 Gaussian 1 nat", "last release"),
            speed_cell("1+1 Y = X + noise", "sknmi")
            + " / "
            + speed_cell("5+5 Gaussian 1 nat", "sknmi"),
        ],
        [
            "seconds, 40 Beyond Normal tasks at 10k once (seed 0, one after the "
            "other on the idle machine)",
            "<= 300 s",
            _timing(timing, "previous"),
            _timing(timing, "sknmi"),
        ],
    ]
    metas = [
        provenance(results / name)
        for name in TARGET_SOURCES
        if (results / name).exists()
    ]
    text = list_table(["measure", "target", "before", "now"], rows)
    (Path(out) / "targets_34.rst").write_text(text + "\n" + source_line(*metas) + "\n")


# -- any other CSV ------------------------------------------------------------------
def render_generic(path, out):
    """Mean ± sd of each numeric column per group of the text columns."""
    rows, stem, src = _source(path)
    if not rows:
        (Path(out) / f"{stem}.rst").write_text(f"(no rows in ``{stem}.csv``)\n")
        return
    cols = list(rows[0])
    numeric = [
        c for c in cols if c != "seed" and all(_num(r[c]) is not None for r in rows)
    ]
    keys = [c for c in cols if c not in numeric and c != "seed"]
    groups = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r)
    table = []
    for key, g in groups.items():
        cells = list(key) + [str(len(g))]
        for c in numeric:
            v = [float(r[c]) for r in g]
            sd = f" ± {_fmt(statistics.stdev(v))}" if len(v) > 1 else ""
            cells.append(_fmt(statistics.fmean(v)) + sd)
        table.append(cells)
    text = list_table([*keys, "n", *numeric], table) + "\n" + src + "\n"
    (Path(out) / f"{stem}.rst").write_text(text)


def render_batched(path, out):
    """Seconds and errors of the analyses: KSG, the neural estimator as the
    analyses run it (batched where a batch pays) and one fit after another."""
    rows, stem, src = _source(path)
    cells = defaultdict(dict)
    for r in rows:
        cells[(r["case"], int(float(r["rows"])))].setdefault(r["how"], []).append(r)

    def mean(group, key):
        v = [_num(r[key]) for r in group]
        v = [x for x in v if x is not None]
        return statistics.fmean(v) if v else None

    table = []
    for (case, n), hows in cells.items():
        ksg, ours, alone = (hows.get(h, []) for h in ("ksg", "batched", "separate"))
        t_ksg, t_ours, t_alone = (mean(g, "seconds") for g in (ksg, ours, alone))
        table.append(
            [
                case,
                f"{n:,}",
                _fmt(t_ksg) if t_ksg else "",
                _fmt(t_ours) if t_ours else "",
                _fmt(t_alone) if t_alone else "(the same fits)",
                f"{t_alone / t_ours:.2f}x" if t_alone and t_ours else "1x",
                f"{t_ours / t_ksg:.0f}x" if t_ours and t_ksg else "",
                " / ".join(
                    f"{mean(g, 'rms_error'):.4f}" for g in (ksg, ours, alone) if g
                ),
                " / ".join(
                    f"{mean(g, 'coverage'):.2f}"
                    for g in (ksg, ours, alone)
                    if g and mean(g, "coverage") is not None
                ),
                str(len(ours or alone)),
            ]
        )
    header = [
        "case",
        "rows",
        "KSG s",
        "neural s (as run)",
        "neural s, one by one",
        "speed-up",
        "neural / KSG",
        "RMS error: KSG / as run / one by one",
        "coverage of the 95% intervals",
        "seeds",
    ]
    text = list_table(header, table) + "\n" + src + "\n"
    (Path(out) / f"{stem}.rst").write_text(text)


def render_targets_32(results, out):
    """The targets table of issue 32 ("Many estimates in one fit"), from the
    CSVs of benchmarks/batched.py, independence.py, speed.py --batched-step
    and fit_memory.py."""
    results = Path(results)
    batched = read_csv(results / "batched.csv")
    size = read_csv(results / "independence.csv")
    step = read_csv(results / "batched_step.csv")
    memory = read_csv(results / "fit_memory.csv")

    def seconds(case, rows, how):
        v = [
            float(r["seconds"])
            for r in batched
            if r["case"] == case and int(float(r["rows"])) == rows and r["how"] == how
        ]
        return statistics.median(v) if v else None

    def versus_ksg(case, rows):
        ours, ksg = seconds(case, rows, "batched"), seconds(case, rows, "ksg")
        if ours is None or ksg is None:
            return "not run"
        return f"{ours:.0f} s / {ksg:.1f} s = {ours / ksg:.0f}x"

    table = [
        [
            "pairwise matrix, 10 variables, 10k rows: neural / KSG",
            "<= 3x",
            versus_ksg("pairwise", 10_000),
        ],
        [
            "mi_scores, 50 features x 1 target, 10k rows",
            "<= 3x KSG",
            versus_ksg("mi_scores", 10_000),
        ],
        ["lagged_mi, 20 lags, 10k steps", "<= 3x KSG", versus_ksg("lagged_mi", 10_000)],
    ]
    test = seconds("independence_test", 2000, "batched")
    runs = [r for r in size if r["test"] == "neural-perm" and r["kind"] == "size"]
    k, n = sum(int(r["rejections"]) for r in runs), sum(int(r["runs"]) for r in runs)
    rate = (
        f"size {100 * k / n:.1f}% ({k} of {n} null data sets" if n else "size not run"
    )
    if n:
        rows_, perms = runs[0]["rows"], runs[0]["permutations"]
        rate += f", {rows_} rows, {perms} permutations)"
    table.append(
        [
            "independence_test, neural, 99 permutations, 2k rows",
            "<= 30 s, size 5% +- 2% over 200 null data sets",
            (f"{test:.0f} s (median of seeds); " if test else "not timed; ") + rate,
        ]
    )
    ratios = [r for r in step if r.get("measure") == "step"]
    if ratios:
        one = max(float(r["ratio"]) for r in ratios if int(r["fits"]) == 1)
        many = max(float(r["ratio"]) for r in ratios if int(r["fits"]) > 1)
        cell = f"{100 * one:.0f}% for one fit, at best {100 * many:.0f}% batched"
    else:
        cell = "not run"
    table.append(["batched step against torch.mm on the same shapes", ">= 70%", cell])
    by_rows = defaultdict(dict)
    for r in memory:
        by_rows[int(r["rows"])][r["fit"] == "True"] = r
    cells = []
    for n_rows in sorted(by_rows):
        pair = by_rows[n_rows]
        if True in pair and False in pair:
            above = float(pair[True]["peak_MB"]) - float(pair[False]["peak_MB"])
            data = float(pair[True]["input_MB"])
            cells.append(f"{n_rows:,} rows: {above:.0f} MB ({above / data:.1f}x)")
    table.append(
        [
            "peak memory of a default 5+5 fit above the interpreter's (x the input)",
            "<= 4x the input at 10^6 rows",
            "; ".join(cells) if cells else "not run",
        ]
    )
    metas = [
        provenance(results / name)
        for name in ("batched.csv", "independence.csv", "batched_step.csv")
        + ("fit_memory.csv",)
        if (results / name).exists()
    ]
    text = list_table(["measure", "target", "measured"], table)
    (Path(out) / "targets_32.rst").write_text(text + "\n" + source_line(*metas) + "\n")


def render_padding(path, out):
    """Milliseconds a step of fits of two widths, grouped against padded."""
    rows, stem, src = _source(path)
    table = [
        [
            r["batch"],
            r["fits"],
            r["grouped_ms"],
            r["padded_ms"],
            f"{float(r['grouped_ms']) / float(r['padded_ms']):.2f}x",
        ]
        for r in rows
    ]
    header = ["batch", "fits per width", "grouped ms", "padded ms", "padded faster by"]
    text = list_table(header, table) + "\n" + src + "\n"
    (Path(out) / f"{stem}.rst").write_text(text)


def render_independence(path, out):
    """Rejection rates of the independence tests: the size on the independent
    family, the power on the others (± 1.96 binomial standard errors), and
    seconds per test; runs of the same family and test pooled."""
    rows, stem, src = _source(path)
    counts, tests, families = defaultdict(lambda: [0, 0, 0.0]), [], []
    for r in rows:
        key = (r["family"], r["test"])
        k, runs = int(r["rejections"]), int(r["runs"])
        cell = counts[key]
        cell[0], cell[1] = cell[0] + k, cell[1] + runs
        cell[2] += float(r["seconds_per_test"]) * runs
        if r["test"] not in tests:
            tests.append(r["test"])
        if (r["family"], r["kind"]) not in families:
            families.append((r["family"], r["kind"]))
    families.sort(key=lambda f: f[1] != "size")  # the size first
    table = []
    for family, kind in families:
        cells = [f"{family} ({kind})"]
        for test in tests:
            k, runs, _ = counts.get((family, test), (0, 0, 0.0))
            if not runs:
                cells.append("")
                continue
            rate = k / runs
            se = math.sqrt(max(rate * (1 - rate), 1e-12) / runs)
            cells.append(f"{100 * rate:.1f}% ± {100 * 1.96 * se:.1f} ({runs})")
        table.append(cells)
    seconds = ["seconds per test"]
    for test in tests:
        cells = [v for (f, t), v in counts.items() if t == test and v[1]]
        total = sum(v[2] for v in cells)
        seconds.append(f"{total / sum(v[1] for v in cells):.2f}")
    table.append(seconds)
    text = list_table(["data (runs)", *tests], table) + "\n" + src + "\n"
    (Path(out) / f"{stem}.rst").write_text(text)


def _fmt(x):
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


#: Renderer by the first matching prefix of a CSV's stem.
RENDERERS = [
    ("beyond_normal_bmi", None),  # drawn with beyond_normal.csv
    ("beyond_normal_previous", None),  # drawn in the targets table
    ("beyond_normal_timing", None),  # drawn in the targets table
    ("beyond_normal", render_beyond_normal),
    ("families", render_families),
    ("pairwise_pairs", None),  # drawn with pairwise.csv
    ("pairwise", render_pairwise),
    ("timeseries", render_timeseries),
    ("conditional", render_conditional),
    ("mrmr", render_mrmr),
    ("speed", render_speed),
    ("too_sure", render_too_sure),
    ("rate_study", render_rate_study),
    ("batched_step", None),  # drawn in the targets table of issue 32
    ("batched_padding", render_padding),
    ("batched", render_batched),
    ("independence", render_independence),
    ("fit_memory", None),  # drawn in the targets table of issue 32
]


def main(out=DEFAULT_OUT, results=RESULTS):
    """Write the .rst and .png of every CSV in ``results`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if not (Path(results) / "beyond_normal.csv").exists():  # the pages include it
        render_beyond_normal(Path(results) / "beyond_normal.csv", out)
    render_targets(results, out)
    render_targets_32(results, out)
    for path in sorted(Path(results).glob("*.csv")):
        render = render_generic
        for prefix, fn in RENDERERS:
            if path.stem.startswith(prefix):
                render = fn
                break
        if render is None:
            continue
        render(path, out)
        written.append(path.stem)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    print("\n".join(main(args.out, args.results)))
