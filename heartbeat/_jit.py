"""One Numba helper for the whole package: backends, lazy compilation, kernel registry.

Every hot loop in heartbeat is a *kernel*: a loop written for Numba beside a NumPy
twin that computes the same thing (the fallback without Numba, and the reference in
the tests).  A module registers each pair under an explicit name, so a reader can
grep for the name and find both halves::

    IM2COL = Kernel(numba_loop=_im2col_nb, numpy_twin=_im2col_np)
    ...
    IM2COL.get(backend)(x, kernel_size, stride, dilation, pad_left, cols)

A kernel whose single source serves both backends (the detector's decision rule) is
registered with itself as its twin.  Such a kernel may call helper functions of its
own module by their plain names when it lists them, so that no function has to hold
a whole rule::

    MERGE_LEADS = Kernel(numba_loop=merge_leads, numpy_twin=merge_leads,
                         helpers=(_clearest_peaks, _tally, _fits_rhythm, ...))

The NumPy backend calls the helpers as they are.  A compiled kernel can call only
compiled functions, so the ``"numba"`` backend makes each helper it uses a Numba
function with ``inline="always"`` (compiled into the kernel, so a call costs nothing
and the kernel's code is the one long function it replaces) and compiles a copy of
the kernel whose globals hold those in place of the plain ones (:func:`compiled`).  Numba keys its
on-disk cache by the kernel's file, name, line and bytecode, not by its globals, so
the copy's cached code is found again by the next process.  That is also why the
helpers must live in the kernel's own file: Numba checks only that file's time stamp
to know whether a cached kernel is stale.

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

Where the compiled kernels are kept
-----------------------------------
Never inside the installed package (a folder left there by Numba would outlive an
uninstall and shadow a later editable install).  :func:`cache_dir` names a per-user
folder: ``$HEARTBEAT_CACHE_DIR/numba``, else ``$NUMBA_CACHE_DIR``, else
``$XDG_CACHE_HOME/heartbeat/numba``, else ``~/.cache/heartbeat/numba``.  Numba reads
``numba.config.CACHE_DIR`` when a dispatcher with ``cache=True`` is created, so
:func:`compiled` sets it around that moment only.  When the folder cannot be written
(a read-only home, a locked-down server), the kernels are compiled without a cache,
with no error: each process then compiles them again.

The first compilation takes 10-20 s of CPU (README, "First run").  The library says
nothing about it, as library code should not print; a program that wants to tell its
user (the ``heartbeat`` command does, on stderr) sets :data:`compile_notice` to a
function of one message, called at most once per process and only when a kernel is
about to be compiled with no cached copy.
"""

from __future__ import annotations

import os
import tempfile
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

BACKENDS: tuple[str, ...] = ("auto", "numba", "numpy")

# compiled loops, by the Python function they were compiled from (filled on first use)
_COMPILED: dict[Callable[..., Any], Callable[..., Any]] = {}
# numba.config.CACHE_DIR is process-wide: one thread at a time may set it
_CONFIG_LOCK = threading.Lock()

#: Called with one message before the first uncached compilation of the process;
#: None (the default) keeps the library silent.
compile_notice: Callable[[str], None] | None = None
_noticed = False


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


def cache_dir() -> Path:
    """Return the per-user folder for the compiled kernels (it may not exist yet).

    ``$HEARTBEAT_CACHE_DIR/numba``, else ``$NUMBA_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/heartbeat/numba``, else ``~/.cache/heartbeat/numba``.
    """
    env = os.environ
    if env.get("HEARTBEAT_CACHE_DIR"):
        return Path(env["HEARTBEAT_CACHE_DIR"]).expanduser() / "numba"
    if env.get("NUMBA_CACHE_DIR"):
        return Path(env["NUMBA_CACHE_DIR"]).expanduser()
    base = env.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "heartbeat" / "numba"


def writable_cache_dir() -> Path | None:
    """Return :func:`cache_dir`, created, or None when it cannot be written."""
    try:
        path = cache_dir()  # Path.home() fails for a user without a home
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except (OSError, RuntimeError, KeyError):
        return None
    return path


def compiled(loop: Callable[..., Any], helpers: tuple[Callable[..., Any], ...] = ()
             ) -> Callable[..., Any]:
    """Return `loop` compiled by ``numba.njit(nogil=True)``, on first use.

    The machine code is cached in :func:`cache_dir` when it can be written, else not
    cached at all (never inside the package).  Two threads asking at once may both
    build a dispatcher; the second simply replaces the first.

    Each of `helpers` that `loop` names becomes a Numba function inlined into it (with
    the same `helpers`), and `loop` is compiled as a copy whose globals hold those.
    """
    fn = _COMPILED.get(loop)
    if fn is None:
        fn = _njit(_with_compiled_helpers(loop, helpers))
        _COMPILED[loop] = fn
    return fn


