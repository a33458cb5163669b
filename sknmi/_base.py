"""The private base of the neural estimators: what every one of them shares.

:class:`NeuralEstimator` owns the training parameters and their constraints,
the seeded train / validation split, the hand-over to the one training loop,
the finish (``eval()`` mode, back to the CPU for ``device="auto"``), atomic
fits, CPU-safe pickling and the tags. An estimator adds its modules, its game
and its read-out.
"""

import contextlib
import copy
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from sknmi._folds import split_rows
from sknmi._neural.training import Settings, train
from sknmi._torch import module_device
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
    _fitted_modules: tuple[str, ...] = ()
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

    # -- fit template -------------------------------------------------------------

    def _check_training_params(self):
        """Validate every parameter; return the hidden layer sizes as a tuple."""
        self._validate_params()
        check_device(self.device)
        return check_hidden_layer_sizes(self.hidden_layer_sizes)

    @contextlib.contextmanager
    def _atomic(self):
        """A fit inside leaves the estimator as it was if it raises."""
        saved = dict(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _split(self, n, n_seeds=2):
        """Train and held-out rows, and ``n_seeds`` seeds, from ``random_state``."""
        return split_rows(n, self.validation_fraction, self.random_state, n_seeds)

    def _settings(self, batch_size=None, schedule="constant", learning_rate=None):
        """The :class:`~sknmi._neural.training.Settings` of these parameters."""
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
        """Play ``game`` (:mod:`sknmi._neural.training`) with these settings.

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
