import math

import numpy as np
import pytest
import torch
from scipy.stats import t as student_t

from sknmi._folds import fold_rows, held_out_rows, split_rows
from sknmi._neural.crossfit import CrossFit
from sknmi._neural.training import Settings, train
from sknmi._stats import interval
from sknmi.bounds import BOUNDS, jsd, jsd_of_matrix, split_scores
from sknmi.nn import (
    ConcatCritic,
    SeparableCritic,
    pair_scores,
    scores_all_pairs,
    stack_critics,
)


def _members(kind, n=3, seed=0):
    torch.manual_seed(seed)
    if kind == "separable":
        return [SeparableCritic(3, 2, (16, 16), embedding_dim=8) for _ in range(n)]
    return [ConcatCritic(3, 2, (16, 16)) for _ in range(n)]


@pytest.mark.parametrize("kind", ["separable", "concat"])
def test_each_stacked_member_trains_as_the_same_critic_alone(kind):
    # float64 throughout: the batched and the single products then agree to
    # rounding, and so do fused and per-critic Adam steps.
    members = [m.double() for m in _members(kind)]
    alone = [m.double() for m in _members(kind)]
    stack = stack_critics(members)
    assert type(stack).__name__.startswith("Stacked")
    g = torch.Generator().manual_seed(1)
    X = torch.randn(3, 64, 3, generator=g, dtype=torch.float64)
    Z = X[..., :2] + 0.5 * torch.randn(3, 64, 2, generator=g, dtype=torch.float64)
    negatives = "all" if kind == "separable" else 5
    stack_opt = torch.optim.Adam(stack.parameters(), lr=1e-2, fused=True)
    opts = [torch.optim.Adam(m.parameters(), lr=1e-2) for m in alone]
    for step in range(25):
        rows = slice(16 * (step % 4), 16 * (step % 4) + 16)
        stack_opt.zero_grad()
        joint, marginal = pair_scores(stack, X[:, rows], Z[:, rows], negatives)
        loss = -sum(jsd(joint[k], marginal[k]) for k in range(3))
        loss.backward()
        stack_opt.step()
        for k, (m, opt) in enumerate(zip(alone, opts)):
            opt.zero_grad()
            (-jsd(*pair_scores(m, X[k, rows], Z[k, rows], negatives))).backward()
            opt.step()
    x, z = (
        torch.randn(50, 3, dtype=torch.float64),
        torch.randn(50, 2, dtype=torch.float64),
    )
    for k, m in enumerate(alone):
        trained = stack.member(k)
        torch.testing.assert_close(trained(x, z), m(x, z), rtol=1e-9, atol=1e-9)
    # The ensemble face is the members' mean.
    mean = torch.stack([m(x, z) for m in alone]).mean(0)
    torch.testing.assert_close(stack(x, z), mean, rtol=1e-9, atol=1e-9)


def test_member_views_write_through_and_stack_critics_falls_back():
    stack = stack_critics(_members("separable"))
    views = stack.member_tensors(1)
    with torch.no_grad():
        for v in views:
            v.zero_()
    x, z = torch.randn(4, 3), torch.randn(4, 2)
    assert torch.equal(stack.member(1)(x, z), torch.zeros(4))
    assert not torch.equal(stack.member(0)(x, z), torch.zeros(4))
    mixed = stack_critics([*_members("separable", 1), *_members("concat", 1)])
    assert type(mixed).__name__ == "CriticEnsemble" and mixed.n_members == 2
    assert not scores_all_pairs(mixed)


def test_jsd_of_matrix_equals_the_masked_jsd():
    s = torch.randn(4, 9, 9, dtype=torch.float64)
    expected = torch.stack([jsd(*split_scores(m)) for m in s])
    torch.testing.assert_close(jsd_of_matrix(s), expected)


def test_interval_is_the_delta_method_for_one_fold():
    g = np.random.default_rng(0)
    terms = g.normal(1.0, 2.0, 4000)
    mi, (lo, hi), values = interval([terms.mean()], [terms])
    half = 1.959963984540054 * terms.std(ddof=1) / math.sqrt(len(terms))
    assert mi == pytest.approx(terms.mean()) and (hi - lo) / 2 == pytest.approx(half)
    with pytest.raises(ValueError, match="not finite"):
        interval([math.nan], [terms])


