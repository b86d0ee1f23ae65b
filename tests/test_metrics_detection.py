"""Tests for the detection part of heartbeat.metrics: DetectionScore and its matching."""

from __future__ import annotations

import dataclasses
import doctest
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heartbeat.metrics import (
    DetectionScore,
    bxb_compare,
    classification,
    detection,
    detection_scores,
    ec57,
    match_peaks,
    score_database,
    sum_scores,
)

indices = st.lists(st.integers(0, 5000), max_size=60)


class TestDetectionScore:
    def test_rates(self):
        s = DetectionScore(tp=90, fn=10, fp=30)
        assert s.se == pytest.approx(0.9)
        assert s.ppv == pytest.approx(0.75)
        assert s.f1 == pytest.approx(180 / 220)

    def test_empty_denominators_are_nan(self):
        s = DetectionScore(0, 0, 0)
        assert math.isnan(s.se) and math.isnan(s.ppv) and math.isnan(s.f1)
        assert DetectionScore(0, 0, 5).ppv == 0.0
        assert math.isnan(DetectionScore(0, 0, 5).se)

    def test_frozen(self):
        with pytest.raises(dataclasses.FrozenInstanceError):
            DetectionScore(1, 2, 3).tp = 5  # type: ignore[misc]

    def test_add_and_sum(self):
        a, b = DetectionScore(1, 2, 3), DetectionScore(10, 20, 30)
        assert a + b == DetectionScore(11, 22, 33)
        assert sum([a, b]) == DetectionScore(11, 22, 33)
        assert sum_scores([a, b]) == DetectionScore(11, 22, 33)
        assert sum_scores([]) == DetectionScore(0, 0, 0)
        with pytest.raises(TypeError):
            a + 1
        with pytest.raises(TypeError, match=r"scores\[1\]"):
            sum_scores([a, (1, 2, 3)])

    def test_gross_is_not_mean_of_rates(self):
        total = DetectionScore(99, 1, 0) + DetectionScore(0, 1, 0)
        assert total.se == pytest.approx(99 / 101)

    def test_numpy_counts_become_int(self):
        s = DetectionScore(np.int64(3), np.int32(1), np.int64(0))
        assert type(s.tp) is int and s == DetectionScore(3, 1, 0)

    @pytest.mark.parametrize(
        ("args", "exc"),
        [((-1, 0, 0), ValueError), ((1.5, 0, 0), TypeError), ((True, 0, 0), TypeError)],
    )
    def test_bad_counts(self, args, exc):
        with pytest.raises(exc):
            DetectionScore(*args)


