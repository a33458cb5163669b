"""What the estimators built on clones of an MI estimator share.

A module of its own, so that the default estimator is an ordinary import
at the top: ``sknmi.mi`` imports ``sknmi._base``, which therefore cannot
import ``sknmi.mi`` without an import circle.
"""

from typing import Any

from sknmi._parallel import seeded_clones
from sknmi.mi import NeuralMIEstimator


class WrapsMIEstimator:
    """What an estimator built on clones of an MI estimator shares.

    ``estimator`` (None: a :class:`~sknmi.NeuralMIEstimator` with
    ``_default_params``) is cloned for each fit, by the seeding rule of
    :func:`sknmi._parallel.seeded_clones`; the tags say that ``y`` (Z) is
    required and may have several columns.
    """

    _default_params: dict[str, Any] = {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        return tags

    def _base(self):
        if self.estimator is None:
            return NeuralMIEstimator(**self._default_params)
        return self.estimator

    def _clones(self, n, rng, *, force=False):
        """``n`` clones of the base estimator, seeded from ``rng`` by the one rule."""
        return seeded_clones(self._base(), n, rng, force=force)
