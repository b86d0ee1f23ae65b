"""Tests for heartbeat.plot and the ``heartbeat plot`` command (need matplotlib)."""

from __future__ import annotations

import dataclasses
import doctest
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from heartbeat import plot
from heartbeat.aami import CLASSES
from heartbeat.cli import main
from heartbeat.io.examples import example_path, load_example
from heartbeat.metrics import classification_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def mpl():
    """Skip when matplotlib (the plot extra) is not installed."""
    return pytest.importorskip(
        "matplotlib", reason="matplotlib not installed (pip install 'heartbeat-ecg[plot]')"
    )


@pytest.fixture(scope="module")
def ex208():
    ex = load_example("208")
    return ex.signal[:, 0], ex.fs, ex.annotations


def assert_png(path, min_kb=10):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_kb * 1024, f"{path.name} is only {len(data)} bytes"
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers


def marker_colors(ax):
    """Colour of each ring series on a record plot -> its number of points."""
    from matplotlib.colors import to_hex

    return {
        to_hex(line.get_color()): len(line.get_xdata())
        for line in ax.lines
        if line.get_marker() == "o"
    }


class TestImports:
    def test_heartbeat_does_not_import_matplotlib(self):
        code = (
            "import sys, heartbeat, heartbeat.plot, heartbeat.metrics, heartbeat.cli; "
            "heartbeat.cli.build_parser(); "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
        )
        subprocess.run([sys.executable, "-c", code], check=True)

    def test_missing_matplotlib_says_how_to_install(self, monkeypatch):
        for name in ("matplotlib", "matplotlib.figure", "matplotlib.axes",
                     "matplotlib.backends.backend_agg"):
            monkeypatch.setitem(sys.modules, name, None)
        with pytest.raises(ImportError, match=r"pip install 'heartbeat-ecg\[plot\]'"):
            plot.plot_record(np.zeros(100), 100.0)
        with pytest.raises(ImportError, match=r"pip install 'heartbeat-ecg\[plot\]'"):
            plot.plot_confusion_matrix(np.eye(2, dtype=int))

    def test_cli_reports_missing_matplotlib(self, monkeypatch, tmp_path, capsys):
        for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
            monkeypatch.setitem(sys.modules, name, None)
        assert main(["plot", "example", "--out-dir", str(tmp_path)]) == 2
        assert "pip install 'heartbeat-ecg[plot]'" in capsys.readouterr().err


