"""Labelled sets: :class:`BeatSet` (187-sample beats) and :class:`WindowSet` (raw windows).

Both are frozen dataclasses of per-item arrays (``x``, ``y``, ``record``, ``sample``,
...) that index like an array (``s[mask]``, ``s[a:b]``), count their classes, save to
and load from ``.npz`` without pickle, and join with :func:`concatenate`.  The
builders that fill them live beside: :mod:`heartbeat.datasets.mitbih`,
:mod:`heartbeat.datasets.windows` and :mod:`heartbeat.datasets.kaggle`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from heartbeat._atomic import save_npz_atomic
from heartbeat.aami import CLASSES

__all__ = ["WINDOW_CLASSES", "BeatSet", "WindowSet", "concatenate"]

WINDOW_CLASSES: tuple[str, ...] = ("normal", "abnormal")
"""Class names of :class:`WindowSet` labels 0 and 1."""

S = TypeVar("S", bound="_LabelledSet")


@dataclass(frozen=True, eq=False)
class _LabelledSet:
    """Fields and behaviour shared by :class:`BeatSet` and :class:`WindowSet`."""

    x: np.ndarray
    y: np.ndarray
    record: np.ndarray
    sample: np.ndarray

    _per_item: ClassVar[tuple[str, ...]] = ("x", "y", "record", "sample")
    _counts: ClassVar[tuple[str, ...]] = ()
    _kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        n = len(self.y)
        for name in self._per_item:
            value = getattr(self, name)
            if not isinstance(value, np.ndarray):
                raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
            if len(value) != n:
                raise ValueError(f"{name} has {len(value)} rows but y has {n}")
        if self.x.ndim != 2:
            raise ValueError(f"x must be 2-D (n, samples), got shape {self.x.shape}")
        if self.y.dtype != np.int8:
            raise TypeError(f"y must be int8 class codes, got dtype {self.y.dtype}")
        classes = self.classes  # type: ignore[attr-defined]
        if n and (self.y.min() < 0 or self.y.max() >= len(classes)):
            raise ValueError(f"y must hold class codes 0-{len(classes) - 1} ({classes})")

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self: S, index: object) -> S:
        """Select items by boolean mask, integer array, slice or single integer."""
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            index = np.array([index])
        elif not isinstance(index, slice):
            index = np.asarray(index)
            if index.dtype == bool:
                if index.shape != (len(self),):
                    raise IndexError(
                        f"boolean index has shape {index.shape}, expected ({len(self)},)"
                    )
            elif not np.issubdtype(index.dtype, np.integer):
                raise IndexError(f"index must be a bool mask or integers, got {index.dtype}")
        changes = {name: getattr(self, name)[index] for name in self._per_item}
        return dataclasses.replace(self, **changes)

    def class_counts(self) -> np.ndarray:
        """Return the number of items in each class, in the order of `classes` (int64)."""
        return np.bincount(self.y, minlength=len(self.classes))  # type: ignore[attr-defined]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the set to an uncompressed ``.npz`` file atomically; return its path.

        The file holds plain arrays only (strings as fixed-width unicode), so
        :meth:`load` reads it with ``allow_pickle=False``.
        """
        arrays: dict[str, np.ndarray] = {"kind": np.array(self._kind)}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "classes":
                value = np.array(value, dtype=str)
            arrays[f.name] = np.asarray(value)
        return save_npz_atomic(path, **arrays)

    @classmethod
    def load(cls: type[S], path: str | os.PathLike) -> S:
        """Read a set written by :meth:`save` (``allow_pickle=False``).

        Raises
        ------
        ValueError
            If the file is not a saved set of this type.
        """
        with np.load(path, allow_pickle=False) as data:
            if "kind" not in data or str(data["kind"]) != cls._kind:
                raise ValueError(f"{path} does not hold a saved {cls.__name__}")
            kwargs: dict[str, Any] = {}
            for f in dataclasses.fields(cls):
                value = data[f.name]
                if f.name == "classes":
                    value = tuple(str(c) for c in value)
                elif f.name in cls._counts:
                    value = int(value)
                elif value.ndim == 0:
                    value = value.item()
                kwargs[f.name] = value
        return cls(**kwargs)


