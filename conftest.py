"""Doctest collection for the package: skip the picture examples without matplotlib.

The ``test`` extra alone (``pip install -e '.[test]'``) has no matplotlib; the
docstring examples of :mod:`heartbeat.plot` then skip with a reason instead of
failing with an ImportError.
"""

from __future__ import annotations

import pytest


def _matplotlib_missing() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return True
    return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a doctest of heartbeat.plot when matplotlib is missing.

    Raised here rather than added as a skip marker: a marker would report the
    doctest's line, which pytest does not know for every docstring.
    """
    if (type(item).__name__ == "DoctestItem" and item.name.startswith("heartbeat.plot")
            and _matplotlib_missing()):
        pytest.skip("matplotlib not installed: pip install 'heartbeat-ecg[plot]'")
