"""InfoBottleneckTransformer: a stochastic code that keeps what predicts y."""

import math
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from sknmi import _torch, bounds
from sknmi._base import NeuralEstimator
from sknmi._neural.preprocess import Standardiser
from sknmi._neural.training import Adversary
from sknmi._scoring import information_scoring
from sknmi._typing import ArrayLike, RandomStateLike, Self
from sknmi._validation import (
    check_dense_target,
    check_no_dates,
    encode_labels,
    is_label_vector,
    validate_x,
)
from sknmi.nn import ACTIVATIONS, SeparableCritic, held_out_scores, pair_scores
from sknmi.nn._encoders import (
    SCALE_SHIFT,
    GaussianDecoder,
    GaussianEncoder,
    SoftmaxDecoder,
    gaussian_kl_to_standard,
)

__all__ = ["InfoBottleneckTransformer", "information_scoring"]

# With MINE the encoder starts noisy (sigma ~ 0.7): a near-deterministic code
# has a near-infinite I(X; Z) that no critic can estimate, and the game then
# starts from a critic that is hopelessly behind.
_MINE_SCALE_SHIFT = 0.0
# Code samples averaged by predict / predict_proba (Deep VIB uses 12).
_PREDICT_SAMPLES = 12
# MINE's moving average: weight of the old average.
_EMA_DECAY = 0.99
_CRITIC_EMBEDDING = 32
# Held-out MINE estimate: negatives per row.
_EVAL_NEGATIVES = 255


def _sample(mean, scale, generator):
    noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
    return mean + scale * noise.to(mean.device)


def _weighted(beta, term):
    """``beta * term``, and exactly 0 for ``beta = 0`` (never ``0 * inf = nan``)."""
    return beta * term if beta > 0 else torch.zeros_like(term)


# -- the I(X; Z) term: one strategy per ``mi_estimator`` ------------------------------


class _VariationalRate:
    """I(X; Z) <= E_x KL(p(z | x) || N(0, I)), in closed form (Deep VIB)."""

    scale_shift = SCALE_SHIFT

    def modules(self, x_features, hidden, n_components, activation):
        return {}

    def term(self, modules, x, mean, scale, z):
        return gaussian_kl_to_standard(mean, scale).mean()

    held_out = term

    def penalty(self, ixz):
        return ixz

    def adversaries(self, game, learning_rate):
        return ()


class _MineRate:
    """I(X; Z) >= DV of a critic of its own, which maximises it (MINE, §IB)."""

    scale_shift = _MINE_SCALE_SHIFT

    def modules(self, x_features, hidden, n_components, activation):
        return {
            "critic": SeparableCritic(
                x_features, n_components, hidden, _CRITIC_EMBEDDING, activation
            ),
            "mine": bounds.MovingAverageDV(_EMA_DECAY),
        }

    def term(self, modules, x, mean, scale, z):
        return bounds.dv(*pair_scores(modules["critic"], x, z, negatives="all"))

    def held_out(self, modules, x, mean, scale, z):
        scores = held_out_scores(modules["critic"], x, z, negatives=_EVAL_NEGATIVES)
        return bounds.dv(*scores)

    def penalty(self, ixz):
        # I(X; Z) >= max(0, DV): a negative MINE estimate only says that the
        # critic is behind, and descending it would let the encoder chase the
        # critic's blind spots instead of removing information.
        return ixz.clamp(min=0.0)

    def adversaries(self, game, learning_rate):
        critic = game.model["critic"]
        return (Adversary(list(critic.parameters()), game.critic_loss, learning_rate),)

    def critic_loss(self, modules, x, z):
        # The critic maximises the bound on the current (fixed) codes.
        return -modules["mine"](*pair_scores(modules["critic"], x, z, negatives="all"))


_RATES = {"variational": _VariationalRate, "mine": _MineRate}


def _is_classifier_fit(estimator):
    # Before fit the methods must exist (and raise NotFittedError); after a
    # regression fit predict_proba is not available.
    return getattr(estimator, "classes_", True) is not None


# -- the estimator ------------------------------------------------------------------


