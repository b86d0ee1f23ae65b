"""One Numba helper for the whole package: backends, lazy compilation, kernel registry.

Every hot loop in heartbeat is a *kernel*: a loop written for Numba beside a NumPy
twin that computes the same thing (the fallback without Numba, and the reference in
the tests).  A module registers each pair under an explicit name, so a reader can
grep for the name and find both halves::

    IM2COL = Kernel(numba_loop=_im2col_nb, numpy_twin=_im2col_np)
    ...
    IM2COL.get(backend)(x, kernel_size, stride, dilation, pad_left, cols)

A kernel whose single source serves both backends (the detector's decision rule) is
registered with itself as its twin.

Backends
--------
``"numba"``
    The loop, compiled with ``numba.njit(cache=True, nogil=True)`` on first use
    (never at import: importing heartbeat neither imports Numba nor compiles).
    ``nogil`` lets the data-parallel threads of :mod:`heartbeat.nn.threads` run
    kernels side by side; ``cache`` keeps the machine code between processes.
``"numpy"``
    The twin.
``"auto"``
    ``"numba"`` when Numba is importable and its JIT is enabled, else ``"numpy"``.
    With ``NUMBA_DISABLE_JIT=1`` Numba would run the loops as plain Python, far slower
    than the twins, so ``"auto"`` then takes the twins.  An explicit ``"numba"`` is
    still honoured (the loops run as Python: this is how the tests cover them), and
    is an ImportError when Numba is not installed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

BACKENDS: tuple[str, ...] = ("auto", "numba", "numpy")

# compiled loops, by the Python function they were compiled from (filled on first use)
_COMPILED: dict[Callable[..., Any], Callable[..., Any]] = {}


def numba_available() -> bool:
    """Return True when Numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is a dependency
        return False
    return True


def jit_enabled() -> bool:
    """Return False when ``NUMBA_DISABLE_JIT`` asks Numba to run kernels as Python."""
    return os.environ.get("NUMBA_DISABLE_JIT", "0").strip() in ("", "0")


def resolve_backend(backend: str) -> str:
    """Turn ``"auto" | "numba" | "numpy"`` into the backend that will run.

    ``"auto"`` means Numba when it is importable and its JIT is enabled, else NumPy.

    Parameters
    ----------
    backend : {"auto", "numba", "numpy"}
        The backend asked for.

    Returns
    -------
    str
        ``"numba"`` or ``"numpy"``.

    Raises
    ------
    ValueError
        If `backend` is not one of :data:`BACKENDS`.
    ImportError
        If ``backend="numba"`` and Numba is not installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"{backend=} is not a backend; choose one of {', '.join(BACKENDS)}")
    if backend == "numpy":
        return "numpy"
    if not numba_available():  # pragma: no cover - numba is a dependency
        if backend == "numba":
            raise ImportError(
                "backend='numba' needs the numba package; install it or use "
                "backend='numpy' (same results, slower) or backend='auto'"
            )
        return "numpy"
    if backend == "auto" and not jit_enabled():
        return "numpy"
    return "numba"


def compiled(loop: Callable[..., Any]) -> Callable[..., Any]:
    """Return `loop` compiled by ``numba.njit(cache=True, nogil=True)``, on first use.

    Two threads asking at once may both compile; the second result simply replaces
    the first (Numba's own cache makes that cheap), so no lock is needed.
    """
    fn = _COMPILED.get(loop)
    if fn is None:
        import numba  # lazily: never at import

        fn = _COMPILED[loop] = numba.njit(cache=True, nogil=True)(loop)
    return fn


class Kernel:
    """A Numba loop and its NumPy twin; :meth:`get` picks one for a resolved backend.

    Parameters
    ----------
    numba_loop : callable
        Plain Python written for Numba (``nopython`` mode), compiled on first use.
    numpy_twin : callable
        The same computation in NumPy, with the same signature.
    """

    __slots__ = ("numba_loop", "numpy_twin")

    def __init__(self, *, numba_loop: Callable[..., Any], numpy_twin: Callable[..., Any]
                 ) -> None:
        self.numba_loop = numba_loop
        self.numpy_twin = numpy_twin

    def get(self, backend: str) -> Callable[..., Any]:
        """Return the compiled loop for ``"numba"``, else the twin (`backend` resolved)."""
        if backend == "numba":
            return compiled(self.numba_loop)
        return self.numpy_twin

    def __repr__(self) -> str:
        return (f"Kernel(numba_loop={self.numba_loop.__name__}, "
                f"numpy_twin={self.numpy_twin.__name__})")
