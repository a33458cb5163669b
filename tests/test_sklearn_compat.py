"""scikit-learn's estimator checks over every estimator, with small, fast settings.

The one list of test instances; ``check_estimator``'s checks plus the public
checks it leaves out (parameter validation, DataFrame column names, and for
transformers set_output and get_feature_names_out).
"""

import re

import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknmi import (
    ConditionalMIEstimator,
    DeepInfoMaxTransformer,
    ExtrapolatedMIEstimator,
    GaussianMIEstimator,
    InfoBottleneckTransformer,
    KSGConditionalEstimator,
    KSGEstimator,
    MRMRSelector,
    NeuralMIEstimator,
)

FAST = dict(hidden_layer_sizes=(8,), max_iter=3, batch_size=16, random_state=0)
FAST_DIM = dict(FAST, n_components=3, embedding_dim=8, max_iter=2)

ESTIMATORS = [
    NeuralMIEstimator(**FAST),
    NeuralMIEstimator(bound="mine", critic="concat", **FAST),
    NeuralMIEstimator(bound="infonce", preprocessing="quantile", **FAST),
    KSGEstimator(random_state=0),
    GaussianMIEstimator(),
    GaussianMIEstimator(bias_correction=False),
    InfoBottleneckTransformer(n_components=2, **FAST),
    InfoBottleneckTransformer(n_components=2, mi_estimator="mine", **FAST),
    DeepInfoMaxTransformer(**FAST_DIM),
    DeepInfoMaxTransformer(
        global_weight=1.0,
        bound="infonce",
        prior="uniform",
        prior_weight=0.1,
        **FAST_DIM,
    ),
    DeepInfoMaxTransformer(global_weight=1.0, local_weight=0.0, bound="dv", **FAST_DIM),
    ConditionalMIEstimator(NeuralMIEstimator(**FAST), random_state=0),
    ConditionalMIEstimator(NeuralMIEstimator(**FAST), given=[0], random_state=0),
    ConditionalMIEstimator(GaussianMIEstimator(), given=[0]),
    # Ordered rows (a time series): contiguous folds, a gap, the last block held out.
    NeuralMIEstimator(shuffle=False, gap=1, **FAST),
    ConditionalMIEstimator(
        NeuralMIEstimator(shuffle=False, gap=1, **FAST), given=[0], random_state=0
    ),
    KSGConditionalEstimator(given=[0], random_state=0),
    ExtrapolatedMIEstimator(GaussianMIEstimator(), splits=(1, 2), random_state=0),
    MRMRSelector(random_state=0),
    MRMRSelector(conditional=True, n_features_to_select=0.5, random_state=0),
    MRMRSelector(GaussianMIEstimator(), n_features_to_select=1),
]

# Checks expected to fail, with the reason; keyed by (estimator class, check name).
# There are none: keep it that way or say here why a check cannot pass.
EXPECTED_FAILED = {}

LEFT_OUT = [
    estimator_checks.check_param_validation,
    estimator_checks.check_dataframe_column_names_consistency,
]
LEFT_OUT_TRANSFORMERS = [
    estimator_checks.check_set_output_transform,
    estimator_checks.check_set_output_transform_pandas,
    estimator_checks.check_global_output_transform_pandas,
    estimator_checks.check_transformer_get_feature_names_out,
    estimator_checks.check_transformer_get_feature_names_out_pandas,
]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _expected_failed_checks(estimator):
    return {
        check: reason
        for (cls, check), reason in EXPECTED_FAILED.items()
        if isinstance(estimator, cls)
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _left_out_cases():
    for estimator in ESTIMATORS:
        checks = LEFT_OUT + (
            LEFT_OUT_TRANSFORMERS if isinstance(estimator, TransformerMixin) else []
        )
        for check in checks:
            yield pytest.param(estimator, check, id=f"{estimator!r}-{check.__name__}")


@pytest.mark.parametrize("estimator, check", list(_left_out_cases()))
@pytest.mark.filterwarnings("ignore:X (has|does not have valid) feature names")
def test_checks_that_check_estimator_leaves_out(estimator, check):
    pytest.importorskip("pandas")
    check(type(estimator).__name__, estimator)


def test_every_public_estimator_is_checked():
    import sknmi

    public = {
        getattr(sknmi, name)
        for name in sknmi.__all__
        if isinstance(getattr(sknmi, name), type)
        and issubclass(getattr(sknmi, name), BaseEstimator)
    }
    assert public <= {type(e) for e in ESTIMATORS}


@pytest.mark.parametrize(
    "estimator",
    # One instance per class: the fitted attributes are a class's own.
    list({type(e): e for e in reversed(ESTIMATORS)}.values()),
    ids=lambda e: type(e).__name__,
)
def test_every_fitted_attribute_is_documented(estimator):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    fitted = clone(estimator).fit(X, y)
    attributes = {
        name for name in vars(fitted) if name.endswith("_") and not name.startswith("_")
    }
    section = fitted.__doc__.split("Attributes\n    ----------")[1]
    section = section.split("\n    See Also")[0].split("\n    Notes")[0]
    documented = set(re.findall(r"^    (\w+_) :", section, re.M))
    assert attributes <= documented, attributes - documented
