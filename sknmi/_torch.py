"""Torch plumbing shared by the estimators: devices, generators, seeded modules.

Nothing here trains or validates; the loop is :mod:`sknmi._neural.training`, the
scikit-learn side :mod:`sknmi._base`.
"""

import copy
import threading

import numpy as np
import torch

from sknmi._validation import check_device

_GLOBAL_RNG_LOCK = threading.Lock()


def resolve_device(device):
    """The ``torch.device`` for a ``device`` parameter ("auto": CUDA when present)."""
    check_device(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but CUDA is not available")
    if device == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ValueError(f"device={device!r} was asked for, but MPS is not available")
    return torch.device(device)


def autocast_dtype(precision, device):
    """The ``torch.autocast`` dtype of a ``precision`` parameter on ``device``
    (None for float32), or a ValueError for a GPU without bfloat16, which
    torch would refuse only at the first training step."""
    if precision == "float32":
        return None
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"precision={precision!r} needs a GPU with bfloat16 products (NVIDIA "
            "Ampere or newer); this one has none: use precision='float32'"
        )
    return torch.bfloat16


def make_generator(seed):
    """A CPU ``torch.Generator`` seeded with ``seed``."""
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return generator


def build_module(factory, seed):
    """Call ``factory()`` with torch's global RNG seeded, then restore that RNG.

    Layers initialise their weights from the global RNG; seeding it inside
    ``fork_rng`` makes the initial weights a function of ``random_state`` and
    leaves the caller's RNG state as it was.
    """
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return factory()


def to_tensor(array, device, dtype=torch.float32):
    """A new tensor holding a copy of ``array`` (read-only memmaps are fine)."""
    return torch.tensor(np.asarray(array), dtype=dtype, device=device)


def module_device(module):
    """The device of a module's first parameter (CPU for a module without any)."""
    for p in module.parameters():
        return p.device
    return torch.device("cpu")


def torch_dtype(array):
    """float64 for float64 arrays, else float32: inference follows the input."""
    return torch.float64 if np.asarray(array).dtype == np.float64 else torch.float32


def in_dtype(module, dtype):
    """``module`` itself for float32, else a copy converted to ``dtype``.

    Training runs in float32; float32 products change in the last bit with the
    batch size, so float64 input is scored by a float64 copy, which makes each
    row's result independent of the rows it is sent with.
    """
    if module is None or dtype == torch.float32:
        return module
    return copy.deepcopy(module).to(dtype)
