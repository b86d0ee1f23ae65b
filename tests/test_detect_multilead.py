"""The multi-lead vote (:func:`heartbeat._merge_kernels.merge_leads`) and its quality gate
(:mod:`heartbeat._merge_gate`)."""

from __future__ import annotations

import numpy as np
import pytest

from heartbeat import _jit, _merge_gate, _merge_kernels, detect

BACKENDS = ["numpy", "numba"] if _jit.numba_available() else ["numpy"]
# the shipped vote at 360 Hz (heartbeat.detect's MERGE_* constants, SEARCH_S for the edge)
TOLERANCE, CONTEXT, VOTE, VETO, WEIGHT = 61, 16, 0.5, 0.15, 0.5
REFRACTORY, GAP_RR, FIT_RR, EDGE = 90, 1.5, 0.7, 36
STRETCH = 720  # 2 s


def vote(pos, lead, quality, n_samples, backend, edge=EDGE, stretch_quality=None,
         present=0.0, veto_typical=0.0):
    """The kernel's beats for peaks `pos` of `lead` (sorted by position); every lead
    present everywhere unless `stretch_quality` (per STRETCH samples) says otherwise."""
    order = np.argsort(pos, kind="stable")
    pos = np.asarray(pos, dtype=np.int64)[order]
    out = np.empty(pos.size, dtype=np.int64)
    sqi = np.ones((1, 2)) if stretch_quality is None else np.asarray(stretch_quality, float)
    count = _merge_kernels.MERGE_LEADS.get(backend)(
        pos, np.asarray(lead, dtype=np.int64)[order], np.asarray(quality, float)[order], 2,
        TOLERANCE, CONTEXT, VOTE, VETO, WEIGHT, REFRACTORY, GAP_RR, FIT_RR, edge, n_samples,
        sqi, STRETCH, present, out, veto_typical,
    )
    return out[:count]


