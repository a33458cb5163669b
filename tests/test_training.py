import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from sknmi._neural.preprocess import Standardiser
from sknmi._neural.training import Adversary, Game, Settings, train
from sknmi.exceptions import DivergenceError


def test_chunked_standardiser_equals_numpy(monkeypatch):
    monkeypatch.setattr("sknmi._neural.preprocess._CHUNK_ROWS", 1000)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5000, 3)) * [1.0, 5.0, 0.1] + [3.0, -2.0, 100.0]
    rows = rng.permutation(5000)[:3700]
    scaler = Standardiser().fit(A, rows)
    np.testing.assert_allclose(scaler.mean_, A[rows].mean(0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, A[rows].std(0), rtol=1e-10)
    t = scaler.tensor(A, rows, torch.device("cpu"))
    assert t.dtype == torch.float32 and t.shape == (3700, 3)
    np.testing.assert_allclose(
        t.numpy(), (A[rows] - A[rows].mean(0)) / A[rows].std(0), atol=1e-5
    )


# -- the loop ---------------------------------------------------------------------


def _scripted(scores, **kwargs):
    """Train a one-parameter model whose held-out scores follow ``scores``.

    Each step moves the parameter by 1, so its value tells which epoch's state
    was kept. Returns the result, the model and the log of calls.
    """
    model = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(model.weight)
    calls = []
    epochs = iter(scores)
    n_epochs = len(scores) if hasattr(scores, "__len__") else 4

    def loss(batch):
        calls.append("main")
        # A loss whose gradient step with SGD-like Adam moves the weight up.
        return -model.weight.sum(), {"value": model.weight.sum()}

    def validate():
        return next(epochs), {"seen": model.weight.sum()}

    plausible = kwargs.pop("plausible", None)
    settings = Settings(
        **{"batch_size": 4, "learning_rate": 1.0, "max_iter": n_epochs, **kwargs}
    )
    result = train(
        Game(model, 4, loss, validate, plausible=plausible),
        settings,
        generator=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
    )
    return result, model, calls


def test_early_stopping_restores_the_best_state():
    result, model, _ = _scripted([1.0, 3.0, 2.0, 2.5, 2.0, 9.0], n_iter_no_change=3)
    # Epoch 2 was best; three epochs without improvement stop at epoch 5.
    assert result.best_epoch == 2 and result.n_iter == 5
    assert result.history["epoch"] == [1, 2, 3, 4, 5]
    kept = float(model.weight.detach())
    assert kept == pytest.approx(result.history["seen"][1])
    assert kept < result.history["seen"][-1]


def test_without_early_stopping_the_last_state_is_kept():
    result, model, _ = _scripted([1.0, 3.0, 2.0, 2.0], early_stopping=False)
    assert result.n_iter == 4
    assert float(model.weight.detach()) == pytest.approx(result.history["seen"][-1])


def test_nan_guard_stops_restores_and_warns():
    with pytest.warns(RuntimeWarning, match="NaN or inf at epoch 3"):
        result, model, _ = _scripted([1.0, 2.0, float("nan"), 5.0])
    assert result.diverged and result.n_iter == 3 and result.best_epoch == 2
    assert float(model.weight.detach()) == pytest.approx(result.history["seen"][1])


def test_convergence_warning_when_max_iter_cuts_improvement():
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        _scripted([1.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _scripted([1.0, 2.0, 3.0], early_stopping=False)


def test_adversaries_step_first_with_their_own_parameters():
    model = torch.nn.ModuleDict(
        {"main": torch.nn.Linear(1, 1), "adversary": torch.nn.Linear(1, 1)}
    )
    adversary_before = [p.detach().clone() for p in model["adversary"].parameters()]
    calls = []

    def loss(batch):
        calls.append("main")
        return model["main"](torch.ones(1, 1)).sum(), {}

    def adversary_loss(batch):
        calls.append("adversary")
        return model["adversary"](torch.ones(1, 1)).sum()

    params = list(model["adversary"].parameters())
    train(
        Game(
            model,
            8,
            loss,
            lambda: (0.0, {}),
            adversaries=[Adversary(params, adversary_loss, 0.1)],
        ),
        Settings(batch_size=4, learning_rate=0.1, max_iter=1, early_stopping=False),
        generator=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
    )
    assert calls == ["adversary", "main", "adversary", "main"]
    moved = [p.detach() for p in model["adversary"].parameters()]
    assert all(not torch.equal(a, b) for a, b in zip(adversary_before, moved))


def test_an_interrupt_keeps_the_best_state_and_warns():
    def interrupted(scores, at):
        def gen():
            for epoch, s in enumerate(scores, 1):
                if epoch == at:
                    raise KeyboardInterrupt
                yield s

        return gen()

    with pytest.warns(RuntimeWarning, match="interrupted at epoch 3"):
        result, model, _ = _scripted(interrupted([1.0, 2.0, 3.0, 4.0], at=3))
    assert result.interrupted and result.best_epoch == 2 and result.n_iter == 2
    assert float(model.weight.detach()) == pytest.approx(result.history["seen"][1])
    # In the first epoch nothing was learnt: the interrupt goes through.
    with pytest.raises(KeyboardInterrupt):
        _scripted(interrupted([1.0, 2.0], at=1))


def test_a_blow_up_in_the_first_epoch_raises():
    with pytest.raises(DivergenceError, match="before any state"):
        _scripted([float("inf"), 1.0])
    with pytest.warns(RuntimeWarning, match="blew up"):
        result, _, _ = _scripted([1.0, 2.0, -5e4, 3.0])
    assert result.diverged and result.best_epoch == 2


def test_plausibility_is_a_divergence():
    def plausible(logs):
        return "impossible" if logs["seen"] > 2.5 else None

    with pytest.warns(RuntimeWarning, match="impossible at epoch"):
        result, model, _ = _scripted([1.0, 2.0, 3.0, 4.0], plausible=plausible)
    assert result.diverged and float(model.weight.detach()) <= 2.5


# -- the plateau schedule -----------------------------------------------------------


def _rates(monkeypatch, scores, **kwargs):
    """The learning rate of each epoch's last step under the plateau schedule."""
    model = torch.nn.Linear(1, 1, bias=False)
    epochs, optimizer_rates = iter(scores), []

    def loss(batch):
        return -model.weight.sum(), {}

    def validate():
        return next(epochs), {}

    game = Game(model, 8, loss, validate)

    class Recording(torch.optim.Adam):
        def step(self, *args, **kw):
            optimizer_rates.append(self.param_groups[0]["lr"])
            return super().step(*args, **kw)

    monkeypatch.setattr(torch.optim, "Adam", Recording)
    result = train(
        game,
        Settings(
            batch_size=2,
            learning_rate=1.0,
            max_iter=len(scores),
            schedule="plateau",
            **kwargs,
        ),
        generator=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
    )
    # Four steps an epoch.
    return result, optimizer_rates[3::4]


def test_plateau_warms_up_then_holds_then_divides_on_plateaus(monkeypatch):
    scores = [1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    with pytest.warns(ConvergenceWarning):
        result, rates = _rates(
            monkeypatch, scores, n_iter_no_change=5, plateau_patience=2
        )
    # Epoch 1 warms up (its last step at the full rate), epochs 2-4 hold it;
    # epochs 4 and 5 bring no improvement: the rate is divided after epoch 5,
    # epoch 6 improves and resets the count, 7 and 8 do not: divided again.
    assert rates[:5] == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert rates[5:8] == [0.25, 0.25, 0.25]
    assert rates[8] == 0.0625
    # Five epochs without improvement after epoch 6 would end at 11: the
    # scripted ten run out first, and max_iter cut an improving run short.
    assert result.best_epoch == 6


def test_plateau_schedule_stops_on_its_own_and_warns_only_when_cut_short(
    monkeypatch,
):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result, _ = _rates(monkeypatch, [1.0, 2.0] + [2.0] * 10, n_iter_no_change=4)
    assert result.n_iter == 6 and result.best_epoch == 2
    with pytest.warns(ConvergenceWarning, match="raise max_iter"):
        _rates(monkeypatch, [1.0, 2.0, 3.0, 4.0])


def test_step_scales_train_each_part_at_its_own_rate():
    # Two members in one parameter, one at a tenth of the rate: Adam's step of
    # the second is a tenth of the first's, whatever the gradients' sizes.
    weight = torch.nn.Parameter(torch.zeros(2, 1))
    model = torch.nn.Module()
    model.weight = weight

    def loss(batch):
        return -(weight * torch.tensor([[1.0], [100.0]])).sum(), {}

    game = Game(model, 4, loss, lambda: (torch.tensor(0.0), {}))
    game.step_scales = [(weight, torch.tensor([[1.0], [0.1]]))]
    train(
        game,
        Settings(batch_size=4, learning_rate=0.01, max_iter=3, early_stopping=False),
        generator=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
    )
    first, second = weight.detach().flatten().tolist()
    assert first == pytest.approx(0.03, rel=1e-4)
    assert second == pytest.approx(0.003, rel=1e-4)
