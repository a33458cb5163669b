"""Every estimator through bad and awkward input: a clear error or a right answer.

One row per case; each estimator either raises a ``ValueError`` (or
``TypeError`` for sparse X, as scikit-learn does) whose message says what is
wrong, or returns a finite result within tolerance of the truth. Nothing the
user passed in is modified, and a failed fit leaves the estimator as it was.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sknmi import (
    DeepInfoMaxTransformer,
    DegenerateDependenceWarning,
    GaussianMIEstimator,
    InfoBottleneckTransformer,
    KSGEstimator,
    NeuralMIEstimator,
)

TINY = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
# Enough training for 400 rows to show their MI.
SMALL = dict(hidden_layer_sizes=(32,), max_iter=60, learning_rate_init=3e-3)


def _mi_estimators():
    return {
        "neural": NeuralMIEstimator(random_state=0, **SMALL),
        "neural-quantile": NeuralMIEstimator(
            preprocessing="quantile", random_state=0, **SMALL
        ),
        "ksg": KSGEstimator(random_state=0),
        "gaussian": GaussianMIEstimator(),
    }


def _all_estimators():
    return {
        **_mi_estimators(),
        "bottleneck": InfoBottleneckTransformer(n_components=2, **TINY),
        "infomax": DeepInfoMaxTransformer(n_components=2, embedding_dim=8, **TINY),
    }


def _pair(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    Z = X[:, :1] + 0.5 * rng.standard_normal((n, 1))
    return X, Z  # I(X; Z) = 0.5 log(1 + 1 / 0.25) = 0.805 nats


TRUE_MI = 0.5 * math.log(5.0)


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if isinstance(estimator, DeepInfoMaxTransformer):
            return estimator.fit(X)
        if isinstance(estimator, InfoBottleneckTransformer) and y is not None:
            y = np.asarray(y)
            if y.dtype.kind == "f":  # the bottleneck is given class labels
                y = ((y[:, 0] if y.ndim == 2 else y) > 0).astype(int)
        return estimator.fit(X, y)


def _bad_inputs():
    X, Z = _pair()
    nan_X = X.copy()
    nan_X[3, 1] = np.nan
    inf_X = X.copy()
    inf_X[0, 0] = np.inf
    nan_Z = Z.copy()
    nan_Z[5] = np.nan
    return {
        "X with NaN": (nan_X, Z, "NaN"),
        "X with inf": (inf_X, Z, "infinity"),
        "no rows": (X[:0], Z[:0], "0 sample"),
        "one row": (X[:1], Z[:1], "sample"),
        "3-D X": (X.reshape(400, 2, 1), Z, "dim"),
        "strings in X": (X.astype(str).astype(object) + "x", Z, "string|float|convert"),
        "complex X": (X + 1j, Z, "[Cc]omplex"),
    }


BAD_Y = {
    "Z with NaN": lambda Z: np.where(np.arange(len(Z))[:, None] == 5, np.nan, Z),
    "rows differ": lambda Z: Z[:-1],
    "labels mixing ints and strings": lambda Z: np.array(
        [1, "a"] * (len(Z) // 2), dtype=object
    ),
    "None among labels": lambda Z: np.array(["a", None] * (len(Z) // 2), dtype=object),
    "sparse Z": lambda Z: scipy.sparse.csr_matrix(Z),
}


@pytest.mark.parametrize("case", sorted(_bad_inputs()))
@pytest.mark.parametrize("name", sorted(_all_estimators()))
def test_bad_x_is_a_clear_error(name, case):
    estimator = _all_estimators()[name]
    X, Z, match = _bad_inputs()[case]
    with pytest.raises(ValueError, match=match):
        _fit(estimator, X, Z)
    with pytest.raises(NotFittedError):
        estimator.score(X, Z) if hasattr(estimator, "score") else estimator.transform(X)


@pytest.mark.parametrize("case", sorted(BAD_Y))
@pytest.mark.parametrize("name", sorted(set(_all_estimators()) - {"infomax"}))
def test_bad_z_is_a_clear_error(name, case):
    estimator = _all_estimators()[name]
    X, Z = _pair()
    Z = BAD_Y[case](Z)
    with pytest.raises(ValueError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, Z)


@pytest.mark.parametrize("name", sorted(_all_estimators()))
def test_sparse_x_is_refused(name):
    X, Z = _pair()
    with pytest.raises((TypeError, ValueError), match="[Ss]parse"):
        _fit(_all_estimators()[name], scipy.sparse.csr_matrix(X), Z)


@pytest.mark.parametrize("name", sorted(_mi_estimators()))
@pytest.mark.parametrize(
    "scale, offset", [(1.0, 0.0), (1e-150, 0.0), (1e150, 0.0), (1.0, 1e12)]
)
def test_the_same_mi_at_every_scale(name, scale, offset):
    X, Z = _pair()
    reference = _fit(_mi_estimators()[name], X, Z).mi_
    if name != "neural-quantile":
        # The rank transform of 320 training rows over-reads this pair (1.27
        # for 0.80, an open problem of issue 12); here only its scale matters.
        assert abs(reference - TRUE_MI) < 0.3
    fitted = _fit(_mi_estimators()[name], X * scale + offset, Z * scale + offset)
    assert math.isfinite(fitted.mi_)
    assert fitted.mi_ == pytest.approx(reference, abs=0.05)


@pytest.mark.parametrize("name", sorted(_all_estimators()))
def test_input_is_never_modified_and_constant_columns_are_fine(name):
    X, Z = _pair()
    X = np.column_stack([X, np.full(len(X), 7.0)])
    before = X.copy(), Z.copy()
    fitted = _fit(_all_estimators()[name], X, Z)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(Z, before[1])
    if hasattr(fitted, "mi_"):
        assert abs(fitted.mi_ - TRUE_MI) < 0.3
    else:
        assert np.isfinite(fitted.transform(X)).all()


@pytest.mark.parametrize("name", sorted(_mi_estimators()))
def test_a_copy_of_x_in_z_is_flagged(name):
    X, _ = _pair()
    with pytest.warns(DegenerateDependenceWarning, match="infinite"):
        fitted = _fit(_mi_estimators()[name], X, 3.0 * X[:, 0] + 1.0)
    if name in ("ksg", "gaussian"):
        assert fitted.mi_ == math.inf


@pytest.mark.parametrize("lr", [10.0, 1e3])
@pytest.mark.parametrize("bound", ["logratio", "mine", "nwj", "infonce"])
@pytest.mark.parametrize("critic", ["separable", "concat"])
def test_a_huge_learning_rate_never_returns_an_absurd_number(bound, critic, lr):
    X, Z = _pair(240)
    est = NeuralMIEstimator(
        bound=bound, critic=critic, learning_rate_init=lr, max_iter=20, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(X, Z)
        except ValueError as exc:
            assert "learning_rate_init" in str(exc)
            return
    # Whatever survived the guards is within what 240 rows can show.
    assert -1.0 < est.mi_ < math.log(240)
    assert all(math.isfinite(v) for v in est.mi_ci_)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_layer_sizes": [0]}, "hidden_layer_sizes"),
        ({"device": "gpu"}, "device"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"max_iter": 0}, "max_iter"),
        ({"learning_rate_init": -1.0}, "learning_rate_init"),
    ],
)
@pytest.mark.parametrize("name", ["neural", "bottleneck", "infomax"])
def test_bad_parameters_are_clear_errors(name, params, match):
    estimator = _all_estimators()[name].set_params(**params)
    X, Z = _pair()
    with pytest.raises(ValueError, match=match):
        _fit(estimator, X, Z)


@pytest.mark.parametrize("device", ["cuda", "cuda:3", "mps"])
def test_a_missing_device_is_a_clear_error(device):
    import torch

    available = {"cuda": torch.cuda.is_available(), "mps": False}
    if available[device.split(":")[0]]:
        pytest.skip(f"{device} is there")
    X, Z = _pair()
    with pytest.raises(ValueError, match="not available"):
        _fit(NeuralMIEstimator(device=device, **TINY), X, Z)


@pytest.mark.parametrize("name", ["neural", "bottleneck", "infomax"])
def test_a_failed_refit_leaves_the_fitted_estimator_as_it_was(name):
    estimator = _all_estimators()[name]
    X, Z = _pair()
    _fit(estimator, X, Z)
    before = dict(vars(estimator))
    nan_X = X.copy()
    nan_X[0, 0] = np.nan
    with pytest.raises(ValueError):
        _fit(estimator, nan_X, Z)
    assert vars(estimator).keys() == before.keys()
    assert all(vars(estimator)[k] is before[k] for k in before)


# -- real data as it comes (issue 22) ------------------------------------------------


def _measured(n, seed=0):
    """A measurement stored as integers: round(1000 z), about one row per value."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    z = x + rng.standard_normal(n)  # I = 0.5 log 2 = 0.347
    return x[:, None], np.round(1000 * z).astype(int)


