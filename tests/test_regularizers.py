"""MIRegularizer and adaptive gradient clipping (sknmi.regularizers)."""

import math
import os
import pathlib
import runpy

import pytest
import torch

from sknmi._torch import build_module
from sknmi.bounds import MovingAverageDV
from sknmi.nn import ConcatCritic, SeparableCritic
from sknmi.regularizers import (
    BOUNDS,
    MIRegularizer,
    adaptive_clip,
    adaptive_clip_grad_,
)

NOISE = 0.5
DIM = 2
# z = x + NOISE * e with x, e standard normal in DIM dimensions.
TRUE_MI = 0.5 * DIM * math.log(1 + 1 / NOISE**2)


def _pairs(n, generator, dependent):
    x = torch.randn(n, DIM, generator=generator)
    if dependent:
        return x, x + NOISE * torch.randn(n, DIM, generator=generator)
    return x, torch.randn(n, DIM, generator=generator)


def _trained(dependent, bound="mine", critic="concat", steps=300, seed=0):
    def factory():
        if critic == "concat":
            return ConcatCritic(DIM, DIM, (32, 32))
        return SeparableCritic(DIM, DIM, (32,), embedding_dim=16)

    reg = MIRegularizer(
        build_module(factory, seed),
        bound=bound,
        learning_rate=3e-3,
        generator=torch.Generator().manual_seed(seed),
    )
    g = torch.Generator().manual_seed(seed + 1)
    for _ in range(steps):
        reg.critic_step(*_pairs(128, g, dependent))
    return reg, g


def _held_out_estimate(reg, g, dependent, repeats=8):
    with torch.no_grad():
        values = [float(reg(*_pairs(512, g, dependent))) for _ in range(repeats)]
    return sum(values) / repeats


@pytest.mark.parametrize("critic", ["concat", "separable"])
def test_estimate_rises_with_dependence(critic):
    reg, g = _trained(dependent=True, critic=critic)
    estimate = _held_out_estimate(reg, g, dependent=True)
    # A lower bound: well above 0, and not above the truth by more than noise.
    assert 0.5 * TRUE_MI < estimate < TRUE_MI + 0.2
    # The same critic sees no dependence in independent batches.
    assert _held_out_estimate(reg, g, dependent=False) < 0.1


def test_estimate_near_zero_when_independent():
    reg, g = _trained(dependent=False)
    assert abs(_held_out_estimate(reg, g, dependent=False)) < 0.1


@pytest.mark.parametrize("bound", BOUNDS)
def test_every_bound_trains_and_returns_finite_values(bound):
    reg, g = _trained(dependent=True, bound=bound, steps=20)
    x, z = _pairs(64, g, dependent=True)
    assert math.isfinite(float(reg.critic_step(x, z)))
    assert math.isfinite(float(reg(x, z)))


def test_critic_step_sends_no_gradient_to_its_inputs():
    reg = MIRegularizer(ConcatCritic(DIM, DIM, (8,)), learning_rate=1e-2)
    x = torch.randn(16, DIM, requires_grad=True)
    z = torch.randn(16, DIM)
    before = [p.detach().clone() for p in reg.critic.parameters()]
    reg.critic_step(x * 2.0, z)
    assert x.grad is None
    assert any(not torch.equal(b, p) for b, p in zip(before, reg.critic.parameters()))


def test_estimate_is_differentiable_in_inputs_only():
    reg = MIRegularizer(ConcatCritic(DIM, DIM, (8,)))
    x = torch.randn(16, DIM, requires_grad=True)
    z = torch.randn(16, DIM, requires_grad=True)
    reg(x, z).backward()
    assert x.grad is not None and z.grad is not None
    assert torch.count_nonzero(x.grad) > 0
    assert all(p.grad is None for p in reg.critic.parameters())
    assert all(p.requires_grad for p in reg.critic.parameters())


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["maximise", "minimise"])
def test_network_moves_mi_in_the_direction_of_its_loss(sign):
    # z = a x + noise: I(X; Z) grows with |a|. The critic maximises the bound in
    # both cases; only the network's sign changes (max-max vs max-min).
    a = torch.tensor(1.0, requires_grad=True)
    opt = torch.optim.SGD([a], lr=0.05)
    reg = MIRegularizer(
        build_module(lambda: ConcatCritic(1, 1, (16, 16)), 0),
        learning_rate=1e-2,
        generator=torch.Generator().manual_seed(0),
    )
    g = torch.Generator().manual_seed(1)
    for _ in range(150):
        x = torch.randn(128, 1, generator=g)
        z = a * x + 0.5 * torch.randn(128, 1, generator=g)
        reg.critic_step(x, z)
        opt.zero_grad()
        (-sign * reg(x, z)).backward()
        opt.step()
    if sign > 0:
        assert a.item() > 2.0
    else:
        assert abs(a.item()) < 0.6


def test_mine_moving_average_moves_only_in_critic_steps():
    reg = MIRegularizer(ConcatCritic(DIM, DIM, (8,)), bound="mine")
    assert isinstance(reg.objective, MovingAverageDV)
    x, z = torch.randn(16, DIM), torch.randn(16, DIM)
    reg.critic_step(x, z)
    average = reg.objective.log_average.clone()
    assert not torch.isnan(average)
    reg(x, z)
    assert torch.equal(reg.objective.log_average, average)
    assert "objective.log_average" in reg.state_dict()


