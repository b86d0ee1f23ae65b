"""Save and load models as one ``.npz``: spec (JSON), format version, info, arrays, digest.

Format 1 holds one :class:`~heartbeat.nn.Model` (arrays ``param/<name>`` and
``buffer/<name>``); format 2 holds an :class:`~heartbeat.nn.Ensemble`, each member's
arrays under ``member/<i>/param/`` and ``member/<i>/buffer/`` and the members' specs in
``spec["members"]``.  A single model is always written as format 1, so its files are
those of earlier versions.

Loading treats the file as untrusted: the zip directory, the array headers and the
spec are checked against fixed bounds before any array is read, so a damaged or
hostile file costs at most `MAX_FILE_BYTES` of memory and ends in a ValueError that
names it.  Files written before the digest was added load without that check.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from heartbeat._atomic import save_npz_atomic
from heartbeat.nn.ensemble import ENSEMBLE, MAX_MEMBERS, Ensemble
from heartbeat.nn.model import Model

FILE_FORMAT = 1
ENSEMBLE_FORMAT = 2  # FILE_FORMAT with the members' arrays under member/<i>/
_META = ("format_version", "spec", "info")
_DIGEST = "digest"  # optional: SHA-256 of the arrays (see _digest); older files lack it

#: Bounds on what a model file may declare.  The shipped models hold 53 k parameters
#: in 0.25 MB; these leave three orders of magnitude of room.
MAX_FILE_BYTES = 1 << 30  # all arrays together, decompressed
MAX_PARAMS = 100_000_000
MAX_LAYER_SIZE = 1 << 16  # any width, channel count, kernel size, stride, ...
MAX_LAYERS = 1000
MAX_WEIGHT = 1e6  # largest |value| of a parameter or buffer
_SIZE_KEYS = ("in_channels", "out_channels", "kernel_size", "stride", "dilation",
              "in_features", "out_features", "num_features", "input_size", "hidden_size",
              "scale")
# what a damaged zip or .npy makes the standard library raise
# (a .npy header is parsed by Python's tokenizer: TokenError and SyntaxError too)
_READ_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, OverflowError,
                NotImplementedError, SyntaxError, zipfile.BadZipFile, zlib.error,
                struct.error, tokenize.TokenError)


def save(model: Model | Ensemble, path: str | os.PathLike, info: dict | None = None
         ) -> Path:
    """Write `model` to `path` (``.npz``, uncompressed) atomically; return the path.

    Parameters
    ----------
    model : Model or Ensemble
        The model to save (an ensemble is written in format 2).
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
        If `model` is not a Model or an Ensemble.
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
    if not isinstance(model, (Model, Ensemble)):
        raise TypeError(f"model must be a heartbeat.nn.Model or Ensemble, got "
                        f"{type(model).__name__}")
    info = model.info if info is None else info
    if not isinstance(info, dict):
        raise ValueError(f"info must be a dict, got {type(info).__name__}")
    try:
        info_text = json.dumps(info, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"info must be JSON-serialisable: {exc}") from None
    if isinstance(model, Ensemble):
        arrays = {f"member/{i}/{kind}/{k}": v for i, member in enumerate(model.members)
                  for kind, named in (("param", member.named_params()),
                                      ("buffer", member.named_buffers()))
                  for k, v in named.items()}
        version = ENSEMBLE_FORMAT
    else:
        arrays = {f"param/{k}": v for k, v in model.named_params().items()}
        arrays |= {f"buffer/{k}": v for k, v in model.named_buffers().items()}
        version = FILE_FORMAT
    digest = _digest(_array_names(arrays))
    arrays["format_version"] = np.array(version, dtype=np.int64)
    arrays["spec"] = np.array(json.dumps(model.spec, sort_keys=True))
    arrays["info"] = np.array(info_text)
    arrays[_DIGEST] = np.array(digest)
    return save_npz_atomic(path, **arrays)


