"""Tests for the WFDB reader (heartbeat.io): decoders on hand-built bytes, the real corpus against
digests of PhysioNet's rdsamp/rdann output, and malformed files.

Reference digests: tests/data/wfdb/reference.json, written by
tests/data/wfdb/make_reference.py from WFDB Software Package 10.7.0; every entry
names the exact rdsamp/rdann command it comes from.
"""

from __future__ import annotations

import dataclasses
import datetime
import doctest
import hashlib
import importlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heartbeat.io import (
    ANNOTATION_SYMBOLS,
    DEFAULT_GAIN,
    INVALID_SAMPLE,
    SUPPORTED_FORMATS,
    read_annotations,
    read_header,
    read_record,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "wfdb" / "reference.json").read_text()
)


# ---------------------------------------------------------------------------
# An independent encoder, written from signal(5) and the WFDB library's writers
# (w212/f212, w310/f310, w311 in signal.c): integers -> bytes.

BITS = {8: 8, 16: 16, 24: 24, 32: 32, 61: 16, 80: 8, 160: 16, 212: 12, 310: 10, 311: 10}


def encode(fmt: int, values: list[int], n_sig: int = 1) -> bytes:
    out = bytearray()
    if fmt == 8:  # differences from the same signal's previous value (initially 0)
        prev = [0] * n_sig
        for i, v in enumerate(values):
            out += (v - prev[i % n_sig]).to_bytes(1, "little", signed=True)
            prev[i % n_sig] = v
    elif fmt in (16, 24, 32):
        for v in values:
            out += v.to_bytes(fmt // 8, "little", signed=True)
    elif fmt == 61:
        for v in values:
            out += v.to_bytes(2, "big", signed=True)
    elif fmt == 80:
        out += bytes(v + 128 for v in values)
    elif fmt == 160:
        for v in values:
            out += (v + 32768).to_bytes(2, "little")
    elif fmt == 212:
        for i in range(0, len(values), 2):
            a = values[i] & 0xFFF
            if i + 1 < len(values):
                b = values[i + 1] & 0xFFF
                out += bytes([a & 0xFF, (a >> 8) | ((b >> 8) << 4), b & 0xFF])
            else:  # f212: a lone last sample is written as two bytes
                out += bytes([a & 0xFF, a >> 8])
    elif fmt == 310:
        for i in range(0, len(values), 3):
            s = [v & 0x3FF for v in values[i : i + 3]]
            w0 = s[0] << 1
            if len(s) == 1:  # f310: one leftover sample -> two bytes
                out += w0.to_bytes(2, "little")
                continue
            w1 = s[1] << 1
            if len(s) == 3:
                w0 |= (s[2] & 0x1F) << 11
                w1 |= (s[2] >> 5) << 11
            out += w0.to_bytes(2, "little") + w1.to_bytes(2, "little")
    elif fmt == 311:
        for i in range(0, len(values), 3):
            s = [v & 0x3FF for v in values[i : i + 3]]
            word = sum(x << (10 * k) for k, x in enumerate(s))
            out += word.to_bytes(4, "little")[: {1: 2, 2: 3, 3: 4}[len(s)]]
    else:
        raise AssertionError(fmt)
    return bytes(out)


def write_record(
    folder: Path,
    name: str,
    fmt: int,
    columns: list[list[int]],
    *,
    length: bool = True,
    checksum: bool = True,
    fs: float = 100.0,
    extra: str = "",
    newline: str = "\n",
) -> Path:
    """Write a one-file record with interleaved `columns` (one list per signal)."""
    n = len(columns[0])
    interleaved = [v for row in zip(*columns, strict=True) for v in row]
    (folder / f"{name}.dat").write_bytes(encode(fmt, interleaved, len(columns)))
    lines = [f"{name} {len(columns)} {fs}" + (f" {n}" if length else "")]
    for k, col in enumerate(columns):
        init = col[0] if col else 0
        # format 8's initial value is the value before the first difference
        init_field = 0 if fmt == 8 else init
        # without a checksum the line must end there (fields are positional)
        tail = f" {sum(col) & 0xFFFF} 0 ch{k}" if checksum else ""
        lines.append(f"{name}.dat {fmt} 200(10)/mV {BITS[fmt]} 0 {init_field}{tail}")
    (folder / f"{name}.hea").write_text(newline.join(lines) + newline + extra)
    return folder / name


def sample_range(fmt: int) -> tuple[int, int]:
    bits = BITS[fmt]
    return -(1 << (bits - 1)) + 1, (1 << (bits - 1)) - 1  # the lowest value is "invalid"


# ---------------------------------------------------------------------------


class TestDecoders:
    """Every format on bytes built by the encoder above and by hand."""

    @pytest.mark.parametrize(
        ("fmt", "data", "expected"),
        [
            # worked out by hand from signal(5):
            # 212: s0 = 1 = 0x001, s1 = -1 = 0xFFF -> 01, (0x0 | 0xF << 4), FF
            (212, b"\x01\xf0\xff", [1, -1]),
            # 212: s0 = 2047 = 0x7FF, s1 = 5 -> FF, 07, 05
            (212, b"\xff\x07\x05", [2047, 5]),
            # 310: s = 1, 2, 3: w0 = 1 << 1 | (3 & 31) << 11 = 0x1802, w1 = 2 << 1 = 0x0004
            (310, b"\x02\x18\x04\x00", [1, 2, 3]),
            # 311: s = 1, 2, 3: w = 1 | 2 << 10 | 3 << 20 = 0x00300801
            (311, b"\x01\x08\x30\x00", [1, 2, 3]),
            # 311: s = -1, 0, 511: w = 0x3FF | 511 << 20 = 0x1FF003FF
            (311, b"\xff\x03\xf0\x1f", [-1, 0, 511]),
            (24, b"\xfe\xff\xff\x01\x00\x80", [-2, -(2**23) + 1]),
            (61, b"\x01\x02", [258]),
            (160, b"\x00\x80\xff\xff", [0, 32767]),
            (80, b"\x80\x00\xff", [0, -128, 127]),
            (32, b"\xff\xff\xff\x7f", [2**31 - 1]),
        ],
    )
    def test_known_bytes(self, tmp_path, fmt, data, expected):
        (tmp_path / "r.dat").write_bytes(data)
        (tmp_path / "r.hea").write_text(f"r 1 100 {len(expected)}\nr.dat {fmt} 200 16 0\n")
        rec = read_record(tmp_path / "r")
        marker = {80: -128}.get(fmt)
        want = [INVALID_SAMPLE if v == marker else v for v in expected]
        assert rec.digital[:, 0].tolist() == want

    def test_format8_first_differences(self, tmp_path):
        # initial value 10, differences +1, -2, +127 -> 11, 9, 136
        (tmp_path / "r.dat").write_bytes(bytes([1, 0xFE, 127]))
        (tmp_path / "r.hea").write_text("r 1 100 3\nr.dat 8 200 8 0 10\n")
        assert read_record(tmp_path / "r").digital[:, 0].tolist() == [11, 9, 136]

    @pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
    @pytest.mark.parametrize("n_sig", [1, 2, 3])
    @pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7])
    def test_odd_counts_roundtrip(self, tmp_path, fmt, n_sig, n):
        # odd sample counts leave partial last blocks in 212/310/311
        lo, hi = sample_range(fmt)
        rng = np.random.default_rng(fmt * 100 + n_sig * 10 + n)
        if fmt == 8:
            cols = [np.cumsum(rng.integers(-50, 50, n)).tolist() for _ in range(n_sig)]
        else:
            cols = [rng.integers(lo, hi + 1, n).tolist() for _ in range(n_sig)]
        if n == 0:
            (tmp_path / "r.dat").write_bytes(b"")
            (tmp_path / "r.hea").write_text(f"r {n_sig} 100\n" + "".join(
                f"r.dat {fmt} 200\n" for _ in range(n_sig)))
        else:
            write_record(tmp_path, "r", fmt, cols)
        rec = read_record(tmp_path / "r")
        assert rec.digital.shape == (n, n_sig)
        assert rec.digital.dtype == np.int32
        np.testing.assert_array_equal(rec.digital, np.array(cols, np.int64).T.reshape(n, n_sig))

    @given(
        fmt=st.sampled_from(SUPPORTED_FORMATS),
        n_sig=st.integers(1, 4),
        n=st.integers(1, 40),
        seed=st.integers(0, 2**32 - 1),
    )
    def test_roundtrip_any_length(self, tmp_path_factory, fmt, n_sig, n, seed):
        folder = tmp_path_factory.mktemp("rt")
        lo, hi = sample_range(fmt)
        rng = np.random.default_rng(seed)
        if fmt == 8:
            cols = [np.cumsum(rng.integers(-128, 128, n)).tolist() for _ in range(n_sig)]
        else:
            cols = [rng.integers(lo, hi + 1, n).tolist() for _ in range(n_sig)]
        write_record(folder, "r", fmt, cols)
        rec = read_record(folder / "r")  # checksums are verified too
        np.testing.assert_array_equal(rec.digital, np.array(cols).T)
        # any part equals the same slice of the whole
        a, b = sorted(rng.integers(0, n + 1, 2).tolist())
        part = read_record(folder / "r", sampfrom=a, sampto=b)
        np.testing.assert_array_equal(part.digital, rec.digital[a:b])

    @pytest.mark.parametrize(("fmt", "marker"), [(16, -32768), (212, -2048), (310, -512),
                                                 (311, -512), (24, -(2**23)),
                                                 (32, -(2**31)), (61, -32768),
                                                 (160, -32768), (80, -128)])
    def test_invalid_marker_is_nan(self, tmp_path, fmt, marker):
        write_record(tmp_path, "r", fmt, [[5, marker, -3]], checksum=False)
        rec = read_record(tmp_path / "r")
        assert rec.digital[:, 0].tolist() == [5, INVALID_SAMPLE, -3]
        assert np.isnan(rec.signal[1, 0]) and rec.valid[:, 0].tolist() == [True, False, True]
        np.testing.assert_allclose(rec.signal[[0, 2], 0], [(5 - 10) / 200, (-3 - 10) / 200])


