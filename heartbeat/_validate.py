"""Argument checks shared by the public functions: validate once, at the boundary.

Every message names the argument, shows its value and says what would be accepted,
so a user never meets an error from deep inside NumPy.  One rule for the error type
throughout the package: **TypeError** when the argument has the wrong type or dtype,
**ValueError** when it has the right type but a wrong value, shape or size.

Public functions call these once; the private functions behind them trust their
inputs.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

#: Supported sampling frequencies in Hz (:func:`as_fs`).  ECG is recorded at 50 Hz to
#: 10 kHz; the range leaves room on both sides (down to the rates of RR series and
#: trend data) but refuses rates at which the filters' and resampler's lengths, which
#: grow with `fs` or ``1 / fs``, would cost memory and time out of proportion to the
#: signal (1e10 Hz asked a compiled loop for terabytes; 0.01 Hz took seconds per
#: sample in `segment`).
FS_MIN = 0.5
FS_MAX = 20_000.0
#: Longest signal accepted by :func:`as_signal`: 2**31 - 1 samples (a day at 20 kHz
#: is 1.7e9), so that sample indices fit the int32 counters of compiled loops and a
#: signal's float64 copy (16 GiB) is the most any step allocates per sample.
MAX_SAMPLES = 2**31 - 1

__all__ = [
    "FS_MAX", "FS_MIN", "MAX_SAMPLES", "MissingFileError",
    "as_array", "as_beats", "as_bool", "as_choice", "as_fs", "as_indices", "as_int",
    "as_labels", "as_positive", "as_positive_int", "as_real", "as_seconds", "as_signal",
    "check_finite",
    "is_real_dtype",
]


class MissingFileError(FileNotFoundError, ValueError):
    """A file the caller named does not exist.

    A FileNotFoundError, as Python code expects of a missing file, and also a
    ValueError, the type of every other bad-argument error here, so code that catches
    ValueError for bad input keeps catching it.
    """


def as_array(x: object, name: str, expected: str = "a numeric array") -> np.ndarray:
    """Return `x` as a NumPy array, or raise TypeError saying what `name` must be.

    Refuses strings, bytes and None (NumPy would make 0-d arrays of them) and anything
    NumPy cannot turn into an array (ragged lists); the dtype is checked by the caller,
    for example with :func:`is_real_dtype`.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be {expected}, got {type(x).__name__}")
    if isinstance(x, np.ma.MaskedArray):  # np.asarray would drop the mask silently
        raise TypeError(
            f"{name} is a masked array, whose mask would be ignored; pass "
            f"{name}.filled(value) or interpolate the masked samples first"
        )
    try:
        return np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be {expected}: {exc}") from None


def is_real_dtype(dtype: np.dtype) -> bool:
    """Return True for integer and floating dtypes, False for bool, complex, str, object."""
    return dtype.kind != "b" and (
        np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)
    )


def check_finite(arr: np.ndarray, name: str, fix: str = "remove or interpolate them first"
                 ) -> None:
    """Raise ValueError if `arr` holds NaN or infinite values, counting them.

    ``min``/``max`` propagate NaN and expose inf without a boolean temporary of the
    array's size, so the common (finite) case costs two passes and no memory.
    """
    if arr.size == 0 or arr.dtype.kind not in "fc":
        return
    if arr.dtype.kind == "f":
        finite = bool(np.isfinite(arr.min()) and np.isfinite(arr.max()))
    else:
        finite = bool(np.isfinite(arr).all())
    if not finite:
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} holds {bad} NaN or infinite value(s); {fix}")


def as_bool(value: object, name: str) -> bool:
    """Return `value` as a bool; only ``True``/``False`` (Python or NumPy) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def as_int(value: object, name: str, *, minimum: int | None = None,
           maximum: int | None = None) -> int:
    """Return an integer argument (bool refused), checking ``minimum <= value <= maximum``.

    Raises
    ------
    TypeError
        If `value` is not an integer (Python or NumPy).
    ValueError
        If `value` lies outside the bounds.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value} must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}={value} must be <= {maximum}")
    return value


def as_positive_int(value: object, name: str) -> int:
    """Return an integer >= 1 (see :func:`as_int`)."""
    return as_int(value, name, minimum=1)


def as_real(value: object, name: str, *, low: float | None = None, high: float | None = None,
            unit: str = "") -> float:
    """Return a finite real number, checking ``low <= value <= high`` (bool refused).

    Raises
    ------
    TypeError
        If `value` is not a real number.
    ValueError
        If `value` is not finite or lies outside the bounds.
    """
    in_unit = f" in {unit}" if unit else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number{in_unit}, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name}={value!r} must be a finite number{in_unit}")
    if (low is not None and out < low) or (high is not None and out > high):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name}={value!r} must lie within [{lo}, {hi}]{in_unit}")
    return out