class TestDetectionScores:
    def test_docstring_examples(self):
        for module in (detection, classification):
            result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
            assert result.attempted > 0 and result.failed == 0

    def test_perfect(self):
        ref = np.array([100, 400, 700])
        assert detection_scores(ref, ref, 360.0) == DetectionScore(3, 0, 0)

    def test_hand_computed(self):
        # fs = 100 Hz, tolerance 0.15 s = 15 samples.
        # 100 <- 110 (10 away); 300 has no detection within 15 (320 is 20 away);
        # 500 <- 505 (closer than 490); 490 is left over; 900 <- 915 (exactly 15).
        ref = [100, 300, 500, 900]
        det = [110, 320, 490, 505, 915]
        s = detection_scores(ref, det, fs=100.0)
        assert s == DetectionScore(tp=3, fn=1, fp=2)

    def test_one_detection_between_two_beats_counts_once(self):
        # 200 is within 15 samples of both 190 and 210: the earlier beat takes it
        s = detection_scores([190, 210], [200], fs=100.0)
        assert s == DetectionScore(tp=1, fn=1, fp=0)

    def test_two_detections_near_one_beat(self):
        s = detection_scores([500], [495, 503], fs=100.0)
        assert s == DetectionScore(tp=1, fn=0, fp=1)

    def test_nearest_unmatched_and_tie_goes_to_earlier(self):
        # 100 takes 95 (tie with 105 -> earlier); 112 then takes 105 (still free)
        s = detection_scores([100, 112], [95, 105], fs=100.0)
        assert s == DetectionScore(tp=2, fn=0, fp=0)

    def test_greedy_in_time_order(self):
        # documented rule: the earlier beat takes its nearest free detection (108), even
        # though pairing 100-90 and 114-108 would have matched both beats
        s = detection_scores([100, 114], [90, 108], fs=100.0)
        assert s == DetectionScore(tp=1, fn=1, fp=1)
        assert detection_scores([100, 120], [98, 110], fs=100.0) == DetectionScore(2, 0, 0)

    def test_tolerance_is_inclusive_and_in_seconds(self):
        assert detection_scores([1000], [1036], fs=360.0, tolerance_s=0.1).tp == 1
        assert detection_scores([1000], [1037], fs=360.0, tolerance_s=0.1).tp == 0
        assert detection_scores([1000], [964], fs=360.0, tolerance_s=0.1).tp == 1

    def test_order_does_not_matter(self):
        assert detection_scores([900, 100, 500], [505, 110], 100.0) == detection_scores(
            [100, 500, 900], [110, 505], 100.0
        )

    def test_empty(self):
        assert detection_scores([], [], 360.0) == DetectionScore(0, 0, 0)
        assert detection_scores([1, 2], [], 360.0) == DetectionScore(0, 2, 0)
        assert detection_scores([], np.array([5], dtype=np.int32), 360.0) == DetectionScore(
            0, 0, 1
        )

    def test_integral_floats_accepted(self):
        assert detection_scores(np.array([10.0, 20.0]), [10], 100.0) == DetectionScore(1, 1, 0)

    def test_readonly_inputs(self):
        ref = np.array([100, 200])
        ref.setflags(write=False)
        assert detection_scores(ref, ref, 100.0).tp == 2

    @pytest.mark.parametrize(
        ("ref", "det", "fs", "tol", "exc", "match"),
        [
            ([1.5], [1], 100.0, 0.15, ValueError, "reference"),
            ([1], [np.nan], 100.0, 0.15, ValueError, "detected"),
            ([-1], [1], 100.0, 0.15, ValueError, r"reference must lie within \[0, inf\)"),
            ([[1, 2]], [1], 100.0, 0.15, ValueError, "1-D"),
            (["a"], [1], 100.0, 0.15, TypeError, "reference"),
            ([True], [1], 100.0, 0.15, TypeError, "reference"),
            (None, [1], 100.0, 0.15, TypeError, "reference"),
            ([1], [1], 0.0, 0.15, ValueError, "fs"),
            (
                [1],
                [1],
                100.0,
                0.0,
                ValueError,
                "tolerance_s=0.0 must be .* seconds",
            ),
            ([1], [1], 100.0, float("inf"), ValueError, "tolerance_s"),
            ([1], [1], 100.0, -1.0, ValueError, "tolerance_s"),
            ([1], [1], 100.0, "0.1", TypeError, "tolerance_s"),
        ],
    )
    def test_bad_input(self, ref, det, fs, tol, exc, match):
        with pytest.raises(exc, match=match):
            detection_scores(ref, det, fs, tolerance_s=tol)

    @given(ref=indices, det=indices, tol=st.floats(0.01, 1.0))
    def test_counts_add_up(self, ref, det, tol):
        s = detection_scores(ref, det, 100.0, tolerance_s=tol)
        assert s.tp + s.fn == len(ref)
        assert s.tp + s.fp == len(det)
        assert 0 <= s.tp <= min(len(ref), len(det))

    @given(ref=indices, shift=st.integers(0, 1000))
    def test_shift_invariance_and_self_match(self, ref, shift):
        s = detection_scores(ref, ref, 100.0)
        assert s.fn == 0 and s.fp == 0
        a = detection_scores(ref, [r + 7 for r in ref], 100.0)
        b = detection_scores([r + shift for r in ref], [r + 7 + shift for r in ref], 100.0)
        assert a == b

    @given(ref=indices, det=indices)
    def test_wider_window_never_loses_matches_for_sparse_beats(self, ref, det):
        # with beats further apart than both windows, matching is a nearest-neighbour
        # problem and widening the window can only add matches
        ref = sorted(set(r * 100 for r in ref))
        narrow = detection_scores(ref, det, 100.0, tolerance_s=0.1)
        wide = detection_scores(ref, det, 100.0, tolerance_s=0.4)
        assert wide.tp >= narrow.tp


