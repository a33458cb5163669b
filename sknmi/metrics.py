"""Closed-form information measures of Gaussians; evaluation of representations."""

import warnings
from functools import partial

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array

from sknmi import bounds
from sknmi._closed_form import gaussian_kl, gaussian_mi
from sknmi._folds import split_rows
from sknmi._neural.preprocess import Preprocessor
from sknmi._neural.training import Settings
from sknmi._neural.training import train as _train
from sknmi._torch import build_module, make_generator, resolve_device
from sknmi._typing import ArrayLike, RandomStateLike
from sknmi._validation import check_hidden_layer_sizes
from sknmi.nn import MLP

__all__ = [
    "gaussian_kl",
    "gaussian_mi",
    "neural_dependency_measure",
    "probe_accuracy",
    "reconstruction_error",
]


# -- evaluation of representations (Hjelm et al., 2019, section 4) -----------------


def _shuffle_columns(Z, generator, n_rows):
    """``n_rows`` draws from the product of the column marginals of ``Z`` (a tensor)."""
    rows = torch.randint(Z.shape[0], (n_rows, Z.shape[1]), generator=generator)
    return Z.gather(0, rows.to(Z.device))


def neural_dependency_measure(
    Z: ArrayLike,
    *,
    hidden_layer_sizes: tuple[int, ...] = (64,),
    batch_size: int = 128,
    learning_rate_init: float = 1e-3,
    max_iter: int = 50,
    validation_fraction: float = 0.3,
    n_iter_no_change: int = 5,
    n_shuffles: int = 10,
    preprocessing: str = "quantile",
    device: str = "cpu",
    random_state: RandomStateLike = None,
) -> float:
    r"""Neural dependency measure (NDM): how far the columns of Z are from independent.

    A discriminator ``D`` is trained to tell rows of Z from rows whose columns
    are shuffled independently (samples of the product of the marginals); the
    Kullback–Leibler divergence between the two, the total correlation of Z,
    is then read with the Donsker–Varadhan bound on held-out rows:

    .. math:: \mathrm{NDM} = \mathbb{E}_{p(z)}[D] - \log \mathbb{E}_{\prod_k
              p(z_k)}[e^{D}] \;\le\; KL\Big(p(z) \,\Big\|\, \prod_k p(z_k)\Big)

    0 for independent columns, larger for more dependent ones (Hjelm et al.,
    2019, section 4, used it to show that prior matching makes the code's
    dimensions more independent).

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        Codes, e.g. the output of a transformer.
    hidden_layer_sizes : tuple of int, default=(64,)
        Hidden widths of the discriminator (an MLP).
    batch_size : int, default=128
        Rows per minibatch; each is matched by as many shuffled rows.
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    max_iter : int, default=50
        Maximum number of epochs.
    validation_fraction : float, default=0.3
        Share of rows held out for early stopping and for the read-out.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.
    n_shuffles : int, default=10
        Independent column shuffles of the held-out rows averaged in the
        read-out (more shuffles, less noise in the partition term).
    preprocessing : {"quantile", "standard"}, default="quantile"
        Map applied to each column, fitted on the training rows, before the
        discriminator sees it. ``"quantile"``: a rank transform to a standard
        normal (:class:`~sklearn.preprocessing.QuantileTransformer`);
        ``"standard"``: zero mean and unit variance only. The total correlation
        does not change under either, but the discriminator's reading does:
        with ``"standard"`` the same dependence reads lower in columns with
        skewed or saturated marginals, so codes whose marginals differ (with
        and without prior matching, say) are not compared fairly.
    device : str, default="cpu"
        Torch device of the discriminator.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the weights, the batches and the shuffles.

    Returns
    -------
    ndm : float
        In nats. A lower bound on the total correlation in expectation; on a
        finite held-out set it may come out slightly below 0 for independent
        columns.

    Notes
    -----
    The discriminator is trained by the logistic (Jensen–Shannon) loss of
    :func:`sknmi.bounds.jsd`, whose optimal logit is the log density ratio,
    through the shared training loop with early stopping on the held-out loss.
    Each column is mapped first (see ``preprocessing``; the total correlation
    is invariant to per-column monotone maps); for bounded, uniform-like
    marginals (sigmoid codes) the quantile map reads markedly more than plain
    standardisation, for unbounded ones the two agree (see
    :doc:`/user_guide/infomax`). Shuffled rows for training are fresh every
    batch: column ``k`` of each comes from an independently drawn row.
    A single column gives 0 by definition.

    The defaults are chosen to be fast, for comparing codes with one another;
    the bound is loose for strongly dependent columns (two Gaussians with a
    total correlation of 2.31 nats read 0.99 at the defaults with 2000 rows).
    Raise ``max_iter``, ``n_iter_no_change`` and the discriminator's width for
    a tighter value.

    References
    ----------
    Hjelm et al., "Learning deep representations by mutual information
    estimation and maximization", ICLR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi.metrics import neural_dependency_measure
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((2000, 1))
    >>> dependent = np.hstack([x, x + 0.1 * rng.standard_normal((2000, 1))])
    >>> independent = rng.standard_normal((2000, 2))
    >>> ndm_dep = neural_dependency_measure(dependent, random_state=0)
    >>> ndm_ind = neural_dependency_measure(independent, random_state=0)
    >>> bool(ndm_dep > 1.0 > 0.1 > ndm_ind)
    True
    """
    Z = check_array(Z, dtype=np.float64, ensure_min_samples=4)
    hidden = check_hidden_layer_sizes(hidden_layer_sizes)
    if not 0 < validation_fraction < 1:
        raise ValueError(
            f"validation_fraction must be in (0, 1), got {validation_fraction}"
        )
    if preprocessing not in ("quantile", "standard"):
        raise ValueError(
            f"preprocessing must be 'quantile' or 'standard', got {preprocessing!r}"
        )
    if n_shuffles < 1 or batch_size < 2 or max_iter < 1:
        raise ValueError("n_shuffles and max_iter must be >= 1 and batch_size >= 2")
    if Z.shape[1] == 1:
        return 0.0
    train_rows, val_rows, (init_seed, batch_seed) = split_rows(
        len(Z), validation_fraction, random_state, n_seeds=2
    )
    device = resolve_device(device)
    scaling = Preprocessor(preprocessing == "quantile").fit((Z,), train_rows, init_seed)
    (Zt,), (Zv,) = (
        scaling.tensors((Z,), device, rows) for rows in (train_rows, val_rows)
    )
    generator = make_generator(batch_seed)
    Zv_shuffled = _shuffle_columns(Zv, generator, n_shuffles * len(Zv))
    critic = build_module(partial(MLP, Z.shape[1], hidden, 1), init_seed).to(device)
    game = _DependencyGame(critic, Zt, Zv, Zv_shuffled, generator)
    with warnings.catch_warnings():
        # The read-out is meaningful whether or not the patience ran out.
        warnings.simplefilter("ignore", ConvergenceWarning)
        _train(
            game,
            Settings(
                batch_size=batch_size,
                learning_rate=learning_rate_init,
                max_iter=max_iter,
                n_iter_no_change=n_iter_no_change,
                name="neural_dependency_measure",
            ),
            generator=generator,
            device=device,
        )
    with torch.no_grad():
        return float(game.read_out())


