"""The ``heartbeat`` command line: ``heartbeat demo``, ``heartbeat segment`` and more.

Run ``heartbeat --help`` or ``heartbeat COMMAND --help`` for the options.

Modules
-------
parser   the argument parser, one small function per command
ecg      commands on one ECG: demo, segment, predict, plot
score    bxb-style scoring of a detector on any annotated WFDB folder
mitbih   commands on databases: download, train, evaluate, summary
report   the report command: one self-contained HTML page of a recording
files    the files the commands read (configs, models, beats, confusion matrices)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from heartbeat.cli.parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``heartbeat`` command; return its exit status.

    A bad input or an unreadable or unwritable file is one line on stderr and exit
    status 2, never a traceback.  The first compilation of the Numba kernels (once
    per machine and install, 10-20 s of CPU) is announced on stderr in one line.
    """
    from heartbeat import _jit

    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    saved_notice = _jit.compile_notice
    _jit.compile_notice = _say
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"heartbeat {args.command}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        _jit.compile_notice = saved_notice


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