class InfoBottleneckTransformer(
    NeuralEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    r"""Information bottleneck: a stochastic code Z of X that keeps what predicts y.

    A Gaussian encoder ``p(z | x) = N(mu(x), diag sigma(x)^2)`` and a decoder
    ``q(y | z)`` are trained together by minibatch Adam on

    .. math:: \mathcal{L} = \underbrace{\mathbb{E}\left[-\log q(y \mid z)\right]}_
              {\text{cross-entropy} \,\geq\, H(Y \mid Z)}
              \;+\; \beta \, \hat I(X; Z),

    both terms in nats per row, so ``beta`` means the same on every data set
    and every batch size. Small ``beta`` gives a code as predictive as a plain
    network; large ``beta`` squeezes the code towards noise that says nothing
    about x (and so nothing about y). ``transform`` returns the encoder mean,
    a representation to feed to any other estimator.

    Inputs are standardised internally (and a continuous y too); a
    ``validation_fraction`` of the rows is held out for early stopping and for
    the held-out curves of ``history_``.

    Parameters
    ----------
    beta : float, default=1e-3
        Weight of the compression term, >= 0 (in nats of cross-entropy per nat
        of I(X; Z)). Sweep it on a log scale, e.g. ``np.logspace(-6, 0, 7)``.
    n_components : int, default=16
        Dimension of the code z.
    hidden_layer_sizes : tuple of int, default=(256, 256)
        Hidden widths of the encoder MLP (and of the MINE critic's two MLPs).
    activation : str, default="relu"
        Activation of the encoder (and critic): "relu", "tanh", "logistic",
        "identity", "elu", "gelu" or "leaky_relu".
    mi_estimator : {"variational", "mine"}, default="variational"
        The term that stands for I(X; Z):

        - ``"variational"``: ``KL(p(z | x) || N(0, I))`` averaged over rows, an
          upper bound on I(X; Z) in closed form (Deep VIB, Alemi et al. 2017).
        - ``"mine"``: a MINE estimate (Donsker–Varadhan lower bound) from a
          critic ``T(x, z)`` of its own (Belghazi et al. 2018, §IB). Training is
          a max–min game: before each encoder step the critic takes an Adam
          step of its own maximising the bound (with the moving-average
          gradient of MINE) on the current codes, then the encoder and decoder
          minimise cross-entropy + beta times the critic's bound.
    batch_size : int, default=128
        Rows per minibatch.
    learning_rate_init : float, default=1e-3
        Adam's learning rate (for the critic too).
    max_iter : int, default=200
        Maximum number of epochs.
    alpha : float, default=0.0
        L2 penalty (Adam's weight decay).
    early_stopping : bool, default=True
        Stop when the held-out objective has not improved by ``tol`` for
        ``n_iter_no_change`` epochs and restore the best state. When False all
        ``max_iter`` epochs run and the last state is kept.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping and the held-out history.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest improvement of the held-out objective that resets the patience.
    device : str, default="auto"
        "auto" (CUDA when available), "cpu", "cuda", "cuda:N" or "mps". With
        "auto" the fitted modules are moved back to the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the initial weights, the batches and the code noise,
        through generators of the estimator's own.
    verbose : int, default=0
        Print progress per epoch when positive.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        Maps standardised X to the ``(mean, scale)`` of p(z | x).
    decoder_ : torch.nn.Module
        The decoder q(y | z): logits of the classes, or the mean of the
        standardised target.
    critic_ : torch.nn.Module or None
        The MINE critic (``mi_estimator="mine"``), else None.
    classes_ : ndarray or None
        The class labels (classification), None for a continuous target.
    n_outputs_ : int
        Number of target columns (1 for class labels).
    target_entropy_ : float
        H(Y) in nats on the training split: the plug-in entropy of the class
        frequencies, or, for a continuous target, the entropy of a Gaussian with
        the standardised target's covariance (the largest entropy that
        covariance allows).
    history_ : dict of lists
        Per epoch: ``epoch``, ``seconds``, and for ``train`` (averaged over the
        epoch's minibatches) and ``validation`` (the held-out rows):
        ``<split>_objective`` (cross-entropy + beta I(X; Z)),
        ``<split>_ixz`` (the I(X; Z) term: the KL bound or the MINE estimate)
        and ``<split>_izy`` (``target_entropy_`` minus the cross-entropy).
    n_iter_ : int
        Number of epochs run.
    best_iter_ : int
        Epoch of the restored state.
    n_features_in_ : int
        Number of columns of X.
    feature_names_in_ : ndarray of str
        Column names of X, when X has them.

    See Also
    --------
    sknmi.bottleneck.information_scoring : scorers that let a search record
        I(X; Z) and I(Z; Y) per candidate.
    sknmi.plotting.InformationPlaneDisplay : the information plane of a fit or
        of a beta sweep.

    Notes
    -----
    The information bottleneck (Tishby et al.) seeks ``min H(Y | Z) + beta
    I(X; Z)``. Both terms are replaced by tractable ones:

    - ``H(Y | Z) <= E[-log q(y | z)]`` for any decoder q, so
      ``I(Z; Y) = H(Y) - H(Y | Z) >= H(Y) - CE``: the ``izy`` curves of
      ``history_`` are lower bounds for class labels. For a continuous target
      ``H(Y)`` is that of a Gaussian with the same covariance, an upper
      bound on the true entropy, so ``izy`` is then an estimate (exact for a
      Gaussian target).
    - ``I(X; Z) <= E_x KL(p(z | x) || r(z))`` for any r; with ``r = N(0, I)``
      it is the closed form ``(mu^2 + sigma^2 - 1 - log sigma^2) / 2`` summed
      over components (``"variational"``). MINE instead gives a lower bound
      with a critic, which the encoder then minimises (``"mine"``). The
      encoder minimises ``max(0, DV)`` (I(X; Z) >= 0): a negative estimate only
      says that the critic is behind. Where I(X; Z) is large (small ``beta``,
      nearly deterministic codes) the DV estimate has a variance that grows
      like ``e^I / n`` and its held-out value can be far off, even negative;
      the KL bound of ``"variational"`` is the steadier measure and
      optimiser. MINE's critic starts from noisy codes (``sigma ~ 0.7``) so
      that the game starts from a finite I(X; Z).

    Codes are ``z = mu(x) + sigma(x) * eps`` with ``eps ~ N(0, I)``
    (reparameterisation), ``sigma = 0.001 + softplus(raw - 5)``. The decoder is
    linear in z: a softmax for class labels, a Gaussian with a learned
    variance per output for a continuous target (standardised).

    ``score`` is the accuracy (class labels) or R² (continuous target) of the
    decoder, never the beta-dependent objective, so scores compare across
    ``beta`` and :class:`~sklearn.model_selection.GridSearchCV` can tune it.
    ``transform`` is the encoder mean; ``transform(X, sample=True)`` draws
    codes. ``predict_proba`` averages the decoder over 12 code draws with noise
    fixed at fit, so predictions are deterministic functions of each row.

    The estimator is a transformer, not a classifier, so a search given
    ``cv=5`` splits class labels with an unstratified ``KFold``: pass
    ``cv=StratifiedKFold(5)`` when the rows are sorted by class.

    A 1-D target of integers, booleans or strings is read as class labels; a
    float target (whatever its values) and every 2-D target as continuous: the
    rule of every sknmi estimator. Cast a float column of classes to ``int``
    to say that it holds classes.

    References
    ----------
    Tishby, Pereira & Bialek, "The information bottleneck method", 1999.
    Alemi, Fischer, Dillon & Murphy, "Deep Variational Information
    Bottleneck", ICLR 2017.
    Belghazi et al., "Mutual Information Neural Estimation", ICML 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknmi import InfoBottleneckTransformer
    >>> X, y = load_iris(return_X_y=True)
    >>> ib = InfoBottleneckTransformer(beta=1e-3, n_components=2,
    ...                                hidden_layer_sizes=(32,),
    ...                                learning_rate_init=1e-2, random_state=0)
    >>> ib.fit(X, y).transform(X).shape
    (150, 2)
    >>> ib.score(X, y) > 0.8
    True
    """

    _parameter_constraints = {
        **NeuralEstimator._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "mi_estimator": [StrOptions({"variational", "mine"})],
    }

    def __init__(
        self,
        beta=1e-3,
        n_components=16,
        hidden_layer_sizes=(256, 256),
        activation="relu",
        mi_estimator="variational",
        batch_size=128,
        learning_rate_init=1e-3,
        max_iter=200,
        alpha=0.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.beta = beta
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.mi_estimator = mi_estimator
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    _fitted_modules = ("encoder_", "decoder_", "critic_")
    _requires_target = True

    @property
    def _n_features_out(self):
        return self.n_components

    # -- targets -------------------------------------------------------------------

    def _encode_target(self, y):
        """Set classes_ / n_outputs_ and return the target as the decoder sees it.

        Returns integer class codes (classification) or the raw float target of
        shape (n, n_outputs) (regression).
        """
        if y.ndim == 2 and y.shape[1] == 1 and is_label_vector(y.ravel()):
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is "
                "read as class labels and raveled.",
                DataConversionWarning,
                stacklevel=3,
            )
            y = y.ravel()
        if is_label_vector(y):
            codes, self.classes_ = encode_labels(y)
            if len(self.classes_) < 2:
                raise ValueError(
                    "y has only one class "
                    f"({self.classes_[0]!r}); the bottleneck needs at least 2 "
                    "classes (or a continuous target)"
                )
            self.n_outputs_ = 1
            return codes.astype(np.int64)
        try:
            values = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "a 2-D y must be numeric (continuous targets); class labels must "
                f"be 1-D: {exc}"
            ) from exc
        self._y_1d = values.ndim == 1
        values = values.reshape(len(values), -1)
        self.classes_ = None
        self.n_outputs_ = values.shape[1]
        return values

    # -- fit -------------------------------------------------------------------------

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Train the encoder and decoder on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a continuous target (1-D or 2-D).

        Returns
        -------
        self : InfoBottleneckTransformer
        """
        with self._atomic():
            return self._fit(X, y)

    def _fit(self, X, y):
        hidden = self._check_training_params()
        check_dense_target(y)
        check_no_dates(X, "X")
        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            dtype=[np.float64, np.float32],
            ensure_min_samples=4,
        )
        target = self._encode_target(y)
        train_rows, val_rows, seeds = self._split(X.shape[0], n_seeds=4)
        init_seed, batch_seed, val_seed, eval_seed = seeds
        self._fit_scaling(X, target, train_rows, eval_seed)
        rate = _RATES[self.mi_estimator]()
        device = _torch.resolve_device(self.device)
        model = _torch.build_module(
            partial(self._make_modules, X.shape[1], hidden, rate), init_seed
        ).to(device)
        generator = _torch.make_generator(batch_seed)
        game = _BottleneckGame(
            model,
            rate,
            self._tensors(X, target, train_rows, device),
            self._tensors(X, target, val_rows, device),
            n_components=self.n_components,
            beta=float(self.beta),
            target_entropy=self.target_entropy_,
            generator=generator,
            val_generator=_torch.make_generator(val_seed),
            learning_rate=self.learning_rate_init,
        )
        self._train(game, generator=generator, device=device)
        self._finish(model)
        self.encoder_ = model["encoder"]
        self.decoder_ = model["decoder"]
        self.critic_ = model["critic"] if "critic" in model else None
        return self

    def _fit_scaling(self, X, target, train_rows, eval_seed):
        """The input scaling, H(Y) and the code noise of the predictions."""
        self._x_scaler = Standardiser().fit(X, train_rows)
        if self.classes_ is not None:
            counts = np.bincount(target[train_rows], minlength=len(self.classes_))
            p = counts[counts > 0] / counts.sum()
            self.target_entropy_ = float(-(p * np.log(p)).sum())
        else:
            self._y_scaler = Standardiser().fit(target, train_rows)
            self.target_entropy_ = _gaussian_entropy(
                self._y_scaler.transform(target, train_rows, np.float64)
            )
        self._eval_seed = int(eval_seed)
        self._predict_noise = torch.randn(
            (_PREDICT_SAMPLES, self.n_components),
            generator=_torch.make_generator(eval_seed),
            dtype=torch.float64,
        ).numpy()

    def _make_modules(self, n_features, hidden, rate):
        n_out = len(self.classes_) if self.classes_ is not None else self.n_outputs_
        decoder = SoftmaxDecoder if self.classes_ is not None else GaussianDecoder
        return nn.ModuleDict(
            {
                "encoder": GaussianEncoder(
                    n_features,
                    hidden,
                    self.n_components,
                    self.activation,
                    rate.scale_shift,
                ),
                "decoder": decoder(self.n_components, n_out),
                **rate.modules(n_features, hidden, self.n_components, self.activation),
            }
        )

    def _tensors(self, X, target, rows, device):
        """The standardised inputs and the decoder's targets of ``rows``."""
        return (
            _torch.to_tensor(self._standardise(X[rows]), device),
            self._target_tensor(target[rows], device, torch.float32),
        )

    # -- array-level helpers ----------------------------------------------------------

    def _standardise(self, X):
        return self._x_scaler.transform(X, dtype=np.float64)

    def _target_tensor(self, target, device, dtype):
        if self.classes_ is not None:
            return torch.as_tensor(target, dtype=torch.int64, device=device)
        return _torch.to_tensor(
            self._y_scaler.transform(target, dtype=np.float64), device, dtype
        )

    def _encode(self, X):
        dtype = _torch.torch_dtype(X)
        x = _torch.to_tensor(
            self._standardise(X), _torch.module_device(self.encoder_), dtype
        )
        with torch.no_grad():
            mean, scale = _torch.in_dtype(self.encoder_, dtype)(x)
        return x, mean, scale, dtype

    def _proba(self, X):
        _, mean, scale, dtype = self._encode(X)
        decoder = _torch.in_dtype(self.decoder_, dtype)
        noise = torch.as_tensor(self._predict_noise, dtype=dtype, device=mean.device)
        with torch.no_grad():
            proba = sum(F.softmax(decoder(mean + scale * e), dim=-1) for e in noise)
        return (proba / len(noise)).cpu().numpy()

    def _predict(self, X):
        if self.classes_ is not None:
            return self.classes_[self._proba(X).argmax(1)]
        _, mean, _, dtype = self._encode(X)
        with torch.no_grad():
            out = _torch.in_dtype(self.decoder_, dtype)(mean).cpu().numpy()
        out = out * self._y_scaler.scale_ + self._y_scaler.mean_
        return out.ravel() if self._y_1d else out

    def _information(self, X, target):
        x, mean, scale, dtype = self._encode(X)
        decoder = _torch.in_dtype(self.decoder_, dtype)
        y = self._target_tensor(target, mean.device, dtype)
        noise = torch.randn(
            mean.shape, generator=_torch.make_generator(self._eval_seed), dtype=dtype
        ).to(mean.device)
        with torch.no_grad():
            z = mean + scale * noise
            ce = float(decoder.nll(z, y).mean())
            rate = _RATES[self.mi_estimator]()
            modules = {"critic": _torch.in_dtype(self.critic_, dtype)}
            ixz = float(rate.held_out(modules, x, mean, scale, z))
        return ixz, self.target_entropy_ - ce

    # -- public inference -------------------------------------------------------------

    def transform(
        self,
        X: ArrayLike,
        *,
        sample: bool = False,
        random_state: RandomStateLike = None,
    ) -> np.ndarray:
        """Codes of X: the encoder mean, or one draw of z per row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        sample : bool, default=False
            If True, return ``z = mu(x) + sigma(x) * eps`` (one draw per row)
            instead of the deterministic mean ``mu(x)``.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw when ``sample`` is True.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            In X's float type (float32 stays float32).
        """
        check_is_fitted(self)
        X = validate_x(self, X, reset=False)
        _, mean, scale, _ = self._encode(X)
        if sample:
            seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
            mean = _sample(mean, scale, _torch.make_generator(seed))
        return mean.cpu().numpy()

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels, or the predicted continuous target.

        Class labels maximise the decoder's probabilities averaged over code
        draws (:meth:`predict_proba`); a continuous prediction is the decoder
        mean at the encoder mean (the average over codes, as the decoder is
        linear).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        X = validate_x(self, X, reset=False)
        return self._predict(X)

    @available_if(_is_classifier_fit)
    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities of the decoder, averaged over 12 code draws.

        Only for class labels. The draws use noise fixed at fit, so the result
        is a deterministic function of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_x(self, X, reset=False)
        return self._proba(X)

    def _checked_xy(self, X, y):
        check_is_fitted(self)
        X, y = validate_data(
            self,
            X,
            y,
            reset=False,
            multi_output=True,
            dtype=[np.float64, np.float32],
            y_numeric=self.classes_ is None,
        )
        if self.classes_ is None:
            y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
            if y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"y has {y.shape[1]} columns, but {type(self).__name__} was "
                    f"fitted with {self.n_outputs_}"
                )
        elif y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        return X, y

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy (class labels) or R² (continuous target) of the decoder.

        Independent of ``beta``, so that searches compare candidates fairly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels or target.

        Returns
        -------
        score : float
        """
        X, y = self._checked_xy(X, y)
        if self.classes_ is not None:
            return float(accuracy_score(y, self._predict(X)))
        return float(r2_score(y, self._predict(X).reshape(y.shape)))

    def information_plane(self, X, y):
        """Held-out coordinates of the information plane, in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, at least 2 rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels seen in fit, or the continuous target.

        Returns
        -------
        ixz : float
            The I(X; Z) term on these rows: the mean KL to N(0, I) (an upper
            bound), or the critic's Donsker–Varadhan bound (``"mine"``, one
            code draw per row, fixed partners).
        izy : float
            ``target_entropy_`` minus the decoder's cross-entropy on one code
            draw per row (a lower bound on I(Z; Y) for class labels).
        """
        X, y = self._checked_xy(X, y)
        if X.shape[0] < 2:
            raise ValueError("information_plane needs at least 2 rows")
        if self.classes_ is not None:
            y, _ = encode_labels(y, self.classes_)
        return self._information(X, y)


# -- the game -----------------------------------------------------------------------


class _BottleneckGame:
    """The bottleneck's game: the encoder and decoder minimise cross-entropy +
    beta I(X; Z), per row in nats; with MINE, the critic, an adversary with its
    own optimiser, maximises its bound on the current codes."""

    plausible = None

    def __init__(
        self,
        model,
        rate,
        train,
        held_out,
        *,
        n_components,
        beta,
        target_entropy,
        generator,
        val_generator,
        learning_rate,
    ):
        self.model, self.rate, self.generator = model, rate, generator
        self.encoder, self.decoder = model["encoder"], model["decoder"]
        (self.Xt, self.Yt), (self.Xv, self.Yv) = train, held_out
        self.n_samples = self.Xt.shape[0]
        self.beta, self.target_entropy = beta, target_entropy
        # The held-out codes use the same noise every epoch, so that the
        # held-out objective moves only with the weights.
        self.val_noise = torch.randn(
            (self.Xv.shape[0], n_components), generator=val_generator
        ).to(self.Xv.device)
        self.adversaries = rate.adversaries(self, learning_rate)

    def loss(self, batch):
        """Cross-entropy + beta I(X; Z) on one draw of the codes of ``batch``."""
        x = self.Xt[batch]
        mean, scale = self.encoder(x)
        z = _sample(mean, scale, self.generator)
        ce = self.decoder.nll(z, self.Yt[batch]).mean()
        ixz = self.rate.term(self.model, x, mean, scale, z)
        beta, penalty = self.beta, self.rate.penalty
        return ce + _weighted(beta, penalty(ixz)), {
            "objective": ce + _weighted(beta, penalty(ixz.detach())),
            "ixz": ixz,
            "izy": self.target_entropy - ce,
        }

    def critic_loss(self, batch):
        """The MINE critic's loss on the codes of ``batch``, drawn without gradients."""
        x = self.Xt[batch]
        with torch.no_grad():
            z = _sample(*self.encoder(x), self.generator)
        return self.rate.critic_loss(self.model, x, z)

    def validate(self):
        """Minus the objective on the held-out rows, with the fixed code noise."""
        mean, scale = self.encoder(self.Xv)
        z = mean + scale * self.val_noise
        ce = self.decoder.nll(z, self.Yv).mean()
        ixz = self.rate.held_out(self.model, self.Xv, mean, scale, z)
        objective = ce + _weighted(self.beta, self.rate.penalty(ixz))
        return -objective, {
            "validation_objective": objective,
            "validation_ixz": ixz,
            "validation_izy": self.target_entropy - ce,
        }


def _gaussian_entropy(values):
    """Entropy (nats) of a Gaussian with the covariance of ``values`` (n, d)."""
    d = values.shape[1]
    cov = np.atleast_2d(np.cov(values, rowvar=False))
    eig = np.clip(np.linalg.eigvalsh(cov), 1e-12, None)
    return float(0.5 * (d * math.log(2 * math.pi * math.e) + np.log(eig).sum()))
