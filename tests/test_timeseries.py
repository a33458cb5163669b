import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sknmi import ConditionalMIEstimator, GaussianMIEstimator, NeuralMIEstimator
from sknmi._closed_form import gaussian_cmi, var_covariance
from sknmi._folds import critic_folds
from sknmi.datasets import make_chain, make_gaussian_conditional, make_var1
from sknmi.plotting import LaggedMIDisplay
from sknmi.timeseries import (
    LaggedMIResult,
    TransferEntropyResult,
    lagged_mi,
    transfer_entropy,
)

# Small, fast critics for ordered data: contiguous folds with a gap.
ORDERED = dict(
    shuffle=False, gap=3, hidden_layer_sizes=(16,), max_iter=8, random_state=0
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def var():
    return make_var1(3000, random_state=0)


# -- the closed form -------------------------------------------------------------------


def test_var_covariance_solves_the_lyapunov_equation_and_lags_by_powers():
    A = np.array([[0.5, 0.0], [0.8, 0.3]])
    Q = np.array([[1.0, 0.2], [0.2, 0.5]])
    cov = var_covariance(A, Q, 2)
    sigma = cov[:2, :2]
    np.testing.assert_allclose(sigma, A @ sigma @ A.T + Q, atol=1e-12)
    # Cov(s_t, s_{t-1}) = A Sigma and Cov(s_t, s_{t-2}) = A^2 Sigma.
    np.testing.assert_allclose(cov[:2, 2:4], A @ sigma, atol=1e-12)
    np.testing.assert_allclose(cov[:2, 4:6], A @ A @ sigma, atol=1e-12)
    np.testing.assert_allclose(cov, cov.T)
    with pytest.raises(ValueError, match="not stationary"):
        var_covariance([[1.0]], [[1.0]], 1)


def test_make_var1_truth_by_hand_and_zero_in_the_uncoupled_direction():
    a, b, c = 0.5, 0.3, 0.8
    _, _, truth = make_var1(10, coupling=c, autoregression=(a, b), random_state=0)
    # Stationary moments by hand: var x, cov(x, y), var y.
    vx = 1 / (1 - a**2)
    cxy = a * c * vx / (1 - a * b)
    vy = (c**2 * vx + 2 * b * c * cxy + 1) / (1 - b**2)
    # Lag 1: cov(y_t, x_{t-1}) = c vx + b cxy.
    rho = (c * vx + b * cxy) / np.sqrt(vx * vy)
    assert truth.lagged_mi[1] == pytest.approx(-0.5 * np.log(1 - rho**2))
    # TE x -> y: y_t given y_{t-1} has residual variance; adding x_{t-1}
    # leaves only the unit noise.
    cov_yy1 = b * vy + c * cxy
    residual = vy - cov_yy1**2 / vy
    assert truth.transfer_entropy == pytest.approx(0.5 * np.log(residual))
    assert truth.transfer_entropy_reverse == 0.0
    _, _, none = make_var1(10, coupling=0.0, random_state=0)
    assert none.transfer_entropy == 0.0 and none.lagged_mi.max() == 0.0


def test_make_var1_closed_form_against_a_long_simulation():
    x, y, truth = make_var1(200_000, lag=2, history=2, max_lag=3, random_state=1)
    # The stacked sample covariance of (x_t, y_t, ..., x_{t-3}, y_{t-3}).
    n = len(x)
    rows = np.column_stack([v[3 - k : n - k] for k in range(4) for v in (x, y)])
    cov = np.cov(rows, rowvar=False)
    for k in range(4):
        assert gaussian_cmi(cov, [1], [2 * k], []) == pytest.approx(
            truth.lagged_mi[k], abs=0.005
        )
    # lag 2, history 2: source x_{t-2}, x_{t-3}; the target's y_{t-1}, y_{t-2}.
    te = gaussian_cmi(cov, [1], [4, 6], [3, 5])
    assert te == pytest.approx(truth.transfer_entropy, abs=0.005)
    assert truth.transfer_entropy > 0.02
    assert gaussian_cmi(cov, [0], [5, 7], [2, 4]) < 0.001
    # And through the package's own Gaussian estimator, with its intervals
    # (0.03 nats of 0.34: the difference ratio may warn).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = transfer_entropy(
            x, y, lag=2, history=2, estimator=GaussianMIEstimator(), random_state=0
        )
    lo, hi = result.ci_low, result.ci_high
    assert lo[0] < truth.transfer_entropy < hi[0]
    assert lo[1] < 0.0 < hi[1]


