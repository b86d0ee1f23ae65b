"""Score the paper's peak rule and the robust detector on one MIT-BIH record.

    python benchmarks/paper_rule_record.py 100

Reference: every beat annotation of the record (N L R e j A a J S V E F f Q /), first
channel, one-to-one matching within 150 ms. Data from $HEARTBEAT_DATA/mitdb or
../shared/data/mitdb beside the repository.
"""

from __future__ import annotations

import argparse

from _common import default_mitdb

import heartbeat
from heartbeat.aami import is_beat
from heartbeat.metrics import detection_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("record", nargs="?", default="100")
    args = parser.parse_args()
    path = default_mitdb() / args.record
    rec = heartbeat.read_record(path)
    ann = heartbeat.read_annotations(path)
    reference = ann.sample[is_beat(ann.symbol)]
    print(f"record {args.record}: {len(reference)} annotated beats")
    for detector in ("kachuee2018", "robust"):
        beats = heartbeat.segment(rec.signal[:, 0], rec.fs, detector=detector)
        s = detection_scores(reference, beats.r_peaks, rec.fs, tolerance_s=0.15)
        print(
            f"{detector:>11}: {len(beats)} beats, TP {s.tp}, FN {s.fn}, FP {s.fp}, "
            f"Se {100 * s.se:.2f} %, +P {100 * s.ppv:.2f} %"
        )


if __name__ == "__main__":
    main()
