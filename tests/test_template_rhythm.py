"""Tests of the S step's rhythm guard (heartbeat.classifier.rhythm, TemplateRule.s_irregular_*)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat.classifier.rhythm import rhythm_irregularity
from heartbeat.classifier.running_template import RunningTemplate
from heartbeat.classifier.template import (
    TemplateRule,
    adapt_template,
    irregular_rhythm,
)

CLASSES = ("N", "S", "V", "F", "Q")
REPO = Path(__file__).resolve().parents[1]
GUARDED = TemplateRule(s_irregular_above=0.12, s_irregular_beats=16, s_irregular_keep=True)


def looped(prev_rr: np.ndarray, before: int, after: int) -> np.ndarray:
    """rhythm_irregularity written as a loop over beats (the definition)."""
    out = np.zeros(len(prev_rr))
    for i in range(len(prev_rr)):
        window = prev_rr[max(0, i - before): i + after + 1]
        if len(window) > 1:
            out[i] = np.median(np.abs(np.diff(window))) / window.mean()
    return out


def beats(n: int = 200, seed: int = 0) -> np.ndarray:
    """n beats of one smooth shape with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1.5, 187)
    beat = np.exp(-((t - 0.02) / 0.03) ** 2) + 0.3 * np.exp(-((t - 0.3) / 0.06) ** 2)
    return beat + 0.01 * rng.standard_normal((n, 187))


def rr_of(prev: np.ndarray) -> np.ndarray:
    """(n, 3) RR features: previous, next, and a local mean of 1 (the rhythm's mean)."""
    return np.column_stack([prev, np.r_[prev[1:], prev[-1]], np.ones(len(prev))])


class TestRhythmIrregularity:
    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.floats(0.3, 2.0), min_size=0, max_size=40),
           st.integers(0, 6), st.integers(0, 6))
    def test_equals_the_loop(self, values, before, after):
        prev = np.array(values, dtype=np.float64)
        np.testing.assert_allclose(rhythm_irregularity(prev, before, after),
                                   looped(prev, before, after), rtol=1e-12, atol=1e-15)

    def test_isolated_premature_beats_leave_a_regular_rhythm_regular(self):
        prev = np.ones(300)
        prev[10::12], prev[11::12] = 0.7, 1.3  # one early beat and its pause in 12
        assert rhythm_irregularity(prev, 16, 16).max() == 0.0

    def test_an_irregular_rhythm_is_irregular(self):
        prev = np.random.default_rng(0).uniform(0.6, 1.4, 300)  # as in atrial fibrillation
        assert rhythm_irregularity(prev, 16, 16).min() > 0.12

    def test_off_is_none(self):
        assert irregular_rhythm(np.ones((5, 3)), TemplateRule(s_irregular_above=np.inf)) is None


class TestGuard:
    """An irregular rhythm of normal-shaped beats called N: the S step without the guard
    makes its early beats S; with it, none."""

    def setup_method(self):
        prev = np.random.default_rng(1).uniform(0.6, 1.4, 200)
        self.waves, self.rr = beats(200), rr_of(prev)
        self.proba = np.tile([0.8, 0.15, 0.03, 0.01, 0.01], (200, 1))

    def test_guard_keeps_irregular_beats_from_becoming_s(self):
        off = dataclasses.replace(GUARDED, s_irregular_above=np.inf)
        plain = adapt_template(self.proba, self.waves, self.rr, classes=CLASSES,
                               fs_out=125.0, rule=off)[0]
        guarded = adapt_template(self.proba, self.waves, self.rr, classes=CLASSES,
                                 fs_out=125.0, rule=GUARDED)[0]
        assert (plain.argmax(axis=1) == 1).sum() > 30
        assert not (guarded.argmax(axis=1) == 1).any()

    def test_keep_makes_the_models_own_s_calls_n(self):
        proba = self.proba.copy()
        proba[::5] = [0.3, 0.6, 0.05, 0.03, 0.02]  # called S by the model, on time or not
        keep = adapt_template(proba, self.waves, self.rr, classes=CLASSES, fs_out=125.0,
                              rule=GUARDED)[0]
        kept = adapt_template(proba, self.waves, self.rr, classes=CLASSES, fs_out=125.0,
                              rule=dataclasses.replace(GUARDED, s_irregular_keep=False))[0]
        assert not (keep.argmax(axis=1)[1:] == 1).any()  # the first beat is left alone
        assert (kept.argmax(axis=1) == 1).sum() > 10
        np.testing.assert_allclose(keep.sum(axis=1), 1.0)

    def test_regular_rhythm_keeps_its_s_step(self):
        prev = np.ones(200)
        prev[10::12], prev[11::12] = 0.7, 1.3  # premature beats in a regular rhythm
        rr = rr_of(prev)
        out = [adapt_template(self.proba, self.waves, rr, classes=CLASSES, fs_out=125.0,
                              rule=rule)[0] for rule in (GUARDED, dataclasses.replace(
                                  GUARDED, s_irregular_above=np.inf))]
        np.testing.assert_array_equal(out[0], out[1])
        assert (out[0].argmax(axis=1) == 1).sum() == len(prev[10::12])


