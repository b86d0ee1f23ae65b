"""Polyphase resampling in NumPy, numerically equal to SciPy's ``resample_poly``.

Step 0 of the Kachuee 2018 pipeline: the paper works on ECG at 125 Hz, so every
input is first brought to 125 Hz.  SciPy is not needed: the anti-aliasing filter is
designed here (a Kaiser-windowed sinc, as ``scipy.signal.firwin`` designs it for
``resample_poly``) and applied with a vectorised polyphase product that never builds
the zero-stuffed, upsampled signal.

Public functions: :func:`resample_ratio`, :func:`lowpass_filter`,
:func:`resample_poly`, :func:`resample`.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from heartbeat._validate import as_fs, as_int, as_signal

__all__ = ["KAISER_BETA", "MAX_DENOMINATOR", "lowpass_filter", "resample", "resample_poly",
           "resample_ratio"]

KAISER_BETA = 5.0  # SciPy's default window for resample_poly: ("kaiser", 5.0)
MAX_DENOMINATOR = 2000  # every integer fs up to 2000 Hz gets an exact ratio to 125 Hz
_BLOCK_MACS = 1 << 18  # multiply-adds per matrix product: small enough for one BLAS thread
_FILTER_ELEMENTS = 1 << 20  # largest dense polyphase matrix per group of phases


def resample_ratio(
    fs: float, fs_out: float = 125.0, *, max_denominator: int = MAX_DENOMINATOR
) -> tuple[int, int]:
    """Return the reduced integer factors ``(up, down)`` with ``fs * up / down ≈ fs_out``.

    Parameters
    ----------
    fs : float
        Input sampling frequency in Hz.
    fs_out : float, default 125.0
        Wanted output sampling frequency in Hz.
    max_denominator : int, default 2000
        Largest `down` allowed.  When ``fs_out / fs`` needs a larger denominator, the
        closest fraction with ``down <= max_denominator`` is used.

    Returns
    -------
    up, down : int
        Coprime factors; the output rate is exactly ``fs * up / down``.

    Raises
    ------
    TypeError
        If `fs`, `fs_out` or `max_denominator` is not a number / integer.
    ValueError
        If `fs` or `fs_out` is not finite and > 0, or `fs` is so much larger than
        `fs_out` that no fraction with ``down <= max_denominator`` approximates it.

    Notes
    -----
    Not in the paper, which starts from data already at 125 Hz.  The ratio of the two
    floats is taken exactly (``Fraction``), so 360 -> 125 Hz gives ``(25, 72)``
    and every integer `fs` up to 2000 Hz gives an exact ratio to 125 Hz.

    Examples
    --------
    >>> resample_ratio(360.0)
    (25, 72)
    >>> resample_ratio(250.0)
    (1, 2)
    """
    fs = as_fs(fs, "fs")
    fs_out = as_fs(fs_out, "fs_out")
    max_denominator = as_int(max_denominator, "max_denominator", minimum=1)
    return _resample_ratio(fs, fs_out, max_denominator)


def _resample_ratio(fs: float, fs_out: float, max_denominator: int = MAX_DENOMINATOR
                    ) -> tuple[int, int]:
    """:func:`resample_ratio` for checked arguments (finite floats > 0, an int >= 1)."""
    ratio = Fraction(fs_out) / Fraction(fs)
    if ratio.denominator > max_denominator:
        ratio = ratio.limit_denominator(max_denominator)
    if ratio.numerator == 0:
        raise ValueError(
            f"fs={fs!r} is too high to resample to fs_out={fs_out!r} with "
            f"down <= max_denominator={max_denominator}; raise max_denominator"
        )
    return ratio.numerator, ratio.denominator


def lowpass_filter(up: int, down: int, *, beta: float = KAISER_BETA) -> np.ndarray:
    """Return the anti-aliasing FIR filter that :func:`resample_poly` applies.

    Parameters
    ----------
    up, down : int
        Coprime resampling factors (see :func:`resample_ratio`).
    beta : float, default 5.0
        Shape parameter of the Kaiser window.

    Returns
    -------
    ndarray of float64, shape (20 * max(up, down) + 1,)
        Linear-phase low-pass taps with cutoff ``1 / max(up, down)`` of the
        upsampled Nyquist frequency, scaled to a DC gain of `up`.

    Raises
    ------
    TypeError
        If `up` or `down` is not an integer.
    ValueError
        If `up` or `down` is < 1.

    Notes
    -----
    The design of ``scipy.signal.firwin(2 * half_len + 1, 1 / max_rate,
    window=("kaiser", 5.0))`` with ``half_len = 10 * max_rate``, as
    ``scipy.signal.resample_poly`` uses by default: a sinc truncated to
    ``2 * half_len + 1`` taps, multiplied by ``numpy.kaiser`` and normalised to unit
    sum, then multiplied by `up`.  Not in the paper.

    Examples
    --------
    >>> h = lowpass_filter(25, 72)
    >>> h.shape, round(float(h.sum()), 12)
    ((1441,), 25.0)
    """
    up = as_int(up, "up", minimum=1)
    down = as_int(down, "down", minimum=1)
    return _lowpass_taps(up, down, float(beta)).copy()


@functools.lru_cache(maxsize=16)
def _lowpass_taps(up: int, down: int, beta: float) -> np.ndarray:
    """Return :func:`lowpass_filter`'s taps, designed once per ratio (read-only).

    ``segment`` on many short signals, and the stream, would otherwise redesign the
    same filter on every call.
    """
    max_rate = max(up, down)
    half_len = 10 * max_rate
    n_taps = 2 * half_len + 1
    cutoff = 1.0 / max_rate
    m = np.arange(n_taps) - 0.5 * (n_taps - 1)
    h = cutoff * np.sinc(cutoff * m)
    h *= np.kaiser(n_taps, beta)
    h /= h.sum()
    h *= up
    h.flags.writeable = False
    return h


def _polyphase(x: np.ndarray, h: np.ndarray, up: int, down: int, n_out: int) -> np.ndarray:
    """``y[k] = sum_i x[i] h[k*down + half_len - i*up]``, zeros outside `x` and `h`.

    Output ``k = m*up + r`` (block `m`, phase `r`) only needs the taps
    ``h[ph_r + j*up]`` against ``x[m*down + a_r - j]``.  For a group of phases this is
    one matrix product: the block's input span (a strided view of the zero-padded
    input, `down` samples apart) times a small dense matrix holding each phase's taps.
    """
    n = x.size
    n_taps = h.size
    half_len = (n_taps - 1) // 2
    r = np.arange(up)
    num = r * down + half_len
    a = num // up  # newest input sample of phase r in block 0
    ph = num % up  # first tap of phase r
    k = (n_taps - 1 - ph) // up + 1  # taps of phase r
    n_blocks = -(-n_out // up)
    lo_all = int((a - k + 1).min())
    hi_all = int(a.max())
    pad_left = max(0, -lo_all)
    total = pad_left + max(n, (n_blocks - 1) * down + hi_all + 1)
    xp = np.zeros(total)
    xp[pad_left : pad_left + n] = x

    out = np.empty((n_blocks, up))
    group = max(1, min(up, _FILTER_ELEMENTS // (int(k.max()) + down + 1)))
    for g0 in range(0, up, group):
        g1 = min(up, g0 + group)
        a_g, ph_g, k_g = a[g0:g1], ph[g0:g1], k[g0:g1]
        lo = int((a_g - k_g + 1).min())
        width = int(a_g.max()) - lo + 1
        j = np.arange(int(k_g.max()))
        used = j[None, :] < k_g[:, None]  # (phases, taps)
        rows = (a_g[:, None] - j[None, :] - lo)[used]
        cols = np.broadcast_to(np.arange(g1 - g0)[:, None], used.shape)[used]
        taps = h[(ph_g[:, None] + up * j[None, :])[used]]
        mat = np.zeros((width, g1 - g0))  # (width, phases)
        mat[rows, cols] = taps
        view = sliding_window_view(xp, width)[pad_left + lo :: down][:n_blocks]
        step = max(1, _BLOCK_MACS // (width * (g1 - g0)))
        for m0 in range(0, n_blocks, step):
            block = np.ascontiguousarray(view[m0 : m0 + step])  # (rows, width)
            out[m0 : m0 + step, g0:g1] = block @ mat
    return out.reshape(-1)[:n_out]


def resample_poly(x: object, up: int, down: int) -> np.ndarray:
    """Resample `x` by the rational factor ``up / down`` with a polyphase FIR filter.

    Parameters
    ----------
    x : array_like, shape (n,)
        Finite samples.
    up, down : int
        Upsampling and downsampling factors (reduced by their gcd first).

    Returns
    -------
    ndarray of float64, shape (ceil(n * up / down),)
        The resampled signal; a copy of `x` when ``up == down``.

    Raises
    ------
    TypeError
        If `x` is not a real numeric array or `up` / `down` is not an integer.
    ValueError
        If `x` is not 1-D or holds NaN/inf, or `up` / `down` < 1.

    Notes
    -----
    Numerically the same as ``scipy.signal.resample_poly(x, up, down)`` with its
    defaults (Kaiser window, beta 5, zero padding outside `x`, output sample `k` at
    input time ``k * down / up``): the tests ask for agreement within 1e-10 of
    ``max(abs(x))``.  The work is ``n * up / down`` outputs times about
    ``20 * max(up, down) / up`` taps (plus the zero entries of a dense per-block
    matrix), done as matrix products on blocks of the input; memory stays bounded
    for any length.  Not in the paper, whose data were already at 125 Hz.

    Examples
    --------
    >>> import numpy as np
    >>> y = resample_poly(np.ones(720), 25, 72)
    >>> y.shape, bool(abs(y[100] - 1) < 1e-3)
    ((250,), True)
    """
    x = as_signal(x, "x")
    return _resample_poly(x, as_int(up, "up", minimum=1), as_int(down, "down", minimum=1))


def _resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """:func:`resample_poly` on a checked float64 array and positive factors."""
    g = math.gcd(up, down)
    up //= g
    down //= g
    if up == down:
        return x.copy()
    n_out = -(-x.size * up // down)
    if n_out == 0:
        return np.zeros(0)
    return _polyphase(x, _lowpass_taps(up, down, KAISER_BETA), up, down, n_out)


def resample(x: object, fs: float, fs_out: float = 125.0) -> np.ndarray:
    """Resample a signal sampled at `fs` Hz to `fs_out` Hz.

    Parameters
    ----------
    x : array_like, shape (n,)
        Finite samples.
    fs : float
        Sampling frequency of `x` in Hz.
    fs_out : float, default 125.0
        Output sampling frequency in Hz (the paper's 125 Hz).

    Returns
    -------
    ndarray of float64
        ``resample_poly(x, up, down)`` with ``(up, down) = resample_ratio(fs, fs_out)``.

    Raises
    ------
    TypeError
        If `x` is not a real numeric array or `fs` / `fs_out` is not a number.
    ValueError
        If `x` is not 1-D or holds NaN/inf, or `fs` / `fs_out` is not finite and > 0.

    See Also
    --------
    resample_ratio : the factors used, and the exact output rate ``fs * up / down``.

    Notes
    -----
    The paper's data (MIT-BIH at 360 Hz) reached 125 Hz before its step (1); how is
    not stated.  This is SciPy's default polyphase resampler, reimplemented.

    Examples
    --------
    >>> import numpy as np
    >>> resample(np.zeros(3600), 360.0).shape
    (1250,)
    """
    x = as_signal(x, "x")
    up, down = resample_ratio(fs, fs_out)
    return _resample_poly(x, up, down)