class _DependencyGame:
    """The neural dependency measure's game: a discriminator learns by the
    logistic (JSD) loss to tell rows of Z from rows with columns shuffled
    independently; held out, it is judged by that loss and read by DV."""

    adversaries = ()
    plausible = None

    def __init__(self, critic, Zt, Zv, Zv_shuffled, generator):
        self.model, self.generator = critic, generator
        self.Zt, self.Zv, self.Zv_shuffled = Zt, Zv, Zv_shuffled
        self.n_samples = Zt.shape[0]

    def loss(self, batch):
        """Minus the JSD bound on ``batch`` against freshly shuffled rows."""
        joint = self.model(self.Zt[batch]).squeeze(-1)
        shuffled = _shuffle_columns(self.Zt, self.generator, len(batch))
        marginal = self.model(shuffled).squeeze(-1)
        value = bounds.jsd(joint, marginal)
        return -value, {"jsd": value}

    def validate(self):
        """The held-out JSD bound, and the DV read-out to log."""
        joint = self.model(self.Zv).squeeze(-1)
        marginal = self.model(self.Zv_shuffled).squeeze(-1)
        ndm = bounds.dv(joint, marginal)
        return bounds.jsd(joint, marginal), {"validation_ndm": ndm}

    def read_out(self):
        """The DV bound on the held-out rows against their fixed shuffles."""
        joint = self.model(self.Zv).squeeze(-1)
        return bounds.dv(joint, self.model(self.Zv_shuffled).squeeze(-1))


