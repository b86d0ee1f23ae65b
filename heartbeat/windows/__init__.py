"""The ±2 s research track: beat-centred ECG windows seen as spectrograms.

One family of published beat classifiers turns a window of ECG centred on each beat
(±2 s, 1,440 samples at 360 Hz) into a time-frequency image and gives it to a CNN or a
BiLSTM.  This package holds that track, apart from the 187-sample beat pipeline:

* :mod:`~heartbeat.windows.spectral` -- :func:`stft`, :func:`spectrogram` and
  :func:`log_power`, vectorised over a batch and agreeing with SciPy;
* :mod:`~heartbeat.windows.tapers` -- :func:`get_window` (periodic analysis windows)
  and the default segment, :data:`DEFAULT_NPERSEG` / :data:`DEFAULT_NOVERLAP`;
* :mod:`~heartbeat.windows.normalize` -- :class:`FrequencyNormalizer`, per-bin
  standardisation fitted on training images only;
* :mod:`~heartbeat.windows.models` -- the window models (specs for
  :func:`heartbeat.nn.build`) and :func:`~heartbeat.windows.models.log_spectrograms`.

``heartbeat.features`` (the 0.1 name) is this package.
"""

from __future__ import annotations

import importlib
from typing import Any

from heartbeat.windows.normalize import FrequencyNormalizer
from heartbeat.windows.spectral import (
    SpectrogramResult,
    STFTResult,
    log_power,
    spectrogram,
    stft,
)
from heartbeat.windows.tapers import DEFAULT_NOVERLAP, DEFAULT_NPERSEG, WINDOWS, get_window

# the models need the nn engine: imported on first use, so the spectral functions do not
_MODELS = (
    "N_FRAMES", "N_FREQS", "WINDOW_ARCHITECTURES", "bilstm_classifier", "log_spectrograms",
    "spectrogram_cnn",
)

__all__ = [
    *_MODELS,
    "DEFAULT_NOVERLAP",
    "DEFAULT_NPERSEG",
    "WINDOWS",
    "FrequencyNormalizer",
    "STFTResult",
    "SpectrogramResult",
    "get_window",
    "log_power",
    "spectrogram",
    "stft",
]


def __getattr__(name: str) -> Any:
    if name in _MODELS:
        return getattr(importlib.import_module("heartbeat.windows.models"), name)
    raise AttributeError(f"module 'heartbeat.windows' has no attribute {name!r}")
