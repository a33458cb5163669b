import pytest
import torch

from sknmi.nn import MLP, ConcatCritic, SeparableCritic, pair_scores


class IndexCritic(torch.nn.Module):
    """Scores 1 when x and z carry the same row index, else 0: exposes pairings."""

    def forward(self, x, z):
        return (x[:, 0] == z[:, 0]).float()


def rows(n):
    index = torch.arange(n, dtype=torch.float32)[:, None]
    return index, index.clone()


def test_mlp_shapes_and_bad_activation():
    assert MLP(3, (), 2)(torch.zeros(4, 3)).shape == (4, 2)
    assert len(MLP(3, (5, 6), 1, "tanh")) == 5
    with pytest.raises(ValueError, match="activation"):
        MLP(3, (4,), 1, "swish")


def test_separable_matrix_diagonal_is_the_forward_score():
    critic = SeparableCritic(3, 2, (8,), embedding_dim=4)
    x, z = torch.randn(6, 3), torch.randn(6, 2)
    assert torch.allclose(critic.score_matrix(x, z).diagonal(), critic(x, z), atol=1e-6)


def test_all_pairs_agree_between_separable_and_generic_paths():
    critic = SeparableCritic(3, 2, (8,), embedding_dim=4)
    x, z = torch.randn(5, 3), torch.randn(5, 2)

    class ForwardOnly(torch.nn.Module):
        def forward(self, x, z):
            return critic(x, z)

    j1, m1 = pair_scores(critic, x, z, "all")
    j2, m2 = pair_scores(ForwardOnly(), x, z, "all")
    assert torch.allclose(j1, j2, atol=1e-6)
    assert torch.allclose(m1, m2, atol=1e-6)
    assert torch.isinf(m1.diagonal()).all()


@pytest.mark.parametrize("negatives", ["all", "derangement", 1, 4])
def test_no_negative_pair_is_a_positive_pair(negatives):
    x, z = rows(8)
    joint, marginal = pair_scores(
        IndexCritic(), x, z, negatives, generator=torch.Generator().manual_seed(0)
    )
    assert bool((joint == 1).all())
    assert bool((marginal[torch.isfinite(marginal)] == 0).all())


def test_fixed_partners_are_cyclic_shifts_for_both_critic_kinds():
    x, z = torch.randn(7, 2), torch.randn(7, 3)
    separable = SeparableCritic(2, 3, (8,), embedding_dim=4)
    concat = ConcatCritic(2, 3, (8,))
    for critic in (separable, concat):
        joint, marginal = pair_scores(critic, x, z, 3)
        assert marginal.shape == (7, 3)
        for s in range(1, 4):
            expected = critic(x, z[(torch.arange(7) + s) % 7])
            assert torch.allclose(marginal[:, s - 1], expected, atol=1e-6)


def test_derangement_pairs_are_reproducible_with_a_generator():
    critic = ConcatCritic(2, 2, (4,))
    x, z = torch.randn(10, 2), torch.randn(10, 2)
    a = pair_scores(critic, x, z, "derangement", torch.Generator().manual_seed(3))[1]
    b = pair_scores(critic, x, z, "derangement", torch.Generator().manual_seed(3))[1]
    assert torch.equal(a, b)


def test_bad_number_of_negatives():
    x, z = rows(4)
    with pytest.raises(ValueError, match="negatives"):
        pair_scores(IndexCritic(), x, z, 4)
