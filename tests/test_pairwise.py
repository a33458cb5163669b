import io
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from joblib import parallel_config

from sknmi import GaussianMIEstimator, KSGEstimator, NeuralMIEstimator
from sknmi.cli import main
from sknmi.datasets import make_gaussian_factors
from sknmi.pairwise import PairwiseMIResult, pairwise_mi
from sknmi.plotting import MIMatrixDisplay

TINY = dict(hidden_layer_sizes=(8,), max_iter=2, batch_size=64, n_folds=2)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def factors():
    return make_gaussian_factors(3000, n_features=4, random_state=1)


def test_factor_data_match_their_closed_form():
    X, truth = make_gaussian_factors(200_000, n_features=5, random_state=0)
    rho = np.corrcoef(X.T)
    np.fill_diagonal(rho, 0.0)
    sample = -0.5 * np.log1p(-(rho**2))
    np.fill_diagonal(sample, np.nan)
    np.testing.assert_allclose(sample, truth, atol=0.01)
    assert np.isnan(np.diag(truth)).all()
    assert np.nanmax(truth) > 0.1  # some pairs really are dependent


def test_matrix_is_symmetric_and_matches_the_pairs_fitted_alone(factors):
    X, truth = factors
    result = pairwise_mi(X, GaussianMIEstimator())
    assert isinstance(result, PairwiseMIResult)
    assert np.isnan(np.diag(result.mi)).all()
    np.testing.assert_array_equal(result.mi, result.mi.T)
    np.testing.assert_array_equal(result.ci_low, result.ci_low.T)
    alone = GaussianMIEstimator().fit(X[:, [1]], X[:, 3])
    assert result.mi[1, 3] == alone.mi_
    assert (result.ci_low[1, 3], result.ci_high[1, 3]) == alone.mi_ci_
    np.testing.assert_allclose(result.mi, truth, atol=0.05)
    assert result.labels == ("0", "1", "2", "3")
    zero = result.holds_zero()
    assert not zero.diagonal().any()
    lo, hi = result.ci_low, result.ci_high
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_array_equal(zero[off], ((lo <= 0) & (hi >= 0))[off])


def test_groups_and_dataframe_names():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 2))
    frame = pd.DataFrame(
        np.c_[a, a.sum(1) + rng.standard_normal(500), rng.standard_normal(500)],
        columns=["u", "v", "s", "noise"],
    )
    result = pairwise_mi(frame, GaussianMIEstimator(), groups=[[0, 1]])
    assert result.labels == ("u+v", "s", "noise")
    assert result.groups == ((0, 1), (2,), (3,))
    whole = GaussianMIEstimator().fit(frame[["u", "v"]].to_numpy(), frame["s"])
    assert result.mi[0, 1] == pytest.approx(whole.mi_)
    table = result.to_frame()
    assert list(table.columns) == ["u+v", "s", "noise"]


def test_seeds_fixed_before_dispatch_give_the_same_matrix_in_parallel(factors):
    X, _ = factors
    estimator = NeuralMIEstimator(**TINY)
    serial = pairwise_mi(X[:400], estimator, random_state=0)
    parallel = pairwise_mi(X[:400], estimator, random_state=0, n_jobs=2)
    np.testing.assert_array_equal(serial.mi, parallel.mi)
    np.testing.assert_array_equal(serial.ci_high, parallel.ci_high)
    other = pairwise_mi(X[:400], estimator, random_state=1)
    assert not np.array_equal(serial.mi, other.mi, equal_nan=True)
    assert estimator.random_state is None  # the user's estimator is not touched


def test_dask_local_cluster_gives_the_serial_matrix(factors):
    if os.environ.get("CI"):
        # the test extra installs it: in CI a missing package is a failure
        import dask.distributed as distributed
    else:
        distributed = pytest.importorskip("dask.distributed")
    X, _ = factors
    estimator = NeuralMIEstimator(**TINY)
    with warnings.catch_warnings():
        # the cluster's own chatter (ports, event loops) is not under test
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                env={"OMP_NUM_THREADS": "1"},
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            with parallel_config(backend="dask"):
                remote = pairwise_mi(X[:400], estimator, random_state=0)
            # the fits really ran on the workers
            assert sum(client.run(lambda: 1).values()) == 2
    serial = pairwise_mi(X[:400], estimator, random_state=0)
    np.testing.assert_array_equal(remote.mi, serial.mi)
    np.testing.assert_array_equal(remote.ci_low, serial.ci_low)


