"""The recording's template from the past only, for beats that arrive in order.

:class:`RunningTemplate` applies :func:`heartbeat.classifier.template.adapt_template`'s
steps to a stream (:class:`heartbeat.Stream`): the template, the fallback template and
the rhythm guard are measured over beats already seen.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from heartbeat.classifier import neighbours, template
from heartbeat.classifier.dominant import RunningFallback, second_template
from heartbeat.classifier.rhythm import rhythm_irregularity
from heartbeat.classifier.supraventricular import (
    move_on_time_supraventricular,
    move_supraventricular,
)
from heartbeat.classifier.template import (
    MIN_TEMPLATE_BEATS,
    TemplateRule,
    _dropped,
    _rr_ratios,
    compare_with_template,
    has_enough_normal,
    matches,
    remove_abnormal,
    second_shape,
)
from heartbeat.classifier.ventricular import (
    MIN_V_TEMPLATE_BEATS,
    gain_ventricular,
    move_unlike_supraventricular,
    needs_v_template,
    own_ventricular,
    sure_ventricular,
)
from heartbeat.pipeline.steps import FS_OUT

__all__ = ["RunningTemplate"]


class RunningTemplate:
    """The template from the past only: the median of the last `size` beats called N.

    :func:`adapt_template` for beats that arrive in order (:class:`heartbeat.Stream`):
    :meth:`adapt` first takes in the new beats the model calls N, then judges them.
    The template exists once the beats seen so far hold enough called N
    (:func:`has_enough_normal`); before that, it is the fallback template of the last
    `size` beats (:class:`~heartbeat.classifier.dominant.RunningFallback`), if the rule
    has one and they hold its share, else beats are left as they are.  The S step's
    rhythm guard measures each beat's irregularity over the past only: its own previous
    RR and the ``2 * s_irregular_beats`` before it (:func:`rhythm_irregularity`); the V
    template (:func:`~heartbeat.classifier.ventricular.own_ventricular`) is the median of
    the last `size` beats called V that did not match the template; the second normal
    shape (:func:`~heartbeat.classifier.dominant.second_template`) is measured over the
    last `size` beats of any class; the neighbours step
    (:mod:`~heartbeat.classifier.neighbours`) takes its references from the last `size`
    sure N and the last `size` sure V beats, this instant's included.

    Parameters
    ----------
    size : int
        How many of the last beats called N make the template (bounds the memory).
    """

    def __init__(self, size: int) -> None:
        self.heads: deque[np.ndarray] = deque(maxlen=size)
        self.n_beats = 0  # beats seen so far
        self.n_normal = 0  # of those, called N
        self.template: np.ndarray | None = None
        self.past_rr = np.zeros(0)  # the last previous-RR values, for the rhythm guard
        self.recent = RunningFallback(size)  # the last beats of any class: the fallback's
        self.normal_template = False  # whether `template` is of beats called N
        self.v_heads: deque[np.ndarray] = deque(maxlen=size)  # called V, not matching
        # beside `recent`, beat for beat: previous RR, called N, called V/F not matching
        self.recent_rr: deque[float] = deque(maxlen=size)
        self.recent_normal: deque[bool] = deque(maxlen=size)
        self.recent_pool: deque[bool] = deque(maxlen=size)
        self.last_called_s = False  # the last beat's call before the on-time S step
        self.sure_heads = {True: deque(maxlen=size), False: deque(maxlen=size)}  # V, N

    def adapt(self, proba: np.ndarray, heads: np.ndarray, rr: np.ndarray, *,
              classes: tuple[str, ...], rule: TemplateRule | None = None) -> np.ndarray:
        """Return `proba` of the next beats, V and F taken from those matching the template.

        `heads` are the beats' first samples after the R peak, (n, length): at least
        the rule's window at ``FS_OUT`` and its largest shift (:meth:`TemplateRule.samples`),
        and the neighbours step's window when it is on (``neighbours_window_s``); `rr`
        their RR features, (n, 3); `rule` default
        :data:`~heartbeat.classifier.template.DEFAULT_RULE`.
        """
        if "N" not in classes or len(proba) == 0:
            return proba
        rule = rule or template.DEFAULT_RULE  # read at call time: the rule in force
        out = self._template_steps(proba, heads, rr, classes, rule)
        return self._neighbours(out, proba, heads, rr, classes, rule)

    def _template_steps(self, proba: np.ndarray, wide: np.ndarray, rr: np.ndarray,
                        classes: tuple[str, ...], rule: TemplateRule) -> np.ndarray:
        """Every step of :meth:`adapt` but the neighbours'."""
        window, max_lag = rule.samples(FS_OUT)
        longer = wide[:, :window + max_lag]
        heads = longer[:, :window]
        irregular = self._irregular(np.asarray(rr)[:, 0], rule)
        normal = np.asarray(proba).argmax(axis=1) == classes.index("N")
        first_is_start = self.n_beats == 0
        self.n_beats += len(proba)
        self.n_normal += int(normal.sum())
        self.heads.extend(heads[normal])
        self.recent.add(heads, _rr_ratios(rr)[0])
        if has_enough_normal(self.n_normal, self.n_beats):
            if normal.any() or not self.normal_template:
                self.template = np.median(np.stack(self.heads), axis=0)
                self.normal_template = True
        else:  # the warm-up, or too few beats called N so far: the fallback, if any
            self.template = self.recent.template(rule, min_beats=MIN_TEMPLATE_BEATS)
            self.normal_template = False
        if self.template is None:
            self._remember(rr, normal, np.zeros(len(proba), dtype=bool))
            return self._on_time(proba, rr, classes, rule, first_is_start)
        features = compare_with_template(longer, self.template, rr, max_lag=max_lag,
                                         lag_min_rr_ratio=rule.lag_min_rr_ratio)
        hit = matches(features, rule)
        called = np.asarray(proba).argmax(axis=1)
        called_v = called == (classes.index("V") if "V" in classes else -1)
        v_template = (self._v_template(longer[called_v & ~hit, :window])
                      if needs_v_template(rule) else None)
        hit &= ~own_ventricular(longer, called_v, hit, features, rule, max_lag=max_lag,
                                v_template=v_template)
        hit &= ~sure_ventricular(proba, features.rr_ratio, rule, classes=classes)
        pool = self.normal_template & ~hit & np.isin(
            called, [classes.index(c) for c in ("V", "F") if c in classes])
        self._remember(rr, normal, pool)
        if pool.any() and np.isfinite(rule.second_min_share):
            second = second_template(
                np.stack(self.recent.heads), np.array(self.recent_rr),
                np.array(self.recent.ratios), np.array(self.recent_pool),
                np.array(self.recent_normal), rule, min_beats=MIN_TEMPLATE_BEATS)
            hit |= second_shape(longer, pool, normal, rr, features.rr_ratio, rule,
                                window=window, max_lag=max_lag, second=second)
        out = remove_abnormal(proba, hit, classes=classes,
                              drop=_dropped(rule, self.normal_template))[0]
        out = gain_ventricular(out, longer, features, rule, classes=classes, max_lag=max_lag,
                               v_template=v_template)
        out = move_supraventricular(out, features, rule, classes=classes,
                                    first_is_start=first_is_start, irregular=irregular)
        out = self._on_time(out, rr, classes, rule, first_is_start)
        return move_unlike_supraventricular(out, features, rule, classes=classes)

    def _neighbours(self, out: np.ndarray, proba: np.ndarray, wide: np.ndarray,
                    rr: np.ndarray, classes: tuple[str, ...], rule: TemplateRule) -> np.ndarray:
        """Take in this instant's sure N and V beats; let the references vote."""
        if not neighbours.is_on(rule, classes):
            return out
        heads = np.asarray(wide[:, :neighbours.window_samples(rule, FS_OUT)], dtype=np.float64)
        sure = neighbours.sure_beats(np.asarray(out).argmax(axis=1), proba, rule, classes)
        for is_v, flags in ((False, sure[0]), (True, sure[1])):
            self.sure_heads[is_v].extend(heads[flags])
        if not self.sure_heads[True] or not self.sure_heads[False]:
            return out
        references = np.concatenate([np.stack(self.sure_heads[True]),
                                     np.stack(self.sure_heads[False])])
        is_v = np.r_[np.ones(len(self.sure_heads[True]), bool),
                     np.zeros(len(self.sure_heads[False]), bool)]
        return neighbours.vote(out, heads, _rr_ratios(rr)[0], sure, references, is_v, rule,
                               classes)

    def _on_time(self, proba: np.ndarray, rr: np.ndarray, classes: tuple[str, ...],
                 rule: TemplateRule, first_is_start: bool) -> np.ndarray:
        """Apply the on-time S step (:func:`move_on_time_supraventricular`) across instants."""
        if not np.isfinite(rule.s_on_time_ratio) or "S" not in classes:
            return proba
        out = move_on_time_supraventricular(proba, _rr_ratios(rr)[0], rule, classes=classes,
                                            first_is_start=first_is_start,
                                            previous_is_s=self.last_called_s,
                                            local_mean=np.asarray(rr)[:, 2])
        self.last_called_s = bool(np.asarray(proba)[-1].argmax() == classes.index("S"))
        return out

    def _remember(self, rr: np.ndarray, normal: np.ndarray, pool: np.ndarray) -> None:
        """Keep the new beats' previous RR and flags beside ``recent``'s heads."""
        self.recent_rr.extend(np.asarray(rr, dtype=np.float64)[:, 0].tolist())
        self.recent_normal.extend(normal.tolist())
        self.recent_pool.extend(pool.tolist())

    def _v_template(self, new_heads: np.ndarray) -> np.ndarray | None:
        """Take in the new beats called V that do not match; return the V template.

        The median of the last ones kept (None: fewer than ``MIN_V_TEMPLATE_BEATS``).
        """
        self.v_heads.extend(new_heads)
        if len(self.v_heads) < MIN_V_TEMPLATE_BEATS:
            return None
        return np.median(np.stack(self.v_heads), axis=0)

    def _irregular(self, prev_rr: np.ndarray, rule: TemplateRule) -> np.ndarray | None:
        """Return the new beats in irregular rhythm by the past; keep their RR for later."""
        if not np.isfinite(rule.s_irregular_above):
            return None
        past = 2 * rule.s_irregular_beats
        joined = np.concatenate([self.past_rr[len(self.past_rr) - past:], prev_rr])
        irregularity = rhythm_irregularity(joined, past, 0)[len(joined) - len(prev_rr):]
        self.past_rr = joined[len(joined) - past:]
        return irregularity > rule.s_irregular_above
