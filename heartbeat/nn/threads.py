"""Running a model's passes: one at a time, and each batch split over threads.

:class:`heartbeat.nn.Model` is a plain container (spec, layers, parameters, one
forward and one backward pass).  This module holds everything about *how* its passes
run, in three parts; a model reaches it through its ``_threads`` attribute (a
:class:`ModelThreads`), and ``Model.set_threads(n)`` / ``Model.threads`` delegate here.

One pass at a time (the lock)
-----------------------------
The passes are not re-entrant, because the layers reuse arrays from call to call
instead of allocating them:

* every layer keeps in ``layer.cache`` what its backward pass needs (inputs, patches,
  argmax indices, the ReLU gate), overwritten by the next forward pass;
* a convolution keeps a ``workspace`` of scratch arrays (the Winograd transforms
  ``v``, ``mm``, ``dv``, ``dmm``, and its output ``out`` and input gradient ``dx``),
  reused by the next call of the same shape: the array a layer's forward pass
  *returns* may be one of them;
* the model keeps ``_extra``, ``_n_feat`` and ``dextra`` between forward and
  backward, and :class:`ModelThreads` keeps the batch split (``shards``).

Two callers sharing one model would overwrite each other's arrays mid-pass (a
classifier served from a thread pool, say).  So every public pass
(``forward``, ``backward``, ``predict_logits``) holds the model's re-entrant lock
(``predict_logits`` calls ``forward`` inside it).  A training step is two passes,
forward then backward: callers that train one model together must take turns
themselves.  The lock is not pickled; a copy gets a fresh one.

Data-parallel threads
---------------------
With ``threads = n > 1`` a batch of at least ``2 * MIN_SHARD`` beats is cut into at
most ``n`` shards of at least :data:`MIN_SHARD` beats.  Shard 0 runs on the calling
thread, the others on a thread pool, each on a *replica*: a model of the same spec
whose layers share the parameter and buffer arrays of the original (so an optimiser
step updates all of them), but which has its own caches and workspaces.  The backward
pass zeroes the replicas' gradients, runs the shards again on the same threads, and
sums the replicas' gradients into the model's.  The kernels release the GIL
(:mod:`heartbeat._jit`), so the threads use separate cores.  Each replica's dropout
draws its own masks (seeded from the model's seed and the replica's number).  Models
with batch-norm layers are not split in training mode: their batch statistics need the
whole batch.

The thread pools are made on first use, one per number of workers and per process: a
child made by ``fork`` inherits the parent's pool object but not its threads, so the
pools are keyed by process id and the child makes its own.

One BLAS thread while the engine runs its own threads
-----------------------------------------------------
A model split over threads already keeps every core busy; if each of its threads also
called a multithreaded BLAS, the BLAS workers would compete for the same cores (three
times slower on the 2-core benchmark machine).  :func:`single_threaded` therefore sets
the OpenBLAS that NumPy loaded to one thread for the duration of a parallel pass and
restores it afterwards.

The library is found by name among the shared objects of the process
(``/proc/self/maps``, Linux) and driven through its ``openblas_set_num_threads``
entry point (as NumPy's wheels name it: ``scipy_openblas_set_num_threads64_``).  Where
that fails (another BLAS, another system) the context manager does nothing: set
``OPENBLAS_NUM_THREADS=1`` (or your BLAS's equivalent) before importing NumPy instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from heartbeat._validate import as_positive_int
from heartbeat.nn.layers import Dropout

if TYPE_CHECKING:
    from heartbeat.nn.model import Model

MIN_SHARD = 16  # fewest beats a thread gets: below this, Python overhead dominates


# ================================================================ the model's threads
class ModelThreads:
    """How one model's passes run: under its lock, and split over `threads` threads.

    Parameters
    ----------
    model : Model
        The model whose passes this runs; replicas are made of the same class.
    threads : int
        Threads that share each batch (1: no split).

    Attributes
    ----------
    threads : int
        As given.
    shards : list of slice or None
        How the last forward pass split the batch (None: in one piece); the backward
        pass splits its gradient the same way.
    lock : threading.RLock
        Held for each whole pass (see the module docstring).
    """

    def __init__(self, model: Model, threads: int = 1) -> None:
        self.model = model
        self.replicas: list[Model] = []  # weight-sharing copies, one per extra thread
        self.shards: list[slice] | None = None
        self.lock = threading.RLock()
        self.set_threads(threads)

    def set_threads(self, threads: int) -> None:
        """Use `threads` threads from the next pass on (see ``Model.set_threads``)."""
        self.threads = as_positive_int(threads, "threads")
        del self.replicas[self.threads - 1:]

    def set_backend(self, backend: str) -> None:
        """Switch the replicas to the resolved `backend` as well."""
        for replica in self.replicas:
            replica.set_backend(backend)

    def __getstate__(self) -> dict:  # pickle and deepcopy: a lock does not copy
        state = dict(self.__dict__)
        del state["lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    # -------------------------------------------------------------- passes
    def forward(self, x: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
        """``Model.forward`` under the lock, split over the threads when it pays."""
        with self.lock:
            model = self.model
            x = np.asarray(x, dtype=model.dtype)
            shards = self._split(len(x)) if x.ndim else None
            self.shards = None
            if shards is None:
                return model._forward_one(x, extra)
            if extra is not None and np.shape(extra)[:1] != (len(x),):
                raise ValueError(f"extra must have one row per beat ({len(x)}), got "
                                 f"{np.shape(extra)=}")
            parts = self._on_threads(
                lambda m, s: m._forward_one(x[s], None if extra is None else extra[s]),
                shards)
            self.shards = shards
            return np.concatenate(parts)

    def backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        """``Model.backward`` under the lock; sums the replicas' gradients."""
        with self.lock:
            model, shards = self.model, self.shards
            if shards is None:
                return model._backward_one(dout, input_grad)
            dout = np.asarray(dout, dtype=model.dtype)
            if len(dout) != shards[-1].stop:
                raise ValueError(f"dout has {len(dout)} rows; the forward pass had "
                                 f"{shards[-1].stop}")
            replicas = self.replicas[: len(shards) - 1]
            for replica in replicas:
                replica.zero_grad()
            parts = self._on_threads(lambda m, s: m._backward_one(dout[s], input_grad),
                                     shards)
            for replica in replicas:
                for total, g in zip(model.grads(), replica.grads(), strict=True):
                    total += g
            if model.dextra is not None:
                model.dextra = np.concatenate([model.dextra] + [r.dextra for r in replicas])
            return np.concatenate(parts) if input_grad else None

    # -------------------------------------------------------------- the split
    def _split(self, n: int) -> list[slice] | None:
        """Slices of the batch for the threads, or None to run it in one piece."""
        model = self.model
        k = min(self.threads, n // MIN_SHARD)
        if k < 2 or (model.training and model.named_buffers()):
            return None
        bounds = np.linspace(0, n, k + 1).round().astype(int)
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]

    def _replica(self, i: int) -> Model:
        """Return replica `i` >= 1 (made on first use) in the model's mode."""
        model = self.model
        while len(self.replicas) < i:
            clone = type(model)(model.spec, seed=model._seed, dtype=model.dtype,
                                backend=model.backend)
            for (_, mine), (_, theirs) in zip(model._named_layers, clone._named_layers,
                                              strict=True):
                theirs.params, theirs.buffers = mine.params, mine.buffers  # shared
                if isinstance(theirs, Dropout):
                    theirs.rng = np.random.default_rng([model._seed, len(self.replicas) + 1])
            self.replicas.append(clone)
        clone = self.replicas[i - 1]
        if clone.training != model.training:
            clone.train() if model.training else clone.eval()
        return clone

    def _on_threads(self, fn: Callable[[Model, slice], Any], shards: list[slice]) -> list:
        """Run ``fn(model_i, shard_i)``: shard 0 here, the others on pool threads."""
        pool = _thread_pool(len(shards) - 1)
        with single_threaded():  # the shards already use every core
            futures = [pool.submit(fn, self._replica(i), s)
                       for i, s in enumerate(shards) if i]
            try:
                first = fn(self.model, shards[0])
            finally:
                for f in futures:  # never leave a thread running on the shared weights
                    f.exception()
        return [first] + [f.result() for f in futures]


