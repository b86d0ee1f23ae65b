"""The R-peak detector's decision rule: one source for both backends.

:data:`DECIDE_BEATS` is :func:`decide_beats` for both backends, plain Python on NumPy
arrays: the ``"numpy"`` backend calls it as it is, the ``"numba"`` backend compiles it,
with the helpers of this module it lists, on first use (never at import; :mod:`heartbeat._jit`).
Its work is per candidate peak (a few per heartbeat), so the Python twin stays usable.
Its constants are named in :data:`heartbeat._detect_kernels.PARAM_NAMES`.
"""

from __future__ import annotations

import numpy as np

from heartbeat._jit import Kernel

# I_<NAME>: the index of `name` in _detect_kernels.PARAM_NAMES (`params`, `rule` order)
I_REFRACTORY_S = 0
I_T_WAVE_S = 1
I_T_WAVE_SLOPE = 2
I_THRESHOLD = 3
I_SEARCH_BACK_RR = 4
I_SEARCH_BACK_THRESHOLD = 5
I_RR_MAX_S = 6
I_INIT_S = 7
I_P_WAVE_S = 8
I_P_WAVE_SLOPE = 9
I_P_WAVE_HEIGHT = 10
I_FLOOR = 11
I_FLOOR_LOW = 12
I_FLOOR_LOW_S = 13
I_SEARCH_BACK_FLOOR = 14
I_SEARCH_BACK_CHAIN = 15
I_SLOPE_S = 16
I_RESET_S = 17
I_FLOOR_ADAPT = 18
I_FLOOR_MIN = 19
I_QRS_QUANTILE = 20
I_FLOOR_LOW_KEEP_S = 21
I_INIT_QUANTILE = 22
I_INIT_FLOOR_S = 23
I_INIT_RHYTHM_TOL = 24
I_T_WAVE_RR = 25
I_FLOOR_LOW_ON_TIME = 26
RHYTHM_HEIGHT = 0.5  # the start's rhythm (init_floor_s): see _starts_with_rhythm
RHYTHM_SHARE = 0.9
RHYTHM_MIN_RR = 5
N_LEVELS = 8  # QRS level, noise level and mean RR use the last 8 values
# Batcher's network for 8 values: 19 compare-exchanges, no data-dependent branch
SORT_8: tuple[int, ...] = (  # pairs (a, b), flat
    0, 2, 1, 3, 4, 6, 5, 7, 0, 4, 1, 5, 2, 6, 3, 7, 0, 1, 2, 3,
    4, 5, 6, 7, 2, 4, 3, 5, 1, 4, 3, 6, 1, 2, 3, 4, 5, 6,
)
# rows of `buffers`: the last QRS heights, noise heights, QRS over floor, RR; one sorted
QRS = 0
NOISE = 1
RATIO = 2
RR = 3
SORTED = 4
N_ROWS = 5


