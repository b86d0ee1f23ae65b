"""heartbeat.Stream with missing samples (NaN: a lead off), on real MIT-BIH signal."""

from __future__ import annotations

import numpy as np
import pytest

import heartbeat
from heartbeat.stream import Stream
from heartbeat.stream_lead import MissingRuns

GAP = (20.0, 23.0)  # seconds of record 100 set to NaN


def _run(x: np.ndarray, fs: float, chunk: int, **kw) -> tuple[Stream, heartbeat.StreamBeats]:
    s = Stream(fs, **kw)
    parts = [s.push(x[i : i + chunk]) for i in range(0, len(x), chunk)] + [s.flush()]
    return s, s._concatenate(parts)


@pytest.fixture(scope="module")
def record():
    """Record 100's first minute (both leads), clean and with GAP missing on lead 0."""
    ex = heartbeat.load_example("100")
    x = ex.signal[: int(60 * ex.fs)].astype(np.float64)
    gapped = x.copy()
    a, b = (int(t * ex.fs) for t in GAP)
    gapped[a:b, 0] = np.nan
    return x, gapped, float(ex.fs), (a, b)


@pytest.fixture(scope="module")
def streamed(record):
    x, gapped, fs, _ = record
    clean = _run(x[:, 0], fs, 360, missing="unreadable")[1]
    return clean, _run(gapped[:, 0], fs, 360, missing="unreadable")


class TestRefused:
    def test_nan_by_default_names_the_option(self):
        s = Stream(360.0)
        with pytest.raises(ValueError, match="missing='unreadable'"):
            s.push(np.array([0.0, np.nan, 0.1]))
        assert s.n_samples == 0

    def test_inf_is_refused_even_when_reading_around_nan(self):
        s = Stream(360.0, missing="unreadable")
        with pytest.raises(ValueError, match="infinite"):
            s.push(np.array([0.0, np.inf, np.nan]))
        assert s.n_samples == 0

    def test_unknown_option(self):
        with pytest.raises(ValueError, match="missing"):
            Stream(360.0, missing="skip")


