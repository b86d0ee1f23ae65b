"""The exported file's classify(): the library's R peaks, beats and labels, NumPy alone."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import heartbeat
from heartbeat import export as export_module
from heartbeat.classifier import BeatClassifier
from heartbeat.export import export, numpy_only_path
from heartbeat.export_source import ExportError, copied_sources, library_source
from heartbeat.signal_quality import UNREADABLE_BELOW

# the exported file run by a Python that can import NumPy and nothing else of the venv:
# -I -S (no site-packages, no PYTHONPATH), then a folder holding only numpy on the path
RUN_EXPORTED = """
import importlib.util, json, sys
sys.path[:0] = [".", sys.argv[1]]
import numpy as np
import heartbeat_model as hm
MISSING = {"gapped": {"missing": "unreadable"}}
found = {m: importlib.util.find_spec(m) is not None for m in ("heartbeat", "numba", "scipy")}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("heartbeat", "numba", "scipy"))
signals = np.load("signals.npz")
fs = json.loads(open("fs.json").read())
out = {}
for key in signals.files:
    r = hm.classify(signals[key], fs[key], **MISSING.get(key, {}))
    out.update({key + ".r_peaks": r.r_peaks, key + ".labels": r.labels,
                key + ".codes": r.codes, key + ".probabilities": r.probabilities,
                key + ".reasons": r.reasons, key + ".quality": r.quality})
np.savez("result.npz", **out)
errors = []
for args, kwargs in json.loads(open("bad.json").read()):
    args = [np.array(a, dtype=float) if isinstance(a, list) else a for a in args]
    try:
        hm.classify(*args, **kwargs)
        errors.append(None)
    except Exception as exc:
        errors.append([type(exc).__name__, str(exc)])
print(json.dumps({"found": found, "loaded": loaded, "errors": errors}))
"""

# (args, kwargs) of bad calls, JSON-ready: a list is a float array
BAD_CALLS = [
    [[[1.0, float("nan"), 2.0] * 100, 360.0], {}],
    [[[], 360.0], {}],
    [[[0.0] * 500, 0.0], {}],
    [[[0.0] * 500, "360"], {}],
    [[[[[0.0]]], 360.0], {}],
    [["abc", 360.0], {}],
    [[[0.0] * 500, 360.0], {"reject": 2.0}],
    [[[0.0] * 500, 360.0], {"reject": "yes"}],
    [[[0.0] * 500, 360.0], {"quality": 2.0}],
    [[[0.0] * 500, 360.0], {"noisy_below": -0.5}],
]


def _noisy_118(mitdb_dir) -> tuple[np.ndarray, float]:
    """MIT-BIH 118's first 110 s, electrode-motion noise at -6 dB SNR from 30 s to 70 s."""
    from heartbeat.aami import class_codes
    from heartbeat.noise import add_noise, electrode_motion

    rec = heartbeat.read_record(mitdb_dir / "118", sampto=110 * 360)
    ann = heartbeat.read_annotations(mitdb_dir / "118")
    codes = class_codes(ann.symbol)
    n = rec.signal.shape[0]
    normal = ann.sample[(codes >= 0) & (codes != 2) & (codes != 3) & (ann.sample < n)]
    noisy = add_noise(rec.signal, rec.fs, electrode_motion(n, rec.fs, seed=0),
                      snr_db=-6.0, beats=normal, start_s=30.0, segment_s=40.0)
    return noisy.signal[:, 0], float(rec.fs)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, mitdb_dir):
    """The exported mitbih-all model run on real records in a NumPy-only Python."""
    folder = tmp_path_factory.mktemp("exported")
    export("mitbih-all", folder)
    signals, fs = {}, {}
    for record, seconds, leads in (("208", 150, 1), ("232", 150, 1), ("105", 90, 2),
                                   ("104", 40, 1)):
        rec = heartbeat.read_record(mitdb_dir / record)
        x = rec.signal[: int(seconds * rec.fs), :leads]
        signals[record] = x[:, 0] if leads == 1 else x
        fs[record] = float(rec.fs)
    signals["118noisy"], fs["118noisy"] = _noisy_118(mitdb_dir)
    rec = heartbeat.read_record(mitdb_dir / "103")  # lead 1, electrode artefact: "noisy"
    signals["103lead1"] = rec.signal[int(22 * 60 * rec.fs): int(24 * 60 * rec.fs), 1]
    fs["103lead1"] = float(rec.fs)
    signals["short"], fs["short"] = signals["208"][:180], 360.0  # 0.5 s: no beat
    signals["few"], fs["few"] = signals["208"][:720], 360.0  # 2 s: a few beats
    gapped = signals["208"].copy()  # a lead off for 5 s, and one invalid sample
    gapped[40 * 360:45 * 360] = np.nan
    gapped[80 * 360] = np.nan
    signals["gapped"], fs["gapped"] = gapped, 360.0
    np.savez(folder / "signals.npz", **signals)
    (folder / "fs.json").write_text(json.dumps(fs))
    (folder / "bad.json").write_text(json.dumps(BAD_CALLS))
    numpy_only = numpy_only_path(tmp_path_factory.mktemp("numpy_only") / "site")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", RUN_EXPORTED, str(numpy_only)],
                          cwd=folder, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    with np.load(folder / "result.npz") as f:
        results = {k: f[k] for k in f.files}
    return signals, fs, report, results


