"""The benchmark scripts import and their pieces run on tiny data (CI never runs
the benchmarks themselves)."""

import pathlib
import runpy

import numpy as np
import pytest

from sknmi.datasets import make_gaussian

BENCH = pathlib.Path(__file__).parents[1] / "benchmarks"

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def load(name):
    return runpy.run_path(str(BENCH / f"{name}.py"), run_name="benchmark")


@pytest.mark.parametrize("name", ["gaussian", "overhead", "scaling"])
def test_script_imports_and_has_main(name):
    assert callable(load(name)["main"])


def test_gaussian_benchmark_pieces(tmp_path, capsys):
    bench = load("gaussian")
    assert set(bench["configs"](["all"])) == {"defaults", "quantile", *bench["BOUNDS"]}
    with pytest.raises(SystemExit):
        bench["configs"](["nope"])
    rows = bench["run"](
        [1.0], ["cubic"], bench["configs"](["dv"]), 2, 300, 2, str(tmp_path / "out.csv")
    )
    assert len(rows) == 2 and (tmp_path / "out.csv").exists()
    bench["summarise"](rows)
    assert "| cubic | dv | 1 |" in capsys.readouterr().out


def test_overhead_benchmark_pieces():
    bench = load("overhead")
    X, Z, _ = make_gaussian(n_samples=400, n_features=3, mi=1.0, random_state=0)
    assert bench["plain_loop"](X, Z, (8,), 4, 64, 1, 1e-3, 0) > 0
    loop, fit = bench["estimator_loop"](X, Z, (8,), 4, 64, 1, 1e-3, 0)
    assert loop > fit > 0


def test_families_benchmark_pieces(tmp_path):
    bench = load("families")
    assert callable(bench["main"])
    table = bench["configs"](
        ["defaults", "ksg", "gaussian", "w:hidden_layer_sizes=(8,)"]
    )
    assert table["w"] == ("neural", {"hidden_layer_sizes": (8,)})
    with pytest.raises(SystemExit):
        bench["configs"](["nope"])
    assert bench["parse_families"]("transforms,sparse") == [
        *bench["TRANSFORMS"],
        "sparse",
    ]
    with pytest.raises(SystemExit):
        bench["tasks"](["nope"])
    tasks = bench["tasks"](["student_t", "sparse", "spiral"], dims=(2,))
    assert [t[1] for t in tasks] == [
        "dof 1 2+2",
        "dof 2 5+5",
        "5 nats 3+3",
        "1 nat 2+2",
    ]
    path = tmp_path / "out.csv"
    rows = bench["run"](tasks[2:], table, 2, 200, 2, str(path))
    assert len(rows) == 2 * 2 * 4 and path.exists()
    assert all(r["true_mi"] == pytest.approx(5.0) for r in rows[:8])
    summary = bench["summarise"](rows)
    assert "| sparse | 5 nats 3+3 | ksg | 5.000 |" in summary
    assert "| spiral | 1 nat 2+2 | w | 1.000 |" in summary
    assert bench["summarise"](bench["read_csv"](str(path))) == summary
    assert [t[1] for t in bench["tasks"](["gaussian"])] == [
        "2 nats 5+5",
        "3 nats 8+8",
    ]
    rates = bench["warning_rates"](
        [
            {"true_mi": 1.0, "estimate": 1.01, "warnings": ""},
            {"true_mi": 1.0, "estimate": 1.2, "warnings": "too sure"},
            {"true_mi": 1.0, "estimate": 0.5, "warnings": "timid;overfit"},
        ]
    )
    assert "| too sure | 0 (0%) | 1 (50%) |" in rates
    assert "| any | 0 (0%) | 2 (100%) |" in rates


def test_too_sure_benchmark_pieces(tmp_path):
    bench = load("too_sure")
    X, Z, mi = make_gaussian(n_samples=5000, n_features=2, mi=1.0, random_state=0)
    # The closed-form log ratio averages to the MI over joint pairs.
    assert bench["log_ratio"](X, Z, mi).mean() == pytest.approx(mi, abs=0.05)
    row = bench["fit_one"](2, 1.0, "rate / 8", 0, 400)
    assert row["config"] == "rate / 8" and row["data"] == "2+2, 1 nats"
    assert np.isfinite(row["score_slope"]) and row["too_sure"] in (True, False)
    bench["main"](
        [
            "--seeds",
            "1",
            "--n-samples",
            "300",
            "--jobs",
            "1",
            "--out",
            str(tmp_path / "too_sure.csv"),
        ]
    )
    report = load("report")
    report["main"](tmp_path / "gen", tmp_path)
    text = (tmp_path / "gen" / "too_sure.rst").read_text()
    assert "8+8, 3 nats" in text and "rate / 8" in text


