"""A fitted classifier as one NumPy-only Python file plus its weights: :func:`export`.

The written file (``heartbeat_model.py``) imports NumPy alone.  It reads the weights
(``heartbeat_model.npz``, loaded with ``allow_pickle=False``), names the classes and
runs the network in plain NumPy: the forward pass is a dozen lines that walk the saved layer
list, beside one small function per layer kind (an ensemble's members each walk their
own list, and their logits are averaged as :class:`heartbeat.nn.Ensemble` does).  Its
probabilities equal ``BeatClassifier.load(path, backend="numpy").predict_proba(beats)``
bit for bit (the convolutions take the library's NumPy paths: im2col and a matrix
product, or Winograd F(4, 5) for kernel 5 and at least 8 input channels, in the same
passes).

The RR features, the record context and the calibrated softmax of ``predict_proba``
are the library's own functions, and so is everything the file's ``classify(signal,
fs)`` runs before the network.  That function goes from a raw ECG to classified beats: it
finds the same R peaks, cuts the same beats and gives the same probabilities and labels
as ``heartbeat.classify`` with a NumPy-backend model (reject option included, and the
beats of unreadable stretches kept as ``"?"`` with reason ``"unreadable"``).  None of
this is a second copy kept by hand: the library's functions are copied as source when
the file is written (:mod:`heartbeat.export_source`); only the network's layers, which
the library runs through its own engine, are written out here.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
from pathlib import Path

import numpy as np

from heartbeat._atomic import atomic_open, save_npz_atomic
from heartbeat.classifier import BeatClassifier
from heartbeat.classifier.saved import PRETRAINED

__all__ = ["export", "numpy_only_path"]

MODULE_NAME = "heartbeat_model"
SUPPORTED = frozenset({"conv1d", "residual", "relu", "maxpool1d", "flatten", "dense"})


def export(model: object, out: str | os.PathLike, *,
           fixed_point: tuple[np.ndarray, np.ndarray] | str | os.PathLike | None = None
           ) -> tuple[Path, Path]:
    """Write `model` as ``heartbeat_model.py`` and ``heartbeat_model.npz`` in `out`.

    Parameters
    ----------
    model : BeatClassifier, str or path-like
        A fitted classifier, the name of a shipped model or a saved ``.npz`` file.
    out : str or path-like
        Folder to write into (created if missing).
    fixed_point : (ndarray, ndarray), str or path-like, optional
        Calibration beats (n, channels, 187) as the network takes them and their RR
        features (n, 3), from training-side recordings only, or an MIT-BIH folder whose
        DS1 records give them (:func:`heartbeat.export_fixed.ds1_calibration`, 3000
        beats of each lead).  Given, the weights file also
        holds the network in integers and the file's ``predict_proba`` and ``classify``
        run it (:mod:`heartbeat.export_fixed`; the float network stays as
        ``logits_float``).

    Returns
    -------
    (Path, Path)
        The Python file and the weights file.

    Raises
    ------
    FileNotFoundError
        If `model` names a file that does not exist.
    ValueError
        If the model file is damaged or the network holds a layer the exported file
        cannot run; nothing is written then.
    TypeError
        If `model` is not a classifier, name or path.

    Examples
    --------
    >>> import tempfile, heartbeat
    >>> from heartbeat.export import export
    >>> with tempfile.TemporaryDirectory() as d:
    ...     py, npz = export("mitbih-ds1", d)
    ...     print(py.name, npz.name)
    heartbeat_model.py heartbeat_model.npz
    """
    clf = _load(model)
    net = clf._model()
    members = net.spec.get("members", [net.spec])  # an ensemble: each member's layers
    kinds = set().union(*(_kinds(m["features"]) | _kinds(m["head"]) for m in members))
    if not kinds <= SUPPORTED:
        raise ValueError(f"the network holds layers {sorted(kinds - SUPPORTED)} that the "
                         f"exported file cannot run (it runs {sorted(SUPPORTED)})")
    arrays = {name: np.asarray(a) for name, a in net.named_params().items()}
    arrays["spec"] = np.array(json.dumps(net.spec))
    arrays["classes"] = np.array(list(clf.classes_))
    arrays["context"] = np.array(clf._context)
    arrays["temperature"] = np.array(clf.calibration_.temperature)  # 1.0: uncalibrated
    if fixed_point is not None:
        from heartbeat.export_fixed import calibrated_arrays

        arrays.update(calibrated_arrays(net, fixed_point, clf._context))
    # before anything is written: a library it cannot copy fails
    text = _module_text(clf, fixed=fixed_point is not None)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    weights = save_npz_atomic(folder / f"{MODULE_NAME}.npz", **arrays)
    code = folder / f"{MODULE_NAME}.py"
    with atomic_open(code) as f:
        f.write(text.encode("utf-8"))
    return code, weights


def numpy_only_path(folder: str | os.PathLike) -> Path:
    """Create `folder` holding the installed NumPy alone, to try an exported file with.

    The folder holds links to NumPy (and its bundled libraries, ``numpy.libs``), so a
    Python started with ``-I -S`` (no site-packages, no ``PYTHONPATH``) and this folder
    on ``sys.path`` can import NumPy and nothing else of this environment: the way to
    check that an exported model needs neither heartbeat, Numba nor SciPy.

    Parameters
    ----------
    folder : str or path-like
        A folder that does not exist yet (its parent must).

    Returns
    -------
    Path
        `folder`.

    Raises
    ------
    FileExistsError
        If `folder` exists.

    Examples
    --------
    >>> import subprocess, sys, tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     site = numpy_only_path(Path(d) / "site")
    ...     code = "import sys; sys.path.insert(0, sys.argv[1]); import numpy; import numba"
    ...     run = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(site)],
    ...                          capture_output=True, text=True)
    >>> "No module named 'numba'" in run.stderr
    True
    """
    site = Path(np.__file__).resolve().parents[1]
    path = Path(folder)
    path.mkdir()
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists():
            (path / name).symlink_to(site / name)
    return path


def _load(model: object) -> BeatClassifier:
    """Return the fitted classifier `model` names, loaded and checked (nothing written)."""
    if isinstance(model, BeatClassifier):
        model._model()  # raises for an unfitted classifier
        return model
    if isinstance(model, str) and model in PRETRAINED:
        return BeatClassifier.pretrained(model, backend="numpy")
    if isinstance(model, (str, os.PathLike)):
        if not Path(model).is_file():
            raise FileNotFoundError(f"model file {str(model)!r} does not exist; give a "
                                    f"saved .npz or a shipped name ({', '.join(PRETRAINED)})")
        return BeatClassifier.load(model, backend="numpy")
    raise TypeError(f"model must be a BeatClassifier, a pretrained name "
                    f"({', '.join(PRETRAINED)}) or a file path, got {type(model).__name__}")


def _kinds(layers: list[dict]) -> set[str]:
    """Return the layer kinds in `layers`, residual bodies included."""
    out = set()
    for layer in layers:
        out.add(layer["type"])
        out |= _kinds(layer.get("layers", []))
    return out


def _module_text(clf: BeatClassifier, fixed: bool = False) -> str:
    """Return the exported file's text.

    The network (:data:`_TEMPLATE`; with `fixed`, its integer form after it), then the
    library's detection, segmentation, record context and calibration, copied as
    source, and ``predict_proba`` and ``classify`` (:data:`_CLASSIFY`).
    """
    from heartbeat.export_source import library_source

    copied, classify = library_source(_CLASSIFY, _CLASSIFY_NAMES, _template_names())
    tree = ast.parse(_TEMPLATE)
    head = tree.body[0].end_lineno if isinstance(tree.body[0], ast.Expr) else 0
    lines = _TEMPLATE.splitlines(keepends=True)
    future = "" if "from __future__ import annotations" in _TEMPLATE else \
        "\nfrom __future__ import annotations  # the copied annotations stay unevaluated\n"
    rule = "# " + "=" * 78 + "\n"
    if fixed:
        from heartbeat.export_fixed import FIXED_TEMPLATE, _conv_cols

        lines.append("\n\n" + inspect.getsource(_conv_cols).replace(
            "h: np.ndarray, layer: dict) -> np.ndarray", "h, layer)") + FIXED_TEMPLATE)
    return ("".join(lines[:head]) + future + "".join(lines[head:]) + "\n\n" + rule
            + "# From a raw ECG to classified beats: classify(signal, fs).  Up to\n"
            "# predict_proba(), this is the heartbeat library's own source, copied when the\n"
            "# file was written (heartbeat/export_source.py says how): change the library,\n"
            "# not this.\n"
            + rule + copied + "\n\n# " + "-" * 8 + " predict_proba and classify(signal, fs) "
            + "-" * 30 + "\n"
            + f"REJECT_BELOW = {clf.calibration_.reject_below!r}  # the model's reject "
            "threshold (None: none)\n" + classify)


def _template_names() -> set[str]:
    """Return the names the network part of the file defines (and ``REJECT_BELOW``)."""
    tree = ast.parse(_TEMPLATE)
    names = {a.asname or a.name.split(".")[0] for n in tree.body
             if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    names |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    return names | {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                    if isinstance(t, ast.Name)} | {"REJECT_BELOW"}


_TEMPLATE = '''\
"""A heartbeat classifier in NumPy alone, exported by ``heartbeat export``.

    import numpy as np, heartbeat_model as hm
    proba = hm.predict_proba(waveforms, r_peaks, fs)   # (n, len(hm.CLASSES))
    result = hm.classify(signal, fs)   # from a raw ECG: r_peaks, labels, probabilities