def test_make_var1_refuses_a_nonstationary_process():
    with pytest.raises(ValueError, match="stationary"):
        make_var1(10, autoregression=(0.5, 1.0))


# -- ordered cross-fitting ------------------------------------------------------------


def test_contiguous_folds_are_blocks_with_the_gap_left_out():
    n, gap = 60, 4
    folds, _ = critic_folds(n, 3, 0.2, None, shuffle=False, gap=gap)
    starts = []
    for train, read in folds:
        a, b = read.min(), read.max() + 1
        starts.append(a)
        assert sorted(read) == list(range(a, b))  # a block, all of it
        near = set(range(a - gap, b + gap))
        assert not near & set(train)
        assert set(train) == set(range(n)) - near
    assert sorted(starts) == [0, 20, 40]
    # One critic: the held-out rows are the last block, the gap before it unused.
    ((train, held),) = critic_folds(n, 1, 0.25, None, shuffle=False, gap=gap)[0]
    assert sorted(held) == list(range(45, 60))
    assert sorted(train) == list(range(0, 41))


def test_shuffled_folds_are_not_blocks():
    folds, _ = critic_folds(60, 3, 0.2, 0, shuffle=True, gap=0)
    read = np.sort(folds[0][1])
    assert read.max() - read.min() + 1 > len(read)


def test_gap_needs_shuffle_false_and_is_validated():
    X, Z = np.random.default_rng(0).standard_normal((2, 100, 1))
    with pytest.raises(ValueError, match="gap=2 needs shuffle=False"):
        NeuralMIEstimator(gap=2, max_iter=1).fit(X, Z)
    with pytest.raises(ValueError, match="gap"):
        NeuralMIEstimator(shuffle=False, gap=-1, max_iter=1).fit(X, Z)
    with pytest.raises(ValueError, match="gap=60 leaves"):
        NeuralMIEstimator(shuffle=False, gap=60, max_iter=1).fit(X, Z)


def test_ordered_read_out_is_not_fooled_by_neighbours():
    # A slowly varying pair: partners taken in time order would be near copies
    # of each row and read the MI far too low; the scrambled read-out does not.
    x, y, truth = make_var1(4000, coupling=0.5, autoregression=0.9, random_state=0)
    est = NeuralMIEstimator(**ORDERED).fit(x[:-1, None], y[1:])
    assert est.mi_ == pytest.approx(truth.lagged_mi[1], rel=0.15)
    # The scores come back in the rows' order.
    X, Z = x[:300, None], y[1:301]
    points = est.pointwise_mi(X, Z)
    assert np.isfinite(points).all()
    assert est.score(X, Z) == est.score(X, Z)


class _RecordingEstimator(BaseEstimator):
    """An MI estimator with ``pointwise_mi`` that records the rows it fits."""

    _estimates_mi = True

    def __init__(self, shuffle=False, gap=0, random_state=None):
        self.shuffle = shuffle
        self.gap = gap
        self.random_state = random_state

    def fit(self, X, y):
        self.rows_ = X[:, 0].copy()
        self.mi_, self.mi_ci_ = 0.0, (0.0, 0.0)
        return self

    def pointwise_mi(self, X, y):
        return np.zeros(len(X))


def test_conditional_holds_out_the_last_block_for_ordered_estimators():
    n = 100
    X = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    y = np.random.default_rng(0).standard_normal(n)
    est = ConditionalMIEstimator(_RecordingEstimator(gap=5), given=[1]).fit(X, y)
    joint, given = est.estimators_[0]
    # test_fraction=0.2: rows 80-99 read, 75-79 the gap, 0-74 fitted, in order.
    np.testing.assert_array_equal(joint.rows_, np.arange(75))
    shuffled = ConditionalMIEstimator(
        _RecordingEstimator(shuffle=True), given=[1], random_state=0
    ).fit(X, y)
    assert not np.array_equal(np.sort(shuffled.estimators_[0][0].rows_), np.arange(80))


# -- the difference ratio --------------------------------------------------------------


def test_difference_ratio_warns_for_a_small_difference_of_large_terms():
    X, Z, W, cmi = make_gaussian_conditional(
        20_000, cmi=0.05, mi_given=2.0, random_state=0
    )
    est = ConditionalMIEstimator(GaussianMIEstimator(), given=[1])
    with pytest.warns(UserWarning, match="small difference of two large terms"):
        est.fit(np.hstack([X, W]), Z)
    assert est.difference_ratio_ == pytest.approx(
        max(est.mi_joint_, est.mi_given_) / est.mi_
    )
    assert est.difference_ratio_ > 10


