"""Displays in scikit-learn's ``*Display.from_estimator`` style (matplotlib, lazily)."""

__all__ = [
    "InformationPlaneDisplay",
    "LaggedMIDisplay",
    "MIMatrixDisplay",
    "TrainingCurveDisplay",
]


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
    elif not (hasattr(ax, "plot") and hasattr(ax, "figure")):
        raise ValueError(f"ax must be a matplotlib Axes or None, got {ax!r}")
    return ax


def _check_fitted(estimator, attribute):
    """A ``NotFittedError`` for an unfitted estimator, as its methods raise."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(estimator, "fit"):
        raise ValueError(f"expected a fitted estimator, got {estimator!r}")
    try:
        check_is_fitted(estimator, attribute)
    except NotFittedError:
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet: call "
            f"'fit' before plotting it"
        ) from None


def _curve(values, name, length=None):
    """``values`` as a 1-D float array of ``length`` finite-or-NaN numbers."""
    import numpy as np

    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a sequence of numbers, got {values!r}"
        ) from None
    if array.ndim != 1 or (length is not None and len(array) != length):
        raise ValueError(
            f"{name} must be 1-D"
            + (f" with {length} values" if length is not None else "")
            + f", got shape {array.shape}"
        )
    return array


# -- information plane ------------------------------------------------------------


class InformationPlaneDisplay:
    """The information plane: I(X; Z) against I(Z; Y), in nats.

    One point per epoch of a fit (:meth:`from_estimator`, a trajectory) or one
    point per fitted estimator of a sweep (:meth:`from_estimators`), for
    :class:`sknmi.InfoBottleneckTransformer`. The dashed line is H(Y), the
    ceiling of I(Z; Y).

    Parameters
    ----------
    ixz, izy : array-like of shape (n_points,)
        Coordinates: the I(X; Z) term (KL bound or MINE estimate) and the
        lower bound ``H(Y) - cross-entropy`` on I(Z; Y).
    labels : list of str, default=None
        A label per point (for instance ``"beta=1e-03"``).
    target_entropy : float, default=None
        H(Y), drawn as a horizontal line when given.
    kind : {"trajectory", "sweep"}, default="sweep"
        A trajectory is coloured by epoch; a sweep's points are labelled.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    points_ : matplotlib PathCollection

    Examples
    --------
    >>> from sknmi.plotting import InformationPlaneDisplay
    >>> display = InformationPlaneDisplay([5.0, 1.0], [2.2, 0.4],
    ...                                   labels=["beta=1e-3", "beta=1"],
    ...                                   target_entropy=2.3).plot()
    >>> display.ax_.get_xlabel()
    'I(X; Z) [nats]'
    """

    def __init__(self, ixz, izy, *, labels=None, target_entropy=None, kind="sweep"):
        self.ixz = ixz
        self.izy = izy
        self.labels = labels
        self.target_entropy = target_entropy
        self.kind = kind

    def plot(self, ax=None, *, cmap="viridis", annotate=True, connect=False):
        """Draw the points on ``ax`` (a new figure when None).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        cmap : str, default="viridis"
            Colour map of a trajectory's epochs.
        annotate : bool, default=True
            Write each point's label next to it (sweeps).
        connect : bool, default=False
            Join a sweep's points in their order (a trajectory always is).

        Returns
        -------
        self : InformationPlaneDisplay
        """
        import numpy as np

        if self.kind not in ("trajectory", "sweep"):
            raise ValueError(f"kind must be 'trajectory' or 'sweep', got {self.kind!r}")
        ixz = _curve(self.ixz, "ixz")
        izy = _curve(self.izy, "izy", len(ixz))
        if self.labels is not None and len(self.labels) != len(ixz):
            raise ValueError(
                f"labels must have one entry per point ({len(ixz)}), got "
                f"{len(self.labels)}"
            )
        ax = _axes(ax)
        if self.kind == "trajectory":
            ax.plot(ixz, izy, color="0.7", lw=1, zorder=1)
            self.points_ = ax.scatter(
                ixz, izy, c=np.arange(1, len(ixz) + 1), cmap=cmap, s=14, zorder=2
            )
            ax.figure.colorbar(self.points_, ax=ax, label="epoch")
        else:
            if connect:
                ax.plot(ixz, izy, color="0.7", lw=1, zorder=1)
            self.points_ = ax.scatter(ixz, izy, zorder=2)
            if annotate and self.labels is not None:
                for x, y, text in zip(ixz, izy, self.labels):
                    ax.annotate(
                        text,
                        (x, y),
                        textcoords="offset points",
                        xytext=(4, 4),
                        fontsize="small",
                    )
        if self.target_entropy is not None:
            ax.axhline(self.target_entropy, ls="--", color="0.4", lw=1, label="H(Y)")
            ax.legend(loc="lower right")
        ax.set_xlabel("I(X; Z) [nats]")
        ax.set_ylabel("I(Z; Y) >= H(Y) - CE [nats]")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, split="validation", ax=None, **kwargs):
        """The trajectory of one fit, epoch by epoch, from its ``history_``.

        Parameters
        ----------
        estimator : InfoBottleneckTransformer or Pipeline holding one
            A fitted bottleneck.
        split : {"validation", "train"}, default="validation"
            Which curves of ``history_`` to plot.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : InformationPlaneDisplay
        """
        from sknmi._scoring import find_bottleneck

        if split not in ("validation", "train"):
            raise ValueError(f"split must be 'validation' or 'train', got {split!r}")
        bottleneck, _ = find_bottleneck(estimator)
        _check_fitted(bottleneck, "history_")
        history = bottleneck.history_
        return cls(
            history[f"{split}_ixz"],
            history[f"{split}_izy"],
            target_entropy=bottleneck.target_entropy_,
            kind="trajectory",
        ).plot(ax=ax, **kwargs)

    @classmethod
    def from_estimators(
        cls, estimators, X=None, y=None, *, split="validation", ax=None, **kwargs
    ):
        """One point per fitted estimator of a sweep.

        Parameters
        ----------
        estimators : list of estimators, or a fitted search
            A list of fitted InfoBottleneckTransformers (or Pipelines holding
            one), or a fitted :class:`~sklearn.model_selection.GridSearchCV`
            run with ``scoring=sknmi.bottleneck.information_scoring()``, whose
            ``cv_results_`` hold the cross-validated coordinates.
        X, y : array-like, default=None
            Held-out data for a list of estimators: each point is then
            :meth:`~sknmi.InfoBottleneckTransformer.information_plane` on
            (X, y). Without them each point is the ``history_`` of the
            restored epoch on the estimator's own ``split``.
        split : {"validation", "train"}, default="validation"
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : InformationPlaneDisplay
        """
        from sknmi._scoring import find_bottleneck

        results = getattr(estimators, "cv_results_", None)
        if results is not None:
            if "mean_test_ixz" not in results or "mean_test_izy" not in results:
                raise ValueError(
                    "the search has no information-plane scores: fit it with "
                    "scoring=sknmi.bottleneck.information_scoring() and "
                    "refit='score'"
                )
            labels = [_label(params) for params in results["params"]]
            entropy = None
            best = getattr(estimators, "best_estimator_", None)
            if best is not None:
                entropy = find_bottleneck(best)[0].target_entropy_
            return cls(
                results["mean_test_ixz"],
                results["mean_test_izy"],
                labels=labels,
                target_entropy=entropy,
            ).plot(ax=ax, **kwargs)
        if split not in ("validation", "train"):
            raise ValueError(f"split must be 'validation' or 'train', got {split!r}")
        if (X is None) != (y is None):
            raise ValueError("pass both X and y, or neither")
        ixz, izy, labels = [], [], []
        for estimator in estimators:
            bottleneck, _ = find_bottleneck(estimator)
            _check_fitted(bottleneck, "history_")
            bottleneck, Xt = find_bottleneck(estimator, X)
            if X is None:
                epoch = bottleneck.best_iter_ - 1 if bottleneck.best_iter_ else -1
                ixz.append(bottleneck.history_[f"{split}_ixz"][epoch])
                izy.append(bottleneck.history_[f"{split}_izy"][epoch])
            else:
                point = bottleneck.information_plane(Xt, y)
                ixz.append(point[0])
                izy.append(point[1])
            labels.append(f"beta={bottleneck.beta:.0e}")
        if not ixz:
            raise ValueError("estimators is empty")
        kwargs.setdefault("connect", True)
        return cls(
            ixz, izy, labels=labels, target_entropy=bottleneck.target_entropy_
        ).plot(ax=ax, **kwargs)


def _label(params):
    parts = []
    for key, value in params.items():
        name = key.rsplit("__", 1)[-1]
        parts.append(f"{name}={value:.0e}" if name == "beta" else f"{name}={value}")
    return ", ".join(parts)


# -- TrainingCurveDisplay ------------------------------------------------------------


class TrainingCurveDisplay:
    """Training curves of a neural MI estimator: bound per epoch, truth, interval.

    Build it with :meth:`from_estimator` from a fitted estimator that has a
    ``history_`` (e.g. :class:`sknmi.NeuralMIEstimator`), or with the
    constructor from arrays, then call :meth:`plot`.

    Parameters
    ----------
    epoch : array-like of shape (n_epochs,)
        Epoch numbers.
    train_bound : array-like of shape (n_epochs,)
        Training objective per epoch, averaged over minibatches (nats).
    validation_bound : array-like of shape (n_epochs,)
        The same objective on the held-out split.
    validation_mi : array-like of shape (n_epochs,) or None, default=None
        The held-out read-out reported as MI, where it differs from the
        objective (e.g. the DV read-out of a JSD-trained critic).
    mi : float or None, default=None
        The final estimate (``mi_``).
    mi_ci : tuple of float or None, default=None
        Its interval (``mi_ci_``), drawn as an error bar at ``best_epoch``.
    best_epoch : int or None, default=None
        Epoch of the kept critic; the last epoch when None.
    true_mi : float or None, default=None
        The true MI, drawn as a horizontal line, when known.
    estimator_name : str or None, default=None
        Used in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes of the MI curves.
    ax_objective_ : matplotlib Axes or None
        A twin axis holding the training objective when the estimator reports
        a different read-out as MI (``validation_mi`` differs from
        ``validation_bound``, e.g. a JSD-trained critic); None otherwise.
    figure_ : matplotlib Figure
    lines_ : dict of matplotlib Line2D
        The drawn curves by key: ``"train_bound"``, ``"validation_bound"``,
        ``"validation_mi"`` and ``"true_mi"`` when drawn.
    errorbar_ : matplotlib ErrorbarContainer or None
        The final estimate with its interval.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : the same idea for scores.

    Examples
    --------
    >>> from sknmi.plotting import TrainingCurveDisplay
    >>> display = TrainingCurveDisplay(
    ...     epoch=[1, 2, 3], train_bound=[0.2, 0.6, 0.8],
    ...     validation_bound=[0.3, 0.5, 0.7], mi=0.7, mi_ci=(0.6, 0.8), true_mi=0.9,
    ... ).plot()
    >>> sorted(display.lines_)
    ['train_bound', 'true_mi', 'validation_bound']
    """

    def __init__(
        self,
        *,
        epoch,
        train_bound,
        validation_bound,
        validation_mi=None,
        mi=None,
        mi_ci=None,
        best_epoch=None,
        true_mi=None,
        estimator_name=None,
    ):
        self.epoch = epoch
        self.train_bound = train_bound
        self.validation_bound = validation_bound
        self.validation_mi = validation_mi
        self.mi = mi
        self.mi_ci = mi_ci
        self.best_epoch = best_epoch
        self.true_mi = true_mi
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, true_mi=None, ax=None, *, name=None):
        """Plot the training curves of a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator
            Must have ``history_`` with keys ``epoch``, ``train_bound``,
            ``validation_bound`` and optionally ``validation_mi``; ``mi_``,
            ``mi_ci_`` and ``best_iter_`` are used when present.
        true_mi : float or None, default=None
            The true MI, when known.
        ax : matplotlib Axes or None, default=None
            Where to draw; a new figure when None.
        name : str or None, default=None
            Title; the estimator's class name (and bound) when None.

        Returns
        -------
        display : TrainingCurveDisplay
        """
        _check_fitted(estimator, None)
        history = getattr(estimator, "history_", None)
        if history is None:
            raise ValueError(
                f"{type(estimator).__name__} has no history_: fit it first, or use an "
                "estimator trained by epochs (e.g. NeuralMIEstimator)"
            )
        missing = {"epoch", "train_bound", "validation_bound"} - set(history)
        if missing:
            raise ValueError(f"history_ lacks the keys {sorted(missing)}")
        if name is None:
            bound = getattr(estimator, "bound", None)
            name = type(estimator).__name__ + (f" ({bound})" if bound else "")
        display = cls(
            epoch=history["epoch"],
            train_bound=history["train_bound"],
            validation_bound=history["validation_bound"],
            validation_mi=history.get("validation_mi"),
            mi=getattr(estimator, "mi_", None),
            mi_ci=getattr(estimator, "mi_ci_", None),
            best_epoch=getattr(estimator, "best_iter_", None),
            true_mi=true_mi,
            estimator_name=name,
        )
        return display.plot(ax=ax)

    def _checked_epoch(self):
        """The epochs as an array, once every curve and value is checked."""
        import numpy as np

        epoch = _curve(self.epoch, "epoch")
        for name in ("train_bound", "validation_bound", "validation_mi"):
            if getattr(self, name) is not None:
                _curve(getattr(self, name), name, len(epoch))
        for name in ("mi", "true_mi"):
            value = getattr(self, name)
            if value is not None and not np.isscalar(value):
                raise ValueError(f"{name} must be a number or None, got {value!r}")
        if self.mi_ci is not None and len(_curve(self.mi_ci, "mi_ci")) != 2:
            raise ValueError(f"mi_ci must be (low, high), got {self.mi_ci!r}")
        return epoch

    def plot(self, ax=None):
        """Draw the curves on ``ax`` (a new figure when None).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        display : TrainingCurveDisplay
            ``self``, with ``ax_``, ``ax_objective_``, ``figure_``, ``lines_``
            and ``errorbar_``.
        """
        import numpy as np

        epoch = self._checked_epoch()
        ax = _axes(ax)
        lines = {}
        separate = self.validation_mi is not None and not np.allclose(
            self.validation_mi, self.validation_bound, equal_nan=True
        )
        # An objective that is not MI (JSD, say) lives on its own scale: a
        # twin axis keeps it from flattening the MI curves.
        objective_ax = ax.twinx() if separate else ax
        word, style = ("objective", ":") if separate else ("bound", "-")
        (lines["train_bound"],) = objective_ax.plot(
            epoch,
            self.train_bound,
            label=f"train {word}",
            linestyle=style,
            color="C0",
            alpha=0.8,
        )
        (lines["validation_bound"],) = objective_ax.plot(
            epoch,
            self.validation_bound,
            label=f"validation {word}",
            linestyle=style,
            color="C1",
        )
        if separate:
            objective_ax.set_ylabel("training objective")
            (lines["validation_mi"],) = ax.plot(
                epoch, self.validation_mi, color="C2", label="validation MI read-out"
            )
        if self.true_mi is not None:
            lines["true_mi"] = ax.axhline(
                self.true_mi, color="black", linestyle="--", label="true MI"
            )
        self.errorbar_ = None
        if self.mi is not None:
            at = self.best_epoch or (epoch[-1] if len(epoch) else 0)
            yerr = None
            if self.mi_ci is not None:
                yerr = [[self.mi - self.mi_ci[0]], [self.mi_ci[1] - self.mi]]
            self.errorbar_ = ax.errorbar(
                [at],
                [self.mi],
                yerr=yerr,
                fmt="o",
                color="black",
                capsize=4,
                label="estimate (95% interval)",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("MI [nats]")
        if self.estimator_name:
            ax.set_title(self.estimator_name)
        handles, labels = ax.get_legend_handles_labels()
        if separate:
            more = objective_ax.get_legend_handles_labels()
            handles, labels = handles + more[0], labels + more[1]
        ax.legend(handles, labels, loc="best")
        self.ax_objective_ = objective_ax if separate else None
        self.lines_ = lines
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


# -- pairwise matrix --------------------------------------------------------------


class MIMatrixDisplay:
    """A heatmap of pairwise MI, with the values and which intervals hold 0.

    Build it with :meth:`from_estimator` (runs :func:`sknmi.pairwise.pairwise_mi`)
    or :meth:`from_matrix` (a computed result or plain matrices), or with the
    constructor, then call :meth:`plot`. Cells whose 95% interval holds 0 --
    no evidence of dependence -- are hatched.

    Parameters
    ----------
    mi : array-like of shape (n_variables, n_variables)
        The estimates in nats; NaN cells (the diagonal) are left blank.
    ci_low, ci_high : array-like of shape (n_variables, n_variables), default=None
        The intervals' ends; without them no cell is hatched.
    labels : list of str, default=None
        The variables' names; their indices when None.

    Attributes
    ----------
    im_ : matplotlib AxesImage
    text_ : ndarray of matplotlib Text or None, shape (n_variables, n_variables)
        The values written in the cells (None where not written).
    hatched_ : ndarray of bool, shape (n_variables, n_variables)
        The cells drawn as holding 0.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    sklearn.metrics.ConfusionMatrixDisplay : the same layout for a confusion
        matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from sknmi.plotting import MIMatrixDisplay
    >>> mi = np.array([[np.nan, 0.4], [0.4, np.nan]])
    >>> display = MIMatrixDisplay(mi, ci_low=mi - 0.1, ci_high=mi + 0.1,
    ...                           labels=["a", "b"]).plot()
    >>> display.text_[0, 1].get_text(), bool(display.hatched_.any())
    ('0.40', False)
    """

    def __init__(self, mi, *, ci_low=None, ci_high=None, labels=None):
        self.mi = mi
        self.ci_low = ci_low
        self.ci_high = ci_high
        self.labels = labels

    def _matrices(self):
        import numpy as np

        def square(values, name):
            try:
                array = np.asarray(values, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a matrix of numbers") from None
            if array.ndim != 2 or array.shape[0] != array.shape[1]:
                raise ValueError(f"{name} must be a square matrix, got {array.shape}")
            return array

        mi = square(self.mi, "mi")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("pass both ci_low and ci_high, or neither")
        hatched = np.zeros(mi.shape, dtype=bool)
        if self.ci_low is not None:
            low, high = square(self.ci_low, "ci_low"), square(self.ci_high, "ci_high")
            if low.shape != mi.shape or high.shape != mi.shape:
                raise ValueError(
                    f"ci_low and ci_high must have the shape of mi {mi.shape}, got "
                    f"{low.shape} and {high.shape}"
                )
            with np.errstate(invalid="ignore"):
                hatched = (low <= 0) & (high >= 0)
        labels = self.labels
        if labels is None:
            labels = [str(i) for i in range(len(mi))]
        if len(labels) != len(mi):
            raise ValueError(
                f"labels must have one entry per variable ({len(mi)}), got "
                f"{len(labels)}"
            )
        return mi, hatched, [str(label) for label in labels]

    def plot(
        self,
        ax=None,
        *,
        cmap="viridis",
        values_format=".2f",
        include_values=True,
        colorbar_label="MI [nats]",
    ):
        """Draw the heatmap on ``ax`` (a new figure when None).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        cmap : str or matplotlib Colormap, default="viridis"
            Colour map of the estimates.
        values_format : str, default=".2f"
            Format of the values written in the cells.
        include_values : bool, default=True
            Write each estimate in its cell.
        colorbar_label : str, default="MI [nats]"
            The colour bar's label (another matrix drawn alike, a correlation
            say, needs its own).

        Returns
        -------
        self : MIMatrixDisplay
        """
        import numpy as np
        from matplotlib.patches import Rectangle

        mi, hatched, labels = self._matrices()
        ax = _axes(ax)
        finite = mi[np.isfinite(mi)]
        top = max(float(finite.max()), 0.0) if finite.size else 1.0
        self.im_ = ax.imshow(
            np.ma.masked_invalid(mi), cmap=cmap, vmin=0.0, vmax=top or 1.0
        )
        ax.figure.colorbar(self.im_, ax=ax, label=colorbar_label)
        cmap_ = self.im_.cmap
        self.text_ = np.full(mi.shape, None, dtype=object)
        for i, j in zip(*np.nonzero(np.isfinite(mi))):
            if hatched[i, j]:
                # Hatching says "no evidence of dependence" without hiding
                # the estimate underneath.
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        fill=False,
                        hatch="//",
                        edgecolor="0.6",
                        linewidth=0,
                    )
                )
            if include_values:
                # Dark text on the light end of the map, light on the dark end.
                shade = cmap_(self.im_.norm(mi[i, j]))
                light = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] > 0.5
                self.text_[i, j] = ax.text(
                    j,
                    i,
                    format(mi[i, j], values_format),
                    ha="center",
                    va="center",
                    color="black" if light else "white",
                    fontsize="small",
                )
        ticks = np.arange(len(mi))
        ax.set_xticks(ticks, labels, rotation=45, ha="right")
        ax.set_yticks(ticks, labels)
        if hatched.any():
            ax.set_title("pairwise MI (hatched: the 95% interval holds 0)")
        else:
            ax.set_title("pairwise MI")
        self.hatched_ = hatched
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_matrix(
        cls, mi, *, ci_low=None, ci_high=None, labels=None, ax=None, **kwargs
    ):
        """Draw computed estimates: a :class:`~sknmi.pairwise.PairwiseMIResult`
        or a matrix (with its intervals).

        Parameters
        ----------
        mi : PairwiseMIResult or array-like of shape (n_variables, n_variables)
            A result of :func:`~sknmi.pairwise.pairwise_mi` (its intervals and
            labels are used unless given here) or the estimates.
        ci_low, ci_high : array-like, default=None
            The intervals' ends.
        labels : list of str, default=None
            The variables' names.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : MIMatrixDisplay
        """
        from sknmi.pairwise import PairwiseMIResult

        if isinstance(mi, PairwiseMIResult):
            ci_low = mi.ci_low if ci_low is None else ci_low
            ci_high = mi.ci_high if ci_high is None else ci_high
            labels = list(mi.labels) if labels is None else labels
            mi = mi.mi
        display = cls(mi, ci_low=ci_low, ci_high=ci_high, labels=labels)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        groups=None,
        random_state=None,
        n_jobs=None,
        ax=None,
        **kwargs,
    ):
        """Estimate the pairwise MI of X's columns with ``estimator`` and draw it.

        Parameters
        ----------
        estimator : estimator object or None
            As for :func:`~sknmi.pairwise.pairwise_mi` (cloned per pair).
        X : array-like of shape (n_samples, n_features)
            The variables.
        groups, random_state, n_jobs
            As for :func:`~sknmi.pairwise.pairwise_mi`.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : MIMatrixDisplay
            With the computed result as ``result_``.
        """
        from sknmi.pairwise import pairwise_mi

        result = pairwise_mi(
            X, estimator, groups=groups, random_state=random_state, n_jobs=n_jobs
        )
        display = cls.from_matrix(result, ax=ax, **kwargs)
        display.result_ = result
        return display


# -- MI against lag -----------------------------------------------------------------


class LaggedMIDisplay:
    """MI between two series against the lag, with 95% interval bars.

    Build it with :meth:`from_series` (which runs
    :func:`sknmi.timeseries.lagged_mi`), with :meth:`from_result` from a
    :class:`~sknmi.timeseries.LaggedMIResult`, or with the constructor from
    arrays, then call :meth:`plot`.

    Parameters
    ----------
    lags : array-like of shape (n_lags,)
        The lags.
    mi : array-like of shape (n_lags,)
        The estimate at each lag, in nats.
    ci_low, ci_high : array-like of shape (n_lags,) or None, default=None
        The 95% interval at each lag; no bars when None.
    true_mi : array-like of shape (n_lags,) or None, default=None
        The true MI at each lag, when known.
    name : str or None, default=None
        The legend label of the estimates.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    errorbar_ : matplotlib ErrorbarContainer
        The estimates with their intervals.
    line_true_ : matplotlib Line2D or None
        The truth, when given.

    See Also
    --------
    sknmi.timeseries.lagged_mi : the estimates.

    Examples
    --------
    >>> from sknmi.plotting import LaggedMIDisplay
    >>> display = LaggedMIDisplay(
    ...     lags=[0, 1, 2], mi=[0.05, 0.3, 0.2], ci_low=[0.0, 0.25, 0.15],
    ...     ci_high=[0.1, 0.35, 0.25], true_mi=[0.06, 0.32, 0.22],
    ... ).plot()
    >>> display.line_true_ is not None
    True
    """

    def __init__(self, *, lags, mi, ci_low=None, ci_high=None, true_mi=None, name=None):
        self.lags = lags
        self.mi = mi
        self.ci_low = ci_low
        self.ci_high = ci_high
        self.true_mi = true_mi
        self.name = name

    @classmethod
    def from_result(cls, result, *, true_mi=None, ax=None, name=None):
        """Plot a :class:`~sknmi.timeseries.LaggedMIResult`.

        Parameters
        ----------
        result : LaggedMIResult
            What :func:`~sknmi.timeseries.lagged_mi` returned.
        true_mi : array-like of shape (n_lags,) or None, default=None
            The true MI at each lag, when known.
        ax : matplotlib Axes or None, default=None
            Where to draw; a new figure when None.
        name : str or None, default=None
            The legend label of the estimates.

        Returns
        -------
        display : LaggedMIDisplay
        """
        missing = [
            a for a in ("lags", "mi", "ci_low", "ci_high") if not hasattr(result, a)
        ]
        if missing:
            raise ValueError(
                f"result must be a LaggedMIResult (from lagged_mi), got "
                f"{type(result).__name__} without {missing}"
            )
        display = cls(
            lags=result.lags,
            mi=result.mi,
            ci_low=result.ci_low,
            ci_high=result.ci_high,
            true_mi=true_mi,
            name=name,
        )
        return display.plot(ax=ax)

    @classmethod
    def from_series(
        cls,
        x,
        y,
        lags,
        *,
        estimator=None,
        n_jobs=None,
        random_state=None,
        true_mi=None,
        ax=None,
        name=None,
    ):
        """Estimate the MI at each lag with :func:`~sknmi.timeseries.lagged_mi`
        and plot it.

        Parameters
        ----------
        x, y : array-like of shape (n_steps,) or (n_steps, n_columns)
            The earlier and the later series.
        lags : array-like of int
            Non-negative lags.
        estimator, n_jobs, random_state
            As in :func:`~sknmi.timeseries.lagged_mi`.
        true_mi : array-like of shape (n_lags,) or None, default=None
            The true MI at each lag, when known.
        ax : matplotlib Axes or None, default=None
            Where to draw; a new figure when None.
        name : str or None, default=None
            The legend label; the estimator's class name when None.

        Returns
        -------
        display : LaggedMIDisplay
            With the estimates in ``result_``.
        """
        from sknmi.timeseries import lagged_mi

        result = lagged_mi(
            x, y, lags, estimator=estimator, n_jobs=n_jobs, random_state=random_state
        )
        if name is None:
            name = (
                type(estimator).__name__
                if estimator is not None
                else "NeuralMIEstimator"
            )
        display = cls.from_result(result, true_mi=true_mi, ax=ax, name=name)
        display.result_ = result
        return display

    def plot(self, ax=None):
        """Draw the estimates against lag on ``ax`` (a new figure when None).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        display : LaggedMIDisplay
            ``self``, with ``ax_``, ``figure_``, ``errorbar_`` and
            ``line_true_``.
        """
        import numpy as np

        lags = _curve(self.lags, "lags")
        mi = _curve(self.mi, "mi", len(lags))
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("give both ci_low and ci_high, or neither")
        yerr = None
        if self.ci_low is not None:
            low = _curve(self.ci_low, "ci_low", len(lags))
            high = _curve(self.ci_high, "ci_high", len(lags))
            # An interval that does not hold its estimate cannot be drawn as bars.
            if np.any(low > mi) or np.any(high < mi):
                raise ValueError(
                    "each interval must hold its estimate: ci_low <= mi <= ci_high"
                )
            yerr = np.vstack([mi - low, high - mi])
        ax = _axes(ax)
        self.errorbar_ = ax.errorbar(
            lags,
            mi,
            yerr=yerr,
            fmt="o-",
            capsize=4,
            label=(self.name or "estimate")
            + (" (95% interval)" if yerr is not None else ""),
        )
        self.line_true_ = None
        if self.true_mi is not None:
            truth = _curve(self.true_mi, "true_mi", len(lags))
            (self.line_true_,) = ax.plot(
                lags, truth, linestyle="--", marker="x", color="black", label="true MI"
            )
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xlabel("lag [steps]")
        ax.set_ylabel("MI [nats]")
        ax.legend(loc="best")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
