"""NeuralMIEstimator: mutual information from a trained critic, read held out."""

import math
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sknmi import _torch, bounds
from sknmi._base import NeuralEstimator, Standardiser
from sknmi._crossfit import CrossFit, held_out_negatives
from sknmi._dependence import canonical_correlations, is_deterministic, warn_degenerate
from sknmi._folds import fold_rows, scrambled, split_rows
from sknmi._stats import interval
from sknmi._training import train
from sknmi._typing import ArrayLike, Self
from sknmi._validation import check_device, validate_xz
from sknmi.bounds import BOUNDS
from sknmi.exceptions import DivergenceError
from sknmi.nn import (
    ACTIVATIONS,
    ConcatCritic,
    CriticStack,
    SeparableCritic,
    held_out_scores,
    stack_critics,
)

__all__ = ["NeuralMIEstimator"]

# Rows put through the quantile transform at once.
_PREPROCESS_ROWS = 65536
# The optimistic read-out on training rows reads at most this many per fold.
_TRAIN_READ_ROWS = 20_000
# learning_rate_init="auto": the candidate rates raced side by side, and the
# epochs of the race (see NeuralMIEstimator._race).
_RATE_CANDIDATES = (1e-4, 3e-4, 1e-3, 3e-3, 8e-3)
_RACE_EPOCHS = 3
# Rows (at most, about) on which the exact-dependence check runs.
_DEPENDENCE_ROWS = 50_000
# A held-out read-out above log(n) + this, in nats, is a blow-up, not a measurement.
_CEILING_SLACK = 2.0
# Held-out rows (per fold) below which no read-out is implausible.
_PLAUSIBLE_FROM = 30
# A DV bound below this (nats) means extreme critic scores:
# any sane critic's DV is near or above 0.
_EXTREME_BOUND = -1.0
# A canonical pair of the preprocessed data carrying more than this many nats
# (as a Gaussian pair would: -log(1 - r^2) / 2) makes "auto" choose concat.
_CONCAT_ABOVE = 1.5
# Critics reading this share more on their training rows than held out
# (relative to the estimate, at least _SMALL_MI nats) fit noise; held-out
# scores whose logistic recalibration scales them up by more than
# _TIMID_SLOPE were trained too little. Those it scales down below _SURE_SLOPE
# either fit the noise of their rows (and read more on them) or grew too sure
# everywhere, reading at least as much held out: the JSD barely resists scores
# that grow where the joint density dominates, and Adam at a high rate takes
# that drift (the estimate is then high).
# Chosen on the families at 1,000 to 50,000 rows (their false-alarm and hit
# rates are on the benchmarks page); the slope is read on _SLOPE_NEGATIVES
# negatives a row.
_OVERFIT_GAP = 0.20
_TIMID_SLOPE = 1.15
_SURE_SLOPE = 0.82
_SMALL_MI = 0.1
_SLOPE_NEGATIVES = 32


