"""The input checks every estimator shares: one rule for class labels."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sknmi._validation import (
    check_device,
    check_hidden_layer_sizes,
    encode_labels,
    is_label_vector,
    validate_xz,
)


@pytest.mark.parametrize(
    "y, labels",
    [
        (np.array([1, 2, 1]), True),
        (np.array([True, False, True]), True),
        (np.array(["a", "b", "a"]), True),
        (np.array(["a", "b", "a"], dtype=object), True),
        (np.array([1.0, 2.0, 1.0]), False),
        (np.array([0.5, 2.0, 1.0]), False),
        (np.array([[1], [2], [1]]), False),
        (np.zeros((3, 2), dtype=int), False),
    ],
)
def test_the_dtype_decides_what_a_class_label_is(y, labels):
    assert is_label_vector(y) is labels


def test_encode_labels_round_trip_and_unseen():
    codes, classes = encode_labels(np.array(["b", "a", "b"]))
    np.testing.assert_array_equal(classes, ["a", "b"])
    np.testing.assert_array_equal(codes, [1, 0, 1])
    again, _ = encode_labels(np.array(["a", "b"]), classes)
    np.testing.assert_array_equal(again, [0, 1])
    with pytest.raises(ValueError, match="not seen in fit"):
        encode_labels(np.array(["a", "c"]), classes)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array(["a", None, "b"], dtype=object), "missing"),
        (np.array(["a", float("nan"), "b"], dtype=object), "missing"),
        (np.array(["a", 1, "b"], dtype=object), "mixes strings"),
    ],
)
def test_bad_labels_are_refused_clearly(y, match):
    with pytest.raises(ValueError, match=match):
        encode_labels(y)


class _Holder(BaseEstimator):
    pass


def test_validate_xz_one_hot_encodes_labels_and_keeps_input():
    X = np.arange(8.0).reshape(4, 2)
    y = np.array([3, 1, 3, 1])
    before = (X.copy(), y.copy())
    est = _Holder()
    Xv, Z = validate_xz(est, X, y, reset=True)
    np.testing.assert_array_equal(est.classes_, [1, 3])
    np.testing.assert_array_equal(Z, [[0, 1], [1, 0], [0, 1], [1, 0]])
    assert est.n_z_features_ == 2
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(y, before[1])
    with pytest.raises(ValueError, match="not seen in fit"):
        validate_xz(est, X, np.array([3, 1, 2, 1]), reset=False)
    _, Zc = validate_xz(est, X, y.astype(float), reset=True)
    assert est.classes_ is None and Zc.shape == (4, 1)
    with pytest.raises(ValueError, match="columns"):
        validate_xz(est, X, np.ones((4, 2)), reset=False)


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:1", "mps"])
def test_check_device_accepts(device):
    check_device(device)


@pytest.mark.parametrize("device", ["gpu", "cuda:", "CPU", 0, None])
def test_check_device_refuses(device):
    with pytest.raises(ValueError, match="device must be"):
        check_device(device)


def test_check_hidden_layer_sizes():
    assert check_hidden_layer_sizes(8) == (8,)
    assert check_hidden_layer_sizes([4, 2]) == (4, 2)
    assert check_hidden_layer_sizes(()) == ()
    for bad in ([0], [2.5], "ab", None):
        with pytest.raises(ValueError, match="hidden_layer_sizes"):
            check_hidden_layer_sizes(bad)