def test_interval_adds_the_critics_noise_to_the_rows_sampling_error():
    g = np.random.default_rng(0)
    # Folds whose values agree (no spread beyond their rows' sampling): the
    # width is the pooled sampling error's, with the normal quantile.
    folds = [f - f.mean() + 1.0 for f in (g.normal(0, 2.0, 5000) for _ in range(5))]
    mi, (lo, hi), _ = interval([f.mean() for f in folds], folds)
    sampling = np.concatenate(folds).var() / 25_000
    assert (hi - lo) / 2 == pytest.approx(1.96 * math.sqrt(sampling), rel=1e-3)
    # Critics off by a training noise much larger than the sampling error:
    # the folds' standard error, with Student's quantile on K - 1 = 4 df.
    offsets = np.array([-0.3, -0.1, 0.0, 0.15, 0.25])
    shifted = [f + o for f, o in zip(folds, offsets)]
    values = [f.mean() for f in shifted]
    mi, (lo, hi), _ = interval(values, shifted)
    spread = np.std(values, ddof=1) / math.sqrt(5)
    assert (hi - lo) / 2 == pytest.approx(student_t.ppf(0.975, 4) * spread, rel=0.05)
    # Known variances, many repetitions: the 95% interval covers 95% of the
    # time, neither the union of the two noises nor the larger one alone.
    hits, trials = 0, 400
    for _ in range(trials):
        noise = g.normal(0.0, 0.02, 5)  # the critics' training noise
        folds = [g.normal(1.0 + e, 2.0, 2000) for e in noise]
        _, (lo, hi), _ = interval([f.mean() for f in folds], folds)
        hits += lo <= 1.0 <= hi
    assert 0.92 <= hits / trials <= 0.99


def test_contiguous_folds_leave_a_gap():
    folds, _ = fold_rows(30, 3, 0, 2, contiguous=True, gap=2)
    assert [sorted(r) for _, r in folds] == [
        list(range(0, 10)),
        list(range(10, 20)),
        list(range(20, 30)),
    ]
    train, read = folds[1]
    assert not set(train) & set(range(8, 22))
    assert set(train) == set(range(0, 8)) | set(range(22, 30))


def test_the_engine_trains_each_member_on_its_folds_and_keeps_its_best():
    g = torch.Generator().manual_seed(0)
    n = 600
    X = torch.randn(n, 2, generator=g)
    Z = X + 0.3 * torch.randn(n, 2, generator=g)
    folds, _ = fold_rows(n, 3, 0, 1)
    torch.manual_seed(0)
    stack = stack_critics([SeparableCritic(2, 2, (16,), 8) for _ in range(3)])
    spec = BOUNDS["logratio"]
    engine = CrossFit(
        stack,
        X,
        Z,
        folds,
        spec,
        64,
        torch.Generator().manual_seed(1),
    )
    # Every member trains on rows of the other folds only.
    for k, (_, read) in enumerate(folds):
        assert not set(engine.train_rows[k].tolist()) & set(read)
    result = train(
        engine,
        Settings(batch_size=64, learning_rate=1e-2, max_iter=6, n_iter_no_change=9),
        generator=torch.Generator().manual_seed(2),
        device=torch.device("cpu"),
    )
    assert result.n_iter == 6
    # Early stopping gave each member the state of its own best epoch: it
    # reads that epoch's held-out objective again.
    with torch.no_grad():
        values, _ = engine.validate()
    torch.testing.assert_close(values.tolist(), result.member_best)
    reads = engine.read()
    assert [len(j) for j, _ in reads] == [len(r) for _, r in folds]


def test_held_out_rows_shuffled_and_contiguous():
    train, test = held_out_rows(10, 0.3, 0)
    assert len(test) == 3 and sorted([*train, *test]) == list(range(10))
    # The estimators' validation split is the same cut, after the seeds.
    rng = np.random.RandomState(0)
    rng.randint(np.iinfo(np.int32).max, size=2)
    np.testing.assert_array_equal(
        held_out_rows(10, 0.3, rng)[1], split_rows(10, 0.3, 0, 2)[1]
    )
    # Ordered rows: the last block, in time order, the gap before it unused,
    # and no draw (a RandomState passed in is left as it was).
    rng = np.random.RandomState(0)
    train, test = held_out_rows(10, 0.3, rng, contiguous=True, gap=2)
    assert train.tolist() == [0, 1, 2, 3, 4] and test.tolist() == [7, 8, 9]
    assert rng.randint(1000) == np.random.RandomState(0).randint(1000)
    with pytest.raises(ValueError, match="test_fraction=0.9 leave 1 training rows"):
        held_out_rows(10, 0.9, 0, min_train=4)
