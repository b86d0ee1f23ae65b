"""Per-frequency-bin standardisation of spectrograms, fitted on training data only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heartbeat._atomic import save_npz_atomic
from heartbeat._validate import as_positive
from heartbeat.windows._args import _as_numeric
from heartbeat.windows._framing import _BLOCK_VALUES

__all__ = ["FrequencyNormalizer"]


@dataclass(frozen=True, eq=False)
class FrequencyNormalizer:
    """Per-frequency-bin standardisation of spectrograms, fitted on training data only.

    ``transform`` maps ``S[..., k, :]`` to ``(S[..., k, :] - mean[k]) / std[k]``.
    Fit it on the training images (after :func:`log_power` usually), then apply the
    same frozen statistics to validation and test images, so nothing about the test
    set leaks into the features.

    Attributes
    ----------
    mean : numpy.ndarray
        float64, shape (n_freqs,): mean of each bin over examples and frames.
    std : numpy.ndarray
        float64, shape (n_freqs,), all > 0: the bin's standard deviation, or 1.0 for a
        bin whose spread was <= `min_std` at fitting (such a bin is only centred).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(3.0, 2.0, size=(100, 4, 10))
    >>> norm = FrequencyNormalizer.fit(train)
    >>> z = norm.transform(train)
    >>> bool(np.allclose(z.mean(axis=(0, 2)), 0)), bool(np.allclose(z.std(axis=(0, 2)), 1))
    (True, True)
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        mean = _as_numeric(self.mean, "mean")
        std = _as_numeric(self.std, "std")
        if np.iscomplexobj(mean) or np.iscomplexobj(std):
            raise TypeError("mean and std must be real")
        if mean.ndim != 1 or mean.shape != std.shape or mean.size == 0:
            raise ValueError(
                f"mean and std must be non-empty 1-D arrays of one length, got shapes "
                f"{mean.shape} and {std.shape}"
            )
        if std.min() <= 0:
            raise ValueError(f"std must be > 0 in every bin, got min {float(std.min())!r}")
        for name, arr in (("mean", mean), ("std", std)):
            arr = np.array(arr, dtype=np.float64)  # our own read-only copy
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_freqs(self) -> int:
        """Number of frequency bins the statistics describe."""
        return int(self.mean.size)

    @classmethod
    def fit(cls, S: np.ndarray, *, min_std: float = 1e-6) -> FrequencyNormalizer:
        """Estimate each frequency bin's mean and standard deviation from training data.

        Parameters
        ----------
        S : array_like, shape (..., n_freqs, n_frames)
            Training spectrograms (any leading batch shape).
        min_std : float, default 1e-6
            Bins whose standard deviation is <= this are left unscaled (std = 1).

        Returns
        -------
        FrequencyNormalizer

        Raises
        ------
        TypeError
            If `S` is not real numeric.
        ValueError
            If `S` is not at least 2-D, holds no examples, or is not finite; or
            `min_std` is not positive.
        """
        min_std = as_positive(min_std, "min_std")
        S = _real_spectrograms(S, "S")
        if S.size == 0:
            raise ValueError(f"S holds no spectrograms to fit (shape {S.shape})")
        n_freqs, n_frames = S.shape[-2:]
        S3 = S.reshape(-1, n_freqs, n_frames)
        # two passes in float64 over blocks of examples: no full-size temporaries
        rows = max(1, _BLOCK_VALUES * 4 // (n_freqs * n_frames))
        blocks = [S3[i : i + rows] for i in range(0, S3.shape[0], rows)]
        count = S3.shape[0] * n_frames
        mean = sum(b.sum(axis=(0, 2), dtype=np.float64) for b in blocks) / count
        sq = np.zeros(n_freqs)
        for b in blocks:
            dev = b - mean[:, None]  # float64
            sq += np.einsum("bft,bft->f", dev, dev)
        std = np.sqrt(sq / count)
        return cls(mean=mean, std=np.where(std > min_std, std, 1.0))

    def transform(self, S: np.ndarray) -> np.ndarray:
        """Standardise spectrograms with the fitted statistics.

        Parameters
        ----------
        S : array_like, shape (..., n_freqs, n_frames)
            Spectrograms with the same frequency bins as the training data.

        Returns
        -------
        numpy.ndarray
            Same shape; float32 for float32 input, else float64.

        Raises
        ------
        TypeError
            If `S` is not real numeric.
        ValueError
            If `S` is not finite or its n_freqs differs from the fitted one.
        """
        S = _real_spectrograms(S, "S")
        if S.shape[-2] != self.n_freqs:
            raise ValueError(
                f"S has {S.shape[-2]} frequency bins (shape {S.shape}) but the normalizer "
                f"was fitted on {self.n_freqs}"
            )
        mean = self.mean.astype(S.dtype)[:, None]
        std = self.std.astype(S.dtype)[:, None]
        return (S - mean) / std

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``mean`` and ``std`` as plain arrays to an ``.npz`` file, atomically.

        Parameters
        ----------
        path : str or path-like
            Destination; ``.npz`` is appended when missing.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        return save_npz_atomic(path, mean=self.mean, std=self.std)

    @classmethod
    def load(cls, path: str | os.PathLike) -> FrequencyNormalizer:
        """Read a normalizer written by :meth:`save` (no pickles are loaded).

        Parameters
        ----------
        path : str or path-like
            An ``.npz`` file holding the arrays ``mean`` and ``std``.

        Returns
        -------
        FrequencyNormalizer

        Raises
        ------
        ValueError
            If the file lacks ``mean`` or ``std`` or they are invalid.
        """
        with np.load(path, allow_pickle=False) as data:
            missing = {"mean", "std"} - set(data.files)
            if missing:
                raise ValueError(
                    f"{path} is not a saved FrequencyNormalizer: missing {sorted(missing)}"
                )
            return cls(mean=data["mean"], std=data["std"])


def _real_spectrograms(S: object, name: str) -> np.ndarray:
    arr = _as_numeric(S, name)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real (e.g. log_power output), got dtype {arr.dtype}")
    if arr.ndim < 2:
        raise ValueError(f"{name} must be at least 2-D (..., n_freqs, n_frames), got {arr.shape}")
    return arr
