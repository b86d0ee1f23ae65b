"""Training-time augmentation: make each batch of beats look like other recordings.

A beat cut by :func:`heartbeat.segment` starts at its R peak, holds 1.2 median RR
intervals of the min-max normalised signal at 125 Hz and is zero-padded to 187
samples.  What differs between recordings -- electrodes, amplifiers, the patient's
movement, the room -- changes that picture in a few known ways, and
:class:`Augmenter` draws each of them at random per beat:

==============  ==============================================================
amplitude       the beat scaled by a log-uniform factor (another window range)
baseline        a slow offset, slope and curve (respiration, electrode drift);
                or a real baseline-wander segment from a noise bank
mains           a 50 or 60 Hz sinusoid of random phase (power-line hum)
noise           broadband noise: a real muscle-artifact segment from a noise
                bank (e.g. the NST ``ma`` record), else white noise
burst           one smooth bump of 0.1-0.4 s (an electrode-motion artefact)
time scale      the beat stretched or squeezed about its R peak (another rate)
polarity        an inverted lead (off by default: MIT-BIH leads are upright)
==============  ==============================================================

Every channel of a beat gets the same draw: for a model with a record-context
channel (beat minus its recording's median beat) the added noise shows in both, as
it would in a real noisy beat, and scaling or stretching a recording scales or
stretches its median beat too.  The zero padding stays zero.  Everything is NumPy
and every draw comes from the ``numpy.random.Generator`` passed in, so a seeded
training run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from heartbeat._validate import as_fs, as_real, as_signal

__all__ = ["Augmenter", "noise_bank"]

BEAT_FS = 125.0
"""Sampling rate of the beats :func:`heartbeat.segment` cuts (Hz)."""

_MAINS_HZ = (50.0, 60.0)
_BURST_S = (0.1, 0.4)


def noise_bank(noise: object, fs: float, *, length: int = 187,
               fs_out: float = BEAT_FS) -> np.ndarray:
    """Cut a noise recording into zero-mean, unit-RMS segments at the beats' rate.

    Parameters
    ----------
    noise : array_like, shape (n,)
        One channel of a noise recording (for example the NST ``ma`` muscle-artifact
        or ``bw`` baseline-wander record, which hold no ECG).
    fs : float
        Its sampling frequency in Hz.
    length : int, default 187
        Samples per segment (the beat length).
    fs_out : float, default 125
        Rate of the segments (that of the beats).

    Returns
    -------
    numpy.ndarray of float32, shape (m, length)
        Consecutive segments, each minus its mean and divided by its RMS; segments
        that are flat are dropped.

    Raises
    ------
    TypeError
        If `noise` is not a real numeric array.
    ValueError
        If `noise` is not 1-D, holds NaN or inf, or is shorter than one segment.

    Examples
    --------
    >>> import numpy as np
    >>> bank = noise_bank(np.random.default_rng(0).normal(size=3600), 360.0)
    >>> bank.shape, bool(np.allclose((bank ** 2).mean(axis=1), 1.0, atol=1e-4))
    ((6, 187), True)
    """
    from heartbeat.resample import _resample_poly, _resample_ratio

    signal = as_signal(noise, "noise")
    fs = as_fs(fs)
    fs_out = as_fs(fs_out, "fs_out")
    if fs != fs_out:
        signal = _resample_poly(signal, *_resample_ratio(fs, fs_out))
    m = len(signal) // length
    if m == 0:
        raise ValueError(f"noise holds {len(signal)} samples at {fs_out:g} Hz, fewer than "
                         f"one segment of length={length}; give a longer recording")
    seg = signal[: m * length].reshape(m, length)
    seg = seg - seg.mean(axis=1, keepdims=True)
    rms = np.sqrt((seg ** 2).mean(axis=1, keepdims=True))
    keep = rms[:, 0] > 1e-9 * max(float(rms.max()), 1e-300)
    return np.ascontiguousarray(seg[keep] / rms[keep], dtype=np.float32)


@dataclass(frozen=True, eq=False)
class Augmenter:
    """Random changes that imitate other recordings, applied to a batch of beats.

    Call it as ``augmenter(x, rng)`` with beats ``x`` of shape (n, L) or (n, C, L)
    (channel 0 the beat itself) and a ``numpy.random.Generator``; it returns a new
    float32 array of the same shape.  Pass it to :func:`heartbeat.training.fit` as
    ``augment=``.

    Parameters
    ----------
    p : float, default 0.5
        Probability that each kind of change is applied to a beat (drawn
        independently per beat and per kind).
    scale : float, default 0.25
        Amplitude factor drawn log-uniformly in ``[1 / (1 + scale), 1 + scale]``.
    baseline : float, default 0.1
        Largest baseline excursion (in units of the normalised beat, whose range is
        about 1).
    mains : float, default 0.03
        Largest amplitude of the 50/60 Hz hum.
    noise : float, default 0.05
        Largest RMS of the broadband noise.
    burst : float, default 0.15
        Largest amplitude of an electrode-motion burst.
    time_scale : float, default 0.08
        Largest relative stretch or squeeze of the time axis.
    invert : float, default 0.0
        Probability of an inverted lead: the beat channel becomes ``1 - x`` (the
        min-max normalisation of the negated signal) and every other channel, a
        difference of beats, ``-x``.
    fs : float, default 125
        Sampling rate of the beats in Hz.
    muscle_bank, wander_bank : ndarray, shape (m, L), optional
        Real noise segments (see :func:`noise_bank`) for the broadband noise and the
        baseline; without them the noise is white and the baseline synthetic.

    Raises
    ------
    TypeError, ValueError
        If an option is not a real number in its range (probabilities in [0, 1],
        sizes >= 0, ``time_scale`` < 0.5).

    Examples
    --------
    >>> import numpy as np
    >>> beats = np.zeros((4, 187), np.float32)
    >>> beats[:, :100] = np.hanning(100)
    >>> out = Augmenter(p=1.0)(beats, np.random.default_rng(0))
    >>> out.shape, bool((out[:, 120:] == 0).all())
    ((4, 187), True)
    """

    p: float = 0.5
    scale: float = 0.25
    baseline: float = 0.1
    mains: float = 0.03
    noise: float = 0.05
    burst: float = 0.15
    time_scale: float = 0.08
    invert: float = 0.0
    fs: float = BEAT_FS
    muscle_bank: np.ndarray | None = field(default=None, repr=False)
    wander_bank: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("p", "invert"):
            as_real(getattr(self, name), name, low=0.0, high=1.0)
        for name in ("scale", "baseline", "mains", "noise", "burst"):
            as_real(getattr(self, name), name, low=0.0)
        as_real(self.time_scale, "time_scale", low=0.0, high=0.49)
        as_fs(self.fs)
        for name in ("muscle_bank", "wander_bank"):
            bank = getattr(self, name)
            if bank is not None:
                arr = np.asarray(bank, dtype=np.float32)
                if arr.ndim != 2 or len(arr) == 0 or not np.isfinite(arr).all():
                    raise ValueError(f"{name} must be a finite (m, length) array of noise "
                                     f"segments from noise_bank(), got shape {arr.shape}")
                object.__setattr__(self, name, arr)

    def recipe(self) -> dict[str, Any]:
        """Return the options as a JSON-serialisable dict (for a model file's metadata)."""
        out: dict[str, Any] = {k: float(getattr(self, k)) for k in (
            "p", "scale", "baseline", "mains", "noise", "burst", "time_scale", "invert",
            "fs")}
        out["muscle_bank"] = None if self.muscle_bank is None else len(self.muscle_bank)
        out["wander_bank"] = None if self.wander_bank is None else len(self.wander_bank)
        return out

    def __repr__(self) -> str:
        return f"Augmenter({self.recipe()})"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return an augmented float32 copy of the beats `x`, (n, L) or (n, C, L)."""
        beats = np.array(x, dtype=np.float32, copy=True)
        flat = beats.ndim == 2
        if flat:
            beats = beats[:, None, :]  # (n, C, L)
        n, _, length = beats.shape
        valid = _valid_lengths(beats[:, 0])  # (n,)
        mask = np.arange(length)[None, :] < valid[:, None]  # (n, L)
        if self.time_scale > 0:
            beats, valid, mask = self._stretch(beats, valid, rng)
        if self.invert > 0:
            flip = rng.random(n) < self.invert
            beats[flip, 0] = np.where(mask[flip], 1.0 - beats[flip, 0], 0.0)
            beats[flip, 1:] *= -1.0
        if self.scale > 0:
            use = rng.random(n) < self.p
            log_a = rng.uniform(-1.0, 1.0, n) * np.log1p(self.scale)
            beats *= np.where(use, np.exp(log_a), 1.0).astype(np.float32)[:, None, None]
        added = self._additive(n, length, rng)  # (n, L)
        beats += (added * mask)[:, None, :].astype(np.float32)
        return beats[:, 0] if flat else beats

    # ------------------------------------------------------------------ parts
    def _pick(self, n: int, rng: np.random.Generator, size: float) -> np.ndarray:
        """Per-beat amplitudes: 0 for beats not chosen, else uniform in [0, size]."""
        return np.where(rng.random(n) < self.p, rng.uniform(0.0, size, n), 0.0)

    def _additive(self, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """Return the sum of baseline, mains, noise and burst for each beat, (n, L)."""
        t = np.arange(length) / self.fs  # (L,) seconds
        out = np.zeros((n, length))
        if self.baseline > 0:
            out += self._pick(n, rng, self.baseline)[:, None] * self._wander(n, t, rng)
        if self.mains > 0:
            f = rng.choice(_MAINS_HZ, n)[:, None]
            phase = rng.uniform(0.0, 2 * np.pi, n)[:, None]
            out += self._pick(n, rng, self.mains)[:, None] * np.sin(2 * np.pi * f * t + phase)
        if self.noise > 0:
            out += self._pick(n, rng, self.noise)[:, None] * _draw(self.muscle_bank, n,
                                                                    length, rng)
        if self.burst > 0:
            out += self._pick(n, rng, self.burst)[:, None] * _bursts(n, t, rng)
        return out

    def _wander(self, n: int, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Unit-size baseline shapes: real wander segments, else offset + slope + curve."""
        if self.wander_bank is not None:
            seg = _draw(self.wander_bank, n, len(t), rng)
            return seg / np.maximum(np.abs(seg).max(axis=1, keepdims=True), 1e-9)
        span = t[-1] if t[-1] > 0 else 1.0
        u = t / span  # (L,) in [0, 1]
        c = rng.uniform(-1.0, 1.0, (n, 3))
        shape = c[:, :1] + c[:, 1:2] * u + c[:, 2:3] * (u - 0.5) ** 2 * 4.0
        return shape / np.maximum(np.abs(shape).max(axis=1, keepdims=True), 1e-9)

    def _stretch(self, beats: np.ndarray, valid: np.ndarray, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stretch chosen beats about sample 0 (the R peak) by 1 +- time_scale."""
        n, _, length = beats.shape
        factor = np.where(rng.random(n) < self.p,
                          1.0 + rng.uniform(-self.time_scale, self.time_scale, n), 1.0)
        grid = np.arange(length, dtype=np.float64)
        for i in np.flatnonzero(factor != 1.0):
            old = int(valid[i])
            if old < 2:
                continue
            new = min(length, max(2, round(old * factor[i])))
            src = grid[:new] * (old - 1) / (new - 1)  # positions in the old beat
            for c in range(beats.shape[1]):
                row = np.interp(src, grid[:old], beats[i, c, :old])
                beats[i, c, :new] = row
                beats[i, c, new:] = 0.0
            valid[i] = new
        mask = grid[None, :] < valid[:, None]
        return beats, valid, mask


def _valid_lengths(beats: np.ndarray) -> np.ndarray:
    """Return the samples before each beat's zero padding (last non-zero index + 1)."""
    nonzero = beats != 0  # (n, L)
    last = beats.shape[1] - np.argmax(nonzero[:, ::-1], axis=1)
    return np.where(nonzero.any(axis=1), last, 0).astype(np.int64)


def _draw(bank: np.ndarray | None, n: int, length: int, rng: np.random.Generator
          ) -> np.ndarray:
    """`n` unit-RMS noise rows of `length`: random segments of `bank`, else white."""
    if bank is None:
        return rng.standard_normal((n, length))
    rows = bank[rng.integers(0, len(bank), n)].astype(np.float64)
    if rows.shape[1] >= length:
        return rows[:, :length]
    reps = -(-length // rows.shape[1])
    return np.tile(rows, (1, reps))[:, :length]


def _bursts(n: int, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One Hann-shaped bump of random sign, width 0.1-0.4 s and place per beat, (n, L)."""
    width = rng.uniform(*_BURST_S, n)[:, None]
    start = rng.uniform(-0.1, max(float(t[-1]), 0.0), n)[:, None]
    u = (t[None, :] - start) / width
    inside = (u >= 0) & (u <= 1)
    sign = rng.choice((-1.0, 1.0), n)[:, None]
    return np.where(inside, sign * np.sin(np.pi * np.clip(u, 0, 1)) ** 2, 0.0)
