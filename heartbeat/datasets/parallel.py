"""Run one function over many records, serially or on any ``concurrent.futures`` executor.

Every data-set builder in :mod:`heartbeat.datasets` loops over records through
:func:`map_records`, so one keyword, ``executor=``, moves the work to a local process
pool or to a cluster:

>>> from concurrent.futures import ThreadPoolExecutor
>>> with ThreadPoolExecutor(2) as pool:
...     map_records(abs, [-3, 1, -2], executor=pool, quiet=True)
[3, 1, 2]

On a Dask cluster, pass ``distributed.Client(...).get_executor()``.  The results come
back in the order of the inputs whatever the executor, so a data set built on a
cluster is identical to one built serially.
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import time
from collections.abc import Callable, Iterable
from typing import TextIO, TypeVar

__all__ = ["Progress", "map_records"]

T = TypeVar("T")
R = TypeVar("R")


class Progress:
    r"""A one-line progress counter on a text stream (stderr by default).

    Nothing is printed for runs shorter than `delay_s`; after that the line is
    redrawn in place (``\r``) at most every `interval_s` seconds, and :meth:`close`
    ends it with a newline.

    Parameters
    ----------
    total : int
        Number of steps expected.
    desc : str
        Text before the counter, e.g. ``"mitdb beats"``.
    unit : str, default "records"
        Name of one step.
    quiet : bool, default False
        Print nothing at all.
    delay_s : float, default 1.0
        Stay silent until this many seconds have passed.
    interval_s : float, default 0.25
        Smallest time between two redraws.
    stream : file-like, optional
        Where to write; ``sys.stderr`` when None.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> progress = Progress(2, "demo", stream=out, delay_s=0.0, interval_s=0.0)
    >>> progress.update(); progress.update(); progress.close()
    >>> out.getvalue().splitlines()[-1].split("\r")[-1].startswith("demo: 2/2 records")
    True
    """

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        unit: str = "records",
        quiet: bool = False,
        delay_s: float = 1.0,
        interval_s: float = 0.25,
        stream: TextIO | None = None,
    ) -> None:
        self.total = int(total)
        self.desc = desc
        self.unit = unit
        self.quiet = bool(quiet)
        self.delay_s = float(delay_s)
        self.interval_s = float(interval_s)
        self.stream = stream
        self.done = 0
        self.start = time.monotonic()
        self._last_draw = -float("inf")
        self._drawn: int | None = None  # the count last drawn

    def _write(self, text: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        stream.write(text)
        stream.flush()

    def _draw(self, now: float) -> None:
        elapsed = now - self.start
        line = f"{self.desc}: {self.done}/{self.total} {self.unit}, {elapsed:.1f} s"
        if 0 < self.done < self.total:
            eta = elapsed / self.done * (self.total - self.done)
            line += f", ~{eta:.0f} s left"
        self._write("\r" + line.ljust(60))
        self._drawn = self.done
        self._last_draw = now

    def update(self, n: int = 1) -> None:
        """Count `n` more steps done and redraw the line if it is time to."""
        self.done += n
        if self.quiet:
            return
        now = time.monotonic()
        if now - self.start >= self.delay_s and now - self._last_draw >= self.interval_s:
            self._draw(now)

    def close(self) -> None:
        """Draw the final count (if anything was shown, or the run was long) and end the line."""
        if self.quiet:
            return
        now = time.monotonic()
        if self._drawn is None and now - self.start < self.delay_s:
            return  # a short run: nothing to show
        if self._drawn != self.done:
            self._draw(now)
        self._write("\n")


def map_records(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    executor: cf.Executor | None = None,
    quiet: bool = False,
    desc: str = "records",
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """Apply `fn` to every item, serially or on `executor`, and return results in input order.

    Parameters
    ----------
    fn : callable
        A function of one argument.  With a process pool or a cluster it must be
        picklable: a module-level function or a :func:`functools.partial` of one.
    items : iterable
        The arguments, e.g. record names.
    executor : concurrent.futures.Executor, optional
        Where to run: None runs in this process, one item after the other; otherwise
        any object with the ``Executor.submit`` interface whose futures work with
        :func:`concurrent.futures.as_completed`, e.g. ``ProcessPoolExecutor(2)`` or a
        Dask ``Client.get_executor()``.
    quiet : bool, default False
        Suppress the progress line on stderr (it only appears for runs over 1 s).
    desc : str, default "records"
        Label of the progress line.
    on_result : callable, optional
        Called as ``on_result(i, fn(items[i]))`` as each result arrives (in
        completion order), in this process; the result is then not kept, so large
        results can be copied into place and freed one by one.

    Returns
    -------
    list
        ``[fn(item) for item in items]``, in the order of `items`; all None when
        `on_result` is given.

    Raises
    ------
    TypeError
        If `executor` has no ``submit`` method.
    Exception
        The first exception raised by `fn` (in input order when serial, in
        completion order otherwise); the futures not yet started are cancelled.

    Examples
    --------
    >>> map_records(len, ["a", "bcd"], quiet=True)
    [1, 3]
    """
    items = list(items)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(
            f"executor must be a concurrent.futures.Executor (with .submit), "
            f"got {type(executor).__name__}"
        )
    progress = Progress(len(items), desc, quiet=quiet)
    results: list = [None] * len(items)
    if executor is None:
        for i, item in enumerate(items):
            result = fn(item)
            if on_result is None:
                results[i] = result
            else:
                on_result(i, result)
            del result
            progress.update()
        progress.close()
        return results
    futures = {executor.submit(fn, item): i for i, item in enumerate(items)}
    try:
        for future in cf.as_completed(futures):
            i = futures.pop(future)
            if on_result is None:
                results[i] = future.result()
            else:
                on_result(i, future.result())
            del future  # drop the last reference to the result
            progress.update()
    except BaseException:
        for future in list(futures):
            future.cancel()
        raise
    finally:
        progress.close()
    return results
