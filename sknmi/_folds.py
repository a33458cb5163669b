"""Every split of rows into training and held-out parts: the one place they are cut.

A train / held-out cut (:func:`held_out_rows`), the estimators' seeded
train / validation split (:func:`split_rows`), seeded cross-fitting folds
(:func:`fold_rows`), either shuffled or as blocks of consecutive rows with a
gap for ordered data, a fixed scrambled order for scoring ordered rows
(:func:`scrambled`) and random disjoint parts (:func:`random_parts`). numpy
only: the baselines and the analyses cut rows without loading torch.
"""

import math

import numpy as np
from sklearn.utils import check_random_state


def held_out_rows(
    n,
    fraction,
    random_state,
    *,
    contiguous=False,
    gap=0,
    min_train=2,
    name="test_fraction",
):
    """Training and held-out rows: the one train / held-out cut of ``range(n)``.

    ``max(2, ceil(fraction * n))`` rows are held out: drawn at random from
    ``random_state`` (one permutation of the rows), or, with ``contiguous``,
    the last block of rows with the ``gap`` rows before it left out of
    training. Contiguous parts are returned in time order and draw nothing:
    a caller that reads them as a series (a long-run variance, a fit with
    ``shuffle=False``) needs that order.

    Parameters
    ----------
    n : int
        Number of rows.
    fraction : float
        Share of rows held out, in (0, 1).
    random_state : int, RandomState instance or None
        Draws the permutation (not used with ``contiguous``).
    contiguous : bool, default=False
        Hold out the last block of rows (ordered data).
    gap : int, default=0
        With ``contiguous``: rows before the held-out block left out of both.
    min_train : int, default=2
        Fewest training rows accepted.
    name : str, default="test_fraction"
        The name of ``fraction`` in the error message.

    Returns
    -------
    train_rows, held_out_rows : ndarray of int

    Examples
    --------
    >>> from sknmi._folds import held_out_rows
    >>> train, test = held_out_rows(10, 0.3, 0, contiguous=True, gap=1)
    >>> train.tolist(), test.tolist()
    ([0, 1, 2, 3, 4, 5], [7, 8, 9])
    """
    n_held = max(2, math.ceil(fraction * n))
    n_train = n - n_held - (gap if contiguous else 0)
    if n_train < min_train:
        raise ValueError(
            f"{name}={fraction}"
            + (f" and gap={gap}" if contiguous and gap else "")
            + f" leave {max(n_train, 0)} training rows of {n}; need at least "
            f"{min_train}"
        )
    if contiguous:
        return np.arange(n_train), np.arange(n - n_held, n)
    order = check_random_state(random_state).permutation(n)
    return order[n_held:], order[:n_held]


def split_rows(
    n, validation_fraction, random_state, n_seeds, *, contiguous=False, gap=0
):
    """Seeds for the modules and the batches, then a seeded train / held-out split.

    The cut is that of :func:`held_out_rows`. With ``contiguous`` the held-out rows
    are the last block of rows and the ``gap`` rows before it are left out of
    training (ordered data: a random split would hold out rows next to
    training rows); both parts are then put in random order, the training
    rows for the batches and the held-out block as in :func:`fold_rows`.

    Returns
    -------
    train_rows, val_rows : ndarray of int
    seeds : ndarray of ``n_seeds`` ints, drawn before the split
    """
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_seeds)
    train, val = held_out_rows(
        n,
        validation_fraction,
        rng,
        contiguous=contiguous,
        gap=gap,
        name="validation_fraction",
    )
    if contiguous:
        return rng.permutation(train), rng.permutation(val), seeds
    return train, val, seeds