class TestReadAround:
    def test_without_nan_the_option_changes_nothing(self, record, streamed):
        x, _, fs, _ = record
        default = _run(x[:, 0], fs, 360)[1]
        clean = streamed[0]
        np.testing.assert_array_equal(default.sample, clean.sample)
        np.testing.assert_array_equal(default.probabilities, clean.probabilities)
        np.testing.assert_array_equal(default.reasons, clean.reasons)

    def test_beats_beside_the_gap_are_unreadable_and_none_inside(self, record, streamed):
        _, _, fs, (a, b) = record
        beats = streamed[1][1]
        inside = (beats.sample >= a) & (beats.sample < b)
        assert not inside.any()  # a straight line holds no beat
        unreadable = beats.reasons == "unreadable"
        assert unreadable.any()
        # every unreadable beat lies within one quality stretch (2 s) of the gap...
        near = (beats.sample > a - 2 * fs) & (beats.sample < b + 2 * fs)
        assert near[unreadable].all()
        np.testing.assert_array_equal(beats.labels[unreadable], "?")
        np.testing.assert_array_equal(beats.quality[unreadable], 0.0)
        # ...and the beats away from it are read
        far = (beats.sample < a - 3 * fs) | (beats.sample > b + 3 * fs)
        assert (beats.labels[far] != "?").all()

    def test_the_gap_begins_a_new_recording(self, record, streamed):
        b = record[3][1]
        stream, beats = streamed[1]
        after = np.count_nonzero(beats.sample >= b)
        memory = stream._lead_state[0]
        assert memory.rr_count == after - 1  # RR intervals since the gap only
        assert memory.template.n_beats == after

    def test_the_same_peaks_once_the_gap_left_the_buffer(self, record, streamed):
        _, _, fs, (a, b) = record
        clean, (_, beats) = streamed
        late = b + 17 * fs  # history_s (16 s) and a floor block after the gap
        np.testing.assert_array_equal(beats.sample[beats.sample > late],
                                      clean.sample[clean.sample > late])
        before = a - 2 * fs  # reported before the gap arrived
        np.testing.assert_array_equal(beats.sample[beats.sample < before],
                                      clean.sample[clean.sample < before])

    @pytest.mark.parametrize("chunk", [1, 37, 5000])
    def test_chunking_does_not_matter(self, record, streamed, chunk):
        _, gapped, fs, _ = record
        ref = streamed[1][1]
        got = _run(gapped[:, 0], fs, chunk, missing="unreadable")[1]
        np.testing.assert_array_equal(got.sample, ref.sample)
        np.testing.assert_array_equal(got.probabilities, ref.probabilities)
        np.testing.assert_array_equal(got.reasons, ref.reasons)

    def test_other_lead_is_not_touched(self, record):
        x, gapped, fs, _ = record
        both = _run(gapped, fs, 360, leads=2, missing="unreadable")[1]
        alone = _run(x[:, 1], fs, 360, missing="unreadable")[1]
        lead1 = both.lead == 1
        np.testing.assert_array_equal(both.sample[lead1], alone.sample)
        np.testing.assert_array_equal(both.labels[lead1], alone.labels)
        # one batch per instant holds both leads' beats: the last bits may differ
        np.testing.assert_allclose(both.probabilities[lead1], alone.probabilities,
                                   rtol=1e-5, atol=1e-7)

    def test_quality_off_still_withholds_the_gap(self, record):
        _, gapped, fs, _ = record
        beats = _run(gapped[:, 0], fs, 360, missing="unreadable", quality=False)[1]
        unreadable = beats.reasons == "unreadable"
        assert unreadable.any()
        np.testing.assert_array_equal(beats.quality[unreadable], 0.0)
        assert np.isnan(beats.quality[~unreadable]).all()

    @pytest.mark.parametrize("where", ["start", "end", "all"])
    def test_lead_off_at_the_ends(self, record, where):
        x, _, fs, _ = record
        y = x[:, 0].copy()
        cut = int(5 * fs)
        if where == "start":
            y[:cut] = np.nan
        elif where == "end":
            y[-cut:] = np.nan
        else:
            y[:] = np.nan
        beats = _run(y, fs, 360, missing="unreadable")[1]
        if where == "all":
            assert len(beats) == 0
            return
        missing = beats.sample < cut if where == "start" else beats.sample >= y.size - cut
        assert not missing.any()
        assert np.count_nonzero(beats.reasons == "") > 50


class TestMissingRuns:
    def test_runs_join_across_chunks_and_are_counted_after_forgetting(self):
        runs = MissingRuns()
        runs.add(np.array([0, 1, 1, 0, 0, 1], bool), 10)
        runs.add(np.array([1, 0, 1], bool), 16)
        assert [list(r) for r in runs.runs] == [[11, 13], [15, 17], [18, 19]]
        np.testing.assert_array_equal(runs.before(np.array([10, 12, 13, 17, 19, 30])),
                                      [0, 1, 2, 4, 5, 5])
        runs.forget_before(14)
        assert len(runs.runs) == 2
        np.testing.assert_array_equal(runs.before(np.array([14, 30])), [2, 5])


def test_command_line_reads_around_nan_lines_and_says_so(record):
    import os
    import subprocess
    import sys
    from pathlib import Path

    _, gapped, fs, (a, b) = record
    body = "".join("nan\n" if np.isnan(v) else f"{v:.6f}\n" for v in gapped[: int(40 * fs), 0])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-m", "heartbeat.cli", "stream", "--fs", str(fs)],
                          input=body, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [r.split(",") for r in proc.stdout.splitlines()[1:]]
    assert any(r[-1] == "unreadable" for r in rows)
    assert f"{b - a} missing sample(s)" in proc.stderr and "1 gap(s)" in proc.stderr
