"""Sequential kernels of the R-peak detector, each with a twin that gives the same bits.

================  ==========================  ========================
kernel            Numba (``"numba"``)         NumPy twin (``"numpy"``)
================  ==========================  ========================
``REFINE``        :func:`refine_loop`         :func:`refine`
================  ==========================  ========================

Each row is one :class:`heartbeat._jit.Kernel`: ``REFINE.get(backend)`` returns the
compiled loop or the twin.  :func:`refine_loop` is the twin of :func:`refine` (window
maxima, ties to the earlier offset).  It is used only when Numba compiles; its
plain-Python form is for the tests.

The decision rule, :func:`heartbeat._decide_kernels.decide_beats` (``DECIDE_BEATS``,
named here too), has its own module; its constants are named here, in
:data:`PARAM_NAMES`.  The per-sample passes (band-pass, slope, envelope, candidates)
are kernels of their own in :mod:`heartbeat._detect_stages`; :func:`moving_mean` is
their twins' moving mean.  The vote that joins the peaks of several leads is in
:mod:`heartbeat._merge_kernels`.
"""

from __future__ import annotations

import numpy as np

# the rule, named here as before its split (detect.py and the tuning tools use these)
from heartbeat._decide_kernels import DECIDE_BEATS, decide_beats  # noqa: F401
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
    "t_wave_rr",  # the T-wave test holds for this many mean RR intervals if longer than
    # t_wave_s (0: t_wave_s alone)
    "floor_low_on_time",  # floor_low also holds for a candidate, and a last QRS, whose
    # intervals lie within this fraction of the mean RR of it (0: off)
)
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
REFINE = Kernel(numba_loop=refine_loop, numpy_twin=refine)
