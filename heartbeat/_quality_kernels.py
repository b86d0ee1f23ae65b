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
    when ``c[hi]`` is reached, and ``c[lo]`` is at most `width` entries back.
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
        first, last = j + half - width, j + half - width  # the i whose window ends at j
        if j == n:  # and every window cut by the end
            last = n - 1
        for i in range(max(first, 0), last + 1):
            lo = max(0, i - half)
            if lo == 0:  # the twin divides the running sum itself, not a difference
                out[i] = total / (j - lo)
            else:
                out[i] = (total - ring[lo & mask]) / (j - lo)


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
    """:func:`segment_counts_twin` for Numba."""
    for k in range(starts.size):
        zero = 0
        level = 0
        for i in range(starts[k], ends[k]):
            if i + 1 < ends[k] and x[i + 1] == x[i]:
                zero += 1
            if x[i] == lowest or x[i] == highest:
                level += 1
        zero_steps[k] = zero
        at_level[k] = level


MOVING_MEAN = Kernel(numba_loop=moving_mean_loop, numpy_twin=moving_mean_twin)
SUPPRESS = Kernel(numba_loop=suppress_loop, numpy_twin=suppress_twin)
SEGMENT_COUNTS = Kernel(numba_loop=segment_counts_loop, numpy_twin=segment_counts_twin)
