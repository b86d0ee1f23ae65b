"""The detector's per-sample stages as two compiled passes, each with its NumPy twin.

==============  ========================  ==========================
kernel          Numba (``"numba"``)       NumPy twin (``"numpy"``)
==============  ========================  ==========================
``BAND_PASS``   :func:`band_pass_loop`    :func:`band_pass`
``ENVELOPE``    :func:`envelope_loop`     :func:`envelope`
==============  ========================  ==========================

The twins are the detector's vectorised stages (moving means from NumPy's ``cumsum``,
:func:`heartbeat._detect_kernels.moving_mean`).  The loops compute the same numbers
bit for bit, without the full-length temporaries: each moving mean keeps the last
``n + 1`` values of its cumulative sum in a small ring and adds the same values in the
same order as ``cumsum`` (edge padding included), so ``(c[i + n] - c[i]) / n`` is the
same subtraction and the same division.  Both kernels write into arrays the caller
allocates, so a caller sees (and ``tracemalloc`` counts) all the memory they use
beyond a few rings of at most a window's length.

Window lengths arrive as arguments, read from :mod:`heartbeat.detect`'s constants at
call time; nothing is baked into the compiled code.
"""

from __future__ import annotations

import numpy as np

from heartbeat._detect_kernels import moving_mean
from heartbeat._jit import Kernel


