""":class:`BeatClassifier`: a heartbeat classifier in the scikit-learn style.

It wraps a :mod:`heartbeat.nn` model (``fit``, ``predict``, ``predict_proba``,
``score``, ``get_params``/``set_params``) and saves it as one ``.npz`` file that loads
with NumPy alone; :meth:`BeatClassifier.pretrained` loads a model shipped with the
package.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from heartbeat._validate import as_bool, as_labels
from heartbeat.aami import CLASSES
from heartbeat.classifier.calibration import (
    Calibration,
    _fit_calibration,
    _reject_threshold,
    _withheld_codes,
)
from heartbeat.classifier.inputs import (
    RR_FEATURES,
    _beat_inputs,
    _held_out,
    _is_beatset,
    _true_labels,
)
from heartbeat.classifier.params import _DEFAULTS, _check_params
from heartbeat.classifier.saved import (
    PRETRAINED,
    _fit_info,
    _load,
    _pretrained,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from heartbeat.nn import Model

__all__ = ["BeatClassifier"]


class BeatClassifier:
    """A heartbeat classifier in the scikit-learn style, on the :mod:`heartbeat.nn` engine.

    Parameters
    ----------
    architecture : str, default "kachuee2018"
        Network: ``"kachuee2018"`` (the paper's residual CNN), ``"cnn_mlp"``,
        ``"cnn4_dense4"`` or ``"large_kernel"`` (see :data:`heartbeat.nn.ARCHITECTURES`).
    use_rr : bool, default True
        Append the three RR-interval features of each beat to the network's features
        before its dense head.  They help tell premature (S, V) beats from normal ones
        across patients, but then the inputs must carry R-peak times (a ``Beats`` or a
        ``BeatSet``, not a bare array).
    log_rr : bool, default False
        Feed the network the logarithms of the RR features (the model applies them,
        ``heartbeat.nn.build(extra_transform="log")``), so that the prematurity of a
        beat, previous RR / local mean RR, becomes a difference the network can read
        directly.  Only with ``use_rr=True``.
    context : int, default 0
        When ``K > 0``, give the network a second input channel: each beat minus the
        elementwise median of the 2K+1 nearest beats of the same recording
        (:func:`heartbeat.context.with_context`; no labels are used).  It shows the
        network what is usual for this patient (for its effect on unseen patients
        see ``benchmarks/train_results.py --template K``).  The inputs must then hold
        whole recordings: a ``BeatSet`` is grouped by ``record`` and ordered by
        ``sample`` within each (results come back in the caller's order), the
        ``Beats`` of :func:`heartbeat.segment` are one recording (ordered by R peak),
        and a bare (n, 187) array is taken as one recording in time order.  0 (off,
        the default) reads each beat alone.
    epochs : int, default 10
        Maximum passes over the training beats.
    batch_size : int, default 64
        Beats per optimiser step.
    sampler : {"balanced", "shuffle"}, default "balanced"
        ``"balanced"`` draws every class equally often in each batch (MIT-BIH is 83 %
        N beats); ``"shuffle"`` draws beats in their natural proportions.
    learning_rate : float, default 1e-3
        Adam step size.
    early_stopping : int or None, default 3
        Stop when the validation score has not improved for this many epochs and keep
        the best epoch's weights; None trains all `epochs`.
    validation_fraction : float, default 0.1
        Share of the training beats held out (stratified by class, seeded) for early
        stopping when :meth:`fit` gets no explicit ``validation`` set; 0 disables it.
    seed : int, default 0
        Seeds the initial weights, the hold-out split, batch order and dropout.
    backend : {"auto", "numba", "numpy"}, default "auto"
        Kernel backend of the engine (NumPy is slower but needs nothing else).
    threads : int, default 1
        Cores the engine splits each batch over (:meth:`heartbeat.nn.Model.set_threads`;
        2 trains about 1.6 times as fast on 2 cores).  Results change only by float
        rounding (and dropout masks, for architectures with dropout).
    quiet : bool, default True
        No per-epoch progress on stderr during :meth:`fit`.

    Attributes
    ----------
    classes_ : tuple of str
        Class names in code order (after :meth:`fit` or :meth:`load`).
    model_ : heartbeat.nn.Model
        The fitted network.
    history_ : object or None
        What the training loop returned (per-epoch losses and scores) after :meth:`fit`.

    Examples
    --------
    >>> import heartbeat
    >>> clf = heartbeat.BeatClassifier.pretrained("mitbih-ds1")
    >>> clf.info["records"][:3], clf.classes_
    (['101', '108', '109'], ('N', 'S', 'V', 'F', 'Q'))
    >>> ex = heartbeat.load_example("208")
    >>> beats = heartbeat.segment(ex.signal[:, 0], ex.fs)
    >>> clf.predict_proba(beats).shape
    (207, 5)
    """

    def __init__(
        self,
        architecture: str = "kachuee2018",
        *,
        use_rr: bool = True,
        log_rr: bool = False,
        context: int = 0,
        epochs: int = 10,
        batch_size: int = 64,
        sampler: str = "balanced",
        learning_rate: float = 1e-3,
        early_stopping: int | None = 3,
        validation_fraction: float = 0.1,
        seed: int = 0,
        backend: str = "auto",
        threads: int = 1,
        quiet: bool = True,
    ) -> None:
        params = {
            "architecture": architecture, "use_rr": use_rr, "log_rr": log_rr,
            "context": context,
            "epochs": epochs,
            "batch_size": batch_size, "sampler": sampler, "learning_rate": learning_rate,
            "early_stopping": early_stopping, "validation_fraction": validation_fraction,
            "seed": seed, "backend": backend, "threads": threads, "quiet": quiet,
        }
        _check_params(params)
        for key, value in params.items():
            setattr(self, key, value)
        self._info: dict[str, Any] = {}

    # ------------------------------------------------------------------ params
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters as a dict (scikit-learn protocol).

        Parameters
        ----------
        deep : bool, default True
            Ignored (there are no nested estimators); kept for scikit-learn.

        Returns
        -------
        dict
            ``{name: value}`` for every constructor parameter.
        """
        return {key: getattr(self, key) for key in _DEFAULTS}

    def set_params(self, **params: Any) -> BeatClassifier:
        """Set constructor parameters; return self (scikit-learn protocol).

        Changing parameters does not change a fitted model until the next :meth:`fit`.

        Raises
        ------
        ValueError
            For an unknown parameter name or an invalid value.
        TypeError
            For a value of the wrong type.
        """
        _check_params(params)
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != _DEFAULTS[k]}
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"BeatClassifier({args})"

    # ------------------------------------------------------------------ state
    @property
    def is_fitted(self) -> bool:
        """True once the classifier has a trained model (fit, load or pretrained)."""
        return hasattr(self, "model_")

    @property
    def info(self) -> dict[str, Any]:
        """What the model was trained on: records, beats per class, command, date, version.

        A copy; saved in the model file by :meth:`save`.
        """
        return json.loads(json.dumps(self._info))

    def _model(self) -> Model:
        if not self.is_fitted:
            raise ValueError("this BeatClassifier is not fitted yet: call fit(), or use "
                             "BeatClassifier.load(path) or BeatClassifier.pretrained()")
        if self.model_.threads != self.threads:  # a runtime setting: follows set_params
            self.model_.set_threads(int(self.threads))
        return self.model_

    @property
    def _uses_rr(self) -> bool:
        return int(self._model().spec["extra_inputs"]) > 0

    @property
    def _context(self) -> int:
        """The context the fitted model was trained with (not a later set_params)."""
        self._model()
        return int(self._info.get("params", {}).get("context", 0))

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        x: object,
        y: object = None,
        *,
        validation: object = None,
        info: dict[str, Any] | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        resume: bool = False,
    ) -> BeatClassifier:
        """Train a new network on labelled beats; return self.

        Parameters
        ----------
        x : BeatSet, Beats or array_like, shape (n, 187)
            Training beats.  With ``use_rr=True`` they must carry R-peak times (a
            ``BeatSet`` or ``Beats``); with ``context > 0``, whole recordings (the
            context of `validation` beats is computed within `validation`).
        y : array_like, shape (n,), optional
            Class codes (0 .. n_classes - 1) or class names; taken from ``x.y`` when
            `x` is a BeatSet and `y` is None.
        validation : BeatSet or tuple (x, y), optional
            Beats to monitor for early stopping (for example whole records held out
            from training, which mimics new patients).  Default: a stratified
            `validation_fraction` of the training beats.
        info : dict, optional
            Extra JSON-serialisable facts to store in :attr:`info` (for example the
            command that trained the model).
        checkpoint_dir : path, optional
            Folder for ``checkpoint.npz``, written atomically after every epoch (see
            :func:`heartbeat.training.fit`).
        resume : bool, optional
            Continue from the checkpoint in `checkpoint_dir` (start afresh when there
            is none); the run then ends as an uninterrupted one would.

        Returns
        -------
        BeatClassifier
            self, fitted.

        Raises
        ------
        ValueError
            If the beats or labels are malformed (wrong length, NaN, labels outside the
            classes), or RR features are needed but missing.
        TypeError
            If the arrays are not numeric.
        """
        from heartbeat import nn, training
        from heartbeat.training.settings import FitSettings

        classes = tuple(x.classes) if _is_beatset(x) else CLASSES
        waveforms, rr = _beat_inputs(x, self.use_rr, context=self.context)
        if y is None:
            if not _is_beatset(x):
                raise ValueError("y is required unless x is a BeatSet (which holds labels)")
            y = x.y
        labels = as_labels(y, "y", n=len(waveforms), classes=classes)
        if len(waveforms) < 2:
            raise ValueError(f"fit needs at least 2 beats, got {len(waveforms)}")
        if info is not None and not isinstance(info, dict):
            raise TypeError(f"info must be a dict, got {type(info).__name__}")

        train_idx, val = _held_out(validation, classes, waveforms, labels, rr,
                                   self.get_params())

        model = nn.build(self.architecture, n_classes=len(classes), seed=self.seed,
                         extra_inputs=RR_FEATURES if self.use_rr else 0,
                         input_channels=2 if self.context else 1,
                         extra_transform="log" if self.use_rr and self.log_rr else None,
                         backend=self.backend, threads=int(self.threads))
        settings = FitSettings(
            epochs=int(self.epochs), batch_size=int(self.batch_size), sampler=self.sampler,
            early_stopping=None if val is None or self.early_stopping is None
            else int(self.early_stopping), seed=int(self.seed), quiet=bool(self.quiet),
            checkpoint=training.api._checkpoint_path(checkpoint_dir,
                                                     as_bool(resume, "resume")),
            resume=bool(resume))
        # the beats and labels were checked above: the trusting entry point trains
        history = training._fit(
            model, waveforms[train_idx], labels[train_idx],
            extra=None if rr is None else rr[train_idx], validation=val, settings=settings,
            optimizer=nn.Adam(model.params(), lr=self.learning_rate, lr_decay=0.75,
                              decay_every=10_000),
        )
        model.eval()
        self._info = _fit_info(self.get_params(), x, classes, labels[train_idx],
                               0 if val is None else len(val.x), history, info)
        try:
            json.dumps(self._info)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"info must be JSON-serialisable: {exc}") from None
        self.model_ = model
        self.classes_ = classes
        self.history_ = history
        return self

    # ------------------------------------------------------------------ predict
    def predict_proba(self, x: object, *, batch_size: int | None = None) -> np.ndarray:
        """Class probabilities of each beat.

        Parameters
        ----------
        x : Beats, BeatSet or array_like, shape (n, 187)
            Beats to classify (a bare array only for models with ``use_rr=False``; for
            a model with ``context > 0``, whole recordings, see `context`).
        batch_size : int, optional
            Beats per forward pass (memory only); default 512 per thread.

        Returns
        -------
        numpy.ndarray of float64, shape (n, n_classes)
            Softmax of the scores / ``calibration_.temperature``; columns: :attr:`classes_`.

        Raises
        ------
        ValueError
            If the classifier is not fitted, the beats are malformed (not 187 samples,
            NaN), or the model needs RR features and `x` is a bare array.
        """
        return self._predict_proba(x, batch_size)

    def _predict_proba(self, x: object, batch_size: int | None = None, *,
                       checked: bool = False) -> np.ndarray:
        """Return :meth:`predict_proba`; with `checked`, `x` is trusted (segment's Beats)."""
        logits = self._predict_logits(x, batch_size, checked=checked)
        return self.calibration_.probabilities(logits)

    def _predict_logits(self, x: object, batch_size: int | None = None, *,
                        checked: bool = False) -> np.ndarray:
        """Return the network's float64 scores before any softmax or temperature."""
        model = self._model()
        waveforms, rr = _beat_inputs(x, self._uses_rr, context=self._context, checked=checked)
        return model.predict_logits(waveforms, rr, batch_size=batch_size).astype(np.float64)

    def predict(self, x: object, *, reject: bool | float = False) -> np.ndarray:
        """Predicted class code of each beat (index into :attr:`classes_`).

        Parameters
        ----------
        x : Beats, BeatSet or array_like, shape (n, 187)
            Beats to classify.
        reject : bool or float, default False
            False (the scikit-learn contract): every beat gets a class.  True: a beat
            whose top probability is below ``calibration_.reject_below`` (see
            :meth:`calibrate`; none saved: no beat) gets code -1, unclassified.  A
            float in [0, 1] is the threshold itself.

        Returns
        -------
        numpy.ndarray of int64, shape (n,)
            Class codes; -1 marks a rejected beat (only with `reject`).

        Raises
        ------
        ValueError
            As :meth:`predict_proba`, or for a threshold outside [0, 1].
        """
        threshold = _reject_threshold(self.calibration_, reject)
        return _withheld_codes(self.predict_proba(x), threshold)

    @property
    def calibration_(self) -> Calibration:
        """Temperature and reject threshold saved with the model (none: T=1, no threshold)."""
        return Calibration.from_info(self._info)

    def calibrate(self, x: object, y: object = None) -> BeatClassifier:
        """Fit the temperature and reject threshold on held-out labelled beats; return self.

        See :mod:`heartbeat.classifier.calibration`; both numbers are stored in
        :attr:`info` and saved with the model.  No argmax changes.

        Parameters
        ----------
        x : BeatSet, Beats or array_like, shape (n, 187)
            Beats the network was **not** trained on, ideally whole records of other
            patients (on its training beats it is over-confident by construction).
        y : array_like, shape (n,), optional
            Their true classes; default ``x.y`` for a BeatSet.

        Returns
        -------
        BeatClassifier
            self, with :attr:`calibration_` set.

        Raises
        ------
        ValueError
            As :meth:`predict_proba`, or if `y` is missing or malformed.
        """
        logits = self._predict_logits(x)
        labels = _true_labels(x, y, len(logits), self.classes_, "calibrate")
        records = sorted(set(x.record.tolist()) - {""}) if _is_beatset(x) else []
        self._info["calibration"] = _fit_calibration(logits, labels, records).to_info()
        return self

    def score(self, x: object, y: object = None) -> float:
        """Accuracy of :meth:`predict` against `y` (or ``x.y`` for a BeatSet).

        Parameters
        ----------
        x : Beats, BeatSet or array_like, shape (n, 187)
            Beats.
        y : array_like, shape (n,), optional
            True class codes or names; default ``x.y`` for a BeatSet.

        Returns
        -------
        float
            Fraction of beats classified correctly.

        Raises
        ------
        ValueError
            As :meth:`predict_proba`, or if `y` is missing or malformed.
        """
        pred = self.predict(x)
        labels = _true_labels(x, y, len(pred), self.classes_, "score")
        return float(np.mean(pred == labels))

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted classifier to one ``.npz`` file (atomically); return its path.

        The file holds the network spec, its arrays and :attr:`info` (with the
        constructor parameters and class names); it loads with NumPy alone and
        ``allow_pickle=False``.

        Raises
        ------
        ValueError
            If the classifier is not fitted.
        """
        from heartbeat import nn

        return nn.save(self._model(), path, info=self._info)

    @classmethod
    def load(cls, path: str | os.PathLike, *, backend: str = "auto",
             threads: int = 1) -> BeatClassifier:
        """Read a classifier written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The ``.npz`` file.
        backend : {"auto", "numba", "numpy"}, default "auto"
            Kernel backend for inference.
        threads : int, default 1
            Cores to split each batch over (see the class parameters).

        Returns
        -------
        BeatClassifier
            Fitted, with the parameters it was trained with.

        Raises
        ------
        FileNotFoundError
            If `path` does not exist.
        ValueError
            If the file is truncated, not a model file, from another format version,
            or its arrays, spec and metadata do not agree.
        """
        return _load(cls, path, backend, threads)

    @classmethod
    def pretrained(cls, name: str | None = None, *, backend: str = "auto") -> BeatClassifier:
        """Load a model shipped with the package.

        Parameters
        ----------
        name : {"mitbih-all", "mitbih-ds1"}, optional
            ``"mitbih-all"`` (default): trained on all 48 MIT-BIH records, for your own
            data.  ``"mitbih-ds1"``: trained on the de Chazal DS1 records only, to be
            scored on DS2 (patients it has never seen).
        backend : {"auto", "numba", "numpy"}, default "auto"
            Kernel backend for inference.

        Returns
        -------
        BeatClassifier
            Fitted; :attr:`info` says what it was trained on and how.  A copy: each
            file is read once per process and `backend`, and changing a copy changes
            no other (importing heartbeat reads none).

        Raises
        ------
        ValueError
            If `name` is not a shipped model.
        FileNotFoundError
            If the package was installed without its data files.

        """
        return _pretrained(cls, PRETRAINED[0] if name is None else name, backend)
