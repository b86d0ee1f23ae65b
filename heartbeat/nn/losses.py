"""Softmax cross-entropy with optional class weights."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Return row-wise softmax probabilities of `logits` (N, n_classes), computed stably.

    Examples
    --------
    >>> softmax(np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(
    logits: np.ndarray, labels: np.ndarray, class_weights: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of `logits` against integer `labels`, and its gradient.

    With class weights ``w`` the loss is ``sum_i w[y_i] * ce_i / sum_i w[y_i]`` (the
    weighted mean PyTorch's ``CrossEntropyLoss(weight=w)`` uses).

    Parameters
    ----------
    logits : ndarray, shape (N, n_classes)
        Unnormalised scores.
    labels : ndarray of int, shape (N,)
        Class indices in ``0 .. n_classes - 1``.
    class_weights : ndarray, shape (n_classes,), optional
        Non-negative weight per class; None weighs all classes equally.

    Returns
    -------
    loss : float
        The (weighted) mean cross-entropy.
    dlogits : ndarray, shape (N, n_classes)
        Gradient of the loss with respect to `logits`, in the dtype of `logits`.

    Raises
    ------
    ValueError
        If the shapes disagree, a label is out of range or the weights are invalid.

    Examples
    --------
    >>> loss, dlogits = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 6) == round(float(np.log(4)), 6)
    True
    """
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (N, n_classes), got {logits.shape=}")
    n, n_classes = logits.shape
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {n} integers, got {labels.shape=} {labels.dtype=}")
    if n and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got "
                         f"{labels.min()}..{labels.max()}")
    if class_weights is None:
        w = np.ones(n, dtype=np.float64)
    else:
        cw = np.asarray(class_weights, dtype=np.float64)
        if cw.shape != (n_classes,) or not np.all(np.isfinite(cw)) or np.any(cw < 0):
            raise ValueError(f"class_weights must be {n_classes} finite values >= 0, "
                             f"got {class_weights!r}")
        w = cw[labels]
    total = w.sum()
    if n == 0 or total <= 0:
        raise ValueError("softmax_cross_entropy needs at least one sample of positive weight")
    z = logits - logits.max(axis=1, keepdims=True)  # (N, n_classes)
    log_norm = np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p = z - log_norm
    rows = np.arange(n)
    loss = float(-(w * log_p[rows, labels]).sum() / total)
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1.0
    dlogits *= (w / total).astype(logits.dtype)[:, None]
    return loss, dlogits.astype(logits.dtype, copy=False)
