"""Which beats each training batch holds: class-balanced batches or shuffled epochs.

Both samplers draw from a generator that is a pure function of the seed and the epoch
(:func:`_epoch_rng`), so a resumed run draws exactly the batches of an uninterrupted
one.  Class weights for the loss are worked out here too.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SAMPLERS"]

SAMPLERS: tuple[str, ...] = ("balanced", "shuffle")


def _epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """Return the sampler's generator for `epoch` (0-based), a pure function of both."""
    return np.random.default_rng(np.random.SeedSequence([seed, epoch, 0x5EED]))


def _augment_rng(seed: int, epoch: int) -> np.random.Generator:
    """Return the augmenter's generator for `epoch`, apart from the sampler's stream."""
    return np.random.default_rng(np.random.SeedSequence([seed, epoch, 0xA06]))


def _balanced_indices(y: np.ndarray, n_classes: int, n_batches: int, batch_size: int,
                      rng: np.random.Generator) -> np.ndarray:
    """(n_batches, batch_size) indices with every present class equally often per batch.

    Each class is walked in a fresh random order, repeated as often as needed (a class
    of m beats contributes each beat once before any beat twice); the remainder of
    ``batch_size / n_present`` goes to randomly chosen classes, and each batch is
    shuffled.
    """
    members = [np.flatnonzero(y == c) for c in range(n_classes)]
    present = [m for m in members if len(m)]
    k = len(present)
    counts = np.full((n_batches, k), batch_size // k, dtype=np.int64)
    rem = batch_size - k * (batch_size // k)
    for b in range(n_batches):
        counts[b, rng.choice(k, size=rem, replace=False)] += 1
    per_class = []
    for j, m in enumerate(present):
        need = int(counts[:, j].sum())
        reps = -(-need // len(m))
        stream = np.concatenate([m[:0], *(rng.permutation(m) for _ in range(reps))])[:need]
        per_class.append(np.split(stream, np.cumsum(counts[:, j])[:-1]))
    out = np.empty((n_batches, batch_size), dtype=np.int64)
    for b in range(n_batches):
        out[b] = rng.permutation(np.concatenate([per_class[j][b] for j in range(k)]))
    return out


def _shuffle_indices(y: np.ndarray, n_classes: int, upsample: int | None,
                     rng: np.random.Generator) -> np.ndarray:
    """One epoch's order: every beat once, minority classes topped up to `upsample`."""
    if upsample is None:
        return rng.permutation(len(y))
    pool = []
    for c in range(n_classes):
        m = np.flatnonzero(y == c)
        if len(m) == 0:
            continue
        pool.append(m)
        if len(m) < upsample:
            pool.append(rng.choice(m, size=upsample - len(m), replace=True))
    return rng.permutation(np.concatenate(pool))


def _batches_per_epoch(counts: np.ndarray, sampler: str, batch_size: int,
                       upsample: int | None) -> int:
    """Batches in one epoch: ``ceil(n / batch_size)``, n after upsampling with "shuffle"."""
    n = int(counts.sum())
    if sampler == "shuffle" and upsample is not None:
        n = int(sum(max(int(c), upsample) for c in counts if c > 0))
    return -(-n // batch_size)


def _epoch_batches(y: np.ndarray, n_classes: int, n_batches: int, *, sampler: str,
                   batch_size: int, upsample: int | None, seed: int, epoch: int
                   ) -> list[np.ndarray]:
    """Return the index arrays of the batches of `epoch` (0-based), in training order."""
    rng = _epoch_rng(seed, epoch)
    if sampler == "balanced":
        return list(_balanced_indices(y, n_classes, n_batches, batch_size, rng))
    idx = _shuffle_indices(y, n_classes, upsample, rng)
    return [idx[i:i + batch_size] for i in range(0, len(idx), batch_size)]


def _balanced_class_weights(counts: np.ndarray) -> np.ndarray:
    """Loss weights inversely proportional to the class counts (0 for absent classes)."""
    n = int(counts.sum())
    return np.where(counts > 0, n / (np.count_nonzero(counts) * np.maximum(counts, 1)), 0.0)