def test_infomax_prior_benchmark_pieces():
    bench = load("infomax_prior")
    assert {"global", "local", "local+prior"} <= set(bench["CONFIGS"])
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 4))
    y = np.repeat([0, 1], 60)
    Z = X[:, :2] + 0.1 * rng.standard_normal((120, 2))
    row = bench["judge"](Z, X, y, "gaussian", 0)
    assert set(row) == {"ndm", "probe", "mi", "ks_prior"}
    assert 0.0 <= row["probe"] <= 1.0 and 0.0 <= row["ks_prior"] <= 1.0
    rows = [dict(config="local", seed=s, **row, seconds=1.0) for s in (0, 1)]
    assert bench["summary"](rows).splitlines()[2].startswith("| local | 2 |")


def test_pairwise_benchmark_pieces():
    from sknmi.datasets import make_gaussian_factors

    bench = load("pairwise")
    X, truth = make_gaussian_factors(300, n_features=3, random_state=0)
    result, pairs, row = bench["run"]("KSG", X, truth, 1, 0)
    assert row["pairs"] == len(pairs) == 3
    assert row["covered"] <= row["covered_or_within_0.005"] <= 3
    assert {p["truth"] for p in pairs} == set(truth[np.triu_indices(3, 1)])


def _write_task(directory, task, rows, seed, mi, n_features):
    X, Z, truth = make_gaussian(
        n_samples=rows, n_features=n_features, mi=mi, random_state=seed
    )
    np.savez(
        directory / f"{task}__n{rows}__s{seed}.npz",
        x=X,
        y=Z,
        truth=truth,
        task=task,
        name=task,
    )


def test_beyond_normal_scoring_and_report(tmp_path):
    """Score two tiny generated tasks as if bmi had written them, then draw them."""
    from sknmi import NeuralMIEstimator

    bench = load("beyond_normal")
    report = load("report")
    samples = tmp_path / "samples"
    samples.mkdir()
    for seed in (0, 1):
        _write_task(samples, "multinormal-dense-2-2-0.5", 300, seed, 0.3, 2)
        _write_task(samples, "1v1-normal-0.75", 300, seed, 0.4, 1)
    # The defaults at full length take seconds a fit; the scoring is what is tested.
    bench["ESTIMATORS"]["sknmi"] = lambda seed: NeuralMIEstimator(
        max_iter=2, random_state=seed
    )
    paths = bench["samples"](samples)
    assert bench["parse_name"](paths[0]) == ("1v1-normal-0.75", 300, 0)
    out = tmp_path / "results" / "beyond_normal.csv"
    out.parent.mkdir()
    names = list(bench["ESTIMATORS"])
    rows = bench["run"](paths, names, out, log=lambda *a: None)
    assert len(rows) == 2 * 2 * 3
    assert {r["family"] for r in rows} == {"Gaussian (dense)"}
    assert {r["dims"] for r in rows} == {"1+1", "2+2"}
    assert bench["run"](paths, names, out, log=lambda *a: None) == []  # resumed
    summary = bench["summarise"](bench["read_csv"](out))
    assert [s["estimator"] for s in summary] == ["sknmi", "KSG", "Gaussian"]
    gaussian = summary[2]
    assert (gaussian["tasks"], gaussian["seeds"]) == (2, 2)
    assert gaussian["mae"] < 0.15 and 0 <= gaussian["within_01"] <= 2
    assert "| Gaussian | 300 | 2 | 2 |" in bench["markdown"](summary)

    (tmp_path / "results" / "beyond_normal.json").write_text(
        '{"command": "python x.py", "version": "sknmi 9", "date": "2031-01-02T03:04"}'
    )
    written = report["main"](tmp_path / "gen", tmp_path / "results")
    assert written == ["beyond_normal"]
    text = (tmp_path / "gen" / "beyond_normal.rst").read_text()
    assert "``python x.py`` (sknmi 9, 2031-01-02)" in text
    for png in ("estimates", "family_error", "seconds", "coverage"):
        assert (tmp_path / "gen" / f"beyond_normal_{png}.png").stat().st_size > 0
    assert (
        "1v1-normal-0.75" in (tmp_path / "gen" / "beyond_normal_tasks.rst").read_text()
    )