class NeuralMIEstimator(NeuralEstimator, BaseEstimator):
    """Mutual information I(X; Z) estimated by a neural critic (MINE and relatives).

    A critic ``T(x, z)`` is trained by minibatch Adam to maximise a variational
    bound on I(X; Z); the bound is then read with the best critic on a held-out
    split that training never saw. Inputs are standardised internally (MI is
    invariant to per-feature affine maps; the optimiser is not).

    Parameters
    ----------
    bound : {"logratio", "mine", "dv", "nwj", "jsd", "infonce", "smile"}, \
            default="logratio"
        What the critic maximises and how ``mi_`` is read:

        - ``"mine"``: Donsker–Varadhan with MINE's moving-average corrected
          gradient (:class:`sknmi.bounds.MovingAverageDV`); read with DV.
        - ``"dv"``: Donsker–Varadhan with plain minibatch gradients.
        - ``"nwj"``: NWJ / MINE-f; read with NWJ.
        - ``"jsd"``: the Jensen–Shannon objective; read with DV (a JSD value is
          not MI).
        - ``"infonce"``: InfoNCE; at most ``log`` of the number of candidates.
        - ``"smile"``: trained on the Jensen–Shannon objective, read as DV with
          the partition term clipped at ``clip`` (as Song & Ermon do).
        - ``"logratio"``: the critic is trained as a classifier of joint against
          product pairs (the JSD / logistic loss) and ``mi_`` is the held-out
          mean of its log density ratio, the critic's constant refitted on the
          held-out scores (:func:`sknmi.bounds.calibrated_log_ratio`). Not a
          bound, but without the ``log n`` ceiling of InfoNCE or the ``e^I``
          variance of DV and NWJ.

        Every value except ``"logratio"`` is a lower bound on I(X; Z) in
        expectation.
    critic : {"auto", "separable", "concat"}, callable or object with \
            ``build``, default="auto"
        ``"separable"``: ``T = f(x) . g(z)`` (:class:`sknmi.nn.SeparableCritic`),
        every other row of a batch is a negative. ``"concat"``:
        ``T = MLP([x, z])`` (:class:`sknmi.nn.ConcatCritic`), one shuffled
        partner per row. ``"auto"``: concat when one canonical pair of the
        preprocessed data is nearly deterministic (a Gaussian pair with that
        correlation would carry more than 1.5 nats), where a separable critic
        reads 15-30% low; separable otherwise (see ``critic_type_``). A
        callable ``critic(x_features, z_features)`` (a ``torch.nn.Module``
        class or factory) or an object with
        ``build(x_features, z_features)`` returns your own module, whose
        ``forward(x, z)`` gives one score per row (and ``score_matrix(x, z)``,
        if it has one, all pairs). A fresh module is built in every ``fit``.
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden widths of the built-in critics' MLPs. "auto": two layers of
        64 units up to 4 columns of X and Z in all, 128 up to 16, 256 beyond
        (``hidden_layer_sizes_``; the measurements behind the rule are on the
        benchmarks page).
    activation : {"relu", "tanh", "logistic", "identity", "elu", "gelu", \
            "leaky_relu"}, default="relu"
        Activation of the built-in critics.
    embedding_dim : "auto" or int, default="auto"
        Width of f(x) and g(z) in the separable critic. "auto": 32 up to 4
        columns of X and Z in all, 64 beyond (``embedding_dim_``; see the
        benchmarks page).
    batch_size : int or "auto", default="auto"
        Rows per minibatch (the number of candidates of InfoNCE). "auto" takes
        the power of two nearest to ``n_train / 32``, between 32 and 512, so
        that an epoch has about 32 steps or more: 512 from 16,000 training rows
        up, 256 at 8,000.
    learning_rate_init : "auto" or float, default="auto"
        Adam's learning rate. "auto": chosen per fit on held-out rows. One
        critic of the first fold per candidate rate (1e-4, 3e-4, 1e-3, 3e-3
        and 8e-3), all from the same seed, train side by side as members of
        one stacked module for 3 epochs; the candidate whose held-out
        training objective is best wins (``learning_rate_init_``,
        ``learning_rate_search_``), and its critic goes on training beside
        the other folds' critics at its rate. A float skips the race.
    learning_rate_schedule : {"plateau", "cosine", "constant"}, \
            default="plateau"
        "plateau": the rate warms up over the first epoch, then stays
        constant and is divided by 4 after every 2 epochs in which the
        held-out objective has not improved, so that training lasts as long
        as the held-out objective improves (``max_iter`` is only a cap).
        "cosine": the rate warms up over the first 5% of the ``max_iter``
        epochs' steps, then falls along a half cosine to 5% of its peak at
        the last one (a fit converges in ``max_iter`` epochs). "constant":
        the rate throughout.
    max_iter : int, default=200
        Maximum number of epochs: a safety cap for the plateau schedule (a
        fit that reaches it while its held-out objective still improves
        raises a :class:`~sklearn.exceptions.ConvergenceWarning`), the length
        of the cosine one.
    alpha : float, default=0.0
        L2 penalty (Adam's weight decay).
    early_stopping : bool, default=True
        Stop when the held-out training objective has not improved by ``tol``
        for ``n_iter_no_change`` epochs and restore the best critic. When False
        all ``max_iter`` epochs run and the last critic is kept.
    validation_fraction : float, default=0.2
        With ``n_folds=1``: the share of rows held out, on which early stopping
        watches and ``mi_`` is read. Unused with cross-fitting.
    n_folds : int, default=3
        Cross-fitting: the rows are cut into ``n_folds`` folds and one critic
        per fold is trained on the other folds and read on its own fold, so
        that ``mi_`` is read on every row, and the spread of the folds'
        read-outs puts the training noise into ``mi_ci_``. Early stopping
        watches the mean of the folds' held-out objectives, and each critic
        keeps its own best epoch. The critics are one stacked module (their
        weights along a leading axis, each layer one batched product for all
        of them) trained by one optimiser, so a step of three critics costs
        far less than three steps. 1 trains one critic on
        ``1 - validation_fraction`` of the rows.
    shuffle : bool, default=True
        Whether the rows are shuffled before they are cut into folds (or
        split, with ``n_folds=1``), as in :class:`~sklearn.model_selection.KFold`.
        False for ordered data such as a time series: each fold is then a
        block of consecutive rows (with ``n_folds=1`` the held-out rows are
        the last block), so that no critic is read on rows whose neighbours,
        near copies of them under autocorrelation, it trained on; early
        stopping watches the same held-out blocks. The rows of a block must
        still be draws of one joint law of (x_t, z_t): stationary data.
    gap : int, default=0
        With ``shuffle=False``: the rows on each side of a held-out block that
        its critic does not train on either, so that autocorrelation cannot
        carry information across the boundary; a few times the series'
        correlation length (and at least the largest lag in a row) is
        enough. Must be 0 with ``shuffle=True``.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest improvement of the held-out objective that resets the patience.
    ema_decay : float, default=0.99
        For ``bound="mine"``: weight of the old moving average (see
        :class:`sknmi.bounds.MovingAverageDV`).
    clip : float, default=5.0
        For ``bound="smile"``: the clipping threshold tau.
    preprocessing : {"quantile", "standard"}, default="quantile"
        How each column is put on a common scale before training, with
        statistics of the training split. ``"standard"``: zero mean and unit
        variance. ``"quantile"``: a rank transform to a standard normal
        (:class:`~sklearn.preprocessing.QuantileTransformer`) of every column of
        X and of a continuous Z; it leaves the MI unchanged (an invertible map
        of each continuous column) and tames heavy tails and skew, at the cost
        of flattening values beyond the training range. It is the default
        because heavy tails otherwise let a few pairs dominate the critic (a
        Cauchy pair read at thousands of nats); on Gaussian data the two agree.
        Class labels are never transformed.
    discrete_z : "auto", bool, default="auto"
        Whether a 1-D Z holds class labels (one-hot encoded for the critic).
        "auto": integers, booleans and text are classes unless more than half
        of the rows have a value of their own (a measurement stored as
        integers, or row ids): numbers, and text that parses as numbers, are
        then read as continuous with a warning; other text is refused. True:
        class labels whatever the dtype; False: continuous. See the user
        guide's page on input data.
    device : str, default="auto"
        "auto" (CUDA when available), "cpu", "cuda", "cuda:N" or "mps". With
        "auto" the fitted critic is moved back to the CPU.
    precision : {"float32", "bfloat16"}, default="float32"
        The float type of the training step's matrix products. "bfloat16"
        runs them under ``torch.autocast`` (weights, Adam, the objective,
        validation and every read-out stay float32 or float64): faster on a
        CPU with native bfloat16 products (AVX512-BF16 or AMX) or a recent
        GPU, slower elsewhere (a GPU without bfloat16 is refused with a
        ValueError). The benchmarks page measures its speed and accuracy.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the initial weights, the batches and the negatives,
        through generators of the estimator's own (the global RNGs are left
        as they were).
    verbose : int, default=0
        Print progress per epoch when positive.

    Attributes
    ----------
    mi_ : float
        The read-out of ``bound`` on the held-out rows, in nats: with
        cross-fitting, the mean over all rows, each read by the critic that did
        not train on it.
    mi_ci_ : tuple of float
        95% interval of ``mi_``. Its variance adds the held-out rows' sampling
        error (delta method over rows) and the critics' training noise (how
        far the folds' read-outs spread beyond what their rows explain, over
        ``n_folds``), with Student's quantile at the Welch–Satterthwaite
        degrees of freedom: ``n_folds - 1`` when the training noise
        dominates. It does not hold the slack of a loose bound or the bias
        of a critic that could not learn all of the dependence from the rows
        it had: the warnings of ``fit`` say when that is likely (see
        :ref:`interval` in the user guide).
    mi_folds_ : ndarray of shape (n_folds,)
        The read-out of each fold's critic on its own fold.
    mi_lower_bounds_ : dict
        The evidence behind ``mi_``: ``{"dv": (value, (low, high)), "nwj":
        (value, (low, high))}``, the Donsker–Varadhan and NWJ lower bounds of
        the same critic on the same held-out rows (NWJ with the critic shifted
        to its optimum ``log ratio + 1``), with 95% intervals. Both bound the
        MI from below in expectation whatever the critic; a log-ratio ``mi_``
        far above them rests on the critic's calibration alone, and a bound far
        below 0 says that the critic gives some pairs extreme scores.
    mi_train_ : float
        The same read-out on as many training rows as were held out
        (optimistic: the critic has seen them). Far above ``mi_``, the
        critics fit the noise of their rows.
    calibration_slope_ : float
        The slope that the logistic recalibration of the held-out scores
        asks for (:func:`sknmi.bounds.calibration_slope`, the folds' mean):
        1 for the optimal critic, above 1 for critics that stopped before
        they learnt the dependence.
    critic_ : torch.nn.Module
        The best critic, in ``eval()`` mode; it scores preprocessed inputs.
        With cross-fitting, the folds' critics as one stacked module
        (:class:`sknmi.nn.StackedSeparableCritic`,
        :class:`sknmi.nn.StackedConcatCritic`, or a
        :class:`sknmi.nn.CriticEnsemble` of your own critics) whose score is
        their mean (used by ``score`` and ``pointwise_mi``); ``member(k)``
        gives fold ``k``'s critic.
    hidden_layer_sizes_ : tuple of int
        The hidden widths used (``hidden_layer_sizes`` resolved).
    embedding_dim_ : int
        The separable critic's embedding width (``embedding_dim`` resolved).
    learning_rate_init_ : float
        Adam's rate used (``learning_rate_init`` resolved: the race's
        winner for "auto").
    learning_rate_search_ : dict or None
        For ``learning_rate_init="auto"``: ``rates`` (the candidates),
        ``validation_bound`` (each candidate's best held-out objective on the
        first fold during the race) and ``epochs`` (the race's length); None
        for a given rate.
        ``history_``, ``n_iter_`` and ``best_iter_`` describe the winner's
        training after the race.
    mi_source_ : str
        What ``mi_`` is: ``bound`` (its read-out), or ``"dv"`` or ``"nwj"``
        when the read-out lay below that lower bound of the same critics,
        beyond both intervals (a read-out known to be low: ``mi_`` and
        ``mi_ci_`` are then the bound's, with a warning).
    critic_type_ : {"separable", "concat", "custom"}
        The critic that was built (what ``"auto"`` chose).
    history_ : dict of lists
        Per epoch: ``epoch``, ``seconds``, ``train_bound`` (training objective,
        averaged over minibatches and folds), ``validation_bound`` (the same
        objective held out, which early stopping watches) and ``validation_mi``
        (a quick held-out read-out: few Newton steps for the calibrated
        constant), averaged over the folds. The per-epoch values read a fixed
        subsample of at most 2,048 held-out rows per fold with at most 31
        negatives each; ``mi_`` reads every held-out row once, after training.
    n_iter_ : int
        Number of epochs run.
    batch_size_ : int
        Rows per minibatch actually used (``batch_size`` resolved).
    best_iter_ : int
        Epoch of the restored critic.
    classes_ : ndarray or None
        The class labels of a 1-D integer, boolean or string Z (one-hot
        encoded for the critic); None for continuous Z.
    n_z_features_ : int
        Columns of Z as the critic sees it (after one-hot encoding).
    n_features_in_ : int
        Number of columns of X.
    feature_names_in_ : ndarray of str
        Column names of X, when X has them.

    See Also
    --------
    sknmi.bounds : the bounds as torch functions, for your own loops.

    Notes
    -----
    The second argument of ``fit`` and ``score`` is called ``y`` because
    scikit-learn requires that name; it is the second variable Z, of shape
    ``(n,)`` or ``(n, d_z)``.

    Negatives for training are all other rows of the minibatch for a critic
    with ``score_matrix`` (and for InfoNCE), or one partner per row drawn by a
    derangement (never the row itself). Held-out scores use fixed partners:
    consecutive chunks of rows, each row against the next k rows of its chunk,
    cyclically (k up to 255 for a critic with ``score_matrix``, in chunks of
    k + 1 rows; 16 otherwise, in chunks of at least 1024 rows; at least
    ``batch_size_ - 1`` for InfoNCE), so ``score`` is a deterministic function
    of its input.

    References
    ----------
    Belghazi et al., "Mutual Information Neural Estimation", ICML 2018.
    Poole et al., "On Variational Bounds of Mutual Information", ICML 2019.
    Song & Ermon, "Understanding the Limitations of Variational Mutual
    Information Estimators", ICLR 2020.

    Examples
    --------
    >>> from sknmi import NeuralMIEstimator
    >>> from sknmi.datasets import make_gaussian
    >>> X, Z, mi = make_gaussian(n_samples=2000, n_features=2, mi=1.0, random_state=0)
    >>> est = NeuralMIEstimator(hidden_layer_sizes=(32,), max_iter=30,
    ...                         random_state=0).fit(X, Z)
    >>> abs(est.mi_ - mi) < 0.3
    True
    """

    _parameter_constraints = {
        **NeuralEstimator._parameter_constraints,
        "bound": [StrOptions(set(BOUNDS))],
        "critic": [
            StrOptions({"auto", "separable", "concat"}),
            callable,
            HasMethods(["build"]),
        ],
        "hidden_layer_sizes": [
            StrOptions({"auto"}),
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_schedule": [StrOptions({"plateau", "cosine", "constant"})],
        "learning_rate_init": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "embedding_dim": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 2, None, closed="left"),
        ],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "clip": [Interval(Real, 0, None, closed="neither")],
        "preprocessing": [StrOptions({"standard", "quantile"})],
        "discrete_z": [StrOptions({"auto"}), "boolean"],
        "n_folds": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "gap": [Interval(Integral, 0, None, closed="left")],
        "precision": [StrOptions({"float32", "bfloat16"})],
    }

    def __init__(
        self,
        bound="logratio",
        critic="auto",
        hidden_layer_sizes="auto",
        activation="relu",
        embedding_dim="auto",
        batch_size="auto",
        learning_rate_init="auto",
        learning_rate_schedule="plateau",
        max_iter=200,
        alpha=0.0,
        early_stopping=True,
        validation_fraction=0.2,
        n_folds=3,
        shuffle=True,
        gap=0,
        n_iter_no_change=5,
        tol=1e-4,
        ema_decay=0.99,
        clip=5.0,
        preprocessing="quantile",
        discrete_z="auto",
        device="auto",
        precision="float32",
        random_state=None,
        verbose=0,
    ):
        self._store_params(locals())

    _fitted_modules = ("critic_",)
    _requires_target = True
    _estimates_mi = True

    # -- construction -----------------------------------------------------------

    def _critic_type(self, Xa, Za):
        """The built-in critic for ``critic="auto"``, chosen from the data.

        A separable critic ``f(x) . g(z)`` must build a sharp log ratio from the
        difference of large products when one direction of X almost determines
        one of Z; it then reads 15-30% low where a concat critic is within 5%
        (1-d to 3-d Gaussians at 3-5 nats). The largest canonical correlation
        of the preprocessed rows finds such a direction; elsewhere the separable
        critic, with all pairs of a batch as negatives, is as good or better.
        """
        if self.critic != "auto":
            return self.critic if isinstance(self.critic, str) else "custom"
        if self.classes_ is not None:
            return "separable"
        step = max(1, Xa.shape[0] // _DEPENDENCE_ROWS)
        r = canonical_correlations(
            Xa[::step].double().cpu().numpy(), Za[::step].double().cpu().numpy()
        )
        top = float(r.max()) if r.size else 0.0
        strongest = -0.5 * math.log(max(1.0 - top**2, 1e-300))
        return "concat" if strongest > _CONCAT_ABOVE else "separable"

    def _make_critic(self, x_features, z_features):
        if self.critic_type_ == "separable":
            return SeparableCritic(
                x_features,
                z_features,
                self._hidden,
                self.embedding_dim_,
                self.activation,
            )
        if self.critic_type_ == "concat":
            return ConcatCritic(x_features, z_features, self._hidden, self.activation)
        if hasattr(self.critic, "build"):
            module = self.critic.build(x_features, z_features)
        else:
            module = self.critic(x_features, z_features)
        if not isinstance(module, torch.nn.Module):
            raise ValueError(
                f"critic must build a torch.nn.Module, got {type(module).__name__}"
            )
        return module

    def _tensors(self, X, Z, device, rows=None, dtype=torch.float32):
        """X and Z through the fitted preprocessing, as tensors of ``dtype``."""
        out = []
        rows = np.arange(len(X)) if rows is None else rows
        np_dtype = np.float64 if dtype == torch.float64 else np.float32
        for A, scaler, quantiles in zip((X, Z), self._scalers, self._quantiles):
            if quantiles is None:
                out.append(scaler.tensor(A, rows, device, dtype))
                continue
            # Chunk by chunk: the float64 copies of the quantile transform stay
            # the size of a chunk, not of the data.
            mapped = np.empty((len(rows), np.shape(A)[1]), dtype=np_dtype)
            for start in range(0, len(rows), _PREPROCESS_ROWS):
                chunk = rows[start : start + _PREPROCESS_ROWS]
                mapped[start : start + len(chunk)] = quantiles.transform(
                    scaler.transform(A, chunk, np.float64)
                )
            out.append(torch.from_numpy(mapped).to(device))
        return out

    def _scores(self, critic, X, Z):
        """Joint and fixed-partner negative scores; memory O(chunk^2 + n k).

        With ``shuffle=False`` the rows are in time order, and partners by
        position would be neighbours in time: they are scored in a fixed
        scrambled order, and the scores returned in the rows' order.
        """
        k = held_out_negatives(critic, BOUNDS[self.bound], self.batch_size_, len(X))
        if self.shuffle:
            return held_out_scores(critic, X, Z, negatives=k)
        order = torch.as_tensor(scrambled(len(X)), device=X.device)
        joint, marginal = held_out_scores(critic, X[order], Z[order], negatives=k)
        back = torch.empty_like(order)
        back[order] = torch.arange(len(order), device=order.device)
        return joint[back], marginal[back]

    # -- fit ---------------------------------------------------------------------

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Train the critics on (X, Z) and read the MI on rows they never saw.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First variable.
        y : array-like of shape (n_samples,) or (n_samples, n_z_features)
            Second variable Z (named ``y`` for scikit-learn). A 1-D array of
            integers, booleans or strings is read as class labels.

        Returns
        -------
        self : NeuralMIEstimator
        """
        return self._fit_atomically(self._fit, X, y)

    def _check_training_params(self):
        if isinstance(self.hidden_layer_sizes, str):
            self._validate_params()
            check_device(self.device)
            return None  # "auto": chosen from the data in _fit
        return super()._check_training_params()

    def _fit(self, X, y):
        hidden = self._check_training_params()
        X, Z = self._validate_pair(X, y)
        self.hidden_layer_sizes_ = hidden or _auto_hidden(X.shape[1], Z.shape[1])
        self._hidden = self.hidden_layer_sizes_
        self.embedding_dim_ = (
            _auto_embedding(X.shape[1], Z.shape[1])
            if self.embedding_dim == "auto"
            else self.embedding_dim
        )
        folds, seeds = self._folds(X.shape[0])
        init_seeds, batch_seed = seeds[:-1], seeds[-1]
        self.batch_size_ = _resolve_batch_size(
            self.batch_size, min(len(train) for train, _ in folds)
        )
        # One critic: scaled by its training rows. Cross-fitted critics share one
        # scaling of all rows: a per-column monotone map, so it cannot leak
        # dependence from a read fold into training.
        self._fit_preprocessing(
            X, Z, folds[0][0] if len(folds) == 1 else None, init_seeds[0]
        )
        device = _torch.resolve_device(self.device)
        autocast = _torch.autocast_dtype(self.precision, device)
        Xa, Za = self._tensors(X, Z, device)
        self.critic_type_ = self._critic_type(Xa, Za)
        stack = self._build_critics(X.shape[1], Z.shape[1], init_seeds, device)
        _check_critic(stack.member(0), Xa[:4], Za[:4])
        generator = _torch.make_generator(batch_seed)
        if self.learning_rate_init == "auto":
            # The candidates all start from the first fold's seed: the race
            # compares rates, not initialisations.
            candidates = partial(
                self._build_critics, X.shape[1], Z.shape[1], device=device
            )
            first = self._race(
                lambda m: candidates([init_seeds[0]] * m),
                Xa,
                Za,
                folds[0],
                generator,
                autocast,
                device,
            )
            members = [first] + [stack.member(j) for j in range(1, len(folds))]
            stack = stack_critics(members).to(device)
        else:
            self.learning_rate_init_ = float(self.learning_rate_init)
            self.learning_rate_search_ = None
        engine = self._engine(stack, Xa, Za, folds, generator, autocast)
        result = self._train(
            engine,
            generator=engine.generator,
            device=device,
            settings=self._settings(
                batch_size=self.batch_size_,
                schedule=self.learning_rate_schedule,
                learning_rate=self.learning_rate_init_,
            ),
        )
        if self.early_stopping and not (result.diverged or result.interrupted):
            engine.keep_best()
        self._read_out(engine)
        self.critic_ = self._finish(stack if len(folds) > 1 else stack.member(0))
        lifted = self._lift_to_bound()
        for reason in lifted + _doubts(self, engine.smallest_read):
            warnings.warn(f"{type(self).__name__}: {reason}", UserWarning, stacklevel=4)
        return self

    def _validate_pair(self, X, y):
        """Validated arrays; a warning when X and Z are exactly dependent."""
        X, Z = validate_xz(self, X, y, reset=True, min_samples=4)
        # An exact linear relation shows on any subset: a strided one keeps
        # the check's memory small next to the data.
        # With more columns than rows a canonical correlation of 1 is no
        # evidence (any X and Z meet in the sample); a critic still reads the
        # rows, as it does images of more pixels than there are images.
        step = slice(None, None, max(1, X.shape[0] // _DEPENDENCE_ROWS))
        wide = X[step].shape[0] <= X.shape[1] + Z.shape[1]
        r = (
            canonical_correlations(X[step], Z[step])
            if self.classes_ is None and not wide
            else np.zeros(0)
        )
        if is_deterministic(r):
            warn_degenerate(
                type(self).__name__,
                r,
                "the finite estimate only says how far training got",
                stacklevel=6,
            )
        return X, Z

    def _build_critics(self, x_features, z_features, seeds, device=None):
        """One critic per fold, each from its own seed, stacked into one module."""
        members = [
            _torch.build_module(lambda: self._make_critic(x_features, z_features), seed)
            for seed in seeds
        ]
        return stack_critics(members).to(device)

    def _engine(self, stack, Xa, Za, folds, generator, autocast, race=False):
        """The cross-fitting game of these critics on these rows."""
        spec = BOUNDS[self.bound]
        engine = CrossFit(
            stack,
            Xa,
            Za,
            folds,
            spec,
            [spec.train(self.clip, self.ema_decay) for _ in folds],
            spec.read(self.clip, quick=True),
            self.batch_size_,
            generator,
            autocast=autocast,
            tolerant=race,
        )
        if not race:
            engine.plausible = partial(
                _plausible, n=Xa.shape[0], n_read=engine.smallest_read
            )
        return engine

    def _race(self, build, Xa, Za, fold, generator, autocast, device):
        """The critic of the first fold at the candidate rate whose held-out
        objective is best.

        One critic per candidate rate, each from the first fold's seed, trains
        on the first fold's rows as a member of one stacked module (each at
        its own rate) for a few epochs; the candidate whose best epoch's
        held-out training objective is highest wins, and its critic goes on
        training with the other folds' fresh critics. Racing one fold costs
        ``len(_RATE_CANDIDATES) / n_folds`` of the race of every fold. Sets
        ``learning_rate_init_`` and ``learning_rate_search_``.
        """
        rates = _RATE_CANDIDATES
        stack = build(len(rates))
        engine = self._engine(
            stack, Xa, Za, [fold] * len(rates), generator, autocast, True
        )
        top = max(rates)
        engine.step_scales = stack.step_scales([r / top for r in rates])
        settings = self._settings(
            batch_size=self.batch_size_, schedule="plateau", learning_rate=top
        )
        # Warm-up, then each candidate's constant rate: the race's members are
        # the fits they stand for (no plateau of the others lowers their rate).
        settings.max_iter, settings.early_stopping = _RACE_EPOCHS, False
        settings.plateau_patience = _RACE_EPOCHS + 1
        settings.verbose, settings.name = 0, f"{type(self).__name__} (rate race)"
        train(engine, settings, generator=generator, device=device)
        values = torch.stack(engine.member_history)
        scores = torch.where(torch.isfinite(values), values, -math.inf).max(0).values
        if not torch.isfinite(scores).any():
            raise DivergenceError(
                f"{type(self).__name__}: every candidate learning rate "
                f"{list(rates)} diverged; try another bound or preprocessing"
            )
        winner = int(torch.argmax(scores))
        self.learning_rate_init_ = float(rates[winner])
        self.learning_rate_search_ = {
            "rates": [float(r) for r in rates],
            "validation_bound": scores.tolist(),
            "epochs": _RACE_EPOCHS,
        }
        return stack.member(winner)

    def _read_out(self, engine):
        """``mi_``, its interval and evidence from every held-out row.

        One fold at a time: only each fold's per-row terms are kept, so the
        memory of the read-out is that of one fold's scores.
        """
        folds = [
            self._fold_terms(*engine.scores(k, rows))
            for k, rows in enumerate(engine.read_rows)
        ]
        self.mi_, self.mi_ci_, self.mi_folds_ = self._combine(folds)
        self._log_partition = float(np.mean([f["offset"] for f in folds]))
        weights = np.array([len(f["read"]) for f in folds], dtype=np.float64)
        self.calibration_slope_ = float(
            np.average([f["slope"] for f in folds], weights=weights)
        )
        # The evidence: DV and NWJ of the same critics on the same rows, the
        # folds' terms pooled.
        self.mi_lower_bounds_ = {
            name: _with_interval(torch.cat([f[name] for f in folds]))
            for name in ("dv", "nwj")
        }
        # Training rows are in random order: the first as many as each fold
        # reads (at most _TRAIN_READ_ROWS) are a fair sample of what it saw.
        read = BOUNDS[self.bound].read(self.clip)
        self.mi_train_ = float(
            sum(
                float(w) * float(read(*engine.scores(k, train[: len(rows)])))
                for k, (train, rows, w) in enumerate(
                    zip(engine.train_rows, engine.read_rows, engine.weights)
                )
                for train in [train[:_TRAIN_READ_ROWS]]
            )
        )

    def _lift_to_bound(self):
        """``mi_`` raised to a valid lower bound of the same critics that lies
        above its interval; the reason, in a list (empty when none did).

        DV and NWJ are lower bounds in expectation whatever the critic, so a
        read-out beyond their intervals below them is known to be low, and
        the bound is the better estimate (``mi_source_`` says which it is).
        """
        self.mi_source_ = self.bound
        above = _bound_above(self.mi_, self.mi_ci_, self.mi_lower_bounds_)
        if above is None:
            return []
        name, (value, ci) = above
        read = self.mi_
        self.mi_, self.mi_ci_, self.mi_source_ = value, ci, name
        return [
            f"the {self.bound} read-out ({read:.4g} nats) lay below the "
            f"{name.upper()} lower bound of the same critics, beyond both "
            f"intervals, so mi_ is that bound ({value:.4g}, mi_source_="
            f"{name!r}): the critics likely stopped before they learnt all of "
            "the dependence, and the MI may be higher still; try "
            + (
                "more rows or more epochs"
                if self.critic_type_ == "concat"
                else "critic='concat' or more epochs"
            )
        ]

    def _fold_terms(self, joint, marginal):
        """Per-row terms of one fold's held-out scores: the read-out, the DV and
        NWJ bounds; the offset of ``pointwise_mi`` and the calibration slope.

        The critic shifted to ``T - offset + 1`` is NWJ's optimum when
        ``T - offset`` is the log density ratio; DV does not depend on the
        shift.
        """
        spec = BOUNDS[self.bound]
        offset = spec.offset(marginal, joint)
        shifted = 1.0 - offset
        return {
            "read": spec.read(self.clip)(joint, marginal, reduction="none").double(),
            "offset": offset,
            # A diagnostic: a few negatives a row pin the slope, at an eighth
            # of the cost of all of them.
            "slope": bounds.calibration_slope(joint, marginal[:, :_SLOPE_NEGATIVES]),
            "dv": bounds.dv(joint, marginal, reduction="none").double(),
            "nwj": bounds.nwj(
                joint + shifted, marginal + shifted, reduction="none"
            ).double(),
        }

    def _folds(self, n):
        """``[(train_rows, read_rows), ...]`` and the seeds (one per critic, then
        the batches): a train / held-out split for one critic, else the folds."""
        if self.gap and self.shuffle:
            raise ValueError(
                f"gap={self.gap} needs shuffle=False: a gap is left around "
                "blocks of consecutive rows, and shuffled folds have none"
            )
        ordered = {"contiguous": not self.shuffle, "gap": self.gap}
        if self.n_folds == 1:
            train_rows, val_rows, seeds = split_rows(
                n, self.validation_fraction, self.random_state, 2, **ordered
            )
            return [(train_rows, val_rows)], seeds
        return fold_rows(
            n, self.n_folds, self.random_state, self.n_folds + 1, **ordered
        )

    def _fit_preprocessing(self, X, Z, train_rows, seed):
        # Standardised first in any case: the quantile transform's thresholds
        # are absolute, and MI does not depend on the scale of the data.
        self._scalers = [Standardiser().fit(A, train_rows) for A in (X, Z)]
        self._quantiles = [None, None]
        if self.preprocessing == "quantile":
            self._quantiles = [
                _fit_quantiles(scaler.transform(A, train_rows, np.float64), seed)
                for A, scaler in zip((X, Z), self._scalers)
            ]
            if self.classes_ is not None:
                self._quantiles[1] = None  # class labels are never transformed

    def _combine(self, folds):
        """``mi_``, its interval and the per-fold values from the folds' terms:
        :func:`sknmi._stats.interval` of the folds' per-row terms (every
        held-out row has the same number of negatives, so the mean of a
        read-out's terms is the read-out itself)."""
        terms = [f["read"] for f in folds]
        return interval([t.mean() for t in terms], [t.cpu() for t in terms], self.bound)

    def _estimate(self, reads):
        """:meth:`_combine` of held-out ``(joint, marginal)`` scores per fold."""
        return self._combine([self._fold_terms(*read) for read in reads])

    # -- inference ---------------------------------------------------------------

    def _checked_tensors(self, X, y):
        """Validated, preprocessed tensors and the critic in their float type."""
        check_is_fitted(self)
        X, Z = validate_xz(self, X, y, reset=False, min_samples=2)
        dtype = _torch.torch_dtype(X)
        critic = _torch.in_dtype(self.critic_, dtype)
        Xt, Zt = self._tensors(X, Z, _torch.module_device(critic), dtype=dtype)
        return critic, Xt, Zt

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """The read-out of ``bound`` on (X, Z) with the fitted critic, in nats.

        On held-out rows this is a fresh estimate of the MI (for every bound but
        ``"logratio"`` a lower bound), so :class:`~sklearn.model_selection.GridSearchCV`
        picks the critic with the highest held-out value.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First variable, at least 2 rows.
        y : array-like of shape (n_samples,) or (n_samples, n_z_features)
            Second variable Z.

        Returns
        -------
        score : float
        """
        critic, Xt, Zt = self._checked_tensors(X, y)
        joint, marginal = self._scores(critic, Xt, Zt)
        return float(BOUNDS[self.bound].read(self.clip)(joint, marginal))

    def pointwise_mi(self, X: ArrayLike, y: ArrayLike) -> np.ndarray:
        """The critic's estimate of ``log p(x, z) / (p(x) p(z))`` for each row.

        The critic's score shifted by the constant its bound leaves free (the
        refitted held-out shift of ``"logratio"``, the held-out log partition
        for DV-type bounds, 1 for NWJ); its mean over joint rows estimates the
        MI.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First variable.
        y : array-like of shape (n_samples,) or (n_samples, n_z_features)
            Second variable Z.

        Returns
        -------
        ndarray of shape (n_samples,)
            The pointwise MI of each row, in nats.
        """
        critic, Xt, Zt = self._checked_tensors(X, y)
        with torch.no_grad():
            scores = critic(Xt, Zt)
        return scores.double().cpu().numpy() - self._log_partition

    def _member_terms(self, X, y):
        """Per-row read-out terms of each fitted critic on (X, Z), one array each.

        The fold critics of a cross-fitted fit are read one by one (their
        spread on the same rows is training noise alone); a single critic
        gives one array. The mean of an array is that critic's read-out.
        """
        critic, Xt, Zt = self._checked_tensors(X, y)
        members = (
            [critic.member(k) for k in range(critic.n_members)]
            if isinstance(critic, CriticStack)
            else [critic]
        )
        read = BOUNDS[self.bound].read(self.clip)
        return [
            read(*self._scores(member, Xt, Zt), reduction="none").double().cpu().numpy()
            for member in members
        ]