@pytest.mark.parametrize("name", ["ksg", "gaussian", "neural"])
def test_integers_with_one_row_per_value_are_not_classes(name):
    X, z = _measured(2000 if name == "ksg" else 600)
    with pytest.warns(UserWarning, match="value of their own"):
        fitted = _fit(_mi_estimators()[name], X, z)
    assert fitted.classes_ is None
    assert abs(fitted.mi_ - 0.5 * math.log(2.0)) < 0.12
    # discrete_z=False says the same without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", "NeuralMIEstimator")
        _fit(_mi_estimators()[name].set_params(discrete_z=False), X, z)


@pytest.mark.parametrize(
    "labels",
    [
        np.arange(300),
        np.arange(300).astype(str),
        np.array([f"id{i}" for i in range(300)]),
    ],
    ids=["row ids", "numbers as text", "text ids"],
)
def test_ksg_never_returns_zero_for_row_ids(labels):
    X = np.random.default_rng(0).standard_normal((300, 1))
    if labels.dtype.kind == "U" and not labels[0].isdigit():
        with pytest.raises(ValueError, match="value of their own"):
            KSGEstimator(random_state=0).fit(X, labels)
    else:  # numbers, or numbers as text: a measurement, with a warning
        with pytest.warns(UserWarning, match="value of their own"):
            est = KSGEstimator(random_state=0).fit(X, labels)
        assert est.classes_ is None and est.mi_ci_[1] > est.mi_ci_[0]
    with pytest.raises(ValueError, match="classes of at least 2 rows"):
        KSGEstimator(discrete_z=True).fit(X, np.arange(300))


