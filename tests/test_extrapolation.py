"""ExtrapolatedMIEstimator: a bias linear in 1/n is removed; a curved one is said."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sknmi import ExtrapolatedMIEstimator, GaussianMIEstimator
from sknmi.datasets import make_gaussian


def test_the_plug_in_gaussian_bias_is_extrapolated_away():
    # The plug-in Gaussian estimate is high by about d_x d_z / (2 n): 0.125
    # nats for 10 + 10 columns on 400 rows; the line through n, n/2 and n/4
    # removes it.
    plain, corrected, covered = [], [], 0
    for seed in range(10):
        X, Z, truth = make_gaussian(400, 10, mi=0.5, random_state=seed)
        est = ExtrapolatedMIEstimator(
            GaussianMIEstimator(bias_correction=False), random_state=seed
        ).fit(X, Z)
        plain.append(est.mi_uncorrected_ - truth)
        corrected.append(est.mi_ - truth)
        covered += est.mi_ci_[0] <= truth <= est.mi_ci_[1]
        assert est.points_.shape == (3, 3) and est.slope_ > 0
    assert np.mean(plain) > 0.1
    assert abs(np.mean(corrected)) < 0.03
    assert covered >= 9


class _Curved(BaseEstimator):
    """An estimate whose bias is 4000 / n^2, with a tight interval."""

    _estimates_mi = True

    def fit(self, X, y):
        self.mi_ = 1.0 + 4000.0 / len(X) ** 2
        self.mi_ci_ = (self.mi_ - 0.001, self.mi_ + 0.001)
        return self


class _NoMI(BaseEstimator):
    def fit(self, X, y):
        return self


class _Straight(_Curved):
    def fit(self, X, y):
        self.mi_ = 1.0 + 20.0 / len(X)
        self.mi_ci_ = (self.mi_ - 0.001, self.mi_ + 0.001)
        return self


def test_points_off_a_line_raise_a_warning_and_on_it_do_not():
    X, Z = np.random.default_rng(0).standard_normal((2, 200, 1))
    with pytest.warns(UserWarning, match="do not lie on a line"):
        ExtrapolatedMIEstimator(_Curved()).fit(X, Z)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est = ExtrapolatedMIEstimator(_Straight()).fit(X, Z)
    assert est.mi_ == pytest.approx(1.0) and est.slope_ == pytest.approx(20.0)


def test_splits_and_rows_are_checked():
    X, Z = np.random.default_rng(0).standard_normal((2, 20, 1))
    with pytest.raises(ValueError, match="at least two distinct"):
        ExtrapolatedMIEstimator(_Straight(), splits=(2,)).fit(X, Z)
    with pytest.raises(ValueError, match="at least 4 rows"):
        ExtrapolatedMIEstimator(_Straight(), splits=(1, 8)).fit(X, Z)
    with pytest.raises(ValueError, match="needs an MI estimator"):
        ExtrapolatedMIEstimator(_NoMI()).fit(X, Z)
