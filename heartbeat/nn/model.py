"""Models as a declarative spec (a JSON-ready dict) plus parameter arrays.

A spec is ``{"format": 1, "name", "input_channels", "input_length", "n_classes",
"extra_inputs", "features": [layer configs], "head": [layer configs]}``.  The feature
layers map the input beat (N, C, L) to a vector (N, D); when ``extra_inputs = k > 0``
a caller-supplied (N, k) vector (for example RR-interval features) is appended to it
before the head, which maps (N, D + k) to the class scores (N, n_classes).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np

from heartbeat._validate import as_int, as_positive_int
from heartbeat.nn import kernels as K
from heartbeat.nn.architectures import ARCHITECTURES, EXTRA_TRANSFORMS, SPEC_FORMAT
from heartbeat.nn.layers import (
    Dropout,
    Layer,
    Sequential,
    layer_from_config,
)
from heartbeat.nn.threads import ModelThreads


def _named(layer: Layer, prefix: str, out: list[tuple[str, Layer]]) -> None:
    out.append((prefix, layer))
    for i, child in enumerate(layer.children()):
        _named(child, f"{prefix}.{i}", out)


class Model:
    """A feature stack, an optional extra-input concatenation and a head.

    Build one with :func:`build` (named architecture or spec) or :func:`load`.  The
    passes are safe to call from several threads (they run one at a time) and can
    split a batch over threads (:meth:`set_threads`); both are the business of
    :mod:`heartbeat.nn.threads`, which this class delegates to.

    Attributes
    ----------
    spec : dict
        The architecture; ``json.dumps(model.spec)`` round-trips.
    dtype : numpy.dtype
        float32 (default) or float64 (gradient checks).
    info : dict
        Free-form metadata saved with the model (see :func:`heartbeat.nn.save`).
    """

    def __init__(self, spec: dict, *, seed: int = 0, dtype: Any = np.float32,
                 backend: str = "auto", threads: int = 1) -> None:
        spec = _check_spec(spec)
        self.spec = spec
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype={dtype!r} must be float32 or float64")
        self.info: dict = {}
        self.features = Sequential([layer_from_config(c) for c in spec["features"]])
        self.head = Sequential([layer_from_config(c) for c in spec["head"]])
        # parameters from one stream, dropout masks from another
        init_seq, drop_seq = np.random.SeedSequence(seed).spawn(2)
        init_rng = np.random.default_rng(init_seq)
        self._named_layers: list[tuple[str, Layer]] = []
        _named(self.features, "features", self._named_layers)
        _named(self.head, "head", self._named_layers)
        for _, layer in self._named_layers:
            layer.init(init_rng, self.dtype)
            if isinstance(layer, Dropout):
                layer.rng = np.random.default_rng(drop_seq.spawn(1)[0])
        self._seed = seed
        # how passes run: one at a time, split over threads (heartbeat.nn.threads)
        self._threads = ModelThreads(self, threads)
        self.set_backend(backend)
        self.train()

    # -------------------------------------------------------------- bookkeeping
    def set_backend(self, backend: str) -> None:
        """Run the kernels on ``"auto" | "numba" | "numpy"`` (see :mod:`.kernels`)."""
        resolved = K.resolve_backend(backend)
        self.backend = resolved
        for _, layer in self._named_layers:
            layer.backend = resolved
        self._threads.set_backend(resolved)

    def set_threads(self, threads: int) -> Model:
        """Split each batch over `threads` threads (data parallel); return self.

        Each thread runs a weight-sharing copy of the model on its share of the batch
        (at least :data:`heartbeat.nn.threads.MIN_SHARD` beats); the gradients are
        summed.  The kernels release the GIL, so the threads run on separate cores;
        meanwhile NumPy's OpenBLAS is set to one thread
        (:func:`heartbeat.nn.threads.single_threaded`).  The result equals the
        single-threaded one up to float rounding, except for dropout masks (each copy
        draws its own).  Models with batch-norm layers are
        not split in training mode (their batch statistics need the whole batch).

        The machinery (replicas, thread pool, BLAS control, the lock that keeps
        passes apart) lives in :mod:`heartbeat.nn.threads`.

        Raises
        ------
        TypeError
            If `threads` is not an integer.
        ValueError
            If `threads` < 1.
        """
        self._threads.set_threads(threads)
        return self

    @property
    def threads(self) -> int:
        """Threads that share each batch (:meth:`set_threads`)."""
        return self._threads.threads

    def train(self) -> Model:
        """Switch to training mode (dropout on, batch statistics); return self."""
        for _, layer in self._named_layers:
            layer.training = True
        return self

    def eval(self) -> Model:
        """Switch to evaluation mode (dropout off, running statistics); return self."""
        for _, layer in self._named_layers:
            layer.training = False
        return self

    @property
    def training(self) -> bool:
        """True in training mode."""
        return self.features.training

    def named_params(self) -> dict[str, np.ndarray]:
        """Return ``{name: array}`` of the trainable parameters, in :meth:`params` order."""
        return {f"{p}.{k}": v for p, layer in self._named_layers
                for k, v in layer.params.items()}

    def named_buffers(self) -> dict[str, np.ndarray]:
        """Return ``{name: array}`` of saved, untrained state (batch-norm statistics)."""
        return {f"{p}.{k}": v for p, layer in self._named_layers
                for k, v in layer.buffers.items()}

    def params(self) -> list[np.ndarray]:
        """Return the parameter arrays (updated in place by the optimisers)."""
        return [v for _, layer in self._named_layers for v in layer.params.values()]

    def grads(self) -> list[np.ndarray]:
        """Return the gradient arrays, in the order of :meth:`params`."""
        return [layer.grads[k] for _, layer in self._named_layers for k in layer.params]

    def zero_grad(self) -> None:
        """Reset all gradients to zero (backward passes add to them)."""
        for _, layer in self._named_layers:
            for g in layer.grads.values():
                g[...] = 0

    @property
    def n_params(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.params()))

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy parameters and buffers from ``{name: array}`` (exact names and shapes).

        Raises
        ------
        ValueError
            If names are missing or extra, or a shape differs.
        """
        own = {**self.named_params(), **self.named_buffers()}
        missing, extra = sorted(set(own) - set(arrays)), sorted(set(arrays) - set(own))
        if missing or extra:
            raise ValueError(f"arrays do not match the architecture: missing {missing}, "
                             f"extra {extra}")
        for name, dst in own.items():
            src = np.asarray(arrays[name])
            if src.shape != dst.shape:
                raise ValueError(f"array {name!r} has shape {src.shape}, the architecture "
                                 f"needs {dst.shape}")
            if not np.issubdtype(src.dtype, np.floating):
                raise ValueError(f"array {name!r} has dtype {src.dtype}, expected floats")
            dst[...] = src

    def __repr__(self) -> str:
        threads = f", threads={self.threads}" if self.threads > 1 else ""
        return (f"Model({self.spec['name']!r}, n_params={self.n_params}, "
                f"dtype={self.dtype.name}, backend={self.backend!r}{threads})")

    # -------------------------------------------------------------- passes
    def forward(self, x: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        """Return class scores (logits), shape (N, n_classes).

        Parameters
        ----------
        x : ndarray, shape (N, L) or (N, C, L)
            Beats; (N, L) means one channel.  Cast to the model dtype.
        extra : ndarray, shape (N, extra_inputs), optional
            Extra features appended before the head; required iff the spec has
            ``extra_inputs > 0``.

        Raises
        ------
        ValueError
            If the shapes do not match the spec.
        """
        return self._threads.forward(x, extra)

    def _forward_one(self, x: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
        # one pass on this thread; x is already an array of the model dtype
        spec = self.spec
        if x.ndim == 2 and spec["input_channels"] == 1:
            x = x[:, None, :]
        want = (spec["input_channels"], spec["input_length"])
        if x.ndim != 3 or x.shape[1:] != want:
            raise ValueError(f"x must have shape (N, {want[0]}, {want[1]}), got {x.shape=}")
        h = self.features.forward(x)  # (N, D)
        k = spec["extra_inputs"]
        if k:
            if extra is None:
                raise ValueError(f"this model needs extra=(N, {k}) inputs")
            extra = np.asarray(extra, dtype=self.dtype)
            if extra.shape != (x.shape[0], k):
                raise ValueError(f"extra must have shape ({x.shape[0]}, {k}), got "
                                 f"{extra.shape=}")
            self._extra = extra
            if spec.get("extra_transform") == "log":
                if not (extra > 0).all():
                    raise ValueError("this model takes the logarithm of its extra inputs "
                                     "(RR ratios), so they must all be > 0")
                extra = np.log(extra)
            h = np.concatenate([h, extra], axis=1)  # (N, D + k)
        elif extra is not None:
            raise ValueError("extra was given but the model has extra_inputs=0")
        self._n_feat = h.shape[1] - k
        return self.head.forward(h)  # (N, n_classes)

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate `dout` (N, n_classes); add to the parameter gradients.

        Returns the gradient with respect to `x` (N, C, L), or None when `input_grad`
        is False (saves the first layer's input-gradient work in training).  The
        gradient with respect to `extra` is left in ``self.dextra``.
        """
        return self._threads.backward(dout, input_grad)

    def _backward_one(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        dh = self.head.backward(np.asarray(dout, dtype=self.dtype))  # (N, D + k)
        self.dextra = dh[:, self._n_feat:] if self.spec["extra_inputs"] else None
        if self.dextra is not None and self.spec.get("extra_transform") == "log":
            self.dextra = self.dextra / self._extra  # d log(e) / de = 1 / e
        dh = dh[:, : self._n_feat]
        first = self.features.layers[0]
        if hasattr(first, "need_dx"):  # layers that can skip their input gradient
            first.need_dx = input_grad
        dx = self.features.backward(dh)
        return dx if input_grad else None

    def predict_logits(self, x: np.ndarray, extra: np.ndarray | None = None,
                       batch_size: int | None = None) -> np.ndarray:
        """Evaluation-mode logits for many beats, `batch_size` beats at a time.

        Chunks bound peak memory; see ``benchmarks/bench_nn.py`` (rows "infer",
        "infer chunk64" and "infer onepass") for the effect on speed.  The result
        depends on `batch_size` only in the last bits of float32: BLAS may sum a row of
        a product in another order depending on where the row falls in it.

        Parameters
        ----------
        x : ndarray, shape (N, L) or (N, C, L)
            Beats.
        extra : ndarray, shape (N, extra_inputs), optional
            Extra features, as for :meth:`forward`.
        batch_size : int, optional
            Beats per forward pass; default 512 per thread (:meth:`set_threads`).

        Returns
        -------
        ndarray, shape (N, n_classes)
            Logits in the model dtype.
        """
        if batch_size is None:
            batch_size = 512 * self.threads
        batch_size = as_positive_int(batch_size, "batch_size")
        with self._threads.lock:  # the whole pass in evaluation mode, one caller at a time
            return self._predict_logits(x, extra, batch_size)

    def _predict_logits(self, x, extra, batch_size: int) -> np.ndarray:
        was_training = self.training
        self.eval()
        try:
            x = np.asarray(x)
            parts = [self.forward(x[i:i + batch_size],
                                  None if extra is None else extra[i:i + batch_size])
                     for i in range(0, len(x), batch_size)]
        finally:
            if was_training:
                self.train()
        if not parts:
            return np.zeros((0, self.spec["n_classes"]), dtype=self.dtype)
        return np.concatenate(parts)


def _check_spec(spec: Any) -> dict:
    if not isinstance(spec, dict):
        raise ValueError(f"spec must be a dict, got {type(spec).__name__}")
    try:
        spec = json.loads(json.dumps(spec))  # a private, JSON-clean copy
    except (TypeError, ValueError) as exc:
        raise ValueError(f"spec must be JSON-serialisable: {exc}") from None
    keys = {"format", "name", "input_channels", "input_length", "n_classes", "extra_inputs",
            "features", "head"}
    if not keys <= set(spec) <= keys | {"extra_transform"}:
        raise ValueError(f"spec keys must be {sorted(keys)} and optionally "
                         f"'extra_transform', got {sorted(spec)}")
    if spec.get("extra_transform", "log") not in EXTRA_TRANSFORMS:
        raise ValueError(f"spec['extra_transform']={spec['extra_transform']!r} is not one "
                         f"of {EXTRA_TRANSFORMS}")
    if spec["format"] != SPEC_FORMAT:
        raise ValueError(f"spec format {spec['format']!r} is not supported (expected "
                         f"{SPEC_FORMAT})")
    for key in ("input_channels", "input_length", "n_classes"):
        if not isinstance(spec[key], int) or spec[key] < 1:
            raise ValueError(f"spec[{key!r}]={spec[key]!r} must be a positive integer")
    if not isinstance(spec["extra_inputs"], int) or spec["extra_inputs"] < 0:
        raise ValueError(f"spec['extra_inputs']={spec['extra_inputs']!r} must be >= 0")
    return copy.deepcopy(spec)


def build(name_or_spec: str | dict, n_classes: int | None = None, *, seed: int = 0,
          dtype: Any = np.float32, input_length: int = 187, extra_inputs: int = 0,
          input_channels: int = 1, extra_transform: str | None = None,
          backend: str = "auto", threads: int = 1) -> Model:
    """Build a freshly initialised model from an architecture name or a spec.

    Parameters
    ----------
    name_or_spec : str or dict
        One of ``"kachuee2018"``, ``"cnn_mlp"``, ``"cnn4_dense4"``, ``"large_kernel"``
        (see :data:`ARCHITECTURES`), or a spec dict (``model.spec``).
    n_classes : int, optional
        Number of classes for a named architecture (default 5).  With a spec it must
        be None or equal ``spec["n_classes"]``.
    seed : int
        Seeds the initial weights and the dropout masks.
    dtype : {numpy.float32, numpy.float64}
        Precision of parameters and computation.
    input_length, extra_inputs : int
        Beat length and number of extra features, for a named architecture.
    input_channels : int, default 1
        Channels of each input beat, for a named architecture (2 for the beat plus
        its record context, :func:`heartbeat.context.with_context`).
    extra_transform : {None, "log"}
        ``"log"``: the model feeds the logarithms of its extra inputs to the head, so
        ratios such as previous RR / local mean RR become differences (stored in the
        spec; the caller still passes the plain values, which must be > 0).
    backend : {"auto", "numba", "numpy"}
        Kernel backend.
    threads : int, default 1
        Threads that share each batch (:meth:`Model.set_threads`).

    Returns
    -------
    Model

    Raises
    ------
    TypeError
        If `n_classes`, `input_channels` or `threads` is not an integer.
    ValueError
        For an unknown name, a malformed spec or conflicting arguments.
    ImportError
        If ``backend="numba"`` and Numba is missing.

    Examples
    --------
    >>> model = build("kachuee2018")
    >>> model.n_params
    55013
    >>> model.eval().forward(np.zeros((2, 187))).shape
    (2, 5)
    """
    if isinstance(name_or_spec, str):
        if name_or_spec not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {name_or_spec!r}; choose one of "
                             f"{', '.join(ARCHITECTURES)}")
        if n_classes is not None:
            n_classes = as_int(n_classes, "n_classes", minimum=2)
        spec = ARCHITECTURES[name_or_spec](n_classes=n_classes or 5,
                                           input_length=input_length,
                                           extra_inputs=extra_inputs,
                                           input_channels=input_channels)
        if extra_transform is not None:
            if extra_transform not in EXTRA_TRANSFORMS or not extra_inputs:
                raise ValueError(f"{extra_transform=} needs extra_inputs > 0 and must be "
                                 f"one of {EXTRA_TRANSFORMS}")
            spec["extra_transform"] = extra_transform
    else:
        spec = name_or_spec
        if isinstance(spec, dict) and n_classes is not None and \
                spec.get("n_classes") != n_classes:
            raise ValueError(f"{n_classes=} conflicts with spec n_classes="
                             f"{spec.get('n_classes')!r}")
    return Model(spec, seed=seed, dtype=dtype, backend=backend, threads=threads)
