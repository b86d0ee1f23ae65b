"""`import heartbeat` is light: no SciPy, no Numba, and nothing compiled at import."""

import json
import subprocess
import sys

import pytest

PROBE = r"""
import json, sys, importlib
import heartbeat
light = {"numba": "numba" in sys.modules, "scipy": "scipy" in sys.modules}
heartbeat.segment, heartbeat.read_record, heartbeat.detect_r_peaks, heartbeat.load_example
light_after_names = {"numba": "numba" in sys.modules, "scipy": "scipy" in sys.modules}
compiled = []
for name in sorted(heartbeat._SUBMODULES) + ["_jit", "nn", "nn.kernels", "nn.layers",
                                             "nn.base", "nn.conv", "nn.model",
                                             "nn.architectures", "nn.threads",
                                             "nn.winograd", "nn.blas"]:
    try:
        module = importlib.import_module(f"heartbeat.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("heartbeat"):
            continue  # a module not written yet
        raise
    for attr, value in vars(module).items():
        if hasattr(value, "signatures") and hasattr(value, "py_func") and value.signatures:
            compiled.append(f"{name}.{attr}")
print(json.dumps({"light": light, "after_names": light_after_names, "compiled": compiled}))
"""


@pytest.fixture(scope="module")
def probe():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class TestImport:
    def test_import_loads_neither_scipy_nor_numba(self, probe):
        assert probe["light"] == {"numba": False, "scipy": False}

    def test_segmenter_names_need_numpy_only(self, probe):
        assert probe["after_names"] == {"numba": False, "scipy": False}

    def test_nothing_is_compiled_at_import(self, probe):
        assert probe["compiled"] == []
