"""InfoBottleneckTransformer: a stochastic code that keeps what predicts y."""

import copy
import math
import warnings
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
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from sknmi import bounds
from sknmi._training import (
    Adversary,
    build_module,
    fit_estimator,
    make_generator,
    module_device,
    resolve_device,
    to_tensor,
)
from sknmi._validation import (
    TRAINING_CONSTRAINTS,
    check_device,
    check_hidden_layer_sizes,
    validate_x,
)
from sknmi.nn import ACTIVATIONS, MLP, SeparableCritic, pair_scores

__all__ = ["InfoBottleneckTransformer", "information_scoring"]

# The encoder's scale is MIN_SCALE + softplus(raw - SCALE_SHIFT): positive, never
# below MIN_SCALE (so the KL rate and its gradient stay finite), and close to
# deterministic at initialisation (softplus(-5) ~ 0.007), as in Deep VIB.
_MIN_SCALE = 1e-3
_SCALE_SHIFT = 5.0
# With MINE the encoder starts noisy (sigma ~ 0.7): a near-deterministic code
# has a near-infinite I(X; Z) that no critic can estimate, and the game then
# starts from a critic that is hopelessly behind.
_MINE_SCALE_SHIFT = 0.0
# Code samples averaged by predict / predict_proba (Deep VIB uses 12).
_PREDICT_SAMPLES = 12
# MINE's moving average: weight of the old average.
_EMA_DECAY = 0.99
_CRITIC_EMBEDDING = 32

# Held-out MINE estimate: negatives per row and rows per chunk (memory O(chunk^2)).
_EVAL_NEGATIVES = 255
_EVAL_CHUNK = 1024
# Gaussian decoder: log-variance kept where exp() is safe in float32.
_LOG_VAR_RANGE = (-14.0, 14.0)


# -- torch modules ----------------------------------------------------------------


class _GaussianEncoder(nn.Module):
    """x -> (mean, scale) of a diagonal Gaussian p(z | x)."""

    def __init__(self, in_features, hidden_layer_sizes, n_components, activation,
                 scale_shift=_SCALE_SHIFT):
        super().__init__()
        self.n_components = n_components
        self.scale_shift = scale_shift
        self.net = MLP(in_features, hidden_layer_sizes, 2 * n_components, activation)

    def forward(self, x):
        mean, raw = self.net(x).split(self.n_components, dim=-1)
        return mean, _MIN_SCALE + F.softplus(raw - self.scale_shift)


class _SoftmaxDecoder(nn.Module):
    """q(y | z): a linear softmax over the classes."""

    def __init__(self, n_components, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_components, n_classes)

    def forward(self, z):
        return self.linear(z)

    def nll(self, z, target):
        """-log q(y | z) per row, in nats."""
        return F.cross_entropy(self.linear(z), target, reduction="none")


class _GaussianDecoder(nn.Module):
    """q(y | z) = N(W z + b, diag(exp(log_var))): linear mean, learned variance."""

    def __init__(self, n_components, n_outputs):
        super().__init__()
        self.linear = nn.Linear(n_components, n_outputs)
        self.log_var = nn.Parameter(torch.zeros(n_outputs))

    def forward(self, z):
        return self.linear(z)

    def nll(self, z, target):
        """-log q(y | z) per row (summed over outputs), in nats."""
        log_var = self.log_var.clamp(*_LOG_VAR_RANGE)
        sq = (target - self.linear(z)) ** 2 * torch.exp(-log_var)
        return 0.5 * (math.log(2 * math.pi) + log_var + sq).sum(-1)


def _gaussian_kl(mean, scale):
    """KL(N(mean, scale^2) || N(0, I)) per row, summed over components (nats)."""
    return 0.5 * (mean**2 + scale**2 - 1.0 - 2.0 * torch.log(scale)).sum(-1)


def _sample(mean, scale, generator):
    noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
    return mean + scale * noise.to(mean.device)


def _held_out_dv(critic, x, z):
    """DV bound of ``critic`` with fixed partners, in chunks (deterministic)."""
    n = x.shape[0]
    k = min(_EVAL_NEGATIVES, n - 1)
    chunk = max(k + 1, _EVAL_CHUNK)
    starts = list(range(0, n, chunk))
    if len(starts) > 1 and n - starts[-1] < k + 1:
        starts.pop()  # the short tail joins the chunk before it
    ends = starts[1:] + [n]
    joint, marginal = [], []
    for a, b in zip(starts, ends):
        j, m = pair_scores(critic, x[a:b], z[a:b], negatives=k)
        joint.append(j)
        marginal.append(m)
    return bounds.dv(torch.cat(joint), torch.cat(marginal))


