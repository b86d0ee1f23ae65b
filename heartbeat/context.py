"""Record context of each beat: what surrounds it in its recording.

A beat alone says little about what is usual for the patient it comes from; an S beat
of one patient can look like an N beat of another.  Two views of the surroundings:

* :func:`rr_features` -- the RR intervals before and after each beat and their local
  mean, as ratios to the record's mean RR (the timing context);
* :func:`local_median` -- the elementwise median of the ``2k + 1`` beats centred on
  each beat in the same recording, and :func:`with_context`, which stacks the beat and
  its difference from that median as two channels, ``(n, 2, L)``, for a network built
  with ``input_channels=2`` (the shape context).

No labels are used: a deployed classifier has the same unlabelled beats of the
recording it classifies.  (The median channel is a departure from Kachuee 2018, whose
network sees the beat alone; see ``benchmarks/train_results.py --template K`` for the
measured effect.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from heartbeat._jit import Kernel, resolve_backend
from heartbeat._validate import as_array, as_fs, as_int, as_positive, is_real_dtype

__all__ = ["local_median", "rr_features", "with_context"]

# Elements of the (rows, L, 2k + 1) window array that one chunk of the NumPy twin may
# hold (np.median copies it once more): about 4 M elements, 16 MB in float32, whatever
# the group size.
_CHUNK_ELEMENTS = 1 << 22


def rr_features(r_peaks: object, fs: float, *, local_window_s: float = 10.0) -> np.ndarray:
    """RR-interval features of each beat, as ratios to the record's mean RR.

    Parameters
    ----------
    r_peaks : array_like of int, shape (n,)
        Sample indices of all R peaks of one record, increasing.
    fs : float
        Sampling frequency of `r_peaks` in Hz.
    local_window_s : float, default 10.0
        Width of the centred window whose RR intervals make the local mean.

    Returns
    -------
    numpy.ndarray of float32, shape (n, 3)
        Columns: previous RR, next RR, local mean RR -- each divided by the mean RR of
        the whole record, so 1.0 is the record's average rhythm.

    Raises
    ------
    TypeError
        If `r_peaks` is not numeric.
    ValueError
        If `r_peaks` is not 1-D or not strictly increasing, or `fs` /
        `local_window_s` is not > 0.

    Notes
    -----
    The previous RR of the first beat is its next RR, and the next RR of the last
    beat its previous RR.  The local mean averages the RR intervals that end within
    ``±local_window_s / 2`` of the beat (de Chazal et al. 2004 use a 10 s window); it
    falls back to the previous RR when no interval ends there.  With fewer than two
    beats there is no interval and every feature is 1.0.

    Examples
    --------
    Four beats 1 s, 1 s and 1.5 s apart (mean RR 7/6 s), all within one 10 s window:

    >>> rr_features([0, 100, 200, 350], fs=100.0).astype(float).round(3).tolist()
    [[0.857, 0.857, 1.0], [0.857, 0.857, 1.0], [0.857, 1.286, 1.0], [1.286, 1.286, 1.0]]
    """
    peaks = as_array(r_peaks, "r_peaks", "a 1-D array of sample indices")
    if not is_real_dtype(peaks.dtype):
        raise TypeError(f"r_peaks must hold sample indices, got dtype {peaks.dtype}")
    if peaks.ndim != 1:
        raise ValueError(f"r_peaks must be 1-D, got shape {peaks.shape}")
    fs = as_fs(fs)
    local_window_s = as_positive(local_window_s, "local_window_s")
    if len(peaks) >= 2 and not (np.diff(peaks.astype(np.float64) / fs) > 0).all():
        raise ValueError("r_peaks must be strictly increasing")
    return _rr_features(peaks, fs, local_window_s)


def _rr_features(peaks: np.ndarray, fs: float, local_window_s: float = 10.0) -> np.ndarray:
    """:func:`rr_features` of strictly increasing 1-D `peaks` (not checked again)."""
    n = len(peaks)
    if n < 2:
        return np.ones((n, 3), dtype=np.float32)
    half = local_window_s / 2
    t = peaks.astype(np.float64) / fs
    rr = np.diff(t)
    pre = np.concatenate([rr[:1], rr])
    post = np.concatenate([rr, rr[-1:]])
    ends = t[1:]  # interval j ends at beat j + 1
    lo = np.searchsorted(ends, t - half, side="left")
    hi = np.searchsorted(ends, t + half, side="right")
    csum = np.concatenate([[0.0], np.cumsum(rr)])
    count = hi - lo
    local = np.where(count > 0, (csum[hi] - csum[lo]) / np.maximum(count, 1), pre)
    return (np.stack([pre, post, local], axis=1) / rr.mean()).astype(np.float32)


def _check_inputs(x: Any, k: Any, groups: Any, times: Any = None
                  ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Validate once; return x as a float array, groups and times as (n,) arrays or None."""
    as_int(k, "k", minimum=1)
    arr = as_array(x, "x", "a numeric array of beats")
    if not is_real_dtype(arr.dtype):
        raise TypeError(f"x must be a numeric array of beats, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"x must be 2-D, shape (n_beats, beat_length), got shape "
                         f"{arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
        raise ValueError(f"x holds NaN or infinite values in {bad} beat(s); drop or "
                         "repair those beats first")
    g = None
    if groups is not None:
        g = as_array(groups, "groups", "one recording label per beat")
        if g.ndim != 1 or len(g) != len(arr):
            raise ValueError(f"groups must be 1-D with one label per beat ({len(arr)}), "
                             f"got shape {g.shape}; pass the record name of each beat, "
                             "or None for one recording")
    t = None
    if times is not None:
        t = as_array(times, "times", "the sample index or seconds of each beat")
        if not is_real_dtype(t.dtype):
            raise TypeError(f"times must be numeric (sample index or seconds of each "
                            f"beat), got dtype {t.dtype}")
        if t.ndim != 1 or len(t) != len(arr):
            raise ValueError(f"times must be 1-D with one value per beat ({len(arr)}), "
                             f"got shape {t.shape}; or None when x is in time order")
    return arr, g, t


def _median_rows_np(xs: np.ndarray, k: int, out: np.ndarray) -> None:
    """Write the edge-padded running median of `xs` (m, L) over 2k+1 rows into `out`."""
    m, length = xs.shape
    width = 2 * k + 1
    step = max(1, _CHUNK_ELEMENTS // max(1, length * width))
    for start in range(0, m, step):
        stop = min(start + step, m)
        # rows start-k .. stop+k-1 of np.pad(xs, ((k, k), (0, 0)), mode="edge")
        padded = xs[np.clip(np.arange(start - k, stop + k), 0, m - 1)]
        windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)
        out[start:stop] = np.median(windows, axis=-1)  # (stop - start, L)


def _median_rows_nb(xs: np.ndarray, k: int, out: np.ndarray) -> None:
    """:func:`_median_rows_np` as a sliding sorted window per column (for Numba).

    Each column keeps its 2k+1 window values sorted; moving one row on replaces the
    value that leaves by the one that enters (a binary search and a shift), so a row
    costs O(L k) instead of a partition of the whole (L, 2k+1) window.  The window
    always holds 2k+1 values (odd), so the median is one of them, as in np.median.
    """
    m, length = xs.shape
    width = 2 * k + 1
    win = np.empty((length, width), xs.dtype)  # (L, 2k+1), each row sorted
    for j in range(length):
        for w in range(width):  # insertion sort of rows clip(-k .. k)
            value = xs[min(max(w - k, 0), m - 1), j]
            p = w
            while p > 0 and win[j, p - 1] > value:
                win[j, p] = win[j, p - 1]
                p -= 1
            win[j, p] = value
    for i in range(m):
        leaving, entering = min(max(i - 1 - k, 0), m - 1), min(i + k, m - 1)
        if i > 0 and leaving != entering:
            for j in range(length):
                old, new = xs[leaving, j], xs[entering, j]
                lo, hi = 0, width
                while lo < hi:  # the first index holding the value that leaves
                    mid = (lo + hi) // 2
                    if win[j, mid] < old:
                        lo = mid + 1
                    else:
                        hi = mid
                p = lo  # move the hole to where the entering value belongs
                while p + 1 < width and win[j, p + 1] < new:
                    win[j, p] = win[j, p + 1]
                    p += 1
                while p > 0 and win[j, p - 1] > new:
                    win[j, p] = win[j, p - 1]
                    p -= 1
                win[j, p] = new
        for j in range(length):
            out[i, j] = win[j, k]


RUNNING_MEDIAN = Kernel(numba_loop=_median_rows_nb, numpy_twin=_median_rows_np)


def _median_rows(xs: np.ndarray, k: int, out: np.ndarray) -> None:
    """Write the edge-padded running median of `xs` (m, L) over 2k+1 rows into `out`."""
    RUNNING_MEDIAN.get(resolve_backend("auto"))(np.ascontiguousarray(xs), k, out)


def local_median(x: Any, k: int = 20, groups: Any = None, times: Any = None) -> np.ndarray:
    """Elementwise median of the 2k+1 beats centred on each beat, within its recording.

    Parameters
    ----------
    x : array_like, shape (n, L)
        Beats, in time order within each group unless `times` is given.
    k : int, default 20
        Beats taken on each side; the window holds ``2k + 1`` beats.
    groups : array_like, shape (n,), optional
        Recording of each beat (for example ``BeatSet.record``).  The rows of one
        group need not be contiguous.  Default: all beats are one recording.
    times : array_like, shape (n,), optional
        Time of each beat (for example ``BeatSet.sample`` or R-peak indices): within a
        group, beats are taken in this order.  Default: the order of the rows of `x`.

    Returns
    -------
    numpy.ndarray, shape (n, L)
        The median of each beat's window, in the float dtype of `x` (float64 for
        integer input), rows in the order of `x`.

    Raises
    ------
    TypeError
        If `x` or `times` is not numeric or `k` is not an integer.
    ValueError
        If `x` is not 2-D or holds NaN/inf, ``k < 1``, or `groups` or `times` does not
        have one entry per beat.

    Notes
    -----
    At the ends of a recording the window is not shortened: the first and last beats
    are repeated (``np.pad(mode="edge")``), so the first beat's window holds it
    ``k + 1`` times.  A recording shorter than the window is padded the same way.
    Each recording is processed alone and in chunks of rows, so memory stays bounded
    for a 24-hour Holter record (about 100,000 beats).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [5.0], [2.0], [3.0]])
    >>> local_median(x, k=1)[:, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 3.0]
    >>> local_median(x, k=1, groups=["a", "b", "a", "b", "a"])[:, 0].tolist()
    [0.0, 1.0, 3.0, 2.0, 3.0]
    >>> local_median(x[::-1], k=1, times=[4, 3, 2, 1, 0])[::-1, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 3.0]
    """
    arr, g, t = _check_inputs(x, k, groups, times)
    return _local_median(arr, int(k), g, t)


def _local_median(arr: np.ndarray, k: int, g: np.ndarray | None,
                  t: np.ndarray | None) -> np.ndarray:
    """:func:`local_median` on validated inputs."""
    out = np.empty_like(arr)
    if len(arr) == 0:
        return out
    if g is None and t is None:
        _median_rows(arr, k, out)
        return out
    codes = np.zeros(len(arr), np.intp) if g is None else \
        np.unique(g, return_inverse=True)[1].reshape(-1)
    # groups together; within each, by time (or the given order); both sorts stable
    order = np.argsort(codes, kind="stable") if t is None else np.lexsort((t, codes))
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for rows in np.split(order, bounds):
        med = np.empty((len(rows), arr.shape[1]), arr.dtype)
        _median_rows(arr[rows], k, med)
        out[rows] = med
    return out


def with_context(x: Any, k: int = 20, groups: Any = None, times: Any = None) -> np.ndarray:
    """Two-channel beats: the beat, and the beat minus its :func:`local_median`.

    Parameters
    ----------
    x : array_like, shape (n, L)
        Beats, in time order within each group unless `times` is given.
    k : int, default 20
        Beats taken on each side of the median window (``2k + 1`` beats).
    groups : array_like, shape (n,), optional
        Recording of each beat; default one recording (see :func:`local_median`).
    times : array_like, shape (n,), optional
        Time of each beat, to order beats within a recording; default the row order.

    Returns
    -------
    numpy.ndarray of float32, shape (n, 2, L)
        Channel 0 the beat, channel 1 the beat minus the median of its window
        (computed in the float precision of `x`, then stored as float32).

    Raises
    ------
    TypeError, ValueError
        As :func:`local_median`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 1.0], [1.0, 1.0], [5.0, 1.0], [2.0, 1.0]])
    >>> two = with_context(x, k=1)
    >>> two.shape, two.dtype.name
    ((4, 2, 2), 'float32')
    >>> two[:, 1, 0].tolist()  # the third beat stands out from its neighbours
    [0.0, 0.0, 3.0, 0.0]
    """
    arr, g, t = _check_inputs(x, k, groups, times)
    out = np.empty((arr.shape[0], 2, arr.shape[1]), np.float32)  # (n, 2, L)
    out[:, 0] = arr
    out[:, 1] = arr - _local_median(arr, int(k), g, t)
    return out
