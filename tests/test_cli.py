import subprocess
import sys

import numpy as np
import pytest

from heartbeat.cli import main
from heartbeat.io.examples import example_path


class TestDemo:
    def test_prints_beats_rate_and_agreement(self, capsys):
        assert main(["demo"]) == 0
        out = capsys.readouterr().out
        assert "record 100" in out and "record 208" in out
        assert "bpm" in out and "Se " in out and "+P " in out

    def test_console_script_entry_point(self):
        proc = subprocess.run(
            [sys.executable, "-m", "heartbeat.cli", "--help"],
            capture_output=True, text=True, check=True,
        )
        assert "demo" in proc.stdout and "segment" in proc.stdout


class TestSegment:
    def test_wfdb_input_writes_npz(self, tmp_path, capsys):
        out = tmp_path / "beats.npz"
        assert main(["segment", str(example_path("100")), "--out", str(out)]) == 0
        with np.load(out, allow_pickle=False) as data:
            assert data["waveforms"].shape[1] == 187
            assert len(data["r_peaks"]) == data["waveforms"].shape[0] > 100
        assert "beats" in capsys.readouterr().out

    def test_csv_needs_fs(self, tmp_path, capsys):
        csv = tmp_path / "ecg.csv"
        csv.write_text("\n".join(str(v) for v in np.sin(np.arange(3000) / 10)))
        assert main(["segment", str(csv), "--out", str(tmp_path / "b.npz")]) == 2
        assert "pass fs" in capsys.readouterr().err
        assert not (tmp_path / "b.npz").exists()
        assert main(["segment", str(csv), "--fs", "250", "--out", str(tmp_path / "b")]) == 0
        assert (tmp_path / "b.npz").exists()

    def test_missing_out_is_a_usage_error(self):
        with pytest.raises(SystemExit):
            main(["segment", "x.npy"])


def test_train_command_line_flags_override_the_config_both_ways(tmp_path):
    from heartbeat.cli import build_parser
    from heartbeat.cli.mitbih import _train_options

    config = tmp_path / "train.toml"
    config.write_text('data_dir = "d"\nout = "m.npz"\nuse_rr = true\nlog_rr = true\n')
    parser = build_parser()
    options = _train_options(parser.parse_args(["train", "--config", str(config)]))
    assert options["use_rr"] is True and options["log_rr"] is True
    options = _train_options(parser.parse_args(
        ["train", "--config", str(config), "--no-rr", "--no-log-rr", "--threads", "2"]))
    assert options["use_rr"] is False and options["log_rr"] is False
    assert options["threads"] == 2


def test_saved_training_command_holds_no_local_paths():
    from heartbeat.cli.mitbih import _portable

    assert _portable(["train", "--data-dir", "/home/me/mitdb", "--cache-dir", "/tmp/c",
                      "--seed", "1"]) == ["train", "--data-dir", "DATA_DIR", "--seed", "1"]
    assert _portable(["train", "--data-dir=/x", "--cache-dir=/c", "--out", "m.npz"]) == [
        "train", "--data-dir", "DATA_DIR", "--out", "m.npz"]
    for name in ("mitbih-all", "mitbih-ds1"):  # the shipped models
        from heartbeat.classifier import BeatClassifier

        command = BeatClassifier.pretrained(name).info["command"]
        assert "--data-dir DATA_DIR" in command and "/" not in command.split("--out")[0]


class TestSummary:
    def test_beat_counts_beside_kaggle_and_per_record(self, mitdb_dir, capsys):
        from heartbeat.datasets import KAGGLE_MITBIH_COUNTS, mitbih_beats

        argv = ["summary", str(mitdb_dir), "--records", "100", "101", "--per-record"]
        assert main(argv) == 0
        lines = capsys.readouterr().out.splitlines()
        beats = mitbih_beats(mitdb_dir, ["100", "101"], quiet=True)
        assert lines[0].startswith(f"beats: {len(beats)} items, x ({len(beats)}, 187) float32")
        assert lines[0].endswith("(serial)")
        for name in ("100", "101"):
            counts = beats[beats.record == name].class_counts()
            assert f"  {name}: " + ", ".join(
                f"{c} {k}" for c, k in zip(beats.classes, counts, strict=True)) in lines
        rows = {line.split()[0]: line.split()[1:] for line in lines[-6:]}
        for c, n in zip(beats.classes, beats.class_counts(), strict=True):
            assert rows[c] == [str(n), str(KAGGLE_MITBIH_COUNTS[c]),
                               f"{n - KAGGLE_MITBIH_COUNTS[c]:+d}"]
        assert rows["all"][0] == str(len(beats))

    def test_window_counts(self, mitdb_dir, capsys):
        from heartbeat.datasets import mitbih_windows

        assert main(["summary", str(mitdb_dir), "--records", "100", "101",
                     "--set", "windows"]) == 0
        lines = capsys.readouterr().out.splitlines()
        windows = mitbih_windows(mitdb_dir, ["100", "101"], quiet=True)
        assert lines[0].startswith(f"windows: {len(windows)} items")
        assert lines[1] == f"windows dropped at record ends: {windows.n_dropped}"
        assert lines[2:] == [f"{c:>9} {n:8d}" for c, n in
                             zip(windows.classes, windows.class_counts(), strict=True)]

    def test_unknown_set_is_a_usage_error(self, tmp_path):
        with pytest.raises(SystemExit):
            main(["summary", str(tmp_path), "--set", "images"])
