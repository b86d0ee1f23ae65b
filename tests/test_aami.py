import numpy as np

from heartbeat.aami import BEAT_SYMBOLS, CLASSES, SYMBOL_TO_CLASS, class_codes, is_beat


class TestTable:
    def test_fifteen_beat_symbols_in_five_classes(self):
        assert len(BEAT_SYMBOLS) == 15
        assert set(SYMBOL_TO_CLASS.values()) == set(CLASSES)

    def test_ec57_groups(self):
        groups = {c: "".join(sorted(s for s, k in SYMBOL_TO_CLASS.items() if k == c))
                  for c in CLASSES}
        assert groups == {"N": "LNRej", "S": "AJSa", "V": "EV", "F": "F", "Q": "/Qf"}


class TestClassCodes:
    def test_codes_and_non_beats(self):
        out = class_codes(np.array(["N", "L", "a", "E", "F", "f", "+", "~", '"']))
        assert out.dtype == np.int8
        assert out.tolist() == [0, 0, 1, 2, 3, 4, -1, -1, -1]

    def test_empty(self):
        assert class_codes([]).shape == (0,)
        assert is_beat([]).shape == (0,)

    def test_is_beat_agrees_with_codes(self):
        symbols = np.array(list("NLRejAaJSVEF/fQ+~|xQ!"))
        np.testing.assert_array_equal(is_beat(symbols), class_codes(symbols) >= 0)
