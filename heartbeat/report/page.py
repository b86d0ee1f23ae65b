"""One self-contained HTML page of a classified recording: :func:`report_html`.

The page holds everything it shows: the data as JSON in one ``<script>`` element,
the viewer script and the style sheet inline, the pictures as inline SVG.  It loads
nothing (no server, no network, no CDN) and opens in any browser offline.

Rejected beats and a quality index are shown when the classification result carries
them: a per-beat boolean array ``rejected`` (drawn grey with ×, counted apart) and a
per-beat ``quality`` in [0, 1] (its summary is listed), and ``unreadable_s``, a
sequence of ``(start_s, end_s)`` stretches left unclassified, read from attributes of
those names on the result when present.  These stretches, the non-finite samples of
the signal and any pairs given in `stretches` are shaded grey in the viewer and listed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from heartbeat.classifier.results import UNCLASSIFIED
from heartbeat.plot import CLASS_COLORS
from heartbeat.report.assets import SCRIPT, STYLE
from heartbeat.report.svg import _clock, beat_panel, heart_rate_chart
from heartbeat.report.trace import heart_rate, invalid_stretches, trace
from heartbeat.signal_quality import UNREADABLE_BELOW

if TYPE_CHECKING:  # pragma: no cover
    from heartbeat.classifier import ClassifiedBeats

__all__ = ["report_html"]

CLASS_TITLES = {"N": "normal / non-ectopic", "S": "supraventricular ectopic",
                "V": "ventricular ectopic", "F": "fusion", "Q": "unknown / paced"}
_OTHER = "#999999"
_UNCLASSIFIED_COLOR = "#888888"  # as the viewer draws rejected beats


def _per_beat(result: object, name: str, n: int) -> np.ndarray | None:
    """Return the result's per-beat array `name` (e.g. ``rejected``), or None."""
    value = getattr(result, name, None)
    if value is None or callable(value):
        return None
    arr = np.asarray(value)
    return arr if arr.shape == (n,) else None


def report_html(
    signal: np.ndarray,
    fs: float,
    result: ClassifiedBeats,
    *,
    title: str = "ECG report",
    settings: Mapping[str, Any] | None = None,
    stretches: Sequence[tuple[float, float]] = (),
) -> str:
    """Return the HTML text of the report page of one classified recording.

    Parameters
    ----------
    signal : numpy.ndarray, shape (n_samples,)
        The ECG that was classified (physical units), sampled at `fs`.
    fs : float
        Sampling frequency in Hz.
    result : ClassifiedBeats
        What :func:`heartbeat.classify` returned for `signal`.
    title : str
        Page title (e.g. the input file's name).
    settings : mapping, optional
        What produced the result (model, detector, input, ...), listed as given.
    stretches : sequence of (start_s, end_s)
        Stretches to mark as rejected or unreadable, besides the non-finite ones.

    Returns
    -------
    str
        The page.
    """
    x = np.asarray(signal, dtype=np.float64)
    duration_s = x.size / fs
    n = len(result)
    times = np.asarray(result.time_s, dtype=np.float64)
    codes = np.asarray(result.codes, dtype=np.int64)
    classes = tuple(result.classes)
    colors = [CLASS_COLORS.get(c, _OTHER) for c in classes]
    rejected = _per_beat(result, "rejected", n)
    quality = _per_beat(result, "quality", n)
    carried = getattr(result, "unreadable_s", None) or ()
    marked = sorted([*invalid_stretches(x, fs),
                     *((float(a), float(b)) for a, b in [*stretches, *carried])])
    beats: dict[str, Any] = {"t": [round(float(t), 3) for t in times], "c": codes.tolist()}
    if rejected is not None:
        beats["rejected"] = [int(bool(r)) for r in rejected]
    tr = trace(x, fs)
    data = {
        "duration_s": duration_s, "classes": classes, "colors": colors, "beats": beats,
        "stretches": [[round(a, 3), round(b, 3)] for a, b in marked],
        "trace": {"fs": tr.fs, "data": tr.data, "offset": tr.offset, "step": tr.step},
    }
    kept = times if rejected is None else times[~rejected.astype(bool)]
    hr_t, hr_bpm = heart_rate(kept)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">{_clock(duration_s)} of ECG at {fs:g} Hz; {n} beats'
        + (f", mean heart rate {60 * (n - 1) / (times[-1] - times[0]):.0f} bpm"
           if n > 1 and times[-1] > times[0] else "") + "</p>",
        "<h2>Beats per class</h2>", _counts_table(result, colors, rejected),
        "<h2>ECG</h2>", _viewer(classes, colors),
        "<h2>Heart rate</h2>", heart_rate_chart(hr_t, hr_bpm, duration_s),
        '<p class="note">60 / RR at each interval\'s midpoint, running median of 9 '
        "intervals; intervals outside 0.25-3 s left out.</p>",
        "<h2>Mean beat of each class</h2>", _gallery(result, colors),
        "<h2>Rejected or unreadable</h2>", _stretch_list(marked, rejected, quality),
        "<h2>Model and settings</h2>", _settings_table(settings or {}),
    ]
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        + "\n".join(body)
        + f'</main><script type="application/json" id="report-data">{payload}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def _counts_table(result: ClassifiedBeats, colors: list[str],
                  rejected: np.ndarray | None) -> str:
    counts = result.counts()  # the classes, then "?" (unclassified) when the result has it
    total = max(len(result), 1)
    rows = ['<table id="counts"><tr><th>class</th><th></th><th class="num">beats</th>'
            '<th class="num">share</th></tr>']
    for name, color in zip(result.classes, colors, strict=True):
        k = counts[name]
        rows.append(
            f'<tr><td><span class="sw" style="background:{color}"></span>{escape(name)}</td>'
            f"<td>{escape(CLASS_TITLES.get(name, ''))}</td>"
            f'<td class="num" data-class="{escape(name)}">{k}</td>'
            f'<td class="num">{100 * k / total:.1f} %</td></tr>')
    if UNCLASSIFIED in counts:
        k = counts[UNCLASSIFIED]
        rows.append(
            f'<tr><td><span class="sw" style="background:{_UNCLASSIFIED_COLOR}"></span>'
            f"{UNCLASSIFIED}</td>"
            "<td>unclassified (uncertain or unreadable)</td>"
            f'<td class="num" data-class="{UNCLASSIFIED}">{k}</td>'
            f'<td class="num">{100 * k / total:.1f} %</td></tr>')
    rows.append(f'<tr><th>all</th><th></th><th class="num" id="total">{len(result)}</th>'
                '<th></th></tr>')
    if rejected is not None:
        rows.append(f'<tr><td>rejected</td><td>of the beats above, not trusted</td>'
                    f'<td class="num" id="rejected">{int(rejected.astype(bool).sum())}</td>'
                    '<td></td></tr>')
    return "".join(rows) + "</table>"


