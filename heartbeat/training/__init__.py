"""Training loop for :mod:`heartbeat.nn` models: sampling, validation, early stopping.

:func:`fit` trains a model on beats with Adam as Kachuee et al. (2018) did (learning
rate 1e-3, multiplied by 0.75 every 10,000 iterations), draws class-balanced batches
by default, scores a validation set after every epoch (loss, accuracy, macro-F1),
stops early on the validation macro-F1 and keeps the best weights, writes a
checkpoint after every epoch and resumes an interrupted run to exactly the result of
an uninterrupted one.  It also fine-tunes: ``init=`` copies a trained model's weights
and ``trainable_layers=k`` trains only the last k parameterised layers.

The parts, in the order a run meets them: :mod:`~heartbeat.training.api` (``fit``
checks its arguments once), :mod:`~heartbeat.training.inputs` (beats, labels and extra
inputs), :mod:`~heartbeat.training.transfer` (``init=``, frozen layers,
``with_n_classes``), :mod:`~heartbeat.training.settings` (the checked options),
:mod:`~heartbeat.training.loop` (epochs, validation, early stopping),
:mod:`~heartbeat.training.sampling` (which beats each batch holds),
:mod:`~heartbeat.training.augment` (``augment=``: batches that look like other recordings),
:mod:`~heartbeat.training.checkpoints` (save and resume),
:mod:`~heartbeat.training.history` and :mod:`~heartbeat.training.progress`.

>>> import numpy as np
>>> import heartbeat.nn as nn
>>> from heartbeat.training import fit
>>> rng = np.random.default_rng(0)
>>> x = rng.random((64, 187), dtype=np.float32)
>>> y = np.repeat(np.arange(2), 32)
>>> x[y == 1, 90:100] += 1.0  # class 1 has a bump
>>> model = nn.build("cnn_mlp", n_classes=2, seed=0)
>>> history = fit(model, x, y, epochs=3, batch_size=16, quiet=True)
>>> history.n_epochs, len(history.train_loss)
(3, 3)
"""

from heartbeat.training.api import fit
from heartbeat.training.augment import Augmenter, noise_bank
from heartbeat.training.checkpoints import CHECKPOINT_NAME
from heartbeat.training.history import History
from heartbeat.training.loop import _fit as _fit  # the trusting entry point
from heartbeat.training.sampling import SAMPLERS
from heartbeat.training.transfer import parameterised_layers, with_n_classes

__all__ = ["CHECKPOINT_NAME", "SAMPLERS", "Augmenter", "History", "fit", "noise_bank",
           "parameterised_layers", "with_n_classes"]