_POOLS: dict[tuple[int, int], ThreadPoolExecutor] = {}


def _thread_pool(workers: int) -> ThreadPoolExecutor:
    # keyed by process too: a forked child inherits the pool but not its threads
    key = (os.getpid(), workers)
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = ThreadPoolExecutor(workers, thread_name_prefix="heartbeat.nn")
    return pool


# ================================================================ BLAS threads
# (get, set) entry points, NumPy's renamed ones first
_ENTRY_POINTS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)

_blas_lock = threading.Lock()
_depth = 0  # nested or concurrent users of single_threaded()
_saved = 0  # the thread count to restore


@functools.cache
def openblas_controls() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """Return (get_num_threads, set_num_threads) of NumPy's OpenBLAS, or None."""
    import numpy  # noqa: F401  (loads the BLAS we look for)

    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower()}
    except OSError:  # pragma: no cover - not Linux
        return None
    for path in sorted(paths, key=lambda p: ("numpy" not in p, p)):
        try:
            lib = ctypes.CDLL(path)
        except OSError:  # pragma: no cover - listed but not loadable
            continue
        for get_name, set_name in _ENTRY_POINTS:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                get, set_ = getattr(lib, get_name), getattr(lib, set_name)
                get.restype, get.argtypes = ctypes.c_int, []
                set_.restype, set_.argtypes = None, [ctypes.c_int]
                return get, set_
    return None  # pragma: no cover - NumPy built on another BLAS


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run the block with NumPy's OpenBLAS on one thread; restore the count after.

    Re-entrant and safe from several threads at once: the first to enter sets one
    thread, the last to leave restores the previous count.  A no-op where the BLAS
    cannot be controlled (see the module docstring).
    """
    global _depth, _saved
    controls = openblas_controls()
    if controls is None:  # pragma: no cover - NumPy built on another BLAS
        yield
        return
    get, set_ = controls
    with _blas_lock:
        if _depth == 0:
            _saved = get()
            if _saved != 1:
                set_(1)
        _depth += 1
    try:
        yield
    finally:
        with _blas_lock:
            _depth -= 1
            if _depth == 0 and _saved != 1:
                set_(_saved)
