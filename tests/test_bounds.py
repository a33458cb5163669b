"""The bounds against closed forms: the optimal critic of a Gaussian pair is known."""

import math

import numpy as np
import pytest
import torch

from sknmi import bounds
from sknmi.bounds import (
    MovingAverageDV,
    calibrated_log_ratio,
    derangement,
    dv,
    infonce,
    jsd,
    log_mean_exp,
    log_ratio,
    nwj,
    smile,
    split_scores,
)
from sknmi.datasets import make_gaussian


def optimal_scores(x, z, rho):
    """All-pairs matrix of log p(x_i, z_j) / (p(x_i) p(z_j)) for componentwise rho."""
    x, z = x[:, None, :], z[None, :, :]
    s = 1.0 - rho**2
    per_dim = -0.5 * math.log(s) - (rho**2 * x**2 - 2 * rho * x * z + rho**2 * z**2) / (
        2 * s
    )
    return per_dim.sum(-1)


@pytest.fixture(scope="module")
def gaussian_pair():
    mi, d, n = 1.0, 2, 3000
    X, Z, _ = make_gaussian(n_samples=n, n_features=d, mi=mi, random_state=0)
    rho = math.sqrt(-math.expm1(-2 * mi / d))
    scores = optimal_scores(torch.tensor(X), torch.tensor(Z), rho)
    return mi, n, scores


def sampling_error(joint):
    return 4 * float(joint.std()) / math.sqrt(len(joint))


def test_dv_nwj_smile_logratio_of_the_optimal_critic_equal_the_mi(gaussian_pair):
    mi, _, scores = gaussian_pair
    joint, marginal = split_scores(scores)
    tol = sampling_error(joint) + 0.02  # the partition term adds a little noise
    assert float(dv(joint, marginal)) == pytest.approx(mi, abs=tol)
    # NWJ's optimum is the log ratio plus one.
    assert float(nwj(joint + 1, marginal + 1)) == pytest.approx(mi, abs=tol)
    assert float(smile(joint, marginal, clip=50.0)) == pytest.approx(mi, abs=tol)
    assert float(log_ratio(joint, marginal)) == pytest.approx(mi, abs=tol)
    assert float(calibrated_log_ratio(joint, marginal)) == pytest.approx(mi, abs=tol)
    # The partition function of the optimal critic is one.
    assert float(log_mean_exp(marginal)) == pytest.approx(0.0, abs=0.02)


def test_bounds_are_below_the_mi_for_a_suboptimal_critic(gaussian_pair):
    mi, _, scores = gaussian_pair
    joint, marginal = split_scores(0.7 * scores + 0.3)
    tol = sampling_error(joint)
    for bound in (dv, nwj, smile):
        assert float(bound(joint, marginal)) < mi + tol


def test_jsd_is_maximised_by_the_log_ratio_and_is_not_the_mi(gaussian_pair):
    mi, _, scores = gaussian_pair
    best = float(jsd(*split_scores(scores)))
    for other in (scores + 0.5, scores - 0.5, 0.8 * scores, 1.2 * scores):
        assert float(jsd(*split_scores(other))) < best
    assert best < 0.0 < mi  # a JSD value is at most 0: not an MI


def test_infonce_of_the_optimal_critic_is_close_to_the_mi_and_below_log_n(
    gaussian_pair,
):
    mi, n, scores = gaussian_pair
    joint, marginal = split_scores(scores)
    value = float(infonce(joint, marginal))
    assert value <= math.log(n)
    assert value == pytest.approx(mi, abs=sampling_error(joint) + 0.02)


def test_infonce_never_exceeds_log_candidates():
    gen = torch.Generator().manual_seed(0)
    for k in (1, 7, 63):
        scores = 30 * torch.randn(64, k, generator=gen)
        joint = 100 + 30 * torch.randn(64, generator=gen)
        assert float(infonce(joint, scores)) <= math.log(k + 1) + 1e-6
    # The ceiling is reached by a critic that separates perfectly.
    assert float(infonce(torch.full((8,), 1e4), torch.zeros(8, 7))) == pytest.approx(
        math.log(8)
    )


def test_infonce_with_log_n_ceiling_on_high_mi():
    mi, d, n = 8.0, 4, 256
    X, Z, _ = make_gaussian(n_samples=n, n_features=d, mi=mi, random_state=1)
    rho = math.sqrt(-math.expm1(-2 * mi / d))
    value = float(
        infonce(*split_scores(optimal_scores(torch.tensor(X), torch.tensor(Z), rho)))
    )
    assert value <= math.log(n) < mi