class TestSavePng:
    def test_writes_png(self, mpl, tmp_path):
        fig = plot.plot_record(np.sin(np.arange(3600) / 20), 360.0)
        out = plot.save_png(fig, tmp_path / "a.png", dpi=100)
        assert out == tmp_path / "a.png"
        assert_png(out)

    def test_replaces_only_on_success(self, mpl, tmp_path, monkeypatch):
        target = tmp_path / "a.png"
        target.write_bytes(b"old")
        fig = plot.plot_record(np.zeros(100), 100.0)

        def broken(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(fig, "savefig", broken)
        with pytest.raises(RuntimeError, match="disk full"):
            plot.save_png(fig, target)
        assert target.read_bytes() == b"old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]

    @pytest.mark.parametrize(
        "name, match", [("a.svg", "must end in .png"), ("missing/a.png", "does not exist")]
    )
    def test_bad_path(self, mpl, tmp_path, name, match):
        fig = plot.plot_record(np.zeros(100), 100.0)
        with pytest.raises(ValueError, match=match):
            plot.save_png(fig, tmp_path / name)

    def test_bad_arguments(self, mpl, tmp_path):
        fig = plot.plot_record(np.zeros(100), 100.0)
        with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
            plot.save_png("figure", tmp_path / "a.png")
        with pytest.raises(ValueError, match="dpi"):
            plot.save_png(fig, tmp_path / "a.png", dpi=0)
        with pytest.raises(TypeError, match="dpi"):
            plot.save_png(fig, tmp_path / "a.png", dpi="high")
        with pytest.raises(TypeError, match="path"):
            plot.save_png(fig, None)


class TestPlotRecord:
    def test_ten_seconds_with_classes_and_annotations(self, mpl, ex208, tmp_path):
        x, fs, ann = ex208
        peaks = ann.sample[np.isin(ann.symbol, ["N", "V", "F"])]
        labels = np.select([ann.symbol[np.isin(ann.symbol, ["N", "V", "F"])] == s
                            for s in "NVF"], [0, 2, 3])
        fig = plot.plot_record(x, fs, r_peaks=peaks, labels=labels, annotations=ann,
                               start_s=20.0, path=tmp_path / "r.png")
        assert_png(tmp_path / "r.png", min_kb=30)
        ax = fig.axes[0]
        assert [float(v) for v in ax.get_xlim()] == pytest.approx([20.0, 20.0 + 3599 / fs])
        in_view = (ann.sample >= 20 * fs) & (ann.sample < 20 * fs + 3600)
        symbols = [t.get_text() for t in ax.texts]
        assert symbols == ann.symbol[in_view].tolist()
        rings = marker_colors(ax)
        beats_in_view = (peaks >= 20 * fs) & (peaks < 20 * fs + 3600)
        for code, name in ((0, "N"), (2, "V"), (3, "F")):
            expected = int((labels[beats_in_view] == code).sum())
            assert rings.get(plot.CLASS_COLORS[name].lower(), 0) == expected
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == list(CLASSES)

    def test_string_labels_and_unlabelled_peaks(self, mpl):
        x = np.sin(np.arange(2000) / 10.0)
        fig = plot.plot_record(x, 200.0, r_peaks=[100, 500, 900], labels=["V", "N", "N"])
        rings = marker_colors(fig.axes[0])
        assert rings == {plot.CLASS_COLORS["V"].lower(): 1, plot.CLASS_COLORS["N"].lower(): 2}
        fig = plot.plot_record(x, 200.0, r_peaks=[100, 500], labels=[-1, 0])
        assert marker_colors(fig.axes[0])["#000000"] == 1
        assert "no class" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]

    def test_view_cut_at_signal_end_and_nan_gaps(self, mpl):
        x = np.r_[np.zeros(100), np.full(10, np.nan), np.ones(90)]
        fig = plot.plot_record(x, 100.0, start_s=1.5, duration_s=10.0)
        assert float(fig.axes[0].get_xlim()[1]) == pytest.approx(1.99)

    def test_draws_into_given_axes(self, mpl):
        from matplotlib.figure import Figure

        fig = Figure()
        axes = fig.subplots(2)
        out = plot.plot_record(np.zeros(500), 100.0, ax=axes[1], title="lower")
        assert out is fig
        assert axes[1].get_title(loc="left") == "lower" and not axes[0].lines

    def test_readonly_inputs(self, mpl):
        x = np.sin(np.arange(1000) / 10.0)
        peaks = np.array([10, 300])
        x.flags.writeable = False
        peaks.flags.writeable = False
        plot.plot_record(x, 100.0, r_peaks=peaks, labels=np.array([0, 1]))

    @pytest.mark.parametrize(
        "kwargs, exc, match",
        [
            ({"labels": [0]}, ValueError, "labels need r_peaks"),
            ({"r_peaks": [1, 2], "labels": [0]}, ValueError, "one class per R peak"),
            ({"r_peaks": [1], "labels": [5]}, ValueError, r"class code 5, outside -1..4"),
            ({"r_peaks": [1], "labels": ["X"]}, ValueError, "'X', not one of"),
            ({"r_peaks": [1000]}, ValueError, r"sample index 1000 outside the signal \(0..999\)"),
            ({"r_peaks": [1.5]}, TypeError, "integer sample indices"),
            ({"start_s": 10.0}, ValueError, "after the end of the signal"),
            ({"start_s": -1.0}, ValueError, "start_s=-1.0 must be"),
            ({"duration_s": 0}, ValueError, "duration_s=0.0 must be"),
            ({"annotations": 5}, TypeError, "annotations must have .sample"),
            ({"annotations": ([1, 2], ["N"])}, ValueError, "must pair up"),
            ({"ax": "axes"}, TypeError, "ax must be a matplotlib Axes"),
        ],
    )
    def test_bad_arguments(self, mpl, kwargs, exc, match):
        with pytest.raises(exc, match=match):
            plot.plot_record(np.zeros(1000), 100.0, **kwargs)

    @pytest.mark.parametrize(
        "signal, exc, match",
        [
            (np.zeros((10, 2)), ValueError, r"1-D.*signal\[:, 0\]"),
            (np.zeros(0), ValueError, "signal is empty"),
            (np.array(["a"]), TypeError, "real numbers"),
        ],
    )
    def test_bad_signal(self, mpl, signal, exc, match):
        with pytest.raises(exc, match=match):
            plot.plot_record(signal, 100.0)

    def test_bad_fs(self, mpl):
        with pytest.raises(ValueError, match="fs"):
            plot.plot_record(np.zeros(10), -1.0)


