"""Beats, training and evaluation on any folder of annotated WFDB records.

The folder is built here from real MIT-BIH records: the first 3 minutes of records
119 and 208 are resampled (polyphase, heartbeat.resample) to 250 Hz and 500 Hz,
stored in format 16 under new names (``pat-250`` and ``pat-500``) with their beat
annotations moved to the new rate and written back as MIT annotation files.  A
record of the WFDB sample corpus (``03700181``, 125 Hz, QRS annotations from
``sqrs``) stands for a folder whose annotator is not ``atr``.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from heartbeat.cli import main
from heartbeat.datasets import mitbih_beats
from heartbeat.datasets.folder import find_records, wfdb_beats
from heartbeat.io import read_annotations, read_record
from heartbeat.io.annotations import ANNOTATION_SYMBOLS
from heartbeat.resample import resample_poly

SECONDS = 180
SOURCES = {"pat-250": ("119", 250, 25, 36), "pat-500": ("208", 500, 25, 18)}


def _write_annotations(path: Path, samples: np.ndarray, symbols: np.ndarray) -> None:
    """MIT annotation file: (code << 10 | interval) words, SKIP for long steps, 0 at end."""
    words = bytearray()
    previous = 0
    for sample, symbol in zip(samples, symbols, strict=True):
        step = int(sample) - previous
        previous = int(sample)
        if step > 1023:  # SKIP word, then the step as (high, low) 16-bit words
            words += struct.pack("<H", 59 << 10)
            words += struct.pack("<HH", (step >> 16) & 0xFFFF, step & 0xFFFF)
            step = 0
        words += struct.pack("<H", (ANNOTATION_SYMBOLS.index(str(symbol)) << 10) | step)
    words += b"\0\0"
    path.write_bytes(bytes(words))


def _write_record(folder: Path, name: str, source: Path, fs: int, up: int, down: int) -> None:
    rec = read_record(source, channels=[0])
    x = rec.signal[: SECONDS * 360, 0]
    y = resample_poly(x, up, down)
    adc = np.round(y * 200).astype("<i2")
    (folder / f"{name}.dat").write_bytes(adc.tobytes())
    checksum = int(adc.sum(dtype=np.int64)) & 0xFFFF
    checksum -= 0x10000 if checksum >= 0x8000 else 0  # a signed 16-bit sum, as WFDB writes
    (folder / f"{name}.hea").write_text(
        f"{name} 1 {fs} {adc.size}\n{name}.dat 16 200/mV 16 0 {adc[0]} {checksum} 0 MLII\n")
    ann = read_annotations(source, "atr")
    keep = ann.sample < SECONDS * 360
    moved = np.round(ann.sample[keep] * fs / 360).astype(np.int64)
    _write_annotations(folder / f"{name}.atr", moved, ann.symbol[keep])


@pytest.fixture(scope="module")
def folder(tmp_path_factory, mitdb_dir) -> Path:
    out = tmp_path_factory.mktemp("wfdb-folder")
    for name, (record, fs, up, down) in SOURCES.items():
        _write_record(out, name, mitdb_dir / record, fs, up, down)
    return out


@pytest.fixture(scope="module")
def sqrs_folder(tmp_path_factory, wfdb_samples_dir) -> Path:
    out = tmp_path_factory.mktemp("sqrs-folder")
    for ext in ("hea", "dat", "sqrs"):
        shutil.copyfile(wfdb_samples_dir / f"03700181.{ext}", out / f"03700181.{ext}")
    return out


class TestWfdbBeats:
    def test_same_labels_as_the_mitbih_records_they_came_from(self, folder, mitdb_dir):
        beats = wfdb_beats(folder)
        assert find_records(folder) == ("pat-250", "pat-500")
        assert sorted(set(beats.record)) == ["pat-250", "pat-500"]
        for name, (record, fs, _, _) in SOURCES.items():
            ours = beats[beats.record == name]
            ref = mitbih_beats(mitdb_dir, [record])
            ref = ref[ref.sample < SECONDS * 360 - 360]  # the last second may be cut
            at_360 = ours.sample * 360 / fs
            i_ours = np.searchsorted(at_360, ref.sample - 1)  # rounding moves a beat <= 1
            i_ref = np.flatnonzero(i_ours < len(ours))
            i_ours = i_ours[i_ref]
            near = np.abs(at_360[i_ours] - ref.sample[i_ref]) <= 1
            i_ours, i_ref = i_ours[near], i_ref[near]
            assert len(i_ref) == len(ref)  # every beat found at its own place
            np.testing.assert_array_equal(ours.y[i_ours], ref.y[i_ref])
            assert len(np.unique(ref.y)) >= 2  # 119: N and V; 208: N, V, F
            # the same beat cut from 250/500 Hz and from 360 Hz: nearly the same waveform
            corr = [np.corrcoef(a, b)[0, 1] for a, b in
                    zip(ours.x[i_ours], ref.x[i_ref], strict=True)]
            assert np.median(corr) > 0.99

    def test_other_annotator_and_rate(self, sqrs_folder):
        with pytest.raises(ValueError, match=r"no record with both NAME\.hea and NAME\.atr"):
            wfdb_beats(sqrs_folder)
        beats = wfdb_beats(sqrs_folder, annotator="sqrs")
        n_annotated = len(read_annotations(sqrs_folder / "03700181", "sqrs").sample)
        assert 0 < len(beats) <= n_annotated and beats.n_missed == n_annotated - len(beats)
        assert set(beats.y.tolist()) == {0}  # sqrs marks every QRS "N"
        assert beats.x.shape[1] == 187

    def test_a_lead_off_leaves_out_the_beats_of_its_stretches(self, folder, tmp_path):
        """Invalid samples (WFDB's -32768 in format 16) are read around, not refused."""
        for ext in ("hea", "atr"):
            shutil.copyfile(folder / f"pat-250.{ext}", tmp_path / f"pat-250.{ext}")
        adc = np.frombuffer((folder / "pat-250.dat").read_bytes(), dtype="<i2").copy()
        adc[60 * 250:90 * 250] = -32768  # 30 s invalid, from 1:00
        (tmp_path / "pat-250.dat").write_bytes(adc.tobytes())
        lines = (tmp_path / "pat-250.hea").read_text().splitlines()
        fields = lines[1].split()
        checksum = int(adc.sum(dtype=np.int64)) & 0xFFFF
        fields[6] = str(checksum - 0x10000 if checksum >= 0x8000 else checksum)
        (tmp_path / "pat-250.hea").write_text(f"{lines[0]}\n{' '.join(fields)}\n")
        whole = wfdb_beats(folder, ["pat-250"])
        gapped = wfdb_beats(tmp_path)
        seconds = gapped.sample / 250
        assert not np.any((seconds >= 60) & (seconds < 90))  # the gap's stretches: none
        outside = (whole.sample < 60 * 250) | (whole.sample >= 90 * 250)
        assert len(gapped) >= outside.sum() - 4  # the rest, but for the gap's edges
        assert len(gapped) < len(whole)

    def test_cache_is_reused(self, folder, tmp_path):
        first = wfdb_beats(folder, ["pat-250"], cache_dir=tmp_path)
        assert len(list(tmp_path.glob("*.npz"))) == 1
        second = wfdb_beats(folder, ["pat-250"], cache_dir=tmp_path)
        np.testing.assert_array_equal(first.x, second.x)
        np.testing.assert_array_equal(first.record, second.record)

    def test_errors(self, folder, tmp_path):
        with pytest.raises(ValueError, match=r"lacks the header of record\(s\) nope"):
            wfdb_beats(folder, ["nope"])
        with pytest.raises(ValueError, match="lists a record twice"):
            wfdb_beats(folder, ["pat-250", "pat-250"])
        with pytest.raises(ValueError, match="is not a folder"):
            wfdb_beats(tmp_path / "missing")
        with pytest.raises(ValueError, match="channel=1 is out of range"):
            wfdb_beats(folder, ["pat-250"], channel=1)
        with pytest.raises(TypeError, match="annotator must be"):
            wfdb_beats(folder, annotator="../x")
        with pytest.raises(TypeError, match="folder must be a folder path"):
            wfdb_beats(3)


class TestCommands:
    def test_train_then_evaluate_on_the_folder(self, folder, tmp_path, capsys):
        model, history = tmp_path / "m.npz", tmp_path / "history.json"
        status = main(["train", "--data-dir", str(folder), "--epochs", "1",
                       "--early-stopping", "0", "--out", str(model), "--quiet",
                       "--history-out", str(history)])
        assert status == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert "of 2 records" in out and model.is_file()
        # the history feeds `heartbeat plot curves`
        assert len(json.loads(history.read_text())["train_loss"]) == 1
        if importlib.util.find_spec("matplotlib") is not None:
            assert main(["plot", "curves", str(history), "--out", str(tmp_path / "h.png")]) == 0
        status = main(["evaluate", str(model), "--data-dir", str(folder),
                       "--records", "pat-500", "--quiet"])
        assert status == 0
        out = capsys.readouterr().out
        n = len(wfdb_beats(folder, ["pat-500"]))
        assert f"evaluated on 1 records ({n} beats" in out

    def test_evaluate_every_record_with_another_annotator(self, sqrs_folder, capsys):
        status = main(["evaluate", "mitbih-ds1", "--data-dir", str(sqrs_folder),
                       "--annotator", "sqrs", "--quiet"])
        assert status == 0, capsys.readouterr().err
        n = len(wfdb_beats(sqrs_folder, annotator="sqrs"))
        assert f"evaluated on 1 records ({n} beats" in capsys.readouterr().out

    def test_channel_is_passed_on(self, folder, capsys):
        status = main(["evaluate", "mitbih-ds1", "--data-dir", str(folder), "--channel", "1",
                       "--quiet"])
        assert status == 2
        assert "channel=1 is out of range: record pat-250 has 1 channel" in \
            capsys.readouterr().err

    def test_folder_without_annotations(self, sqrs_folder, capsys):
        status = main(["evaluate", "mitbih-ds1", "--data-dir", str(sqrs_folder)])
        assert status == 2
        assert "holds no record with NAME.hea and NAME.atr" in capsys.readouterr().err
