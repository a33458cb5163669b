"""Displays in scikit-learn's ``*Display.from_estimator`` style (matplotlib, imported lazily)."""

__all__ = []


def _pyplot():
    """matplotlib.pyplot, or a clear error naming the extra that provides it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sknmi.plotting needs matplotlib: pip install 'sknmi[plot]'"
        ) from exc
    return plt


def _axes(ax):
    """``ax``, or the axes of a new figure when ``ax`` is None."""
    if ax is None:
        _, ax = _pyplot().subplots()
    return ax
