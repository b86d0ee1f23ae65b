"""Beats found and classified while the samples arrive: :class:`Stream`.

``Stream.push(chunk)`` takes the next samples, in chunks of any size, and returns the
beats completed since the last call; ``Stream.flush()`` ends the recording.  The work
is the offline pipeline's -- :func:`heartbeat.detect.detect_r_peaks` (its private
entry, so an improved detector flows in), :func:`heartbeat.segment` and the
classifier's network -- run on a sliding buffer at fixed instants, so the answers do
not depend on how the samples were chunked.

How the stream departs from :func:`heartbeat.classify` (measured in
``docs/benchmarks.md``, ``benchmarks/bench_stream.py``):

* **Detection.**  Every ``hop_s`` (0.5 s) of signal the detector runs on the last
  ``history_s`` (16 s, start aligned to its 2 s floor blocks).  A peak found at least
  ``lookahead_s`` (1 s) before the end of that buffer is reported, unless a reported
  beat lies within the refractory time before it; a peak first seen more than
  ``latency_s`` (1.5 s) after it happened is never reported.  The detector's own
  look-ahead (filters ~0.2 s, the P-wave rule 0.3 s, the refinement 0.13 s, the
  median floor of the last 2-4 s, search-back up to 1.5 RR) is what `lookahead_s`
  bounds; search-back finds beyond it, and differences in the detector's learnt
  levels after the buffer's start, are what can differ from the offline peaks.
* **Waveforms.**  Offline, each beat is scaled with the 10 s window of the fixed
  10 s grid it falls in (which can end 10 s after it); here with the 10 s that end at
  the instant it is reported.  The model sees the same kind of input (a beat in a
  10 s window, scaled to that window's range), not the same numbers.
* **Context.**  The RR features use the mean RR of all beats reported so far (not of
  the whole record), the next RR from the detector's provisional next peak (the
  previous RR when none is found yet), and the RR intervals ending within 5 s of the
  beat that are known at the time.  A model with record context (``context=k``)
  compares each beat with the median of itself and the ``2k`` beats *before* it,
  where offline takes ``k`` on each side.
* **Signal quality.**  Each beat gets the quality index (:func:`heartbeat.quality`,
  the same measures and scale as ``Beats.quality``) of the 2 s that end at the
  instant it is reported (holding the beat and the 1-1.5 s after it), over the 6 s
  context that ends there, with the peaks the stream's detector found (computed for
  that stretch alone, :mod:`heartbeat.stream_quality`, with the same bits as the
  offline function's index of those 6 s).  Offline,
  the 2 s stretches lie on a fixed grid and each context is centred on its
  stretch (2-4 s of look-ahead, beyond ``latency_s``); the clipping test uses the
  extremes of those 6 s, not of the whole record.  As ``classify`` does by default, a
  beat whose quality is below ``UNREADABLE_BELOW`` is kept and returned as
  ``"?"`` with reason ``"unreadable"``; ``quality=False`` measures nothing (NaN).
  Over the first 5 min of the 48 MIT-BIH records the two indices differ by 0.049 on
  average (0.16 at most, record 228) and no shared beat falls on the other side of
  the threshold; neither marks a beat unreadable there (``docs/benchmarks.md``,
  "Streaming", which also gives the cost).
* **Adaptation.**  As ``classify``'s default ``adapt="template"``, from the past
  only.  Offline the template is the median of *all* the recording's beats called N
  (future ones too); here, per lead, it is the median of the first 0.24 s of the last
  ``TEMPLATE_BEATS`` (500) beats the model called N, the current instant's included,
  and it exists once the beats reported so far hold at least 10 called N and a fifth
  of them (``classify``'s own count, applied to the beats so far); until then it is
  the fallback template (:mod:`heartbeat.classifier.dominant`) of the last 500 beats of
  any class, if at least half of them are on time and of one shape; the V template is
  the median of the last 500 beats called V that did not match it.  Each beat is then
  judged by :mod:`heartbeat.classifier.template`'s own rule before it is reported.
  **Warm-up**: while neither exists (about the first 10 beats) beats are reported
  unadapted, as ``classify`` leaves a recording with neither.
  ``adapt="none"`` gives the model's own probabilities.
* **Missing samples** (NaN, a lead off; ``missing="unreadable"``).  As
  :func:`heartbeat.classify` with that option: at each instant the buffer's gaps are
  filled by straight lines for the detector and the filters (a gap still open at the
  instant is held at its last valid value until its end arrives); a beat whose quality
  stretch holds a missing sample is ``"?"`` with reason ``"unreadable"`` (quality 0,
  measured or not); and where at least ``SPLIT_GAP_S`` (0.1 s) of a lead's samples are
  missing between two of its beats, the first ends a recording and the second begins
  the next: the lead's RR intervals, context ring and template start afresh.  The
  default ``"error"`` refuses a chunk holding NaN.

Stated bounds (the first 5 min of the 48 MIT-BIH records, first lead, model
``mitbih-all``, against ``classify(x, fs, model)`` with its defaults;
``benchmarks/bench_stream.py --seconds 300 --no-speed``, rerun in session 19,
``docs/benchmarks.md``): 99.9 % of the offline R peaks are found at the very same sample
(18,265 of 18,283), and 96.3 % of those beats get the offline label; per record at most
6 % of the peaks differ (5.8 %, record 207, then 4.8 %, 231, where search-back finds
beats too late to report; else at most 0.4 %) and at least 72 % of the labels agree
(207, 72 %; then 232, 79 %, and the paced 217, 80 %). The reject option applies as in
``classify`` (a withheld beat is ``"?"`` in both). The first seconds are a warm-up: the
mean RR, the context median and the template rest on the few beats seen so far. Over the
first 40 s of the 48 records, neither side adapting nor measuring quality, 99.8 % of the
offline peaks are identical (2,442 of 2,446) and 92.8 % of their labels agree (reject
option on); per record at most one peak differs (3.2 %, record 123) and up to 42 % of
the labels (the paced record 104; then 233, 39 %) (``tests/test_stream.py``, the slow
test; figures from ``benchmarks/bench_stream.py --warm-up --no-speed``).

Every beat is reported at most ``latency_s`` seconds of signal after its R peak.
The state (the buffer of ``history_s + hop_s`` seconds per lead, the last beats'
times, the ``2k + 1`` last waveforms, the templates' three rings of 500 x 0.24 s and
the neighbours step's two of 500 x 0.5 s)
does not grow with the recording.
"""