@dataclass(frozen=True, eq=False)
class BeatSet(_LabelledSet):
    """Labelled 187-sample heartbeats (Kachuee 2018 format) with their RR features.

    Attributes
    ----------
    x : numpy.ndarray of float32, shape (n, 187)
        Beats at 125 Hz with values in [0, 1] (each 10 s window of the record is
        normalised), cropped at 1.2 T and zero-padded (Kachuee 2018, steps 1-7).
    y : numpy.ndarray of int8, shape (n,)
        Class codes: index into `classes` (AAMI N, S, V, F, Q = 0-4 for MIT-BIH).
    record : numpy.ndarray of str, shape (n,)
        Record each beat comes from (``""`` when unknown, as for the Kaggle files).
    sample : numpy.ndarray of int64, shape (n,)
        R-peak sample index at the record's own sampling frequency (row number in the
        file for the Kaggle sets).
    rr : numpy.ndarray of float32, shape (n, 3)
        Previous RR, next RR and local mean RR of each beat, each divided by the
        record's mean RR (see :func:`heartbeat.context.rr_features`); NaN when
        unknown (Kaggle files).
    classes : tuple of str
        Class names, in the order of the codes.
    n_unmatched : int
        Detections dropped while building because no beat annotation lay within the
        tolerance (``peaks="detector"``); summed by :func:`concatenate`.
    n_missed : int
        Annotated beats that got no beat in the set (no detection within the
        tolerance, or not cut by the pipeline); summed by :func:`concatenate`.

    Notes
    -----
    ``len(beats)`` is the number of beats; ``beats[mask]``, ``beats[indices]`` and
    ``beats[a:b]`` return a new :class:`BeatSet` (the build counts are kept as they
    are).  :meth:`save` / :meth:`load` store a set as ``.npz``.

    Examples
    --------
    >>> import numpy as np
    >>> beats = BeatSet(
    ...     x=np.zeros((3, 187), np.float32), y=np.array([0, 2, 0], np.int8),
    ...     record=np.array(["100", "100", "101"]), sample=np.array([10, 400, 77]),
    ...     rr=np.ones((3, 3), np.float32),
    ... )
    >>> len(beats), beats[beats.y == 2].sample.tolist(), beats.class_counts().tolist()
    (3, [400], [2, 0, 1, 0, 0])
    """

    rr: np.ndarray = dataclasses.field(default_factory=lambda: np.empty((0, 3), np.float32))
    classes: tuple[str, ...] = CLASSES
    n_unmatched: int = 0
    n_missed: int = 0

    _per_item: ClassVar[tuple[str, ...]] = ("x", "y", "record", "sample", "rr")
    _counts: ClassVar[tuple[str, ...]] = ("n_unmatched", "n_missed")
    _kind: ClassVar[str] = "BeatSet"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.rr.shape != (len(self), 3):
            raise ValueError(f"rr must have shape ({len(self)}, 3), got {self.rr.shape}")

    @property
    def has_rr(self) -> bool:
        """True when every beat has finite RR features (False for the Kaggle files)."""
        return bool(np.isfinite(self.rr).all())


