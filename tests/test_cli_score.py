"""Tests for ``heartbeat score``: bxb-style scoring of a WFDB folder from the command line."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from heartbeat.cli import main
from heartbeat.cli.score import read_peaks_file


@pytest.fixture
def folder_100(tmp_path, mitdb_dir, wfdb_samples_dir):
    """Record 100 with its reference (atr) and a second annotator's beats (qrs)."""
    for name in ("100.hea", "100.dat", "100.atr"):
        os.symlink(mitdb_dir / name, tmp_path / name)
    os.symlink(wfdb_samples_dir / "100.qrs", tmp_path / "100.qrs")
    return tmp_path


def _gross(out: str) -> tuple[int, int, int]:
    m = re.search(r"\(TP (\d+), FN (\d+), FP (\d+)\)", out)
    assert m, out
    return int(m[1]), int(m[2]), int(m[3])


class TestScoreCommand:
    def test_our_detector_whole_record(self, folder_100, capsys):
        assert main(["score", str(folder_100), "--include-first-5min"]) == 0
        out = capsys.readouterr().out
        assert "test period from 0:00" in out and "Record    Nn'" in out
        assert _gross(out) == (2273, 0, 0)  # record 100 holds 2273 beats

    def test_another_annotator_after_five_minutes(self, folder_100, capsys):
        assert main(["score", str(folder_100), "--peaks-from", "qrs"]) == 0
        out = capsys.readouterr().out
        tp, fn, _ = _gross(out)
        assert "annotator qrs" in out and 1800 < tp + fn < 2273

    def test_peaks_from_csv_and_npz(self, folder_100, tmp_path, capsys):
        peaks = np.arange(20, 650000, 300)
        csv = tmp_path / "peaks.csv"
        csv.write_text("record,sample\n" + "".join(f"100,{p}\n" for p in peaks))
        npz = tmp_path / "peaks.npz"
        np.savez(npz, **{"100": peaks})
        assert read_peaks_file(csv)["100"].tolist() == peaks.tolist()
        outs = []
        for path in (csv, npz):
            assert main(["score", str(folder_100), "--peaks-from", str(path),
                         "--window-ms", "100"]) == 0
            outs.append(_gross(capsys.readouterr().out))
        assert outs[0] == outs[1] and outs[0][2] > 0

    def test_errors(self, folder_100, tmp_path, capsys):
        bad = tmp_path / "bad.csv"
        bad.write_text("sample\n3\n")
        assert main(["score", str(folder_100), "--peaks-from", str(bad)]) == 2
        assert "record,sample" in capsys.readouterr().err
        assert main(["score", str(folder_100), "--peaks-from", "no/such.file"]) == 2
        assert "not an annotator" in capsys.readouterr().err
        assert main(["score", str(tmp_path / "missing")]) == 2
        assert "does not exist" in capsys.readouterr().err


def test_invalid_samples_are_filled_before_detection(folder_100, monkeypatch, capsys):
    """A record with invalid samples (NaN) scores the beats outside its gap, not zero."""
    import heartbeat.io

    read = heartbeat.io.read_record

    def with_a_gap(path, *args, **kwargs):
        rec = read(path, *args, **kwargs)
        rec.signal[400 * 360:430 * 360, 0] = np.nan  # a lead off for 30 s after 5:00
        return rec

    monkeypatch.setattr(heartbeat.io, "read_record", with_a_gap)
    assert main(["score", str(folder_100)]) == 0
    out = capsys.readouterr().out
    tp, fn, fp = _gross(out)
    assert tp > 1800 and 25 <= fn <= 45 and fp <= 2  # 30 s of beats missed, the rest found
    assert "Invalid samples (NaN) filled by straight lines before detection: 100 10800" in out