def _viewer(classes: tuple[str, ...], colors: list[str]) -> str:
    legend = "".join(f'<span><span class="sw" style="background:{c}"></span>{escape(k)}'
                     "</span>" for k, c in zip(classes, colors, strict=True))
    return (
        '<div id="viewer"><canvas id="overview"></canvas><div class="controls">'
        '<button id="zoom-in" title="zoom in (+)">+</button>'
        '<button id="zoom-out" title="zoom out (-)">&minus;</button>'
        '<button id="left" title="earlier (left arrow)">&larr;</button>'
        '<button id="right" title="later (right arrow)">&rarr;</button>'
        '<button id="all">whole recording</button><span id="status"></span></div>'
        f'<canvas id="ecg"></canvas><div class="legend">{legend}'
        '<span><span class="sw" style="background:#bbb"></span>rejected / unreadable</span>'
        "</div></div>"
        '<p class="note">Wheel or +/&minus; to zoom, drag or arrow keys to move, click the '
        "strip above to jump. Zoomed out, each pixel column shows the min and max of its "
        "samples. Trace stored at 125 Hz.</p>"
    )


def _gallery(result: ClassifiedBeats, colors: list[str]) -> str:
    waveforms = np.asarray(result.beats.waveforms)
    codes = np.asarray(result.codes)
    panels = [beat_panel(waveforms[codes == k], name, colors[k])
              for k, name in enumerate(result.classes) if (codes == k).any()]
    if not panels:
        return '<p class="note">No beats.</p>'
    return ('<div class="gallery">' + "".join(panels) + "</div>"
            '<p class="note">Mean ± 1 SD of the beats as the classifier reads them '
            "(125 Hz, scaled to [0, 1]).</p>")


def _stretch_list(marked: list[tuple[float, float]], rejected: np.ndarray | None,
                  quality: np.ndarray | None) -> str:
    parts = []
    if marked:
        total = sum(b - a for a, b in marked)
        rows = "".join(f"<tr><td>{_clock(a)}</td><td>{_clock(b)}</td>"
                       f'<td class="num">{b - a:.1f} s</td></tr>' for a, b in marked[:200])
        more = f"<p>... and {len(marked) - 200} more</p>" if len(marked) > 200 else ""
        parts.append(f'<p class="warn" id="stretches" data-n="{len(marked)}">'
                     f"{len(marked)} stretch(es), {total:.1f} s in all, shaded grey in "
                     "the viewer.</p><table><tr><th>from</th><th>to</th>"
                     f'<th class="num">length</th></tr>{rows}</table>{more}')
    else:
        parts.append('<p id="stretches" data-n="0">No unreadable stretch (every sample '
                     "is a number and the signal quality is above the threshold).</p>")
    if rejected is None:
        parts.append('<p class="note">The classification carries no reject decision.</p>')
    q = None if quality is None else np.asarray(quality, dtype=np.float64)
    if q is not None and np.isfinite(q).any():  # NaN: quality not measured
        parts.append(f'<p id="quality">Signal quality index per beat: median '
                     f"{np.nanmedian(q):.2f}, lowest {np.nanmin(q):.2f}; "
                     f"{int((q < UNREADABLE_BELOW).sum())} beats below "
                     f"{UNREADABLE_BELOW:g}, the level below which segment() withholds "
                     "beats.</p>")
    return "".join(parts)


def _settings_table(settings: Mapping[str, Any]) -> str:
    if not settings:
        return '<p class="note">No settings were recorded.</p>'
    rows = []
    for key, value in settings.items():
        if isinstance(value, float) and math.isfinite(value):
            value = f"{value:g}"
        elif isinstance(value, (list, tuple)):
            value = " ".join(map(str, value))
        rows.append(f"<tr><th>{escape(str(key))}</th><td>{escape(str(value))}</td></tr>")
    return '<table id="settings">' + "".join(rows) + "</table>"
