"""Download a PhysioNet database with beat annotations, with the standard library alone.

:data:`CATALOGUE` names the PhysioNet databases whose records carry reference beat
annotations (MIT-BIH Arrhythmia, Supraventricular, Noise Stress Test, Long-Term,
INCART, European ST-T, ...), each at a fixed version, so that
``heartbeat download incartdb DIR`` followed by ``heartbeat train --data-dir DIR``
trains on patients beyond MIT-BIH's 48.

:func:`download` fetches PhysioNet's checksum list first (``SHA256SUMS.txt``, or
``SHA256SUMS`` where a mirror names it so), then every file it lists:
files already present with the right checksum are skipped, partial downloads resume
from their ``.part`` file with an HTTP ``Range`` request, a dropped connection is
retried a bounded number of times, and a file appears under its final name only after
its checksum has been verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import stat
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from heartbeat._atomic import atomic_open
from heartbeat._validate import as_int, as_positive, as_real
from heartbeat.io.catalogue import CATALOGUE, DATABASES, PHYSIONET, Database

__all__ = ["CATALOGUE", "DATABASES", "PHYSIONET", "Database", "DownloadResult", "download"]


SUMS_NAMES = ("SHA256SUMS.txt", "SHA256SUMS")  # PhysioNet's name first, then the bare one
CHUNK_BYTES = 1 << 16
_SUMS_LINE = re.compile(r"^(?P<sha>[0-9a-fA-F]{64})\s+\*?(?P<name>\S.*?)\s*$")
# errors worth a retry: the connection dropped, timed out or was refused
_TRANSIENT = (
    ConnectionError,
    TimeoutError,
    http.client.HTTPException,
    urllib.error.URLError,
    OSError,
)


class _ShortRead(ConnectionError):
    """The server closed the connection before sending the whole body."""


@dataclass(frozen=True)
class _Retry:
    """How often and how patiently a request is repeated."""

    retries: int  # repeats allowed per request
    timeout_s: float  # socket timeout of each request
    wait_s: float  # wait before the first repeat; doubles with each further one


@dataclass(frozen=True)
class DownloadResult:
    """What :func:`download` did.

    Attributes
    ----------
    dest : pathlib.Path
        The folder holding the database.
    downloaded : tuple of str
        Files fetched (in full or resumed) and verified in this call.
    skipped : tuple of str
        Files already present with the right checksum.
    bytes_received : int
        Bytes read from the network for the files (``SHA256SUMS`` excluded).
    retries : int
        Requests repeated after a dropped connection or a timeout.
    """

    dest: Path
    downloaded: tuple[str, ...]
    skipped: tuple[str, ...]
    bytes_received: int
    retries: int


def _parse_sums(text: str, url: str) -> dict[str, str]:
    """Parse ``sha256sum`` output into ``{relative path: hex digest}``; refuse unsafe paths."""
    sums: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _SUMS_LINE.match(line)
        if m is None:
            raise ValueError(f"{url} line {lineno} is not '<sha256>  <file>': {line!r}")
        name = m["name"]
        parts = PurePosixPath(name).parts
        if name.startswith("/") or not parts or ".." in parts or "\\" in name:
            raise ValueError(f"{url} line {lineno} names an unsafe path {name!r}")
        sums[name] = m["sha"].lower()
    if not sums:
        raise ValueError(f"{url} lists no files")
    return sums


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _part_size(part: Path) -> int:
    """Return the size of a ``.part`` file to resume from; 0 (after removing it) for a link.

    A ``.part`` is ours: a symbolic link or anything but a regular file in its place
    is removed (the link itself, never its target) and the file fetched afresh.
    """
    try:
        info = part.lstat()
    except FileNotFoundError:
        return 0
    if stat.S_ISREG(info.st_mode):
        return info.st_size
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{str(part)!r} is a folder where download keeps a partial file; "
                         "remove it")
    part.unlink()
    return 0


def _open_part(part: Path, append: bool) -> BinaryIO:
    """Open `part` for writing without following a symbolic link put in its place."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    flags |= os.O_APPEND if append else os.O_TRUNC
    try:
        fd = os.open(part, flags, 0o644)
    except OSError as exc:
        raise ValueError(f"cannot write {str(part)!r} ({exc.strerror}); download never "
                         "writes through a symbolic link") from None
    return os.fdopen(fd, "ab" if append else "wb")


