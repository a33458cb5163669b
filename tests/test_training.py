import numpy as np
import torch

from sknmi._training import column_stats, standardised_tensor


def test_chunked_column_stats_equal_numpy(monkeypatch):
    monkeypatch.setattr("sknmi._training._CHUNK_ROWS", 1000)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5000, 3)) * [1.0, 5.0, 0.1] + [3.0, -2.0, 100.0]
    rows = rng.permutation(5000)[:3700]
    mean, std = column_stats(A, rows)
    np.testing.assert_allclose(mean, A[rows].mean(0), rtol=1e-12)
    np.testing.assert_allclose(std, A[rows].std(0), rtol=1e-10)
    t = standardised_tensor(A, rows, mean, std, torch.device("cpu"))
    assert t.dtype == torch.float32 and t.shape == (3700, 3)
    np.testing.assert_allclose(t.numpy(), (A[rows] - mean) / std, atol=1e-5)