def _in_dtype(module, dtype):
    """``module`` itself for float32, else a copy converted to ``dtype``."""
    if dtype == torch.float32:
        return module
    return copy.deepcopy(module).to(dtype)


def _is_classifier_fit(estimator):
    # Before fit the methods must exist (and raise NotFittedError); after a
    # regression fit predict_proba is not available.
    return getattr(estimator, "classes_", True) is not None


# -- the estimator ------------------------------------------------------------------


class InfoBottleneckTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
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

    A 1-D target of type "binary" or "multiclass" (see
    :func:`~sklearn.utils.multiclass.type_of_target`: strings, integers, and
    floats that are all whole numbers) is read as class labels; any other
    numeric target, and every 2-D target, as continuous.

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
        **TRAINING_CONSTRAINTS,
        "beta": [Interval(Real, 0, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [
            "array-like", Interval(Integral, 1, None, closed="left")
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self):
        return self.n_components

    # -- targets -------------------------------------------------------------------

    def _encode_target(self, y):
        """Set classes_ / n_outputs_ and return the target as the decoder sees it.

        Returns integer class codes (classification) or the raw float target of
        shape (n, n_outputs) (regression).
        """
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if y.ndim == 2 and y.shape[1] == 1 and kind in ("binary", "multiclass"):
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is "
                "read as class labels and raveled.",
                DataConversionWarning,
                stacklevel=3,
            )
            y = y.ravel()
        if y.ndim == 1 and kind in ("binary", "multiclass"):
            if y.dtype.kind == "O" and any(v is None for v in y):
                raise ValueError("y contains missing class labels (None)")
            try:
                self.classes_, codes = np.unique(y, return_inverse=True)
            except TypeError as exc:
                raise ValueError(
                    f"y mixes class labels of different types: {exc}"
                ) from exc
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

    def fit(self, X, y):
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
        self._validate_params()
        check_device(self.device)
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        X, y = validate_data(
            self, X, y, multi_output=True, dtype=[np.float64, np.float32],
            ensure_min_samples=4,
        )
        target = self._encode_target(y)
        classification = self.classes_ is not None
        n = X.shape[0]
        n_val = max(2, math.ceil(self.validation_fraction * n))
        if n - n_val < 2:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves {n - n_val} "
                f"training rows of {n}; need at least 2"
            )
        rng = check_random_state(self.random_state)
        init_seed, batch_seed, val_seed, eval_seed = rng.randint(
            np.iinfo(np.int32).max, size=4
        )
        order = rng.permutation(n)
        val_rows, train_rows = order[:n_val], order[n_val:]
        self._x_mean = X[train_rows].mean(0)
        self._x_scale = _safe_scale(X[train_rows].std(0))
        if classification:
            counts = np.bincount(target[train_rows], minlength=len(self.classes_))
            p = counts[counts > 0] / counts.sum()
            self.target_entropy_ = float(-(p * np.log(p)).sum())
        else:
            self._y_mean = target[train_rows].mean(0)
            self._y_scale = _safe_scale(target[train_rows].std(0))
            self.target_entropy_ = _gaussian_entropy(
                (target[train_rows] - self._y_mean) / self._y_scale
            )
        self._eval_seed = int(eval_seed)
        self._predict_noise = torch.randn(
            (_PREDICT_SAMPLES, self.n_components), generator=make_generator(eval_seed),
            dtype=torch.float64,
        ).numpy()

        device = resolve_device(self.device)
        Xt = to_tensor(self._standardise(X[train_rows]), device)
        Xv = to_tensor(self._standardise(X[val_rows]), device)
        Yt = self._target_tensor(target[train_rows], device, torch.float32)
        Yv = self._target_tensor(target[val_rows], device, torch.float32)
        n_out = len(self.classes_) if classification else self.n_outputs_
        mine = self.mi_estimator == "mine"

        def make_modules():
            modules = {
                "encoder": _GaussianEncoder(
                    X.shape[1], hidden, self.n_components, self.activation,
                    _MINE_SCALE_SHIFT if mine else _SCALE_SHIFT,
                ),
                "decoder": (_SoftmaxDecoder if classification else _GaussianDecoder)(
                    self.n_components, n_out
                ),
            }
            if mine:
                modules["critic"] = SeparableCritic(
                    X.shape[1], self.n_components, hidden, _CRITIC_EMBEDDING,
                    self.activation,
                )
                modules["mine"] = bounds.MovingAverageDV(_EMA_DECAY)
            return nn.ModuleDict(modules)

        model = build_module(make_modules, init_seed).to(device)
        encoder, decoder = model["encoder"], model["decoder"]
        critic = model["critic"] if mine else None
        generator = make_generator(batch_seed)
        val_noise = torch.randn(
            (len(val_rows), self.n_components), generator=make_generator(val_seed)
        ).to(device)
        beta = float(self.beta)
        h_y = self.target_entropy_

        def penalty(ixz):
            # I(X; Z) >= max(0, DV): a negative MINE estimate only says that the
            # critic is behind, and descending it would let the encoder chase
            # the critic's blind spots instead of removing information.
            return ixz.clamp(min=0.0) if mine else ixz

        def loss(batch):
            x = Xt[batch]
            mean, scale = encoder(x)
            z = _sample(mean, scale, generator)
            ce = decoder.nll(z, Yt[batch]).mean()
            if mine:
                ixz = bounds.dv(*pair_scores(critic, x, z, negatives="all"))
            else:
                ixz = _gaussian_kl(mean, scale).mean()
            # beta = 0 must not turn an infinite MINE estimate into a NaN loss.
            objective = ce + beta * penalty(ixz) if beta > 0 else ce
            return objective, {
                "objective": ce + beta * penalty(ixz.detach()),
                "ixz": ixz,
                "izy": h_y - ce,
            }

        adversaries = ()
        if mine:

            def critic_loss(batch):
                x = Xt[batch]
                with torch.no_grad():
                    z = _sample(*encoder(x), generator)
                # The critic maximises the bound on the current (fixed) codes.
                return -model["mine"](*pair_scores(critic, x, z, negatives="all"))

            adversaries = (
                Adversary(list(critic.parameters()), critic_loss,
                          self.learning_rate_init),
            )

        def validate():
            mean, scale = encoder(Xv)
            z = mean + scale * val_noise
            ce = decoder.nll(z, Yv).mean()
            ixz = _held_out_dv(critic, Xv, z) if mine else _gaussian_kl(
                mean, scale).mean()
            objective = ce + beta * penalty(ixz)
            return -objective, {
                "validation_objective": objective,
                "validation_ixz": ixz,
                "validation_izy": h_y - ce,
            }

        fit_estimator(
            self, model, loss, len(train_rows), validate=validate,
            generator=generator, device=device, adversaries=adversaries,
        )
        model.eval()
        if self.device == "auto":
            model.to("cpu")
        self.encoder_ = encoder
        self.decoder_ = decoder
        self.critic_ = critic
        return self

    # -- array-level helpers ----------------------------------------------------------

    def _standardise(self, X):
        return (X - self._x_mean) / self._x_scale

    def _target_tensor(self, target, device, dtype):
        if self.classes_ is not None:
            return torch.as_tensor(target, dtype=torch.int64, device=device)
        return to_tensor((target - self._y_mean) / self._y_scale, device, dtype)

    def _inputs(self, X):
        """Standardised X as a tensor in X's float type, and that type."""
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        device = module_device(self.encoder_)
        return to_tensor(self._standardise(X), device, dtype), dtype

    def _encode(self, X):
        x, dtype = self._inputs(X)
        with torch.no_grad():
            mean, scale = _in_dtype(self.encoder_, dtype)(x)
        return x, mean, scale, dtype

    def _proba(self, X):
        _, mean, scale, dtype = self._encode(X)
        decoder = _in_dtype(self.decoder_, dtype)
        noise = torch.as_tensor(self._predict_noise, dtype=dtype, device=mean.device)
        with torch.no_grad():
            proba = sum(F.softmax(decoder(mean + scale * e), dim=-1) for e in noise)
        return (proba / len(noise)).cpu().numpy()

    def _predict(self, X):
        if self.classes_ is not None:
            return self.classes_[self._proba(X).argmax(1)]
        _, mean, _, dtype = self._encode(X)
        with torch.no_grad():
            out = _in_dtype(self.decoder_, dtype)(mean).cpu().numpy()
        out = out * self._y_scale + self._y_mean
        return out.ravel() if self._y_1d else out

    def _information(self, X, target):
        x, mean, scale, dtype = self._encode(X)
        decoder = _in_dtype(self.decoder_, dtype)
        y = self._target_tensor(target, mean.device, dtype)
        noise = torch.randn(mean.shape, generator=make_generator(self._eval_seed),
                            dtype=dtype).to(mean.device)
        with torch.no_grad():
            z = mean + scale * noise
            ce = float(decoder.nll(z, y).mean())
            if self.critic_ is None:
                ixz = float(_gaussian_kl(mean, scale).mean())
            else:
                ixz = float(_held_out_dv(_in_dtype(self.critic_, dtype), x, z))
        return ixz, self.target_entropy_ - ce

    # -- public inference -------------------------------------------------------------

    def transform(self, X, *, sample=False, random_state=None):
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
            mean = _sample(mean, scale, make_generator(seed))
        return mean.cpu().numpy()

    def predict(self, X):
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
    def predict_proba(self, X):
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
            self, X, y, reset=False, multi_output=True,
            dtype=[np.float64, np.float32], y_numeric=self.classes_ is None,
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

    def score(self, X, y):
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
            codes = np.searchsorted(self.classes_, y)
            codes = np.clip(codes, 0, len(self.classes_) - 1)
            unseen = self.classes_[codes] != y
            if unseen.any():
                raise ValueError(
                    f"y has class labels not seen in fit: {np.unique(y[unseen])[:5]}"
                )
            y = codes
        return self._information(X, y)

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("encoder_", "decoder_", "critic_"):
            module = state.get(key)
            if module is not None and module_device(module).type != "cpu":
                # Pickles load on machines without the fitting device.
                state[key] = copy.deepcopy(module).to("cpu")
        return state


