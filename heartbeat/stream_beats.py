"""What :meth:`heartbeat.Stream.push` and :meth:`heartbeat.Stream.flush` return."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heartbeat.aami import CLASSES

__all__ = ["StreamBeats"]


@dataclass(frozen=True, eq=False)
class StreamBeats:
    """Beats reported by one :meth:`Stream.push` or :meth:`Stream.flush`.

    Attributes
    ----------
    lead : ndarray of int64, shape (n,)
        Lead (column of the pushed chunks) each beat was found in.
    sample : ndarray of int64, shape (n,)
        R-peak sample index from the start of the stream.
    time_s : ndarray of float64, shape (n,)
        R-peak time in seconds from the start of the stream.
    labels : ndarray of str, shape (n,)
        Predicted class name of each beat.
    codes : ndarray of int64, shape (n,)
        Predicted class code (index into `classes`); -1 (label ``"?"``) for a beat the
        reject option withheld, as :func:`heartbeat.classify` does by default.
    probabilities : ndarray of float64, shape (n, n_classes)
        Class probabilities (calibrated, as ``classify``'s); rows sum to 1.
    quality : ndarray of float64, shape (n,)
        Signal quality (0-1, the scale of ``Beats.quality``) of the 2 s before each
        beat's report (module docstring); NaN when the stream measures none.
    reasons : ndarray of str, shape (n,)
        Why a beat is ``"?"``: ``"unreadable"`` (quality below the threshold) or
        ``"uncertain"`` (the reject option), as ``ClassifiedBeats.reasons``; ``""``
        for a labelled beat.
    classes : tuple of str
        Class names in code order.
    adapted : ndarray of bool, shape (n,)
        True for each beat whose most probable class the template adaptation
        changed (as ``ClassifiedBeats.adapted``); all False without adaptation.
    """

    lead: np.ndarray
    sample: np.ndarray
    time_s: np.ndarray
    labels: np.ndarray
    codes: np.ndarray
    probabilities: np.ndarray
    quality: np.ndarray
    reasons: np.ndarray
    classes: tuple[str, ...] = CLASSES
    adapted: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.adapted is None:
            object.__setattr__(self, "adapted", np.zeros(len(self.sample), dtype=bool))

    def __len__(self) -> int:
        return int(self.sample.shape[0])

    def __repr__(self) -> str:
        return f"StreamBeats(n_beats={len(self)}, labels={self.labels.tolist()})"
