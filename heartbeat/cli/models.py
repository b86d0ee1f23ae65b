"""Commands on model files: ``join`` (several fitted classifiers as one ensemble file)."""

from __future__ import annotations

import argparse


def cmd_join(args: argparse.Namespace) -> int:
    """Run ``heartbeat join``: the members' files as one ensemble model file."""
    from heartbeat.classifier import PRETRAINED, BeatClassifier, join

    members = [BeatClassifier.pretrained(m) if m in PRETRAINED else m for m in args.members]
    command = " ".join(["heartbeat", "join", *args.members, "--out", args.out])
    ensemble = join(members, info={"command": command})
    print(ensemble.save(args.out))
    return 0
