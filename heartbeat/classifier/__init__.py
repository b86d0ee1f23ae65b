"""Heartbeat classification for users: :class:`BeatClassifier` and :func:`classify`.

* :class:`BeatClassifier` wraps a :mod:`heartbeat.nn` model in the scikit-learn style
  (``fit``, ``predict``, ``predict_proba``, ``score``, ``get_params``/``set_params``)
  and saves it as one ``.npz`` file that loads with NumPy alone.
* :meth:`BeatClassifier.pretrained` loads a model shipped with the package:
  ``"mitbih-all"`` (the default, trained on all 48 MIT-BIH records) or
  ``"mitbih-ds1"`` (trained on the inter-patient training records DS1 only, so its
  scores on DS2 are honest).
* :func:`classify` segments a raw ECG and classifies every beat in one call; a beat
  the model is unsure of comes back unclassified (label ``"?"``, code -1) with its
  reason (:data:`REASONS`) instead of a confident wrong label.
* :func:`join` makes one classifier of several fitted ones (an ensemble of seeds): its
  logits are the mean of theirs, and it saves, loads and exports as one model file.
* :meth:`BeatClassifier.calibrate` fits a temperature and a reject threshold on
  held-out beats and saves them in the model file (older files load uncalibrated).

Beats go in as an (n, 187) array, a :class:`heartbeat.datasets.BeatSet` or the
:class:`heartbeat.pipeline.Beats` of :func:`heartbeat.segment`.  A model trained with
``use_rr=True`` also reads three RR-interval features per beat (previous, next and
local mean RR over the record's mean RR, :func:`heartbeat.context.rr_features`);
those come from the R-peak times that a ``BeatSet`` or ``Beats`` carries.  A model
trained with ``context=K > 0`` also reads, as a second input channel, each beat minus
the median of the 2K+1 nearest beats of its recording
(:func:`heartbeat.context.with_context`); it needs the other beats of the recording,
in time order (see :class:`BeatClassifier`).

The parts: :mod:`~heartbeat.classifier.estimator` (:class:`BeatClassifier`),
:mod:`~heartbeat.classifier.inputs` (beats, RR features, record context),
:mod:`~heartbeat.classifier.params` (constructor defaults and checks),
:mod:`~heartbeat.classifier.calibration` (temperature, reject threshold),
:mod:`~heartbeat.classifier.adapt` (per-recording class prior),
:mod:`~heartbeat.classifier.template` (per-recording dominant beat: ``adapt="template"``),
:mod:`~heartbeat.classifier.ensemble` (:func:`join`),
:mod:`~heartbeat.classifier.saved` (file checks, the shipped models) and
:mod:`~heartbeat.classifier.results` (:func:`classify`, :class:`ClassifiedBeats`).
"""

from heartbeat.classifier.ensemble import join
from heartbeat.classifier.estimator import BeatClassifier
from heartbeat.classifier.inputs import BEAT_LENGTH as BEAT_LENGTH
from heartbeat.classifier.inputs import RR_FEATURES as RR_FEATURES
from heartbeat.classifier.results import REASONS, UNCLASSIFIED, ClassifiedBeats, classify
from heartbeat.classifier.saved import CLASSIFIER_FORMAT as CLASSIFIER_FORMAT
from heartbeat.classifier.saved import PRETRAINED

__all__ = ["PRETRAINED", "REASONS", "UNCLASSIFIED", "BeatClassifier", "ClassifiedBeats",
           "classify", "join"]
