import numpy as np
import pytest

from heartbeat._validate import as_array, as_fs, as_int, as_positive, as_signal, is_real_dtype


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


class TestAsArray:
    def test_returns_the_array(self):
        x = np.arange(3)
        assert as_array(x, "x") is x

    @pytest.mark.parametrize("value", ["abc", b"abc", None])
    def test_refuses_strings_and_none(self, value):
        with pytest.raises(TypeError, match="x must be a 1-D thing, got"):
            as_array(value, "x", "a 1-D thing")

    def test_ragged_lists(self):
        with pytest.raises(TypeError, match="x must be a numeric array: "):
            as_array([[1, 2], [3]], "x")


class TestIsRealDtype:
    @pytest.mark.parametrize(
        ("dtype", "expected"),
        [(np.int8, True), (np.uint64, True), (np.float32, True), (np.float64, True),
         (bool, False), (np.complex64, False), (np.str_, False), (object, False)],
    )
    def test_kinds(self, dtype, expected):
        assert is_real_dtype(np.dtype(dtype)) is expected


class TestAsInt:
    def test_accepts_python_and_numpy_integers(self):
        assert as_int(3, "n") == 3
        assert type(as_int(np.int64(3), "n", minimum=0)) is int

    @pytest.mark.parametrize("value", [True, 2.0, "2", None])
    def test_refuses_non_integers(self, value):
        with pytest.raises(TypeError, match="n must be an integer, got"):
            as_int(value, "n")

    def test_minimum(self):
        with pytest.raises(ValueError, match="n=-1 must be >= 0"):
            as_int(-1, "n", minimum=0)


class TestAsPositive:
    def test_message_names_the_unit_only_when_given(self):
        with pytest.raises(ValueError, match=r"^window_s=0 must be a finite number > 0$"):
            as_positive(0, "window_s")
        with pytest.raises(ValueError, match=r"^fs=-1 must be a finite number in Hz > 0$"):
            as_fs(-1)
        with pytest.raises(TypeError, match="period must be a real number, got 'x'"):
            as_positive("x", "period")