@pytest.mark.parametrize("name", ["ksg", "gaussian", "neural"])
def test_discrete_z_true_reads_floats_as_classes(name):
    rng = np.random.default_rng(0)
    z = rng.integers(0, 3, 600).astype(float)
    X = z[:, None] + rng.standard_normal((600, 1))
    fitted = _fit(_mi_estimators()[name].set_params(discrete_z=True), X, z)
    np.testing.assert_array_equal(fitted.classes_, [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="discrete_z"):
        _fit(_mi_estimators()[name].set_params(discrete_z="yes"), X, z)


def _mixed_truth(k, sd):
    """I(X; Z) for X uniform on 0..k-1 and Z = X + N(0, sd^2): h(Z) - h(noise)."""
    from scipy import integrate, stats

    def density(z):
        return np.mean([stats.norm.pdf(z, j, sd) for j in range(k)], axis=0)

    h, _ = integrate.quad(
        lambda z: -density(z) * math.log(max(density(z), 1e-300)),
        -8 * sd,
        k - 1 + 8 * sd,
        points=list(range(k)),
        limit=200,
    )
    return h - 0.5 * math.log(2 * math.pi * math.e * sd**2)


def _mixed(n=10_000, k=4, sd=0.5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, k, n)
    return x, x + sd * rng.standard_normal(n), _mixed_truth(k, sd)


def test_mixed_truth_is_the_integral():
    assert _mixed_truth(4, 0.5) == pytest.approx(0.8452, abs=1e-3)
    assert _mixed_truth(2, 1e-3) == pytest.approx(math.log(2), abs=1e-6)


@pytest.mark.parametrize("read", ["x as a continuous column", "x declared classes"])
def test_mixed_columns_ksg_within_5_percent(read):
    x, z, truth = _mixed()
    est = KSGEstimator(random_state=0)
    if read == "x as a continuous column":  # ties in X: the jitter breaks them
        est.fit(x[:, None], z)
    else:  # Ross's estimator with X as the labels
        est.set_params(discrete_z=True).fit(z[:, None], x)
    assert est.mi_ == pytest.approx(truth, rel=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("read", ["x as a continuous column", "x declared classes"])
def test_mixed_columns_neural_within_5_percent(read):
    x, z, truth = _mixed()
    est = NeuralMIEstimator(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if read == "x as a continuous column":
            est.fit(x[:, None], z)
        else:
            est.set_params(discrete_z=True).fit(z[:, None], x)
    assert est.mi_ == pytest.approx(truth, rel=0.05)


@pytest.mark.parametrize("name", ["ksg", "gaussian"])
def test_wide_data_needs_more_rows(name):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 2000))
    z = X[:, 0] + rng.standard_normal(300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDependenceWarning)  # no false alarm
        with pytest.raises(ValueError, match="needs more rows than the ranks"):
            _fit(_mi_estimators()[name], X, z)


def test_wide_data_neural_estimates_without_alarm():
    # A critic reads more columns than rows as it reads images: no false
    # "linearly dependent" warning, a finite estimate.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 2000))
    z = X[:, 0] + rng.standard_normal(300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDependenceWarning)
        fitted = _fit(_mi_estimators()["neural"], X, z)
    assert math.isfinite(fitted.mi_)


@pytest.mark.parametrize("name", ["ksg", "gaussian"])
def test_wide_but_enough_rows_is_no_alarm(name):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 150))
    z = X[:, 0] + rng.standard_normal(300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDependenceWarning)
        fitted = _fit(_mi_estimators()[name], X, z)
    assert math.isfinite(fitted.mi_)


