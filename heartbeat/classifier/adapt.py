"""Unsupervised per-recording adaptation: the recording's own class prior.

A classifier trained with balanced batches believes every class is equally likely
before it sees a beat; a real recording is mostly N beats, and each patient has his
own mix.  :func:`adapt_prior` re-estimates the recording's class prior from the
classifier's own probabilities by expectation-maximisation and re-weights each
beat's probabilities by new prior / training prior (Saerens, Latinne & Decaestecker
2002, "Adjusting the outputs of a classifier to new a priori probabilities", Neural
Computation 14(1), eqs. 2.4-2.5).  No labels are used; the cost is a few passes over
an (n, n_classes) array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ADAPT", "adapt_prior", "training_prior"]

ADAPT: tuple[str, ...] = ("none", "prior", "template")
"""Adaptation methods of :func:`heartbeat.classify`: ``"none"``, ``"prior"`` (here) or
``"template"`` (:mod:`heartbeat.classifier.template`)."""

_FLOOR = 1e-6  # no class's prior reaches zero: one odd beat can always be recognised


def training_prior(info: dict[str, Any], n_classes: int) -> np.ndarray:
    """Return the class prior a classifier's outputs assume, from its file's ``info``.

    With ``sampler="balanced"`` every class present in training was drawn equally
    often; with ``"shuffle"`` in its natural proportion.  Classes absent from training
    (for example Q in ``mitbih-ds1``) get prior 0: they are never re-weighted.  An
    ``info`` without class counts gives the uniform prior.
    """
    counts = info.get("train_class_counts")
    classes = info.get("classes")
    if not isinstance(counts, dict) or not isinstance(classes, list) \
            or len(classes) != n_classes:
        return np.full(n_classes, 1.0 / n_classes)
    n = np.array([float(counts.get(c, 0)) for c in classes])
    if n.sum() <= 0:
        return np.full(n_classes, 1.0 / n_classes)
    sampler = info.get("params", {}).get("sampler", "balanced")
    prior = (n > 0).astype(np.float64) if sampler == "balanced" else n
    return prior / prior.sum()


def adapt_prior(proba: np.ndarray, prior: np.ndarray, *, max_iter: int = 100,
                tol: float = 1e-6) -> np.ndarray:
    """Re-weight one recording's probabilities to the class prior EM finds in it.

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, n_classes)
        The classifier's (calibrated) probabilities of one recording's beats.
    prior : numpy.ndarray, shape (n_classes,)
        The prior those probabilities assume (:func:`training_prior`); classes with
        prior 0 keep their probabilities unchanged.
    max_iter : int, default 100
        EM iterations at most.
    tol : float, default 1e-6
        Stop when no class prior moves by more than this.

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)
        Adapted probabilities, rows summing to 1 (a copy; `proba` is unchanged).

    Examples
    --------
    A recording of 8 clear N beats, one clear V and one unsure beat: EM finds the
    recording about 93 % N, and the unsure beat now leans to N.

    >>> proba = np.array([[0.95, 0.05]] * 8 + [[0.05, 0.95], [0.4, 0.6]])
    >>> adapt_prior(proba, np.array([0.5, 0.5]))[-1].round(2).tolist()
    [0.89, 0.11]
    """
    if len(proba) == 0:
        return proba.copy()
    known = prior > 0
    mass = proba[:, known].sum(axis=1, keepdims=True)  # what the known classes share
    new = prior[known] / prior[known].sum()
    base = new.copy()
    adapted = proba.copy()
    for _ in range(max_iter):
        adapted[:, known] = _reweight(proba[:, known], new / base, mass)
        estimate = np.maximum(adapted[:, known].mean(axis=0), _FLOOR)
        estimate /= estimate.sum()
        moved = float(np.abs(estimate - new).max())
        new = estimate
        if moved < tol:
            break
    adapted[:, known] = _reweight(proba[:, known], new / base, mass)
    return adapted


def _reweight(proba: np.ndarray, weight: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """Rows of `proba` times `weight`, rescaled to their original total `mass`."""
    out = proba * weight
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out * mass, total, out=np.zeros_like(out), where=total > 0)
