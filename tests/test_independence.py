import numpy as np
import pytest
from sklearn.utils.validation import check_is_fitted

from sknmi import (
    ConditionalMIEstimator,
    GaussianMIEstimator,
    KSGEstimator,
    NeuralMIEstimator,
    independence_test,
)
from sknmi.independence import IndependenceTestResult, permutation_pvalue

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TINY = dict(hidden_layer_sizes=(16,), embedding_dim=8, max_iter=10)
SMALL = dict(TINY, max_iter=30, learning_rate_init=3e-3, random_state=0)


@pytest.fixture(scope="module")
def dependent():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 2))
    z = np.sin(2 * x[:, 0]) + 0.3 * rng.standard_normal(400)
    return x, z


@pytest.fixture(scope="module")
def independent():
    rng = np.random.default_rng(1)
    return rng.standard_normal((400, 2)), rng.standard_normal(400)


def test_permutation_pvalue_formula():
    assert permutation_pvalue(2.0, [0.1, 3.0, 2.0, -1.0]) == pytest.approx(3 / 5)
    assert permutation_pvalue(5.0, np.zeros(99)) == pytest.approx(0.01)
    assert permutation_pvalue(-5.0, np.zeros(9)) == 1.0
    with pytest.raises(ValueError, match="NaN"):
        permutation_pvalue(np.nan, [1.0])
    with pytest.raises(ValueError, match="NaN"):
        permutation_pvalue(1.0, [np.nan])
    # An exact dependence: +inf beats every permuted value (issue 22).
    assert permutation_pvalue(np.inf, np.zeros(9)) == pytest.approx(0.1)
    assert permutation_pvalue(np.inf, [np.inf, 0.0, 1.0]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "estimator, method",
    [
        (NeuralMIEstimator(**TINY), "split"),
        (KSGEstimator(), "permutation"),
    ],
)
def test_strong_dependence_gives_the_smallest_pvalue(dependent, estimator, method):
    x, z = dependent
    result = independence_test(x, z, estimator, n_permutations=19, random_state=0)
    assert isinstance(result, IndependenceTestResult)
    assert result.method == method
    assert result.pvalue == pytest.approx(1 / 20)
    assert result.null_distribution.shape == (19,)
    assert result.statistic > result.null_distribution.max()
    check_is_fitted(result.estimator)
    assert not hasattr(estimator, "mi_")  # the argument is cloned, never fitted


def test_split_test_reads_held_out_rows_with_a_fixed_critic(dependent):
    x, z = dependent
    result = independence_test(
        x,
        z,
        NeuralMIEstimator(**SMALL),
        n_permutations=9,
        test_fraction=0.25,
        random_state=0,
    )
    # The critic was fitted on the other 75% of the rows.
    assert result.estimator.n_features_in_ == 2
    again = independence_test(
        x,
        z,
        NeuralMIEstimator(**SMALL),
        n_permutations=9,
        test_fraction=0.25,
        random_state=0,
    )
    assert result.statistic == again.statistic
    np.testing.assert_array_equal(result.null_distribution, again.null_distribution)
    # A statistic outside the null is the observed score on the held-out rows.
    assert result.statistic > 0.15 and np.all(result.null_distribution < 0.1)


def test_independent_data_are_not_rejected(independent):
    x, z = independent
    for estimator in [NeuralMIEstimator(**TINY), GaussianMIEstimator()]:
        result = independence_test(x, z, estimator, n_permutations=49, random_state=0)
        assert result.pvalue > 0.05


def test_class_labels(dependent):
    x, _ = dependent
    labels = np.where(x[:, 0] > 0, "a", "b")
    result = independence_test(
        x, labels, NeuralMIEstimator(**TINY), n_permutations=9, random_state=0
    )
    assert result.pvalue == pytest.approx(0.1)


def test_bad_input(dependent):
    x, z = dependent
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        independence_test(x, z[:-1], GaussianMIEstimator())
    with pytest.raises(ValueError, match="n_permutations"):
        independence_test(x, z, GaussianMIEstimator(), n_permutations=0)
    with pytest.raises(ValueError, match="test_fraction"):
        independence_test(x[:5], z[:5], NeuralMIEstimator(**TINY), test_fraction=0.9)
    with pytest.raises(ValueError, match="conditional independence"):
        independence_test(x, z, ConditionalMIEstimator(given=[1]))
    with pytest.raises(ValueError, match="NaN"):
        independence_test(np.full((10, 1), np.nan), z[:10], GaussianMIEstimator())


def test_permutation_method_refits_the_neural_estimator_as_one_batch(dependent):
    x, z = dependent
    estimator = NeuralMIEstimator(**TINY)
    result = independence_test(
        x, z, estimator, n_permutations=9, method="permutation", random_state=0
    )
    assert result.method == "permutation"
    assert result.pvalue == pytest.approx(1 / 10)
    assert result.statistic > result.null_distribution.max()
    # The statistic is the fitted estimator's estimate on all rows.
    assert result.estimator.mi_ == result.statistic
    assert result.estimator.n_features_in_ == 2
    assert not hasattr(estimator, "mi_")
    again = independence_test(
        x,
        z,
        NeuralMIEstimator(**TINY),
        n_permutations=9,
        method="permutation",
        random_state=0,
    )
    np.testing.assert_array_equal(result.null_distribution, again.null_distribution)


def test_split_needs_pointwise_mi(dependent):
    x, z = dependent
    with pytest.raises(ValueError, match="pointwise_mi"):
        independence_test(x, z, KSGEstimator(), method="split")
    with pytest.raises(ValueError, match="method"):
        independence_test(x, z, KSGEstimator(), method="bootstrap")


@pytest.mark.slow
def test_size_of_the_neural_permutation_test():
    # Under independence the B + 1 fits (the observed one among the permuted,
    # trained alike in one batch) are exchangeable: P(p <= 1/10) = 1/10 with
    # B = 9. 60 independent data sets: about 6 rejections (sd 2.3); a test
    # that favoured the observed fit would reject far more often.
    estimator = NeuralMIEstimator(
        hidden_layer_sizes=(8,), embedding_dim=4, max_iter=5, learning_rate_init=1e-2
    )
    pvalues = []
    for r in range(60):
        rng = np.random.default_rng([7, r])
        x, z = rng.standard_normal((150, 1)), rng.standard_normal(150)
        result = independence_test(
            x, z, estimator, n_permutations=9, method="permutation", random_state=r
        )
        pvalues.append(result.pvalue)
    pvalues = np.array(pvalues)
    assert np.count_nonzero(pvalues <= 0.1) <= 13
    # The p-values spread over {0.1, ..., 1} as under exchangeability (mean
    # 0.55, its sd over 60 sets 0.037).
    assert 0.4 < pvalues.mean() < 0.7
