"""One BLAS thread while the engine runs its own threads.

A model split over threads (:meth:`heartbeat.nn.Model.set_threads`) already keeps
every core busy; if each of its threads also called a multithreaded BLAS, the BLAS
workers would compete for the same cores (three times slower on the 2-core benchmark
machine).  :func:`single_threaded` therefore sets the OpenBLAS that NumPy loaded to one
thread for the duration of a parallel pass and restores it afterwards.

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
import threading
from collections.abc import Callable, Iterator

# (get, set) entry points, NumPy's renamed ones first
_ENTRY_POINTS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)

_lock = threading.Lock()
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
    with _lock:
        if _depth == 0:
            _saved = get()
            if _saved != 1:
                set_(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved != 1:
                set_(_saved)
