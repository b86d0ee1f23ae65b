"""Tests for the classification part of heartbeat.metrics: confusion matrix and report."""

from __future__ import annotations

import dataclasses
import doctest
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heartbeat.metrics import (
    ClassificationReport,
    DetectionScore,
    accuracy,
    classification,
    classification_report,
    confusion_matrix,
    macro_f1,
)

# A 3-class worked example, counts chosen so that no figure equals another by symmetry
# (precision != recall for classes 0 and 2), which catches a transposed matrix:
#
#                predicted 0  predicted 1  predicted 2 | support
#   true 0            4            1            0      |   5
#   true 1            2            2            0      |   4
#   true 2            0            1            2      |   3
#   predicted         6            4            2      |  12 items
#
# class 0: TP 4, FN 1, FP 2 (the 2 of row 1), TN 12 - 4 - 1 - 2 = 5
#   Se = 4/5 = 0.8, +P = 4/6 = 0.6667, Spec = 5/7 = 0.7143, F1 = 8/(8+2+1) = 8/11
# class 1: TP 2, FN 2, FP 1 + 1 = 2, TN 12 - 2 - 2 - 2 = 6
#   Se = 2/4 = 0.5, +P = 2/4 = 0.5, Spec = 6/8 = 0.75, F1 = 4/(4+2+2) = 0.5
# class 2: TP 2, FN 1, FP 0, TN 12 - 2 - 1 - 0 = 9
#   Se = 2/3, +P = 2/2 = 1, Spec = 9/9 = 1, F1 = 4/(4+0+1) = 0.8
# accuracy = (4 + 2 + 2)/12 = 2/3
# macro-F1 = (8/11 + 0.5 + 0.8)/3 = 0.675758
# weighted-F1 = (5 * 8/11 + 4 * 0.5 + 3 * 0.8)/12 = 0.669697
WORKED_CM = np.array([[4, 1, 0], [2, 2, 0], [0, 1, 2]])
WORKED_PAIRS = (
    [(0, 0)] * 4 + [(0, 1)] + [(1, 0)] * 2 + [(1, 1)] * 2 + [(2, 1)] + [(2, 2)] * 2
)


def worked_labels(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array(WORKED_PAIRS)
    pairs = pairs[np.random.default_rng(seed).permutation(len(pairs))]
    return pairs[:, 0], pairs[:, 1]


labels = st.integers(1, 6).flatmap(
    lambda k: st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1,
                       max_size=80).map(lambda pairs: (k, pairs))
)


def per_class_counts(cm: np.ndarray, c: int) -> tuple[int, int, int, int]:
    """TP, FN, FP, TN of class c counted cell by cell (the slow way)."""
    k = cm.shape[0]
    tp = int(cm[c, c])
    fn = sum(int(cm[c, j]) for j in range(k) if j != c)
    fp = sum(int(cm[i, c]) for i in range(k) if i != c)
    tn = sum(int(cm[i, j]) for i in range(k) for j in range(k) if i != c and j != c)
    return tp, fn, fp, tn