def probe_accuracy(
    Z_train: ArrayLike,
    y_train: ArrayLike,
    Z_test: ArrayLike,
    y_test: ArrayLike,
    *,
    probe: str | BaseEstimator = "linear",
    random_state: int | None = None,
) -> float:
    """Test accuracy of a classifier trained on frozen codes (a linear or MLP probe).

    The codes are standardised (fitted on ``Z_train``), then a
    :class:`~sklearn.linear_model.LogisticRegression` (``probe="linear"``) or
    an :class:`~sklearn.neural_network.MLPClassifier` with one hidden layer of
    200 units (``probe="mlp"``) learns the labels; the encoder that made the
    codes is not changed (Hjelm et al., 2019, section 4).

    Parameters
    ----------
    Z_train, Z_test : array-like of shape (n, n_components)
        Codes of the training and test rows.
    y_train, y_test : array-like of shape (n,)
        Class labels.
    probe : {"linear", "mlp"} or classifier, default="linear"
        The classifier; any scikit-learn classifier is accepted as it is.
    random_state : int or None, default=None
        Seed of the MLP probe.

    Returns
    -------
    accuracy : float
        Share of test rows classified correctly.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sknmi.metrics import probe_accuracy
    >>> X, y = load_digits(return_X_y=True)
    >>> pca = PCA(16).fit(X[:1000])
    >>> acc = probe_accuracy(pca.transform(X[:1000]), y[:1000],
    ...                      pca.transform(X[1000:]), y[1000:])
    >>> bool(acc > 0.85)
    True
    """
    if probe == "linear":
        clf = LogisticRegression(max_iter=2000)
    elif probe == "mlp":
        clf = MLPClassifier(
            hidden_layer_sizes=(200,),
            max_iter=1000,
            early_stopping=True,
            random_state=random_state,
        )
    elif not isinstance(probe, str) and is_classifier(probe):
        clf = clone(probe)
    else:
        raise ValueError(
            f"probe must be 'linear', 'mlp' or a classifier, got {probe!r}"
        )
    model = make_pipeline(StandardScaler(), clf).fit(Z_train, y_train)
    return float(model.score(Z_test, y_test))


def reconstruction_error(
    Z_train: ArrayLike,
    X_train: ArrayLike,
    Z_test: ArrayLike,
    X_test: ArrayLike,
    *,
    decoder: str | BaseEstimator = "mlp",
    random_state: int | None = None,
) -> float:
    """Held-out mean squared error of a decoder from frozen codes back to the input.

    A regressor learns ``X`` from the standardised codes on the training rows;
    the error is the sum over test rows and features of the squared
    difference, divided by the total variance of the test rows around the
    training mean (so 1 is the error of predicting the mean image, 0 is
    perfect; features are weighed by their variance, so nearly constant
    pixels do not dominate). This is the reconstruction evaluation of Hjelm
    et al. (2019, section 4), with the encoder kept fixed.

    Parameters
    ----------
    Z_train, Z_test : array-like of shape (n, n_components)
        Codes of the training and test rows.
    X_train, X_test : array-like of shape (n, n_features)
        The inputs the codes were made from.
    decoder : {"mlp", "linear"} or regressor, default="mlp"
        :class:`~sklearn.neural_network.MLPRegressor` with one hidden layer of
        256 units, :class:`~sklearn.linear_model.Ridge`, or any scikit-learn
        regressor.
    random_state : int or None, default=None
        Seed of the MLP decoder.

    Returns
    -------
    error : float
        Normalised mean squared error on the test rows.

    Notes
    -----
    The *MI between input and code*, the fourth evaluation of the paper, is
    one call to the estimator of this package:
    ``NeuralMIEstimator().fit(X, Z).mi_`` (nats, read on held-out rows). For a
    deterministic encoder the true value is infinite for continuous X, so
    compare encoders by the estimate with a fixed critic and ``bound``
    (``"infonce"`` caps it at ``log(batch_size)``).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sknmi.metrics import reconstruction_error
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(16).fit(X[:1000])
    >>> err = reconstruction_error(pca.transform(X[:1000]), X[:1000],
    ...                            pca.transform(X[1000:]), X[1000:], decoder="linear")
    >>> bool(0.0 < err < 0.3)
    True
    """
    if decoder == "mlp":
        reg = MLPRegressor(
            hidden_layer_sizes=(256,),
            max_iter=500,
            early_stopping=True,
            random_state=random_state,
        )
    elif decoder == "linear":
        reg = Ridge(alpha=1e-3)
    elif not isinstance(decoder, str) and is_regressor(decoder):
        reg = clone(decoder)
    else:
        raise ValueError(
            f"decoder must be 'mlp', 'linear' or a regressor, got {decoder!r}"
        )
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    mean = X_train.mean(0)
    # One scale for all features keeps the squared loss weighted by variance.
    scale = np.sqrt(X_train.var(0).mean())
    scale = scale if scale > 1e-12 else 1.0
    model = make_pipeline(StandardScaler(), reg).fit(Z_train, (X_train - mean) / scale)
    residual = model.predict(Z_test) - (X_test - mean) / scale
    total = ((X_test - mean) / scale) ** 2
    return float(np.sum(residual**2) / np.sum(total))
