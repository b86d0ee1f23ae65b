"""The package's layout rules, checked on its source: floors, sizes and old paths.

Data flows one way, samples -> beats -> features -> model -> labels, and so do
imports: a room may import from its own floor and the floors below, never from above
(docs/architecture.md draws the same table).  Entry scripts (``__main__``) may call the
command line.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from heartbeat import _moved

PACKAGE = Path(__file__).resolve().parents[1] / "heartbeat"

# room (first name below heartbeat) -> floor; a room imports only from floors <= its own
FLOORS = {
    "_validate": 0, "_atomic": 0, "_jit": 0, "_moved": 0, "__init__": 0, "aami": 0,
    "io": 1, "resample": 1, "_missing": 1,
    "_detect_kernels": 2, "detect": 2, "pipeline": 2, "metrics": 2, "signal_quality": 2,
    "signal_quality_features": 2, "_quality_kernels": 2, "noise": 2, "_detect_stages": 2,
    "_merge_kernels": 2, "_merge_gate": 2, "_detect_bands": 2, "_decide_kernels": 2,
    "context": 3,
    "datasets": 4, "nn": 4,
    "training": 5, "windows": 5,
    "classifier": 6, "pretrained": 6, "stream": 6, "stream_beats": 6, "stream_quality": 6,
    "stream_lead": 6,
    "export": 6,
    "export_source": 6,
    "export_fixed": 6,
    "plot": 7, "report": 7,
    "cli": 8, "__main__": 8,
}
MAX_MODULE_LINES = 520


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _room(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(path: Path) -> set[str]:
    """Dotted heartbeat modules that `path` imports (at top level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("heartbeat")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("heartbeat"):
            if node.module == "heartbeat":  # from heartbeat import nn, __version__
                names |= {f"heartbeat.{a.name}" for a in node.names}
            else:
                names.add(node.module)
    return names


def _dotted(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts).removesuffix(".__init__")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
class TestEveryModule:
    def test_has_a_floor(self, path):
        assert _room(_dotted(path)) in FLOORS, "add the new room to FLOORS and the docs"

    def test_imports_no_higher_floor(self, path):
        if path.stem == "__main__" or path == PACKAGE / "__init__.py":
            return  # entry scripts run the command line; the facade names everything
        here = FLOORS[_room(_dotted(path))]
        for name in _imported(path):
            if name == "heartbeat.__version__":
                continue
            room = _room(name)
            assert room in FLOORS, f"{name}: unknown room"
            assert FLOORS[room] <= here, (
                f"{_dotted(path)} (floor {here}) imports {name} (floor {FLOORS[room]})"
            )

    def test_imports_no_old_path(self, path):
        old = set(_imported(path)) & set(_moved.MOVED)
        assert not old, f"import the new paths inside the package: {sorted(old)}"

    def test_size(self, path):
        n = len(path.read_text(encoding="utf-8").splitlines())
        assert n <= MAX_MODULE_LINES, f"{n} lines: split it by purpose"


@pytest.mark.parametrize(("old", "new"), sorted(_moved.MOVED.items()))
def test_old_paths_import_the_moved_module(old, new):
    assert old != new
    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__spec__.name == new  # the alias leaves the module's own spec