class TestMatchPeaks:
    def test_one_to_one_nearest(self):
        det = np.array([98, 105, 300, 700])
        ref = np.array([100, 310, 500])
        d, r = match_peaks(det, ref, 15)
        assert d.tolist() == [0, 2] and r.tolist() == [0, 1]

    @given(
        st.lists(st.integers(0, 3000), max_size=30, unique=True),
        st.lists(st.integers(0, 3000), max_size=30, unique=True),
        st.integers(1, 60),
    )
    def test_pairs_are_unique_within_tolerance_and_counted_as_tp(self, det, ref, tol):
        det, ref = np.sort(det), np.sort(ref)
        d, r = match_peaks(det, ref, tol)
        assert len(set(d.tolist())) == len(d) and len(set(r.tolist())) == len(r)
        assert np.all(np.abs(det[d] - ref[r]) <= tol)
        score = detection_scores(ref, det, fs=1.0, tolerance_s=tol)
        assert len(d) == score.tp

    def test_one_detection_between_two_beats(self):
        d, r = match_peaks(np.array([150]), np.array([140, 160]), 20)
        assert d.tolist() == [0] and r.tolist() == [0]


class TestBxbCompare:
    """bxb's rules on hand-computed cases (fs = 100 Hz, so a 150 ms window is 15 samples)."""

    def test_docstring_examples(self):
        result = doctest.testmod(ec57, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0

    def test_window_is_inclusive(self):
        assert bxb_compare([100], [115], 100.0, start_s=0) == DetectionScore(1, 0, 0)
        assert bxb_compare([100], [116], 100.0, start_s=0) == DetectionScore(0, 1, 1)

    def test_a_tie_with_the_next_beat_is_no_match(self):
        # T=100, t=106: 6 is not strictly nearer than |106 - 112|, so 100 is missed
        # and 106 pairs with 112 (greedy nearest matching gives the same counts here)
        assert bxb_compare([100, 112], [106], 100.0, start_s=0) == DetectionScore(1, 1, 0)

    def test_beats_before_the_start_are_not_counted(self):
        # reference 100 and test 295 lie before the start (3 s = sample 300)
        score = bxb_compare([100, 400, 700], [295, 405, 700], 100.0, start_s=3.0)
        assert score == DetectionScore(2, 0, 0)

    def test_last_test_beat_before_the_start_may_match(self):
        score = bxb_compare([302, 600], [298, 600], 100.0, start_s=3.0)
        assert score == DetectionScore(2, 0, 0)
        # a plain count of the detections at or after the start would miss 302
        assert detection_scores([302, 600], [600], 100.0) == DetectionScore(1, 1, 0)

    def test_first_test_beat_after_the_start_is_dropped_if_the_next_is_better(self):
        # 301 lies within a window of the start and 309 is nearer to 310: 301 is
        # dropped without being counted as an extra detection
        score = bxb_compare([310, 600], [301, 309, 600], 100.0, start_s=3.0)
        assert score == DetectionScore(2, 0, 0)
        score = bxb_compare([310, 600], [301, 309, 600], 100.0, start_s=2.0)
        assert score == DetectionScore(2, 0, 1)

    def test_end_of_the_record(self):
        # bxb runs on while either current beat is at or before the end
        assert bxb_compare([100, 900], [100, 905], 100.0, start_s=0, end=800) == \
            DetectionScore(1, 0, 0)
        assert bxb_compare([100, 790], [100, 805], 100.0, start_s=0, end=800) == \
            DetectionScore(2, 0, 0)
        assert bxb_compare([], [], 100.0, start_s=0) == DetectionScore(0, 0, 0)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="window_s"):
            bxb_compare([1], [1], 100.0, window_s=0)
        with pytest.raises(ValueError, match="start_s"):
            bxb_compare([1], [1], 100.0, start_s=-1)
        with pytest.raises(ValueError, match="reference"):
            bxb_compare([-1], [1], 100.0)

    def test_first_test_beat_dropped_even_without_a_reference(self):
        # bxb's rule 2 compares with the next test beat even when no reference beat
        # is left (both times are then "infinitely" far)
        assert bxb_compare([], [5], 100.0, start_s=0) == DetectionScore(0, 0, 0)
        assert bxb_compare([], [20], 100.0, start_s=0) == DetectionScore(0, 0, 1)

    @given(ref=indices, det=indices)
    def test_counts_add_up(self, ref, det):
        # every beat after the first window is counted once
        ref = sorted({r + 20 for r in ref})
        det = sorted({d + 20 for d in det})
        s = bxb_compare(ref, det, 100.0, start_s=0)
        assert s.tp + s.fn == len(ref) and s.tp + s.fp == len(det)

    @given(ref=indices, det=indices)
    def test_same_as_nearest_matching_for_sparse_beats(self, ref, det):
        # beats and detections 100 samples apart each: no pairing choice is ambiguous
        ref = sorted({r * 100 + 50 for r in ref})
        det = sorted({d * 100 + 57 for d in det})
        assert bxb_compare(ref, det, 100.0, start_s=0) == detection_scores(ref, det, 100.0)


