"""One call from a raw ECG to classified beats: :func:`classify` and :class:`ClassifiedBeats`."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from heartbeat._missing import fill_missing, pieces
from heartbeat._validate import MissingFileError, as_choice, as_real
from heartbeat.aami import CLASSES
from heartbeat.classifier.adapt import ADAPT, adapt_prior, training_prior
from heartbeat.classifier.calibration import _reject_threshold, _withheld_codes
from heartbeat.classifier.estimator import BeatClassifier
from heartbeat.classifier.saved import PRETRAINED
from heartbeat.classifier.template import TemplateRule, adapt_template

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from heartbeat.pipeline import Beats

__all__ = ["NOISY_BELOW", "REASONS", "UNCLASSIFIED", "ClassifiedBeats", "classify"]

UNCLASSIFIED = "?"
"""The label of a beat left unclassified (its code is -1)."""
REASONS: tuple[str, ...] = ("", "uncertain", "unreadable", "noisy")
"""Why a beat is unclassified: ``""`` (it is classified), ``"uncertain"`` (its top
probability is below the reject threshold), ``"unreadable"`` (it lies in a stretch of
signal marked unreadable) or ``"noisy"`` (it is called S, V or F in a stretch whose
quality is below ``noisy_below``).  When several apply, ``"unreadable"`` wins, then
``"noisy"``, then ``"uncertain"``."""
NOISY_BELOW = 0.005
"""The default ``noisy_below`` of :func:`classify`: a beat called S, V or F in a stretch
whose quality index is below it comes back ``"?"``, reason ``"noisy"`` (chosen on
held-out MIT-BIH patients: docs/results.md, "Uncertainty")."""
ABNORMAL_CLASSES = ("S", "V", "F")
"""The labels the ``"noisy"`` rule withholds (N and Q labels are kept)."""


@dataclass(frozen=True, eq=False)
class ClassifiedBeats:
    """Beats found in an ECG and the class of each.

    Attributes
    ----------
    beats : heartbeat.pipeline.Beats
        The segmented beats (``beats.r_peaks`` are sample indices at ``beats.fs``).
    labels : numpy.ndarray of str, shape (n,)
        Predicted class name of each beat (AAMI ``N``, ``S``, ``V``, ``F``, ``Q``), or
        ``"?"`` (:data:`UNCLASSIFIED`) for a beat the reject option withheld.
    codes : numpy.ndarray of int64, shape (n,)
        Predicted class codes (index into `classes`); -1 for an unclassified beat.
    probabilities : numpy.ndarray of float64, shape (n, n_classes)
        Class probabilities (softmax of the model's scores over its calibrated
        temperature, adapted to the recording if asked); rows sum to 1.  They are
        kept for unclassified beats too.
    classes : tuple of str
        Class names in code order.
    reasons : numpy.ndarray of str, shape (n,)
        Why each beat is unclassified, one of :data:`REASONS` (``""``: classified).
    adapted : numpy.ndarray of bool, shape (n,)
        True for each beat whose most probable class the adaptation to the recording
        changed (``classify(adapt=...)``; with ``"template"``, a beat the model called
        V or F that matches the recording's dominant beat, one of its shape made S
        or N by its timing, or one moved to V or N by its confident neighbours).  All
        False without adaptation.

    The signal quality of each beat's stretch is ``quality`` (``beats.quality``) and
    the stretches below the quality threshold are ``beats.unreadable`` (samples) or
    ``unreadable_s`` (seconds).
    """

    beats: Beats
    labels: np.ndarray
    codes: np.ndarray
    probabilities: np.ndarray
    classes: tuple[str, ...] = CLASSES
    reasons: np.ndarray | None = None
    adapted: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.reasons is None:
            object.__setattr__(self, "reasons", np.full(len(self.codes), "", dtype="<U10"))
        if self.adapted is None:
            object.__setattr__(self, "adapted", np.zeros(len(self.codes), dtype=bool))

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @property
    def r_peaks(self) -> np.ndarray:
        """R-peak sample indices of the beats, at ``beats.fs``."""
        return self.beats.r_peaks

    @property
    def rejected(self) -> np.ndarray:
        """True for each beat left unclassified (code -1; see `reasons`)."""
        return self.codes < 0

    @property
    def quality(self) -> np.ndarray:
        """Signal quality in [0, 1] of each beat's stretch (NaN: not measured)."""
        return self.beats.quality

    @property
    def unreadable_s(self) -> tuple[tuple[float, float], ...]:
        """The unreadable stretches as ``(start_s, stop_s)`` from the start of the signal."""
        fs = self.beats.fs
        return tuple((a / fs, b / fs) for a, b in self.beats.unreadable.tolist())

    @property
    def time_s(self) -> np.ndarray:
        """R-peak times in seconds from the start of the signal."""
        return self.beats.r_peaks / self.beats.fs

    def counts(self) -> dict[str, int]:
        """Return the number of beats in each class, ``{name: count}``, then ``"?"``.

        The last entry counts the unclassified beats (:data:`UNCLASSIFIED`).
        """
        counts = np.bincount(self.codes + 1, minlength=len(self.classes) + 1)
        out = {c: int(k) for c, k in zip(self.classes, counts[1:], strict=True)}
        out[UNCLASSIFIED] = int(counts[0])
        return out

    def __repr__(self) -> str:
        counts = ", ".join(f"{c}={k}" for c, k in self.counts().items())
        return f"ClassifiedBeats(n_beats={len(self)}, {counts})"


