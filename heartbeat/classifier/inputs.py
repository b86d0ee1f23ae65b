"""Beats for the classifier from an array, a BeatSet or a Beats, checked once.

:func:`_beat_inputs` returns the (n, 187) waveforms (with ``context > 0`` the (n, 2,
187) beats with their record context) and, for a model with RR features, the three
RR features of each beat; :func:`_stratified_split` holds out a validation share.
"""

from __future__ import annotations

import numpy as np

from heartbeat._validate import as_beats, as_labels

BEAT_LENGTH = 187
RR_FEATURES = 3


def _is_beatset(x: object) -> bool:
    from heartbeat.datasets import BeatSet

    return isinstance(x, BeatSet)


def _is_beats(x: object) -> bool:
    from heartbeat.pipeline import Beats

    return isinstance(x, Beats)


def _as_waveforms(x: object, name: str = "x") -> np.ndarray:
    """(n, 187) finite float32 beats (a single channel (n, 1, 187) is accepted too)."""
    arr = as_beats(x, name, length=BEAT_LENGTH)
    return arr.reshape(len(arr), BEAT_LENGTH)


def _with_context(x: object, waveforms: np.ndarray, context: int) -> np.ndarray:
    """(n, 2, 187) beats with their record context, rows in the order of `x`.

    A BeatSet is grouped by record and put in time order (sample) within each;
    a Beats is one recording (ordered by R peak); a bare array is one recording
    already in time order.
    """
    from heartbeat.context import with_context

    if _is_beatset(x):
        record = np.asarray(x.record)
        if (record == "").any():
            raise ValueError(
                "a model with context > 0 compares each beat with its recording's other "
                "beats, but this BeatSet has beats without a record name (rows of the "
                "Kaggle CSV files, whose recordings and order are unknown); use "
                "heartbeat.datasets.mitbih_beats, or a model trained with context=0")
        return with_context(waveforms, context, record, times=x.sample)
    if _is_beats(x):
        return with_context(waveforms, context, times=x.r_peaks)
    return with_context(waveforms, context)


def _beat_inputs(
    x: object, need_rr: bool, name: str = "x", context: int = 0, *, checked: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (waveforms, rr or None) from an array, a BeatSet or a Beats.

    With ``context > 0`` the waveforms are (n, 2, 187): beat and beat minus the median
    of its recording's 2*context+1 nearest beats.  With `checked` the waveforms of a
    Beats are trusted (:func:`heartbeat.segment` made them: finite, 187 samples).
    """
    waveforms, rr = _beat_arrays(x, need_rr, name, checked=checked)
    if context:
        waveforms = _with_context(x, waveforms, context)
    return waveforms, rr


def _beat_arrays(
    x: object, need_rr: bool, name: str = "x", *, checked: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (waveforms (n, 187), rr or None) from an array, a BeatSet or a Beats."""
    if _is_beatset(x):
        waveforms = _as_waveforms(x.x, f"{name}.x")
        if not need_rr:
            return waveforms, None
        if not x.has_rr:
            raise ValueError(
                f"this model uses RR-interval features but {name} (a BeatSet) has none "
                "(the Kaggle CSV files carry no R-peak times); use a model trained with "
                "use_rr=False"
            )
        return waveforms, np.ascontiguousarray(x.rr, dtype=np.float32)
    if _is_beats(x):
        waveforms = np.ascontiguousarray(x.waveforms, dtype=np.float32) if checked \
            else _as_waveforms(x.waveforms, f"{name}.waveforms")
        if not need_rr:
            return waveforms, None
        from heartbeat.datasets import rr_features

        return waveforms, rr_features(x.r_peaks, x.fs)
    waveforms = _as_waveforms(x, name)
    if need_rr:
        raise ValueError(
            f"this model uses RR-interval features, which a bare array {name} cannot "
            "give: pass the Beats of heartbeat.segment() or a BeatSet (they carry the "
            "R-peak times), or use a model trained with use_rr=False"
        )
    return waveforms, None


def _stratified_split(labels: np.ndarray, fraction: float, seed: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Hold out `fraction` of each class (at least one beat of classes with >= 2)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = round(fraction * len(idx))
        k = min(max(k, 1), len(idx) - 1) if len(idx) >= 2 else 0
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def _validation_set(validation: object, classes: tuple[str, ...], need_rr: bool,
                    context: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return (waveforms, codes, rr or None) of a validation BeatSet or tuple (x, y)."""
    if _is_beatset(validation):
        vx, vrr = _beat_inputs(validation, need_rr, "validation", context=context)
        vy = as_labels(validation.y, "validation.y", n=len(vx), classes=classes)
    elif isinstance(validation, tuple) and len(validation) == 2:
        vx, vrr = _beat_inputs(validation[0], need_rr, "validation[0]", context=context)
        vy = as_labels(validation[1], "validation[1]", n=len(vx), classes=classes)
    else:
        raise TypeError("validation must be a BeatSet or a tuple (x, y)")
    if len(vx) == 0:
        raise ValueError("validation is empty: give at least one beat")
    return vx, vy, vrr


def _held_out(validation: object, classes: tuple[str, ...], waveforms: np.ndarray,
              labels: np.ndarray, rr: np.ndarray | None, params: dict
              ) -> tuple[np.ndarray, object]:
    """Return (indices of the beats to train on, validation TrainData or None)."""
    from heartbeat.training.settings import TrainData

    everything = np.arange(len(waveforms))
    if validation is not None:
        return everything, TrainData(*_validation_set(
            validation, classes, params["use_rr"], params["context"]))
    if params["validation_fraction"] > 0 and params["early_stopping"] is not None:
        train_idx, val_idx = _stratified_split(labels, params["validation_fraction"],
                                               params["seed"])
        if len(val_idx):
            return train_idx, TrainData(waveforms[val_idx], labels[val_idx],
                                        None if rr is None else rr[val_idx])
        return train_idx, None
    return everything, None


def _true_labels(x: object, y: object, n: int, classes: tuple[str, ...], caller: str
                 ) -> np.ndarray:
    """Return the checked class codes of `n` beats: `y`, or the labels a BeatSet `x` holds."""
    if y is None:
        if not _is_beatset(x):
            raise ValueError("y is required unless x is a BeatSet (which holds labels)")
        y = x.y
    labels = as_labels(y, "y", n=n, classes=classes)
    if len(labels) == 0:
        raise ValueError(f"{caller} needs at least one beat")
    return labels
