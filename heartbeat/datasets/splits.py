"""Train / test splits of a :class:`~heartbeat.datasets.BeatSet` or ``WindowSet``.

:func:`inter_patient_split` divides by record (de Chazal 2004's DS1 / DS2 by
default); :func:`train_test_split` is seeded and random, by item or by whole records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from heartbeat._validate import as_real
from heartbeat.datasets.mitbih import DS1, DS2
from heartbeat.datasets.sets import S, _LabelledSet

__all__ = ["Split", "inter_patient_split", "train_test_split"]


class Split(NamedTuple):
    """A train / test pair of sets."""

    train: Any
    test: Any


def _check_set(data: object) -> _LabelledSet:
    """Return `data` if it is a BeatSet or WindowSet, else raise TypeError."""
    if not isinstance(data, _LabelledSet):
        raise TypeError(f"data must be a BeatSet or WindowSet, got {type(data).__name__}")
    return data


def train_test_split(
    data: S,
    test_size: float = 0.2,
    seed: int = 0,
    by_record: bool = False,
    stratify: bool = True,
) -> Split:
    """Seeded random split of a set into train and test parts.

    Parameters
    ----------
    data : BeatSet or WindowSet
        The set to split.
    test_size : float, default 0.2
        Fraction of items for the test part, in (0, 1).
    seed : int, default 0
        Seed of the :class:`numpy.random.Generator`; the same seed gives the same split.
    by_record : bool, default False
        Keep whole records together: every record goes wholly to train or to test.
    stratify : bool, default True
        Keep the class proportions of both parts close to those of `data`.

    Returns
    -------
    Split
        ``(train, test)`` sets of the same type as `data`, items in their original order.

    Raises
    ------
    TypeError
        If `data` is not a BeatSet or WindowSet, or `test_size` is not a real number.
    ValueError
        If `test_size` is not in (0, 1), `data` is empty, or ``by_record=True`` and
        `data` holds fewer than two records.

    Notes
    -----
    Item split (``by_record=False``): with `stratify`, each class is shuffled and
    ``round(test_size * n_class)`` of its items go to test; without, ``round(test_size
    * n)`` items drawn from all.  Record split: records are visited in a seeded random
    order and each joins the part that brings the test part's counts closer to
    ``test_size`` times the totals -- per class with `stratify` (the summed absolute
    deviation), else in items; so the test fraction is close to, not exactly,
    `test_size`.  Both parts get at least one record.

    Examples
    --------
    >>> import numpy as np
    >>> from heartbeat.datasets import BeatSet
    >>> y = np.array([0] * 8 + [1] * 2, np.int8)  # classes N and S
    >>> beats = BeatSet(np.zeros((10, 187), np.float32), y, np.array(["100"] * 10),
    ...                 np.arange(10), np.ones((10, 3), np.float32))
    >>> train, test = train_test_split(beats, test_size=0.5, seed=1)
    >>> test.class_counts().tolist(), len(train)
    ([4, 1, 0, 0, 0], 5)
    """
    data = _check_set(data)
    test_size = as_real(test_size, "test_size")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size={test_size!r} must be a fraction in (0, 1)")
    if len(data) == 0:
        raise ValueError("data is empty: nothing to split")
    rng = np.random.default_rng(seed)
    if by_record:
        is_test = _test_by_record(data, test_size, rng, stratify)
    else:
        is_test = _test_by_item(data, test_size, rng, stratify)
    return Split(data[~is_test], data[is_test])


def _test_by_item(data: _LabelledSet, test_size: float, rng: np.random.Generator,
                  stratify: bool) -> np.ndarray:
    """Mask of the test items: ``round(test_size * n)`` drawn per class (or from all)."""
    n_classes = len(data.classes)  # type: ignore[attr-defined]
    is_test = np.zeros(len(data), dtype=bool)
    groups = [np.flatnonzero(data.y == c) for c in range(n_classes)] if stratify else [
        np.arange(len(data))
    ]
    for members in groups:
        chosen = rng.permutation(members)[: round(test_size * len(members))]
        is_test[chosen] = True
    return is_test


def _test_by_record(data: _LabelledSet, test_size: float, rng: np.random.Generator,
                    stratify: bool) -> np.ndarray:
    """Mask of the test items when whole records go to one part (see train_test_split)."""
    names, inverse = np.unique(data.record, return_inverse=True)
    if len(names) < 2:
        raise ValueError(f"by_record=True needs at least two records, data has {list(names)}")
    n_classes = len(data.classes)  # type: ignore[attr-defined]
    counts = np.zeros((len(names), n_classes), dtype=np.int64)  # (records, classes)
    np.add.at(counts, (inverse, data.y), 1)
    if not stratify:
        counts = counts.sum(axis=1, keepdims=True)
    target = test_size * counts.sum(axis=0)
    test_counts = np.zeros_like(target)
    in_test = np.zeros(len(names), dtype=bool)
    # greedy: a record joins test when that brings the test counts closer to the target
    for r in rng.permutation(len(names)):
        if np.abs(test_counts + counts[r] - target).sum() < np.abs(test_counts - target).sum():
            in_test[r] = True
            test_counts = test_counts + counts[r]
    if in_test.all():  # both parts need a record
        in_test[np.argmin(counts.sum(axis=1))] = False
    if not in_test.any():
        in_test[np.argmin(counts.sum(axis=1))] = True
    return in_test[inverse]


def inter_patient_split(
    data: S, train: Sequence[str] = DS1, test: Sequence[str] = DS2
) -> Split:
    """Split a set by record: de Chazal et al. 2004's DS1 -> train, DS2 -> test.

    Parameters
    ----------
    data : BeatSet or WindowSet
        A set built from MIT-BIH records (it must know each item's record).
    train, test : sequence of str, default DS1, DS2
        Records of each part; they must not overlap.  Items of other records (the
        paced records 102, 104, 107, 217 with the defaults) are left out.

    Returns
    -------
    Split
        ``(train, test)`` sets of the same type as `data`.

    Raises
    ------
    TypeError
        If `data` is not a BeatSet or WindowSet.
    ValueError
        If `train` and `test` share records, or a part would be empty (e.g. a set
        read from the Kaggle files, which do not say the record).

    Examples
    --------
    >>> import numpy as np
    >>> from heartbeat.datasets import BeatSet
    >>> beats = BeatSet(np.zeros((3, 187), np.float32), np.zeros(3, np.int8),
    ...                 np.array(["101", "100", "102"]), np.arange(3), np.ones((3, 3), np.float32))
    >>> [part.record.tolist() for part in inter_patient_split(beats)]
    [['101'], ['100']]
    """
    data = _check_set(data)
    train = [str(r) for r in train]
    test = [str(r) for r in test]
    shared = sorted(set(train) & set(test))
    if shared:
        raise ValueError(f"train and test share records {shared}")
    in_train = np.isin(data.record, train)
    in_test = np.isin(data.record, test)
    for name, mask in (("train", in_train), ("test", in_test)):
        if not mask.any():
            raise ValueError(
                f"no item of data comes from the {name} records; build the set with "
                "mitbih_beats / mitbih_windows over those records (the Kaggle files do "
                "not say which record a beat comes from)"
            )
    return Split(data[in_train], data[in_test])
