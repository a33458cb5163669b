"""sknmi: neural mutual-information estimation with a scikit-learn API."""

from sknmi.baselines import GaussianMIEstimator, KSGConditionalEstimator, KSGEstimator
from sknmi.bottleneck import InfoBottleneckTransformer
from sknmi.conditional import ConditionalMIEstimator
from sknmi.exceptions import DegenerateDependenceWarning
from sknmi.extrapolation import ExtrapolatedMIEstimator
from sknmi.feature_selection import MRMRSelector
from sknmi.independence import independence_test
from sknmi.infomax import DeepInfoMaxTransformer
from sknmi.mi import NeuralMIEstimator

# The one place the version lives: pyproject.toml reads it at build time and
# ``sknmi --version`` prints it. ".devN" until a release is cut (PEP 440).
__version__ = "0.1.0.dev0"

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
