"""STFT and spectrogram of beat-centred ECG windows, in NumPy alone.

One family of published beat classifiers turns a window of ECG centred on each beat
(±2 s, 1,440 samples at 360 Hz) into a time-frequency image with a short-time Fourier
transform and gives that image to a CNN or BiLSTM. This module computes those images
for a whole batch of windows at once, without SciPy at run time, and agrees with
:func:`scipy.signal.stft` and :func:`scipy.signal.spectrogram` called with the same
arguments (the tests check this on random signals over a grid of parameters and on
MIT-BIH data).

Public functions
----------------
stft              short-time Fourier transform
spectrogram       power spectral density (or magnitude, phase, ...) per frame
log_power         ``10 log10 Sxx`` with a floor

Beside them in :mod:`heartbeat.windows`: :func:`~heartbeat.windows.tapers.get_window`
(the periodic analysis windows) and
:class:`~heartbeat.windows.normalize.FrequencyNormalizer`.  The framing and the DFT
behind both transforms live in the private ``_framing`` module, their argument checks
in ``_args``.

Defaults chosen for ECG beats (1,440 samples at 360 Hz)
-------------------------------------------------------
``nperseg=64`` (178 ms). A QRS complex lasts 80-120 ms, so one segment holds a whole
QRS with some margin, while the P and T waves (each 100-250 ms away) mostly fall in
other frames. The bins are 360/64 = 5.6 Hz apart and a Hann window's main lobe is
4 bins (22.5 Hz) wide, enough to separate the QRS band (about 5-40 Hz) from baseline
wander (< 1 Hz, bin 0) and from mains interference (50/60 Hz, bins 9-11).
A longer segment (128 samples, 356 ms) would blur the QRS with its neighbouring
waves; a shorter one (32 samples, 11 Hz bins) leaves 2-3 bins for the QRS band.

``noverlap=48`` (3/4 of `nperseg`, a step of 16 samples = 44 ms): two to three frames
fall inside each QRS, and at this overlap both the periodic Hann window and its
square overlap-add to constants (2 and 1.5; ``TestGetWindow`` checks it), so every
sample carries the same weight in the power image.

``nfft=nperseg``: zero-padding interpolates the spectrum but adds no resolution; it
would double the image height, the FFT cost and the CNN input for nothing.

``window="hann"``: its low side lobes keep strong QRS energy from leaking into the
quiet high-frequency bins, far better than a boxcar's.

With these defaults one 1,440-sample window gives a 33 x 87 :func:`spectrogram`
(0-180 Hz x 0.09-3.91 s) and a 33 x 91 :func:`stft`.

Notes
-----
Departures from SciPy, all deliberate:

* ``fs`` is required; the time axis is the last axis (no ``axis=`` argument).
* Default ``nperseg``/``noverlap``/``window`` are the ECG choices above, not SciPy's
  (256, ``nperseg // 2`` in ``stft``, ``nperseg // 8`` in ``spectrogram``, a Tukey
  window in ``spectrogram``). Pass them explicitly to reproduce a SciPy call.
* ``nperseg`` larger than the signal raises ``ValueError``; SciPy warns and shrinks
  it, which silently changes the output shape of a batch.
* Input must be real (ECG is); complex input raises ``TypeError``. An empty signal
  (last axis of length 0) raises ``ValueError``; an empty *batch* (shape ``(0, n)``)
  gives an empty result.
* Outputs are C-contiguous ``(..., n_freqs, n_frames)`` arrays, ready for a CNN;
  SciPy returns a transposed view.
* A `detrend` callable receives a copy of the frames; SciPy passes a writeable view of
  overlapping frames, so an in-place detrend corrupts its result.

For short segments (``nperseg * (nfft // 2 + 1) <= 2**14``: the ECG defaults, or
up to nperseg = nfft = 180) the one-sided DFT of every frame is a matrix product
with a ``(nperseg, 2 * n_freqs)`` matrix into which the window, the scaling, the
detrend projection and the one-sided doubling are folded; on short rows this beats
calling ``np.fft.rfft`` per frame (``benchmarks/bench_features.py --paths`` times
both). Longer segments use ``np.fft.rfft``. Both
paths are tested against each other and against SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple, TypeAlias

import numpy as np

from heartbeat._validate import as_bool, as_choice, as_fs, as_real
from heartbeat.windows._args import (
    _BOUNDARIES,
    _MODES,
    _as_numeric,
    _as_real_batch,
    _detrend_arg,
    _scale,
    _segment_args,
)
from heartbeat.windows._framing import _extend, _framed_transform, _make_plan

__all__ = ["STFTResult", "SpectrogramResult", "log_power", "spectrogram", "stft"]

Window: TypeAlias = "str | tuple[str, float] | np.ndarray"
Detrend: TypeAlias = "str | bool | Callable[[np.ndarray], np.ndarray] | None"


class STFTResult(NamedTuple):
    """Return value of :func:`stft`; unpacks like SciPy's ``f, t, Zxx``."""

    f: np.ndarray
    """Frequencies of the rows, Hz, shape (n_freqs,)."""
    t: np.ndarray
    """Times of the frame centres, s, shape (n_frames,)."""
    Z: np.ndarray
    """Complex STFT, shape (..., n_freqs, n_frames)."""