def test_independence_test_of_an_exact_dependence():
    from sknmi import independence_test

    X, _ = _pair(200)
    with pytest.warns(DegenerateDependenceWarning):
        result = independence_test(
            X, 2 * X[:, 0] + 1, GaussianMIEstimator(), n_permutations=19, random_state=0
        )
    assert result.statistic == math.inf and result.pvalue == pytest.approx(1 / 20)


def _na_labels():
    pd = pytest.importorskip("pandas")
    return {
        "nullable boolean": pd.array([True, False, pd.NA] * 100, dtype="boolean"),
        "string dtype": pd.array(["a", "b", pd.NA] * 100, dtype="string"),
        "object with pd.NA": np.array(["a", "b", pd.NA] * 100, dtype=object),
        "nullable integer": pd.array([1, 2, pd.NA] * 100, dtype="Int64"),
        "series": pd.Series(["a", "b", pd.NA] * 100, dtype="string"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "nullable boolean",
        "string dtype",
        "object with pd.NA",
        "nullable integer",
        "series",
    ],
)
@pytest.mark.parametrize("name", ["ksg", "gaussian", "neural"])
def test_pd_na_in_labels_is_a_clear_error(name, case):
    X = np.random.default_rng(0).standard_normal((300, 2))
    with pytest.raises(ValueError, match="missing"):
        _fit(_mi_estimators()[name], X, _na_labels()[case])


@pytest.mark.parametrize("name", sorted(_all_estimators()))
def test_a_datetime_column_is_a_clear_error(name):
    pd = pytest.importorskip("pandas")
    X, Z = _pair()
    frame = pd.DataFrame({"a": X[:, 0], "when": pd.date_range("2020", periods=400)})
    with pytest.raises(ValueError, match="datetime"):
        _fit(_all_estimators()[name], frame, Z)


