"""NeuralMIEstimator: mutual information from a trained critic, read held out.

The scikit-learn face of the neural engine (:mod:`sknmi._neural`): ``fit``
validates, resolves the "auto" parameters, preprocesses, builds and (for a
rate of "auto") races the critics, trains them by cross-fitting, reads the
MI on the rows each critic never saw and warns from the diagnostics; each
step is one call into the engine.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sknmi import _torch
from sknmi._base import NeuralEstimator
from sknmi._dependence import warn_if_exactly_dependent
from sknmi._folds import critic_folds
from sknmi._neural import auto, diagnostics, readout
from sknmi._neural.preprocess import Preprocessor
from sknmi._neural.problems import Plan, Problem, fit_problems
from sknmi._typing import ArrayLike, Self
from sknmi._validation import check_device, validate_xz
from sknmi.bounds import BOUNDS, Bound, resolve_bound
from sknmi.nn import ACTIVATIONS, CriticStack

__all__ = ["NeuralMIEstimator"]

# Fits trained side by side at most, and scores (members x batch^2 pairs of
# the all-pairs objective) in one step. A batch pays where a step is mostly
# overhead (batches of up to 128 rows); with batches of 256 a step is bound
# by its arithmetic, its elementwise work leaves the cache, and a batch was
# slower than fits one by one (benchmarks page, "Many fits as one module").
# Fewer than _BATCH_LEAST fits within the budget run one by one.
_BATCH_FITS = 64
_BATCH_SCORES = 2**19
_BATCH_LEAST = 4


class NeuralMIEstimator(NeuralEstimator, BaseEstimator):
    """Mutual information I(X; Z) estimated by a neural critic (MINE and relatives).

    A critic ``T(x, z)`` is trained by minibatch Adam to maximise a variational
    bound on I(X; Z); the bound is then read with the best critic on a held-out
    split that training never saw. Inputs are standardised internally (MI is
    invariant to per-feature affine maps; the optimiser is not).

    Parameters
    ----------
    bound : {"logratio", "mine", "dv", "nwj", "jsd", "infonce", "smile"} \
            or Bound, default="logratio"
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
        expectation. A :class:`sknmi.bounds.Bound` of your own (its
        objective, read-out and offset as functions of the scores) trains
        and reads a new bound with everything else unchanged (see
        :ref:`how-it-works`).
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
    diagnostics_ : dict
        What the evidence says against ``mi_``, as named flags (bool), each
        one a warning of ``fit`` when raised: ``lifted_to_bound`` (the
        read-out lay below a lower bound, and ``mi_`` is that bound),
        ``overfit`` (the critics read far more on their training rows),
        ``too_timid`` and ``too_sure`` (the held-out scores ask to be scaled
        up, or down while reading no more on training rows),
        ``below_lower_bound``, ``extreme_scores`` (a DV bound far below 0)
        and ``near_ceiling`` (``mi_`` near ``log`` of the held-out rows),
        with the values they rest on: ``read_out``, ``lower_bound``,
        ``train_gap``, ``calibration_slope``, ``dv_bound`` and ``ceiling``.
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
        "bound": [StrOptions(set(BOUNDS)), Bound],
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
        self.bound = bound
        self.critic = critic
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.embedding_dim = embedding_dim
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.learning_rate_schedule = learning_rate_schedule
        self.max_iter = max_iter
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_folds = n_folds
        self.shuffle = shuffle
        self.gap = gap
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.ema_decay = ema_decay
        self.clip = clip
        self.preprocessing = preprocessing
        self.discrete_z = discrete_z
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose

    _fitted_modules = ("critic_",)
    _requires_target = True
    _estimates_mi = True

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
        with self._atomic():
            return self._fit(X, y)

    def _fit(self, X, y):
        (outcome,) = fit_problems([self._prepare(X, y)], self._plan())
        for reason in self._apply(outcome):
            warnings.warn(f"{type(self).__name__}: {reason}", UserWarning, stacklevel=3)
        return self

    def _prepare(self, X, y):
        """Everything before training: the validated rows as tensors, the
        "auto" choices, the folds and seeds, and the checked critics."""
        hidden = self._check_training_params()
        X, Z = validate_xz(self, X, y, reset=True, min_samples=4)
        why = "the finite estimate only says how far training got"
        warn_if_exactly_dependent(type(self).__name__, X, Z, self.classes_, why, 5)
        folds, seeds = self._resolve(X, Z, hidden)
        device = _torch.resolve_device(self.device)
        autocast = _torch.autocast_dtype(self.precision, device)
        # One critic: scaled by its training rows. Cross-fitted critics share one
        # scaling of all rows: a per-column monotone map, so it cannot leak
        # dependence from a read fold into training.
        self._preprocessor = Preprocessor(
            self.preprocessing == "quantile", (1,) if self.classes_ is not None else ()
        ).fit((X, Z), folds[0][0] if len(folds) == 1 else None, seeds[0])
        Xa, Za = self._preprocessor.tensors((X, Z), device)
        self.critic_type_ = auto.critic_type(self.critic, self.classes_, Xa, Za)
        build = auto.CriticBuilder(
            self.critic_type_,
            self.critic,
            X.shape[1],
            Z.shape[1],
            self.hidden_layer_sizes_,
            self.embedding_dim_,
            self.activation,
        )
        stack = build.stack(seeds[:-1], device)
        auto.check_critic(stack.member(0), Xa[:4], Za[:4])
        return Problem(Xa, Za, folds, seeds, build, stack, device, autocast)

    @classmethod
    def _fit_batch(cls, tasks, n_jobs=None):
        """Fit clones ``(estimator, X, y)`` as the members of stacked modules.

        The fits of one kind and width of critic (and the same parameters but
        their seeds) train side by side in one module, each with its own
        folds, seeds, race and early stopping (see :func:`_fit_together`).
        Returns ``(fitted, warnings)`` per task, or None for a task left to
        a fit of its own (one critic, a critic of your own, a fit that
        fails before training: it fails again there, with its own error;
        fits whose steps are bound by their arithmetic, which a batch does
        not speed up). Several batches go to ``n_jobs`` joblib workers
        (fitted copies come back), where each is one batch again: the same
        fits as here.
        """
        out, buckets = [None] * len(tasks), {}
        for i, (est, X, y) in enumerate(tasks):
            if est.n_folds < 2 or not isinstance(est.critic, str):
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    prepared = est._prepare(X, y)
                except Exception:
                    continue
            params = est.get_params(deep=False)
            params.pop("random_state")
            key = (
                repr(sorted(params.items())),
                est.critic_type_,
                prepared.build.hidden,
                prepared.build.embedding_dim,
                prepared.X.shape[1],
                prepared.Z.shape[1],
                est.batch_size_,
            )
            buckets.setdefault(key, []).append((i, prepared, caught))
        chunks = []
        for bucket in buckets.values():
            est = tasks[bucket[0][0]][0]
            pairs = est.n_folds * est.batch_size_**2
            size = min(_BATCH_FITS, _BATCH_SCORES // pairs)
            if size < _BATCH_LEAST or len(bucket) < 2:
                continue  # one by one, through joblib and its n_jobs
            chunks += [bucket[s : s + size] for s in range(0, len(bucket), size)]
        if len(chunks) > 1 and effective_n_jobs(n_jobs) > 1:
            # A worker prepares its batch's tasks again, from the same seeds.
            done = Parallel(n_jobs=n_jobs)(
                delayed(cls._fit_batch)([tasks[i] for i, _, _ in bucket])
                for bucket in chunks
            )
            for bucket, results in zip(chunks, done):
                for (i, _, _), result in zip(bucket, results):
                    out[i] = result
            return out
        for bucket in chunks:
            estimators = [tasks[i][0] for i, _, _ in bucket]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                outcomes = fit_problems(
                    [p for _, p, _ in bucket], cls._plan(estimators[0])
                )
            reasons = [est._apply(o) for est, o in zip(estimators, outcomes)]
            for (i, _, before), est, doubts in zip(bucket, estimators, reasons):
                name = type(est).__name__
                # The training's warnings concern every fit of the bucket, but
                # that max_iter cut it short, only those still improving.
                during = [
                    (w.category, str(w.message))
                    for w in [*before, *caught]
                    if w.category is not ConvergenceWarning
                    or est.best_iter_ == est.n_iter_
                ]
                during += [(UserWarning, f"{name}: {r}") for r in doubts]
                out[i] = (est, during)
        return out

    def _resolve(self, X, Z, hidden):
        """The "auto" widths and batch size, the critics' folds and seeds."""
        d_x, d_z = X.shape[1], Z.shape[1]
        self.hidden_layer_sizes_ = hidden or auto.hidden_layer_sizes(d_x, d_z)
        self.embedding_dim_ = (
            auto.embedding_dim(d_x, d_z)
            if self.embedding_dim == "auto"
            else self.embedding_dim
        )
        folds, seeds = critic_folds(
            X.shape[0],
            self.n_folds,
            self.validation_fraction,
            self.random_state,
            shuffle=self.shuffle,
            gap=self.gap,
        )
        n_train = min(len(train) for train, _ in folds)
        self.batch_size_ = auto.batch_size(self.batch_size, n_train)
        return folds, seeds

    def _plan(self):
        """How this estimator's problems train and read."""
        rate = self.learning_rate_init
        return Plan(
            spec=resolve_bound(self.bound),
            clip=self.clip,
            ema_decay=self.ema_decay,
            batch_size=self.batch_size_,
            rate=rate if rate == "auto" else float(rate),
            race=self._settings(batch_size=self.batch_size_),
            training=self._settings(
                batch_size=self.batch_size_,
                schedule=self.learning_rate_schedule,
                learning_rate=0.0 if rate == "auto" else float(rate),
            ),
            name=type(self).__name__,
        )

    def _apply(self, outcome):
        """The fitted attributes of an outcome; the reasons to doubt it."""
        self.learning_rate_init_ = outcome.rate
        self.learning_rate_search_ = outcome.search
        self.history_, self.n_iter_ = outcome.history, outcome.n_iter
        self.best_iter_ = outcome.best_iter
        self.critic_ = self._finish(outcome.critic)
        reasons = self._record(outcome.record, outcome.n_read)
        if outcome.problem is not None:
            problem, epoch, best = outcome.problem
            reasons.insert(
                0,
                f"training {problem} at epoch {epoch}; stopped and restored the "
                f"state of epoch {best} (try a smaller learning_rate_init or "
                "another bound)",
            )
        return reasons

    def _record(self, record, n_read):
        """The fitted attributes of a read-out; the warnings of its diagnostics."""
        self.mi_, self.mi_ci_, self.mi_folds_ = record.mi, record.ci, record.folds
        self.mi_lower_bounds_, self.mi_train_ = record.lower_bounds, record.train
        self.calibration_slope_, self.mi_source_ = record.slope, record.source
        self._log_partition = record.offset
        spec = resolve_bound(self.bound)
        self.diagnostics_ = diagnostics.diagnose(record, spec, n_read)
        return diagnostics.render(
            self.diagnostics_,
            record,
            bound=spec.name,
            critic_type=self.critic_type_,
            preprocessing=self.preprocessing,
            learning_rate=self.learning_rate_init_,
        )

    def _check_training_params(self):
        if isinstance(self.hidden_layer_sizes, str):
            self._validate_params()
            check_device(self.device)
            return None  # "auto": chosen from the data in _fit
        return super()._check_training_params()

    # -- inference ---------------------------------------------------------------

    def _checked_tensors(self, X, y):
        """Validated, preprocessed tensors and the critic in their float type."""
        check_is_fitted(self)
        X, Z = validate_xz(self, X, y, reset=False, min_samples=2)
        dtype = _torch.torch_dtype(X)
        critic = _torch.in_dtype(self.critic_, dtype)
        device = _torch.module_device(critic)
        Xt, Zt = self._preprocessor.tensors((X, Z), device, dtype=dtype)
        return critic, Xt, Zt

    def _scores(self, critic, X, Z):
        spec = resolve_bound(self.bound)
        return readout.scores(critic, X, Z, spec, self.batch_size_, not self.shuffle)

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
        return float(resolve_bound(self.bound).read(self.clip)(joint, marginal))

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
        read = resolve_bound(self.bound).read(self.clip)
        return [
            read(*self._scores(member, Xt, Zt), reduction="none").double().cpu().numpy()
            for member in members
        ]