def _check_critic(critic, x, z):
    """One look at a critic's output on a few rows, so a wrong one fails early.

    ``critic(x, z)`` must give one differentiable float score per row and
    ``score_matrix(x, z')``, where present, one per pair (``n x m``).
    """
    if not any(p.requires_grad for p in critic.parameters()):
        raise ValueError(
            f"critic {type(critic).__name__} has no trainable parameters: "
            "there is nothing to train"
        )
    n = x.shape[0]
    calls = [("critic(x, z)", lambda: critic(x, z), (n,))]
    if hasattr(critic, "score_matrix"):
        # z with one row fewer: a transposed matrix cannot pass for the right one.
        calls.append(
            (
                "critic.score_matrix(x, z)",
                lambda: critic.score_matrix(x, z[:-1]),
                (n, n - 1),
            )
        )
    for what, call, shape in calls:
        try:
            out = call()
        except Exception as exc:
            raise ValueError(
                f"{what} failed on x of shape {tuple(x.shape)} and z of shape "
                f"{tuple(z.shape)}: {exc}"
            ) from exc
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != shape:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out)
            raise ValueError(f"{what} must return a tensor of shape {shape}, got {got}")
        if not out.is_floating_point():
            raise ValueError(f"{what} must return float scores, got {out.dtype}")
        if not out.requires_grad:
            raise ValueError(
                f"{what} is not differentiable with respect to the critic's "
                "parameters (no gradient reaches them)"
            )