class TestClassifyWithNumpyAlone:
    def test_nothing_but_numpy_is_importable_or_imported(self, exported):
        _, _, report, _ = exported
        assert report["found"] == {"heartbeat": False, "numba": False, "scipy": False}
        assert report["loaded"] == []

    @pytest.mark.parametrize("record", ["208", "232", "105", "104", "118noisy", "103lead1",
                                        "short", "few", "gapped"])
    def test_same_peaks_labels_and_probabilities_as_the_library(self, exported, record):
        signals, fs, _, results = exported
        clf = BeatClassifier.pretrained("mitbih-all", backend="numpy")
        missing = "unreadable" if record == "gapped" else "error"
        want = heartbeat.classify(signals[record], fs[record], model=clf, missing=missing)
        assert len(want) == 0 if record == "short" else \
            0 < len(want) < 10 if record == "few" else len(want) > 40
        np.testing.assert_array_equal(results[f"{record}.r_peaks"], want.r_peaks)
        np.testing.assert_array_equal(results[f"{record}.labels"], want.labels)
        np.testing.assert_array_equal(results[f"{record}.codes"], want.codes)
        np.testing.assert_array_equal(results[f"{record}.reasons"], want.reasons)
        np.testing.assert_array_equal(results[f"{record}.quality"], want.quality)
        np.testing.assert_array_equal(results[f"{record}.probabilities"],
                                      want.probabilities)  # bit for bit
        assert results[f"{record}.probabilities"].shape == (len(want), 5)
        if record == "gapped":  # the gaps' stretches, and a recording split at the gap
            assert (want.reasons == "unreadable").sum() >= 2

    def test_the_reject_option_withholds_beats(self, exported):
        _, _, _, results = exported
        assert (results["232.reasons"] == "uncertain").sum() > 0  # the "?" path is compared

    def test_beats_of_unreadable_stretches_come_back_unclassified(self, exported):
        _, fs, _, results = exported
        unreadable = results["118noisy.reasons"] == "unreadable"  # kept, not dropped
        assert unreadable.sum() >= 5
        assert np.all(results["118noisy.labels"][unreadable] == "?")
        assert np.all(results["118noisy.quality"][unreadable] < UNREADABLE_BELOW)
        seconds = results["118noisy.r_peaks"][unreadable] / fs["118noisy"]
        assert np.all((seconds >= 27) & (seconds < 73))  # the noise, and 3 s of context

    def test_abnormal_calls_of_noisy_stretches_come_back_unclassified(self, exported):
        from heartbeat.classifier.results import NOISY_BELOW

        _, _, _, results = exported
        noisy = results["103lead1.reasons"] == "noisy"
        assert noisy.sum() >= 5  # the "noisy" path is compared with the library's
        assert np.all(results["103lead1.labels"][noisy] == "?")
        assert np.all(results["103lead1.quality"][noisy] < NOISY_BELOW)

    def test_bad_input_gives_the_library_errors(self, exported):
        _, _, report, _ = exported
        for (args, kwargs), got in zip(BAD_CALLS, report["errors"], strict=True):
            args = [np.array(a, dtype=float) if isinstance(a, list) else a for a in args]
            with pytest.raises((TypeError, ValueError)) as want:
                heartbeat.classify(*args, **kwargs)
            assert got == [type(want.value).__name__, str(want.value)]


