"""Write reference.json: digests of rdsamp/rdann output for the real-data corpus.

Run by hand where PhysioNet's WFDB Software Package (rdsamp, rdann; 10.7.0 was
used) is installed; CI only reads the JSON.  Each entry records the exact command,
run from the data folder named by "dir" (relative to $HEARTBEAT_DATA):

    python tests/data/wfdb/make_reference.py /path/to/data /path/to/wfdb/bin

Signal digests are per channel over rdsamp's integer columns (rdsamp prints an
invalid sample as -32768, WFDB_INVALID_SAMPLE; a "-" would become -2**63): the
sha256 of the int64 little-endian bytes, the count, sum, sum of squares and the
first and last 3 values.  Physical values: the sum of
``rdsamp -P`` columns (invalid excluded).  Annotation digests: count and sha256 of
the sample, symbol, subtype, chan, num and aux columns of ``rdann``.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

INVALID = -(2**63)

SAMPLES = "wfdb-samples"
RECORD_CMDS = [
    *[(SAMPLES, f"rdsamp -r {r}") for r in [
        "03700181", "100-no-len", "100_3chan", "100skew", "310derive", "310derive_2",
        "310derive_3", "311derive", "311derive_2", "311derive_3", "311derive_4",
        "binformats", "p10143", "s0010_re", "test01_00s", "test01_00s_frame",
        "test01_00s_skew", "test01_00s_skewframe", "v102s",
    ]],
    (SAMPLES, "rdsamp -r 03700181 -H"),
    (SAMPLES, "rdsamp -r test01_00s_frame -H"),
    (SAMPLES, "rdsamp -r test01_00s_skewframe -H"),
    (SAMPLES, "rdsamp -r 03700181 -f s1001 -t s2002"),
    ("mitdb", "rdsamp -r 100 -f s1001 -t s5000"),
    (SAMPLES, "rdsamp -r 100skew -f s7 -t s4001"),
    (SAMPLES, "rdsamp -r binformats -f s11 -t s400 -s 1 2 3 4 5 6 7 8 9"),
    (SAMPLES, "rdsamp -r 311derive_3 -f s1 -t s1019"),
    *[("mitdb", f"rdsamp -r {r}") for r in (
        "100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119 "
        "121 122 123 124 200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 "
        "220 221 222 223 228 230 231 232 233 234").split()],
]
PHYSICAL = {"rdsamp -r 03700181", "rdsamp -r binformats", "rdsamp -r v102s",
            "rdsamp -r s0010_re", "rdsamp -r 100", "rdsamp -r 208", "rdsamp -r 310derive",
            "rdsamp -r p10143", "rdsamp -r 03700181 -H"}
ANN_CMDS = [
    (SAMPLES, "rdann -r 100 -a qrs"),
    (SAMPLES, "rdann -r 03700181 -a sqrs"),
    (SAMPLES, "rdann -r 03700181 -a gqrsh"),
    (SAMPLES, "rdann -r 03700181 -a gqrsl"),
    (SAMPLES, "rdann -r 12726 -a wqrs"),
    (SAMPLES, "rdann -r 12726 -a wabp"),
    (SAMPLES, "rdann -r 12726 -a anI"),
    *[("mitdb", f"rdann -r {r} -a atr") for r in (
        "100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119 "
        "121 122 123 124 200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 "
        "220 221 222 223 228 230 231 232 233 234").split()],
]
RX_ANN = re.compile(
    r"^\s*(\[[^\]]*\]|\S+)\s+(-?\d+)\s+(\S+)\s+(-?\d+)\s+(\d+)\s+(-?\d+)(?:\t(.*))?$"
)


def sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, "<i8").tobytes()).hexdigest()


def sha_text(items: list[str]) -> str:
    return hashlib.sha256("\n".join(items).encode("latin-1")).hexdigest()


def run(bindir: Path, folder: Path, cmd: str) -> str:
    argv = cmd.split()
    argv[0] = str(bindir / argv[0])
    env = {"WFDB": ".", "PATH": "/usr/bin:/bin"}
    return subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True,
                          encoding="latin-1", check=True).stdout


def columns(text: str) -> list[list[str]]:
    rows = [line.split() for line in text.splitlines() if line.strip()]
    return [list(col) for col in zip(*rows, strict=True)][1:]  # drop the sample number


def digest(col: list[str]) -> dict:
    a = np.array([INVALID if v == "-" else int(v) for v in col], np.int64)
    ok = a[a != INVALID]
    return {"n": len(a), "n_invalid": int((a == INVALID).sum()), "sha256": sha(a),
            "sum": int(ok.sum()), "sum_sq": int((ok.astype(object) ** 2).sum()),
            "head": a[:3].tolist(), "tail": a[-3:].tolist()}


def main(data: Path, bindir: Path) -> None:
    out: dict = {"software": "WFDB Software Package 10.7.0 (rdsamp, rdann)",
                 "invalid_as": INVALID, "records": [], "annotations": []}
    for sub, cmd in RECORD_CMDS:
        text = run(bindir, data / sub, cmd)
        entry = {"dir": sub, "command": cmd, "channels": [digest(c) for c in columns(text)]}
        if cmd in PHYSICAL:
            ptext = run(bindir, data / sub, cmd + " -P")
            entry["physical_command"] = cmd + " -P"
            entry["physical_sums"] = [
                float(sum(float(v) for v in c if v != "-")) for c in columns(ptext)
            ]
        out["records"].append(entry)
    for sub, cmd in ANN_CMDS:
        rows = [RX_ANN.match(line) for line in run(bindir, data / sub, cmd).splitlines()]
        if not all(rows):
            raise SystemExit(f"cannot parse rdann output of {cmd}")
        samples = np.array([int(m[2]) for m in rows], np.int64)
        out["annotations"].append({
            "dir": sub, "command": cmd, "n": len(rows),
            "sample_sha256": sha(samples),
            "symbol_sha256": sha_text([m[3] for m in rows]),
            "subtype_sha256": sha(np.array([int(m[4]) for m in rows], np.int64)),
            "chan_sha256": sha(np.array([int(m[5]) for m in rows], np.int64)),
            "num_sha256": sha(np.array([int(m[6]) for m in rows], np.int64)),
            "aux_sha256": sha_text([m[7] or "" for m in rows]),
            "head": [[int(m[2]), m[3]] for m in rows[:3]],
        })
    target = Path(__file__).with_name("reference.json")
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(dump(out))
    tmp.replace(target)


def dump(out: dict) -> str:
    """JSON with one record or annotation entry per line."""
    head = {k: v for k, v in out.items() if k not in ("records", "annotations")}
    parts = [json.dumps(head)[:-1]]
    for key in ("records", "annotations"):
        rows = ",\n  ".join(json.dumps(e) for e in out[key])
        parts.append(f', "{key}": [\n  {rows}\n ]')
    return "".join(parts) + "}\n"


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
