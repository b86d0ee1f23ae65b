import numpy as np
import pytest

import heartbeat
from heartbeat.io.examples import example_path
from heartbeat.io.inputs import load_channel, load_signal


class TestLoadSignal:
    def test_wfdb_record_with_and_without_extension(self):
        base = example_path("100")
        x, fs = load_signal(base)
        y, _ = load_signal(base.with_suffix(".hea"), channel=1)
        assert fs == 360.0
        assert x.shape == y.shape == (43200,)
        assert not np.array_equal(x, y)

    def test_wfdb_fs_must_match_header(self):
        with pytest.raises(ValueError, match="contradicts the header"):
            load_signal(example_path("100"), fs=250)

    def test_wfdb_channel_out_of_range(self):
        with pytest.raises(ValueError, match="channel=2 is out of range"):
            load_signal(example_path("100"), channel=2)

    def test_npy_one_and_two_dimensional(self, tmp_path):
        np.save(tmp_path / "a.npy", np.arange(10.0))
        np.save(tmp_path / "b.npy", np.arange(20.0).reshape(10, 2))
        x, fs = load_signal(tmp_path / "a.npy", fs=250)
        assert fs == 250.0 and x.tolist() == list(range(10))
        x, _ = load_signal(tmp_path / "b.npy", fs=250, channel=1)
        assert x.tolist() == list(range(1, 20, 2))

    def test_csv_with_and_without_header(self, tmp_path):
        (tmp_path / "a.csv").write_text("1.5\n2.5\n3.5\n")
        (tmp_path / "b.csv").write_text("ecg,resp\n1,9\n2,8\n")
        assert load_signal(tmp_path / "a.csv", fs=100)[0].tolist() == [1.5, 2.5, 3.5]
        assert load_signal(tmp_path / "b.csv", fs=100, channel=1)[0].tolist() == [9, 8]

    def test_an_empty_csv_cell_is_a_missing_sample(self, tmp_path):
        (tmp_path / "a.csv").write_text("time_s,ecg\n0.00,1.5\n0.01,\n0.02, \n0.03,2\n")
        x, fs = load_signal(tmp_path / "a.csv")
        assert fs == 100.0
        np.testing.assert_array_equal(np.isnan(x), [False, True, True, False])
        (tmp_path / "b.csv").write_text("ecg\n1\n\n2\n")  # a blank line is no row
        assert load_signal(tmp_path / "b.csv", fs=100)[0].tolist() == [1.0, 2.0]

    def test_channel_must_be_an_integer(self, tmp_path):
        (tmp_path / "a.csv").write_text("1\n2\n")
        with pytest.raises(TypeError, match="channel must be an integer"):
            load_signal(tmp_path / "a.csv", fs=100, channel=1.0)

    @pytest.mark.parametrize(
        ("name", "content", "kwargs", "match"),
        [
            ("a.csv", "1\n2\n", {}, "pass fs"),
            ("a.csv", "1\nx\n", {"fs": 100}, "cannot parse"),
            ("a.csv", "1,2\n,x\n", {"fs": 100}, "cannot parse"),
            ("a.wav", "", {"fs": 100}, "cannot read"),
            ("missing.npy", None, {"fs": 100}, "not found"),
            ("a.csv", "1\n2\n", {"fs": 100, "channel": -1}, "channel=-1"),
            ("a.csv", "1,2\n3,4\n", {"fs": 100, "channel": 5}, "out of range"),
            ("a.csv", "1\n", {"fs": 0}, "fs=0"),
        ],
    )
    def test_errors(self, tmp_path, name, content, kwargs, match):
        if content is not None:
            (tmp_path / name).write_text(content)
        with pytest.raises(ValueError, match=match):
            load_signal(tmp_path / name, **kwargs)


class TestLoadChannel:
    def test_wfdb_channel_by_name_and_number(self):
        by_name = load_channel(example_path("100"), channel="V5")
        by_number = load_channel(example_path("100"), channel="1")
        assert by_name.lead == by_number.lead == "V5"
        np.testing.assert_array_equal(by_name.signal, by_number.signal)
        assert load_channel(example_path("100")).lead == "MLII"
        assert "lead V5 (channel 1 of record 100: MLII, V5)" in by_name.description

    def test_wfdb_unknown_lead_lists_the_leads(self):
        with pytest.raises(ValueError, match="choose one of MLII, V5"):
            load_channel(example_path("100"), channel="V1")

    def test_named_time_column_is_skipped_and_gives_fs(self, tmp_path):
        t = np.arange(500) / 250.0
        ecg = np.sin(2 * np.pi * t)
        rows = "\n".join(f"{a:.3f},{b:.6f}" for a, b in zip(t, ecg, strict=True))
        (tmp_path / "a.csv").write_text("time_s,ecg_mV\n" + rows + "\n")
        got = load_channel(tmp_path / "a.csv")
        assert got.lead == "ecg_mV" and got.fs == pytest.approx(250.0)
        np.testing.assert_allclose(got.signal, ecg, atol=1e-6)
        assert "time column 'time_s' skipped" in got.description
        assert load_channel(tmp_path / "a.csv", channel="ECG_MV").lead == "ecg_mV"
        with pytest.raises(ValueError, match="contradicts the time column 'time_s'"):
            load_channel(tmp_path / "a.csv", fs=360)

    def test_time_in_milliseconds(self, tmp_path):
        rows = "\n".join(f"{4 * i},{i % 7}" for i in range(100))
        (tmp_path / "a.csv").write_text("time_ms,lead_ii\n" + rows + "\n")
        got = load_channel(tmp_path / "a.csv")
        assert got.fs == pytest.approx(250.0) and got.lead == "lead_ii"

    def test_unnamed_increasing_column_is_not_the_ecg(self, tmp_path):
        rows = "\n".join(f"{i / 100:.2f},{(-1) ** i * 0.5}" for i in range(50))
        (tmp_path / "a.csv").write_text(rows + "\n")
        got = load_channel(tmp_path / "a.csv", fs=100)
        assert got.lead == "column 1" and got.signal[:2].tolist() == [0.5, -0.5]

    def test_header_and_rows_disagree(self, tmp_path):
        (tmp_path / "a.csv").write_text("a,b,c\n1,2\n3,4\n")
        with pytest.raises(ValueError, match="header names 3 columns"):
            load_channel(tmp_path / "a.csv", fs=100)

    def test_missing_file_is_file_not_found(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="not found"):
            load_channel(tmp_path / "none.csv", fs=100)
        with pytest.raises(FileNotFoundError, match="does not exist"):
            heartbeat.read_record(tmp_path / "100")
        with pytest.raises(FileNotFoundError, match="does not exist"):
            heartbeat.read_annotations(example_path("100"), "qrs")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("a.csv", b"\xaf\xff\x00binary", "a.csv is not a text file"),
        ("a.csv", b"time_s,ecg\n", "a.csv holds no samples"),
        ("a.npy", b"not an array", "cannot read a.npy as a .npy array"),
    ],
)
def test_unreadable_files_are_named(tmp_path, name, content, match):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_channel(tmp_path / name, fs=100)
