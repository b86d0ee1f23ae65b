"""Tests for heartbeat.report and ``heartbeat report``: the page's data, and the page in
a real headless browser (Chromium, skipped with a reason when it is not installed).

The browser runs as a subprocess: ``--dump-dom`` gives the DOM after the page's
script has run (the script sets ``data-rendered="1"`` on <html> when it has drawn,
and records uncaught errors in ``data-errors``); ``--enable-logging=stderr`` prints
every console message as a ``CONSOLE`` line; ``--screenshot`` writes a PNG.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import heartbeat
from heartbeat.classifier import ClassifiedBeats
from heartbeat.cli import main
from heartbeat.io.inputs import load_signal
from heartbeat.plot import CLASS_COLORS
from heartbeat.report import report_html, write_report
from heartbeat.report.trace import GAP, heart_rate, invalid_stretches, trace
from heartbeat.resample import resample_poly
from heartbeat.signal_quality import UNREADABLE_BELOW

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless browser: install Chromium (apt-get install -y chromium) "
                "to run the report page in a browser")


def _run_browser(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium on `page` with `args`; its own profile folder each time."""
    cmd = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           "--enable-logging=stderr", "--v=0", *args, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def _page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html,
                  re.S)
    assert m is not None
    return json.loads(m[1].replace("<\\/", "</"))


def _html_tag(dom: str) -> str:
    """The opening <html ...> tag of a dumped DOM (where the script leaves its marks)."""
    m = re.search(r"<html[^>]*>", dom)
    assert m is not None, dom[:500]
    return m[0]


def _console(run: subprocess.CompletedProcess) -> list[str]:
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def _shown_counts(html: str) -> dict[str, int]:
    return {c: int(k) for c, k in re.findall(r'<td class="num" data-class="([^"]+)">(\d+)</td>',
                                             html)}


@pytest.fixture(scope="module")
def example():
    ex = heartbeat.load_example("208")
    signal = ex.signal[:, 0]
    return signal, ex.fs, heartbeat.classify(signal, ex.fs)


@dataclasses.dataclass(frozen=True, eq=False)
class _WithReject(ClassifiedBeats):
    """A result carrying what a reject option and a quality index would add."""

    rejected: np.ndarray | None = None
    quality: np.ndarray | None = None
    unreadable_s: tuple = ()


class TestTrace:
    def test_stored_trace_is_the_resampled_signal(self, example):
        signal, fs, _ = example
        tr = trace(signal, fs)
        stored = np.frombuffer(base64.b64decode(tr.data), dtype="<i2")
        assert tr.fs == 125.0 and stored.size == tr.n
        expected = resample_poly(signal, 25, 72)  # 360 Hz -> 125 Hz
        np.testing.assert_allclose(tr.offset + tr.step * stored, expected,
                                   atol=tr.step / 2 + 1e-12)
        assert tr.step < 1e-3 * np.ptp(signal)

    def test_nan_samples_become_gaps(self):
        x = np.sin(np.arange(3600) / 20.0)
        x[1000:1360] = np.nan
        tr = trace(x, 360.0)
        stored = np.frombuffer(base64.b64decode(tr.data), dtype="<i2")
        gaps = np.flatnonzero(stored == GAP)
        assert gaps.min() <= 1000 * 125 / 360 + 1 and gaps.max() >= 1359 * 125 / 360 - 1
        assert np.count_nonzero(stored == GAP) < 140  # the 1 s gap, not more
        assert invalid_stretches(x, 360.0) == [(1000 / 360, 1360 / 360)]
        assert invalid_stretches(np.ones(10), 1.0) == []

    def test_lower_rates_are_kept(self):
        tr = trace(np.arange(100.0), 100.0)
        stored = np.frombuffer(base64.b64decode(tr.data), dtype="<i2")
        assert tr.fs == 100.0
        np.testing.assert_allclose(tr.offset + tr.step * stored, np.arange(100.0),
                                   atol=tr.step)

    def test_heart_rate(self):
        t = np.arange(0, 60, 0.75)  # 80 bpm
        t = np.insert(t, 40, t[40] - 0.4)  # one premature beat
        mid, bpm = heart_rate(t)
        np.testing.assert_allclose(bpm, 80.0)  # the running median ignores one ectopic
        assert mid.size == t.size - 1
        assert heart_rate(np.array([1.0]))[1].size == 0


