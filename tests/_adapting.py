"""A test recording adapted with a rule and without, and streamed as ``Stream`` feeds it."""

from __future__ import annotations

import numpy as np

from heartbeat.classifier.running_template import RunningTemplate
from heartbeat.classifier.template import TemplateRule, adapt_template

CLASSES = ("N", "S", "V", "F", "Q")


def streamed(proba: np.ndarray, waves: np.ndarray, rr: np.ndarray, rule: TemplateRule,
             *, chunk: int = 20, fs_out: float = 125.0) -> np.ndarray:
    """The adapted probabilities of every beat, `chunk` beats at a time, under `rule`."""
    window, lag = rule.samples(fs_out)
    running = RunningTemplate(500)
    return np.concatenate([running.adapt(proba[a : a + chunk],
                                         waves[a : a + chunk, : window + lag],
                                         rr[a : a + chunk], classes=CLASSES, rule=rule)
                           for a in range(0, len(proba), chunk)])


def on_and_off(waves: np.ndarray, proba: np.ndarray, rr: np.ndarray, rule: TemplateRule,
               fs_out: float = 125.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probabilities and changed beats under `rule`, probabilities under the default)."""
    out, changed = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=fs_out,
                                  rule=rule)
    return out, changed, adapt_template(proba, waves, rr, classes=CLASSES, fs_out=fs_out)[0]