def _with_interval(terms):
    value, ci, _ = interval([float(terms.double().mean())], [terms.cpu()])
    return value, ci


def _doubts(est, n_read):
    """Reasons to doubt a fitted estimate, read from the evidence of its critics.

    Each is a fact about this fit, measured for what it predicts on the
    families of ``benchmarks/families.py`` (how often it fires on fits within
    5% of the truth and on fits off by more than 10%; see the benchmarks
    page):

    - the critics read more on their training rows than on held-out rows by
      a tenth or more (they fit the noise of their rows: the held-out
      estimate is low);
    - their held-out scores ask to be scaled up (``calibration_slope_`` above
      1.15: training stopped before they learnt the dependence), or down
      (below 0.82) while they read no more on their training rows than held
      out: they grew too sure where the joint density dominates, and the
      estimate is high;
    - a lower bound of the same critics lies above the estimate's interval;
    - for a read-out that is itself a bound: extreme scores (a DV bound far
      below 0: heavy tails, outliers) or an estimate near ``log n``, the most
      that the held-out rows can show.

    ``est`` is the fitted estimator (or anything with its attributes);
    ``n_read`` the held-out rows of the smallest fold.
    """
    mi, ci, spec = est.mi_, est.mi_ci_, BOUNDS[est.bound]
    reasons = []
    gap = (est.mi_train_ - mi) / max(abs(mi), _SMALL_MI)
    if gap > _OVERFIT_GAP:
        reasons.append(
            f"the critics read {est.mi_train_:.4g} nats on the rows they trained "
            f"on and {mi:.4g} on rows they never saw ({100 * gap:.0f}% more): "
            "they learnt the noise of their rows beside the dependence, and mi_ "
            "is likely low; more rows, a smaller hidden_layer_sizes or fewer "
            "epochs may help"
        )
    slope = est.calibration_slope_
    if spec.objective == "jsd" and slope > _TIMID_SLOPE:
        reasons.append(
            f"the held-out scores are too timid: calibrated, they would be "
            f"{slope:.2f} times as far apart (calibration_slope_): training "
            "stopped before the critics learnt the dependence, and mi_ is likely "
            "low; raise max_iter (or learning_rate_init)"
        )
    # Critics that fit noise are too sure as well, but only on the rows they
    # never saw: they read less there (the overfit doubt), not more.
    if (
        spec.objective == "jsd"
        and slope < _SURE_SLOPE
        and mi > _SMALL_MI
        and est.mi_train_ <= mi
    ):
        reasons.append(
            f"the held-out scores are too sure: calibrated, they would be "
            f"{slope:.2f} times as far apart (calibration_slope_): the critics' "
            "scores grew where the joint pairs dominate, and mi_ is likely high; "
            f"refit with learning_rate_init from {est.learning_rate_init_ / 2:.2g} "
            f"down to {est.learning_rate_init_ / 8:.2g} (a half to an eighth of "
            f"the {est.learning_rate_init_:.2g} used; a fit that warns the "
            "critics are too timid went too far)"
        )
    remedy = (
        "more rows or more epochs"
        if est.critic_type_ == "concat"
        else "critic='concat' or more epochs"
    )
    above = _bound_above(mi, ci, est.mi_lower_bounds_)
    if above is not None:
        name, (value, _) = above
        reasons.append(
            f"mi_ = {mi:.4g} lies below the {name.upper()} lower bound of the "
            f"same critic ({value:.4g}, beyond both intervals): the estimate "
            f"is low; try {remedy}"
        )
    if not spec.lower:
        # A log-ratio read-out has no log n ceiling, and no exponential moment
        # for a few extreme pairs to own.
        return reasons
    dv, _ = est.mi_lower_bounds_["dv"]
    if dv < _EXTREME_BOUND:
        hint = (
            "try preprocessing='quantile'"
            if est.preprocessing != "quantile"
            else "some pairs lie where the critic extrapolates wildly (outliers, "
            "a sharply curved dependence such as a spiral, or a bound such as "
            "infonce that leaves the critic's scale free)"
        )
        reasons.append(
            f"the critic gives some held-out pairs extreme scores (its DV bound "
            f"is {dv:.3g} nats): mi_ may be unreliable; {hint}"
        )
    if mi > math.log(n_read) - 1.0:
        reasons.append(
            f"mi_ = {mi:.4g} is near log({n_read}) = {math.log(n_read):.3g}, the "
            "most that the held-out rows can show: the MI may be larger"
        )
    return reasons


