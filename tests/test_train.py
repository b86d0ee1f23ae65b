"""Tests of heartbeat.training: sampling, fit, resume, early stopping, transfer, progress."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import heartbeat.nn as nn
from heartbeat.datasets import BeatSet, mitbih_beats, train_test_split
from heartbeat.training import (
    CHECKPOINT_NAME,
    History,
    fit,
    parameterised_layers,
    with_n_classes,
)
from heartbeat.training.sampling import _balanced_indices, _epoch_rng, _shuffle_indices

L = 32  # short beats keep the models tiny and the tests fast


def toy(n_per_class=(30, 10, 6), length=L, seed=0):
    """Beats whose class is a bump at a class-specific place (easy to learn)."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.full(k, c) for c, k in enumerate(n_per_class)])
    x = 0.1 * rng.standard_normal((len(y), length)).astype(np.float32)
    for c in range(len(n_per_class)):
        x[y == c, 4 + 8 * c: 8 + 8 * c] += 1.0
    return x, y


def small(name="cnn_mlp", n_classes=3, seed=0, **kw):
    return nn.build(name, n_classes=n_classes, seed=seed, input_length=L, **kw)


def arrays(model):
    return {k: v.copy() for k, v in {**model.named_params(), **model.named_buffers()}.items()}


def assert_same_arrays(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k


# ================================================================ samplers
class TestBalancedSampler:
    @given(counts=st.lists(st.integers(0, 40), min_size=2, max_size=5).filter(
        lambda c: sum(c) > 0), batch_size=st.integers(1, 33), n_batches=st.integers(1, 6),
        seed=st.integers(0, 3))
    def test_classes_equal_per_batch(self, counts, batch_size, n_batches, seed):
        y = np.concatenate([np.full(k, c) for c, k in enumerate(counts)])
        idx = _balanced_indices(y, len(counts), n_batches, batch_size, _epoch_rng(seed, 0))
        assert idx.shape == (n_batches, batch_size)
        present = [c for c, k in enumerate(counts) if k]
        for row in idx:
            per = np.bincount(y[row], minlength=len(counts))[present]
            assert per.max() - per.min() <= 1  # equal up to the remainder
            assert per.sum() == batch_size
        # a class's beats all come once before any comes twice
        for c in present:
            drawn = np.bincount(idx.ravel()[y[idx.ravel()] == c], minlength=len(y))
            drawn = drawn[y == c]
            assert drawn.max() - drawn.min() <= 1

    def test_rare_class_as_often_as_common(self):
        y = np.array([0] * 1000 + [1] * 5)
        idx = _balanced_indices(y, 2, 10, 64, _epoch_rng(0, 0))
        assert np.bincount(y[idx.ravel()]).tolist() == [320, 320]


class TestShuffleSampler:
    def test_every_beat_once(self):
        y = np.array([0] * 20 + [1] * 3)
        idx = _shuffle_indices(y, 2, None, _epoch_rng(0, 1))
        assert sorted(idx.tolist()) == list(range(23))

    def test_upsample_tops_up_minority(self):
        y = np.array([0] * 20 + [1] * 3 + [2] * 25)
        idx = _shuffle_indices(y, 3, 20, _epoch_rng(0, 1))
        assert np.bincount(y[idx]).tolist() == [20, 20, 25]
        assert set(np.flatnonzero(y == 1)) <= set(idx.tolist())  # originals kept


# ================================================================ fit
class TestFit:
    def test_learns_toy_task(self):
        x, y = toy()
        model = small()
        h = fit(model, x, y, validation=(x, y), epochs=4, batch_size=16, quiet=True)
        assert isinstance(h, History)
        assert h.n_epochs == 4 and len(h.val_macro_f1) == 4 and len(h.beats_per_s) == 4
        assert h.val_accuracy[-1] > 0.9
        assert h.train_loss[-1] < h.train_loss[0]
        assert not model.training  # left in evaluation mode
        assert h.best_epoch == int(np.argmax(h.val_macro_f1)) + 1

    def test_no_validation_gives_empty_series(self):
        x, y = toy()
        h = fit(small(), x, y, epochs=1, batch_size=16, quiet=True)
        assert h.val_loss == () and h.best_epoch is None

    def test_same_seed_same_result(self):
        x, y = toy()
        a, b = small(), small()
        ha = fit(a, x, y, epochs=2, batch_size=16, quiet=True, seed=3)
        hb = fit(b, x, y, epochs=2, batch_size=16, quiet=True, seed=3)
        assert_same_arrays(arrays(a), arrays(b))
        assert ha.train_loss == hb.train_loss

    def test_beatset_with_rr_extra(self):
        x, y = toy(length=187)
        n = len(y)
        beats = BeatSet(x, y.astype(np.int8), np.array(["100"] * n), np.arange(n),
                        np.ones((n, 3), np.float32))
        model = nn.build("cnn_mlp", n_classes=5, extra_inputs=3)
        h = fit(model, beats, validation=beats, epochs=1, batch_size=23, quiet=True)
        assert h.n_epochs == 1 and np.isfinite(h.val_loss[0])

    def test_shuffle_with_upsample_and_class_weights(self):
        x, y = toy()
        h = fit(small(), x, y, epochs=1, batch_size=10, sampler="shuffle", upsample=True,
                class_weights="balanced", quiet=True)
        assert np.isfinite(h.train_loss[0])

    def test_optimizer_factory(self):
        x, y = toy()
        model = small()
        before = arrays(model)
        fit(model, x, y, epochs=1, batch_size=16, quiet=True,
            optimizer=lambda p: nn.SGD(p, lr=0.0001))
        assert any(not np.array_equal(before[k], v) for k, v in arrays(model).items())

    def test_history_plots(self):
        pytest.importorskip("matplotlib")
        from heartbeat.plot import plot_training_curves

        x, y = toy()
        h = fit(small(), x, y, validation=(x, y), epochs=2, batch_size=16, quiet=True)
        fig = plot_training_curves(h)
        assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy", "macro-F1"]
        assert h.to_dict()["val_loss"] == list(h.val_loss)

    def test_callback_sees_each_epoch(self):
        x, y = toy()
        seen = []
        fit(small(), x, y, epochs=3, batch_size=16, quiet=True,
            callback=lambda e, m, h: seen.append((e, h.n_epochs, m.training)))
        assert seen == [(1, 1, False), (2, 2, False), (3, 3, False)]


class TestAugmentHook:
    def test_batches_pass_through_augment(self):
        x, y = toy()
        seen = []

        def spy(xb, rng):
            seen.append((xb.copy(), rng.random()))
            return xb

        ref, model = small(), small()
        fit(ref, x, y, epochs=2, batch_size=16, quiet=True, seed=2)
        fit(model, x, y, epochs=2, batch_size=16, quiet=True, seed=2, augment=spy)
        assert len(seen) == 2 * 3 and all(b.shape == (16, L) for b, _ in seen)
        assert_same_arrays(arrays(ref), arrays(model))  # identity augment: same run
        assert len({r for _, r in seen}) == len(seen)  # the generator advances

    def test_augmented_beats_are_trained_on(self):
        x, y = toy()
        a, b = small(), small()
        fit(a, x, y, epochs=1, batch_size=16, quiet=True)
        fit(b, x, y, epochs=1, batch_size=16, quiet=True, augment=lambda xb, rng: xb * 0)
        assert any(not np.array_equal(v, arrays(b)[k]) for k, v in arrays(a).items())

    def test_augmented_run_is_reproducible_and_resumes(self, tmp_path):
        from heartbeat.training import Augmenter

        x, y = toy()
        aug = Augmenter(p=1.0)
        ref = small()
        fit(ref, x, y, epochs=2, batch_size=16, quiet=True, seed=5, augment=aug)
        again = small()
        fit(again, x, y, epochs=1, batch_size=16, quiet=True, seed=5, augment=aug,
            checkpoint_dir=tmp_path)
        fit(again, x, y, epochs=2, batch_size=16, quiet=True, seed=5, augment=aug,
            checkpoint_dir=tmp_path, resume=True)
        assert_same_arrays(arrays(ref), arrays(again))
        with pytest.raises(ValueError, match=r"differs in \['augment'\]"):
            fit(small(), x, y, epochs=3, batch_size=16, quiet=True, seed=5,
                augment=Augmenter(p=0.5), checkpoint_dir=tmp_path, resume=True)

    def test_validation_not_augmented(self):
        x, y = toy()
        calls = []
        h = fit(small(), x, y, validation=(x, y), epochs=1, batch_size=46, quiet=True,
                augment=lambda xb, rng: calls.append(len(xb)) or xb)
        assert calls == [46] and len(h.val_loss) == 1

    def test_not_callable(self):
        x, y = toy()
        with pytest.raises(TypeError, match="augment must be callable"):
            fit(small(), x, y, epochs=1, quiet=True, augment="noise")


class TestFitErrors:
    @pytest.fixture
    def data(self):
        return toy()

    def test_label_out_of_range(self, data):
        x, y = data
        with pytest.raises(ValueError, match=r"y holds labels 0\.\.3, outside 0\.\.2"):
            fit(small(), x, np.where(y == 2, 3, y), quiet=True)

    def test_float_labels(self, data):
        x, y = data
        with pytest.raises(TypeError, match="y must hold integer"):
            fit(small(), x, y.astype(float), quiet=True)

    def test_wrong_beat_length(self, data):
        x, y = data
        with pytest.raises(ValueError, match=r"x must have shape \(n, 32\).*\(46, 31\)"):
            fit(small(), x[:, :-1], y, quiet=True)

    def test_nan(self, data):
        x, y = data
        x = x.copy()
        x[5, 3] = np.nan
        with pytest.raises(ValueError, match=r"x holds NaN.*beat 5"):
            fit(small(), x, y, quiet=True)

    def test_mismatched_lengths(self, data):
        x, y = data
        with pytest.raises(ValueError, match="x has 46 beats but y has shape"):
            fit(small(), x, y[:-1], quiet=True)

    def test_validation_checked(self, data):
        x, y = data
        with pytest.raises(ValueError, match="validation x holds NaN"):
            fit(small(), x, y, validation=(x * np.nan, y), quiet=True)
        with pytest.raises(TypeError, match="validation must be"):
            fit(small(), x, y, validation=x, quiet=True)

    def test_missing_extra(self, data):
        x, y = data
        with pytest.raises(ValueError, match="extra_inputs=3: give extra"):
            fit(small(extra_inputs=3), x, y, quiet=True)

    @pytest.mark.parametrize("kw, match", [
        ({"epochs": 0}, "epochs=0 must be >= 1"),
        ({"sampler": "random"}, "sampler='random' must be one of balanced, shuffle"),
        ({"upsample": True}, "works with sampler='shuffle'"),
        ({"early_stopping": 2}, "early_stopping needs a validation set"),
        ({"resume": True}, "resume=True needs checkpoint_dir"),
        ({"trainable_layers": 99}, "trainable_layers=99 exceeds the 5"),
        ({"class_weights": [1.0, 2.0]}, "class_weights must be 3 finite"),
    ])
    def test_options(self, data, kw, match):
        x, y = data
        with pytest.raises(ValueError, match=match):
            fit(small(), x, y, quiet=True, **kw)

    @pytest.mark.parametrize("kw", [{"epochs": 2.0}, {"batch_size": 1.5}, {"seed": "0"},
                                    {"early_stopping": 1.5}, {"trainable_layers": True}])
    def test_non_integer_options(self, data, kw):
        x, y = data
        name = next(iter(kw))
        with pytest.raises(TypeError, match=f"{name} must be an integer"):
            fit(small(), x, y, quiet=True, **kw)

    def test_not_a_model(self, data):
        with pytest.raises(TypeError, match=r"model must be a heartbeat\.nn\.Model"):
            fit("kachuee2018", *data)

    def test_optimizer_on_other_params(self, data):
        model = small()
        opt = nn.Adam(small().params())
        with pytest.raises(ValueError, match="optimizer must be built on exactly"):
            fit(model, *data, optimizer=opt, quiet=True)


# ================================================================ checkpoints
class _Crash(Exception):
    pass


class TestCheckpointResume:
    def test_resume_equals_uninterrupted_bit_for_bit(self, tmp_path, monkeypatch):
        x, y = toy()
        xv, yv = toy(seed=1)
        kw = dict(validation=(xv, yv), epochs=3, batch_size=8, early_stopping=5, seed=7,
                  quiet=True)  # cnn_mlp has dropout: its generator must resume too
        ref = small()
        h_ref = fit(ref, x, y, checkpoint_dir=tmp_path / "a", **kw)

        # crash in the middle of epoch 3 (batch 3 of 6)
        broken = small()
        calls = {"n": 0}
        forward = broken.forward

        def crashing(*a, **k):
            calls["n"] += 1
            if calls["n"] == 2 * 6 + 2 + 3:  # 6 batches + 1 validation pass per epoch
                raise _Crash
            return forward(*a, **k)

        monkeypatch.setattr(broken, "forward", crashing)
        with pytest.raises(_Crash):
            fit(broken, x, y, checkpoint_dir=tmp_path / "b", **kw)
        assert (tmp_path / "b" / CHECKPOINT_NAME).exists()
        assert not [p for p in (tmp_path / "b").iterdir() if p.name != CHECKPOINT_NAME]

        resumed = small(seed=99)  # different weights: all come from the checkpoint
        h_res = fit(resumed, x, y, checkpoint_dir=tmp_path / "b", resume=True, **kw)
        assert_same_arrays(arrays(ref), arrays(resumed))
        for name in ("train_loss", "train_accuracy", "val_loss", "val_macro_f1"):
            assert getattr(h_ref, name) == getattr(h_res, name)
        assert h_res.n_epochs == 3

    def test_extend_finished_run(self, tmp_path):
        x, y = toy()
        ref = small()
        fit(ref, x, y, epochs=3, batch_size=16, quiet=True)
        m = small()
        fit(m, x, y, epochs=2, batch_size=16, quiet=True, checkpoint_dir=tmp_path)
        h = fit(m, x, y, epochs=3, batch_size=16, quiet=True, checkpoint_dir=tmp_path,
                resume=True)
        assert h.n_epochs == 3
        assert_same_arrays(arrays(ref), arrays(m))

    def test_resume_without_checkpoint_starts_afresh(self, tmp_path):
        x, y = toy()
        h = fit(small(), x, y, epochs=1, batch_size=16, quiet=True, checkpoint_dir=tmp_path,
                resume=True)
        assert h.n_epochs == 1

    def test_other_run_refused(self, tmp_path):
        x, y = toy()
        fit(small(), x, y, epochs=1, batch_size=16, quiet=True, checkpoint_dir=tmp_path)
        with pytest.raises(ValueError, match=r"another run \(differs in \['batch_size'\]\)"):
            fit(small(), x, y, epochs=2, batch_size=8, quiet=True, checkpoint_dir=tmp_path,
                resume=True)
        with pytest.raises(ValueError, match=r"differs in.*data_crc"):
            fit(small(), x + 1, y, epochs=2, batch_size=16, quiet=True,
                checkpoint_dir=tmp_path, resume=True)

    def test_damaged_checkpoint(self, tmp_path):
        x, y = toy()
        (tmp_path / CHECKPOINT_NAME).write_bytes(b"not a zip")
        with pytest.raises(ValueError, match="unreadable"):
            fit(small(), x, y, epochs=1, quiet=True, checkpoint_dir=tmp_path, resume=True)


    @pytest.mark.parametrize("damage", ["truncate", "flip", "no_fingerprint", "nan"])
    def test_damaged_checkpoint_says_how_to_start_over(self, tmp_path, damage):
        import json
        import zipfile

        x, y = toy()
        fit(small(), x, y, epochs=1, batch_size=16, quiet=True, checkpoint_dir=tmp_path)
        path = tmp_path / CHECKPOINT_NAME
        raw = bytearray(path.read_bytes())
        if damage == "truncate":
            path.write_bytes(bytes(raw[: len(raw) // 2]))
        elif damage == "flip":  # inside the first array's data: a CRC error on reading
            raw[200] ^= 0xFF
            path.write_bytes(bytes(raw))
        else:
            with np.load(path) as npz:
                data = {k: npz[k] for k in npz.files}
            if damage == "no_fingerprint":
                meta = json.loads(str(data["meta"]))
                del meta["fingerprint"]
                data["meta"] = np.array(json.dumps(meta))
            else:
                key = next(k for k in data if k.startswith("model/"))
                data[key] = np.full_like(data[key], np.nan)
            np.savez(path, **data)
        assert zipfile.is_zipfile(path) or damage == "truncate"
        with pytest.raises(ValueError, match=r"checkpoint '.*checkpoint\.npz' is (unreadable|"
                                             r"damaged).*to start the run afresh"):
            fit(small(), x, y, epochs=2, batch_size=16, quiet=True, checkpoint_dir=tmp_path,
                resume=True)


    def test_cli_train_resumes_from_its_checkpoint_dir(self, tmp_path, capsys):
        import shutil

        from heartbeat.classifier import BeatClassifier
        from heartbeat.cli import main
        from heartbeat.io.examples import example_path

        data = tmp_path / "data"
        data.mkdir()
        for ext in ("hea", "dat", "atr"):
            shutil.copy(example_path("208").with_suffix(f".{ext}"), data)
        common = ["train", "--data-dir", str(data), "--records", "208", "--architecture",
                  "cnn_mlp", "--batch-size", "64", "--early-stopping", "0", "--quiet"]
        ref, res = tmp_path / "ref.npz", tmp_path / "res.npz"
        assert main([*common, "--epochs", "2", "--out", str(ref)]) == 0
        ckpt = tmp_path / "ckpt"
        assert main([*common, "--epochs", "1", "--checkpoint-dir", str(ckpt),
                     "--out", str(tmp_path / "first.npz")]) == 0
        assert (ckpt / CHECKPOINT_NAME).is_file()
        assert main([*common, "--epochs", "2", "--checkpoint-dir", str(ckpt), "--resume",
                     "--out", str(res)]) == 0
        a, b = BeatClassifier.load(ref), BeatClassifier.load(res)
        assert_same_arrays(arrays(a.model_), arrays(b.model_))
        assert a.info["command"].replace("ref.npz", "res.npz") == b.info["command"]
        capsys.readouterr()
        assert main([*common, "--resume", "--out", str(res)]) == 2
        assert "--resume needs --checkpoint-dir" in capsys.readouterr().err
        assert main([*common, "--checkpoint-dir", str(ref), "--out", str(res)]) == 2
        assert "exists and is not a folder" in capsys.readouterr().err


# ================================================================ early stopping
class TestEarlyStopping:
    def test_restores_best_weights(self):
        x, y = toy(n_per_class=(20, 20))
        # validation labels are the opposite of the training labels: the better the
        # model learns, the worse it scores, so the best epoch comes early
        xv, yv = x, 1 - y
        model = small(n_classes=2)
        h = fit(model, x, y, validation=(xv, yv), epochs=8, batch_size=8,
                early_stopping=2, quiet=True)
        best = h.best_epoch
        assert h.stopped_early and h.restored_best and best < h.n_epochs
        assert h.n_epochs == best + 2  # patience 2
        logits = model.predict_logits(xv, batch_size=512)
        loss, _ = nn.softmax_cross_entropy(logits, yv)
        assert loss == h.val_loss[best - 1]  # exactly the best epoch's weights

    def test_no_restore_when_last_is_best(self):
        x, y = toy()
        h = fit(small(), x, y, validation=(x, y), epochs=2, batch_size=16,
                early_stopping=5, quiet=True)
        if h.best_epoch == 2:
            assert not h.restored_best


# ================================================================ transfer
class TestTransfer:
    @pytest.mark.parametrize("k", [1, 3, 7])
    def test_frozen_layers_unchanged(self, k):
        x, y = toy()
        base = small("cnn4_dense4")  # 4 conv, 4 batch-norm, 4 dense = 12 layers
        layers = parameterised_layers(base)
        assert len(layers) == 12
        before = arrays(base)
        model = small("cnn4_dense4", seed=5)
        fit(model, x, y, epochs=1, batch_size=16, quiet=True, init=base, trainable_layers=k)
        after = arrays(model)
        frozen = {name for name, _ in layers[:-k]}
        for key in before:
            layer = key.rsplit(".", 1)[0]
            if layer in frozen:
                assert np.array_equal(before[key], after[key]), key  # incl. BN buffers
        changed = {key.rsplit(".", 1)[0] for key in before
                   if not np.array_equal(before[key], after[key])}
        assert changed == {name for name, _ in layers[-k:]}

    def test_new_number_of_classes(self):
        x, y = toy(n_per_class=(20, 20))
        base = small("cnn_mlp", n_classes=3)
        model = with_n_classes(base, 2, seed=1)
        assert model.spec["n_classes"] == 2
        fit(model, x, y, epochs=1, batch_size=16, quiet=True, trainable_layers=1)
        head = parameterised_layers(model)[-1][0]
        for key, v in base.named_params().items():
            if not key.startswith(head):
                assert np.array_equal(v, model.named_params()[key])

    def test_init_with_other_classes_keeps_fresh_head(self):
        x, y = toy(n_per_class=(20, 20))
        base = small("cnn_mlp", n_classes=3)
        model = small("cnn_mlp", n_classes=2, seed=4)
        fresh_head = model.named_params()["head.3.w"].copy()
        fit(model, x, y, epochs=1, batch_size=16, quiet=True, init=base,
            trainable_layers=1, optimizer=lambda p: nn.SGD(p, lr=1e-12, momentum=0.0))
        assert np.allclose(model.named_params()["head.3.w"], fresh_head, atol=1e-9)
        assert np.array_equal(model.named_params()["head.0.w"], base.named_params()["head.0.w"])

    def test_init_mismatch(self):
        x, y = toy()
        with pytest.raises(ValueError, match="only the final Dense layer may differ"):
            fit(small("cnn_mlp"), x, y, init=small("cnn4_dense4"), quiet=True)

    def test_counts_kachuee_layers(self):
        names = [n for n, _ in parameterised_layers(nn.build("kachuee2018"))]
        assert len(names) == 14 and names[0] == "features.0"


# ================================================================ progress
class _Tty(io.StringIO):
    def isatty(self):
        return True


class TestProgress:
    def test_line_per_epoch_when_not_a_tty(self, capsys):
        x, y = toy()
        fit(small(), x, y, validation=(x, y), epochs=2, batch_size=16)
        err = capsys.readouterr().err
        lines = err.splitlines()
        assert len(lines) == 2 and "\r" not in err
        pattern = (r"epoch 2/2  batch 3/3  loss \d+\.\d{4}  acc \d+\.\d%  f1 \d\.\d{3}  "
                   r"val_loss \d+\.\d{4}  val_acc \d+\.\d{2}%  val_f1 \d\.\d{4}  "
                   r"[\d,]+ beats/s  \d+\.\d s  ETA 0:00")
        assert re.match(pattern, lines[1]), lines[1]

    def test_tty_redraws_in_place(self, monkeypatch):
        x, y = toy()
        stream = _Tty()
        monkeypatch.setattr("sys.stderr", stream)
        fit(small(), x, y, epochs=2, batch_size=16)
        out = stream.getvalue()
        assert out.startswith("\repoch 1/2  batch 1/3  loss ")
        assert re.search(r"beats/s  ETA \d+:\d\d", out)
        assert out.count("\n") == 2  # one finished line per epoch

    def test_quiet(self, capsys):
        x, y = toy()
        fit(small(), x, y, epochs=1, batch_size=16, quiet=True)
        assert capsys.readouterr().err == ""


# ================================================================ real data
class TestRealData:
    def test_records_100_208(self, mitdb_dir):
        beats = mitbih_beats(mitdb_dir, ["100", "208"], quiet=True)
        train, test = train_test_split(beats, test_size=0.3, seed=0)
        rng = np.random.default_rng(0)
        train = train[np.sort(rng.choice(len(train), 1200, replace=False))]
        model = nn.build("kachuee2018", seed=0)
        h = fit(model, train, epochs=2, batch_size=32, sampler="shuffle", quiet=True)
        pred = model.predict_logits(test.x).argmax(axis=1)
        majority = np.bincount(test.y).max() / len(test)
        acc = float(np.mean(pred == test.y))
        assert majority < 0.75 < 0.9 < acc, (majority, acc, h.train_loss)


def test_checkpoint_dir_that_is_a_file_is_refused(tmp_path):
    from heartbeat.training.api import _checkpoint_path

    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        _checkpoint_path(afile, False)
    assert _checkpoint_path(tmp_path / "new", False).parent.is_dir()
