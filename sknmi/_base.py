"""The private base of the neural estimators: what every one of them shares.

:class:`NeuralEstimator` owns the training parameters and their constraints,
the seeded train / validation split, the hand-over to the one training loop,
the finish (``eval()`` mode, back to the CPU for ``device="auto"``), atomic
fits, CPU-safe pickling and the tags. :class:`Standardiser` is the one
scaling, fitted on the training rows. An estimator adds its modules, its loss
and its read-out.
"""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from sknmi._folds import split_rows
from sknmi._torch import module_device
from sknmi._training import Settings, train
from sknmi._validation import check_device, check_hidden_layer_sizes

#: Constraints of the training parameters every neural estimator shares (the
#: names of MLPRegressor where the idea is the same); each estimator adds its own.
TRAINING_CONSTRAINTS = {
    "batch_size": [Interval(Integral, 2, None, closed="left")],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

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


class NeuralEstimator:
    """Private base (a mixin) of the estimators that train torch modules.

    Subclasses list their parameters in ``__init__`` as usual, extend
    ``_parameter_constraints`` with their own, and name their fitted modules in
    ``_fitted_modules`` (moved to the CPU for pickling). Put this class first
    among the bases and :class:`~sklearn.base.BaseEstimator` last, so that its
    tags see those of scikit-learn's mixins.
    """

    _parameter_constraints = dict(TRAINING_CONSTRAINTS)
    #: Names of the fitted torch modules.
    _fitted_modules = ()
    #: Whether ``fit`` needs the second argument.
    _requires_target = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self._requires_target:
            tags.target_tags.required = True
            tags.target_tags.single_output = True
            tags.target_tags.multi_output = True
        if tags.transformer_tags is not None:
            # Inference runs in the input's float type (float64 for float64).
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _store_params(self, params):
        """Store the arguments of ``__init__`` unchanged, as scikit-learn asks.

        Called as ``self._store_params(locals())``: the signature is the one
        list of parameters, and no assignment is written twice.
        """
        for name, value in params.items():
            if name != "self":
                setattr(self, name, value)

    # -- fit template -------------------------------------------------------------

    def _check_training_params(self):
        """Validate every parameter; return the hidden layer sizes as a tuple."""
        self._validate_params()
        check_device(self.device)
        return check_hidden_layer_sizes(self.hidden_layer_sizes)

    def _fit_atomically(self, fit, *args):
        """Run ``fit(*args)``; if it raises, leave the estimator as it was."""
        saved = dict(self.__dict__)
        try:
            return fit(*args)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _split(self, n, n_seeds=2):
        """Train and held-out rows, and ``n_seeds`` seeds, from ``random_state``."""
        return split_rows(n, self.validation_fraction, self.random_state, n_seeds)

    def _settings(self, batch_size=None, schedule="constant", learning_rate=None):
        """The :class:`~sknmi._training.Settings` of this estimator's parameters."""
        return Settings(
            batch_size=self.batch_size if batch_size is None else batch_size,
            learning_rate=(
                self.learning_rate_init if learning_rate is None else learning_rate
            ),
            max_iter=self.max_iter,
            alpha=self.alpha,
            early_stopping=self.early_stopping,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            schedule=schedule,
            verbose=self.verbose,
            name=type(self).__name__,
        )

    def _train(self, game, *, generator, device, settings=None):
        """Play ``game`` (see :mod:`sknmi._training`) with this estimator's settings.

        Sets ``history_``, ``n_iter_`` and ``best_iter_``.
        """
        result = train(
            game,
            self._settings() if settings is None else settings,
            generator=generator,
            device=device,
        )
        self.history_ = result.history
        self.n_iter_ = result.n_iter
        self.best_iter_ = result.best_epoch
        return result

    def _finish(self, model):
        """``eval()`` mode, and back to the CPU when the device was "auto"."""
        model.eval()
        if self.device == "auto":
            model.to("cpu")
        return model

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in self._fitted_modules:
            module = state.get(key)
            if module is not None and module_device(module).type != "cpu":
                # Pickles load on machines without the fitting device.
                state[key] = copy.deepcopy(module).to("cpu")
        return state