class SpectrogramResult(NamedTuple):
    """Return value of :func:`spectrogram`; unpacks like SciPy's ``f, t, Sxx``."""

    f: np.ndarray
    """Frequencies of the rows, Hz, shape (n_freqs,)."""
    t: np.ndarray
    """Times of the frame centres, s, shape (n_frames,)."""
    Sxx: np.ndarray
    """Spectrogram, shape (..., n_freqs, n_frames)."""


def stft(
    x: np.ndarray,
    fs: float,
    *,
    window: Window = "hann",
    nperseg: int | None = None,
    noverlap: int | None = None,
    nfft: int | None = None,
    detrend: Detrend = False,
    return_onesided: bool = True,
    boundary: str | None = "zeros",
    padded: bool = True,
    scaling: str = "spectrum",
) -> STFTResult:
    """Short-time Fourier transform of one signal or a batch of windows.

    Same definition and arguments as :func:`scipy.signal.stft` (time on the last
    axis), vectorised over the leading axes. Each frame of `nperseg` samples is
    detrended, multiplied by the window and transformed with an `nfft`-point DFT.

    Parameters
    ----------
    x : array_like, shape (..., n)
        Real signal(s), time on the last axis. As in SciPy, float16/float32 and 8- or
        16-bit integer input is computed in float32 (complex64 out); 32/64-bit integer
        and float64 input in float64 (complex128 out).
    fs : float
        Sampling frequency in Hz, > 0.
    window : str, tuple or array_like, default "hann"
        A name accepted by :func:`get_window` (periodic window) or the window values.
    nperseg : int, optional
        Segment length in samples, 1 <= nperseg <= n. Defaults to 64 for a named
        window (178 ms at 360 Hz) and to ``len(window)`` for an array.
    noverlap : int, optional
        Samples shared by consecutive segments, 0 <= noverlap < nperseg. Defaults to
        ``3 * nperseg // 4``.
    nfft : int, optional
        DFT length, >= nperseg (zero-padded). Defaults to `nperseg`.
    detrend : {False, None, "constant", "linear"} or callable, default False
        Remove each segment's mean or least-squares line before windowing. A callable
        receives segments of shape (rows, n_frames, nperseg) and must return the same
        shape, detrended along the last axis.
    return_onesided : bool, default True
        Return the ``nfft // 2 + 1`` non-negative frequencies (in ``rfftfreq`` order);
        otherwise all `nfft` in ``fftfreq`` order.
    boundary : {"zeros", "even", "odd", "constant", None}, default "zeros"
        Extend the signal by ``nperseg // 2`` samples on each side first, so the first
        frame is centred on the first sample.
    padded : bool, default True
        Zero-pad the end so the last samples fill a whole segment.
    scaling : {"spectrum", "psd"}, default "spectrum"
        "spectrum": a sinusoid of amplitude A gives ``|Z| = A / 2`` at its bin;
        "psd": ``|Z|**2`` is a power spectral density (units**2/Hz).

    Returns
    -------
    STFTResult
        Named tuple ``(f, t, Z)``: frequencies in Hz (n_freqs,), frame times in s
        (n_frames,), and the C-contiguous STFT of shape (..., n_freqs, n_frames),
        complex64 for float32 input, complex128 otherwise.

    Raises
    ------
    TypeError
        If `x` is not real numeric, or an argument has the wrong type.
    ValueError
        If `x` is empty or not finite, `fs` <= 0, `nperseg` is outside [1, n],
        `noverlap` >= `nperseg`, `nfft` < `nperseg`, the window is unknown or does not
        match `nperseg`, or an option is not one of its listed values.

    See Also
    --------
    spectrogram : power per frame, without boundary extension.

    Examples
    --------
    >>> fs = 360.0
    >>> x = np.sin(2 * np.pi * 45.0 * np.arange(1440) / fs)  # 45 Hz, amplitude 1
    >>> f, t, Z = stft(x, fs)
    >>> Z.shape
    (33, 91)
    >>> float(f[np.abs(Z[:, 45]).argmax()]), round(float(np.abs(Z[8, 45])), 6)
    (45.0, 0.5)
    >>> stft(np.zeros((10, 1440), np.float32), fs).Z.dtype
    dtype('complex64')
    """
    x = _as_real_batch(x, "x")
    fs = as_fs(fs)
    win, nperseg, noverlap, nfft = _segment_args(x.shape[-1], window, nperseg, noverlap, nfft)
    detrend = _detrend_arg(detrend)
    onesided = as_bool(return_onesided, "return_onesided")
    if boundary is not None:
        as_choice(boundary, "boundary", (*_BOUNDARIES, None))
    padded = as_bool(padded, "padded")
    as_choice(scaling, "scaling", ("spectrum", "psd"))
    scale = _scale(win, "density" if scaling == "psd" else "spectrum", fs)

    plan = _make_plan(
        win, nperseg=nperseg, noverlap=noverlap, nfft=nfft, scale=scale, doubled=False,
        detrend=detrend, dtype=x.dtype.type,
    )
    batch_shape, n = x.shape[:-1], x.shape[-1]
    x2 = _extend(x.reshape(-1, n), boundary, padded, nperseg, plan.nstep)
    Z = _framed_transform(x2, plan, onesided=onesided, mode="complex")
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs) if onesided else np.fft.fftfreq(nfft, 1.0 / fs)
    start = 0.0 if boundary is not None else nperseg / 2.0
    times = (start + plan.nstep * np.arange(Z.shape[-1])) / fs
    return STFTResult(freqs, times, Z.reshape(*batch_shape, *Z.shape[1:]))


