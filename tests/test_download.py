"""Tests for heartbeat.io.physionet against a local HTTP server that supports Range.

The server (stdlib ``http.server`` in a thread on 127.0.0.1) serves a temporary folder
holding a few real MIT-BIH records with PhysioNet's own ``SHA256SUMS`` lines for them
(plus ``ANNOTATORS``, which PhysioNet's list omits; its line is computed here).  It can
corrupt a file, drop the connection half-way through a body, or ignore ``Range``.
"""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from heartbeat.cli import main
from heartbeat.io.physionet import DownloadResult, download

RECORD_FILES = ("100.atr", "100.dat", "100.hea", "101.atr", "101.dat", "101.hea")
FILES = (*RECORD_FILES, "ANNOTATORS")  # ANNOTATORS: a file that belongs to no record


class _Handler(http.server.BaseHTTPRequestHandler):
    root: Path
    corrupt: set[str]
    drop: dict[str, int]  # name -> how many more requests to cut short
    ignore_range: bool
    log: list[tuple[str, str | None]]

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        self.log.append((name, self.headers.get("Range")))
        path = self.root / name
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        if name in self.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = 0
        rng = self.headers.get("Range")
        if rng and not self.ignore_range:
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.drop.get(name, 0) > 0:
            self.drop[name] -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def served(tmp_path, mitdb_dir):
    """A folder with a few real records and their PhysioNet checksums, served over HTTP."""
    root = tmp_path / "server"
    root.mkdir()
    for name in FILES:
        shutil.copyfile(mitdb_dir / name, root / name)
    lines = [
        line for line in (mitdb_dir / "SHA256SUMS").read_text().splitlines()
        if line.split()[1] in RECORD_FILES
    ]
    assert len(lines) == len(RECORD_FILES)
    sha = hashlib.sha256((root / "ANNOTATORS").read_bytes()).hexdigest()
    lines.append(f"{sha}  ANNOTATORS")
    (root / "SHA256SUMS").write_text("\n".join(lines) + "\n")

    handler = type(
        "Handler", (_Handler,),
        {"root": root, "corrupt": set(), "drop": {}, "ignore_range": False, "log": []},
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _get(url: str, dest: Path, **kwargs) -> DownloadResult:
    kwargs.setdefault("retry_wait_s", 0.0)
    kwargs.setdefault("quiet", True)
    return download("mitdb", dest, base_url=url, **kwargs)


def _same_as_source(dest: Path, mitdb_dir: Path, names=FILES) -> None:
    for name in names:
        assert (dest / name).read_bytes() == (mitdb_dir / name).read_bytes(), name
    assert not list(dest.glob("*.part")) and not list(dest.glob(".*.tmp"))


class TestDownload:
    def test_fetches_and_verifies_every_file(self, served, tmp_path, mitdb_dir):
        handler, url = served
        dest = tmp_path / "out" / "mitdb"
        result = _get(url, dest)
        assert result.downloaded == tuple(sorted(FILES))
        assert result.skipped == ()
        assert result.retries == 0
        assert result.bytes_received == sum((mitdb_dir / n).stat().st_size for n in FILES)
        _same_as_source(dest, mitdb_dir)
        # the checksums come first, then the files, and SHA256SUMS is kept for sha256sum -c
        assert handler.log[:2] == [("SHA256SUMS.txt", None), ("SHA256SUMS", None)]
        sums = (dest / "SHA256SUMS").read_text().split()
        for sha, name in zip(sums[::2], sums[1::2], strict=True):
            assert hashlib.sha256((dest / name).read_bytes()).hexdigest() == sha

    def test_second_call_skips_verified_files(self, served, tmp_path):
        handler, url = served
        _get(url, tmp_path / "d")
        handler.log.clear()
        result = _get(url, tmp_path / "d")
        assert result.downloaded == ()
        assert result.skipped == tuple(sorted(FILES))
        assert handler.log == [("SHA256SUMS.txt", None), ("SHA256SUMS", None)]

    def test_physionet_checksum_file_name(self, served, tmp_path, mitdb_dir):
        # PhysioNet itself names the list SHA256SUMS.txt
        handler, url = served
        (handler.root / "SHA256SUMS").rename(handler.root / "SHA256SUMS.txt")
        dest = tmp_path / "d"
        result = _get(url, dest, records=["100"])
        assert handler.log[0] == ("SHA256SUMS.txt", None)
        assert "SHA256SUMS.txt" not in result.downloaded
        assert (dest / "SHA256SUMS.txt").is_file() and not (dest / "SHA256SUMS").exists()
        _same_as_source(dest, mitdb_dir, ("100.atr", "100.dat", "100.hea"))

    def test_replaces_a_present_file_with_a_wrong_checksum(self, served, tmp_path, mitdb_dir):
        _, url = served
        dest = tmp_path / "d"
        dest.mkdir()
        (dest / "100.hea").write_text("not a header\n")
        result = _get(url, dest)
        assert "100.hea" in result.downloaded
        _same_as_source(dest, mitdb_dir)

    def test_corrupt_file_raises_and_leaves_no_final_file(self, served, tmp_path):
        handler, url = served
        handler.corrupt.add("100.dat")
        dest = tmp_path / "d"
        with pytest.raises(ValueError, match=r"100\.dat fails its SHA-256 check"):
            _get(url, dest)
        assert not (dest / "100.dat").exists()
        assert not (dest / "100.dat.part").exists()
        assert not (dest / "SHA256SUMS").exists()  # written only once all files are good

    def test_dropped_connection_resumes_with_range(self, served, tmp_path, mitdb_dir):
        handler, url = served
        handler.drop["100.dat"] = 1
        dest = tmp_path / "d"
        result = _get(url, dest)
        assert result.retries == 1
        _same_as_source(dest, mitdb_dir)
        requests = [rng for name, rng in handler.log if name == "100.dat"]
        size = (mitdb_dir / "100.dat").stat().st_size
        assert requests == [None, f"bytes={size // 2}-"]
        # the resumed request fetched only the missing half
        assert result.bytes_received == sum((mitdb_dir / n).stat().st_size for n in FILES)

    def test_resumes_a_part_file_left_by_an_earlier_run(self, served, tmp_path, mitdb_dir):
        handler, url = served
        dest = tmp_path / "d"
        dest.mkdir()
        data = (mitdb_dir / "101.dat").read_bytes()
        (dest / "101.dat.part").write_bytes(data[:1000])
        result = _get(url, dest)
        assert ("101.dat", "bytes=1000-") in handler.log
        total = sum((mitdb_dir / n).stat().st_size for n in FILES)
        assert result.bytes_received == total - 1000
        _same_as_source(dest, mitdb_dir)

    def test_complete_part_file_is_verified_and_renamed(self, served, tmp_path, mitdb_dir):
        # e.g. a crash between the last byte and the rename: the server answers 416
        handler, url = served
        dest = tmp_path / "d"
        dest.mkdir()
        data = (mitdb_dir / "100.hea").read_bytes()
        (dest / "100.hea.part").write_bytes(data)
        result = _get(url, dest, records=["100"])
        assert ("100.hea", f"bytes={len(data)}-") in handler.log
        assert "100.hea" in result.downloaded
        _same_as_source(dest, mitdb_dir, ("100.atr", "100.dat", "100.hea"))

    def test_discards_a_stale_corrupt_part_file(self, served, tmp_path, mitdb_dir):
        handler, url = served
        dest = tmp_path / "d"
        dest.mkdir()
        (dest / "100.hea.part").write_bytes(b"garbage from another file")
        _get(url, dest)
        assert [rng for n, rng in handler.log if n == "100.hea"] == ["bytes=25-", None]
        _same_as_source(dest, mitdb_dir)

    def test_server_that_ignores_range(self, served, tmp_path, mitdb_dir):
        handler, url = served
        handler.ignore_range = True
        handler.drop["100.dat"] = 1
        result = _get(url, tmp_path / "d")
        assert result.retries == 1
        _same_as_source(tmp_path / "d", mitdb_dir)

    def test_gives_up_after_retries_and_keeps_the_part(self, served, tmp_path):
        handler, url = served
        handler.drop["100.atr"] = 10
        dest = tmp_path / "d"
        with pytest.raises(ConnectionError, match=r"100\.atr after 3 attempts"):
            _get(url, dest, retries=2)
        assert not (dest / "100.atr").exists()
        assert (dest / "100.atr.part").stat().st_size > 0
        handler.drop.clear()
        _get(url, dest)  # a later call resumes and completes
        assert (dest / "100.atr").exists() and not (dest / "100.atr.part").exists()

    def test_records_subset(self, served, tmp_path, mitdb_dir):
        _, url = served
        dest = tmp_path / "d"
        result = _get(url, dest, records=["101"])
        assert result.downloaded == ("101.atr", "101.dat", "101.hea", "ANNOTATORS")
        assert not (dest / "100.dat").exists()
        assert len((dest / "SHA256SUMS").read_text().splitlines()) == 4
        _get(url, dest, records=["100"])  # a second subset adds to the list
        assert len((dest / "SHA256SUMS").read_text().splitlines()) == 7
        with pytest.raises(ValueError, match=r"records \['999'\] are not listed"):
            _get(url, dest, records=["999"])

    def test_missing_database_folder(self, served, tmp_path):
        _, url = served
        with pytest.raises(ValueError, match=r"SHA256SUMS\.txt or SHA256SUMS: HTTP 404"):
            _get(url + "nothing/", tmp_path / "d")
        assert not (tmp_path / "d").exists()

    def test_unsafe_names_in_checksums(self, served, tmp_path):
        handler, url = served
        (handler.root / "SHA256SUMS").write_text("0" * 64 + "  ../evil\n")
        with pytest.raises(ValueError, match=r"unsafe path '\.\./evil'"):
            _get(url, tmp_path / "d")

    def test_unreachable_server(self, tmp_path):
        with pytest.raises(ConnectionError, match="after 2 attempts"):
            # port 9 (discard) on localhost: connection refused
            _get("http://127.0.0.1:9/", tmp_path / "d", retries=1)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"database": "nope"}, "database='nope' is not known"),
            ({"base_url": "ftp://example.org/"}, "must be an http"),
            ({"retries": -1}, "retries=-1"),
            ({"timeout_s": 0}, "timeout_s=0"),
            ({"retry_wait_s": -1.0}, r"retry_wait_s=-1\.0"),
        ],
    )
    def test_bad_arguments(self, tmp_path, kwargs, match):
        kwargs = {"database": "mitdb", "dest": tmp_path, **kwargs}
        with pytest.raises(ValueError, match=match):
            download(**kwargs)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"database": 3}, "database must be a str"),
            ({"base_url": b"http://example.org/"}, "base_url must be a str"),
            ({"retries": 1.5}, "retries must be an integer"),
            ({"timeout_s": "30"}, "timeout_s must be a real number"),
        ],
    )
    def test_wrong_types(self, tmp_path, kwargs, match):
        kwargs = {"database": "mitdb", "dest": tmp_path, **kwargs}
        with pytest.raises(TypeError, match=match):
            download(**kwargs)

    def test_dest_is_a_file(self, tmp_path):
        (tmp_path / "f").write_text("x")
        with pytest.raises(ValueError, match="is not a folder"):
            download("mitdb", tmp_path / "f")


