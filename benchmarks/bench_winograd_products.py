"""Gflop/s of the Winograd pass's 8 products in three layouts, on one BLAS thread.

    OPENBLAS_NUM_THREADS=1 taskset -c 0 python benchmarks/bench_winograd_products.py

The forward pass of a 32-channel Winograd F(4, 5) convolution multiplies, for each of
the 8 transform points, a (rows, 32) plane of the transformed input by a (32, 32)
matrix (:mod:`heartbeat.nn.winograd`, about 512 rows per pass).  Timed here with
CPU time, after one product with K above 32 (see docs/benchmarks.md on the OpenBLAS
K = N = 32 trap):

* tile-major: the planes are strided views of a (rows, 8, 32) array (before session 7);
* point-major: contiguous planes of an (8, rows, 32) array (what the pass does now);
* large N: ``(32, 32) x (32, rows)`` per point, the output transposed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def gflops(product, flop: float, repeats: int) -> float:
    """Gflop per CPU-second of `repeats` calls of `product` (after one warm-up call)."""
    product()
    start = time.process_time()
    for _ in range(repeats):
        product()
    return repeats * flop / (time.process_time() - start) / 1e9


def layouts(rows: int, rng: np.random.Generator, u: np.ndarray) -> dict:
    """The three ways of doing the 8 products on a pass of `rows` tiles, as calls."""
    v = rng.random((rows, 8, 32), dtype=np.float32)
    m = np.empty_like(v)
    v_p = np.ascontiguousarray(v.transpose(1, 0, 2))
    m_p = np.empty_like(v_p)
    v_t = np.ascontiguousarray(v.transpose(1, 2, 0))
    m_t = np.empty_like(v_t)
    u_t = np.ascontiguousarray(u.transpose(0, 2, 1))
    return {
        "tile-major (strided planes)":
            lambda: np.matmul(v.transpose(1, 0, 2), u, out=m.transpose(1, 0, 2)),
        "point-major (contiguous planes)": lambda: np.matmul(v_p, u, out=m_p),
        "large N: (32, 32) x (32, rows)": lambda: np.matmul(u_t, v_t, out=m_t),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    np.ones((32, 64), np.float32) @ np.ones((64, 32), np.float32)  # leave the slow path
    u = rng.random((8, 32, 32), dtype=np.float32)
    for rows in args.rows:
        flop = 2.0 * rows * 32 * 32 * 8
        for name, product in layouts(rows, rng, u).items():
            print(f"rows {rows:5d}  {name:34s} {gflops(product, flop, args.repeats):5.1f} "
                  "Gflop/s")


if __name__ == "__main__":
    main()
