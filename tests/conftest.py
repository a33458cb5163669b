import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    # Small critics train fastest on one thread, and pytest-xdist-style parallel
    # runs must not oversubscribe the cores; restore the count afterwards.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
