"""The Q step of ``adapt="template"`` on the 48 MIT-BIH records, with and without it.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/q_step.py

Each lead of each record is classified as ``heartbeat.classify`` runs it with the
default model (detection, quality, reject option, template adaptation), once with the
shipped :class:`~heartbeat.classifier.template.TemplateRule` and once with ``q_step``
flipped; the detected beats are matched one to one to the annotated beats within 150 ms
(:func:`heartbeat.metrics.match_peaks`) and the labels compared with the annotations'
AAMI classes.  Printed per lead and rule: the share of annotated Q beats labelled Q, of
annotated N beats labelled S, V or F, and of each paced record's Q beats labelled Q
(the rule of docs/results.md, "A beat of the normal beats' shape is not
unclassifiable").  Results in ``benchmarks/results/q_step.json``.

    PYTHONPATH=. python benchmarks/q_step.py --record DIR/s0010_re --leads i avl

labels the named leads of any WFDB record with both rules and prints the label counts
(no annotations read).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb

import heartbeat
from heartbeat._atomic import atomic_open
from heartbeat.aami import class_codes
from heartbeat.classifier import results, template
from heartbeat.metrics import match_peaks

PACED = ("102", "104", "107", "217")
ABNORMAL = ("S", "V", "F")


@contextmanager
def template_rule(rule: template.TemplateRule):
    """``classify(adapt="template")`` with `rule` for the while."""
    original = results.adapt_template

    def adapt(*args, **kwargs):
        return original(*args, **{**kwargs, "rule": rule})

    results.adapt_template = adapt
    try:
        yield
    finally:
        results.adapt_template = original


def lead_counts(x: np.ndarray, fs: float, beats: np.ndarray, codes: np.ndarray) -> dict:
    """Counts of one lead: annotated Q (and labelled Q), annotated N (and labelled S/V/F)."""
    out = heartbeat.classify(x, fs)
    det, ref = match_peaks(out.beats.r_peaks, beats, 0.15 * fs)
    labels, truth = np.asarray(out.labels)[det], codes[ref]
    q, n = truth == 4, truth == 0
    return {"q": int(q.sum()), "q_as_q": int((labels[q] == "Q").sum()),
            "n": int(n.sum()), "n_as_abnormal": int(np.isin(labels[n], ABNORMAL).sum()),
            "labelled_q": int((np.asarray(out.labels) == "Q").sum())}


def label_counts(path: Path, leads: list[str]) -> None:
    """Print the labels of each named lead of a WFDB record under both rules."""
    record = heartbeat.read_record(path)
    on = dataclasses.replace(template.DEFAULT_RULE, q_step=True)
    off = dataclasses.replace(template.DEFAULT_RULE, q_step=False)
    for lead in leads:
        x = np.asarray(record.signal[:, record.sig_names.index(lead)], dtype=np.float64)
        for rule in (off, on):
            with template_rule(rule):
                labels, n = np.unique(heartbeat.classify(x, record.fs).labels,
                                      return_counts=True)
            print(f"{path.name} {lead} q_step={rule.q_step}:",
                  dict(zip(labels.tolist(), n.tolist(), strict=True)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="+", help="a subset of records")
    parser.add_argument("--out", type=Path,
                        default=REPO / "benchmarks" / "results" / "q_step.json")
    parser.add_argument("--record", type=Path, help="a WFDB record to label instead")
    parser.add_argument("--leads", nargs="+", help="with --record: its leads, by name")
    args = parser.parse_args(argv)
    if args.record is not None:
        return label_counts(args.record, args.leads or [])
    names = args.records or (args.data / "RECORDS").read_text().split()
    shipped = template.DEFAULT_RULE
    rules = {"shipped": shipped,
             "flipped": dataclasses.replace(shipped, q_step=not shipped.q_step)}
    rows: dict = {}
    for name in names:
        record = heartbeat.read_record(args.data / name)
        ann = heartbeat.read_annotations(args.data / name, "atr")
        codes = class_codes(ann.symbol)
        beats = np.asarray(ann.sample)[codes >= 0]
        for lead in (0, 1):
            x = np.ascontiguousarray(record.signal[:, lead], dtype=np.float64)
            for key, rule in rules.items():
                with template_rule(rule):
                    rows[f"{name}/{lead}/{key}"] = lead_counts(x, record.fs, beats,
                                                               codes[codes >= 0])
        print(name, flush=True)
    summary = {}
    for lead in (0, 1):
        for key in rules:
            part = [v for k, v in rows.items() if k.endswith(f"/{lead}/{key}")]
            t = {f: sum(p[f] for p in part) for f in part[0]}
            paced = {r: rows[f"{r}/{lead}/{key}"] for r in PACED if f"{r}/{lead}/{key}" in rows}
            summary[f"lead{lead} {key}"] = t
            print(f"lead {lead}, {key} (q_step={rules[key].q_step}): Q labelled Q "
                  f"{100 * t['q_as_q'] / max(1, t['q']):.2f} % of {t['q']}, N labelled S/V/F "
                  f"{100 * t['n_as_abnormal'] / max(1, t['n']):.3f} % of {t['n']}, beats "
                  f"labelled Q {t['labelled_q']}; paced records Q labelled Q: " + ", ".join(
                      f"{r} {100 * p['q_as_q'] / max(1, p['q']):.2f} %" for r, p in paced.items()))
    with atomic_open(args.out) as fh:
        fh.write(json.dumps({"shipped_q_step": shipped.q_step, "summary": summary,
                             "rows": rows}, indent=1).encode())


if __name__ == "__main__":
    main()