def centring(x: np.ndarray) -> tuple[np.ndarray, float, float] | None:
    """Return `x`, `shift` and `scale` such that ``(x - shift) * scale`` is `x` centred.

    Centred on a median (of at most ~4096 samples) and scaled by a power of two to a
    peak magnitude in [0.5, 1): conditions the sums, rules out overflow and underflow,
    and keeps polarity and power-of-two scaling exact.  None for a constant signal.
    Near the ends of float64 the returned array is already centred and scaled (a new
    array, with shift 0 and scale 1); otherwise it is `x` itself.
    """
    low, high = float(x.min()), float(x.max())
    if low == high:  # a constant (a lead off, a flat line): found before paying a median
        return None
    sample = x[:: max(1, x.size // 4096)]
    if np.abs(sample).max() > 2.0**1000:  # near float64's end a median's mean of two
        sample, x = sample * 2.0**-64, x * 2.0**-64  # values overflows: scale, exactly
        low, high = low * 2.0**-64, high * 2.0**-64  # (monotone: the scaled extremes)
    shift = float(np.median(sample))
    # max(x - shift) is max(x) - shift: a subtraction rounds monotonically
    peak = max(high - shift, -(low - shift))
    exponent = int(np.frexp(peak)[1])
    if -1000 < exponent < 1000:
        if not x.flags.c_contiguous or not x.flags.writeable:  # one compiled type only
            x = x.copy()
        return x, shift, 2.0**-exponent  # exact: a power of two
    # near the ends of float64 (2.0**-exponent itself would overflow)
    return np.ldexp(x - shift, -exponent), 0.0, 1.0


def band_pass(
    x: np.ndarray, shift: float, scale: float, n_lp: int, n_hp: int,
    bp: np.ndarray, work: np.ndarray,
) -> None:
    """Write the band-passed centred signal into `bp` (the NumPy twin).

    Parameters
    ----------
    x : ndarray of float64, shape (m,)
        The raw signal; the filter sees ``(x - shift) * scale``.
    shift, scale : float
        Centre and scale of the signal (the detector's median and power of two).
    n_lp, n_hp : int
        Lengths (odd) of the low-pass and of the high-pass moving means.
    bp : ndarray of float64, shape (m,)
        Receives ``mm(mm(xc, n_lp), n_lp) - mm(mm(xc, n_hp), n_hp)``, where ``mm`` is
        :func:`heartbeat._detect_kernels.moving_mean` and ``xc`` the centred signal.
    work : ndarray of float64, shape (m,)
        Scratch space (the centred signal here, the first high-pass mean in the loop).
    """
    xc = np.subtract(x, shift, out=work)
    xc *= scale
    bp[:] = moving_mean(moving_mean(xc, n_lp), n_lp)
    bp -= moving_mean(moving_mean(xc, n_hp), n_hp)


def band_pass_loop(
    x: np.ndarray, shift: float, scale: float, n_lp: int, n_hp: int,
    bp: np.ndarray, work: np.ndarray,
) -> None:
    """Loop twin of :func:`band_pass` for windows of 3 samples or more.

    Two passes, each running two cumulative sums side by side.  Pass 1 writes the
    first low-pass mean into `bp` and the first high-pass mean into `work`; pass 2
    replaces `bp` by the difference of the second means, in place (the mean at ``i``
    is written after its input up to ``i + n // 2`` has been read).
    """
    last = x.shape[0] - 1
    ha = n_lp // 2
    hb = n_hp // 2
    ra = 1  # ring sizes: powers of two above the window, so an index is a mask
    while ra <= n_lp:
        ra *= 2
    rb = 1
    while rb <= n_hp:
        rb *= 2
    ring_a = np.empty(ra)
    ring_b = np.empty(rb)
    for second in (False, True):
        # the cumulative sums c[0] ... c[n - 1] of the edge-padded inputs (cumsum's
        # order); pass 1 centres as it reads, pass 2 reads what pass 1 wrote
        acc_a = 0.0
        acc_b = 0.0
        ring_a[0] = 0.0
        ring_b[0] = 0.0
        for s in range(1, n_hp):
            ia = min(max(s - 1 - ha, 0), last)
            ib = min(max(s - 1 - hb, 0), last)
            if s < n_lp:
                acc_a += bp[ia] if second else (x[ia] - shift) * scale
                ring_a[s] = acc_a
            acc_b += work[ib] if second else (x[ib] - shift) * scale
            ring_b[s] = acc_b
        if second:
            for i in range(last + 1):
                acc_a += bp[min(i + ha, last)]
                acc_b += work[min(i + hb, last)]
                ring_a[(i + n_lp) & (ra - 1)] = acc_a
                ring_b[(i + n_hp) & (rb - 1)] = acc_b
                bp[i] = (acc_a - ring_a[i & (ra - 1)]) / n_lp - (
                    acc_b - ring_b[i & (rb - 1)]) / n_hp
        else:
            for i in range(last + 1):
                acc_a += (x[min(i + ha, last)] - shift) * scale
                acc_b += (x[min(i + hb, last)] - shift) * scale
                ring_a[(i + n_lp) & (ra - 1)] = acc_a
                ring_b[(i + n_hp) & (rb - 1)] = acc_b
                bp[i] = (acc_a - ring_a[i & (ra - 1)]) / n_lp
                work[i] = (acc_b - ring_b[i & (rb - 1)]) / n_hp


def envelope(
    bp: np.ndarray, k: int, n_env: int, step: int, slope_sq: np.ndarray,
    sub: np.ndarray, cand: np.ndarray, cand_energy: np.ndarray,
) -> int:
    """Squared slope, envelope², its local maxima and a subsample (the NumPy twin).

    Parameters
    ----------
    bp : ndarray of float64, shape (m,), m >= 3
        The band-passed signal.
    k : int
        The slope is ``bp[i + k] - bp[i - k]`` (zero within `k` of either end).
    n_env : int
        Length (odd) of the moving mean of the squared slope (the envelope²).
    step : int
        `sub` receives every `step`-th envelope² value from the first.
    slope_sq : ndarray of float64, shape (m,)
        Receives the squared slope.
    sub : ndarray of float64, shape (ceil(m / step),)
        Receives ``envelope²[::step]``.
    cand, cand_energy : ndarray of int64 and float64, shape (capacity,)
        Receive the first `capacity` local maxima of the envelope² (where it rises
        and then does not rise: peaks and plateau starts) and its value there.  A
        plateau that rises again yields a spurious candidate; the decision rule then
        keeps the larger one of the two within the refractory time.

    Returns
    -------
    int
        The number of local maxima; when it exceeds the capacity, only the first
        ones were written (call again with larger arrays).
    """
    slope_sq[:] = 0.0
    if bp.size > 2 * k:
        d = slope_sq[k:-k]
        np.subtract(bp[2 * k :], bp[: -2 * k], out=d)
        np.multiply(d, d, out=d)
    energy_sq = moving_mean(slope_sq, n_env)
    sub[:] = energy_sq[::step]
    mid = energy_sq[1:-1]
    keep = mid > energy_sq[:-2]
    keep &= mid >= energy_sq[2:]
    idx = np.flatnonzero(keep) + 1
    n = min(idx.size, cand.size)
    cand[:n] = idx[:n]
    cand_energy[:n] = energy_sq[idx[:n]]
    return idx.size


def envelope_loop(
    bp: np.ndarray, k: int, n_env: int, step: int, slope_sq: np.ndarray,
    sub: np.ndarray, cand: np.ndarray, cand_energy: np.ndarray,
) -> int:
    """Loop twin of :func:`envelope` for `n_env` >= 3: the envelope² is never stored."""
    m = bp.shape[0]
    last = m - 1
    for i in range(min(k, m)):  # zero within k of either end (only there: one pass less)
        slope_sq[i] = 0.0
        slope_sq[last - i] = 0.0
    if m > 2 * k:
        for i in range(k, m - k):
            d = bp[i + k] - bp[i - k]
            slope_sq[i] = d * d
    h = n_env // 2
    r = 1
    while r <= n_env:
        r *= 2
    ring = np.empty(r)
    acc = 0.0
    ring[0] = 0.0
    for s in range(1, n_env):
        acc += slope_sq[min(max(s - 1 - h, 0), last)]
        ring[s] = acc
    capacity = cand.shape[0]
    count = 0
    before = 0.0  # envelope² at i - 2 and i - 1
    prev = 0.0
    next_sub = 0  # the next sample of envelope² that `sub` takes, and its index there
    n_sub = 0  # (a counter, not i // step: an integer division costs more than the rest)
    for i in range(m):
        if n_env > 1:
            acc += slope_sq[min(i + h, last)]
            ring[(i + n_env) & (r - 1)] = acc
            e = (acc - ring[i & (r - 1)]) / n_env
        else:
            e = slope_sq[i]
        if i == next_sub:
            sub[n_sub] = e
            n_sub += 1
            next_sub += step
        if i >= 2 and prev > before and prev >= e:  # i - 1 is a local maximum
            if count < capacity:
                cand[count] = i - 1
                cand_energy[count] = prev
            count += 1
        before = prev
        prev = e
    return count


BAND_PASS = Kernel(numba_loop=band_pass_loop, numpy_twin=band_pass)
ENVELOPE = Kernel(numba_loop=envelope_loop, numpy_twin=envelope)
