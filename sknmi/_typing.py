"""Type aliases of the public signatures (for type checkers and readers)."""

import sys

import numpy as np
from numpy.typing import ArrayLike, NDArray

if sys.version_info >= (3, 11):
    from typing import Self
else:  # pragma: no cover - Python 3.10
    from typing_extensions import Self

__all__ = ["ArrayLike", "NDArray", "RandomStateLike", "Self"]

#: What every ``random_state`` accepts, as in scikit-learn.
RandomStateLike = int | np.random.RandomState | None