class TestCommand:
    def test_download_command(self, served, tmp_path, mitdb_dir, capsys):
        _, url = served
        dest = tmp_path / "cli"
        status = main(["download", "mitdb", str(dest), "--base-url", url, "--records", "100"])
        assert status == 0
        _same_as_source(dest, mitdb_dir, ("100.atr", "100.dat", "100.hea", "ANNOTATORS"))
        err = capsys.readouterr().err
        assert "4 file(s) fetched" in err

    def test_download_command_error(self, served, tmp_path, capsys):
        handler, url = served
        handler.corrupt.add("100.hea")
        status = main(["download", "mitdb", str(tmp_path), "--base-url", url, "--quiet"])
        assert status == 2
        assert "100.hea fails its SHA-256 check" in capsys.readouterr().err


class TestCatalogue:
    """The databases known by name, each fetched from files/NAME/VERSION/ on its server."""

    def test_names_versions_and_folders(self):
        from heartbeat.io.physionet import CATALOGUE, DATABASES

        for name in ("mitdb", "svdb", "nstdb", "ltdb", "incartdb", "edb"):
            db = CATALOGUE[name]
            assert db.version == "1.0.0"
            assert db.folder == f"files/{name}/1.0.0/"
            assert DATABASES[name] == f"https://physionet.org/files/{name}/1.0.0/"
        assert CATALOGUE["incartdb"].fs == 257.0 and CATALOGUE["incartdb"].n_records == 75

    @pytest.mark.parametrize("name", ["svdb", "incartdb"])
    def test_download_by_name_from_a_server(self, served, tmp_path, mitdb_dir, name):
        handler, url = served
        folder = handler.root / "files" / name / "1.0.0"
        folder.mkdir(parents=True)
        for path in list(handler.root.iterdir()):
            if path.is_file():
                path.rename(folder / path.name)
        result = download(name, tmp_path / name, server=url, records=["100"], quiet=True,
                          retry_wait_s=0.0)
        assert result.downloaded == ("100.atr", "100.dat", "100.hea", "ANNOTATORS")
        _same_as_source(tmp_path / name, mitdb_dir, result.downloaded)
        assert handler.log[0][0] == f"files/{name}/1.0.0/SHA256SUMS.txt"  # PhysioNet's name
        with pytest.raises(ValueError, match="SHA256SUMS: HTTP 404"):
            download("ltdb", tmp_path / "ltdb", server=url, quiet=True, retry_wait_s=0.0)

    def test_bad_server(self, tmp_path):
        with pytest.raises(ValueError, match=r"server='ftp://x/files/svdb/1\.0\.0/' must be"):
            download("svdb", tmp_path, server="ftp://x")
        with pytest.raises(TypeError, match="server must be a str"):
            download("svdb", tmp_path, server=1)

    def test_command_by_name_and_list(self, served, tmp_path, mitdb_dir, capsys):
        handler, url = served
        folder = handler.root / "files" / "edb" / "1.0.0"
        folder.mkdir(parents=True)
        for path in list(handler.root.iterdir()):
            if path.is_file():
                path.rename(folder / path.name)
        dest = tmp_path / "edb"
        status = main(["download", "edb", str(dest), "--server", url, "--records", "101",
                       "--quiet"])
        assert status == 0
        _same_as_source(dest, mitdb_dir, ("101.atr", "101.dat", "101.hea"))
        assert main(["download", "--list"]) == 0
        out = capsys.readouterr().out
        assert "incartdb  1.0.0" in out and "European ST-T Database" in out


