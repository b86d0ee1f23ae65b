"""Sequential kernels of the R-peak detector, each with a twin that gives the same bits.

================  ==========================  ========================
kernel            Numba (``"numba"``)         NumPy twin (``"numpy"``)
================  ==========================  ========================
``DECIDE_BEATS``  :func:`decide_beats`        :func:`decide_beats`
``REFINE``        :func:`refine_loop`         :func:`refine`
================  ==========================  ========================

Each row is one :class:`heartbeat._jit.Kernel`: ``REFINE.get(backend)`` returns the
compiled loop or the twin.

* :func:`decide_beats`, the decision rule, is plain Python on NumPy arrays.  The
  ``"numpy"`` backend calls it as it is; the ``"numba"`` backend compiles the *same*
  function on first use (never at import; :mod:`heartbeat._jit`).  Its work is per
  candidate peak (a few per heartbeat), so the Python twin stays usable.
* :func:`refine_loop` is the twin of :func:`refine` (window maxima, ties to the
  earlier offset).  It is used only when Numba compiles; its plain-Python form is for
  the tests.

The per-sample passes (band-pass, slope, envelope, candidates) are kernels of their
own in :mod:`heartbeat._detect_stages`; :func:`moving_mean` is their twins' moving mean.
The vote that joins the peaks of several leads is in :mod:`heartbeat._merge_kernels`.
"""

from __future__ import annotations

import numpy as np