class TestReadRecordCorpus:
    """The real corpus against digests of rdsamp output (reference.json)."""

    @staticmethod
    def _args(command: str) -> tuple[str, dict]:
        t = command.split()
        kw: dict = {}
        if "-H" in t:
            kw["expand_frames"] = True
        if "-f" in t:
            kw["sampfrom"] = int(t[t.index("-f") + 1][1:])
        if "-t" in t:
            kw["sampto"] = int(t[t.index("-t") + 1][1:])
        if "-s" in t:
            kw["channels"] = [int(x) for x in t[t.index("-s") + 1 :]]
        return t[2], kw

    @pytest.mark.parametrize(
        "entry",
        [
            pytest.param(e, id=e["command"], marks=[pytest.mark.slow] * (
                e["dir"] == "mitdb" and e["command"].split()[2] not in ("100", "208")))
            for e in REFERENCE["records"]
        ],
    )
    def test_matches_rdsamp(self, entry, mitdb_dir, wfdb_samples_dir):
        folder = {"mitdb": mitdb_dir, "wfdb-samples": wfdb_samples_dir}[entry["dir"]]
        name, kw = self._args(entry["command"])
        rec = read_record(folder / name, **kw)
        for c, ref in enumerate(entry["channels"]):
            got = rec.digital[:, c].astype(np.int64)
            n = ref["n"]
            # rdsamp stops where a skewed signal's data ends; those rows are invalid here
            assert len(got) >= n
            if len(got) > n:
                skewed = [k for k in range(rec.n_channels) if rec.skew[k]]
                assert np.isnan(rec.signal[n:, skewed]).all()
            got = got[:n]
            assert hashlib.sha256(got.astype("<i8").tobytes()).hexdigest() == ref["sha256"]
            assert got[:3].tolist() == ref["head"] and got[-3:].tolist() == ref["tail"]
        for c, total in enumerate(entry.get("physical_sums", [])):
            n = entry["channels"][c]["n"]
            # rdsamp -P prints 8 decimals (|error| <= 5e-9 per sample)
            assert abs(np.nansum(rec.signal[:n, c]) - total) <= 5e-9 * n + 1e-12 * abs(total)

    def test_mitdb_100_header(self, mitdb_dir):
        rec = read_record(mitdb_dir / "100", sampto=10)
        assert rec.sig_names == ("MLII", "V5")
        assert rec.fs == 360.0 and rec.frame_fs == 360.0
        assert rec.fmt == (212, 212) and rec.gains == (200.0, 200.0)
        assert rec.baselines == (1024, 1024) and rec.adc_res == (11, 11)
        assert rec.init_values == (995, 1011) and rec.checksums == (-22131, 20052)
        assert rec.comments == ("69 M 1085 1629 x1", "Aldomet, Inderal")
        assert rec.digital[:3].tolist() == [[995, 1011]] * 3
        np.testing.assert_allclose(rec.signal[0], [(995 - 1024) / 200, (1011 - 1024) / 200])
        assert read_header(mitdb_dir / "100").n_samples == 650000

    def test_frames_averaged_by_default(self, wfdb_samples_dir):
        rec = read_record(wfdb_samples_dir / "03700181", sampto=8)
        wide = read_record(wfdb_samples_dir / "03700181", sampto=8, expand_frames=True)
        assert rec.fs == 125.0 and wide.fs == 500.0 and wide.n_samples == 4 * rec.n_samples
        assert rec.samps_per_frame == (4, 1, 1)
        frames = wide.digital[:, 0].reshape(-1, 4).astype(np.int64)
        # rounded half up, as meansamp in signal.c
        np.testing.assert_array_equal(rec.digital[:, 0], (frames.sum(1) + 2) // 4)
        # the 1-sample-per-frame channels are repeated 4 times
        np.testing.assert_array_equal(wide.digital[::4, 1], rec.digital[:, 1])
        np.testing.assert_array_equal(wide.digital[3::4, 1], rec.digital[:, 1])

    def test_channel_names_with_trailing_spaces(self, wfdb_samples_dir):
        # the MIMIC header writes "MCL1 ": the description is kept as written, and a
        # name is found with or without the header's spaces (when that is unambiguous)
        path = wfdb_samples_dir / "03700181"
        assert read_record(path, sampto=8).sig_names == ("MCL1 ", "ABP ", "RESP ")
        by_name = read_record(path, channels=["RESP", "MCL1"], sampto=8)
        by_index = read_record(path, channels=[2, 0], sampto=8)
        np.testing.assert_array_equal(by_name.digital, by_index.digital)
        exact = read_record(path, channels="ABP ", sampto=8)
        abp = read_record(path, channels=[1], sampto=8)
        np.testing.assert_array_equal(exact.digital, abp.digital)
        with pytest.raises(ValueError, match="no channel named 'MCL'"):
            read_record(path, channels=["MCL"], sampto=8)

    def test_skew_shifts_by_frames(self, wfdb_samples_dir, mitdb_dir):
        plain = read_record(mitdb_dir / "100", sampto=20)
        skewed = read_record(wfdb_samples_dir / "100skew", sampto=17)
        np.testing.assert_array_equal(skewed.digital[:, 1], plain.digital[3:20, 1])
        tail = read_record(wfdb_samples_dir / "100skew", sampfrom=649990)
        assert tail.n_samples == 10
        assert np.isnan(tail.signal[-3:, 1]).all() and not np.isnan(tail.signal[:, 0]).any()

    def test_header_without_length(self, wfdb_samples_dir, mitdb_dir):
        rec = read_record(wfdb_samples_dir / "100-no-len")
        assert rec.n_samples == 650000
        np.testing.assert_array_equal(rec.digital, read_record(mitdb_dir / "100").digital)

    def test_several_signal_files(self, wfdb_samples_dir):
        rec = read_record(wfdb_samples_dir / "s0010_re", channels=["vx", "i"], sampto=5)
        assert rec.file_names == ("s0010_re.xyz", "s0010_re.dat")
        full = read_record(wfdb_samples_dir / "s0010_re")
        np.testing.assert_array_equal(rec.digital, full.digital[:5, [12, 0]])

    def test_uncalibrated_gain(self, tmp_path):
        write_record(tmp_path, "r", 16, [[210, 410]])
        hea = tmp_path / "r.hea"
        hea.write_text(hea.read_text().replace("200(10)/mV", "0(10)"))
        rec = read_record(tmp_path / "r")
        assert rec.gains == (DEFAULT_GAIN,) and rec.calibrated == (False,)
        np.testing.assert_allclose(rec.signal[:, 0], [1.0, 2.0])

    def test_crlf_and_lf_agree(self, tmp_path):
        cols = [[1, 2, 3], [4, 5, 6]]
        write_record(tmp_path, "a", 212, cols)
        write_record(tmp_path, "b", 212, cols, newline="\r\n")
        a, b = read_record(tmp_path / "a"), read_record(tmp_path / "b")
        np.testing.assert_array_equal(a.digital, b.digital)
        assert a.sig_names == b.sig_names == ("ch0", "ch1")

    def test_byte_offset(self, tmp_path):
        write_record(tmp_path, "r", 16, [[7, -8, 9]])
        dat = tmp_path / "r.dat"
        dat.write_bytes(b"HEADER!!" + dat.read_bytes())
        hea = tmp_path / "r.hea"
        hea.write_text(hea.read_text().replace("r.dat 16 ", "r.dat 16+8 "))
        rec = read_record(tmp_path / "r")
        assert rec.digital[:, 0].tolist() == [7, -8, 9] and rec.byte_offset == (8,)

    def test_format8_partial_read_is_a_slice(self, wfdb_samples_dir):
        # rdsamp -f restarts a format 8 sum at the initial value (a constant shift);
        # this reader returns the whole-record values instead.
        whole = read_record(wfdb_samples_dir / "binformats", channels=[0])
        part = read_record(wfdb_samples_dir / "binformats", channels=[0], sampfrom=11,
                           sampto=400)
        assert part.fmt == (8,)
        np.testing.assert_array_equal(part.digital, whole.digital[11:400])

    def test_record_api(self, mitdb_dir):
        rec = read_record(mitdb_dir / "100", sampto=360)
        np.testing.assert_array_equal(rec.channel("V5"), rec.signal[:, 1])
        assert rec.n_channels == 2 and rec.duration_s == 1.0
        assert "sig_names=('MLII', 'V5')" in repr(rec)
        with pytest.raises(ValueError, match="has no channel 'II'"):
            rec.channel("II")
        with pytest.raises(dataclasses.FrozenInstanceError):
            rec.fs = 1.0
        header = read_header(mitdb_dir / "100")
        assert header.digital.shape == (0, 2) and header.base_time is None

    def test_base_time_and_date(self, wfdb_samples_dir):
        rec = read_header(wfdb_samples_dir / "03700181")
        assert rec.base_time == datetime.time(17, 27, 45)
        assert rec.base_date == datetime.date(1994, 8, 15)
        assert rec.sig_names == ("MCL1 ", "ABP ", "RESP ")  # verbatim, as rdsamp prints
        assert rec.units == ("mV", "mmHg", "mV") and rec.skew == (0, 0, 4)

    def test_pathlike_and_hea_suffix(self, tmp_path):
        write_record(tmp_path, "r", 16, [[1, 2]])
        assert read_record(str(tmp_path / "r.hea")).n_samples == 2


class TestReadRecordErrors:
    def test_missing_header(self, tmp_path):
        with pytest.raises(ValueError, match=r"header file .*nope\.hea.* does not exist"):
            read_record(tmp_path / "nope")

    def test_missing_signal_file(self, tmp_path):
        write_record(tmp_path, "r", 16, [[1, 2]])
        (tmp_path / "r.dat").unlink()
        with pytest.raises(ValueError, match=r"signal file .*r\.dat.* does not exist"):
            read_record(tmp_path / "r")

    @pytest.mark.parametrize("fmt", [16, 212, 310, 311])
    def test_truncated_dat(self, tmp_path, fmt):
        write_record(tmp_path, "r", fmt, [[1, 2, 3, 4, 5, 6]])
        dat = tmp_path / "r.dat"
        dat.write_bytes(dat.read_bytes()[:-2])
        with pytest.raises(ValueError, match=r"r\.dat.* is truncated: it holds \d+ complete"):
            read_record(tmp_path / "r")

    @pytest.mark.parametrize(
        ("text", "match"),
        [
            ("", "holds no record line"),
            ("r\n", "cannot read record line"),
            ("r two 100\n", "number of signals must be an integer"),
            ("r 1 -5 10\nr.dat 16\n", "sampling frequency must be > 0"),
            ("r 1 100 ten\nr.dat 16\n", "number of samples must be an integer"),
            ("r 2 100 10\nr.dat 16\n", "declares 2 signals but the header lists 1"),
            ("r 1 100 10\nr.dat 999\n", "storage format 999 is not supported"),
            ("r 1 100 10\nr.dat 508\n", "storage format 508 is not supported"),
            ("r 1 100 10\nr.dat 16x\n", "cannot read format field"),
            ("r 1 100 10\nr.dat 16 abc\n", "cannot read gain field"),
            ("r 1 100 10\nr.dat 16 200 x\n", "ADC resolution must be an integer"),
            ("r 1 100 10 25:61:00\nr.dat 16\n", "base time"),
            ("r 1 100 10 10:00:00 31/02/2000\nr.dat 16\n", "base date"),
            ("r/2 1 100 10\nseg1 5\nseg2 5\n", "multi-segment records are out of scope"),
            ("r 2 100 10\nr.dat 16\nr.dat 212\n", "must share one format"),
        ],
    )
    def test_header_garbage(self, tmp_path, text, match):
        (tmp_path / "r.hea").write_text(text)
        (tmp_path / "r.dat").write_bytes(bytes(40))
        with pytest.raises(ValueError, match=match):
            read_record(tmp_path / "r")

    def test_checksum_mismatch(self, tmp_path):
        write_record(tmp_path, "r", 16, [[1, 2, 3], [4, 5, 6]])
        dat = tmp_path / "r.dat"
        data = bytearray(dat.read_bytes())
        data[2] ^= 1  # second signal, first sample
        dat.write_bytes(bytes(data))
        with pytest.raises(ValueError, match=r"checksum mismatch .*r\.dat.*channel 1"):
            read_record(tmp_path / "r")
        # partial reads cannot be checked, and the first channel is intact
        assert read_record(tmp_path / "r", sampto=2).digital[:, 1].tolist() == [5, 5]
        assert read_record(tmp_path / "r", channels=[0]).digital[:, 0].tolist() == [1, 2, 3]

    @pytest.mark.parametrize(
        ("kw", "err", "match"),
        [
            ({"channels": [2]}, ValueError, r"channels=\[2\]: channel 2 is out of range"),
            ({"channels": [-1]}, ValueError, "out of range"),
            ({"channels": ["V9"]}, ValueError, "no channel named 'V9'"),
            ({"channels": []}, ValueError, "selects no channel"),
            ({"channels": [1.5]}, TypeError, "channels must hold ints"),
            ({"sampfrom": -1}, ValueError, r"sampfrom=-1 must be in \[0, 3\]"),
            ({"sampto": 4}, ValueError, r"sampto=4 must be in \[0, 3\]"),
            ({"sampfrom": 2, "sampto": 1}, ValueError, "sampto=1 must be >= sampfrom=2"),
            ({"sampfrom": 1.0}, TypeError, "sampfrom must be an int"),
            ({"expand_frames": "yes"}, TypeError, "expand_frames must be True or False"),
        ],
    )
    def test_bad_arguments(self, tmp_path, kw, err, match):
        write_record(tmp_path, "r", 16, [[1, 2, 3], [4, 5, 6]])
        with pytest.raises(err, match=match):
            read_record(tmp_path / "r", **kw)

    @given(
        tokens=st.lists(
            st.sampled_from(["r", "r.dat", "1", "2", "0", "-1", "100", "16", "212x2", "8:3",
                             "310+4", "200(5)/mV", "x", "1e9", "999999999", "(", "/", "#"]),
            min_size=1, max_size=12),
        split=st.integers(1, 11),
        dat=st.binary(max_size=64),
    )
    def test_garbage_raises_only_value_errors(self, tmp_path_factory, tokens, split, dat):
        # a fuzz: any header made of plausible tokens either reads or raises ValueError
        folder = tmp_path_factory.mktemp("fuzz")
        text = " ".join(tokens[:split]) + "\n" + " ".join(tokens[split:]) + "\n"
        (folder / "r.hea").write_text(text)
        (folder / "r.dat").write_bytes(dat)
        try:
            rec = read_record(folder / "r")
        except ValueError:
            return
        assert rec.digital.shape == rec.signal.shape == (rec.n_samples, rec.n_channels)

    def test_bad_path_type(self):
        with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike"):
            read_record(100)

    def test_empty_selection_of_rows(self, tmp_path):
        write_record(tmp_path, "r", 212, [[1, 2, 3]])
        rec = read_record(tmp_path / "r", sampfrom=3)
        assert rec.digital.shape == (0, 1) and rec.signal.shape == (0, 1)


# ---------------------------------------------------------------------------
# Annotations: an independent writer of annotation(5) words.


def word(code: int, data: int) -> bytes:
    return ((code << 10) | data).to_bytes(2, "little")


def skip(step: int) -> bytes:
    v = step & 0xFFFFFFFF
    return word(59, 0) + (v >> 16).to_bytes(2, "little") + (v & 0xFFFF).to_bytes(2, "little")


def aux(text: bytes) -> bytes:
    return word(63, len(text)) + text + (b"\0" if len(text) % 2 else b"")


class TestReadAnnotations:
    def test_pseudo_annotations(self, tmp_path):
        data = b"".join([
            word(1, 10),                 # N at 10
            word(61, 3),                 # SUB 3 for that N
            word(62, 2),                 # CHN 2 for that N and all later ones
            word(5, 5),                  # V at 15 (chan 2 persists)
            word(60, 7),                 # NUM 7 for the V and all later ones
            aux(b"(AFIB"),               # aux of the V
            skip(100000),                # time += 100000
            word(28, 1),                 # + at 100016
            word(61, 1023),              # SUB 1023 -> -1 as a signed char
            skip(-50),                   # time -= 50
            word(1, 4),                  # N at 99970
            word(0, 0),                  # end of file
        ])
        (tmp_path / "r.atr").write_bytes(data)
        ann = read_annotations(tmp_path / "r")
        assert ann.sample.tolist() == [10, 15, 100016, 99970]
        assert ann.symbol.tolist() == ["N", "V", "+", "N"]
        assert ann.code.tolist() == [1, 5, 28, 1]
        assert ann.subtype.tolist() == [3, 0, -1, 0]
        assert ann.chan.tolist() == [2, 2, 2, 2]
        assert ann.num.tolist() == [0, 7, 7, 7]
        assert ann.aux_note.tolist() == ["", "(AFIB", "", ""]
        assert ann.sample.dtype == np.int64 and ann.fs is None and len(ann) == 4

    def test_leading_skip_and_header_annotations(self, tmp_path):
        data = b"".join([
            word(22, 0), aux(b"## time resolution: 1000"),
            word(22, 0), aux(b"1 Q normal beat, redefined"),
            skip(-1), word(0, 1),        # the time-0 filler that rdann loses
            skip(5000), word(1, 0),      # N at 5000
            word(0, 0),
        ])
        (tmp_path / "r.qrs").write_bytes(data)
        ann = read_annotations(tmp_path / "r", "qrs")
        assert ann.fs == 1000.0
        assert ann.sample.tolist() == [5000] and ann.symbol.tolist() == ["Q"]
        assert ann.samples_at(360.0).tolist() == [1800]

    def test_standard_table(self):
        assert len(ANNOTATION_SYMBOLS) == 50
        assert ANNOTATION_SYMBOLS[1] == "N" and ANNOTATION_SYMBOLS[5] == "V"
        assert ANNOTATION_SYMBOLS[28] == "+" and ANNOTATION_SYMBOLS[15] == "[15]"

    def test_empty_file_with_end_word(self, tmp_path):
        (tmp_path / "r.atr").write_bytes(word(0, 0))
        ann = read_annotations(tmp_path / "r")
        assert len(ann) == 0 and ann.symbol.shape == (0,)

    @pytest.mark.parametrize(
        ("data", "match"),
        [
            (b"", "empty or truncated"),
            (word(1, 5), "no end-of-file word"),
            (word(1, 5) + word(59, 0) + b"\x00\x00", "SKIP lacks its 4-byte interval"),
            (word(1, 5) + word(63, 10) + b"abc", "aux string of 10 bytes is cut short"),
            (b"\x00N\x00\x00\x00\x00", "AHA-format"),
        ],
    )
    def test_truncated_or_foreign(self, tmp_path, data, match):
        (tmp_path / "r.atr").write_bytes(data)
        with pytest.raises(ValueError, match=match):
            read_annotations(tmp_path / "r")

    @given(data=st.binary(max_size=80))
    def test_random_bytes_raise_only_value_errors(self, tmp_path_factory, data):
        folder = tmp_path_factory.mktemp("fuzz")
        (folder / "r.atr").write_bytes(data)
        try:
            ann = read_annotations(folder / "r")
        except ValueError:
            return
        assert len(ann.symbol) == len(ann.sample) == len(ann.aux_note)

    def test_missing_file_and_bad_extension(self, tmp_path):
        with pytest.raises(ValueError, match=r"annotation file .*r\.atr.* does not exist"):
            read_annotations(tmp_path / "r")
        with pytest.raises(ValueError, match="no dot"):
            read_annotations(tmp_path / "r", ".atr")
        with pytest.raises(TypeError, match="extension must be"):
            read_annotations(tmp_path / "r", 5)

    @pytest.mark.parametrize(
        "entry",
        [
            pytest.param(e, id=e["command"], marks=[pytest.mark.slow] * (
                e["dir"] == "mitdb" and e["command"].split()[2] not in ("100", "208")))
            for e in REFERENCE["annotations"]
        ],
    )
    def test_matches_rdann(self, entry, mitdb_dir, wfdb_samples_dir):
        folder = {"mitdb": mitdb_dir, "wfdb-samples": wfdb_samples_dir}[entry["dir"]]
        t = entry["command"].split()
        ann = read_annotations(folder / t[2], t[4])
        sample = ann.sample
        if ann.fs is not None:  # rdann converts to the record's frame rate
            sample = ann.samples_at(read_header(folder / t[2]).frame_fs)

        def sha(a):
            return hashlib.sha256(np.asarray(a, "<i8").tobytes()).hexdigest()

        def sha_text(items):
            return hashlib.sha256("\n".join(items).encode("latin-1")).hexdigest()

        assert len(ann) == entry["n"]
        assert sha(sample) == entry["sample_sha256"]
        assert sha_text(ann.symbol.tolist()) == entry["symbol_sha256"]
        assert sha(ann.subtype) == entry["subtype_sha256"]
        assert sha(ann.chan) == entry["chan_sha256"]
        assert sha(ann.num) == entry["num_sha256"]
        assert sha_text(ann.aux_note.tolist()) == entry["aux_sha256"]
        assert [[int(s), str(y)] for s, y in zip(sample[:3], ann.symbol[:3], strict=True)] \
            == entry["head"]


@pytest.mark.parametrize("module", ["signals", "annotations"])
def test_docstring_examples(module):
    module = importlib.import_module(f"heartbeat.io.{module}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_corpus_copy_is_independent_of_folder(tmp_path, mitdb_dir):
    # a record is read relative to its header's folder, wherever that is
    for ext in ("hea", "dat", "atr"):
        shutil.copy(mitdb_dir / f"100.{ext}", tmp_path / f"100.{ext}")
    a = read_record(tmp_path / "100", sampto=100)
    b = read_record(mitdb_dir / "100", sampto=100)
    np.testing.assert_array_equal(a.digital, b.digital)


# ---------------------------------------------------------------------------
# Hostile headers and files: each case once raised something other than a
# ValueError naming the file (OverflowError, MemoryError, IsADirectoryError, ...),
# read outside the record's folder, or returned inf or zeros silently.
# ---------------------------------------------------------------------------
def hostile(tmp_path: Path, header: str, dat: bytes = b"\0" * 60) -> Path:
    """Write ``r.hea`` holding `header` and ``r.dat`` holding `dat`; return the record."""
    (tmp_path / "r.hea").write_text(header)
    (tmp_path / "r.dat").write_bytes(dat)
    return tmp_path / "r"


class TestHostileHeaders:
    @pytest.mark.parametrize(
        ("signal_line", "match"),
        [
            ("r.dat 212:" + "9" * 300, r"line 2: skew has 300 characters"),
            ("r.dat 16 200(" + "9" * 300 + ")", r"line 2: baseline has"),
            ("r.dat 8 200 12 0 " + "1" * 41, r"line 2: initial value has"),
            ("r.dat 8 200 12 0 1000000000000000000000000000000",
             r"line 2: initial value 1000000000000000000000000000000 is out of range"),
            ("r.dat 16 200 12 0 " + "9" * 5000, r"line 2: initial value has 5000"),
            ("r.dat 212x1000000000000", r"line 2: samples per frame 1000000000000 is out"),
            ("r.dat 16 5e-324", r"line 2: gain '5e-324' is out of range"),
            ("r.dat 16 1e999", r"line 2: gain must be finite, got '1e999'"),
            ("r.dat 16 1e200", r"line 2: gain '1e200' is out of range"),
            (". 16", r"line 2: signal file name '\.' is not a file name"),
            ("/ 16", r"line 2: signal file name '/' is not a file name"),
            ("x" * 300 + " 16", r"line 2: signal file name 'x{60}' is not a file name"),
            ("a\0b 16", r"line 2: signal file name 'a\\x00b' is not a file name"),
        ],
    )
    def test_bad_signal_fields_name_file_and_line(self, tmp_path, signal_line, match):
        rec = hostile(tmp_path, "r 1 360 10\n" + signal_line + "\n")
        with pytest.raises(ValueError, match=re.escape(str(tmp_path / "r.hea")) + ".*" + match):
            read_record(rec)

    def test_absurd_length_without_signals(self, tmp_path):
        rec = hostile(tmp_path, "r 0 500 9223372036854775807\n")
        with pytest.raises(ValueError, match=r"r\.hea, line 1: number of samples 9223372036854"
                                             r"775807 is out of range"):
            read_record(rec)

    def test_record_line_numbers_are_bounded(self, tmp_path):
        rec = hostile(tmp_path, "r 1 " + "3" * 5000 + "\nr.dat 16\n")
        with pytest.raises(ValueError, match=r"line 1: sampling frequency has 5000 char"):
            read_record(rec)

    @pytest.mark.parametrize("name", ["r.hea/x", "sub"])
    def test_signal_file_that_is_no_file(self, tmp_path, name):
        (tmp_path / "sub").mkdir()
        rec = hostile(tmp_path, f"r 1 360 10\n{name} 16\n")
        with pytest.raises(ValueError, match=r"signal file .* cannot be read|not a regular"):
            read_record(rec)

    def test_nul_in_record_path(self, tmp_path):
        with pytest.raises(ValueError, match=r"path=.* holds a NUL character"):
            read_record(str(tmp_path / "r\0x"))

    @pytest.mark.parametrize("where", ["absolute", "parent"])
    def test_signal_files_are_confined_to_the_folder(self, tmp_path, where):
        outside = tmp_path / "secret.dat"
        outside.write_bytes(np.arange(10, dtype="<i2").tobytes())
        folder = tmp_path / "rec"
        folder.mkdir()
        name = str(outside) if where == "absolute" else "../secret.dat"
        rec = hostile(folder, f"r 1 360 10\n{name} 16\n")
        with pytest.raises(ValueError, match=r"outside the header's folder; read_record\(\.\.\., "
                                             r"allow_outside=True\)"):
            read_record(rec)
        with pytest.raises(ValueError, match="outside the header's folder"):
            read_header(rec)
        # the explicit opt-in reads it, as the WFDB library's search path would
        assert read_record(rec, allow_outside=True).digital[:, 0].tolist() == list(range(10))

    def test_subfolder_inside_is_allowed(self, tmp_path):
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "d.dat").write_bytes(np.arange(4, dtype="<i2").tobytes())
        rec = hostile(tmp_path, "r 1 360 4\nsub/d.dat 16\n")
        assert read_record(rec).digital[:, 0].tolist() == [0, 1, 2, 3]

    def test_large_skew_reads_a_window_only(self, tmp_path):
        # skew 1000 on a 2000-frame file: a 10-frame window reads frames 1000-1010
        values = np.arange(2000, dtype="<i2")
        rec = hostile(tmp_path, "r 1 360\nr.dat 16:1000\n", values.tobytes())
        out = read_record(rec, sampfrom=5, sampto=15)
        assert out.digital[:, 0].tolist() == list(range(1005, 1015))

    @pytest.mark.parametrize("start", [0, 1, 3, 999])
    def test_format8_window_equals_whole_read(self, tmp_path, start, monkeypatch):
        import heartbeat.io.signal_files as signal_files

        monkeypatch.setattr(signal_files, "_CHUNK_FRAMES", 7)  # several chunks before `start`
        diffs = np.random.default_rng(start).integers(-5, 6, size=(1000, 2)).astype(np.int8)
        rec = hostile(tmp_path, "r 2 360 1000\nr.dat 8 200 8 0 100\nr.dat 8 200 8 0 -3\n",
                      diffs.tobytes())
        whole = read_record(rec).digital
        np.testing.assert_array_equal(read_record(rec, sampfrom=start).digital, whole[start:])


class TestHostileAnnotations:
    @pytest.mark.parametrize("value", ["1e999", "0.00001", "5e300"])
    def test_absurd_time_resolution(self, tmp_path, value):
        text = f"## time resolution: {value}".encode()
        (tmp_path / "r.atr").write_bytes(word(22, 0) + aux(text) + word(1, 5) + word(0, 0))
        with pytest.raises(ValueError, match=r"r\.atr.*time resolution of " + value):
            read_annotations(tmp_path / "r")

    def test_directory_as_annotation_file(self, tmp_path):
        (tmp_path / "r.atr").mkdir()
        with pytest.raises(ValueError, match=r"r\.atr' is a directory"):
            read_annotations(tmp_path / "r")