def _array_names(entries: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return the arrays among a file's entries by the names the digest covers.

    ``param/<name>`` and ``buffer/<name>`` become ``<name>`` (format 1);
    ``member/<i>/param/<name>`` becomes ``<i>/<name>`` (format 2).
    """
    out = {}
    for key, value in entries.items():
        if key.startswith(("param/", "buffer/")):
            out[key.split("/", 1)[1]] = value
        elif key.startswith("member/"):
            _, index, _, name = key.split("/", 3)
            out[f"{index}/{name}"] = value
    return out


def load(path: str | os.PathLike, backend: str = "auto") -> Model | Ensemble:
    """Read a model (format 1) or an ensemble (format 2) written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.
    backend : {"auto", "numba", "numpy"}
        Kernel backend of the loaded model.

    Returns
    -------
    Model or Ensemble
        In evaluation mode, with ``model.info`` set; the dtype is that of the arrays.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a readable model file: truncated, damaged or not a zip
        archive; wrong format version; a spec that is malformed, declares sizes
        beyond the bounds of this module (`MAX_PARAMS`, `MAX_LAYER_SIZE`,
        `MAX_LAYERS`) or layers that do not fit together; arrays larger than
        `MAX_FILE_BYTES` together, missing, extra or misshaped, holding NaN, inf or
        values beyond `MAX_WEIGHT`; or arrays that do not match the file's digest.
        Every message names the file.
    """
    path = Path(path)
    where = repr(str(path))
    data = _read_entries(path, where)
    version = _check_version(data["format_version"], where)
    try:
        spec = json.loads(str(data["spec"]))
        info = json.loads(str(data["info"]))
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{where}: spec or info is not valid JSON ({exc})") from None
    member_specs = _member_specs(spec, version, data, where)
    arrays = _array_names(data)
    _check_values(arrays, where)
    dtypes = {v.dtype for v in arrays.values()}
    dtype = dtypes.pop() if len(dtypes) == 1 else np.float32
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{where}: parameters have dtype {dtype}, expected float32 "
                         "or float64")
    try:
        if version == FILE_FORMAT:
            model = _built(spec, arrays, dtype, backend)
        else:
            model = Ensemble([
                _built(member, {k.split("/", 1)[1]: v for k, v in arrays.items()
                                if k.split("/", 1)[0] == str(i)}, dtype, backend)
                for i, member in enumerate(member_specs)])
    except (ValueError, TypeError, KeyError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"{where}: {exc}") from None
    _check_digest(arrays, data.get(_DIGEST), where)
    model.info = info if isinstance(info, dict) else {}
    _dry_run(model, where)
    return model.eval()


def _built(spec: dict, arrays: dict[str, np.ndarray], dtype: Any, backend: str) -> Model:
    """Return the Model of `spec` holding `arrays`."""
    model = Model(spec, dtype=dtype, backend=backend)
    model.set_arrays(arrays)
    return model


def _member_specs(spec: Any, version: int, data: dict[str, np.ndarray], where: str
                  ) -> list[dict]:
    """Check the spec's bounds (each member's, for format 2); return the members' specs.

    A format-1 file is its own single member.  A format-2 spec must name the ensemble,
    list 1 to `MAX_MEMBERS` member specs that agree with its shared sizes, and the
    file's arrays must sit under those members' indices.
    """
    if version == FILE_FORMAT:
        if isinstance(spec, dict) and spec.get("name") == ENSEMBLE:
            raise ValueError(f"{where}: an ensemble spec in a format-{FILE_FORMAT} file")
        if any(k.startswith("member/") for k in data):
            raise ValueError(f"{where}: member arrays in a format-{FILE_FORMAT} file")
        _check_spec_bounds(spec, where)
        return [spec]
    if not isinstance(spec, dict) or spec.get("name") != ENSEMBLE:
        raise ValueError(f"{where}: a format-{ENSEMBLE_FORMAT} file must hold an ensemble "
                         "spec (name 'ensemble')")
    members = spec.get("members")
    if not isinstance(members, list) or not 1 <= len(members) <= MAX_MEMBERS:
        raise ValueError(f"{where}: spec['members'] must list 1 to {MAX_MEMBERS} member "
                         "specs")
    for i, member in enumerate(members):
        _check_spec_bounds(member, f"{where} member {i}")
        shared = {k: spec.get(k) for k in ("input_channels", "input_length", "n_classes",
                                           "extra_inputs")}
        if any(member[k] != v for k, v in shared.items()):
            raise ValueError(f"{where}: member {i} does not read and give what the "
                             f"ensemble declares ({shared})")
    n_params = sum(_layer_params(cfg) for member in members
                   for part in ("features", "head") for cfg in _flat(member[part]))
    if n_params > MAX_PARAMS:
        raise ValueError(f"{where}: the members declare about {n_params} parameters, more "
                         f"than the {MAX_PARAMS} a model file may hold")
    loose = sorted(k for k in data if k.startswith(("param/", "buffer/")) or (
        k.startswith("member/") and (k.count("/") < 3 or k.split("/")[1] not in
                                     {str(i) for i in range(len(members))}
                                     or k.split("/")[2] not in ("param", "buffer"))))
    if loose:
        raise ValueError(f"{where}: entries {loose[:5]} belong to no member of the ensemble")
    return members


def _flat(configs: list[dict]) -> list[dict]:
    """Return every layer config in `configs`, residual bodies included."""
    out = []
    for cfg in configs:
        out.append(cfg)
        out += _flat(cfg.get("layers", []))
    return out


def _digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the arrays' names, dtypes, shapes and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.view(np.uint8).reshape(-1) if a.size else b"")
    return h.hexdigest()


def _read_entries(path: Path, where: str) -> dict[str, np.ndarray]:
    """Return every array of the ``.npz`` at `path`, its sizes checked before reading."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {where}") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{where} cannot be read as a model file: {exc}") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"{where} is not a regular file, so not a model file")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_directory(infos, where)
            data = {}
            for zi in infos:
                data[zi.filename[:-4]] = _read_member(zf, zi, where)
    except ValueError as exc:
        if str(exc).startswith(where):
            raise
        raise ValueError(f"{where} is not a readable model file (damaged, truncated or "
                         f"not .npz?): {exc}") from None
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{where} is not a readable model file: not an .npz archive (not "
                         f"a zip file, or damaged or truncated): {exc}") from None
    except _READ_ERRORS as exc:
        raise ValueError(f"{where} is not a readable model file (damaged, truncated or "
                         f"not .npz?): {type(exc).__name__}: {exc}") from None
    return data


