"""Models for ±2 s ECG windows seen as log-power spectrograms (normal / abnormal).

A window of 1,440 samples (±2 s at 360 Hz) becomes a spectrogram of 33 frequency bins
by 87 STFT frames (:func:`log_spectrograms`: Hann segments of 64 samples, hop 16),
standardised per frequency bin on the training set
(:class:`heartbeat.windows.FrequencyNormalizer`).  The engine reads it as a sequence
``(N, C, L)`` with the **frequency bins as channels and the frames as time**, and two
architectures classify it:

* :func:`spectrogram_cnn` -- 1-D convolutions over time (all bins in every kernel),
  max-pooling, flatten and a dense head;
* :func:`bilstm_classifier` -- a :class:`~heartbeat.nn.lstm.BiLSTM` over the frames,
  its two states at the centre frame (or their time-mean, or the last states), and a
  dense head.

A window is labelled by the beat at its centre, yet holds three to eight neighbours,
so both models keep *where* in the window a pattern is: the CNN flattens its last
feature map instead of averaging it over time, and the BiLSTM reads out the centre
frame by default (``pooling="mean"`` and ``"last"`` remain, but a mean over time
cannot tell an abnormal centre beat from an abnormal neighbour).

Each function returns a spec for :func:`heartbeat.nn.build`
(``build(spectrogram_cnn(), seed=0)``); :func:`heartbeat.nn.save` / :func:`~heartbeat.nn.load`
work for both (``heartbeat.nn`` registers the recurrent layers).  The names are listed
in :data:`WINDOW_ARCHITECTURES`, not in :data:`heartbeat.nn.ARCHITECTURES`: that table
holds beat models whose named form takes one channel of `input_length` samples, while
these take `input_channels` frequency bins.

Why 1-D convolutions with the bins as channels rather than a 2-D convolution over the
image: a 33-bin axis is short, and the bins are not translation-invariant (a QRS
complex at 10-20 Hz and baseline wander below 1 Hz are different things, not the same
pattern moved), so weight sharing along frequency buys little; a kernel that sees
every bin at once learns the joint spectral shape of a few frames directly.  It also
reuses the engine's tested ``Conv1d`` (patches + one BLAS product) with no new layer,
and costs one product per layer instead of one per frequency position.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from heartbeat._validate import as_choice, as_fs, as_positive_int
from heartbeat.nn import lstm as _lstm  # noqa: F401  (registers "lstm" and "bilstm")
from heartbeat.nn.architectures import SPEC_FORMAT, conv_spec, mlp_head
from heartbeat.windows._args import _as_real_batch, _segment_args
from heartbeat.windows.spectral import _decibels, _spectrogram

N_FREQS = 33  # one-sided bins of a 64-sample segment
N_FRAMES = 87  # frames of a 1,440-sample window with hop 16


def _window_spec(name: str, n_classes: int, input_channels: int, input_length: int,
                 extra_inputs: int, features: list[dict], head: list[dict]) -> dict:
    return {"format": SPEC_FORMAT, "name": name, "input_channels": int(input_channels),
            "input_length": int(input_length), "n_classes": int(n_classes),
            "extra_inputs": int(extra_inputs), "features": features, "head": head}


def spectrogram_cnn(n_classes: int = 2, input_length: int = N_FRAMES, extra_inputs: int = 0,
                    *, input_channels: int = N_FREQS) -> dict:
    """Spec of a CNN over spectrogram frames, frequency bins as channels.

    Conv (C -> 32, k5, same) + ReLU, max-pool 2; conv (32 -> 64, k5, same) + ReLU,
    max-pool 2; conv (64 -> 64, k3, same) + ReLU, max-pool 2 (87 frames -> 43, 21,
    10); flatten (640); Dense 32 + ReLU; dropout 0.2; Dense `n_classes`.  48,546
    parameters for 33 bins, 87 frames and 2 classes.

    Parameters
    ----------
    n_classes : int, default 2
        Output classes (normal / abnormal).
    input_length : int, default 87
        STFT frames per window (87 for 1,440 samples, segments of 64, hop 16).
    extra_inputs : int, default 0
        Extra features appended before the head.
    input_channels : int, default 33
        Frequency bins.

    Returns
    -------
    dict
        A spec for :func:`heartbeat.nn.build`.

    Raises
    ------
    TypeError
        If a size is not an integer.
    ValueError
        If a size is < 1 or `input_length` < 8 (three pools of 2).

    Examples
    --------
    >>> from heartbeat.nn import build
    >>> build(spectrogram_cnn(), seed=0).n_params
    48546
    """
    n_classes = as_positive_int(n_classes, "n_classes")
    input_length = as_positive_int(input_length, "input_length")
    input_channels = as_positive_int(input_channels, "input_channels")
    if input_length < 8:
        raise ValueError(f"input_length={input_length!r} must be >= 8 (three max-pools "
                         "of 2)")
    length = input_length
    for _ in range(3):
        length = (length - 2) // 2 + 1
    features = [
        conv_spec(input_channels, 32, 5, activation="relu"),
        {"type": "maxpool1d", "kernel_size": 2, "stride": 2},
        conv_spec(32, 64, 5, activation="relu"),
        {"type": "maxpool1d", "kernel_size": 2, "stride": 2},
        conv_spec(64, 64, 3, activation="relu"),
        {"type": "maxpool1d", "kernel_size": 2, "stride": 2},
        {"type": "flatten"},
    ]
    head = mlp_head(64 * length + extra_inputs, n_classes, hidden=32, dropout=0.2)
    return _window_spec("spectrogram_cnn", n_classes, input_channels, input_length,
                        extra_inputs, features, head)


def bilstm_classifier(n_classes: int = 2, input_length: int = N_FRAMES,
                      extra_inputs: int = 0, *, input_channels: int = N_FREQS,
                      hidden_size: int = 32, pooling: str = "center") -> dict:
    """Spec of a bidirectional LSTM over spectrogram frames.

    BiLSTM (C -> 2 x `hidden_size`) over the frames, read out at the centre frame
    (``pooling="center"``), averaged over time (``"mean"``) or as each direction's
    final state (``"last"``); Dense 32 + ReLU; Dense `n_classes`.  19,042 parameters
    for 33 bins, 32 hidden units per direction and 2 classes.

    Parameters
    ----------
    n_classes : int, default 2
        Output classes.
    input_length : int, default 87
        STFT frames per window.
    extra_inputs : int, default 0
        Extra features appended before the head.
    input_channels : int, default 33
        Frequency bins.
    hidden_size : int, default 32
        Hidden units per direction.
    pooling : {"center", "mean", "last"}, default "center"
        How the sequence of states becomes one vector (see
        :class:`~heartbeat.nn.lstm.BiLSTM`).

    Returns
    -------
    dict
        A spec for :func:`heartbeat.nn.build`.

    Raises
    ------
    TypeError
        If a size is not an integer.
    ValueError
        If a size is < 1 or `pooling` is unknown.

    Examples
    --------
    >>> from heartbeat.nn import build
    >>> build(bilstm_classifier(), seed=0).n_params
    19042
    """
    n_classes = as_positive_int(n_classes, "n_classes")
    input_length = as_positive_int(input_length, "input_length")
    input_channels = as_positive_int(input_channels, "input_channels")
    hidden_size = as_positive_int(hidden_size, "hidden_size")
    as_choice(pooling, "pooling", ("center", "mean", "last"))
    features = [{"type": "bilstm", "input_size": input_channels, "hidden_size": hidden_size,
                 "output": pooling}]
    head = [
        {"type": "dense", "in_features": 2 * hidden_size + extra_inputs, "out_features": 32},
        {"type": "relu"},
        {"type": "dense", "in_features": 32, "out_features": n_classes},
    ]
    return _window_spec("bilstm_classifier", n_classes, input_channels, input_length,
                        extra_inputs, features, head)


def log_spectrograms(x: np.ndarray, fs: float, *, nperseg: int = 64, noverlap: int = 48,
                     block: int = 4096) -> np.ndarray:
    """Log-power spectrograms (dB) of many windows, computed block by block.

    Parameters
    ----------
    x : array_like, shape (N, n)
        Windows, time on the last axis (float32 in gives float32 out).
    fs : float
        Sampling frequency in Hz.
    nperseg, noverlap : int
        STFT segment length and overlap in samples (defaults: 33 bins x 87 frames for
        1,440 samples).
    block : int, default 4096
        Windows per call of :func:`heartbeat.windows.spectrogram`: the temporaries
        stay a few blocks in size, the output is filled in place.

    Returns
    -------
    numpy.ndarray, shape (N, nperseg // 2 + 1, n_frames)
        ``log_power(spectrogram(x, fs)[2])`` with the default Hann window, constant
        detrend and density scaling.

    Raises
    ------
    TypeError
        If `block` is not an integer (other errors come from
        :func:`heartbeat.windows.spectrogram`).
    ValueError
        If `x` is not 2-D or `block` < 1.

    Examples
    --------
    >>> S = log_spectrograms(np.ones((3, 1440), np.float32), fs=360.0)
    >>> S.shape, S.dtype.name
    ((3, 33, 87), 'float32')
    """
    x = _as_real_batch(x, "x")
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (N windows, n samples), got {x.shape=}")
    block = as_positive_int(block, "block")
    fs = as_fs(fs)
    win, nperseg, noverlap, nfft = _segment_args(x.shape[-1], "hann", nperseg, noverlap, None)

    def log_power_of(rows: np.ndarray) -> np.ndarray:  # checked once above, not per block
        sxx = _spectrogram(rows, fs, win, nperseg=nperseg, noverlap=noverlap, nfft=nfft,
                           detrend="constant", onesided=True, scaling="density",
                           mode="psd").Sxx
        return _decibels(sxx, 10.0, -120.0)  # log_power's default floor, in place

    first = log_power_of(x[:1])
    out = np.empty((len(x), *first.shape[1:]), dtype=first.dtype)
    for i in range(0, len(x), block):
        out[i:i + block] = log_power_of(x[i:i + block])
    return out


WINDOW_ARCHITECTURES: dict[str, Callable[..., dict]] = {
    "spectrogram_cnn": spectrogram_cnn,
    "bilstm_classifier": bilstm_classifier,
}
"""Spec functions of the window models by name (called like ``nn.ARCHITECTURES``)."""