`waveforms` (n, 187) are one recording's beats as ``heartbeat.segment`` cuts them
(125 Hz, starting at the R peak, scaled to [0, 1]), `r_peaks` their R-peak sample
indices at `fs` Hz.  The weights are read from ``heartbeat_model.npz`` beside this file.
"""

import json
from pathlib import Path

import numpy as np

_FILE = np.load(Path(__file__).with_suffix(".npz"), allow_pickle=False)
SPEC = json.loads(str(_FILE["spec"]))
CLASSES = tuple(str(c) for c in _FILE["classes"])
CONTEXT = int(_FILE["context"])  # beats on each side in the record-context median
TEMPERATURE = float(_FILE["temperature"])  # the logits are divided by it (calibration)
W = {k: _FILE[k] for k in _FILE.files
     if k not in ("spec", "classes", "context", "temperature")}
# an ensemble's members, their weights named "<i>/<layer>"; a single network alone
MEMBERS = SPEC["members"] if SPEC["name"] == "ensemble" else [SPEC]
PREFIXES = [f"{i}/" for i in range(len(MEMBERS))] if SPEC["name"] == "ensemble" else [""]


def forward(x, extra=None, member=0):
    """Logits (n, n_classes) of beats x (n, channels, 187); extra: RR features (n, 3)."""
    spec, prefix = MEMBERS[member], PREFIXES[member]
    h = np.asarray(x, dtype=np.float32)
    for i, layer in enumerate(spec["features"]):
        h = LAYER[layer["type"]](h, layer, f"{prefix}features.{i}")
    if spec["extra_inputs"]:
        e = np.asarray(extra, dtype=np.float32)
        h = np.concatenate([h, np.log(e) if spec.get("extra_transform") == "log" else e],
                           axis=1)
    for i, layer in enumerate(spec["head"]):
        h = LAYER[layer["type"]](h, layer, f"{prefix}head.{i}")
    return h


def logits(x, extra=None):
    """The members' logits summed in float64 in member order, over their number."""
    total = forward(x, extra, 0).astype(np.float64)
    for member in range(1, len(MEMBERS)):
        total += forward(x, extra, member)
    return total / len(MEMBERS)


