"""heartbeat.classifier.join: seed ensembles as one model file, on real MIT-BIH beats.

Three small kachuee2018 networks (seeds 1, 2, 3; record context and RR features, as
the shipped models) are trained for one epoch on the shipped excerpts of records 100
and 208 (355 annotated beats) and joined.  The ensemble's probabilities are checked
against the mean of the members' logits computed here, through save/load, classify,
the stream and the exported NumPy-only file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import heartbeat
from heartbeat import nn
from heartbeat.classifier import BeatClassifier, join
from heartbeat.cli import main
from heartbeat.datasets import mitbih_beats
from heartbeat.export import export
from heartbeat.io.examples import example_path, load_example
from heartbeat.stream import Stream

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def beatset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("excerpts")
    for name in ("100", "208"):
        for ext in ("hea", "dat", "atr"):
            shutil.copy(example_path(name).with_suffix(f".{ext}"), folder)
    return mitbih_beats(folder, ["100", "208"], quiet=True)


@pytest.fixture(scope="module")
def members(beatset) -> list[BeatClassifier]:
    return [BeatClassifier(context=2, log_rr=True, epochs=1, batch_size=64, seed=s,
                           early_stopping=None).fit(beatset, info={"recipe": f"r{s}"})
            for s in SEEDS]


@pytest.fixture(scope="module")
def joined(members) -> BeatClassifier:
    return join(members, info={"note": "three seeds"})


@pytest.fixture(scope="module")
def signal_208() -> tuple[np.ndarray, float]:
    ex = load_example("208")
    return ex.signal[:, 0], float(ex.fs)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mean_logits(members: list[BeatClassifier], x: object, checked: bool = False
                ) -> np.ndarray:
    """The members' float64 logits added in order, over their number (by hand)."""
    logits = [m._predict_logits(x, checked=checked) for m in members]
    return (logits[0] + logits[1] + logits[2]) / 3


class TestJoin:
    def test_probabilities_are_the_softmax_of_the_mean_logits(self, joined, members,
                                                             beatset):
        by_hand = mean_logits(members, beatset)
        np.testing.assert_array_equal(joined._predict_logits(beatset), by_hand)
        np.testing.assert_array_equal(joined.predict_proba(beatset), softmax(by_hand))
        one = members[0].predict_proba(beatset)
        assert not np.allclose(joined.predict_proba(beatset), one, atol=1e-3)

    def test_calibration_applies_to_the_mean(self, members, beatset):
        calibrated = join(members).calibrate(beatset)
        cal = calibrated.calibration_
        assert cal.temperature != 1.0 and cal.reject_below is not None
        by_hand = softmax(mean_logits(members, beatset) / cal.temperature)
        np.testing.assert_allclose(calibrated.predict_proba(beatset), by_hand, rtol=1e-12)
        codes = calibrated.predict(beatset, reject=True)
        assert (codes[by_hand.max(axis=1) < cal.reject_below] == -1).all()

    def test_info_records_the_members(self, joined, members):
        info = joined.info
        assert info["ensemble"]["seeds"] == list(SEEDS)
        assert info["ensemble"]["architectures"] == ["kachuee2018"] * 3
        assert info["ensemble"]["combine"] == "mean of logits"
        assert [m["recipe"] for m in info["ensemble"]["members"]] == ["r1", "r2", "r3"]
        assert info["note"] == "three seeds" and info["records"] == ["100", "208"]
        assert "calibration" not in info and joined.calibration_.temperature == 1.0
        assert joined.classes_ == members[0].classes_
        assert repr(joined.model_).startswith("Ensemble([kachuee2018, kachuee2018")

    def test_members_are_copied(self, joined, members, beatset):
        before = joined.predict_proba(beatset)
        bias = members[0].model_.named_params()["head.0.b"]
        saved = bias.copy()
        bias += 1.0  # in place, in the member
        try:
            np.testing.assert_array_equal(joined.predict_proba(beatset), before)
        finally:
            bias[...] = saved

    def test_architectures_may_differ(self, members, beatset):
        other = BeatClassifier("cnn_mlp", context=2, log_rr=True, epochs=1, batch_size=64,
                               seed=4, early_stopping=None).fit(beatset)
        mixed = join([members[0], other])
        expected = (members[0]._predict_logits(beatset) + other._predict_logits(beatset)) / 2
        np.testing.assert_array_equal(mixed._predict_logits(beatset), expected)


