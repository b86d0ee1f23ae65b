"""Time heartbeat.classify with the default model on MIT-BIH records, with and without adaptation.

    PYTHONPATH=. python benchmarks/bench_classify.py
    PYTHONPATH=. python benchmarks/bench_classify.py --records 100 208 --adapt none template
    PYTHONPATH=. python benchmarks/bench_classify.py --members 3   # an ensemble's cost

Data: ``$HEARTBEAT_DATA/mitdb`` or ``../shared/data/mitdb`` beside the repository.
Each record's channel 0 is read once, then ``classify(signal, fs, adapt=...)`` runs once
per adaptation (a cold single pass over the record, as users run it; the model is
loaded and the kernels compiled on a 10 s excerpt first).  The adaptation's own cost
is timed apart on the probabilities it re-weights.  One core: the process is pinned
and BLAS / OpenMP / Numba use one thread.  Prints beats/s per adaptation and the 1-min
load average before and after, and writes ``benchmarks/results/bench_classify.csv``.

``--members N`` joins N copies of the model (:func:`heartbeat.classifier.join`): an
ensemble of N seeds costs the same, since the work does not depend on the weights.
Beside the wall-clock time each row records the process's CPU time, which a busy
machine inflates less (it still shares caches and the core's other hardware thread).
``--steps`` then prints where one ``classify`` spends its CPU time, step by step
(detection, signal quality with its own detection and with the detector's peaks
handed in as ``segment`` does, segmentation with both included, record context and RR
features, network, calibration, adaptation), each step run alone on the same records,
and then the network's own split (Winograd transforms, their BLAS products, the first
convolution, max-pooling, inside a block's last output transform where it is fused),
its kernels wrapped in CPU timers for one more pass.
``--by-name`` adds the row ``classify(x, fs)`` with no model argument, as a user calls
it: the shipped default model is then looked up on every call (read from disk once per
process, :meth:`heartbeat.BeatClassifier.pretrained`).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from _common import REPO, default_mitdb, pin_one_core

sys.path.insert(0, str(REPO))

import numpy as np

import heartbeat
from heartbeat.classifier.adapt import adapt_prior, training_prior
from heartbeat.io import read_record

RECORDS = ("100", "103", "105", "119", "201", "208", "213", "222", "231", "233")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(default_mitdb()))
    parser.add_argument("--records", nargs="+", default=list(RECORDS))
    parser.add_argument("--adapt", nargs="+", default=["none", "template", "prior"])
    parser.add_argument("--model", default=None,
                        help="pretrained name or .npz file (default: the default model)")
    parser.add_argument("--members", type=int, default=1,
                        help="join this many copies of the model into one ensemble")
    parser.add_argument("--steps", action="store_true",
                        help="also print the CPU time of each step of classify")
    parser.add_argument("--by-name", action="store_true",
                        help="also time classify(x, fs) with no model argument (the "
                             "default model looked up on every call)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"
                                             / "bench_classify.csv"))
    args = parser.parse_args()
    print(pin_one_core(), f"load {os.getloadavg()[0]:.2f}", platform.processor() or "")
    clf = _model(args.model, args.members)
    prior = training_prior(clf.info, len(clf.classes_))
    signals = {}
    for name in args.records:
        rec = read_record(os.path.join(args.data_dir, name))
        signals[name] = (rec.signal[:, 0], rec.fs)
    first, fs = next(iter(signals.values()))
    heartbeat.classify(first[: int(10 * fs)], fs, model=clf)
    rows = []
    settings = [*args.adapt, *(["by-name"] if args.by_name else [])]
    for name, (signal, fs) in signals.items():
        for adapt in settings:
            start, cpu = time.perf_counter(), time.process_time()
            if adapt == "by-name":  # the default model, named by nothing
                result = heartbeat.classify(signal, fs)
            else:
                result = heartbeat.classify(signal, fs, model=clf, adapt=adapt)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            adapt_s = _adaptation_seconds(adapt, result, prior)
            rows.append({"record": name, "adapt": adapt, "members": args.members,
                         "beats": len(result), "seconds": round(elapsed, 4),
                         "cpu_seconds": round(cpu, 4), "adapt_seconds": round(adapt_s, 5),
                         "beats_per_s": round(len(result) / elapsed, 1)})
    for adapt in settings:
        mine = [r for r in rows if r["adapt"] == adapt]
        beats = sum(r["beats"] for r in mine)
        seconds = sum(r["seconds"] for r in mine)
        extra = sum(r["adapt_seconds"] for r in mine)
        cpu = sum(r["cpu_seconds"] for r in mine)
        print(f"adapt={adapt}, members={args.members}: {beats} beats in {seconds:.2f} s = "
              f"{beats / seconds:,.0f} beats/s (CPU time {cpu:.2f} s = {beats / cpu:,.0f} "
              f"beats per CPU-second; adaptation itself {1e3 * extra:.1f} ms)")
    if args.steps:
        _print_steps(clf, signals)
    print(f"load {os.getloadavg()[0]:.2f}")
    with open(args.out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{args.out} written")


def _adaptation_seconds(adapt: str, result: heartbeat.ClassifiedBeats, prior: object
                        ) -> float:
    """CPU seconds of the adaptation step alone, on the beats `result` holds."""
    from heartbeat.classifier.template import adapt_template
    from heartbeat.context import _rr_features

    beats, start = result.beats, time.process_time()
    if adapt == "prior":
        adapt_prior(result.probabilities, prior)
    elif adapt == "template":  # the RR features it needs are part of its cost
        adapt_template(result.probabilities, beats.waveforms,
                       _rr_features(beats.r_peaks, beats.fs), classes=result.classes,
                       fs_out=beats.fs_out)
    return time.process_time() - start


def _print_steps(clf: heartbeat.BeatClassifier, signals: dict) -> None:
    """Print the CPU time of each step of ``classify`` (the default, ``adapt="template"``).

    Summed over the records; the adaptation row includes the RR features it needs.
    """
    from heartbeat.classifier.inputs import _beat_inputs
    from heartbeat.detect import detect_r_peaks
    from heartbeat.pipeline import segment
    from heartbeat.signal_quality import CONTEXT_S, SEGMENT_S, _quality, quality

    steps: dict[str, float] = {}

    def timed(step: str, fn, *args, **kwargs):
        start = time.process_time()
        out = fn(*args, **kwargs)
        steps[step] = steps.get(step, 0.0) + time.process_time() - start
        return out

    n_beats = 0
    inputs = []
    for signal, fs in signals.values():
        timed("classify (all steps)", heartbeat.classify, signal, fs, model=clf)
        peaks = timed("R-peak detection", detect_r_peaks, signal, fs)
        timed("signal quality", quality, signal, fs)
        # as segment() runs it: the detector's peaks handed in, so no second detection
        seg, ctx = round(SEGMENT_S * fs), round(CONTEXT_S * fs)
        timed("signal quality, peaks given", _quality,
              np.ascontiguousarray(signal, dtype=np.float64), fs, seg, ctx, peaks)
        beats = timed("segment (both included)", segment, signal, fs)
        x, rr = timed("record context and RR features", _beat_inputs, beats,
                      clf._uses_rr, context=clf._context, checked=True)
        inputs.append((x, rr))
        logits = timed("network", clf.model_.predict_logits, x, rr)
        proba = timed("calibration", clf.calibration_.probabilities,
                      logits.astype(np.float64))
        timed("adaptation", _adapt_template, proba, beats, tuple(clf.classes_))
        n_beats += len(beats)
    total = steps["classify (all steps)"]
    print(f"CPU time per step, {n_beats} beats ({n_beats / total:,.0f} beats per "
          "CPU-second for classify):")
    for step, seconds in steps.items():
        print(f"  {step:32s} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")
    _print_network_split(clf, inputs)


def _adapt_template(proba: np.ndarray, beats: object, classes: tuple[str, ...]) -> None:
    """The default adaptation of one recording, with the RR features it needs."""
    from heartbeat.classifier.template import adapt_template
    from heartbeat.context import _rr_features

    adapt_template(proba, beats.waveforms, _rr_features(beats.r_peaks, beats.fs),
                   classes=classes, fs_out=beats.fs_out)


class _Timed:
    """Stands in for a kernel (``.get``) or a function, adding its CPU time to `parts`."""

    def __init__(self, parts: dict[str, float], part: str, inner) -> None:
        self.parts, self.part, self.inner = parts, part, inner

    def _run(self, fn, *args, **kwargs):
        start = time.process_time()
        out = fn(*args, **kwargs)
        self.parts[self.part] = self.parts.get(self.part, 0.0) + time.process_time() - start
        return out

    def get(self, backend: str):
        fn = self.inner.get(backend)
        return lambda *args: self._run(fn, *args)

    def __call__(self, *args, **kwargs):
        return self._run(self.inner, *args, **kwargs)


def _print_network_split(clf: heartbeat.BeatClassifier, inputs: list) -> None:
    """Print where the network's CPU time goes, its kernels timed in place."""
    from heartbeat.nn import kernels, winograd

    parts: dict[str, float] = {}
    swaps = [(winograd, "conv1d_forward", "Winograd convolutions (all)"),
             (winograd, "INPUT_TRANSFORM", "  input transforms"),
             (winograd, "OUTPUT_TRANSFORM", "  output transforms (+ bias, ReLU, skip)"),
             (winograd, "OUTPUT_POOL", "  output transforms + ReLU, max-pool (fused)"),
             (kernels, "conv1d_forward", "first convolution (direct sums)"),
             (kernels, "maxpool1d_forward", "max-pooling (+ ReLU)")]
    saved = [(module, name, getattr(module, name)) for module, name, _ in swaps]
    for module, name, part in swaps:
        setattr(module, name, _Timed(parts, part, getattr(module, name)))
    try:
        start = time.process_time()
        for x, rr in inputs:
            clf.model_.predict_logits(x, rr)
        total = time.process_time() - start
    finally:
        for module, name, inner in saved:
            setattr(module, name, inner)
    wino = parts["Winograd convolutions (all)"]
    parts["  the 8 products per pass (BLAS) and glue"] = wino - sum(
        parts.get(part, 0.0) for _, name, part in swaps[1:4])
    parts["the rest (head, Python)"] = total - wino - sum(
        parts.get(k, 0.0) for k in ("first convolution (direct sums)", "max-pooling (+ ReLU)"))
    print(f"CPU time of the network alone, kernels timed in place ({total:.2f} s):")
    order = [part for _, _, part in swaps]
    order.insert(4, "  the 8 products per pass (BLAS) and glue")
    for part in [*order, "the rest (head, Python)"]:
        print(f"  {part:44s} {parts.get(part, 0.0):6.2f} s  "
              f"{100 * parts.get(part, 0.0) / total:5.1f} %")


def _model(name: str | None, members: int) -> heartbeat.BeatClassifier:
    """The model to time: `name` (default model if None), or `members` copies joined."""
    from heartbeat.classifier import PRETRAINED

    if name is None or name in PRETRAINED:
        clf = heartbeat.BeatClassifier.pretrained(name)
    else:
        clf = heartbeat.BeatClassifier.load(name)
    if members == 1:
        return clf
    from heartbeat.classifier import join

    return join([clf] * members)


if __name__ == "__main__":
    run()
