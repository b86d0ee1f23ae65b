"""heartbeat.export(..., fixed_point=): the network in integers, in the NumPy-only file."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import heartbeat
from heartbeat.classifier import BeatClassifier
from heartbeat.context import with_context
from heartbeat.datasets import mitbih_beats
from heartbeat.export import export
from heartbeat.export_fixed import QMAX, fixed_point_arrays

REPO = Path(__file__).resolve().parents[1]

RUN_EXPORTED = """
import sys
sys.modules["heartbeat"] = None  # any import of heartbeat now fails
import numpy as np
import heartbeat_model as hm
for name in sys.argv[1:]:
    b = np.load(name + ".npz")
    fixed = hm.predict_proba(b["waveforms"], b["r_peaks"], float(b["fs"]))
    hm.logits, integer = hm.logits_float, hm.logits
    np.savez(name + ".out.npz", fixed=fixed,
             float=hm.predict_proba(b["waveforms"], b["r_peaks"], float(b["fs"])))
    hm.logits = integer
"""


@pytest.fixture(scope="module")
def calibration(mitdb_dir):
    """Network inputs of every third annotated beat of DS1 record 106, lead 0.

    (Not 100, a DS2 record, nor 208, both checked below.)
    """
    data = mitbih_beats(mitdb_dir, ("106",), quiet=True)
    x = with_context(data.x, 20, data.record, times=data.sample)
    return np.asarray(x[::3], dtype=np.float32), np.asarray(data.rr[::3])


def _import(folder: Path):
    """The exported module of `folder`, imported here (heartbeat_model, fresh)."""
    sys.modules.pop("heartbeat_model", None)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("heartbeat_model")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("heartbeat_model", None)


class TestFixedPoint:
    @pytest.mark.parametrize("name", ["mitbih-ds1", "mitbih-all"])
    def test_agrees_with_the_float_model_without_heartbeat(self, tmp_path, calibration,
                                                           name):
        for record in ("100", "208"):
            ex = heartbeat.load_example(record)
            beats = heartbeat.segment(ex.signal, ex.fs)
            np.savez(tmp_path / f"{record}.npz", waveforms=beats.waveforms,
                     r_peaks=beats.r_peaks, fs=beats.fs)
        export(name, tmp_path, fixed_point=calibration)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        done = subprocess.run([sys.executable, "-c", RUN_EXPORTED, "100", "208"],
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        clf = BeatClassifier.pretrained(name, backend="numpy")
        same = []
        for record in ("100", "208"):
            ex = heartbeat.load_example(record)
            out = np.load(tmp_path / f"{record}.out.npz")
            # the float network is still the library's, bit for bit
            np.testing.assert_array_equal(out["float"],
                                          clf.predict_proba(heartbeat.segment(ex.signal,
                                                                              ex.fs)))
            assert not np.array_equal(out["fixed"], out["float"])  # another computation
            same.append(out["fixed"].argmax(1) == out["float"].argmax(1))
            assert np.abs(out["fixed"] - out["float"]).max() < 0.1
        assert np.concatenate(same).mean() >= 0.99

    def test_weights_are_integers_and_no_accumulator_can_overflow(self, tmp_path,
                                                                  calibration):
        export("mitbih-all", tmp_path, fixed_point=calibration)
        hm = _import(tmp_path)
        layers = [k[: -len(".w")] for k in hm.W if k.startswith("fx/") and k.endswith(".w")]
        assert len(layers) == 14  # 11 convolutions, 3 dense layers
        for key in layers:
            w, b = hm.W[key + ".w"], hm.W[key + ".b"]
            assert (w.dtype, b.dtype) == (np.int8, np.int32)
            per_output = w.reshape(w.shape[0], -1) if w.ndim == 3 else w.T
            bound = np.abs(per_output.astype(np.int64)).sum(axis=1) * QMAX + np.abs(b)
            assert bound.max() < 2**31, key
        # saturating inputs, and every accumulator taken in exact int64 arithmetic
        largest, through_float = [], hm.int_matmul

        def exact(a, b):
            assert a.dtype.kind == "i" and b.dtype.kind == "i"
            acc = a.astype(np.int64) @ b.astype(np.int64)
            np.testing.assert_array_equal(acc, through_float(a, b))
            largest.append(int(np.abs(acc).max()))
            return acc

        hm.int_matmul = exact
        rng = np.random.default_rng(0)
        x = rng.choice([-1e6, 1e6], size=(8, 2, 187)).astype(np.float32)
        logits = hm.forward_fixed(x, np.full((8, 3), 1e6))
        assert np.isfinite(logits).all()
        assert len(largest) == 14 and max(largest) < 2**31

    def test_an_accumulator_that_could_overflow_is_refused(self):
        spec = {"name": "wide", "extra_inputs": 0, "features": [{"type": "flatten"}],
                "head": [{"type": "dense"}, {"type": "dense"}]}
        params = {"head.0.w": np.ones((600, 2), np.float32), "head.0.b": np.zeros(2),
                  "head.1.w": np.ones((2, 2), np.float32), "head.1.b": np.zeros(2)}
        x = np.ones((4, 1, 600), np.float32)
        with pytest.raises(ValueError, match=r"head\.0: its int32 accumulator"):
            fixed_point_arrays(spec, params, x, None)
        params["head.0.w"] = params["head.0.w"][:300]
        assert fixed_point_arrays(spec, params, x[:, :, :300], None)["fx/head.0.w"].dtype \
            == np.int8


class TestFixedPointErrors:
    def test_damaged_model_fails_before_writing(self, tmp_path, calibration):
        bad = tmp_path / "bad.npz"
        bad.write_bytes(b"not a model")
        out = tmp_path / "out"
        with pytest.raises(ValueError, match=r"bad\.npz"):
            export(bad, out, fixed_point=calibration)
        assert not out.exists()

    def test_bad_calibration_fails_before_writing(self, tmp_path, calibration):
        out = tmp_path / "out"
        with pytest.raises(ValueError, match=r"fixed_point\[0\] must have shape"):
            export("mitbih-ds1", out, fixed_point=(calibration[0][:, 0], calibration[1]))
        with pytest.raises(ValueError, match=r"fixed_point\[1\]"):
            export("mitbih-ds1", out, fixed_point=(calibration[0], calibration[1][:5]))
        with pytest.raises(TypeError, match="fixed_point must be"):
            export("mitbih-ds1", out, fixed_point=3)
        with pytest.raises(FileNotFoundError, match="nowhere"):
            export("mitbih-ds1", out, fixed_point=tmp_path / "nowhere")
        assert not out.exists()

    def test_command_with_a_missing_folder_is_a_clear_error(self, tmp_path):
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-m", "heartbeat.cli", "export", "mitbih-ds1", "--out",
             str(tmp_path / "m"), "--fixed-point", str(tmp_path / "nowhere")], env=env,
            capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 2
        assert "nowhere' does not exist" in done.stderr
        assert not (tmp_path / "m").exists()
