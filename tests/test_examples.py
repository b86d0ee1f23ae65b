import numpy as np
import pytest

import heartbeat
from heartbeat.aami import is_beat
from heartbeat.io.examples import EXAMPLES, example_path


class TestLoadExample:
    @pytest.mark.parametrize("name", EXAMPLES)
    def test_shape_and_annotations(self, name):
        ex = heartbeat.load_example(name)
        assert ex.fs == 360.0
        assert ex.signal.shape == (43200, 2)
        assert ex.record.sig_names[0] == "MLII"
        beats = ex.annotations.sample[is_beat(ex.annotations.symbol)]
        assert 140 < len(beats) < 260
        assert beats.min() >= 0 and beats.max() < 43200

    def test_unknown_name(self):
        with pytest.raises(ValueError, match="unknown example name='999'"):
            heartbeat.load_example("999")

    def test_excerpt_is_the_start_of_the_real_record(self, mitdb_dir):
        # The excerpt must hold PhysioNet's original samples and annotations.
        ex = heartbeat.load_example("208")
        full = heartbeat.read_record(mitdb_dir / "208", sampto=43200)
        np.testing.assert_array_equal(ex.record.digital, full.digital)
        ann = heartbeat.read_annotations(mitdb_dir / "208")
        keep = ann.sample < 43200
        np.testing.assert_array_equal(ex.annotations.sample, ann.sample[keep])
        np.testing.assert_array_equal(ex.annotations.symbol, ann.symbol[keep])

    def test_package_data_is_small(self):
        total = sum(p.stat().st_size for p in example_path("100").parent.iterdir())
        # two excerpts and two shipped models, each a 3-network ensemble under 1 MB
        assert total < 2_000_000