class TestPlotBeatContext:
    def test_one_second_centred_on_beat(self, mpl, ex208, tmp_path):
        x, fs, ann = ex208
        v = int(ann.sample[ann.symbol == "V"][3])
        fig = plot.plot_beat_context(x, fs, v, annotations=ann, path=tmp_path / "b.png")
        assert_png(tmp_path / "b.png")
        ax = fig.axes[0]
        assert [float(t) for t in ax.get_xlim()] == pytest.approx([-0.5, 0.5])
        assert "V" in [t.get_text() for t in ax.texts]
        assert ax.get_xlabel() == "time from the beat (s)"

    def test_clipped_at_start(self, mpl):
        fig = plot.plot_beat_context(np.zeros(1000), 100.0, 10, window_s=1.0)
        assert float(fig.axes[0].get_xlim()[0]) == pytest.approx(-0.1)

    @pytest.mark.parametrize(
        "beat, exc, match",
        [(1000, ValueError, "beat=1000 lies outside"), (1.0, TypeError, "integer sample")],
    )
    def test_bad_beat(self, mpl, beat, exc, match):
        with pytest.raises(exc, match=match):
            plot.plot_beat_context(np.zeros(1000), 100.0, beat)


class TestPlotSpectrogram:
    def test_one_window(self, mpl, ex208, tmp_path):
        from heartbeat.windows import spectrogram

        x, fs, _ = ex208
        f, t, S = spectrogram(x[:1440], fs)
        fig = plot.plot_spectrogram(f, t, S, fmax_hz=60, title="w", path=tmp_path / "s.png")
        assert_png(tmp_path / "s.png")
        assert len(fig.axes) == 2  # image and colour bar
        mesh = fig.axes[0].collections[0]
        np.testing.assert_allclose(
            np.asarray(mesh.get_array()).ravel(), (10 * np.log10(S)).ravel(), rtol=1e-9
        )

    def test_linear_values(self, mpl):
        S = np.arange(12.0).reshape(3, 4) - 5
        fig = plot.plot_spectrogram([0, 1, 2], [0, 1, 2, 3], S, db=False)
        np.testing.assert_array_equal(
            np.asarray(fig.axes[0].collections[0].get_array()).ravel(), S.ravel()
        )

    def test_shape_mismatch(self, mpl):
        with pytest.raises(ValueError, match=r"shape \(len\(f\), len\(t\)\) = \(3, 4\)"):
            plot.plot_spectrogram([0, 1, 2], [0, 1, 2, 3], np.ones((4, 3)))

    def test_negative_power(self, mpl):
        with pytest.raises(ValueError, match="negative"):
            plot.plot_spectrogram([0, 1], [0, 1], -np.ones((2, 2)))


class TestPlotWindowComparison:
    def test_shared_colour_scale(self, mpl, ex208, tmp_path):
        x, fs, _ = ex208
        w = np.stack([x[1000:2440], x[20000:21440]])
        fig = plot.plot_window_comparison(w, fs, titles=["a", "b"], dynamic_range_db=50,
                                          path=tmp_path / "w.png")
        assert_png(tmp_path / "w.png", min_kb=30)
        from matplotlib.collections import QuadMesh

        meshes = [c for ax in fig.axes[:4] for c in ax.collections if isinstance(c, QuadMesh)]
        assert len(meshes) == 2
        assert meshes[0].get_clim() == meshes[1].get_clim()
        lo, hi = meshes[0].get_clim()
        assert hi - lo == pytest.approx(50)
        assert [fig.axes[i].get_title(loc="left") for i in (0, 1)] == ["a", "b"]

    def test_single_window(self, mpl):
        fig = plot.plot_window_comparison(np.sin(np.arange(720) / 7.0), 360.0)
        assert len(fig.axes) == 3

    @pytest.mark.parametrize(
        "windows, kwargs, exc, match",
        [
            (np.ones((2, 200)), {"titles": ["a"]}, ValueError, "1 entries for 2 windows"),
            (np.full((1, 200), np.nan), {}, ValueError, "NaN"),
            (np.ones((0, 200)), {}, ValueError, "k >= 1"),
            (np.ones((1, 20)), {}, ValueError, "nperseg"),
            (np.ones((1, 200)), {"dynamic_range_db": 0}, ValueError, "dynamic_range_db"),
            (np.ones((1, 200), complex), {}, TypeError, "real numbers"),
        ],
    )
    def test_bad_arguments(self, mpl, windows, kwargs, exc, match):
        with pytest.raises(exc, match=match):
            plot.plot_window_comparison(windows, 360.0, **kwargs)


