"""The Kachuee 2018 beat pipeline: raw ECG in, fixed-length heartbeats out.

Kachuee, Fazeli and Sarrafzadeh (2018), "ECG Heartbeat Classification: A Deep
Transferable Representation", section III-A, cut beats in seven steps.  Each is a pure
public function here, in the paper's order:

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
replace steps 3-4 only.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from heartbeat._validate import as_array, as_fs, as_int, as_positive, as_signal, is_real_dtype
from heartbeat.resample import _resample_poly, resample, resample_ratio

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

FS_OUT = 125.0  # Hz, the paper's sampling rate
WINDOW_S = 10.0  # s, step 1
THRESHOLD = 0.9  # step 4, on the normalised amplitude
PERIOD_FACTOR = 1.2  # step 6, crop length in units of T
LENGTH = 187  # step 7, samples per beat
# A window whose range is at most FLAT_RTOL * max(abs(signal)) is flat: resampling
# rounding (~1e-15 of the amplitude) must not be stretched to [0, 1] and read as beats.
FLAT_RTOL = 1e-9

Detector = str | Callable[[np.ndarray, float], object]


# ----------------------------------------------------------------------------- results
@dataclasses.dataclass(frozen=True, eq=False)
class Beats:
    """Fixed-length heartbeats cut from one ECG lead, with where they came from.

    Attributes
    ----------
    waveforms : ndarray of float32, shape (n_beats, length)
        One beat per row, starting at its R peak, in [0, 1] (the amplitude of its
        10 s window scaled to [0, 1]); zero from ``crop_length`` on.
    r_peaks : ndarray of int64, shape (n_beats,)
        Sorted, unique R-peak sample indices into the *input* signal (at `fs`).
    window : ndarray of int64, shape (n_beats,)
        Index of the 10 s window (at `fs_out`) each beat was cut from.
    period_s : ndarray of float64, shape (n_beats,)
        The nominal heartbeat period T of the beat's window, in seconds.
    crop_length : ndarray of int64, shape (n_beats,)
        Samples of each row taken from the signal; the rest is zero padding.
    fs : float
        Sampling frequency of the input signal in Hz.
    fs_out : float
        Sampling frequency of `waveforms` in Hz (125 unless asked otherwise).
    length : int
        Samples per beat (187).
    window_s : float
        Window duration in seconds (10).
    detector : str
        Where the R peaks came from: ``"kachuee2018"``, a detection method such as
        ``"robust"``, ``"r_peaks"`` (given by the caller) or a callable's name.
    """

    waveforms: np.ndarray
    r_peaks: np.ndarray
    window: np.ndarray
    period_s: np.ndarray
    crop_length: np.ndarray
    fs: float
    fs_out: float = FS_OUT
    length: int = LENGTH
    window_s: float = WINDOW_S
    detector: str = "kachuee2018"

    def __len__(self) -> int:
        return int(self.r_peaks.shape[0])

    def __repr__(self) -> str:
        return (
            f"Beats(n_beats={len(self)}, length={self.length}, fs={self.fs}, "
            f"fs_out={self.fs_out}, detector={self.detector!r})"
        )


# ----------------------------------------------------------------------- argument checks
def _as_threshold(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"threshold must be a real number in [0, 1], got {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"threshold={value!r} must be within [0, 1]")
    return value


def _as_indices(
    values: object, name: str, n: int | None = None, *, unique: bool = True
) -> np.ndarray:
    """Whole-number 1-D indices as int64 (sorted and unique if asked), inside ``[0, n)``."""
    arr = as_array(values, name, "a 1-D array of sample indices")
    if not is_real_dtype(arr.dtype):
        raise TypeError(f"{name} must hold integer sample indices, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise ValueError(f"{name} must hold whole sample indices, got {arr[:5]}...")
    out = arr.astype(np.int64)
    if unique:
        out = np.unique(out)
    if out.size and (out.min() < 0 or (n is not None and out.max() >= n)):
        raise ValueError(
            f"{name} must lie within [0, {n}) (the signal's samples), got values from "
            f"{out.min()} to {out.max()}"
        )
    return out


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
    if isinstance(atol, bool) or not isinstance(atol, numbers.Real):
        raise TypeError(f"atol must be a real number, got {atol!r}")
    if not 0.0 <= float(atol) < np.inf:
        raise ValueError(f"atol={atol!r} must be a finite number >= 0")
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
    idx = _as_indices(maxima, "maxima", x.size)
    threshold = _as_threshold(threshold)
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
    peaks = _as_indices(r_peaks, "r_peaks")
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
    peaks = _as_indices(r_peaks, "r_peaks", x.size, unique=False)
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


# ------------------------------------------------------------------------- the pipeline
def _group_median(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of `values` per group (NaN for an empty group), as ``np.median`` does it."""
    out = np.full(n_groups, np.nan)
    if values.size == 0:
        return out
    order = np.lexsort((values, groups))
    v = values[order]
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    c, s = counts[has], starts[has]
    out[has] = (v[s + (c - 1) // 2] + v[s + c // 2]) / 2
    return out


def _peaks_from(
    detector: Detector, x: np.ndarray, fs: float
) -> tuple[np.ndarray | None, str]:
    """R peaks (at `fs`) from a named or callable detector; None for the paper's rule."""
    if callable(detector):
        name = getattr(detector, "__qualname__", None) or type(detector).__name__
        return _as_indices(detector(x, fs), "detector output", x.size), str(name)
    if not isinstance(detector, str):
        raise TypeError(
            f"detector must be a name such as 'kachuee2018' or a function "
            f"f(signal, fs) -> peak indices, got {detector!r}"
        )
    if detector == "kachuee2018":
        return None, detector
    from heartbeat.detect import METHODS, detect_r_peaks

    if detector not in METHODS:
        raise ValueError(
            f"detector={detector!r} is unknown; choose one of "
            f"{('kachuee2018', *METHODS)} or pass a function"
        )
    return _as_indices(detect_r_peaks(x, fs, method=detector), "detector output", x.size), (
        detector
    )


def _empty(fs: float, fs_out: float, length: int, window_s: float, name: str) -> Beats:
    return _frozen(
        np.zeros((0, length), dtype=np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64),
        np.zeros(0), np.zeros(0, np.int64), fs, fs_out, length, window_s, name,
    )


def _frozen(*args: object) -> Beats:
    beats = Beats(*args)  # type: ignore[arg-type]
    for f in ("waveforms", "r_peaks", "window", "period_s", "crop_length"):
        getattr(beats, f).setflags(write=False)
    return beats


def segment(
    signal: object,
    fs: float,
    *,
    detector: Detector = "robust",
    r_peaks: object = None,
    window_s: float = WINDOW_S,
    threshold: float = THRESHOLD,
    fs_out: float = FS_OUT,
    length: int = LENGTH,
) -> Beats:
    """Cut one ECG lead into fixed-length heartbeats, following Kachuee et al. (2018).

    Parameters
    ----------
    signal : array_like, shape (n,)
        One ECG lead, finite values, any unit and offset.
    fs : float
        Its sampling frequency in Hz.
    detector : str or callable, default "robust"
        Where the R peaks come from.  ``"robust"`` (the default) calls
        :func:`heartbeat.detect.detect_r_peaks` on the whole signal at `fs`: it finds
        99.8 % of the annotated MIT-BIH beats, where the paper's rule finds about half
        (``docs/benchmarks.md``).  ``"kachuee2018"``: the paper's literal rule (steps
        3-4, per window, at `fs_out`).  A callable ``f(signal, fs)`` returning sample
        indices at `fs` is used the same way.  Ignored when `r_peaks` is given.
    r_peaks : array_like of int, optional
        Your own R-peak sample indices into `signal` (at `fs`), e.g. annotations.
        Sorted and made unique; each one yields a beat (see Notes).
    window_s : float, default 10.0
        Window duration in seconds (step 1).
    threshold : float, default 0.9
        Threshold on the normalised maxima (step 4, paper's rule only).
    fs_out : float, default 125.0
        Rate of the beats in Hz; the signal is resampled to it first.
    length : int, default 187
        Samples per beat (step 7).

    Returns
    -------
    Beats
        ``waveforms`` (float32, (n_beats, `length`)), the R peaks at `fs`, the window
        and period T of each beat, and the settings used.  Zero beats (arrays of the
        right shapes and dtypes) for a flat or too short signal.

    Raises
    ------
    TypeError
        If `signal` is not a real numeric array, `fs` / `window_s` / `fs_out` /
        `threshold` is not a number, `length` is not an integer, `detector` is neither
        a name nor a callable, or `r_peaks` does not hold numbers.
    ValueError
        If `signal` is empty, not 1-D or holds NaN/inf; `fs`, `fs_out` or `window_s`
        is not finite and > 0; `threshold` is outside [0, 1]; `length` < 1; the
        detector is unknown; or `r_peaks` (or a detector's output) holds indices
        outside the signal or fractional values.
    ImportError
        If a detector other than ``"kachuee2018"`` is named and :mod:`heartbeat.detect`
        cannot be imported.

    See Also
    --------
    heartbeat.detect.detect_r_peaks : the robust detector.

    Notes
    -----
    The steps are those of the paper (see the module and each step's Notes).  Where
    the paper is silent or where this function departs from it:

    * Resampling.  The signal is divided by ``max(abs(signal))`` (so no finite input
      can overflow), centred on its mean and resampled to `fs_out` with
      :func:`heartbeat.resample.resample_poly` (SciPy's default polyphase filter).
      Centring keeps the zero padding at the record's ends from pulling the first and
      last samples towards 0; after step 2 neither changes more than rounding.  A
      non-rational `fs` uses the nearest ratio with a denominator <= 2000, and
      `fs_out` in the result is the exact rate ``fs * up / down``.
    * Windows.  All 10 s windows are used, including a shorter last one.  A window
      whose range is at most ``FLAT_RTOL * max(abs(signal))`` (1e-9) counts as flat:
      it normalises to zeros and holds no candidates.
    * R peaks (paper's rule).  Maxima at a window's first or last sample do not
      exist (no neighbour within the window).  The peaks are mapped back to `fs` by
      rounding ``i * fs / fs_out`` half up; below 125 Hz two peaks can round to the
      same input sample, and only the first is kept.
    * R peaks (given or detected).  Each index is mapped to `fs_out` by rounding
      half up, which fixes its window; T of a window is the median interval of the
      given peaks inside it (computed at `fs`, converted to `fs_out` samples).
    * Windows with a single peak, where the paper's median is undefined, take the
      median R-R interval of all consecutive peaks of the signal.  With fewer than two
      peaks in the whole signal there are no beats.
    * Borders.  A crop (``round(1.2 T)`` samples from the R peak) reaching past its
      window's end is truncated there, then zero-padded, so every peak yields a beat;
      beyond `length` samples it is cut.  Values stay within [0, 1] and are exactly 0
      from ``crop_length`` on.

    The result equals running :func:`windows`, :func:`normalize`,
    :func:`local_maxima`, :func:`r_peak_candidates`, :func:`median_rr`,
    :func:`crop` and :func:`pad` window by window on the scaled, centred, resampled
    signal (with ``normalize(..., atol=FLAT_RTOL)``), bit for bit; the work is
    vectorised across windows.  It is invariant to
    ``a * signal + b`` with ``a > 0`` up to float rounding (see the tests).

    Examples
    --------
    >>> import numpy as np
    >>> fs = 360.0
    >>> t = np.arange(int(30 * fs)) / fs
    >>> ecg = np.exp(-(((t % 0.8) - 0.3) ** 2) / (2 * 0.01**2))  # a beat every 0.8 s
    >>> beats = segment(ecg, fs)
    >>> len(beats), beats.waveforms.shape[1], float(beats.period_s[0])
    (38, 187, 0.8)
    >>> int(beats.crop_length[0])  # 1.2 * 0.8 s at 125 Hz
    120
    """
    x = as_signal(signal, "signal")
    if x.size == 0:
        raise ValueError("signal is empty; pass at least one sample")
    fs = as_fs(fs, "fs")
    fs_out_nominal = as_fs(fs_out, "fs_out")
    window_s = as_positive(window_s, "window_s")
    threshold = _as_threshold(threshold)
    length = as_int(length, "length", minimum=1)
    up, down = resample_ratio(fs, fs_out_nominal)
    fs_out = fs * up / down
    width = _window_width(window_s, fs_out)

    if r_peaks is not None:
        given, name = _as_indices(r_peaks, "r_peaks", x.size), "r_peaks"
    else:
        given, name = _peaks_from(detector, x, fs)

    # (0) resample the scaled, centred signal; (1) windows; (2) their min and range
    scale = float(np.abs(x).max())
    xs = x / scale if scale > 0 else x
    y = _resample_poly(xs - xs.mean(), up, down)
    n_out = y.size
    starts = np.arange(0, n_out, width)
    lo = np.minimum.reduceat(y, starts)
    span = np.maximum.reduceat(y, starts) - lo
    flat = span <= FLAT_RTOL  # the scaled signal's largest magnitude is 1
    safe_span = np.where(flat, 1.0, span)

    if given is None:
        # (3) local maxima per window, (4) normalised value >= threshold
        m = _local_maxima(y, width)
        w = m // width
        m, w = m[~flat[w]], w[~flat[w]]
        q = m[(y[m] - lo[w]) / safe_span[w] >= threshold]
        # back to the input rate, half up; keep the first of peaks that coincide there
        p = np.minimum((2 * down * q + up) // (2 * up), x.size - 1)
        first = np.concatenate([[True], np.diff(p) > 0]) if p.size else np.zeros(0, bool)
        p, q = p[first], q[first]
        rr = np.diff(q).astype(np.float64)  # in samples at fs_out
    else:
        p = given
        q = np.minimum((2 * up * p + down) // (2 * down), n_out - 1)
        rr = np.diff(p).astype(np.float64)  # in samples at fs, converted below
    if p.size < 2:
        return _empty(fs, fs_out, length, window_s, name)

    # (5) T per window: median R-R within the window, else of the whole signal
    w = q // width
    same = w[1:] == w[:-1]
    period = _group_median(rr[same], w[1:][same], starts.size)
    period[np.isnan(period)] = np.median(rr)
    if given is not None:
        period = period * up / down
    # (6) crop 1.2 T from each R peak within its window, (7) pad to `length`
    t = period[w]
    stop = np.minimum((w + 1) * width, n_out)
    n_crop = np.minimum(np.minimum(_crop_length(t, PERIOD_FACTOR), stop - q), length)
    j = np.arange(length)
    idx = np.minimum(q[:, None] + j, n_out - 1)  # (n_beats, length)
    values = (y[idx] - lo[w][:, None]) / safe_span[w][:, None]
    keep = (j < n_crop[:, None]) & ~flat[w][:, None]
    waveforms = np.where(keep, values, 0.0).astype(np.float32)
    return _frozen(
        waveforms, p.astype(np.int64), w.astype(np.int64), t / fs_out,
        n_crop.astype(np.int64), fs, fs_out, length, window_s, name,
    )
