"""Honest probabilities: temperature scaling and the confidence a label must reach.

A network trained with balanced batches is over-confident on patients it has never
seen.  Temperature scaling (Guo et al. 2017) divides its scores by one scalar ``T``
fitted on held-out beats (minimum negative log-likelihood), which changes no argmax
but makes the top probability mean what it says.  The reject threshold is then
chosen on the same held-out beats: a beat whose top probability is below it is
returned unclassified rather than with a label that is more likely wrong than right.

Both numbers live in the model file's metadata, ``info["calibration"]``
(:class:`Calibration`); a file without them loads uncalibrated (``T = 1``, no
threshold), so older model files keep working unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Calibration", "choose_reject_threshold", "fit_temperature"]

_LOG_T_RANGE = (-3.0, 3.0)  # T between 0.05 and 20: wider means a broken model


@dataclass(frozen=True)
class Calibration:
    """What a classifier learned on held-out beats about its own confidence.

    Attributes
    ----------
    temperature : float
        Scores are divided by it before the softmax (1 = uncalibrated).
    reject_below : float or None
        Beats whose top calibrated probability is below it are unclassified by the
        reject option; None: the model file holds no threshold.
    fitted_on : dict
        What the numbers were fitted on (records, number of beats), as saved.
    """

    temperature: float = 1.0
    reject_below: float | None = None
    fitted_on: dict[str, Any] | None = None

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Return the calibrated class probabilities: softmax of ``logits / temperature``."""
        from heartbeat.nn import softmax

        return softmax(logits / self.temperature)

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> Calibration:
        """Read ``info["calibration"]``; a file without it is uncalibrated."""
        saved = info.get("calibration")
        if not isinstance(saved, dict):
            return cls()
        threshold = saved.get("reject_below")
        return cls(temperature=float(saved.get("temperature", 1.0)),
                   reject_below=None if threshold is None else float(threshold),
                   fitted_on=saved.get("fitted_on"))

    def to_info(self) -> dict[str, Any]:
        """Return the JSON form stored in ``info["calibration"]``."""
        return {"temperature": self.temperature, "reject_below": self.reject_below,
                "fitted_on": self.fitted_on or {}}


def _nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(labels)), labels]))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Return the temperature that minimises the negative log-likelihood of `labels`.

    Parameters
    ----------
    logits : numpy.ndarray, shape (n, n_classes)
        The network's scores of held-out beats (never the beats it was trained on,
        on which it is over-confident by construction).
    labels : numpy.ndarray of int, shape (n,)
        Their true class codes.

    Returns
    -------
    float
        ``T`` in [e^-3, e^3]; the NLL is convex in ``1/T``, so a golden-section
        search over ``log T`` finds its minimum.

    Examples
    --------
    >>> logits = np.array([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
    >>> round(fit_temperature(logits, np.array([0, 1, 1, 0])), 2)  # 1 in 4 wrong
    3.64
    """
    lo, hi = _LOG_T_RANGE
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _nll(logits, labels, np.exp(a)), _nll(logits, labels, np.exp(b))
    while hi - lo > 1e-5:
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = _nll(logits, labels, np.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _nll(logits, labels, np.exp(b))
    return float(np.exp((lo + hi) / 2.0))


def choose_reject_threshold(proba: np.ndarray, labels: np.ndarray) -> float:
    """Return the top-probability threshold that maximises right minus wrong labels.

    Each beat given a label scores +1 if the label is right and -1 if wrong; a beat
    left unclassified scores 0.  So the threshold rejects exactly those confidence
    levels at which the held-out labels were wrong at least as often as right (for
    calibrated probabilities it lands near 0.5).

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, n_classes)
        Calibrated probabilities of held-out beats.
    labels : numpy.ndarray of int, shape (n,)
        Their true class codes.

    Returns
    -------
    float
        Beats with a top probability strictly below it are rejected (0 rejects none).

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.55, 0.45], [0.52, 0.48]])
    >>> choose_reject_threshold(proba, np.array([0, 1, 0, 1]))
    0.9
    """
    top = proba.max(axis=1)
    right = proba.argmax(axis=1) == labels
    order = np.argsort(-top, kind="stable")
    gain = np.cumsum(np.where(right[order], 1, -1))  # gain of keeping the top k+1
    # a threshold can only fall between distinct confidences: last index of each value
    top_sorted = top[order]
    last = np.r_[top_sorted[1:] != top_sorted[:-1], True]
    candidates = np.flatnonzero(last)
    if len(candidates) == 0 or gain[candidates].max() <= 0:
        return float(np.nextafter(top.max(), 2.0)) if len(top) else 0.0
    best = candidates[np.argmax(gain[candidates])]
    if best == len(top) - 1:
        return 0.0
    return float(top_sorted[best])


def _fit_calibration(logits: np.ndarray, labels: np.ndarray, records: list[str]
                     ) -> Calibration:
    """Temperature, then reject threshold, fitted on checked held-out beats."""
    temperature = fit_temperature(logits, labels)
    z = logits / temperature
    z = np.exp(z - z.max(axis=1, keepdims=True))
    threshold = choose_reject_threshold(z / z.sum(axis=1, keepdims=True), labels)
    return Calibration(round(temperature, 6), round(threshold, 6),
                       {"records": records, "n_beats": len(labels)})


def _withheld_codes(proba: np.ndarray, threshold: float) -> np.ndarray:
    """Return each beat's most probable class code, -1 where that probability < `threshold`."""
    codes = proba.argmax(axis=1).astype(np.int64)
    codes[proba.max(axis=1) < threshold] = -1
    return codes


def _reject_threshold(calibration: Calibration, reject: bool | float | None) -> float:
    """Return the top probability a label needs under `reject` (0: no beat is rejected).

    True takes the saved threshold (none saved: 0), False or None rejects nothing, a
    number in [0, 1] is the threshold itself.
    """
    from heartbeat._validate import as_real

    if reject is True:
        return calibration.reject_below or 0.0
    if reject is False or reject is None:
        return 0.0
    return as_real(reject, "reject", low=0.0, high=1.0)
