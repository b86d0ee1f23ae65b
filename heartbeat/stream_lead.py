"""What one lead of a :class:`heartbeat.Stream` remembers between instants.

Its reported beats' times (the RR features from the past: :meth:`LeadMemory.rr`), the
ring of its last waveforms (the record context from the past:
:meth:`LeadMemory.with_context`), its running template
(:class:`~heartbeat.classifier.running_template.RunningTemplate`).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from heartbeat.classifier.running_template import RunningTemplate

__all__ = ["LOCAL_RR_S", "TEMPLATE_BEATS", "LeadMemory"]

LOCAL_RR_S = 5.0  # RR intervals ending within +-5 s make the local mean (rr_features)
TEMPLATE_BEATS = 500  # the last beats called N whose median is a lead's template


class LeadMemory:
    """One lead's recent peaks, RR sums, last waveforms and template.

    Parameters
    ----------
    context : int
        The model's record context ``k``: the ring holds the last ``2k + 1`` waveforms.
    """

    def __init__(self, context: int) -> None:
        self.last = -(1 << 62)  # sample of the last reported beat
        self.recent: deque[int] = deque()  # reported peaks of the last LOCAL_RR_S + RR
        self.rr_sum = 0.0
        self.rr_count = 0
        # the last 2k + 1 waveforms in a ring (the context median does not need their
        # order); until that many arrived, the first fills the rest, as local_median pads
        self.waveforms: np.ndarray | None = None
        self.context = context
        self.size = 2 * context + 1
        self.count = 0
        self.template = RunningTemplate(TEMPLATE_BEATS)

    def rr(self, r: int, ahead: np.ndarray, fs: float) -> np.ndarray:
        """Take in beat `r`; return its three RR features from the past and `ahead`.

        `ahead` are the detector's provisional peaks after `r` (the first is the next
        peak; none: the next RR is the previous one).  The features are divided by
        the mean RR of the beats reported so far.
        """
        prev = self.recent[-1] if self.recent else None
        nxt = int(ahead[0]) if ahead.size else None
        if prev is not None:
            self.rr_sum += r - prev
            self.rr_count += 1
        self.recent.append(r)
        while self.recent and self.recent[0] < r - (LOCAL_RR_S + 4.0) * fs:
            self.recent.popleft()
        pre = r - prev if prev is not None else (nxt - r if nxt is not None else None)
        self.last = r
        if pre is None:
            return np.ones(3, dtype=np.float32)
        post = nxt - r if nxt is not None else pre
        mean = self.rr_sum / self.rr_count if self.rr_count else post
        times = np.array([*self.recent, *ahead.tolist()], dtype=np.float64)
        intervals = np.diff(times)
        ends = times[1:]
        near = np.abs(ends - r) <= LOCAL_RR_S * fs
        local = intervals[near].mean() if near.any() else pre
        return (np.array([pre, post, local]) / mean).astype(np.float32)

    def with_context(self, beat: np.ndarray) -> np.ndarray:
        """Take in the newest beat; return it, (187,), or with its past context, (2, 187).

        The median of the ring equals ``np.median`` of the last ``2k + 1`` beats (with
        the first repeated while fewer arrived), whatever their order: it is one of
        its values (an odd count).
        """
        if not self.context:
            return beat
        if self.waveforms is None:
            self.waveforms = np.repeat(beat[None], self.size, axis=0)
        self.waveforms[self.count % self.size] = beat
        self.count += 1
        middle = np.partition(self.waveforms, self.size // 2, axis=0)[self.size // 2]
        return np.stack([beat, beat - middle]).astype(np.float32)
