"""Sequential kernels of the R-peak detector: one Python source, two backends.

The functions here are plain Python on NumPy arrays.  The ``"numpy"`` backend calls
them as they are; the ``"numba"`` backend wraps the *same* functions in
``numba.njit(cache=True)`` on first use (never at import), so both backends follow
the same arithmetic in the same order and return identical results.  The work here is
per candidate peak (a few per heartbeat), so the pure Python twin stays usable;
everything per sample is vectorised NumPy in :mod:`heartbeat.detect`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# The rule's constants travel as one array so that tuning never recompiles the kernel.
PARAM_NAMES: tuple[str, ...] = (
    "refractory_s",  # no second QRS within this time of a QRS
    "t_wave_s",  # a candidate this close after a QRS may be its T wave...
    "t_wave_slope",  # ... and is one when its slope is below this fraction of the QRS's
    "threshold",  # detection threshold between noise level (0) and QRS level (1)
    "search_back_rr",  # search back after this many mean RR intervals without a QRS
    "search_back_threshold",  # fraction of the threshold a missed QRS must reach
    "rr_max_s",  # RR intervals longer than this are remembered as this long
    "init_s",  # the QRS level starts from per-second maxima over this first stretch
    "p_wave_s",  # a QRS candidate followed this closely by a larger, steeper one...
    "p_wave_slope",  # ... steeper by this factor, is a P (or T) wave: the later one wins
    "p_wave_height",  # ... as it is when the later one is this many times higher
    "floor",  # a QRS must exceed this many times the local envelope median...
    "search_back_floor",  # ... or this many times when found by search-back,
    "search_back_chain",  # which may find at most this many QRS in a row
    "t_wave_height",  # a T wave is also lower than this fraction of its QRS
    "floor_low",  # within floor_low_s of 2 QRS that beat `floor`, this factor suffices
    "floor_low_s",
    "p_wave_rr",  # when > 0, a larger candidate nearer to the expected RR also wins
)
N_LEVELS = 8  # QRS level, noise level and mean RR use the last 8 values


def decide_beats(
    pos: np.ndarray,
    height: np.ndarray,
    slope: np.ndarray,
    floor: np.ndarray,
    fs: float,
    params: np.ndarray,
    out: np.ndarray,
) -> int:
    """Classify candidate peaks of the QRS energy envelope as QRS or noise.

    Parameters
    ----------
    pos : ndarray of int64, shape (n,)
        Sorted sample indices of the candidates (local maxima of the envelope).
    height : ndarray of float64, shape (n,)
        Envelope value at each candidate.
    slope : ndarray of float64, shape (n,)
        Largest absolute slope of the band-passed signal around each candidate.
    floor : ndarray of float64, shape (n,)
        Local median of the envelope around each candidate; a QRS must exceed it by a
        factor (which keeps noise-only stretches silent).
    fs : float
        Sampling frequency in Hz.
    params : ndarray of float64, shape (18,)
        The rule's constants, in the order of :data:`PARAM_NAMES`.
    out : ndarray of int64, shape (n,)
        Receives the positions of the accepted candidates.

    Returns
    -------
    int
        Number of accepted candidates written to the start of `out`.
    """
    n = pos.shape[0]
    if n == 0:
        return 0
    refractory = int(params[0] * fs + 0.5)
    t_wave = int(params[1] * fs + 0.5)
    t_wave_slope = params[2]
    threshold = params[3]
    search_back_rr = params[4]
    search_back_threshold = params[5]
    rr_max = params[6] * fs
    init_len = int(params[7] * fs)
    p_wave = int(params[8] * fs + 0.5)
    p_wave_slope = params[9]
    p_wave_height = params[10]
    floor_factor = params[11]
    sb_floor_factor = params[12]
    sb_chain = params[13]
    t_wave_height = params[14]
    floor_low = params[15]
    floor_low_len = params[16] * fs
    p_wave_rr = params[17]

    # --- initial QRS level: maxima of each of the first 8 seconds
    qrs_buf = np.zeros(N_LEVELS)
    noise_buf = np.zeros(N_LEVELS)
    rr_buf = np.full(N_LEVELS, fs)
    sec = int(fs + 0.5)
    if sec < 1:
        sec = 1
    n_sec = 0
    j = 0
    for b in range(N_LEVELS):
        start = pos[0] + b * sec
        if b * sec >= init_len:
            break
        best = 0.0
        while j < n and pos[j] < start + sec:
            if pos[j] >= start and height[j] > best:
                best = height[j]
            j += 1
        if best > 0.0:
            qrs_buf[n_sec] = best
            n_sec += 1
    if n_sec == 0:
        return 0
    # fill the remaining slots with the median of the observed maxima
    srt = np.sort(qrs_buf[:n_sec])
    med = srt[(n_sec - 1) // 2]
    for b in range(n_sec, N_LEVELS):
        qrs_buf[b] = med
    qrs_i = 0
    noise_i = 0
    rr_i = 0

    srt = np.sort(qrs_buf)
    qrs_level = 0.5 * (srt[N_LEVELS // 2 - 1] + srt[N_LEVELS // 2])
    srt = np.sort(noise_buf)
    noise_level = 0.5 * (srt[N_LEVELS // 2 - 1] + srt[N_LEVELS // 2])
    rr_mean = 0.0
    for b in range(N_LEVELS):
        rr_mean += rr_buf[b]
    rr_mean /= N_LEVELS
    thr = noise_level + threshold * (qrs_level - noise_level)

    count = 0
    last = -1  # position of the last QRS (-1: none yet)
    last_slope = 0.0
    last_height = 0.0
    last_sure = -1  # positions of the last two QRS above the full floor
    prev_sure = -1
    sb = -1  # best search-back candidate since the last QRS
    chain = 0  # QRS found by search-back since the last one found directly
    j = 0
    while j < n:
        p = pos[j]
        # --- search back for a missed QRS after a long gap
        if (
            sb >= 0
            and p - last > search_back_rr * rr_mean
            and chain < sb_chain
            and prev_sure >= 0
            and last_sure - prev_sure < floor_low_len  # a rhythm of sure beats came before
        ):
            if height[sb] > search_back_threshold * thr:
                k = sb
                rr = pos[k] - last
                rr_buf[rr_i] = rr if rr < rr_max else rr_max
                rr_i = (rr_i + 1) % N_LEVELS
                qrs_buf[qrs_i] = height[k]
                qrs_i = (qrs_i + 1) % N_LEVELS
                out[count] = pos[k]
                count += 1
                last = pos[k]
                last_slope = slope[k]
                last_height = height[k]
                sb = -1
                chain += 1
                srt = np.sort(qrs_buf)
                qrs_level = 0.5 * (srt[N_LEVELS // 2 - 1] + srt[N_LEVELS // 2])
                rr_mean = 0.0
                for b in range(N_LEVELS):
                    rr_mean += rr_buf[b]
                rr_mean /= N_LEVELS
                thr = noise_level + threshold * (qrs_level - noise_level)
                j = k + 1
                continue
        h = height[j]
        if last >= 0 and p - last < refractory:
            j += 1
            continue
        confident = h > floor_factor * floor[j]
        is_qrs = h > thr and (
            confident
            or (prev_sure >= 0 and p - prev_sure < floor_low_len and h > floor_low * floor[j])
        )
        t_like = (
            last >= 0
            and p - last < t_wave
            and slope[j] < t_wave_slope * last_slope
            and h < t_wave_height * last_height
        )
        if is_qrs and not t_like:
            # hold the decision while a larger peak follows within the refractory time
            k = j
            m = j + 1
            while m < n and pos[m] - p < p_wave:
                if height[m] > height[k] and (
                    pos[m] - p < refractory
                    or slope[m] > p_wave_slope * slope[k]
                    or height[m] > p_wave_height * height[k]
                    or (
                        p_wave_rr > 0.0
                        and last >= 0
                        and abs(pos[m] - last - rr_mean) < abs(pos[k] - last - rr_mean)
                    )
                ):
                    k = m
                m += 1
            if last >= 0:
                rr = pos[k] - last
                rr_buf[rr_i] = rr if rr < rr_max else rr_max
                rr_i = (rr_i + 1) % N_LEVELS
            qrs_buf[qrs_i] = height[k]
            qrs_i = (qrs_i + 1) % N_LEVELS
            out[count] = pos[k]
            count += 1
            last = pos[k]
            last_slope = slope[k]
            last_height = height[k]
            if height[k] > floor_factor * floor[k]:
                prev_sure = last_sure
                last_sure = pos[k]
            sb = -1
            chain = 0
            srt = np.sort(qrs_buf)
            qrs_level = 0.5 * (srt[N_LEVELS // 2 - 1] + srt[N_LEVELS // 2])
            rr_mean = 0.0
            for b in range(N_LEVELS):
                rr_mean += rr_buf[b]
            rr_mean /= N_LEVELS
            thr = noise_level + threshold * (qrs_level - noise_level)
            j = k + 1
            continue
        noise_buf[noise_i] = h
        noise_i = (noise_i + 1) % N_LEVELS
        srt = np.sort(noise_buf)
        noise_level = 0.5 * (srt[N_LEVELS // 2 - 1] + srt[N_LEVELS // 2])
        thr = noise_level + threshold * (qrs_level - noise_level)
        if not t_like and h > sb_floor_factor * floor[j] and (sb < 0 or h > height[sb]):
            sb = j
        j += 1
    return count


_KERNELS: dict[str, Callable[..., int]] = {}


def get_decide_beats(backend: str) -> Callable[..., int]:
    """Return the decision kernel for `backend` (``"numba"`` compiles it on first use)."""
    if backend == "numpy":
        return decide_beats
    kernel = _KERNELS.get(backend)
    if kernel is None:
        import numba  # lazily: compiled on first call, never at import

        kernel = numba.njit(cache=True)(decide_beats)
        _KERNELS[backend] = kernel
    return kernel


def moving_mean_loop(x: np.ndarray, n: int) -> np.ndarray:
    """Loop twin of ``detect._moving_mean``: the same sums in the same order.

    The centred moving mean over `n` (odd) samples of `x`, padded at both ends with
    the edge values, as ``(c[i + n] - c[i]) / n`` of the sequential cumulative sum
    ``c`` of the padded signal (a ring buffer keeps only the last ``n + 1`` sums).
    """
    m = x.shape[0]
    out = np.empty(m)
    if n <= 1 or m == 0:
        for i in range(m):
            out[i] = x[i]
        return out
    h = n // 2
    size = n + 1
    ring = np.empty(size)
    acc = 0.0
    ring[0] = acc
    w = 1  # ring slot of the next cumulative sum
    r = 0  # ring slot of c[j - n]
    total = m + 2 * h
    for t in range(total):
        if t < h:
            v = x[0]
        elif t < h + m:
            v = x[t - h]
        else:
            v = x[m - 1]
        acc += v
        ring[w] = acc
        w += 1
        if w == size:
            w = 0
        if t + 1 >= n:
            out[t + 1 - n] = (acc - ring[r]) / n
            r += 1
            if r == size:
                r = 0
    return out


_MOVING_MEANS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {}


def get_moving_mean_loop() -> Callable[[np.ndarray, int], np.ndarray]:
    """Return :func:`moving_mean_loop` compiled by Numba (on first use)."""
    func = _MOVING_MEANS.get("numba")
    if func is None:
        import numba  # lazily: compiled on first call, never at import

        func = numba.njit(cache=True)(moving_mean_loop)
        _MOVING_MEANS["numba"] = func
    return func
