"""What one lead of a :class:`heartbeat.Stream` remembers between instants.

Its reported beats' times (the RR features from the past: :meth:`LeadMemory.rr`), the
ring of its last waveforms (the record context from the past:
:meth:`LeadMemory.with_context`), its running template
(:class:`~heartbeat.classifier.running_template.RunningTemplate`); and where its
samples were missing (:class:`MissingRuns`), so that a gap ends one recording and
begins the next, as :func:`heartbeat._missing.pieces` splits one offline.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from heartbeat.classifier.running_template import RunningTemplate

__all__ = ["LOCAL_RR_S", "TEMPLATE_BEATS", "LeadMemory", "MissingRuns"]

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
        self.missing_before = 0  # missing samples before the last reported beat

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


class MissingRuns:
    """Where one lead's samples were missing (NaN), as runs of sample indices.

    Runs that end before the oldest sample still needed are forgotten
    (:meth:`forget_before`); only their total length is kept, so :meth:`before` still
    counts them and the memory does not grow with the recording.
    """

    def __init__(self) -> None:
        self.runs: deque[list[int]] = deque()  # [start, end) in stream samples, in order
        self.forgotten = 0  # samples in the runs forgotten

    def add(self, missing: np.ndarray, start: int) -> None:
        """Take in the missing-sample mask of the samples from index `start` on."""
        edges = np.flatnonzero(np.diff(np.r_[False, missing, False].astype(np.int8)))
        for a, b in (edges.reshape(-1, 2) + start).tolist():
            if self.runs and self.runs[-1][1] == a:
                self.runs[-1][1] = b  # a gap that goes on from the last chunk
            else:
                self.runs.append([a, b])

    def before(self, sample: np.ndarray | int) -> np.ndarray:
        """Return the number of missing samples before each `sample`."""
        sample = np.asarray(sample, dtype=np.int64)
        count = np.full(sample.shape, self.forgotten, dtype=np.int64)
        for a, b in self.runs:
            count += np.clip(sample - a, 0, b - a)
        return count

    def forget_before(self, sample: int) -> None:
        """Forget the runs that end at or before `sample`, keeping their count."""
        while self.runs and self.runs[0][1] <= sample:
            a, b = self.runs.popleft()
            self.forgotten += b - a
