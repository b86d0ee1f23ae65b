"""STFT and spectrogram features for beat-centred ECG windows, in NumPy alone.

One family of published beat classifiers turns a window of ECG centred on each beat
(±2 s, 1,440 samples at 360 Hz) into a time-frequency image with a short-time Fourier
transform and gives that image to a CNN or BiLSTM. This module computes those images
for a whole batch of windows at once, without SciPy at run time, and agrees with
:func:`scipy.signal.stft` and :func:`scipy.signal.spectrogram` called with the same
arguments (the tests check this on random signals over a grid of parameters and on
MIT-BIH data).

Public functions
----------------
get_window        periodic analysis windows, as SciPy's ``get_window`` returns them
stft              short-time Fourier transform
spectrogram       power spectral density (or magnitude, phase, ...) per frame
log_power         ``10 log10 Sxx`` with a floor
FrequencyNormalizer  per-frequency-bin standardisation fitted on training data only

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
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, TypeAlias

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from heartbeat._atomic import save_npz_atomic
from heartbeat._validate import as_array, as_fs, as_int, is_real_dtype

__all__ = [
    "DEFAULT_NOVERLAP",
    "DEFAULT_NPERSEG",
    "WINDOWS",
    "FrequencyNormalizer",
    "STFTResult",
    "SpectrogramResult",
    "get_window",
    "log_power",
    "spectrogram",
    "stft",
]

DEFAULT_NPERSEG = 64
"""Default segment length: 64 samples = 178 ms at 360 Hz (see the module notes)."""

DEFAULT_NOVERLAP = 48
"""Default overlap for the default segment: 3/4 of it, a 16-sample (44 ms) step."""

WINDOWS: tuple[str, ...] = ("hann", "hamming", "blackman", "boxcar")
"""Window names accepted as strings; ``("tukey", alpha)`` is accepted too."""

# generalised cosine windows: w[n] = sum_k (-1)**k a_k cos(2 pi k n / N)
_COSINE_COEFFS = {
    "hann": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.50, 0.08),
    "boxcar": (1.0,),
}
_DETRENDS = ("constant", "linear")
_BOUNDARIES = ("zeros", "even", "odd", "constant")
_MODES = ("psd", "complex", "magnitude", "angle", "phase")
# the matrix-product DFT is used while nperseg * n_onesided_bins stays below this
_MATMUL_MAX = 1 << 14
# multiply-adds per small matrix product: OpenBLAS's one-thread limit (4 * 65536)
_GEMM_SIZE = 1 << 18
# frames per block: keeps each block's framed copy near 2**18 values (1 MiB float32)
_BLOCK_VALUES = 1 << 18

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


# --------------------------------------------------------------------------------------
# argument checks (each public function calls these once)


def _as_bool(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_finite(arr: np.ndarray, name: str) -> None:
    # min/max propagate NaN and expose inf without a boolean temporary of arr's size
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"{name} holds {bad} NaN or infinite value(s); remove or interpolate them first"
        )


def _as_real_batch(x: object, name: str) -> np.ndarray:
    """Return `x` as a finite float32 (float16/32 input) or float64 array, ndim >= 1."""
    arr = as_array(x, name)
    if not is_real_dtype(arr.dtype):
        raise TypeError(
            f"{name} must hold real numbers (integer or float dtype), got dtype {arr.dtype}"
        )
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least 1 dimension (time on the last axis)")
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} is empty: its last (time) axis has length 0, shape {arr.shape}")
    arr = arr.astype(_real_dtype(arr.dtype), copy=False)
    _check_finite(arr, name)
    return arr


def _real_dtype(dtype: np.dtype) -> type:
    """SciPy's precision rule: float32 when ``result_type(dtype, complex64)`` is complex64.

    So float16/float32 and 8- or 16-bit integers compute in float32; 32/64-bit
    integers and float64 in float64.
    """
    return np.float32 if np.result_type(dtype, np.complex64) == np.complex64 else np.float64


def _window_array(window: object, nperseg: int | None) -> tuple[np.ndarray, int]:
    """Return the float64 window and the segment length (`nperseg` or len(window))."""
    if isinstance(window, (str, tuple)):
        if nperseg is None:
            nperseg = DEFAULT_NPERSEG
        return get_window(window, nperseg), nperseg
    if window is None:
        raise TypeError(f"window must be a name such as 'hann' or a 1-D array, got {window!r}")
    win = as_array(window, "window", "a name or a 1-D numeric array")
    if not is_real_dtype(win.dtype):
        raise TypeError(f"window must hold real numbers, got dtype {win.dtype}")
    if win.ndim != 1 or win.size == 0:
        raise ValueError(f"window must be a non-empty 1-D array, got shape {win.shape}")
    win = win.astype(np.float64)
    _check_finite(win, "window")
    if nperseg is None:
        nperseg = win.size
    elif nperseg != win.size:
        raise ValueError(
            f"nperseg={nperseg} differs from the length of the window array ({win.size}); "
            "pass nperseg=None to use the window's length"
        )
    return win, nperseg


def _segment_args(
    n: int, window: object, nperseg: object, noverlap: object, nfft: object
) -> tuple[np.ndarray, int, int, int]:
    """Validate the framing arguments for a signal of `n` samples."""
    if nperseg is not None:
        nperseg = as_int(nperseg, "nperseg", minimum=1)
    win, nperseg = _window_array(window, nperseg)
    if nperseg > n:
        raise ValueError(
            f"nperseg={nperseg} is longer than the signal (n={n} samples on the last axis); "
            f"pass nperseg <= {n} (SciPy would warn and shrink it)"
        )
    if noverlap is None:
        noverlap = (3 * nperseg) // 4
    else:
        noverlap = as_int(noverlap, "noverlap", minimum=0)
        if noverlap >= nperseg:
            raise ValueError(f"noverlap={noverlap} must be less than nperseg={nperseg}")
    if nfft is None:
        nfft = nperseg
    else:
        nfft = as_int(nfft, "nfft", minimum=1)
        if nfft < nperseg:
            raise ValueError(f"nfft={nfft} must be >= nperseg={nperseg}")
    return win, nperseg, noverlap, nfft


def _detrend_arg(detrend: object) -> str | Callable[[np.ndarray], np.ndarray] | None:
    if detrend is None or detrend is False:
        return None
    if isinstance(detrend, str):
        if detrend not in _DETRENDS:
            raise ValueError(f"detrend={detrend!r} must be 'constant', 'linear', False or None")
        return detrend
    if callable(detrend) and not isinstance(detrend, (bool, np.bool_)):
        return detrend
    raise TypeError(
        f"detrend must be 'constant', 'linear', False, None or a callable, got {detrend!r}"
    )


def _choice(value: object, name: str, allowed: tuple) -> object:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={value!r} must be one of {', '.join(map(repr, allowed))}")
    return value


def _scale(win: np.ndarray, scaling: str, fs: float) -> float:
    """SciPy's power scale: 1/(fs sum w^2) for a density, 1/(sum w)^2 for a spectrum."""
    if scaling == "density":
        energy = float(np.sum(win * win))
        if energy == 0.0:
            raise ValueError("window is all zeros; a density needs sum(window**2) > 0")
        return 1.0 / (fs * energy)
    total = float(np.sum(win))
    if total == 0.0:
        raise ValueError("window sums to 0; scaling='spectrum' needs sum(window) != 0")
    return 1.0 / total**2


