"""Scorers that let a search record the information plane of a bottleneck.

Kept apart from the estimator so that :mod:`sknmi.plotting` reads the same
helpers without reaching into an estimator's module.
"""

__all__ = ["find_bottleneck", "information_scoring"]


def _is_bottleneck(estimator):
    # By behaviour, not by class: this module does not import the estimator.
    return callable(getattr(estimator, "information_plane", None))


def find_bottleneck(estimator, X=None):
    """The InfoBottleneckTransformer in ``estimator`` (itself or a Pipeline step).

    Returns the bottleneck and ``X`` carried through the pipeline steps before
    it (``X`` unchanged when it is None or the estimator is the bottleneck).
    """
    if _is_bottleneck(estimator):
        return estimator, X
    for _, step in getattr(estimator, "steps", ()):
        if _is_bottleneck(step):
            return step, X
        if step is None or step == "passthrough":
            continue
        if X is not None:
            X = step.transform(X)
    raise ValueError(
        f"{type(estimator).__name__} is not an InfoBottleneckTransformer nor a "
        "Pipeline with one among its steps"
    )


def _score(estimator, X, y):
    return estimator.score(X, y)


def _ixz(estimator, X, y):
    bottleneck, Xt = find_bottleneck(estimator, X)
    return bottleneck.information_plane(Xt, y)[0]


def _izy(estimator, X, y):
    bottleneck, Xt = find_bottleneck(estimator, X)
    return bottleneck.information_plane(Xt, y)[1]


def information_scoring():
    """Scorers that make a search record the information plane per candidate.

    Pass the result as ``scoring`` (with ``refit="score"``) to
    :class:`~sklearn.model_selection.GridSearchCV`: ``cv_results_`` then holds
    ``mean_test_score`` (the estimator's own ``score``: accuracy or R² for an
    :class:`~sknmi.InfoBottleneckTransformer`, the final step's score for a
    Pipeline), ``mean_test_ixz`` and ``mean_test_izy`` (the held-out
    coordinates of :meth:`sknmi.InfoBottleneckTransformer.information_plane`), which
    :meth:`sknmi.plotting.InformationPlaneDisplay.from_estimators` plots.

    Returns
    -------
    scoring : dict
        ``{"score": ..., "ixz": ..., "izy": ...}``, callables
        ``(estimator, X, y) -> float``. The estimator is an
        InfoBottleneckTransformer or a Pipeline that holds one.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import GridSearchCV, StratifiedKFold
    >>> from sknmi import InfoBottleneckTransformer
    >>> from sknmi.bottleneck import information_scoring
    >>> X, y = load_iris(return_X_y=True)
    >>> ib = InfoBottleneckTransformer(n_components=2, hidden_layer_sizes=(8,),
    ...                                max_iter=20, random_state=0)
    >>> search = GridSearchCV(ib, {"beta": [1e-3, 1.0]}, cv=StratifiedKFold(2),
    ...                       scoring=information_scoring(), refit="score")
    >>> sorted(k for k in search.fit(X, y).cv_results_ if k.startswith("mean_test"))
    ['mean_test_ixz', 'mean_test_izy', 'mean_test_score']
    """
    return {"score": _score, "ixz": _ixz, "izy": _izy}