def _safe_scale(scale):
    # A constant column carries no information; dividing it by ~0 would only
    # blow up rounding noise.
    return np.where(scale > 1e-12, scale, 1.0)


def _gaussian_entropy(values):
    """Entropy (nats) of a Gaussian with the covariance of ``values`` (n, d)."""
    d = values.shape[1]
    cov = np.atleast_2d(np.cov(values, rowvar=False))
    eig = np.clip(np.linalg.eigvalsh(cov), 1e-12, None)
    return float(0.5 * (d * math.log(2 * math.pi * math.e) + np.log(eig).sum()))


# -- scorers for searches --------------------------------------------------------


def _find_bottleneck(estimator, X=None):
    """The InfoBottleneckTransformer in ``estimator`` (itself or a Pipeline step).

    Returns the bottleneck and ``X`` carried through the pipeline steps before
    it (``X`` unchanged when it is None or the estimator is the bottleneck).
    """
    if isinstance(estimator, InfoBottleneckTransformer):
        return estimator, X
    for _, step in getattr(estimator, "steps", ()):
        if isinstance(step, InfoBottleneckTransformer):
            return step, X
        if step is None or step == "passthrough":
            continue
        if X is not None:
            X = step.transform(X)
    raise ValueError(
        f"{type(estimator).__name__} is not an InfoBottleneckTransformer nor a "
        "Pipeline with one among its steps"
    )


