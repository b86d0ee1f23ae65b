"""The signal-quality measures' loops (:mod:`heartbeat.signal_quality_features`) as kernels.

Each loop is written for Numba beside its NumPy twin and registered through
:mod:`heartbeat._jit`; the two give the same bits (``tests/test_quality_kernels.py``).

``MOVING_MEAN``
    The centred moving mean: ``out[i]`` is the mean of ``x[lo:hi]`` with
    ``lo = max(0, i - width // 2)`` and ``hi = min(n, lo' + width)``, from a running
    sum (the twin's ``np.cumsum`` adds in the same order as the loop).
``SUPPRESS``
    The second detector's greedy choice of maxima: candidates in order of priority,
    each kept unless a kept one lies within `refractory` samples.
``SEGMENT_COUNTS``
    Per segment, the zero sample-to-sample steps and the samples at a clip level (the
    flat and clipped rules).
``SQUARED_SLOPE``
    ``np.gradient(band) ** 2``, the second detector's squared slope, in one pass.
"""

from __future__ import annotations

import numpy as np

from heartbeat._jit import Kernel


def moving_mean_twin(x: np.ndarray, width: int, out: np.ndarray) -> None:
    """Write the centred moving mean of `x` over `width` >= 1 samples into `out`."""
    n = x.size
    c = np.concatenate([[0.0], np.cumsum(x)])
    half = width // 2
    if n <= width:  # every window is cut by an end
        i = np.arange(n)
        lo, hi = np.clip(i - half, 0, n), np.clip(i - half + width, 0, n)
        out[:] = (c[hi] - c[lo]) / (hi - lo)
        return
    out[half:n - width + half + 1] = (c[width:] - c[:-width]) / width
    head = np.arange(half)  # windows [0, i - half + width)
    out[:half] = c[head - half + width] / (head - half + width)
    tail = np.arange(n - width + half + 1, n)  # windows [i - half, n)
    out[tail] = (c[n] - c[tail - half]) / (n - tail + half)


def moving_mean_loop(x: np.ndarray, width: int, out: np.ndarray) -> None:
    """:func:`moving_mean_twin` as one pass for Numba (same bits).

    The running sums ``c[j]`` (the twin's cumulative sum) live in a ring of a power of
    two > `width` entries, so no record-long array is allocated; ``out[i]`` is written
    when ``c[hi]`` is reached, and ``c[lo]`` is at most `width` entries back.  One
    output per sum and no inner loop until the end, where the windows cut by it are
    written.
    """
    n = x.size
    half = width // 2
    size = 1
    while size <= width:
        size *= 2
    mask = size - 1
    ring = np.zeros(size)
    total = 0.0
    for j in range(1, n + 1):
        total = x[0] if j == 1 else total + x[j - 1]  # as np.cumsum: no 0.0 added
        ring[j & mask] = total
        i = j + half - width  # the sample whose full-width window ends at j
        if i >= 0 and j < n:
            lo = i - half
            # at lo <= 0 the twin divides the running sum itself, not a difference
            out[i] = total / j if lo <= 0 else (total - ring[lo & mask]) / width
    for i in range(max(0, n + half - width), n):  # the windows cut by the end
        lo = max(0, i - half)
        out[i] = total / (n - lo) if lo == 0 else (total - ring[lo & mask]) / (n - lo)


def suppress_twin(order: np.ndarray, n: int, refractory: int, kept: np.ndarray) -> int:
    """Keep each of `order` unless a kept one is within `refractory`; write them to `kept`.

    `order` holds sample indices in ``0..n-1`` by priority; returns how many were kept
    (in `kept[:count]`, in the order they were taken).
    """
    taken = np.zeros(n, dtype=bool)
    count = 0
    for p in order:
        if not taken[max(0, p - refractory): p + refractory + 1].any():
            taken[p] = True
            kept[count] = p
            count += 1
    return count


def suppress_loop(order: np.ndarray, n: int, refractory: int, kept: np.ndarray) -> int:
    """:func:`suppress_twin` for Numba."""
    taken = np.zeros(n, dtype=np.bool_)
    count = 0
    for k in range(order.size):
        p = order[k]
        free = True
        for j in range(max(0, p - refractory), min(n, p + refractory + 1)):
            if taken[j]:
                free = False
                break
        if free:
            taken[p] = True
            kept[count] = p
            count += 1
    return count


def segment_counts_twin(x: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                        lowest: float, highest: float, zero_steps: np.ndarray,
                        at_level: np.ndarray) -> None:
    """Count per segment ``[starts_k, ends_k)`` its zero steps and samples at a level.

    A step ``x[i + 1] - x[i]`` belongs to the segment when both samples do; the counts
    are written to `zero_steps` and `at_level`.
    """
    zero = np.concatenate([[0], np.cumsum(np.diff(x) == 0)])
    level = np.concatenate([[0], np.cumsum((x == lowest) | (x == highest))])
    zero_steps[:] = zero[np.maximum(ends - 1, starts)] - zero[starts]
    at_level[:] = level[ends] - level[starts]


def segment_counts_loop(x: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                        lowest: float, highest: float, zero_steps: np.ndarray,
                        at_level: np.ndarray) -> None:
    """:func:`segment_counts_twin` for Numba (two branch-free counts per segment)."""
    for k in range(starts.size):
        zero = 0
        for i in range(starts[k], ends[k] - 1):
            zero += x[i + 1] == x[i]
        level = 0
        for i in range(starts[k], ends[k]):
            level += (x[i] == lowest) | (x[i] == highest)
        zero_steps[k] = zero
        at_level[k] = level


def squared_slope_twin(band: np.ndarray, out: np.ndarray) -> None:
    """Write ``np.gradient(band) ** 2`` (unit spacing, `band` of 2 samples or more) to `out`."""
    out[:] = np.gradient(band) ** 2


def squared_slope_loop(band: np.ndarray, out: np.ndarray) -> None:
    """:func:`squared_slope_twin` for Numba: central differences halved, one-sided at the ends."""
    n = band.size
    step = band[1] - band[0]
    out[0] = step * step
    for i in range(1, n - 1):
        step = (band[i + 1] - band[i - 1]) / 2.0
        out[i] = step * step
    step = band[n - 1] - band[n - 2]
    out[n - 1] = step * step


MOVING_MEAN = Kernel(numba_loop=moving_mean_loop, numpy_twin=moving_mean_twin)
SUPPRESS = Kernel(numba_loop=suppress_loop, numpy_twin=suppress_twin)
SEGMENT_COUNTS = Kernel(numba_loop=segment_counts_loop, numpy_twin=segment_counts_twin)
SQUARED_SLOPE = Kernel(numba_loop=squared_slope_loop, numpy_twin=squared_slope_twin)