def decide_beats(
    pos: np.ndarray,
    height: np.ndarray,
    floor: np.ndarray,
    slope_sq: np.ndarray,
    fs: float,
    params: np.ndarray,
    out: np.ndarray,
) -> int:
    """Classify candidate peaks of the QRS envelope as QRS or noise.

    Parameters
    ----------
    pos : ndarray of int64, shape (n,)
        Sorted sample indices of the candidates (local maxima of the envelope).
    height : ndarray of float64, shape (n,)
        Envelope value at each candidate.
    floor : ndarray of float64, shape (n,)
        Local floor of the envelope around each candidate; a QRS must exceed it by a
        factor (which keeps noise-only stretches silent).
    slope_sq : ndarray of float64, shape (n_samples,)
        Squared slope of the band-passed signal, sample by sample.
    fs : float
        Sampling frequency in Hz.
    params : ndarray of float64, shape (26,)
        The rule's constants, in the order of :data:`PARAM_NAMES`.
    out : ndarray of int64, shape (n,)
        Receives the positions of the accepted candidates.

    Returns
    -------
    int
        Number of accepted candidates written to the start of `out`.

    Notes
    -----
    One pass over the candidates: this function holds the state its steps share and
    leaves each step to a helper that :data:`DECIDE_BEATS` lists (compiled into the
    kernel by the ``"numba"`` backend).  Top to bottom it follows Notes 3-7 of
    :func:`heartbeat.detect.detect_r_peaks`: the start, the levels, the search-back,
    the QRS, T- and P-wave tests, the restart after a long gap, the accepted QRS.  The
    helpers get the constants as a tuple (:func:`_rule_in_samples`) and the level
    buffers as one array: Numba counts the references of each array passed, per call.
    """
    n = pos.shape[0]
    if n == 0:
        return 0
    rule = _rule_in_samples(params, fs)
    # each candidate's slope is found when first needed (_slope_at): most never are
    slope = np.full(n, -1.0)
    buffers = np.zeros((N_ROWS, N_LEVELS))  # the last heights, ratios and RR: the levels
    buffers[RATIO] = 1e300
    buffers[RR] = fs
    n_sec = _initial_levels(pos, height, floor, fs, rule, buffers)
    if n_sec == 0:
        return 0
    init = _sort_row(buffers, QRS)[:n_sec].copy()  # not np.sort: a second less to compile
    rhythm = _starts_with_rhythm(pos, height, fs, rule, init[(n_sec - 1) // 2])
    if not rhythm:  # the floor ratios start empty: the factor adapts to accepted QRS only
        buffers[RATIO] = 1e300
    _spread_initial_levels(buffers, init, n_sec, rule[I_INIT_QUANTILE])
    qrs_i = noise_i = rr_i = 0
    qrs_level = noise_level = rr_mean = thr = 0.0
    scale = 1.0  # the floor factors' share in force (1: as given; less: adapted)
    # level rows changed since their medians were taken (a noise candidate: the noise row)
    dirty_qrs = dirty_noise = True
    # the floor ratios started from the first seconds, if any, are held until here
    init_floor_end = pos[0] + rule[I_INIT_FLOOR_S] if rhythm else -1.0
    count = 0
    last = -1  # position of the last QRS (-1: none yet)
    last_slope = 0.0
    last_sure = prev_sure = -1  # positions of the last two QRS above the full floor
    sb = -1  # best search-back candidate since the last QRS
    gap_start = pos[0]  # position of the last QRS or level restart
    chain = 0  # QRS found by search-back since the last one found directly
    j = 0
    while j < n:
        if dirty_qrs or dirty_noise:
            qrs_level, noise_level, rr_mean, scale = _current_levels(
                buffers, dirty_qrs, dirty_noise, rule, qrs_level, noise_level, rr_mean, scale)
            thr = noise_level + rule[I_THRESHOLD] * (qrs_level - noise_level)
            dirty_qrs = dirty_noise = False
        p = pos[j]
        h = height[j]
        if 0.0 <= init_floor_end < p:  # slots no QRS has yet replaced start empty again
            buffers[RATIO, count:] = 1e300
            init_floor_end = -1.0
            dirty_qrs = True
            continue
        k = -1  # the candidate accepted in this step, if any
        searched = sb >= 0 and _search_back_due(p, height[sb], last, rr_mean, chain,
                                                prev_sure, last_sure, thr, rule)
        if searched:
            k = sb  # search back: the largest skipped candidate since the last QRS
        elif last < 0 or p - last >= rule[I_REFRACTORY_S]:
            is_qrs = _is_qrs(h, floor[j], p, thr, scale, prev_sure, last_sure, last,
                             buffers[RR, (rr_i + N_LEVELS - 1) % N_LEVELS], rr_mean, rule)
            t_wave = max(rule[I_T_WAVE_S], rule[I_T_WAVE_RR] * rr_mean)
            t_like = (last >= 0 and p - last < t_wave  # a T wave: not as steep
                      and _slope_at(slope, slope_sq, p, j, rule)
                      < rule[I_T_WAVE_SLOPE] * last_slope)
            if is_qrs and not t_like:
                k = _p_wave_winner(pos, height, slope, slope_sq, j, last, rr_mean, rule)
            else:
                buffers[NOISE, noise_i] = h
                noise_i = (noise_i + 1) % N_LEVELS
                dirty_noise = True
                if (not t_like and h > scale * rule[I_SEARCH_BACK_FLOOR] * floor[j]
                        and (sb < 0 or h > height[sb])):
                    sb = j
                if p - gap_start > rule[I_RESET_S]:
                    if _restart_levels(pos, height, floor, j, rule, buffers):
                        dirty_qrs = True
                    if init_floor_end >= 0.0:  # the start's floor ratios: forgotten
                        init_floor_end = pos[0]
                    gap_start = p
        if k < 0:
            j += 1
            continue
        count, last, last_slope, rr_i, qrs_i, chain, prev_sure, last_sure = _accept_qrs(
            pos, height, floor, slope, slope_sq, k, searched, scale, rule, buffers, out,
            count, last, rr_i, qrs_i, chain, prev_sure, last_sure)
        dirty_qrs = True
        sb = -1
        gap_start = last
        j = k + 1
    return count


def _rule_in_samples(params: np.ndarray, fs: float) -> tuple[float, ...]:
    """Return `params` as a tuple of floats (by value to the helpers), times in samples.

    The refractory, T-wave, P-wave and slope times rounded, ``init_s`` cut down.
    """
    return (  # in PARAM_NAMES order
        float(int(params[I_REFRACTORY_S] * fs + 0.5)), float(int(params[I_T_WAVE_S] * fs + 0.5)),
        params[I_T_WAVE_SLOPE], params[I_THRESHOLD],
        params[I_SEARCH_BACK_RR], params[I_SEARCH_BACK_THRESHOLD],
        params[I_RR_MAX_S] * fs, float(int(params[I_INIT_S] * fs)),
        float(int(params[I_P_WAVE_S] * fs + 0.5)), params[I_P_WAVE_SLOPE], params[I_P_WAVE_HEIGHT],
        params[I_FLOOR], params[I_FLOOR_LOW], params[I_FLOOR_LOW_S] * fs,
        params[I_SEARCH_BACK_FLOOR], params[I_SEARCH_BACK_CHAIN],
        float(int(params[I_SLOPE_S] * fs + 0.5)), params[I_RESET_S] * fs,
        params[I_FLOOR_ADAPT], params[I_FLOOR_MIN], params[I_QRS_QUANTILE],
        params[I_FLOOR_LOW_KEEP_S] * fs, params[I_INIT_QUANTILE],
        params[I_INIT_FLOOR_S] * fs, params[I_INIT_RHYTHM_TOL], params[I_T_WAVE_RR],
        params[I_FLOOR_LOW_ON_TIME],
    )


def _initial_levels(pos: np.ndarray, height: np.ndarray, floor: np.ndarray, fs: float,
                    rule: tuple[float, ...], buffers: np.ndarray) -> int:
    """Write the largest candidate of each of the first seconds into the QRS row.

    Each second of the first ``init_s`` (at most :data:`N_LEVELS` of them) that holds
    a candidate gives its largest height to the next slot of ``buffers[QRS]`` and that
    height over its floor to the same slot of ``buffers[RATIO]``; the other QRS slots
    hold 1e300 (sorted last, then rewritten).  Returns the number of slots written.
    """
    n = pos.shape[0]
    sec = max(int(fs + 0.5), 1)
    n_sec = 0
    j = 0
    for b in range(N_LEVELS):
        if b * sec >= rule[I_INIT_S]:
            break
        start = pos[0] + b * sec
        best = 0.0
        best_ratio = 0.0
        while j < n and pos[j] < start + sec:
            if height[j] > best:
                best = height[j]
                best_ratio = height[j] / max(floor[j], 1e-300)
            j += 1
        if best > 0.0:
            buffers[QRS, n_sec] = best
            buffers[RATIO, n_sec] = best_ratio
            n_sec += 1
    buffers[QRS, n_sec:] = 1e300
    return n_sec


def _starts_with_rhythm(pos: np.ndarray, height: np.ndarray, fs: float,
                        rule: tuple[float, ...], median_max: float) -> bool:
    """Return True when the first ``init_s`` beat as a rhythm (the start's floor ratios).

    The peaks reaching :data:`RHYTHM_HEIGHT` of `median_max` (the median per-second
    maximum), each the highest candidate within the refractory time, must come at
    intervals of which :data:`RHYTHM_SHARE`, and :data:`RHYTHM_MIN_RR` or more, lie
    within ``init_rhythm_tol`` of their median, itself 0.25-2 s.  Noise peaks come at
    random intervals; an irregular rhythm, or T or P waves that reach the height, fail
    too.  Always False when ``init_floor_s`` is 0.
    """
    if rule[I_INIT_FLOOR_S] <= 0.0:
        return False
    n = pos.shape[0]
    refractory = rule[I_REFRACTORY_S]
    min_height = RHYTHM_HEIGHT * median_max
    rr_start = np.empty(n)
    n_rr = 0
    prev = -1
    j = 0
    while j < n and pos[j] < pos[0] + rule[I_INIT_S]:
        top = height[j] >= min_height  # and the highest within the refractory time
        i = j - 1
        while top and i >= 0 and pos[j] - pos[i] < refractory:
            top = height[i] < height[j]  # ties: the earlier stays
            i -= 1
        i = j + 1
        while top and i < n and pos[i] - pos[j] < refractory:
            top = height[i] <= height[j]
            i += 1
        if top:
            if prev >= 0:
                rr_start[n_rr] = pos[j] - prev
                n_rr += 1
            prev = pos[j]
        j += 1
    if n_rr < RHYTHM_MIN_RR:
        return False
    intervals = rr_start[:n_rr]  # an insertion sort in place: compiles faster than np.sort
    for i in range(1, n_rr):
        k = i
        while k > 0 and intervals[k - 1] > intervals[k]:
            intervals[k - 1], intervals[k] = intervals[k], intervals[k - 1]
            k -= 1
    rr_median = intervals[(n_rr - 1) // 2]
    near = 0
    for i in range(n_rr):
        if abs(intervals[i] - rr_median) <= rule[I_INIT_RHYTHM_TOL] * rr_median:
            near += 1
    return 0.25 * fs <= rr_median <= 2.0 * fs and near >= RHYTHM_SHARE * n_rr


def _spread_initial_levels(buffers: np.ndarray, init: np.ndarray, n_sec: int,
                           init_quantile: float) -> None:
    """Fill the QRS row from the sorted per-second maxima `init` (`n_sec` of them).

    Every slot takes their `init_quantile` (nearest rank) when it is >= 0; else the
    slots no second filled take their median.
    """
    if init_quantile >= 0.0:
        for b in range(N_LEVELS):
            buffers[QRS, b] = init[int(init_quantile * (n_sec - 1) + 0.5)]
    else:
        for b in range(n_sec, N_LEVELS):
            buffers[QRS, b] = init[(n_sec - 1) // 2]


def _sort_row(buffers: np.ndarray, row: int) -> np.ndarray:
    """Copy ``buffers[row]`` into ``buffers[SORTED]``, sorted by :data:`SORT_8`; return it.

    Its compare-exchanges are written out on local values in :data:`SORT_8`'s order (a
    test reads them back), each a ``min`` and a ``max`` (no NaN here): no branch in
    Numba's IR, so the rule compiles in half the time of conditional swaps.
    """
    v0, v1, v2, v3, v4, v5, v6, v7 = buffers[row]
    v0, v2 = min(v0, v2), max(v0, v2)
    v1, v3 = min(v1, v3), max(v1, v3)
    v4, v6 = min(v4, v6), max(v4, v6)
    v5, v7 = min(v5, v7), max(v5, v7)
    v0, v4 = min(v0, v4), max(v0, v4)
    v1, v5 = min(v1, v5), max(v1, v5)
    v2, v6 = min(v2, v6), max(v2, v6)
    v3, v7 = min(v3, v7), max(v3, v7)
    v0, v1 = min(v0, v1), max(v0, v1)
    v2, v3 = min(v2, v3), max(v2, v3)
    v4, v5 = min(v4, v5), max(v4, v5)
    v6, v7 = min(v6, v7), max(v6, v7)
    v2, v4 = min(v2, v4), max(v2, v4)
    v3, v5 = min(v3, v5), max(v3, v5)
    v1, v4 = min(v1, v4), max(v1, v4)
    v3, v6 = min(v3, v6), max(v3, v6)
    v1, v2 = min(v1, v2), max(v1, v2)
    v3, v4 = min(v3, v4), max(v3, v4)
    v5, v6 = min(v5, v6), max(v5, v6)
    out = buffers[SORTED]
    out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = v0, v1, v2, v3, v4, v5, v6, v7
    return out


def _current_levels(buffers: np.ndarray, dirty_qrs: bool, dirty_noise: bool,
                    rule: tuple[float, ...], qrs_level: float, noise_level: float,
                    rr_mean: float, scale: float) -> tuple[float, float, float, float]:
    """Return the QRS level, noise level, mean RR and floor scale from the buffers.

    Only what changed is taken again: the noise level (median of the noise row) when
    `dirty_noise`; the QRS level (the ``qrs_quantile`` of the QRS row), the mean of
    the RR row and the floor factors' share (``floor_adapt`` times the median of the
    floor ratios, between ``floor_min`` and the factor as given) when `dirty_qrs`.
    """
    half = N_LEVELS // 2
    if dirty_qrs:
        qrs_rank = rule[I_QRS_QUANTILE] * (N_LEVELS - 1)  # where it sits in the sorted 8
        qrs_lo = min(int(qrs_rank), N_LEVELS - 2)
        qrs_frac = qrs_rank - qrs_lo
        _sort_row(buffers, QRS)  # at 0.5: 0.5 s[3] + 0.5 s[4], the median's bits
        qrs_level = ((1.0 - qrs_frac) * buffers[SORTED, qrs_lo]
                     + qrs_frac * buffers[SORTED, qrs_lo + 1])
    if dirty_noise:
        _sort_row(buffers, NOISE)
        noise_level = 0.5 * (buffers[SORTED, half - 1] + buffers[SORTED, half])
    if dirty_qrs:
        rr_mean = 0.0
        for b in range(N_LEVELS):
            rr_mean += buffers[RR, b]
        rr_mean /= N_LEVELS
        _sort_row(buffers, RATIO)
        ratio = 0.5 * (buffers[SORTED, half - 1] + buffers[SORTED, half])
        scale = min(1.0, max(rule[I_FLOOR_MIN] / rule[I_FLOOR],
                             rule[I_FLOOR_ADAPT] * ratio / rule[I_FLOOR]))
    return qrs_level, noise_level, rr_mean, scale


def _slope_at(slope: np.ndarray, slope_sq: np.ndarray, p: int, i: int,
              rule: tuple[float, ...]) -> float:
    """Return the slope of candidate `i` (at `p`): the largest |slope| within +-``slope_s``.

    Found on first use and kept in `slope` (-1: not yet found).
    """
    if slope[i] < 0.0:
        half = int(rule[I_SLOPE_S])
        slope[i] = np.sqrt(slope_sq[max(p - half, 0) : min(p + half + 1,
                                                             slope_sq.shape[0])].max())
    return slope[i]


def _search_back_due(p: int, sb_height: float, last: int, rr_mean: float, chain: int,
                     prev_sure: int, last_sure: int, thr: float,
                     rule: tuple[float, ...]) -> bool:
    """Return True when the search-back candidate (of height `sb_height`) is a QRS.

    When ``search_back_rr`` mean RR intervals passed since the last QRS without
    another, after a rhythm of sure beats, fewer than ``search_back_chain`` QRS in a
    row came by search-back, and it reaches ``search_back_threshold`` of `thr`.
    """
    return (
        p - last > rule[I_SEARCH_BACK_RR] * rr_mean
        and chain < rule[I_SEARCH_BACK_CHAIN]
        and prev_sure >= 0
        and last_sure - prev_sure < rule[I_FLOOR_LOW_S]  # a rhythm of sure beats came before
        and sb_height > rule[I_SEARCH_BACK_THRESHOLD] * thr
    )


def _is_qrs(h: float, floor: float, p: int, thr: float, scale: float, prev_sure: int,
            last_sure: int, last: int, last_rr: float, rr_mean: float,
            rule: tuple[float, ...]) -> bool:
    """Return True when a candidate of height `h` at `p` passes the threshold and floor.

    It must exceed `thr` and ``floor`` times its local `floor` (both floor factors
    times `scale`), or ``floor_low`` times it within ``floor_low_s`` of two sure QRS
    (or ``floor_low_keep_s`` after the later of two that came that close), or when it
    and the `last` QRS came on time: both intervals (`last_rr`: the last QRS's own)
    within ``floor_low_on_time`` times the mean RR `rr_mean` of it (0: never).
    """
    if not h > thr:
        return False
    if h > scale * rule[I_FLOOR] * floor:
        return True
    if not h > scale * rule[I_FLOOR_LOW] * floor:
        return False  # the low floor's conditions are looked at only when they matter
    floor_low_len, tol = rule[I_FLOOR_LOW_S], rule[I_FLOOR_LOW_ON_TIME] * rr_mean
    return (prev_sure >= 0 and (
        p - prev_sure < floor_low_len
        or (last_sure - prev_sure < floor_low_len and p - last_sure < rule[I_FLOOR_LOW_KEEP_S])
    )) or (tol > 0.0 and last >= 0 and abs(p - last - rr_mean) <= tol
           and abs(last_rr - rr_mean) <= tol)


def _p_wave_winner(pos: np.ndarray, height: np.ndarray, slope: np.ndarray,
                   slope_sq: np.ndarray, j: int, last: int, rr_mean: float,
                   rule: tuple[float, ...]) -> int:
    """Return the candidate to accept for the QRS candidate `j`: it, or a larger one.

    A larger candidate within ``p_wave_s`` after it wins when it comes within the
    refractory time, or is steeper by ``p_wave_slope``, higher by ``p_wave_height``,
    or nearer the expected RR interval (the first was a P wave).
    """
    n = pos.shape[0]
    refractory = rule[I_REFRACTORY_S]
    p = pos[j]
    k = j
    m = j + 1
    while m < n and pos[m] - p < rule[I_P_WAVE_S]:
        if height[m] > height[k] and pos[m] - p >= refractory:
            _slope_at(slope, slope_sq, pos[m], m, rule)
            _slope_at(slope, slope_sq, pos[k], k, rule)
        if height[m] > height[k] and (
            pos[m] - p < refractory
            or slope[m] > rule[I_P_WAVE_SLOPE] * slope[k]
            or height[m] > rule[I_P_WAVE_HEIGHT] * height[k]
            or (last >= 0 and abs(pos[m] - last - rr_mean) < abs(pos[k] - last - rr_mean))
        ):
            k = m
        m += 1
    return k


def _restart_levels(pos: np.ndarray, height: np.ndarray, floor: np.ndarray, j: int,
                    rule: tuple[float, ...], buffers: np.ndarray) -> bool:
    """Restart the levels after ``reset_s`` without a QRS; return True if they were.

    The QRS row restarts from the largest candidate above ``floor`` times its floor in
    the last quarter of that time (not from an old artefact), the noise row from zero;
    with no such candidate nothing changes.
    """
    p = pos[j]
    best = 0.0
    b = j
    while b >= 0 and pos[b] > p - 0.25 * rule[I_RESET_S]:
        if height[b] > rule[I_FLOOR] * floor[b] and height[b] > best:
            best = height[b]
        b -= 1
    if best <= 0.0:
        return False
    for b in range(N_LEVELS):
        buffers[QRS, b] = best
        buffers[NOISE, b] = 0.0
    return True


def _accept_qrs(pos: np.ndarray, height: np.ndarray, floor: np.ndarray, slope: np.ndarray,
                slope_sq: np.ndarray, k: int, searched: bool, scale: float,
                rule: tuple[float, ...], buffers: np.ndarray, out: np.ndarray, count: int,
                last: int, rr_i: int, qrs_i: int, chain: int, prev_sure: int,
                last_sure: int) -> tuple[int, int, float, int, int, int, int, int]:
    """Accept candidate `k` as a QRS: write it to `out` and into the buffers.

    Its RR interval (at most ``rr_max_s``) goes to the RR row, its height and its
    height over its floor to the QRS and ratio rows.  Returns the new ``count, last,
    last_slope, rr_i, qrs_i, chain, prev_sure, last_sure``: `chain` counts the QRS
    found by search-back in a row; one found directly above the full floor is sure.
    """
    if last >= 0:
        rr = pos[k] - last
        buffers[RR, rr_i] = rr if rr < rule[I_RR_MAX_S] else rule[I_RR_MAX_S]
        rr_i = (rr_i + 1) % N_LEVELS
    buffers[QRS, qrs_i] = height[k]
    buffers[RATIO, qrs_i] = height[k] / max(floor[k], 1e-300)
    qrs_i = (qrs_i + 1) % N_LEVELS
    out[count] = pos[k]
    count += 1
    last = pos[k]
    last_slope = _slope_at(slope, slope_sq, last, k, rule)
    if searched:
        chain += 1
    else:
        chain = 0
        if height[k] > scale * rule[I_FLOOR] * floor[k]:
            prev_sure = last_sure
            last_sure = pos[k]
    return count, last, last_slope, rr_i, qrs_i, chain, prev_sure, last_sure


DECIDE_BEATS = Kernel(numba_loop=decide_beats, numpy_twin=decide_beats, helpers=(
    _rule_in_samples, _initial_levels, _starts_with_rhythm, _spread_initial_levels,
    _sort_row, _current_levels, _slope_at, _search_back_due, _is_qrs, _p_wave_winner,
    _restart_levels, _accept_qrs))
