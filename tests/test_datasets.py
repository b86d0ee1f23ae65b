"""Tests for heartbeat.datasets: beat and window sets, splits, Kaggle files, caching.

Real-data tests build sets from two or three MIT-BIH records (fixture ``mitdb_dir``);
the whole-database numbers are in docs/datasets.md with the command that made them.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heartbeat import datasets as ds
from heartbeat.aami import CLASSES
from heartbeat.context import rr_features
from heartbeat.datasets import (
    DS1,
    DS2,
    PACED,
    RECORDS,
    BeatSet,
    Split,
    WindowSet,
    concatenate,
    inter_patient_split,
    load_kaggle_mitbih,
    load_kaggle_ptb,
    mitbih_beats,
    mitbih_windows,
    train_test_split,
)


def make_beats(y, records=None, rr=None) -> BeatSet:
    y = np.asarray(y, dtype=np.int8)
    n = len(y)
    if records is None:
        records = ["100"] * n
    x = np.arange(n * 187, dtype=np.float32).reshape(n, 187)
    rr = np.ones((n, 3), np.float32) if rr is None else rr
    return BeatSet(x, y, np.asarray(records), np.arange(n, dtype=np.int64) * 10, rr)


def make_windows(y, records=None) -> WindowSet:
    y = np.asarray(y, dtype=np.int8)
    n = len(y)
    records = ["100"] * n if records is None else records
    return WindowSet(
        x=np.arange(n * 8, dtype=np.float32).reshape(n, 8), y=y, record=np.asarray(records),
        sample=np.arange(n, dtype=np.int64), aami=(2 * y).astype(np.int8), fs=360.0,
    )


class TestConstants:
    def test_records_and_splits(self):
        assert len(RECORDS) == 48 and len(set(RECORDS)) == 48
        assert len(DS1) == 22 and len(DS2) == 22
        assert not set(DS1) & set(DS2)
        assert set(DS1) | set(DS2) | set(PACED) == set(RECORDS)

    def test_splits_match_the_data_readme(self, mitdb_dir):
        text = (mitdb_dir.parent / "README.md").read_text()
        for name, records in (("DS1", DS1), ("DS2", DS2)):
            listed = re.search(rf"{name} = ([0-9\s]+)", text)
            assert listed is not None and tuple(listed[1].split()) == records
        assert tuple((mitdb_dir / "RECORDS").read_text().split()) == RECORDS

    def test_kaggle_counts(self):
        assert sum(ds.KAGGLE_MITBIH_COUNTS.values()) == 109_446
        assert tuple(ds.KAGGLE_MITBIH_COUNTS) == CLASSES


class TestBeatSet:
    def test_len_and_indexing(self):
        beats = make_beats([0, 1, 2, 0, 4], records=["100", "100", "101", "101", "102"])
        assert len(beats) == 5
        sub = beats[beats.y == 0]
        assert isinstance(sub, BeatSet) and sub.sample.tolist() == [0, 30]
        assert beats[[4, 0]].y.tolist() == [4, 0]
        assert beats[np.array([], dtype=np.int64)].x.shape == (0, 187)
        assert len(beats[2]) == 1 and beats[2].record.tolist() == ["101"]
        assert beats[1:3].y.tolist() == [1, 2]
        np.testing.assert_array_equal(beats[np.int64(3)].x, beats.x[3:4])

    def test_bad_indices(self):
        beats = make_beats([0, 1])
        with pytest.raises(IndexError, match="boolean index has shape"):
            beats[np.array([True])]
        with pytest.raises(IndexError, match="bool mask or integers"):
            beats[np.array([0.5])]

    def test_class_counts_and_has_rr(self):
        beats = make_beats([0, 0, 3])
        assert beats.class_counts().tolist() == [2, 0, 0, 1, 0]
        assert beats.has_rr
        nan_rr = np.full((3, 3), np.nan, np.float32)
        assert not dataclasses.replace(beats, rr=nan_rr).has_rr

    def test_is_frozen(self):
        beats = make_beats([0])
        with pytest.raises(dataclasses.FrozenInstanceError):
            beats.y = np.array([1], np.int8)

    def test_checks_shapes_and_codes(self):
        good = make_beats([0, 1])
        with pytest.raises(ValueError, match="record has 1 rows but y has 2"):
            dataclasses.replace(good, record=np.array(["100"]))
        with pytest.raises(ValueError, match=r"rr must have shape \(2, 3\)"):
            dataclasses.replace(good, rr=np.ones((2, 2), np.float32))
        with pytest.raises(TypeError, match="y must be int8"):
            dataclasses.replace(good, y=np.array([0, 1]))
        with pytest.raises(ValueError, match="class codes 0-4"):
            dataclasses.replace(good, y=np.array([0, 5], np.int8))
        with pytest.raises(ValueError, match="x must be 2-D"):
            dataclasses.replace(good, x=np.zeros(2, np.float32))

    def test_save_load_roundtrip(self, tmp_path):
        beats = dataclasses.replace(
            make_beats([0, 2, 4], records=["100", "232", "232"]), n_unmatched=3, n_missed=2
        )
        path = beats.save(tmp_path / "beats")
        assert path.name == "beats.npz"
        with np.load(path, allow_pickle=False) as data:  # plain arrays only
            assert data["record"].dtype.kind == "U"
        back = BeatSet.load(path)
        for f in dataclasses.fields(BeatSet):
            np.testing.assert_array_equal(getattr(back, f.name), getattr(beats, f.name))
            assert np.asarray(getattr(back, f.name)).dtype == np.asarray(
                getattr(beats, f.name)).dtype
        assert back.classes == CLASSES and back.n_unmatched == 3 and back.n_missed == 2
        with pytest.raises(ValueError, match="does not hold a saved WindowSet"):
            WindowSet.load(path)


class TestWindowSet:
    def test_fields_follow_indexing(self):
        w = make_windows([0, 1, 1])
        sub = w[w.y == 1]
        assert sub.aami.tolist() == [2, 2] and sub.fs == 360.0
        assert w.class_counts().tolist() == [1, 2]

    def test_save_load(self, tmp_path):
        w = dataclasses.replace(make_windows([1, 0]), n_dropped=4)
        back = WindowSet.load(w.save(tmp_path / "w.npz"))
        assert back.n_dropped == 4 and back.fs == 360.0 and back.classes == w.classes
        np.testing.assert_array_equal(back.x, w.x)


class TestConcatenate:
    def test_joins_in_order_and_sums_counts(self):
        a = dataclasses.replace(make_beats([0, 1], records=["100", "100"]), n_unmatched=1)
        b = dataclasses.replace(make_beats([2], records=["2010"]), n_missed=2)
        c = concatenate([a, b])
        assert c.y.tolist() == [0, 1, 2]
        assert c.record.tolist() == ["100", "100", "2010"]
        assert (c.n_unmatched, c.n_missed) == (1, 2)
        np.testing.assert_array_equal(c.x, np.concatenate([a.x, b.x]))

    def test_refuses_mixed_sets(self):
        with pytest.raises(ValueError, match="sets is empty"):
            concatenate([])
        with pytest.raises(ValueError, match="is a WindowSet"):
            concatenate([make_beats([0]), make_windows([0])])
        ptb = dataclasses.replace(make_beats([0]), classes=("normal", "abnormal"))
        with pytest.raises(ValueError, match="classes"):
            concatenate([make_beats([0]), ptb])
        other_fs = dataclasses.replace(make_windows([0]), fs=250.0)
        with pytest.raises(ValueError, match=r"sets\[1\]\.fs=250\.0"):
            concatenate([make_windows([0]), other_fs])
        with pytest.raises(TypeError, match="must hold BeatSet or WindowSet"):
            concatenate([np.zeros(3)])

    @given(st.lists(st.lists(st.integers(0, 4), max_size=5), min_size=1, max_size=4))
    def test_index_then_concatenate_is_identity(self, labels):
        sets = [make_beats(y) for y in labels]
        joined = concatenate(sets)
        assert len(joined) == sum(len(s) for s in sets)
        mask = joined.y % 2 == 0
        back = concatenate([joined[mask], joined[~mask]])
        assert sorted(back.x[:, 0].tolist()) == sorted(joined.x[:, 0].tolist())


class TestTrainTestSplit:
    def test_stratified_item_split(self):
        beats = make_beats([0] * 50 + [1] * 10 + [2] * 5)
        train, test = train_test_split(beats, test_size=0.2, seed=3)
        assert test.class_counts().tolist() == [10, 2, 1, 0, 0]
        assert len(train) + len(test) == len(beats)
        assert not set(train.sample.tolist()) & set(test.sample.tolist())
        assert np.all(np.diff(test.sample) > 0)  # original order kept

    def test_seeded(self):
        beats = make_beats([0] * 30 + [1] * 30)
        a = train_test_split(beats, seed=7)
        b = train_test_split(beats, seed=7)
        c = train_test_split(beats, seed=8)
        assert isinstance(a, Split)
        np.testing.assert_array_equal(a.test.sample, b.test.sample)
        assert a.test.sample.tolist() != c.test.sample.tolist()

    def test_unstratified(self):
        beats = make_beats([0] * 90 + [1] * 10)
        _, test = train_test_split(beats, test_size=0.3, stratify=False, seed=0)
        assert len(test) == 30

    def test_by_record_keeps_records_whole(self):
        records = [f"r{i}" for i in range(10) for _ in range(20)]
        y = np.tile(np.r_[np.zeros(18), np.ones(2)], 10)
        beats = make_beats(y, records=records)
        train, test = train_test_split(beats, test_size=0.3, by_record=True, seed=0)
        assert not set(train.record) & set(test.record)
        assert len(test) == 60
        assert test.class_counts()[1] == 6

    def test_by_record_uneven_records(self):
        rng = np.random.default_rng(0)
        sizes = rng.integers(5, 200, size=15)
        records = np.repeat([f"{i:03d}" for i in range(15)], sizes)
        y = rng.integers(0, 3, size=len(records))
        beats = make_beats(y, records=records)
        for seed in range(5):
            train, test = train_test_split(beats, test_size=0.25, by_record=True, seed=seed)
            assert len(train) and len(test)
            assert not set(train.record) & set(test.record)
            assert abs(len(test) / len(beats) - 0.25) < 0.1

    def test_windows(self):
        w = make_windows([0] * 10 + [1] * 10)
        _, test = train_test_split(w, test_size=0.5)
        assert isinstance(test, WindowSet) and test.class_counts().tolist() == [5, 5]

    def test_bad_arguments(self):
        beats = make_beats([0, 1, 0, 1])
        for bad in (0, 1, 1.5, -0.1, float("nan")):
            with pytest.raises(ValueError, match="test_size"):
                train_test_split(beats, test_size=bad)
        for bad in (True, "0.2"):  # a wrong type is a TypeError
            with pytest.raises(TypeError, match="test_size"):
                train_test_split(beats, test_size=bad)
        with pytest.raises(ValueError, match="empty"):
            train_test_split(make_beats([]))
        with pytest.raises(ValueError, match="at least two records"):
            train_test_split(beats, by_record=True)
        with pytest.raises(TypeError, match="BeatSet or WindowSet"):
            train_test_split(np.zeros((4, 187)))

    @given(st.lists(st.integers(0, 4), min_size=1, max_size=60), st.integers(0, 2**32 - 1))
    def test_partition(self, y, seed):
        beats = make_beats(y)
        train, test = train_test_split(beats, test_size=0.25, seed=seed)
        assert sorted([*train.sample.tolist(), *test.sample.tolist()]) == beats.sample.tolist()


class TestInterPatientSplit:
    def test_ds1_ds2(self):
        beats = make_beats([0] * 4, records=["101", "100", "104", "234"])
        train, test = inter_patient_split(beats)
        assert train.record.tolist() == ["101"]
        assert test.record.tolist() == ["100", "234"]  # paced 104 left out

    def test_custom_and_errors(self):
        beats = make_beats([0, 1], records=["100", "101"])
        train, test = inter_patient_split(beats, train=["100"], test=["101"])
        assert train.y.tolist() == [0] and test.y.tolist() == [1]
        with pytest.raises(ValueError, match=r"share records \['100'\]"):
            inter_patient_split(beats, train=["100"], test=["100"])
        with pytest.raises(ValueError, match="no item of data comes from the test records"):
            inter_patient_split(beats, train=["100"], test=["200"])
        kaggle = make_beats([0, 1], records=["", ""])
        with pytest.raises(ValueError, match="Kaggle files"):
            inter_patient_split(kaggle)


def _write_csv(path: Path, rows: np.ndarray) -> Path:
    np.savetxt(path, rows, delimiter=",", fmt="%.18e")  # the Kaggle files' number format
    return path


class TestLoadKaggleMitbih:
    def test_reads_samples_and_labels(self, tmp_path):
        rng = np.random.default_rng(0)
        samples = rng.random((6, 187))
        labels = np.array([0, 1, 2, 3, 4, 0])
        path = _write_csv(tmp_path / "mitbih_test.csv", np.column_stack([samples, labels]))
        beats = load_kaggle_mitbih(path)
        assert beats.x.dtype == np.float32 and beats.x.shape == (6, 187)
        np.testing.assert_allclose(beats.x, samples, rtol=1e-6)
        assert beats.y.dtype == np.int8 and beats.y.tolist() == labels.tolist()
        assert beats.classes == CLASSES
        assert beats.record.tolist() == [""] * 6 and beats.sample.tolist() == list(range(6))
        assert not beats.has_rr

    @pytest.mark.parametrize(
        ("mutate", "match"),
        [
            (lambda t: t[:, 1:], "has 187 columns, expected 188"),
            (lambda t: np.column_stack([t, t[:, :1]]), "has 189 columns"),
            (lambda t: np.where(np.arange(t.size).reshape(t.shape) == 5, np.nan, t),
             "NaN or infinite value.*row 0, column 5"),
            (lambda t: np.column_stack([t[:, :-1], [0, 5, 0]]), "row 1 has label 5.0"),
            (lambda t: np.column_stack([t[:, :-1], [0, -1, 0]]), "row 1 has label -1.0"),
            (lambda t: np.column_stack([t[:, :-1], [0, 1.5, 0]]), "whole numbers 0-4"),
        ],
    )
    def test_bad_tables(self, tmp_path, mutate, match):
        table = np.column_stack([np.zeros((3, 187)), [0, 1, 2]])
        path = _write_csv(tmp_path / "bad.csv", mutate(table))
        with pytest.raises(ValueError, match=match):
            load_kaggle_mitbih(path)

    def test_ragged_rows_and_missing_files(self, tmp_path):
        path = tmp_path / "ragged.csv"
        path.write_text(",".join(["0"] * 188) + "\n" + ",".join(["0"] * 100) + "\n")
        with pytest.raises(ValueError, match="every row must hold 188 comma-separated"):
            load_kaggle_mitbih(path)
        (tmp_path / "empty.csv").write_text("")
        with pytest.raises(ValueError, match="holds no rows"):
            load_kaggle_mitbih(tmp_path / "empty.csv")
        with pytest.raises(ValueError, match="is not a file"):
            load_kaggle_mitbih(tmp_path / "nope.csv")
        with pytest.raises(TypeError, match="file path"):
            load_kaggle_mitbih(3)


class TestLoadKagglePtb:
    def test_two_files_two_classes(self, tmp_path):
        normal = _write_csv(tmp_path / "ptbdb_normal.csv",
                            np.column_stack([np.full((2, 187), 0.25), [0, 0]]))
        abnormal = _write_csv(tmp_path / "ptbdb_abnormal.csv",
                              np.column_stack([np.full((3, 187), 0.5), [1, 1, 1]]))
        ptb = load_kaggle_ptb(normal, abnormal)
        assert ptb.classes == ("normal", "abnormal")
        assert ptb.y.tolist() == [0, 0, 1, 1, 1]
        assert ptb.sample.tolist() == [0, 1, 0, 1, 2]
        assert ptb.class_counts().tolist() == [2, 3]

    def test_refuses_five_class_labels(self, tmp_path):
        path = _write_csv(tmp_path / "p.csv", np.column_stack([np.zeros((2, 187)), [0, 2]]))
        with pytest.raises(ValueError, match=r"row 1 has label 2\.0.*0-1"):
            load_kaggle_ptb(path)
        with pytest.raises(ValueError, match="at least one path"):
            load_kaggle_ptb()


class TestArgumentChecks:
    """Errors raised before any record is read."""

    @pytest.mark.parametrize("build", [mitbih_beats, mitbih_windows])
    def test_records(self, build, tmp_path):
        with pytest.raises(ValueError, match=r"records \['999'\] are not MIT-BIH records"):
            build(tmp_path, ["100", "999"])
        with pytest.raises(ValueError, match="records is empty"):
            build(tmp_path, [])
        with pytest.raises(ValueError, match="lists a record twice"):
            build(tmp_path, ["100", 100])
        with pytest.raises(TypeError, match="list of record names"):
            build(tmp_path, 1.5)

    @pytest.mark.parametrize("build", [mitbih_beats, mitbih_windows])
    def test_data_dir_without_records(self, build, tmp_path):
        with pytest.raises(ValueError, match=r"lacks 2 record\(s\) \(100, 101.*heartbeat downl"):
            build(tmp_path, ["100", "101"])
        with pytest.raises(ValueError, match=r"is not a folder.*heartbeat download mitdb"):
            build(tmp_path / "missing", ["100"])
        with pytest.raises(TypeError, match="data_dir must be a folder path"):
            build(None, ["100"])

    @pytest.mark.parametrize("build", [mitbih_beats, mitbih_windows])
    def test_missing_annotation_file(self, build, tmp_path, mitdb_dir):
        for ext in ("hea", "dat"):
            shutil.copyfile(mitdb_dir / f"100.{ext}", tmp_path / f"100.{ext}")
        with pytest.raises(ValueError, match=r"lacks the annotation file of record\(s\) 100"):
            build(tmp_path, ["100"])

    @pytest.mark.parametrize("build", [mitbih_beats, mitbih_windows])
    def test_channel_type(self, build, mitdb_dir):
        with pytest.raises(ValueError, match="channel=-1 must be >= 0"):
            build(mitdb_dir, ["100"], channel=-1)
        with pytest.raises(TypeError, match="channel must be an integer"):
            build(mitdb_dir, ["100"], channel=1.0)

    def test_beat_options(self, mitdb_dir):
        with pytest.raises(ValueError, match="peaks='rpeaks' must be one of"):
            mitbih_beats(mitdb_dir, ["100"], peaks="rpeaks")
        with pytest.raises(ValueError, match="tolerance_s"):
            mitbih_beats(mitdb_dir, ["100"], tolerance_s=0)

    def test_window_options(self, mitdb_dir):
        with pytest.raises(ValueError, match="normal='x'"):
            mitbih_windows(mitdb_dir, ["100"], normal="x")
        with pytest.raises(ValueError, match="dtype='int16'"):
            mitbih_windows(mitdb_dir, ["100"], dtype="int16")
        with pytest.raises(ValueError, match="half_width_s"):
            mitbih_windows(mitdb_dir, ["100"], half_width_s=-2)

    def test_cache_dir_type(self, mitdb_dir):
        with pytest.raises(TypeError, match="cache_dir"):
            mitbih_windows(mitdb_dir, ["100"], cache_dir=5, quiet=True)


def test_rr_features_is_exported():
    from heartbeat.context import rr_features

    assert ds.rr_features is rr_features


def test_download_is_exported():
    from heartbeat.io.physionet import download

    assert ds.download is download


# --------------------------------------------------------------------------- real records
# Class counts per record from the MIT-BIH Arrhythmia Database Directory (Table of beat
# types), mapped to AAMI classes: 100 has 2239 N, 33 A, 1 V; 208 has 1586 N, 2 A,
# 992 V, 373 F, 2 Q.
RECORD_COUNTS = {"100": [2239, 33, 1, 0, 0], "208": [1586, 2, 992, 373, 2]}
TWO = ["100", "208"]


def _annotated_beats(mitdb_dir, name):
    from heartbeat.aami import class_codes, is_beat
    from heartbeat.io import read_annotations

    ann = read_annotations(mitdb_dir / name)
    beat = is_beat(ann.symbol)
    return np.asarray(ann.sample)[beat], class_codes(np.asarray(ann.symbol)[beat])


def _assert_same(a, b):
    assert type(a) is type(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


@pytest.fixture(scope="module")
def two_records(mitdb_dir):
    return mitbih_beats(mitdb_dir, TWO, quiet=True)


class TestMitbihBeats:
    def test_annotation_peaks(self, two_records, mitdb_dir):
        beats = two_records
        assert beats.x.dtype == np.float32 and beats.x.shape == (len(beats), 187)
        assert beats.y.dtype == np.int8 and beats.rr.dtype == np.float32
        assert beats.n_unmatched == 0
        for name in TWO:
            part = beats[beats.record == name]
            samples, codes = _annotated_beats(mitdb_dir, name)
            # every annotated beat is cut, with its own label, in time order
            assert part.sample.tolist() == samples.tolist()
            assert part.y.tolist() == codes.tolist()
            assert part.class_counts().tolist() == RECORD_COUNTS[name]
        assert beats.n_missed == 0
        assert beats.has_rr and np.all(beats.rr > 0)
        # the Kachuee beats: scaled to [0, 1] with a zero-padded tail
        assert beats.x.min() >= 0 and beats.x.max() <= 1
        assert np.all(beats.x[:, -1] == 0)

    def test_rr_features_follow_the_annotations(self, two_records, mitdb_dir):
        part = two_records[two_records.record == "208"]
        samples, _ = _annotated_beats(mitdb_dir, "208")
        np.testing.assert_array_equal(part.rr, rr_features(samples, 360.0))

    def test_detector_peaks(self, mitdb_dir):
        beats = mitbih_beats(mitdb_dir, ["100"], peaks="detector", quiet=True)
        samples, codes = _annotated_beats(mitdb_dir, "100")
        j = np.searchsorted(samples, beats.sample)
        j = np.clip(j, 1, len(samples) - 1)
        nearest = np.where(
            np.abs(samples[j - 1] - beats.sample) <= np.abs(samples[j] - beats.sample), j - 1, j
        )
        assert np.all(np.abs(samples[nearest] - beats.sample) <= 0.15 * 360)
        assert np.array_equal(beats.y, codes[nearest])
        assert len(beats) + beats.n_missed == len(samples)
        assert beats.n_missed < 0.01 * len(samples) and beats.n_unmatched < 0.01 * len(samples)
        assert len(np.unique(beats.sample)) == len(beats)

    def test_same_result_with_a_process_pool(self, two_records, mitdb_dir):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # "spawn" (the default on macOS and Windows) pickles everything a worker needs
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(2, mp_context=spawn) as pool:
            pooled = mitbih_beats(mitdb_dir, TWO, executor=pool, quiet=True)
        _assert_same(pooled, two_records)

    def test_same_result_on_a_dask_cluster(self, mitdb_dir):
        distributed = pytest.importorskip(
            "distributed",
            reason="dask.distributed not installed: pip install 'heartbeat-ecg[dask]'",
        )
        serial = mitbih_windows(mitdb_dir, ["100", "101"], quiet=True)
        with (
            distributed.LocalCluster(
                processes=True, n_workers=1, threads_per_worker=2, host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            remote = mitbih_windows(
                mitdb_dir, ["100", "101"], executor=client.get_executor(), quiet=True
            )
        _assert_same(remote, serial)

    def test_cache(self, mitdb_dir, tmp_path, monkeypatch, two_records):
        first = mitbih_beats(mitdb_dir, TWO, cache_dir=tmp_path, quiet=True)
        files = list(tmp_path.glob("BeatSet-*.npz"))
        assert len(files) == 1
        _assert_same(first, two_records)

        def no_rebuild(*args, **kwargs):
            raise AssertionError("rebuilt instead of loading the cache")

        monkeypatch.setattr("heartbeat.datasets.mitbih.map_records", no_rebuild)
        _assert_same(mitbih_beats(mitdb_dir, TWO, cache_dir=tmp_path, quiet=True), first)
        # other parameters -> another file (and a build, refused here)
        with pytest.raises(AssertionError, match="rebuilt"):
            mitbih_beats(mitdb_dir, ["100"], cache_dir=tmp_path, quiet=True)
        assert len(list(tmp_path.glob("*.npz"))) == 1

    def test_a_detector_change_is_a_new_cache_file(self, mitdb_dir, tmp_path, monkeypatch):
        from heartbeat import detect
        from heartbeat.datasets.mitbih import _detector_fingerprint

        before = _detector_fingerprint("robust")
        monkeypatch.setitem(detect.RULE, "floor_low_on_time", 0.0)
        assert _detector_fingerprint("robust") != before
        mitbih_beats(mitdb_dir, ["100"], peaks="detector", cache_dir=tmp_path, quiet=True)
        monkeypatch.setitem(detect.RULE, "floor_low_on_time", 0.1)
        mitbih_beats(mitdb_dir, ["100"], peaks="detector", cache_dir=tmp_path, quiet=True)
        assert len(list(tmp_path.glob("BeatSet-*.npz"))) == 2
        # the annotated cut does not depend on the detector: one file for both
        for value in (0.0, 0.1):
            monkeypatch.setitem(detect.RULE, "floor_low_on_time", value)
            mitbih_beats(mitdb_dir, ["100"], cache_dir=tmp_path, quiet=True)
        assert len(list(tmp_path.glob("BeatSet-*.npz"))) == 3

    def test_channel_out_of_range(self, mitdb_dir, tmp_path):
        with pytest.raises(ValueError, match=r"channel=2 is out of range: record 100 has 2"):
            mitbih_beats(mitdb_dir, ["100"], channel=2, cache_dir=tmp_path)
        assert not list(tmp_path.iterdir())

    def test_second_lead_is_a_training_view(self, mitdb_dir, two_records):
        # the annotations hold for both leads: lead 1 (V5 / V1 / ...) gives the same
        # beats, labels and RR features from another waveform
        lead1 = mitbih_beats(mitdb_dir, TWO, channel=1, quiet=True)
        assert np.array_equal(lead1.y, two_records.y)
        assert np.array_equal(lead1.sample, two_records.sample)
        assert np.array_equal(lead1.record, two_records.record)
        assert np.array_equal(lead1.rr, two_records.rr)
        assert lead1.x.shape == two_records.x.shape
        corr = np.corrcoef(lead1.x[:, :60].ravel(), two_records.x[:, :60].ravel())[0, 1]
        assert corr < 0.95  # another lead's shape, not a copy of MLII

    def test_fs_mismatch(self, mitdb_dir, tmp_path):
        with pytest.raises(ValueError, match=r"record 100 is sampled at 360 Hz, not fs=250"):
            mitbih_beats(mitdb_dir, ["100"], fs=250.0, cache_dir=tmp_path)
        assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def windows_100(mitdb_dir):
    return mitbih_windows(mitdb_dir, ["100"], quiet=True)


class TestMitbihWindows:
    def test_windows_of_record_100(self, windows_100, mitdb_dir):
        from heartbeat.io import read_record

        w = windows_100
        samples, codes = _annotated_beats(mitdb_dir, "100")
        signal = read_record(mitdb_dir / "100").signal[:, 0]
        assert w.x.shape == (len(w), 1440) and w.x.dtype == np.float32 and w.fs == 360.0
        inside = (samples >= 720) & (samples + 720 <= len(signal))
        assert w.n_dropped == int((~inside).sum()) and len(w) + w.n_dropped == len(samples)
        assert w.sample.tolist() == samples[inside].tolist()
        assert w.aami.tolist() == codes[inside].tolist()
        assert w.y.tolist() == (codes[inside] != 0).astype(int).tolist()
        assert w.class_counts().tolist() == [2239 - (~inside).sum(), 34]
        for i in (0, len(w) // 2, len(w) - 1):
            s = w.sample[i]
            np.testing.assert_array_equal(w.x[i], signal[s - 720 : s + 720].astype(np.float32))

    def test_half_width_dtype_and_symbol_labels(self, mitdb_dir, windows_100):
        w = mitbih_windows(mitdb_dir, ["208"], half_width_s=0.5, dtype="float16",
                           normal="symbol", quiet=True)
        assert w.x.shape[1] == 360 and w.x.dtype == np.float16
        samples, _ = _annotated_beats(mitdb_dir, "208")
        assert len(w) == len(samples) - w.n_dropped
        # in 208 the only AAMI-N beats are symbol N, so both label rules agree there
        assert w.y.tolist() == (w.aami != 0).astype(int).tolist()
        # a narrower window is the middle of the wide one
        narrow = mitbih_windows(mitdb_dir, ["100"], half_width_s=0.5, quiet=True)
        assert len(narrow) >= len(windows_100)
        common = np.isin(narrow.sample, windows_100.sample)
        np.testing.assert_array_equal(narrow.x[common], windows_100.x[:, 720 - 180 : 720 + 180])

    def test_symbol_rule_differs_from_aami_for_bundle_branch_block(self, mitdb_dir):
        # record 109 is left bundle branch block: AAMI N, but not symbol N
        aami = mitbih_windows(mitdb_dir, ["109"], half_width_s=0.2, quiet=True)
        symbol = mitbih_windows(mitdb_dir, ["109"], half_width_s=0.2, normal="symbol",
                                quiet=True)
        assert aami.class_counts()[0] > 2000 and symbol.class_counts()[0] == 0

    def test_same_result_with_a_process_pool(self, mitdb_dir, windows_100):
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(2) as pool:
            pooled = mitbih_windows(mitdb_dir, ["100"], executor=pool, quiet=True)
        _assert_same(pooled, windows_100)

    def test_cache_roundtrip(self, mitdb_dir, tmp_path, windows_100):
        a = mitbih_windows(mitdb_dir, ["100"], cache_dir=tmp_path, quiet=True)
        (path,) = tmp_path.glob("WindowSet-*.npz")
        b = mitbih_windows(mitdb_dir, ["100"], cache_dir=tmp_path, quiet=True)
        _assert_same(a, b)
        _assert_same(a, windows_100)
        path.write_bytes(b"not a zip file")  # a damaged cache is rebuilt
        _assert_same(mitbih_windows(mitdb_dir, ["100"], cache_dir=tmp_path, quiet=True), a)

    def test_records_with_different_fs(self, mitdb_dir, tmp_path):
        for name in ("100", "101"):
            for ext in ("hea", "dat", "atr"):
                shutil.copyfile(mitdb_dir / f"{name}.{ext}", tmp_path / f"{name}.{ext}")
        hea = (tmp_path / "101.hea").read_bytes()
        (tmp_path / "101.hea").write_bytes(hea.replace(b"101 2 360 ", b"101 2 250 ", 1))
        cache = tmp_path / "cache"
        with pytest.raises(ValueError, match=r"sampling frequencies differ.*100 at 360 Hz"):
            mitbih_windows(tmp_path, ["100", "101"], cache_dir=cache, quiet=True)
        assert not cache.exists()

    def test_splits_on_real_sets(self, windows_100, two_records):
        train, test = train_test_split(windows_100, test_size=0.25, seed=0)
        assert len(train) + len(test) == len(windows_100)
        assert test.class_counts().tolist() == [round(0.25 * 2233), round(0.25 * 34)]
        train, test = inter_patient_split(two_records)  # 208 is in DS1, 100 in DS2
        assert set(train.record) == {"208"} and set(test.record) == {"100"}
        assert test.class_counts().tolist() == RECORD_COUNTS["100"]


def _cli_has_summary() -> bool:
    """True once the ``heartbeat`` CLI has its ``summary`` command."""
    import contextlib
    import io

    from heartbeat.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(["summary", "--help"])
        except SystemExit as exc:
            return exc.code == 0
    return False


@pytest.mark.skipif(not _cli_has_summary(), reason="the CLI has no summary command yet")
class TestSummaryCommand:
    """``heartbeat summary`` and its old spelling ``python -m heartbeat.datasets summary``."""

    def test_windows_summary(self, mitdb_dir, capsys, monkeypatch):
        import runpy

        monkeypatch.setattr("sys.argv", ["heartbeat.datasets", "summary", str(mitdb_dir),
                                         "--set", "windows", "--records", "100", "--per-record"])
        with pytest.raises(SystemExit) as exit_:
            runpy.run_module("heartbeat.datasets", run_name="__main__", alter_sys=True)
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert "windows: 2267 items, x (2267, 1440) float32" in out
        assert "windows dropped at record ends: 6" in out
        assert "100: normal 2233, abnormal 34" in out

    def test_beats_summary_compares_with_kaggle(self, mitdb_dir, capsys):
        from heartbeat.cli import main

        assert main(["summary", str(mitdb_dir), "--records", "100"]) == 0
        out = capsys.readouterr().out
        assert "beats: " in out and "kaggle" in out
        assert "    S       33     2779   -2746" in out
