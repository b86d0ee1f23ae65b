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
        # the paper's literal rule misses most beats of 208: its rate is flagged
        lines = out.splitlines()
        assert any("kachuee2018" in line and "implausible" in line for line in lines)
        assert not any("robust:" in line and "implausible" in line for line in lines)

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
            assert str(data["channel"]) == "MLII" and data["detect_on"].tolist() == ["MLII"]
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
    from heartbeat.classifier import BeatClassifier

    for name in ("mitbih-all", "mitbih-ds1"):  # the shipped models
        info = BeatClassifier.pretrained(name).info
        members = info.get("ensemble", {}).get("members", [])
        for command in [info["command"], *(m["command"] for m in members)]:
            # no local path: no word starting with "/" or "~"
            assert not any(word[0] in "/~" for word in command.split()), command
            if command.startswith("heartbeat train"):
                assert "--data-dir DATA_DIR" in command


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


def _ecg_100(seconds: float | None = None) -> tuple[np.ndarray, float]:
    from heartbeat.io.examples import load_example

    ex = load_example("100")
    x = ex.signal[:, 0]
    return (x if seconds is None else x[: int(seconds * ex.fs)]), ex.fs


class TestPythonDashM:
    def test_python_m_heartbeat_is_the_command(self):
        proc = subprocess.run([sys.executable, "-m", "heartbeat", "--version"],
                              capture_output=True, text=True, check=True)
        from heartbeat import __version__

        assert proc.stdout.strip() == f"heartbeat {__version__}"


class TestCompileNotice:
    @pytest.fixture
    def fresh_jit(self, monkeypatch):
        from heartbeat import _jit

        if not _jit.jit_enabled():
            pytest.skip("NUMBA_DISABLE_JIT is set")
        monkeypatch.setattr(_jit, "_COMPILED", {})
        monkeypatch.setattr(_jit, "_noticed", False)
        return _jit

    def test_said_once_on_stderr_when_kernels_compile(self, fresh_jit, monkeypatch, tmp_path,
                                                      capsys):
        monkeypatch.setattr(fresh_jit, "_is_cached", lambda dispatcher: False)
        out = tmp_path / "b.npz"
        assert main(["segment", str(example_path("100")), "--out", str(out)]) == 0
        err = capsys.readouterr().err
        assert err.count("compiling the Numba kernels") == 1
        assert fresh_jit.compile_notice is None  # the library stays silent afterwards

    def test_silent_when_the_kernels_are_cached(self, fresh_jit, monkeypatch, tmp_path,
                                                capsys):
        if fresh_jit.writable_cache_dir() is None:
            pytest.skip("no writable kernel cache folder: every run compiles")
        out = tmp_path / "b.npz"
        assert main(["segment", str(example_path("100")), "--out", str(out)]) == 0
        monkeypatch.setattr(fresh_jit, "_COMPILED", {})
        monkeypatch.setattr(fresh_jit, "_noticed", False)
        capsys.readouterr()
        assert main(["segment", str(example_path("100")), "--out", str(out)]) == 0
        assert "compiling" not in capsys.readouterr().err