class TestReportHtml:
    def test_counts_data_and_self_contained(self, example):
        signal, fs, result = example
        html = report_html(signal, fs, result, title="rec <208>", settings={"model": "m"})
        assert _shown_counts(html) == result.counts()
        assert f'id="total">{len(result)}<' in html
        data = _page_data(html)
        assert data["beats"]["c"] == result.codes.tolist()
        np.testing.assert_allclose(data["beats"]["t"], result.time_s, atol=5e-4)
        assert data["colors"] == [CLASS_COLORS[c] for c in result.classes]
        assert "rec &lt;208&gt;" in html and "<td>m</td>" in html
        # nothing is fetched: no external references, no <link>, <img> or src=
        assert not re.search(r"(?i)(src|href)\s*=|<link|<img|@import|url\(", html)
        assert "http://" not in html and "https://" not in html
        for name in result.classes:
            if result.counts()[name]:
                assert f'data-class="{name}" width=' in html  # a mean-beat panel
        assert 'data-n="0"' in html and f'id="rejected">{int(result.rejected.sum())}<' in html

    def test_rejected_quality_and_stretches_when_the_result_carries_them(self, example):
        signal, fs, result = example
        n = len(result)
        rejected = np.zeros(n, dtype=bool)
        rejected[:5] = True
        quality = np.linspace(0.2, 1.0, n)
        fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
        carried = _WithReject(**fields, rejected=rejected, quality=quality,
                              unreadable_s=((20.0, 21.5),))
        x = signal.copy()
        x[360:720] = np.nan
        html = report_html(x, fs, carried, stretches=[(40.0, 41.0)])
        assert 'id="rejected">5<' in html
        assert re.search(r'id="quality">.*median 0\.60, lowest 0\.20', html)
        below = int((quality < UNREADABLE_BELOW).sum())
        assert f"{below} beats below {UNREADABLE_BELOW:g}," in html
        assert 'data-n="3"' in html  # the NaN second, the carried and the given stretch
        data = _page_data(html)
        assert data["stretches"] == [[1.0, 2.0], [20.0, 21.5], [40.0, 41.0]]
        assert sum(data["beats"]["rejected"]) == 5
        assert _shown_counts(html) == result.counts()

    def test_write_report_is_atomic_and_utf8(self, example, tmp_path):
        signal, fs, result = example
        out = write_report(tmp_path / "r.html", signal, fs, result, title="µV")
        assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert not list(tmp_path.glob(".*tmp*"))


@pytest.fixture(scope="module")
def record_100(tmp_path_factory, mitdb_dir):
    """The 30-minute page of MIT-BIH record 100 written by the command, and classify()."""
    out = tmp_path_factory.mktemp("report") / "100.html"
    assert main(["report", str(mitdb_dir / "100"), "--out", str(out)]) == 0
    signal, fs = load_signal(mitdb_dir / "100")
    return out, heartbeat.classify(signal, fs)


class TestCommand:
    def test_thirty_minutes_under_5_mb_with_classify_counts(self, record_100, capsys):
        out, result = record_100
        size = out.stat().st_size
        assert size < 5e6
        html = out.read_text(encoding="utf-8")
        assert _shown_counts(html) == result.counts()
        assert "mitbih-all" in html and "robust" in html

    def test_out_must_be_html(self, tmp_path, mitdb_dir, capsys):
        assert main(["report", str(mitdb_dir / "100"), "--out", str(tmp_path / "r.png")]) == 2
        assert "must end in .html" in capsys.readouterr().err


class TestInBrowser:
    def test_renders_without_errors_with_classify_counts(self, record_100, tmp_path):
        out, result = record_100
        run = _run_browser(out, tmp_path, "--dump-dom", "--virtual-time-budget=5000")
        dom = run.stdout
        assert 'data-rendered="1"' in _html_tag(dom), run.stderr[-2000:]
        assert "data-errors" not in _html_tag(dom)
        assert _console(run) == []
        assert _shown_counts(dom) == result.counts()
        status = re.search(r'<span id="status">(.*?)</span>', dom)
        assert status is not None and "of 30:0" in status[1] and "beats in view" in status[1]

    def test_screenshot_is_not_blank(self, record_100, tmp_path):
        image = pytest.importorskip("matplotlib.image", reason="reads the PNG screenshot")
        out, _ = record_100
        png = tmp_path / "shot.png"
        run = _run_browser(out, tmp_path, f"--screenshot={png}", "--window-size=1200,1400")
        assert png.is_file(), run.stderr[-2000:]
        rgb = image.imread(png)[..., :3]
        assert rgb.shape[:2] == (1400, 1200)
        dark = (rgb.max(axis=2) < 0.3).mean()  # text and the trace
        assert 0.005 < dark < 0.5
        blue = np.array([0x00, 0x72, 0xB2]) / 255  # class N, in the table, legend, marks
        assert (np.abs(rgb - blue).max(axis=2) < 0.06).sum() > 100

    def test_page_with_gaps_and_rejected_beats(self, example, tmp_path):
        signal, fs, result = example
        n = len(result)
        fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
        carried = _WithReject(**fields, rejected=np.arange(n) % 7 == 0,
                              quality=np.ones(n), unreadable_s=((5.0, 6.0),))
        x = signal.copy()
        x[720:1080] = np.nan
        page = write_report(tmp_path / "gaps.html", x, fs, carried)
        run = _run_browser(page, tmp_path, "--dump-dom", "--virtual-time-budget=5000")
        assert 'data-rendered="1"' in _html_tag(run.stdout), run.stderr[-2000:]
        assert "data-errors" not in _html_tag(run.stdout)
        assert _console(run) == []

    def test_the_harness_sees_a_script_error(self, example, tmp_path):
        signal, fs, result = example
        html = report_html(signal, fs, result).replace('"use strict";',
                                                        '"use strict"; undefinedName();')
        page = tmp_path / "broken.html"
        page.write_text(html, encoding="utf-8")
        run = _run_browser(page, tmp_path, "--dump-dom")
        assert "data-rendered" not in _html_tag(run.stdout)
        assert any("undefinedName is not defined" in line for line in _console(run))
