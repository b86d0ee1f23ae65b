"""Argument checks shared by the public functions: validate once, at the boundary.

Every message names the argument, shows its value and says what would be accepted,
so a user never meets an error from deep inside NumPy.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def as_array(x: object, name: str, expected: str = "a numeric array") -> np.ndarray:
    """Return `x` as a NumPy array, or raise TypeError saying what `name` must be.

    Refuses strings, bytes and None (NumPy would make 0-d arrays of them) and anything
    NumPy cannot turn into an array (ragged lists); the dtype is checked by the caller,
    for example with :func:`is_real_dtype`.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be {expected}, got {type(x).__name__}")
    try:
        return np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be {expected}: {exc}") from None


def is_real_dtype(dtype: np.dtype) -> bool:
    """Return True for integer and floating dtypes, False for bool, complex, str, object."""
    return dtype.kind != "b" and (
        np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)
    )


def as_int(value: object, name: str, *, minimum: int | None = None) -> int:
    """Return an integer argument (bool refused), checking ``value >= minimum``.

    Raises
    ------
    TypeError
        If `value` is not an integer (Python or NumPy).
    ValueError
        If `value` < `minimum`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value} must be >= {minimum}")
    return value


def as_signal(x: object, name: str = "signal") -> np.ndarray:
    """Return `x` as a finite, 1-D float64 array (a copy only when needed).

    Raises
    ------
    TypeError
        If `x` is not array-like or its dtype is not real numeric (bool, complex,
        object and string dtypes are refused).
    ValueError
        If `x` is not 1-D or holds NaN or infinite values.
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
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"{name} holds {bad} NaN or infinite value(s); remove or interpolate them first"
        )
    return arr


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
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number{in_unit}, got {value!r}")
    out = float(value)
    if not math.isfinite(out) or out <= 0:
        raise ValueError(f"{name}={value!r} must be a finite number{in_unit} > 0")
    return out


def as_fs(fs: object, name: str = "fs") -> float:
    """Return a sampling frequency as a positive finite float (see :func:`as_positive`)."""
    return as_positive(fs, name, "Hz")