# ---------------------------------------------------------------- the layers
def conv1d(h, layer, name):
    """Convolution of h (n, C_in, L) with padding "same" or "valid"; (n, C_out, L_out)."""
    w, b = W[name + ".w"], W[name + ".b"]
    k, stride, dilation = layer["kernel_size"], layer["stride"], layer["dilation"]
    x = np.ascontiguousarray(h.transpose(0, 2, 1))  # (n, L, C_in)
    span = dilation * (k - 1) + 1
    if layer["padding"] == "valid":
        l_out, pad = (x.shape[1] - span) // stride + 1, 0
    else:
        l_out = -(-x.shape[1] // stride)
        pad = max(0, (l_out - 1) * stride + span - x.shape[1]) // 2
    if k == 5 and stride == 1 and dilation == 1 and x.shape[2] >= 8:
        out = _winograd(x, w, b, l_out, pad)
    else:
        xp = _padded(x, pad, (l_out - 1) * stride + span)
        win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=1)
        cols = win[:, : (l_out - 1) * stride + 1 : stride, :, ::dilation].transpose(0, 1, 3, 2)
        out = np.ascontiguousarray(cols).reshape(-1, k * x.shape[2]) @ \\
            w.transpose(2, 1, 0).reshape(k * x.shape[2], -1)
        out += b
        out = out.reshape(x.shape[0], l_out, -1)
    if layer.get("activation") == "relu":
        out = np.maximum(out, 0)
    return out.transpose(0, 2, 1)


