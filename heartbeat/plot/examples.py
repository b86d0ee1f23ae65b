"""The standard pictures of the MIT-BIH excerpts shipped with the package."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from heartbeat.aami import CLASSES
from heartbeat.plot._figure import _check_dpi, _new_figure, _write_png
from heartbeat.plot.record import _reference_classes, plot_beat_context, plot_record
from heartbeat.plot.windows import plot_window_comparison


def _first_beat(
    sample: np.ndarray, symbol: np.ndarray, n: int, half: int, code: int, *, clean: bool
) -> int:
    """First beat of AAMI class `code` with a full ±half window (only that class in it)."""
    from heartbeat.aami import class_codes

    codes = class_codes(symbol)
    beat = codes >= 0
    s, c = sample[beat], codes[beat]
    for i in np.flatnonzero((s - half >= 0) & (s + half <= n) & (c == code)):
        if not clean or (c[np.abs(s - s[i]) <= half] == code).all():
            return int(s[i])
    raise ValueError(f"no beat of class {CLASSES[code]} with a full ±{half}-sample window")


def save_example_figures(out_dir: str | os.PathLike, *, dpi: float = 150) -> list[Path]:
    """Draw the standard pictures of the shipped MIT-BIH excerpts into a folder.

    Makes, from lead MLII of records 100 and 208 (``load_example``), with R peaks
    from :func:`heartbeat.detect.detect_r_peaks` coloured by the AAMI class of the
    reference beat they match (within 150 ms; black when none):

    * ``record100_10s.png``: the first 10 s of record 100 (normal sinus rhythm);
    * ``record208_10s.png``: 10 s of record 208 around its first ventricular beat;
    * ``record208_beat_1s.png``: 1 s centred on that ventricular (V) beat;
    * ``windows_normal_vs_v.png``: ±2 s around the first beat of record 100 whose
      window holds only normal beats, beside ±2 s around that V beat of record 208,
      with their spectrograms on one colour scale.

    Parameters
    ----------
    out_dir : str or path-like
        Folder to write into (created if missing).
    dpi : float, default 150
        Resolution of the PNG files.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order above.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If `dpi` is not a number.
    ValueError
        If `dpi` lies outside 10 to 1200.
    """
    from heartbeat.detect import detect_r_peaks
    from heartbeat.io.examples import load_example

    _new_figure((1, 1))  # fail early, with the install hint, if matplotlib is missing
    dpi = _check_dpi(dpi)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    views: dict[str, tuple[np.ndarray, float, np.ndarray, np.ndarray, Any]] = {}
    for name in ("100", "208"):
        ex = load_example(name)
        x = ex.signal[:, 0]
        peaks = detect_r_peaks(x, ex.fs)
        ann = ex.annotations
        codes = _reference_classes(peaks, ann.sample, ann.symbol, ex.fs)
        views[name] = (x, ex.fs, peaks, codes, ann)
    x, fs, peaks, codes, ann = views["100"]
    written.append(_write_png(plot_record(
        x, fs, r_peaks=peaks, labels=codes, annotations=ann, duration_s=10.0,
        title="MIT-BIH record 100, lead MLII: first 10 s (R peaks coloured by reference class)",
    ), out / "record100_10s.png", dpi))
    x, fs, peaks, codes, ann = views["208"]
    half = round(2.0 * fs)
    abnormal = _first_beat(ann.sample, ann.symbol, x.size, half, 2, clean=False)
    start_s = max(0.0, abnormal / fs - 3.0)
    written.append(_write_png(plot_record(
        x, fs, r_peaks=peaks, labels=codes, annotations=ann, start_s=start_s,
        duration_s=10.0,
        title=f"MIT-BIH record 208, lead MLII: {start_s:.1f}-{start_s + 10:.1f} s",
    ), out / "record208_10s.png", dpi))
    written.append(_write_png(plot_beat_context(
        x, fs, abnormal, window_s=1.0, r_peaks=peaks, labels=codes, annotations=ann,
        title=f"Record 208: 1 s around the V beat at {abnormal / fs:.2f} s",
    ), out / "record208_beat_1s.png", dpi))
    x100, _, _, _, ann100 = views["100"]
    normal = _first_beat(ann100.sample, ann100.symbol, x100.size, half, 0, clean=True)
    windows = np.stack([x100[normal - half : normal + half], x[abnormal - half : abnormal + half]])
    written.append(_write_png(plot_window_comparison(
        windows, fs, titles=[f"record 100: normal beat at {normal / fs:.2f} s",
                             f"record 208: V beat at {abnormal / fs:.2f} s"],
    ), out / "windows_normal_vs_v.png", dpi))
    return written
