"""Which beats the V/F step of adapt="template" takes to N, rightly and wrongly.

    HEARTBEAT_CACHE=DIR PYTHONPATH=. python benchmarks/vf_step_rescues.py \\
        --logits-dir SCRATCH/cv_logits [--recipe ch0+ch1] [--prefix detcut_es_]

A look, not a change.  From the kept held-out logits of the fold runs, each fold's
3-seed ensemble under today's ``TemplateRule()``: the V beats the network calls V that
the rule takes to N (wrongly), and the N beats the network calls V or F that it takes to
N (rightly), with the 10th, 25th, 50th, 75th and 90th percentiles of their correlation
with the template, their amplitude ratio and their previous RR over the local mean RR;
per lead, at the annotated and at the detected cut.  The look behind the early check
(docs/results.md, "An early beat held to a closer match").  Nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fold_logits
import _s_fallback_folds as ff

from heartbeat.classifier.template import DEFAULT_RULE

N, V, F = 0, 2, 3


def measures(run, rule) -> dict[str, np.ndarray]:
    """Each beat's correlation, amplitude ratio and previous RR over the local mean."""
    out = {k: np.zeros(len(run.y)) for k in ("correlation", "amplitude", "rr")}
    for rows, feats in ff.features(run, rule):
        out["correlation"][rows] = feats.correlation
        out["amplitude"][rows] = feats.amplitude_ratio
        out["rr"][rows] = feats.rr_ratio
    return out


def main() -> None:
    args, cache = _fold_logits.look_options(__doc__.splitlines()[0])
    for cut in ("annotations", "detector"):
        scored, _, folds = _fold_logits.scored_at(args, cache, cut)
        for lead in (0, 1):
            groups: dict[str, list] = {"V taken to N": [], "N taken to N": []}
            for fold in folds:
                run = scored[args.recipe, "ensemble", fold, lead]
                after = ff.adapted(run, DEFAULT_RULE)
                m = measures(run, DEFAULT_RULE)
                taken = np.isin(run.pred, (V, F)) & (after == N)
                for name, rows in (("V taken to N", taken & (run.y == V) & (run.pred == V)),
                                   ("N taken to N", taken & (run.y == N))):
                    groups[name].append(np.c_[m["correlation"][rows], m["amplitude"][rows],
                                              m["rr"][rows]])
            for name, parts in groups.items():
                values = np.concatenate(parts)
                q = np.round(np.quantile(values, [.1, .25, .5, .75, .9], axis=0), 2)
                cells = "; ".join(f"{label} {q[:, k].tolist()}" for k, label in
                                  enumerate(("correlation", "amplitude", "RR ratio")))
                print(f"{cut} cut, lead {lead}, {name} ({len(values)}): {cells}")


if __name__ == "__main__":
    main()
