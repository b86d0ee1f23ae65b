"""heartbeat.export: the NumPy-only file gives the library's probabilities bit for bit."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import heartbeat
from heartbeat.classifier import BeatClassifier
from heartbeat.export import export

REPO = Path(__file__).resolve().parents[1]

RUN_EXPORTED = """
import sys
sys.modules["heartbeat"] = None  # any import of heartbeat now fails
import numpy as np
import heartbeat_model as hm
beats = np.load("beats.npz")
np.save("proba.npy", hm.predict_proba(beats["waveforms"], beats["r_peaks"], float(beats["fs"])))
print(",".join(hm.CLASSES))
"""


def _run_exported(folder: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", RUN_EXPORTED], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


class TestExport:
    @pytest.mark.parametrize(("name", "record"), [("mitbih-all", "208"),
                                                  ("mitbih-ds1", "100")])
    def test_bit_identical_probabilities_without_heartbeat(self, tmp_path, mitdb_dir,
                                                           name, record):
        rec = heartbeat.read_record(mitdb_dir / record)
        beats = heartbeat.segment(rec.signal[: int(180 * rec.fs), 0], rec.fs)
        assert len(beats) > 200
        np.savez(tmp_path / "beats.npz", waveforms=beats.waveforms, r_peaks=beats.r_peaks,
                 fs=beats.fs)
        py, npz = export(name, tmp_path)
        assert (py.name, npz.name) == ("heartbeat_model.py", "heartbeat_model.npz")
        done = _run_exported(tmp_path)
        assert done.returncode == 0, done.stderr
        clf = BeatClassifier.pretrained(name, backend="numpy")
        assert done.stdout.strip() == ",".join(clf.classes_)
        got = np.load(tmp_path / "proba.npy")
        np.testing.assert_array_equal(got, clf.predict_proba(beats))

    def test_the_file_imports_numpy_only(self, tmp_path):
        py, _ = export("mitbih-ds1", tmp_path)
        tree = ast.parse(py.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                    for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        outside = {m.split(".")[0] for m in imported} - set(sys.stdlib_module_names)
        assert outside == {"numpy"}  # and the standard library

    def test_a_fitted_classifier_object(self, tmp_path):
        clf = BeatClassifier.pretrained("mitbih-ds1")
        py, npz = export(clf, tmp_path / "new")
        with np.load(npz, allow_pickle=False) as f:
            assert f["classes"].tolist() == list(clf.classes_)
            assert int(f["context"]) == 20
        assert py.exists()


class TestDamagedModel:
    def test_garbage_file_fails_before_writing(self, tmp_path):
        bad = tmp_path / "bad.npz"
        bad.write_bytes(b"not a model")
        out = tmp_path / "out"
        with pytest.raises(ValueError, match=r"bad\.npz"):
            export(bad, out)
        assert not out.exists() or not any(out.iterdir())

    def test_truncated_file_fails_before_writing(self, tmp_path):
        from heartbeat.classifier.saved import _pretrained_path

        good = _pretrained_path("mitbih-ds1").read_bytes()
        bad = tmp_path / "cut.npz"
        bad.write_bytes(good[: len(good) // 2])
        out = tmp_path / "out"
        with pytest.raises(ValueError, match=r"cut\.npz"):
            export(bad, out)
        assert not out.exists() or not any(out.iterdir())

    def test_missing_file_and_wrong_type(self, tmp_path):
        with pytest.raises(FileNotFoundError, match=r"nothing\.npz"):
            export(tmp_path / "nothing.npz", tmp_path)
        with pytest.raises(TypeError, match="model must be"):
            export(3, tmp_path)
        assert not any(tmp_path.iterdir())


class TestExportCommand:
    def test_writes_both_files(self, tmp_path):
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-m", "heartbeat.cli", "export", "mitbih-ds1", "--out",
             str(tmp_path / "m")], env=env, capture_output=True, text=True, timeout=300,
            check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [str(tmp_path / "m" / "heartbeat_model.py"),
                                       str(tmp_path / "m" / "heartbeat_model.npz")]

    def test_damaged_file_is_a_clear_error(self, tmp_path):
        bad = tmp_path / "bad.npz"
        bad.write_bytes(b"x")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-m", "heartbeat.cli", "export", str(bad), "--out",
             str(tmp_path / "m")], env=env, capture_output=True, text=True, timeout=300,
            check=False)
        assert done.returncode == 2
        assert "bad.npz" in done.stderr
        assert not (tmp_path / "m").exists()

    def test_missing_file_is_a_clear_error(self, tmp_path):
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-m", "heartbeat.cli", "export", str(tmp_path / "no.npz"),
             "--out", str(tmp_path / "m")], env=env, capture_output=True, text=True,
            timeout=300, check=False)
        assert done.returncode == 2
        assert "no.npz' does not exist" in done.stderr
        assert not (tmp_path / "m").exists()