def as_positive(value: object, name: str, unit: str = "") -> float:
    """Return `value` as a positive finite float, naming `name` (and `unit`) in errors.

    Raises
    ------
    TypeError
        If `value` is not a real number.
    ValueError
        If `value` is not finite or not > 0.
    """
    in_unit = f" in {unit}" if unit else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number{in_unit}, got {value!r}")
    out = float(value)
    if not math.isfinite(out) or out <= 0:
        raise ValueError(f"{name}={value!r} must be a finite number{in_unit} > 0")
    return out


def as_fs(fs: object, name: str = "fs") -> float:
    """Return a sampling frequency in Hz as a float within ``[FS_MIN, FS_MAX]``.

    The supported range is 0.5 Hz to 20 kHz (`FS_MIN`, `FS_MAX`); values outside it
    are refused at once rather than failing slowly or deep inside a filter.

    Raises
    ------
    TypeError
        If `fs` is not a real number.
    ValueError
        If `fs` is not finite, not > 0, or outside the supported range.
    """
    out = as_positive(fs, name, "Hz")
    if out < FS_MIN or out > FS_MAX:
        side = "low" if out < FS_MIN else "high"
        raise ValueError(
            f"{name}={out!r} is too {side}: heartbeat supports sampling frequencies from "
            f"{FS_MIN:g} to {FS_MAX:g} Hz; resample the signal or check the unit of {name} "
            "(Hz, not kHz or a sample period)"
        )
    return out


def as_choice(value: object, name: str, allowed: Sequence[object]) -> object:
    """Return `value` if it is one of `allowed`, else raise ValueError listing them."""
    try:
        ok = value in allowed
    except TypeError:  # unhashable or incomparable values
        ok = False
    if not ok:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}")
    return value


def as_signal(x: object, name: str = "signal") -> np.ndarray:
    """Return `x` as a finite, 1-D float64 array (a copy only when needed).

    Raises
    ------
    TypeError
        If `x` is not array-like or its dtype is not real numeric (bool, complex,
        object and string dtypes are refused).
    ValueError
        If `x` is not 1-D, longer than `MAX_SAMPLES`, or holds NaN or infinite values.
    """
    arr = as_array(x, name, "a 1-D numeric array")
    if not is_real_dtype(arr.dtype):
        raise TypeError(
            f"{name} must hold real numbers (integer or float dtype), got dtype {arr.dtype}"
        )
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got shape {arr.shape}; pass one channel, e.g. {name}[:, 0]"
        )
    if arr.size > MAX_SAMPLES:
        raise ValueError(f"{name} has {arr.size} samples, more than the {MAX_SAMPLES} "
                         "supported; process it in pieces")
    arr = arr.astype(np.float64, copy=False)
    if arr.size == 0:
        return arr
    low, high = float(arr.min()), float(arr.max())  # NaN propagates; no temporaries
    if not (math.isfinite(low) and math.isfinite(high)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"{name} holds {bad} NaN or infinite value(s); remove or interpolate them first"
        )
    return arr


def as_indices(x: object, name: str, n: int | None = None, *, unique: bool = True
               ) -> np.ndarray:
    """Return whole-number 1-D sample indices as int64, inside ``[0, n)``.

    Integral floats (``3.0``) are accepted.  With `unique` (the default) the result
    is sorted and free of duplicates; without, it keeps the order and length given.

    Raises
    ------
    TypeError
        If `x` is not array-like or does not hold integers or integral floats.
    ValueError
        If `x` is not 1-D, holds fractions, NaN or inf, or an index outside ``[0, n)``.
    """
    arr = as_array(x, name, "a 1-D array of sample indices")
    if arr.size == 0 and arr.ndim == 1:
        return np.empty(0, dtype=np.int64)
    if not is_real_dtype(arr.dtype):
        raise TypeError(f"{name} must hold integer sample indices, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D sample indices, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise ValueError(f"{name} must hold whole sample indices (no NaN or fractions), "
                             f"got {arr[:5]}...")
    out = np.unique(arr.astype(np.int64)) if unique else arr.astype(np.int64)
    low, high = (int(out.min()), int(out.max())) if out.size else (0, -1)
    if out.size and (low < 0 or (n is not None and high >= n)):
        where = f"[0, {n})" if n is not None else "[0, inf)"
        raise ValueError(
            f"{name} must lie within {where} (the signal's samples), got values from "
            f"{low} to {high}"
        )
    return out


