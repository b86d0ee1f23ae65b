"""Where the R-peak detector's time goes: Numba's start-up, then each stage of one record.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/profile_detect.py
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/profile_detect.py --no-fresh-cache

(``PYTHONPATH=.`` is not needed once heartbeat is installed.)

1. **Start-up**, each in a new process pinned to one core, median of ``--runs``:
   ``import numba``; the first ``detect_r_peaks`` call of a process (Numba's CPU
   target is set up and the kernels are loaded from the per-user cache,
   :mod:`heartbeat._jit`) minus the second call on the same 10 s signal; the same
   when another package (SleepECG, NeuroKit2) has imported Numba first, as in
   ``bench_detect.py``; the same when ``scipy.linalg`` was imported before, and with
   SciPy's import blocked (Numba's set-up imports ``scipy.linalg`` when SciPy is
   installed, whether or not a kernel uses it); and, with an empty cache folder, a
   newcomer's first call (the kernels are compiled).  Beside each wall-clock time, the
   process's CPU time, which a busy machine inflates less.  Then the same start-up
   split in CPU time, in one new process per run: ``import numpy``, ``import numba``,
   ``import scipy.linalg`` (made first, to time it alone) and the first call of each
   kernel the detector touches (the first one sets up Numba's CPU target).
2. **Stages** of one detection of a whole record (``--record``, lead 0), from
   ``cProfile`` over ``--repeat`` warm calls: each kernel and each NumPy routine by
   its own time, the rest (Python glue) in one line.  ``read_record`` of the same
   record is timed beside it.

Results go to the ``## R-peak detection: where the time goes`` section of
``docs/benchmarks.md`` (other sections are kept).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb, pin_one_core

from heartbeat._atomic import atomic_open

SECTION = "## R-peak detection: where the time goes"

# one fresh process: times of import numba (or of the peers' imports), first and second
# call, and the CPU time of the first call beyond the second's
STARTUP = """
import os, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
if sys.argv[1] == "noscipy":  # as if SciPy were not installed: Numba then skips it
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] == "scipy":
                raise ImportError(name + " is blocked")
    sys.meta_path.insert(0, Block())
import numpy as np
if sys.argv[1] == "linalg":  # what Numba's set-up imports when SciPy is installed
    import scipy.linalg
t0 = time.perf_counter()
if sys.argv[1] == "peers":
    import sleepecg, neurokit2  # both import Numba
else:
    import numba
t1 = time.perf_counter()
from heartbeat.detect import detect_r_peaks
x = np.sin(np.arange(3600) / 9.0) + np.random.default_rng(0).normal(size=3600)
t2, c2 = time.perf_counter(), time.process_time(); detect_r_peaks(x, 360.0)
t3, c3 = time.perf_counter(), time.process_time()
detect_r_peaks(x, 360.0); t4, c4 = time.perf_counter(), time.process_time()
print(t1 - t0, t3 - t2, t4 - t3, (c3 - c2) - (c4 - c3))
"""


# one fresh process, in CPU seconds: each import a user's first detection makes, then
# the first call of each kernel the detector touches (the first of them sets up Numba's
# CPU target), on two short leads so that the multi-lead vote is loaded too
SPLIT = """
import os, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
T = time.process_time
c0 = T(); import numpy as np
c1 = T(); import numba
c2 = T(); import scipy.linalg
c3 = T()
from heartbeat import _jit
from heartbeat.detect import detect_r_peaks
loads, real = [], _jit.compiled
def timed(loop):  # the dispatcher made, then its first call: both counted, once
    if loop in _jit._COMPILED:
        return real(loop)
    t0 = T(); fn = real(loop)
    made = T() - t0
    def first(*args):
        t = T(); out = fn(*args); loads.append((loop.__name__, made + T() - t)); return out
    return first
_jit.compiled = timed
t = np.arange(7200) / 360.0
x = np.exp(-(((t % 0.8) - 0.4) ** 2) / 2e-4)[:, None] * np.array([1.0, -0.5])
c4 = T(); detect_r_peaks(x, 360.0); c5 = T()
print(f"numpy {c1 - c0} numba {c2 - c1} scipy.linalg {c3 - c2} call {c5 - c4}")
for name, cpu in loads:
    print(name, cpu)