from __future__ import annotations

import numpy as np

from heartbeat._jit import resolve_backend
from heartbeat._missing import MISSING, SPLIT_GAP_S, fill_missing
from heartbeat._validate import (
    as_array,
    as_choice,
    as_fs,
    as_int,
    as_positive,
    check_finite,
    is_real_dtype,
)
from heartbeat.classifier import UNCLASSIFIED
from heartbeat.classifier.calibration import _reject_threshold
from heartbeat.classifier.results import (
    NOISY_BELOW,
    _as_classifier,
    _check_adapt,
    _noisy_below,
    _withheld,
)
from heartbeat.classifier.template import TemplateRule
from heartbeat.detect import FLOOR_BLOCK_S, RULE, _detect
from heartbeat.pipeline import segment
from heartbeat.pipeline.beats import _min_quality
from heartbeat.signal_quality import CONTEXT_S, SEGMENT_S
from heartbeat.stream_beats import StreamBeats
from heartbeat.stream_lead import TEMPLATE_BEATS, LeadMemory, MissingRuns
from heartbeat.stream_quality import stretch_index

__all__ = ["TEMPLATE_BEATS", "Stream", "StreamBeats"]

SEGMENT_WINDOW_S = 10.0  # the scaling window of each beat, as segment()'s default


class Stream:
    """Detect and classify heartbeats while the samples arrive.

    Parameters
    ----------
    fs : float
        Sampling frequency in Hz.
    model : BeatClassifier, str or path-like, optional
        As for :func:`heartbeat.classify`; default the shipped ``"mitbih-all"`` model.
    leads : int, default 1
        Number of leads (columns of each chunk); each is detected and classified on
        its own, as :func:`heartbeat.classify` would do with that lead alone.
    lookahead_s : float, default 1.0
        A detected peak is reported once this much signal follows it.
    latency_s : float, default 1.5
        A peak is never reported later than this after it (a bound, not a target);
        at least ``lookahead_s + hop_s``.
    hop_s : float, default 0.5
        The detector runs every `hop_s` seconds of signal.
    history_s : float, default 16.0
        Signal the detector looks back over at each run (at least 10 s plus
        `latency_s`: the beats are scaled with the 10 s before their report).
    quality : bool or float, default True
        As for :func:`heartbeat.classify`: a beat whose signal quality is below the
        threshold (True: ``UNREADABLE_BELOW``, 0.002; or a number in [0, 1]) is
        returned as ``"?"`` with reason ``"unreadable"``.  False measures no quality.
    noisy_below : float, default :data:`heartbeat.classifier.results.NOISY_BELOW`
        As for :func:`heartbeat.classify`: a beat called S, V or F whose signal quality
        is below this (0.005) is returned as ``"?"`` with reason ``"noisy"``; 0 turns
        the rule off.
    missing : {"error", "unreadable"}, default "error"
        What a NaN sample (a missing one: a lead off) in a chunk does: ``"error"``
        refuses the chunk; ``"unreadable"`` reads around it (module docstring, "Missing
        samples").
    adapt : {"template", "none"} or TemplateRule, default "template"
        As for :func:`heartbeat.classify`, from the past only: ``"template"`` takes
        V and F from each beat matching the median of the last ``TEMPLATE_BEATS``
        (500) beats of its lead called N, and judges S by timing, before it is reported
        (module docstring, "Adaptation"); ``"none"``: the model's probabilities.  A
        :class:`~heartbeat.classifier.template.TemplateRule` is ``"template"`` with
        that rule instead of the default.

    Raises
    ------
    TypeError
        For a wrong type of `fs`, `model`, `leads`, `quality`, `adapt` or a duration.
    ValueError
        If a value is out of range (see each parameter) or `missing` is not one of
        "error", "unreadable".

    Notes
    -----
    The departures from the offline :func:`heartbeat.classify` are listed in the
    module's docstring.  The results depend only on the samples, never on how they
    were cut into chunks.

    Examples
    --------
    >>> import heartbeat
    >>> ex = heartbeat.load_example("100")
    >>> stream = heartbeat.Stream(ex.fs)
    >>> found = [stream.push(ex.signal[i : i + 36, 0]) for i in range(0, 3600, 36)]
    >>> sum(len(b) for b in found) + len(stream.flush())  # 10 s of a ~75 bpm rhythm
    13
    """

    def __init__(self, fs: float, model: object = None, leads: int = 1, *,
                 lookahead_s: float = 1.0, latency_s: float = 1.5, hop_s: float = 0.5,
                 history_s: float = 16.0, quality: bool | float = True,
                 adapt: str | TemplateRule = "template",
                 noisy_below: float = NOISY_BELOW, missing: str = "error") -> None:
        self.fs = as_fs(fs, "fs")
        self.missing = str(as_choice(missing, "missing", MISSING))
        _check_adapt(adapt, ("template", "none"))
        # a TemplateRule is "template" with that rule (None: the rule in force at call)
        self._rule = adapt if isinstance(adapt, TemplateRule) else None
        self.adapt = "template" if self._rule is not None else str(adapt)
        self.leads = as_int(leads, "leads", minimum=1)
        lookahead_s = as_positive(lookahead_s, "lookahead_s", "s")
        hop_s = as_positive(hop_s, "hop_s", "s")
        latency_s = as_positive(latency_s, "latency_s", "s")
        history_s = as_positive(history_s, "history_s", "s")
        if latency_s < lookahead_s + hop_s:
            raise ValueError(f"{latency_s=} must be at least lookahead_s + hop_s "
                             f"({lookahead_s + hop_s}); raise it or lower those")
        if history_s < SEGMENT_WINDOW_S + latency_s:
            raise ValueError(f"{history_s=} must be at least {SEGMENT_WINDOW_S} s + "
                             f"latency_s ({SEGMENT_WINDOW_S + latency_s})")
        self._min_quality = _min_quality(quality, off_by_default=False)
        self._noisy_below = _noisy_below(noisy_below)
        self.classifier = _as_classifier(model)
        self.classes = tuple(self.classifier.classes_)
        self.latency_s = latency_s
        fs = self.fs
        self._hop = max(1, round(hop_s * fs))
        self._ahead = round(lookahead_s * fs)
        self._latency = int(latency_s * fs)
        self._history = round(history_s * fs)
        self._window = round(SEGMENT_WINDOW_S * fs)
        self._refractory = round(RULE["refractory_s"] * fs)
        step = max(1, round(0.01 * fs))  # the detector's floor blocks (detect._block_floor)
        self._block = max(1, round(FLOOR_BLOCK_S * fs / step)) * step
        self._stretch = max(1, round(SEGMENT_S * fs))  # the quality index's segment
        self._context_q = max(self._stretch, round(CONTEXT_S * fs))
        # whole stretches covering the context: the last one ends at the report instant
        self._quality_span = -(-self._context_q // self._stretch) * self._stretch
        self._backend = resolve_backend("auto")
        net = self.classifier._model()
        self._net = net
        self._uses_rr = int(net.spec["extra_inputs"]) > 0
        self._context = self.classifier._context
        self._lead_state = [LeadMemory(self._context) for _ in range(self.leads)]
        self._missing = [MissingRuns() for _ in range(self.leads)]
        self._split = max(1, round(SPLIT_GAP_S * fs))  # a gap this long ends a recording
        capacity = self._history + self._block + self._hop
        self._buffer = np.zeros((self.leads, capacity))  # (leads, capacity)
        self._start = 0  # sample index of _buffer[:, 0]
        self._n = 0  # samples pushed so far
        self._flushed = False

    # ------------------------------------------------------------------ input
    @property
    def n_samples(self) -> int:
        """Number of samples pushed so far (per lead)."""
        return self._n

    def _check_chunk(self, chunk: object, fs: object, start: object) -> np.ndarray:
        """Return `chunk` as a float64 (n, leads) array, or raise; nothing changes.

        Its values are finite, or NaN where samples are missing if `missing` allows it.
        """
        if self._flushed:
            raise ValueError("this stream was flushed (the recording ended); create a "
                             "new Stream for the next recording")
        if fs is not None and as_fs(fs, "fs") != self.fs:
            raise ValueError(f"fs={fs} differs from the stream's fs={self.fs}; a stream "
                             "has one sampling rate: resample the chunk or start a new "
                             "Stream")
        if start is not None and as_int(start, "start") != self._n:
            raise ValueError(f"start={start} is not the next sample index ({self._n}): "
                             "chunks must arrive in order, without gaps or repeats")
        arr = as_array(chunk, "chunk", "a numeric array of samples")
        if not is_real_dtype(arr.dtype):
            raise TypeError(f"chunk must hold real numbers, got dtype {arr.dtype}")
        if arr.ndim == 1 and self.leads == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != self.leads:
            raise ValueError(f"chunk must have shape (n_samples, {self.leads}) for "
                             f"{self.leads} lead(s), got shape {arr.shape}")
        if arr.shape[0] == 0:
            raise ValueError("chunk is empty; push at least one sample")
        if self.missing == "error":
            check_finite(arr, "chunk", "interpolate them, or create the Stream with "
                         "missing='unreadable' (--missing unreadable on the command "
                         "line) to read around missing (NaN) samples")
        elif arr.dtype.kind == "f" and np.isinf(arr).any():
            raise ValueError(f"chunk holds {int(np.isinf(arr).sum())} infinite value(s); "
                             "remove them (missing samples are NaN)")
        return arr.astype(np.float64, copy=False)

    def push(self, chunk: object, *, fs: float | None = None,
             start: int | None = None) -> StreamBeats:
        """Take the next samples; return the beats completed since the last call.

        Parameters
        ----------
        chunk : array_like, shape (n,) or (n, leads)
            The next samples of each lead (1-D for a single lead); any `n` >= 1.
        fs : float, optional
            The chunk's sampling rate, checked against the stream's.
        start : int, optional
            Sample index of ``chunk[0]`` from the start of the stream, checked to
            be the next one (catches lost, repeated or reordered chunks).

        Returns
        -------
        StreamBeats
            The beats reported now, in time order per lead.

        Raises
        ------
        TypeError
            If `chunk` is not numeric.
        ValueError
            If `chunk` is empty, has the wrong number of leads or holds inf (or NaN,
            unless the stream was made with ``missing="unreadable"``), `fs`
            differs, `start` is not the next index, or the stream was flushed.  The
            stream's state is unchanged then: nothing already found is lost.
        """
        arr = self._check_chunk(chunk, fs, start)
        found: list[StreamBeats] = []
        done = 0
        while done < arr.shape[0]:
            boundary = (self._n // self._hop + 1) * self._hop  # the next run's instant
            take = min(arr.shape[0] - done, boundary - self._n)
            self._append(arr[done : done + take])
            done += take
            if self._n == boundary:
                found.append(self._classify(self._run(self._n, self._ahead)))
        return self._concatenate(found)

    def flush(self) -> StreamBeats:
        """End the recording: report the beats of its last seconds.

        Returns
        -------
        StreamBeats
            The remaining beats.  The stream accepts no further samples.
        """
        if self._flushed:
            return self._classify([])
        self._flushed = True
        return self._classify(self._run(self._n, 0) if self._n else [])

    def _append(self, piece: np.ndarray) -> None:
        """Append (m, leads) samples, dropping those no run will look at again."""
        m = piece.shape[0]
        used = self._n - self._start
        if used + m > self._buffer.shape[1]:
            keep_from = max(0, self._n + m - self._history - self._block - self._hop)
            keep_from = min(keep_from, self._n)
            shift = keep_from - self._start
            self._buffer[:, : used - shift] = self._buffer[:, shift:used]
            self._start = keep_from
            used -= shift
        if used + m > self._buffer.shape[1]:  # a piece never exceeds one hop
            raise AssertionError("stream buffer overflow")  # pragma: no cover
        self._buffer[:, used : used + m] = piece.T
        if self.missing != "error":
            for lead, runs in enumerate(self._missing):
                runs.add(np.isnan(piece[:, lead]), self._n)
                runs.forget_before(self._start - self._latency)
        self._n += m

    # ------------------------------------------------------------------ one instant
    def _run(self, t: int, ahead: int) -> list[tuple]:
        """Detect at instant `t`; return the beats reported now.

        Each as (lead, sample, network input, RR features, quality, waveform, whether
        its quality stretch holds a missing sample).
        """
        w0 = max(0, t - self._history) // self._block * self._block
        w0 = max(w0, self._start)
        s0 = max(0, t - self._window)
        out = []
        for lead, state in enumerate(self._lead_state):
            x, gaps = fill_missing(self._buffer[lead, w0 - self._start : t - self._start],
                                   self.missing)
            peaks = _detect(x, self.fs, "robust", self._backend) + w0
            new = peaks[(peaks < t - ahead) & (peaks >= t - self._latency)]
            new = new[new > state.last + self._refractory] if new.size else new
            if new.size == 0:
                continue
            tail = x[s0 - w0 :]
            inside = peaks[peaks >= s0] - s0
            if inside.size < 2:
                continue
            beats = segment(tail, self.fs, r_peaks=inside,
                            window_s=(t - s0) / self.fs + 1.0)
            rows = np.searchsorted(beats.r_peaks, new - s0)
            quality, in_gap = self._quality(x, w0, t, peaks, new, gaps)
            for r, row, q, g in zip(new.tolist(), rows.tolist(), quality.tolist(),
                                    in_gap.tolist(), strict=True):
                if r <= self._lead_state[lead].last + self._refractory:
                    continue
                state, later = self._after_gap(lead, r, peaks[peaks > r])
                rr = state.rr(r, later, self.fs)
                out.append((lead, r, state.with_context(beats.waveforms[row]), rr, q,
                            beats.waveforms[row], g))
        return out

    def _after_gap(self, lead: int, r: int, ahead: np.ndarray) -> tuple[LeadMemory, np.ndarray]:
        """Return lead `lead`'s memory for beat `r`, and the peaks `ahead` it may see.

        Where at least ``SPLIT_GAP_S`` of samples were missing since the lead's last
        reported beat, that beat ended a recording and `r` begins the next: a fresh
        memory (no RR interval, context or template spans the gap, as
        :func:`heartbeat.classify` splits a recording); the peaks ahead stop before the
        next such gap.
        """
        if self.missing == "error":
            return self._lead_state[lead], ahead
        runs, state = self._missing[lead], self._lead_state[lead]
        before = int(runs.before(r))
        if before - state.missing_before >= self._split:
            state = self._lead_state[lead] = LeadMemory(self._context)
        state.missing_before = before
        return state, ahead[runs.before(ahead) - before < self._split]

    def _quality(self, x: np.ndarray, w0: int, t: int, peaks: np.ndarray, new: np.ndarray,
                 gaps: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Quality index of beats `new` from the 6 s of lead `x` (from `w0`) before `t`.

        The stretches are the index's 2 s segments counted back from `t` (from the
        stream's start in its first seconds); `peaks` are the detector's at `t`.  A
        stretch holding a sample `gaps` marks missing has quality 0, measured or not;
        the second array is True for the beats in such a stretch.
        """
        q0 = max(0, t - self._quality_span)
        rows = (new - q0) // self._stretch
        in_gap = np.zeros(new.size, dtype=bool)
        if gaps is not None:
            starts = q0 - w0 + rows * self._stretch
            in_gap = np.array([gaps[a : a + self._stretch].any() for a in starts.tolist()],
                              dtype=bool)
        if self._min_quality is None:
            return np.where(in_gap, 0.0, np.nan), in_gap
        inside = peaks[(peaks >= q0) & (peaks < t)] - q0
        index = {row: stretch_index(x[q0 - w0 :], self.fs, self._stretch, self._context_q,
                                    inside, row) for row in set(rows[~in_gap].tolist())}
        return np.array([0.0 if g else index[row] for row, g in
                         zip(rows.tolist(), in_gap.tolist(), strict=True)]), in_gap

    def _concatenate(self, parts: list[StreamBeats]) -> StreamBeats:
        """One StreamBeats of the instants' results, in time order."""
        parts = [p for p in parts if len(p)]
        if len(parts) <= 1:
            return parts[0] if parts else self._classify([])
        fields = ("lead", "sample", "time_s", "labels", "codes", "probabilities", "quality",
                  "reasons", "classes", "adapted")
        cat = {f: np.concatenate([getattr(p, f) for p in parts]) for f in fields
               if f != "classes"}
        return StreamBeats(**cat, classes=self.classes)

    def _classify(self, found: list[tuple]) -> StreamBeats:
        """Classify the beats found at one instant in one pass and pack them.

        One batch per instant, whatever the chunking: the same bits either way.
        """
        n_classes = len(self.classes)
        if not found:
            z = np.zeros(0, dtype=np.int64)
            return StreamBeats(z, z.copy(), np.zeros(0), np.array([], dtype="<U1"),
                               z.copy(), np.zeros((0, n_classes)), np.zeros(0),
                               np.array([], dtype="<U10"), self.classes)
        found.sort(key=lambda f: (f[0], f[1]))
        lead = np.array([f[0] for f in found], dtype=np.int64)
        sample = np.array([f[1] for f in found], dtype=np.int64)
        x = np.stack([f[2] for f in found])  # (n, 187) or (n, 2, 187)
        rr = np.stack([f[3] for f in found]) if self._uses_rr else None
        quality = np.array([f[4] for f in found], dtype=np.float64)
        # as classify() with its defaults: calibrated temperature, then the reject option,
        # then the beats of unreadable stretches withheld whatever their probabilities
        calibration = self.classifier.calibration_
        proba = calibration.probabilities(self._net.predict_logits(x, rr).astype(np.float64))
        adapted = np.zeros(len(found), dtype=bool)
        if self.adapt == "template":
            heads = np.stack([f[5] for f in found])  # each adaptation step takes its part
            rr_all = np.stack([f[3] for f in found])
            adapted_proba = self._adapt(lead, heads, rr_all, proba)
            adapted = adapted_proba.argmax(axis=1) != proba.argmax(axis=1)
            proba = adapted_proba
        in_gap = np.array([f[6] for f in found], dtype=bool)
        unreadable = in_gap if self._min_quality is None else (
            in_gap | (quality < self._min_quality))
        codes, reasons = _withheld(proba, _reject_threshold(calibration, True), self.classes,
                                   quality, self._noisy_below, unreadable)
        labels = np.array([*self.classes, UNCLASSIFIED])[codes]  # code -1: "?"
        return StreamBeats(lead, sample, sample / self.fs, labels, codes, proba, quality,
                           reasons, self.classes, adapted)

    def _adapt(self, lead: np.ndarray, heads: np.ndarray, rr: np.ndarray,
               proba: np.ndarray) -> np.ndarray:
        """One instant's probabilities after each lead's template adaptation.

        Each lead's template first takes in this instant's beats called N (as offline,
        where a beat is part of its own recording's median), then judges them.
        """
        out = proba.copy()
        for k, state in enumerate(self._lead_state):
            rows = np.flatnonzero(lead == k)
            if rows.size:
                out[rows] = state.template.adapt(proba[rows], heads[rows], rr[rows],
                                                 classes=self.classes, rule=self._rule)
        return out
