"""Missing samples (NaN): refused by default, read around with ``missing="unreadable"``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import heartbeat
from heartbeat._missing import SPLIT_GAP_S, fill_missing, pieces
from heartbeat.cli import main
from heartbeat.io.examples import load_example

GAP_S = (40.0, 45.0)  # a lead off for 5 s
LONE_S = 80.0  # and one invalid sample


def inside(peaks: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Whether each peak lies in one of the [start, stop) `spans`."""
    return np.any((peaks[:, None] >= spans[:, 0]) & (peaks[:, None] < spans[:, 1]), axis=1)


@pytest.fixture(scope="module")
def gapped() -> tuple[np.ndarray, np.ndarray, float]:
    """Lead 0 of the 100 excerpt as recorded, and with a 5 s gap and one invalid sample."""
    ex = load_example("100")
    x = np.ascontiguousarray(ex.signal[:, 0])
    y = x.copy()
    y[int(GAP_S[0] * ex.fs):int(GAP_S[1] * ex.fs)] = np.nan
    y[int(LONE_S * ex.fs)] = np.nan
    return x, y, ex.fs


class TestFillMissing:
    def test_a_gap_is_a_straight_line_and_the_ends_are_held(self):
        x = np.array([np.nan, 1.0, np.nan, np.nan, 4.0, np.nan])
        filled, where = fill_missing(x, "unreadable")
        np.testing.assert_array_equal(filled, [1.0, 1.0, 2.0, 3.0, 4.0, 4.0])
        np.testing.assert_array_equal(where, np.isnan(x))
        assert np.isnan(x).sum() == 4  # the caller's array is not changed

    def test_columns_are_filled_alone_and_a_missing_lead_is_flat(self):
        x = np.array([[0.0, np.nan], [np.nan, np.nan], [2.0, np.nan]])
        filled, where = fill_missing(x, "unreadable")
        np.testing.assert_array_equal(filled, [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
        assert where.shape == x.shape and where.sum() == 4

    def test_without_nan_the_signal_is_returned_as_it_is(self):
        x = np.arange(5.0)
        for missing in ("error", "unreadable"):
            out, where = fill_missing(x, missing)
            assert out is x and where is None
        ints = np.arange(5)
        assert fill_missing(ints, "unreadable")[0] is ints

    def test_nan_is_refused_by_default_naming_the_option(self):
        with pytest.raises(ValueError, match=r"2 NaN value\(s\).*missing='unreadable'"):
            fill_missing(np.array([1.0, np.nan, np.nan]), "error")

    def test_an_unknown_choice_is_refused(self):
        with pytest.raises(ValueError, match="missing='skip' is not one of"):
            fill_missing(np.zeros(3), "skip")

    def test_infinity_is_not_a_missing_sample(self, gapped):
        x, _, fs = gapped
        bad = x.copy()
        bad[10] = np.inf
        with pytest.raises(ValueError, match="NaN or infinite"):
            heartbeat.segment(bad, fs, missing="unreadable")


class TestPieces:
    def test_an_interval_holding_a_long_gap_ends_a_piece(self):
        fs = 100.0
        peaks = np.array([0, 100, 200, 300])
        gaps = np.zeros(400, dtype=bool)
        gaps[120:120 + round(SPLIT_GAP_S * fs)] = True  # between the 2nd and 3rd beats
        assert pieces(peaks, gaps, fs) == [slice(0, 2), slice(2, 4)]

    def test_a_short_gap_or_none_keeps_one_recording(self):
        fs = 100.0
        peaks = np.array([0, 100, 200, 300])
        gaps = np.zeros(400, dtype=bool)
        gaps[120:120 + round(SPLIT_GAP_S * fs) - 1] = True
        assert pieces(peaks, gaps, fs) == [slice(0, 4)]
        assert pieces(peaks, None, fs) == [slice(0, 4)]


class TestSegment:
    def test_nan_is_refused_by_default(self, gapped):
        _, y, fs = gapped
        with pytest.raises(ValueError, match="pass missing='unreadable'"):
            heartbeat.segment(y, fs)

    def test_the_gaps_stretches_are_unreadable_and_the_rest_unchanged(self, gapped):
        x, y, fs = gapped
        clean = heartbeat.segment(x, fs)
        beats = heartbeat.segment(y, fs, missing="unreadable")
        # the 2 s stretches holding a missing sample, and nothing else here
        np.testing.assert_array_equal(beats.unreadable / fs, [[40.0, 46.0], [80.0, 82.0]])
        assert not inside(beats.r_peaks, beats.unreadable).any()
        outside = clean.r_peaks[~inside(clean.r_peaks, beats.unreadable)]
        np.testing.assert_array_equal(beats.r_peaks, outside)

    def test_quality_off_still_marks_them(self, gapped):
        x, y, fs = gapped
        beats = heartbeat.segment(y, fs, missing="unreadable", quality=False)
        np.testing.assert_array_equal(beats.unreadable / fs, [[40.0, 46.0], [80.0, 82.0]])
        assert np.isnan(beats.quality).all()  # no beat of a gap's stretch is returned
        clean = heartbeat.segment(x, fs, quality=False)
        outside = clean.r_peaks[~inside(clean.r_peaks, beats.unreadable)]
        np.testing.assert_array_equal(beats.r_peaks, outside)

    def test_given_peaks_in_a_gap_yield_no_beat(self, gapped):
        x, y, fs = gapped
        peaks = heartbeat.segment(x, fs).r_peaks  # as annotations would give them
        beats = heartbeat.segment(y, fs, r_peaks=peaks, missing="unreadable")
        np.testing.assert_array_equal(beats.r_peaks,
                                      peaks[~inside(peaks, beats.unreadable)])

    def test_the_paper_rule_reads_around_them_too(self, gapped):
        _, y, fs = gapped
        beats = heartbeat.segment(y, fs, detector="kachuee2018", missing="unreadable")
        assert len(beats.unreadable) >= 2
        assert not inside(beats.r_peaks, beats.unreadable).any()


class TestClassify:
    def test_beats_in_the_gaps_stretches_are_unreadable(self, gapped):
        _, y, fs = gapped
        result = heartbeat.classify(y, fs, missing="unreadable")
        in_gap = inside(result.r_peaks, result.beats.unreadable)
        assert in_gap.any()
        assert set(result.reasons[in_gap]) == {"unreadable"}
        assert set(result.labels[in_gap]) == {"?"}

    def test_quality_off_still_withholds_them(self, gapped):
        _, y, fs = gapped
        result = heartbeat.classify(y, fs, missing="unreadable", quality=False)
        in_gap = inside(result.r_peaks, result.beats.unreadable)
        assert in_gap.any() and set(result.reasons[in_gap]) == {"unreadable"}
        assert not (result.reasons[~in_gap] == "unreadable").any()

    def test_no_rr_interval_spans_the_gap(self, gapped):
        # the 5 s gap would be an RR interval of ~6 s: the beats after it would look
        # early against a local mean it inflates, and be called S
        x, y, fs = gapped
        clean = heartbeat.classify(x, fs)
        result = heartbeat.classify(y, fs, missing="unreadable")
        kept = result.reasons != "unreadable"
        same = np.isin(clean.r_peaks, result.r_peaks[kept])
        np.testing.assert_array_equal(result.labels[kept], clean.labels[same])

    def test_a_gap_of_one_lead_leaves_the_other_readable(self, gapped):
        x, y, fs = gapped
        other = load_example("100").signal[:, 1]
        both = np.column_stack([y, other])
        on_gapped = heartbeat.classify(both, fs, missing="unreadable", lead=0)
        on_other = heartbeat.classify(both, fs, missing="unreadable", lead=1)
        assert len(on_gapped.beats.unreadable) == 2
        assert len(on_other.beats.unreadable) == 0
        # the peaks come from both leads, so the gap hides no beat: the beats in it are
        # found (on lead 1) and cut from lead 0 they are unreadable
        np.testing.assert_array_equal(on_gapped.r_peaks, on_other.r_peaks)
        in_gap = inside(on_gapped.r_peaks, on_gapped.beats.unreadable)
        assert in_gap.sum() >= 6 and set(on_gapped.reasons[in_gap]) == {"unreadable"}
        assert not (on_other.reasons == "unreadable").any()
        # in the vote the gapped lead is absent where it has gaps: no beat is lost
        clean = heartbeat.classify(np.column_stack([x, other]), fs, lead=1)
        assert len(on_other) == len(clean)
        np.testing.assert_array_equal(on_other.labels, clean.labels)


class TestCommandLine:
    @pytest.fixture
    def npy(self, gapped, tmp_path) -> tuple[Path, str]:
        _, y, fs = gapped
        path = tmp_path / "gapped.npy"
        np.save(path, y)
        return path, str(fs)

    def test_predict_reads_around_and_says_so(self, npy, tmp_path, capsys):
        path, fs = npy
        out = tmp_path / "beats.csv"
        assert main(["predict", str(path), "--fs", fs, "--out", str(out)]) == 0
        err = capsys.readouterr().err
        assert "1801 missing sample(s) (NaN: invalid in the input) in 2 gap(s)" in err
        assert "2 unreadable stretch(es), 8.0 s in all" in err
        assert ",unreadable," in out.read_text()

    def test_a_csv_with_empty_cells(self, gapped, tmp_path, capsys):
        _, y, fs = gapped
        rows = [f"{i / fs:.6f}," + ("" if np.isnan(v) else f"{v:.3f}") for i, v in
                enumerate(y)]
        path = tmp_path / "monitor.csv"
        path.write_text("time_s,ecg_mV\n" + "\n".join(rows) + "\n")
        assert main(["predict", str(path), "--out", str(tmp_path / "b.csv")]) == 0
        assert "1801 missing sample(s)" in capsys.readouterr().err

    def test_plot_record_marks_the_peaks_around_a_gap(self, npy, tmp_path, capsys):
        pytest.importorskip("matplotlib", reason="matplotlib not installed (pip install "
                            "'heartbeat-ecg[plot]')")
        path, fs = npy
        assert main(["plot", "record", str(path), "--fs", fs, "--start", "35",
                     "--duration", "15", "--out", str(tmp_path / "r.png")]) == 0
        out = capsys.readouterr().out
        # 35-50 s of the 100 excerpt hold 19 beats, 8 of them in the gap's stretches
        # (40-46 s: the record's 2 s grid, as predict reads them)
        assert "11 R peaks detected in the view (none where samples are invalid)" in out

    def test_plot_record_shows_low_quality_peaks_as_a_finite_view_does(self, gapped,
                                                                        tmp_path, capsys):
        pytest.importorskip("matplotlib", reason="matplotlib not installed (pip install "
                            "'heartbeat-ecg[plot]')")
        _, y, fs = gapped
        counts = []
        for clipped in (False, True):
            z = y.copy()
            if clipped:  # saturated: the quality index calls 50-54 s unreadable
                a, b = int(50 * fs), int(54 * fs)
                z[a:b] = np.clip(5 * z[a:b], -1, 1)
            path = tmp_path / f"clipped{clipped}.npy"
            np.save(path, z)
            assert main(["plot", "record", str(path), "--fs", str(fs), "--start", "35",
                         "--duration", "25", "--out", str(tmp_path / "r.png")]) == 0
            out = capsys.readouterr().out
            counts.append(int(out.split(" R peaks detected in the view")[0].split()[-1]))
        # only the gap's stretches lose their peaks; the saturated beats are shown
        assert counts[1] == counts[0] > 20

    def test_missing_error_refuses_the_input(self, npy, tmp_path, capsys):
        path, fs = npy
        status = main(["predict", str(path), "--fs", fs, "--missing", "error"])
        assert status == 2
        assert "1801 NaN value(s)" in capsys.readouterr().err

    def test_segment_and_report_take_the_option(self, npy, tmp_path):
        path, fs = npy
        assert main(["segment", str(path), "--fs", fs, "--out",
                     str(tmp_path / "b.npz")]) == 0
        with np.load(tmp_path / "b.npz") as data:
            assert len(data["unreadable"]) == 2
        assert main(["report", str(path), "--fs", fs, "--out",
                     str(tmp_path / "r.html")]) == 0


def test_an_icu_record_with_invalid_samples(wfdb_samples_dir):
    """v102s (PhysioNet/CinC 2015) holds three invalid samples on lead II."""
    record = heartbeat.read_record(wfdb_samples_dir / "v102s", channels=["II"])
    x = record.signal[:, 0]
    assert np.isnan(x).sum() == 3
    result = heartbeat.classify(x, record.fs, missing="unreadable")
    assert len(result.beats.unreadable) == 3
    assert (result.reasons == "unreadable").sum() < 0.05 * len(result)