@pytest.mark.parametrize("analysis", ["independence_test", "conditional", "mi_scores"])
def test_an_estimator_without_mi_is_refused_up_front(analysis):
    from sklearn.linear_model import LinearRegression

    from sknmi import ConditionalMIEstimator, independence_test
    from sknmi.feature_selection import mi_scores

    X, Z = _pair()
    run = {
        "independence_test": lambda: independence_test(X, Z, LinearRegression()),
        "conditional": lambda: ConditionalMIEstimator(LinearRegression()).fit(X, Z),
        "mi_scores": lambda: mi_scores(X, Z[:, 0], estimator=LinearRegression()),
    }[analysis]
    with pytest.raises(ValueError, match="needs an MI estimator"):
        run()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"clip": -1}, "clip"),
        ({"clip": 0.0}, "clip"),
        ({"learning_rate": "1e-3"}, "learning_rate"),
        ({"learning_rate": np.array([1e-3])}, "learning_rate"),
        ({"learning_rate": True}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"bound": ["mine"]}, "bound"),
        ({"negatives": True}, "negatives"),
        ({"optimizer": "adam"}, "optimizer"),
        ({"generator": 0}, "generator"),
    ],
)
def test_mi_regularizer_arguments_are_checked(kwargs, match):
    from sknmi.nn import ConcatCritic
    from sknmi.regularizers import MIRegularizer

    with pytest.raises(ValueError, match=match):
        MIRegularizer(ConcatCritic(1, 1, (8,)), **kwargs)
    MIRegularizer(ConcatCritic(1, 1, (8,)), learning_rate=np.float32(1e-3))


def test_mi_regularizer_refuses_numpy_batches():
    import torch

    from sknmi.nn import ConcatCritic
    from sknmi.regularizers import MIRegularizer

    mi = MIRegularizer(ConcatCritic(1, 1, (8,)))
    x = np.zeros((8, 1), dtype=np.float32)
    with pytest.raises(ValueError, match="torch tensors"):
        mi.critic_step(x, x)
    with pytest.raises(ValueError, match="torch tensors"):
        mi(torch.zeros(8, 1), x)
    with pytest.raises(ValueError, match="floating-point"):
        mi(torch.zeros(8, 1, dtype=torch.long), torch.zeros(8, 1))


@pytest.mark.parametrize(
    "display, estimator",
    [
        ("InformationPlaneDisplay", "bottleneck"),
        ("TrainingCurveDisplay", "neural"),
        ("TrainingCurveDisplay", "bottleneck"),
    ],
)
def test_displays_of_an_unfitted_estimator_raise_not_fitted(display, estimator):
    pytest.importorskip("matplotlib")
    from sknmi import plotting

    with pytest.raises(NotFittedError):
        getattr(plotting, display).from_estimator(_all_estimators()[estimator])


def test_display_arguments_are_checked():
    pytest.importorskip("matplotlib")
    from sknmi.plotting import InformationPlaneDisplay, TrainingCurveDisplay

    with pytest.raises(ValueError, match="izy"):
        InformationPlaneDisplay([1.0, 2.0], [1.0]).plot()
    with pytest.raises(ValueError, match="labels"):
        InformationPlaneDisplay([1.0, 2.0], [1.0, 2.0], labels=["a"]).plot()
    with pytest.raises(ValueError, match="ixz"):
        InformationPlaneDisplay(["a", "b"], [1.0, 2.0]).plot()
    with pytest.raises(ValueError, match="ax"):
        InformationPlaneDisplay([1.0], [1.0]).plot(ax="left")
    curves = dict(epoch=[1, 2], train_bound=[0.1, 0.2], validation_bound=[0.1])
    with pytest.raises(ValueError, match="validation_bound"):
        TrainingCurveDisplay(**curves).plot()
    curves["validation_bound"] = [0.1, 0.2]
    with pytest.raises(ValueError, match="mi_ci"):
        TrainingCurveDisplay(**curves, mi=0.2, mi_ci=(0.1,)).plot()
    with pytest.raises(ValueError, match="expected a fitted estimator"):
        TrainingCurveDisplay.from_estimator(np.zeros(3))


