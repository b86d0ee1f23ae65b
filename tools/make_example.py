"""Cut the shipped example records out of MIT-BIH (run by hand; output is committed).

    python tools/make_example.py ../shared/data/mitdb heartbeat/data --seconds 120 100 208

For each record it copies the first ``seconds`` of the format-212 signal file byte for
byte (two 12-bit samples per 3 bytes, so any whole number of frames is a valid 212
file), writes a header whose sample count, initial values and checksums describe the
excerpt, and truncates the reference annotation file (``.atr``) after the last
annotation inside the excerpt, ending it with the MIT-format end word. Nothing is
re-encoded, so the excerpt holds PhysioNet's original values.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

SKIP, NUM, SUB, CHN, AUX = 59, 60, 61, 62, 63


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def decode_212_two_channels(raw: bytes) -> np.ndarray:
    """Decode a two-signal format-212 byte string into an (n, 2) int array."""
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
    s0 = b[:, 0] | ((b[:, 1] & 0x0F) << 8)
    s1 = b[:, 2] | ((b[:, 1] & 0xF0) << 4)
    out = np.stack([s0, s1], axis=1)
    return np.where(out >= 2048, out - 4096, out)


def truncate_annotations(raw: bytes, n_samples: int) -> bytes:
    """Keep the annotations whose time is < n_samples, then the end word."""
    words = np.frombuffer(raw, dtype="<u2")
    time = 0
    i = 0
    group_start = 0  # where the current annotation's bytes begin (a SKIP comes first)
    while i < len(words):
        code, value = int(words[i]) >> 10, int(words[i]) & 0x3FF
        if code == 0 and value == 0:
            break
        if code == SKIP:
            # the 32-bit interval follows, high 16 bits first
            time += (int(words[i + 1]) << 16 | int(words[i + 2])) - (
                1 << 32 if words[i + 1] >= 0x8000 else 0
            )
            i += 3
            continue
        if code in (NUM, SUB, CHN):
            i += 1
            continue
        if code == AUX:
            i += 1 + (value + 1) // 2
            continue
        time += value
        if time >= n_samples:
            break
        i += 1
        group_start = i  # modifiers that follow belong to this annotation
        while i < len(words) and int(words[i]) >> 10 in (NUM, SUB, CHN, AUX):
            code, value = int(words[i]) >> 10, int(words[i]) & 0x3FF
            i += 1 + ((value + 1) // 2 if code == AUX else 0)
        group_start = i
    return raw[: 2 * group_start] + b"\x00\x00"


def make_excerpt(src: Path, dest: Path, record: str, seconds: float) -> None:
    """Write ``dest/record.{hea,dat,atr}`` holding the first ``seconds`` of ``src/record``."""
    lines = (src / f"{record}.hea").read_text().splitlines()
    name, n_sig, fs, _ = lines[0].split()[:4]
    if n_sig != "2" or any(line.split()[1] != "212" for line in lines[1:3]):
        raise ValueError(f"{record}: only two-signal format-212 records are supported")
    n = round(seconds * float(fs))
    raw = (src / f"{record}.dat").read_bytes()[: 3 * n]
    digital = decode_212_two_channels(raw)
    header = [f"{name} 2 {fs} {n}"]
    for ch, line in enumerate(lines[1:3]):
        f = line.split()
        checksum = int(digital[:, ch].sum()) % 65536
        checksum = checksum - 65536 if checksum >= 32768 else checksum
        f[5], f[6] = str(int(digital[0, ch])), str(checksum)
        header.append(" ".join(f))
    header += [line for line in lines[3:] if line.startswith("#")]
    header.append(
        f"# Excerpt: the first {seconds:g} s of MIT-BIH Arrhythmia Database record {record}"
        " (PhysioNet, ODC-By 1.0); samples and annotations unchanged."
    )
    dest.mkdir(parents=True, exist_ok=True)
    _write_atomic(dest / f"{record}.hea", ("\n".join(header) + "\n").encode())
    _write_atomic(dest / f"{record}.dat", raw)
    atr = truncate_annotations((src / f"{record}.atr").read_bytes(), n)
    _write_atomic(dest / f"{record}.atr", atr)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="folder holding the MIT-BIH records")
    parser.add_argument("dest", type=Path, help="folder to write the excerpts into")
    parser.add_argument("records", nargs="+", help="record names, e.g. 100 208")
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    for record in args.records:
        make_excerpt(args.src, args.dest, record, args.seconds)


if __name__ == "__main__":
    main()