class TestFile:
    def test_round_trip_without_pickle(self, joined, beatset, tmp_path):
        path = joined.save(tmp_path / "ensemble.npz")
        with np.load(path, allow_pickle=False) as npz:
            assert int(npz["format_version"]) == 2
            names = npz.files
        assert {n.split("/")[1] for n in names if n.startswith("member/")} == {"0", "1", "2"}
        loaded = BeatClassifier.load(path)
        assert isinstance(loaded.model_, nn.Ensemble)
        assert loaded.info == joined.info and loaded.get_params() == joined.get_params()
        np.testing.assert_array_equal(loaded.predict_proba(beatset),
                                      joined.predict_proba(beatset))

    def test_member_architecture_must_match_its_info(self, joined, tmp_path):
        path = joined.save(tmp_path / "ensemble.npz")
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
        info = json.loads(str(data["info"]))
        info["ensemble"]["members"][2]["params"]["architecture"] = "cnn_mlp"
        data["info"] = np.array(json.dumps(info))
        np.savez(tmp_path / "bad.npz", **data)
        with pytest.raises(ValueError, match="does not match the saved parameters"):
            BeatClassifier.load(tmp_path / "bad.npz")

    def test_single_model_files_stay_format_1(self, members, tmp_path):
        with np.load(members[0].save(tmp_path / "one.npz"), allow_pickle=False) as npz:
            assert int(npz["format_version"]) == 1
            assert not [n for n in npz.files if n.startswith("member/")]

    def test_cli_join(self, members, tmp_path, capsys):
        paths = [str(m.save(tmp_path / f"m{i}.npz")) for i, m in enumerate(members)]
        out = tmp_path / "joined.npz"
        assert main(["join", *paths, "--out", str(out)]) == 0
        assert capsys.readouterr().out.strip() == str(out)
        loaded = BeatClassifier.load(out)
        assert loaded.info["ensemble"]["seeds"] == list(SEEDS)
        assert loaded.info["command"].startswith("heartbeat join ")
        assert main(["join", paths[0], "--out", str(tmp_path / "x.npz")]) == 2
        assert "at least 2 members" in capsys.readouterr().err
        assert not (tmp_path / "x.npz").exists()


class TestUse:
    def test_classify_with_adaptation(self, joined, members, signal_208, tmp_path):
        x, fs = signal_208
        path = joined.save(tmp_path / "e.npz")
        result = heartbeat.classify(x, fs, model=str(path), adapt="prior", reject=False)
        beats = heartbeat.segment(x, fs)
        np.testing.assert_array_equal(result.r_peaks, beats.r_peaks)
        plain = heartbeat.classify(x, fs, model=joined, reject=False, adapt="none")
        np.testing.assert_array_equal(plain.probabilities,
                                      softmax(mean_logits(members, beats, checked=True)))
        assert not np.array_equal(result.probabilities, plain.probabilities)  # adapted

    def test_stream_averages_the_members(self, joined, members, signal_208):
        x, fs = signal_208
        x = x[: int(60 * fs)]
        # the model's own probabilities: the template adaptation would zero some V and F
        streams = [Stream(fs, model=m, adapt="none") for m in (joined, *members)]
        found = []
        for s in streams:
            parts = [s.push(x[i : i + 3600]) for i in range(0, len(x), 3600)]
            parts.append(s.flush())
            found.append((np.concatenate([p.sample for p in parts]),
                          np.concatenate([p.probabilities for p in parts])))
        assert len(found[0][0]) > 80
        for sample, _ in found[1:]:
            np.testing.assert_array_equal(sample, found[0][0])
        # members uncalibrated: log-probabilities are logits minus a per-beat constant
        mean_log = sum(np.log(p) for _, p in found[1:]) / 3
        np.testing.assert_allclose(found[0][1], softmax(mean_log), rtol=1e-6, atol=1e-9)

    def test_export_is_bit_identical(self, joined, tmp_path):
        ex = load_example("100")
        beats = heartbeat.segment(ex.signal[:, 0], ex.fs)
        np.savez(tmp_path / "beats.npz", waveforms=beats.waveforms, r_peaks=beats.r_peaks,
                 fs=beats.fs)
        export(joined, tmp_path)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        done = subprocess.run([sys.executable, "-c", RUN_EXPORTED], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        numpy_backend = BeatClassifier.load(joined.save(tmp_path / "e.npz"), backend="numpy")
        np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"),
                                      numpy_backend.predict_proba(beats))
        assert done.stdout.strip() == "3"


RUN_EXPORTED = """
import sys
sys.modules["heartbeat"] = None  # any import of heartbeat now fails
import numpy as np
import heartbeat_model as hm
beats = np.load("beats.npz")
np.save("proba.npy", hm.predict_proba(beats["waveforms"], beats["r_peaks"], float(beats["fs"])))
print(len(hm.MEMBERS))
"""


class TestErrors:
    def test_bad_members(self, members, beatset):
        with pytest.raises(ValueError, match="at least 2 members, got 1"):
            join(members[:1])
        with pytest.raises(TypeError, match="must be a list of classifiers"):
            join(members[0])
        with pytest.raises(TypeError, match=r"members\[1\] must be a BeatClassifier"):
            join([members[0], 3])
        with pytest.raises(ValueError, match="not fitted"):
            join([members[0], BeatClassifier()])
        with pytest.raises(FileNotFoundError, match="no model file"):
            join([members[0], Path("/nonexistent/m.npz")])
        with pytest.raises(ValueError, match="already an ensemble"):
            join([members[0], join(members[:2])])
        with pytest.raises(TypeError, match="info must be a dict"):
            join(members, info=["x"])
        with pytest.raises(ValueError, match="JSON-serialisable"):
            join(members, info={"x": object()})

    def test_members_must_agree(self, members, beatset):
        no_context = BeatClassifier(log_rr=True, epochs=1, batch_size=64,
                                    early_stopping=None).fit(beatset)
        with pytest.raises(ValueError, match=r"members\[1\] differs .* in context"):
            join([members[0], no_context])
        other_prior = BeatClassifier(context=2, log_rr=True, epochs=1, batch_size=64,
                                     sampler="shuffle", early_stopping=None).fit(beatset)
        with pytest.raises(ValueError, match="class prior"):
            join([members[0], other_prior])
