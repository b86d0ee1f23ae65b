"""One call from a raw ECG to classified beats: :func:`classify` and :class:`ClassifiedBeats`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from heartbeat._validate import MissingFileError
from heartbeat.aami import CLASSES
from heartbeat.classifier.estimator import BeatClassifier
from heartbeat.classifier.saved import PRETRAINED

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from heartbeat.pipeline import Beats

__all__ = ["ClassifiedBeats", "classify"]


@dataclass(frozen=True, eq=False)
class ClassifiedBeats:
    """Beats found in an ECG and the class of each.

    Attributes
    ----------
    beats : heartbeat.pipeline.Beats
        The segmented beats (``beats.r_peaks`` are sample indices at ``beats.fs``).
    labels : numpy.ndarray of str, shape (n,)
        Predicted class name of each beat (AAMI ``N``, ``S``, ``V``, ``F``, ``Q``).
    codes : numpy.ndarray of int64, shape (n,)
        Predicted class codes (index into `classes`).
    probabilities : numpy.ndarray of float64, shape (n, n_classes)
        Class probabilities (softmax of the model's scores); rows sum to 1.
    classes : tuple of str
        Class names in code order.
    """

    beats: Beats
    labels: np.ndarray
    codes: np.ndarray
    probabilities: np.ndarray
    classes: tuple[str, ...] = CLASSES

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @property
    def r_peaks(self) -> np.ndarray:
        """R-peak sample indices of the beats, at ``beats.fs``."""
        return self.beats.r_peaks

    @property
    def time_s(self) -> np.ndarray:
        """R-peak times in seconds from the start of the signal."""
        return self.beats.r_peaks / self.beats.fs

    def counts(self) -> dict[str, int]:
        """Return the number of beats predicted in each class, ``{name: count}``."""
        counts = np.bincount(self.codes, minlength=len(self.classes))
        return {c: int(k) for c, k in zip(self.classes, counts, strict=True)}

    def __repr__(self) -> str:
        counts = ", ".join(f"{c}={k}" for c, k in self.counts().items())
        return f"ClassifiedBeats(n_beats={len(self)}, {counts})"


def classify(
    signal: object,
    fs: float,
    *,
    model: BeatClassifier | str | os.PathLike | None = None,
    detector: str = "robust",
) -> ClassifiedBeats:
    """Find the heartbeats in a raw ECG and classify each one.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
        One ECG lead (MLII works best: the shipped models were trained on it).
    fs : float
        Sampling frequency in Hz.
    model : BeatClassifier, str or path-like, optional
        A fitted classifier, the name of a shipped model (see
        :meth:`BeatClassifier.pretrained`) or the path of a saved one; default the
        shipped ``"mitbih-all"`` model.
    detector : str, default "robust"
        R-peak detector passed to :func:`heartbeat.segment`.

    Returns
    -------
    ClassifiedBeats
        The beats, their class names, codes and probabilities.

    Raises
    ------
    FileNotFoundError
        If `model` is a str that names neither a shipped model nor a file (the
        message lists the shipped models; the error is also a ValueError).
    ValueError
        For a bad signal or `fs` (see :func:`heartbeat.segment`) or an unreadable
        model file.
    TypeError
        If `model` is not a classifier, name or path.

    Examples
    --------
    >>> import heartbeat
    >>> ex = heartbeat.load_example("208")
    >>> result = heartbeat.classify(ex.signal[:, 0], ex.fs)
    >>> result
    ClassifiedBeats(n_beats=207, N=110, S=0, V=67, F=30, Q=0)
    >>> result.labels[:3].tolist(), result.probabilities.shape
    (['F', 'V', 'N'], (207, 5))
    """
    from heartbeat.pipeline import segment

    if model is None:
        clf = BeatClassifier.pretrained()
    elif isinstance(model, BeatClassifier):
        clf = model
    elif isinstance(model, str) and model in PRETRAINED:
        clf = BeatClassifier.pretrained(model)
    elif isinstance(model, (str, os.PathLike)):
        if not os.path.exists(model):
            raise MissingFileError(f"model={str(model)!r} is neither a shipped model "
                                   f"({', '.join(PRETRAINED)}) nor a model file")
        clf = BeatClassifier.load(model)
    else:
        raise TypeError(f"model must be a BeatClassifier, a pretrained name "
                        f"({', '.join(PRETRAINED)}) or a file path, got "
                        f"{type(model).__name__}")
    clf._model()
    beats = segment(signal, fs, detector=detector)
    proba = clf._predict_proba(beats, checked=True)  # segment's beats need no re-check
    codes = proba.argmax(axis=1).astype(np.int64)
    names = np.array(clf.classes_)
    labels = names[codes] if len(codes) else np.array([], dtype=names.dtype)
    return ClassifiedBeats(beats=beats, labels=labels, codes=codes, probabilities=proba,
                           classes=tuple(clf.classes_))