def _bound_above(mi, ci, lower_bounds):
    """The highest lower bound ``(name, (value, interval))`` lying above the
    interval ``ci`` of ``mi`` beyond both intervals, by a margin that matters
    (5%, at least 0.05 nats); None when there is none."""
    above = [
        (name, (value, bci))
        for name, (value, bci) in lower_bounds.items()
        if bci[0] > ci[1] + 0.05 * max(1.0, abs(mi))
    ]
    return max(above, key=lambda item: item[1][0]) if above else None


def _plausible(logs, n, n_read):
    """Why a held-out read-out is impossible on ``n`` rows, or None.

    No estimate from ``n`` rows can show much more than ``log n`` nats, and a
    critic that reads far below 0 has blown up: a real one starts near 0.
    Folds of ``n_read`` rows too few to tell say nothing either way.
    """
    if n_read < _PLAUSIBLE_FROM:
        return None  # a read-out of a few rows is noise either way
    value = logs["validation_mi"]
    ceiling = math.log(n) + _CEILING_SLACK
    if value > ceiling:
        return f"read {value:.4g} nats, more than {n} rows can show (~{ceiling:.3g})"
    if value < -math.log(n):
        return f"read {value:.4g} nats, far below 0"
    return None


def _fit_quantiles(A, seed):
    return QuantileTransformer(
        n_quantiles=min(1000, len(A)),
        output_distribution="normal",
        subsample=100_000,
        random_state=int(seed),
    ).fit(A)


def _resolve_batch_size(batch_size, n_train):
    if batch_size != "auto":
        return min(batch_size, n_train)
    # About 32 steps an epoch keeps early stopping's per-epoch checks fine-grained
    # on small data; 512 rows were best on the 20-d benchmark at 50,000 rows.
    size = 2 ** round(math.log2(max(n_train, 1) / 32))
    return min(int(np.clip(size, 32, 512)), n_train)


def _auto_hidden(x_features, z_features):
    """Two hidden layers whose width grows with the columns: 64 up to 4 columns
    in all, 128 up to 16, then 256 (see ``hidden_layer_sizes``)."""
    d = x_features + z_features
    width = 64 if d <= 4 else 128 if d <= 16 else 256
    return (width, width)


def _auto_embedding(x_features, z_features):
    """32 up to 4 columns in all, then 64 (see ``embedding_dim``)."""
    return 32 if x_features + z_features <= 4 else 64