def test_report_families(tmp_path):
    report = load("report")
    assert report["bn_family"]("spiral-normal_cdf-multinormal-sparse-3-3-2-2.0") == (
        "spiral"
    )
    assert report["bn_family"]("asinh-student-identity-1-1-1") == "asinh"
    assert report["bn_family"]("1v1-additive-0.1") == "additive noise"
    # A CSV without a renderer of its own: mean ± sd per group, date unknown.
    (tmp_path / "other.csv").write_text("config,seed,score\na,0,1.0\na,1,3.0\nb,0,2\n")
    report["main"](tmp_path, tmp_path)
    text = (tmp_path / "other.rst").read_text()
    assert "2 ± 1.41" in text and "date unknown" in text


def test_kept_aside_families_have_the_right_truths():
    fam = load("new_families")
    # The correlated t: with no correlation it is the t of identity dispersion.
    assert fam["make_heavy_t"](5, 0, n_features=3, mi=0.0, dof=3.0)[2] == pytest.approx(
        load_student_t_mi(3, 3.0)
    )
    # Far from the tails the shared scale carries nothing: the Gaussian's MI.
    assert fam["make_heavy_t"](5, 0, mi=2.0, dof=1e6)[2] == pytest.approx(2.0, abs=1e-3)
    # A sine of small amplitude is a linear Gaussian channel.
    signal = (1 - np.exp(-2 * 0.05**2)) / 2  # the variance of sin(0.05 u)
    expected = 0.5 * np.log1p(signal / 0.2**2)
    assert fam["_periodic_truth"](0.05, 0.2) == pytest.approx(expected, rel=0.02)
    # The densities: their log ratio averages to the MI over joint pairs
    # (below the labels' entropy) and to -KL <= 0 over independent pairs.
    rng = np.random.RandomState(0)
    for name, limit in (("mixture", np.log(4)), ("ring", None), ("classes", np.log(8))):
        draw, pointwise = fam[f"_{name}_draw"], fam[f"_{name}_pointwise"]
        X, Z = draw(5_000, rng)
        joint = pointwise(X, Z).mean()
        product = pointwise(X, Z[rng.permutation(len(Z))]).mean()
        assert 0.3 < joint and product < -0.3
        if limit is not None:
            assert joint < limit
    assert fam["make_classes"](7, 0)[1].dtype.kind == "i"


def load_student_t_mi(d, dof):
    from sknmi.datasets import make_student_t

    return make_student_t(5, d, d, dof=dof, random_state=0)[2]


def test_rate_study_and_targets(tmp_path):
    report = load("report")
    rows = [
        dict(
            family="f",
            level="l",
            seed="0",
            rate=str(r),
            true_mi="1.0",
            estimate=str(e),
            best_validation_bound=str(b),
        )
        for r, e, b in zip(
            [1e-4, 3e-4, 1e-3, 3e-3, 8e-3],
            [0.8, 0.9, 1.0, 1.1, 1.2],
            [-0.5, -0.4, -0.3, -0.35, -0.6],
        )
    ]
    rows.append({**rows[-1], "rate": "auto", "chosen": "0.008"})
    header, (row,) = report["rate_study_summary"](rows)
    assert row[3:9] == ["1e-03", "+0.0", "8e-03", "+20.0", "1e-03", "+0.0"]
    fits = [
        dict(estimate="1.3", true_mi="1.0", ci_low="1.2", ci_high="1.4", warnings=""),
        dict(estimate="1.3", true_mi="1.0", ci_low="0.9", ci_high="1.4", warnings=""),
        dict(estimate="1.3", true_mi="1.0", ci_low="1.2", ci_high="1.4", warnings="x"),
        dict(estimate="1.05", true_mi="1.0", ci_low="1.0", ci_high="1.1", warnings=""),
    ]
    assert report["silent_misses"](fits) == (1, 3)
    report["render_targets"](tmp_path, tmp_path)
    assert "missing" in (tmp_path / "targets_34.rst").read_text()
