"""Periodic analysis windows for the STFT, and the default segment they span.

:func:`get_window` returns the windows as SciPy's ``get_window`` does (periodic, not
symmetric); :data:`DEFAULT_NPERSEG` and :data:`DEFAULT_NOVERLAP` are the ECG choices
explained in :mod:`heartbeat.windows.spectral`.
"""

from __future__ import annotations

import numpy as np

from heartbeat._validate import as_positive_int, as_real

__all__ = ["DEFAULT_NOVERLAP", "DEFAULT_NPERSEG", "WINDOWS", "get_window"]

DEFAULT_NPERSEG = 64
"""Default segment length: 64 samples = 178 ms at 360 Hz (why: :mod:`.spectral`)."""

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
    nperseg = as_positive_int(nperseg, "nperseg")
    if isinstance(window, tuple):
        if len(window) != 2 or window[0] != "tukey":
            raise ValueError(f"window={window!r}: the only tuple window is ('tukey', alpha)")
        alpha = as_real(window[1], "tukey alpha", low=0.0, high=1.0)
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