"""


def startup_split(runs: int, env: dict[str, str]) -> list[tuple[str, float]] | None:
    """Median CPU seconds of each import and of each kernel's first call, over `runs`."""
    rows: dict[str, list[float]] = {}
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True,
                             env=env, cwd=REPO)
        if out.returncode != 0:
            print(out.stderr.strip().splitlines()[-1], file=sys.stderr)
            return None
        first, *kernels = out.stdout.split("\n")
        words = first.split()
        pairs = list(zip(words[::2], map(float, words[1::2]), strict=True))
        pairs += [(line.split()[0], float(line.split()[1])) for line in kernels if line]
        for name, cpu in pairs:
            rows.setdefault(name, []).append(cpu)
    return [(name, statistics.median(cpus)) for name, cpus in rows.items()]


def split_lines(split: list[tuple[str, float]]) -> list[str]:
    """The rows of the cold-start split table."""
    what = {"numpy": "`import numpy`", "numba": "`import numba`",
            "scipy.linalg": "`import scipy.linalg` (Numba's set-up makes it when SciPy "
                            "is installed; here made first, to time it alone)",
            "call": "the whole first call (2 leads of 20 s: every kernel below, and the "
                    "rest of the detector)"}
    lines, first_kernel = [], True
    for name, cpu in split:
        if name in what:
            label = what[name]
        elif first_kernel:
            label = (f"kernel `{name}`, the first one used: its dispatcher made and "
                     f"called once, which sets up Numba's CPU target (typing and lowering "
                     f"registries, its runtime) and loads it from the per-user cache")
            first_kernel = False
        else:
            label = f"kernel `{name}`: dispatcher made, loaded from the cache, called once"
        lines.append(f"| {label} | {cpu:.3f} |")
    return lines


def startup(mode: str, runs: int, env: dict[str, str]) -> tuple[float, float, float] | None:
    """Median (import s, first call minus second call s, the same in CPU s) over `runs`."""
    imports, firsts, cpus = [], [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", STARTUP, mode], capture_output=True,
                             text=True, env=env, cwd=REPO)
        if out.returncode != 0:
            print(out.stderr.strip().splitlines()[-1], file=sys.stderr)
            return None
        t_import, first, second, cpu = map(float, out.stdout.split())
        imports.append(t_import)
        firsts.append(first - second)
        cpus.append(cpu)
    return statistics.median(imports), statistics.median(firsts), statistics.median(cpus)


def stage_table(x: np.ndarray, fs: float, repeat: int) -> tuple[list[tuple[str, float]], float]:
    """(name, ms per detection) by own time, largest first, and the total ms per call."""
    from heartbeat.detect import detect_r_peaks

    detect_r_peaks(x, fs)
    profile = cProfile.Profile(time.process_time)  # CPU time: a loaded machine inflates it less
    profile.enable()
    for _ in range(repeat):
        detect_r_peaks(x, fs)
    profile.disable()
    stats = pstats.Stats(profile).stats
    rows: dict[str, float] = {}
    for (path, _, func), (_, _, own, _, _) in stats.items():
        if any(m in path for m in ("_detect_stages", "_detect_kernels", "_decide_kernels")) and (
                func.endswith("_loop") or func == "decide_beats"):
            name = f"kernel `{func}`"
        elif path == "~":  # "<method 'partition' of ...>", "<built-in method numpy.empty>"
            inner = func.split("'")[1] if "'" in func else func.strip("<>").split()[-1]
            name = f"NumPy or builtin `{inner}`"
        else:
            name = "the rest (Python: validation, glue, np.median's wrapper, ...)"
        rows[name] = rows.get(name, 0.0) + own
    # the profiler's own overhead inflates the many small calls: scale to a plain run
    start = time.process_time()
    for _ in range(repeat):
        detect_r_peaks(x, fs)
    plain = (time.process_time() - start) / repeat
    total = sum(rows.values())
    table = sorted(((k, 1e3 * v / total * plain) for k, v in rows.items()),
                   key=lambda r: -r[1])
    return table, 1e3 * plain


