"""sknmi: neural mutual-information estimation with a scikit-learn API.

The names below are loaded on first use (PEP 562): ``import sknmi.baselines``
or ``from sknmi import KSGEstimator`` does not load torch, which only the
neural estimators need.
"""

import importlib
from typing import TYPE_CHECKING

# The one place the version lives: pyproject.toml reads it at build time and
# ``sknmi --version`` prints it. ".devN" until a release is cut (PEP 440).
__version__ = "0.1.0.dev0"

# Each public name and the module that defines it.
_ORIGIN = {
    "ConditionalMIEstimator": "sknmi.conditional",
    "DeepInfoMaxTransformer": "sknmi.infomax",
    "DegenerateDependenceWarning": "sknmi.exceptions",
    "ExtrapolatedMIEstimator": "sknmi.extrapolation",
    "GaussianMIEstimator": "sknmi.baselines",
    "InfoBottleneckTransformer": "sknmi.bottleneck",
    "KSGConditionalEstimator": "sknmi.baselines",
    "KSGEstimator": "sknmi.baselines",
    "MRMRSelector": "sknmi.feature_selection",
    "NeuralMIEstimator": "sknmi.mi",
    "independence_test": "sknmi.independence",
}

# Public submodules, reachable as ``sknmi.<name>`` after a bare ``import
# sknmi`` as they were when this module imported them all.
_SUBMODULES = {
    "baselines",
    "bottleneck",
    "bounds",
    "conditional",
    "datasets",
    "exceptions",
    "extrapolation",
    "feature_selection",
    "independence",
    "infomax",
    "metrics",
    "mi",
    "nn",
    "pairwise",
    "regularizers",
    "timeseries",
}

__all__ = [
    "ConditionalMIEstimator",
    "DeepInfoMaxTransformer",
    "DegenerateDependenceWarning",
    "ExtrapolatedMIEstimator",
    "GaussianMIEstimator",
    "InfoBottleneckTransformer",
    "KSGConditionalEstimator",
    "KSGEstimator",
    "MRMRSelector",
    "NeuralMIEstimator",
    "independence_test",
    "__version__",
]

if TYPE_CHECKING:
    from sknmi.baselines import (
        GaussianMIEstimator,
        KSGConditionalEstimator,
        KSGEstimator,
    )
    from sknmi.bottleneck import InfoBottleneckTransformer
    from sknmi.conditional import ConditionalMIEstimator
    from sknmi.exceptions import DegenerateDependenceWarning
    from sknmi.extrapolation import ExtrapolatedMIEstimator
    from sknmi.feature_selection import MRMRSelector
    from sknmi.independence import independence_test
    from sknmi.infomax import DeepInfoMaxTransformer
    from sknmi.mi import NeuralMIEstimator


def __getattr__(name):
    if name in _ORIGIN:
        value = getattr(importlib.import_module(_ORIGIN[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Cached: the next look-up is an ordinary attribute, without this call.
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