def _score(estimator, X, y):
    return estimator.score(X, y)


def _ixz(estimator, X, y):
    bottleneck, Xt = _find_bottleneck(estimator, X)
    return bottleneck.information_plane(Xt, y)[0]


def _izy(estimator, X, y):
    bottleneck, Xt = _find_bottleneck(estimator, X)
    return bottleneck.information_plane(Xt, y)[1]


def information_scoring():
    """Scorers that make a search record the information plane per candidate.

    Pass the result as ``scoring`` (with ``refit="score"``) to
    :class:`~sklearn.model_selection.GridSearchCV`: ``cv_results_`` then holds
    ``mean_test_score`` (the estimator's own ``score``: accuracy or R² for an
    :class:`~sknmi.InfoBottleneckTransformer`, the final step's score for a
    Pipeline), ``mean_test_ixz`` and ``mean_test_izy`` (the held-out
    coordinates of :meth:`sknmi.InfoBottleneckTransformer.information_plane`), which
    :meth:`sknmi.plotting.InformationPlaneDisplay.from_estimators` plots.

    Returns
    -------
    scoring : dict
        ``{"score": ..., "ixz": ..., "izy": ...}``, callables
        ``(estimator, X, y) -> float``. The estimator is an
        InfoBottleneckTransformer or a Pipeline that holds one.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import GridSearchCV, StratifiedKFold
    >>> from sknmi import InfoBottleneckTransformer
    >>> from sknmi.bottleneck import information_scoring
    >>> X, y = load_iris(return_X_y=True)
    >>> ib = InfoBottleneckTransformer(n_components=2, hidden_layer_sizes=(8,),
    ...                                max_iter=20, random_state=0)
    >>> search = GridSearchCV(ib, {"beta": [1e-3, 1.0]}, cv=StratifiedKFold(2),
    ...                       scoring=information_scoring(), refit="score")
    >>> sorted(k for k in search.fit(X, y).cv_results_ if k.startswith("mean_test"))
    ['mean_test_ixz', 'mean_test_izy', 'mean_test_score']
    """
    return {"score": _score, "ixz": _ixz, "izy": _izy}
