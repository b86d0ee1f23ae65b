"""The commands' outputs fit together: what segment, predict, train and evaluate write,
plot reads (``heartbeat.cli.files``).

The ECG is the shipped excerpt of MIT-BIH record 208 saved as .npy; training and
evaluation use real MIT-BIH record 100 (skipped when the data is absent); the
training history is tested with the any-folder training in test_wfdb_folder.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from heartbeat.cli import files, main
from heartbeat.io.examples import load_example


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """segment's .npz and predict's CSV and JSON for the 208 excerpt."""
    folder = tmp_path_factory.mktemp("chain")
    ex = load_example("208")
    ecg = folder / "208.npy"
    np.save(ecg, ex.signal[:, 0])
    fs = str(ex.fs)
    assert main(["segment", str(ecg), "--fs", fs, "--out", str(folder / "beats.npz")]) == 0
    for name in ("pred.csv", "pred.json"):
        assert main(["predict", str(ecg), "--fs", fs, "--out", str(folder / name)]) == 0
    return folder, fs


class TestPredictions:
    def test_csv_and_json_agree(self, chain):
        folder, _ = chain
        samples, labels, classes = files.read_predictions(folder / "pred.csv")
        s2, l2, c2 = files.read_predictions(folder / "pred.json")
        np.testing.assert_array_equal(samples, s2)
        np.testing.assert_array_equal(labels, l2)
        withheld = ("?",) if "?" in labels else ()  # the reject option's unclassified beats
        assert classes == c2 == ("N", "S", "V", "F", "Q", *withheld)
        doc = json.loads((folder / "pred.json").read_text())
        # the JSON counts "?" even when no beat is withheld
        counts = {c: int((labels == c).sum()) for c in ("N", "S", "V", "F", "Q", "?")}
        assert counts == doc["counts"]

    def test_not_a_predictions_file(self, tmp_path):
        bad = tmp_path / "x.csv"
        bad.write_text("a,b,c\n1,2,3\n")
        with pytest.raises(ValueError, match="expected the output of `heartbeat predict`"):
            files.read_predictions(bad)
        with pytest.raises(ValueError, match="heartbeat predict INPUT --out"):
            files.read_predictions(tmp_path / "missing.csv")


@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib", reason="matplotlib not installed (pip install "
                               "heartbeat[plot])")


class TestGallery:
    def test_segment_file_alone_is_one_class(self, chain, mpl):
        folder, _ = chain
        x, y, names = files.read_beats(folder / "beats.npz")
        with np.load(folder / "beats.npz") as data:
            assert x.shape == data["waveforms"].shape
        assert names == ("beats",) and set(y.tolist()) == {0}
        out = folder / "g1.png"
        assert main(["plot", "gallery", str(folder / "beats.npz"), "--out", str(out)]) == 0
        assert out.stat().st_size > 0

    def test_segment_file_grouped_by_predicted_class(self, chain, mpl):
        folder, _ = chain
        _, y, _ = files.read_beats(folder / "beats.npz", predictions=folder / "pred.csv")
        _, labels, classes = files.read_predictions(folder / "pred.csv")
        assert len(y) == len(labels)  # same ECG, same detector: every beat found
        np.testing.assert_array_equal(np.asarray(classes)[y], labels)
        assert len(set(y.tolist())) >= 2  # 208 has N, V and F beats
        out = folder / "g2.png"
        assert main(["plot", "gallery", str(folder / "beats.npz"), "--predictions",
                     str(folder / "pred.json"), "--out", str(out)]) == 0

    def test_predictions_of_another_ecg(self, chain, tmp_path):
        folder, _ = chain
        other = tmp_path / "p.csv"
        other.write_text("sample,time_s,label,p_N\n7,0.1,N,1.0\n")
        with pytest.raises(ValueError, match=r"no R peak of beats\.npz is in p\.csv"):
            files.read_beats(folder / "beats.npz", predictions=other)
        beatset = tmp_path / "set.npz"
        np.savez(beatset, x=np.zeros((2, 187)), y=np.array([0, 1]))
        with pytest.raises(ValueError, match="holds labels already"):
            files.read_beats(beatset, predictions=folder / "pred.csv")


def test_plot_record_coloured_by_prediction(chain, mpl, capsys):
    folder, fs = chain
    out = folder / "rec.png"
    status = main(["plot", "record", str(folder / "208.npy"), "--fs", fs, "--predictions",
                   str(folder / "pred.csv"), "--start", "5", "--out", str(out)])
    assert status == 0
    samples, _, _ = files.read_predictions(folder / "pred.csv")
    n = int(((samples >= 5 * float(fs)) & (samples < 15 * float(fs))).sum())
    assert f"{n} beats coloured by the predicted class from pred.csv" in capsys.readouterr().out


def test_evaluate_confusion_feeds_plot(tmp_path, mitdb_dir, mpl, capsys):
    cm_file = tmp_path / "cm.json"
    assert main(["evaluate", "mitbih-ds1", "--data-dir", str(mitdb_dir), "--records", "100",
                 "--confusion-out", str(cm_file), "--quiet"]) == 0
    evaluated = capsys.readouterr().out
    doc = json.loads(cm_file.read_text())
    assert np.sum(doc["confusion"]) == doc["n_beats"] == 2273  # the beats of record 100
    assert doc["class_names"] == ["N", "S", "V", "F", "Q"] and doc["records"] == ["100"]
    assert main(["plot", "confusion", str(cm_file), "--out", str(tmp_path / "cm.png")]) == 0
    report = str(files.read_confusion(cm_file, None))
    assert report in evaluated and report in capsys.readouterr().out