def _check_directory(infos: list[zipfile.ZipInfo], where: str) -> None:
    """Refuse a zip whose directory declares odd names or too many bytes."""
    names = [zi.filename for zi in infos]
    missing = [k for k in _META if f"{k}.npy" not in names]
    if missing:
        raise ValueError(f"{where} is not a heartbeat model file: missing {missing}")
    bad = [n for n in names if not n.endswith(".npy") or (
        n[:-4] not in (*_META, _DIGEST)
        and not n.startswith(("param/", "buffer/", "member/")))]
    if bad:
        raise ValueError(f"{where} has unexpected entries {sorted(bad)[:5]}")
    if len(set(names)) != len(names):
        raise ValueError(f"{where} holds an entry twice")
    total = sum(zi.file_size for zi in infos)
    if len(infos) > 4 * MAX_LAYERS or total > MAX_FILE_BYTES:
        raise ValueError(f"{where} declares {len(infos)} arrays of {total} bytes together; "
                         f"a model file holds at most {MAX_FILE_BYTES} bytes")


def _read_member(zf: zipfile.ZipFile, zi: zipfile.ZipInfo, where: str) -> np.ndarray:
    """Read one ``.npy`` entry after checking that its header fits its declared size."""
    with zf.open(zi) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"{where}: entry {zi.filename!r} has .npy version {version}")
        if dtype.hasobject:
            raise ValueError(f"{where}: entry {zi.filename!r} holds Python objects")
        n_bytes = math.prod(shape) * dtype.itemsize
        if n_bytes > zi.file_size:
            raise ValueError(f"{where}: entry {zi.filename!r} declares shape {shape} "
                             f"({n_bytes} bytes) in {zi.file_size} bytes")
        raw = fh.read(n_bytes)
        if len(raw) != n_bytes:
            raise ValueError(f"{where}: entry {zi.filename!r} is truncated")
    order = "F" if fortran else "C"
    return np.frombuffer(raw, dtype).reshape(shape, order=order).copy(order="C")


def _check_version(version: np.ndarray, where: str) -> int:
    """Return the file's format (1: a model, 2: an ensemble), or raise."""
    if version.shape != () or not np.issubdtype(version.dtype, np.integer) \
            or int(version) not in (FILE_FORMAT, ENSEMBLE_FORMAT):
        shown = version.item() if version.shape == () else version.tolist()[:5]
        raise ValueError(f"{where} has model file format {shown!r}; this version "
                         f"of heartbeat reads formats {FILE_FORMAT} (a model) and "
                         f"{ENSEMBLE_FORMAT} (an ensemble)")
    return int(version)


def _check_spec_bounds(spec: Any, where: str) -> None:
    """Check the spec's shape and sizes before a layer is built (or memory allocated)."""
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: spec must be a JSON object, got {type(spec).__name__}")
    for key in ("input_channels", "input_length", "n_classes", "extra_inputs"):
        value = spec.get(key)
        if isinstance(value, bool) or not isinstance(value, int) \
                or not (0 if key == "extra_inputs" else 1) <= value <= MAX_LAYER_SIZE:
            raise ValueError(f"{where}: spec[{key!r}]={value!r} must be an integer from "
                             f"{0 if key == 'extra_inputs' else 1} to {MAX_LAYER_SIZE}")
    layers: list[dict] = []
    for part in ("features", "head"):
        _collect_layers(spec.get(part), f"spec[{part!r}]", layers, where, depth=0)
    if len(layers) > MAX_LAYERS:
        raise ValueError(f"{where}: the spec declares {len(layers)} layers, more than "
                         f"{MAX_LAYERS}")
    n_params = sum(_layer_params(cfg) for cfg in layers)
    if n_params > MAX_PARAMS:
        raise ValueError(f"{where}: the spec declares about {n_params} parameters, more "
                         f"than the {MAX_PARAMS} a model file may hold")


