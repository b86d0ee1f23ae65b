"""The signal-quality measures' loops (:mod:`heartbeat.signal_quality_features`) as kernels.

Each loop is written for Numba beside its NumPy twin and registered through
:mod:`heartbeat._jit`; the two give the same bits (``tests/test_signal_quality_kernels.py``).

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
``CENTRED_WINDOWS``
    The context windows minus their means and their second and fourth moments, each
    row summed in NumPy's pairwise order.
``BAND_POWERS``
    The power of each context window in each band, from its spectrum's magnitudes.
``SLOPE_CANDIDATES``
    The second detector's candidates: local maxima of its energy above its threshold.
``QUIET_SQUARES``
    The band's squares away from every beat and their count per segment (the noise
    of ``qrs_to_noise``).
``TEMPLATE_CORRELATION``
    Each beat's waveform correlated with the median of its four neighbours' (the
    ``template`` measure).  NumPy sums a row of the twin's arrays pairwise (eight
    running sums for rows up to 128 values); the loop adds in that order, so it
    serves waveforms up to :data:`PAIRWISE_BLOCK` samples (up to about 530 Hz) and
    the twin the longer ones.
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


PAIRWISE_BLOCK = 128
"""The longest row NumPy sums in one block of eight running sums (its pairwise sum
splits longer ones): the longest waveform :func:`template_correlation_loop` takes."""

_BEATS_PER_BLOCK = 4096  # the twin's beats at a time (memory stays small on long records)


def median_of_four(stack: np.ndarray) -> np.ndarray:
    """``np.median(stack, axis=0)`` for 4 rows, bit for bit, without a partition.

    The two middle values of four are the larger of the pairs' minima and the smaller
    of their maxima; their mean is taken as ``np.median`` takes it.
    """
    low = np.maximum(np.minimum(stack[0], stack[1]), np.minimum(stack[2], stack[3]))
    high = np.minimum(np.maximum(stack[0], stack[1]), np.maximum(stack[2], stack[3]))
    return (low + high) / 2


def template_correlation_twin(y: np.ndarray, peaks: np.ndarray, half: int,
                              out: np.ndarray) -> None:
    """Write each beat's template correlation to `out` (at least 2 `peaks`, sorted).

    A beat's waveform is ``y[p - half : p + half + 1]`` minus its mean, `y` extended
    by its end values; its template is the median of the waveforms of the beats two
    and one before and after it (beats at the ends borrow the nearest ones), minus
    its mean; the correlation is 0 where either has no energy.
    """
    padded = np.concatenate([np.full(half, y[0]), y, np.full(half, y[-1])])
    views = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    last = peaks.size - 1
    for lo in range(0, peaks.size, _BEATS_PER_BLOCK):
        k = np.arange(lo, min(lo + _BEATS_PER_BLOCK, peaks.size))
        first = max(0, lo - 2)  # the block's waveforms and their neighbours', once each
        waves = views[peaks[first:min(k[-1] + 3, peaks.size)]]
        waves = waves - waves.mean(axis=1, keepdims=True)
        w = waves[k - first]
        template = median_of_four(np.stack([waves[np.clip(k + d, 0, last) - first]
                                            for d in (-2, -1, 1, 2)]))
        template -= template.mean(axis=1, keepdims=True)
        num = np.sum(w * template, axis=1)
        den = np.sqrt(np.sum(w**2, axis=1) * np.sum(template**2, axis=1))
        out[k] = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def template_correlation_loop(y: np.ndarray, peaks: np.ndarray, half: int,
                              out: np.ndarray) -> None:
    """:func:`template_correlation_twin` for Numba, waveforms of at most 128 samples.

    Rows 0-4 of `rows` hold the waveforms of the beats two and one before, the beat,
    one and two after; row 5 their template; rows 6-8 the products whose sums give the
    correlation.  Every row is summed as NumPy sums a short row: eight running sums
    over the whole groups of eight, joined as ``((0+1)+(2+3))+((4+5)+(6+7))``, then the
    rest in order; a row of fewer than eight is added in order from 0.0.
    """
    n, width, last = y.size, 2 * half + 1, peaks.size - 1
    rows = np.empty((9, width))
    acc = np.empty(8)
    sums = np.empty(9)
    for k in range(peaks.size):
        for r in range(5):
            start = peaks[min(max(k + r - 2, 0), last)] - half
            for j in range(width):
                rows[r, j] = y[min(max(start + j, 0), n - 1)]
        for r in range(9):
            if r == 5:  # the median of the four neighbours, centred below
                for j in range(width):
                    a, b, c, d = rows[0, j], rows[1, j], rows[3, j], rows[4, j]
                    rows[5, j] = (max(min(a, b), min(c, d)) + min(max(a, b), max(c, d))) / 2
            elif r == 6:
                for j in range(width):
                    w, t = rows[2, j], rows[5, j]
                    rows[6, j], rows[7, j], rows[8, j] = w * t, w * w, t * t
            if width < 8:
                total = 0.0
                for j in range(width):
                    total += rows[r, j]
            else:
                for m in range(8):
                    acc[m] = rows[r, m]
                i = 8
                while i < width - width % 8:
                    for m in range(8):
                        acc[m] += rows[r, i + m]
                    i += 8
                total = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5])
                                                                    + (acc[6] + acc[7]))
                for j in range(i, width):
                    total += rows[r, j]
            sums[r] = total
            if r < 6:  # a waveform or the template, centred
                mean = total / width
                for j in range(width):
                    rows[r, j] -= mean
        den = np.sqrt(sums[7] * sums[8])
        out[k] = sums[6] / den if den > 0 else 0.0

def pairwise_plan(n: int) -> tuple[np.ndarray, np.ndarray]:
    """NumPy's pairwise sum of `n` values as blocks and a program that joins their sums.

    NumPy sums a row of more than :data:`PAIRWISE_BLOCK` values as the sum of its two
    parts, the first cut at a multiple of 8 near the middle, and a shorter one in a
    block of eight running sums.  Returns the blocks ``(start, size)`` in order and
    the joins in postfix: ``b >= 0`` takes the sum of block ``b``, ``-1`` adds the last
    two sums taken (first + second), so a loop adds in NumPy's order.
    """
    blocks: list[tuple[int, int]] = []
    program: list[int] = []

    def visit(start: int, size: int) -> None:
        if size <= PAIRWISE_BLOCK:
            program.append(len(blocks))
            blocks.append((start, size))
            return
        first = size // 2 - (size // 2) % 8
        visit(start, first)
        visit(start + first, size - first)
        program.append(-1)

    visit(0, n)
    return (np.array(blocks, dtype=np.int64).reshape(-1, 2),
            np.array(program, dtype=np.int64))


def centred_windows_twin(x: np.ndarray, a: np.ndarray, width: int, w: np.ndarray,
                         moments: np.ndarray, blocks: np.ndarray, program: np.ndarray
                         ) -> None:
    """Write each window ``x[a_k : a_k + width]`` minus its mean to ``w[k]``.

    ``moments[k]`` gets the window's second and fourth central moments, the means of
    ``w[k] ** 2`` and ``w[k] ** 4`` (the kurtosis' parts).  `blocks` and `program`,
    ``pairwise_plan(width)``, serve the loop only.
    """
    rows = np.lib.stride_tricks.sliding_window_view(x, width)[a]
    np.subtract(rows, rows.mean(axis=1, keepdims=True), out=w)
    w2 = w * w
    moments[:, 0] = np.mean(w2, axis=1)
    moments[:, 1] = np.mean(w2 * w2, axis=1)


def centred_windows_loop(x: np.ndarray, a: np.ndarray, width: int, w: np.ndarray,
                         moments: np.ndarray, blocks: np.ndarray, program: np.ndarray
                         ) -> None:
    """:func:`centred_windows_twin` for Numba, each row summed as NumPy sums it.

    Per window: the blocks of :func:`pairwise_plan` summed (eight running sums joined as
    ``((0+1)+(2+3))+((4+5)+(6+7))``, then the rest in order; a block of fewer than eight
    in order from 0.0), the program run on their sums; then the centred window, and one
    pass over it for the sums of its squares and of their squares.
    """
    sums = np.empty((3, blocks.shape[0]))
    stack = np.empty(program.size)
    total = np.empty(3)
    acc = np.empty(16)  # running sums: 0-7 of the values (or squares), 8-15 of fourths
    for k in range(a.size):
        row = x[a[k]:a[k] + width]
        for q in range(2):  # 0: the window's sum; 1: its centred squares' and fourths'
            for b in range(blocks.shape[0]):
                lo, m = blocks[b, 0], blocks[b, 1]
                whole = lo + m - m % 8 if m >= 8 else lo
                if q == 0:
                    for i in range(8 if m >= 8 else 0):
                        acc[i] = row[lo + i]
                    for j in range(lo + 8, whole, 8):
                        for i in range(8):
                            acc[i] += row[j + i]
                else:
                    for i in range(8 if m >= 8 else 0):
                        acc[i] = w[k, lo + i] * w[k, lo + i]
                        acc[8 + i] = acc[i] * acc[i]
                    for j in range(lo + 8, whole, 8):
                        for i in range(8):
                            v = w[k, j + i] * w[k, j + i]
                            acc[i] += v
                            acc[8 + i] += v * v
                for r in range(1 + q):
                    t = acc[8 * r:8 * r + 8]
                    part = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]))
                    if m < 8:
                        part = 0.0
                    for j in range(whole, lo + m):
                        v = row[j] if q == 0 else w[k, j] * w[k, j]
                        part += v if r == 0 else v * v
                    sums[q + r, b] = part
            for r in range(q, 1 + 2 * q):  # the blocks' sums joined in NumPy's order
                top = 0
                for op in program:
                    if op >= 0:
                        stack[top] = sums[r, op]
                        top += 1
                    else:
                        top -= 1
                        stack[top - 1] = stack[top - 1] + stack[top]
                total[r] = stack[0]
            if q == 0:
                mean = total[0] / width
                for j in range(width):
                    w[k, j] = row[j] - mean
        moments[k, 0] = total[1] / width
        moments[k, 1] = total[2] / width


def slope_candidates_twin(energy: np.ndarray, typical: np.ndarray, block: int,
                          cand: np.ndarray) -> int:
    """Write the second detector's candidates to `cand`; return how many.

    A candidate is a local maximum of `energy` (above the sample before, not below the
    one after) above 0.3 x the `typical` value of its `block`, in sample order.
    """
    found = np.flatnonzero((energy[1:-1] > energy[:-2]) & (energy[1:-1] >= energy[2:])) + 1
    found = found[energy[found] > 0.3 * typical[found // block]]
    cand[: found.size] = found
    return found.size


def slope_candidates_loop(energy: np.ndarray, typical: np.ndarray, block: int,
                          cand: np.ndarray) -> int:
    """:func:`slope_candidates_twin` for Numba, one pass."""
    count = 0
    for i in range(1, energy.size - 1):
        e = energy[i]
        if e > energy[i - 1] and e >= energy[i + 1] and e > 0.3 * typical[i // block]:
            cand[count] = i
            count += 1
    return count


def quiet_squares_twin(band: np.ndarray, peaks: np.ndarray, mask_half: int,
                       starts: np.ndarray, squares: np.ndarray, count: np.ndarray) -> None:
    """Write ``band ** 2`` where no peak is within `mask_half` samples, else 0, to `squares`.

    ``count[k]`` gets the number of such quiet samples in the segment from ``starts[k]``
    to the next start (`peaks` sorted).
    """
    n = band.size
    edges = np.zeros(n + 1, dtype=np.int64)
    np.add.at(edges, np.maximum(0, peaks - mask_half), 1)
    np.add.at(edges, np.minimum(n, peaks + mask_half + 1), -1)
    quiet = np.cumsum(edges[:-1]) == 0
    count[:] = np.add.reduceat(quiet.astype(np.int64), starts)
    squares[:] = np.where(quiet, band, 0.0) ** 2


def quiet_squares_loop(band: np.ndarray, peaks: np.ndarray, mask_half: int,
                       starts: np.ndarray, squares: np.ndarray, count: np.ndarray) -> None:
    """:func:`quiet_squares_twin` for Numba: one sweep with the next peak's index."""
    n, k, j = band.size, -1, 0
    count[:] = 0
    for i in range(n):
        while k + 1 < starts.size and starts[k + 1] <= i:
            k += 1
        while j < peaks.size and peaks[j] + mask_half < i:  # the peaks left behind
            j += 1
        if j < peaks.size and peaks[j] - mask_half <= i:
            squares[i] = 0.0
        else:
            squares[i] = band[i] * band[i]
            count[k] += 1


def band_powers_twin(magnitude: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                     out: np.ndarray) -> None:
    """Write each row's power in bins ``lo[b]:hi[b]`` of `magnitude` (``|rfft|``) to ``out[:, b]``.

    The power is the sum of the squared magnitudes over the band's mask: NumPy copies
    a masked block of two rows or more column by column and adds its columns in order.
    """
    power = magnitude * magnitude
    for b in range(lo.size):
        mask = np.zeros(magnitude.shape[1], dtype=bool)
        mask[lo[b]:hi[b]] = True
        out[:, b] = power[:, mask].sum(axis=1)


def band_powers_loop(magnitude: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                     out: np.ndarray) -> None:
    """:func:`band_powers_twin` for Numba, for blocks of two rows or more.

    NumPy sums a single row's band pairwise: for one row the caller takes the twin.
    """
    for r in range(magnitude.shape[0]):
        for b in range(lo.size):
            total = 0.0
            for k in range(lo[b], hi[b]):
                total += magnitude[r, k] * magnitude[r, k]
            out[r, b] = total


MOVING_MEAN = Kernel(numba_loop=moving_mean_loop, numpy_twin=moving_mean_twin)
SUPPRESS = Kernel(numba_loop=suppress_loop, numpy_twin=suppress_twin)
SEGMENT_COUNTS = Kernel(numba_loop=segment_counts_loop, numpy_twin=segment_counts_twin)
SQUARED_SLOPE = Kernel(numba_loop=squared_slope_loop, numpy_twin=squared_slope_twin)
CENTRED_WINDOWS = Kernel(numba_loop=centred_windows_loop, numpy_twin=centred_windows_twin)
BAND_POWERS = Kernel(numba_loop=band_powers_loop, numpy_twin=band_powers_twin)
SLOPE_CANDIDATES = Kernel(numba_loop=slope_candidates_loop, numpy_twin=slope_candidates_twin)
QUIET_SQUARES = Kernel(numba_loop=quiet_squares_loop, numpy_twin=quiet_squares_twin)
TEMPLATE_CORRELATION = Kernel(numba_loop=template_correlation_loop,
                              numpy_twin=template_correlation_twin)