def replace_section(path: Path, text: str) -> None:
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text, old)
    else:  # first time: right after the section of bench_detect.py, else at the end
        after = re.search(r"^## R-peak detection\n.*?(?=^## |\Z)", old, re.S | re.M)
        at = after.end() if after else len(old)
        new = old[:at].rstrip() + "\n\n" + text + ("\n" + old[at:] if old[at:] else "")
    with atomic_open(path) as f:
        f.write(new.encode())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--record", default="100")
    parser.add_argument("--repeat", type=int, default=20, help="warm calls profiled")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per start-up")
    parser.add_argument("--no-fresh-cache", action="store_true",
                        help="skip the first call with an empty kernel cache (it compiles)")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    pinned = pin_one_core()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))

    lines = []
    numba_alone = startup("numba", args.runs, env)
    linalg = startup("linalg", args.runs, env)
    no_scipy = startup("noscipy", args.runs, env)
    peers = startup("peers", args.runs, env)
    fresh = None
    if not args.no_fresh_cache:
        with tempfile.TemporaryDirectory() as folder:
            fresh = startup("numba", 1, dict(env, HEARTBEAT_CACHE_DIR=folder))
    if numba_alone:
        lines.append(f"| `import numba` (when nothing imported it before) | "
                     f"{numba_alone[0]:.3f} | - |")
        lines.append(f"| first call's extra time: Numba's CPU target set up (it imports "
                     f"`scipy.linalg` when SciPy is installed), the kernels loaded from "
                     f"the cache | {numba_alone[1]:.3f} | {numba_alone[2]:.3f} |")
    if linalg:
        lines.append(f"| the same when `scipy.linalg` was imported before | "
                     f"{linalg[1]:.3f} | {linalg[2]:.3f} |")
    if no_scipy:
        lines.append(f"| the same without SciPy (its import blocked, as when it is not "
                     f"installed) | {no_scipy[1]:.3f} | {no_scipy[2]:.3f} |")
    if peers:
        lines.append(f"| the same after SleepECG and NeuroKit2 were imported (as in "
                     f"`bench_detect.py`) | {peers[1]:.3f} | {peers[2]:.3f} |")
    if fresh:
        lines.append(f"| first call with an empty kernel cache (a newcomer's first run: "
                     f"the kernels are compiled) | {fresh[1]:.1f} | {fresh[2]:.1f} |")

    split = startup_split(args.runs, env)

    from heartbeat import io as wfdb

    start = time.perf_counter()
    record = wfdb.read_record(args.data / args.record)
    read_s = time.perf_counter() - start
    x = np.ascontiguousarray(np.asarray(record.signal, dtype=np.float64)[:, 0])
    table, total_ms = stage_table(x, float(record.fs), args.repeat)

    cmd = ("NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/profile_detect.py"
           + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip())
    md = [SECTION, ""]
    md.append(
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on "
        f"{platform.processor() or platform.machine()} ({os.cpu_count()} logical CPUs; "
        f"{pinned}), load average {os.getloadavg()[0]:.1f} at the end, by `{cmd.strip()}`."
    )
    md.append("")
    md.append(f"Start-up, once per process (new processes, median of {args.runs}):")
    md.append("")
    md.append("| what | seconds | CPU seconds |")
    md.append("| --- | ---: | ---: |")
    md.extend(lines)
    md.append("")
    if split:
        md.append(f"The same start-up split, in a new process that imports SciPy's "
                  f"`linalg` itself before the first detection (CPU seconds, median of "
                  f"{args.runs}):")
        md.append("")
        md.append("| what | CPU seconds |")
        md.append("| --- | ---: |")
        md.extend(split_lines(split))
        md.append("")
    md.append(
        f"One detection of record {args.record}, lead 0 ({x.size:,} samples), warm, in "
        f"CPU time: {total_ms:.1f} ms ({x.size / total_ms / 1e3:.1f} Msamples/s); "
        f"reading the record (both leads) with `read_record` took {1e3 * read_s:.1f} ms "
        f"(wall). By own CPU time (cProfile over {args.repeat} calls, scaled to the "
        f"unprofiled time):"
    )
    md.append("")
    md.append("| stage | ms per detection | share |")
    md.append("| --- | ---: | ---: |")
    for name, ms in table:
        if ms >= 0.05:
            md.append(f"| {name} | {ms:.2f} | {100 * ms / total_ms:.0f} % |")
    md.append("")
    text = "\n".join(md) + "\n"
    print(text)
    if not args.no_write:
        replace_section(args.docs, text)
        print(f"wrote the '{SECTION}' section of {args.docs}")


if __name__ == "__main__":
    main()
