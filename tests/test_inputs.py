import numpy as np
import pytest

from heartbeat.io.examples import example_path
from heartbeat.io.inputs import load_signal


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

    def test_channel_must_be_an_integer(self, tmp_path):
        (tmp_path / "a.csv").write_text("1\n2\n")
        with pytest.raises(TypeError, match="channel must be an integer"):
            load_signal(tmp_path / "a.csv", fs=100, channel=1.0)

    @pytest.mark.parametrize(
        ("name", "content", "kwargs", "match"),
        [
            ("a.csv", "1\n2\n", {}, "pass fs"),
            ("a.csv", "1\nx\n", {"fs": 100}, "cannot parse"),
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
