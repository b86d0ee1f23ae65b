"""Scores against reference annotations: beat detection (Se, +P) and classification.

* :mod:`~heartbeat.metrics.detection` -- :class:`DetectionScore`,
  :func:`detection_scores`, :func:`match_peaks`, :func:`sum_scores`;
* :mod:`~heartbeat.metrics.ec57` -- PhysioNet ``bxb``'s beat-by-beat comparison of a
  detector with an annotated database: :func:`bxb_compare`, :func:`score_database`,
  :class:`DatabaseScore`;
* :mod:`~heartbeat.metrics.classification` -- :func:`confusion_matrix`,
  :func:`accuracy`, :func:`macro_f1`, :func:`classification_report`,
  :class:`ClassificationReport` and :func:`expected_calibration_error`.
"""

from __future__ import annotations

from heartbeat.metrics.classification import (
    ClassificationReport,
    accuracy,
    classification_report,
    confusion_matrix,
    expected_calibration_error,
    macro_f1,
)
from heartbeat.metrics.detection import (
    DetectionScore,
    detection_scores,
    match_peaks,
    sum_scores,
)
from heartbeat.metrics.ec57 import DatabaseScore, RecordScore, bxb_compare, score_database

__all__ = [
    "ClassificationReport",
    "DatabaseScore",
    "DetectionScore",
    "RecordScore",
    "accuracy",
    "bxb_compare",
    "classification_report",
    "confusion_matrix",
    "detection_scores",
    "expected_calibration_error",
    "macro_f1",
    "match_peaks",
    "score_database",
    "sum_scores",
]
