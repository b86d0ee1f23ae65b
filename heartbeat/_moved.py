"""Old module paths that still import: each moved module answers to its 0.1 name.

``import heartbeat.wfdb`` and ``from heartbeat.features import stft`` keep working
after the modules moved into folders; the old name is bound to the very module object
that now lives at the new path (no copy, no second import).  The package itself
always imports the new paths.  Add a row here whenever a public module moves.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

# old dotted name -> new dotted name
MOVED: dict[str, str] = {
    "heartbeat.wfdb": "heartbeat.io",
    "heartbeat.download": "heartbeat.io.physionet",
    "heartbeat.inputs": "heartbeat.io.inputs",
    "heartbeat.examples": "heartbeat.io.examples",
    "heartbeat.parallel": "heartbeat.datasets.parallel",
    "heartbeat.features": "heartbeat.windows",
    "heartbeat.nn.window_models": "heartbeat.windows.models",
    "heartbeat.train": "heartbeat.training",
    "heartbeat.nn.blas": "heartbeat.nn.threads",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Find an old module name and load it as the module at its new name."""

    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(MOVED[spec.name])
        spec.loader_state = module.__spec__  # the import system overwrites __spec__ next
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Run nothing (the module ran under its new name); give back its own spec."""
        module.__spec__ = module.__spec__.loader_state


def install() -> None:
    """Put the alias finder first on :data:`sys.meta_path`, once.

    First, so that a stale file at an old path (a leftover of an earlier install, or
    an editable install of another checkout) never shadows the moved module.
    """
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.insert(0, _Alias())