# --------------------------------------------------------------------------------------
# windows


def get_window(window: str | tuple[str, float], nperseg: int) -> np.ndarray:
    """Return a periodic window for spectral analysis, as SciPy's ``get_window`` does.

    A periodic window of length N is the symmetric window of length N + 1 without its
    last sample, so that shifted copies tile smoothly; ``np.hanning`` and friends are
    symmetric and give different spectra.

    Parameters
    ----------
    window : str or tuple
        ``"hann"``, ``"hamming"``, ``"blackman"``, ``"boxcar"``, or ``("tukey", alpha)``
        with ``0 <= alpha <= 1`` (the fraction of the window inside its cosine tapers).
    nperseg : int
        Window length in samples, >= 1. A length-1 window is ``[1.0]``.

    Returns
    -------
    numpy.ndarray
        float64, shape (nperseg,).

    Raises
    ------
    TypeError
        If `window` is neither a string nor a ``(name, parameter)`` tuple, or
        `nperseg` is not an integer.
    ValueError
        If the name is unknown, `alpha` is outside [0, 1], or `nperseg` < 1.

    Examples
    --------
    >>> get_window("hann", 4).round(12).tolist()
    [0.0, 0.5, 1.0, 0.5]
    >>> get_window(("tukey", 0.5), 4).tolist()
    [0.0, 1.0, 1.0, 1.0]
    """
    nperseg = as_int(nperseg, "nperseg", minimum=1)
    if isinstance(window, tuple):
        if len(window) != 2 or window[0] != "tukey":
            raise ValueError(f"window={window!r}: the only tuple window is ('tukey', alpha)")
        alpha = window[1]
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"tukey alpha must be a real number, got {alpha!r}")
        alpha = float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"tukey alpha={alpha!r} must be within [0, 1]")
        if nperseg == 1 or alpha == 0.0:
            return np.ones(nperseg)
        pos = np.arange(nperseg) / nperseg  # position within the symmetric N + 1 window
        edge = np.minimum(pos, 1.0 - pos)  # distance from the nearer end, 0..0.5
        taper = 0.5 * (1.0 - np.cos(2.0 * np.pi * edge / alpha))
        return np.where(edge < alpha / 2.0, taper, 1.0)
    if not isinstance(window, str):
        raise TypeError(f"window must be a name such as 'hann', got {window!r}")
    if window not in _COSINE_COEFFS:
        raise ValueError(
            f"unknown window={window!r}; use one of {', '.join(map(repr, WINDOWS))}, "
            "('tukey', alpha) or pass the window as an array"
        )
    if nperseg == 1:
        return np.ones(1)
    phase = 2.0 * np.pi * np.arange(nperseg) / nperseg
    win = np.zeros(nperseg)
    for k, coeff in enumerate(_COSINE_COEFFS[window]):
        win += (-1) ** k * coeff * np.cos(k * phase)
    return win


