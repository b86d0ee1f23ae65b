"""Do RR-interval inputs help across patients?  DS1 -> DS2 with and without them.

    PYTHONPATH=. python benchmarks/bench_classifier_rr.py [--epochs 2] [--data-dir DIR]

Trains two ``BeatClassifier("kachuee2018")`` models on all DS1 beats with the same
seed, sampler (balanced), batch size and number of epochs (no early stopping), one
with ``use_rr=True`` and one with ``use_rr=False``, and scores both on every DS2
beat.  Writes the two AAMI tables to ``benchmarks/results/classifier_rr.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from heartbeat.classifier import BeatClassifier  # noqa: E402
from heartbeat.datasets import DS1, DS2, mitbih_beats  # noqa: E402
from heartbeat.metrics import classification_report  # noqa: E402


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(
        "HEARTBEAT_DATA_MITDB", str(REPO.parent / "shared" / "data" / "mitdb")))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--cache-dir", default=str(REPO / "scratch" / "cache"))
    args = parser.parse_args()
    Path(args.cache_dir).mkdir(parents=True, exist_ok=True)
    train = mitbih_beats(args.data_dir, DS1, cache_dir=args.cache_dir, quiet=True)
    test = mitbih_beats(args.data_dir, DS2, cache_dir=args.cache_dir, quiet=True)
    lines = [f"$ python benchmarks/bench_classifier_rr.py --epochs {args.epochs}", "",
             f"DS1 {len(train)} beats -> DS2 {len(test)} beats; kachuee2018, balanced "
             f"batches of 64, Adam 1e-3, seed 0, {args.epochs} epochs, no early stopping.",
             ""]
    for use_rr in (True, False):
        start = time.perf_counter()
        clf = BeatClassifier(use_rr=use_rr, epochs=args.epochs, early_stopping=None,
                             validation_fraction=0.0, quiet=False)
        clf.fit(train)
        report = classification_report(test.y, clf.predict(test))
        elapsed = time.perf_counter() - start
        text = str(report)
        lines += [f"### use_rr={use_rr} ({elapsed:.0f} s)", "", report.to_markdown(), "",
                  "```", text[text.index("confusion"):], "```", ""]
        print("\n".join(lines[-8:]), flush=True)
    out = REPO / "benchmarks" / "results" / "classifier_rr.md"
    out.write_text("\n".join(lines))
    print(f"written {out}")


if __name__ == "__main__":
    run()
