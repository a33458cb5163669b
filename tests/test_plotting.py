import matplotlib.pyplot as plt
import numpy as np
import pytest

from sknmi import KSGEstimator, NeuralMIEstimator
from sknmi.datasets import make_gaussian
from sknmi.plotting import TrainingCurveDisplay


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    X, Z, mi = make_gaussian(400, 2, 0.8, random_state=0)
    est = NeuralMIEstimator(
        bound="jsd",
        hidden_layer_sizes=(8,),
        max_iter=4,
        early_stopping=False,
        random_state=0,
    ).fit(X, Z)
    return est, mi


def test_from_estimator_draws_history_truth_and_interval(fitted):
    est, mi = fitted
    display = TrainingCurveDisplay.from_estimator(est, true_mi=mi)
    lines = display.lines_
    np.testing.assert_allclose(
        lines["train_bound"].get_ydata(), est.history_["train_bound"]
    )
    np.testing.assert_allclose(
        lines["validation_bound"].get_ydata(), est.history_["validation_bound"]
    )
    # JSD is trained, DV is read: the read-out gets its own line, the objective
    # its own axis.
    np.testing.assert_allclose(
        lines["validation_mi"].get_ydata(), est.history_["validation_mi"]
    )
    assert lines["train_bound"].axes is display.ax_objective_
    assert lines["validation_mi"].axes is display.ax_
    assert len(display.ax_.get_legend().get_texts()) == 5
    assert lines["true_mi"].get_ydata()[0] == mi
    point = display.errorbar_.lines[0]
    assert point.get_xdata()[0] == est.best_iter_
    assert point.get_ydata()[0] == pytest.approx(est.mi_)
    assert display.figure_ is display.ax_.figure
    assert "jsd" in display.ax_.get_title()


def test_constructor_and_given_axes():
    fig, ax = plt.subplots()
    display = TrainingCurveDisplay(
        epoch=[1, 2],
        train_bound=[0.1, 0.2],
        validation_bound=[0.1, 0.3],
        validation_mi=[0.1, 0.3],
    ).plot(ax=ax)
    assert display.ax_ is ax and display.figure_ is fig
    assert set(display.lines_) == {"train_bound", "validation_bound"}
    assert display.errorbar_ is None and display.ax_objective_ is None


def test_from_estimator_without_history_is_a_clear_error():
    X, Z, _ = make_gaussian(50, 1, 0.5, random_state=0)
    with pytest.raises(ValueError, match="history_"):
        TrainingCurveDisplay.from_estimator(KSGEstimator().fit(X, Z))
