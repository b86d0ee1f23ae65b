"""The seven steps of Kachuee et al. (2018), section III-A, each a pure function.

In the paper's order: :func:`resample` (step 0, from :mod:`heartbeat.resample`),
:func:`windows`, :func:`normalize`, :func:`local_maxima`, :func:`r_peak_candidates`,
:func:`median_rr`, :func:`crop` and :func:`pad`, with the paper's constants.
:func:`heartbeat.pipeline.segment` chains them for a whole record.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from heartbeat._validate import (
    as_fs,
    as_indices,
    as_int,
    as_positive,
    as_real,
    as_signal,
)
from heartbeat.resample import resample

__all__ = [
    "FLAT_RTOL",
    "FS_OUT",
    "LENGTH",
    "PERIOD_FACTOR",
    "THRESHOLD",
    "WINDOW_S",
    "crop",
    "local_maxima",
    "median_rr",
    "normalize",
    "pad",
    "r_peak_candidates",
    "resample",
    "windows",
]

FS_OUT = 125.0  # Hz, the paper's sampling rate
WINDOW_S = 10.0  # s, step 1
THRESHOLD = 0.9  # step 4, on the normalised amplitude
PERIOD_FACTOR = 1.2  # step 6, crop length in units of T
LENGTH = 187  # step 7, samples per beat
# A window whose range is at most FLAT_RTOL * max(abs(signal)) is flat: resampling
# rounding (~1e-15 of the amplitude) must not be stretched to [0, 1] and read as beats.
FLAT_RTOL = 1e-9


# ---------------------------------------------------------------------------- the steps
def windows(x: object, fs: float, window_s: float = WINDOW_S) -> list[np.ndarray]:
    """Step 1: split a continuous signal into consecutive windows of `window_s` seconds.

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal.
    fs : float
        Its sampling frequency in Hz.
    window_s : float, default 10.0
        Window duration in seconds; a window holds ``round(window_s * fs)`` samples.

    Returns
    -------
    list of ndarray
        Views of `x` (as float64), in order; the last one is shorter when the length
        is not a multiple of the window.  Empty for an empty `x`.

    Raises
    ------
    TypeError
        If `x` is not a real numeric array or `fs` / `window_s` is not a number.
    ValueError
        If `x` is not 1-D or holds NaN/inf, `fs` / `window_s` is not finite and > 0,
        or a window would hold less than one sample.

    Notes
    -----
    The paper splits the ECG into 10 s windows and *picks one*; to use a whole
    record, every window is taken.  A shorter trailing window is kept (the paper is
    silent): at 125 Hz a 650,000-sample MIT-BIH record gives 180 full windows and
    one of 695 samples.

    Examples
    --------
    >>> import numpy as np
    >>> [w.size for w in windows(np.zeros(2600), 125.0)]
    [1250, 1250, 100]
    """
    x = as_signal(x, "x")
    fs = as_fs(fs, "fs")
    width = _window_width(as_positive(window_s, "window_s"), fs)
    return [x[i : i + width] for i in range(0, x.size, width)]


def _window_width(window_s: float, fs: float) -> int:
    width = round(window_s * fs)
    if width < 1:
        raise ValueError(
            f"window_s={window_s!r} is shorter than one sample at fs={fs!r} Hz"
        )
    return width


def normalize(window: object, *, atol: float = 0.0) -> np.ndarray:
    """Step 2: scale a window's amplitude to [0, 1] (min-max).

    Parameters
    ----------
    window : array_like, shape (n,)
        One window of the signal.
    atol : float, default 0.0
        A window whose range ``max - min`` is at most `atol` is flat.

    Returns
    -------
    ndarray of float64, shape (n,)
        ``(window - min) / (max - min)``: within [0, 1] exactly, with 0 at the
        minimum and 1 at the maximum.  All zeros for a flat window.

    Raises
    ------
    TypeError
        If `window` is not a real numeric array.
    ValueError
        If `window` is not 1-D or holds NaN/inf, or `atol` is negative or not finite.

    Notes
    -----
    As the paper.  Flat windows, on which the paper's formula divides by zero, map
    to zeros, so they hold no R-peak candidates.  The division (not a multiplication
    by ``1 / range``) keeps every value within [0, 1] despite rounding.

    Examples
    --------
    >>> normalize([2.0, 4.0, 3.0])
    array([0. , 1. , 0.5])
    """
    w = as_signal(window, "window")
    atol = as_real(atol, "atol", low=0.0)
    if w.size == 0:
        return w.copy()
    lo = w.min()
    span = w.max() - lo
    if span <= atol:
        return np.zeros_like(w)
    return (w - lo) / span


def _local_maxima(x: np.ndarray, width: int) -> np.ndarray:
    """Local maxima of `x` cut into windows of `width` samples (none across a border)."""
    if x.size < 3:
        return np.zeros(0, dtype=np.int64)
    d = np.diff(x)  # d[i] = x[i + 1] - x[i]
    d[width - 1 :: width] = 0  # links across a window border do not exist ...
    nz = np.flatnonzero(d)  # ... and a top must start and end in one window (below)
    rising = d[nz] > 0
    top = rising[:-1] & ~rising[1:] & (nz[:-1] // width == nz[1:] // width)
    left = nz[:-1][top] + 1  # first sample of the (plateau) top
    right = nz[1:][top]  # last sample of the top
    return ((left + right) // 2).astype(np.int64)


def local_maxima(x: object) -> np.ndarray:
    """Step 3: local maxima, where the first derivative crosses zero from + to -.

    Parameters
    ----------
    x : array_like, shape (n,)
        A (normalised) window.

    Returns
    -------
    ndarray of int64
        Sorted indices ``i`` with ``x[i - 1] < x[i] > x[i + 1]``.  A flat top
        (plateau) ``x[a - 1] < x[a] == ... == x[b] > x[b + 1]`` counts once, at its
        middle ``(a + b) // 2``.

    Raises
    ------
    TypeError
        If `x` is not a real numeric array.
    ValueError
        If `x` is not 1-D or holds NaN/inf.

    Notes
    -----
    The paper takes "the set of all local maximums based on zero-crossings of the
    first derivative" and does not treat plateaus; here the derivative is the
    forward difference with its zeros skipped, so a plateau is one maximum at its
    middle (the rule of ``scipy.signal.find_peaks``, which the tests compare
    against).  The first and last samples are never maxima, nor is a plateau that
    touches either end.

    Examples
    --------
    >>> local_maxima([0.0, 1.0, 0.0, 2.0, 2.0, 2.0, 0.0, 3.0])
    array([1, 4])
    """
    x = as_signal(x, "x")
    return _local_maxima(x, max(x.size, 1))


def r_peak_candidates(
    x: object, maxima: object, threshold: float = THRESHOLD
) -> np.ndarray:
    """Step 4: keep the local maxima whose normalised value is at least `threshold`.

    Parameters
    ----------
    x : array_like, shape (n,)
        The normalised window (see :func:`normalize`).
    maxima : array_like of int
        Indices of its local maxima (see :func:`local_maxima`).
    threshold : float, default 0.9
        Threshold on the normalised amplitude, within [0, 1].

    Returns
    -------
    ndarray of int64
        The sorted, unique maxima with ``x[i] >= threshold``.

    Raises
    ------
    TypeError
        If `x` or `maxima` has a non-numeric dtype or `threshold` is not a number.
    ValueError
        If `x` is not 1-D or holds NaN/inf, `maxima` lies outside `x`, or
        `threshold` is outside [0, 1].

    Notes
    -----
    As the paper ("a threshold of 0.9 on the normalised value of the local
    maximums"); a value equal to the threshold passes.

    Examples
    --------
    >>> r_peak_candidates([0.0, 1.0, 0.0, 0.5, 0.0, 0.95, 0.0], [1, 3, 5])
    array([1, 5])
    """
    x = as_signal(x, "x")
    idx = as_indices(maxima, "maxima", x.size)
    threshold = as_real(threshold, "threshold", low=0.0, high=1.0)
    return idx[x[idx] >= threshold]


def median_rr(r_peaks: object) -> float:
    """Step 5: the median R-R interval, the window's nominal heartbeat period T.

    Parameters
    ----------
    r_peaks : array_like of int
        R-peak indices of one window (sorted and made unique first).

    Returns
    -------
    float
        ``median(diff(r_peaks))`` in samples; NaN with fewer than two peaks.

    Raises
    ------
    TypeError
        If `r_peaks` does not hold numbers.
    ValueError
        If `r_peaks` is not 1-D, negative or not whole numbers.

    Notes
    -----
    As the paper.  The paper does not say what to do with a window of one peak;
    :func:`segment` then uses the median R-R interval of the whole signal.

    Examples
    --------
    >>> median_rr([10, 110, 205, 310])
    100.0
    """
    peaks = as_indices(r_peaks, "r_peaks")
    if peaks.size < 2:
        return float("nan")
    return float(np.median(np.diff(peaks).astype(np.float64)))


def _crop_length(period: np.ndarray | float, factor: float) -> np.ndarray:
    """``round(factor * period)`` half up, at least 1, as a number of samples."""
    return np.maximum(np.floor(np.multiply(factor, period) + 0.5), 1).astype(np.int64)


def crop(
    x: object, r_peaks: object, period: float, *, factor: float = PERIOD_FACTOR
) -> list[np.ndarray]:
    """Step 6: the part of `x` of length ``factor * period`` starting at each R peak.

    Parameters
    ----------
    x : array_like, shape (n,)
        The normalised window.
    r_peaks : array_like of int
        R-peak indices into `x`.
    period : float
        The nominal heartbeat period T in samples (see :func:`median_rr`).
    factor : float, default 1.2
        Crop length in units of `period`.

    Returns
    -------
    list of ndarray
        ``x[r : r + round(factor * period)]`` for each R peak `r`, in the order
        given (copies); a part that would run past the end of `x` is cut there.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If `x` is not 1-D or holds NaN/inf, `r_peaks` lies outside `x`, or `period`
        / `factor` is not finite and > 0.

    Notes
    -----
    The paper selects "a signal part with the length equal to 1.2T" for each
    R peak; like the published reimplementations and the rows of the Kaggle set, the
    part *starts* at the R peak.  The length is rounded half up and is at least one
    sample (the R peak), even for a tiny `period`.  A part reaching past
    the window is truncated there (and zero-padded by :func:`pad`): the paper works
    within one window and says nothing of its border.

    Examples
    --------
    >>> [c.tolist() for c in crop([0.0, 1.0, 0.5, 0.2, 0.9, 0.3], [1, 4], 2.5)]
    [[1.0, 0.5, 0.2], [0.9, 0.3]]
    """
    x = as_signal(x, "x")
    peaks = as_indices(r_peaks, "r_peaks", x.size, unique=False)  # in the order given
    period = as_positive(period, "period")
    factor = as_positive(factor, "factor")
    n = int(_crop_length(period, factor))
    return [x[r : r + n].copy() for r in peaks.tolist()]


def pad(crops: Sequence[object], length: int = LENGTH) -> np.ndarray:
    """Step 7: zero-pad each part to `length` samples.

    Parameters
    ----------
    crops : sequence of array_like
        The parts from :func:`crop`.
    length : int, default 187
        Samples per row.

    Returns
    -------
    ndarray of float32, shape (len(crops), length)
        Each part followed by zeros; a part longer than `length` is cut to `length`.

    Raises
    ------
    TypeError
        If `crops` is not a sequence of real numeric arrays or `length` is not an
        integer.
    ValueError
        If a part is not 1-D or holds NaN/inf, or `length` < 1.

    Notes
    -----
    As the paper (187 samples, about 1.5 s at 125 Hz).  The paper does not say what
    happens when 1.2 T exceeds the fixed length (T > 1.25 s, a rate under 48 beats per
    minute); the part is cut.  float32, like the Kaggle set's values.

    Examples
    --------
    >>> pad([[0.5, 1.0], [1.0]], length=3)
    array([[0.5, 1. , 0. ],
           [1. , 0. , 0. ]], dtype=float32)
    """
    length = as_int(length, "length", minimum=1)
    if isinstance(crops, (str, bytes, np.ndarray)) and np.ndim(crops) != 2:
        raise TypeError(f"crops must be a sequence of 1-D arrays, got {type(crops).__name__}")
    out = np.zeros((len(crops), length), dtype=np.float32)
    for i, part in enumerate(crops):
        values = as_signal(part, f"crops[{i}]")[:length]
        out[i, : values.size] = values
    return out