class TestRunningTemplate:
    def test_irregularity_from_the_past_whatever_the_chunks(self):
        prev = np.random.default_rng(2).uniform(0.6, 1.4, 150)
        prev[:60] = 1.0  # regular, then irregular
        want = rhythm_irregularity(prev, 32, 0) > 0.12
        state, got, start = RunningTemplate(50), [], 0
        for size in (1, 7, 30, 2, 50, 60):
            got.append(state._irregular(prev[start: start + size], GUARDED))
            start += size
        np.testing.assert_array_equal(np.concatenate(got), want)
        assert not want[:60].any() and want[100:].all()

    def test_stream_adaptation_holds_back_s_in_an_irregular_rhythm(self):
        prev = np.random.default_rng(3).uniform(0.6, 1.4, 200)
        waves, rr = beats(200)[:, :30], rr_of(prev)
        proba = np.tile([0.8, 0.15, 0.03, 0.01, 0.01], (200, 1))
        called_s = {}
        for tag, rule in (("off", dataclasses.replace(GUARDED, s_irregular_above=np.inf)),
                          ("guard", GUARDED)):
            state = RunningTemplate(100)
            out = np.concatenate([state.adapt(proba[i: i + 10], waves[i: i + 10],
                                              rr[i: i + 10], classes=CLASSES, rule=rule)
                                  for i in range(0, 200, 10)])
            called_s[tag] = int((out.argmax(axis=1) == 1).sum())
        assert called_s["off"] > 30 and called_s["guard"] <= 3, called_s


def test_numpy_alone_runs_the_guard():
    """The guard imports and runs with Numba made unimportable."""
    code = textwrap.dedent("""
        import sys
        sys.modules["numba"] = None  # any import of numba now fails
        import numpy as np
        from heartbeat.classifier.template import TemplateRule, adapt_template
        rule = TemplateRule(s_irregular_above=0.12, s_irregular_beats=16)
        waves = np.tile(np.sin(np.linspace(0, 3, 187)), (100, 1))
        prev = np.random.default_rng(0).uniform(0.6, 1.4, 100)
        rr = np.column_stack([prev, prev, np.ones(100)])
        proba = np.tile([0.8, 0.15, 0.03, 0.01, 0.01], (100, 1))
        out = adapt_template(proba, waves, rr, classes=("N", "S", "V", "F", "Q"),
                             fs_out=125.0, rule=rule)[0]
        assert not (out.argmax(axis=1) == 1).any()
        print("numba" in sys.modules and sys.modules["numba"] is not None)
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"



def test_fold_scoring_agrees_with_the_library():
    """benchmarks/_s_gate_folds.py (the guard's nested choice) predicts as adapt_template."""
    import os

    env = dict(os.environ)  # the benchmark scripts pin BLAS threads: not here
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import _s_gate_folds as gf
        import _template_folds as tf
    finally:
        sys.path.pop(0)
        os.environ.clear()
        os.environ.update(env)
    rng = np.random.default_rng(4)
    waves = beats(240)
    prev = np.r_[rng.uniform(0.6, 1.4, 120), np.where(np.arange(120) % 9 == 4, 0.7, 1.0)]
    rr, record = rr_of(prev), np.repeat(["af", "sinus"], 120)
    logits = rng.normal(0, 1, (240, 5))
    logits[:, 0] += 2.0
    y = rng.integers(0, 2, 240)
    run = tf.Run(logits, y, record, waves, rr)
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    rules = gf.rules()
    assert len(rules) == 37 and rules[0] == gf.CURRENT
    for rule in rules[::6]:
        want = np.concatenate([adapt_template(proba[record == r], waves[record == r],
                                              rr[record == r], classes=CLASSES,
                                              fs_out=tf.FS_OUT, rule=rule)[0].argmax(axis=1)
                               for r in ("af", "sinus")])
        np.testing.assert_array_equal(gf.adapted(run, rule), want)
