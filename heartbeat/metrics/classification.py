"""Classification scored against true classes: confusion matrix and per-class figures.

AAMI EC57 style: :func:`confusion_matrix`, :func:`accuracy`, :func:`macro_f1`,
:func:`classification_report`, whose :class:`ClassificationReport` holds per-class
precision (+P), recall (Se), specificity, F1 and support, and
:func:`expected_calibration_error` (how far confidence is from accuracy).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from heartbeat._validate import as_int, as_labels

__all__ = [
    "ClassificationReport",
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "expected_calibration_error",
    "macro_f1",
]

_AAMI_NAMES: tuple[str, ...] = ("N", "S", "V", "F", "Q")


def _label_pair(
    y_true: object, y_pred: object, n_classes: object = None
) -> tuple[np.ndarray, np.ndarray, int]:
    t = as_labels(y_true, "y_true")
    p = as_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(
            f"y_true and y_pred differ in length ({t.size} and {p.size}): one prediction "
            "per labelled item is needed"
        )
    top = int(max(t.max(), p.max()))
    if n_classes is None:
        return t, p, top + 1
    n = as_int(n_classes, "n_classes", minimum=1)
    if top >= n:
        which = "y_true" if t.max() == top else "y_pred"
        raise ValueError(f"{which} holds label {top}, outside 0..{n - 1} for n_classes={n}")
    return t, p, n


def confusion_matrix(y_true: object, y_pred: object, n_classes: int | None = None) -> np.ndarray:
    """Count items by true class (rows) and predicted class (columns).

    Parameters
    ----------
    y_true : array_like of int, shape (n,)
        True class codes 0, 1, ... (e.g. AAMI N, S, V, F, Q = 0-4); whole-number
        floats (``1.0``) count as integers.
    y_pred : array_like of int, shape (n,)
        Predicted class codes, one per item of `y_true`.
    n_classes : int, optional
        Number of classes; the matrix is ``n_classes x n_classes``.  Default: one more
        than the largest label seen, so pass it whenever a class may be absent.

    Returns
    -------
    numpy.ndarray of int64, shape (n_classes, n_classes)
        ``cm[i, j]`` is the number of items of true class ``i`` predicted as ``j``.

    Raises
    ------
    TypeError
        If a label array is not integer (fractional floats, bool, str) or `n_classes`
        is not an integer.
    ValueError
        If a label array is empty or not 1-D, the lengths differ, a label is negative
        or ``>= n_classes``, or `n_classes` < 1.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], n_classes=4)
    array([[1, 1, 0, 0],
           [0, 1, 0, 0],
           [1, 0, 1, 0],
           [0, 0, 0, 0]])
    """
    t, p, n = _label_pair(y_true, y_pred, n_classes)
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n).astype(np.int64)


def accuracy(y_true: object, y_pred: object) -> float:
    """Fraction of items whose predicted class equals the true class.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (n,)
        True and predicted class codes (validated as in :func:`confusion_matrix`).

    Returns
    -------
    float
        ``mean(y_true == y_pred)`` in [0, 1].

    Raises
    ------
    TypeError, ValueError
        As :func:`confusion_matrix`.

    Examples
    --------
    >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2])
    0.75
    """
    t, p, _ = _label_pair(y_true, y_pred)
    return float(np.mean(t == p))


def macro_f1(y_true: object, y_pred: object, n_classes: int | None = None) -> float:
    """Unweighted mean of the per-class F1 scores over the classes that occur.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (n,)
        True and predicted class codes.
    n_classes : int, optional
        Number of classes (as in :func:`confusion_matrix`).  Classes that occur in
        neither array do not enter the mean, so `n_classes` only widens the check.

    Returns
    -------
    float
        Mean F1 over the classes present in `y_true` or `y_pred`, in [0, 1].

    Raises
    ------
    TypeError, ValueError
        As :func:`confusion_matrix`.

    Notes
    -----
    Per class, ``F1 = 2 TP / (2 TP + FP + FN)``.  A class that occurs but is never
    predicted correctly scores 0 (also when it is never predicted at all, where
    precision is undefined), so it pulls the mean down; a class absent from both
    arrays has no F1 and is left out rather than counted as 0 or 1.  See
    :class:`ClassificationReport`.

    Examples
    --------
    >>> round(macro_f1([0, 0, 0, 1], [0, 0, 0, 0]), 4)  # class 1 missed: F1 = 0
    0.4286
    >>> macro_f1([0, 1], [0, 1], n_classes=5)  # classes 2-4 absent: not averaged
    1.0
    """
    return ClassificationReport._from_counts(confusion_matrix(y_true, y_pred, n_classes)).macro_f1


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float64, NaN where ``den == 0`` (no warning)."""
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass(frozen=True, eq=False)
class ClassificationReport:
    """Per-class and overall figures of a classifier, all derived from its confusion matrix.

    Build it with :func:`classification_report` from labels, or directly from a
    confusion matrix (e.g. one saved earlier).

    Attributes
    ----------
    confusion : numpy.ndarray of int64, shape (k, k)
        Counts, true class on rows and predicted class on columns (read-only).
    class_names : tuple of str
        Name of each class, in the order of the codes (AAMI ``N S V F Q`` by default).

    Notes
    -----
    For class ``c`` with ``TP`` (true ``c``, predicted ``c``), ``FN`` (true ``c``,
    predicted other), ``FP`` (true other, predicted ``c``) and ``TN`` (the rest):

    ==============================  ========================  ===========================
    figure                          formula                   NaN when
    ==============================  ========================  ===========================
    `recall` (sensitivity, Se)      TP / (TP + FN)            class absent (support 0)
    `precision` (+P, PPV)           TP / (TP + FP)            class never predicted
    `specificity` (Spec)            TN / (TN + FP)            every item is class ``c``
    `f1`                            2 TP / (2 TP + FP + FN)   absent *and* never predicted
    ==============================  ========================  ===========================

    Zero division gives NaN, never 0, as in :class:`DetectionScore`: an undefined
    precision is not the same as a precision of 0, and a table should say "n/a"
    rather than print a figure nobody measured (scikit-learn prints 0 and warns).
    F1 uses the count formula, which equals the harmonic mean of precision and
    recall where both are defined and is 0, not NaN, for a class that occurs but is
    never predicted: missing a class entirely must cost F1.  `macro_f1` averages F1
    over the classes that occur in the true or the predicted labels (a class absent
    from both has nothing to score); `weighted_f1` weights each class's F1 by its
    support.  Both are therefore always finite.

    Examples
    --------
    >>> r = classification_report([0, 0, 0, 1, 2, 2], [0, 0, 1, 1, 2, 0],
    ...                           class_names=("N", "S", "V"))
    >>> round(r.accuracy, 4), r.recall.round(3).tolist(), r.precision.round(3).tolist()
    (0.6667, [0.667, 1.0, 0.5], [0.667, 0.5, 1.0])
    """

    confusion: np.ndarray
    class_names: tuple[str, ...] = _AAMI_NAMES

    def __post_init__(self) -> None:
        names = self.class_names
        if isinstance(names, str) or not all(isinstance(c, str) for c in names):
            raise TypeError(f"class_names must be a sequence of str, got {names!r}")
        names = tuple(names)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"class_names must be non-empty and unique, got {names!r}")
        cm = np.asarray(self.confusion)
        if cm.dtype == bool or not np.issubdtype(cm.dtype, np.integer):
            raise TypeError(f"confusion must hold integer counts, got dtype {cm.dtype}")
        if cm.shape != (len(names), len(names)):
            raise ValueError(
                f"confusion must be {len(names)} x {len(names)} for class_names={names}, "
                f"got shape {cm.shape}"
            )
        if (cm < 0).any():
            raise ValueError("confusion holds negative counts")
        if cm.sum() == 0:
            raise ValueError("confusion holds no items: there is nothing to report")
        cm = cm.astype(np.int64)  # a private copy
        cm.flags.writeable = False
        object.__setattr__(self, "confusion", cm)
        object.__setattr__(self, "class_names", names)

    @classmethod
    def _from_counts(cls, cm: np.ndarray) -> ClassificationReport:
        return cls(cm, tuple(str(i) for i in range(cm.shape[0])))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClassificationReport):
            return NotImplemented
        return self.class_names == other.class_names and np.array_equal(
            self.confusion, other.confusion
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"ClassificationReport(n={self.n}, accuracy={self.accuracy:.4f}, "
            f"macro_f1={self.macro_f1:.4f}, class_names={self.class_names})"
        )

    # --- counts -----------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of items scored."""
        return int(self.confusion.sum())

    @property
    def support(self) -> np.ndarray:
        """True items per class (row sums), int64."""
        return self.confusion.sum(axis=1)

    @property
    def predicted(self) -> np.ndarray:
        """Predicted items per class (column sums), int64."""
        return self.confusion.sum(axis=0)

    @property
    def tp(self) -> np.ndarray:
        """Correct predictions per class (the diagonal), int64."""
        return np.diagonal(self.confusion).copy()

    # --- per class --------------------------------------------------------------------
    @property
    def recall(self) -> np.ndarray:
        """Sensitivity (Se) per class, ``TP / (TP + FN)``; NaN for a class with no items."""
        return _ratio(self.tp, self.support)

    @property
    def precision(self) -> np.ndarray:
        """Positive predictivity (+P) per class, ``TP / (TP + FP)``; NaN if never predicted."""
        return _ratio(self.tp, self.predicted)

    @property
    def specificity(self) -> np.ndarray:
        """Specificity per class, ``TN / (TN + FP)``; NaN if every item is of the class."""
        negatives = self.n - self.support
        fp = self.predicted - self.tp
        return _ratio(negatives - fp, negatives)

    @property
    def f1(self) -> np.ndarray:
        """F1 per class, ``2 TP / (2 TP + FP + FN)``; NaN if absent and never predicted."""
        return _ratio(2 * self.tp, self.support + self.predicted)

    # --- overall ----------------------------------------------------------------------
    @property
    def accuracy(self) -> float:
        """Fraction of items on the diagonal."""
        return float(self.tp.sum() / self.n)

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the classes that occur in the true or predicted labels."""
        f1 = self.f1
        return float(f1[~np.isnan(f1)].mean())

    @property
    def weighted_f1(self) -> float:
        """F1 per class weighted by its support (classes without items weigh 0)."""
        support = self.support
        present = support > 0
        return float((self.f1[present] * support[present]).sum() / support.sum())

    # --- text -------------------------------------------------------------------------
    def _rows(self, digits: int) -> list[tuple[str, ...]]:
        def pct(v: float) -> str:
            return "n/a" if math.isnan(v) else f"{100 * v:.{digits}f}"

        def frac(v: float) -> str:
            return "n/a" if math.isnan(v) else f"{v:.{digits + 2}f}"

        se, ppv, spec, f1 = self.recall, self.precision, self.specificity, self.f1
        return [
            (name, pct(se[i]), pct(ppv[i]), pct(spec[i]), frac(f1[i]), str(self.support[i]))
            for i, name in enumerate(self.class_names)
        ]

    def to_markdown(self, digits: int = 2) -> str:
        """Return the per-class table papers print (AAMI EC57 style) as Markdown.

        Parameters
        ----------
        digits : int, default 2
            Decimals of the percentages (F1 gets two more).

        Returns
        -------
        str
            A table with columns Class, Se (%), +P (%), Spec (%), F1, Support, then a
            line with the number of items, accuracy, macro-F1 and weighted-F1.
            Undefined figures (see Notes of the class) print as ``n/a``.

        Raises
        ------
        TypeError
            If `digits` is not an integer.
        ValueError
            If `digits` is outside 0 to 10.

        Examples
        --------
        >>> r = ClassificationReport(np.array([[8, 2], [1, 4]]), ("N", "V"))
        >>> print(r.to_markdown(digits=1))
        | Class | Se (%) | +P (%) | Spec (%) | F1 | Support |
        |:------|-------:|-------:|---------:|---:|--------:|
        | N | 80.0 | 88.9 | 80.0 | 0.842 | 10 |
        | V | 80.0 | 66.7 | 80.0 | 0.727 | 5 |
        <BLANKLINE>
        15 items; accuracy 80.0 %, macro-F1 0.785, weighted-F1 0.804
        """
        digits = as_int(digits, "digits", minimum=0, maximum=10)
        lines = [
            "| Class | Se (%) | +P (%) | Spec (%) | F1 | Support |",
            "|:------|-------:|-------:|---------:|---:|--------:|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self._rows(digits)]
        lines += ["", self._summary(digits)]
        return "\n".join(lines)

    def _summary(self, digits: int) -> str:
        return (
            f"{self.n} items; accuracy {100 * self.accuracy:.{digits}f} %, "
            f"macro-F1 {self.macro_f1:.{digits + 2}f}, "
            f"weighted-F1 {self.weighted_f1:.{digits + 2}f}"
        )

    def __str__(self) -> str:
        header = ("class", "Se %", "+P %", "Spec %", "F1", "support")
        rows = [header, *self._rows(2)]
        widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
        table = [
            "  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in
                      enumerate(zip(row, widths, strict=True)))
            for row in rows
        ]
        names = self.class_names
        cells = [[str(v) for v in row] for row in self.confusion]
        w = max(len(s) for s in [*names, *(c for row in cells for c in row)])
        cm_lines = ["confusion (rows true, columns predicted):",
                    " " * (w + 2) + " ".join(c.rjust(w) for c in names)]
        cm_lines += [
            f"{name.ljust(w)}  " + " ".join(c.rjust(w) for c in row)
            for name, row in zip(names, cells, strict=True)
        ]
        return "\n".join([self._summary(2), "", *table, "", *cm_lines])


def classification_report(
    y_true: object, y_pred: object, class_names: Iterable[str] = _AAMI_NAMES
) -> ClassificationReport:
    """Score predicted classes against true classes, per class and overall.

    Parameters
    ----------
    y_true : array_like of int, shape (n,)
        True class codes, ``0 .. len(class_names) - 1``.
    y_pred : array_like of int, shape (n,)
        Predicted class codes, one per item.
    class_names : iterable of str, default ("N", "S", "V", "F", "Q")
        Name of each class code (the AAMI EC57 classes by default); its length fixes
        the number of classes, so classes absent from the data still get a row.

    Returns
    -------
    ClassificationReport
        Confusion matrix, accuracy, per-class precision (+P), recall (Se),
        specificity, F1 and support, macro- and weighted-F1; ``print(report)`` and
        :meth:`ClassificationReport.to_markdown` format them.

    Raises
    ------
    TypeError
        If a label array is not integer, or `class_names` is not a sequence of str.
    ValueError
        If a label array is empty or not 1-D, the lengths differ, a label is
        negative or ``>= len(class_names)``, or `class_names` is empty or repeats a
        name.

    See Also
    --------
    confusion_matrix, macro_f1, detection_scores

    Notes
    -----
    Undefined ratios are NaN (see :class:`ClassificationReport`).

    Examples
    --------
    >>> r = classification_report([0, 0, 0, 0, 2, 2], [0, 0, 0, 2, 2, 2])
    >>> r.support.tolist(), r.recall.round(2).tolist()
    ([4, 0, 2, 0, 0], [0.75, nan, 1.0, nan, nan])
    >>> round(r.macro_f1, 4), round(r.weighted_f1, 4)  # over N and V only
    (0.8286, 0.8381)
    """
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Iterable):
        raise TypeError(f"class_names must be a sequence of str, got {class_names!r}")
    names = tuple(class_names)
    if not all(isinstance(c, str) for c in names):
        raise TypeError(f"class_names must be a sequence of str, got {names!r}")
    if not names:
        raise ValueError("class_names is empty: name at least one class")
    return ClassificationReport(confusion_matrix(y_true, y_pred, len(names)), names)


def expected_calibration_error(y_true: object, proba: object, n_bins: int = 15) -> float:
    """Top-label expected calibration error: how far confidence is from accuracy.

    The beats are binned by their top probability into `n_bins` equal-width bins
    over (0, 1]; the ECE is the beat-weighted mean, over the bins, of
    ``|accuracy - mean top probability|`` (Guo et al. 2017, "On calibration of
    modern neural networks", eq. 3).

    Parameters
    ----------
    y_true : array_like of int, shape (n,)
        True class codes, ``0 .. n_classes - 1``.
    proba : array_like of float, shape (n, n_classes)
        Predicted class probabilities, rows summing to 1.
    n_bins : int, default 15
        Number of confidence bins.

    Returns
    -------
    float
        Between 0 (perfectly calibrated) and 1.

    Raises
    ------
    TypeError
        If `proba` is not numeric or `y_true` not integer.
    ValueError
        If `proba` is not 2-D, holds NaN or values outside [0, 1], or its rows and
        the labels differ in number, or a label is outside the columns.

    Examples
    --------
    >>> proba = [[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]]
    >>> round(expected_calibration_error([0, 1, 0, 1], proba), 3)  # 0.9 said, 0.5 right
    0.375
    """
    from heartbeat._validate import as_array, check_finite, is_real_dtype

    p = as_array(proba, "proba", "a 2-D array of class probabilities")
    if not is_real_dtype(p.dtype):
        raise TypeError(f"proba must hold real numbers, got dtype {p.dtype}")
    if p.ndim != 2:
        raise ValueError(f"proba must be 2-D (beats, classes), got shape {p.shape}")
    check_finite(p, "proba")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("proba must hold probabilities in [0, 1]; apply a softmax first")
    y = as_labels(y_true, "y_true", n=len(p), n_classes=p.shape[1])
    bins = as_int(n_bins, "n_bins", minimum=1)
    top = p.max(axis=1).astype(np.float64)
    right = (p.argmax(axis=1) == y).astype(np.float64)
    which = np.clip(np.ceil(top * bins).astype(np.int64) - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, right, bins) - np.bincount(which, top, bins))
    return float(gap.sum() / count.sum())