def test_worker_warnings_reach_the_caller_with_the_pair(factors):
    X, _ = factors
    rng = np.random.default_rng(0)
    # a copy of a column: infinite MI, which the Gaussian estimator warns of
    Y = np.c_[X[:, 0], X[:, 0] * 2 + 1, rng.standard_normal(len(X))]
    with pytest.warns(UserWarning, match=r"pairwise_mi, I\(0; 1\)"):
        result = pairwise_mi(Y, GaussianMIEstimator(), n_jobs=2)
    assert result.mi[0, 1] == np.inf


@pytest.mark.parametrize(
    "X, kwargs, message",
    [
        (np.zeros((10, 1)), {}, "at least 2 variables"),
        (np.zeros((10, 2)), {"groups": [[0, 1]]}, "at least 2 variables"),
        (np.zeros((10, 3)), {"groups": [[0, 5]]}, "out of range"),
        (np.zeros((10, 3)), {"estimator": "ksg"}, "estimator"),
    ],
)
def test_bad_input(X, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        pairwise_mi(X, **kwargs)


def test_not_an_mi_estimator():
    from sklearn.linear_model import LinearRegression

    with pytest.raises(ValueError, match="MI estimator"):
        pairwise_mi(np.zeros((10, 3)), LinearRegression())


def test_display_from_estimator_hatches_the_pairs_whose_interval_holds_zero():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(1000)
    X = np.c_[a, a + 0.5 * rng.standard_normal(1000), rng.standard_normal(1000)]
    display = MIMatrixDisplay.from_estimator(KSGEstimator(random_state=0), X)
    result = display.result_
    np.testing.assert_array_equal(display.hatched_, result.holds_zero())
    assert display.hatched_[0, 2] and not display.hatched_[0, 1]
    assert display.text_[0, 0] is None  # the diagonal is blank
    assert display.text_[0, 1].get_text() == f"{result.mi[0, 1]:.2f}"
    hatches = [p for p in display.ax_.patches if p.get_hatch()]
    assert len(hatches) == display.hatched_.sum()
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["0", "1", "2"]


def test_display_from_matrix_checks_its_input():
    mi = np.array([[np.nan, 0.3], [0.3, np.nan]])
    display = MIMatrixDisplay.from_matrix(mi, labels=["a", "b"], include_values=False)
    assert not display.hatched_.any() and display.text_[0, 1] is None
    with pytest.raises(ValueError, match="square"):
        MIMatrixDisplay(np.zeros((2, 3))).plot()
    with pytest.raises(ValueError, match="both"):
        MIMatrixDisplay(mi, ci_low=mi).plot()
    with pytest.raises(ValueError, match="one entry per variable"):
        MIMatrixDisplay(mi, labels=["a"]).plot()


def test_cli_pairwise_writes_matrix_and_plot(factors, tmp_path):
    X, _ = factors
    path = tmp_path / "data.csv"
    np.savetxt(path, X[:500], delimiter=",", header="a,b,c,d", comments="")
    out, matrix, image = io.StringIO(), tmp_path / "m.csv", tmp_path / "m.png"
    argv = ["pairwise", str(path), "--columns", "a,c,d", "--estimator", "ksg"]
    code = main([*argv, "--out", str(matrix), "--plot", str(image)], out=out)
    assert code == 0, out.getvalue()
    text = out.getvalue()
    assert "3 pairs, ksg estimator" in text and "I(a; c) = " in text
    lines = matrix.read_text().splitlines()
    assert lines[0] == ",a,c,d" and lines[1].startswith("a,nan,")
    written = np.array([row.split(",")[1:] for row in lines[1:]], dtype=float)
    expected = pairwise_mi(X[:500, [0, 2, 3]], KSGEstimator()).mi
    np.testing.assert_allclose(written, expected, rtol=1e-5)
    assert image.read_bytes()[:4] == b"\x89PNG"


def test_cli_pairwise_errors(tmp_path, capsys):
    path = tmp_path / "data.csv"
    np.savetxt(path, np.zeros((20, 2)), delimiter=",", header="a,b", comments="")
    assert main(["pairwise", str(path), "--columns", "a"]) == 2
    assert "at least 2 variables" in capsys.readouterr().err
    assert main(["pairwise", str(path), "--columns", "a,zz"]) == 2
    assert "unknown column 'zz'" in capsys.readouterr().err
    assert main(["pairwise", str(path), "--n-jobs", "0"]) == 2
    assert "--n-jobs" in capsys.readouterr().err
