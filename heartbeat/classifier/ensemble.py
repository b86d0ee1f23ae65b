"""Fitted classifiers joined into one: :func:`join`, an ensemble saved as one model file.

Single training runs differ a lot between seeds; the mean of several runs' logits is
steadier than any one of them.  :func:`join` makes one :class:`BeatClassifier` of
several fitted ones; it predicts, classifies, streams, saves, loads and exports as a
single classifier does, and its file (one ``.npz``, format 2 of
:mod:`heartbeat.nn.io`) loads with ``allow_pickle=False``.

The members must give the same classes from the same inputs (record context and RR
features) and assume the same class prior (``classify(adapt="prior")`` re-weights by
it); their architectures, seeds and training recipes may differ.  The joined model is
uncalibrated: the members' temperatures and thresholds were fitted to their own
logits, not to the mean, so call :meth:`BeatClassifier.calibrate` on held-out beats.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from heartbeat.classifier.adapt import training_prior
from heartbeat.classifier.estimator import BeatClassifier
from heartbeat.classifier.saved import CLASSIFIER_FORMAT

__all__ = ["COMBINE", "join"]

COMBINE = "mean of logits"
"""How an ensemble combines its members (``info["ensemble"]["combine"]``)."""
_NOT_COPIED = ("classifier_format", "classes")  # the ensemble's own, the same for all


def join(members: Sequence[BeatClassifier | str | os.PathLike], *,
         info: dict[str, Any] | None = None) -> BeatClassifier:
    """Join fitted classifiers into one whose logits are the mean of theirs.

    Parameters
    ----------
    members : sequence of BeatClassifier or path-like
        At least two fitted classifiers (or saved ``.npz`` files of them) with the
        same classes, record context (``context``) and RR inputs (``use_rr``), the
        same class prior and one dtype.  Architectures and seeds may differ.  An
        ensemble cannot be a member: join its members' files.
    info : dict, optional
        Extra JSON-serialisable facts for :attr:`BeatClassifier.info` (for example the
        recipe and the command that trained the members).

    Returns
    -------
    BeatClassifier
        Fitted and uncalibrated, with the parameters of ``members[0]``;
        ``info["ensemble"]`` holds ``combine`` (:data:`COMBINE`), the members' seeds
        and each member's own ``info`` (its parameters, records, scores, calibration).
        The arrays are copied: the members stay as they were.

    Raises
    ------
    TypeError
        If a member is not a classifier or path, or `info` is not a dict.
    ValueError
        For fewer than two members, an unfitted member, a member that is an ensemble,
        members that differ in classes, inputs, class prior or dtype, or `info` that is
        not JSON-serialisable.
    FileNotFoundError
        If a member path does not exist.

    Examples
    --------
    Join three fitted models saved by ``heartbeat train --seed S``, then fit the
    calibration of their mean logits on held-out beats:

    >>> from heartbeat.classifier import join
    >>> ensemble = join(["seed0.npz", "seed1.npz", "seed2.npz"])  # doctest: +SKIP
    >>> ensemble.calibrate(held_out_beats).save("ensemble.npz")  # doctest: +SKIP

    The shipped ``mitbih-ds1`` is such an ensemble:

    >>> import heartbeat
    >>> heartbeat.BeatClassifier.pretrained("mitbih-ds1").info["ensemble"]["seeds"]
    [0, 1, 2]
    """
    from heartbeat import __version__, nn

    clfs = _fitted_members(members)
    if info is not None and not isinstance(info, dict):
        raise TypeError(f"info must be a dict, got {type(info).__name__}")
    first = clfs[0]
    nets = [_copied(clf._model()) for clf in clfs]
    ensemble = nn.Ensemble(nets).eval()
    member_infos = [{k: v for k, v in clf.info.items() if k not in _NOT_COPIED}
                    for clf in clfs]
    joined = BeatClassifier(**{**first.info["params"], "backend": first.backend,
                               "threads": first.threads})
    joined._info = {
        "classifier_format": CLASSIFIER_FORMAT,
        "classes": list(first.classes_),
        "params": first.info["params"],
        "records": sorted({str(r) for clf in clfs for r in clf.info.get("records", [])}),
        "train_class_counts": _class_counts(clfs),
        "ensemble": {
            "combine": COMBINE,
            "seeds": [clf.info["params"].get("seed") for clf in clfs],
            "architectures": [net.spec["name"] for net in nets],
            "members": member_infos,
        },
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "heartbeat_version": __version__,
        **(info or {}),
    }
    _check_json(joined._info)
    joined.model_, joined.classes_, joined.history_ = ensemble, tuple(first.classes_), None
    return joined


def _fitted_members(members: object) -> list[BeatClassifier]:
    """Return `members` as fitted, single-network classifiers that agree, or raise."""
    from heartbeat import nn

    if isinstance(members, (str, os.PathLike, BeatClassifier)) or \
            not isinstance(members, Sequence):
        raise TypeError(f"members must be a list of classifiers or model files, got "
                        f"{type(members).__name__}")
    if len(members) < 2:
        raise ValueError(f"join needs at least 2 members, got {len(members)}")
    clfs = []
    for i, member in enumerate(members):
        if isinstance(member, (str, os.PathLike)):
            member = BeatClassifier.load(member)
        elif not isinstance(member, BeatClassifier):
            raise TypeError(f"members[{i}] must be a BeatClassifier or a model file, got "
                            f"{type(member).__name__}")
        if isinstance(member._model(), nn.Ensemble):  # _model() raises when unfitted
            raise ValueError(f"members[{i}] is already an ensemble; join the files of "
                             "its members instead (an ensemble holds single networks)")
        clfs.append(member)
    first = clfs[0]
    prior = training_prior(first.info, len(first.classes_))
    for i, clf in enumerate(clfs[1:], start=1):
        differ = [what for what, same in (
            ("classes", clf.classes_ == first.classes_),
            ("context", clf._context == first._context),
            ("use_rr", clf._uses_rr == first._uses_rr),
            ("dtype", clf.model_.dtype == first.model_.dtype)) if not same]
        if not differ and not np.allclose(training_prior(clf.info, len(clf.classes_)),
                                          prior, rtol=0, atol=1e-9):
            differ = ["class prior (sampler or training classes)"]
        if differ:
            raise ValueError(f"members[{i}] differs from members[0] in "
                             f"{', '.join(differ)}; an ensemble's members must give the "
                             "same classes from the same inputs")
    return clfs


def _copied(net: Any) -> Any:
    """Return a copy of the network `net` in evaluation mode (its arrays copied)."""
    from heartbeat import nn

    copy = nn.Model(net.spec, dtype=net.dtype, backend=net.backend, threads=net.threads)
    copy.set_arrays({**net.named_params(), **net.named_buffers()})
    return copy.eval()


def _class_counts(clfs: list[BeatClassifier]) -> dict[str, int]:
    """Return the training beats per class: the members' if all agree, else their sum."""
    counts = [clf.info.get("train_class_counts") or {} for clf in clfs]
    if all(c == counts[0] for c in counts):
        return dict(counts[0])
    return {c: int(sum(int(k.get(c, 0)) for k in counts)) for c in clfs[0].classes_}


def _check_json(info: dict[str, Any]) -> None:
    """Raise ValueError when `info` cannot be saved as JSON."""
    try:
        json.dumps(info)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"info must be JSON-serialisable: {exc}") from None
