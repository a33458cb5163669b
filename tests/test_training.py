import numpy as np
import torch

from sknmi._base import Standardiser


def test_chunked_standardiser_equals_numpy(monkeypatch):
    monkeypatch.setattr("sknmi._base._CHUNK_ROWS", 1000)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5000, 3)) * [1.0, 5.0, 0.1] + [3.0, -2.0, 100.0]
    rows = rng.permutation(5000)[:3700]
    scaler = Standardiser().fit(A, rows)
    np.testing.assert_allclose(scaler.mean_, A[rows].mean(0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, A[rows].std(0), rtol=1e-10)
    t = scaler.tensor(A, rows, torch.device("cpu"))
    assert t.dtype == torch.float32 and t.shape == (3700, 3)
    np.testing.assert_allclose(t.numpy(), (A[rows] - A[rows].mean(0)) / A[rows].std(0),
                               atol=1e-5)