def rhythm(extra: int):
    """Forty beats 300 samples apart on both leads (lead 1 the clearer) and one lone
    peak of lead 1 at `extra`, a third as clear as its beats."""
    beats = np.arange(200, 12200, 300)
    pos = np.concatenate([beats, beats + 3, [extra]])
    lead = np.concatenate([np.zeros(beats.size), np.ones(beats.size + 1)])
    quality = np.concatenate([np.full(beats.size, 8.0), np.full(beats.size, 12.0), [4.0]])
    return beats, pos, lead, quality


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lone_peak_of_the_clearest_lead_is_kept_inside_the_record(backend):
    # its vote 4 / (8 + 12) = 0.2 is below 0.5 but above the veto: kept mid-record
    beats, pos, lead, quality = rhythm(6350)
    found = vote(pos, lead, quality, 12400, backend)
    assert 6350 in found
    assert found.size == beats.size + 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_veto_can_ask_for_a_typical_peak_of_the_clearest_lead(backend):
    # the lone peak has 4 / 12 = 0.33 of lead 1's local quality
    beats, pos, lead, quality = rhythm(6350)
    assert 6350 in vote(pos, lead, quality, 12400, backend, veto_typical=0.3)
    found = vote(pos, lead, quality, 12400, backend, veto_typical=0.4)
    np.testing.assert_array_equal(found, beats + 3)  # every beat stays


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("at_end", [True, False])
def test_a_lone_peak_at_either_end_needs_the_full_vote(backend, at_end):
    beats, pos, lead, quality = rhythm(0)
    n_samples = 12400
    extra = n_samples - 5 if at_end else 5
    pos[-1] = extra
    found = vote(pos, lead, quality, n_samples, backend)
    assert extra not in found
    np.testing.assert_array_equal(found, beats + 3)
    # without the edge rule the veto keeps it, as before
    assert extra in vote(pos, lead, quality, n_samples, backend, edge=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_beat_both_leads_show_at_the_end_is_kept(backend):
    beats, pos, lead, quality = rhythm(12390)
    pos = np.append(pos, 12392)
    lead = np.append(lead, 0)
    quality = np.append(quality, 8.0)
    quality[-2] = 12.0  # lead 1's peak there as clear as its beats: vote 1
    found = vote(pos, lead, quality, 12400, backend)
    assert found[-1] in (12390, 12392)
    assert found.size == beats.size + 1


def noise_beside_weak_beats():
    """Lead 0: noise peaks (quality 10) at a heart rate's pace; lead 1: forty weak beats
    (quality 6) 300 samples apart, each halfway between two of lead 0's peaks."""
    beats = np.arange(200, 12200, 300)
    noise = beats + 150
    pos = np.concatenate([noise, beats])
    lead = np.concatenate([np.zeros(noise.size), np.ones(beats.size)])
    quality = np.concatenate([np.full(noise.size, 10.0), np.full(beats.size, 6.0)])
    return beats, noise, pos, lead, quality


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lead_of_noise_outvotes_weak_beats_when_every_lead_counts(backend):
    _, noise, pos, lead, quality = noise_beside_weak_beats()
    found = vote(pos, lead, quality, 12400, backend)
    # the noise lead is locally the clearer: its peaks pass the veto, lead 1's beats fail
    np.testing.assert_array_equal(found, noise)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lead_below_the_quality_index_counts_as_absent(backend):
    beats, noise, pos, lead, quality = noise_beside_weak_beats()
    n_stretches = 12400 // STRETCH + 1
    sqi = np.column_stack([np.full(n_stretches, 0.001), np.full(n_stretches, 0.6)])
    found = vote(pos, lead, quality, 12400, backend, stretch_quality=sqi, present=0.01)
    np.testing.assert_array_equal(found, beats)
    # in the stretches where no lead reaches the threshold, both leads keep their say
    sqi[:, 1] = 0.005
    low = vote(pos, lead, quality, 12400, backend, stretch_quality=sqi, present=0.01)
    np.testing.assert_array_equal(low, vote(pos, lead, quality, 12400, backend))
    # absent only in the stretches where it is below: lead 0 counts again from 6000 on
    sqi[:, 1] = 0.6
    sqi[6000 // STRETCH + 1:, 0] = 0.9
    half = vote(pos, lead, quality, 12400, backend, stretch_quality=sqi, present=0.01)
    np.testing.assert_array_equal(half[half < 6000], beats[beats < 6000])
    np.testing.assert_array_equal(half[half > 6500], noise[noise > 6500])


def test_backends_merge_a_noise_lead_alike():
    if "numba" not in BACKENDS:
        pytest.skip("Numba is not installed: only the NumPy backend runs")
    rng = np.random.default_rng(3)
    pos = np.sort(rng.integers(0, 40_000, 600))
    lead = rng.integers(0, 2, pos.size)
    quality = rng.uniform(1.0, 20.0, pos.size)
    sqi = rng.uniform(0.0, 1.0, (40_000 // STRETCH + 1, 2))
    for present in (0.0, 0.01, 0.3):
        np.testing.assert_array_equal(
            vote(pos, lead, quality, 40_000, "numpy", stretch_quality=sqi, present=present),
            vote(pos, lead, quality, 40_000, "numba", stretch_quality=sqi, present=present))


def test_stretch_quality_is_each_leads_own_index(mitdb_dir):
    from heartbeat import io as wfdb
    from heartbeat.signal_quality import quality

    x = np.asarray(wfdb.read_record(mitdb_dir / "105").signal, dtype=np.float64)[:36_000, :2]
    leads = [np.ascontiguousarray(x[:, m]) for m in range(2)]
    found = [detect._bands.detect_lead(v, 360.0, "numpy", detect._detect_lead) for v in leads]
    sqi = _merge_gate.stretch_quality(leads, found, 360.0)
    assert sqi.shape == (50, 2)
    for m in range(2):
        np.testing.assert_allclose(sqi[:, m], quality(leads[m], 360.0).index)


def test_gated_stretches_lie_around_the_peaks_one_lead_lacks():
    fs = 360.0  # stretches of 720 samples
    beats = np.arange(100, 72_000, 300)
    quality = np.ones(beats.size)
    # lead 1 lacks the beat at 30,100 (stretch 41); its peaks lie 40 samples late
    lead1 = beats[beats != 30_100] + 40
    found = [(beats, quality), (lead1, np.ones(lead1.size))]
    need = _merge_gate.gated_stretches(found, 72_000, fs, tolerance=61, pad=4)
    assert need.shape == (100,)
    np.testing.assert_array_equal(np.flatnonzero(need), np.arange(37, 46))
    # 40 samples apart is one beat with a tolerance of 61, two with one of 40
    assert _merge_gate.gated_stretches(found, 72_000, fs, tolerance=40, pad=0).all()
    # a lead without peaks disputes every peak of the other
    empty = [(beats, quality), (np.empty(0, np.int64), np.empty(0))]
    assert _merge_gate.gated_stretches(empty, 72_000, fs, 61, 0).sum() == 100


@pytest.fixture(scope="module")
def flutter_207(mitdb_dir):
    """Five minutes of 207 (from 23:09) where lead 0's index falls below 0.002 in 17
    stretches while lead 1's reaches it, and the leads disagree in about a third."""
    from heartbeat import io as wfdb

    x = np.asarray(wfdb.read_record(mitdb_dir / "207").signal, dtype=np.float64)
    return np.ascontiguousarray(x[500_000:608_000, :2])


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_gate_around_disputes_merges_as_the_whole_index(flutter_207, backend):
    fs, x = 360.0, flutter_207
    leads = [np.ascontiguousarray(x[:, m]) for m in range(2)]
    found = [detect._bands.detect_lead(v, fs, backend, detect._detect_lead) for v in leads]
    whole = _merge_gate.stretch_quality(leads, found, fs)
    tolerance = max(1, round(detect.MERGE_S * fs))
    gate = _merge_gate.gate_quality(leads, found, fs, tolerance, detect.MERGE_DISPUTE_PAD)
    need = _merge_gate.gated_stretches(found, x.shape[0], fs, tolerance,
                                       detect.MERGE_DISPUTE_PAD)
    assert 0.2 < need.mean() < 0.4  # scored on pieces of the signal, not the whole
    # there the index is the whole record's up to the rounding of its running sums
    np.testing.assert_allclose(gate[need], whole[need], rtol=0, atol=1e-9)
    assert (gate[~need] == 1.0).all()
    absent = (whole < detect.MERGE_PRESENT) & (whole.max(axis=1, keepdims=True)
                                                >= detect.MERGE_PRESENT)
    assert absent.any(axis=1).sum() >= 10
    assert need[absent.any(axis=1)].all()
    shipped = detect._detect(x, fs, "robust", backend)
    np.testing.assert_array_equal(
        shipped, detect._merge(found, fs, backend, x.shape[0], whole))
    # and the gate acts here: without it other beats are kept
    assert not np.array_equal(shipped, detect._merge(found, fs, backend, x.shape[0]))


def test_the_gate_takes_the_whole_index_beside_a_lead_of_noise(flutter_207):
    fs = 360.0
    lead = np.ascontiguousarray(flutter_207[:36_000, 0])
    noise = np.random.default_rng(0).normal(0.0, lead.std(), lead.size)
    leads = [lead, noise]
    found = [detect._bands.detect_lead(v, fs, "numpy", detect._detect_lead) for v in leads]
    gate = _merge_gate.gate_quality(leads, found, fs, 61, detect.MERGE_DISPUTE_PAD)
    np.testing.assert_array_equal(gate, _merge_gate.stretch_quality(leads, found, fs))


def lone_peak(lone_quality=9.0, lead1_quality=11.0):
    """Forty beats 300 samples apart on both leads (lead 1 the clearer, quality 11
    against 10) and a peak of lead 0 alone halfway between two of them."""
    beats = np.arange(200, 12200, 300)
    lead0 = np.sort(np.append(beats, 6350))
    q0 = np.where(lead0 == 6350, lone_quality, 10.0)
    return [(lead0, q0), (beats + 3, np.full(beats.size, lead1_quality))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_typical_lone_peak_of_a_nearly_clearest_lead_is_put_back(backend):
    fs, n = 360.0, 12400
    # its vote 9 / (10 + 11) is under 0.5 and the clearest lead does not show it
    with_lone = detect._merge(lone_peak(), fs, backend, n)
    assert 6350 in with_lone and with_lone.size == 41
    saved = detect.MERGE_LONE_CLEAR
    try:
        detect.MERGE_LONE_CLEAR = 0.0  # off: the vote alone drops it
        assert 6350 not in detect._merge(lone_peak(), fs, backend, n)
    finally:
        detect.MERGE_LONE_CLEAR = saved
    # not typical of its lead (7 < 0.8 x 10), or its lead not nearly as clear (10 < 0.8 x 13)
    assert 6350 not in detect._merge(lone_peak(lone_quality=7.0), fs, backend, n)
    assert 6350 not in detect._merge(lone_peak(lead1_quality=13.0), fs, backend, n)
    # absent by the gate where lead 1 is readable and lead 0 is not
    sqi = np.column_stack([np.full(18, 0.9), np.full(18, 0.9)])
    sqi[6350 // 720, 0] = 0.001
    assert 6350 not in detect._merge(lone_peak(), fs, backend, n, sqi)
    sqi[6350 // 720, 0] = 0.9
    assert 6350 in detect._merge(lone_peak(), fs, backend, n, sqi)


def test_local_quality_is_the_votes_median_of_the_nearest_peaks():
    rng = np.random.default_rng(5)
    peaks = np.sort(rng.choice(50_000, 200, replace=False))
    quality = rng.uniform(1.0, 20.0, peaks.size)
    at = rng.integers(0, 50_000, 300)
    got = _merge_gate._local_quality(peaks, quality, at, 16)
    for value, a in zip(got, at, strict=True):
        c = np.searchsorted(peaks, a)
        assert value == np.median(quality[max(c - 16, 0):min(c + 16, peaks.size)])
    assert (_merge_gate._local_quality(peaks[:0], quality[:0], at, 16) == 0).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_premature_beats_lead_0_alone_shows_are_put_back_in_233(mitdb_dir, backend):
    from heartbeat import io as wfdb
    from heartbeat.aami import is_beat
    from heartbeat.metrics import match_peaks

    start, stop = 230_000, 300_000  # 10:39 to 13:53
    x = np.asarray(wfdb.read_record(mitdb_dir / "233").signal, dtype=np.float64)
    x = np.ascontiguousarray(x[start:stop, :2])
    ann = wfdb.read_annotations(mitdb_dir / "233", "atr")
    beats = np.asarray(ann.sample, dtype=np.int64)[is_beat(ann.symbol)]
    beats = beats[(beats >= start) & (beats < stop)] - start
    found = detect._detect(x, 360.0, "robust", backend)
    saved = detect.MERGE_LONE_CLEAR
    try:
        detect.MERGE_LONE_CLEAR = 0.0
        vote_only = detect._detect(x, 360.0, "robust", backend)
    finally:
        detect.MERGE_LONE_CLEAR = saved
    # two beats the vote drops come back, each on its reference beat
    added = np.setdiff1d(found, vote_only)
    np.testing.assert_array_equal(added + start, [248_426, 283_444])
    assert np.setdiff1d(vote_only, found).size == 0
    assert match_peaks(found, beats, 54)[0].size == beats.size == found.size


@pytest.mark.parametrize("record", ["105", "203"])
def test_backends_merge_real_leads_alike(mitdb_dir, record):
    """Both leads of a noisy (105) and an irregular (203) record: the same merged beats."""
    if "numba" not in BACKENDS:
        pytest.skip("Numba is not installed: only the NumPy backend runs")
    from heartbeat import io as wfdb

    x = np.asarray(wfdb.read_record(mitdb_dir / record).signal, dtype=np.float64)[:108_000, :2]
    leads = [np.ascontiguousarray(x[:, m]) for m in range(2)]
    found = [detect._bands.detect_lead(v, 360.0, "numba", detect._detect_lead) for v in leads]
    sqi = _merge_gate.stretch_quality(leads, found, 360.0)
    merged = detect._merge(found, 360.0, "numpy", x.shape[0], sqi)
    assert merged.size > 300  # five minutes of beats
    np.testing.assert_array_equal(detect._merge(found, 360.0, "numba", x.shape[0], sqi), merged)


def test_the_vote_is_split_into_functions_a_reader_holds():
    """Every function of the merge kernel module stays under about 80 lines of code."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(_merge_kernels))
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body  # docstring
        lines = inspect.getsource(_merge_kernels).splitlines()[body[0].lineno - 1:node.end_lineno]
        code = [s for s in lines if s.strip() and not s.strip().startswith("#")]
        assert len(code) <= 80, f"{node.name} has {len(code)} lines of code"
    assert set(_merge_kernels.MERGE_LEADS.helpers) == {
        getattr(_merge_kernels, n.name) for n in tree.body
        if isinstance(n, ast.FunctionDef) and n.name.startswith("_")}


def test_the_exported_detector_copies_the_votes_helpers():
    """`heartbeat export` follows the kernel's names: the NumPy vote and its helpers."""
    from heartbeat.export_source import copied_sources

    copied, _ = copied_sources("def f(x, fs):\n    return detect_r_peaks(x, fs)\n",
                               {"detect_r_peaks": "heartbeat.detect"}, set())
    names = {name for module, name, _, _ in copied if module == "heartbeat._merge_kernels"}
    assert names == {"merge_leads", *(h.__name__ for h in _merge_kernels.MERGE_LEADS.helpers)}