class TestOutputs:
    def test_missing_out_folder_is_created(self, tmp_path):
        out = tmp_path / "new" / "deeper" / "beats.npz"
        assert main(["segment", str(example_path("100")), "--out", str(out)]) == 0
        assert out.is_file()

    @pytest.mark.parametrize("command", [
        ["segment", "INPUT"], ["predict", "INPUT"], ["plot", "record", "INPUT"],
    ])
    def test_unwritable_out_fails_at_once_in_one_line(self, tmp_path, capsys, command):
        blocker = tmp_path / "file"
        blocker.write_text("")
        argv = [str(example_path("100")) if a == "INPUT" else a for a in command]
        assert main([*argv, "--out", str(blocker / "x.csv")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "is a file, not a folder" in err

    def test_train_checks_out_before_reading_any_record(self, tmp_path, capsys, monkeypatch):
        import heartbeat.datasets

        def no_training(*args, **kwargs):
            raise AssertionError("records were read before --out was checked")

        monkeypatch.setattr(heartbeat.datasets, "mitbih_beats", no_training)
        (tmp_path / "file").write_text("")
        mitdb = tmp_path / "mitdb"
        mitdb.mkdir()
        assert main(["train", "--data-dir", str(mitdb), "--records", "100",
                     "--out", str(tmp_path / "file" / "m.npz")]) == 2
        assert "is a file, not a folder" in capsys.readouterr().err

    def test_segment_out_csv_writes_csv(self, tmp_path):
        out = tmp_path / "beats.csv"
        assert main(["segment", str(example_path("100")), "--out", str(out)]) == 0
        assert not (tmp_path / "beats.csv.npz").exists()
        rows = out.read_text().splitlines()
        header = rows[0].split(",")
        assert header[:3] == ["sample", "time_s", "period_s"] and len(header) == 3 + 187
        from heartbeat.pipeline import segment

        x, fs = _ecg_100()
        beats = segment(x, fs)
        assert len(rows) == 1 + len(beats)
        first = np.array(rows[1].split(","), dtype=float)
        assert first[0] == beats.r_peaks[0]
        np.testing.assert_allclose(first[3:], beats.waveforms[0], rtol=1e-5, atol=1e-6)


class TestChannelChoice:
    def test_time_column_is_skipped_and_the_lead_named(self, tmp_path, capsys):
        x, fs = _ecg_100(30)
        csv = tmp_path / "ecg.csv"
        t = np.arange(x.size) / fs
        csv.write_text("time_s,ecg_mV\n" + "\n".join(
            f"{a:.5f},{b:.4f}" for a, b in zip(t, x, strict=True)) + "\n")
        assert main(["segment", str(csv), "--out", str(tmp_path / "a.npz")]) == 0
        assert "column 'ecg_mV'" in capsys.readouterr().err
        assert main(["segment", str(example_path("100")), "--out", str(tmp_path / "b.npz")]) == 0
        with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
            assert a["fs"] == pytest.approx(fs)
            n = len(a["r_peaks"])
            assert n > 30
            np.testing.assert_array_equal(a["r_peaks"], b["r_peaks"][:n])

    def test_wfdb_lead_by_name(self, tmp_path, capsys):
        assert main(["segment", str(example_path("100")), "--channel", "V5",
                     "--out", str(tmp_path / "b.npz")]) == 0
        assert "lead V5" in capsys.readouterr().err
        assert main(["segment", str(example_path("100")), "--channel", "V1",
                     "--out", str(tmp_path / "b.npz")]) == 2
        assert "choose one of MLII, V5" in capsys.readouterr().err

    def test_help_does_not_say_one_column(self, capsys):
        with pytest.raises(SystemExit):
            main(["segment", "--help"])
        assert "one-column" not in capsys.readouterr().out


class TestPlausibility:
    def test_wrong_fs_warns_about_the_heart_rate(self, tmp_path, capsys):
        from heartbeat.resample import resample_poly

        x, _ = _ecg_100()
        np.save(tmp_path / "ecg.npy", resample_poly(x, 25, 36))  # 250 Hz
        # given as 50 Hz, the beats seem 5x slower (at 25 Hz the detector's peaks in the
        # few readable stretches are too irregular for a median rate to say so)
        assert main(["segment", str(tmp_path / "ecg.npy"), "--fs", "50",
                     "--out", str(tmp_path / "b.npz")]) == 0
        err = capsys.readouterr().err
        assert "outside 20-300 bpm" in err and "--fs" in err
        assert main(["segment", str(tmp_path / "ecg.npy"), "--fs", "250",
                     "--out", str(tmp_path / "b.npz")]) == 0
        assert "bpm" not in capsys.readouterr().err

    @pytest.mark.parametrize(("rate_bpm", "warned"), [(816, True), (310, True), (290, False),
                                                      (22, False), (18, True)])
    def test_rate_bounds(self, capsys, rate_bpm, warned):
        from heartbeat.cli.ecg import _check_plausible

        fs = 250.0
        peaks = np.round(np.arange(20) * 60 * fs / rate_bpm).astype(np.int64)
        _check_plausible(peaks, fs, int(peaks[-1]) + 100, "segment")
        assert ("outside 20-300 bpm" in capsys.readouterr().err) is warned

    def test_short_signal_explains_zero_beats(self, tmp_path, capsys):
        x, _ = _ecg_100(1.0)
        np.save(tmp_path / "ecg.npy", x)
        assert main(["segment", str(tmp_path / "ecg.npy"), "--fs", "360",
                     "--out", str(tmp_path / "b.npz")]) == 0
        err = capsys.readouterr().err
        assert "0 beats: the signal lasts only 1.0 s" in err and "10 s" in err


class TestPredictColumns:
    def test_csv_has_rr_rate_and_lead(self, tmp_path, capsys):
        out = tmp_path / "p.csv"
        assert main(["predict", str(example_path("100")), "--channel", "MLII",
                     "--out", str(out)]) == 0
        rows = [r.split(",") for r in out.read_text().splitlines()]
        header = rows[0]
        assert header[-3:] == ["rr_s", "hr_bpm", "lead"]
        samples = np.array([int(r[0]) for r in rows[1:]])
        assert rows[1][-3:-1] == ["", ""] and all(r[-1] == "MLII" for r in rows[1:])
        rr = np.array([float(r[-3]) for r in rows[2:]])
        np.testing.assert_allclose(rr, np.diff(samples) / 360.0, atol=1e-4)
        hr = np.array([float(r[-2]) for r in rows[2:]])
        np.testing.assert_allclose(hr, 60 / rr, rtol=2e-3)
        assert 60 < np.median(hr) < 90  # record 100: about 75 bpm

    def test_json_has_rr_rate_and_lead(self, tmp_path):
        import json

        out = tmp_path / "p.json"
        assert main(["predict", str(example_path("100")), "--out", str(out)]) == 0
        doc = json.loads(out.read_text())
        assert doc["lead"] == "MLII"
        assert doc["beats"][0]["rr_s"] is None and doc["beats"][0]["hr_bpm"] is None
        b0, b1 = doc["beats"][:2]
        assert b1["rr_s"] == pytest.approx((b1["sample"] - b0["sample"]) / 360, abs=1e-6)


    def test_quality_column_and_unreadable_beats(self, tmp_path, capsys):
        import json

        from heartbeat.signal_quality import UNREADABLE_BELOW

        x, _ = _ecg_100(60.0)
        x = x.copy()
        x[20 * 360:32 * 360] = 0.0  # 12 s of a lead that fell off: no beats there
        rng = np.random.default_rng(0)
        x[40 * 360:52 * 360] += 2.0 * rng.standard_normal(12 * 360)  # 12 s of loud noise
        np.save(tmp_path / "ecg.npy", x)
        out = tmp_path / "p.csv"
        assert main(["predict", str(tmp_path / "ecg.npy"), "--fs", "360",
                     "--out", str(out)]) == 0
        assert "unreadable stretch(es)" in capsys.readouterr().err
        rows = [r.split(",") for r in out.read_text().splitlines()]
        assert rows[0][3:6] == ["reason", "quality", "adapted"]
        quality = np.array([float(r[4]) for r in rows[1:]])
        reasons = np.array([r[3] for r in rows[1:]])
        assert np.all((quality >= 0) & (quality <= 1))
        assert "unreadable" in reasons.tolist()
        assert np.all(reasons[quality < UNREADABLE_BELOW] == "unreadable")
        assert np.all(reasons[quality >= UNREADABLE_BELOW] != "unreadable")
        assert main(["predict", str(tmp_path / "ecg.npy"), "--fs", "360",
                     "--out", str(tmp_path / "p.json")]) == 0
        beats = json.loads((tmp_path / "p.json").read_text())["beats"]
        np.testing.assert_allclose([b["quality"] for b in beats], quality, atol=1e-3)


    def test_adapted_column_marks_the_template_relabelled_beats(self, tmp_path):
        import csv
        import json

        import heartbeat

        ex = heartbeat.load_example("208")
        want = heartbeat.classify(ex.signal[:, 0], ex.fs)  # adapt="template"
        assert want.adapted.sum() > 0  # 208's normal beats some first called V or F
        for adapt, expected in (("template", want.adapted), ("none", 0 * want.adapted)):
            out = tmp_path / f"{adapt}.csv"
            assert main(["predict", str(example_path("208")), "--adapt", adapt,
                         "--out", str(out)]) == 0
            with out.open(newline="") as fh:
                rows = list(csv.DictReader(fh))
            np.testing.assert_array_equal([int(r["adapted"]) for r in rows], expected)
        assert main(["predict", str(example_path("208")), "--out",
                     str(tmp_path / "p.json")]) == 0
        beats = json.loads((tmp_path / "p.json").read_text())["beats"]
        np.testing.assert_array_equal([b["adapted"] for b in beats], want.adapted)


class TestPredictSeveralLeads:
    def test_peaks_from_both_channels_beats_from_the_named_one(self, tmp_path, capsys):
        import json

        import heartbeat

        ex = heartbeat.load_example("208")
        out = tmp_path / "p.json"
        assert main(["predict", str(example_path("208")), "--channel", "V1",
                     "--detect-on", "MLII", "--out", str(out)]) == 0
        assert "R peaks from V1 and MLII; beats cut from V1" in capsys.readouterr().err
        doc = json.loads(out.read_text())
        assert doc["lead"] == "V1" and doc["detect_on"] == ["V1", "MLII"]
        want = heartbeat.classify(ex.signal[:, :2], ex.fs, lead=1)
        assert [b["sample"] for b in doc["beats"]] == want.r_peaks.tolist()
        assert [b["label"] for b in doc["beats"]] == want.labels.tolist()

    def test_segment_takes_the_peaks_of_both_channels_too(self, tmp_path):
        import heartbeat

        ex = heartbeat.load_example("208")
        out = tmp_path / "b.npz"
        assert main(["segment", str(example_path("208")), "--channel", "V1",
                     "--detect-on", "MLII", "--out", str(out)]) == 0
        want = heartbeat.segment(ex.signal[:, :2], ex.fs, lead=1)
        with np.load(out) as saved:
            np.testing.assert_array_equal(saved["r_peaks"], want.r_peaks)
            np.testing.assert_array_equal(saved["waveforms"], want.waveforms)
            # the file names the input's channels, not the stacked signal's columns
            assert str(saved["channel"]) == "V1"
            assert saved["detect_on"].tolist() == ["V1", "MLII"]

    def test_a_channel_the_input_lacks_is_refused(self, tmp_path, capsys):
        x, _ = _ecg_100(30.0)
        np.save(tmp_path / "two.npy", np.column_stack([x, x[::-1]]))
        assert main(["predict", str(tmp_path / "two.npy"), "--fs", "360", "--channel", "0",
                     "--detect-on", "1", "--out", str(tmp_path / "ok.csv")]) == 0
        assert main(["predict", str(tmp_path / "two.npy"), "--fs", "360",
                     "--detect-on", "5", "--out", str(tmp_path / "no.csv")]) != 0
        assert "channel" in capsys.readouterr().err
        assert not (tmp_path / "no.csv").exists()


class TestDataDir:
    def test_heartbeat_data_names_the_parent_like_in_the_tests(self, mitdb_dir, monkeypatch,
                                                              capsys):
        monkeypatch.setenv("HEARTBEAT_DATA", str(mitdb_dir.parent))
        assert main(["summary", "--records", "100"]) == 0
        first = capsys.readouterr().out.splitlines()[0]
        assert main(["summary", str(mitdb_dir), "--records", "100"]) == 0
        assert capsys.readouterr().out.splitlines()[0].split(" built")[0] == \
            first.split(" built")[0]

    def test_no_data_dir_says_how_to_name_one(self, monkeypatch, capsys):
        monkeypatch.delenv("HEARTBEAT_DATA", raising=False)
        assert main(["evaluate", "mitbih-ds1"]) == 2
        err = capsys.readouterr().err
        assert "--data-dir" in err and "HEARTBEAT_DATA" in err and len(err.splitlines()) == 1

    def test_unknown_record_lists_the_records_not_python(self, tmp_path, capsys):
        assert main(["summary", str(tmp_path), "--records", "999"]) == 2
        err = capsys.readouterr().err
        assert "heartbeat.datasets" not in err and "100 101" in err


class TestMessages:
    def test_classify_unknown_model_lists_the_shipped_ones(self):
        import heartbeat

        x, fs = _ecg_100(20)
        with pytest.raises(FileNotFoundError, match="mitbih-all, mitbih-ds1"):
            heartbeat.classify(x, fs, model="foo")

    def test_missing_input_is_one_line(self, tmp_path, capsys):
        assert main(["segment", str(tmp_path / "none"), "--out", str(tmp_path / "b.npz")]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "not found" in err


class TestDownloadProgress:
    def test_an_unreachable_server_is_reported_at_once_and_at_each_retry(self, tmp_path,
                                                                         capsys):
        import socket

        with socket.socket() as s:  # a local port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}/mitdb/"
        assert main(["download", "mitdb", str(tmp_path / "d"), "--base-url", url,
                     "--retries", "1", "--timeout", "2"]) == 1
        err = capsys.readouterr().err.splitlines()
        assert err[0] == f"download mitdb: fetching the checksum list from {url}"
        assert "attempt 2 of 2" in err[1]
        assert err[-1].startswith("heartbeat download: error: cannot fetch")
