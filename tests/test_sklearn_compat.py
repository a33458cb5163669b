"""scikit-learn's estimator checks over every estimator, with small, fast settings."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknmi import NeuralMIEstimator

FAST = dict(hidden_layer_sizes=(8,), max_iter=3, batch_size=16, random_state=0)

ESTIMATORS = [
    NeuralMIEstimator(**FAST),
    NeuralMIEstimator(bound="mine", critic="concat", **FAST),
]

# Checks expected to fail, with the reason; keyed by (estimator class, check name).
EXPECTED_FAILED = {}


def _expected_failed_checks(estimator):
    return {
        check: reason
        for (cls, check), reason in EXPECTED_FAILED.items()
        if isinstance(estimator, cls)
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
