"""heartbeat._jit: where compiled kernels are cached, and the first-compile notice."""

from pathlib import Path

import numpy as np
import pytest

from conftest import module_from_source
from heartbeat import _jit

numba = pytest.importorskip("numba")

pytestmark = pytest.mark.skipif(not _jit.jit_enabled(), reason="NUMBA_DISABLE_JIT is set")

_SOURCE = '''
def total(x):
    s = 0.0
    for v in x:
        s += v
    return s
'''


def _fresh_loop(folder: Path, name: str):
    """A loop in a module file of its own, as a package's kernel would be."""
    return module_from_source(folder, name, _SOURCE).total


@pytest.fixture
def quiet_jit(monkeypatch):
    """A clean notice state; the process-wide numba setting is checked afterwards."""
    monkeypatch.setattr(_jit, "compile_notice", None)
    monkeypatch.setattr(_jit, "_noticed", False)
    before = numba.config.CACHE_DIR
    yield
    assert numba.config.CACHE_DIR == before


class TestCacheDir:
    def test_precedence(self, monkeypatch, tmp_path):
        for var in ("HEARTBEAT_CACHE_DIR", "NUMBA_CACHE_DIR", "XDG_CACHE_HOME"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        assert _jit.cache_dir() == tmp_path / "home" / ".cache" / "heartbeat" / "numba"
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert _jit.cache_dir() == tmp_path / "xdg" / "heartbeat" / "numba"
        monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nb"))
        assert _jit.cache_dir() == tmp_path / "nb"
        monkeypatch.setenv("HEARTBEAT_CACHE_DIR", str(tmp_path / "hb"))
        assert _jit.cache_dir() == tmp_path / "hb" / "numba"

    def test_kernels_are_cached_in_the_user_folder_not_beside_their_source(
            self, monkeypatch, tmp_path, quiet_jit):
        monkeypatch.setenv("HEARTBEAT_CACHE_DIR", str(tmp_path / "cache"))
        loop = _fresh_loop(tmp_path / "pkg", "kernel_a")
        fn = _jit.compiled(loop)
        assert fn(np.arange(4.0)) == 6.0
        assert list((tmp_path / "pkg").rglob("*.nb[ic]")) == []
        assert list((tmp_path / "cache" / "numba").rglob("*.nbi"))
        assert list((tmp_path / "cache" / "numba").rglob("*.nbc"))

    def test_an_unwritable_cache_folder_compiles_without_a_cache(
            self, monkeypatch, tmp_path, quiet_jit):
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the cache folder would go")
        monkeypatch.setenv("HEARTBEAT_CACHE_DIR", str(blocker))
        assert _jit.writable_cache_dir() is None
        loop = _fresh_loop(tmp_path / "pkg", "kernel_b")
        assert _jit.compiled(loop)(np.arange(5.0)) == 10.0
        assert list(tmp_path.rglob("*.nb[ic]")) == []


class TestCompileNotice:
    def test_once_per_process_and_only_without_a_cached_copy(
            self, monkeypatch, tmp_path, quiet_jit):
        monkeypatch.setenv("HEARTBEAT_CACHE_DIR", str(tmp_path / "cache"))
        notes: list[str] = []
        monkeypatch.setattr(_jit, "compile_notice", notes.append)
        first = _fresh_loop(tmp_path / "pkg", "kernel_c")
        second = _fresh_loop(tmp_path / "pkg", "kernel_d")
        _jit.compiled(first)(np.ones(3))
        _jit.compiled(second)(np.ones(3))
        assert len(notes) == 1
        assert "compiling" in notes[0] and str(tmp_path / "cache" / "numba") in notes[0]
        # a new process (simulated): the cached kernel loads without a word
        monkeypatch.setattr(_jit, "_noticed", False)
        monkeypatch.delitem(_jit._COMPILED, first)
        _jit.compiled(first)(np.ones(3))
        assert len(notes) == 1

    def test_said_without_a_cache(self, monkeypatch, tmp_path, quiet_jit):
        blocker = tmp_path / "file"
        blocker.write_text("")
        monkeypatch.setenv("HEARTBEAT_CACHE_DIR", str(blocker))
        notes: list[str] = []
        monkeypatch.setattr(_jit, "compile_notice", notes.append)
        _jit.compiled(_fresh_loop(tmp_path / "pkg", "kernel_e"))
        assert len(notes) == 1 and "not cached" in notes[0]

    def test_the_library_is_silent_by_default(self, monkeypatch, tmp_path, capfd, quiet_jit):
        monkeypatch.setenv("HEARTBEAT_CACHE_DIR", str(tmp_path / "cache"))
        _jit.compiled(_fresh_loop(tmp_path / "pkg", "kernel_f"))(np.ones(2))
        assert capfd.readouterr() == ("", "")
