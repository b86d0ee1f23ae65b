"""The framed one-sided DFT shared by stft and spectrogram.

A :class:`_Plan` folds the window, the scaling, the detrend projection and the
one-sided doubling into one linear map; :func:`_framed_transform` runs it over a batch
block by block, either as a matrix product (short segments) or with ``np.fft.rfft``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# the matrix-product DFT is used while nperseg * n_onesided_bins stays below this
_MATMUL_MAX = 1 << 14
# multiply-adds per small matrix product: OpenBLAS's one-thread limit (4 * 65536)
_GEMM_SIZE = 1 << 18
# frames per block: keeps each block's framed copy near 2**18 values (1 MiB float32)
_BLOCK_VALUES = 1 << 18


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
