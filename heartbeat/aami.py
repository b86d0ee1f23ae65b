"""AAMI EC57 heartbeat classes for MIT-BIH beat annotations.

ANSI/AAMI EC57:1998/(R)2008, "Testing and reporting performance results of cardiac
rhythm and ST segment measurement algorithms", groups the MIT-BIH beat labels into five
classes (its Table 1, as used by de Chazal et al. 2004 and Kachuee et al. 2018):

====  =============================  =====================================================
code  class                          MIT-BIH beat symbols
====  =============================  =====================================================
0     N  normal / non-ectopic        N normal, L left and R right bundle branch block,
                                     e atrial escape, j nodal (junctional) escape
1     S  supraventricular ectopic    A atrial premature, a aberrated atrial premature,
                                     J nodal (junctional) premature, S supraventricular
                                     premature
2     V  ventricular ectopic         V premature ventricular contraction,
                                     E ventricular escape
3     F  fusion                      F fusion of ventricular and normal
4     Q  unknown                     / paced, f fusion of paced and normal,
                                     Q unclassifiable
====  =============================  =====================================================

Every other annotation symbol (rhythm changes ``+``, noise ``~``, comments ``"`` and
the like) is not a beat.
"""

from __future__ import annotations

import numpy as np

CLASSES: tuple[str, ...] = ("N", "S", "V", "F", "Q")
"""AAMI class names in the order of their integer codes 0-4."""

SYMBOL_TO_CLASS: dict[str, str] = {
    **dict.fromkeys("NLRej", "N"),
    **dict.fromkeys("AaJS", "S"),
    **dict.fromkeys("VE", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}
"""MIT-BIH beat symbol -> AAMI class name."""

BEAT_SYMBOLS: frozenset[str] = frozenset(SYMBOL_TO_CLASS)
"""The 15 MIT-BIH symbols that mark a heartbeat."""


def is_beat(symbols: np.ndarray) -> np.ndarray:
    """Return a boolean mask of the annotation symbols that mark a heartbeat.

    Parameters
    ----------
    symbols : array_like of str
        Annotation symbols, e.g. ``Annotations.symbol``.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> is_beat(["N", "+", "V", "~", "/"]).tolist()
    [True, False, True, False, True]
    """
    return np.isin(np.asarray(symbols, dtype=str), sorted(BEAT_SYMBOLS))


def class_codes(symbols: np.ndarray) -> np.ndarray:
    """Map beat symbols to AAMI class codes 0-4 (N, S, V, F, Q); -1 for non-beats.

    Parameters
    ----------
    symbols : array_like of str
        Annotation symbols.

    Returns
    -------
    numpy.ndarray of int8

    Examples
    --------
    >>> class_codes(["N", "A", "V", "F", "/", "+"]).tolist()
    [0, 1, 2, 3, 4, -1]
    """
    symbols = np.asarray(symbols, dtype=str)
    codes = np.full(symbols.shape, -1, dtype=np.int8)
    for symbol, name in SYMBOL_TO_CLASS.items():
        codes[symbols == symbol] = CLASSES.index(name)
    return codes