def _njit(source: Callable[..., Any], inline: bool = False) -> Callable[..., Any]:
    """Return a Numba dispatcher of `source`, cached in the user folder when writable.

    An `inline` helper is compiled into each kernel that calls it (Numba's
    ``inline="always"``): never on its own, so it has no cache entry and no notice.
    """
    import numba  # lazily: never at import

    options: dict[str, Any] = {"nogil": True}
    if inline:
        options["inline"] = "always"
    folder = writable_cache_dir()
    if folder is None:
        fn = numba.njit(cache=False, **options)(source)
    else:
        with _CONFIG_LOCK:
            saved = numba.config.CACHE_DIR
            numba.config.CACHE_DIR = str(folder)
            try:
                fn = numba.njit(cache=True, **options)(source)
            finally:
                numba.config.CACHE_DIR = saved
    if not inline:
        _notice_compilation(fn, folder)
    return fn


def _with_compiled_helpers(loop: Callable[..., Any], helpers: tuple[Callable[..., Any], ...],
                           _outer: tuple[Callable[..., Any], ...] = ()
                           ) -> Callable[..., Any]:
    """Return `loop`, or a copy whose globals name the compiled helpers it calls.

    The copy keeps `loop`'s code object (its file, name, first line and bytecode:
    what Numba's cache is keyed by), so it is cached where `loop` would be.
    """
    used = _global_names(loop.__code__)
    swap = {}
    for helper in helpers:
        if helper.__name__ not in used or helper is loop:
            continue
        if helper in _outer:
            raise ValueError(f"the helpers of {loop.__name__} call each other in a cycle "
                             f"through {helper.__name__}; Numba cannot compile that")
        if helper not in _COMPILED:
            _COMPILED[helper] = _njit(_with_compiled_helpers(helper, helpers, (*_outer, loop)),
                                      inline=True)
        swap[helper.__name__] = _COMPILED[helper]
    if not swap:
        return loop
    copy = types.FunctionType(loop.__code__, {**loop.__globals__, **swap}, loop.__name__,
                              loop.__defaults__, loop.__closure__)
    copy.__kwdefaults__ = loop.__kwdefaults__
    copy.__qualname__ = loop.__qualname__
    return copy


def _global_names(code: types.CodeType) -> set[str]:
    """Return the names `code` (and the code nested in it) may look up as globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _is_cached(dispatcher: Any) -> bool:
    """Return True when Numba holds an index of compiled code for `dispatcher`."""
    cache = getattr(dispatcher, "_cache", None)
    index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    # Numba's cache internals are private: when they move, assume cached (stay quiet)
    return index is None or os.path.exists(index)


def _notice_compilation(dispatcher: Any, folder: Path | None) -> None:
    """Call :data:`compile_notice` once per process, before the first slow compile."""
    global _noticed
    if compile_notice is None or _noticed:
        return
    if folder is not None and _is_cached(dispatcher):
        return
    _noticed = True
    where = (f"cached in {folder}" if folder is not None
             else "not cached: no writable cache folder, set HEARTBEAT_CACHE_DIR")
    compile_notice(f"heartbeat: compiling the Numba kernels once for this machine, "
                   f"15 s or so ({where})")


class Kernel:
    """A Numba loop and its NumPy twin; :meth:`get` picks one for a resolved backend.

    Parameters
    ----------
    numba_loop : callable
        Plain Python written for Numba (``nopython`` mode), compiled on first use.
    numpy_twin : callable
        The same computation in NumPy, with the same signature.
    helpers : tuple of callable, optional
        Functions of `numba_loop`'s own module that it (or another helper) calls by
        their module-level names.  The twin calls them as Python; the ``"numba"``
        backend compiles them into the loop (Numba's ``inline="always"``).

    Raises
    ------
    ValueError
        If a helper is not a function of `numba_loop`'s file or is not the function
        that file binds to the helper's name.
    """

    __slots__ = ("helpers", "numba_loop", "numpy_twin")

    def __init__(self, *, numba_loop: Callable[..., Any], numpy_twin: Callable[..., Any],
                 helpers: tuple[Callable[..., Any], ...] = ()) -> None:
        self.numba_loop = numba_loop
        self.numpy_twin = numpy_twin
        self.helpers = tuple(helpers)
        for helper in self.helpers:
            _check_helper(numba_loop, helper)

    def get(self, backend: str) -> Callable[..., Any]:
        """Return the compiled loop for ``"numba"``, else the twin (`backend` resolved)."""
        if backend == "numba":
            return compiled(self.numba_loop, self.helpers)
        return self.numpy_twin

    def __repr__(self) -> str:
        helpers = ", ".join(h.__name__ for h in self.helpers)
        return (f"Kernel(numba_loop={self.numba_loop.__name__}, "
                f"numpy_twin={self.numpy_twin.__name__}"
                + (f", helpers=({helpers})" if helpers else "") + ")")


def _check_helper(loop: Callable[..., Any], helper: Callable[..., Any]) -> None:
    """Refuse a helper Numba's cache of `loop` could not see change, or its name hides."""
    code = getattr(helper, "__code__", None)
    if code is None or code.co_filename != loop.__code__.co_filename:
        raise ValueError(f"helper {getattr(helper, '__name__', helper)!r} of "
                         f"{loop.__name__} is not a function of {loop.__code__.co_filename}; "
                         "define it there (Numba's cache checks only the kernel's own file)")
    if loop.__globals__.get(helper.__name__) is not helper:
        raise ValueError(f"helper {helper.__name__} of {loop.__name__} is not what its "
                         f"module binds to {helper.__name__!r}; pass the module-level "
                         "function the loop calls")
