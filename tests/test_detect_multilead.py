"""The multi-lead vote (:func:`heartbeat._merge_kernels.merge_leads`) at a record's ends."""

from __future__ import annotations

import numpy as np
import pytest

from heartbeat import _jit, _merge_kernels, detect

BACKENDS = ["numpy", "numba"] if _jit.numba_available() else ["numpy"]
# the shipped vote at 360 Hz (heartbeat.detect's MERGE_* constants, SEARCH_S for the edge)
TOLERANCE, CONTEXT, VOTE, VETO, WEIGHT = 61, 16, 0.5, 0.15, 0.5
REFRACTORY, GAP_RR, FIT_RR, EDGE = 90, 1.5, 0.7, 36
STRETCH = 720  # 2 s


def vote(pos, lead, quality, n_samples, backend, edge=EDGE, stretch_quality=None,
         present=0.0):
    """The kernel's beats for peaks `pos` of `lead` (sorted by position); every lead
    present everywhere unless `stretch_quality` (per STRETCH samples) says otherwise."""
    order = np.argsort(pos, kind="stable")
    pos = np.asarray(pos, dtype=np.int64)[order]
    out = np.empty(pos.size, dtype=np.int64)
    sqi = np.ones((1, 2)) if stretch_quality is None else np.asarray(stretch_quality, float)
    count = _merge_kernels.MERGE_LEADS.get(backend)(
        pos, np.asarray(lead, dtype=np.int64)[order], np.asarray(quality, float)[order], 2,
        TOLERANCE, CONTEXT, VOTE, VETO, WEIGHT, REFRACTORY, GAP_RR, FIT_RR, edge, n_samples,
        sqi, STRETCH, present, out,
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
    sqi = detect._stretch_quality(leads, found, 360.0)
    assert sqi.shape == (50, 2)
    for m in range(2):
        np.testing.assert_allclose(sqi[:, m], quality(leads[m], 360.0).index)


@pytest.mark.parametrize("record", ["105", "203"])
def test_backends_merge_real_leads_alike(mitdb_dir, record):
    """Both leads of a noisy (105) and an irregular (203) record: the same merged beats."""
    if "numba" not in BACKENDS:
        pytest.skip("Numba is not installed: only the NumPy backend runs")
    from heartbeat import io as wfdb

    x = np.asarray(wfdb.read_record(mitdb_dir / record).signal, dtype=np.float64)[:108_000, :2]
    leads = [np.ascontiguousarray(x[:, m]) for m in range(2)]
    found = [detect._bands.detect_lead(v, 360.0, "numba", detect._detect_lead) for v in leads]
    sqi = detect._stretch_quality(leads, found, 360.0)
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