from heartbeat._jit import Kernel

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
    "p_wave_s",  # an accepted candidate yields to a larger one this soon after it when...
    "p_wave_slope",  # ... the later one is steeper by this factor,
    "p_wave_height",  # ... or higher by this factor, or nearer the expected RR interval
    "floor",  # a QRS must exceed this many times the local envelope floor...
    "floor_low",  # ... or this many, within floor_low_s of two QRS that beat `floor`
    "floor_low_s",
    "search_back_floor",  # search-back candidates must exceed this many times the floor
    "search_back_chain",  # search-back may find at most this many QRS in a row
    "slope_s",  # a candidate's slope is the largest |slope| within +- this time
    "reset_s",  # after this long without a QRS the levels restart: QRS from the largest
    # candidate above `floor` in the last quarter of it, noise from zero (no deaf stalls)
    "floor_adapt",  # `floor` shrinks to this times the median height over floor of the
    "floor_min",  # last 8 QRS, never below this; floor_low and search_back_floor follow
    # in proportion (a lead whose QRS barely rise above their floor)
    "qrs_quantile",  # the QRS level is this quantile of the last 8 QRS heights (0.5: the
    # median; lower follows the smaller of two alternating QRS shapes)
    "floor_low_keep_s",  # floor_low also holds this long after the later of two sure QRS
    # that came within floor_low_s of each other (0: only within floor_low_s of both)
    "init_quantile",  # the QRS level starts with every slot at this quantile (nearest
    # rank) of the per-second maxima of the first init_s; < 0: each slot one second's
    # maximum (at a ventricular rate below 60/min some seconds hold no QRS)
    "init_floor_s",  # > 0: when the first init_s beat as a rhythm, the floor ratios start
    # from the per-second maxima's heights over floor, held this long or until a restart
    "init_rhythm_tol",  # that rhythm: intervals within this fraction of their median
)
# the start's rhythm (init_floor_s): the peaks of the first init_s that reach
# RHYTHM_HEIGHT of the median per-second maximum form a rhythm when RHYTHM_SHARE of their
# intervals (RHYTHM_MIN_RR or more) lie within init_rhythm_tol of their median (0.25-2 s)
RHYTHM_HEIGHT = 0.5
RHYTHM_SHARE = 0.9
RHYTHM_MIN_RR = 5
N_LEVELS = 8  # QRS level, noise level and mean RR use the last 8 values
# Batcher's sorting network for N_LEVELS = 8 values: 19 compare-exchanges in a fixed
# order, no data-dependent loop, so the compiled rule mispredicts fewer branches than
# with an insertion sort (the same sorted values, so the same levels)
SORT_8: tuple[int, ...] = (  # pairs (a, b), flat
    0, 2, 1, 3, 4, 6, 5, 7, 0, 4, 1, 5, 2, 6, 3, 7, 0, 1, 2, 3,
    4, 5, 6, 7, 2, 4, 3, 5, 1, 4, 3, 6, 1, 2, 3, 4, 5, 6,
)


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
    params : ndarray of float64, shape (25,)
        The rule's constants, in the order of :data:`PARAM_NAMES`.
    out : ndarray of int64, shape (n,)
        Receives the positions of the accepted candidates.

    Returns
    -------
    int
        Number of accepted candidates written to the start of `out`.

    Notes
    -----
    One function on purpose: the rule is a single pass over the candidates whose
    steps (levels, search-back, T- and P-wave checks, restart) all read and write
    the same dozen state variables.  Split into helpers, each would take and return
    that state, and each would have to be compiled too (a Numba kernel cannot call
    plain Python); read top to bottom, it follows Notes 3-7 of
    :func:`heartbeat.detect.detect_r_peaks` in order.
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
    floor_low = params[12]
    floor_low_len = params[13] * fs
    sb_floor_factor = params[14]
    sb_chain = params[15]
    half = int(params[16] * fs + 0.5)
    reset_len = params[17] * fs
    floor_adapt = params[18]
    floor_min = params[19]
    qrs_rank = params[20] * (N_LEVELS - 1)  # where the QRS level sits in the sorted 8
    qrs_lo = min(int(qrs_rank), N_LEVELS - 2)
    qrs_frac = qrs_rank - qrs_lo
    floor_low_keep = params[21] * fs
    init_quantile = params[22]
    init_floor_len = params[23] * fs
    rhythm_tol = params[24]

    # --- each candidate's slope, the largest |slope| within +-half samples, is found
    # when first needed (T- and P-wave tests, an accepted QRS): most never are
    slope = np.full(n, -1.0)
    m_samples = slope_sq.shape[0]

    # --- initial QRS level: maxima of each second of the first init_s seconds
    levels = np.zeros((2, N_LEVELS))  # row 0: QRS peak heights, row 1: noise peak heights
    ratios = np.full(N_LEVELS, 1e300)  # the last QRS heights over their floors
    scratch = np.empty(N_LEVELS)
    sort_8 = np.array(SORT_8)  # an array: Numba indexes it faster than a tuple
    rr_buf = np.full(N_LEVELS, fs)
    sec = max(int(fs + 0.5), 1)
    n_sec = 0
    j = 0
    for b in range(N_LEVELS):
        if b * sec >= init_len:
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
            levels[0, n_sec] = best
            ratios[n_sec] = best_ratio
            n_sec += 1
    if n_sec == 0:
        return 0
    init = np.sort(levels[0, :n_sec])
    # --- the floor ratios start from those maxima only when the first init_s beat as
    # a rhythm: the peaks reaching RHYTHM_HEIGHT of the median maximum (each the highest
    # candidate within the refractory time) come at intervals of which RHYTHM_SHARE, and
    # RHYTHM_MIN_RR or more, lie within rhythm_tol of their median, itself 0.25-2 s.
    # Noise peaks come at random intervals; an irregular rhythm, or T or P waves that
    # reach the height, fail too, and the rule starts as it did before
    rhythm = False
    if init_floor_len > 0.0:
        min_height = RHYTHM_HEIGHT * init[(n_sec - 1) // 2]
        rr_start = np.empty(n)
        n_rr = 0
        prev = -1
        j = 0
        while j < n and pos[j] < pos[0] + init_len:
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
        if n_rr >= RHYTHM_MIN_RR:
            intervals = np.sort(rr_start[:n_rr])
            rr_median = intervals[(n_rr - 1) // 2]
            near = 0
            for i in range(n_rr):
                if abs(intervals[i] - rr_median) <= rhythm_tol * rr_median:
                    near += 1
            rhythm = (0.25 * fs <= rr_median <= 2.0 * fs
                      and near >= RHYTHM_SHARE * n_rr)
    if not rhythm:  # the floor ratios start empty: the factor adapts to accepted QRS only
        ratios[:] = 1e300
    if init_quantile >= 0.0:  # every slot the same quantile of the maxima seen
        for b in range(N_LEVELS):
            levels[0, b] = init[int(init_quantile * (n_sec - 1) + 0.5)]
    else:  # fill the other slots with the median of those seen
        for b in range(n_sec, N_LEVELS):
            levels[0, b] = init[(n_sec - 1) // 2]
    qrs_i = 0
    noise_i = 0
    rr_i = 0
    qrs_level = 0.0
    noise_level = 0.0
    rr_mean = 0.0
    thr = 0.0
    scale = 1.0  # the floor factors' share in force (1: as given; less: adapted)
    # which level buffers changed since their medians were taken: a noise candidate
    # (most of them) touches only the noise row, so the QRS row, the RR mean and the
    # floor ratios are left as they were (the same values, fewer sorts)
    dirty_qrs = True
    dirty_noise = True
    # the floor ratios started from the first seconds, if any, are held until here
    init_floor_end = pos[0] + init_floor_len if rhythm else -1.0

    count = 0
    last = -1  # position of the last QRS (-1: none yet)
    last_slope = 0.0
    last_sure = -1  # positions of the last two QRS above the full floor
    prev_sure = -1
    sb = -1  # best search-back candidate since the last QRS
    gap_start = pos[0]  # position of the last QRS or level restart
    chain = 0  # QRS found by search-back since the last one found directly
    j = 0
    while j < n:
        if dirty_qrs or dirty_noise:  # medians of the buffers (SORT_8: no allocation)
            for row in range(2):
                if (row == 0 and not dirty_qrs) or (row == 1 and not dirty_noise):
                    continue
                for a in range(N_LEVELS):
                    scratch[a] = levels[row, a]
                for pair in range(0, sort_8.shape[0], 2):
                    a = sort_8[pair]
                    b = sort_8[pair + 1]
                    smaller = scratch[a]
                    larger = scratch[b]
                    if larger < smaller:
                        smaller, larger = larger, smaller
                    scratch[a] = smaller
                    scratch[b] = larger
                if row == 0:  # at 0.5: 0.5 s[3] + 0.5 s[4], the median's bits
                    qrs_level = (1.0 - qrs_frac) * scratch[qrs_lo] + qrs_frac * scratch[
                        qrs_lo + 1]
                else:
                    noise_level = 0.5 * (scratch[N_LEVELS // 2 - 1] + scratch[N_LEVELS // 2])
            if dirty_qrs:  # the RR intervals and floor ratios change with the QRS row
                rr_mean = 0.0
                for b in range(N_LEVELS):
                    rr_mean += rr_buf[b]
                rr_mean /= N_LEVELS
                for a in range(N_LEVELS):
                    scratch[a] = ratios[a]
                scratch.sort()
                ratio = 0.5 * (scratch[N_LEVELS // 2 - 1] + scratch[N_LEVELS // 2])
                scale = min(1.0, max(floor_min / floor_factor,
                                     floor_adapt * ratio / floor_factor))
            thr = noise_level + threshold * (qrs_level - noise_level)
            dirty_qrs = False
            dirty_noise = False

        p = pos[j]
        h = height[j]
        if 0.0 <= init_floor_end < p:  # slots no QRS has yet replaced start empty again
            for b in range(count, N_LEVELS):
                ratios[b] = 1e300
            init_floor_end = -1.0
            dirty_qrs = True
            continue
        k = -1  # the candidate accepted in this step, if any
        searched = False
        if (
            sb >= 0
            and p - last > search_back_rr * rr_mean
            and chain < sb_chain
            and prev_sure >= 0
            and last_sure - prev_sure < floor_low_len  # a rhythm of sure beats came before
            and height[sb] > search_back_threshold * thr
        ):
            k = sb  # search back: the largest skipped candidate since the last QRS
            searched = True
        elif last < 0 or p - last >= refractory:
            is_qrs = h > thr and (
                h > scale * floor_factor * floor[j]
                or (
                    prev_sure >= 0
                    and (
                        p - prev_sure < floor_low_len
                        or (last_sure - prev_sure < floor_low_len
                            and p - last_sure < floor_low_keep)
                    )
                    and h > scale * floor_low * floor[j]
                )
            )
            if last >= 0 and p - last < t_wave and slope[j] < 0.0:
                slope[j] = np.sqrt(slope_sq[max(p - half, 0) : min(p + half + 1, m_samples)].max())
            t_like = last >= 0 and p - last < t_wave and slope[j] < t_wave_slope * last_slope
            if is_qrs and not t_like:
                # a larger candidate soon after wins when it is also steeper, much
                # higher, or nearer the expected RR interval (the first was a P wave)
                k = j
                m = j + 1
                while m < n and pos[m] - p < p_wave:
                    if height[m] > height[k] and pos[m] - p >= refractory:
                        for i in (m, k):
                            if slope[i] < 0.0:
                                slope[i] = np.sqrt(slope_sq[
                                    max(pos[i] - half, 0) : min(pos[i] + half + 1, m_samples)
                                ].max())
                    if height[m] > height[k] and (
                        pos[m] - p < refractory
                        or slope[m] > p_wave_slope * slope[k]
                        or height[m] > p_wave_height * height[k]
                        or (
                            last >= 0
                            and abs(pos[m] - last - rr_mean) < abs(pos[k] - last - rr_mean)
                        )
                    ):
                        k = m
                    m += 1
            else:
                levels[1, noise_i] = h
                noise_i = (noise_i + 1) % N_LEVELS
                dirty_noise = True
                if (
                    not t_like
                    and h > scale * sb_floor_factor * floor[j]
                    and (sb < 0 or h > height[sb])
                ):
                    sb = j
                if p - gap_start > reset_len:
                    # lost: restart the levels from the largest candidate above `floor`
                    # in the last quarter of that time (not from an old artefact)
                    best = 0.0
                    b = j
                    while b >= 0 and pos[b] > p - 0.25 * reset_len:
                        if height[b] > floor_factor * floor[b] and height[b] > best:
                            best = height[b]
                        b -= 1
                    if best > 0.0:
                        for b in range(N_LEVELS):
                            levels[0, b] = best
                            levels[1, b] = 0.0
                        dirty_qrs = True
                    if init_floor_end >= 0.0:  # the start's floor ratios: forgotten
                        init_floor_end = pos[0]
                    gap_start = p
        if k < 0:
            j += 1
            continue
        # --- accept candidate k as a QRS
        if last >= 0:
            rr = pos[k] - last
            rr_buf[rr_i] = rr if rr < rr_max else rr_max
            rr_i = (rr_i + 1) % N_LEVELS
        levels[0, qrs_i] = height[k]
        ratios[qrs_i] = height[k] / max(floor[k], 1e-300)
        qrs_i = (qrs_i + 1) % N_LEVELS
        dirty_qrs = True
        out[count] = pos[k]
        count += 1
        last = pos[k]
        if slope[k] < 0.0:
            slope[k] = np.sqrt(
                slope_sq[max(last - half, 0) : min(last + half + 1, m_samples)].max())
        last_slope = slope[k]
        if searched:
            chain += 1
        else:
            chain = 0
            if height[k] > scale * floor_factor * floor[k]:
                prev_sure = last_sure
                last_sure = pos[k]
        sb = -1
        gap_start = last
        j = k + 1
    return count


def moving_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving mean over `n` (odd) samples; the ends are padded with edge values.

    ``(c[i + n] - c[i]) / n`` of NumPy's ``cumsum`` ``c`` of the padded signal
    (``c[0] = 0``); the loops of :mod:`heartbeat._detect_stages` add in the same order.
    """
    if n <= 1 or x.size == 0:
        return x.copy()
    h = n // 2
    c = np.empty(x.size + 2 * h + 1)
    c[0] = 0.0
    c[1 : h + 1] = x[0]
    c[h + 1 : h + 1 + x.size] = x
    c[h + 1 + x.size :] = x[-1]
    np.cumsum(c, out=c)
    out = c[n:] - c[:-n]
    out /= n
    return out


def refine(
    x: np.ndarray, shift: float, scale: float, bp: np.ndarray, centres: np.ndarray,
    half_search: int, half_refine: int,
) -> np.ndarray:
    """Move each detection to the R peak: |band-passed| maximum, then raw extremum.

    The index of the largest ``|bp|`` within +-`half_search` samples of each centre,
    then that of the largest ``xc * sign(bp)``, ``xc = (x - shift) * scale`` the
    centred signal the band-pass saw, within +-`half_refine` samples of it (windows
    clipped to the signal; ties go to the earlier offset).  The NumPy twin of
    :func:`refine_loop`.
    """
    if centres.size == 0:
        return centres.astype(np.int64)
    last = x.size - 1
    rows = np.arange(centres.size)
    idx = np.clip(centres[:, None] + np.arange(-half_search, half_search + 1), 0, last)
    peak = idx[rows, np.abs(bp[idx]).argmax(axis=1)]
    sign = np.sign(bp[peak])
    idx = np.clip(peak[:, None] + np.arange(-half_refine, half_refine + 1), 0, last)
    centred = (x[idx] - shift) * scale
    return idx[rows, (centred * sign[:, None]).argmax(axis=1)].astype(np.int64)


def refine_loop(
    x: np.ndarray, shift: float, scale: float, bp: np.ndarray, centres: np.ndarray,
    half_search: int, half_refine: int,
) -> np.ndarray:
    """Loop twin of :func:`refine`: the same windows and the same first maxima.

    For each centre: the index of the largest ``|bp|`` within +-`half_search` samples
    (indices clipped to the signal), then the index of the largest
    ``(x - shift) * scale * sign(bp)`` within +-`half_refine` samples of it.  Ties go
    to the earlier offset.
    """
    n = centres.shape[0]
    last = x.shape[0] - 1
    out = np.empty(n, dtype=np.int64)
    for j in range(n):
        c = centres[j]
        best = -1.0
        peak = 0
        for o in range(-half_search, half_search + 1):
            i = min(max(c + o, 0), last)
            v = abs(bp[i])
            if v > best:
                best = v
                peak = i
        s = bp[peak]
        sign = 1.0 if s > 0.0 else (-1.0 if s < 0.0 else 0.0)
        best = -np.inf
        r = 0
        for o in range(-half_refine, half_refine + 1):
            i = min(max(peak + o, 0), last)
            v = (x[i] - shift) * scale * sign
            if v > best:
                best = v
                r = i
        out[j] = r
    return out


# ---------------------------------------------------------------- the kernel table
# the decision rule is one source for both backends: its own twin
DECIDE_BEATS = Kernel(numba_loop=decide_beats, numpy_twin=decide_beats)
REFINE = Kernel(numba_loop=refine_loop, numpy_twin=refine)