def spectrogram(
    x: np.ndarray,
    fs: float,
    *,
    window: Window = "hann",
    nperseg: int | None = None,
    noverlap: int | None = None,
    nfft: int | None = None,
    detrend: Detrend = "constant",
    return_onesided: bool = True,
    scaling: str = "density",
    mode: str = "psd",
) -> SpectrogramResult:
    """Spectrogram (power per frame) of one signal or a batch of windows.

    Same definition as :func:`scipy.signal.spectrogram` (no boundary extension or
    padding: frames start at sample 0 and stop before running off the end),
    vectorised over the leading axes.

    Parameters
    ----------
    x : array_like, shape (..., n)
        Real signal(s), time on the last axis; float32 in gives float32 out.
    fs : float
        Sampling frequency in Hz, > 0.
    window : str, tuple or array_like, default "hann"
        As in :func:`stft`.
    nperseg, noverlap, nfft : int, optional
        As in :func:`stft`: defaults 64 (or ``len(window)``), ``3 * nperseg // 4`` and
        `nperseg`.
    detrend : {"constant", "linear", False, None} or callable, default "constant"
        As in :func:`stft`; the default removes each segment's mean, so baseline
        offset does not flood bin 0.
    return_onesided : bool, default True
        One-sided output doubles every bin except 0 and Nyquist in "psd" mode, so the
        power sums to the two-sided total.
    scaling : {"density", "spectrum"}, default "density"
        "density": units**2/Hz; "spectrum": units**2 (a sinusoid of amplitude A gives
        ``A**2 / 2`` one-sided).
    mode : {"psd", "complex", "magnitude", "angle", "phase"}, default "psd"
        "psd" returns power; the others return the STFT-scaled complex value, its
        magnitude, its angle, or its angle unwrapped along frequency.

    Returns
    -------
    SpectrogramResult
        Named tuple ``(f, t, Sxx)``: frequencies in Hz, frame-centre times in s, and a
        C-contiguous array of shape (..., n_freqs, n_frames); float32/complex64 for
        float32 input, float64/complex128 otherwise.

    Raises
    ------
    TypeError
        If `x` is not real numeric, or an argument has the wrong type.
    ValueError
        As for :func:`stft`, and for an unknown `mode` or `scaling`.

    See Also
    --------
    stft, log_power, FrequencyNormalizer

    Examples
    --------
    >>> fs = 360.0
    >>> x = np.sin(2 * np.pi * 45.0 * np.arange(1440) / fs)
    >>> f, t, Sxx = spectrogram(x, fs, scaling="spectrum")
    >>> Sxx.shape, float(t[0]), float(t[-1])
    ((33, 87), 0.08888888888888889, 3.911111111111111)
    >>> round(float(Sxx[8].mean()), 6)  # a unit sinusoid has power 1/2
    0.5
    """
    x = _as_real_batch(x, "x")
    fs = as_fs(fs)
    win, nperseg, noverlap, nfft = _segment_args(x.shape[-1], window, nperseg, noverlap, nfft)
    detrend = _detrend_arg(detrend)
    onesided = as_bool(return_onesided, "return_onesided")
    as_choice(scaling, "scaling", ("density", "spectrum"))
    as_choice(mode, "mode", _MODES)
    return _spectrogram(x, fs, win, nperseg=nperseg, noverlap=noverlap, nfft=nfft,
                        detrend=detrend, onesided=onesided, scaling=scaling, mode=mode)


