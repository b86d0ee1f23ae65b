"""NumPy's OpenBLAS on one thread while a threaded model runs (heartbeat.nn.threads)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import heartbeat.nn as nn
from heartbeat.nn import threads


def _controls():
    controls = threads.openblas_controls()
    if controls is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS this module can find")
    return controls


def test_single_threaded_sets_one_thread_and_restores_the_count():
    get, set_ = _controls()
    before = get()
    try:
        set_(2)
        with threads.single_threaded():
            assert get() == 1
            with threads.single_threaded():  # nested
                assert get() == 1
            assert get() == 1
        assert get() == 2
    finally:
        set_(before)


def test_single_threaded_from_two_threads_restores_once_both_leave():
    get, set_ = _controls()
    before = get()
    inside, leave = threading.Barrier(2), threading.Event()

    def user():
        with threads.single_threaded():
            inside.wait()
            leave.wait()

    try:
        set_(2)
        t = threading.Thread(target=user)
        t.start()
        with threads.single_threaded():
            inside.wait()
        assert get() == 1  # the other thread is still inside
        leave.set()
        t.join()
        assert get() == 2
    finally:
        set_(before)


def test_a_threaded_pass_leaves_the_blas_thread_count_alone():
    get, set_ = _controls()
    before = get()
    try:
        set_(2)
        model = nn.build("kachuee2018", threads=2)
        model.forward(np.zeros((64, 187), np.float32))
        assert model._threads.shards is not None and get() == 2
    finally:
        set_(before)
