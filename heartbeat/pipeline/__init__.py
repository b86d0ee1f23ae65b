"""The Kachuee 2018 beat pipeline: raw ECG in, fixed-length heartbeats out.

Kachuee, Fazeli and Sarrafzadeh (2018), "ECG Heartbeat Classification: A Deep
Transferable Representation", section III-A, cut beats in seven steps.  Each is a pure
public function (in :mod:`heartbeat.pipeline.steps`), in the paper's order:

0. :func:`resample` the ECG to 125 Hz (the paper's data were already at 125 Hz);
1. :func:`windows`: split the continuous ECG into 10 s windows;
2. :func:`normalize` each window's amplitude to [0, 1];
3. :func:`local_maxima`: local maxima from zero crossings of the first derivative;
4. :func:`r_peak_candidates`: maxima whose normalised value is >= 0.9;
5. :func:`median_rr`: the median R-R interval T is the window's nominal period;
6. :func:`crop`: a part of length 1.2 T starting at each R peak;
7. :func:`pad`: zero-pad each part to 187 samples.

:func:`segment` chains them for a whole record, vectorised across windows, and returns
:class:`Beats`.  Its result equals the step-by-step chain exactly (the tests check
this bit for bit).  By default the R peaks come from the robust detector of
:mod:`heartbeat.detect` (steps 3-4 find about half of the beats of real records); the
literal peak rule is ``detector="kachuee2018"``.  A detector, or R peaks you pass in,
replace steps 3-4 only.  :func:`segment` and :class:`Beats` live in
:mod:`heartbeat.pipeline.beats`; every name is importable from ``heartbeat.pipeline``.
"""

from heartbeat.pipeline.beats import Beats, segment
from heartbeat.pipeline.steps import (
    FLAT_RTOL,
    FS_OUT,
    LENGTH,
    PERIOD_FACTOR,
    THRESHOLD,
    WINDOW_S,
    crop,
    local_maxima,
    median_rr,
    normalize,
    pad,
    r_peak_candidates,
    resample,
    windows,
)

__all__ = [
    "FLAT_RTOL",
    "FS_OUT",
    "LENGTH",
    "PERIOD_FACTOR",
    "THRESHOLD",
    "WINDOW_S",
    "Beats",
    "crop",
    "local_maxima",
    "median_rr",
    "normalize",
    "pad",
    "r_peak_candidates",
    "resample",
    "segment",
    "windows",
]