class _Normalised(ast.NodeTransformer):
    """Undo the three rewrites the copy may make (export_source's docstring)."""

    def __init__(self, aliases: set[str], renamed: dict[str, str]) -> None:
        self.aliases, self.renamed = aliases, renamed

    def visit_ImportFrom(self, node):
        return None if (node.module or "").startswith("heartbeat") else node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id in self.aliases:
            return ast.Name(id=node.attr, ctx=node.ctx)
        return node

    def visit_Name(self, node):
        node.id = self.renamed.get(node.id, node.id)
        return node

    def visit_FunctionDef(self, node):
        node.name = self.renamed.get(node.name, node.name)
        return self.generic_visit(node)

    visit_ClassDef = visit_FunctionDef


class TestOneSourceOfTruth:
    def test_the_copies_are_the_library_source(self, tmp_path):
        copies, renamed = copied_sources(export_module._CLASSIFY,
                                         export_module._CLASSIFY_NAMES,
                                         export_module._template_names())
        export("mitbih-all", tmp_path)
        spec = importlib.util.spec_from_file_location("heartbeat_model_copy",
                                                      tmp_path / "heartbeat_model.py")
        exported = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = exported
        try:
            spec.loader.exec_module(exported)
        finally:
            del sys.modules[spec.name]
        back = {library: new for new, library in renamed.items()}
        text = (tmp_path / "heartbeat_model.py").read_text(encoding="utf-8")
        names = set()
        for module, name, source, emitted in copies:
            mod = sys.modules[module]
            obj = getattr(mod, name)
            names.add(name)
            assert emitted in text
            if callable(obj) and getattr(obj, "__module__", None) == module:
                assert source == inspect.getsource(obj), name
            elif dataclasses.is_dataclass(obj):  # e.g. DEFAULT_RULE: the copied class's
                assert dataclasses.asdict(getattr(exported, back.get(name, name))) \
                    == dataclasses.asdict(obj), name
            else:  # a constant: the copied line gives the library's value
                assert np.all(getattr(exported, back.get(name, name)) == obj), name  # arrays too
            aliases = {k for k, v in vars(mod).items() if isinstance(v, types.ModuleType)
                       and v.__name__.startswith("heartbeat")}
            want = _Normalised(aliases, {}).visit(ast.parse(source))
            got = _Normalised(set(), renamed).visit(ast.parse(emitted))
            assert ast.dump(got) == ast.dump(want), name
        # the detector, its rule, the segmentation, the signal quality, the record
        # context, the RR features and the calibrated softmax travel as the library has them
        assert {"_segment", "_min_quality", "_quality", "_detect", "_detect_lead",
                "decide_beats", "RULE", "_resample_poly", "as_signal", "with_context",
                "_local_median", "_rr_features", "Calibration", "softmax"} <= names
        # and the network part keeps no hand-made copy of a library function
        network = {n.name for n in ast.parse(export_module._TEMPLATE).body
                   if isinstance(n, ast.FunctionDef)}
        assert network == {"forward", "logits", "conv1d", "residual", "maxpool1d",
                           "_padded", "_winograd"}

    def test_numba_loops_stay_behind(self, tmp_path):
        py, _ = export("mitbih-ds1", tmp_path)
        text = py.read_text(encoding="utf-8")
        kernels = [line for line in text.splitlines() if " = Kernel(" in line]
        assert "BAND_PASS = Kernel(numpy_twin=band_pass)" in kernels
        assert kernels and all("numba_loop" not in line for line in kernels)
        assert "_loop(" not in text and "import numba" not in text

    def test_an_object_it_cannot_copy_fails_before_writing(self, tmp_path, monkeypatch):
        with pytest.raises(ExportError, match="numba"):
            library_source("y = compiled\n", {"compiled": "heartbeat._jit"}, set())
        monkeypatch.setattr(export_module, "_CLASSIFY", "y = compiled\n")
        monkeypatch.setattr(export_module, "_CLASSIFY_NAMES", {"compiled": "heartbeat._jit"})
        with pytest.raises(ValueError, match="numba"):
            export("mitbih-ds1", tmp_path / "out")
        assert not (tmp_path / "out").exists()

    def test_export_help_names_classify(self):
        done = subprocess.run([sys.executable, "-m", "heartbeat.cli", "export", "--help"],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]),
                                   "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        assert "classify(signal, fs)" in " ".join(done.stdout.split())