class TestLinksInDest:
    """download never reads or writes through a symbolic link found in `dest`."""

    def test_part_file_that_is_a_link_is_replaced_not_written_through(self, served, tmp_path,
                                                                       mitdb_dir):
        _, url = served
        dest = tmp_path / "d"
        dest.mkdir()
        victim = tmp_path / "victim.txt"
        victim.write_bytes(b"keep me")
        (dest / "100.hea.part").symlink_to(victim)
        _get(url, dest)
        assert victim.read_bytes() == b"keep me"
        _same_as_source(dest, mitdb_dir)

    def test_final_file_that_is_a_link_is_replaced_not_read(self, served, tmp_path, mitdb_dir):
        _, url = served
        dest = tmp_path / "d"
        dest.mkdir()
        outside = tmp_path / "elsewhere.hea"
        shutil.copyfile(mitdb_dir / "100.hea", outside)  # even a matching file outside
        (dest / "100.hea").symlink_to(outside)
        result = _get(url, dest)
        assert "100.hea" in result.downloaded and not (dest / "100.hea").is_symlink()
        _same_as_source(dest, mitdb_dir)

    def test_linked_subfolder_is_refused(self, served, tmp_path):
        handler, url = served
        root = handler.root
        (root / "sub").mkdir()
        shutil.copyfile(root / "100.hea", root / "sub" / "x.hea")
        sha = hashlib.sha256((root / "100.hea").read_bytes()).hexdigest()
        (root / "SHA256SUMS").write_text(f"{sha}  sub/x.hea\n")
        dest = tmp_path / "d"
        dest.mkdir()
        outside = tmp_path / "outside"
        outside.mkdir()
        (dest / "sub").symlink_to(outside)
        with pytest.raises(ValueError, match=r"sub' is a symbolic link; download writes only"):
            _get(url, dest)
        assert list(outside.iterdir()) == []
