"""heartbeat._jit: a single-source kernel that calls helpers of its own module."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import module_from_source
from heartbeat import _jit

REPO = Path(__file__).resolve().parents[1]

# A kernel in the shape of merge_leads: a loop over groups, each step a helper; one
# helper calls another.  Float sums in a fixed order: equal bits or a wrong helper.
_SOURCE = '''
import numpy as np

from heartbeat._jit import Kernel


def _median_of_first(window, k):
    window[:k].sort()
    return 0.5 * (window[(k - 1) // 2] + window[k // 2])


def _group_score(x, lo, hi, window):
    for a in range(hi - lo):
        window[a] = x[lo + a] * 1.1
    return _median_of_first(window, hi - lo) + x[lo] / 3.0


def _keep(out, count, value, last):
    if count > 0 and value < last:
        return count, last
    out[count] = value
    return count + 1, value


def run(x, width, out):
    window = np.empty(width)
    count = 0
    last = 0.0
    for lo in range(0, x.shape[0] - width + 1, width):
        count, last = _keep(out, count, _group_score(x, lo, lo + width, window), last)
    return count


KERNEL = Kernel(numba_loop=run, numpy_twin=run,
                helpers=(_median_of_first, _group_score, _keep))
'''


def _fresh_module(folder: Path, name: str, source: str = _SOURCE):
    """The kernel above in a module file of its own, as a package's kernel would be."""
    return module_from_source(folder, name, source)


def _run(module, backend: str, x: np.ndarray) -> np.ndarray:
    out = np.empty(x.size, dtype=np.float64)
    count = module.KERNEL.get(backend)(x, 5, out)
    return out[:count]


class TestHelpers:
    def test_the_numpy_backend_calls_the_plain_helpers(self, tmp_path):
        module = _fresh_module(tmp_path / "pkg", "kernel_h0")
        x = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 9.0, 8.0, 7.0, 6.0, 10.0])
        # medians 3 and 8, times 1.1, plus each group's first value over 3
        np.testing.assert_array_equal(_run(module, "numpy", x),
                                      [3.0 * 1.1 + 5.0 / 3.0, 8.0 * 1.1 + 9.0 / 3.0])
        assert module.KERNEL.get("numpy") is module.run
        assert module.run not in _jit._COMPILED  # nothing compiled for NumPy

    def test_both_backends_give_the_same_bits(self, monkeypatch, tmp_path):
        pytest.importorskip("numba")
        if not _jit.jit_enabled():
            pytest.skip("NUMBA_DISABLE_JIT is set")
        monkeypatch.setenv("HEARTBEAT_CACHE_DIR", str(tmp_path / "cache"))
        module = _fresh_module(tmp_path / "pkg", "kernel_h1")
        x = np.random.default_rng(5).normal(size=2003)
        numpy_out = _run(module, "numpy", x)
        numba_out = _run(module, "numba", x)
        assert numpy_out.size >= 5  # several groups kept, several passed over
        np.testing.assert_array_equal(numba_out, numpy_out)
        # the plain functions stay plain: the compiled loop got its own globals
        assert module.run.__globals__["_keep"] is module._keep
        for helper in module.KERNEL.helpers:
            assert _jit._COMPILED[helper].py_func.__code__ is helper.__code__
            assert _jit._COMPILED[helper].targetoptions["inline"] == "always"

    def test_a_helper_of_another_file_is_refused(self, tmp_path):
        module = _fresh_module(tmp_path / "pkg", "kernel_h2")
        with pytest.raises(ValueError, match="define it there"):
            _jit.Kernel(numba_loop=module.run, numpy_twin=module.run, helpers=(np.sort,))
        other = _fresh_module(tmp_path / "other", "kernel_h3")
        with pytest.raises(ValueError, match="Numba's cache checks only"):
            _jit.Kernel(numba_loop=module.run, numpy_twin=module.run, helpers=(other._keep,))

    def test_a_helper_the_module_does_not_bind_to_its_name_is_refused(self, tmp_path):
        module = _fresh_module(tmp_path / "pkg", "kernel_h4")
        shadowed = module._keep
        module._keep = module._group_score
        with pytest.raises(ValueError, match="not what its module binds to '_keep'"):
            _jit.Kernel(numba_loop=module.run, numpy_twin=module.run, helpers=(shadowed,))

    def test_helpers_calling_each_other_in_a_cycle_are_refused(self, tmp_path):
        cycle = _SOURCE + '''
def _ping(n):
    return 0 if n == 0 else _pong(n - 1)


def _pong(n):
    return _ping(n)


def bounce(n):
    return _ping(n)
'''
        module = _fresh_module(tmp_path / "pkg", "kernel_h5", cycle)
        with pytest.raises(ValueError, match="in a cycle through _ping"):
            _jit._with_compiled_helpers(module.bounce, (module._ping, module._pong))

    def test_repr_names_the_helpers(self, tmp_path):
        module = _fresh_module(tmp_path / "pkg", "kernel_h6")
        assert repr(module.KERNEL) == ("Kernel(numba_loop=run, numpy_twin=run, "
                                       "helpers=(_median_of_first, _group_score, _keep))")


_PROBE = '''
import json, sys
import numpy as np
from heartbeat import _jit
sys.path.insert(0, sys.argv[1])
import kernel_cached as module
notes = []
_jit.compile_notice = notes.append
out = np.empty(100)
count = module.KERNEL.get("numba")(np.arange(100.0), 5, out)
fn = _jit._COMPILED[module.run]
helpers = [_jit._COMPILED[h] for h in module.KERNEL.helpers]
print(json.dumps({
    "count": count,
    "notices": len(notes),
    "hits": sum(fn.stats.cache_hits.values()),
    "misses": sum(fn.stats.cache_misses.values()),
    "helper_misses": sum(sum(h.stats.cache_misses.values()) for h in helpers),
}))
'''


def test_a_second_process_loads_the_kernel_and_its_helpers_from_the_cache(tmp_path):
    pytest.importorskip("numba")
    if not _jit.jit_enabled():
        pytest.skip("NUMBA_DISABLE_JIT is set")
    folder = tmp_path / "pkg"
    _fresh_module(folder, "kernel_cached")
    env = {**os.environ, "HEARTBEAT_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": str(REPO)}

    def probe() -> dict:
        done = subprocess.run([sys.executable, "-c", _PROBE, str(folder)], env=env,
                              capture_output=True, text=True, check=True, timeout=300)
        return json.loads(done.stdout)

    first, second = probe(), probe()
    assert first["count"] == second["count"] == 20
    # the helpers are inlined into the kernel: only the kernel compiles, once
    assert first["notices"] == 1 and first["misses"] == 1 and first["helper_misses"] == 0
    # the copy with compiled helpers is found under the same index: nothing compiles
    assert second == {**first, "notices": 0, "hits": 1, "misses": 0}
    assert list(folder.rglob("*.nb[ic]")) == []


def test_importing_the_detector_compiles_nothing():
    code = ("import sys; from heartbeat import _jit, _merge_kernels, detect; "
            "print(len(_jit._COMPILED), 'numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.split() == ["0", "False"]
