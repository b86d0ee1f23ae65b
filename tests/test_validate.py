import numpy as np
import pytest

from heartbeat._validate import as_fs, as_signal


class TestAsSignal:
    def test_converts_ints_to_float64(self):
        out = as_signal([1, 2, 3])
        assert out.dtype == np.float64
        assert out.tolist() == [1.0, 2.0, 3.0]

    def test_readonly_input_is_not_copied_needlessly(self):
        x = np.arange(5.0)
        x.setflags(write=False)
        assert as_signal(x) is x

    def test_empty_is_allowed(self):
        assert as_signal([]).shape == (0,)

    @pytest.mark.parametrize(
        ("value", "exc", "match"),
        [
            (np.zeros((3, 2)), ValueError, "signal must be 1-D"),
            ([1.0, np.nan], ValueError, "NaN or infinite"),
            ([1.0, np.inf], ValueError, "NaN or infinite"),
            (np.array([True, False]), TypeError, "real numbers"),
            (np.array([1 + 1j]), TypeError, "real numbers"),
            (np.array(["a"]), TypeError, "real numbers"),
            ("abc", TypeError, "1-D numeric array"),
            (None, TypeError, "1-D numeric array"),
        ],
    )
    def test_rejects(self, value, exc, match):
        with pytest.raises(exc, match=match):
            as_signal(value)


class TestAsFs:
    @pytest.mark.parametrize("fs", [0, -1, float("nan"), float("inf")])
    def test_rejects_bad_values(self, fs):
        with pytest.raises(ValueError, match="fs="):
            as_fs(fs)

    @pytest.mark.parametrize("fs", ["360", None, True, [360]])
    def test_rejects_bad_types(self, fs):
        with pytest.raises(TypeError, match="fs must be a real number"):
            as_fs(fs)

    def test_accepts_numpy_scalars(self):
        assert as_fs(np.float32(360)) == 360.0
        assert as_fs(np.int64(125)) == 125.0
