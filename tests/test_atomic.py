import os

import numpy as np
import pytest

from heartbeat._atomic import atomic_open, save_npz_atomic


class TestAtomicOpen:
    def test_writes_and_replaces(self, tmp_path):
        path = tmp_path / "f.bin"
        path.write_bytes(b"old")
        with atomic_open(path) as fh:
            fh.write(b"new")
        assert path.read_bytes() == b"new"
        assert os.listdir(tmp_path) == ["f.bin"]

    def test_failure_keeps_old_file_and_leaves_no_temp(self, tmp_path):
        path = tmp_path / "f.bin"
        path.write_bytes(b"old")
        with pytest.raises(RuntimeError, match="boom"), atomic_open(path) as fh:
            fh.write(b"half")
            raise RuntimeError("boom")
        assert path.read_bytes() == b"old"
        assert os.listdir(tmp_path) == ["f.bin"]


class TestSaveNpzAtomic:
    def test_round_trip_and_suffix(self, tmp_path):
        out = save_npz_atomic(tmp_path / "beats", a=np.arange(3), b=np.float32(2.5))
        assert out.name == "beats.npz"
        with np.load(out, allow_pickle=False) as data:
            assert data["a"].tolist() == [0, 1, 2]
            assert float(data["b"]) == 2.5
