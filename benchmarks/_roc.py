"""What the noise stress test's quality figures share: labelled segments and the ROC AUC."""

from __future__ import annotations

import numpy as np


def roc_auc(score_negative: np.ndarray, score_positive: np.ndarray) -> float:
    """P(a positive scores higher than a negative), ties counting half (Mann-Whitney)."""
    neg = np.sort(score_negative)
    pos = np.asarray(score_positive)
    below = np.searchsorted(neg, pos, side="left")
    equal = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * equal).sum() / (neg.size * pos.size))


def segment_labels(starts: np.ndarray, segment_samples: int, noise_on: np.ndarray,
                   start: int) -> np.ndarray:
    """Label each segment from sample `start` on: 0 noise on, 1 noise off, -1 unlabelled.

    A segment is labelled only when it lies wholly inside the signal and wholly inside
    a noise-on or a noise-off stretch.
    """
    labels = np.full(starts.size, -1, dtype=np.int8)
    n = noise_on.size
    edges = np.concatenate([[0], np.cumsum(noise_on)])
    for k, s in enumerate(starts.tolist()):
        e = s + segment_samples
        if s < start or e > n:
            continue
        on = edges[e] - edges[s]
        if on == segment_samples:
            labels[k] = 0
        elif on == 0:
            labels[k] = 1
    return labels