def as_labels(y: object, name: str, *, n: int | None = None,
              classes: Sequence[str] | None = None, n_classes: int | None = None
              ) -> np.ndarray:
    """Return class labels as 1-D int64 codes ``0 .. n_classes - 1``.

    Parameters
    ----------
    y : array_like
        Integer class codes (integral floats accepted) or, when `classes` is given,
        class names.
    name : str
        The argument's name, for messages.
    n : int, optional
        The number of labels required (one per beat).
    classes : sequence of str, optional
        Class names: allows names in `y` and bounds codes by ``len(classes)``.
    n_classes : int, optional
        Bound on the codes when `classes` is not given.

    Raises
    ------
    TypeError
        If `y` does not hold integers (or class names where `classes` is given).
    ValueError
        If `y` is not 1-D, has the wrong length, is empty where no `n` is given, or
        holds a code or name outside the classes.
    """
    arr = as_array(y, name, "a 1-D array of class labels")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D class labels, got shape {arr.shape}")
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} labels for {n} beats: give one label per beat")
    if n is None and arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to score")
    bound = len(classes) if classes is not None else n_classes
    if arr.dtype.kind in "US" and classes is not None:
        lookup = {c: i for i, c in enumerate(classes)}
        unknown = sorted({str(v) for v in arr.tolist()} - set(lookup))
        if unknown:
            raise ValueError(f"{name} has labels {unknown} outside the classes {tuple(classes)}")
        return np.array([lookup[str(v)] for v in arr.tolist()], dtype=np.int64)
    if arr.size and np.issubdtype(arr.dtype, np.floating) and np.isfinite(arr).all() \
            and (arr == np.round(arr)).all():
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "b" or not np.issubdtype(arr.dtype, np.integer):
        names = " or class names" if classes is not None else ""
        raise TypeError(
            f"{name} must hold integer class codes{names}, got dtype {arr.dtype}; map class "
            "names to codes first (heartbeat.aami.class_codes) or take argmax of scores"
        )
    bad = (arr < 0) | ((arr >= bound) if bound is not None else False)
    if bad.any():
        within = f"0-{bound - 1}" if bound is not None else ">= 0"
        which = f" (classes {', '.join(classes)})" if classes is not None else ""
        raise ValueError(f"{name} has labels {sorted(set(arr[bad].tolist()))[:5]} outside "
                         f"{within}{which}")
    return arr.astype(np.int64, copy=False)


def as_beats(x: object, name: str, *, length: int, channels: int = 1,
             dtype: type = np.float32) -> np.ndarray:
    """Return beats as a C-contiguous finite array ``(n, length)`` or ``(n, channels, length)``.

    Single-channel beats are accepted as ``(n, length)`` (and returned so); several
    channels need ``(n, channels, length)``.

    Raises
    ------
    TypeError
        If `x` is not array-like or not real numeric.
    ValueError
        If the shape does not fit, or a beat holds NaN or infinite values.
    """
    arr = as_array(x, name, "an array of beats")
    if not is_real_dtype(arr.dtype):
        raise TypeError(f"{name} must be a numeric array of beats, got dtype {arr.dtype}")
    ok = (arr.ndim == 2 and channels == 1 and arr.shape[1] == length) or (
        arr.ndim == 3 and arr.shape[1:] == (channels, length))
    if not ok:
        want = f"(n_beats, {length})" if channels == 1 else f"(n_beats, {channels}, {length})"
        raise ValueError(f"{name} must have shape {want} (beats cut by heartbeat.segment at "
                         f"125 Hz), got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    finite = np.isfinite(arr).all(axis=tuple(range(1, arr.ndim)))  # (n,), also for n = 0
    if not finite.all():
        raise ValueError(f"{name} holds NaN or infinite values in {int((~finite).sum())} "
                         f"beat(s) (first: beat {int(np.flatnonzero(~finite)[0])}); drop or "
                         "repair those beats first")
    return arr


def as_seconds(value: object, name: str, *, positive: bool = False) -> float:
    """Return a finite number of seconds, ``>= 0`` (with `positive`: ``> 0``).

    Raises
    ------
    TypeError
        If `value` is not a real number (bool refused).
    ValueError
        If `value` is not finite, negative, or zero where `positive` is set.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    out = float(value)
    if not math.isfinite(out) or out < 0 or (positive and out == 0):
        op = ">" if positive else ">="
        raise ValueError(f"{name}={out!r} must be a finite number of seconds {op} 0")
    return out
