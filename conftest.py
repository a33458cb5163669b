"""Test set-up shared by tests/ and the doctests of sknmi/."""

import matplotlib
import pytest
import torch

matplotlib.use("Agg")  # no display on CI


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    # Small critics train fastest on one thread, and a second thread only
    # competes with other work on 2 cores; restore the count afterwards.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
