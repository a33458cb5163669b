"""New pieces plug into the engine without touching it: a read-out of your own
(a Bound), and a new estimator family trained by the one loop.

The family here is the difference of entropies (McAllester & Stratos, 2020):
a conditional density q(z | x) and a marginal one q(z), each fitted by
maximum likelihood; their held-out log ratio, row by row, estimates the
pointwise MI. With affine Gaussians (a one-layer flow) it is exact on a
Gaussian pair. It is the example of the user guide's "How it works" page.
"""

import math

import numpy as np
import torch
from sklearn.base import BaseEstimator

from sknmi import NeuralMIEstimator
from sknmi._folds import split_rows
from sknmi._neural.preprocess import Preprocessor
from sknmi._neural.training import Settings, train
from sknmi._stats import interval
from sknmi._torch import build_module, make_generator
from sknmi.bounds import Bound, jsd, jsd_of_matrix, log_ratio
from sknmi.datasets import make_gaussian


def test_a_read_out_of_your_own_is_a_bound_row():
    # The log-ratio read-out without the refitted constant: what the
    # calibration of "logratio" adds, as a bound of one's own.
    raw = Bound(
        function=log_ratio,
        objective=jsd,
        readout=log_ratio,
        offset_of=lambda joint, marginal: 0.0,
        lower=False,
        classifier=True,
        matrix_objective=jsd_of_matrix,
        name="raw_logratio",
    )
    X, Z, mi = make_gaussian(n_samples=3000, n_features=1, mi=0.5, random_state=0)
    params = dict(hidden_layer_sizes=(32,), learning_rate_init=3e-3, random_state=0)
    ours = NeuralMIEstimator(bound=raw, **params).fit(X, Z)
    calibrated = NeuralMIEstimator(**params).fit(X, Z)
    assert ours.mi_source_ in ("raw_logratio", "dv", "nwj")
    assert abs(ours.mi_ - mi) < 0.15 and abs(calibrated.mi_ - mi) < 0.1
    # The same critics: only the read-out differs.
    assert ours.n_iter_ == calibrated.n_iter_


class _AffineGaussians(torch.nn.Module):
    """q(z | x) = N(A x + b, diag(s^2)) and q(z) = N(m, diag(t^2))."""

    def __init__(self, d_x, d_z):
        super().__init__()
        self.mean = torch.nn.Linear(d_x, d_z)
        self.log_s = torch.nn.Parameter(torch.zeros(d_z))
        self.m = torch.nn.Parameter(torch.zeros(d_z))
        self.log_t = torch.nn.Parameter(torch.zeros(d_z))

    def log_densities(self, x, z):
        conditional = torch.distributions.Normal(self.mean(x), self.log_s.exp())
        marginal = torch.distributions.Normal(self.m, self.log_t.exp())
        return conditional.log_prob(z).sum(-1), marginal.log_prob(z).sum(-1)


class _LikelihoodGame:
    """The loop's game: both densities by maximum likelihood, watched held out."""

    adversaries = ()
    plausible = None

    def __init__(self, model, X, Z, train_rows, held_rows):
        self.model, self.X, self.Z = model, X, Z
        self.train_rows, self.held_rows = train_rows, held_rows
        self.n_samples = len(train_rows)

    def loss(self, batch):
        rows = self.train_rows[batch]
        cond, marg = self.model.log_densities(self.X[rows], self.Z[rows])
        return -(cond + marg).mean(), {"log_likelihood": (cond + marg).mean()}

    def validate(self):
        cond, marg = self.model.log_densities(
            self.X[self.held_rows], self.Z[self.held_rows]
        )
        score = (cond + marg).mean()
        return score, {"validation_log_likelihood": score}


class DifferenceOfEntropies(BaseEstimator):
    """I(X; Z) = H(Z) - H(Z | X), both cross-entropies read on held-out rows."""

    def __init__(self, max_iter=100, random_state=None):
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        X, Z = np.asarray(X, float), np.asarray(y, float).reshape(len(y), -1)
        train_rows, held_rows, seeds = split_rows(len(X), 0.3, self.random_state, 2)
        scaling = Preprocessor(quantile=False).fit((X, Z), train_rows, seeds[0])
        Xt, Zt = scaling.tensors((X, Z), "cpu")
        torch_rows = [torch.as_tensor(r) for r in (train_rows, held_rows)]
        model = build_module(lambda: _AffineGaussians(X.shape[1], Z.shape[1]), seeds[0])
        game = _LikelihoodGame(model, Xt, Zt, *torch_rows)
        settings = Settings(batch_size=128, learning_rate=1e-2, max_iter=self.max_iter)
        train(game, settings, generator=make_generator(seeds[1]), device="cpu")
        with torch.no_grad():
            cond, marg = model.log_densities(Xt[torch_rows[1]], Zt[torch_rows[1]])
        terms = (cond - marg).double().numpy()
        self.mi_, self.mi_ci_, _ = interval([terms.mean()], [terms])
        return self


def test_a_new_estimator_family_trains_through_the_one_loop():
    X, Z, mi = make_gaussian(n_samples=4000, n_features=2, mi=0.5, random_state=0)
    est = DifferenceOfEntropies(random_state=0).fit(X, Z)
    low, high = est.mi_ci_
    assert abs(est.mi_ - mi) < 0.08 and low < est.mi_ < high
    assert high - low < 0.2 and math.isfinite(est.mi_)