class TestPlotClassGallery:
    def test_mean_and_band_per_class(self, mpl, tmp_path):
        rng = np.random.default_rng(1)
        x = rng.random((60, 187))
        y = np.r_[np.zeros(30, int), np.full(20, 2), np.full(10, 4)]
        fig = plot.plot_class_gallery(x, y, path=tmp_path / "g.png")
        assert_png(tmp_path / "g.png", min_kb=30)
        axes = fig.axes
        assert [ax.get_title(loc="left") for ax in axes] == [
            "N  (n = 30)", "S  (n = 0)", "V  (n = 20)", "F  (n = 0)", "Q  (n = 10)"
        ]
        t_ms, mean = axes[2].lines[0].get_data()
        np.testing.assert_allclose(mean, x[30:50].mean(axis=0))
        assert t_ms[-1] == pytest.approx(186 / 125 * 1000)  # 1488 ms
        assert [t.get_text() for t in axes[1].texts] == ["no beats"]

    def test_other_classes_and_names(self, mpl):
        fig = plot.plot_class_gallery(np.ones((4, 10)), ["b", "a", "a", "a"],
                                      class_names=("a", "b"), fs=360.0)
        assert [ax.get_title(loc="left") for ax in fig.axes] == ["a  (n = 3)", "b  (n = 1)"]

    @pytest.mark.parametrize(
        "x, y, exc, match",
        [
            (np.ones(187), [0], ValueError, "n_beats, n_samples"),
            (np.ones((2, 187)), [0], ValueError, "1 labels but x has 2 beats"),
            (np.ones((1, 187)), [5], ValueError, r"class code 5, outside 0..4"),
            (np.ones((1, 187)), [-1], ValueError, "outside 0..4"),
            (np.full((1, 187), np.nan), [0], ValueError, "NaN"),
            (np.ones((1, 187)), [0.0], TypeError, "integer class codes"),
        ],
    )
    def test_bad_arguments(self, mpl, x, y, exc, match):
        with pytest.raises(exc, match=match):
            plot.plot_class_gallery(x, y)


class TestPlotConfusionMatrix:
    def test_counts(self, mpl, tmp_path):
        cm = np.array([[50, 2, 0], [5, 10, 1], [0, 0, 7]])
        fig = plot.plot_confusion_matrix(cm, ["N", "S", "V"], path=tmp_path / "c.png")
        assert_png(tmp_path / "c.png")
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert texts == ["50", "2", "0", "5", "10", "1", "0", "0", "7"]
        assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["N", "S", "V"]

    @pytest.mark.parametrize(
        "normalize, first_row",
        [
            ("true", ["96.2 %\n(50)", "3.8 %\n(2)"]),  # 50/52, 2/52
            ("pred", ["90.9 %\n(50)", "16.7 %\n(2)"]),  # 50/55, 2/12
            ("all", ["74.6 %\n(50)", "3.0 %\n(2)"]),  # 50/67, 2/67
        ],
    )
    def test_normalized(self, mpl, normalize, first_row):
        cm = np.array([[50, 2], [5, 10]])
        fig = plot.plot_confusion_matrix(cm, ["N", "V"], normalize=normalize)
        assert [t.get_text() for t in fig.axes[0].texts][:2] == first_row

    def test_empty_row_left_blank(self, mpl):
        fig = plot.plot_confusion_matrix(np.array([[3, 1], [0, 0]]), normalize="true")
        assert [t.get_text() for t in fig.axes[0].texts] == ["75.0 %\n(3)", "25.0 %\n(1)"]

    def test_from_report_and_default_names(self, mpl):
        report = classification_report([0, 1, 2, 3, 4], [0, 1, 2, 3, 3])
        fig = plot.plot_confusion_matrix(report, title="r")
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(CLASSES)
        fig = plot.plot_confusion_matrix(np.eye(3, dtype=int))
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0", "1", "2"]

    @pytest.mark.parametrize(
        "cm, kwargs, exc, match",
        [
            (np.ones((2, 3), int), {}, ValueError, "square"),
            (np.ones((2, 2)), {}, TypeError, "integer counts"),
            (-np.ones((2, 2), int), {}, ValueError, "negative"),
            (np.ones((2, 2), int), {"class_names": ["a"]}, ValueError, "1 names for a 2 x 2"),
            (np.ones((2, 2), int), {"normalize": "rows"}, ValueError, "normalize='rows'"),
        ],
    )
    def test_bad_arguments(self, mpl, cm, kwargs, exc, match):
        with pytest.raises(exc, match=match):
            plot.plot_confusion_matrix(cm, **kwargs)


