"""Many fits as the members of one stacked module (NeuralMIEstimator._fit_batch).

Each problem keeps its own folds, initial weights, rate race, plateaus and
early stopping; only the order of the batches is drawn for all at once. So a
batched fit of one problem is the ordinary fit, bit for bit, and a batched
fit of many gives each problem what its own fit would have, in distribution.
"""

import warnings

import numpy as np
import pytest
import torch

from sknmi import NeuralMIEstimator
from sknmi import mi as mi_module
from sknmi._neural.training import EarlyStopping, Settings
from sknmi._parallel import fit_many, read_mi, seeded_clones
from sknmi.datasets import make_gaussian
from sknmi.pairwise import pairwise_mi

TINY = dict(hidden_layer_sizes=(16,), embedding_dim=8, max_iter=30)


def _tasks(estimator, n=1500, mis=(0.0, 0.3, 0.8, 1.2)):
    tasks = []
    for i, mi in enumerate(mis):
        X, Z, _ = make_gaussian(n_samples=n, n_features=1, mi=mi, random_state=i)
        tasks.append((X, Z))
    clones = seeded_clones(estimator, len(tasks), 0)
    return [(est, X, Z) for est, (X, Z) in zip(clones, tasks)]


def _fit(tasks, batch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_many(tasks, batch=batch)


def test_a_batch_of_one_is_the_ordinary_fit():
    X, Z, _ = make_gaussian(n_samples=800, n_features=2, mi=0.5, random_state=0)
    (batched,) = _fit([(NeuralMIEstimator(random_state=3, **TINY), X, Z)], True)
    alone = NeuralMIEstimator(random_state=3, **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone.fit(X, Z)
    assert batched == read_mi(alone)


def test_each_member_of_a_batch_reads_its_own_problem():
    truths = (0.0, 0.3, 0.8, 1.2)
    tasks = _tasks(NeuralMIEstimator(**TINY), mis=truths)
    batched = _fit(tasks, True)
    separate = _fit(_tasks(NeuralMIEstimator(**TINY), mis=truths), False)
    for mi, (value, lo, hi), (alone, _, _) in zip(truths, batched, separate):
        assert lo < value < hi
        # Its own problem's estimate: near the truth and near its own fit.
        assert abs(value - mi) < 0.15 and abs(value - alone) < 0.15
    # Each problem keeps its own race and its own early stopping.
    fitted = [est for est, _, _ in tasks]
    assert all(est.learning_rate_search_ is not None for est in fitted)
    assert len({est.best_iter_ for est in fitted}) > 1
    assert all(est.critic_.n_members == est.n_folds for est in fitted)


def test_problems_that_stop_leave_the_batch_and_keep_their_best():
    # Independent pairs stop at once; a strong dependence trains on. The
    # stopped ones keep the state of their best epoch.
    tasks = _tasks(NeuralMIEstimator(**TINY), mis=(0.0, 0.0, 2.0))
    _fit(tasks, True)
    first, _, strong = (est for est, _, _ in tasks)
    assert first.best_iter_ < strong.best_iter_ <= strong.n_iter_
    # The critics of a problem that left are those of its best epoch: the
    # DV bound of the same critics on its rows agrees with its estimate.
    dv, _ = first.mi_lower_bounds_["dv"]
    assert abs(first.mi_) < 0.1 and abs(dv) < 0.1


def test_early_stopping_keeps_each_group_on_its_own_patience():
    members = [[torch.zeros(1)] for _ in range(4)]
    stopper = EarlyStopping(members, Settings(1, 1.0, 10, tol=0.0), n_groups=2)
    stopper.update(1, [1.0, 1.0], [1.0] * 4)
    stopper.update(2, [2.0, 0.5], [2.0, 2.0, 0.5, 0.5])
    stopper.update(3, [3.0, 0.5], [3.0, 3.0, 0.5, 0.5])
    assert stopper.waits == [0, 2] and stopper.best_epochs == [3, 1]
    assert stopper.no_improvement == 0 and stopper.stopped(2) == [1]


def test_pairwise_mi_takes_the_batched_path():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1500, 1))
    noise = rng.standard_normal((1500, 2))
    W = np.hstack([x, x + noise[:, :1], noise[:, 1:]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = pairwise_mi(W, NeuralMIEstimator(**TINY), random_state=0)
    # 0.5 log 2 = 0.35 nats between the first two columns, 0 elsewhere.
    assert abs(result.mi[0, 1] - 0.35) < 0.12
    assert abs(result.mi[0, 2]) < 0.08 and abs(result.mi[1, 2]) < 0.08


@pytest.mark.slow  # two worker processes start and import torch
def test_batches_sent_to_workers_fit_as_in_this_process(monkeypatch):
    # Batches of two: four fits make two batches, which n_jobs=2 sends to two
    # workers; each worker fits its batch as this process does.
    monkeypatch.setattr(mi_module, "_BATCH_FITS", 2)
    monkeypatch.setattr(mi_module, "_BATCH_LEAST", 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        here = fit_many(_tasks(NeuralMIEstimator(**TINY), n=600), batch=True)
        spread = fit_many(_tasks(NeuralMIEstimator(**TINY), n=600), n_jobs=2)
    assert here == spread
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = fit_many(_tasks(NeuralMIEstimator(**TINY), n=600), batch=False)
    # Batched, not one by one (where the draws of the batches differ).
    assert here != alone
