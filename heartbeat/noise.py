"""The MIT-BIH noise stress test: noise records, an electrode-motion model and ``nst``.

:func:`add_noise` adds a noise record to an ECG the way PhysioNet's ``nst`` (WFDB
Software Package, G. Moody; Moody, Muldrow & Mark, Computers in Cardiology 11:381-384,
1984) builds the records of the MIT-BIH Noise Stress Test Database: clean for the
first 5 minutes, then noise switched on and off every 2 minutes, scaled to a stated
signal-to-noise ratio.  :func:`read_noise` reads a noise record (the database's
``bw``, ``ma`` or ``em``) and :func:`electrode_motion` models ``em`` for those who do
not have it.

What ``nst`` does, and this module with it (read from ``nst.c`` and ``sigamp.c``):

1. Signal amplitude (``sigamp -a atr``): the peak-to-peak amplitude of each channel
   within -50 ms ... +50 ms (both ends included) of each of the first 300 normal
   beats; the mean after dropping the ``n // 20`` largest and smallest values.
2. Noise amplitude (``sigamp -r``): the RMS of each channel about its own mean in
   each of the first 300 consecutive 1 s windows; the same trimmed mean.
3. ``S = a_sig**2 / 8`` (the power of a sine of that peak-to-peak amplitude),
   ``N = a_noise**2``, ``SNR = 10 log10(S / N)``, so the noise gain of a channel is
   ``r = 10**(-SNR / 20) * sqrt(2) / 4 * a_sig / a_noise``.
4. Protocol: the gain toggles between 0 and ``r`` at 5:00, 7:00, 9:00, ... up to the
   end, so the noise is on from 5:00 to 7:00, off to 9:00, and so on.  The noise
   sample added at sample ``t`` is the noise record's sample ``t`` (the record is
   repeated if shorter); noise channel ``i % n_noise`` goes to ECG channel ``i``.
5. No step at a toggle: at each toggle ``nst`` adds the constant that keeps the
   output at the last sample equal to what it was, ``y = x + g n - z`` with
   ``z = x[s-1] + g n[s-1] - y[s-1]`` (``s`` the toggle sample).

Departures: values are floats in physical units (``nst`` writes integers in ADC
units; the ratio ``a_sig / a_noise`` is the same), and a noise record at another
sampling rate is resampled with :func:`heartbeat.resample.resample` (``nst`` uses
``xform``).
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass

import numpy as np

from heartbeat._validate import (
    as_array,
    as_fs,
    as_indices,
    as_int,
    as_positive,
    as_real,
    as_signal,
    check_finite,
    is_real_dtype,
)

__all__ = [
    "NST_SNRS_DB", "NoisyECG", "add_noise", "electrode_motion", "noise_rms", "nst_gain",
    "nst_protocol", "qrs_amplitude", "read_noise",
]

#: The signal-to-noise ratios (dB) of the MIT-BIH Noise Stress Test Database.
NST_SNRS_DB: tuple[int, ...] = (24, 18, 12, 6, 0, -6)
_N_MEASUREMENTS = 300  # sigamp's NMAX


@dataclass(frozen=True)
class NoisyECG:
    """An ECG with noise added by the ``nst`` protocol.

    Attributes
    ----------
    signal : numpy.ndarray, shape (n_samples, n_channels)
        The noisy ECG (float64, the input's units).
    noise_on : numpy.ndarray of bool, shape (n_samples,)
        True where the protocol adds noise.
    gains : numpy.ndarray, shape (n_channels,)
        The gain ``r`` each channel's noise was multiplied by.
    snr_db : float
        The signal-to-noise ratio asked for.
    fs : float
        Sampling frequency in Hz.
    """

    signal: np.ndarray
    noise_on: np.ndarray
    gains: np.ndarray
    snr_db: float
    fs: float


def _as_2d(x: object, name: str) -> np.ndarray:
    """Return `x` as a finite float64 array of shape (samples, channels)."""
    arr = as_array(x, name)
    if arr.ndim == 1:
        return as_signal(arr, name)[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D (one channel) or 2-D (samples, channels), "
                         f"got shape {arr.shape}")
    if not is_real_dtype(arr.dtype):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    check_finite(arr, name)
    return arr


def _trimmed_mean(values: np.ndarray) -> np.ndarray:
    """Sigamp's trimmed mean of each column: drop the n // 20 smallest and largest."""
    n = values.shape[0]
    low = n // 20
    ordered = np.sort(values, axis=0)[low: n - low]
    return ordered.mean(axis=0)


def qrs_amplitude(signal: object, fs: float, beats: object) -> np.ndarray:
    """Return the QRS amplitude per channel as ``sigamp -a`` measures it for ``nst``.

    Parameters
    ----------
    signal : array_like, shape (n_samples,) or (n_samples, n_channels)
        The ECG.
    fs : float
        Sampling frequency in Hz.
    beats : array_like of int
        Sample indices of the normal beats (``nst`` takes the reference beats that
        the WFDB library's ``map1`` calls NORMAL: all but ventricular and fusion
        beats); only the first 300 whose window fits in the signal are used.

    Returns
    -------
    numpy.ndarray, shape (n_channels,)
        Trimmed mean of the peak-to-peak amplitudes within -50 ... +50 ms.

    Raises
    ------
    ValueError
        If no beat has its window inside the signal.
    """
    x = _as_2d(signal, "signal")
    fs = as_fs(fs)
    half = round(0.05 * fs)
    idx = np.sort(as_indices(beats, "beats", unique=False))
    idx = idx[(idx >= half) & (idx + half < x.shape[0])][:_N_MEASUREMENTS]
    if idx.size == 0:
        raise ValueError("beats: no beat lies 50 ms or more inside the signal; pass the "
                         "sample indices of its normal beats")
    windows = x[idx[:, None] + np.arange(-half, half + 1)]  # (beats, window, channels)
    return _trimmed_mean(windows.max(axis=1) - windows.min(axis=1))


def noise_rms(noise: object, fs: float) -> np.ndarray:
    """Return the noise amplitude per channel as ``sigamp -r`` measures it for ``nst``.

    The RMS about the window's own mean of each of the first 300 whole 1 s windows,
    and the trimmed mean of those (the 5 % smallest and largest dropped).

    Parameters
    ----------
    noise : array_like, shape (n_samples,) or (n_samples, n_channels)
    fs : float
        Sampling frequency in Hz.

    Returns
    -------
    numpy.ndarray, shape (n_channels,)

    Raises
    ------
    ValueError
        If `noise` is shorter than 1 s.
    """
    x = _as_2d(noise, "noise")
    width = round(as_fs(fs))
    n_win = min(x.shape[0] // width, _N_MEASUREMENTS)
    if n_win == 0:
        raise ValueError(f"noise must hold at least 1 s ({width} samples), got {x.shape[0]}")
    blocks = x[: n_win * width].reshape(n_win, width, x.shape[1])
    rms = np.sqrt(((blocks - blocks.mean(axis=1, keepdims=True)) ** 2).mean(axis=1))
    return _trimmed_mean(rms)


def nst_gain(snr_db: float, signal_amplitude: object, noise_amplitude: object) -> np.ndarray:
    """Return the noise gain for an SNR: ``10**(-snr/20) * sqrt(2)/4 * a_sig / a_noise``.

    Examples
    --------
    With the noise's RMS equal to the QRS peak-to-peak amplitude over sqrt(8), the
    SNR is 0 dB and the gain 1:

    >>> round(float(nst_gain(0.0, 1.0, 1 / math.sqrt(8))[0]), 12)
    1.0
    """
    snr_db = as_real(snr_db, "snr_db")
    a_sig = np.atleast_1d(np.asarray(signal_amplitude, dtype=np.float64))
    a_noise = np.atleast_1d(np.asarray(noise_amplitude, dtype=np.float64))
    if np.any(a_noise <= 0) or np.any(a_sig <= 0):
        raise ValueError("signal_amplitude and noise_amplitude must be > 0 (a flat "
                         "channel cannot be normalised)")
    return 10.0 ** (-snr_db / 20.0) * math.sqrt(2.0) / 4.0 * a_sig / a_noise


def nst_protocol(n_samples: int, fs: float, *, start_s: float = 300.0,
                 segment_s: float = 120.0) -> np.ndarray:
    """Return the toggle samples of the ``nst`` protocol (on at the first, off at the next).

    Examples
    --------
    >>> nst_protocol(30 * 60 * 360, 360.0)[:3].tolist()
    [108000, 151200, 194400]
    """
    n = as_int(n_samples, "n_samples", minimum=0)
    fs = as_fs(fs)
    start = round(as_real(start_s, "start_s", low=0.0) * fs)
    step = round(as_positive(segment_s, "segment_s", "seconds") * fs)
    return np.arange(start, n, max(step, 1), dtype=np.int64)


def add_noise(
    signal: object, fs: float, noise: object, *, snr_db: float, beats: object,
    noise_fs: float | None = None, start_s: float = 300.0, segment_s: float = 120.0,
) -> NoisyECG:
    """Add noise to an ECG by the ``nst`` protocol (module docstring) at one SNR.

    Parameters
    ----------
    signal : array_like, shape (n_samples,) or (n_samples, n_channels)
        The clean ECG.
    fs : float
        Its sampling frequency in Hz.
    noise : array_like, shape (n_noise,) or (n_noise, n_noise_channels)
        The noise record (e.g. :func:`read_noise` or :func:`electrode_motion`).
    snr_db : float
        Signal-to-noise ratio in dB, as ``nst`` defines it.
    beats : array_like of int
        Sample indices of the ECG's normal beats, for :func:`qrs_amplitude`.
    noise_fs : float, optional
        Sampling frequency of `noise` (default `fs`); resampled to `fs` if different.
    start_s, segment_s : float
        First toggle (5 minutes) and the length of each on/off segment (2 minutes).

    Returns
    -------
    NoisyECG
    """
    x = _as_2d(signal, "signal")
    fs = as_fs(fs)
    n = _as_2d(noise, "noise")
    if n.shape[1] == 0 or x.shape[1] == 0:
        raise ValueError("signal and noise need at least one channel each")
    if noise_fs is not None and as_fs(noise_fs, "noise_fs") != fs:
        from heartbeat.resample import resample

        n = np.stack([resample(n[:, i], noise_fs, fs) for i in range(n.shape[1])], axis=1)
    gains = nst_gain(snr_db, qrs_amplitude(x, fs, beats), noise_rms(n, fs)[
        np.arange(x.shape[1]) % n.shape[1]])
    reps = -(-x.shape[0] // n.shape[0])
    n = np.tile(n, (reps, 1))[: x.shape[0]][:, np.arange(x.shape[1]) % n.shape[1]]
    toggles = nst_protocol(x.shape[0], fs, start_s=start_s, segment_s=segment_s)
    y = x.copy()
    on = np.zeros(x.shape[0], dtype=bool)
    bounds = [*toggles.tolist(), x.shape[0]]
    z = np.zeros(x.shape[1])
    for k, (s, e) in enumerate(itertools.pairwise(bounds)):
        g = gains if k % 2 == 0 else np.zeros_like(gains)
        if s > 0:  # keep the output continuous across the toggle (nst's offset z)
            z = x[s - 1] + g * n[s - 1] - y[s - 1]
        y[s:e] = x[s:e] + g * n[s:e] - z
        on[s:e] = k % 2 == 0
    return NoisyECG(y, on, gains, float(snr_db), fs)


def read_noise(path: str | os.PathLike[str]) -> tuple[np.ndarray, float]:
    """Read a noise record such as the MIT-BIH NST Database's ``bw``, ``ma`` or ``em``.

    Parameters
    ----------
    path : str or os.PathLike
        The record path without extension (``"nstdb/em"``).

    Returns
    -------
    noise : numpy.ndarray, shape (n_samples, n_channels)
        The noise in physical units (the NST noise records are uncalibrated: WFDB's
        default 200 adu/mV applies; only ratios matter to :func:`add_noise`).
    fs : float
        Its sampling frequency in Hz.

    Raises
    ------
    FileNotFoundError
        If the record's header is missing (the message says where to get it).
    """
    from heartbeat.io import read_record

    header = f"{os.fspath(path)}.hea"
    if not os.path.isfile(header):
        raise FileNotFoundError(
            f"noise record {header} not found; the MIT-BIH Noise Stress Test Database "
            "(bw, ma, em) is at https://physionet.org/content/nstdb/1.0.0/")
    record = read_record(path)
    return np.asarray(record.signal, dtype=np.float64), float(record.fs)


def _band_noise(rng: np.random.Generator, n: int, fs: float, low: float, high: float,
                exponent: float = 0.0) -> np.ndarray:
    """White Gaussian noise shaped in the frequency domain to low..high Hz, unit RMS.

    Inside the band the amplitude spectrum falls as ``f**-exponent``; the band's edges
    are raised-cosine ramps one octave wide, so the result has no ringing.
    """
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / fs)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.clip(np.log2(np.where(f > 0, f, 1e-12) / (low / 2)), 0, 1)
        hi = np.clip(np.log2(2 * high / np.where(f > 0, f, 1e-12)), 0, 1)
    shape = (0.5 - 0.5 * np.cos(np.pi * lo)) * (0.5 - 0.5 * np.cos(np.pi * hi))
    shape *= np.where(f > 0, np.maximum(f, low) ** -exponent, 0.0)
    out = np.fft.irfft(spec * shape, n)
    return out / (out.std() or 1.0)


def electrode_motion(n_samples: int, fs: float, *, channels: int = 2, seed: int = 0,
                     rms_mv: float = 0.2) -> np.ndarray:
    """Return a seeded model of electrode-motion noise (a stand-in for NSTDB ``em``).

    The database's ``em`` record is not public here; this model follows the
    published descriptions of electrode-motion artefact: Moody, Muldrow & Mark
    (1984) and the NSTDB documentation (``em`` holds electrode motion with baseline
    wander and muscle noise, and is the hardest of the three because its spectrum
    overlaps the ECG's and its transients can mimic beats), and Friesen et al.,
    IEEE Trans Biomed Eng 37(1):85-98 (1990), who modelled electrode motion as
    baseline-like steps and sharp transients.  It is the sum, per channel, of

    * steps: Poisson events (0.25 per s) at which the baseline jumps by a
      log-normal amount (median 1, sigma 0.7, random sign) and relaxes with a time
      constant uniform in 0.2-1.5 s (the electrode's polarisation recovering);
      the jump rises over 10-40 ms, so it carries energy up to the QRS band;
    * bursts: Poisson events (0.25 per s), 0.2-1.2 s long under a Hann envelope,
      of Gaussian noise band-limited to 1-25 Hz with an amplitude spectrum falling
      as f**-0.5 and a log-normal amplitude (median 0.8, sigma 0.5);
    * background: 1/f noise over 0.3-20 Hz at 0.25 of the events' RMS.

    Events are shared by the channels (the motion moves both electrodes), each
    channel with its own amplitudes and signs.  The sum is scaled to `rms_mv`
    (sample RMS of the first channel).  The power thus lies mostly below 5 Hz with
    a tail into the QRS band (5-25 Hz), and the amplitudes are heavy-tailed
    (kurtosis well above 3); :func:`add_noise` rescales it to the SNR asked for.
    ``benchmarks/nst.py --describe`` prints the band powers and kurtosis of the
    model beside those of ``bw`` and ``ma``.

    Parameters
    ----------
    n_samples : int
        Length.
    fs : float
        Sampling frequency in Hz.
    channels : int, default 2
        Number of channels (the NSTDB noise records have 2).
    seed : int, default 0
        Seed of the random generator: the same seed gives the same noise.
    rms_mv : float, default 0.2
        RMS of channel 0 in mV.

    Returns
    -------
    numpy.ndarray, shape (n_samples, channels)
    """
    n = as_int(n_samples, "n_samples", minimum=1)
    fs = as_fs(fs)
    channels = as_int(channels, "channels", minimum=1)
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    rms_mv = as_positive(rms_mv, "rms_mv", "mV")
    duration = n / fs
    out = np.zeros((n, channels))
    # steps
    t_steps = np.sort(rng.uniform(0, duration, rng.poisson(0.25 * duration)))
    for t0 in t_steps:
        s = int(t0 * fs)
        tau = rng.uniform(0.2, 1.5)
        rise = rng.uniform(0.010, 0.040)
        length = min(n - s, int(6 * tau * fs))
        t = np.arange(length) / fs
        shape = (1 - np.exp(-t / rise)) * np.exp(-t / tau)
        amp = rng.lognormal(0.0, 0.7, channels) * rng.choice([-1.0, 1.0], channels)
        out[s:s + length] += shape[:, None] * amp
    # bursts
    envelope = np.zeros((n, channels))
    t_bursts = rng.uniform(0, duration, rng.poisson(0.25 * duration))
    for t0 in t_bursts:
        s = int(t0 * fs)
        length = min(n - s, max(2, int(rng.uniform(0.2, 1.2) * fs)))
        amp = rng.lognormal(np.log(0.8), 0.5, channels)
        envelope[s:s + length] += np.hanning(length)[:, None] * amp
    for c in range(channels):
        out[:, c] += envelope[:, c] * _band_noise(rng, n, fs, 1.0, 25.0, exponent=0.5)
    events_rms = out.std(axis=0)
    for c in range(channels):
        out[:, c] += 0.25 * events_rms[c] * _band_noise(rng, n, fs, 0.3, 20.0, exponent=1.0)
    return out * (rms_mv / (out[:, 0].std() or 1.0))
