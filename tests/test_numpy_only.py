"""heartbeat.segment must import and run with NumPy alone.

Each test runs a script in a fresh interpreter in which importing SciPy or Numba
raises ImportError (a ``sys.meta_path`` finder placed first), then compares what the
script printed with the same computation in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

# Runs first in the child: from here on `import scipy` / `import numba` fail.
BLOCKER = textwrap.dedent(
    """
    import sys

    class BlockScipyNumba:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("scipy", "numba"):
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, BlockScipyNumba())
    """
)

# Shared by the child and this process: a synthetic ECG and a summary of Beats.
COMMON = textwrap.dedent(
    """
    import hashlib
    import numpy as np

    def ecg(fs, duration_s=40.0):
        rng = np.random.default_rng(7)
        t = np.arange(round(duration_s * fs)) / fs
        x = 0.05 * np.sin(2 * np.pi * 0.2 * t) + 0.01 * rng.standard_normal(t.size)
        for b in np.arange(0.3, duration_s, 0.8):
            x += np.exp(-((t - b) ** 2) / (2 * 0.012**2))
        return x

    def summary(beats):
        return {
            "n": len(beats),
            "r_peaks": beats.r_peaks.tolist(),
            "waveforms": hashlib.sha256(beats.waveforms.tobytes()).hexdigest(),
            "shape": list(beats.waveforms.shape),
            "dtype": str(beats.waveforms.dtype),
        }
    """
)


def run_blocked(body: str) -> dict:
    """Run BLOCKER + COMMON + `body` in a new interpreter; return its JSON output."""
    script = BLOCKER + COMMON + textwrap.dedent(body)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def here() -> dict:
    namespace: dict = {}
    exec(COMMON, namespace)
    return namespace


class TestNumpyOnly:
    def test_blocker_works(self):
        out = run_blocked(
            """
            import json
            try:
                import scipy.signal  # noqa: F401
                blocked = False
            except ImportError:
                blocked = True
            print(json.dumps({"blocked": blocked}))
            """
        )
        assert out == {"blocked": True}

    def test_segment_without_scipy_and_numba(self):
        out = run_blocked(
            """
            import json, sys
            import heartbeat

            result = {}
            for fs in (360.0, 250.0, 128.0):
                x = ecg(fs)
                result[f"paper {fs}"] = summary(heartbeat.segment(x, fs))
                peaks = np.arange(round(0.3 * fs), x.size, round(0.8 * fs))
                result[f"given {fs}"] = summary(heartbeat.segment(x, fs, r_peaks=peaks))
            result["empty"] = summary(heartbeat.segment(np.zeros(5), 360.0))
            result["modules"] = sorted(
                m for m in sys.modules if m.partition(".")[0] in ("scipy", "numba")
            )
            print(json.dumps(result))
            """
        )
        assert out.pop("modules") == []
        import heartbeat

        ns = here()
        for fs in (360.0, 250.0, 128.0):
            x = ns["ecg"](fs)
            paper = out[f"paper {fs}"]
            assert paper == ns["summary"](heartbeat.segment(x, fs))
            assert paper["n"] > 30 and paper["shape"] == [paper["n"], 187]
            assert paper["dtype"] == "float32"
            peaks = np.arange(round(0.3 * fs), x.size, round(0.8 * fs))
            assert out[f"given {fs}"] == ns["summary"](heartbeat.segment(x, fs, r_peaks=peaks))
            assert out[f"given {fs}"]["r_peaks"] == peaks.tolist()
        assert out["empty"]["n"] == 0 and out["empty"]["shape"] == [0, 187]

    def test_bad_input_errors_without_scipy(self):
        out = run_blocked(
            """
            import json
            import heartbeat

            errors = {}
            for label, args in {
                "nan": ([0.0, float("nan")], 360.0),
                "fs": ([0.0, 1.0], 0.0),
                "3d": (np.zeros((4, 2, 2)), 360.0),
            }.items():
                try:
                    heartbeat.segment(*args)
                    errors[label] = None
                except (TypeError, ValueError) as exc:
                    errors[label] = f"{type(exc).__name__}: {exc}"
            print(json.dumps(errors))
            """
        )
        assert out["nan"].startswith("ValueError: signal holds 1 NaN")
        assert out["fs"].startswith("ValueError: fs=0.0")
        assert out["3d"].startswith("ValueError: signal must be 1-D (one lead) or 2-D")

    def test_robust_detector_without_numba(self):
        # the integrator will make "robust" the default: it must work without Numba too
        out = run_blocked(
            """
            import json
            import heartbeat

            x = ecg(360.0)
            print(json.dumps(summary(heartbeat.segment(x, 360.0, detector="robust"))))
            """
        )
        import heartbeat

        x = here()["ecg"](360.0)
        assert out == here()["summary"](heartbeat.segment(x, 360.0, detector="robust"))
        assert out["n"] > 40