def classify(
    signal: object,
    fs: float,
    *,
    model: BeatClassifier | str | os.PathLike | None = None,
    detector: str = "robust",
    reject: bool | float = True,
    adapt: str | TemplateRule = "template",
    quality: bool | float = True,
    noisy_below: float = NOISY_BELOW,
    lead: int = 0,
    missing: str = "error",
) -> ClassifiedBeats:
    """Find the heartbeats in a raw ECG and classify each one.

    Parameters
    ----------
    signal : array_like, shape (n_samples,) or (n_samples, n_leads)
        One ECG lead, or several sampled together (one per column).  With several
        leads the robust detector finds the R peaks on all of them (one noisy lead
        loses no beats) and the beats are cut from, and classified on, column
        `lead`, at the combined peaks: these follow the clearest lead's R wave, not
        necessarily this lead's, and the labels can change with them (docs/results.md,
        "Recordings from other databases").  The default model was trained on both
        MIT-BIH leads (MLII and, mostly, V1); on other leads it is less sure.
    fs : float
        Sampling frequency in Hz.
    model : BeatClassifier, str or path-like, optional
        A fitted classifier, the name of a shipped model (see
        :meth:`BeatClassifier.pretrained`) or the path of a saved one; default the
        shipped ``"mitbih-all"`` model.
    detector : str, default "robust"
        R-peak detector passed to :func:`heartbeat.segment`.
    reject : bool or float, default True
        The reject option: a beat whose top probability is below the model's saved
        threshold (``model.calibration_.reject_below``; a model without one rejects
        none) is returned unclassified, label ``"?"``, reason ``"uncertain"``.  A
        float in [0, 1] is the threshold itself; False labels every beat.
    adapt : {"template", "none", "prior"}, default "template"
        Unsupervised adaptation to this recording; no label is used.
        ``"template"`` takes the V and F probability away from each beat that
        matches the recording's dominant beat (the median of the beats the model
        calls N) in shape and amplitude over the 0.24 s after its R peak (a beat
        on time may be slid by up to 40 ms against it, for leads on which the R
        peak falls on either of two lobes), unless the beat is closer still to the
        recording's own V beats (the median of its beats called V that do not match:
        ``TemplateRule.v_keep_min_correlation``) or the model calls it V with
        probability >= 0.997 (``TemplateRule.v_sure_confidence``)
        (:func:`~heartbeat.classifier.template.adapt_template`); chosen as the
        default on held-out MIT-BIH patients, where it cut N beats called abnormal
        by about 40 % and raised V +P and S Se, at a cost in V Se (docs/results.md,
        section 5).  Then, by the recording's own rhythm, a beat called N of that
        shape whose previous RR is below 0.85 x the local mean becomes S, and one
        called S of that shape that is not early becomes N (chosen the same way); a
        beat called S that comes on time, outside a fast stretch, becomes N.  Last,
        the recording's own confident beats vote: an early beat called N or S whose
        nearest beats of which the network was sure are mostly V becomes V, and a beat
        called V without confidence among sure N beats becomes N
        (:mod:`heartbeat.classifier.neighbours`; ``TemplateRule.neighbours_k``).
        ``"prior"`` re-estimates the recording's class mix by EM and
        re-weights every beat's probabilities
        (:func:`~heartbeat.classifier.adapt.adapt_prior`); it erases most S beats.
        ``"none"``: the model's probabilities as they are.  `adapted` marks the
        beats whose label the adaptation changed.  A
        :class:`~heartbeat.classifier.template.TemplateRule` is ``"template"`` with
        that rule instead of the default: e.g.
        ``TemplateRule(early_rr_ratio=0.9, early_min_correlation=0.93)`` keeps more
        early V beats as V at the cost of more N beats called abnormal (about 0.3
        point per lead on held-out MIT-BIH folds; docs/results.md, "An early beat held
        to a closer match").
    quality : bool or float, default True
        Signal quality (as in :func:`heartbeat.segment`): a beat found in a stretch
        whose quality index is below the threshold (True:
        :data:`heartbeat.signal_quality.UNREADABLE_BELOW`, 0.002; or a number in
        [0, 1]) is returned unclassified, label ``"?"``, reason ``"unreadable"``,
        whatever its probabilities; ``beats.unreadable`` lists those stretches.
        False measures no quality and labels beats as if the signal were clean.
    noisy_below : float, default :data:`NOISY_BELOW`
        A beat called S, V or F (after calibration and adaptation) in a stretch whose
        quality index is below this number in [0, 1] is returned unclassified, label
        ``"?"``, reason ``"noisy"``; beats called N keep their label.  Artefact that
        covers the QRS makes a clean N beat look ectopic; 0 switches this off, and so
        does ``quality=False`` (no quality is measured).  ``"unreadable"`` wins over
        ``"noisy"``, which wins over ``"uncertain"``.
    lead : int, default 0
        With several leads, the column the beats are cut from (``result.beats.lead``).
    missing : {"error", "unreadable"}, default "error"
        What NaN samples (a WFDB record's invalid samples, as
        :func:`heartbeat.read_record` gives them) mean, as in :func:`heartbeat.segment`:
        ``"error"``, a ValueError; ``"unreadable"``, gaps read around: every quality
        stretch (2 s) holding a missing sample of column `lead` is unreadable, and its
        beats come back unclassified, reason ``"unreadable"`` (also with
        ``quality=False``); the recording is split where a gap may hide a beat
        (:func:`heartbeat._missing.pieces`), each piece classified on its own.

    Returns
    -------
    ClassifiedBeats
        The beats, their class names (``"?"`` if unclassified), codes (-1),
        probabilities, the reason each unclassified beat was withheld, the beats
        the adaptation relabelled and the quality of each beat's stretch.

    Raises
    ------
    FileNotFoundError
        If `model` is a str that names neither a shipped model nor a file (the
        message lists the shipped models; the error is also a ValueError).
    ValueError
        For a bad signal, `fs`, `lead` or `missing` (see :func:`heartbeat.segment`),
        an unknown model name, an unreadable model file, a threshold (`reject`,
        `quality`, `noisy_below`) outside [0, 1] or an unknown `adapt` name.
    TypeError
        If `model` is not a classifier, name or path, or `adapt` neither a name nor a
        ``TemplateRule``.

    Examples
    --------
    >>> import heartbeat
    >>> ex = heartbeat.load_example("208")
    >>> result = heartbeat.classify(ex.signal[:, 0], ex.fs)
    >>> result
    ClassifiedBeats(n_beats=207, N=143, S=0, V=63, F=1, Q=0, ?=0)
    >>> result.labels[:3].tolist(), result.probabilities.shape
    (['N', 'V', 'N'], (207, 5))
    >>> int(result.adapted.sum())  # mostly beats called V or F that match the dominant beat
    39
    """
    from heartbeat.pipeline import FS_OUT, LENGTH, THRESHOLD, WINDOW_S
    from heartbeat.pipeline.beats import _in_spans, _min_quality, _segment

    clf = _as_classifier(model)
    threshold = _reject_threshold(clf.calibration_, reject)
    _check_adapt(adapt)
    _min_quality(quality, off_by_default=False)  # checked before any work is done
    noisy_below = _noisy_below(noisy_below)
    signal, gaps = fill_missing(signal, missing)
    # the beats of unreadable stretches are kept, to come back as "?" with their reason
    beats = _segment(signal, fs, detector=detector, r_peaks=None, window_s=WINDOW_S,
                     threshold=THRESHOLD, fs_out=FS_OUT, length=LENGTH, lead=lead,
                     quality=quality, withhold=False, gaps=gaps)
    # a beat is unreadable in the stretches segment found so (low quality, or a gap)
    readable = ~_in_spans(beats.r_peaks, beats.unreadable)
    if gaps is not None and gaps.ndim == 2 and detector != "robust":
        gaps = gaps[:, beats.lead]  # the other detectors read the cut lead alone
    parts = [_classify_beats(clf, _beat_slice(beats, part), threshold=threshold,
                             adapt=adapt, noisy_below=noisy_below, readable=readable[part])
             for part in pieces(beats.r_peaks, gaps, beats.fs)]
    if len(parts) == 1:
        return parts[0]
    return ClassifiedBeats(
        beats=beats, labels=np.concatenate([r.labels for r in parts]),
        codes=np.concatenate([r.codes for r in parts]),
        probabilities=np.concatenate([r.probabilities for r in parts]),
        classes=parts[0].classes, reasons=np.concatenate([r.reasons for r in parts]),
        adapted=np.concatenate([r.adapted for r in parts]))