@dataclasses.dataclass
class History:
    train_loss: list
    val_loss: list
    train_macro_f1: list
    val_macro_f1: list


class TestPlotTrainingCurves:
    def test_dict_of_lists(self, mpl, tmp_path):
        history = {
            "train_loss": [1.0, 0.7, 0.5, 0.4], "val_loss": [1.1, 0.8, 0.7, 0.75],
            "train_accuracy": [0.6, 0.7, 0.8, 0.85], "val_accuracy": [0.55, 0.7, 0.75, 0.74],
            "train_macro_f1": [0.3, 0.5, 0.6, 0.7], "val_macro_f1": [0.3, 0.45, 0.55, 0.5],
            "lr": [0.1, 0.1, 0.01, 0.01],  # ignored
        }
        fig = plot.plot_training_curves(history, title="t", path=tmp_path / "h.png")
        assert_png(tmp_path / "h.png")
        assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy", "macro-F1"]
        f1_ax = fig.axes[2]
        epochs, values = f1_ax.lines[1].get_data()
        assert list(epochs) == [1, 2, 3, 4] and list(values) == history["val_macro_f1"]
        best = [line for line in f1_ax.lines if line.get_linestyle() == ":"]
        assert list(best[0].get_xdata()) == [3, 3]  # best validation macro-F1 at epoch 3

    def test_object_with_attributes(self, mpl):
        h = History([1.0, 0.5], [1.2, 0.9], [0.4, 0.6], [0.3, float("nan")])
        fig = plot.plot_training_curves(h)
        assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "macro-F1"]

    @pytest.mark.parametrize(
        "history, exc, match",
        [
            ({}, ValueError, "no per-epoch values"),
            ({"loss": [1.0]}, ValueError, "none of the keys"),
            ({"train_loss": [1.0, 2.0], "val_loss": [1.0]}, ValueError, "train_loss: 2"),
            ({"train_loss": "1,2"}, TypeError, "sequence of numbers"),
            ({"train_loss": [[1.0]]}, ValueError, "1-D"),
            (object(), ValueError, "no per-epoch values"),
        ],
    )
    def test_bad_history(self, mpl, history, exc, match):
        with pytest.raises(exc, match=match):
            plot.plot_training_curves(history)


class TestReferenceClasses:
    def test_nearest_beat_within_tolerance(self):
        sample = np.array([100, 200, 300, 400])
        symbol = np.array(["N", "+", "V", "A"])
        peaks = np.array([98, 205, 290, 460, 500])
        codes = plot.reference_classes(peaks, sample, symbol, fs=100.0, tolerance_s=0.15)
        # 98 -> N at 100; 205 -> N at 100? no: nearest beat is 100 or 300 (the + is no
        # beat) and both are > 15 samples away -> -1; 290 -> V; 460 -> none; 500 -> none
        assert codes.tolist() == [0, -1, 2, -1, -1]


