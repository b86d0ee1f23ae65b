"""Argument checks of the spectral functions: each public function calls these once."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from heartbeat._validate import as_array, as_int, as_positive_int, check_finite, is_real_dtype
from heartbeat.windows.tapers import DEFAULT_NPERSEG, get_window

_DETRENDS = ("constant", "linear")
_BOUNDARIES = ("zeros", "even", "odd", "constant")
_MODES = ("psd", "complex", "magnitude", "angle", "phase")


def _as_real_batch(x: object, name: str) -> np.ndarray:
    """Return `x` as a finite float32 (float16/32 input) or float64 array, ndim >= 1."""
    arr = as_array(x, name)
    if not is_real_dtype(arr.dtype):
        raise TypeError(
            f"{name} must hold real numbers (integer or float dtype), got dtype {arr.dtype}"
        )
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least 1 dimension (time on the last axis)")
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} is empty: its last (time) axis has length 0, shape {arr.shape}")
    arr = arr.astype(_real_dtype(arr.dtype), copy=False)
    check_finite(arr, name)
    return arr


def _real_dtype(dtype: np.dtype) -> type:
    """SciPy's precision rule: float32 when ``result_type(dtype, complex64)`` is complex64.

    So float16/float32 and 8- or 16-bit integers compute in float32; 32/64-bit
    integers and float64 in float64.
    """
    return np.float32 if np.result_type(dtype, np.complex64) == np.complex64 else np.float64


def _window_array(window: object, nperseg: int | None) -> tuple[np.ndarray, int]:
    """Return the float64 window and the segment length (`nperseg` or len(window))."""
    if isinstance(window, (str, tuple)):
        if nperseg is None:
            nperseg = DEFAULT_NPERSEG
        return get_window(window, nperseg), nperseg
    if window is None:
        raise TypeError(f"window must be a name such as 'hann' or a 1-D array, got {window!r}")
    win = as_array(window, "window", "a name or a 1-D numeric array")
    if not is_real_dtype(win.dtype):
        raise TypeError(f"window must hold real numbers, got dtype {win.dtype}")
    if win.ndim != 1 or win.size == 0:
        raise ValueError(f"window must be a non-empty 1-D array, got shape {win.shape}")
    win = win.astype(np.float64)
    check_finite(win, "window")
    if nperseg is None:
        nperseg = win.size
    elif nperseg != win.size:
        raise ValueError(
            f"nperseg={nperseg} differs from the length of the window array ({win.size}); "
            "pass nperseg=None to use the window's length"
        )
    return win, nperseg


def _segment_args(
    n: int, window: object, nperseg: object, noverlap: object, nfft: object
) -> tuple[np.ndarray, int, int, int]:
    """Validate the framing arguments for a signal of `n` samples."""
    if nperseg is not None:
        nperseg = as_positive_int(nperseg, "nperseg")
    win, nperseg = _window_array(window, nperseg)
    if nperseg > n:
        raise ValueError(
            f"nperseg={nperseg} is longer than the signal (n={n} samples on the last axis); "
            f"pass nperseg <= {n} (SciPy would warn and shrink it)"
        )
    if noverlap is None:
        noverlap = (3 * nperseg) // 4
    else:
        noverlap = as_int(noverlap, "noverlap", minimum=0)
        if noverlap >= nperseg:
            raise ValueError(f"noverlap={noverlap} must be less than nperseg={nperseg}")
    if nfft is None:
        nfft = nperseg
    else:
        nfft = as_positive_int(nfft, "nfft")
        if nfft < nperseg:
            raise ValueError(f"nfft={nfft} must be >= nperseg={nperseg}")
    return win, nperseg, noverlap, nfft


def _detrend_arg(detrend: object) -> str | Callable[[np.ndarray], np.ndarray] | None:
    if detrend is None or detrend is False:
        return None
    if isinstance(detrend, str):
        if detrend not in _DETRENDS:
            raise ValueError(f"detrend={detrend!r} must be 'constant', 'linear', False or None")
        return detrend
    if callable(detrend) and not isinstance(detrend, (bool, np.bool_)):
        return detrend
    raise TypeError(
        f"detrend must be 'constant', 'linear', False, None or a callable, got {detrend!r}"
    )


def _scale(win: np.ndarray, scaling: str, fs: float) -> float:
    """SciPy's power scale: 1/(fs sum w^2) for a density, 1/(sum w)^2 for a spectrum."""
    if scaling == "density":
        energy = float(np.sum(win * win))
        if energy == 0.0:
            raise ValueError("window is all zeros; a density needs sum(window**2) > 0")
        return 1.0 / (fs * energy)
    total = float(np.sum(win))
    if total == 0.0:
        raise ValueError("window sums to 0; scaling='spectrum' needs sum(window) != 0")
    return 1.0 / total**2


def _as_numeric(a: object, name: str) -> np.ndarray:
    """Return `a` as a finite float32/float64/complex64/complex128 array."""
    arr = as_array(a, name)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    small = _real_dtype(arr.dtype) == np.float32
    if np.iscomplexobj(arr):
        arr = arr.astype(np.complex64 if small else np.complex128, copy=False)
    else:
        arr = arr.astype(np.float32 if small else np.float64, copy=False)
    check_finite(arr, name)
    return arr