def test_difference_ratio_is_quiet_when_the_interval_holds_zero_or_terms_are_small():
    X, Z, W, _ = make_chain(5000, mi=2.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ConditionalMIEstimator(GaussianMIEstimator(), given=[1])
        est.fit(np.hstack([X, W]), Z)
        assert est.mi_ci_[0] <= 0 <= est.mi_ci_[1]
        assert est.difference_ratio_ > 10
        X, Z, W, _ = make_gaussian_conditional(5000, cmi=1.0, random_state=0)
        est = ConditionalMIEstimator(GaussianMIEstimator(), given=[1])
        assert est.fit(np.hstack([X, W]), Z).difference_ratio_ < 10
        plain = ConditionalMIEstimator(GaussianMIEstimator()).fit(X, Z)
        assert plain.difference_ratio_ == 1.0


# -- lagged MI -------------------------------------------------------------------------


def test_lagged_mi_peaks_at_the_true_lag(var):
    x, y, truth = var
    est = NeuralMIEstimator(**ORDERED)
    result = lagged_mi(x, y, [0, 1, 2, 4], estimator=est, random_state=0)
    assert isinstance(result, LaggedMIResult)
    assert result.peak_lag == 1
    assert result.n_rows == len(x) - 4
    assert np.all(result.ci_low <= result.mi) and np.all(result.mi <= result.ci_high)
    np.testing.assert_allclose(result.mi, truth.lagged_mi[[0, 1, 2, 4]], atol=0.08)


def test_lagged_mi_reads_the_same_steps_at_every_lag_and_takes_2d_series(var):
    x, y, truth = var
    two = np.column_stack([x, np.random.default_rng(0).standard_normal(len(x))])
    result = lagged_mi(two, y, 1, estimator=GaussianMIEstimator())
    assert result.mi[0] == pytest.approx(truth.lagged_mi[1], abs=0.05)
    both = lagged_mi(
        x, np.column_stack([y, y**2]), [3, 1], estimator=GaussianMIEstimator()
    )
    # Rows t = 3 .. n - 1 at both lags.
    expected = GaussianMIEstimator().fit(x[2:-1, None], np.column_stack([y, y**2])[3:])
    assert both.mi[1] == pytest.approx(expected.mi_)


def test_lagged_mi_default_estimator_is_ordered(var, monkeypatch):
    import sknmi.timeseries as ts

    seen = {}
    original = ts.fit_many

    def spy(tasks, **kwargs):
        tasks = list(tasks)
        seen["params"] = tasks[0][0].get_params()
        return [(0.0, 0.0, 0.0)] * len(tasks)

    monkeypatch.setattr(ts, "fit_many", spy)
    x, y, _ = var
    lagged_mi(x, y, [0, 2])
    assert seen["params"]["shuffle"] is False
    # The row's reach (2) plus the correlation length of the series (> 1).
    assert seen["params"]["gap"] > 3
    monkeypatch.setattr(ts, "fit_many", original)


@pytest.mark.slow  # two worker processes start and import torch
def test_lagged_mi_same_numbers_with_two_jobs(var):
    x, y, _ = var
    est = NeuralMIEstimator(**dict(ORDERED, random_state=None, max_iter=3))
    serial = lagged_mi(x[:1000], y[:1000], [0, 1], estimator=est, random_state=3)
    parallel = lagged_mi(
        x[:1000], y[:1000], [0, 1], estimator=est, n_jobs=2, random_state=3
    )
    np.testing.assert_allclose(parallel.mi, serial.mi, rtol=1e-6)
    np.testing.assert_allclose(parallel.ci_high, serial.ci_high, rtol=1e-6)


def test_shuffled_estimator_on_a_series_warns(var):
    x, y, _ = var
    with pytest.warns(UserWarning, match="shuffle=True"):
        lagged_mi(x, y, [1], estimator=NeuralMIEstimator(max_iter=1, random_state=0))


# -- transfer entropy ------------------------------------------------------------------


def test_transfer_entropy_coupled_direction_beats_the_uncoupled_one(var):
    x, y, truth = var
    est = NeuralMIEstimator(critic="concat", **dict(ORDERED, max_iter=20))
    result = transfer_entropy(x, y, estimator=est, random_state=0)
    assert isinstance(result, TransferEntropyResult)
    assert result.directions == ("source -> target", "target -> source")
    te, (lo, hi) = result.source_to_target
    assert lo > 0.15
    assert te - result.te[1] > 0.2
    assert te == pytest.approx(truth.transfer_entropy, rel=0.15)
    assert abs(result.target_to_source[0]) < 0.05
    np.testing.assert_allclose(result.te, result.mi_joint - result.mi_given)
    assert result.difference_ratio[0] < 10


def test_transfer_entropy_history_and_lag_shape_the_rows(var):
    x, y, _ = var
    truth = make_var1(10, lag=2, history=3)[2]
    result = transfer_entropy(x, y, lag=2, history=3, estimator=GaussianMIEstimator())
    assert result.n_rows == len(x) - 4
    assert result.te[0] == pytest.approx(truth.transfer_entropy, abs=0.03)


def test_transfer_entropy_same_numbers_with_two_jobs(var):
    x, y, _ = var
    est = NeuralMIEstimator(critic="concat", **dict(ORDERED, max_iter=2))
    one = transfer_entropy(x[:800], y[:800], estimator=est, random_state=0)
    two = transfer_entropy(x[:800], y[:800], estimator=est, n_jobs=2, random_state=0)
    np.testing.assert_allclose(two.te, one.te, rtol=1e-6)


# -- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x, y: lagged_mi(x, y[:-1], [1]), "same number of time steps"),
        (lambda x, y: lagged_mi(x[:25], y[:25], [10]), "too few"),
        (lambda x, y: lagged_mi(x, y, [-1, 2]), "non-negative"),
        (lambda x, y: lagged_mi(x, y, [1.5]), "integers"),
        (lambda x, y: lagged_mi(x, y, []), "non-empty"),
        (lambda x, y: lagged_mi(np.where(x > 2, np.nan, x), y, [1]), "NaN"),
        (lambda x, y: lagged_mi(x[:, None, None], y, [1]), "dim"),
        (lambda x, y: lagged_mi(x, y, [1], estimator=BaseEstimator()), "MI estimator"),
        (lambda x, y: transfer_entropy(x, y[:-2]), "same number of time steps"),
        (lambda x, y: transfer_entropy(x, y, lag=0), "lag must be at least 1"),
        (
            lambda x, y: transfer_entropy(x, y, history=1.0),
            "history must be an integer",
        ),
        (lambda x, y: transfer_entropy(x, y, lag=True), "lag must be an integer"),
        (lambda x, y: transfer_entropy(x[:30], y[:30], history=12), "too few"),
        (lambda x, y: transfer_entropy(x, np.where(y > 2, np.inf, y)), "infinity"),
    ],
)
def test_bad_input_says_what_is_wrong(var, call, match):
    x, y, _ = var
    with pytest.raises(ValueError, match=match):
        call(x, y)


