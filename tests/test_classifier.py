"""BeatClassifier, classify() and the train / evaluate / predict commands.

Tiny models are fitted on the two shipped MIT-BIH excerpts (records 100 and 208, 120 s
each, 355 annotated beats) laid out as a two-record WFDB folder; the shipped
pretrained models are checked on the same excerpts.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import heartbeat
from heartbeat import nn
from heartbeat.aami import CLASSES, class_codes, is_beat
from heartbeat.classifier import (
    PRETRAINED,
    BeatClassifier,
    ClassifiedBeats,
    classify,
)
from heartbeat.classifier.inputs import _with_context
from heartbeat.cli import main
from heartbeat.context import with_context
from heartbeat.datasets import DS1, RECORDS, BeatSet, mitbih_beats, rr_features
from heartbeat.io.examples import example_path, load_example
from heartbeat.pipeline import segment

REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def excerpt_dir(tmp_path_factory) -> Path:
    """The shipped excerpts 100 and 208 as a small MIT-BIH folder."""
    folder = tmp_path_factory.mktemp("excerpts")
    for name in ("100", "208"):
        for ext in ("hea", "dat", "atr"):
            shutil.copy(example_path(name).with_suffix(f".{ext}"), folder)
    return folder


@pytest.fixture(scope="module")
def beatset(excerpt_dir):
    return mitbih_beats(excerpt_dir, ["100", "208"], quiet=True)


@pytest.fixture(scope="module")
def fitted(beatset) -> BeatClassifier:
    """A small fast network, 2 epochs, with RR features."""
    clf = BeatClassifier("cnn_mlp", epochs=2, batch_size=32, seed=1)
    return clf.fit(beatset, info={"command": "test"})


@pytest.fixture(scope="module")
def fitted_no_rr(beatset) -> BeatClassifier:
    return BeatClassifier("cnn_mlp", use_rr=False, epochs=1, batch_size=32).fit(beatset)


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory) -> Path:
    return fitted.save(tmp_path_factory.mktemp("model") / "model.npz")


def _annotated(name: str):
    """Beats of an excerpt cut at the annotated R peaks, and their AAMI codes."""
    ex = load_example(name)
    keep = is_beat(ex.annotations.symbol)
    beats = segment(ex.signal[:, 0], ex.fs, r_peaks=ex.annotations.sample[keep])
    return beats, class_codes(ex.annotations.symbol[keep]).astype(np.int64)


def _rewrite(src: Path, dst: Path, **changes) -> Path:
    """Copy a model .npz with some entries replaced (None deletes one)."""
    with np.load(src, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    for key, value in changes.items():
        key = key.replace("__", "/").replace("_DOT_", ".")
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    with open(dst, "wb") as fh:
        np.savez(fh, **arrays)
    return dst


# ----------------------------------------------------------------------- classifier
class TestBeatClassifier:
    def test_fit_predict_proba_score(self, fitted, beatset):
        proba = fitted.predict_proba(beatset)
        assert proba.shape == (len(beatset), 5) and proba.dtype == np.float64
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        pred = fitted.predict(beatset)
        np.testing.assert_array_equal(pred, proba.argmax(axis=1))
        assert fitted.score(beatset) == pytest.approx(np.mean(pred == beatset.y))
        assert fitted.classes_ == CLASSES
        assert fitted.history_.n_epochs <= 2

    def test_info_says_what_it_was_trained_on(self, fitted, beatset):
        info = fitted.info
        assert info["records"] == ["100", "208"]
        assert info["command"] == "test"
        assert info["heartbeat_version"] == heartbeat.__version__
        assert info["date"].endswith("Z") and info["date"][:2] == "20"
        assert info["n_train"] + info["n_validation"] == len(beatset)
        assert sum(info["train_class_counts"].values()) == info["n_train"]
        assert info["params"]["architecture"] == "cnn_mlp"
        info["records"].append("999")  # a copy: the classifier is unchanged
        assert fitted.info["records"] == ["100", "208"]

    def test_beats_array_and_beatset_agree(self, fitted_no_rr, beatset):
        beats, _ = _annotated("208")
        part = beatset[beatset.record == "208"]
        np.testing.assert_array_equal(beats.waveforms, part.x)
        np.testing.assert_allclose(fitted_no_rr.predict_proba(beats),
                                   fitted_no_rr.predict_proba(part.x))

    def test_rr_from_beats_matches_beatset(self, fitted, beatset):
        beats, _ = _annotated("208")
        part = beatset[beatset.record == "208"]
        np.testing.assert_allclose(rr_features(beats.r_peaks, beats.fs), part.rr)
        np.testing.assert_allclose(fitted.predict_proba(beats), fitted.predict_proba(part),
                                   rtol=1e-6)

    def test_rr_model_rejects_bare_array(self, fitted, beatset):
        with pytest.raises(ValueError, match=r"RR-interval features.*bare array"):
            fitted.predict(beatset.x)

    def test_y_from_names_and_codes(self, fitted_no_rr, beatset):
        names = np.array(CLASSES)[beatset.y]
        assert fitted_no_rr.score(beatset.x, names) == fitted_no_rr.score(beatset.x, beatset.y)

    def test_empty_input(self, fitted_no_rr):
        assert fitted_no_rr.predict_proba(np.zeros((0, 187))).shape == (0, 5)

    def test_deterministic(self, beatset):
        small = beatset[::4]
        a, b = (BeatClassifier("cnn_mlp", epochs=1, batch_size=32, seed=4).fit(small)
                for _ in range(2))
        np.testing.assert_array_equal(a.predict_proba(small), b.predict_proba(small))

    @pytest.mark.parametrize("architecture", sorted(nn.ARCHITECTURES))
    def test_every_architecture_trains(self, architecture, beatset):
        small = beatset[::6]
        clf = BeatClassifier(architecture, epochs=1, batch_size=30, early_stopping=None)
        clf.fit(small)
        assert clf.model_.spec["name"] == architecture
        assert clf.predict_proba(small).shape == (len(small), 5)

    def test_other_class_set(self, beatset):
        binary = dataclasses.replace(beatset, y=(beatset.y > 0).astype(np.int8),
                                     classes=("normal", "abnormal"))
        clf = BeatClassifier("cnn_mlp", epochs=1, early_stopping=None).fit(binary)
        assert clf.classes_ == ("normal", "abnormal")
        assert clf.predict_proba(binary).shape == (len(binary), 2)
        assert clf.info["classes"] == ["normal", "abnormal"]

    @given(batch_size=st.integers(1, 400))
    @settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_batch_size_does_not_change_results(self, fitted_no_rr, beatset, batch_size):
        np.testing.assert_allclose(
            fitted_no_rr.predict_proba(beatset.x[:50], batch_size=batch_size),
            fitted_no_rr.predict_proba(beatset.x[:50]), rtol=1e-6, atol=1e-9)

    def test_not_fitted(self, beatset):
        with pytest.raises(ValueError, match="not fitted yet"):
            BeatClassifier().predict(beatset)

    def test_threads_change_results_only_by_rounding(self, fitted, beatset):
        small = beatset[::3]
        one = BeatClassifier(epochs=1, batch_size=64, early_stopping=None, seed=2).fit(small)
        two = BeatClassifier(epochs=1, batch_size=64, early_stopping=None, seed=2,
                             threads=2).fit(small)
        assert two.model_.threads == 2 and "threads" not in two.info["params"]
        # equal gradients up to rounding (tests/test_nn_model.py); Adam's steps on
        # near-zero gradients can grow the rounding over an epoch, so a loose bound here
        np.testing.assert_allclose(two.predict_proba(small), one.predict_proba(small),
                                   atol=0.02)
        # a runtime setting: set_params applies to the fitted model at once
        ref = fitted.predict_proba(beatset)
        fitted.set_params(threads=2)
        try:
            np.testing.assert_allclose(fitted.predict_proba(beatset), ref, atol=1e-5)
            assert fitted.model_.threads == 2
        finally:
            fitted.set_params(threads=1)


class TestParams:
    def test_get_set_round_trip(self):
        clf = BeatClassifier("large_kernel", use_rr=False, epochs=3, seed=5)
        params = clf.get_params()
        assert params["architecture"] == "large_kernel" and params["epochs"] == 3
        clone = BeatClassifier(**params)
        assert clone.get_params() == params
        assert clf.set_params(epochs=7, sampler="shuffle") is clf
        assert clf.get_params() == {**params, "epochs": 7, "sampler": "shuffle"}
        assert "epochs=7" in repr(clf)

    @pytest.mark.parametrize(("params", "match"), [
        ({"architecture": "resnet"}, "architecture='resnet' is unknown"),
        ({"epochs": 0}, "epochs=0 must be a positive integer"),
        ({"sampler": "random"}, "sampler='random'"),
        ({"learning_rate": 2.0}, "learning_rate=2.0"),
        ({"early_stopping": 0}, "early_stopping=0"),
        ({"validation_fraction": 1.0}, "validation_fraction=1.0"),
        ({"colour": "red"}, "unknown parameter"),
        ({"threads": 0}, "threads=0 must be a positive integer"),
    ])
    def test_bad_params(self, params, match):
        with pytest.raises(ValueError, match=match):
            BeatClassifier().set_params(**params)

    def test_bad_type(self):
        with pytest.raises(TypeError, match="use_rr must be True or False"):
            BeatClassifier(use_rr="yes")


class TestSaveLoad:
    def test_round_trip(self, fitted, saved, beatset):
        loaded = BeatClassifier.load(saved)
        np.testing.assert_array_equal(loaded.predict_proba(beatset),
                                      fitted.predict_proba(beatset))
        threaded = BeatClassifier.load(saved, threads=2)
        assert threaded.threads == 2 and threaded.model_.threads == 2
        np.testing.assert_allclose(threaded.predict_proba(beatset),
                                   fitted.predict_proba(beatset), atol=1e-5)
        assert loaded.info == fitted.info
        assert loaded.classes_ == fitted.classes_
        assert loaded.get_params() == fitted.get_params()

    def test_npz_without_pickle(self, saved):
        with np.load(saved, allow_pickle=False) as data:
            assert "spec" in data.files and "info" in data.files

    def test_truncated(self, saved, tmp_path):
        bad = tmp_path / "cut.npz"
        bad.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
        with pytest.raises(ValueError, match="not a readable model file"):
            BeatClassifier.load(bad)

    def test_array_changed_shape(self, saved, tmp_path):
        with np.load(saved) as data:
            name = next(k for k in data.files if k.startswith("param/"))
            arr = data[name]
        bad = _rewrite(saved, tmp_path / "shape.npz", **{name.replace("/", "__").replace(
            ".", "_DOT_"): np.zeros((*arr.shape[:-1], arr.shape[-1] + 1), arr.dtype)})
        with pytest.raises(ValueError, match="has shape"):
            BeatClassifier.load(bad)

    def test_spec_edited(self, saved, tmp_path):
        with np.load(saved) as data:
            spec = json.loads(str(data["spec"]))
        edited = json.loads(json.dumps(spec))
        edited["n_classes"] = 4
        bad = _rewrite(saved, tmp_path / "spec.npz", spec=np.array(json.dumps(edited)))
        with pytest.raises(ValueError, match="do not match the network's 4 outputs"):
            BeatClassifier.load(bad)
        spec["head"][-1]["out_features"] = 4
        bad = _rewrite(saved, tmp_path / "spec.npz", spec=np.array(json.dumps(spec)))
        with pytest.raises(ValueError, match="has shape"):
            BeatClassifier.load(bad)

    def test_rr_flag_edited(self, saved, tmp_path):
        with np.load(saved) as data:
            info = json.loads(str(data["info"]))
        info["params"]["use_rr"] = False
        bad = _rewrite(saved, tmp_path / "info.npz", info=np.array(json.dumps(info)))
        with pytest.raises(ValueError, match="does not match the saved parameters"):
            BeatClassifier.load(bad)

    def test_other_file_format(self, saved, tmp_path):
        bad = _rewrite(saved, tmp_path / "v3.npz", format_version=np.array(3))
        with pytest.raises(ValueError, match=r"model file format 3.*reads formats 1"):
            BeatClassifier.load(bad)

    def test_other_classifier_format(self, saved, tmp_path):
        with np.load(saved) as data:
            info = json.loads(str(data["info"]))
        info["classifier_format"] = 9
        bad = _rewrite(saved, tmp_path / "c9.npz", info=np.array(json.dumps(info)))
        with pytest.raises(ValueError, match="classifier format 9"):
            BeatClassifier.load(bad)

    def test_plain_nn_model_is_not_a_classifier(self, tmp_path):
        path = nn.save(nn.build("cnn_mlp"), tmp_path / "plain.npz", info={})
        with pytest.raises(ValueError, match="classifier format None"):
            BeatClassifier.load(path)

    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            BeatClassifier.load(tmp_path / "none.npz")


class TestBadInput:
    def test_labels_outside_classes(self, beatset):
        y = beatset.y.astype(np.int64).copy()
        y[3] = 5
        with pytest.raises(ValueError, match=r"labels \[5\] outside 0-4"):
            BeatClassifier("cnn_mlp", use_rr=False, epochs=1).fit(beatset.x, y)
        y[3] = -1
        with pytest.raises(ValueError, match=r"labels \[-1\] outside 0-4"):
            BeatClassifier("cnn_mlp", use_rr=False, epochs=1).fit(beatset.x, y)
        with pytest.raises(ValueError, match=r"labels \['X'\] outside the classes"):
            BeatClassifier(use_rr=False).fit(beatset.x[:2], ["N", "X"])

    def test_wrong_beat_length(self, fitted_no_rr):
        with pytest.raises(ValueError, match=r"shape \(n_beats, 187\).*\(4, 180\)"):
            fitted_no_rr.predict(np.zeros((4, 180)))
        with pytest.raises(ValueError, match=r"shape \(n_beats, 187\)"):
            BeatClassifier(use_rr=False).fit(np.zeros(187), [0])

    def test_nan(self, fitted_no_rr, beatset):
        x = beatset.x[:5].copy()
        x[2, 7] = np.nan
        with pytest.raises(ValueError, match="NaN or infinite values in 1 beat"):
            fitted_no_rr.predict(x)
        with pytest.raises(ValueError, match="NaN"):
            BeatClassifier(use_rr=False).fit(x, [0] * 5)

    def test_y_length_and_missing(self, beatset):
        with pytest.raises(ValueError, match="3 labels for 5 beats"):
            BeatClassifier(use_rr=False).fit(beatset.x[:5], [0, 1, 2])
        with pytest.raises(ValueError, match="y is required"):
            BeatClassifier(use_rr=False).fit(beatset.x[:5])

    def test_not_numeric(self, fitted_no_rr):
        with pytest.raises(TypeError, match="numeric array of beats"):
            fitted_no_rr.predict(np.full((2, 187), "a"))


# ----------------------------------------------------------------------- pretrained
class TestPretrained:
    @pytest.mark.parametrize("name", PRETRAINED)
    def test_info(self, name):
        clf = BeatClassifier.pretrained(name)
        info = clf.info
        seen = sorted(info["records"] + info.get("validation_records", []))
        assert seen == (sorted(DS1) if name == "mitbih-ds1" else list(RECORDS))
        # a single network says the command that trained it (`heartbeat train`, or the
        # recipe's script); an ensemble its recipe's scripts, and each member its command
        members = info.get("ensemble", {}).get("members", [])
        assert info["command"].startswith(
            "python benchmarks/" if members
            else ("heartbeat train", "python benchmarks/train_candidate.py"))
        assert all(m["command"].startswith("python benchmarks/train_candidate.py")
                   for m in members)
        assert info["heartbeat_version"] and info["date"]
        assert (REPO / "heartbeat" / "data" / f"{name}.npz").stat().st_size < 1_000_000

    @pytest.mark.parametrize("name", PRETRAINED)
    def test_recipe_and_the_fold_scores_behind_it(self, name):
        info = BeatClassifier.pretrained(name).info
        recipe = info["recipe"]["name"]
        scores = info["fold_scores"]
        assert recipe in scores and "ch0" in scores  # the recipe against today's baseline
        for entry in (scores[recipe], scores["ch0"]):
            dealt = sorted(r for fold in entry["folds"] for r in fold)
            assert dealt == sorted(DS1) and len(entry["seeds"]) >= 3
        if name == "mitbih-all":  # its own folds, over the 48 records it was trained on
            within = scores["within all 48"]
            for text in ("ch0", recipe):
                assert sorted(r for f in within[text]["folds"] for r in f) == sorted(RECORDS)
                assert within[text]["seeds"] == [0, 1, 2]
            assert within["decision"]["decisions"][recipe]["complete"]
            assert within["ch0+ch1, 20000 steps"]["seeds"] == [0, 1, 2]

    def test_default_is_all(self):
        assert BeatClassifier.pretrained().info == BeatClassifier.pretrained(
            "mitbih-all").info

    @pytest.mark.parametrize("name", PRETRAINED)
    def test_excerpts(self, name):
        clf = BeatClassifier.pretrained(name)
        beats, y = _annotated("100")
        pred = clf.predict(beats)
        assert np.mean(pred[y == 0] == 0) > 0.9
        beats, y = _annotated("208")
        pred = clf.predict(beats)
        assert np.mean(pred[y == 2] == 2) > 0.6

    def test_unknown(self):
        with pytest.raises(ValueError, match="unknown pretrained model 'x'"):
            BeatClassifier.pretrained("x")

    def test_loaded_once_copies_independent(self):
        """The file is read once per process; each call returns its own copy."""
        from heartbeat.classifier import saved

        first = BeatClassifier.pretrained("mitbih-ds1")
        assert ("mitbih-ds1", "auto") in saved._PRETRAINED_LOADED
        second = BeatClassifier.pretrained("mitbih-ds1")
        assert first is not second and first.model_ is not second.model_
        beats, _ = _annotated("100")
        before = second.predict_proba(beats)
        next(iter(first.model_.named_params().values()))[...] = 0.0  # a user changes one
        assert np.array_equal(BeatClassifier.pretrained("mitbih-ds1").predict_proba(beats),
                              before)
        assert np.array_equal(second.predict_proba(beats), before)

    def test_numpy_only(self):
        """Inference with Numba (and SciPy) blocked gives the same probabilities."""
        script = textwrap.dedent(
            """
            import sys, json

            class Block:
                def find_spec(self, name, path=None, target=None):
                    if name.partition(".")[0] in ("scipy", "numba"):
                        raise ImportError(f"{name} is blocked in this test")
                    return None

            sys.meta_path.insert(0, Block())
            import heartbeat
            ex = heartbeat.load_example("208")
            clf = heartbeat.BeatClassifier.pretrained("mitbih-ds1")
            result = heartbeat.classify(ex.signal[:, 0], ex.fs, model=clf)
            print(json.dumps([clf.model_.backend, result.probabilities.tolist()]))
            """
        )
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True,
                              text=True, cwd=REPO, check=True)
        backend, proba = json.loads(proc.stdout)
        assert backend == "numpy"
        ex = load_example("208")
        here = classify(ex.signal[:, 0], ex.fs, model="mitbih-ds1")
        np.testing.assert_allclose(proba, here.probabilities, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------- classify
class TestClassify:
    def test_several_leads_peaks_from_all_beats_from_the_named_one(self):
        ex = load_example("208")
        both = ex.signal[:, :2]
        for lead in (0, 1):
            result = heartbeat.classify(both, ex.fs, lead=lead)
            beats = segment(both, ex.fs, lead=lead)
            assert result.beats.lead == lead
            np.testing.assert_array_equal(result.r_peaks, beats.r_peaks)
            np.testing.assert_array_equal(result.beats.waveforms, beats.waveforms)
        swapped = heartbeat.classify(both[:, ::-1], ex.fs, lead=0)
        assert swapped.labels.tolist() == result.labels.tolist()  # lead 1 cut, either way

    def test_adapt_takes_a_template_rule(self, mitdb_dir):
        from heartbeat.classifier.template import TemplateRule

        ex = load_example("208")
        shipped = heartbeat.classify(ex.signal[:, 0], ex.fs)
        same = heartbeat.classify(ex.signal[:, 0], ex.fs, adapt=TemplateRule())
        np.testing.assert_array_equal(same.probabilities, shipped.probabilities)
        rec = heartbeat.read_record(mitdb_dir / "208")
        x = rec.signal[: int(300 * rec.fs), 1]  # lead 1: early V beats like its N beats
        default = heartbeat.classify(x, rec.fs)
        early = heartbeat.classify(x, rec.fs, adapt=TemplateRule(
            early_rr_ratio=0.9, early_min_correlation=0.93))
        assert early.counts()["V"] > default.counts()["V"]  # 178 against 172
        assert np.all(early.adapted <= default.adapted)  # it only takes fewer V/F away

    @pytest.mark.parametrize("adapt, error", [(3, TypeError), ("tmpl", ValueError)])
    def test_adapt_is_a_name_or_a_template_rule(self, adapt, error):
        ex = load_example("208")
        with pytest.raises(error, match="adapt"):
            heartbeat.classify(ex.signal[:, 0], ex.fs, adapt=adapt)

    @pytest.mark.parametrize("lead, error", [(2, ValueError), (-1, ValueError),
                                             (1.0, TypeError)])
    def test_a_lead_the_signal_lacks_is_refused_by_name(self, lead, error):
        ex = load_example("208")
        with pytest.raises(error, match="lead"):
            heartbeat.classify(ex.signal[:, :2], ex.fs, lead=lead)

    def test_end_to_end(self):
        ex = load_example("208")
        result = heartbeat.classify(ex.signal[:, 0], ex.fs)
        assert isinstance(result, ClassifiedBeats)
        beats = segment(ex.signal[:, 0], ex.fs)
        np.testing.assert_array_equal(result.r_peaks, beats.r_peaks)
        names = [*CLASSES, "?"]  # code -1: unclassified
        assert result.labels.tolist() == [names[c] for c in result.codes]
        assert ((result.codes == -1) == (result.reasons != "")).all()
        assert result.probabilities.shape == (len(beats), 5)
        np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)
        np.testing.assert_allclose(result.time_s, beats.r_peaks / ex.fs)
        assert sum(result.counts().values()) == len(result)
        assert result.counts()["V"] > 40  # 67 annotated V beats in the excerpt
        with pytest.raises(AttributeError):
            result.codes = None

    def test_model_as_name_path_instance(self, saved):
        ex = load_example("100")
        sig = ex.signal[: 20 * 360, 0]
        by_name = classify(sig, ex.fs, model="mitbih-ds1")
        by_obj = classify(sig, ex.fs, model=BeatClassifier.pretrained("mitbih-ds1"))
        np.testing.assert_array_equal(by_name.probabilities, by_obj.probabilities)
        by_path = classify(sig, ex.fs, model=saved)
        assert by_path.probabilities.shape == by_name.probabilities.shape

    def test_bad_model(self):
        with pytest.raises(TypeError, match="model must be a BeatClassifier"):
            classify(np.zeros(3600), 360.0, model=3)
        with pytest.raises(ValueError, match="fs"):
            classify(np.zeros(3600), -1.0)


# ----------------------------------------------------------------------- context
@pytest.fixture(scope="module")
def tiny_set() -> BeatSet:
    """Two synthetic records of 24 beats each, classes 0-4 in turn, in time order."""
    rng = np.random.default_rng(11)
    n = 48
    y = np.arange(n) % 5
    t = np.linspace(0, 1, 187)
    x = 0.5 + 0.1 * np.sin(2 * np.pi * (y[:, None] + 1) * t) \
        + 0.02 * rng.standard_normal((n, 187))
    return BeatSet(x=x.astype(np.float32), y=y.astype(np.int8),
                   record=np.repeat(["100", "208"], n // 2),
                   sample=np.tile(np.arange(24) * 300 + 50, 2).astype(np.int64),
                   rr=(1 + 0.1 * rng.standard_normal((n, 3))).astype(np.float32))


@pytest.fixture(scope="module")
def ctx_fitted(tiny_set) -> BeatClassifier:
    return BeatClassifier("cnn_mlp", context=2, epochs=1, batch_size=16, seed=2).fit(tiny_set)


@pytest.fixture(scope="module")
def ctx_no_rr(tiny_set) -> BeatClassifier:
    return BeatClassifier("cnn_mlp", use_rr=False, context=3, epochs=1,
                          batch_size=16).fit(tiny_set)


@pytest.fixture(scope="module")
def ctx_saved(ctx_fitted, tmp_path_factory) -> Path:
    return ctx_fitted.save(tmp_path_factory.mktemp("ctx") / "ctx.npz")


class TestContext:
    def test_beats_without_a_record_are_refused(self, ctx_no_rr, tiny_set):
        kaggle_like = dataclasses.replace(tiny_set, record=np.full(len(tiny_set), ""))
        with pytest.raises(ValueError, match="without a record name"):
            ctx_no_rr.predict(kaggle_like)
        with pytest.raises(ValueError, match="without a record name"):
            BeatClassifier("cnn_mlp", use_rr=False, context=2, epochs=1).fit(kaggle_like)

    def test_two_channel_network(self, ctx_fitted, tiny_set):
        assert ctx_fitted.model_.spec["input_channels"] == 2
        assert ctx_fitted.context == 2 and ctx_fitted.info["params"]["context"] == 2
        proba = ctx_fitted.predict_proba(tiny_set)
        assert proba.shape == (len(tiny_set), 5)
        assert ctx_fitted.score(tiny_set) == pytest.approx(
            np.mean(proba.argmax(axis=1) == tiny_set.y))

    def test_inputs_grouped_by_record_in_time_order(self, tiny_set):
        perm = np.random.default_rng(0).permutation(len(tiny_set))
        shuffled = tiny_set[perm]
        got = _with_context(shuffled, shuffled.x, 2)
        want = with_context(tiny_set.x, 2, tiny_set.record)
        np.testing.assert_array_equal(got, want[perm])

    def test_shuffled_order_gives_same_predictions(self, ctx_fitted, tiny_set):
        perm = np.random.default_rng(1).permutation(len(tiny_set))
        sorted_proba = ctx_fitted.predict_proba(tiny_set)
        shuffled_proba = ctx_fitted.predict_proba(tiny_set[perm])
        np.testing.assert_allclose(shuffled_proba, sorted_proba[perm], rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(ctx_fitted.predict(tiny_set[perm]),
                                      ctx_fitted.predict(tiny_set)[perm])

    def test_bare_array_is_one_recording(self, ctx_no_rr, tiny_set):
        part = tiny_set[tiny_set.record == "208"]
        np.testing.assert_allclose(ctx_no_rr.predict_proba(part.x),
                                   ctx_no_rr.predict_proba(part), rtol=1e-6)

    def test_validation_gets_its_own_context(self, tiny_set, monkeypatch):
        import heartbeat.training

        seen = {}

        def fake_fit(model, x, y, **kwargs):
            seen["x"], seen["validation"] = x, kwargs["validation"]
            raise RuntimeError("stop here")

        monkeypatch.setattr(heartbeat.training, "_fit", fake_fit)
        val = tiny_set[::-4]  # every 4th beat, given in reverse time order
        with pytest.raises(RuntimeError, match="stop here"):
            BeatClassifier("cnn_mlp", context=2).fit(tiny_set, validation=val)
        np.testing.assert_array_equal(seen["x"], with_context(tiny_set.x, 2, tiny_set.record))
        rev = np.arange(len(val))[::-1]  # val[rev] is in time order
        np.testing.assert_array_equal(seen["validation"][0][rev],
                                      with_context(val.x[rev], 2, val.record[rev]))

    def test_context_is_the_fitted_one(self, tiny_set):
        clf = BeatClassifier("cnn_mlp", use_rr=False, context=1, epochs=1,
                             batch_size=16).fit(tiny_set, validation=tiny_set[::3])
        before = clf.predict_proba(tiny_set)
        clf.set_params(context=0)  # takes effect at the next fit only
        np.testing.assert_array_equal(clf.predict_proba(tiny_set), before)

    def test_save_load_keeps_context(self, ctx_fitted, ctx_saved, tiny_set):
        loaded = BeatClassifier.load(ctx_saved)
        assert loaded.context == 2 and loaded.get_params() == ctx_fitted.get_params()
        np.testing.assert_array_equal(loaded.predict_proba(tiny_set),
                                      ctx_fitted.predict_proba(tiny_set))

    def test_file_without_context_loads_as_zero(self, saved, tmp_path):
        with np.load(saved) as data:
            info = json.loads(str(data["info"]))
        del info["params"]["context"]  # as written before the context parameter
        old = _rewrite(saved, tmp_path / "old.npz", info=np.array(json.dumps(info)))
        loaded = BeatClassifier.load(old)
        assert loaded.context == 0 and loaded._context == 0

    def test_context_and_channels_must_agree(self, ctx_saved, saved, tmp_path):
        for path, context in ((ctx_saved, 0), (saved, 4)):
            with np.load(path) as data:
                info = json.loads(str(data["info"]))
            info["params"]["context"] = context
            bad = _rewrite(path, tmp_path / "bad.npz", info=np.array(json.dumps(info)))
            with pytest.raises(ValueError, match=f"beats \\(context={context}\\)"):
                BeatClassifier.load(bad)

    def test_bad_context(self):
        with pytest.raises(ValueError, match=r"context=.* must be an integer >= 0"):
            BeatClassifier(context=-1)

    @pytest.mark.parametrize("context", [1.5, True])
    def test_context_not_an_integer(self, context):
        with pytest.raises(TypeError, match="context must be an integer"):
            BeatClassifier(context=context)

    def test_classify_signal(self, ctx_fitted, ctx_saved):
        ex = load_example("100")
        result = classify(ex.signal[:, 0], ex.fs, model=ctx_fitted)
        assert len(result) > 100 and result.probabilities.shape == (len(result), 5)
        again = classify(ex.signal[:, 0], ex.fs, model=ctx_saved)
        np.testing.assert_array_equal(again.probabilities, result.probabilities)


# ----------------------------------------------------------------------- CLI
class TestCLI:
    def test_predict_csv(self, tmp_path, capsys):
        out = tmp_path / "beats.csv"
        assert main(["predict", str(example_path("208")), "--model", "mitbih-ds1",
                     "--adapt", "none", "--out", str(out)]) == 0  # the model's own "?"
        with out.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0])[:11] == ["sample", "time_s", "label", "reason", "quality",
                                      "adapted", "p_N", "p_S", "p_V", "p_F", "p_Q"]
        assert len(rows) == len(segment(load_example("208").signal[:, 0], 360.0))
        row = rows[1]
        assert float(row["time_s"]) == pytest.approx(int(row["sample"]) / 360, abs=1e-4)
        threshold = BeatClassifier.pretrained("mitbih-ds1").calibration_.reject_below
        for row in rows:
            probs = [float(row[f"p_{c}"]) for c in CLASSES]
            assert sum(probs) == pytest.approx(1, abs=1e-5)
            unsure = max(probs) < threshold
            assert row["label"] == ("?" if unsure else CLASSES[int(np.argmax(probs))])
            assert row["reason"] == ("uncertain" if unsure else "")
        assert {row["label"] for row in rows} >= {"?", "V", "N"}
        assert "written to" in capsys.readouterr().out

    def test_predict_no_reject_and_adapt(self, tmp_path):
        out = tmp_path / "beats.csv"
        assert main(["predict", str(example_path("208")), "--model", "mitbih-ds1",
                     "--no-reject", "--adapt", "prior", "--out", str(out)]) == 0
        with out.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert {row["reason"] for row in rows} == {""} and "?" not in {r["label"] for r in rows}
        expected = classify(load_example("208").signal[:, 0], 360.0, model="mitbih-ds1",
                            reject=False, adapt="prior")
        assert [r["label"] for r in rows] == expected.labels.tolist()

    def test_predict_json_npy(self, tmp_path):
        npy = tmp_path / "ecg.npy"
        np.save(npy, load_example("100").signal[:, 0])
        out = tmp_path / "beats.json"
        assert main(["predict", str(npy), "--fs", "360", "--out", str(out)]) == 0
        doc = json.loads(out.read_text())
        assert doc["classes"] == list(CLASSES) and doc["fs"] == 360.0
        beat = doc["beats"][0]
        assert set(beat) >= {"sample", "time_s", "label", "reason", "probabilities"}
        assert sum(doc["counts"].values()) == len(doc["beats"]) > 100
        assert doc["counts"]["N"] > 0.9 * len(doc["beats"])

    def test_predict_needs_fs(self, tmp_path, capsys):
        npy = tmp_path / "ecg.npy"
        np.save(npy, np.zeros(1000))
        assert main(["predict", str(npy)]) == 2
        assert "fs" in capsys.readouterr().err

    def test_evaluate_prints_table(self, excerpt_dir, capsys):
        assert main(["evaluate", "mitbih-ds1", "--data-dir", str(excerpt_dir),
                     "--records", "100", "208", "--quiet"]) == 0
        out = capsys.readouterr().out
        assert "Se %" in out and "+P %" in out and "confusion" in out
        assert "1 of these records were used in training (208)" in out

    def test_evaluate_unknown_model(self, excerpt_dir, capsys):
        assert main(["evaluate", "nope.npz", "--data-dir", str(excerpt_dir)]) == 2
        assert "neither a file nor a pretrained" in capsys.readouterr().err

    def test_train_tiny_config(self, excerpt_dir, tmp_path, capsys):
        config = tmp_path / "tiny.toml"
        config.write_text(textwrap.dedent(
            f"""
            [train]
            data_dir = "{excerpt_dir}"
            records = ["100", "208"]
            validation_records = ["100"]
            architecture = "cnn_mlp"
            epochs = 1
            batch_size = 32
            quiet = true
            """
        ))
        out = tmp_path / "m.npz"
        assert main(["train", "--config", str(config), "--seed", "3", "--out", str(out)]) == 0
        clf = BeatClassifier.load(out)
        assert clf.info["records"] == ["208"] and clf.info["validation_records"] == ["100"]
        assert clf.info["command"] == f"heartbeat train --config {config} --seed 3 --out {out}"
        assert clf.seed == 3 and clf.architecture == "cnn_mlp"
        assert "held-out records 100" in capsys.readouterr().out

    def test_train_on_both_leads_as_views(self, excerpt_dir, tmp_path, capsys):
        from heartbeat.datasets import mitbih_beats

        config = tmp_path / "both.toml"
        config.write_text('channel = [0, 1]\ncontext = 2\nepochs = 1\n'
                          'architecture = "cnn_mlp"\nquiet = true\n')
        out = tmp_path / "both.npz"
        assert main(["train", "--config", str(config), "--data-dir", str(excerpt_dir),
                     "--records", "100", "208", "--validation-records", "100",
                     "--out", str(out)]) == 0
        info = BeatClassifier.load(out).info
        lead0, lead1 = (mitbih_beats(excerpt_dir, ["208"], channel=c, quiet=True)
                        for c in (0, 1))
        assert info["n_train"] == len(lead0) + len(lead1)  # every beat once per lead
        assert info["records"] == ["208"] and info["options"]["channel"] == [0, 1]
        assert info["n_validation"] == 2 * len(mitbih_beats(excerpt_dir, ["100"],
                                                            quiet=True))
        capsys.readouterr()
        for bad in (["--channel", "0", "0"], ["--channel", "-1"]):
            assert main(["train", "--data-dir", ".", *bad, "--out", "x"]) == 2
            assert "list of distinct ones" in capsys.readouterr().err
        config.write_text('channel = [0, "1"]\n')
        assert main(["train", "--config", str(config), "--out", "x"]) == 2
        assert "channel = [0, '1'] must be an integer or a list" in capsys.readouterr().err

    def test_train_evaluate_predict_with_context(self, excerpt_dir, tmp_path, capsys):
        config = tmp_path / "ctx.toml"
        config.write_text("context = 5\nepochs = 1\nbatch_size = 64\n"
                          'architecture = "cnn_mlp"\n')
        out = tmp_path / "ctx.npz"
        assert main(["train", "--config", str(config), "--data-dir", str(excerpt_dir),
                     "--records", "100", "208", "--quiet", "--out", str(out)]) == 0
        assert "context=5" in capsys.readouterr().out
        assert BeatClassifier.load(out).context == 5
        assert main(["train", "--config", str(config), "--data-dir", str(excerpt_dir),
                     "--records", "100", "208", "--quiet", "--context", "2",
                     "--out", str(out)]) == 0  # the command line wins over the file
        clf = BeatClassifier.load(out)
        assert clf.context == 2 and clf.model_.spec["input_channels"] == 2
        assert clf.info["options"]["context"] == 2
        capsys.readouterr()
        assert main(["evaluate", str(out), "--data-dir", str(excerpt_dir),
                     "--records", "100", "208", "--quiet"]) == 0
        assert "Se %" in capsys.readouterr().out
        csv_out = tmp_path / "beats.csv"
        assert main(["predict", str(example_path("100")), "--model", str(out),
                     "--out", str(csv_out)]) == 0
        with csv_out.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == len(segment(load_example("100").signal[:, 0], 360.0))

    def test_train_excluding_a_class(self, excerpt_dir, tmp_path, capsys):
        out = tmp_path / "noq.npz"
        assert main(["train", "--data-dir", str(excerpt_dir), "--records", "100", "208",
                     "--architecture", "cnn_mlp", "--epochs", "1", "--quiet",
                     "--exclude-classes", "V", "F", "--out", str(out)]) == 0
        counts = BeatClassifier.load(out).info["train_class_counts"]
        assert counts["V"] == counts["F"] == 0 and counts["N"] > 0
        assert main(["train", "--data-dir", ".", "--exclude-classes", "X",
                     "--out", "x"]) == 2
        assert "exclude_classes ['X'] are not AAMI classes" in capsys.readouterr().err

    def test_train_bad_context(self, capsys):
        assert main(["train", "--data-dir", ".", "--context", "-1", "--out", "x"]) == 2
        assert "context=-1 must be an integer >= 0" in capsys.readouterr().err

    def test_train_bad_config(self, tmp_path, capsys):
        config = tmp_path / "bad.toml"
        config.write_text('epochs = "ten"\n')
        assert main(["train", "--config", str(config), "--data-dir", ".", "--out", "x"]) == 2
        assert "epochs = 'ten' must be a int" in capsys.readouterr().err
        config.write_text("colour = 1\n")
        assert main(["train", "--config", str(config)]) == 2
        assert "unknown option(s) ['colour']" in capsys.readouterr().err

    def test_demo_prints_classes(self, capsys):
        assert main(["demo", "--detectors", "robust"]) == 0
        out = capsys.readouterr().out
        assert out.count("found/annotated") == 2 and "label agreement" in out


def test_log_rr_model_reads_the_logarithms_and_survives_save_load(tiny_set, tmp_path):
    clf = BeatClassifier("cnn_mlp", log_rr=True, context=2, epochs=1, batch_size=16,
                         seed=2).fit(tiny_set)
    assert clf.model_.spec["extra_transform"] == "log"
    assert clf.info["params"]["log_rr"] is True
    again = BeatClassifier.load(clf.save(tmp_path / "log.npz"))
    assert again.log_rr is True and again.model_.spec["extra_transform"] == "log"
    np.testing.assert_array_equal(again.predict_proba(tiny_set), clf.predict_proba(tiny_set))
    assert BeatClassifier("cnn_mlp", use_rr=False, log_rr=True, epochs=1,
                          batch_size=16).fit(tiny_set).model_.spec.get("extra_transform") is None


# ----------------------------------------------------------------------- reject option
class TestReject:
    def test_predict_reject_marks_low_confidence(self):
        clf = BeatClassifier.pretrained("mitbih-ds1")
        beats = segment(load_example("208").signal[:, 0], 360.0)
        proba = clf.predict_proba(beats)
        plain = clf.predict(beats)
        np.testing.assert_array_equal(plain, proba.argmax(axis=1))  # scikit-learn contract
        threshold = clf.calibration_.reject_below
        rejected = clf.predict(beats, reject=True)
        low = proba.max(axis=1) < threshold
        assert low.any() and not low.all()
        np.testing.assert_array_equal(rejected == -1, low)
        np.testing.assert_array_equal(rejected[~low], plain[~low])
        assert (clf.predict(beats, reject=1.0) == -1).sum() == (proba.max(axis=1) < 1).sum()
        assert (clf.predict(beats, reject=0.0) >= 0).all()

    def test_bad_reject(self):
        clf = BeatClassifier.pretrained("mitbih-ds1")
        beats = segment(load_example("100").signal[:3600, 0], 360.0)
        with pytest.raises(ValueError, match=r"reject=1.5 must lie within \[0, 1\]"):
            clf.predict(beats, reject=1.5)
        with pytest.raises(TypeError, match="reject must be a real number"):
            clf.predict(beats, reject="yes")
        with pytest.raises(ValueError, match="reject"):
            classify(np.zeros(3600), 360.0, reject=-0.1)

    def test_classify_reasons_and_counts(self):
        ex = load_example("208")
        on = classify(ex.signal[:, 0], ex.fs, model="mitbih-ds1", adapt="none")
        off = classify(ex.signal[:, 0], ex.fs, model="mitbih-ds1", adapt="none",
                       reject=False)
        np.testing.assert_array_equal(on.probabilities, off.probabilities)
        withheld = on.codes == -1
        assert withheld.any() and set(on.reasons[withheld]) == {"uncertain"}
        assert set(on.labels[withheld]) == {"?"} and set(on.reasons[~withheld]) == {""}
        assert (on.probabilities[withheld].max(axis=1)
                < BeatClassifier.pretrained("mitbih-ds1").calibration_.reject_below).all()
        np.testing.assert_array_equal(on.codes[~withheld], off.codes[~withheld])
        assert on.counts()["?"] == withheld.sum() and off.counts()["?"] == 0
        assert sum(on.counts().values()) == len(on)
        assert "?=" in repr(on)

    def test_unreadable_beats_are_withheld(self):
        from heartbeat.classifier.results import _classify_beats

        clf = BeatClassifier.pretrained("mitbih-ds1")
        beats = segment(load_example("100").signal[:, 0], 360.0)
        readable = np.ones(len(beats), dtype=bool)
        readable[:5] = False
        result = _classify_beats(clf, beats, threshold=0.0, readable=readable)
        assert result.reasons[:5].tolist() == ["unreadable"] * 5
        assert (result.codes[:5] == -1).all() and (result.codes[5:] >= 0).all()
        assert result.counts()["?"] == 5

    def test_classified_beats_made_by_hand_has_no_reasons(self):
        beats = segment(load_example("100").signal[:3600, 0], 360.0)
        codes = np.zeros(len(beats), dtype=np.int64)
        made = ClassifiedBeats(beats, np.full(len(beats), "N"), codes,
                               np.tile([1.0, 0, 0, 0, 0], (len(beats), 1)))
        assert made.reasons.tolist() == [""] * len(beats)
        assert made.counts()["N"] == len(beats) and made.counts()["?"] == 0
