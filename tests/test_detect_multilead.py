"""The multi-lead vote (:func:`heartbeat._merge_kernels.merge_leads`) at a record's ends."""

from __future__ import annotations

import numpy as np
import pytest

from heartbeat import _jit, _merge_kernels

BACKENDS = ["numpy", "numba"] if _jit.numba_available() else ["numpy"]
# the shipped vote at 360 Hz (heartbeat.detect's MERGE_* constants, SEARCH_S for the edge)
TOLERANCE, CONTEXT, VOTE, VETO, WEIGHT = 61, 16, 0.5, 0.15, 0.5
REFRACTORY, GAP_RR, FIT_RR, EDGE = 90, 1.5, 0.7, 36


def vote(pos, lead, quality, n_samples, backend, edge=EDGE):
    """The kernel's beats for peaks `pos` of `lead` (sorted by position)."""
    order = np.argsort(pos, kind="stable")
    pos = np.asarray(pos, dtype=np.int64)[order]
    out = np.empty(pos.size, dtype=np.int64)
    count = _merge_kernels.MERGE_LEADS.get(backend)(
        pos, np.asarray(lead, dtype=np.int64)[order], np.asarray(quality, float)[order], 2,
        TOLERANCE, CONTEXT, VOTE, VETO, WEIGHT, REFRACTORY, GAP_RR, FIT_RR, edge, n_samples,
        out,
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