def test_inputs_are_not_modified(var):
    x, y, _ = var
    x0, y0 = x.copy(), y.copy()
    transfer_entropy(x, y, estimator=GaussianMIEstimator())
    lagged_mi(x, y, [0, 1], estimator=GaussianMIEstimator())
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


# -- the Display -----------------------------------------------------------------------


def test_display_draws_estimates_intervals_and_truth(var):
    x, y, truth = var
    display = LaggedMIDisplay.from_series(
        x, y, truth.lags, estimator=GaussianMIEstimator(), true_mi=truth.lagged_mi
    )
    assert display.result_.peak_lag == 1
    xs, ys = display.line_true_.get_data()
    np.testing.assert_allclose(ys, truth.lagged_mi)
    assert display.ax_.get_xlabel() == "lag [steps]"
    assert display.errorbar_.has_yerr
    _, ax = plt.subplots()
    again = LaggedMIDisplay.from_result(display.result_, ax=ax, name="gaussian")
    assert again.ax_ is ax and again.line_true_ is None
    assert "gaussian" in ax.get_legend_handles_labels()[1][0]


def test_display_refuses_bad_arrays():
    with pytest.raises(ValueError, match="mi must be 1-D with 2 values"):
        LaggedMIDisplay(lags=[0, 1], mi=[0.1, 0.2, 0.3]).plot()
    with pytest.raises(ValueError, match="both ci_low and ci_high"):
        LaggedMIDisplay(lags=[0, 1], mi=[0.1, 0.2], ci_low=[0, 0]).plot()
    with pytest.raises(ValueError, match="hold its estimate"):
        LaggedMIDisplay(
            lags=[0, 1], mi=[0.1, 0.2], ci_low=[0, 0.3], ci_high=[0.2, 0.4]
        ).plot()
    with pytest.raises(ValueError, match="LaggedMIResult"):
        LaggedMIDisplay.from_result({"lags": [0]})