# --------------------------------------------------------------------------------------
# the framed one-sided DFT shared by stft and spectrogram


@dataclass(frozen=True)
class _Plan:
    nperseg: int
    nstep: int
    nfft: int
    dtype: type  # float32 or float64, the working precision
    win: np.ndarray  # window times sqrt(scale), working dtype
    bin_gain: np.ndarray | None  # per-bin factor after the DFT (one-sided doubling)
    basis: np.ndarray | None  # orthonormal detrend basis, (nperseg, 1 or 2)
    detrend_func: Callable[[np.ndarray], np.ndarray] | None
    dft: np.ndarray | None  # (nperseg, 2 K): columns re0, im0, re1, ... or re..., im...
    power: bool  # the matrix is laid out for |z|^2 (re... then im...)

    @property
    def n_onesided(self) -> int:
        return self.nfft // 2 + 1


def _detrend_basis(kind: str | None, nperseg: int) -> np.ndarray | None:
    """Orthonormal basis of what a detrend removes: constants, or lines too."""
    if kind is None:
        return None
    cols = [np.full(nperseg, 1.0 / math.sqrt(nperseg))]
    if kind == "linear" and nperseg > 1:
        ramp = np.arange(nperseg) - (nperseg - 1) / 2.0
        cols.append(ramp / np.linalg.norm(ramp))
    return np.stack(cols, axis=1)


