import os
from pathlib import Path

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


class TestInterruptedWrites:
    def test_killed_writer_leaves_temp_that_next_write_removes(self, tmp_path):
        import subprocess
        import sys

        path = tmp_path / "checkpoint.npz"
        # a writer killed (SIGKILL) inside the block: its temporary file stays behind
        code = ("import os, signal, sys; from heartbeat._atomic import atomic_open\n"
                "with atomic_open(sys.argv[1]) as fh:\n"
                "    fh.write(b'half'); fh.flush(); os.kill(os.getpid(), signal.SIGKILL)\n")
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        done = subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=False)
        assert done.returncode == -9
        left = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
        assert len(left) == 1 and left[0].startswith(".checkpoint.npz.")
        # another target's temporary file and a live writer's are not touched
        alive = tmp_path / f".checkpoint.npz.{os.getpid()}.abc.tmp"
        alive.write_bytes(b"in progress")
        other = tmp_path / ".other.npz.999999999.abc.tmp"
        other.write_bytes(b"x")
        with atomic_open(path) as fh:
            fh.write(b"new")
        assert sorted(os.listdir(tmp_path)) == sorted(["checkpoint.npz", alive.name, other.name])

    def test_stale_temp_that_is_a_link_is_removed_not_followed(self, tmp_path):
        target = tmp_path / "precious"
        target.write_bytes(b"keep")
        folder = tmp_path / "out"
        folder.mkdir()
        link = folder / ".f.bin.999999999.x.tmp"
        link.symlink_to(target)
        with atomic_open(folder / "f.bin") as fh:
            fh.write(b"new")
        assert target.read_bytes() == b"keep" and not link.is_symlink()

    def test_link_at_target_is_replaced_not_written_through(self, tmp_path):
        target = tmp_path / "precious"
        target.write_bytes(b"keep")
        (tmp_path / "f.bin").symlink_to(target)
        with atomic_open(tmp_path / "f.bin") as fh:
            fh.write(b"new")
        assert target.read_bytes() == b"keep"
        assert (tmp_path / "f.bin").read_bytes() == b"new"
