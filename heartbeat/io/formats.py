"""WFDB storage formats (signal(5)): the format table and the byte decoders.

Every format is read as a stream of "blocks" of `block_bytes` bytes holding
`block_samples` samples; `need[j]` is the number of bytes of a block that must be
present for its j-th sample to be readable (the WFDB library reads the last, partial
block sample by sample and stops at the first sample whose bytes are missing).
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class _Format:
    bits: int  # ADC resolution implied by the format
    block_bytes: int
    block_samples: int
    need: tuple[int, ...]  # bytes of a block needed for its first j+1 samples
    invalid: int | None  # value marking an invalid sample (None: format 8 has none)


_FORMATS: dict[int, _Format] = {
    8: _Format(8, 1, 1, (1,), None),
    16: _Format(16, 2, 1, (2,), -(1 << 15)),
    24: _Format(24, 3, 1, (3,), -(1 << 23)),
    32: _Format(32, 4, 1, (4,), -(1 << 31)),
    61: _Format(16, 2, 1, (2,), -(1 << 15)),
    80: _Format(8, 1, 1, (1,), -(1 << 7)),
    160: _Format(16, 2, 1, (2,), -(1 << 15)),
    212: _Format(12, 3, 2, (2, 3), -(1 << 11)),
    310: _Format(10, 4, 3, (2, 4, 4), -(1 << 9)),
    311: _Format(10, 4, 3, (2, 3, 4), -(1 << 9)),
}
#: The storage formats this reader decodes.
SUPPORTED_FORMATS: tuple[int, ...] = tuple(sorted(_FORMATS))


def _sign_extend(v: np.ndarray, bits: int) -> np.ndarray:
    """Interpret the low `bits` bits of non-negative int32 `v` as two's complement."""
    half = 1 << (bits - 1)
    return ((v ^ half) - half).astype(np.int32, copy=False)


def _decode(fmt: int, buf: np.ndarray, n: int) -> np.ndarray:
    """Decode the first `n` samples of a uint8 byte buffer in storage format `fmt`.

    `buf` must hold at least the bytes those samples need.  Format 8 returns the
    first differences; the caller integrates them per signal.
    """
    spec = _FORMATS[fmt]
    n_blocks = -(-n // spec.block_samples)
    nbytes = n_blocks * spec.block_bytes
    if buf.size < nbytes:  # zero-pad the last, partial block
        buf = np.concatenate([buf, np.zeros(nbytes - buf.size, np.uint8)])
    b = buf[:nbytes]
    if fmt == 8:  # int8 first differences
        out = b.view(np.int8).astype(np.int32)
    elif fmt == 16:  # int16, little-endian
        out = b.view("<i2").astype(np.int32)
    elif fmt == 61:  # int16, big-endian
        out = b.view(">i2").astype(np.int32)
    elif fmt == 80:  # uint8 offset binary: value + 128
        out = b.astype(np.int32) - 128
    elif fmt == 160:  # uint16 little-endian offset binary: value + 32768
        out = b.view("<u2").astype(np.int32) - 32768
    elif fmt == 32:  # int32, little-endian
        out = b.view("<i4").astype(np.int32)
    elif fmt == 24:  # int24, little-endian: b0 = bits 0-7, b1 = 8-15, b2 = 16-23
        t = b.reshape(-1, 3).astype(np.int32)
        out = _sign_extend(t[:, 0] | (t[:, 1] << 8) | (t[:, 2] << 16), 24)
    elif fmt == 212:
        # Two 12-bit samples in 3 bytes:
        #   byte 0 = s0 bits 0-7
        #   byte 1 = low nibble: s0 bits 8-11, high nibble: s1 bits 8-11
        #   byte 2 = s1 bits 0-7
        t = b.reshape(-1, 3)
        mid = t[:, 1].astype(np.int16)
        s = np.empty((t.shape[0], 2), np.int16)
        np.left_shift(mid & 0x0F, 8, out=s[:, 0])
        s[:, 0] |= t[:, 0]
        np.left_shift(mid & 0xF0, 4, out=s[:, 1])
        s[:, 1] |= t[:, 2]
        s ^= 0x800  # sign-extend from bit 11
        s -= 0x800
        out = s.ravel().astype(np.int32)
    elif fmt == 310:
        # Three 10-bit samples in two little-endian 16-bit words w0, w1:
        #   w0 bits 1-10 = s0, w1 bits 1-10 = s1 (bit 0 of each word unused)
        #   s2 = (w0 bits 11-15) | (w1 bits 11-15) << 5
        t = b.reshape(-1, 4).astype(np.int32)
        w0 = t[:, 0] | (t[:, 1] << 8)
        w1 = t[:, 2] | (t[:, 3] << 8)
        s = np.empty((t.shape[0], 3), np.int32)
        s[:, 0] = (w0 >> 1) & 0x3FF
        s[:, 1] = (w1 >> 1) & 0x3FF
        s[:, 2] = ((w0 >> 11) & 0x1F) | (((w1 >> 11) & 0x1F) << 5)
        out = _sign_extend(s.ravel(), 10)
    elif fmt == 311:
        # Three 10-bit samples in the low 30 bits of a little-endian 32-bit word w:
        #   s0 = w bits 0-9, s1 = w bits 10-19, s2 = w bits 20-29 (bits 30-31 unused)
        w = b.view("<u4").astype(np.int64)
        s = np.empty((w.shape[0], 3), np.int32)
        s[:, 0] = w & 0x3FF
        s[:, 1] = (w >> 10) & 0x3FF
        s[:, 2] = (w >> 20) & 0x3FF
        out = _sign_extend(s.ravel(), 10)
    else:  # pragma: no cover - formats are checked when the header is parsed
        raise ValueError(f"unsupported format {fmt}")
    return out[:n]


def _samples_in(fmt: int, nbytes: int) -> int:
    """Count the samples of format `fmt` readable from `nbytes` bytes."""
    spec = _FORMATS[fmt]
    full, rem = divmod(nbytes, spec.block_bytes)
    return full * spec.block_samples + sum(1 for k in spec.need if k <= rem)
