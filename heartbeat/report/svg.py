"""Inline SVG pictures of the report page: the mean-beat gallery and heart rate over time.

Each function returns one ``<svg>`` element as text, drawn from arrays already in
memory; nothing is loaded from outside the page.
"""

from __future__ import annotations

from html import escape

import numpy as np

__all__ = ["beat_panel", "heart_rate_chart"]


def _points(x: np.ndarray, y: np.ndarray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))


def beat_panel(waveforms: np.ndarray, name: str, color: str, *, fs: float = 125.0,
               width: int = 220, height: int = 150) -> str:
    """Draw the mean beat of one class with a ±1 SD band as an SVG element.

    Parameters
    ----------
    waveforms : numpy.ndarray, shape (n, n_samples)
        The class's beats as the classifier reads them (values in [0, 1]).
    name : str
        Class name for the caption.
    color : str
        CSS colour of the class.
    fs : float
        Sampling rate of the beats, for the time axis.
    """
    x = np.asarray(waveforms, dtype=np.float64)
    mean, sd = x.mean(axis=0), x.std(axis=0)
    pad_l, pad_r, pad_t, pad_b = 8, 8, 22, 18
    t = np.arange(x.shape[1])
    px = pad_l + t * (width - pad_l - pad_r) / max(x.shape[1] - 1, 1)
    lo, hi = min(0.0, float((mean - sd).min())), max(1.0, float((mean + sd).max()))

    def py(v: np.ndarray) -> np.ndarray:
        return pad_t + (hi - v) * (height - pad_t - pad_b) / (hi - lo)

    band = np.concatenate([py(mean + sd), py(mean - sd)[::-1]])
    band_x = np.concatenate([px, px[::-1]])
    label = f"{escape(name)}: {x.shape[0]} beat{'s' if x.shape[0] != 1 else ''}"
    return (
        f'<svg class="beat" data-class="{escape(name)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="mean {label}">'
        f'<text x="{pad_l}" y="15" class="cap">{label}</text>'
        f'<polygon points="{_points(band_x, band)}" fill="{color}" fill-opacity="0.2"/>'
        f'<polyline points="{_points(px, py(mean))}" fill="none" stroke="{color}" '
        f'stroke-width="2"/>'
        f'<text x="{pad_l}" y="{height - 4}" class="ax">0</text>'
        f'<text x="{width - pad_r}" y="{height - 4}" class="ax" text-anchor="end">'
        f'{x.shape[1] / fs:.1f} s</text></svg>'
    )


def heart_rate_chart(times_s: np.ndarray, bpm: np.ndarray, duration_s: float, *,
                     width: int = 960, height: int = 180) -> str:
    """Draw heart rate (bpm) against time, with clock ticks, as an SVG element."""
    pad_l, pad_r, pad_t, pad_b = 44, 28, 10, 24
    if bpm.size == 0:
        return ('<p class="note">Heart rate: fewer than two beats with plausible RR '
                'intervals.</p>')
    lo = float(np.floor(min(bpm.min(), 50) / 10) * 10)
    hi = float(np.ceil(max(bpm.max(), 110) / 10) * 10)
    span = max(duration_s, 1e-9)
    sx = (width - pad_l - pad_r) / span
    sy = (height - pad_t - pad_b) / (hi - lo)
    px = pad_l + times_s * sx
    py = pad_t + (hi - bpm) * sy
    parts = [f'<svg id="hr" width="100%" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="heart rate over time">']
    for v in np.arange(lo, hi + 1, 20 if hi - lo > 80 else 10):
        y = pad_t + (hi - v) * sy
        parts.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="grid"/><text x="{pad_l - 4}" y="{y + 4:.1f}" class="ax" '
                     f'text-anchor="end">{v:.0f}</text>')
    for t in _time_ticks(span):
        x = pad_l + t * sx
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" class="ax" text-anchor="middle">'
                     f'{_clock(t)}</text>')
    parts.append(f'<polyline points="{_points(px, py)}" fill="none" stroke="#333" '
                 f'stroke-width="1.2"/><text x="{pad_l + 4}" y="{pad_t + 12}" '
                 f'class="ax">bpm</text></svg>')
    return "".join(parts)


def _time_ticks(span_s: float) -> np.ndarray:
    """About six round tick times over `span_s` seconds."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400):
        if span_s / step <= 8:
            return np.arange(0, span_s + 1e-9, step)
    return np.linspace(0, span_s, 7)


def _clock(t: float) -> str:
    """``m:ss`` or ``h:mm:ss`` of `t` seconds."""
    t = round(t)
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
