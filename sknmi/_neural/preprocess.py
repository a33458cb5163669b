"""Preprocessing of a neural fit: the one scaling and the rank map, fitted on some rows.

:class:`Standardiser` puts each column (or channel) at zero mean and unit
spread, chunk by chunk and without overflow. :class:`Preprocessor` is what
a network sees: each variable standardised, then (``quantile``) each
continuous column mapped through its ranks to a standard normal, class
labels untouched, all fitted on the training rows and applied chunk by
chunk so that the float64 copies stay the size of a chunk. The MI
estimators and the neural dependency measure share it.
"""

import numpy as np
import torch
from sklearn.preprocessing import QuantileTransformer

# Rows standardised at once: memory of a fit stays near the size of the data.
_CHUNK_ROWS = 65536
# A column whose spread is below this share of its largest magnitude is
# constant up to float64 rounding (a relative rule: MI does not depend on scale).
_CONSTANT_SPREAD = 64 * np.finfo(np.float64).eps


class Standardiser:
    """Zero mean and unit spread per column (or per channel), fitted on some rows.

    Statistics are computed in float64 on each column divided by its largest
    magnitude, so values near 1e-300 or 1e300 neither underflow nor overflow;
    the standardised values are cast to float32 only after scaling. A column
    is constant when its spread is below float64 rounding of its magnitude:
    it is centred and left unscaled.

    Parameters
    ----------
    channels : int or None
        When set, the columns are ``channels`` consecutive blocks (images
        flattened channels first) and each block shares one mean and spread.
    """

    def __init__(self, channels=None):
        self.channels = channels

    def _blocks(self, array, rows):
        for start in range(0, len(rows), _CHUNK_ROWS):
            block = np.asarray(array[rows[start : start + _CHUNK_ROWS]], np.float64)
            if self.channels is not None:
                c = self.channels
                block = block.reshape(len(block), c, -1).transpose(0, 2, 1)
                block = block.reshape(-1, c)
            yield block

    def fit(self, array, rows=None):
        """Fit on ``array[rows]`` (all rows when None); returns self."""
        rows = np.arange(len(array)) if rows is None else rows
        peak = 0.0
        for block in self._blocks(array, rows):
            peak = np.maximum(peak, np.abs(block).max(0))
        peak = np.where(peak > 0, peak, 1.0)
        # Chan et al.'s pairwise update, chunk by chunk, on values in [-1, 1].
        count, mean, m2 = 0, 0.0, 0.0
        for block in self._blocks(array, rows):
            block = block / peak
            n_b, mean_b = len(block), block.mean(0)
            delta, total = mean_b - mean, count + n_b
            m2 = m2 + ((block - mean_b) ** 2).sum(0) + delta**2 * count * n_b / total
            mean = mean + delta * n_b / total
            count = total
        spread = np.sqrt(m2 / count)
        self.constant_ = spread <= _CONSTANT_SPREAD
        spread = np.where(self.constant_, 1.0, spread)
        if self.channels is not None:
            pixels = np.shape(array)[1] // self.channels
            peak, mean, spread = (np.repeat(v, pixels) for v in (peak, mean, spread))
            self.constant_ = np.repeat(self.constant_, pixels)
        self._peak, self._mean, self._spread = peak, mean, spread
        return self

    @property
    def mean_(self):
        """Column means, in the units of the data."""
        return self._mean * self._peak

    @property
    def scale_(self):
        """Column spreads (1 for a constant column), in the units of the data."""
        return self._spread * self._peak

    def transform(self, array, rows=None, dtype=np.float32):
        """``(array[rows] - mean) / scale`` as a new array of ``dtype``."""
        rows = np.arange(len(array)) if rows is None else rows
        out = np.empty((len(rows), np.shape(array)[1]), dtype=dtype)
        for start in range(0, len(rows), _CHUNK_ROWS):
            chunk = rows[start : start + _CHUNK_ROWS]
            block = np.asarray(array[chunk], dtype=np.float64) / self._peak
            out[start : start + len(chunk)] = (block - self._mean) / self._spread
        return out

    def tensor(self, array, rows=None, device="cpu", dtype=torch.float32):
        """:meth:`transform` as a tensor on ``device``."""
        np_dtype = np.float64 if dtype == torch.float64 else np.float32
        return torch.from_numpy(self.transform(array, rows, np_dtype)).to(device)


# Rows put through the quantile transform at once.
_PREPROCESS_ROWS = 65536


class Preprocessor:
    """Variables as a network sees them, fitted on the training rows.

    Standardised first in any case: the quantile transform's thresholds are
    absolute, and MI does not depend on the scale of the data. With
    ``quantile``, every column of a continuous variable is then mapped
    through its ranks to a standard normal (an invertible map of each
    column: the MI is unchanged, heavy tails are tamed); class labels are
    never transformed.

    Parameters
    ----------
    quantile : bool
        Whether the rank map follows the standardisation.
    labels : tuple of int, default=()
        The positions of the variables that hold one-hot class labels.
    """

    def __init__(self, quantile, labels=()):
        self.quantile, self.labels = quantile, labels

    def fit(self, arrays, rows, seed):
        """Fit on the ``rows`` of each of ``arrays`` (all rows when None);
        ``seed`` seeds the quantile transform's subsample. Returns self."""
        self.scalers_ = [Standardiser().fit(A, rows) for A in arrays]
        self.quantiles_ = [
            _fit_quantiles(scaler.transform(A, rows, np.float64), seed)
            if self.quantile and i not in self.labels
            else None
            for i, (A, scaler) in enumerate(zip(arrays, self.scalers_))
        ]
        return self

    def tensors(self, arrays, device, rows=None, dtype=torch.float32):
        """Each of ``arrays`` (its ``rows``) preprocessed, as tensors of
        ``dtype`` on ``device``."""
        out = []
        rows = np.arange(len(arrays[0])) if rows is None else rows
        np_dtype = np.float64 if dtype == torch.float64 else np.float32
        for A, scaler, quantiles in zip(arrays, self.scalers_, self.quantiles_):
            if quantiles is None:
                out.append(scaler.tensor(A, rows, device, dtype))
                continue
            mapped = np.empty((len(rows), np.shape(A)[1]), dtype=np_dtype)
            for start in range(0, len(rows), _PREPROCESS_ROWS):
                chunk = rows[start : start + _PREPROCESS_ROWS]
                mapped[start : start + len(chunk)] = quantiles.transform(
                    scaler.transform(A, chunk, np.float64)
                )
            out.append(torch.from_numpy(mapped).to(device))
        return out


def _fit_quantiles(A, seed):
    return QuantileTransformer(
        n_quantiles=min(1000, len(A)),
        output_distribution="normal",
        subsample=100_000,
        random_state=int(seed),
    ).fit(A)