def _make_plan(
    win: np.ndarray,
    *,
    nperseg: int,
    noverlap: int,
    nfft: int,
    scale: float,
    doubled: bool,
    detrend: str | Callable | None,
    dtype: type,
    power: bool = False,
    method: str = "auto",
) -> _Plan:
    """Fold window, scale, detrend and one-sided doubling into one linear map."""
    n_bins = nfft // 2 + 1
    gain = np.ones(n_bins)
    if doubled:  # a one-sided power spectrum counts each +-f pair once
        gain[1 : n_bins - (nfft % 2 == 0)] = math.sqrt(2.0)
    win_scaled = win * math.sqrt(scale)
    basis = _detrend_basis(detrend, nperseg) if isinstance(detrend, str) else None
    func = detrend if callable(detrend) else None
    if method == "auto":
        method = "matmul" if nperseg * n_bins <= _MATMUL_MAX else "fft"
    dft = None
    if method == "matmul":
        n = np.arange(nperseg)[:, None]
        k = np.arange(n_bins)[None, :]
        angle = (2.0 * np.pi / nfft) * ((n * k) % nfft)  # reduce mod nfft for accuracy
        cos = np.cos(angle) * win_scaled[:, None] * gain
        sin = -np.sin(angle) * win_scaled[:, None] * gain
        if basis is not None:  # (x - Q Q^T x)^T M = x^T (M - Q Q^T M)
            cos -= basis @ (basis.T @ cos)
            sin -= basis @ (basis.T @ sin)
        if power:  # |z|^2 is then a sum of two contiguous halves
            dft = np.concatenate([cos, sin], axis=1).astype(dtype)
        else:  # interleaved, so the product can be viewed as complex
            dft = np.empty((nperseg, 2 * n_bins))
            dft[:, 0::2] = cos
            dft[:, 1::2] = sin
            dft = dft.astype(dtype)
    elif method != "fft":
        raise ValueError(f"method={method!r} must be 'auto', 'matmul' or 'fft'")
    return _Plan(
        nperseg=nperseg,
        nstep=nperseg - noverlap,
        nfft=nfft,
        dtype=dtype,
        win=win_scaled.astype(dtype),
        bin_gain=None if not doubled else gain.astype(dtype),
        basis=None if basis is None else basis.astype(dtype),
        detrend_func=func,
        dft=dft,
        power=power,
    )


def _detrended_by_callable(frames: np.ndarray, plan: _Plan) -> np.ndarray:
    if plan.detrend_func is None:
        return frames
    seg = plan.detrend_func(np.array(frames))  # a copy: the callable may work in place
    if not isinstance(seg, np.ndarray) or seg.shape != frames.shape:
        raise ValueError(
            f"detrend callable must return an array of shape {frames.shape} "
            f"(detrended along the last axis), got {getattr(seg, 'shape', type(seg))}"
        )
    return seg.astype(plan.dtype, copy=False)


def _rfft_frames(frames: np.ndarray, plan: _Plan) -> np.ndarray:
    """Transform frames with np.fft.rfft: detrend, window, DFT, per-bin gain."""
    if plan.basis is not None:
        seg = frames - (frames @ plan.basis) @ plan.basis.T
        seg *= plan.win
    else:
        seg = frames * plan.win
    z = np.fft.rfft(seg, n=plan.nfft, axis=-1)
    if plan.bin_gain is not None:
        z *= plan.bin_gain
    return z