def test_masked_entries_are_neither_summed_nor_counted():
    scores = torch.tensor([[5.0, 1.0, 2.0], [3.0, 7.0, 4.0], [0.5, 1.5, 9.0]])
    joint, marginal = split_scores(scores)
    off = scores[~torch.eye(3, dtype=torch.bool)]
    assert float(dv(joint, marginal)) == pytest.approx(
        float(joint.mean() - torch.log(torch.exp(off).mean()))
    )
    assert float(jsd(joint, marginal)) == pytest.approx(
        float(
            -torch.nn.functional.softplus(-joint).mean()
            - torch.nn.functional.softplus(off).mean()
        )
    )
    assert float(nwj(joint, marginal)) == pytest.approx(
        float(joint.mean() - torch.exp(off - 1).mean())
    )
    assert float(smile(joint, marginal, clip=2.0)) == pytest.approx(
        float(joint.mean() - torch.log(torch.exp(off.clamp(-2, 2)).mean()))
    )
    rows = [[5.0, 1.0, 2.0], [7.0, 3.0, 4.0], [9.0, 0.5, 1.5]]
    expected = np.mean([r[0] - np.log(np.mean(np.exp(r))) for r in rows])
    assert float(infonce(joint, marginal)) == pytest.approx(expected, rel=1e-6)


def test_log_mean_exp_is_stable_and_drops_no_log_n():
    t = torch.tensor([1000.0, 1000.0, 1000.0, 1000.0])
    assert float(log_mean_exp(t)) == pytest.approx(1000.0)
    t = torch.zeros(10, 3)
    assert torch.allclose(log_mean_exp(t, dim=1), torch.zeros(10))
    assert float(log_mean_exp(torch.log(torch.tensor([1.0, 2.0, 3.0])))) == (
        pytest.approx(math.log(2.0))
    )


@pytest.mark.parametrize("n", [2, 3, 5, 64, 257])
def test_derangement_has_no_fixed_point_and_is_a_permutation(n):
    gen = torch.Generator().manual_seed(n)
    for _ in range(50):
        p = derangement(n, gen)
        assert bool((p != torch.arange(n)).all())
        assert sorted(p.tolist()) == list(range(n))


def test_derangement_rejects_a_single_row():
    with pytest.raises(ValueError, match="at least 2"):
        derangement(1)


def test_moving_average_changes_the_gradient_only():
    mine = MovingAverageDV(decay=0.9)
    gen = torch.Generator().manual_seed(0)
    m1, m2 = torch.randn(16, generator=gen), 2 + torch.randn(16, generator=gen)
    joint = torch.randn(16, generator=gen)

    def grads(module, marginal):
        marg = marginal.clone().requires_grad_(True)
        value = module(joint, marg)
        value.backward()
        return float(value.detach()), marg.grad

    # First batch: the average starts at the batch mean, so the gradient is DV's.
    value, g1 = grads(mine, m1)
    plain = m1.clone().requires_grad_(True)
    dv(joint, plain).backward()
    assert value == pytest.approx(float(dv(joint, m1)))
    assert torch.allclose(g1, plain.grad)
    # Second batch: d/dT_j of -log m is -e^{T_j} / (n * m_ema), m_ema the average.
    value, g2 = grads(mine, m2)
    ema = 0.9 * torch.exp(m1).mean() + 0.1 * torch.exp(m2).mean()
    assert value == pytest.approx(float(dv(joint, m2)))  # the value stays DV
    assert torch.allclose(g2, -torch.exp(m2) / (16 * ema), rtol=1e-5)
    # In eval mode it is plain DV and the average is frozen.
    before = mine.log_average.clone()
    mine.eval()
    _, g3 = grads(mine, m2)
    plain = m2.clone().requires_grad_(True)
    dv(joint, plain).backward()
    assert torch.allclose(g3, plain.grad)
    assert torch.equal(mine.log_average, before)


def test_moving_average_rejects_bad_decay():
    with pytest.raises(ValueError, match="decay"):
        MovingAverageDV(decay=1.0)


def test_calibrated_log_ratio_ignores_the_constant_the_jsd_pins_loosely(
    gaussian_pair,
):
    mi, _, scores = gaussian_pair
    joint, marginal = split_scores(scores)
    # The optimal critic needs no shift: the refitted one is near 0.
    assert float(calibrated_log_ratio(joint, marginal)) == pytest.approx(
        float(log_ratio(joint)), abs=0.02
    )
    for shift in (-3.0, -0.4, 0.4, 3.0):
        moved = split_scores(scores + shift)
        # The plain read-out moves one for one; the calibrated one not at all.
        assert float(log_ratio(moved[0])) == pytest.approx(mi + shift, abs=0.1)
        assert float(calibrated_log_ratio(*moved)) == pytest.approx(
            float(calibrated_log_ratio(joint, marginal)), abs=1e-6
        )


def test_calibrated_shift_maximises_the_jsd():
    g = torch.Generator().manual_seed(3)
    joint = 1.5 * torch.randn(300, generator=g, dtype=torch.float64) + 2.0
    marginal = 2.0 * torch.randn(300, 9, generator=g, dtype=torch.float64) - 1.0
    shift = float(calibrated_log_ratio(joint, marginal) - joint.mean())
    best = float(jsd(joint + shift, marginal + shift))
    for step in (-1e-2, 1e-2, -0.5, 0.5):
        assert float(jsd(joint + shift + step, marginal + shift + step)) < best
    # Far from the data's own scale (a bracket, not only Newton steps).
    far = float(calibrated_log_ratio(joint - 60.0, marginal - 60.0))
    assert far == pytest.approx(shift + float(joint.mean()), abs=1e-6)