def _datasets():
    from sknmi import datasets as ds

    return {
        "gaussian mi=100": (lambda: ds.make_gaussian(100, 1, 100.0), "mi="),
        "gaussian mi=inf": (lambda: ds.make_gaussian(100, 1, math.inf), "mi"),
        "staircase 50 nats": (
            lambda: ds.make_staircase([50.0], n_samples=10, n_features=1),
            "levels=",
        ),
        "transformed 40 nats": (
            lambda: ds.make_transformed_gaussian(100, n_features=1, mi=40.0),
            "mi=",
        ),
        "sparse 100 nats": (lambda: ds.make_sparse_gaussian(100, mi=100.0), "mi="),
        "dense covariance 50 nats": (
            lambda: ds.make_gaussian_covariance(100, mi=50.0, covariance="dense"),
            "mi=",
        ),
        "sparse covariance 50 nats": (
            lambda: ds.make_gaussian_covariance(100, mi=50.0, covariance="sparse"),
            "mi=",
        ),
        "conditional cmi=40": (
            lambda: ds.make_gaussian_conditional(100, cmi=40.0),
            "cmi=",
        ),
        "conditional mi_given=40": (
            lambda: ds.make_gaussian_conditional(100, mi_given=40.0),
            "mi_given=",
        ),
        "chain 50 nats": (lambda: ds.make_chain(100, mi=50.0), "mi="),
        "collider noise 1e-10": (lambda: ds.make_collider(100, noise=1e-10), "noise="),
        "collider noise 1e10": (lambda: ds.make_collider(100, noise=1e10), "noise="),
        "student t dof=1e-3": (lambda: ds.make_student_t(1000, dof=1e-3), "dof="),
        "student t dof=1e15": (lambda: ds.make_student_t(1000, dof=1e15), "dof="),
        "invariance sigma=1e-4": (
            lambda: ds.invariance_mi("cubic", 1e-4, x_distribution="normal"),
            "sigma=",
        ),
    }


@pytest.mark.parametrize("case", sorted(_datasets()))
def test_datasets_refuse_what_float64_cannot_hold(case):
    make, match = _datasets()[case]
    with pytest.raises(ValueError, match=match):
        make()


def test_gaussian_at_the_limit_keeps_its_noise():
    from sknmi.datasets import make_gaussian

    X, Z, mi = make_gaussian(10_000, 1, 20.0, random_state=0)  # was Z == X
    assert mi == 20.0 and np.all(Z != X)
    rho = math.sqrt(-math.expm1(-40.0))
    assert np.std(Z - rho * X) / math.exp(-20.0) == pytest.approx(1.0, abs=0.03)


def test_student_t_truth_is_positive_across_its_range():
    from sknmi.datasets import make_student_t

    values = [make_student_t(10, dof=dof)[2] for dof in (0.05, 1.0, 30.0, 1000.0)]
    assert all(v > 0 for v in values) and values == sorted(values, reverse=True)
    X, Z, _ = make_student_t(100_000, dof=0.05, random_state=0)
    assert np.isfinite(X).all() and np.isfinite(Z).all()


def test_invariance_of_normal_x_at_small_sigma_is_fast():
    import time

    from sknmi.datasets import invariance_mi, make_invariance

    start = time.perf_counter()
    X, Y, mi = make_invariance("cubic", 0.1, 100, x_distribution="normal")
    assert time.perf_counter() - start < 30 and 2.0 < mi < 3.0
    # the windowed quadrature against the closed form of the linear signal
    value = invariance_mi("linear", 0.01, x_distribution="normal")
    assert value == pytest.approx(0.5 * math.log(1 + 1e4), abs=1e-9)
