"""A one-file HTML report of a classified recording (``heartbeat report``).

:func:`report_html` returns the page; :func:`write_report` classifies nothing but
writes the page of a result atomically.  The page is self-contained: the ECG viewer
(canvas, zoomable and scrollable in time, beats coloured by class), counts per class,
heart rate over time, the mean beat of each class, rejected or unreadable stretches,
and the model and settings that produced it.  No server, network or CDN is needed.

Modules
-------
page     :func:`report_html`: the page's sections
trace    the trace as stored (125 Hz, 16 bits, base64), heart rate, invalid stretches
svg      the inline SVG pictures (mean beats, heart rate)
assets   the inline style sheet and viewer script
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from heartbeat._atomic import atomic_open
from heartbeat.report.page import report_html

if TYPE_CHECKING:  # pragma: no cover
    from heartbeat.classifier import ClassifiedBeats

__all__ = ["report_html", "write_report"]


def write_report(
    path: str | os.PathLike,
    signal: np.ndarray,
    fs: float,
    result: ClassifiedBeats,
    *,
    title: str = "ECG report",
    settings: Mapping[str, Any] | None = None,
    stretches: Sequence[tuple[float, float]] = (),
) -> Path:
    """Write the report page of `result` to `path` (atomically); return the path.

    The arguments after `path` are those of :func:`report_html`.
    """
    text = report_html(signal, fs, result, title=title, settings=settings,
                       stretches=stretches)
    with atomic_open(path) as fh:
        fh.write(text.encode("utf-8"))
    return Path(path)
