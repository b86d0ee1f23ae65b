"""The fallback template of ``adapt="template"`` (heartbeat.classifier.dominant) and the
S step's optional sudden-prematurity thresholds (``TemplateRule.s_*_sudden_ratio``).

The fallback was adopted by the rule of docs/results.md section 5 ("A fallback template
and sudden prematurity"); the sudden thresholds were not (they stay off by default).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import heartbeat
from heartbeat.classifier.dominant import fallback_template, shape_measures
from heartbeat.classifier.rhythm import sudden_ratio
from heartbeat.classifier.running_template import RunningTemplate
from heartbeat.classifier.template import (
    DEFAULT_RULE,
    MIN_TEMPLATE_BEATS,
    TemplateRule,
    adapt_template,
    template_features,
)
from heartbeat.context import rr_features
from heartbeat.stream import Stream

CLASSES = ("N", "S", "V", "F", "Q")
# without the fallback no template exists; the on-time S step, which needs none, is off
# too, so nothing may change
NO_FALLBACK = dataclasses.replace(DEFAULT_RULE, fallback_min_share=float("inf"),
                                  s_on_time_ratio=float("inf"))
T = np.linspace(0, 1.5, 187)
NARROW = np.exp(-((T - 0.02) / 0.03) ** 2) + 0.3 * np.exp(-((T - 0.3) / 0.06) ** 2)
WIDE = -np.exp(-((T - 0.1) / 0.08) ** 2)


def beats(shapes: list[np.ndarray], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack(shapes) + 0.01 * rng.standard_normal((len(shapes), 187))


def bigeminy(n_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Normal beats after a pause alternating with premature wide beats, and their RR."""
    waves = beats([NARROW, WIDE] * n_pairs)
    rr = np.tile([[1.3, 0.7, 1.0], [0.7, 1.3, 1.0]], (n_pairs, 1))
    return waves, rr


class TestFallbackTemplate:
    def test_bigeminy_template_is_the_on_time_beat_and_v_stays_v(self):
        waves, rr = bigeminy(20)
        proba = np.tile([0.1, 0.6, 0.25, 0.03, 0.02], (40, 1))  # the normal beats called S
        proba[1::2] = [0.05, 0.05, 0.85, 0.03, 0.02]  # the wide ones called V
        dominant_beat = fallback_template(waves[:, :30], rr[:, 0] / rr[:, 2], DEFAULT_RULE,
                                     min_beats=MIN_TEMPLATE_BEATS)
        correlation, _ = shape_measures(waves[:, :30], dominant_beat)
        assert (correlation[::2] > 0.95).all() and (correlation[1::2] < 0.5).all()
        out, _ = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0)
        assert (out.argmax(axis=1)[1::2] == 2).all()  # premature V beats are not its
        # the normal beats called S come after a pause: the S step makes them N
        assert (out.argmax(axis=1)[2::2] == 0).all()
        unchanged, _ = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0,
                                      rule=NO_FALLBACK)
        np.testing.assert_array_equal(unchanged, proba)

    def test_a_cluster_under_the_share_makes_no_template(self):
        waves, rr = bigeminy(20)
        rr[::2, 0] = 0.8  # now every beat is premature against its local mean
        assert fallback_template(waves[:, :30], rr[:, 0] / rr[:, 2], DEFAULT_RULE,
                                 min_beats=MIN_TEMPLATE_BEATS) is None
        on_time = fallback_template(waves[:30, :30], np.ones(30), DEFAULT_RULE, min_beats=31)
        assert on_time is None  # fewer beats than min_beats

    def test_used_only_without_a_template_of_beats_called_n(self):
        waves = beats([NARROW] * 40)
        rr = np.ones((40, 3))
        called_normal = np.zeros(40, dtype=bool)
        called_normal[:12] = True  # 30 %: the template of beats called N
        with_n = template_features(waves, called_normal, rr, window=30, rule=DEFAULT_RULE)
        plain = template_features(waves, called_normal, rr, window=30)
        np.testing.assert_array_equal(with_n.correlation, plain.correlation)
        called_normal[5:] = False
        assert not template_features(waves, called_normal, rr, window=30).has_template
        assert template_features(waves, called_normal, rr, window=30,
                                 rule=DEFAULT_RULE).has_template

    def test_beats_called_q_keep_q(self):
        waves = beats([NARROW] * 40)
        proba = np.tile([0.1, 0.05, 0.15, 0.05, 0.65], (40, 1))  # paced: called Q
        proba[::5] = [0.1, 0.05, 0.45, 0.05, 0.35]  # some called V, Q their second class
        out, changed = adapt_template(proba, waves, np.ones((40, 3)), classes=CLASSES,
                                      fs_out=125.0)
        assert (out.argmax(axis=1) == 4).all() and changed[::5].all()
        np.testing.assert_allclose(out.sum(axis=1), 1.0)

    def test_running_template_falls_back_from_the_past_only(self):
        waves = beats([NARROW] * 60)
        proba = np.tile([0.05, 0.05, 0.85, 0.03, 0.02], (60, 1))  # every beat called V
        heads, rr = waves[:, :30], np.ones((60, 3))
        running = RunningTemplate(500)
        first = running.adapt(proba[:8], heads[:8], rr[:8], classes=CLASSES)
        np.testing.assert_array_equal(first, proba[:8])  # 8 beats: fewer than 10
        later = running.adapt(proba[8:], heads[8:], rr[8:], classes=CLASSES)
        assert (later.argmax(axis=1) != 2).all()
        assert not running.normal_template
        plain = RunningTemplate(500)
        plain.adapt(proba[:8], heads[:8], rr[:8], classes=CLASSES, rule=NO_FALLBACK)
        np.testing.assert_array_equal(
            plain.adapt(proba[8:], heads[8:], rr[8:], classes=CLASSES, rule=NO_FALLBACK),
            proba[8:])


