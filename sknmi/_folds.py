"""Every split of rows into training and held-out parts: the one place they are cut.

A seeded train / held-out split (:func:`split_rows`), seeded cross-fitting
folds (:func:`fold_rows`), either shuffled or as blocks of consecutive rows
with a gap for ordered data, and a fixed scrambled order for scoring ordered
rows (:func:`scrambled`). numpy only: the baselines and the analyses cut rows
without loading torch.
"""

import math

import numpy as np
from sklearn.utils import check_random_state


def split_rows(
    n, validation_fraction, random_state, n_seeds, *, contiguous=False, gap=0
):
    """Seeds for the modules and the batches, then a seeded train / held-out split.

    With ``contiguous`` the held-out rows are the last block of rows and the
    ``gap`` rows before it are left out of training (ordered data: a random
    split would hold out rows next to training rows); the training rows are
    still in random order, for the batches.

    Returns
    -------
    train_rows, val_rows : ndarray of int
    seeds : ndarray of ``n_seeds`` ints, drawn before the split
    """
    n_val = max(2, math.ceil(validation_fraction * n))
    n_train = n - n_val - (gap if contiguous else 0)
    if n_train < 2:
        raise ValueError(
            f"validation_fraction={validation_fraction}"
            + (f" and gap={gap}" if contiguous and gap else "")
            + f" leave {max(n_train, 0)} training rows of {n}; need at least 2"
        )
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_seeds)
    if contiguous:
        # The held-out block in random order: see fold_rows.
        return rng.permutation(n_train), rng.permutation(np.arange(n - n_val, n)), seeds
    order = rng.permutation(n)
    return order[n_val:], order[:n_val], seeds


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