class TestConfusionMatrix:
    def test_worked_example(self):
        y_true, y_pred = worked_labels()
        cm = confusion_matrix(y_true, y_pred)
        np.testing.assert_array_equal(cm, WORKED_CM)
        assert cm.dtype == np.int64

    def test_rows_are_true_columns_predicted(self):
        cm = confusion_matrix([2], [0], n_classes=3)
        assert cm[2, 0] == 1 and cm.sum() == 1

    def test_n_classes_pads_absent_classes(self):
        cm = confusion_matrix([0, 1], [1, 1], n_classes=5)
        assert cm.shape == (5, 5)
        assert cm[0, 1] == 1 and cm[1, 1] == 1 and cm.sum() == 2

    def test_default_size_is_largest_label_plus_one(self):
        assert confusion_matrix([0, 0], [0, 3]).shape == (4, 4)

    def test_accepts_any_integer_dtype_and_readonly(self):
        t = np.array([0, 1, 2], dtype=np.uint8)
        p = np.array([0, 2, 2], dtype=np.int8)
        t.flags.writeable = False
        np.testing.assert_array_equal(
            confusion_matrix(t, p), [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
        )

    def test_length_mismatch(self):
        with pytest.raises(ValueError, match=r"differ in length \(3 and 2\)"):
            confusion_matrix([0, 1, 2], [0, 1])

    def test_empty(self):
        with pytest.raises(ValueError, match="y_true is empty"):
            confusion_matrix([], [])

    def test_negative_label(self):
        with pytest.raises(ValueError, match=r"y_pred has labels \[-1\] outside >= 0"):
            confusion_matrix([0, 1], [0, -1])

    def test_label_beyond_n_classes(self):
        with pytest.raises(ValueError, match=r"y_true holds label 5, outside 0..4"):
            confusion_matrix([0, 5], [0, 1], n_classes=5)
        with pytest.raises(ValueError, match=r"y_pred holds label 3, outside 0..2"):
            confusion_matrix([0, 1], [0, 3], n_classes=3)

    @pytest.mark.parametrize(
        "bad", [[True, False], ["N", "V"], np.array([0.5, 1.0])]
    )
    def test_non_integer_labels(self, bad):
        with pytest.raises(TypeError, match="y_true must hold integer class codes"):
            confusion_matrix(bad, [0, 1])

    def test_whole_number_floats_count_as_codes(self):
        np.testing.assert_array_equal(confusion_matrix([0.0, 1.0], [0, 1]), np.eye(2))

    def test_not_1d(self):
        with pytest.raises(ValueError, match=r"y_true must be 1-D .*got shape \(2, 1\)"):
            confusion_matrix([[0], [1]], [0, 1])

    @pytest.mark.parametrize("bad", [None, "01"])
    def test_not_an_array(self, bad):
        with pytest.raises(TypeError, match="y_pred must be a 1-D array"):
            confusion_matrix([0, 1], bad)

    @pytest.mark.parametrize("bad, exc", [(0, ValueError), (2.0, TypeError), (True, TypeError)])
    def test_bad_n_classes(self, bad, exc):
        with pytest.raises(exc, match="n_classes"):
            confusion_matrix([0], [0], n_classes=bad)

    @given(labels)
    def test_counts_every_pair_once(self, case):
        k, pairs = case
        t, p = np.array(pairs).T
        cm = confusion_matrix(t, p, n_classes=k)
        assert cm.sum() == len(pairs)
        for i in range(k):
            for j in range(k):
                assert cm[i, j] == sum(1 for a, b in pairs if a == i and b == j)


class TestAccuracy:
    def test_worked_example(self):
        assert accuracy(*worked_labels()) == pytest.approx(8 / 12)

    def test_all_right_and_all_wrong(self):
        assert accuracy([1, 2, 3], [1, 2, 3]) == 1.0
        assert accuracy([1, 2, 3], [0, 0, 0]) == 0.0

    def test_validates(self):
        with pytest.raises(ValueError, match="differ in length"):
            accuracy([0, 1], [0])
        with pytest.raises(TypeError, match="y_pred must hold integer"):
            accuracy([0, 1], [0.0, 1.5])


class TestMacroF1:
    def test_worked_example(self):
        assert macro_f1(*worked_labels()) == pytest.approx((8 / 11 + 0.5 + 0.8) / 3)
        assert macro_f1(*worked_labels()) == pytest.approx(0.675758, abs=1e-6)

    def test_missed_class_counts_as_zero(self):
        # class 1 occurs once and is never predicted: F1 = 0, not left out
        # class 0: TP 3, FP 1, FN 0 -> F1 = 6/7
        assert macro_f1([0, 0, 0, 1], [0, 0, 0, 0]) == pytest.approx((6 / 7 + 0) / 2)

    def test_spurious_class_counts_as_zero(self):
        # class 2 never occurs but is predicted once: F1 = 0 for it
        # class 0: TP 1, FN 1 -> F1 = 2/3; class 1: TP 1 -> F1 = 1
        assert macro_f1([0, 0, 1], [0, 2, 1]) == pytest.approx((2 / 3 + 1 + 0) / 3)

    def test_absent_classes_do_not_enter_the_mean(self):
        assert macro_f1([0, 1, 1], [0, 1, 1], n_classes=5) == 1.0

    @given(labels)
    def test_in_unit_interval_and_finite(self, case):
        k, pairs = case
        t, p = np.array(pairs).T
        value = macro_f1(t, p, n_classes=k)
        assert 0.0 <= value <= 1.0

    @given(labels, st.randoms(use_true_random=False))
    def test_order_does_not_matter(self, case, rnd):
        k, pairs = case
        shuffled = list(pairs)
        rnd.shuffle(shuffled)
        t, p = np.array(pairs).T
        ts, ps = np.array(shuffled).T
        assert macro_f1(t, p, k) == macro_f1(ts, ps, k)


class TestClassificationReport:
    def test_worked_example(self):
        r = classification_report(*worked_labels(), class_names=("N", "S", "V"))
        np.testing.assert_array_equal(r.confusion, WORKED_CM)
        assert r.class_names == ("N", "S", "V")
        assert r.n == 12
        np.testing.assert_array_equal(r.support, [5, 4, 3])
        np.testing.assert_array_equal(r.predicted, [6, 4, 2])
        np.testing.assert_allclose(r.recall, [4 / 5, 2 / 4, 2 / 3])
        np.testing.assert_allclose(r.precision, [4 / 6, 2 / 4, 2 / 2])
        np.testing.assert_allclose(r.specificity, [5 / 7, 6 / 8, 9 / 9])
        np.testing.assert_allclose(r.f1, [8 / 11, 4 / 8, 4 / 5])
        assert r.accuracy == pytest.approx(2 / 3)
        assert r.macro_f1 == pytest.approx(0.675758, abs=1e-6)
        assert r.weighted_f1 == pytest.approx((5 * 8 / 11 + 4 * 0.5 + 3 * 0.8) / 12)
        assert r.weighted_f1 == pytest.approx(0.669697, abs=1e-6)

    def test_f1_is_harmonic_mean_where_defined(self):
        r = classification_report(*worked_labels(), class_names=("N", "S", "V"))
        p, s = r.precision, r.recall
        np.testing.assert_allclose(r.f1, 2 * p * s / (p + s))

    def test_zero_division_is_nan(self):
        # 5 AAMI classes; S (1) occurs but is never predicted, F (3) and Q (4) never occur
        r = classification_report([0, 0, 1, 2], [0, 0, 0, 2])
        assert math.isnan(r.precision[1])  # S never predicted
        assert r.recall[1] == 0.0 and r.f1[1] == 0.0  # ... but it occurred: F1 = 0
        for c in (3, 4):
            assert math.isnan(r.recall[c]) and math.isnan(r.precision[c])
            assert math.isnan(r.f1[c])
            assert r.specificity[c] == 1.0
        # macro over N, S, V: N TP 2 FP 1 -> 4/5; S -> 0; V -> 1
        assert r.macro_f1 == pytest.approx((0.8 + 0 + 1) / 3)
        assert math.isfinite(r.weighted_f1)

    def test_specificity_nan_when_all_items_one_class(self):
        r = classification_report([2, 2], [2, 0], class_names=("a", "b", "c"))
        assert math.isnan(r.specificity[2])
        assert r.specificity[0] == pytest.approx(1 / 2)

    @given(labels)
    def test_each_class_agrees_with_detection_score(self, case):
        # class c against the rest is a detection problem: TP, FN (missed), FP
        k, pairs = case
        t, p = np.array(pairs).T
        r = classification_report(t, p, class_names=[f"c{i}" for i in range(k)])
        for c in range(k):
            tp, fn, fp, tn = per_class_counts(r.confusion, c)
            d = DetectionScore(tp, fn, fp)
            np.testing.assert_equal(r.recall[c], d.se)
            np.testing.assert_equal(r.precision[c], d.ppv)
            np.testing.assert_allclose(r.f1[c], d.f1)
            spec = tn / (tn + fp) if tn + fp else math.nan
            np.testing.assert_allclose(r.specificity[c], spec)
        assert r.accuracy == pytest.approx(np.mean(t == p))
        present = np.union1d(t, p)
        f1 = [DetectionScore(*per_class_counts(r.confusion, c)[:3]).f1 for c in present]
        assert r.macro_f1 == pytest.approx(np.mean(f1))

    def test_from_confusion_equals_from_labels(self):
        r = ClassificationReport(WORKED_CM, ("N", "S", "V"))
        assert r == classification_report(*worked_labels(3), class_names=["N", "S", "V"])
        assert r != ClassificationReport(WORKED_CM, ("a", "b", "c"))

    def test_frozen_and_readonly(self):
        cm = WORKED_CM.copy()
        r = ClassificationReport(cm, ("N", "S", "V"))
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.class_names = ("x",)  # type: ignore[misc]
        with pytest.raises(ValueError, match="read-only"):
            r.confusion[0, 0] = 99
        cm[0, 0] = 99  # the report keeps its own copy
        assert r.confusion[0, 0] == 4

    def test_label_outside_class_names(self):
        with pytest.raises(ValueError, match=r"y_pred holds label 5, outside 0..4"):
            classification_report([0, 1], [0, 5])

    @pytest.mark.parametrize(
        "names, exc, match",
        [
            ("NSV", TypeError, "sequence of str"),
            ([0, 1, 2], TypeError, "sequence of str"),
            ((), ValueError, "class_names is empty"),
            (("N", "N", "V"), ValueError, "unique"),
        ],
    )
    def test_bad_class_names(self, names, exc, match):
        with pytest.raises(exc, match=match):
            classification_report([0], [0], class_names=names)

    @pytest.mark.parametrize(
        "cm, exc, match",
        [
            (np.zeros((3, 3), int), ValueError, "no items"),
            (np.ones((2, 2), int), ValueError, r"must be 3 x 3.*got shape \(2, 2\)"),
            (np.ones((3, 3)), TypeError, "integer counts"),
            (-np.ones((3, 3), int), ValueError, "negative"),
        ],
    )
    def test_bad_confusion(self, cm, exc, match):
        with pytest.raises(exc, match=match):
            ClassificationReport(cm, ("N", "S", "V"))

    def test_matches_scikit_learn(self):
        metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn not installed")
        rng = np.random.default_rng(7)
        t = rng.integers(0, 5, 400)
        p = np.where(rng.random(400) < 0.7, t, rng.integers(0, 5, 400))
        r = classification_report(t, p)
        prec, rec, f1, sup = metrics.precision_recall_fscore_support(t, p, labels=range(5))
        np.testing.assert_allclose(r.precision, prec)
        np.testing.assert_allclose(r.recall, rec)
        np.testing.assert_allclose(r.f1, f1)
        np.testing.assert_array_equal(r.support, sup)
        assert r.macro_f1 == pytest.approx(metrics.f1_score(t, p, average="macro"))
        assert r.weighted_f1 == pytest.approx(metrics.f1_score(t, p, average="weighted"))
        np.testing.assert_array_equal(r.confusion, metrics.confusion_matrix(t, p))


class TestReportText:
    def test_markdown_table(self):
        r = classification_report(*worked_labels(), class_names=("N", "S", "V"))
        lines = r.to_markdown().splitlines()
        assert lines[0] == "| Class | Se (%) | +P (%) | Spec (%) | F1 | Support |"
        assert lines[2] == "| N | 80.00 | 66.67 | 71.43 | 0.7273 | 5 |"
        assert lines[3] == "| S | 50.00 | 50.00 | 75.00 | 0.5000 | 4 |"
        assert lines[4] == "| V | 66.67 | 100.00 | 100.00 | 0.8000 | 3 |"
        assert lines[-1] == "12 items; accuracy 66.67 %, macro-F1 0.6758, weighted-F1 0.6697"

    def test_markdown_nan_is_na(self):
        r = classification_report([0, 0, 1], [0, 0, 0], class_names=("N", "S", "V"))
        md = r.to_markdown(digits=1)
        assert "| S | 0.0 | n/a | 100.0 | 0.000 | 1 |" in md
        assert "| V | n/a | n/a | 100.0 | n/a | 0 |" in md
        assert "nan" not in md

    @pytest.mark.parametrize(("digits", "exc"), [(-1, ValueError), (11, ValueError),
                                                 (1.5, TypeError), (True, TypeError)])
    def test_bad_digits(self, digits, exc):
        r = classification_report([0], [0])
        with pytest.raises(exc, match="digits"):
            r.to_markdown(digits=digits)

    def test_str_has_summary_table_and_confusion(self):
        r = classification_report(*worked_labels(), class_names=("N", "S", "V"))
        text = str(r)
        assert text.startswith("12 items; accuracy 66.67 %")
        assert "confusion (rows true, columns predicted):" in text
        rows = text.splitlines()
        assert rows[-3].split() == ["N", "4", "1", "0"]
        assert rows[-1].split() == ["V", "0", "1", "2"]
        assert "ClassificationReport(n=12, accuracy=0.6667" in repr(r)


class TestDocstringExamples:
    def test_examples_run(self):
        finder = doctest.DocTestFinder()
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        objects = (confusion_matrix, accuracy, macro_f1, classification_report,
                   ClassificationReport, ClassificationReport.to_markdown)
        for obj in objects:
            for test in finder.find(obj, globs=dict(vars(classification))):
                runner.run(test, out=lambda _: None)
        assert runner.tries >= 10 and runner.failures == 0