def _dft_product(frames: np.ndarray, plan: _Plan) -> np.ndarray:
    """Multiply every frame by the DFT matrix: (rows, T, nperseg) -> (rows * T, 2 K).

    The product runs as a stack of small matrix products of at most `_GEMM_SIZE`
    multiply-adds each. OpenBLAS runs products that small on one thread, and one
    thread is what this workload wants: with two threads on a busy machine the same
    product was 4-10 times slower than single-threaded (``OPENBLAS_NUM_THREADS=1``
    vs 2 with ``benchmarks/bench_features.py --paths`` under load), while on an idle
    machine the threads gained little against the framing and transposes around it.
    """
    nperseg, cols = plan.dft.shape
    flat = np.ascontiguousarray(frames).reshape(-1, nperseg)  # the framed copy
    out = np.empty((flat.shape[0], cols), dtype=plan.dtype)
    per_slice = max(1, _GEMM_SIZE // (nperseg * cols))
    full = flat.shape[0] // per_slice * per_slice
    np.matmul(flat[:full].reshape(-1, per_slice, nperseg), plan.dft,
              out=out[:full].reshape(-1, per_slice, cols))
    if full < flat.shape[0]:
        np.matmul(flat[full:], plan.dft, out=out[full:])
    return out


def _onesided(frames: np.ndarray, plan: _Plan) -> np.ndarray:
    """Scaled one-sided DFT of each frame: (rows, n_frames, nperseg) -> (rows, n_frames, K)."""
    rows, n_frames, _ = frames.shape
    frames = _detrended_by_callable(frames, plan)
    if plan.dft is None:
        return _rfft_frames(frames, plan)
    z = _dft_product(frames, plan)  # (rows * n_frames, 2 K): re, im interleaved
    z[:, 1] = 0.0  # bin 0 of a real signal is real: exact zeros keep np.angle stable
    if plan.nfft % 2 == 0:
        z[:, -1] = 0.0  # and so is the Nyquist bin
    complex_dtype = np.complex64 if plan.dtype == np.float32 else np.complex128
    return z.view(complex_dtype).reshape(rows, n_frames, plan.n_onesided)


def _onesided_power(frames: np.ndarray, plan: _Plan) -> np.ndarray:
    """Scaled one-sided |DFT|^2 of each frame: (rows, n_frames, K), real."""
    rows, n_frames, _ = frames.shape
    frames = _detrended_by_callable(frames, plan)
    if plan.dft is None:
        z = _rfft_frames(frames, plan)
        power = z.real * z.real
        power += z.imag * z.imag
        return power
    if not plan.power:
        raise RuntimeError("internal: a power spectrum needs a plan made with power=True")
    n_bins = plan.n_onesided
    z = _dft_product(frames, plan)  # (rows * n_frames, 2 K): all re, then all im
    np.square(z, out=z)
    power = z[:, :n_bins]
    power += z[:, n_bins:]
    return power.reshape(rows, n_frames, n_bins)


def _mirror(z: np.ndarray, nfft: int, power: bool) -> np.ndarray:
    """Two-sided spectrum from a one-sided one (real input): Z[-k] = conj(Z[k])."""
    neg = z[..., 1 : nfft - z.shape[-1] + 1][..., ::-1]
    return np.concatenate([z, neg if power else np.conj(neg)], axis=-1)


def _framed_transform(
    x2: np.ndarray, plan: _Plan, *, onesided: bool, mode: str
) -> np.ndarray:
    """Run the plan over a (batch, n) array block by block; return (batch, F, T)."""
    batch, length = x2.shape
    n_frames = (length - plan.nperseg) // plan.nstep + 1
    frames = sliding_window_view(x2, plan.nperseg, axis=-1)[:, :: plan.nstep, :]
    n_freqs = plan.n_onesided if onesided else plan.nfft
    real_out = mode in ("psd", "magnitude", "angle", "phase")
    complex_dtype = np.complex64 if plan.dtype == np.float32 else np.complex128
    out = np.empty((batch, n_freqs, n_frames), dtype=plan.dtype if real_out else complex_dtype)
    rows_per_block = max(1, _BLOCK_VALUES // (n_frames * plan.nperseg))
    for start in range(0, batch, rows_per_block):
        stop = min(batch, start + rows_per_block)
        if mode == "psd":
            block = _onesided_power(frames[start:stop], plan)  # (rows, T, K)
        elif mode == "magnitude":
            block = np.abs(_onesided(frames[start:stop], plan))
        else:
            block = _onesided(frames[start:stop], plan)
        if not onesided:
            block = _mirror(block, plan.nfft, power=mode in ("psd", "magnitude"))
        if mode in ("angle", "phase"):
            block = np.angle(block)
            if mode == "phase":
                block = np.unwrap(block, axis=-1)  # along frequency, as SciPy does
        out[start:stop] = block.transpose(0, 2, 1)
    return out


def _extend(x2: np.ndarray, boundary: str | None, padded: bool, nperseg: int, nstep: int):
    """SciPy's boundary extension by nperseg // 2 each side, then zero padding."""
    half = nperseg // 2 if boundary is not None else 0
    batch, n = x2.shape
    length = n + 2 * half
    nadd = (-(length - nperseg) % nstep) % nperseg if padded else 0
    if half == 0 and nadd == 0:
        return x2
    ext = np.zeros((batch, length + nadd), dtype=x2.dtype)
    ext[:, half : half + n] = x2
    if half and boundary != "zeros":
        left = x2[:, 1 : half + 1][:, ::-1]  # x[half], ..., x[1]
        right = x2[:, n - 1 - half : n - 1][:, ::-1]  # x[n-2], ..., x[n-1-half]
        if boundary == "even":
            ext[:, :half] = left
            ext[:, half + n : length] = right
        elif boundary == "odd":
            ext[:, :half] = 2 * x2[:, :1] - left
            ext[:, half + n : length] = 2 * x2[:, -1:] - right
        else:  # "constant": repeat the end samples
            ext[:, :half] = x2[:, :1]
            ext[:, half + n : length] = x2[:, -1:]
    return ext


# --------------------------------------------------------------------------------------
# public transforms


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
    onesided = _as_bool(return_onesided, "return_onesided")
    if boundary is not None:
        _choice(boundary, "boundary", (*_BOUNDARIES, None))
    padded = _as_bool(padded, "padded")
    _choice(scaling, "scaling", ("spectrum", "psd"))
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
    onesided = _as_bool(return_onesided, "return_onesided")
    _choice(scaling, "scaling", ("density", "spectrum"))
    _choice(mode, "mode", _MODES)
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
    if isinstance(floor_db, bool) or not isinstance(floor_db, numbers.Real):
        raise TypeError(f"floor_db must be a real number of decibels, got {floor_db!r}")
    if not math.isfinite(floor_db):
        raise ValueError(f"floor_db={floor_db!r} must be finite")
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
    return _decibels(power.copy(), 10.0, float(floor_db))


def _decibels(values: np.ndarray, factor: float, floor_db: float) -> np.ndarray:
    """Return ``max(factor * log10(values), floor_db)``, overwriting `values`."""
    with np.errstate(divide="ignore"):  # log(0) = -inf, then floored
        np.log(values, out=values)  # ln is SIMD-vectorised for float32, log10 is not
    values *= values.dtype.type(factor / math.log(10.0))
    return np.maximum(values, values.dtype.type(floor_db), out=values)


def _as_numeric(a: object, name: str) -> np.ndarray:
    """Return `a` as a finite float32/float64/complex64/complex128 array."""
    if isinstance(a, (str, bytes)) or a is None:
        raise TypeError(f"{name} must be a numeric array, got {type(a).__name__}")
    try:
        arr = np.asarray(a)
    except Exception as exc:
        raise TypeError(f"{name} must be a numeric array: {exc}") from None
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    small = _real_dtype(arr.dtype) == np.float32
    if np.iscomplexobj(arr):
        arr = arr.astype(np.complex64 if small else np.complex128, copy=False)
        if not np.isfinite(arr).all():
            bad = int(np.count_nonzero(~np.isfinite(arr)))
            raise ValueError(f"{name} holds {bad} NaN or infinite value(s)")
    else:
        arr = arr.astype(np.float32 if small else np.float64, copy=False)
        _check_finite(arr, name)
    return arr


@dataclass(frozen=True, eq=False)
class FrequencyNormalizer:
    """Per-frequency-bin standardisation of spectrograms, fitted on training data only.

    ``transform`` maps ``S[..., k, :]`` to ``(S[..., k, :] - mean[k]) / std[k]``.
    Fit it on the training images (after :func:`log_power` usually), then apply the
    same frozen statistics to validation and test images, so nothing about the test
    set leaks into the features.

    Attributes
    ----------
    mean : numpy.ndarray
        float64, shape (n_freqs,): mean of each bin over examples and frames.
    std : numpy.ndarray
        float64, shape (n_freqs,), all > 0: the bin's standard deviation, or 1.0 for a
        bin whose spread was <= `min_std` at fitting (such a bin is only centred).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(3.0, 2.0, size=(100, 4, 10))
    >>> norm = FrequencyNormalizer.fit(train)
    >>> z = norm.transform(train)
    >>> bool(np.allclose(z.mean(axis=(0, 2)), 0)), bool(np.allclose(z.std(axis=(0, 2)), 1))
    (True, True)
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        mean = _as_numeric(self.mean, "mean")
        std = _as_numeric(self.std, "std")
        if np.iscomplexobj(mean) or np.iscomplexobj(std):
            raise TypeError("mean and std must be real")
        if mean.ndim != 1 or mean.shape != std.shape or mean.size == 0:
            raise ValueError(
                f"mean and std must be non-empty 1-D arrays of one length, got shapes "
                f"{mean.shape} and {std.shape}"
            )
        if std.min() <= 0:
            raise ValueError(f"std must be > 0 in every bin, got min {float(std.min())!r}")
        for name, arr in (("mean", mean), ("std", std)):
            arr = np.array(arr, dtype=np.float64)  # our own read-only copy
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_freqs(self) -> int:
        """Number of frequency bins the statistics describe."""
        return int(self.mean.size)

    @classmethod
    def fit(cls, S: np.ndarray, *, min_std: float = 1e-6) -> FrequencyNormalizer:
        """Estimate each frequency bin's mean and standard deviation from training data.

        Parameters
        ----------
        S : array_like, shape (..., n_freqs, n_frames)
            Training spectrograms (any leading batch shape).
        min_std : float, default 1e-6
            Bins whose standard deviation is <= this are left unscaled (std = 1).

        Returns
        -------
        FrequencyNormalizer

        Raises
        ------
        TypeError
            If `S` is not real numeric.
        ValueError
            If `S` is not at least 2-D, holds no examples, or is not finite; or
            `min_std` is not positive.
        """
        min_std = as_fs(min_std, "min_std")
        S = _real_spectrograms(S, "S")
        if S.size == 0:
            raise ValueError(f"S holds no spectrograms to fit (shape {S.shape})")
        n_freqs, n_frames = S.shape[-2:]
        S3 = S.reshape(-1, n_freqs, n_frames)
        # two passes in float64 over blocks of examples: no full-size temporaries
        rows = max(1, _BLOCK_VALUES * 4 // (n_freqs * n_frames))
        blocks = [S3[i : i + rows] for i in range(0, S3.shape[0], rows)]
        count = S3.shape[0] * n_frames
        mean = sum(b.sum(axis=(0, 2), dtype=np.float64) for b in blocks) / count
        sq = np.zeros(n_freqs)
        for b in blocks:
            dev = b - mean[:, None]  # float64
            sq += np.einsum("bft,bft->f", dev, dev)
        std = np.sqrt(sq / count)
        return cls(mean=mean, std=np.where(std > min_std, std, 1.0))

    def transform(self, S: np.ndarray) -> np.ndarray:
        """Standardise spectrograms with the fitted statistics.

        Parameters
        ----------
        S : array_like, shape (..., n_freqs, n_frames)
            Spectrograms with the same frequency bins as the training data.

        Returns
        -------
        numpy.ndarray
            Same shape; float32 for float32 input, else float64.

        Raises
        ------
        TypeError
            If `S` is not real numeric.
        ValueError
            If `S` is not finite or its n_freqs differs from the fitted one.
        """
        S = _real_spectrograms(S, "S")
        if S.shape[-2] != self.n_freqs:
            raise ValueError(
                f"S has {S.shape[-2]} frequency bins (shape {S.shape}) but the normalizer "
                f"was fitted on {self.n_freqs}"
            )
        mean = self.mean.astype(S.dtype)[:, None]
        std = self.std.astype(S.dtype)[:, None]
        return (S - mean) / std

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``mean`` and ``std`` as plain arrays to an ``.npz`` file, atomically.

        Parameters
        ----------
        path : str or path-like
            Destination; ``.npz`` is appended when missing.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        return save_npz_atomic(path, mean=self.mean, std=self.std)

    @classmethod
    def load(cls, path: str | os.PathLike) -> FrequencyNormalizer:
        """Read a normalizer written by :meth:`save` (no pickles are loaded).

        Parameters
        ----------
        path : str or path-like
            An ``.npz`` file holding the arrays ``mean`` and ``std``.

        Returns
        -------
        FrequencyNormalizer

        Raises
        ------
        ValueError
            If the file lacks ``mean`` or ``std`` or they are invalid.
        """
        with np.load(path, allow_pickle=False) as data:
            missing = {"mean", "std"} - set(data.files)
            if missing:
                raise ValueError(
                    f"{path} is not a saved FrequencyNormalizer: missing {sorted(missing)}"
                )
            return cls(mean=data["mean"], std=data["std"])


def _real_spectrograms(S: object, name: str) -> np.ndarray:
    arr = _as_numeric(S, name)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real (e.g. log_power output), got dtype {arr.dtype}")
    if arr.ndim < 2:
        raise ValueError(f"{name} must be at least 2-D (..., n_freqs, n_frames), got {arr.shape}")
    return arr
