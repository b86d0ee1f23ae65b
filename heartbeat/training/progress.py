"""The progress line on stderr: redrawn in place on a terminal, one line per epoch else."""

from __future__ import annotations

import math
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    s = round(seconds)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _Progress:
    """One status line on a stream: redrawn in place on a TTY, one line per epoch else."""

    def __init__(self, stream: TextIO | None, epochs: int, n_batches: int) -> None:
        self.stream = stream
        self.epochs, self.n_batches = epochs, n_batches
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(stream is not None and callable(isatty) and isatty())
        self.last = 0.0
        self.width = 0

    def _write(self, text: str, end: str) -> None:
        assert self.stream is not None
        if self.tty:
            pad = max(0, self.width - len(text))
            self.stream.write("\r" + text + " " * pad + end)
            self.width = 0 if end else len(text)
        else:
            self.stream.write(text + end)
        self.stream.flush()

    def batch(self, epoch: int, batch: int, loss: float, acc: float, rate: float,
              eta_s: float) -> None:
        if self.stream is None or not self.tty:
            return
        now = time.perf_counter()
        if now - self.last < 0.2 and batch < self.n_batches:
            return
        self.last = now
        self._write(f"epoch {epoch}/{self.epochs}  batch {batch}/{self.n_batches}  "
                    f"loss {loss:.4f}  acc {100 * acc:.1f}%  {rate:,.0f} beats/s  "
                    f"ETA {_clock(eta_s)}", "")

    def epoch(self, epoch: int, loss: float, acc: float, f1: float, rate: float,
              val: tuple[float, float, float] | None, epoch_s: float, eta_s: float,
              note: str) -> None:
        if self.stream is None:
            return
        text = (f"epoch {epoch}/{self.epochs}  batch {self.n_batches}/{self.n_batches}  "
                f"loss {loss:.4f}  acc {100 * acc:.1f}%  f1 {f1:.3f}")
        if val is not None:
            text += f"  val_loss {val[0]:.4f}  val_acc {100 * val[1]:.2f}%  val_f1 {val[2]:.4f}"
        text += f"  {rate:,.0f} beats/s  {epoch_s:.1f} s  ETA {_clock(eta_s)}{note}"
        self._write(text, "\n")