def residual(h, layer, name):
    """The body's convolutions plus the input."""
    out = h
    for j, inner in enumerate(layer["layers"]):
        out = LAYER[inner["type"]](out, inner, f"{name}.{j}")
    return out + h


def maxpool1d(h, layer, name):
    """Maximum over windows of kernel_size samples, every stride samples."""
    k, stride = layer["kernel_size"], layer["stride"]
    l_out = (h.shape[2] - k) // stride + 1
    win = np.lib.stride_tricks.sliding_window_view(h, k, axis=2)
    return win[:, :, : (l_out - 1) * stride + 1 : stride].max(axis=-1)


LAYER = {
    "conv1d": conv1d,
    "residual": residual,
    "maxpool1d": maxpool1d,
    "relu": lambda h, layer, name: np.maximum(h, 0),
    "flatten": lambda h, layer, name: h.reshape(h.shape[0], -1),
    "dense": lambda h, layer, name: h @ W[name + ".w"] + W[name + ".b"],
}


# ---------------------------------------------------------------- Winograd F(4, 5)
# Four outputs of a 5-tap convolution from 8 transformed inputs (Lavin & Gray 2016):
# y = AT [(G w) * (BT d)], taken over the channels as 8 matrix products.
_BT = np.array([
    [-1, 0, 21 / 4, 0, -21 / 4, 0, 1, 0],
    [0, 1, 1, -17 / 4, -17 / 4, 1, 1, 0],
    [0, -1, 1, 17 / 4, -17 / 4, -1, 1, 0],
    [0, 1 / 2, 1 / 4, -5 / 2, -5 / 4, 2, 1, 0],
    [0, -1 / 2, 1 / 4, 5 / 2, -5 / 4, -2, 1, 0],
    [0, 2, 4, -5 / 2, -5, 1 / 2, 1, 0],
    [0, -2, 4, 5 / 2, -5, -1 / 2, 1, 0],
    [0, -1, 0, 21 / 4, 0, -21 / 4, 0, 1],
])
_AT = np.array([
    [1, 1, 1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 1 / 2, -1 / 2, 0],
    [0, 1, 1, 4, 4, 1 / 4, 1 / 4, 0],
    [0, 1, -1, 8, -8, 1 / 8, -1 / 8, 1],
])
_P = np.array([0, 1, -1, 2, -2, 1 / 2, -1 / 2])
_G = np.vstack([
    _P[:, None] ** np.arange(5)
    / np.array([np.prod(p - np.delete(_P, i)) for i, p in enumerate(_P)])[:, None],
    np.eye(5)[-1],
])


def _padded(x, pad_left, total):
    xp = np.zeros((x.shape[0], max(total, pad_left + x.shape[1]), x.shape[2]), x.dtype)
    xp[:, pad_left : pad_left + x.shape[1]] = x
    return xp


