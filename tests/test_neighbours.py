"""The recording's confident beats vote (heartbeat.classifier.neighbours)."""

import dataclasses

import numpy as np
import pytest

from heartbeat.classifier import neighbours
from heartbeat.classifier.neighbours import move_by_neighbours, nearest_votes
from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule, adapt_template

CLASSES = ("N", "S", "V", "F", "Q")
RULE = dataclasses.replace(DEFAULT_RULE, neighbours_k=7)
T = np.linspace(0, 1.5, 187)
NORMAL = np.exp(-((T - 0.1) / 0.02) ** 2)
WIDE = 0.8 * np.exp(-((T - 0.15) / 0.06) ** 2)


def _recording(n_normal=40, n_wide=10, seed=0):
    """Sure N beats and sure V beats of another shape, with a little noise."""
    rng = np.random.default_rng(seed)
    waves = np.vstack([np.tile(NORMAL, (n_normal, 1)), np.tile(WIDE, (n_wide, 1))])
    waves += 0.01 * rng.standard_normal(waves.shape)
    proba = np.tile([0.95, 0.02, 0.01, 0.01, 0.01], (len(waves), 1))
    proba[n_normal:] = [0.02, 0.01, 0.95, 0.01, 0.01]
    rr_ratio = np.ones(len(waves))
    rr_ratio[n_normal:] = 0.7
    return waves, proba, rr_ratio


def _calls(proba, waves, rr_ratio, rule=RULE):
    return move_by_neighbours(proba, proba, waves, rr_ratio, rule, classes=CLASSES,
                              fs_out=125.0).argmax(axis=1)


def test_nearest_votes_matches_a_plain_sort():
    rng = np.random.default_rng(1)
    heads = rng.standard_normal((60, 9))
    asked, refs = np.arange(0, 20), np.arange(20, 60)
    is_v = rng.random(40) < 0.4
    d = ((heads[asked, None, :] - heads[None, refs, :]) ** 2).sum(-1)
    expected = is_v[np.argsort(d, axis=1)[:, :5]].sum(axis=1)
    np.testing.assert_array_equal(nearest_votes(heads[asked], heads[refs], is_v, 5),
                                  expected)


def test_nearest_votes_in_chunks_is_the_same(monkeypatch):
    rng = np.random.default_rng(2)
    heads = rng.standard_normal((300, 6))
    asked, refs, is_v = np.arange(100), np.arange(100, 300), rng.random(200) < 0.5
    whole = nearest_votes(heads[asked], heads[refs], is_v, 7)
    monkeypatch.setattr(neighbours, "_CHUNK_ENTRIES", 450)  # two rows at a time
    np.testing.assert_array_equal(nearest_votes(heads[asked], heads[refs], is_v, 7), whole)


def test_an_early_beat_of_the_v_shape_called_n_or_s_becomes_v():
    waves, proba, rr_ratio = _recording()
    proba[45] = [0.6, 0.1, 0.3, 0.0, 0.0]  # unsure N, V shape, early
    proba[46] = [0.1, 0.6, 0.3, 0.0, 0.0]  # S, V shape, early
    calls = _calls(proba, waves, rr_ratio)
    assert calls[45] == 2 and calls[46] == 2
    assert (calls[:40] == 0).all()


def test_a_beat_on_time_does_not_become_v():
    waves, proba, rr_ratio = _recording()
    proba[45] = [0.6, 0.1, 0.3, 0.0, 0.0]
    rr_ratio[45] = 1.0
    assert _calls(proba, waves, rr_ratio)[45] == 0
    off_guard = dataclasses.replace(RULE, neighbours_max_rr_ratio=float("inf"))
    assert _calls(proba, waves, rr_ratio, off_guard)[45] == 2


def test_an_unsure_v_of_the_normal_shape_becomes_n_and_a_sure_one_stays():
    waves, proba, rr_ratio = _recording()
    proba[3] = [0.3, 0.05, 0.6, 0.05, 0.0]  # unsure V, N shape
    proba[4] = [0.01, 0.01, 0.97, 0.01, 0.0]  # sure V, N shape: a reference itself
    calls = _calls(proba, waves, rr_ratio)
    assert calls[3] == 0 and calls[4] == 2


def test_moved_probability_goes_to_the_new_class():
    waves, proba, rr_ratio = _recording()
    proba[45] = [0.5, 0.2, 0.3, 0.0, 0.0]
    out = move_by_neighbours(proba, proba, waves, rr_ratio, RULE, classes=CLASSES,
                             fs_out=125.0)
    np.testing.assert_allclose(out[45], [0.0, 0.2, 0.8, 0.0, 0.0])
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


@pytest.mark.parametrize("n_wide", [4, 0])
def test_too_few_v_references_changes_nothing(n_wide):
    waves, proba, rr_ratio = _recording(n_wide=n_wide)
    proba[2] = [0.6, 0.1, 0.3, 0.0, 0.0]
    out = move_by_neighbours(proba, proba, waves, rr_ratio, RULE, classes=CLASSES,
                             fs_out=125.0)
    np.testing.assert_array_equal(out, proba)