class TestSuddenPrematurity:
    def rhythm(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A slow swing down to beat 20 and a premature beat 30, all of one shape."""
        prev = np.ones(40)
        prev[10:21] = np.linspace(1.0, 0.7, 11)  # 3 % shorter each beat
        prev[21:29] = 0.75
        prev[30], prev[31] = 0.5, 1.2
        rr = np.stack([prev, np.r_[prev[1:], 1.0], np.ones(40)], axis=1)
        proba = np.tile([0.9, 0.05, 0.03, 0.01, 0.01], (40, 1))
        return beats([NARROW] * 40), rr, proba

    def test_off_by_default(self):
        assert np.isinf(DEFAULT_RULE.s_max_sudden_ratio)
        assert np.isinf(DEFAULT_RULE.s_keep_sudden_ratio)

    def test_a_swing_is_not_s_a_premature_beat_is(self):
        waves, rr, proba = self.rhythm()
        guard_off = dataclasses.replace(DEFAULT_RULE, s_irregular_above=float("inf"))
        plain = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0,
                               rule=guard_off)[0].argmax(axis=1)
        sudden = dataclasses.replace(guard_off, s_max_sudden_ratio=0.9)
        calls = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0,
                               rule=sudden)[0].argmax(axis=1)
        assert (plain[17:29] == 1).all()  # below 0.85 of the local mean: made S
        assert calls[30] == 1 and (np.delete(calls, 30) == 0).all()

    def test_the_mirror_takes_back_s_calls_of_a_swing(self):
        waves, rr, proba = self.rhythm()
        proba[[25, 30]] = [0.2, 0.75, 0.03, 0.01, 0.01]  # the model calls both S
        keep = dataclasses.replace(DEFAULT_RULE, s_irregular_above=float("inf"),
                                   s_max_rr_ratio=0.0, s_keep_sudden_ratio=0.95)
        calls = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0,
                               rule=keep)[0].argmax(axis=1)
        assert calls[25] == 0 and calls[30] == 1

    def test_sudden_ratio_first_beat_and_zero(self):
        np.testing.assert_array_equal(sudden_ratio(np.array([0.0, 1.0, 0.5])), [1, 1, 0.5])
        assert sudden_ratio(np.zeros(0)).shape == (0,)


@pytest.fixture(scope="module")
def mimic(wfdb_samples_dir):
    """The MIMIC ICU lead (MCL1, regular at 122/min) with the default model, not adapted."""
    rec = heartbeat.read_record(wfdb_samples_dir / "03700181", channels=["MCL1"],
                                expand_frames=True)
    return heartbeat.classify(np.asarray(rec.signal[:, 0], dtype=float), rec.fs, adapt="none")


def adapted_calls(out: heartbeat.ClassifiedBeats, rule: TemplateRule) -> np.ndarray:
    rr = rr_features(out.beats.r_peaks, out.beats.fs)
    proba = adapt_template(out.probabilities, out.beats.waveforms, rr, classes=out.classes,
                           fs_out=out.beats.fs_out, rule=rule)[0]
    return np.asarray(out.classes)[proba.argmax(axis=1)]


class TestOnRealRecordings:
    def test_mimic_regular_rhythm_is_read_as_n(self, mimic):
        """The default model reads the ICU lead's regular wide-complex rhythm as N by
        itself (the previous default, trained on MLII alone, called fewer than a fifth
        of its beats N and needed the fallback template to avoid a string of S); the
        fallback, which needs too few beats called N, changes nothing here."""
        called = np.asarray(mimic.classes)[mimic.probabilities.argmax(axis=1)]
        assert (called == "N").mean() > 0.9
        for rule in (NO_FALLBACK, DEFAULT_RULE):
            after = adapted_calls(mimic, rule)
            assert (after == "S").mean() < 0.05 and (after == "N").mean() > 0.9
            assert np.isin(after, ["V", "F"]).mean() < 0.01

    def test_stream_reads_it_as_offline(self, wfdb_samples_dir):
        rec = heartbeat.read_record(wfdb_samples_dir / "03700181", channels=["MCL1"],
                                    expand_frames=True)
        x = np.asarray(rec.signal[: int(180 * rec.fs), 0], dtype=float)  # three minutes
        s = Stream(rec.fs)
        labels = s._concatenate([s.push(c) for c in np.array_split(x, 7)] + [s.flush()]).labels
        assert (labels == "S").mean() < 0.05 and (labels == "N").mean() > 0.9

    @pytest.mark.parametrize("record", ["102", "107"])
    def test_paced_beats_are_not_made_n(self, mitdb_dir, record):
        rec = heartbeat.read_record(mitdb_dir / record, channels=[0])  # the whole record
        out = heartbeat.classify(np.asarray(rec.signal[:, 0], dtype=float), rec.fs,
                                 adapt="none")
        called = np.asarray(out.classes)[out.probabilities.argmax(axis=1)]
        assert (called == "Q").mean() > 0.8  # the fallback's case: few called N
        waves, rr = out.beats.waveforms, rr_features(out.beats.r_peaks, out.beats.fs)
        assert template_features(waves, called == "N", rr, window=30,
                                 rule=DEFAULT_RULE).has_template
        before, after = adapted_calls(out, NO_FALLBACK), adapted_calls(out, DEFAULT_RULE)
        assert (after == "N").mean() <= (before == "N").mean() + 0.01
        assert (after == "Q").mean() >= (before == "Q").mean()