def _winograd(x, w, b, l_out, pad):
    n, _, c_in = x.shape
    c_out = w.shape[0]
    n_tiles = -(-l_out // 4)
    u = (w.reshape(-1, 5) @ _G.T.astype(w.dtype)).reshape(c_out, c_in, 8)
    u = np.ascontiguousarray(u.transpose(2, 1, 0))  # (8, C_in, C_out)
    out = np.empty((n, l_out, c_out), dtype=x.dtype)
    step = max(1, 512 // n_tiles)  # beats per pass, as the library runs them
    for n0 in range(0, n, step):
        xs = x[n0 : n0 + step]
        xp = _padded(xs, pad, 4 * n_tiles + 4)
        tiles = np.lib.stride_tricks.sliding_window_view(xp, 8, axis=1)[:, : 4 * n_tiles : 4]
        v = np.einsum("pj,ntcj->ntpc", _BT.astype(x.dtype), tiles).reshape(-1, 8, c_in)
        mm = np.empty((v.shape[0], 8, c_out), dtype=x.dtype)
        np.matmul(v.transpose(1, 0, 2), u, out=mm.transpose(1, 0, 2))
        y = np.einsum("ap,ntpc->ntac", _AT.astype(x.dtype),
                      mm.reshape(len(xs), n_tiles, 8, c_out))
        out[n0 : n0 + step] = y.reshape(len(xs), 4 * n_tiles, c_out)[:, :l_out] + b
    return out

'''


# ---------------------------------------------------------------- classify()
#: The library names :data:`_CLASSIFY` uses, and the module each comes from.
_CLASSIFY_NAMES: dict[str, str] = {
    "_segment": "heartbeat.pipeline.beats",
    "_min_quality": "heartbeat.pipeline.beats",
    "_in_spans": "heartbeat.pipeline.beats",
    "Beats": "heartbeat.pipeline.beats",
    "FS_OUT": "heartbeat.pipeline.steps",
    "LENGTH": "heartbeat.pipeline.steps",
    "THRESHOLD": "heartbeat.pipeline.steps",
    "WINDOW_S": "heartbeat.pipeline.steps",
    "Calibration": "heartbeat.classifier.calibration",
    "_reject_threshold": "heartbeat.classifier.calibration",
    "_withheld_codes": "heartbeat.classifier.calibration",
    "UNCLASSIFIED": "heartbeat.classifier.results",
    "NOISY_BELOW": "heartbeat.classifier.results",
    "_noisy": "heartbeat.classifier.results",
    "_noisy_below": "heartbeat.classifier.results",
    "_withheld": "heartbeat.classifier.results",
    "adapt_template": "heartbeat.classifier.template",
    "with_context": "heartbeat.context",
    "_rr_features": "heartbeat.context",
    "fill_missing": "heartbeat._missing",
    "pieces": "heartbeat._missing",
}

#: ``classify`` in the exported file: what ``heartbeat.classify(signal, fs)`` does,
#: and ``predict_proba``, over the library's functions (copied) and the network above.
_CLASSIFY = '''\
import dataclasses

import numpy as np

CALIBRATION = Calibration(temperature=TEMPERATURE, reject_below=REJECT_BELOW)


def predict_proba(waveforms, r_peaks, fs, batch_size=512):
    """Class probabilities (n, n_classes) of one recording's beats, in time order.

    The record context, the RR features and the calibrated softmax are the library's
    (heartbeat/context.py and heartbeat/classifier/calibration.py, above), as
    ``BeatClassifier.predict_proba`` applies them to segmented beats.
    """
    x = np.asarray(waveforms, dtype=np.float32)
    r_peaks = np.asarray(r_peaks)
    if CONTEXT:
        x = with_context(x, CONTEXT, times=r_peaks)  # (n, 2, 187)
    rr = _rr_features(r_peaks, fs) if SPEC["extra_inputs"] else None
    parts = [logits(x[i : i + batch_size], None if rr is None else rr[i : i + batch_size])
             for i in range(0, len(x), batch_size)]
    return CALIBRATION.probabilities(np.concatenate(parts))


@dataclasses.dataclass(frozen=True, eq=False)
class ClassifiedBeats:
    """Beats found in an ECG and the class of each (as ``heartbeat.ClassifiedBeats``).

    r_peaks (n,) R-peak sample indices at the signal's rate; labels (n,) class names,
    "?" for an unclassified beat; codes (n,) indices into CLASSES, -1 for "?";
    probabilities (n, len(CLASSES)); reasons (n,) why a beat is "?": "uncertain" (the
    reject option), "unreadable" or "noisy" (signal quality), "" when labelled;
    quality (n,) the signal quality of each beat's stretch; beats: the segmented beats (Beats).
    """

    r_peaks: np.ndarray
    labels: np.ndarray
    codes: np.ndarray
    probabilities: np.ndarray
    reasons: np.ndarray
    beats: Beats

    @property
    def quality(self):
        return self.beats.quality

    def __len__(self):
        return len(self.codes)


def classify(signal, fs, *, reject=True, quality=True, noisy_below=NOISY_BELOW,
             missing="error"):
    """Find the heartbeats in a raw ECG and classify each one (``heartbeat.classify``).

    signal: one lead (n,) or several recorded together (n, n_leads: the R peaks are
    found on all, the beats cut from the first); fs: its sampling rate in Hz; reject:
    True withholds beats whose top probability is below the model's saved threshold
    (REJECT_BELOW), False labels every beat, a number in [0, 1] is the threshold;
    quality: True returns the beats of stretches whose signal quality is below
    UNREADABLE_BELOW as "?" with reason "unreadable", a number in [0, 1] is that
    threshold, False measures no quality; noisy_below: a beat called S, V or F in a
    stretch whose quality is below it is "?" with reason "noisy" (0: off;
    "unreadable" wins over "noisy", which wins over "uncertain"); missing: "error"
    refuses NaN samples, "unreadable" reads around them (their 2 s stretches are
    unreadable; a gap of SPLIT_GAP_S or more splits the recording).  The probabilities
    are adapted to the recording as the library's default ``adapt="template"`` does
    (beats called V or F that match the recording's dominant beat lose their V and F
    probability; then a beat called N of that shape that comes early becomes S, one
    called S that is not early becomes N).
    Bad input raises the library's TypeError or ValueError, naming the argument.
    """
    threshold = _reject_threshold(CALIBRATION, reject)
    _min_quality(quality, off_by_default=False)  # checked before any work is done
    noisy_below = _noisy_below(noisy_below)
    # the robust detector, then Kachuee et al.'s crops; the beats of unreadable
    # stretches are kept, to come back as "?" with their reason
    signal, gaps = fill_missing(signal, missing)
    beats = _segment(signal, fs, detector="robust", r_peaks=None, window_s=WINDOW_S,
                     threshold=THRESHOLD, fs_out=FS_OUT, length=LENGTH, lead=0,
                     quality=quality, withhold=False, gaps=gaps)
    proba = np.zeros((len(beats), len(CLASSES)))
    for part in pieces(beats.r_peaks, gaps, beats.fs):  # each a recording of its own
        if part.stop > part.start:
            waveforms, r_peaks = beats.waveforms[part], beats.r_peaks[part]
            proba[part] = adapt_template(
                predict_proba(waveforms, r_peaks, beats.fs), waveforms,
                _rr_features(r_peaks, beats.fs), classes=CLASSES, fs_out=beats.fs_out)[0]
    # unreadable: the stretches segment found so (low quality, or a gap)
    unreadable = _in_spans(beats.r_peaks, beats.unreadable)
    codes, reasons = _withheld(proba, threshold, CLASSES, beats.quality, noisy_below,
                               unreadable)
    labels = np.array([*CLASSES, UNCLASSIFIED])[codes]
    return ClassifiedBeats(beats.r_peaks, labels, codes, proba, reasons, beats)
'''