def test_off_by_default_outside_the_rule_and_without_v():
    waves, proba, rr_ratio = _recording()
    proba[45] = [0.6, 0.1, 0.3, 0.0, 0.0]
    off = dataclasses.replace(RULE, neighbours_k=0)
    np.testing.assert_array_equal(_calls(proba, waves, rr_ratio, off), proba.argmax(axis=1))
    two = move_by_neighbours(proba[:, :2], proba[:, :2], waves, rr_ratio, RULE,
                             classes=("N", "S"), fs_out=125.0)
    np.testing.assert_array_equal(two, proba[:, :2])


def test_many_references_are_spread_evenly(monkeypatch):
    monkeypatch.setattr(neighbours, "MAX_REFERENCES", 5)
    rows = np.arange(0, 100, 3)
    kept = neighbours._spread(rows)
    assert len(kept) == 5 and kept[0] == 0 and kept[-1] == 99


def test_adapt_template_runs_the_step_last():
    waves, proba, rr_ratio = _recording()
    proba[45] = [0.6, 0.1, 0.3, 0.0, 0.0]
    rr = np.column_stack([rr_ratio, np.ones(len(waves)), np.ones(len(waves))])
    off = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0,
                         rule=dataclasses.replace(RULE, neighbours_k=0))[0]
    on, changed = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0, rule=RULE)
    assert off[45].argmax() != 2 and on[45].argmax() == 2 and changed[45]


@pytest.mark.parametrize("field, value, error", [
    ("neighbours_k", 1.5, TypeError), ("neighbours_k", -1, ValueError),
    ("neighbours_agree", 0, ValueError), ("neighbours_agree", 8, ValueError),
    ("neighbours_confidence", 1.2, ValueError), ("neighbours_window_s", 0.0, ValueError),
    ("neighbours_max_rr_ratio", float("nan"), ValueError),
])
def test_rule_checks_the_fields(field, value, error):
    settings = {"neighbours_k": 7, field: value}
    with pytest.raises(error, match=field):
        TemplateRule(**settings)


def test_the_running_template_votes_with_the_beats_it_has_seen():
    from heartbeat.classifier.running_template import RunningTemplate

    waves, proba, rr_ratio = _recording()
    proba[45] = [0.6, 0.1, 0.3, 0.0, 0.0]
    rr = np.column_stack([rr_ratio, np.ones(len(waves)), np.ones(len(waves))])
    running = RunningTemplate(500)
    out = np.concatenate([running.adapt(proba[a:a + 20], waves[a:a + 20], rr[a:a + 20],
                                        classes=CLASSES, rule=RULE) for a in (0, 20, 40)])
    assert out[45].argmax() == 2 and (out[:40].argmax(axis=1) == 0).all()
    assert len(running.sure_heads[True]) == 9 and len(running.sure_heads[False]) == 40
    # the step off: the beat stays N, and nothing is kept for it
    off = RunningTemplate(500)
    rule_off = dataclasses.replace(RULE, neighbours_k=0)
    kept = np.concatenate([off.adapt(proba[a:a + 20], waves[a:a + 20], rr[a:a + 20],
                                     classes=CLASSES, rule=rule_off) for a in (0, 20, 40)])
    assert kept[45].argmax() == 0 and not off.sure_heads[True]


class TestFoldScript:
    """benchmarks/template_neighbours.py: the pre-registered setting and condition."""

    @pytest.fixture
    def script(self):
        from conftest import benchmark_modules

        return benchmark_modules("template_neighbours")[0]

    def test_the_setting_is_the_rule_written_before_scoring_and_shipped(self, script):
        assert script.SETTING == {"neighbours_k": 7, "neighbours_agree": 5,
                                  "neighbours_confidence": 0.9, "neighbours_window_s": 0.5,
                                  "neighbours_max_rr_ratio": 0.9}
        assert dataclasses.replace(DEFAULT_RULE, **script.SETTING) == DEFAULT_RULE

    def test_holds(self, script):
        base = {"V_f1": 80.0, "n_abnormal": 2.0, "S_se": 50.0}
        assert script.holds(base, {"V_f1": 80.0, "n_abnormal": 2.05, "S_se": 49.5})
        assert not script.holds(base, {"V_f1": 79.9, "n_abnormal": 1.0, "S_se": 50.0})
        assert not script.holds(base, {"V_f1": 85.0, "n_abnormal": 2.06, "S_se": 50.0})
        assert not script.holds(base, {"V_f1": 85.0, "n_abnormal": 1.0, "S_se": 49.4})


def test_classify_and_the_stream_read_the_same_default_rule(monkeypatch):
    """adapt_template and RunningTemplate both take template.DEFAULT_RULE at call time."""
    from heartbeat.classifier import template
    from heartbeat.classifier.running_template import RunningTemplate

    waves, proba, rr_ratio = _recording()
    proba[45] = [0.6, 0.1, 0.3, 0.0, 0.0]
    rr = np.column_stack([rr_ratio, np.ones(len(waves)), np.ones(len(waves))])
    monkeypatch.setattr(template, "DEFAULT_RULE", dataclasses.replace(RULE, neighbours_k=0))
    offline = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0)[0]
    streamed = RunningTemplate(500).adapt(proba, waves, rr, classes=CLASSES)
    assert offline[45].argmax() == 0 and streamed[45].argmax() == 0