class TestReferenceBeats:
    def _annotations(self, samples, symbols):
        from heartbeat.io import Annotations
        from heartbeat.io.annotations import ANNOTATION_SYMBOLS

        codes = np.array([ANNOTATION_SYMBOLS.index(s) for s in symbols], dtype=np.int16)
        n = len(samples)
        return Annotations("x", "atr", np.array(samples, dtype=np.int64), codes,
                           np.array(symbols), np.zeros(n, np.int8), np.zeros(n, np.uint8),
                           np.zeros(n, np.int8), np.full(n, ""), None)

    def test_vf_episodes_and_non_beats(self):
        ann = self._annotations([50, 100, 200, 250, 400, 500, 600],
                                ["+", "N", "[", "V", "]", "~", "/"])
        beats, vf = ec57.reference_beats(ann)
        assert beats.tolist() == [100, 600] and vf == ((200, 400),)

    def test_extra_detections_in_reference_vf_are_not_counted(self):
        ann = self._annotations([100, 200, 400, 500], ["N", "[", "]", "N"])
        stream = ec57._stream_from_codes(ann.sample, ann.code.astype(np.int64))
        test = ec57._Stream(np.array([100, 250, 300, 500, 700]), np.full(5, "N"))
        score, columns = ec57._compare(stream, test, 15, 0, 800)
        assert score == DetectionScore(2, 0, 1)  # only 700 is extra
        assert columns["Nn'"] == 2 and columns["On'"] == 1

    def test_rejects_other_types(self):
        with pytest.raises(TypeError, match="annotations"):
            ec57.reference_beats([1, 2])


class TestScoreDatabase:
    def test_records_with_and_without_vf(self, mitdb_dir):
        # 207 holds ventricular flutter episodes; 100 none
        result = score_database(mitdb_dir, records=["100", "207"], start_s=0)
        from heartbeat.aami import is_beat
        from heartbeat.detect import detect_r_peaks
        from heartbeat.io import read_annotations, read_record

        for rec_score in result.records:
            rec = read_record(mitdb_dir / rec_score.record)
            ann = read_annotations(mitdb_dir / rec_score.record)
            peaks = detect_r_peaks(rec.signal[:, 0], rec.fs)
            beats, vf = ec57.reference_beats(ann)
            plain = detection_scores(beats, peaks, rec.fs)
            in_vf = sum(int(np.count_nonzero((peaks >= a) & (peaks <= b))) for a, b in vf)
            assert rec_score.score.tp == plain.tp and rec_score.score.fn == plain.fn
            if rec_score.record == "100":
                assert vf == () and rec_score.score == plain
                assert beats.size == int(np.count_nonzero(is_beat(ann.symbol)))
            else:
                assert len(vf) > 0 and in_vf > 0
                assert rec_score.score.fp == plain.fp - in_vf
        table = result.table().splitlines()
        assert table[0].split()[:2] == ["Record", "Nn'"] and table[1].split()[0] == "100"
        assert table[-2].split()[0] == "Gross"

    def test_first_five_minutes_excluded_by_default(self, mitdb_dir):
        whole = score_database(mitdb_dir, records=["100"], start_s=0, test={"100": []})
        late = score_database(mitdb_dir, records=["100"], test={"100": []})
        assert whole.gross.fn == 2273 and 0 < late.gross.fn < 2273  # 2273 beats in 100
        assert late.gross.tp == 0 and late.gross.fp == 0

    def test_bad_inputs(self, tmp_path, mitdb_dir):
        with pytest.raises(FileNotFoundError, match="does not exist"):
            score_database(tmp_path / "nothing")
        with pytest.raises(ValueError, match="no record"):
            score_database(tmp_path)
        with pytest.raises(ValueError, match="hold no record"):
            score_database(mitdb_dir, records=["100"], test={"101": [1]})
        with pytest.raises(ValueError, match="channel"):
            score_database(mitdb_dir, records=["100"], channel=5)
        with pytest.raises(TypeError, match="test must be"):
            score_database(mitdb_dir, test=3)

    @pytest.mark.slow
    def test_all_48_records(self, mitdb_dir):
        # our detector, lead 0, 150 ms: the figures in docs/benchmarks.md
        result = score_database(mitdb_dir, start_s=0)
        assert len(result.records) == 48
        gross = result.gross
        assert (gross.tp, gross.fn) == (109362, 132)
        assert gross.se > 0.998 and gross.ppv > 0.998
