"""Speed and memory of the heartbeat.nn engine against PyTorch (CPU) on the Kachuee CNN.

Measures beats/s of a training step (forward + backward + Adam) at batch 32 and 128
and of inference at batch 1,024, for heartbeat.nn and for the identical PyTorch
architecture, interleaved in one run (the machine is shared: ratios from the same run
are what counts), plus peak RSS of each workload in a fresh subprocess.  Prints a table
and, last, one JSON object.

    PYTHONPATH=. python benchmarks/bench_nn.py [--repeats 5] [--seconds 1.0]
    PYTHONPATH=. python benchmarks/bench_nn.py --profile   # time per function, training

PyTorch is optional (``pip install torch``, the ``bench`` extra); without it the torch
columns are skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

import heartbeat.nn as nn
from heartbeat.nn import winograd

CASES = [("train", 32), ("train", 128), ("infer", 1024)]
# heartbeat only: the same 1,024 beats in other chunk sizes (default: 512 per thread)
EXTRA_CASES = [("infer_chunk64", 1024), ("infer_onepass", 1024)]


# ---------------------------------------------------------------- heartbeat.nn
def heartbeat_runner(kind: str, batch: int, backend: str = "auto", threads: int = 1):
    model = nn.build("kachuee2018", seed=0, backend=backend, threads=threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 187)).astype(np.float32)
    y = rng.integers(0, 5, batch)
    if kind == "infer":
        return lambda: model.predict_logits(x)  # evaluation mode, default chunks
    if kind == "infer_chunk64":
        return lambda: model.predict_logits(x, batch_size=64)
    if kind == "infer_onepass":
        model.eval()
        return lambda: model.forward(x)
    opt = nn.Adam(model.params(), lr=1e-3, lr_decay=0.75, decay_every=10_000)

    def step():
        model.zero_grad()
        _, dlogits = nn.softmax_cross_entropy(model.forward(x), y)
        model.backward(dlogits, input_grad=False)
        opt.step(model.grads())

    return step


# ---------------------------------------------------------------- PyTorch
def torch_model(torch):
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = tnn.Conv1d(32, 32, 5, padding="same")
            self.c2 = tnn.Conv1d(32, 32, 5, padding="same")
            self.pool = tnn.MaxPool1d(5, 2)

        def forward(self, x):
            h = self.c2(torch.relu(self.c1(x)))
            return self.pool(torch.relu(h + x))

    class Kachuee(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c0 = tnn.Conv1d(1, 32, 5, padding="same")
            self.blocks = tnn.Sequential(*[Block() for _ in range(5)])
            self.head = tnn.Sequential(tnn.Flatten(), tnn.Linear(64, 32), tnn.ReLU(),
                                       tnn.Linear(32, 32), tnn.Linear(32, 5))

        def forward(self, x):
            return self.head(self.blocks(self.c0(x)))

    return Kachuee()


def torch_runner(kind: str, batch: int):
    import torch

    torch.manual_seed(0)
    model = torch_model(torch)
    n = sum(p.numel() for p in model.parameters())
    assert n == 55_013, n
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((batch, 1, 187)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 5, batch))
    if kind == "infer":
        model.eval()

        def infer():
            with torch.inference_mode():
                model(x)

        return infer
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


# ---------------------------------------------------------------- timing
def beats_per_s(fn, batch: int, seconds: float) -> float:
    """Beats/s of `fn` over at least `seconds` (and 3 calls) after one warm-up call."""
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= seconds and n >= 3:
            return n * batch / dt


def _vm_hwm_mb() -> float:
    # VmHWM is per address space, so it starts afresh in a new interpreter (ru_maxrss
    # can carry the parent's peak across fork + exec)
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def _child_env(impl: str, threads: int) -> dict[str, str]:
    # BLAS reads its thread count when NumPy is imported: set it for the child.
    # heartbeat.nn splits each batch over `threads` threads itself (Model.set_threads),
    # each calling BLAS with one thread; PyTorch uses `threads` intra-op threads.
    blas = 1 if impl == "heartbeat" else threads
    return os.environ | {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(blas)}


def peak_rss_mb(impl: str, kind: str, batch: int, seconds: float,
                threads: int) -> float | None:
    """Peak RSS of one workload in a fresh interpreter, in MB."""
    cmd = [sys.executable, __file__, "--rss", impl, kind, str(batch), str(seconds),
           str(threads)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False,
                         env=_child_env(impl, threads))
    if res.returncode != 0:
        print(f"note: RSS run {impl} {kind} {batch} failed: {res.stderr.strip()[-300:]}")
        return None
    return round(float(res.stdout.strip().splitlines()[-1]), 1)


def _runner(impl: str, kind: str, batch: int, threads: int):
    if impl == "heartbeat":
        return heartbeat_runner(kind, batch, threads=threads)
    return torch_runner(kind, batch)


def _rss_child(impl: str, kind: str, batch: int, seconds: float, threads: int) -> None:
    if impl == "torch":
        import torch

        torch.set_num_threads(threads)
    fn = _runner(impl, kind, batch, threads)
    beats_per_s(fn, batch, seconds)
    print(_vm_hwm_mb())


def _worker(impl: str, seconds: float, threads: int, rows_per_chunk: int) -> None:
    """Serve timing requests ``kind batch`` from stdin, one line of beats/s each.

    Each implementation runs in its own process, so BLAS / OpenMP worker threads of
    one never spin beside the other's; only one process computes at a time.
    """
    if impl == "torch":
        import torch

        torch.set_num_threads(threads)
    elif rows_per_chunk:
        winograd.ROWS_PER_CHUNK = rows_per_chunk
    runners = {}
    for line in sys.stdin:
        kind, batch = line.split()
        key = (kind, int(batch))
        if key not in runners:
            runners[key] = _runner(impl, *key, threads)
        print(beats_per_s(runners[key], key[1], seconds), flush=True)


class Worker:
    """A timing subprocess for one implementation."""

    def __init__(self, impl: str, seconds: float, threads: int, rows_per_chunk: int = 0) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", impl,
                                      str(seconds), str(threads), str(rows_per_chunk)],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     env=_child_env(impl, threads))

    def measure(self, kind: str, batch: int) -> float:
        self.proc.stdin.write(f"{kind} {batch}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"timing worker died (exit code {self.proc.wait()})")
        return float(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def profile_train_step(steps: int = 20) -> None:
    """Print where a batch-128 training step spends its time (own time per function)."""
    import cProfile
    import pstats

    step = heartbeat_runner("train", 128)
    for _ in range(3):
        step()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    dt = time.perf_counter() - t0
    print(f"{steps} steps, {steps * 128 / dt:,.0f} beats/s under the profiler, "
          f"load average {_loadavg()}")
    pstats.Stats(prof).sort_stats("tottime").print_stats(12)


def _loadavg() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return None


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(line.split(":", 1)[1].strip() for line in out.splitlines()
                     if line.startswith("Model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown"
    return f"{model}, {os.cpu_count()} logical CPUs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="interleaved rounds (median)")
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    ap.add_argument("--rss", nargs=5, help=argparse.SUPPRESS)
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--rows-per-chunk", type=int, default=0,
                    help="heartbeat.nn Winograd tiles per pass (default: the library's, "
                         "heartbeat.nn.winograd.ROWS_PER_CHUNK)")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads of each implementation (default 2): heartbeat.nn "
                         "Model threads with one BLAS thread each, PyTorch intra-op threads")
    ap.add_argument("--profile", action="store_true",
                    help="only profile heartbeat's batch-128 training step (cProfile)")
    args = ap.parse_args()
    if args.profile:
        profile_train_step()
        return
    if args.worker:
        _worker(args.worker[0], float(args.worker[1]), int(args.worker[2]),
                int(args.worker[3]))
        return
    if args.rss:
        impl, kind, batch, seconds, threads = args.rss
        _rss_child(impl, kind, int(batch), float(seconds), int(threads))
        return

    try:
        import torch

        have_torch = True
        torch_version = torch.__version__
    except ImportError:
        have_torch, torch_version = False, None
        print("note: PyTorch is not installed; torch columns skipped "
              "(pip install torch==2.13.0)")

    load_before = _loadavg()
    impls = ("heartbeat", "torch") if have_torch else ("heartbeat",)
    workers = {impl: Worker(impl, args.seconds, args.threads, args.rows_per_chunk)
               for impl in impls}
    plan = [(i, k, b) for k, b in CASES for i in impls]
    plan += [("heartbeat", k, b) for k, b in EXTRA_CASES]
    speeds: dict[tuple, list[float]] = {key: [] for key in plan}
    try:
        for _ in range(args.repeats):  # interleaved: each round measures every workload
            for impl, kind, batch in plan:
                speeds[(impl, kind, batch)].append(workers[impl].measure(kind, batch))
    finally:
        for w in workers.values():
            w.close()
    med = {key: float(np.median(v)) for key, v in speeds.items()}

    result: dict = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                    "loadavg_1min_before_after": [load_before, _loadavg()],
                    "machine": machine(), "python": platform.python_version(),
                    "numpy": np.__version__, "torch_version": torch_version,
                    "backend": nn.build("kachuee2018").backend,
                    "repeats": args.repeats, "seconds": args.seconds, "threads": args.threads,
                    "rows_per_chunk": args.rows_per_chunk or winograd.ROWS_PER_CHUNK}
    for impl in impls:
        part = {}
        for kind, batch in CASES + EXTRA_CASES:
            if (impl, kind, batch) in med:
                part[f"{kind}_{batch}_beats_per_s"] = round(med[(impl, kind, batch)], 1)
        part["train_128_peak_rss_mb"] = peak_rss_mb(impl, "train", 128, args.seconds,
                                                    args.threads)
        part["infer_1024_peak_rss_mb"] = peak_rss_mb(impl, "infer", 1024, args.seconds,
                                                     args.threads)
        result[impl] = part
    if have_torch:
        for kind, batch in CASES:
            # ratio of medians, and the median of per-round ratios (same round, same load)
            per_round = [a / b for a, b in zip(speeds[("heartbeat", kind, batch)],
                                               speeds[("torch", kind, batch)], strict=True)]
            result[f"{kind}_{batch}_ratio"] = round(float(np.median(per_round)), 3)
        result["train_ratio"] = result["train_128_ratio"]
        result["infer_ratio"] = result["infer_1024_ratio"]

    print("| workload | heartbeat.nn beats/s | PyTorch beats/s | ratio (median of rounds) |")
    print("| --- | ---: | ---: | ---: |")
    for kind, batch in CASES:
        h = med[("heartbeat", kind, batch)]
        t = med.get(("torch", kind, batch))
        ratio = result.get(f"{kind}_{batch}_ratio")
        print(f"| {kind} batch {batch} | {h:,.0f} | "
              f"{'-' if t is None else f'{t:,.0f}'} | {'-' if ratio is None else ratio} |")
    for kind, batch in EXTRA_CASES:
        print(f"| {kind.replace('_', ' ')} batch {batch} (heartbeat only) | "
              f"{med[('heartbeat', kind, batch)]:,.0f} | - | - |")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
