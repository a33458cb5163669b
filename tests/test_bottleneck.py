"""InfoBottleneckTransformer: sklearn contract, the beta trade-off, MINE, errors."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from sknmi import InfoBottleneckTransformer, NeuralMIEstimator
from sknmi.bottleneck import information_scoring

FAST = dict(
    hidden_layer_sizes=(8,), n_components=2, max_iter=3, batch_size=16, random_state=0
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


DIGITS = dict(
    n_components=8,
    hidden_layer_sizes=(32,),
    max_iter=40,
    batch_size=64,
    learning_rate_init=3e-3,
    random_state=0,
)


def _fit(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return InfoBottleneckTransformer(**{**DIGITS, **params}).fit(X, y)


@pytest.mark.slow
def test_beta_sweep_trades_information_for_accuracy(digits):
    X_train, X_test, y_train, y_test = digits
    betas = [1e-6, 1e-2, 1.0]
    fits = [_fit(X_train, y_train, beta=b) for b in betas]
    ixz = [ib.information_plane(X_test, y_test)[0] for ib in fits]
    acc = [ib.score(X_test, y_test) for ib in fits]
    assert ixz[0] > ixz[1] > ixz[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=200, random_state=0)
        reference = mlp.fit(X_train, y_train).score(X_test, y_test)
    assert acc[0] > reference - 0.04
    assert acc[2] < 0.5  # chance is 0.1: the code has been squeezed to noise
    # the held-out I(Z; Y) never exceeds H(Y) and falls with beta
    izy = [ib.information_plane(X_test, y_test)[1] for ib in fits]
    assert izy[0] <= fits[0].target_entropy_ + 1e-9
    assert izy[0] > izy[2]


def _mixture_bounds(ib, X):
    """Bounds on I(X; Z) of the Gaussian encoder over the rows X (nats).

    With p(z) the mixture of p(z | x_j) over the rows, the mean of
    log p(z_i | x_i) / p(z_i) is a lower bound (at most log n) when x_i is in
    the mixture, and an upper bound when it is left out (leave-one-out).
    """
    _, mean, scale, _ = ib._encode(np.asarray(X, dtype=np.float64))
    rng = np.random.default_rng(0)
    mean, scale = mean.numpy(), scale.numpy()
    z = mean + scale * rng.standard_normal(mean.shape)
    log_p = -(
        0.5 * ((z[:, None] - mean[None]) / scale[None]) ** 2 + np.log(scale[None])
    ).sum(-1)
    n = len(z)
    own = np.diag(log_p).copy()
    lower = own - (logsumexp(log_p, axis=1) - np.log(n))
    np.fill_diagonal(log_p, -np.inf)
    upper = own - (logsumexp(log_p, axis=1) - np.log(n - 1))
    return lower.mean(), upper.mean()


@pytest.mark.slow
def test_mine_reduces_information(digits):
    X_train, X_test, y_train, y_test = digits
    mine = dict(mi_estimator="mine", learning_rate_init=1e-3)
    free = _fit(X_train, y_train, beta=0.0, **mine)
    squeezed = _fit(X_train, y_train, beta=1.0, **mine)
    # its own estimate falls ...
    assert (
        squeezed.information_plane(X_test, y_test)[0]
        < free.information_plane(X_test, y_test)[0]
    )
    # ... and so does the information itself: an upper bound at beta = 1 under
    # a lower bound at beta = 0
    assert _mixture_bounds(squeezed, X_test)[1] < _mixture_bounds(free, X_test)[0]
    assert squeezed.score(X_test, y_test) > 0.5


def test_history_and_attributes():
    X, y = load_digits(n_class=3, return_X_y=True)
    ib = _fit(X, y, max_iter=5)
    keys = {
        f"{s}_{k}" for s in ("train", "validation") for k in ("objective", "ixz", "izy")
    }
    assert keys <= set(ib.history_)
    assert all(len(ib.history_[k]) == ib.n_iter_ for k in keys)
    assert ib.target_entropy_ == pytest.approx(np.log(3), abs=0.01)
    assert ib.critic_ is None
    assert list(ib.get_feature_names_out()) == [
        f"infobottlenecktransformer{i}" for i in range(8)
    ]
    proba = ib.predict_proba(X[:5])
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(ib.classes_[proba.argmax(1)], ib.predict(X[:5]))


def test_transform_mean_and_samples():
    X, y = load_digits(n_class=3, return_X_y=True)
    ib = _fit(X, y, max_iter=3, beta=0.1)
    mean = ib.transform(X)
    np.testing.assert_array_equal(mean, ib.transform(X))
    draw = ib.transform(X, sample=True, random_state=0)
    assert draw.shape == mean.shape and not np.allclose(draw, mean)
    np.testing.assert_array_equal(draw, ib.transform(X, sample=True, random_state=0))
    assert ib.transform(X.astype(np.float32)).dtype == np.float32


def test_string_labels_and_grid_search_over_beta():
    X, y = load_digits(n_class=3, return_X_y=True)
    labels = np.array(["zero", "one", "two"])[y]
    search = GridSearchCV(
        InfoBottleneckTransformer(**{**DIGITS, "max_iter": 15}),
        {"beta": [1e-4, 10.0], "hidden_layer_sizes": [(16,), (32,)]},
        cv=2,
        scoring=information_scoring(),
        refit="score",
    ).fit(X, labels)
    scores = search.cv_results_["mean_test_score"]
    ixz = search.cv_results_["mean_test_ixz"]
    betas = np.array([p["beta"] for p in search.cv_results_["params"]])
    # scores are accuracies, comparable across beta: the small beta wins
    assert search.best_params_["beta"] == 1e-4
    assert scores[betas == 1e-4].min() > scores[betas == 10.0].max()
    assert ixz[betas == 1e-4].min() > ixz[betas == 10.0].max()
    assert set(search.predict(X[:10])) <= set(labels)


def test_pipeline_with_logistic_regression():
    X, y = load_digits(n_class=4, return_X_y=True)
    pipe = Pipeline(
        [
            ("ib", InfoBottleneckTransformer(**{**DIGITS, "n_components": 2})),
            ("clf", LogisticRegression()),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y)
    assert pipe[:-1].transform(X).shape == (len(X), 2)
    assert pipe.score(X, y) > 0.8
    scorers = information_scoring()
    ixz = scorers["ixz"](pipe, X, y)
    assert ixz == pytest.approx(pipe["ib"].information_plane(X, y)[0])


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regression_targets(n_outputs):
    X, y = make_regression(
        n_samples=400,
        n_features=5,
        n_informative=5,
        n_targets=n_outputs,
        noise=1.0,
        random_state=0,
    )
    ib = _fit(X, y, beta=1e-4, n_components=4, max_iter=60)
    assert ib.classes_ is None and ib.n_outputs_ == n_outputs
    assert not hasattr(ib, "predict_proba")
    assert ib.predict(X).shape == y.shape
    assert ib.score(X, y) > 0.8
    ixz, izy = ib.information_plane(X, y)
    assert izy > 0 and ixz > 0
    squeezed = _fit(X, y, beta=10.0, n_components=4, max_iter=60)
    assert squeezed.score(X, y) < ib.score(X, y)


def test_the_dtype_decides_what_a_class_label_is():
    # One rule for every estimator: integer, boolean and string vectors are
    # classes; floats are continuous whatever their values.
    X, y = load_digits(n_class=3, return_X_y=True)
    ib = _fit(X, y.astype(float), max_iter=2)
    assert ib.classes_ is None and ib.n_outputs_ == 1
    assert ib.predict(X[:3]).dtype == np.float64
    mi = NeuralMIEstimator(hidden_layer_sizes=(8,), max_iter=1, random_state=0)
    assert mi.fit(X, y.astype(float)).classes_ is None
    np.testing.assert_array_equal(mi.fit(X, y).classes_, [0, 1, 2])
    strings = _fit(X, np.array(["a", "b", "c"])[y], max_iter=2)
    np.testing.assert_array_equal(strings.classes_, ["a", "b", "c"])
    with pytest.warns(DataConversionWarning):
        column = _fit(X, y[:, None], max_iter=2)
    np.testing.assert_array_equal(column.classes_, [0, 1, 2])
    assert column.predict(X[:3]).shape == (3,)


@pytest.mark.parametrize("mi_estimator", ["variational", "mine"])
def test_pickle_round_trip(mi_estimator):
    X, y = load_digits(n_class=3, return_X_y=True)
    ib = _fit(X, y, max_iter=2, mi_estimator=mi_estimator)
    again = pickle.loads(pickle.dumps(ib))
    np.testing.assert_array_equal(ib.transform(X), again.transform(X))
    np.testing.assert_array_equal(ib.predict_proba(X), again.predict_proba(X))
    assert ib.information_plane(X, y) == again.information_plane(X, y)


def test_fit_is_reproducible_and_leaves_input_alone():
    X, y = load_digits(n_class=3, return_X_y=True)
    X_copy, y_copy = X.copy(), y.copy()
    a = _fit(X, y, max_iter=2)
    b = _fit(X, y, max_iter=2)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    c = clone(a).set_params(random_state=1).fit(X, y)
    assert not np.allclose(a.transform(X), c.transform(X))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(beta=-1.0), "beta"),
        (dict(n_components=0), "n_components"),
        (dict(mi_estimator="kl"), "mi_estimator"),
        (dict(hidden_layer_sizes=(8, 0)), "hidden_layer_sizes"),
        (dict(activation="swish"), "activation"),
        (dict(device="gpu"), "device"),
        (dict(validation_fraction=0.99), "validation_fraction"),
    ],
)
def test_bad_parameters(params, message):
    X, y = load_digits(n_class=3, return_X_y=True)
    with pytest.raises(ValueError, match=message):
        InfoBottleneckTransformer(**{**FAST, **params}).fit(X[:50], y[:50])


def test_bad_input():
    X, y = load_digits(n_class=3, return_X_y=True)
    ib = InfoBottleneckTransformer(**FAST)
    with pytest.raises(ValueError, match="requires y"):
        ib.fit(X, None)
    with pytest.raises(ValueError, match="one class"):
        ib.fit(X, np.zeros(len(X), dtype=int))
    with pytest.raises(ValueError, match="NaN"):
        ib.fit(np.where(X == 0, np.nan, X), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ib.fit(X, y[:-1])
    with pytest.raises(ValueError, match="1-D"):
        ib.fit(X, np.array([["a", "b"]] * len(X)))
    ib.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        ib.transform(X[:, :5])
    with pytest.raises(ValueError, match="not seen in fit"):
        ib.information_plane(X[:4], np.array([0, 1, 2, 7]))


def test_information_plane_display():
    import matplotlib.pyplot as plt

    from sknmi.plotting import InformationPlaneDisplay

    X, y = load_digits(n_class=3, return_X_y=True)
    fits = [_fit(X, y, beta=b, max_iter=4) for b in (1e-4, 1.0)]
    try:
        one = InformationPlaneDisplay.from_estimator(fits[0])
        np.testing.assert_array_equal(one.ixz, fits[0].history_["validation_ixz"])
        assert one.kind == "trajectory"
        sweep = InformationPlaneDisplay.from_estimators(fits, X, y)
        assert sweep.labels == ["beta=1e-04", "beta=1e+00"]
        assert sweep.ixz[0] == fits[0].information_plane(X, y)[0]
        assert sweep.target_entropy == fits[0].target_entropy_
        offsets = sweep.points_.get_offsets()
        np.testing.assert_allclose(offsets[:, 1], sweep.izy)
        search = GridSearchCV(
            InfoBottleneckTransformer(**{**DIGITS, "max_iter": 3}),
            {"beta": [1e-3, 1.0]},
            cv=2,
            scoring=information_scoring(),
            refit="score",
        ).fit(X, y)
        grid = InformationPlaneDisplay.from_estimators(search)
        np.testing.assert_array_equal(grid.ixz, search.cv_results_["mean_test_ixz"])
        assert grid.labels == ["beta=1e-03", "beta=1e+00"]
        plain = GridSearchCV(
            InfoBottleneckTransformer(**{**DIGITS, "max_iter": 2}),
            {"beta": [1e-3]},
            cv=2,
        ).fit(X, y)
        with pytest.raises(ValueError, match="information_scoring"):
            InformationPlaneDisplay.from_estimators(plain)
        with pytest.raises(ValueError, match="not an InfoBottleneckTransformer"):
            InformationPlaneDisplay.from_estimator(LogisticRegression().fit(X, y))
    finally:
        plt.close("all")


def test_beta_zero_never_multiplies_an_infinite_rate(monkeypatch):
    # 0 * inf is NaN: with beta = 0 the I(X; Z) term must drop out of the
    # objective in training, in its log and held out, whatever its value.
    from sknmi import bottleneck

    def infinite(self, modules, x, mean, scale, z):
        return torch.full((), float("inf"))

    monkeypatch.setattr(bottleneck._VariationalRate, "term", infinite)
    monkeypatch.setattr(bottleneck._VariationalRate, "held_out", infinite)
    X, y = load_digits(n_class=3, return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ib = _fit(X, y, beta=0.0, max_iter=3)
    for key in ("train_objective", "validation_objective"):
        assert np.isfinite(ib.history_[key]).all()
    assert np.isinf(ib.history_["validation_ixz"]).all()
    # With beta > 0 the objective is infinite from the first epoch on.
    with pytest.raises(ValueError, match="NaN or inf at epoch 1"):
        _fit(X, y, beta=1.0, max_iter=3)