def test_critic_steps_maximise_the_bound():
    reg, g = _trained(dependent=True, steps=0)
    first = _held_out_estimate(reg, g, dependent=True)
    for _ in range(100):
        reg.critic_step(*_pairs(128, g, dependent=True))
    assert _held_out_estimate(reg, g, dependent=True) > first + 0.3


def test_default_negatives_follow_the_critic():
    assert MIRegularizer(ConcatCritic(1, 1, (4,))).negatives == "derangement"
    assert MIRegularizer(SeparableCritic(1, 1, (4,))).negatives == "all"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"bound": "kl"}, "unknown bound"),
        ({"negatives": "some"}, "negatives"),
        ({"negatives": 0}, "negatives"),
        ({"learning_rate": 0.0}, "learning_rate"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MIRegularizer(ConcatCritic(1, 1, (4,)), **kwargs)


def test_bad_critic_and_batches():
    with pytest.raises(ValueError, match="torch.nn.Module"):
        MIRegularizer(lambda x, z: x)
    reg = MIRegularizer(ConcatCritic(1, 1, (4,)))
    with pytest.raises(ValueError, match="same number of rows"):
        reg(torch.zeros(4, 1), torch.zeros(5, 1))
    with pytest.raises(ValueError, match="same number of rows"):
        reg.critic_step(torch.zeros(4), torch.zeros(4, 1))
    with pytest.raises(ValueError, match="at least 2 rows"):
        reg(torch.zeros(1, 1), torch.zeros(1, 1))


def test_adaptive_clip_rescales_a_large_mi_gradient():
    # g_m = (3, 4), ||g_m|| = 5 against ||g_u|| = 1: g_m is scaled to norm 1.
    (clipped,) = adaptive_clip([torch.tensor([3.0, 4.0])], [torch.tensor([1.0, 0.0])])
    torch.testing.assert_close(clipped, torch.tensor([0.6, 0.8]))


def test_adaptive_clip_keeps_a_small_mi_gradient():
    (clipped,) = adaptive_clip([torch.tensor([0.3, 0.4])], [torch.tensor([2.0, 0.0])])
    torch.testing.assert_close(clipped, torch.tensor([0.3, 0.4]))


def test_adaptive_clip_uses_global_norms_over_parameters():
    # ||g_m|| = ||(3, 4)|| = 5 across two tensors, ||g_u|| = 2 (None counts as 0):
    # every tensor of g_m is multiplied by 2 / 5.
    clipped = adaptive_clip(
        [torch.tensor([3.0]), torch.tensor([[4.0]]), None],
        [None, torch.tensor([[2.0]]), torch.tensor([0.0])],
    )
    torch.testing.assert_close(clipped[0], torch.tensor([1.2]))
    torch.testing.assert_close(clipped[1], torch.tensor([[1.6]]))
    assert clipped[2] is None


def test_adaptive_clip_length_mismatch():
    with pytest.raises(ValueError, match="must match"):
        adaptive_clip([torch.zeros(1)], [])


def test_adaptive_clip_grad_adds_rescaled_gradient_after_backward():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([0.5], requires_grad=True)
    other = torch.tensor([1.0], requires_grad=True)  # e.g. a critic parameter
    (3.0 * w[1] + 4.0 * b[0]).backward()  # g_u = ((0, 3), (4,)), norm 5
    other.grad = torch.tensor([7.0])
    # g_m = ((10, 0), (0,)) + nothing for `other`, norm 10 -> scaled by 5 / 10
    mi_loss = 10.0 * w[0] + 0.0 * b[0] + (other * 0).sum()
    scale = adaptive_clip_grad_([w, b], mi_loss)
    torch.testing.assert_close(scale, torch.tensor(0.5))
    torch.testing.assert_close(w.grad, torch.tensor([5.0, 3.0]))
    torch.testing.assert_close(b.grad, torch.tensor([4.0]))
    torch.testing.assert_close(other.grad, torch.tensor([7.0]))


def test_adaptive_clip_grad_without_main_gradient_adds_nothing():
    w = torch.tensor([1.0], requires_grad=True)
    scale = adaptive_clip_grad_([w], 3.0 * w.sum())
    assert float(scale) == 0.0
    torch.testing.assert_close(w.grad, torch.tensor([0.0]))


def test_adaptive_clip_grad_needs_parameters():
    with pytest.raises(ValueError, match="no parameter"):
        adaptive_clip_grad_([torch.zeros(1)], torch.zeros(()))


def test_gan_example_runs_in_quick_mode(monkeypatch):
    import matplotlib.pyplot as plt

    path = pathlib.Path(__file__).parents[1] / "examples" / "plot_gan_mode_collapse.py"
    monkeypatch.setenv("SKNMI_QUICK", "1")
    monkeypatch.chdir(path.parent)
    state = torch.random.get_rng_state()
    try:
        ns = runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")
    assert torch.equal(torch.random.get_rng_state(), state)
    for name in ("vanilla", "MINE"):
        rows = ns["results"][name]
        assert len(rows) == len(ns["SEEDS"]) >= 1
        for modes, quality in rows:
            assert 0 <= modes <= 25 and 0.0 <= quality <= 1.0
    assert os.environ["SKNMI_QUICK"] == "1"
