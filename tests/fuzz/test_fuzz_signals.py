"""Fuzz the signal entries: `detect_r_peaks`, `segment` and `classify`.

Signals of any length, dtype, shape, mask and magnitude (NaN, inf, 1.8e308,
subnormals, constants) and sampling frequencies of any type and value run in the
worker process (``fuzz_harness``).  Accepted: a result that keeps its promises (peaks
inside the signal and sorted, finite beats, probabilities summing to 1) or a
ValueError/TypeError naming the argument.
"""

from __future__ import annotations

import fuzz_harness
import numpy as np
from fuzz_harness import judge
from hypothesis import strategies as st
from test_fuzz_files import twin

extreme = st.sampled_from([0.0, -0.0, 1.797e308, -1.797e308, 5e-324, 1e-300, 1e300, 1.0,
                           np.nan, np.inf, -np.inf, 2.0**-1070, 1e150])
value = st.one_of(extreme, st.floats(-1e6, 1e6), st.floats())
pattern = st.lists(value, min_size=0, max_size=40)
fs = st.one_of(
    st.sampled_from([360.0, 125.0, 250.0, 1000.0, 0.5, 20000.0]),
    st.floats(), st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1e10, 1e100, 5e-324, 1e-9, 0.01, 0.49, 20000.5, "360", None, True,
                     [360.0]]),
)
signal = st.fixed_dictionaries(
    {"values": pattern},
    optional={
        "repeat": st.integers(0, 400),
        "dtype": st.sampled_from(["float64", "float32", "int16", "int64", "uint8", "bool",
                                  "complex128", "float16"]),
        "masked": st.booleans(),
        "readonly": st.booleans(),
    },
) | st.fixed_dictionaries({"kind": st.just("raw"), "value": st.sampled_from(
    [None, "ecg", 3.0, [[1.0, 2.0], [3.0]], {"a": 1}, []])})
ecg_like = st.builds(
    lambda period, noise, scale, seconds: {
        "values": (scale * (np.exp(-(((np.arange(int(360 * period)) / 360.0) - period / 2)
                                     ** 2) / 2e-4)
                            + noise * np.random.default_rng(int(period * 1e3)).standard_normal(
                                int(360 * period)))).tolist(),
        "repeat": seconds},
    st.floats(0.3, 2.0), st.floats(0, 1), st.sampled_from([1e-300, 1e-3, 1.0, 1e3, 1e300]),
    st.integers(1, 30),
)

# the session's fixtures (a conftest.py here would shadow the suite's own)
case_dir, fuzz_root, worker = fuzz_harness.case_dir, fuzz_harness.fuzz_root, fuzz_harness.worker


_STRATEGIES = dict(entry=st.sampled_from(["detect_r_peaks", "segment", "classify"]),
       sig=st.one_of(signal, ecg_like), fs=fs)


def _signals(worker, entry, sig, fs):
    if isinstance(sig.get("values"), list) and sig.get("kind") != "raw":
        n = len(sig["values"]) * max(1, sig.get("repeat", 1))
        if n > 200_000:  # keep a case well under a second
            sig = {**sig, "repeat": 1}
    judge(worker, {"entry": entry, "args": {"signal": sig, "fs": fs}},
          ["signal", "fs", "x"])


test_signals, test_signals_campaign = twin(_signals, _STRATEGIES, fast=60, slow=8000)