class TestSaveExampleFigures:
    def test_writes_the_pictures(self, mpl, tmp_path):
        paths = plot.save_example_figures(tmp_path / "new", dpi=80)
        assert [p.name for p in paths] == [
            "record100_10s.png", "record208_10s.png", "record208_beat_1s.png",
            "windows_normal_vs_v.png",
        ]
        for p in paths:
            assert_png(p, min_kb=15)


class TestCli:
    def test_record(self, mpl, tmp_path, capsys):
        out = tmp_path / "r.png"
        code = main(["plot", "record", str(example_path("208")), "--start", "30",
                     "--duration", "5", "--out", str(out), "--dpi", "80"])
        assert code == 0
        assert_png(out)
        printed = capsys.readouterr().out
        assert "reference annotations from 208.atr" in printed and "R peaks detected" in printed

    def test_record_npy_without_peaks(self, mpl, tmp_path):
        np.save(tmp_path / "x.npy", np.sin(np.arange(2000) / 30.0))
        out = tmp_path / "x.png"
        assert main(["plot", "record", str(tmp_path / "x.npy"), "--fs", "200",
                     "--no-peaks", "--out", str(out)]) == 0
        assert_png(out)

    def test_example(self, mpl, tmp_path, capsys):
        assert main(["plot", "example", "--out-dir", str(tmp_path), "--dpi", "60"]) == 0
        assert len(capsys.readouterr().out.split()) == 4
        assert len(list(tmp_path.glob("*.png"))) == 4

    def test_gallery_npz_and_csv(self, mpl, tmp_path):
        rng = np.random.default_rng(0)
        x, y = rng.random((30, 187)), rng.integers(0, 5, 30)
        np.savez(tmp_path / "b.npz", x=x, y=y)
        np.savetxt(tmp_path / "b.csv", np.c_[x, y], delimiter=",")
        for name in ("b.npz", "b.csv"):
            out = tmp_path / f"{name}.png"
            assert main(["plot", "gallery", str(tmp_path / name), "--out", str(out)]) == 0
            assert_png(out)

    def test_confusion_npz_labels_and_csv(self, mpl, tmp_path, capsys):
        np.savez(tmp_path / "p.npz", y_true=np.array([0, 0, 1, 2]), y_pred=np.array([0, 1, 1, 2]))
        out = tmp_path / "c.png"
        assert main(["plot", "confusion", str(tmp_path / "p.npz"), "--normalize", "true",
                     "--out", str(out)]) == 0
        assert_png(out)
        assert "4 items; accuracy 75.00 %" in capsys.readouterr().out
        (tmp_path / "c.csv").write_text("N,V\n8,2\n1,4\n")
        assert main(["plot", "confusion", str(tmp_path / "c.csv"), "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert "15 items; accuracy 80.00 %" in printed and "V      80.00" in printed

    def test_curves(self, mpl, tmp_path):
        (tmp_path / "h.json").write_text(json.dumps({"train_loss": [1, 0.5], "val_loss": [1, 1]}))
        out = tmp_path / "h.png"
        assert main(["plot", "curves", str(tmp_path / "h.json"), "--out", str(out)]) == 0
        assert_png(out)

    @pytest.mark.parametrize(
        "argv, match",
        [
            (["record", "missing", "--out", "x.png"], "not found"),
            (["gallery", "missing.npz", "--out", "x.png"], "not found"),
            (["confusion", "missing.npz", "--out", "x.png"], "not found"),
            (["curves", "missing.json", "--out", "x.png"], "cannot read a JSON history"),
            (["record", "EXAMPLE", "--out", "x.pdf"], "must end in .png"),
        ],
    )
    def test_errors(self, mpl, tmp_path, capsys, argv, match):
        argv = [a.replace("EXAMPLE", str(example_path("100"))) for a in argv]
        argv = [str(tmp_path / a) if a.startswith(("missing", "x.")) else a for a in argv]
        assert main(["plot", *argv]) == 2
        assert match in capsys.readouterr().err


class TestDocstringExamples:
    def test_examples_run(self, mpl):
        result = doctest.testmod(plot, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted >= 8 and result.failed == 0


def test_no_temp_files_left_in_cwd():
    # the atomic writer works in the target folder; nothing should leak into the cwd
    assert not [p for p in os.listdir(".") if p.startswith(".") and p.endswith(".tmp")]
