"""sknmi: neural mutual-information estimation with a scikit-learn API."""

from sknmi.baselines import GaussianMIEstimator, KSGEstimator
from sknmi.bottleneck import InfoBottleneckTransformer
from sknmi.exceptions import DegenerateDependenceWarning
from sknmi.infomax import DeepInfoMaxTransformer
from sknmi.mi import NeuralMIEstimator

__version__ = "0.1.0"

__all__ = [
    "DeepInfoMaxTransformer",
    "DegenerateDependenceWarning",
    "GaussianMIEstimator",
    "InfoBottleneckTransformer",
    "KSGEstimator",
    "NeuralMIEstimator",
    "__version__",
]
