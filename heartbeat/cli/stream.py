"""Commands for real time and embedding: ``stream`` and ``export``.

``heartbeat stream`` reads samples from standard input as they arrive and prints one
line per beat as soon as :class:`heartbeat.Stream` reports it; ``heartbeat export``
writes a model as one NumPy-only Python file plus its weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import TextIO

import numpy as np


def _columns(first: list[str], channel: str | None) -> tuple[int, bool]:
    """(column index, whether `first` is a header) for the --channel name or index."""
    def number(v: str) -> bool:
        try:
            float(v)
        except ValueError:
            return False
        return True

    header = not all(number(v) for v in first)
    if channel is None:
        return 0, header
    if header and channel in first:
        return first.index(channel), header
    if channel.lstrip("-").isdigit() and 0 <= int(channel) < len(first):
        return int(channel), header
    names = f"the header names {first}" if header else f"columns 0-{len(first) - 1}"
    raise ValueError(f"--channel {channel!r} is not a column of the input; choose one of "
                     f"{names}")


def _samples(lines: TextIO, channel: str | None) -> Iterator[float]:
    """Yield one sample per input line (CSV rows or one number a line).

    An empty cell of a CSV row is a missing sample (NaN), as ``nan`` is.
    """
    col = None
    for number, line in enumerate(lines, start=1):
        fields = [f.strip() for f in line.strip().split(",")]
        if fields == [""]:
            continue
        if col is None:
            col, header = _columns(fields, channel)
            if header:
                continue
        try:
            yield float(fields[col]) if fields[col] else float("nan")
        except (ValueError, IndexError):
            raise ValueError(f"input line {number} ({line.strip()!r}) has no number in "
                             f"column {col}; send one number a line or CSV rows") from None


def _write(beats: object, fmt: str, out: TextIO) -> None:
    """Print one line per beat and flush, so a reader of the pipe sees it at once."""
    for i in range(len(beats)):
        proba = beats.probabilities[i]
        quality = float(beats.quality[i])
        if fmt == "json":
            row = {"sample": int(beats.sample[i]), "time_s": float(beats.time_s[i]),
                   "label": str(beats.labels[i]),
                   "probabilities": {c: round(float(p), 6)
                                     for c, p in zip(beats.classes, proba, strict=True)},
                   "quality": None if np.isnan(quality) else round(quality, 4),
                   "reason": str(beats.reasons[i])}
            out.write(json.dumps(row) + "\n")
        else:
            out.write(f"{int(beats.sample[i])},{beats.time_s[i]:.4f},{beats.labels[i]},"
                      + ",".join(f"{p:.6f}" for p in proba)
                      + f",{quality:.4f},{beats.reasons[i]}\n")
    if len(beats):
        out.flush()


def cmd_stream(args: argparse.Namespace) -> int:
    """Run ``heartbeat stream``: beats from samples on standard input, as they come."""
    from heartbeat.stream import Stream

    stream = Stream(args.fs, args.model, adapt=args.adapt, missing=args.missing)
    out = sys.stdout
    if args.format == "csv":
        out.write("sample,time_s,label," + ",".join(f"p_{c}" for c in stream.classes)
                  + ",quality,reason\n")
        out.flush()
    block = max(1, round(args.block_s * args.fs))
    pending: list[float] = []
    missing = _Missing()
    for value in _samples(sys.stdin, args.channel):
        pending.append(value)
        if len(pending) >= block:
            _write(stream.push(missing.seen(np.array(pending))), args.format, out)
            pending.clear()
    if pending:
        _write(stream.push(missing.seen(np.array(pending))), args.format, out)
    _write(stream.flush(), args.format, out)
    missing.say(args.fs)
    return 0


class _Missing:
    """Counts the missing samples and gaps a stream was sent, to say so at its end."""

    def __init__(self) -> None:
        self.samples = self.gaps = 0
        self.open = False  # whether the last sample sent was missing

    def seen(self, block: np.ndarray) -> np.ndarray:
        """Count `block`'s missing samples and the gaps they begin; return `block`."""
        from heartbeat.cli.ecg import missing_counts

        gaps = np.isnan(block)
        n_samples, n_gaps = missing_counts(gaps, open_before=self.open)
        self.samples += n_samples
        self.gaps += n_gaps
        self.open = bool(gaps[-1])
        return block

    def say(self, fs: float) -> None:
        """Say on stderr how many samples were missing and read around (if any)."""
        from heartbeat.cli.ecg import tell_missing

        tell_missing("stream", self.samples, self.gaps, fs, "NaN or an empty cell")


def cmd_export(args: argparse.Namespace) -> int:
    """Run ``heartbeat export``: one NumPy-only Python file and the model's weights."""
    from heartbeat.export import export

    try:
        written = export(args.model, args.out, fixed_point=args.fixed_point)
    except FileNotFoundError as exc:  # main() reports ValueError and TypeError alike
        print(f"heartbeat export: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0