def _target(dest: Path, name: str) -> Path:
    """Return ``dest / name``, creating its folders, refusing links on the way.

    A symbolic link among the folders between `dest` and the file would make the
    download write outside `dest`.
    """
    folder = dest
    for part in PurePosixPath(name).parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise ValueError(f"{str(folder)!r} is a symbolic link; download writes only "
                             f"inside dest={str(dest)!r} and never follows links out of it")
        folder.mkdir(exist_ok=True)
    return dest / name


def _open(url: str, timeout_s: float, start: int = 0) -> http.client.HTTPResponse:
    headers = {"User-Agent": "heartbeat-download (Python urllib)"}
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout_s)


def _expected_length(resp: http.client.HTTPResponse) -> int | None:
    value = resp.headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None


def _fetch_bytes(url: str, timeout_s: float, attempts: int, wait_s: float,
                 say: Callable[[str], None] | None = None) -> bytes | None:
    """GET a small file in memory, retrying dropped connections; None if it is not found.

    `say`, when given, is told of each failed attempt before the wait for the next.
    """
    for attempt in range(attempts):
        try:
            with _open(url, timeout_s) as resp:
                body = resp.read()
                n = _expected_length(resp)
                if n is not None and len(body) != n:
                    raise _ShortRead(f"got {len(body)} of {n} bytes")
                return body
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 and attempt + 1 < attempts:
                time.sleep(wait_s * 2**attempt)
                continue
            if exc.code == 404:
                return None
            raise ValueError(
                f"cannot fetch {url}: HTTP {exc.code} {exc.reason}; check the URL "
                "(--base-url, base_url=)"
            ) from None
        except _TRANSIENT as exc:
            if attempt + 1 >= attempts:
                raise ConnectionError(
                    f"cannot fetch {url} after {attempts} attempts: {exc}"
                ) from exc
            if say is not None:
                say(f"cannot reach {url} ({exc}); attempt {attempt + 2} of {attempts} "
                    f"in {wait_s * 2**attempt:g} s")
            time.sleep(wait_s * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _fetch_part(url: str, part: Path, timeout_s: float, counter: list[int]) -> None:
    """Append the rest of `url` to `part` (resuming from its size).

    Bytes read are added to ``counter[0]`` as they arrive.  Raises a transient error
    (to be retried) if the connection drops before the body is complete.
    """
    start = _part_size(part)
    try:
        resp = _open(url, timeout_s, start)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # nothing left to send: the .part is complete
            return
        raise
    received = 0
    with resp:
        if start and resp.status != 206:  # the server ignored Range: start over
            start = 0
        elif start:
            m = re.match(r"bytes (\d+)-", resp.headers.get("Content-Range", ""))
            if m is None or int(m[1]) != start:  # not where we asked: start over
                part.unlink()
                raise _ShortRead(f"bad Content-Range {resp.headers.get('Content-Range')!r}")
        expected = _expected_length(resp)
        with _open_part(part, append=bool(start)) as fh:
            while True:
                block = resp.read(CHUNK_BYTES)
                if not block:
                    break
                fh.write(block)
                received += len(block)
                counter[0] += len(block)
            fh.flush()
            os.fsync(fh.fileno())
    if expected is not None and received < expected:
        raise _ShortRead(f"connection closed after {received} of {expected} bytes")


def download(
    database: str,
    dest: str | os.PathLike,
    *,
    base_url: str | None = None,
    server: str | None = None,
    records: Sequence[str] | None = None,
    retries: int = 5,
    timeout_s: float = 30.0,
    retry_wait_s: float = 1.0,
    quiet: bool = False,
) -> DownloadResult:
    """Download a PhysioNet database into `dest`, verified against its SHA-256 list.

    Parameters
    ----------
    database : str
        A name in :data:`CATALOGUE` (``mitdb``, ``svdb``, ``nstdb``, ``ltdb``,
        ``incartdb``, ``edb``, ``stdb``, ``nsrdb``), downloaded at its version there.
    dest : path
        Folder to fill; created if missing.  Afterwards it holds every file listed in
        the server's ``SHA256SUMS.txt`` (or ``SHA256SUMS``; or the files of
        `records`) and that list, restricted to the files present, under the same
        name, so ``sha256sum -c SHA256SUMS.txt`` passes there.  The list may name
        documentation files besides the records; pass
        ``records=heartbeat.datasets.RECORDS`` for the 48 records' files alone.
    base_url : str, optional
        The database folder URL, ending in ``/``; default ``DATABASES[database]``,
        e.g. ``"https://physionet.org/files/mitdb/1.0.0/"``.  Use it for a mirror.
    server : str, optional
        The root of a server laid out like PhysioNet (default :data:`PHYSIONET`); the
        database is fetched from ``server + "files/NAME/VERSION/"``.  Ignored when
        `base_url` is given.
    records : sequence of str, optional
        Fetch only the files of these records (``100`` -> ``100.hea``, ``100.dat``,
        ``100.atr``, ...) plus the files that belong to no record (``RECORDS``,
        ``ANNOTATORS``); default all files.
    retries : int, default 5
        How many times one request may be repeated after a dropped connection, a
        timeout or a server error (5xx); a repeat resumes where the data stopped.
    timeout_s : float, default 30.0
        Socket timeout of each request in seconds.
    retry_wait_s : float, default 1.0
        Wait before the first repeat; it doubles with each further repeat.
    quiet : bool, default False
        Print no progress lines on stderr.

    Returns
    -------
    DownloadResult
        The folder, the files fetched, the files skipped, bytes read, retries used.

    Raises
    ------
    TypeError
        If `database`, `base_url` or `server` is not a str, `retries` is not an integer, or
        `timeout_s` or `retry_wait_s` is not a number.
    ValueError
        If `database` is unknown, `base_url` or `server` is not an http(s) URL, `retries` < 0,
        `timeout_s` <= 0, `retry_wait_s` < 0 (or either is not finite), `records` names
        records not in ``SHA256SUMS``, the server answers a request with an HTTP error
        (4xx), or a downloaded file fails its checksum (the message names the file; the
        bad data is deleted and nothing appears under the file's final name).
    ConnectionError
        If a request still fails after `retries` repeats; the ``.part`` files stay,
        so calling again resumes.

    Notes
    -----
    Each file is streamed into ``NAME.part`` next to its final place.  A repeat (in
    this call or a later one) asks for ``Range: bytes=<size of .part>-``; a server that
    ignores ``Range`` (``200`` instead of ``206``) sends the whole file again and the
    ``.part`` is rewritten from the start.  The ``.part`` is renamed to ``NAME`` with
    ``os.replace`` only once its SHA-256 matches.  A ``.part`` left by an earlier call
    that turns out corrupt is discarded and fetched again once; a freshly fetched file
    that fails its checksum is an error.

    Examples
    --------
    Fetch two records of MIT-BIH (needs internet access; about 4 MB)::

        >>> from heartbeat.io import download
        >>> result = download("mitdb", "data/mitdb", records=["100", "101"])  # doctest: +SKIP
        >>> result.downloaded  # doctest: +SKIP
        ('100.atr', '100.dat', '100.hea', '101.atr', '101.dat', '101.hea', 'ANNOTATORS', ...)
    """
    url = _database_url(database, base_url, server)
    retries = as_int(retries, "retries", minimum=0)
    timeout_s = as_positive(timeout_s, "timeout_s", "s")
    retry_wait_s = as_real(retry_wait_s, "retry_wait_s", low=0, unit="s")
    if isinstance(records, str):
        records = [records]
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"dest={str(dest)!r} exists and is not a folder")

    policy = _Retry(retries, timeout_s, retry_wait_s)
    say = None if quiet else (lambda msg: print(f"download {database}: {msg}", file=sys.stderr))
    if say is not None:
        say(f"fetching the checksum list from {url}")
    sums_name, sums_bytes = _fetch_sums(url, policy, say)
    sums_url = url + sums_name
    sums = _parse_sums(sums_bytes.decode("utf-8", errors="replace"), sums_url)
    sums.pop(sums_name, None)
    names = _select_files(sorted(sums), records, sums_url)
    dest.mkdir(parents=True, exist_ok=True)

    downloaded: list[str] = []
    skipped: list[str] = []
    total_bytes = [0]
    total_retries = 0
    for index, name in enumerate(names, 1):
        final = _target(dest, name)
        # a link in the file's place is replaced, never read or written through
        if not final.is_symlink() and final.is_file() and _sha256(final) == sums[name]:
            skipped.append(name)
            continue
        if not quiet:
            print(f"download {database}: [{index}/{len(names)}] {name}", file=sys.stderr)
        file_url = url + urllib.parse.quote(name)
        total_retries += _fetch_verified(file_url, final, name, sums[name], sums_url, policy,
                                         total_bytes)
        downloaded.append(name)
    _keep_sums(dest, sums_name, sums, sums_bytes)
    if not quiet:
        print(
            f"download {database}: {len(downloaded)} file(s) fetched, {len(skipped)} already "
            f"present, all verified in {dest}",
            file=sys.stderr,
        )
    return DownloadResult(dest, tuple(downloaded), tuple(skipped), total_bytes[0], total_retries)


