"""Atomic file writes: a temporary file in the target folder, then ``os.replace``.

The temporary file is named ``.<name>.<pid>.<random>.tmp``.  A process killed while
writing leaves its temporary file behind; the next write to the same target removes
the ones whose process is gone, so interrupted runs do not pile them up.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but belongs to someone else, or cannot tell: keep it
    return True


def _remove_stale_temps(path: Path) -> list[Path]:
    """Remove temporary files of earlier writes to `path` whose writer has died.

    Only names of the exact form this module creates are touched; symbolic links
    among them are removed as links (their targets are never opened).
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d{{1,10}})\.[A-Za-z0-9_]+\.tmp")
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or entry.is_dir(follow_symlinks=False) or _process_alive(int(m[1])):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary binary file that replaces `path` only if the block succeeds.

    A crash or exception inside the block leaves any existing `path` untouched and
    removes the temporary file; temporary files left by writers that were killed
    are removed first.  A symbolic link at `path` is replaced, not written through.
    """
    path = Path(path)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_npz_atomic(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """Write arrays to an uncompressed ``.npz`` file atomically and return its path.

    NumPy appends ``.npz`` to names without it; so do we, to keep the name honest.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    with atomic_open(path) as fh:
        np.savez(fh, **arrays)
    return path