def test_calibrated_log_ratio_passes_nan_through():
    # A diverged critic's NaN must reach the estimator's finiteness check.
    joint = torch.tensor([1.0, float("nan")])
    assert math.isnan(float(calibrated_log_ratio(joint, torch.zeros(2, 3))))


def test_calibrated_terms_give_the_spread_over_samples():
    # The influence terms hold the uncertainty of the refitted shift: their
    # variance over n matches the spread of the read-out over fresh samples.
    g = torch.Generator().manual_seed(0)
    values, predicted = [], []
    for _ in range(300):
        joint = 1.5 * torch.randn(300, generator=g, dtype=torch.float64) + 2.0
        marginal = 1.5 * torch.randn(300, 20, generator=g, dtype=torch.float64) - 0.5
        values.append(float(calibrated_log_ratio(joint, marginal)))
        terms = calibrated_log_ratio(joint, marginal, reduction="none")
        predicted.append(float(terms.var()) / 300)
    observed = float(np.var(values, ddof=1))
    assert observed == pytest.approx(float(np.mean(predicted)), rel=0.25)
    # ... and differ from the plain log ratio's (variance 1.5^2 / n).
    assert observed < 0.5 * 1.5**2 / 300


def test_every_public_bound_has_a_docstring_with_formula():
    for name in (
        "dv",
        "nwj",
        "jsd",
        "infonce",
        "smile",
        "log_ratio",
        "calibrated_log_ratio",
    ):
        doc = getattr(bounds, name).__doc__
        assert "math::" in doc and "nats" in doc


# -- per-row terms and the registry ----------------------------------------------

_READOUTS = {
    "dv": dv,
    "nwj": nwj,
    "jsd": jsd,
    "infonce": infonce,
    "smile": smile,
    "log_ratio": log_ratio,
    "calibrated_log_ratio": calibrated_log_ratio,
}


@pytest.mark.parametrize("name", sorted(_READOUTS))
@pytest.mark.parametrize("masked", [False, True])
def test_per_row_terms_average_to_the_bound(name, masked):
    g = torch.Generator().manual_seed(0)
    if masked:  # the all-pairs matrix: every row has n - 1 negatives
        joint, marginal = split_scores(2.0 * torch.randn(50, 50, generator=g))
        joint = joint + 2.0
    else:
        joint = torch.randn(50, generator=g, dtype=torch.float64) + 2.0
        marginal = 3.0 * torch.randn(50, 7, generator=g, dtype=torch.float64)
    terms = _READOUTS[name](joint, marginal, reduction="none")
    assert terms.shape == (50,)
    expected = _READOUTS[name](joint, marginal)
    assert float(terms.mean()) == pytest.approx(float(expected), rel=1e-5, abs=1e-5)


def test_dv_terms_give_the_delta_method_variance():
    rng = np.random.default_rng(1)
    a = rng.standard_normal(400) + 1.5
    m = 2.0 * rng.standard_normal((400, 16))
    terms = dv(torch.tensor(a), torch.tensor(m), reduction="none").numpy()
    # DV = mean(a) - log mean(b), b_i the row means of e^m: first-order variance.
    b = np.exp(m).mean(1)
    cov = np.cov(np.stack([a, b]), ddof=1)
    mb = b.mean()
    expected = cov[0, 0] - 2 * cov[0, 1] / mb + cov[1, 1] / mb**2
    assert terms.var(ddof=1) == pytest.approx(expected, rel=1e-9)


def test_reduction_is_checked():
    with pytest.raises(ValueError, match="reduction"):
        dv(torch.zeros(3), torch.zeros(3, 2), reduction="sum")
    with pytest.raises(ValueError, match="one\\s+row per positive"):
        nwj(torch.zeros(3), torch.zeros(4, 2), reduction="none")


def test_one_registry_serves_every_caller():
    from sknmi import NeuralMIEstimator
    from sknmi.cli import _build_parser
    from sknmi.regularizers import BOUNDS as REGULARIZER_BOUNDS

    names = set(bounds.BOUNDS)
    options = NeuralMIEstimator._parameter_constraints["bound"][0].options
    assert set(options) == names
    parser = _build_parser()
    estimate = parser._subparsers._group_actions[0].choices["estimate"]
    bound_action = next(a for a in estimate._actions if a.dest == "bound")
    assert set(bound_action.choices) == names
    assert set(REGULARIZER_BOUNDS) == {
        n for n, row in bounds.BOUNDS.items() if row.lower
    }
    for row in bounds.BOUNDS.values():
        joint, marginal = torch.ones(4), torch.zeros(4, 3)
        for fn in (row.read(), row.bound()):
            assert torch.isfinite(fn(joint, marginal))
        assert isinstance(row.offset(marginal, joint), float)