def _database_url(database: object, base_url: object, server: object = None) -> str:
    """Return the database folder URL, ending in ``/``."""
    if not isinstance(database, str):
        raise TypeError(f"database must be a str such as 'mitdb', got {database!r}")
    for arg, value in (("base_url", base_url), ("server", server)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{arg} must be a str (an http(s) URL), got {value!r}")
    if base_url is None and database not in CATALOGUE:
        raise ValueError(
            f"database={database!r} is not known; choose one of {', '.join(CATALOGUE)} "
            "(heartbeat download --list) or give the URL of another PhysioNet folder "
            "(--base-url URL on the command line, base_url=URL in Python)"
        )
    if base_url is not None:
        url, arg = base_url, "base_url"
    else:
        root = PHYSIONET if server is None else server
        url = (root if root.endswith("/") else root + "/") + CATALOGUE[database].folder
        arg = "server"
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{arg}={url!r} must be an http:// or https:// URL")
    return url if url.endswith("/") else url + "/"


def _fetch_sums(url: str, policy: _Retry, say: Callable[[str], None] | None = None
                ) -> tuple[str, bytes]:
    """Fetch the database's checksum list under either name; return its name and bytes."""
    for sums_name in SUMS_NAMES:
        sums_bytes = _fetch_bytes(url + sums_name, policy.timeout_s, policy.retries + 1,
                                  policy.wait_s, say)
        if sums_bytes is not None:
            return sums_name, sums_bytes
    raise ValueError(
        f"cannot fetch {url}{SUMS_NAMES[0]} or {SUMS_NAMES[1]}: HTTP 404 Not Found; "
        "check the URL (--base-url, base_url=)"
    )


def _select_files(names: list[str], records: Sequence[str] | None, sums_url: str
                  ) -> list[str]:
    """Keep the files of `records` and those of no record (all files if `records` is None)."""
    if records is None:
        return names
    wanted = {str(r) for r in records}
    stems = {PurePosixPath(n).name.split(".")[0] for n in names if "." in n}
    unknown = sorted(wanted - stems)
    if unknown:
        raise ValueError(f"records {unknown} are not listed in {sums_url}")
    return [
        n for n in names
        if "." not in PurePosixPath(n).name or PurePosixPath(n).name.split(".")[0] in wanted
    ]


def _fetch_verified(file_url: str, final: Path, name: str, sha: str, sums_url: str,
                    policy: _Retry, counter: list[int]) -> int:
    """Fetch `file_url` (the file `name`) into `final` via ``final.part``; return the repeats.

    The ``.part`` is resumed after a dropped connection and renamed to `final` only
    once its SHA-256 equals `sha`.  A ``.part`` left by an earlier call that turns
    out corrupt is fetched afresh once; bytes read are added to ``counter[0]``.
    """
    part = final.with_name(final.name + ".part")
    resumed_old_part = _part_size(part) > 0
    failures = 0
    while True:
        try:
            _fetch_part(file_url, part, policy.timeout_s, counter)
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or failures >= policy.retries:
                raise ValueError(
                    f"cannot fetch {file_url}: HTTP {exc.code} {exc.reason}"
                ) from None
        except _TRANSIENT as exc:
            if failures >= policy.retries:
                raise ConnectionError(
                    f"cannot fetch {file_url} after {policy.retries + 1} attempts ({exc}); "
                    f"{part.name} is kept, call download() again to resume"
                ) from exc
        else:
            if _sha256(part) == sha:
                break
            part.unlink()
            if resumed_old_part:  # a stale .part from an earlier run: start afresh once
                resumed_old_part = False
                continue
            raise ValueError(
                f"{name} fails its SHA-256 check against {sums_url} (file deleted); "
                "the server sent corrupt data, try again or another base_url"
            )
        failures += 1
        time.sleep(policy.wait_s * 2 ** (failures - 1))
    os.replace(part, final)
    return failures


def _keep_sums(dest: Path, sums_name: str, sums: dict[str, str], sums_bytes: bytes) -> None:
    """Write the checksum list into `dest` so that ``sha256sum -c`` works there.

    The server's list is kept as is when every file it names is present, else only
    the lines of the files present (e.g. after a `records` subset).
    """
    present = [n for n in sorted(sums) if (dest / n).is_file() and not (dest / n).is_symlink()]
    with atomic_open(dest / sums_name) as fh:
        if len(present) == len(sums):
            fh.write(sums_bytes)
        else:
            fh.write("".join(f"{sums[n]}  {n}\n" for n in present).encode())
    with contextlib.suppress(OSError):  # make the renames durable where the OS allows it
        fd = os.open(dest, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