def fold_rows(n, n_folds, random_state, n_seeds, *, contiguous=False, gap=0):
    """Seeds, then ``n_folds`` seeded cross-fitting folds of ``range(n)``.

    Parameters
    ----------
    n, n_folds : int
        Rows and folds.
    random_state : int, RandomState instance or None
        Seeds the folds, the training order and the seeds.
    n_seeds : int
        Seeds drawn before the folds.
    contiguous : bool, default=False
        Folds are consecutive blocks of rows (ordered data, such as a time
        series, where shuffled folds would read rows next to training rows).
    gap : int, default=0
        With ``contiguous``: rows on each side of a read block that its
        critic does not train on either, so that autocorrelation cannot leak
        across the boundary.

    Returns
    -------
    folds : list of (train_rows, read_rows)
        Each row is read in exactly one fold and trained on in the others
        (but the gaps); every part is in its own random order (with
        ``contiguous``, a block of rows in random order).
    seeds : ndarray of ``n_seeds`` ints, drawn before the folds
    """
    if n < 2 * n_folds:
        raise ValueError(
            f"n_folds={n_folds} needs at least {2 * n_folds} rows (2 per fold), got {n}"
        )
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_seeds)
    if contiguous:
        bounds = np.linspace(0, n, n_folds + 1).astype(int)
        folds = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            rows = np.arange(n)
            train = rows[(rows < a - gap) | (rows >= b + gap)]
            if len(train) < 2:
                raise ValueError(
                    f"gap={gap} leaves fewer than 2 training rows in a fold of "
                    f"{n} rows cut into {n_folds} blocks"
                )
            # The read block in random order: held-out negatives pair rows by
            # position (sknmi.nn.held_out_scores), and a row's neighbours in
            # time are not independent of it, so partners in time order would
            # read the dependence as part of the product of the marginals (on
            # a VAR(1) they took a sixth off the estimate).
            folds.append((rng.permutation(train), rng.permutation(rows[a:b])))
        return folds, seeds
    order = rng.permutation(n)
    fold_of = np.arange(n) % n_folds
    folds = [
        (rng.permutation(order[fold_of != k]), order[fold_of == k])
        for k in range(n_folds)
    ]
    return folds, seeds


def scrambled(n):
    """A fixed order of ``n`` rows that puts few neighbours next to each other.

    Held-out negatives pair each row with the next rows by position; on rows
    in time order those are its neighbours in time, not independent of it.
    Scoring the rows in this order (always the same for the same ``n``, so
    that a score stays a deterministic function of its input) pairs each row
    with rows from anywhere in the series.
    """
    return np.random.RandomState(0).permutation(n)


def critic_folds(n, n_folds, validation_fraction, random_state, *, shuffle, gap):
    """The rows of a neural fit's critics, and their seeds.

    ``n_folds`` cross-fitting folds, or for ``n_folds=1`` one train /
    held-out split of ``validation_fraction``; shuffled, or (``shuffle=False``)
    blocks of consecutive rows with ``gap`` rows left out around each held-out
    block. The seeds are one per critic, then one for the batches.

    Returns
    -------
    folds : list of (train_rows, read_rows)
    seeds : ndarray of ``len(folds) + 1`` ints
    """
    if gap and shuffle:
        raise ValueError(
            f"gap={gap} needs shuffle=False: a gap is left around "
            "blocks of consecutive rows, and shuffled folds have none"
        )
    ordered = {"contiguous": not shuffle, "gap": gap}
    if n_folds == 1:
        train_rows, val_rows, seeds = split_rows(
            n, validation_fraction, random_state, 2, **ordered
        )
        return [(train_rows, val_rows)], seeds
    return fold_rows(n, n_folds, random_state, n_folds + 1, **ordered)


def random_parts(n, n_parts, random_state):
    """``range(n)`` in random order, cut into ``n_parts`` disjoint parts.

    The parts' sizes differ by at most one row (:func:`numpy.array_split`).

    Examples
    --------
    >>> from sknmi._folds import random_parts
    >>> [len(part) for part in random_parts(10, 3, 0)]
    [4, 3, 3]
    """
    order = check_random_state(random_state).permutation(n)
    return np.array_split(order, n_parts)
