"""Beat-by-beat comparison of a detector with an annotated database, as ``bxb`` does.

:func:`bxb_compare` pairs reference and test beats with the rules of PhysioNet's
``bxb`` (WFDB Software Package, G. Moody; ANSI/AAMI EC38 and EC57), and
:func:`score_database` runs it over every annotated record of a WFDB folder, giving a
:class:`DatabaseScore` with gross and average Se/+P and the per-record table in
``bxb``'s line format (``bxb -l``, summed as ``sumstats`` does).

Rules followed (read from ``bxb.c`` and ``sumstats.c`` of the WFDB package):

1. Match window 150 ms (``-w``), inclusive: a pair needs ``|T - t| <= window``.
2. The test period starts after 5 minutes (``-f 5:0``; `start_s` here) and ends at
   the end of the record: reference beats before the start are dropped; the last
   test beat before the start may still match the first reference beat after it.
   If the first test beat after the start lies within one window of it and the next
   test beat is nearer the first reference beat, that first test beat is dropped
   uncounted.
3. Sequential pairing: whichever of the current reference beat ``T`` and test beat
   ``t`` is earlier is paired with the other if it lies within the window *and* is
   strictly nearer to it than the other stream's next beat (``T - t < |T - t'|``);
   otherwise it is unmatched: a missed beat (``o``) or an extra detection (``O``).
   The loop runs while either stream has a beat at or before the end of the record.
4. Beats are the annotation codes for which the WFDB library's ``isqrs`` is true
   (N L R a V F J A S E j / Q ? e n f B r); other annotations are skipped.
5. Ventricular flutter/fibrillation: annotations between VFON ``[`` and VFOFF ``]``
   are skipped in either stream, and an unmatched test beat inside a reference VF
   episode (ends inclusive) is not counted.
6. Labels for the table are mapped as ``amap`` does without ``-S``: N L R B and the
   supraventricular a J A S j e n to N; V r E to V; F to F; Q / f ? to Q.
7. Counts: ``tp`` = all reference beats paired with a test beat (any labels),
   ``fn`` = reference beats left unpaired, ``fp`` = test beats left unpaired
   (bxb's QTP, QFN, QFP); QRS Se = tp / (tp + fn), +P = tp / (tp + fp).  Gross
   figures sum the counts over records; average figures are the mean of the
   per-record percentages over the records where they are defined (``sumstats``).

Departures: shutdown intervals (``~`` annotations with subtype bits 4 and 5 set) are
not tracked, because ``bxb`` counts beats in them as ``X``/``x`` and adds those to
QFP/QFN anyway, so Se and +P do not change; the RR-interval error and the
ventricular (V Se, V +P, V FPR) and SVEB statistics are not computed; bxb
remembers only the last two VF episodes of each stream when excusing an extra test
beat, this module checks all of them; with a start at sample 0 (the first 5
minutes included) there is no "test beat before the start", where ``bxb`` pairs the
first reference beat with an empty label (counting it nowhere) when it lies within
the window of sample 0.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from heartbeat._missing import fill_missing
from heartbeat._validate import as_fs, as_indices, as_int, as_positive, as_real
from heartbeat.metrics.detection import DetectionScore

__all__ = [
    "BXB_COLUMNS", "DatabaseScore", "RecordScore", "bxb_compare", "reference_beats",
    "score_database",
]

# isqrs() of the WFDB library: the annotation codes that mark a beat
_QRS_CODES = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 38, 41})
_VFON, _VFOFF = 32, 33
# amap() without -S: MIT code -> AAMI test label (supraventricular beats count as N)
_AMAP = {
    **dict.fromkeys((1, 2, 3, 25, 4, 7, 8, 9, 11, 34, 35), "N"),
    **dict.fromkeys((5, 41, 10), "V"),
    6: "F",
    **dict.fromkeys((13, 12, 38, 30), "Q"),
}
_SYMBOL_CODES = {"N": 1, "L": 2, "R": 3, "a": 4, "V": 5, "F": 6, "J": 7, "A": 8, "S": 9,
                 "E": 10, "j": 11, "/": 12, "Q": 13, "B": 25, "?": 30, "e": 34, "n": 35,
                 "f": 38, "r": 41}

#: Columns of bxb's line format (``bxb -l``): reference class (capital) paired with
#: test label (small); a prime marks a column that merges several classes.
BXB_COLUMNS: tuple[str, ...] = (
    "Nn'", "Vn'", "Fn'", "On'", "Nv", "Vv", "Fv'", "Ov'", "No'", "Vo'", "Fo'",
)
_COLUMN_PAIRS = {  # column -> (reference classes, test labels)
    "Nn'": ("N", "NFQ"), "Vn'": ("V", "NFQ"), "Fn'": ("FQ", "NFQ"), "On'": ("O", "NFQ"),
    "Nv": ("N", "V"), "Vv": ("V", "V"), "Fv'": ("FQ", "V"), "Ov'": ("O", "V"),
    "No'": ("N", "O"), "Vo'": ("V", "O"), "Fo'": ("FQ", "O"),
}


@dataclass(frozen=True)
class _Stream:
    """Beat times and labels of one annotator, and the VF episodes it marks."""

    times: np.ndarray  # int64, sorted
    labels: np.ndarray  # "N", "V", "F" or "Q" per beat
    vf: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class RecordScore:
    """The bxb comparison of one record.

    Attributes
    ----------
    record : str
        Record name.
    score : DetectionScore
        QRS detection counts: ``tp`` (QTP), ``fn`` (QFN), ``fp`` (QFP).
    pairs : Mapping[str, int]
        Counts of the :data:`BXB_COLUMNS` (reference class x test label).
    n_missing : int
        Invalid (NaN) samples of the channel a detector read, filled by straight lines
        before it ran (0 for peaks or annotations given as the test).
    """

    record: str
    score: DetectionScore
    pairs: Mapping[str, int] = field(default_factory=dict)
    n_missing: int = 0


@dataclass(frozen=True)
class DatabaseScore:
    """bxb-style scores of a detector over the records of a database.

    Attributes
    ----------
    records : tuple of RecordScore
        One entry per record, in the order scored.
    window_s : float
        Match window in seconds.
    start_s : float
        Start of the test period in seconds (300 = bxb's default; 0 = whole record).
    """

    records: tuple[RecordScore, ...]
    window_s: float
    start_s: float

    @property
    def gross(self) -> DetectionScore:
        """Counts summed over the records (each beat weighs the same)."""
        return sum((r.score for r in self.records), DetectionScore(0, 0, 0))

    @property
    def average_se(self) -> float:
        """Mean of the per-record sensitivities (records with reference beats)."""
        return _mean([r.score.se for r in self.records])

    @property
    def average_ppv(self) -> float:
        """Mean of the per-record positive predictivities (records with detections)."""
        return _mean([r.score.ppv for r in self.records])

    def table(self) -> str:
        """Return the per-record table in bxb's line format, with gross and average rows.

        Columns: the :data:`BXB_COLUMNS` counts, then QRS Se and +P in percent
        (``-`` when undefined), as ``bxb -l`` writes them and ``sumstats`` totals them.
        """
        head = "Record " + " ".join(f"{c:>6}" for c in BXB_COLUMNS) + "   Q Se   Q +P"
        lines = [head]
        for r in self.records:
            counts = " ".join(f"{r.pairs.get(c, 0):6d}" for c in BXB_COLUMNS)
            lines.append(f"{r.record:>6} {counts} {_pct(r.score.se)} {_pct(r.score.ppv)}")
        total = {c: sum(r.pairs.get(c, 0) for r in self.records) for c in BXB_COLUMNS}
        counts = " ".join(f"{total[c]:6d}" for c in BXB_COLUMNS)
        gross = self.gross
        lines.append(f"{'Sum':>6} {counts}")
        lines.append(f"{'Gross':>6} {'':{7 * len(BXB_COLUMNS) - 1}} "
                     f"{_pct(gross.se)} {_pct(gross.ppv)}")
        lines.append(f"{'Avg':>6} {'':{7 * len(BXB_COLUMNS) - 1}} "
                     f"{_pct(self.average_se)} {_pct(self.average_ppv)}")
        return "\n".join(lines)


def _mean(values: Sequence[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def _pct(rate: float) -> str:
    return "     -" if math.isnan(rate) else f"{100 * rate:6.2f}"


def bxb_compare(
    reference: object, test: object, fs: float, *, window_s: float = 0.15,
    start_s: float = 300.0, end: int | None = None,
) -> DetectionScore:
    """Compare test beats with reference beats by bxb's rules (module docstring).

    Parameters
    ----------
    reference, test : array_like of int
        Sample indices of the reference and the test beats (any order).
    fs : float
        Sampling frequency in Hz of both.
    window_s : float, default 0.15
        Match window in seconds (inclusive).
    start_s : float, default 300.0
        Start of the test period in seconds; 0 scores the whole record.
    end : int, optional
        Last sample of the test period (the record length); default: the last beat
        of either stream.

    Returns
    -------
    DetectionScore
        ``tp``, ``fn`` and ``fp`` as bxb counts QTP, QFN and QFP.

    Raises
    ------
    TypeError, ValueError
        If an index array is not 1-D non-negative integers, or `fs`, `window_s`,
        `start_s` or `end` is out of range.

    Examples
    --------
    The nearer of two detections takes the beat; the other is an extra detection:

    >>> bxb_compare([1000, 2000], [990, 1004, 2100], fs=100.0, start_s=0)
    DetectionScore(tp=1, fn=1, fp=2)
    >>> bxb_compare([1000, 2000], [990, 1004, 2010], fs=100.0, start_s=0)
    DetectionScore(tp=2, fn=0, fp=1)
    """
    ref = np.sort(as_indices(reference, "reference", unique=False))
    det = np.sort(as_indices(test, "test", unique=False))
    fs = as_fs(fs, "fs")
    window = as_positive(window_s, "window_s", "seconds") * fs
    start = as_real(start_s, "start_s", low=0.0) * fs
    if end is not None:
        end = as_int(end, "end", minimum=0)
    labels = np.full(ref.size, "N")
    score, _ = _compare(_Stream(ref, labels), _Stream(det, np.full(det.size, "N")),
                        round(window), round(start), end)
    return score


def _compare(ref: _Stream, test: _Stream, match_dt: int, start: int, end: int | None
             ) -> tuple[DetectionScore, dict[str, int]]:
    """Run bxb's pairing loop on checked streams; return the counts and the bxb columns."""
    huge = np.iinfo(np.int64).max
    r_t = [int(v) for v in ref.times[ref.times >= start]] + [huge, huge]
    r_a = [str(v) for v in ref.labels[ref.times >= start]] + ["O", "O"]
    first = int(np.searchsorted(test.times, start, side="left"))
    t_t = [int(v) for v in test.times] + [huge, huge]
    t_a = [str(v) for v in test.labels] + ["O", "O"]
    if end is None:  # the record length is unknown: up to the last beat of either
        end = max([0, *ref.times[-1:].tolist(), *test.times[-1:].tolist()])
    pairs: dict[tuple[str, str], int] = {}

    def pair(ref_label: str, test_label: str) -> None:
        pairs[ref_label, test_label] = pairs.get((ref_label, test_label), 0) + 1

    def in_ref_vf(t: int) -> bool:
        return any(on <= t <= off for on, off in ref.vf)

    i = 0  # current reference beat
    j = first - 1  # current test beat: the last one before the start, if any
    if j >= 0 and r_t[i] - t_t[j] < abs(r_t[i] - t_t[j + 1]) and r_t[i] - t_t[j] <= match_dt:
        pair(r_a[i], t_a[j])
        i, j = i + 1, j + 1
    else:
        j += 1
        if t_t[j] - start <= match_dt and abs(r_t[i] - t_t[j + 1]) < abs(r_t[i] - t_t[j]):
            j += 1
    while r_t[i] <= end or t_t[j] <= end:
        T, t = r_t[i], t_t[j]
        if t < T:
            if T - t <= match_dt and T - t < abs(T - t_t[j + 1]):
                pair(r_a[i], t_a[j])
                i += 1
            elif not in_ref_vf(t):
                pair("O", t_a[j])
            j += 1
        else:
            if t - T <= match_dt and t - T < abs(t - r_t[i + 1]):
                pair(r_a[i], t_a[j])
                j += 1
            else:
                pair(r_a[i], "O")
            i += 1
    fn = sum(n for (r, t), n in pairs.items() if r != "O" and t == "O")
    fp = sum(n for (r, t), n in pairs.items() if r == "O" and t != "O")
    tp = sum(n for (r, t), n in pairs.items() if r != "O" and t != "O")
    columns = {name: sum(pairs.get((r, t), 0) for r in refs for t in tests)
               for name, (refs, tests) in _COLUMN_PAIRS.items()}
    return DetectionScore(tp, fn, fp), columns


def _stream_from_codes(samples: np.ndarray, codes: np.ndarray) -> _Stream:
    """Beats (``isqrs`` codes outside VF episodes) and VF episodes of an annotation list."""
    keep = np.zeros(samples.size, dtype=bool)
    vf: list[tuple[int, int]] = []
    in_vf, vf_on = False, 0
    for k, code in enumerate(codes.tolist()):
        if in_vf:
            if code == _VFOFF:
                vf.append((vf_on, int(samples[k])))
                in_vf = False
        elif code == _VFON:
            in_vf, vf_on = True, int(samples[k])
        elif code in _QRS_CODES:
            keep[k] = True
    if in_vf:  # unterminated VF: to the end of the record
        vf.append((vf_on, int(np.iinfo(np.int64).max)))
    times = samples[keep].astype(np.int64)
    labels = np.array([_AMAP[c] for c in codes[keep].tolist()], dtype="<U1")
    order = np.argsort(times, kind="stable")
    return _Stream(times[order], labels[order], tuple(vf))


def reference_beats(annotations: object, fs: float | None = None
                    ) -> tuple[np.ndarray, tuple[tuple[int, int], ...]]:
    """Return the beats bxb compares and the VF episodes it excuses, from annotations.

    Parameters
    ----------
    annotations : heartbeat.io.Annotations
        One annotator's annotations of a record.
    fs : float, optional
        The record's frame rate, to convert the sample numbers to
        (:meth:`~heartbeat.io.Annotations.samples_at`); default: as stored.

    Returns
    -------
    beats : numpy.ndarray of int64
        Sorted sample numbers of the beat annotations (``isqrs`` codes) outside VF
        episodes.
    vf : tuple of (int, int)
        The ``[`` ... ``]`` episodes as (onset, offset) sample numbers.

    Raises
    ------
    TypeError
        If `annotations` is not an :class:`~heartbeat.io.Annotations`.
    """
    from heartbeat.io import Annotations

    if not isinstance(annotations, Annotations):
        raise TypeError(f"annotations must be heartbeat.io.Annotations, got "
                        f"{type(annotations).__name__}")
    samples = annotations.sample if fs is None else annotations.samples_at(as_fs(fs))
    stream = _stream_from_codes(samples, annotations.code.astype(np.int64))
    return stream.times, stream.vf


Detector = Callable[[np.ndarray, float], np.ndarray]


def _records_of(folder: Path, reference: str) -> list[str]:
    """List the records of `folder`: its RECORDS file, else every annotated header."""
    listing = folder / "RECORDS"
    if listing.is_file():
        names = [ln.strip() for ln in listing.read_text().splitlines() if ln.strip()]
    else:
        names = sorted(p.stem for p in folder.glob("*.hea"))
    return [n for n in names if (folder / f"{n}.{reference}").is_file()]


def score_database(
    folder: str | os.PathLike[str], *, test: str | Mapping[str, object] | Detector | None = None,
    reference: str = "atr", records: Sequence[str] | None = None, channel: int = 0,
    window_s: float = 0.15, start_s: float = 300.0,
) -> DatabaseScore:
    """Score a detector against the beat annotations of every record of a WFDB folder.

    Parameters
    ----------
    folder : str or os.PathLike
        Folder of WFDB records (``.hea``, signal files, reference annotations).
    test : None, str, mapping or callable, optional
        The beats to score: None runs :func:`heartbeat.detect_r_peaks` on channel
        `channel`; a str names a test annotator (``"qrs"`` reads ``REC.qrs``); a
        mapping gives each record's detected sample indices; a callable
        ``f(signal, fs) -> indices`` is run on channel `channel`.
    reference : str, default "atr"
        The reference annotator.
    records : sequence of str, optional
        Records to score; default the folder's ``RECORDS`` file, else every record
        with a header and a reference annotation file.
    channel : int, default 0
        Signal channel given to the detector.  Its invalid samples (NaN) are filled by
        straight lines first (:func:`heartbeat._missing.fill_missing`), since a
        detector needs a finite signal: beats annotated inside a gap count as missed,
        and ``RecordScore.n_missing`` counts the filled samples.
    window_s : float, default 0.15
        Match window in seconds.
    start_s : float, default 300.0
        Start of the test period (bxb's 5 minutes); 0 includes the whole record.

    Returns
    -------
    DatabaseScore
        Per-record scores with gross and average Se/+P and :meth:`~DatabaseScore.table`.

    Raises
    ------
    FileNotFoundError
        If `folder` or a record's file is missing.
    ValueError
        If no record is found, a mapping lacks a record, or `channel` is out of range.
    TypeError
        If `test` has none of the accepted types.
    """
    from heartbeat._jit import resolve_backend
    from heartbeat.detect import _detect
    from heartbeat.io import read_annotations, read_header, read_record

    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"folder {str(root)!r} does not exist; give the folder "
                                "holding the WFDB records")
    if not (test is None or isinstance(test, (str, Mapping)) or callable(test)):
        raise TypeError("test must be None, an annotator name, a mapping record -> "
                        f"indices or a detector function, got {type(test).__name__}")
    window_s = as_positive(window_s, "window_s", "seconds")
    start_s = as_real(start_s, "start_s", low=0.0)
    channel = as_int(channel, "channel", minimum=0)
    names = list(records) if records is not None else _records_of(root, reference)
    if not names:
        raise ValueError(f"no record in {str(root)!r} has a .hea file and a "
                         f".{reference} annotation file")
    scores = []
    for name in names:
        n_missing = 0
        header = read_header(root / name)
        fs = header.frame_fs
        ref_ann = read_annotations(root / name, reference)
        ref = _stream_from_codes(ref_ann.samples_at(fs), ref_ann.code.astype(np.int64))
        if isinstance(test, str):
            ann = read_annotations(root / name, test)
            det = _stream_from_codes(ann.samples_at(fs), ann.code.astype(np.int64))
        else:
            if isinstance(test, Mapping):
                if name not in test:
                    raise ValueError(f"the test peaks hold no record {name!r}")
                times = np.sort(as_indices(test[name], f"test[{name!r}]", unique=False))
            else:
                rec = read_record(root / name)
                if channel >= rec.signal.shape[1]:
                    raise ValueError(f"{channel=} is out of range: record {name} has "
                                     f"{rec.signal.shape[1]} channel(s)")
                x, gaps = fill_missing(
                    np.ascontiguousarray(rec.signal[:, channel], dtype=np.float64),
                    "unreadable")
                n_missing = 0 if gaps is None else int(gaps.sum())
                if test is None:
                    found = _detect(x, fs, "robust", resolve_backend("auto"))
                else:
                    found = test(x, fs)
                times = np.sort(np.asarray(found, dtype=np.int64))
            det = _Stream(times, np.full(times.size, "N"))
        end = header.n_samples if header.n_samples else None
        score, columns = _compare(ref, det, round(window_s * fs), round(start_s * fs), end)
        scores.append(RecordScore(name, score, columns, n_missing))
    return DatabaseScore(tuple(scores), window_s, start_s)
