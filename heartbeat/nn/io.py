"""Save and load models as one ``.npz``: spec (JSON), format version, info, arrays."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from heartbeat._atomic import save_npz_atomic
from heartbeat.nn.model import Model

FILE_FORMAT = 1
_META = ("format_version", "spec", "info")


def save(model: Model, path: str | os.PathLike, info: dict | None = None) -> Path:
    """Write `model` to `path` (``.npz``, uncompressed) atomically; return the path.

    Parameters
    ----------
    model : Model
        The model to save.
    path : str or path-like
        Target file; ``.npz`` is appended when missing.
    info : dict, optional
        JSON-serialisable metadata (for example what the model was trained on);
        defaults to ``model.info``.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        If `model` is not a Model.
    ValueError
        If `info` is not a JSON-serialisable dict.

    Examples
    --------
    >>> import tempfile, heartbeat.nn as nn
    >>> model = nn.build("kachuee2018")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = nn.save(model, f"{tmp}/m.npz", info={"trained_on": "nothing"})
    ...     nn.load(path).info
    {'trained_on': 'nothing'}
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a heartbeat.nn.Model, got {type(model).__name__}")
    info = model.info if info is None else info
    if not isinstance(info, dict):
        raise ValueError(f"info must be a dict, got {type(info).__name__}")
    try:
        info_text = json.dumps(info, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"info must be JSON-serialisable: {exc}") from None
    arrays = {f"param/{k}": v for k, v in model.named_params().items()}
    arrays |= {f"buffer/{k}": v for k, v in model.named_buffers().items()}
    arrays["format_version"] = np.array(FILE_FORMAT, dtype=np.int64)
    arrays["spec"] = np.array(json.dumps(model.spec, sort_keys=True))
    arrays["info"] = np.array(info_text)
    return save_npz_atomic(path, **arrays)


def load(path: str | os.PathLike, backend: str = "auto") -> Model:
    """Read a model written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.
    backend : {"auto", "numba", "numpy"}
        Kernel backend of the loaded model.

    Returns
    -------
    Model
        In evaluation mode, with ``model.info`` set; the dtype is that of the arrays.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a readable model file: truncated or not a zip archive,
        wrong format version, bad spec, or missing, extra or misshaped arrays.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {str(path)!r}")
    try:
        with open(path, "rb") as fh:
            npz = np.load(fh, allow_pickle=False)
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise ValueError("a single array, not an .npz archive")
            with npz:
                data: dict[str, Any] = {k: npz[k] for k in npz.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, KeyError) as exc:
        raise ValueError(f"{str(path)!r} is not a readable model file "
                         f"(truncated or not .npz?): {exc}") from None
    missing = [k for k in _META if k not in data]
    if missing:
        raise ValueError(f"{str(path)!r} is not a heartbeat model file: missing {missing}")
    version = data["format_version"]
    if version.shape != () or not np.issubdtype(version.dtype, np.integer) \
            or int(version) != FILE_FORMAT:
        shown = version.item() if version.shape == () else version.tolist()
        raise ValueError(f"{str(path)!r} has model file format {shown!r}; this version "
                         f"of heartbeat reads format {FILE_FORMAT}")
    try:
        spec = json.loads(str(data["spec"]))
        info = json.loads(str(data["info"]))
    except ValueError as exc:
        raise ValueError(f"{str(path)!r}: spec or info is not valid JSON ({exc})") from None
    arrays = {k.split("/", 1)[1]: v for k, v in data.items()
              if k.startswith(("param/", "buffer/"))}
    stray = sorted(k for k in data if k not in _META and not k.startswith(("param/",
                                                                            "buffer/")))
    if stray:
        raise ValueError(f"{str(path)!r} has unexpected entries {stray}")
    dtypes = {v.dtype for v in arrays.values()}
    dtype = dtypes.pop() if len(dtypes) == 1 else np.float32
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{str(path)!r}: parameters have dtype {dtype}, expected float32 "
                         "or float64")
    model = Model(spec, dtype=dtype, backend=backend)
    try:
        model.set_arrays(arrays)
    except ValueError as exc:
        raise ValueError(f"{str(path)!r}: {exc}") from None
    model.info = info if isinstance(info, dict) else {}
    return model.eval()