@dataclass(frozen=True, eq=False)
class WindowSet(_LabelledSet):
    """Raw-signal windows centred on annotated beats, labelled normal (0) / abnormal (1).

    Attributes
    ----------
    x : numpy.ndarray, shape (n, D)
        Raw samples (physical units, mV) from ``half_width_s`` before to
        ``half_width_s`` after each beat annotation; ``D = 2 * round(half_width_s * fs)``
        (1,440 for ±2 s at 360 Hz).  float32 unless asked otherwise.
    y : numpy.ndarray of int8, shape (n,)
        0 = normal, 1 = abnormal (see :func:`heartbeat.datasets.mitbih_windows`).
    record : numpy.ndarray of str, shape (n,)
        Record of each window.
    sample : numpy.ndarray of int64, shape (n,)
        Sample index of the beat annotation (the window's centre) in its record.
    aami : numpy.ndarray of int8, shape (n,)
        AAMI class code 0-4 (N, S, V, F, Q) of the beat, for finer labels.
    fs : float
        Sampling frequency of `x` in Hz.
    classes : tuple of str
        ``("normal", "abnormal")``.
    n_dropped : int
        Beats left out because their window would cross the record's start or end;
        summed by :func:`concatenate`.

    Examples
    --------
    >>> import numpy as np
    >>> w = WindowSet(
    ...     x=np.zeros((2, 1440), np.float32), y=np.array([0, 1], np.int8),
    ...     record=np.array(["100", "100"]), sample=np.array([1000, 2000]),
    ...     aami=np.array([0, 2], np.int8), fs=360.0,
    ... )
    >>> w[1:].aami.tolist(), w.x.nbytes
    ([2], 11520)
    """

    aami: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, np.int8))
    fs: float = 360.0
    classes: tuple[str, ...] = WINDOW_CLASSES
    n_dropped: int = 0

    _per_item: ClassVar[tuple[str, ...]] = ("x", "y", "record", "sample", "aami")
    _counts: ClassVar[tuple[str, ...]] = ("n_dropped",)
    _kind: ClassVar[str] = "WindowSet"


def concatenate(sets: Iterable[S]) -> S:
    """Join sets of one type (and the same classes) into one, in the order given.

    Parameters
    ----------
    sets : iterable of BeatSet or iterable of WindowSet
        At least one set.

    Returns
    -------
    BeatSet or WindowSet
        Items of all sets in order; the build counts (``n_unmatched``, ``n_missed``,
        ``n_dropped``) are summed.

    Raises
    ------
    ValueError
        If `sets` is empty, or the sets differ in type, classes, sample length or fs.

    Examples
    --------
    >>> import numpy as np
    >>> one = BeatSet(np.zeros((1, 187), np.float32), np.array([1], np.int8),
    ...               np.array(["100"]), np.array([5]), np.ones((1, 3), np.float32))
    >>> len(concatenate([one, one, one]))
    3
    """
    sets = list(sets)
    if not sets:
        raise ValueError("sets is empty: pass at least one BeatSet or WindowSet")
    first = sets[0]
    if not isinstance(first, _LabelledSet):
        raise TypeError(f"sets must hold BeatSet or WindowSet, got {type(first).__name__}")
    static = [
        f.name for f in dataclasses.fields(first)
        if f.name not in first._per_item and f.name not in first._counts
    ]
    for i, s in enumerate(sets[1:], 1):
        if type(s) is not type(first):
            raise ValueError(
                f"sets[{i}] is a {type(s).__name__}, sets[0] a {type(first).__name__}"
            )
        for name in static:
            if getattr(s, name) != getattr(first, name):
                raise ValueError(
                    f"sets[{i}].{name}={getattr(s, name)!r} differs from "
                    f"sets[0].{name}={getattr(first, name)!r}"
                )
        if s.x.shape[1:] != first.x.shape[1:]:
            raise ValueError(
                f"sets[{i}].x has items of shape {s.x.shape[1:]}, sets[0] {first.x.shape[1:]}"
            )
    changes: dict[str, Any] = {}
    for name in first._per_item:
        parts = [getattr(s, name) for s in sets]
        if name == "record":  # keep the narrowest unicode width that fits all
            width = max((p.dtype.itemsize // 4 for p in parts), default=1)
            parts = [p.astype(f"<U{max(width, 1)}") for p in parts]
        changes[name] = _concat_rows(parts)
    for name in first._counts:
        changes[name] = sum(getattr(s, name) for s in sets)
    return dataclasses.replace(first, **changes)


def _concat_rows(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate along axis 0 into one preallocated array (no second full copy)."""
    total = sum(len(p) for p in parts)
    out = np.empty((total, *parts[0].shape[1:]), dtype=np.result_type(*parts))
    start = 0
    for p in parts:
        out[start : start + len(p)] = p
        start += len(p)
    return out