def _collect_layers(configs: Any, at: str, out: list[dict], where: str, depth: int) -> None:
    """Append every layer config under `configs` to `out`, checking its fields."""
    if not isinstance(configs, list):
        raise ValueError(f"{where}: {at} must be a list of layer configs, got "
                         f"{type(configs).__name__}")
    if depth > 16 or len(out) + len(configs) > MAX_LAYERS:
        raise ValueError(f"{where}: {at} nests or lists too many layers")
    for i, cfg in enumerate(configs):
        here = f"{at}[{i}]"
        if not isinstance(cfg, dict) or not isinstance(cfg.get("type"), str):
            raise ValueError(f"{where}: {here} must be a layer config with a 'type', got "
                             f"{str(cfg)[:80]}")
        for key in _SIZE_KEYS:
            value = cfg.get(key)
            if value is None and key == "stride":
                continue
            if key in cfg and (isinstance(value, bool) or not isinstance(value, int)
                               or not 1 <= value <= MAX_LAYER_SIZE):
                raise ValueError(f"{where}: {here}[{key!r}]={str(value)[:40]} must be an "
                                 f"integer from 1 to {MAX_LAYER_SIZE}")
        for key, value in cfg.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{where}: {here}[{key!r}]={value} must be finite")
        out.append(cfg)
        if "layers" in cfg:
            _collect_layers(cfg["layers"], f"{here}['layers']", out, where, depth + 1)


def _layer_params(cfg: dict) -> int:
    """Return an upper estimate of the parameters and buffers a layer config allocates."""
    def size(key: str) -> int:
        value = cfg.get(key, 1)
        return value if isinstance(value, int) else 1

    kind = cfg["type"]
    if kind == "conv1d":
        return size("out_channels") * (size("in_channels") * size("kernel_size") + 1)
    if kind == "dense":
        return (size("in_features") + 1) * size("out_features")
    if kind in ("lstm", "bilstm"):
        hidden = size("hidden_size")
        return 2 * 4 * hidden * (size("input_size") + hidden + 2)
    return 4 * size("num_features")


def _check_values(arrays: dict[str, np.ndarray], where: str) -> None:
    """Refuse arrays of the wrong kind, or holding non-finite or absurd values."""
    for name, a in arrays.items():
        if a.dtype.kind != "f":
            raise ValueError(f"{where}: array {name!r} has dtype {a.dtype}, expected floats")
        if a.size and not (np.isfinite(a).all() and np.abs(a).max() <= MAX_WEIGHT):
            raise ValueError(f"{where}: array {name!r} holds NaN, inf or values beyond "
                             f"{MAX_WEIGHT:g}; the file is damaged")


def _check_digest(arrays: dict[str, np.ndarray], digest: np.ndarray | None, where: str
                  ) -> None:
    """Refuse arrays that do not match the file's digest (files without one pass)."""
    if digest is None:
        return
    if digest.shape != () or digest.dtype.kind != "U" or str(digest) != _digest(arrays):
        raise ValueError(f"{where}: the arrays do not match the file's digest; the file "
                         "is damaged (copy it again)")


def _dry_run(model: Model | Ensemble, where: str) -> None:
    """Run one zero beat through `model`: its layers must fit and give finite logits."""
    spec = model.spec
    x = np.zeros((1, spec["input_channels"], spec["input_length"]), model.dtype)
    extra = np.ones((1, spec["extra_inputs"]), model.dtype) if spec["extra_inputs"] else None
    try:
        logits = model.predict_logits(x, extra)
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as exc:
        raise ValueError(f"{where}: the spec's layers do not fit together ({exc})") from None
    if logits.shape != (1, spec["n_classes"]):
        raise ValueError(f"{where}: the layers give {logits.shape[1:]} logits per beat; "
                         f"they do not match the network's {spec['n_classes']} outputs "
                         "(spec['n_classes'])")
    if not np.isfinite(logits).all():
        raise ValueError(f"{where}: the network gives non-finite logits for a zero beat")
