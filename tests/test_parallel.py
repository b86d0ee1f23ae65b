"""Tests for heartbeat.datasets.parallel: the same results whatever the executor."""

from __future__ import annotations

import io
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from heartbeat.datasets.parallel import Progress, map_records


def _square_slowly(x: int) -> int:
    time.sleep(0.01 * (x % 3))  # finish out of order
    return x * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"bad item {x}")
    return x


class TestMapRecords:
    def test_serial(self):
        assert map_records(_square_slowly, range(6), quiet=True) == [0, 1, 4, 9, 16, 25]

    def test_empty(self):
        assert map_records(_square_slowly, [], quiet=True) == []

    def test_threads_keep_input_order(self):
        with ThreadPoolExecutor(3) as pool:
            out = map_records(_square_slowly, range(9), executor=pool, quiet=True)
        assert out == [x * x for x in range(9)]

    def test_process_pool_matches_serial(self):
        serial = map_records(_square_slowly, range(7), quiet=True)
        with ProcessPoolExecutor(2) as pool:
            assert map_records(_square_slowly, range(7), executor=pool, quiet=True) == serial

    @pytest.mark.parametrize("workers", [0, 2])
    def test_on_result_receives_every_result_once(self, workers):
        seen = {}
        if workers:
            with ThreadPoolExecutor(workers) as pool:
                out = map_records(_square_slowly, range(6), executor=pool, quiet=True,
                                  on_result=seen.__setitem__)
        else:
            out = map_records(_square_slowly, range(6), quiet=True, on_result=seen.__setitem__)
        assert out == [None] * 6
        assert seen == {x: x * x for x in range(6)}

    def test_errors_propagate(self):
        with pytest.raises(ValueError, match="bad item 3"):
            map_records(_fail_on_three, range(5), quiet=True)
        with ThreadPoolExecutor(2) as pool, pytest.raises(ValueError, match="bad item 3"):
            map_records(_fail_on_three, range(5), executor=pool, quiet=True)

    def test_not_an_executor(self):
        with pytest.raises(TypeError, match=r"executor must be a concurrent\.futures\.Executor"):
            map_records(abs, [1], executor="local")

    def test_short_runs_print_nothing(self, capsys):
        map_records(abs, range(3))
        assert capsys.readouterr().err == ""

    def test_dask_cluster_matches_serial(self):
        distributed = pytest.importorskip(
            "distributed",
            reason="dask.distributed not installed: pip install 'heartbeat-ecg[dask]'",
        )
        serial = map_records(_square_slowly, range(5), quiet=True)
        with (
            distributed.LocalCluster(
                processes=True, n_workers=1, threads_per_worker=2, host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            out = map_records(_square_slowly, range(5), executor=client.get_executor(),
                              quiet=True)
        assert out == serial


class TestProgress:
    def test_draws_counts_and_ends_the_line(self):
        out = io.StringIO()
        progress = Progress(3, "beats", stream=out, delay_s=0.0, interval_s=0.0)
        for _ in range(3):
            progress.update()
        progress.close()
        text = out.getvalue()
        assert text.endswith("\n")
        frames = [f.strip() for f in text.strip().split("\r") if f.strip()]
        assert frames[0].startswith("beats: 1/3 records") and "left" in frames[0]
        assert frames[-1].startswith("beats: 3/3 records")
        assert sum(f.startswith("beats: 3/3") for f in frames) == 1  # not drawn twice

    def test_quiet_and_delay(self):
        out = io.StringIO()
        quiet = Progress(2, "x", quiet=True, delay_s=0.0, stream=out)
        quiet.update()
        quiet.close()
        later = Progress(2, "x", delay_s=60.0, stream=out)
        later.update()
        later.close()
        assert out.getvalue() == ""


def test_old_module_path_still_imports():
    """heartbeat.parallel is an alias of the module at its new path, not a copy."""
    import importlib

    from heartbeat import _moved

    alias = _moved._Alias()
    spec = alias.find_spec("heartbeat.parallel")
    assert spec is not None
    assert alias.create_module(spec) is importlib.import_module("heartbeat.datasets.parallel")