def _beat_slice(beats: Beats, part: slice) -> Beats:
    """Return the beats of `part` (a slice) as a Beats of their own (the same when all)."""
    if part == slice(0, len(beats)):
        return beats
    per_beat = ("waveforms", "r_peaks", "window", "period_s", "crop_length", "quality")
    return dataclasses.replace(beats, **{f: getattr(beats, f)[part] for f in per_beat})


def _noisy_below(value: object) -> float:
    """Return the checked `noisy_below` of :func:`classify` (a number in [0, 1])."""
    return as_real(value, "noisy_below", low=0.0, high=1.0)


def _noisy(proba: np.ndarray, classes: tuple[str, ...], quality: np.ndarray,
           noisy_below: float) -> np.ndarray:
    """Mark the beats called S, V or F whose stretch quality is below `noisy_below`.

    A NaN quality (not measured) marks nothing.
    """
    called = np.asarray(classes)[np.asarray(proba).argmax(axis=1)]
    return np.isin(called, ABNORMAL_CLASSES) & (np.asarray(quality) < noisy_below)


def _withheld(proba: np.ndarray, threshold: float, classes: tuple[str, ...],
              quality: np.ndarray, noisy_below: float, unreadable: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Each beat's class code (-1: unclassified) and reason, as :data:`REASONS` orders them.

    "uncertain" below the reject `threshold`, "noisy" for S, V or F whose `quality` is
    below `noisy_below`, "unreadable" where the bool mask `unreadable` is True (None:
    nowhere), each later one winning.
    """
    codes = _withheld_codes(proba, threshold)
    reasons = np.full(len(codes), "", dtype="<U10")
    reasons[codes < 0] = "uncertain"
    reasons[_noisy(proba, classes, quality, noisy_below)] = "noisy"
    if unreadable is not None:
        reasons[np.asarray(unreadable, dtype=bool)] = "unreadable"
    codes[reasons != ""] = -1
    return codes, reasons


def _as_classifier(model: BeatClassifier | str | os.PathLike | None) -> BeatClassifier:
    """Return the fitted classifier `model` names (None: the default shipped model)."""
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
    return clf


def _check_adapt(adapt: object, allowed: tuple[str, ...] = ADAPT) -> None:
    """Raise unless `adapt` is one of the names `allowed` or a ``TemplateRule``."""
    if isinstance(adapt, TemplateRule):
        return
    if not isinstance(adapt, str):
        raise TypeError(f"adapt must be one of {', '.join(map(repr, allowed))} or a "
                        f"TemplateRule, got {type(adapt).__name__}")
    as_choice(adapt, "adapt", allowed)


def _classify_beats(clf: BeatClassifier, beats: Beats, *, threshold: float = 0.0,
                    adapt: str | TemplateRule = "template",
                    readable: np.ndarray | None = None,
                    noisy_below: float = 0.0) -> ClassifiedBeats:
    """Classify one recording's checked beats (the trusting path of :func:`classify`).

    `threshold` is the top probability a label needs; `readable` (bool, one per beat,
    e.g. from a signal-quality mask) marks the beats that may be labelled at all;
    beats called S, V or F whose stretch quality is below `noisy_below` are withheld.
    """
    proba = clf._predict_proba(beats, checked=True)  # segment's beats need no re-check
    adapted_proba = _adapted(clf, beats, proba, adapt)
    adapted = adapted_proba.argmax(axis=1) != proba.argmax(axis=1)
    proba = adapted_proba
    unreadable = None if readable is None else ~np.asarray(readable, dtype=bool)
    codes, reasons = _withheld(proba, threshold, tuple(clf.classes_), beats.quality,
                               noisy_below, unreadable)
    names = np.array([*clf.classes_, UNCLASSIFIED])
    labels = names[codes] if len(codes) else np.array([], dtype=names.dtype)
    return ClassifiedBeats(beats=beats, labels=labels, codes=codes, probabilities=proba,
                           classes=tuple(clf.classes_), reasons=reasons, adapted=adapted)


def _adapted(clf: BeatClassifier, beats: Beats, proba: np.ndarray,
             adapt: str | TemplateRule) -> np.ndarray:
    """Return one recording's probabilities after the adaptation `adapt`.

    `adapt` is a checked name, or the template adaptation's rule.
    """
    if adapt == "prior":
        return adapt_prior(proba, training_prior(clf.info, len(clf.classes_)))
    if isinstance(adapt, TemplateRule) or adapt == "template":
        from heartbeat.context import _rr_features

        rule = adapt if isinstance(adapt, TemplateRule) else None
        rr = _rr_features(beats.r_peaks, beats.fs)
        return adapt_template(proba, beats.waveforms, rr, classes=tuple(clf.classes_),
                              fs_out=beats.fs_out, rule=rule)[0]
    return proba