def _spectrogram(
    x: np.ndarray,
    fs: float,
    win: np.ndarray,
    *,
    nperseg: int,
    noverlap: int,
    nfft: int,
    detrend: str | Callable[[np.ndarray], np.ndarray] | None,
    onesided: bool,
    scaling: str,
    mode: str,
) -> SpectrogramResult:
    """:func:`spectrogram` on checked arguments (what its argument checks return)."""
    scale = _scale(win, scaling, fs)
    if mode == "psd":
        plan_mode, doubled = "psd", onesided
    else:  # SciPy scales the other modes like an STFT: sqrt of the power scale
        plan_mode, doubled = mode, False
    plan = _make_plan(
        win, nperseg=nperseg, noverlap=noverlap, nfft=nfft, scale=scale, doubled=doubled,
        detrend=detrend, dtype=x.dtype.type, power=plan_mode == "psd",
    )
    batch_shape, n = x.shape[:-1], x.shape[-1]
    Sxx = _framed_transform(x.reshape(-1, n), plan, onesided=onesided, mode=plan_mode)
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs) if onesided else np.fft.fftfreq(nfft, 1.0 / fs)
    times = (nperseg / 2.0 + plan.nstep * np.arange(Sxx.shape[-1])) / fs
    return SpectrogramResult(freqs, times, Sxx.reshape(*batch_shape, *Sxx.shape[1:]))


# --------------------------------------------------------------------------------------
# model-input helpers


def log_power(Sxx: np.ndarray, *, floor_db: float = -120.0) -> np.ndarray:
    """Return ``10 * log10(Sxx)`` in decibels, floored at `floor_db`.

    Parameters
    ----------
    Sxx : array_like
        Non-negative power (a "psd" :func:`spectrogram`).
    floor_db : float, default -120.0
        Lowest value returned; power below ``10 ** (floor_db / 10)`` (and exact zeros)
        maps to it. The floor is absolute, not relative to each image's maximum, so
        amplitude differences between beats stay visible.

    Returns
    -------
    numpy.ndarray
        Array of `Sxx`'s shape; float32 for float32 input, else float64.

    Raises
    ------
    TypeError
        If `Sxx` is not real numeric or `floor_db` is not a real number.
    ValueError
        If `Sxx` holds NaN, inf or negative values, or `floor_db` is not finite.

    Examples
    --------
    >>> log_power(np.array([1.0, 100.0, 0.0])).tolist()
    [0.0, 20.0, -120.0]
    """
    floor_db = as_real(floor_db, "floor_db", unit="decibels")
    power = _as_numeric(Sxx, "Sxx")
    if np.iscomplexobj(power):
        raise TypeError(
            f"Sxx must be real power, got dtype {power.dtype}; pass np.abs(Z) ** 2"
        )
    if power.size and power.min() < 0:
        raise ValueError(
            f"Sxx holds negative values (min {float(power.min())!r}); pass power, not a "
            "signal or log-power"
        )
    return _decibels(power.copy(), 10.0, floor_db)


def _decibels(values: np.ndarray, factor: float, floor_db: float) -> np.ndarray:
    """Return ``max(factor * log10(values), floor_db)``, overwriting `values`."""
    with np.errstate(divide="ignore"):  # log(0) = -inf, then floored
        np.log(values, out=values)  # ln is SIMD-vectorised for float32, log10 is not
    values *= values.dtype.type(factor / math.log(10.0))
    return np.maximum(values, values.dtype.type(floor_db), out=values)
